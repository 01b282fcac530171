/* test_lessons.c -- each lesson teaches what it says, read from its own
 * trace: the protocol lines the engines sent and the message records, never
 * the transcript's display text.
 *   16 and 01 "textbook": HELO, no extensions, lock-step, the book's replies,
 *      a dot line stuffed on the wire;
 *   17: -ERR for a wrong password and for RETR of a message marked deleted;
 *   18: NO for a wrong password and a missing folder, BAD for FETCH with no
 *      mailbox selected;
 *   19: 554 5.7.1 for a relay, 530 without AUTH, AUTH PLAIN then 235;
 *   20: the lenient receiver delivers exactly one forged message, the
 *      strict one none;
 *   21: two copies with one Message-ID (seed 9); delivered and bounced
 *      (variant "retry refused", seed 5);
 *   22: the message waits in Bob's mailbox while his PC is off, for hours;
 *   23: STARTTLS: the 220 that accepts it starts TLS, every later line of
 *       that connection is inside TLS, no other line is; AUTH only inside
 *       TLS; in clear when not offered, queued and bounced when required;
 *   15: a 421 greeting, a 451, one duplicate, no bounce. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct lesson {
    struct scn_scenario *s;
    struct trace *tr;
    struct world_fates fa;
    size_t violations;
};

static void lesson_run(struct lesson *l, const char *path, const char *variant)
{
    struct scn_error err;
    struct scn_load_opts o = {variant, false};
    memset(l, 0, sizeof *l);
    l->s = scn_load_file(path, &o, &err);
    if (!l->s) fail_msg("%s", err.text);
    struct ms_error merr;
    l->tr = world_simulate(l->s, false, &merr);
    if (!l->tr) fail_msg("%s: %s", path, merr.msg);
    char report[2048];
    l->violations = world_check(l->tr, l->s, trace_end_time(l->tr), report, sizeof report, &l->fa);
    if (l->violations) fail_msg("%s: %s", path, report);
}

static void lesson_free(struct lesson *l)
{
    trace_free(l->tr);
    scn_free(l->s);
}

static uint32_t host_id(const struct lesson *l, const char *name)
{
    size_t h = scn_find_host(l->s, name);
    assert_true(h != SCN_NONE);
    return (uint32_t)h;
}

/* The protocol lines sent between hosts a and b (either way), in order, each
 * as "C:text" or "S:text" without CRLF, joined by '\n' into buf. */
static const char *dialogue(const struct lesson *l, const char *a, const char *b, char *buf,
                            size_t cap)
{
    uint32_t ha = host_id(l, a), hb = host_id(l, b);
    size_t n = 0;
    buf[0] = '\0';
    for (size_t k = 0; k < trace_count(l->tr); k++) {
        const struct trace_rec *r = trace_get(l->tr, k);
        if (r->kind != TR_LINE_SENT) continue;
        const struct trace_line *ln = trace_as_line(r);
        if (!((ln->host == ha && ln->peer == hb) || (ln->host == hb && ln->peer == ha))) continue;
        size_t len;
        const uint8_t *d = trace_data(r, &len);
        while (len > 0 && (d[len - 1] == '\n' || d[len - 1] == '\r')) len--;
        int w = snprintf(buf + n, cap - n, "%c:%.*s\n", ln->side, (int)len, (const char *)d);
        assert_true(w > 0 && (size_t)w < cap - n);
        n += (size_t)w;
    }
    return buf;
}

static size_t count(const char *hay, const char *needle)
{
    size_t c = 0;
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) c++;
    return c;
}

/* Lock-step: no client command follows another client command before a
 * server line came between them (message data lines excepted). */
static void assert_lock_step(const char *d)
{
    bool in_data = false, waiting = false;
    for (const char *p = d; *p;) {
        const char *e = strchr(p, '\n');
        size_t len = (size_t)(e - p);
        if (p[0] == 'S') {
            waiting = false;
            if (strncmp(p, "S:354", 5) == 0) in_data = true;
        } else if (in_data) {
            if (len == 3 && p[2] == '.') in_data = false, waiting = true;
        } else {
            if (waiting)
                fail_msg("two client commands without a reply between them, at: %.*s", (int)len, p);
            waiting = true;
        }
        p = e + 1;
    }
}

static void test_textbook_dialogue(void **state)
{
    (void)state;
    static char d[65536];
    struct lesson l;
    lesson_run(&l, "scenarios/16-textbook-dialogue.json", NULL);
    dialogue(&l, "crepes.fr", "hamburger.edu", d, sizeof d);
    /* RFC 5321 §4.1.1.1: HELO, and a one-line reply offering nothing. */
    assert_non_null(
        strstr(d,
               "S:220 hamburger.edu\nC:HELO crepes.fr\nS:250 Hello crepes.fr, pleased to meet you\n"
               "C:MAIL FROM:<alice@crepes.fr>\nS:250 alice@crepes.fr ... Sender ok\n"
               "C:RCPT TO:<bob@hamburger.edu>\nS:250 bob@hamburger.edu ... Recipient ok\n"
               "C:DATA\nS:354 Enter mail, end with \".\" on a line by itself\n"));
    assert_null(strstr(d, "EHLO"));
    assert_null(strstr(d, "SIZE="));
    assert_null(strstr(d, "8BITMIME"));
    assert_null(strstr(d, " 2.")); /* no enhanced status codes after HELO */
    assert_lock_step(d);
    /* §4.5.2: the body line holding only "." travels as "..". */
    assert_non_null(strstr(d, "C:How about pickles?\nC:..\n"));
    assert_non_null(strstr(
        d,
        "S:250 Message accepted for delivery\nC:QUIT\nS:221 hamburger.edu closing connection\n"));
    assert_int_equal(l.fa.delivered, 1);
    /* RFC 1939 §3: POP3 stuffs the same line when Bob fetches it. */
    dialogue(&l, "bob-pc", "hamburger.edu", d, sizeof d);
    assert_non_null(strstr(d, "S:How about pickles?\nS:..\n"));
    lesson_free(&l);
    /* Lesson 01's variant: the same shape between its own servers. */
    lesson_run(&l, "scenarios/01-alice-to-bob.json", "textbook");
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_non_null(
        strstr(d, "C:HELO mail.example.org\nS:250 Hello mail.example.org, pleased to meet you\n"));
    assert_null(strstr(d, "EHLO"));
    assert_lock_step(d);
    lesson_free(&l);
    /* ... and without it, the modern wire: EHLO and a pipelined group. */
    lesson_run(&l, "scenarios/01-alice-to-bob.json", NULL);
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_non_null(strstr(d, "C:EHLO mail.example.org\n"));
    assert_non_null(strstr(d, "C:MAIL FROM:<alice@example.org> SIZE="));
    lesson_free(&l);
}

static void test_pop3_errors(void **state)
{
    (void)state;
    static char d[65536];
    struct lesson l;
    lesson_run(&l, "scenarios/17-pop3-errors.json", NULL);
    dialogue(&l, "bob-pc", "mail.example.net", d, sizeof d);
    assert_non_null(strstr(d, "C:PASS bobpas\nS:-ERR"));
    /* RFC 1939 §5: a message marked deleted answers -ERR. */
    assert_non_null(strstr(d, "C:DELE 1\nS:+OK message 1 deleted\nC:RETR 1\nS:-ERR"));
    assert_int_equal(count(d, "C:RETR 1\n"), 2);
    assert_non_null(strstr(d, "C:RETR 2\nS:+OK"));
    lesson_free(&l);
}

/* The line that follows the first line holding needle, or "". */
static const char *line_after(const char *d, const char *needle, char *buf, size_t cap)
{
    const char *p = strstr(d, needle);
    buf[0] = '\0';
    if (!p || !(p = strchr(p, '\n'))) return buf;
    const char *e = strchr(p + 1, '\n');
    size_t n = e ? (size_t)(e - p - 1) : strlen(p + 1);
    if (n >= cap) n = cap - 1;
    memcpy(buf, p + 1, n);
    buf[n] = '\0';
    return buf;
}

/* Tags are read from the wire, not assumed: the answer to a command is the
 * next server line that starts with the command's tag. */
static void test_imap_errors(void **state)
{
    (void)state;
    static char d[65536];
    char next[512];
    struct lesson l;
    lesson_run(&l, "scenarios/18-imap-errors.json", NULL);
    dialogue(&l, "bob-laptop", "mail.example.net", d, sizeof d);
    /* The client engine asks CAPABILITY first and sends names as atoms. */
    assert_non_null(
        strstr(line_after(d, " CAPABILITY", next, sizeof next), "* CAPABILITY IMAP4rev1 "));
    assert_non_null(strstr(line_after(d, " LOGIN bob bobpas", next, sizeof next),
                           " NO [AUTHENTICATIONFAILED]"));
    assert_non_null(
        strstr(line_after(d, " SELECT Archive", next, sizeof next), " NO [NONEXISTENT]"));
    /* RFC 3501 6.4.5: FETCH is valid only in the selected state. */
    assert_non_null(
        strstr(line_after(d, " FETCH 1:* BODY.PEEK[HEADER]", next, sizeof next), " BAD "));
    assert_non_null(strstr(d, " OK FETCH completed"));
    lesson_free(&l);
}

static void test_relay_and_auth(void **state)
{
    (void)state;
    static char d[65536];
    struct lesson l;
    lesson_run(&l, "scenarios/19-relay-and-auth.json", NULL);
    dialogue(&l, "eve-pc", "mail.example.net", d, sizeof d);
    assert_non_null(strstr(d, "C:RCPT TO:<carol@example.com>"));
    assert_non_null(strstr(d, "S:554 5.7.1 <carol@example.com>: Relay access denied\n"));
    assert_null(strstr(d, "S:354"));
    dialogue(&l, "alice-pc", "mail.example.org", d, sizeof d);
    assert_non_null(strstr(d, "S:530 5.7.0 Authentication required\n"));
    assert_non_null(strstr(d, "C:AUTH PLAIN AGFsaWNlAGFsaWNlcGFzcw==\nS:235 "));
    assert_int_equal(l.fa.delivered, 1);
    assert_int_equal(l.fa.rejected, 2);
    lesson_free(&l);
}

/* The lenient receiver delivers exactly one message no user agent
 * composed; the strict one delivers none and refuses with 550. */
static void test_smtp_smuggling(void **state)
{
    (void)state;
    static char d[65536];
    struct lesson l;
    lesson_run(&l, "scenarios/20-smtp-smuggling.json", NULL);
    assert_int_equal(l.fa.forged, 1);
    assert_int_equal(l.fa.cut, 1);
    uint32_t net = host_id(&l, "mail.example.net");
    size_t into_bob = 0, composed = 0;
    for (size_t k = 0; k < trace_count(l.tr); k++) {
        const struct trace_rec *r = trace_get(l.tr, k);
        const struct trace_msg *m = trace_as_msg(r);
        if (!m) continue;
        if (r->kind == TR_MSG_COMPOSED) composed++;
        if (r->kind == TR_MSG_DELIVERED && m->host == net) into_bob++;
    }
    assert_int_equal(composed, 1);
    assert_int_equal(into_bob, 2);
    dialogue(&l, "mail.bigmail.example", "mail.example.net", d, sizeof d);
    /* The bare LF went through, and the smuggled commands were answered. */
    assert_non_null(strstr(d, "C:Hi Bob,\nC:\n.\nC:MAIL FROM:<alice@example.org>\n"));
    assert_non_null(strstr(d, "S:250 2.0.0 Ok: queued\nS:250 2.1.0 Ok\nS:250 2.1.5 Ok\nS:354"));
    lesson_free(&l);
    lesson_run(&l, "scenarios/20-smtp-smuggling.json", "strict receiver");
    assert_int_equal(l.fa.forged, 0);
    assert_int_equal(l.fa.cut, 0);
    net = host_id(&l, "mail.example.net");
    for (size_t k = 0; k < trace_count(l.tr); k++) {
        const struct trace_rec *r = trace_get(l.tr, k);
        const struct trace_msg *m = trace_as_msg(r);
        if (m && r->kind == TR_MSG_DELIVERED) assert_true(m->host != net);
    }
    dialogue(&l, "mail.bigmail.example", "mail.example.net", d, sizeof d);
    assert_non_null(strstr(d, "S:550 5.5.2 Message refused: bare <LF>"));
    assert_int_equal(l.fa.bounced, 1);
    lesson_free(&l);
}

static void test_duplicate_after_lost_reply(void **state)
{
    (void)state;
    struct lesson l;
    lesson_run(&l, "scenarios/21-duplicate-after-lost-reply.json", NULL);
    assert_int_equal(l.s->seed, 9);
    uint32_t net = host_id(&l, "mail.example.net");
    uint32_t ids[4];
    size_t n = 0;
    for (size_t k = 0; k < trace_count(l.tr); k++) {
        const struct trace_rec *r = trace_get(l.tr, k);
        const struct trace_msg *m = trace_as_msg(r);
        if (m && r->kind == TR_MSG_DELIVERED && m->host == net && n < 4) ids[n++] = m->msg;
    }
    /* RFC 5321 §6.1: two copies of one message in Bob's mailbox ... */
    assert_int_equal(n, 2);
    assert_int_equal(ids[0], ids[1]);
    /* ... which Bob downloads as two messages with one Message-ID. */
    static char d[65536];
    dialogue(&l, "bob-pc", "mail.example.net", d, sizeof d);
    assert_int_equal(count(d, "S:Message-ID: "), 2);
    const char *a = strstr(d, "S:Message-ID: "), *b = strstr(a + 1, "S:Message-ID: ");
    size_t al = (size_t)(strchr(a, '\n') - a);
    assert_true(al > 20 && strncmp(a, b, al + 1) == 0);
    assert_int_equal(l.fa.duplicates, 1);
    assert_int_equal(l.fa.bounced, 0);
    lesson_free(&l);
    lesson_run(&l, "scenarios/21-duplicate-after-lost-reply.json", "retry refused");
    assert_int_equal(l.s->seed, 5);
    assert_int_equal(l.fa.duplicates, 0);
    assert_int_equal(l.fa.delivered_and_bounced, 1);
    lesson_free(&l);
}

static void test_asynchronous(void **state)
{
    (void)state;
    struct lesson l;
    lesson_run(&l, "scenarios/22-asynchronous-mail.json", NULL);
    uint32_t net = host_id(&l, "mail.example.net"), pc = host_id(&l, "bob-pc");
    sim_us stored = -1, fetched = -1, pc_up = -1;
    bool said = false;
    for (size_t k = 0; k < trace_count(l.tr); k++) {
        const struct trace_rec *r = trace_get(l.tr, k);
        const struct trace_msg *m = trace_as_msg(r);
        if (m && r->kind == TR_MSG_DELIVERED && m->host == net && stored < 0) stored = r->t;
        if (r->kind == TR_HOST_UP && ((const struct trace_ref *)trace_body(r))->id == pc)
            pc_up = r->t;
        if (r->kind == TR_MAILBOX_CHANGED &&
            ((const struct trace_mailbox *)trace_body(r))->host == pc)
            fetched = r->t;
        if (r->kind == TR_NARRATION) {
            size_t len;
            const uint8_t *d = trace_data(r, &len);
            for (size_t i = 0; i + 12 <= len; i++)
                if (memcmp(d + i, "asynchronous", 12) == 0) said = true;
        }
    }
    assert_true(said);
    assert_true(stored >= 0 && pc_up > stored && fetched > pc_up);
    /* The PC was off the whole night: at least nine hours between. */
    assert_true(fetched - stored >= 9 * SIM_US_PER_H);
    lesson_free(&l);
}

#define TLS_MAX_CONNS 16

/* Lesson 23's TLS facts: for each connection, each engine's (host's) lines
 * in order: none inside TLS before the reply that starts it, that reply
 * (220 to STARTTLS) not inside, every line after it inside. Returns the
 * number of connections that started TLS; conns[] gets their ids. */
static size_t tls_conns(const struct lesson *l, uint32_t *conns)
{
    struct {
        uint32_t conn, host;
        bool started;
    } seen[2 * TLS_MAX_CONNS];
    size_t n_seen = 0, n = 0;
    for (size_t k = 0; k < trace_count(l->tr); k++) {
        const struct trace_rec *r = trace_get(l->tr, k);
        if (r->kind != TR_LINE_SENT && r->kind != TR_LINE_RECEIVED) continue;
        const struct trace_line *ln = trace_as_line(r);
        size_t i = 0;
        while (i < n_seen && !(seen[i].conn == ln->conn && seen[i].host == ln->host)) i++;
        if (i == n_seen) {
            assert_true(n_seen < 2 * TLS_MAX_CONNS);
            seen[n_seen].conn = ln->conn;
            seen[n_seen].host = ln->host;
            seen[n_seen++].started = false;
        }
        size_t len;
        const uint8_t *d = trace_data(r, &len);
        if (ln->flags & TRACE_LF_TLS_START) {
            assert_false(seen[i].started); /* once per engine */
            assert_false(ln->flags & TRACE_LF_TLS);
            assert_true(len >= 4 && memcmp(d, "220 ", 4) == 0);
            seen[i].started = true;
            size_t c = 0;
            while (c < n && conns[c] != ln->conn) c++;
            if (c == n) conns[n++] = ln->conn;
            continue;
        }
        if (seen[i].started != ((ln->flags & TRACE_LF_TLS) != 0))
            fail_msg("conn %u host %u: a line %s TLS: %.*s", ln->conn, ln->host,
                     seen[i].started ? "after the start is not inside"
                                     : "before any start is inside",
                     (int)len, (const char *)d);
    }
    /* both ends of each TLS connection say where it started */
    for (size_t c = 0; c < n; c++) {
        size_t ends = 0;
        for (size_t i = 0; i < n_seen; i++) ends += seen[i].conn == conns[c] && seen[i].started;
        assert_int_equal(ends, 2);
    }
    return n;
}

static void test_starttls(void **state)
{
    (void)state;
    static char d[65536];
    struct lesson l;
    uint32_t conns[TLS_MAX_CONNS];
    lesson_run(&l, "scenarios/23-starttls.json", NULL);
    assert_int_equal(tls_conns(&l, conns), 2); /* submission and relay */
    dialogue(&l, "alice-pc", "mail.example.org", d, sizeof d);
    const char *tls = strstr(d, "C:STARTTLS\nS:220 2.0.0 Ready to start TLS\nC:EHLO alice-pc\n");
    assert_non_null(tls);
    assert_true(strstr(d, "AUTH") > tls); /* neither offered nor sent in clear */
    assert_non_null(strstr(tls, "C:AUTH PLAIN "));
    assert_int_equal(count(d, "S:250 STARTTLS"), 1); /* not offered inside TLS */
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_non_null(strstr(d, "C:STARTTLS\nS:220 2.0.0 Ready to start TLS\n"));
    assert_non_null(strstr(d, "C:\tby mail.example.org with ESMTPSA id M1"));
    assert_int_equal(l.fa.delivered, 1);
    lesson_free(&l);

    /* not offered: opportunistic relay goes on in clear; only the first hop is TLS */
    lesson_run(&l, "scenarios/23-starttls.json", "not offered");
    assert_int_equal(tls_conns(&l, conns), 1);
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_null(strstr(d, "STARTTLS"));
    assert_non_null(strstr(d, "C:MAIL FROM:<alice@example.org>"));
    assert_int_equal(l.fa.delivered, 1);
    lesson_free(&l);

    /* required, not offered: never MAIL FROM in clear; retried, then bounced */
    lesson_run(&l, "scenarios/23-starttls.json", "required, not offered");
    assert_int_equal(tls_conns(&l, conns), 1);
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_null(strstr(d, "C:MAIL"));
    assert_int_equal(count(d, "C:EHLO mail.example.org\n"), 4); /* 0, 20, 40, 60 min */
    assert_int_equal(count(d, "C:QUIT\n"), 4);
    assert_int_equal(l.fa.bounced, 1);
    assert_int_equal(l.fa.delivered, 1); /* the bounce, into Alice's INBOX */
    lesson_free(&l);
}

static void test_busy_server(void **state)
{
    (void)state;
    struct lesson l;
    lesson_run(&l, "scenarios/15-chaos-busy-server.json", NULL);
    static char d[262144];
    dialogue(&l, "mail.example.org", "mail.example.net", d, sizeof d);
    assert_true(count(d, "S:421 mail.example.net Service not available") >= 1);
    assert_true(count(d, "S:451 ") >= 1);
    assert_null(strstr(d, "S:554"));
    assert_int_equal(l.fa.duplicates, 1);
    assert_int_equal(l.fa.bounced, 0);
    assert_int_equal(l.fa.delivered, 6);
    assert_int_equal(l.fa.messages, 6); /* no bounce among them: message N is Report N */
    lesson_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_textbook_dialogue), cmocka_unit_test(test_pop3_errors),
        cmocka_unit_test(test_imap_errors),       cmocka_unit_test(test_relay_and_auth),
        cmocka_unit_test(test_smtp_smuggling),    cmocka_unit_test(test_duplicate_after_lost_reply),
        cmocka_unit_test(test_asynchronous),      cmocka_unit_test(test_busy_server),
        cmocka_unit_test(test_starttls),
    };
    return cmocka_run_group_tests_name("lessons", tests, NULL, NULL);
}
