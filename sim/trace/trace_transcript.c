/* trace_transcript.c -- the textbook dialogue of a trace (see transcript.h):
 *
 *   --- connection 3: mail.example.org -> mail.example.net:25 ---
 *   00:00:01.031  S: 220 mail.example.net ESMTP
 *   00:00:01.042  C: EHLO mail.example.org
 *                 ... 30 minutes later ...
 *
 * Only lines as their writer sent them are printed (LINE_SENT), so each line
 * appears once; bytes outside printable ASCII are shown as \xNN. */
#include "trace/transcript.h"

#include <stdlib.h>
#include <string.h>

#define TRACE_TX_GAP_MIN SIM_US_PER_MIN /* shorter pauses are not marked */

struct trace_tx {
    const struct trace *tr;
    FILE *f;
    sim_us last_t;
    bool any;
    uint32_t cur_conn;
    uint32_t tls_conn; /* the connection whose encrypted part was announced, or 0 */
    /* connection id -> (client, server, server port), from CONN_OPENED */
    struct trace_tx_conn {
        uint32_t conn, client, server;
        uint16_t sport;
    } * conns;
    size_t nconns, capconns;
    bool err;
};

/* "30 minutes", "2 hours", "1 hour 30 minutes", "5 days 2 hours". */
static void trace_tx_human(sim_us d, char *buf, size_t cap)
{
    sim_us days = d / SIM_US_PER_DAY, hours = (d % SIM_US_PER_DAY) / SIM_US_PER_H;
    sim_us mins = (d % SIM_US_PER_H) / SIM_US_PER_MIN;
    size_t o = 0;
    buf[0] = '\0';
#define TRACE_TX_PART(v, unit)                                                                     \
    if ((v) > 0 && o < cap)                                                                        \
        o += (size_t)snprintf(buf + o, cap - o, "%s%lld %s%s", o ? " " : "", (long long)(v), unit, \
                              (v) == 1 ? "" : "s");
    TRACE_TX_PART(days, "day")
    TRACE_TX_PART(hours, "hour")
    if (days == 0) {
        TRACE_TX_PART(mins, "minute")
    }
#undef TRACE_TX_PART
    if (o == 0) snprintf(buf, cap, "a moment");
}

/* Print the time column, marking a long pause first. */
static void trace_tx_time(struct trace_tx *x, sim_us t)
{
    char tb[32];
    if (x->any && t - x->last_t >= TRACE_TX_GAP_MIN) {
        char hb[64];
        trace_tx_human(t - x->last_t, hb, sizeof hb);
        fprintf(x->f, "              ... %s later ...\n", hb);
    }
    x->any = true;
    x->last_t = t;
    trace_format_time(t, tb, sizeof tb);
    fprintf(x->f, "%-13s ", tb);
}

static struct trace_tx_conn *trace_tx_conn_find(const struct trace_tx *x, uint32_t conn)
{
    for (size_t i = 0; i < x->nconns; i++)
        if (x->conns[i].conn == conn) return &x->conns[i];
    return NULL;
}

static void trace_tx_printable(FILE *f, const uint8_t *p, size_t n)
{
    while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r')) n--;
    for (size_t i = 0; i < n; i++) {
        if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\t')
            fputc(p[i], f);
        else
            fprintf(f, "\\x%02X", p[i]);
    }
}

/* Print a message record's detail text. */
static void trace_tx_detail(FILE *f, const uint8_t *p, size_t n)
{
    trace_tx_printable(f, p, n);
}

/* POP3 and IMAP servers: a change of session state is the lesson
 * (AUTHORIZATION -> TRANSACTION -> UPDATE, RFC 1939 §3; RFC 3501 §3). The
 * server's engine reports it on the line that caused it: a command it read
 * (QUIT enters UPDATE) or a reply it wrote (the verdict on PASS). */
static void trace_tx_server_state(struct trace_tx *x, const struct trace_rec *r)
{
    const struct trace_line *l = trace_as_line(r);
    bool server_rec = (r->kind == TR_LINE_SENT && l->side == 'S') ||
                      (r->kind == TR_LINE_RECEIVED && l->side == 'C');
    if (!server_rec || l->state_before == l->state_after) return;
    const char *proto = trace_str(x->tr, l->proto);
    if (strcmp(proto, "POP3") != 0 && strcmp(proto, "IMAP") != 0) return;
    fprintf(x->f, "%-13s [%s server: %s -> %s]\n", "", proto, trace_str(x->tr, l->state_before),
            trace_str(x->tr, l->state_after));
}

static void trace_tx_line(struct trace_tx *x, const struct trace_rec *r)
{
    const struct trace_line *l = trace_as_line(r);
    if (l->conn != x->cur_conn) {
        const struct trace_tx_conn *c = trace_tx_conn_find(x, l->conn);
        if (c)
            fprintf(x->f, "--- connection %u: %s -> %s:%u (%s) ---\n", (unsigned)l->conn,
                    trace_host_name(x->tr, c->client), trace_host_name(x->tr, c->server),
                    (unsigned)c->sport, trace_str(x->tr, l->proto));
        else
            fprintf(x->f, "--- connection %u (%s) ---\n", (unsigned)l->conn,
                    trace_str(x->tr, l->proto));
        x->cur_conn = l->conn;
    }
    size_t n;
    const uint8_t *d = trace_data(r, &n);
    if ((l->flags & TRACE_LF_TLS) && x->tls_conn != l->conn) {
        /* Implicit TLS (RFC 8314): encrypted from the first byte. */
        fprintf(x->f,
                "%-13s -- TLS: the connection is encrypted; below is the plaintext only "
                "the two endpoints see --\n",
                "");
        x->tls_conn = l->conn;
    }
    trace_tx_time(x, r->t);
    fprintf(x->f, "%c: ", l->side);
    trace_tx_printable(x->f, d, n);
    if (l->flags & TRACE_LF_TLS) fputs("  (inside TLS)", x->f);
    fputc('\n', x->f);
    trace_tx_server_state(x, r);
    if (l->flags & TRACE_LF_TLS_START) {
        /* RFC 3207 §4, RFC 2595 §4, RFC 3501 §6.2.1 */
        fprintf(x->f,
                "%-13s -- STARTTLS: from here the connection is encrypted; below is the "
                "plaintext only the two endpoints see --\n",
                "");
        x->tls_conn = l->conn;
    }
}

static void trace_tx_msg(struct trace_tx *x, const struct trace_rec *r)
{
    const struct trace_msg *m = trace_as_msg(r);
    const struct trace *tr = x->tr;
    size_t n;
    const uint8_t *d = trace_data(r, &n);
    const char *host = trace_host_name(tr, m->host);
    const char *rcpt = trace_str(tr, m->rcpt);
    char tb[32];
    trace_tx_time(x, r->t);
    switch ((enum trace_kind)r->kind) {
    case TR_MSG_COMPOSED:
        fprintf(x->f, "[%s] message %u composed for %s", host, (unsigned)m->msg, rcpt);
        if (m->sender != TRACE_NONE && trace_str(tr, m->sender)[0] == '\0')
            fprintf(x->f, " from <>");
        break;
    case TR_MSG_SUBMITTED:
        fprintf(x->f, "[%s] message %u for %s handed to %s", host, (unsigned)m->msg, rcpt,
                trace_host_name(tr, m->peer));
        break;
    case TR_MSG_QUEUED:
        fprintf(x->f, "[%s] message %u for %s queued", host, (unsigned)m->msg, rcpt);
        break;
    case TR_MSG_ATTEMPT:
        fprintf(x->f, "[%s] message %u for %s: delivery attempt %u", host, (unsigned)m->msg, rcpt,
                (unsigned)m->attempt);
        break;
    case TR_MSG_DEFERRED:
        fprintf(x->f, "[%s] message %u for %s deferred (", host, (unsigned)m->msg, rcpt);
        trace_tx_detail(x->f, d, n);
        fprintf(x->f, "); next try at %s", trace_format_time(m->next_retry, tb, sizeof tb));
        break;
    case TR_MSG_DELIVERED:
        if (m->peer == TRACE_NONE) {
            fprintf(x->f, "[%s] message %u for %s delivered ", host, (unsigned)m->msg, rcpt);
            trace_tx_detail(x->f, d, n);
        } else {
            fprintf(x->f, "[%s] message %u for %s accepted by %s", host, (unsigned)m->msg, rcpt,
                    trace_host_name(tr, m->peer));
        }
        break;
    case TR_MSG_BOUNCED:
        fprintf(x->f, "[%s] message %u for %s bounced: ", host, (unsigned)m->msg, rcpt);
        trace_tx_detail(x->f, d, n);
        break;
    case TR_MSG_NOT_SENT:
        fprintf(x->f, "[%s] message %u for %s not sent: ", host, (unsigned)m->msg, rcpt);
        trace_tx_detail(x->f, d, n);
        break;
    case TR_MSG_DUPLICATE:
        fprintf(x->f,
                "[%s] message %u for %s: connection lost after the final dot; it may "
                "arrive twice",
                host, (unsigned)m->msg, rcpt);
        break;
    default:
        break;
    }
    fputc('\n', x->f);
}

static void trace_tx_conn(struct trace_tx *x, const struct trace_rec *r)
{
    const struct trace_conn *c = trace_as_conn(r);
    if (r->kind == TR_CONN_OPENED) {
        if (!trace_tx_conn_find(x, c->conn)) {
            if (x->nconns == x->capconns) {
                x->capconns = x->capconns ? x->capconns * 2 : 16;
                x->conns = realloc(x->conns, x->capconns * sizeof *x->conns);
                if (!x->conns) abort();
            }
            struct trace_tx_conn *n = &x->conns[x->nconns++];
            n->conn = c->conn;
            n->client = c->client;
            n->server = c->server;
            n->sport = c->sport;
        }
        return;
    }
    if ((r->kind == TR_CONN_REFUSED || r->kind == TR_CONN_TIMEOUT) && c->host == c->client) {
        trace_tx_time(x, r->t);
        fprintf(x->f, "[%s] connection to %s:%u %s\n", trace_host_name(x->tr, c->client),
                trace_host_name(x->tr, c->server), (unsigned)c->sport,
                r->kind == TR_CONN_REFUSED ? "refused" : "timed out");
    }
}

int trace_transcript(const struct trace *tr, FILE *f)
{
    struct trace_tx x;
    memset(&x, 0, sizeof x);
    x.tr = tr;
    x.f = f;
    size_t n = trace_count(tr);
    for (size_t k = 0; k < n; k++) {
        const struct trace_rec *r = trace_get(tr, k);
        size_t len;
        const uint8_t *d;
        switch ((enum trace_kind)r->kind) {
        case TR_LINE_SENT:
            trace_tx_line(&x, r);
            break;
        case TR_LINE_RECEIVED:
            trace_tx_server_state(&x, r);
            break;
        case TR_MSG_COMPOSED:
        case TR_MSG_SUBMITTED:
        case TR_MSG_QUEUED:
        case TR_MSG_ATTEMPT:
        case TR_MSG_DEFERRED:
        case TR_MSG_DELIVERED:
        case TR_MSG_BOUNCED:
        case TR_MSG_DUPLICATE:
        case TR_MSG_NOT_SENT:
            trace_tx_msg(&x, r);
            break;
        case TR_MAILBOX_CHANGED: {
            /* What a reader of mail changed on the server or the device. */
            const struct trace_mailbox *mb = trace_body(r);
            trace_tx_time(&x, r->t);
            fprintf(f, "[%s] mailbox %s/%s: %u message%s\n", trace_host_name(tr, mb->host),
                    trace_str(tr, mb->user), trace_str(tr, mb->folder), (unsigned)mb->count,
                    mb->count == 1 ? "" : "s");
            break;
        }
        case TR_CONN_OPENED:
        case TR_CONN_REFUSED:
        case TR_CONN_TIMEOUT:
            trace_tx_conn(&x, r);
            break;
        case TR_DNS_QUESTION:
        case TR_DNS_ANSWER: {
            const struct trace_dns *q = trace_body(r);
            trace_tx_time(&x, r->t);
            d = trace_data(r, &len);
            if (r->kind == TR_DNS_QUESTION) {
                fprintf(f, "[%s] DNS: %s %s?", trace_host_name(tr, q->host),
                        q->qtype == 15  ? "MX"
                        : q->qtype == 1 ? "A"
                                        : "?",
                        trace_str(tr, q->qname));
                if (q->server != TRACE_NONE)
                    fprintf(f, " (asking %s)", trace_host_name(tr, q->server));
            } else {
                char text[TRACE_DNS_TEXT_MAX];
                size_t tl = trace_dns_answer_text(tr, r, text, sizeof text);
                fprintf(f, "[%s] DNS answer: ", trace_host_name(tr, q->host));
                trace_tx_printable(f, (const uint8_t *)text,
                                   tl < sizeof text ? tl : sizeof text - 1);
            }
            fputc('\n', f);
            break;
        }
        case TR_NARRATION:
            trace_tx_time(&x, r->t);
            x.cur_conn = 0;
            d = trace_data(r, &len);
            fputs("* ", f);
            /* Narration may span lines: indent the rest under the text. */
            for (size_t i = 0; i < len; i++) {
                if (d[i] == '\n')
                    fputs("\n                ", f);
                else if (d[i] >= 0x20 || d[i] >= 0x80)
                    fputc(d[i], f);
            }
            fputc('\n', f);
            break;
        case TR_HOST_UP:
        case TR_HOST_DOWN: {
            const struct trace_ref *h = trace_body(r);
            trace_tx_time(&x, r->t);
            x.cur_conn = 0;
            fprintf(f, "*** %s is %s ***\n", trace_host_name(tr, h->id),
                    r->kind == TR_HOST_UP ? "up" : "down");
            break;
        }
        default:
            break;
        }
    }
    free(x.conns);
    return ferror(f) ? -1 : 0;
}
