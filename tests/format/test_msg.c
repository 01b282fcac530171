/* test_msg.c -- RFC 5322 fields: split, iterate, unfold, fold, encoded-words,
 * addresses, dates, Message-IDs, trace fields, header injection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "format/msg.h"

#define S(lit) lit, sizeof(lit) - 1

static void test_split(void **state)
{
    (void)state;
    struct msg_split sp;
    msg_split(S("A: 1\r\nB: 2\r\n\r\nbody\r\n"), &sp);
    assert_int_equal(sp.hdr_len, 14);
    assert_int_equal(sp.body_off, 14);
    assert_int_equal(sp.body_len, 6);
    msg_split(S("A: 1\nB: 2\n\nbody"), &sp); /* bare LF tolerated when reading */
    assert_int_equal(sp.hdr_len, 11);
    assert_int_equal(sp.body_len, 4);
    msg_split(S("A: 1\r\nB: 2\r\n"), &sp); /* no empty line: all header */
    assert_int_equal(sp.hdr_len, 12);
    assert_int_equal(sp.body_len, 0);
    msg_split(S("\r\nbody"), &sp);
    assert_int_equal(sp.hdr_len, 2);
    assert_int_equal(sp.body_len, 4);
    msg_split(S("A: 1\r\n \r\nB: 2\r\n\r\nx"), &sp); /* a WSP-only line is not empty */
    assert_int_equal(sp.hdr_len, 17);
    msg_split("", 0, &sp);
    assert_int_equal(sp.hdr_len, 0);
}

static void test_fields(void **state)
{
    (void)state;
    const char h[] = "Subject: one\r\n two\r\n"
                     "bad line\r\n"
                     " orphan? no: continuation of nothing is skipped with the bad line\r\n"
                     "X-Nul\0: skipped\r\n"
                     "To : bob@example.net\r\n"
                     "X-Val: a\0b\r\n"
                     "\r\n"
                     "Body: not a field\r\n";
    struct msg_field_iter it;
    struct msg_field f;
    msg_fields_begin(&it, h, sizeof h - 1);
    assert_true(msg_fields_next(&it, &f));
    assert_int_equal(f.off, 0);
    assert_int_equal(f.raw_len, 20);
    assert_int_equal(f.name_len, 7);
    assert_memory_equal(h + f.value_off, " one\r\n two", f.value_len);
    assert_true(msg_field_is(h, &f, "SUBJECT", 7));
    assert_true(msg_fields_next(&it, &f));
    assert_true(msg_field_is(h, &f, "to", 2)); /* obs: space before the colon */
    assert_memory_equal(h + f.value_off, " bob@example.net", f.value_len);
    assert_true(msg_fields_next(&it, &f));
    assert_true(msg_field_is(h, &f, "x-val", 5));
    assert_int_equal(f.value_len, 4); /* the NUL does not cut the value */
    assert_false(msg_fields_next(&it, &f));
    assert_int_equal(it.bad_lines, 2); /* "bad line" (+ its continuation), "X-Nul\0" */

    assert_true(msg_field_find(h, sizeof h - 1, "x-VAL", 5, 0, &f));
    assert_false(msg_field_find(h, sizeof h - 1, "x-val", 5, 1, &f));
    assert_false(msg_field_find(h, sizeof h - 1, "body", 4, 0, &f));
    size_t n;
    char *v = msg_header_get(h, sizeof h - 1, "subject", &n);
    assert_non_null(v);
    assert_int_equal(n, 7);
    assert_string_equal(v, "one two");
    free(v);
    assert_null(msg_header_get(h, sizeof h - 1, "cc", &n));
}

static void test_unfold(void **state)
{
    (void)state;
    char out[64];
    size_t n = msg_unfold(S("  a\r\n\tb\r\n  c \n d  "), out);
    assert_int_equal(n, 9);
    assert_memory_equal(out, "a\tb  c  d", 9);
}

static void check_folded(const char *buf, size_t len)
{
    size_t col = 0;
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\r') {
            assert_int_equal(buf[i + 1], '\n');
            assert_true(col <= MSG_LINE_SOFT);
            col = 0;
            i++;
            if (i + 1 < len) assert_true(buf[i + 1] == ' ' || buf[i + 1] == '\t');
        } else {
            col++;
        }
    }
}

static void test_fold_round_trip(void **state)
{
    (void)state;
    char v[2000];
    size_t n = 0;
    for (int w = 0; n < 1500; w++) {
        static const char *const words[] = {"mail", "a", "longerwordhere", "SMTP", "x", "relay"};
        const char *x = words[w % 6];
        if (n) v[n++] = ' ';
        memcpy(v + n, x, strlen(x));
        n += strlen(x);
    }
    struct msg_buf b = {0};
    assert_int_equal(msg_add_field(&b, "X-Long", v, n, NULL), MSG_OK);
    check_folded(b.data, b.len);
    assert_memory_equal(b.data + b.len - 2, "\r\n", 2);
    struct msg_field f;
    assert_true(msg_field_find(b.data, b.len, "x-long", 6, 0, &f));
    assert_int_equal(f.raw_len, b.len);
    char *u = malloc(f.value_len);
    size_t un = msg_unfold(b.data + f.value_off, f.value_len, u);
    assert_int_equal(un, n);
    assert_memory_equal(u, v, n);
    free(u);
    msg_buf_free(&b);

    /* A short value stays on one line, exactly. */
    assert_int_equal(msg_add_field(&b, "Subject", S("Hello Bob"), NULL), MSG_OK);
    assert_int_equal(b.len, 20);
    assert_memory_equal(b.data, "Subject: Hello Bob\r\n", 20);
    msg_buf_free(&b);

    /* 998 characters with no space fit on one line; 999 do not. */
    char run[1000];
    memset(run, 'x', sizeof run);
    struct ms_error err = {0};
    assert_int_equal(msg_add_field(&b, "X", run, 998 - 3, &err), MSG_OK);
    msg_buf_free(&b);
    assert_int_equal(msg_add_field(&b, "X", run, 998 - 2, &err), MSG_E_TOO_LONG);
    assert_string_equal(err.msg,
                        "header \"X\": a line longer than 998 characters with no place to fold");
    assert_int_equal(b.len, 0);
}

static void test_injection(void **state)
{
    (void)state;
    struct msg_buf b = {0};
    struct ms_error err = {0};
    assert_int_equal(msg_add_field(&b, "Subject", S("Hi\r\nBcc: eve@evil.example"), &err),
                     MSG_E_INJECTION);
    assert_string_equal(err.msg,
                        "header \"Subject\": value contains CR at offset 2 (would start a new "
                        "header line)");
    assert_string_equal(err.where, "Subject");
    assert_int_equal(err.code, MSG_E_INJECTION);
    assert_int_equal(b.len, 0);
    assert_int_equal(msg_add_text_field(&b, "Subject", S("Hi\nBcc: eve@evil.example"), &err),
                     MSG_E_INJECTION);
    assert_string_equal(err.msg,
                        "header \"Subject\": value contains LF at offset 2 (would start a new "
                        "header line)");
    assert_int_equal(msg_add_field(&b, "Subject", S("a\0b"), &err), MSG_E_INJECTION);
    assert_string_equal(err.msg, "header \"Subject\": value contains NUL at offset 1");
    struct msg_mailbox m = {"Eve\r\nBcc: x@y", "eve@evil.example"};
    assert_int_equal(msg_add_address_field(&b, "From", &m, 1, &err), MSG_E_INJECTION);
    assert_string_equal(err.msg,
                        "header \"From\": value contains CR at offset 3 (would start a new "
                        "header line)");
    struct msg_mailbox m2 = {NULL, "bob@example.net>\r\nBcc: x@y"};
    assert_int_equal(msg_add_address_field(&b, "To", &m2, 1, &err), MSG_E_ADDRESS);
    assert_string_equal(err.msg, "header \"To\": bad address \"bob@example.net>\r\nBcc: x@y\" "
                                 "(expected local@domain in printable ASCII)");
    assert_int_equal(msg_add_field(&b, "Bad Name", S("x"), &err), MSG_E_FIELD_NAME);
    assert_string_equal(err.msg, "header \"Bad Name\": bad field name (1 to 76 printable ASCII "
                                 "characters, no colon)");
    assert_int_equal(msg_add_return_path(&b, S("a@b\r\nX: y"), &err), MSG_E_ADDRESS);
    assert_string_equal(err.msg, "header \"Return-Path\": bad character 0x0D at offset 3 in the "
                                 "reverse path");
    assert_int_equal(b.len, 0);
    assert_string_equal(msg_strerror(MSG_E_INJECTION), "value contains CR, LF or NUL");
    assert_string_equal(msg_strerror((enum msg_error)99), "unknown error");
}

static void test_encoded_words(void **state)
{
    (void)state;
    struct msg_buf b = {0};
    const char subj[] = "Caf\xC3\xA9 in Z\xC3\xBCrich, 5 \xE2\x82\xAC each =?not?= a word";
    assert_int_equal(msg_add_text_field(&b, "Subject", S(subj), NULL), MSG_OK);
    const char want[] = "Subject: =?UTF-8?Q?Caf=C3=A9?= in =?UTF-8?Q?Z=C3=BCrich=2C?= 5\r\n"
                        " =?UTF-8?Q?=E2=82=AC?= each =?UTF-8?Q?=3D=3Fnot=3F=3D?= a word\r\n";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, sizeof want - 1);
    for (size_t i = 0; i < b.len; i++) assert_true((unsigned char)b.data[i] < 128);
    /* Decoding gives the text back. */
    struct msg_field f;
    assert_true(msg_field_find(b.data, b.len, "subject", 7, 0, &f));
    char u[256];
    size_t un = msg_unfold(b.data + f.value_off, f.value_len, u);
    size_t dn;
    char *d = msg_decode_words(u, un, &dn);
    assert_int_equal(dn, sizeof subj - 1);
    assert_memory_equal(d, subj, dn);
    free(d);
    msg_buf_free(&b);
    /* Invalid UTF-8 is refused. */
    struct ms_error err = {0};
    assert_int_equal(msg_add_text_field(&b, "Subject", S("bad \xC3("), &err), MSG_E_UTF8);
    assert_string_equal(err.msg, "header \"Subject\": value is not valid UTF-8");
    /* RFC 2047 §8 examples: adjacent words join, others keep their space. */
    const struct {
        const char *in, *out;
    } ex[] = {
        {"(=?ISO-8859-1?Q?a?=)", "(a)"},
        {"(=?ISO-8859-1?Q?a?= b)", "(a b)"},
        {"(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)"},
        {"(=?ISO-8859-1?Q?a_b?=)", "(a b)"},
        {"=?ISO-8859-1?Q?Andr=E9?= Pirard", "Andr\xC3\xA9 Pirard"},
        {"=?UTF-8?B?w6k=?=", "\xC3\xA9"},
        {"=?utf-8*en?q?hi?=", "hi"},
        {"=?KOI8-R?Q?=F0?=", "=?KOI8-R?Q?=F0?="}, /* unknown charset: left as is */
        {"=?UTF-8?B?w6k?=", "=?UTF-8?B?w6k?="},   /* bad base64: left as is */
        {"=?UTF-8?Q?a b?=", "=?UTF-8?Q?a b?="},   /* space inside: not a word */
        {"=??Q?x?=", "=??Q?x?="},
    };
    for (size_t i = 0; i < sizeof ex / sizeof ex[0]; i++) {
        d = msg_decode_words(ex[i].in, strlen(ex[i].in), &dn);
        assert_string_equal(d, ex[i].out);
        free(d);
    }
}

static void test_addresses_write(void **state)
{
    (void)state;
    struct msg_buf b = {0};
    struct msg_mailbox to[4] = {{"Bob Brown", "bob@example.net"},
                                {"Smith, John", "john@example.net"},
                                {"Zo\xC3\xAB", "zoe@example.net"},
                                {NULL, "carol@example.net"}};
    assert_int_equal(msg_add_address_field(&b, "To", to, 4, NULL), MSG_OK);
    const char want[] = "To: Bob Brown <bob@example.net>, \"Smith, John\" <john@example.net>,\r\n"
                        " =?UTF-8?Q?Zo=C3=AB?= <zoe@example.net>, carol@example.net\r\n";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, sizeof want - 1);
    msg_buf_free(&b);
}

static void test_addresses_parse(void **state)
{
    (void)state;
    const char v[] = "Alice <alice@example.org>, \"Smith, John\" <john@example.net>,\r\n"
                     " carol@example.net (Carol), Friends: d@w.example, \"e\"@v.example;,"
                     " undisclosed-recipients:;, <@relay.example:f@x.example>, <>";
    struct msg_addr_list l;
    msg_addr_parse(v, sizeof v - 1, &l);
    assert_int_equal(l.bad, 0);
    assert_int_equal(l.n, 11);
#define A(i, nm, lc, dm)                                                                           \
    do {                                                                                           \
        assert_int_equal(l.v[i].name_len, strlen(nm));                                             \
        assert_memory_equal(l.v[i].name, nm, strlen(nm));                                          \
        assert_int_equal(l.v[i].local_len, strlen(lc));                                            \
        assert_memory_equal(l.v[i].local, lc, strlen(lc));                                         \
        assert_int_equal(l.v[i].domain_len, strlen(dm));                                           \
        assert_memory_equal(l.v[i].domain, dm, strlen(dm));                                        \
    } while (0)
    A(0, "Alice", "alice", "example.org");
    A(1, "Smith, John", "john", "example.net");
    A(2, "", "carol", "example.net");
    assert_true(l.v[3].is_group_start);
    A(3, "Friends", "", "");
    A(4, "", "d", "w.example");
    A(5, "", "\"e\"", "v.example");
    assert_true(l.v[6].is_group_end);
    assert_true(l.v[7].is_group_start);
    A(7, "undisclosed-recipients", "", "");
    assert_true(l.v[8].is_group_end);
    A(9, "", "f", "x.example");
    assert_int_equal(l.v[9].route_len, 14);
    assert_memory_equal(l.v[9].route, "@relay.example", 14);
    A(10, "", "", "");
    msg_addr_list_free(&l);
    msg_addr_list_free(&l);

    /* Junk is skipped and counted, never fatal; the cap holds. */
    msg_addr_parse(S("<<>>, @@, a@b, ;;; , \"unterminated"), &l);
    assert_true(l.bad > 0);
    msg_addr_list_free(&l);
    struct msg_buf many = {0};
    for (int i = 0; i < 300; i++) msg_buf_addf(&many, "u%d@x.example, ", i);
    msg_addr_parse(many.data, many.len, &l);
    assert_int_equal(l.n, MSG_ADDR_MAX);
    assert_int_equal(l.dropped, 300 - MSG_ADDR_MAX);
    msg_addr_list_free(&l);
    msg_buf_free(&many);
}

static void test_dates(void **state)
{
    (void)state;
    char d[MSG_DATE_SIZE];
    const int64_t jan1_2026 = 1767225600;
    assert_int_equal(msg_format_date(4 * SIM_US_PER_DAY + 9 * SIM_US_PER_H, jan1_2026, d), 31);
    assert_string_equal(d, "Mon, 05 Jan 2026 09:00:00 +0000");
    msg_format_date(0, 0, d);
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    msg_format_date(-1, 0, d); /* clamped */
    assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
    msg_format_date(SIM_US_PER_S * 86399 + 999999, 1709164800, d); /* 2024-02-29 */
    assert_string_equal(d, "Thu, 29 Feb 2024 23:59:59 +0000");
    msg_format_date(0, 951868800, d); /* 2000-03-01 */
    assert_string_equal(d, "Wed, 01 Mar 2000 00:00:00 +0000");
    /* clamped to the last second of year 9999: four digits, never five */
    assert_int_equal(msg_format_date(SIM_US_PER_DAY, INT64_C(253402300799), d), 31);
    assert_string_equal(d, "Fri, 31 Dec 9999 23:59:59 +0000");
}

static void test_parse_date(void **state)
{
    (void)state;
    const struct {
        const char *in;
        int64_t want;
    } ok[] = {
        {"Mon, 05 Jan 2026 09:00:00 +0000", 1767603600},
        {"5 Jan 2026 09:00 +0000", 1767603600},
        {"  mon ,  5 jan 2026 10:00:00 +0100 (CET)", 1767603600},
        {"Mon, 05 Jan 2026\r\n 04:00:00 -0500", 1767603600},
        {"Mon, 05 Jan 2026 04:00:00 EST", 1767603600},
        {"Mon, 05 Jan 2026 09:00:00 GMT", 1767603600},
        {"Mon, 05 Jan 2026 09:00:00 Z", 1767603600},
        {"05 Jan 26 09:00:00 +0000", 1767603600},
        {"05 Jan 126 09:00:00 +0000", 1767603600},
        {"01 Jan 1970 00:00:00 +0000", 0},
        {"29 Feb 2024 23:59:60 +0000", 1709251200},
        {"31 Dec 1999 23:59:59 -2359", 946684799 + 23 * 3600 + 59 * 60},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        int64_t t = -1;
        assert_true(msg_parse_date(ok[i].in, strlen(ok[i].in), &t));
        assert_int_equal(t, ok[i].want);
    }
    const char *bad[] = {"",
                         "Mon",
                         "Mon, 05 Jan 2026",
                         "Mon 05 Jan 2026 09:00:00 +0000",
                         "Xyz, 05 Jan 2026 09:00:00 +0000",
                         "31 Apr 2026 09:00:00 +0000",
                         "29 Feb 2025 09:00:00 +0000",
                         "05 Foo 2026 09:00:00 +0000",
                         "05 Jan 2026 24:00:00 +0000",
                         "05 Jan 2026 09:60:00 +0000",
                         "05 Jan 2026 09:00:00 +2400",
                         "05 Jan 2026 09:00:00 +000",
                         "05 Jan 2026 09:00:00 +0000 junk",
                         "05 Jan 2026 09:00:00 XYZ",
                         "005 Jan 2026 09:00:00 +0000",
                         "05 Jan 20260 09:00:00 +0000",
                         "0 Jan 2026 09:00:00 +0000",
                         "05 Jan 2026 9:00:00 +0000"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int64_t t = 0;
        assert_false(msg_parse_date(bad[i], strlen(bad[i]), &t));
    }
    /* What msg_format_date writes, msg_parse_date reads. */
    for (int64_t secs = 0; secs < INT64_C(4102444800); secs += INT64_C(86400) * 37 + 3671) {
        char d[MSG_DATE_SIZE];
        size_t dl = msg_format_date(secs * SIM_US_PER_S, 0, d);
        int64_t t = -1;
        assert_true(msg_parse_date(d, dl, &t));
        assert_int_equal(t, secs);
    }
}

static void test_message_id(void **state)
{
    (void)state;
    struct msg_buf a = {0}, b = {0}, c = {0};
    assert_int_equal(msg_make_message_id(&a, 42, 1, S("alice@example.org"), S("example.org")),
                     MSG_OK);
    assert_int_equal(msg_make_message_id(&b, 42, 1, S("alice@example.org"), S("example.org")),
                     MSG_OK);
    assert_int_equal(msg_make_message_id(&c, 42, 2, S("alice@example.org"), S("example.org")),
                     MSG_OK);
    assert_string_equal(a.data, b.data);
    assert_string_not_equal(a.data, c.data);
    assert_int_equal(a.len, 1 + 16 + 1 + 8 + 1 + 11 + 1);
    assert_memory_equal(a.data + 17, ".00000001@example.org>", 22);
    assert_int_equal(msg_make_message_id(&c, 1, 1, S("a"), S("bad domain")), MSG_E_ADDRESS);
    msg_buf_free(&a);
    msg_buf_free(&b);
    msg_buf_free(&c);
}

static void test_trace_fields(void **state)
{
    (void)state;
    struct msg_buf b = {0};
    struct ms_error err = {0};
    struct msg_received r = {
        "mail.example.org", "mail.example.org", "192.0.2.10",     "mail.example.net", "ESMTP",
        "4F1A2B",           "bob@example.net",  9 * SIM_US_PER_H, 1767571200};
    assert_int_equal(msg_add_return_path(&b, S("alice@example.org"), &err), MSG_OK);
    assert_int_equal(msg_add_received(&b, &r, &err), MSG_OK);
    const char want[] = "Return-Path: <alice@example.org>\r\n"
                        "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
                        "\tby mail.example.net with ESMTP id 4F1A2B\r\n"
                        "\tfor <bob@example.net>; Mon, 05 Jan 2026 09:00:00 +0000\r\n";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, sizeof want - 1);
    msg_buf_free(&b);
    assert_int_equal(msg_add_return_path(&b, "", 0, &err), MSG_OK);
    assert_string_equal(b.data, "Return-Path: <>\r\n");
    msg_buf_free(&b);
    /* Without a "for" clause the date still follows a ";". */
    r.for_addr = NULL;
    assert_int_equal(msg_add_received(&b, &r, &err), MSG_OK);
    assert_string_equal(b.data,
                        "Received: from mail.example.org (mail.example.org [192.0.2.10])\r\n"
                        "\tby mail.example.net with ESMTP id 4F1A2B;\r\n"
                        "\tMon, 05 Jan 2026 09:00:00 +0000\r\n");
    msg_buf_free(&b);
    r.for_addr = "bob@example.net";
    /* A bad EHLO argument is never copied into a header (bad-inputs S13). */
    r.helo = "evil\r\nBcc: x@y";
    assert_int_equal(msg_add_received(&b, &r, &err), MSG_E_ADDRESS);
    assert_string_equal(err.msg, "header \"Received\": bad helo \"evil\r\nBcc: x@y\" (never "
                                 "copied into a header)");
    r.helo = "[192.0.2.10]";
    r.for_addr = NULL;
    assert_int_equal(msg_add_received(&b, &r, &err), MSG_OK);
    /* Several recipients, no "for" clause: the ";" before the date stays
     * (RFC 5322 §3.6.7). */
    assert_non_null(strstr(b.data, "id 4F1A2B;\r\n\tMon, 05 Jan 2026 09:00:00 +0000\r\n"));
    msg_buf_free(&b);
}

static void test_build_header(void **state)
{
    (void)state;
    struct msg_buf b = {0};
    struct ms_error err = {0};
    struct msg_mailbox to = {"Bob", "bob@example.net"};
    const char extra[] = "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=us-ascii\r\n";
    struct msg_header_spec h = {.from = {"Alice", "alice@example.org"},
                                .to = &to,
                                .n_to = 1,
                                .subject = "Hello",
                                .date_t = 0,
                                .epoch_unix = 1767225600,
                                .message_id = "<1@example.org>",
                                .extra_fields = extra,
                                .extra_len = sizeof extra - 1};
    assert_int_equal(msg_build_header(&b, &h, &err), MSG_OK);
    const char want[] = "From: Alice <alice@example.org>\r\n"
                        "To: Bob <bob@example.net>\r\n"
                        "Subject: Hello\r\n"
                        "Date: Thu, 01 Jan 2026 00:00:00 +0000\r\n"
                        "Message-ID: <1@example.org>\r\n"
                        "MIME-Version: 1.0\r\n"
                        "Content-Type: text/plain; charset=us-ascii\r\n"
                        "\r\n";
    assert_int_equal(b.len, sizeof want - 1);
    assert_memory_equal(b.data, want, sizeof want - 1);
    msg_buf_free(&b);
    h.extra_fields = "X: 1\r\nBcc: x\n";
    h.extra_len = strlen(h.extra_fields);
    assert_int_equal(msg_build_header(&b, &h, &err), MSG_E_INJECTION);
    assert_string_equal(err.msg, "extra header fields: line at offset 6 is not a CRLF-ended field");
    assert_int_equal(b.len, 0);
    h.extra_fields = NULL;
    h.extra_len = 0;
    h.n_to = 0;
    assert_int_equal(msg_build_header(&b, &h, &err), MSG_E_ADDRESS);
    assert_string_equal(err.msg, "header \"To\": no recipient given");
    char *taken = msg_buf_take(&b, NULL);
    assert_string_equal(taken, "");
    free(taken);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_split),           cmocka_unit_test(test_fields),
        cmocka_unit_test(test_unfold),          cmocka_unit_test(test_fold_round_trip),
        cmocka_unit_test(test_injection),       cmocka_unit_test(test_encoded_words),
        cmocka_unit_test(test_addresses_write), cmocka_unit_test(test_addresses_parse),
        cmocka_unit_test(test_dates),           cmocka_unit_test(test_parse_date),
        cmocka_unit_test(test_message_id),      cmocka_unit_test(test_trace_fields),
        cmocka_unit_test(test_build_header),
    };
    return cmocka_run_group_tests_name("msg", tests, NULL, NULL);
}
