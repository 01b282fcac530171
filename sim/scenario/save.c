/* save.c -- model -> JSON text (scn_to_json, scn_save) and the canonical
 * field dump used by tests (scn_dump).
 *
 * Invariant: scn_load(scn_to_json(m)) has the same scn_dump as m. Saving
 * never writes over an existing file unless asked, and then only by
 * rename(2) of a complete temporary file, so a crash leaves either the old
 * or the new file (bad-inputs J10). */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/buf.h"
#include "core/dur.h"
#include "scenario/ld.h"
#include "scenario/scenario.h"

/* ------------------------------------------------------------ text buffer */

static void scn_buf_jstr(struct buf *b, const char *s)
{
    buf_add(b, "\"", 1);
    const char *run = s;
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) continue;
        buf_add(b, run, (size_t)(s - run));
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            esc[2] = '\0';
        } else if (c == '\n') {
            strcpy(esc, "\\n");
        } else if (c == '\t') {
            strcpy(esc, "\\t");
        } else {
            snprintf(esc, sizeof esc, "\\u%04x", c);
        }
        buf_add(b, esc, strlen(esc));
        run = s + 1;
    }
    buf_add(b, run, (size_t)(s - run));
    buf_add(b, "\"", 1);
}

/* Shortest %g form that reads back to the same double. */
static void scn_fmt_double(double v, char *out, size_t n)
{
    for (int prec = 1; prec <= 17; prec++) {
        snprintf(out, n, "%.*g", prec, v);
        if (strtod(out, NULL) == v) return;
    }
}

/* ------------------------------------------------------------ JSON writer */

struct scn_jw {
    struct buf b;
    int depth;
    int inl; /* depth from which members stay on one line, 0: none */
    bool first[SCN_MAX_DEPTH + 8];
};

static void scn_jw_nl(struct scn_jw *w)
{
    if (w->inl && w->depth >= w->inl) {
        buf_add(&w->b, " ", 1);
        return;
    }
    buf_add(&w->b, "\n", 1);
    for (int i = 0; i < w->depth; i++) buf_add(&w->b, "  ", 2);
}

static void scn_jw_sep(struct scn_jw *w)
{
    if (!w->first[w->depth]) buf_add(&w->b, ",", 1);
    w->first[w->depth] = false;
    scn_jw_nl(w);
}

static void scn_jw_key(struct scn_jw *w, const char *k)
{
    scn_jw_sep(w);
    scn_buf_jstr(&w->b, k);
    buf_add(&w->b, ": ", 2);
}

static void scn_jw_open(struct scn_jw *w, char c)
{
    buf_add(&w->b, &c, 1);
    w->depth++;
    w->first[w->depth] = true;
}

static void scn_jw_close(struct scn_jw *w, char c)
{
    bool empty = w->first[w->depth];
    bool inl = w->inl && w->depth >= w->inl;
    if (inl && w->depth == w->inl) w->inl = 0;
    w->depth--;
    if (!empty) {
        if (inl) {
            buf_add(&w->b, " ", 1);
        } else {
            scn_jw_nl(w);
        }
    }
    buf_add(&w->b, &c, 1);
}

/* Open an object whose members stay on one line (small records). */
static void scn_jw_open_inline(struct scn_jw *w)
{
    scn_jw_open(w, '{');
    if (!w->inl) w->inl = w->depth;
}

static void scn_jw_str(struct scn_jw *w, const char *k, const char *v)
{
    scn_jw_key(w, k);
    scn_buf_jstr(&w->b, v);
}

static void scn_jw_opt_str(struct scn_jw *w, const char *k, const char *v)
{
    if (v && v[0]) scn_jw_str(w, k, v);
}

static void scn_jw_u(struct scn_jw *w, const char *k, uint64_t v)
{
    scn_jw_key(w, k);
    buf_addf(&w->b, "%llu", (unsigned long long)v);
}

static void scn_jw_d(struct scn_jw *w, const char *k, double v)
{
    char num[40];
    scn_fmt_double(v, num, sizeof num);
    scn_jw_key(w, k);
    buf_add(&w->b, num, strlen(num));
}

static void scn_jw_b(struct scn_jw *w, const char *k, bool v)
{
    scn_jw_key(w, k);
    buf_addf(&w->b, "%s", v ? "true" : "false");
}

static void scn_jw_dur(struct scn_jw *w, const char *k, sim_us v)
{
    char d[40];
    scn_jw_str(w, k, dur_format(v, d, sizeof d));
}

/* "100Mbps" when it is a whole number of a unit, else bits per second. */
static void scn_jw_bw(struct scn_jw *w, const char *k, uint64_t bps)
{
    static const struct {
        uint64_t mult;
        const char *unit;
    } units[] = {{1000000000, "Gbps"}, {1000000, "Mbps"}, {1000, "kbps"}};
    for (size_t i = 0; i < MS_ARRAY_LEN(units); i++) {
        if (bps % units[i].mult == 0) {
            char t[40];
            snprintf(t, sizeof t, "%llu%s", (unsigned long long)(bps / units[i].mult),
                     units[i].unit);
            scn_jw_str(w, k, t);
            return;
        }
    }
    scn_jw_u(w, k, bps);
}

static void scn_jw_strv(struct scn_jw *w, const char *k, char *const *v, size_t n)
{
    scn_jw_key(w, k);
    buf_add(&w->b, "[", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) buf_add(&w->b, ", ", 2);
        scn_buf_jstr(&w->b, v[i]);
    }
    buf_add(&w->b, "]", 1);
}

static void scn_jw_chaos(struct scn_jw *w, const char *k, const struct scn_chaos *c)
{
    scn_jw_key(w, k);
    scn_jw_open(w, '{');
    scn_jw_d(w, "connect", c->connect);
    scn_jw_d(w, "greeting", c->greeting);
    scn_jw_d(w, "rcpt", c->rcpt);
    scn_jw_d(w, "data", c->data);
    scn_jw_d(w, "after_dot", c->after_dot);
    if (c->refuse != 0) scn_jw_d(w, "refuse", c->refuse);
    scn_jw_close(w, '}');
}

/* The "smtp" object of a mail server or a variant's override. */
static void scn_jw_smtp(struct scn_jw *w, bool submission, bool auth_required, bool eightbitmime,
                        bool pipelining, uint64_t size_limit, uint32_t max_recipients, bool helo,
                        const struct scn_smtp_tls *tls, const struct scn_smtp_texts *t)
{
    scn_jw_key(w, "smtp");
    scn_jw_open(w, '{');
    scn_jw_b(w, "submission", submission);
    scn_jw_b(w, "auth_required", auth_required);
    scn_jw_b(w, "8bitmime", eightbitmime);
    scn_jw_b(w, "pipelining", pipelining);
    scn_jw_u(w, "size_limit", size_limit);
    scn_jw_u(w, "max_recipients", max_recipients);
    if (helo) scn_jw_b(w, "helo", true);
    if (tls->offer) scn_jw_b(w, "starttls", true);
    if (tls->auth_needs) scn_jw_b(w, "auth_needs_starttls", true);
    if (tls->relay != SCN_TLS_OFF) scn_jw_str(w, "relay_starttls", scn_tls_use_names[tls->relay]);
    if (t->greeting || t->helo || t->mail || t->rcpt || t->data || t->queued || t->quit) {
        scn_jw_key(w, "replies");
        scn_jw_open(w, '{');
        if (t->greeting) scn_jw_str(w, "greeting", t->greeting);
        if (t->helo) scn_jw_str(w, "helo", t->helo);
        if (t->mail) scn_jw_str(w, "mail", t->mail);
        if (t->rcpt) scn_jw_str(w, "rcpt", t->rcpt);
        if (t->data) scn_jw_str(w, "data", t->data);
        if (t->queued) scn_jw_str(w, "queued", t->queued);
        if (t->quit) scn_jw_str(w, "quit", t->quit);
        scn_jw_close(w, '}');
    }
    scn_jw_close(w, '}');
}

static bool scn_chaos_zero(const struct scn_chaos *c)
{
    return c->connect == 0 && c->greeting == 0 && c->rcpt == 0 && c->data == 0 &&
           c->after_dot == 0 && c->refuse == 0;
}

static void scn_jw_epoch(struct scn_jw *w, int64_t epoch, int32_t tz)
{
    int64_t local = epoch + (int64_t)tz * 60;
    int64_t days = local >= 0 ? local / 86400 : -((-local + 86399) / 86400);
    int64_t secs = local - days * 86400, y;
    unsigned m, d;
    scn_civil_from_days(days, &y, &m, &d);
    char zone[16];
    if (tz == 0) {
        strcpy(zone, "Z");
    } else {
        int32_t a = tz < 0 ? -tz : tz;
        snprintf(zone, sizeof zone, "%c%02d:%02d", tz < 0 ? '-' : '+', (int)(a / 60),
                 (int)(a % 60));
    }
    char text[64];
    snprintf(text, sizeof text, "%04lld-%02u-%02uT%02d:%02d:%02d%s", (long long)y, m, d,
             (int)(secs / 3600), (int)(secs / 60 % 60), (int)(secs % 60), zone);
    scn_jw_str(w, "epoch", text);
}

static void scn_jw_message(struct scn_jw *w, const struct scn_message *m)
{
    bool eml = m->n_attachments == 1 && m->attachments[0].kind == SCN_ATTACH_EML;
    if (m->n_to) scn_jw_strv(w, "to", m->to, m->n_to);
    if (m->n_cc) scn_jw_strv(w, "cc", m->cc, m->n_cc);
    if (m->n_bcc) scn_jw_strv(w, "bcc", m->bcc, m->n_bcc);
    if (!eml) {
        scn_jw_str(w, "subject", m->subject);
        scn_jw_str(w, "body", m->body);
        if (m->html) scn_jw_str(w, "html", m->html);
    }
    if (!m->n_attachments) return;
    scn_jw_key(w, "attachments");
    scn_jw_open(w, '[');
    for (size_t i = 0; i < m->n_attachments; i++) {
        const struct scn_attachment *a = &m->attachments[i];
        scn_jw_sep(w);
        scn_jw_open(w, '{');
        scn_jw_str(w, "name", a->name);
        scn_jw_str(w, "type", a->type);
        if (a->kind == SCN_ATTACH_GENERATED) {
            scn_jw_u(w, "size", a->size);
        } else {
            scn_jw_str(w, "file", a->path);
            if (a->kind == SCN_ATTACH_EML) scn_jw_str(w, "kind", "eml");
        }
        scn_jw_close(w, '}');
    }
    scn_jw_close(w, ']');
}

static void scn_jw_action(struct scn_jw *w, const struct scn_scenario *s,
                          const struct scn_action *a)
{
    const struct scn_host *H = s->hosts;
    scn_jw_sep(w);
    scn_jw_open(w, '{');
    scn_jw_dur(w, "at", a->at);
    scn_jw_str(w, "action", scn_action_kind_names[a->kind]);
    switch (a->kind) {
    case SCN_ACT_SEND:
        scn_jw_str(w, "from", a->u.send.from);
        scn_jw_str(w, "device", H[a->u.send.device].name);
        if (a->u.send.direct_delivery) scn_jw_b(w, "direct_delivery", true);
        if (a->u.send.direct_host != SCN_NONE)
            scn_jw_str(w, "direct_host", H[a->u.send.direct_host].name);
        if (a->u.send.no_auth) scn_jw_b(w, "auth", false);
        if (a->u.send.starttls != SCN_TLS_OFF)
            scn_jw_str(w, "starttls", scn_tls_use_names[a->u.send.starttls]);
        if (a->u.send.raw_body) scn_jw_b(w, "raw_body", true);
        scn_jw_message(w, &a->u.send.msg);
        break;
    case SCN_ACT_CHECK_MAIL: {
        const struct scn_check_mail *c = &a->u.check;
        scn_jw_str(w, "user", c->user);
        scn_jw_str(w, "device", H[c->device].name);
        scn_jw_str(w, "protocol", c->proto == SCN_PROTO_POP3 ? "pop3" : "imap");
        if (c->proto == SCN_PROTO_POP3)
            scn_jw_str(w, "mode", c->pop3_mode == SCN_POP3_KEEP ? "keep" : "delete");
        if (c->password) scn_jw_str(w, "password", c->password);
        if (c->retr_after_dele) scn_jw_b(w, "retr_after_dele", true);
        if (c->stay) scn_jw_b(w, "logout", false);
        if (c->n_pop3) {
            scn_jw_key(w, "pop3");
            scn_jw_open(w, '[');
            for (size_t i = 0; i < c->n_pop3; i++) {
                scn_jw_sep(w);
                scn_jw_open(w, '{');
                scn_jw_str(w, "op", scn_pop3_op_names[c->pop3[i].op]);
                if (c->pop3[i].op == SCN_POP3_WAIT) {
                    char d[32];
                    scn_jw_str(w, "for", dur_format(c->pop3[i].wait, d, sizeof d));
                }
                scn_jw_close(w, '}');
            }
            scn_jw_close(w, ']');
        }
        if (c->proto != SCN_PROTO_IMAP || c->n_imap == 0) break;
        scn_jw_key(w, "imap");
        scn_jw_open(w, '[');
        for (size_t i = 0; i < c->n_imap; i++) {
            const struct scn_imap_action *m = &c->imap[i];
            static const char *const modes[] = {"add", "remove", "replace"};
            scn_jw_sep(w);
            scn_jw_open(w, '{');
            scn_jw_str(w, "op", scn_imap_op_names[m->op]);
            if (m->mailbox) scn_jw_str(w, "mailbox", m->mailbox);
            if (m->pattern) scn_jw_str(w, "pattern", m->pattern);
            if (m->criteria) scn_jw_str(w, "criteria", m->criteria);
            if (m->set) scn_jw_str(w, "set", m->set);
            if (m->uid) scn_jw_b(w, "uid", true);
            if (m->part) scn_jw_str(w, "part", m->part);
            if (m->op == SCN_IMAP_IDLE || m->op == SCN_IMAP_WAIT) {
                char d[32];
                scn_jw_str(w, "for", dur_format(m->wait, d, sizeof d));
            }
            if (m->n_flags) {
                scn_jw_strv(w, "flags", m->flags, m->n_flags);
                scn_jw_str(w, "mode", modes[m->store_mode]);
            }
            scn_jw_close(w, '}');
        }
        scn_jw_close(w, ']');
        break;
    }
    case SCN_ACT_WEBMAIL:
        scn_jw_str(w, "user", a->u.webmail.user);
        scn_jw_str(w, "device", H[a->u.webmail.device].name);
        scn_jw_str(w, "op", scn_webmail_op_names[a->u.webmail.op]);
        if (a->u.webmail.op == SCN_WEBMAIL_READ) scn_jw_u(w, "message", a->u.webmail.message);
        if (a->u.webmail.op == SCN_WEBMAIL_SEND) scn_jw_message(w, &a->u.webmail.msg);
        break;
    case SCN_ACT_WEB_GET:
        scn_jw_str(w, "device", H[a->u.web_get.device].name);
        scn_jw_str(w, "server", H[a->u.web_get.server].name);
        scn_jw_str(w, "path", a->u.web_get.path);
        break;
    case SCN_ACT_HOST_DOWN:
    case SCN_ACT_HOST_UP:
        scn_jw_str(w, "host", H[a->u.host].name);
        break;
    case SCN_ACT_LINK_DOWN:
    case SCN_ACT_LINK_UP:
    case SCN_ACT_LINK_SET: {
        size_t li = a->kind == SCN_ACT_LINK_SET ? a->u.link_set.link : a->u.link;
        scn_jw_str(w, "a", H[s->links[li].a].name);
        scn_jw_str(w, "b", H[s->links[li].b].name);
        if (a->kind != SCN_ACT_LINK_SET) break;
        if (a->u.link_set.has_latency) scn_jw_dur(w, "latency", a->u.link_set.latency);
        if (a->u.link_set.has_bandwidth) scn_jw_bw(w, "bandwidth", a->u.link_set.bandwidth_bps);
        if (a->u.link_set.has_loss) scn_jw_d(w, "loss", a->u.link_set.loss);
        break;
    }
    case SCN_ACT_SERVER_SET:
        scn_jw_str(w, "host", H[a->u.server_set.host].name);
        if (a->u.server_set.has_retry_interval)
            scn_jw_dur(w, "retry_interval", a->u.server_set.retry_interval);
        if (a->u.server_set.has_give_up) scn_jw_dur(w, "give_up", a->u.server_set.give_up);
        break;
    case SCN_ACT_NARRATE:
        if (a->id) scn_jw_str(w, "id", a->id);
        if (a->replace_by_time) scn_jw_b(w, "replace", true);
        scn_jw_str(w, "text", a->u.text);
        break;
    case SCN_ACT_TCP_TRANSFER:
        scn_jw_str(w, "from", H[a->u.tcp.from].name);
        scn_jw_str(w, "to", H[a->u.tcp.to].name);
        scn_jw_u(w, "port", a->u.tcp.port);
        scn_jw_u(w, "bytes", a->u.tcp.bytes);
        break;
    case SCN_ACT_KIND_COUNT:
        break;
    }
    scn_jw_close(w, '}');
}

static void scn_jw_timeline(struct scn_jw *w, const struct scn_scenario *s,
                            const struct scn_action *t, size_t n)
{
    scn_jw_key(w, "timeline");
    scn_jw_open(w, '[');
    for (size_t i = 0; i < n; i++) scn_jw_action(w, s, &t[i]);
    scn_jw_close(w, ']');
}

static void scn_jw_host(struct scn_jw *w, const struct scn_scenario *s, const struct scn_host *h)
{
    scn_jw_sep(w);
    scn_jw_open(w, '{');
    scn_jw_str(w, "name", h->name);
    scn_jw_str(w, "kind", scn_host_kind_names[h->kind]);
    if (h->has_ipv4) {
        char ip[20];
        snprintf(ip, sizeof ip, "%u.%u.%u.%u", h->ipv4 >> 24, h->ipv4 >> 16 & 255,
                 h->ipv4 >> 8 & 255, h->ipv4 & 255);
        scn_jw_str(w, "ip", ip);
    }
    if (h->has_pos) {
        scn_jw_key(w, "pos");
        scn_jw_open_inline(w);
        scn_jw_d(w, "x", h->x);
        scn_jw_d(w, "y", h->y);
        scn_jw_close(w, '}');
    }
    if (!h->up) scn_jw_b(w, "up", false);
    if (h->owner) scn_jw_str(w, "owner", h->owner);
    if (h->kind == SCN_HOST_MAIL_SERVER) {
        const struct scn_mail_server *m = &h->mail;
        scn_jw_str(w, "domain", m->domain);
        scn_jw_key(w, "users");
        scn_jw_open(w, '[');
        for (size_t u = 0; u < m->n_users; u++) {
            scn_jw_sep(w);
            scn_jw_open_inline(w);
            scn_jw_str(w, "name", m->users[u].name);
            scn_jw_opt_str(w, "password", m->users[u].password);
            scn_jw_opt_str(w, "display_name", m->users[u].display_name);
            scn_jw_close(w, '}');
        }
        scn_jw_close(w, ']');
        scn_jw_smtp(w, m->submission, m->auth_required, m->eightbitmime, m->pipelining,
                    m->size_limit, m->max_recipients, m->helo_client, &m->tls, &m->texts);
        scn_jw_key(w, "retry");
        scn_jw_open_inline(w);
        scn_jw_dur(w, "interval", m->retry_interval);
        scn_jw_dur(w, "give_up", m->give_up);
        scn_jw_close(w, '}');
        if (m->lenient_data) scn_jw_b(w, "lenient_data", true);
        if (m->accept_bare_lf) scn_jw_b(w, "accept_bare_lf", true);
        if (m->webmail) scn_jw_b(w, "webmail", true);
        if (!scn_chaos_zero(&m->chaos)) scn_jw_chaos(w, "chaos", &m->chaos);
    }
    if (h->kind == SCN_HOST_DNS && h->dns.n_mx) {
        scn_jw_key(w, "mx");
        scn_jw_open(w, '[');
        for (size_t r = 0; r < h->dns.n_mx; r++) {
            scn_jw_sep(w);
            scn_jw_open_inline(w);
            scn_jw_str(w, "domain", h->dns.mx[r].domain);
            scn_jw_str(w, "host", s->hosts[h->dns.mx[r].host_index].name);
            scn_jw_u(w, "preference", h->dns.mx[r].preference);
            scn_jw_close(w, '}');
        }
        scn_jw_close(w, ']');
    }
    if (h->kind == SCN_HOST_WEB_SERVER) {
        scn_jw_key(w, "pages");
        scn_jw_open(w, '[');
        for (size_t p = 0; p < h->web.n_pages; p++) {
            const struct scn_web_page *pg = &h->web.pages[p];
            scn_jw_sep(w);
            scn_jw_open(w, '{');
            scn_jw_str(w, "path", pg->path);
            scn_jw_opt_str(w, "title", pg->title);
            scn_jw_u(w, "size", pg->size);
            scn_jw_key(w, "objects");
            scn_jw_open(w, '[');
            for (size_t o = 0; o < pg->n_objects; o++) {
                scn_jw_sep(w);
                scn_jw_open_inline(w);
                scn_jw_str(w, "name", pg->objects[o].name);
                scn_jw_str(w, "type", pg->objects[o].type);
                scn_jw_u(w, "size", pg->objects[o].size);
                scn_jw_close(w, '}');
            }
            scn_jw_close(w, ']');
            scn_jw_close(w, '}');
        }
        scn_jw_close(w, ']');
    }
    scn_jw_close(w, '}');
}

char *scn_to_json(const struct scn_scenario *s, size_t *len)
{
    struct scn_jw w;
    memset(&w, 0, sizeof w);
    w.first[0] = true;
    scn_jw_open(&w, '{');
    if (s->schema) scn_jw_str(&w, "$schema", s->schema);
    scn_jw_str(&w, "title", s->title);
    scn_jw_opt_str(&w, "description", s->description);
    scn_jw_u(&w, "seed", s->seed);
    scn_jw_epoch(&w, s->epoch, s->epoch_tz_min);
    if (s->quiz) scn_jw_b(&w, "quiz", true);
    if (s->variant) scn_jw_str(&w, "variant", s->variant);
    scn_jw_key(&w, "hosts");
    scn_jw_open(&w, '[');
    for (size_t i = 0; i < s->n_hosts; i++) scn_jw_host(&w, s, &s->hosts[i]);
    scn_jw_close(&w, ']');
    scn_jw_key(&w, "links");
    scn_jw_open(&w, '[');
    for (size_t i = 0; i < s->n_links; i++) {
        const struct scn_link *k = &s->links[i];
        scn_jw_sep(&w);
        scn_jw_open_inline(&w);
        scn_jw_str(&w, "a", s->hosts[k->a].name);
        scn_jw_str(&w, "b", s->hosts[k->b].name);
        scn_jw_dur(&w, "latency", k->latency);
        scn_jw_bw(&w, "bandwidth", k->bandwidth_bps);
        scn_jw_d(&w, "loss", k->loss);
        scn_jw_u(&w, "mtu", k->mtu);
        if (!k->up) scn_jw_b(&w, "up", false);
        scn_jw_close(&w, '}');
    }
    scn_jw_close(&w, ']');
    scn_jw_timeline(&w, s, s->timeline, s->n_timeline);
    if (s->n_questions) {
        scn_jw_key(&w, "questions");
        scn_jw_open(&w, '[');
        for (size_t i = 0; i < s->n_questions; i++) {
            const struct scn_question *q = &s->questions[i];
            scn_jw_sep(&w);
            scn_jw_open(&w, '{');
            scn_jw_dur(&w, "at", q->at);
            scn_jw_str(&w, "question", q->text);
            scn_jw_strv(&w, "choices", q->choices, q->n_choices);
            scn_jw_u(&w, "answer", q->answer);
            scn_jw_opt_str(&w, "explain", q->explain);
            scn_jw_close(&w, '}');
        }
        scn_jw_close(&w, ']');
    }
    if (s->n_variants) {
        scn_jw_key(&w, "variants");
        scn_jw_open(&w, '[');
        for (size_t i = 0; i < s->n_variants; i++) {
            const struct scn_variant *v = &s->variants[i];
            scn_jw_sep(&w);
            scn_jw_open(&w, '{');
            scn_jw_str(&w, "name", v->name);
            scn_jw_opt_str(&w, "description", v->description);
            if (v->replace_timeline) scn_jw_b(&w, "replace_timeline", true);
            if (v->has_seed) scn_jw_u(&w, "seed", v->seed);
            if (v->n_hosts) {
                scn_jw_key(&w, "hosts");
                scn_jw_open(&w, '[');
                for (size_t k = 0; k < v->n_hosts; k++) {
                    const struct scn_host_override *o = &v->hosts[k];
                    scn_jw_sep(&w);
                    scn_jw_open(&w, '{');
                    scn_jw_str(&w, "host", s->hosts[o->host].name);
                    if (o->set & SCN_OVR_UP) scn_jw_b(&w, "up", o->up);
                    if (o->set & (SCN_OVR_RETRY_INTERVAL | SCN_OVR_GIVE_UP)) {
                        scn_jw_key(&w, "retry");
                        scn_jw_open(&w, '{');
                        if (o->set & SCN_OVR_RETRY_INTERVAL)
                            scn_jw_dur(&w, "interval", o->retry_interval);
                        if (o->set & SCN_OVR_GIVE_UP) scn_jw_dur(&w, "give_up", o->give_up);
                        scn_jw_close(&w, '}');
                    }
                    if (o->set & SCN_OVR_CHAOS) scn_jw_chaos(&w, "chaos", &o->chaos);
                    if (o->set & SCN_OVR_LENIENT_DATA)
                        scn_jw_b(&w, "lenient_data", o->lenient_data);
                    if (o->set & SCN_OVR_WEBMAIL) scn_jw_b(&w, "webmail", o->webmail);
                    if (o->set & SCN_OVR_SMTP)
                        scn_jw_smtp(&w, o->smtp.submission, o->smtp.auth_required,
                                    o->smtp.eightbitmime, o->smtp.pipelining, o->smtp.size_limit,
                                    o->smtp.max_recipients, o->smtp.helo_client, &o->smtp.tls,
                                    &o->smtp.texts);
                    scn_jw_close(&w, '}');
                }
                scn_jw_close(&w, ']');
            }
            if (v->n_timeline) scn_jw_timeline(&w, s, v->timeline, v->n_timeline);
            scn_jw_close(&w, '}');
        }
        scn_jw_close(&w, ']');
    }
    scn_jw_close(&w, '}');
    buf_add(&w.b, "\n", 1);
    return buf_take(&w.b, len);
}

static bool scn_save_error(struct scn_error *err, const char *path, const char *what, int e)
{
    if (err) {
        memset(err, 0, sizeof *err);
        snprintf(err->file, sizeof err->file, "%s", path);
        snprintf(err->msg, sizeof err->msg, "%s%s%s", what, e ? ": " : "", e ? strerror(e) : "");
        snprintf(err->text, sizeof err->text, "%s: %s", err->file, err->msg);
    }
    return false;
}

bool scn_save(const struct scn_scenario *s, const char *path, bool overwrite, struct scn_error *err)
{
    struct stat st;
    if (!overwrite && lstat(path, &st) == 0) {
        return scn_save_error(err, path, "already exists (not overwritten; choose a new name)", 0);
    }
    size_t len;
    char *text = scn_to_json(s, &len);
    size_t pl = strlen(path);
    char *tmp = ms_xmalloc(pl + 32);
    int fd = -1;
    for (unsigned i = 0; i < 100 && fd < 0; i++) {
        snprintf(tmp, pl + 32, "%s.tmp%u", path, i);
        fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0644);
        if (fd < 0 && errno != EEXIST) break;
    }
    if (fd < 0) {
        int e = errno;
        free(text);
        free(tmp);
        return scn_save_error(err, path, "cannot create a temporary file", e);
    }
    size_t done = 0;
    while (done < len) {
        ssize_t w = write(fd, text + done, len - done);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) break;
        done += (size_t)w;
    }
    int e = errno;
    bool ok = done == len && fsync(fd) == 0;
    if (!ok && done == len) e = errno;
    if (close(fd) != 0 && ok) {
        ok = false;
        e = errno;
    }
    free(text);
    if (ok && !overwrite) {
        /* link(2) fails if path appeared meanwhile: never replace by accident. */
        if (link(tmp, path) != 0) {
            e = errno;
            ok = false;
            /* File systems without hard links: check once more, then rename
             * (a small race, but never over a file that was there before). */
            struct stat st2;
            if ((e == EPERM || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP) &&
                lstat(path, &st2) != 0 && rename(tmp, path) == 0) {
                ok = true;
            }
        }
        unlink(tmp);
    } else if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = false;
    }
    if (!ok) {
        unlink(tmp);
        free(tmp);
        return scn_save_error(err, path, "cannot write", e);
    }
    free(tmp);
    return true;
}

/* ------------------------------------------------------------------ dump */

static void scn_dump_str(struct buf *b, const char *key, const char *v)
{
    buf_addf(b, "%s=", key);
    if (!v) {
        buf_add(b, "(null)\n", 7);
        return;
    }
    scn_buf_jstr(b, v);
    buf_add(b, "\n", 1);
}

static void scn_dump_message(struct buf *b, const char *p, const struct scn_message *m)
{
    char k[96];
    for (size_t i = 0; i < m->n_to; i++) {
        snprintf(k, sizeof k, "%s.to[%zu]", p, i);
        scn_dump_str(b, k, m->to[i]);
    }
    for (size_t i = 0; i < m->n_cc; i++) {
        snprintf(k, sizeof k, "%s.cc[%zu]", p, i);
        scn_dump_str(b, k, m->cc[i]);
    }
    for (size_t i = 0; i < m->n_bcc; i++) {
        snprintf(k, sizeof k, "%s.bcc[%zu]", p, i);
        scn_dump_str(b, k, m->bcc[i]);
    }
    snprintf(k, sizeof k, "%s.subject", p);
    scn_dump_str(b, k, m->subject);
    snprintf(k, sizeof k, "%s.body", p);
    scn_dump_str(b, k, m->body);
    snprintf(k, sizeof k, "%s.html", p);
    scn_dump_str(b, k, m->html);
    for (size_t i = 0; i < m->n_attachments; i++) {
        const struct scn_attachment *a = &m->attachments[i];
        buf_addf(b, "%s.attachments[%zu] kind=%s size=%llu data=%s\n", p, i,
                 scn_attach_kind_names[a->kind], (unsigned long long)a->size,
                 a->data ? "loaded" : "none");
        snprintf(k, sizeof k, "%s.attachments[%zu].name", p, i);
        scn_dump_str(b, k, a->name);
        snprintf(k, sizeof k, "%s.attachments[%zu].type", p, i);
        scn_dump_str(b, k, a->type);
        snprintf(k, sizeof k, "%s.attachments[%zu].path", p, i);
        scn_dump_str(b, k, a->path);
    }
}

static void scn_dump_chaos(struct buf *b, const char *p, const struct scn_chaos *c)
{
    buf_addf(b, "%s.chaos=%.17g,%.17g,%.17g,%.17g,%.17g\n", p, c->connect, c->greeting, c->rcpt,
             c->data, c->after_dot);
    if (c->refuse != 0) buf_addf(b, "%s.chaos.refuse=%.17g\n", p, c->refuse);
}

static void scn_dump_str(struct buf *b, const char *key, const char *v);

/* Only what differs from the defaults, so models without it dump as before. */
static void scn_dump_smtp_extra(struct buf *b, const char *p, bool helo,
                                const struct scn_smtp_tls *tls, const struct scn_smtp_texts *t)
{
    char k[160];
    if (helo) buf_addf(b, "%s.smtp.helo=1\n", p);
    if (tls->offer || tls->auth_needs || tls->relay != SCN_TLS_OFF)
        buf_addf(b, "%s.smtp.starttls=%d auth_needs_starttls=%d relay_starttls=%s\n", p, tls->offer,
                 tls->auth_needs, scn_tls_use_names[tls->relay]);
    const char *const names[7] = {"greeting", "helo", "mail", "rcpt", "data", "queued", "quit"};
    const char *const v[7] = {t->greeting, t->helo, t->mail, t->rcpt, t->data, t->queued, t->quit};
    for (int i = 0; i < 7; i++) {
        if (!v[i]) continue;
        snprintf(k, sizeof k, "%s.smtp.replies.%s", p, names[i]);
        scn_dump_str(b, k, v[i]);
    }
}

static void scn_dump_timeline(struct buf *b, const char *pre, const struct scn_action *t, size_t n)
{
    char p[64], k[128];
    for (size_t i = 0; i < n; i++) {
        const struct scn_action *a = &t[i];
        snprintf(p, sizeof p, "%s[%zu]", pre, i);
        buf_addf(b, "%s at=%lld kind=%s\n", p, (long long)a->at, scn_action_kind_names[a->kind]);
        switch (a->kind) {
        case SCN_ACT_SEND: {
            const struct scn_send *x = &a->u.send;
            snprintf(k, sizeof k, "%s.from", p);
            scn_dump_str(b, k, x->from);
            buf_addf(b, "%s from_server=%zu from_user=%zu device=%zu direct=%d direct_host=%lld\n",
                     p, x->from_server, x->from_user, x->device, x->direct_delivery,
                     x->direct_host == SCN_NONE ? -1LL : (long long)x->direct_host);
            if (x->no_auth || x->raw_body)
                buf_addf(b, "%s no_auth=%d raw_body=%d\n", p, x->no_auth, x->raw_body);
            if (x->starttls != SCN_TLS_OFF)
                buf_addf(b, "%s starttls=%s\n", p, scn_tls_use_names[x->starttls]);
            scn_dump_message(b, p, &x->msg);
            break;
        }
        case SCN_ACT_CHECK_MAIL: {
            const struct scn_check_mail *x = &a->u.check;
            snprintf(k, sizeof k, "%s.user", p);
            scn_dump_str(b, k, x->user);
            buf_addf(b,
                     "%s server=%zu user_index=%zu device=%zu proto=%d pop3_mode=%d n_imap=%zu\n",
                     p, x->server, x->user_index, x->device, (int)x->proto, (int)x->pop3_mode,
                     x->n_imap);
            if (x->retr_after_dele) buf_addf(b, "%s retr_after_dele=1\n", p);
            if (x->stay) buf_addf(b, "%s stay=1\n", p);
            for (size_t j = 0; j < x->n_pop3; j++)
                buf_addf(b, "%s.pop3[%zu] op=%s wait=%lld\n", p, j,
                         scn_pop3_op_names[x->pop3[j].op], (long long)x->pop3[j].wait);
            if (x->password) {
                snprintf(k, sizeof k, "%s.password", p);
                scn_dump_str(b, k, x->password);
            }
            for (size_t j = 0; j < x->n_imap; j++) {
                const struct scn_imap_action *m = &x->imap[j];
                buf_addf(b, "%s.imap[%zu] op=%s uid=%d mode=%d wait=%lld\n", p, j,
                         scn_imap_op_names[m->op], m->uid, (int)m->store_mode, (long long)m->wait);
                snprintf(k, sizeof k, "%s.imap[%zu].mailbox", p, j);
                scn_dump_str(b, k, m->mailbox);
                snprintf(k, sizeof k, "%s.imap[%zu].pattern", p, j);
                scn_dump_str(b, k, m->pattern);
                snprintf(k, sizeof k, "%s.imap[%zu].criteria", p, j);
                scn_dump_str(b, k, m->criteria);
                snprintf(k, sizeof k, "%s.imap[%zu].set", p, j);
                scn_dump_str(b, k, m->set);
                snprintf(k, sizeof k, "%s.imap[%zu].part", p, j);
                scn_dump_str(b, k, m->part);
                for (size_t f = 0; f < m->n_flags; f++) {
                    snprintf(k, sizeof k, "%s.imap[%zu].flags[%zu]", p, j, f);
                    scn_dump_str(b, k, m->flags[f]);
                }
            }
            break;
        }
        case SCN_ACT_WEBMAIL: {
            const struct scn_webmail *x = &a->u.webmail;
            snprintf(k, sizeof k, "%s.user", p);
            scn_dump_str(b, k, x->user);
            buf_addf(b, "%s server=%zu user_index=%zu device=%zu op=%s message=%u\n", p, x->server,
                     x->user_index, x->device, scn_webmail_op_names[x->op], x->message);
            if (x->op == SCN_WEBMAIL_SEND) scn_dump_message(b, p, &x->msg);
            break;
        }
        case SCN_ACT_WEB_GET:
            snprintf(k, sizeof k, "%s.path", p);
            scn_dump_str(b, k, a->u.web_get.path);
            buf_addf(b, "%s device=%zu server=%zu page=%zu\n", p, a->u.web_get.device,
                     a->u.web_get.server, a->u.web_get.page);
            break;
        case SCN_ACT_HOST_DOWN:
        case SCN_ACT_HOST_UP:
            buf_addf(b, "%s host=%zu\n", p, a->u.host);
            break;
        case SCN_ACT_LINK_DOWN:
        case SCN_ACT_LINK_UP:
            buf_addf(b, "%s link=%zu\n", p, a->u.link);
            break;
        case SCN_ACT_LINK_SET: {
            const struct scn_link_set *x = &a->u.link_set;
            buf_addf(b, "%s link=%zu latency=%d:%lld bandwidth=%d:%llu loss=%d:%.17g\n", p, x->link,
                     x->has_latency, (long long)x->latency, x->has_bandwidth,
                     (unsigned long long)x->bandwidth_bps, x->has_loss, x->loss);
            break;
        }
        case SCN_ACT_SERVER_SET: {
            const struct scn_server_set *x = &a->u.server_set;
            buf_addf(b, "%s host=%zu retry=%d:%lld give_up=%d:%lld\n", p, x->host,
                     x->has_retry_interval, (long long)x->retry_interval, x->has_give_up,
                     (long long)x->give_up);
            break;
        }
        case SCN_ACT_NARRATE:
            snprintf(k, sizeof k, "%s.text", p);
            scn_dump_str(b, k, a->u.text);
            snprintf(k, sizeof k, "%s.id", p);
            scn_dump_str(b, k, a->id);
            buf_addf(b, "%s.replaces=%d,%d,%zu\n", p, a->replaces, a->replace_by_time,
                     a->replaces ? a->replaced : (size_t)0);
            break;
        case SCN_ACT_TCP_TRANSFER:
            buf_addf(b, "%s from=%zu to=%zu port=%u bytes=%llu\n", p, a->u.tcp.from, a->u.tcp.to,
                     a->u.tcp.port, (unsigned long long)a->u.tcp.bytes);
            break;
        case SCN_ACT_KIND_COUNT:
            break;
        }
    }
}

char *scn_dump(const struct scn_scenario *s)
{
    struct buf b = {0};
    char p[64], k[128];
    buf_add(&b, "", 0);
    scn_dump_str(&b, "$schema", s->schema);
    scn_dump_str(&b, "title", s->title);
    scn_dump_str(&b, "description", s->description);
    buf_addf(&b, "seed=%llu epoch=%lld tz=%d quiz=%d\n", (unsigned long long)s->seed,
             (long long)s->epoch, (int)s->epoch_tz_min, s->quiz);
    scn_dump_str(&b, "variant", s->variant);
    for (size_t i = 0; i < s->n_hosts; i++) {
        const struct scn_host *h = &s->hosts[i];
        snprintf(p, sizeof p, "hosts[%zu]", i);
        snprintf(k, sizeof k, "%s.name", p);
        scn_dump_str(&b, k, h->name);
        buf_addf(&b, "%s kind=%s ip=%d:%08x pos=%d:%.17g,%.17g up=%d\n", p,
                 scn_host_kind_names[h->kind], h->has_ipv4, h->ipv4, h->has_pos, h->x, h->y, h->up);
        snprintf(k, sizeof k, "%s.owner", p);
        scn_dump_str(&b, k, h->owner);
        buf_addf(&b, "%s owner_server=%lld owner_user=%lld\n", p,
                 h->owner_server == SCN_NONE ? -1LL : (long long)h->owner_server,
                 h->owner_user == SCN_NONE ? -1LL : (long long)h->owner_user);
        if (h->kind == SCN_HOST_MAIL_SERVER) {
            const struct scn_mail_server *m = &h->mail;
            snprintf(k, sizeof k, "%s.domain", p);
            scn_dump_str(&b, k, m->domain);
            for (size_t u = 0; u < m->n_users; u++) {
                snprintf(k, sizeof k, "%s.users[%zu].name", p, u);
                scn_dump_str(&b, k, m->users[u].name);
                snprintf(k, sizeof k, "%s.users[%zu].password", p, u);
                scn_dump_str(&b, k, m->users[u].password);
                snprintf(k, sizeof k, "%s.users[%zu].display_name", p, u);
                scn_dump_str(&b, k, m->users[u].display_name);
            }
            buf_addf(
                &b,
                "%s submission=%d auth=%d 8bitmime=%d pipelining=%d size=%llu max_rcpt=%u retry=%lld "
                "give_up=%lld lenient=%d webmail=%d\n",
                p, m->submission, m->auth_required, m->eightbitmime, m->pipelining,
                (unsigned long long)m->size_limit, m->max_recipients, (long long)m->retry_interval,
                (long long)m->give_up, m->lenient_data, m->webmail);
            scn_dump_chaos(&b, p, &m->chaos);
            scn_dump_smtp_extra(&b, p, m->helo_client, &m->tls, &m->texts);
            if (m->accept_bare_lf) buf_addf(&b, "%s accept_bare_lf=1\n", p);
        }
        for (size_t r = 0; r < h->dns.n_mx; r++) {
            snprintf(k, sizeof k, "%s.mx[%zu].domain", p, r);
            scn_dump_str(&b, k, h->dns.mx[r].domain);
            snprintf(k, sizeof k, "%s.mx[%zu].host", p, r);
            scn_dump_str(&b, k, h->dns.mx[r].host);
            buf_addf(&b, "%s.mx[%zu] host_index=%zu preference=%u\n", p, r, h->dns.mx[r].host_index,
                     h->dns.mx[r].preference);
        }
        for (size_t g = 0; g < h->web.n_pages; g++) {
            const struct scn_web_page *pg = &h->web.pages[g];
            snprintf(k, sizeof k, "%s.pages[%zu].path", p, g);
            scn_dump_str(&b, k, pg->path);
            snprintf(k, sizeof k, "%s.pages[%zu].title", p, g);
            scn_dump_str(&b, k, pg->title);
            buf_addf(&b, "%s.pages[%zu] size=%llu\n", p, g, (unsigned long long)pg->size);
            for (size_t o = 0; o < pg->n_objects; o++) {
                snprintf(k, sizeof k, "%s.pages[%zu].objects[%zu].name", p, g, o);
                scn_dump_str(&b, k, pg->objects[o].name);
                snprintf(k, sizeof k, "%s.pages[%zu].objects[%zu].type", p, g, o);
                scn_dump_str(&b, k, pg->objects[o].type);
                buf_addf(&b, "%s.pages[%zu].objects[%zu] size=%llu\n", p, g, o,
                         (unsigned long long)pg->objects[o].size);
            }
        }
    }
    for (size_t i = 0; i < s->n_links; i++) {
        const struct scn_link *l = &s->links[i];
        buf_addf(&b, "links[%zu] a=%zu b=%zu latency=%lld bw=%llu loss=%.17g mtu=%u up=%d\n", i,
                 l->a, l->b, (long long)l->latency, (unsigned long long)l->bandwidth_bps, l->loss,
                 l->mtu, l->up);
    }
    scn_dump_timeline(&b, "timeline", s->timeline, s->n_timeline);
    for (size_t i = 0; i < s->n_questions; i++) {
        const struct scn_question *q = &s->questions[i];
        snprintf(p, sizeof p, "questions[%zu]", i);
        buf_addf(&b, "%s at=%lld answer=%zu\n", p, (long long)q->at, q->answer);
        snprintf(k, sizeof k, "%s.text", p);
        scn_dump_str(&b, k, q->text);
        for (size_t c = 0; c < q->n_choices; c++) {
            snprintf(k, sizeof k, "%s.choices[%zu]", p, c);
            scn_dump_str(&b, k, q->choices[c]);
        }
        snprintf(k, sizeof k, "%s.explain", p);
        scn_dump_str(&b, k, q->explain);
    }
    for (size_t i = 0; i < s->n_variants; i++) {
        const struct scn_variant *v = &s->variants[i];
        snprintf(p, sizeof p, "variants[%zu]", i);
        snprintf(k, sizeof k, "%s.name", p);
        scn_dump_str(&b, k, v->name);
        snprintf(k, sizeof k, "%s.description", p);
        scn_dump_str(&b, k, v->description);
        buf_addf(&b, "%s replace_timeline=%d\n", p, v->replace_timeline);
        if (v->has_seed) buf_addf(&b, "%s seed=%llu\n", p, (unsigned long long)v->seed);
        for (size_t h = 0; h < v->n_hosts; h++) {
            const struct scn_host_override *o = &v->hosts[h];
            buf_addf(
                &b,
                "%s.hosts[%zu] host=%zu set=%x up=%d retry=%lld give_up=%lld lenient=%d webmail=%d\n",
                p, h, o->host, o->set, o->up, (long long)o->retry_interval, (long long)o->give_up,
                o->lenient_data, o->webmail);
            snprintf(k, sizeof k, "%s.hosts[%zu]", p, h);
            scn_dump_chaos(&b, k, &o->chaos);
            if (o->set & SCN_OVR_SMTP) {
                buf_addf(
                    &b,
                    "%s.smtp submission=%d auth=%d 8bitmime=%d pipelining=%d size=%llu max_rcpt=%u\n",
                    k, o->smtp.submission, o->smtp.auth_required, o->smtp.eightbitmime,
                    o->smtp.pipelining, (unsigned long long)o->smtp.size_limit,
                    o->smtp.max_recipients);
                scn_dump_smtp_extra(&b, k, o->smtp.helo_client, &o->smtp.tls, &o->smtp.texts);
            }
        }
        snprintf(k, sizeof k, "%s.timeline", p);
        scn_dump_timeline(&b, k, v->timeline, v->n_timeline);
    }
    buf_addf(&b, "mx_derived=%d\n", s->mx_derived);
    for (size_t i = 0; i < s->n_mx; i++) {
        buf_addf(&b, "mx[%zu] %s -> %s (%zu) pref=%u\n", i, s->mx[i].domain, s->mx[i].host,
                 s->mx[i].host_index, s->mx[i].preference);
    }
    return buf_take(&b, NULL);
}

struct scn_scenario *scn_apply_variant(const struct scn_scenario *s, const char *name,
                                       struct scn_error *err)
{
    size_t len;
    char *text = scn_to_json(s, &len);
    struct scn_load_opts o = {name, s->base_dir == NULL};
    struct scn_scenario *r = scn_load_buffer(text, len, s->source, s->base_dir, &o, err);
    free(text);
    return r;
}

struct scn_scenario *scn_clone(const struct scn_scenario *s, struct scn_error *err)
{
    size_t len;
    char *text = scn_to_json(s, &len);
    struct scn_load_opts o = {NULL, s->base_dir == NULL};
    /* The copy may be larger than a file may be (generated benchmarks). */
    struct scn_scenario *r = scn_load_text(text, len, s->source, s->base_dir, &o, err);
    free(text);
    return r;
}
