/* test_http_client.c -- HTTP/1.1 client engine: requests on the wire, client
 * against the server engine through a pipe cut at every position, persistent
 * connections and pipelining, malformed responses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_http_harness.h"

struct cres {
    char log[4096];
    int responses;
};

static void c_log(struct cres *r, const struct http_client_event *ev)
{
    size_t l = strlen(r->log);
    if (ev->kind == HTTP_CEV_RESPONSE) {
        r->responses++;
        snprintf(r->log + l, sizeof r->log - l, "%s %s -> %d %s [%.*s];", ev->resp.method,
                 ev->resp.target, ev->resp.status, ev->resp.reason, (int)ev->resp.body_len,
                 ev->resp.body);
    } else if (ev->kind == HTTP_CEV_ERROR) {
        snprintf(r->log + l, sizeof r->log - l, "ERROR %s@%zu;", ev->text, ev->offset);
    } else {
        snprintf(r->log + l, sizeof r->log - l, "CLOSE %s;", ev->text);
    }
}

/* Pipe client <-> server, moving at most step octets per hop (0: all). */
static void c_pipe(struct http_client *c, struct hs *h, size_t step, struct cres *r)
{
    char c2s[1 << 14], s2c[1 << 14];
    size_t c2s_len = 0, s2c_len = 0;
    for (int round = 0; round < 100000; round++) {
        bool busy = false;
        const char *p;
        size_t n = http_client_out(c, &p);
        if (n > 0 && c2s_len + n <= sizeof c2s) {
            memcpy(c2s + c2s_len, p, n);
            c2s_len += n;
            http_client_out_done(c, n);
            busy = true;
        }
        if (c2s_len > 0) {
            size_t k = http_server_recv(h->s, c2s, step && c2s_len > step ? step : c2s_len);
            memmove(c2s, c2s + k, c2s_len - k);
            c2s_len -= k;
            busy |= k > 0;
        }
        struct http_server_event sev;
        while (http_server_event(h->s, &sev)) {
            busy = true;
            if (sev.kind == HTTP_EV_REQUEST) hs_answer(h->s, &sev.req);
        }
        n = http_server_out(h->s, &p);
        if (n > 0) {
            if (step && n > step) n = step;
            memcpy(s2c + s2c_len, p, n);
            s2c_len += n;
            http_server_out_done(h->s, n);
            busy = true;
        }
        if (s2c_len > 0) {
            size_t k = http_client_recv(c, s2c, step && s2c_len > step ? step : s2c_len);
            memmove(s2c, s2c + k, s2c_len - k);
            s2c_len -= k;
            busy |= k > 0;
        }
        struct http_client_event ev;
        while (http_client_event(c, &ev)) {
            busy = true;
            c_log(r, &ev);
        }
        if (!busy) {
            if (http_server_done(h->s) && http_client_state(c) != HTTP_C_CLOSED) {
                http_client_closed(c);
                continue;
            }
            break;
        }
    }
}

static const char FORM[] = "to=bob%40example.org&subject=Hi&body=Hello+Bob";

static void queue_three(struct http_client *c)
{
    assert_true(http_client_request(c, "GET", "mail.example", "/inbox", NULL, 0, NULL, 0));
    assert_true(http_client_post_form(c, "mail.example", "/send", FORM, sizeof FORM - 1));
    struct http_header close[] = {{"Connection", "close"}};
    assert_true(http_client_request(c, "GET", "mail.example", "/missing", close, 1, NULL, 0));
}

static const char THREE_LOG[] =
    "GET /inbox -> 200 OK [GET /inbox []\n];"
    "POST /send -> 200 OK [POST /send [to=bob%40example.org&subject=Hi&body=Hello+Bob]\n];"
    "GET /missing -> 404 Not Found [no such page\n];"
    "CLOSE Connection: close;";

static void test_request_bytes(void **state)
{
    (void)state;
    struct http_client_cfg cfg = {.user_agent = "mailsim-browser"};
    struct http_client *c = http_client_new(&cfg);
    queue_three(c);
    const char *p;
    size_t n = http_client_out(c, &p);
    static const char want[] =
        "GET /inbox HTTP/1.1\r\nHost: mail.example\r\nUser-Agent: mailsim-browser\r\n\r\n"
        "POST /send HTTP/1.1\r\nHost: mail.example\r\nUser-Agent: mailsim-browser\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 46\r\n\r\n"
        "to=bob%40example.org&subject=Hi&body=Hello+Bob"
        "GET /missing HTTP/1.1\r\nHost: mail.example\r\nUser-Agent: mailsim-browser\r\nConnection: close\r\n\r\n";
    assert_int_equal(n, sizeof want - 1);
    assert_memory_equal(p, want, n);
    assert_int_equal(http_client_outstanding(c), 3);
    assert_int_equal(http_client_state(c), HTTP_C_STATUS_LINE);
    /* after Connection: close nothing more may be queued */
    assert_false(http_client_request(c, "GET", "mail.example", "/", NULL, 0, NULL, 0));
    http_client_free(c);
}

static void test_pipelined_every_split(void **state)
{
    (void)state;
    for (size_t step = 0; step < 720; step++) { /* 720 > the requests' bytes */
        struct hs h;
        hs_init(&h, 0);
        struct http_client *c = http_client_new(NULL);
        queue_three(c);
        struct cres r = {0};
        c_pipe(c, &h, step, &r);
        assert_string_equal(r.log, THREE_LOG);
        assert_int_equal(http_client_state(c), HTTP_C_CLOSED);
        http_client_free(c);
        hs_fini(&h);
    }
}

/* Several requests in sequence on one persistent connection. */
static void test_sequential_keep_alive(void **state)
{
    (void)state;
    struct hs h;
    hs_init(&h, 0);
    struct http_client *c = http_client_new(NULL);
    struct cres r = {0};
    for (int i = 0; i < 5; i++) {
        char t[32];
        snprintf(t, sizeof t, "/photo%d.jpg", i);
        assert_true(
            http_client_request(c, i == 2 ? "HEAD" : "GET", "web.example", t, NULL, 0, NULL, 0));
        c_pipe(c, &h, 0, &r);
        assert_int_equal(http_client_state(c), HTTP_C_IDLE);
    }
    assert_string_equal(r.log, "GET /photo0.jpg -> 200 OK [GET /photo0.jpg []\n];"
                               "GET /photo1.jpg -> 200 OK [GET /photo1.jpg []\n];"
                               "HEAD /photo2.jpg -> 200 OK [];"
                               "GET /photo3.jpg -> 200 OK [GET /photo3.jpg []\n];"
                               "GET /photo4.jpg -> 200 OK [GET /photo4.jpg []\n];");
    assert_int_equal(http_server_state(h.s), HTTP_S_REQUEST_LINE);
    http_client_free(c);
    hs_fini(&h);
}

/* Feed scripted server bytes after one GET. */
static void scripted(const char *server, size_t len, bool close_after, struct cres *r,
                     size_t max_body)
{
    memset(r, 0, sizeof *r);
    struct http_client_cfg cfg = {.max_body = max_body};
    struct http_client *c = http_client_new(&cfg);
    assert_true(http_client_request(c, "GET", "h", "/", NULL, 0, NULL, 0));
    size_t pos = 0;
    for (int i = 0; i < 1000 && pos <= len; i++) {
        size_t k = http_client_recv(c, server + pos, len - pos);
        pos += k;
        struct http_client_event ev;
        bool any = false;
        while (http_client_event(c, &ev)) {
            c_log(r, &ev);
            any = true;
        }
        if (!k && !any) break;
    }
    if (close_after) {
        http_client_closed(c);
        struct http_client_event ev;
        while (http_client_event(c, &ev)) c_log(r, &ev);
    }
    http_client_free(c);
}

static void test_malformed_responses(void **state)
{
    (void)state;
    static const struct {
        const char *in;
        bool close;
        const char *log;
    } cases[] = {
        {"HTTP/1.1 20 OK\r\n\r\n", false, "ERROR malformed status line@0;CLOSE protocol error;"},
        {"HTTP/2 200 OK\r\n\r\n", false, "ERROR malformed status line@0;CLOSE protocol error;"},
        {"HTTP/1.1 200OK\r\n\r\n", false, "ERROR malformed status line@0;CLOSE protocol error;"},
        {"+OK POP3 server ready\r\n", false, "ERROR malformed status line@0;CLOSE protocol error;"},
        {"HTTP/1.1 200 O\x01K\r\n\r\n", false,
         "ERROR control character in reason phrase@0;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", false,
         "ERROR invalid Content-Length@36;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 1\r\n\r\nx", false,
         "ERROR invalid Content-Length@55;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n", false,
         "ERROR Transfer-Encoding not supported@45;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 99999\r\n\r\n", false,
         "ERROR response body over 1000 octets@40;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n", false,
         "ERROR bare CR, LF or NUL in the response head@0;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\n folded: x\r\n\r\n", false,
         "ERROR malformed header field@17;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n", false,
         "GET / -> 200 OK [];ERROR response without a request@38;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", true,
         "ERROR connection closed after 3 of 10 body octets@42;CLOSE protocol error;"},
        {"HTTP/1.1 200 OK\r\n\r\nuntil close", true,
         "GET / -> 200 OK [until close];CLOSE Connection: close;"},
        {"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\nContent-Length: 5\r\n\r\n", false,
         "GET / -> 204 No Content [];"},
        {"HTTP/1.1 200 \r\nContent-Length: 2\r\nConnection: close\r\n\r\nhi", false,
         "GET / -> 200  [hi];CLOSE Connection: close;"},
        {"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nhi", false,
         "GET / -> 200 OK [hi];CLOSE Connection: close;"},
        {"", true, "ERROR connection closed with 1 requests unanswered@0;CLOSE protocol error;"},
    };
    int bad = 0;
    for (size_t i = 0; i < MS_ARRAY_LEN(cases); i++) {
        struct cres r;
        scripted(cases[i].in, strlen(cases[i].in), cases[i].close, &r, 1000);
        if (strcmp(r.log, cases[i].log) != 0) {
            print_error("case %zu: got '%s'\n", i, r.log);
            bad++;
        }
    }
    assert_int_equal(bad, 0);
}

static void test_request_validation(void **state)
{
    (void)state;
    struct http_client *c = http_client_new(NULL);
    assert_false(http_client_request(c, "GET", "h", "/a b", NULL, 0, NULL, 0));
    assert_false(http_client_request(c, "GET", "h", "/a\r\nX: y", NULL, 0, NULL, 0));
    assert_false(http_client_request(c, "GET", "h\r\n", "/", NULL, 0, NULL, 0));
    assert_false(http_client_request(c, "G T", "h", "/", NULL, 0, NULL, 0));
    assert_false(http_client_request(c, "GET", "h", "", NULL, 0, NULL, 0));
    struct http_header f[] = {{"X-Subject", "a\r\nInjected: yes"}};
    assert_false(http_client_request(c, "GET", "h", "/", f, 1, NULL, 0));
    struct http_header g[] = {{"Bad Name", "v"}};
    assert_false(http_client_request(c, "GET", "h", "/", g, 1, NULL, 0));
    const char *p;
    assert_int_equal(http_client_out(c, &p), 0);
    assert_int_equal(http_client_state(c), HTTP_C_IDLE);
    assert_string_equal(http_client_state_name(HTTP_C_BODY_EOF), "body-until-close");
    http_client_free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_request_bytes),         cmocka_unit_test(test_pipelined_every_split),
        cmocka_unit_test(test_sequential_keep_alive), cmocka_unit_test(test_malformed_responses),
        cmocka_unit_test(test_request_validation),
    };
    return cmocka_run_group_tests_name("http client", tests, NULL, NULL);
}
