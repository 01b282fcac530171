/* test_picker.c -- the lesson picker offscreen: its keys and clicks choose
 * the right file, and at 1920x1080 and 1280x720 its text is big enough for
 * a lecture hall (at least 22 px and 20 px: a cap height of 16 px and
 * 14.6 px in DejaVu Sans), its rows lie inside the frame, one under the
 * other, and a long title is cut rather than drawn past the box. Runs in
 * the repository, so the lessons are those of ./scenarios. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/lesson.h"
#include "ui/ui_int.h"

static void test_keys(void **state)
{
    (void)state;
    struct ui_picker *p = ui_picker_new();
    assert_true(p->ls->n >= 15);
    const char *path = NULL;
    assert_int_equal(ui_picker_key(p, SDLK_DOWN, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_DOWN, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_RETURN, &path), UI_PICK_LOAD);
    assert_string_equal(path, "./scenarios/03-server-down-two-hours.json");
    assert_int_equal(ui_picker_key(p, SDLK_UP, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_UP, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_UP, &path), UI_PICK_REDRAW); /* wraps */
    assert_int_equal(p->sel, (int)p->ls->n);
    assert_int_equal(ui_picker_key(p, SDLK_HOME, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_1, &path), UI_PICK_REDRAW); /* the next 1x */
    assert_string_equal(p->ls->v[p->sel].stem, "10-imap-folders");
    assert_int_equal(ui_picker_key(p, SDLK_x, &path), UI_PICK_NONE);
    /* Open a file...: the field, typing, Backspace, Enter. */
    assert_int_equal(ui_picker_key(p, SDLK_END, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_RETURN, &path), UI_PICK_REDRAW);
    assert_true(p->typing);
    assert_int_equal(ui_picker_key(p, SDLK_RETURN, &path), UI_PICK_NONE); /* nothing typed */
    assert_int_equal(ui_picker_text(p, "x.jsonn"), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_BACKSPACE, &path), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_text(p, "\xc3\xa9"), UI_PICK_REDRAW);
    assert_int_equal(ui_picker_key(p, SDLK_BACKSPACE, &path), UI_PICK_REDRAW); /* whole é */
    assert_int_equal(ui_picker_key(p, SDLK_q, &path), UI_PICK_NONE);           /* q is text here */
    assert_int_equal(ui_picker_key(p, SDLK_RETURN, &path), UI_PICK_LOAD);
    assert_string_equal(path, "x.json");
    assert_int_equal(ui_picker_key(p, SDLK_ESCAPE, &path), UI_PICK_REDRAW);
    assert_false(p->typing);
    assert_int_equal(ui_picker_text(p, "y"), UI_PICK_NONE);
    assert_int_equal(ui_picker_key(p, SDLK_ESCAPE, &path), UI_PICK_CLOSE);
    ui_picker_free(p);
    ui_picker_free(NULL);
}

/* Draw at w x h and check sizes and places; then click every row shown. */
static void check_frame(int w, int h, unsigned min_px, double zoom)
{
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(w, h, &err);
    assert_non_null(g);
    struct ui_picker *p = ui_picker_new();
    for (int pass = 0; pass < 2; pass++) {
        ui_p_begin(g);
        ui_picker_draw(g, p, pass ? UI_THEME_LIGHT : UI_THEME_DARK, zoom);
        assert_true(p->min_px >= min_px);
        assert_true(g->stats.min_text_px >= min_px);
        assert_true(p->shown >= 5); /* a useful list, not one row at a time */
        assert_true(p->shown <= (int)p->ls->n + 1);
        for (int i = 0; i < p->shown; i++) {
            const SDL_Rect *r = &p->rows[i];
            assert_true(r->x >= 0 && r->y >= 0 && r->x + r->w <= w && r->y + r->h <= h);
            assert_true(r->h >= (int)(2 * min_px)); /* room for its two lines */
            if (i) assert_true(r->y >= p->rows[i - 1].y + p->rows[i - 1].h);
        }
        ui_picker_wheel(p, 100); /* to the end: "Open a file..." is the last row shown */
        ui_p_begin(g);
        ui_picker_draw(g, p, UI_THEME_DARK, zoom);
        assert_int_equal(p->top + p->shown, (int)p->ls->n + 1);
        ui_picker_wheel(p, -100);
        assert_int_equal(p->top, 0);
    }
    ui_p_begin(g);
    ui_picker_draw(g, p, UI_THEME_DARK, zoom);
    for (int i = 0; i < p->shown && i < (int)p->ls->n; i++) {
        const char *path = NULL;
        const SDL_Rect *r = &p->rows[i];
        assert_int_equal(ui_picker_click(p, r->x + r->w / 2, r->y + r->h / 2, &path), UI_PICK_LOAD);
        assert_string_equal(path, p->ls->v[p->top + i].path);
    }
    const char *path = NULL;
    assert_int_equal(ui_picker_click(p, 1, 1, &path), UI_PICK_NONE); /* outside every row */
    ui_picker_free(p);
    ui_gfx_free(g);
}

static void test_1080(void **state)
{
    (void)state;
    check_frame(1920, 1080, 22, 1.0);
}

static void test_720(void **state)
{
    (void)state;
    check_frame(1280, 720, 20, 1.0);
    check_frame(1280, 720, 20, 0.5); /* zoomed out: still no smaller */
}

/* The zoom is clamped as the frame's is (ui_zoom_max): --zoom 3 draws the
 * picker as the largest zoom does, not at three times the size. */
static void test_zoom_clamped(void **state)
{
    (void)state;
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
    assert_non_null(g);
    struct ui_picker *p = ui_picker_new();
    ui_p_begin(g);
    ui_picker_draw(g, p, UI_THEME_DARK, ui_zoom_max(1920, 1080));
    unsigned px = p->min_px;
    SDL_Rect row = p->rows[0];
    ui_p_begin(g);
    ui_picker_draw(g, p, UI_THEME_DARK, 3.0);
    assert_int_equal(p->min_px, px);
    assert_int_equal(p->rows[0].h, row.h);
    assert_int_equal(p->rows[0].w, row.w);
    ui_picker_free(p);
    ui_gfx_free(g);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keys),
        cmocka_unit_test(test_1080),
        cmocka_unit_test(test_720),
        cmocka_unit_test(test_zoom_clamped),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    if (TTF_WasInit()) TTF_Quit();
    return rc;
}
