/* test_dns_wire.c -- RFC 1035 queries and answers: exact bytes, compression,
 * rcodes, and the strict parser's refusals (loops, bounds, label bytes). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/dns_wire.h"

static struct dns_zone *test_zone(void)
{
    struct dns_zone *z = dns_zone_new();
    const uint8_t a1[4] = {192, 0, 2, 25}, a2[4] = {198, 51, 100, 25};
    assert_true(dns_zone_add_mx(z, "example.net", 10, "mail.example.net", 3600));
    assert_true(dns_zone_add_a(z, "mail.example.net", a1, 3600));
    assert_true(dns_zone_add_mx(z, "example.org", 10, "mail.example.org", 3600));
    assert_true(dns_zone_add_a(z, "mail.example.org", a2, 3600));
    return z;
}

static void test_query_bytes(void **state)
{
    (void)state;
    uint8_t out[DNS_UDP_MAX];
    size_t n = dns_query_build(0x1234, "example.net", DNS_T_MX, out, sizeof out);
    static const uint8_t want[] = {
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 7,    'e',  'x',
        'a',  'm',  'p',  'l',  'e',  3,    'n',  'e',  't',  0,    0x00, 0x0f, 0x00, 0x01,
    };
    assert_int_equal(n, sizeof want);
    assert_memory_equal(out, want, sizeof want);
    /* Too small a buffer and bad names give 0. */
    assert_int_equal(dns_query_build(1, "example.net", DNS_T_MX, out, sizeof want - 1), 0);
    assert_int_equal(dns_query_build(1, "bad..name", DNS_T_MX, out, sizeof out), 0);
    assert_int_equal(dns_query_build(1, "a\r\nb", DNS_T_MX, out, sizeof out), 0);
}

static void test_mx_answer_bytes(void **state)
{
    (void)state;
    struct dns_zone *z = test_zone();
    uint8_t q[DNS_UDP_MAX], a[DNS_UDP_MAX];
    size_t qn = dns_query_build(0xBEEF, "Example.NET", DNS_T_MX, q, sizeof q);
    size_t n = dns_answer_build(z, q, qn, a, sizeof a);
    static const uint8_t want[] = {
        0xbe,
        0xef,
        0x85,
        0x80,
        0x00,
        0x01,
        0x00,
        0x01,
        0x00,
        0x00,
        0x00,
        0x01,
        /* question, echoed as asked */
        7,
        'E',
        'x',
        'a',
        'm',
        'p',
        'l',
        'e',
        3,
        'N',
        'E',
        'T',
        0,
        0x00,
        0x0f,
        0x00,
        0x01,
        /* answer: pointer to the question name at offset 12 */
        0xc0,
        0x0c,
        0x00,
        0x0f,
        0x00,
        0x01,
        0x00,
        0x00,
        0x0e,
        0x10,
        0x00,
        0x09,
        0x00,
        0x0a,
        4,
        'm',
        'a',
        'i',
        'l',
        0xc0,
        0x0c,
        /* additional: mail.example.net A, compressed to the exchange at 43 */
        0xc0,
        0x2b,
        0x00,
        0x01,
        0x00,
        0x01,
        0x00,
        0x00,
        0x0e,
        0x10,
        0x00,
        0x04,
        192,
        0,
        2,
        25,
    };
    assert_int_equal(n, sizeof want);
    assert_memory_equal(a, want, sizeof want);

    struct dns_msg *m = malloc(sizeof *m);
    size_t off = 99;
    assert_int_equal(dns_parse(a, n, m, &off), DNS_E_OK);
    char s[256];
    assert_string_equal(dns_msg_summary(m, s, sizeof s),
                        "answer 0xbeef NOERROR: Example.NET MX 10 mail.Example.NET; "
                        "mail.Example.NET A 192.0.2.25");
    assert_true(m->aa);
    assert_int_equal(m->an_count, 1);
    assert_int_equal(m->ar_count, 1);
    assert_int_equal(m->an[0].ttl, 3600);
    assert_int_equal(dns_parse(q, qn, m, NULL), DNS_E_OK);
    assert_string_equal(dns_msg_summary(m, s, sizeof s), "query 0xbeef MX Example.NET?");
    free(m);
    dns_zone_free(z);
}

static void test_rcodes(void **state)
{
    (void)state;
    struct dns_zone *z = test_zone();
    uint8_t q[DNS_UDP_MAX], a[DNS_UDP_MAX];
    struct dns_msg *m = malloc(sizeof *m);
    char s[256];

    size_t qn = dns_query_build(7, "nowhere.test", DNS_T_MX, q, sizeof q);
    size_t n = dns_answer_build(z, q, qn, a, sizeof a);
    assert_int_equal(dns_parse(a, n, m, NULL), DNS_E_OK);
    assert_string_equal(dns_msg_summary(m, s, sizeof s), "answer 0x0007 NXDOMAIN");

    qn = dns_query_build(8, "example.net", DNS_T_A, q, sizeof q);
    n = dns_answer_build(z, q, qn, a, sizeof a);
    assert_int_equal(dns_parse(a, n, m, NULL), DNS_E_OK);
    assert_string_equal(dns_msg_summary(m, s, sizeof s), "answer 0x0008 NOERROR (no records)");

    qn = dns_query_build(9, "mail.example.org", DNS_T_A, q, sizeof q);
    n = dns_answer_build(z, q, qn, a, sizeof a);
    assert_int_equal(dns_parse(a, n, m, NULL), DNS_E_OK);
    assert_string_equal(dns_msg_summary(m, s, sizeof s),
                        "answer 0x0009 NOERROR: mail.example.org A 198.51.100.25");

    qn = dns_query_build(10, "example.net", 28 /* AAAA */, q, sizeof q);
    n = dns_answer_build(z, q, qn, a, sizeof a);
    assert_int_equal(dns_parse(a, n, m, NULL), DNS_E_OK);
    assert_int_equal(m->rcode, DNS_R_NOTIMP);

    /* A broken query with a header gets FORMERR; a response gets silence. */
    qn = dns_query_build(11, "example.net", DNS_T_MX, q, sizeof q);
    q[5] = 2; /* QDCOUNT 2 */
    n = dns_answer_build(z, q, qn, a, sizeof a);
    assert_int_equal(n, 12);
    assert_int_equal(dns_parse(a, n, m, NULL), DNS_E_QDCOUNT); /* and its QDCOUNT is 0 */
    assert_int_equal(a[3] & 0x0f, DNS_R_FORMERR);
    q[5] = 1;
    q[2] |= 0x80;
    assert_int_equal(dns_answer_build(z, q, qn, a, sizeof a), 0);
    assert_int_equal(dns_answer_build(z, q, 5, a, sizeof a), 0);

    /* An answer that does not fit is sent truncated (TC). */
    qn = dns_query_build(12, "example.net", DNS_T_MX, q, sizeof q);
    n = dns_answer_build(z, q, qn, a, 40);
    assert_int_equal(n, 12);
    assert_int_equal(a[2] & 0x02, 0x02);
    free(m);
    dns_zone_free(z);
}

/* Parse bytes, expect an error at an offset. */
static void expect_err(const uint8_t *b, size_t n, enum dns_err want, size_t want_off)
{
    struct dns_msg *m = malloc(sizeof *m);
    size_t off = 9999;
    enum dns_err e = dns_parse(b, n, m, &off);
    free(m);
    if (e != want || off != want_off)
        fail_msg("got %s at %zu, want %s at %zu", dns_strerror(e), off, dns_strerror(want),
                 want_off);
}

#define HDR(qd, an) 0x00, 0x01, 0x81, 0x80, 0x00, qd, 0x00, an, 0x00, 0x00, 0x00, 0x00

static void test_parser_refusals(void **state)
{
    (void)state;
    const uint8_t shorth[] = {0x00, 0x01, 0x81};
    expect_err(shorth, sizeof shorth, DNS_E_SHORT_HEADER, 3);

    /* A pointer to itself: the classic loop. */
    const uint8_t self[] = {HDR(1, 0), 0xc0, 0x0c, 0, 1, 0, 1};
    expect_err(self, sizeof self, DNS_E_POINTER_FORWARD, 12);
    /* Two pointers pointing at each other through a label. */
    const uint8_t loop2[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 1, 'b', 0xc0, 19, 0,
                             1,         0, 1,   0, 0, 0, 0, 0, 4, 1,   2,    3,  4};
    expect_err(loop2, sizeof loop2, DNS_E_POINTER_FORWARD, 21);
    /* Label types 01 and 10 are reserved. */
    const uint8_t ltype[] = {HDR(1, 0), 0x41, 'a', 0, 0, 1, 0, 1};
    expect_err(ltype, sizeof ltype, DNS_E_LABEL_TYPE, 12);
    /* A CR inside a label. */
    const uint8_t crlab[] = {HDR(1, 0), 3, 'a', '\r', 'b', 0, 0, 1, 0, 1};
    expect_err(crlab, sizeof crlab, DNS_E_LABEL_BYTE, 14);
    /* The name runs off the end. */
    const uint8_t trunc[] = {HDR(1, 0), 5, 'a', 'b'};
    expect_err(trunc, sizeof trunc, DNS_E_TRUNCATED, 12);
    /* Question count 0. */
    const uint8_t qd0[] = {HDR(0, 0)};
    expect_err(qd0, sizeof qd0, DNS_E_QDCOUNT, 4);
    /* An A record with 5 octets of RDATA. */
    const uint8_t a5[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0, 1, 0,
                          1,         0, 0,   0, 0, 0, 5, 1, 2,    3,  4, 5};
    expect_err(a5, sizeof a5, DNS_E_RDLENGTH, 29);
    /* RDLENGTH past the end. */
    const uint8_t rdpast[] = {HDR(1, 1), 1, 'a', 0, 0, 1, 0, 1, 0xc0, 12, 0,
                              1,         0, 1,   0, 0, 0, 0, 0, 4,    1,  2};
    expect_err(rdpast, sizeof rdpast, DNS_E_TRUNCATED, 29);
    /* MX exchange name longer than its RDLENGTH. */
    const uint8_t mxlong[] = {HDR(1, 1), 1, 'a', 0, 0, 15, 0, 1,  0xc0, 12,  0,   15,  0, 1,
                              0,         0, 0,   0, 0, 4,  0, 10, 3,    'b', 'c', 'd', 0};
    expect_err(mxlong, sizeof mxlong, DNS_E_RDLENGTH, 33);
    /* Trailing garbage. */
    const uint8_t trail[] = {HDR(1, 0), 1, 'a', 0, 0, 1, 0, 1, 0xff};
    expect_err(trail, sizeof trail, DNS_E_TRAILING, 19);
    /* Too many answers claimed. */
    const uint8_t many[] = {HDR(1, 17), 1, 'a', 0, 0, 1, 0, 1};
    expect_err(many, sizeof many, DNS_E_TOO_MANY, 6);
    /* Over 512 octets. */
    uint8_t big[513] = {HDR(1, 0)};
    expect_err(big, sizeof big, DNS_E_TOO_LONG, 512);
}

/* 255 wire octets is the limit; pointers cannot be used to exceed it. */
static void test_name_limits(void **state)
{
    (void)state;
    char l63[64], l64[65], name[300];
    memset(l63, 'a', 63);
    l63[63] = '\0';
    memset(l64, 'a', 64);
    l64[64] = '\0';
    assert_true(dns_name_valid(l63));
    assert_false(dns_name_valid(l64));
    assert_false(dns_name_valid(""));
    assert_false(dns_name_valid("a."));
    assert_false(dns_name_valid(".a"));
    assert_false(dns_name_valid("a b"));
    /* 3 x 63 + 61 + 3 dots = 253 characters: wire 255, the limit. */
    snprintf(name, sizeof name, "%s.%s.%s.%.61s", l63, l63, l63, l63);
    assert_int_equal(strlen(name), 253);
    assert_true(dns_name_valid(name));
    snprintf(name, sizeof name, "%s.%s.%s.%.62s", l63, l63, l63, l63);
    assert_false(dns_name_valid(name));

    /* On the wire: a 256-octet name built from labels and a pointer. */
    uint8_t m[DNS_UDP_MAX];
    size_t n = 0;
    const uint8_t h[] = {HDR(1, 1)};
    memcpy(m, h, sizeof h);
    n = sizeof h;
    for (int i = 0; i < 2; i++) {
        m[n++] = 63;
        memset(m + n, 'x', 63);
        n += 63;
    }
    m[n++] = 0; /* question name: 129 wire octets, at 12 */
    m[n++] = 0;
    m[n++] = 1;
    m[n++] = 0;
    m[n++] = 1;
    size_t an = n;
    m[n++] = 63;
    memset(m + n, 'y', 63);
    n += 63;
    m[n++] = 62;
    memset(m + n, 'z', 62);
    n += 62;
    m[n++] = 0xc0;
    m[n++] = 12; /* 128 + 129 = 257 > 255 */
    const uint8_t tail[] = {0, 1, 0, 1, 0, 0, 0, 0, 0, 4, 1, 2, 3, 4};
    memcpy(m + n, tail, sizeof tail);
    n += sizeof tail;
    (void)an;
    expect_err(m, n, DNS_E_NAME_TOO_LONG, 12 + 64 + 64 + 0);
}

static void test_strerror(void **state)
{
    (void)state;
    assert_string_equal(dns_strerror(DNS_E_POINTER_FORWARD),
                        "compression pointer does not point to a prior name");
    assert_string_equal(dns_strerror((enum dns_err)99), "unknown DNS error");
    assert_string_equal(dns_rcode_name(3), "NXDOMAIN");
    assert_string_equal(dns_rcode_name(9), "RCODE?");
    assert_string_equal(dns_type_name(15), "MX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_query_bytes), cmocka_unit_test(test_mx_answer_bytes),
        cmocka_unit_test(test_rcodes),      cmocka_unit_test(test_parser_refusals),
        cmocka_unit_test(test_name_limits), cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests_name("dns_wire", tests, NULL, NULL);
}
