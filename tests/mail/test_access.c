/* test_access.c -- the user agent reading mail, end to end on the lessons
 * 08-13: POP3 download-and-keep skips what a device already has (UIDL) and a
 * second device downloads again; download-and-delete empties the maildrop
 * only at QUIT; IMAP folders and moves persist across sessions; a webmail
 * message ends in the recipient's mailbox; a web page with N objects takes
 * one connection and N+1 requests; a POP3 session that waits: NOOP, a pause
 * shorter than the server's autologout keeps the session, a longer one ends
 * it at the server, with nothing deleted without QUIT. Assertions read the
 * recorded trace. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evq.h"
#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct run {
    struct scn_scenario *s;
    struct trace *tr;
    struct world_fates fa;
    size_t violations;
    char report[4096];
};

static void run_file(struct run *r, const char *path)
{
    struct scn_error err;
    memset(r, 0, sizeof *r);
    r->s = scn_load_file(path, NULL, &err);
    if (!r->s) fail_msg("%s", err.text);
    r->tr = trace_new();
    struct world *w = world_new(r->s, r->tr, NULL, NULL);
    assert_non_null(w);
    world_run(w, SIM_US_MAX);
    r->violations =
        world_check(r->tr, r->s, trace_end_time(r->tr), r->report, sizeof r->report, &r->fa);
    world_free(w);
    assert_int_equal(r->violations, 0);
}

static void run_free(struct run *r)
{
    trace_free(r->tr);
    scn_free(r->s);
}

static uint32_t host_id(const struct run *r, const char *name)
{
    for (size_t i = 0; i < r->s->n_hosts; i++)
        if (strcmp(r->s->hosts[i].name, name) == 0) return (uint32_t)i;
    fail_msg("no host %s", name);
    return 0;
}

/* Every line `host` sent (kind LINE_SENT) or received, whose text starts with
 * prefix, as "conn|line\n" (line without CRLF), appended to out. Returns
 * how many. */
static size_t lines_of(const struct run *r, enum trace_kind kind, const char *host,
                       const char *prefix, char *out, size_t cap)
{
    uint32_t h = host_id(r, host);
    size_t count = 0, o = 0;
    out[0] = '\0';
    for (size_t k = 0; k < trace_count(r->tr); k++) {
        const struct trace_rec *rec = trace_get(r->tr, k);
        if (rec->kind != (uint32_t)kind) continue;
        const struct trace_line *l = trace_as_line(rec);
        if (l->host != h) continue;
        size_t n;
        const uint8_t *d = trace_data(rec, &n);
        while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r')) n--;
        if (n < strlen(prefix) || memcmp(d, prefix, strlen(prefix)) != 0) continue;
        count++;
        int w = snprintf(out + o, cap - o, "%u|%.*s\n", (unsigned)l->conn, (int)n, (const char *)d);
        if (w > 0 && (size_t)w < cap - o) o += (size_t)w;
    }
    return count;
}

/* The k-th MAILBOX_CHANGED record of host's user/folder: its trace index in
 * *at and its count; false when there are fewer. */
static bool mailbox_nth(const struct run *r, const char *host, const char *user, const char *folder,
                        size_t nth, size_t *at, uint32_t *count)
{
    uint32_t h = host_id(r, host);
    size_t seen = 0;
    for (size_t k = 0; k < trace_count(r->tr); k++) {
        const struct trace_rec *rec = trace_get(r->tr, k);
        if (rec->kind != TR_MAILBOX_CHANGED) continue;
        const struct trace_mailbox *m = trace_body(rec);
        if (m->host != h || strcmp(trace_str(r->tr, m->user), user) != 0 ||
            strcmp(trace_str(r->tr, m->folder), folder) != 0)
            continue;
        if (seen++ == nth) {
            *at = k;
            *count = m->count;
            return true;
        }
    }
    return false;
}

/* Index of the first `proto` line `host` received that equals text, or
 * SIZE_MAX. */
static size_t first_received(const struct run *r, const char *host, const char *proto,
                             const char *text)
{
    uint32_t h = host_id(r, host);
    for (size_t k = 0; k < trace_count(r->tr); k++) {
        const struct trace_rec *rec = trace_get(r->tr, k);
        if (rec->kind != TR_LINE_RECEIVED || trace_as_line(rec)->host != h ||
            strcmp(trace_str(r->tr, trace_as_line(rec)->proto), proto) != 0)
            continue;
        size_t n;
        const uint8_t *d = trace_data(rec, &n);
        while (n > 0 && (d[n - 1] == '\n' || d[n - 1] == '\r')) n--;
        if (n == strlen(text) && memcmp(d, text, n) == 0) return k;
    }
    return SIZE_MAX;
}

static void test_pop3_keep_skips_known_uids(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/09-pop3-download-and-keep.json");
    char buf[2048];
    /* The laptop: RETR 1 in its first session, only RETR 2 in its second. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-laptop", "RETR", buf, sizeof buf), 2);
    assert_string_equal(buf, "3|RETR 1\n6|RETR 2\n");
    /* The phone knows nothing of that: both again. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-phone", "RETR", buf, sizeof buf), 2);
    assert_string_equal(buf, "7|RETR 1\n7|RETR 2\n");
    /* Keep mode never deletes; the server still holds both. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-laptop", "DELE", buf, sizeof buf), 0);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-phone", "DELE", buf, sizeof buf), 0);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "mail.example.net",
                              "+OK mail.example.net POP3 "
                              "server signing off (2",
                              buf, sizeof buf),
                     2);
    size_t at;
    uint32_t count;
    assert_true(mailbox_nth(&r, "bob-phone", "bob@example.net", "Local Inbox", 1, &at, &count));
    assert_int_equal(count, 2);
    run_free(&r);
}

static void test_pop3_delete_empties_only_at_quit(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/08-pop3-download-and-delete.json");
    char buf[2048];
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-pc", "DELE", buf, sizeof buf), 2);
    size_t quit = first_received(&r, "mail.example.net", "POP3", "QUIT");
    size_t dele2 = first_received(&r, "mail.example.net", "POP3", "DELE 2");
    assert_true(quit != SIZE_MAX && dele2 != SIZE_MAX && dele2 < quit);
    /* bob/INBOX: 1, 2 on delivery, then 0, and that change comes after QUIT
     * (UPDATE state), not after either DELE. */
    size_t at;
    uint32_t count;
    assert_true(mailbox_nth(&r, "mail.example.net", "bob", "INBOX", 1, &at, &count));
    assert_int_equal(count, 2);
    assert_true(at < dele2);
    assert_true(mailbox_nth(&r, "mail.example.net", "bob", "INBOX", 2, &at, &count));
    assert_int_equal(count, 0);
    assert_true(at > quit);
    assert_false(mailbox_nth(&r, "mail.example.net", "bob", "INBOX", 3, &at, &count));
    run_free(&r);
}

/* The time of the first `proto` line `host` received equal to text, or -1. */
static sim_us received_at(const struct run *r, const char *host, const char *proto,
                          const char *text, uint32_t *conn)
{
    size_t k = first_received(r, host, proto, text);
    if (k == SIZE_MAX) return -1;
    if (conn) *conn = trace_as_line(trace_get(r->tr, k))->conn;
    return trace_get(r->tr, k)->t;
}

/* When host's end of conn left ESTABLISHED (its close or its answer to the
 * peer's FIN), and to which state; -1 when it never did. */
static sim_us left_established(const struct run *r, const char *host, uint32_t conn,
                               const char **to)
{
    uint32_t h = host_id(r, host);
    for (size_t k = 0; k < trace_count(r->tr); k++) {
        const struct trace_rec *rec = trace_get(r->tr, k);
        if (rec->kind != TR_TCP_STATE) continue;
        const struct trace_state *st = trace_body(rec);
        if (st->conn != conn || st->host != h ||
            strcmp(trace_str(r->tr, st->from), "ESTABLISHED") != 0)
            continue;
        *to = trace_str(r->tr, st->to);
        return rec->t;
    }
    return -1;
}

/* "logout": false with NOOP and waits: the server answers each NOOP with
 * +OK; 10 minutes after the last command its autologout timer closes the
 * session (RFC 1939 §3: the server's side closes first, FIN-WAIT-1) without
 * a reply; there was no QUIT, so no UPDATE, and the next session lists the
 * same message (§6). */
static void test_pop3_stay_autologout_deletes_nothing(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "docs/examples/pop3-stays-connected.json");
    char buf[2048];
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "mail.example.net", "NOOP", buf, sizeof buf),
                     2);
    uint32_t conn = 0, conn2 = 0;
    sim_us noop1 = received_at(&r, "mail.example.net", "POP3", "NOOP", &conn);
    assert_true(noop1 > 60 * SIM_US_PER_S && noop1 < 62 * SIM_US_PER_S);
    /* The second NOOP: after the 5-minute pause. */
    sim_us last = -1;
    uint32_t srv = host_id(&r, "mail.example.net");
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_LINE_RECEIVED || trace_as_line(rec)->conn != conn ||
            trace_as_line(rec)->host != srv)
            continue;
        last = rec->t;
    }
    assert_true(last >= noop1 + 5 * SIM_US_PER_MIN &&
                last < noop1 + 5 * SIM_US_PER_MIN + SIM_US_PER_S);
    const char *to = NULL;
    assert_int_equal(left_established(&r, "mail.example.net", conn, &to),
                     last + 10 * SIM_US_PER_MIN);
    assert_string_equal(to, "FIN-WAIT-1");
    /* One QUIT, in the second session; the maildrop holds the message at its
     * start, and is empty only after that QUIT. */
    assert_true(received_at(&r, "mail.example.net", "POP3", "QUIT", &conn2) > 0);
    assert_true(conn2 != conn);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "mail.example.net",
                              "+OK bob's maildrop has 1 message", buf, sizeof buf),
                     2);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "mail.example.net",
                              "+OK mail.example.net POP3 server signing off (maildrop empty)", buf,
                              sizeof buf),
                     1);
    run_free(&r);
}

/* A pause shorter than the autologout keeps the session: the NOOP after 9
 * minutes is answered, then QUIT removes the message. */
static void test_pop3_short_wait_keeps_session(void **state)
{
    (void)state;
    const char *path = "docs/examples/pop3-stays-connected.json";
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char text[16384];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    const char *from = "\"logout\": false,";
    char *p = strstr(text, from);
    assert_non_null(p);
    memset(p, ' ', strlen(from));
    const char *steps =
        "{\"op\": \"noop\"}, {\"op\": \"wait\", \"for\": \"5m\"}, {\"op\": \"noop\"}, "
        "{\"op\": \"wait\", \"for\": \"15m\"}";
    const char *mine = "{\"op\": \"wait\", \"for\": \"9m\"}, {\"op\": \"noop\"}";
    p = strstr(text, steps);
    assert_non_null(p);
    memcpy(p, mine, strlen(mine));
    memset(p + strlen(mine), ' ', strlen(steps) - strlen(mine));
    struct run r;
    struct scn_error err;
    memset(&r, 0, sizeof r);
    r.s = scn_load_buffer(text, n, "short-wait.json", NULL, NULL, &err);
    if (!r.s) fail_msg("%s", err.text);
    r.tr = trace_new();
    struct world *w = world_new(r.s, r.tr, NULL, NULL);
    world_run(w, SIM_US_MAX);
    assert_int_equal(world_check(r.tr, r.s, trace_end_time(r.tr), r.report, sizeof r.report, &r.fa),
                     0);
    world_free(w);
    uint32_t c1 = 0, c2 = 0;
    sim_us dele = received_at(&r, "mail.example.net", "POP3", "DELE 1", &c1);
    sim_us noop = received_at(&r, "mail.example.net", "POP3", "NOOP", &c2);
    assert_true(dele > 0 && c1 == c2);
    assert_true(noop >= dele + 9 * SIM_US_PER_MIN &&
                noop < dele + 9 * SIM_US_PER_MIN + SIM_US_PER_S);
    sim_us quit = received_at(&r, "mail.example.net", "POP3", "QUIT", &c2);
    assert_true(c2 == c1 && quit > noop);
    const char *to = NULL;
    sim_us closed = left_established(&r, "mail.example.net", c1, &to);
    if (closed < quit)
        fail_msg("closed at %lld, QUIT at %lld (%s)", (long long)closed, (long long)quit, to);
    run_free(&r);
}

/* The first line record of kind on host whose bytes start with prefix. */
static const struct trace_line *line_rec(const struct run *r, enum trace_kind kind,
                                         const char *proto, const char *host, const char *prefix)
{
    uint32_t h = host_id(r, host);
    for (size_t k = 0; k < trace_count(r->tr); k++) {
        const struct trace_rec *rec = trace_get(r->tr, k);
        if (rec->kind != (uint32_t)kind) continue;
        const struct trace_line *l = trace_as_line(rec);
        size_t n;
        const uint8_t *d = trace_data(rec, &n);
        if (strcmp(trace_str(r->tr, l->proto), proto) != 0) continue;
        if (l->host == h && n >= strlen(prefix) && memcmp(d, prefix, strlen(prefix)) == 0) return l;
    }
    fail_msg("no line %s on %s", prefix, host);
    return NULL;
}

/* Typed facts: each engine reports its own state at the line that caused the
 * change (RFC 1939 §6: QUIT enters UPDATE, the sign-off leaves it), the verb
 * of each command, reply codes and the end-of-DATA acknowledgement. */
static void test_line_facts_states_at_cause(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/08-pop3-download-and-delete.json");
    const struct trace *tr = r.tr;
    const struct trace_line *q = line_rec(&r, TR_LINE_RECEIVED, "POP3", "mail.example.net", "QUIT");
    assert_string_equal(trace_str(tr, q->proto), "POP3");
    assert_string_equal(trace_str(tr, q->verb), "QUIT");
    assert_string_equal(trace_str(tr, q->state_before), "TRANSACTION");
    assert_string_equal(trace_str(tr, q->state_after), "UPDATE");
    const struct trace_line *bye = line_rec(&r, TR_LINE_SENT, "POP3", "mail.example.net",
                                            "+OK mail.example.net POP3 server signing off");
    assert_string_equal(trace_str(tr, bye->state_before), "UPDATE");
    assert_string_equal(trace_str(tr, bye->state_after), "CLOSED");
    assert_true(bye->flags & TRACE_LF_OK);
    assert_string_equal(trace_str(tr, bye->verb), "QUIT");
    /* The verdict on PASS: the reply written with it carries the change. */
    const struct trace_line *pass =
        line_rec(&r, TR_LINE_RECEIVED, "POP3", "mail.example.net", "PASS");
    assert_string_equal(trace_str(tr, pass->state_after), "AUTHORIZATION");
    const struct trace_line *ok =
        line_rec(&r, TR_LINE_SENT, "POP3", "mail.example.net", "+OK bob's maildrop");
    assert_string_equal(trace_str(tr, ok->state_before), "AUTHORIZATION");
    assert_string_equal(trace_str(tr, ok->state_after), "TRANSACTION");
    /* The client's own states, on the lines it read. */
    const struct trace_line *c = line_rec(&r, TR_LINE_SENT, "POP3", "bob-pc", "RETR 1");
    assert_string_equal(trace_str(tr, c->verb), "RETR");
    /* SMTP: the relay's 250 to the final dot is flagged, from both ends. */
    const struct trace_line *ack =
        line_rec(&r, TR_LINE_SENT, "SMTP", "mail.example.net", "250 2.0.0 Ok: queued");
    assert_int_equal(ack->code, 250);
    assert_true(ack->flags & TRACE_LF_DATA_END);
    assert_string_equal(trace_str(tr, ack->verb), "DATA");
    const struct trace_line *got =
        line_rec(&r, TR_LINE_RECEIVED, "SMTP", "mail.example.org", "250 2.0.0 Ok: queued");
    assert_true(got->flags & TRACE_LF_DATA_END);
    assert_string_equal(trace_str(tr, got->state_before), "DOT");
    const struct trace_line *data =
        line_rec(&r, TR_LINE_RECEIVED, "SMTP", "mail.example.net", "DATA");
    assert_string_equal(trace_str(tr, data->state_after), "DATA");
    const struct trace_line *body =
        line_rec(&r, TR_LINE_RECEIVED, "SMTP", "mail.example.net", "Subject:");
    assert_true(body->flags & TRACE_LF_DATA);
    run_free(&r);
}

static void test_imap_move_persists_across_sessions(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/10-imap-folders.json");
    char buf[4096];
    /* The laptop created and moved; the phone, in a later session, lists the
     * folder and finds one message in it and one in the INBOX. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-laptop", "a8 MOVE", buf, sizeof buf), 1);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone",
                              "* LIST (\\HasNoChildren) \"/\" Lectures", buf, sizeof buf),
                     1);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone", "* 1 EXISTS", buf, sizeof buf), 2);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone", "Subject: ", buf, sizeof buf), 2);
    assert_string_equal(buf, "5|Subject: Lecture notes week 3\n5|Subject: Lunch?\n");
    size_t at;
    uint32_t count;
    assert_true(mailbox_nth(&r, "mail.example.net", "bob", "Lectures", 1, &at, &count));
    assert_int_equal(count, 1);
    run_free(&r);
}

static void test_imap_partial_fetch(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/11-imap-partial-fetch.json");
    char buf[2048];
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-phone", "a", buf, sizeof buf), 6);
    assert_string_equal(buf, "3|a1 CAPABILITY\n3|a2 LOGIN bob bobpass\n3|a3 SELECT INBOX\n"
                             "3|a4 FETCH 1 BODY.PEEK[HEADER]\n3|a5 FETCH 1 BODY[2]\n3|a6 LOGOUT\n");
    /* The client engine's own states, as it entered them on the replies it
     * read (RFC 3501 §3): LOGIN's OK authenticates, SELECT's OK selects. */
    const struct trace_line *l = line_rec(&r, TR_LINE_RECEIVED, "IMAP", "bob-phone", "a2 OK");
    assert_string_equal(trace_str(r.tr, l->state_before), "not authenticated");
    assert_string_equal(trace_str(r.tr, l->state_after), "authenticated");
    l = line_rec(&r, TR_LINE_RECEIVED, "IMAP", "bob-phone", "a3 OK");
    assert_string_equal(trace_str(r.tr, l->state_after), "selected");
    l = line_rec(&r, TR_LINE_SENT, "IMAP", "bob-phone", "a5 FETCH");
    assert_string_equal(trace_str(r.tr, l->state_before), "selected");
    assert_string_equal(trace_str(r.tr, l->verb), "FETCH");
    /* CAPABILITY is on the wire before MOVE could be used. */
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone", "* CAPABILITY IMAP4rev1 ", buf,
                              sizeof buf),
                     1);
    /* The text part never crossed the wire. */
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone", "the group photo is attached.",
                              buf, sizeof buf),
                     0);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-phone", "/9j/", buf, sizeof buf), 1);
    run_free(&r);
}

static void test_webmail_compose_reaches_mailbox(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/12-webmail.json");
    char buf[2048];
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "alice-browser", "POST /send", buf, sizeof buf), 1);
    /* Relayed with SMTP by Alice's server, not by the browser. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "alice-browser", "MAIL FROM", buf, sizeof buf), 0);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "mail.example.org", "MAIL FROM:<alice@example.org>",
                              buf, sizeof buf),
                     1);
    size_t at;
    uint32_t count;
    assert_true(mailbox_nth(&r, "mail.example.net", "bob", "INBOX", 0, &at, &count));
    assert_int_equal(count, 1);
    assert_int_equal(r.fa.delivered, 1);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-browser", "I wrote this in a web page.",
                              buf, sizeof buf),
                     1);
    run_free(&r);
}

static void test_web_page_one_connection_n_plus_1_requests(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/13-smtp-vs-http.json");
    char buf[2048];
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "bob-browser", "GET ", buf, sizeof buf), 4);
    assert_string_equal(buf, "1|GET /holiday.html HTTP/1.1\n1|GET /photo1.jpg HTTP/1.1\n"
                             "1|GET /photo2.jpg HTTP/1.1\n1|GET /photo3.jpg HTTP/1.1\n");
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-browser", "HTTP/1.1 200 OK", buf,
                              sizeof buf),
                     4);
    assert_int_equal(lines_of(&r, TR_LINE_RECEIVED, "bob-browser", "[1500 bytes of image/jpeg]",
                              buf, sizeof buf),
                     3);
    /* One connection opened by the browser. */
    uint32_t b = host_id(&r, "bob-browser");
    size_t opened = 0;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_CONN_OPENED) continue;
        const struct trace_conn *c = trace_body(rec);
        if (c->client == b && c->host == b) opened++;
    }
    assert_int_equal(opened, 1);
    /* The e-mail: one message with three embedded parts, one DATA. */
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "alice-pc", "Content-ID: <photo", buf, sizeof buf),
                     3);
    assert_int_equal(lines_of(&r, TR_LINE_SENT, "alice-pc", "DATA", buf, sizeof buf), 1);
    run_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pop3_keep_skips_known_uids),
        cmocka_unit_test(test_pop3_delete_empties_only_at_quit),
        cmocka_unit_test(test_pop3_stay_autologout_deletes_nothing),
        cmocka_unit_test(test_pop3_short_wait_keeps_session),
        cmocka_unit_test(test_line_facts_states_at_cause),
        cmocka_unit_test(test_imap_move_persists_across_sessions),
        cmocka_unit_test(test_imap_partial_fetch),
        cmocka_unit_test(test_webmail_compose_reaches_mailbox),
        cmocka_unit_test(test_web_page_one_connection_n_plus_1_requests),
    };
    return cmocka_run_group_tests_name("mail_access", tests, NULL, NULL);
}
