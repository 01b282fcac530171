/* line.h -- the one line framer under SMTP, POP3 and IMAP (curl's pingpong).
 *
 * Only CRLF ends a line (RFC 5321 §2.3.8, RFC 1939 §3, RFC 9051 §9): a bare CR
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
/* True when the framed line was ended by a bare LF (line_set_lf_ends). */
bool line_ended_by_lf(const struct line_reader *r);

#endif
