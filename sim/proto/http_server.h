/* http_server.h -- sans-I/O HTTP/1.1 server engine (RFC 9112, RFC 9110).
 *
 * Parses requests (request line §3, fields §5, Content-Length bodies §6.3),
 * hands each complete request to the caller as an event, and serializes the
 * caller's response with Content-Length (§6.3) and Connection (§9.6). Requests
 * are answered in order, one at a time: after a request event the engine reads
 * nothing more until the response is given, so pipelining and keep-alive fall
 * out of "bytes consumed". Malformed input is answered by the engine itself
 * (400, 405, 408, 413, 414, 431, 501, 505) and the connection is closed. */
#ifndef MAILSIM_PROTO_HTTP_SERVER_H
#define MAILSIM_PROTO_HTTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/http_msg.h"

enum http_server_state {
    HTTP_S_REQUEST_LINE, /* waiting for a request (idle between requests) */
    HTTP_S_HEADERS,
    HTTP_S_BODY,
    HTTP_S_HANDLER, /* request handed over, waiting for http_server_respond */
    HTTP_S_CLOSING, /* last response queued; close once drained */
    HTTP_S_CLOSED,
    HTTP_S_COUNT
};

/* Printable state name ("request-line", ...). Can't fail. */
const char *http_server_state_name(enum http_server_state s);

struct http_server_cfg {
    size_t max_body;         /* request bodies above this get 413; 0: 1 MiB */
    const char *server_name; /* "Server:" field, NULL for none */
};

/* A parsed request; every pointer is borrowed until the next call. */
struct http_request {
    const char *method; /* "GET", "HEAD" or "POST" */
    const char *target; /* request-target as sent, NUL-terminated */
    int version_minor;  /* 0 or 1 (HTTP/1.x) */
    const struct http_fields *fields;
    const char *body; /* Content-Length octets (may hold NUL) */
    size_t body_len;
    bool keep_alive; /* false after Connection: close or HTTP/1.0 */
};

enum http_sev_kind {
    HTTP_EV_REQUEST,  /* call http_server_respond() */
    HTTP_EV_RESPONSE, /* a response was queued: status (and text = reason) */
    HTTP_EV_ERROR,    /* the engine refused the input: status, text, offset */
    HTTP_EV_CLOSE,    /* close the connection once output is drained */
};

struct http_server_event {
    enum http_sev_kind kind;
    enum http_server_state from, to;
    struct http_request req; /* REQUEST */
    int status;              /* RESPONSE, ERROR */
    const char *text;        /* ERROR: why; RESPONSE: reason phrase; CLOSE: why */
    size_t offset;           /* ERROR: input offset of the offending line */
};

/* New engine; cfg is copied. Aborts only if out of memory. */
struct http_server *http_server_new(const struct http_server_cfg *cfg);
/* Free; NULL is a no-op. */
void http_server_free(struct http_server *s);
/* Feed client bytes; returns how many were consumed. Stops after a complete
 * request (until respond) or an error; offer the rest again later. */
size_t http_server_recv(struct http_server *s, const char *in, size_t len);
/* Response bytes to send, borrowed; 0 when none. */
size_t http_server_out(struct http_server *s, const char **out);
/* Mark n bytes of the last http_server_out() as sent. */
void http_server_out_done(struct http_server *s, size_t n);
/* Pull the next event; false when none. */
bool http_server_event(struct http_server *s, struct http_server_event *ev);

/* Answer the pending request: status with its reason phrase, the caller's
 * fields (Content-Length, Connection and Transfer-Encoding are the engine's
 * and are ignored here), and the body (copied). The body is omitted for HEAD
 * and for 204/304. Returns false, and sends 500 instead, when a field name is
 * not a token or a value holds CR, LF, NUL or another CTL (header injection).
 * Ignored (returns false) when no request is pending. */
bool http_server_respond(struct http_server *s, int status, const struct http_header *fields,
                         size_t n_fields, const char *body, size_t body_len);

/* The caller's timer fired: idle between requests -> close quietly; in the
 * middle of a request (a Content-Length that lies, a slow client) -> 408. */
void http_server_timeout(struct http_server *s);
/* The client closed its side. */
void http_server_closed(struct http_server *s);
/* The caller cannot serve this client now (live mode's connection caps):
 * its next request is answered "503 Service Unavailable" (RFC 9110 §15.6.4)
 * and the connection closed. Can't fail. */
void http_server_busy(struct http_server *s);
/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *http_server_log(struct http_server *s);

/* The current state. Can't fail. */
enum http_server_state http_server_state(const struct http_server *s);
/* True once closing and every byte of output has been taken. */
bool http_server_done(const struct http_server *s);

#endif
