/* bridge_cli.c -- mailsim --serve: live mode from the command line (see
 * bridge.h). Runs the headless live loop until SIGINT or SIGTERM. */
#include "bridge/bridge.h"

#include "core/dur.h"
#include "scenario/lesson.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

/* Set by the signal handler; the only state shared with it. */
static volatile sig_atomic_t bridge_cli_stop;

static void bridge_cli_on_signal(int sig)
{
    (void)sig;
    bridge_cli_stop = 1;
}

void bridge_cli_usage(FILE *f)
{
    fprintf(f,
            "usage: mailsim --serve [FILE] [--port-base N] [--port-step N] [--listen ADDR]\n"
            "                       [--max-conns N] [--max-conns-per-addr N]\n"
            "                       [--idle-timeout DUR] [--line-timeout DUR] [--log-all]\n"
            "                       [--tls [--tls-cert FILE --tls-key FILE]]\n"
            "                       [--variant NAME] [--seed N]\n"
            "Runs the lesson in FILE (default: the built-in lesson) in real time and lets real\n"
            "mail clients connect to its mail servers on 127.0.0.1. Ports are printed at start:\n"
            "with --port-base 2500 (the default) the first mail server is on 2525 (SMTP),\n"
            "2587 (submission), 1110 (POP3), 1143 (IMAP) and 8080 (webmail); the next one\n"
            "--port-step (10000) higher. --port-base 0 lets the system choose free ports.\n"
            "Idle clients are closed after --idle-timeout (default: SMTP 5m, POP3 10m,\n"
            "IMAP 30m); at most --max-conns (32) connections at once, --max-conns-per-addr\n"
            "(16) from one client address. A command line must arrive whole within\n"
            "--line-timeout (30s), and data (DATA, literals) at 1 KiB/s at least.\n"
            "--tls offers STARTTLS and opens implicit-TLS ports (2465 submissions, 1995\n"
            "pop3s, 1993 imaps) with a certificate made at start (or the given PEM files).\n"
            "A server's ports listen only while the lesson has it up: while it is down,\n"
            "clients get \"connection refused\". Ctrl-C stops it. See docs/live-mode.md.\n");
}

/* Parse a whole decimal number in lo..hi (X9: no atoi, no wrap-around). */
static bool bridge_cli_number(const char *opt, const char *text, unsigned long lo, unsigned long hi,
                              unsigned long *out)
{
    char *end = NULL;
    errno = 0;
    unsigned long v = (text[0] >= '0' && text[0] <= '9') ? strtoul(text, &end, 10) : 0;
    if (!end || *end != '\0' || errno || v < lo || v > hi) {
        fprintf(stderr, "mailsim: %s: \"%s\" is not a number from %lu to %lu\n", opt, text, lo, hi);
        return false;
    }
    *out = v;
    return true;
}

void bridge_cli_init(struct bridge_cli *c)
{
    memset(c, 0, sizeof *c);
    bridge_cfg_default(&c->cfg);
}

int bridge_cli_opt(struct bridge_cli *c, const char *a, const char *val)
{
    struct bridge_cfg *cfg = &c->cfg;
    unsigned long v;
    if (strcmp(a, "--log-all") == 0) {
        cfg->log_all = true;
    } else if (strcmp(a, "--port-base") == 0) {
        if (!bridge_cli_number(a, val, 0, 65535, &v)) return 2;
        cfg->port_base = (uint32_t)v;
    } else if (strcmp(a, "--port-step") == 0) {
        if (!bridge_cli_number(a, val, 1, 65535, &v)) return 2;
        cfg->port_step = (uint32_t)v;
    } else if (strcmp(a, "--max-conns") == 0) {
        if (!bridge_cli_number(a, val, 1, 10000, &v)) return 2;
        cfg->max_conns = v;
    } else if (strcmp(a, "--max-conns-per-addr") == 0) {
        if (!bridge_cli_number(a, val, 1, 10000, &v)) return 2;
        cfg->max_per_addr = v;
    } else if (strcmp(a, "--idle-timeout") == 0 || strcmp(a, "--line-timeout") == 0) {
        sim_us d;
        char why[160];
        if (!dur_parse(val, strlen(val), &d, why, sizeof why)) {
            fprintf(stderr, "mailsim: %s: %s\n", a, why);
            return 2;
        }
        if (d < SIM_US_PER_S) {
            fprintf(stderr, "mailsim: %s: \"%s\" is too short (at least 1s)\n", a, val);
            return 2;
        }
        if (a[2] == 'i')
            cfg->idle_ms = d / 1000;
        else
            cfg->pending_ms = d / 1000;
    } else if (strcmp(a, "--tls") == 0) {
        cfg->tls = true;
    } else if (strcmp(a, "--tls-cert") == 0) {
        cfg->tls_cert = val;
    } else if (strcmp(a, "--tls-key") == 0) {
        cfg->tls_key = val;
    } else if (strcmp(a, "--listen") == 0) {
        struct ms_error err;
        if (!bridge_addr_parse(val, &cfg->listen, &err)) {
            fprintf(stderr, "mailsim: %s: %s\n", err.where, err.msg);
            return 2;
        }
    } else {
        return -1;
    }
    return 0;
}

int bridge_cli_run(const struct bridge_cli *c)
{
    struct bridge_cfg cfg = c->cfg;
    const char *file = c->file, *variant = c->variant;
    if ((cfg.tls_cert != NULL) != (cfg.tls_key != NULL) || (cfg.tls_cert && !cfg.tls)) {
        fprintf(stderr, "mailsim: --tls-cert and --tls-key go together, with --tls\n");
        return 2;
    }
    struct scn_error serr;
    memset(&serr, 0, sizeof serr);
    struct scn_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.variant = variant;
    struct scn_scenario *s = file ? scn_load_lesson(file, &lo, &serr) : scn_load_default();
    if (!s) {
        fprintf(stderr, "%s\n", serr.text);
        return 3; /* unreadable or invalid scenario file */
    }
    if (c->has_seed) s->seed = c->seed;
    struct trace *tr = trace_new();
    struct ms_error err;
    memset(&err, 0, sizeof err);
    struct world *w = world_new(s, tr, NULL, &err);
    if (!w) {
        fprintf(stderr, "mailsim: %s: cannot build the world: %s\n", s->source, err.msg);
        trace_free(tr);
        scn_free(s);
        return 3;
    }
    printf("mailsim: %s (live)\n", s->title);
    if (!cfg.listen.loopback)
        printf("live: warning: listening on %s, not loopback: other machines can connect. The "
               "simulated servers still never send anything outside the simulation.\n",
               cfg.listen.text);
    struct bridge *b = bridge_new(w, s, tr, &cfg, stdout, &err);
    if (!b) {
        fprintf(stderr, "mailsim: %s\n", err.msg);
        world_free(w);
        trace_free(tr);
        scn_free(s);
        return err.where[0] == '-' ? 2 : 1; /* an option's value, or a port in use */
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = bridge_cli_on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
    printf("live: ready; simulated time follows the wall clock. Ctrl-C stops.\n");
    fflush(stdout);

    sim_us reached = 0;
    while (!bridge_cli_stop) reached = bridge_step(b, 1000);

    char when[32];
    bridge_shutdown(b, 1000);
    printf("live: stopping at simulated time %s\n", trace_format_time(reached, when, sizeof when));
    bridge_summary(b, stdout);
    struct bridge_stats st;
    bridge_stats_get(b, &st);
    bridge_free(b);
    printf("fates: %zu delivered, %zu still queued, %zu bounced\n", st.delivered, st.queued,
           st.bounced);
    fflush(stdout);
    world_free(w);
    trace_free(tr);
    scn_free(s);
    return 0;
}
