/* test_trace_pack.c -- the packed storage of records and timer notes: a trace
 * kept in tiny blocks with a tiny cache reads back byte for byte as one never
 * packed, searches and forgets alike, and a busy run of hop records really
 * is stored smaller than its raw bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (uint32_t)(rng_state >> 33) % (n ? n : 1);
}

static void add_hops(struct trace *tr, sim_us t, uint32_t seq, const uint8_t *payload, uint32_t len)
{
    static const enum netev_kind hops[] = {NETEV_SEG_SENT, NETEV_SEG_FORWARD, NETEV_SEG_ARRIVED,
                                           NETEV_SEG_ARRIVED};
    for (size_t h = 0; h < 4; h++) {
        struct netev ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = hops[h];
        ev.u.seg = (struct netev_seg){.conn = 1 + seq % 7,
                                      .src = 0,
                                      .dst = 1,
                                      .hop_from = (uint32_t)h,
                                      .hop_to = (uint32_t)h + 1,
                                      .link = (uint32_t)h,
                                      .sport = 49152,
                                      .dport = 25,
                                      .seq = seq,
                                      .ack = 7,
                                      .window = 65535,
                                      .flags = NETEV_ACK,
                                      .t_depart = t + (sim_us)h * 100,
                                      .t_arrive = t + (sim_us)h * 100 + 90,
                                      .data = payload,
                                      .len = len};
        trace_on_netev(tr, t, &ev);
    }
}

/* The same mixture of records and notes, appended to both traces. */
static void fill(struct trace *a, struct trace *b, int n)
{
    struct trace *both[2] = {a, b};
    uint8_t payload[400];
    sim_us t = 0;
    for (int i = 0; i < n; i++) {
        t += rnd(4) == 0 ? 0 : rnd(1000);
        uint32_t len = rnd(6) == 0 ? 0 : rnd(sizeof payload);
        for (uint32_t j = 0; j < len; j++) payload[j] = (uint8_t)('a' + rnd(26));
        uint32_t what = rnd(5);
        char line[64];
        snprintf(line, sizeof line, "RCPT TO:<user%u@example.org>\r\n", rnd(50));
        for (int w = 0; w < 2; w++) {
            struct trace *tr = both[w];
            if (what == 0) {
                add_hops(tr, t, (uint32_t)i, payload, len);
            } else if (what == 1) {
                struct trace_line_facts f = {"RCPT", 250, TRACE_LF_OK, NULL};
                trace_add_line_facts(tr, t, TR_LINE_SENT, 3, 0, 1, 'C', "SMTP", "RCPT", "RCPT", &f,
                                     line, strlen(line));
            } else if (what == 2) {
                struct trace_msg m;
                memset(&m, 0, sizeof m);
                m.msg = (uint32_t)i;
                m.next_retry = -1;
                m.body_hash = 0x1234567890abcdefULL * (uint64_t)i;
                trace_add_msg(tr, t, TR_MSG_QUEUED, &m, i % 3 ? "queued" : NULL);
            } else if (what == 3) {
                trace_add_timer(tr, t, TR_TIMER_SET, 1, t + 30000000, "SMTP retry");
            } else {
                trace_add_narration(tr, t, TRACE_NONE, "step %d", i);
            }
        }
    }
}

static size_t linear_bound(const struct trace *tr, sim_us t, int strict)
{
    for (size_t k = trace_first(tr); k < trace_count(tr); k++) {
        sim_us tm = trace_get(tr, k)->t;
        if (strict ? tm > t : tm >= t) return k;
    }
    return trace_count(tr);
}

static void test_reads_back(void **state)
{
    (void)state;
    struct trace *ref = trace_new(), *small = trace_new();
    trace_set_storage(ref, (size_t)1 << 30, 1); /* one block, never sealed */
    trace_set_storage(small, 600, 2);           /* a block every few records */
    trace_timers_aside(ref, true);
    trace_timers_aside(small, true);
    fill(ref, small, 4000);
    assert_int_equal(trace_count(ref), trace_count(small));
    assert_true(trace_count(small) > 4000);
    assert_true(trace_timer_note_count(small) > 500);
    assert_int_equal(trace_hash(ref), trace_hash(small));
    /* Random order, so blocks are decoded again and again. */
    for (int i = 0; i < 20000; i++) {
        size_t k = rnd((uint32_t)trace_count(ref));
        const struct trace_rec *x = trace_get(ref, k), *y = trace_get(small, k);
        assert_int_equal(x->len, y->len);
        assert_memory_equal(x, y, sizeof *x + x->len);
    }
    for (int i = 0; i < 2000; i++) {
        size_t k = rnd((uint32_t)trace_timer_note_count(ref));
        assert_memory_equal(trace_timer_note_get(ref, k), trace_timer_note_get(small, k),
                            sizeof(struct trace_timer_note));
    }
    sim_us end = trace_end_time(small);
    assert_int_equal(end, trace_end_time(ref));
    for (int i = 0; i < 300; i++) {
        sim_us t = i < 3 ? (sim_us)i - 1 : (sim_us)rnd((uint32_t)end + 10);
        if (i == 3) t = end;
        assert_int_equal(trace_lower_bound(small, t), linear_bound(ref, t, 0));
        assert_int_equal(trace_upper_bound(small, t), linear_bound(ref, t, 1));
    }
    trace_free(ref);
    trace_free(small);
}

static void test_tail_pointer_survives_sealing(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    trace_set_storage(tr, 1024, 1);
    trace_add_narration(tr, 0, TRACE_NONE, "the first words");
    const struct trace_rec *r = trace_get(tr, 0);
    for (int i = 0; i < 20; i++) trace_add_narration(tr, i, TRACE_NONE, "more words %d", i);
    size_t len;
    const uint8_t *d = trace_data(r, &len); /* a freed block would stop ASan here */
    assert_int_equal(len, strlen("the first words"));
    assert_memory_equal(d, "the first words", len);
    trace_free(tr);
}

static void test_forget(void **state)
{
    (void)state;
    struct trace *ref = trace_new(), *small = trace_new();
    trace_set_storage(ref, (size_t)1 << 30, 1);
    trace_set_storage(small, 600, 2);
    fill(ref, small, 2000);
    size_t n = trace_count(small), half = n / 2;
    size_t first = trace_forget(small, half, 0);
    assert_true(first > 0);
    assert_true(first <= half);
    assert_int_equal(trace_first(small), first);
    assert_int_equal(trace_count(small), n);
    for (size_t k = first; k < n; k++)
        assert_memory_equal(trace_get(ref, k), trace_get(small, k),
                            sizeof(struct trace_rec) + trace_get(ref, k)->len);
    assert_int_equal(trace_lower_bound(small, -1), first);
    assert_int_equal(trace_lower_bound(small, trace_get(small, first + 5)->t),
                     linear_bound(ref, trace_get(ref, first + 5)->t, 0) < first
                         ? first
                         : linear_bound(ref, trace_get(ref, first + 5)->t, 0));
    /* Nothing past `before` goes, whatever the budget. */
    assert_true(trace_forget(small, half, 0) <= half);
    trace_free(ref);
    trace_free(small);
}

/* 100,000 hop records carrying 25,000 payloads of one 64-byte line each:
 * stored, with the tail and a decoded block, they take under a fifth of their
 * raw bytes. */
static void test_hops_are_small(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    trace_set_storage(tr, 256 << 10, 1); /* so the cache holds one block, not 32 */
    uint8_t line[64];
    size_t raw = 0;
    for (int i = 0; i < 25000; i++) {
        snprintf((char *)line, sizeof line, "Subject: message number %08d of the busy day\r\n", i);
        add_hops(tr, (sim_us)i * 1000, (uint32_t)i * 64, line, 48);
    }
    for (size_t k = 0; k < trace_count(tr); k++)
        raw += sizeof(struct trace_rec) + trace_get(tr, k)->len;
    size_t held = trace_memory(tr);
    print_message("raw %zu bytes, held %zu bytes\n", raw, held);
    assert_true(held * 5 < raw);
    trace_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reads_back),
        cmocka_unit_test(test_tail_pointer_survives_sealing),
        cmocka_unit_test(test_forget),
        cmocka_unit_test(test_hops_are_small),
    };
    return cmocka_run_group_tests_name("trace_pack", tests, NULL, NULL);
}
