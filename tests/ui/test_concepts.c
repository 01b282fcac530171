/* test_concepts.c -- the concepts the window makes visible, checked on the
 * model of real lessons (ui_concepts.c): role captions from the scenario's
 * host kinds (and none without a scenario: never from names), the blank
 * line and the end-of-data dot called out, each EHLO extension line
 * explained with its RFC, the whole-connection rows of lesson 02 (one SYN,
 * three transactions, one QUIT, one FIN) and the push / pull counts of
 * lesson 13, growing with the step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "ui/ui_int.h"

struct lesson {
    struct scn_scenario *scn;
    struct trace *tr;
    struct ui_model *m;
};

static void lesson_load(struct lesson *l, const char *path)
{
    struct scn_error se;
    struct ms_error err;
    l->scn = scn_load_file(path, NULL, &se);
    if (!l->scn) fail_msg("%s: %s", path, se.text);
    l->tr = world_simulate(l->scn, false, &err);
    if (!l->tr) fail_msg("%s: %s", path, err.msg);
    l->m = ui_model_new(l->tr, l->scn);
}

static void lesson_free(struct lesson *l)
{
    ui_model_free(l->m);
    trace_free(l->tr);
    scn_free(l->scn);
}

/* The bytes of record k as a C string (end of line included). */
static void rec_text(const struct trace *tr, size_t k, char *out, size_t max)
{
    size_t n;
    const uint8_t *d = trace_data(trace_get(tr, k), &n);
    if (n >= max) n = max - 1;
    memcpy(out, d, n);
    out[n] = '\0';
}

static size_t host_id(const struct ui_model *m, const char *name)
{
    for (size_t h = 0; h < m->nh; h++)
        if (strcmp(m->hosts[h].name, name) == 0) return h;
    fail_msg("no host %s", name);
    return 0;
}

static void test_roles_from_the_scenario(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/01-alice-to-bob.json");
    static const struct {
        const char *host, *role;
    } want[] = {{"alice-pc", "user agent"},          {"bob-pc", "user agent"},
                {"mail.example.org", "mail server"}, {"mail.example.net", "mail server"},
                {"ns.example.com", "DNS server"},    {"internet", "router"}};
    for (size_t i = 0; i < MS_ARRAY_LEN(want); i++) {
        const char *r = ui_host_role(l.m, host_id(l.m, want[i].host));
        assert_non_null(r);
        assert_string_equal(r, want[i].role);
    }
    /* The same trace without its scenario: names alone give no role. */
    struct ui_model *bare = ui_model_new(l.tr, NULL);
    for (size_t h = 0; h < bare->nh; h++) assert_null(ui_host_role(bare, h));
    ui_model_free(bare);
    lesson_free(&l);

    lesson_load(&l, "scenarios/13-smtp-vs-http.json");
    assert_string_equal(ui_host_role(l.m, host_id(l.m, "bob-browser")), "web browser");
    assert_string_equal(ui_host_role(l.m, host_id(l.m, "www.example.com")), "web server");
    lesson_free(&l);
}

/* Lesson 01: each message Alice sends has one blank line called out (the
 * one after its last header field) and one end-of-data dot; POP3's RETR
 * shows the blank line too. */
static void test_blank_line_and_dot(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/01-alice-to-bob.json");
    const struct ui_model *m = l.m;
    unsigned blank_smtp = 0, dot = 0, blank_pop = 0;
    for (size_t i = 0; i < m->n_lines; i++) {
        size_t k = m->lines[i];
        const struct trace_line *ln = trace_as_line(trace_get(l.tr, k));
        enum ui_callout c = ui_line_callout(m, k);
        char text[256];
        rec_text(l.tr, k, text, sizeof text);
        const char *proto = trace_str(l.tr, ln->proto);
        if (c == UI_CO_BLANK_BODY) {
            assert_string_equal(text, "\r\n");
            /* The line before it on its side is a header field. */
            size_t c0 = m->conn_off[ln->conn];
            size_t p = ui_lower(m->conn_lines + c0, m->conn_off[ln->conn + 1] - c0, k);
            char prev[256];
            rec_text(l.tr, m->conn_lines[c0 + p - 1], prev, sizeof prev);
            assert_non_null(strchr(prev, ':'));
            if (strcmp(proto, "SMTP") == 0) blank_smtp++;
            if (strcmp(proto, "POP3") == 0) blank_pop++;
        } else if (c == UI_CO_END_OF_DATA) {
            assert_string_equal(text, ".\r\n");
            assert_int_equal(ln->side, 'C');
            dot++;
        } else if (c == UI_CO_BLANK_END) {
            fail_msg("a header with no body in lesson 01: %s", text);
        }
    }
    /* One message, submitted then relayed: two SMTP copies, one POP3. */
    assert_int_equal(blank_smtp, 2);
    assert_int_equal(dot, 2);
    assert_int_equal(blank_pop, 1);
    assert_string_equal(ui_callout_text(UI_CO_BLANK_BODY),
                        "(blank line: header ends, body begins)");
    assert_string_equal(ui_callout_text(UI_CO_END_OF_DATA), "(end of data: <CRLF>.<CRLF>)");
    lesson_free(&l);
}

/* Lesson 13: each HTTP response has its header-ending blank line, and
 * lesson 02's three messages have three dots on the relay. */
static void test_callouts_http_and_three_messages(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/13-smtp-vs-http.json");
    unsigned http_blank = 0;
    for (size_t i = 0; i < l.m->n_lines; i++) {
        const struct trace_line *ln = trace_as_line(trace_get(l.tr, l.m->lines[i]));
        if (strcmp(trace_str(l.tr, ln->proto), "HTTP") == 0 && ln->side == 'S' &&
            ui_line_callout(l.m, l.m->lines[i]) == UI_CO_BLANK_BODY)
            http_blank++;
    }
    assert_int_equal(http_blank, 4);
    lesson_free(&l);
    lesson_load(&l, "scenarios/02-three-messages.json");
    unsigned dots = 0, blanks = 0;
    for (size_t i = 0; i < l.m->n_lines; i++) {
        enum ui_callout c = ui_line_callout(l.m, l.m->lines[i]);
        dots += c == UI_CO_END_OF_DATA;
        blanks += c == UI_CO_BLANK_BODY;
    }
    assert_int_equal(dots, 6); /* three submitted, three relayed */
    assert_true(blanks >= 6);
    lesson_free(&l);
}

static void test_ehlo_extensions_explained(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/01-alice-to-bob.json");
    static const struct {
        const char *kw, *rfc;
    } want[] = {{"PIPELINING", "RFC 2920"},
                {"SIZE", "RFC 1870"},
                {"ENHANCEDSTATUSCODES", "RFC 2034"},
                {"8BITMIME", "RFC 6152"}};
    unsigned seen[MS_ARRAY_LEN(want)] = {0};
    unsigned explained = 0, ehlo_lines = 0;
    for (size_t i = 0; i < l.m->n_lines; i++) {
        size_t k = l.m->lines[i];
        const struct trace_line *ln = trace_as_line(trace_get(l.tr, k));
        char kw[32], text[256];
        const char *meaning, *rfc;
        bool ok = ui_ehlo_explain(l.m, k, kw, sizeof kw, &meaning, &rfc);
        rec_text(l.tr, k, text, sizeof text);
        if (ln->side == 'S' && strcmp(trace_str(l.tr, ln->verb), "EHLO") == 0) {
            ehlo_lines++;
            /* The first line names the server; the others are extensions. */
            assert_int_equal(ok, (ln->flags & TRACE_LF_CONT) != 0);
        } else {
            assert_false(ok);
        }
        if (!ok) continue;
        explained++;
        assert_true(strlen(meaning) > 10);
        assert_non_null(strstr(text, kw));
        for (size_t j = 0; j < MS_ARRAY_LEN(want); j++)
            if (strcmp(kw, want[j].kw) == 0) {
                seen[j]++;
                assert_non_null(strstr(rfc, want[j].rfc));
            }
    }
    assert_int_equal(explained, 8); /* two servers, four extensions each */
    assert_int_equal(ehlo_lines, 10);
    for (size_t j = 0; j < MS_ARRAY_LEN(want); j++) assert_int_equal(seen[j], 2);
    lesson_free(&l);

    /* Submission with AUTH offered (lesson 19). */
    lesson_load(&l, "scenarios/19-relay-and-auth.json");
    unsigned auth = 0;
    for (size_t i = 0; i < l.m->n_lines; i++) {
        char kw[32];
        const char *meaning, *rfc;
        if (ui_ehlo_explain(l.m, l.m->lines[i], kw, sizeof kw, &meaning, &rfc) &&
            strcmp(kw, "AUTH") == 0) {
            assert_string_equal(rfc, "RFC 4954 §3");
            auth++;
        }
    }
    assert_true(auth >= 1);
    lesson_free(&l);
}

/* Lesson 02's relay: one SYN, three transactions each answered 250 after
 * the end of data, one QUIT, one FIN; every row in order. */
static void test_whole_connection_rows(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/02-three-messages.json");
    uint32_t relay = 0;
    size_t org = host_id(l.m, "mail.example.org"), net = host_id(l.m, "mail.example.net");
    for (size_t i = 0; i < l.m->n_lines && !relay; i++) {
        const struct trace_line *ln = trace_as_line(trace_get(l.tr, l.m->lines[i]));
        if (ln->host == org && ln->peer == net) relay = ln->conn;
    }
    assert_true(relay != 0);
    struct ui_crow rows[64];
    unsigned txn = 0;
    size_t n = ui_conn_rows(l.m, relay, rows, 64, &txn);
    assert_true(n <= 64);
    assert_int_equal(txn, 3);
    unsigned open = 0, close = 0, quit = 0, t = 0;
    for (size_t i = 0; i < n; i++) {
        if (i) assert_true(rows[i].rec > rows[i - 1].rec);
        assert_true(rows[i].last >= rows[i].rec);
        open += rows[i].kind == UI_CR_OPEN;
        close += rows[i].kind == UI_CR_CLOSE;
        quit += strcmp(rows[i].verb, "QUIT") == 0;
        if (rows[i].kind == UI_CR_TXN) {
            char want[32];
            snprintf(want, sizeof want, "message %u: MAIL RCPT DATA (", ++t);
            assert_non_null(strstr(rows[i].text, want));
            assert_non_null(strstr(rows[i].text, "\xe2\x86\x92 250 2.0.0"));
        }
    }
    assert_int_equal(open, 1);
    assert_int_equal(close, 1);
    assert_int_equal(quit, 1);
    assert_int_equal(rows[0].kind, UI_CR_OPEN);
    assert_int_equal(rows[n - 1].kind, UI_CR_CLOSE);
    assert_int_equal(rows[1].kind, UI_CR_GREETING);
    /* Not a connection: no rows. */
    assert_int_equal(ui_conn_rows(l.m, 0, rows, 64, &txn), 0);
    lesson_free(&l);

    /* IMAP (lesson 10, the laptop): the untagged greeting is a row, each
     * tagged command one row with its tagged reply; no transactions. */
    lesson_load(&l, "scenarios/10-imap-folders.json");
    size_t laptop = host_id(l.m, "bob-laptop");
    uint32_t imap = 0;
    for (size_t i = 0; i < l.m->n_lines && !imap; i++) {
        const struct trace_line *ln = trace_as_line(trace_get(l.tr, l.m->lines[i]));
        if (ln->host == laptop && strcmp(trace_str(l.tr, ln->proto), "IMAP") == 0) imap = ln->conn;
    }
    assert_true(imap != 0);
    n = ui_conn_rows(l.m, imap, rows, 64, &txn);
    assert_int_equal(txn, 0);
    unsigned cmds = 0, greet = 0;
    for (size_t i = 0; i < n; i++) {
        greet += rows[i].kind == UI_CR_GREETING;
        if (rows[i].kind != UI_CR_CMD) continue;
        cmds++;
        char want[16];
        snprintf(want, sizeof want, "a%u ", cmds);
        assert_true(strncmp(rows[i].text, want, strlen(want)) == 0);
        snprintf(want, sizeof want, "\xe2\x86\x92 a%u OK", cmds);
        assert_non_null(strstr(rows[i].text, want));
    }
    assert_int_equal(greet, 1);
    assert_int_equal(cmds, 9);
    lesson_free(&l);
}

static const struct ui_tally *tally_find(const struct ui_tally *t, size_t n, const char *proto)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].proto, proto) == 0) return &t[i];
    return NULL;
}

/* Lesson 13 at its end: HTTP 4 requests and 4 responses on one
 * connection; SMTP one message pushed on each of its connections. Before
 * the first line nothing is counted, and counts never go down. */
static void test_push_pull_counts(void **state)
{
    (void)state;
    struct lesson l;
    lesson_load(&l, "scenarios/13-smtp-vs-http.json");
    struct ui_tally t[8];
    assert_int_equal(ui_tally_at(l.m, 0, t, 8), 0);
    size_t n = ui_tally_at(l.m, ui_model_steps(l.m), t, 8);
    const struct ui_tally *http = tally_find(t, n, "HTTP");
    assert_non_null(http);
    assert_int_equal(http->conns, 1);
    assert_int_equal(http->requests, 4);
    assert_int_equal(http->responses, 4);
    unsigned smtp = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].proto, "SMTP") != 0) continue;
        smtp++;
        assert_int_equal(t[i].conns, 1);
        assert_int_equal(t[i].pushed, 1);
    }
    assert_int_equal(smtp, 2);
    char line[256];
    ui_tally_text(l.m, http, line, sizeof line);
    assert_string_equal(line, "HTTP: 4 requests, one object each (4 responses), 1 connection "
                              "(bob-browser \xe2\x86\x92 www.example.com)");
    unsigned prev = 0;
    for (size_t k = 0; k <= ui_model_steps(l.m); k += 25) {
        size_t nk = ui_tally_at(l.m, k, t, 8);
        const struct ui_tally *h = tally_find(t, nk, "HTTP");
        unsigned now = h ? h->requests : 0;
        assert_true(now >= prev);
        prev = now;
    }
    lesson_free(&l);

    lesson_load(&l, "scenarios/02-three-messages.json");
    n = ui_tally_at(l.m, ui_model_steps(l.m), t, 8);
    size_t org = host_id(l.m, "mail.example.org");
    bool relay = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].proto, "SMTP") != 0 || t[i].client != org) continue;
        relay = true;
        assert_int_equal(t[i].conns, 1);
        assert_int_equal(t[i].pushed, 3);
        ui_tally_text(l.m, &t[i], line, sizeof line);
        assert_non_null(strstr(line, "SMTP: 3 messages pushed, 1 connection"));
    }
    assert_true(relay);
    lesson_free(&l);
}

/* Does narration text t name word w (whole, case kept)? */
static bool names_word(const char *t, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = strstr(t, w); p; p = strstr(p + 1, w)) {
        bool start = p == t || !((p[-1] >= 'A' && p[-1] <= 'Z') || (p[-1] >= 'a' && p[-1] <= 'z'));
        char e = p[n];
        bool end = !((e >= 'A' && e <= 'Z') || (e >= 'a' && e <= 'z'));
        if (start && end) return true;
    }
    return false;
}

/* Narration timed to the step it describes, in the lessons where it once
 * ran behind (01's POP3 part, 07, 10): every narration that names a command
 * is followed by one of the commands it names as the next command sent; no
 * command is sent under a narration that leaves it to the next one; the
 * first SYN of lesson 07 comes after the narration that announces it. */
static void test_narration_not_behind_the_wire(void **state)
{
    (void)state;
    static const char *const lessons[] = {"scenarios/01-alice-to-bob.json",
                                          "scenarios/07-direct-to-pc-off.json",
                                          "scenarios/10-imap-folders.json"};
    for (size_t li = 0; li < MS_ARRAY_LEN(lessons); li++) {
        struct lesson l;
        lesson_load(&l, lessons[li]);
        size_t n = trace_count(l.tr);
        /* Narrations in order, with their text. */
        size_t nar[64], nn = 0;
        for (size_t k = 0; k < n && nn < 64; k++)
            if (trace_get(l.tr, k)->kind == TR_NARRATION) nar[nn++] = k;
        assert_true(nn >= 2);
        char cur[1024] = "", next[1024] = "";
        size_t ni = 0; /* narrations before k */
        bool want_named = false;
        size_t first_syn = SIZE_MAX, syn_narr = SIZE_MAX;
        for (size_t k = 0; k < n; k++) {
            const struct trace_rec *r = trace_get(l.tr, k);
            if (r->kind == TR_NARRATION) {
                rec_text(l.tr, k, cur, sizeof cur);
                next[0] = '\0';
                if (++ni < nn) rec_text(l.tr, nar[ni], next, sizeof next);
                want_named = true; /* the next command must be one it names */
                if (syn_narr == SIZE_MAX && names_word(cur, "SYN")) syn_narr = k;
                continue;
            }
            const struct trace_seg *sg = trace_as_seg(r);
            if (sg && r->kind == TR_SEG_SENT && (sg->flags & NETEV_SYN) && first_syn == SIZE_MAX)
                first_syn = k;
            const struct trace_line *ln = trace_as_line(r);
            if (!ln || r->kind != TR_LINE_SENT || ln->side != 'C' || (ln->flags & TRACE_LF_DATA))
                continue;
            const char *verb = trace_str(l.tr, ln->verb);
            if (!verb[0]) continue;
            if (names_word(next, verb) && !names_word(cur, verb))
                fail_msg("%s: %s is sent (record %zu) before the narration that describes it",
                         lessons[li], verb, k);
            if (want_named) {
                /* Only narrations that name some command of this session. */
                static const char *const cmds[] = {"USER",   "STAT",  "RETR",      "DELE",
                                                   "QUIT",   "LOGIN", "CREATE",    "SEARCH",
                                                   "MOVE",   "EHLO",  "LIST",      "UIDL",
                                                   "SELECT", "FETCH", "CAPABILITY"};
                bool names_any = false;
                for (size_t c = 0; c < MS_ARRAY_LEN(cmds); c++)
                    names_any |= names_word(cur, cmds[c]);
                if (names_any && !names_word(cur, verb))
                    fail_msg("%s: the narration before %s (record %zu) names other commands: %s",
                             lessons[li], verb, k, cur);
                want_named = false;
            }
        }
        if (first_syn != SIZE_MAX && syn_narr != SIZE_MAX) assert_true(syn_narr < first_syn);
        lesson_free(&l);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roles_from_the_scenario),
        cmocka_unit_test(test_blank_line_and_dot),
        cmocka_unit_test(test_callouts_http_and_three_messages),
        cmocka_unit_test(test_ehlo_extensions_explained),
        cmocka_unit_test(test_whole_connection_rows),
        cmocka_unit_test(test_push_pull_counts),
        cmocka_unit_test(test_narration_not_behind_the_wire),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
