/* imap_client.h -- IMAP4rev1 client engine, sans-I/O (RFC 3501; RFC 6851 MOVE,
 * RFC 7888 LITERAL+).
 *
 * The caller queues actions (log in, LIST, SELECT, SEARCH, fetch a header,
 * fetch one MIME part, MOVE, STORE, CREATE, LOGOUT); the engine sends them
 * one at a time, tagged A001, A002, ..., and reports what the server said as
 * typed events. Invariants: user text is sent as an atom, a quoted string or
 * a literal, never raw (bad-inputs IC2); responses are parsed by length,
 * literals included, within fixed ceilings (IC1); a synchronising literal is
 * sent only after the server's "+" (RFC 3501 §7.5). */
#ifndef MAILSIM_PROTO_IMAP_CLIENT_H
#define MAILSIM_PROTO_IMAP_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum imap_client_state {
    IMAPC_S_GREETING, /* waiting for the server's greeting */
    IMAPC_S_NOT_AUTH,
    IMAPC_S_AUTH,
    IMAPC_S_SELECTED,
    IMAPC_S_LOGOUT, /* LOGOUT sent or BYE received */
    IMAPC_S_CLOSED, /* protocol error or the server said goodbye */
    IMAPC_S_COUNT
};
/* "greeting", "not authenticated", ... Can't fail. */
const char *imap_client_state_name(enum imap_client_state st);

struct imap_client_cfg {
    size_t max_line;        /* longest response line; 0 = 64 KiB */
    size_t max_literal;     /* largest literal accepted; 0 = 16 MiB */
    const char *tag_prefix; /* tags are prefix + number: NULL = "A" */
    unsigned tag_digits;    /* the number's width, zero-padded: 0 = 3 ("A001") */
};

enum imap_client_event_kind {
    IMAPC_EV_STATE,    /* from -> to */
    IMAPC_EV_DONE,     /* an action finished: tag, action, result ("OK"/"NO"/"BAD"), text */
    IMAPC_EV_LIST,     /* a LIST/LSUB line: name (decoded), text = attributes */
    IMAPC_EV_SEARCH,   /* text = the numbers, space separated */
    IMAPC_EV_EXISTS,   /* number */
    IMAPC_EV_EXPUNGE,  /* number */
    IMAPC_EV_FETCH,    /* number = message, name = item ("BODY[2]"), data = value */
    IMAPC_EV_UNTAGGED, /* any other untagged line: text */
    IMAPC_EV_ERROR,    /* protocol error: text; the client is closed */
};

struct imap_client_event {
    enum imap_client_event_kind kind;
    enum imap_client_state from, to;
    char tag[8];
    char action[16]; /* "LOGIN", "FETCH", ... */
    char result[4];
    char name[256];
    char text[256]; /* truncated copy; data has the full bytes */
    uint32_t number;
    const char *data; /* borrowed until the next imap_client_event() */
    size_t data_len;
};

struct imap_client;

/* New client waiting for the greeting. Can't fail. */
struct imap_client *imap_client_new(const struct imap_client_cfg *cfg);
/* Free the client. NULL is a no-op. */
void imap_client_free(struct imap_client *c);

/* Queue actions. Strings are copied and quoted as needed. Each returns the
 * number of queued actions, or -1 when the queue (32) is full or an argument
 * holds NUL, CR or LF where the protocol cannot carry them. */
int imap_client_login(struct imap_client *c, const char *user, const char *pass);
int imap_client_list(struct imap_client *c, const char *ref, const char *pattern);
int imap_client_select(struct imap_client *c, const char *mailbox);
int imap_client_create(struct imap_client *c, const char *mailbox);
/* SEARCH key [arg], e.g. ("FROM", "alice"), ("UNSEEN", NULL). key must be
 * an atom; arg is quoted. */
int imap_client_search(struct imap_client *c, const char *key, const char *arg);
/* FETCH seq BODY.PEEK[HEADER]: the header only, \Seen untouched. */
int imap_client_fetch_header(struct imap_client *c, uint32_t seq);
/* FETCH seq BODY[section], e.g. section "2" for the second MIME part. */
int imap_client_fetch_part(struct imap_client *c, uint32_t seq, const char *section);
/* MOVE set mailbox (RFC 6851); set like "1" or "2:4". */
int imap_client_move(struct imap_client *c, const char *set, const char *mailbox);
/* STORE set op (flags): op "+FLAGS", "-FLAGS" or "FLAGS"; flags like
 * "\\Seen \\Flagged". */
int imap_client_store(struct imap_client *c, const char *set, const char *op, const char *flags);
int imap_client_logout(struct imap_client *c);
/* NOOP (RFC 3501 §6.1.2): nothing, but the server's untagged updates since
 * the last command come back. Returns the queue length, or -1 when full. */
int imap_client_noop(struct imap_client *c);
/* IDLE (RFC 2177): once the server answers "+", the engine is idling and
 * reports the server's untagged updates as they come (an IMAPC_EV_UNTAGGED
 * event with text "idling" marks the start); imap_client_idle_done() sends
 * DONE, and the tagged OK ends the IDLE action. Returns as noop does. */
int imap_client_idle_start(struct imap_client *c);
/* True while an IDLE command is answered by "+" and DONE is not yet sent. */
bool imap_client_idling(const struct imap_client *c);
/* Send DONE to end IDLE. Returns false when the engine is not idling. */
bool imap_client_idle_done(struct imap_client *c);
/* CAPABILITY (RFC 3501 §6.1.1): what the server offers; LITERAL+ is used
 * when offered. */
int imap_client_capability(struct imap_client *c);
/* SEARCH with criteria as the user wrote them (RFC 3501 §6.4.4), e.g.
 * "SUBJECT Lecture" or "FROM alice UNSEEN": printable ASCII only. */
int imap_client_search_criteria(struct imap_client *c, const char *criteria);
/* FETCH set item for a set like "1:*": section NULL fetches
 * BODY.PEEK[HEADER], else BODY[section]. */
int imap_client_fetch_set(struct imap_client *c, const char *set, const char *section);
/* With on, the FETCH, SEARCH, STORE and MOVE commands queued next are UID
 * commands (RFC 3501 §6.4.8): their sets are UIDs. Can't fail. */
void imap_client_use_uid(struct imap_client *c, bool on);

/* The session log (proto/line.h), kept from this call on: every line read
 * and written, with the state before and after it. Can't fail. */
struct line_log;
struct line_log *imap_client_log(struct imap_client *c);

/* Feed server bytes; returns how many were consumed (all, unless closed). */
size_t imap_client_recv(struct imap_client *c, const char *in, size_t len);
/* Bytes to send, borrowed until the next call on c. */
size_t imap_client_out(const struct imap_client *c, const char **out);
/* n bytes of the output were sent. */
void imap_client_out_done(struct imap_client *c, size_t n);
/* Pull the next event; false when none. */
bool imap_client_event(struct imap_client *c, struct imap_client_event *ev);

/* Current state. Can't fail. */
enum imap_client_state imap_client_state(const struct imap_client *c);
/* True when nothing is queued or in flight. */
bool imap_client_idle(const struct imap_client *c);

#endif
