/* imap_server.c -- IMAP4rev1 server: framing, states, mailbox commands
 * (see imap_server.h). FETCH, STORE, SEARCH, COPY/MOVE and EXPUNGE are in
 * imap_fetch.c. */
#include "proto/imap_srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "format/base64.h"

#define IMAP_CAPS "IMAP4rev1 LITERAL+ SASL-IR IDLE MOVE UNSELECT AUTH=PLAIN"

static const char *const imap_state_names[IMAP_S_COUNT] = {
    "not authenticated", "authenticated", "selected", "logout",
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
    bool args;      /* takes arguments after a SP */
    imap_cmd_fn *fn;
};

static void imap_enter_state(struct imap_server *s, enum imap_state st);
static void imap_push_event(struct imap_server *s, const struct imap_event *ev);
static void imap_on_line(struct imap_server *s, char *line, size_t n, bool bad_bytes);
static void imap_exec(struct imap_server *s);
static void imap_reject_now(struct imap_server *s, enum imap_result r, const char *text);
static bool imap_precheck(struct imap_server *s, const char **why);
static const struct imap_cmd_def *imap_find_cmd(const char *name, size_t n);
static void imap_login_done(struct imap_server *s, const char *tag, const char *user, bool ok);
static void imap_close_view(struct imap_server *s);
static void imap_logout(struct imap_server *s, const char *bye);

static imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout, imap_cmd_login,
    imap_cmd_authenticate, imap_cmd_select, imap_cmd_examine, imap_cmd_create, imap_cmd_delete,
    imap_cmd_rename, imap_cmd_subscribe, imap_cmd_unsubscribe, imap_cmd_list, imap_cmd_lsub,
    imap_cmd_status, imap_cmd_append, imap_cmd_check, imap_cmd_close, imap_cmd_unselect,
    imap_cmd_expunge_c, imap_cmd_search_c, imap_cmd_fetch_c, imap_cmd_store_c, imap_cmd_copy_c,
    imap_cmd_move_c, imap_cmd_uid, imap_cmd_idle;

static const struct imap_cmd_def imap_cmds[] = {
    {"CAPABILITY", ST_ANY, false, imap_cmd_capability},
    {"NOOP", ST_ANY, false, imap_cmd_noop},
    {"LOGOUT", ST_ANY, false, imap_cmd_logout},
    {"LOGIN", ST_N, true, imap_cmd_login},
    {"AUTHENTICATE", ST_N, true, imap_cmd_authenticate},
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
    line_init(&s->lr, IMAP_LINE_MAX);
    s->state = IMAP_S_NOT_AUTH;
    if (cfg->host) imap_srv_untagged(s, "OK %s IMAP4rev1 Service Ready", cfg->host);
    else imap_srv_untagged(s, "OK IMAP4rev1 Service Ready");
    return s;
}

void imap_server_free(struct imap_server *s)
{
    if (!s) return;
    line_free(&s->lr);
    imap_buf_free(&s->cmd);
    imap_buf_free(&s->out);
    free(s->view);
    free(s);
}

enum imap_state imap_server_state(const struct imap_server *s) { return s->state; }
bool imap_server_idling(const struct imap_server *s) { return s->wait == IMAP_W_IDLE; }
bool imap_server_done(const struct imap_server *s) { return s->done; }
void imap_server_set_now(struct imap_server *s, sim_us now) { s->now = now; }

sim_us imap_server_timeout_us(const struct imap_server *s)
{
    /* RFC 3501 §5.4: at least 30 minutes once authenticated; shorter before
     * (bad-inputs X6). */
    return s->state == IMAP_S_NOT_AUTH ? SIM_US_PER_MIN : 30 * SIM_US_PER_MIN;
}

size_t imap_server_out(const struct imap_server *s, const char **out)
{
    *out = s->out.p;
    return s->out.len;
}

void imap_server_out_done(struct imap_server *s, size_t n)
{
    imap_buf_consume(&s->out, n);
    if (s->wait == IMAP_W_FETCH && s->out.len < s->cfg.out_high_water) imap_fetch_continue(s);
}

bool imap_server_event(struct imap_server *s, struct imap_event *ev)
{
    if (!s->ev_n) return false;
    *ev = s->ev[s->ev_head];
    s->ev_head = (s->ev_head + 1) % IMAP_EVENTS;
    s->ev_n--;
    return true;
}

static void imap_push_event(struct imap_server *s, const struct imap_event *ev)
{
    if (s->ev_n == IMAP_EVENTS) { /* drop the oldest: the caller is not pulling */
        s->ev_head = (s->ev_head + 1) % IMAP_EVENTS;
        s->ev_n--;
    }
    s->ev[(s->ev_head + s->ev_n) % IMAP_EVENTS] = *ev;
    s->ev_n++;
}

/* The only place the state changes (style.md). */
static void imap_enter_state(struct imap_server *s, enum imap_state st)
{
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_STATE;
    ev.from = s->state;
    ev.to = st;
    ev.offset = s->cmd_offset;
    s->state = st;
    imap_push_event(s, &ev);
}

static void imap_logout(struct imap_server *s, const char *bye)
{
    imap_srv_untagged(s, "BYE %s", bye);
    imap_close_view(s);
    imap_enter_state(s, IMAP_S_LOGOUT);
    s->done = true;
    s->wait = IMAP_W_NONE;
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = IMAP_EV_CLOSE;
    ev.from = ev.to = s->state;
    imap_push_event(s, &ev);
}

void imap_server_timeout(struct imap_server *s)
{
    if (s->done) return;
    imap_logout(s, "Autologout; idle for too long");
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
    imap_buf_add(&s->out, "* ", 2);
    if ((size_t)k < sizeof tmp) {
        imap_buf_add(&s->out, tmp, (size_t)k);
    } else {
        char *big = ms_xmalloc((size_t)k + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)k + 1, fmt, ap);
        va_end(ap);
        imap_buf_add(&s->out, big, (size_t)k);
        free(big);
    }
    imap_buf_add(&s->out, "\r\n", 2);
}

void imap_srv_tagged(struct imap_server *s, const char *tag, enum imap_result r, const char *fmt, ...)
{
    /* RFC 3501 §7: untagged news goes before the tagged reply. */
    if (r != IMAP_BAD && s->state == IMAP_S_SELECTED) imap_srv_sync(s, !s->no_expunge);
    struct imap_event ev;
    memset(&ev, 0, sizeof ev);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(ev.text, sizeof ev.text, fmt, ap);
    va_end(ap);
    imap_buf_printf(&s->out, "%s %s %s\r\n", tag, imap_result_name(r), ev.text);
    ev.kind = IMAP_EV_COMMAND;
    ev.from = ev.to = s->state;
    ev.result = r;
    snprintf(ev.tag, sizeof ev.tag, "%s", tag);
    snprintf(ev.command, sizeof ev.command, "%s", s->cur_cmd);
    ev.offset = s->cmd_offset;
    imap_push_event(s, &ev);
}

void imap_srv_flags(struct imap_buf *b, const struct mbox_folder *f, uint64_t flags, bool recent)
{
    static const struct { uint64_t bit; const char *name; } sys[] = {
        {MBOX_F_SEEN, "\\Seen"},       {MBOX_F_ANSWERED, "\\Answered"}, {MBOX_F_FLAGGED, "\\Flagged"},
        {MBOX_F_DELETED, "\\Deleted"}, {MBOX_F_DRAFT, "\\Draft"},
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

static const char *const imap_months[12] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 to civil date (H. Hinnant's algorithm). */
static void imap_civil(int64_t z, int *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = (int)(yy + (*m <= 2));
}

static int64_t imap_days_from_civil(int y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

/* date-time = DQUOTE date-day-fixed "-" date-month "-" date-year SP time SP
 * zone DQUOTE (RFC 3501 §9), always in UTC here. */
void imap_srv_date(struct imap_buf *b, sim_us t, int64_t epoch_unix)
{
    int64_t secs = t / SIM_US_PER_S + epoch_unix;
    if (secs < 0) secs = 0;
    int64_t days = secs / 86400, rem = secs % 86400;
    int y;
    unsigned m, d;
    imap_civil(days, &y, &m, &d);
    imap_buf_printf(b, "\"%2u-%s-%04d %02d:%02d:%02d +0000\"", d, imap_months[m - 1], y,
                    (int)(rem / 3600), (int)(rem / 60 % 60), (int)(rem % 60));
}

static bool imap_parse_uint(const char *s, size_t n, unsigned *v)
{
    if (n == 0 || n > 4) return false;
    unsigned x = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9') return false;
        x = x * 10 + (unsigned)(s[i] - '0');
    }
    *v = x;
    return true;
}

/* date = date-day "-" date-month "-" date-year (RFC 3501 §9). */
bool imap_srv_parse_date(const char *s, size_t n, int64_t *days)
{
    const char *a = memchr(s, '-', n);
    if (!a) return false;
    const char *b = memchr(a + 1, '-', n - (size_t)(a + 1 - s));
    if (!b || b - a != 4) return false;
    unsigned d, y, m = 0;
    if (!imap_parse_uint(s, (size_t)(a - s), &d) || a - s > 2) return false;
    if (!imap_parse_uint(b + 1, n - (size_t)(b + 1 - s), &y) || n - (size_t)(b + 1 - s) != 4) return false;
    for (unsigned i = 0; i < 12; i++)
        if (strncasecmp(a + 1, imap_months[i], 3) == 0) m = i + 1;
    if (!m || d < 1 || d > 31) return false;
    *days = imap_days_from_civil((int)y, m, d);
    return true;
}

/* date-time for APPEND: "dd-Mon-yyyy hh:mm:ss +zzzz" -> Unix seconds. */
static bool imap_parse_date_time(const char *s, size_t n, int64_t *unix_s)
{
    if (n != 26 || s[2] != '-' || s[6] != '-' || s[11] != ' ' || s[14] != ':' || s[17] != ':' ||
        s[20] != ' ' || (s[21] != '+' && s[21] != '-'))
        return false;
    const char *day = s[0] == ' ' ? s + 1 : s;
    int64_t days;
    if (!imap_srv_parse_date(day, (size_t)(s + 11 - day), &days)) return false;
    unsigned hh, mm, ss, zh, zm;
    if (!imap_parse_uint(s + 12, 2, &hh) || !imap_parse_uint(s + 15, 2, &mm) ||
        !imap_parse_uint(s + 18, 2, &ss) || !imap_parse_uint(s + 22, 2, &zh) ||
        !imap_parse_uint(s + 24, 2, &zm) || hh > 23 || mm > 59 || ss > 60 || zm > 59)
        return false;
    int64_t zone = ((int64_t)zh * 60 + zm) * 60 * (s[21] == '-' ? -1 : 1);
    *unix_s = days * 86400 + hh * 3600 + mm * 60 + ss - zone;
    return true;
}

/* ---- the selected mailbox ------------------------------------------------------- */

static void imap_close_view(struct imap_server *s)
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
        /* deleted by another session (RFC 9051 §7.1 CLOSED) */
        imap_srv_untagged(s, "OK [CLOSED] Selected mailbox was deleted");
        imap_close_view(s);
        imap_enter_state(s, IMAP_S_AUTH);
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
static void imap_view_grow(struct imap_server *s, struct mbox_folder *f)
{
    for (size_t j = mbox_lower_bound(f, s->uid_max + 1); j < mbox_count(f); j++) {
        const struct mbox_msg *m = mbox_msg_at(f, j);
        bool recent = (m->flags & MBOX_F_RECENT) != 0;
        uint32_t uid = m->uid;
        uint64_t flags = m->flags;
        if (recent && !s->readonly) (void)mbox_flags_set(f, j, flags & ~(uint64_t)MBOX_F_RECENT);
        imap_view_push(s, uid, flags, recent);
    }
}

static size_t imap_recent_count(const struct imap_server *s)
{
    size_t r = 0;
    for (size_t i = 0; i < s->vn; i++) r += s->view[i].recent && !s->view[i].gone;
    return r;
}

void imap_srv_sync(struct imap_server *s, bool allow_expunge)
{
    struct mbox_folder *f = imap_srv_sel(s);
    if (!f) return;
    bool changed = mbox_folder_changes(f) != s->sel_changes;
    bool pending = false;
    for (size_t i = 0; i < s->vn && !pending; i++) pending = s->view[i].gone;
    if (!changed && !(pending && allow_expunge)) return;
    if (mbox_keyword_count(f) != s->sel_nkw) {
        struct imap_buf b = {0};
        imap_srv_flags(&b, f, ~(uint64_t)MBOX_F_RECENT, false);
        imap_buf_add(&b, "", 1);
        imap_srv_untagged(s, "FLAGS %s", b.p);
        imap_buf_free(&b);
        s->sel_nkw = mbox_keyword_count(f);
    }
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
    imap_view_grow(s, f);
    if (s->vn != before) imap_srv_untagged(s, "%zu EXISTS", s->vn);
    size_t rc = imap_recent_count(s);
    if (s->vn != before && rc != s->recent_sent) imap_srv_untagged(s, "%zu RECENT", rc);
    s->recent_sent = rc;
    s->sel_changes = mbox_folder_changes(f);
}

void imap_server_notify(struct imap_server *s)
{
    /* RFC 2177 §3: while idling the server sends EXISTS/EXPUNGE at once */
    if (s->wait == IMAP_W_IDLE) imap_srv_sync(s, true);
}

/* ---- input framing ---------------------------------------------------------------- */

size_t imap_server_recv(struct imap_server *s, const char *in, size_t len)
{
    size_t used = 0;
    while (used < len && !s->done) {
        if (s->wait == IMAP_W_VERDICT || s->wait == IMAP_W_FETCH) break;
        if (s->out.len >= s->cfg.out_high_water) break; /* backpressure (X5) */
        if (s->in == IMAP_IN_LITERAL || s->in == IMAP_IN_DISCARD) {
            size_t k = len - used;
            if (k > s->lit_left) k = (size_t)s->lit_left;
            if (s->in == IMAP_IN_LITERAL) imap_buf_add(&s->cmd, in + used, k);
            used += k;
            s->in_offset += k;
            s->lit_left -= k;
            if (s->lit_left == 0) s->in = s->in == IMAP_IN_LITERAL ? IMAP_IN_LINE : IMAP_IN_SKIPREST;
            continue;
        }
        if (s->cmd.len == 0 && s->in == IMAP_IN_LINE) s->cmd_offset = s->in_offset;
        enum line_status st;
        size_t k = line_feed(&s->lr, in + used, len - used, &st);
        used += k;
        s->in_offset += k;
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
        } else if (st == LINE_OK) {
            size_t n;
            const char *line = line_get(&s->lr, &n);
            bool bad = line_has_bare_eol(&s->lr) || line_has_nul(&s->lr);
            imap_on_line(s, (char *)(uintptr_t)line, n, bad);
        }
    }
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
        if (n == 4 && strncasecmp(line, "DONE", 4) == 0)
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
        size_t ul = (size_t)(z2 - z1 - 1), pl = dl - (size_t)(z2 + 1 - dec), al = (size_t)(z1 - dec);
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
        imap_refuse(s, has_lit, plus, lit, IMAP_BAD, "Invalid characters in command (NUL, bare CR or LF)");
        return;
    }
    if (!has_lit) {
        imap_exec(s);
        return;
    }
    const char *why = NULL;
    if (!imap_precheck(s, &why)) {
        imap_refuse(s, true, plus, lit, IMAP_BAD, why);
        return;
    }
    size_t limit = s->state == IMAP_S_NOT_AUTH ? s->cfg.max_literal_preauth : s->cfg.max_literal;
    if (lit > limit || lit > limit - s->cmd_lit_total) {
        /* RFC 7888 §4, RFC 9051 §7.1 TOOBIG; never allocate n (I1, I2) */
        imap_refuse(s, true, plus, lit, plus ? IMAP_BAD : IMAP_NO, "[TOOBIG] Literal too large");
        return;
    }
    imap_buf_add(&s->cmd, "\r\n", 2);
    s->cmd_lit_total += (size_t)lit;
    s->lit_left = lit;
    s->in = lit ? IMAP_IN_LITERAL : IMAP_IN_LINE;
    if (!plus) imap_buf_adds(&s->out, "+ Ready for literal data\r\n");
}

static const struct imap_cmd_def *imap_find_cmd(const char *name, size_t n)
{
    for (size_t i = 0; i < MS_ARRAY_LEN(imap_cmds); i++)
        if (strlen(imap_cmds[i].name) == n && strncasecmp(imap_cmds[i].name, name, n) == 0)
            return &imap_cmds[i];
    return NULL;
}

/* Before asking for a literal: is this a known command valid now (I3)?
 * Only the tag and command name are looked at; the line is not rewritten. */
static bool imap_precheck(struct imap_server *s, const char **why)
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
                if (strlen(subs[i]) == nn && strncasecmp(subs[i], name, nn) == 0) found = true;
            if (!found) d = NULL;
        }
        if (!d || !d->args) *why = "Unknown command or literal where none is allowed";
        else if (!(d->states & (1u << s->state))) *why = "Command not allowed in this state";
        else ok = true;
    }
    free(copy);
    return ok;
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
    if (!(d->states & (1u << s->state))) {
        /* I9: a BAD never changes state */
        imap_srv_tagged(s, t, IMAP_BAD, "Command not allowed in the %s state", imap_state_name(s->state));
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
static bool imap_args_end(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    if (!c->err && !imap_cur_eol(c)) c->err = "Unexpected extra arguments";
    if (!c->err) return true;
    imap_srv_tagged(s, tag, IMAP_BAD, "%s", c->err);
    return false;
}

static void imap_cmd_capability(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    (void)c;
    imap_srv_untagged(s, "CAPABILITY " IMAP_CAPS);
    imap_srv_tagged(s, tag, IMAP_OK, "CAPABILITY completed");
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
    imap_close_view(s);
    imap_enter_state(s, IMAP_S_LOGOUT);
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
    imap_buf_adds(&s->out, "+ idling\r\n");
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
    imap_enter_state(s, IMAP_S_AUTH);
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", s->cur_cmd);
}

static void imap_check_creds(struct imap_server *s, const char *tag, const char *u, size_t ul,
                             const char *p, size_t pl)
{
    char user[MBOX_USER_MAX + 1], pass[128];
    if (ul == 0 || ul > MBOX_USER_MAX || pl >= sizeof pass || memchr(u, 0, ul) || memchr(p, 0, pl)) {
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
}

static void imap_cmd_login(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *u, *p;
    size_t ul, pl;
    if (!imap_cur_astring(c, &u, &ul) || !imap_cur_sp(c) || !imap_cur_astring(c, &p, &pl)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_args_end(s, c, tag)) return;
    imap_check_creds(s, tag, u, ul, p, pl);
}

static void imap_cmd_authenticate(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *mech, *ir = NULL;
    size_t ml, il = 0;
    if (!imap_cur_atom(c, &mech, &ml)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (imap_cur_accept(c, ' ')) { /* RFC 4959 SASL-IR */
        if (!imap_cur_atom(c, &ir, &il)) {
            if (imap_cur_accept(c, '=')) { ir = ""; il = 0; } else { imap_args_end(s, c, tag); return; }
        }
    }
    if (!imap_args_end(s, c, tag)) return;
    if (!(ml == 5 && strncasecmp(mech, "PLAIN", 5) == 0)) {
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
    imap_buf_adds(&s->out, "+ \r\n");
}

/* ---- commands: authenticated ------------------------------------------------------------ */

static const char *imap_mbox_err(enum mbox_err e)
{
    switch (e) {
    case MBOX_ENOENT: return "[NONEXISTENT] No such mailbox";
    case MBOX_EEXIST: return "[ALREADYEXISTS] Mailbox already exists";
    case MBOX_EBADNAME: return "[CANNOT] Invalid mailbox name";
    case MBOX_EINBOX: return "[CANNOT] INBOX cannot be deleted";
    case MBOX_ECHILD: return "[CANNOT] Mailbox has inferior hierarchical names";
    case MBOX_ETOOMANY: return "[LIMIT] Too many mailboxes";
    default: return mbox_strerror(e);
    }
}

static void imap_select(struct imap_server *s, struct imap_cur *c, const char *tag, bool ro)
{
    const char *name;
    size_t nl;
    if (!imap_cur_astring(c, &name, &nl)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_args_end(s, c, tag)) return;
    if (s->state == IMAP_S_SELECTED) { /* RFC 3501 §6.3.1: the old one is closed first */
        imap_close_view(s);
        imap_enter_state(s, IMAP_S_AUTH);
    }
    struct mbox_folder *f = mbox_folder_find(s->user, name, nl);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "[NONEXISTENT] Mailbox does not exist");
        return;
    }
    s->readonly = ro;
    s->sel_id = mbox_folder_id(f);
    s->uid_max = 0;
    s->vn = 0;
    imap_view_grow(s, f);
    s->sel_changes = mbox_folder_changes(f);
    s->sel_nkw = mbox_keyword_count(f);
    s->recent_sent = imap_recent_count(s);
    struct imap_buf b = {0};
    imap_srv_flags(&b, f, ~(uint64_t)MBOX_F_RECENT, false);
    imap_buf_add(&b, "", 1);
    imap_srv_untagged(s, "%zu EXISTS", s->vn);
    imap_srv_untagged(s, "FLAGS %s", b.p);
    imap_srv_untagged(s, "%zu RECENT", s->recent_sent);
    for (size_t i = 0; i < s->vn; i++) {
        if (!(s->view[i].flags & MBOX_F_SEEN)) {
            imap_srv_untagged(s, "OK [UNSEEN %zu] Message %zu is the first unseen message", i + 1, i + 1);
            break;
        }
    }
    if (ro) {
        imap_srv_untagged(s, "OK [PERMANENTFLAGS ()] No permanent flags permitted");
    } else {
        b.len = 0;
        imap_srv_flags(&b, f, ~(uint64_t)MBOX_F_RECENT, false);
        b.len--; /* drop ")" to add \* */
        imap_buf_adds(&b, b.len > 1 ? " \\*)" : "\\*)");
        imap_buf_add(&b, "", 1);
        imap_srv_untagged(s, "OK [PERMANENTFLAGS %s] Limited", b.p);
    }
    imap_buf_free(&b);
    imap_srv_untagged(s, "OK [UIDVALIDITY %u] UIDs valid", (unsigned)mbox_folder_uidvalidity(f));
    imap_srv_untagged(s, "OK [UIDNEXT %u] Predicted next UID", (unsigned)mbox_folder_uidnext(f));
    imap_enter_state(s, IMAP_S_SELECTED);
    imap_srv_tagged(s, tag, IMAP_OK, "[%s] %s completed", ro ? "READ-ONLY" : "READ-WRITE",
                    ro ? "EXAMINE" : "SELECT");
}

static void imap_cmd_select(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_select(s, c, tag, false);
}

static void imap_cmd_examine(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_select(s, c, tag, true);
}

static bool imap_one_name(struct imap_server *s, struct imap_cur *c, const char *tag, const char **n, size_t *l)
{
    if (!imap_cur_astring(c, n, l)) {
        imap_args_end(s, c, tag);
        return false;
    }
    return imap_args_end(s, c, tag);
}

static void imap_cmd_create(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *n;
    size_t l;
    if (!imap_one_name(s, c, tag, &n, &l)) return;
    enum mbox_err e = mbox_folder_create(s->user, n, l);
    if (e) imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else imap_srv_tagged(s, tag, IMAP_OK, "CREATE completed");
}

static void imap_cmd_delete(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *n;
    size_t l;
    if (!imap_one_name(s, c, tag, &n, &l)) return;
    enum mbox_err e = mbox_folder_delete(s->user, n, l);
    if (e) imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else imap_srv_tagged(s, tag, IMAP_OK, "DELETE completed");
}

static void imap_cmd_rename(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *a, *b;
    size_t al, bl;
    if (!imap_cur_astring(c, &a, &al) || !imap_cur_sp(c) || !imap_cur_astring(c, &b, &bl)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_args_end(s, c, tag)) return;
    enum mbox_err e = mbox_folder_rename(s->user, a, al, b, bl);
    if (e) imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else imap_srv_tagged(s, tag, IMAP_OK, "RENAME completed");
}

static void imap_sub(struct imap_server *s, struct imap_cur *c, const char *tag, bool on)
{
    const char *n;
    size_t l;
    if (!imap_one_name(s, c, tag, &n, &l)) return;
    if (on && !mbox_folder_find(s->user, n, l)) {
        imap_srv_tagged(s, tag, IMAP_NO, "[NONEXISTENT] No such mailbox");
        return;
    }
    enum mbox_err e = mbox_subscribe(s->user, n, l, on);
    if (e) imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else imap_srv_tagged(s, tag, IMAP_OK, "%s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

static void imap_cmd_subscribe(struct imap_server *s, struct imap_cur *c, const char *tag) { imap_sub(s, c, tag, true); }
static void imap_cmd_unsubscribe(struct imap_server *s, struct imap_cur *c, const char *tag) { imap_sub(s, c, tag, false); }

/* Wildcard match: "*" matches anything, "%" anything but the delimiter
 * (RFC 3501 §6.3.8). A set of live pattern positions is advanced once per
 * name byte, so the time is O(name x pattern) whatever the pattern
 * (bad-inputs I12: no backtracking blow-up). */
static bool imap_list_match(const char *pat, size_t pl, const char *name)
{
    bool cur[MBOX_NAME_MAX * 2 + 2], nxt[MBOX_NAME_MAX * 2 + 2];
    memset(cur, 0, pl + 1);
    cur[0] = true;
    for (size_t i = 0; i < pl && cur[i] && (pat[i] == '*' || pat[i] == '%'); i++) cur[i + 1] = true;
    for (const char *p = name; *p; p++) {
        memset(nxt, 0, pl + 1);
        bool any = false;
        for (size_t i = 0; i < pl; i++) {
            if (!cur[i]) continue;
            char w = pat[i];
            if (w == '*' || (w == '%' && *p != MBOX_DELIM)) nxt[i] = true;
            else if (w == *p) nxt[i + 1] = true;
        }
        /* epsilon moves over wildcards */
        for (size_t i = 0; i < pl; i++)
            if (nxt[i] && (pat[i] == '*' || pat[i] == '%')) nxt[i + 1] = true;
        for (size_t i = 0; i <= pl; i++) any |= (cur[i] = nxt[i]);
        if (!any) return false;
    }
    return cur[pl];
}

static void imap_list(struct imap_server *s, struct imap_cur *c, const char *tag, bool lsub)
{
    const char *ref, *pat;
    size_t rl, pl;
    if (!imap_cur_astring(c, &ref, &rl) || !imap_cur_sp(c) || !imap_cur_list_mailbox(c, &pat, &pl)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_args_end(s, c, tag)) return;
    const char *verb = lsub ? "LSUB" : "LIST";
    if (pl == 0 && !lsub) { /* RFC 3501 §6.3.8: the delimiter and root */
        imap_srv_untagged(s, "LIST (\\Noselect) \"/\" \"\"");
        imap_srv_tagged(s, tag, IMAP_OK, "LIST completed");
        return;
    }
    char full[MBOX_NAME_MAX * 2 + 1];
    if (rl + pl > MBOX_NAME_MAX * 2) {
        imap_srv_tagged(s, tag, IMAP_OK, "%s completed", verb); /* matches nothing */
        return;
    }
    memcpy(full, ref, rl);
    memcpy(full + rl, pat, pl);
    size_t fl = rl + pl;
    if (fl >= 5 && strncasecmp(full, "INBOX", 5) == 0 &&
        (fl == 5 || full[5] == MBOX_DELIM || full[5] == '*' || full[5] == '%'))
        memcpy(full, "INBOX", 5);
    size_t count = lsub ? mbox_sub_count(s->user) : mbox_folder_count(s->user);
    for (size_t i = 0; i < count; i++) {
        const char *name;
        struct mbox_folder *f;
        if (lsub) {
            name = mbox_sub_at(s->user, i);
            f = mbox_folder_find(s->user, name, strlen(name));
        } else {
            f = mbox_folder_at(s->user, i);
            name = mbox_folder_name(f);
        }
        if (!imap_list_match(full, fl, name)) continue;
        struct imap_buf b = {0};
        imap_buf_printf(&b, "%s (", verb);
        if (!f) imap_buf_adds(&b, "\\Noselect");
        else imap_buf_adds(&b, mbox_folder_has_children(s->user, f) ? "\\HasChildren" : "\\HasNoChildren");
        imap_buf_adds(&b, ") \"/\" ");
        imap_buf_astring(&b, name, strlen(name), false);
        imap_buf_add(&b, "", 1);
        imap_srv_untagged(s, "%s", b.p);
        imap_buf_free(&b);
    }
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", verb);
}

static void imap_cmd_list(struct imap_server *s, struct imap_cur *c, const char *tag) { imap_list(s, c, tag, false); }
static void imap_cmd_lsub(struct imap_server *s, struct imap_cur *c, const char *tag) { imap_list(s, c, tag, true); }

static void imap_cmd_status(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    static const char *const items[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"};
    const char *name;
    size_t nl;
    unsigned want[8];
    size_t nw = 0;
    if (!imap_cur_astring(c, &name, &nl) || !imap_cur_sp(c) || !imap_cur_open(c)) {
        imap_args_end(s, c, tag);
        return;
    }
    for (;;) {
        const char *a;
        size_t al;
        if (!imap_cur_atom(c, &a, &al)) break;
        size_t k = MS_ARRAY_LEN(items);
        for (size_t i = 0; i < MS_ARRAY_LEN(items); i++)
            if (strlen(items[i]) == al && strncasecmp(items[i], a, al) == 0) k = i;
        if (k == MS_ARRAY_LEN(items)) {
            imap_cur_fail(c, "Unknown STATUS item");
            break;
        }
        if (nw == MS_ARRAY_LEN(want)) {
            imap_cur_fail(c, "Too many STATUS items");
            break;
        }
        want[nw++] = (unsigned)k;
        if (!imap_cur_accept(c, ' ')) break;
    }
    if (!c->err) (void)imap_cur_close(c);
    if (!imap_args_end(s, c, tag)) return;
    struct mbox_folder *f = mbox_folder_find(s->user, name, nl);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "[NONEXISTENT] No such mailbox");
        return;
    }
    size_t n = mbox_count(f), recent = 0, unseen = 0;
    for (size_t i = 0; i < n; i++) {
        recent += (mbox_msg_at(f, i)->flags & MBOX_F_RECENT) != 0;
        unseen += !(mbox_msg_at(f, i)->flags & MBOX_F_SEEN);
    }
    struct imap_buf b = {0};
    imap_buf_adds(&b, "STATUS ");
    imap_buf_astring(&b, mbox_folder_name(f), strlen(mbox_folder_name(f)), false);
    imap_buf_adds(&b, " (");
    for (size_t i = 0; i < nw; i++) {
        uint64_t v = want[i] == 0 ? n : want[i] == 1 ? recent : want[i] == 2 ? mbox_folder_uidnext(f)
                   : want[i] == 3 ? mbox_folder_uidvalidity(f) : unseen;
        imap_buf_printf(&b, "%s%s %llu", i ? " " : "", items[want[i]], (unsigned long long)v);
    }
    imap_buf_add(&b, ")", 2);
    imap_srv_untagged(s, "%s", b.p);
    imap_buf_free(&b);
    imap_srv_tagged(s, tag, IMAP_OK, "STATUS completed");
}

/* flag-list for APPEND and STORE: "(" [flag *(SP flag)] ")" or bare flags.
 * \Recent may not be set by a client (RFC 3501 §2.3.2, I10). */
bool imap_parse_flags(struct imap_cur *c, struct mbox_folder *f, uint64_t *out, bool paren_required,
                      const char **err)
{
    static const struct { const char *name; uint64_t bit; } sys[] = {
        {"\\Seen", MBOX_F_SEEN},       {"\\Answered", MBOX_F_ANSWERED}, {"\\Flagged", MBOX_F_FLAGGED},
        {"\\Deleted", MBOX_F_DELETED}, {"\\Draft", MBOX_F_DRAFT},
    };
    bool paren = imap_cur_peek(c, '(');
    *out = 0;
    *err = NULL;
    if (paren_required && !paren) return imap_cur_fail(c, "Expected a flag list");
    if (paren && !imap_cur_open(c)) return false;
    if (paren && imap_cur_peek(c, ')')) return imap_cur_close(c);
    for (;;) {
        const char *a;
        size_t al;
        bool sysflag = imap_cur_accept(c, '\\');
        if (!imap_cur_atom(c, &a, &al)) return false;
        if (sysflag) {
            uint64_t bit = 0;
            for (size_t i = 0; i < MS_ARRAY_LEN(sys); i++)
                if (strlen(sys[i].name) == al + 1 && strncasecmp(sys[i].name + 1, a, al) == 0) bit = sys[i].bit;
            if (!bit) return imap_cur_fail(c, "Invalid system flag");
            *out |= bit;
        } else {
            int idx;
            enum mbox_err e = mbox_keyword_intern(f, a, al, &idx);
            if (e == MBOX_EKEYWORDS) {
                *err = "[LIMIT] Too many keywords";
            } else if (e) {
                return imap_cur_fail(c, "Invalid keyword");
            } else {
                *out |= MBOX_KW_BIT(idx);
            }
        }
        if (!imap_cur_accept(c, ' ')) break;
    }
    if (paren) return imap_cur_close(c);
    return true;
}

static void imap_cmd_append(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *name, *msg, *dt = NULL;
    size_t nl, ml, dl = 0;
    uint64_t flags = 0;
    const char *ferr = NULL;
    if (!imap_cur_astring(c, &name, &nl) || !imap_cur_sp(c)) {
        imap_args_end(s, c, tag);
        return;
    }
    struct mbox_folder *f = mbox_folder_find(s->user, name, nl);
    /* keywords are interned only into an existing folder; parse into a
     * scratch of it (a missing folder gets TRYCREATE below) */
    if (imap_cur_peek(c, '(')) {
        if (!f) {
            if (!imap_cur_skip_value(c)) { imap_args_end(s, c, tag); return; }
        } else if (!imap_parse_flags(c, f, &flags, true, &ferr)) {
            imap_args_end(s, c, tag);
            return;
        }
        if (!imap_cur_sp(c)) { imap_args_end(s, c, tag); return; }
    }
    if (imap_cur_peek(c, '"')) {
        if (!imap_cur_string(c, &dt, &dl) || !imap_cur_sp(c)) { imap_args_end(s, c, tag); return; }
    }
    if (!imap_cur_peek(c, '{')) {
        imap_cur_fail(c, "APPEND needs the message as a literal");
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_cur_string(c, &msg, &ml)) {
        imap_args_end(s, c, tag);
        return;
    }
    if (!imap_args_end(s, c, tag)) return;
    int64_t when_s = 0;
    sim_us when = s->now;
    if (dt) {
        if (!imap_parse_date_time(dt, dl, &when_s)) {
            imap_srv_tagged(s, tag, IMAP_BAD, "Invalid date-time");
            return;
        }
        when = (when_s - s->cfg.epoch_unix) * SIM_US_PER_S;
    }
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "[TRYCREATE] No such mailbox");
        return;
    }
    if (ferr) {
        imap_srv_tagged(s, tag, IMAP_NO, "%s", ferr);
        return;
    }
    enum mbox_err e = mbox_append(f, msg, ml, flags, when, NULL);
    if (e) imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else imap_srv_tagged(s, tag, IMAP_OK, "APPEND completed");
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
        imap_close_view(s);
        imap_enter_state(s, IMAP_S_AUTH);
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
    if (!imap_cur_atom(c, &sub, &sl) || !imap_cur_sp(c)) {
        imap_args_end(s, c, tag);
        return;
    }
#define IS(w) (sl == sizeof(w) - 1 && strncasecmp(sub, w, sl) == 0)
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
    } else {
        imap_srv_tagged(s, tag, IMAP_BAD, "Unknown UID command");
    }
#undef IS
}
