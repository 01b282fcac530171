/* imap_client.c -- IMAP4rev1 client engine (see imap_client.h). */
#include "proto/imap_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ascii.h"
#include "core/common.h"
#include "proto/imap_parse.h"
#include "proto/line.h"

#define IMAPC_QUEUE 32
#define IMAPC_SPLITS 8
#define IMAPC_EVENTS 4096

static const char *const imapc_state_names[IMAPC_S_COUNT] = {
    "greeting", "not authenticated", "authenticated", "selected", "logout", "closed",
};

struct imapc_action {
    char action[16];
    char *text;                  /* owned, ends with CRLF */
    size_t len;
    size_t splits[IMAPC_SPLITS]; /* after each synchronising literal header */
    size_t nsplit;
};

struct imapc_ev {
    struct imap_client_event ev;
    char *data; /* owned */
};

struct imap_client {
    struct imap_client_cfg cfg;
    enum imap_client_state state;
    struct line_reader lr;
    struct imap_buf resp;
    uint64_t lit_left;
    struct imap_buf out;
    struct imapc_action q[IMAPC_QUEUE];
    size_t qhead, qn;
    bool inflight;
    char cur_tag[8];
    size_t cur_split;
    unsigned next_tag;
    bool literal_plus;
    bool uid;                     /* the next commands are UID commands */
    bool idling;                  /* IDLE answered by "+", DONE not yet sent (RFC 2177) */
    char tag_prefix[4];
    unsigned tag_digits;
    struct line_log log;          /* the lines read and written, with the states around them */
    size_t out_logged;            /* bytes of out already handed to the log */
    struct imapc_ev *evs;
    size_t ev_head, ev_n, ev_cap;
    char *last_data;
};

/* A command being built: text plus the places to wait for "+". */
struct imapc_build {
    struct imap_buf b;
    size_t splits[IMAPC_SPLITS];
    size_t nsplit;
    bool bad;
};

static void imapc_enter_state(struct imap_client *c, enum imap_client_state st);
static void imapc_send_next(struct imap_client *c);
static void imapc_response(struct imap_client *c, char *p, size_t n);
static void imapc_error(struct imap_client *c, const char *why);

const char *imap_client_state_name(enum imap_client_state st)
{
    return (unsigned)st < IMAPC_S_COUNT ? imapc_state_names[st] : "?";
}

struct imap_client *imap_client_new(const struct imap_client_cfg *cfg)
{
    struct imap_client *c = ms_xcalloc(1, sizeof *c);
    if (cfg) c->cfg = *cfg;
    if (!c->cfg.max_line) c->cfg.max_line = 64 * 1024;
    if (!c->cfg.max_literal) c->cfg.max_literal = 16 * 1024 * 1024;
    line_init(&c->lr, c->cfg.max_line);
    c->state = IMAPC_S_GREETING;
    c->next_tag = 1;
    snprintf(c->tag_prefix, sizeof c->tag_prefix, "%s", c->cfg.tag_prefix ? c->cfg.tag_prefix : "A");
    for (char *p = c->tag_prefix; *p; p++)
        if (!imap_is_atom_char((unsigned char)*p) || *p == '+') *p = 'A';
    c->tag_digits = c->cfg.tag_digits ? c->cfg.tag_digits : 3;
    if (c->tag_digits > 3) c->tag_digits = 3;
    line_log_init(&c->log, imapc_state_names, IMAPC_S_COUNT, IMAPC_S_GREETING);
    return c;
}

void imap_client_free(struct imap_client *c)
{
    if (!c) return;
    line_free(&c->lr);
    line_log_free(&c->log);
    imap_buf_free(&c->resp);
    imap_buf_free(&c->out);
    for (size_t i = 0; i < c->qn; i++) free(c->q[(c->qhead + i) % IMAPC_QUEUE].text);
    for (size_t i = 0; i < c->ev_n; i++) free(c->evs[(c->ev_head + i) % c->ev_cap].data);
    free(c->evs);
    free(c->last_data);
    free(c);
}

enum imap_client_state imap_client_state(const struct imap_client *c) { return c->state; }
bool imap_client_idle(const struct imap_client *c) { return !c->inflight && c->qn == 0; }

size_t imap_client_out(const struct imap_client *c, const char **out)
{
    *out = c->out.p;
    return c->out.len;
}

/* Hand the output written since the last call to the session log. */
static void imapc_log_sync(struct imap_client *c)
{
    if (c->out.len > c->out_logged) {
        line_log_out(&c->log, c->out.p + c->out_logged, c->out.len - c->out_logged);
        c->out_logged = c->out.len;
    }
}

void imap_client_out_done(struct imap_client *c, size_t n)
{
    imapc_log_sync(c);
    if (n > c->out.len) n = c->out.len;
    imap_buf_consume(&c->out, n);
    c->out_logged -= n;
    line_log_sent(&c->log, n);
    line_log_settle(&c->log);
}

struct line_log *imap_client_log(struct imap_client *c)
{
    if (!c->log.on) {
        line_log_enable(&c->log, c->out.p, c->out.len);
        c->out_logged = c->out.len;
    }
    return &c->log;
}

void imap_client_use_uid(struct imap_client *c, bool on) { c->uid = on; }

/* ---- events ------------------------------------------------------------------ */

static struct imap_client_event *imapc_push(struct imap_client *c, enum imap_client_event_kind k,
                                            const char *data, size_t dlen)
{
    if (c->ev_n == c->ev_cap) {
        if (c->ev_cap == IMAPC_EVENTS) { /* caller is not pulling: drop the oldest */
            free(c->evs[c->ev_head].data);
            c->ev_head = (c->ev_head + 1) % c->ev_cap;
            c->ev_n--;
        } else {
            size_t nc = c->ev_cap ? c->ev_cap * 2 : 16;
            struct imapc_ev *ne = ms_xcalloc(nc, sizeof *ne);
            for (size_t i = 0; i < c->ev_n; i++) ne[i] = c->evs[(c->ev_head + i) % c->ev_cap];
            free(c->evs);
            c->evs = ne;
            c->ev_cap = nc;
            c->ev_head = 0;
        }
    }
    struct imapc_ev *e = &c->evs[(c->ev_head + c->ev_n++) % c->ev_cap];
    memset(e, 0, sizeof *e);
    e->ev.kind = k;
    e->ev.from = e->ev.to = c->state;
    if (data) {
        e->data = ms_xmemdup(data, dlen);
        e->ev.data_len = dlen;
        size_t tl = dlen < sizeof e->ev.text - 1 ? dlen : sizeof e->ev.text - 1;
        memcpy(e->ev.text, data, tl);
        e->ev.text[tl] = '\0';
    }
    return &e->ev;
}

bool imap_client_event(struct imap_client *c, struct imap_client_event *ev)
{
    free(c->last_data);
    c->last_data = NULL;
    if (!c->ev_n) return false;
    struct imapc_ev *e = &c->evs[c->ev_head];
    *ev = e->ev;
    ev->data = e->data;
    c->last_data = e->data;
    c->ev_head = (c->ev_head + 1) % c->ev_cap;
    c->ev_n--;
    return true;
}

static void imapc_enter_state(struct imap_client *c, enum imap_client_state st)
{
    if (c->state == st) return;
    enum imap_client_state from = c->state;
    imapc_log_sync(c);
    line_log_state(&c->log, (int)st, NULL);
    c->state = st;
    struct imap_client_event *e = imapc_push(c, IMAPC_EV_STATE, NULL, 0);
    e->from = from;
    e->to = st;
}

static void imapc_error(struct imap_client *c, const char *why)
{
    imapc_push(c, IMAPC_EV_ERROR, why, strlen(why));
    imapc_enter_state(c, IMAPC_S_CLOSED);
}

/* ---- building commands --------------------------------------------------------- */

static void imapc_word(struct imapc_build *b, const char *w)
{
    if (b->b.len) imap_buf_add(&b->b, " ", 1);
    imap_buf_adds(&b->b, w);
}

/* User text as atom, quoted string or literal (IC2; curl test 800). */
static void imapc_text(struct imap_client *c, struct imapc_build *b, const char *s, bool astring)
{
    if (!s || strchr(s, '\r') || strchr(s, '\n')) {
        /* CR/LF could go in a literal, but no name or password needs them:
         * refuse rather than risk a smuggled command line (S15) */
        b->bad = true;
        return;
    }
    if (b->b.len) imap_buf_add(&b->b, " ", 1);
    size_t before = b->b.len;
    if (astring) imap_buf_astring(&b->b, s, strlen(s), c->literal_plus);
    else imap_buf_string(&b->b, s, strlen(s), c->literal_plus);
    if (b->b.p[before] == '{' && !c->literal_plus) {
        if (b->nsplit == IMAPC_SPLITS) {
            b->bad = true;
            return;
        }
        /* wait for "+" after "{n}CRLF" */
        const char *crlf = memchr(b->b.p + before, '\n', b->b.len - before);
        b->splits[b->nsplit++] = (size_t)(crlf + 1 - b->b.p);
    }
}

static int imapc_queue(struct imap_client *c, const char *action, struct imapc_build *b)
{
    if (b->bad || c->qn == IMAPC_QUEUE) {
        imap_buf_free(&b->b);
        return -1;
    }
    imap_buf_add(&b->b, "\r\n", 2);
    struct imapc_action *a = &c->q[(c->qhead + c->qn++) % IMAPC_QUEUE];
    snprintf(a->action, sizeof a->action, "%s", action);
    a->text = b->b.p;
    a->len = b->b.len;
    memcpy(a->splits, b->splits, sizeof a->splits);
    a->nsplit = b->nsplit;
    imapc_send_next(c);
    return (int)c->qn;
}

static bool imapc_atomish(const char *s)
{
    if (!s || !*s) return false;
    for (const char *p = s; *p; p++)
        if (!imap_is_atom_char((unsigned char)*p) && *p != '\\' && *p != '[' && *p != ']' && *p != '*' &&
            *p != ' ' && *p != '(' && *p != ')')
            return false;
    return true;
}

int imap_client_login(struct imap_client *c, const char *user, const char *pass)
{
    struct imapc_build b = {0};
    imapc_word(&b, "LOGIN");
    imapc_text(c, &b, user, true);
    imapc_text(c, &b, pass, true);
    return imapc_queue(c, "LOGIN", &b);
}

int imap_client_list(struct imap_client *c, const char *ref, const char *pattern)
{
    struct imapc_build b = {0};
    imapc_word(&b, "LIST");
    imapc_text(c, &b, ref ? ref : "", false);
    /* list wildcards must stay unquoted-safe: a quoted pattern keeps them */
    imapc_text(c, &b, pattern, false);
    return imapc_queue(c, "LIST", &b);
}

int imap_client_select(struct imap_client *c, const char *mailbox)
{
    struct imapc_build b = {0};
    imapc_word(&b, "SELECT");
    imapc_text(c, &b, mailbox, true);
    return imapc_queue(c, "SELECT", &b);
}

int imap_client_create(struct imap_client *c, const char *mailbox)
{
    struct imapc_build b = {0};
    imapc_word(&b, "CREATE");
    imapc_text(c, &b, mailbox, true);
    return imapc_queue(c, "CREATE", &b);
}

int imap_client_search(struct imap_client *c, const char *key, const char *arg)
{
    struct imapc_build b = {0};
    for (const char *p = key; p && *p; p++)
        if (!imap_is_atom_char((unsigned char)*p)) return -1;
    if (!key || !*key) return -1;
    imapc_word(&b, c->uid ? "UID SEARCH" : "SEARCH");
    imapc_word(&b, key);
    if (arg) imapc_text(c, &b, arg, false);
    return imapc_queue(c, "SEARCH", &b);
}

int imap_client_fetch_header(struct imap_client *c, uint32_t seq)
{
    struct imapc_build b = {0};
    char tmp[64];
    if (!seq) return -1;
    snprintf(tmp, sizeof tmp, "%sFETCH %u BODY.PEEK[HEADER]", c->uid ? "UID " : "", (unsigned)seq);
    imapc_word(&b, tmp);
    return imapc_queue(c, "FETCH", &b);
}

int imap_client_fetch_part(struct imap_client *c, uint32_t seq, const char *section)
{
    struct imapc_build b = {0};
    char tmp[128];
    if (!seq || !section || strlen(section) > 64) return -1;
    for (const char *p = section; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.' || (*p >= 'A' && *p <= 'Z'))) return -1;
    snprintf(tmp, sizeof tmp, "%sFETCH %u BODY[%s]", c->uid ? "UID " : "", (unsigned)seq, section);
    imapc_word(&b, tmp);
    return imapc_queue(c, "FETCH", &b);
}

int imap_client_move(struct imap_client *c, const char *set, const char *mailbox)
{
    struct imapc_build b = {0};
    struct imap_seqset ss;
    if (!set || !imap_seqset_parse(set, strlen(set), &ss)) return -1;
    imapc_word(&b, c->uid ? "UID MOVE" : "MOVE");
    imapc_word(&b, set);
    imapc_text(c, &b, mailbox, true);
    return imapc_queue(c, "MOVE", &b);
}

int imap_client_store(struct imap_client *c, const char *set, const char *op, const char *flags)
{
    struct imapc_build b = {0};
    struct imap_seqset ss;
    if (!set || !imap_seqset_parse(set, strlen(set), &ss)) return -1;
    if (!op || !(strcmp(op, "+FLAGS") == 0 || strcmp(op, "-FLAGS") == 0 || strcmp(op, "FLAGS") == 0))
        return -1;
    if (!imapc_atomish(flags) || strchr(flags, '(') || strchr(flags, ')')) return -1;
    imapc_word(&b, c->uid ? "UID STORE" : "STORE");
    imapc_word(&b, set);
    imapc_word(&b, op);
    imap_buf_adds(&b.b, " (");
    imap_buf_adds(&b.b, flags);
    imap_buf_adds(&b.b, ")");
    return imapc_queue(c, "STORE", &b);
}

int imap_client_capability(struct imap_client *c)
{
    struct imapc_build b = {0};
    imapc_word(&b, "CAPABILITY");
    return imapc_queue(c, "CAPABILITY", &b);
}

int imap_client_search_criteria(struct imap_client *c, const char *criteria)
{
    struct imapc_build b = {0};
    if (!criteria || !*criteria) return -1;
    for (const char *p = criteria; *p; p++) /* IC2: nothing that ends or breaks a line */
        if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e) return -1;
    imapc_word(&b, c->uid ? "UID SEARCH" : "SEARCH");
    imapc_word(&b, criteria);
    return imapc_queue(c, "SEARCH", &b);
}

int imap_client_fetch_set(struct imap_client *c, const char *set, const char *section)
{
    struct imapc_build b = {0};
    struct imap_seqset ss;
    if (!set || !imap_seqset_parse(set, strlen(set), &ss)) return -1;
    if (section) {
        if (!*section || strlen(section) > 64) return -1;
        for (const char *p = section; *p; p++)
            if (!((*p >= '0' && *p <= '9') || *p == '.' || (*p >= 'A' && *p <= 'Z'))) return -1;
    }
    imapc_word(&b, c->uid ? "UID FETCH" : "FETCH");
    imapc_word(&b, set);
    imap_buf_printf(&b.b, section ? " BODY[%s]" : " BODY.PEEK[HEADER]", section ? section : "");
    return imapc_queue(c, "FETCH", &b);
}

int imap_client_logout(struct imap_client *c)
{
    struct imapc_build b = {0};
    imapc_word(&b, "LOGOUT");
    return imapc_queue(c, "LOGOUT", &b);
}

int imap_client_noop(struct imap_client *c)
{
    struct imapc_build b = {0};
    imapc_word(&b, "NOOP");
    return imapc_queue(c, "NOOP", &b);
}

int imap_client_idle_start(struct imap_client *c)
{
    struct imapc_build b = {0};
    imapc_word(&b, "IDLE");
    return imapc_queue(c, "IDLE", &b);
}

bool imap_client_idling(const struct imap_client *c) { return c->idling; }

bool imap_client_idle_done(struct imap_client *c)
{
    if (!c->idling) return false;
    /* RFC 2177 §3: "DONE" alone on a line, untagged, ends the IDLE. */
    imapc_log_sync(c);
    line_log_mark_out(&c->log, 0, 0, "DONE");
    imap_buf_add(&c->out, "DONE\r\n", 6);
    c->idling = false;
    return true;
}

/* Send the next queued action once the previous one is answered. */
static void imapc_send_next(struct imap_client *c)
{
    if (c->inflight || !c->qn) return;
    if (c->state == IMAPC_S_GREETING || c->state == IMAPC_S_CLOSED) return;
    struct imapc_action *a = &c->q[c->qhead];
    snprintf(c->cur_tag, sizeof c->cur_tag, "%s%0*u", c->tag_prefix, (int)c->tag_digits,
             c->next_tag++ % 1000);
    imapc_log_sync(c);
    line_log_mark_out(&c->log, 0, 0, a->action);
    imap_buf_printf(&c->out, "%s ", c->cur_tag);
    size_t end = a->nsplit ? a->splits[0] : a->len;
    imap_buf_add(&c->out, a->text, end);
    c->cur_split = 0;
    c->inflight = true;
}

/* ---- responses ------------------------------------------------------------------- */

size_t imap_client_recv(struct imap_client *c, const char *in, size_t len)
{
    size_t used = 0;
    while (used < len && c->state != IMAPC_S_CLOSED) {
        if (c->lit_left) {
            size_t k = len - used < c->lit_left ? len - used : (size_t)c->lit_left;
            imapc_log_sync(c);
            line_log_mark_in(&c->log, LINE_F_DATA, 0, NULL);
            line_log_in(&c->log, in + used, k);
            line_log_mark_in(&c->log, 0, 0, NULL);
            imap_buf_add(&c->resp, in + used, k);
            used += k;
            c->lit_left -= k;
            continue;
        }
        enum line_status st;
        size_t k = line_feed(&c->lr, in + used, len - used, &st);
        imapc_log_sync(c);
        line_log_in(&c->log, in + used, k);
        used += k;
        if (st == LINE_TOO_LONG) {
            imapc_error(c, "response line too long");
            break;
        }
        if (st != LINE_OK) continue;
        size_t n;
        const char *line = line_get(&c->lr, &n);
        if (line_has_nul(&c->lr) || line_has_bare_eol(&c->lr)) {
            imapc_error(c, "NUL or bare CR/LF in a response line");
            break;
        }
        if (c->resp.len + n + 2 > c->cfg.max_line + c->cfg.max_literal) {
            imapc_error(c, "response too long");
            break;
        }
        imap_buf_add(&c->resp, line, n);
        uint64_t lit;
        bool plus;
        if (imap_literal_at_end(line, n, &lit, &plus)) {
            /* IC1: the count is checked before anything is reserved */
            if (lit > c->cfg.max_literal || c->resp.len + lit > c->cfg.max_line + c->cfg.max_literal) {
                imapc_error(c, "literal too large");
                break;
            }
            imap_buf_add(&c->resp, "\r\n", 2);
            c->lit_left = lit;
            if (lit) continue;
            continue; /* {0}: the line goes on */
        }
        imapc_response(c, c->resp.p, c->resp.len);
        c->resp.len = 0;
    }
    imapc_log_sync(c);
    line_log_settle(&c->log);
    return used;
}

static bool imapc_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && ascii_ncasecmp(w, lit, n) == 0;
}

static void imapc_caps(struct imap_client *c, const char *p, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i++)
        if (ascii_ncasecmp(p + i, "LITERAL+", 8) == 0 && (i == 0 || p[i - 1] == ' ')) c->literal_plus = true;
}

static void imapc_fetch(struct imap_client *c, struct imap_cur *k, uint32_t num)
{
    if (!imap_cur_open(k)) goto bad;
    while (!imap_cur_peek(k, ')')) {
        size_t st = k->pos;
        int br = 0;
        while (k->pos < k->len) {
            char ch = k->p[k->pos];
            if (ch == '[') br++;
            else if (ch == ']') br--;
            else if ((ch == ' ' || ch == ')') && br == 0) break;
            k->pos++;
        }
        size_t nl = k->pos - st;
        if (!nl || !imap_cur_sp(k)) goto bad;
        const char *name = k->p + st, *v;
        size_t vl, vs = k->pos;
        if (imap_cur_peek(k, '"') || imap_cur_peek(k, '{')) {
            if (!imap_cur_string(k, &v, &vl)) goto bad;
        } else if (imap_cur_peek(k, '(')) {
            if (!imap_cur_skip_value(k)) goto bad;
            v = k->p + vs;
            vl = k->pos - vs;
        } else {
            while (k->pos < k->len && k->p[k->pos] != ' ' && k->p[k->pos] != ')') k->pos++;
            v = k->p + vs;
            vl = k->pos - vs;
            if (vl == 3 && ascii_ncasecmp(v, "NIL", 3) == 0) v = NULL, vl = 0;
        }
        struct imap_client_event *e = imapc_push(c, IMAPC_EV_FETCH, v ? v : "", vl);
        e->number = num;
        size_t cp = nl < sizeof e->name - 1 ? nl : sizeof e->name - 1;
        memcpy(e->name, name, cp);
        e->name[cp] = '\0';
        if (imap_cur_peek(k, ')')) break;
        if (!imap_cur_sp(k)) goto bad;
    }
    if (imap_cur_close(k) && imap_cur_eol(k)) return;
bad:
    imapc_error(c, "malformed FETCH response");
}

static void imapc_untagged(struct imap_client *c, char *p, size_t n)
{
    struct imap_cur k;
    const char *w;
    size_t wl;
    imap_cur_init(&k, p, n);
    k.max_depth = 64; /* nested BODYSTRUCTUREs */
    if (k.len && k.p[0] >= '0' && k.p[0] <= '9') {
        uint32_t num;
        if (!imap_cur_number(&k, &num) || !imap_cur_sp(&k) || !imap_cur_atom(&k, &w, &wl)) {
            imapc_error(c, "malformed numbered response");
            return;
        }
        if (imapc_is(w, wl, "EXISTS")) imapc_push(c, IMAPC_EV_EXISTS, NULL, 0)->number = num;
        else if (imapc_is(w, wl, "EXPUNGE")) imapc_push(c, IMAPC_EV_EXPUNGE, NULL, 0)->number = num;
        else if (imapc_is(w, wl, "FETCH") && imap_cur_sp(&k)) imapc_fetch(c, &k, num);
        else imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
        return;
    }
    if (!imap_cur_atom(&k, &w, &wl)) {
        imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
        return;
    }
    if (c->state == IMAPC_S_GREETING) {
        if (imapc_is(w, wl, "OK")) imapc_enter_state(c, IMAPC_S_NOT_AUTH);
        else if (imapc_is(w, wl, "PREAUTH")) imapc_enter_state(c, IMAPC_S_AUTH);
        else if (imapc_is(w, wl, "BYE")) imapc_enter_state(c, IMAPC_S_CLOSED);
        else imapc_error(c, "unexpected greeting");
        imapc_caps(c, p, n);
        imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
        imapc_send_next(c);
        return;
    }
    if (imapc_is(w, wl, "CAPABILITY")) imapc_caps(c, p, n);
    if (imapc_is(w, wl, "BYE")) imapc_enter_state(c, IMAPC_S_LOGOUT);
    if ((imapc_is(w, wl, "LIST") || imapc_is(w, wl, "LSUB")) && imap_cur_sp(&k)) {
        size_t as = k.pos;
        const char *name;
        size_t nl;
        if (!imap_cur_skip_value(&k) || !imap_cur_sp(&k)) goto badlist;
        size_t ae = k.pos - 1;
        if (!imap_cur_nstring(&k, &w, &wl) || !imap_cur_sp(&k) || !imap_cur_astring(&k, &name, &nl) ||
            !imap_cur_eol(&k))
            goto badlist;
        /* IC1: the name is data to show, never a path */
        struct imap_client_event *e = imapc_push(c, IMAPC_EV_LIST, name, nl);
        size_t cp = nl < sizeof e->name - 1 ? nl : sizeof e->name - 1;
        memcpy(e->name, name, cp);
        e->name[cp] = '\0';
        cp = ae - as < sizeof e->text - 1 ? ae - as : sizeof e->text - 1;
        memcpy(e->text, p + as, cp);
        e->text[cp] = '\0';
        return;
    badlist:
        imapc_error(c, "malformed LIST response");
        return;
    }
    if (imapc_is(w, wl, "SEARCH")) {
        size_t off = k.pos < n ? k.pos + 1 : n;
        imapc_push(c, IMAPC_EV_SEARCH, p + off, n - off);
        return;
    }
    imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
}

static void imapc_response(struct imap_client *c, char *p, size_t n)
{
    if (n >= 1 && p[0] == '+') {
        /* continuation: send the next part of a command with literals */
        if (!c->inflight || !c->qn) return;
        struct imapc_action *a = &c->q[c->qhead];
        if (strcmp(a->action, "IDLE") == 0) {
            /* RFC 2177 §3: the server is idling; updates may come now. */
            if (!c->idling) {
                c->idling = true;
                imapc_push(c, IMAPC_EV_UNTAGGED, "idling", 6);
            }
            return;
        }
        if (c->cur_split >= a->nsplit) return;
        size_t from = a->splits[c->cur_split++];
        size_t to = c->cur_split < a->nsplit ? a->splits[c->cur_split] : a->len;
        imap_buf_add(&c->out, a->text + from, to - from);
        return;
    }
    if (n >= 2 && p[0] == '*' && p[1] == ' ') {
        imapc_untagged(c, p + 2, n - 2);
        return;
    }
    size_t tl = strlen(c->cur_tag);
    if (!c->inflight || n < tl + 1 || memcmp(p, c->cur_tag, tl) != 0 || p[tl] != ' ') {
        imapc_error(c, "unexpected tagged response");
        return;
    }
    struct imap_cur k;
    const char *w;
    size_t wl;
    imap_cur_init(&k, p + tl + 1, n - tl - 1);
    if (!imap_cur_atom(&k, &w, &wl) || !(imapc_is(w, wl, "OK") || imapc_is(w, wl, "NO") || imapc_is(w, wl, "BAD"))) {
        imapc_error(c, "malformed tagged response");
        return;
    }
    struct imapc_action *a = &c->q[c->qhead];
    bool ok = imapc_is(w, wl, "OK");
    c->idling = false; /* a tagged reply ends an IDLE however it ends */
    line_log_note_in(&c->log, a->action, strlen(a->action), 0);
    line_log_note_reply(&c->log, 0, ok ? LINE_F_OK : LINE_F_ERR);
    if (ok && strcmp(a->action, "LOGIN") == 0) imapc_enter_state(c, IMAPC_S_AUTH);
    /* a failed SELECT leaves no mailbox selected (RFC 3501 §6.3.1) */
    if (strcmp(a->action, "SELECT") == 0 && (ok || c->state == IMAPC_S_SELECTED))
        imapc_enter_state(c, ok ? IMAPC_S_SELECTED : IMAPC_S_AUTH);
    if (strcmp(a->action, "LOGOUT") == 0) imapc_enter_state(c, IMAPC_S_LOGOUT);
    size_t to = k.pos < k.len ? k.pos + 1 : k.len;
    struct imap_client_event *e = imapc_push(c, IMAPC_EV_DONE, k.p + to, k.len - to);
    snprintf(e->tag, sizeof e->tag, "%s", c->cur_tag);
    snprintf(e->action, sizeof e->action, "%s", a->action);
    memcpy(e->result, w, wl);
    e->result[wl] = '\0';
    for (char *r = e->result; *r; r++)
        if (*r >= 'a' && *r <= 'z') *r = (char)(*r - 32);
    free(a->text);
    c->qhead = (c->qhead + 1) % IMAPC_QUEUE;
    c->qn--;
    c->inflight = false;
    if (c->state != IMAPC_S_LOGOUT) imapc_send_next(c);
}
