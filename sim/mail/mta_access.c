/* mta_access.c -- mail access on the mail server: POP3 on port 110
 * (RFC 1939: the maildrop is the user's INBOX, locked for the session,
 * changed only in the UPDATE state) and IMAP on port 143 (RFC 3501, on the
 * same mailbox store), each engine joined to the simulated TCP connection
 * with every line traced. */
#include "mail/mta_int.h"
#include "core/buf.h"

#include "mail/world_live.h"
#include "proto/imap_server.h"
#include "proto/pop3_server.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MTA_PORT_POP3 110
#define MTA_PORT_IMAP 143
/* RFC 1939 §3: a POP3 server's inactivity autologout timer, if it has one,
 * is at least 10 minutes; any command from the client restarts it. */
#define MTA_POP3_AUTOLOGOUT (10 * SIM_US_PER_MIN)

struct mta_acc {
    struct mta_acc *next_acc;
    struct mta *m;
    struct tcp_conn *c;
    uint32_t conn, peer;
    bool imap;
    struct pop3_server *pop;
    struct imap_server *im;
    struct mbox_folder *locked;
    char user[MBOX_USER_MAX + 1];
    struct pop3_msg *snap;
    char (*uids)[24];
    size_t nsnap;
    struct buf in;
    bool closing;
    bool busy;             /* inside mta_acc_pump: its own output is flushed there */
    sim_us last_in;        /* POP3: when the client last sent bytes */
    evq_handle autologout; /* POP3: fires at the earliest autologout time */
};

static void *mta_acc_accept(void *listen_ctx, struct tcp_conn *c);
static void mta_pop_autologout(void *ctx, uint64_t arg);
static void mta_acc_pump_run(struct mta_acc *a);
static void mta_acc_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void mta_acc_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops mta_acc_ops = {
    .on_accept = mta_acc_accept,
    .on_data = mta_acc_data,
    .on_close = mta_acc_close,
};

/* The scenario user named by a login ("bob" or "bob@example.net") with this
 * password, or NULL. */
const struct scn_user *mta_login(struct mta *m, const char *user, const char *pass)
{
    size_t ul = strlen(user);
    const char *at = strchr(user, '@');
    if (at) {
        if (strcmp(at + 1, m->cfg->domain) != 0) return NULL;
        ul = (size_t)(at - user);
    }
    for (size_t i = 0; i < m->cfg->n_users; i++) {
        const struct scn_user *u = &m->cfg->users[i];
        if (strlen(u->name) == ul && strncmp(u->name, user, ul) == 0 &&
            strcmp(u->password, pass) == 0)
            return u;
    }
    return NULL;
}

static void mta_acc_trace_folder(struct mta_acc *a, struct mbox_folder *f)
{
    trace_add_mailbox(a->m->w->tr, evq_now(a->m->w->q), (uint32_t)a->m->h, a->user,
                      mbox_folder_name(f), (uint32_t)mbox_count(f), (uint32_t)mbox_unseen(f));
}

/* Record the INBOX; with every_folder, the user's other folders too (after
 * an IMAP CREATE, MOVE or COPY, which change folders other than INBOX). */
static void mta_acc_trace_box(struct mta_acc *a, bool every_folder)
{
    struct mbox_user *u = mbox_user_get(a->m->store, a->user, false);
    struct mbox_folder *f = u ? mbox_folder_find(u, "INBOX", 5) : NULL;
    if (!f) return;
    mta_acc_trace_folder(a, f);
    for (size_t i = 0; every_folder && i < mbox_folder_count(u); i++)
        if (mbox_folder_at(u, i) != f) mta_acc_trace_folder(a, mbox_folder_at(u, i));
}

/* ---- POP3 ---------------------------------------------------------------------- */

/* APOP (RFC 1939 §7): the user whose digest of the greeting's timestamp
 * and password equals the client's. */
static const struct scn_user *mta_pop_apop(struct mta *m, const char *user, const char *ts,
                                           const char *digest)
{
    size_t ul = strlen(user);
    const char *at = strchr(user, '@');
    if (at) {
        if (strcmp(at + 1, m->cfg->domain) != 0) return NULL;
        ul = (size_t)(at - user);
    }
    for (size_t i = 0; i < m->cfg->n_users; i++) {
        const struct scn_user *u = &m->cfg->users[i];
        if (strlen(u->name) != ul || strncmp(u->name, user, ul) != 0) continue;
        char want[33];
        pop3_apop_digest(ts, u->password, want);
        size_t dl = strlen(digest);
        bool same = dl == 32;
        for (size_t k = 0; same && k < 32; k++) {
            char c = digest[k];
            if (c >= 'A' && c <= 'F') c = (char)(c - 'A' + 'a');
            same = c == want[k];
        }
        return same ? u : NULL;
    }
    return NULL;
}

static void mta_pop_auth(struct mta_acc *a, const struct pop3_server_event *ev)
{
    const struct scn_user *u =
        ev->method == POP3_AUTH_PASS
            ? mta_login(a->m, ev->user, ev->secret)
            : mta_pop_apop(a->m, ev->user, ev->timestamp ? ev->timestamp : "", ev->secret);
    if (!u) {
        pop3_server_auth_fail(a->pop, POP3_AUTH_BAD);
        return;
    }
    struct mbox_user *mu = mbox_user_get(a->m->store, u->name, true);
    struct mbox_folder *f = mu ? mbox_folder_find(mu, "INBOX", 5) : NULL;
    if (!f || !mbox_lock(f, a)) {
        pop3_server_auth_fail(a->pop, POP3_AUTH_LOCKED);
        return;
    }
    a->locked = f;
    snprintf(a->user, sizeof a->user, "%s", u->name);
    a->nsnap = mbox_count(f);
    a->snap = ms_xcalloc(a->nsnap + 1, sizeof *a->snap);
    a->uids = ms_xcalloc(a->nsnap + 1, sizeof *a->uids);
    for (size_t i = 0; i < a->nsnap; i++) {
        const struct mbox_msg *msg = mbox_msg_at(f, i);
        snprintf(a->uids[i], sizeof a->uids[i], "%u.%u", (unsigned)mbox_folder_uidvalidity(f),
                 (unsigned)msg->uid);
        a->snap[i].uid = a->uids[i];
        /* A copy: the maildrop lock keeps other POP3 sessions out, but an
         * IMAP session may expunge (and free) a message while this session
         * still lists and retrieves it (RFC 1939 §8 lets the server keep
         * such a snapshot). */
        char *copy = ms_xmalloc(msg->len ? msg->len : 1);
        memcpy(copy, msg->raw, msg->len);
        a->snap[i].data = copy;
        a->snap[i].len = msg->len;
    }
    pop3_server_auth_ok(a->pop, a->snap, a->nsnap);
}

static void mta_pop_update(struct mta_acc *a, const struct pop3_server_event *ev)
{
    struct mbox_folder *f = a->locked;
    bool ok = f != NULL;
    for (size_t k = 0; f && k < ev->n_uids; k++) {
        unsigned long v = 0, uid = 0;
        if (sscanf(ev->uids[k], "%lu.%lu", &v, &uid) != 2) {
            ok = false;
            continue;
        }
        size_t i = mbox_find_uid(f, (uint32_t)uid);
        if (i == SIZE_MAX || !mbox_expunge_at(f, i)) ok = false;
    }
    pop3_server_update_done(a->pop, ok);
    mta_acc_trace_box(a, false);
}

static void mta_pop_events(struct mta_acc *a)
{
    struct pop3_server_event ev;
    while (pop3_server_event(a->pop, &ev)) {
        switch (ev.kind) {
        case POP3_EV_AUTH:
            mta_pop_auth(a, &ev);
            break;
        case POP3_EV_UPDATE:
            mta_pop_update(a, &ev);
            break;
        case POP3_EV_CLOSE:
            a->closing = true;
            break;
        default:
            break;
        }
    }
}

/* ---- both ----------------------------------------------------------------------- */

/* Trace the lines the engine read and sent so far, with its states. */
static void mta_acc_log(struct mta_acc *a)
{
    if (a->m->w->opts.no_lines) return; /* nothing to trace: keep the log off */
    struct line_log *g = a->imap ? imap_server_log(a->im) : pop3_server_log(a->pop);
    world_trace_log(a->m->w, g, a->conn, (uint32_t)a->m->h, a->peer, 'S',
                    a->imap ? "IMAP" : "POP3");
}

static void mta_acc_flush(struct mta_acc *a)
{
    for (int guard = 0; guard < 10000; guard++) {
        const char *out;
        size_t n = a->imap ? imap_server_out(a->im, &out) : pop3_server_out(a->pop, &out);
        if (n == 0 || !a->c) return;
        size_t sent = tcp_send(a->c, out, n);
        if (a->imap)
            imap_server_out_done(a->im, sent);
        else
            pop3_server_out_done(a->pop, sent);
        mta_acc_log(a);
        if (sent < n) return;
    }
}

static void mta_imap_events(struct mta_acc *a)
{
    struct imap_event ev;
    while (imap_server_event(a->im, &ev)) {
        if (ev.kind == IMAP_EV_LOGIN) {
            const struct scn_user *u = mta_login(a->m, ev.user, ev.pass);
            if (u) snprintf(a->user, sizeof a->user, "%s", u->name);
            imap_server_verdict(a->im, u != NULL);
        } else if (ev.kind == IMAP_EV_CLOSE) {
            a->closing = true;
        } else if (ev.kind == IMAP_EV_COMMAND && a->user[0]) {
            bool folders = strstr(ev.command, "MOVE") || strstr(ev.command, "COPY") ||
                           strstr(ev.command, "CREATE");
            if (folders || strstr(ev.command, "EXPUNGE") || strstr(ev.command, "STORE") ||
                strstr(ev.command, "CLOSE"))
                mta_acc_trace_box(a, folders);
        }
    }
}

static void mta_acc_pump(struct mta_acc *a)
{
    a->busy = true;
    mta_acc_pump_run(a);
    a->busy = false;
}

static void mta_acc_pump_run(struct mta_acc *a)
{
    for (;;) {
        size_t used = 0;
        if (a->in.len) {
            if (a->imap) {
                imap_server_set_now(a->im, evq_now(a->m->w->q));
                used = imap_server_recv(a->im, a->in.data, a->in.len);
            } else {
                used = pop3_server_recv(a->pop, a->in.data, a->in.len);
            }
        }
        if (used) {
            buf_drop(&a->in, used);
        }
        mta_acc_log(a);
        if (a->imap)
            mta_imap_events(a);
        else
            mta_pop_events(a);
        mta_acc_flush(a);
        if (a->closing && a->c) {
            tcp_close(a->c);
            return;
        }
        if (used == 0) return;
    }
}

static void *mta_acc_accept(void *listen_ctx, struct tcp_conn *c)
{
    struct mta *m = listen_ctx;
    struct mta_acc *a = ms_xcalloc(1, sizeof *a);
    a->m = m;
    a->c = c;
    a->conn = tcp_conn_id(c);
    a->peer = tcp_remote_host(c);
    a->imap = tcp_local_port(c) == MTA_PORT_IMAP;
    unsigned live = world_live_take(m->w, a->conn); /* live mode's marks, else 0 */
    bool offer_tls = world_live_tls_for(m->w, a->peer) && !(live & WORLD_LIVE_TLS);
    if (a->imap) {
        struct imap_server_cfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.store = m->store;
        cfg.host = m->sh->name;
        cfg.epoch_unix = m->w->s->epoch;
        cfg.starttls = offer_tls;
        a->im = imap_server_new(&cfg);
        if (live & WORLD_LIVE_BUSY) imap_server_busy(a->im); /* live mode's caps */
    } else {
        char ts[96];
        snprintf(ts, sizeof ts, "<%u.%u@%s>", (unsigned)a->conn,
                 (unsigned)(evq_now(m->w->q) / SIM_US_PER_S), m->sh->name);
        struct pop3_server_cfg cfg = {m->sh->name, ts, offer_tls, POP3_MAX_BAD};
        a->pop = pop3_server_new(&cfg);
        if (live & WORLD_LIVE_BUSY) pop3_server_busy(a->pop); /* live mode's caps */
        a->last_in = evq_now(m->w->q);
        a->autologout =
            evq_after(m->w->q, MTA_POP3_AUTOLOGOUT, mta_pop_autologout, a, 0, "POP3 autologout");
    }
    a->next_acc = m->accs;
    m->accs = a;
    mta_acc_pump(a);
    return a;
}

static void mta_acc_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct mta_acc *a = ctx;
    buf_add(&a->in, data, len);
    a->last_in = evq_now(a->m->w->q);
    mta_acc_pump(a);
}

bool mta_acc_timeout_conn(struct mta *m, uint32_t conn, bool shutdown)
{
    for (struct mta_acc *a = m->accs; a; a = a->next_acc) {
        if (a->conn != conn || !a->c) continue;
        if (a->imap && shutdown)
            imap_server_shutdown(a->im); /* RFC 3501 §7.1.5 */
        else if (a->imap)
            imap_server_timeout(a->im); /* RFC 3501 §5.4: "* BYE", then close */
        else if (shutdown)
            pop3_server_shutdown(a->pop); /* -ERR [SYS/TEMP], no UPDATE */
        else
            pop3_server_timeout(a->pop); /* RFC 1939 §3: autologout, no UPDATE */
        if (a->imap)
            mta_imap_events(a);
        else
            mta_pop_events(a);
        mta_acc_log(a);
        mta_acc_flush(a);
        if (a->c) tcp_close(a->c);
        return true;
    }
    return false;
}

/* The POP3 autologout timer: armed once per session and moved on only
 * when it fires (the client's bytes just note the time), so a session that
 * keeps talking costs no timer traffic. Silent for MTA_POP3_AUTOLOGOUT: the
 * engine closes without a reply and without UPDATE (RFC 1939 §3), so
 * nothing marked with DELE is removed (§6). */
static void mta_pop_autologout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct mta_acc *a = ctx;
    struct world *w = a->m->w;
    a->autologout = EVQ_NONE;
    sim_us due = a->last_in + MTA_POP3_AUTOLOGOUT;
    if (due > evq_now(w->q)) {
        a->autologout = evq_at(w->q, due, mta_pop_autologout, a, 0, "POP3 autologout");
        return;
    }
    if (!a->c) return;
    bool marked = pop3_server_state(a->pop) == POP3_S_TRANSACTION;
    trace_add_narration(
        w->tr, evq_now(w->q), (uint32_t)a->m->h,
        "%s: %s sent nothing for 10 minutes, so the server's autologout timer closes the "
        "session without a reply (RFC 1939 section 3)%s",
        a->m->sh->name, w->s->hosts[a->peer].name,
        marked ? "; the session never reaches its update state, so no message is deleted" : "");
    mta_acc_timeout_conn(a->m, a->conn, false);
}

bool mta_acc_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != mta_pop_autologout) return false;
    *host = (uint32_t)((const struct mta_acc *)ev->ctx)->m->h;
    return true;
}

void mta_acc_free(struct mta_acc *a)
{
    struct mta_acc **pp = &a->m->accs;
    while (*pp && *pp != a) pp = &(*pp)->next_acc;
    if (*pp) *pp = a->next_acc;
    if (a->locked) mbox_unlock(a->locked, a);
    if (evq_is_set(a->autologout)) evq_cancel(a->m->w->q, a->autologout);
    pop3_server_free(a->pop);
    imap_server_free(a->im);
    for (size_t i = 0; a->snap && i < a->nsnap; i++) free((char *)(uintptr_t)a->snap[i].data);
    free(a->snap);
    free(a->uids);
    buf_free(&a->in);
    free(a);
}

static void mta_acc_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    (void)err;
    struct mta_acc *a = ctx;
    if (!a) return;
    a->c = NULL;
    if (a->pop) pop3_server_closed(a->pop);
    mta_acc_free(a);
}

/* The store changed (a delivery, another session's EXPUNGE or STORE, a POP3
 * UPDATE): every other IMAP session learns it now, so one that is idling
 * sends EXISTS, EXPUNGE or FETCH FLAGS at once (RFC 2177 §3); the others
 * report it at their next command (RFC 3501 §7.3-7.4, NOOP and CHECK
 * included). The session whose command made the change reports it in that
 * command's own reply. */
static void mta_acc_store_changed(void *ctx, struct mbox_user *u, struct mbox_folder *f,
                                  enum mbox_change what)
{
    struct mta *m = ctx;
    (void)u;
    (void)f;
    (void)what;
    for (struct mta_acc *a = m->accs; a; a = a->next_acc) {
        if (!a->imap || a->busy || !a->c) continue;
        imap_server_notify(a->im);
        mta_acc_log(a);
        mta_acc_flush(a);
    }
}

void mta_access_listen(struct mta *m)
{
    mbox_store_set_hook(m->store, mta_acc_store_changed, m);
    tcp_listen(m->w->net, (uint32_t)m->h, MTA_PORT_POP3, &mta_acc_ops, m);
    tcp_listen(m->w->net, (uint32_t)m->h, MTA_PORT_IMAP, &mta_acc_ops, m);
}
