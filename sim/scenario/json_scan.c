/* json_scan.c -- strict JSON checker with value positions (RFC 8259).
 *
 * Refuses what cJSON lets through (bad UTF-8, \u0000, lone surrogates,
 * number literals it would truncate) and what it cannot explain well
 * (comments, trailing commas, single quotes), each with a position. */
#include "scenario/json_scan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

/* cJSON copies at most 63 characters of a number literal (README). */
#define SCN_JNUM_MAX 63

struct scn_jstate {
    struct scn_jscan *js;
    const unsigned char *t;
    size_t len, pos;
    int depth, max_depth;
};

static bool scn_jvalue(struct scn_jstate *s, uint32_t key_off);

static bool scn_jfail(struct scn_jstate *s, size_t off, const char *msg)
{
    s->js->err_off = off;
    snprintf(s->js->err, sizeof s->js->err, "%s", msg);
    return false;
}

static void scn_jskip_ws(struct scn_jstate *s)
{
    while (s->pos < s->len) {
        unsigned char c = s->t[s->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') break;
        s->pos++;
    }
}

/* Describe the byte at pos for "expected X" messages. */
static bool scn_jfail_at(struct scn_jstate *s, const char *expected)
{
    char msg[160];
    if (s->pos >= s->len) {
        snprintf(msg, sizeof msg, "unexpected end of file (expected %s)", expected);
        return scn_jfail(s, s->pos, msg);
    }
    unsigned char c = s->t[s->pos];
    if (c == '/' && s->pos + 1 < s->len && (s->t[s->pos + 1] == '/' || s->t[s->pos + 1] == '*')) {
        return scn_jfail(s, s->pos, "comments are not allowed in JSON");
    }
    if (c == '\'') {
        return scn_jfail(s, s->pos, "strings must use double quotes, not '");
    }
    if (c == 0) return scn_jfail(s, s->pos, "NUL byte in the file");
    if (c >= 0x21 && c < 0x7f) {
        snprintf(msg, sizeof msg, "expected %s, not '%c'", expected, c);
    } else {
        snprintf(msg, sizeof msg, "expected %s, not byte 0x%02X", expected, c);
    }
    return scn_jfail(s, s->pos, msg);
}

static bool scn_jpush(struct scn_jstate *s, uint32_t key_off, size_t *idx)
{
    struct scn_jscan *js = s->js;
    if (js->n == js->cap) {
        js->cap = js->cap ? js->cap * 2 : 64;
        js->nodes = ms_xrealloc(js->nodes, js->cap * sizeof *js->nodes);
    }
    *idx = js->n;
    js->nodes[js->n].key_off = key_off;
    js->nodes[js->n].val_off = (uint32_t)s->pos;
    js->nodes[js->n].val_end = (uint32_t)s->pos;
    js->n++;
    return true;
}

static int scn_jhex(unsigned char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Four hex digits at p (bounds already checked by the caller). */
static long scn_jhex4(const unsigned char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int h = scn_jhex(p[i]);
        if (h < 0) return -1;
        v = v * 16 + h;
    }
    return v;
}

/* Length of the UTF-8 sequence at p (1..4), or 0 when it is invalid:
 * overlong forms, surrogates (U+D800..U+DFFF) and code points past
 * U+10FFFF are invalid (RFC 3629 §4). */
static size_t scn_jutf8(const unsigned char *p, size_t avail)
{
    unsigned char c = p[0];
    if (c < 0x80) return 1;
    size_t n;
    unsigned lo = 0x80, hi = 0xBF;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
        n = 3;
        if (c == 0xE0) lo = 0xA0;
        if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        if (c == 0xF0) lo = 0x90;
        if (c == 0xF4) hi = 0x8F;
    } else {
        return 0;
    }
    if (avail < n) return 0;
    if (p[1] < lo || p[1] > hi) return 0;
    for (size_t i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xBF) return 0;
    }
    return n;
}

static bool scn_jstring(struct scn_jstate *s)
{
    size_t start = s->pos;
    s->pos++; /* opening quote */
    char msg[160];
    while (s->pos < s->len) {
        unsigned char c = s->t[s->pos];
        if (c == '"') {
            s->pos++;
            return true;
        }
        if (c == '\\') {
            size_t esc = s->pos;
            if (s->pos + 1 >= s->len) break;
            unsigned char e = s->t[s->pos + 1];
            if (strchr("\"\\/bfnrt", e) && e != 0) {
                s->pos += 2;
                continue;
            }
            if (e != 'u') {
                if (e >= 0x21 && e < 0x7f) {
                    snprintf(msg, sizeof msg, "invalid escape \\%c in a string", e);
                } else {
                    snprintf(msg, sizeof msg, "invalid escape in a string");
                }
                return scn_jfail(s, esc, msg);
            }
            if (s->len - s->pos < 6 || scn_jhex4(s->t + s->pos + 2) < 0) {
                return scn_jfail(s, esc, "\\u must be followed by four hex digits");
            }
            long u = scn_jhex4(s->t + s->pos + 2);
            if (u == 0) {
                return scn_jfail(s, esc, "\\u0000 (NUL) is not allowed in strings");
            }
            s->pos += 6;
            if (u >= 0xDC00 && u <= 0xDFFF) {
                snprintf(msg, sizeof msg, "lone surrogate \\u%04lX in a string", (unsigned long)u);
                return scn_jfail(s, esc, msg);
            }
            if (u >= 0xD800 && u <= 0xDBFF) {
                long lo = -1;
                if (s->len - s->pos >= 6 && s->t[s->pos] == '\\' && s->t[s->pos + 1] == 'u') {
                    lo = scn_jhex4(s->t + s->pos + 2);
                }
                if (lo < 0xDC00 || lo > 0xDFFF) {
                    snprintf(msg, sizeof msg,
                             "lone surrogate \\u%04lX in a string (no low half after it)",
                             (unsigned long)u);
                    return scn_jfail(s, esc, msg);
                }
                s->pos += 6;
            }
            continue;
        }
        if (c < 0x20) {
            if (c == 0) return scn_jfail(s, s->pos, "NUL byte in a string");
            static const char *const names[] = {[9] = "tab (write \\t)",
                                                [10] = "line feed (write \\n)",
                                                [13] = "carriage return (write \\r)"};
            if (c < MS_ARRAY_LEN(names) && names[c]) {
                snprintf(msg, sizeof msg, "raw %s in a string", names[c]);
            } else {
                snprintf(msg, sizeof msg, "control byte 0x%02X in a string", c);
            }
            return scn_jfail(s, s->pos, msg);
        }
        size_t n = scn_jutf8(s->t + s->pos, s->len - s->pos);
        if (n == 0) {
            snprintf(msg, sizeof msg, "invalid UTF-8 (byte 0x%02X) in a string", c);
            return scn_jfail(s, s->pos, msg);
        }
        s->pos += n;
    }
    return scn_jfail(s, start, "unterminated string (no closing '\"' before the end of the file)");
}

static bool scn_jnumber(struct scn_jstate *s)
{
    size_t start = s->pos;
    const unsigned char *t = s->t;
    if (s->pos < s->len && t[s->pos] == '-') s->pos++;
    if (s->pos >= s->len || !(t[s->pos] >= '0' && t[s->pos] <= '9')) {
        return scn_jfail(s, start, "invalid number (a digit must follow '-')");
    }
    if (t[s->pos] == '0') {
        s->pos++;
        if (s->pos < s->len && t[s->pos] >= '0' && t[s->pos] <= '9') {
            return scn_jfail(s, start, "invalid number (no leading zeros)");
        }
    } else {
        while (s->pos < s->len && t[s->pos] >= '0' && t[s->pos] <= '9') s->pos++;
    }
    if (s->pos < s->len && t[s->pos] == '.') {
        s->pos++;
        size_t d = s->pos;
        while (s->pos < s->len && t[s->pos] >= '0' && t[s->pos] <= '9') s->pos++;
        if (s->pos == d) return scn_jfail(s, start, "invalid number (a digit must follow '.')");
    }
    if (s->pos < s->len && (t[s->pos] == 'e' || t[s->pos] == 'E')) {
        s->pos++;
        if (s->pos < s->len && (t[s->pos] == '+' || t[s->pos] == '-')) s->pos++;
        size_t d = s->pos;
        while (s->pos < s->len && t[s->pos] >= '0' && t[s->pos] <= '9') s->pos++;
        if (s->pos == d)
            return scn_jfail(s, start, "invalid number (a digit must follow the exponent)");
    }
    if (s->pos - start > SCN_JNUM_MAX) {
        return scn_jfail(s, start, "number literal longer than 63 characters");
    }
    return true;
}

static bool scn_jliteral(struct scn_jstate *s, const char *word)
{
    size_t n = strlen(word);
    if (s->len - s->pos >= n && memcmp(s->t + s->pos, word, n) == 0) {
        s->pos += n;
        return true;
    }
    return scn_jfail_at(s, "a value (object, array, string, number, true, false or null)");
}

static bool scn_jcontainer(struct scn_jstate *s, bool is_obj)
{
    char close = is_obj ? '}' : ']';
    size_t open = s->pos;
    if (++s->depth > s->max_depth) {
        char msg[96];
        snprintf(msg, sizeof msg, "nesting deeper than %d levels", s->max_depth);
        return scn_jfail(s, open, msg);
    }
    s->pos++;
    scn_jskip_ws(s);
    if (s->pos < s->len && s->t[s->pos] == (unsigned char)close) {
        s->pos++;
        s->depth--;
        return true;
    }
    for (;;) {
        uint32_t key_off = SCN_JNONE;
        if (is_obj) {
            if (s->pos >= s->len || s->t[s->pos] != '"') {
                return scn_jfail_at(s, "a member name in double quotes");
            }
            key_off = (uint32_t)s->pos;
            if (!scn_jstring(s)) return false;
            scn_jskip_ws(s);
            if (s->pos >= s->len || s->t[s->pos] != ':')
                return scn_jfail_at(s, "':' after the member name");
            s->pos++;
            scn_jskip_ws(s);
        }
        if (!scn_jvalue(s, key_off)) return false;
        scn_jskip_ws(s);
        if (s->pos < s->len && s->t[s->pos] == ',') {
            size_t comma = s->pos;
            s->pos++;
            scn_jskip_ws(s);
            if (s->pos < s->len && s->t[s->pos] == (unsigned char)close) {
                return scn_jfail(s, comma,
                                 is_obj ? "trailing comma before '}'"
                                        : "trailing comma before ']'");
            }
            continue;
        }
        if (s->pos < s->len && s->t[s->pos] == (unsigned char)close) {
            s->pos++;
            s->depth--;
            return true;
        }
        if (s->pos >= s->len) {
            char msg[160];
            unsigned line, col;
            scn_jscan_linecol((const char *)s->t, s->len, open, &line, &col);
            snprintf(msg, sizeof msg,
                     "unexpected end of file (expected '%c' to close the %s opened at %u:%u)",
                     close, is_obj ? "object" : "array", line, col);
            return scn_jfail(s, s->pos, msg);
        }
        return scn_jfail_at(s, is_obj ? "',' or '}' after an object member"
                                      : "',' or ']' after an array element");
    }
}

static bool scn_jvalue(struct scn_jstate *s, uint32_t key_off)
{
    if (s->pos >= s->len) {
        return scn_jfail_at(s, "a value (object, array, string, number, true, false or null)");
    }
    size_t idx;
    scn_jpush(s, key_off, &idx);
    bool ok;
    switch (s->t[s->pos]) {
    case '{':
        ok = scn_jcontainer(s, true);
        break;
    case '[':
        ok = scn_jcontainer(s, false);
        break;
    case '"':
        ok = scn_jstring(s);
        break;
    case 't':
        ok = scn_jliteral(s, "true");
        break;
    case 'f':
        ok = scn_jliteral(s, "false");
        break;
    case 'n':
        ok = scn_jliteral(s, "null");
        break;
    default:
        if (s->t[s->pos] == '-' || (s->t[s->pos] >= '0' && s->t[s->pos] <= '9')) {
            ok = scn_jnumber(s);
        } else {
            ok = scn_jfail_at(s, "a value (object, array, string, number, true, false or null)");
        }
        break;
    }
    if (ok) s->js->nodes[idx].val_end = (uint32_t)s->pos;
    return ok;
}

bool scn_jscan_run(struct scn_jscan *js, const char *text, size_t len, int max_depth)
{
    memset(js, 0, sizeof *js);
    struct scn_jstate s = {js, (const unsigned char *)text, len, 0, 0, max_depth};
    if (len >= UINT32_MAX) return scn_jfail(&s, 0, "file too big");
    scn_jskip_ws(&s);
    if (s.pos >= len) return scn_jfail(&s, s.pos, "empty file (expected a JSON object)");
    if (!scn_jvalue(&s, SCN_JNONE)) return false;
    scn_jskip_ws(&s);
    if (s.pos < len) {
        if (s.t[s.pos] == 0) return scn_jfail(&s, s.pos, "NUL byte in the file");
        return scn_jfail(&s, s.pos, "unexpected text after the end of the top-level value");
    }
    return true;
}

void scn_jscan_free(struct scn_jscan *js)
{
    free(js->nodes);
    js->nodes = NULL;
    js->n = js->cap = 0;
}

void scn_jscan_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col)
{
    unsigned l = 1, c = 1;
    if (off > len) off = len;
    /* A UTF-8 byte order mark is invisible in every editor: no column. */
    size_t i0 = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 && off >= 3 ? 3 : 0;
    for (size_t i = i0; i < off; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\n') {
            l++;
            c = 1;
        } else if ((ch & 0xC0) != 0x80) {
            c++;
        }
    }
    *line = l;
    *col = c;
}
