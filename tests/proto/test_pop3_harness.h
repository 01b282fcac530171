/* test_pop3_harness.h -- drive the POP3 engines in memory for the tests.
 *
 * A server session with a fixed user table answers AUTH and UPDATE events the
 * way a mail server would; a pipe joins a client and a server, cutting the
 * byte stream in pieces of a given size. Static functions: include once. */
#ifndef MAILSIM_TEST_POP3_HARNESS_H
#define MAILSIM_TEST_POP3_HARNESS_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_client.h"
#include "proto/pop3_server.h"
#include "core/common.h"

#define H_OUT_CAP (1u << 20)
#define H_MAX_MSGS 16

struct h_server {
    struct pop3_server *s;
    struct pop3_msg msgs[H_MAX_MSGS];
    size_t n;
    const char *user, *pass, *ts;
    bool locked;
    char *out; /* everything the server sent */
    size_t out_len;
    size_t step;       /* drain at most this many bytes per out() call (0: all) */
    char deleted[512]; /* uids removed in UPDATE, ' '-joined */
    int updates, closes, auths;
    char events[4096]; /* "VERB:ok:FROM>TO;" per COMMAND event */
};

static inline void h_server_init(struct h_server *h, const char *ts)
{
    memset(h, 0, sizeof *h);
    h->user = "mrose";
    h->pass = "tanstaaf";
    h->ts = ts;
    h->out = calloc(1, H_OUT_CAP);
    struct pop3_server_cfg cfg = {.hostname = "dewey", .timestamp = ts};
    h->s = pop3_server_new(&cfg);
}

static inline void h_server_pump(struct h_server *h);

static inline void h_server_add(struct h_server *h, const char *uid, const char *data)
{
    h->msgs[h->n].uid = uid;
    h->msgs[h->n].data = data;
    h->msgs[h->n].len = strlen(data);
    h->n++;
}

static inline void h_server_fini(struct h_server *h)
{
    pop3_server_free(h->s);
    free(h->out);
}

/* Drain output and answer events until nothing more happens. */
static inline void h_server_pump(struct h_server *h)
{
    for (;;) {
        bool busy = false;
        const char *p;
        size_t n;
        while ((n = pop3_server_out(h->s, &p)) > 0) {
            if (h->step && n > h->step) n = h->step;
            if (h->out_len + n < H_OUT_CAP) {
                memcpy(h->out + h->out_len, p, n);
                h->out_len += n;
            }
            pop3_server_out_done(h->s, n);
            busy = true;
        }
        struct pop3_server_event ev;
        while (pop3_server_event(h->s, &ev)) {
            busy = true;
            if (ev.kind == POP3_EV_COMMAND) {
                size_t l = strlen(h->events);
                snprintf(h->events + l, sizeof h->events - l, "%s:%s:%s>%s;", ev.verb,
                         ev.ok ? "ok" : "err", pop3_state_name(ev.from), pop3_state_name(ev.to));
            } else if (ev.kind == POP3_EV_AUTH) {
                h->auths++;
                bool good;
                if (ev.method == POP3_AUTH_APOP) {
                    char d[33];
                    pop3_apop_digest(ev.timestamp, h->pass, d);
                    good = strcmp(ev.user, h->user) == 0 && strcmp(ev.secret, d) == 0;
                } else {
                    good = strcmp(ev.user, h->user) == 0 && strcmp(ev.secret, h->pass) == 0;
                }
                if (!good)
                    pop3_server_auth_fail(h->s, POP3_AUTH_BAD);
                else if (h->locked)
                    pop3_server_auth_fail(h->s, POP3_AUTH_LOCKED);
                else
                    pop3_server_auth_ok(h->s, h->msgs, h->n);
            } else if (ev.kind == POP3_EV_UPDATE) {
                h->updates++;
                for (size_t i = 0; i < ev.n_uids; i++) {
                    size_t l = strlen(h->deleted);
                    snprintf(h->deleted + l, sizeof h->deleted - l, "%s%s", l ? " " : "",
                             ev.uids[i]);
                }
                pop3_server_update_done(h->s, true);
            } else if (ev.kind == POP3_EV_CLOSE) {
                h->closes++;
            }
        }
        if (!busy) return;
    }
}

/* Feed client bytes, step octets at a time (0: all at once), pumping between. */
static inline void h_server_send_step(struct h_server *h, const char *in, size_t len, size_t step)
{
    size_t pos = 0;
    int stuck = 0;
    h_server_pump(h);
    while (pos < len && stuck < 1000) {
        size_t chunk = step && len - pos > step ? step : len - pos;
        size_t k = pop3_server_recv(h->s, in + pos, chunk);
        pos += k;
        stuck = k ? 0 : stuck + 1;
        h_server_pump(h);
        if (pop3_server_state(h->s) == POP3_S_CLOSED) break;
    }
}

static inline void h_server_send(struct h_server *h, const char *in)
{
    h_server_send_step(h, in, strlen(in), 0);
}

/* Reset the captured output (keep the session). */
static inline void h_clear(struct h_server *h)
{
    h->out_len = 0;
    h->out[0] = '\0';
}

/* Captured output as a C string. */
static inline const char *h_out(struct h_server *h)
{
    h->out[h->out_len] = '\0';
    return h->out;
}

/* ---- client <-> server pipe ---------------------------------------------------- */

struct h_pipe_result {
    int messages;
    char got[8192];    /* "uid=len;" per retrieved message */
    char bodies[8192]; /* bodies concatenated with '|' */
    bool done_ok, failed;
    char errors[1024];
};

/* Run client against server, moving at most step bytes per hop in each
 * direction (0: everything). */
static inline void h_pipe_run(struct h_server *h, struct pop3_client *c, size_t step,
                              struct h_pipe_result *r)
{
    memset(r, 0, sizeof *r);
    char s2c[1 << 16];
    size_t s2c_len = 0;
    char c2s[4096];
    size_t c2s_len = 0;
    for (int round = 0; round < 200000; round++) {
        bool busy = false;
        /* server -> pipe */
        const char *p;
        size_t n;
        if ((n = pop3_server_out(h->s, &p)) > 0 && s2c_len < sizeof s2c / 2) {
            if (step && n > step) n = step;
            memcpy(s2c + s2c_len, p, n);
            s2c_len += n;
            pop3_server_out_done(h->s, n);
            busy = true;
        }
        /* pipe -> client */
        if (s2c_len > 0) {
            size_t n2 = step && s2c_len > step ? step : s2c_len;
            size_t k = pop3_client_recv(c, s2c, n2);
            memmove(s2c, s2c + k, s2c_len - k);
            s2c_len -= k;
            busy |= k > 0;
        }
        struct pop3_client_event ev;
        while (pop3_client_event(c, &ev)) {
            busy = true;
            if (ev.kind == POP3_CEV_MESSAGE) {
                r->messages++;
                size_t l = strlen(r->got);
                snprintf(r->got + l, sizeof r->got - l, "%s=%zu;", ev.uid, ev.len);
                l = strlen(r->bodies);
                snprintf(r->bodies + l, sizeof r->bodies - l, "%.*s|", (int)ev.len, ev.data);
            } else if (ev.kind == POP3_CEV_ERROR) {
                size_t l = strlen(r->errors);
                snprintf(r->errors + l, sizeof r->errors - l, "%s;", ev.text);
            } else if (ev.kind == POP3_CEV_DONE) {
                r->done_ok = ev.ok;
            }
        }
        /* client -> pipe -> server */
        if ((n = pop3_client_out(c, &p)) > 0 && c2s_len + n < sizeof c2s) {
            memcpy(c2s + c2s_len, p, n);
            c2s_len += n;
            pop3_client_out_done(c, n);
            busy = true;
        }
        if (c2s_len > 0) {
            size_t n2 = step && c2s_len > step ? step : c2s_len;
            size_t k = pop3_server_recv(h->s, c2s, n2);
            memmove(c2s, c2s + k, c2s_len - k);
            c2s_len -= k;
            busy |= k > 0;
        }
        size_t keep_len = h->out_len;
        h->step = 1u << 30;
        /* answer server events without draining its output (the pipe does) */
        struct pop3_server_event sev;
        while (pop3_server_event(h->s, &sev)) {
            busy = true;
            if (sev.kind == POP3_EV_AUTH) {
                char d[33];
                pop3_apop_digest(sev.timestamp ? sev.timestamp : "", h->pass, d);
                bool good = strcmp(sev.user, h->user) == 0 &&
                            strcmp(sev.secret, sev.method == POP3_AUTH_APOP ? d : h->pass) == 0;
                if (good)
                    pop3_server_auth_ok(h->s, h->msgs, h->n);
                else
                    pop3_server_auth_fail(h->s, POP3_AUTH_BAD);
            } else if (sev.kind == POP3_EV_UPDATE) {
                h->updates++;
                for (size_t i = 0; i < sev.n_uids; i++) {
                    size_t l = strlen(h->deleted);
                    snprintf(h->deleted + l, sizeof h->deleted - l, "%s%s", l ? " " : "",
                             sev.uids[i]);
                }
                pop3_server_update_done(h->s, true);
            }
        }
        h->out_len = keep_len;
        enum pop3_client_state cs = pop3_client_state(c);
        if ((cs == POP3_C_DONE || cs == POP3_C_FAILED) && !busy) break;
        if (!busy) break;
    }
    r->failed = pop3_client_state(c) == POP3_C_FAILED;
}

#endif
