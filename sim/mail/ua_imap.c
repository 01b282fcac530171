/* ua_imap.c -- a user agent reading mail with IMAP (RFC 3501 / RFC 9051) on
 * port 143: LOGIN, then the scenario's steps one command at a time (LIST,
 * SELECT, SEARCH, FETCH header or part, MOVE, STORE flags, CREATE), then
 * LOGOUT. It is a scripted client, not a general one: it only needs to find
 * the end of each tagged reply, so it frames lines and skips literals
 * ({n} at the end of a line, RFC 9051 §4.3) and never interprets the data.
 * Without steps it selects INBOX and fetches every header. */
#include "mail/ua_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UA_IMAP_PORT 143
#define UA_IMAP_TIMEOUT (10 * SIM_US_PER_MIN)
#define UA_IMAP_LINE_MAX 65536

struct ua_imap {
    struct ua_imap *next;
    struct ua *u;
    struct tcp_conn *c;
    uint32_t conn, server;
    char **cmds;       /* commands to send after LOGIN, without tag and CRLF */
    size_t ncmds, sent;
    char tag[16];      /* tag of the command in flight, "" before the greeting */
    unsigned seq;
    char *line;        /* the current response line (literals left out) */
    size_t len, cap;
    uint64_t literal;  /* literal octets still to skip */
    bool greeted, done;
    evq_handle timer;
    struct world_lines lin, lout;
};

static void ua_imap_connected(void *ctx, struct tcp_conn *c);
static void ua_imap_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len);
static void ua_imap_close(void *ctx, struct tcp_conn *c, enum tcp_err err);

static const struct tcp_app_ops ua_imap_ops = {
    .on_connected = ua_imap_connected,
    .on_data = ua_imap_data,
    .on_close = ua_imap_close,
};

MS_PRINTF(2, 3)
static void ua_imap_cmd(struct ua_imap *m, const char *fmt, ...)
{
    char buf[1200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    m->cmds = ms_xrealloc(m->cmds, (m->ncmds + 1) * sizeof *m->cmds);
    m->cmds[m->ncmds++] = ms_xstrdup(buf);
}

/* A quoted string (RFC 9051 §4.3): the loader already refused CR/LF/NUL. */
static void ua_imap_quote(const char *s, char *out, size_t cap)
{
    size_t o = 0;
    if (cap < 3) return;
    out[o++] = '"';
    for (; *s && o + 3 < cap; s++) {
        if (*s == '"' || *s == '\\') out[o++] = '\\';
        out[o++] = *s;
    }
    out[o++] = '"';
    out[o] = '\0';
}

static void ua_imap_plan(struct ua_imap *m, const struct scn_check_mail *ck)
{
    bool logout = false;
    for (size_t i = 0; i < ck->n_imap; i++) {
        const struct scn_imap_action *a = &ck->imap[i];
        char q[600], flags[600];
        const char *uid = a->uid ? "UID " : "";
        const char *set = a->set ? a->set : "1:*";
        switch (a->op) {
        case SCN_IMAP_LIST:
            ua_imap_quote(a->pattern ? a->pattern : "*", q, sizeof q);
            ua_imap_cmd(m, "LIST \"\" %s", q);
            break;
        case SCN_IMAP_SELECT:
            ua_imap_quote(a->mailbox ? a->mailbox : "INBOX", q, sizeof q);
            ua_imap_cmd(m, "SELECT %s", q);
            break;
        case SCN_IMAP_SEARCH:
            ua_imap_cmd(m, "%sSEARCH %s", uid, a->criteria ? a->criteria : "ALL");
            break;
        case SCN_IMAP_FETCH_HEADER:
            ua_imap_cmd(m, "%sFETCH %s BODY.PEEK[HEADER]", uid, set);
            break;
        case SCN_IMAP_FETCH_PART:
            ua_imap_cmd(m, "%sFETCH %s BODY[%s]", uid, set, a->part ? a->part : "1");
            break;
        case SCN_IMAP_MOVE:
            ua_imap_quote(a->mailbox ? a->mailbox : "INBOX", q, sizeof q);
            ua_imap_cmd(m, "%sMOVE %s %s", uid, set, q);
            break;
        case SCN_IMAP_STORE_FLAGS: {
            size_t o = 0;
            flags[0] = '\0';
            for (size_t k = 0; k < a->n_flags && o < sizeof flags; k++)
                o += (size_t)snprintf(flags + o, sizeof flags - o, "%s%s", k ? " " : "",
                                      a->flags[k]);
            const char *mode = a->store_mode == SCN_STORE_REMOVE    ? "-"
                               : a->store_mode == SCN_STORE_REPLACE ? ""
                                                                    : "+";
            ua_imap_cmd(m, "%sSTORE %s %sFLAGS (%s)", uid, set, mode, flags);
            break;
        }
        case SCN_IMAP_CREATE:
            ua_imap_quote(a->mailbox ? a->mailbox : "Archive", q, sizeof q);
            ua_imap_cmd(m, "CREATE %s", q);
            break;
        case SCN_IMAP_LOGOUT:
            ua_imap_cmd(m, "LOGOUT");
            logout = true;
            break;
        default:
            break;
        }
        if (logout) break;
    }
    if (ck->n_imap == 0) {
        ua_imap_cmd(m, "SELECT \"INBOX\"");
        ua_imap_cmd(m, "FETCH 1:* BODY.PEEK[HEADER]");
    }
    if (!logout) ua_imap_cmd(m, "LOGOUT");
}

static void ua_imap_free(struct ua_imap *m)
{
    struct ua_imap **pp = &m->u->imaps;
    while (*pp && *pp != m) pp = &(*pp)->next;
    if (*pp) *pp = m->next;
    if (evq_is_set(m->timer)) evq_cancel(m->u->w->q, m->timer);
    for (size_t i = 0; i < m->ncmds; i++) free(m->cmds[i]);
    free(m->cmds);
    free(m->line);
    world_lines_free(&m->lin);
    world_lines_free(&m->lout);
    free(m);
}

void ua_imap_free_all(struct ua *u)
{
    while (u->imaps) ua_imap_free(u->imaps);
}

static void ua_imap_send(struct ua_imap *m, const char *text)
{
    char buf[1300];
    snprintf(m->tag, sizeof m->tag, "a%u", ++m->seq);
    int n = snprintf(buf, sizeof buf, "%s %s\r\n", m->tag, text);
    if (n < 0 || !m->c) return;
    size_t len = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    const char *st = m->greeted ? "authenticated" : "not authenticated";
    world_lines_feed(m->u->w, &m->lout, TR_LINE_SENT, m->conn, (uint32_t)m->u->h, m->server, 'C',
                     "IMAP", st, st, buf, len);
    tcp_send(m->c, buf, len);
}

/* A whole response line arrived (literals skipped). */
static void ua_imap_line(struct ua_imap *m)
{
    const char *l = m->line;
    size_t tl = strlen(m->tag);
    if (!m->greeted) {
        if (m->len >= 4 && strncmp(l, "* OK", 4) == 0) {
            m->greeted = true;
            struct world *w = m->u->w;
            const struct scn_host *sh = &w->s->hosts[m->server];
            (void)sh;
            ua_imap_send(m, m->cmds[0]); /* LOGIN */
            m->sent = 1;
        } else if (m->len >= 5 && strncmp(l, "* BYE", 5) == 0) {
            m->done = true;
        }
        return;
    }
    if (m->len > tl && strncmp(l, m->tag, tl) == 0 && l[tl] == ' ') {
        bool login_failed = m->sent == 1 && strncmp(l + tl + 1, "OK", 2) != 0;
        if (m->sent >= m->ncmds || login_failed) {
            m->done = true;
            return;
        }
        ua_imap_send(m, m->cmds[m->sent++]);
    }
}

static void ua_imap_feed(struct ua_imap *m, const uint8_t *d, size_t n)
{
    for (size_t i = 0; i < n && !m->done; i++) {
        if (m->literal > 0) { /* RFC 9051 §4.3: n octets, any bytes */
            m->literal--;
            continue;
        }
        char ch = (char)d[i];
        if (m->len + 2 >= m->cap) {
            if (m->cap >= UA_IMAP_LINE_MAX) { /* an absurd line: give up */
                m->done = true;
                return;
            }
            m->cap = m->cap ? m->cap * 2 : 256;
            m->line = ms_xrealloc(m->line, m->cap);
        }
        m->line[m->len++] = ch;
        m->line[m->len] = '\0';
        if (m->len < 2 || m->line[m->len - 2] != '\r' || ch != '\n') continue;
        m->len -= 2;
        m->line[m->len] = '\0';
        /* "{123}" at the end: the literal follows, then the line goes on. */
        if (m->len >= 3 && m->line[m->len - 1] == '}') {
            char *open = strrchr(m->line, '{');
            if (open) {
                char *end;
                unsigned long long v = strtoull(open + 1, &end, 10);
                if (end == m->line + m->len - 1 && end > open + 1) {
                    m->literal = v;
                    m->len = (size_t)(open - m->line);
                    m->line[m->len] = '\0';
                    continue;
                }
            }
        }
        ua_imap_line(m);
        m->len = 0;
    }
}

static void ua_imap_connected(void *ctx, struct tcp_conn *c)
{
    (void)ctx;
    (void)c;
}

static void ua_imap_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    (void)c;
    struct ua_imap *m = ctx;
    world_lines_feed(m->u->w, &m->lin, TR_LINE_RECEIVED, m->conn, (uint32_t)m->u->h, m->server,
                     'S', "IMAP", "", "", (const char *)data, len);
    ua_imap_feed(m, data, len);
    if (m->done && m->c) tcp_close(m->c);
}

static void ua_imap_close(void *ctx, struct tcp_conn *c, enum tcp_err err)
{
    (void)c;
    struct ua_imap *m = ctx;
    struct world *w = m->u->w;
    m->c = NULL;
    if (err != TCP_ERR_OK && !m->done)
        trace_add_narration(w->tr, evq_now(w->q), (uint32_t)m->u->h,
                            "%s could not read mail on %s: %s", w->s->hosts[m->u->h].name,
                            w->s->hosts[m->server].name, tcp_strerror(err));
    ua_imap_free(m);
}

static void ua_imap_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_imap *m = ctx;
    m->timer = EVQ_NONE;
    m->done = true;
    if (m->c) tcp_close(m->c);
}

bool ua_imap_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != ua_imap_timeout) return false;
    *host = (uint32_t)((const struct ua_imap *)ev->ctx)->u->h;
    return true;
}

void ua_imap_start(struct ua *u, const struct scn_check_mail *ck)
{
    struct world *w = u->w;
    const struct scn_user *usr = &w->s->hosts[ck->server].mail.users[ck->user_index];
    struct ua_imap *m = ms_xcalloc(1, sizeof *m);
    m->u = u;
    m->server = (uint32_t)ck->server;
    char qu[300], qp[300];
    ua_imap_quote(usr->name, qu, sizeof qu);
    ua_imap_quote(ck->password ? ck->password : usr->password, qp, sizeof qp);
    ua_imap_cmd(m, "LOGIN %s %s", qu, qp);
    ua_imap_plan(m, ck);
    m->next = u->imaps;
    u->imaps = m;
    m->c = tcp_connect(w->net, (uint32_t)u->h, m->server, UA_IMAP_PORT, &ua_imap_ops, m);
    m->conn = tcp_conn_id(m->c);
    m->timer = evq_after(w->q, UA_IMAP_TIMEOUT, ua_imap_timeout, m, 0, "IMAP timeout");
}
