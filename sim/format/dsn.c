/* dsn.c -- RFC 3464 delivery status notifications in RFC 6522 reports. */
#include "format/dsn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/mime.h"

static bool dsn_fail(struct ms_error *err, const char *fmt, ...) MS_PRINTF(2, 3);
static bool dsn_status_ok(const char *st, enum dsn_action a);
static bool dsn_clean(const char *s);
static void dsn_add_clean(struct msg_buf *b, const char *s, size_t max_len);

static bool dsn_fail(struct ms_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, 1, "dsn", fmt, ap);
    va_end(ap);
    return false;
}

size_t dsn_sanitize(const char *s, size_t n, char *out, size_t max_len)
{
    size_t o = 0;
    for (size_t i = 0; i < n && o < max_len; i++) {
        unsigned char c = (unsigned char)s[i];
        out[o++] = c >= 32 && c < 127 ? (char)c : '?';
    }
    if (n > max_len) {
        memcpy(out + o, "...", 3);
        o += 3;
    }
    out[o] = '\0';
    return o;
}

static void dsn_add_clean(struct msg_buf *b, const char *s, size_t max_len)
{
    char *tmp = ms_xmalloc(max_len + 4);
    size_t n = dsn_sanitize(s, strlen(s), tmp, max_len);
    msg_buf_add(b, tmp, n);
    free(tmp);
}

/* RFC 3463 §2: class "." subject "." detail, class 2, 4 or 5, subject up to
 * three digits, detail up to three digits. failed needs 5, delayed 4. */
static bool dsn_status_ok(const char *st, enum dsn_action a)
{
    if (!st || !(st[0] == (a == DSN_FAILED ? '5' : '4')) || st[1] != '.') return false;
    const char *p = st + 2;
    for (int part = 0; part < 2; part++) {
        int d = 0;
        while (*p >= '0' && *p <= '9' && d < 3) p++, d++;
        if (d == 0) return false;
        if (part == 0 && *p++ != '.') return false;
    }
    return *p == '\0';
}

/* A name from the simulation: printable ASCII without spaces. */
static bool dsn_clean(const char *s)
{
    if (!s || !*s) return false;
    for (; *s; s++)
        if ((unsigned char)*s <= 32 || (unsigned char)*s >= 127) return false;
    return true;
}

bool dsn_build(struct msg_buf *out, const struct dsn_spec *s, struct ms_error *err)
{
    if (s->n_rcpts == 0) return dsn_fail(err, "dsn: empty recipient list");
    if (s->n_rcpts > DSN_MAX_RECIPIENTS)
        return dsn_fail(err, "dsn: %zu recipients (at most %d)", s->n_rcpts, DSN_MAX_RECIPIENTS);
    if (!s->to || !*s->to)
        return dsn_fail(err, "dsn: no sender to notify (never bounce a bounce: RFC 5321 §6.1)");
    if (!dsn_clean(s->to) || !strchr(s->to, '@'))
        return dsn_fail(err, "dsn: bad sender address \"%.60s\"", s->to);
    if (!dsn_clean(s->reporting_mta))
        return dsn_fail(err, "dsn: bad reporting MTA name \"%.60s\"",
                        s->reporting_mta ? s->reporting_mta : "(null)");
    if (!dsn_clean(s->domain))
        return dsn_fail(err, "dsn: bad domain \"%.60s\"", s->domain ? s->domain : "(null)");
    bool any_failed = false;
    for (size_t i = 0; i < s->n_rcpts; i++) {
        const struct dsn_recipient *r = &s->rcpts[i];
        if (!dsn_clean(r->addr))
            return dsn_fail(err, "dsn: recipient %zu: bad address \"%.60s\"", i,
                            r->addr ? r->addr : "(null)");
        if (!dsn_status_ok(r->status, r->action))
            return dsn_fail(err, "dsn: recipient %zu: status \"%.20s\" does not fit action %s", i,
                            r->status ? r->status : "(null)",
                            r->action == DSN_FAILED ? "failed (5.x.x)" : "delayed (4.x.x)");
        if (r->remote_mta && !dsn_clean(r->remote_mta))
            return dsn_fail(err, "dsn: recipient %zu: bad remote MTA \"%.60s\"", i, r->remote_mta);
        any_failed |= r->action == DSN_FAILED;
    }

    char arrival[MSG_DATE_SIZE];
    msg_format_date(s->arrival, s->epoch_unix, arrival);

    /* Part 1: for people. */
    struct msg_buf text = {0};
    msg_buf_addf(&text, "This is the mail delivery system at %s.\r\n\r\n", s->reporting_mta);
    if (any_failed)
        msg_buf_adds(&text, "Your message could not be delivered to one or more recipients.\r\n"
                            "This is a permanent error: the mail system has given up.\r\n");
    else
        msg_buf_adds(&text, "Your message has not been delivered yet to one or more recipients.\r\n"
                            "The mail system will keep trying; you need not send it again.\r\n");
    msg_buf_addf(&text, "Your message was received %s;\r\nits header is attached.\r\n", arrival);
    for (size_t i = 0; i < s->n_rcpts; i++) {
        const struct dsn_recipient *r = &s->rcpts[i];
        msg_buf_addf(&text, "\r\n<%s>: %s (status %s)\r\n", r->addr,
                     r->action == DSN_FAILED ? "delivery failed" : "delivery delayed", r->status);
        if (r->reason) {
            msg_buf_adds(&text, "    Reason: ");
            dsn_add_clean(&text, r->reason, 300);
            msg_buf_adds(&text, "\r\n");
        }
        if (r->remote_mta) msg_buf_addf(&text, "    Remote server: %s\r\n", r->remote_mta);
        if (r->diagnostic) {
            msg_buf_adds(&text, "    It replied: ");
            dsn_add_clean(&text, r->diagnostic, 400);
            msg_buf_adds(&text, "\r\n");
        }
    }

    /* Part 2: for programs (RFC 3464 §2.1: groups of fields, each group
     * ended by an empty line). */
    struct msg_buf ds = {0};
    msg_buf_addf(&ds, "Reporting-MTA: dns; %s\r\n", s->reporting_mta);
    msg_buf_addf(&ds, "Arrival-Date: %s\r\n", arrival);
    for (size_t i = 0; i < s->n_rcpts; i++) {
        const struct dsn_recipient *r = &s->rcpts[i];
        char last[MSG_DATE_SIZE];
        msg_format_date(r->last_attempt, s->epoch_unix, last);
        msg_buf_addf(&ds, "\r\nFinal-Recipient: rfc822; %s\r\n", r->addr);
        msg_buf_addf(&ds, "Action: %s\r\n", r->action == DSN_FAILED ? "failed" : "delayed");
        msg_buf_addf(&ds, "Status: %s\r\n", r->status);
        if (r->remote_mta) msg_buf_addf(&ds, "Remote-MTA: dns; %s\r\n", r->remote_mta);
        if (r->diagnostic) {
            msg_buf_adds(&ds, "Diagnostic-Code: smtp; ");
            dsn_add_clean(&ds, r->diagnostic, 400);
            msg_buf_adds(&ds, "\r\n");
        }
        msg_buf_addf(&ds, "Last-Attempt-Date: %s\r\n", last);
    }

    /* Part 3: the original header, without its empty line. */
    struct msg_split sp;
    msg_split(s->original ? s->original : "", s->original_len, &sp);
    size_t hl = sp.hdr_len;
    const char *o = s->original;
    if (hl >= 2 && o[hl - 2] == '\r' && o[hl - 1] == '\n' && (hl == 2 || o[hl - 3] == '\n'))
        hl -= 2;
    else if (hl >= 1 && o[hl - 1] == '\n' && (hl == 1 || o[hl - 2] == '\n'))
        hl -= 1;

    struct mime_node parts[3];
    memset(parts, 0, sizeof parts);
    parts[0].leaf = (struct mime_leaf){.type = "text",
                                       .subtype = "plain",
                                       .charset = "us-ascii",
                                       .description = "Notification",
                                       .cte = MIME_CTE_7BIT,
                                       .content = (const unsigned char *)text.data,
                                       .len = text.len};
    parts[1].leaf = (struct mime_leaf){.type = "message",
                                       .subtype = "delivery-status",
                                       .description = "Delivery report",
                                       .cte = MIME_CTE_7BIT,
                                       .content = (const unsigned char *)ds.data,
                                       .len = ds.len};
    parts[2].leaf = (struct mime_leaf){.type = "text",
                                       .subtype = "rfc822-headers",
                                       .description = "Undelivered message headers",
                                       .cte = MIME_CTE_OTHER,
                                       .content = (const unsigned char *)s->original,
                                       .len = hl};
    struct mime_node report = {.is_multipart = true,
                               .subtype = "report",
                               .report_type = "delivery-status",
                               .children = parts,
                               .n_children = 3,
                               .preamble = "This is a MIME-encapsulated delivery status "
                                           "notification."};
    struct msg_buf fields = {0}, body = {0}, mid = {0}, msg = {0};
    bool ok = mime_build(&fields, &body, &report, s->seed ^ s->serial, err) == MIME_OK;
    if (ok)
        ok = msg_make_message_id(&mid, s->seed, s->serial, s->to, strlen(s->to), s->reporting_mta,
                                 strlen(s->reporting_mta)) == MSG_OK;
    if (ok) {
        struct msg_buf daemon = {0};
        msg_buf_addf(&daemon, "MAILER-DAEMON@%s", s->domain);
        struct msg_mailbox from = {"Mail Delivery Subsystem", daemon.data};
        struct msg_mailbox to = {NULL, s->to};
        struct msg_header_spec h = {.from = from,
                                    .to = &to,
                                    .n_to = 1,
                                    .subject = any_failed ? "Undelivered Mail Returned to Sender"
                                                          : "Delayed Mail (still being retried)",
                                    .date_t = s->now,
                                    .epoch_unix = s->epoch_unix,
                                    .message_id = mid.data,
                                    .extra_fields = NULL,
                                    .extra_len = 0};
        /* RFC 3834 §5: automatic replies are marked so nobody answers them. */
        struct msg_buf extra = {0};
        msg_buf_adds(&extra, "Auto-Submitted: auto-replied\r\n");
        msg_buf_add(&extra, fields.data, fields.len);
        h.extra_fields = extra.data;
        h.extra_len = extra.len;
        ok = msg_build_header(&msg, &h, err) == MSG_OK;
        msg_buf_free(&extra);
        msg_buf_free(&daemon);
    }
    if (ok) {
        msg_buf_add(&msg, body.data, body.len);
        msg_buf_add(out, msg.data, msg.len);
    }
    msg_buf_free(&text);
    msg_buf_free(&ds);
    msg_buf_free(&fields);
    msg_buf_free(&body);
    msg_buf_free(&mid);
    msg_buf_free(&msg);
    return ok;
}

bool dsn_read(const char *msg, size_t len, struct dsn_report *out)
{
    memset(out, 0, sizeof *out);
    struct mime_tree t;
    mime_parse(&t, msg, len);
    const struct mime_part *root = &t.parts[0];
    const struct mime_str *rt = mime_param_get(root, "report-type");
    bool ok = root->is_multipart && root->subtype.len == 6 &&
              !memcmp(root->subtype.p, "report", 6) && rt && rt->len == 15 &&
              !strncmp(rt->p, "delivery-status", 15);
    const struct mime_part *ds = NULL;
    for (int c = ok ? root->first_child : -1; c >= 0; c = t.parts[c].next_sibling) {
        const struct mime_part *p = &t.parts[c];
        if (!strcmp(p->type.p, "message") && !strcmp(p->subtype.p, "delivery-status") && !ds)
            ds = p;
        else if (ds && ((!strcmp(p->type.p, "text") && !strcmp(p->subtype.p, "rfc822-headers")) ||
                        (!strcmp(p->type.p, "message") && !strcmp(p->subtype.p, "rfc822"))))
            out->has_headers = true;
    }
    if (!ds) {
        mime_tree_free(&t);
        memset(out, 0, sizeof *out);
        return false;
    }
    const char *b = msg + ds->body_off;
    size_t n = ds->body_len, pos = 0;
    bool first = true;
    out->rcpts = ms_xcalloc(DSN_MAX_RECIPIENTS, sizeof *out->rcpts);
    while (pos < n) {
        struct msg_split sp;
        msg_split(b + pos, n - pos, &sp);
        const char *g = b + pos;
        size_t gl = sp.hdr_len;
        struct msg_field_iter it;
        struct msg_field f;
        msg_fields_begin(&it, g, gl);
        bool empty = !msg_fields_next(&it, &f);
        if (!empty && first) {
            out->reporting_mta = msg_header_get(g, gl, "reporting-mta", NULL);
            first = false;
        } else if (!empty && out->n_rcpts < DSN_MAX_RECIPIENTS) {
            struct dsn_report_rcpt *r = &out->rcpts[out->n_rcpts++];
            r->final_recipient = msg_header_get(g, gl, "final-recipient", NULL);
            r->action = msg_header_get(g, gl, "action", NULL);
            r->status = msg_header_get(g, gl, "status", NULL);
            r->remote_mta = msg_header_get(g, gl, "remote-mta", NULL);
            r->diagnostic = msg_header_get(g, gl, "diagnostic-code", NULL);
        }
        if (sp.body_off == 0) break; /* cannot happen: a group has a line */
        pos += sp.body_off;
    }
    mime_tree_free(&t);
    return true;
}

void dsn_report_free(struct dsn_report *r)
{
    free(r->reporting_mta);
    for (size_t i = 0; i < r->n_rcpts; i++) {
        free(r->rcpts[i].final_recipient);
        free(r->rcpts[i].action);
        free(r->rcpts[i].status);
        free(r->rcpts[i].remote_mta);
        free(r->rcpts[i].diagnostic);
    }
    free(r->rcpts);
    memset(r, 0, sizeof *r);
}
