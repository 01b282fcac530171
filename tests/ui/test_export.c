/* test_export.c -- frames out: PNG files, decoded with libpng (a reader
 * independent of mailsim's writer, which checks every chunk's CRC and the
 * zlib stream's Adler-32), hold exactly the pixels drawn, all four channels,
 * at every compression level; the threaded exporter writes each step's own
 * frame at the default, the small-file and the slowest level, more frames
 * than its queue holds (the last with both threads compressing); a file
 * that cannot be written stops the export with its name; a video export
 * without ffmpeg or with a bad file name fails with a clear message.
 * (tests/ui/test_png_files.py reads the files with a second, Python
 * decoder; tests/ui/test_export_video.sh decodes real videos with
 * ffprobe.) */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <png.h>

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

/* Decode path with libpng and check that it holds exactly px: each pixel's
 * R, G, B and A against the ARGB8888 word that was drawn. */
static void assert_png_is(const char *path, const uint32_t *px)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        fail_msg("cannot read %s: %s", path, im.message);
    assert_int_equal(im.width, W);
    assert_int_equal(im.height, H);
    /* the file itself is 8-bit RGBA: nothing was converted on reading */
    assert_int_equal(im.format, PNG_FORMAT_RGBA);
    uint8_t *rgba = malloc(PNG_IMAGE_SIZE(im));
    assert_non_null(rgba);
    if (!png_image_finish_read(&im, NULL, rgba, 0, NULL))
        fail_msg("cannot decode %s: %s", path, im.message);
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            const uint32_t want = px[(size_t)y * W + (size_t)x];
            const uint8_t *got = rgba + ((size_t)y * W + (size_t)x) * 4;
            const uint8_t r = (uint8_t)(want >> 16), g = (uint8_t)(want >> 8), b = (uint8_t)want,
                          a = (uint8_t)(want >> 24);
            if (got[0] != r || got[1] != g || got[2] != b || got[3] != a)
                fail_msg("%s: pixel (%d,%d) is RGBA %u,%u,%u,%u, drawn %u,%u,%u,%u", path, x, y,
                         got[0], got[1], got[2], got[3], r, g, b, a);
        }
    free(rgba);
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
    static const int levels[] = {0, UI_PNG_FAST, 6, UI_PNG_SMALL, UI_PNG_MAX};
    enum { N = MS_ARRAY_LEN(levels) };
    long sizes[N];
    for (size_t i = 0; i < N; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/level%d.png", f->dir, levels[i]);
        struct ms_error err;
        assert_int_equal(ui_gfx_save_png_level(f->g, path, levels[i], &err), 0);
        assert_png_is(path, px);
        sizes[i] = size_of(path);
    }
    /* level 0 stores the rows: a filter byte and four bytes a pixel, plus
     * the chunks, the zlib header and the stored blocks' headers */
    assert_true(sizes[0] > (long)H * (W * 4 + 1));
    /* each step up the scale is the option for smaller files */
    assert_true(sizes[1] < sizes[0]);
    assert_true(sizes[3] < sizes[1]);
    assert_true(sizes[4] <= sizes[3]);
    free(px);
}

/* The rows handed to the compressor: filter byte None, then R, G, B, A, for
 * any width (the vector loop takes four pixels at a time, the rest one by
 * one) and a pitch wider than the row. */
static void test_png_rows_layout(void **state)
{
    (void)state;
    enum { RW = 7, RH = 3, PITCH = 40 };
    uint8_t src[RH * PITCH];
    memset(src, 0xee, sizeof src);
    for (int y = 0; y < RH; y++)
        for (int x = 0; x < RW; x++) {
            uint32_t v = (uint32_t)(0x10 + x) << 24 | (uint32_t)(0x20 + y) << 16 |
                         (uint32_t)(0x30 + x) << 8 | (uint32_t)(0x40 + y);
            memcpy(src + y * PITCH + x * 4, &v, 4);
        }
    size_t n = ui_png_rows_size(RW, RH);
    assert_int_equal(n, RH * (RW * 4 + 1));
    uint8_t *rows = malloc(n);
    ui_png_rows(src, RW, RH, PITCH, rows);
    for (int y = 0; y < RH; y++) {
        const uint8_t *o = rows + (size_t)y * (RW * 4 + 1);
        assert_int_equal(o[0], 0);
        for (int x = 0; x < RW; x++) {
            assert_int_equal(o[1 + x * 4], 0x20 + y);
            assert_int_equal(o[2 + x * 4], 0x30 + x);
            assert_int_equal(o[3 + x * 4], 0x40 + y);
            assert_int_equal(o[4 + x * 4], 0x10 + x);
        }
    }
    free(rows);
}

static void test_png_write_error_names_file(void **state)
{
    struct fx *f = *state;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    assert_int_equal(ui_gfx_save_png(f->g, "/nonexistent-dir/x.png", &err), -1);
    assert_non_null(strstr(err.msg, "/nonexistent-dir/x.png"));
}

/* Export steps 0..n-1 at level into dir/sub and check every file against
 * what was drawn. n is larger than the exporter's queue, so the drawing
 * waits for the encoder and refills slots it has finished with. */
static void export_and_check(struct fx *f, const char *sub_name, int level)
{
    char sub[96];
    snprintf(sub, sizeof sub, "%s/%s", f->dir, sub_name);
    struct ms_error err;
    struct ui_export *x = ui_export_frames(sub, W, H, level, &err);
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

/* The drawing thread turns each frame into rows in a slot of its own before
 * it draws the next: every file holds its own step, however the encoding
 * thread is scheduled. */
static void test_threaded_export_frames(void **state)
{
    export_and_check(*state, "fast", UI_PNG_FAST);
}

static void test_threaded_export_small_files(void **state)
{
    export_and_check(*state, "small", UI_PNG_SMALL);
}

/* At the slowest level the queue fills at once, and the drawing thread
 * compresses waiting frames too, into files of their own steps. */
static void test_threaded_export_both_threads_encode(void **state)
{
    export_and_check(*state, "max", UI_PNG_MAX);
}

/* A frame that cannot be written stops the export: a later frame or the
 * close reports the file by name. */
static void test_export_write_error(void **state)
{
    struct fx *f = *state;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/gone", f->dir);
    struct ms_error err;
    memset(&err, 0, sizeof err);
    struct ui_export *x = ui_export_frames(sub, W, H, UI_PNG_FAST, &err);
    assert_non_null(x);
    assert_int_equal(rmdir(sub), 0);
    int rc = 0;
    for (size_t k = 0; k < 8 && rc == 0; k++) {
        free(draw_step(f, k));
        rc = ui_export_frame(x, f->g, k, &err);
    }
    struct ms_error err2;
    memset(&err2, 0, sizeof err2);
    int rc2 = ui_export_close(x, &err2);
    assert_true(rc != 0 || rc2 != 0);
    const char *msg = rc != 0 ? err.msg : err2.msg;
    assert_non_null(strstr(msg, sub));
    assert_non_null(strstr(msg, "step-000000.png"));
}

static void test_export_level_out_of_range(void **state)
{
    struct fx *f = *state;
    struct ms_error err;
    char sub[96];
    snprintf(sub, sizeof sub, "%s/bad-level", f->dir);
    assert_null(ui_export_frames(sub, W, H, UI_PNG_MAX + 1, &err));
    assert_non_null(strstr(err.msg, "PNG level"));
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
        cmocka_unit_test(test_png_rows_layout),
        cmocka_unit_test(test_png_write_error_names_file),
        cmocka_unit_test(test_threaded_export_frames),
        cmocka_unit_test(test_threaded_export_small_files),
        cmocka_unit_test(test_threaded_export_both_threads_encode),
        cmocka_unit_test(test_export_write_error),
        cmocka_unit_test(test_export_level_out_of_range),
        cmocka_unit_test(test_video_errors),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
