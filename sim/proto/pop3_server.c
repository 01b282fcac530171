/* pop3_server.c -- POP3 server engine (RFC 1939, RFC 2449 CAPA); see pop3_server.h. */
#include "proto/pop3_server.h"

#include "core/common.h"
#include "core/md5.h"
#include "proto/line_sess.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define POP3_LINE_MAX 255   /* command line incl. CRLF, RFC 2449 §4 */
#define POP3_ARG_MAX 40     /* each argument, RFC 1939 §3 */
#define POP3_REPLY_MAX 512  /* first line of a response incl. CRLF, RFC 2449 §4 */
#define POP3_OUT_CAP 8192   /* fixed output buffer */
#define POP3_OUT_CHUNK 4096 /* a multi-line response is produced this much at a time */
#define POP3_OUT_HIGH 2048  /* stop reading commands while this much is unsent */
#define POP3_EVQ 32
#define POP3_AUTH_TRIES 3 /* failed logins before the server closes */

static const char *const pop3_state_names[POP3_S_COUNT] = {
    [POP3_S_AUTHORIZATION] = "AUTHORIZATION",
    [POP3_S_TRANSACTION] = "TRANSACTION",
    [POP3_S_UPDATE] = "UPDATE",
    [POP3_S_CLOSED] = "CLOSED",
};

enum pop3_stream { POP3_ST_NONE, POP3_ST_MSG, POP3_ST_LIST, POP3_ST_UIDL };

struct pop3_qev {
    struct pop3_server_event ev;
    char text[POP3_REPLY_MAX];
};

struct pop3_server {
    enum pop3_state state;
    struct line_sess ss; /* reader, output, events, offsets, session log */
    char *host, *ts;
    /* multi-line response being produced */
    enum pop3_stream stream;
    size_t st_idx, st_pos, st_end;
    bool st_bol; /* at the start of a line: a '.' here is doubled */
    char st_prev;
    /* maildrop snapshot (borrowed) and deletion marks */
    const struct pop3_msg *msgs;
    size_t n;
    bool *deleted;
    const char **upd_uids;
    size_t n_upd;
    /* authorization */
    char user[POP3_ARG_MAX + 1];
    bool have_user;
    bool stls_offer, tls;      /* STLS offered; done (RFC 2595 §4) */
    unsigned bad_run, max_bad; /* -ERR replies in a row; the limit (0: none) */
    char secret[POP3_LINE_MAX + 1];
    enum pop3_auth_method method;
    bool auth_pending, update_pending;
    int auth_failures;
    /* the command being answered, for its COMMAND event */
    char verb[5];
    enum pop3_state cmd_from;
    size_t cmd_offset;
    char last_reply[POP3_REPLY_MAX];
    bool last_ok;
    bool in_first_line;    /* the command being handled is the session's first */
    const char *close_why; /* CLOSE event owed after the current COMMAND event */
    enum pop3_state close_from;
};

typedef void pop3_cmd_fn(struct pop3_server *s, char **argv, size_t argc);

static void pop3_enter_state(struct pop3_server *s, enum pop3_state to);
static void pop3_reply(struct pop3_server *s, bool ok, const char *fmt, ...) MS_PRINTF(3, 4);
static void pop3_command_done(struct pop3_server *s);
static struct pop3_qev *pop3_push_event(struct pop3_server *s, enum pop3_sev_kind kind);

const char *pop3_state_name(enum pop3_state st)
{
    return (unsigned)st < POP3_S_COUNT ? pop3_state_names[st] : "?";
}

/* ---- output --------------------------------------------------------------- */

static size_t pop3_pending(const struct pop3_server *s)
{
    return line_sess_pending(&s->ss);
}

static void pop3_out_write(struct pop3_server *s, const char *p, size_t n)
{
    /* The read side stops at POP3_OUT_HIGH and a stream chunk is bounded, so
     * this holds; a failure is our bug, never the peer's. */
    assert(n <= line_sess_room(&s->ss));
    line_sess_write(&s->ss, p, n);
}

static void pop3_out_str(struct pop3_server *s, const char *str)
{
    pop3_out_write(s, str, strlen(str));
}

/* A single-line response "+OK text" / "-ERR text" (RFC 1939 §3), at most 512
 * octets with CRLF; the text is kept for the COMMAND event. */
static void pop3_reply(struct pop3_server *s, bool ok, const char *fmt, ...)
{
    char text[POP3_REPLY_MAX - 8];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text, sizeof text, fmt, ap);
    va_end(ap);
    char line[POP3_REPLY_MAX];
    int n =
        snprintf(line, sizeof line, "%s%s%s\r\n", ok ? "+OK" : "-ERR", text[0] ? " " : "", text);
    /* every -ERR counts toward cfg.max_bad (pop3_command_done) */
    line_log_mark_out(&s->ss.log, ok ? LINE_F_OK : LINE_F_ERR | LINE_F_BAD, 0, s->verb);
    pop3_out_write(s, line, (size_t)n);
    line_log_mark_out(&s->ss.log, LINE_F_CONT, 0, NULL); /* the lines of a multi-line response */
    s->last_ok = ok;
    snprintf(s->last_reply, sizeof s->last_reply, "%s", text);
}

/* Produce the next piece of a multi-line response, byte-stuffing every line
 * that starts with '.' and ending with ".CRLF" (RFC 1939 §3). */
static void pop3_stream_fill(struct pop3_server *s)
{
    char tmp[32];
    while (s->stream != POP3_ST_NONE && pop3_pending(s) < POP3_OUT_CHUNK) {
        if (s->stream == POP3_ST_MSG) {
            const char *d = s->msgs[s->st_idx].data;
            /* a chunk may end one byte past POP3_OUT_CHUNK (a doubled dot) */
            size_t lim = POP3_OUT_CHUNK - pop3_pending(s), room, k = 0;
            char *o = line_sess_reserve(&s->ss, lim + 1, &room);
            assert(room == lim + 1);
            while (s->st_pos < s->st_end && k < lim) {
                char c = d[s->st_pos++];
                if (s->st_bol && c == '.') o[k++] = '.';
                o[k++] = c;
                s->st_bol = (s->st_prev == '\r' && c == '\n');
                s->st_prev = c;
            }
            line_log_mark_out(&s->ss.log, LINE_F_DATA | LINE_F_CONT, 0, NULL);
            line_sess_commit(&s->ss, k);
            if (s->st_pos < s->st_end) return;
            if (!s->st_bol) pop3_out_str(s, "\r\n"); /* last line lacked its CRLF */
        } else {
            while (s->st_idx < s->n && pop3_pending(s) < POP3_OUT_CHUNK) {
                size_t i = s->st_idx++;
                if (s->deleted[i]) continue;
                int k = s->stream == POP3_ST_LIST
                            ? snprintf(tmp, sizeof tmp, "%zu %zu\r\n", i + 1, s->msgs[i].len)
                            : snprintf(tmp, sizeof tmp, "%zu ", i + 1);
                pop3_out_write(s, tmp, (size_t)k);
                if (s->stream == POP3_ST_UIDL) {
                    pop3_out_str(s, s->msgs[i].uid);
                    pop3_out_str(s, "\r\n");
                }
            }
            if (s->st_idx < s->n) return;
        }
        line_log_mark_out(&s->ss.log, LINE_F_CONT, 0, NULL);
        pop3_out_str(s, ".\r\n");
        s->stream = POP3_ST_NONE;
    }
}

size_t pop3_server_out(struct pop3_server *s, const char **out)
{
    if (pop3_pending(s) == 0) pop3_stream_fill(s);
    return line_sess_out(&s->ss, out);
}

void pop3_server_out_done(struct pop3_server *s, size_t n)
{
    assert(n <= pop3_pending(s));
    line_sess_out_done(&s->ss, n);
}

/* ---- events and states ------------------------------------------------------ */

static struct pop3_qev *pop3_push_event(struct pop3_server *s, enum pop3_sev_kind kind)
{
    assert(line_sess_events(&s->ss) < POP3_EVQ); /* recv stops reading well before */
    struct pop3_qev *q = line_sess_event(&s->ss, sizeof *q);
    q->ev.kind = kind;
    q->ev.from = q->ev.to = s->state;
    return q;
}

bool pop3_server_event(struct pop3_server *s, struct pop3_server_event *ev)
{
    const struct pop3_qev *q = line_sess_take(&s->ss, sizeof *q);
    if (!q) return false;
    *ev = q->ev;
    ev->reason = q->text;
    return true;
}

/* The only place the state changes; the session log reports it. */
static void pop3_enter_state(struct pop3_server *s, enum pop3_state to)
{
    line_sess_enter(&s->ss, (int)to, NULL);
    s->state = to;
}

static void pop3_push_close(struct pop3_server *s, enum pop3_state from, const char *why)
{
    struct pop3_qev *q = pop3_push_event(s, POP3_EV_CLOSE);
    q->ev.from = from;
    snprintf(q->text, sizeof q->text, "%s", why);
}

/* Enter CLOSED. Inside a command the CLOSE event follows its COMMAND event. */
static void pop3_close(struct pop3_server *s, const char *why)
{
    s->close_from = s->state;
    pop3_enter_state(s, POP3_S_CLOSED);
    s->close_why = why;
}

/* Record the COMMAND event for the reply just written. */
static void pop3_command_done(struct pop3_server *s)
{
    /* A client that sends nothing but failing commands is let go: after
     * cfg.max_bad -ERR replies in a row the server closes (RFC 1939 §3
     * lets the server end the session; there is no unsolicited reply). */
    s->bad_run = s->last_ok ? 0 : s->bad_run + 1;
    if (s->max_bad && s->bad_run >= s->max_bad && s->state != POP3_S_CLOSED && !s->close_why)
        pop3_close(s, "too many bad commands");
    struct pop3_qev *q = pop3_push_event(s, POP3_EV_COMMAND);
    memcpy(q->ev.verb, s->verb, sizeof q->ev.verb);
    q->ev.from = s->cmd_from;
    q->ev.to = s->state;
    q->ev.ok = s->last_ok;
    q->ev.offset = s->cmd_offset;
    snprintf(q->text, sizeof q->text, "%s", s->last_reply);
    if (s->close_why) {
        pop3_push_close(s, s->close_from, s->close_why);
        s->close_why = NULL;
    }
}

/* ---- maildrop helpers ------------------------------------------------------- */

static void pop3_totals(const struct pop3_server *s, size_t *count, size_t *octets)
{
    *count = *octets = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->deleted[i]) continue;
        (*count)++;
        *octets += s->msgs[i].len;
    }
}

/* Parse a decimal argument with an overflow check (bad-inputs X9): digits
 * only, no sign, no '.'; values too large saturate at SIZE_MAX. */
static bool pop3_parse_num(const char *a, size_t *v)
{
    if (!*a) return false;
    size_t x = 0;
    for (; *a; a++) {
        if (*a < '0' || *a > '9') return false;
        unsigned d = (unsigned)(*a - '0');
        x = x > (SIZE_MAX - d) / 10 ? SIZE_MAX : x * 10 + d;
    }
    *v = x;
    return true;
}

/* A message-number argument (RFC 1939 §5): 1..n and not marked deleted.
 * Replies -ERR itself and returns false when it is not usable. */
static bool pop3_msgno(struct pop3_server *s, const char *arg, size_t *idx)
{
    size_t v;
    if (!pop3_parse_num(arg, &v)) {
        pop3_reply(s, false, "invalid message number");
        return false;
    }
    if (v == 0 || v > s->n) {
        pop3_reply(s, false, "no such message, only %zu messages in maildrop", s->n);
        return false;
    }
    if (s->deleted[v - 1]) {
        pop3_reply(s, false, "message %zu already deleted", v);
        return false;
    }
    *idx = v - 1;
    return true;
}

/* ---- commands --------------------------------------------------------------- */

static void pop3_cmd_user(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    snprintf(s->user, sizeof s->user, "%s", argv[0]);
    s->have_user = true;
    pop3_reply(s, true, "%s, send PASS", s->user);
}

static void pop3_auth_request(struct pop3_server *s, enum pop3_auth_method m)
{
    s->method = m;
    s->auth_pending = true;
    struct pop3_qev *q = pop3_push_event(s, POP3_EV_AUTH);
    q->ev.method = m;
    q->ev.user = s->user;
    q->ev.secret = s->secret;
    q->ev.timestamp = s->ts;
}

static void pop3_cmd_pass(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    if (!s->have_user) {
        pop3_reply(s, false, "send USER first");
        return;
    }
    s->have_user = false;
    snprintf(s->secret, sizeof s->secret, "%s", argv[0]);
    pop3_auth_request(s, POP3_AUTH_PASS);
}

static void pop3_cmd_apop(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    if (!s->ts) {
        pop3_reply(s, false, "APOP not available");
        return;
    }
    /* RFC 1939 §7: the digest is 32 lowercase hex digits (bad-inputs P9). */
    const char *d = argv[1];
    size_t i = 0;
    for (; d[i]; i++) {
        if (!((d[i] >= '0' && d[i] <= '9') || (d[i] >= 'a' && d[i] <= 'f'))) break;
    }
    if (i != 32 || d[i]) {
        pop3_reply(s, false, "APOP digest must be 32 lowercase hex digits");
        return;
    }
    s->have_user = false;
    snprintf(s->user, sizeof s->user, "%s", argv[0]);
    snprintf(s->secret, sizeof s->secret, "%s", d);
    pop3_auth_request(s, POP3_AUTH_APOP);
}

static void pop3_cmd_quit(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    if (s->state == POP3_S_AUTHORIZATION) { /* §4: no UPDATE from here */
        pop3_reply(s, true, "%s POP3 server signing off", s->host);
        pop3_close(s, "QUIT");
        return;
    }
    /* §6: enter UPDATE; the caller removes the marked messages. */
    s->n_upd = 0;
    for (size_t i = 0; i < s->n; i++) {
        if (s->deleted[i]) s->upd_uids[s->n_upd++] = s->msgs[i].uid;
    }
    pop3_enter_state(s, POP3_S_UPDATE);
    s->update_pending = true;
    struct pop3_qev *q = pop3_push_event(s, POP3_EV_UPDATE);
    q->ev.from = POP3_S_TRANSACTION;
    q->ev.uids = s->upd_uids;
    q->ev.n_uids = s->n_upd;
}

static void pop3_cmd_stat(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    size_t c, o;
    pop3_totals(s, &c, &o);
    pop3_reply(s, true, "%zu %zu", c, o);
}

static void pop3_cmd_list_uidl(struct pop3_server *s, char **argv, size_t argc, bool uidl)
{
    size_t i;
    if (argc == 1) {
        if (!pop3_msgno(s, argv[0], &i)) return;
        if (uidl) {
            pop3_reply(s, true, "%zu %s", i + 1, s->msgs[i].uid);
        } else {
            pop3_reply(s, true, "%zu %zu", i + 1, s->msgs[i].len);
        }
        return;
    }
    if (uidl) {
        pop3_reply(s, true, "unique-id listing follows");
    } else {
        size_t c, o;
        pop3_totals(s, &c, &o);
        pop3_reply(s, true, "%zu messages (%zu octets)", c, o);
    }
    s->stream = uidl ? POP3_ST_UIDL : POP3_ST_LIST;
    s->st_idx = 0;
}

static void pop3_cmd_list(struct pop3_server *s, char **argv, size_t argc)
{
    pop3_cmd_list_uidl(s, argv, argc, false);
}

static void pop3_cmd_uidl(struct pop3_server *s, char **argv, size_t argc)
{
    pop3_cmd_list_uidl(s, argv, argc, true);
}

static void pop3_stream_msg(struct pop3_server *s, size_t i, size_t end)
{
    s->stream = POP3_ST_MSG;
    s->st_idx = i;
    s->st_pos = 0;
    s->st_end = end;
    s->st_bol = true;
    s->st_prev = '\n';
}

static void pop3_cmd_retr(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    size_t i;
    if (!pop3_msgno(s, argv[0], &i)) return;
    pop3_reply(s, true, "%zu octets", s->msgs[i].len);
    pop3_stream_msg(s, i, s->msgs[i].len);
}

/* End offset for TOP: the header, the blank line, then nlines body lines (§7). */
static size_t pop3_top_end(const struct pop3_msg *m, size_t nlines)
{
    const char *d = m->data;
    size_t pos = 0;
    bool in_body = false;
    while (pos < m->len) {
        if (in_body && nlines == 0) return pos;
        const char *nl = NULL;
        size_t p = pos;
        for (; p + 1 < m->len; p++) {
            if (d[p] == '\r' && d[p + 1] == '\n') {
                nl = d + p;
                break;
            }
        }
        if (!nl) return m->len;
        bool empty = (p == pos);
        pos = p + 2;
        if (in_body) {
            nlines--;
        } else if (empty) {
            in_body = true;
        }
    }
    return m->len;
}

static void pop3_cmd_top(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    size_t i, lines;
    if (!pop3_msgno(s, argv[0], &i)) return;
    if (!pop3_parse_num(argv[1], &lines)) {
        pop3_reply(s, false, "invalid number of lines");
        return;
    }
    pop3_reply(s, true, "top of message follows");
    pop3_stream_msg(s, i, pop3_top_end(&s->msgs[i], lines));
}

static void pop3_cmd_dele(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argc;
    size_t i;
    if (!pop3_msgno(s, argv[0], &i)) return;
    s->deleted[i] = true;
    pop3_reply(s, true, "message %zu deleted", i + 1);
}

static void pop3_cmd_noop(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    pop3_reply(s, true, "%s", "");
}

static void pop3_cmd_rset(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    for (size_t i = 0; i < s->n; i++) s->deleted[i] = false;
    size_t c, o;
    pop3_totals(s, &c, &o);
    pop3_reply(s, true, "maildrop has %zu messages (%zu octets)", c, o);
}

static void pop3_cmd_capa(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    /* RFC 2449 §5, capabilities of §6. */
    pop3_reply(s, true, "Capability list follows");
    pop3_out_str(s, "TOP\r\nUSER\r\nUIDL\r\nRESP-CODES\r\nPIPELINING\r\n");
    if (s->stls_offer && !s->tls && s->state == POP3_S_AUTHORIZATION) pop3_out_str(s, "STLS\r\n");
    pop3_out_str(s, "IMPLEMENTATION mailsim\r\n.\r\n");
}

/* RFC 2595 §4: STLS in AUTHORIZATION, "+OK", then TLS; the session stays in
 * AUTHORIZATION and forgets a USER given before it. */
static void pop3_cmd_stls(struct pop3_server *s, char **argv, size_t argc)
{
    (void)argv;
    (void)argc;
    if (!s->stls_offer) {
        pop3_reply(s, false, "unknown command");
        return;
    }
    if (s->tls) {
        pop3_reply(s, false, "TLS already active");
        return;
    }
    s->tls = true;
    s->have_user = false;
    s->ss.discard_rest = true;
    pop3_reply(s, true, "Begin TLS negotiation");
    line_log_tls_begins(&s->ss.log);
}

#define POP3_IN_AUTH (1u << POP3_S_AUTHORIZATION)
#define POP3_IN_TRANS (1u << POP3_S_TRANSACTION)

/* The command table (RFC 1939 §9 summary plus CAPA): states, argument counts. */
static const struct pop3_cmd {
    const char *verb;
    unsigned states;
    unsigned char min_args, max_args;
    pop3_cmd_fn *fn;
} pop3_cmds[] = {
    {"USER", POP3_IN_AUTH, 1, 1, pop3_cmd_user},
    {"PASS", POP3_IN_AUTH, 1, 1, pop3_cmd_pass},
    {"APOP", POP3_IN_AUTH, 2, 2, pop3_cmd_apop},
    {"QUIT", POP3_IN_AUTH | POP3_IN_TRANS, 0, 0, pop3_cmd_quit},
    {"CAPA", POP3_IN_AUTH | POP3_IN_TRANS, 0, 0, pop3_cmd_capa},
    {"STLS", POP3_IN_AUTH, 0, 0, pop3_cmd_stls},
    {"STAT", POP3_IN_TRANS, 0, 0, pop3_cmd_stat},
    {"LIST", POP3_IN_TRANS, 0, 1, pop3_cmd_list},
    {"RETR", POP3_IN_TRANS, 1, 1, pop3_cmd_retr},
    {"DELE", POP3_IN_TRANS, 1, 1, pop3_cmd_dele},
    {"NOOP", POP3_IN_TRANS, 0, 0, pop3_cmd_noop},
    {"RSET", POP3_IN_TRANS, 0, 0, pop3_cmd_rset},
    {"TOP", POP3_IN_TRANS, 2, 2, pop3_cmd_top},
    {"UIDL", POP3_IN_TRANS, 0, 1, pop3_cmd_uidl},
};

/* Parse and run one command line (without CRLF). Replies exactly once, or
 * defers the reply to a verdict (PASS, APOP, QUIT in TRANSACTION). */
static void pop3_dispatch(struct pop3_server *s, char *line, size_t len, bool bad_bytes)
{
    s->cmd_from = s->state;
    snprintf(s->verb, sizeof s->verb, "?");
    /* RFC 1939 §3: keywords and arguments are printable ASCII (P6). */
    for (size_t i = 0; i < len && !bad_bytes; i++) {
        unsigned char c = (unsigned char)line[i];
        if (c < 0x20 || c > 0x7e) bad_bytes = true;
    }
    if (bad_bytes) {
        pop3_reply(s, false, "invalid characters in command");
        pop3_command_done(s);
        return;
    }
    line[len] = '\0';
    size_t kw = 0;
    while (kw < len && line[kw] != ' ') kw++;
    const struct pop3_cmd *cmd = NULL;
    if (kw >= 3 && kw <= 4) {
        char up[5] = {0};
        for (size_t i = 0; i < kw; i++) {
            char c = line[i];
            up[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
        }
        for (size_t i = 0; i < MS_ARRAY_LEN(pop3_cmds); i++) {
            if (strcmp(pop3_cmds[i].verb, up) == 0) cmd = &pop3_cmds[i];
        }
        if (cmd) memcpy(s->verb, up, sizeof s->verb);
        line_log_note_in(&s->ss.log, up, kw, 0);
    }
    if (!cmd && s->in_first_line && strstr(line, " HTTP/")) {
        /* bad-inputs X8: another protocol's client; answer and close. The
         * line's verb says what it is (live mode counts these). */
        memcpy(s->verb, "HTTP", 5);
        line_log_note_in(&s->ss.log, "HTTP", 4, 0);
        pop3_reply(s, false, "this is a POP3 server, not an HTTP server");
        pop3_close(s, "not a POP3 client");
        pop3_command_done(s);
        return;
    }
    if (!cmd) {
        pop3_reply(s, false, "unknown command");
        pop3_command_done(s);
        return;
    }
    if (!(cmd->states & (1u << s->state))) { /* §3, bad-inputs P1 */
        pop3_reply(s, false, "command not valid in this state");
        pop3_command_done(s);
        return;
    }
    char *argv[2];
    size_t argc = 0;
    const char *err = NULL;
    char *p = line + kw;
    if (cmd->fn == pop3_cmd_pass && *p == ' ' && p[1]) {
        /* §7: PASS has one argument, spaces included. */
        argv[argc++] = p + 1;
    } else {
        while (*p == ' ' && !err) {
            *p++ = '\0';
            char *a = p;
            while (*p && *p != ' ') p++;
            if (p == a)
                err = "syntax error";
            else if (argc == cmd->max_args)
                err = "too many arguments";
            else if ((size_t)(p - a) > POP3_ARG_MAX)
                err = "argument too long";
            else
                argv[argc++] = a;
        }
        if (!err && argc < cmd->min_args) err = "missing argument";
    }
    if (err) {
        pop3_reply(s, false, "%s", err);
        pop3_command_done(s);
        return;
    }
    cmd->fn(s, argv, argc);
    if (!s->auth_pending && !s->update_pending) pop3_command_done(s);
}

/* ---- public entry points ---------------------------------------------------- */

/* s is 1..max octets of 0x21..0x7E (0x20 too when spaces). */
static bool pop3_printable(const char *str, size_t max, bool spaces)
{
    if (!str || !*str || strlen(str) > max) return false;
    for (; *str; str++) {
        if ((*str < 0x21 && !(spaces && *str == ' ')) || *str > 0x7e) return false;
    }
    return true;
}

struct pop3_server *pop3_server_new(const struct pop3_server_cfg *cfg)
{
    struct pop3_server *s = ms_xcalloc(1, sizeof *s);
    const struct line_sess_cfg sc = {
        .line_max = POP3_LINE_MAX,
        .lf_ends = true, /* a hand-typed line gets -ERR, not silence */
        .out_init = POP3_OUT_CAP,
        .out_max = POP3_OUT_CAP,
        .ev_size = sizeof(struct pop3_qev),
        .ev_cap = POP3_EVQ,
        .state_names = pop3_state_names,
        .n_states = POP3_S_COUNT,
        .initial = POP3_S_AUTHORIZATION,
    };
    line_sess_init(&s->ss, &sc);
    /* Both reach the wire: printable ASCII only (no CRLF injection). */
    s->host = ms_xstrdup(pop3_printable(cfg->hostname, 64, false) ? cfg->hostname : "localhost");
    const char *ts = cfg->timestamp;
    size_t tl = ts ? strlen(ts) : 0;
    bool ts_ok = tl >= 3 && ts[0] == '<' && ts[tl - 1] == '>' && pop3_printable(ts, 200, false);
    s->ts = ts_ok ? ms_xstrdup(ts) : NULL;
    s->stls_offer = cfg->stls;
    s->max_bad = cfg->max_bad;
    s->deleted = ms_xcalloc(1, 1);
    s->upd_uids = ms_xcalloc(1, sizeof *s->upd_uids);
    pop3_enter_state(s, POP3_S_AUTHORIZATION);
    if (s->ts) {
        pop3_reply(s, true, "POP3 server ready %s", s->ts);
    } else {
        pop3_reply(s, true, "POP3 server ready");
    }
    return s;
}

void pop3_server_free(struct pop3_server *s)
{
    if (!s) return;
    line_sess_free(&s->ss);
    free(s->host);
    free(s->ts);
    free(s->deleted);
    free(s->upd_uids);
    free(s);
}

static bool pop3_can_read(void *eng)
{
    const struct pop3_server *s = eng;
    return !(s->state == POP3_S_CLOSED || s->state == POP3_S_UPDATE || s->auth_pending ||
             s->stream != POP3_ST_NONE || pop3_pending(s) > POP3_OUT_HIGH ||
             line_sess_events(&s->ss) > POP3_EVQ - 8);
}

/* One command line, or a line the reader refused. */
static void pop3_line(void *eng, enum line_status st, const char *l, size_t n, bool more)
{
    struct pop3_server *s = eng;
    (void)more;
    s->cmd_offset = s->ss.line_off;
    s->in_first_line = s->ss.line_off == 0;
    if (st == LINE_TOO_LONG) { /* RFC 2449 §4, bad-inputs P5 */
        s->cmd_from = s->state;
        snprintf(s->verb, sizeof s->verb, "?");
        pop3_reply(s, false, "line too long");
        pop3_command_done(s);
        return;
    }
    char buf[POP3_LINE_MAX + 1];
    memcpy(buf, l, n);
    if (line_ended_by_lf(&s->ss.rd)) { /* RFC 1939 §3: commands end with CRLF */
        s->cmd_from = s->state;
        snprintf(s->verb, sizeof s->verb, "?");
        pop3_reply(s, false,
                   "bare LF received; end each command with CRLF (RFC 1939 3; with nc, use nc -C)");
        pop3_command_done(s);
        return;
    }
    pop3_dispatch(s, buf, n, line_has_bare_eol(&s->ss.rd) || line_has_nul(&s->ss.rd));
}

static const struct line_proto pop3_proto = {pop3_can_read, NULL, pop3_line};

size_t pop3_server_recv(struct pop3_server *s, const char *in, size_t len)
{
    size_t i = line_sess_recv(&s->ss, &pop3_proto, s, in, len);
    line_log_settle(&s->ss.log);
    return i;
}

void pop3_server_auth_ok(struct pop3_server *s, const struct pop3_msg *msgs, size_t n)
{
    if (!s->auth_pending || s->state != POP3_S_AUTHORIZATION) return;
    s->auth_pending = false;
    for (size_t i = 0; i < n; i++) {
        assert(pop3_printable(msgs[i].uid, 70, false)); /* RFC 1939 §7; the store's invariant */
    }
    s->msgs = msgs;
    s->n = n;
    free(s->deleted);
    free(s->upd_uids);
    s->deleted = ms_xcalloc(n ? n : 1, sizeof *s->deleted);
    s->upd_uids = ms_xcalloc(n ? n : 1, sizeof *s->upd_uids);
    memset(s->secret, 0, sizeof s->secret);
    pop3_enter_state(s, POP3_S_TRANSACTION);
    size_t c, o;
    pop3_totals(s, &c, &o);
    pop3_reply(s, true, "%s's maildrop has %zu messages (%zu octets)", s->user, c, o);
    pop3_command_done(s);
    line_log_settle(&s->ss.log);
}

void pop3_server_auth_fail(struct pop3_server *s, enum pop3_auth_fail why)
{
    if (!s->auth_pending || s->state != POP3_S_AUTHORIZATION) return;
    s->auth_pending = false;
    memset(s->secret, 0, sizeof s->secret);
    if (why == POP3_AUTH_LOCKED) { /* RFC 2449 §8.1 response code */
        pop3_reply(s, false, "[IN-USE] maildrop already locked");
    } else if (++s->auth_failures >= POP3_AUTH_TRIES) {
        /* RFC 1939 §13: a server may close after failed logins (guessing). */
        pop3_reply(s, false, "[AUTH] invalid user name or password, closing");
        pop3_close(s, "too many failed logins");
    } else {
        pop3_reply(s, false, "[AUTH] invalid user name or password");
    }
    pop3_command_done(s);
    line_log_settle(&s->ss.log);
}

void pop3_server_update_done(struct pop3_server *s, bool ok)
{
    if (!s->update_pending) return;
    s->update_pending = false;
    if (s->state == POP3_S_CLOSED) return; /* the client left; the deletions stand */
    size_t left = s->n - s->n_upd;
    if (!ok) {
        pop3_reply(s, false, "some deleted messages not removed");
    } else if (left == 0) {
        pop3_reply(s, true, "%s POP3 server signing off (maildrop empty)", s->host);
    } else {
        pop3_reply(s, true, "%s POP3 server signing off (%zu messages left)", s->host, left);
    }
    pop3_close(s, "QUIT");
    pop3_command_done(s);
    line_log_settle(&s->ss.log);
}

void pop3_server_timeout(struct pop3_server *s)
{
    if (s->state == POP3_S_CLOSED || s->state == POP3_S_UPDATE) return;
    /* §3: an autologout timer ends the session without entering UPDATE. */
    s->stream = POP3_ST_NONE;
    line_sess_out_drop(&s->ss);
    s->auth_pending = false;
    enum pop3_state from = s->state;
    pop3_enter_state(s, POP3_S_CLOSED);
    pop3_push_close(s, from, "autologout timer expired");
    line_log_settle(&s->ss.log);
}

void pop3_server_shutdown(struct pop3_server *s)
{
    if (s->state == POP3_S_CLOSED || s->state == POP3_S_UPDATE) return;
    /* RFC 1939 has no such reply; as Dovecot does, between commands only
     * (never inside a multi-line response or a pending AUTH), a server
     * that stops says -ERR with RFC 2449 §8.1.2's [SYS/TEMP] and closes,
     * without UPDATE (§6: nothing is deleted). */
    bool between =
        s->stream == POP3_ST_NONE && !s->auth_pending && line_sess_room(&s->ss) >= POP3_REPLY_MAX;
    s->stream = POP3_ST_NONE;
    if (!between) line_sess_out_drop(&s->ss);
    s->auth_pending = false;
    if (between) {
        s->verb[0] = '\0'; /* it answers no command */
        pop3_reply(s, false, "[SYS/TEMP] %s server shutting down", s->host);
    }
    enum pop3_state from = s->state;
    pop3_enter_state(s, POP3_S_CLOSED);
    pop3_push_close(s, from, "server shutting down");
    line_log_settle(&s->ss.log);
}

void pop3_server_busy(struct pop3_server *s)
{
    if (s->state != POP3_S_AUTHORIZATION || s->ss.log.out_sent > 0) return; /* before any byte */
    line_sess_out_drop(&s->ss); /* the greeting, never sent */
    /* RFC 1939 §3 has only +OK greetings; a server that will not serve says
     * -ERR and closes, with RFC 2449 §8.1.2's [SYS/TEMP]: try again later. */
    pop3_reply(s, false, "[SYS/TEMP] %s has too many connections, try again later", s->host);
    enum pop3_state from = s->state;
    pop3_enter_state(s, POP3_S_CLOSED);
    pop3_push_close(s, from, "too many connections");
    line_log_settle(&s->ss.log);
}

void pop3_server_closed(struct pop3_server *s)
{
    if (s->state == POP3_S_CLOSED) return;
    s->stream = POP3_ST_NONE;
    line_sess_out_drop(&s->ss);
    s->auth_pending = false;
    /* §6: a session ended other than by QUIT removes nothing. After QUIT the
     * UPDATE event is already out and stands. */
    enum pop3_state from = s->state;
    pop3_enter_state(s, POP3_S_CLOSED);
    pop3_push_close(s, from, "connection closed by client");
    line_log_settle(&s->ss.log);
}

struct line_log *pop3_server_log(struct pop3_server *s)
{
    return line_sess_log(&s->ss);
}

enum pop3_state pop3_server_state(const struct pop3_server *s)
{
    return s->state;
}

bool pop3_server_done(const struct pop3_server *s)
{
    return s->state == POP3_S_CLOSED && pop3_pending(s) == 0 && s->stream == POP3_ST_NONE;
}

bool pop3_timestamp(char *out, size_t cap, unsigned long long a, unsigned long long b,
                    const char *host)
{
    if (cap > 0) out[0] = '\0';
    if (!pop3_printable(host, 100, false) || strchr(host, '>') || strchr(host, '<')) return false;
    int n = snprintf(out, cap, "<%llu.%llu@%s>", a, b, host);
    if (n < 0 || (size_t)n >= cap) {
        if (cap > 0) out[0] = '\0';
        return false;
    }
    return true;
}

void pop3_apop_digest(const char *timestamp, const char *secret, char out[33])
{
    struct md5_ctx c;
    unsigned char d[16];
    static const char hex[] = "0123456789abcdef";
    md5_init(&c);
    md5_update(&c, timestamp, strlen(timestamp));
    md5_update(&c, secret, strlen(secret));
    md5_final(&c, d);
    for (int i = 0; i < 16; i++) {
        out[2 * i] = hex[d[i] >> 4];
        out[2 * i + 1] = hex[d[i] & 15];
    }
    out[32] = '\0';
}
