/* md5.c -- MD5 written from the description in RFC 1321 §3 (see md5.h). */
#include "core/md5.h"

#include <string.h>

/* T[i] = floor(2^32 * |sin(i + 1)|), RFC 1321 §3.4; tabled to avoid libm. */
static const uint32_t md5_t[64] = {
    0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a, 0xa8304613, 0xfd469501,
    0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be, 0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821,
    0xf61e2562, 0xc040b340, 0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
    0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8, 0x676f02d9, 0x8d2a4c8a,
    0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c, 0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70,
    0x289b7ec6, 0xeaa127fa, 0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
    0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92, 0xffeff47d, 0x85845dd1,
    0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1, 0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391,
};
/* Per-round shift amounts, four per round (RFC 1321 §3.4). */
static const unsigned md5_s[16] = {7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21};

static uint32_t md5_rotl(uint32_t x, unsigned n)
{
    return (x << n) | (x >> (32 - n));
}

static void md5_block(struct md5_ctx *c, const unsigned char *p)
{
    uint32_t x[16];
    for (int i = 0; i < 16; i++) { /* little-endian words (§2) */
        x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 | (uint32_t)p[4 * i + 2] << 16 |
               (uint32_t)p[4 * i + 3] << 24;
    }
    uint32_t a = c->a, b = c->b, cc = c->c, d = c->d;
    for (int i = 0; i < 64; i++) {
        uint32_t f;
        int k;
        int round = i / 16;
        if (round == 0) {
            f = (b & cc) | (~b & d); /* F */
            k = i;
        } else if (round == 1) {
            f = (b & d) | (cc & ~d); /* G */
            k = (5 * i + 1) % 16;
        } else if (round == 2) {
            f = b ^ cc ^ d; /* H */
            k = (3 * i + 5) % 16;
        } else {
            f = cc ^ (b | ~d); /* I */
            k = (7 * i) % 16;
        }
        uint32_t tmp = d;
        d = cc;
        cc = b;
        b = b + md5_rotl(a + f + md5_t[i] + x[k], md5_s[round * 4 + i % 4]);
        a = tmp;
    }
    c->a += a;
    c->b += b;
    c->c += cc;
    c->d += d;
}

void md5_init(struct md5_ctx *c)
{
    memset(c, 0, sizeof *c);
    c->a = 0x67452301;
    c->b = 0xefcdab89;
    c->c = 0x98badcfe;
    c->d = 0x10325476;
}

void md5_update(struct md5_ctx *c, const void *data, size_t len)
{
    const unsigned char *p = data;
    c->total += len;
    while (len > 0) {
        size_t take = 64 - c->fill < len ? 64 - c->fill : len;
        memcpy(c->block + c->fill, p, take);
        c->fill += take;
        p += take;
        len -= take;
        if (c->fill == 64) {
            md5_block(c, c->block);
            c->fill = 0;
        }
    }
}

void md5_final(struct md5_ctx *c, unsigned char out[16])
{
    uint64_t bits = c->total * 8;
    static const unsigned char pad[64] = {0x80};
    /* Pad to 56 mod 64 with 0x80 then zeros, then the 64-bit length (§3.1, §3.2). */
    size_t padlen = c->fill < 56 ? 56 - c->fill : 120 - c->fill;
    md5_update(c, pad, padlen);
    unsigned char lenb[8];
    for (int i = 0; i < 8; i++) lenb[i] = (unsigned char)(bits >> (8 * i));
    md5_update(c, lenb, 8);
    uint32_t w[4] = {c->a, c->b, c->c, c->d};
    for (int i = 0; i < 4; i++) {
        for (int j = 0; j < 4; j++) out[4 * i + j] = (unsigned char)(w[i] >> (8 * j));
    }
}

void md5_hex(const void *data, size_t len, char out[33])
{
    static const char hex[] = "0123456789abcdef";
    struct md5_ctx c;
    unsigned char d[16];
    md5_init(&c);
    md5_update(&c, data, len);
    md5_final(&c, d);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
}
