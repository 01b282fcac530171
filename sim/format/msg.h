/* msg.h -- RFC 5322 messages: header fields read and written.
 *
 * Reading (RFC 5322 §2.1, §2.2, §3.2.2, §3.4, §3.6): every function works on
 * (pointer, length) and never on C strings, so a NUL byte never ends a
 * field early (bad-inputs X3). A line ends at LF, with or without a CR before
 * it, so stored messages with bare LF still parse; offsets are always into
 * the caller's bytes. Nothing is allocated except where a function says so.
 *
 * Writing (RFC 5322 §2.2.3, §3.3, §3.6; RFC 2047; RFC 5321 §4.4): values that
 * hold CR, LF or NUL are refused, never cleaned (bad-inputs S15); long fields
 * are folded at whitespace so that no line passes 78 characters when a
 * fold point exists (hard limit 998, §2.1.1); non-ASCII text in Subject and
 * display names becomes RFC 2047 encoded-words. Output is CRLF only. */
#ifndef MAILSIM_FORMAT_MSG_H
#define MAILSIM_FORMAT_MSG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* RFC 5322 §2.1.1 line limits (characters, CRLF excluded). */
#define MSG_LINE_SOFT 78
#define MSG_LINE_HARD 998
/* Ceiling on a field we build (name, value, folding): 64 KiB. */
#define MSG_FIELD_MAX 65536

/* ------------------------------------------------------------------------
 * Growable output buffer: core's (core/buf.h) without a ceiling, under
 * format's names.
 * ------------------------------------------------------------------------ */

/* A byte buffer owned by its user. Zero-initialise ({0}) before use. The
 * data is always followed by a NUL that is not counted in len, so it can be
 * printed, but its length is authoritative (the data may hold NULs). */
struct msg_buf {
    char *data;
    size_t len;
    size_t cap;
};

/* Append n bytes. Aborts only when memory is exhausted. */
void msg_buf_add(struct msg_buf *b, const void *p, size_t n);
/* Append a C string. */
void msg_buf_adds(struct msg_buf *b, const char *s);
/* Append printf-formatted text. */
void msg_buf_addf(struct msg_buf *b, const char *fmt, ...) MS_PRINTF(2, 3);
/* Give the bytes to the caller (free() them); the buffer is left empty.
 * Never returns NULL (an empty buffer gives an allocated "" ). */
char *msg_buf_take(struct msg_buf *b, size_t *len);
/* Release the bytes. Safe on a zeroed buffer. */
void msg_buf_free(struct msg_buf *b);

/* ------------------------------------------------------------------------
 * Errors
 * ------------------------------------------------------------------------ */

#define MSG_ERRORS(X)                                                                              \
    X(MSG_OK, "ok")                                                                                \
    X(MSG_E_INJECTION, "value contains CR, LF or NUL")                                             \
    X(MSG_E_FIELD_NAME, "bad field name")                                                          \
    X(MSG_E_TOO_LONG, "field too long")                                                            \
    X(MSG_E_ADDRESS, "bad address")                                                                \
    X(MSG_E_NOT_ASCII, "non-ASCII byte where only ASCII is allowed")                               \
    X(MSG_E_UTF8, "invalid UTF-8")

enum msg_error {
#define MSG_X_ENUM(name, text) name,
    MSG_ERRORS(MSG_X_ENUM)
#undef MSG_X_ENUM
        MSG_E_COUNT
};

/* Short English text for a code ("value contains CR, LF or NUL"). Static
 * storage; unknown codes give "unknown error". Can't fail. */
const char *msg_strerror(enum msg_error e);

/* ------------------------------------------------------------------------
 * Reading: header block, fields, unfolding
 * ------------------------------------------------------------------------ */

/* Where the header ends. hdr_len counts every header line and the empty
 * line after them (the RFC 3501 BODY[HEADER] octets); body_off == hdr_len.
 * A message with no empty line is all header: hdr_len == body_off == len.
 * A message that starts with an empty line has hdr_len 2 (or 1 for LF). */
struct msg_split {
    size_t hdr_len;
    size_t body_off;
    size_t body_len;
};

/* Find the header/body boundary of msg[0..len). Can't fail. */
void msg_split(const char *msg, size_t len, struct msg_split *out);

/* One header field. All offsets are relative to the hdr pointer given to
 * the iterator. raw_len covers the name, the colon, the value and every
 * continuation line with its line ends, including the final CRLF (or LF)
 * when there is one: hdr[off .. off+raw_len) is the field exactly as stored,
 * which is what BODY[HEADER.FIELDS] returns. value_* exclude the final line
 * end and are still folded; use msg_unfold() to unfold. */
struct msg_field {
    size_t off;
    size_t raw_len;
    size_t name_len;  /* name starts at off; no trailing whitespace */
    size_t value_off; /* first byte after the colon */
    size_t value_len; /* up to (not including) the final line end */
};

/* Iterator over the fields of a header block. Initialise with
 * msg_fields_begin(); the hdr bytes are borrowed and must outlive it. */
struct msg_field_iter {
    const char *hdr;
    size_t len;
    size_t pos;
    size_t bad_lines; /* lines skipped: no colon, empty name, leading WSP */
};

/* Start iterating the fields of hdr[0..len): pass a whole message or only
 * its header block; iteration stops at the first empty line. Can't fail. */
void msg_fields_begin(struct msg_field_iter *it, const char *hdr, size_t len);
/* The next well-formed field; false at the end of the header. Lines that
 * are not fields (no colon, a name with bytes outside 33..126, a
 * continuation with nothing before it) are skipped and counted in
 * it->bad_lines (RFC 5322 §2.2, §3.6.8 field-name = 1*ftext). */
bool msg_fields_next(struct msg_field_iter *it, struct msg_field *f);

/* Case-insensitive ASCII comparison of a field's name with name[0..n). */
bool msg_field_is(const char *hdr, const struct msg_field *f, const char *name, size_t n);

/* The idx-th (0-based) field named name[0..name_len) (case-insensitive) in
 * hdr[0..len). Returns false when there is none. */
bool msg_field_find(const char *hdr, size_t len, const char *name, size_t name_len, size_t idx,
                    struct msg_field *f);

/* Unfold v[0..n) into out (room for n bytes): every CRLF or LF that is
 * followed by a space or tab is removed (RFC 5322 §2.2.3); a line end not
 * followed by WSP is also removed. Leading and trailing WSP of the whole value
 * are trimmed. Returns the length written. out may equal v. Can't fail. */
size_t msg_unfold(const char *v, size_t n, char *out);

/* Unfolded, trimmed value of the first field named name (case-insensitive)
 * in hdr[0..len), in a new allocation the caller frees (NUL added, not
 * counted in *out_len). NULL when there is no such field. */
char *msg_header_get(const char *hdr, size_t len, const char *name, size_t *out_len);

/* ------------------------------------------------------------------------
 * Reading: addresses (RFC 5322 §3.4) for IMAP ENVELOPE
 * ------------------------------------------------------------------------ */

/* One address of an address-list. Strings are (pointer, length) into the
 * list's own storage. A group "Friends: a@x, b@y;" gives a group-start
 * entry (is_group_start, name = "Friends"), its members, then a group-end
 * entry (is_group_end, all strings empty): the IMAP ENVELOPE form
 * (RFC 3501 §7.4.2). name is the display name with quotes removed and
 * quoted-pairs resolved, encoded-words left as they are; route is the
 * obsolete source route ("@a,@b") or empty. */
struct msg_addr {
    const char *name;
    size_t name_len;
    const char *route;
    size_t route_len;
    const char *local;
    size_t local_len;
    const char *domain;
    size_t domain_len;
    bool is_group_start;
    bool is_group_end;
};

/* Most addresses msg_addr_parse returns from one list (the rest are dropped
 * and counted: bad-inputs I18, Dovecot CVE-2024-23184). */
#define MSG_ADDR_MAX 256

struct msg_addr_list {
    struct msg_addr *v;
    size_t n;
    size_t dropped; /* over MSG_ADDR_MAX */
    size_t bad;     /* entries that did not parse and were skipped */
    char *store;    /* owned storage for the strings */
};

/* Parse an address-list field value s[0..n) (folded or not). Comments are
 * skipped, a bare "local" without '@' gives an empty domain. Entries that
 * do not parse are skipped and counted in out->bad; never fails as a whole.
 * Free with msg_addr_list_free(). */
void msg_addr_parse(const char *s, size_t n, struct msg_addr_list *out);
/* Release a list. Safe on a zeroed list. */
void msg_addr_list_free(struct msg_addr_list *l);

/* ------------------------------------------------------------------------
 * RFC 2047 encoded-words
 * ------------------------------------------------------------------------ */

/* Decode the encoded-words in s[0..n) (RFC 2047 §4, §6.2: B and Q; the
 * whitespace between two adjacent encoded-words is dropped). Words in
 * UTF-8 or US-ASCII are copied, ISO-8859-1 is converted to UTF-8; any other
 * charset or a malformed word is left as written. Returns a new allocation
 * (NUL added, not counted in *out_len). Never NULL. */
char *msg_decode_words(const char *s, size_t n, size_t *out_len);

/* ------------------------------------------------------------------------
 * Writing: dates, Message-IDs, fields
 * ------------------------------------------------------------------------ */

/* Bytes needed for a formatted date, NUL included. */
#define MSG_DATE_SIZE 32

/* Format the RFC 5322 §3.3 date of simulated time t (microseconds since the
 * start of the simulation) plus epoch_unix (Unix seconds at sim time 0):
 * "Mon, 05 Jan 2026 09:00:00 +0000" (always UTC, +0000). Dates before 1970
 * are clamped to 1970-01-01. Writes a NUL; returns the length (31 for
 * four-digit years). Can't fail. */
size_t msg_format_date(sim_us t, int64_t epoch_unix, char out[MSG_DATE_SIZE]);

/* Parse an RFC 5322 §3.3 date-time s[0..n) (a Date: value, folded or not)
 * into Unix seconds (UTC), for IMAP SEARCH SENTBEFORE/SENTON/SENTSINCE.
 * Accepts the optional day name, comments, 2- and 3-digit years (§4.3:
 * 00-49 are 2000-2049, 50-999 add 1900), seconds omitted, and the obsolete
 * zones UT, GMT, EST/EDT, CST/CDT, MST/MDT, PST/PDT and military letters
 * (taken as +0000). Returns false for anything else (bad month, day 31 in
 * a 30-day month, hour 24, zone +2400, trailing junk). Can't crash. */
bool msg_parse_date(const char *s, size_t n, int64_t *unix_secs);

/* Write a Message-ID "<hex16.hex8@domain>" (with the angle brackets) made
 * only from the inputs: a 64-bit hash of (seed, serial, sender) and the
 * serial itself, so the same inputs always give the same id and different
 * serials never collide. domain[0..domain_len) must be a plain host name
 * (letters, digits, '-', '.'); returns MSG_E_ADDRESS otherwise and writes
 * nothing. out is appended to. */
enum msg_error msg_make_message_id(struct msg_buf *out, uint64_t seed, uint64_t serial,
                                   const char *sender, size_t sender_len, const char *domain,
                                   size_t domain_len);

/* Check a header value v[0..n) for bytes that would start a new header line
 * or be cut by a C string: CR, LF or NUL (bad-inputs S15). Returns MSG_OK or
 * MSG_E_INJECTION and, if err is not NULL, fills it: code, where = field
 * name, msg = e.g. `header "Subject": value contains LF at offset 5 (would
 * start a new header line)`. */
enum msg_error msg_check_value(const char *field, const char *v, size_t n, struct ms_error *err);

/* Append "Name: value CRLF" to out, folding before spaces and tabs so no
 * line passes 78 characters where whitespace allows it; a run without
 * whitespace that is too long stays on its line (up to 998, beyond which
 * MSG_E_TOO_LONG). The value is used as it is (no encoding; any byte but CR,
 * LF and NUL, which give MSG_E_INJECTION). On error nothing is appended and
 * err (may be NULL) is filled. name must be 1..76 characters of ftext
 * (RFC 5322 §3.6.8), else MSG_E_FIELD_NAME. */
enum msg_error msg_add_field(struct msg_buf *out, const char *name, const char *v, size_t n,
                             struct ms_error *err);

/* Like msg_add_field for unstructured text (Subject, Comments, display
 * text): when v holds non-ASCII bytes, which must be valid UTF-8, the value
 * is written as RFC 2047 encoded-words "=?UTF-8?B?...?=", each at most 75
 * characters and never splitting a UTF-8 sequence (§5 (3), §6.3). Pure ASCII
 * is written as msg_add_field does. Leading and trailing spaces and tabs are
 * dropped (unfolding would drop them anyway), so decoding the written field
 * gives back the trimmed value exactly. */
enum msg_error msg_add_text_field(struct msg_buf *out, const char *name, const char *v, size_t n,
                                  struct ms_error *err);

/* An address to write: display name (may be NULL/empty, UTF-8 allowed) and
 * addr-spec "local@domain" (ASCII only, no CR/LF/NUL, no '<' '>' or
 * whitespace). */
struct msg_mailbox {
    const char *name;
    const char *addr;
};

/* Append "Name: mailbox, mailbox CRLF" (From, To, Cc, Reply-To, Sender):
 * display names with specials are quoted (§3.2.4), non-ASCII ones become
 * encoded-words (RFC 2047 §5 (3)); the list is folded after commas. n >= 1. */
enum msg_error msg_add_address_field(struct msg_buf *out, const char *name,
                                     const struct msg_mailbox *list, size_t n,
                                     struct ms_error *err);

/* ------------------------------------------------------------------------
 * Trace fields (RFC 5321 §4.4)
 * ------------------------------------------------------------------------ */

/* What a receiving server knows about one hop. All strings are C strings
 * from the simulation (host names, an IP literal, an id); each is checked
 * for CR/LF/NUL and for characters that do not belong in a Received field
 * (bad-inputs S13: never copy a bad EHLO argument into a header). for_addr
 * may be NULL. helo is the name the client gave in EHLO/HELO, client_host
 * its name as the server knows it (may equal helo), client_ip its address. */
struct msg_received {
    const char *helo;
    const char *client_host;
    const char *client_ip;
    const char *by_host;
    const char *with; /* "ESMTP", "ESMTPA", "SMTP", "LMTP" */
    const char *id;   /* the server's queue id */
    const char *for_addr;
    sim_us t;
    int64_t epoch_unix;
};

/* Append the RFC 5321 §4.4 time-stamp line, folded one clause a line:
 *   Received: from helo (client_host [client_ip])
 *   <TAB>by by_host with with id id
 *   <TAB>for <for_addr>; date
 * ("for" only when for_addr is set; without it the mandatory ";" ends the
 * "by" line and the date goes on a line of its own, RFC 5322 §3.6.7). Callers prepend it to the message:
 * write it first, then the message bytes. Errors: MSG_E_ADDRESS with
 * `header "Received": bad helo "x y" (never copied into a header)`. */
enum msg_error msg_add_received(struct msg_buf *out, const struct msg_received *r,
                                struct ms_error *err);

/* Append "Return-Path: <reverse_path> CRLF" (RFC 5321 §4.4: added at final
 * delivery; "<>" for a bounce). reverse_path[0..n) is without brackets and
 * may be empty. */
enum msg_error msg_add_return_path(struct msg_buf *out, const char *reverse_path, size_t n,
                                   struct ms_error *err);

/* ------------------------------------------------------------------------
 * A whole simple message
 * ------------------------------------------------------------------------ */

/* What a user agent puts in a message header. to/cc are arrays (n_to >= 1
 * unless n_cc >= 1). message_id is the text with angle brackets (make it
 * with msg_make_message_id) or NULL to leave it out. extra_fields (may be
 * NULL) is a block of complete CRLF-ended fields appended verbatim after the
 * standard ones (the MIME fields of mime_build_*); it is checked for bare CR
 * or LF and for lines that are not fields. */
struct msg_header_spec {
    struct msg_mailbox from;
    const struct msg_mailbox *to;
    size_t n_to;
    const struct msg_mailbox *cc;
    size_t n_cc;
    const char *subject; /* UTF-8, may be NULL */
    sim_us date_t;
    int64_t epoch_unix;
    const char *message_id;
    const char *extra_fields;
    size_t extra_len;
};

/* Append the header block From, To, Cc, Subject, Date, Message-ID, then the
 * extra fields, then the empty line. On error nothing is appended. */
enum msg_error msg_build_header(struct msg_buf *out, const struct msg_header_spec *h,
                                struct ms_error *err);

#endif
