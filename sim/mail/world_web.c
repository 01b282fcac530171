/* world_web.c -- the plain web server host kind (scenario "web_server"):
 * HTTP/1.1 on port 80 (RFC 9112) with the engine of proto/http_server.h,
 * serving each page of the scenario and the objects it refers to, on
 * persistent connections (§9.3): one request, one response, the connection
 * stays open for the next. This is the "pull" side of the SMTP-against-HTTP
 * lesson: the receiver opens the connection and asks for every object. */
#include "mail/web_int.h"

#include "proto/http_server.h"

#include "core/buf.h"
#include "core/rng.h"
#include "format/mime.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORLD_WEB_PORT 80

struct world_web {
    struct world_web *next;
    struct world *w;
    size_t h;
    struct tcp_conn *c; /* NULL for the listener record */
    uint32_t conn, peer;
    struct http_server *e;
    struct buf in;
};

static void *world_web_accept(void *listen_ctx, struct tcp_conn *c);
static void world_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void world_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops world_web_ops = {
    .on_accept = world_web_accept,
    .on_data = world_web_data,
    .on_close = world_web_close,
};


/* ---- content ----------------------------------------------------------------- */

char *world_web_page_html(const struct scn_web_page *p, size_t *len)
{
    struct buf b = {0};
    buf_adds(&b, "<!DOCTYPE html>\n");
    buf_addf(&b, "<html><head><title>%s</title></head><body>\n", p->title);
    buf_addf(&b, "<h1>%s</h1>\n", p->title);
    for (size_t i = 0; i < p->n_objects; i++)
        buf_addf(&b, "<img src=\"/%s\">\n", p->objects[i].name);
    const char *tail = "</body></html>\n";
    /* Pad to the page's size with text, as a real page has. */
    while (b.len + strlen(tail) < p->size) {
        size_t room = p->size - b.len - strlen(tail);
        if (room < 8) {
            char sp[8];
            memset(sp, ' ', room - 1);
            sp[room - 1] = '\n';
            sp[room] = '\0';
            buf_adds(&b, sp);
            break;
        }
        const char *para = "<p>Photos from the holiday, with a few words about each.</p>\n";
        if (strlen(para) <= room) {
            buf_adds(&b, para);
        } else {
            buf_addf(&b, "<p>%.*s</p>\n", (int)(room - 8),
                     "....................................................................");
        }
    }
    buf_adds(&b, tail);
    return buf_take(&b, len);
}

char *world_web_object_bytes(const struct scn_web_object *o, size_t *len)
{
    size_t n = (size_t)o->size;
    char *b = ms_xmalloc(n + 1);
    struct rng r = rng_stream(0, o->name);
    /* The generator attachments use: a JPEG is well formed for tools. */
    mime_fake_content((unsigned char *)b, n, rng_next(&r), o->type);
    *len = n;
    return b;
}

/* ---- the server -------------------------------------------------------------- */

static void world_web_request(struct world_web *wb, const struct http_request *req)
{
    const struct scn_web_server *ws = &wb->w->s->hosts[wb->h].web;
    const char *t = req->target;
    for (size_t i = 0; i < ws->n_pages; i++) {
        const struct scn_web_page *p = &ws->pages[i];
        if (strcmp(p->path, t) == 0) {
            size_t n;
            char *html = world_web_page_html(p, &n);
            struct http_header h[1] = {{"Content-Type", "text/html; charset=utf-8"}};
            http_server_respond(wb->e, 200, h, 1, html, n);
            free(html);
            return;
        }
        for (size_t k = 0; k < p->n_objects; k++) {
            const struct scn_web_object *o = &p->objects[k];
            if (t[0] == '/' && strcmp(o->name, t + 1) == 0) {
                size_t n;
                char *bytes = world_web_object_bytes(o, &n);
                struct http_header h[1] = {{"Content-Type", o->type}};
                http_server_respond(wb->e, 200, h, 1, bytes, n);
                free(bytes);
                return;
            }
        }
    }
    const char *nf = "<!DOCTYPE html>\n<p>Not found.</p>\n";
    struct http_header h[1] = {{"Content-Type", "text/html; charset=utf-8"}};
    http_server_respond(wb->e, 404, h, 1, nf, strlen(nf));
}

/* Trace the lines the engine read and sent so far, with its states. */
static void world_web_log(struct world_web *wb)
{
    if (wb->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(wb->w, http_server_log(wb->e), wb->conn, (uint32_t)wb->h, wb->peer, 'S',
                    "HTTP");
}

static void world_web_pump(struct world_web *wb)
{
    for (;;) {
        size_t used = wb->in.len ? http_server_recv(wb->e, wb->in.data, wb->in.len) : 0;
        if (used) {
            buf_drop(&wb->in, used);
        }
        world_web_log(wb);
        bool closing = false;
        struct http_server_event ev;
        while (http_server_event(wb->e, &ev)) {
            if (ev.kind == HTTP_EV_REQUEST)
                world_web_request(wb, &ev.req);
            else if (ev.kind == HTTP_EV_CLOSE)
                closing = true;
        }
        const char *out;
        size_t n;
        while (wb->c && (n = http_server_out(wb->e, &out)) > 0) {
            size_t sent = tcp_send(wb->c, out, n);
            http_server_out_done(wb->e, sent);
            world_web_log(wb);
            if (sent < n) break;
        }
        if (closing || http_server_done(wb->e)) {
            if (wb->c) tcp_close(wb->c);
            return;
        }
        if (used == 0) return;
    }
}

static void *world_web_accept(void *listen_ctx, struct tcp_conn *c)
{
    struct world_web *l = listen_ctx;
    struct world_web *wb = ms_xcalloc(1, sizeof *wb);
    wb->w = l->w;
    wb->h = l->h;
    wb->c = c;
    wb->conn = tcp_conn_id(c);
    wb->peer = tcp_remote_host(c);
    struct http_server_cfg cfg = {0, l->w->s->hosts[l->h].name};
    wb->e = http_server_new(&cfg);
    if (!wb->w->opts.no_lines) (void)http_server_log(wb->e); /* trace from the first line on */
    wb->next = wb->w->webs;
    wb->w->webs = wb;
    return wb;
}

static void world_web_free(struct world_web *wb)
{
    struct world_web **pp = &wb->w->webs;
    while (*pp && *pp != wb) pp = &(*pp)->next;
    if (*pp) *pp = wb->next;
    http_server_free(wb->e);
    buf_free(&wb->in);
    free(wb);
}

static void world_web_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct world_web *wb = ctx;
    buf_add(&wb->in, data, len);
    world_web_pump(wb);
}

static void world_web_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    (void)err;
    struct world_web *wb = ctx;
    if (!wb || !wb->c) return;
    wb->c = NULL;
    http_server_closed(wb->e);
    world_web_free(wb);
}

void world_web_start(struct world *w, size_t h)
{
    struct world_web *l = ms_xcalloc(1, sizeof *l);
    l->w = w;
    l->h = h;
    l->next = w->webs;
    w->webs = l;
    tcp_listen(w->net, (uint32_t)h, WORLD_WEB_PORT, &world_web_ops, l);
}

void world_web_free_all(struct world *w)
{
    while (w->webs) {
        struct world_web *wb = w->webs;
        w->webs = wb->next;
        http_server_free(wb->e);
        buf_free(&wb->in);
        free(wb);
    }
}
