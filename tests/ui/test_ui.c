/* test_ui.c -- the lecture window offscreen: frames are not blank, draw the
 * hosts they should, are pixel-identical however the step was reached, and
 * the model's keyframes agree with a plain replay. Uses lesson 03 as the
 * engines simulate it (a server down for a while, a retry, a lost SYN) and a
 * large generated trace (ui_bench_trace). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_image.h>

#include "mail/world.h"
#include "trace/transcript.h"
#include "ui/ui_int.h"

#define W 1280
#define H 720

struct fx {
    struct scn_scenario *scn;
    struct trace *tr;
    struct ui_model *m;
    struct ui_gfx *g;
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct ms_error err;
    struct scn_error se;
    f->scn = scn_load_file("scenarios/03-server-down-two-hours.json", NULL, &se);
    if (!f->scn) {
        fprintf(stderr, "lesson 03: %s\n", se.text);
        return -1;
    }
    f->tr = world_simulate(f->scn, false, &err);
    if (!f->tr) {
        fprintf(stderr, "lesson 03: %s\n", err.msg);
        return -1;
    }
    f->m = ui_model_new(f->tr, f->scn);
    f->g = ui_gfx_new_offscreen(W, H, &err);
    if (!f->g) {
        fprintf(stderr, "offscreen renderer: %s\n", err.msg);
        return -1;
    }
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    ui_gfx_free(f->g);
    ui_model_free(f->m);
    trace_free(f->tr);
    scn_free(f->scn);
    free(f);
    TTF_Quit();
    return 0;
}

/* A copy of the frame of view v. */
static uint8_t *frame(struct fx *f, const struct ui_view *v, struct ui_stats *st)
{
    ui_draw(f->g, f->m, v, st);
    int w, h, pitch;
    const void *px = ui_gfx_pixels(f->g, &w, &h, &pitch);
    assert_non_null(px);
    assert_int_equal(w, W);
    assert_int_equal(h, H);
    uint8_t *copy = malloc((size_t)pitch * (size_t)h);
    memcpy(copy, px, (size_t)pitch * (size_t)h);
    return copy;
}

static size_t frame_bytes(struct fx *f)
{
    int w, h, pitch;
    ui_gfx_pixels(f->g, &w, &h, &pitch);
    return (size_t)pitch * (size_t)h;
}

/* Distinct colours in a frame (up to 64 counted). */
static int colours(const uint8_t *px, size_t bytes)
{
    uint32_t seen[64];
    int n = 0;
    for (size_t i = 0; i + 4 <= bytes && n < 64; i += 4 * 7) {
        uint32_t c;
        memcpy(&c, px + i, 4);
        int j = 0;
        while (j < n && seen[j] != c) j++;
        if (j == n) seen[n++] = c;
    }
    return n;
}

static void test_frames_not_blank_and_hosts_drawn(void **state)
{
    struct fx *f = *state;
    size_t n = ui_model_steps(f->m);
    assert_true(n > 300);
    size_t steps[] = {0, 1, 60, 130, 150, n / 2, n};
    for (size_t i = 0; i < MS_ARRAY_LEN(steps); i++) {
        struct ui_view v;
        ui_view_init(&v);
        ui_view_seek(&v, f->m, steps[i]);
        struct ui_stats st;
        uint8_t *px = frame(f, &v, &st);
        assert_true(colours(px, frame_bytes(f)) > 10);
        assert_int_equal(st.hosts, 6);
        assert_int_equal(st.links, 5);
        assert_true(st.text_draws > 20);
        free(px);
    }
}

/* Index of the n-th (from 0) record of kind, or SIZE_MAX. */
static size_t find_kind(const struct trace *tr, enum trace_kind kind, int n)
{
    for (size_t i = 0; i < trace_count(tr); i++)
        if (trace_get(tr, i)->kind == (uint32_t)kind && n-- == 0) return i;
    return SIZE_MAX;
}

static void test_down_host_and_queue(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    struct ui_stats st;
    ui_view_init(&v);
    size_t down = find_kind(f->tr, TR_HOST_DOWN, 0), up = find_kind(f->tr, TR_HOST_UP, 0);
    assert_int_equal(down, 1);
    assert_true(up != SIZE_MAX);
    ui_view_seek(&v, f->m, down);
    free(frame(f, &v, &st));
    assert_int_equal(st.hosts_down, 0);
    ui_view_seek(&v, f->m, down + 1);
    free(frame(f, &v, &st));
    assert_int_equal(st.hosts_down, 1);
    ui_view_seek(&v, f->m, up);
    free(frame(f, &v, &st));
    assert_int_equal(st.hosts_down, 1);
    assert_int_equal(st.envelopes, 1); /* the deferred message waits */
    ui_view_seek(&v, f->m, up + 1);
    free(frame(f, &v, &st));
    assert_int_equal(st.hosts_down, 0);
}

static void test_packets_in_flight(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    struct ui_stats st;
    ui_view_init(&v);
    /* Just after the first SYN leaves alice-pc. */
    size_t syn = find_kind(f->tr, TR_SEG_SENT, 0);
    ui_view_seek(&v, f->m, syn + 1);
    free(frame(f, &v, &st));
    assert_int_equal(st.packets, 1);
    assert_int_equal(st.labels, 1);
    /* With TCP detail off, the bare SYN is hidden. */
    v.tcp_detail = false;
    free(frame(f, &v, &st));
    assert_int_equal(st.packets, 0);
    /* A lost SYN falls, for a moment. */
    v.tcp_detail = true;
    size_t lost = find_kind(f->tr, TR_SEG_LOST, 0);
    ui_view_seek(&v, f->m, lost + 1);
    free(frame(f, &v, &st));
    assert_int_equal(st.packets_lost, 1);
    ui_view_seek(&v, f->m, find_kind(f->tr, TR_HOST_UP, 0) + 1); /* minutes later */
    free(frame(f, &v, &st));
    assert_int_equal(st.packets_lost, 0);
}

static void test_step_back_equals_step_forward(void **state)
{
    struct fx *f = *state;
    size_t n = ui_model_steps(f->m);
    size_t targets[] = {7, 61, 118, 151, 300};
    for (size_t t = 0; t < MS_ARRAY_LEN(targets); t++) {
        size_t k = targets[t];
        struct ui_view v;
        ui_view_init(&v);
        ui_view_seek(&v, f->m, k);
        uint8_t *seek = frame(f, &v, NULL);
        /* Forward, drawing every step on the way (warms the text cache). */
        ui_view_seek(&v, f->m, k > 12 ? k - 12 : 0);
        while (v.step < k) {
            free(frame(f, &v, NULL));
            ui_view_step(&v, f->m, 1);
        }
        uint8_t *fwd = frame(f, &v, NULL);
        /* Backward from further on. */
        ui_view_seek(&v, f->m, k + 12 < n ? k + 12 : n);
        while (v.step > k) {
            free(frame(f, &v, NULL));
            ui_view_step(&v, f->m, -1);
        }
        uint8_t *back = frame(f, &v, NULL);
        assert_memory_equal(seek, fwd, frame_bytes(f));
        assert_memory_equal(seek, back, frame_bytes(f));
        free(seek);
        free(fwd);
        free(back);
    }
}

static void test_playing_lands_on_the_same_frame(void **state)
{
    struct fx *f = *state;
    struct ui_view v, w;
    ui_view_init(&v);
    v.playing = true;
    /* Play in small wall-time slices until step 40 is reached. */
    while (v.step < 40) ui_view_advance(&v, f->m, 0.01);
    v.playing = false;
    v.frac = 0;
    ui_view_init(&w);
    ui_view_seek(&w, f->m, v.step);
    uint8_t *a = frame(f, &v, NULL);
    uint8_t *b = frame(f, &w, NULL);
    assert_memory_equal(a, b, frame_bytes(f));
    free(a);
    free(b);
    /* Playing to the end stops there. */
    v.playing = true;
    ui_view_advance(&v, f->m, 1e6);
    assert_int_equal(v.step, ui_model_steps(f->m));
    assert_false(v.playing);
}

/* Real time (W): one simulated second takes one second of wall time, idle
 * gaps included; the status line says so; W and [ ] switch it. */
static void test_realtime(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, 1);
    sim_us t0 = ui_view_time(&v, f->m);
    v.realtime = true;
    v.playing = true;
    for (int i = 0; i < 20; i++) ui_view_advance(&v, f->m, 0.05);
    sim_us dt = ui_view_time(&v, f->m) - t0;
    if (dt < SIM_US_PER_S - 2000 || dt > SIM_US_PER_S + 2000)
        fail_msg("1 s of wall time in real time moved the clock %lld us", (long long)dt);
    /* A gap of over a minute (the server is down): half a minute of wall
     * time is half a minute on the clock, still short of the next record. */
    const struct trace *tr = f->tr;
    size_t k = 1;
    while (k < trace_count(tr) && trace_get(tr, k)->t - trace_get(tr, k - 1)->t < 60 * SIM_US_PER_S)
        k++;
    assert_true(k < trace_count(tr));
    ui_view_seek(&v, f->m, k);
    v.playing = true;
    ui_view_advance(&v, f->m, 30.0);
    assert_int_equal(v.step, k);
    dt = ui_view_time(&v, f->m) - trace_get(tr, k - 1)->t;
    assert_true(dt > 30 * SIM_US_PER_S - 2000 && dt < 30 * SIM_US_PER_S + 2000);
    /* The status line names it. */
    v.playing = false;
    ui_gfx_record(f->g, true);
    ui_draw(f->g, f->m, &v, NULL);
    size_t n;
    const struct ui_box *bx = ui_gfx_boxes(f->g, &n);
    bool said = false;
    for (size_t i = 0; i < n; i++)
        said |= bx[i].kind == UI_BOX_TEXT && strcmp(bx[i].role, "status") == 0 &&
                strstr(bx[i].text, "speed real time (1 s = 1 s)") != NULL;
    assert_true(said);
    ui_gfx_record(f->g, false);
    /* W switches it from the key table, [ goes back to the speed scale. */
    struct ui_win w;
    memset(&w, 0, sizeof w);
    ui_view_init(&w.v);
    w.m = f->m;
    assert_true(ui_key_dispatch(&w, SDLK_w, 0));
    assert_true(w.v.realtime);
    assert_true(ui_key_dispatch(&w, SDLK_w, 0));
    assert_false(w.v.realtime);
    w.v.realtime = true;
    assert_true(ui_key_dispatch(&w, SDLK_LEFTBRACKET, 0));
    assert_false(w.v.realtime);
    assert_int_equal(w.v.speed, 3); /* the scale as it was */
    bool helped = false;
    for (size_t i = 0; i < ui_n_keys; i++)
        helped |= ui_keys[i].key == SDLK_w && ui_keys[i].mode == UI_MODE_MAIN && ui_keys[i].help &&
                  strstr(ui_keys[i].help, "real time");
    assert_true(helped);
}

/* Zoom (+ and -) by the key table: 10% a step, up to the largest the frame
 * takes, down to UI_ZOOM_MIN; 0 resets. */
static void test_zoom_keys(void **state)
{
    struct fx *f = *state;
    struct ui_win w;
    memset(&w, 0, sizeof w);
    ui_view_init(&w.v);
    w.m = f->m;
    struct ms_error err;
    w.g = ui_gfx_new_offscreen(1920, 1080, &err);
    assert_non_null(w.g);
    double max = ui_zoom_max(1920, 1080);
    assert_true(max > 1.3 && max < 1.32);
    assert_true(ui_zoom_max(1280, 720) == 1);
    for (int i = 0; i < 10; i++) ui_key_dispatch(&w, SDLK_PLUS, 0);
    assert_true(w.v.zoom == max);
    assert_string_not_equal(w.v.notice, ""); /* says why it stops */
    /* The window shrinks to 1280x720: - zooms out from what it shows (1). */
    ui_gfx_free(w.g);
    w.g = ui_gfx_new_offscreen(1280, 720, &err);
    assert_non_null(w.g);
    ui_key_dispatch(&w, SDLK_MINUS, 0);
    assert_true(w.v.zoom > 0.9 && w.v.zoom < 0.91);
    ui_key_dispatch(&w, SDLK_0, 0);
    assert_true(w.v.zoom == 1);
    ui_key_dispatch(&w, SDLK_MINUS, 0);
    assert_true(w.v.zoom > 0.9 && w.v.zoom < 0.91);
    for (int i = 0; i < 20; i++) ui_key_dispatch(&w, SDLK_MINUS, 0);
    assert_true(w.v.zoom >= UI_ZOOM_MIN && w.v.zoom < UI_ZOOM_MIN * UI_ZOOM_STEP);
    ui_gfx_free(w.g);
}

static void test_navigation(void **state)
{
    struct fx *f = *state;
    const struct trace *tr = f->tr;
    struct ui_view v;
    ui_view_init(&v);
    ui_view_step_line(&v, f->m, 1);
    assert_int_equal(trace_get(tr, v.step - 1)->kind, TR_LINE_SENT);
    size_t first = v.step;
    ui_view_step_line(&v, f->m, 1);
    assert_true(v.step > first);
    assert_int_equal(trace_get(tr, v.step - 1)->kind, TR_LINE_SENT);
    ui_view_step_line(&v, f->m, -1);
    assert_int_equal(v.step, first);
    ui_view_step_line(&v, f->m, -1); /* nothing before: stays */
    assert_int_equal(v.step, first);
    ui_view_seek(&v, f->m, 0);
    ui_view_step_message(&v, f->m, 1);
    assert_int_equal(trace_get(tr, v.step - 1)->kind, TR_MSG_COMPOSED);
    size_t composed = v.step;
    ui_view_step_message(&v, f->m, 1); /* queued at the server, then submitted */
    assert_true(v.step > composed);
    assert_non_null(trace_as_msg(trace_get(tr, v.step - 1)));
    ui_view_step(&v, f->m, -100000);
    assert_int_equal(v.step, 0);
    ui_view_step(&v, f->m, 100000);
    assert_int_equal(v.step, ui_model_steps(f->m));
    assert_int_equal(ui_model_step_at_where(f->m, 0.0), 0);
    assert_int_equal(ui_model_step_at_where(f->m, 1.0), ui_model_steps(f->m));
    size_t mid = ui_model_step_at_where(f->m, 0.5);
    assert_true(mid > 0 && mid < ui_model_steps(f->m));
}

/* C chooses the dialogue's connection among those that have spoken by the
 * current step, then goes back to following the step; the panel's header
 * names the chosen connection, and a chosen connection changes the frame. */
static void test_dialogue_connection_choice(void **state)
{
    struct fx *f = *state;
    const struct trace *tr = f->tr;
    struct ui_view v;
    ui_view_init(&v);
    assert_int_equal(ui_view_cycle_conn(&v, f->m), 0); /* nothing has spoken at step 0 */
    ui_view_seek(&v, f->m, ui_model_steps(f->m));
    uint32_t seen[64];
    size_t n = 0;
    for (uint32_t c = ui_view_cycle_conn(&v, f->m); c != 0; c = ui_view_cycle_conn(&v, f->m)) {
        assert_true(n < 64);
        if (n) assert_true(c > seen[n - 1]); /* increasing ids, each once */
        seen[n++] = c;
    }
    assert_int_equal(v.conn, 0);
    /* Every connection that sent a line is offered. */
    size_t with_lines = 0;
    for (uint32_t c = 1; c < 64; c++) {
        for (size_t k = 0; k < trace_count(tr); k++) {
            const struct trace_line *l = trace_as_line(trace_get(tr, k));
            if (l && trace_get(tr, k)->kind == TR_LINE_SENT && l->conn == c) {
                with_lines++;
                break;
            }
        }
    }
    assert_int_equal(n, with_lines);
    assert_true(n >= 2);
    /* Showing the first connection at the end differs from following the step
     * (the demo's last lines are on a later connection). */
    uint8_t *follow = frame(f, &v, NULL);
    ui_view_cycle_conn(&v, f->m);
    assert_int_equal(v.conn, seen[0]);
    uint8_t *chosen = frame(f, &v, NULL);
    assert_true(memcmp(follow, chosen, frame_bytes(f)) != 0);
    free(follow);
    free(chosen);
}

static void test_hits(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, 129);
    free(frame(f, &v, NULL));
    /* Find each host by scanning the topology for host hits. */
    bool found[6] = {false};
    for (int y = 40; y < H * 3 / 4; y += 4)
        for (int x = 0; x < W * 6 / 10; x += 4) {
            struct ui_hit h = ui_gfx_hit(f->g, x, y);
            if (h.kind == UI_HIT_HOST && h.id < 6) found[h.id] = true;
        }
    for (int i = 0; i < 6; i++) assert_true(found[i]);
    struct ui_hit tl = ui_gfx_hit(f->g, W / 2, H - 10);
    assert_int_equal(tl.kind, UI_HIT_TIMELINE);
    assert_true(tl.where > 0.4 && tl.where < 0.6);
}

static void test_overlays_draw(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    struct ui_stats st;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, 200);
    free(frame(f, &v, &st));
    unsigned base = st.text_draws;
    v.overlay = UI_OV_HELP;
    free(frame(f, &v, &st));
    assert_true(st.text_draws >= base + 40); /* 20 rows of key and meaning */
    v.overlay = UI_OV_INSPECT;
    v.inspect = find_kind(f->tr, TR_SEG_SENT, 0); /* the first SYN */
    free(frame(f, &v, &st));
    assert_true(st.text_draws > base);
    v.overlay = UI_OV_MESSAGE;
    v.msg_host = 1;
    free(frame(f, &v, &st));
    assert_true(st.text_draws > base);
}

static void test_text_cache(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    struct ui_stats st;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, 222);
    free(frame(f, &v, &st));
    free(frame(f, &v, &st));
    assert_int_equal(st.text_renders, 0); /* the same frame again renders no text */
    assert_true(st.text_draws > 20);
}

/* The state at a step, as a replay of every record before it computes it:
 * the window's histories must give exactly this. */
struct replay {
    uint8_t down[64], link_down[64];
    uint32_t q_len[64];
    sim_us q_next[64];
    struct ui_mbox mb[256];
    size_t n_mb, narration, last_line;
};

static void replay_apply(const struct trace *tr, struct replay *p, size_t i)
{
    const struct trace_rec *r = trace_get(tr, i);
    const struct trace_ref *ref = trace_body(r);
    switch ((enum trace_kind)r->kind) {
    case TR_HOST_UP:
    case TR_HOST_DOWN:
        if (ref->id < 64) p->down[ref->id] = r->kind == TR_HOST_DOWN;
        break;
    case TR_LINK_UP:
    case TR_LINK_DOWN:
        if (ref->id < 64) p->link_down[ref->id] = r->kind == TR_LINK_DOWN;
        break;
    case TR_QUEUE_CHANGED: {
        const struct trace_queue *q = trace_body(r);
        if (q->host < 64) {
            p->q_len[q->host] = q->length;
            p->q_next[q->host] = q->next_retry;
        }
        break;
    }
    case TR_MAILBOX_CHANGED: {
        const struct trace_mailbox *b = trace_body(r);
        size_t pos = 0;
        int c = 1;
        while (pos < p->n_mb) { /* sorted by host, user, folder by name */
            const struct ui_mbox *o = &p->mb[pos];
            c = o->host != b->host ? (o->host < b->host ? -1 : 1)
                                   : strcmp(trace_str(tr, o->user), trace_str(tr, b->user));
            if (c == 0 && o->host == b->host)
                c = strcmp(trace_str(tr, o->folder), trace_str(tr, b->folder));
            if (c >= 0) break;
            pos++;
        }
        if (pos == p->n_mb || c != 0) {
            assert_true(p->n_mb < 256);
            memmove(&p->mb[pos + 1], &p->mb[pos], (p->n_mb - pos) * sizeof *p->mb);
            p->n_mb++;
        }
        p->mb[pos] = (struct ui_mbox){b->host, b->user, b->folder, b->count, b->unseen};
        break;
    }
    case TR_NARRATION:
        p->narration = i + 1;
        break;
    case TR_LINE_SENT:
        p->last_line = i + 1;
        break;
    default:
        break;
    }
}

static void state_agrees_with_replay(const struct trace *tr, size_t every)
{
    struct ui_model *m = ui_model_new(tr, NULL);
    assert_true(m->nh <= 64 && m->nl <= 64);
    struct ui_state st;
    ui_state_init(m, &st);
    struct replay p;
    memset(&p, 0, sizeof p);
    for (size_t h = 0; h < 64; h++) p.q_next[h] = -1;
    size_t checked = 0;
    for (size_t k = 0; k <= trace_count(tr); k++) {
        if (k % every == 0 || k == trace_count(tr)) {
            ui_model_state(m, k, &st);
            for (size_t h = 0; h < m->nh; h++) {
                assert_int_equal(st.host_down[h], p.down[h]);
                assert_int_equal(st.q_len[h], p.q_len[h]);
                assert_true(st.q_next[h] == p.q_next[h]);
            }
            for (size_t l = 0; l < m->nl; l++) assert_int_equal(st.link_down[l], p.link_down[l]);
            assert_int_equal(st.n_mb, p.n_mb);
            assert_memory_equal(st.mb, p.mb, p.n_mb * sizeof *p.mb);
            assert_int_equal(st.narration, p.narration);
            assert_int_equal(st.last_line, p.last_line);
            checked++;
        }
        if (k < trace_count(tr)) replay_apply(tr, &p, k);
    }
    assert_true(checked > 10);
    ui_state_free(&st);
    ui_model_free(m);
}

static void test_state_agrees_with_replay(void **state)
{
    struct fx *f = *state;
    state_agrees_with_replay(f->tr, 1); /* lesson 03: a server down, queues */
    struct trace *tr = ui_bench_trace(12, 50, 5000);
    state_agrees_with_replay(tr, 7);
    trace_free(tr);
    /* Mailboxes in several folders and users: IMAP folders, POP3. */
    const char *lessons[] = {"scenarios/10-imap-folders.json",
                             "scenarios/08-pop3-download-and-delete.json",
                             "scenarios/15-chaos-busy-server.json"};
    for (size_t i = 0; i < sizeof lessons / sizeof *lessons; i++) {
        struct scn_error se;
        struct ms_error err;
        struct scn_scenario *scn = scn_load_file(lessons[i], NULL, &se);
        assert_non_null(scn);
        struct trace *lt = world_simulate(scn, false, &err);
        assert_non_null(lt);
        state_agrees_with_replay(lt, 1);
        trace_free(lt);
        scn_free(scn);
    }
}

/* A segment's label says "[TLS] " exactly when its sender had written a line
 * inside TLS on that connection by the segment's time (the model's table
 * against a scan of every line up to its time, in lesson 23). */
static void test_tls_labels(void **state)
{
    (void)state;
    struct scn_error se;
    struct ms_error err;
    struct scn_scenario *scn = scn_load_file("scenarios/23-starttls.json", NULL, &se);
    assert_non_null(scn);
    struct trace *tr = world_simulate(scn, false, &err);
    assert_non_null(tr);
    struct ui_model *m = ui_model_new(tr, scn);
    size_t with = 0, without = 0;
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        const struct trace_seg *s = trace_as_seg(r);
        size_t dlen;
        const uint8_t *data = trace_data(r, &dlen);
        if (!s || r->kind != TR_SEG_SENT || s->len == 0 || dlen == 0) continue;
        bool inside = false;
        /* Records are in time order; a line of the same instant counts,
         * wherever it stands beside the segment. */
        for (size_t i = 0; i < trace_count(tr) && !inside; i++) {
            const struct trace_rec *q = trace_get(tr, i);
            if (q->t > r->t) break;
            const struct trace_line *l = trace_as_line(q);
            inside = l && q->kind == TR_LINE_SENT && l->conn == s->conn && l->host == s->src &&
                     (l->flags & TRACE_LF_TLS);
        }
        char text[96];
        ui_payload_text(m, k, s, data, dlen, text, sizeof text);
        assert_int_equal(strncmp(text, "[TLS] ", 6) == 0, inside);
        with += inside;
        without += !inside;
    }
    assert_true(with > 0 && without > 0);
    ui_model_free(m);
    trace_free(tr);
    scn_free(scn);
}

static void test_layout_from_scenario(void **state)
{
    struct fx *f = *state;
    const struct scn_scenario *scn = f->scn;
    struct ui_model *m = f->m;
    /* Each host where the lesson's "pos" puts it (else laid out in the panel). */
    assert_true(scn->n_hosts >= 6);
    size_t matched = 0;
    for (size_t h = 0; h < m->nh; h++)
        for (size_t i = 0; i < scn->n_hosts; i++) {
            if (strcmp(scn->hosts[i].name, m->hosts[h].name) != 0) continue;
            if (scn->hosts[i].has_pos) {
                assert_true(fabs(m->hosts[h].x - scn->hosts[i].x) < 1e-6);
                assert_true(fabs(m->hosts[h].y - scn->hosts[i].y) < 1e-6);
            } else { /* laid out automatically, inside the panel */
                assert_true(m->hosts[h].x >= 0 && m->hosts[h].x <= 1);
                assert_true(m->hosts[h].y >= 0 && m->hosts[h].y <= 1);
            }
            matched++;
        }
    assert_int_equal(matched, scn->n_hosts);
    assert_string_equal(ui_model_title(m), scn->title);
    struct ui_model *auto_m = ui_model_new(f->tr, NULL); /* without a scenario: by links */
    assert_true(auto_m->hosts[0].x != auto_m->hosts[1].x ||
                auto_m->hosts[0].y != auto_m->hosts[1].y);
    ui_model_free(auto_m);
}

/* What the window says (a failed reload) takes the narration bar, in the
 * warning colour, until a key clears it; without it the bar is as before. */
static void test_notice_in_narration_bar(void **state)
{
    struct fx *f = *state;
    struct ui_view v;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, 5);
    uint8_t *plain = frame(f, &v, NULL);
    snprintf(v.notice, sizeof v.notice,
             "reload failed, the old scenario stays: x.json:4:1: "
             "expected a value");
    v.notice_bad = true;
    uint8_t *bad = frame(f, &v, NULL);
    int w, h, pitch;
    ui_gfx_pixels(f->g, &w, &h, &pitch);
    /* The bar sits just above the timeline (80 px tall at scale 1): at
     * least 132 px, at most a third of the frame. */
    double sc = f->g->scale;
    int y = H - (int)((80 + 66) * sc);
    uint32_t a, b;
    memcpy(&a, plain + (size_t)y * (size_t)pitch + 4 * 4, 4);
    memcpy(&b, bad + (size_t)y * (size_t)pitch + 4 * 4, 4);
    assert_int_equal(b & 0xffffff, 0xd55e00);
    assert_int_not_equal(a & 0xffffff, 0xd55e00);
    /* Only the bar changed. */
    size_t top = (size_t)(H - (int)(80 * sc) - H / 3 - 2) * (size_t)pitch; /* bar <= H/3 */
    assert_memory_equal(plain, bad, top);
    v.notice[0] = '\0';
    uint8_t *back = frame(f, &v, NULL);
    assert_memory_equal(plain, back, frame_bytes(f));
    free(back);
    free(bad);
    free(plain);
}

static void test_empty_trace(void **state)
{
    struct fx *f = *state;
    struct trace *tr = trace_new();
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_view v;
    struct ui_stats st;
    ui_view_init(&v);
    assert_int_equal(ui_model_steps(m), 0);
    ui_view_step(&v, m, 1);
    ui_view_step_line(&v, m, 1);
    ui_view_step_message(&v, m, -1);
    assert_int_equal(v.step, 0);
    v.playing = true;
    ui_view_advance(&v, m, 1.0);
    assert_false(v.playing);
    for (int o = UI_OV_NONE; o <= UI_OV_MESSAGE; o++) {
        v.overlay = (enum ui_overlay)o;
        ui_draw(f->g, m, &v, &st);
        assert_int_equal(st.hosts, 0);
        assert_int_equal(st.packets, 0);
    }
    ui_model_free(m);
    trace_free(tr);
}

static void test_rfc_table(void **state)
{
    (void)state;
    const char *mean, *rfc;
    assert_true(ui_rfc_explain("SMTP", "MAIL FROM:<a@b>\r\n", 17, &mean, &rfc));
    assert_string_equal(rfc, "RFC 5321 §4.1.1.2");
    assert_true(ui_rfc_explain("SMTP", "250-PIPELINING", 14, &mean, &rfc));
    assert_string_equal(mean, "Requested action okay, completed");
    assert_true(ui_rfc_explain("SMTP", ".\r\n", 3, &mean, &rfc));
    assert_string_equal(rfc, "RFC 5321 §4.1.1.4");
    assert_true(ui_rfc_explain("SMTP", "421 4.3.2 shutting down", 23, &mean, &rfc));
    assert_string_equal(mean, "Service not available, closing (try again later)");
    assert_true(ui_rfc_explain("SMTP", "458 odd", 7, &mean, &rfc));
    assert_string_equal(rfc, "RFC 5321 §4.2.1");
    assert_true(ui_rfc_explain("IMAP", "a1 SELECT INBOX", 15, &mean, &rfc));
    assert_string_equal(rfc, "RFC 3501 §6.3.1");
    assert_true(ui_rfc_explain("IMAP", "* 3 EXISTS", 10, &mean, &rfc));
    assert_string_equal(rfc, "RFC 3501 §7");
    assert_true(ui_rfc_explain("POP3", "-ERR no such message", 20, &mean, &rfc));
    assert_string_equal(mean, "Negative reply");
    assert_true(ui_rfc_explain("HTTP", "HTTP/1.1 404 Not Found", 22, &mean, &rfc));
    assert_string_equal(rfc, "RFC 9110 §15.5.5");
    assert_false(ui_rfc_explain("SMTP", "MAILX", 5, &mean, &rfc));
    assert_string_equal(mean, "");
    assert_string_equal(rfc, "");
    assert_false(ui_rfc_explain("SMTP", "Hi Bob", 6, &mean, &rfc));
}

static struct trace *cli_sim(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, true, err);
}

/* ui_cli_run on a NULL-terminated list: "mailsim", the file, then options
 * (each with its value when it takes one), as main.c hands them over. */
static int run_cli(const char *const *args)
{
    static const char *const flags[] = {"--text", "--no-tcp-detail", "--force",       "--future",
                                        "--quiz", "--pick",          "--help-overlay"};
    struct ui_cli c;
    ui_cli_init(&c);
    c.file = args[1];
    for (int i = 2; args[i]; i++) {
        bool flag = false;
        for (size_t k = 0; k < sizeof flags / sizeof flags[0]; k++)
            flag = flag || strcmp(args[i], flags[k]) == 0;
        int rc = ui_cli_opt(&c, args[i], flag ? NULL : args[i + 1]);
        if (rc != 0) return rc < 0 ? 2 : rc; /* -1: not a window option */
        if (!flag) i++;
    }
    static const struct ui_sim sim = {NULL, cli_sim, trace_transcript};
    return ui_cli_run(&c, &sim);
}

static void test_cli(void **state)
{
    (void)state;
    char out[256];
    snprintf(out, sizeof out, "/tmp/mailsim-test-ui-%d.png", (int)getpid());
    const char *ok[] = {"mailsim",
                        "scenarios/01-alice-to-bob.json",
                        "--size",
                        "640x360",
                        "--render-step",
                        "40",
                        "--out",
                        out,
                        NULL};
    assert_int_equal(run_cli(ok), 0);
    SDL_Surface *s = IMG_Load(out);
    assert_non_null(s);
    assert_int_equal(s->w, 640);
    assert_int_equal(s->h, 360);
    SDL_FreeSurface(s);
    unlink(out);
    const char *bad1[] = {
        "mailsim", "scenarios/01-alice-to-bob.json", "--render-step", "x", "--out", out, NULL};
    assert_int_equal(run_cli(bad1), 2);
    const char *bad2[] = {"mailsim", "scenarios/01-alice-to-bob.json", "--render-step", "3", NULL};
    assert_int_equal(run_cli(bad2), 2);
    const char *bad3[] = {
        "mailsim", "scenarios/01-alice-to-bob.json", "--render-step", "999999", "--out", out, NULL};
    assert_int_equal(run_cli(bad3), 2);
    const char *bad4[] = {"mailsim", "scenarios/01-alice-to-bob.json", "--bogus", NULL};
    assert_int_equal(run_cli(bad4), 2);
    const char *bad5[] = {"mailsim",
                          "scenarios/01-alice-to-bob.json",
                          "--size",
                          "10x10",
                          "--render-step",
                          "1",
                          "--out",
                          out,
                          NULL};
    assert_int_equal(run_cli(bad5), 2);
    struct ui_cli nosim;
    ui_cli_init(&nosim);
    nosim.file = "lesson.json";
    assert_int_equal(ui_cli_main(&nosim, NULL), 1); /* nothing to simulate with */
    assert_int_equal(access(out, F_OK), -1);
}

static void test_missing_font_is_a_clear_error(void **state)
{
    (void)state;
    setenv("MAILSIM_FONT", "/nonexistent/font.ttf", 1);
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(640, 360, &err);
    unsetenv("MAILSIM_FONT");
    assert_null(g);
    assert_non_null(strstr(err.msg, "cannot open font /nonexistent/font.ttf"));
    assert_non_null(strstr(err.msg, "MAILSIM_FONT"));
}

/* The grains of Right / Left: the line grain lands only on what a lecturer
 * teaches and skips message text after its first line; the TCP grain with
 * TCP detail hidden never lands on a hidden record; at every grain a step
 * back shows the very frame seen on the way forward. The pairing numbers
 * each SMTP reply with its command, pipelined ones too. */
static void test_grains_and_pairs(void **state)
{
    struct fx *f = *state;
    const struct trace *tr = f->tr;
    for (int grain = 0; grain < UI_GRAIN_COUNT; grain++) {
        for (int detail = 0; detail < 2; detail++) {
            struct ui_view v;
            ui_view_init(&v);
            v.grain = (enum ui_grain)grain;
            v.tcp_detail = detail;
            size_t prev = 0;
            for (int i = 0; i < 60; i++) {
                ui_view_step_grain(&v, f->m, 1);
                assert_true(v.step > prev);
                const struct trace_rec *r = trace_get(tr, v.step - 1);
                const struct trace_seg *s = trace_as_seg(r);
                if (grain == UI_GRAIN_LINE) /* never a bare TCP segment */
                    assert_true(!s || r->kind == TR_SEG_LOST || r->kind >= TR_DGRAM_SENT);
                if (grain == UI_GRAIN_TCP && !detail && s && r->kind < TR_DGRAM_SENT)
                    assert_true(s->len > 0 || (s->flags & NETEV_RST) || r->kind == TR_SEG_LOST);
                prev = v.step;
            }
            uint8_t *a = frame(f, &v, NULL);
            size_t at = v.step;
            ui_view_step_grain(&v, f->m, 1);
            ui_view_step_grain(&v, f->m, -1);
            assert_int_equal(v.step, at);
            uint8_t *b = frame(f, &v, NULL);
            assert_memory_equal(a, b, frame_bytes(f));
            free(a);
            free(b);
            size_t pos, total;
            ui_view_grain_pos(&v, f->m, &pos, &total);
            assert_true(pos > 0 && pos <= total && total <= ui_model_steps(f->m));
        }
    }
    /* Pairs: in the first SMTP connection, EHLO is command 1 and its reply
     * (after the greeting) carries 1; MAIL, RCPT, DATA (pipelined) are 2, 3,
     * 4 and their replies come back 2, 3, 4 in order. */
    const struct ui_model *m = f->m;
    uint32_t conn = 0;
    for (uint32_t c = 1; c < m->n_conns && !conn; c++)
        if (m->conn_off[c + 1] > m->conn_off[c]) conn = c;
    assert_true(conn > 0);
    size_t n = m->conn_off[conn + 1] - m->conn_off[conn];
    struct ui_dline *dl = calloc(n, sizeof *dl);
    uint8_t *facts = calloc(n, 1);
    for (size_t i = 0; i < n; i++)
        facts[i] =
            ui_pairs_fact(tr, trace_as_line(trace_get(tr, m->conn_lines[m->conn_off[conn] + i])));
    ui_pairs(facts, n, dl);
    free(facts);
    for (size_t i = 0; i < n; i++) { /* the model's pairing is the same */
        const struct ui_dline *md = ui_model_dline(m, m->conn_lines[m->conn_off[conn] + i]);
        assert_non_null(md);
        assert_int_equal(md->kind, dl[i].kind);
        assert_int_equal(md->pair, dl[i].pair);
    }
    char seen[256] = "";
    for (size_t i = 0; i < n && strlen(seen) < 200; i++) {
        if (dl[i].kind != UI_DL_CMD && dl[i].kind != UI_DL_REPLY && dl[i].kind != UI_DL_GREETING)
            continue;
        size_t o = strlen(seen);
        snprintf(seen + o, sizeof seen - o, "%s%u ",
                 dl[i].kind == UI_DL_CMD     ? "C"
                 : dl[i].kind == UI_DL_REPLY ? "S"
                                             : "G",
                 dl[i].pair);
    }
    assert_string_equal(seen, "G0 C1 S1 C2 C3 C4 S2 S3 S4 C5 S5 C6 S6 ");
    free(dl);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_not_blank_and_hosts_drawn),
        cmocka_unit_test(test_down_host_and_queue),
        cmocka_unit_test(test_packets_in_flight),
        cmocka_unit_test(test_step_back_equals_step_forward),
        cmocka_unit_test(test_playing_lands_on_the_same_frame),
        cmocka_unit_test(test_realtime),
        cmocka_unit_test(test_zoom_keys),
        cmocka_unit_test(test_navigation),
        cmocka_unit_test(test_grains_and_pairs),
        cmocka_unit_test(test_dialogue_connection_choice),
        cmocka_unit_test(test_hits),
        cmocka_unit_test(test_overlays_draw),
        cmocka_unit_test(test_text_cache),
        cmocka_unit_test(test_state_agrees_with_replay),
        cmocka_unit_test(test_tls_labels),
        cmocka_unit_test(test_layout_from_scenario),
        cmocka_unit_test(test_empty_trace),
        cmocka_unit_test(test_notice_in_narration_bar),
        cmocka_unit_test(test_rfc_table),
        cmocka_unit_test(test_cli),
        cmocka_unit_test(test_missing_font_is_a_clear_error),
    };
    return cmocka_run_group_tests_name("ui", tests, fx_setup, fx_teardown);
}
