/* mbox.c -- the in-memory mailbox store (see mbox.h). */
#include "store/mbox.h"
#include "core/ascii.h"

#include <stdlib.h>
#include <string.h>

struct mbox_folder {
    char name[MBOX_NAME_MAX + 1];
    struct mbox_user *user;
    uint32_t uidvalidity;
    uint32_t uidnext;
    uint64_t changes;
    uint64_t id;
    bool ever_used; /* held a message once */
    struct mbox_msg *msgs;
    size_t n, cap;
    size_t unseen; /* messages without \\Seen, kept up to date */
    char kw[MBOX_KEYWORDS][MBOX_KEYWORD_MAX + 1];
    size_t nkw;
    const void *lock_owner;
};

struct mbox_user {
    char name[MBOX_USER_MAX + 1];
    struct mbox_store *store;
    struct mbox_folder **folders; /* sorted by name */
    size_t nf, capf;
    char **subs; /* sorted */
    size_t ns, caps;
};

struct mbox_store {
    struct mbox_user **users; /* sorted by name */
    size_t nu, capu;
    uint32_t next_uidvalidity;
    uint64_t next_id;
    mbox_hook_fn *hook;
    void *hook_ctx;
};

static const char *const mbox_err_text[MBOX_ERR_COUNT] = {
#define MBOX_ERR_TEXT(name, text) text,
    MBOX_ERRORS(MBOX_ERR_TEXT)
#undef MBOX_ERR_TEXT
};

static void mbox_notify(struct mbox_user *u, struct mbox_folder *f, enum mbox_change what);
static void mbox_folder_free(struct mbox_folder *f);
static struct mbox_folder *mbox_folder_make(struct mbox_user *u, const char *canon);
static size_t mbox_folder_pos(const struct mbox_user *u, const char *canon, bool *found);

const char *mbox_strerror(enum mbox_err e)
{
    if ((unsigned)e >= MBOX_ERR_COUNT) return "unknown error";
    return mbox_err_text[e];
}

struct mbox_store *mbox_store_new(uint32_t first_uidvalidity)
{
    struct mbox_store *st = ms_xcalloc(1, sizeof *st);
    st->next_uidvalidity = first_uidvalidity ? first_uidvalidity : 1;
    return st;
}

void mbox_store_free(struct mbox_store *st)
{
    if (!st) return;
    for (size_t i = 0; i < st->nu; i++) {
        struct mbox_user *u = st->users[i];
        for (size_t j = 0; j < u->nf; j++) mbox_folder_free(u->folders[j]);
        for (size_t j = 0; j < u->ns; j++) free(u->subs[j]);
        free(u->folders);
        free(u->subs);
        free(u);
    }
    free(st->users);
    free(st);
}

void mbox_store_set_hook(struct mbox_store *st, mbox_hook_fn *fn, void *ctx)
{
    st->hook = fn;
    st->hook_ctx = ctx;
}

static void mbox_notify(struct mbox_user *u, struct mbox_folder *f, enum mbox_change what)
{
    if (f) f->changes++;
    if (u->store->hook) u->store->hook(u->store->hook_ctx, u, f, what);
}

/* ---- users ---------------------------------------------------------------- */

struct mbox_user *mbox_user_get(struct mbox_store *st, const char *name, bool create)
{
    size_t len = strlen(name);
    if (len == 0 || len > MBOX_USER_MAX) return NULL;
    for (size_t i = 0; i < len; i++)
        if ((unsigned char)name[i] <= 0x20 || (unsigned char)name[i] >= 0x7f) return NULL;
    size_t lo = 0, hi = st->nu;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(st->users[mid]->name, name);
        if (c == 0) return st->users[mid];
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!create) return NULL;
    struct mbox_user *u = ms_xcalloc(1, sizeof *u);
    memcpy(u->name, name, len + 1);
    u->store = st;
    if (st->nu == st->capu) {
        st->capu = st->capu ? st->capu * 2 : 8;
        st->users = ms_xrealloc(st->users, st->capu * sizeof *st->users);
    }
    memmove(st->users + lo + 1, st->users + lo, (st->nu - lo) * sizeof *st->users);
    st->users[lo] = u;
    st->nu++;
    (void)mbox_folder_make(u, "INBOX");
    return u;
}

const char *mbox_user_name(const struct mbox_user *u)
{
    return u->name;
}
struct mbox_store *mbox_user_store(struct mbox_user *u)
{
    return u->store;
}

/* ---- names ---------------------------------------------------------------- */

/* Modified UTF-7 (RFC 3501 §5.1.3): "&" starts a base64 run ended by "-";
 * "&-" is a literal "&". We check the shape only. */
static bool mbox_mutf7_ok(const char *s, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '&') continue;
        size_t j = i + 1;
        while (j < len && s[j] != '-') {
            char c = s[j];
            bool b64 = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                       c == '+' || c == ',';
            if (!b64) return false;
            j++;
        }
        if (j == len) return false;
        i = j;
    }
    return true;
}

bool mbox_name_valid(const char *name, size_t len)
{
    if (len == 0 || len > MBOX_NAME_MAX) return false;
    size_t start = 0;
    for (size_t i = 0; i <= len; i++) {
        if (i < len) {
            unsigned char c = (unsigned char)name[i];
            if (c < 0x20 || c >= 0x7f || c == '*' || c == '%' || c == '"' || c == '\\')
                return false;
            if (c != MBOX_DELIM) continue;
        }
        size_t clen = i - start;
        /* Empty components ("/a", "a//b", "a/") and "." / ".." are refused so
         * that a name can never look like a path to any later layer (I11). */
        if (clen == 0) return false;
        if (clen == 1 && name[start] == '.') return false;
        if (clen == 2 && name[start] == '.' && name[start + 1] == '.') return false;
        start = i + 1;
    }
    return mbox_mutf7_ok(name, len);
}

bool mbox_name_canon(const char *name, size_t len, char *out)
{
    if (!mbox_name_valid(name, len)) return false;
    memcpy(out, name, len);
    out[len] = '\0';
    /* RFC 3501 §5.1: INBOX is case-insensitive (we apply it to the first
     * component so that "inbox/x" and "INBOX/x" are one name). */
    if (len >= 5 && (len == 5 || name[5] == MBOX_DELIM)) {
        static const char inbox[] = "INBOX";
        bool is = true;
        for (size_t i = 0; i < 5; i++) {
            char c = name[i];
            if (c >= 'a' && c <= 'z') c = (char)(c - 32);
            if (c != inbox[i]) is = false;
        }
        if (is) memcpy(out, inbox, 5);
    }
    return true;
}

/* ---- folders -------------------------------------------------------------- */

static size_t mbox_folder_pos(const struct mbox_user *u, const char *canon, bool *found)
{
    size_t lo = 0, hi = u->nf;
    *found = false;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(u->folders[mid]->name, canon);
        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static struct mbox_folder *mbox_folder_make(struct mbox_user *u, const char *canon)
{
    bool found;
    size_t pos = mbox_folder_pos(u, canon, &found);
    if (found) return u->folders[pos];
    struct mbox_folder *f = ms_xcalloc(1, sizeof *f);
    strcpy(f->name, canon);
    f->user = u;
    f->uidvalidity = u->store->next_uidvalidity++;
    if (u->store->next_uidvalidity == 0) u->store->next_uidvalidity = 1;
    f->uidnext = 1;
    f->id = ++u->store->next_id;
    if (u->nf == u->capf) {
        u->capf = u->capf ? u->capf * 2 : 8;
        u->folders = ms_xrealloc(u->folders, u->capf * sizeof *u->folders);
    }
    memmove(u->folders + pos + 1, u->folders + pos, (u->nf - pos) * sizeof *u->folders);
    u->folders[pos] = f;
    u->nf++;
    return f;
}

static void mbox_folder_free(struct mbox_folder *f)
{
    for (size_t i = 0; i < f->n; i++) free(f->msgs[i].raw);
    free(f->msgs);
    free(f);
}

enum mbox_err mbox_folder_create(struct mbox_user *u, const char *name, size_t len)
{
    /* RFC 3501 §6.3.3: a trailing delimiter only says the client intends to
     * create names under it. */
    if (len > 1 && name[len - 1] == MBOX_DELIM) len--;
    char canon[MBOX_NAME_MAX + 1];
    if (!mbox_name_canon(name, len, canon)) return MBOX_EBADNAME;
    bool found;
    (void)mbox_folder_pos(u, canon, &found);
    if (found) return MBOX_EEXIST;
    size_t need = 1;
    for (size_t i = 0; i < len; i++) need += canon[i] == MBOX_DELIM;
    if (u->nf + need > MBOX_FOLDERS_MAX) return MBOX_ETOOMANY;
    for (size_t i = 0; i <= len; i++) {
        if (i < len && canon[i] != MBOX_DELIM) continue;
        char part[MBOX_NAME_MAX + 1];
        memcpy(part, canon, i);
        part[i] = '\0';
        (void)mbox_folder_make(u, part);
    }
    mbox_notify(u, NULL, MBOX_CH_FOLDERS);
    return MBOX_OK;
}

bool mbox_folder_has_children(struct mbox_user *u, const struct mbox_folder *f)
{
    size_t nl = strlen(f->name);
    for (size_t i = 0; i < u->nf; i++) {
        const char *n = u->folders[i]->name;
        if (strncmp(n, f->name, nl) == 0 && n[nl] == MBOX_DELIM) return true;
    }
    return false;
}

enum mbox_err mbox_folder_delete(struct mbox_user *u, const char *name, size_t len)
{
    char canon[MBOX_NAME_MAX + 1];
    if (!mbox_name_canon(name, len, canon)) return MBOX_ENOENT;
    if (strcmp(canon, "INBOX") == 0) return MBOX_EINBOX;
    bool found;
    size_t pos = mbox_folder_pos(u, canon, &found);
    if (!found) return MBOX_ENOENT;
    if (mbox_folder_has_children(u, u->folders[pos])) return MBOX_ECHILD;
    mbox_folder_free(u->folders[pos]);
    memmove(u->folders + pos, u->folders + pos + 1, (u->nf - pos - 1) * sizeof *u->folders);
    u->nf--;
    mbox_notify(u, NULL, MBOX_CH_FOLDERS);
    return MBOX_OK;
}

/* out = a + b; the caller checked that it fits MBOX_NAME_MAX. */
static void mbox_join(char *out, const char *a, const char *b)
{
    size_t al = strlen(a), bl = strlen(b);
    memcpy(out, a, al);
    memcpy(out + al, b, bl + 1);
}

static int mbox_cmp_folder(const void *a, const void *b)
{
    const struct mbox_folder *const *x = a, *const *y = b;
    return strcmp((*x)->name, (*y)->name);
}

enum mbox_err mbox_folder_rename(struct mbox_user *u, const char *from, size_t flen, const char *to,
                                 size_t tlen)
{
    char cf[MBOX_NAME_MAX + 1], ct[MBOX_NAME_MAX + 1];
    if (!mbox_name_canon(from, flen, cf)) return MBOX_ENOENT;
    if (!mbox_name_canon(to, tlen, ct)) return MBOX_EBADNAME;
    bool found;
    size_t pos = mbox_folder_pos(u, cf, &found);
    if (!found) return MBOX_ENOENT;
    (void)mbox_folder_pos(u, ct, &found);
    if (found) return MBOX_EEXIST;
    size_t fl = strlen(cf), tl = strlen(ct);
    /* A name may not move below itself ("a" -> "a/b"). */
    if (tl > fl && strncmp(ct, cf, fl) == 0 && ct[fl] == MBOX_DELIM) return MBOX_EBADNAME;
    if (strcmp(cf, "INBOX") == 0) {
        /* RFC 3501 §6.3.5: renaming INBOX moves all its messages to the new
         * name and leaves INBOX empty; inferiors of INBOX stay. */
        enum mbox_err e = mbox_folder_create(u, ct, tl);
        if (e != MBOX_OK) return e;
        struct mbox_folder *src = mbox_folder_find(u, "INBOX", 5);
        struct mbox_folder *dst = mbox_folder_find(u, ct, tl);
        for (size_t i = 0; i < src->n; i++) {
            e = mbox_copy(src, i, dst, NULL);
            if (e != MBOX_OK) return e;
        }
        while (src->n) (void)mbox_expunge_at(src, src->n - 1);
        return MBOX_OK;
    }
    /* Check that every renamed name still fits before changing anything. */
    for (size_t i = 0; i < u->nf; i++) {
        const char *n = u->folders[i]->name;
        if (strncmp(n, cf, fl) == 0 && (n[fl] == '\0' || n[fl] == MBOX_DELIM)) {
            if (strlen(n) - fl + tl > MBOX_NAME_MAX) return MBOX_EBADNAME;
            char nn[MBOX_NAME_MAX + 1];
            mbox_join(nn, ct, n + fl);
            if (n[fl]) {
                (void)mbox_folder_pos(u, nn, &found);
                if (found) return MBOX_EEXIST;
            }
        }
    }
    /* Superiors of the new name are created (RFC 3501 §6.3.5). */
    size_t need = 0;
    for (size_t i = 0; i < tl; i++) {
        if (ct[i] != MBOX_DELIM) continue;
        char part[MBOX_NAME_MAX + 1];
        memcpy(part, ct, i);
        part[i] = '\0';
        (void)mbox_folder_pos(u, part, &found);
        need += !found;
    }
    if (u->nf + need > MBOX_FOLDERS_MAX) return MBOX_ETOOMANY;
    for (size_t i = 0; i < tl; i++) {
        if (ct[i] != MBOX_DELIM) continue;
        char part[MBOX_NAME_MAX + 1];
        memcpy(part, ct, i);
        part[i] = '\0';
        (void)mbox_folder_make(u, part);
    }
    for (size_t i = 0; i < u->nf; i++) {
        struct mbox_folder *f = u->folders[i];
        if (strncmp(f->name, cf, fl) == 0 && (f->name[fl] == '\0' || f->name[fl] == MBOX_DELIM)) {
            char nn[MBOX_NAME_MAX + 1];
            mbox_join(nn, ct, f->name + fl);
            strcpy(f->name, nn);
        }
    }
    (void)pos;
    qsort(u->folders, u->nf, sizeof *u->folders, mbox_cmp_folder);
    mbox_notify(u, NULL, MBOX_CH_FOLDERS);
    return MBOX_OK;
}

struct mbox_folder *mbox_folder_find(struct mbox_user *u, const char *name, size_t len)
{
    char canon[MBOX_NAME_MAX + 1];
    if (!mbox_name_canon(name, len, canon)) return NULL;
    bool found;
    size_t pos = mbox_folder_pos(u, canon, &found);
    return found ? u->folders[pos] : NULL;
}

size_t mbox_folder_count(const struct mbox_user *u)
{
    return u->nf;
}
struct mbox_folder *mbox_folder_at(struct mbox_user *u, size_t i)
{
    return i < u->nf ? u->folders[i] : NULL;
}
const char *mbox_folder_name(const struct mbox_folder *f)
{
    return f->name;
}
struct mbox_user *mbox_folder_user(struct mbox_folder *f)
{
    return f->user;
}
uint32_t mbox_folder_uidvalidity(const struct mbox_folder *f)
{
    return f->uidvalidity;
}
uint64_t mbox_folder_id(const struct mbox_folder *f)
{
    return f->id;
}

struct mbox_folder *mbox_folder_by_id(struct mbox_user *u, uint64_t id)
{
    for (size_t i = 0; i < u->nf; i++)
        if (u->folders[i]->id == id) return u->folders[i];
    return NULL;
}
uint32_t mbox_folder_uidnext(const struct mbox_folder *f)
{
    return f->uidnext;
}
uint64_t mbox_folder_changes(const struct mbox_folder *f)
{
    return f->changes;
}

bool mbox_folder_set_uidvalidity(struct mbox_folder *f, uint32_t v)
{
    if (f->ever_used || v == 0) return false;
    f->uidvalidity = v;
    return true;
}

/* ---- subscriptions -------------------------------------------------------- */

enum mbox_err mbox_subscribe(struct mbox_user *u, const char *name, size_t len, bool on)
{
    char canon[MBOX_NAME_MAX + 1];
    if (!mbox_name_canon(name, len, canon)) return MBOX_EBADNAME;
    size_t lo = 0, hi = u->ns;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(u->subs[mid], canon);
        if (c == 0) {
            if (!on) {
                free(u->subs[mid]);
                memmove(u->subs + mid, u->subs + mid + 1, (u->ns - mid - 1) * sizeof *u->subs);
                u->ns--;
            }
            return MBOX_OK;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (!on) return MBOX_OK;
    if (u->ns >= MBOX_FOLDERS_MAX) return MBOX_ETOOMANY;
    if (u->ns == u->caps) {
        u->caps = u->caps ? u->caps * 2 : 8;
        u->subs = ms_xrealloc(u->subs, u->caps * sizeof *u->subs);
    }
    memmove(u->subs + lo + 1, u->subs + lo, (u->ns - lo) * sizeof *u->subs);
    u->subs[lo] = ms_xstrdup(canon);
    u->ns++;
    return MBOX_OK;
}

size_t mbox_sub_count(const struct mbox_user *u)
{
    return u->ns;
}
const char *mbox_sub_at(const struct mbox_user *u, size_t i)
{
    return i < u->ns ? u->subs[i] : NULL;
}

/* ---- messages ------------------------------------------------------------- */

size_t mbox_count(const struct mbox_folder *f)
{
    return f->n;
}
const struct mbox_msg *mbox_msg_at(const struct mbox_folder *f, size_t i)
{
    return i < f->n ? &f->msgs[i] : NULL;
}

size_t mbox_unseen(const struct mbox_folder *f)
{
    return f->unseen;
}

size_t mbox_lower_bound(const struct mbox_folder *f, uint32_t uid)
{
    size_t lo = 0, hi = f->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (f->msgs[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t mbox_find_uid(const struct mbox_folder *f, uint32_t uid)
{
    size_t i = mbox_lower_bound(f, uid);
    return (i < f->n && f->msgs[i].uid == uid) ? i : SIZE_MAX;
}

size_t mbox_total_bytes(const struct mbox_folder *f)
{
    size_t t = 0;
    for (size_t i = 0; i < f->n; i++) t += f->msgs[i].len;
    return t;
}

static enum mbox_err mbox_add(struct mbox_folder *f, char *raw, size_t len, uint64_t flags,
                              sim_us date, uint32_t *uid_out)
{
    if (f->uidnext == UINT32_MAX) {
        free(raw);
        return MBOX_EUIDS;
    }
    if (f->n == f->cap) {
        f->cap = f->cap ? f->cap * 2 : 16;
        f->msgs = ms_xrealloc(f->msgs, f->cap * sizeof *f->msgs);
    }
    struct mbox_msg *m = &f->msgs[f->n++];
    m->uid = f->uidnext++;
    m->flags = flags | MBOX_F_RECENT;
    if (!(m->flags & MBOX_F_SEEN)) f->unseen++;
    m->internal_date = date;
    m->raw = raw;
    m->len = len;
    f->ever_used = true;
    if (uid_out) *uid_out = m->uid;
    mbox_notify(f->user, f, MBOX_CH_APPEND);
    return MBOX_OK;
}

enum mbox_err mbox_append(struct mbox_folder *f, const char *raw, size_t len, uint64_t flags,
                          sim_us internal_date, uint32_t *uid_out)
{
    uint64_t keep = flags & MBOX_F_SYSTEM;
    for (size_t i = 0; i < f->nkw; i++) keep |= flags & MBOX_KW_BIT(i);
    return mbox_add(f, ms_xmemdup(raw, len), len, keep, internal_date, uid_out);
}

enum mbox_err mbox_copy(struct mbox_folder *src, size_t i, struct mbox_folder *dst,
                        uint32_t *uid_out)
{
    if (i >= src->n) return MBOX_ENOMSG;
    const struct mbox_msg *m = &src->msgs[i];
    uint64_t flags = m->flags & MBOX_F_SYSTEM;
    for (size_t k = 0; k < src->nkw; k++) {
        if (!(m->flags & MBOX_KW_BIT(k))) continue;
        int idx;
        enum mbox_err e = mbox_keyword_intern(dst, src->kw[k], strlen(src->kw[k]), &idx);
        if (e != MBOX_OK) return e;
        flags |= MBOX_KW_BIT(idx);
    }
    /* m may move when src == dst grows: copy what we need first. */
    char *raw = ms_xmemdup(m->raw, m->len);
    size_t len = m->len;
    sim_us date = m->internal_date;
    return mbox_add(dst, raw, len, flags, date, uid_out);
}

bool mbox_expunge_at(struct mbox_folder *f, size_t i)
{
    if (i >= f->n) return false;
    if (!(f->msgs[i].flags & MBOX_F_SEEN)) f->unseen--;
    free(f->msgs[i].raw);
    memmove(f->msgs + i, f->msgs + i + 1, (f->n - i - 1) * sizeof *f->msgs);
    f->n--;
    mbox_notify(f->user, f, MBOX_CH_EXPUNGE);
    return true;
}

bool mbox_flags_set(struct mbox_folder *f, size_t i, uint64_t flags)
{
    if (i >= f->n) return false;
    uint64_t keep = flags & MBOX_F_SYSTEM;
    for (size_t k = 0; k < f->nkw; k++) keep |= flags & MBOX_KW_BIT(k);
    if (f->msgs[i].flags == keep) return true;
    if ((f->msgs[i].flags ^ keep) & MBOX_F_SEEN) {
        if (keep & MBOX_F_SEEN)
            f->unseen--;
        else
            f->unseen++;
    }
    f->msgs[i].flags = keep;
    mbox_notify(f->user, f, MBOX_CH_FLAGS);
    return true;
}

/* ---- keywords ------------------------------------------------------------- */

static bool mbox_kw_eq(const char *a, const char *b, size_t len)
{
    return strlen(a) == len && ascii_memcasecmp(a, b, len) == 0;
}

int mbox_keyword_find(const struct mbox_folder *f, const char *kw, size_t len)
{
    for (size_t i = 0; i < f->nkw; i++)
        if (mbox_kw_eq(f->kw[i], kw, len)) return (int)i;
    return -1;
}

enum mbox_err mbox_keyword_intern(struct mbox_folder *f, const char *kw, size_t len, int *idx)
{
    if (len == 0 || len > MBOX_KEYWORD_MAX || kw[0] == '\\') return MBOX_EBADKEYWORD;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)kw[i];
        /* atom-specials (RFC 3501 §9) are refused */
        if (c <= 0x20 || c >= 0x7f || strchr("(){%*\"\\]", c)) return MBOX_EBADKEYWORD;
    }
    int found = mbox_keyword_find(f, kw, len);
    if (found >= 0) {
        *idx = found;
        return MBOX_OK;
    }
    if (f->nkw == MBOX_KEYWORDS) return MBOX_EKEYWORDS;
    memcpy(f->kw[f->nkw], kw, len);
    f->kw[f->nkw][len] = '\0';
    *idx = (int)f->nkw++;
    return MBOX_OK;
}

size_t mbox_keyword_count(const struct mbox_folder *f)
{
    return f->nkw;
}
const char *mbox_keyword_at(const struct mbox_folder *f, size_t i)
{
    return i < f->nkw ? f->kw[i] : NULL;
}

/* ---- lock ----------------------------------------------------------------- */

bool mbox_lock(struct mbox_folder *f, const void *owner)
{
    if (f->lock_owner && f->lock_owner != owner) return false;
    f->lock_owner = owner;
    return true;
}

void mbox_unlock(struct mbox_folder *f, const void *owner)
{
    if (f->lock_owner == owner) f->lock_owner = NULL;
}

const void *mbox_lock_owner(const struct mbox_folder *f)
{
    return f->lock_owner;
}
