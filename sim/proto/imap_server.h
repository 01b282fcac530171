/* imap_server.h -- IMAP4rev1 server engine, sans-I/O (RFC 3501; RFC 2177 IDLE,
 * RFC 6851 MOVE, RFC 7888 LITERAL+, RFC 4959 SASL-IR, RFC 4616 PLAIN,
 * RFC 4315 UIDPLUS, RFC 3691 UNSELECT).
 *
 * Bytes in (imap_server_recv), bytes out (imap_server_out), typed events
 * (imap_server_event); mailboxes live in the mbox store given at creation.
 * No sockets, no clock: time arrives only as imap_server_timeout() and
 * imap_server_set_now(). Invariants: every tagged command is answered exactly
 * once; a BAD never changes state; EXPUNGE is never sent during FETCH, STORE
 * or SEARCH (RFC 3501 §7.4.1); EXISTS never decreases without EXPUNGE; a
 * literal is never allocated before its bytes arrive and never becomes a
 * command (bad-inputs I1-I4); output is bounded: the engine stops taking
 * input while its output is above the high-water mark (I17, X5). */
#ifndef MAILSIM_PROTO_IMAP_SERVER_H
#define MAILSIM_PROTO_IMAP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "proto/imap_parse.h"
#include "store/mbox.h"

/* RFC 3501 §3: the four states. Names are shown to students. */
enum imap_state { IMAP_S_NOT_AUTH, IMAP_S_AUTH, IMAP_S_SELECTED, IMAP_S_LOGOUT, IMAP_S_COUNT };
/* "not authenticated", "authenticated", "selected", "logout". Can't fail. */
const char *imap_state_name(enum imap_state st);

/* Outcome of a tagged command (RFC 3501 §7.1). */
enum imap_result { IMAP_OK, IMAP_NO, IMAP_BAD };
/* "OK", "NO", "BAD". Can't fail. */
const char *imap_result_name(enum imap_result r);

/* Checks a password. Return true to accept. user and pass are NUL-terminated
 * copies (they may not contain NUL: such logins are refused before). */
typedef bool imap_login_fn(void *ctx, const char *user, const char *pass);

struct imap_server_cfg {
    struct mbox_store *store;   /* borrowed; must outlive the server */
    const char *host;           /* shown in the greeting; may be NULL */
    imap_login_fn *check_login; /* NULL: raise IMAP_EV_LOGIN, wait for a verdict */
    void *ctx;                  /* for check_login */
    size_t max_literal;         /* after login, per command; 0 = 1 MiB */
    size_t max_literal_preauth; /* before login; 0 = 1024 */
    size_t out_high_water;      /* stop reading above this; 0 = 64 KiB */
    int64_t epoch_unix;         /* Unix seconds at simulated time 0 (INTERNALDATE) */
    bool starttls;              /* offer STARTTLS (RFC 3501 §6.2.1): the caller encrypts */
};

enum imap_event_kind {
    IMAP_EV_STATE,   /* from -> to */
    IMAP_EV_COMMAND, /* a tagged reply was sent: tag, command, result, text */
    IMAP_EV_LOGIN,   /* credentials to check: user, pass; answer imap_server_verdict() */
    IMAP_EV_CLOSE,   /* the session is over: close once the output is sent */
    IMAP_EV_ERROR,   /* a protocol error worth showing: text, offset */
};

struct imap_event {
    enum imap_event_kind kind;
    enum imap_state from, to; /* state before and after */
    enum imap_result result;
    char tag[IMAP_TAG_MAX + 1];
    char command[16]; /* "FETCH", "UID FETCH", ... */
    char user[MBOX_USER_MAX + 1];
    char pass[128];
    char text[160];
    uint64_t offset; /* input offset where the command began */
};

struct imap_server;

/* New session: queues the "* OK" greeting. Copies cfg (not the store).
 * Can't fail. */
struct imap_server *imap_server_new(const struct imap_server_cfg *cfg);
/* Free the session (not the store). NULL is a no-op. */
void imap_server_free(struct imap_server *s);

/* Feed bytes from the client. Returns how many were consumed; fewer than
 * len when the engine must wait (output above the high-water mark, a FETCH
 * still streaming, a login verdict pending, or the session is over). Call
 * again with the rest after imap_server_out_done() or a verdict. */
size_t imap_server_recv(struct imap_server *s, const char *in, size_t len);
/* Bytes to send, borrowed until the next call on s. Returns their count. */
size_t imap_server_out(const struct imap_server *s, const char **out);
/* n bytes of the output were sent; may generate more of a streaming FETCH. */
void imap_server_out_done(struct imap_server *s, size_t n);
/* Pull the next event; false when none. Events are copied into ev. */
bool imap_server_event(struct imap_server *s, struct imap_event *ev);
/* Answer an IMAP_EV_LOGIN: accept or refuse the credentials. */
void imap_server_verdict(struct imap_server *s, bool ok);
/* The store changed (mail arrived): during IDLE the session reports it
 * now (untagged EXISTS, EXPUNGE, FETCH FLAGS); otherwise at the next
 * command. */
void imap_server_notify(struct imap_server *s);
/* The caller's inactivity timer (imap_server_timeout_us) fired: autologout
 * with "* BYE" (RFC 3501 §5.4). */
void imap_server_timeout(struct imap_server *s);
/* The caller cannot serve this client now (live mode's connection caps):
 * instead of the greeting, "* BYE [UNAVAILABLE] Too many connections, try
 * again later" (RFC 3501 §7.1.5, RFC 5530 §3), then the session is over.
 * Call right after imap_server_new(), before its log is read. Can't fail. */
void imap_server_busy(struct imap_server *s);
/* The server is going away (live mode stopping): "* BYE Server shutting
 * down" (RFC 3501 §7.1.5), then the session ends. Can't fail. */
void imap_server_shutdown(struct imap_server *s);
/* How long the session may stay silent: 30 minutes once authenticated
 * (RFC 3501 §5.4; IDLE included), 1 minute before. */
sim_us imap_server_timeout_us(const struct imap_server *s);
/* Current simulated time, used as the internal date of APPENDed messages
 * without a date-time argument. */
void imap_server_set_now(struct imap_server *s, sim_us now);

/* Current RFC 3501 state. Can't fail. */
/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *imap_server_log(struct imap_server *s);
enum imap_state imap_server_state(const struct imap_server *s);
/* Octets of a literal still expected from the client (accepted or being
 * discarded); 0 when reading command lines. For display and fuzz oracles. */
uint64_t imap_server_literal_pending(const struct imap_server *s);
/* True in IDLE (RFC 2177), waiting for DONE. */
bool imap_server_idling(const struct imap_server *s);
/* True once the session has ended (LOGOUT, BYE): stop feeding input. */
bool imap_server_done(const struct imap_server *s);

#endif
