/* line.h -- the one line framer under SMTP, POP3 and IMAP (curl's pingpong).
 *
 * Only CRLF ends a line (RFC 5321 §2.3.8, RFC 1939 §3, RFC 3501 §9): a bare CR
 * or bare LF is an ordinary byte of the line, and the reader counts them so the
 * protocol can refuse such lines (the SMTP smuggling class, CVE-2023-51764).
 * NUL bytes are kept; lines are (pointer, length), never C strings.
 * A line longer than the limit (CRLF included) is discarded up to its CRLF and
 * reported once as LINE_TOO_LONG; the buffer never grows past the limit.
 * Bytes after a CRLF are never consumed, so a protocol may switch framing
 * (IMAP literals, raw bodies) between lines. */
#ifndef MAILSIM_PROTO_LINE_H
#define MAILSIM_PROTO_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum line_status {
    LINE_NONE,     /* all input consumed, no complete line yet */
    LINE_OK,       /* a complete line is available from line_get() */
    LINE_TOO_LONG, /* a line over the limit was discarded, CRLF included */
};

struct line_reader {
    char *buf;       /* owned; capacity == max */
    size_t max;      /* longest accepted line, CRLF included */
    size_t len;      /* bytes held, may end with a pending CR */
    size_t bare_cr;  /* bare CRs in the current line */
    size_t bare_lf;  /* bare LFs in the current line */
    size_t nuls;     /* NUL bytes in the current line */
    bool discarding; /* over the limit: dropping until CRLF */
    bool ready;      /* a line is framed and not yet taken */
    bool lf_ends;    /* a bare LF also ends a line (counted in bare_lf) */
    bool lf_ended;   /* the framed line was ended by a bare LF */
};

/* Set up a reader for lines of at most max octets including CRLF (max >= 2).
 * Allocates max bytes; aborts only if memory is exhausted. */
void line_init(struct line_reader *r, size_t max);
/* Release the buffer. Safe on a zeroed reader. */
void line_free(struct line_reader *r);
/* Forget any partial line (used when a protocol changes framing). */
void line_reset(struct line_reader *r);
/* Change the limit; the current partial line is kept when it still fits,
 * otherwise it is dropped and the line reported as too long. */
void line_set_max(struct line_reader *r, size_t max);

/* With on, a bare LF ends the line as CRLF would, and the line is still
 * counted as holding a bare LF, so line_has_bare_eol() is true: a server
 * answers it with its syntax-error reply and the session goes on, instead of
 * waiting silently for a CRLF that a hand-typed `nc` never sends. A bare LF
 * also ends the discarding of an over-long line. Off by default. Never used
 * for SMTP message data (smtp_dot.c frames that), so the smuggling defence,
 * which refuses bare LF in DATA, is untouched. */
void line_set_lf_ends(struct line_reader *r, bool on);

/* Consume bytes from in until one line is framed or the input is exhausted.
 * Returns the number of bytes consumed; *st says whether a line (or an
 * over-long line) ended. Call line_get() after LINE_OK, before feeding again. */
size_t line_feed(struct line_reader *r, const char *in, size_t len, enum line_status *st);

/* The framed line without its CRLF, borrowed until the next line_feed().
 * Returns NULL when no line is ready. */
const char *line_get(const struct line_reader *r, size_t *len);

/* True when the framed line holds a bare CR, bare LF or NUL. */
bool line_has_bare_eol(const struct line_reader *r);
bool line_has_nul(const struct line_reader *r);
/* True when bytes of a line not yet ended are held. */
bool line_partial(const struct line_reader *r);
/* True when the framed line was ended by a bare LF (line_set_lf_ends). */
bool line_ended_by_lf(const struct line_reader *r);

/* ---- the event ring ------------------------------------------------------------
 *
 * Every engine hands its caller typed events; this is the one ring they sit
 * in: fixed-size slots, a fixed capacity (the engine stops reading input
 * before it fills: a full ring is the engine's bug, never the peer's), and a
 * borrowed slot: the event last taken stays valid, with every pointer into
 * it, until the next take. */
struct line_evq {
    unsigned char *slots; /* cap slots, then the borrowed one */
    size_t size, cap, head, count;
};

/* A ring of cap events (a power of two) of slot_size bytes. Aborts only if
 * memory is exhausted. */
void line_evq_init(struct line_evq *q, size_t slot_size, size_t cap);
/* Release the slots. Safe on a zeroed ring. */
void line_evq_free(struct line_evq *q);
/* The slot of a new event at the tail, not cleared: the caller fills it
 * (with a memset of its own constant size, which the compiler inlines). The
 * ring must not be full: the engine stops reading input well before. */
static inline void *line_evq_push(struct line_evq *q)
{
    size_t i = (q->head + q->count++) & (q->cap - 1);
    return q->slots + i * q->size;
}
/* Double the capacity, keeping the events in order and the borrowed slot
 * (for an engine whose events per call grow with the work, such as an SMTP
 * client's recipients). Aborts only if memory is exhausted. */
void line_evq_grow(struct line_evq *q);
/* Take the head event into the borrowed slot and return it (valid until the
 * next take); NULL when the ring is empty. */
void *line_evq_take(struct line_evq *q);
/* Event i of those waiting (0 = the head), for an engine that completes the
 * events of its current call; i < count. */
static inline void *line_evq_at(struct line_evq *q, size_t i)
{
    return q->slots + ((q->head + i) & (q->cap - 1)) * q->size;
}
/* Remove the newest event, copying it to out (to queue another before it).
 * The ring must not be empty. */
void line_evq_unpush(struct line_evq *q, void *out);
/* Events waiting. Can't fail. */
static inline size_t line_evq_count(const struct line_evq *q)
{
    return q->count;
}

/* ---- the session log: what an engine read, wrote and became ----------------
 *
 * Every engine keeps one log beside its reader. The engine hands it every byte
 * it consumes and every byte it writes, and calls line_log_state() from its
 * one enter_state(); the log cuts both streams into lines (CRLF, or LF alone
 * when lf_ends) and gives each line the engine's state before and after it.
 * A state change is reported once, at the line that caused it: a line read
 * is the cause of every change until the engine has handled it (the next line
 * read, or the end of the public call: QUIT, TRANSACTION -> UPDATE; SELECT,
 * authenticated -> selected), and the lines written meanwhile show the state
 * they were written in. A line written with no line read being handled (a
 * reply written with the caller's verdict, a greeting) is the cause of the
 * changes until the next line or the end of the call. A written line is
 * handed out only once the caller has marked its bytes sent.
 * Off by default: an engine without a reader of its log pays one branch per
 * call. Facts are kept until line_log_next() takes them. */

enum line_fact_kind {
    LINE_FACT_IN,    /* a line the engine consumed */
    LINE_FACT_OUT,   /* a line the engine wrote, now sent */
    LINE_FACT_STATE, /* the engine entered a state */
};

#define LINE_F_DATA 1u     /* a line of message content (DATA, RETR, a literal) */
#define LINE_F_OK 2u       /* a positive reply: +OK, IMAP OK, SMTP 2xx/3xx */
#define LINE_F_ERR 4u      /* a negative reply: -ERR, IMAP NO/BAD, SMTP 4xx/5xx */
#define LINE_F_DATA_END 8u /* the reply that answers a whole message (end of DATA) */
#define LINE_F_CONT                                                                                \
    16u /* a further line of a reply whose first line came before; set
                            * by itself on the later lines written under one OK/ERR mark */
#define LINE_F_TLS_START                                                                           \
    32u                /* the reply accepting STARTTLS / STLS: the connection is
                              * encrypted from the byte after it (line_log_tls_begins) */
#define LINE_F_TLS 64u /* a line carried inside TLS: only the two endpoints see it */
#define LINE_F_BAD                                                                                 \
    128u /* a reply the engine counts toward its "too many bad commands" limit
          * (SMTP 500-504, POP3 -ERR, IMAP BAD): the engine says so, no reader
          * parses the reply's bytes to tell */

#define LINE_VERB_MAX 16
#define LINE_EXT_MAX 8 /* extension lines one reply may name (line_log_mark_ext) */

/* One fact, borrowed until the next line_log_next(). */
struct line_fact {
    enum line_fact_kind kind;
    unsigned flags;           /* LINE_F_* */
    unsigned code;            /* a numeric reply code the line carries (SMTP, HTTP), or 0 */
    char verb[LINE_VERB_MAX]; /* the command verb the line is or answers, or "" */
    const char *from, *to;    /* state names before and after */
    const char *why;          /* STATE: the cause (static text), or "" */
    const char *bytes;        /* IN/OUT: the line, its end of line included */
    size_t len;
    uint64_t end;    /* OUT: the output stream's offset just past the line (an
                               * opaque fact counts its raw bytes) */
    const char *ext; /* OUT: the ehlo-keyword of an EHLO reply's extension line
                      * (RFC 5321 §4.1.1.1), named by the engine that wrote it
                      * (static text), or "" */
};

struct line_log_ent; /* internal */

struct line_log {
    bool on;
    bool lf_ends;             /* a bare LF also ends a line (HTTP bodies) */
    const char *const *names; /* state names, borrowed */
    int n_names;
    int cur;      /* the engine's state now */
    int reported; /* the state at the end of the last closed line */
    /* facts: ents[head, n); bytes in arena */
    struct line_log_ent *ents;
    size_t head, n, cap;
    char *arena;
    size_t arena_len, arena_cap;
    bool open; /* ents[open_at] is a line whose "after" is not known yet */
    size_t open_at;
    /* partial lines, and their marks */
    char *part[2];
    size_t part_len[2], part_cap[2];
    unsigned mark_flags[2], mark_code[2];
    bool out_first;   /* the next line written is the first under the mark */
    unsigned out_nth; /* lines written under the mark so far */
    size_t n_ext;     /* mark_ext[0..n_ext): names of the lines under the mark */
    const char *mark_ext[LINE_EXT_MAX];
    char mark_verb[2][LINE_VERB_MAX];
    uint64_t out_total, out_sent; /* written and sent bytes of the output stream */
    uint64_t opaque_left[2];      /* bytes still to count, not frame */
    char opaque_note[2][96];
    bool tls; /* line_log_tls_begins(): later lines are LINE_F_TLS */
};

/* Set up a log for an engine whose states are names[0..n_names), now in
 * state `initial`. names is borrowed for the log's life. Can't fail. */
void line_log_init(struct line_log *g, const char *const *names, int n_names, int initial);
/* Release what the log holds. Safe on a zeroed log. */
void line_log_free(struct line_log *g);
/* Start keeping facts. unsent[0..n) is the engine's output written but not
 * yet sent (a greeting queued at creation); it is logged now. Can't fail. */
void line_log_enable(struct line_log *g, const char *unsent, size_t n);
/* The engine dropped its unsent output (a timeout, a reset): those lines
 * were never sent and are forgotten. Can't fail. */
void line_log_drop_unsent(struct line_log *g);

/* The slow paths of the inline functions below, for a log that is on. */
void line_log_state_slow(struct line_log *g, int from, int to, const char *why);
void line_log_bytes_slow(struct line_log *g, int d, const char *p, size_t n);
void line_log_note_in_slow(struct line_log *g, const char *verb, size_t verb_len, unsigned flags);
void line_log_note_reply_slow(struct line_log *g, unsigned code, unsigned flags);
void line_log_settle_slow(struct line_log *g);

/* The calls below sit on every engine's hot path: with the log off each is
 * a store or a branch, inline (the SMTP benchmark measures it). */

/* The engine entered state `to`; why is static text or NULL. Can't fail. */
static inline void line_log_state(struct line_log *g, int to, const char *why)
{
    int from = g->cur;
    g->cur = to;
    if (g->on && from != to) line_log_state_slow(g, from, to, why);
}
/* Bytes the engine consumed (in) or wrote to its output (out). */
static inline void line_log_in(struct line_log *g, const char *p, size_t n)
{
    if (g->on) line_log_bytes_slow(g, 0, p, n);
}
static inline void line_log_out(struct line_log *g, const char *p, size_t n)
{
    if (g->on)
        line_log_bytes_slow(g, 1, p, n);
    else
        g->out_total += n;
}
/* The caller sent n more bytes of the output. */
static inline void line_log_sent(struct line_log *g, size_t n)
{
    g->out_sent += n;
}
/* Marks for the lines of one direction that end from now on: flags, a reply
 * code, a verb (NULL keeps the current verb). Kept with the log off too, so
 * a greeting written before the log was asked for still has its marks. */
static inline void line_log_mark(struct line_log *g, int d, unsigned flags, unsigned code,
                                 const char *verb)
{
    g->mark_flags[d] = flags;
    g->mark_code[d] = code;
    if (verb && g->on) { /* off, only a greeting's flags and code can matter */
        size_t i = 0;
        for (; i + 1 < LINE_VERB_MAX && verb[i]; i++) g->mark_verb[d][i] = verb[i];
        g->mark_verb[d][i] = '\0';
    }
}
static inline void line_log_mark_in(struct line_log *g, unsigned flags, unsigned code,
                                    const char *verb)
{
    line_log_mark(g, 0, flags, code, verb);
}
static inline void line_log_mark_out(struct line_log *g, unsigned flags, unsigned code,
                                     const char *verb)
{
    line_log_mark(g, 1, flags, code, verb);
    g->out_first = true;
    g->out_nth = 0;
    g->n_ext = 0;
}
/* Name the lines written under the current output mark: the i-th line
 * written from the mark on (0 = the first) carries ext[i] (static text, or
 * NULL for none) as its fact's ext; at most LINE_EXT_MAX are kept. The
 * engine knows which extension it writes on each line of its EHLO reply
 * (RFC 5321 §4.1.1.1), so no reader parses the keyword back out of the
 * bytes. Call right after line_log_mark_out(), before writing the reply.
 * Kept with the log off too, like the marks. Can't fail. */
static inline void line_log_mark_ext(struct line_log *g, const char *const *ext, size_t n)
{
    if (n > LINE_EXT_MAX) n = LINE_EXT_MAX;
    for (size_t i = 0; i < n; i++) g->mark_ext[i] = ext[i];
    g->n_ext = n;
}
/* Name the last line consumed: its verb and flags (a command is known only
 * once its line is parsed). No-op when the last fact is not an input line. */
static inline void line_log_note_in(struct line_log *g, const char *verb, size_t verb_len,
                                    unsigned flags)
{
    if (g->on) line_log_note_in_slow(g, verb, verb_len, flags);
}
/* Name the last line consumed as a reply: its code (0 if none) and flags. */
static inline void line_log_note_reply(struct line_log *g, unsigned code, unsigned flags)
{
    if (g->on) line_log_note_reply_slow(g, code, flags);
}
/* End the partial line of direction d (0 in, 1 out) here, as a line of
 * its own: a body whose last line has no end (RFC 9112 §6). */
void line_log_cut(struct line_log *g, int d);
/* The next n bytes of direction d are not text (an image): they become one
 * fact whose bytes are note (copied, e.g. "[5120 bytes of image/png]"). */
void line_log_opaque(struct line_log *g, int d, uint64_t n, const char *note);
/* End of a public call: the open line takes the state now as its "after". */
static inline void line_log_settle(struct line_log *g)
{
    if (g->open) line_log_settle_slow(g);
}

/* The engine accepted STARTTLS (RFC 3207 §4, RFC 2595 §4, RFC 3501 §6.2.1):
 * the line it wrote last (its "go ahead" reply) is marked LINE_F_TLS_START and
 * every later line LINE_F_TLS. Call right after writing that reply. The
 * engine says it, so no reader scans bytes to find where encryption begins.
 * Can't fail. */
void line_log_tls_begins(struct line_log *g);
/* The client's side of the same moment: the line it read last (the server's
 * "go ahead" reply) is marked LINE_F_TLS_START and every later line
 * LINE_F_TLS. Call while handling that reply. Can't fail. */
void line_log_tls_begins_read(struct line_log *g);

/* Take the next fact; false when none is ready. */
bool line_log_next(struct line_log *g, struct line_fact *f);

#endif
