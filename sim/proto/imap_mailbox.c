/* imap_mailbox.c -- IMAP server: commands on mailboxes (RFC 3501 §6.3):
 * SELECT, EXAMINE, CREATE, DELETE, RENAME, SUBSCRIBE, UNSUBSCRIBE, LIST,
 * LSUB, STATUS, APPEND; and the date syntax of §9. Part of the engine in
 * imap_server.c (see imap_srv.h). */
#include "proto/imap_srv.h"
#include "core/ascii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    if (!imap_parse_uint(b + 1, n - (size_t)(b + 1 - s), &y) || n - (size_t)(b + 1 - s) != 4)
        return false;
    for (unsigned i = 0; i < 12; i++)
        if (ascii_ncasecmp(a + 1, imap_months[i], 3) == 0) m = i + 1;
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


/* ---- commands: authenticated ------------------------------------------------------------ */

static const char *imap_mbox_err(enum mbox_err e)
{
    switch (e) {
    case MBOX_ENOENT:
        return "[NONEXISTENT] No such mailbox";
    case MBOX_EEXIST:
        return "[ALREADYEXISTS] Mailbox already exists";
    case MBOX_EBADNAME:
        return "[CANNOT] Invalid mailbox name";
    case MBOX_EINBOX:
        return "[CANNOT] INBOX cannot be deleted";
    case MBOX_ECHILD:
        return "[CANNOT] Mailbox has inferior hierarchical names";
    case MBOX_ETOOMANY:
        return "[LIMIT] Too many mailboxes";
    default:
        return mbox_strerror(e);
    }
}

static void imap_select(struct imap_server *s, struct imap_cur *c, const char *tag, bool ro)
{
    const char *name;
    size_t nl;
    if (!imap_cur_astring(c, &name, &nl)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_srv_args_end(s, c, tag)) return;
    if (s->state == IMAP_S_SELECTED) { /* RFC 3501 §6.3.1: the old one is closed first */
        imap_srv_close_view(s);
        imap_srv_enter_state(s, IMAP_S_AUTH);
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
    imap_srv_view_grow(s, f);
    s->sel_changes = mbox_folder_changes(f);
    s->sel_nkw = mbox_keyword_count(f);
    s->recent_sent = imap_srv_recent_count(s);
    struct imap_buf b = {0};
    imap_srv_flags(&b, f, ~(uint64_t)MBOX_F_RECENT, false);
    imap_buf_add(&b, "", 1);
    imap_srv_untagged(s, "%zu EXISTS", s->vn);
    imap_srv_untagged(s, "FLAGS %s", b.p);
    imap_srv_untagged(s, "%zu RECENT", s->recent_sent);
    for (size_t i = 0; i < s->vn; i++) {
        if (!(s->view[i].flags & MBOX_F_SEEN)) {
            imap_srv_untagged(s, "OK [UNSEEN %zu] Message %zu is the first unseen message", i + 1,
                              i + 1);
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
    imap_srv_enter_state(s, IMAP_S_SELECTED);
    imap_srv_tagged(s, tag, IMAP_OK, "[%s] %s completed", ro ? "READ-ONLY" : "READ-WRITE",
                    ro ? "EXAMINE" : "SELECT");
}

void imap_cmd_select(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_select(s, c, tag, false);
}

void imap_cmd_examine(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_select(s, c, tag, true);
}

static bool imap_one_name(struct imap_server *s, struct imap_cur *c, const char *tag,
                          const char **n, size_t *l)
{
    if (!imap_cur_astring(c, n, l)) {
        imap_srv_args_end(s, c, tag);
        return false;
    }
    return imap_srv_args_end(s, c, tag);
}

void imap_cmd_create(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *n;
    size_t l;
    if (!imap_one_name(s, c, tag, &n, &l)) return;
    enum mbox_err e = mbox_folder_create(s->user, n, l);
    if (e)
        imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else
        imap_srv_tagged(s, tag, IMAP_OK, "CREATE completed");
}

void imap_cmd_delete(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *n;
    size_t l;
    if (!imap_one_name(s, c, tag, &n, &l)) return;
    enum mbox_err e = mbox_folder_delete(s->user, n, l);
    if (e)
        imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else
        imap_srv_tagged(s, tag, IMAP_OK, "DELETE completed");
}

void imap_cmd_rename(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *a, *b;
    size_t al, bl;
    if (!imap_cur_astring(c, &a, &al) || !imap_cur_sp(c) || !imap_cur_astring(c, &b, &bl)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_srv_args_end(s, c, tag)) return;
    enum mbox_err e = mbox_folder_rename(s->user, a, al, b, bl);
    if (e)
        imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else
        imap_srv_tagged(s, tag, IMAP_OK, "RENAME completed");
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
    if (e)
        imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else
        imap_srv_tagged(s, tag, IMAP_OK, "%s completed", on ? "SUBSCRIBE" : "UNSUBSCRIBE");
}

void imap_cmd_subscribe(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_sub(s, c, tag, true);
}
void imap_cmd_unsubscribe(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_sub(s, c, tag, false);
}

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
            if (w == '*' || (w == '%' && *p != MBOX_DELIM))
                nxt[i] = true;
            else if (w == *p)
                nxt[i + 1] = true;
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
    if (!imap_cur_astring(c, &ref, &rl) || !imap_cur_sp(c) ||
        !imap_cur_list_mailbox(c, &pat, &pl)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_srv_args_end(s, c, tag)) return;
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
    if (fl >= 5 && ascii_ncasecmp(full, "INBOX", 5) == 0 &&
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
        if (!f)
            imap_buf_adds(&b, "\\Noselect");
        else
            imap_buf_adds(&b, mbox_folder_has_children(s->user, f) ? "\\HasChildren"
                                                                   : "\\HasNoChildren");
        imap_buf_adds(&b, ") \"/\" ");
        imap_buf_astring(&b, name, strlen(name), false);
        imap_buf_add(&b, "", 1);
        imap_srv_untagged(s, "%s", b.p);
        imap_buf_free(&b);
    }
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", verb);
}

void imap_cmd_list(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_list(s, c, tag, false);
}
void imap_cmd_lsub(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    imap_list(s, c, tag, true);
}

void imap_cmd_status(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    static const char *const items[] = {"MESSAGES", "RECENT", "UIDNEXT", "UIDVALIDITY", "UNSEEN"};
    const char *name;
    size_t nl;
    unsigned want[8];
    size_t nw = 0;
    if (!imap_cur_astring(c, &name, &nl) || !imap_cur_sp(c) || !imap_cur_open(c)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    for (;;) {
        const char *a;
        size_t al;
        if (!imap_cur_atom(c, &a, &al)) break;
        size_t k = MS_ARRAY_LEN(items);
        for (size_t i = 0; i < MS_ARRAY_LEN(items); i++)
            if (strlen(items[i]) == al && ascii_ncasecmp(items[i], a, al) == 0) k = i;
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
    if (!imap_srv_args_end(s, c, tag)) return;
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
        uint64_t v = want[i] == 0   ? n
                     : want[i] == 1 ? recent
                     : want[i] == 2 ? mbox_folder_uidnext(f)
                     : want[i] == 3 ? mbox_folder_uidvalidity(f)
                                    : unseen;
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
    static const struct {
        const char *name;
        uint64_t bit;
    } sys[] = {
        {"\\Seen", MBOX_F_SEEN},       {"\\Answered", MBOX_F_ANSWERED},
        {"\\Flagged", MBOX_F_FLAGGED}, {"\\Deleted", MBOX_F_DELETED},
        {"\\Draft", MBOX_F_DRAFT},
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
                if (strlen(sys[i].name) == al + 1 && ascii_ncasecmp(sys[i].name + 1, a, al) == 0)
                    bit = sys[i].bit;
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

void imap_cmd_append(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    const char *name, *msg, *dt = NULL;
    size_t nl, ml, dl = 0;
    uint64_t flags = 0;
    const char *ferr = NULL;
    if (!imap_cur_astring(c, &name, &nl) || !imap_cur_sp(c)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    struct mbox_folder *f = mbox_folder_find(s->user, name, nl);
    /* keywords are interned only into an existing folder; parse into a
     * scratch of it (a missing folder gets TRYCREATE below) */
    if (imap_cur_peek(c, '(')) {
        if (!f) {
            if (!imap_cur_skip_value(c)) {
                imap_srv_args_end(s, c, tag);
                return;
            }
        } else if (!imap_parse_flags(c, f, &flags, true, &ferr)) {
            imap_srv_args_end(s, c, tag);
            return;
        }
        if (!imap_cur_sp(c)) {
            imap_srv_args_end(s, c, tag);
            return;
        }
    }
    if (imap_cur_peek(c, '"')) {
        if (!imap_cur_string(c, &dt, &dl) || !imap_cur_sp(c)) {
            imap_srv_args_end(s, c, tag);
            return;
        }
    }
    if (!imap_cur_peek(c, '{')) {
        imap_cur_fail(c, "APPEND needs the message as a literal");
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_cur_string(c, &msg, &ml)) {
        imap_srv_args_end(s, c, tag);
        return;
    }
    if (!imap_srv_args_end(s, c, tag)) return;
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
    uint32_t uid;
    enum mbox_err e = mbox_append(f, msg, ml, flags, when, &uid);
    if (e)
        imap_srv_tagged(s, tag, IMAP_NO, "%s", imap_mbox_err(e));
    else /* RFC 4315 §3 */
        imap_srv_tagged(s, tag, IMAP_OK, "[APPENDUID %u %u] APPEND completed",
                        (unsigned)mbox_folder_uidvalidity(f), (unsigned)uid);
}
