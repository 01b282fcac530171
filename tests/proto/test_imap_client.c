/* test_imap_client.c -- the client engine against the server engine through
 * a pipe cut at every position (X1), quoting of user text (IC2), and server
 * output a client must survive (IC1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "proto/imap_client.h"
#include "proto/imap_test_util.h"

/* Serialise every client event into o. */
static void dump_events(struct imap_client *c, struct imap_t_out *o)
{
    struct imap_client_event ev;
    char line[512];
    while (imap_client_event(c, &ev)) {
        int n = snprintf(line, sizeof line, "%d|%s|%s|%s|%s|%u|%s|", (int)ev.kind,
                         imap_client_state_name(ev.to), ev.action, ev.result, ev.name,
                         (unsigned)ev.number, ev.text);
        imap_t_add(o, line, (size_t)n);
        if (ev.data) imap_t_add(o, ev.data, ev.data_len);
        imap_t_add(o, "\n", 1);
    }
}

/* Scenario 10/11 driven by the client; bytes cross the pipe in pieces of
 * at most chunk octets. Returns events + the bytes the server received. */
static char *run_pipe(size_t chunk)
{
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct imap_server *s = imap_t_server(st);
    struct imap_client *c = imap_client_new(NULL);
    assert_int_equal(imap_client_login(c, "bob", "secret"), 1);
    imap_client_create(c, "Lectures");
    imap_client_list(c, "", "*");
    imap_client_select(c, "INBOX");
    imap_client_search(c, "FROM", "carol");
    imap_client_fetch_header(c, 2);
    imap_client_fetch_part(c, 2, "2");
    imap_client_store(c, "1", "+FLAGS", "\\Flagged");
    imap_client_move(c, "1", "Lectures");
    imap_client_logout(c);
    struct imap_t_out ev = {0}, wire = {0};
    imap_t_add(&ev, "", 0);
    imap_t_add(&wire, "", 0);
    for (int round = 0; round < 100000 && !(imap_server_done(s) && imap_client_idle(c)); round++) {
        const char *p;
        size_t n = imap_server_out(s, &p);
        if (n > chunk) n = chunk;
        if (n) {
            size_t used = imap_client_recv(c, p, n);
            assert_int_equal(used, n);
            imap_server_out_done(s, n);
        }
        n = imap_client_out(c, &p);
        if (n > chunk) n = chunk;
        if (n) {
            size_t used = imap_server_recv(s, p, n);
            imap_t_add(&wire, p, used);
            imap_client_out_done(c, used);
        }
        dump_events(c, &ev);
    }
    imap_t_add(&ev, "--wire--\n", 9);
    imap_t_add(&ev, wire.p, wire.len);
    free(wire.p);
    imap_client_free(c);
    imap_server_free(s);
    mbox_store_free(st);
    return ev.p;
}

static void test_pipe_every_split(void **state)
{
    (void)state;
    char *ref = run_pipe(1 << 20);
    assert_non_null(strstr(ref, "A001 LOGIN bob secret\r\n"));
    assert_non_null(strstr(ref, "|FETCH|OK|"));
    assert_non_null(
        strstr(ref, "6|selected|||BODY[2]|2|/9j/4AAQSkZJRgABAQ==|/9j/4AAQSkZJRgABAQ==\n"));
    assert_non_null(strstr(ref, "3|selected||||0|2|2\n")); /* SEARCH FROM carol */
    assert_non_null(strstr(ref, "2|authenticated|||Lectures|0|(\\HasNoChildren)|Lectures\n"));
    assert_non_null(strstr(ref, "5|selected||||1||\n")); /* the EXPUNGE of MOVE */
    assert_non_null(strstr(ref, "1|logout|LOGOUT|OK||0|LOGOUT completed|LOGOUT completed\n"));
    size_t len = strlen(ref);
    for (size_t chunk = 1; chunk < 300; chunk++) {
        char *got = run_pipe(chunk);
        if (strcmp(got, ref) != 0)
            fail_msg("chunk %zu differs (len %zu vs %zu)", chunk, strlen(got), len);
        free(got);
    }
    free(ref);
}

static void test_quoting_ic2(void **state)
{
    (void)state;
    struct imap_client *c = imap_client_new(NULL);
    imap_client_recv(c, "* OK hi\r\n", 9);
    assert_int_equal(imap_client_login(c, "\"user", "sec\"ret{"), 1);
    const char *p;
    size_t n = imap_client_out(c, &p);
    assert_int_equal(n, 33);
    assert_memory_equal(p, "A001 LOGIN \"\\\"user\" \"sec\\\"ret{\"\r\n", 33); /* curl test 800 */
    imap_client_out_done(c, n);
    /* CR/LF in user text is refused, never sent */
    assert_int_equal(imap_client_select(c, "INBOX\r\nA9 DELETE INBOX"), -1);
    assert_int_equal(imap_client_store(c, "1", "+FLAGS", "\\Seen) (x"), -1);
    assert_int_equal(imap_client_move(c, "1,", "x"), -1);
    assert_int_equal(imap_client_fetch_part(c, 1, "1]x"), -1);
    assert_int_equal(imap_client_search(c, "FROM x", "y"), -1);
    /* 8-bit text goes as a synchronising literal: "+" is awaited */
    imap_client_recv(c, "A001 OK done\r\n", 14);
    assert_int_equal(imap_client_create(c, "Caf\xc3\xa9"), 1);
    n = imap_client_out(c, &p);
    assert_int_equal(n, 17);
    assert_memory_equal(p, "A002 CREATE {5}\r\n", 17);
    imap_client_out_done(c, n);
    imap_client_recv(c, "+ go\r\n", 6);
    n = imap_client_out(c, &p);
    assert_int_equal(n, 7);
    assert_memory_equal(p, "Caf\xc3\xa9\r\n", 7);
    imap_client_free(c);
}

/* Feed s to a fresh client (after a greeting and a pending FETCH) and
 * return the first error text, or "" when none. */
static void expect_client(const char *s, size_t len, const char *err)
{
    struct imap_client *c = imap_client_new(NULL);
    imap_client_recv(c, "* OK x\r\n", 8);
    imap_client_fetch_part(c, 1, "1");
    const char *p;
    imap_client_out_done(c, imap_client_out(c, &p));
    imap_client_recv(c, s, len);
    struct imap_client_event ev;
    char found[256] = "";
    while (imap_client_event(c, &ev))
        if (ev.kind == IMAPC_EV_ERROR && !found[0]) snprintf(found, sizeof found, "%s", ev.text);
    if (strcmp(found, err) != 0) fail_msg("input '%.40s': got '%s', want '%s'", s, found, err);
    imap_client_free(c);
}

static void test_hostile_server(void **state)
{
    (void)state;
    expect_client("* 1 FETCH (BODY[1] {0}\r\n)\r\nA001 NO\r\n", 37,
                  ""); /* {0} and NO without text */
    expect_client("* 1 FETCH (BODY[1] {99999999999999999999}\r\n", 43, "literal too large");
    expect_client("* 1 FETCH (BODY[1] {5}\r\nab", 26, ""); /* waits for the rest */
    expect_client("* 1 FETCH (BODY[1] x\r\n", 22, "malformed FETCH response");
    static const char deep[] =
        "* 1 FETCH (((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((((x\r\n";
    expect_client(deep, sizeof deep - 1, "malformed FETCH response");
    expect_client("B999 OK x\r\n", 11, "unexpected tagged response");
    expect_client("A001 MAYBE\r\n", 12, "malformed tagged response");
    expect_client("* LIST (\\Noselect) \"/\"\r\n", 24, "malformed LIST response");
    expect_client("* OK a\nA001 OK\r\n", 16, "NUL or bare CR/LF in a response line");
    expect_client("* 4294967296 EXISTS\r\n", 21, "malformed numbered response");
    /* a long response line */
    char *big = malloc(70000);
    memset(big, 'x', 70000);
    memcpy(big, "* OK ", 5);
    memcpy(big + 69998, "\r\n", 2); /* reported when the line ends */
    expect_client(big, 70000, "response line too long");
    free(big);
    /* PREAUTH greeting goes straight to authenticated */
    struct imap_client *c = imap_client_new(NULL);
    imap_client_recv(c, "* PREAUTH welcome\r\n", 19);
    assert_int_equal(imap_client_state(c), IMAPC_S_AUTH);
    imap_client_free(c);
}

/* IDLE (RFC 2177) against the server engine: "+ idling", an update while
 * idling reported as it comes, DONE, the tagged OK; NOOP answered. */
static void test_idle_and_noop(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct imap_server *s = imap_t_server(st);
    struct imap_client *c = imap_client_new(NULL);
    imap_client_login(c, "bob", "secret");
    imap_client_select(c, "INBOX");
    imap_client_idle_start(c);
    struct imap_t_out ev = {0}, wire = {0};
    imap_t_add(&ev, "", 0);
    imap_t_add(&wire, "", 0);
    bool done_sent = false, noop_sent = false;
    for (int round = 0; round < 1000; round++) {
        const char *p;
        size_t n = imap_server_out(s, &p);
        if (n) {
            imap_client_recv(c, p, n);
            imap_server_out_done(s, n);
        }
        n = imap_client_out(c, &p);
        if (n) {
            size_t used = imap_server_recv(s, p, n);
            imap_t_add(&wire, p, used);
            imap_client_out_done(c, used);
        }
        dump_events(c, &ev);
        if (imap_client_idling(c) && !done_sent) {
            assert_false(imap_client_idle(c)); /* IDLE is still in flight */
            assert_true(imap_client_idle_done(c));
            assert_false(imap_client_idle_done(c)); /* once only */
            done_sent = true;
        }
        if (done_sent && !noop_sent && imap_client_idle(c)) {
            assert_int_equal(imap_client_noop(c), 1);
            noop_sent = true;
        }
    }
    assert_true(done_sent && noop_sent);
    assert_non_null(strstr(wire.p, "A003 IDLE\r\nDONE\r\nA004 NOOP\r\n"));
    assert_non_null(strstr(ev.p, "|idling|"));
    assert_non_null(strstr(ev.p, "|IDLE|OK|"));
    assert_non_null(strstr(ev.p, "|NOOP|OK|"));
    assert_false(imap_client_idling(c));
    free(ev.p);
    free(wire.p);
    imap_client_free(c);
    imap_server_free(s);
    mbox_store_free(st);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pipe_every_split),
        cmocka_unit_test(test_idle_and_noop),
        cmocka_unit_test(test_quoting_ic2),
        cmocka_unit_test(test_hostile_server),
    };
    return cmocka_run_group_tests_name("imap_client", tests, NULL, NULL);
}
