/* world_smtpc.h -- an SMTP client engine on a simulated TCP connection
 * (private to sim/mail). Every recipient of every transaction added gets
 * exactly one rcpt_outcome callback (a refused or timed-out connection gives
 * TEMPFAIL with the TCP reason as text), then done() runs once and the
 * object is freed: do not use it after done(). */
#ifndef MAILSIM_MAIL_WORLD_SMTPC_H
#define MAILSIM_MAIL_WORLD_SMTPC_H

#include "mail/world_int.h"
#include "proto/smtp_client.h"

struct world_smtpc;

struct world_smtpc_ops {
    /* text: the first line of the deciding reply, or the local reason. */
    void (*rcpt_outcome)(void *ctx, void *txn_user, size_t rcpt_index, enum smtp_outcome o,
                         int code, const char *text);
    /* The connection is over (TCP_ERR_OK after QUIT, else why). */
    void (*done)(void *ctx, enum tcp_err err);
};

/* Connect host -> dst:port and speak SMTP with cfg. ops is static storage. */
struct world_smtpc *world_smtpc_new(struct world *w, uint32_t host, uint32_t dst, uint16_t port,
                                    const struct smtp_client_cfg *cfg,
                                    const struct world_smtpc_ops *ops, void *ctx);
/* Queue a transaction (borrowed until its recipients' outcomes). */
bool world_smtpc_add(struct world_smtpc *s, const struct smtp_client_txn *t, struct ms_error *err);
/* No more transactions: QUIT when done. */
void world_smtpc_quit(struct world_smtpc *s);
/* Tear down now (our host went down): outcomes and done() follow at once. */
void world_smtpc_abort(struct world_smtpc *s);
/* Free without callbacks (used internally after done()). */
void world_smtpc_free(struct world_smtpc *s);

/* If ev is an SMTP client's inactivity timer, the client's host into *host
 * (for the future-event view). Can't fail. */
bool world_smtpc_event_host(const struct evq_info *ev, uint32_t *host);

#endif
