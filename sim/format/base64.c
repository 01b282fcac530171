/* base64.c -- RFC 4648 base64 encode and strict decode. */
#include "format/base64.h"

static const char b64_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t b64_encoded_len(size_t n, size_t line_len)
{
    size_t chars = (n + 2) / 3 * 4;
    if (line_len == 0 || chars == 0) return chars;
    return chars + (chars - 1) / line_len * 2;
}

size_t b64_encode(const unsigned char *in, size_t n, char *out, size_t line_len)
{
    size_t o = 0, col = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n) v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n) v |= in[i + 2];
        char q[4] = {b64_alphabet[(v >> 18) & 63], b64_alphabet[(v >> 12) & 63],
                     i + 1 < n ? b64_alphabet[(v >> 6) & 63] : '=',
                     i + 2 < n ? b64_alphabet[v & 63] : '='};
        for (int k = 0; k < 4; k++) {
            if (line_len && col == line_len) {
                out[o++] = '\r';
                out[o++] = '\n';
                col = 0;
            }
            out[o++] = q[k];
            col++;
        }
    }
    return o;
}

size_t b64_decoded_max(size_t n)
{
    return n / 4 * 3 + 3;
}

static int b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

bool b64_decode(const char *in, size_t n, unsigned char *out, size_t *out_len, bool allow_crlf)
{
    unsigned acc = 0;
    int have = 0, pad = 0;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c == '\r' || c == '\n') {
            if (!allow_crlf) return false;
            continue;
        }
        if (c == '=') {
            /* Padding only in the last two places of a group, then nothing. */
            if (have < 2) return false;
            pad++;
            have++;
            if (have == 4) {
                if (pad == 1) {
                    out[o++] = (unsigned char)(acc >> 10);
                    out[o++] = (unsigned char)(acc >> 2);
                } else {
                    out[o++] = (unsigned char)(acc >> 4);
                }
                have = 0;
                acc = 0;
            }
            continue;
        }
        if (pad) return false; /* data after padding */
        int v = b64_value(c);
        if (v < 0) return false;
        acc = (acc << 6) | (unsigned)v;
        if (++have == 4) {
            out[o++] = (unsigned char)(acc >> 16);
            out[o++] = (unsigned char)(acc >> 8);
            out[o++] = (unsigned char)acc;
            have = 0;
            acc = 0;
        }
    }
    if (have != 0) return false;
    *out_len = o;
    return true;
}
