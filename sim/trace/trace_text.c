/* trace_text.c -- the readable one-line form of each record (headless run). */
#include "trace/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A growing line written with snprintf semantics: counts what it would need. */
struct tt_out {
    char *buf;
    size_t cap, len;
};

static void tt_vput(struct tt_out *o, const char *fmt, va_list ap) MS_PRINTF(2, 0);
static void tt_put(struct tt_out *o, const char *fmt, ...) MS_PRINTF(2, 3);

static void tt_vput(struct tt_out *o, const char *fmt, va_list ap)
{
    char *dst = o->len < o->cap ? o->buf + o->len : NULL;
    size_t room = o->len < o->cap ? o->cap - o->len : 0;
    int n = vsnprintf(dst, room, fmt, ap);
    if (n > 0) o->len += (size_t)n;
}

static void tt_put(struct tt_out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    tt_vput(o, fmt, ap);
    va_end(ap);
}

/* Bytes shown as text: CRLF at the end dropped, other controls and 8-bit
 * bytes as \xNN, at most max bytes of input. */
static void tt_bytes(struct tt_out *o, const uint8_t *p, size_t n, size_t max)
{
    if (n >= 2 && p[n - 2] == '\r' && p[n - 1] == '\n') n -= 2;
    bool cut = n > max;
    if (cut) n = max;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f) tt_put(o, "%c", p[i]);
        else if (p[i] == '\t') tt_put(o, "\t");
        else tt_put(o, "\\x%02x", p[i]);
    }
    if (cut) tt_put(o, "...");
}

char *trace_format_time(sim_us t, char *buf, size_t buflen)
{
    if (buflen == 0) return buf;
    const char *sign = "";
    if (t < 0) {
        sign = "-";
        t = t == INT64_MIN ? INT64_MAX : -t;
    }
    int64_t days = t / SIM_US_PER_DAY;
    sim_us r = t % SIM_US_PER_DAY;
    int h = (int)(r / SIM_US_PER_H), m = (int)(r / SIM_US_PER_MIN % 60);
    int s = (int)(r / SIM_US_PER_S % 60), ms = (int)(r / SIM_US_PER_MS % 1000);
    if (days > 0) snprintf(buf, buflen, "%s%" PRId64 "d %02d:%02d:%02d.%03d", sign, days, h, m, s, ms);
    else snprintf(buf, buflen, "%s%02d:%02d:%02d.%03d", sign, h, m, s, ms);
    return buf;
}

static void tt_flags(struct tt_out *o, uint8_t f)
{
    static const struct { uint8_t bit; const char *name; } names[] = {
        {NETEV_SYN, "SYN"}, {NETEV_FIN, "FIN"}, {NETEV_RST, "RST"},
        {NETEV_PSH, "PSH"}, {NETEV_ACK, "ACK"},
    };
    bool any = false;
    for (size_t i = 0; i < MS_ARRAY_LEN(names); i++) {
        if (f & names[i].bit) {
            tt_put(o, "%s%s", any ? "," : "", names[i].name);
            any = true;
        }
    }
    if (!any) tt_put(o, "-");
}

static const char *tt_reason(uint32_t r)
{
    static const char *const names[NETEV_R_COUNT] = {
        [NETEV_R_NONE] = "", [NETEV_R_LOSS] = "lost on the link",
        [NETEV_R_LINK_DOWN] = "link down", [NETEV_R_HOST_DOWN] = "host down",
        [NETEV_R_NO_ROUTE] = "no route", [NETEV_R_NO_PORT] = "port unreachable",
        [NETEV_R_TOO_BIG] = "larger than the MTU", [NETEV_R_RST] = "reset by peer",
        [NETEV_R_ABORT] = "aborted",
    };
    return r < NETEV_R_COUNT ? names[r] : "?";
}

static void tt_seg(struct tt_out *o, const struct trace *tr, const struct trace_rec *r)
{
    const struct trace_seg *s = trace_body(r);
    size_t plen;
    const uint8_t *p = trace_data(r, &plen);
    bool dgram = r->kind >= TR_DGRAM_SENT && r->kind <= TR_DGRAM_LOST;
    bool hop = r->kind == TR_SEG_FORWARD || r->kind == TR_DGRAM_FORWARD ||
               r->kind == TR_SEG_ARRIVED || r->kind == TR_DGRAM_ARRIVED ||
               r->kind == TR_SEG_LOST || r->kind == TR_DGRAM_LOST;
    uint32_t from = hop ? s->hop_from : s->src, to = hop ? s->hop_to : s->dst;
    tt_put(o, "%s -> %s  ", trace_host_name(tr, from), trace_host_name(tr, to));
    if (dgram) {
        tt_put(o, "UDP %u -> %u len=%" PRIu32, s->sport, s->dport, s->len);
    } else {
        tt_put(o, "TCP ");
        tt_flags(o, s->flags);
        tt_put(o, " seq=%" PRIu32, s->seq);
        if (s->flags & NETEV_ACK) tt_put(o, " ack=%" PRIu32, s->ack);
        tt_put(o, " win=%u", s->window);
        if (s->mss) tt_put(o, " mss=%u", s->mss);
        if (s->len) tt_put(o, " len=%" PRIu32, s->len);
    }
    switch (r->kind) {
    case TR_SEG_RETRANS: tt_put(o, "  retransmission #%u", s->attempt); break;
    case TR_SEG_FORWARD: case TR_DGRAM_FORWARD: tt_put(o, "  forwarded"); break;
    case TR_SEG_ARRIVED: case TR_DGRAM_ARRIVED: tt_put(o, "  arrived"); break;
    case TR_SEG_LOST: case TR_DGRAM_LOST: tt_put(o, "  LOST (%s)", tt_reason(s->reason)); break;
    default: break;
    }
    if (plen && !dgram && (r->kind == TR_SEG_SENT || r->kind == TR_SEG_RETRANS)) {
        tt_put(o, "  \"");
        tt_bytes(o, p, plen, 48);
        tt_put(o, "\"");
    }
}

size_t trace_format_line(const struct trace *tr, size_t k, char *buf, size_t buflen)
{
    struct tt_out o = {buf, buflen, 0};
    if (buflen) buf[0] = '\0';
    const struct trace_rec *r = trace_get(tr, k);
    if (!r) return 0;
    char tb[32];
    tt_put(&o, "%s  ", trace_format_time(r->t, tb, sizeof tb));
    const void *b = trace_body(r);
    size_t dlen;
    const uint8_t *d = trace_data(r, &dlen);
    switch (trace_kind_family((enum trace_kind)r->kind)) {
    case TRF_REF: {
        const struct trace_ref *x = b;
        if (r->kind == TR_LINK_UP || r->kind == TR_LINK_DOWN) {
            const struct trace_link *l = trace_link_get(tr, x->id);
            tt_put(&o, "%s -- %s  link %s", l ? trace_host_name(tr, l->a) : "?",
                   l ? trace_host_name(tr, l->b) : "?", r->kind == TR_LINK_UP ? "up" : "down");
        } else if (r->kind == TR_NARRATION) {
            tt_put(&o, "%s  narration: ", x->id == TRACE_NONE ? "*" : trace_host_name(tr, x->id));
            tt_bytes(&o, d, dlen, 400);
        } else {
            tt_put(&o, "%s  host %s", trace_host_name(tr, x->id), r->kind == TR_HOST_UP ? "up" : "down");
        }
        break;
    }
    case TRF_SEG:
        tt_seg(&o, tr, r);
        break;
    case TRF_CONN: {
        const struct trace_conn *x = b;
        static const char *const what[] = {"opened", "refused", "timed out", "closed", "reset"};
        tt_put(&o, "%s  connection %" PRIu32 " %s:%u -> %s:%u %s", trace_host_name(tr, x->host),
               x->conn, trace_host_name(tr, x->client), x->cport, trace_host_name(tr, x->server),
               x->sport, what[r->kind - TR_CONN_OPENED]);
        if (x->reason != NETEV_R_NONE) tt_put(&o, " (%s)", tt_reason(x->reason));
        break;
    }
    case TRF_STATE: {
        const struct trace_state *x = b;
        tt_put(&o, "%s  TCP connection %" PRIu32 ": %s -> %s", trace_host_name(tr, x->host),
               x->conn, trace_str(tr, x->from), trace_str(tr, x->to));
        break;
    }
    case TRF_LINE: {
        const struct trace_line *x = b;
        bool sent = r->kind == TR_LINE_SENT;
        tt_put(&o, "%s %s %s  %s %c: ", trace_host_name(tr, x->host), sent ? "->" : "<-",
               trace_host_name(tr, x->peer), trace_str(tr, x->proto), x->side);
        tt_bytes(&o, d, dlen, 200);
        break;
    }
    case TRF_MSG: {
        const struct trace_msg *x = b;
        static const char *const what[] = {"composed", "submitted", "queued", "delivery attempt",
                                           "deferred", "delivered", "bounced",
                                           "duplicate after lost reply"};
        tt_put(&o, "%s  message %" PRIu32 " %s", trace_host_name(tr, x->host), x->msg,
               what[r->kind - TR_MSG_COMPOSED]);
        if (x->attempt) tt_put(&o, " #%" PRIu32, x->attempt);
        if (x->rcpt != TRACE_NONE) tt_put(&o, " for <%s>", trace_str(tr, x->rcpt));
        if (x->peer != TRACE_NONE) tt_put(&o, " (%s)", trace_host_name(tr, x->peer));
        if (dlen) {
            tt_put(&o, ": ");
            tt_bytes(&o, d, dlen, 200);
        }
        if (x->next_retry >= 0 && r->kind == TR_MSG_DEFERRED) {
            char nb[32];
            tt_put(&o, "; next try at %s", trace_format_time(x->next_retry, nb, sizeof nb));
        }
        break;
    }
    case TRF_QUEUE: {
        const struct trace_queue *x = b;
        tt_put(&o, "%s  outgoing queue: %" PRIu32 " message%s", trace_host_name(tr, x->host),
               x->length, x->length == 1 ? "" : "s");
        if (x->next_retry >= 0) {
            char nb[32];
            tt_put(&o, ", next retry at %s", trace_format_time(x->next_retry, nb, sizeof nb));
        }
        break;
    }
    case TRF_MAILBOX: {
        const struct trace_mailbox *x = b;
        tt_put(&o, "%s  mailbox %s/%s: %" PRIu32 " message%s (%" PRIu32 " unseen)",
               trace_host_name(tr, x->host), trace_str(tr, x->user), trace_str(tr, x->folder),
               x->count, x->count == 1 ? "" : "s", x->unseen);
        break;
    }
    case TRF_DNS: {
        const struct trace_dns *x = b;
        const char *type = x->qtype == 15 ? "MX" : x->qtype == 1 ? "A" : "?";
        if (r->kind == TR_DNS_QUESTION) {
            tt_put(&o, "%s -> %s  DNS question %s %s", trace_host_name(tr, x->host),
                   trace_host_name(tr, x->server), trace_str(tr, x->qname), type);
        } else {
            tt_put(&o, "%s <- %s  DNS answer %s %s: ", trace_host_name(tr, x->host),
                   trace_host_name(tr, x->server), trace_str(tr, x->qname), type);
            if (dlen) tt_bytes(&o, d, dlen, 200);
            else tt_put(&o, "%s", x->rcode == 3 ? "no such domain" : "no records");
        }
        break;
    }
    case TRF_TIMER: {
        const struct trace_timer *x = b;
        char nb[32];
        tt_put(&o, "%s  %s %s, due %s", trace_host_name(tr, x->host),
               r->kind == TR_TIMER_SET ? "timer set:" : "timer cancelled:",
               trace_str(tr, x->label), trace_format_time(x->due, nb, sizeof nb));
        break;
    }
    case TRF_COUNT:
        tt_put(&o, "? record kind %" PRIu32, r->kind);
        break;
    }
    return o.len;
}

int trace_write_text(const struct trace *tr, FILE *f)
{
    char small[512];
    for (size_t k = 0; k < trace_count(tr); k++) {
        size_t n = trace_format_line(tr, k, small, sizeof small);
        if (n >= sizeof small) { /* rare: a long line, format it again in full */
            char *big = ms_xmalloc(n + 1);
            trace_format_line(tr, k, big, n + 1);
            int bad = fputs(big, f) == EOF;
            free(big);
            if (bad) return -1;
        } else if (fputs(small, f) == EOF) {
            return -1;
        }
        if (fputc('\n', f) == EOF) return -1;
    }
    return 0;
}
