/* world.h -- a scenario brought to life: hosts, links, DNS, mail servers and
 * user agents on the simulated network, the timeline scheduled as events,
 * everything recorded in a trace.
 *
 * world_new() builds the network from a validated scenario model (host ids
 * equal scenario host indices), starts every application (mail servers
 * listen on 25 and 587, the DNS host on UDP 53) and schedules the timeline.
 * world_run() runs the event queue. The trace then tells the whole story;
 * world_check() replays its message-fate records through the invariant
 * checker (mq_check.h). Deterministic: same scenario, same trace bytes. */
#ifndef MAILSIM_MAIL_WORLD_H
#define MAILSIM_MAIL_WORLD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/common.h"
#include "core/evq.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct world;

struct world_opts {
    bool no_lines;     /* do not record protocol lines (benchmarks) */
    bool no_net_trace; /* do not record segments and connections (benchmarks) */
    bool timers;       /* record TIMER_SET / TIMER_CANCELLED for every labelled event
                  * scheduled or cancelled (the window's future-event view) */
};

/* Build the world of scenario s (borrowed: must outlive the world), recording
 * into tr (borrowed). opts may be NULL. Returns NULL with err filled when the
 * scenario cannot be built (e.g. a host name the network refuses). */
struct world *world_new(const struct scn_scenario *s, struct trace *tr,
                        const struct world_opts *opts, struct ms_error *err);
/* Free the world (not the scenario or trace). NULL is a no-op. */
void world_free(struct world *w);

/* Run events up to time until (SIM_US_MAX: until nothing is left to do, but
 * at most the last timeline action plus the longest give-up time plus one
 * retry interval). Returns the simulated time reached. */
sim_us world_run(struct world *w, sim_us until);

/* Run scenario s to its end into a new trace (free it with trace_free()),
 * or NULL with err set when the world refuses the scenario. With
 * timers_aside, every labelled timer is noted beside the records
 * (trace_timers_aside, world_opts.timers): the window's runs, whose
 * future-event view lists them while stepping stays record by record. */
struct trace *world_simulate(const struct scn_scenario *s, bool timers_aside, struct ms_error *err);

/* What is still scheduled, earliest first, up to max into out (the event
 * queue's own view, evq_snapshot, and the timeline's actions not yet in the
 * queue); returns how many. With the whole count
 * when more than max are pending: *total (may be NULL). For the hardening
 * tests' "nothing left dangling". Can't fail. */
size_t world_pending(const struct world *w, struct evq_info *out, size_t max, size_t *total);

/* Counts of (message, recipient) fates at the end of a run. */
struct world_fates {
    size_t composed, delivered, queued, bounced, rejected, duplicates;
    size_t delivered_and_bounced; /* delivered, yet the sender was told it failed */
    size_t forged, cut; /* SMTP smuggling at a lenient_data server (mq_check_host_lenient) */
    size_t messages;    /* messages composed (DSNs included) */
};

/* Check the invariants (mq_check.h) over the trace of a finished run.
 * Returns the number of violations; the report (one line each) goes to
 * report[cap] when not NULL; fates (may be NULL) gets the counts. */
size_t world_check(const struct trace *tr, const struct scn_scenario *s, sim_us end, char *report,
                   size_t cap, struct world_fates *fates);


/* The command line of the runs without a window, as main.c's option table
 * parsed it:
 *   --check FILE...      load and validate each file and its variants
 *   --headless [FILE]    run, print every trace record (no FILE: the
 *                        built-in lesson)
 *   --transcript [FILE]  run, print the textbook dialogue
 *   --pcap, --export-mermaid, --export-jsonl OUT   write the run (exit 4
 *                        when one cannot be written)
 * plus --variant NAME, --seed N and --import-eml MSG. */
enum world_export { WX_PCAP, WX_MERMAID, WX_JSONL, WX_COUNT };
struct world_cli {
    bool headless, transcript;
    const char *file, *variant, *eml;
    bool has_seed;
    unsigned long long seed;
    const char *exports[WX_COUNT]; /* NULL: not written */
};
/* Run as c says. Returns the exit status: 0 ok, 1 invariant violated, 2 an
 * export over the scenario file, 3 bad scenario file (or message file), 4 an
 * export that cannot be written. */
int world_cli_run(const struct world_cli *c);
/* --check: load each of the n files and apply each of its variants; print
 * "FILE: ok (...)" or the error. Returns 0, 3 when any file is invalid, or 2
 * when n is 0. */
int world_cli_check(char *const *files, int n);

#endif
