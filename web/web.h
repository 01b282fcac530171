/* web.h -- what mailsim's page (web/page.js) calls in the program compiled
 * to WebAssembly (web_main.c, web_bench.c). Emscripten builds only. Strings
 * returned are static, valid until the next call. */
#ifndef MAILSIM_WEB_WEB_H
#define MAILSIM_WEB_WEB_H

/* Open the scenario at path (in the page's file system; NULL or "": the
 * built-in lesson) with variant (NULL or "": none) at step k, and show it;
 * the first call opens the window on the page's canvas. Returns "" or what
 * went wrong, in the native program's words ("file:line:col: ..."); a file
 * that does not load leaves the lesson shown as it was. */
const char *web_open(const char *path, const char *variant, int k);
/* Go to step k (clamped), paused. */
void web_seek(int k);
/* The window's step, its number of steps N, whether it plays: -1 when no
 * window is open. */
int web_step(void);
int web_steps(void);
int web_playing(void);
/* The variant in use, "" when none. */
const char *web_variant(void);
/* What the window says in its narration bar ("saved ...", an error), "" when
 * nothing. */
const char *web_notice(void);
/* Median milliseconds to draw one w x h frame of the workload of
 * tests/bench/bench_ui.c (ui_frame_median_ms), over n frames; -1 when the
 * renderer cannot be made. */
double web_bench_frame_ms(int w, int h, int n);

#endif
