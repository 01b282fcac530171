/* test_bridge_live.c -- the bridge through its C API, as a window would use
 * it: bridge_step(b, 0) between frames, real loopback sockets, the
 * real-client host in the trace, a shutdown with a session still open
 * (the client gets the engine's 421 4.3.2 or -ERR [SYS/TEMP] and nothing
 * leaks), ports that refuse while their simulated server is down or not
 * listening, and a reset when a simulated connect fails. */
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

/* connect() to 127.0.0.1:port: 0, or the errno. */
static int try_dial(uint16_t port, int *fd_out)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int rc = connect(fd, (struct sockaddr *)&a, sizeof a) == 0 ? 0 : errno;
    if (rc || !fd_out)
        close(fd);
    else
        *fd_out = fd;
    return rc;
}

/* A simulated server that is down, or not listening on a port, has no real
 * port either: a real client's connect is refused, as by a real host; no
 * line is written for it. Up again, the port listens again. */
static void test_down_server_refuses(void **state)
{
    struct fixture *f = *state;
    struct net *n = world_net(f->w);
    uint32_t org = host_find(n, "mail.example.org");
    uint16_t smtp = bridge_bound_port(f->b, 0, BRIDGE_SMTP);
    uint16_t imap = bridge_bound_port(f->b, 0, BRIDGE_IMAP);
    host_set_up(n, org, false);
    bridge_step(f->b, 0);
    assert_int_equal(try_dial(smtp, NULL), ECONNREFUSED);
    assert_int_equal(try_dial(imap, NULL), ECONNREFUSED);
    assert_int_equal(bridge_bound_port(f->b, 0, BRIDGE_SMTP), smtp); /* still its port */
    uint16_t net_smtp = bridge_bound_port(f->b, 1, BRIDGE_SMTP);
    int other = -1;
    assert_int_equal(try_dial(net_smtp, &other), 0); /* the other server is up */
    close(other);

    host_set_up(n, org, true);
    bridge_step(f->b, 0);
    int fd = -1;
    assert_int_equal(try_dial(smtp, &fd), 0);
    char buf[256];
    pump_line(f->b, fd, buf, sizeof buf);
    assert_string_equal(buf, "220 mail.example.org ESMTP\r\n");
    close(fd);

    /* Up, but nothing listens on the simulated IMAP port. */
    tcp_unlisten(n, org, 143);
    bridge_step(f->b, 0);
    assert_int_equal(try_dial(imap, NULL), ECONNREFUSED);
    struct bridge_stats st;
    bridge_stats_get(f->b, &st);
    assert_int_equal(st.closed_by[BRIDGE_WHY_UNREACHABLE], 0);
}

/* Accepted, but the simulated connect fails (here no route: the link is
 * down): the real connection is reset (RST), with no reply from anyone. */
static void test_unreachable_reset(void **state)
{
    struct fixture *f = *state;
    struct net *n = world_net(f->w);
    uint32_t org = host_find(n, "mail.example.org");
    link_set_up(n, link_find(n, bridge_client_host(f->b), org), false);
    int a = dial(bridge_bound_port(f->b, 0, BRIDGE_IMAP));
    char buf[256];
    ssize_t got = 0;
    int err = 0;
    for (int i = 0; i < 5000; i++) {
        bridge_step(f->b, 0);
        struct pollfd p = {a, POLLIN, 0};
        if (poll(&p, 1, 1) == 1) {
            got = recv(a, buf, sizeof buf, 0);
            err = got < 0 ? errno : 0;
            break;
        }
    }
    assert_int_equal(got, -1);
    assert_int_equal(err, ECONNRESET);
    close(a);
    struct bridge_stats st;
    bridge_stats_get(f->b, &st);
    assert_int_equal(st.closed_by[BRIDGE_WHY_UNREACHABLE], 1);
    /* The trace says so in words and has no line for the real client. */
    bool told = false;
    char line[512];
    for (size_t k = 0; k < trace_count(f->tr); k++) {
        const struct trace_rec *r = trace_get(f->tr, k);
        trace_format_line(f->tr, k, line, sizeof line);
        if (r->kind == TR_LINE_SENT || r->kind == TR_LINE_RECEIVED)
            assert_null(strstr(line, "real-client"));
        if (strstr(line, "could not reach the simulated server")) told = true;
    }
    assert_true(told);
}

/* mailsim stops with a POP3 session open: the POP3 engine's own goodbye
 * ("-ERR [SYS/TEMP]", RFC 2449 §8.1.2, as Dovecot). */
static void test_pop3_shutdown(void **state)
{
    struct fixture *f = *state;
    char buf[1024];
    int a = dial(bridge_bound_port(f->b, 0, BRIDGE_POP3));
    pump_line(f->b, a, buf, sizeof buf);
    assert_true(strncmp(buf, "+OK ", 4) == 0);
    bridge_free(f->b);
    f->b = NULL;
    size_t n = 0;
    for (;;) {
        ssize_t r = recv(a, buf + n, sizeof buf - 1 - n, 0);
        if (r <= 0) break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    assert_string_equal(buf, "-ERR [SYS/TEMP] mail.example.org server shutting down\r\n");
    close(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_ports_and_client_host, setup, teardown),
        cmocka_unit_test_setup_teardown(test_session_and_busy_and_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_down_server_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unreachable_reset, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pop3_shutdown, setup, teardown),
    };
    return cmocka_run_group_tests_name("bridge_live", tests, NULL, NULL);
}
