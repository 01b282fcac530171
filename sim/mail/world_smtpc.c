/* world_smtpc.c -- one SMTP client connection: the sans-I/O client engine
 * (proto/smtp_client.h) joined to a simulated TCP connection, with every
 * line traced and the engine's timers run on the event queue. Used by the
 * mail server's queue runner and by user agents. */
#include "mail/world_smtpc.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct world_smtpc {
    struct world *w;
    struct smtp_client *e;
    struct tcp_conn *c;
    uint32_t host, dst, conn;
    const struct world_smtpc_ops *ops;
    void *ctx;
    evq_handle timer;
    bool connected;
    bool finished;
    enum tcp_err err;
};

static void world_smtpc_on_connected(void *ctx, struct tcp_conn *c);
static void world_smtpc_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void world_smtpc_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err);
static void world_smtpc_pump(struct world_smtpc *s, const uint8_t *in, size_t len);

static const struct tcp_app_ops world_smtpc_tcp = {
    .on_connected = world_smtpc_on_connected,
    .on_data = world_smtpc_on_data,
    .on_close = world_smtpc_on_close,
};

static void world_smtpc_events(struct world_smtpc *s)
{
    struct smtp_cevent ev;
    while (smtp_client_event(s->e, &ev)) {
        if (ev.kind == SMTP_CEV_RCPT_OUTCOME && s->ops->rcpt_outcome) {
            char text[512];
            size_t n = ev.text_len < sizeof text - 1 ? ev.text_len : sizeof text - 1;
            memcpy(text, ev.text ? ev.text : "", n);
            text[n] = '\0';
            /* Multi-line replies: keep the first line for the trace. */
            char *crlf = strstr(text, "\r\n");
            if (crlf) *crlf = '\0';
            if (!s->connected && s->err != TCP_ERR_OK)
                snprintf(text, sizeof text, "%s", tcp_strerror(s->err));
            s->ops->rcpt_outcome(s->ctx, ev.user, ev.rcpt_index, ev.outcome, ev.code, text);
        }
    }
}

static void world_smtpc_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct world_smtpc *s = ctx;
    s->timer = EVQ_NONE;
    smtp_client_timeout(s->e);
    world_smtpc_events(s);
    if (s->c) {
        struct tcp_conn *c = s->c;
        s->c = NULL;
        tcp_abort(c);
    }
    world_smtpc_on_close(s, NULL, TCP_ERR_TIMEOUT);
}

bool world_smtpc_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != world_smtpc_timeout) return false;
    *host = ((const struct world_smtpc *)ev->ctx)->host;
    return true;
}

static void world_smtpc_arm(struct world_smtpc *s)
{
    struct evq *q = s->w->q;
    if (evq_is_set(s->timer)) evq_cancel(q, s->timer);
    s->timer = EVQ_NONE;
    sim_us d = smtp_client_timeout_us(s->e);
    if (d > 0 && !s->finished)
        s->timer = evq_after(q, d, world_smtpc_timeout, s, 0, "SMTP timeout");
}

/* Trace the lines the engine read and sent so far, with its states. */
static void world_smtpc_log(struct world_smtpc *s)
{
    if (s->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(s->w, smtp_client_log(s->e), s->conn, s->host, s->dst, 'C', "SMTP");
}

static void world_smtpc_flush(struct world_smtpc *s)
{
    for (;;) {
        const char *out;
        size_t n = smtp_client_out(s->e, &out);
        if (n == 0 || !s->c) return;
        size_t sent = tcp_send(s->c, out, n);
        smtp_client_out_done(s->e, sent);
        world_smtpc_log(s);
        if (sent < n) return;
    }
}

static void world_smtpc_pump(struct world_smtpc *s, const uint8_t *in, size_t len)
{
    size_t off = 0;
    for (;;) {
        size_t used = off < len ? smtp_client_recv(s->e, (const char *)in + off, len - off) : 0;
        off += used;
        world_smtpc_log(s);
        world_smtpc_events(s);
        world_smtpc_flush(s);
        if (smtp_client_done(s->e)) {
            if (s->c) tcp_close(s->c);
            break;
        }
        if (used == 0) break;
    }
    world_smtpc_arm(s);
}

static void world_smtpc_on_connected(void *ctx, struct tcp_conn *c)
{
    struct world_smtpc *s = ctx;
    (void)c;
    s->connected = true;
    world_smtpc_pump(s, NULL, 0);
}

static void world_smtpc_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct world_smtpc *s = ctx;
    world_smtpc_pump(s, data, len);
}

static void world_smtpc_on_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct world_smtpc *s = ctx;
    if (s->finished) return;
    s->finished = true;
    s->c = NULL;
    s->err = err;
    if (!smtp_client_done(s->e)) {
        smtp_client_closed(s->e);
        world_smtpc_events(s);
    }
    if (evq_is_set(s->timer)) evq_cancel(s->w->q, s->timer);
    s->timer = EVQ_NONE;
    const struct world_smtpc_ops *ops = s->ops;
    void *octx = s->ctx;
    world_smtpc_free(s);
    if (ops->done) ops->done(octx, err);
}

struct world_smtpc *world_smtpc_new(struct world *w, uint32_t host, uint32_t dst, uint16_t port,
                                    const struct smtp_client_cfg *cfg,
                                    const struct world_smtpc_ops *ops, void *ctx)
{
    struct world_smtpc *s = ms_xcalloc(1, sizeof *s);
    s->w = w;
    s->host = host;
    s->dst = dst;
    s->ops = ops;
    s->ctx = ctx;
    s->e = smtp_client_new(cfg);
    s->c = tcp_connect(w->net, host, dst, port, &world_smtpc_tcp, s);
    s->conn = tcp_conn_id(s->c);
    world_smtpc_arm(s);
    return s;
}

bool world_smtpc_add(struct world_smtpc *s, const struct smtp_client_txn *t, struct ms_error *err)
{
    return smtp_client_add(s->e, t, err);
}

void world_smtpc_quit(struct world_smtpc *s)
{
    smtp_client_quit(s->e);
    if (s->connected && s->c) world_smtpc_pump(s, NULL, 0);
}

void world_smtpc_abort(struct world_smtpc *s)
{
    if (s->finished) return;
    struct tcp_conn *c = s->c;
    s->c = NULL;
    if (c) tcp_abort(c);
    world_smtpc_on_close(s, NULL, TCP_ERR_HOST_DOWN);
}

void world_smtpc_free(struct world_smtpc *s)
{
    if (!s) return;
    smtp_client_free(s->e);
    free(s);
}
