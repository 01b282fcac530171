/* smtp_dot.h -- SMTP message data: dot-stuffing encoder and strict decoder.
 *
 * RFC 5321 §4.5.2 (transparency): the sender doubles a '.' that starts a line
 * and ends the data with CRLF "." CRLF; the receiver drops the first '.' of a
 * line that has more characters and stops at a line holding only ".".
 * Invariants: the decoder ends data ONLY on CRLF "." CRLF (§4.1.1.4, §2.3.8;
 * the 2023 smuggling class, CVE-2023-51764): bare CR, bare LF and NUL are
 * data bytes that are counted so the server can refuse the message; text
 * lines over 1000 octets (§4.5.3.1.6) are counted, never split. Both work on
 * (pointer, length), stream across any chunking and never allocate. */
#ifndef MAILSIM_PROTO_SMTP_DOT_H
#define MAILSIM_PROTO_SMTP_DOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest text line, CRLF included, not counting a stuffed dot (§4.5.3.1.6). */
#define SMTP_TEXT_LINE_MAX 1000

/* ---- encoder (client side) -------------------------------------------- */

/* Streaming dot-stuffer over a borrowed body. The output is the body with
 * every line-leading '.' doubled, a CRLF added when the body does not end with
 * one (Ruby bug #9627), then ".\r\n". */
struct smtp_dot_enc {
    const char *body; /* borrowed */
    size_t len;
    size_t pos;       /* next body byte to emit */
    bool bol;         /* the next body byte starts a line */
    uint8_t tail;     /* 0 body, 1 CRLF to add, 2 ".\r\n" to add, 3 done */
    uint8_t tail_pos; /* bytes of the current tail piece already written */
};

/* Start encoding body[0..len) (borrowed until done). Can't fail. */
void smtp_dot_enc_init(struct smtp_dot_enc *e, const char *body, size_t len);
/* Write as much stuffed output as fits in out[0..cap); returns bytes written.
 * Can't fail. */
size_t smtp_dot_enc_run(struct smtp_dot_enc *e, char *out, size_t cap);
/* True once ".\r\n" has been written completely. */
bool smtp_dot_enc_done(const struct smtp_dot_enc *e);
/* Exact size of the whole stuffed output, terminator included. Can't fail. */
size_t smtp_dot_stuffed_len(const char *body, size_t len);

/* Length of the longest prefix of p[0..n) free of CR, LF, NUL and 8-bit
 * octets (scanned a word at a time: the hot loop of both engines). */
size_t smtp_dot_plain_len(const char *p, size_t n);

/* ---- decoder (server side) -------------------------------------------- */

enum smtp_dot_dstate {
    SMTP_DOT_BOL,     /* at the start of a line (after CRLF) */
    SMTP_DOT_BOL_DOT, /* a '.' started the line */
    SMTP_DOT_BOL_DOT_CR,
    SMTP_DOT_MID, /* inside a line */
    SMTP_DOT_CR,  /* a CR inside a line, LF not yet seen */
    SMTP_DOT_END, /* CRLF "." CRLF seen */
};

/* Streaming unstuffer. Decoded bytes go to a caller-owned buffer of fixed
 * capacity; bytes beyond it are counted (total) and dropped (overflow set),
 * while framing stays strict to the real end (bad-inputs S2). */
struct smtp_dot_dec {
    enum smtp_dot_dstate st;
    char *out; /* borrowed */
    size_t cap;
    size_t len;       /* bytes stored in out */
    uint64_t total;   /* decoded bytes, stored or not */
    uint64_t line_no; /* 1-based number of the current line */
    size_t line_len;  /* octets of the current line so far (no CRLF) */
    bool overflow;    /* total > cap */
    /* Problems, each with the 1-based line where it first appeared (0 = none). */
    uint64_t bare_lf_line, bare_cr_line, nul_line, long_line, eightbit_line;
    size_t long_line_len; /* length (with CRLF) of the first over-long line */
    uint8_t eightbit_byte;
    /* UNSAFE (set after init, for the SMTP smuggling lesson): a bare LF ends
     * a line too, so LF "." CR LF and LF "." LF end the data, as legacy
     * servers did. bare_lf_line still records the first one. */
    bool lenient_lf;
};

/* Start decoding right after the 354 reply (so at the start of a line) into
 * out[0..cap) (borrowed). Can't fail. */
void smtp_dot_dec_init(struct smtp_dot_dec *d, char *out, size_t cap);
/* Point the decoder at a new output buffer holding the same bytes (after the
 * caller grew it). */
void smtp_dot_dec_rebase(struct smtp_dot_dec *d, char *out, size_t cap);
/* Consume bytes of in until the end of data or the end of input. Returns the
 * bytes consumed; bytes after the terminating LF are never consumed. */
size_t smtp_dot_dec_run(struct smtp_dot_dec *d, const char *in, size_t len);
/* True once CRLF "." CRLF has been consumed. */
bool smtp_dot_dec_done(const struct smtp_dot_dec *d);

#endif
