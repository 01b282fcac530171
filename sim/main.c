/* main.c -- mailsim's command line: parse the common options, dispatch.
 *
 * Each part of the program owns its options and says -1 when argv is not
 * for it: live mode (bridge_cli: --serve), the headless runs and exports
 * (world_cli: --headless, --transcript, --pcap, --export-*), and otherwise
 * the window (ui_cli_run: FILE, --render-step, --export-frames, ...).
 * main.c itself handles --help, --version and the network demo. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bridge/bridge.h"
#include "core/evq.h"
#include "mail/ua_eml.h"
#include "mail/world.h"
#include "net/demo.h"
#include "net/net.h"
#include "scenario/lesson.h"
#include "trace/trace.h"
#include "trace/transcript.h"
#include "ui/ui.h"

enum { EXIT_OK = 0, EXIT_SIM_FAILED = 1, EXIT_USAGE = 2, EXIT_INPUT = 3, EXIT_OUTPUT = 4 };

static void usage(FILE *f)
{
    fprintf(f,
            "usage: mailsim [LESSON | FILE.json]             the lecture window\n"
            "       mailsim --pick                           the window, choosing a lesson first\n"
            "       mailsim --list                           every lesson: number, name, title\n"
            "       mailsim --check FILE.json...             load and check lessons, run nothing\n"
            "       mailsim --transcript [FILE.json]         the textbook C:/S: dialogue\n"
            "       mailsim --headless [FILE.json]           every trace record, one per line\n"
            "       mailsim --pcap OUT.pcap [FILE.json]      exports (also --export-mermaid OUT.md,\n"
            "                                                --export-jsonl OUT.jsonl)\n"
            "       mailsim --render-step K --out F.png [FILE.json]   one frame, no display needed\n"
            "       mailsim --serve [FILE.json]              live mode for real mail clients\n"
            "       mailsim --import-eml MSG.eml [...]       Alice's first message is the file MSG.eml\n"
            "       mailsim --net-demo                       two hosts and one TCP transfer\n"
            "       mailsim --help | --version\n"
            "\n"
            "mailsim simulates Internet e-mail for a lecture: user agents, mail servers, their\n"
            "queues and mailboxes, DNS, routers and TCP links, speaking real SMTP, POP3, IMAP\n"
            "and HTTP. Without FILE it runs the built-in lesson (Alice writes to Bob).\n"
            "LESSON is a lesson's number or name (03, server-down): it is looked for in\n"
            "./scenarios, then in the directories of MAILSIM_PATH, then where mailsim is\n"
            "installed (mailsim --list shows what is found where).\n"
            "\n"
            "common options:\n"
            "  --seed N           random seed (default: the scenario's): same seed, same run\n"
            "  --variant NAME     run the named variant of the scenario\n"
            "  --list             every lesson found: number, name, title, summary, folder\n"
            "  --list-names       the lessons' names only, one a line (shell completion)\n"
            "  --help             this text\n"
            "  --version          print the version\n"
            "\n"
            "exit status: 0 success, 1 the simulation failed its own checks (a message lost),\n"
            "             2 bad command line, 3 unreadable or invalid scenario file, or no\n"
            "             lesson of that name,\n"
            "             4 an output file could not be written\n"
            "\n"
            "window options:\n");
    fputs(ui_cli_usage(), f);
    fputs("\nlive mode options: mailsim --serve --help\n"
          "documentation: man mailsim, man mailsim-scenario; docs/user-guide.md,\n"
          "docs/scenario-format.md, docs/exports.md\n",
          f);
}

/* The foundation's two-host world, traced and printed. */
static int run_net_demo(unsigned long long seed)
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

/* The window's simulator: scenario s run to the end, into a new trace. The
 * window calls it again, with a fault added, when a host or link is clicked. */
static struct trace *main_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    /* ctx: the --import-eml file, sent in place of Alice's first message. */
    struct scn_scenario *copy = NULL;
    if (ctx) {
        struct scn_error serr;
        copy = scn_clone(s, &serr);
        if (!copy) {
            snprintf(err->msg, sizeof err->msg, "%.180s", serr.text);
            return NULL;
        }
        if (!ua_eml_import_file(copy, ctx, err)) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "--import-eml %.40s: %.130s", (const char *)ctx, err->msg);
            memcpy(err->msg, m, sizeof m);
            scn_free(copy);
            return NULL;
        }
        s = copy;
    }
    /* Every labelled timer noted, for the future-event view (E). */
    struct trace *tr = world_simulate(s, true, err);
    scn_free(copy);
    return tr;
}

/* Parse "--seed N" for the demo. Returns false with a message when bad. */
static bool main_seed(const char *v, unsigned long long *seed)
{
    char *end;
    if (v[0] == '\0' || v[0] == '-' || v[0] == '+') goto bad;
    *seed = strtoull(v, &end, 10);
    if (*end == '\0') return true;
bad:
    fprintf(stderr, "mailsim: --seed needs a non-negative integer, not \"%s\"\n", v);
    return false;
}

int main(int argc, char **argv)
{
    bool net_demo = false;
    unsigned long long seed = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            if (i > 1 && strcmp(argv[1], "--serve") == 0) break; /* live mode's own help */
            usage(stdout);
            return EXIT_OK;
        } else if (strcmp(a, "--version") == 0) {
            printf("mailsim %s\n", MAILSIM_VERSION);
            return EXIT_OK;
        } else if (strcmp(a, "--list") == 0 || strcmp(a, "--list-names") == 0) {
            bool names = strcmp(a, "--list-names") == 0;
            return scn_lessons_print(stdout, names) == 0 ? EXIT_OK : EXIT_OUTPUT;
        } else if (strcmp(a, "--net-demo") == 0) {
            net_demo = true;
        } else if (strcmp(a, "--seed") == 0) {
            if (i + 1 >= argc) {
                fprintf(stderr, "mailsim: --seed needs a number\n");
                return EXIT_USAGE;
            }
            if (!main_seed(argv[++i], &seed)) return EXIT_USAGE;
        }
    }
    if (net_demo) return run_net_demo(seed);

    int rc = bridge_cli(argc, argv); /* --serve */
    if (rc >= 0) return rc;
    rc = world_cli(argc, argv); /* --headless, --transcript, exports */
    if (rc >= 0) return rc;
    /* --import-eml is world_cli's; for the window it changes what is simulated. */
    const char *eml = NULL;
    int n = 0;
    for (int i = 0; i < argc; i++) {
        if (i > 0 && strcmp(argv[i], "--import-eml") == 0 && i + 1 < argc) {
            eml = argv[++i];
            continue;
        }
        argv[n++] = argv[i];
    }
    argv[n] = NULL;
    struct ui_sim sim = {(void *)eml, main_simulate, trace_transcript};
    return ui_cli_run(n, argv, &sim); /* the window and its options */
}
