/* ua_int.h -- the user agent's parts shared by ua.c (composing, submitting)
 * and ua_access.c (fetching mail with POP3). Private to sim/mail. */
#ifndef MAILSIM_MAIL_UA_INT_H
#define MAILSIM_MAIL_UA_INT_H

#include "mail/world_int.h"

struct ua_job; /* one message being handed over (ua.c) */
struct ua_acc; /* one mail access session (ua_access.c) */
struct ua_conn; /* one submission connection (ua.c) */
struct ua_web;  /* one webmail visit (ua_web.c) */
struct ua_imap; /* one IMAP session (ua_imap.c) */

struct ua {
    struct world *w;
    size_t h;
    struct ua_job *jobs;
    struct ua_conn *conns;
    struct ua_web *webs;
    struct ua_imap *imaps;
    struct ua_acc *accs;
    size_t fetched; /* messages in the device's local inbox */
};

/* Free every access session / webmail visit without callbacks (world end). */
void ua_access_free_all(struct ua *u);
void ua_web_free_all(struct ua *u);
void ua_imap_free_all(struct ua *u);
/* Read mail with IMAP as the check_mail action says (ua_imap.c). */
void ua_imap_start(struct ua *u, const struct scn_check_mail *ck);

#endif
