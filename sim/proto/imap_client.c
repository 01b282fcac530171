/* imap_client.c -- IMAP4rev1 client engine (see imap_client.h). */
#include "proto/imap_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ascii.h"
#include "core/common.h"
#include "proto/imap_parse.h"
#include "proto/line_sess.h"

#define IMAPC_QUEUE 32
#define IMAPC_SPLITS 8
#define IMAPC_EVENTS 4096                /* the ring grows to this, then drops the oldest */
#define IMAPC_OUT_MAX ((size_t)64 << 20) /* the output's ceiling: far above an APPEND's literal */

static const char *const imapc_state_names[IMAPC_S_COUNT] = {
    "greeting", "not authenticated", "authenticated", "selected", "logout", "closed",
};

struct imapc_action {
    char action[16];
    char *text; /* owned, ends with CRLF */
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
    struct line_sess ss; /* reader, output, events, session log */
    struct imap_buf resp;
    uint64_t lit_left;
    struct imapc_action q[IMAPC_QUEUE];
    size_t qhead, qn;
    bool inflight;
    char cur_tag[8];
    size_t cur_split;
    unsigned next_tag;
    bool literal_plus;
    bool uid;    /* the next commands are UID commands */
    bool idling; /* IDLE answered by "+", DONE not yet sent (RFC 2177) */
    char tag_prefix[4];
    unsigned tag_digits;
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
    c->state = IMAPC_S_GREETING;
    const struct line_sess_cfg sc = {
        .line_max = c->cfg.max_line,
        .out_init = 1024,
        .out_max = IMAPC_OUT_MAX,
        .ev_size = sizeof(struct imapc_ev),
        .ev_cap = 16,
        .state_names = imapc_state_names,
        .n_states = IMAPC_S_COUNT,
        .initial = IMAPC_S_GREETING,
    };
    line_sess_init(&c->ss, &sc);
    c->next_tag = 1;
    snprintf(c->tag_prefix, sizeof c->tag_prefix, "%s",
             c->cfg.tag_prefix ? c->cfg.tag_prefix : "A");
    for (char *p = c->tag_prefix; *p; p++)
        if (!imap_is_atom_char((unsigned char)*p) || *p == '+') *p = 'A';
    c->tag_digits = c->cfg.tag_digits ? c->cfg.tag_digits : 3;
    if (c->tag_digits > 3) c->tag_digits = 3;
    return c;
}

void imap_client_free(struct imap_client *c)
{
    if (!c) return;
    imap_buf_free(&c->resp);
    for (size_t i = 0; i < c->qn; i++) free(c->q[(c->qhead + i) % IMAPC_QUEUE].text);
    for (size_t i = 0; i < line_sess_events(&c->ss); i++)
        free(((struct imapc_ev *)line_sess_event_at(&c->ss, i, sizeof(struct imapc_ev)))->data);
    line_sess_free(&c->ss);
    free(c->last_data);
    free(c);
}

enum imap_client_state imap_client_state(const struct imap_client *c)
{
    return c->state;
}
bool imap_client_idle(const struct imap_client *c)
{
    return !c->inflight && c->qn == 0;
}

size_t imap_client_out(const struct imap_client *c, const char **out)
{
    return line_sess_out(&c->ss, out);
}

void imap_client_out_done(struct imap_client *c, size_t n)
{
    if (n > line_sess_pending(&c->ss)) n = line_sess_pending(&c->ss);
    line_sess_out_done(&c->ss, n);
}

struct line_log *imap_client_log(struct imap_client *c)
{
    return line_sess_log(&c->ss);
}

void imap_client_use_uid(struct imap_client *c, bool on)
{
    c->uid = on;
}

/* ---- events ------------------------------------------------------------------ */

static struct imap_client_event *imapc_push(struct imap_client *c, enum imap_client_event_kind k,
                                            const char *data, size_t dlen)
{
    if (line_sess_events(&c->ss) == IMAPC_EVENTS) { /* caller is not pulling: drop the oldest */
        struct imapc_ev *old = line_sess_pop(&c->ss);
        free(old->data);
    }
    struct imapc_ev *e =
        line_sess_event(&c->ss, sizeof *e); /* the ring doubles up to IMAPC_EVENTS */
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
    const struct imapc_ev *e = line_sess_pop(&c->ss);
    if (!e) return false;
    *ev = e->ev;
    ev->data = e->data;
    c->last_data = e->data;
    return true;
}

static void imapc_enter_state(struct imap_client *c, enum imap_client_state st)
{
    if (c->state == st) return;
    enum imap_client_state from = c->state;
    line_sess_enter(&c->ss, (int)st, NULL);
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
    if (astring)
        imap_buf_astring(&b->b, s, strlen(s), c->literal_plus);
    else
        imap_buf_string(&b->b, s, strlen(s), c->literal_plus);
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
        if (!imap_is_atom_char((unsigned char)*p) && *p != '\\' && *p != '[' && *p != ']' &&
            *p != '*' && *p != ' ' && *p != '(' && *p != ')')
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
    if (!op ||
        !(strcmp(op, "+FLAGS") == 0 || strcmp(op, "-FLAGS") == 0 || strcmp(op, "FLAGS") == 0))
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

bool imap_client_idling(const struct imap_client *c)
{
    return c->idling;
}

bool imap_client_idle_done(struct imap_client *c)
{
    if (!c->idling) return false;
    /* RFC 2177 §3: "DONE" alone on a line, untagged, ends the IDLE. */
    line_log_mark_out(&c->ss.log, 0, 0, "DONE");
    line_sess_write(&c->ss, "DONE\r\n", 6);
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
    line_log_mark_out(&c->ss.log, 0, 0, a->action);
    line_sess_printf(&c->ss, "%s ", c->cur_tag);
    size_t end = a->nsplit ? a->splits[0] : a->len;
    line_sess_write(&c->ss, a->text, end);
    c->cur_split = 0;
    c->inflight = true;
}

/* ---- responses ------------------------------------------------------------------- */

static bool imapc_can_read(void *eng)
{
    const struct imap_client *c = eng;
    return c->state != IMAPC_S_CLOSED;
}

/* A literal's octets (RFC 3501 §4.3), part of the response being read. */
static size_t imapc_raw(void *eng, const char *in, size_t len)
{
    struct imap_client *c = eng;
    if (!c->lit_left) return SIZE_MAX;
    size_t k = len < c->lit_left ? len : (size_t)c->lit_left;
    line_sess_raw(&c->ss, in, k, LINE_F_DATA);
    imap_buf_add(&c->resp, in, k);
    c->lit_left -= k;
    return k;
}

/* One line of a response; a response ends with a line not ending in a literal. */
static void imapc_line(void *eng, enum line_status st, const char *line, size_t n, bool more)
{
    struct imap_client *c = eng;
    (void)more;
    if (st == LINE_TOO_LONG) {
        imapc_error(c, "response line too long");
        return;
    }
    if (line_has_nul(&c->ss.rd) || line_has_bare_eol(&c->ss.rd)) {
        imapc_error(c, "NUL or bare CR/LF in a response line");
        return;
    }
    if (c->resp.len + n + 2 > c->cfg.max_line + c->cfg.max_literal) {
        imapc_error(c, "response too long");
        return;
    }
    imap_buf_add(&c->resp, line, n);
    uint64_t lit;
    bool plus;
    if (imap_literal_at_end(line, n, &lit, &plus)) {
        /* IC1: the count is checked before anything is reserved */
        if (lit > c->cfg.max_literal || c->resp.len + lit > c->cfg.max_line + c->cfg.max_literal) {
            imapc_error(c, "literal too large");
            return;
        }
        imap_buf_add(&c->resp, "\r\n", 2);
        c->lit_left = lit;
        return; /* {0}: the line goes on */
    }
    imapc_response(c, c->resp.p, c->resp.len);
    c->resp.len = 0;
}

static const struct line_proto imapc_proto = {imapc_can_read, imapc_raw, imapc_line};

size_t imap_client_recv(struct imap_client *c, const char *in, size_t len)
{
    size_t used = line_sess_recv(&c->ss, &imapc_proto, c, in, len);
    line_log_settle(&c->ss.log);
    return used;
}

static bool imapc_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && ascii_ncasecmp(w, lit, n) == 0;
}

static void imapc_caps(struct imap_client *c, const char *p, size_t n)
{
    for (size_t i = 0; i + 8 <= n; i++)
        if (ascii_ncasecmp(p + i, "LITERAL+", 8) == 0 && (i == 0 || p[i - 1] == ' '))
            c->literal_plus = true;
}

static void imapc_fetch(struct imap_client *c, struct imap_cur *k, uint32_t num)
{
    if (!imap_cur_open(k)) goto bad;
    while (!imap_cur_peek(k, ')')) {
        size_t st = k->pos;
        int br = 0;
        while (k->pos < k->len) {
            char ch = k->p[k->pos];
            if (ch == '[')
                br++;
            else if (ch == ']')
                br--;
            else if ((ch == ' ' || ch == ')') && br == 0)
                break;
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
        if (imapc_is(w, wl, "EXISTS"))
            imapc_push(c, IMAPC_EV_EXISTS, NULL, 0)->number = num;
        else if (imapc_is(w, wl, "EXPUNGE"))
            imapc_push(c, IMAPC_EV_EXPUNGE, NULL, 0)->number = num;
        else if (imapc_is(w, wl, "FETCH") && imap_cur_sp(&k))
            imapc_fetch(c, &k, num);
        else
            imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
        return;
    }
    if (!imap_cur_atom(&k, &w, &wl)) {
        imapc_push(c, IMAPC_EV_UNTAGGED, p, n);
        return;
    }
    if (c->state == IMAPC_S_GREETING) {
        if (imapc_is(w, wl, "OK"))
            imapc_enter_state(c, IMAPC_S_NOT_AUTH);
        else if (imapc_is(w, wl, "PREAUTH"))
            imapc_enter_state(c, IMAPC_S_AUTH);
        else if (imapc_is(w, wl, "BYE"))
            imapc_enter_state(c, IMAPC_S_CLOSED);
        else
            imapc_error(c, "unexpected greeting");
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
        if (!imap_cur_nstring(&k, &w, &wl) || !imap_cur_sp(&k) ||
            !imap_cur_astring(&k, &name, &nl) || !imap_cur_eol(&k))
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
        line_sess_write(&c->ss, a->text + from, to - from);
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
    if (!imap_cur_atom(&k, &w, &wl) ||
        !(imapc_is(w, wl, "OK") || imapc_is(w, wl, "NO") || imapc_is(w, wl, "BAD"))) {
        imapc_error(c, "malformed tagged response");
        return;
    }
    struct imapc_action *a = &c->q[c->qhead];
    bool ok = imapc_is(w, wl, "OK");
    c->idling = false; /* a tagged reply ends an IDLE however it ends */
    line_log_note_in(&c->ss.log, a->action, strlen(a->action), 0);
    line_log_note_reply(&c->ss.log, 0, ok ? LINE_F_OK : LINE_F_ERR);
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
