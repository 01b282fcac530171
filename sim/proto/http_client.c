/* http_client.c -- HTTP/1.1 client engine (RFC 9112); see http_client.h. */
#include "proto/http_client.h"

#include "core/common.h"
#include "proto/line_sess.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTPC_PENDING 16
#define HTTPC_EVQ 8
#define HTTPC_OUT_MAX ((size_t)64 << 20) /* the output's ceiling: far above any request */

static const char *const http_client_state_names[HTTP_C_COUNT] = {
    [HTTP_C_IDLE] = "idle",
    [HTTP_C_STATUS_LINE] = "status-line",
    [HTTP_C_HEADERS] = "headers",
    [HTTP_C_BODY] = "body",
    [HTTP_C_BODY_EOF] = "body-until-close",
    [HTTP_C_CLOSED] = "closed",
    [HTTP_C_FAILED] = "failed",
};

struct http_pending {
    char method[17];
    char *target;
    bool close; /* the request asked for Connection: close */
};

struct http_cqev {
    struct http_client_event ev;
    char text[160];
};

struct http_client {
    enum http_client_state state;
    size_t max_body;
    char *user_agent;
    struct line_sess ss; /* reader, output, events, offsets, session log */
    /* outstanding requests, oldest first */
    struct http_pending pend[HTTPC_PENDING];
    size_t p_head, p_count;
    bool closing; /* no new requests: a Connection: close was sent or seen */
    /* the response being read */
    int status, minor;
    char reason[256];
    struct http_fields fields;
    size_t header_bytes;
    char *body;
    size_t body_len, body_cap, body_want;
    bool resp_close;
    struct http_pending answered; /* request of the last RESPONSE event */
    bool resp_unpulled;
};

static void httpc_enter_state(struct http_client *c, enum http_client_state to);

const char *http_client_state_name(enum http_client_state s)
{
    return (unsigned)s < HTTP_C_COUNT ? http_client_state_names[s] : "?";
}

static struct http_cqev *httpc_push(struct http_client *c, enum http_cev_kind kind)
{
    assert(line_sess_events(&c->ss) < HTTPC_EVQ); /* recv stops reading well before */
    struct http_cqev *q = line_sess_event(&c->ss, sizeof *q);
    q->ev.kind = kind;
    q->ev.from = q->ev.to = c->state;
    return q;
}

bool http_client_event(struct http_client *c, struct http_client_event *ev)
{
    const struct http_cqev *q = line_sess_take(&c->ss, sizeof *q);
    if (!q) return false;
    *ev = q->ev;
    ev->text = q->text;
    if (ev->kind == HTTP_CEV_RESPONSE) c->resp_unpulled = false;
    return true;
}

/* The only place the state changes. */
static void httpc_enter_state(struct http_client *c, enum http_client_state to)
{
    line_sess_enter(&c->ss, (int)to, NULL);
    c->state = to;
}

static void httpc_out(struct http_client *c, const char *p, size_t n)
{
    line_sess_write(&c->ss, p, n);
}

static void httpc_outs(struct http_client *c, const char *s)
{
    httpc_out(c, s, strlen(s));
}

static void httpc_drop_pending(struct http_client *c)
{
    while (c->p_count > 0) {
        free(c->pend[c->p_head].target);
        c->pend[c->p_head].target = NULL;
        c->p_head = (c->p_head + 1) % HTTPC_PENDING;
        c->p_count--;
    }
}

/* A protocol error: the connection cannot be trusted any more. */
static void httpc_fail(struct http_client *c, const char *fmt, ...) MS_PRINTF(2, 3);
static void httpc_fail(struct http_client *c, const char *fmt, ...)
{
    if (c->state == HTTP_C_FAILED) return;
    enum http_client_state from = c->state;
    httpc_enter_state(c, HTTP_C_FAILED);
    struct http_cqev *q = httpc_push(c, HTTP_CEV_ERROR);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(q->text, sizeof q->text, fmt, ap);
    va_end(ap);
    q->ev.from = from;
    q->ev.offset = c->ss.line_off;
    struct http_cqev *d = httpc_push(c, HTTP_CEV_CLOSE);
    d->ev.from = from;
    snprintf(d->text, sizeof d->text, "protocol error");
    httpc_drop_pending(c);
}

static bool httpc_safe(const char *s, bool allow_space)
{
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch < 0x20 || ch == 0x7f || (!allow_space && ch == ' ')) return false;
    }
    return true;
}

bool http_client_request(struct http_client *c, const char *method, const char *host,
                         const char *target, const struct http_header *fields, size_t n_fields,
                         const char *body, size_t body_len)
{
    if (c->closing || c->state == HTTP_C_FAILED || c->state == HTTP_C_CLOSED ||
        c->p_count == HTTPC_PENDING) {
        return false;
    }
    size_t ml = strlen(method);
    if (ml > 16 || !http_is_token(method, ml) || !*target || !httpc_safe(target, false) ||
        strlen(target) > HTTP_LINE_MAX - 32 || !*host || !httpc_safe(host, false) ||
        strlen(host) > 255) {
        return false;
    }
    bool close = false;
    for (size_t i = 0; i < n_fields; i++) {
        if (!http_is_token(fields[i].name, strlen(fields[i].name)) ||
            !http_value_ok(fields[i].value, strlen(fields[i].value))) {
            return false;
        }
        if (http_ieq(fields[i].name, "Connection") && http_list_has(fields[i].value, "close")) {
            close = true;
        }
    }
    line_log_mark_out(&c->ss.log, 0, 0, method);
    httpc_outs(c, method);
    httpc_outs(c, " ");
    httpc_outs(c, target);
    httpc_outs(c, " HTTP/1.1\r\nHost: ");
    httpc_outs(c, host);
    httpc_outs(c, "\r\n");
    if (c->user_agent) {
        httpc_outs(c, "User-Agent: ");
        httpc_outs(c, c->user_agent);
        httpc_outs(c, "\r\n");
    }
    for (size_t i = 0; i < n_fields; i++) {
        if (http_ieq(fields[i].name, "Content-Length") || http_ieq(fields[i].name, "Host"))
            continue;
        httpc_outs(c, fields[i].name);
        httpc_outs(c, ": ");
        httpc_outs(c, fields[i].value);
        httpc_outs(c, "\r\n");
    }
    if (body_len > 0 || strcmp(method, "POST") == 0) {
        char cl[48];
        snprintf(cl, sizeof cl, "Content-Length: %zu\r\n", body_len);
        httpc_outs(c, cl);
    }
    httpc_outs(c, "\r\n");
    line_log_mark_out(&c->ss.log, LINE_F_DATA, 0, NULL); /* a form: text */
    if (body_len > 0) httpc_out(c, body, body_len);
    line_log_cut(&c->ss.log, 1);
    struct http_pending *p = &c->pend[(c->p_head + c->p_count++) % HTTPC_PENDING];
    memcpy(p->method, method, ml + 1);
    p->target = ms_xstrdup(target);
    p->close = close;
    if (close) c->closing = true;
    if (c->state == HTTP_C_IDLE) httpc_enter_state(c, HTTP_C_STATUS_LINE);
    line_log_settle(&c->ss.log);
    return true;
}

bool http_client_post_form(struct http_client *c, const char *host, const char *target,
                           const char *body, size_t body_len)
{
    static const struct http_header ct = {"Content-Type", "application/x-www-form-urlencoded"};
    return http_client_request(c, "POST", host, target, &ct, 1, body, body_len);
}

static void httpc_response_begin(struct http_client *c)
{
    http_fields_reset(&c->fields);
    c->header_bytes = 0;
    c->body_len = 0;
    c->body_want = 0;
    c->resp_close = false;
}

/* status-line = HTTP-version SP status-code SP [ reason-phrase ] (RFC 9112 §4) */
static void httpc_on_status_line(struct http_client *c, const char *l, size_t len)
{
    if (len < 12 || memcmp(l, "HTTP/1.", 7) != 0 || l[7] < '0' || l[7] > '9' || l[8] != ' ' ||
        l[9] < '1' || l[9] > '9' || l[10] < '0' || l[10] > '9' || l[11] < '0' || l[11] > '9' ||
        (len > 12 && l[12] != ' ')) {
        httpc_fail(c, "malformed status line");
        return;
    }
    c->minor = l[7] - '0';
    c->status = (l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0');
    const char *rp = len > 13 ? l + 13 : "";
    size_t rl = len > 13 ? len - 13 : 0;
    if (!http_value_ok(rp, rl)) {
        httpc_fail(c, "control character in reason phrase");
        return;
    }
    if (rl >= sizeof c->reason) rl = sizeof c->reason - 1;
    memcpy(c->reason, rp, rl);
    c->reason[rl] = '\0';
    httpc_response_begin(c);
    line_log_note_in(&c->ss.log, c->pend[c->p_head].method, strlen(c->pend[c->p_head].method), 0);
    line_log_note_reply(&c->ss.log, (unsigned)c->status, c->status < 400 ? LINE_F_OK : LINE_F_ERR);
    line_log_mark_in(&c->ss.log, LINE_F_CONT, 0, NULL); /* the fields */
    httpc_enter_state(c, HTTP_C_HEADERS);
}

static void httpc_response_done(struct http_client *c)
{
    enum http_client_state from = c->state;
    line_log_cut(&c->ss.log, 0); /* a body's last line may have no end */
    line_log_mark_in(&c->ss.log, 0, 0, NULL);
    free(c->answered.target);
    c->answered = c->pend[c->p_head];
    c->pend[c->p_head].target = NULL;
    c->p_head = (c->p_head + 1) % HTTPC_PENDING;
    c->p_count--;
    bool close = c->resp_close || c->answered.close || from == HTTP_C_BODY_EOF;
    if (close) {
        c->closing = true;
        httpc_enter_state(c, HTTP_C_CLOSED);
    } else {
        httpc_enter_state(c, c->p_count ? HTTP_C_STATUS_LINE : HTTP_C_IDLE);
    }
    struct http_cqev *q = httpc_push(c, HTTP_CEV_RESPONSE);
    q->ev.from = from;
    q->ev.to = c->state;
    q->ev.resp.status = c->status;
    q->ev.resp.reason = c->reason;
    q->ev.resp.version_minor = c->minor;
    q->ev.resp.fields = &c->fields;
    q->ev.resp.body = c->body ? c->body : "";
    q->ev.resp.body_len = c->body_len;
    q->ev.resp.method = c->answered.method;
    q->ev.resp.target = c->answered.target;
    c->resp_unpulled = true;
    if (close) {
        struct http_cqev *d = httpc_push(c, HTTP_CEV_CLOSE);
        d->ev.from = from;
        snprintf(d->text, sizeof d->text, "%s",
                 c->p_count ? "closed with requests unanswered" : "Connection: close");
        httpc_drop_pending(c);
    }
}

/* Decide the body length (RFC 9112 §6.3). */
static void httpc_on_headers_end(struct http_client *c)
{
    if (c->status < 200) { /* interim response: the final one follows */
        httpc_enter_state(c, HTTP_C_STATUS_LINE);
        return;
    }
    size_t n_cl, n_te;
    const char *cl = http_fields_get(&c->fields, "Content-Length", &n_cl);
    http_fields_get(&c->fields, "Transfer-Encoding", &n_te);
    const char *conn = http_fields_get(&c->fields, "Connection", NULL);
    c->resp_close = conn ? http_list_has(conn, "close") : c->minor == 0;
    const struct http_pending *p = &c->pend[c->p_head];
    if (strcmp(p->method, "HEAD") == 0 || c->status == 204 || c->status == 304) {
        httpc_response_done(c);
        return;
    }
    if (n_te > 0) {
        httpc_fail(c, "Transfer-Encoding not supported");
        return;
    }
    uint64_t want = 0;
    if (n_cl > 1 || (cl && !http_parse_length(cl, &want))) {
        httpc_fail(c, "invalid Content-Length");
        return;
    }
    if (want > c->max_body) {
        httpc_fail(c, "response body over %zu octets", c->max_body);
        return;
    }
    const char *type = http_fields_get(&c->fields, "Content-Type", NULL);
    bool text = type && strncmp(type, "text/", 5) == 0;
    line_log_mark_in(&c->ss.log, LINE_F_DATA | LINE_F_CONT, 0, NULL);
    if (!text && want > 0) {
        char note[96];
        snprintf(note, sizeof note, "[%llu bytes of %.60s]", (unsigned long long)want,
                 type && *type ? type : "data");
        line_log_opaque(&c->ss.log, 0, want, note);
    }
    if (!cl) { /* §6.3 rule 8: the body ends with the connection */
        c->closing = true;
        httpc_enter_state(c, HTTP_C_BODY_EOF);
        return;
    }
    c->body_want = (size_t)want;
    if (want == 0) {
        httpc_response_done(c);
        return;
    }
    if (c->body_cap < c->body_want) {
        c->body = ms_xrealloc(c->body, c->body_want);
        c->body_cap = c->body_want;
    }
    httpc_enter_state(c, HTTP_C_BODY);
}

static void httpc_on_line(struct http_client *c, const char *l, size_t len, bool bad)
{
    if (bad) {
        httpc_fail(c, "bare CR, LF or NUL in the response head");
        return;
    }
    if (c->state == HTTP_C_STATUS_LINE) {
        httpc_on_status_line(c, l, len);
        return;
    }
    if (len == 0) {
        httpc_on_headers_end(c);
        return;
    }
    c->header_bytes += len + 2;
    enum http_field_err e = c->header_bytes > HTTP_HEADER_BYTES_MAX
                                ? HTTP_FIELD_TOO_MANY
                                : http_fields_add(&c->fields, l, len);
    if (e == HTTP_FIELD_TOO_MANY)
        httpc_fail(c, "header section too large");
    else if (e != HTTP_FIELD_OK)
        httpc_fail(c, "malformed header field");
}

static void httpc_body_append(struct http_client *c, const char *p, size_t n)
{
    if (c->body_len + n > c->body_cap) {
        size_t cap = c->body_cap ? c->body_cap : 4096;
        while (cap < c->body_len + n) cap *= 2;
        if (cap > c->max_body) cap = c->max_body;
        c->body = ms_xrealloc(c->body, cap);
        c->body_cap = cap;
    }
    memcpy(c->body + c->body_len, p, n);
    c->body_len += n;
}

static bool httpc_can_read(void *eng)
{
    const struct http_client *c = eng;
    return !(c->state == HTTP_C_FAILED || c->state == HTTP_C_CLOSED || c->resp_unpulled ||
             line_sess_events(&c->ss) > HTTPC_EVQ - 4);
}

/* A response body (RFC 9112 §6.3), and bytes no request asked for. */
static size_t httpc_raw(void *eng, const char *in, size_t len)
{
    struct http_client *c = eng;
    if (c->state == HTTP_C_IDLE) {
        c->ss.line_off = c->ss.in_total;
        httpc_fail(c, "response without a request");
        return 0;
    }
    if (c->state != HTTP_C_BODY && c->state != HTTP_C_BODY_EOF) return SIZE_MAX;
    size_t take = len;
    if (c->state == HTTP_C_BODY && take > c->body_want - c->body_len)
        take = c->body_want - c->body_len;
    if (c->state == HTTP_C_BODY_EOF && c->body_len + take > c->max_body) {
        c->ss.line_off = c->ss.in_total;
        httpc_fail(c, "response body over %zu octets", c->max_body);
        return 0;
    }
    line_sess_raw(&c->ss, in, take, 0); /* marked as data where the body began */
    httpc_body_append(c, in, take);
    if (c->state == HTTP_C_BODY && c->body_len == c->body_want) httpc_response_done(c);
    return take;
}

/* A status line or a field line; errors point at its first byte. */
static void httpc_line(void *eng, enum line_status st, const char *l, size_t n, bool more)
{
    struct http_client *c = eng;
    (void)more;
    if (st == LINE_TOO_LONG) {
        httpc_fail(c, "line longer than %d octets", HTTP_LINE_MAX);
    } else {
        httpc_on_line(c, l, n, line_has_bare_eol(&c->ss.rd) || line_has_nul(&c->ss.rd));
    }
}

static const struct line_proto httpc_proto = {httpc_can_read, httpc_raw, httpc_line};

size_t http_client_recv(struct http_client *c, const char *in, size_t len)
{
    size_t i = line_sess_recv(&c->ss, &httpc_proto, c, in, len);
    line_log_settle(&c->ss.log);
    return i;
}

size_t http_client_out(struct http_client *c, const char **out)
{
    return line_sess_out(&c->ss, out);
}

void http_client_out_done(struct http_client *c, size_t n)
{
    assert(n <= line_sess_pending(&c->ss));
    line_sess_out_done(&c->ss, n);
}

struct line_log *http_client_log(struct http_client *c)
{
    return line_sess_log(&c->ss);
}

void http_client_closed(struct http_client *c)
{
    if (c->state == HTTP_C_FAILED || c->state == HTTP_C_CLOSED) return;
    if (c->state == HTTP_C_BODY_EOF) { /* §6.3 rule 8: the close ends the body */
        httpc_response_done(c);
        line_log_settle(&c->ss.log);
        return;
    }
    if (c->state == HTTP_C_IDLE) {
        httpc_enter_state(c, HTTP_C_CLOSED);
        struct http_cqev *d = httpc_push(c, HTTP_CEV_CLOSE);
        d->ev.from = HTTP_C_IDLE;
        snprintf(d->text, sizeof d->text, "closed by the server");
        return;
    }
    c->ss.line_off = c->ss.in_total;
    if (c->state == HTTP_C_BODY) {
        httpc_fail(c, "connection closed after %zu of %zu body octets", c->body_len, c->body_want);
    } else {
        httpc_fail(c, "connection closed with %zu requests unanswered", c->p_count);
    }
    line_log_settle(&c->ss.log);
}

void http_client_timeout(struct http_client *c)
{
    if (c->state == HTTP_C_IDLE || c->state == HTTP_C_CLOSED || c->state == HTTP_C_FAILED) return;
    c->ss.line_off = c->ss.in_total;
    httpc_fail(c, "no response in state %s", http_client_state_name(c->state));
    line_log_settle(&c->ss.log);
}

enum http_client_state http_client_state(const struct http_client *c)
{
    return c->state;
}

size_t http_client_outstanding(const struct http_client *c)
{
    return c->p_count;
}

struct http_client *http_client_new(const struct http_client_cfg *cfg)
{
    struct http_client *c = ms_xcalloc(1, sizeof *c);
    c->max_body = cfg && cfg->max_body ? cfg->max_body : 16u * 1024 * 1024;
    const char *ua = cfg ? cfg->user_agent : NULL;
    if (ua && *ua && strlen(ua) < 128 && http_value_ok(ua, strlen(ua)))
        c->user_agent = ms_xstrdup(ua);
    const struct line_sess_cfg sc = {
        .line_max = HTTP_LINE_MAX,
        .out_init = 1024,
        .out_max = HTTPC_OUT_MAX,
        .ev_size = sizeof(struct http_cqev),
        .ev_cap = HTTPC_EVQ,
        .state_names = http_client_state_names,
        .n_states = HTTP_C_COUNT,
        .initial = HTTP_C_IDLE,
    };
    line_sess_init(&c->ss, &sc);
    c->ss.log.lf_ends = true; /* a text body's lines may end with LF alone */
    httpc_enter_state(c, HTTP_C_IDLE);
    return c;
}

void http_client_free(struct http_client *c)
{
    if (!c) return;
    line_sess_free(&c->ss);
    httpc_drop_pending(c);
    free(c->answered.target);
    free(c->user_agent);
    free(c->body);
    free(c);
}
