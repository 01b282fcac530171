/* webmail.h -- the page logic of the webmail app, with no I/O: routing of
 * request targets, the inbox, message and compose pages (HTML, every text
 * HTML-escaped), and strict decoding of the submitted compose form
 * (application/x-www-form-urlencoded, as HTML form submission encodes it).
 * Invariant: no byte that came from a message or a form reaches a page
 * unescaped, and no decoded form field bound for a header holds CR or LF. */
#ifndef MAILSIM_MAIL_WEBMAIL_H
#define MAILSIM_MAIL_WEBMAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "core/common.h"

/* One line of the inbox. Plain data, borrowed; strings NUL-terminated. */
struct webmail_summary {
    const char *uid; /* 1..70 printable ASCII octets (POP3/IMAP unique id) */
    const char *from;
    const char *subject;
    const char *date;
    size_t size; /* octets */
    bool seen;
};

/* One message to display: its headers and its text part, already decoded. */
struct webmail_message {
    const char *uid;
    const char *from;
    const char *to;
    const char *subject;
    const char *date;
    const char *text; /* text/plain part, may hold NUL */
    size_t text_len;
};

enum webmail_route {
    WEBMAIL_INBOX,      /* GET|HEAD / or /inbox */
    WEBMAIL_MESSAGE,    /* GET|HEAD /message/<uid>, uid percent-decoded */
    WEBMAIL_COMPOSE,    /* GET|HEAD /compose */
    WEBMAIL_SEND,       /* POST /send */
    WEBMAIL_NOT_FOUND,  /* 404 */
    WEBMAIL_BAD_METHOD, /* a known path with the wrong method: 405 */
};

/* Map a request to a page. For WEBMAIL_MESSAGE the unique id is written to
 * uid (NUL-terminated; uid_cap >= 71); a bad or over-long id is NOT_FOUND.
 * A query string ("?...") is ignored. Can't fail. */
enum webmail_route webmail_route(const char *method, const char *target, char *uid, size_t uid_cap);

/* Pages. Each returns a new NUL-terminated HTML document (the caller frees
 * it) and its length in *len. Abort only if out of memory. */
char *webmail_render_inbox(const char *user, const struct webmail_summary *msgs, size_t n,
                           size_t *len);
char *webmail_render_message(const struct webmail_message *m, size_t *len);
/* The compose form; token (may be NULL: none) goes in a hidden "token"
 * field that the browser posts back; error (may be NULL) is shown above
 * it, escaped. */
char *webmail_render_compose(const char *from, const char *token, const char *error, size_t *len);
/* The value of the hidden "token" field of a compose page, as a browser
 * posts it back: copied into out (NUL-terminated). False when the page has
 * none or it does not fit cap. Can't fail. */
bool webmail_page_token(const char *page, size_t len, char *out, size_t cap);

/* HTML-escape len bytes of s (& < > " ') into a new NUL-terminated string;
 * CR and other C0 controls except TAB and LF become U+FFFD. */
char *webmail_escape(const char *s, size_t len);

#define WEBMAIL_TO_MAX 254 /* RFC 5321 §4.5.3.1.3 path, less the brackets */
#define WEBMAIL_SUBJECT_MAX 200
#define WEBMAIL_BODY_MAX 65536
#define WEBMAIL_TOKEN_MAX 64

/* A decoded compose form. body is owned (webmail_form_free). */
struct webmail_form {
    char to[WEBMAIL_TO_MAX + 1];
    char subject[WEBMAIL_SUBJECT_MAX + 1];
    char token[WEBMAIL_TOKEN_MAX + 1]; /* "" when the form had none */
    char *body;                        /* lines ended by CRLF, NUL-terminated */
    size_t body_len;
};

/* Decode and validate a submitted form "[token=...&]to=...&subject=...&body=...":
 * '+' is a space, %XX a byte; these fields, each once, token optional; "to" a
 * single address local@domain; subject one line of UTF-8 without controls;
 * body UTF-8 with its line breaks made CRLF. On error returns false, leaves
 * *f empty and fills err (where = field or "form", msg = the reason). */
bool webmail_form_decode(const char *in, size_t len, struct webmail_form *f, struct ms_error *err);
/* Encode a compose form as a browser submits it (the HTML
 * application/x-www-form-urlencoded serializer: ALPHA, DIGIT and "*-._" as
 * they are, space as '+', every other byte %XX), in the page's field order:
 * "token=..&to=..&subject=..&body=.." (no token field when token is NULL).
 * Returns a new NUL-terminated string; *len gets its length. Aborts only if
 * out of memory. */
char *webmail_form_encode(const char *token, const char *to, const char *subject, const char *body,
                          size_t *len);
/* Release the body; safe on a zeroed or failed form. */
void webmail_form_free(struct webmail_form *f);

#endif
