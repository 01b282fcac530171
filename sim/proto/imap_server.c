/* imap_server.c -- IMAP4rev1 server: framing, states, mailbox commands
 * (see imap_server.h). FETCH, STORE, SEARCH, COPY/MOVE and EXPUNGE are in
 * imap_fetch.c. */
#include "proto/imap_srv.h"
#include "core/ascii.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/base64.h"

#define IMAP_CAPS "IMAP4rev1 LITERAL+ SASL-IR IDLE MOVE UNSELECT UIDPLUS AUTH=PLAIN"

static const char *const imap_state_names[IMAP_S_COUNT] = {
    "not authenticated",
    "authenticated",
    "selected",
    "logout",
};

/* States a command is valid in (RFC 3501 §6). */
#define ST_N (1u << IMAP_S_NOT_AUTH)
#define ST_A (1u << IMAP_S_AUTH)
#define ST_S (1u << IMAP_S_SELECTED)
#define ST_ANY (ST_N | ST_A | ST_S)

typedef void imap_cmd_fn(struct imap_server *s, struct imap_cur *c, const char *tag);

struct imap_cmd_def {
    const char *name;
    unsigned states;
    bool args; /* takes arguments after a SP */
    imap_cmd_fn *fn;
};

void imap_srv_enter_state(struct imap_server *s, enum imap_state st);
static void imap_push_event(struct imap_server *s, const struct imap_event *ev);
static void imap_on_line(struct imap_server *s, char *line, size_t n, bool bad_bytes);
static void imap_exec(struct imap_server *s);
static void imap_reject_now(struct imap_server *s, enum imap_result r, const char *text);
static bool imap_precheck(struct imap_server *s, const char **why, enum imap_result *r);
static const struct imap_cmd_def *imap_find_cmd(const char *name, size_t n);
static void imap_login_done(struct imap_server *s, const char *tag, const char *user, bool ok);
void imap_srv_close_view(struct imap_server *s);
static void imap_logout(struct imap_server *s, const char *bye);

static imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout, imap_cmd_login,
    imap_cmd_authenticate, imap_cmd_check, imap_cmd_close, imap_cmd_unselect, imap_cmd_expunge_c,
    imap_cmd_search_c, imap_cmd_fetch_c, imap_cmd_store_c, imap_cmd_copy_c, imap_cmd_move_c,
    imap_cmd_uid, imap_cmd_idle, imap_cmd_starttls;

static const struct imap_cmd_def imap_cmds[] = {
    {"CAPABILITY", ST_ANY, false, imap_cmd_capability},
    {"NOOP", ST_ANY, false, imap_cmd_noop},
    {"LOGOUT", ST_ANY, false, imap_cmd_logout},
    {"LOGIN", ST_N, true, imap_cmd_login},
    {"AUTHENTICATE", ST_N, true, imap_cmd_authenticate},
    {"STARTTLS", ST_N, false, imap_cmd_starttls},
    {"SELECT", ST_A | ST_S, true, imap_cmd_select},
    {"EXAMINE", ST_A | ST_S, true, imap_cmd_examine},
    {"CREATE", ST_A | ST_S, true, imap_cmd_create},
    {"DELETE", ST_A | ST_S, true, imap_cmd_delete},
    {"RENAME", ST_A | ST_S, true, imap_cmd_rename},
    {"SUBSCRIBE", ST_A | ST_S, true, imap_cmd_subscribe},
    {"UNSUBSCRIBE", ST_A | ST_S, true, imap_cmd_unsubscribe},
    {"LIST", ST_A | ST_S, true, imap_cmd_list},
    {"LSUB", ST_A | ST_S, true, imap_cmd_lsub},
    {"STATUS", ST_A | ST_S, true, imap_cmd_status},
    {"APPEND", ST_A | ST_S, true, imap_cmd_append},
    {"IDLE", ST_A | ST_S, false, imap_cmd_idle},
    {"CHECK", ST_S, false, imap_cmd_check},
    {"CLOSE", ST_S, false, imap_cmd_close},
    {"UNSELECT", ST_S, false, imap_cmd_unselect},
    {"EXPUNGE", ST_S, false, imap_cmd_expunge_c},
    {"SEARCH", ST_S, true, imap_cmd_search_c},
    {"FETCH", ST_S, true, imap_cmd_fetch_c},
    {"STORE", ST_S, true, imap_cmd_store_c},
    {"COPY", ST_S, true, imap_cmd_copy_c},
    {"MOVE", ST_S, true, imap_cmd_move_c},
    {"UID", ST_S, true, imap_cmd_uid},
};

const char *imap_state_name(enum imap_state st)
{
    return (unsigned)st < IMAP_S_COUNT ? imap_state_names[st] : "?";
}

const char *imap_result_name(enum imap_result r)
{
    return r == IMAP_OK ? "OK" : r == IMAP_NO ? "NO" : "BAD";
}

/* ---- life cycle -------------------------------------------------------------- */

struct imap_server *imap_server_new(const struct imap_server_cfg *cfg)
{
    struct imap_server *s = ms_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    if (!s->cfg.max_literal) s->cfg.max_literal = 1024 * 1024;
    if (!s->cfg.max_literal_preauth) s->cfg.max_literal_preauth = 1024;
    if (!s->cfg.out_high_water) s->cfg.out_high_water = 64 * 1024;
    s->state = IMAP_S_NOT_AUTH;
    const struct line_sess_cfg sc = {
        .line_max = IMAP_LINE_MAX,
        .lf_ends = true, /* a hand-typed line gets BAD, not silence */
        .out_init = 4096,
        .out_max = IMAP_OUT_MAX,
        .ev_size = sizeof(struct imap_event),
        .ev_cap = 8, /* doubles up to IMAP_EVENTS while the caller lags */
        .state_names = imap_state_names,
        .n_states = IMAP_S_COUNT,
        .initial = IMAP_S_NOT_AUTH,
    };
    line_sess_init(&s->ss, &sc);
    if (cfg->host)
        imap_srv_untagged(s, "OK %s IMAP4rev1 Service Ready", cfg->host);
    else
        imap_srv_untagged(s, "OK IMAP4rev1 Service Ready");
    imap_srv_log_sync(s);
    return s;
}

void imap_server_free(struct imap_server *s)
{
    if (!s) return;
    line_sess_free(&s->ss);
    imap_buf_free(&s->cmd);
    imap_buf_free(&s->stage);
    free(s->view);
    free(s);
}

enum imap_state imap_server_state(const struct imap_server *s)
{
    return s->state;
}
bool imap_server_idling(const struct imap_server *s)
{
    return s->wait == IMAP_W_IDLE;
}
bool imap_server_done(const struct imap_server *s)
{
    return s->done;
}
uint64_t imap_server_literal_pending(const struct imap_server *s)
{
    return (s->in == IMAP_IN_LITERAL || s->in == IMAP_IN_DISCARD) ? s->lit_left : 0;
}
void imap_server_set_now(struct imap_server *s, sim_us now)
{
    s->now = now;
}

sim_us imap_server_timeout_us(const struct imap_server *s)
{
    /* RFC 3501 §5.4: at least 30 minutes once authenticated; shorter before
     * (bad-inputs X6). */
    return s->state == IMAP_S_NOT_AUTH ? SIM_US_PER_MIN : 30 * SIM_US_PER_MIN;
}

size_t imap_server_out(const struct imap_server *s, const char **out)
{
    /* every public call ends with imap_srv_log_sync(): nothing is staged */
    return line_sess_out(&s->ss, out);
}

void imap_server_out_done(struct imap_server *s, size_t n)
{
    imap_srv_log_sync(s);
    if (n > line_sess_pending(&s->ss)) n = line_sess_pending(&s->ss);
    line_sess_sent(&s->ss, n);
    if (s->wait == IMAP_W_FETCH && imap_srv_pending(s) < s->cfg.out_high_water)
        imap_fetch_continue(s);
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
}

void imap_srv_log_sync(struct imap_server *s)
{
    if (s->stage.len == 0) return;
    line_sess_write(&s->ss, s->stage.p, s->stage.len);
    s->stage.len = 0;
}

size_t imap_srv_pending(const struct imap_server *s)
{
    return line_sess_pending(&s->ss) + s->stage.len;
}

struct line_log *imap_server_log(struct imap_server *s)
{
    imap_srv_log_sync(s);
    return line_sess_log(&s->ss);
}

bool imap_server_event(struct imap_server *s, struct imap_event *ev)
{
    const struct imap_event *e = line_sess_pop(&s->ss);
    if (!e) return false;
    *ev = *e;
    return true;
}

static void imap_push_event(struct imap_server *s, const struct imap_event *ev)
{
    if (line_sess_events(&s->ss) == IMAP_EVENTS) /* drop the oldest: the caller is not pulling */
        (void)line_sess_pop(&s->ss);
    *(struct imap_event *)line_sess_event(&s->ss, sizeof *ev) = *ev;
}

/* The only place the state changes (style.md). */
void imap_srv_enter_state(struct imap_server *s, enum imap_state st)
{
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_STATE;
    ev.from = s->state;
    ev.to = st;
    ev.offset = s->cmd_offset;
    imap_srv_log_sync(s);
    line_sess_enter(&s->ss, (int)st, NULL);
    s->state = st;
    imap_push_event(s, &ev);
}

static void imap_logout(struct imap_server *s, const char *bye)
{
    imap_srv_untagged(s, "BYE %s", bye);
    imap_srv_close_view(s);
    imap_srv_enter_state(s, IMAP_S_LOGOUT);
    s->done = true;
    s->wait = IMAP_W_NONE;
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_CLOSE;
    ev.from = ev.to = s->state;
    imap_push_event(s, &ev);
}

void imap_server_shutdown(struct imap_server *s)
{
    if (s->done) return;
    imap_logout(s, "Server shutting down");
    imap_srv_log_sync(s);
}

void imap_server_busy(struct imap_server *s)
{
    if (s->done || s->ss.log.out_sent > 0) return; /* only before any byte is sent */
    s->stage.len = 0;
    line_sess_out_drop(&s->ss); /* instead of the greeting: */
    /* RFC 3501 §7.1.5: BYE as the greeting refuses the connection; RFC 5530
     * §3: [UNAVAILABLE], try again later. */
    imap_logout(s, "[UNAVAILABLE] Too many connections, try again later");
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
}

void imap_server_timeout(struct imap_server *s)
{
    if (s->done) return;
    imap_logout(s, "Autologout; idle for too long");
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
}

/* ---- output ------------------------------------------------------------------- */

void imap_srv_untagged(struct imap_server *s, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (k < 0) return;
    imap_buf_add(&s->stage, "* ", 2);
    if ((size_t)k < sizeof tmp) {
        imap_buf_add(&s->stage, tmp, (size_t)k);
    } else {
        char *big = ms_xmalloc((size_t)k + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)k + 1, fmt, ap);
        va_end(ap);
        imap_buf_add(&s->stage, big, (size_t)k);
        free(big);
    }
    imap_buf_add(&s->stage, "\r\n", 2);
}

void imap_srv_tagged(struct imap_server *s, const char *tag, enum imap_result r, const char *fmt,
                     ...)
{
    /* RFC 3501 §7: untagged news goes before the tagged reply. */
    if (r != IMAP_BAD && s->state == IMAP_S_SELECTED) imap_srv_sync(s, !s->no_expunge);
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(ev.text, sizeof ev.text, fmt, ap);
    va_end(ap);
    imap_srv_log_sync(s);
    /* BAD counts toward IMAP_MAX_BAD (below): LINE_F_BAD says so */
    line_log_mark_out(&s->ss.log,
                      r == IMAP_OK    ? LINE_F_OK
                      : r == IMAP_BAD ? LINE_F_ERR | LINE_F_BAD
                                      : LINE_F_ERR,
                      0, s->cur_cmd);
    imap_buf_printf(&s->stage, "%s %s ", tag, imap_result_name(r));
    if (k >= 0 && (size_t)k >= sizeof ev.text) { /* the event keeps a prefix, the wire all */
        char *big = ms_xmalloc((size_t)k + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)k + 1, fmt, ap);
        va_end(ap);
        imap_buf_add(&s->stage, big, (size_t)k);
        free(big);
    } else {
        imap_buf_adds(&s->stage, ev.text);
    }
    imap_buf_add(&s->stage, "\r\n", 2);
    imap_srv_log_sync(s);
    line_log_mark_out(&s->ss.log, 0, 0, "");
    ev.kind = IMAP_EV_COMMAND;
    ev.from = ev.to = s->state;
    ev.result = r;
    snprintf(ev.tag, sizeof ev.tag, "%s", tag);
    snprintf(ev.command, sizeof ev.command, "%s", s->cur_cmd);
    ev.offset = s->cmd_offset;
    imap_push_event(s, &ev);
    /* a peer that only sends garbage (another protocol, a web page posting
     * to our port) is sent away (bad-inputs L1) */
    s->bad_run = r == IMAP_BAD ? s->bad_run + 1 : 0;
    if (s->bad_run >= IMAP_MAX_BAD && !s->done) imap_logout(s, "Too many invalid commands");
}

void imap_srv_flags(struct imap_buf *b, const struct mbox_folder *f, uint64_t flags, bool recent)
{
    static const struct {
        uint64_t bit;
        const char *name;
    } sys[] = {
        {MBOX_F_SEEN, "\\Seen"},       {MBOX_F_ANSWERED, "\\Answered"},
        {MBOX_F_FLAGGED, "\\Flagged"}, {MBOX_F_DELETED, "\\Deleted"},
        {MBOX_F_DRAFT, "\\Draft"},
    };
    bool first = true;
    imap_buf_add(b, "(", 1);
    for (size_t i = 0; i < MS_ARRAY_LEN(sys); i++) {
        if (!(flags & sys[i].bit)) continue;
        if (!first) imap_buf_add(b, " ", 1);
        imap_buf_adds(b, sys[i].name);
        first = false;
    }
    if (recent) {
        if (!first) imap_buf_add(b, " ", 1);
        imap_buf_adds(b, "\\Recent");
        first = false;
    }
    for (size_t i = 0; i < mbox_keyword_count(f); i++) {
        if (!(flags & MBOX_KW_BIT(i))) continue;
        if (!first) imap_buf_add(b, " ", 1);
        imap_buf_adds(b, mbox_keyword_at(f, i));
        first = false;
    }
    imap_buf_add(b, ")", 1);
}

/* ---- the selected mailbox ------------------------------------------------------- */

void imap_srv_close_view(struct imap_server *s)
{
    free(s->view);
    s->view = NULL;
    s->vn = s->vcap = 0;
    s->sel_id = 0;
}

struct mbox_folder *imap_srv_sel(struct imap_server *s)
{
    if (s->state != IMAP_S_SELECTED) return NULL;
    struct mbox_folder *f = mbox_folder_by_id(s->user, s->sel_id);
    if (!f) {
        /* deleted by another session (RFC 5162 CLOSED) */
        imap_srv_untagged(s, "OK [CLOSED] Selected mailbox was deleted");
        imap_srv_close_view(s);
        imap_srv_enter_state(s, IMAP_S_AUTH);
    }
    return f;
}

static void imap_view_push(struct imap_server *s, uint32_t uid, uint64_t flags, bool recent)
{
    if (s->vn == s->vcap) {
        s->vcap = s->vcap ? s->vcap * 2 : 64;
        s->view = ms_xrealloc(s->view, s->vcap * sizeof *s->view);
    }
    s->view[s->vn].uid = uid;
    s->view[s->vn].flags = flags & ~(uint64_t)MBOX_F_RECENT;
    s->view[s->vn].recent = recent;
    s->view[s->vn].gone = false;
    s->vn++;
    s->uid_max = uid;
}

/* Take in messages that arrived after uid_max; \Recent goes to the first
 * session that sees them read-write (RFC 3501 §2.3.2). */
void imap_srv_view_grow(struct imap_server *s, struct mbox_folder *f)
{
    for (size_t j = mbox_lower_bound(f, s->uid_max + 1); j < mbox_count(f); j++) {
        const struct mbox_msg *m = mbox_msg_at(f, j);
        bool recent = (m->flags & MBOX_F_RECENT) != 0;
        uint32_t uid = m->uid;
        uint64_t flags = m->flags;
        /* push first: clearing \Recent calls the store hook, which may
         * call back into imap_server_notify() */
        imap_view_push(s, uid, flags, recent);
        if (recent && !s->readonly) (void)mbox_flags_set(f, j, flags & ~(uint64_t)MBOX_F_RECENT);
    }
}

size_t imap_srv_recent_count(const struct imap_server *s)
{
    size_t r = 0;
    for (size_t i = 0; i < s->vn; i++) r += s->view[i].recent && !s->view[i].gone;
    return r;
}

void imap_srv_flags_news(struct imap_server *s, struct mbox_folder *f)
{
    /* RFC 3501 §7.2.6: a new keyword means a new FLAGS response */
    if (mbox_keyword_count(f) == s->sel_nkw) return;
    struct imap_buf b = {0};
    imap_srv_flags(&b, f, ~(uint64_t)MBOX_F_RECENT, false);
    imap_buf_add(&b, "", 1);
    imap_srv_untagged(s, "FLAGS %s", b.p);
    imap_buf_free(&b);
    s->sel_nkw = mbox_keyword_count(f);
}

void imap_srv_sync(struct imap_server *s, bool allow_expunge)
{
    if (s->syncing) return; /* re-entered through the store hook */
    struct mbox_folder *f = imap_srv_sel(s);
    if (!f) return;
    s->syncing = true;
    bool changed = mbox_folder_changes(f) != s->sel_changes;
    bool pending = false;
    for (size_t i = 0; i < s->vn && !pending; i++) pending = s->view[i].gone;
    if (!changed && !(pending && allow_expunge)) {
        s->syncing = false;
        return;
    }
    imap_srv_flags_news(s, f);
    /* 1. mark what the store no longer has */
    size_t j = 0, n = mbox_count(f);
    for (size_t i = 0; i < s->vn; i++) {
        while (j < n && mbox_msg_at(f, j)->uid < s->view[i].uid) j++;
        if (!(j < n && mbox_msg_at(f, j)->uid == s->view[i].uid)) s->view[i].gone = true;
    }
    /* 2. EXPUNGE in ascending order, each number valid after the previous
     * removal (RFC 3501 §7.4.1) */
    if (allow_expunge) {
        size_t w = 0;
        for (size_t i = 0; i < s->vn; i++) {
            if (s->view[i].gone) {
                imap_srv_untagged(s, "%zu EXPUNGE", w + 1);
                continue;
            }
            s->view[w++] = s->view[i];
        }
        s->vn = w;
    }
    /* 3. flag changes made by other sessions */
    j = 0;
    for (size_t i = 0; i < s->vn; i++) {
        if (s->view[i].gone) continue;
        while (j < n && mbox_msg_at(f, j)->uid < s->view[i].uid) j++;
        if (j >= n) break;
        const struct mbox_msg *m = mbox_msg_at(f, j);
        uint64_t fl = m->flags & ~(uint64_t)MBOX_F_RECENT;
        if (m->uid != s->view[i].uid || fl == s->view[i].flags) continue;
        s->view[i].flags = fl;
        struct imap_buf b = {0};
        imap_srv_flags(&b, f, fl, s->view[i].recent);
        imap_buf_add(&b, "", 1);
        imap_srv_untagged(s, "%zu FETCH (FLAGS %s)", i + 1, b.p);
        imap_buf_free(&b);
    }
    /* 4. new mail */
    size_t before = s->vn;
    imap_srv_view_grow(s, f);
    if (s->vn != before) imap_srv_untagged(s, "%zu EXISTS", s->vn);
    size_t rc = imap_srv_recent_count(s);
    if (s->vn != before && rc != s->recent_sent) imap_srv_untagged(s, "%zu RECENT", rc);
    s->recent_sent = rc;
    s->sel_changes = mbox_folder_changes(f);
    s->syncing = false;
}

void imap_server_notify(struct imap_server *s)
{
    /* RFC 2177 §3: while idling the server sends EXISTS/EXPUNGE at once */
    if (s->wait == IMAP_W_IDLE) imap_srv_sync(s, true);
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
}

/* ---- input framing ---------------------------------------------------------------- */

static bool imap_can_read(void *eng)
{
    const struct imap_server *s = eng;
    if (s->done || s->wait == IMAP_W_VERDICT || s->wait == IMAP_W_FETCH) return false;
    return imap_srv_pending(s) < s->cfg.out_high_water; /* backpressure (X5) */
}

/* A literal's octets (RFC 3501 §4.3), kept or, for a refused command, dropped. */
static size_t imap_raw(void *eng, const char *in, size_t len)
{
    struct imap_server *s = eng;
    if (s->in != IMAP_IN_LITERAL && s->in != IMAP_IN_DISCARD) return SIZE_MAX;
    size_t k = len;
    if (k > s->lit_left) k = (size_t)s->lit_left;
    line_sess_raw(&s->ss, in, k, LINE_F_DATA);
    if (s->in == IMAP_IN_LITERAL) imap_buf_add(&s->cmd, in, k);
    s->lit_left -= k;
    if (s->lit_left == 0) s->in = s->in == IMAP_IN_LITERAL ? IMAP_IN_LINE : IMAP_IN_SKIPREST;
    return k;
}

static void imap_line(void *eng, enum line_status st, const char *line, size_t n, bool more)
{
    struct imap_server *s = eng;
    (void)more;
    if (s->cmd.len == 0 && s->in == IMAP_IN_LINE) s->cmd_offset = s->ss.line_off;
    if (st == LINE_TOO_LONG) {
        /* X4/I14: over 8192 octets; resync at the CRLF */
        if (s->in == IMAP_IN_SKIPREST) {
            imap_reject_now(s, s->reject_result, s->reject_text);
        } else if (s->wait == IMAP_W_IDLE || s->wait == IMAP_W_AUTH_PLAIN) {
            s->wait = IMAP_W_NONE;
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, "Line too long");
        } else {
            imap_reject_now(s, IMAP_BAD, "[TOOBIG] Command line too long");
        }
    } else {
        bool bad = line_has_bare_eol(&s->ss.rd) || line_has_nul(&s->ss.rd);
        s->bare_lf_line = line_ended_by_lf(&s->ss.rd);
        imap_on_line(s, (char *)(uintptr_t)line, n, bad);
    }
    imap_srv_log_sync(s); /* the responses precede the next line read in the log */
}

static const struct line_proto imap_proto = {imap_can_read, imap_raw, imap_line};

size_t imap_server_recv(struct imap_server *s, const char *in, size_t len)
{
    imap_srv_log_sync(s);
    size_t used = line_sess_recv(&s->ss, &imap_proto, s, in, len);
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
    return used;
}

/* Answer a refused command now with its own tag (or "*") and forget it. */
static void imap_reject_now(struct imap_server *s, enum imap_result r, const char *text)
{
    struct imap_cur c;
    const char *tag;
    size_t tn;
    char t[IMAP_TAG_MAX + 1] = "*";
    imap_cur_init(&c, s->cmd.p, s->cmd.len);
    if (s->cmd.len && imap_cur_tag(&c, &tag, &tn) && (imap_cur_eol(&c) || imap_cur_peek(&c, ' '))) {
        memcpy(t, tag, tn);
        t[tn] = '\0';
    }
    s->cur_cmd[0] = '\0';
    imap_srv_tagged(s, t, r, "%s", text ? text : "Command refused");
    s->cmd.len = 0;
    s->cmd_lit_total = 0;
    s->in = IMAP_IN_LINE;
    s->reject_text = NULL;
}

/* Refuse the command being framed: a synchronising literal is never asked
 * for (I1, I3); a non-synchronising one is read and dropped first (I2). */
static void imap_refuse(struct imap_server *s, bool lit, bool plus, uint64_t n, enum imap_result r,
                        const char *text)
{
    if (lit && plus) {
        s->reject_result = r;
        s->reject_text = text;
        s->lit_left = n;
        s->in = n ? IMAP_IN_DISCARD : IMAP_IN_SKIPREST;
        return;
    }
    imap_reject_now(s, r, text);
}

/* The BAD text for a line with NUL, bare CR or bare LF (RFC 9051 §2.2: only
 * CRLF ends a line); a line ended by a bare LF, as a hand-typed `nc` sends,
 * gets a hint. */
#define IMAP_BARE_TEXT(s)                                                                          \
    ((s)->bare_lf_line ? "Bare LF received; end each line with CRLF (RFC 9051 2.2; with nc, "      \
                         "use nc -C)"                                                              \
                       : "Invalid characters in command (NUL, bare CR or LF)")

static void imap_on_line(struct imap_server *s, char *line, size_t n, bool bad_bytes)
{
    uint64_t lit = 0;
    bool plus = false, has_lit = imap_literal_at_end(line, n, &lit, &plus);
    if (s->in == IMAP_IN_SKIPREST) {
        if (has_lit && plus) {
            s->lit_left = lit;
            s->in = lit ? IMAP_IN_DISCARD : IMAP_IN_SKIPREST;
            return;
        }
        imap_reject_now(s, s->reject_result, s->reject_text);
        return;
    }
    if (s->wait == IMAP_W_IDLE) {
        s->wait = IMAP_W_NONE;
        s->cur_cmd[0] = '\0';
        strcpy(s->cur_cmd, "IDLE");
        if (bad_bytes)
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, IMAP_BARE_TEXT(s));
        else if (n == 4 && ascii_ncasecmp(line, "DONE", 4) == 0)
            imap_srv_tagged(s, s->wait_tag, IMAP_OK, "IDLE terminated");
        else
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, "Expected DONE"); /* hoodiecrow idle.js */
        return;
    }
    if (s->wait == IMAP_W_AUTH_PLAIN) {
        s->wait = IMAP_W_NONE;
        strcpy(s->cur_cmd, "AUTHENTICATE");
        if (n == 1 && line[0] == '*') {
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, "Authentication cancelled");
            return;
        }
        unsigned char dec[512];
        size_t dl;
        if (n > 600 || bad_bytes || !b64_decode(line, n, dec, &dl, false)) {
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, "Invalid base64 in SASL response");
            return;
        }
        /* RFC 4616: [authzid] NUL authcid NUL passwd */
        unsigned char *z1 = memchr(dec, 0, dl);
        unsigned char *z2 = z1 ? memchr(z1 + 1, 0, dl - (size_t)(z1 + 1 - dec)) : NULL;
        if (!z2) {
            imap_srv_tagged(s, s->wait_tag, IMAP_BAD, "Malformed PLAIN response");
            return;
        }
        char user[MBOX_USER_MAX + 1], pass[128];
        size_t ul = (size_t)(z2 - z1 - 1), pl = dl - (size_t)(z2 + 1 - dec),
               al = (size_t)(z1 - dec);
        if (ul == 0 || ul > MBOX_USER_MAX || pl >= sizeof pass || memchr(z2 + 1, 0, pl) ||
            (al && (al != ul || memcmp(dec, z1 + 1, ul) != 0))) {
            imap_srv_tagged(s, s->wait_tag, IMAP_NO, "[AUTHENTICATIONFAILED] Invalid credentials");
            return;
        }
        memcpy(user, z1 + 1, ul);
        user[ul] = '\0';
        memcpy(pass, z2 + 1, pl);
        pass[pl] = '\0';
        char tag[IMAP_TAG_MAX + 1];
        strcpy(tag, s->wait_tag);
        if (s->cfg.check_login) {
            imap_login_done(s, tag, user, s->cfg.check_login(s->cfg.ctx, user, pass));
        } else {
            struct imap_event ev;
            memset(&ev, 0, sizeof ev);
            ev.kind = IMAP_EV_LOGIN;
            ev.from = ev.to = s->state;
            strcpy(ev.tag, tag);
            strcpy(ev.user, user);
            strcpy(ev.pass, pass);
            imap_push_event(s, &ev);
            strcpy(s->wait_tag, tag);
            strcpy(s->pend_user, user);
            s->wait = IMAP_W_VERDICT;
        }
        return;
    }
    if (s->cmd.len + n + 2 > IMAP_CMD_MAX) {
        imap_refuse(s, has_lit, plus, lit, IMAP_BAD, "[TOOBIG] Command too long");
        return;
    }
    imap_buf_add(&s->cmd, line, n);
    if (bad_bytes) {
        /* X2, X3, I15: a bare CR/LF is not a line end, NUL is never valid */
        imap_refuse(s, has_lit, plus, lit, IMAP_BAD, IMAP_BARE_TEXT(s));
        return;
    }
    if (!has_lit) {
        imap_exec(s);
        return;
    }
    const char *why = NULL;
    enum imap_result rr = IMAP_BAD;
    if (!imap_precheck(s, &why, &rr)) {
        imap_refuse(s, true, plus, lit, rr, why);
        return;
    }
    size_t limit = s->state == IMAP_S_NOT_AUTH ? s->cfg.max_literal_preauth : s->cfg.max_literal;
    if (lit > limit || lit > limit - s->cmd_lit_total) {
        /* RFC 7888 §4, RFC 4469 TOOBIG; never allocate n (I1, I2) */
        imap_refuse(s, true, plus, lit, plus ? IMAP_BAD : IMAP_NO, "[TOOBIG] Literal too large");
        return;
    }
    imap_buf_add(&s->cmd, "\r\n", 2);
    s->cmd_lit_total += (size_t)lit;
    s->lit_left = lit;
    s->in = lit ? IMAP_IN_LITERAL : IMAP_IN_LINE;
    if (!plus) imap_buf_adds(&s->stage, "+ Ready for literal data\r\n");
}

static const struct imap_cmd_def *imap_find_cmd(const char *name, size_t n)
{
    for (size_t i = 0; i < MS_ARRAY_LEN(imap_cmds); i++)
        if (strlen(imap_cmds[i].name) == n && ascii_ncasecmp(imap_cmds[i].name, name, n) == 0)
            return &imap_cmds[i];
    return NULL;
}

/* Before asking for a literal: is this a known command valid now (I3)?
 * Only the tag and command name are looked at; the line is not rewritten. */
static bool imap_precheck(struct imap_server *s, const char **why, enum imap_result *r)
{
    struct imap_cur c;
    const char *tag, *name;
    size_t tn, nn;
    char *copy = ms_xmemdup(s->cmd.p, s->cmd.len);
    imap_cur_init(&c, copy, s->cmd.len);
    bool ok = false;
    *why = "Invalid tag";
    if (imap_cur_tag(&c, &tag, &tn) && imap_cur_sp(&c) && imap_cur_atom(&c, &name, &nn)) {
        const struct imap_cmd_def *d = imap_find_cmd(name, nn);
        if (d && d->fn == imap_cmd_uid && imap_cur_sp(&c) && imap_cur_atom(&c, &name, &nn)) {
            static const char *const subs[] = {"FETCH", "STORE", "COPY", "MOVE", "SEARCH"};
            bool found = false;
            for (size_t i = 0; i < MS_ARRAY_LEN(subs); i++)
                if (strlen(subs[i]) == nn && ascii_ncasecmp(subs[i], name, nn) == 0) found = true;
            if (!found) d = NULL;
        }
        const char *mb;
        size_t ml;
        *r = IMAP_BAD;
        if (!d || !d->args) {
            *why = "Unknown command or literal where none is allowed";
        } else if (!(d->states & (1u << s->state))) {
            *why = "Command not allowed in this state";
        } else if (d->fn == imap_cmd_append && imap_cur_sp(&c) && !imap_cur_peek(&c, '{') &&
                   imap_cur_astring(&c, &mb, &ml) && !mbox_folder_find(s->user, mb, ml)) {
            /* RFC 3501 §6.3.11: refuse before the client sends the message */
            *why = "[TRYCREATE] No such mailbox";
            *r = IMAP_NO;
        } else {
            ok = true;
        }
    }
    free(copy);
    return ok;
}

static bool imap_is_http(const char *p, size_t n)
{
    /* a method and an origin-form target ("GET /"), so that "GET LOGIN a
     * b" (a tag that spells GET) stays an IMAP command */
    static const char *const verbs[] = {"GET /",    "POST /",    "PUT /",     "HEAD /",
                                        "CONNECT ", "OPTIONS /", "OPTIONS *", "DELETE /"};
    for (size_t i = 0; i < MS_ARRAY_LEN(verbs); i++) {
        size_t l = strlen(verbs[i]);
        if (n >= l && memcmp(p, verbs[i], l) == 0) return true;
    }
    /* any other method: the line ends in " HTTP/<digit>.<digit>" (RFC 9112 §3) */
    if (n <= 9) return false;
    const char *v = p + n - 9;
    return memcmp(v, " HTTP/", 6) == 0 && v[6] >= '0' && v[6] <= '9' && v[7] == '.' &&
           v[8] >= '0' && v[8] <= '9';
}

static void imap_exec(struct imap_server *s)
{
    struct imap_cur c;
    const char *tag, *name;
    size_t tn, nn;
    char t[IMAP_TAG_MAX + 1];
    imap_cur_init(&c, s->cmd.p, s->cmd.len);
    s->cur_cmd[0] = '\0';
    s->no_expunge = false;
    if (s->commands++ == 0 && imap_is_http(s->cmd.p, s->cmd.len)) {
        /* X8: an HTTP request on the IMAP port gets a BYE, not a dialogue;
         * the line's verb says what it is (live mode counts these) */
        snprintf(s->cur_cmd, sizeof s->cur_cmd, "HTTP");
        line_log_note_in(&s->ss.log, "HTTP", 4, 0);
        imap_logout(s, "This is an IMAP server, not a web server");
        goto out;
    }
    if (s->cmd.len == 0) {
        imap_srv_tagged(s, "*", IMAP_BAD, "Empty command line");
        goto out;
    }
    if (!imap_cur_tag(&c, &tag, &tn) || !(imap_cur_eol(&c) || imap_cur_peek(&c, ' '))) {
        imap_srv_tagged(s, "*", IMAP_BAD, "Invalid tag");
        goto out;
    }
    memcpy(t, tag, tn);
    t[tn] = '\0';
    if (!imap_cur_sp(&c) || !imap_cur_atom(&c, &name, &nn)) {
        imap_srv_tagged(s, t, IMAP_BAD, "Missing command");
        goto out;
    }
    const struct imap_cmd_def *d = imap_find_cmd(name, nn);
    if (!d) {
        imap_srv_tagged(s, t, IMAP_BAD, "Unknown command");
        goto out;
    }
    snprintf(s->cur_cmd, sizeof s->cur_cmd, "%s", d->name);
    line_log_note_in(&s->ss.log, d->name, strlen(d->name), 0);
    if (!(d->states & (1u << s->state))) {
        /* I9: a BAD never changes state */
        imap_srv_tagged(s, t, IMAP_BAD, "Command not allowed in the %s state",
                        imap_state_name(s->state));
        goto out;
    }
    if (d->args) {
        if (!imap_cur_sp(&c)) {
            imap_srv_tagged(s, t, IMAP_BAD, "Missing arguments");
            goto out;
        }
    } else if (!imap_cur_eol(&c)) {
        imap_srv_tagged(s, t, IMAP_BAD, "Unexpected arguments"); /* I10: CAPABILITY x */
        goto out;
    }
    d->fn(s, &c, t);
out:
    if (s->wait != IMAP_W_FETCH) {
        s->cmd.len = 0;
        s->cmd_lit_total = 0;
    }
}

/* ---- commands: any state ------------------------------------------------------------- */

/* Reply BAD when the cursor has a syntax error or trailing input. */
bool imap_srv_args_end(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    if (!c->err && !imap_cur_eol(c)) c->err = "Unexpected extra arguments";
    if (!c->err) return true;
    imap_srv_tagged(s, tag, IMAP_BAD, "%s", c->err);
    return false;
}

static void imap_cmd_capability(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_srv_untagged(s, "CAPABILITY " IMAP_CAPS "%s",
                      s->cfg.starttls && !s->tls ? " STARTTLS" : "");
    imap_srv_tagged(s, tag, IMAP_OK, "CAPABILITY completed");
}

/* RFC 3501 §6.2.1: OK, then TLS; the client asks CAPABILITY again. Only in
 * the not-authenticated state (the table), once, and only when offered. */
static void imap_cmd_starttls(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    if (!s->cfg.starttls) {
        imap_srv_tagged(s, tag, IMAP_BAD, "Unknown command");
        return;
    }
    if (s->tls) {
        imap_srv_tagged(s, tag, IMAP_BAD, "TLS already active");
        return;
    }
    s->tls = true;
    s->ss.discard_rest = true;
    imap_srv_tagged(s, tag, IMAP_OK, "Begin TLS negotiation now");
    imap_srv_log_sync(s); /* the OK is in the log */
    line_log_tls_begins(&s->ss.log);
}

static void imap_cmd_noop(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_srv_tagged(s, tag, IMAP_OK, "NOOP completed");
}

static void imap_cmd_logout(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_srv_untagged(s, "BYE IMAP4rev1 Server logging out");
    imap_srv_close_view(s);
    imap_srv_enter_state(s, IMAP_S_LOGOUT);
    imap_srv_tagged(s, tag, IMAP_OK, "LOGOUT completed");
    s->done = true;
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_CLOSE;
    ev.from = ev.to = s->state;
    imap_push_event(s, &ev);
}

static void imap_cmd_idle(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    snprintf(s->wait_tag, sizeof s->wait_tag, "%s", tag);
    if (s->state == IMAP_S_SELECTED) imap_srv_sync(s, true);
    s->wait = IMAP_W_IDLE;
    imap_buf_adds(&s->stage, "+ idling\r\n");
}

/* ---- commands: not authenticated ------------------------------------------------------- */

static void imap_login_done(struct imap_server *s, const char *tag, const char *user, bool ok)
{
    if (!s->cur_cmd[0]) strcpy(s->cur_cmd, "LOGIN");
    if (!ok) {
        imap_srv_tagged(s, tag, IMAP_NO, "[AUTHENTICATIONFAILED] Invalid credentials");
        return;
    }
    s->user = mbox_user_get(s->cfg.store, user, true);
    if (!s->user) {
        imap_srv_tagged(s, tag, IMAP_NO, "[AUTHENTICATIONFAILED] Invalid user name");
        return;
    }
    imap_srv_enter_state(s, IMAP_S_AUTH);
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", s->cur_cmd);
}

static void imap_check_creds(struct imap_server *s, const char *tag, const char *u, size_t ul,
                             const char *p, size_t pl)
{
    char user[MBOX_USER_MAX + 1], pass[128];
    if (ul == 0 || ul > MBOX_USER_MAX || pl >= sizeof pass || memchr(u, 0, ul) ||
        memchr(p, 0, pl)) {
        imap_srv_tagged(s, tag, IMAP_NO, "[AUTHENTICATIONFAILED] Invalid credentials");
        return;
    }
    memcpy(user, u, ul);
    user[ul] = '\0';
    memcpy(pass, p, pl);
    pass[pl] = '\0';
    if (s->cfg.check_login) {
        imap_login_done(s, tag, user, s->cfg.check_login(s->cfg.ctx, user, pass));
        return;
    }
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_LOGIN;
    ev.from = ev.to = s->state;
    snprintf(ev.tag, sizeof ev.tag, "%s", tag);
    strcpy(ev.user, user);
    strcpy(ev.pass, pass);
    imap_push_event(s, &ev);
    snprintf(s->wait_tag, sizeof s->wait_tag, "%s", tag);
    strcpy(s->pend_user, user);
    s->wait = IMAP_W_VERDICT;
}

void imap_server_verdict(struct imap_server *s, bool ok)
{
    if (s->wait != IMAP_W_VERDICT) return;
    s->wait = IMAP_W_NONE;
    char tag[IMAP_TAG_MAX + 1];
    strcpy(tag, s->wait_tag);
    imap_login_done(s, tag, s->pend_user, ok);
    s->cmd.len = 0;
    s->cmd_lit_total = 0;
    imap_srv_log_sync(s);
    line_log_settle(&s->ss.log);
}

static void imap_cmd_login(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *u, *p;
    size_t ul, pl;
    if (!imap_cur_astring(c, &u, &ul) || !imap_cur_sp(c) || !imap_cur_astring(c, &p, &pl)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_srv_args_end(s, c, tag)) return;
    imap_check_creds(s, tag, u, ul, p, pl);
}

static void imap_cmd_authenticate(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *mech, *ir = NULL;
    size_t ml, il = 0;
    if (!imap_cur_atom(c, &mech, &ml)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (imap_cur_accept(c, ' ')) { /* RFC 4959 SASL-IR */
        if (!imap_cur_atom(c, &ir, &il)) {
            if (imap_cur_accept(c, '=')) {
                ir = "";
                il = 0;
            } else {
                imap_srv_args_end(s, c, tag);
                return;
            }
        }
    }
    if (!imap_srv_args_end(s, c, tag)) return;
    if (!(ml == 5 && ascii_ncasecmp(mech, "PLAIN", 5) == 0)) {
        imap_srv_tagged(s, tag, IMAP_NO, "Unsupported authentication mechanism");
        return;
    }
    snprintf(s->wait_tag, sizeof s->wait_tag, "%s", tag);
    s->wait = IMAP_W_AUTH_PLAIN;
    if (ir) {
        char *copy = ms_xmemdup(ir, il);
        s->cmd.len = 0;
        imap_on_line(s, copy, il, false);
        free(copy);
        return;
    }
    imap_buf_adds(&s->stage, "+ \r\n");
}

/* ---- commands: selected ------------------------------------------------------------------ */

static void imap_cmd_check(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_srv_tagged(s, tag, IMAP_OK, "CHECK completed");
}

static void imap_unselect(struct imap_server *s, const char *tag, bool expunge)
{
    struct mbox_folder *f = imap_srv_sel(s);
    if (f && expunge && !s->readonly) {
        /* RFC 3501 §6.4.2: silent expunge, no untagged EXPUNGE */
        for (size_t i = mbox_count(f); i-- > 0;)
            if (mbox_msg_at(f, i)->flags & MBOX_F_DELETED) (void)mbox_expunge_at(f, i);
    }
    if (s->state == IMAP_S_SELECTED) {
        imap_srv_close_view(s);
        imap_srv_enter_state(s, IMAP_S_AUTH);
    }
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", expunge ? "CLOSE" : "UNSELECT");
}

static void imap_cmd_close(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_unselect(s, tag, true);
}

static void imap_cmd_unselect(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_unselect(s, tag, false);
}

static void imap_cmd_expunge_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_cmd_expunge(s, tag, false);
}

static void imap_cmd_search_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    s->no_expunge = true;
    imap_cmd_search(s, c, tag, false);
}

static void imap_cmd_fetch_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    s->no_expunge = true;
    imap_cmd_fetch(s, c, tag, false);
}

static void imap_cmd_store_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    s->no_expunge = true;
    imap_cmd_store(s, c, tag, false);
}

static void imap_cmd_copy_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_cmd_copy(s, c, tag, false, false);
}

static void imap_cmd_move_c(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_cmd_copy(s, c, tag, false, true);
}

static void imap_cmd_uid(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *sub;
    size_t sl;
    if (!imap_cur_atom(c, &sub, &sl) || !imap_cur_sp(c)) { /* every UID command takes a set */
        imap_srv_args_end(s, c, tag);
        return;
    }
#define IS(w) (sl == sizeof(w) - 1 && ascii_ncasecmp(sub, w, sl) == 0)
    if (IS("FETCH")) {
        strcpy(s->cur_cmd, "UID FETCH");
        s->no_expunge = true;
        imap_cmd_fetch(s, c, tag, true);
    } else if (IS("STORE")) {
        strcpy(s->cur_cmd, "UID STORE");
        s->no_expunge = true;
        imap_cmd_store(s, c, tag, true);
    } else if (IS("SEARCH")) {
        strcpy(s->cur_cmd, "UID SEARCH");
        s->no_expunge = true;
        imap_cmd_search(s, c, tag, true);
    } else if (IS("COPY")) {
        strcpy(s->cur_cmd, "UID COPY");
        imap_cmd_copy(s, c, tag, true, false);
    } else if (IS("MOVE")) {
        strcpy(s->cur_cmd, "UID MOVE");
        imap_cmd_copy(s, c, tag, true, true);
    } else if (IS("EXPUNGE")) {
        strcpy(s->cur_cmd, "UID EXPUNGE");
        imap_cmd_uid_expunge(s, c, tag);
    } else {
        imap_srv_tagged(s, tag, IMAP_BAD, "Unknown UID command");
    }
#undef IS
}
