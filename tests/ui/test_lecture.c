/* test_lecture.c -- lecture features of the window as pure
 * functions of a trace: the pending-event set at a step, run-until targets
 * and the run-until menu, and the future-event panel drawn offscreen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "ui/ui.h"

#define S SIM_US_PER_S

static struct trace *lt_trace(bool timers)
{
    struct trace *tr = trace_new();
    trace_host_add(tr, 0, "mail.example.org", 0xc0000201u, false);
    trace_host_add(tr, 1, "mail.example.net", 0xc6336401u, false);
    struct trace_msg m;
    memset(&m, 0, sizeof m);
    m.msg = 1;
    m.host = 0;
    m.peer = 1;
    m.next_retry = -1;
    m.sender = m.rcpt = m.msgid = TRACE_NONE;
    trace_add_msg(tr, 0, TR_MSG_QUEUED, &m, NULL); /* 0 */
    m.attempt = 1;
    trace_add_msg(tr, 1 * S, TR_MSG_ATTEMPT, &m, NULL);                               /* 1 */
    if (timers) trace_add_timer(tr, 1 * S, TR_TIMER_SET, 0, 301 * S, "SMTP timeout"); /* 2 */
    if (timers) trace_add_timer(tr, 1 * S, TR_TIMER_SET, 1, 2 * S, "TCP retransmit"); /* 3 */
    if (timers) trace_add_timer(tr, 3 * S, TR_TIMER_CANCELLED, 0, 301 * S, "SMTP timeout");
    m.next_retry = 1801 * S;
    trace_add_msg(tr, 3 * S, TR_MSG_DEFERRED, &m, "421 busy");
    if (timers) trace_add_timer(tr, 3 * S, TR_TIMER_SET, 0, 1801 * S, "SMTP retry");
    m.next_retry = -1;
    m.attempt = 2;
    trace_add_msg(tr, 1801 * S, TR_MSG_ATTEMPT, &m, NULL);
    struct trace_conn c = {1, 0, 0, 1, 40000, 25, 0};
    trace_append(tr, 1801 * S, TR_CONN_OPENED, &c, NULL, 0);
    trace_add_msg(tr, 1802 * S, TR_MSG_DELIVERED, &m, NULL);
    return tr;
}

/* With timer records: sets, a cancel that removes only its own timer, a
 * fired timer gone once its time has passed; earliest first. */
static void test_future_from_timers(void **state)
{
    (void)state;
    struct trace *tr = lt_trace(true);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_timer t[8];
    assert_int_equal(ui_future_at(m, 2, t, 8), 0);
    assert_int_equal(ui_future_at(m, 4, t, 8), 2);
    assert_string_equal(t[0].label, "TCP retransmit");
    assert_int_equal(t[0].due, 2 * S);
    assert_int_equal(t[0].host, 1);
    assert_string_equal(t[1].label, "SMTP timeout");
    assert_int_equal(t[1].due, 301 * S);
    /* Step 5: the cancel happened at 3 s; the retransmit (2 s) has fired. */
    assert_int_equal(ui_future_at(m, 5, t, 8), 0);
    assert_int_equal(ui_future_at(m, 7, t, 8), 1);
    assert_string_equal(t[0].label, "SMTP retry");
    assert_int_equal(t[0].due, 1801 * S);
    assert_int_equal(ui_future_at(m, 7, t, 0), 0); /* max 0 */
    assert_int_equal(ui_future_at(m, ui_model_steps(m), t, 8), 0);
    ui_model_free(m);
    trace_free(tr);
}

/* Without timer records: the retry from MSG_DEFERRED, until the attempt. */
static void test_future_derived(void **state)
{
    (void)state;
    struct trace *tr = lt_trace(false);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_timer t[8];
    assert_int_equal(ui_future_at(m, 2, t, 8), 0);
    assert_int_equal(ui_future_at(m, 3, t, 8), 1);
    assert_string_equal(t[0].label, "retry of message 1 (attempt 2)");
    assert_int_equal(t[0].host, 0);
    assert_int_equal(t[0].due, 1801 * S);
    assert_int_equal(ui_future_at(m, 4, t, 8), 0); /* the retry ran */
    ui_model_free(m);
    trace_free(tr);
}

/* Each run-until target lands on the step that shows its record. */
static void test_until_targets(void **state)
{
    (void)state;
    struct trace *tr = lt_trace(true);
    struct ui_model *m = ui_model_new(tr, NULL);
    /* records: 0 queued, 1 attempt 1, 2-3 set, 4 cancel, 5 deferred, 6 set,
     * 7 attempt 2, 8 conn opened, 9 delivered */
    assert_int_equal(ui_model_steps(m), 10);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_RETRY, 0), 8);
    assert_int_equal(ui_until_step(m, 8, UI_UNTIL_RETRY, 0), 8); /* none ahead */
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_CONNECTION, 0), 9);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_DELIVERY, 0), 10);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_FATE, 1), 10);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_FATE, 2), 0);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_TIME, 3 * S), 7);
    assert_int_equal(ui_until_step(m, 0, UI_UNTIL_TIME, 2 * S), 4);
    assert_int_equal(ui_until_step(m, 9, UI_UNTIL_TIME, 2 * S), 9); /* never back */
    struct ui_view v;
    ui_view_init(&v);
    v.playing = true;
    assert_true(ui_view_run_until(&v, m, UI_UNTIL_RETRY, 0));
    assert_int_equal(v.step, 8);
    assert_false(v.playing);
    assert_false(ui_view_run_until(&v, m, UI_UNTIL_RETRY, 0));
    assert_int_equal(v.step, 8);
    ui_model_free(m);
    trace_free(tr);
}

/* The menu: digits pick argument-free targets, typed text is the argument,
 * a bad time keeps the menu open. */
static void test_until_menu(void **state)
{
    (void)state;
    struct trace *tr = lt_trace(true);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_view v;
    ui_view_init(&v);
    ui_until_menu_open(&v);
    assert_int_equal(v.overlay, UI_OV_UNTIL);
    ui_until_menu_text(&v, "3");
    assert_int_equal(v.until_sel, UI_UNTIL_CONNECTION);
    assert_true(ui_until_menu_run(&v, m));
    assert_int_equal(v.step, 9);
    assert_int_equal(v.overlay, UI_OV_NONE);
    ui_view_seek(&v, m, 0);
    ui_until_menu_open(&v);
    ui_until_menu_move(&v, 1); /* connection -> time */
    assert_int_equal(v.until_sel, UI_UNTIL_TIME);
    ui_until_menu_text(&v, "3sx\b");
    assert_string_equal(v.until_text, "3s");
    assert_true(ui_until_menu_run(&v, m));
    assert_int_equal(v.step, 7);
    ui_until_menu_open(&v);
    ui_until_menu_text(&v, "5 minutes"); /* the space is dropped */
    assert_false(ui_until_menu_run(&v, m));
    assert_int_equal(v.overlay, UI_OV_UNTIL);
    ui_until_menu_move(&v, 1);
    ui_until_menu_text(&v, "\b\b\b\b\b\b\b\b\b1");
    assert_true(ui_until_menu_run(&v, m));
    assert_int_equal(v.step, 10);
    ui_model_free(m);
    trace_free(tr);
}

/* The panel draws (offscreen) with and without pending events. */
static void test_future_panel_draws(void **state)
{
    (void)state;
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(960, 540, &err);
    assert_non_null(g);
    struct trace *tr = lt_trace(true);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_view v;
    ui_view_init(&v);
    v.future = true;
    struct ui_stats a, b;
    ui_view_seek(&v, m, 4);
    ui_draw(g, m, &v, &a);
    ui_view_seek(&v, m, 5);
    ui_draw(g, m, &v, &b);
    assert_true(a.text_draws > b.text_draws); /* two timer rows against a sentence */
    v.overlay = UI_OV_UNTIL;
    ui_draw(g, m, &v, &b);
    assert_true(b.text_draws > a.text_draws);
    ui_model_free(m);
    trace_free(tr);
    ui_gfx_free(g);
}

/* An SMTP dialogue whose reply to RCPT is `reply`; conn 1, client host 0. */
static struct trace *lt_smtp(const char *reply)
{
    struct trace *tr = trace_new();
    trace_host_add(tr, 0, "mail.example.org", 0xc0000201u, false);
    trace_host_add(tr, 1, "mail.example.net", 0xc6336401u, false);
    /* The typed facts the engines record: verb, and CONT on the later lines
     * of a multi-line reply; the window pairs by these, not by the bytes. */
    static const struct {
        char side;
        const char *line;
        const char *verb;
        unsigned flags;
    } d[] = {{'S', "220 mail.example.net ESMTP\r\n", "", TRACE_LF_OK},       /* 0 */
             {'C', "EHLO mail.example.org\r\n", "EHLO", 0},                  /* 1 */
             {'S', "250-mail.example.net\r\n", "EHLO", TRACE_LF_OK},         /* 2 */
             {'S', "250 8BITMIME\r\n", "EHLO", TRACE_LF_OK | TRACE_LF_CONT}, /* 3 */
             {'C', "RCPT TO:<nobody@example.net>\r\n", "RCPT", 0},           /* 4 */
             {'S', NULL, "RCPT", 0}};                                        /* 5 */
    for (size_t i = 0; i < sizeof d / sizeof d[0]; i++) {
        char buf[128];
        snprintf(buf, sizeof buf, "%s\r\n", reply);
        const char *l = d[i].line ? d[i].line : buf;
        uint32_t host = d[i].side == 'S' ? 1 : 0;
        struct trace_line_facts lf = {d[i].verb, 0, d[i].flags, NULL};
        trace_add_line_facts(tr, (sim_us)i * 1000, TR_LINE_SENT, 1, host, 1 - host, d[i].side,
                             "SMTP", "a", "b", &lf, l, strlen(l));
    }
    return tr;
}

/* The quiz's right answer is the reply in the trace, whatever its text. */
static void test_quiz_follows_trace(void **state)
{
    (void)state;
    static const char *const replies[] = {"550 5.1.1 nobody here, friend", "250 2.1.5 fine"};
    for (size_t r = 0; r < 2; r++) {
        struct trace *tr = lt_smtp(replies[r]);
        struct ui_model *m = ui_model_new(tr, NULL);
        struct ui_quiz q;
        assert_true(ui_quiz_at(m, 5, &q));
        assert_string_equal(q.question,
                            "What does mail.example.net answer to RCPT TO:<nobody@example.net>?");
        assert_int_equal(q.rec, 5);
        assert_true(q.n_choices >= 3 && q.n_choices <= 4);
        assert_string_equal(q.choices[q.answer], replies[r]);
        for (size_t i = 0; i < q.n_choices; i++)
            if (i != q.answer) assert_memory_not_equal(q.choices[i], replies[r], 3);
        assert_string_equal(q.explain, r == 0
                                           ? "Mailbox unavailable: permanent failure, the "
                                             "message bounces (RFC 5321 §4.2.2)"
                                           : "Requested action okay, completed (RFC 5321 §4.2.2)");
        /* The greeting and the EHLO reply are questions; the continuation is not. */
        assert_true(ui_quiz_at(m, 0, &q));
        assert_string_equal(q.choices[q.answer], "220 mail.example.net ESMTP");
        assert_true(ui_quiz_at(m, 2, &q));
        assert_string_equal(q.question,
                            "What does mail.example.net answer to EHLO mail.example.org?");
        assert_false(ui_quiz_at(m, 1, &q));
        assert_false(ui_quiz_at(m, 3, &q));
        assert_int_equal(ui_quiz_next(m, 1), 2);
        assert_int_equal(ui_quiz_next(m, 3), 5);
        assert_int_equal(ui_quiz_next(m, 6), 6);
        ui_model_free(m);
        trace_free(tr);
    }
}

/* Playing in quiz mode stops before each answer; picking scores; going on
 * passes the question and stops at the next. */
static void test_quiz_play(void **state)
{
    (void)state;
    struct trace *tr = lt_smtp("550 5.1.1 no");
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_view v;
    ui_view_init(&v);
    v.quiz = true;
    v.step = 1;
    v.playing = true;
    ui_view_advance(&v, m, 1000.0);
    assert_int_equal(v.step, 2);
    assert_false(v.playing);
    assert_int_equal(v.overlay, UI_OV_QUIZ);
    struct ui_quiz q;
    assert_true(ui_quiz_at(m, v.quiz_step, &q));
    assert_false(ui_quiz_pick(&v, m, (int)q.n_choices)); /* no such choice */
    assert_true(ui_quiz_pick(&v, m, (int)q.answer));
    assert_false(ui_quiz_pick(&v, m, 0)); /* once */
    assert_int_equal(v.quiz_right, 1);
    assert_int_equal(v.quiz_asked, 1);
    assert_true(ui_quiz_continue(&v, m));
    assert_true(v.playing);
    ui_view_advance(&v, m, 1000.0);
    assert_int_equal(v.step, 5);
    assert_int_equal(v.overlay, UI_OV_QUIZ);
    assert_true(ui_quiz_reveal(&v));
    assert_int_equal(v.quiz_right, 1);
    assert_int_equal(v.quiz_asked, 2);
    ui_quiz_continue(&v, m);
    ui_view_advance(&v, m, 1000.0);
    assert_int_equal(v.step, 6);
    assert_false(v.playing);
    /* Without quiz mode nothing stops. */
    ui_view_init(&v);
    v.playing = true;
    ui_view_advance(&v, m, 1000.0);
    assert_int_equal(v.step, 6);
    ui_model_free(m);
    trace_free(tr);
}

/* Queue decisions are questions too; the kind of the record is the answer. */
static void test_quiz_decision(void **state)
{
    (void)state;
    struct trace *tr = lt_trace(false);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_quiz q;
    assert_int_equal(ui_quiz_next(m, 0), 2); /* the DEFERRED */
    assert_true(ui_quiz_at(m, 2, &q));
    assert_string_equal(q.question, "What happens to message 1 at mail.example.org now?");
    assert_string_equal(q.choices[q.answer], "It stays queued and is retried later");
    assert_string_equal(q.explain, "RFC 5321 §4.5.4.1: retry strategy (4yz reply or no answer). "
                                   "Reason: 421 busy");
    assert_int_equal(ui_quiz_next(m, 3), 5); /* the DELIVERED */
    assert_true(ui_quiz_at(m, 5, &q));
    assert_string_equal(q.choices[q.answer], "It is delivered");
    ui_model_free(m);
    trace_free(tr);
}

/* Pins: candidates are the trace's mailboxes then the servers' queues;
 * toggling pins and unpins, at most UI_MAX_PINS; pinned cards are drawn. */
static void test_pins(void **state)
{
    (void)state;
    /* Lesson 01 as the engines run it. */
    struct scn_error se;
    struct scn_scenario *scn = scn_load_file("scenarios/01-alice-to-bob.json", NULL, &se);
    assert_non_null(scn);
    struct ms_error werr;
    struct trace *tr = world_simulate(scn, false, &werr);
    assert_non_null(tr);
    struct ui_model *m = ui_model_new(tr, scn);
    struct ui_pin c[16];
    size_t n = ui_pin_candidates(m, c, 16);
    assert_true(n >= 3 && n <= 16);
    char label[160];
    ui_pin_label(m, &c[0], label, sizeof label);
    assert_string_equal(label, "bob INBOX on mail.example.net");
    ui_pin_label(m, &c[n - 1], label, sizeof label);
    assert_string_equal(label, "queue of mail.example.net");
    assert_int_equal(ui_pin_candidates(m, c, 0), n);
    struct ui_view v;
    ui_view_init(&v);
    ui_view_seek(&v, m, ui_model_steps(m));
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(960, 540, &err);
    assert_non_null(g);
    struct ui_stats a, b;
    ui_draw(g, m, &v, &a);
    assert_true(ui_view_pin_toggle(&v, &c[0]));
    assert_true(ui_view_pin_toggle(&v, &c[n - 1]));
    assert_int_equal(v.n_pins, 2);
    ui_draw(g, m, &v, &b);
    assert_true(b.text_draws > a.text_draws);   /* a title and a line per card */
    assert_true(ui_view_pin_toggle(&v, &c[0])); /* unpin */
    assert_int_equal(v.n_pins, 1);
    assert_int_equal(v.pins[0].user, TRACE_NONE);
    for (size_t i = 0; i < 3 && i < n - 1; i++) assert_true(ui_view_pin_toggle(&v, &c[i]));
    assert_int_equal(v.n_pins, n >= 4 ? 4 : n);
    struct ui_pin other = {99, TRACE_NONE, TRACE_NONE};
    if (v.n_pins == UI_MAX_PINS) assert_false(ui_view_pin_toggle(&v, &other)); /* full */
    ui_gfx_free(g);
    ui_model_free(m);
    trace_free(tr);
    scn_free(scn);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_future_from_timers),
        cmocka_unit_test(test_future_derived),
        cmocka_unit_test(test_until_targets),
        cmocka_unit_test(test_until_menu),
        cmocka_unit_test(test_future_panel_draws),
        cmocka_unit_test(test_quiz_follows_trace),
        cmocka_unit_test(test_quiz_play),
        cmocka_unit_test(test_quiz_decision),
        cmocka_unit_test(test_pins),
    };
    return cmocka_run_group_tests_name("ui_lecture", tests, NULL, NULL);
}
