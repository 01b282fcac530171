/* test_http_server.c -- HTTP/1.1 server engine: framing, keep-alive,
 * pipelining at every split, lying Content-Length, limits, bad request lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_http_harness.h"

#define OK_HEAD(len)                                                                               \
    "HTTP/1.1 200 OK\r\nServer: mailsim\r\nContent-Type: text/plain\r\nContent-Length: " #len "\r\n"

static void test_get_keep_alive(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    const char in[] = "GET /inbox HTTP/1.1\r\nHost: mail.example\r\n\r\n";
    assert_int_equal(hs_send(&h, in, sizeof in - 1, 0), sizeof in - 1);
    assert_string_equal(h.out, OK_HEAD(14) "\r\nGET /inbox []\n");
    assert_string_equal(h.log, "REQ GET /inbox 0;");
    assert_int_equal(http_server_state(h.s), HTTP_S_REQUEST_LINE);
    assert_false(http_server_done(h.s));
    /* idle between requests: a timeout closes quietly */
    h.out_len = 0;
    http_server_timeout(h.s);
    hs_pump(&h);
    assert_int_equal(h.out_len, 0);
    assert_string_equal(h.log, "REQ GET /inbox 0;CLOSE;");
    assert_int_equal(http_server_state(h.s), HTTP_S_CLOSED);
    hs_fini(&h);
}

static const char PIPELINE[] =
    "\r\nGET /a HTTP/1.1\r\nHost: h\r\n\r\n"
    "POST /send HTTP/1.1\r\nHost: h\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    "Content-Length: 11\r\n\r\nto=b%40x&s="
    "HEAD /c HTTP/1.1\r\nHost: h\r\n\r\n"
    "GET /missing HTTP/1.1\r\nhost: h\r\nConnection: keep-alive, close\r\n\r\n"
    "GET /never HTTP/1.1\r\nHost: h\r\n\r\n";

static const char PIPELINE_OUT[] =
    OK_HEAD(10) "\r\nGET /a []\n" OK_HEAD(25) "\r\nPOST /send [to=b%40x&s=]\n" OK_HEAD(
        11) "\r\n"
            "HTTP/1.1 404 Not Found\r\nServer: mailsim\r\nContent-Length: 13\r\nConnection: close\r\n\r\n"
            "no such page\n";

/* Two requests in one write and pipelining, cut at every position. */
static void test_pipelined_every_split(void **state)
{
    (void)state;
    for (size_t step = 0; step < sizeof PIPELINE; step++) {
        struct hs h;
        hs_init(&h, 0);
        size_t used = hs_send(&h, PIPELINE, sizeof PIPELINE - 1, step);
        assert_string_equal(h.out, PIPELINE_OUT);
        assert_string_equal(
            h.log, "REQ GET /a 0;REQ POST /send 11;REQ HEAD /c 0;REQ GET /missing 0;CLOSE;");
        /* the request after Connection: close is never read */
        assert_int_equal(used,
                         sizeof PIPELINE - 1 - strlen("GET /never HTTP/1.1\r\nHost: h\r\n\r\n"));
        assert_true(http_server_done(h.s));
        hs_fini(&h);
    }
}

/* Content-Length too short: the rest is parsed as the next request (400). */
static void test_content_length_too_short(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    const char in[] = "POST /send HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabcdef\r\n\r\n";
    hs_send(&h, in, sizeof in - 1, 0);
    assert_string_equal(h.log, "REQ POST /send 3;ERR 400 malformed request line@54;CLOSE;");
    assert_non_null(strstr(h.out, "\r\n\r\nPOST /send [abc]\nHTTP/1.1 400 Bad Request\r\n"));
    assert_non_null(
        strstr(h.out, "Connection: close\r\n\r\n400 Bad Request: malformed request line\n"));
    hs_fini(&h);
}

/* Content-Length too long: wait, then the timeout answers 408. */
static void test_content_length_too_long(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    const char in[] = "POST /send HTTP/1.1\r\nHost: h\r\nContent-Length: 10\r\n\r\nabc";
    assert_int_equal(hs_send(&h, in, sizeof in - 1, 0), sizeof in - 1);
    assert_int_equal(h.out_len, 0);
    assert_int_equal(http_server_state(h.s), HTTP_S_BODY);
    http_server_timeout(h.s);
    hs_pump(&h);
    assert_string_equal(h.log, "ERR 408 request body incomplete@55;CLOSE;");
    assert_string_equal(h.out,
                        "HTTP/1.1 408 Request Timeout\r\nServer: mailsim\r\n"
                        "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 45\r\n"
                        "Connection: close\r\n\r\n408 Request Timeout: request body incomplete\n");
    hs_fini(&h);
}

static void test_bad_requests(void **state)
{
    (void)state;
    static char long_line[9000], many[8000], big[20000], long_field[9100];
    memset(long_line, 'a', sizeof long_line - 1);
    memcpy(long_line, "GET /", 5);
    memcpy(long_line + sizeof long_line - 5, "\r\n\r\n", 4);
    size_t o = (size_t)sprintf(many, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 70; i++) o += (size_t)sprintf(many + o, "X-%d: v\r\n", i);
    strcat(many, "\r\n");
    o = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: h\r\n");
    for (int i = 0; i < 20; i++) o += (size_t)sprintf(big + o, "X-%d: %0900d\r\n", i, 0);
    strcat(big, "\r\n");
    o = (size_t)sprintf(long_field, "GET / HTTP/1.1\r\nX: ");
    memset(long_field + o, 'v', 8500);
    strcpy(long_field + o + 8500, "\r\n\r\n");
    static const struct {
        const char *in;
        size_t len; /* 0: strlen */
        const char *log;
    } cases[] = {
        {"GET /\r\n\r\n", 0, "ERR 400 malformed request line@0;CLOSE;"},
        {"GET  / HTTP/1.1\r\n\r\n", 0, "ERR 400 malformed request line@0;CLOSE;"},
        {"GET / HTTP/1.1 \r\n\r\n", 0, "ERR 400 malformed HTTP version@0;CLOSE;"},
        {"GET / HTTP/2.0\r\n\r\n", 0, "ERR 505 only HTTP/1.x is supported@0;CLOSE;"},
        {"GET / HTTP/1.10\r\n\r\n", 0, "ERR 400 malformed HTTP version@0;CLOSE;"},
        {"GET / http/1.1\r\n\r\n", 0, "ERR 400 malformed HTTP version@0;CLOSE;"},
        {"get / HTTP/1.1\r\nHost: h\r\n\r\n", 0, "ERR 501 method not implemented@0;CLOSE;"},
        {"PUT / HTTP/1.1\r\nHost: h\r\n\r\n", 0, "ERR 405 method not allowed@0;CLOSE;"},
        {"BREW / HTTP/1.1\r\nHost: h\r\n\r\n", 0, "ERR 501 method not implemented@0;CLOSE;"},
        {"G@T / HTTP/1.1\r\n\r\n", 0, "ERR 400 malformed method@0;CLOSE;"},
        {"GET foo HTTP/1.1\r\n\r\n", 0, "ERR 400 malformed request target@0;CLOSE;"},
        {"GET /\x01 HTTP/1.1\r\n\r\n", 0, "ERR 400 malformed request target@0;CLOSE;"},
        {"GET /\xc3\xa9 HTTP/1.1\r\n\r\n", 0, "ERR 400 malformed request target@0;CLOSE;"},
        {"GET / HTTP/1.1\nHost: h\r\n\r\n", 0,
         "ERR 400 bare CR, LF or NUL in request line@0;CLOSE;"},
        {"SSH-2.0-OpenSSH_9.2\r\n", 0, "ERR 400 malformed request line@0;CLOSE;"},
        {"HELO mail.example\r\n", 0, "ERR 400 malformed request line@0;CLOSE;"},
        {"GET / HTTP/1.1\r\n\r\n", 0, "ERR 400 missing Host field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 0,
         "ERR 400 more than one Host field@34;CLOSE;"},
        {"GET / HTTP/1.1\r\n Host: h\r\n\r\n", 0, "ERR 400 obsolete line folding@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost: h\r\n folded\r\n\r\n", 0,
         "ERR 400 obsolete line folding@25;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost : h\r\n\r\n", 0, "ERR 400 malformed header field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost h\r\n\r\n", 0, "ERR 400 malformed header field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\n: h\r\n\r\n", 0, "ERR 400 malformed header field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost: a\x00z\r\n\r\n", 30,
         "ERR 400 bare CR, LF or NUL in header field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost: a\rz\r\n\r\n", 0,
         "ERR 400 bare CR, LF or NUL in header field@16;CLOSE;"},
        {"GET / HTTP/1.1\r\nHost: a\x7f\r\n\r\n", 0, "ERR 400 malformed header field@16;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: -1\r\n\r\n", 0,
         "ERR 400 invalid Content-Length@46;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1,1\r\n\r\nx", 0,
         "ERR 400 invalid Content-Length@47;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 99999999999999999999999\r\n\r\n", 0,
         "ERR 400 invalid Content-Length@67;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", 0,
         "ERR 400 more than one Content-Length field@64;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n", 0,
         "ERR 501 Transfer-Encoding not supported@54;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 0,
         "ERR 400 both Transfer-Encoding and Content-Length@73;CLOSE;"},
        {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1025\r\n\r\n", 0,
         "ERR 413 request body too large@48;CLOSE;"},
        {long_line, 0, "ERR 414 request line too long@0;CLOSE;"},
        {many, 0, "ERR 431 too many header fields@582;CLOSE;"},
        {big, 0, "ERR 431 header section too large@16359;CLOSE;"},
        {long_field, 0, "ERR 431 header field line too long@16;CLOSE;"},
    };
    int bad = 0;
    for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
        struct hs h;
        hs_init(&h, 1024);
        size_t len = cases[i].len ? cases[i].len : strlen(cases[i].in);
        hs_send(&h, cases[i].in, len, 0);
        if (strcmp(h.log, cases[i].log) != 0) {
            print_error("case %zu: got '%s'\n", i, h.log);
            bad++;
        }
        assert_true(http_server_done(h.s));
        assert_non_null(strstr(h.out, "\r\nConnection: close\r\n\r\n"));
        hs_fini(&h);
    }
    assert_int_equal(bad, 0);
}

static void test_405_has_allow(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    const char in[] = "DELETE /message/1 HTTP/1.1\r\nHost: h\r\n\r\n";
    hs_send(&h, in, sizeof in - 1, 0);
    assert_string_equal(h.out,
                        "HTTP/1.1 405 Method Not Allowed\r\nServer: mailsim\r\n"
                        "Allow: GET, HEAD, POST\r\nContent-Type: text/plain; charset=utf-8\r\n"
                        "Content-Length: 43\r\nConnection: close\r\n\r\n"
                        "405 Method Not Allowed: method not allowed\n");
    hs_fini(&h);
}

static void test_http10_and_head(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    const char in[] = "HEAD /x HTTP/1.0\r\n\r\n";
    hs_send(&h, in, sizeof in - 1, 0);
    assert_string_equal(h.out, OK_HEAD(11) "Connection: close\r\n\r\n");
    assert_int_equal(http_server_state(h.s), HTTP_S_CLOSING);
    hs_fini(&h);
    hs_init(&h, 0);
    const char in2[] = "GET /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n";
    hs_send(&h, in2, sizeof in2 - 1, 0);
    assert_string_equal(h.out, OK_HEAD(10) "\r\nGET /x []\n");
    assert_int_equal(http_server_state(h.s), HTTP_S_REQUEST_LINE);
    hs_fini(&h);
}

static void test_header_injection_refused(void **state)
{
    (void)state;
    struct http_server *s = http_server_new(NULL);
    const char in[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    assert_int_equal(http_server_recv(s, in, sizeof in - 1), sizeof in - 1);
    struct http_server_event ev;
    assert_true(http_server_event(s, &ev));
    assert_int_equal(ev.kind, HTTP_EV_REQUEST);
    assert_int_equal(ev.from, HTTP_S_HEADERS);
    assert_int_equal(ev.to, HTTP_S_HANDLER);
    assert_string_equal(http_server_state_name(ev.to), "handler");
    struct http_header f[] = {{"Location", "/x\r\nSet-Cookie: a=b"}};
    assert_false(http_server_respond(s, 302, f, 1, "", 0));
    const char *p;
    size_t n = http_server_out(s, &p);
    assert_int_equal(
        n, strlen("HTTP/1.1 500 Internal Server Error\r\n"
                  "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 47\r\n"
                  "Connection: close\r\n\r\n500 Internal Server Error: bad response header\n"));
    assert_memory_equal(p, "HTTP/1.1 500 ", 13);
    char copy[512];
    snprintf(copy, sizeof copy, "%.*s", (int)n, p);
    assert_null(strstr(copy, "Set-Cookie"));
    /* respond with nothing pending is refused */
    assert_false(http_server_respond(s, 200, NULL, 0, "", 0));
    http_server_free(s);
}

static void test_client_gone(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    hs_send(&h, "GET / HTTP/1.1\r\nHo", 18, 0);
    http_server_closed(h.s);
    hs_pump(&h);
    assert_string_equal(h.log, "CLOSE;");
    assert_int_equal(h.out_len, 0);
    hs_fini(&h);
    /* a partial request line then a timeout: 408 */
    hs_init(&h, 0);
    hs_send(&h, "GET / HT", 8, 0);
    http_server_timeout(h.s);
    hs_pump(&h);
    assert_string_equal(h.log, "ERR 408 request incomplete@8;CLOSE;");
    hs_fini(&h);
}

/* bad-inputs X5: a client that sends requests but never reads responses. */
static void test_backpressure(void **state)
{
    (void)state;
    struct http_server *s = http_server_new(NULL);
    static const char req[] = "GET / HTTP/1.1\r\nHost: h\r\n\r\n";
    static char body[10000];
    memset(body, 'x', sizeof body);
    int answered = 0;
    for (int i = 0; i < 100; i++) {
        if (http_server_recv(s, req, sizeof req - 1) == 0) break;
        struct http_server_event ev;
        while (http_server_event(s, &ev)) {
            if (ev.kind == HTTP_EV_REQUEST) {
                http_server_respond(s, 200, NULL, 0, body, sizeof body);
                answered++;
            }
        }
    }
    assert_int_equal(answered, 7); /* 7 x ~10 KiB > 64 KiB: reading stops */
    const char *p;
    assert_true(http_server_out(s, &p) < 80000);
    http_server_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_get_keep_alive),
        cmocka_unit_test(test_pipelined_every_split),
        cmocka_unit_test(test_content_length_too_short),
        cmocka_unit_test(test_content_length_too_long),
        cmocka_unit_test(test_bad_requests),
        cmocka_unit_test(test_405_has_allow),
        cmocka_unit_test(test_http10_and_head),
        cmocka_unit_test(test_header_injection_refused),
        cmocka_unit_test(test_client_gone),
        cmocka_unit_test(test_backpressure),
    };
    return cmocka_run_group_tests_name("http server", tests, NULL, NULL);
}
