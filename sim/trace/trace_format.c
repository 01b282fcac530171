/* trace_format.c -- the readable one-line form of each record (the headless
 * timeline and the text transcript). Pure function of the trace. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "trace/trace.h"

/* An snprintf accumulator that remembers the full length. */
struct tf_out {
    char *buf;
    size_t cap, len;
};

static void tf_printf(struct tf_out *o, const char *fmt, ...) MS_PRINTF(2, 3);

static void tf_printf(struct tf_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    va_end(ap);
    if (n > 0) o->len += (size_t)n;
}

/* Bytes shown readably: CRLF at the end dropped, controls as \xNN, at most max. */
static void tf_bytes(struct tf_out *o, const uint8_t *p, size_t n, size_t max)
{
    if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n') n -= 2;
    size_t shown = n < max ? n : max;
    for (size_t i = 0; i < shown; i++) {
        uint8_t c = p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\')
            tf_printf(o, "%c", c);
        else if (c == '\\')
            tf_printf(o, "\\\\");
        else if (c == '\r')
            tf_printf(o, "\\r");
        else if (c == '\n')
            tf_printf(o, "\\n");
        else
            tf_printf(o, "\\x%02x", c);
    }
    if (shown < n) tf_printf(o, "... (%zu bytes)", n);
}

/* RFC 1035 §4.1.1 RCODE names, and the types the simulated zone serves. */
static const char *const tf_rcodes[] = {"NOERROR",  "FORMERR", "SERVFAIL",
                                        "NXDOMAIN", "NOTIMP",  "REFUSED"};

static const char *tf_dns_type(uint16_t type)
{
    switch (type) {
    case 1:
        return "A";
    case 5:
        return "CNAME";
    case 15:
        return "MX";
    default:
        return "TYPE?";
    }
}

size_t trace_dns_answer_text(const struct trace *tr, const struct trace_rec *r, char *buf,
                             size_t cap)
{
    struct tf_out o = {buf, cap, 0};
    if (cap > 0) buf[0] = '\0';
    const struct trace_dns *d = trace_body(r);
    size_t n = r->kind == TR_DNS_ANSWER ? trace_dns_rrs(r, NULL, 0) : 0;
    for (size_t i = 0; i < n; i++) {
        struct trace_dns_rr rr;
        size_t len;
        memcpy(&rr, trace_data(r, &len) + i * sizeof rr, sizeof rr);
        const char *sep = i ? "; " : "";
        const char *name = trace_str(tr, rr.name);
        if (rr.type == 15)
            tf_printf(&o, "%s%s. %u IN MX %u %s.", sep, name, (unsigned)rr.ttl, (unsigned)rr.pref,
                      trace_str(tr, rr.exchange));
        else if (rr.type == 1)
            tf_printf(&o, "%s%s. %u IN A %u.%u.%u.%u", sep, name, (unsigned)rr.ttl, rr.addr[0],
                      rr.addr[1], rr.addr[2], rr.addr[3]);
        else
            tf_printf(&o, "%s%s. %u IN %s", sep, name, (unsigned)rr.ttl, tf_dns_type(rr.type));
    }
    if (n == 0 && r->kind == TR_DNS_ANSWER)
        tf_printf(&o, "%s",
                  d->rcode < sizeof tf_rcodes / sizeof tf_rcodes[0] ? tf_rcodes[d->rcode]
                                                                    : "RCODE?");
    return o.len;
}

char *trace_format_time(sim_us t, char *buf, size_t buflen)
{
    const char *sign = "";
    if (t < 0) {
        sign = "-";
        t = t == INT64_MIN ? INT64_MAX : -t;
    }
    long long days = (long long)(t / SIM_US_PER_DAY);
    sim_us r = t % SIM_US_PER_DAY;
    int h = (int)(r / SIM_US_PER_H);
    int m = (int)(r / SIM_US_PER_MIN % 60);
    int s = (int)(r / SIM_US_PER_S % 60);
    int ms = (int)(r / SIM_US_PER_MS % 1000);
    if (days > 0)
        snprintf(buf, buflen, "%s%lldd %02d:%02d:%02d.%03d", sign, days, h, m, s, ms);
    else
        snprintf(buf, buflen, "%s%02d:%02d:%02d.%03d", sign, h, m, s, ms);
    return buf;
}

static const char *const tf_reasons[NETEV_R_COUNT] = {
    [NETEV_R_NONE] = "",
    [NETEV_R_LOSS] = "lost on the link",
    [NETEV_R_LINK_DOWN] = "link down",
    [NETEV_R_HOST_DOWN] = "host down",
    [NETEV_R_NO_ROUTE] = "no route",
    [NETEV_R_NO_PORT] = "port unreachable",
    [NETEV_R_TOO_BIG] = "larger than the MTU",
    [NETEV_R_RST] = "reset by peer",
    [NETEV_R_ABORT] = "aborted",
};

static const char *tf_reason(uint32_t r)
{
    return r < NETEV_R_COUNT ? tf_reasons[r] : "?";
}

static void tf_flags(struct tf_out *o, uint8_t f)
{
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {
        {NETEV_FIN, "FIN"}, {NETEV_SYN, "SYN"}, {NETEV_RST, "RST"},
        {NETEV_PSH, "PSH"}, {NETEV_ACK, "ACK"},
    };
    int first = 1;
    for (size_t i = 0; i < MS_ARRAY_LEN(names); i++) {
        if (!(f & names[i].bit)) continue;
        tf_printf(o, "%s%s", first ? "" : ",", names[i].name);
        first = 0;
    }
    if (first) tf_printf(o, "none");
}

static void tf_seg(const struct trace *tr, struct tf_out *o, enum trace_kind kind,
                   const struct trace_seg *s, const uint8_t *data)
{
    tf_printf(o, "%s -> %s  ", trace_host_name(tr, s->hop_from), trace_host_name(tr, s->hop_to));
    int tcp = kind >= TR_SEG_SENT && kind <= TR_SEG_LOST;
    if (tcp) {
        tf_printf(o, "TCP ");
        tf_flags(o, s->flags);
        tf_printf(o, " %u -> %u seq=%u", s->sport, s->dport, s->seq);
        if (s->flags & NETEV_ACK) tf_printf(o, " ack=%u", s->ack);
        tf_printf(o, " win=%u len=%u", s->window, s->len);
        if (s->mss) tf_printf(o, " mss=%u", s->mss);
    } else {
        tf_printf(o, "UDP %u -> %u len=%u", s->sport, s->dport, s->len);
    }
    if (s->hop_from != s->src || s->hop_to != s->dst)
        tf_printf(o, " [%s -> %s]", trace_host_name(tr, s->src), trace_host_name(tr, s->dst));
    switch (kind) {
    case TR_SEG_SENT:
    case TR_DGRAM_SENT:
        break;
    case TR_SEG_RETRANS:
        tf_printf(o, "  (retransmission %u)", s->attempt);
        break;
    case TR_SEG_LOST:
    case TR_DGRAM_LOST:
        tf_printf(o, "  LOST: %s", tf_reason(s->reason));
        break;
    default:
        tf_printf(o, "  (%s)", trace_kind_text(kind));
        break;
    }
    (void)data;
}

size_t trace_format_line(const struct trace *tr, size_t k, char *buf, size_t buflen)
{
    struct tf_out o = {buf, buflen, 0};
    if (buflen) buf[0] = '\0';
    if (k >= trace_count(tr)) return 0;
    const struct trace_rec *r = trace_get(tr, k);
    enum trace_kind kind = (enum trace_kind)r->kind;
    size_t dlen;
    const uint8_t *data = trace_data(r, &dlen);
    const void *body = trace_body(r);
    char tbuf[32];
    tf_printf(&o, "%s  ", trace_format_time(r->t, tbuf, sizeof tbuf));
    switch (trace_kind_family(kind)) {
    case TRF_REF: {
        const struct trace_ref *ref = body;
        if (kind == TR_LINK_UP || kind == TR_LINK_DOWN) {
            const struct trace_link *l = trace_link_get(tr, ref->id);
            tf_printf(&o, "%s <-> %s  %s", l ? trace_host_name(tr, l->a) : "?",
                      l ? trace_host_name(tr, l->b) : "?", trace_kind_text(kind));
        } else if (kind == TR_NARRATION) {
            if (ref->id != TRACE_NONE) tf_printf(&o, "%s  ", trace_host_name(tr, ref->id));
            tf_printf(&o, "-- ");
            tf_bytes(&o, data, dlen, 400);
        } else {
            tf_printf(&o, "%s  %s", trace_host_name(tr, ref->id), trace_kind_text(kind));
        }
        break;
    }
    case TRF_SEG:
        tf_seg(tr, &o, kind, body, data);
        break;
    case TRF_CONN: {
        const struct trace_conn *c = body;
        tf_printf(&o, "%s -> %s  %s (conn %u, port %u -> %u)", trace_host_name(tr, c->client),
                  trace_host_name(tr, c->server), trace_kind_text(kind), c->conn, c->cport,
                  c->sport);
        if (c->reason != NETEV_R_NONE) tf_printf(&o, ": %s", tf_reason(c->reason));
        if (c->host != c->client) tf_printf(&o, " at %s", trace_host_name(tr, c->host));
        break;
    }
    case TRF_STATE: {
        const struct trace_state *s = body;
        tf_printf(&o, "%s  TCP %s -> %s (conn %u)", trace_host_name(tr, s->host),
                  trace_str(tr, s->from), trace_str(tr, s->to), s->conn);
        break;
    }
    case TRF_LINE: {
        const struct trace_line *l = body;
        uint32_t from = kind == TR_LINE_SENT ? l->host : l->peer;
        uint32_t to = kind == TR_LINE_SENT ? l->peer : l->host;
        tf_printf(&o, "%s -> %s  %s %c: ", trace_host_name(tr, from), trace_host_name(tr, to),
                  trace_str(tr, l->proto), l->side ? l->side : '?');
        tf_bytes(&o, data, dlen, 200);
        tf_printf(&o, "  [%s %s -> %s]", kind == TR_LINE_SENT ? "sent" : "received",
                  trace_str(tr, l->state_before), trace_str(tr, l->state_after));
        if (l->flags & TRACE_LF_TLS_START)
            tf_printf(&o, " (STARTTLS accepted: encrypted from the next byte)");
        if (l->flags & TRACE_LF_TLS) tf_printf(&o, " (inside TLS: only the endpoints see this)");
        break;
    }
    case TRF_MSG: {
        const struct trace_msg *m = body;
        tf_printf(&o, "%s", trace_host_name(tr, m->host));
        if (m->peer != TRACE_NONE) tf_printf(&o, " -> %s", trace_host_name(tr, m->peer));
        tf_printf(&o, "  message %u %s", m->msg, trace_kind_text(kind));
        if (m->attempt) tf_printf(&o, " (attempt %u)", m->attempt);
        if (m->sender != TRACE_NONE || m->rcpt != TRACE_NONE)
            tf_printf(&o, " <%s> -> <%s>", trace_str(tr, m->sender), trace_str(tr, m->rcpt));
        if (m->code) tf_printf(&o, " code %u", m->code);
        if (dlen) {
            tf_printf(&o, ": ");
            tf_bytes(&o, data, dlen, 200);
        }
        if (m->next_retry >= 0 && kind == TR_MSG_DEFERRED)
            tf_printf(&o, "; next try at %s", trace_format_time(m->next_retry, tbuf, sizeof tbuf));
        break;
    }
    case TRF_QUEUE: {
        const struct trace_queue *q = body;
        tf_printf(&o, "%s  queue: %u message%s", trace_host_name(tr, q->host), q->length,
                  q->length == 1 ? "" : "s");
        if (q->next_retry >= 0)
            tf_printf(&o, ", next retry at %s",
                      trace_format_time(q->next_retry, tbuf, sizeof tbuf));
        break;
    }
    case TRF_MAILBOX: {
        const struct trace_mailbox *m = body;
        tf_printf(&o, "%s  mailbox %s/%s: %u message%s, %u unseen", trace_host_name(tr, m->host),
                  trace_str(tr, m->user), trace_str(tr, m->folder), m->count,
                  m->count == 1 ? "" : "s", m->unseen);
        break;
    }
    case TRF_DNS: {
        const struct trace_dns *d = body;
        tf_printf(&o, "%s", trace_host_name(tr, d->host));
        if (d->server != TRACE_NONE) tf_printf(&o, " -> %s", trace_host_name(tr, d->server));
        tf_printf(&o, "  %s type %u %s (id %u)", trace_kind_text(kind), d->qtype,
                  trace_str(tr, d->qname), d->id);
        if (kind == TR_DNS_ANSWER) {
            tf_printf(&o, " rcode %u: ", d->rcode);
            char text[TRACE_DNS_TEXT_MAX];
            size_t tl = trace_dns_answer_text(tr, r, text, sizeof text);
            if (tl >= sizeof text) tl = sizeof text - 1;
            tf_bytes(&o, (const uint8_t *)text, tl, 200);
        }
        break;
    }
    case TRF_TIMER: {
        const struct trace_timer *tm = body;
        tf_printf(&o, "%s  %s \"%s\" due %s", trace_host_name(tr, tm->host), trace_kind_text(kind),
                  trace_str(tr, tm->label), trace_format_time(tm->due, tbuf, sizeof tbuf));
        break;
    }
    case TRF_COUNT:
        tf_printf(&o, "? unknown record kind %u", r->kind);
        break;
    }
    return o.len;
}

int trace_write_text(const struct trace *tr, FILE *f)
{
    char line[1024];
    for (size_t k = 0; k < trace_count(tr); k++) {
        trace_format_line(tr, k, line, sizeof line);
        if (fputs(line, f) == EOF || fputc('\n', f) == EOF) return -1;
    }
    return 0;
}
