/* test_layout.c -- the window as the back row of a lecture hall sees it.
 * Every shipped lesson (every .json in scenarios/) is simulated and drawn at
 * every 10th step, at 1920x1080 and at 1280x720, with the layout recorded
 * (ui_gfx_record: the box of every text and icon drawn, and the height of
 * its capitals and digits as the font renders them). Each frame must have:
 *   - no text smaller than the floor: at 1920x1080 16 px capitals, 18 px for
 *     dialogue lines, sequence-diagram and packet labels, 24 px for the
 *     narration; at 1280x720 14 px for everything;
 *   - no text cut off by its panel unless it ends in an ellipsis;
 *   - no text over another text or over an icon;
 *   - every link's latency plate on or right beside its own link
 *     (check_plates).
 * The whole-connection view (N) is drawn at every 20th step as well, and
 * the message view (M) at every host holding a message, every 40th step.
 * The same checks run at every other zoom the + and - keys reach, at a
 * sample of steps (check_zooms).
 * A failure names the lesson, the size, the step and the two texts.
 * The capital heights are checked against the pixels once: a text drawn
 * alone on a frame is scanned for its ink rows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/transcript.h"
#include "ui/ui_int.h"
#include "box_check.h"

static struct trace *sim_run(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, true, err);
}

static const struct ui_sim test_sim = {NULL, sim_run, trace_transcript};

/* Room for a few problems per lesson, printed together. */

static int floor_px(const struct ui_box *b, bool big)
{
    if (!big) return 14;
    if (strcmp(b->role, "narration") == 0) return 24;
    if (strcmp(b->role, "dialogue") == 0 || strcmp(b->role, "seq") == 0 ||
        strcmp(b->role, "packet") == 0)
        return 18;
    return 16;
}

/* Distance from (px, py) to the segment, and where along it the nearest
 * point lies (0..1, unclamped in *t). */
static float seg_dist(const struct ui_seg *l, float px, float py, float *t)
{
    float dx = l->x2 - l->x1, dy = l->y2 - l->y1, len2 = dx * dx + dy * dy;
    float u = len2 > 0 ? ((px - l->x1) * dx + (py - l->y1) * dy) / len2 : 0;
    if (t) *t = u;
    float c = u < 0 ? 0 : u > 1 ? 1 : u;
    float ex = l->x1 + c * dx - px, ey = l->y1 + c * dy - py;
    return sqrtf(ex * ex + ey * ey);
}

/* Each latency plate reads as its own link's: its centre lies between the
 * link's two ends, its box is no farther from the link's segment than one
 * text height (the gap between the line and the nearest edge of the box,
 * 0 when the plate sits on the line), and its centre is nearer its own link
 * than any other link. */
static size_t n_plates; /* plates checked: a test that checked none has failed */

static void check_plates(struct ui_gfx *g, const char *lesson, const char *size, size_t step)
{
    size_t n, nl;
    const struct ui_box *bx = ui_gfx_boxes(g, &n);
    const struct ui_seg *ls = ui_gfx_links(g, &nl);
    for (size_t i = 0; i < n; i++) {
        const struct ui_box *b = &bx[i];
        if (b->kind != UI_BOX_TEXT || !b->link || !visible(b)) continue;
        n_plates++;
        const struct ui_seg *own = NULL;
        for (size_t k = 0; k < nl; k++)
            if ((int)ls[k].link == b->link - 1) own = &ls[k];
        if (!own) {
            problem("%s %s step %zu: plate \"%s\" names link %d, not drawn", lesson, size, step,
                    b->text, b->link - 1);
            continue;
        }
        float cx = b->x + b->w / 2, cy = b->y + b->h / 2, t;
        float d = seg_dist(own, cx, cy, &t);
        float dx = own->x2 - own->x1, dy = own->y2 - own->y1, len = sqrtf(dx * dx + dy * dy);
        float nx = len > 0 ? -dy / len : 0, ny = len > 0 ? dx / len : 1;
        float gap = d - (fabsf(nx) * b->w + fabsf(ny) * b->h) / 2;
        if (t < 0 || t > 1 || gap > b->h)
            problem("%s %s step %zu: plate \"%s\" of link %d lies %.0f px off its link "
                    "(%.2f along it; at most %.0f px, 0..1)",
                    lesson, size, step, b->text, b->link - 1, (double)(gap > 0 ? gap : 0),
                    (double)t, (double)b->h);
        for (size_t k = 0; k < nl; k++) {
            if (&ls[k] == own) continue;
            float o = seg_dist(&ls[k], cx, cy, NULL);
            if (o <= d)
                problem("%s %s step %zu: plate \"%s\" of link %d is nearer link %u "
                        "(%.0f px) than its own (%.0f px)",
                        lesson, size, step, b->text, b->link - 1, ls[k].link, (double)o, (double)d);
        }
    }
}

/* Set while an overlay is checked: only boxes of this role count (the
 * frame under the overlay's backdrop is checked without it). */
static const char *only_role;

static bool checked_role(const struct ui_box *b)
{
    return !only_role || (b->role && strcmp(b->role, only_role) == 0);
}

/* size names the frame ("1920x1080", "1280x720 zoom 1.21 focus 3"); floors
 * false: the sizes are not checked (zoomed out, text is smaller by choice). */
static void check_frame(struct ui_gfx *g, const char *lesson, const char *size, size_t step,
                        bool big, bool floors)
{
    size_t n;
    const struct ui_box *bx = ui_gfx_boxes(g, &n);
    for (size_t i = 0; i < n; i++) {
        const struct ui_box *a = &bx[i];
        if (a->kind != UI_BOX_TEXT || !visible(a) || !checked_role(a)) continue;
        if (floors && a->cap_px < floor_px(a, big))
            problem("%s %s step %zu: \"%s\" (%s) has %d px capitals, under %d", lesson, size, step,
                    a->text, a->role, a->cap_px, floor_px(a, big));
        if (cut(a) && !a->ellipsis)
            problem("%s %s step %zu: \"%s\" (%s) is cut off by its panel", lesson, size, step,
                    a->text, a->role);
        for (size_t j = 0; j < n; j++) {
            const struct ui_box *b = &bx[j];
            if (j == i || b->kind == UI_BOX_PACKET || !visible(b) || !checked_role(b)) continue;
            if (b->kind == UI_BOX_TEXT && j < i) continue; /* each pair once */
            if (!boxes_meet(a, b)) continue;
            if (b->kind == UI_BOX_TEXT)
                problem("%s %s step %zu: \"%s\" (%s) overlaps \"%s\" (%s)", lesson, size, step,
                        a->text, a->role, b->text, b->role);
            else
                problem("%s %s step %zu: \"%s\" (%s) lies on the icon of %s", lesson, size, step,
                        a->text, a->role, b->text);
        }
    }
    if (!only_role) check_plates(g, lesson, size, step);
}

/* The message view (M) at every host holding a copy, every 40th step: its
 * header, MIME tree and encoded part stay in their columns and in the box. */
static size_t n_message_views; /* views checked: none checked is a failure */

static void check_message_views(struct ui_gfx *g, const struct ui_model *m, const char *lesson,
                                const char *size, bool big)
{
    struct ui_view v;
    ui_view_init(&v);
    only_role = "overlay";
    for (size_t k = 0; k <= ui_model_steps(m); k += 40) {
        for (uint32_t h = 0; h < trace_host_count(m->tr); h++) {
            if (!ui_msgview_holds(m, k, h)) continue;
            v.overlay = UI_OV_MESSAGE;
            v.msg_host = h;
            ui_view_seek(&v, m, k);
            ui_draw(g, m, &v, NULL);
            char name[600];
            snprintf(name, sizeof name, "%s (message view at %s)", lesson,
                     trace_host_name(m->tr, h));
            check_frame(g, name, size, k, big, true);
            n_message_views++;
        }
    }
    only_role = NULL;
}

/* Every zoom the + and - keys reach in g's frame (ui_zoom_next from 1 up
 * and down), each at three steps of the lesson: the steps rotate with the
 * zoom, so the levels together see sixteen places of the lesson, and the
 * third frame of each level has a panel in focus (1-4, or none). Zoomed in,
 * the sizes must hold too; zoomed out only the overlaps and cuts are checked. */
static void check_zooms(struct ui_gfx *g, const struct ui_model *m, const char *lesson,
                        const char *size, bool big)
{
    double levels[32];
    size_t nz = 0;
    for (int dir = -1; dir <= 1; dir += 2) {
        double z = 1;
        for (;;) {
            double next = ui_zoom_next(z, dir, g->w, g->h);
            if (next == z || nz == MS_ARRAY_LEN(levels)) break;
            levels[nz++] = z = next;
        }
    }
    assert_true(nz >= 6); /* - reaches 0.56 everywhere */
    size_t N = ui_model_steps(m);
    for (size_t zi = 0; zi < nz; zi++) {
        struct ui_view v;
        ui_view_init(&v);
        v.zoom = levels[zi];
        for (size_t j = 0; j < 3; j++) {
            size_t k = N * ((zi * 3 + j) % 16) / 15;
            v.focus = j == 2 ? (enum ui_focus)((zi + 1) % 5) : UI_FOCUS_NONE;
            ui_view_seek(&v, m, k);
            ui_draw(g, m, &v, NULL);
            char name[96];
            snprintf(name, sizeof name, "%s zoom %.2f%s%.0d", size, v.zoom,
                     v.focus ? " focus " : "", (int)v.focus);
            check_frame(g, lesson, name, k, big, v.zoom > 1);
        }
    }
}

static void check_lesson(const char *path)
{
    struct ui_app *app = ui_app_new(&test_sim);
    struct ui_world w;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (app->load(app->ctx, path, &w, &err) != 0) fail_msg("%s: %s", path, err.msg);
    struct ui_model *m = ui_model_new(w.tr, w.scn);
    static const struct {
        int w, h;
        const char *name;
    } sizes[] = {{1920, 1080, "1920x1080"}, {1280, 720, "1280x720"}};
    const char *lesson = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    for (size_t s = 0; s < MS_ARRAY_LEN(sizes); s++) {
        struct ui_gfx *g = ui_gfx_new_offscreen(sizes[s].w, sizes[s].h, &err);
        assert_non_null(g);
        ui_gfx_record(g, true);
        struct ui_view v;
        ui_view_init(&v);
        for (size_t k = 0; k <= ui_model_steps(m); k += 10) {
            ui_view_seek(&v, m, k);
            ui_draw(g, m, &v, NULL);
            check_frame(g, lesson, sizes[s].name, k, sizes[s].h >= 1080, true);
        }
        /* The whole-connection view (N) with its counts, every 20th step. */
        v.whole_conn = true;
        for (size_t k = 5; k <= ui_model_steps(m); k += 20) {
            char name[600];
            snprintf(name, sizeof name, "%s (N)", lesson);
            ui_view_seek(&v, m, k);
            ui_draw(g, m, &v, NULL);
            check_frame(g, name, sizes[s].name, k, sizes[s].h >= 1080, true);
        }
        v.whole_conn = false;
        check_message_views(g, m, lesson, sizes[s].name, sizes[s].h >= 1080);
        check_zooms(g, m, lesson, sizes[s].name, sizes[s].h >= 1080);
        ui_gfx_free(g);
    }
    ui_model_free(m);
    ui_app_free(app);
}

static void test_every_lesson_at_both_sizes(void **state)
{
    (void)state;
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
    assert_true(nn >= 15);
    n_plates = 0;
    /* MAILSIM_LAYOUT_ONLY=05 checks the lessons whose name contains 05. */
    const char *only = getenv("MAILSIM_LAYOUT_ONLY");
    for (size_t i = 0; i < nn; i++) {
        char path[512];
        if (only && *only && !strstr(names[i], only)) {
            free(names[i]);
            continue;
        }
        snprintf(path, sizeof path, "scenarios/%s", names[i]);
        check_lesson(path);
        free(names[i]);
    }
    assert_true(n_plates > 0);
    assert_true(n_message_views > 0);
    if (n_problems) {
        fprintf(stderr, "%s", problems);
        fail_msg("%zu layout problems (the first 30 above)", n_problems);
    }
}

/* Scenarios nobody positioned by hand: random but valid ones of 2 to 12
 * hosts (scn_generate), placed by role (ui_place.c), drawn at 1920x1080 at
 * their first step and halfway. In the network panel no host text may meet
 * another, or an icon, or be cut off. */
static void test_generated_networks(void **state)
{
    (void)state;
    n_problems = 0; /* the lessons' own were reported by their test */
    problems[0] = '\0';
    size_t checked = 0;
    n_plates = 0;
    for (uint64_t seed = 1; seed <= 400 && checked < 24; seed++) {
        struct scn_gen_opts o = scn_gen_opts_default();
        o.domains = 1 + (unsigned)(seed % 3);
        o.users = 1 + (unsigned)(seed / 3 % 2);
        o.messages = 2;
        o.faults = false;
        struct scn_scenario *s = scn_generate(seed, &o);
        assert_non_null(s);
        if (s->n_hosts < 2 || s->n_hosts > 12) {
            scn_free(s);
            continue;
        }
        struct ms_error err;
        memset(&err, 0, sizeof err);
        struct trace *tr = world_simulate(s, true, &err);
        if (!tr) fail_msg("generated seed %llu: %s", (unsigned long long)seed, err.msg);
        struct ui_model *m = ui_model_new(tr, s);
        struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
        assert_non_null(g);
        ui_gfx_record(g, true);
        struct ui_view v;
        ui_view_init(&v);
        char name[64];
        snprintf(name, sizeof name, "generated seed %llu (%zu hosts)", (unsigned long long)seed,
                 s->n_hosts);
        size_t steps[2] = {0, ui_model_steps(m) / 2};
        for (size_t i = 0; i < 2; i++) {
            ui_view_seek(&v, m, steps[i]);
            ui_draw(g, m, &v, NULL);
            check_plates(g, name, "1920x1080", steps[i]);
            size_t n;
            const struct ui_box *bx = ui_gfx_boxes(g, &n);
            for (size_t a = 0; a < n; a++) {
                const struct ui_box *A = &bx[a];
                if (A->kind != UI_BOX_TEXT || !visible(A) || strcmp(A->role, "net") != 0) continue;
                if (cut(A) && !A->ellipsis)
                    problem("%s step %zu: \"%s\" is cut off by the network panel", name, steps[i],
                            A->text);
                for (size_t b = 0; b < n; b++) {
                    const struct ui_box *B = &bx[b];
                    if (b == a || B->kind == UI_BOX_PACKET || !visible(B)) continue;
                    if (B->kind == UI_BOX_TEXT && (strcmp(B->role, "net") != 0 || b < a)) continue;
                    if (boxes_meet(A, B))
                        problem("%s step %zu: \"%s\" meets %s\"%s\"", name, steps[i], A->text,
                                B->kind == UI_BOX_TEXT ? "" : "the icon of ", B->text);
                }
            }
        }
        ui_gfx_free(g);
        ui_model_free(m);
        trace_free(tr);
        scn_free(s);
        checked++;
    }
    assert_true(checked >= 12);
    assert_true(n_plates > 0);
    assert_true(n_message_views > 0);
    if (n_problems) {
        fprintf(stderr, "%s", problems);
        fail_msg("%zu layout problems in generated networks (the first 30 above)", n_problems);
    }
}

/* The recorded capital height is what the pixels show: "H0" drawn alone in
 * white on black, its rows with ink counted. */
static void test_cap_height_matches_pixels(void **state)
{
    (void)state;
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(400, 300, &err);
    assert_non_null(g);
    static const float sizes[] = {20, 23, 26, 34};
    for (size_t i = 0; i < MS_ARRAY_LEN(sizes); i++) {
        ui_gfx_record(g, true);
        ui_p_begin(g);
        ui_p_fill(g, 0, 0, 400, 300, 0x000000ffu);
        ui_p_text(g, UI_F_BOLD, sizes[i], 0xffffffffu, 20, 20, UI_AL_LEFT, "H0");
        size_t n;
        const struct ui_box *b = ui_gfx_boxes(g, &n);
        assert_int_equal(n, 1);
        int w, h, pitch;
        const uint8_t *px = ui_gfx_pixels(g, &w, &h, &pitch);
        int top = -1, bottom = -1;
        for (int y = 0; y < h; y++) {
            const uint32_t *row = (const uint32_t *)(const void *)(px + (size_t)y * (size_t)pitch);
            bool ink = false;
            for (int x = 0; x < w && !ink; x++) ink = (row[x] & 0xffu) > 0x80;
            if (ink) {
                if (top < 0) top = y;
                bottom = y;
            }
        }
        int measured = bottom - top + 1;
        if (abs(measured - b[0].cap_px) > 1)
            fail_msg("%.0f px text: recorded %d px capitals, the pixels show %d", (double)sizes[i],
                     b[0].cap_px, measured);
        if (fabsf((float)top - b[0].y) > 1.5f)
            fail_msg("%.0f px text: recorded top %.1f, the pixels start at %d", (double)sizes[i],
                     (double)b[0].y, top);
    }
    ui_gfx_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_cap_height_matches_pixels),
        cmocka_unit_test(test_every_lesson_at_both_sizes),
        cmocka_unit_test(test_generated_networks),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
