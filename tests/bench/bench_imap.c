/* bench_imap.c -- IMAP server speed: whole sessions, a FETCH over a large
 * mailbox (streamed through the output high-water mark), BODYSTRUCTURE. */
#include <stdio.h>
#include <time.h>

#include "proto/imap_test_util.h"

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
        free(imap_t_session(st, script, sizeof script));
        mbox_store_free(st);
        n++;
    } while ((t = bench_now() - t0) < 1.0);
    printf("bench imap_session %.0f sessions/s\n", n / t);

    struct mbox_store *st = mbox_store_new(1);
    struct mbox_folder *f = mbox_folder_find(mbox_user_get(st, "bob", true), "INBOX", 5);
    for (int i = 0; i < 20000; i++) mbox_append(f, imap_t_photo, sizeof imap_t_photo - 1, 0, 0, NULL);
    static const char fetch[] = "a1 LOGIN bob secret\r\na2 SELECT INBOX\r\na3 FETCH 1:* (UID FLAGS RFC822.SIZE)\r\n"
                                "a4 FETCH 1:* BODYSTRUCTURE\r\n";
    t0 = bench_now();
    struct imap_server *s = imap_t_server(st);
    size_t used = 0, bytes = 0;
    while (used < sizeof fetch - 1 || imap_server_out(s, &(const char *){0})) {
        used += imap_server_recv(s, fetch + used, sizeof fetch - 1 - used);
        const char *p;
        size_t k = imap_server_out(s, &p);
        bytes += k;
        imap_server_out_done(s, k);
        if (!k && used == sizeof fetch - 1) break;
    }
    t = bench_now() - t0;
    printf("bench imap_fetch_40000_responses %.1f ms\n", t * 1000);
    printf("bench imap_fetch_output %.1f MB/s\n", (double)bytes / t / 1e6);
    imap_server_free(s);
    mbox_store_free(st);
    return 0;
}
