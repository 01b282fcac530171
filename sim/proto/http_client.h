/* http_client.h -- sans-I/O HTTP/1.1 client engine, the browser (RFC 9112).
 *
 * Requests are serialized at once (several may be outstanding: pipelining on a
 * persistent connection, RFC 9112 §9.3.2) and responses are matched to them in
 * order. A response body is framed by Content-Length, or runs to the close of
 * the connection when it has none (§6.3 rule 8); HEAD, 1xx, 204 and 304
 * responses have none. Transfer-Encoding (chunked) is not implemented and is a
 * protocol error. Every buffer is bounded; malformed responses are errors. */
#ifndef MAILSIM_PROTO_HTTP_CLIENT_H
#define MAILSIM_PROTO_HTTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/http_msg.h"

enum http_client_state {
    HTTP_C_IDLE,        /* no response expected */
    HTTP_C_STATUS_LINE, /* waiting for a status line */
    HTTP_C_HEADERS,
    HTTP_C_BODY,     /* Content-Length octets */
    HTTP_C_BODY_EOF, /* body until the server closes */
    HTTP_C_CLOSED,   /* the connection is over (Connection: close, or closed) */
    HTTP_C_FAILED,   /* protocol error: close the connection */
    HTTP_C_COUNT
};

/* Printable state name ("status-line", ...). Can't fail. */
const char *http_client_state_name(enum http_client_state s);

struct http_client_cfg {
    size_t max_body;        /* response bodies above this are errors; 0: 16 MiB */
    const char *user_agent; /* "User-Agent:" field, NULL for none */
};

struct http_response {
    int status;
    const char *reason;
    int version_minor;
    const struct http_fields *fields;
    const char *body;
    size_t body_len;
    const char *method; /* of the request this answers */
    const char *target;
};

enum http_cev_kind {
    HTTP_CEV_RESPONSE, /* a complete final response */
    HTTP_CEV_ERROR,    /* protocol error or lost connection: text, offset */
    HTTP_CEV_CLOSE,    /* the connection will carry nothing more: close it */
};

/* Pointers are borrowed until the next call on the client. */
struct http_client_event {
    enum http_cev_kind kind;
    enum http_client_state from, to;
    struct http_response resp;
    const char *text;
    size_t offset;
};

/* New client; cfg copied. Aborts only if out of memory. */
struct http_client *http_client_new(const struct http_client_cfg *cfg);
/* Free; NULL is a no-op. */
void http_client_free(struct http_client *c);

/* Queue a request: "method target HTTP/1.1", Host, User-Agent, the caller's
 * fields, Content-Length when a body is given (or for POST), then the body
 * (copied). Returns false, sending nothing, when the connection is closing or
 * failed, 16 requests are outstanding, or method, host, target or a field
 * would break the message (CR, LF, NUL, SP in the target, non-token names). */
bool http_client_request(struct http_client *c, const char *method, const char *host,
                         const char *target, const struct http_header *fields, size_t n_fields,
                         const char *body, size_t body_len);
/* POST body as application/x-www-form-urlencoded (an HTML form
 * submission); otherwise as http_client_request. */
bool http_client_post_form(struct http_client *c, const char *host, const char *target,
                           const char *body, size_t body_len);
/* Response bytes from the server; returns bytes consumed (stops after a
 * RESPONSE event until it is pulled). */
size_t http_client_recv(struct http_client *c, const char *in, size_t len);
/* Request bytes to send, borrowed; 0 when none. */
size_t http_client_out(struct http_client *c, const char **out);
/* Mark n bytes of the last http_client_out() as sent. */
void http_client_out_done(struct http_client *c, size_t n);
/* Pull the next event; false when none. */
bool http_client_event(struct http_client *c, struct http_client_event *ev);
/* The server closed the connection (ends a body read until close). */
void http_client_closed(struct http_client *c);
/* The caller's timer fired while waiting: give up on outstanding requests. */
void http_client_timeout(struct http_client *c);
/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *http_client_log(struct http_client *c);

/* The current state. Can't fail. */
enum http_client_state http_client_state(const struct http_client *c);
/* Requests sent and not yet answered. */
size_t http_client_outstanding(const struct http_client *c);

#endif
