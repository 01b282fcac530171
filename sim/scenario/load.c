/* load.c -- scenario JSON -> validated model (docs/scenario-format.md).
 *
 * Order of work: size cap, strict scan (json_scan.c: syntax, UTF-8,
 * \u0000, nesting), cJSON parse, then a walk that checks every key, type,
 * range and reference and builds the model. Any error frees the model under
 * construction: loading is atomic (bad-inputs J10). This file reads the
 * hosts, links and top level; load_timeline.c reads actions, questions and
 * variants. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ascii.h"
#include "core/buf.h"
#include "core/dur.h"
#include "scenario/ld.h"
#include "scenario/load.h"
#include "scenario/scenario.h"

/* ------------------------------------------------------------ key tables */

enum {
    TK_TITLE,
    TK_DESC,
    TK_SEED,
    TK_EPOCH,
    TK_QUIZ,
    TK_HOSTS,
    TK_LINKS,
    TK_TIMELINE,
    TK_QUESTIONS,
    TK_VARIANTS,
    TK_VARIANT,
    TK_N
};
static const char *const top_keys[TK_N] = {"title",     "description", "seed",   "epoch",
                                           "quiz",      "hosts",       "links",  "timeline",
                                           "questions", "variants",    "variant"};

enum {
    HK_NAME,
    HK_KIND,
    HK_IP,
    HK_POS,
    HK_UP,
    HK_OWNER,
    HK_DOMAIN,
    HK_USERS,
    HK_SMTP,
    HK_RETRY,
    HK_LENIENT,
    HK_WEBMAIL,
    HK_CHAOS,
    HK_MX,
    HK_PAGES,
    HK_BARELF,
    HK_N
};
static const char *const host_keys[HK_N] = {"name",  "kind",  "ip",           "pos",
                                            "up",    "owner", "domain",       "users",
                                            "smtp",  "retry", "lenient_data", "webmail",
                                            "chaos", "mx",    "pages",        "accept_bare_lf"};
#define HM(k) (UINT64_C(1) << (k))
#define HM_COMMON (HM(HK_NAME) | HM(HK_KIND) | HM(HK_IP) | HM(HK_POS) | HM(HK_UP))
#define HM_MAIL                                                                                    \
    (HM(HK_DOMAIN) | HM(HK_USERS) | HM(HK_SMTP) | HM(HK_RETRY) | HM(HK_LENIENT) | HM(HK_WEBMAIL) | \
     HM(HK_CHAOS) | HM(HK_BARELF))

enum { UK_NAME, UK_PASSWORD, UK_DISPLAY, UK_N };
static const char *const user_keys[UK_N] = {"name", "password", "display_name"};
enum {
    SK_SUBMISSION,
    SK_AUTH,
    SK_8BIT,
    SK_PIPE,
    SK_SIZE,
    SK_MAXRCPT,
    SK_HELO,
    SK_REPLIES,
    SK_STARTTLS,
    SK_AUTH_TLS,
    SK_RELAY_TLS,
    SK_N
};
static const char *const smtp_keys[SK_N] = {"submission",    "auth_required",
                                            "8bitmime",      "pipelining",
                                            "size_limit",    "max_recipients",
                                            "helo",          "replies",
                                            "starttls",      "auth_needs_starttls",
                                            "relay_starttls"};
enum { RT_GREETING, RT_HELO, RT_MAIL, RT_RCPT, RT_DATA, RT_QUEUED, RT_QUIT, RT_N };
static const char *const reply_keys[RT_N] = {"greeting", "helo",   "mail", "rcpt",
                                             "data",     "queued", "quit"};
enum { RK_INTERVAL, RK_GIVEUP, RK_N };
static const char *const retry_keys[RK_N] = {"interval", "give_up"};
enum { CK_CONNECT, CK_GREETING, CK_RCPT, CK_DATA, CK_AFTERDOT, CK_REFUSE, CK_N };
static const char *const chaos_keys[CK_N] = {"connect", "greeting",  "rcpt",
                                             "data",    "after_dot", "refuse"};
enum { PK_X, PK_Y, PK_N };
static const char *const pos_keys[PK_N] = {"x", "y"};
enum { MK_DOMAIN, MK_HOST, MK_PREF, MK_N };
static const char *const mx_keys[MK_N] = {"domain", "host", "preference"};
enum { GK_PATH, GK_TITLE, GK_SIZE, GK_OBJECTS, GK_N };
static const char *const page_keys[GK_N] = {"path", "title", "size", "objects"};
enum { OK_NAME, OK_TYPE, OK_SIZE, OK_N };
static const char *const obj_keys[OK_N] = {"name", "type", "size"};
enum { LK_A, LK_B, LK_LATENCY, LK_BW, LK_LOSS, LK_MTU, LK_UP, LK_N };
static const char *const link_keys[LK_N] = {"a", "b", "latency", "bandwidth", "loss", "mtu", "up"};


/* ------------------------------------------------------------ the context */


static int scn_pair_cmp(const void *a, const void *b)
{
    const struct scn_pair *x = a, *y = b;
    if (x->lo != y->lo) return x->lo < y->lo ? -1 : 1;
    if (x->hi != y->hi) return x->hi < y->hi ? -1 : 1;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The link joining a and b, or SCN_NONE (binary search). */
size_t scn_ctx_link(const struct scn_ctx *C, size_t a, size_t b)
{
    size_t lo = a < b ? a : b, hi = a < b ? b : a, l = 0, r = C->n_pairs;
    while (l < r) {
        size_t m = l + (r - l) / 2;
        const struct scn_pair *p = &C->pairs[m];
        if (p->lo < lo || (p->lo == lo && p->hi < hi)) {
            l = m + 1;
        } else {
            r = m;
        }
    }
    if (l < C->n_pairs && C->pairs[l].lo == lo && C->pairs[l].hi == hi) return C->pairs[l].idx;
    return SCN_NONE;
}

static int scn_idx_cmp(const void *a, const void *b)
{
    const struct scn_idx *x = a, *y = b;
    int c = ascii_casecmp(x->key, y->key);
    if (c) return c;
    return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int scn_idx_key_cmp(const void *k, const void *e)
{
    return ascii_casecmp(k, ((const struct scn_idx *)e)->key);
}

/* First entry with key, or SCN_NONE. */
static size_t scn_idx_find(const struct scn_idx *v, size_t n, const char *key)
{
    const struct scn_idx *hit = bsearch(key, v, n, sizeof *v, scn_idx_key_cmp);
    if (!hit) return SCN_NONE;
    while (hit > v && ascii_casecmp(hit[-1].key, key) == 0) hit--;
    return hit->idx;
}

/* Sort v and find a duplicate key: returns the later index of the pair
 * whose later member comes first in the file, or SCN_NONE; *first gets the
 * earlier one. */
static size_t scn_idx_sort_dups(struct scn_idx *v, size_t n, size_t *first)
{
    qsort(v, n, sizeof *v, scn_idx_cmp);
    size_t best = SCN_NONE;
    for (size_t i = 1; i < n; i++) {
        if (ascii_casecmp(v[i - 1].key, v[i].key) == 0 && (best == SCN_NONE || v[i].idx < best)) {
            /* v[i-1] is the earliest of its run only at the run's start;
             * the run is sorted by idx, so pair with the run's first. */
            size_t j = i - 1;
            while (j > 0 && ascii_casecmp(v[j - 1].key, v[i].key) == 0) j--;
            best = v[i].idx;
            *first = v[j].idx;
        }
    }
    return best;
}

static void scn_name_suggest_hosts(struct scn_ctx *C, const char *name, char *buf, size_t n)
{
    const struct scn_scenario *s = C->s;
    const char **names = ms_xcalloc(s->n_hosts ? s->n_hosts : 1, sizeof *names);
    for (size_t i = 0; i < s->n_hosts; i++) names[i] = s->hosts[i].name;
    const char *sug = scn_ld_suggest(name, names, s->n_hosts, UINT64_MAX);
    if (sug) {
        snprintf(buf, n, " (did you mean \"%s\"?)", sug);
    } else {
        /* No near spelling: list the hosts there are (the first ones). */
        size_t o = (size_t)snprintf(buf, n, " (the hosts are ");
        for (size_t i = 0; i < s->n_hosts && o < n; i++) {
            if (i == 8) {
                o += (size_t)snprintf(buf + o, n - o, ", and %zu more", s->n_hosts - i);
                break;
            }
            o += (size_t)snprintf(buf + o, n - o, "%s%s", i ? ", " : "", names[i]);
        }
        if (o < n) snprintf(buf + o, n - o, ")");
        if (s->n_hosts == 0) buf[0] = '\0';
    }
    free(names);
}

/* Resolve a host-name member; kinds is a bitmask of accepted kinds (0: any). */
bool scn_ref_host(struct scn_ctx *C, const cJSON *item, unsigned kinds, const char *kinds_text,
                  size_t *out)
{
    struct scn_ld *L = C->L;
    char *name = NULL;
    if (!scn_ld_str(L, item, SCN_SC_HOSTNAME, &name)) return false;
    size_t mark = scn_ld_push_key(L, item->string ? item->string : "");
    size_t h = scn_idx_find(C->hosts_by_name, C->s->n_hosts, name);
    char q[96];
    scn_ld_quote(name, q, sizeof q);
    if (h == SCN_NONE) {
        char sug[512];
        scn_name_suggest_hosts(C, name, sug, sizeof sug);
        free(name);
        return scn_ld_err(L, item, false, "no host is called \"%s\"%s", q, sug);
    }
    free(name);
    const struct scn_host *hp = &C->s->hosts[h];
    if (kinds && !(kinds >> hp->kind & 1)) {
        return scn_ld_err(L, item, false, "\"%s\" is a %s, not %s", q,
                          scn_host_kind_names[hp->kind], kinds_text);
    }
    *out = h;
    scn_ld_pop(L, mark);
    return true;
}


/* Resolve "user@domain" into (server host, user index). */
bool scn_ref_user(struct scn_ctx *C, const cJSON *item, char **text, size_t *server, size_t *user)
{
    struct scn_ld *L = C->L;
    if (!scn_ld_str(L, item, SCN_SC_ADDRESS, text)) return false;
    size_t mark = scn_ld_push_key(L, item->string ? item->string : "");
    const char *at = strrchr(*text, '@');
    char q[96];
    scn_ld_quote(*text, q, sizeof q);
    size_t h = scn_idx_find(C->servers_by_domain, C->n_servers, at + 1);
    if (h == SCN_NONE) {
        const char **names = ms_xcalloc(C->n_servers ? C->n_servers : 1, sizeof *names);
        for (size_t i = 0; i < C->n_servers; i++) names[i] = C->servers_by_domain[i].key;
        const char *sug = scn_ld_suggest(at + 1, names, C->n_servers, UINT64_MAX);
        char hint[128] = "";
        if (sug) snprintf(hint, sizeof hint, " (did you mean \"%s\"?)", sug);
        free(names);
        return scn_ld_err(L, item, false, "\"%s\": no mail server serves the domain \"%s\"%s", q,
                          at + 1, hint);
    }
    const struct scn_mail_server *ms = &C->s->hosts[h].mail;
    char local[80];
    size_t ll = (size_t)(at - *text);
    memcpy(local, *text, ll);
    local[ll] = '\0';
    size_t u = scn_idx_find(C->users_by_name[h], ms->n_users, local);
    if (u == SCN_NONE) {
        const char **names = ms_xcalloc(ms->n_users ? ms->n_users : 1, sizeof *names);
        for (size_t i = 0; i < ms->n_users; i++) names[i] = ms->users[i].name;
        const char *sug = scn_ld_suggest(local, names, ms->n_users, UINT64_MAX);
        char hint[128] = "";
        if (sug) snprintf(hint, sizeof hint, " (did you mean \"%s\"?)", sug);
        free(names);
        return scn_ld_err(L, item, false, "\"%s\": %s has no user \"%s\"%s", q, ms->domain, local,
                          hint);
    }
    *server = h;
    *user = u;
    scn_ld_pop(L, mark);
    return true;
}

/* Members that are present but not allowed for this kind, in file order. */
bool scn_check_allowed(struct scn_ld *L, const cJSON *obj, const char *const *keys, size_t n,
                       uint64_t allowed, const char *what)
{
    for (const cJSON *m = obj->child; m; m = m->next) {
        for (size_t i = 0; i < n && i < 64; i++) {
            if (strcmp(m->string, keys[i]) == 0 && !(allowed >> i & 1)) {
                size_t mark = scn_ld_push_key(L, m->string);
                scn_ld_err(L, m, true, "key \"%s\" does not apply to %s", keys[i], what);
                scn_ld_pop(L, mark);
                return false;
            }
        }
    }
    return true;
}

/* ----------------------------------------------------------------- hosts */

bool scn_read_chaos(struct scn_ld *L, const cJSON *item, struct scn_chaos *c)
{
    if (!item) return true;
    const cJSON *f[CK_N];
    size_t mark = scn_ld_push_key(L, item->string);
    if (!scn_ld_object(L, item, chaos_keys, CK_N, ALL_KEYS, "chaos", f)) return false;
    bool ok = scn_ld_double(L, f[CK_CONNECT], 0, 1, false, &c->connect) &&
              scn_ld_double(L, f[CK_GREETING], 0, 1, false, &c->greeting) &&
              scn_ld_double(L, f[CK_RCPT], 0, 1, false, &c->rcpt) &&
              scn_ld_double(L, f[CK_DATA], 0, 1, false, &c->data) &&
              scn_ld_double(L, f[CK_AFTERDOT], 0, 1, false, &c->after_dot) &&
              scn_ld_double(L, f[CK_REFUSE], 0, 1, false, &c->refuse);
    scn_ld_pop(L, mark);
    return ok;
}

/* retry {interval, give_up}: give_up >= interval checked by the caller. */
bool scn_read_retry(struct scn_ld *L, const cJSON *item, sim_us *interval, sim_us *give_up,
                    bool *has_i, bool *has_g)
{
    if (!item) return true;
    const cJSON *f[RK_N];
    size_t mark = scn_ld_push_key(L, item->string);
    if (!scn_ld_object(L, item, retry_keys, RK_N, ALL_KEYS, "retry", f)) return false;
    if (!scn_ld_dur(L, f[RK_INTERVAL], 1, SCN_MAX_TIME, interval)) return false;
    if (!scn_ld_dur(L, f[RK_GIVEUP], 1, SCN_MAX_TIME, give_up)) return false;
    if (has_i) *has_i = f[RK_INTERVAL] != NULL;
    if (has_g) *has_g = f[RK_GIVEUP] != NULL;
    scn_ld_pop(L, mark);
    return true;
}

bool scn_check_giveup(struct scn_ld *L, const cJSON *at, sim_us interval, sim_us give_up)
{
    if (give_up >= interval) return true;
    char a[32], b[32];
    dur_format(give_up, a, sizeof a);
    dur_format(interval, b, sizeof b);
    return scn_ld_err(L, at, false, "give-up time %s is shorter than the retry interval %s", a, b);
}

void scn_smtp_opts_default(struct scn_smtp_opts *o)
{
    memset(o, 0, sizeof *o);
    o->submission = true;
    o->eightbitmime = true;
    o->pipelining = true;
    o->size_limit = 10u * 1024u * 1024u;
    o->max_recipients = 100;
}

void scn_smtp_texts_free(struct scn_smtp_texts *t)
{
    free(t->greeting);
    free(t->helo);
    free(t->mail);
    free(t->rcpt);
    free(t->data);
    free(t->queued);
    free(t->quit);
    memset(t, 0, sizeof *t);
}

static char *scn_dup_or_null(const char *s)
{
    return s ? ms_xstrdup(s) : NULL;
}

void scn_smtp_opts_apply(struct scn_mail_server *m, const struct scn_smtp_opts *o)
{
    m->submission = o->submission;
    m->auth_required = o->auth_required;
    m->eightbitmime = o->eightbitmime;
    m->pipelining = o->pipelining;
    m->size_limit = o->size_limit;
    m->max_recipients = o->max_recipients;
    m->helo_client = o->helo_client;
    m->tls = o->tls;
    scn_smtp_texts_free(&m->texts);
    m->texts.greeting = scn_dup_or_null(o->texts.greeting);
    m->texts.helo = scn_dup_or_null(o->texts.helo);
    m->texts.mail = scn_dup_or_null(o->texts.mail);
    m->texts.rcpt = scn_dup_or_null(o->texts.rcpt);
    m->texts.data = scn_dup_or_null(o->texts.data);
    m->texts.queued = scn_dup_or_null(o->texts.queued);
    m->texts.quit = scn_dup_or_null(o->texts.quit);
}

bool scn_read_smtp(struct scn_ld *L, const cJSON *item, struct scn_smtp_opts *o)
{
    if (!item) return true;
    const cJSON *g[SK_N];
    size_t mark = scn_ld_push_key(L, "smtp");
    uint64_t size = o->size_limit, maxr = o->max_recipients;
    if (!scn_ld_object(L, item, smtp_keys, SK_N, ALL_KEYS, "smtp", g) ||
        !scn_ld_bool(L, g[SK_SUBMISSION], &o->submission) ||
        !scn_ld_bool(L, g[SK_AUTH], &o->auth_required) ||
        !scn_ld_bool(L, g[SK_8BIT], &o->eightbitmime) ||
        !scn_ld_bool(L, g[SK_PIPE], &o->pipelining) ||
        !scn_ld_size(L, g[SK_SIZE], 0, UINT64_C(1) << 32, &size) ||
        !scn_ld_uint(L, g[SK_MAXRCPT], 1, 100000, &maxr) ||
        !scn_ld_bool(L, g[SK_HELO], &o->helo_client) ||
        !scn_ld_bool(L, g[SK_STARTTLS], &o->tls.offer) ||
        !scn_ld_bool(L, g[SK_AUTH_TLS], &o->tls.auth_needs)) {
        return false;
    }
    unsigned relay = o->tls.relay;
    if (!scn_ld_enum(L, g[SK_RELAY_TLS], scn_tls_use_names, SCN_TLS_USE_COUNT, "a STARTTLS use",
                     &relay))
        return false;
    o->tls.relay = (enum scn_tls_use)relay;
    if (o->tls.auth_needs && !o->tls.offer) {
        scn_ld_push_key(L, "auth_needs_starttls");
        return scn_ld_err(L, g[SK_AUTH_TLS], true,
                          "\"auth_needs_starttls\" needs \"starttls\": true (a server that "
                          "never offers STARTTLS could never take AUTH)");
    }
    o->size_limit = size;
    o->max_recipients = (uint32_t)maxr;
    if (g[SK_REPLIES]) {
        const cJSON *r[RT_N];
        size_t m2 = scn_ld_push_key(L, "replies");
        char **dst[RT_N] = {&o->texts.greeting, &o->texts.helo,   &o->texts.mail, &o->texts.rcpt,
                            &o->texts.data,     &o->texts.queued, &o->texts.quit};
        if (!scn_ld_object(L, g[SK_REPLIES], reply_keys, RT_N, ALL_KEYS, "replies", r))
            return false;
        for (int k = 0; k < RT_N; k++)
            if (!scn_ld_str(L, r[k], SCN_SC_REPLY, dst[k])) return false;
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

static bool scn_read_mail(struct scn_ctx *C, const cJSON *const *f, struct scn_host *h)
{
    struct scn_ld *L = C->L;
    struct scn_mail_server *m = &h->mail;
    m->submission = true;
    m->eightbitmime = true;
    m->pipelining = true;
    m->size_limit = 10u * 1024u * 1024u;
    m->max_recipients = 100;
    m->retry_interval = 30 * SIM_US_PER_MIN;
    m->give_up = 5 * SIM_US_PER_DAY;
    if (!scn_ld_str(L, f[HK_DOMAIN], SCN_SC_DOMAIN, &m->domain)) return false;
    if (f[HK_USERS]) {
        size_t n;
        if (!scn_ld_array(L, f[HK_USERS], SCN_MAX_USERS, &n)) return false;
        m->users = ms_xcalloc(n ? n : 1, sizeof *m->users);
        size_t mark = scn_ld_push_key(L, "users");
        size_t i = 0;
        for (const cJSON *u = f[HK_USERS]->child; u; u = u->next, i++) {
            size_t m2 = scn_ld_push_index(L, i);
            const cJSON *g[UK_N];
            struct scn_user *us = &m->users[i];
            m->n_users = i + 1;
            if (!scn_ld_object(L, u, user_keys, UK_N, ALL_KEYS, "a user", g) ||
                !scn_ld_require(L, u, g[UK_NAME], "name") ||
                !scn_ld_str(L, g[UK_NAME], SCN_SC_LOCALPART, &us->name) ||
                !scn_ld_str(L, g[UK_PASSWORD], SCN_SC_PASSWORD, &us->password) ||
                !scn_ld_str(L, g[UK_DISPLAY], SCN_SC_TEXT, &us->display_name)) {
                return false;
            }
            if (!us->password) us->password = ms_xstrdup("");
            if (!us->display_name) us->display_name = ms_xstrdup("");
            scn_ld_pop(L, m2);
        }
        scn_ld_pop(L, mark);
    }
    if (f[HK_SMTP]) {
        struct scn_smtp_opts o;
        scn_smtp_opts_default(&o);
        bool ok = scn_read_smtp(L, f[HK_SMTP], &o);
        if (ok) scn_smtp_opts_apply(m, &o);
        scn_smtp_texts_free(&o.texts);
        if (!ok) return false;
    }
    if (!scn_read_retry(L, f[HK_RETRY], &m->retry_interval, &m->give_up, NULL, NULL)) return false;
    if (f[HK_RETRY]) {
        size_t mark = scn_ld_push_key(L, "retry");
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(f[HK_RETRY], "give_up");
        if (g) scn_ld_push_key(L, "give_up");
        if (!scn_check_giveup(L, g ? g : f[HK_RETRY], m->retry_interval, m->give_up)) return false;
        scn_ld_pop(L, mark);
    }
    return scn_ld_bool(L, f[HK_LENIENT], &m->lenient_data) &&
           scn_ld_bool(L, f[HK_WEBMAIL], &m->webmail) &&
           scn_ld_bool(L, f[HK_BARELF], &m->accept_bare_lf) &&
           scn_read_chaos(L, f[HK_CHAOS], &m->chaos);
}

static bool scn_read_pages(struct scn_ld *L, const cJSON *item, struct scn_web_server *w)
{
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, 1000, &n)) return false;
    w->pages = ms_xcalloc(n ? n : 1, sizeof *w->pages);
    size_t mark = scn_ld_push_key(L, "pages");
    size_t i = 0;
    for (const cJSON *p = item->child; p; p = p->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_web_page *pg = &w->pages[i];
        w->n_pages = i + 1;
        pg->size = 1024;
        const cJSON *g[GK_N];
        if (!scn_ld_object(L, p, page_keys, GK_N, ALL_KEYS, "a page", g) ||
            !scn_ld_require(L, p, g[GK_PATH], "path") ||
            !scn_ld_str(L, g[GK_PATH], SCN_SC_URLPATH, &pg->path) ||
            !scn_ld_str(L, g[GK_TITLE], SCN_SC_TEXT, &pg->title) ||
            !scn_ld_size(L, g[GK_SIZE], 0, SCN_MAX_ATTACH_BYTES, &pg->size)) {
            return false;
        }
        if (!pg->title) pg->title = ms_xstrdup("");
        if (!scn_ld_content(L, p, pg->size)) return false;
        for (size_t j = 0; j < i; j++) {
            if (strcmp(w->pages[j].path, pg->path) == 0) {
                scn_ld_push_key(L, "path");
                return scn_ld_err(L, g[GK_PATH], false,
                                  "duplicate page path \"%s\" (also pages[%zu])", pg->path, j);
            }
        }
        if (g[GK_OBJECTS]) {
            size_t no;
            if (!scn_ld_array(L, g[GK_OBJECTS], 1000, &no)) return false;
            pg->objects = ms_xcalloc(no ? no : 1, sizeof *pg->objects);
            size_t m3 = scn_ld_push_key(L, "objects");
            size_t k = 0;
            for (const cJSON *o = g[GK_OBJECTS]->child; o; o = o->next, k++) {
                size_t m4 = scn_ld_push_index(L, k);
                struct scn_web_object *ob = &pg->objects[k];
                pg->n_objects = k + 1;
                const cJSON *h[OK_N];
                if (!scn_ld_object(L, o, obj_keys, OK_N, ALL_KEYS, "a page object", h) ||
                    !scn_ld_require(L, o, h[OK_NAME], "name") ||
                    !scn_ld_require(L, o, h[OK_SIZE], "size") ||
                    !scn_ld_str(L, h[OK_NAME], SCN_SC_OBJNAME, &ob->name) ||
                    !scn_ld_str(L, h[OK_TYPE], SCN_SC_MIMETYPE, &ob->type) ||
                    !scn_ld_size(L, h[OK_SIZE], 0, SCN_MAX_ATTACH_BYTES, &ob->size)) {
                    return false;
                }
                if (!ob->type) ob->type = ms_xstrdup("application/octet-stream");
                if (!scn_ld_content(L, o, ob->size)) return false;
                scn_ld_pop(L, m4);
            }
            scn_ld_pop(L, m3);
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

/* First pass over one host: everything but references to other hosts. */
static bool scn_read_host(struct scn_ctx *C, const cJSON *obj, struct scn_host *h, const cJSON **f)
{
    struct scn_ld *L = C->L;
    if (!scn_ld_object(L, obj, host_keys, HK_N, ALL_KEYS, "a host", f) ||
        !scn_ld_require(L, obj, f[HK_NAME], "name") ||
        !scn_ld_require(L, obj, f[HK_KIND], "kind") ||
        !scn_ld_str(L, f[HK_NAME], SCN_SC_HOSTNAME, &h->name)) {
        return false;
    }
    unsigned kind = 0;
    if (!scn_ld_enum(L, f[HK_KIND], scn_host_kind_names, SCN_HOST_KIND_COUNT, "a host kind",
                     &kind)) {
        return false;
    }
    h->kind = (enum scn_host_kind)kind;
    uint64_t allowed = HM_COMMON;
    if (scn_host_kind_is_device(h->kind)) allowed |= HM(HK_OWNER);
    if (h->kind == SCN_HOST_MAIL_SERVER) allowed |= HM_MAIL;
    if (h->kind == SCN_HOST_DNS) allowed |= HM(HK_MX);
    if (h->kind == SCN_HOST_WEB_SERVER) allowed |= HM(HK_PAGES);
    char what[48];
    snprintf(what, sizeof what, "a %s host", scn_host_kind_names[h->kind]);
    if (!scn_check_allowed(L, obj, host_keys, HK_N, allowed, what)) return false;
    h->up = true;
    h->owner_server = h->owner_user = SCN_NONE;
    if (f[HK_IP]) {
        if (!scn_ld_ipv4(L, f[HK_IP], &h->ipv4)) return false;
        h->has_ipv4 = true;
    }
    if (f[HK_POS]) {
        const cJSON *g[PK_N];
        size_t mark = scn_ld_push_key(L, "pos");
        if (!scn_ld_object(L, f[HK_POS], pos_keys, PK_N, ALL_KEYS, "pos", g) ||
            !scn_ld_require(L, f[HK_POS], g[PK_X], "x") ||
            !scn_ld_require(L, f[HK_POS], g[PK_Y], "y") ||
            !scn_ld_double(L, g[PK_X], 0, 1, false, &h->x) ||
            !scn_ld_double(L, g[PK_Y], 0, 1, false, &h->y)) {
            return false;
        }
        h->has_pos = true;
        scn_ld_pop(L, mark);
    }
    if (!scn_ld_bool(L, f[HK_UP], &h->up)) return false;
    if (h->kind == SCN_HOST_MAIL_SERVER) {
        if (!scn_ld_require(L, obj, f[HK_DOMAIN], "domain") || !scn_read_mail(C, f, h))
            return false;
    }
    if (h->kind == SCN_HOST_WEB_SERVER && !scn_read_pages(L, f[HK_PAGES], &h->web)) return false;
    return true;
}

static int scn_mx_cmp(const void *a, const void *b)
{
    const struct scn_mx *x = a, *y = b;
    int c = ascii_casecmp(x->domain, y->domain);
    if (c) return c;
    if (x->preference != y->preference) return x->preference < y->preference ? -1 : 1;
    return ascii_casecmp(x->host, y->host);
}

static bool scn_read_mx(struct scn_ctx *C, const cJSON *item, struct scn_host *h)
{
    struct scn_ld *L = C->L;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, 10000, &n)) return false;
    h->dns.mx = ms_xcalloc(n ? n : 1, sizeof *h->dns.mx);
    size_t mark = scn_ld_push_key(L, "mx");
    size_t i = 0;
    for (const cJSON *r = item->child; r; r = r->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_mx *mx = &h->dns.mx[i];
        h->dns.n_mx = i + 1;
        mx->preference = 10;
        const cJSON *g[MK_N];
        uint64_t pref = 10;
        if (!scn_ld_object(L, r, mx_keys, MK_N, ALL_KEYS, "an MX record", g) ||
            !scn_ld_require(L, r, g[MK_DOMAIN], "domain") ||
            !scn_ld_require(L, r, g[MK_HOST], "host") ||
            !scn_ld_str(L, g[MK_DOMAIN], SCN_SC_DOMAIN, &mx->domain) ||
            !scn_ld_uint(L, g[MK_PREF], 0, 65535, &pref) ||
            !scn_ref_host(C, g[MK_HOST], KIND_BIT(SCN_HOST_MAIL_SERVER), "a mail_server",
                          &mx->host_index)) {
            return false;
        }
        mx->preference = (uint16_t)pref;
        mx->host = ms_xstrdup(C->s->hosts[mx->host_index].name);
        const char *served = C->s->hosts[mx->host_index].mail.domain;
        if (ascii_casecmp(served, mx->domain) != 0) {
            scn_ld_push_key(L, "host");
            return scn_ld_err(
                L, g[MK_HOST], false,
                "%s serves %s, not %s: it would pass %s's mail on again (a mail loop)", mx->host,
                served, mx->domain, mx->domain);
        }
        for (size_t j = 0; j < i; j++) {
            if (ascii_casecmp(h->dns.mx[j].domain, mx->domain) == 0 &&
                h->dns.mx[j].host_index == mx->host_index) {
                return scn_ld_err(L, r, false, "duplicate MX record %s -> %s (also mx[%zu])",
                                  mx->domain, mx->host, j);
            }
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

static bool scn_read_hosts(struct scn_ctx *C, const cJSON *item)
{
    struct scn_ld *L = C->L;
    struct scn_scenario *s = C->s;
    size_t n;
    if (!scn_ld_array(L, item, SCN_MAX_HOSTS, &n)) return false;
    if (n == 0) {
        scn_ld_push_key(L, "hosts");
        return scn_ld_err(L, item, false, "a scenario needs at least one host");
    }
    s->hosts = ms_xcalloc(n, sizeof *s->hosts);
    const cJSON **fields = ms_xcalloc(n * HK_N, sizeof *fields);
    const cJSON **objs = ms_xcalloc(n, sizeof *objs);
    bool ok = false;
    size_t mark = scn_ld_push_key(L, "hosts");
    size_t i = 0, users = 0;
    for (const cJSON *h = item->child; h; h = h->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        s->n_hosts = i + 1;
        objs[i] = h;
        if (!scn_read_host(C, h, &s->hosts[i], fields + i * HK_N)) goto out;
        users += s->hosts[i].mail.n_users;
        if (users > SCN_MAX_USERS) {
            scn_ld_err(L, h, false, "more than %u users in all", (unsigned)SCN_MAX_USERS);
            goto out;
        }
        scn_ld_pop(L, m2);
    }
    /* Names, domains and addresses must be unique. */
    C->hosts_by_name = ms_xcalloc(n, sizeof *C->hosts_by_name);
    C->users_by_name = ms_xcalloc(n, sizeof *C->users_by_name);
    C->servers_by_domain = ms_xcalloc(n, sizeof *C->servers_by_domain);
    for (i = 0; i < n; i++) {
        C->hosts_by_name[i] = (struct scn_idx){s->hosts[i].name, i};
        if (s->hosts[i].kind == SCN_HOST_MAIL_SERVER) {
            C->servers_by_domain[C->n_servers++] = (struct scn_idx){s->hosts[i].mail.domain, i};
        }
    }
    size_t first, dup = scn_idx_sort_dups(C->hosts_by_name, n, &first);
    if (dup != SCN_NONE) {
        char where[32];
        scn_ld_push_index(L, dup);
        scn_ld_push_key(L, "name");
        scn_ld_where(L, fields[first * HK_N + HK_NAME], false, where, sizeof where);
        scn_ld_err(L, fields[dup * HK_N + HK_NAME], false,
                   "duplicate host name \"%s\" (first at hosts[%zu], %s)", s->hosts[dup].name,
                   first, where);
        goto out;
    }
    dup = scn_idx_sort_dups(C->servers_by_domain, C->n_servers, &first);
    if (dup != SCN_NONE) {
        scn_ld_push_index(L, dup);
        scn_ld_push_key(L, "domain");
        scn_ld_err(L, fields[dup * HK_N + HK_DOMAIN], false,
                   "domain \"%s\" is already served by %s", s->hosts[dup].mail.domain,
                   s->hosts[first].name);
        goto out;
    }
    for (i = 0; i < n; i++) {
        struct scn_host *h = &s->hosts[i];
        for (size_t j = 0; j < i && h->has_ipv4; j++) {
            if (s->hosts[j].has_ipv4 && s->hosts[j].ipv4 == h->ipv4) {
                scn_ld_push_index(L, i);
                scn_ld_push_key(L, "ip");
                scn_ld_err(L, fields[i * HK_N + HK_IP], false, "address already used by %s",
                           s->hosts[j].name);
                goto out;
            }
        }
        if (h->kind != SCN_HOST_MAIL_SERVER) continue;
        struct scn_idx *ux = ms_xcalloc(h->mail.n_users ? h->mail.n_users : 1, sizeof *ux);
        C->users_by_name[i] = ux;
        for (size_t u = 0; u < h->mail.n_users; u++)
            ux[u] = (struct scn_idx){h->mail.users[u].name, u};
        dup = scn_idx_sort_dups(ux, h->mail.n_users, &first);
        if (dup != SCN_NONE) {
            const cJSON *uitem = cJSON_GetArrayItem(fields[i * HK_N + HK_USERS], (int)dup);
            scn_ld_push_index(L, i);
            scn_ld_push_key(L, "users");
            scn_ld_push_index(L, dup);
            scn_ld_push_key(L, "name");
            scn_ld_err(L, cJSON_GetObjectItemCaseSensitive(uitem, "name"), false,
                       "duplicate user \"%s\" (also users[%zu])", h->mail.users[dup].name, first);
            goto out;
        }
    }
    /* Second pass: owners and MX records refer to other hosts. */
    for (i = 0; i < n; i++) {
        struct scn_host *h = &s->hosts[i];
        size_t m2 = scn_ld_push_index(L, i);
        const cJSON **f = fields + i * HK_N;
        if (f[HK_OWNER] &&
            !scn_ref_user(C, f[HK_OWNER], &h->owner, &h->owner_server, &h->owner_user))
            goto out;
        if (h->kind == SCN_HOST_DNS && !scn_read_mx(C, f[HK_MX], h)) goto out;
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    ok = true;
out:
    free(fields);
    free(objs);
    return ok;
}

/* The effective MX table: declared records, or one per mail server. */
static void scn_build_mx(struct scn_scenario *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->n_hosts; i++) n += s->hosts[i].dns.n_mx;
    if (n == 0) {
        s->mx_derived = true;
        for (size_t i = 0; i < s->n_hosts; i++) n += s->hosts[i].kind == SCN_HOST_MAIL_SERVER;
    }
    s->mx = ms_xcalloc(n ? n : 1, sizeof *s->mx);
    for (size_t i = 0; i < s->n_hosts; i++) {
        const struct scn_host *h = &s->hosts[i];
        if (s->mx_derived && h->kind == SCN_HOST_MAIL_SERVER) {
            s->mx[s->n_mx++] =
                (struct scn_mx){ms_xstrdup(h->mail.domain), ms_xstrdup(h->name), i, 10};
        }
        for (size_t r = 0; r < h->dns.n_mx; r++) {
            const struct scn_mx *m = &h->dns.mx[r];
            bool seen = false;
            for (size_t k = 0; k < s->n_mx && !seen; k++) {
                seen = ascii_casecmp(s->mx[k].domain, m->domain) == 0 &&
                       s->mx[k].host_index == m->host_index;
            }
            if (!seen) {
                s->mx[s->n_mx++] = (struct scn_mx){ms_xstrdup(m->domain), ms_xstrdup(m->host),
                                                   m->host_index, m->preference};
            }
        }
    }
    qsort(s->mx, s->n_mx, sizeof *s->mx, scn_mx_cmp);
}

/* ----------------------------------------------------------------- links */

static bool scn_read_links(struct scn_ctx *C, const cJSON *item)
{
    struct scn_ld *L = C->L;
    struct scn_scenario *s = C->s;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, SCN_MAX_LINKS, &n)) return false;
    s->links = ms_xcalloc(n ? n : 1, sizeof *s->links);
    size_t mark = scn_ld_push_key(L, "links");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_link *k = &s->links[i];
        s->n_links = i + 1;
        *k = (struct scn_link){SCN_NONE, SCN_NONE, 10 * SIM_US_PER_MS, 10000000, 0, 1500, true};
        const cJSON *g[LK_N];
        uint64_t mtu = 1500;
        if (!scn_ld_object(L, o, link_keys, LK_N, ALL_KEYS, "a link", g) ||
            !scn_ld_require(L, o, g[LK_A], "a") || !scn_ld_require(L, o, g[LK_B], "b") ||
            !scn_ref_host(C, g[LK_A], 0, "", &k->a) || !scn_ref_host(C, g[LK_B], 0, "", &k->b) ||
            !scn_ld_dur(L, g[LK_LATENCY], 0, 60 * SIM_US_PER_S, &k->latency) ||
            !scn_ld_bandwidth(L, g[LK_BW], &k->bandwidth_bps) ||
            !scn_ld_double(L, g[LK_LOSS], 0, 1, true, &k->loss) ||
            !scn_ld_uint(L, g[LK_MTU], 576, 65535, &mtu) || !scn_ld_bool(L, g[LK_UP], &k->up)) {
            return false;
        }
        k->mtu = (uint32_t)mtu;
        if (k->a == k->b) {
            scn_ld_push_key(L, "b");
            return scn_ld_err(L, g[LK_B], false, "a link must join two different hosts");
        }
        scn_ld_pop(L, m2);
    }
    /* At most one link per pair of hosts; the sorted pairs also serve the
     * timeline's link lookups. */
    struct scn_pair *pairs = ms_xcalloc(n ? n : 1, sizeof *pairs);
    for (i = 0; i < n; i++) {
        size_t a = s->links[i].a, b = s->links[i].b;
        pairs[i] = (struct scn_pair){a < b ? a : b, a < b ? b : a, i};
    }
    qsort(pairs, n, sizeof *pairs, scn_pair_cmp);
    size_t dup = SCN_NONE, first = 0;
    for (i = 1; i < n; i++) {
        if (pairs[i].lo == pairs[i - 1].lo && pairs[i].hi == pairs[i - 1].hi &&
            (dup == SCN_NONE || pairs[i].idx < dup)) {
            size_t j = i - 1;
            while (j > 0 && pairs[j - 1].lo == pairs[i].lo && pairs[j - 1].hi == pairs[i].hi) j--;
            dup = pairs[i].idx;
            first = pairs[j].idx;
        }
    }
    C->pairs = pairs;
    C->n_pairs = n;
    if (dup != SCN_NONE) {
        scn_ld_push_index(L, dup);
        return scn_ld_err(L, cJSON_GetArrayItem(item, (int)dup), false,
                          "%s and %s are already joined by links[%zu]",
                          s->hosts[s->links[dup].a].name, s->hosts[s->links[dup].b].name, first);
    }
    scn_ld_pop(L, mark);
    return true;
}

/* ------------------------------------------------------------------ top */

static bool scn_read_top(struct scn_ctx *C, const cJSON *root)
{
    struct scn_ld *L = C->L;
    struct scn_scenario *s = C->s;
    const cJSON *f[TK_N];
    if (!cJSON_IsObject(root)) {
        return scn_ld_err(L, root, false, "a scenario file holds one JSON object, not %s",
                          cJSON_IsArray(root) ? "an array" : "a single value");
    }
    uint64_t seed = 1;
    s->epoch = scn_days_from_civil(2025, 3, 3) * 86400 + 9 * 3600;
    if (!scn_ld_object(L, root, top_keys, TK_N, ALL_KEYS, "a scenario", f) ||
        !scn_ld_require(L, root, f[TK_TITLE], "title") ||
        !scn_ld_require(L, root, f[TK_HOSTS], "hosts") ||
        !scn_ld_str(L, f[TK_TITLE], SCN_SC_NAME, &s->title) ||
        !scn_ld_str(L, f[TK_DESC], SCN_SC_MULTILINE, &s->description) ||
        !scn_ld_uint(L, f[TK_SEED], 0, (UINT64_C(1) << 53) - 1, &seed) ||
        !scn_ld_epoch(L, f[TK_EPOCH], &s->epoch, &s->epoch_tz_min) ||
        !scn_ld_bool(L, f[TK_QUIZ], &s->quiz) ||
        !scn_ld_str(L, f[TK_VARIANT], SCN_SC_NAME, &s->variant)) {
        return false;
    }
    s->seed = seed;
    if (!s->description) s->description = ms_xstrdup("");
    /* "$schema" is only for editors; kept so that saving writes it back. */
    const cJSON *sch = cJSON_GetObjectItemCaseSensitive(root, "$schema");
    if (sch) {
        size_t m = scn_ld_push_key(L, "$schema");
        if (!scn_ld_str(L, sch, SCN_SC_TEXT, &s->schema)) return false;
        scn_ld_pop(L, m);
    }
    if (f[TK_VARIANT] && f[TK_VARIANTS]) {
        scn_ld_push_key(L, "variants");
        return scn_ld_err(
            L, f[TK_VARIANTS], true,
            "this file has a variant applied already (\"variant\"), so it cannot list \"variants\"");
    }
    if (!scn_read_hosts(C, f[TK_HOSTS])) return false;
    scn_build_mx(s);
    if (!scn_read_links(C, f[TK_LINKS]) ||
        !scn_read_timeline(C, f[TK_TIMELINE], &s->timeline, &s->n_timeline) ||
        !scn_read_questions(C, f[TK_QUESTIONS]) || !scn_read_variants(C, f[TK_VARIANTS])) {
        return false;
    }
    size_t total = s->n_timeline;
    for (size_t i = 0; i < s->n_variants; i++) total += s->variants[i].n_timeline;
    if (total > SCN_MAX_ACTIONS) {
        return scn_ld_err(L, root, false,
                          "%zu timeline actions in all is more than the limit of %u", total,
                          (unsigned)SCN_MAX_ACTIONS);
    }
    const char *want = L->opts ? L->opts->variant : NULL;
    if (want) {
        for (size_t i = 0; i < s->n_variants; i++) {
            if (strcmp(s->variants[i].name, want) == 0) {
                scn_apply_in_place(s, i);
                return true;
            }
        }
        if (s->variant && strcmp(s->variant, want) == 0) return true;
        char list[256] = "";
        for (size_t i = 0; i < s->n_variants; i++) {
            size_t o = strlen(list);
            snprintf(list + o, sizeof list - o, "%s\"%s\"", i ? ", " : "", s->variants[i].name);
        }
        char q[96];
        scn_ld_quote(want, q, sizeof q);
        L->plen = 0;
        L->path[0] = '\0';
        return scn_ld_err_off(L, SIZE_MAX, "no variant called \"%s\" (%s%s)", q,
                              s->n_variants ? "variants: " : "this file has no variants", list);
    }
    return true;
}

/* ------------------------------------------------------------- the entry */

static void scn_map_walk(struct scn_ld *L, const cJSON *it, size_t *next, bool *bad)
{
    for (; it; it = it->next) {
        if (*next >= L->js.n) {
            *bad = true;
            return;
        }
        L->map[*next] = (struct scn_ld_map){it, (uint32_t)*next};
        (*next)++;
        if (it->child) scn_map_walk(L, it->child, next, bad);
    }
}

struct scn_scenario *scn_load_text(const char *text, size_t len, const char *name,
                                   const char *base_dir, const struct scn_load_opts *opts,
                                   struct scn_error *err)
{
    struct scn_ld L;
    memset(&L, 0, sizeof L);
    L.file = name;
    L.text = text;
    L.len = len;
    L.err = err;
    L.opts = opts;
    L.base_dir = base_dir;
    if (err) memset(err, 0, sizeof *err);
    /* A UTF-8 byte order mark (Windows editors) is skipped, not an error. */
    size_t skip = len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
    if (!scn_jscan_run(&L.js, text + skip, len - skip, SCN_MAX_DEPTH)) {
        scn_ld_err_off(&L, L.js.err_off + skip, "%s", L.js.err);
        scn_jscan_free(&L.js);
        return NULL;
    }
    /* Node offsets are relative to text + skip; shift them back. */
    for (size_t i = 0; i < L.js.n; i++) {
        L.js.nodes[i].val_off += (uint32_t)skip;
        L.js.nodes[i].val_end += (uint32_t)skip;
        if (L.js.nodes[i].key_off != SCN_JNONE) L.js.nodes[i].key_off += (uint32_t)skip;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(text + skip, len - skip, &end, 0);
    if (!root) {
        size_t off = end && end >= text && end <= text + len ? (size_t)(end - text) : 0;
        scn_ld_err_off(&L, off, "cJSON could not parse the file here");
        scn_jscan_free(&L.js);
        return NULL;
    }
    L.map = ms_xcalloc(L.js.n ? L.js.n : 1, sizeof *L.map);
    size_t count = 0;
    bool bad = false;
    scn_map_walk(&L, root, &count, &bad);
    struct scn_scenario *s = ms_xcalloc(1, sizeof *s);
    s->source = ms_xstrdup(name);
    s->base_dir = base_dir ? ms_xstrdup(base_dir) : NULL;
    if (bad || count != L.js.n) {
        scn_ld_err_off(&L, 0, "internal error: the JSON scan and cJSON disagree about the file");
    } else {
        L.n_map = count;
        scn_ld_map_sort(&L);
    }
    struct scn_ctx C = {&L, s, NULL, NULL, 0, NULL, NULL, NULL, 0};
    if (!L.failed) scn_read_top(&C, root);
    free(C.hosts_by_name);
    free(C.pairs);
    free(C.servers_by_domain);
    if (C.users_by_name) {
        for (size_t i = 0; i < s->n_hosts; i++) free(C.users_by_name[i]);
        free(C.users_by_name);
    }
    cJSON_Delete(root);
    free(L.map);
    scn_jscan_free(&L.js);
    if (L.failed) {
        scn_free(s);
        return NULL;
    }
    return s;
}

struct scn_scenario *scn_load_buffer(const char *data, size_t len, const char *name,
                                     const char *base_dir, const struct scn_load_opts *opts,
                                     struct scn_error *err)
{
    if (!name) name = "<buffer>";
    if (len > SCN_MAX_FILE_BYTES) {
        if (err) {
            memset(err, 0, sizeof *err);
            snprintf(err->file, sizeof err->file, "%s", name);
            snprintf(err->msg, sizeof err->msg, "scenario is %zu bytes; the limit is %u (8 MiB)",
                     len, (unsigned)SCN_MAX_FILE_BYTES);
            snprintf(err->text, sizeof err->text, "%s: %s", err->file, err->msg);
        }
        return NULL;
    }
    return scn_load_text(data, len, name, base_dir, opts, err);
}

static struct scn_scenario *scn_file_error(struct scn_error *err, const char *path, const char *fmt,
                                           ...) MS_PRINTF(3, 4);
static struct scn_scenario *scn_file_error(struct scn_error *err, const char *path, const char *fmt,
                                           ...)
{
    if (err) {
        va_list ap;
        memset(err, 0, sizeof *err);
        snprintf(err->file, sizeof err->file, "%s", path);
        va_start(ap, fmt);
        vsnprintf(err->msg, sizeof err->msg, fmt, ap);
        va_end(ap);
        snprintf(err->text, sizeof err->text, "%s: %s", err->file, err->msg);
    }
    return NULL;
}

struct scn_scenario *scn_load_file(const char *path, const struct scn_load_opts *opts,
                                   struct scn_error *err)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return scn_file_error(err, path, "cannot open: %s", strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return scn_file_error(err, path, "not a regular file");
    }
    if ((uint64_t)st.st_size > SCN_MAX_FILE_BYTES) {
        close(fd);
        return scn_file_error(err, path, "scenario is %llu bytes; the limit is %u (8 MiB)",
                              (unsigned long long)st.st_size, (unsigned)SCN_MAX_FILE_BYTES);
    }
    /* The ceiling also catches a file that grows while we read it. */
    struct buf b;
    buf_init(&b, SCN_MAX_FILE_BYTES);
    char chunk[16384];
    for (;;) {
        ssize_t r = read(fd, chunk, sizeof chunk);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            buf_free(&b);
            return scn_file_error(err, path, "cannot read: %s", strerror(e));
        }
        if (r == 0) break;
        if (!buf_add(&b, chunk, (size_t)r)) {
            close(fd);
            buf_free(&b);
            return scn_file_error(err, path, "scenario is more than %u bytes (8 MiB)",
                                  (unsigned)SCN_MAX_FILE_BYTES);
        }
    }
    close(fd);
    size_t got = b.len;
    char *buf = buf_take(&b, NULL);
    /* Attachments are read next to the file. */
    const char *slash = strrchr(path, '/');
    char *dir =
        slash ? ms_xmemdup(path, (size_t)(slash - path) + (slash == path)) : ms_xstrdup(".");
    struct scn_scenario *s = scn_load_buffer(buf, got, path, dir, opts, err);
    free(dir);
    free(buf);
    return s;
}
