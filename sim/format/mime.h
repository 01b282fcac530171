/* mime.h -- MIME (RFC 2045-2049, RFC 2183, RFC 2387): parse tree and builders.
 *
 * Parsing: mime_parse() turns a message (pointer, length) into a flat array
 * of parts in depth-first order (parts[0] is the message itself), each with
 * byte offsets into the caller's bytes, its Content-* fields decoded, and
 * links to its children. The tree borrows the message bytes: keep them alive
 * and unchanged while the tree is used. Traversal is bounded: depth at most
 * MIME_MAX_DEPTH and at most MIME_MAX_PARTS parts (bad-inputs I18, Dovecot
 * CVE-2020-12100 / CVE-2020-25275); past a cap, the part becomes a leaf and
 * the tree records the error. Parsing never fails as a whole and is linear in
 * the input for each level of nesting.
 *
 * Building: multipart/mixed, /alternative and /related bodies with
 * deterministic boundaries that never occur in the content, and attachments
 * from a seed or from bytes, shown before and after encoding. */
#ifndef MAILSIM_FORMAT_MIME_H
#define MAILSIM_FORMAT_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"
#include "format/msg.h"

/* Caps. Depth counts multipart and message/rfc822 levels (root = 0). */
#define MIME_MAX_DEPTH 32
#define MIME_MAX_PARTS 1000
#define MIME_MAX_PARAMS 32   /* per Content-Type or Content-Disposition */
#define MIME_BOUNDARY_MAX 70 /* RFC 2046 §5.1.1 */

/* ------------------------------------------------------------------------
 * Parse tree
 * ------------------------------------------------------------------------ */

#define MIME_ERRORS(X)                                                                             \
    X(MIME_OK, "ok")                                                                               \
    X(MIME_E_TOO_DEEP, "MIME nesting deeper than the limit")                                       \
    X(MIME_E_TOO_MANY_PARTS, "more MIME parts than the limit")                                     \
    X(MIME_E_NO_BOUNDARY, "multipart without a boundary parameter")                                \
    X(MIME_E_NO_PARTS, "multipart without any boundary delimiter line")                            \
    X(MIME_E_NO_CLOSE, "multipart without its closing boundary")                                   \
    X(MIME_E_BAD_CONTENT_TYPE, "malformed Content-Type")                                           \
    X(MIME_E_BAD_HEADER, "malformed header line")                                                  \
    X(MIME_E_BAD_BOUNDARY, "boundary parameter longer than 70 or empty")                           \
    X(MIME_E_ENCODED_MESSAGE, "message/rfc822 with a transfer encoding")                           \
    X(MIME_E_BUILD, "bad input to the MIME builder")

enum mime_error {
#define MIME_X_ENUM(name, text) name,
    MIME_ERRORS(MIME_X_ENUM)
#undef MIME_X_ENUM
        MIME_E_COUNT
};

/* Short English text for a code. Static storage; can't fail. */
const char *mime_strerror(enum mime_error e);

/* Content-Transfer-Encoding (RFC 2045 §6.1). Absent: 7BIT (§6.1 default).
 * A value we do not know is MIME_CTE_OTHER (its text is in cte_raw). */
enum mime_cte {
    MIME_CTE_7BIT,
    MIME_CTE_8BIT,
    MIME_CTE_BINARY,
    MIME_CTE_QP,
    MIME_CTE_BASE64,
    MIME_CTE_OTHER,
    MIME_CTE_COUNT
};

/* The canonical lowercase name: "7bit", "8bit", "binary",
 * "quoted-printable", "base64", "x-other". Can't fail. */
const char *mime_cte_name(enum mime_cte c);

/* A string owned by the tree (NUL-terminated for convenience; len is
 * authoritative). An absent value has p == NULL and len == 0. */
struct mime_str {
    const char *p;
    size_t len;
};

/* One parameter: name lowercased, value with quotes removed and quoted-pairs
 * resolved (RFC 2045 §5.1 "value := token / quoted-string"). RFC 2231
 * continuations ("name*0", "filename*") are kept as separate raw
 * parameters, not joined or decoded. */
struct mime_param {
    struct mime_str name;
    struct mime_str value;
};

/* One part of a message. Offsets are into the bytes given to mime_parse().
 *
 * - start, hdr_len: the part's header block, the empty line included, as
 *   RFC 3501 BODY[n.MIME] (or BODY[HEADER] for a message) returns it. For a
 *   body part with no header fields this is just the empty line; for one
 *   with neither header nor empty line it is 0 bytes long.
 * - body_off, body_len: the body, excluding the CRLF that belongs to the
 *   next boundary delimiter (RFC 2046 §5.1.1). body_off == start + hdr_len.
 * - body_lines: LF count in the body, plus one if the body is not empty and
 *   does not end with LF (RFC 3501 body-fld-lines).
 *
 * Tree links are indices into mime_tree.parts, -1 for none. For a
 * multipart, first_child..next_sibling are its body parts (n_children > 0
 * exactly when is_multipart). For message/rfc822 (is_message), message is
 * the index of the enclosed message's root part, whose header is the
 * enclosed message's header (BODY[n.HEADER]) and whose own children follow
 * the same rules; it is also first_child. */
struct mime_part {
    size_t start;
    size_t hdr_len;
    size_t body_off;
    size_t body_len;
    size_t body_lines;

    struct mime_str type;    /* lowercased; "text" when absent or invalid */
    struct mime_str subtype; /* lowercased; "plain" when absent or invalid */
    struct mime_param *params;
    size_t n_params;

    enum mime_cte cte;
    struct mime_str cte_raw; /* lowercased field value; "7bit" when absent */

    struct mime_str id;          /* Content-ID, unfolded, as written ("<x@y>") */
    struct mime_str description; /* Content-Description, unfolded, raw */
    struct mime_str md5;         /* Content-MD5 */
    struct mime_str language;    /* Content-Language, raw */
    struct mime_str location;    /* Content-Location */
    struct mime_str disposition; /* lowercased type ("inline", "attachment") */
    struct mime_param *disp_params;
    size_t n_disp_params;

    int parent;
    int first_child;
    int next_sibling;
    int n_children;
    int message; /* enclosed message root for message/rfc822, else -1 */
    int depth;
    bool is_multipart;
    bool is_message;
    bool has_content_type; /* a Content-Type field was present and parsed */
    unsigned defects;      /* bit (1u << enum mime_error) per problem here */
};

struct mime_tree {
    const char *msg; /* borrowed */
    size_t len;
    struct mime_part *parts; /* parts[0] is the root (the whole message) */
    size_t n_parts;
    enum mime_error error; /* first problem met anywhere, or MIME_OK */
    unsigned defects;      /* union of every part's defects */
    void *arena_;          /* private: storage of strings and parameters */
};

/* Parse msg[0..len) into t (which is overwritten; free it with
 * mime_tree_free). Never fails: a malformed part is kept with defaults and
 * its defect recorded; see the caps above. */
void mime_parse(struct mime_tree *t, const char *msg, size_t len);
/* Release a tree. Safe on a zeroed tree and twice. */
void mime_tree_free(struct mime_tree *t);

/* The value of parameter name (lowercase, C string) of a part's
 * Content-Type, or NULL. Borrowed from the tree. */
const struct mime_str *mime_param_get(const struct mime_part *p, const char *name);
/* Same for Content-Disposition parameters ("filename"). */
const struct mime_str *mime_disp_param_get(const struct mime_part *p, const char *name);

/* The value of parameter name (lowercase C string, e.g. "filename" or
 * "name") of Content-Disposition (disposition) or Content-Type, decoded for
 * display and appended to out as UTF-8: a plain value as it is, an RFC 2231
 * §4 extended value name*=charset'lang'%XX, continuations name*0, name*1*,
 * ... joined in order (§3; at most MIME_MAX_PARAMS pieces), and RFC 2047
 * encoded-words inside a plain value (common in practice). UTF-8 and
 * US-ASCII are copied, ISO-8859-1 converted; other charsets copied as they
 * are. Returns false, appending nothing, when there is no such parameter. */
bool mime_param_decoded(const struct mime_part *p, bool disposition, const char *name,
                        struct msg_buf *out);

/* The part named by an IMAP section path s[0..n) of part numbers "1",
 * "2.1", "3.2.1" (RFC 3501 §6.4.5), or -1 when there is no such part or the
 * path has any other character (the caller strips ".MIME", ".HEADER",
 * ".TEXT" and friends first). Rules: in a multipart, n names its n-th child;
 * a part that is not multipart has only part 1, itself; after a
 * message/rfc822 part the numbers continue in its enclosed message. Numbers
 * are checked for overflow; 0 is refused. */
int mime_find_section(const struct mime_tree *t, const char *s, size_t n);

/* Next part in depth-first order, for walking without recursion: the index
 * after i, or -1 after the last. Equivalent to i + 1 < n_parts ? i + 1 : -1,
 * because parts are stored in that order. Can't fail. */
int mime_next(const struct mime_tree *t, int i);

/* Decode a leaf part's body (base64 or quoted-printable; 7bit/8bit/binary
 * copied) into a new allocation the caller frees (*out_len set, NUL added).
 * Returns NULL when the encoding is malformed or unknown. Base64 decoding
 * skips CR/LF and, for robustness, other whitespace. */
unsigned char *mime_decode_body(const struct mime_tree *t, const struct mime_part *p,
                                size_t *out_len);

/* ------------------------------------------------------------------------
 * 7-bit / 8-bit check (so the mail layer knows what needs encoding)
 * ------------------------------------------------------------------------ */

struct mime_scan {
    size_t len;
    size_t lines;        /* line count (LF-ended, plus an unterminated last) */
    size_t longest_line; /* characters, line end excluded */
    size_t high_bytes;   /* octets >= 128 */
    size_t nuls;         /* NUL octets */
    size_t bare_cr;      /* CR not followed by LF */
    size_t bare_lf;      /* LF not preceded by CR */
    size_t ctl;          /* other controls: 1..31 except TAB, CR, LF; and 127 */
    bool trailing_ws;    /* some line ends in space or tab */
    bool is_7bit;        /* RFC 2045 §2.7: no NUL, no >= 128, CRLF only, lines <= 998 */
    bool is_8bit;        /* §2.8: as 7bit but octets >= 128 allowed */
};

/* Scan p[0..n) and report. Can't fail. */
void mime_scan(const unsigned char *p, size_t n, struct mime_scan *out);

/* The transfer encoding a body should get to travel over 7-bit SMTP: 7BIT
 * when mime_scan says is_7bit; otherwise QP for text that is mostly ASCII
 * (under 1 in 6 octets needing escapes), else BASE64. With allow_8bit
 * (8BITMIME negotiated) an is_8bit text body stays 8BIT; other 8-bit
 * content is always BASE64. Can't fail. */
enum mime_cte mime_choose_cte(const unsigned char *p, size_t n, bool is_text, bool allow_8bit);

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

/* A leaf part to build. content[0..len) is the raw (unencoded) body; cte
 * MIME_CTE_OTHER means "choose" (mime_choose_cte, 7-bit transport). type
 * and subtype are lowercase tokens; charset may be NULL (text parts get
 * "utf-8" when 8-bit, "us-ascii" otherwise); filename (ASCII or UTF-8) adds
 * Content-Disposition: attachment (or inline when inline is set) with a
 * filename parameter and a name parameter on Content-Type; content_id
 * ("<photo1@example.org>", without the "cid:") adds Content-ID. Text parts
 * have their line ends turned into CRLF before encoding. */
struct mime_leaf {
    const char *type;
    const char *subtype;
    const char *charset;
    const char *filename;
    const char *content_id;
    const char *description;
    bool inline_disp;
    enum mime_cte cte;
    const unsigned char *content;
    size_t len;
};

/* A node of a body to build: a leaf, or a multipart of children. */
struct mime_node {
    bool is_multipart;
    const char *subtype;      /* multipart: "mixed", "alternative", "related" */
    const char *related_type; /* multipart/related: "text/html" (RFC 2387 §3.1) */
    const char *report_type;  /* multipart/report: "delivery-status" (RFC 6522 §3) */
    const char *preamble;     /* top multipart only; NULL: a short standard text */
    struct mime_leaf leaf;
    const struct mime_node *children;
    size_t n_children;
};

/* Build the MIME header fields and body of node: appends to *fields the
 * "MIME-Version: 1.0" line and the Content-* fields of the top node (CRLF
 * ended, for msg_header_spec.extra_fields) and to *body the encoded body.
 * Boundaries are "=_mailsim_<depth>_<hex>" made from seed and the node's
 * position, lengthened until no line of the content starts with "--"
 * followed by them (RFC 2046 §5.1.1). Errors (bad token, CR/LF in a name,
 * depth over MIME_MAX_DEPTH) fill err and leave the buffers unchanged. */
enum mime_error mime_build(struct msg_buf *fields, struct msg_buf *body,
                           const struct mime_node *node, uint64_t seed, struct ms_error *err);

/* Build a whole message: the MIME fields and body of node (mime_build),
 * then the header of h (msg_build_header, with the MIME fields as its extra
 * fields; h->extra_fields must be NULL), then the body, appended to out.
 * Returns MIME_OK, or MIME_E_BUILD with err filled and out unchanged (a
 * header error from msg_build_header is reported the same way, its text in
 * err). */
enum mime_error mime_build_message(struct msg_buf *out, const struct msg_header_spec *h,
                                   const struct mime_node *node, uint64_t seed,
                                   struct ms_error *err);

/* ------------------------------------------------------------------------
 * Attachments and the inspector
 * ------------------------------------------------------------------------ */

/* Fill out[0..n) with deterministic bytes from seed (rng_splitmix64): the
 * same (seed, n) always gives the same bytes. For a "text/..." type the
 * bytes are printable lines of words; otherwise they are binary, starting
 * with the magic number of the type when known (image/png 89 'P' 'N' 'G',
 * application/pdf "%PDF-1.4"); image/jpeg of 26 bytes or more is a JPEG
 * whose marker structure is valid (SOI, APP0, COM segments, EOI), so tools
 * that dissect it find nothing malformed. type may be NULL
 * (binary). Can't fail. */
void mime_fake_content(unsigned char *out, size_t n, uint64_t seed, const char *type);

/* An attachment before and after transfer encoding, for the inspector. */
struct mime_attachment_view {
    unsigned char *raw; /* owned: the bytes of the file */
    size_t raw_len;
    char *encoded; /* owned: the base64 (or QP) text, CRLF every 76 */
    size_t encoded_len;
    enum mime_cte cte;
    size_t lines;  /* lines of the encoded text */
    double growth; /* encoded_len / raw_len (about 1.37 for base64) */
};

/* Encode raw[0..n) as it would travel (base64 unless cte says otherwise)
 * and fill v; the raw bytes are copied. Free with mime_attachment_view_free. */
void mime_attachment_view(struct mime_attachment_view *v, const unsigned char *raw, size_t n,
                          enum mime_cte cte);
/* Release a view. Safe on a zeroed view. */
void mime_attachment_view_free(struct mime_attachment_view *v);

#endif
