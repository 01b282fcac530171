/* mta_web.c -- webmail on the mail server: HTTP/1.1 on port 80 (RFC 9112)
 * with the page logic of webmail.h. The browser names its user with Basic
 * authentication (RFC 7617) on every request. Mail sent from the compose
 * form is made by the server itself (the browser has no SMTP): the message
 * is composed here and goes straight to a local mailbox or the queue. */
#include "mail/mta_int.h"

#include "core/buf.h"
#include "core/md5.h"
#include "format/base64.h"
#include "format/mime.h"
#include "format/msg.h"
#include "mail/mq_check.h"
#include "mail/web_int.h"
#include "mail/webmail.h"
#include "proto/http_server.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTA_PORT_HTTP 80

struct mta_web {
    struct mta_web *next;
    struct mta *m;
    struct tcp_conn *c;
    uint32_t conn, peer;
    struct http_server *e;
    struct buf in;
    bool closing;
};

static void *mta_web_accept(void *listen_ctx, struct tcp_conn *c);
static void mta_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void mta_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops mta_web_ops = {
    .on_accept = mta_web_accept,
    .on_data = mta_web_data,
    .on_close = mta_web_close,
};

/* The user named by an "Authorization: Basic ..." value, or NULL. */
static const struct scn_user *mta_web_auth(struct mta *m, const char *value)
{
    if (!value || strncmp(value, "Basic ", 6) != 0) return NULL;
    const char *b = value + 6;
    size_t n = strlen(b);
    unsigned char buf[256];
    size_t len;
    if (b64_decoded_max(n) >= sizeof buf || !b64_decode(b, n, buf, &len, false)) return NULL;
    buf[len] = '\0';
    char *colon = memchr(buf, ':', len);
    if (!colon) return NULL;
    *colon = '\0';
    return mta_login(m, (const char *)buf, colon + 1);
}

static char *mta_web_header(const struct mbox_msg *msg, const char *name)
{
    struct msg_split sp;
    msg_split(msg->raw, msg->len, &sp);
    char *v = msg_header_get(msg->raw, sp.hdr_len, name, NULL);
    return v ? v : ms_xstrdup("");
}

static struct mbox_folder *mta_web_inbox(struct mta *m, const char *user)
{
    struct mbox_user *u = mbox_user_get(m->store, user, true);
    return u ? mbox_folder_find(u, "INBOX", 5) : NULL;
}

static void mta_web_respond(struct mta_web *wb, int status, char *page, size_t len)
{
    struct http_header h[2] = {{"Content-Type", "text/html; charset=utf-8"},
                               {"Cache-Control", "no-store"}};
    http_server_respond(wb->e, status, h, 2, page ? page : "", page ? len : 0);
    free(page);
}

static void mta_web_inbox_page(struct mta_web *wb, const struct scn_user *u)
{
    struct mbox_folder *f = mta_web_inbox(wb->m, u->name);
    size_t n = f ? mbox_count(f) : 0;
    struct webmail_summary *sum = ms_xcalloc(n + 1, sizeof *sum);
    char(*uids)[16] = ms_xcalloc(n + 1, sizeof *uids);
    char **strs = ms_xcalloc(3 * n + 1, sizeof *strs);
    for (size_t i = 0; i < n; i++) {
        const struct mbox_msg *msg = mbox_msg_at(f, i);
        snprintf(uids[i], sizeof uids[i], "%u", (unsigned)msg->uid);
        sum[i].uid = uids[i];
        sum[i].from = strs[3 * i] = mta_web_header(msg, "From");
        sum[i].subject = strs[3 * i + 1] = mta_web_header(msg, "Subject");
        sum[i].date = strs[3 * i + 2] = mta_web_header(msg, "Date");
        sum[i].size = msg->len;
        sum[i].seen = (msg->flags & MBOX_F_SEEN) != 0;
    }
    char addr[200];
    snprintf(addr, sizeof addr, "%s@%s", u->name, wb->m->cfg->domain);
    size_t len;
    char *page = webmail_render_inbox(addr, sum, n, &len);
    for (size_t i = 0; i < 3 * n; i++) free(strs[i]);
    free(strs);
    free(uids);
    free(sum);
    mta_web_respond(wb, 200, page, len);
}

static void mta_web_message_page(struct mta_web *wb, const struct scn_user *u, const char *uid)
{
    struct mbox_folder *f = mta_web_inbox(wb->m, u->name);
    char *end;
    unsigned long v = strtoul(uid, &end, 10);
    size_t i =
        (f && *end == '\0' && v > 0 && v <= UINT32_MAX) ? mbox_find_uid(f, (uint32_t)v) : SIZE_MAX;
    if (i == SIZE_MAX) {
        mta_web_respond(wb, 404, ms_xstrdup("<!DOCTYPE html><p>No such message.</p>\n"), 38);
        return;
    }
    const struct mbox_msg *msg = mbox_msg_at(f, i);
    struct webmail_message wm;
    memset(&wm, 0, sizeof wm);
    wm.uid = uid;
    char *from = mta_web_header(msg, "From"), *to = mta_web_header(msg, "To");
    char *subj = mta_web_header(msg, "Subject"), *date = mta_web_header(msg, "Date");
    wm.from = from;
    wm.to = to;
    wm.subject = subj;
    wm.date = date;
    struct mime_tree t;
    mime_parse(&t, msg->raw, msg->len);
    unsigned char *text = NULL;
    size_t text_len = 0;
    for (int k = 0; k >= 0 && !text; k = mime_next(&t, k)) {
        const struct mime_part *p = &t.parts[k];
        if (p->is_multipart || p->is_message) continue;
        if (strcmp(p->type.p, "text") == 0 && strcmp(p->subtype.p, "plain") == 0)
            text = mime_decode_body(&t, p, &text_len);
    }
    wm.text = text ? (const char *)text : "";
    wm.text_len = text ? text_len : 0;
    size_t len;
    char *page = webmail_render_message(&wm, &len);
    mbox_flags_set(f, i, msg->flags | MBOX_F_SEEN);
    mime_tree_free(&t);
    free(text);
    free(from);
    free(to);
    free(subj);
    free(date);
    mta_web_respond(wb, 200, page, len);
}

/* The user's form token: md5(secret ":" server ":" user) in hex. The secret
 * comes from the scenario's seed in a lesson (the same run gives the same
 * bytes) and from random bytes in live mode (world_live_web_secret), so only
 * a page this server served carries it. */
static void mta_web_token(struct mta *m, const struct scn_user *u, char out[33])
{
    struct world *w = m->w;
    if (!w->web_secret[0]) {
        char seed[64];
        int n = snprintf(seed, sizeof seed, "mailsim-webmail:%llu", (unsigned long long)w->s->seed);
        md5_hex(seed, n > 0 ? (size_t)n : 0, w->web_secret);
    }
    struct md5_ctx c;
    unsigned char d[16];
    md5_init(&c);
    md5_update(&c, w->web_secret, strlen(w->web_secret));
    md5_update(&c, ":", 1);
    md5_update(&c, m->sh->name, strlen(m->sh->name));
    md5_update(&c, ":", 1);
    md5_update(&c, u->name, strlen(u->name));
    md5_final(&c, d);
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
}

/* A POST must come from a page of this server (RFC 6454 §7, OWASP CSRF
 * cheat sheet "verifying origin with standard headers"): its Origin is
 * "http://" Host, or, without Origin, its Referer starts with "http://"
 * Host "/". NULL when it does; otherwise why not. */
static const char *mta_web_cross_origin(const struct http_request *req)
{
    const char *host = http_fields_get(req->fields, "Host", NULL);
    const char *origin = http_fields_get(req->fields, "Origin", NULL);
    const char *referer = http_fields_get(req->fields, "Referer", NULL);
    if (!host || !host[0]) return "the request has no Host";
    size_t hl = strlen(host);
    if (origin) {
        if (strncmp(origin, "http://", 7) == 0 && strncmp(origin + 7, host, hl) == 0 &&
            origin[7 + hl] == '\0')
            return NULL;
        return "it comes from a page of another site (Origin)";
    }
    if (referer) {
        if (strncmp(referer, "http://", 7) == 0 && strncmp(referer + 7, host, hl) == 0 &&
            (referer[7 + hl] == '/' || referer[7 + hl] == '\0'))
            return NULL;
        return "it comes from a page of another site (Referer)";
    }
    return "it names no Origin or Referer";
}

/* The compose form was posted: the server writes the message and takes it. */
static void mta_web_send(struct mta_web *wb, const struct scn_user *u,
                         const struct http_request *req)
{
    const char *body = req->body;
    size_t body_len = req->body_len;
    struct mta *m = wb->m;
    struct world *w = m->w;
    char addr[200];
    snprintf(addr, sizeof addr, "%s@%s", u->name, m->cfg->domain);
    struct webmail_form form;
    memset(&form, 0, sizeof form);
    struct ms_error err;
    memset(&err, 0, sizeof err);
    char token[33];
    mta_web_token(m, u, token);
    const char *cross = mta_web_cross_origin(req);
    if (cross) {
        char why[160];
        snprintf(why, sizeof why, "Not sent: %s. Send mail from this server's own compose page.",
                 cross);
        size_t len;
        char *page = webmail_render_compose(addr, token, why, &len);
        mta_web_respond(wb, 403, page, len);
        return;
    }
    if (!webmail_form_decode(body, body_len, &form, &err)) {
        size_t len;
        char *page = webmail_render_compose(addr, token, err.msg, &len);
        webmail_form_free(&form);
        mta_web_respond(wb, 400, page, len);
        return;
    }
    if (strcmp(form.token, token) != 0) {
        size_t len;
        char *page = webmail_render_compose(
            addr, token,
            "Not sent: the form's token is missing or wrong. Send mail from this "
            "server's own compose page.",
            &len);
        webmail_form_free(&form);
        mta_web_respond(wb, 403, page, len);
        return;
    }
    uint32_t id = world_msg_new(w);
    struct msg_buf mid = {0}, b = {0};
    msg_make_message_id(&mid, w->s->seed, id, addr, strlen(addr), m->cfg->domain,
                        strlen(m->cfg->domain));
    struct msg_mailbox from = {u->display_name[0] ? u->display_name : NULL, addr};
    struct msg_mailbox to = {NULL, form.to};
    struct msg_header_spec hs;
    memset(&hs, 0, sizeof hs);
    hs.from = from;
    hs.to = &to;
    hs.n_to = 1;
    hs.subject = form.subject[0] ? form.subject : NULL;
    hs.date_t = evq_now(w->q);
    hs.epoch_unix = w->s->epoch;
    hs.message_id = mid.data;
    /* RFC 2045/2046: a text/plain part in UTF-8 (what the browser posted),
     * 7bit when it is plain ASCII, else quoted-printable (RFC 2045 §6.7),
     * which keeps the text readable and passes any 7-bit SMTP hop, so the
     * message never depends on the next server offering 8BITMIME. */
    struct mime_scan sc;
    mime_scan((const unsigned char *)form.body, form.body_len, &sc);
    struct mime_node node;
    memset(&node, 0, sizeof node);
    node.leaf.type = "text";
    node.leaf.subtype = "plain";
    node.leaf.charset = "utf-8";
    node.leaf.cte = sc.is_7bit ? MIME_CTE_7BIT : MIME_CTE_QP;
    node.leaf.content = (const unsigned char *)form.body;
    node.leaf.len = form.body_len;
    if (!strchr(form.to, '@') ||
        mime_build_message(&b, &hs, &node, w->s->seed ^ id, &err) != MIME_OK) {
        size_t len;
        char *page =
            webmail_render_compose(addr, token, err.msg[0] ? err.msg : "bad address", &len);
        msg_buf_free(&b);
        msg_buf_free(&mid);
        webmail_form_free(&form);
        mta_web_respond(wb, 400, page, len);
        return;
    }
    /* A message is lines: end the last one (SMTP would add it on the way,
     * and the body must arrive as it was composed). */
    if (b.len < 2 || b.data[b.len - 2] != '\r' || b.data[b.len - 1] != '\n')
        msg_buf_add(&b, "\r\n", 2);
    struct msg_split sp;
    msg_split(b.data, b.len, &sp);
    char text[160];
    snprintf(text, sizeof text, "%zu bytes, written in webmail", b.len);
    struct world_msg_facts mf = {mq_check_hash(b.data + sp.body_off, sp.body_len), 0, false};
    world_msgid_register(w, b.data, b.len, id);
    world_msg_copy(w, id, (uint32_t)m->h, b.data, b.len);
    world_msg_trace_facts(w, TR_MSG_COMPOSED, id, (uint32_t)m->h, wb->peer, addr, form.to, 0, 0, -1,
                          text, &mf);
    mta_accept_message(m, id, addr, form.to, b.data, b.len, wb->peer);
    msg_buf_free(&b);
    msg_buf_free(&mid);
    webmail_form_free(&form);
    mta_web_inbox_page(wb, u);
}

static void mta_web_request(struct mta_web *wb, const struct http_request *req)
{
    char uid[80];
    enum webmail_route r = webmail_route(req->method, req->target, uid, sizeof uid);
    if (r == WEBMAIL_NOT_FOUND) {
        mta_web_respond(wb, 404, ms_xstrdup("<!DOCTYPE html><p>Not found.</p>\n"), 33);
        return;
    }
    if (r == WEBMAIL_BAD_METHOD) {
        mta_web_respond(wb, 405, ms_xstrdup("<!DOCTYPE html><p>Method not allowed.</p>\n"), 42);
        return;
    }
    const struct scn_user *u =
        mta_web_auth(wb->m, http_fields_get(req->fields, "Authorization", NULL));
    if (!u) {
        struct http_header h[2] = {{"WWW-Authenticate", "Basic realm=\"webmail\""},
                                   {"Content-Type", "text/html; charset=utf-8"}};
        static const char page[] = "<!DOCTYPE html><p>Please log in.</p>\n";
        http_server_respond(wb->e, 401, h, 2, page, sizeof page - 1);
        return;
    }
    switch (r) {
    case WEBMAIL_INBOX:
        mta_web_inbox_page(wb, u);
        break;
    case WEBMAIL_MESSAGE:
        mta_web_message_page(wb, u, uid);
        break;
    case WEBMAIL_COMPOSE: {
        char addr[200];
        snprintf(addr, sizeof addr, "%s@%s", u->name, wb->m->cfg->domain);
        char token[33];
        mta_web_token(wb->m, u, token);
        size_t len;
        char *page = webmail_render_compose(addr, token, NULL, &len);
        mta_web_respond(wb, 200, page, len);
        break;
    }
    case WEBMAIL_SEND:
        mta_web_send(wb, u, req);
        break;
    default:
        break;
    }
}

/* Trace the lines the engine read and sent so far, with its states. */
static void mta_web_log(struct mta_web *wb)
{
    if (wb->m->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(wb->m->w, http_server_log(wb->e), wb->conn, (uint32_t)wb->m->h, wb->peer, 'S',
                    "HTTP");
}

static void mta_web_pump(struct mta_web *wb)
{
    for (;;) {
        size_t used = wb->in.len ? http_server_recv(wb->e, wb->in.data, wb->in.len) : 0;
        if (used) {
            buf_drop(&wb->in, used);
        }
        mta_web_log(wb);
        struct http_server_event ev;
        while (http_server_event(wb->e, &ev)) {
            if (ev.kind == HTTP_EV_REQUEST)
                mta_web_request(wb, &ev.req);
            else if (ev.kind == HTTP_EV_CLOSE)
                wb->closing = true;
        }
        const char *out;
        size_t n;
        while (wb->c && (n = http_server_out(wb->e, &out)) > 0) {
            size_t sent = tcp_send(wb->c, out, n);
            http_server_out_done(wb->e, sent);
            mta_web_log(wb);
            if (sent < n) break;
        }
        if (wb->closing || http_server_done(wb->e)) {
            if (wb->c) tcp_close(wb->c);
            return;
        }
        if (used == 0) return;
    }
}

static void *mta_web_accept(void *listen_ctx, struct tcp_conn *c)
{
    struct mta *m = listen_ctx;
    struct mta_web *wb = ms_xcalloc(1, sizeof *wb);
    wb->m = m;
    wb->c = c;
    wb->conn = tcp_conn_id(c);
    wb->peer = tcp_remote_host(c);
    struct http_server_cfg cfg = {0, m->sh->name};
    wb->e = http_server_new(&cfg);
    if (world_live_take(m->w, wb->conn) & WORLD_LIVE_BUSY) http_server_busy(wb->e); /* live caps */
    if (!wb->m->w->opts.no_lines) (void)http_server_log(wb->e); /* trace from the first line on */
    wb->next = m->webs;
    m->webs = wb;
    return wb;
}

static void mta_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct mta_web *wb = ctx;
    buf_add(&wb->in, data, len);
    mta_web_pump(wb);
}

void mta_web_free(struct mta_web *wb)
{
    struct mta_web **pp = &wb->m->webs;
    while (*pp && *pp != wb) pp = &(*pp)->next;
    if (*pp) *pp = wb->next;
    http_server_free(wb->e);
    buf_free(&wb->in);
    free(wb);
}

static void mta_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    (void)err;
    struct mta_web *wb = ctx;
    if (!wb) return;
    wb->c = NULL;
    http_server_closed(wb->e);
    mta_web_free(wb);
}

void mta_web_listen(struct mta *m)
{
    if (m->cfg->webmail) tcp_listen(m->w->net, (uint32_t)m->h, MTA_PORT_HTTP, &mta_web_ops, m);
}
