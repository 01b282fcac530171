/* test_dsn.c -- bounces: RFC 6522 multipart/report with an RFC 3464
 * message/delivery-status part, checked by parsing the result back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "format/dsn.h"
#include "format/mime.h"

#define S(lit) lit, sizeof(lit) - 1

static const char original[] = "Return-Path: <alice@example.org>\r\n"
                               "From: Alice <alice@example.org>\r\n"
                               "To: bob@example.net\r\n"
                               "Subject: Lunch \xC3\xA0 midi\r\n" /* 8-bit header */
                               "Message-ID: <1@example.org>\r\n"
                               "\r\n"
                               "Secret body that must not be in the bounce.\r\n";

static bool str_is(const struct mime_str *s, const char *lit)
{
    return s->p && s->len == strlen(lit) && memcmp(s->p, lit, s->len) == 0;
}

static char *field(const char *p, size_t n, const char *name, size_t idx)
{
    struct msg_field f;
    if (!msg_field_find(p, n, name, strlen(name), idx, &f)) return NULL;
    char *v = malloc(f.value_len + 1);
    size_t vn = msg_unfold(p + f.value_off, f.value_len, v);
    v[vn] = '\0';
    return v;
}

static void expect_field(const char *p, size_t n, const char *name, size_t idx, const char *want)
{
    char *v = field(p, n, name, idx);
    assert_non_null(v);
    assert_string_equal(v, want);
    free(v);
}

static void test_dsn_failed(void **state)
{
    (void)state;
    struct dsn_recipient r[2] = {
        {"bob@example.net", DSN_FAILED, "5.1.1", "mail.example.net",
         "550 5.1.1 <bob@example.net>: no such user\r\n\x01\xFF", "the mailbox does not exist",
         2 * SIM_US_PER_H},
        {"carol@example.net", DSN_FAILED, "5.4.7", NULL, NULL,
         "no answer from mail.example.net for 5 days", 5 * SIM_US_PER_DAY},
    };
    struct dsn_spec s = {"mail.example.org",
                         "example.org",
                         "alice@example.org",
                         r,
                         2,
                         original,
                         sizeof original - 1,
                         0,
                         5 * SIM_US_PER_DAY,
                         1767225600,
                         9,
                         3};
    struct msg_buf out = {0};
    struct ms_error err = {0};
    assert_true(dsn_build(&out, &s, &err));
    struct mime_scan sc;
    mime_scan((const unsigned char *)out.data, out.len, &sc);
    assert_true(sc.is_7bit);
    assert_null(strstr(out.data, "Secret body"));

    struct msg_split sp;
    msg_split(out.data, out.len, &sp);
    expect_field(out.data, sp.hdr_len, "from", 0,
                 "Mail Delivery Subsystem <MAILER-DAEMON@example.org>");
    expect_field(out.data, sp.hdr_len, "to", 0, "alice@example.org");
    expect_field(out.data, sp.hdr_len, "subject", 0, "Undelivered Mail Returned to Sender");
    expect_field(out.data, sp.hdr_len, "auto-submitted", 0, "auto-replied");
    expect_field(out.data, sp.hdr_len, "date", 0, "Tue, 06 Jan 2026 00:00:00 +0000");

    struct mime_tree t;
    mime_parse(&t, out.data, out.len);
    assert_int_equal(t.error, MIME_OK);
    assert_true(str_is(&t.parts[0].type, "multipart"));
    assert_true(str_is(&t.parts[0].subtype, "report"));
    assert_true(str_is(mime_param_get(&t.parts[0], "report-type"), "delivery-status"));
    assert_int_equal(t.parts[0].n_children, 3);
    int p1 = mime_find_section(&t, S("1")), p2 = mime_find_section(&t, S("2")),
        p3 = mime_find_section(&t, S("3"));
    assert_true(str_is(&t.parts[p1].subtype, "plain"));
    assert_true(str_is(&t.parts[p2].type, "message"));
    assert_true(str_is(&t.parts[p2].subtype, "delivery-status"));
    assert_true(str_is(&t.parts[p3].subtype, "rfc822-headers"));

    /* Part 1 names the recipient, the reason and the remote reply. */
    size_t n1;
    char *human = (char *)mime_decode_body(&t, &t.parts[p1], &n1);
    assert_non_null(strstr(human, "<bob@example.net>: delivery failed (status 5.1.1)\r\n"));
    assert_non_null(strstr(human, "    Reason: the mailbox does not exist\r\n"));
    assert_non_null(strstr(human, "    Remote server: mail.example.net\r\n"));
    assert_non_null(
        strstr(human, "    It replied: 550 5.1.1 <bob@example.net>: no such user????\r\n"));
    assert_non_null(strstr(human, "<carol@example.net>: delivery failed (status 5.4.7)\r\n"));
    free(human);

    /* Part 2: per-message group, then one group per recipient. */
    const char *ds = out.data + t.parts[p2].body_off;
    size_t dn = t.parts[p2].body_len;
    expect_field(ds, dn, "reporting-mta", 0, "dns; mail.example.org");
    expect_field(ds, dn, "arrival-date", 0, "Thu, 01 Jan 2026 00:00:00 +0000");
    struct msg_split g1;
    msg_split(ds, dn, &g1);
    const char *r1 = ds + g1.body_off;
    struct msg_split g2;
    msg_split(r1, g1.body_len, &g2);
    expect_field(r1, g2.hdr_len, "final-recipient", 0, "rfc822; bob@example.net");
    expect_field(r1, g2.hdr_len, "action", 0, "failed");
    expect_field(r1, g2.hdr_len, "status", 0, "5.1.1");
    expect_field(r1, g2.hdr_len, "remote-mta", 0, "dns; mail.example.net");
    expect_field(r1, g2.hdr_len, "diagnostic-code", 0,
                 "smtp; 550 5.1.1 <bob@example.net>: no such user????");
    expect_field(r1, g2.hdr_len, "last-attempt-date", 0, "Thu, 01 Jan 2026 02:00:00 +0000");
    const char *r2 = r1 + g2.body_off;
    expect_field(r2, g2.body_len, "final-recipient", 0, "rfc822; carol@example.net");
    expect_field(r2, g2.body_len, "status", 0, "5.4.7");
    assert_null(field(r2, g2.body_len, "remote-mta", 0));

    /* Part 3: the original header, decoded, byte for byte. */
    size_t n3;
    unsigned char *hdr = mime_decode_body(&t, &t.parts[p3], &n3);
    assert_int_equal(t.parts[p3].cte, MIME_CTE_QP); /* 8-bit header travels as QP */
    assert_int_equal(n3, sizeof original - 1 - 2 - 45);
    assert_memory_equal(hdr, original, n3);
    free(hdr);
    mime_tree_free(&t);

    /* dsn_read gives the same structure. */
    struct dsn_report rep;
    assert_true(dsn_read(out.data, out.len, &rep));
    assert_string_equal(rep.reporting_mta, "dns; mail.example.org");
    assert_int_equal(rep.n_rcpts, 2);
    assert_true(rep.has_headers);
    assert_string_equal(rep.rcpts[0].final_recipient, "rfc822; bob@example.net");
    assert_string_equal(rep.rcpts[0].action, "failed");
    assert_string_equal(rep.rcpts[0].status, "5.1.1");
    assert_string_equal(rep.rcpts[0].remote_mta, "dns; mail.example.net");
    assert_string_equal(rep.rcpts[0].diagnostic,
                        "smtp; 550 5.1.1 <bob@example.net>: no such user????");
    assert_string_equal(rep.rcpts[1].final_recipient, "rfc822; carol@example.net");
    assert_string_equal(rep.rcpts[1].status, "5.4.7");
    assert_null(rep.rcpts[1].remote_mta);
    assert_null(rep.rcpts[1].diagnostic);
    dsn_report_free(&rep);
    dsn_report_free(&rep);
    assert_false(dsn_read(S(original), &rep)); /* not a report */
    assert_null(rep.rcpts);

    /* Deterministic. */
    struct msg_buf again = {0};
    assert_true(dsn_build(&again, &s, &err));
    assert_int_equal(again.len, out.len);
    assert_memory_equal(again.data, out.data, out.len);
    msg_buf_free(&again);
    msg_buf_free(&out);
}

static void test_dsn_delayed(void **state)
{
    (void)state;
    struct dsn_recipient r = {"bob@example.net",  DSN_DELAYED,          "4.4.1",
                              "mail.example.net", "connection refused", NULL,
                              4 * SIM_US_PER_H};
    struct dsn_spec s = {"mail.example.org",
                         "example.org",
                         "alice@example.org",
                         &r,
                         1,
                         original,
                         sizeof original - 1,
                         0,
                         4 * SIM_US_PER_H,
                         1767225600,
                         9,
                         4};
    struct msg_buf out = {0};
    assert_true(dsn_build(&out, &s, NULL));
    assert_non_null(strstr(out.data, "Subject: Delayed Mail (still being retried)\r\n"));
    assert_non_null(strstr(out.data, "Action: delayed\r\nStatus: 4.4.1\r\n"));
    msg_buf_free(&out);
}

static void test_dsn_refused(void **state)
{
    (void)state;
    struct dsn_recipient r = {"bob@example.net", DSN_FAILED, "4.1.1", NULL, NULL, NULL, 0};
    struct dsn_spec s = {"mail.example.org",
                         "example.org",
                         "alice@example.org",
                         &r,
                         1,
                         original,
                         sizeof original - 1,
                         0,
                         0,
                         0,
                         1,
                         1};
    struct msg_buf out = {0};
    struct ms_error err = {0};
    assert_false(dsn_build(&out, &s, &err));
    assert_string_equal(err.msg, "dsn: recipient 0: status \"4.1.1\" does not fit action failed "
                                 "(5.x.x)");
    r.status = "5.1";
    assert_false(dsn_build(&out, &s, &err));
    assert_string_equal(err.msg, "dsn: recipient 0: status \"5.1\" does not fit action failed "
                                 "(5.x.x)");
    r.status = "5.1.1";
    s.to = "";
    assert_false(dsn_build(&out, &s, &err));
    assert_string_equal(err.msg, "dsn: no sender to notify (never bounce a bounce: RFC 5321 §6.1)");
    s.to = "alice@example.org";
    s.n_rcpts = 0;
    assert_false(dsn_build(&out, &s, &err));
    assert_string_equal(err.msg, "dsn: empty recipient list");
    s.n_rcpts = 1;
    r.addr = "bob@example.net\r\nBcc: eve@x";
    assert_false(dsn_build(&out, &s, &err));
    assert_string_equal(err.msg, "dsn: recipient 0: bad address \"bob@example.net\r\nBcc: eve@x\"");
    assert_int_equal(out.len, 0);
    char buf[16];
    assert_int_equal(dsn_sanitize(S("ab\r\ncdefghijkl"), buf, 8), 11);
    assert_string_equal(buf, "ab??cdef...");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dsn_failed),
        cmocka_unit_test(test_dsn_delayed),
        cmocka_unit_test(test_dsn_refused),
    };
    return cmocka_run_group_tests_name("dsn", tests, NULL, NULL);
}
