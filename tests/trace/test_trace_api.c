/* test_trace_api.c -- the trace through its public API: appending from net
 * events, the index, interning, arenas larger than a chunk, the hash.
 * (The text form is tested in test_trace.c.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "trace/trace.h"
#include "trace_fixture.h"

static void test_header_and_records(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    assert_int_equal(trace_host_count(tr), 2);
    assert_string_equal(trace_host_name(tr, 1), "mail.example.net");
    assert_string_equal(trace_host_name(tr, 7), "?");
    assert_int_equal(trace_link_count(tr), 1);
    assert_int_equal(trace_link_get(tr, 0)->latency_us, 20000);
    assert_int_equal(trace_count(tr), 9);
    const struct trace_rec *r = trace_get(tr, 3);
    assert_int_equal(r->kind, TR_SEG_SENT);
    const struct trace_seg *s = trace_as_seg(r);
    assert_non_null(s);
    assert_null(trace_as_line(r));
    size_t n;
    const uint8_t *d = trace_data(r, &n);
    assert_int_equal(n, 28);
    assert_memory_equal(d, "220 mail.example.net ESMTP\r\n", 28);
    trace_free(tr);
}

static void test_time_index(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    assert_int_equal(trace_lower_bound(tr, 41000), 3);
    assert_int_equal(trace_upper_bound(tr, 41000), 5);
    assert_int_equal(trace_lower_bound(tr, -5), 0);
    assert_int_equal(trace_lower_bound(tr, INT64_MAX), 9);
    assert_int_equal(trace_end_time(tr), 90 * SIM_US_PER_MIN);
    trace_free(tr);
}

static void test_intern_is_deterministic(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    uint32_t a = trace_intern(tr, "SMTP");
    uint32_t b = trace_intern(tr, "IMAP");
    assert_int_equal(a, 0);
    assert_int_equal(b, 1);
    assert_int_equal(trace_intern(tr, "SMTP"), 0);
    char name[32];
    for (int i = 0; i < 1000; i++) { /* forces several rehashes */
        snprintf(name, sizeof name, "s%d", i);
        assert_int_equal(trace_intern(tr, name), (uint32_t)i + 2);
    }
    assert_string_equal(trace_str(tr, 500), "s498");
    assert_string_equal(trace_str(tr, TRACE_NONE), "");
    assert_int_equal(trace_intern_n(tr, "a\0b", 3), 1002);
    trace_free(tr);
}

static void test_hash_identical_and_sensitive(void **state)
{
    (void)state;
    struct trace *a = fixture_trace(), *b = fixture_trace();
    assert_int_equal(trace_hash(a), trace_hash(b));
    trace_add_narration(b, trace_end_time(b), TRACE_NONE, "x");
    assert_int_not_equal(trace_hash(a), trace_hash(b));
    trace_add_narration(a, trace_end_time(a), TRACE_NONE, "y");
    assert_int_not_equal(trace_hash(a), trace_hash(b));
    assert_true(trace_memory(a) > 0);
    trace_free(a);
    trace_free(b);
}

static void test_many_records_and_long_data(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    trace_host_add(tr, 0, "h", 1, false);
    static char big[3 << 20]; /* larger than an arena chunk */
    memset(big, 'x', sizeof big);
    for (int i = 0; i < 200000; i++) trace_add_queue(tr, i, 0, (uint32_t)i, -1);
    size_t k = trace_add_line(tr, 200000, TR_LINE_RECEIVED, 1, 0, 0, 'C', "IMAP", "a", "b", big,
                              sizeof big);
    assert_int_equal(k, 200000);
    size_t n;
    const uint8_t *d = trace_data(trace_get(tr, k), &n);
    assert_int_equal(n, sizeof big);
    assert_int_equal(d[n - 1], 'x');
    assert_int_equal(trace_lower_bound(tr, 150000), 150000);
    const struct trace_rec *r = trace_get(tr, 123456);
    assert_int_equal(r->t, 123456);
    trace_free(tr);
}

/* Timers kept aside become notes between records, not records: stepping
 * through the records is unchanged, each note knows where it fell, and the
 * notes count in the hash only when there are any. */
static void test_timer_notes(void **state)
{
    (void)state;
    struct trace *plain = fixture_trace();
    struct trace *tr = trace_new();
    trace_timers_aside(tr, true);
    struct trace *rec = trace_new();
    size_t at = trace_add_timer(tr, 5, TR_TIMER_SET, 1, 900, "TCP retransmission timer");
    trace_add_timer(rec, 5, TR_TIMER_SET, 1, 900, "TCP retransmission timer");
    assert_int_equal(at, 0);
    assert_int_equal(trace_count(tr), 0);
    assert_int_equal(trace_count(rec), 1);
    trace_add_narration(tr, 10, TRACE_NONE, "one");
    trace_add_narration(tr, 20, TRACE_NONE, "two");
    at = trace_add_timer(tr, 20, TR_TIMER_CANCELLED, 1, 900, "TCP retransmission timer");
    assert_int_equal(at, 2);
    assert_int_equal(trace_count(tr), 2);
    assert_int_equal(trace_timer_note_count(tr), 2);
    const struct trace_timer_note *a = trace_timer_note_get(tr, 0);
    const struct trace_timer_note *b = trace_timer_note_get(tr, 1);
    assert_int_equal(a->before, 0);
    assert_int_equal(a->kind, TR_TIMER_SET);
    assert_int_equal(a->t, 5);
    assert_int_equal(a->timer.due, 900);
    assert_int_equal(a->timer.host, 1);
    assert_string_equal(trace_str(tr, a->timer.label), "TCP retransmission timer");
    assert_int_equal(b->before, 2);
    assert_int_equal(b->kind, TR_TIMER_CANCELLED);
    /* The same records without the notes hash differently... */
    struct trace *bare = trace_new();
    trace_intern(bare, "TCP retransmission timer");
    trace_add_narration(bare, 10, TRACE_NONE, "one");
    trace_add_narration(bare, 20, TRACE_NONE, "two");
    assert_int_not_equal(trace_hash(bare), trace_hash(tr));
    /* ...and a trace with none keeps the hash it always had. */
    struct trace *again = fixture_trace();
    trace_timers_aside(again, true);
    assert_int_equal(trace_hash(again), trace_hash(plain));
    assert_int_equal(trace_timer_note_count(plain), 0);
    trace_free(again);
    trace_free(bare);
    trace_free(rec);
    trace_free(tr);
    trace_free(plain);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_records),
        cmocka_unit_test(test_time_index),
        cmocka_unit_test(test_intern_is_deterministic),
        cmocka_unit_test(test_hash_identical_and_sensitive),
        cmocka_unit_test(test_many_records_and_long_data),
        cmocka_unit_test(test_timer_notes),
    };
    return cmocka_run_group_tests_name("trace", tests, NULL, NULL);
}
