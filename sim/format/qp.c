/* qp.c -- quoted-printable (RFC 2045 §6.7) and RFC 2047 "Q". */
#include "format/qp.h"

static const char qp_hex[] = "0123456789ABCDEF";

static int qp_hexval(unsigned char c);
static size_t qp_put_escape(char *out, size_t o, unsigned char c);

static int qp_hexval(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
}

static size_t qp_put_escape(char *out, size_t o, unsigned char c)
{
    out[o++] = '=';
    out[o++] = qp_hex[c >> 4];
    out[o++] = qp_hex[c & 15];
    return o;
}

size_t qp_encoded_max(size_t n)
{
    /* Every octet may become "=XX"; each output line of at most 76
     * characters may add a soft break "=" CRLF. */
    return 3 * n + 3 * (3 * n / 72 + 2) + 2;
}

size_t qp_encode(const unsigned char *in, size_t n, char *out, bool binary)
{
    size_t o = 0, col = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = in[i];
        /* Rule 4: a CRLF of text is a hard line break, written as CRLF. */
        if (!binary && c == '\r' && i + 1 < n && in[i + 1] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            col = 0;
            i++;
            continue;
        }
        bool at_eol =
            i + 1 == n || (!binary && in[i + 1] == '\r' && i + 2 < n && in[i + 2] == '\n');
        char tok[3];
        size_t k;
        if ((c >= 33 && c <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_eol)) {
            /* Rule 2 (literal) and rule 3 (whitespace not at a line end). */
            tok[0] = (char)c;
            k = 1;
        } else {
            /* Rule 1: "=" and two uppercase hex digits. */
            k = qp_put_escape(tok, 0, c);
        }
        /* Rule 5: lines of at most 76 characters, the "=" of a soft break
         * included, so at most 75 characters of text before it. The last
         * token of a line may use column 76. */
        size_t limit = at_eol ? 76 : 75;
        if (col + k > limit) {
            out[o++] = '=';
            out[o++] = '\r';
            out[o++] = '\n';
            col = 0;
        }
        for (size_t j = 0; j < k; j++) out[o++] = tok[j];
        col += k;
    }
    return o;
}

bool qp_decode(const char *in, size_t n, unsigned char *out, size_t *out_len, bool strict)
{
    size_t o = 0, i = 0;
    while (i < n) {
        /* One line: [i, e) without its line end; eol_len is 0, 1 or 2. */
        size_t e = i;
        while (e < n && in[e] != '\n') e++;
        size_t eol_len = 0;
        if (e < n) {
            eol_len = 1;
            if (e > i && in[e - 1] == '\r') {
                e--;
                eol_len = 2;
            }
        }
        size_t next = e + eol_len;
        /* Rule 3: whitespace at the end of an encoded line was added in
         * transport and is deleted. */
        size_t t = e;
        while (t > i && (in[t - 1] == ' ' || in[t - 1] == '\t')) t--;
        bool soft = t > i && in[t - 1] == '=';
        size_t stop = soft ? t - 1 : t;
        for (size_t j = i; j < stop; j++) {
            unsigned char c = (unsigned char)in[j];
            if (c == '=') {
                int hi = j + 1 < stop ? qp_hexval((unsigned char)in[j + 1]) : -1;
                int lo = hi >= 0 && j + 2 < stop ? qp_hexval((unsigned char)in[j + 2]) : -1;
                if (hi >= 0 && lo >= 0) {
                    out[o++] = (unsigned char)(hi << 4 | lo);
                    j += 2;
                    continue;
                }
                if (strict) return false;
            }
            out[o++] = c;
        }
        if (!soft) {
            if (eol_len == 2) {
                out[o++] = '\r';
                out[o++] = '\n';
            } else if (eol_len == 1) {
                out[o++] = '\n';
            }
        }
        i = next;
    }
    *out_len = o;
    return true;
}

size_t qp_q_encoded_max(size_t n)
{
    return 3 * n;
}

size_t qp_q_encode(const unsigned char *in, size_t n, char *out)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = in[i];
        if (c == ' ') {
            out[o++] = '_';
        } else if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                   c == '!' || c == '*' || c == '+' || c == '-' || c == '/') {
            /* RFC 2047 §5 (3): the characters allowed in a phrase. */
            out[o++] = (char)c;
        } else {
            o = qp_put_escape(out, o, c);
        }
    }
    return o;
}

bool qp_q_decode(const char *in, size_t n, unsigned char *out, size_t *out_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '_') {
            out[o++] = ' ';
        } else if (c == '=') {
            int hi = i + 1 < n ? qp_hexval((unsigned char)in[i + 1]) : -1;
            int lo = i + 2 < n ? qp_hexval((unsigned char)in[i + 2]) : -1;
            if (hi < 0 || lo < 0) return false;
            out[o++] = (unsigned char)(hi << 4 | lo);
            i += 2;
        } else {
            out[o++] = c;
        }
    }
    *out_len = o;
    return true;
}
