/* imap_test_util.h -- helpers shared by the IMAP tests: run a server engine
 * over a byte string in chunks and collect everything it sends. */
#ifndef MAILSIM_TESTS_IMAP_TEST_UTIL_H
#define MAILSIM_TESTS_IMAP_TEST_UTIL_H

#include <stdlib.h>
#include <string.h>

#include "proto/imap_server.h"

static bool imap_t_login(void *ctx, const char *user, const char *pass)
{
    (void)ctx;
    return (strcmp(user, "bob") == 0 && strcmp(pass, "secret") == 0) ||
           (strcmp(user, "mrc") == 0 && strcmp(pass, "secret") == 0) ||
           (strcmp(user, "\"user") == 0 && strcmp(pass, "sec\"ret{") == 0);
}

struct imap_t_out {
    char *p;
    size_t len, cap;
};

static void imap_t_add(struct imap_t_out *o, const char *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static void imap_t_drain(struct imap_server *s, struct imap_t_out *o)
{
    const char *p;
    size_t n = imap_server_out(s, &p);
    if (n) imap_t_add(o, p, n);
    imap_server_out_done(s, n);
}

/* Feed in[0..len) in chunks of at most chunk bytes, draining output as it
 * comes. Returns the bytes consumed. */
static size_t imap_t_feed(struct imap_server *s, const char *in, size_t len, size_t chunk, struct imap_t_out *o)
{
    size_t pos = 0;
    int stall = 0;
    imap_t_drain(s, o);
    while (pos < len && !imap_server_done(s) && stall < 1000) {
        size_t k = len - pos < chunk ? len - pos : chunk;
        size_t used = imap_server_recv(s, in + pos, k);
        pos += used;
        stall = used ? 0 : stall + 1;
        imap_t_drain(s, o);
    }
    imap_t_drain(s, o);
    return pos;
}

static struct imap_server *imap_t_server(struct mbox_store *st)
{
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.check_login = imap_t_login;
    cfg.epoch_unix = 1767603600; /* 2026-01-05 09:00:00 UTC */
    return imap_server_new(&cfg);
}

/* One whole session: returns the output (caller frees). */
static char *imap_t_session(struct mbox_store *st, const char *in, size_t chunk)
{
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    imap_t_add(&o, "", 0);
    imap_t_feed(s, in, strlen(in), chunk, &o);
    imap_server_free(s);
    return o.p;
}

#endif
