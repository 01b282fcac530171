/* ua_eml.c -- a real message file sent as it is (see ua_eml.h). */
#include "mail/ua_eml.h"
#include "core/buf.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const struct scn_attachment *ua_eml_of(const struct scn_message *m)
{
    if (m->n_attachments == 1 && m->attachments[0].kind == SCN_ATTACH_EML)
        return &m->attachments[0];
    return NULL;
}

static bool ua_eml_fail(struct ms_error *err, const char *fmt, ...) MS_PRINTF(2, 3);

static bool ua_eml_fail(struct ms_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, 1, "message file", fmt, ap);
    va_end(ap);
    return false;
}

/* True when line[0..n) is the first line of a header field: a field name
 * of printable ASCII other than ':' (RFC 5322 §2.2, §3.6.8) and a colon. */
static bool ua_eml_is_field(const unsigned char *line, size_t n)
{
    size_t i = 0;
    while (i < n && line[i] >= 33 && line[i] <= 126 && line[i] != ':') i++;
    return i > 0 && i < n && line[i] == ':';
}

bool ua_eml_prepare(const unsigned char *data, size_t len, struct msg_buf *out,
                    struct ms_error *err)
{
    if (!data) return ua_eml_fail(err, "the file was not read");
    if (len == 0) return ua_eml_fail(err, "the file is empty");
    /* Check everything first, so a refused file adds nothing to out. */
    bool in_header = true;
    size_t lineno = 0;
    for (size_t p = 0; p < len;) {
        size_t e = p;
        while (e < len && data[e] != '\n') e++;
        size_t n = e; /* the line without its CRLF or LF */
        if (n > p && data[n - 1] == '\r' && e < len) n--;
        lineno++;
        const unsigned char *nul = memchr(data + p, '\0', n - p);
        if (nul) return ua_eml_fail(err, "line %zu has a NUL byte (SMTP cannot carry it)", lineno);
        if (memchr(data + p, '\r', n - p))
            return ua_eml_fail(err, "line %zu has a bare CR (not a line end in RFC 5322)", lineno);
        if (n - p > 998) /* RFC 5321 §4.5.3.1.6 */
            return ua_eml_fail(err, "line %zu is %zu octets, over SMTP's limit of 998", lineno,
                               n - p);
        if (in_header) {
            if (n == p) {
                if (lineno == 1) return ua_eml_fail(err, "it has no header block: line 1 is empty");
                in_header = false;
            } else if (data[p] == ' ' || data[p] == '\t') {
                if (lineno == 1)
                    return ua_eml_fail(err, "it has no header block: line 1 is not a header field");
            } else if (!ua_eml_is_field(data + p, n - p)) {
                if (lineno == 1)
                    return ua_eml_fail(err, "it has no header block: line 1 is not a header field");
                return ua_eml_fail(err, "line %zu in the header block is not a header field",
                                   lineno);
            }
        }
        p = e < len ? e + 1 : e;
    }
    /* RFC 5322 §2.3: CR and LF only together, as CRLF. */
    for (size_t i = 0; i < len; i++) {
        if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r')) msg_buf_add(out, "\r", 1);
        msg_buf_add(out, &data[i], 1);
    }
    if (data[len - 1] != '\n') msg_buf_add(out, "\r\n", 2);
    return true;
}

bool ua_eml_import(struct scn_scenario *s, const char *name, const unsigned char *data, size_t len,
                   struct ms_error *err)
{
    struct scn_action *a = NULL;
    for (size_t i = 0; i < s->n_timeline && !a; i++)
        if (s->timeline[i].kind == SCN_ACT_SEND) a = &s->timeline[i];
    if (!a) return ua_eml_fail(err, "the scenario has no \"send\" to replace");
    struct msg_buf check = {0};
    bool ok = ua_eml_prepare(data, len, &check, err);
    msg_buf_free(&check);
    if (!ok) return false;
    struct scn_message *m = &a->u.send.msg;
    for (size_t i = 0; i < m->n_attachments; i++) {
        struct scn_attachment *t = &m->attachments[i];
        free(t->name);
        free(t->type);
        free(t->path);
        free(t->data);
    }
    free(m->attachments);
    free(m->subject);
    free(m->body);
    free(m->html);
    m->subject = ms_xstrdup("");
    m->body = ms_xstrdup("");
    m->html = NULL;
    m->attachments = ms_xcalloc(1, sizeof *m->attachments);
    m->n_attachments = 1;
    struct scn_attachment *t = &m->attachments[0];
    const char *base = strrchr(name, '/');
    t->kind = SCN_ATTACH_EML;
    t->name = ms_xstrdup(base ? base + 1 : name);
    t->type = ms_xstrdup("message/rfc822");
    t->path = ms_xstrdup(t->name);
    t->size = len;
    t->data = (unsigned char *)ms_xmemdup(data, len);
    return true;
}

bool ua_eml_import_file(struct scn_scenario *s, const char *path, struct ms_error *err)
{
    FILE *f = fopen(path, "rb");
    if (!f) return ua_eml_fail(err, "cannot read it: %s", strerror(errno));
    struct buf b;
    buf_init(&b, SCN_MAX_MESSAGE_BYTES);
    char chunk[16384];
    size_t got;
    bool fits = true;
    while (fits && (got = fread(chunk, 1, sizeof chunk, f)) > 0) fits = buf_add(&b, chunk, got);
    bool bad = ferror(f) != 0;
    fclose(f);
    bool ok;
    if (bad)
        ok = ua_eml_fail(err, "cannot read it: %s", strerror(errno));
    else if (!fits)
        ok = ua_eml_fail(err, "it is larger than the limit of %llu bytes",
                         (unsigned long long)SCN_MAX_MESSAGE_BYTES);
    else
        ok = ua_eml_import(s, path, (const unsigned char *)b.data, b.len, err);
    buf_free(&b);
    return ok;
}
