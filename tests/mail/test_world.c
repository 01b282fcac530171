/* test_world.c -- the mail world end to end: lessons run and keep the
 * invariant, runs are deterministic, no open relay, AUTH on submission,
 * give-up bounces, direct delivery by MX, and the invariant and transcript
 * on hand-made traces. */
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
#include "trace/transcript.h"
#include "mail/world_int.h" /* the test drives a raw client on the world's net */
#include "mail/world_live.h"
#include "proto/pop3_server.h"
#include "scenario/scenario.h"
#include "trace/trace.h"
#include "trace_find.h"

/* Two servers, a router, DNS, two PCs; %s is spliced into the mail server
 * example.org's object, %s into the timeline. */
static const char *const world_json_fmt =
    "{\"title\":\"t\",\"seed\":7,\"hosts\":["
    "{\"name\":\"alice-pc\",\"kind\":\"pc\",\"owner\":\"alice@example.org\"},"
    "{\"name\":\"mail.example.org\",\"kind\":\"mail_server\",\"domain\":\"example.org\","
    "\"users\":[{\"name\":\"alice\",\"password\":\"secret\"}]%s},"
    "{\"name\":\"internet\",\"kind\":\"router\"},"
    "{\"name\":\"ns.example.com\",\"kind\":\"dns\"},"
    "{\"name\":\"mail.example.net\",\"kind\":\"mail_server\",\"domain\":\"example.net\","
    "\"users\":[{\"name\":\"bob\",\"password\":\"pw\"}]},"
    "{\"name\":\"bob-pc\",\"kind\":\"pc\",\"owner\":\"bob@example.net\"}],"
    "\"links\":[{\"a\":\"alice-pc\",\"b\":\"internet\"},{\"a\":\"mail.example.org\",\"b\":\"internet\"},"
    "{\"a\":\"ns.example.com\",\"b\":\"internet\"},{\"a\":\"mail.example.net\",\"b\":\"internet\"},"
    "{\"a\":\"bob-pc\",\"b\":\"internet\"}],"
    "\"timeline\":[%s]}";

struct run {
    struct scn_scenario *s;
    struct trace *tr;
    struct world_fates fa;
    size_t violations;
    char report[4096];
};

static void run_json(struct run *r, const char *server_extra, const char *timeline)
{
    char json[8192];
    snprintf(json, sizeof json, world_json_fmt, server_extra, timeline);
    struct scn_error err;
    memset(r, 0, sizeof *r);
    r->s = scn_load_buffer(json, strlen(json), "test.json", NULL, NULL, &err);
    if (!r->s) fail_msg("%s", err.text);
    r->tr = trace_new();
    struct ms_error merr;
    struct world *w = world_new(r->s, r->tr, NULL, &merr);
    assert_non_null(w);
    world_run(w, SIM_US_MAX);
    r->violations =
        world_check(r->tr, r->s, trace_end_time(r->tr), r->report, sizeof r->report, &r->fa);
    world_free(w);
}

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
}

static void run_free(struct run *r)
{
    trace_free(r->tr);
    scn_free(r->s);
}


/* The Message-ID map: a registered ID finds its number, a copy remembers
 * the ID under its number, and both survive a trim of the map (the
 * message table still names the message; the map forgets the binding).
 * Under ASan, world_free then frees every string once. */
static void test_msgid_map_and_trim(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/01-alice-to-bob.json");
    struct world *w = world_new(r.s, r.tr, NULL, NULL);
    assert_non_null(w);
    static const char m1[] = "Message-ID: <one@example.org>\r\nSubject: a\r\n\r\nbody\r\n";
    static const char m2[] = "Message-ID: <two@example.org>\r\n\r\nbody\r\n";
    world_msgid_register(w, m1, sizeof m1 - 1, 7);
    assert_int_equal(world_msgid_find(w, m1, sizeof m1 - 1), 7);
    assert_int_equal(world_msgid_find(w, m2, sizeof m2 - 1), 0);
    world_msg_copy(w, 7, 0, m1, sizeof m1 - 1);
    world_msg_copy(w, 9, 0, m2, sizeof m2 - 1); /* kept, bound to nothing */
    assert_int_equal(world_msgid_find(w, m2, sizeof m2 - 1), 0);
    assert_string_equal(world_msgid_of(w, 7), "<one@example.org>");
    assert_string_equal(world_msgid_of(w, 9), "<two@example.org>");
    assert_ptr_equal(world_msgid_keep(w, "<one@example.org>"), world_msgid_of(w, 7));
    assert_int_equal(world_msgid_trim(w, 0), 0);
    assert_int_equal(world_msgid_find(w, m1, sizeof m1 - 1), 0);
    assert_string_equal(world_msgid_of(w, 7), "<one@example.org>");
    uint32_t n = world_msgid_lookup(w, m1, sizeof m1 - 1); /* a new number now */
    assert_true(n != 7 && n != 0);
    assert_int_equal(world_msgid_lookup(w, m1, sizeof m1 - 1), n);
    world_free(w);
    run_free(&r);
}

static void test_lessons_keep_the_invariant(void **state)
{
    (void)state;
    static const struct {
        const char *path;
        size_t delivered, bounced, rejected, messages;
    } want[] = {
        {"scenarios/01-alice-to-bob.json", 1, 0, 0, 1},
        {"scenarios/02-three-messages.json", 3, 0, 0, 3},
        {"scenarios/03-server-down-two-hours.json", 1, 0, 0, 1},
        {"scenarios/04-server-gone-a-week.json", 1, 1, 0, 2},
        {"scenarios/05-photo-attachment.json", 1, 0, 0, 1},
        {"scenarios/06-unknown-user.json", 1, 1, 0, 2},
        {"scenarios/07-direct-to-pc-off.json", 0, 0, 1, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        struct run r;
        run_file(&r, want[i].path);
        if (r.violations) fail_msg("%s: %s", want[i].path, r.report);
        assert_int_equal(r.fa.delivered, want[i].delivered);
        assert_int_equal(r.fa.bounced, want[i].bounced);
        assert_int_equal(r.fa.rejected, want[i].rejected);
        assert_int_equal(r.fa.messages, want[i].messages);
        assert_int_equal(r.fa.queued, 0);
        run_free(&r);
    }
}

static void test_deterministic(void **state)
{
    (void)state;
    struct run a, b;
    run_file(&a, "scenarios/03-server-down-two-hours.json");
    run_file(&b, "scenarios/03-server-down-two-hours.json");
    assert_int_equal(trace_count(a.tr), trace_count(b.tr));
    assert_true(trace_hash(a.tr) == trace_hash(b.tr));
    run_free(&a);
    run_free(&b);
}

/* Port 25 accepts only our own domain: no open relay. */
static void test_no_open_relay(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"carol@example.com\"],\"subject\":\"x\",\"body\":\"y\","
             "\"direct_delivery\":true,\"direct_host\":\"mail.example.net\"}");
    char buf[256];
    assert_non_null(find_line(r.tr, "554", buf, sizeof buf));
    assert_non_null(strstr(buf, "Relay access denied"));
    assert_non_null(find_msg(r.tr, TR_MSG_NOT_SENT, buf, sizeof buf));
    assert_null(find_msg(r.tr, TR_MSG_BOUNCED, buf + 128, 128)); /* never sent, never bounced */
    assert_int_equal(strncmp(buf, "554", 3), 0);
    assert_int_equal(r.fa.rejected, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* auth_required: the user agent logs in with AUTH PLAIN first. */
static void test_auth_submission(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, ",\"smtp\":{\"auth_required\":true}",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\"}");
    char buf[256];
    assert_non_null(find_line(r.tr, "AUTH PLAIN", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "235", buf, sizeof buf));
    assert_int_equal(r.fa.delivered, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* A short give-up time: bounced with "gave up after", DSN to Alice. */
static void test_give_up(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, ",\"retry\":{\"interval\":\"10m\",\"give_up\":\"1h\"}",
             "{\"at\":\"0s\",\"action\":\"host_down\",\"host\":\"mail.example.net\"},"
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\"}");
    char buf[512];
    assert_non_null(find_msg(r.tr, TR_MSG_BOUNCED, buf, sizeof buf));
    assert_int_equal(strncmp(buf, "gave up after 1h", 16), 0);
    assert_true(find_msg_rec(r.tr, TR_MSG_BOUNCED)->flags & TRACE_MF_GAVE_UP);
    assert_true(find_msg_rec(r.tr, TR_MSG_BOUNCED)->dsn != 0);
    assert_int_equal(r.fa.bounced, 1);
    assert_int_equal(r.fa.delivered, 1); /* the DSN, into Alice's mailbox */
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* Direct delivery without a host: the user agent asks the DNS itself. */
static void test_direct_by_mx(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\","
             "\"direct_delivery\":true}");
    bool asked = false;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_DNS_QUESTION) continue;
        const struct trace_dns *d = trace_body(rec);
        if (d->host == 0 && strcmp(trace_str(r.tr, d->qname), "example.net") == 0) asked = true;
    }
    assert_true(asked);
    assert_int_equal(r.fa.delivered, 1);
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* The resolver's answer is recorded as typed records (name, type, TTL,
 * preference and exchange, address), and the readable form is rendered
 * from them. */
static void test_dns_answer_typed(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\","
             "\"direct_delivery\":true}");
    bool seen = false;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_DNS_ANSWER) continue;
        const struct trace_dns *d = trace_body(rec);
        if (strcmp(trace_str(r.tr, d->qname), "example.net") != 0 || d->qtype != 15) continue;
        struct trace_dns_rr rr[4];
        size_t n = trace_dns_rrs(rec, rr, 4);
        assert_true(n >= 1 && n <= 4);
        assert_int_equal(rr[0].type, 15);
        assert_int_equal(rr[0].section, TRACE_DNS_ANSWER);
        assert_string_equal(trace_str(r.tr, rr[0].name), "example.net");
        assert_int_equal(rr[0].ttl, 3600);
        assert_true(rr[0].pref > 0);
        assert_true(*trace_str(r.tr, rr[0].exchange) != '\0');
        for (size_t i = 1; i < n; i++) {
            if (rr[i].type != 1) continue;
            assert_int_equal(rr[i].section, TRACE_DNS_ADDITIONAL);
            assert_string_equal(trace_str(r.tr, rr[i].name), trace_str(r.tr, rr[0].exchange));
            assert_int_equal(rr[i].addr[0], 192);
        }
        char text[TRACE_DNS_TEXT_MAX], want[256];
        snprintf(want, sizeof want, "example.net. 3600 IN MX %u %s.", (unsigned)rr[0].pref,
                 trace_str(r.tr, rr[0].exchange));
        trace_dns_answer_text(r.tr, rec, text, sizeof text);
        assert_memory_equal(text, want, strlen(want));
        seen = true;
    }
    assert_true(seen);
    run_free(&r);
}

/* A domain that does not exist: NXDOMAIN is permanent, bounce at once. */
static void test_nxdomain(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"x@nowhere.example\"],\"subject\":\"x\",\"body\":\"y\"}");
    char buf[512];
    assert_non_null(find_msg(r.tr, TR_MSG_BOUNCED, buf, sizeof buf));
    assert_string_equal(buf, "DNS: no such domain nowhere.example (NXDOMAIN)");
    const struct trace_msg *b = find_msg_rec(r.tr, TR_MSG_BOUNCED);
    assert_int_equal(b->dsn, 2);
    assert_false(b->flags & TRACE_MF_GAVE_UP);
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* Webmail: the browser reads with GET and sends with POST; the server
 * composes the posted message and relays it. Wrong credentials get 401. */
static void test_webmail(void **state)
{
    (void)state;
    static const char json[] =
        "{\"title\":\"w\",\"seed\":3,\"hosts\":["
        "{\"name\":\"alice-pc\",\"kind\":\"pc\",\"owner\":\"alice@example.org\"},"
        "{\"name\":\"mail.example.org\",\"kind\":\"mail_server\",\"domain\":\"example.org\","
        "\"users\":[{\"name\":\"alice\",\"password\":\"secret\"}]},"
        "{\"name\":\"internet\",\"kind\":\"router\"},"
        "{\"name\":\"mail.example.net\",\"kind\":\"mail_server\",\"domain\":\"example.net\","
        "\"webmail\":true,\"users\":[{\"name\":\"bob\",\"password\":\"pw\"}]},"
        "{\"name\":\"bob-browser\",\"kind\":\"browser\",\"owner\":\"bob@example.net\"}],"
        "\"links\":[{\"a\":\"alice-pc\",\"b\":\"internet\"},{\"a\":\"mail.example.org\","
        "\"b\":\"internet\"},{\"a\":\"mail.example.net\",\"b\":\"internet\"},"
        "{\"a\":\"bob-browser\",\"b\":\"internet\"}],\"timeline\":["
        "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
        "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"Hi\",\"body\":\"Hello\"},"
        "{\"at\":\"1m\",\"action\":\"webmail\",\"user\":\"bob@example.net\",\"device\":"
        "\"bob-browser\",\"op\":\"read\",\"message\":1},"
        "{\"at\":\"2m\",\"action\":\"webmail\",\"user\":\"bob@example.net\",\"device\":"
        "\"bob-browser\",\"op\":\"send\",\"to\":[\"alice@example.org\"],\"subject\":"
        "\"Re: Hi\",\"body\":\"Hello Alice\"}]}";
    struct run r;
    struct scn_error err;
    memset(&r, 0, sizeof r);
    r.s = scn_load_buffer(json, strlen(json), "w.json", NULL, NULL, &err);
    if (!r.s) fail_msg("%s", err.text);
    r.tr = trace_new();
    struct world *w = world_new(r.s, r.tr, NULL, NULL);
    world_run(w, SIM_US_MAX);
    r.violations = world_check(r.tr, r.s, trace_end_time(r.tr), r.report, sizeof r.report, &r.fa);
    world_free(w);
    char buf[256];
    assert_non_null(find_line(r.tr, "GET /message/1 HTTP/1.1", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "POST /send HTTP/1.1", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "<title>Message: Hi</title>", buf, sizeof buf)
                        ? buf
                        : find_line(r.tr, "HTTP/1.1 200 OK", buf, sizeof buf));
    assert_null(find_line(r.tr, "HTTP/1.1 401", buf, sizeof buf));
    assert_int_equal(r.fa.messages, 2);
    assert_int_equal(r.fa.delivered, 2);
    if (r.violations) fail_msg("%s", r.report);
    run_free(&r);
}

/* Chaos after the dot: stored, then the connection dies before the 250.
 * The sender tries again and the recipient gets a duplicate, which the
 * invariant allows because the trace records the lost reply. */
static void test_lost_reply_duplicates(void **state)
{
    (void)state;
    struct run r;
    /* The chaos is on the receiver: splice it into example.net by hand. */
    char json[8192];
    snprintf(json, sizeof json, world_json_fmt,
             ",\"retry\":{\"interval\":\"30m\",\"give_up\":\"1h\"}",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\"}");
    char *p = strstr(json, "\"domain\":\"example.net\",");
    assert_non_null(p);
    char fixed[8400];
    size_t pre = (size_t)(p - json);
    snprintf(fixed, sizeof fixed, "%.*s\"chaos\":{\"after_dot\":1},%s", (int)pre, json, p);
    struct scn_error err;
    memset(&r, 0, sizeof r);
    r.s = scn_load_buffer(fixed, strlen(fixed), "c.json", NULL, NULL, &err);
    if (!r.s) fail_msg("%s", err.text);
    r.tr = trace_new();
    struct world *w = world_new(r.s, r.tr, NULL, NULL);
    world_run(w, SIM_US_MAX);
    r.violations = world_check(r.tr, r.s, trace_end_time(r.tr), r.report, sizeof r.report, &r.fa);
    world_free(w);
    char buf[512];
    assert_non_null(find_msg(r.tr, TR_MSG_DUPLICATE, buf, sizeof buf));
    if (r.violations) fail_msg("%s", r.report);
    assert_true(r.fa.duplicates >= 1);
    run_free(&r);
}

/* IMAP: the user agent logs in, selects, fetches and moves a message. */
static void test_imap_check_mail(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"x\",\"body\":\"y\"},"
             "{\"at\":\"1m\",\"action\":\"check_mail\",\"user\":\"bob@example.net\","
             "\"device\":\"bob-pc\",\"protocol\":\"imap\",\"imap\":["
             "{\"op\":\"select\",\"mailbox\":\"INBOX\"},{\"op\":\"fetch_part\",\"set\":\"1\","
             "\"part\":\"1\"},{\"op\":\"create\",\"mailbox\":\"Archive\"},"
             "{\"op\":\"move\",\"set\":\"1\",\"mailbox\":\"Archive\"}]}");
    char buf[256];
    assert_non_null(find_line(r.tr, "a1 CAPABILITY", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "a2 LOGIN bob pw", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "a2 OK", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "* 1 FETCH (BODY[1] {3}", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "* 1 EXPUNGE", buf, sizeof buf));
    assert_non_null(find_line(r.tr, "a7 OK LOGOUT completed", buf, sizeof buf));
    assert_int_equal(r.violations, 0);
    run_free(&r);
}

/* The invariant catches a message that vanished after submission. */
static void test_check_finds_loss(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "", "");
    struct trace_msg m;
    memset(&m, 0, sizeof m);
    m.msg = 9;
    m.host = 0;
    m.peer = 1;
    m.sender = trace_intern(r.tr, "alice@example.org");
    m.rcpt = trace_intern(r.tr, "bob@example.net");
    m.msgid = TRACE_NONE;
    m.next_retry = -1;
    m.body_hash = 1;
    trace_add_msg(r.tr, 5 * SIM_US_PER_S, TR_MSG_COMPOSED, &m, "text");
    trace_add_msg(r.tr, 6 * SIM_US_PER_S, TR_MSG_SUBMITTED, &m, "250 ok");
    char rep[512];
    struct world_fates fa;
    size_t v = world_check(r.tr, r.s, 10 * SIM_US_PER_S, rep, sizeof rep, &fa);
    assert_int_equal(v, 1);
    assert_string_equal(rep, "rule 1 (conservation): message 9 to bob@example.net: lost "
                             "(neither delivered, queued, bounced nor rejected)\n");
    run_free(&r);
}

/* Rule 3 from the wire: a 250 to the end of DATA with nothing stored. */
static void test_check_finds_early_ack(void **state)
{
    (void)state;
    struct run r;
    run_json(&r, "", "");
    static const char line[] = "250 2.0.0 Ok: queued\r\n";
    struct trace_line_facts lf = {"DATA", 250, TRACE_LF_OK | TRACE_LF_DATA_END, NULL};
    trace_add_line_facts(r.tr, 5 * SIM_US_PER_S, TR_LINE_SENT, 99, 1, 0, 'S', "SMTP", "DATA",
                         "READY", &lf, line, sizeof line - 1);
    char rep[512];
    size_t v = world_check(r.tr, r.s, 10 * SIM_US_PER_S, rep, sizeof rep, NULL);
    assert_int_equal(v, 1);
    assert_string_equal(rep, "rule 3 (ack after commit): host 1 replied 250 to the end of DATA "
                             "at 5s with nothing stored\n");
    run_free(&r);
}

/* A raw POP3 client that logs in with APOP (RFC 1939 §7), as curl does. */
struct apop_client {
    char got[2048];
    size_t len;
    int step;
    const char *password;
};

static void apop_on_data(void *ctx, struct tcp_conn *c, const uint8_t *data, size_t len)
{
    struct apop_client *a = ctx;
    if (a->len + len < sizeof a->got) {
        memcpy(a->got + a->len, data, len);
        a->len += len;
        a->got[a->len] = '\0';
    }
    if (a->step == 0 && strstr(a->got, "\r\n")) {
        const char *lt = strchr(a->got, '<'), *gt = strchr(a->got, '>');
        assert_non_null(lt);
        assert_non_null(gt);
        char ts[256], digest[33], cmd[320];
        snprintf(ts, sizeof ts, "%.*s", (int)(gt - lt + 1), lt);
        pop3_apop_digest(ts, a->password, digest);
        int n = snprintf(cmd, sizeof cmd, "APOP bob %s\r\nQUIT\r\n", digest);
        tcp_send(c, cmd, (size_t)n);
        a->step = 1;
    }
}

static const struct tcp_app_ops apop_ops = {.on_data = apop_on_data};

static void apop_try(const char *password, const char *want_reply)
{
    struct run r;
    char json[8192];
    snprintf(json, sizeof json, world_json_fmt, "", "");
    memset(&r, 0, sizeof r);
    struct scn_error err;
    r.s = scn_load_buffer(json, strlen(json), "a.json", NULL, NULL, &err);
    assert_non_null(r.s);
    r.tr = trace_new();
    struct world *w = world_new(r.s, r.tr, NULL, NULL);
    struct apop_client a;
    memset(&a, 0, sizeof a);
    a.password = password;
    tcp_connect(w->net, 5 /* bob-pc */, 4 /* mail.example.net */, 110, &apop_ops, &a);
    world_run(w, SIM_US_MAX);
    world_free(w);
    /* Second line: the answer to APOP. */
    const char *l2 = strstr(a.got, "\r\n");
    assert_non_null(l2);
    if (strncmp(l2 + 2, want_reply, strlen(want_reply)) != 0) fail_msg("got: %s", a.got);
    run_free(&r);
}

static void test_pop3_apop(void **state)
{
    (void)state;
    apop_try("pw", "+OK");
    apop_try("wrong", "-ERR");
}

/* Long pauses are marked in words. */
static void test_transcript_gaps(void **state)
{
    (void)state;
    struct trace *tr = trace_new();
    trace_add_narration(tr, 0, TRACE_NONE, "first");
    trace_add_narration(tr, 30 * SIM_US_PER_MIN, TRACE_NONE, "second");
    trace_add_narration(tr, 30 * SIM_US_PER_MIN + 5 * SIM_US_PER_DAY + 2 * SIM_US_PER_H, TRACE_NONE,
                        "third");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(trace_transcript(tr, f), 0);
    fclose(f);
    char t1[32], t2[32], t3[32], want[512];
    trace_format_time(0, t1, sizeof t1);
    trace_format_time(30 * SIM_US_PER_MIN, t2, sizeof t2);
    trace_format_time(30 * SIM_US_PER_MIN + 5 * SIM_US_PER_DAY + 2 * SIM_US_PER_H, t3, sizeof t3);
    snprintf(want, sizeof want,
             "%-13s * first\n              ... 30 minutes later ...\n%-13s * second\n"
             "              ... 5 days 2 hours later ...\n%-13s * third\n",
             t1, t2, t3);
    assert_string_equal(buf, want);
    free(buf);
    trace_free(tr);
}

static size_t count_actions(const struct evq_info *ev, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (ev[i].label && strcmp(ev[i].label, "scenario action") == 0) k++;
    return k;
}

/* The timeline enters the queue one action at a time, yet what is pending
 * (world_pending) lists every action still to come. */
static void test_timeline_one_at_a_time(void **state)
{
    (void)state;
    char json[8192];
    snprintf(json, sizeof json, world_json_fmt, "",
             "{\"at\":\"1s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"a\",\"body\":\"y\"},"
             "{\"at\":\"2s\",\"action\":\"host_down\",\"host\":\"mail.example.net\"},"
             "{\"at\":\"3s\",\"action\":\"host_up\",\"host\":\"mail.example.net\"},"
             "{\"at\":\"4s\",\"action\":\"send\",\"from\":\"alice@example.org\",\"device\":"
             "\"alice-pc\",\"to\":[\"bob@example.net\"],\"subject\":\"b\",\"body\":\"y\"}");
    struct scn_error err;
    struct scn_scenario *s = scn_load_buffer(json, strlen(json), "test.json", NULL, NULL, &err);
    assert_non_null(s);
    struct trace *tr = trace_new();
    struct world_opts o = {.timers = true};
    struct ms_error merr;
    struct world *w = world_new(s, tr, &o, &merr);
    assert_non_null(w);
    struct evq_info ev[64];
    size_t total = 0, n = world_pending(w, ev, 64, &total);
    assert_int_equal(n, total);
    assert_int_equal(count_actions(ev, n), 4);
    assert_int_equal(total - evq_count(w->q), 3); /* one action queued */
    for (size_t i = 1; i < n; i++) assert_true(ev[i - 1].t <= ev[i].t);
    world_run(w, 2500 * SIM_US_PER_MS);
    n = world_pending(w, ev, 64, &total);
    assert_int_equal(count_actions(ev, n), 2);
    assert_int_equal(total - evq_count(w->q), 1);
    world_run(w, SIM_US_MAX);
    n = world_pending(w, ev, 64, &total);
    assert_int_equal(total, 0);
    world_free(w);
    trace_free(tr);
    scn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lessons_keep_the_invariant),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_no_open_relay),
        cmocka_unit_test(test_auth_submission),
        cmocka_unit_test(test_give_up),
        cmocka_unit_test(test_direct_by_mx),
        cmocka_unit_test(test_dns_answer_typed),
        cmocka_unit_test(test_nxdomain),
        cmocka_unit_test(test_webmail),
        cmocka_unit_test(test_imap_check_mail),
        cmocka_unit_test(test_lost_reply_duplicates),
        cmocka_unit_test(test_check_finds_loss),
        cmocka_unit_test(test_check_finds_early_ack),
        cmocka_unit_test(test_pop3_apop),
        cmocka_unit_test(test_transcript_gaps),
        cmocka_unit_test(test_timeline_one_at_a_time),
        cmocka_unit_test(test_msgid_map_and_trim),
    };
    return cmocka_run_group_tests_name("world", tests, NULL, NULL);
}
