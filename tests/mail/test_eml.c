/* test_eml.c -- a real message file sent as it is:
 * it arrives in Bob's mailbox byte for byte (CRLF, plus the servers'
 * Return-Path and Received), non-messages are refused with exact reasons
 * and no loss, 8-bit bodies need 8BITMIME, and --import-eml prints the
 * file's Subject on the wire. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/evq.h"
#include "mail/ua_eml.h"
#include "mail/world.h"
#include "mail/world_int.h" /* the test reads Bob's mailbox */
#include "scenario/scenario.h"
#include "store/mbox.h"
#include "trace/trace.h"
#include "trace_find.h"

#define SAMPLE "tests/mail/data/alternative.eml"

static const char *const json_fmt =
    "{\"title\":\"t\",\"seed\":7,\"hosts\":["
    "{\"name\":\"alice-pc\",\"kind\":\"pc\",\"owner\":\"alice@example.org\"},"
    "{\"name\":\"mail.example.org\",\"kind\":\"mail_server\",\"domain\":\"example.org\","
    "\"users\":[{\"name\":\"alice\",\"password\":\"secret\"}]%s},"
    "{\"name\":\"internet\",\"kind\":\"router\"},"
    "{\"name\":\"ns.example.com\",\"kind\":\"dns\"},"
    "{\"name\":\"mail.example.net\",\"kind\":\"mail_server\",\"domain\":\"example.net\","
    "\"users\":[{\"name\":\"bob\",\"password\":\"pw\"}]},"
    "{\"name\":\"bob-pc\",\"kind\":\"pc\",\"owner\":\"bob@example.net\"}],"
    "\"links\":[{\"a\":\"alice-pc\",\"b\":\"internet\"},{\"a\":\"mail.example.org\",\"b\":\"internet\"},"
    "{\"a\":\"ns.example.com\",\"b\":\"internet\"},{\"a\":\"mail.example.net\",\"b\":\"internet\"},"
    "{\"a\":\"bob-pc\",\"b\":\"internet\"}],"
    "\"timeline\":[{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\","
    "\"device\":\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\"}]}";

struct run {
    struct scn_scenario *s;
    struct trace *tr;
    struct world *w;
    struct world_fates fa;
    size_t violations;
    char report[4096];
};

/* Run the two-server world with its send replaced by data[0..len). */
static void run_eml(struct run *r, const char *server_extra, const char *data, size_t len)
{
    char json[4096];
    snprintf(json, sizeof json, json_fmt, server_extra);
    struct scn_error err;
    memset(r, 0, sizeof *r);
    r->s = scn_load_buffer(json, strlen(json), "t.json", NULL, NULL, &err);
    if (!r->s) fail_msg("%s", err.text);
    struct ms_error merr;
    if (!ua_eml_import(r->s, "sample.eml", (const unsigned char *)data, len, &merr))
        fail_msg("%s", merr.msg);
    r->tr = trace_new();
    r->w = world_new(r->s, r->tr, NULL, &merr);
    assert_non_null(r->w);
    world_run(r->w, SIM_US_MAX);
    r->violations =
        world_check(r->tr, r->s, trace_end_time(r->tr), r->report, sizeof r->report, &r->fa);
}

static void run_free(struct run *r)
{
    world_free(r->w);
    trace_free(r->tr);
    scn_free(r->s);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) fail_msg("%s: cannot open", path);
    char *b = calloc(1, 1 << 20);
    assert_non_null(b);
    *len = fread(b, 1, (1 << 20) - 1, f);
    fclose(f);
    return b;
}


/* LF -> CRLF, as the user agent must do it. */
static char *crlf(const char *s, size_t len, size_t *out_len)
{
    char *o = malloc(2 * len + 3);
    assert_non_null(o);
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) o[n++] = '\r';
        o[n++] = s[i];
    }
    *out_len = n;
    return o;
}

static void check_bobs_copy(struct run *r, const char *file, size_t flen)
{
    size_t h = scn_find_host(r->s, "mail.example.net");
    struct mbox_user *u = mbox_user_get(mta_store(r->w->mta[h]), "bob", false);
    assert_non_null(u);
    struct mbox_folder *f = mbox_folder_find(u, "INBOX", 5);
    assert_non_null(f);
    assert_int_equal(mbox_count(f), 1);
    const struct mbox_msg *m = mbox_msg_at(f, 0);
    size_t want_len;
    char *want = crlf(file, flen, &want_len);
    /* What the servers add comes first: Return-Path, then Received fields. */
    assert_true(m->len > want_len);
    size_t added = m->len - want_len;
    assert_memory_equal(m->raw + added, want, want_len);
    assert_int_equal(strncmp(m->raw, "Return-Path: <alice@example.org>\r\n", 34), 0);
    size_t p = 34, received = 0;
    while (p < added) {
        assert_true(strncmp(m->raw + p, "Received: ", 10) == 0);
        received++;
        do {
            const char *e = memchr(m->raw + p, '\n', added - p);
            assert_non_null(e);
            p = (size_t)(e - m->raw) + 1;
        } while (p < added && (m->raw[p] == '\t' || m->raw[p] == ' '));
    }
    assert_int_equal(p, added);
    assert_int_equal(received, 2); /* mail.example.org, then mail.example.net */
    free(want);
}

/* The LF sample with multipart/alternative arrives unchanged but for CRLF
 * and the added trace fields. */
static void test_sample_arrives_byte_identical(void **state)
{
    (void)state;
    size_t flen;
    char *file = read_all(SAMPLE, &flen);
    assert_null(memchr(file, '\r', flen)); /* the sample really has LF endings */
    struct run r;
    run_eml(&r, "", file, flen);
    assert_int_equal(r.violations, 0);
    assert_int_equal(r.fa.delivered, 1);
    char buf[256];
    assert_string_equal(find_line(r.tr, "Subject:", buf, sizeof buf),
                        "Subject: Slides for Thursday (imported)");
    assert_string_equal(find_line(r.tr, "Content-Type: multipart", buf, sizeof buf),
                        "Content-Type: multipart/alternative; boundary=\"b1-alt\"");
    assert_string_equal(find_line(r.tr, "MAIL FROM:", buf, sizeof buf),
                        "MAIL FROM:<alice@example.org> SIZE=648");
    check_bobs_copy(&r, file, flen);
    run_free(&r);
    free(file);
}

/* The same file named by a scenario attachment of kind "eml". */
static void test_scenario_eml_attachment(void **state)
{
    (void)state;
    struct scn_error err;
    struct scn_scenario *s = scn_load_file("tests/mail/data/eml-send.json", NULL, &err);
    if (!s) fail_msg("%s", err.text);
    struct trace *tr = trace_new();
    struct world *w = world_new(s, tr, NULL, NULL);
    assert_non_null(w);
    world_run(w, SIM_US_MAX);
    struct world_fates fa;
    char report[1024];
    assert_int_equal(world_check(tr, s, trace_end_time(tr), report, sizeof report, &fa), 0);
    assert_int_equal(fa.delivered, 1);
    char buf[256];
    assert_string_equal(find_msg(tr, TR_MSG_COMPOSED, buf, sizeof buf),
                        "648 bytes, from file alternative.eml");
    /* FNV-1a (core/hash.h) of the body with CRLF line ends. */
    assert_true(find_msg_rec(tr, TR_MSG_COMPOSED)->body_hash == 0x52e01fe14b04f003ull);
    assert_string_equal(find_line(tr, "Message-ID:", buf, sizeof buf),
                        "Message-ID: <import-1@example.org>");
    world_free(w);
    trace_free(tr);
    scn_free(s);
}

static void expect_refused(const char *data, size_t len, const char *why)
{
    struct msg_buf b = {0};
    struct ms_error err;
    assert_false(ua_eml_prepare((const unsigned char *)data, len, &b, &err));
    assert_string_equal(err.msg, why);
    msg_buf_free(&b);
}

static void test_refusals(void **state)
{
    (void)state;
    expect_refused("hello\nworld\n", 12, "it has no header block: line 1 is not a header field");
    expect_refused("\nbody only\n", 11, "it has no header block: line 1 is empty");
    expect_refused("Subject: a\nFrom: x\0y\n\nz\n", 23,
                   "line 2 has a NUL byte (SMTP cannot carry it)");
    expect_refused("Subject: a\nnot a field\n\nz\n", 25,
                   "line 2 in the header block is not a header field");
    expect_refused("Subject: a\n\nx\ry\n", 16, "line 3 has a bare CR (not a line end in RFC 5322)");
    expect_refused("", 0, "the file is empty");
    expect_refused(NULL, 0, "the file was not read");
    char *lng = malloc(1200);
    assert_non_null(lng);
    memcpy(lng, "Subject: a\n\n", 12);
    memset(lng + 12, 'x', 999);
    lng[1011] = '\n';
    expect_refused(lng, 1012, "line 3 is 999 octets, over SMTP's limit of 998");
    /* 998 is allowed, CRLF files stay as they are, a missing last line end is added. */
    lng[1010] = '\n';
    struct msg_buf b = {0};
    struct ms_error err;
    assert_true(ua_eml_prepare((const unsigned char *)lng, 1011, &b, &err));
    assert_int_equal(b.len, 1011 + 3);
    msg_buf_free(&b);
    memset(&b, 0, sizeof b);
    assert_true(ua_eml_prepare((const unsigned char *)"S: a\r\n\r\nb", 9, &b, &err));
    assert_int_equal(b.len, 11);
    assert_memory_equal(b.data, "S: a\r\n\r\nb\r\n", 11);
    msg_buf_free(&b);
    free(lng);
}

/* A NUL inside a scenario's eml file: composed, then "not sent" with the
 * reason; the invariant holds and nothing crashes. */
static void test_refused_in_the_simulation(void **state)
{
    (void)state;
    char json[4096];
    snprintf(json, sizeof json, json_fmt, "");
    struct scn_error err;
    struct scn_scenario *s = scn_load_buffer(json, strlen(json), "t.json", NULL, NULL, &err);
    assert_non_null(s);
    struct ms_error merr;
    /* ua_eml_import refuses it up front... */
    assert_false(ua_eml_import(s, "bad.eml", (const unsigned char *)"A: b\n\nx\0y\n", 10, &merr));
    assert_string_equal(merr.msg, "line 3 has a NUL byte (SMTP cannot carry it)");
    /* ...and a user agent given it anyway says "not sent". */
    assert_true(ua_eml_import(s, "bad.eml", (const unsigned char *)"A: b\n\nxy\n", 9, &merr));
    s->timeline[0].u.send.msg.attachments[0].data[7] = '\0';
    struct trace *tr = trace_new();
    struct world *w = world_new(s, tr, NULL, NULL);
    world_run(w, SIM_US_MAX);
    struct world_fates fa;
    char report[1024];
    assert_int_equal(world_check(tr, s, trace_end_time(tr), report, sizeof report, &fa), 0);
    assert_int_equal(fa.rejected, 1);
    char buf[256];
    assert_string_equal(find_msg(tr, TR_MSG_NOT_SENT, buf, sizeof buf),
                        "bad.eml is not a message SMTP can send: line 3 has a NUL byte "
                        "(SMTP cannot carry it)");
    world_free(w);
    trace_free(tr);
    scn_free(s);
}

/* 8-bit bodies: BODY=8BITMIME when offered, else not sent with the reason. */
static void test_eightbit(void **state)
{
    (void)state;
    static const char msg8[] = "From: alice@example.org\nSubject: lunch\n"
                               "Content-Type: text/plain; charset=utf-8\n"
                               "Content-Transfer-Encoding: 8bit\n\nCaf\xc3\xa9 at noon?\n";
    struct run r;
    run_eml(&r, "", msg8, sizeof msg8 - 1);
    char buf[256];
    assert_non_null(find_line(r.tr, "MAIL FROM:", buf, sizeof buf));
    assert_string_equal(buf, "MAIL FROM:<alice@example.org> SIZE=186 BODY=8BITMIME");
    /* No Message-ID in the file: the user agent adds one on top. */
    assert_string_equal(find_line(r.tr, "Message-ID:", buf, sizeof buf),
                        "Message-ID: <cff7d010c2103287.00000001@example.org>");
    assert_int_equal(r.fa.delivered, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
    run_eml(&r, ",\"smtp\":{\"8bitmime\":false}", msg8, sizeof msg8 - 1);
    assert_null(find_line(r.tr, "MAIL FROM:", buf, sizeof buf));
    assert_string_equal(find_msg(r.tr, TR_MSG_NOT_SENT, buf, sizeof buf),
                        "the message has 8-bit octets but the server does not offer "
                        "8BITMIME (SMTP carries 7-bit ASCII; encode it as base64 or "
                        "quoted-printable)");
    assert_int_equal(r.fa.rejected, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* A message that already carries 100 Received: fields is a mail loop
 * (RFC 5321 §6.3, bad-inputs S20): Alice's own server refuses it with
 * 554 5.4.6 at the end of DATA, and nothing is lost (it is "not sent"). */
static void test_mail_loop_refused(void **state)
{
    (void)state;
    size_t cap = 100 * 64 + 256, n = 0;
    char *msg = malloc(cap);
    assert_non_null(msg);
    for (int i = 0; i < 100; i++)
        n += (size_t)snprintf(msg + n, cap - n, "Received: from relay%d.example by x; hop %d\n", i,
                              i);
    n += (size_t)snprintf(msg + n, cap - n, "From: alice@example.org\nSubject: loop\n\nround\n");
    struct run r;
    run_eml(&r, "", msg, n);
    char buf[256];
    assert_string_equal(find_line(r.tr, "554 ", buf, sizeof buf),
                        "554 5.4.6 Too many Received: header fields: mail loop (RFC 5321 6.3)");
    assert_int_equal(r.fa.delivered, 0);
    assert_int_equal(r.violations, 0);
    run_free(&r);
    /* 99 hops are still fine. */
    n = (size_t)(strstr(msg, "Received: from relay99") - msg);
    n += (size_t)snprintf(msg + n, cap - n, "From: alice@example.org\nSubject: ok\n\nround\n");
    run_eml(&r, "", msg, n);
    assert_int_equal(r.fa.delivered, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
    free(msg);
}

/* Run world_cli_run as c says; its stdout into out. Returns the exit status. */
static int cli(const struct world_cli *c, char **out)
{
    fflush(stdout);
    FILE *tmp = tmpfile();
    assert_non_null(tmp);
    int saved = dup(1);
    dup2(fileno(tmp), 1);
    int rc = world_cli_run(c);
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    long n = ftell(tmp);
    if (n < 0) n = 0;
    rewind(tmp);
    *out = calloc(1, (size_t)n + 1);
    assert_non_null(*out);
    size_t got = fread(*out, 1, (size_t)n, tmp);
    (*out)[got] = '\0';
    fclose(tmp);
    return rc;
}

static void test_cli_import(void **state)
{
    (void)state;
    struct world_cli c;
    memset(&c, 0, sizeof c);
    c.transcript = true;
    c.eml = SAMPLE;
    char *out;
    assert_int_equal(cli(&c, &out), 0);
    assert_non_null(strstr(out, "C: Subject: Slides for Thursday (imported)\n"));
    assert_non_null(strstr(out, "C: ..a line starting with a dot survives dot-stuffing\n"));
    assert_non_null(strstr(out, "invariant: every message delivered, queued or bounced"));
    free(out);
    c.eml = "tests/mail/data/nope.eml";
    assert_int_equal(cli(&c, &out), 3);
    assert_string_equal(out, "");
    free(out);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sample_arrives_byte_identical),
        cmocka_unit_test(test_scenario_eml_attachment),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_refused_in_the_simulation),
        cmocka_unit_test(test_eightbit),
        cmocka_unit_test(test_mail_loop_refused),
        cmocka_unit_test(test_cli_import),
    };
    return cmocka_run_group_tests_name("eml", tests, NULL, NULL);
}
