/* bench_ui.c -- how fast the lecture window draws, seeks and presents.
 *
 *   ui_lesson_first_frame_ms  load + simulate + index + fonts + first frame of
 *                        the built-in lesson (target: under 200 ms)
 *   ui_frame_median_ms   median time to draw one 1920x1080 frame with the
 *                        software renderer, 50 hosts, about 1000 packets in
 *                        flight, the view moving one step per frame
 *                        (target: at most 8 ms)
 *   ui_frame_p95_ms      95th percentile of the same
 *   ui_frame_cpu_median_ms  the same in CPU time of the drawing thread (wall
 *                        time on a shared machine includes waiting for a core)
 *   ui_model_build_1m_ms indexing a 1,000,000-record trace (once per load)
 *   ui_seek_state_1m_max_us  worst time to compute the state at a random step
 *                        of that trace (keyframe + replay)
 *   ui_seek_1m_cold_ms   the first seek + draw on that trace (fonts and text
 *                        caches cold), reported apart
 *   ui_seek_1m_median_ms, ui_seek_1m_p99_ms, ui_seek_1m_warm_max_ms
 *                        seek + draw at 200 further random steps, text
 *                        rendering of the new step included
 *                        (target: p99 within one frame, 16 ms); the same
 *                        in CPU time of the drawing thread (_cpu_), which a
 *                        loaded machine disturbs less
 *   ui_png_*_cpu_ms      CPU time to write one 1920x1080 lesson frame as PNG:
 *                        SDL2_image's IMG_SavePNG (the old path, zlib's default
 *                        level) and mailsim's writer (libdeflate) at levels 1
 *                        (the default), 6, 9 (--png-level 9) and 12, median of
 *                        alternating rounds, with the file sizes; _rows_ is
 *                        the part that turns the frame into PNG rows
 *   ui_export_draw_cpu_ms  CPU time to draw one step of those exports
 *   ui_export_*_ms_per_frame  --export-frames of 40 lesson steps: drawing and
 *                        IMG_SavePNG in turn (old) against ui_export (level 1
 *                        on a second thread), wall and process CPU time per
 *                        frame, best of alternating rounds, and their ratios
 *                        (ui_export_speedup in wall time, _cpu_speedup in CPU)
 *   ui_present_window_ms, ui_present_default_ms
 *                        copying a frame to an X11 window the way the window
 *                        does (SDL_FRAMEBUFFER_ACCELERATION defaulting to 0)
 *                        and with SDL's own default, each in a process of its
 *                        own (SDL keeps the first window's choice); only when
 *                        DISPLAY is set (run under Xvfb:
 *                        xvfb-run -s "-screen 0 1920x1080x24" make bench)
 * The machine's clock is used here only to measure, never in the simulation. */
#include <SDL_image.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "core/evq.h"
#include "mail/world.h"
#include "trace/transcript.h"
#include "trace/transcript.h"
#include "ui/ui_int.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of this thread: less disturbed by other processes on a shared
 * machine than wall time. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

/* CPU time of the whole process (both threads of an export). */
static double proc_cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
    qsort(v, n, sizeof *v, cmp_d);
    size_t i = (size_t)(p * (double)(n - 1));
    return v[i];
}

static void bench_frames(void)
{
    struct ms_error err;
    struct trace *tr = ui_bench_trace(50, 1000, 60000);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
    if (!g) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    struct ui_view v;
    ui_view_init(&v);
    enum { N = 120 };
    double t[N], c[N];
    struct ui_stats st;
    size_t k0 = ui_model_steps(m) / 2;
    for (int i = -10; i < N; i++) { /* 10 warm-up frames */
        ui_view_seek(&v, m, k0 + (size_t)(i + 10));
        double a = now_ms(), ca = cpu_ms();
        ui_draw(g, m, &v, &st);
        double b = now_ms(), cb = cpu_ms();
        if (i >= 0) {
            t[i] = b - a;
            c[i] = cb - ca;
        }
    }
    fprintf(stderr, "bench_ui: %u packets in flight, %u labelled, %u hosts\n", st.packets,
            st.labels, st.hosts);
    printf("bench ui_frame_packets %u count\n", st.packets);
    printf("bench ui_frame_median_ms %.2f ms\n", pct(t, N, 0.5));
    printf("bench ui_frame_p95_ms %.2f ms\n", pct(t, N, 0.95));
    printf("bench ui_frame_cpu_median_ms %.2f ms\n", pct(c, N, 0.5));
    ui_gfx_free(g);
    ui_model_free(m);
    trace_free(tr);
}

static void bench_seek(void)
{
    struct ms_error err;
    struct trace *tr = ui_bench_trace(20, 200, 1000000);
    double a = now_ms();
    struct ui_model *m = ui_model_new(tr, NULL);
    double b = now_ms();
    printf("bench ui_model_build_1m_ms %.1f ms\n", b - a);
    struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
    if (!g) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    struct ui_view v;
    ui_view_init(&v);
    enum { N = 201 }; /* the first, cold, then 200 warm */
    double t[N], tc[N], ts[N];
    struct ui_state st;
    ui_state_init(m, &st);
    uint64_t x = 88172645463325252ULL; /* xorshift: fixed, so runs compare */
    for (int i = 0; i < N; i++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        size_t k = (size_t)(x % (ui_model_steps(m) + 1));
        double c = now_ms();
        ui_model_state(m, k, &st);
        ts[i] = (now_ms() - c) * 1000.0;
        c = now_ms();
        double cc = cpu_ms();
        ui_view_seek(&v, m, k);
        ui_draw(g, m, &v, NULL);
        tc[i] = cpu_ms() - cc;
        t[i] = now_ms() - c;
    }
    ui_state_free(&st);
    printf("bench ui_seek_state_1m_max_us %.1f us\n", pct(ts, N, 1.0));
    printf("bench ui_seek_1m_cold_ms %.2f ms\n", t[0]);
    printf("bench ui_seek_1m_median_ms %.2f ms\n", pct(t + 1, N - 1, 0.5));
    printf("bench ui_seek_1m_p99_ms %.2f ms\n", pct(t + 1, N - 1, 0.99));
    printf("bench ui_seek_1m_warm_max_ms %.2f ms\n", pct(t + 1, N - 1, 1.0));
    printf("bench ui_seek_1m_cpu_cold_ms %.2f ms\n", tc[0]);
    printf("bench ui_seek_1m_cpu_median_ms %.2f ms\n", pct(tc + 1, N - 1, 0.5));
    printf("bench ui_seek_1m_cpu_p99_ms %.2f ms\n", pct(tc + 1, N - 1, 0.99));
    ui_gfx_free(g);
    ui_model_free(m);
    trace_free(tr);
}

static struct trace *bench_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, true, err); /* as the window's own runs */
}

/* From nothing to the first frame of the built-in lesson: load the scenario,
 * simulate it, index the trace, open the renderer (fonts), draw step 0. */
static void bench_start(void)
{
    struct ui_sim sim = {NULL, bench_simulate, trace_transcript};
    double a = now_ms();
    struct ui_app *app = ui_app_new(&sim);
    struct ui_world w;
    struct ms_error err;
    if (app->load(app->ctx, NULL, &w, &err) != 0) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    double b = now_ms();
    struct ui_model *m = ui_model_new(w.tr, w.scn);
    struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
    if (!g) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    struct ui_view v;
    ui_view_init(&v);
    ui_draw(g, m, &v, NULL);
    double c = now_ms();
    printf("bench ui_lesson_simulate_ms %.1f ms\n", b - a);
    printf("bench ui_lesson_first_frame_ms %.1f ms\n", c - a);
    ui_gfx_free(g);
    ui_model_free(m);
    ui_app_free(app);
}

/* Median time of blit + SDL_UpdateWindowSurface for a 1920x1080 frame. */
static double bench_present_one(void)
{
    SDL_Window *w = SDL_CreateWindow("bench", 0, 0, 1920, 1080, 0);
    if (!w) return -1;
    SDL_Surface *ws = SDL_GetWindowSurface(w);
    SDL_Surface *src = SDL_CreateRGBSurfaceWithFormat(0, 1920, 1080, 32, SDL_PIXELFORMAT_ARGB8888);
    SDL_FillRect(src, NULL, 0xff336699u);
    SDL_SetSurfaceBlendMode(src, SDL_BLENDMODE_NONE);
    enum { N = 60 };
    double t[N];
    for (int i = 0; i < N; i++) {
        SDL_Event e;
        while (SDL_PollEvent(&e))
            ;
        double a = now_ms();
        SDL_BlitSurface(src, NULL, ws, NULL);
        SDL_UpdateWindowSurface(w);
        t[i] = now_ms() - a;
    }
    SDL_FreeSurface(src);
    SDL_DestroyWindow(w);
    return pct(t, N, 0.5);
}

/* One present measurement in a child process of its own: SDL keeps the
 * first window's framebuffer choice for the life of the process. window:
 * set the hint as ui_window_run() does. */
static void bench_present_child(const char *name, bool window)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) return;
    if (pid == 0) {
        if (window)
            SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_DEFAULT);
        if (SDL_Init(SDL_INIT_VIDEO) != 0) {
            fprintf(stderr, "bench_ui: SDL_Init: %s\n", SDL_GetError());
            _exit(1);
        }
        const char *drv = SDL_GetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION);
        fprintf(stderr, "bench_ui: present %s: hint %s\n", name, drv ? drv : "(SDL default)");
        double ms = bench_present_one();
        if (ms >= 0) printf("bench ui_present_%s_ms %.2f ms\n", name, ms);
        fflush(stdout);
        SDL_Quit();
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
}

static void bench_present(void)
{
    if (!getenv("DISPLAY")) {
        fprintf(stderr, "bench_ui: no DISPLAY, present not measured (run under xvfb-run)\n");
        return;
    }
    bench_present_child("window", true);
    bench_present_child("default", false);
}

/* ---- frames out ------------------------------------------------------------------ */

static long file_size(const char *path)
{
    struct stat sb;
    return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

/* PNG writers on one lesson frame, and whole exports, old against new. */
static void bench_export(void)
{
    struct ui_sim sim = {NULL, bench_simulate, trace_transcript};
    struct ui_app *app = ui_app_new(&sim);
    struct ui_world w;
    struct ms_error err;
    if (app->load(app->ctx, NULL, &w, &err) != 0) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    struct ui_model *m = ui_model_new(w.tr, w.scn);
    struct ui_gfx *g = ui_gfx_new_offscreen(1920, 1080, &err);
    if (!g) {
        fprintf(stderr, "bench_ui: %s\n", err.msg);
        exit(1);
    }
    char dir[] = "/tmp/mailsim-bench-XXXXXX";
    if (!mkdtemp(dir)) {
        perror("bench_ui: mkdtemp");
        exit(1);
    }
    struct ui_view v;
    ui_view_init(&v);
    size_t mid = ui_model_steps(m) / 3;
    ui_view_seek(&v, m, mid);
    ui_draw(g, m, &v, NULL);
    int pw, ph, pitch;
    const void *px = ui_gfx_pixels(g, &pw, &ph, &pitch);
    SDL_Surface *surf =
        SDL_CreateRGBSurfaceWithFormatFrom((void *)px, pw, ph, 32, pitch, SDL_PIXELFORMAT_ARGB8888);
    /* one frame: 0 = IMG_SavePNG, 1.. = mailsim's writer at each level */
    static const int level[] = {-1, UI_PNG_FAST, 6, UI_PNG_SMALL, UI_PNG_MAX};
    static const char *const name[] = {"sdl_image", "level1", "level6", "level9", "level12"};
    enum { NW = MS_ARRAY_LEN(level), R = 5 };
    double c[NW][R], rows_c[R];
    char path[NW][256];
    unsigned char *rows = malloc(ui_png_rows_size(pw, ph));
    for (int r = 0; r < R; r++) {
        double a = cpu_ms();
        ui_png_rows(px, pw, ph, pitch, rows);
        rows_c[r] = cpu_ms() - a;
        for (size_t i = 0; i < NW; i++) {
            snprintf(path[i], sizeof path[i], "%s/%s.png", dir, name[i]);
            a = cpu_ms();
            int rc = i == 0 ? IMG_SavePNG(surf, path[i])
                            : ui_png_write(path[i], px, pw, ph, pitch, level[i], &err);
            c[i][r] = cpu_ms() - a;
            if (rc != 0) {
                fprintf(stderr, "bench_ui: cannot write %s\n", path[i]);
                exit(1);
            }
        }
    }
    free(rows);
    for (size_t i = 0; i < NW; i++) {
        printf("bench ui_png_%s_cpu_ms %.1f ms\n", name[i], pct(c[i], R, 0.5));
        printf("bench ui_png_%s_bytes %ld bytes\n", name[i], file_size(path[i]));
    }
    printf("bench ui_png_rows_cpu_ms %.2f ms\n", pct(rows_c, R, 0.5));
    SDL_FreeSurface(surf);
    /* whole exports of 40 steps, alternating old and new */
    enum { F = 40, ROUNDS = 3 };
    double best_wall[2] = {1e300, 1e300}, best_cpu[2] = {1e300, 1e300};
    double draw_c[F * ROUNDS];
    size_t n_draw = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (int kind = 0; kind < 2; kind++) {
            char sub[300];
            snprintf(sub, sizeof sub, "%s/%s", dir, kind ? "new" : "old");
            mkdir(sub, 0777);
            double a = now_ms(), ca = proc_cpu_ms();
            struct ui_export *x =
                kind ? ui_export_frames(sub, 1920, 1080, UI_PNG_FAST, &err) : NULL;
            for (size_t k = mid; k < mid + F; k++) {
                double da = cpu_ms();
                ui_view_seek(&v, m, k);
                ui_draw(g, m, &v, NULL);
                if (kind) {
                    draw_c[n_draw++] = cpu_ms() - da;
                    ui_export_frame(x, g, k, &err);
                } else {
                    char f[400];
                    snprintf(f, sizeof f, "%s/step-%06zu.png", sub, k);
                    SDL_Surface *s2 =
                        SDL_CreateRGBSurfaceWithFormatFrom((void *)px, pw, ph, 32, pitch,
                                                           SDL_PIXELFORMAT_ARGB8888);
                    IMG_SavePNG(s2, f);
                    SDL_FreeSurface(s2);
                }
            }
            if (kind && ui_export_close(x, &err) != 0) {
                fprintf(stderr, "bench_ui: %s\n", err.msg);
                exit(1);
            }
            double wall = (now_ms() - a) / F, cpu = (proc_cpu_ms() - ca) / F;
            if (wall < best_wall[kind]) best_wall[kind] = wall;
            if (cpu < best_cpu[kind]) best_cpu[kind] = cpu;
            for (size_t k = mid; k < mid + F; k++) {
                char f[400];
                snprintf(f, sizeof f, "%s/step-%06zu.png", sub, k);
                unlink(f);
            }
            rmdir(sub);
        }
    }
    printf("bench ui_export_draw_cpu_ms %.2f ms\n", pct(draw_c, n_draw, 0.5));
    printf("bench ui_export_old_ms_per_frame %.1f ms\n", best_wall[0]);
    printf("bench ui_export_new_ms_per_frame %.1f ms\n", best_wall[1]);
    printf("bench ui_export_old_cpu_ms_per_frame %.1f ms\n", best_cpu[0]);
    printf("bench ui_export_new_cpu_ms_per_frame %.1f ms\n", best_cpu[1]);
    printf("bench ui_export_cpu_speedup %.2f ratio\n", best_cpu[0] / best_cpu[1]);
    printf("bench ui_export_speedup %.2f ratio\n", best_wall[0] / best_wall[1]);
    for (size_t i = 0; i < NW; i++) unlink(path[i]);
    rmdir(dir);
    ui_gfx_free(g);
    ui_model_free(m);
    ui_app_free(app);
}

int main(void)
{
    bench_start();
    bench_frames();
    bench_seek();
    bench_export();
    bench_present();
    TTF_Quit();
    return 0;
}
