/* test_lecture_sim.c -- lecture features on real simulations:
 * slider changes and variants through ui_app simulate again, a saved
 * scenario reloads to the same trace (hash), --save-scenario never replaces
 * a file unless asked, chaos is deterministic under the seed and moves with
 * it, and the quiz of lesson 14 asks about the real RCPT reply. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/evq.h"
#include "mail/world.h"
#include "trace/transcript.h"
#include "ui/ui_int.h"

static struct trace *sim_run(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, false, err);
}

static const struct ui_sim test_sim = {NULL, sim_run, trace_transcript};

#define LESSON15 "scenarios/15-chaos-busy-server.json"
#define LESSON14 "scenarios/14-quiz-smtp-handshake.json"

static size_t count_kind(const struct trace *tr, enum trace_kind k)
{
    size_t n = 0;
    for (size_t i = 0; i < trace_count(tr); i++) n += trace_get(tr, i)->kind == (uint32_t)k;
    return n;
}

static uint64_t hash_of(const struct scn_scenario *s)
{
    struct ms_error err;
    struct trace *tr = sim_run(NULL, s, &err);
    assert_non_null(tr);
    uint64_t h = trace_hash(tr);
    trace_free(tr);
    return h;
}

/* Chaos: same seed, same trace; another seed, another; retries appear
 * without a script, and the "calm" variant has none. */
static void test_chaos_deterministic(void **state)
{
    (void)state;
    struct scn_error se;
    struct scn_scenario *s = scn_load_file(LESSON15, NULL, &se);
    assert_non_null(s);
    uint64_t h1 = hash_of(s), h2 = hash_of(s);
    assert_true(h1 == h2);
    s->seed = 16;
    assert_true(hash_of(s) != h1);
    scn_free(s);

    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(app->load(app->ctx, LESSON15, &w, &err), 0);
    assert_true(trace_hash(w.tr) == h1);
    assert_true(count_kind(w.tr, TR_MSG_DEFERRED) > 0);
    size_t nv = 0;
    const struct scn_variant *v = app->variants(app->ctx, &nv);
    assert_int_equal(nv, 2);
    assert_string_equal(v[0].name, "calm");
    assert_int_equal(app->variant(app->ctx, "calm", &w, &err), 0);
    assert_string_equal(w.scn->variant, "calm");
    assert_int_equal(count_kind(w.tr, TR_MSG_DEFERRED), 0);
    assert_int_equal(count_kind(w.tr, TR_MSG_BOUNCED), 0);
    assert_int_equal(app->variant(app->ctx, "very busy", &w, &err), 0);
    uint64_t busy = trace_hash(w.tr);
    assert_int_equal(app->variant(app->ctx, "very busy", &w, &err), 0);
    assert_true(trace_hash(w.tr) == busy);
    assert_int_equal(app->variant(app->ctx, NULL, &w, &err), 0);
    assert_true(trace_hash(w.tr) == h1);
    assert_int_equal(app->variant(app->ctx, "nope", &w, &err), -1);
    assert_non_null(strstr(err.msg, "nope"));
    ui_app_free(app);
}

/* A slider change simulates again; the scenario saved with it reloads to
 * the same trace; saving over a file needs overwrite. */
static void test_change_save_reload(void **state)
{
    (void)state;
    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(app->load(app->ctx, "scenarios/03-server-down-two-hours.json", &w, &err), 0);
    uint64_t before = trace_hash(w.tr);
    struct ui_ctl c[32];
    size_t n = ui_controls(w.scn, 0, c, 32);
    assert_true(n >= 12); /* 5 links x 2 + 2 servers x 2 */
    size_t retry = n;
    for (size_t i = 0; i < n; i++)
        if (c[i].kind == UI_CTL_RETRY && strstr(c[i].name, "mail.example.org")) retry = i;
    assert_true(retry < n);
    assert_int_equal(c[retry].value, 30 * 60 * SIM_US_PER_S);
    int64_t faster = ui_ctl_step(UI_CTL_RETRY, c[retry].value, -1);
    assert_int_equal(faster, 15 * 60 * SIM_US_PER_S);
    struct scn_action a;
    ui_ctl_action(w.scn, &c[retry], faster, 2 * 60 * SIM_US_PER_S, &a);
    assert_int_equal(a.kind, SCN_ACT_SERVER_SET);
    assert_int_equal(app->change(app->ctx, &a, &w, &err), 0);
    uint64_t after = trace_hash(w.tr);
    assert_true(after != before);
    /* The slider shows the new value from the change's time on. */
    n = ui_controls(w.scn, 3 * 60 * SIM_US_PER_S, c, 32);
    assert_int_equal(c[retry].value, faster);
    n = ui_controls(w.scn, 60 * SIM_US_PER_S, c, 32);
    assert_int_equal(c[retry].value, 30 * 60 * SIM_US_PER_S);

    /* A latency slider changes the run too: the world applies LINK_SET. */
    size_t lat = n;
    for (size_t i = 0; i < n; i++)
        if (c[i].kind == UI_CTL_LATENCY && lat == n) lat = i;
    assert_true(lat < n);
    struct scn_action la;
    ui_ctl_action(w.scn, &c[lat], c[lat].value * 4 + SIM_US_PER_MS, 0, &la);
    assert_int_equal(la.kind, SCN_ACT_LINK_SET);
    assert_int_equal(app->change(app->ctx, &la, &w, &err), 0);
    assert_true(trace_hash(w.tr) != after);
    after = trace_hash(w.tr);

    /* Up and down from the keyboard: the last rows switch hosts and links,
     * their state read from the timeline at the time asked. */
    n = ui_controls(w.scn, 60 * SIM_US_PER_S, c, 32);
    size_t net = n;
    for (size_t i = 0; i < n && i < 32; i++)
        if (c[i].kind == UI_CTL_HOST_UP && strcmp(c[i].name, "host mail.example.net") == 0) net = i;
    assert_true(net < n);
    assert_int_equal(c[net].value, 0); /* down until 2h in this lesson */
    char vt[16];
    ui_ctl_format(UI_CTL_HOST_UP, c[net].value, vt, sizeof vt);
    assert_string_equal(vt, "down");
    assert_int_equal(ui_ctl_step(UI_CTL_HOST_UP, 0, -1), 1);
    struct ui_ctl late[32];
    ui_controls(w.scn, 3 * 60 * 60 * SIM_US_PER_S, late, 32);
    assert_int_equal(late[net].value, 1);
    struct scn_action ha;
    ui_ctl_action(w.scn, &c[net], 1, 60 * SIM_US_PER_S, &ha);
    assert_int_equal(ha.kind, SCN_ACT_HOST_UP);
    assert_int_equal(app->change(app->ctx, &ha, &w, &err), 0);
    assert_true(trace_hash(w.tr) != after); /* up after a minute: delivered sooner */
    size_t delivered_at = 0;
    for (size_t k = 0; k < trace_count(w.tr) && !delivered_at; k++)
        if (trace_get(w.tr, k)->kind == TR_MSG_DELIVERED) delivered_at = k;
    assert_true(delivered_at > 0);
    assert_true(trace_get(w.tr, delivered_at)->t < 60 * 60 * SIM_US_PER_S);
    after = trace_hash(w.tr);

    char path[] = "/tmp/mailsim-save-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(app->save(app->ctx, path, false, &err), -1); /* exists */
    assert_int_equal(app->save(app->ctx, path, true, &err), 0);
    struct scn_error se;
    struct scn_scenario *s = scn_load_file(path, NULL, &se);
    assert_non_null(s);
    assert_true(hash_of(s) == after);
    scn_free(s);
    unlink(path);
    ui_app_free(app);
}

/* Lesson 14: the quiz asks about the RCPT of the unknown user, and the
 * right choice is the 550 the server really sent. */
static void test_lesson14_quiz(void **state)
{
    (void)state;
    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(app->load(app->ctx, LESSON14, &w, &err), 0);
    assert_true(w.scn->quiz);
    struct ui_model *m = ui_model_new(w.tr, w.scn);
    bool found = false, written = false;
    struct ui_quiz q;
    for (size_t k = ui_quiz_next(m, 0); k < ui_model_steps(m); k = ui_quiz_next(m, k + 1)) {
        assert_true(ui_quiz_at(m, k, &q));
        if (strcmp(q.question, "Alice presses Send. Who opens the first SMTP connection?") == 0)
            written = true;
        if (strstr(q.question, "mail.example.net answer to RCPT TO:<nobody@example.net>")) {
            found = true;
            assert_memory_equal(q.choices[q.answer], "550", 3);
            size_t len;
            const uint8_t *d = trace_data(trace_get(w.tr, k), &len);
            assert_memory_equal(q.choices[q.answer], d, strlen(q.choices[q.answer]));
        }
    }
    assert_true(found);
    assert_true(written);
    ui_model_free(m);
    ui_app_free(app);
}

/* With world_opts.timers the world records its labelled timers, and the
 * future-event view shows the queue run that retries a deferred message at
 * the time the queue announced. */
static void test_world_records_timers(void **state)
{
    (void)state;
    struct scn_error se;
    struct scn_scenario *s = scn_load_file("scenarios/03-server-down-two-hours.json", NULL, &se);
    assert_non_null(s);
    struct trace *tr = trace_new();
    struct world_opts o = {0};
    o.timers = true;
    struct ms_error err;
    struct world *w = world_new(s, tr, &o, &err);
    assert_non_null(w);
    world_run(w, SIM_US_MAX);
    world_free(w);
    assert_true(count_kind(tr, TR_TIMER_SET) > 0);
    assert_true(count_kind(tr, TR_TIMER_CANCELLED) > 0);
    struct ui_model *m = ui_model_new(tr, s);
    size_t k = 0;
    sim_us due = -1;
    for (; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind == TR_MSG_DEFERRED) {
            due = trace_as_msg(r)->next_retry;
            break;
        }
    }
    assert_true(due > 0);
    struct ui_timer t[64];
    /* Once everything at the deferral's time has happened. */
    size_t n = ui_future_at(m, trace_upper_bound(tr, trace_get(tr, k)->t), t, 64);
    bool queue_run = false, action = false;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(t[i].label, "SMTP queue run") == 0 && t[i].due == due &&
            strcmp(trace_host_name(tr, t[i].host), "mail.example.org") == 0)
            queue_run = true;
        if (strcmp(t[i].label, "scenario: host_up mail.example.net") == 0 &&
            t[i].host == TRACE_NONE && t[i].due == 2 * SIM_US_PER_H)
            action = true;
    }
    assert_true(queue_run);
    assert_true(action); /* host_up at 2h is still to come */
    for (size_t i = 1; i < n; i++) assert_true(t[i - 1].due <= t[i].due);
    /* Without the option the trace has no timer records. */
    struct trace *plain = world_simulate(s, false, &err);
    assert_non_null(plain);
    assert_int_equal(count_kind(plain, TR_TIMER_SET), 0);
    assert_int_equal(count_kind(plain, TR_MSG_DEFERRED), count_kind(tr, TR_MSG_DEFERRED));
    trace_free(plain);
    ui_model_free(m);
    trace_free(tr);
    scn_free(s);
}

/* The window's runs keep timers beside the records (trace_timers_aside):
 * the same records step for step as a run without timers, and the
 * future-event view shows each side's TCP retransmission timer while a
 * handshake is under way, and the mail server's queue run after a deferral. */
static uint32_t host_id(const struct trace *tr, const char *name)
{
    for (uint32_t i = 0; i < trace_host_count(tr); i++)
        if (strcmp(trace_host_name(tr, i), name) == 0) return i;
    fail_msg("no host %s", name);
    return TRACE_NONE;
}

static void test_window_run_keeps_timers_aside(void **state)
{
    (void)state;
    struct scn_error se;
    struct scn_scenario *s = scn_load_file("scenarios/03-server-down-two-hours.json", NULL, &se);
    assert_non_null(s);
    struct ms_error err;
    struct trace *tr = world_simulate(s, true, &err);
    struct trace *plain = world_simulate(s, false, &err);
    assert_non_null(tr);
    assert_non_null(plain);
    /* Step for step the same records. */
    assert_int_equal(count_kind(tr, TR_TIMER_SET), 0);
    assert_int_equal(trace_count(tr), trace_count(plain));
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *a = trace_get(tr, k), *b = trace_get(plain, k);
        assert_int_equal(a->kind, b->kind);
        assert_int_equal(a->t, b->t);
        assert_int_equal(a->len, b->len);
    }
    assert_true(trace_timer_note_count(tr) > 100);

    struct ui_model *m = ui_model_new(tr, s);
    struct ui_timer t[64];
    uint32_t org = host_id(tr, "mail.example.org"), net = host_id(tr, "mail.example.net");
    /* Just after mail.example.org's first SYN to the server that is down. */
    size_t k = 0;
    for (; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        const struct trace_seg *sg = trace_as_seg(r);
        if (r->kind == TR_SEG_SENT && sg && sg->src == org && sg->dst == net) break;
    }
    assert_true(k < trace_count(tr));
    size_t n = ui_future_at(m, trace_upper_bound(tr, trace_get(tr, k)->t), t, 64);
    bool rto = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].label, "TCP retransmission timer") == 0 && t[i].host == org) rto = true;
    assert_true(rto);
    /* After the deferral: the queue run, when the message record says. */
    for (k = 0; k < trace_count(tr); k++)
        if (trace_get(tr, k)->kind == TR_MSG_DEFERRED) break;
    assert_true(k < trace_count(tr));
    sim_us due = trace_as_msg(trace_get(tr, k))->next_retry;
    n = ui_future_at(m, k + 1, t, 64);
    bool run = false;
    for (size_t i = 0; i < n; i++)
        if (strcmp(t[i].label, "SMTP queue run") == 0 && t[i].due == due && t[i].host == org)
            run = true;
    assert_true(run);
    /* A step never shows a timer set after it: at step 0 nothing is known. */
    assert_int_equal(ui_future_at(m, 0, t, 64), 0);
    ui_model_free(m);
    trace_free(plain);
    trace_free(tr);
    scn_free(s);
}

/* Bad-input J10: reloading a file that has gone bad (R in the window) is
 * refused with the loader's message naming the file and the place; the
 * world on screen stays as it was, nothing half-applied, and the file on
 * disk is not touched. Fixing the file and reloading then works. */
static void test_reload_bad_file_keeps_world(void **state)
{
    (void)state;
    char path[] = "/tmp/mailsim-reload-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *in = fopen("scenarios/01-alice-to-bob.json", "rb");
    assert_non_null(in);
    char good[65536];
    size_t len = fread(good, 1, sizeof good, in);
    fclose(in);
    assert_true(len > 0 && len < sizeof good);
    assert_int_equal(write(fd, good, len), (ssize_t)len);
    close(fd);

    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(app->load(app->ctx, path, &w, &err), 0);
    const struct trace *tr = w.tr;
    const struct scn_scenario *scn = w.scn;
    uint64_t h = trace_hash(tr);

    /* The lecturer's editor leaves the file half-written. */
    static const char broken[] = "{\n  \"title\": \"half\",\n  \"hosts\": [\n";
    FILE *out = fopen(path, "wb");
    assert_non_null(out);
    fwrite(broken, 1, sizeof broken - 1, out);
    fclose(out);
    struct ui_world nw = w;
    assert_int_equal(app->load(app->ctx, path, &nw, &err), -1);
    assert_non_null(strstr(err.msg, path));
    assert_non_null(strstr(err.msg, ":4:"));
    /* The old world is intact and still the app's. */
    assert_ptr_equal(nw.tr, tr);
    assert_ptr_equal(nw.scn, scn);
    assert_true(trace_hash(tr) == h);
    size_t nv = 0;
    app->variants(app->ctx, &nv);
    assert_int_equal(app->variant(app->ctx, NULL, &nw, &err), 0); /* still simulates */
    assert_true(trace_hash(nw.tr) == h);
    /* The file is as the editor left it. */
    char back[256];
    in = fopen(path, "rb");
    assert_non_null(in);
    size_t got = fread(back, 1, sizeof back, in);
    fclose(in);
    assert_int_equal(got, sizeof broken - 1);
    assert_memory_equal(back, broken, got);
    /* Fixed again: the reload works. */
    out = fopen(path, "wb");
    assert_non_null(out);
    fwrite(good, 1, len, out);
    fclose(out);
    assert_int_equal(app->load(app->ctx, path, &nw, &err), 0);
    assert_true(trace_hash(nw.tr) == h);
    unlink(path);
    ui_app_free(app);
}

/* In every shipped lesson, as the window runs it, every timer says whose it
 * is (TCP, packets arriving, servers, SMTP clients, the resolver, user
 * agents), but the scenario's own actions, which say what they do. */
static void test_every_timer_has_its_host(void **state)
{
    (void)state;
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    struct dirent *e;
    size_t lessons = 0;
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "scenarios/%s", e->d_name);
        struct scn_error se;
        struct scn_scenario *s = scn_load_file(path, NULL, &se);
        if (!s) fail_msg("%s", se.text);
        struct ms_error err;
        struct trace *tr = world_simulate(s, true, &err);
        if (!tr) fail_msg("%s: %s", path, err.msg);
        assert_true(trace_timer_note_count(tr) > 0);
        for (size_t i = 0; i < trace_timer_note_count(tr); i++) {
            const struct trace_timer_note *nt = trace_timer_note_get(tr, i);
            const char *label = trace_str(tr, nt->timer.label);
            bool scripted = strncmp(label, "scenario: ", 10) == 0;
            if (scripted != (nt->timer.host == TRACE_NONE))
                fail_msg("%s: timer \"%s\" has host %u", path, label, nt->timer.host);
        }
        trace_free(tr);
        scn_free(s);
        lessons++;
    }
    closedir(d);
    assert_true(lessons >= 15);
}

/* The first LINE_SENT record of host whose bytes start with prefix. */
static size_t sent_line(const struct trace *tr, const char *host, const char *prefix)
{
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        const struct trace_line *l = trace_as_line(r);
        if (!l || r->kind != TR_LINE_SENT || strcmp(trace_host_name(tr, l->host), host) != 0)
            continue;
        size_t n;
        const uint8_t *d = trace_data(r, &n);
        if (n >= strlen(prefix) && memcmp(d, prefix, strlen(prefix)) == 0) return k;
    }
    fail_msg("no line %s from %s", prefix, host);
    return 0;
}

/* The window's one pairing of replies with commands, on a real lesson: the
 * 354 answers DATA, the 250 after the message answers the lone dot, the
 * EHLO reply's later lines answer nothing, the greeting answers no command. */
static void test_reply_pairing_from_facts(void **state)
{
    (void)state;
    struct scn_error se;
    struct scn_scenario *s = scn_load_file("scenarios/01-alice-to-bob.json", NULL, &se);
    assert_non_null(s);
    struct ms_error err;
    struct trace *tr = world_simulate(s, false, &err);
    assert_non_null(tr);
    struct ui_model *m = ui_model_new(tr, s);
    size_t cmd;
    assert_true(ui_model_reply_command(m, sent_line(tr, "mail.example.org", "354 "), &cmd));
    size_t n;
    const uint8_t *d = trace_data(trace_get(tr, cmd), &n);
    assert_memory_equal(d, "DATA\r\n", 6);
    assert_true(
        ui_model_reply_command(m, sent_line(tr, "mail.example.org", "250 2.0.0 Ok: queued"), &cmd));
    d = trace_data(trace_get(tr, cmd), &n);
    assert_memory_equal(d, ".\r\n", 3);
    assert_true(ui_model_reply_command(m, sent_line(tr, "mail.example.org", "220 "), &cmd));
    assert_int_equal(cmd, SIZE_MAX);
    assert_true(ui_model_reply_command(m, sent_line(tr, "mail.example.org", "250-mail"), &cmd));
    d = trace_data(trace_get(tr, cmd), &n);
    assert_memory_equal(d, "EHLO ", 5);
    assert_false(
        ui_model_reply_command(m, sent_line(tr, "mail.example.org", "250-PIPELINING"), &cmd));
    /* DNS packets are labelled from the question the trace recorded. */
    size_t q = SIZE_MAX;
    for (size_t k = 0; k < trace_count(tr) && q == SIZE_MAX; k++)
        if (trace_get(tr, k)->kind == TR_DGRAM_SENT) q = ui_model_dns_question(m, k);
    assert_true(q != SIZE_MAX);
    const struct trace_dns *dq = trace_body(trace_get(tr, q));
    assert_string_equal(trace_str(tr, dq->qname), "example.net");
    assert_int_equal(dq->qtype, 15);
    ui_model_free(m);
    trace_free(tr);
    scn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_chaos_deterministic),
        cmocka_unit_test(test_reply_pairing_from_facts),
        cmocka_unit_test(test_change_save_reload),
        cmocka_unit_test(test_reload_bad_file_keeps_world),
        cmocka_unit_test(test_lesson14_quiz),
        cmocka_unit_test(test_world_records_timers),
        cmocka_unit_test(test_window_run_keeps_timers_aside),
        cmocka_unit_test(test_every_timer_has_its_host),
    };
    return cmocka_run_group_tests_name("ui_lecture_sim", tests, NULL, NULL);
}
