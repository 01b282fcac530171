/* bridge.h -- live mode: real sockets on 127.0.0.1 joined to the simulated
 * mail servers, so real mail clients (Thunderbird, curl, Python's smtplib,
 * poplib, imaplib) talk to the same engines the simulation uses.
 *
 * Each mail server of the scenario gets a listening socket per service (SMTP
 * 25, submission 587, POP3 110, IMAP 143, and HTTP 80 when it offers
 * webmail). A real connection becomes a simulated TCP connection from the
 * host "real-client" (added to the world, with a link to every mail server),
 * so the trace records its lines like any other. Simulated time follows the
 * wall clock. Guards (docs/live-mode.md, bad-inputs.md a.5 and X8): loopback
 * only unless an address is named, caps on concurrent connections in all and
 * per client address (the next one gets the protocol's "too busy" reply; a
 * slot is free the moment its client closes), idle and trickle deadlines
 * (the simulated server's own engine times the session out), bounded
 * buffers both ways (a socket is not read while the simulated side is
 * full), a trace that forgets its oldest records (bounded memory). Every
 * line a real client reads was written by a simulated server's engine (an
 * HTTP request line on a mail port included: the engines refuse it, X8,
 * L1); the bridge writes none of its own. A port listens only while its
 * simulated server is up and listening, so a client of a server that is
 * down gets "connection refused"; a connection whose simulated connect
 * fails anyway is reset (RST). With --tls the
 * bridge terminates TLS on the real socket (bridge_tls.h) after the
 * engine's own answer to STARTTLS, or from the first byte on the implicit-
 * TLS ports. Invariant: the bridge never opens a connection to anything
 * outside the simulation. */
#ifndef MAILSIM_BRIDGE_BRIDGE_H
#define MAILSIM_BRIDGE_BRIDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/common.h"
#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

/* The services a mail server offers through the bridge. */
enum bridge_proto {
    BRIDGE_SMTP,        /* simulated port 25 */
    BRIDGE_SUBMISSION,  /* simulated port 587 */
    BRIDGE_POP3,        /* simulated port 110 */
    BRIDGE_IMAP,        /* simulated port 143 */
    BRIDGE_HTTP,        /* simulated port 80 (webmail) */
    BRIDGE_SUBMISSIONS, /* implicit TLS (RFC 8314), --tls only: to simulated port 587 */
    BRIDGE_POP3S,       /* implicit TLS, --tls only: to simulated port 110 */
    BRIDGE_IMAPS,       /* implicit TLS, --tls only: to simulated port 143 */
    BRIDGE_PROTO_COUNT
};

/* Name as printed at start: "smtp", "submission", "pop3", "imap", "http",
 * "submissions", "pop3s", "imaps"; "?" when out of range. Can't fail. */
const char *bridge_proto_name(enum bridge_proto p);
/* The simulated port of p (25, 587, 110, 143, 80, and 587, 110, 143 for
 * the implicit-TLS services); 0 when out of range. */
uint16_t bridge_sim_port(enum bridge_proto p);
/* The plain service an implicit-TLS one carries (SUBMISSIONS -> SUBMISSION,
 * POP3S -> POP3, IMAPS -> IMAP); p itself otherwise. */
enum bridge_proto bridge_proto_plain(enum bridge_proto p);
/* True for the implicit-TLS services. */
bool bridge_proto_is_tls(enum bridge_proto p);

/* The real port of service p of the k-th mail server (0-based, scenario
 * order): base + offset(p) + k * step, with offsets +25, +87, -1390, -1357,
 * +5580, and -35, -505, -507 for the implicit-TLS ports, so base 2500 gives
 * 2525, 2587, 1110, 1143, 8080 (2465, 1995, 1993 with --tls) and step 10000
 * puts the second server at 12525, 12587, 11110, 11143, 18080. Returns -1
 * when the port falls outside 1024..65535. base 0 means "any free port"
 * and gives 0. Can't fail otherwise. */
int32_t bridge_port(uint32_t base, uint32_t step, size_t k, enum bridge_proto p);

/* Why a session ended early, for the summary's counters. The bridge itself
 * writes no protocol line for any of them: the simulated server's engine
 * answers (its busy greeting, its HTTP refusal, its timeout or shutdown
 * reply, its "too many bad commands"), or the real connection is reset. */
enum bridge_close_why {
    BRIDGE_WHY_BUSY,        /* the connection cap is reached */
    BRIDGE_WHY_HTTP,        /* the engine refused an HTTP request line (X8, L1) */
    BRIDGE_WHY_IDLE,        /* the idle timeout passed */
    BRIDGE_WHY_ERRORS,      /* the engine's limit of consecutive bad commands */
    BRIDGE_WHY_SHUTDOWN,    /* mailsim is stopping */
    BRIDGE_WHY_UNREACHABLE, /* the simulated connect failed: the real one is reset */
    BRIDGE_WHY_SLOW,        /* a command line or data arrived too slowly (a trickle) */
    BRIDGE_WHY_PER_ADDR,    /* too many connections from the client's address */
    BRIDGE_WHY_COUNT
};

/* A listening address given with --listen: a literal IPv4 or IPv6 address
 * (no host names: they could resolve to anything). */
struct bridge_addr {
    int family;          /* AF_INET or AF_INET6 */
    unsigned char a[16]; /* network byte order: 4 or 16 bytes */
    bool loopback;       /* 127.0.0.0/8 or ::1 */
    char text[64];       /* as printed */
};

/* Parse text as a literal IP address. Returns false with err filled
 * ("--listen: \"localhost\" is not a literal IP address (e.g. 127.0.0.1,
 * ::1)") otherwise. */
bool bridge_addr_parse(const char *text, struct bridge_addr *out, struct ms_error *err);

#define BRIDGE_MAX_CONNS_DEFAULT 32
/* Live mode runs for hours: the trace keeps the most recent records, about
 * this many bytes (whole 1 MiB chunks), and forgets older ones once they
 * are printed and counted (trace_forget). A window drawing the live trace
 * reads records from trace_first() on. */
#define BRIDGE_TRACE_KEEP_DEFAULT ((size_t)8 << 20)
/* Idle timeouts by protocol, the least each RFC allows: SMTP 5 minutes
 * (RFC 5321 §4.5.3.2.7), POP3 10 minutes (RFC 1939 §3), IMAP 30 minutes
 * (RFC 3501 §5.4, so IDLE clients that renew every 29 minutes stay), HTTP
 * 5 minutes. */
#define BRIDGE_IDLE_SMTP_MS (5 * 60 * 1000)
#define BRIDGE_IDLE_POP3_MS (10 * 60 * 1000)
#define BRIDGE_IDLE_IMAP_MS (30 * 60 * 1000)
#define BRIDGE_IDLE_HTTP_MS (5 * 60 * 1000)
#define BRIDGE_MAX_PER_ADDR_DEFAULT 16
/* Deadlines a trickle cannot reset. Bytes the client sends that the server
 * has not answered yet (a command line still without its CRLF, a message
 * in DATA, an IMAP literal) are "pending" from their first byte: once they
 * have been pending BRIDGE_PENDING_MS, the client must have sent them at
 * BRIDGE_MIN_RATE bytes per second or more on average, else the session is
 * ended. So a whole command line must arrive within 30 s, and DATA and
 * literals at 1 KiB/s at least; one byte a second keeps nothing open. Any
 * byte from the server ends the pending run. */
#define BRIDGE_PENDING_MS (30 * 1000)
#define BRIDGE_MIN_RATE 1024
/* Consecutive replies an engine marks LINE_F_BAD before it closes
 * (SMTP_SERVER_MAX_BAD, POP3_MAX_BAD, IMAP_MAX_BAD); the summary counts
 * the sessions that reach it. */
#define BRIDGE_MAX_ERRORS 10
#define BRIDGE_IN_MAX (64 * 1024)            /* bytes read from a client, not yet simulated */
#define BRIDGE_SIM_INFLIGHT_MAX (256 * 1024) /* bytes in the simulated TCP not yet acked */
#define BRIDGE_OUT_MAX (32 * 1024 * 1024)    /* bytes for a client that it has not read */

struct bridge_cfg {
    struct bridge_addr listen; /* default 127.0.0.1 */
    uint32_t port_base;        /* default 2500; 0 = free ports chosen by the system */
    uint32_t port_step;        /* default 10000 */
    size_t max_conns;          /* default 32 */
    size_t max_per_addr;       /* default 16: open connections from one client address */
    int64_t idle_ms;           /* 0 (default): by protocol, see above; else for all */
    int64_t pending_ms;        /* default BRIDGE_PENDING_MS (--line-timeout) */
    bool log_all;              /* log segments and TCP states too */
    size_t trace_keep;         /* bytes of trace records kept (default 8 MiB); 0 = all */
    bool tls;                  /* --tls: STARTTLS and the implicit-TLS ports */
    const char *tls_cert;      /* --tls-cert FILE (PEM; with tls_key); NULL: made at start */
    const char *tls_key;       /* --tls-key FILE (PEM) */
};

/* The defaults above. Can't fail. */
void bridge_cfg_default(struct bridge_cfg *cfg);
/* The idle timeout of protocol p under cfg, in milliseconds. Can't fail. */
int64_t bridge_idle_ms(const struct bridge_cfg *cfg, enum bridge_proto p);

struct bridge;

/* Open the bridge on world w (built from s, recording into tr; all
 * borrowed, must outlive the bridge; w must not have run yet): adds the
 * host "real-client" and a link to every mail server, opens the listening
 * sockets and prints one line per port to log ("live: mail.example.org smtp
 * 127.0.0.1:2525 -> port 25"). log may be NULL. Returns NULL with err filled
 * when a socket cannot be opened (port in use, address not local) or a port
 * is out of range; nothing is left open then. */
struct bridge *bridge_new(struct world *w, const struct scn_scenario *s, struct trace *tr,
                          const struct bridge_cfg *cfg, FILE *log, struct ms_error *err);

/* Stop: close the listeners and ask each session's simulated server to
 * shut down with its own goodbye (SMTP "421 4.3.2 ... shutting down",
 * IMAP "* BYE Server shutting down", POP3 "-ERR [SYS/TEMP] ... shutting
 * down"; webmail, and a session still connecting, just close), then
 * run the live loop up to max_wait_ms while the goodbyes reach the clients
 * and the sockets close. A second call does nothing. */
void bridge_shutdown(struct bridge *b, int max_wait_ms);
/* bridge_shutdown(b, 1000) if not done, close what is left, and free the
 * bridge. Not the world. NULL is a no-op. */
void bridge_free(struct bridge *b);

/* One turn of the live loop: run the simulation up to the simulated time the
 * wall clock maps to, wait at most max_wait_ms (0: do not wait) for socket
 * readiness or the next simulated event, move bytes both ways, run again,
 * and log the new trace records. A window calls it with 0 once per frame
 * and draws in between; the headless loop calls it with a long wait.
 * Returns the simulated time reached. Errors on one connection end that
 * connection only. */
sim_us bridge_step(struct bridge *b, int max_wait_ms);

/* Sessions holding a slot now (a session whose client has closed holds
 * none, even while its last replies drain). Can't fail. */
size_t bridge_session_count(const struct bridge *b);
/* The real port bound for service p of the k-th mail server, 0 if none. */
uint16_t bridge_bound_port(const struct bridge *b, size_t k, enum bridge_proto p);
/* The net host id of "real-client". */
uint32_t bridge_client_host(const struct bridge *b);

/* Counters for the summary and tests. */
struct bridge_stats {
    size_t accepted;                    /* connections taken into the simulation */
    size_t closed_by[BRIDGE_WHY_COUNT]; /* turned away or ended by the bridge */
    size_t client_errors;               /* read/write errors, resets, slow readers */
    uint64_t bytes_in, bytes_out;       /* from / to real clients */
    size_t delivered, bounced;          /* message fates seen in the trace */
    size_t queued;                      /* in the servers' queues now */
};
void bridge_stats_get(const struct bridge *b, struct bridge_stats *out);
/* Print the counters, one short paragraph. Can't fail. */
void bridge_summary(const struct bridge *b, FILE *f);

/* The command line of live mode, as main.c's option table parsed it:
 *   --serve [FILE] [--port-base N] [--port-step N] [--listen ADDR]
 *           [--max-conns N] [--max-conns-per-addr N] [--idle-timeout DUR]
 *           [--line-timeout DUR] [--log-all] [--tls [--tls-cert F --tls-key F]]
 *           [--variant NAME] [--seed N]
 * Filled by bridge_cli_init, then bridge_cli_opt once per option. */
struct bridge_cli {
    struct bridge_cfg cfg;
    const char *file, *variant;
    bool has_seed;
    unsigned long long seed;
};
/* Defaults. This function can't fail. */
void bridge_cli_init(struct bridge_cli *c);
/* Take one live-mode option (opt: its name with the dashes, "--port-base")
 * and its value (NULL for a flag). Returns 0, or 2 with a message on stderr
 * that names the option and the bad value; -1 when opt is not live mode's. */
int bridge_cli_opt(struct bridge_cli *c, const char *opt, const char *val);
/* Run live mode until SIGINT or SIGTERM, then close everything, print the
 * summary and return 0. Returns 2 on a bad combination of options, 3 when
 * the scenario cannot be loaded, 1 when live mode cannot start (a port in
 * use). */
int bridge_cli_run(const struct bridge_cli *c);
/* The usage text of live mode (mailsim --serve --help). */
void bridge_cli_usage(FILE *f);

#endif
