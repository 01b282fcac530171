/* pop3_client.h -- sans-I/O POP3 client engine (RFC 1939).
 *
 * One session: log in (APOP when configured and the greeting offers a
 * timestamp, else USER/PASS), STAT, UIDL, LIST, RETR each wanted message (DELE
 * after it in download-and-delete mode), QUIT. With cfg.hold the session
 * stops in the TRANSACTION state after the download (state READY) and the
 * caller sends NOOP or QUIT, or nothing at all: a session that ends without
 * QUIT never reaches UPDATE, so nothing marked with DELE is removed (RFC 1939
 * §6). In download-and-keep mode the
 * messages whose unique ids the caller already has are skipped. Malformed
 * server output (bad status lines, a missing ".", zero-length or over-long
 * UIDs, huge sizes) is a protocol error: the client stops without QUIT, so the
 * server deletes nothing (RFC 1939 §6). Every buffer is bounded. */
#ifndef MAILSIM_PROTO_POP3_CLIENT_H
#define MAILSIM_PROTO_POP3_CLIENT_H

#include <stdbool.h>
#include <stddef.h>

enum pop3_client_state {
    POP3_C_GREETING, /* waiting for +OK greeting */
    POP3_C_APOP,
    POP3_C_USER,
    POP3_C_PASS,
    POP3_C_STAT,
    POP3_C_UIDL,
    POP3_C_LIST,
    POP3_C_RETR,
    POP3_C_DELE,
    POP3_C_READY, /* cfg.hold: downloaded, logged in, the caller's turn */
    POP3_C_NOOP,
    POP3_C_QUIT,
    POP3_C_DONE,   /* QUIT answered */
    POP3_C_FAILED, /* protocol error or connection lost: close */
    POP3_C_COUNT
};

/* Printable name of a client state ("STAT", ...). Can't fail. */
const char *pop3_client_state_name(enum pop3_client_state s);

enum pop3_client_mode { POP3_MODE_KEEP, POP3_MODE_DELETE };

struct pop3_client_cfg {
    const char *user; /* printable ASCII, 1..40 octets */
    const char *pass; /* printable ASCII, 1..200 octets */
    bool apop;        /* use APOP when the greeting carries a timestamp */
    enum pop3_client_mode mode;
    const char *const *known_uids; /* borrowed until pop3_client_free(); KEEP mode skips these */
    size_t n_known;
    size_t max_msg_bytes; /* 0: 10 MiB */
    /* A teaching switch: right after the first DELE, ask for the same message
     * again with RETR. RFC 1939 §5 (DELE): any later reference to a message
     * marked as deleted is an error, so the server answers -ERR and the
     * client goes on with the next message. */
    bool retr_after_dele;
    /* Stop in state READY after the download instead of sending QUIT: the
     * caller goes on with pop3_client_noop() and pop3_client_quit(), or
     * leaves the session open. A login refused still ends with QUIT. */
    bool hold;
};

enum pop3_cev_kind {
    POP3_CEV_REPLY,   /* a status line arrived: ok, text, from -> to */
    POP3_CEV_MESSAGE, /* a message was retrieved: msgno, uid, data, len (unstuffed) */
    POP3_CEV_ERROR,   /* protocol error or refusal: text, offset */
    POP3_CEV_DONE,    /* session over: ok says whether everything succeeded */
};

/* Pointers are borrowed until the next call on the client. */
struct pop3_client_event {
    enum pop3_cev_kind kind;
    enum pop3_client_state from, to;
    bool ok;
    const char *text;
    size_t offset;   /* ERROR: input offset where the bad line started */
    size_t msgno;    /* MESSAGE */
    const char *uid; /* MESSAGE: "" when the server had no UIDL */
    const char *data;
    size_t len;
};

/* New client; copies cfg strings except known_uids. Returns NULL when user or
 * pass are empty, too long or hold non-printable bytes (they would reach the
 * wire). Aborts only if out of memory. */
struct pop3_client *pop3_client_new(const struct pop3_client_cfg *cfg);
/* Free; NULL is a no-op. */
void pop3_client_free(struct pop3_client *c);
/* Feed server bytes; returns bytes consumed (stops after a MESSAGE event until
 * it is pulled; offer the rest again). */
size_t pop3_client_recv(struct pop3_client *c, const char *in, size_t len);
/* Command bytes to send, borrowed; 0 when none. */
size_t pop3_client_out(struct pop3_client *c, const char **out);
/* Mark n bytes of the last pop3_client_out() as sent. */
void pop3_client_out_done(struct pop3_client *c, size_t n);
/* Pull the next event; false when none. */
bool pop3_client_event(struct pop3_client *c, struct pop3_client_event *ev);
/* The server closed the connection. */
void pop3_client_closed(struct pop3_client *c);
/* The caller's reply timer fired: give up (no QUIT, nothing deleted). */
void pop3_client_timeout(struct pop3_client *c);
/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *pop3_client_log(struct pop3_client *c);

/* In state READY: send NOOP (RFC 1939 §5; the server only answers +OK),
 * back to READY on the reply. False in any other state. */
bool pop3_client_noop(struct pop3_client *c);
/* In state READY: send QUIT, so the server enters UPDATE and removes what
 * was marked (RFC 1939 §6). False in any other state. */
bool pop3_client_quit(struct pop3_client *c);

/* The current state. Can't fail. */
enum pop3_client_state pop3_client_state(const struct pop3_client *c);
/* Counts so far: messages retrieved and messages marked with DELE (+OK). */
size_t pop3_client_retrieved(const struct pop3_client *c);
size_t pop3_client_deleted(const struct pop3_client *c);

#endif
