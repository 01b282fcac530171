/* world_cli.c -- mailsim --headless / --transcript (see world.h). */
#include "mail/world.h"

#include "core/evq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void world_cli_usage(FILE *f)
{
    fprintf(f, "usage: mailsim --headless [--variant NAME] [FILE]\n"
               "       mailsim --transcript [--variant NAME] [FILE]\n"
               "Runs the lesson in FILE (default: the built-in lesson) without a window and\n"
               "prints the trace (--headless) or the textbook dialogue (--transcript),\n"
               "then what became of every message and whether nothing was lost.\n");
}

static void world_cli_summary(FILE *f, const struct world_fates *fa, size_t violations,
                              const char *report)
{
    fprintf(f, "\nfates: %zu message(s) to %zu recipient(s): %zu delivered, %zu still queued, "
               "%zu bounced, %zu not sent",
            fa->messages, fa->composed, fa->delivered, fa->queued, fa->bounced, fa->rejected);
    if (fa->duplicates) fprintf(f, ", %zu duplicate(s) after a lost reply", fa->duplicates);
    fprintf(f, "\n");
    if (violations == 0)
        fprintf(f, "invariant: every message delivered, queued or bounced exactly once\n");
    else
        fprintf(f, "invariant: %zu violation(s)\n%s", violations, report);
}

int world_cli(int argc, char **argv)
{
    bool headless = false, transcript = false;
    const char *file = NULL, *variant = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--headless") == 0) {
            headless = true;
        } else if (strcmp(argv[i], "--transcript") == 0) {
            transcript = true;
        } else if (strcmp(argv[i], "--variant") == 0 && i + 1 < argc) {
            variant = argv[++i];
        } else if (argv[i][0] == '-' && argv[i][1] != '\0') {
            if (!headless && !transcript) return -1;
            fprintf(stderr, "mailsim: unknown option %s\n", argv[i]);
            world_cli_usage(stderr);
            return 2;
        } else if (!file) {
            file = argv[i];
        } else {
            world_cli_usage(stderr);
            return 2;
        }
    }
    if (!headless && !transcript) return -1;
    struct scn_error err;
    memset(&err, 0, sizeof err);
    struct scn_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.variant = variant;
    struct scn_scenario *s = file ? scn_load_file(file, &lo, &err) : scn_load_default();
    if (!s) {
        fprintf(stderr, "%s\n", err.text);
        return 2;
    }
    struct trace *tr = trace_new();
    struct ms_error merr;
    memset(&merr, 0, sizeof merr);
    struct world *w = world_new(s, tr, NULL, &merr);
    if (!w) {
        fprintf(stderr, "mailsim: %s: cannot build the world: %s\n", s->source, merr.msg);
        trace_free(tr);
        scn_free(s);
        return 2;
    }
    sim_us end = world_run(w, SIM_US_MAX);
    (void)end;
    char *report = malloc(65536);
    if (!report) abort();
    report[0] = '\0';
    struct world_fates fa;
    size_t v = world_check(tr, s, trace_end_time(tr), report, 65536, &fa);
    printf("mailsim: %s\n", s->title);
    if (transcript)
        world_transcript(tr, stdout);
    else
        trace_write_text(tr, stdout);
    world_cli_summary(stdout, &fa, v, report);
    free(report);
    world_free(w);
    trace_free(tr);
    scn_free(s);
    return v == 0 ? 0 : 1;
}
