/* world_cli.c -- mailsim --headless / --transcript (see world.h). */
#include "mail/world.h"
#include "trace/transcript.h"
#include "mail/ua_eml.h"

#include "core/evq.h"
#include "scenario/lesson.h"
#include "trace/export.h"

#include <errno.h>
#include <sys/stat.h>
#include <unistd.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void world_cli_summary(FILE *f, const struct world_fates *fa, size_t violations,
                              const char *report)
{
    fprintf(f,
            "\nfates: %zu message(s) to %zu recipient(s): %zu delivered, %zu still queued, "
            "%zu bounced, %zu not sent",
            fa->messages, fa->composed, fa->delivered, fa->queued, fa->bounced, fa->rejected);
    if (fa->duplicates) fprintf(f, ", %zu duplicate(s) after a lost reply", fa->duplicates);
    if (fa->delivered_and_bounced)
        fprintf(f, ", %zu delivered although the sender was told it failed (a lost reply)",
                fa->delivered_and_bounced);
    if (fa->forged || fa->cut)
        fprintf(f,
                "; SMTP smuggling at a lenient_data server: %zu message(s) no user agent composed, "
                "%zu cut short",
                fa->forged, fa->cut);
    fprintf(f, "\n");
    if (violations == 0)
        fprintf(f, "invariant: every message delivered, queued or bounced exactly once\n");
    else
        fprintf(f, "invariant: %zu violation(s)\n%s", violations, report);
}

static const char *const world_export_opt[WX_COUNT] = {"--pcap", "--export-mermaid",
                                                       "--export-jsonl"};

/* True when a and b name the same existing file. */
static bool world_cli_same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Write one export to path through a temporary file in the same folder and a
 * rename, so a failed write never leaves half a file. Returns 0 or 4. */
static int world_cli_export(enum world_export which, const char *path, const struct trace *tr,
                            const char *title, int64_t epoch_unix)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    if (!tmp) abort();
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd >= 0) fchmod(fd, 0644); /* mkstemp made it private; an export is a plain file */
    FILE *f = fd >= 0 ? fdopen(fd, "wb") : NULL;
    if (!f) {
        fprintf(stderr, "mailsim: %s: cannot write: %s\n", path, strerror(errno));
        if (fd >= 0) close(fd), unlink(tmp);
        free(tmp);
        return 4;
    }
    long count = which == WX_PCAP      ? pcap_write(tr, f, epoch_unix)
                 : which == WX_MERMAID ? mmd_write(tr, f, title)
                                       : jsonl_write(tr, f);
    int bad = count < 0 || ferror(f);
    if (fclose(f) != 0) bad = 1;
    if (bad || rename(tmp, path) != 0) {
        fprintf(stderr, "mailsim: %s: cannot write: %s\n", path, strerror(errno));
        unlink(tmp);
        free(tmp);
        return 4;
    }
    free(tmp);
    static const char *const what[WX_COUNT] = {"frames", "arrows", "records"};
    fprintf(stderr, "mailsim: wrote %s (%ld %s)\n", path, count, what[which]);
    return 0;
}

/* --check FILE...: load each file and apply each of its variants; print
 * "FILE: ok (...)" or the error. Returns 0, or 3 when any file is invalid. */
int world_cli_check(char *const *argv, int n)
{
    int rc = 0;
    for (int i = 0; i < n; i++) {
        struct scn_error err;
        memset(&err, 0, sizeof err);
        struct scn_scenario *s = scn_load_file(argv[i], NULL, &err);
        if (!s) {
            fprintf(stderr, "%s\n", err.text);
            rc = 3;
            continue;
        }
        bool ok = true;
        for (size_t v = 0; v < s->n_variants && ok; v++) {
            struct scn_scenario *sv = scn_apply_variant(s, s->variants[v].name, &err);
            if (!sv) {
                fprintf(stderr, "%s\n", err.text);
                ok = false;
                rc = 3;
            }
            scn_free(sv);
        }
        if (ok)
            printf("%s: ok (%zu hosts, %zu links, %zu timeline actions, %zu variants)\n", argv[i],
                   s->n_hosts, s->n_links, s->n_timeline, s->n_variants);
        scn_free(s);
    }
    if (n == 0) {
        fprintf(stderr, "mailsim: --check needs at least one scenario file\n");
        return 2;
    }
    return rc;
}

int world_cli_run(const struct world_cli *c)
{
    const char *file = c->file, *eml = c->eml;
    const char *const *exports = c->exports;
    for (int k = 0; k < WX_COUNT; k++) {
        if (exports[k] && file && world_cli_same_file(exports[k], file)) {
            fprintf(stderr, "mailsim: %s %s would overwrite the scenario file itself\n",
                    world_export_opt[k], exports[k]);
            return 2;
        }
    }
    struct scn_error err;
    memset(&err, 0, sizeof err);
    struct scn_load_opts lo;
    memset(&lo, 0, sizeof lo);
    lo.variant = c->variant;
    struct scn_scenario *s = file ? scn_load_lesson(file, &lo, &err) : scn_load_default();
    if (!s) {
        fprintf(stderr, "%s\n", err.text);
        return 3; /* main.c: unreadable or invalid scenario file */
    }
    if (c->has_seed) s->seed = c->seed;
    struct ms_error ierr;
    memset(&ierr, 0, sizeof ierr);
    if (eml && !ua_eml_import_file(s, eml, &ierr)) {
        fprintf(stderr, "mailsim: --import-eml %s: %s\n", eml, ierr.msg);
        scn_free(s);
        return 3;
    }
    struct trace *tr = trace_new();
    struct ms_error merr;
    memset(&merr, 0, sizeof merr);
    struct world *w = world_new(s, tr, NULL, &merr);
    if (!w) {
        fprintf(stderr, "mailsim: %s: cannot build the world: %s\n", s->source, merr.msg);
        trace_free(tr);
        scn_free(s);
        return 3;
    }
    sim_us end = world_run(w, SIM_US_MAX);
    (void)end;
    char *report = malloc(65536);
    if (!report) abort();
    report[0] = '\0';
    struct world_fates fa;
    size_t v = world_check(tr, s, trace_end_time(tr), report, 65536, &fa);
    int rc = v == 0 ? 0 : 1;
    for (int k = 0; k < WX_COUNT; k++) {
        if (exports[k] &&
            world_cli_export((enum world_export)k, exports[k], tr, s->title, s->epoch) != 0)
            rc = 4;
    }
    if (c->transcript || c->headless) {
        char title[512];
        scn_display_title(s, title, sizeof title);
        printf("mailsim: %s\n", title);
        if (c->transcript)
            trace_transcript(tr, stdout);
        else
            trace_write_text(tr, stdout);
        world_cli_summary(stdout, &fa, v, report);
    } else if (v != 0) {
        world_cli_summary(stderr, &fa, v, report);
    }
    free(report);
    world_free(w);
    trace_free(tr);
    scn_free(s);
    return rc;
}
