/* world_live.h -- the small hook live mode (sim/bridge) needs into a world:
 * its network, to add the "real-client" host and its links before the world
 * runs, and its event queue, so simulated time can follow the wall clock
 * (world_run() stops at the lesson's horizon; live mode must not).
 * Nothing here changes how a world behaves. */
#ifndef MAILSIM_MAIL_WORLD_LIVE_H
#define MAILSIM_MAIL_WORLD_LIVE_H

#include "core/evq.h"
#include "mail/world.h"
#include "net/net.h"
#include "proto/line.h"

/* The world's network (borrowed; lives as long as the world). Can't fail. */
struct net *world_net(struct world *w);
/* The world's event queue (borrowed; lives as long as the world). Can't fail. */
struct evq *world_evq(struct world *w);

/* Key webmail's form tokens with secret[0..n) instead of the scenario's
 * seed, so a page elsewhere cannot compute them (live mode passes random
 * bytes). Call before the world runs. Can't fail. */
void world_live_web_secret(struct world *w, const unsigned char *secret, size_t n);

/* Live mode with --tls: the mail servers offer STARTTLS (SMTP), STLS (POP3)
 * and STARTTLS (IMAP) on connections from host peer, whose real ends the
 * bridge encrypts; simulated clients never see the offer. Call before the
 * world runs. Can't fail. */
void world_live_tls(struct world *w, uint32_t peer);
/* True when connections from host peer are offered STARTTLS. */
bool world_live_tls_for(const struct world *w, uint32_t peer);

/* Live mode's inactivity and slow-client timers: the session on connection
 * conn of mail server host times out through its own engine, which sends
 * its own closing reply (SMTP 421 4.4.2, IMAP "* BYE"; POP3 closes without
 * one, RFC 1939 §3) and closes. False when host has no SMTP, POP3 or IMAP
 * session on conn. */
bool world_live_timeout(struct world *w, uint32_t host, uint32_t conn);
/* The same when live mode stops: SMTP "421 4.3.2 ... shutting down", IMAP
 * "* BYE Server shutting down", POP3 "-ERR [SYS/TEMP] ... shutting down"
 * (RFC 2449 §8.1.2; between commands only). */
bool world_live_shutdown(struct world *w, uint32_t host, uint32_t conn);

/* Live mode traces the real clients' side of their connections from the
 * servers' engines: for every line the engine of a session with host peer
 * reads or writes (and sends), fn(ctx, conn, f) runs just before the
 * engine's own record is added. It returns TRACE_LF_* flags to add to that
 * record (TRACE_LF_TLS for a session the bridge encrypts from its first
 * byte), or 0. Call before the world runs. Can't fail. */
typedef unsigned world_live_tap_fn(void *ctx, uint32_t conn, const struct line_fact *f);
void world_live_tap(struct world *w, uint32_t peer, world_live_tap_fn *fn, void *ctx);

/* What live mode knows of a connection before the server accepts it. */
enum {
    /* The caller cannot serve it (live mode's connection caps): the server's
     * engine greets it with its own "busy" reply and closes (SMTP "421 <host>
     * Service not available, closing transmission channel", RFC 5321 §3.8;
     * POP3 "-ERR [SYS/TEMP] ...", RFC 2449 §8.1.2; IMAP "* BYE [UNAVAILABLE]
     * ...", RFC 3501 §7.1.5). */
    WORLD_LIVE_BUSY = 1u,
    /* Its real end is encrypted from the first byte (an implicit-TLS port,
     * RFC 8314): the server does not offer STARTTLS on it. */
    WORLD_LIVE_TLS = 2u,
};
/* Mark connection conn (not yet accepted) with WORLD_LIVE_* bits. Can't fail. */
void world_live_mark(struct world *w, uint32_t conn, unsigned marks);
/* The marks of conn, forgotten as they are read (0 when none); for the
 * servers as they accept it, and for the caller when it never was. */
unsigned world_live_take(struct world *w, uint32_t conn);

/* Bounded memory: when more than max Message-IDs are remembered (they
 * follow a message from hop to hop as one message number), forget them
 * all; a copy still in flight then gets a new number in the trace. The
 * strings stay while message numbers name them (one copy per message, as
 * world_msgid_of needs). Returns how many are remembered now. Can't fail. */
size_t world_msgid_trim(struct world *w, size_t max);

#endif
