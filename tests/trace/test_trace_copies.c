/* test_trace_copies.c -- message copies in the trace: a copy's header kept
 * as the bytes a hop put in front of an earlier copy's header, read back
 * whole through trace_msg_copy_header; headers that extend no earlier copy,
 * one cut at TRACE_COPY_HEADER_MAX, an identical one, the buffer contract
 * and the hash; the MIME outline shared with the copy extended when only
 * the header grew, read back with the offsets of each copy; heads kept in
 * many small packed blocks read back in any order. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define H0 "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: Hi\r\n\r\n"
#define RA "Received: from alice-pc by mail.example.org; Sun, 6 Dec 2026 10:00:00 +0000\r\n"
#define RB "Received: from mail.example.org by mx.example.net; Sun, 6 Dec 2026 10:00:01 +0000\r\n"
#define RP "Return-Path: <alice@example.org>\r\n"

static size_t add(struct trace *tr, uint32_t msg, uint32_t host, const char *hdr, size_t len)
{
    trace_add_msg_copy(tr, 0, msg, host, TRACE_NONE, hdr, len, len + 10, NULL, 0);
    return trace_msg_copy_count(tr) - 1;
}

static size_t add_s(struct trace *tr, uint32_t msg, uint32_t host, const char *hdr)
{
    return add(tr, msg, host, hdr, strlen(hdr));
}

/* Copy i's whole header equals want[0..len). */
static void expect_header(const struct trace *tr, size_t i, const char *want, size_t len)
{
    char buf[TRACE_COPY_HEADER_MAX + 1];
    const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
    size_t n = trace_msg_copy_header(tr, c, buf, sizeof buf);
    assert_int_equal(n, len);
    assert_memory_equal(buf, want, len);
    assert_int_equal(buf[len], '\0');
}

/* Copy i keeps only want in front of its base's header (all of it without a
 * base). */
static void expect_head(const struct trace *tr, size_t i, const char *want)
{
    const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
    size_t all = trace_msg_copy_header(tr, c, NULL, 0);
    size_t below = c->base == TRACE_NONE
                       ? 0
                       : trace_msg_copy_header(tr, trace_msg_copy_get(tr, c->base), NULL, 0);
    assert_int_equal(all - below, strlen(want));
    assert_int_equal(c->head == TRACE_NONE, want[0] == '\0');
    char buf[TRACE_COPY_HEADER_MAX + 1];
    trace_msg_copy_header(tr, c, buf, sizeof buf);
    assert_memory_equal(buf, want, strlen(want));
}

/* Composed, queued, relayed, in the mailbox: each copy keeps only what its
 * hop put in front, based on the copy before, and reads back whole. */
static void test_chain_of_four(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    static const char *const hs[] = {H0, RA H0, RB RA H0, RP RB RA H0};
    for (size_t i = 0; i < 4; i++) assert_int_equal(add_s(tr, 1, (uint32_t)i, hs[i]), i);
    for (size_t i = 0; i < 4; i++) expect_header(tr, i, hs[i], strlen(hs[i]));
    assert_int_equal(trace_msg_copy_get(tr, 0)->base, TRACE_NONE);
    expect_head(tr, 0, H0);
    for (uint32_t i = 1; i < 4; i++) assert_int_equal(trace_msg_copy_get(tr, i)->base, i - 1);
    expect_head(tr, 1, RA);
    expect_head(tr, 2, RB);
    expect_head(tr, 3, RP);
    trace_free(tr);
}

/* A header that does not end with an earlier copy's (rewritten by a hop)
 * is kept whole; the next copy extends it. Copies of other messages in
 * between are never a base. */
static void test_not_an_extension(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    add_s(tr, 1, 0, H0);
    add_s(tr, 2, 0, "From: carol@example.org\r\n\r\n");
    const char *rewritten =
        RA "From: alice@example.org\r\nTo: bob@example.net\r\nSubject: [x] Hi\r\n\r\n";
    size_t k = add_s(tr, 1, 1, rewritten);
    assert_int_equal(trace_msg_copy_get(tr, k)->base, TRACE_NONE);
    expect_head(tr, k, rewritten);
    char ext[512];
    snprintf(ext, sizeof ext, "%s%s", RB, rewritten);
    size_t e = add_s(tr, 1, 2, ext);
    assert_int_equal(trace_msg_copy_get(tr, e)->base, k);
    /* message 2's next copy extends message 2's, not message 1's latest */
    size_t m2 = add_s(tr, 2, 1, RA "From: carol@example.org\r\n\r\n");
    assert_int_equal(trace_msg_copy_get(tr, m2)->base, 1);
    expect_header(tr, k, rewritten, strlen(rewritten));
    expect_header(tr, e, ext, strlen(ext));
    expect_header(tr, 0, H0, strlen(H0));
    trace_free(tr);
}

/* One message relayed to two domains: the second relay's copy does not
 * extend the first relay's (the latest copy) but extends that copy's base,
 * the submission server's. */
static void test_two_branches(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    add_s(tr, 1, 0, H0);
    size_t s = add_s(tr, 1, 1, RA H0);
    size_t b1 = add_s(tr, 1, 2, RB RA H0);
    const char *other = "Received: from mail.example.org by mx.example.com\r\n" RA H0;
    size_t b2 = add_s(tr, 1, 3, other);
    assert_int_equal(trace_msg_copy_get(tr, b1)->base, s);
    assert_int_equal(trace_msg_copy_get(tr, b2)->base, s);
    expect_header(tr, b2, other, strlen(other));
    trace_free(tr);
}

/* The same header again (a copy fetched, then fetched again): no bytes, and
 * the chain does not grow with each fetch. */
static void test_identical_header(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    add_s(tr, 1, 0, H0);
    size_t q = add_s(tr, 1, 1, RA H0);
    size_t strs = trace_str_count(tr);
    for (int i = 0; i < 50; i++) {
        size_t k = add_s(tr, 1, 2, RA H0);
        assert_int_equal(trace_msg_copy_get(tr, k)->base, q);
        expect_head(tr, k, "");
        expect_header(tr, k, RA H0, strlen(RA H0));
    }
    assert_true(trace_str_count(tr) <= strs + 1); /* the empty head, once */
    /* the first copy's header again: the composed copy is its base */
    size_t k = add_s(tr, 1, 3, H0);
    assert_int_equal(trace_msg_copy_get(tr, k)->base, 0);
    expect_header(tr, k, H0, strlen(H0));
    trace_free(tr);
}

/* A header longer than TRACE_COPY_HEADER_MAX keeps its first bytes; the
 * next hop's copy (a line in front, cut at the cap again) does not end with
 * them and is kept whole; a header of exactly the cap extended by a line is
 * cut too. */
static void test_header_at_the_cap(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    size_t big = TRACE_COPY_HEADER_MAX + 900;
    char *h = malloc(big + sizeof RA);
    for (size_t i = 0; i < big; i++) h[i] = (char)('a' + i % 26);
    size_t k0 = add(tr, 1, 0, h, big);
    expect_header(tr, k0, h, TRACE_COPY_HEADER_MAX);
    memmove(h + strlen(RA), h, big);
    memcpy(h, RA, strlen(RA));
    size_t k1 = add(tr, 1, 1, h, big + strlen(RA));
    assert_int_equal(trace_msg_copy_get(tr, k1)->base, TRACE_NONE);
    expect_header(tr, k1, h, TRACE_COPY_HEADER_MAX);
    /* exactly the cap, then a line in front */
    size_t k2 = add(tr, 2, 0, h + strlen(RA), TRACE_COPY_HEADER_MAX);
    expect_header(tr, k2, h + strlen(RA), TRACE_COPY_HEADER_MAX);
    size_t k3 = add(tr, 2, 1, h, TRACE_COPY_HEADER_MAX + strlen(RA));
    assert_int_equal(trace_msg_copy_get(tr, k3)->base, TRACE_NONE);
    expect_header(tr, k3, h, TRACE_COPY_HEADER_MAX);
    /* a delta chain up to the cap: the last copy fills it exactly */
    size_t k4 = add(tr, 3, 0, h + strlen(RA), TRACE_COPY_HEADER_MAX - strlen(RA));
    size_t k5 = add(tr, 3, 1, h, TRACE_COPY_HEADER_MAX);
    assert_int_equal(trace_msg_copy_get(tr, k5)->base, k4);
    expect_header(tr, k5, h, TRACE_COPY_HEADER_MAX);
    free(h);
    trace_free(tr);
}

/* The buffer contract (snprintf's): a short buffer gets the first bytes and
 * a NUL, the length is the whole header's; NUL bytes of the header are
 * kept. */
static void test_buffer_contract(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    static const char nul_h[] = "X-A: 1\r\nX-B: \0 2\r\n\r\n";
    size_t n0 = sizeof nul_h - 1;
    add(tr, 1, 0, nul_h, n0);
    char two[sizeof RA + sizeof nul_h];
    memcpy(two, RA, strlen(RA));
    memcpy(two + strlen(RA), nul_h, n0);
    size_t k = add(tr, 1, 1, two, strlen(RA) + n0);
    assert_int_equal(trace_msg_copy_get(tr, k)->base, 0);
    expect_header(tr, k, two, strlen(RA) + n0);
    const struct trace_msg_copy *c = trace_msg_copy_get(tr, k);
    char small[11];
    memset(small, 'z', sizeof small);
    assert_int_equal(trace_msg_copy_header(tr, c, small, 10), strlen(RA) + n0);
    assert_memory_equal(small, RA, 9);
    assert_int_equal(small[9], '\0');
    assert_int_equal(small[10], 'z');
    /* a buffer ending inside the base's bytes */
    char mid[sizeof RA + 4];
    assert_int_equal(trace_msg_copy_header(tr, c, mid, sizeof mid), strlen(RA) + n0);
    assert_memory_equal(mid, two, sizeof mid - 1);
    assert_int_equal(mid[sizeof mid - 1], '\0');
    assert_int_equal(trace_msg_copy_header(tr, c, NULL, 0), strlen(RA) + n0);
    /* no header at all */
    trace_add_msg_copy(tr, 0, 9, 0, TRACE_NONE, NULL, 0, 0, NULL, 0);
    char e[4] = "abc";
    assert_int_equal(trace_msg_copy_header(tr, trace_msg_copy_get(tr, 2), e, sizeof e), 0);
    assert_string_equal(e, "");
    trace_free(tr);
}

/* trace_copy_headers_whole: every header interned whole, and read back the
 * same as the deltas; message numbers far from the others get no table
 * slot but work. */
static void test_whole_and_stray_numbers(void **state)
{
    (void)state;
    struct trace *d = trace_new(), *w = trace_new();
    trace_copy_headers_whole(w, true);
    static const char *const hs[] = {H0, RA H0, RB RA H0};
    for (size_t i = 0; i < 3; i++) {
        add_s(d, UINT32_MAX - 1, 0, hs[i]);
        add_s(w, 1, 0, hs[i]);
    }
    for (size_t i = 0; i < 3; i++) {
        assert_int_equal(trace_msg_copy_get(w, i)->base, TRACE_NONE);
        assert_int_equal(trace_msg_copy_get(d, i)->base, TRACE_NONE); /* no slot: whole */
        expect_header(w, i, hs[i], strlen(hs[i]));
        expect_header(d, i, hs[i], strlen(hs[i]));
    }
    trace_free(d);
    trace_free(w);
}

/* The hash covers the whole header: two traces whose copies differ only in
 * the base's bytes (so every delta is the same) hash differently; equal
 * traces hash equally. */
static void test_hash_covers_whole_header(void **state)
{
    (void)state;
    struct trace *a = trace_new(), *b = trace_new(), *c = trace_new();
    add_s(a, 1, 0, H0);
    add_s(a, 1, 1, RA H0);
    add_s(b, 1, 0, H0);
    add_s(b, 1, 1, RA H0);
    add_s(c, 1, 0, "From: x\r\n\r\n");
    add_s(c, 1, 1, RA "From: x\r\n\r\n");
    assert_true(trace_hash(a) == trace_hash(b));
    assert_true(trace_hash(a) != trace_hash(c));
    trace_free(a);
    trace_free(b);
    trace_free(c);
}

/* A two-part outline of a message whose header is hl bytes: the message
 * (multipart), one text part 40 bytes into the body. */
static void outline(struct trace *tr, struct trace_mime_part p[2], uint64_t hl, uint64_t body)
{
    memset(p, 0, 2 * sizeof *p);
    p[0].off = 0;
    p[0].hdr_len = hl;
    p[0].body_len = body;
    p[0].decoded_len = body;
    p[0].path = trace_intern(tr, "");
    p[0].type = trace_intern(tr, "multipart/mixed");
    p[0].filename = TRACE_NONE;
    p[0].cte = trace_intern(tr, "7bit");
    p[0].preview = p[0].raw = trace_intern(tr, "");
    p[1].off = hl + 40;
    p[1].hdr_len = 30;
    p[1].body_len = 100;
    p[1].decoded_len = 75;
    p[1].path = trace_intern(tr, "1");
    p[1].type = trace_intern(tr, "text/plain");
    p[1].filename = trace_intern(tr, "a.txt");
    p[1].cte = trace_intern(tr, "base64");
    p[1].preview = trace_intern_n(tr, "hello", 5);
    p[1].raw = trace_intern(tr, "aGVsbG8=");
    p[1].depth = 1;
    p[1].preview_len = 5;
}

static void add_outlined(struct trace *tr, uint32_t msg, const char *hdr, uint64_t body)
{
    struct trace_mime_part p[2];
    outline(tr, p, strlen(hdr), body);
    trace_add_msg_copy(tr, 0, msg, 0, TRACE_NONE, hdr, strlen(hdr), strlen(hdr) + body, p, 2);
}

/* Copy i's parts are those outline() makes for its header and body. */
static void expect_outline(struct trace *tr, size_t i, const char *hdr, uint64_t body)
{
    struct trace_mime_part want[2], got;
    outline(tr, want, strlen(hdr), body);
    const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
    assert_int_equal(c->n_parts, 2);
    for (size_t j = 0; j < 2; j++) {
        trace_msg_copy_part(tr, c, j, &got);
        assert_memory_equal(&got, &want[j], sizeof got);
    }
}

/* Queued, relayed, stored, fetched: the header grows and the body is the
 * same, so the parts are stored once and read back moved on by the bytes in
 * front; a body that changed (a hop rewrote it) gets parts of its own. */
static void test_parts_shared(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    static const char *const hs[] = {H0, RA H0, RB RA H0, RP RB RA H0, RP RB RA H0};
    for (size_t i = 0; i < 5; i++) add_outlined(tr, 1, hs[i], 500);
    for (size_t i = 0; i < 5; i++) {
        expect_outline(tr, i, hs[i], 500);
        assert_int_equal(trace_msg_copy_get(tr, i)->first_part, 0);
    }
    assert_int_equal(trace_msg_copy_get(tr, 3)->parts_shift, strlen(RP RB RA));
    add_outlined(tr, 1, "X-Scanned: yes\r\n" RP RB RA H0, 520);
    assert_int_equal(trace_msg_copy_get(tr, 5)->base, 3); /* 4 has 3's header */
    assert_int_equal(trace_msg_copy_get(tr, 5)->first_part, 2);
    assert_int_equal(trace_msg_copy_get(tr, 5)->parts_shift, 0);
    expect_outline(tr, 5, "X-Scanned: yes\r\n" RP RB RA H0, 520);
    /* its next hop shares the new parts */
    add_outlined(tr, 1, RA "X-Scanned: yes\r\n" RP RB RA H0, 520);
    assert_int_equal(trace_msg_copy_get(tr, 6)->first_part, 2);
    expect_outline(tr, 6, RA "X-Scanned: yes\r\n" RP RB RA H0, 520);
    /* a different number of parts */
    struct trace_mime_part p[2];
    outline(tr, p, strlen(RB "X-Scanned: yes\r\n" RP RB RA H0), 520);
    trace_add_msg_copy(tr, 0, 1, 0, TRACE_NONE, RB "X-Scanned: yes\r\n" RP RB RA H0,
                       strlen(RB "X-Scanned: yes\r\n" RP RB RA H0), 900, p, 1);
    assert_int_equal(trace_msg_copy_get(tr, 7)->base, 5);
    assert_int_equal(trace_msg_copy_get(tr, 7)->first_part, 4);
    assert_int_equal(trace_msg_copy_get(tr, 7)->n_parts, 1);
    trace_free(tr);
}

/* Message m's header after hop h (0: as composed). */
static size_t hop_header(char *buf, size_t cap, unsigned m, unsigned h)
{
    size_t o = 0;
    for (unsigned k = h; k > 0; k--)
        o += (size_t)snprintf(buf + o, cap - o,
                              "Received: from hop%u.example.org by hop%u.example.net id M%u; "
                              "Sun, 6 Dec 2026 10:%02u:%02u +0000\r\n",
                              k - 1, k, m, m % 60, k);
    o += (size_t)snprintf(buf + o, cap - o,
                          "From: user%u@example.org\r\nTo: peer%u@example.net\r\n"
                          "Message-ID: <%u.x@example.org>\r\nSubject: note %u\r\n\r\n",
                          m, m * 7 % 101, m, m);
    return o;
}

/* Heads kept in blocks of 600 bytes, two of them decoded at a time: 300
 * messages' copies taken hop by hop across all of them (so a copy's base
 * lies blocks back) read back whole in random order, and the heads of the
 * 1,200 copies take less room than their bytes. */
static void test_heads_packed(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    trace_set_storage(tr, 600, 2);
    char buf[1024];
    size_t raw = 0;
    for (unsigned h = 0; h < 4; h++)
        for (unsigned m = 1; m <= 300; m++) {
            size_t n = hop_header(buf, sizeof buf, m, h);
            size_t k = add(tr, m, h, buf, n);
            if (h > 0) assert_int_equal(trace_msg_copy_get(tr, k)->base, k - 300);
            raw += n;
        }
    uint64_t x = 12345;
    for (int i = 0; i < 3000; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        size_t k = (size_t)(x >> 33) % 1200;
        size_t n = hop_header(buf, sizeof buf, (unsigned)(k % 300) + 1, (unsigned)(k / 300));
        expect_header(tr, k, buf, n);
    }
    size_t whole_mem;
    {
        struct trace *w = trace_new();
        trace_copy_headers_whole(w, true);
        for (unsigned h = 0; h < 4; h++)
            for (unsigned m = 1; m <= 300; m++)
                add(w, m, h, buf, hop_header(buf, sizeof buf, m, h));
        whole_mem = trace_memory(w);
        trace_free(w);
    }
    print_message("1,200 headers, %zu bytes: the trace holds %zu bytes, %zu with whole headers\n",
                  raw, trace_memory(tr), whole_mem);
    assert_true(trace_memory(tr) < whole_mem);
    trace_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chain_of_four),
        cmocka_unit_test(test_not_an_extension),
        cmocka_unit_test(test_two_branches),
        cmocka_unit_test(test_identical_header),
        cmocka_unit_test(test_header_at_the_cap),
        cmocka_unit_test(test_buffer_contract),
        cmocka_unit_test(test_whole_and_stray_numbers),
        cmocka_unit_test(test_hash_covers_whole_header),
        cmocka_unit_test(test_parts_shared),
        cmocka_unit_test(test_heads_packed),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
