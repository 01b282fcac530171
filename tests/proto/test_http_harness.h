/* test_http_harness.h -- drive the HTTP engines in memory for the tests.
 * A server answered by a tiny echo handler; a client/server pipe that cuts
 * the streams in pieces. Static inline functions: include once. */
#ifndef MAILSIM_TEST_HTTP_HARNESS_H
#define MAILSIM_TEST_HTTP_HARNESS_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http_client.h"
#include "proto/http_server.h"
#include "core/common.h"

struct hs {
    struct http_server *s;
    char out[1 << 16];
    size_t out_len;
    char log[4096]; /* "REQ method target len;" "ERR status text@off;" "CLOSE;" */
    int requests;
};

static inline void hs_init(struct hs *h, size_t max_body)
{
    memset(h, 0, sizeof *h);
    struct http_server_cfg cfg = {.max_body = max_body, .server_name = "mailsim"};
    h->s = http_server_new(&cfg);
}

static inline void hs_log(struct hs *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static inline void hs_log(struct hs *h, const char *fmt, ...)
{
    size_t l = strlen(h->log);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(h->log + l, sizeof h->log - l, fmt, ap);
    va_end(ap);
}

/* The handler: 404 for /missing, else 200 echoing method, target and body. */
static inline void hs_answer(struct http_server *s, const struct http_request *r)
{
    if (strcmp(r->target, "/missing") == 0) {
        http_server_respond(s, 404, NULL, 0, "no such page\n", 13);
        return;
    }
    char body[512];
    int n = snprintf(body, sizeof body, "%s %s [%.*s]\n", r->method, r->target, (int)r->body_len,
                     r->body);
    struct http_header f[] = {{"Content-Type", "text/plain"}};
    http_server_respond(s, 200, f, 1, body, (size_t)n);
}

static inline void hs_pump(struct hs *h)
{
    for (;;) {
        bool busy = false;
        struct http_server_event ev;
        while (http_server_event(h->s, &ev)) {
            busy = true;
            if (ev.kind == HTTP_EV_REQUEST) {
                h->requests++;
                hs_log(h, "REQ %s %s %zu;", ev.req.method, ev.req.target, ev.req.body_len);
                hs_answer(h->s, &ev.req);
            } else if (ev.kind == HTTP_EV_ERROR) {
                hs_log(h, "ERR %d %s@%zu;", ev.status, ev.text, ev.offset);
            } else if (ev.kind == HTTP_EV_CLOSE) {
                hs_log(h, "CLOSE;");
            }
        }
        const char *p;
        size_t n;
        while ((n = http_server_out(h->s, &p)) > 0) {
            if (h->out_len + n < sizeof h->out) {
                memcpy(h->out + h->out_len, p, n);
                h->out_len += n;
                h->out[h->out_len] = '\0';
            }
            http_server_out_done(h->s, n);
            busy = true;
        }
        if (!busy) return;
    }
}

/* Feed in, step octets at a time (0: all at once). Returns bytes consumed. */
static inline size_t hs_send(struct hs *h, const char *in, size_t len, size_t step)
{
    size_t pos = 0;
    int stuck = 0;
    while (pos < len && stuck < 3) {
        size_t chunk = step && len - pos > step ? step : len - pos;
        size_t k = http_server_recv(h->s, in + pos, chunk);
        pos += k;
        stuck = k ? 0 : stuck + 1;
        hs_pump(h);
    }
    return pos;
}

static inline void hs_fini(struct hs *h)
{
    http_server_free(h->s);
}

#endif
