/* web_bench.c -- the page's frame time, for tests/bench/bench_web.py: the
 * workload of tests/bench/bench_ui.c's ui_frame_median_ms (50 hosts, about
 * 1000 packets in flight, the view moving one step per frame, the software
 * renderer), timed inside the browser, so the two figures compare. */
#include <emscripten.h>
#include <stdlib.h>

#include "ui/ui.h"
#include "web/web.h"

static int web_bench_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* After 10 warm-up frames, like the native benchmark. */
EMSCRIPTEN_KEEPALIVE double web_bench_frame_ms(int w, int h, int n)
{
    if (n < 1 || n > 1000) return -1;
    struct ms_error err;
    struct ui_gfx *g = ui_gfx_new_offscreen(w, h, &err);
    if (!g) return -1;
    struct trace *tr = ui_bench_trace(50, 1000, 60000);
    struct ui_model *m = ui_model_new(tr, NULL);
    struct ui_view v;
    ui_view_init(&v);
    double *t = calloc((size_t)n, sizeof *t);
    size_t k0 = ui_model_steps(m) / 2;
    for (int i = -10; t && i < n; i++) {
        ui_view_seek(&v, m, k0 + (size_t)(i + 10));
        double a = emscripten_get_now();
        ui_draw(g, m, &v, NULL);
        if (i >= 0) t[i] = emscripten_get_now() - a;
    }
    double med = -1;
    if (t) {
        qsort(t, (size_t)n, sizeof *t, web_bench_cmp);
        med = t[(n - 1) / 2];
    }
    free(t);
    ui_model_free(m);
    trace_free(tr);
    ui_gfx_free(g);
    return med;
}
