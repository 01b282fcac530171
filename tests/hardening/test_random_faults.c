/* test_random_faults.c -- random scenarios with faults, run headless, checked
 * against the simulation invariants (docs/bad-inputs.md d.2
 * and d.3).
 *
 * For each seed: scn_generate() makes a valid scenario with hosts and links
 * going down and up and lossy links; the world runs it to the end; then
 *   1. world_check() (mq_check) finds no violation: every (message,
 *      recipient) is delivered, queued or bounced exactly once, a duplicate
 *      only where the trace records a reply lost after the end of DATA, and
 *      mailboxes match the trace's message fates;
 *   2. every connection the trace opened was closed, reset or timed out;
 *   3. the event queue is empty when the run ends (world_pending): no TCP
 *      timer of a connection nobody closed, no queue run of a message
 *      nobody finished, however far beyond the run's horizon it is due;
 *   4. the same seed gives the same trace hash (a second, fresh run);
 *   5. mailboxes match the trace: each INBOX count equals the deliveries
 *      the trace recorded for that user so far.
 * A failure prints the seed and the command that replays it.
 *
 * Usage: test_random_faults [FIRST_SEED [COUNT]]   (default 1 300)
 *        test_random_faults --dump SEED   print the seed's scenario as JSON
 *        (a file that `mailsim --headless FILE` replays; tests/regress/)
 * SOAK_RUNS=N in the environment overrides COUNT (make soak).
 *
 * Known failures: tests/regress/random_faults.known (or $RANDOM_FAULTS_KNOWN)
 * lists "SEED cause" lines for bugs found here and not fixed yet (in code
 * owned by a branch still at work). Such a seed is reported as KNOWN and not
 * counted; once it passes it is reported as FIXED and counted as a failure
 * until its line is removed, so the list never outlives the bug. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/evq.h"
#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct outcome {
    uint64_t hash;
    size_t records;
    size_t violations;
    struct world_fates fates;
    char report[4096];
    char why[512]; /* our own checks */
};

static uint64_t parse_u64(const char *s, const char *what)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end) {
        fprintf(stderr, "test_random_faults: bad %s '%s'\n", what, s);
        exit(2);
    }
    return (uint64_t)v;
}

/* Check 2: every CONN_OPENED id reaches CONN_CLOSED, CONN_RESET or
 * CONN_TIMEOUT. Ids are dense small numbers; a bitmap per state will do. */
static void check_connections(const struct trace *tr, struct outcome *o)
{
    size_t n = trace_count(tr), cap = 64;
    unsigned char *st = calloc(cap, 1); /* 1 opened, 2 ended */
    if (!st) abort();
    for (size_t k = 0; k < n; k++) {
        const struct trace_rec *r = trace_get(tr, k);
        int kind = (int)r->kind;
        if (kind != TR_CONN_OPENED && kind != TR_CONN_CLOSED && kind != TR_CONN_RESET &&
            kind != TR_CONN_TIMEOUT)
            continue;
        const struct trace_conn *c = trace_body(r);
        if (c->conn >= cap) {
            size_t nc = cap;
            while (nc <= c->conn) nc *= 2;
            unsigned char *ns = realloc(st, nc);
            if (!ns) abort();
            memset(ns + cap, 0, nc - cap);
            st = ns;
            cap = nc;
        }
        st[c->conn] |= kind == TR_CONN_OPENED ? 1 : 2;
    }
    for (size_t i = 0; i < cap; i++) {
        if (st[i] == 1) {
            snprintf(o->why, sizeof o->why,
                     "connection %zu was opened and never closed, reset or timed out", i);
            break;
        }
    }
    free(st);
}

/* Check 5: mailboxes match the trace. Generated scenarios never fetch mail
 * (no POP3/IMAP actions in scn_generate), so an INBOX changes only by
 * delivery: every MAILBOX_CHANGED record of an INBOX must show exactly as
 * many messages as final MSG_DELIVERED records (no peer: into a mailbox, not
 * handed to the next hop) so far for that host and user, counting the one
 * it announces: a store records its new count just before the delivery that
 * made it, so that the step saying "delivered" already shows the message. */
struct box {
    uint32_t host;
    char user[128];
    uint32_t delivered;
};

static struct box *box_find(struct box **v, size_t *n, size_t *cap, uint32_t host, const char *user,
                            size_t ulen)
{
    for (size_t i = 0; i < *n; i++) {
        if ((*v)[i].host == host && strlen((*v)[i].user) == ulen &&
            strncasecmp((*v)[i].user, user, ulen) == 0)
            return &(*v)[i];
    }
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        struct box *nv = realloc(*v, *cap * sizeof **v);
        if (!nv) abort();
        *v = nv;
    }
    struct box *b = &(*v)[(*n)++];
    memset(b, 0, sizeof *b);
    b->host = host;
    snprintf(b->user, sizeof b->user, "%.*s", (int)(ulen < 127 ? ulen : 127), user);
    return b;
}

static void check_mailboxes(const struct trace *tr, struct outcome *o)
{
    struct box *v = NULL;
    size_t n = 0, cap = 0, count = trace_count(tr);
    for (size_t k = 0; k < count && !o->why[0]; k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind == TR_MSG_DELIVERED) {
            const struct trace_msg *m = trace_as_msg(r);
            if (m->peer != TRACE_NONE)
                continue; /* a relay's "delivered #n" (handed on), not a mailbox */
            const char *rcpt = trace_str(tr, m->rcpt);
            const char *at = rcpt ? strrchr(rcpt, '@') : NULL;
            if (!at) continue;
            box_find(&v, &n, &cap, m->host, rcpt, (size_t)(at - rcpt))->delivered++;
        } else if (r->kind == TR_MAILBOX_CHANGED) {
            const struct trace_mailbox *mb = trace_body(r);
            const char *user = trace_str(tr, mb->user), *folder = trace_str(tr, mb->folder);
            if (!user || !folder || strcmp(folder, "INBOX") != 0) continue;
            struct box *b = box_find(&v, &n, &cap, mb->host, user, strlen(user));
            uint32_t announced = 0;
            if (k + 1 < count && trace_get(tr, k + 1)->kind == TR_MSG_DELIVERED) {
                const struct trace_msg *m = trace_as_msg(trace_get(tr, k + 1));
                const char *rcpt = trace_str(tr, m->rcpt);
                const char *at = strrchr(rcpt, '@');
                if (m->peer == TRACE_NONE && m->host == mb->host && at &&
                    (size_t)(at - rcpt) == strlen(user) &&
                    strncasecmp(rcpt, user, strlen(user)) == 0)
                    announced = 1;
            }
            if (b->delivered + announced != mb->count) {
                snprintf(o->why, sizeof o->why,
                         "mailbox %s's INBOX on host %u shows %u messages, the trace delivered %u",
                         user, (unsigned)mb->host, (unsigned)mb->count, (unsigned)b->delivered);
            }
        }
    }
    free(v);
}

static int run_seed(uint64_t seed, struct outcome *o)
{
    memset(o, 0, sizeof *o);
    struct scn_scenario *s = scn_generate(seed, NULL);
    if (!s) {
        snprintf(o->why, sizeof o->why, "scn_generate returned NULL");
        return -1;
    }
    struct trace *tr = trace_new();
    struct ms_error err;
    memset(&err, 0, sizeof err);
    struct world *w = world_new(s, tr, NULL, &err);
    if (!w) {
        snprintf(o->why, sizeof o->why, "world_new refused a generated scenario: %s", err.msg);
        trace_free(tr);
        scn_free(s);
        return -1;
    }
    sim_us end = world_run(w, SIM_US_MAX);
    o->records = trace_count(tr);
    o->violations = world_check(tr, s, end, o->report, sizeof o->report, &o->fates);
    check_connections(tr, o);
    check_mailboxes(tr, o);
    /* Check 3: nothing left dangling. The run ends when the queue is empty
     * or at the horizon (the last action plus the longest give-up plus an
     * hour); by then every timer must have fired or been cancelled: a TCP
     * timer left means a connection nobody closed, a queue run a message
     * nobody finished. */
    struct evq_info ev[4];
    size_t total = 0, n = world_pending(w, ev, MS_ARRAY_LEN(ev), &total);
    if (!o->why[0] && total != 0) {
        int len =
            snprintf(o->why, sizeof o->why,
                     "%zu events still scheduled when the run ended at t=%" PRId64 " us:", total,
                     (int64_t)end);
        for (size_t i = 0; i < n && len > 0 && (size_t)len < sizeof o->why; i++)
            len += snprintf(o->why + len, sizeof o->why - (size_t)len, " \"%s\" at %" PRId64,
                            ev[i].label ? ev[i].label : "(unlabelled)", (int64_t)ev[i].t);
    }
    o->hash = trace_hash(tr);
    world_free(w);
    trace_free(tr);
    scn_free(s);
    return 0;
}

struct known {
    uint64_t *seeds;
    size_t n;
};

static void known_load(struct known *k)
{
    memset(k, 0, sizeof *k);
    const char *path = getenv("RANDOM_FAULTS_KNOWN");
    if (!path || !*path) path = "tests/regress/random_faults.known";
    FILE *f = fopen(path, "r");
    if (!f) return;
    char line[512];
    size_t cap = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] < '0' || line[0] > '9') continue; /* comments, blank lines */
        if (k->n == cap) {
            cap = cap ? cap * 2 : 64;
            uint64_t *ns = realloc(k->seeds, cap * sizeof *ns);
            if (!ns) abort();
            k->seeds = ns;
        }
        k->seeds[k->n++] = strtoull(line, NULL, 10);
    }
    fclose(f);
}

static int known_has(const struct known *k, uint64_t seed)
{
    for (size_t i = 0; i < k->n; i++) {
        if (k->seeds[i] == seed) return 1;
    }
    return 0;
}

/* At most the first `lines` lines of a report, so one bad seed cannot flood
 * the log. */
static void print_clipped(const char *s, int lines)
{
    for (int i = 0; *s && i < lines; i++) {
        const char *nl = strchr(s, '\n');
        size_t n = nl ? (size_t)(nl - s) : strlen(s);
        printf("  %.*s\n", (int)n, s);
        s += n + (nl ? 1 : 0);
    }
    if (*s) printf("  ...\n");
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) {
        struct scn_scenario *s = scn_generate(parse_u64(argv[2], "seed"), NULL);
        char *json = scn_to_json(s, NULL);
        fputs(json, stdout);
        free(json);
        scn_free(s);
        return 0;
    }
    uint64_t first = argc > 1 ? parse_u64(argv[1], "first seed") : 1;
    uint64_t count = argc > 2 ? parse_u64(argv[2], "count") : 300;
    const char *soak = getenv("SOAK_RUNS");
    if (soak && *soak && argc <= 2) count = parse_u64(soak, "SOAK_RUNS");
    struct known known;
    known_load(&known);
    size_t n_known = 0;
    size_t failed = 0, composed = 0, delivered = 0, queued = 0, bounced = 0, rejected = 0, dups = 0;
    for (uint64_t seed = first; seed < first + count; seed++) {
        struct outcome a, b;
        int ra = run_seed(seed, &a);
        int rb = ra == 0 ? run_seed(seed, &b) : -1;
        const char *what = NULL;
        char buf[4800];
        if (ra != 0) {
            what = a.why;
        } else if (a.violations) {
            snprintf(buf, sizeof buf, "%zu invariant violation(s):\n%s", a.violations, a.report);
            what = buf;
        } else if (a.why[0]) {
            what = a.why;
        } else if (rb != 0 || a.hash != b.hash || a.records != b.records) {
            snprintf(buf, sizeof buf,
                     "not deterministic: trace hash %016" PRIx64 " (%zu records) then %016" PRIx64
                     " (%zu records)",
                     a.hash, a.records, b.hash, b.records);
            what = buf;
        }
        if (what && known_has(&known, seed)) {
            n_known++;
            printf("KNOWN seed %" PRIu64 " (tests/regress/random_faults.known)\n", seed);
            print_clipped(what, 2);
            continue;
        }
        if (!what && known_has(&known, seed)) {
            failed++;
            printf("FIXED seed %" PRIu64
                   ": it passes now; remove it from tests/regress/random_faults.known\n",
                   seed);
            continue;
        }
        if (what) {
            failed++;
            printf("FAIL seed %" PRIu64 " (replay: %s %" PRIu64 " 1; scenario: %s --dump %" PRIu64
                   ")\n",
                   seed, argv[0], seed, argv[0], seed);
            print_clipped(what, 6);
            if (failed >= 20) {
                printf("random faults: stopping after 20 failures\n");
                break;
            }
            continue;
        }
        composed += a.fates.composed;
        delivered += a.fates.delivered;
        queued += a.fates.queued;
        bounced += a.fates.bounced;
        rejected += a.fates.rejected;
        dups += a.fates.duplicates;
    }
    free(known.seeds);
    printf("random faults: seeds %" PRIu64 "..%" PRIu64
           ": %zu failed, %zu known failures; fates: %zu composed, %zu delivered, "
           "%zu queued, %zu bounced, %zu rejected, %zu duplicates after a lost reply\n",
           first, first + count - 1, failed, n_known, composed, delivered, queued, bounced,
           rejected, dups);
    return failed ? 1 : 0;
}
