/* test_line_sess.c -- the session layer under every line protocol: the recv
 * loop with lines and raw bytes, offsets, the output ceiling, the event ring,
 * the bytes dropped after STARTTLS. A toy protocol drives it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>

#include "proto/line_sess.h"

static const char *const toy_names[2] = {"LINES", "RAW"};

/* A line "RAW n" makes the next n bytes raw; "TLS" drops the rest of the
 * flight; every line and raw run is recorded with its offset. */
struct toy {
    struct line_sess ss;
    size_t raw_left;
    bool stop;
    char rec[512];
    size_t rec_len;
};

static void toy_rec(struct toy *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void toy_rec(struct toy *t, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(t->rec + t->rec_len, sizeof t->rec - t->rec_len, fmt, ap);
    va_end(ap);
    assert_true(n > 0 && (size_t)n < sizeof t->rec - t->rec_len);
    t->rec_len += (size_t)n;
}

static bool toy_can_read(void *eng)
{
    const struct toy *t = eng;
    return !t->stop;
}

static size_t toy_raw(void *eng, const char *in, size_t len)
{
    struct toy *t = eng;
    if (t->raw_left == 0) return SIZE_MAX;
    size_t k = len < t->raw_left ? len : t->raw_left;
    line_sess_raw(&t->ss, in, k, LINE_F_DATA);
    t->raw_left -= k;
    if (t->raw_left == 0) line_sess_enter(&t->ss, 0, NULL);
    return k;
}

static void toy_line(void *eng, enum line_status st, const char *l, size_t n, bool more)
{
    struct toy *t = eng;
    (void)more;
    if (st == LINE_TOO_LONG) {
        toy_rec(t, "#@%llu|", (unsigned long long)t->ss.line_off);
        return;
    }
    toy_rec(t, "%.*s@%llu|", (int)n, l, (unsigned long long)t->ss.line_off);
    if (n > 4 && memcmp(l, "RAW ", 4) == 0) {
        t->raw_left = (size_t)(l[4] - '0');
        line_sess_enter(&t->ss, 1, NULL);
    }
    if (n == 3 && memcmp(l, "TLS", 3) == 0) t->ss.discard_rest = true;
}

static const struct line_proto toy_proto = {toy_can_read, toy_raw, toy_line};

static void toy_init(struct toy *t, size_t out_max, size_t ev_cap)
{
    memset(t, 0, sizeof *t);
    const struct line_sess_cfg sc = {
        .line_max = 16,
        .out_init = 4,
        .out_max = out_max,
        .ev_size = sizeof(int),
        .ev_cap = ev_cap,
        .state_names = toy_names,
        .n_states = 2,
        .initial = 0,
    };
    line_sess_init(&t->ss, &sc);
}

/* Lines and raw bytes, fed in pieces of every size: the same lines at the
 * same offsets (each line's first byte, the raw run not counted as a line). */
static void test_recv_offsets_every_split(void **state)
{
    (void)state;
    static const char in[] = "A\r\nRAW 3\r\nxyzB\r\nLONGLONGLONGLONGLONG\r\nC\r\n";
    const size_t len = sizeof in - 1;
    const char *want = "A@0|RAW 3@3|B@13|#@16|C@38|";
    for (size_t step = 1; step <= len; step++) {
        struct toy t;
        toy_init(&t, 64, 4);
        size_t pos = 0;
        while (pos < len) {
            size_t chunk = len - pos < step ? len - pos : step;
            size_t used = line_sess_recv(&t.ss, &toy_proto, &t, in + pos, chunk);
            assert_int_equal(used, chunk);
            pos += chunk;
        }
        assert_string_equal(t.rec, want);
        assert_int_equal(t.ss.in_total, len);
        assert_int_equal(t.ss.line_off, len); /* once handled: the byte after it */
        line_sess_free(&t.ss);
    }
}

/* After "TLS" the rest of the flight is consumed, counted, and never read
 * as lines (RFC 3207 §4.2); the next flight is read again. */
static void test_discard_rest(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, 64, 4);
    static const char in[] = "TLS\r\nEVIL\r\n";
    assert_int_equal(line_sess_recv(&t.ss, &toy_proto, &t, in, sizeof in - 1), sizeof in - 1);
    assert_int_equal(line_sess_recv(&t.ss, &toy_proto, &t, "OK\r\n", 4), 4);
    assert_string_equal(t.rec, "TLS@0|OK@11|");
    assert_int_equal(t.ss.in_total, sizeof in - 1 + 4);
    line_sess_free(&t.ss);
}

/* The loop stops when the engine may not read, and reads nothing more. */
static void test_can_read_stops(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, 64, 4);
    t.stop = true;
    assert_int_equal(line_sess_recv(&t.ss, &toy_proto, &t, "A\r\n", 3), 0);
    assert_int_equal(t.rec_len, 0);
    line_sess_free(&t.ss);
}

/* The output never grows past its ceiling: a write over it is cut; sent
 * bytes make room again, and what waits moves to the front. */
static void test_output_ceiling(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, 16, 4);
    assert_int_equal(line_sess_write(&t.ss, "0123456789", 10), 10);
    assert_int_equal(line_sess_write(&t.ss, "abcdefghij", 10), 6);
    assert_int_equal(line_sess_room(&t.ss), 0);
    assert_true(t.ss.out_cap <= 16);
    const char *p;
    assert_int_equal(line_sess_out(&t.ss, &p), 16);
    assert_memory_equal(p, "0123456789abcdef", 16);
    line_sess_out_done(&t.ss, 10);
    assert_int_equal(line_sess_room(&t.ss), 10);
    assert_int_equal(line_sess_printf(&t.ss, "%s", "XYZ"), 3);
    assert_int_equal(line_sess_out(&t.ss, &p), 9);
    assert_memory_equal(p, "abcdefXYZ", 9);
    line_sess_out_drop(&t.ss);
    assert_int_equal(line_sess_out(&t.ss, &p), 0);
    line_sess_free(&t.ss);
}

/* Events keep their order through a full ring that doubles, and the event
 * last taken stays valid until the next take. */
static void test_events_grow_in_order(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, 16, 2);
    for (int i = 0; i < 2; i++) *(int *)line_sess_event(&t.ss, sizeof(int)) = i;
    const int *first = line_sess_take(&t.ss, sizeof(int));
    assert_int_equal(*first, 0);
    for (int i = 2; i < 9; i++) *(int *)line_sess_event(&t.ss, sizeof(int)) = i; /* grows twice */
    assert_true(t.ss.evq.cap >= 8);
    const int *borrowed = (const int *)(t.ss.evq.slots + t.ss.evq.cap * t.ss.evq.size);
    assert_int_equal(*borrowed, 0); /* the borrowed slot moved with the ring */
    assert_int_equal(line_sess_events(&t.ss), 8);
    assert_int_equal(*(int *)line_sess_event_at(&t.ss, 7, sizeof(int)), 8);
    for (int i = 1; i < 9; i++) {
        const int *e = i % 2 ? line_sess_pop(&t.ss) : line_sess_take(&t.ss, sizeof(int));
        assert_non_null(e);
        assert_int_equal(*e, i);
    }
    assert_null(line_sess_pop(&t.ss));
    assert_null(line_sess_take(&t.ss, sizeof(int)));
    line_sess_free(&t.ss);
}

/* line_sess_enter() is what the session log reports: the state change is
 * given at the line that caused it. */
static void test_enter_reported_at_line(void **state)
{
    (void)state;
    struct toy t;
    toy_init(&t, 64, 4);
    line_sess_log(&t.ss);
    line_sess_recv(&t.ss, &toy_proto, &t, "RAW 2\r\nx", 8); /* the raw run goes on */
    line_log_settle(&t.ss.log);
    struct line_fact f;
    assert_true(line_log_next(&t.ss.log, &f));
    assert_int_equal(f.kind, LINE_FACT_IN);
    assert_string_equal(f.from, "LINES");
    assert_string_equal(f.to, "RAW");
    line_sess_free(&t.ss);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recv_offsets_every_split),
        cmocka_unit_test(test_discard_rest),
        cmocka_unit_test(test_can_read_stops),
        cmocka_unit_test(test_output_ceiling),
        cmocka_unit_test(test_events_grow_in_order),
        cmocka_unit_test(test_enter_reported_at_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
