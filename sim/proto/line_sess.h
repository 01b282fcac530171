/* line_sess.h -- the one session layer under every line protocol (curl's pingpong).
 *
 * SMTP, POP3, IMAP and HTTP engines, client and server, each sit on one
 * struct line_sess: the line reader, the session log, the event ring, a
 * bounded output buffer, the input offsets that events and errors carry, and
 * the one recv loop. An engine supplies only its protocol: a "may I read"
 * test, a handler for each framed line (its command table or reply handler)
 * and, where the protocol has them, bytes that are not lines (SMTP DATA, IMAP
 * literals, HTTP bodies). State changes go through line_sess_enter(), which
 * the session log reports as from -> to at the line that caused it.
 * Output never grows past its ceiling: a write beyond it is cut (a peer that
 * never reads, the X5 class) and the engine's recv loop stops reading first.
 * The hot calls are inline; none allocates once the session is set up.
 * Events are cleared and copied with the engine's constant slot size: an
 * out-of-line take that copied each SMTP event twice (into the borrowed slot,
 * then out) cost 1.9% more instructions in bench_smtp (callgrind), which is
 * why an engine that copies its event out at once uses line_sess_pop(). */
#ifndef MAILSIM_PROTO_LINE_SESS_H
#define MAILSIM_PROTO_LINE_SESS_H

#include "proto/line.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct line_sess_cfg {
    size_t line_max;                /* longest line read, CRLF included */
    bool lf_ends;                   /* a bare LF also ends a line read (line_set_lf_ends) */
    size_t out_init;                /* output bytes allocated at the start */
    size_t out_max;                 /* the output's ceiling (>= out_init) */
    size_t ev_size, ev_cap;         /* event slots: size of one, how many (a power of two) */
    const char *const *state_names; /* borrowed for the session's life */
    int n_states, initial;
};

struct line_sess {
    struct line_reader rd;
    struct line_log log;
    struct line_evq evq;
    /* output: [out_head, out_tail) waits to be sent */
    char *out;
    size_t out_head, out_tail, out_cap, out_max;
    /* input offsets */
    uint64_t in_total; /* bytes consumed so far */
    uint64_t line_off; /* the first byte of the line being handled; once it is
                        * handled, the first byte after it */
    uint64_t line_begin;
    bool line_fresh;   /* the next byte read begins a line */
    bool discard_rest; /* drop the rest of this flight (after STARTTLS/STLS) */
};

/* A protocol on the session: the engine's callbacks, called by line_sess_recv()
 * with the engine as eng. */
struct line_proto {
    /* May the engine take input now (no verdict awaited, events pulled,
     * output below its high-water mark, not closed)? */
    bool (*can_read)(void *eng);
    /* Bytes that are not lines, or NULL: returns SIZE_MAX when the engine
     * frames lines now, else how many of in[0..len) it took (it hands them
     * to line_sess_raw()). */
    size_t (*raw)(void *eng, const char *in, size_t len);
    /* One framed line: st is LINE_OK (l, n without CRLF) or LINE_TOO_LONG
     * (l is NULL); more is true when bytes of this flight follow it. */
    void (*line)(void *eng, enum line_status st, const char *l, size_t n, bool more);
};

/* Set up a session. Aborts only if memory is exhausted. */
void line_sess_init(struct line_sess *ss, const struct line_sess_cfg *cfg);
/* Release what the session holds. Safe on a zeroed session. */
void line_sess_free(struct line_sess *ss);

/* ---- states ------------------------------------------------------------------ */

/* The engine enters state `to` (why: static text or NULL); the session log
 * reports the change at the line that caused it. The engine keeps its own
 * typed copy of the state; this is the only place either changes. */
static inline void line_sess_enter(struct line_sess *ss, int to, const char *why)
{
    line_log_state(&ss->log, to, why);
}

/* ---- output ------------------------------------------------------------------ */

/* Bytes written and not yet sent. Can't fail. */
static inline size_t line_sess_pending(const struct line_sess *ss)
{
    return ss->out_tail - ss->out_head;
}
/* Bytes that can still be written before the ceiling. Can't fail. */
static inline size_t line_sess_room(const struct line_sess *ss)
{
    return ss->out_max - line_sess_pending(ss);
}
/* The slow path of line_sess_reserve(): compact, then grow up to the ceiling. */
void line_sess_make_room(struct line_sess *ss, size_t n);
/* Make room for up to n more bytes at the tail and return the tail; *room
 * says how many fit (less than n only at the ceiling). Fill it, then
 * line_sess_commit() what was written. */
static inline char *line_sess_reserve(struct line_sess *ss, size_t n, size_t *room)
{
    if (ss->out_tail + n > ss->out_cap) line_sess_make_room(ss, n);
    size_t r = ss->out_cap - ss->out_tail;
    *room = r < n ? r : n;
    return ss->out + ss->out_tail;
}
/* The n bytes written at the tail are output (the session log sees them). */
static inline void line_sess_commit(struct line_sess *ss, size_t n)
{
    line_log_out(&ss->log, ss->out + ss->out_tail, n);
    ss->out_tail += n;
}
/* Append bytes to the output; at the ceiling the write is cut. Returns the
 * bytes written. */
static inline size_t line_sess_write(struct line_sess *ss, const char *p, size_t n)
{
    size_t room;
    char *t = line_sess_reserve(ss, n, &room);
    if (n > room) n = room;
    if (n) memcpy(t, p, n); /* memcpy with a NULL source is undefined even for 0 bytes */
    line_sess_commit(ss, n);
    return n;
}
/* Room at the tail without moving what waits (line_sess_reserve() may
 * compact; an engine whose events point into its output uses this room). */
static inline size_t line_sess_tail_room(const struct line_sess *ss)
{
    return ss->out_cap - ss->out_tail;
}
/* Move what waits to the start of the buffer. Can't fail. */
static inline void line_sess_compact(struct line_sess *ss)
{
    if (ss->out_head == 0) return;
    memmove(ss->out, ss->out + ss->out_head, line_sess_pending(ss));
    ss->out_tail -= ss->out_head;
    ss->out_head = 0;
}
/* Append formatted text (cut at the ceiling). Returns the bytes written. */
size_t line_sess_printf(struct line_sess *ss, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
size_t line_sess_vprintf(struct line_sess *ss, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));
/* The bytes waiting to be sent, borrowed until the next call on the engine. */
static inline size_t line_sess_out(const struct line_sess *ss, const char **out)
{
    *out = ss->out ? ss->out + ss->out_head : "";
    return line_sess_pending(ss);
}
/* The caller sent n of them (n <= line_sess_pending()). Can't fail. */
static inline void line_sess_sent(struct line_sess *ss, size_t n)
{
    ss->out_head += n;
    if (ss->out_head == ss->out_tail) ss->out_head = ss->out_tail = 0;
    line_log_sent(&ss->log, n);
}
/* line_sess_sent(), ending the public call: settles the session log. */
static inline void line_sess_out_done(struct line_sess *ss, size_t n)
{
    line_sess_sent(ss, n);
    line_log_settle(&ss->log);
}
/* Forget the output not yet sent (a timeout, a protocol failure): it never
 * reaches the wire, and the session log forgets its lines. Can't fail. */
static inline void line_sess_out_drop(struct line_sess *ss)
{
    ss->out_head = ss->out_tail = 0;
    line_log_drop_unsent(&ss->log);
}

/* ---- input ------------------------------------------------------------------- */

/* Frame input into the reader: returns the bytes consumed; *st says whether
 * a line (or an over-long line) ended. Counts and logs the bytes, and on a
 * line's end sets line_off to its first byte. */
static inline size_t line_sess_feed(struct line_sess *ss, const char *in, size_t len,
                                    enum line_status *st)
{
    if (ss->line_fresh) {
        ss->line_begin = ss->in_total;
        ss->line_fresh = false;
    }
    size_t k = line_feed(&ss->rd, in, len, st);
    line_log_in(&ss->log, in, k);
    ss->in_total += k;
    if (*st != LINE_NONE) {
        ss->line_off = ss->line_begin;
        ss->line_fresh = true;
    }
    return k;
}
/* n bytes taken outside the line reader (message data, a literal, a body),
 * logged with flags (LINE_F_DATA or 0); the next byte begins a line. */
static inline void line_sess_raw(struct line_sess *ss, const char *p, size_t n, unsigned flags)
{
    if (flags) line_log_mark_in(&ss->log, flags, 0, NULL);
    line_log_in(&ss->log, p, n);
    if (flags) line_log_mark_in(&ss->log, 0, 0, NULL);
    ss->in_total += n;
    ss->line_fresh = true;
}

/* The one recv loop: feed in[0..len) to the engine eng through p, line by
 * line, while p->can_read(eng). Returns the bytes consumed. The engine ends
 * its public call with line_log_settle() (after any output it adds). Inline
 * so each engine's callbacks are called directly. */
static inline size_t line_sess_recv(struct line_sess *ss, const struct line_proto *p, void *eng,
                                    const char *in, size_t len)
{
    size_t off = 0;
    while (off < len && p->can_read(eng)) {
        if (p->raw) {
            size_t k = p->raw(eng, in + off, len - off);
            if (k != SIZE_MAX) {
                off += k;
                continue;
            }
        }
        enum line_status st;
        off += line_sess_feed(ss, in + off, len - off, &st);
        if (st == LINE_NONE) continue;
        size_t n = 0;
        const char *l = st == LINE_OK ? line_get(&ss->rd, &n) : NULL;
        p->line(eng, st, l, n, off < len);
        ss->line_off = ss->in_total;
        if (ss->discard_rest) {
            /* RFC 3207 §4.2, RFC 2595 §4, RFC 3501 §6.2.1 (CVE-2011-0411):
             * plaintext sent after STARTTLS/STLS in the same flight is
             * never a command. */
            ss->discard_rest = false;
            ss->in_total += len - off;
            ss->line_off = ss->in_total;
            off = len;
        }
    }
    return off;
}

/* ---- events ------------------------------------------------------------------ */

/* A cleared event slot at the tail of the ring, of size (the engine's
 * constant slot size, so the clear is inlined). A full ring doubles (a
 * server asserts first that its ring never fills: its recv stops reading). */
static inline void *line_sess_event(struct line_sess *ss, size_t size)
{
    if (ss->evq.count == ss->evq.cap) line_evq_grow(&ss->evq);
    void *e = line_evq_push(&ss->evq);
    memset(e, 0, size);
    return e;
}
/* Take the head event: the slot, valid (with every pointer into it) until
 * the next take; NULL when none waits. size is the engine's constant slot
 * size (the copy into the borrowed slot is inlined). */
static inline void *line_sess_take(struct line_sess *ss, size_t size)
{
    struct line_evq *q = &ss->evq;
    if (q->count == 0) return NULL;
    unsigned char *borrowed = q->slots + q->cap * q->size;
    memcpy(borrowed, q->slots + q->head * q->size, size);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    return borrowed;
}
/* Event i of those waiting (0 = the head); size as for line_sess_event(). */
static inline void *line_sess_event_at(struct line_sess *ss, size_t i, size_t size)
{
    return ss->evq.slots + ((ss->evq.head + i) & (ss->evq.cap - 1)) * size;
}
/* Take the head event in place: its slot, valid only until the next event
 * is pushed, for an engine that copies it out at once; NULL when none waits. */
static inline void *line_sess_pop(struct line_sess *ss)
{
    struct line_evq *q = &ss->evq;
    if (q->count == 0) return NULL;
    void *e = q->slots + q->head * q->size;
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    return e;
}
/* Events waiting. Can't fail. */
static inline size_t line_sess_events(const struct line_sess *ss)
{
    return ss->evq.count;
}

/* Start keeping the session log's facts (see line_log_enable). */
struct line_log *line_sess_log(struct line_sess *ss);

#endif
