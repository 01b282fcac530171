/* imap_parse.h -- IMAP syntax shared by the server and client engines.
 *
 * RFC 3501 §4 and §9 (RFC 7888 literals): a cursor over one
 * complete command or response held in memory (literals included as
 * "{n}CRLF" + n octets), sequence sets, and an output buffer with quoting.
 * Invariants: parsers work on (pointer, length) and never read past it; every
 * number is checked for 32-bit overflow; parenthesised lists nest at most
 * IMAP_DEPTH_MAX deep; a sequence set is kept as ranges, never expanded. */
#ifndef MAILSIM_PROTO_IMAP_PARSE_H
#define MAILSIM_PROTO_IMAP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

#define IMAP_DEPTH_MAX 8    /* parenthesis nesting in one command */
#define IMAP_SEQSET_MAX 256 /* ranges in one sequence set */
#define IMAP_TAG_MAX 64     /* longest tag we keep */

/* A cursor over a command. Strings it returns point into the buffer, which
 * it may rewrite in place (quoted-string unescaping). err is a static
 * text naming the first syntax error. */
struct imap_cur {
    char *p;
    size_t len, pos;
    int depth;
    int max_depth; /* 0 = IMAP_DEPTH_MAX; clients allow deeper BODYSTRUCTUREs */
    const char *err;
};

/* Start a cursor on p[0..len) (the command without its final CRLF). */
void imap_cur_init(struct imap_cur *c, char *p, size_t len);
/* True at the end of the input. */
bool imap_cur_eol(const struct imap_cur *c);
/* Consume exactly one SP; false (with err) otherwise. */
bool imap_cur_sp(struct imap_cur *c);
/* Consume ch if it is next; no error when it is not. */
bool imap_cur_accept(struct imap_cur *c, char ch);
/* True when ch is next (nothing consumed). */
bool imap_cur_peek(const struct imap_cur *c, char ch);
/* tag = 1*<ASTRING-CHAR except "+"> (RFC 3501 §9), at most IMAP_TAG_MAX. */
bool imap_cur_tag(struct imap_cur *c, const char **s, size_t *n);
/* atom = 1*ATOM-CHAR. */
bool imap_cur_atom(struct imap_cur *c, const char **s, size_t *n);
/* A run of chars allowed in a fetch/search item name: ATOM-CHAR plus '[' ']'
 * '.' '<' '>' handled by the caller. Used for keywords like BODY.PEEK. */
bool imap_cur_word(struct imap_cur *c, const char **s, size_t *n);
/* astring = 1*ASTRING-CHAR / string. */
bool imap_cur_astring(struct imap_cur *c, const char **s, size_t *n);
/* string = quoted / literal. */
bool imap_cur_string(struct imap_cur *c, const char **s, size_t *n);
/* nstring = string / NIL; *s is NULL for NIL. */
bool imap_cur_nstring(struct imap_cur *c, const char **s, size_t *n);
/* list-mailbox = 1*list-char / string (list-char adds "%" "*" "]"). */
bool imap_cur_list_mailbox(struct imap_cur *c, const char **s, size_t *n);
/* number = 1*DIGIT fitting 32 bits; nz_number also refuses 0. */
bool imap_cur_number(struct imap_cur *c, uint32_t *v);
bool imap_cur_nz_number(struct imap_cur *c, uint32_t *v);
/* number64 (RFC 9051 §9, as IMAP4rev1 servers accept) for partial offsets: up to 2^63-1. */
bool imap_cur_number64(struct imap_cur *c, uint64_t *v);
/* "(" with the depth cap, and ")". */
bool imap_cur_open(struct imap_cur *c);
bool imap_cur_close(struct imap_cur *c);
/* Skip one value of any shape (atom, string, NIL, nested list, flags like
 * \Seen, sequence set); used by the parser fuzz target. */
bool imap_cur_skip_value(struct imap_cur *c);
/* Set err (if not set) and return false. */
bool imap_cur_fail(struct imap_cur *c, const char *why);

/* If line[0..len) ends with a literal marker "{n}" or "{n+}", return true
 * with *n (UINT64_MAX when it overflows) and *plus. Otherwise false. */
bool imap_literal_at_end(const char *line, size_t len, uint64_t *n, bool *plus);

/* ---- sequence sets (RFC 3501 §9 sequence-set) -------------- */
struct imap_range {
    uint32_t lo, hi; /* as written; 0 stands for "*" */
};
struct imap_seqset {
    size_t n;
    struct imap_range r[IMAP_SEQSET_MAX];
};

/* Parse a sequence set from the cursor (stops at SP, ')' or end). */
bool imap_cur_seqset(struct imap_cur *c, struct imap_seqset *set);
/* Parse all of s[0..len) as a sequence set. */
bool imap_seqset_parse(const char *s, size_t len, struct imap_seqset *set);
/* Print the set as it was written ("1:*,3"); returns the length it needs
 * (writes at most cap bytes incl. NUL, like snprintf). */
size_t imap_seqset_print(const struct imap_seqset *set, char *out, size_t cap);
/* Largest explicit number in the set (0 when only "*"). */
uint32_t imap_seqset_max(const struct imap_seqset *set);
bool imap_seqset_has_star(const struct imap_seqset *set);
/* Substitute star for "*", order each range, sort and merge: out gets at
 * most set->n ranges (lo <= hi, ascending, disjoint). Returns the count. */
size_t imap_seqset_resolve(const struct imap_seqset *set, uint32_t star, struct imap_range *out);
/* True when v is in the set with "*" = star. */
bool imap_seqset_contains(const struct imap_seqset *set, uint32_t v, uint32_t star);

/* ---- output buffer ------------------------------------------------------ */
/* A growable byte buffer owned by its user; zero-initialise ({0}) before use.
 * Its ceiling is the caller's business (the engines check theirs first). */
struct imap_buf {
    char *p;
    size_t len, cap;
};
/* Release the bytes; the buffer is empty and reusable. Safe on a zeroed buffer. */
void imap_buf_free(struct imap_buf *b);
/* Append n bytes (n may be 0). Aborts only when memory is exhausted. */
void imap_buf_add(struct imap_buf *b, const void *s, size_t n);
/* Append a C string. */
void imap_buf_adds(struct imap_buf *b, const char *s);
/* Append printf-formatted text (any length). */
void imap_buf_printf(struct imap_buf *b, const char *fmt, ...) MS_PRINTF(2, 3);
/* Drop the first n bytes (all of them when n >= len). Can't fail. */
void imap_buf_consume(struct imap_buf *b, size_t n);
/* Write s as a quoted string when it can be one (no CR, LF, NUL or 8-bit,
 * RFC 3501 §4.3), else as a literal "{n}CRLF" + bytes; with plus the
 * literal is "{n+}" (client side, LITERAL+). NIL when s is NULL. */
void imap_buf_string(struct imap_buf *b, const char *s, size_t n, bool plus);
/* Like imap_buf_string, but an atom when every byte is an ATOM-CHAR. */
void imap_buf_astring(struct imap_buf *b, const char *s, size_t n, bool plus);
/* True when c may appear in an atom (RFC 3501 §9 ATOM-CHAR). */
bool imap_is_atom_char(unsigned char c);

#endif
