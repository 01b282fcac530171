/* main.c -- mailsim's command line: parse arguments, dispatch. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h" /* issue 7: --serve, live mode for real mail clients */
#include "core/evq.h"
#include "mail/world.h" /* issue 4: --headless FILE and --transcript run a lesson */
#include "net/demo.h"
#include "net/net.h"
#include "trace/trace.h"
#include "ui/ui.h"      /* the window, PNG frames, no-display transcript (issue 6) */

enum { EXIT_OK = 0, EXIT_SIM_FAILED = 1, EXIT_USAGE = 2, EXIT_INPUT = 3 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mailsim [--headless [FILE.json]] [--seed N]\n"
            "       mailsim --serve [FILE.json] [options]  (live mode: mailsim --serve --help)\n"
            "       mailsim --help | --version\n"
            "\n"
            "mailsim simulates Internet e-mail for a lecture: hosts, links, TCP, and the\n"
            "SMTP, POP3, IMAP and HTTP dialogues between them, recorded in a trace.\n"
            "\n"
            "  --headless [FILE]  run the scenario (default: the built-in one) without a\n"
            "                     window and print its timeline, one line per event\n"
            "  --serve [FILE]     run the lesson in real time and let real mail clients\n"
            "                     connect on 127.0.0.1 (docs/live-mode.md)\n"
            "  --seed N           random seed (default 1): same seed, same run\n"
            "  --help             this text\n"
            "  --version          print the version\n"
            "\n"
            "exit status: 0 success, 1 the simulation failed its own checks,\n"
            "             2 bad command line, 3 unreadable or invalid scenario file\n");
}

/* The built-in world, traced and printed. */
static int run_headless_default(unsigned long long seed)
{
    struct evq *q = evq_new();
    struct trace *tr = trace_new();
    struct net *n = net_new(q, seed, NULL);
    net_set_observer(n, trace_on_netev, tr);
    struct net_demo *d = net_demo_new(n, 3000);
    evq_run(q, SIM_US_MAX);
    int in_order = 0;
    size_t got = net_demo_received(d, &in_order);
    int rc = trace_write_text(tr, stdout) == 0 && got == 3000 && in_order ? EXIT_OK
                                                                          : EXIT_SIM_FAILED;
    net_demo_free(d);
    net_free(n);
    evq_free(q);
    trace_free(tr);
    return rc;
}

/* ---- the window (issue 6) ---------------------------------------------------- */

/* The window's simulator: scenario s run to the end, into a new trace. The
 * window calls it again, with a fault added, when a host or link is clicked. */
static struct trace *main_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    struct trace *tr = trace_new();
    struct world *w = world_new(s, tr, NULL, err);
    if (!w) {
        trace_free(tr);
        return NULL;
    }
    world_run(w, SIM_US_MAX);
    world_free(w);
    return tr;
}

/* Everything that is not a headless run: the window, --render-step, ... */
static int main_window(int argc, char **argv)
{
    struct ui_sim sim = {NULL, main_simulate, world_transcript};
    return ui_cli_run(argc, argv, &sim);
}

int main(int argc, char **argv)
{
    int live_rc = bridge_cli(argc, argv); /* issue 7: -1 when there is no --serve */
    if (live_rc >= 0) return live_rc;
    int mail_rc = world_cli(argc, argv); /* issue 4: -1 when not its options */
    if (mail_rc >= 0) return mail_rc;
    int headless = 0;
    const char *file = NULL;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            usage(stdout);
            fputs(ui_cli_usage(), stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("mailsim %s\n", MAILSIM_VERSION);
            return EXIT_OK;
        } else if (strcmp(a, "--headless") == 0) {
            headless = 1;
            if (i + 1 < argc && argv[i + 1][0] != '-') file = argv[++i];
        } else if (strcmp(a, "--seed") == 0 && i + 1 < argc) {
            char *end;
            seed = strtoull(argv[++i], &end, 10);
            if (*end || argv[i][0] == '\0' || argv[i][0] == '-') {
                fprintf(stderr, "mailsim: --seed needs a non-negative integer, not \"%s\"\n",
                        argv[i]);
                return EXIT_USAGE;
            }
        } else {
            return main_window(argc, argv); /* the window's options and FILE */
        }
    }
    if (file) {
        fprintf(stderr, "mailsim: %s: scenario files are not supported yet\n", file);
        return EXIT_INPUT;
    }
    if (!headless)
        return main_window(argc, argv);
    return run_headless_default(seed);
}
