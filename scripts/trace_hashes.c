/* trace_hashes.c -- one line per (scenario, variant, seed): hashes of the
 * whole trace plain, with the window's timer notes aside, and with timer
 * records inline, for showing that a change meant for speed leaves every
 * trace identical. Built and run by scripts/trace-hashes.sh. */
#include "core/hash.h"
#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void run(const char *name, const struct scn_scenario *s0, const char *variant, uint64_t seed)
{
    struct scn_error serr;
    struct scn_scenario *s = variant ? scn_apply_variant(s0, variant, &serr) : scn_clone(s0, &serr);
    if (!s) { printf("%s %s ERR\n", name, variant ? variant : "-"); return; }
    s->seed = seed;
    struct ms_error err;
    struct trace *a = world_simulate(s, false, &err);
    struct trace *b = world_simulate(s, true, &err);
    struct trace *c = trace_new();
    struct world_opts o = {.timers = true};
    struct world *w = world_new(s, c, &o, &err);
    sim_us end = world_run(w, SIM_US_MAX);
    struct evq_info ev[2]; size_t total = 0;
    world_pending(w, ev, 2, &total);
    world_free(w);
    uint64_t hn = HASH_FNV1A_BASIS;
    for (size_t i = 0; i < trace_timer_note_count(b); i++) {
        const struct trace_timer_note *nt = trace_timer_note_get(b, i);
        hn = hash_fnv1a(hn, nt, sizeof *nt);
    }
    printf("%s %s seed=%" PRIu64 " plain=%016" PRIx64 " n=%zu aside=%016" PRIx64 " notes=%016" PRIx64
           " inline=%016" PRIx64 " n=%zu end=%" PRId64 " left=%zu\n",
           name, variant ? variant : "-", seed, trace_hash(a), trace_count(a), trace_hash(b), hn,
           trace_hash(c), trace_count(c), (int64_t)end, total);
    trace_free(a); trace_free(b); trace_free(c);
    scn_free(s);
}

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        struct scn_error serr;
        struct scn_scenario *s = scn_load_file(argv[i], NULL, &serr);
        if (!s) { printf("%s LOADERR\n", argv[i]); continue; }
        uint64_t seeds[] = {s->seed, 1, 2, 3};
        for (size_t k = 0; k < 4; k++) {
            run(argv[i], s, NULL, seeds[k]);
            for (size_t v = 0; v < s->n_variants; v++) run(argv[i], s, s->variants[v].name, seeds[k]);
        }
        scn_free(s);
    }
    /* generated scenarios, as the hardening tests make them */
    for (uint64_t g = 1; g <= 150; g++) {
        struct scn_scenario *s = scn_generate(g, NULL);
        char nm[32]; snprintf(nm, sizeof nm, "gen-%" PRIu64, g);
        run(nm, s, NULL, s->seed);
        scn_free(s);
    }
    struct scn_gen_opts go = scn_gen_opts_default();
    go.messages = 3000; go.domains = 6; go.users = 20;
    struct scn_scenario *s = scn_generate(4242, &go);
    run("gen-busy", s, NULL, s->seed);
    scn_free(s);
    return 0;
}
