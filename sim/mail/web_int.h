/* web_int.h -- the plain web server host kind and HTTP tracing shared by
 * world_web.c (the server) and ua_page.c (the browser's web_get). Private to
 * sim/mail. A response body that is not text (a photo) is traced as one
 * line naming its size and type, never as thousands of \xNN escapes; every
 * status line, field line and text line is traced as sent. */
#ifndef MAILSIM_MAIL_WEB_INT_H
#define MAILSIM_MAIL_WEB_INT_H

#include "mail/world_int.h"

/* Splits one direction of an HTTP connection into traced lines. */
struct world_http_lines {
    struct world_lines l;
    bool in_body;    /* inside a body of `left` octets */
    bool text;       /* the body is text/...: traced line by line */
    uint64_t left;   /* body octets still to come */
    uint64_t length; /* Content-Length of the message being read */
    char type[64];   /* Content-Type of the message being read */
    char head[256];  /* the field line being read */
    size_t head_len;
};

/* Feed bytes as world_lines_feed does, but count a body out of
 * Content-Length and trace a non-text one as "[N bytes of type]". */
void world_http_feed(struct world *w, struct world_http_lines *hl, enum trace_kind kind,
                     uint32_t conn, uint32_t host, uint32_t peer, char side, const char *before,
                     const char *after, const char *data, size_t len);
void world_http_lines_free(struct world_http_lines *hl);

/* The bytes of a page's HTML and of an object (deterministic, from the
 * scenario). Caller frees. */
char *world_web_page_html(const struct scn_web_page *p, size_t *len);
char *world_web_object_bytes(const struct scn_web_object *o, size_t *len);

/* Start the web server of host h (port 80); free every web server. */
void world_web_start(struct world *w, size_t h);
void world_web_free_all(struct world *w);

#endif
