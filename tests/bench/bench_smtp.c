/* bench_smtp.c -- SMTP transactions per second between the client engine
 * and the server engine in memory: one persistent session, each transaction
 * one 2 KB message to three recipients (target: >= 200,000/s on one
 * core). A malloc wrapper counts heap allocations in the steady state,
 * which must be zero (no allocation per line). Prints
 *   bench smtp_txn_per_s <value> txn/s
 *   bench smtp_session_per_s <value> sessions/s   (connect..QUIT, 1 txn)
 *   bench smtp_steady_allocs <count> allocs */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/smtp_client.h"
#include "proto/smtp_server.h"

/* ---- allocation counter (glibc: interpose malloc and friends) ---------- */
extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
static unsigned long bench_allocs;
void *malloc(size_t n);
void *calloc(size_t n, size_t m);
void *realloc(void *p, size_t n);
void free(void *p);
void *malloc(size_t n)
{
    bench_allocs++;
    return __libc_malloc(n);
}
void *calloc(size_t n, size_t m)
{
    bench_allocs++;
    return __libc_calloc(n, m);
}
void *realloc(void *p, size_t n)
{
    bench_allocs++;
    return __libc_realloc(p, n);
}
void free(void *p)
{
    __libc_free(p);
}

static double bench_now(void)
{
    struct timespec ts;
    /* CPU time of this process: "on one core", fair on a shared machine.
     * The benchmark's clock, never the engines'. */
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned long bench_txn_done, bench_delivered;

static void bench_server_events(struct smtp_server *s)
{
    struct smtp_event ev;
    while (smtp_server_event(s, &ev)) {
        if (ev.needs_verdict) smtp_server_verdict(s, SMTP_V_ACCEPT, NULL);
    }
}

static void bench_client_events(struct smtp_client *c)
{
    struct smtp_cevent e;
    while (smtp_client_event(c, &e)) {
        if (e.kind == SMTP_CEV_TXN_DONE) bench_txn_done++;
        if (e.kind == SMTP_CEV_RCPT_OUTCOME && e.outcome == SMTP_OUT_DELIVERED) bench_delivered++;
    }
}

/* Move bytes both ways until nothing moves. */
static void bench_pump(struct smtp_client *c, struct smtp_server *s)
{
    for (;;) {
        int moved = 0;
        bench_client_events(c);
        bench_server_events(s);
        const char *o;
        size_t n = smtp_client_out(c, &o), pos = 0;
        while (pos < n) {
            size_t k = smtp_server_recv(s, o + pos, n - pos);
            pos += k;
            bench_server_events(s);
            if (k == 0) {
                const char *so;
                size_t sn = smtp_server_out(s, &so);
                if (sn == 0) break;
                size_t q = 0;
                while (q < sn) {
                    size_t kk = smtp_client_recv(c, so + q, sn - q);
                    q += kk;
                    bench_client_events(c);
                }
                smtp_server_out_done(s, sn);
            }
        }
        if (pos) {
            smtp_client_out_done(c, pos);
            moved = 1;
        }
        bench_client_events(c);
        n = smtp_server_out(s, &o);
        pos = 0;
        while (pos < n) {
            size_t k = smtp_client_recv(c, o + pos, n - pos);
            pos += k;
            bench_client_events(c);
            if (k == 0) break;
        }
        if (pos) {
            smtp_server_out_done(s, pos);
            moved = 1;
        }
        if (!moved) break;
    }
}

int main(int argc, char **argv)
{
    unsigned long n_txn = argc > 1 ? strtoul(argv[1], NULL, 10) : 400000;
    static char body[2048];
    size_t bl = 0;
    bl += (size_t)snprintf(
        body, sizeof body,
        "From: Alice <alice@a.example>\r\nTo: bob@b.example, carol@b.example, dave@b.example\r\n"
        "Subject: benchmark\r\nMessage-ID: <1@a.example>\r\n\r\n");
    while (bl + 72 <= sizeof body) {
        const char *line =
            (bl / 72) % 3
                ? "The quick brown fox jumps over the lazy dog, again and again and again\r\n"
                : ".A line that starts with a dot and must be stuffed by the client side.\r\n";
        memcpy(body + bl, line, 72);
        bl += 72;
    }
    static const char *const rcpts[] = {"bob@b.example", "carol@b.example", "dave@b.example"};
    struct smtp_client_txn t = {"alice@a.example", rcpts, 3, body, bl, NULL};

    struct smtp_server_cfg scfg;
    smtp_server_cfg_default(&scfg);
    struct smtp_client_cfg ccfg;
    smtp_client_cfg_default(&ccfg);

    /* persistent session: warm up, then measure */
    struct smtp_server *s = smtp_server_new(&scfg);
    struct smtp_client *c = smtp_client_new(&ccfg);
    bench_pump(c, s);
    for (int i = 0; i < 100; i++) {
        smtp_client_add(c, &t, NULL);
        bench_pump(c, s);
    }
    unsigned long base_done = bench_txn_done, base_deliv = bench_delivered;
    unsigned long allocs0 = bench_allocs;
    double t0 = bench_now();
    for (unsigned long i = 0; i < n_txn; i++) {
        smtp_client_add(c, &t, NULL);
        bench_pump(c, s);
    }
    double t1 = bench_now();
    unsigned long steady_allocs = bench_allocs - allocs0;
    if (bench_txn_done - base_done != n_txn || bench_delivered - base_deliv != 3 * n_txn) {
        fprintf(stderr, "bench_smtp: only %lu of %lu transactions completed\n",
                bench_txn_done - base_done, n_txn);
        return 1;
    }
    smtp_client_quit(c);
    bench_pump(c, s);
    smtp_client_free(c);
    smtp_server_free(s);
    printf("bench smtp_txn_per_s %.0f txn/s\n", (double)n_txn / (t1 - t0));
    printf("bench smtp_msg_bytes %zu bytes\n", bl);
    printf("bench smtp_steady_allocs %lu allocs\n", steady_allocs);

    /* whole sessions: greeting, EHLO, one transaction, QUIT */
    unsigned long n_sess = n_txn / 8;
    double t2 = bench_now();
    for (unsigned long i = 0; i < n_sess; i++) {
        s = smtp_server_new(&scfg);
        c = smtp_client_new(&ccfg);
        smtp_client_add(c, &t, NULL);
        smtp_client_quit(c);
        bench_pump(c, s);
        smtp_client_free(c);
        smtp_server_free(s);
    }
    double t3 = bench_now();
    printf("bench smtp_session_per_s %.0f sessions/s\n", (double)n_sess / (t3 - t2));
    return steady_allocs == 0 ? 0 : 1;
}
