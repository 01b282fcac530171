/* test_bridge_util.c -- the socket-free parts of live mode: port scheme,
 * HTTP request-line detection (X8, L1), the bridge's closing replies,
 * error-reply detection, and --listen parsing (L2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "bridge/bridge.h"

static void test_ports_default(void **state)
{
    (void)state;
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_SMTP), 2525);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_SUBMISSION), 2587);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_POP3), 1110);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_IMAP), 1143);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_HTTP), 8080);
    assert_int_equal(bridge_port(2500, 10000, 1, BRIDGE_SMTP), 12525);
    assert_int_equal(bridge_port(2500, 10000, 1, BRIDGE_HTTP), 18080);
    assert_int_equal(bridge_port(2500, 10000, 5, BRIDGE_HTTP), 58080);
    /* The seventh server's webmail does not fit with step 10000 ... */
    assert_int_equal(bridge_port(2500, 10000, 6, BRIDGE_SMTP), 62525);
    assert_int_equal(bridge_port(2500, 10000, 6, BRIDGE_HTTP), -1);
    /* ... but does with a smaller step. */
    assert_int_equal(bridge_port(2500, 100, 6, BRIDGE_SMTP), 3125);
}

static void test_ports_edges(void **state)
{
    (void)state;
    assert_int_equal(bridge_port(0, 10000, 3, BRIDGE_IMAP), 0);     /* system chooses */
    assert_int_equal(bridge_port(2413, 10000, 0, BRIDGE_POP3), -1); /* 1023 */
    assert_int_equal(bridge_port(2414, 10000, 0, BRIDGE_POP3), 1024);
    assert_int_equal(bridge_port(59955, 10000, 0, BRIDGE_HTTP), 65535);
    assert_int_equal(bridge_port(59956, 10000, 0, BRIDGE_HTTP), -1);
    assert_int_equal(bridge_port(4294967295u, 1, 0, BRIDGE_SMTP), -1); /* X9 */
    assert_int_equal(bridge_port(2500, 4294967295u, 1, BRIDGE_SMTP), -1);
    assert_int_equal(bridge_port(2500, 10000, (size_t)-1, BRIDGE_SMTP), -1);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_PROTO_COUNT), -1);
    assert_string_equal(bridge_proto_name(BRIDGE_SUBMISSION), "submission");
    assert_string_equal(bridge_proto_name(BRIDGE_PROTO_COUNT), "?");
    assert_int_equal(bridge_sim_port(BRIDGE_IMAP), 143);
    assert_int_equal(bridge_sim_port(BRIDGE_PROTO_COUNT), 0);
}

#define HTTP(s) bridge_is_http_request(s, strlen(s))

static void test_http_detected(void **state)
{
    (void)state;
    assert_true(HTTP("GET / HTTP/1.1\r\n"));
    assert_true(HTTP("POST /submit HTTP/1.0\r\n"));
    assert_true(HTTP("PUT /x HTTP/1.1\n")); /* bare LF */
    assert_true(HTTP("HEAD / HTTP/1.1"));   /* no line end */
    assert_true(HTTP("OPTIONS * HTTP/1.1\r\n"));
    assert_true(HTTP("CONNECT mail.example.net:25 HTTP/1.1\r\n"));
    assert_true(HTTP("PROPFIND /dav HTTP/1.1\r\n")); /* any method token */
    assert_true(HTTP("PRI * HTTP/2.0\r\n"));
    assert_true(HTTP("GET /index.html\r\n")); /* HTTP/0.9 */
    assert_true(HTTP("DELETE /x"));           /* cut short */
}

static void test_http_not_detected(void **state)
{
    (void)state;
    /* Real first lines of the mail protocols. */
    assert_false(HTTP("EHLO student.example\r\n"));
    assert_false(HTTP("HELO x\r\n"));
    assert_false(HTTP("USER dave\r\n"));
    assert_false(HTTP("CAPA\r\n"));
    assert_false(HTTP("A001 LOGIN carol secret\r\n"));
    assert_false(HTTP("a1 CAPABILITY\r\n"));
    assert_false(HTTP("AUTH PLAIN AGJvYgBidWlsZGVy\r\n"));
    /* Near misses. */
    assert_false(HTTP("GET LOGIN a b\r\n"));  /* an IMAP tag "GET" */
    assert_false(HTTP("get / HTTP/1.1\r\n")); /* methods are case-sensitive */
    assert_false(HTTP("FOO / http/1.1\r\n"));
    assert_false(HTTP("FOO / HTTP/1.x\r\n"));
    assert_true(HTTP("GET / HTTP/1.x\r\n"));    /* still GET with a path */
    assert_false(HTTP("GET  HTTP/1.1\r\n"));    /* empty target */
    assert_false(HTTP("GET a b HTTP/1.1\r\n")); /* four fields */
    assert_false(HTTP("GET\r\n"));
    assert_false(HTTP(" GET / HTTP/1.1\r\n"));
    assert_false(HTTP("\r\n"));
    assert_false(bridge_is_http_request("", 0));
    assert_false(HTTP("QUIT / HTTP/1"));
}

static void test_close_replies(void **state)
{
    (void)state;
    char buf[512];
    size_t n = bridge_close_reply(BRIDGE_SMTP, BRIDGE_WHY_HTTP, buf, sizeof buf);
    assert_string_equal(
        buf, "502 5.7.0 this is a mail port, not a web server: HTTP request refused\r\n");
    assert_int_equal(n, strlen(buf));
    bridge_close_reply(BRIDGE_SUBMISSION, BRIDGE_WHY_BUSY, buf, sizeof buf);
    assert_string_equal(buf,
                        "421 4.7.0 too many connections to the simulation, try again later\r\n");
    bridge_close_reply(BRIDGE_SMTP, BRIDGE_WHY_IDLE, buf, sizeof buf);
    assert_string_equal(buf, "421 4.4.2 idle for too long, closing\r\n");
    bridge_close_reply(BRIDGE_SMTP, BRIDGE_WHY_SHUTDOWN, buf, sizeof buf);
    assert_string_equal(buf, "421 4.3.2 mailsim is shutting down\r\n");
    bridge_close_reply(BRIDGE_SMTP, BRIDGE_WHY_ERRORS, buf, sizeof buf);
    assert_string_equal(buf, "421 4.7.0 too many bad commands, closing\r\n");
    bridge_close_reply(BRIDGE_SMTP, BRIDGE_WHY_UNREACHABLE, buf, sizeof buf);
    assert_string_equal(buf, "421 4.4.1 the simulated server cannot be reached (down, or not "
                             "listening on this port)\r\n");
    bridge_close_reply(BRIDGE_POP3, BRIDGE_WHY_BUSY, buf, sizeof buf);
    assert_string_equal(buf, "-ERR too many connections to the simulation, try again later\r\n");
    bridge_close_reply(BRIDGE_IMAP, BRIDGE_WHY_HTTP, buf, sizeof buf);
    assert_string_equal(buf,
                        "* BYE this is a mail port, not a web server: HTTP request refused\r\n");
    bridge_close_reply(BRIDGE_HTTP, BRIDGE_WHY_BUSY, buf, sizeof buf);
    assert_string_equal(buf, "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                             "Content-Length: 56\r\nConnection: close\r\n\r\n"
                             "too many connections to the simulation, try again later\n");
    /* Truncation keeps a NUL. */
    char small[8];
    n = bridge_close_reply(BRIDGE_POP3, BRIDGE_WHY_IDLE, small, sizeof small);
    assert_int_equal(n, 7);
    assert_string_equal(small, "-ERR id");
    assert_int_equal(bridge_close_reply(BRIDGE_POP3, BRIDGE_WHY_IDLE, small, 0), 0);
}

#define ERR(p, s) bridge_is_error_reply(p, s, strlen(s))

static void test_error_replies(void **state)
{
    (void)state;
    assert_true(ERR(BRIDGE_SMTP, "500 5.5.2 Syntax error\r\n"));
    assert_true(ERR(BRIDGE_SMTP, "503 5.5.1 Bad sequence\r\n"));
    assert_true(ERR(BRIDGE_SUBMISSION, "504-x\r\n"));
    assert_false(ERR(BRIDGE_SMTP, "505 x\r\n"));
    assert_false(ERR(BRIDGE_SMTP, "550 5.1.1 User unknown\r\n")); /* an answer, not a bad command */
    assert_false(ERR(BRIDGE_SMTP, "250 Ok\r\n"));
    assert_false(ERR(BRIDGE_SMTP, "50"));
    assert_true(ERR(BRIDGE_POP3, "-ERR unknown command\r\n"));
    assert_false(ERR(BRIDGE_POP3, "+OK\r\n"));
    assert_true(ERR(BRIDGE_IMAP, "a1 BAD unknown command\r\n"));
    assert_true(ERR(BRIDGE_IMAP, "a1 BAD\r\n"));
    assert_false(ERR(BRIDGE_IMAP, "* BAD untagged\r\n"));
    assert_false(ERR(BRIDGE_IMAP, "a1 NO [AUTHENTICATIONFAILED] no\r\n"));
    assert_false(ERR(BRIDGE_IMAP, "a1 BADGER\r\n"));
    assert_false(ERR(BRIDGE_IMAP, " BAD\r\n"));
    assert_false(ERR(BRIDGE_HTTP, "HTTP/1.1 400 Bad Request\r\n"));
}

static void test_listen_addr(void **state)
{
    (void)state;
    struct bridge_addr a;
    struct ms_error err;
    assert_true(bridge_addr_parse("127.0.0.1", &a, &err));
    assert_int_equal(a.family, AF_INET);
    assert_true(a.loopback);
    assert_true(bridge_addr_parse("127.1.2.3", &a, &err));
    assert_true(a.loopback);
    assert_true(bridge_addr_parse("::1", &a, &err));
    assert_int_equal(a.family, AF_INET6);
    assert_true(a.loopback);
    assert_true(bridge_addr_parse("192.168.1.20", &a, &err));
    assert_false(a.loopback);
    assert_string_equal(a.text, "192.168.1.20");
    assert_true(bridge_addr_parse("::", &a, &err));
    assert_false(a.loopback);
    assert_false(bridge_addr_parse("localhost", &a, &err));
    assert_string_equal(err.where, "--listen");
    assert_string_equal(err.msg, "\"localhost\" is not a literal IP address (e.g. 127.0.0.1, ::1); "
                                 "host names are refused");
    assert_false(bridge_addr_parse("127.0.0.1:25", &a, &err));
    assert_false(bridge_addr_parse("127.0.0.1.5", &a, &err));
    assert_false(bridge_addr_parse("", &a, &err));
    assert_false(bridge_addr_parse(NULL, &a, &err));
    assert_false(bridge_addr_parse(" 127.0.0.1", &a, &err));
}

static void test_cfg_default(void **state)
{
    (void)state;
    struct bridge_cfg c;
    bridge_cfg_default(&c);
    assert_int_equal(c.port_base, 2500);
    assert_int_equal(c.port_step, 10000);
    assert_int_equal(c.max_conns, 32);
    assert_int_equal(c.idle_ms, 0);
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_SMTP), 300000);
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_SUBMISSION), 300000);
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_POP3), 600000);
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_IMAP), 1800000);
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_HTTP), 300000);
    c.idle_ms = 2000; /* --idle-timeout 2s: for every protocol */
    assert_int_equal(bridge_idle_ms(&c, BRIDGE_IMAP), 2000);
    assert_true(c.listen.loopback);
    assert_string_equal(c.listen.text, "127.0.0.1");
}

/* --tls: the implicit-TLS ports and services, STARTTLS requests and the
 * server's answers as the bridge reads them. */
static void test_tls_services(void **state)
{
    (void)state;
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_SUBMISSIONS), 2465);
    assert_int_equal(bridge_port(2500, 10000, 0, BRIDGE_POP3S), 1995);
    assert_int_equal(bridge_port(2500, 10000, 1, BRIDGE_IMAPS), 11993);
    assert_int_equal(bridge_sim_port(BRIDGE_SUBMISSIONS), 587);
    assert_int_equal(bridge_proto_plain(BRIDGE_IMAPS), BRIDGE_IMAP);
    assert_int_equal(bridge_proto_plain(BRIDGE_SMTP), BRIDGE_SMTP);
    assert_true(bridge_proto_is_tls(BRIDGE_POP3S));
    assert_false(bridge_proto_is_tls(BRIDGE_POP3));
    assert_string_equal(bridge_proto_name(BRIDGE_SUBMISSIONS), "submissions");
    char buf[256];
    bridge_close_reply(BRIDGE_IMAPS, BRIDGE_WHY_IDLE, buf, sizeof buf);
    assert_string_equal(buf, "* BYE idle for too long, closing\r\n");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_services),      cmocka_unit_test(test_ports_default),
        cmocka_unit_test(test_ports_edges),       cmocka_unit_test(test_http_detected),
        cmocka_unit_test(test_http_not_detected), cmocka_unit_test(test_close_replies),
        cmocka_unit_test(test_error_replies),     cmocka_unit_test(test_listen_addr),
        cmocka_unit_test(test_cfg_default),
    };
    return cmocka_run_group_tests_name("bridge_util", tests, NULL, NULL);
}
