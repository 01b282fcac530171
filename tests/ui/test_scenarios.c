/* test_scenarios.c -- the window on real traces: every shipped scenario
 * (every .json in scenarios/) simulated by the mail system and drawn offscreen at
 * several steps (not blank, one icon per host, link labels clear of host
 * text, step-back equals step-forward), and a fault injected through ui_app: the new trace has the
 * old one's records up to the fault, byte for byte, then the fault. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/evq.h"
#include "core/hash.h"
#include "mail/world.h"
#include "trace/transcript.h"
#include "ui/ui_int.h"

static struct trace *sim_run(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, false, err);
}

static const struct ui_sim test_sim = {NULL, sim_run, trace_transcript};

static uint8_t *copy_frame(struct ui_gfx *g, size_t *bytes)
{
    int w, h, pitch;
    const void *px = ui_gfx_pixels(g, &w, &h, &pitch);
    *bytes = (size_t)pitch * (size_t)h;
    uint8_t *c = malloc(*bytes);
    memcpy(c, px, *bytes);
    return c;
}

static int distinct(const uint8_t *px, size_t bytes)
{
    uint32_t seen[32];
    int n = 0;
    for (size_t i = 0; i + 4 <= bytes && n < 32; i += 4 * 13) {
        uint32_t c;
        memcpy(&c, px + i, 4);
        int j = 0;
        while (j < n && seen[j] != c) j++;
        if (j == n) seen[n++] = c;
    }
    return n;
}

static void check_one(struct ui_gfx *g, const char *path)
{
    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (app->load(app->ctx, path, &w, &err) != 0) fail_msg("%s: %s", path, err.msg);
    struct ui_model *m = ui_model_new(w.tr, w.scn);
    size_t n = ui_model_steps(m);
    assert_true(n > 10);
    size_t steps[] = {0, n / 4, n / 2, 3 * n / 4, n};
    for (size_t i = 0; i < MS_ARRAY_LEN(steps); i++) {
        struct ui_view v;
        struct ui_stats st;
        ui_view_init(&v);
        ui_view_seek(&v, m, steps[i]);
        ui_draw(g, m, &v, &st);
        size_t bytes;
        uint8_t *a = copy_frame(g, &bytes);
        if (distinct(a, bytes) <= 8) fail_msg("%s step %zu: frame looks blank", path, steps[i]);
        assert_int_equal(st.hosts, trace_host_count(w.tr));
        assert_int_equal(st.links, trace_link_count(w.tr));
        /* No link's latency sits on a host's name, address, mailboxes or
         * queue, or on another link's (placed at the middle, every lesson
         * had one 38-100% covered). */
        /* A lesson of several days names its days on the timeline (lesson
         * 04 runs six: Day 2 to Day 6), a shorter one has none. */
        sim_us days = trace_end_time(w.tr) / SIM_US_PER_DAY;
        if ((days > 0) != (st.day_marks > 0) || st.day_marks > (unsigned)days)
            fail_msg("%s step %zu: %u day marks for %lld whole days", path, steps[i], st.day_marks,
                     (long long)days);
        if (st.label_cover != 0)
            fail_msg("%s step %zu: a link label is %u%% covered", path, steps[i], st.label_cover);
        if (steps[i] > 0 && steps[i] < n) {
            /* Back from the next step, forward from the previous one. */
            ui_view_seek(&v, m, steps[i] + 1);
            ui_draw(g, m, &v, NULL);
            ui_view_step(&v, m, -1);
            ui_draw(g, m, &v, NULL);
            uint8_t *b = copy_frame(g, &bytes);
            ui_view_seek(&v, m, steps[i] - 1);
            ui_draw(g, m, &v, NULL);
            ui_view_step(&v, m, 1);
            ui_draw(g, m, &v, NULL);
            uint8_t *c = copy_frame(g, &bytes);
            assert_memory_equal(a, b, bytes);
            assert_memory_equal(a, c, bytes);
            free(b);
            free(c);
        }
        free(a);
    }
    ui_model_free(m);
    ui_app_free(app);
}

static void test_every_shipped_scenario(void **state)
{
    (void)state;
    struct ms_error err;
    /* 1280x720: the smallest frame the text floors are made for. */
    struct ui_gfx *g = ui_gfx_new_offscreen(1280, 720, &err);
    assert_non_null(g);
    DIR *d = opendir("scenarios");
    assert_non_null(d);
    char *names[64];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL && nn < 64) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".json") == 0) names[nn++] = strdup(e->d_name);
    }
    closedir(d);
    assert_true(nn >= 1);
    for (size_t i = 0; i < nn; i++) {
        char path[512];
        snprintf(path, sizeof path, "scenarios/%s", names[i]);
        check_one(g, path);
        free(names[i]);
    }
    ui_gfx_free(g);
}

static void test_fault_keeps_the_prefix(void **state)
{
    (void)state;
    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(app->load(app->ctx, NULL, &w, &err), 0); /* the built-in lesson */
    /* Take the recipient's mail server down at a quarter of the lesson. */
    size_t host = scn_find_host(w.scn, "mail.example.net");
    assert_true(host != SCN_NONE);
    const struct trace *old = w.tr;
    size_t n_old = trace_count(old);
    sim_us at = trace_get(old, n_old / 4)->t;
    size_t k = trace_upper_bound(old, at - 1); /* records strictly before at */
    uint64_t *hashes = calloc(k + 1, sizeof *hashes);
    for (size_t i = 0; i < k; i++) {
        const struct trace_rec *r = trace_get(old, i);
        uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, r, sizeof *r + r->len);
        hashes[i] = h;
    }
    struct ui_fault f = {UI_FAULT_HOST_DOWN, (uint32_t)host, at};
    assert_int_equal(app->fault(app->ctx, &f, &w, &err), 0);
    const struct trace *nw = w.tr;
    assert_true(trace_count(nw) >= k);
    for (size_t i = 0; i < k; i++) {
        const struct trace_rec *r = trace_get(nw, i);
        uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, r, sizeof *r + r->len);
        if (h != hashes[i])
            fail_msg("record %zu differs after the fault at %lld us", i, (long long)at);
    }
    /* The fault is in the new trace, at its time. */
    bool found = false;
    for (size_t i = k; i < trace_count(nw) && trace_get(nw, i)->t == at && !found; i++) {
        const struct trace_rec *r = trace_get(nw, i);
        found = r->kind == TR_HOST_DOWN && ((const struct trace_ref *)trace_body(r))->id == host;
    }
    assert_true(found);
    /* And a second fault (bring it back) builds on the first. */
    f.kind = UI_FAULT_HOST_UP;
    f.at = at + 10 * SIM_US_PER_MIN;
    assert_int_equal(app->fault(app->ctx, &f, &w, &err), 0);
    size_t downs = 0, ups = 0;
    for (size_t i = 0; i < trace_count(w.tr); i++) {
        const struct trace_rec *r = trace_get(w.tr, i);
        if ((r->kind == TR_HOST_DOWN || r->kind == TR_HOST_UP) &&
            ((const struct trace_ref *)trace_body(r))->id == host)
            *(r->kind == TR_HOST_DOWN ? &downs : &ups) += 1;
    }
    assert_true(downs >= 1 && ups >= 1);
    /* Out of range: refused, the world stays. */
    f.id = 9999;
    assert_int_equal(app->fault(app->ctx, &f, &w, &err), -1);
    assert_string_equal(err.msg, "that host or link is not in the scenario");
    free(hashes);
    ui_app_free(app);
}

/* Legible from the back row: no text under 18 px at 1920x1080, nor in the
 * 1920x1040 window a 1080p screen leaves room for, in any panel or overlay,
 * on lessons with a queue, quiz and chaos. */
static void test_no_text_under_18px(void **state)
{
    (void)state;
    static const char *const files[] = {"scenarios/03-server-down-two-hours.json",
                                        "scenarios/14-quiz-smtp-handshake.json",
                                        "scenarios/15-chaos-busy-server.json"};
    static const int heights[] = {1080, 1040};
    for (size_t hi = 0; hi < MS_ARRAY_LEN(heights); hi++) {
        struct ms_error err;
        struct ui_gfx *g = ui_gfx_new_offscreen(1920, heights[hi], &err);
        assert_non_null(g);
        for (size_t fi = 0; fi < MS_ARRAY_LEN(files); fi++) {
            struct ui_app *app = ui_app_new(&test_sim);
            struct ui_world w;
            memset(&err, 0, sizeof err);
            if (app->load(app->ctx, files[fi], &w, &err) != 0)
                fail_msg("%s: %s", files[fi], err.msg);
            struct ui_model *m = ui_model_new(w.tr, w.scn);
            size_t n = ui_model_steps(m);
            for (int ov = UI_OV_NONE; ov <= UI_OV_VARIANTS; ov++) {
                for (int future = 0; future < 2; future++) {
                    struct ui_view v;
                    struct ui_stats st;
                    ui_view_init(&v);
                    ui_view_seek(&v, m, n / 3);
                    v.overlay = (enum ui_overlay)ov;
                    v.future = future;
                    v.inspect = n / 3 - 1;
                    v.quiz_step = n / 3;
                    v.msg_host = 1;
                    v.pins[0] = (struct ui_pin){1, TRACE_NONE, TRACE_NONE};
                    v.n_pins = (size_t)future;
                    ui_draw(g, m, &v, &st);
                    if (st.min_text_px < 18)
                        fail_msg("%s at 1920x%d, overlay %d%s: text of %u px", files[fi],
                                 heights[hi], ov, future ? ", future view, a pin" : "",
                                 st.min_text_px);
                }
            }
            ui_model_free(m);
            ui_app_free(app);
        }
        ui_gfx_free(g);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_shipped_scenario),
        cmocka_unit_test(test_no_text_under_18px),
        cmocka_unit_test(test_fault_keeps_the_prefix),
    };
    int rc = cmocka_run_group_tests_name("ui_scenarios", tests, NULL, NULL);
    TTF_Quit();
    return rc;
}
