/* test_msg_records.c -- what the trace says about messages: every MSG_*
 * record names its Message-ID, the queue says "retry" only after an attempt,
 * a store holds the message at the step that tells of it, every Received:
 * field has its ";" before the date (RFC 5322 §3.6.7), and each copy a host
 * takes is recorded with its MIME outline (what the message view shows);
 * the run summary tells a lost reply from a duplicate; a copy's header
 * read back through the copies it extends is the header the host held. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

struct run {
    struct scn_scenario *s;
    struct trace *tr;
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
    world_free(w);
}

static void run_free(struct run *r)
{
    trace_free(r->tr);
    scn_free(r->s);
}

static const char *const lessons[] = {
    "scenarios/01-alice-to-bob.json",
    "scenarios/02-three-messages.json",
    "scenarios/03-server-down-two-hours.json",
    "scenarios/04-server-gone-a-week.json",
    "scenarios/05-photo-attachment.json",
    "scenarios/06-unknown-user.json",
    "scenarios/07-direct-to-pc-off.json",
    "scenarios/08-pop3-download-and-delete.json",
    "scenarios/09-pop3-download-and-keep.json",
    "scenarios/10-imap-folders.json",
    "scenarios/11-imap-partial-fetch.json",
    "scenarios/12-webmail.json",
    "scenarios/13-smtp-vs-http.json",
    "scenarios/14-quiz-smtp-handshake.json",
    "scenarios/15-chaos-busy-server.json",
    "scenarios/16-textbook-dialogue.json",
    "scenarios/17-pop3-errors.json",
    "scenarios/18-imap-errors.json",
    "scenarios/19-relay-and-auth.json",
    "scenarios/20-smtp-smuggling.json",
    "scenarios/21-duplicate-after-lost-reply.json",
    "scenarios/22-asynchronous-mail.json",
    "scenarios/23-starttls.json",
};

/* Every record about a message that was composed names its Message-ID. */
static void test_message_id_in_records(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        struct run r;
        run_file(&r, lessons[i]);
        size_t n = 0;
        /* Messages a user agent or server composed (a smuggled one need not
         * have a Message-ID field). */
        bool composed[4096] = {false};
        for (size_t k = 0; k < trace_count(r.tr); k++) {
            const struct trace_rec *rec = trace_get(r.tr, k);
            if (rec->kind == TR_MSG_COMPOSED && trace_as_msg(rec)->msg < 4096)
                composed[trace_as_msg(rec)->msg] = true;
        }
        for (size_t k = 0; k < trace_count(r.tr); k++) {
            const struct trace_msg *m = trace_as_msg(trace_get(r.tr, k));
            if (!m || m->msg >= 4096 || !composed[m->msg]) continue;
            const char *id = trace_str(r.tr, m->msgid);
            if (m->msgid == TRACE_NONE || id[0] != '<' || id[strlen(id) - 1] != '>')
                fail_msg("%s: record %zu (message %u) has Message-ID \"%s\"", lessons[i], k, m->msg,
                         id);
            n++;
        }
        assert_true(n > 0);
        run_free(&r);
    }
}

/* A queued message waits for its first attempt: no retry time until an
 * attempt failed (lesson 01); after a deferral the queue names the retry
 * (lesson 03). */
static void test_queue_retry_only_after_attempt(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/01-alice-to-bob.json");
    size_t queues = 0;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_QUEUE_CHANGED) continue;
        const struct trace_queue *q = trace_body(rec);
        assert_int_equal(q->next_retry, -1);
        queues++;
    }
    assert_true(queues >= 2);
    run_free(&r);
    run_file(&r, "scenarios/03-server-down-two-hours.json");
    sim_us deferred_retry = -1;
    bool checked = false;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind == TR_MSG_DEFERRED) deferred_retry = trace_as_msg(rec)->next_retry;
        if (rec->kind == TR_QUEUE_CHANGED && deferred_retry >= 0 && !checked) {
            const struct trace_queue *q = trace_body(rec);
            assert_true(q->next_retry == deferred_retry);
            checked = true;
        }
    }
    assert_true(checked);
    run_free(&r);
}

/* At the step that says "queued" the queue holds the message; at the step
 * that says "delivered" into a mailbox the mailbox holds it. */
static void test_store_before_fate(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        struct run r;
        run_file(&r, lessons[i]);
        size_t nh = trace_host_count(r.tr);
        uint32_t *qlen = calloc(nh, sizeof *qlen), *mbox = calloc(nh, sizeof *mbox);
        for (size_t k = 0; k < trace_count(r.tr); k++) {
            const struct trace_rec *rec = trace_get(r.tr, k);
            if (rec->kind == TR_QUEUE_CHANGED) {
                const struct trace_queue *q = trace_body(rec);
                qlen[q->host] = q->length;
            } else if (rec->kind == TR_MAILBOX_CHANGED) {
                const struct trace_mailbox *mb = trace_body(rec);
                mbox[mb->host] = mb->count;
            } else if (rec->kind == TR_MSG_QUEUED) {
                const struct trace_msg *m = trace_as_msg(rec);
                if (qlen[m->host] == 0)
                    fail_msg("%s: record %zu says message %u queued at an empty queue", lessons[i],
                             k, m->msg);
            } else if (rec->kind == TR_MSG_DELIVERED && trace_as_msg(rec)->peer == TRACE_NONE) {
                const struct trace_msg *m = trace_as_msg(rec);
                if (mbox[m->host] == 0)
                    fail_msg("%s: record %zu says message %u delivered into an empty mailbox",
                             lessons[i], k, m->msg);
            }
        }
        free(qlen);
        free(mbox);
        run_free(&r);
    }
}

/* Every Received: field sent in a DATA transfer, unfolded, has ";" before
 * its date (RFC 5322 §3.6.7), also with several recipients (lesson 14). */
static void test_received_has_semicolon(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        struct run r;
        run_file(&r, lessons[i]);
        char field[2048];
        size_t flen = 0;
        bool in = false;
        size_t seen = 0;
        for (size_t k = 0; k <= trace_count(r.tr); k++) {
            const struct trace_rec *rec = k < trace_count(r.tr) ? trace_get(r.tr, k) : NULL;
            const struct trace_line *l = rec ? trace_as_line(rec) : NULL;
            if (rec && (!l || rec->kind != TR_LINE_SENT || l->side != 'C')) continue;
            size_t n = 0;
            const uint8_t *d = rec ? trace_data(rec, &n) : NULL;
            bool cont = d && n > 0 && (d[0] == ' ' || d[0] == '\t');
            if (in && !cont) {
                field[flen] = '\0';
                if (!strchr(field, ';'))
                    fail_msg("%s: a Received: field without ';': %s", lessons[i], field);
                seen++;
                in = false;
            }
            if (!d) break;
            if (n >= 9 && memcmp(d, "Received:", 9) == 0) {
                in = true;
                flen = 0;
            }
            if (in && flen + n < sizeof field) {
                memcpy(field + flen, d, n);
                flen += n;
            }
        }
        if (strstr(lessons[i], "14-")) assert_true(seen > 0);
        run_free(&r);
    }
}

/* The copies a host takes: lesson 05's photo at Bob's server has the outline
 * multipart/mixed { text/plain, image/jpeg "cat.jpg" base64 } with the
 * decoded JPEG magic in the preview; lesson 01's message is on Bob's PC
 * after POP3 retrieved it. */
static void test_copies_and_outline(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/05-photo-attachment.json");
    const struct trace_msg_copy *at_bob = NULL;
    for (size_t i = 0; i < trace_msg_copy_count(r.tr); i++) {
        const struct trace_msg_copy *c = trace_msg_copy_get(r.tr, i);
        if (strcmp(trace_host_name(r.tr, c->host), "mail.example.net") == 0) at_bob = c;
    }
    assert_non_null(at_bob);
    assert_int_equal(at_bob->n_parts, 3);
    struct trace_mime_part part0, part2;
    trace_msg_copy_part(r.tr, at_bob, 0, &part0);
    trace_msg_copy_part(r.tr, at_bob, 2, &part2);
    const struct trace_mime_part *p0 = &part0, *p2 = &part2;
    assert_string_equal(trace_str(r.tr, p0->type), "multipart/mixed");
    assert_string_equal(trace_str(r.tr, p2->type), "image/jpeg");
    assert_string_equal(trace_str(r.tr, p2->path), "2");
    assert_string_equal(trace_str(r.tr, p2->filename), "cat.jpg");
    assert_string_equal(trace_str(r.tr, p2->cte), "base64");
    assert_true(p2->decoded_len == 2400);
    assert_memory_equal(trace_str(r.tr, p2->preview), "\xff\xd8\xff", 3);
    char hdr[TRACE_COPY_HEADER_MAX + 1];
    trace_msg_copy_header(r.tr, at_bob, hdr, sizeof hdr);
    assert_non_null(strstr(hdr, "Return-Path:"));
    run_free(&r);
    run_file(&r, "scenarios/01-alice-to-bob.json");
    bool on_pc = false;
    for (size_t i = 0; i < trace_msg_copy_count(r.tr); i++) {
        const struct trace_msg_copy *c = trace_msg_copy_get(r.tr, i);
        if (strcmp(trace_host_name(r.tr, c->host), "bob-pc") == 0 && c->msg == 1) on_pc = true;
    }
    assert_true(on_pc);
    run_free(&r);
}

/* Lesson 15: message 4 reached Bob, the reply to its final dot was lost,
 * and the retry delivered it again: one copy delivered twice, counted as a
 * duplicate and not as "delivered but reported failed". */
static void test_summary_lost_reply(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "scenarios/15-chaos-busy-server.json");
    struct world_fates fa;
    char report[2048];
    size_t v = world_check(r.tr, r.s, trace_end_time(r.tr), report, sizeof report, &fa);
    if (v) fail_msg("%s", report);
    assert_int_equal(fa.duplicates, 1);
    assert_int_equal(fa.delivered_and_bounced, 0);
    run_free(&r);
}

/* A body line over 998 octets (RFC 5322 §2.1.1): the user agent sends the
 * body quoted-printable (RFC 2045 §6.7), says so, and the message arrives. */
static void test_long_line_quoted_printable(void **state)
{
    (void)state;
    struct run r;
    run_file(&r, "tests/trace/scenarios/long-line.json");
    struct world_fates fa;
    char report[2048];
    size_t v = world_check(r.tr, r.s, trace_end_time(r.tr), report, sizeof report, &fa);
    if (v) fail_msg("%s", report);
    assert_int_equal(fa.delivered, 1);
    assert_int_equal(fa.rejected, 0);
    bool said = false;
    for (size_t k = 0; k < trace_count(r.tr); k++) {
        const struct trace_rec *rec = trace_get(r.tr, k);
        if (rec->kind != TR_MSG_COMPOSED) continue;
        size_t n;
        const char *d = (const char *)trace_data(rec, &n);
        char text[256];
        snprintf(text, sizeof text, "%.*s", (int)n, d);
        said = strstr(text, "quoted-printable") != NULL;
    }
    assert_true(said);
    const struct trace_msg_copy *c = trace_msg_copy_get(r.tr, 0);
    assert_int_equal(c->n_parts, 1);
    struct trace_mime_part p0;
    trace_msg_copy_part(r.tr, c, 0, &p0);
    assert_string_equal(trace_str(r.tr, p0.cte), "quoted-printable");
    run_free(&r);
}

/* Run scenario s into a new trace, its copies' headers kept as deltas or
 * (whole) exactly as each host held them. */
static struct trace *run_copies(const struct scn_scenario *s, bool whole)
{
    struct trace *tr = trace_new();
    trace_copy_headers_whole(tr, whole);
    struct world *w = world_new(s, tr, NULL, NULL);
    assert_non_null(w);
    world_run(w, SIM_US_MAX);
    world_free(w);
    return tr;
}

/* Part a of trace ta says what part b of trace tb says (string ids differ
 * between traces: their strings are compared). */
static bool same_part(const struct trace *ta, const struct trace_mime_part *a,
                      const struct trace *tb, const struct trace_mime_part *b)
{
    return a->off == b->off && a->hdr_len == b->hdr_len && a->body_len == b->body_len &&
           a->decoded_len == b->decoded_len && a->depth == b->depth &&
           a->preview_len == b->preview_len &&
           strcmp(trace_str(ta, a->path), trace_str(tb, b->path)) == 0 &&
           strcmp(trace_str(ta, a->type), trace_str(tb, b->type)) == 0 &&
           (a->filename == TRACE_NONE) == (b->filename == TRACE_NONE) &&
           strcmp(trace_str(ta, a->filename), trace_str(tb, b->filename)) == 0 &&
           strcmp(trace_str(ta, a->cte), trace_str(tb, b->cte)) == 0 &&
           strcmp(trace_str(ta, a->raw), trace_str(tb, b->raw)) == 0 &&
           memcmp(trace_str(ta, a->preview), trace_str(tb, b->preview), a->preview_len) == 0;
}

/* Every copy's header, read back through its bases, is byte for byte the
 * header the host held (a run that keeps every header whole), and as long as
 * the MIME outline's header block (cut at TRACE_COPY_HEADER_MAX); every
 * part reads back as that run's. *based counts the copies kept as deltas,
 * *shared those of them sharing their base's parts. */
static void check_copy_headers(const char *what, const struct scn_scenario *s, size_t *based,
                               size_t *shared, size_t *copies)
{
    struct trace *d = run_copies(s, false), *w = run_copies(s, true);
    assert_int_equal(trace_msg_copy_count(d), trace_msg_copy_count(w));
    for (size_t i = 0; i < trace_msg_copy_count(d); i++) {
        const struct trace_msg_copy *cd = trace_msg_copy_get(d, i), *cw = trace_msg_copy_get(w, i);
        assert_int_equal(cw->base, TRACE_NONE);
        char hd[TRACE_COPY_HEADER_MAX + 1];
        size_t nd = trace_msg_copy_header(d, cd, hd, sizeof hd);
        char hw[TRACE_COPY_HEADER_MAX + 1]; /* no base: the bytes as given */
        size_t nw = trace_msg_copy_header(w, cw, hw, sizeof hw);
        if (nd != nw || memcmp(hd, hw, nd) != 0)
            fail_msg("%s: copy %zu (message %u at %s): header of %zu bytes read back as %zu:\n%.*s",
                     what, i, cd->msg, trace_host_name(d, cd->host), nw, nd, (int)nd, hd);
        /* the outline too, though based copies share their base's */
        assert_int_equal(cd->n_parts, cw->n_parts);
        for (size_t j = 0; j < cd->n_parts; j++) {
            struct trace_mime_part pd, pw;
            trace_msg_copy_part(d, cd, j, &pd);
            trace_msg_copy_part(w, cw, j, &pw);
            if (!same_part(d, &pd, w, &pw))
                fail_msg("%s: copy %zu (message %u at %s): part %zu differs: off %llu/%llu "
                         "header %llu/%llu",
                         what, i, cd->msg, trace_host_name(d, cd->host), j,
                         (unsigned long long)pd.off, (unsigned long long)pw.off,
                         (unsigned long long)pd.hdr_len, (unsigned long long)pw.hdr_len);
            if (j == 0)
                assert_int_equal(nd, pd.hdr_len < TRACE_COPY_HEADER_MAX ? pd.hdr_len
                                                                        : TRACE_COPY_HEADER_MAX);
        }
        if (cd->base != TRACE_NONE) {
            (*based)++;
            if (cd->n_parts && cd->first_part == trace_msg_copy_get(d, cd->base)->first_part)
                (*shared)++;
        }
        (*copies)++;
    }
    trace_free(d);
    trace_free(w);
}

/* The message view shows the same header bytes and outline as the copy its
 * host held, in every lesson and in generated scenarios; most copies are
 * deltas. */
static void test_copy_headers_read_back_whole(void **state)
{
    (void)state;
    size_t based = 0, shared = 0, copies = 0;
    for (size_t i = 0; i < sizeof lessons / sizeof lessons[0]; i++) {
        struct scn_error err;
        struct scn_scenario *s = scn_load_file(lessons[i], NULL, &err);
        if (!s) fail_msg("%s", err.text);
        check_copy_headers(lessons[i], s, &based, &shared, &copies);
        scn_free(s);
    }
    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct scn_scenario *s = scn_generate(seed, NULL);
        char what[64];
        snprintf(what, sizeof what, "generated seed %llu", (unsigned long long)seed);
        check_copy_headers(what, s, &based, &shared, &copies);
        scn_free(s);
    }
    print_message("%zu copies, %zu of them deltas, %zu of those sharing parts\n", copies, based,
                  shared);
    assert_true(copies > 200);
    assert_true(based > copies / 2);
    assert_true(shared > based / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_message_id_in_records),
        cmocka_unit_test(test_queue_retry_only_after_attempt),
        cmocka_unit_test(test_store_before_fate),
        cmocka_unit_test(test_received_has_semicolon),
        cmocka_unit_test(test_copies_and_outline),
        cmocka_unit_test(test_summary_lost_reply),
        cmocka_unit_test(test_long_line_quoted_printable),
        cmocka_unit_test(test_copy_headers_read_back_whole),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
