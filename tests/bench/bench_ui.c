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
 *   ui_seek_1m_max_ms    worst seek + draw at random steps of that trace,
 *                        text rendering of the new step included
 *                        (target: within one frame, 16 ms)
 *   ui_present_*_ms      copying a frame to an X11 window, with
 *                        SDL_FRAMEBUFFER_ACCELERATION=0 and with SDL's
 *                        default; only when DISPLAY is set (run under Xvfb:
 *                        xvfb-run -s "-screen 0 1920x1080x24" make bench)
 * The machine's clock is used here only to measure, never in the simulation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/evq.h"
#include "mail/world.h"
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
    enum { N = 60 };
    double t[N], ts[N];
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
        ui_view_seek(&v, m, k);
        ui_draw(g, m, &v, NULL);
        t[i] = now_ms() - c;
    }
    ui_state_free(&st);
    printf("bench ui_seek_state_1m_max_us %.1f us\n", pct(ts, N, 1.0));
    printf("bench ui_seek_1m_median_ms %.2f ms\n", pct(t, N, 0.5));
    printf("bench ui_seek_1m_max_ms %.2f ms\n", pct(t, N, 1.0));
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
    struct ui_sim sim = {NULL, bench_simulate, world_transcript};
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
static double bench_present_one(const char *accel)
{
    if (accel)
        SDL_SetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION, accel);
    else
        SDL_ResetHint(SDL_HINT_FRAMEBUFFER_ACCELERATION);
    SDL_Window *w = SDL_CreateWindow("bench", 0, 0, 1920, 1080, 0);
    if (!w)
        return -1;
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

static void bench_present(void)
{
    if (!getenv("DISPLAY")) {
        fprintf(stderr, "bench_ui: no DISPLAY, present not measured (run under xvfb-run)\n");
        return;
    }
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        fprintf(stderr, "bench_ui: SDL_Init: %s\n", SDL_GetError());
        return;
    }
    double off = bench_present_one("0");
    double def = bench_present_one(NULL);
    if (off >= 0)
        printf("bench ui_present_accel0_ms %.2f ms\n", off);
    if (def >= 0)
        printf("bench ui_present_default_ms %.2f ms\n", def);
    SDL_Quit();
}

int main(void)
{
    bench_start();
    bench_frames();
    bench_seek();
    bench_present();
    TTF_Quit();
    return 0;
}
