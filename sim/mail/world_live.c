/* world_live.c -- accessors for live mode (see world_live.h). */
#include "mail/world_live.h"

#include "mail/world_int.h"

#include "core/md5.h"
#include "mail/mta_int.h"

struct net *world_net(struct world *w)
{
    return w->net;
}

struct evq *world_evq(struct world *w)
{
    return w->q;
}

void world_live_web_secret(struct world *w, const unsigned char *secret, size_t n)
{
    md5_hex(secret, n, w->web_secret);
}

void world_live_tls(struct world *w, uint32_t peer)
{
    w->live_tls = true;
    w->live_tls_peer = peer;
}

bool world_live_tls_for(const struct world *w, uint32_t peer)
{
    return w->live_tls && w->live_tls_peer == peer;
}

bool world_live_timeout(struct world *w, uint32_t host, uint32_t conn)
{
    if (host >= w->s->n_hosts || !w->mta[host]) return false;
    return mta_timeout_conn(w->mta[host], conn, false);
}

bool world_live_shutdown(struct world *w, uint32_t host, uint32_t conn)
{
    if (host >= w->s->n_hosts || !w->mta[host]) return false;
    return mta_timeout_conn(w->mta[host], conn, true);
}

void world_live_tap(struct world *w, uint32_t peer, world_live_tap_fn *fn, void *ctx)
{
    w->live_tap = fn;
    w->live_ctx = ctx;
    w->live_peer = peer;
}

void world_live_mark(struct world *w, uint32_t conn, unsigned marks)
{
    for (size_t i = 0; i < w->n_live_marks; i++) {
        if (w->live_marks[i].conn != conn) continue;
        w->live_marks[i].marks |= marks;
        return;
    }
    if (w->n_live_marks == w->cap_live_marks) {
        w->cap_live_marks = w->cap_live_marks ? 2 * w->cap_live_marks : 8;
        w->live_marks = ms_xrealloc(w->live_marks, w->cap_live_marks * sizeof *w->live_marks);
    }
    w->live_marks[w->n_live_marks].conn = conn;
    w->live_marks[w->n_live_marks++].marks = marks;
}

unsigned world_live_take(struct world *w, uint32_t conn)
{
    for (size_t i = 0; i < w->n_live_marks; i++) {
        if (w->live_marks[i].conn != conn) continue;
        unsigned marks = w->live_marks[i].marks;
        w->live_marks[i] = w->live_marks[--w->n_live_marks];
        return marks;
    }
    return 0;
}
