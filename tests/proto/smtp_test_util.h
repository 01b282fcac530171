/* smtp_test_util.h -- shared drivers for the SMTP engine tests, benchmark
 * and fuzzers (header-only, static functions).
 *
 *   srv_drive(): feed a client byte stream to a server in chunks, answering
 *                verdicts with a fixed policy; collect replies and events.
 *   pipe_run():  a client engine and a server engine joined by an in-memory
 *                byte pipe that delivers in chunks chosen by a chunker.
 *
 * Verdict policy (by recipient local part): "unknown*" -> 550 unknown user,
 * "relay*" -> 554 relay denied, "temp*" -> 451, "full*" -> 452, otherwise
 * accepted. AUTH accepts alice/secret only. Messages whose body contains
 * "REJECT-ME" get 554; "LOOP-ME" triggers the loop verdict; others queue. */
#ifndef MAILSIM_TESTS_SMTP_TEST_UTIL_H
#define MAILSIM_TESTS_SMTP_TEST_UTIL_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/smtp_client.h"
#include "proto/smtp_server.h"

struct tbuf {
    char *p;
    size_t len, cap;
};

static inline void tbuf_add(struct tbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t nc = b->cap ? b->cap : 256;
        while (nc < b->len + n + 1) nc *= 2;
        b->p = realloc(b->p, nc);
        if (!b->p) abort();
        b->cap = nc;
    }
    if (n) memcpy(b->p + b->len, s, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static inline void tbuf_str(struct tbuf *b, const char *s)
{
    tbuf_add(b, s, strlen(s));
}

static inline void tbuf_free(struct tbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof *b);
}

static inline int tu_has_prefix(const char *s, size_t n, const char *pfx)
{
    size_t pl = strlen(pfx);
    return n >= pl && memcmp(s, pfx, pl) == 0;
}

/* Answer a server event that needs a verdict; log it when log != NULL. */
static inline void tu_server_policy(struct smtp_server *s, const struct smtp_event *ev)
{
    if (!ev->needs_verdict) return;
    if (ev->kind == SMTP_EV_RCPT_ASKED) {
        if (tu_has_prefix(ev->arg, ev->arg_len, "unknown")) {
            smtp_server_verdict(s, SMTP_V_UNKNOWN_USER, NULL);
        } else if (tu_has_prefix(ev->arg, ev->arg_len, "relay")) {
            smtp_server_verdict(s, SMTP_V_RELAY_DENIED, NULL);
        } else if (tu_has_prefix(ev->arg, ev->arg_len, "temp")) {
            smtp_server_verdict(s, SMTP_V_TEMPFAIL, NULL);
        } else if (tu_has_prefix(ev->arg, ev->arg_len, "full")) {
            smtp_server_verdict(s, SMTP_V_NO_STORAGE, NULL);
        } else {
            smtp_server_verdict(s, SMTP_V_ACCEPT, NULL);
        }
    } else if (ev->kind == SMTP_EV_AUTH_ASKED) {
        int ok = ev->user_len == 5 && memcmp(ev->user, "alice", 5) == 0 && ev->pass_len == 6 &&
                 memcmp(ev->pass, "secret", 6) == 0;
        smtp_server_verdict(s, ok ? SMTP_V_ACCEPT : SMTP_V_AUTH_FAILED, NULL);
    } else if (ev->kind == SMTP_EV_MESSAGE) {
        const char *m = ev->arg;
        size_t n = ev->arg_len;
        int reject = 0, loop = 0;
        for (size_t i = 0; i < n; i++) {
            if (n - i >= 9 && memcmp(m + i, "REJECT-ME", 9) == 0) reject = 1;
            if (n - i >= 7 && memcmp(m + i, "LOOP-ME", 7) == 0) loop = 1;
        }
        if (reject) {
            smtp_server_verdict(s, SMTP_V_REJECT, NULL);
        } else if (loop) {
            smtp_server_verdict(s, SMTP_V_LOOP, NULL);
        } else {
            smtp_server_verdict(s, SMTP_V_ACCEPT, NULL);
        }
    }
}

/* One line per server event: "KIND before->after code arg". */
static inline void tu_log_server_event(struct tbuf *log, const struct smtp_event *ev)
{
    char head[160];
    snprintf(head, sizeof head, "%s %s->%s %d ", smtp_event_kind_name(ev->kind),
             smtp_server_state_name(ev->before), smtp_server_state_name(ev->after), ev->code);
    tbuf_str(log, head);
    if (ev->kind == SMTP_EV_MESSAGE) {
        char n[32];
        snprintf(n, sizeof n, "[%zu bytes]", ev->arg_len);
        tbuf_str(log, n);
    } else if (ev->arg && ev->kind != SMTP_EV_REPLY) {
        tbuf_add(log, ev->arg, ev->arg_len);
    }
    tbuf_str(log, "\n");
}

struct srv_result {
    struct tbuf out;      /* everything the server sent, greeting included */
    struct tbuf log;      /* event log */
    struct tbuf messages; /* accepted messages, each followed by "\n--END--\n" */
    size_t accepted;      /* 250 replies after end of data */
    int closed;
};

/* Drain events (answering verdicts) and output of s into r. */
static inline void tu_server_drain(struct smtp_server *s, struct srv_result *r)
{
    for (;;) {
        struct smtp_event ev;
        int any = 0;
        while (smtp_server_event(s, &ev)) {
            any = 1;
            tu_log_server_event(&r->log, &ev);
            if (ev.kind == SMTP_EV_MESSAGE) {
                tbuf_add(&r->messages, ev.arg, ev.arg_len);
                tbuf_str(&r->messages, "\n--END--\n");
            }
            if (ev.kind == SMTP_EV_REPLY && ev.before == SMTP_SS_DATA && ev.code == 250)
                r->accepted++;
            tu_server_policy(s, &ev);
        }
        const char *o;
        size_t n = smtp_server_out(s, &o);
        if (n) {
            tbuf_add(&r->out, o, n);
            smtp_server_out_done(s, n);
            any = 1;
        }
        if (!any) break;
    }
}

#define TU_PER_LINE ((size_t)-1)

/* Run a server on input delivered in chunks of `chunk` bytes (0 = all at
 * once, TU_PER_LINE = up to and including each LF, like a client that waits
 * for every reply). */
static inline void srv_drive(const struct smtp_server_cfg *cfg, const char *in, size_t len,
                             size_t chunk, struct srv_result *r)
{
    memset(r, 0, sizeof *r);
    struct smtp_server *s = smtp_server_new(cfg);
    tu_server_drain(s, r);
    size_t pos = 0;
    while (pos < len) {
        size_t end = chunk ? (pos + chunk < len ? pos + chunk : len) : len;
        if (chunk == TU_PER_LINE) {
            const char *lf = memchr(in + pos, '\n', len - pos);
            end = lf ? (size_t)(lf - in) + 1 : len;
        }
        while (pos < end) {
            size_t n = smtp_server_recv(s, in + pos, end - pos);
            pos += n;
            size_t before = r->out.len + r->log.len;
            tu_server_drain(s, r);
            if (n == 0 && r->out.len + r->log.len == before) break; /* blocked */
        }
        if (pos < end) break;
    }
    r->closed = smtp_server_closed(s);
    smtp_server_free(s);
}

static inline void srv_result_free(struct srv_result *r)
{
    tbuf_free(&r->out);
    tbuf_free(&r->log);
    tbuf_free(&r->messages);
}

/* ---- client <-> server pipe ------------------------------------------------ */

/* Chooses the size of the next delivery; state is the caller's. */
typedef size_t tu_chunker(void *state, size_t avail);

struct pipe_result {
    struct tbuf c2s, s2c;   /* bytes on the wire each way */
    struct tbuf slog, clog; /* event logs */
    struct tbuf messages;   /* messages the server accepted */
    size_t outcomes[SMTP_OUT_COUNT];
    int client_done, server_closed;
};

static inline void tu_log_client_event(struct tbuf *log, const struct smtp_cevent *e)
{
    char head[200];
    snprintf(head, sizeof head, "%s %s->%s %d ", smtp_cevent_kind_name(e->kind),
             smtp_client_state_name(e->before), smtp_client_state_name(e->after), e->code);
    tbuf_str(log, head);
    if (e->kind == SMTP_CEV_RCPT_OUTCOME) {
        tbuf_str(log, e->rcpt);
        tbuf_str(log, " ");
        tbuf_str(log, smtp_outcome_name(e->outcome));
        tbuf_str(log, " ");
    }
    if (e->kind == SMTP_CEV_DATA_SENT) {
        snprintf(head, sizeof head, "%zu bytes", e->bytes);
        tbuf_str(log, head);
    } else if (e->text) {
        tbuf_add(log, e->text, e->text_len);
    }
    tbuf_str(log, "\n");
}

struct tu_pipe_dir {
    struct tbuf q; /* bytes in flight */
    size_t head;
};

/* Run one session: the client sends txns then QUITs. */
static inline void pipe_run(const struct smtp_server_cfg *scfg, const struct smtp_client_cfg *ccfg,
                            const struct smtp_client_txn *txns, size_t ntxn, tu_chunker *chunker,
                            void *cst, struct pipe_result *r)
{
    memset(r, 0, sizeof *r);
    struct smtp_server *s = smtp_server_new(scfg);
    struct smtp_client *c = smtp_client_new(ccfg);
    for (size_t i = 0; i < ntxn; i++) {
        if (!smtp_client_add(c, &txns[i], NULL)) abort();
    }
    smtp_client_quit(c);
    struct tu_pipe_dir to_s = {{0}, 0}, to_c = {{0}, 0};
    struct srv_result sr;
    memset(&sr, 0, sizeof sr);
    for (int guard = 0; guard < 1000000; guard++) {
        int progress = 0;
        /* server side: events, verdicts, output into the pipe */
        size_t sl = sr.log.len, so = sr.out.len;
        tu_server_drain(s, &sr);
        if (sr.out.len > so) tbuf_add(&to_c.q, sr.out.p + so, sr.out.len - so);
        if (sr.log.len != sl || sr.out.len != so) progress = 1;
        /* client side */
        struct smtp_cevent e;
        while (smtp_client_event(c, &e)) {
            progress = 1;
            tu_log_client_event(&r->clog, &e);
            if (e.kind == SMTP_CEV_RCPT_OUTCOME) r->outcomes[e.outcome]++;
        }
        const char *o;
        size_t n = smtp_client_out(c, &o);
        if (n) {
            tbuf_add(&to_s.q, o, n);
            tbuf_add(&r->c2s, o, n);
            smtp_client_out_done(c, n);
            progress = 1;
            continue; /* drain client events the pump may have made */
        }
        /* deliver one chunk each way */
        if (to_s.head < to_s.q.len) {
            size_t avail = to_s.q.len - to_s.head;
            size_t k = chunker ? chunker(cst, avail) : avail;
            if (k == 0 || k > avail) k = avail;
            size_t used = smtp_server_recv(s, to_s.q.p + to_s.head, k);
            to_s.head += used;
            if (used) progress = 1;
        }
        if (to_c.head < to_c.q.len) {
            size_t avail = to_c.q.len - to_c.head;
            size_t k = chunker ? chunker(cst, avail) : avail;
            if (k == 0 || k > avail) k = avail;
            size_t used = smtp_client_recv(c, to_c.q.p + to_c.head, k);
            to_c.head += used;
            if (used) progress = 1;
        }
        if (!progress) break;
    }
    tbuf_add(&r->s2c, sr.out.p ? sr.out.p : "", sr.out.len);
    tbuf_add(&r->slog, sr.log.p ? sr.log.p : "", sr.log.len);
    tbuf_add(&r->messages, sr.messages.p ? sr.messages.p : "", sr.messages.len);
    r->client_done = smtp_client_done(c);
    r->server_closed = smtp_server_closed(s);
    srv_result_free(&sr);
    tbuf_free(&to_s.q);
    tbuf_free(&to_c.q);
    smtp_client_free(c);
    smtp_server_free(s);
}

static inline void pipe_result_free(struct pipe_result *r)
{
    tbuf_free(&r->c2s);
    tbuf_free(&r->s2c);
    tbuf_free(&r->slog);
    tbuf_free(&r->clog);
    tbuf_free(&r->messages);
}

#endif
