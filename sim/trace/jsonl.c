/* jsonl.c -- one JSON object per trace record (docs/exports.md lists the fields).
 *
 * Every object has "step", "t_us", "time" and "kind"; the other fields depend
 * on the kind's family. Host ids are resolved to names. Payload bytes of
 * segments are given as base64 ("payload_b64") because they need not be text;
 * protocol lines, reasons and narration are JSON strings. */
#include "trace/export.h"

#include "format/base64.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when invalid
 * (overlong forms, surrogates and code points above U+10FFFF included). */
static size_t jsonl_utf8_len(const uint8_t *s, size_t n)
{
    uint8_t c = s[0];
    size_t need;
    uint32_t cp;
    if (c < 0x80) return 1;
    if (c >= 0xc2 && c <= 0xdf)
        need = 2, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef)
        need = 3, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4)
        need = 4, cp = c & 0x07;
    else
        return 0;
    if (n < need) return 0;
    for (size_t i = 1; i < need; i++) {
        if ((s[i] & 0xc0) != 0x80) return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((need == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (need == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return need;
}

int jsonl_write_string(FILE *f, const void *sv, size_t len)
{
    const uint8_t *s = sv;
    if (fputc('"', f) == EOF) return -1;
    for (size_t i = 0; i < len;) {
        uint8_t c = s[i];
        int rc;
        if (c == '"' || c == '\\') {
            rc = fprintf(f, "\\%c", c);
            i++;
        } else if (c == '\n') {
            rc = fputs("\\n", f);
            i++;
        } else if (c == '\r') {
            rc = fputs("\\r", f);
            i++;
        } else if (c == '\t') {
            rc = fputs("\\t", f);
            i++;
        } else if (c < 0x20 || c == 0x7f) {
            rc = fprintf(f, "\\u%04x", c);
            i++;
        } else {
            size_t n = jsonl_utf8_len(s + i, len - i);
            if (n == 0) {
                /* A byte that is not UTF-8 (a Latin-1 "é" is 0xE9) becomes
                 * the lone surrogate U+DC00 + byte, as Python's
                 * "surrogateescape" (PEP 383) writes it: never confused
                 * with the character U+00E9, and
                 * s.encode("utf-8", "surrogateescape") gives the bytes back. */
                rc = fprintf(f, "\\udc%02x", c);
                i++;
            } else {
                rc = fwrite(s + i, 1, n, f) == n ? 0 : EOF;
                i += n;
            }
        }
        if (rc < 0) return -1;
    }
    return fputc('"', f) == EOF ? -1 : 0;
}

/* Names of enum netev_reason, for the "reason" field. */
static const char *const jsonl_reason_names[NETEV_R_COUNT] = {
    [NETEV_R_NONE] = "none",           [NETEV_R_LOSS] = "loss",
    [NETEV_R_LINK_DOWN] = "link_down", [NETEV_R_HOST_DOWN] = "host_down",
    [NETEV_R_NO_ROUTE] = "no_route",   [NETEV_R_NO_PORT] = "no_port",
    [NETEV_R_TOO_BIG] = "too_big",     [NETEV_R_RST] = "rst",
    [NETEV_R_ABORT] = "abort",
};

static const char *jsonl_reason(uint32_t r)
{
    return r < NETEV_R_COUNT ? jsonl_reason_names[r] : "unknown";
}

static int jsonl_b64(FILE *f, const uint8_t *p, size_t n)
{
    char *out = malloc(b64_encoded_len(n, 0) + 1);
    if (!out) return -1;
    size_t len = b64_encode(p, n, out, 0);
    int rc =
        (fputc('"', f) == EOF || fwrite(out, 1, len, f) != len || fputc('"', f) == EOF) ? -1 : 0;
    free(out);
    return rc;
}

static int jsonl_host(FILE *f, const char *key, const struct trace *tr, uint32_t id)
{
    if (fprintf(f, ",\"%s\":", key) < 0) return -1;
    if (id == TRACE_NONE) return fputs("null", f) == EOF ? -1 : 0;
    const char *n = trace_host_name(tr, id);
    return jsonl_write_string(f, n, strlen(n));
}

static int jsonl_str(FILE *f, const char *key, const char *s)
{
    if (fprintf(f, ",\"%s\":", key) < 0) return -1;
    return jsonl_write_string(f, s, strlen(s));
}

/* Names of the TRACE_LF_* bits, for the "flags" array of a line. */
static const struct {
    unsigned bit;
    const char *name;
} jsonl_line_flags[] = {
    {TRACE_LF_DATA, "data"},         {TRACE_LF_OK, "ok"},     {TRACE_LF_ERR, "err"},
    {TRACE_LF_DATA_END, "data_end"}, {TRACE_LF_CONT, "cont"}, {TRACE_LF_TLS_START, "tls_start"},
    {TRACE_LF_TLS, "tls"},
};

/* A protocol line's typed fields: "verb" (or null), "code" (or null),
 * "flags" (names, in bit order), "data" (a line of message content) and
 * "ext" (the ehlo-keyword of an EHLO extension line, or null). */
static int jsonl_line_fields(FILE *f, const struct trace *tr, const struct trace_line *x)
{
    const char *verb = trace_str(tr, x->verb);
    if (fputs(",\"verb\":", f) == EOF) return -1;
    if (!verb || !*verb) {
        if (fputs("null", f) == EOF) return -1;
    } else if (jsonl_write_string(f, verb, strlen(verb)) < 0) {
        return -1;
    }
    if ((x->code ? fprintf(f, ",\"code\":%u", (unsigned)x->code) : fprintf(f, ",\"code\":null")) <
        0)
        return -1;
    if (fputs(",\"flags\":[", f) == EOF) return -1;
    bool first = true;
    for (size_t i = 0; i < sizeof jsonl_line_flags / sizeof jsonl_line_flags[0]; i++) {
        if (!(x->flags & jsonl_line_flags[i].bit)) continue;
        if (fprintf(f, "%s\"%s\"", first ? "" : ",", jsonl_line_flags[i].name) < 0) return -1;
        first = false;
    }
    if (fprintf(f, "],\"data\":%s", (x->flags & TRACE_LF_DATA) ? "true" : "false") < 0) return -1;
    const char *ext = trace_str(tr, x->ext);
    if (fputs(",\"ext\":", f) == EOF) return -1;
    if (!*ext) return fputs("null", f) == EOF ? -1 : 0;
    return jsonl_write_string(f, ext, strlen(ext));
}

/* A DNS answer's records: "records":[{"name","ttl","type","section", and
 * "preference","exchange" (MX) or "address" (A)}]; [] for a question. */
static int jsonl_dns_records(FILE *f, const struct trace *tr, const struct trace_rec *r)
{
    if (fputs(",\"records\":[", f) == EOF) return -1;
    size_t n = trace_dns_rrs(r, NULL, 0);
    for (size_t i = 0; i < n; i++) {
        struct trace_dns_rr rr;
        size_t len;
        memcpy(&rr, trace_data(r, &len) + i * sizeof rr, sizeof rr);
        const char *type = rr.type == 1    ? "A"
                           : rr.type == 5  ? "CNAME"
                           : rr.type == 15 ? "MX"
                                           : NULL;
        if (fputs(i ? ",{" : "{", f) == EOF) return -1;
        if (fputs("\"name\":", f) == EOF ||
            jsonl_write_string(f, trace_str(tr, rr.name), strlen(trace_str(tr, rr.name))) < 0)
            return -1;
        if (fprintf(f, ",\"ttl\":%" PRIu32 ",\"type\":", rr.ttl) < 0) return -1;
        if ((type ? fprintf(f, "\"%s\"", type) : fprintf(f, "%u", (unsigned)rr.type)) < 0)
            return -1;
        if (fprintf(f, ",\"section\":\"%s\"",
                    rr.section == TRACE_DNS_ADDITIONAL ? "additional" : "answer") < 0)
            return -1;
        if (rr.type == 15) {
            const char *ex = trace_str(tr, rr.exchange);
            if (fprintf(f, ",\"preference\":%u,\"exchange\":", (unsigned)rr.pref) < 0 ||
                jsonl_write_string(f, ex, strlen(ex)) < 0)
                return -1;
        } else if (rr.type == 1) {
            if (fprintf(f, ",\"address\":\"%u.%u.%u.%u\"", rr.addr[0], rr.addr[1], rr.addr[2],
                        rr.addr[3]) < 0)
                return -1;
        }
        if (fputc('}', f) == EOF) return -1;
    }
    return fputc(']', f) == EOF ? -1 : 0;
}

static int jsonl_body(FILE *f, const struct trace *tr, const struct trace_rec *r)
{
    size_t dlen;
    const uint8_t *data = trace_data(r, &dlen);
    const void *b = trace_body(r);
    switch (trace_kind_family((enum trace_kind)r->kind)) {
    case TRF_REF: {
        const struct trace_ref *x = b;
        bool link = r->kind == TR_LINK_UP || r->kind == TR_LINK_DOWN;
        if (link) {
            if (fprintf(f, ",\"link\":%" PRIu32, x->id) < 0) return -1;
        } else if (jsonl_host(f, "host", tr, x->id) < 0) {
            return -1;
        }
        if (r->kind == TR_NARRATION) {
            if (fputs(",\"text\":", f) == EOF || jsonl_write_string(f, data, dlen) < 0) return -1;
        }
        return 0;
    }
    case TRF_SEG: {
        const struct trace_seg *x = b;
        if (jsonl_host(f, "src", tr, x->src) < 0 || jsonl_host(f, "dst", tr, x->dst) < 0 ||
            jsonl_host(f, "hop_from", tr, x->hop_from) < 0 ||
            jsonl_host(f, "hop_to", tr, x->hop_to) < 0)
            return -1;
        if (fprintf(f,
                    ",\"conn\":%" PRIu32 ",\"sport\":%u,\"dport\":%u,\"seq\":%" PRIu32
                    ",\"ack\":%" PRIu32 ",\"flags\":%u,\"window\":%u,\"mss\":%u"
                    ",\"attempt\":%u,\"reason\":\"%s\",\"t_depart_us\":%" PRId64
                    ",\"t_arrive_us\":%" PRId64 ",\"len\":%" PRIu32 ",\"payload_b64\":",
                    x->conn, x->sport, x->dport, x->seq, x->ack, x->flags, x->window, x->mss,
                    x->attempt, jsonl_reason(x->reason), x->t_depart, x->t_arrive, x->len) < 0)
            return -1;
        return jsonl_b64(f, data, dlen);
    }
    case TRF_CONN: {
        const struct trace_conn *x = b;
        if (jsonl_host(f, "host", tr, x->host) < 0 || jsonl_host(f, "client", tr, x->client) < 0 ||
            jsonl_host(f, "server", tr, x->server) < 0)
            return -1;
        return fprintf(f, ",\"conn\":%" PRIu32 ",\"cport\":%u,\"sport\":%u,\"reason\":\"%s\"",
                       x->conn, x->cport, x->sport, jsonl_reason(x->reason)) < 0
                   ? -1
                   : 0;
    }
    case TRF_STATE: {
        const struct trace_state *x = b;
        if (fprintf(f, ",\"conn\":%" PRIu32, x->conn) < 0) return -1;
        if (jsonl_host(f, "host", tr, x->host) < 0) return -1;
        if (jsonl_str(f, "from", trace_str(tr, x->from)) < 0) return -1;
        return jsonl_str(f, "to", trace_str(tr, x->to));
    }
    case TRF_LINE: {
        const struct trace_line *x = b;
        if (fprintf(f, ",\"conn\":%" PRIu32 ",\"side\":\"%c\"", x->conn, x->side) < 0) return -1;
        if (jsonl_host(f, "host", tr, x->host) < 0 || jsonl_host(f, "peer", tr, x->peer) < 0)
            return -1;
        if (jsonl_str(f, "proto", trace_str(tr, x->proto)) < 0 ||
            jsonl_str(f, "state_before", trace_str(tr, x->state_before)) < 0 ||
            jsonl_str(f, "state_after", trace_str(tr, x->state_after)) < 0)
            return -1;
        if (jsonl_line_fields(f, tr, x) < 0) return -1;
        if (fputs(",\"line\":", f) == EOF) return -1;
        return jsonl_write_string(f, data, dlen);
    }
    case TRF_MSG: {
        const struct trace_msg *x = b;
        if (fprintf(f,
                    ",\"msg\":%" PRIu32 ",\"attempt\":%" PRIu32 ",\"code\":%" PRIu32
                    ",\"next_retry_us\":%" PRId64,
                    x->msg, x->attempt, x->code, x->next_retry) < 0)
            return -1;
        if (jsonl_host(f, "host", tr, x->host) < 0 || jsonl_host(f, "peer", tr, x->peer) < 0)
            return -1;
        if (jsonl_str(f, "sender", trace_str(tr, x->sender)) < 0 ||
            jsonl_str(f, "rcpt", trace_str(tr, x->rcpt)) < 0 ||
            jsonl_str(f, "message_id", trace_str(tr, x->msgid)) < 0)
            return -1;
        if (fputs(",\"text\":", f) == EOF) return -1;
        return jsonl_write_string(f, data, dlen);
    }
    case TRF_QUEUE: {
        const struct trace_queue *x = b;
        if (jsonl_host(f, "host", tr, x->host) < 0) return -1;
        return fprintf(f, ",\"length\":%" PRIu32 ",\"next_retry_us\":%" PRId64, x->length,
                       x->next_retry) < 0
                   ? -1
                   : 0;
    }
    case TRF_MAILBOX: {
        const struct trace_mailbox *x = b;
        if (jsonl_host(f, "host", tr, x->host) < 0) return -1;
        if (jsonl_str(f, "user", trace_str(tr, x->user)) < 0 ||
            jsonl_str(f, "folder", trace_str(tr, x->folder)) < 0)
            return -1;
        return fprintf(f, ",\"count\":%" PRIu32 ",\"unseen\":%" PRIu32, x->count, x->unseen) < 0
                   ? -1
                   : 0;
    }
    case TRF_DNS: {
        const struct trace_dns *x = b;
        if (jsonl_host(f, "host", tr, x->host) < 0 || jsonl_host(f, "server", tr, x->server) < 0)
            return -1;
        if (jsonl_str(f, "qname", trace_str(tr, x->qname)) < 0) return -1;
        if (fprintf(f, ",\"qtype\":%u,\"rcode\":%u,\"id\":%" PRIu32 ",\"answer\":", x->qtype,
                    x->rcode, x->id) < 0)
            return -1;
        char text[TRACE_DNS_TEXT_MAX];
        size_t tl = r->kind == TR_DNS_ANSWER ? trace_dns_answer_text(tr, r, text, sizeof text) : 0;
        if (jsonl_write_string(f, text, tl < sizeof text ? tl : sizeof text - 1) < 0) return -1;
        return jsonl_dns_records(f, tr, r);
    }
    case TRF_TIMER: {
        const struct trace_timer *x = b;
        if (jsonl_host(f, "host", tr, x->host) < 0) return -1;
        if (jsonl_str(f, "label", trace_str(tr, x->label)) < 0) return -1;
        return fprintf(f, ",\"due_us\":%" PRId64, x->due) < 0 ? -1 : 0;
    }
    case TRF_COUNT:
        break;
    }
    return 0;
}

long jsonl_write(const struct trace *tr, FILE *f)
{
    char tbuf[32];
    size_t lcap = 512;
    char *line = malloc(lcap);
    if (!line) return -1;
    long n = 0;
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        /* The window's step K shows the state after records 0..K-1, with
         * record K-1 as its event: record k is step k + 1. */
        if (fprintf(f, "{\"step\":%zu,\"t_us\":%" PRId64 ",\"time\":\"%s\",\"kind\":\"%s\"", k + 1,
                    r->t, trace_format_time(r->t, tbuf, sizeof tbuf),
                    trace_kind_name((enum trace_kind)r->kind)) < 0)
            goto fail;
        if (jsonl_body(f, tr, r) < 0) goto fail;
        size_t need = trace_format_line(tr, k, line, lcap);
        if (need >= lcap) {
            char *nl = realloc(line, need + 1);
            if (!nl) goto fail;
            line = nl;
            lcap = need + 1;
            trace_format_line(tr, k, line, lcap);
        }
        if (fputs(",\"summary\":", f) == EOF || jsonl_write_string(f, line, strlen(line)) < 0 ||
            fputs("}\n", f) == EOF)
            goto fail;
        n++;
    }
    free(line);
    return n;
fail:
    free(line);
    return -1;
}
