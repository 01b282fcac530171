/* web_main.c -- mailsim in a web page: the program side of the window (load
 * a scenario and simulate it, as sim/main.c does for the native window) and
 * the functions the page's script (web/page.js) calls.
 *
 * Built by 'make web' only (Emscripten). Scenario files live in the page's
 * in-memory file system: the script writes a lesson it fetched, or a file
 * the user opened, there and passes its path; nothing leaves the browser.
 * Strings returned to the page are static and valid until the next call. */
#include <emscripten.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mail/world.h"
#include "ui/ui.h"
#include "web/web.h"

static struct ui_app *web_app;
static struct ui_world web_world;
static bool web_window_open;
static char web_msg[512];

/* The window's simulator: scenario s from the start to the end. */
static struct trace *web_simulate(void *ctx, const struct scn_scenario *s, struct ms_error *err)
{
    (void)ctx;
    return world_simulate(s, true, err); /* timers kept as notes, for the future view (E) */
}

static const struct ui_sim web_sim = {NULL, web_simulate, world_transcript};

EMSCRIPTEN_KEEPALIVE const char *web_open(const char *path, const char *variant, int k)
{
    struct ms_error err;
    memset(&err, 0, sizeof err);
    web_msg[0] = '\0';
    const char *file = path && *path ? path : NULL;
    struct ui_world w;
    if (web_app->load(web_app->ctx, file, &w, &err) != 0) {
        snprintf(web_msg, sizeof web_msg, "%s", err.msg);
        return web_msg;
    }
    if (variant && *variant && web_app->variant(web_app->ctx, variant, &w, &err) != 0)
        /* The file loaded; it is shown without the variant. */
        snprintf(web_msg, sizeof web_msg, "--variant %s: %s", variant, err.msg);
    size_t step = k > 0 ? (size_t)k : 0;
    if (web_window_open) {
        ui_window_show(&w, file, step);
        return web_msg;
    }
    struct ui_view v;
    ui_view_init(&v);
    v.step = step; /* clamped by the window */
    web_world = w;
    int rc = ui_window_run(web_app, file, &web_world, &v, &err);
    if (rc != 0) {
        snprintf(web_msg, sizeof web_msg, "cannot open the window: %s", err.msg);
        return web_msg;
    }
    web_window_open = true;
    return web_msg;
}

EMSCRIPTEN_KEEPALIVE void web_seek(int k)
{
    ui_window_seek(k > 0 ? (size_t)k : 0);
}

EMSCRIPTEN_KEEPALIVE int web_step(void)
{
    struct ui_window_state st;
    return ui_window_state(&st) ? (int)st.step : -1;
}

EMSCRIPTEN_KEEPALIVE int web_steps(void)
{
    struct ui_window_state st;
    return ui_window_state(&st) ? (int)st.steps : -1;
}

EMSCRIPTEN_KEEPALIVE int web_playing(void)
{
    struct ui_window_state st;
    return ui_window_state(&st) ? st.playing : -1;
}

EMSCRIPTEN_KEEPALIVE const char *web_variant(void)
{
    struct ui_window_state st;
    return ui_window_state(&st) && st.variant ? st.variant : "";
}

EMSCRIPTEN_KEEPALIVE const char *web_notice(void)
{
    struct ui_window_state st;
    return ui_window_state(&st) && st.notice ? st.notice : "";
}

int main(void)
{
    web_app = ui_app_new(&web_sim);
    /* The page opens the first lesson (web_open) once its files are here. */
    return 0;
}
