/* ua_page.c -- a browser fetching a web page (the web_get action): one TCP
 * connection to port 80 of the web server, GET of the page, then GET of each
 * object the page refers to, one request after the other's response, on the
 * same persistent connection (RFC 9112 §9.3). N objects: N+1 requests and
 * N+1 responses. The receiver (the browser) opens the connection and pulls:
 * the contrast with SMTP, where the sender opens it and pushes. */
#include "mail/ua_int.h"
#include "mail/web_int.h"

#include "proto/http_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_PAGE_PORT 80
#define UA_PAGE_TIMEOUT (5 * SIM_US_PER_MIN)

struct ua_page {
    struct ua_page *next;
    struct ua *u;
    struct tcp_conn *c;
    struct http_client *e;
    uint32_t conn, server;
    const struct scn_web_page *page;
    size_t step; /* requests queued so far: 0 page, then objects */
    evq_handle timer;
};

static void ua_page_connected(void *ctx, struct tcp_conn *c);
static void ua_page_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void ua_page_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops ua_page_ops = {
    .on_connected = ua_page_connected,
    .on_data = ua_page_data,
    .on_close = ua_page_close,
};

static void ua_page_free(struct ua_page *p)
{
    struct ua_page **pp = &p->u->pages;
    while (*pp && *pp != p) pp = &(*pp)->next;
    if (*pp) *pp = p->next;
    if (evq_is_set(p->timer)) evq_cancel(p->u->w->q, p->timer);
    http_client_free(p->e);
    free(p);
}

void ua_page_free_all(struct ua *u)
{
    while (u->pages) ua_page_free(u->pages);
}

/* Queue the next GET: the page, then its objects; false when all are done. */
static bool ua_page_next(struct ua_page *p)
{
    const char *host = p->u->w->s->hosts[p->server].name;
    size_t k = p->step++;
    if (k == 0) return http_client_request(p->e, "GET", host, p->page->path, NULL, 0, NULL, 0);
    if (k - 1 >= p->page->n_objects) return false;
    char target[300];
    snprintf(target, sizeof target, "/%s", p->page->objects[k - 1].name);
    return http_client_request(p->e, "GET", host, target, NULL, 0, NULL, 0);
}

/* Trace the lines the engine read and sent so far, with its states. */
static void ua_page_log(struct ua_page *p)
{
    if (p->u->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(p->u->w, http_client_log(p->e), p->conn, (uint32_t)p->u->h, p->server, 'C',
                    "HTTP");
}

static void ua_page_flush(struct ua_page *p)
{
    const char *out;
    size_t n;
    while (p->c && (n = http_client_out(p->e, &out)) > 0) {
        size_t sent = tcp_send(p->c, out, n);
        http_client_out_done(p->e, sent);
        ua_page_log(p);
        if (sent < n) return;
    }
}

static void ua_page_pump(struct ua_page *p, const uint8_t *in, size_t len)
{
    size_t off = 0;
    bool done = false;
    for (;;) {
        size_t used = off < len ? http_client_recv(p->e, (const char *)in + off, len - off) : 0;
        off += used;
        ua_page_log(p);
        struct http_client_event ev;
        while (http_client_event(p->e, &ev)) {
            if (ev.kind == HTTP_CEV_RESPONSE) {
                if (!ua_page_next(p)) done = true;
            } else {
                done = true;
            }
        }
        ua_page_flush(p);
        if (used == 0) break;
    }
    if (done && http_client_outstanding(p->e) == 0 && p->c) tcp_close(p->c);
}

static void ua_page_connected(void *ctx, struct tcp_conn *c)
{
    (void)c;
    struct ua_page *p = ctx;
    ua_page_next(p);
    ua_page_flush(p);
}

static void ua_page_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct ua_page *p = ctx;
    ua_page_pump(p, data, len);
}

static void ua_page_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct ua_page *p = ctx;
    struct world *w = p->u->w;
    p->c = NULL;
    http_client_closed(p->e);
    if (err != TCP_ERR_OK)
        trace_add_narration(w->tr, evq_now(w->q), (uint32_t)p->u->h, "%s could not load %s%s: %s",
                            w->s->hosts[p->u->h].name, w->s->hosts[p->server].name, p->page->path,
                            tcp_strerror(err));
    ua_page_free(p);
}

static void ua_page_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_page *p = ctx;
    p->timer = EVQ_NONE;
    http_client_timeout(p->e);
    if (p->c) tcp_close(p->c);
}

bool ua_page_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != ua_page_timeout) return false;
    *host = (uint32_t)((const struct ua_page *)ev->ctx)->u->h;
    return true;
}

void ua_web_get(struct ua *u, const struct scn_web_get *g)
{
    struct world *w = u->w;
    struct ua_page *p = ms_xcalloc(1, sizeof *p);
    p->u = u;
    p->server = (uint32_t)g->server;
    p->page = &w->s->hosts[g->server].web.pages[g->page];
    struct http_client_cfg cfg = {0, "mailsim-browser"};
    p->e = http_client_new(&cfg);
    if (!p->u->w->opts.no_lines) (void)http_client_log(p->e); /* trace from the first request on */
    p->next = u->pages;
    u->pages = p;
    p->c = tcp_connect(w->net, (uint32_t)u->h, p->server, UA_PAGE_PORT, &ua_page_ops, p);
    p->conn = tcp_conn_id(p->c);
    p->timer = evq_after(w->q, UA_PAGE_TIMEOUT, ua_page_timeout, p, 0, "HTTP timeout");
}
