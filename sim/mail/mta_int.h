/* mta_int.h -- the mail server's parts shared by mta.c (receiving, local
 * delivery, queue, bounces) and mta_out.c (the outgoing SMTP client). */
#ifndef MAILSIM_MAIL_MTA_INT_H
#define MAILSIM_MAIL_MTA_INT_H

#include "core/rng.h"
#include "mail/mq.h"
#include "mail/world_int.h"
#include "store/mbox.h"

/* A message in this server's custody: one copy, shared by its queue entries. */
struct mta_msg {
    uint32_t id;  /* simulation-wide message number */
    char *sender; /* reverse path, "" for <> */
    char *data;   /* RFC 5322 bytes with our Received: on top */
    size_t len;
    unsigned refs; /* queue entries not yet delivered or bounced */
};

struct mta_out;  /* one outgoing connection (mta_out.c) */
struct mta_sess; /* one incoming SMTP session (mta.c) */
struct mta_acc;  /* one POP3 or IMAP session (mta_access.c) */
struct mta_web;  /* one webmail HTTP session (mta_web.c) */

struct mta {
    struct world *w;
    size_t h; /* host index == net host id */
    const struct scn_host *sh;
    const struct scn_mail_server *cfg;
    struct mbox_store *store;
    struct mq *q;
    struct mta_msg **msgs; /* by queue entry id - 1 */
    size_t nmsgs, capmsgs;
    evq_handle run_timer;
    sim_us run_at;
    struct mta_out *outs;      /* active outgoing connections */
    struct mta_sess *sessions; /* active incoming SMTP sessions */
    struct mta_acc *accs;      /* active POP3 / IMAP sessions */
    struct mta_web *webs;      /* active webmail sessions */
    struct rng chaos;          /* the scenario's chaos draws, own stream */
    bool up;
};

/* Put (msg, rcpt) in the queue; the message's refcount grows. */
void mta_enqueue(struct mta *m, struct mta_msg *msg, const char *rcpt, uint32_t peer);
/* Make sure the queue runner runs at time t (or earlier). */
void mta_schedule_run(struct mta *m, sim_us t);
/* Record the queue length in the trace. */
void mta_trace_queue(struct mta *m);
/* The message of queue entry id. */
struct mta_msg *mta_entry_msg(struct mta *m, uint32_t id);
/* Outcomes of one entry, from the outgoing side: record, bounce, free. */
void mta_entry_delivered(struct mta *m, uint32_t id, uint32_t peer, int code, const char *reply);
void mta_entry_failed(struct mta *m, uint32_t id, uint32_t peer, bool permanent, int code,
                      const char *reason);
/* Drop a reference; frees the message at zero. */
void mta_msg_unref(struct mta_msg *msg);

/* Start delivering a batch of due entries to domain (mta_out.c). Takes the
 * ids (copied). */
void mta_out_start(struct mta *m, const char *domain, const uint32_t *ids, size_t n);
/* Take custody of message id (data with our trace fields on top) for each
 * recipient: our users' mailboxes, or the queue. */
void mta_accept_rcpts(struct mta *m, uint32_t id, const char *sender, const char *const *rcpts,
                      size_t n, const char *data, size_t len, uint32_t peer);
void mta_accept_message(struct mta *m, uint32_t id, const char *sender, const char *rcpt,
                        const char *data, size_t len, uint32_t peer);
/* The scenario user with this login ("bob" or "bob@our.domain") and
 * password, or NULL. */
const struct scn_user *mta_login(struct mta *m, const char *user, const char *pass);
/* Webmail on port 80 when the scenario turns it on (mta_web.c). */
void mta_web_listen(struct mta *m);
void mta_web_free(struct mta_web *wb);

/* Listen on 110 (POP3) and 143 (IMAP). */
void mta_access_listen(struct mta *m);
/* The caller's inactivity timer for connection conn fired, or with
 * shutdown the server is going away (live mode):
 * the session's engine times out with its own reply (SMTP 421, IMAP
 * "* BYE", POP3 a silent autologout, RFC 1939 §3) and closes. False when no
 * SMTP, POP3 or IMAP session of m has that connection. */
bool mta_timeout_conn(struct mta *m, uint32_t conn, bool shutdown);
bool mta_acc_timeout_conn(struct mta *m, uint32_t conn, bool shutdown);
/* Free one access session without callbacks (also used at world end). */
void mta_acc_free(struct mta_acc *a);
/* If ev is a POP3 session's autologout timer, the server's host into *host
 * and true (the window's list of pending timers). */
bool mta_acc_event_host(const struct evq_info *ev, uint32_t *host);
/* Free one outgoing batch without callbacks (world end). */
void mta_out_free(struct mta_out *o);

/* Abort every outgoing connection (host down); entries are deferred. */
void mta_out_abort_all(struct mta *m);

#endif
