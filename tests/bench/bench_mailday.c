/* bench_mailday.c -- a generated "mail day": 1,000 users on 10 domains send
 * N messages over 24 simulated hours through their mail servers, across one
 * Internet router, with DNS; two servers are down for four hours (their mail
 * waits in the queues and goes out at the 30-minute retries). Protocol lines
 * and packets are not recorded (world_opts), message fates are, and the
 * invariant is checked on them.
 *
 * Each day size runs in a child process of its own (so its peak resident
 * memory is its own) and prints its CPU seconds, microseconds of CPU per
 * message and peak RSS (MiB and bytes per message); then the CPU per message
 * of each size against the smallest. Targets: per-message CPU at 1,000,000
 * messages within 1.15x that at 10,000; the 1,000,000-message day under 60 s
 * of CPU and 1.5 KB of peak memory per message.
 *
 * Usage: bench_mailday [--full-trace] [MESSAGES...]  (default:
 * $BENCH_MAILDAY_SIZES, else 10000 100000 300000; the 1,000,000-message day
 * takes about a minute: BENCH_MAILDAY_SIZES="10000 100000 300000 1000000"
 * make bench). --full-trace records everything the window needs (protocol
 * lines, segments, connections, timer notes) and reports its bytes per
 * message: the baseline for a compact trace. */
#include "core/evq.h"
#include "core/rng.h"
#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <time.h>

#define BENCH_DOMAINS 10
#define BENCH_USERS 100 /* per domain */

MS_PRINTF(1, 2)
static char *bench_strf(const char *fmt, ...)
{
    va_list ap;
    char buf[128];
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return ms_xstrdup(buf);
}

/* Machine time: CPU seconds of this process (the build machine is shared,
 * so wall time says more about the neighbours than about us). */
static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double bench_wall(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Hosts: 0 the router, 1 the DNS, then per domain d: server 2+2d, PC 3+2d. */
static struct scn_scenario *bench_model(size_t messages)
{
    struct scn_scenario *s = ms_xcalloc(1, sizeof *s);
    s->source = ms_xstrdup("<mailday>");
    s->title = ms_xstrdup("A mail day");
    s->description = ms_xstrdup("");
    s->seed = 42;
    s->epoch = 1767600000;
    s->n_hosts = 2 + 2 * BENCH_DOMAINS;
    s->hosts = ms_xcalloc(s->n_hosts, sizeof *s->hosts);
    s->hosts[0].name = ms_xstrdup("internet");
    s->hosts[0].kind = SCN_HOST_ROUTER;
    s->hosts[1].name = ms_xstrdup("ns.example.com");
    s->hosts[1].kind = SCN_HOST_DNS;
    s->n_mx = BENCH_DOMAINS;
    s->mx = ms_xcalloc(BENCH_DOMAINS, sizeof *s->mx);
    s->mx_derived = true;
    for (int d = 0; d < BENCH_DOMAINS; d++) {
        struct scn_host *h = &s->hosts[2 + 2 * d];
        h->name = bench_strf("mail.domain%d.example", d);
        h->kind = SCN_HOST_MAIL_SERVER;
        h->mail.domain = bench_strf("domain%d.example", d);
        h->mail.n_users = BENCH_USERS;
        h->mail.users = ms_xcalloc(BENCH_USERS, sizeof *h->mail.users);
        for (int u = 0; u < BENCH_USERS; u++) {
            h->mail.users[u].name = bench_strf("user%d", u);
            h->mail.users[u].password = ms_xstrdup("");
            h->mail.users[u].display_name = ms_xstrdup("");
        }
        h->mail.submission = true;
        h->mail.eightbitmime = true;
        h->mail.pipelining = true;
        h->mail.size_limit = 10u << 20;
        h->mail.max_recipients = 100;
        h->mail.retry_interval = 30 * SIM_US_PER_MIN;
        h->mail.give_up = 5 * SIM_US_PER_DAY;
        s->mx[d].domain = ms_xstrdup(h->mail.domain);
        s->mx[d].host = ms_xstrdup(h->name);
        s->mx[d].host_index = 2 + 2 * (size_t)d;
        s->mx[d].preference = 10;
        struct scn_host *pc = &s->hosts[3 + 2 * d];
        pc->name = bench_strf("pc%d", d);
        pc->kind = SCN_HOST_PC;
        pc->owner_server = SCN_NONE;
        pc->owner_user = SCN_NONE;
    }
    for (size_t i = 0; i < s->n_hosts; i++) s->hosts[i].up = true;
    s->n_links = s->n_hosts - 1;
    s->links = ms_xcalloc(s->n_links, sizeof *s->links);
    for (size_t i = 1; i < s->n_hosts; i++) {
        struct scn_link *l = &s->links[i - 1];
        l->a = i;
        l->b = 0;
        l->latency = 10 * SIM_US_PER_MS;
        l->bandwidth_bps = 100000000;
        l->mtu = 1500;
        l->up = true;
    }
    /* Two servers down from 06:00 to 10:00. */
    size_t nact = messages + 4;
    s->timeline = ms_xcalloc(nact, sizeof *s->timeline);
    struct rng r = rng_stream(s->seed, "mailday");
    sim_us day = 24 * SIM_US_PER_H;
    sim_us *times = ms_xcalloc(messages ? messages : 1, sizeof *times);
    for (size_t i = 0; i < messages; i++) times[i] = (sim_us)rng_below(&r, (uint64_t)day);
    /* sort the send times (insertion would be slow: counting by minute) */
    size_t nmin = (size_t)(day / SIM_US_PER_MIN);
    size_t *cnt = ms_xcalloc(nmin + 1, sizeof *cnt);
    for (size_t i = 0; i < messages; i++) cnt[times[i] / SIM_US_PER_MIN + 1]++;
    for (size_t i = 1; i <= nmin; i++) cnt[i] += cnt[i - 1];
    sim_us *sorted = ms_xcalloc(messages ? messages : 1, sizeof *sorted);
    for (size_t i = 0; i < messages; i++) sorted[cnt[times[i] / SIM_US_PER_MIN]++] = times[i];
    size_t k = 0;
    bool down_done = false, up_done = false;
    for (size_t i = 0; i < messages; i++) {
        sim_us t = sorted[i];
        if (!down_done && t >= 6 * SIM_US_PER_H) {
            for (int j = 0; j < 2; j++) {
                s->timeline[k].at = 6 * SIM_US_PER_H;
                s->timeline[k].kind = SCN_ACT_HOST_DOWN;
                s->timeline[k].u.host = 2 + 2 * (size_t)(3 + 4 * j);
                k++;
            }
            down_done = true;
        }
        if (!up_done && t >= 10 * SIM_US_PER_H) {
            for (int j = 0; j < 2; j++) {
                s->timeline[k].at = 10 * SIM_US_PER_H;
                s->timeline[k].kind = SCN_ACT_HOST_UP;
                s->timeline[k].u.host = 2 + 2 * (size_t)(3 + 4 * j);
                k++;
            }
            up_done = true;
        }
        struct scn_action *a = &s->timeline[k++];
        a->at = t;
        a->kind = SCN_ACT_SEND;
        int fd = (int)rng_below(&r, BENCH_DOMAINS), fu = (int)rng_below(&r, BENCH_USERS);
        int td = (int)rng_below(&r, BENCH_DOMAINS), tu = (int)rng_below(&r, BENCH_USERS);
        char buf[96];
        snprintf(buf, sizeof buf, "user%d@domain%d.example", fu, fd);
        a->u.send.from = ms_xstrdup(buf);
        a->u.send.from_server = 2 + 2 * (size_t)fd;
        a->u.send.from_user = (size_t)fu;
        a->u.send.device = 3 + 2 * (size_t)fd;
        a->u.send.direct_host = SCN_NONE;
        a->u.send.msg.n_to = 1;
        a->u.send.msg.to = ms_xcalloc(1, sizeof(char *));
        snprintf(buf, sizeof buf, "user%d@domain%d.example", tu, td);
        a->u.send.msg.to[0] = ms_xstrdup(buf);
        a->u.send.msg.subject = ms_xstrdup("Status");
        a->u.send.msg.body = ms_xstrdup("Hello,\n\nall is well here.\n\n-- \nuser\n");
    }
    s->n_timeline = k;
    free(times);
    free(sorted);
    free(cnt);
    return s;
}

/* A short name for a size: 10k, 1M. */
static void bench_label(size_t n, char *buf, size_t cap)
{
    if (n >= 1000000 && n % 1000000 == 0) snprintf(buf, cap, "%zuM", n / 1000000);
    else if (n >= 1000 && n % 1000 == 0) snprintf(buf, cap, "%zuk", n / 1000);
    else snprintf(buf, cap, "%zu", n);
}

/* Run one day of the given size in this process; print its lines and write
 * its CPU microseconds per message to fd. Returns the exit status. */
static bool bench_full_trace;

static int bench_day(size_t messages, int fd)
{
    char lb[32];
    bench_label(messages, lb, sizeof lb);
    struct scn_scenario *s = bench_model(messages);
    struct trace *tr = trace_new();
    struct world_opts o = {.no_lines = true, .no_net_trace = true};
    if (bench_full_trace) { /* as the window's runs: world_simulate(s, true) */
        o = (struct world_opts){.timers = true};
        trace_timers_aside(tr, true);
    }
    struct ms_error err;
    double w0 = bench_wall();
    double t0 = bench_now();
    struct world *w = world_new(s, tr, &o, &err);
    if (!w) {
        fprintf(stderr, "bench_mailday: %s\n", err.msg);
        return 1;
    }
    world_run(w, SIM_US_MAX);
    double t1 = bench_now();
    double w1 = bench_wall();
    struct world_fates fa;
    char report[4096];
    size_t v = world_check(tr, s, trace_end_time(tr), report, sizeof report, &fa);
    double t2 = bench_now();
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double us = (t1 - t0) * 1e6 / (double)(messages ? messages : 1);
    double rss = (double)ru.ru_maxrss * 1024.0;
    printf("bench mailday_%s_messages %zu messages\n", lb, messages);
    printf("bench mailday_%s_delivered %zu recipients\n", lb, fa.delivered);
    printf("bench mailday_%s_queued_or_bounced %zu recipients\n", lb,
           fa.queued + fa.bounced + fa.rejected);
    printf("bench mailday_%s_run_cpu %.3f s\n", lb, t1 - t0);
    printf("bench mailday_%s_run_wall %.3f s\n", lb, w1 - w0);
    printf("bench mailday_%s_us_per_msg %.2f us\n", lb, us);
    printf("bench mailday_%s_check_cpu %.3f s\n", lb, t2 - t1);
    printf("bench mailday_%s_peak_rss %.1f MiB\n", lb, rss / 1048576.0);
    printf("bench mailday_%s_peak_rss_per_msg %.0f bytes\n", lb,
           rss / (double)(messages ? messages : 1));
    printf("bench mailday_%s_%s_per_msg %.0f bytes\n", lb, bench_full_trace ? "full_trace" : "trace",
           (double)trace_memory(tr) / (double)(messages ? messages : 1));
    printf("bench mailday_%s_invariant_violations %zu count\n", lb, v);
    fflush(stdout);
    if (v) fprintf(stderr, "%s", report);
    if (write(fd, &us, sizeof us) != (ssize_t)sizeof us) return 1;
    world_free(w);
    trace_free(tr);
    return v ? 1 : 0;
}

int main(int argc, char **argv)
{
    size_t sizes[16], n = 0;
    const char *env = getenv("BENCH_MAILDAY_SIZES");
    int first_arg = 1;
    if (argc > 1 && strcmp(argv[1], "--full-trace") == 0) {
        bench_full_trace = true;
        first_arg = 2;
    }
    if (argc > first_arg) {
        for (int i = first_arg; i < argc && n < 16; i++)
            sizes[n++] = (size_t)strtoul(argv[i], NULL, 10);
    } else {
        char buf[256];
        snprintf(buf, sizeof buf, "%s", env && *env ? env : "10000 100000 300000");
        for (char *t = strtok(buf, " ,"); t && n < 16; t = strtok(NULL, " ,"))
            sizes[n++] = (size_t)strtoul(t, NULL, 10);
    }
    double first = 0;
    char first_lb[32] = "";
    int status = 0;
    for (size_t i = 0; i < n; i++) {
        int pfd[2];
        if (pipe(pfd) != 0) return 1;
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) return 1;
        if (pid == 0) {
            close(pfd[0]);
            _exit(bench_day(sizes[i], pfd[1]));
        }
        close(pfd[1]);
        double us = 0;
        ssize_t got = read(pfd[0], &us, sizeof us);
        close(pfd[0]);
        int ws = 0;
        waitpid(pid, &ws, 0);
        if (!WIFEXITED(ws) || WEXITSTATUS(ws) != 0 || got != (ssize_t)sizeof us) {
            status = 1;
            continue;
        }
        char lb[32];
        bench_label(sizes[i], lb, sizeof lb);
        if (i == 0) {
            first = us;
            snprintf(first_lb, sizeof first_lb, "%s", lb);
        } else if (first > 0) {
            printf("bench mailday_%s_vs_%s_us_per_msg %.2f ratio\n", lb, first_lb, us / first);
        }
    }
    return status;
}
