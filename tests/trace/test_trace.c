/* test_trace.c -- appending, the index, interning, formatting, hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static struct trace *two_hosts(void)
{
    struct trace *tr = trace_new();
    struct netev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = NETEV_HOST_NEW;
    ev.u.host = (struct netev_host){0, 0xC0000201, 0, "alice-pc"};
    trace_on_netev(tr, 0, &ev);
    ev.u.host = (struct netev_host){1, 0xC0000202, 0, "mail.example.org"};
    trace_on_netev(tr, 0, &ev);
    memset(&ev, 0, sizeof ev);
    ev.kind = NETEV_LINK_NEW;
    ev.u.link = (struct netev_link){0, 0, 1, 40000, 10000000, 0.1, 1500};
    trace_on_netev(tr, 0, &ev);
    return tr;
}

static void add_seg(struct trace *tr, sim_us t, enum netev_kind kind, uint8_t flags, uint32_t seq,
                    const char *payload)
{
    struct netev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.u.seg = (struct netev_seg){.conn = 1,
                                  .src = 0,
                                  .dst = 1,
                                  .hop_from = 0,
                                  .hop_to = 1,
                                  .link = 0,
                                  .sport = 49152,
                                  .dport = 25,
                                  .seq = seq,
                                  .ack = 7,
                                  .window = 65535,
                                  .mss = (flags & NETEV_SYN) ? 1460 : 0,
                                  .flags = flags,
                                  .reason = kind == NETEV_SEG_LOST ? NETEV_R_LOSS : 0,
                                  .t_depart = t,
                                  .t_arrive = t + 40000,
                                  .data = (const uint8_t *)payload,
                                  .len = payload ? (uint32_t)strlen(payload) : 0};
    trace_on_netev(tr, t, &ev);
}

static void test_header_and_format(void **state)
{
    (void)state;
    struct trace *tr = two_hosts();
    assert_int_equal(trace_host_count(tr), 2);
    assert_string_equal(trace_host_name(tr, 1), "mail.example.org");
    assert_string_equal(trace_host_name(tr, 7), "?");
    assert_int_equal(trace_link_count(tr), 1);
    assert_int_equal(trace_link_get(tr, 0)->latency_us, 40000);

    add_seg(tr, 0, NETEV_SEG_SENT, NETEV_SYN, 1000, NULL);
    add_seg(tr, 40000, NETEV_SEG_ARRIVED, NETEV_SYN, 1000, NULL);
    add_seg(tr, 90000, NETEV_SEG_LOST, NETEV_PSH | NETEV_ACK, 1001, "EHLO a\r\n");
    add_seg(tr, 1090000, NETEV_SEG_RETRANS, NETEV_PSH | NETEV_ACK, 1001, "EHLO a\r\n");
    trace_add_line(tr, 1130000, TR_LINE_RECEIVED, 1, 1, 0, 'C', "SMTP", "EHLO-WAIT", "MAIL-WAIT",
                   "EHLO a\r\n", 8);
    struct trace_msg m = {.next_retry = 30 * SIM_US_PER_MIN + 1130000,
                          .msg = 3,
                          .host = 1,
                          .peer = TRACE_NONE,
                          .attempt = 2,
                          .code = 451,
                          .sender = trace_intern(tr, "alice@example.com"),
                          .rcpt = trace_intern(tr, "bob@example.org"),
                          .msgid = TRACE_NONE};
    trace_add_msg(tr, 1130000, TR_MSG_DEFERRED, &m, "451 4.3.0 try later");
    trace_add_queue(tr, 1130000, 1, 1, m.next_retry);
    trace_add_mailbox(tr, 2 * SIM_US_PER_DAY, 1, "bob", "INBOX", 1, 1);
    trace_add_narration(tr, 2 * SIM_US_PER_DAY, TRACE_NONE, "Bob has %d new message", 1);

    const char *want[] = {
        "00:00:00.000  alice-pc -> mail.example.org  TCP SYN 49152 -> 25 seq=1000 win=65535 len=0 mss=1460",
        "00:00:00.040  alice-pc -> mail.example.org  TCP SYN 49152 -> 25 seq=1000 win=65535 len=0 mss=1460  (arrived)",
        "00:00:00.090  alice-pc -> mail.example.org  TCP PSH,ACK 49152 -> 25 seq=1001 ack=7 win=65535 len=8  LOST: lost on the link",
        "00:00:01.090  alice-pc -> mail.example.org  TCP PSH,ACK 49152 -> 25 seq=1001 ack=7 win=65535 len=8  (retransmission 0)",
        "00:00:01.130  alice-pc -> mail.example.org  SMTP C: EHLO a  [received EHLO-WAIT -> MAIL-WAIT]",
        "00:00:01.130  mail.example.org  message 3 deferred (attempt 2) <alice@example.com> -> <bob@example.org> code 451: 451 4.3.0 try later; next try at 00:30:01.130",
        "00:00:01.130  mail.example.org  queue: 1 message, next retry at 00:30:01.130",
        "2d 00:00:00.000  mail.example.org  mailbox bob/INBOX: 1 message, 1 unseen",
        "2d 00:00:00.000  -- Bob has 1 new message",
    };
    assert_int_equal(trace_count(tr), MS_ARRAY_LEN(want));
    char line[512];
    for (size_t k = 0; k < MS_ARRAY_LEN(want); k++) {
        size_t n = trace_format_line(tr, k, line, sizeof line);
        assert_string_equal(line, want[k]);
        assert_int_equal(n, strlen(want[k]));
    }
    /* Truncation reports the full length and never overflows. */
    char small[10];
    assert_int_equal(trace_format_line(tr, 0, small, sizeof small), strlen(want[0]));
    assert_string_equal(small, "00:00:00.");
    /* Payload bytes are kept. */
    size_t dlen;
    const uint8_t *d = trace_data(trace_get(tr, 2), &dlen);
    assert_int_equal(dlen, 8);
    assert_memory_equal(d, "EHLO a\r\n", 8);
    assert_int_equal(trace_as_seg(trace_get(tr, 2))->seq, 1001);
    assert_null(trace_as_seg(trace_get(tr, 4)));
    assert_int_equal(trace_as_line(trace_get(tr, 4))->side, 'C');
    trace_free(tr);
}

static void test_index_and_time_search(void **state)
{
    (void)state;
    struct trace *tr = two_hosts();
    /* Enough records, some large, to fill several 1 MiB chunks. */
    static char big[3 << 20];
    memset(big, 'x', sizeof big - 1);
    for (int i = 0; i < 50000; i++) {
        const char *p = i % 10000 == 5 ? big : "0123456789abcdef0123456789abcdef";
        add_seg(tr, (sim_us)(i / 2) * 10, NETEV_SEG_SENT, NETEV_ACK, (uint32_t)i, p);
    }
    assert_int_equal(trace_count(tr), 50000);
    for (int i = 0; i < 50000; i += 997) {
        const struct trace_rec *r = trace_get(tr, (size_t)i);
        assert_int_equal(trace_as_seg(r)->seq, (uint32_t)i);
        assert_int_equal(r->t, (i / 2) * 10);
    }
    assert_int_equal(trace_lower_bound(tr, 0), 0);
    assert_int_equal(trace_lower_bound(tr, 10), 2);
    assert_int_equal(trace_lower_bound(tr, 11), 4);
    assert_int_equal(trace_upper_bound(tr, 10), 4);
    assert_int_equal(trace_lower_bound(tr, 1000000), 50000);
    assert_int_equal(trace_end_time(tr), 24999 * 10);
    size_t dlen;
    trace_data(trace_get(tr, 5), &dlen);
    assert_int_equal(dlen, sizeof big - 1);
    trace_free(tr);
}

static void test_intern(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    char name[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof name, "s%d", i);
        assert_int_equal(trace_intern(tr, name), (uint32_t)i);
    }
    assert_int_equal(trace_intern(tr, "s500"), 500);
    assert_string_equal(trace_str(tr, 999), "s999");
    assert_string_equal(trace_str(tr, TRACE_NONE), "");
    assert_int_equal(trace_intern(tr, NULL), TRACE_NONE);
    assert_int_equal(trace_intern_n(tr, "ab\0c", 4), 1000); /* lengths, not C strings */
    assert_int_equal(trace_intern_n(tr, "ab", 2), 1001);
    trace_free(tr);
    trace_free(NULL);
}

static void test_hash(void **state)
{
    (void)state;
    struct trace *a = two_hosts(), *b = two_hosts();
    add_seg(a, 5, NETEV_SEG_SENT, NETEV_SYN, 1, NULL);
    add_seg(b, 5, NETEV_SEG_SENT, NETEV_SYN, 1, NULL);
    assert_int_equal(trace_hash(a), trace_hash(b));
    add_seg(b, 6, NETEV_SEG_SENT, NETEV_SYN, 1, NULL);
    assert_int_not_equal(trace_hash(a), trace_hash(b));
    add_seg(a, 6, NETEV_SEG_SENT, NETEV_SYN, 2, NULL); /* differs in seq only */
    assert_int_not_equal(trace_hash(a), trace_hash(b));
    assert_true(trace_memory(a) > 1000);
    trace_free(a);
    trace_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_format),
        cmocka_unit_test(test_index_and_time_search),
        cmocka_unit_test(test_intern),
        cmocka_unit_test(test_hash),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
