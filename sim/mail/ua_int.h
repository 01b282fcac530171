/* ua_int.h -- the user agent's parts shared by ua.c (composing, submitting)
 * and ua_access.c (fetching mail with POP3). Private to sim/mail. */
#ifndef MAILSIM_MAIL_UA_INT_H
#define MAILSIM_MAIL_UA_INT_H

#include "mail/world_int.h"

struct ua_job;  /* one message being handed over (ua.c) */
struct ua_acc;  /* one mail access session (ua_access.c) */
struct ua_conn; /* one submission connection (ua.c) */
struct ua_web;  /* one webmail visit (ua_web.c) */
struct ua_imap; /* one IMAP session (ua_imap.c) */
struct ua_page; /* one web_get visit (ua_page.c) */

struct ua {
    struct world *w;
    size_t h;
    struct ua_job *jobs;
    struct ua_conn *conns;
    struct ua_web *webs;
    struct ua_imap *imaps;
    struct ua_acc *accs;
    size_t fetched; /* messages in the device's local inbox */
    /* POP3 download-and-keep: "user@domain uid" of every message this
     * device has downloaded, kept across sessions (ua_access.c). */
    char **uids;
    size_t n_uids, cap_uids;
    struct ua_page *pages; /* web_get visits (ua_page.c) */
};

void ua_page_free_all(struct ua *u);

/* Free every access session / webmail visit without callbacks (world end);
 * ua_access_free_all also forgets the remembered UIDs. */
void ua_access_free_all(struct ua *u);
void ua_web_free_all(struct ua *u);
void ua_imap_free_all(struct ua *u);
/* Read mail with IMAP as the check_mail action says (ua_imap.c). */
void ua_imap_start(struct ua *u, const struct scn_check_mail *ck);

/* For the future-event view: if ev is one of a user agent's timers
 * (connect, POP3, IMAP or HTTP timeout), its device's host into *host. The
 * first covers them all (ua.c); the others each one file's own. */
bool ua_event_host(const struct evq_info *ev, uint32_t *host);
bool ua_acc_event_host(const struct evq_info *ev, uint32_t *host);
bool ua_imap_event_host(const struct evq_info *ev, uint32_t *host);
bool ua_page_event_host(const struct evq_info *ev, uint32_t *host);
bool ua_web_event_host(const struct evq_info *ev, uint32_t *host);

#endif
