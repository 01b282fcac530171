/* test_bridge_live.c -- the bridge through its C API, as a window would use
 * it: bridge_step(b, 0) between frames, real loopback sockets, the
 * real-client host in the trace, and a shutdown with a session still open
 * (the client gets the engine's 421 4.3.2 and nothing leaks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bridge/bridge.h"
#include "core/evq.h"
#include "mail/world_live.h"
#include "net/net.h"
#include "net/tcp.h"

struct fixture {
    struct scn_scenario *s;
    struct trace *tr;
    struct world *w;
    struct bridge *b;
};

static int setup(void **state)
{
    static struct fixture f;
    memset(&f, 0, sizeof f);
    f.s = scn_load_default();
    f.tr = trace_new();
    struct ms_error err;
    f.w = world_new(f.s, f.tr, NULL, &err);
    assert_non_null(f.w);
    struct bridge_cfg cfg;
    bridge_cfg_default(&cfg);
    cfg.port_base = 0;
    cfg.max_conns = 1;
    f.b = bridge_new(f.w, f.s, f.tr, &cfg, NULL, &err);
    assert_non_null(f.b);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    bridge_free(f->b);
    world_free(f->w);
    trace_free(f->tr);
    scn_free(f->s);
    return 0;
}

static int dial(uint16_t port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    return fd;
}

/* Step the bridge (never blocking, like a window) until fd has a whole line
 * or is closed; returns what arrived. */
static size_t pump_line(struct bridge *b, int fd, char *buf, size_t cap)
{
    size_t len = 0;
    for (int i = 0; i < 5000; i++) {
        bridge_step(b, 0);
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, 1) == 1) {
            ssize_t n = recv(fd, buf + len, cap - 1 - len, 0);
            if (n <= 0) break;
            len += (size_t)n;
            buf[len] = '\0';
            if (strstr(buf, "\r\n")) break;
        }
    }
    buf[len] = '\0';
    return len;
}

static void test_ports_and_client_host(void **state)
{
    struct fixture *f = *state;
    /* The built-in lesson has two mail servers, no webmail. */
    for (size_t k = 0; k < 2; k++) {
        assert_int_not_equal(bridge_bound_port(f->b, k, BRIDGE_SMTP), 0);
        assert_int_not_equal(bridge_bound_port(f->b, k, BRIDGE_SUBMISSION), 0);
        assert_int_not_equal(bridge_bound_port(f->b, k, BRIDGE_POP3), 0);
        assert_int_not_equal(bridge_bound_port(f->b, k, BRIDGE_IMAP), 0);
        assert_int_equal(bridge_bound_port(f->b, k, BRIDGE_HTTP), 0);
    }
    assert_int_equal(bridge_bound_port(f->b, 2, BRIDGE_SMTP), 0);
    struct net *n = world_net(f->w);
    uint32_t c = bridge_client_host(f->b);
    assert_string_equal(host_name(n, c), "real-client");
    assert_int_equal(c, f->s->n_hosts); /* after every scenario host */
    assert_int_not_equal(link_find(n, c, host_find(n, "mail.example.org")), NET_NONE);
    assert_int_not_equal(link_find(n, c, host_find(n, "mail.example.net")), NET_NONE);
    assert_int_equal(link_find(n, c, host_find(n, "alice-pc")), NET_NONE);
}

static void test_session_and_busy_and_shutdown(void **state)
{
    struct fixture *f = *state;
    char buf[1024];
    int a = dial(bridge_bound_port(f->b, 1, BRIDGE_SMTP));
    pump_line(f->b, a, buf, sizeof buf);
    assert_string_equal(buf, "220 mail.example.net ESMTP\r\n");
    assert_int_equal(bridge_session_count(f->b), 1);

    /* max_conns 1: the next one is turned away by the POP3 server's own
     * engine, with its busy greeting (RFC 2449 §8.1.2). */
    int c = dial(bridge_bound_port(f->b, 0, BRIDGE_POP3));
    pump_line(f->b, c, buf, sizeof buf);
    assert_string_equal(buf, "-ERR [SYS/TEMP] mail.example.org has too many connections, try again "
                             "later\r\n");
    close(c);

    assert_int_equal(send(a, "NOOP\r\n", 6, 0), 6);
    pump_line(f->b, a, buf, sizeof buf);
    assert_string_equal(buf, "250 2.0.0 Ok\r\n");

    /* The trace has the real client's line, as real-client's. */
    bool seen = false, busy = false;
    char line[512];
    for (size_t k = 0; k < trace_count(f->tr); k++) {
        const struct trace_rec *r = trace_get(f->tr, k);
        if (r->kind != TR_LINE_SENT) continue;
        trace_format_line(f->tr, k, line, sizeof line);
        if (strstr(line, "real-client -> mail.example.net  SMTP C: NOOP")) seen = true;
        if (strstr(line, "mail.example.org -> real-client  POP3 S: -ERR [SYS/TEMP]")) busy = true;
    }
    assert_true(seen);
    assert_true(busy); /* traced like any line: the engine's own record */

    struct bridge_stats st;
    bridge_stats_get(f->b, &st);
    assert_int_equal(st.accepted, 1);
    assert_int_equal(st.closed_by[BRIDGE_WHY_BUSY], 1);
    assert_int_equal(st.bytes_in, 6);

    /* Shutdown with the session open: the simulated server's engine says
     * goodbye (RFC 5321 §3.8), then the socket closes. */
    bridge_free(f->b);
    f->b = NULL;
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(a, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    assert_string_equal(buf,
                        "421 4.3.2 mail.example.net Service shutting down, closing transmission "
                        "channel\r\n");
    close(a);
}

static void test_unreachable_server(void **state)
{
    struct fixture *f = *state;
    char buf[1024];
    /* Nothing listens on the simulated IMAP port: the SYN meets a RST. */
    struct net *n = world_net(f->w);
    tcp_unlisten(n, host_find(n, "mail.example.org"), 143);
    int a = dial(bridge_bound_port(f->b, 0, BRIDGE_IMAP));
    pump_line(f->b, a, buf, sizeof buf);
    assert_string_equal(buf, "* BYE the simulated server cannot be reached (down, or not "
                             "listening on this port)\r\n");
    assert_int_equal(recv(a, buf, sizeof buf, 0), 0); /* then closed */
    close(a);
    struct bridge_stats st;
    bridge_stats_get(f->b, &st);
    assert_int_equal(st.closed_by[BRIDGE_WHY_UNREACHABLE], 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ports_and_client_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_and_busy_and_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_server, setup, teardown),
    };
    return cmocka_run_group_tests_name("bridge_live", tests, NULL, NULL);
}
