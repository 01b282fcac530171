/* test_export.c -- frames out: PNG files hold exactly the pixels drawn at
 * every compression level, the threaded exporter writes each step's own
 * frame, and a video export without ffmpeg or with a bad file name fails
 * with a clear message. (tests/ui/test_export_video.sh decodes real
 * videos with ffprobe.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <SDL_image.h>

#include "mail/world.h"
#include "ui/ui_int.h"

#define W 640
#define H 360

struct fx {
    struct scn_scenario *scn;
    struct trace *tr;
    struct ui_model *m;
    struct ui_gfx *g;
    char dir[64];
};

static int fx_setup(void **state)
{
    struct fx *f = calloc(1, sizeof *f);
    struct ms_error err;
    struct scn_error se;
    f->scn = scn_load_file("scenarios/01-alice-to-bob.json", NULL, &se); /* as the engines run it */
    if (!f->scn) return -1;
    f->tr = world_simulate(f->scn, false, &err);
    if (!f->tr) return -1;
    f->m = ui_model_new(f->tr, f->scn);
    f->g = ui_gfx_new_offscreen(W, H, &err);
    if (!f->g) {
        fprintf(stderr, "offscreen renderer: %s\n", err.msg);
        return -1;
    }
    snprintf(f->dir, sizeof f->dir, "/tmp/mailsim-export-XXXXXX");
    if (!mkdtemp(f->dir)) return -1;
    *state = f;
    return 0;
}

static int fx_teardown(void **state)
{
    struct fx *f = *state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", f->dir);
    ui_gfx_free(f->g);
    ui_model_free(f->m);
    trace_free(f->tr);
    scn_free(f->scn);
    free(f);
    TTF_Quit();
    return 0;
}

/* Draw step k; return a copy of its pixels (W*H ARGB8888, packed rows). */
static uint32_t *draw_step(struct fx *f, size_t k)
{
    struct ui_view v;
    ui_view_init(&v);
    ui_view_seek(&v, f->m, k);
    ui_draw(f->g, f->m, &v, NULL);
    int w, h, pitch;
    const uint8_t *px = ui_gfx_pixels(f->g, &w, &h, &pitch);
    uint32_t *copy = malloc((size_t)W * H * 4);
    for (int y = 0; y < H; y++) memcpy(copy + (size_t)y * W, px + (size_t)y * (size_t)pitch, W * 4);
    return copy;
}

/* Decode path and check that it holds exactly px (all four channels). */
static void assert_png_is(const char *path, const uint32_t *px)
{
    SDL_Surface *s = IMG_Load(path);
    if (!s) fail_msg("cannot load %s: %s", path, IMG_GetError());
    SDL_Surface *c = SDL_ConvertSurfaceFormat(s, SDL_PIXELFORMAT_ARGB8888, 0);
    SDL_FreeSurface(s);
    assert_non_null(c);
    assert_int_equal(c->w, W);
    assert_int_equal(c->h, H);
    for (int y = 0; y < H; y++) {
        const uint32_t *row =
            (const uint32_t *)((const uint8_t *)c->pixels + (size_t)y * (size_t)c->pitch);
        for (int x = 0; x < W; x++)
            if (row[x] != px[(size_t)y * W + (size_t)x])
                fail_msg("%s: pixel (%d,%d) is %08x, drawn %08x", path, x, y, row[x],
                         px[(size_t)y * W + (size_t)x]);
    }
    SDL_FreeSurface(c);
}

static long size_of(const char *path)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) return -1;
    fseek(fp, 0, SEEK_END);
    long n = ftell(fp);
    fclose(fp);
    return n;
}

static void test_png_levels_keep_pixels(void **state)
{
    struct fx *f = *state;
    uint32_t *px = draw_step(f, ui_model_steps(f->m) / 2);
    static const int levels[] = {0, UI_PNG_FAST, 6, UI_PNG_SMALL};
    long sizes[4];
    for (int i = 0; i < 4; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/level%d.png", f->dir, levels[i]);
        struct ms_error err;
        assert_int_equal(ui_gfx_save_png_level(f->g, path, levels[i], &err), 0);
        assert_png_is(path, px);
        sizes[i] = size_of(path);
    }
    /* level 9 is the option for smaller files */
    assert_true(sizes[3] < sizes[1]);
    assert_true(sizes[1] < sizes[0]);
    free(px);
}

static void test_png_write_error_names_file(void **state)
{
    struct fx *f = *state;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ui_gfx_save_png(f->g, "/nonexistent-dir/x.png", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.png"));
}

/* The exporter copies each frame before the next is drawn: every file holds
 * its own step, however the encoding thread is scheduled. */
static void test_threaded_export_frames(void **state)
{
    struct fx *f = *state;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/frames", f->dir);
    struct ms_error err;
    struct ui_export *x = ui_export_frames(sub, W, H, UI_PNG_FAST, &err);
    assert_non_null(x);
    size_t n = ui_model_steps(f->m) < 12 ? ui_model_steps(f->m) : 12;
    uint32_t **want = calloc(n, sizeof *want);
    for (size_t k = 0; k < n; k++) {
        want[k] = draw_step(f, k);
        assert_int_equal(ui_export_frame(x, f->g, k, &err), 0);
    }
    assert_int_equal(ui_export_close(x, &err), 0);
    for (size_t k = 0; k < n; k++) {
        char path[160];
        snprintf(path, sizeof path, "%s/step-%06zu.png", sub, k);
        assert_png_is(path, want[k]);
        free(want[k]);
    }
    free(want);
}

static void test_video_errors(void **state)
{
    struct fx *f = *state;
    struct ms_error err;
    char path[128];
    snprintf(path, sizeof path, "%s/lesson.avi", f->dir);
    assert_null(ui_export_video(path, W, H, 2.0, &err));
    assert_non_null(strstr(err.msg, ".mp4, .webm or .gif"));
    /* No ffmpeg on PATH: a clear message, nothing written. */
    const char *old = getenv("PATH");
    char *saved = old ? strdup(old) : NULL;
    setenv("PATH", f->dir, 1);
    snprintf(path, sizeof path, "%s/lesson.mp4", f->dir);
    assert_null(ui_export_video(path, W, H, 2.0, &err));
    assert_non_null(strstr(err.msg, "ffmpeg"));
    assert_non_null(strstr(err.msg, "apt-get install ffmpeg"));
    assert_int_equal(access(path, F_OK), -1);
    if (saved)
        setenv("PATH", saved, 1);
    else
        unsetenv("PATH");
    free(saved);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_png_levels_keep_pixels),
        cmocka_unit_test(test_png_write_error_names_file),
        cmocka_unit_test(test_threaded_export_frames),
        cmocka_unit_test(test_video_errors),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
