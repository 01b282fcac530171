/* webmail.c -- webmail pages and form decoding, pure functions (see webmail.h). */
#include "mail/webmail.h"
#include "core/buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- a growing string ----------------------------------------------------------- */

static void webmail_sb_esc(struct buf *b, const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        switch (c) {
        case '&':
            buf_adds(b, "&amp;");
            break;
        case '<':
            buf_adds(b, "&lt;");
            break;
        case '>':
            buf_adds(b, "&gt;");
            break;
        case '"':
            buf_adds(b, "&quot;");
            break;
        case '\'':
            buf_adds(b, "&#39;");
            break;
        default:
            if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7f) {
                buf_adds(b, "\xef\xbf\xbd"); /* U+FFFD */
            } else {
                buf_add(b, (const char *)&c, 1);
            }
        }
    }
}

static void webmail_sb_escs(struct buf *b, const char *s)
{
    if (s) webmail_sb_esc(b, s, strlen(s));
}

char *webmail_escape(const char *s, size_t len)
{
    struct buf b = {0};
    webmail_sb_esc(&b, s, len);
    return buf_take(&b, NULL);
}

/* ---- routing ---------------------------------------------------------------------- */

static int webmail_hex(char c)
{
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

/* Compare the path part of target (before '?') with path. */
static bool webmail_path_is(const char *target, size_t plen, const char *path)
{
    return plen == strlen(path) && memcmp(target, path, plen) == 0;
}

enum webmail_route webmail_route(const char *method, const char *target, char *uid, size_t uid_cap)
{
    bool get = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0;
    bool post = strcmp(method, "POST") == 0;
    const char *q = strchr(target, '?');
    size_t plen = q ? (size_t)(q - target) : strlen(target);
    if (webmail_path_is(target, plen, "/") || webmail_path_is(target, plen, "/inbox") ||
        webmail_path_is(target, plen, "/compose")) {
        if (!get) return WEBMAIL_BAD_METHOD;
        return target[1] == 'c' ? WEBMAIL_COMPOSE : WEBMAIL_INBOX;
    }
    if (webmail_path_is(target, plen, "/send")) return post ? WEBMAIL_SEND : WEBMAIL_BAD_METHOD;
    static const char pre[] = "/message/";
    if (plen > sizeof pre - 1 && memcmp(target, pre, sizeof pre - 1) == 0) {
        size_t o = 0;
        for (size_t i = sizeof pre - 1; i < plen; i++) {
            int c = (unsigned char)target[i];
            if (c == '%') {
                int h = i + 2 < plen ? webmail_hex(target[i + 1]) : -1;
                int l = h >= 0 ? webmail_hex(target[i + 2]) : -1;
                if (l < 0) return WEBMAIL_NOT_FOUND;
                c = h * 16 + l;
                i += 2;
            }
            if (c < 0x21 || c > 0x7e || o + 1 >= uid_cap || o >= 70) return WEBMAIL_NOT_FOUND;
            uid[o++] = (char)c;
        }
        uid[o] = '\0';
        return get ? WEBMAIL_MESSAGE : WEBMAIL_BAD_METHOD;
    }
    return WEBMAIL_NOT_FOUND;
}

/* ---- pages -------------------------------------------------------------------------- */

static void webmail_page_head(struct buf *b, const char *title)
{
    buf_adds(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>");
    webmail_sb_escs(b, title);
    buf_adds(b, "</title>\n</head>\n<body>\n");
}

static void webmail_page_tail(struct buf *b)
{
    buf_adds(b, "</body>\n</html>\n");
}

/* A link target: unreserved bytes as they are, the rest %XX (RFC 3986 §2). */
static void webmail_sb_pct(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~') {
            buf_add(b, (const char *)&c, 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 3);
        }
    }
}

char *webmail_render_inbox(const char *user, const struct webmail_summary *msgs, size_t n,
                           size_t *len)
{
    struct buf b = {0};
    char title[300];
    snprintf(title, sizeof title, "Inbox of %s", user);
    webmail_page_head(&b, title);
    buf_adds(&b, "<h1>");
    webmail_sb_escs(&b, title);
    buf_adds(&b, "</h1>\n<p><a href=\"/compose\">Write a message</a></p>\n");
    if (n == 0) {
        buf_adds(&b, "<p>No messages.</p>\n");
    } else {
        buf_adds(&b, "<table>\n<tr><th>From</th><th>Subject</th><th>Date</th><th>Size</th></tr>\n");
        for (size_t i = 0; i < n; i++) {
            buf_adds(&b, msgs[i].seen ? "<tr>" : "<tr class=\"unseen\">");
            buf_adds(&b, "<td>");
            webmail_sb_escs(&b, msgs[i].from);
            buf_adds(&b, "</td><td><a href=\"/message/");
            webmail_sb_pct(&b, msgs[i].uid);
            buf_adds(&b, "\">");
            webmail_sb_escs(&b,
                            msgs[i].subject && *msgs[i].subject ? msgs[i].subject : "(no subject)");
            buf_adds(&b, "</a></td><td>");
            webmail_sb_escs(&b, msgs[i].date);
            buf_addf(&b, "</td><td>%zu</td></tr>\n", msgs[i].size);
        }
        buf_adds(&b, "</table>\n");
    }
    webmail_page_tail(&b);
    return buf_take(&b, len);
}

char *webmail_render_message(const struct webmail_message *m, size_t *len)
{
    struct buf b = {0};
    const char *subj = m->subject && *m->subject ? m->subject : "(no subject)";
    webmail_page_head(&b, subj);
    buf_adds(&b, "<p><a href=\"/inbox\">Back to the inbox</a></p>\n<h1>");
    webmail_sb_escs(&b, subj);
    buf_adds(&b, "</h1>\n<dl>\n<dt>From</dt><dd>");
    webmail_sb_escs(&b, m->from);
    buf_adds(&b, "</dd>\n<dt>To</dt><dd>");
    webmail_sb_escs(&b, m->to);
    buf_adds(&b, "</dd>\n<dt>Date</dt><dd>");
    webmail_sb_escs(&b, m->date);
    buf_adds(&b, "</dd>\n</dl>\n<pre>");
    /* CRLF in the text part shows as LF; a lone CR is a control. */
    for (size_t i = 0; i < m->text_len; i++) {
        if (m->text[i] == '\r' && i + 1 < m->text_len && m->text[i + 1] == '\n') continue;
        webmail_sb_esc(&b, m->text + i, 1);
    }
    buf_adds(&b, "</pre>\n");
    webmail_page_tail(&b);
    return buf_take(&b, len);
}

char *webmail_render_compose(const char *from, const char *token, const char *error, size_t *len)
{
    struct buf b = {0};
    webmail_page_head(&b, "New message");
    buf_adds(&b, "<p><a href=\"/inbox\">Back to the inbox</a></p>\n<h1>New message</h1>\n");
    if (error) {
        buf_adds(&b, "<p class=\"error\">");
        webmail_sb_escs(&b, error);
        buf_adds(&b, "</p>\n");
    }
    buf_adds(&b, "<form method=\"post\" action=\"/send\" "
                 "enctype=\"application/x-www-form-urlencoded\">\n");
    if (token) {
        /* Only a page of this origin can read it: a cross-site form cannot
         * send it (the synchronizer token pattern, OWASP CSRF cheat sheet). */
        buf_adds(&b, "<input type=\"hidden\" name=\"token\" value=\"");
        webmail_sb_escs(&b, token);
        buf_adds(&b, "\">\n");
    }
    buf_adds(&b, "<p>From: ");
    webmail_sb_escs(&b, from);
    buf_addf(&b,
             "</p>\n<p><label>To <input name=\"to\" maxlength=\"%d\"></label></p>\n"
             "<p><label>Subject <input name=\"subject\" maxlength=\"%d\"></label></p>\n",
             WEBMAIL_TO_MAX, WEBMAIL_SUBJECT_MAX);
    buf_adds(&b, "<p><textarea name=\"body\" rows=\"12\" cols=\"72\"></textarea></p>\n"
                 "<p><button type=\"submit\">Send</button></p>\n</form>\n");
    webmail_page_tail(&b);
    return buf_take(&b, len);
}

/* ---- form decoding ------------------------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when invalid
 * (overlongs, surrogates and values above U+10FFFF included; RFC 3629 §4). */
static size_t webmail_utf8_len(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    if (c < 0x80) return 1;
    size_t need;
    unsigned lo = 0x80, hi = 0xbf;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2;
    else if (c == 0xe0) {
        need = 3;
        lo = 0xa0;
    } else if (c == 0xed) {
        need = 3;
        hi = 0x9f;
    } else if (c >= 0xe1 && c <= 0xef)
        need = 3;
    else if (c == 0xf0) {
        need = 4;
        lo = 0x90;
    } else if (c == 0xf4) {
        need = 4;
        hi = 0x8f;
    } else if (c >= 0xf1 && c <= 0xf3)
        need = 4;
    else
        return 0;
    if (n < need) return 0;
    if (s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < need; i++) {
        if (s[i] < 0x80 || s[i] > 0xbf) return 0;
    }
    return need;
}

/* local@domain with atext in the local part and a dotted LDH domain. */
static bool webmail_address_ok(const char *a)
{
    const char *at = strchr(a, '@');
    if (!at || at == a || strchr(at + 1, '@') || !at[1]) return false;
    for (const char *p = a; p < at; p++) {
        unsigned char c = (unsigned char)*p;
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
        if (!ok) return false;
    }
    if (a[0] == '.' || at[-1] == '.' || strstr(a, "..")) return false;
    size_t label = 0;
    for (const char *p = at + 1; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '.') {
            if (label == 0 || p[-1] == '-') return false;
            label = 0;
            continue;
        }
        bool ok =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
        if (!ok || (label == 0 && c == '-') || ++label > 63) return false;
    }
    return label > 0 && a[strlen(a) - 1] != '-';
}

enum { WEBMAIL_F_TO, WEBMAIL_F_SUBJECT, WEBMAIL_F_BODY, WEBMAIL_F_TOKEN, WEBMAIL_F_COUNT };
static const char *const webmail_field_names[WEBMAIL_F_COUNT] = {"to", "subject", "body", "token"};
static const size_t webmail_field_max[WEBMAIL_F_COUNT] = {WEBMAIL_TO_MAX, WEBMAIL_SUBJECT_MAX,
                                                          WEBMAIL_BODY_MAX, WEBMAIL_TOKEN_MAX};

/* Percent-decode in[0..n) into out (capacity cap); -1 bad escape, -2 too long. */
static long webmail_pct_decode(const char *in, size_t n, char *out, size_t cap, size_t *bad_at)
{
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        char c = in[i];
        if (c == '%') {
            int h = i + 2 < n ? webmail_hex(in[i + 1]) : -1;
            int l = h >= 0 ? webmail_hex(in[i + 2]) : -1;
            if (l < 0) {
                *bad_at = i;
                return -1;
            }
            c = (char)(h * 16 + l);
            i += 2;
        } else if (c == '+') {
            c = ' ';
        }
        if (o == cap) return -2;
        out[o++] = c;
    }
    return (long)o;
}

bool webmail_form_decode(const char *in, size_t len, struct webmail_form *f, struct ms_error *err)
{
    memset(f, 0, sizeof *f);
    memset(err, 0, sizeof *err);
    /* The encoded form holds only printable ASCII (the encoder escapes the rest). */
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)in[i];
        if (c <= 0x20 || c >= 0x7f) {
            return ms_error_set(err, 1, "form",
                                "byte 0x%02X at offset %zu is not allowed in a form", c, i);
        }
    }
    char *val[WEBMAIL_F_COUNT] = {0};
    size_t vlen[WEBMAIL_F_COUNT] = {0};
    bool ok = true;
    size_t pos = 0;
    while (ok && pos <= len) {
        const char *amp = memchr(in + pos, '&', len - pos);
        size_t end = amp ? (size_t)(amp - in) : len;
        const char *pair = in + pos;
        size_t plen = end - pos;
        if (plen == 0) {
            ok = ms_error_set(err, 2, "form", "empty field at offset %zu", pos);
            break;
        }
        const char *eq = memchr(pair, '=', plen);
        if (!eq) {
            ok = ms_error_set(err, 2, "form", "field without '=' at offset %zu", pos);
            break;
        }
        char name[16];
        size_t bad_at = 0;
        long nl = webmail_pct_decode(pair, (size_t)(eq - pair), name, sizeof name - 1, &bad_at);
        int which = -1;
        if (nl >= 0) {
            name[nl] = '\0';
            for (int k = 0; k < WEBMAIL_F_COUNT; k++) {
                if (strlen(name) == (size_t)nl && strcmp(name, webmail_field_names[k]) == 0)
                    which = k;
            }
        }
        if (which < 0) {
            char shown[40];
            snprintf(shown, sizeof shown, "%.*s",
                     (int)((size_t)(eq - pair) > 32 ? 32 : (size_t)(eq - pair)), pair);
            ok = ms_error_set(err, 3, "form", "unknown field \"%s\"", shown);
            break;
        }
        const char *fname = webmail_field_names[which];
        if (val[which]) {
            ok = ms_error_set(err, 4, fname, "field \"%s\" given twice", fname);
            break;
        }
        size_t cap = webmail_field_max[which];
        val[which] = ms_xmalloc(cap + 1);
        long vl =
            webmail_pct_decode(eq + 1, (size_t)(pair + plen - eq - 1), val[which], cap, &bad_at);
        if (vl == -1) {
            ok = ms_error_set(err, 5, fname, "bad percent escape at offset %zu",
                              (size_t)(eq + 1 - in) + bad_at);
            break;
        }
        if (vl == -2) {
            ok = ms_error_set(err, 6, fname, "%s longer than %zu octets", fname, cap);
            break;
        }
        vlen[which] = (size_t)vl;
        val[which][vl] = '\0';
        pos = end + 1;
        if (!amp) break;
    }
    for (int k = 0; ok && k < WEBMAIL_F_COUNT; k++) {
        const char *fname = webmail_field_names[k];
        if (!val[k] && k == WEBMAIL_F_TOKEN) continue; /* optional here; the server checks */
        if (!val[k]) {
            ok = ms_error_set(err, 7, fname, "missing field \"%s\"", fname);
            break;
        }
        const unsigned char *v = (const unsigned char *)val[k];
        for (size_t i = 0; ok && i < vlen[k];) {
            unsigned char c = v[i];
            if (c == 0) {
                ok = ms_error_set(err, 8, fname, "NUL byte in %s", fname);
            } else if ((c == '\r' || c == '\n') && k != WEBMAIL_F_BODY) {
                /* header injection: CRLF must never reach To: or Subject: */
                ok = ms_error_set(err, 9, fname, "line break in %s", fname);
            } else if ((c < 0x20 && c != '\t' && c != '\r' && c != '\n') || c == 0x7f ||
                       (c == '\t' && k == WEBMAIL_F_TO)) {
                ok = ms_error_set(err, 10, fname, "control character 0x%02X in %s", c, fname);
            } else {
                size_t u = webmail_utf8_len(v + i, vlen[k] - i);
                if (u == 0) ok = ms_error_set(err, 11, fname, "invalid UTF-8 in %s", fname);
                i += u ? u : 1;
            }
        }
    }
    if (ok && vlen[WEBMAIL_F_TO] == 0) ok = ms_error_set(err, 7, "to", "missing field \"to\"");
    if (ok && !webmail_address_ok(val[WEBMAIL_F_TO])) {
        ok = ms_error_set(err, 12, "to", "\"to\" is not an address of the form local@domain");
    }
    if (ok) {
        memcpy(f->to, val[WEBMAIL_F_TO], vlen[WEBMAIL_F_TO] + 1);
        memcpy(f->subject, val[WEBMAIL_F_SUBJECT], vlen[WEBMAIL_F_SUBJECT] + 1);
        if (val[WEBMAIL_F_TOKEN]) memcpy(f->token, val[WEBMAIL_F_TOKEN], vlen[WEBMAIL_F_TOKEN] + 1);
        /* Line breaks to CRLF: CRLF, bare CR and bare LF each become one CRLF. */
        const char *s = val[WEBMAIL_F_BODY];
        size_t n = vlen[WEBMAIL_F_BODY];
        f->body = ms_xmalloc(2 * n + 1);
        size_t o = 0;
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\r' || s[i] == '\n') {
                if (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') i++;
                f->body[o++] = '\r';
                f->body[o++] = '\n';
            } else {
                f->body[o++] = s[i];
            }
        }
        f->body[o] = '\0';
        f->body_len = o;
    }
    for (int k = 0; k < WEBMAIL_F_COUNT; k++) free(val[k]);
    return ok;
}

static void webmail_sb_form(struct buf *b, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '*' || c == '-' || c == '.' || c == '_') {
            buf_add(b, (const char *)&c, 1);
        } else if (c == ' ') {
            buf_add(b, "+", 1);
        } else {
            char e[3] = {'%', hex[c >> 4], hex[c & 15]};
            buf_add(b, e, 3);
        }
    }
}

char *webmail_form_encode(const char *token, const char *to, const char *subject, const char *body,
                          size_t *len)
{
    struct buf b = {0};
    if (token) {
        buf_adds(&b, "token=");
        webmail_sb_form(&b, token);
        buf_add(&b, "&", 1);
    }
    buf_add(&b, "to=", 3);
    webmail_sb_form(&b, to ? to : "");
    buf_adds(&b, "&subject=");
    webmail_sb_form(&b, subject ? subject : "");
    buf_adds(&b, "&body=");
    webmail_sb_form(&b, body ? body : "");
    return buf_take(&b, len);
}

void webmail_form_free(struct webmail_form *f)
{
    free(f->body);
    f->body = NULL;
    f->body_len = 0;
}

bool webmail_page_token(const char *page, size_t len, char *out, size_t cap)
{
    static const char key[] = "name=\"token\" value=\"";
    size_t kl = sizeof key - 1;
    if (cap) out[0] = '\0';
    for (size_t i = 0; i + kl <= len; i++) {
        if (memcmp(page + i, key, kl) != 0) continue;
        size_t j = i + kl, o = 0;
        while (j < len && page[j] != '"' && o + 1 < cap) out[o++] = page[j++];
        if (j >= len || page[j] != '"') {
            if (cap) out[0] = '\0';
            return false;
        }
        out[o] = '\0';
        return o > 0;
    }
    return false;
}
