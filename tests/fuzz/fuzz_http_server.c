/* fuzz_http_server.c -- HTTP/1.1 server engine from arbitrary client bytes.
 * Byte 0 picks a chunk size. Oracles: two cuts of the same stream give the
 * same output (bad-inputs X1); every response starts with "HTTP/1.1 ".
 * Requests go through the webmail router and POST bodies through the form
 * decoder, whose To and Subject must never hold CR or LF. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/webmail.h"
#include "proto/http_server.h"

struct fz_out {
    char buf[1 << 16];
    size_t len;
};

static void fz_pump(struct http_server *s, struct fz_out *o)
{
    for (int guard = 0; guard < 10000; guard++) {
        int busy = 0;
        struct http_server_event ev;
        while (http_server_event(s, &ev)) {
            busy = 1;
            if (ev.kind == HTTP_EV_REQUEST) {
                char uid[71];
                enum webmail_route rt =
                    webmail_route(ev.req.method, ev.req.target, uid, sizeof uid);
                if (rt == WEBMAIL_MESSAGE && strlen(uid) > 70) abort();
                if (ev.req.body_len > 0) {
                    struct webmail_form form;
                    struct ms_error err;
                    if (webmail_form_decode(ev.req.body, ev.req.body_len, &form, &err)) {
                        if (strpbrk(form.to, "\r\n") || strpbrk(form.subject, "\r\n")) abort();
                        if (strlen(form.body) != form.body_len) abort();
                    } else {
                        size_t len;
                        char *page = webmail_render_compose("fuzz@example", NULL, err.msg, &len);
                        if (strstr(page, "<script")) abort();
                        free(page);
                    }
                    webmail_form_free(&form);
                }
                char body[128];
                int n = snprintf(body, sizeof body, "%s %zu", ev.req.method, ev.req.body_len);
                struct http_header f[] = {{"Content-Type", "text/plain"}};
                if (strcmp(ev.req.target, "/404") == 0)
                    http_server_respond(s, 404, NULL, 0, "", 0);
                else
                    http_server_respond(s, 200, f, 1, body, (size_t)n);
            }
        }
        const char *p;
        size_t n;
        while ((n = http_server_out(s, &p)) > 0) {
            if (o->len + n <= sizeof o->buf) {
                memcpy(o->buf + o->len, p, n);
                o->len += n;
            }
            http_server_out_done(s, n);
            busy = 1;
        }
        if (!busy) return;
    }
}

static void fz_run(const char *in, size_t len, size_t step, struct fz_out *o)
{
    o->len = 0;
    struct http_server_cfg cfg = {.max_body = 2048, .server_name = "fuzz"};
    struct http_server *s = http_server_new(&cfg);
    size_t pos = 0;
    int stuck = 0;
    while (pos < len && stuck < 3) {
        size_t chunk = len - pos < step ? len - pos : step;
        size_t k = http_server_recv(s, in + pos, chunk);
        pos += k;
        stuck = k ? 0 : stuck + 1;
        fz_pump(s, o);
    }
    http_server_timeout(s);
    fz_pump(s, o);
    http_server_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 32768) return 0;
    static struct fz_out a, b;
    fz_run((const char *)data + 1, size - 1, (size_t)data[0] % 32 + 1, &a);
    fz_run((const char *)data + 1, size - 1, size, &b);
    if (a.len != b.len || memcmp(a.buf, b.buf, a.len) != 0) abort();
    if (a.len > 0 && (a.len < 9 || memcmp(a.buf, "HTTP/1.1 ", 9) != 0)) abort();
    return 0;
}
