/* ua_imap.c -- a user agent reading mail with IMAP4rev1 (RFC 3501) on port
 * 143, on the IMAP client engine (proto/imap_client.h): CAPABILITY, LOGIN,
 * then the scenario's steps one command at a time (LIST, SELECT, SEARCH,
 * FETCH header or part, MOVE (RFC 6851), STORE flags, CREATE, NOOP, IDLE
 * (RFC 2177) until an update or a time, a pause with no command), then
 * LOGOUT, unless the scenario keeps the session logged in.
 * The engine frames the responses, literals included, and reports its own
 * states; this file only plans the steps and joins the engine to TCP.
 * Without steps it selects INBOX and fetches every header. */
#include "mail/ua_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_client.h"

#define UA_IMAP_PORT 143
#define UA_IMAP_TIMEOUT (10 * SIM_US_PER_MIN)

struct ua_imap {
    struct ua_imap *next;
    struct ua *u;
    struct tcp_conn *c;
    uint32_t conn, server;
    struct imap_client *e;
    const struct scn_check_mail *ck; /* the steps, borrowed from the scenario */
    size_t step;                     /* next step to queue */
    bool logout_queued, done;
    bool waiting;          /* a "wait" step: no command until step_timer */
    bool stayed;           /* steps done, logged in on purpose ("logout": false) */
    sim_us idle_for;       /* the running IDLE's longest time */
    evq_handle timer;      /* the session's timeout */
    evq_handle step_timer; /* the end of a "wait" or an IDLE */
};

static void ua_imap_connected(void *ctx, struct tcp_conn *c);
static void ua_imap_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void ua_imap_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static void ua_imap_step_timer(void *ctx, uint64_t arg);
static void ua_imap_timeout(void *ctx, uint64_t arg);
static void ua_imap_pump(struct ua_imap *m, const uint8_t *in, size_t len);

static const struct tcp_app_ops ua_imap_ops = {
    .on_connected = ua_imap_connected,
    .on_data = ua_imap_data,
    .on_close = ua_imap_close,
};

/* Queue one scenario step on the engine. Returns false when the step cannot
 * be sent (the loader checked the texts, so only a full queue does this). */
static bool ua_imap_queue_step(struct ua_imap *m, const struct scn_imap_action *a)
{
    struct imap_client *e = m->e;
    const char *set = a->set ? a->set : "1:*";
    imap_client_use_uid(e, a->uid);
    int r = -1;
    switch (a->op) {
    case SCN_IMAP_LIST:
        r = imap_client_list(e, "", a->pattern ? a->pattern : "*");
        break;
    case SCN_IMAP_SELECT:
        r = imap_client_select(e, a->mailbox ? a->mailbox : "INBOX");
        break;
    case SCN_IMAP_SEARCH:
        r = imap_client_search_criteria(e, a->criteria ? a->criteria : "ALL");
        break;
    case SCN_IMAP_FETCH_HEADER:
        r = imap_client_fetch_set(e, set, NULL);
        break;
    case SCN_IMAP_FETCH_PART:
        r = imap_client_fetch_set(e, set, a->part ? a->part : "1");
        break;
    case SCN_IMAP_MOVE:
        r = imap_client_move(e, set, a->mailbox ? a->mailbox : "INBOX");
        break;
    case SCN_IMAP_STORE_FLAGS: {
        char flags[600];
        size_t o = 0;
        flags[0] = '\0';
        for (size_t k = 0; k < a->n_flags && o < sizeof flags; k++)
            o += (size_t)snprintf(flags + o, sizeof flags - o, "%s%s", k ? " " : "", a->flags[k]);
        const char *op = a->store_mode == SCN_STORE_REMOVE    ? "-FLAGS"
                         : a->store_mode == SCN_STORE_REPLACE ? "FLAGS"
                                                              : "+FLAGS";
        r = imap_client_store(e, set, op, flags);
        break;
    }
    case SCN_IMAP_CREATE:
        r = imap_client_create(e, a->mailbox ? a->mailbox : "Archive");
        break;
    case SCN_IMAP_LOGOUT:
        r = imap_client_logout(e);
        m->logout_queued = true;
        break;
    case SCN_IMAP_NOOP:
        r = imap_client_noop(e);
        break;
    case SCN_IMAP_IDLE:
        m->idle_for = a->wait;
        r = imap_client_idle_start(e);
        break;
    case SCN_IMAP_WAIT: {
        /* The user reads: no command, the connection stays open. The
         * session's timeout starts again when the pause ends. */
        struct world *w = m->u->w;
        if (evq_is_set(m->timer)) evq_cancel(w->q, m->timer);
        m->timer = EVQ_NONE;
        m->waiting = true;
        m->step_timer =
            evq_after(w->q, a->wait, ua_imap_step_timer, m, 0, "IMAP user reads (wait)");
        r = 0;
        break;
    }
    default:
        break;
    }
    imap_client_use_uid(e, false);
    return r >= 0;
}

/* Queue the next step once the engine is idle: one command in flight, so a
 * refused step (a failed SELECT) is answered before the next goes out. */
static void ua_imap_next(struct ua_imap *m)
{
    if (m->done || m->waiting || m->stayed || !imap_client_idle(m->e)) return;
    enum imap_client_state st = imap_client_state(m->e);
    if (st == IMAPC_S_LOGOUT || st == IMAPC_S_CLOSED) return;
    const struct scn_check_mail *ck = m->ck;
    while (!m->logout_queued) {
        if (ck->n_imap == 0) { /* the default: every header in INBOX */
            if (m->step == 0) {
                m->step++;
                if (imap_client_select(m->e, "INBOX") >= 0) return;
            } else if (m->step == 1) {
                m->step++;
                if (imap_client_fetch_set(m->e, "1:*", NULL) >= 0) return;
            }
        } else if (m->step < ck->n_imap) {
            if (ua_imap_queue_step(m, &ck->imap[m->step++])) return;
            continue;
        } else if (ck->stay) {
            /* Logged in on purpose: no LOGOUT and no timeout of our own; the
             * server's autologout ends the session (RFC 3501 §5.4). */
            m->stayed = true;
            if (evq_is_set(m->timer)) evq_cancel(m->u->w->q, m->timer);
            m->timer = EVQ_NONE;
            return;
        }
        m->logout_queued = true;
        imap_client_logout(m->e);
        return;
    }
}

static void ua_imap_free(struct ua_imap *m)
{
    struct ua_imap **pp = &m->u->imaps;
    while (*pp && *pp != m) pp = &(*pp)->next;
    if (*pp) *pp = m->next;
    if (evq_is_set(m->timer)) evq_cancel(m->u->w->q, m->timer);
    if (evq_is_set(m->step_timer)) evq_cancel(m->u->w->q, m->step_timer);
    imap_client_free(m->e);
    free(m);
}

void ua_imap_free_all(struct ua *u)
{
    while (u->imaps) ua_imap_free(u->imaps);
}

/* Trace the lines the engine read and sent so far, with its states. */
static void ua_imap_log(struct ua_imap *m)
{
    if (m->u->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(m->u->w, imap_client_log(m->e), m->conn, (uint32_t)m->u->h, m->server, 'C',
                    "IMAP");
}

/* The session's own timeout, again after a pause or an IDLE. */
static void ua_imap_rearm(struct ua_imap *m)
{
    struct world *w = m->u->w;
    if (evq_is_set(m->timer) || m->stayed || m->done) return;
    m->timer = evq_after(w->q, UA_IMAP_TIMEOUT, ua_imap_timeout, m, 0, "IMAP timeout");
}

static void ua_imap_events(struct ua_imap *m)
{
    struct imap_client_event ev;
    while (imap_client_event(m->e, &ev)) {
        if (ev.kind == IMAPC_EV_ERROR) {
            m->done = true;
        } else if (ev.kind == IMAPC_EV_DONE && strcmp(ev.action, "LOGIN") == 0 &&
                   strcmp(ev.result, "OK") != 0) {
            m->done = true; /* refused: nothing more to do on this server */
        } else if (ev.kind == IMAPC_EV_DONE && strcmp(ev.action, "LOGOUT") == 0) {
            m->done = true;
        } else if (ev.kind == IMAPC_EV_UNTAGGED && strcmp(ev.text, "idling") == 0) {
            /* The server idles: end it after idle_for at the latest. */
            struct world *w = m->u->w;
            if (evq_is_set(m->timer)) evq_cancel(w->q, m->timer);
            m->timer = EVQ_NONE;
            m->step_timer =
                evq_after(w->q, m->idle_for, ua_imap_step_timer, m, 1, "IMAP IDLE ends (DONE)");
        } else if (imap_client_idling(m->e) &&
                   (ev.kind == IMAPC_EV_EXISTS || ev.kind == IMAPC_EV_EXPUNGE ||
                    ev.kind == IMAPC_EV_FETCH)) {
            /* An update arrived while idling: the user agent has news and
             * ends the IDLE to act on it (RFC 2177 §3). */
            if (evq_is_set(m->step_timer)) evq_cancel(m->u->w->q, m->step_timer);
            m->step_timer = EVQ_NONE;
            imap_client_idle_done(m->e);
            ua_imap_rearm(m);
        }
    }
}

static void ua_imap_flush(struct ua_imap *m)
{
    for (;;) {
        const char *out;
        size_t n = imap_client_out(m->e, &out);
        if (n == 0 || !m->c) return;
        size_t sent = tcp_send(m->c, out, n);
        imap_client_out_done(m->e, sent);
        ua_imap_log(m);
        if (sent < n) return;
    }
}

static void ua_imap_pump(struct ua_imap *m, const uint8_t *in, size_t len)
{
    if (len) imap_client_recv(m->e, (const char *)in, len);
    ua_imap_log(m);
    ua_imap_events(m);
    ua_imap_next(m);
    ua_imap_flush(m);
    if (m->done && m->c) tcp_close(m->c);
}

static void ua_imap_connected(void *ctx, struct tcp_conn *c)
{
    (void)c;
    ua_imap_pump(ctx, NULL, 0);
}

static void ua_imap_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    ua_imap_pump(ctx, data, len);
}

static void ua_imap_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct ua_imap *m = ctx;
    struct world *w = m->u->w;
    m->c = NULL;
    if (err != TCP_ERR_OK && !m->done)
        trace_add_narration(w->tr, evq_now(w->q), (uint32_t)m->u->h,
                            "%s could not read mail on %s: %s", w->s->hosts[m->u->h].name,
                            w->s->hosts[m->server].name, tcp_strerror(err));
    ua_imap_free(m);
}

static void ua_imap_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_imap *m = ctx;
    m->timer = EVQ_NONE;
    m->done = true;
    if (m->c) tcp_close(m->c);
}

/* A "wait" step's pause is over (arg 0), or an IDLE ran its longest (arg 1). */
static void ua_imap_step_timer(void *ctx, uint64_t arg)
{
    struct ua_imap *m = ctx;
    m->step_timer = EVQ_NONE;
    if (arg == 0)
        m->waiting = false;
    else
        imap_client_idle_done(m->e);
    ua_imap_rearm(m);
    ua_imap_pump(m, NULL, 0);
}

bool ua_imap_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != ua_imap_timeout && ev->fn != ua_imap_step_timer) return false;
    *host = (uint32_t)((const struct ua_imap *)ev->ctx)->u->h;
    return true;
}

void ua_imap_start(struct ua *u, const struct scn_check_mail *ck)
{
    struct world *w = u->w;
    const struct scn_user *usr = &w->s->hosts[ck->server].mail.users[ck->user_index];
    struct ua_imap *m = ms_xcalloc(1, sizeof *m);
    m->u = u;
    m->ck = ck;
    m->server = (uint32_t)ck->server;
    /* Tags a1, a2, ... (RFC 3501 §2.2.1: any string the client chooses). */
    struct imap_client_cfg cfg = {0, 0, "a", 1};
    m->e = imap_client_new(&cfg);
    /* RFC 3501 §6.1.1: ask what the server offers (MOVE, LITERAL+) first. */
    imap_client_capability(m->e);
    if (imap_client_login(m->e, usr->name, ck->password ? ck->password : usr->password) < 0)
        m->done = true;
    m->next = u->imaps;
    u->imaps = m;
    m->c = tcp_connect(w->net, (uint32_t)u->h, m->server, UA_IMAP_PORT, &ua_imap_ops, m);
    m->conn = tcp_conn_id(m->c);
    m->timer = evq_after(w->q, UA_IMAP_TIMEOUT, ua_imap_timeout, m, 0, "IMAP timeout");
}
