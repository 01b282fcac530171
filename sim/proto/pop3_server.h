/* pop3_server.h -- sans-I/O POP3 server engine (RFC 1939, CAPA of RFC 2449).
 *
 * States AUTHORIZATION, TRANSACTION, UPDATE (RFC 1939 §3-§6) plus CLOSED.
 * Credentials and the maildrop belong to the caller: a login is an event, the
 * caller answers with a maildrop snapshot or a refusal. Deletions are only
 * marks until QUIT from TRANSACTION; then one UPDATE event lists the unique ids
 * to remove. A dropped connection or a timeout never produces that event (§6).
 * Output is bounded: RETR/TOP/LIST/UIDL are produced as the caller drains. */
#ifndef MAILSIM_PROTO_POP3_SERVER_H
#define MAILSIM_PROTO_POP3_SERVER_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/line.h"

enum pop3_state {
    POP3_S_AUTHORIZATION,
    POP3_S_TRANSACTION,
    POP3_S_UPDATE,
    POP3_S_CLOSED,
    POP3_S_COUNT
};

/* Printable name of a state ("AUTHORIZATION", ...). Can't fail. */
const char *pop3_state_name(enum pop3_state s);

/* One message of a maildrop snapshot. Borrowed: the caller keeps uid and data
 * alive until pop3_server_free(). size is len (octets as sent, CRLF lines). */
struct pop3_msg {
    const char *uid;  /* 1..70 octets in 0x21..0x7E (RFC 1939 §7 UIDL) */
    const char *data; /* the message, lines ended by CRLF */
    size_t len;
};

/* A sensible max_bad: -ERR replies in a row after which the server closes. */
#define POP3_MAX_BAD 10

struct pop3_server_cfg {
    const char *hostname;  /* in the sign-off, e.g. "dewey" */
    const char *timestamp; /* APOP timestamp "<...>", unique per greeting (§7) */
    bool stls;             /* offer STLS (RFC 2595 §4): the caller can encrypt */
    unsigned max_bad;      /* close after this many -ERR in a row; 0: never */
};

enum pop3_sev_kind {
    POP3_EV_COMMAND, /* a command line was answered: verb, ok, from -> to */
    POP3_EV_AUTH,    /* USER/PASS or APOP: call pop3_server_auth_ok/_fail */
    POP3_EV_UPDATE,  /* QUIT in TRANSACTION: remove uids, then pop3_server_update_done */
    POP3_EV_CLOSE,   /* the engine is done: close once the output is drained */
};

enum pop3_auth_method { POP3_AUTH_PASS, POP3_AUTH_APOP };

/* An event. Pointers are borrowed until the next call on the engine. */
struct pop3_server_event {
    enum pop3_sev_kind kind;
    enum pop3_state from, to;     /* state before and after */
    char verb[5];                 /* COMMAND: upper-cased keyword ("?" if unparsable) */
    bool ok;                      /* COMMAND: +OK (true) or -ERR */
    const char *reason;           /* COMMAND: the reply text after +OK/-ERR; CLOSE: why */
    size_t offset;                /* COMMAND: input offset of the command's first byte */
    enum pop3_auth_method method; /* AUTH */
    const char *user;             /* AUTH: NUL-terminated */
    const char *secret;           /* AUTH: password, or APOP digest */
    const char *timestamp;        /* AUTH APOP: the greeting's timestamp */
    const char *const *uids;      /* UPDATE: unique ids to delete */
    size_t n_uids;
};

enum pop3_auth_fail { POP3_AUTH_BAD, POP3_AUTH_LOCKED };

/* New session; the greeting "+OK POP3 server ready <timestamp>" is queued as
 * output at once. cfg strings are copied. Aborts only if out of memory. */
struct pop3_server *pop3_server_new(const struct pop3_server_cfg *cfg);
/* Free the engine; NULL is a no-op. */
void pop3_server_free(struct pop3_server *s);

/* Feed bytes from the client. Returns how many were consumed: the engine stops
 * early while a verdict is awaited, while a multi-line response is being
 * drained, or when events pile up; offer the rest again later. */
size_t pop3_server_recv(struct pop3_server *s, const char *in, size_t len);
/* Bytes ready to send, borrowed until the next call; 0 when none. Large
 * responses are produced in pieces, so call again after pop3_server_out_done. */
size_t pop3_server_out(struct pop3_server *s, const char **out);
/* Mark n bytes of the last pop3_server_out() as sent. */
void pop3_server_out_done(struct pop3_server *s, size_t n);
/* Pull the next event into *ev; false when there is none. */
bool pop3_server_event(struct pop3_server *s, struct pop3_server_event *ev);

/* Verdict on POP3_EV_AUTH: access granted with this snapshot (borrowed, see
 * struct pop3_msg; n may be 0). Enters TRANSACTION. */
void pop3_server_auth_ok(struct pop3_server *s, const struct pop3_msg *msgs, size_t n);
/* Verdict on POP3_EV_AUTH: refused (bad credentials, or maildrop locked). */
void pop3_server_auth_fail(struct pop3_server *s, enum pop3_auth_fail why);
/* Verdict on POP3_EV_UPDATE: ok when every listed uid was removed (RFC 1939 §6
 * otherwise answers "-ERR some deleted messages not removed"). */
void pop3_server_update_done(struct pop3_server *s, bool ok);

/* The caller's autologout timer fired (RFC 1939 §3): close without UPDATE. */
void pop3_server_timeout(struct pop3_server *s);
/* The caller's server is stopping (live mode ends): between commands
 * "-ERR [SYS/TEMP] <host> server shutting down" (RFC 2449 §8.1.2, as
 * Dovecot), then CLOSED without UPDATE; inside a multi-line response or
 * an AUTH exchange it closes without a line. Can't fail. */
void pop3_server_shutdown(struct pop3_server *s);
/* The caller cannot serve this client now (live mode's connection caps):
 * instead of the greeting, "-ERR [SYS/TEMP] <host> has too many
 * connections, try again later" (RFC 2449 §8.1.2), then CLOSED. Call right
 * after pop3_server_new(), before any output is sent. Can't fail. */
void pop3_server_busy(struct pop3_server *s);
/* The client went away: close without UPDATE, nothing is deleted (§6). */
void pop3_server_closed(struct pop3_server *s);

/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log *pop3_server_log(struct pop3_server *s);

/* The current state. Can't fail. */
enum pop3_state pop3_server_state(const struct pop3_server *s);
/* True once the session is over and all output has been taken. */
bool pop3_server_done(const struct pop3_server *s);

/* Write the greeting timestamp "<a.b@host>" (RFC 1939 §7 suggests process id
 * and clock; a simulation passes a connection counter and the simulated
 * time, so every greeting differs and the run stays deterministic). Returns
 * false, writing "", when host is not printable or out is too small. */
bool pop3_timestamp(char *out, size_t cap, unsigned long long a, unsigned long long b,
                    const char *host);

/* The APOP digest of RFC 1939 §7: lowercase hex MD5 of timestamp then secret,
 * for the caller's credential check. Can't fail. */
void pop3_apop_digest(const char *timestamp, const char *secret, char out[33]);

#endif
