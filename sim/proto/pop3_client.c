/* pop3_client.c -- POP3 client engine (RFC 1939); see pop3_client.h. */
#include "proto/pop3_client.h"

#include "core/common.h"
#include "proto/line_sess.h"
#include "proto/pop3_server.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POP3C_LINE_MAX 4096   /* data lines incl. CRLF (RFC 5322 allows 1000) */
#define POP3C_STATUS_MAX 512  /* status line incl. CRLF, RFC 2449 §4 */
#define POP3C_MAX_MSGS 100000 /* a STAT count above this is refused */
#define POP3C_UID_MAX 70      /* RFC 1939 §7 */
#define POP3C_EVQ 8

static const char *const pop3_client_state_names[POP3_C_COUNT] = {
    [POP3_C_GREETING] = "GREETING", [POP3_C_APOP] = "APOP",     [POP3_C_USER] = "USER",
    [POP3_C_PASS] = "PASS",         [POP3_C_STAT] = "STAT",     [POP3_C_UIDL] = "UIDL",
    [POP3_C_LIST] = "LIST",         [POP3_C_RETR] = "RETR",     [POP3_C_DELE] = "DELE",
    [POP3_C_READY] = "READY",       [POP3_C_NOOP] = "NOOP",     [POP3_C_QUIT] = "QUIT",
    [POP3_C_DONE] = "DONE",         [POP3_C_FAILED] = "FAILED",
};

struct pop3_cqev {
    struct pop3_client_event ev;
    char text[POP3C_STATUS_MAX];
};

struct pop3_client {
    enum pop3_client_state state;
    struct line_sess ss; /* reader, output, events, offsets, session log */
    char *user, *pass;
    bool apop;
    enum pop3_client_mode mode;
    const char *const *known;
    size_t n_known, max_msg;
    /* reply framing */
    bool multi; /* inside a multi-line response */
    /* the maildrop as listed */
    size_t n; /* from STAT */
    char (*uids)[POP3C_UID_MAX + 1];
    size_t *sizes;
    bool *listed;
    size_t cur; /* message being retrieved (0-based) */
    char *body; /* RETR data, unstuffed; grows up to max_msg */
    size_t body_len, body_cap;
    size_t retrieved, deleted;
    bool failed_soft;                      /* a refusal: the session ends with DONE ok=false */
    bool retr_after_dele, retr_again_done; /* the teaching switch, used once */
    bool hold;                             /* READY after the download, not QUIT */
    bool msg_unpulled;
};

static void pop3c_enter_state(struct pop3_client *c, enum pop3_client_state to);
static void pop3c_next_message(struct pop3_client *c);

const char *pop3_client_state_name(enum pop3_client_state s)
{
    return (unsigned)s < POP3_C_COUNT ? pop3_client_state_names[s] : "?";
}

static struct pop3_cqev *pop3c_push(struct pop3_client *c, enum pop3_cev_kind kind)
{
    assert(line_sess_events(&c->ss) < POP3C_EVQ); /* recv stops reading well before */
    struct pop3_cqev *q = line_sess_event(&c->ss, sizeof *q);
    q->ev.kind = kind;
    q->ev.from = q->ev.to = c->state;
    return q;
}

bool pop3_client_event(struct pop3_client *c, struct pop3_client_event *ev)
{
    const struct pop3_cqev *q = line_sess_take(&c->ss, sizeof *q);
    if (!q) return false;
    *ev = q->ev;
    ev->text = q->text;
    if (ev->kind == POP3_CEV_MESSAGE) c->msg_unpulled = false;
    return true;
}

static void pop3c_send(struct pop3_client *c, const char *fmt, ...) MS_PRINTF(2, 3);
static void pop3c_send(struct pop3_client *c, const char *fmt, ...)
{
    char p[POP3C_STATUS_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(p, sizeof p, fmt, ap);
    va_end(ap);
    assert(n > 0 && (size_t)n < sizeof p &&
           (size_t)n <= line_sess_room(&c->ss)); /* cfg was checked */
    if (c->ss.log.on) {
        char verb[LINE_VERB_MAX] = "";
        for (size_t i = 0; i + 1 < sizeof verb && p[i] >= 'A' && p[i] <= 'Z'; i++) verb[i] = p[i];
        line_log_mark_out(&c->ss.log, 0, 0, verb);
    }
    line_sess_write(&c->ss, p, (size_t)n);
}

/* A protocol error: stop at once, without QUIT, so nothing is deleted. */
static void pop3c_fail(struct pop3_client *c, const char *fmt, ...) MS_PRINTF(2, 3);
static void pop3c_fail(struct pop3_client *c, const char *fmt, ...)
{
    if (c->state == POP3_C_FAILED || c->state == POP3_C_DONE) return;
    struct pop3_cqev *q = pop3c_push(c, POP3_CEV_ERROR);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->text, sizeof q->text, fmt, ap);
    va_end(ap);
    q->ev.offset = c->ss.line_off;
    line_sess_out_drop(&c->ss); /* an unsent DELE or QUIT must not go out now */
    pop3c_enter_state(c, POP3_C_FAILED);
    q->ev.to = c->state;
    struct pop3_cqev *d = pop3c_push(c, POP3_CEV_DONE);
    d->ev.ok = false;
    snprintf(d->text, sizeof d->text, "%s", q->text);
}

/* The only place the state changes; entering a state sends its command. */
static void pop3c_enter_state(struct pop3_client *c, enum pop3_client_state to)
{
    line_sess_enter(&c->ss, (int)to, NULL);
    c->state = to;
    switch (to) {
    case POP3_C_USER:
        pop3c_send(c, "USER %s\r\n", c->user);
        break;
    case POP3_C_PASS:
        pop3c_send(c, "PASS %s\r\n", c->pass);
        break;
    case POP3_C_STAT:
        pop3c_send(c, "STAT\r\n");
        break;
    case POP3_C_UIDL:
        pop3c_send(c, "UIDL\r\n");
        break;
    case POP3_C_LIST:
        pop3c_send(c, "LIST\r\n");
        break;
    case POP3_C_RETR:
        pop3c_send(c, "RETR %zu\r\n", c->cur + 1);
        break;
    case POP3_C_DELE:
        pop3c_send(c, "DELE %zu\r\n", c->cur + 1);
        break;
    case POP3_C_NOOP:
        pop3c_send(c, "NOOP\r\n");
        break;
    case POP3_C_QUIT:
        pop3c_send(c, "QUIT\r\n");
        break;
    default:
        break; /* APOP is sent by its caller, the others send nothing */
    }
}

static bool pop3c_known(const struct pop3_client *c, const char *uid)
{
    for (size_t i = 0; i < c->n_known; i++) {
        if (strcmp(c->known[i], uid) == 0) return true;
    }
    return false;
}

/* The download is over: QUIT, or the caller's turn with cfg.hold. */
static void pop3c_downloaded(struct pop3_client *c)
{
    pop3c_enter_state(c, c->hold ? POP3_C_READY : POP3_C_QUIT);
}

/* Move to the next message to fetch, or past the download. */
static void pop3c_next_message(struct pop3_client *c)
{
    while (c->cur < c->n) {
        bool have = c->uids[c->cur][0] && pop3c_known(c, c->uids[c->cur]);
        if (!have) {
            pop3c_enter_state(c, POP3_C_RETR);
            return;
        }
        if (c->mode == POP3_MODE_DELETE) { /* already stored: only delete it */
            pop3c_enter_state(c, POP3_C_DELE);
            return;
        }
        c->cur++;
    }
    pop3c_downloaded(c);
}

/* Parse a decimal with an overflow check; false on anything but digits. */
static bool pop3c_num(const char *p, size_t len, size_t *v)
{
    if (len == 0 || len > 19) return false;
    size_t x = 0;
    for (size_t i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') return false;
        x = x * 10 + (size_t)(p[i] - '0');
    }
    *v = x;
    return true;
}

/* One line of a UIDL or LIST listing: "n value" (RFC 1939 §5, §7). */
static void pop3c_listing_line(struct pop3_client *c, const char *l, size_t len)
{
    const char *sp = memchr(l, ' ', len);
    size_t k;
    if (!sp || !pop3c_num(l, (size_t)(sp - l), &k) || k == 0 || k > c->n) {
        pop3c_fail(c, "malformed %s line", pop3_client_state_name(c->state));
        return;
    }
    const char *v = sp + 1;
    size_t vlen = len - (size_t)(v - l);
    if (c->state == POP3_C_UIDL) {
        if (vlen == 0 || vlen > POP3C_UID_MAX) { /* bad-inputs PC1 */
            pop3c_fail(c, "unique-id of %zu octets in UIDL (1..70 allowed)", vlen);
            return;
        }
        for (size_t i = 0; i < vlen; i++) {
            if (v[i] < 0x21 || v[i] > 0x7e) {
                pop3c_fail(c, "unique-id with a non-printable byte in UIDL");
                return;
            }
        }
        memcpy(c->uids[k - 1], v, vlen);
        c->uids[k - 1][vlen] = '\0';
    } else {
        size_t sz;
        if (!pop3c_num(v, vlen, &sz) || sz > c->max_msg) {
            pop3c_fail(c, "message size in LIST too large or malformed");
            return;
        }
        c->sizes[k - 1] = sz;
        c->listed[k - 1] = true;
    }
}

/* A data line of RETR: undo byte-stuffing (RFC 1939 §3). */
static void pop3c_data_line(struct pop3_client *c, const char *l, size_t len)
{
    if (len > 0 && l[0] == '.') {
        l++;
        len--;
    }
    if (c->body_len + len + 2 > c->max_msg) {
        pop3c_fail(c, "message %zu larger than %zu octets", c->cur + 1, c->max_msg);
        return;
    }
    if (c->body_len + len + 2 > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < c->body_len + len + 2) cap *= 2;
        if (cap > c->max_msg) cap = c->max_msg;
        c->body = ms_xrealloc(c->body, cap);
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, l, len);
    memcpy(c->body + c->body_len + len, "\r\n", 2);
    c->body_len += len + 2;
}

/* The end of a multi-line response. */
static void pop3c_multi_end(struct pop3_client *c)
{
    c->multi = false;
    if (c->state == POP3_C_UIDL) {
        pop3c_enter_state(c, POP3_C_LIST);
    } else if (c->state == POP3_C_LIST) {
        c->cur = 0;
        pop3c_next_message(c);
    } else if (c->state == POP3_C_RETR) {
        struct pop3_cqev *q = pop3c_push(c, POP3_CEV_MESSAGE);
        q->ev.msgno = c->cur + 1;
        q->ev.uid = c->uids[c->cur];
        q->ev.data = c->body;
        q->ev.len = c->body_len;
        c->msg_unpulled = true;
        c->retrieved++;
        if (c->mode == POP3_MODE_DELETE) {
            pop3c_enter_state(c, POP3_C_DELE);
        } else {
            c->cur++;
            pop3c_next_message(c);
        }
    }
}

/* A status line: "+OK[ text]" or "-ERR[ text]" (RFC 1939 §3). */
static void pop3c_status(struct pop3_client *c, const char *l, size_t len)
{
    bool ok;
    size_t skip;
    if (len >= 3 && memcmp(l, "+OK", 3) == 0 && (len == 3 || l[3] == ' ')) {
        ok = true;
        skip = 3;
    } else if (len >= 4 && memcmp(l, "-ERR", 4) == 0 && (len == 4 || l[4] == ' ')) {
        ok = false;
        skip = 4;
    } else {
        pop3c_fail(c, "malformed status line in state %s", pop3_client_state_name(c->state));
        return;
    }
    if (len + 2 > POP3C_STATUS_MAX) {
        pop3c_fail(c, "status line longer than 512 octets");
        return;
    }
    const char *text = l + skip + (len > skip ? 1 : 0);
    size_t tlen = len - (size_t)(text - l);
    enum pop3_client_state from = c->state;
    struct pop3_cqev *q = pop3c_push(c, POP3_CEV_REPLY);
    q->ev.ok = ok;
    snprintf(q->text, sizeof q->text, "%.*s", (int)tlen, text);
    switch (c->state) {
    case POP3_C_GREETING:
        if (!ok) {
            pop3c_fail(c, "server refused the session: %.400s", q->text);
            break;
        }
        {
            /* RFC 1939 §7: the APOP timestamp is the "<...>" in the greeting. */
            const char *lt = memchr(text, '<', tlen);
            const char *gt = lt ? memchr(lt, '>', tlen - (size_t)(lt - text)) : NULL;
            if (c->apop && gt) {
                char ts[POP3C_STATUS_MAX], dig[33];
                snprintf(ts, sizeof ts, "%.*s", (int)(gt - lt + 1), lt);
                pop3_apop_digest(ts, c->pass, dig);
                pop3c_enter_state(c, POP3_C_APOP);
                pop3c_send(c, "APOP %s %s\r\n", c->user, dig);
            } else {
                pop3c_enter_state(c, POP3_C_USER);
            }
        }
        break;
    case POP3_C_USER:
    case POP3_C_PASS:
    case POP3_C_APOP:
        if (!ok) {
            c->failed_soft = true;
            struct pop3_cqev *e = pop3c_push(c, POP3_CEV_ERROR);
            snprintf(e->text, sizeof e->text, "login refused: %.400s", q->text);
            pop3c_enter_state(c, POP3_C_QUIT);
        } else {
            pop3c_enter_state(c, c->state == POP3_C_USER ? POP3_C_PASS : POP3_C_STAT);
        }
        break;
    case POP3_C_STAT: {
        const char *sp = ok ? memchr(text, ' ', tlen) : NULL;
        size_t n, oct;
        if (!sp || !pop3c_num(text, (size_t)(sp - text), &n) ||
            !pop3c_num(sp + 1, tlen - (size_t)(sp + 1 - text), &oct)) {
            pop3c_fail(c, "malformed STAT reply");
            break;
        }
        if (n > POP3C_MAX_MSGS) {
            pop3c_fail(c, "STAT count %zu over the limit of %d", n, POP3C_MAX_MSGS);
            break;
        }
        c->n = n;
        c->uids = ms_xcalloc(n ? n : 1, sizeof *c->uids);
        c->sizes = ms_xcalloc(n ? n : 1, sizeof *c->sizes);
        c->listed = ms_xcalloc(n ? n : 1, sizeof *c->listed);
        if (n)
            pop3c_enter_state(c, POP3_C_UIDL);
        else
            pop3c_downloaded(c);
        break;
    }
    case POP3_C_UIDL:
        if (ok) {
            c->multi = true;
        } else {
            pop3c_enter_state(c, POP3_C_LIST); /* no UIDL: fetch everything */
        }
        break;
    case POP3_C_LIST:
        if (!ok) {
            pop3c_fail(c, "LIST refused: %.400s", q->text);
            break;
        }
        c->multi = true;
        break;
    case POP3_C_RETR:
        if (ok) {
            c->multi = true;
            c->body_len = 0;
        } else { /* skip it; it stays on the server */
            c->cur++;
            pop3c_next_message(c);
        }
        break;
    case POP3_C_DELE:
        if (ok) c->deleted++;
        if (ok && c->retr_after_dele && !c->retr_again_done) {
            c->retr_again_done = true; /* RETR the same number: -ERR (§5) */
            pop3c_enter_state(c, POP3_C_RETR);
            break;
        }
        c->cur++;
        pop3c_next_message(c);
        break;
    case POP3_C_NOOP:
        /* §5: NOOP has only +OK; anything else is the server's own. */
        pop3c_enter_state(c, POP3_C_READY);
        break;
    case POP3_C_QUIT: {
        pop3c_enter_state(c, POP3_C_DONE);
        struct pop3_cqev *d = pop3c_push(c, POP3_CEV_DONE);
        d->ev.from = POP3_C_QUIT;
        d->ev.ok = ok && !c->failed_soft;
        snprintf(d->text, sizeof d->text, "%s", ok ? "signed off" : "QUIT refused");
        break;
    }
    default:
        pop3c_fail(c, "unexpected reply");
        break;
    }
    q->ev.from = from;
    q->ev.to = c->state;
}

struct pop3_client *pop3_client_new(const struct pop3_client_cfg *cfg)
{
    const char *fields[2] = {cfg->user, cfg->pass};
    size_t caps[2] = {40, 200};
    for (int f = 0; f < 2; f++) {
        const char *p = fields[f];
        if (!p || !*p || strlen(p) > caps[f]) return NULL;
        for (; *p; p++) {
            if (*p < 0x20 || *p > 0x7e || (f == 0 && *p == ' ')) return NULL;
        }
    }
    struct pop3_client *c = ms_xcalloc(1, sizeof *c);
    const struct line_sess_cfg sc = {
        .line_max = POP3C_LINE_MAX,
        .out_init = POP3C_STATUS_MAX,
        .out_max = POP3C_STATUS_MAX,
        .ev_size = sizeof(struct pop3_cqev),
        .ev_cap = POP3C_EVQ,
        .state_names = pop3_client_state_names,
        .n_states = POP3_C_COUNT,
        .initial = POP3_C_GREETING,
    };
    line_sess_init(&c->ss, &sc);
    c->user = ms_xstrdup(cfg->user);
    c->pass = ms_xstrdup(cfg->pass);
    c->apop = cfg->apop;
    c->mode = cfg->mode;
    c->retr_after_dele = cfg->retr_after_dele;
    c->hold = cfg->hold;
    c->known = cfg->known_uids;
    c->n_known = cfg->known_uids ? cfg->n_known : 0;
    c->max_msg = cfg->max_msg_bytes ? cfg->max_msg_bytes : 10u * 1024 * 1024;
    c->state = POP3_C_GREETING;
    return c;
}

void pop3_client_free(struct pop3_client *c)
{
    if (!c) return;
    line_sess_free(&c->ss);
    free(c->user);
    free(c->pass);
    free(c->uids);
    free(c->sizes);
    free(c->listed);
    free(c->body);
    free(c);
}

static bool pop3c_can_read(void *eng)
{
    const struct pop3_client *c = eng;
    return !(c->state == POP3_C_DONE || c->state == POP3_C_FAILED || c->msg_unpulled ||
             line_sess_events(&c->ss) > POP3C_EVQ - 4);
}

/* One line of a reply; errors point at its first byte (ss.line_off). */
static void pop3c_line(void *eng, enum line_status st, const char *l, size_t n, bool more)
{
    struct pop3_client *c = eng;
    (void)more;
    if (st == LINE_TOO_LONG) {
        pop3c_fail(c, "line longer than %d octets", POP3C_LINE_MAX);
        return;
    }
    if (!c->multi)
        line_log_note_reply(&c->ss.log, 0,
                            n >= 3 && memcmp(l, "+OK", 3) == 0 ? LINE_F_OK : LINE_F_ERR);
    else
        line_log_note_reply(&c->ss.log, 0,
                            LINE_F_CONT | (c->state == POP3_C_RETR ? LINE_F_DATA : 0));
    if (!c->multi) {
        pop3c_status(c, l, n);
    } else if (n == 1 && l[0] == '.') {
        pop3c_multi_end(c);
    } else if (c->state == POP3_C_RETR) {
        pop3c_data_line(c, l, n);
    } else {
        pop3c_listing_line(c, l, n);
    }
}

static const struct line_proto pop3c_proto = {pop3c_can_read, NULL, pop3c_line};

size_t pop3_client_recv(struct pop3_client *c, const char *in, size_t len)
{
    size_t i = line_sess_recv(&c->ss, &pop3c_proto, c, in, len);
    line_log_settle(&c->ss.log);
    return i;
}

size_t pop3_client_out(struct pop3_client *c, const char **out)
{
    return line_sess_out(&c->ss, out);
}

void pop3_client_out_done(struct pop3_client *c, size_t n)
{
    assert(n <= line_sess_pending(&c->ss));
    line_sess_out_done(&c->ss, n);
}

struct line_log *pop3_client_log(struct pop3_client *c)
{
    return line_sess_log(&c->ss);
}

void pop3_client_closed(struct pop3_client *c)
{
    if (c->multi) {
        pop3c_fail(c, "connection closed before the end of the multi-line response");
    } else {
        pop3c_fail(c, "connection closed by the server in state %s",
                   pop3_client_state_name(c->state));
    }
    line_log_settle(&c->ss.log);
}

void pop3_client_timeout(struct pop3_client *c)
{
    pop3c_fail(c, "no reply from the server in state %s", pop3_client_state_name(c->state));
    line_log_settle(&c->ss.log);
}

bool pop3_client_noop(struct pop3_client *c)
{
    if (c->state != POP3_C_READY) return false;
    pop3c_enter_state(c, POP3_C_NOOP);
    line_log_settle(&c->ss.log);
    return true;
}

bool pop3_client_quit(struct pop3_client *c)
{
    if (c->state != POP3_C_READY) return false;
    pop3c_enter_state(c, POP3_C_QUIT);
    line_log_settle(&c->ss.log);
    return true;
}

enum pop3_client_state pop3_client_state(const struct pop3_client *c)
{
    return c->state;
}

size_t pop3_client_retrieved(const struct pop3_client *c)
{
    return c->retrieved;
}

size_t pop3_client_deleted(const struct pop3_client *c)
{
    return c->deleted;
}
