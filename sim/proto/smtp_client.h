/* smtp_client.h -- RFC 5321 client side, sans-I/O: runs a queue of mail
 * transactions over one connection. Implements RFC 5321 §3-4 (EHLO with
 * fallback to HELO, §4.2 multi-line replies, §4.5.2 dot-stuffing, §4.5.3.2
 * timeouts), RFC 2920 PIPELINING (only when advertised), RFC 1870 SIZE,
 * RFC 6152 8BITMIME, RFC 4954 AUTH PLAIN and LOGIN, RFC 3207 STARTTLS (the
 * commands and the restart; the caller, not the engine, would encrypt).
 * Invariants: never sends data after a non-354 reply to DATA (§3.3); every
 * recipient of every transaction gets exactly one outcome event; reply lines
 * are bounded (512 octets, §4.5.3.1.5) and malformed replies are protocol
 * errors, never guesses (bad-inputs C1, C2). No sockets, no clock. */
#ifndef MAILSIM_PROTO_SMTP_CLIENT_H
#define MAILSIM_PROTO_SMTP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

enum smtp_client_state {
    SMTP_CS_GREETING, /* connected, waiting for 220 */
    SMTP_CS_EHLO,     /* EHLO sent */
    SMTP_CS_HELO,     /* HELO sent (first, or after 500/502 to EHLO) */
    SMTP_CS_STARTTLS, /* STARTTLS sent (RFC 3207 §4) */
    SMTP_CS_AUTH,     /* AUTH sent, or a SASL response sent */
    SMTP_CS_READY,    /* idle between transactions */
    SMTP_CS_MAIL,     /* waiting for the reply to MAIL */
    SMTP_CS_RCPT,     /* waiting for replies to RCPT */
    SMTP_CS_DATA,     /* waiting for 354 */
    SMTP_CS_BODY,     /* sending the dot-stuffed message */
    SMTP_CS_DOT,      /* final "." sent, waiting for the reply */
    SMTP_CS_RSET,     /* RSET sent after a failed transaction */
    SMTP_CS_QUIT,     /* QUIT sent */
    SMTP_CS_DONE,     /* session over: the caller closes the connection */
    SMTP_CS_COUNT
};

enum smtp_auth_mech { SMTP_AUTH_NONE, SMTP_AUTH_PLAIN, SMTP_AUTH_LOGIN };

/* When the client asks for STARTTLS (RFC 3207). */
enum smtp_tls_mode {
    SMTP_TLS_OFF,           /* never: the whole session in clear */
    SMTP_TLS_OPPORTUNISTIC, /* when the EHLO reply offers it; in clear when it is
                             * not offered or refused (454, 501) */
    SMTP_TLS_REQUIRED,      /* never send mail in clear: not offered or refused
                             * means every transaction fails temporarily and
                             * the client says QUIT (RFC 3207 §4, §4.1) */
    SMTP_TLS_MODE_COUNT
};

/* Client-side timeouts of RFC 5321 §4.5.3.2, fired by the caller. */
struct smtp_client_timeouts {
    sim_us initial;    /* §4.5.3.2.1 220 greeting: 5 min */
    sim_us mail;       /* §4.5.3.2.2 MAIL: 5 min */
    sim_us rcpt;       /* §4.5.3.2.3 RCPT: 5 min */
    sim_us data_init;  /* §4.5.3.2.4 DATA until 354: 2 min */
    sim_us data_block; /* §4.5.3.2.5 each block of data sent: 3 min */
    sim_us data_term;  /* §4.5.3.2.6 after the final dot: 10 min */
    sim_us other;      /* EHLO, HELO, AUTH, RSET, QUIT: 5 min */
};

struct smtp_client_cfg {
    const char *helo_name; /* default "client.example.org" */
    bool start_with_helo;  /* a pre-ESMTP client: HELO, never EHLO */
    bool no_pipelining;    /* do not pipeline even when offered */
    enum smtp_auth_mech auth;
    enum smtp_tls_mode tls; /* default SMTP_TLS_OFF */
    const char *auth_user;  /* copied */
    const char *auth_pass;  /* copied */
    struct smtp_client_timeouts to;
    size_t out_max; /* output buffer; 0 = 16 KiB; min 2 KiB */
    /* UNSAFE, for the SMTP smuggling lesson only: send a bare LF in message
     * data as it is (dot-stuffing still only after CRLF), as the outbound
     * servers of CVE-2023-51764 did. Off by default: smtp_client_add refuses
     * such a body. */
    bool unsafe_allow_bare_lf;
};

/* Defaults: the RFC timeouts above, no AUTH. Can't fail. */
void smtp_client_cfg_default(struct smtp_client_cfg *cfg);

/* One transaction. All pointers are borrowed until its TXN_DONE event. */
struct smtp_client_txn {
    const char *reverse_path; /* mailbox without <>; "" for the null path (bounces) */
    const char *const *rcpts; /* mailboxes without <> */
    size_t nrcpt;             /* >= 1 */
    const char *body;         /* the RFC 5322 message, CRLF lines, not stuffed */
    size_t body_len;
    void *user; /* the caller's tag, returned in events */
};

enum smtp_outcome {
    SMTP_OUT_DELIVERED, /* 2xx after the final dot: responsibility passed */
    SMTP_OUT_TEMPFAIL,  /* 4xx, or lost before the final dot: try again later */
    SMTP_OUT_PERMFAIL,  /* 5xx: bounce to the reverse path */
    SMTP_OUT_UNKNOWN,   /* connection lost after the final dot, before the reply:
                           the message may have arrived (RFC 5321 §6.1) */
    SMTP_OUT_COUNT
};

enum smtp_cevent_kind {
    SMTP_CEV_COMMAND,      /* text = command line sent (no CRLF) */
    SMTP_CEV_DATA_SENT,    /* the stuffed message and "." went out; bytes = their size */
    SMTP_CEV_REPLY,        /* code, text = the whole reply (lines joined by CRLF) */
    SMTP_CEV_RCPT_OUTCOME, /* txn_seq, rcpt_index, rcpt, outcome, code, text */
    SMTP_CEV_TXN_DONE,     /* txn_seq, counts per outcome */
    SMTP_CEV_SESSION_DONE, /* ok, or text = why the session ended early */
    SMTP_CEV_COUNT
};

/* One event; pointers are borrowed until the next call on the client other
 * than smtp_client_event(). */
struct smtp_cevent {
    enum smtp_cevent_kind kind;
    enum smtp_client_state before, after;
    int code; /* reply code; 0 when the client decided locally */
    const char *text;
    size_t text_len;
    uint64_t txn_seq; /* 0-based number of the transaction in this session */
    void *user;       /* the transaction's tag */
    size_t rcpt_index;
    const char *rcpt;
    enum smtp_outcome outcome;
    size_t counts[SMTP_OUT_COUNT]; /* TXN_DONE */
    size_t bytes;                  /* DATA_SENT */
    bool ok;                       /* SESSION_DONE: ended with 221 after QUIT */
};

/* Create a client: it waits for the server's greeting. Strings in cfg are
 * copied. Aborts only when memory is exhausted. */
struct smtp_client *smtp_client_new(const struct smtp_client_cfg *cfg);
/* smtp_client_free(NULL) is a no-op. */
void smtp_client_free(struct smtp_client *c);

/* Queue a transaction (borrowed until its TXN_DONE). Returns false and fills
 * err without queueing when the envelope or the message cannot be sent as
 * is: bad address syntax, no recipient, bare CR or LF or NUL in the body
 * (bad-inputs C6), a line over 1000 octets (§4.5.3.1.6), or the session
 * already ended. */
bool smtp_client_add(struct smtp_client *c, const struct smtp_client_txn *t, struct ms_error *err);
/* No more transactions: send QUIT once the queue is empty. Can't fail. */
void smtp_client_quit(struct smtp_client *c);

/* Feed bytes from the server. Returns the bytes consumed: the client stops
 * after each complete reply (so event pointers stay valid) and consumes
 * nothing while events are pending. */
size_t smtp_client_recv(struct smtp_client *c, const char *in, size_t len);
/* Bytes waiting to be sent, borrowed until smtp_client_out_done(). */
size_t smtp_client_out(const struct smtp_client *c, const char **out);
/* The caller sent n bytes; more message data may be queued. */
void smtp_client_out_done(struct smtp_client *c, size_t n);
/* Pull the next event; false when none is pending. */
bool smtp_client_event(struct smtp_client *c, struct smtp_cevent *ev);

/* How long the caller should wait in the current state before calling
 * smtp_client_timeout() (§4.5.3.2); 0 when no timer is due (idle, done). */
sim_us smtp_client_timeout_us(const struct smtp_client *c);
/* The caller's timer fired: every undecided recipient gets an outcome
 * (UNKNOWN after the final dot, TEMPFAIL before) and the session is DONE;
 * the caller closes the connection. */
void smtp_client_timeout(struct smtp_client *c);
/* The connection was lost: same classification as a timeout. */
void smtp_client_closed(struct smtp_client *c);

/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *smtp_client_log(struct smtp_client *c);

/* The current state. Can't fail. */
enum smtp_client_state smtp_client_state(const struct smtp_client *c);
/* True once the server said 220 to STARTTLS: from the byte after that reply
 * the connection is encrypted (in the simulation the caller still carries
 * the plaintext; the session log marks it LINE_F_TLS). Can't fail. */
bool smtp_client_tls_active(const struct smtp_client *c);
/* True once the session is over (221, 421, protocol error, timeout, lost
 * connection): every recipient has its outcome. Can't fail. */
bool smtp_client_done(const struct smtp_client *c);
/* Printable names of states, event kinds and outcomes; "?" out of range.
 * The strings are static. Can't fail. */
const char *smtp_client_state_name(enum smtp_client_state st);
const char *smtp_cevent_kind_name(enum smtp_cevent_kind k);
const char *smtp_outcome_name(enum smtp_outcome o);
const char *smtp_tls_mode_name(enum smtp_tls_mode m);

#endif
