/* smtp_server.c -- RFC 5321 server engine (see smtp_server.h).
 *
 * Shape (OpenSMTPD smtp_session.c, curl pingpong): the shared CRLF line
 * reader frames commands; a command table maps each verb to a handler that
 * checks the state and arguments and replies; message data goes through the
 * strict dot decoder of smtp_dot.c. State changes only in srv_enter_state().
 * Anything the engine cannot decide (does a mailbox exist, may this client
 * relay, are these credentials good, is the message stored) becomes an event
 * and waits for smtp_server_verdict(). */
#include "proto/smtp_server.h"

#include "core/common.h"
#include "format/base64.h"
#include "proto/line_sess.h"
#include "proto/smtp_dot.h"
#include "proto/smtp_syntax.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SRV_EVQ 16
#define SRV_REPLY_MAX 1024     /* longest reply we build (EHLO is the longest) */
#define SRV_REPLY_RESERVE 1100 /* output room needed before reading a command */
#define SRV_DEFAULT_MAX_MSG ((uint64_t)10 * 1024 * 1024)
#define SRV_SASL_MAX 256 /* each decoded SASL field */

enum srv_pending { SRV_PEND_NONE, SRV_PEND_RCPT, SRV_PEND_AUTH, SRV_PEND_MSG };
enum srv_mech { SRV_MECH_NONE, SRV_MECH_PLAIN, SRV_MECH_LOGIN };

struct smtp_server {
    struct smtp_server_cfg cfg;
    char *hostname;
    char *banner;
    enum smtp_server_state st;
    enum smtp_server_state step_before; /* state when the current step began */
    struct line_sess ss;                /* reader, output, events, offsets, session log */
    char verb[LINE_VERB_MAX];           /* the command the next reply answers */
    bool data_reply;                    /* the next reply answers a whole message */

    size_t greeting_left; /* greeting bytes not yet sent (pre-greeting check) */

    size_t step_ev0; /* events already queued when the step began */

    char cmd[SMTP_CMD_LINE_MAX];
    size_t cmd_len;
    char reply[SRV_REPLY_MAX];
    size_t reply_len;
    int reply_code;
    /* the ehlo-keyword of each line of the reply being built (NULL on the
     * first line), handed to the session log with it; n_ext is 0 for any
     * reply but EHLO's */
    const char *reply_ext[LINE_EXT_MAX];
    size_t reply_n_ext;

    bool ehlo;                      /* the session began with EHLO */
    bool helo;                      /* the last greeting was HELO: no extension is in use */
    char *texts[7];                 /* copies of cfg.texts (NULL: the default wording) */
    char client[256];               /* HELO/EHLO argument, for {client} */
    char sender[SMTP_CMD_LINE_MAX]; /* MAIL FROM mailbox, for {sender} */
    bool pipelining_ok;             /* EHLO and PIPELINING advertised (RFC 2920) */
    bool authenticated;
    bool tls;         /* STARTTLS done: from here the caller encrypts (RFC 3207) */
    unsigned bad_run; /* consecutive 500-504 replies */
    uint64_t replies; /* replies sent so far */

    /* the mail transaction */
    unsigned rcpts;
    bool body8;           /* BODY=8BITMIME */
    const char *pend_arg; /* recipient awaiting a verdict (in cmd) */
    size_t pend_arg_len;
    enum srv_pending pend;

    /* SASL */
    enum srv_mech mech;
    int auth_step; /* LOGIN: 0 wants user, 1 wants password */
    char sasl[SMTP_CMD_LINE_MAX];
    char auth_user[SRV_SASL_MAX], auth_pass[SRV_SASL_MAX], auth_zid[SRV_SASL_MAX];
    size_t auth_user_len, auth_pass_len, auth_zid_len;

    /* DATA */
    char *msg;
    size_t msg_cap;
    uint64_t max_msg;
    struct smtp_dot_dec dec;
    uint64_t data_off;
};

typedef void srv_cmd_fn(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg);

struct srv_cmd {
    const char *verb;
    srv_cmd_fn *fn;
    bool last_in_group; /* RFC 2920 §3.1: may only end a pipelined group */
    unsigned states;    /* the states the command is legal in (1u << state) */
    unsigned ext;       /* the extension it needs offered (SMTP_EXT_*), or 0 */
};

static void srv_enter_state(struct smtp_server *s, enum smtp_server_state st);
static struct smtp_event *srv_event(struct smtp_server *s, enum smtp_event_kind k);
static void srv_step_begin(struct smtp_server *s);
static void srv_step_end(struct smtp_server *s);
static void srv_reply(struct smtp_server *s, int code, const char *enh, const char *text);
static void srv_replyf(struct smtp_server *s, int code, const char *enh, const char *fmt, ...)
    MS_PRINTF(4, 5);
static void srv_commit_reply(struct smtp_server *s);
static void srv_close(struct smtp_server *s);
static void srv_count_bad(struct smtp_server *s, uint64_t replies_before);
static void srv_txn_reset(struct smtp_server *s, bool emit);
static void srv_unauth_pipelining(struct smtp_server *s, const char *what);
static void srv_command(struct smtp_server *s, const char *line, size_t len, bool more);
static void srv_sasl_line(struct smtp_server *s, const char *line, size_t len);
static void srv_data_end(struct smtp_server *s);
static srv_cmd_fn srv_cmd_starttls;
static srv_cmd_fn srv_cmd_helo, srv_cmd_ehlo, srv_cmd_mail, srv_cmd_rcpt, srv_cmd_data,
    srv_cmd_rset, srv_cmd_noop, srv_cmd_vrfy, srv_cmd_expn, srv_cmd_help, srv_cmd_quit,
    srv_cmd_auth, srv_cmd_notimpl;

static const char *const smtp_server_state_names[SMTP_SS_COUNT] = {
    [SMTP_SS_INIT] = "INIT", [SMTP_SS_REFUSING] = "REFUSING", [SMTP_SS_READY] = "READY",
    [SMTP_SS_AUTH] = "AUTH", [SMTP_SS_MAIL] = "MAIL",         [SMTP_SS_RCPT] = "RCPT",
    [SMTP_SS_DATA] = "DATA", [SMTP_SS_CLOSED] = "CLOSED",
};

static const char *const smtp_event_kind_names[SMTP_EV_COUNT] = {
    [SMTP_EV_SESSION_STARTED] = "SESSION_STARTED",
    [SMTP_EV_HELO] = "HELO",
    [SMTP_EV_TXN_STARTED] = "TXN_STARTED",
    [SMTP_EV_RCPT_ASKED] = "RCPT_ASKED",
    [SMTP_EV_RCPT_ACCEPTED] = "RCPT_ACCEPTED",
    [SMTP_EV_RCPT_REFUSED] = "RCPT_REFUSED",
    [SMTP_EV_AUTH_ASKED] = "AUTH_ASKED",
    [SMTP_EV_AUTH_DONE] = "AUTH_DONE",
    [SMTP_EV_MESSAGE] = "MESSAGE",
    [SMTP_EV_MESSAGE_REFUSED] = "MESSAGE_REFUSED",
    [SMTP_EV_TXN_RESET] = "TXN_RESET",
    [SMTP_EV_REPLY] = "REPLY",
    [SMTP_EV_PROTOCOL_ERROR] = "PROTOCOL_ERROR",
    [SMTP_EV_SESSION_CLOSED] = "SESSION_CLOSED",
};

/* States a command line can arrive in (AUTH and DATA read other lines). */
#define SRV_IN_INIT (1u << SMTP_SS_INIT)
#define SRV_IN_READY (1u << SMTP_SS_READY)
#define SRV_IN_TXN ((1u << SMTP_SS_MAIL) | (1u << SMTP_SS_RCPT))
#define SRV_IN_REFUSING (1u << SMTP_SS_REFUSING)
#define SRV_IN_ANY (SRV_IN_INIT | SRV_IN_READY | SRV_IN_TXN)

/* The command table (OpenSMTPD): verb, handler, RFC 2920 "last in group",
 * the states the command is legal in (RFC 5321 §4.1.4: MAIL needs a
 * session and no open transaction, RCPT and DATA need MAIL; §3.1: after a
 * 554 greeting only QUIT), and the extension it needs. */
static const struct srv_cmd srv_cmds[] = {
    {"EHLO", srv_cmd_ehlo, true, SRV_IN_ANY, 0},
    {"HELO", srv_cmd_helo, true, SRV_IN_ANY, 0},
    {"MAIL", srv_cmd_mail, false, SRV_IN_READY, 0},
    {"RCPT", srv_cmd_rcpt, false, SRV_IN_TXN, 0},
    {"DATA", srv_cmd_data, true, SRV_IN_TXN, 0},
    {"RSET", srv_cmd_rset, false, SRV_IN_ANY, 0},
    {"NOOP", srv_cmd_noop, true, SRV_IN_ANY, 0},
    {"QUIT", srv_cmd_quit, true, SRV_IN_ANY | SRV_IN_REFUSING, 0},
    {"VRFY", srv_cmd_vrfy, true, SRV_IN_ANY, 0},
    {"EXPN", srv_cmd_expn, true, SRV_IN_ANY, 0},
    {"HELP", srv_cmd_help, true, SRV_IN_ANY, 0},
    {"AUTH", srv_cmd_auth, true, SRV_IN_READY, SMTP_EXT_AUTH},
    {"STARTTLS", srv_cmd_starttls, true, SRV_IN_ANY, 0},
    {"BDAT", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
    {"ETRN", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
    {"TURN", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
    {"SEND", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
    {"SOML", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
    {"SAML", srv_cmd_notimpl, true, SRV_IN_ANY, 0},
};

/* The 503 for a command in a state its table row does not list: "bad
 * sequence of commands" (RFC 5321 §4.2.4), worded for the student. */
static void srv_refuse_state(struct smtp_server *s, const struct srv_cmd *cmd)
{
    const char *why = "Error: bad sequence of commands";
    if (s->st == SMTP_SS_REFUSING)
        why = "Error: no SMTP service here; send QUIT";
    else if (cmd->fn == srv_cmd_mail)
        why = s->st == SMTP_SS_INIT ? "Error: send HELO/EHLO first" : "Error: nested MAIL command";
    else if (cmd->fn == srv_cmd_rcpt || cmd->fn == srv_cmd_data)
        why = "Error: need MAIL command";
    else if (cmd->fn == srv_cmd_auth)
        why = s->st == SMTP_SS_INIT ? "Error: send EHLO first"
                                    : "Error: MAIL transaction in progress";
    srv_reply(s, 503, "5.5.1", why);
}

const char *smtp_server_state_name(enum smtp_server_state st)
{
    return (unsigned)st < SMTP_SS_COUNT ? smtp_server_state_names[st] : "?";
}

const char *smtp_event_kind_name(enum smtp_event_kind k)
{
    return (unsigned)k < SMTP_EV_COUNT ? smtp_event_kind_names[k] : "?";
}

void smtp_server_cfg_default(struct smtp_server_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->hostname = "mx.example.org";
    cfg->banner = "ESMTP mailsim";
    cfg->ext =
        SMTP_EXT_SIZE | SMTP_EXT_PIPELINING | SMTP_EXT_8BITMIME | SMTP_EXT_ENHANCEDSTATUSCODES;
    cfg->forbid_unauth_pipelining = true;
}

/* ---- life cycle --------------------------------------------------------- */

/* Copy s with control characters replaced by spaces (texts go on the wire). */
static char *srv_clean_dup(const char *s, const char *dflt)
{
    char *d = ms_xstrdup(s ? s : dflt);
    for (char *p = d; *p; p++) {
        if ((unsigned char)*p < 32 || (unsigned char)*p == 127) *p = ' ';
    }
    if (strlen(d) > 200) d[200] = '\0';
    return d;
}

enum { SRV_T_GREETING, SRV_T_HELO, SRV_T_MAIL, SRV_T_RCPT, SRV_T_DATA, SRV_T_QUEUED, SRV_T_QUIT };

/* Expand template t ({host}, {client}, {sender}, {rcpt}) into buf[cap];
 * rcpt may be NULL. An unknown "{word}" is copied as it is. */
static const char *srv_expand(const struct smtp_server *s, const char *t, const char *rcpt,
                              size_t rcpt_len, char *buf, size_t cap)
{
    size_t n = 0;
    for (const char *p = t; *p && n + 1 < cap;) {
        const char *v = NULL;
        size_t vl = 0, skip = 0;
        if (*p == '{') {
            if (strncmp(p, "{host}", 6) == 0)
                v = s->hostname, vl = strlen(v), skip = 6;
            else if (strncmp(p, "{client}", 8) == 0)
                v = s->client, vl = strlen(v), skip = 8;
            else if (strncmp(p, "{sender}", 8) == 0)
                v = s->sender, vl = strlen(v), skip = 8;
            else if (strncmp(p, "{rcpt}", 6) == 0)
                v = rcpt ? rcpt : "", vl = rcpt ? rcpt_len : 0, skip = 6;
        }
        if (skip) {
            if (vl > cap - 1 - n) vl = cap - 1 - n;
            memcpy(buf + n, v, vl);
            n += vl;
            p += skip;
        } else {
            buf[n++] = *p++;
        }
    }
    buf[n] = '\0';
    return buf;
}

/* The scenario's wording for reply k, expanded, or dflt. */
static const char *srv_text(const struct smtp_server *s, int k, const char *dflt, const char *rcpt,
                            size_t rl, char *buf, size_t cap)
{
    return s->texts[k] ? srv_expand(s, s->texts[k], rcpt, rl, buf, cap) : dflt;
}

struct smtp_server *smtp_server_new(const struct smtp_server_cfg *cfg)
{
    struct smtp_server *s = ms_xcalloc(1, sizeof *s);
    s->cfg = *cfg;
    s->hostname = srv_clean_dup(cfg->hostname, "mx.example.org");
    s->banner = srv_clean_dup(cfg->banner, "ESMTP mailsim");
    s->cfg.hostname = s->hostname;
    s->cfg.banner = s->banner;
    const char *const tx[7] = {cfg->texts.greeting, cfg->texts.helo, cfg->texts.mail,
                               cfg->texts.rcpt,     cfg->texts.data, cfg->texts.queued,
                               cfg->texts.quit};
    for (int k = 0; k < 7; k++) s->texts[k] = tx[k] ? srv_clean_dup(tx[k], "") : NULL;
    memset(&s->cfg.texts, 0, sizeof s->cfg.texts);
    if (s->cfg.unsafe_lenient_data_end) s->cfg.unsafe_accept_bare_lf = true;
    s->max_msg = cfg->max_message_bytes ? cfg->max_message_bytes : SRV_DEFAULT_MAX_MSG;
    if (s->max_msg > (uint64_t)SIZE_MAX / 2) s->max_msg = (uint64_t)SIZE_MAX / 2;
    if (!s->cfg.max_recipients) s->cfg.max_recipients = 100;
    size_t out_max = cfg->out_max ? cfg->out_max : 16 * 1024;
    if (out_max < 2 * SRV_REPLY_RESERVE) out_max = 2 * SRV_REPLY_RESERVE;
    s->st = cfg->refuse ? SMTP_SS_REFUSING : SMTP_SS_INIT;
    const struct line_sess_cfg sc = {
        .line_max = SMTP_CMD_LINE_MAX,
        .lf_ends = true,  /* a hand-typed line gets 500, not silence */
        .out_init = 1024, /* replies are short: grows to out_max when a client lags */
        .out_max = out_max,
        .ev_size = sizeof(struct smtp_event),
        .ev_cap = SRV_EVQ,
        .state_names = smtp_server_state_names,
        .n_states = SMTP_SS_COUNT,
        .initial = (int)s->st,
    };
    line_sess_init(&s->ss, &sc);
    srv_step_begin(s);
    struct smtp_event *ev = srv_event(s, SMTP_EV_SESSION_STARTED);
    /* §3.1 and §4.2: 220 greeting, or 554 when no service is offered; a
     * busy server may greet with 421 and close (§3.8, §4.2.2: "<domain>
     * Service not available, closing transmission channel"). */
    if (cfg->refuse) {
        srv_replyf(s, 554, NULL, "%s ESMTP service not available", s->hostname);
    } else if (cfg->busy) {
        srv_replyf(s, 421, NULL, "%s Service not available, closing transmission channel",
                   s->hostname);
    } else if (s->texts[SRV_T_GREETING]) {
        char buf[SRV_REPLY_MAX];
        srv_reply(s, 220, NULL, srv_text(s, SRV_T_GREETING, "", NULL, 0, buf, sizeof buf));
    } else {
        srv_replyf(s, 220, NULL, "%s %s", s->hostname, s->banner);
    }
    s->greeting_left = line_sess_pending(&s->ss);
    if (cfg->busy && !cfg->refuse) srv_close(s);
    ev->code = s->reply_code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
    srv_step_end(s);
    return s;
}

void smtp_server_free(struct smtp_server *s)
{
    if (!s) return;
    line_sess_free(&s->ss);
    free(s->msg);
    free(s->hostname);
    free(s->banner);
    for (int k = 0; k < 7; k++) free(s->texts[k]);
    free(s);
}

enum smtp_server_state smtp_server_state(const struct smtp_server *s)
{
    return s->st;
}

bool smtp_server_tls_active(const struct smtp_server *s)
{
    return s->tls;
}

bool smtp_server_closed(const struct smtp_server *s)
{
    return s->st == SMTP_SS_CLOSED;
}

bool smtp_server_wants_verdict(const struct smtp_server *s)
{
    return s->pend != SRV_PEND_NONE;
}

/* ---- state, events, output ---------------------------------------------- */

/* The only place the state changes; the session log reports it. */
static void srv_enter_state(struct smtp_server *s, enum smtp_server_state st)
{
    line_sess_enter(&s->ss, (int)st, NULL);
    s->st = st;
}

static struct smtp_event *srv_event(struct smtp_server *s, enum smtp_event_kind k)
{
    assert(line_sess_events(&s->ss) < SRV_EVQ);
    struct smtp_event *ev = line_sess_event(&s->ss, sizeof *ev);
    ev->kind = k;
    ev->before = s->step_before;
    ev->after = s->st;
    ev->offset = s->ss.line_off;
    ev->rcpt_count = s->rcpts;
    ev->authenticated = s->authenticated;
    ev->ehlo = s->ehlo;
    return ev;
}

/* A step is one public call. Events record the state when the step began
 * and the state when it ended. */
static void srv_step_begin(struct smtp_server *s)
{
    s->step_before = s->st;
    s->step_ev0 = line_sess_events(&s->ss);
}

static void srv_step_end(struct smtp_server *s)
{
    size_t n = line_sess_events(&s->ss);
    for (size_t i = s->step_ev0; i < n; i++)
        ((struct smtp_event *)line_sess_event_at(&s->ss, i, sizeof(struct smtp_event)))->after =
            s->st;
    s->step_ev0 = n;
    line_log_settle(&s->ss.log);
}

bool smtp_server_event(struct smtp_server *s, struct smtp_event *ev)
{
    const struct smtp_event *e = line_sess_pop(&s->ss);
    if (!e) return false;
    *ev = *e;
    return true;
}

size_t smtp_server_out(const struct smtp_server *s, const char **out)
{
    return line_sess_out(&s->ss, out);
}

void smtp_server_out_done(struct smtp_server *s, size_t n)
{
    assert(n <= line_sess_pending(&s->ss));
    s->greeting_left = n >= s->greeting_left ? 0 : s->greeting_left - n;
    line_sess_out_done(&s->ss, n);
}

struct line_log *smtp_server_log(struct smtp_server *s)
{
    return line_sess_log(&s->ss);
}

/* Start a reply in s->reply: "ddd " plus the enhanced code when on. */
static size_t srv_reply_head(struct smtp_server *s, int code, const char *enh, char sep)
{
    char *r = s->reply;
    r[0] = (char)('0' + code / 100);
    r[1] = (char)('0' + code / 10 % 10);
    r[2] = (char)('0' + code % 10);
    r[3] = sep;
    size_t n = 4;
    /* RFC 2034 §3: enhanced codes only when advertised, never in the
     * greeting or the EHLO/HELO reply (callers pass enh = NULL there). */
    /* RFC 5321 §2.2.1 and §4.1.1.1: extensions are negotiated by EHLO; a
     * client that greeted with HELO uses none, so it gets plain replies. */
    if (enh && (s->cfg.ext & SMTP_EXT_ENHANCEDSTATUSCODES) && !s->helo) {
        size_t el = strlen(enh);
        memcpy(r + n, enh, el);
        n += el;
        r[n++] = ' ';
    }
    s->reply_code = code;
    return n;
}

/* Append text to the reply being built, replacing control characters and
 * keeping each line within 512 octets with its CRLF (§4.5.3.1.5). */
static size_t srv_reply_text(struct smtp_server *s, size_t n, size_t line_start, const char *t,
                             size_t tl)
{
    for (size_t i = 0; i < tl; i++) {
        if (n - line_start >= SMTP_REPLY_LINE_MAX - 2 || n >= SRV_REPLY_MAX - 2) break;
        unsigned char c = (unsigned char)t[i];
        s->reply[n++] = (c < 32 || c == 127) ? ' ' : (char)c;
    }
    return n;
}

static void srv_reply(struct smtp_server *s, int code, const char *enh, const char *text)
{
    size_t n = srv_reply_head(s, code, enh, ' ');
    n = srv_reply_text(s, n, 0, text, strlen(text));
    s->reply_len = n;
    srv_commit_reply(s);
}

static void srv_replyf(struct smtp_server *s, int code, const char *enh, const char *fmt, ...)
{
    char text[SRV_REPLY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    srv_reply(s, code, enh, text);
}

/* Send s->reply[0..reply_len) with its CRLF and queue the REPLY event. */
static void srv_commit_reply(struct smtp_server *s)
{
    s->reply[s->reply_len] = '\r';
    s->reply[s->reply_len + 1] = '\n';
    int c = s->reply_code;
    unsigned flags = c < 400 ? LINE_F_OK : LINE_F_ERR;
    if (s->data_reply) flags |= LINE_F_DATA_END;
    if (c >= 500 && c <= 504) flags |= LINE_F_BAD; /* what srv_count_bad counts */
    line_log_mark_out(&s->ss.log, flags, (unsigned)c, s->data_reply ? "DATA" : s->verb);
    if (s->reply_n_ext) { /* only EHLO's reply names its lines */
        line_log_mark_ext(&s->ss.log, s->reply_ext, s->reply_n_ext);
        s->reply_n_ext = 0;
    }
    s->data_reply = false;
    /* A reply that does not fit (a peer that never reads, X5) is cut. */
    line_sess_write(&s->ss, s->reply, s->reply_len + 2);
    s->replies++;
    struct smtp_event *ev = srv_event(s, SMTP_EV_REPLY);
    ev->code = s->reply_code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
    ev->arg = s->cmd;
    ev->arg_len = s->cmd_len;
}

static void srv_close(struct smtp_server *s)
{
    s->pend = SRV_PEND_NONE;
    srv_enter_state(s, SMTP_SS_CLOSED);
    srv_event(s, SMTP_EV_SESSION_CLOSED);
}

/* End the mail transaction (§4.1.1.5 RSET, §4.1.4 EHLO, end of DATA). */
static void srv_txn_reset(struct smtp_server *s, bool emit)
{
    bool open = s->st == SMTP_SS_MAIL || s->st == SMTP_SS_RCPT || s->st == SMTP_SS_DATA;
    s->rcpts = 0;
    s->body8 = false;
    if (open) {
        srv_enter_state(s, SMTP_SS_READY);
        if (emit) srv_event(s, SMTP_EV_TXN_RESET);
    }
}

static void srv_unauth_pipelining(struct smtp_server *s, const char *what)
{
    srv_replyf(s, 554, "5.5.0", "Error: unauthorised pipelining: %s (RFC 2920 3.1); closing", what);
    struct smtp_event *ev = srv_event(s, SMTP_EV_PROTOCOL_ERROR);
    ev->code = s->reply_code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
    srv_txn_reset(s, true);
    srv_close(s);
    srv_step_end(s);
}

/* ---- input ---------------------------------------------------------------- */

/* Make room in the message buffer for up to n more decoded bytes. */
static void srv_msg_grow(struct smtp_server *s, size_t n)
{
    if (n > s->max_msg) n = (size_t)s->max_msg; /* no overflow below */
    size_t need = s->dec.len + n;
    if (need > s->max_msg) need = (size_t)s->max_msg;
    if (need <= s->msg_cap || s->msg_cap >= s->max_msg) return;
    size_t cap = s->msg_cap ? s->msg_cap : 4096;
    while (cap < need) cap *= 2;
    if (cap > s->max_msg) cap = (size_t)s->max_msg;
    s->msg = ms_xrealloc(s->msg, cap);
    s->msg_cap = cap;
    smtp_dot_dec_rebase(&s->dec, s->msg, cap);
}

/* Message data (RFC 5321 §4.5.2): the strict dot decoder, not the line reader. */
static size_t srv_raw(void *eng, const char *in, size_t len)
{
    struct smtp_server *s = eng;
    if (s->st != SMTP_SS_DATA) return SIZE_MAX;
    s->step_before = s->st;
    srv_msg_grow(s, len);
    size_t n = smtp_dot_dec_run(&s->dec, in, len);
    line_sess_raw(&s->ss, in, n, LINE_F_DATA);
    if (smtp_dot_dec_done(&s->dec)) srv_data_end(s);
    return n;
}

static bool srv_can_read(void *eng)
{
    const struct smtp_server *s = eng;
    if (line_sess_events(&s->ss) > 0 || s->pend != SRV_PEND_NONE || s->st == SMTP_SS_CLOSED)
        return false;
    /* backpressure (X5): room for the longest reply before reading a command */
    return s->st == SMTP_SS_DATA || line_sess_room(&s->ss) >= SRV_REPLY_RESERVE;
}

/* One command line, a SASL response, or a line the reader refused. */
static void srv_line(void *eng, enum line_status ls, const char *line, size_t ll, bool more)
{
    struct smtp_server *s = eng;
    s->step_before = s->st;
    uint64_t replies_before = s->replies;
    if (ls == LINE_TOO_LONG) {
        s->cmd_len = 0;
        if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
        /* §4.5.3.1.4 and §4.5.3.1.9: 500, the line is dropped, same state. */
        srv_reply(s, 500, "5.5.2",
                  "Error: line too long (the limit is 512 octets with CRLF, RFC 5321 4.5.3.1.4)");
    } else if (line_ended_by_lf(&s->ss.rd)) {
        s->cmd_len = 0;
        if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
        /* §2.3.8: only CRLF ends a line; the line is refused, same state. */
        srv_reply(
            s, 500, "5.5.2",
            "Error: bare <LF> received; end each line with <CRLF> (RFC 5321 2.3.8; with nc, use nc -C)");
    } else {
        memcpy(s->cmd, line, ll);
        s->cmd_len = ll;
        if (s->st == SMTP_SS_AUTH) {
            if (more && s->cfg.forbid_unauth_pipelining) {
                srv_enter_state(s, SMTP_SS_READY);
                srv_unauth_pipelining(s, "data sent after a SASL response");
            } else {
                srv_sasl_line(s, s->cmd, s->cmd_len);
            }
        } else {
            srv_command(s, s->cmd, s->cmd_len, more);
        }
    }
    srv_count_bad(s, replies_before);
}

static const struct line_proto srv_proto = {srv_can_read, srv_raw, srv_line};

size_t smtp_server_recv(struct smtp_server *s, const char *in, size_t len)
{
    if (s->st == SMTP_SS_CLOSED) {
        s->ss.in_total += len;
        return len; /* the caller closes; late bytes are ignored */
    }
    if (s->pend != SRV_PEND_NONE || line_sess_events(&s->ss) > 0) return 0;
    srv_step_begin(s);
    if (len > 0 && s->greeting_left > 0 && s->cfg.forbid_unauth_pipelining) {
        /* bad-inputs S16(a): the client talked before it could read 220. */
        s->ss.line_off = s->ss.in_total;
        s->cmd_len = 0;
        srv_unauth_pipelining(s, "client sent data before the greeting");
        s->ss.in_total += len;
        srv_step_end(s);
        return len;
    }
    size_t off = line_sess_recv(&s->ss, &srv_proto, s, in, len);
    srv_step_end(s);
    return off;
}

/* A client that sends nothing but bad commands is shown the door, as
 * Postfix does (smtpd_hard_error_limit): after SMTP_SERVER_MAX_BAD syntax
 * or sequence errors (500-504) in a row, 421 and close (RFC 5321 §3.8
 * lets a server send 421 at any time). */
static void srv_count_bad(struct smtp_server *s, uint64_t replies_before)
{
    if (s->replies == replies_before || s->st == SMTP_SS_CLOSED) return; /* no verdict yet */
    bool bad = s->reply_code >= 500 && s->reply_code <= 504;
    s->bad_run = bad ? s->bad_run + 1 : 0;
    if (s->bad_run < SMTP_SERVER_MAX_BAD) return;
    srv_replyf(s, 421, "4.7.0", "%s Error: too many bad commands, closing", s->hostname);
    srv_close(s);
}

static bool srv_has_ctl(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c < 32 || c >= 127) return true;
    }
    return false;
}

/* An HTTP request line (RFC 9112 §3): a known method, or any line that
 * ends in " HTTP/<digit>.<digit>" (OPTIONS, DELETE, ...). */
static bool srv_is_http(const char *line, size_t len, size_t vl)
{
    if (smtp_word_eq(line, vl, "GET") || smtp_word_eq(line, vl, "POST") ||
        smtp_word_eq(line, vl, "CONNECT") || smtp_word_eq(line, vl, "HEAD") ||
        smtp_word_eq(line, vl, "PUT"))
        return true;
    if (len <= vl + 9) return false;
    const char *v = line + len - 9;
    return memcmp(v, " HTTP/", 6) == 0 && v[6] >= '0' && v[6] <= '9' && v[7] == '.' &&
           v[8] >= '0' && v[8] <= '9';
}

static void srv_command(struct smtp_server *s, const char *line, size_t len, bool more)
{
    size_t vl = 0;
    while (vl < len && line[vl] != ' ') vl++;
    const char *arg = vl < len ? line + vl + 1 : line + len;
    size_t arg_len = vl < len ? len - vl - 1 : 0;
    bool has_arg = vl < len;
    if (memchr(line, '\0', len)) {
        srv_reply(s, 500, "5.5.2", "Error: NUL byte in command line");
        return;
    }
    const struct srv_cmd *cmd = NULL;
    for (size_t i = 0; i < MS_ARRAY_LEN(srv_cmds); i++) {
        if (smtp_word_eq(line, vl, srv_cmds[i].verb)) {
            cmd = &srv_cmds[i];
            break;
        }
    }
    s->verb[0] = '\0';
    if (cmd) memcpy(s->verb, cmd->verb, strlen(cmd->verb) + 1); /* verbs are 4 letters */
    if (cmd) line_log_note_in(&s->ss.log, cmd->verb, strlen(cmd->verb), 0);
    if (s->st == SMTP_SS_REFUSING && !(cmd && (cmd->states & SRV_IN_REFUSING))) {
        /* §3.1: after a 554 greeting, 503 to everything but QUIT. */
        srv_reply(s, 503, "5.5.1", "Error: no SMTP service here; send QUIT");
        return;
    }
    if (!cmd) {
        if (s->st == SMTP_SS_INIT && srv_is_http(line, len, vl)) {
            /* bad-inputs X8: another protocol's bytes: reply and close. The
             * line's verb says what it is (live mode counts these). */
            memcpy(s->verb, "HTTP", 5);
            line_log_note_in(&s->ss.log, "HTTP", 4, 0);
            srv_reply(s, 502, "5.7.0", "Error: this is an SMTP server, not a web server; closing");
            srv_close(s);
            return;
        }
        srv_reply(s, 500, "5.5.2", "Error: command not recognized");
        return;
    }
    if (more && s->cfg.forbid_unauth_pipelining && cmd->fn != srv_cmd_quit) {
        if (cmd->fn == srv_cmd_data) {
            /* RFC 5321 §3.3: data MUST NOT be sent before the 354. */
            srv_unauth_pipelining(s, "message data sent before the 354 reply to DATA");
            return;
        }
        if (!s->pipelining_ok) {
            srv_unauth_pipelining(s,
                                  "commands sent before the reply, but PIPELINING is not in use");
            return;
        }
        if (cmd->last_in_group) {
            char what[80];
            snprintf(what, sizeof what, "%s must be the last command of a group", cmd->verb);
            srv_unauth_pipelining(s, what);
            return;
        }
    }
    if (cmd->ext && !(s->cfg.ext & cmd->ext)) { /* not offered in the EHLO reply */
        srv_reply(s, 502, "5.5.1", "Error: authentication not enabled");
        return;
    }
    if (!(cmd->states & (1u << s->st))) {
        srv_refuse_state(s, cmd);
        return;
    }
    cmd->fn(s, arg, arg_len, has_arg);
}

/* ---- commands --------------------------------------------------------------- */

static void srv_helo_common(struct smtp_server *s, const char *arg, size_t arg_len, bool ehlo)
{
    if (arg_len == 0) {
        srv_reply(s, 501, "5.5.4", ehlo ? "Syntax: EHLO hostname" : "Syntax: HELO hostname");
        return;
    }
    if (!smtp_domain_valid(arg, arg_len)) {
        /* §4.1.1.1 and §4.1.2 (S12): a domain name or an address literal. */
        srv_replyf(s, 501, "5.5.2",
                   "Invalid %s argument: expected a domain name or address literal",
                   ehlo ? "EHLO" : "HELO");
        return;
    }
    srv_txn_reset(s, true); /* §4.1.4: a later EHLO resets like RSET */
    if (s->st == SMTP_SS_INIT) srv_enter_state(s, SMTP_SS_READY);
    s->ehlo = ehlo;
    s->helo = !ehlo;
    s->pipelining_ok = ehlo && (s->cfg.ext & SMTP_EXT_PIPELINING);
    size_t cl = arg_len < sizeof s->client - 1 ? arg_len : sizeof s->client - 1;
    memcpy(s->client, arg, cl);
    s->client[cl] = '\0';
    struct smtp_event *ev = srv_event(s, SMTP_EV_HELO);
    ev->arg = arg;
    ev->arg_len = arg_len;
    char tb[SRV_REPLY_MAX];
    if (!ehlo) {
        /* §4.1.1.1: a HELO reply is one line and offers no extension. */
        srv_reply(s, 250, NULL, srv_text(s, SRV_T_HELO, s->hostname, NULL, 0, tb, sizeof tb));
        return;
    }
    /* §4.1.1.1: "250-domain greeting", then one extension per line:
     * ehlo-line = ehlo-keyword *( SP ehlo-param ). Each line's keyword goes
     * to the session log beside its bytes (kw[i], static text). */
    const char *ext_lines[7], *kw[7];
    char size_line[40];
    size_t ne = 0;
#define SRV_EXT_LINE(k, line) (kw[ne] = (k), ext_lines[ne++] = (line))
    if (s->cfg.ext & SMTP_EXT_PIPELINING) SRV_EXT_LINE("PIPELINING", "PIPELINING");
    if (s->cfg.ext & SMTP_EXT_SIZE) {
        snprintf(size_line, sizeof size_line, "SIZE %llu", (unsigned long long)s->max_msg);
        SRV_EXT_LINE("SIZE", size_line);
    }
    if ((s->cfg.ext & SMTP_EXT_AUTH) && (s->tls || !s->cfg.auth_needs_tls))
        SRV_EXT_LINE("AUTH", "AUTH PLAIN LOGIN");
    if (s->cfg.ext & SMTP_EXT_ENHANCEDSTATUSCODES)
        SRV_EXT_LINE("ENHANCEDSTATUSCODES", "ENHANCEDSTATUSCODES");
    if (s->cfg.ext & SMTP_EXT_8BITMIME) SRV_EXT_LINE("8BITMIME", "8BITMIME");
    if ((s->cfg.ext & SMTP_EXT_STARTTLS) && !s->tls) SRV_EXT_LINE("STARTTLS", "STARTTLS");
#undef SRV_EXT_LINE
    _Static_assert(7 + 1 <= LINE_EXT_MAX, "every EHLO line is named in the session log");
    s->reply_ext[0] = NULL; /* the first line names the server */
    for (size_t i = 0; i < ne; i++) s->reply_ext[i + 1] = kw[i];
    s->reply_n_ext = ne + 1;
    size_t n = srv_reply_head(s, 250, NULL, ne ? '-' : ' ');
    if (s->texts[SRV_T_HELO]) {
        srv_text(s, SRV_T_HELO, "", NULL, 0, tb, sizeof tb);
        n = srv_reply_text(s, n, 0, tb, strlen(tb));
    } else {
        n = srv_reply_text(s, n, 0, s->hostname, strlen(s->hostname));
        n = srv_reply_text(s, n, 0, " Hello ", 7);
        n = srv_reply_text(s, n, 0, arg, arg_len);
    }
    for (size_t i = 0; i < ne; i++) {
        s->reply[n++] = '\r';
        s->reply[n++] = '\n';
        size_t ls = n;
        memcpy(s->reply + n, i + 1 < ne ? "250-" : "250 ", 4);
        n += 4;
        n = srv_reply_text(s, n, ls, ext_lines[i], strlen(ext_lines[i]));
    }
    s->reply_len = n;
    s->reply_code = 250;
    srv_commit_reply(s);
}

static void srv_cmd_ehlo(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    srv_helo_common(s, arg, arg_len, true);
}

static void srv_cmd_helo(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    srv_helo_common(s, arg, arg_len, false);
}

static bool srv_prefix(const char *arg, size_t arg_len, const char *word)
{
    size_t wl = strlen(word);
    return arg_len >= wl && smtp_word_eq(arg, wl, word);
}

static void srv_cmd_mail(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    if (s->cfg.auth_required && !s->authenticated && s->cfg.auth_needs_tls && !s->tls) {
        srv_reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
        return;
    }
    if (s->cfg.auth_required && !s->authenticated) {
        srv_reply(s, 530, "5.7.0", "Authentication required");
        return;
    }
    if (!srv_prefix(arg, arg_len, "FROM:")) {
        srv_reply(s, 501, "5.5.4", "Syntax: MAIL FROM:<address>");
        return;
    }
    const char *p = arg + 5;
    size_t pl = arg_len - 5, used;
    struct smtp_path path;
    enum smtp_syntax_err e = smtp_parse_path(p, pl, true, false, &path, &used);
    if (e != SMTP_SYN_OK) {
        srv_replyf(s, 501, "5.1.7", "Bad sender address syntax: %s", smtp_syntax_strerror(e));
        return;
    }
    const char *rest = p + used;
    size_t rl = pl - used;
    const char *kw, *val;
    size_t kl, vl;
    int r;
    bool seen_size = false, seen_body = false, body8 = false;
    uint64_t size = 0;
    /* §4.1.1.11: parameters come from extensions, which HELO does not enable. */
    unsigned ext = s->helo ? 0u : s->cfg.ext;
    while ((r = smtp_param_next(&rest, &rl, &kw, &kl, &val, &vl)) == 1) {
        if ((ext & SMTP_EXT_SIZE) && smtp_word_eq(kw, kl, "SIZE")) {
            /* RFC 1870 §6: SIZE=<decimal octets>. */
            if (seen_size || !val || !smtp_parse_u64(val, vl, &size)) {
                srv_reply(s, 501, "5.5.4", "Bad SIZE= parameter");
                return;
            }
            seen_size = true;
        } else if ((ext & SMTP_EXT_8BITMIME) && smtp_word_eq(kw, kl, "BODY")) {
            /* RFC 6152 §3: BODY=7BIT or BODY=8BITMIME. */
            if (seen_body || !val ||
                !(smtp_word_eq(val, vl, "7BIT") || smtp_word_eq(val, vl, "8BITMIME"))) {
                srv_reply(s, 501, "5.5.4", "Bad BODY= parameter (7BIT or 8BITMIME)");
                return;
            }
            body8 = smtp_word_eq(val, vl, "8BITMIME");
            seen_body = true;
        } else if ((ext & SMTP_EXT_AUTH) && smtp_word_eq(kw, kl, "AUTH") && val) {
            /* RFC 4954 §5: accepted; mailsim does not trust or use it. */
        } else {
            /* §4.1.1.11: unrecognised or unimplemented parameter. */
            srv_replyf(s, 555, "5.5.4", "Unsupported MAIL parameter %.*s", (int)(kl > 40 ? 40 : kl),
                       kw);
            return;
        }
    }
    if (r < 0) {
        srv_reply(s, 501, "5.5.4", "Syntax error in MAIL parameters");
        return;
    }
    if (seen_size && size > s->max_msg) {
        srv_replyf(s, 552, "5.3.4", "Message size exceeds fixed maximum message size (%llu bytes)",
                   (unsigned long long)s->max_msg);
        return;
    }
    s->rcpts = 0;
    s->body8 = body8;
    srv_enter_state(s, SMTP_SS_MAIL);
    struct smtp_event *ev = srv_event(s, SMTP_EV_TXN_STARTED);
    ev->arg = path.mailbox;
    ev->arg_len = path.mailbox_len;
    ev->eightbit = body8;
    size_t sl = path.mailbox_len < sizeof s->sender - 1 ? path.mailbox_len : sizeof s->sender - 1;
    memcpy(s->sender, path.mailbox, sl);
    s->sender[sl] = '\0';
    char tb[SRV_REPLY_MAX];
    srv_reply(s, 250, "2.1.0", srv_text(s, SRV_T_MAIL, "Ok", NULL, 0, tb, sizeof tb));
}

static void srv_rcpt_refused_event(struct smtp_server *s, const char *a, size_t al)
{
    struct smtp_event *ev = srv_event(s, SMTP_EV_RCPT_REFUSED);
    ev->arg = a;
    ev->arg_len = al;
    ev->code = s->reply_code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
}

/* Reply, then put the RCPT_REFUSED event before the REPLY event it caused. */
static void srv_rcpt_refuse(struct smtp_server *s, const char *a, size_t al, int code,
                            const char *enh, const char *text)
{
    srv_reply(s, code, enh, text);
    struct smtp_event reply_ev;
    line_evq_unpush(&s->ss.evq, &reply_ev);
    srv_rcpt_refused_event(s, a, al);
    *srv_event(s, SMTP_EV_REPLY) = reply_ev;
}

static void srv_cmd_rcpt(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg; /* §4.1.4: RCPT before MAIL gets 503 from the table, state unchanged */
    if (!srv_prefix(arg, arg_len, "TO:")) {
        srv_rcpt_refuse(s, arg, arg_len, 501, "5.5.4", "Syntax: RCPT TO:<address>");
        return;
    }
    const char *p = arg + 3;
    size_t pl = arg_len - 3, used;
    struct smtp_path path;
    enum smtp_syntax_err e = smtp_parse_path(p, pl, false, true, &path, &used);
    if (e != SMTP_SYN_OK) {
        char text[160];
        snprintf(text, sizeof text, "Bad recipient address syntax: %s", smtp_syntax_strerror(e));
        srv_rcpt_refuse(s, p, pl, 501, "5.1.3", text);
        return;
    }
    if (used < pl) {
        const char *rest = p + used, *kw, *val;
        size_t rl = pl - used, kl, vl;
        int r = smtp_param_next(&rest, &rl, &kw, &kl, &val, &vl);
        if (r < 0) {
            srv_rcpt_refuse(s, path.mailbox, path.mailbox_len, 501, "5.5.4",
                            "Syntax error in RCPT parameters");
        } else {
            srv_rcpt_refuse(s, path.mailbox, path.mailbox_len, 555, "5.5.4",
                            "Unsupported RCPT parameter (no RCPT parameters are offered)");
        }
        return;
    }
    if (s->rcpts >= s->cfg.max_recipients) {
        /* §4.5.3.1.10: "MUST use a response code of 452" past the limit. */
        srv_rcpt_refuse(s, path.mailbox, path.mailbox_len, 452, "4.5.3",
                        "Error: too many recipients");
        return;
    }
    s->pend_arg = path.mailbox;
    s->pend_arg_len = path.mailbox_len;
    if (path.postmaster) {
        /* §4.5.1: <postmaster> with no domain MUST be accepted. */
        s->pend = SRV_PEND_RCPT;
        smtp_server_verdict(s, SMTP_V_ACCEPT, NULL);
        return;
    }
    s->pend = SRV_PEND_RCPT;
    struct smtp_event *ev = srv_event(s, SMTP_EV_RCPT_ASKED);
    ev->arg = path.mailbox;
    ev->arg_len = path.mailbox_len;
    ev->needs_verdict = true;
}

static void srv_cmd_data(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    if (s->st == SMTP_SS_MAIL) {
        /* §3.3: no accepted recipient: 503 or 554 "no valid recipients". */
        srv_reply(s, 554, "5.5.1", "Error: no valid recipients");
        return;
    }
    if (has_arg) {
        srv_reply(s, 501, "5.5.4", "Syntax: DATA (no arguments)");
        return;
    }
    srv_enter_state(s, SMTP_SS_DATA);
    smtp_dot_dec_init(&s->dec, s->msg, s->msg_cap < s->max_msg ? s->msg_cap : (size_t)s->max_msg);
    s->dec.lenient_lf = s->cfg.unsafe_lenient_data_end;
    s->data_off = s->ss.in_total;
    char tb[SRV_REPLY_MAX];
    srv_reply(s, 354, NULL,
              srv_text(s, SRV_T_DATA, "End data with <CR><LF>.<CR><LF>", NULL, 0, tb, sizeof tb));
}

static void srv_cmd_rset(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    if (has_arg) {
        srv_reply(s, 501, "5.5.4", "Syntax: RSET (no arguments)");
        return;
    }
    srv_txn_reset(s, true);
    srv_reply(s, 250, "2.0.0", "Ok");
}

/* RFC 3207 §4: 220, then TLS; §4.2: the server forgets what it learned
 * (EHLO, AUTH) and the client starts over with EHLO. */
static void srv_cmd_starttls(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    if (!(s->cfg.ext & SMTP_EXT_STARTTLS)) {
        srv_cmd_notimpl(s, arg, arg_len, has_arg);
        return;
    }
    if (has_arg) {
        srv_reply(s, 501, "5.5.4", "Syntax: STARTTLS (no arguments)");
        return;
    }
    if (s->tls) {
        srv_reply(s, 503, "5.5.1", "Error: TLS already active");
        return;
    }
    if (s->st == SMTP_SS_MAIL || s->st == SMTP_SS_RCPT) {
        srv_reply(s, 503, "5.5.1", "Error: MAIL transaction in progress");
        return;
    }
    srv_txn_reset(s, true);
    s->tls = true;
    s->ehlo = false;
    s->pipelining_ok = false;
    s->authenticated = false;
    s->ss.discard_rest = true;
    srv_reply(s, 220, "2.0.0", "Ready to start TLS");
    line_log_tls_begins(&s->ss.log);
    if (s->st != SMTP_SS_INIT) srv_enter_state(s, SMTP_SS_INIT);
}

static void srv_cmd_noop(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    if (srv_has_ctl(arg, arg_len)) {
        srv_reply(s, 501, "5.5.2", "Error: control character in argument");
        return;
    }
    srv_reply(s, 250, "2.0.0", "Ok");
}

static void srv_cmd_vrfy(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    if (arg_len == 0) {
        srv_reply(s, 501, "5.5.4", "Syntax: VRFY address");
        return;
    }
    if (srv_has_ctl(arg, arg_len)) {
        srv_reply(s, 501, "5.5.2", "Error: control character in argument");
        return;
    }
    /* §3.5.3 and §7.3: 252 neither confirms nor denies the mailbox. */
    srv_reply(s, 252, "2.0.0", "Cannot VRFY user, but will accept message and attempt delivery");
}

static void srv_cmd_expn(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    (void)has_arg;
    srv_reply(s, 502, "5.5.1", "Error: EXPN is not offered (RFC 5321 7.3)");
}

static void srv_cmd_help(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    (void)has_arg;
    srv_reply(s, 214, "2.0.0",
              (s->cfg.ext & SMTP_EXT_AUTH)
                  ? "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT AUTH"
                  : "Commands: EHLO HELO MAIL RCPT DATA RSET NOOP VRFY HELP QUIT");
}

static void srv_cmd_quit(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    if (has_arg) {
        srv_reply(s, 501, "5.5.4", "Syntax: QUIT (no arguments)");
        return;
    }
    /* §4.1.1.10: cancel a pending transaction, keep completed ones. */
    srv_txn_reset(s, true);
    srv_enter_state(s, SMTP_SS_CLOSED);
    if (s->texts[SRV_T_QUIT]) {
        char tb[SRV_REPLY_MAX];
        srv_reply(s, 221, "2.0.0", srv_text(s, SRV_T_QUIT, "", NULL, 0, tb, sizeof tb));
    } else {
        srv_replyf(s, 221, "2.0.0", "%s Service closing transmission channel", s->hostname);
    }
    s->pend = SRV_PEND_NONE;
    srv_event(s, SMTP_EV_SESSION_CLOSED);
}

static void srv_cmd_notimpl(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)arg;
    (void)arg_len;
    (void)has_arg;
    srv_reply(s, 502, "5.5.1", "Error: command not implemented");
}

/* ---- AUTH (RFC 4954) ------------------------------------------------------- */

static void srv_auth_clear(struct smtp_server *s)
{
    /* S19 / CVE-2011-1720: a fresh mechanism state for every attempt. */
    s->mech = SRV_MECH_NONE;
    s->auth_step = 0;
    s->auth_user_len = s->auth_pass_len = s->auth_zid_len = 0;
    memset(s->auth_pass, 0, sizeof s->auth_pass);
}

static void srv_auth_fail(struct smtp_server *s, int code, const char *enh, const char *text)
{
    srv_auth_clear(s);
    if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
    srv_reply(s, code, enh, text);
    struct smtp_event reply_ev;
    line_evq_unpush(&s->ss.evq, &reply_ev);
    struct smtp_event *ev = srv_event(s, SMTP_EV_AUTH_DONE);
    ev->code = code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
    *srv_event(s, SMTP_EV_REPLY) = reply_ev;
}

static void srv_auth_ask(struct smtp_server *s)
{
    s->pend = SRV_PEND_AUTH;
    struct smtp_event *ev = srv_event(s, SMTP_EV_AUTH_ASKED);
    ev->arg = s->mech == SRV_MECH_PLAIN ? "PLAIN" : "LOGIN";
    ev->arg_len = 5;
    ev->user = s->auth_user;
    ev->user_len = s->auth_user_len;
    ev->pass = s->auth_pass;
    ev->pass_len = s->auth_pass_len;
    ev->authzid = s->auth_zid;
    ev->authzid_len = s->auth_zid_len;
    ev->needs_verdict = true;
}

/* Decode one base64 SASL response into s->sasl; false after replying 501. */
static bool srv_sasl_decode(struct smtp_server *s, const char *b, size_t bl, size_t *out_len)
{
    if (bl == 1 && b[0] == '*') { /* RFC 4954 §4: the client cancels */
        srv_auth_fail(s, 501, "5.7.0", "Authentication cancelled");
        return false;
    }
    if (bl == 1 && b[0] == '=') { /* RFC 4954 §4: "=" is an empty initial response */
        *out_len = 0;
        return true;
    }
    if (b64_decoded_max(bl) > sizeof s->sasl ||
        !b64_decode(b, bl, (unsigned char *)s->sasl, out_len, false)) {
        srv_auth_fail(s, 501, "5.5.2", "Cannot decode the base64 response");
        return false;
    }
    return true;
}

static bool srv_sasl_copy(char *dst, size_t *dl, const char *src, size_t n)
{
    if (n >= SRV_SASL_MAX) return false;
    memcpy(dst, src, n);
    dst[n] = '\0';
    *dl = n;
    return true;
}

/* PLAIN (RFC 4616): [authzid] NUL authcid NUL passwd. */
static void srv_auth_plain(struct smtp_server *s, size_t n)
{
    const char *d = s->sasl;
    const char *z1 = memchr(d, '\0', n);
    const char *z2 = z1 ? memchr(z1 + 1, '\0', n - (size_t)(z1 + 1 - d)) : NULL;
    if (!z1 || !z2 || memchr(z2 + 1, '\0', n - (size_t)(z2 + 1 - d)) || z2 == z1 + 1 ||
        !srv_sasl_copy(s->auth_zid, &s->auth_zid_len, d, (size_t)(z1 - d)) ||
        !srv_sasl_copy(s->auth_user, &s->auth_user_len, z1 + 1, (size_t)(z2 - z1 - 1)) ||
        !srv_sasl_copy(s->auth_pass, &s->auth_pass_len, z2 + 1, n - (size_t)(z2 + 1 - d))) {
        srv_auth_fail(s, 501, "5.5.2", "Malformed PLAIN response (authzid NUL user NUL password)");
        return;
    }
    srv_auth_ask(s);
}

static void srv_login_step(struct smtp_server *s, size_t n)
{
    if (memchr(s->sasl, '\0', n)) {
        srv_auth_fail(s, 501, "5.5.2", "NUL byte in LOGIN response");
        return;
    }
    if (s->auth_step == 0) {
        if (n == 0 || !srv_sasl_copy(s->auth_user, &s->auth_user_len, s->sasl, n)) {
            srv_auth_fail(s, 501, "5.5.2", "Bad LOGIN user name");
            return;
        }
        s->auth_step = 1;
        srv_enter_state(s, SMTP_SS_AUTH);
        srv_reply(s, 334, NULL, "UGFzc3dvcmQ6"); /* "Password:" */
        return;
    }
    if (!srv_sasl_copy(s->auth_pass, &s->auth_pass_len, s->sasl, n)) {
        srv_auth_fail(s, 501, "5.5.2", "Bad LOGIN password");
        return;
    }
    srv_auth_ask(s);
}

static void srv_cmd_auth(struct smtp_server *s, const char *arg, size_t arg_len, bool has_arg)
{
    (void)has_arg;
    if (!s->ehlo) { /* RFC 4954 §4: AUTH is an ESMTP extension */
        srv_reply(s, 503, "5.5.1", "Error: send EHLO first");
        return;
    }
    if (s->authenticated) {
        srv_reply(s, 503, "5.5.1", "Error: already authenticated");
        return;
    }
    if (s->cfg.auth_needs_tls && !s->tls) { /* RFC 4954 §4: no password in clear */
        srv_reply(s, 530, "5.7.0", "Must issue a STARTTLS command first");
        return;
    }
    srv_auth_clear(s);
    size_t ml = 0;
    while (ml < arg_len && arg[ml] != ' ') ml++;
    if (ml == 0) {
        srv_reply(s, 501, "5.5.4", "Syntax: AUTH mechanism [initial-response]");
        return;
    }
    if (smtp_word_eq(arg, ml, "PLAIN")) {
        s->mech = SRV_MECH_PLAIN;
    } else if (smtp_word_eq(arg, ml, "LOGIN")) {
        s->mech = SRV_MECH_LOGIN;
    } else {
        srv_reply(s, 504, "5.5.4", "Unrecognized authentication type");
        return;
    }
    if (ml < arg_len) { /* an initial response (RFC 4954 §4) */
        size_t n;
        srv_enter_state(s, SMTP_SS_AUTH);
        if (!srv_sasl_decode(s, arg + ml + 1, arg_len - ml - 1, &n)) return;
        if (s->mech == SRV_MECH_PLAIN) {
            srv_auth_plain(s, n);
        } else {
            srv_login_step(s, n);
        }
        return;
    }
    srv_enter_state(s, SMTP_SS_AUTH);
    srv_reply(s, 334, NULL, s->mech == SRV_MECH_PLAIN ? "" : "VXNlcm5hbWU6"); /* "Username:" */
}

static void srv_sasl_line(struct smtp_server *s, const char *line, size_t len)
{
    size_t n;
    if (!srv_sasl_decode(s, line, len, &n)) return;
    if (s->mech == SRV_MECH_PLAIN) {
        srv_auth_plain(s, n);
    } else {
        srv_login_step(s, n);
    }
}

/* ---- end of data ----------------------------------------------------------- */

static void srv_message_refuse(struct smtp_server *s, int code, const char *enh, const char *fmt,
                               ...) MS_PRINTF(4, 5);

static void srv_message_refuse(struct smtp_server *s, int code, const char *enh, const char *fmt,
                               ...)
{
    char text[SRV_REPLY_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    srv_txn_reset(s, false);
    size_t n = srv_reply_head(s, code, enh, ' ');
    s->reply_len = srv_reply_text(s, n, 0, text, strlen(text));
    struct smtp_event *ev = srv_event(s, SMTP_EV_MESSAGE_REFUSED);
    ev->code = code;
    ev->text = s->reply;
    ev->text_len = s->reply_len;
    ev->offset = s->data_off;
    s->cmd_len = 0;
    srv_commit_reply(s);
}

static void srv_data_end(struct smtp_server *s)
{
    const struct smtp_dot_dec *d = &s->dec;
    s->cmd_len = 0;
    s->data_reply = true; /* the reply, now or with the verdict, answers the message */
    /* Checks in order of severity. The data was read to its real end in
     * every case, so the session stays in step (§4.5.3.1.9, S2, S5). */
    if (d->total > s->max_msg) {
        srv_message_refuse(s, 552, "5.3.4",
                           "Message size exceeds fixed maximum message size (%llu bytes)",
                           (unsigned long long)s->max_msg);
        return;
    }
    bool bare_lf = d->bare_lf_line && !s->cfg.unsafe_accept_bare_lf;
    if (bare_lf || d->bare_cr_line) {
        /* Strict mode against SMTP smuggling (CVE-2023-51764): only CRLF
         * ends a line (RFC 5321 §2.3.8), so we refuse instead of guessing. */
        bool lf = bare_lf && (!d->bare_cr_line || d->bare_lf_line <= d->bare_cr_line);
        srv_message_refuse(
            s, 550, "5.5.2",
            "Message refused: bare <%s> in line %llu of the data; only <CRLF> ends a line "
            "(RFC 5321 2.3.8)",
            lf ? "LF" : "CR", (unsigned long long)(lf ? d->bare_lf_line : d->bare_cr_line));
        return;
    }
    if (d->nul_line) {
        srv_message_refuse(s, 554, "5.6.0", "Message refused: NUL byte in line %llu of the data",
                           (unsigned long long)d->nul_line);
        return;
    }
    if (d->long_line) {
        srv_message_refuse(
            s, 554, "5.6.0",
            "Message refused: line %llu is %zu octets long; the limit is 1000 with CRLF "
            "(RFC 5321 4.5.3.1.6)",
            (unsigned long long)d->long_line, d->long_line_len);
        return;
    }
    if (d->eightbit_line && !s->body8) {
        srv_message_refuse(
            s, 554, "5.6.1",
            "Message refused: 8-bit octet 0x%02X in line %llu without BODY=8BITMIME; "
            "SMTP carries 7-bit ASCII (RFC 5321 2.4, RFC 6152)",
            (unsigned)d->eightbit_byte, (unsigned long long)d->eightbit_line);
        return;
    }
    s->pend = SRV_PEND_MSG;
    struct smtp_event *ev = srv_event(s, SMTP_EV_MESSAGE);
    ev->arg = s->msg ? s->msg : "";
    ev->arg_len = d->len;
    ev->offset = s->data_off;
    ev->eightbit = s->body8;
    ev->needs_verdict = true;
}

/* ---- verdicts, time, hang-up -------------------------------------------- */

struct srv_vinfo {
    int code;
    const char *enh;
    const char *text;
};

static struct srv_vinfo srv_verdict_info(enum srv_pending p, enum smtp_verdict v)
{
    switch (v) {
    case SMTP_V_ACCEPT:
        if (p == SRV_PEND_AUTH)
            return (struct srv_vinfo){235, "2.7.0", "Authentication successful"};
        if (p == SRV_PEND_MSG) return (struct srv_vinfo){250, "2.0.0", "Ok: queued"};
        return (struct srv_vinfo){250, "2.1.5", "Ok"};
    case SMTP_V_UNKNOWN_USER:
        return (struct srv_vinfo){550, "5.1.1", "Recipient address rejected: User unknown"};
    case SMTP_V_RELAY_DENIED:
        return (struct srv_vinfo){554, "5.7.1", "Relay access denied"};
    case SMTP_V_TEMPFAIL:
        return (struct srv_vinfo){451, "4.3.0", "Temporary failure, try again later"};
    case SMTP_V_NO_STORAGE:
        return (struct srv_vinfo){452, "4.3.1", "Insufficient system storage"};
    case SMTP_V_LOOP:
        return (struct srv_vinfo){554, "5.4.6",
                                  "Too many Received: header fields: mail loop (RFC 5321 6.3)"};
    case SMTP_V_AUTH_FAILED:
        return (struct srv_vinfo){535, "5.7.8", "Error: authentication failed"};
    case SMTP_V_REJECT:
    default:
        if (p == SRV_PEND_AUTH)
            return (struct srv_vinfo){535, "5.7.8", "Error: authentication failed"};
        return (struct srv_vinfo){554, "5.7.1", "Transaction failed"};
    }
}

static void srv_verdict_apply(struct smtp_server *s, int code, const char *enh, const char *text,
                              bool with_addr)
{
    enum srv_pending p = s->pend;
    s->pend = SRV_PEND_NONE;
    srv_step_begin(s);
    if (s->st == SMTP_SS_CLOSED) return;
    bool ok = code >= 200 && code < 300;
    /* An enhanced code the caller wrote itself is kept as is. */
    if (text && text[0] >= '2' && text[0] <= '5' && text[1] == '.') enh = NULL;
    size_t n = srv_reply_head(s, code, enh, ' ');
    if (with_addr) {
        s->reply[n++] = '<';
        n = srv_reply_text(s, n, 0, s->pend_arg, s->pend_arg_len);
        n = srv_reply_text(s, n, 0, ">: ", 3);
    }
    s->reply_len = srv_reply_text(s, n, 0, text, strlen(text));
    switch (p) {
    case SRV_PEND_RCPT: {
        if (ok) {
            s->rcpts++;
            srv_enter_state(s, SMTP_SS_RCPT);
        }
        struct smtp_event *ev = srv_event(s, ok ? SMTP_EV_RCPT_ACCEPTED : SMTP_EV_RCPT_REFUSED);
        ev->arg = s->pend_arg;
        ev->arg_len = s->pend_arg_len;
        ev->code = code;
        ev->text = s->reply;
        ev->text_len = s->reply_len;
        break;
    }
    case SRV_PEND_AUTH: {
        if (ok) s->authenticated = true;
        srv_enter_state(s, SMTP_SS_READY);
        memset(s->auth_pass, 0, sizeof s->auth_pass);
        struct smtp_event *ev = srv_event(s, SMTP_EV_AUTH_DONE);
        ev->code = code;
        ev->text = s->reply;
        ev->text_len = s->reply_len;
        break;
    }
    case SRV_PEND_MSG:
        srv_txn_reset(s, false);
        s->cmd_len = 0;
        break;
    case SRV_PEND_NONE:
        break;
    }
    srv_commit_reply(s);
    srv_step_end(s);
}

void smtp_server_verdict(struct smtp_server *s, enum smtp_verdict v, const char *text)
{
    assert(s->pend != SRV_PEND_NONE);
    if (s->pend == SRV_PEND_NONE) return;
    struct srv_vinfo vi = srv_verdict_info(s->pend, v);
    bool addr = s->pend == SRV_PEND_RCPT && v != SMTP_V_NO_STORAGE;
    char tb[SRV_REPLY_MAX];
    bool dflt = text == NULL;
    if (!text && v == SMTP_V_ACCEPT && s->pend == SRV_PEND_RCPT)
        text = srv_text(s, SRV_T_RCPT, NULL, s->pend_arg, s->pend_arg_len, tb, sizeof tb);
    else if (!text && v == SMTP_V_ACCEPT && s->pend == SRV_PEND_MSG)
        text = srv_text(s, SRV_T_QUEUED, NULL, NULL, 0, tb, sizeof tb);
    srv_verdict_apply(s, vi.code, vi.enh, text ? text : vi.text,
                      addr && !(v == SMTP_V_ACCEPT && dflt));
}

void smtp_server_verdict_code(struct smtp_server *s, int code, const char *text)
{
    assert(s->pend != SRV_PEND_NONE && code >= 200 && code <= 599);
    if (s->pend == SRV_PEND_NONE) return;
    if (code < 200 || code > 599) code = 554;
    const char *enh = code < 300 ? "2.0.0" : code < 500 ? "4.0.0" : "5.0.0";
    srv_verdict_apply(s, code, enh, text ? text : (code < 300 ? "Ok" : "Refused"), false);
}

void smtp_server_timeout(struct smtp_server *s)
{
    if (s->st == SMTP_SS_CLOSED) return;
    srv_step_begin(s);
    s->pend = SRV_PEND_NONE;
    s->data_reply = false;
    s->cmd_len = 0;
    if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
    srv_txn_reset(s, true);
    /* §4.5.3.2.7 and §3.8: the server closes with 421 on idle timeout. */
    srv_replyf(s, 421, "4.4.2", "%s Error: timeout exceeded", s->hostname);
    srv_close(s);
    srv_step_end(s);
}

void smtp_server_shutdown(struct smtp_server *s)
{
    if (s->st == SMTP_SS_CLOSED) return;
    srv_step_begin(s);
    s->pend = SRV_PEND_NONE;
    s->cmd_len = 0;
    if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
    srv_txn_reset(s, true);
    /* §3.8: 421 when the service must shut down. */
    srv_replyf(s, 421, "4.3.2", "%s Service shutting down, closing transmission channel",
               s->hostname);
    srv_close(s);
    srv_step_end(s);
}

void smtp_server_hangup(struct smtp_server *s)
{
    if (s->st == SMTP_SS_CLOSED) return;
    srv_step_begin(s);
    s->pend = SRV_PEND_NONE; /* a pending verdict is void: no 250 was sent */
    if (s->st == SMTP_SS_AUTH) srv_enter_state(s, SMTP_SS_READY);
    srv_txn_reset(s, true);
    srv_close(s);
    srv_step_end(s);
}
