/* main.c -- mailsim's command line: one getopt_long table of every option,
 * read once, then the run it asks for.
 *
 * Each option in MAIN_OPTIONS names the part of the program whose option it
 * is: the window (ui_cli_opt), the runs without a window and the exports
 * (world_cli_run: --headless, --transcript, --pcap, --export-*, --check),
 * live mode (bridge_cli_opt: --serve) or main.c itself (--help, --version,
 * --list, --net-demo, and --seed, --variant, --import-eml, which several
 * parts take). Values are checked by their owner, each error naming the
 * option and the bad value; the exit status is the one the usage text gives
 * (EXIT_*). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
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
    fprintf(
        f,
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
        "exit status: 0 success, 1 the simulation failed its own checks (a message lost)\n"
        "             or the window or live mode could not run, 2 bad command line,\n"
        "             3 unreadable or invalid scenario file, or no lesson of that name,\n"
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
    int rc =
        trace_write_text(tr, stdout) == 0 && got == 3000 && in_order ? EXIT_OK : EXIT_SIM_FAILED;
    net_demo_free(d);
    net_free(n);
    evq_free(q);
    trace_free(tr);
    return rc;
}

/* The window's simulator: scenario s run to the end, into a new trace. The
 * window calls it again, with a fault added, when a host or link is clicked. */
struct main_sim {
    const char *eml; /* --import-eml: sent in place of Alice's first message */
    bool has_seed;   /* --seed: in place of the scenario's */
    unsigned long long seed;
};

static struct trace *main_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    const struct main_sim *ms = ctx;
    struct scn_scenario *copy = NULL;
    if (ms->eml || ms->has_seed) {
        struct scn_error serr;
        copy = scn_clone(s, &serr);
        if (!copy) {
            ms_error_set(err, 1, NULL, "%.180s", serr.text);
            return NULL;
        }
        if (ms->has_seed) copy->seed = ms->seed;
        if (ms->eml && !ua_eml_import_file(copy, ms->eml, err)) {
            char m[sizeof err->msg];
            snprintf(m, sizeof m, "--import-eml %.40s: %.130s", ms->eml, err->msg);
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

/* Who takes an option. */
enum main_owner {
    OWN_MAIN,   /* main.c: help, version, lists, the network demo */
    OWN_ANY,    /* every run: --seed, --variant */
    OWN_SIM,    /* the window and the runs without one: --import-eml */
    OWN_WORLD,  /* the runs without a window and the exports */
    OWN_SERVE,  /* live mode */
    OWN_WINDOW, /* the window */
};

/* Every option of mailsim: X(name, argument, owner). */
#define MAIN_OPTIONS(X)                                                                            \
    X("help", no_argument, OWN_MAIN)                                                               \
    X("version", no_argument, OWN_MAIN)                                                            \
    X("list", no_argument, OWN_MAIN)                                                               \
    X("list-names", no_argument, OWN_MAIN)                                                         \
    X("net-demo", no_argument, OWN_MAIN)                                                           \
    X("seed", required_argument, OWN_ANY)                                                          \
    X("variant", required_argument, OWN_ANY)                                                       \
    X("import-eml", required_argument, OWN_SIM)                                                    \
    X("check", no_argument, OWN_WORLD)                                                             \
    X("headless", no_argument, OWN_WORLD)                                                          \
    X("transcript", no_argument, OWN_WORLD)                                                        \
    X("pcap", required_argument, OWN_WORLD)                                                        \
    X("export-mermaid", required_argument, OWN_WORLD)                                              \
    X("export-jsonl", required_argument, OWN_WORLD)                                                \
    X("serve", no_argument, OWN_SERVE)                                                             \
    X("port-base", required_argument, OWN_SERVE)                                                   \
    X("port-step", required_argument, OWN_SERVE)                                                   \
    X("listen", required_argument, OWN_SERVE)                                                      \
    X("max-conns", required_argument, OWN_SERVE)                                                   \
    X("max-conns-per-addr", required_argument, OWN_SERVE)                                          \
    X("idle-timeout", required_argument, OWN_SERVE)                                                \
    X("line-timeout", required_argument, OWN_SERVE)                                                \
    X("log-all", no_argument, OWN_SERVE)                                                           \
    X("tls", no_argument, OWN_SERVE)                                                               \
    X("tls-cert", required_argument, OWN_SERVE)                                                    \
    X("tls-key", required_argument, OWN_SERVE)                                                     \
    X("render-step", required_argument, OWN_WINDOW)                                                \
    X("out", required_argument, OWN_WINDOW)                                                        \
    X("layout-json", required_argument, OWN_WINDOW)                                                \
    X("focus", required_argument, OWN_WINDOW)                                                      \
    X("export-frames", required_argument, OWN_WINDOW)                                              \
    X("export-video", required_argument, OWN_WINDOW)                                               \
    X("steps", required_argument, OWN_WINDOW)                                                      \
    X("video-rate", required_argument, OWN_WINDOW)                                                 \
    X("png-level", required_argument, OWN_WINDOW)                                                  \
    X("size", required_argument, OWN_WINDOW)                                                       \
    X("step", required_argument, OWN_WINDOW)                                                       \
    X("theme", required_argument, OWN_WINDOW)                                                      \
    X("zoom", required_argument, OWN_WINDOW)                                                       \
    X("no-tcp-detail", no_argument, OWN_WINDOW)                                                    \
    X("help-overlay", no_argument, OWN_WINDOW)                                                     \
    X("inspect", required_argument, OWN_WINDOW)                                                    \
    X("message", required_argument, OWN_WINDOW)                                                    \
    X("dump-messages", required_argument, OWN_WINDOW)                                              \
    X("text", no_argument, OWN_WINDOW)                                                             \
    X("save-scenario", required_argument, OWN_WINDOW)                                              \
    X("force", no_argument, OWN_WINDOW)                                                            \
    X("future", no_argument, OWN_WINDOW)                                                           \
    X("whole-connection", no_argument, OWN_WINDOW)                                                 \
    X("pin", required_argument, OWN_WINDOW)                                                        \
    X("quiz", no_argument, OWN_WINDOW)                                                             \
    X("quiz-answer", required_argument, OWN_WINDOW)                                                \
    X("menu", required_argument, OWN_WINDOW)                                                       \
    X("pick", no_argument, OWN_WINDOW)

#define MAIN_OPT_LONG(name, arg, owner) {name, arg, NULL, 0},
#define MAIN_OPT_DASHED(name, arg, owner) "--" name,
#define MAIN_OPT_OWNER(name, arg, owner) owner,
static const struct option main_opts[] = {MAIN_OPTIONS(MAIN_OPT_LONG){NULL, 0, NULL, 0}};
static const char *const main_opt_names[] = {MAIN_OPTIONS(MAIN_OPT_DASHED)};
static const enum main_owner main_opt_owner[] = {MAIN_OPTIONS(MAIN_OPT_OWNER)};
#define MAIN_N_OPTS MS_ARRAY_LEN(main_opt_names)

/* One option as given: its index in main_opts and its value (NULL: a flag). */
struct main_arg {
    size_t opt;
    const char *val;
};

/* The command line, read once. */
struct main_cmd {
    struct main_arg *args; /* options in the order given */
    size_t n_args;
    char **files; /* the words that are not options */
    int n_files;
    bool given[MAIN_N_OPTS];
    bool has_seed;
    unsigned long long seed;
    const char *variant, *eml;
};

/* The index of the option named --name. */
static size_t main_opt(const char *name)
{
    for (size_t k = 0; k < MAIN_N_OPTS; k++)
        if (strcmp(main_opt_names[k] + 2, name) == 0) return k;
    ms_fatal("main_opt: no option --%s", name);
}

static bool main_given(const struct main_cmd *c, const char *name)
{
    return c->given[main_opt(name)];
}

/* Check --seed's value: a whole decimal number, nothing before or after. */
static bool main_seed(const char *v, unsigned long long *seed)
{
    char *end;
    if (v[0] >= '0' && v[0] <= '9') {
        errno = 0;
        *seed = strtoull(v, &end, 10);
        if (*end == '\0' && errno == 0) return true;
    }
    fprintf(stderr, "mailsim: --seed: \"%s\" is not a non-negative integer (0 to %llu)\n", v,
            (unsigned long long)ULLONG_MAX);
    return false;
}

/* Read argv with getopt_long into *c. Returns -1, or EXIT_USAGE after
 * saying what is wrong. */
static int main_read(int argc, char **argv, struct main_cmd *c)
{
    memset(c, 0, sizeof *c);
    c->args = ms_xcalloc((size_t)argc, sizeof *c->args);
    c->files = ms_xcalloc((size_t)argc + 1, sizeof *c->files);
    opterr = 0;
    optind = 1;
    int ch, k = -1;
    /* "-": words that are not options come back in order as 1; ":": a
     * missing value comes back as ':'. */
    while ((ch = getopt_long(argc, argv, "-:h", main_opts, &k)) != -1) {
        const char *word = argv[optind - 1];
        if (ch == 1) {
            c->files[c->n_files++] = optarg;
        } else if (ch == 'h') {
            c->given[main_opt("help")] = true;
        } else if (ch == ':') {
            fprintf(stderr, "mailsim: %s needs a value (try --help)\n", word);
            return EXIT_USAGE;
        } else if (ch == '?') {
            const char *eq = strchr(word, '=');
            if (optopt == 0 && eq && strncmp(word, "--", 2) == 0)
                fprintf(stderr, "mailsim: %.*s takes no value, not \"%s\"\n", (int)(eq - word),
                        word, eq + 1);
            else if (optopt && optopt != '?')
                fprintf(stderr, "mailsim: unknown argument \"-%c\" (try --help)\n", optopt);
            else
                fprintf(stderr, "mailsim: unknown argument \"%s\" (try --help)\n", word);
            return EXIT_USAGE;
        } else if (ch == 0 && k >= 0) {
            size_t o = (size_t)k;
            const char *name = main_opt_names[o];
            /* An empty file name; other values are checked by their owner. */
            bool file_opt = main_opt_owner[o] == OWN_WORLD || strcmp(name, "--import-eml") == 0;
            if (file_opt && optarg && optarg[0] == '\0') {
                fprintf(stderr, "mailsim: %s needs a value, not \"\"\n", name);
                return EXIT_USAGE;
            }
            c->given[o] = true;
            c->args[c->n_args++] = (struct main_arg){o, optarg};
            if (strcmp(name, "--seed") == 0) {
                if (!main_seed(optarg, &c->seed)) return EXIT_USAGE;
                c->has_seed = true;
            } else if (strcmp(name, "--variant") == 0) {
                c->variant = optarg;
            } else if (strcmp(name, "--import-eml") == 0) {
                c->eml = optarg;
            }
        }
        k = -1;
    }
    return -1;
}

/* Refuse the options that belong to none of the owners the run takes. */
static int main_only(const struct main_cmd *c, const enum main_owner *ok, size_t n_ok,
                     const char *run)
{
    for (size_t i = 0; i < c->n_args; i++) {
        enum main_owner o = main_opt_owner[c->args[i].opt];
        bool fine = o == OWN_MAIN;
        for (size_t j = 0; j < n_ok; j++) fine = fine || o == ok[j];
        if (!fine && o == OWN_SERVE) {
            fprintf(stderr, "mailsim: %s needs --serve (mailsim --serve --help)\n",
                    main_opt_names[c->args[i].opt]);
            return EXIT_USAGE;
        }
        if (!fine) {
            fprintf(stderr, "mailsim: %s does not go with %s (try --help)\n",
                    main_opt_names[c->args[i].opt], run);
            return EXIT_USAGE;
        }
    }
    return -1;
}

/* At most one scenario FILE. */
static int main_one_file(const struct main_cmd *c, const char **file)
{
    if (c->n_files > 1) {
        fprintf(stderr, "mailsim: one scenario file at a time (got %s and %s)\n", c->files[0],
                c->files[1]);
        return EXIT_USAGE;
    }
    *file = c->n_files ? c->files[0] : NULL;
    return -1;
}

static int main_serve(const struct main_cmd *c)
{
    static const enum main_owner ok[] = {OWN_ANY, OWN_SERVE};
    int rc = main_only(c, ok, MS_ARRAY_LEN(ok), "--serve");
    if (rc >= 0) return rc;
    struct bridge_cli b;
    bridge_cli_init(&b);
    if ((rc = main_one_file(c, &b.file)) >= 0) return rc;
    b.variant = c->variant;
    b.has_seed = c->has_seed;
    b.seed = c->seed;
    for (size_t i = 0; i < c->n_args; i++) {
        if (main_opt_owner[c->args[i].opt] != OWN_SERVE) continue;
        rc = bridge_cli_opt(&b, main_opt_names[c->args[i].opt], c->args[i].val);
        if (rc > 0) return rc;
    }
    if ((b.cfg.tls_cert != NULL) != (b.cfg.tls_key != NULL) || (b.cfg.tls_cert && !b.cfg.tls)) {
        fprintf(stderr, "mailsim: --tls-cert and --tls-key go together, with --tls\n");
        return EXIT_USAGE;
    }
    return bridge_cli_run(&b);
}

static int main_world(const struct main_cmd *c)
{
    static const enum main_owner ok[] = {OWN_ANY, OWN_SIM, OWN_WORLD};
    int rc = main_only(c, ok, MS_ARRAY_LEN(ok), "--headless, --transcript or an export");
    if (rc >= 0) return rc;
    struct world_cli w;
    memset(&w, 0, sizeof w);
    if ((rc = main_one_file(c, &w.file)) >= 0) return rc;
    w.headless = main_given(c, "headless");
    w.transcript = main_given(c, "transcript");
    w.variant = c->variant;
    w.eml = c->eml;
    w.has_seed = c->has_seed;
    w.seed = c->seed;
    for (size_t i = 0; i < c->n_args; i++) {
        const char *name = main_opt_names[c->args[i].opt];
        if (strcmp(name, "--pcap") == 0) w.exports[WX_PCAP] = c->args[i].val;
        if (strcmp(name, "--export-mermaid") == 0) w.exports[WX_MERMAID] = c->args[i].val;
        if (strcmp(name, "--export-jsonl") == 0) w.exports[WX_JSONL] = c->args[i].val;
    }
    return world_cli_run(&w);
}

static int main_window(const struct main_cmd *c)
{
    static const enum main_owner ok[] = {OWN_ANY, OWN_SIM, OWN_WINDOW};
    int rc = main_only(c, ok, MS_ARRAY_LEN(ok), "the window");
    if (rc >= 0) return rc;
    struct ui_cli u;
    ui_cli_init(&u);
    if ((rc = main_one_file(c, &u.file)) >= 0) return rc;
    u.variant = c->variant;
    for (size_t i = 0; i < c->n_args; i++) {
        if (main_opt_owner[c->args[i].opt] != OWN_WINDOW) continue;
        rc = ui_cli_opt(&u, main_opt_names[c->args[i].opt], c->args[i].val);
        if (rc > 0) return rc;
    }
    struct main_sim ms = {c->eml, c->has_seed, c->seed};
    struct ui_sim sim = {&ms, main_simulate, trace_transcript};
    return ui_cli_run(&u, &sim);
}

static int main_run(int argc, char **argv, struct main_cmd *c)
{
    int rc = main_read(argc, argv, c);
    if (rc >= 0) return rc;
    bool serve = main_given(c, "serve");
    if (main_given(c, "help")) {
        if (serve)
            bridge_cli_usage(stdout); /* mailsim --serve --help */
        else
            usage(stdout);
        return EXIT_OK;
    }
    if (main_given(c, "version")) {
        printf("mailsim %s\n", MAILSIM_VERSION);
        return EXIT_OK;
    }
    if (main_given(c, "list") || main_given(c, "list-names"))
        return scn_lessons_print(stdout, !main_given(c, "list")) == 0 ? EXIT_OK : EXIT_OUTPUT;
    if (main_given(c, "net-demo")) return run_net_demo(c->has_seed ? c->seed : 1);
    if (serve) return main_serve(c);
    if (main_given(c, "check")) {
        for (size_t i = 0; i < c->n_args; i++) {
            if (strcmp(main_opt_names[c->args[i].opt], "--check") != 0) {
                fprintf(stderr, "mailsim: --check takes only scenario files, not %s\n",
                        main_opt_names[c->args[i].opt]);
                return EXIT_USAGE;
            }
        }
        return world_cli_check(c->files, c->n_files);
    }
    if (main_given(c, "headless") || main_given(c, "transcript") || main_given(c, "pcap") ||
        main_given(c, "export-mermaid") || main_given(c, "export-jsonl"))
        return main_world(c);
    return main_window(c);
}

int main(int argc, char **argv)
{
    struct main_cmd c;
    int rc = main_run(argc, argv, &c);
    free(c.args);
    free(c.files);
    return rc;
}
