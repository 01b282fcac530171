/* ua_access.c -- a user agent fetching mail: POP3 (RFC 1939) from the
 * user's mail server on port 110, USER/PASS, then LIST, RETR and, in
 * "delete" mode, DELE and QUIT (the server removes the messages only in
 * the UPDATE state). Then the scenario's POP3 steps, still in the
 * TRANSACTION state: NOOP, or a pause with no command (the server's
 * autologout timer runs, RFC 1939 §3); then QUIT, unless the scenario keeps
 * the session open ("logout": false: no QUIT, so no UPDATE, §6). Messages
 * land in the device's local inbox, which the trace shows as a mailbox
 * change on the device. IMAP is in ua_imap.c. */
#include "mail/ua_int.h"

#include "proto/pop3_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_POP3_PORT 110
#define UA_ACC_TIMEOUT (10 * SIM_US_PER_MIN)

struct ua_acc {
    struct ua_acc *next;
    struct ua *u;
    struct tcp_conn *c;
    struct pop3_client *e;
    uint32_t conn, server;
    char user[128];
    evq_handle timer;                /* the session's timeout */
    evq_handle step_timer;           /* the end of a "wait" step */
    const struct scn_check_mail *ck; /* the steps, borrowed from the scenario */
    size_t step;                     /* next POP3 step */
    bool waiting;                    /* a "wait" step: no command until step_timer */
    bool stayed;                     /* steps done, connected on purpose ("logout": false) */
    const char **known;              /* the device's UIDs for this user, borrowed by the engine */
    size_t n_known;
};

static void ua_acc_connected(void *ctx, struct tcp_conn *c);
static void ua_acc_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void ua_acc_close(void *ctx, struct tcp_conn *c, enum tcp_err err);
static void ua_acc_timeout(void *ctx, uint64_t arg);
static void ua_acc_step_timer(void *ctx, uint64_t arg);
static void ua_acc_pump(struct ua_acc *a, const uint8_t *in, size_t len);

static const struct tcp_app_ops ua_acc_ops = {
    .on_connected = ua_acc_connected,
    .on_data = ua_acc_data,
    .on_close = ua_acc_close,
};

static void ua_acc_free(struct ua_acc *a)
{
    struct ua_acc **pp = &a->u->accs;
    while (*pp && *pp != a) pp = &(*pp)->next;
    if (*pp) *pp = a->next;
    if (evq_is_set(a->timer)) evq_cancel(a->u->w->q, a->timer);
    if (evq_is_set(a->step_timer)) evq_cancel(a->u->w->q, a->step_timer);
    pop3_client_free(a->e);
    free(a->known);
    free(a);
}

void ua_access_free_all(struct ua *u)
{
    while (u->accs) ua_acc_free(u->accs);
    for (size_t i = 0; i < u->n_uids; i++) free(u->uids[i]);
    free(u->uids);
    u->uids = NULL;
    u->n_uids = u->cap_uids = 0;
}

/* Remember that this device has the message `uid` of `user` (download and
 * keep: the next session skips it, RFC 1939 §7 UIDL). */
static void ua_acc_remember(struct ua *u, const char *user, const char *uid)
{
    if (!uid[0]) return;
    if (u->n_uids == u->cap_uids) {
        u->cap_uids = u->cap_uids ? 2 * u->cap_uids : 8;
        u->uids = ms_xrealloc(u->uids, u->cap_uids * sizeof *u->uids);
    }
    size_t n = strlen(user) + strlen(uid) + 2;
    char *s = ms_xmalloc(n);
    snprintf(s, n, "%s %s", user, uid);
    u->uids[u->n_uids++] = s;
}

/* Trace the lines the engine read and sent so far, with its states. */
static void ua_acc_log(struct ua_acc *a)
{
    if (a->u->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    world_trace_log(a->u->w, pop3_client_log(a->e), a->conn, (uint32_t)a->u->h, a->server, 'C',
                    "POP3");
}

static void ua_acc_flush(struct ua_acc *a)
{
    const char *out;
    size_t n = pop3_client_out(a->e, &out);
    if (n == 0 || !a->c) return;
    size_t sent = tcp_send(a->c, out, n);
    pop3_client_out_done(a->e, sent);
    ua_acc_log(a);
}

static void ua_acc_events(struct ua_acc *a)
{
    struct world *w = a->u->w;
    struct pop3_client_event ev;
    while (pop3_client_event(a->e, &ev)) {
        if (ev.kind == POP3_CEV_MESSAGE) {
            ua_acc_remember(a->u, a->user, ev.uid);
            a->u->fetched++;
            uint32_t msg = world_msgid_find(w, ev.data, ev.len);
            if (msg) world_msg_copy(w, msg, (uint32_t)a->u->h, ev.data, ev.len);
            trace_add_mailbox(w->tr, evq_now(w->q), (uint32_t)a->u->h, a->user, "Local Inbox",
                              (uint32_t)a->u->fetched, (uint32_t)a->u->fetched);
        }
    }
}

static void ua_acc_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_acc *a = ctx;
    a->timer = EVQ_NONE;
    pop3_client_timeout(a->e);
    ua_acc_events(a);
    if (a->c) tcp_close(a->c);
}

/* Logged in with the download done: the next POP3 step, or QUIT, or (with
 * "logout": false) nothing more. */
static void ua_acc_next(struct ua_acc *a)
{
    struct world *w = a->u->w;
    if (a->waiting || a->stayed || pop3_client_state(a->e) != POP3_C_READY) return;
    if (a->step < a->ck->n_pop3) {
        const struct scn_pop3_action *st = &a->ck->pop3[a->step++];
        if (st->op == SCN_POP3_NOOP) {
            pop3_client_noop(a->e);
            return;
        }
        /* wait: the user reads; no command, the connection stays open. The
         * session's own timeout starts again when the pause ends. */
        if (evq_is_set(a->timer)) evq_cancel(w->q, a->timer);
        a->timer = EVQ_NONE;
        a->waiting = true;
        a->step_timer =
            evq_after(w->q, st->wait, ua_acc_step_timer, a, 0, "POP3 user reads (wait)");
        return;
    }
    if (a->ck->stay) {
        /* Connected on purpose, without QUIT: the server's autologout ends
         * the session (RFC 1939 §3), and without UPDATE (§6). */
        a->stayed = true;
        if (evq_is_set(a->timer)) evq_cancel(w->q, a->timer);
        a->timer = EVQ_NONE;
        return;
    }
    pop3_client_quit(a->e);
}

static void ua_acc_step_timer(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_acc *a = ctx;
    struct world *w = a->u->w;
    a->step_timer = EVQ_NONE;
    a->waiting = false;
    if (!evq_is_set(a->timer))
        a->timer = evq_after(w->q, UA_ACC_TIMEOUT, ua_acc_timeout, a, 0, "POP3 timeout");
    ua_acc_pump(a, NULL, 0);
}

bool ua_acc_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != ua_acc_timeout && ev->fn != ua_acc_step_timer) return false;
    *host = (uint32_t)((const struct ua_acc *)ev->ctx)->u->h;
    return true;
}

static void ua_acc_pump(struct ua_acc *a, const uint8_t *in, size_t len)
{
    size_t off = 0;
    for (;;) {
        size_t used = off < len ? pop3_client_recv(a->e, (const char *)in + off, len - off) : 0;
        off += used;
        ua_acc_log(a);
        ua_acc_events(a);
        ua_acc_next(a);
        ua_acc_flush(a);
        enum pop3_client_state st = pop3_client_state(a->e);
        if (st == POP3_C_DONE || st == POP3_C_FAILED) {
            if (a->c) tcp_close(a->c);
            return;
        }
        if (used == 0 && off >= len) return;
        if (used == 0) return;
    }
}

static void ua_acc_connected(void *ctx, struct tcp_conn *c)
{
    (void)c;
    ua_acc_pump(ctx, NULL, 0);
}

static void ua_acc_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    ua_acc_pump(ctx, data, len);
}

static void ua_acc_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct ua_acc *a = ctx;
    struct world *w = a->u->w;
    a->c = NULL;
    if (pop3_client_state(a->e) != POP3_C_DONE) {
        pop3_client_closed(a->e);
        ua_acc_events(a);
        if (err != TCP_ERR_OK)
            trace_add_narration(w->tr, evq_now(w->q), (uint32_t)a->u->h,
                                "%s could not fetch mail from %s: %s", w->s->hosts[a->u->h].name,
                                w->s->hosts[a->server].name, tcp_strerror(err));
    }
    ua_acc_free(a);
}

void ua_check_mail(struct ua *u, const struct scn_check_mail *check)
{
    struct world *w = u->w;
    const struct scn_user *usr = &w->s->hosts[check->server].mail.users[check->user_index];
    if (check->proto == SCN_PROTO_IMAP) {
        ua_imap_start(u, check);
        return;
    }
    struct ua_acc *a = ms_xcalloc(1, sizeof *a);
    a->u = u;
    a->ck = check;
    a->server = (uint32_t)check->server;
    snprintf(a->user, sizeof a->user, "%s", check->user);
    struct pop3_client_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.user = usr->name;
    /* A lesson may have the user type a wrong password (RFC 1939 §7: -ERR). */
    const char *pw = check->password ? check->password : usr->password;
    cfg.pass = pw[0] ? pw : "-";
    cfg.mode = check->pop3_mode == SCN_POP3_KEEP ? POP3_MODE_KEEP : POP3_MODE_DELETE;
    cfg.retr_after_dele = check->retr_after_dele;
    cfg.hold = check->n_pop3 > 0 || check->stay;
    /* What this device already holds for this user: the "user uid" entries. */
    size_t ulen = strlen(a->user);
    a->known = ms_xcalloc(u->n_uids + 1, sizeof *a->known);
    for (size_t i = 0; i < u->n_uids; i++)
        if (strncmp(u->uids[i], a->user, ulen) == 0 && u->uids[i][ulen] == ' ')
            a->known[a->n_known++] = u->uids[i] + ulen + 1;
    cfg.known_uids = a->known;
    cfg.n_known = a->n_known;
    a->e = pop3_client_new(&cfg);
    if (!a->e) {
        free(a);
        return;
    }
    a->next = u->accs;
    u->accs = a;
    a->c = tcp_connect(w->net, (uint32_t)u->h, a->server, UA_POP3_PORT, &ua_acc_ops, a);
    a->conn = tcp_conn_id(a->c);
    a->timer = evq_after(w->q, UA_ACC_TIMEOUT, ua_acc_timeout, a, 0, "POP3 timeout");
}
