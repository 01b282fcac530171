/* http_server.c -- HTTP/1.1 server engine (RFC 9112); see http_server.h. */
#include "proto/http_server.h"

#include "core/common.h"
#include "proto/line_sess.h"

#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HTTP_METHOD_MAX 16
#define HTTP_EVQ 16
#define HTTP_OUT_HIGH 65536             /* stop reading requests while this much is unsent (X5) */
#define HTTP_OUT_MAX ((size_t)64 << 20) /* the output's ceiling: far above any webmail response */

static const char *const http_server_state_names[HTTP_S_COUNT] = {
    [HTTP_S_REQUEST_LINE] = "request-line",
    [HTTP_S_HEADERS] = "headers",
    [HTTP_S_BODY] = "body",
    [HTTP_S_HANDLER] = "handler",
    [HTTP_S_CLOSING] = "closing",
    [HTTP_S_CLOSED] = "closed",
};

struct http_sqev {
    struct http_server_event ev;
    char text[160];
};

struct http_server {
    enum http_server_state state;
    size_t max_body;
    char *server_name;
    struct line_sess ss; /* reader, output, events, offsets, session log */
    /* the request being read */
    char method[HTTP_METHOD_MAX + 1];
    char *target;
    int minor;
    struct http_fields fields;
    size_t header_bytes;
    char *body;
    size_t body_len, body_want;
    bool keep_alive, head;
    bool partial; /* a line of a request has arrived (a partial one is in ss.rd) */
    bool busy;    /* http_server_busy(): the next request gets 503 */
};

static void http_enter_state(struct http_server *s, enum http_server_state to);

const char *http_server_state_name(enum http_server_state st)
{
    return (unsigned)st < HTTP_S_COUNT ? http_server_state_names[st] : "?";
}

static struct http_sqev *http_push(struct http_server *s, enum http_sev_kind kind)
{
    assert(line_sess_events(&s->ss) < HTTP_EVQ); /* at most 3 per request; recv stops well before */
    struct http_sqev *q = line_sess_event(&s->ss, sizeof *q);
    q->ev.kind = kind;
    q->ev.from = q->ev.to = s->state;
    return q;
}

bool http_server_event(struct http_server *s, struct http_server_event *ev)
{
    const struct http_sqev *q = line_sess_take(&s->ss, sizeof *q);
    if (!q) return false;
    *ev = q->ev;
    ev->text = q->text;
    return true;
}

/* The only place the state changes. */
static void http_enter_state(struct http_server *s, enum http_server_state to)
{
    line_sess_enter(&s->ss, (int)to, NULL);
    s->state = to;
}

/* ---- output ------------------------------------------------------------------ */

static void http_out_write(struct http_server *s, const char *p, size_t n)
{
    line_sess_write(&s->ss, p, n);
}

/* Mark the response about to be written: its status line and fields. */
static void http_log_response(struct http_server *s, int status)
{
    line_log_mark_out(&s->ss.log, status < 400 ? LINE_F_OK : LINE_F_ERR, (unsigned)status,
                      s->method);
}

/* Write a response body: text as lines, anything else as one note. */
static void http_out_body(struct http_server *s, const char *type, const char *body, size_t n)
{
    bool text = type && (strncmp(type, "text/", 5) == 0 ||
                         strncmp(type, "application/x-www-form-urlencoded", 33) == 0);
    if (s->ss.log.on && !text) {
        char note[96];
        snprintf(note, sizeof note, "[%zu bytes of %.60s]", n, type && *type ? type : "data");
        line_log_opaque(&s->ss.log, 1, n, note);
    }
    line_log_mark_out(&s->ss.log, LINE_F_DATA | LINE_F_CONT, 0, NULL);
    http_out_write(s, body, n);
    line_log_cut(&s->ss.log, 1);
}

static void http_out_fmt(struct http_server *s, const char *fmt, ...) MS_PRINTF(2, 3);
static void http_out_fmt(struct http_server *s, const char *fmt, ...)
{
    char line[HTTP_LINE_MAX];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    assert(n >= 0 && (size_t)n < sizeof line);
    http_out_write(s, line, (size_t)n);
}

size_t http_server_out(struct http_server *s, const char **out)
{
    return line_sess_out(&s->ss, out);
}

void http_server_out_done(struct http_server *s, size_t n)
{
    assert(n <= line_sess_pending(&s->ss));
    line_sess_out_done(&s->ss, n);
}

struct line_log *http_server_log(struct http_server *s)
{
    return line_sess_log(&s->ss);
}

/* ---- request handling ------------------------------------------------------------ */

static void http_request_reset(struct http_server *s)
{
    s->method[0] = '\0';
    free(s->target);
    s->target = NULL;
    free(s->body);
    s->body = NULL;
    s->body_len = s->body_want = 0;
    s->header_bytes = 0;
    s->partial = false;
    s->head = false;
    http_fields_reset(&s->fields);
}

/* Answer with an error of the engine's own and close (RFC 9112 §9.6: after a
 * framing error the connection cannot be trusted). */
static void http_fail(struct http_server *s, int status, const char *why)
{
    enum http_server_state from = s->state;
    const char *reason = http_status_reason(status);
    char body[256];
    int bl = snprintf(body, sizeof body, "%d %s: %s\n", status, reason, why);
    http_log_response(s, status);
    http_out_fmt(s, "HTTP/1.1 %d %s\r\n", status, reason);
    if (s->server_name) http_out_fmt(s, "Server: %s\r\n", s->server_name);
    if (status == 405) http_out_fmt(s, "Allow: GET, HEAD, POST\r\n");
    http_out_fmt(s,
                 "Content-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\n"
                 "Connection: close\r\n\r\n",
                 bl);
    if (!s->head) http_out_body(s, "text/plain", body, (size_t)bl);
    http_enter_state(s, HTTP_S_CLOSING);
    struct http_sqev *q = http_push(s, HTTP_EV_ERROR);
    q->ev.from = from;
    q->ev.to = s->state;
    q->ev.status = status;
    q->ev.offset = s->ss.line_off;
    snprintf(q->text, sizeof q->text, "%s", why);
    struct http_sqev *c = http_push(s, HTTP_EV_CLOSE);
    c->ev.from = from;
    snprintf(c->text, sizeof c->text, "%d %s", status, reason);
    http_request_reset(s);
}

/* request-line = method SP request-target SP HTTP-version (RFC 9112 §3). */
static void http_on_request_line(struct http_server *s, const char *l, size_t len)
{
    const char *sp1 = memchr(l, ' ', len);
    if (!sp1) {
        http_fail(s, 400, "malformed request line");
        return;
    }
    const char *t = sp1 + 1;
    const char *sp2 = memchr(t, ' ', len - (size_t)(t - l));
    if (!sp2 || sp2 == t) {
        http_fail(s, 400, "malformed request line");
        return;
    }
    const char *v = sp2 + 1;
    size_t vlen = len - (size_t)(v - l), mlen = (size_t)(sp1 - l), tlen = (size_t)(sp2 - t);
    if (!http_is_token(l, mlen)) {
        http_fail(s, 400, "malformed method");
        return;
    }
    for (size_t i = 0; i < tlen; i++) { /* VCHAR only: no SP, CTL, NUL or 8-bit */
        unsigned char c = (unsigned char)t[i];
        if (c <= 0x20 || c >= 0x7f) {
            http_fail(s, 400, "malformed request target");
            return;
        }
    }
    /* HTTP-version = "HTTP/" DIGIT "." DIGIT (RFC 9112 §2.3) */
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9') {
        http_fail(s, 400, "malformed HTTP version");
        return;
    }
    if (v[5] != '1') {
        http_fail(s, 505, "only HTTP/1.x is supported");
        return;
    }
    s->minor = v[7] - '0';
    if (mlen > HTTP_METHOD_MAX) {
        http_fail(s, 501, "method not implemented");
        return;
    }
    memcpy(s->method, l, mlen);
    s->method[mlen] = '\0';
    s->head = strcmp(s->method, "HEAD") == 0;
    /* Methods are case-sensitive (RFC 9110 §9.1). */
    static const char *const known[] = {"PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
    bool ours = strcmp(s->method, "GET") == 0 || s->head || strcmp(s->method, "POST") == 0;
    if (!ours) {
        for (size_t i = 0; i < MS_ARRAY_LEN(known); i++) {
            if (strcmp(s->method, known[i]) == 0) {
                http_fail(s, 405, "method not allowed");
                return;
            }
        }
        http_fail(s, 501, "method not implemented");
        return;
    }
    /* origin-form or absolute-form (RFC 9112 §3.2.1, §3.2.2) */
    if (t[0] != '/' && !(tlen > 7 && memcmp(t, "http://", 7) == 0)) {
        http_fail(s, 400, "malformed request target");
        return;
    }
    s->target = ms_xmemdup(t, tlen);
    http_enter_state(s, HTTP_S_HEADERS);
}

static void http_request_ready(struct http_server *s)
{
    if (s->busy) { /* RFC 9110 §15.6.4: temporarily unable to handle it */
        http_fail(s, 503, "too many connections, try again later");
        return;
    }
    enum http_server_state from = s->state;
    http_enter_state(s, HTTP_S_HANDLER);
    struct http_sqev *q = http_push(s, HTTP_EV_REQUEST);
    q->ev.from = from;
    q->ev.to = s->state;
    q->ev.req.method = s->method;
    q->ev.req.target = s->target;
    q->ev.req.version_minor = s->minor;
    q->ev.req.fields = &s->fields;
    q->ev.req.body = s->body ? s->body : "";
    q->ev.req.body_len = s->body_len;
    q->ev.req.keep_alive = s->keep_alive;
}

/* The empty line after the fields: decide framing (RFC 9112 §6.3). */
static void http_on_headers_end(struct http_server *s)
{
    size_t n_host, n_cl, n_te;
    http_fields_get(&s->fields, "Host", &n_host);
    const char *cl = http_fields_get(&s->fields, "Content-Length", &n_cl);
    http_fields_get(&s->fields, "Transfer-Encoding", &n_te);
    if (s->minor >= 1 && n_host != 1) { /* RFC 9112 §3.2 */
        http_fail(s, 400, n_host ? "more than one Host field" : "missing Host field");
        return;
    }
    if (n_te > 0 && n_cl > 0) { /* §6.1: a smuggling vector, refuse */
        http_fail(s, 400, "both Transfer-Encoding and Content-Length");
        return;
    }
    if (n_te > 0) {
        http_fail(s, 501, "Transfer-Encoding not supported");
        return;
    }
    uint64_t want = 0;
    if (n_cl > 1) {
        http_fail(s, 400, "more than one Content-Length field");
        return;
    }
    if (cl && !http_parse_length(cl, &want)) { /* §6.3 rule 5 */
        http_fail(s, 400, "invalid Content-Length");
        return;
    }
    if (want > s->max_body) {
        http_fail(s, 413, "request body too large");
        return;
    }
    const char *conn = http_fields_get(&s->fields, "Connection", NULL);
    if (s->minor == 0) { /* §9.3: HTTP/1.0 persists only on request */
        s->keep_alive = conn && http_list_has(conn, "keep-alive");
    } else {
        s->keep_alive = !(conn && http_list_has(conn, "close"));
    }
    s->body_want = (size_t)want;
    if (want > 0) {
        s->body = ms_xmalloc(s->body_want); /* bounded by max_body above */
        http_enter_state(s, HTTP_S_BODY);
        return;
    }
    http_request_ready(s);
}

static void http_on_line(struct http_server *s, const char *l, size_t len, bool bad)
{
    if (s->state == HTTP_S_REQUEST_LINE) {
        if (len == 0 && !bad) return; /* RFC 9112 §2.2: ignore empty lines before */
        if (bad) {
            http_fail(s, 400, "bare CR, LF or NUL in request line");
            return;
        }
        http_on_request_line(s, l, len);
        if (s->method[0]) line_log_note_in(&s->ss.log, s->method, strlen(s->method), 0);
        return;
    }
    /* HTTP_S_HEADERS */
    if (bad) { /* RFC 9112 §2.2: bare CR is invalid; NUL in a field too */
        http_fail(s, 400, "bare CR, LF or NUL in header field");
        return;
    }
    if (len == 0) {
        http_on_headers_end(s);
        return;
    }
    s->header_bytes += len + 2;
    if (s->header_bytes > HTTP_HEADER_BYTES_MAX) {
        http_fail(s, 431, "header section too large");
        return;
    }
    switch (http_fields_add(&s->fields, l, len)) {
    case HTTP_FIELD_OK:
        break;
    case HTTP_FIELD_SYNTAX:
        http_fail(s, 400, "malformed header field");
        break;
    case HTTP_FIELD_OBS_FOLD:
        http_fail(s, 400, "obsolete line folding");
        break;
    case HTTP_FIELD_TOO_MANY:
        http_fail(s, 431, "too many header fields");
        break;
    }
}

static bool http_can_read(void *eng)
{
    const struct http_server *s = eng;
    if (s->state == HTTP_S_HANDLER || s->state == HTTP_S_CLOSING || s->state == HTTP_S_CLOSED)
        return false;
    if (s->state == HTTP_S_REQUEST_LINE && line_sess_pending(&s->ss) > HTTP_OUT_HIGH) return false;
    return line_sess_events(&s->ss) <= HTTP_EVQ - 8; /* events not pulled yet */
}

/* A request body (RFC 9112 §6.3: Content-Length octets), not lines. */
static size_t http_raw(void *eng, const char *in, size_t len)
{
    struct http_server *s = eng;
    if (s->state != HTTP_S_BODY) return SIZE_MAX;
    size_t take = s->body_want - s->body_len;
    if (take > len) take = len;
    line_sess_raw(&s->ss, in, take, LINE_F_DATA);
    if (s->body_len + take == s->body_want) line_log_cut(&s->ss.log, 0);
    memcpy(s->body + s->body_len, in, take);
    s->body_len += take;
    s->ss.line_off = s->ss.in_total; /* errors after the body point past it */
    if (s->body_len == s->body_want) http_request_ready(s);
    return take;
}

static void http_line(void *eng, enum line_status st, const char *l, size_t n, bool more)
{
    struct http_server *s = eng;
    (void)more;
    s->partial = true;
    if (st == LINE_TOO_LONG) {
        if (s->state == HTTP_S_REQUEST_LINE)
            http_fail(s, 414, "request line too long");
        else
            http_fail(s, 431, "header field line too long");
    } else {
        bool bad = line_has_bare_eol(&s->ss.rd) || line_has_nul(&s->ss.rd);
        http_on_line(s, l, n, bad);
        if (s->state == HTTP_S_REQUEST_LINE && n == 0) s->partial = false;
    }
}

static const struct line_proto http_proto = {http_can_read, http_raw, http_line};

size_t http_server_recv(struct http_server *s, const char *in, size_t len)
{
    size_t i = line_sess_recv(&s->ss, &http_proto, s, in, len);
    line_log_settle(&s->ss.log);
    return i;
}

bool http_server_respond(struct http_server *s, int status, const struct http_header *fields,
                         size_t n_fields, const char *body, size_t body_len)
{
    if (s->state != HTTP_S_HANDLER) return false;
    for (size_t i = 0; i < n_fields; i++) {
        if (!http_is_token(fields[i].name, strlen(fields[i].name)) ||
            !http_value_ok(fields[i].value, strlen(fields[i].value))) {
            static const char msg[] = "500 Internal Server Error: bad response header\n";
            http_log_response(s, 500);
            http_out_fmt(s,
                         "HTTP/1.1 500 Internal Server Error\r\nContent-Type: text/plain; "
                         "charset=utf-8\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s",
                         sizeof msg - 1, s->head ? "" : msg);
            enum http_server_state from = s->state;
            http_enter_state(s, HTTP_S_CLOSING);
            struct http_sqev *q = http_push(s, HTTP_EV_RESPONSE);
            q->ev.from = from;
            q->ev.to = s->state;
            q->ev.status = 500;
            snprintf(q->text, sizeof q->text, "%s", http_status_reason(500));
            struct http_sqev *c = http_push(s, HTTP_EV_CLOSE);
            snprintf(c->text, sizeof c->text, "bad response header");
            http_request_reset(s);
            line_log_cut(&s->ss.log, 1);
            line_log_settle(&s->ss.log);
            return false;
        }
    }
    if (status < 100 || status > 999) status = 500;
    bool no_body = status == 204 || status == 304 || (status >= 100 && status < 200);
    http_log_response(s, status);
    http_out_fmt(s, "HTTP/1.1 %d %s\r\n", status, http_status_reason(status));
    if (s->server_name) http_out_fmt(s, "Server: %s\r\n", s->server_name);
    for (size_t i = 0; i < n_fields; i++) {
        const char *nm = fields[i].name;
        if (http_ieq(nm, "Content-Length") || http_ieq(nm, "Connection") ||
            http_ieq(nm, "Transfer-Encoding")) {
            continue;
        }
        http_out_write(s, nm, strlen(nm));
        http_out_write(s, ": ", 2);
        http_out_write(s, fields[i].value, strlen(fields[i].value));
        http_out_write(s, "\r\n", 2);
    }
    if (!no_body) http_out_fmt(s, "Content-Length: %zu\r\n", body_len);
    if (!s->keep_alive) http_out_fmt(s, "Connection: close\r\n");
    http_out_write(s, "\r\n", 2);
    if (!no_body && !s->head && body_len > 0) {
        const char *type = NULL;
        for (size_t i = 0; i < n_fields; i++)
            if (http_ieq(fields[i].name, "Content-Type")) type = fields[i].value;
        http_out_body(s, type, body, body_len);
    }
    enum http_server_state from = s->state;
    bool keep = s->keep_alive;
    http_request_reset(s);
    http_enter_state(s, keep ? HTTP_S_REQUEST_LINE : HTTP_S_CLOSING);
    struct http_sqev *q = http_push(s, HTTP_EV_RESPONSE);
    q->ev.from = from;
    q->ev.to = s->state;
    q->ev.status = status;
    snprintf(q->text, sizeof q->text, "%s", http_status_reason(status));
    if (!keep) {
        struct http_sqev *c = http_push(s, HTTP_EV_CLOSE);
        c->ev.from = from;
        snprintf(c->text, sizeof c->text, "Connection: close");
    }
    line_log_settle(&s->ss.log);
    return true;
}

void http_server_timeout(struct http_server *s)
{
    if (s->state == HTTP_S_CLOSED || s->state == HTTP_S_HANDLER) return;
    if (s->state == HTTP_S_CLOSING) {
        http_enter_state(s, HTTP_S_CLOSED);
        line_log_settle(&s->ss.log);
        return;
    }
    if (s->state == HTTP_S_REQUEST_LINE && !s->partial &&
        !line_partial(&s->ss.rd)) { /* idle keep-alive */
        enum http_server_state from = s->state;
        http_enter_state(s, HTTP_S_CLOSED);
        struct http_sqev *c = http_push(s, HTTP_EV_CLOSE);
        c->ev.from = from;
        snprintf(c->text, sizeof c->text, "idle timeout");
        line_log_settle(&s->ss.log);
        return;
    }
    s->ss.line_off = s->ss.in_total;
    http_fail(s, 408, s->state == HTTP_S_BODY ? "request body incomplete" : "request incomplete");
    line_log_settle(&s->ss.log);
}

void http_server_closed(struct http_server *s)
{
    if (s->state == HTTP_S_CLOSED) return;
    enum http_server_state from = s->state;
    http_enter_state(s, HTTP_S_CLOSED);
    line_sess_out_drop(&s->ss);
    http_request_reset(s);
    struct http_sqev *c = http_push(s, HTTP_EV_CLOSE);
    c->ev.from = from;
    snprintf(c->text, sizeof c->text, "connection closed by client");
    line_log_settle(&s->ss.log);
}

enum http_server_state http_server_state(const struct http_server *s)
{
    return s->state;
}

bool http_server_done(const struct http_server *s)
{
    return (s->state == HTTP_S_CLOSING || s->state == HTTP_S_CLOSED) &&
           line_sess_pending(&s->ss) == 0;
}

struct http_server *http_server_new(const struct http_server_cfg *cfg)
{
    struct http_server *s = ms_xcalloc(1, sizeof *s);
    s->max_body = cfg && cfg->max_body ? cfg->max_body : 1024 * 1024;
    const char *sn = cfg ? cfg->server_name : NULL;
    if (sn && *sn && strlen(sn) < 128 && http_value_ok(sn, strlen(sn)))
        s->server_name = ms_xstrdup(sn);
    const struct line_sess_cfg sc = {
        .line_max = HTTP_LINE_MAX,
        .out_init = 1024,
        .out_max = HTTP_OUT_MAX,
        .ev_size = sizeof(struct http_sqev),
        .ev_cap = HTTP_EVQ,
        .state_names = http_server_state_names,
        .n_states = HTTP_S_COUNT,
        .initial = HTTP_S_REQUEST_LINE,
    };
    line_sess_init(&s->ss, &sc);
    s->ss.log.lf_ends = true; /* a text body's lines may end with LF alone */
    http_enter_state(s, HTTP_S_REQUEST_LINE);
    return s;
}

void http_server_free(struct http_server *s)
{
    if (!s) return;
    line_sess_free(&s->ss);
    free(s->server_name);
    free(s->target);
    free(s->body);
    free(s);
}

void http_server_busy(struct http_server *s)
{
    s->busy = true;
}
