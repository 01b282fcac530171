/* ua_web.c -- a browser using webmail (HTTP/1.1, RFC 9112) on one
 * persistent connection to port 80 of the user's mail server: it loads the
 * inbox, then (op "read") one message, or (op "send") the compose form and
 * posts it. Every request carries Basic credentials (RFC 7617). */
#include "mail/ua_int.h"

#include "format/base64.h"
#include "mail/mta_int.h"
#include "mail/web_int.h"
#include "mail/webmail.h"
#include "proto/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_HTTP_PORT 80
#define UA_WEB_TIMEOUT (5 * SIM_US_PER_MIN)

struct ua_web {
    struct ua_web *next;
    struct ua *u;
    struct tcp_conn *c;
    struct http_client *e;
    uint32_t conn, server;
    char host[64];
    char auth[300];
    char target[96]; /* READ: /message/<uid> */
    char *form;      /* SEND: the encoded form, made once the compose page came */
    size_t form_len;
    const struct scn_message *msg;     /* SEND: what the user types (the scenario's) */
    char token[WEBMAIL_TOKEN_MAX + 1]; /* SEND: the compose page's hidden token */
    char origin[80];                   /* "http://" host: the page the form is on */
    enum scn_webmail_op op;
    unsigned step; /* requests queued so far */
    evq_handle timer;
};

static void ua_web_connected(void *ctx, struct tcp_conn *c);
static void ua_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void ua_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops ua_web_ops = {
    .on_connected = ua_web_connected,
    .on_data = ua_web_data,
    .on_close = ua_web_close,
};

static void ua_web_free(struct ua_web *b)
{
    struct ua_web **pp = &b->u->webs;
    while (*pp && *pp != b) pp = &(*pp)->next;
    if (*pp) *pp = b->next;
    if (evq_is_set(b->timer)) evq_cancel(b->u->w->q, b->timer);
    http_client_free(b->e);
    free(b->form);
    free(b);
}

void ua_web_free_all(struct ua *u)
{
    while (u->webs) ua_web_free(u->webs);
}

/* Queue the next request of the visit; false when the visit is over. */
static bool ua_web_next(struct ua_web *b)
{
    struct http_header h[3] = {{"Authorization", b->auth},
                               {"Content-Type", "application/x-www-form-urlencoded"},
                               {"Origin", b->origin}};
    switch (b->step++) {
    case 0:
        return http_client_request(b->e, "GET", b->host, "/inbox", h, 1, NULL, 0);
    case 1:
        if (b->op == SCN_WEBMAIL_READ && b->target[0])
            return http_client_request(b->e, "GET", b->host, b->target, h, 1, NULL, 0);
        if (b->op == SCN_WEBMAIL_SEND)
            return http_client_request(b->e, "GET", b->host, "/compose", h, 1, NULL, 0);
        return false;
    case 2:
        if (b->op == SCN_WEBMAIL_SEND) {
            /* The browser posts the form of the page it loaded: its fields
             * in page order, the hidden token included, from its origin. */
            const struct scn_message *m = b->msg;
            const char *to = m->n_to ? m->to[0] : m->n_cc ? m->cc[0] : m->n_bcc ? m->bcc[0] : "";
            free(b->form);
            b->form = webmail_form_encode(b->token[0] ? b->token : NULL, to, m->subject, m->body,
                                          &b->form_len);
            return http_client_request(b->e, "POST", b->host, "/send", h, 3, b->form, b->form_len);
        }
        return false;
    default:
        return false;
    }
}

/* Trace the lines the engine read and sent so far, with its states. */
static void ua_web_log(struct ua_web *b)
{
    if (b->u->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(b->u->w, http_client_log(b->e), b->conn, (uint32_t)b->u->h, b->server, 'C',
                    "HTTP");
}

static void ua_web_flush(struct ua_web *b)
{
    const char *out;
    size_t n;
    while (b->c && (n = http_client_out(b->e, &out)) > 0) {
        size_t sent = tcp_send(b->c, out, n);
        http_client_out_done(b->e, sent);
        ua_web_log(b);
        if (sent < n) return;
    }
}

/* One request at a time, as a person clicks: the next goes after a reply. */
static void ua_web_pump(struct ua_web *b, const uint8_t *in, size_t len)
{
    size_t off = 0;
    bool done = false;
    for (;;) {
        size_t used = off < len ? http_client_recv(b->e, (const char *)in + off, len - off) : 0;
        off += used;
        ua_web_log(b);
        struct http_client_event ev;
        while (http_client_event(b->e, &ev)) {
            if (ev.kind == HTTP_CEV_RESPONSE) {
                if (ev.resp.target && strcmp(ev.resp.target, "/compose") == 0)
                    webmail_page_token(ev.resp.body, ev.resp.body_len, b->token, sizeof b->token);
                if (!ua_web_next(b)) done = true;
            } else {
                done = true;
            }
        }
        ua_web_flush(b);
        if (used == 0) break;
    }
    if (done && http_client_outstanding(b->e) == 0 && b->c) tcp_close(b->c);
}

static void ua_web_connected(void *ctx, struct tcp_conn *c)
{
    (void)c;
    struct ua_web *b = ctx;
    ua_web_next(b);
    ua_web_flush(b);
}

static void ua_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct ua_web *b = ctx;
    ua_web_pump(b, data, len);
}

static void ua_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct ua_web *b = ctx;
    struct world *w = b->u->w;
    b->c = NULL;
    http_client_closed(b->e);
    if (err != TCP_ERR_OK)
        trace_add_narration(w->tr, evq_now(w->q), (uint32_t)b->u->h,
                            "%s could not reach webmail on %s: %s", w->s->hosts[b->u->h].name,
                            b->host, tcp_strerror(err));
    ua_web_free(b);
}

static void ua_web_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_web *b = ctx;
    b->timer = EVQ_NONE;
    http_client_timeout(b->e);
    if (b->c) tcp_close(b->c);
}

bool ua_web_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != ua_web_timeout) return false;
    *host = (uint32_t)((const struct ua_web *)ev->ctx)->u->h;
    return true;
}

void ua_webmail(struct ua *u, const struct scn_webmail *wm)
{
    struct world *w = u->w;
    const struct scn_host *sh = &w->s->hosts[wm->server];
    const struct scn_user *usr = &sh->mail.users[wm->user_index];
    struct ua_web *b = ms_xcalloc(1, sizeof *b);
    b->u = u;
    b->server = (uint32_t)wm->server;
    b->op = wm->op;
    snprintf(b->host, sizeof b->host, "%s", sh->name);
    char cred[200];
    int cn = snprintf(cred, sizeof cred, "%s:%s", usr->name, usr->password);
    if (cn < 0 || (size_t)cn >= sizeof cred) cn = 0;
    char enc[280];
    size_t en = b64_encode((const unsigned char *)cred, (size_t)cn, enc, 0);
    enc[en] = '\0';
    snprintf(b->auth, sizeof b->auth, "Basic %s", enc);
    if (wm->op == SCN_WEBMAIL_READ && w->mta[wm->server]) {
        /* The link the user clicks: the n-th message of the inbox now. */
        struct mbox_user *mu = mbox_user_get(mta_store(w->mta[wm->server]), usr->name, false);
        struct mbox_folder *f = mu ? mbox_folder_find(mu, "INBOX", 5) : NULL;
        if (f && wm->message >= 1 && wm->message <= mbox_count(f))
            snprintf(b->target, sizeof b->target, "/message/%u",
                     (unsigned)mbox_msg_at(f, wm->message - 1)->uid);
    }
    if (wm->op == SCN_WEBMAIL_SEND) b->msg = &wm->msg;
    snprintf(b->origin, sizeof b->origin, "http://%s", sh->name);
    struct http_client_cfg cfg = {0, "mailsim-browser"};
    b->e = http_client_new(&cfg);
    if (!b->u->w->opts.no_lines) (void)http_client_log(b->e); /* trace from the first request on */
    b->next = u->webs;
    u->webs = b;
    b->c = tcp_connect(w->net, (uint32_t)u->h, b->server, UA_HTTP_PORT, &ua_web_ops, b);
    b->conn = tcp_conn_id(b->c);
    b->timer = evq_after(w->q, UA_WEB_TIMEOUT, ua_web_timeout, b, 0, "HTTP timeout");
}
