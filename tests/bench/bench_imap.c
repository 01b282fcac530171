/* bench_imap.c -- IMAP server speed: whole sessions, a FETCH over a large
 * mailbox (streamed through the output high-water mark), BODYSTRUCTURE.
 * Each figure is printed only after the run it measures was checked: a
 * session that stopped answering would otherwise look fast. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proto/imap_test_util.h"

/* Fail the benchmark, saying what was wrong. */
static void bench_check(int ok, const char *what)
{
    if (ok) return;
    fprintf(stderr, "bench_imap: %s\n", what);
    exit(1);
}

/* How many lines of out (n bytes) begin with prefix. */
static size_t bench_count_lines(const char *out, size_t n, const char *prefix)
{
    size_t count = 0, plen = strlen(prefix);
    for (size_t i = 0; i < n;) {
        if (n - i >= plen && memcmp(out + i, prefix, plen) == 0) count++;
        const char *nl = memchr(out + i, '\n', n - i);
        if (!nl) break;
        i = (size_t)(nl - out) + 1;
    }
    return count;
}

static double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
    static const char script[] =
        "a1 LOGIN bob secret\r\na2 CREATE Lectures\r\na3 LIST \"\" *\r\na4 SELECT INBOX\r\n"
        "a5 SEARCH FROM \"alice\"\r\na6 FETCH 2 BODY.PEEK[HEADER]\r\na7 FETCH 2 BODYSTRUCTURE\r\n"
        "a8 FETCH 2 BODY[2]\r\nb1 MOVE 1 Lectures\r\nb4 LOGOUT\r\n";
    int n = 0;
    double t0 = bench_now(), t;
    do {
        struct mbox_store *st = mbox_store_new(1);
        imap_t_fixture_bob(st);
        char *out = imap_t_session(st, script, sizeof script);
        if (n == 0) {
            size_t len = strlen(out);
            bench_check(strstr(out, "a1 OK") && strstr(out, "a4 OK") && strstr(out, "b1 OK") &&
                            strstr(out, "b4 OK"),
                        "the benchmark session did not complete every command with OK");
            bench_check(bench_count_lines(out, len, "* SEARCH") == 1, "SEARCH gave no answer");
        }
        free(out);
        mbox_store_free(st);
        n++;
    } while ((t = bench_now() - t0) < 1.0);
    printf("bench imap_session %.0f sessions/s\n", n / t);

    struct mbox_store *st = mbox_store_new(1);
    struct mbox_folder *f = mbox_folder_find(mbox_user_get(st, "bob", true), "INBOX", 5);
    for (int i = 0; i < 20000; i++)
        mbox_append(f, imap_t_photo, sizeof imap_t_photo - 1, 0, 0, NULL);
    static const char fetch[] =
        "a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n"
        "a4 FETCH 1:* BODYSTRUCTURE\r\n";
    t0 = bench_now();
    struct imap_server *s = imap_t_server(st);
    size_t used = 0, bytes = 0, cap = 1 << 20;
    char *all = malloc(cap);
    bench_check(all != NULL, "out of memory");
    while (used < sizeof fetch - 1 || imap_server_out(s, &(const char *){0})) {
        used += imap_server_recv(s, fetch + used, sizeof fetch - 1 - used);
        const char *p;
        size_t k = imap_server_out(s, &p);
        /* Kept whole, to be checked after the clock stops. */
        while (bytes + k > cap) {
            all = realloc(all, cap *= 2);
            bench_check(all != NULL, "out of memory");
        }
        memcpy(all + bytes, p, k);
        bytes += k;
        imap_server_out_done(s, k);
        if (!k && used == sizeof fetch - 1) break;
    }
    t = bench_now() - t0;
    bench_check(bench_count_lines(all, bytes, "a4 OK") == 1,
                "FETCH 1:* BODYSTRUCTURE did not end with a4 OK");
    bench_check(bench_count_lines(all, bytes, "* ") >= 40000,
                "fewer than 40,000 untagged responses to the two FETCHes");
    free(all);
    printf("bench imap_fetch_40000_responses %.1f ms\n", t * 1000);
    printf("bench imap_fetch_output %.1f MB/s\n", (double)bytes / t / 1e6);
    imap_server_free(s);
    mbox_store_free(st);
    return 0;
}
