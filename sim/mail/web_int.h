/* web_int.h -- the plain web server host kind (world_web.c) and the pages it
 * serves to the browser's web_get (ua_page.c). Private to sim/mail. The HTTP
 * engines' session logs trace the lines: a body that is not text (a photo)
 * is one line naming its size and type, never thousands of \xNN escapes. */
#ifndef MAILSIM_MAIL_WEB_INT_H
#define MAILSIM_MAIL_WEB_INT_H

#include "mail/world_int.h"


/* The bytes of a page's HTML and of an object (deterministic, from the
 * scenario). Caller frees. */
char *world_web_page_html(const struct scn_web_page *p, size_t *len);
char *world_web_object_bytes(const struct scn_web_object *o, size_t *len);

/* Start the web server of host h (port 80); free every web server. */
void world_web_start(struct world *w, size_t h);
void world_web_free_all(struct world *w);

#endif
