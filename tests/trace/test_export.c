/* test_export.c -- pcap bytes and checksums, JSON lines, Mermaid text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/export.h"
#include "trace_fixture.h"

/* Run an export into memory. */
static char *export_mem(struct trace *tr, int which, size_t *len, long *ret)
{
    char *buf = NULL;
    FILE *f = open_memstream(&buf, len);
    assert_non_null(f);
    if (which == 0)
        *ret = pcap_write(tr, f, EXPORT_EPOCH_UNIX);
    else if (which == 1)
        *ret = jsonl_write(tr, f);
    else
        *ret = mmd_write(tr, f, "Alice; to #Bob");
    fclose(f);
    return buf;
}

static uint32_t rd16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}
static uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint32_t csum(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) acc += rd16(p + i);
    if (n & 1) acc += (uint32_t)p[n - 1] << 8;
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return acc;
}

static void test_pcap_frames_and_checksums(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    size_t len;
    long frames;
    uint8_t *p = (uint8_t *)export_mem(tr, 0, &len, &frames);
    assert_int_equal(frames, 5);
    assert_int_equal(le32(p), 0xa1b2c3d4u);
    assert_int_equal(le32(p + 20), 1); /* Ethernet */
    size_t off = 24;
    for (long i = 0; i < frames; i++) {
        assert_true(off + 16 <= len);
        uint32_t incl = le32(p + off + 8);
        const uint8_t *fr = p + off + 16;
        assert_int_equal(rd16(fr + 12), 0x0800);
        const uint8_t *ip = fr + 14;
        assert_int_equal(ip[0], 0x45);
        assert_int_equal(csum(0, ip, 20), 0xffff); /* header checksum verifies */
        size_t iplen = rd16(ip + 2);
        assert_int_equal(iplen + 14, incl);
        const uint8_t *tcp = ip + 20;
        uint8_t ph[12];
        memcpy(ph, ip + 12, 8);
        ph[8] = 0;
        ph[9] = 6;
        ph[10] = (uint8_t)((iplen - 20) >> 8);
        ph[11] = (uint8_t)(iplen - 20);
        assert_int_equal(csum(csum(0, ph, 12), tcp, iplen - 20), 0xffff);
        if (i == 0) {
            assert_int_equal(le32(p + off), (uint32_t)EXPORT_EPOCH_UNIX);
            assert_int_equal(tcp[13], NETEV_SYN);
            assert_int_equal(tcp[12] >> 4, 6); /* 24-byte header: MSS option */
            assert_int_equal(rd16(tcp + 22), 1460);
            assert_int_equal(rd16(ip + 12), 0xC000); /* 192.0.2.1 */
        }
        if (i == 3) {
            assert_int_equal(le32(p + off + 4), 41000); /* microseconds */
            assert_memory_equal(tcp + 20, "220 mail.example.net ESMTP\r\n", 28);
        }
        off += 16 + incl;
    }
    assert_int_equal(off, len);
    free(p);
    trace_free(tr);
}

static void test_jsonl_every_line_parses(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    /* A line with bytes JSON cannot hold raw. */
    trace_add_line(tr, trace_end_time(tr), TR_LINE_RECEIVED, 1, 1, 0, 'C', "SMTP", "a", "b",
                   "X\"\\\x01\xff\xc3\xa9\r\n", 9);
    size_t len;
    long n;
    char *buf = export_mem(tr, 1, &len, &n);
    assert_int_equal(n, 10);
    int lines = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1) {
        *nl = '\0';
        if (lines == 9) {
            /* \xff is not UTF-8: the lone surrogate U+DCFF (PEP 383), never
             * the character U+00FF; \xc3\xa9 stays é. (cJSON refuses lone
             * surrogates; Python and jq read them.) */
            assert_non_null(strstr(line, "\"line\":\"X\\\"\\\\\\u0001\\udcff\xc3\xa9\\r\\n\""));
            lines++;
            continue;
        }
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        /* Record k is the window's step k + 1. */
        assert_int_equal(cJSON_GetObjectItemCaseSensitive(j, "step")->valueint, lines + 1);
        if (lines == 4) {
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "kind")->valuestring,
                                "LINE_SENT");
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "line")->valuestring,
                                "220 mail.example.net ESMTP\r\n");
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "host")->valuestring,
                                "mail.example.net");
        }
        cJSON_Delete(j);
        lines++;
    }
    assert_int_equal(lines, 10);
    free(buf);
    trace_free(tr);
}

/* A protocol line's typed fields: verb, code, flags and the data flag, and
 * null / [] / false for a line that has none. */
static void test_jsonl_line_fields(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    const struct trace_line_facts reply = {"DATA", 250,
                                           TRACE_LF_OK | TRACE_LF_DATA_END | TRACE_LF_CONT, NULL};
    const struct trace_line_facts body = {NULL, 0, TRACE_LF_DATA, NULL};
    trace_add_line_facts(tr, 0, TR_LINE_SENT, 1, 0, 0, 'S', "SMTP", "DATA", "READY", &reply,
                         "250 2.0.0 Ok\r\n", 14);
    trace_add_line_facts(tr, 1, TR_LINE_SENT, 1, 0, 0, 'C', "SMTP", "BODY", "BODY", &body, "Hi\r\n",
                         4);
    trace_add_line(tr, 2, TR_LINE_RECEIVED, 1, 0, 0, 'S', "SMTP", "INIT", "INIT", "x\r\n", 3);
    size_t len;
    long n;
    char *buf = export_mem(tr, 1, &len, &n);
    assert_int_equal(n, 3);
    int k = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, k++) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        cJSON *verb = cJSON_GetObjectItemCaseSensitive(j, "verb");
        cJSON *code = cJSON_GetObjectItemCaseSensitive(j, "code");
        cJSON *flags = cJSON_GetObjectItemCaseSensitive(j, "flags");
        cJSON *data = cJSON_GetObjectItemCaseSensitive(j, "data");
        assert_non_null(verb);
        assert_non_null(code);
        assert_true(cJSON_IsArray(flags));
        assert_true(cJSON_IsBool(data));
        if (k == 0) {
            assert_string_equal(verb->valuestring, "DATA");
            assert_int_equal(code->valueint, 250);
            assert_int_equal(cJSON_GetArraySize(flags), 3);
            assert_string_equal(cJSON_GetArrayItem(flags, 0)->valuestring, "ok");
            assert_string_equal(cJSON_GetArrayItem(flags, 1)->valuestring, "data_end");
            assert_string_equal(cJSON_GetArrayItem(flags, 2)->valuestring, "cont");
            assert_true(cJSON_IsFalse(data));
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "state_before")->valuestring,
                                "DATA");
            assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "state_after")->valuestring,
                                "READY");
        } else if (k == 1) {
            assert_true(cJSON_IsNull(verb));
            assert_true(cJSON_IsNull(code));
            assert_int_equal(cJSON_GetArraySize(flags), 1);
            assert_string_equal(cJSON_GetArrayItem(flags, 0)->valuestring, "data");
            assert_true(cJSON_IsTrue(data));
        } else {
            assert_true(cJSON_IsNull(verb));
            assert_true(cJSON_IsNull(code));
            assert_int_equal(cJSON_GetArraySize(flags), 0);
            assert_true(cJSON_IsFalse(data));
        }
        cJSON_Delete(j);
    }
    assert_int_equal(k, 3);
    free(buf);
    trace_free(tr);
}

/* "ext": the ehlo-keyword the server's engine named on an EHLO extension
 * line (RFC 5321 §4.1.1.1), null on the reply's first line and elsewhere. */
static void test_jsonl_ehlo_ext(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    const struct trace_line_facts first = {"EHLO", 250, TRACE_LF_OK, NULL};
    const struct trace_line_facts size = {"EHLO", 250, TRACE_LF_OK | TRACE_LF_CONT, "SIZE"};
    const struct trace_line_facts auth = {"EHLO", 250, TRACE_LF_OK | TRACE_LF_CONT, "AUTH"};
    trace_add_line_facts(tr, 0, TR_LINE_SENT, 1, 0, 0, 'S', "SMTP", "INIT", "READY", &first,
                         "250-mx.example Hello c\r\n", 24);
    trace_add_line_facts(tr, 0, TR_LINE_SENT, 1, 0, 0, 'S', "SMTP", "READY", "READY", &size,
                         "250-SIZE 10485760\r\n", 19);
    trace_add_line_facts(tr, 0, TR_LINE_SENT, 1, 0, 0, 'S', "SMTP", "READY", "READY", &auth,
                         "250 AUTH PLAIN LOGIN\r\n", 22);
    trace_add_line(tr, 1, TR_LINE_RECEIVED, 1, 0, 0, 'S', "SMTP", "INIT", "INIT", "x\r\n", 3);
    size_t len;
    long n;
    char *buf = export_mem(tr, 1, &len, &n);
    assert_int_equal(n, 4);
    static const char *const want[] = {NULL, "SIZE", "AUTH", NULL};
    int k = 0;
    for (char *line = buf, *nl; (nl = strchr(line, '\n')) != NULL; line = nl + 1, k++) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(line);
        assert_non_null(j);
        cJSON *ext = cJSON_GetObjectItemCaseSensitive(j, "ext");
        assert_non_null(ext);
        if (want[k])
            assert_string_equal(cJSON_GetStringValue(ext), want[k]);
        else
            assert_true(cJSON_IsNull(ext));
        cJSON_Delete(j);
    }
    assert_int_equal(k, 4);
    free(buf);
    trace_free(tr);
}

/* A DNS answer's records come out typed, and "answer" is rendered from them. */
static void test_jsonl_dns_records(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    uint32_t h = 0;
    trace_host_add(tr, h, "mx.example.org", 0xC0000201u, false);
    const struct trace_dns_rr_in rrs[2] = {
        {"example.net", 3600, 15, 10, "mail.example.net", {0}, TRACE_DNS_ANSWER},
        {"mail.example.net", 300, 1, 0, NULL, {192, 0, 2, 5}, TRACE_DNS_ADDITIONAL},
    };
    trace_add_dns(tr, 0, TR_DNS_ANSWER, h, TRACE_NONE, "example.net", 15, 0, 7, rrs, 2);
    trace_add_dns(tr, 1, TR_DNS_ANSWER, h, TRACE_NONE, "nowhere.example", 15, 3, 8, NULL, 0);
    size_t len;
    long n;
    char *buf = export_mem(tr, 1, &len, &n);
    assert_int_equal(n, 2);
    char *nl = strchr(buf, '\n');
    assert_non_null(nl);
    *nl = '\0';
    cJSON *j = cJSON_Parse(buf);
    assert_non_null(j);
    assert_string_equal(
        cJSON_GetObjectItemCaseSensitive(j, "answer")->valuestring,
        "example.net. 3600 IN MX 10 mail.example.net.; mail.example.net. 300 IN A 192.0.2.5");
    cJSON *recs = cJSON_GetObjectItemCaseSensitive(j, "records");
    assert_int_equal(cJSON_GetArraySize(recs), 2);
    cJSON *mx = cJSON_GetArrayItem(recs, 0), *a = cJSON_GetArrayItem(recs, 1);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(mx, "type")->valuestring, "MX");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(mx, "name")->valuestring, "example.net");
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(mx, "ttl")->valueint, 3600);
    assert_int_equal(cJSON_GetObjectItemCaseSensitive(mx, "preference")->valueint, 10);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(mx, "exchange")->valuestring,
                        "mail.example.net");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(mx, "section")->valuestring, "answer");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "type")->valuestring, "A");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "address")->valuestring, "192.0.2.5");
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(a, "section")->valuestring, "additional");
    cJSON_Delete(j);
    j = cJSON_Parse(nl + 1);
    assert_non_null(j);
    assert_string_equal(cJSON_GetObjectItemCaseSensitive(j, "answer")->valuestring, "NXDOMAIN");
    assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(j, "records")), 0);
    cJSON_Delete(j);
    free(buf);
    trace_free(tr);
}

static void test_mermaid(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    size_t len;
    long arrows;
    char *buf = export_mem(tr, 2, &len, &arrows);
    assert_int_equal(arrows, 2);
    assert_non_null(strstr(buf, "```mermaid\nsequenceDiagram\n"));
    assert_non_null(strstr(buf, "    title Alice#59; to #35;Bob\n"));
    assert_non_null(strstr(buf, "    participant h0 as mail.example.org\n"));
    assert_non_null(strstr(buf, "    h1-->>h0: 220 mail.example.net ESMTP\n"));
    assert_non_null(strstr(buf, "    h0->>h1: MAIL FROM#58;#60;alice@example.org#62;\n"));
    /* Participants in order of first appearance: mail.example.net speaks first. */
    char *p1 = strstr(buf, "    participant h1 as mail.example.net\n");
    char *p0 = strstr(buf, "    participant h0 as mail.example.org\n");
    assert_non_null(p1);
    assert_true(p0 > p1);
    assert_non_null(strstr(buf, "    Note over h1,h0: Bob's server is down#59; retry\n"));
    assert_non_null(strstr(buf, "```\n"));
    free(buf);
    trace_free(tr);
}

/* An empty line is labelled, an idle gap is said the way people say it,
 * and a run without protocol lines (a message never sent) still has its
 * narration and its fate. */
static void test_mermaid_gaps_blank_lines_and_no_lines(void **state)
{
    (void)state;
    struct trace *tr = fixture_trace();
    sim_us t = 90 * SIM_US_PER_MIN;
    trace_add_line(tr, t, TR_LINE_SENT, 1, 0, 1, 'C', "SMTP", "a", "b", "\r\n", 2);
    t += 2 * SIM_US_PER_H + SIM_US_PER_S + 130262;
    trace_add_line(tr, t, TR_LINE_SENT, 1, 0, 1, 'C', "SMTP", "a", "b", "QUIT\r\n", 6);
    size_t len;
    long arrows;
    char *buf = export_mem(tr, 2, &len, &arrows);
    assert_int_equal(arrows, 4);
    assert_non_null(strstr(buf, "    h0->>h1: (blank line)\n"));
    assert_non_null(strstr(buf, "    Note over h1,h0: ... 2h later ...\n"));
    assert_non_null(strstr(buf, "    Note over h1,h0: ... 1h 29m later ...\n"));
    assert_null(strstr(buf, "ms"));
    free(buf);
    trace_free(tr);

    tr = trace_new();
    trace_host_add(tr, 0, "alice-pc", 0xC0000201u, false);
    trace_host_add(tr, 1, "bob-pc", 0xC0000202u, false);
    trace_add_narration(tr, 0, TRACE_NONE, "Bob's PC is off.");
    struct trace_msg m;
    memset(&m, 0, sizeof m);
    m.msg = 1;
    m.host = 0;
    m.peer = TRACE_NONE;
    m.sender = m.rcpt = m.msgid = TRACE_NONE;
    m.next_retry = -1;
    trace_add_msg(tr, SIM_US_PER_S, TR_MSG_COMPOSED, &m, "227 bytes");
    m.peer = 1;
    trace_add_msg(tr, 64 * SIM_US_PER_S, TR_MSG_NOT_SENT, &m, "connection timed out");
    trace_add_narration(tr, 120 * SIM_US_PER_S, TRACE_NONE, "Nothing was sent.");
    buf = export_mem(tr, 2, &len, &arrows);
    assert_int_equal(arrows, 0);
    assert_non_null(strstr(buf, "    participant h0 as alice-pc\n    participant h1 as bob-pc\n"));
    assert_non_null(strstr(buf, "    Note over h0,h1: Bob's PC is off.\n"));
    assert_non_null(
        strstr(buf, "    Note right of h0: message 1 not sent#58; connection timed out\n"));
    assert_non_null(strstr(buf, "    Note over h0,h1: Nothing was sent.\n"));
    assert_null(strstr(buf, "bounced"));
    free(buf);
    trace_free(tr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pcap_frames_and_checksums),
        cmocka_unit_test(test_jsonl_every_line_parses),
        cmocka_unit_test(test_jsonl_line_fields),
        cmocka_unit_test(test_jsonl_ehlo_ext),
        cmocka_unit_test(test_jsonl_dns_records),
        cmocka_unit_test(test_mermaid),
        cmocka_unit_test(test_mermaid_gaps_blank_lines_and_no_lines),
    };
    return cmocka_run_group_tests_name("export", tests, NULL, NULL);
}
