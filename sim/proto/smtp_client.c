/* smtp_client.c -- RFC 5321 client engine (see smtp_client.h).
 *
 * Shape (OpenSMTPD smtp_client.c, curl smtp.c): entering a state emits its
 * command; each complete reply is handled by one switch on the state.
 * Commands and message data go through one bounded output buffer that is
 * refilled by clt_pump() as the caller drains it. State changes only in
 * clt_enter_state(). */
#include "proto/smtp_client.h"

#include "format/base64.h"
#include "proto/line_sess.h"
#include "proto/smtp_dot.h"
#include "proto/smtp_syntax.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLT_REPLY_MAX 4096 /* a whole multi-line reply (C1) */
#define CLT_REPLY_LINES 64
#define CLT_NOTE_MAX 256

enum clt_rcpt { CLT_R_PENDING, CLT_R_ACCEPTED, CLT_R_DECIDED };

struct clt_txn {
    struct smtp_client_txn t;
    bool eightbit;
    uint64_t seq;
};

struct smtp_client {
    struct smtp_client_cfg cfg;
    char *helo_name, *user, *pass;
    enum smtp_client_state st, step_before;
    struct line_sess ss; /* reader, output, events, session log */

    char reply[CLT_REPLY_MAX];
    size_t reply_len;
    int reply_code;
    unsigned reply_lines;
    bool reply_taken;        /* this call handled a whole reply (or failed): read no more */
    char note[CLT_NOTE_MAX]; /* text of a local decision */

    /* the output is never compacted during a step: COMMAND events point into it */
    uint64_t out_abs_written, out_abs_sent;

    size_t step_ev0; /* events already queued when the step began */

    /* what the server offered after EHLO */
    bool s_pipelining, s_8bit, s_size, s_plain, s_login, s_starttls;
    bool tls;       /* 220 to STARTTLS: the rest of the session is inside TLS */
    bool tls_tried; /* STARTTLS was refused: go on in clear (opportunistic) */
    uint64_t s_size_max;

    struct clt_txn *q; /* ring of queued transactions */
    size_t q_cap, q_head, q_n;
    uint64_t seq_next;
    bool quit_requested;

    /* the current transaction */
    struct clt_txn cur;
    bool have_cur;
    uint8_t *rst; /* enum clt_rcpt per recipient */
    size_t rst_cap;
    size_t counts[SMTP_OUT_COUNT];
    bool mail_ok, pipelined, dummy_dot;
    size_t reply_idx, cmd_next, cmd_limit, accepted;
    struct smtp_dot_enc enc;
    uint64_t data_start_abs, dot_end_abs;

    char single[SMTP_CMD_LINE_MAX]; /* a lone command waiting for room */
    size_t single_len;
    bool single_pending;
    int auth_step;
};

static void clt_enter_state(struct smtp_client *c, enum smtp_client_state st);
static void clt_step_begin(struct smtp_client *c);
static void clt_step_end(struct smtp_client *c);
static struct smtp_cevent *clt_event(struct smtp_client *c, enum smtp_cevent_kind k);
static void clt_pump(struct smtp_client *c);
static void clt_next(struct smtp_client *c);
static void clt_send_single(struct smtp_client *c, enum smtp_client_state st, const char *fmt, ...)
    MS_PRINTF(3, 4);
static void clt_on_reply(struct smtp_client *c);
static void clt_fail_all(struct smtp_client *c, int code, const char *text, size_t tl, bool lost);
static void clt_finish(struct smtp_client *c, bool ok, const char *text, size_t tl);
static void clt_protocol_error(struct smtp_client *c, const char *why);

static const char clt_unknown_text[] =
    "connection lost after the final dot, before the reply: the message may have arrived (RFC 5321 6.1)";
static const char clt_noreply_text[] = "transaction ended without a reply";

static const char *const smtp_client_state_names[SMTP_CS_COUNT] = {
    [SMTP_CS_GREETING] = "GREETING", [SMTP_CS_EHLO] = "EHLO", [SMTP_CS_HELO] = "HELO",
    [SMTP_CS_STARTTLS] = "STARTTLS", [SMTP_CS_AUTH] = "AUTH", [SMTP_CS_READY] = "READY",
    [SMTP_CS_MAIL] = "MAIL",         [SMTP_CS_RCPT] = "RCPT", [SMTP_CS_DATA] = "DATA",
    [SMTP_CS_BODY] = "BODY",         [SMTP_CS_DOT] = "DOT",   [SMTP_CS_RSET] = "RSET",
    [SMTP_CS_QUIT] = "QUIT",         [SMTP_CS_DONE] = "DONE",
};

static const char *const smtp_cevent_kind_names[SMTP_CEV_COUNT] = {
    [SMTP_CEV_COMMAND] = "COMMAND",   [SMTP_CEV_DATA_SENT] = "DATA_SENT",
    [SMTP_CEV_REPLY] = "REPLY",       [SMTP_CEV_RCPT_OUTCOME] = "RCPT_OUTCOME",
    [SMTP_CEV_TXN_DONE] = "TXN_DONE", [SMTP_CEV_SESSION_DONE] = "SESSION_DONE",
};

static const char *const smtp_outcome_names[SMTP_OUT_COUNT] = {
    [SMTP_OUT_DELIVERED] = "delivered",
    [SMTP_OUT_TEMPFAIL] = "temporary failure",
    [SMTP_OUT_PERMFAIL] = "permanent failure",
    [SMTP_OUT_UNKNOWN] = "unknown (lost after the final dot)",
};

const char *smtp_client_state_name(enum smtp_client_state st)
{
    return (unsigned)st < SMTP_CS_COUNT ? smtp_client_state_names[st] : "?";
}

const char *smtp_cevent_kind_name(enum smtp_cevent_kind k)
{
    return (unsigned)k < SMTP_CEV_COUNT ? smtp_cevent_kind_names[k] : "?";
}

const char *smtp_outcome_name(enum smtp_outcome o)
{
    return (unsigned)o < SMTP_OUT_COUNT ? smtp_outcome_names[o] : "?";
}

static const char *const smtp_tls_mode_names[SMTP_TLS_MODE_COUNT] = {
    [SMTP_TLS_OFF] = "off",
    [SMTP_TLS_OPPORTUNISTIC] = "opportunistic",
    [SMTP_TLS_REQUIRED] = "required",
};

const char *smtp_tls_mode_name(enum smtp_tls_mode m)
{
    return (unsigned)m < SMTP_TLS_MODE_COUNT ? smtp_tls_mode_names[m] : "?";
}

void smtp_client_cfg_default(struct smtp_client_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->helo_name = "client.example.org";
    cfg->to.initial = 5 * SIM_US_PER_MIN;
    cfg->to.mail = 5 * SIM_US_PER_MIN;
    cfg->to.rcpt = 5 * SIM_US_PER_MIN;
    cfg->to.data_init = 2 * SIM_US_PER_MIN;
    cfg->to.data_block = 3 * SIM_US_PER_MIN;
    cfg->to.data_term = 10 * SIM_US_PER_MIN;
    cfg->to.other = 5 * SIM_US_PER_MIN;
}

/* ---- life cycle ------------------------------------------------------------ */

struct smtp_client *smtp_client_new(const struct smtp_client_cfg *cfg)
{
    struct smtp_client *c = ms_xcalloc(1, sizeof *c);
    c->cfg = *cfg;
    const char *hn = cfg->helo_name ? cfg->helo_name : "client.example.org";
    c->helo_name =
        smtp_domain_valid(hn, strlen(hn)) ? ms_xstrdup(hn) : ms_xstrdup("client.invalid");
    c->user = ms_xstrdup(cfg->auth_user ? cfg->auth_user : "");
    c->pass = ms_xstrdup(cfg->auth_pass ? cfg->auth_pass : "");
    size_t out_max = cfg->out_max ? cfg->out_max : 16 * 1024;
    if (out_max < 2048) out_max = 2048;
    c->st = c->step_before = SMTP_CS_GREETING;
    /* Events grow with a transaction's recipients; the ring doubles then. */
    const struct line_sess_cfg sc = {
        .line_max = SMTP_REPLY_LINE_MAX,
        .out_init = out_max,
        .out_max = out_max,
        .ev_size = sizeof(struct smtp_cevent),
        .ev_cap = 32,
        .state_names = smtp_client_state_names,
        .n_states = SMTP_CS_COUNT,
        .initial = SMTP_CS_GREETING,
    };
    line_sess_init(&c->ss, &sc);
    return c;
}

void smtp_client_free(struct smtp_client *c)
{
    if (!c) return;
    line_sess_free(&c->ss);
    free(c->q);
    free(c->rst);
    free(c->helo_name);
    free(c->user);
    if (c->pass) memset(c->pass, 0, strlen(c->pass));
    free(c->pass);
    free(c);
}

struct line_log *smtp_client_log(struct smtp_client *c)
{
    return line_sess_log(&c->ss);
}

enum smtp_client_state smtp_client_state(const struct smtp_client *c)
{
    return c->st;
}

bool smtp_client_tls_active(const struct smtp_client *c)
{
    return c->tls;
}

bool smtp_client_done(const struct smtp_client *c)
{
    return c->st == SMTP_CS_DONE;
}

/* ---- events and output ------------------------------------------------------- */

/* The only place the state changes; the session log reports it. */
static void clt_enter_state(struct smtp_client *c, enum smtp_client_state st)
{
    line_sess_enter(&c->ss, (int)st, NULL);
    c->st = st;
}

static struct smtp_cevent *clt_event(struct smtp_client *c, enum smtp_cevent_kind k)
{
    /* The ring grows only while a session meets bigger transactions than before. */
    struct smtp_cevent *e = line_sess_event(&c->ss, sizeof *e);
    e->kind = k;
    e->before = c->step_before;
    e->after = c->st;
    if (c->have_cur) {
        e->txn_seq = c->cur.seq;
        e->user = c->cur.t.user;
    }
    return e;
}

/* A step is one public call; its events get the state at its end. */
static void clt_step_begin(struct smtp_client *c)
{
    c->step_before = c->st;
    c->step_ev0 = line_sess_events(&c->ss);
}

static void clt_step_end(struct smtp_client *c)
{
    size_t n = line_sess_events(&c->ss);
    for (size_t i = c->step_ev0; i < n; i++)
        ((struct smtp_cevent *)line_sess_event_at(&c->ss, i, sizeof(struct smtp_cevent)))->after =
            c->st;
    c->step_ev0 = n;
    line_log_settle(&c->ss.log);
}

bool smtp_client_event(struct smtp_client *c, struct smtp_cevent *ev)
{
    const struct smtp_cevent *e = line_sess_pop(&c->ss);
    if (!e) return false;
    *ev = *e;
    return true;
}

size_t smtp_client_out(const struct smtp_client *c, const char **out)
{
    return line_sess_out(&c->ss, out);
}

void smtp_client_out_done(struct smtp_client *c, size_t n)
{
    assert(n <= line_sess_pending(&c->ss));
    c->out_abs_sent += n;
    line_sess_sent(&c->ss, n);
    if (c->ss.out_head >= c->ss.out_max / 2) line_sess_compact(&c->ss);
    clt_step_begin(c);
    clt_pump(c);
    clt_step_end(c);
}

static size_t clt_room(const struct smtp_client *c)
{
    return line_sess_tail_room(&c->ss);
}

/* Write one command line plus CRLF and report it. Caller checked room. */
static void clt_write_line(struct smtp_client *c, const char *p, size_t n)
{
    size_t room;
    char *dst = line_sess_reserve(&c->ss, n + 2, &room);
    assert(room == n + 2);
    memcpy(dst, p, n);
    dst[n] = '\r';
    dst[n + 1] = '\n';
    if (c->ss.log.on) {
        size_t vl = 0; /* the verb: a word of letters; none for a SASL response */
        while (vl < n && vl < 8 &&
               ((p[vl] >= 'A' && p[vl] <= 'Z') || (p[vl] >= 'a' && p[vl] <= 'z')))
            vl++;
        char verb[LINE_VERB_MAX] = "";
        if (vl >= 4 && (vl == n || p[vl] == ' ')) memcpy(verb, p, vl);
        line_log_mark_out(&c->ss.log, 0, 0, verb);
    }
    line_sess_commit(&c->ss, n + 2);
    c->out_abs_written += n + 2;
    struct smtp_cevent *e = clt_event(c, SMTP_CEV_COMMAND);
    e->text = dst;
    e->text_len = n;
}

static size_t clt_msg_size(const struct smtp_client_txn *t)
{
    bool crlf =
        t->body_len >= 2 && t->body[t->body_len - 2] == '\r' && t->body[t->body_len - 1] == '\n';
    return t->body_len + (t->body_len > 0 && !crlf ? 2 : 0);
}

/* Build command idx of the transaction: 0 MAIL, 1..n RCPT, n+1 DATA. */
static size_t clt_build_cmd(struct smtp_client *c, size_t idx, char *buf, size_t cap)
{
    const struct smtp_client_txn *t = &c->cur.t;
    if (idx > 0 && idx <= t->nrcpt) {
        /* the hot path: "RCPT TO:<addr>" without printf */
        size_t al = strlen(t->rcpts[idx - 1]);
        if (al + 11 > cap) al = cap - 11;
        memcpy(buf, "RCPT TO:<", 9);
        memcpy(buf + 9, t->rcpts[idx - 1], al);
        buf[9 + al] = '>';
        return al + 10;
    }
    if (idx == 0) {
        /* "MAIL FROM:<rp>[ SIZE=n][ BODY=8BITMIME]" without printf */
        size_t rl = strlen(t->reverse_path), o = 0;
        if (rl > SMTP_PATH_MAX) rl = SMTP_PATH_MAX;
        memcpy(buf, "MAIL FROM:<", 11);
        o = 11;
        memcpy(buf + o, t->reverse_path, rl);
        o += rl;
        buf[o++] = '>';
        if (c->s_size) {
            char digits[24];
            size_t v = clt_msg_size(t), nd = 0;
            do {
                digits[nd++] = (char)('0' + v % 10);
                v /= 10;
            } while (v);
            memcpy(buf + o, " SIZE=", 6);
            o += 6;
            while (nd) buf[o++] = digits[--nd];
        }
        /* RFC 6152 §3: BODY=8BITMIME only for 8-bit content the server accepts. */
        if (c->cur.eightbit) {
            memcpy(buf + o, " BODY=8BITMIME", 14);
            o += 14;
        }
        (void)cap;
        return o;
    }
    memcpy(buf, "DATA", 4);
    return 4;
}

static void clt_pump(struct smtp_client *c)
{
    if (c->st == SMTP_CS_DONE) return;
    if (c->single_pending) {
        if (clt_room(c) < c->single_len + 2) return;
        clt_write_line(c, c->single, c->single_len);
        c->single_pending = false;
    }
    while (c->have_cur && c->cmd_next < c->cmd_limit && clt_room(c) >= SMTP_CMD_LINE_MAX) {
        char buf[SMTP_CMD_LINE_MAX];
        size_t n = clt_build_cmd(c, c->cmd_next++, buf, sizeof buf - 2);
        clt_write_line(c, buf, n);
    }
    if (c->st == SMTP_CS_BODY) {
        size_t room;
        char *dst = line_sess_reserve(&c->ss, clt_room(c), &room);
        size_t n = smtp_dot_enc_run(&c->enc, dst, room);
        line_log_mark_out(&c->ss.log, LINE_F_DATA, 0, "");
        line_sess_commit(&c->ss, n);
        c->out_abs_written += n;
        if (smtp_dot_enc_done(&c->enc)) {
            c->dot_end_abs = c->out_abs_written;
            clt_enter_state(c, SMTP_CS_DOT);
            struct smtp_cevent *e = clt_event(c, SMTP_CEV_DATA_SENT);
            e->bytes = (size_t)(c->dot_end_abs - c->data_start_abs);
        }
    }
}

static void clt_send_single(struct smtp_client *c, enum smtp_client_state st, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(c->single, sizeof c->single - 2, fmt, ap);
    va_end(ap);
    c->single_len = n < 0 ? 0 : (size_t)n > sizeof c->single - 3 ? sizeof c->single - 3 : (size_t)n;
    c->single_pending = true;
    clt_enter_state(c, st);
    clt_pump(c);
}

/* ---- outcomes ------------------------------------------------------------ */

static enum smtp_outcome clt_class(int code)
{
    if (code / 100 == 2) return SMTP_OUT_DELIVERED;
    if (code / 100 == 5) return SMTP_OUT_PERMFAIL;
    return SMTP_OUT_TEMPFAIL; /* 4xx, local decisions, anything unexpected */
}

static void clt_outcome(struct smtp_client *c, size_t i, enum smtp_outcome o, int code,
                        const char *text, size_t tl)
{
    if (c->rst[i] == CLT_R_DECIDED) return;
    c->rst[i] = CLT_R_DECIDED;
    c->counts[o]++;
    struct smtp_cevent *e = clt_event(c, SMTP_CEV_RCPT_OUTCOME);
    e->rcpt_index = i;
    e->rcpt = c->cur.t.rcpts[i];
    e->outcome = o;
    e->code = code;
    e->text = text;
    e->text_len = tl;
}

/* Give every recipient of the current transaction in state `which` (or all
 * undecided ones when which == CLT_R_DECIDED) the outcome. */
static void clt_outcome_all(struct smtp_client *c, int which, enum smtp_outcome o, int code,
                            const char *text, size_t tl)
{
    for (size_t i = 0; i < c->cur.t.nrcpt; i++) {
        if (which == CLT_R_DECIDED ? c->rst[i] != CLT_R_DECIDED : c->rst[i] == which) {
            clt_outcome(c, i, o, code, text, tl);
        }
    }
}

static void clt_txn_done(struct smtp_client *c)
{
    if (!c->have_cur) return;
    clt_outcome_all(c, CLT_R_DECIDED, SMTP_OUT_TEMPFAIL, 0, clt_noreply_text,
                    strlen(clt_noreply_text));
    struct smtp_cevent *e = clt_event(c, SMTP_CEV_TXN_DONE);
    memcpy(e->counts, c->counts, sizeof e->counts);
    c->have_cur = false;
    c->cmd_next = c->cmd_limit = 0;
}

/* Take the next queued transaction as current. */
static void clt_take(struct smtp_client *c)
{
    c->cur = c->q[c->q_head];
    c->q_head = (c->q_head + 1) % c->q_cap;
    c->q_n--;
    c->have_cur = true;
    if (c->cur.t.nrcpt > c->rst_cap) {
        c->rst_cap = c->cur.t.nrcpt;
        c->rst = ms_xrealloc(c->rst, c->rst_cap);
    }
    memset(c->rst, CLT_R_PENDING, c->cur.t.nrcpt);
    memset(c->counts, 0, sizeof c->counts);
    c->mail_ok = c->dummy_dot = false;
    c->reply_idx = c->cmd_next = c->cmd_limit = c->accepted = 0;
}

static void clt_fail_all(struct smtp_client *c, int code, const char *text, size_t tl, bool lost)
{
    enum smtp_outcome o = code ? clt_class(code) : SMTP_OUT_TEMPFAIL;
    if (o == SMTP_OUT_DELIVERED) o = SMTP_OUT_TEMPFAIL;
    if (c->have_cur) {
        if (lost && c->st == SMTP_CS_DOT && !c->dummy_dot && c->out_abs_sent >= c->dot_end_abs) {
            /* §6.1 and §4.5.3.2.6: the server may have taken responsibility. */
            clt_outcome_all(c, CLT_R_ACCEPTED, SMTP_OUT_UNKNOWN, 0, clt_unknown_text,
                            strlen(clt_unknown_text));
        }
        clt_outcome_all(c, CLT_R_DECIDED, o, code, text, tl);
        clt_txn_done(c);
    }
    while (c->q_n > 0) {
        clt_take(c);
        clt_outcome_all(c, CLT_R_DECIDED, o, code, text, tl);
        clt_txn_done(c);
    }
}

static void clt_finish(struct smtp_client *c, bool ok, const char *text, size_t tl)
{
    c->single_pending = false;
    clt_enter_state(c, SMTP_CS_DONE);
    struct smtp_cevent *e = clt_event(c, SMTP_CEV_SESSION_DONE);
    e->ok = ok;
    e->text = text;
    e->text_len = tl;
    e->code = ok ? c->reply_code : 0;
}

static void clt_protocol_error(struct smtp_client *c, const char *why)
{
    snprintf(c->note, sizeof c->note, "protocol error: %s", why);
    /* C1: close and requeue; after the final dot the outcome is unknown. */
    clt_fail_all(c, 0, c->note, strlen(c->note), true);
    clt_finish(c, false, c->note, strlen(c->note));
}

/* ---- transactions ---------------------------------------------------------- */

static bool clt_err(struct ms_error *err, const char *fmt, ...) MS_PRINTF(2, 3);

static bool clt_err(struct ms_error *err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    ms_error_vset(err, 1, "smtp_client_add", fmt, ap);
    va_end(ap);
    return false;
}

static bool clt_addr_ok(const char *a, bool rcpt, struct ms_error *err, const char *what)
{
    char buf[SMTP_PATH_MAX + 8];
    size_t al = strlen(a);
    if (al > SMTP_PATH_MAX) return clt_err(err, "%s: path longer than 256 octets", what);
    buf[0] = '<';
    memcpy(buf + 1, a, al);
    buf[al + 1] = '>';
    struct smtp_path p;
    size_t used;
    enum smtp_syntax_err e = smtp_parse_path(buf, al + 2, !rcpt, rcpt, &p, &used);
    if (e == SMTP_SYN_OK && used != al + 2) e = SMTP_SYN_NO_BRACKET;
    if (e != SMTP_SYN_OK) return clt_err(err, "%s \"%.60s\": %s", what, a, smtp_syntax_strerror(e));
    return true;
}

bool smtp_client_add(struct smtp_client *c, const struct smtp_client_txn *t, struct ms_error *err)
{
    if (c->st == SMTP_CS_DONE || c->st == SMTP_CS_QUIT || c->quit_requested) {
        return clt_err(err, "the session is over; open a new connection");
    }
    if (t->nrcpt == 0) return clt_err(err, "a transaction needs at least one recipient");
    if (!clt_addr_ok(t->reverse_path ? t->reverse_path : "", false, err, "reverse path"))
        return false;
    for (size_t i = 0; i < t->nrcpt; i++) {
        if (!clt_addr_ok(t->rcpts[i], true, err, "recipient")) return false;
    }
    /* C6: a client never sends bare CR/LF or NUL (the outbound half of
     * smuggling), nor lines over 1000 octets (§4.5.3.1.6). */
    bool eightbit = false;
    size_t line = 1, line_len = 0;
    for (size_t i = 0; i < t->body_len;) {
        size_t run = smtp_dot_plain_len(t->body + i, t->body_len - i);
        i += run;
        line_len += run;
        if (i >= t->body_len) break;
        unsigned char b = (unsigned char)t->body[i];
        if (b == '\r') {
            if (i + 1 >= t->body_len || t->body[i + 1] != '\n') {
                return clt_err(err, "message line %zu has a bare CR; only CRLF may end a line",
                               line);
            }
            if (line_len + 2 > SMTP_TEXT_LINE_MAX) {
                return clt_err(err, "message line %zu is %zu octets; the limit is 1000 with CRLF",
                               line, line_len + 2);
            }
            i += 2;
            line++;
            line_len = 0;
            continue;
        }
        if (b == '\n' && c->cfg.unsafe_allow_bare_lf) {
            line_len++;
            i++;
            continue;
        }
        if (b == '\n')
            return clt_err(err, "message line %zu has a bare LF; only CRLF may end a line", line);
        if (b == 0) return clt_err(err, "message line %zu has a NUL byte", line);
        eightbit = true; /* b & 0x80 */
        line_len++;
        i++;
    }
    if (line_len + 2 > SMTP_TEXT_LINE_MAX) {
        return clt_err(err, "message line %zu is %zu octets; the limit is 1000 with CRLF", line,
                       line_len + 2);
    }
    if (c->q_n == c->q_cap) {
        size_t ncap = c->q_cap ? c->q_cap * 2 : 4;
        struct clt_txn *nq = ms_xcalloc(ncap, sizeof *nq);
        for (size_t i = 0; i < c->q_n; i++) nq[i] = c->q[(c->q_head + i) % c->q_cap];
        free(c->q);
        c->q = nq;
        c->q_cap = ncap;
        c->q_head = 0;
    }
    struct clt_txn *slot = &c->q[(c->q_head + c->q_n++) % c->q_cap];
    slot->t = *t;
    if (!slot->t.reverse_path) slot->t.reverse_path = "";
    slot->eightbit = eightbit;
    slot->seq = c->seq_next++;
    if (c->st == SMTP_CS_READY && !c->have_cur) {
        clt_step_begin(c);
        clt_next(c);
        clt_step_end(c);
    }
    return true;
}

void smtp_client_quit(struct smtp_client *c)
{
    c->quit_requested = true;
    if (c->st == SMTP_CS_READY && !c->have_cur) {
        clt_step_begin(c);
        clt_next(c);
        clt_step_end(c);
    }
}

/* Start the next transaction, QUIT, or idle. */
static void clt_next(struct smtp_client *c)
{
    while (c->q_n > 0) {
        clt_take(c);
        const struct smtp_client_txn *t = &c->cur.t;
        if (c->cur.eightbit && !c->s_8bit) {
            /* RFC 6152 / RFC 5321 §2.4: never send unnegotiated 8-bit data. */
            snprintf(c->note, sizeof c->note,
                     "the message has 8-bit octets but the server does not offer 8BITMIME "
                     "(SMTP carries 7-bit ASCII; encode it as base64 or quoted-printable)");
            clt_outcome_all(c, CLT_R_DECIDED, SMTP_OUT_PERMFAIL, 0, c->note, strlen(c->note));
            clt_txn_done(c);
            continue;
        }
        if (c->s_size && c->s_size_max > 0 && clt_msg_size(t) > c->s_size_max) {
            snprintf(c->note, sizeof c->note,
                     "message of %zu octets exceeds the server's SIZE %llu (RFC 1870)",
                     clt_msg_size(t), (unsigned long long)c->s_size_max);
            clt_outcome_all(c, CLT_R_DECIDED, SMTP_OUT_PERMFAIL, 0, c->note, strlen(c->note));
            clt_txn_done(c);
            continue;
        }
        c->pipelined = c->s_pipelining && !c->cfg.no_pipelining;
        /* RFC 2920 §3.1: MAIL, RCPT... and DATA as one group; otherwise one
         * command per reply. */
        c->cmd_limit = c->pipelined ? t->nrcpt + 2 : 1;
        clt_enter_state(c, SMTP_CS_MAIL);
        clt_pump(c);
        return;
    }
    if (c->quit_requested) {
        clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        return;
    }
    clt_enter_state(c, SMTP_CS_READY);
}

/* RFC 3207 §4: STARTTLS right after the EHLO reply that offers it, before
 * AUTH and MAIL, so that neither the password nor the mail goes in clear.
 * Returns true when the session goes on another way (STARTTLS sent, or the
 * required TLS is missing and the client quits). */
static bool clt_want_tls(struct smtp_client *c)
{
    if (c->cfg.tls == SMTP_TLS_OFF || c->tls || c->tls_tried) return false;
    if (c->s_starttls) {
        clt_send_single(c, SMTP_CS_STARTTLS, "STARTTLS");
        return true;
    }
    if (c->cfg.tls == SMTP_TLS_OPPORTUNISTIC) return false; /* in clear */
    /* Required: not offered (or a HELO session, which offers nothing).
     * The mail is not sent in clear; it stays with the sender, to be tried
     * again later (a temporary failure, as for 454). */
    snprintf(c->note, sizeof c->note,
             "the server does not offer STARTTLS and TLS is required: "
             "the message is not sent in clear (RFC 3207 4.1)");
    clt_fail_all(c, 0, c->note, strlen(c->note), false);
    clt_send_single(c, SMTP_CS_QUIT, "QUIT");
    return true;
}

static void clt_after_hello(struct smtp_client *c)
{
    if (clt_want_tls(c)) return;
    if (c->cfg.auth == SMTP_AUTH_NONE) {
        clt_next(c);
        return;
    }
    bool offered = c->cfg.auth == SMTP_AUTH_PLAIN ? c->s_plain : c->s_login;
    if (!offered) {
        snprintf(c->note, sizeof c->note, "the server does not offer AUTH %s",
                 c->cfg.auth == SMTP_AUTH_PLAIN ? "PLAIN" : "LOGIN");
        clt_fail_all(c, 0, c->note, strlen(c->note), false);
        clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        return;
    }
    c->auth_step = 0;
    if (c->cfg.auth == SMTP_AUTH_LOGIN) {
        clt_send_single(c, SMTP_CS_AUTH, "AUTH LOGIN");
        return;
    }
    /* RFC 4616: NUL user NUL password, as an initial response (RFC 4954 §4). */
    char raw[300], b64[420];
    size_t ul = strlen(c->user), pl = strlen(c->pass);
    if (ul + pl + 2 > sizeof raw) {
        clt_fail_all(c, 0, "AUTH credentials too long", 25, false);
        clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        return;
    }
    raw[0] = '\0';
    memcpy(raw + 1, c->user, ul);
    raw[ul + 1] = '\0';
    memcpy(raw + ul + 2, c->pass, pl);
    size_t bl = b64_encode((const unsigned char *)raw, ul + pl + 2, b64, 0);
    b64[bl] = '\0';
    c->auth_step = 2;
    clt_send_single(c, SMTP_CS_AUTH, "AUTH PLAIN %s", b64);
    memset(raw, 0, sizeof raw);
}

static void clt_send_b64(struct smtp_client *c, const char *s)
{
    char b64[420];
    size_t n = strlen(s);
    if (n > 300) n = 300;
    size_t bl = b64_encode((const unsigned char *)s, n, b64, 0);
    b64[bl] = '\0';
    clt_send_single(c, SMTP_CS_AUTH, "%s", b64);
}

/* Keywords of the EHLO reply lines after the first (§4.1.1.1). */
static void clt_parse_ehlo(struct smtp_client *c)
{
    c->s_pipelining = c->s_8bit = c->s_size = c->s_plain = c->s_login = false;
    c->s_starttls = false;
    c->s_size_max = 0;
    const char *p = c->reply, *end = c->reply + c->reply_len;
    bool first = true;
    while (p < end) {
        const char *eol = memchr(p, '\r', (size_t)(end - p));
        if (!eol) eol = end;
        if (!first && eol - p > 4) {
            const char *kw = p + 4;
            size_t ll = (size_t)(eol - kw), kl = 0;
            while (kl < ll && kw[kl] != ' ') kl++;
            const char *arg = kw + kl + (kl < ll ? 1 : 0);
            size_t al = kl < ll ? ll - kl - 1 : 0;
            if (smtp_word_eq(kw, kl, "PIPELINING")) c->s_pipelining = true;
            if (smtp_word_eq(kw, kl, "8BITMIME")) c->s_8bit = true;
            /* §4.2: a server must not offer STARTTLS again inside TLS;
             * if it does, the client does not start TLS twice. */
            if (smtp_word_eq(kw, kl, "STARTTLS") && !c->tls) c->s_starttls = true;
            if (smtp_word_eq(kw, kl, "SIZE")) {
                c->s_size = true;
                if (al > 0 && !smtp_parse_u64(arg, al, &c->s_size_max)) c->s_size_max = 0;
            }
            if (smtp_word_eq(kw, kl, "AUTH")) {
                size_t i = 0;
                while (i < al) {
                    size_t j = i;
                    while (j < al && arg[j] != ' ') j++;
                    if (smtp_word_eq(arg + i, j - i, "PLAIN")) c->s_plain = true;
                    if (smtp_word_eq(arg + i, j - i, "LOGIN")) c->s_login = true;
                    i = j + 1;
                }
            }
        }
        first = false;
        p = eol + 2;
    }
}

/* A reply to MAIL, RCPT or DATA of the current transaction. */
static void clt_on_txn_reply(struct smtp_client *c)
{
    int code = c->reply_code;
    bool ok = code / 100 == 2;
    size_t n = c->cur.t.nrcpt;
    size_t idx = c->reply_idx++;
    if (idx == 0) { /* MAIL */
        c->mail_ok = ok;
        if (!ok) clt_outcome_all(c, CLT_R_DECIDED, clt_class(code), code, c->reply, c->reply_len);
        if (!c->pipelined) {
            if (!ok) {
                clt_txn_done(c);
                clt_next(c);
                return;
            }
            c->cmd_limit = 2;
        }
        clt_enter_state(c, SMTP_CS_RCPT);
        return;
    }
    if (idx <= n) { /* RCPT idx-1 */
        if (c->mail_ok) {
            if (ok) {
                c->rst[idx - 1] = CLT_R_ACCEPTED;
                c->accepted++;
            } else {
                clt_outcome(c, idx - 1, clt_class(code), code, c->reply, c->reply_len);
            }
        }
        if (idx < n) {
            if (!c->pipelined) c->cmd_limit++;
            return;
        }
        if (!c->pipelined && c->accepted == 0) {
            /* Every recipient refused: no DATA; end the transaction. */
            clt_txn_done(c);
            clt_send_single(c, SMTP_CS_RSET, "RSET");
            return;
        }
        if (!c->pipelined) c->cmd_limit++;
        clt_enter_state(c, SMTP_CS_DATA);
        return;
    }
    /* DATA */
    if (code == 354) {
        if (c->mail_ok && c->accepted > 0) {
            clt_enter_state(c, SMTP_CS_BODY);
            smtp_dot_enc_init(&c->enc, c->cur.t.body, c->cur.t.body_len);
            c->data_start_abs = c->out_abs_written;
            return;
        }
        /* RFC 2920 §3.1: DATA accepted with no valid recipient: end the
         * data at once with an empty message; outcomes are already known. */
        c->dummy_dot = true;
        clt_send_single(c, SMTP_CS_DOT, ".");
        return;
    }
    /* C3 / §3.3: after any other reply to DATA no data is sent. */
    clt_outcome_all(c, CLT_R_ACCEPTED,
                    clt_class(code) == SMTP_OUT_DELIVERED ? SMTP_OUT_TEMPFAIL : clt_class(code),
                    code, c->reply, c->reply_len);
    bool open = c->mail_ok;
    clt_txn_done(c);
    if (open) {
        clt_send_single(c, SMTP_CS_RSET, "RSET");
    } else {
        clt_next(c);
    }
}

/* The reply to STARTTLS (RFC 3207 §4): 220 Ready to start TLS, 454 TLS not
 * available due to temporary reason, 501 Syntax error. */
static void clt_on_starttls(struct smtp_client *c, int code)
{
    if (code == 220) {
        /* The connection is encrypted from the byte after this reply; the
         * simulation carries the plaintext, marked as inside TLS. */
        c->tls = true;
        line_log_tls_begins_read(&c->ss.log);
        /* §4.2: the protocol is back at the greeting; the client MUST
         * discard what the server told it (the extension list) and SHOULD
         * send EHLO first. */
        c->s_pipelining = c->s_8bit = c->s_size = c->s_plain = c->s_login = false;
        c->s_starttls = false;
        c->s_size_max = 0;
        clt_send_single(c, SMTP_CS_EHLO, "EHLO %s", c->helo_name);
        return;
    }
    /* §4: after 454 (or 501) "the client must decide whether or not to
     * continue the SMTP session": the session is still in clear, and the
     * EHLO before STARTTLS still holds. */
    if (c->cfg.tls == SMTP_TLS_REQUIRED) {
        snprintf(c->note, sizeof c->note,
                 "STARTTLS refused (%d) and TLS is required: the message is not sent in clear "
                 "(RFC 3207 4)",
                 code);
        clt_fail_all(c, 0, c->note, strlen(c->note), false);
        clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        return;
    }
    c->tls_tried = true;
    clt_after_hello(c);
}

static void clt_on_reply(struct smtp_client *c)
{
    int code = c->reply_code;
    struct smtp_cevent *e = clt_event(c, SMTP_CEV_REPLY);
    e->code = code;
    e->text = c->reply;
    e->text_len = c->reply_len;
    if (code == 421 && c->st != SMTP_CS_QUIT) {
        /* §3.8: the server is closing; everything left is tried again later. */
        clt_fail_all(c, code, c->reply, c->reply_len, false);
        clt_finish(c, false, c->reply, c->reply_len);
        return;
    }
    switch (c->st) {
    case SMTP_CS_GREETING:
        if (code == 220) {
            if (c->cfg.start_with_helo) {
                clt_send_single(c, SMTP_CS_HELO, "HELO %s", c->helo_name);
            } else {
                clt_send_single(c, SMTP_CS_EHLO, "EHLO %s", c->helo_name);
            }
        } else { /* §3.1: 554 greeting: no service here */
            clt_fail_all(c, code, c->reply, c->reply_len, false);
            clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        }
        break;
    case SMTP_CS_EHLO:
        if (code / 100 == 2) {
            clt_parse_ehlo(c);
            clt_after_hello(c);
        } else if (code == 500 || code == 502) {
            /* §3.2: a server without EHLO: fall back to HELO. */
            clt_send_single(c, SMTP_CS_HELO, "HELO %s", c->helo_name);
        } else {
            clt_fail_all(c, code, c->reply, c->reply_len, false);
            clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        }
        break;
    case SMTP_CS_HELO:
        if (code / 100 == 2) {
            c->s_pipelining = c->s_8bit = c->s_size = c->s_plain = c->s_login = false;
            c->s_starttls = false;
            clt_after_hello(c);
        } else {
            clt_fail_all(c, code, c->reply, c->reply_len, false);
            clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        }
        break;
    case SMTP_CS_STARTTLS:
        clt_on_starttls(c, code);
        break;
    case SMTP_CS_AUTH:
        if (code == 235) {
            clt_next(c);
        } else if (code == 334 && c->auth_step == 0) {
            c->auth_step = 1;
            clt_send_b64(c, c->user);
        } else if (code == 334 && c->auth_step == 1) {
            c->auth_step = 2;
            clt_send_b64(c, c->pass);
        } else if (code == 334) {
            clt_protocol_error(c, "unexpected 334 challenge during AUTH");
        } else {
            clt_fail_all(c, code, c->reply, c->reply_len, false);
            clt_send_single(c, SMTP_CS_QUIT, "QUIT");
        }
        break;
    case SMTP_CS_MAIL:
    case SMTP_CS_RCPT:
    case SMTP_CS_DATA:
        clt_on_txn_reply(c);
        break;
    case SMTP_CS_DOT:
        if (!c->dummy_dot) {
            clt_outcome_all(c, CLT_R_ACCEPTED, clt_class(code), code, c->reply, c->reply_len);
        }
        clt_txn_done(c);
        clt_next(c);
        break;
    case SMTP_CS_RSET:
        clt_next(c);
        break;
    case SMTP_CS_QUIT:
        clt_finish(c, code / 100 == 2, c->reply, c->reply_len);
        break;
    case SMTP_CS_READY:
    case SMTP_CS_BODY:
    case SMTP_CS_DONE:
    case SMTP_CS_COUNT:
        /* §4.2: every reply answers a command; an unsolicited one means the
         * two sides are out of step (C4). */
        clt_protocol_error(c, "unsolicited reply");
        break;
    }
}

/* ---- input ------------------------------------------------------------------ */

/* Take one reply line; returns true when the reply is complete. */
static bool clt_reply_line(struct smtp_client *c, const char *l, size_t n)
{
    char why[96];
    if (c->reply_lines == 0) c->reply_len = 0;
    if (line_has_bare_eol(&c->ss.rd)) {
        clt_protocol_error(c, "reply line holds a bare CR or LF (RFC 5321 2.3.8)");
        return false;
    }
    if (line_has_nul(&c->ss.rd)) {
        clt_protocol_error(c, "NUL byte in a reply line");
        return false;
    }
    /* §4.2: Reply-code = %x32-35 %x30-35 %x30-39, then SP, "-" or CRLF. */
    if (n < 3 || l[0] < '2' || l[0] > '5' || l[1] < '0' || l[1] > '5' || l[2] < '0' || l[2] > '9' ||
        (n > 3 && l[3] != ' ' && l[3] != '-')) {
        clt_protocol_error(c, "malformed reply line (expected a 3-digit code)");
        return false;
    }
    int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
    if (c->reply_lines > 0 && code != c->reply_code) {
        snprintf(why, sizeof why, "mixed reply codes %d and %d in one reply (RFC 5321 4.2.1)",
                 c->reply_code, code);
        clt_protocol_error(c, why);
        return false;
    }
    if (c->reply_lines >= CLT_REPLY_LINES || c->reply_len + n + 2 > CLT_REPLY_MAX) {
        clt_protocol_error(c, "reply longer than 64 lines or 4096 octets");
        return false;
    }
    if (c->reply_lines > 0) {
        c->reply[c->reply_len++] = '\r';
        c->reply[c->reply_len++] = '\n';
    }
    memcpy(c->reply + c->reply_len, l, n);
    c->reply_len += n;
    c->reply_code = code;
    c->reply_lines++;
    return n == 3 || l[3] == ' ';
}

static bool clt_can_read(void *eng)
{
    const struct smtp_client *c = eng;
    return c->st != SMTP_CS_DONE && !c->reply_taken;
}

/* One reply line: a whole reply is handled by the state's switch. */
static void clt_line(void *eng, enum line_status ls, const char *l, size_t n, bool more)
{
    struct smtp_client *c = eng;
    (void)more;
    if (ls == LINE_TOO_LONG) {
        clt_protocol_error(c, "reply line longer than 512 octets (RFC 5321 4.5.3.1.5)");
        c->reply_taken = true;
        return;
    }
    if (c->ss.log.on && n >= 3 && l[0] >= '1' && l[0] <= '5' && l[1] >= '0' && l[1] <= '9' &&
        l[2] >= '0' && l[2] <= '9') {
        unsigned code = (unsigned)((l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0'));
        unsigned fl = code < 400 ? LINE_F_OK : LINE_F_ERR;
        if (c->st == SMTP_CS_DOT) fl |= LINE_F_DATA_END;
        if (c->reply_lines > 0) fl |= LINE_F_CONT; /* after "ddd-" (RFC 5321 §4.2.1) */
        line_log_note_reply(&c->ss.log, code, fl);
    }
    if (clt_reply_line(c, l, n)) {
        clt_on_reply(c);
        c->reply_lines = 0;
        c->reply_taken = true; /* one reply per call: event texts borrow c->reply */
    }
}

static const struct line_proto clt_proto = {clt_can_read, NULL, clt_line};

size_t smtp_client_recv(struct smtp_client *c, const char *in, size_t len)
{
    if (c->st == SMTP_CS_DONE) return len; /* the caller closes; ignore */
    if (line_sess_events(&c->ss) > 0) return 0;
    clt_step_begin(c);
    c->reply_taken = false;
    size_t off = line_sess_recv(&c->ss, &clt_proto, c, in, len);
    clt_pump(c);
    clt_step_end(c);
    return off;
}

/* ---- time and connection loss ---------------------------------------------- */

sim_us smtp_client_timeout_us(const struct smtp_client *c)
{
    const struct smtp_client_timeouts *t = &c->cfg.to;
    switch (c->st) {
    case SMTP_CS_GREETING:
        return t->initial;
    case SMTP_CS_MAIL:
        return t->mail;
    case SMTP_CS_RCPT:
        return t->rcpt;
    case SMTP_CS_DATA:
        return t->data_init;
    case SMTP_CS_BODY:
        return t->data_block;
    case SMTP_CS_DOT:
        return t->data_term;
    case SMTP_CS_EHLO:
    case SMTP_CS_HELO:
    case SMTP_CS_STARTTLS:
    case SMTP_CS_AUTH:
    case SMTP_CS_RSET:
    case SMTP_CS_QUIT:
        return t->other;
    case SMTP_CS_READY:
    case SMTP_CS_DONE:
    case SMTP_CS_COUNT:
        break;
    }
    return 0;
}

static void clt_lost(struct smtp_client *c, const char *why)
{
    if (c->st == SMTP_CS_DONE) return;
    clt_step_begin(c);
    snprintf(c->note, sizeof c->note, "%s", why);
    if (c->st == SMTP_CS_QUIT) { /* all work was done; only the 221 is missing */
        clt_finish(c, false, c->note, strlen(c->note));
        clt_step_end(c);
        return;
    }
    clt_fail_all(c, 0, c->note, strlen(c->note), true);
    clt_finish(c, false, c->note, strlen(c->note));
    clt_step_end(c);
}

void smtp_client_timeout(struct smtp_client *c)
{
    char why[128];
    snprintf(why, sizeof why, "timeout in state %s waiting for the server (RFC 5321 4.5.3.2)",
             smtp_client_state_name(c->st));
    clt_lost(c, why);
}

void smtp_client_closed(struct smtp_client *c)
{
    clt_lost(c, "connection lost before the transaction completed");
}
