/* test_bridge_util.c -- the socket-free parts of live mode: port scheme,
 * defaults and --listen parsing (L2). (HTTP request lines and bad-command
 * streaks are the engines': tests/proto/test_live_engine.c.) */
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

/* --tls: the implicit-TLS ports and services. */
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
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tls_services), cmocka_unit_test(test_ports_default),
        cmocka_unit_test(test_ports_edges),  cmocka_unit_test(test_listen_addr),
        cmocka_unit_test(test_cfg_default),
    };
    return cmocka_run_group_tests_name("bridge_util", tests, NULL, NULL);
}
