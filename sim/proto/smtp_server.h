/* smtp_server.h -- RFC 5321 server side, sans-I/O: bytes in, replies out,
 * typed events pulled by the caller, verdicts given back by the caller.
 * Implements RFC 5321 §3-4 (commands, replies, §4.5.2 transparency, §4.5.3
 * limits), RFC 1870 SIZE, RFC 2920 PIPELINING, RFC 6152 8BITMIME, RFC
 * 2034/3463 enhanced status codes, RFC 4954 AUTH PLAIN and LOGIN.
 * Invariants: one reply per command, in order (§4.2, RFC 2920 §3.2); data ends
 * only at CRLF "." CRLF; a 250 after DATA is sent only after the caller's
 * verdict (ack after commit); output and input buffers never pass their RFC
 * ceilings; no sockets, no clock, no allocation per line in steady state. */
#ifndef MAILSIM_PROTO_SMTP_SERVER_H
#define MAILSIM_PROTO_SMTP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* Extensions the server may advertise in its EHLO reply (bit mask). */
enum smtp_ext {
    SMTP_EXT_SIZE = 1u << 0,                /* RFC 1870 */
    SMTP_EXT_PIPELINING = 1u << 1,          /* RFC 2920 */
    SMTP_EXT_8BITMIME = 1u << 2,            /* RFC 6152 */
    SMTP_EXT_ENHANCEDSTATUSCODES = 1u << 3, /* RFC 2034 */
    SMTP_EXT_AUTH = 1u << 4,                /* RFC 4954: PLAIN and LOGIN */
    SMTP_EXT_STARTTLS = 1u << 5,            /* RFC 3207: offered when the caller can
                                             * encrypt (live mode with --tls); the
                                             * engine says 220 and starts afresh */
    SMTP_EXT_ALL = (1u << 6) - 1,
};

/* RFC 5321 §4.5.3.2.7: wait at least this long for the next command before
 * calling smtp_server_timeout(). */
#define SMTP_SERVER_IDLE_TIMEOUT_US (5 * SIM_US_PER_MIN)
/* Syntax or sequence errors (500-504) in a row after which the server
 * says 421 and closes (as Postfix's smtpd_hard_error_limit). */
#define SMTP_SERVER_MAX_BAD 10

/* Server states; smtp_server_state_name() gives the printable names. */
enum smtp_server_state {
    SMTP_SS_INIT,     /* greeted with 220, waiting for EHLO/HELO */
    SMTP_SS_REFUSING, /* greeted with 554, waiting for QUIT (§3.1) */
    SMTP_SS_READY,    /* after EHLO/HELO, no mail transaction */
    SMTP_SS_AUTH,     /* in a SASL exchange (RFC 4954) */
    SMTP_SS_MAIL,     /* MAIL accepted, no recipient yet */
    SMTP_SS_RCPT,     /* at least one recipient accepted */
    SMTP_SS_DATA,     /* reading message data after 354 */
    SMTP_SS_CLOSED,   /* after 221/421: the caller closes the connection */
    SMTP_SS_COUNT
};

struct smtp_server_cfg {
    const char *hostname; /* in greeting and replies; default "mx.example.org" */
    const char *banner;   /* greeting text after the hostname; default "ESMTP mailsim" */
    bool refuse;          /* greet with 554 and accept only QUIT (§3.1) */
    unsigned ext;         /* enum smtp_ext bits advertised after EHLO */
    bool auth_required;   /* MAIL needs a successful AUTH first (530) */
    /* RFC 4954 §4 (Postfix's smtpd_tls_auth_only): AUTH is offered and
     * accepted only inside TLS; before STARTTLS, AUTH (and MAIL when AUTH is
     * required) get "530 5.7.0 Must issue a STARTTLS command first" (RFC
     * 3207 §4). Meaningful with SMTP_EXT_STARTTLS. */
    bool auth_needs_tls;
    uint64_t max_message_bytes; /* SIZE limit; 0 = 10 MiB */
    unsigned max_recipients;    /* recipients per transaction; 0 = 100 (§4.5.3.1.8) */
    size_t out_max;             /* output buffer ceiling; 0 = 16 KiB; min 2 KiB */
    /* Close on unauthorised pipelining (bad-inputs S16, like Postfix's
     * smtpd_forbid_unauth_pipelining): bytes before the greeting was sent,
     * commands sent ahead without PIPELINING, body sent with DATA. */
    bool forbid_unauth_pipelining;
    /* Greet with "421 <host> Service not available, closing transmission
     * channel" and close at once: a busy server (RFC 5321 §3.8, §4.2.2). */
    bool busy;
    /* The server's own wording of its positive replies (the code, and the
     * enhanced code in an EHLO session, stay the engine's). NULL keeps the
     * default. Placeholders: {host} this server's name, {client} the
     * HELO/EHLO argument, {sender} the MAIL FROM mailbox, {rcpt} the RCPT TO
     * mailbox. Control characters become spaces; a reply line is cut at 512
     * octets (§4.5.3.1.5). */
    struct smtp_server_texts {
        const char *greeting; /* 220: default "{host} " + banner */
        const char *helo;   /* 250 to HELO, first line of the EHLO reply: "{host} Hello {client}" */
        const char *mail;   /* 250 to MAIL: "Ok" */
        const char *rcpt;   /* 250 to an accepted RCPT: "Ok" */
        const char *data;   /* 354: "End data with <CR><LF>.<CR><LF>" */
        const char *queued; /* 250 after the final dot: "Ok: queued" */
        const char *quit;   /* 221: "{host} Service closing transmission channel" */
    } texts;
    /* UNSAFE, for the SMTP smuggling lesson only (CVE-2023-51764 class).
     * unsafe_accept_bare_lf: a bare LF in message data is kept as data
     * instead of refusing the message (RFC 5321 §2.3.8 says only CRLF ends a
     * line); a relay built on it passes the bytes on unchanged.
     * unsafe_lenient_data_end: a bare LF also ends a line in message data,
     * so LF "." CRLF (or LF "." LF) ends DATA, and what follows is read as
     * new commands; implies unsafe_accept_bare_lf. Both off by default. */
    bool unsafe_accept_bare_lf;
    bool unsafe_lenient_data_end;
};

/* Fill cfg with the defaults above, all extensions but AUTH advertised and
 * forbid_unauth_pipelining on. Can't fail. */
void smtp_server_cfg_default(struct smtp_server_cfg *cfg);

enum smtp_event_kind {
    SMTP_EV_SESSION_STARTED, /* text = greeting */
    SMTP_EV_HELO,            /* arg = client's domain; ehlo says which verb */
    SMTP_EV_TXN_STARTED,     /* arg = reverse path mailbox ("" for <>) */
    SMTP_EV_RCPT_ASKED,      /* arg = recipient mailbox; NEEDS A VERDICT */
    SMTP_EV_RCPT_ACCEPTED,   /* arg = recipient; text = reply */
    SMTP_EV_RCPT_REFUSED,    /* arg = recipient (or the bad argument); text = reply */
    SMTP_EV_AUTH_ASKED,      /* arg = mechanism; user/pass/authzid; NEEDS A VERDICT */
    SMTP_EV_AUTH_DONE,       /* code 235 or the failure reply */
    SMTP_EV_MESSAGE,         /* arg = unstuffed message bytes; NEEDS A VERDICT. The
                                envelope came earlier (TXN_STARTED, RCPT_ACCEPTED):
                                the caller copies it when those events arrive. */
    SMTP_EV_MESSAGE_REFUSED, /* the engine refused the data itself; text = reply */
    SMTP_EV_TXN_RESET,       /* RSET, EHLO, timeout or hang-up dropped an open transaction */
    SMTP_EV_REPLY,           /* a reply was queued: arg = the command line it answers
                                (empty at end of data), text = reply, code */
    SMTP_EV_PROTOCOL_ERROR,  /* unauthorised pipelining and similar: text = reply */
    SMTP_EV_SESSION_CLOSED,  /* after 221 or 421, or smtp_server_hangup() */
    SMTP_EV_COUNT
};

/* One event. Pointers are borrowed from the server and stay valid until the
 * next call on the server other than smtp_server_event(). */
struct smtp_event {
    enum smtp_event_kind kind;
    enum smtp_server_state before, after;
    int code;        /* reply code when one was sent, else 0 */
    const char *arg; /* see the kind */
    size_t arg_len;
    const char *text; /* reply text sent (may hold several CRLF lines) */
    size_t text_len;
    const char *user, *pass, *authzid; /* AUTH_ASKED only */
    size_t user_len, pass_len, authzid_len;
    uint64_t offset;     /* input offset where the command or data began */
    unsigned rcpt_count; /* recipients accepted so far in the transaction */
    bool ehlo;           /* HELO/EHLO event: true for EHLO */
    bool authenticated;  /* the session has passed AUTH */
    bool eightbit;       /* MESSAGE: BODY=8BITMIME was given */
    bool needs_verdict;
};

/* Verdicts for RCPT_ASKED, AUTH_ASKED and MESSAGE events. */
enum smtp_verdict {
    SMTP_V_ACCEPT,       /* 250 (RCPT, MESSAGE) or 235 (AUTH) */
    SMTP_V_UNKNOWN_USER, /* 550 5.1.1 */
    SMTP_V_RELAY_DENIED, /* 554 5.7.1 */
    SMTP_V_TEMPFAIL,     /* 451 4.3.0 */
    SMTP_V_NO_STORAGE,   /* 452 4.3.1 */
    SMTP_V_REJECT,       /* 554 5.7.1 transaction failed */
    SMTP_V_LOOP,         /* 554 5.4.6 too many Received: (§6.3) */
    SMTP_V_AUTH_FAILED,  /* 535 5.7.8 */
};

/* Create a server; the greeting is queued at once (smtp_server_out) and a
 * SESSION_STARTED event is pending. cfg strings are copied. Aborts only when
 * memory is exhausted. */
struct smtp_server *smtp_server_new(const struct smtp_server_cfg *cfg);
/* Free the server and everything it owns. smtp_server_free(NULL) is a no-op. */
void smtp_server_free(struct smtp_server *s);

/* Feed bytes from the client. Returns the bytes consumed, which may be fewer
 * than len: the server stops after each command or message that produced
 * events, while a verdict is pending, and while the output buffer lacks room
 * for a reply (backpressure, bad-inputs X5). Call again with the rest after
 * draining events and output. After the session closed every byte is
 * consumed and ignored. */
size_t smtp_server_recv(struct smtp_server *s, const char *in, size_t len);
/* Bytes waiting to be sent: *out borrows them until smtp_server_out_done. */
size_t smtp_server_out(const struct smtp_server *s, const char **out);
/* The caller sent n bytes of the output (n <= what smtp_server_out gave). */
void smtp_server_out_done(struct smtp_server *s, size_t n);
/* Pull the next event into *ev; false when none is pending. */
bool smtp_server_event(struct smtp_server *s, struct smtp_event *ev);

/* Answer the pending RCPT_ASKED, AUTH_ASKED or MESSAGE event. text, when not
 * NULL, replaces the default reply text after the code (an enhanced status
 * code is added when ENHANCEDSTATUSCODES is on and text has none); CR, LF and
 * control characters in it are replaced by spaces. Calling it with nothing
 * pending is a caller bug (assert). */
void smtp_server_verdict(struct smtp_server *s, enum smtp_verdict v, const char *text);
/* Same with an explicit reply code (200..599) instead of a verdict kind. */
void smtp_server_verdict_code(struct smtp_server *s, int code, const char *text);

/* The caller's idle timer fired (RFC 5321 §4.5.3.2.7, at least 5 minutes
 * waiting for a command): queue 421, cancel any open transaction, close. */
void smtp_server_timeout(struct smtp_server *s);
/* The server is going away (live mode stopping): "421 4.3.2 <host> Service
 * shutting down, closing transmission channel" (RFC 5321 §3.8), then
 * closed. Can't fail. */
void smtp_server_shutdown(struct smtp_server *s);
/* The connection was lost: cancel any open transaction (§4.1.1.10, bad-inputs
 * X7), keep completed ones, close. */
void smtp_server_hangup(struct smtp_server *s);

/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *smtp_server_log(struct smtp_server *s);

/* The current state. Can't fail. */
enum smtp_server_state smtp_server_state(const struct smtp_server *s);
/* True after 221, 421, an unauthorised-pipelining close or a hang-up: the
 * caller closes the connection once the output is sent. Can't fail. */
bool smtp_server_closed(const struct smtp_server *s);
/* True once the server said 220 to STARTTLS (RFC 3207): the rest of the
 * session is inside TLS. Can't fail. */
bool smtp_server_tls_active(const struct smtp_server *s);
/* True while an event waits for smtp_server_verdict(). Can't fail. */
bool smtp_server_wants_verdict(const struct smtp_server *s);
/* Printable name of a state or event kind ("READY", "RCPT_ASKED"); "?" for
 * values out of range. The strings are static. Can't fail. */
const char *smtp_server_state_name(enum smtp_server_state st);
const char *smtp_event_kind_name(enum smtp_event_kind k);

#endif
