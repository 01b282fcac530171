/* ui_window.c -- the window: events change the view, then the frame is drawn
 * offscreen (ui_draw) and copied to the window's framebuffer.
 *
 * Presenting: the frame is blitted to SDL_GetWindowSurface and shown with
 * SDL_UpdateWindowSurface. SDL_HINT_FRAMEBUFFER_ACCELERATION defaults to "0"
 * here (the environment variable SDL_FRAMEBUFFER_ACCELERATION still wins):
 * under X11 that uses XShm directly instead of a GL texture upload, which
 * cost about 11 ms a frame under Xvfb against about 1 ms (tests/bench). */
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/lesson.h"
#include "ui/ui_int.h"

#ifdef __EMSCRIPTEN__
#include <emscripten.h>
#endif

static void ui_win_title(struct ui_win *w)
{
    char t[512];
    snprintf(t, sizeof t, "mailsim \xe2\x80\x94 %s%s \xe2\x80\x94 step %zu/%zu",
             w->picker ? "choose a lesson \xe2\x80\x94 " : "", ui_model_title(w->m), w->v.step,
             ui_model_steps(w->m));
    if (strcmp(t, w->title) != 0) {
        memcpy(w->title, t, sizeof t);
        SDL_SetWindowTitle(w->win, t);
    }
}

static bool ui_win_gfx(struct ui_win *w, struct ms_error *err)
{
    int ww, wh;
    SDL_GetWindowSize(w->win, &ww, &wh);
    if (ww < 320) ww = 320;
    if (wh < 240) wh = 240;
    ui_gfx_free(w->g);
    w->g = ui_gfx_new_offscreen(ww, wh, err);
    if (!w->g) return false;
    SDL_SetSurfaceBlendMode(w->g->surface, SDL_BLENDMODE_NONE);
    w->dirty = true;
    return true;
}

static void ui_win_present(struct ui_win *w)
{
    ui_draw(w->g, w->m, &w->v, NULL);
    if (w->picker) ui_picker_draw(w->g, w->picker, w->v.theme, w->v.zoom);
    SDL_Surface *ws = SDL_GetWindowSurface(w->win);
    if (ws) {
        SDL_BlitSurface(w->g->surface, NULL, ws, NULL);
        SDL_UpdateWindowSurface(w->win);
    }
    ui_win_title(w);
    w->dirty = false;
}

/* Say something to the lecturer: on stderr, and in the window's narration
 * bar until the next key, since nobody in a lecture hall reads a terminal. */
void ui_win_say(struct ui_win *w, bool bad, const char *fmt, ...) MS_PRINTF(3, 4);
void ui_win_say(struct ui_win *w, bool bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->v.notice, sizeof w->v.notice, fmt, ap);
    va_end(ap);
    w->v.notice_bad = bad;
    fprintf(stderr, "mailsim: %s\n", w->v.notice);
    w->dirty = true;
}

/* Where S saves: $MAILSIM_SHOT_DIR, else the pictures folder
 * ($XDG_PICTURES_DIR, else ~/Pictures when it exists), else the home
 * folder; never the current folder (a source checkout, often). */
static void ui_win_shot_dir(char *out, size_t cap)
{
    const char *env = getenv("MAILSIM_SHOT_DIR");
    const char *pics = getenv("XDG_PICTURES_DIR");
    const char *home = getenv("HOME");
    struct stat sb;
    if (env && *env)
        snprintf(out, cap, "%s", env);
    else if (pics && *pics && stat(pics, &sb) == 0 && S_ISDIR(sb.st_mode))
        snprintf(out, cap, "%s", pics);
    else if (home && *home) {
        snprintf(out, cap, "%s/Pictures", home);
        if (stat(out, &sb) != 0 || !S_ISDIR(sb.st_mode)) snprintf(out, cap, "%s", home);
    } else
        snprintf(out, cap, "/tmp");
}

void ui_win_screenshot(struct ui_win *w)
{
    char path[1024], dir[800];
    ui_win_shot_dir(dir, sizeof dir);
    struct stat sb;
    for (int n = 0; n < 1000; n++) {
        snprintf(path, sizeof path, "%s/mailsim-step-%zu%s%.0d.png", dir, w->v.step, n ? "-" : "",
                 n);
        if (stat(path, &sb) != 0) break;
    }
    struct ms_error err;
    memset(&err, 0, sizeof err);
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.part", path);
    struct ui_view shot = w->v;
    shot.notice[0] = '\0'; /* for slides: what the window said is not part of it */
    ui_draw(w->g, w->m, &shot, NULL);
    /* Written whole, then renamed: nobody sees half a PNG. */
    if (ui_gfx_save_png(w->g, tmp, &err) == 0 && rename(tmp, path) == 0) {
        ui_win_say(w, false, "saved %s", path);
    } else {
        ui_win_say(w, true, "cannot save %s: %s", path, err.msg);
        remove(tmp);
    }
}

/* Swap in a new world, keeping the step (the trace's prefix is the same). */
/* The variant menu lists the loaded file's variants, kept by the app. */
static void ui_win_variants(struct ui_win *w)
{
    if (!w->app || !w->app->variants) return;
    size_t n = 0;
    const struct scn_variant *v = w->app->variants(w->app->ctx, &n);
    ui_model_set_variants(w->m, v, n);
}

/* A slider's value becomes a scenario action at the current time. */
void ui_win_change(struct ui_win *w, const struct scn_action *a);

static void ui_win_adopt(struct ui_win *w, const struct ui_world *nw)
{
    ui_model_free(w->m);
    w->world = *nw;
    w->m = ui_model_new(nw->tr, nw->scn);
    ui_model_set_title(w->m, nw->title);
    ui_win_variants(w);
    if (w->v.step > ui_model_steps(w->m)) w->v.step = ui_model_steps(w->m);
    w->v.frac = 0;
    if (w->v.overlay == UI_OV_INSPECT && w->v.inspect >= ui_model_steps(w->m))
        w->v.overlay = UI_OV_NONE;
    w->dirty = true;
}

void ui_win_reload(struct ui_win *w)
{
    if (!w->app || !w->app->load) {
        ui_win_say(w, true, "nothing to reload: this window shows no scenario file");
        return;
    }
    struct ui_world nw;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    /* The old world may be freed by load: drop the model's view of it first. */
    if (w->app->load(w->app->ctx, w->file, &nw, &err) != 0) {
        ui_win_say(w, true, "reload failed, the old scenario stays: %s", err.msg);
        return;
    }
    ui_win_adopt(w, &nw);
    ui_win_say(w, false, "reloaded %s", w->file ? w->file : "the built-in lesson");
}

/* Open another lesson in place (the picker, a dropped file): a file name or
 * a lesson's name. As R: when it does not load, the current lesson stays
 * and the window says why. The new lesson starts at step 0. */
static void ui_win_open(struct ui_win *w, const char *name)
{
    char path[SCN_LESSON_PATH_MAX];
    struct scn_error se;
    struct ui_world nw;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    ui_picker_free(w->picker);
    w->picker = NULL;
    if (!w->app || !w->app->load) {
        ui_win_say(w, true, "this window cannot load lessons");
        return;
    }
    if (!scn_lesson_resolve(name, path, sizeof path, &se)) {
        ui_win_say(w, true, "cannot open it, the current lesson stays: %.200s", se.text);
        return;
    }
    if (w->app->load(w->app->ctx, path, &nw, &err) != 0) {
        ui_win_say(w, true, "cannot open it, the current lesson stays: %s", err.msg);
        return;
    }
    memcpy(w->file_buf, path, sizeof path);
    w->file = w->file_buf; /* R reloads this one from now on */
    struct ui_view fresh;
    ui_view_init(&fresh);
    fresh.theme = w->v.theme;
    fresh.zoom = w->v.zoom;
    fresh.tcp_detail = w->v.tcp_detail;
    fresh.speed = w->v.speed;
    fresh.realtime = w->v.realtime;
    w->v = fresh;
    ui_win_adopt(w, &nw);
    if (nw.scn && nw.scn->quiz) w->v.quiz = true;
    ui_win_say(w, false, "opened %s", path);
}

/* What a key, click or wheel turn in the picker asks for. */
static void ui_win_pick(struct ui_win *w, enum ui_pick what, const char *path)
{
    if (what == UI_PICK_LOAD && path) {
        char name[SCN_LESSON_PATH_MAX];
        snprintf(name, sizeof name, "%s", path); /* path lives in the picker */
        ui_win_open(w, name);
    } else if (what == UI_PICK_CLOSE) {
        ui_picker_free(w->picker);
        w->picker = NULL;
    }
    if (what != UI_PICK_NONE) w->dirty = true;
}

/* M: the message view (what clicking an envelope shows) at the next host,
 * after the one shown, that holds a message at this step. */
void ui_win_next_envelope(struct ui_win *w)
{
    struct ui_state st;
    ui_state_init(w->m, &st);
    ui_model_state(w->m, w->v.step, &st);
    size_t nh = trace_host_count(ui_model_trace(w->m));
    uint32_t from = w->v.overlay == UI_OV_MESSAGE ? w->v.msg_host + 1 : 0;
    bool found = false;
    for (size_t k = 0; k < nh && !found; k++) {
        uint32_t h = (uint32_t)((from + k) % nh);
        bool has = st.q_len[h] > 0 || ui_msgview_holds(w->m, w->v.step, h);
        for (size_t i = 0; i < st.n_mb && !has; i++) has = st.mb[i].host == h && st.mb[i].count > 0;
        if (!has) continue;
        w->v.overlay = UI_OV_MESSAGE;
        w->v.msg_host = h;
        found = true;
    }
    ui_state_free(&st);
    if (!found) ui_win_say(w, false, "no host holds a message at this step");
}

static void ui_win_fault(struct ui_win *w, enum ui_hit_kind kind, uint32_t id)
{
    if (!w->app || !w->app->fault) {
        ui_win_say(w, true, "faults need a scenario (this trace cannot be simulated again)");
        return;
    }
    struct ui_state st;
    ui_state_init(w->m, &st);
    ui_model_state(w->m, w->v.step, &st);
    struct ui_fault f;
    f.id = id;
    f.at = ui_view_time(&w->v, w->m);
    if (kind == UI_HIT_HOST)
        f.kind = st.host_down[id] ? UI_FAULT_HOST_UP : UI_FAULT_HOST_DOWN;
    else
        f.kind = st.link_down[id] ? UI_FAULT_LINK_UP : UI_FAULT_LINK_DOWN;
    ui_state_free(&st);
    struct ui_world nw;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (w->app->fault(w->app->ctx, &f, &nw, &err) != 0) {
        ui_win_say(w, true, "could not simulate the fault: %s", err.msg);
        return;
    }
    ui_win_adopt(w, &nw);
}

void ui_win_change(struct ui_win *w, const struct scn_action *a)
{
    if (!w->app || !w->app->change) {
        ui_win_say(w, true, "changes need a scenario (this trace cannot be simulated again)");
        return;
    }
    struct ui_world nw;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (w->app->change(w->app->ctx, a, &nw, &err) != 0) {
        ui_win_say(w, true, "could not simulate the change: %s", err.msg);
        return;
    }
    ui_win_adopt(w, &nw);
}

void ui_win_variant(struct ui_win *w, const char *name)
{
    if (!w->app || !w->app->variant) return;
    struct ui_world nw;
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (w->app->variant(w->app->ctx, name, &nw, &err) != 0) {
        ui_win_say(w, true, "variant %s: %s", name ? name : "(none)", err.msg);
        return;
    }
    ui_win_adopt(w, &nw);
}

/* Keys of the slider overlay (L): Up/Down choose, Left/Right move, Enter
 * applies (simulates again), Esc closes. */
bool ui_win_controls_key(struct ui_win *w, SDL_Keycode k)
{
    struct ui_view *v = &w->v;
    const struct scn_scenario *s = w->world.scn;
    struct ui_ctl c[64];
    size_t n = ui_controls(s, ui_view_time(v, w->m), c, MS_ARRAY_LEN(c));
    if (n > MS_ARRAY_LEN(c)) n = MS_ARRAY_LEN(c);
    if (k == SDLK_ESCAPE || k == SDLK_l) {
        v->overlay = UI_OV_NONE;
        v->ctl_moved = false;
        return true;
    }
    if (n == 0) return false;
    if (v->ctl_sel >= (int)n) v->ctl_sel = 0;
    if (k == SDLK_UP || k == SDLK_DOWN) {
        v->ctl_sel = (v->ctl_sel + (k == SDLK_UP ? (int)n - 1 : 1)) % (int)n;
        v->ctl_moved = false;
    } else if (k == SDLK_LEFT || k == SDLK_RIGHT) {
        const struct ui_ctl *cc = &c[v->ctl_sel];
        int64_t cur = v->ctl_moved ? v->ctl_value : cc->value;
        v->ctl_value = ui_ctl_step(cc->kind, cur, k == SDLK_RIGHT ? 1 : -1);
        v->ctl_moved = v->ctl_value != cc->value;
    } else if ((k == SDLK_RETURN || k == SDLK_KP_ENTER) && v->ctl_moved) {
        struct scn_action a;
        ui_ctl_action(s, &c[v->ctl_sel], v->ctl_value, ui_view_time(v, w->m), &a);
        v->ctl_moved = false;
        ui_win_change(w, &a);
    } else {
        return false;
    }
    return true;
}

static void ui_win_click(struct ui_win *w, int x, int y)
{
    if (w->v.overlay != UI_OV_NONE) {
        w->v.overlay = UI_OV_NONE;
        w->dirty = true;
        return;
    }
    struct ui_hit h = ui_gfx_hit(w->g, x, y);
    switch (h.kind) {
    case UI_HIT_HOST:
    case UI_HIT_LINK:
        ui_win_fault(w, h.kind, h.id);
        break;
    case UI_HIT_PACKET:
    case UI_HIT_ARROW: {
        w->v.overlay = UI_OV_INSPECT;
        w->v.inspect = h.rec;
        /* The dialogue panel shows the clicked connection from now on. */
        const struct trace_rec *r =
            h.rec < ui_model_steps(w->m) ? trace_get(ui_model_trace(w->m), h.rec) : NULL;
        const struct trace_line *l = trace_as_line(r);
        const struct trace_seg *sg = trace_as_seg(r);
        uint32_t conn = l ? l->conn : sg ? sg->conn : 0;
        if (conn) w->v.conn = conn;
        break;
    }
    case UI_HIT_ENVELOPE:
        w->v.overlay = UI_OV_MESSAGE;
        w->v.msg_host = h.id;
        break;
    case UI_HIT_TIMELINE:
        ui_view_seek(&w->v, w->m, ui_model_step_at_where(w->m, h.where));
        w->v.playing = false;
        break;
    default:
        break;
    }
    w->dirty = true;
}

/* A key: what the window said goes away, then the key table (ui_keys.c)
 * says what the key does in the current mode. */
static void ui_win_key(struct ui_win *w, const SDL_KeyboardEvent *e)
{
    if (w->v.notice[0]) { /* any key dismisses what the window said */
        w->v.notice[0] = '\0';
        w->dirty = true;
    }
    if (w->picker) { /* the lesson picker has the keys */
        const char *path = NULL;
        if (e->keysym.sym == SDLK_q && !w->picker->typing) w->quit = true;
        enum ui_pick what = ui_picker_key(w->picker, e->keysym.sym, &path);
        ui_win_pick(w, what, path); /* path is set by the call before */
        return;
    }
    if (ui_key_dispatch(w, e->keysym.sym, e->keysym.mod)) w->dirty = true;
}

static void ui_win_event(struct ui_win *w, const SDL_Event *e, struct ms_error *err)
{
    switch (e->type) {
    case SDL_QUIT:
        w->quit = true;
        break;
    case SDL_KEYDOWN:
        ui_win_key(w, &e->key);
        break;
    case SDL_TEXTINPUT:
        if (w->picker) {
            ui_win_pick(w, ui_picker_text(w->picker, e->text.text), NULL);
            break;
        }
        if (w->v.overlay == UI_OV_UNTIL) {
            if (!w->until_skip_text) ui_until_menu_text(&w->v, e->text.text);
            w->until_skip_text = false;
            w->dirty = true;
            break;
        }
        if (strcmp(e->text.text, "?") == 0 && w->v.overlay == UI_OV_NONE) {
            w->v.overlay = UI_OV_HELP; /* as H: paused while open */
            w->help_resume = w->v.playing;
            w->v.playing = false;
            w->dirty = true;
        }
        break;
    case SDL_DROPFILE: /* a scenario file dropped on the window opens in place */
        ui_win_open(w, e->drop.file);
        SDL_free(e->drop.file);
        break;
    case SDL_MOUSEWHEEL: {
        if (w->picker) {
            ui_win_pick(w, ui_picker_wheel(w->picker, e->wheel.y > 0 ? -1 : 1), NULL);
            break;
        }
        /* Over the sequence diagram or the dialogue: scroll back (up) and
         * forward; over the network: zoom. */
        int mx, my;
        SDL_GetMouseState(&mx, &my);
        struct ui_hit h = ui_gfx_hit(w->g, mx, my);
        size_t *back = NULL;
        if (h.kind == UI_HIT_PANEL || h.kind == UI_HIT_ARROW) {
            if (h.id == UI_FOCUS_SEQ || (h.kind == UI_HIT_ARROW && h.id == 0))
                back = &w->v.seq_back;
            else
                back = &w->v.dia_back;
        }
        if (back) {
            if (e->wheel.y > 0)
                *back += 3;
            else if (e->wheel.y < 0)
                *back = *back > 3 ? *back - 3 : 0;
            w->dirty = true;
            break;
        }
        if (e->wheel.y > 0 && w->v.topo_zoom < 4)
            w->v.topo_zoom *= 1.1;
        else if (e->wheel.y < 0 && w->v.topo_zoom > 0.3)
            w->v.topo_zoom /= 1.1;
        w->dirty = true;
        break;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (e->button.button != SDL_BUTTON_LEFT) break;
        if (w->picker) {
            const char *path = NULL;
            enum ui_pick what = ui_picker_click(w->picker, e->button.x, e->button.y, &path);
            ui_win_pick(w, what, path); /* path is set by the call before */
            break;
        }
        w->down = true;
        w->down_x = w->last_x = e->button.x;
        w->down_y = w->last_y = e->button.y;
        w->dragging_tl = ui_gfx_hit(w->g, e->button.x, e->button.y).kind == UI_HIT_TIMELINE &&
                         w->v.overlay == UI_OV_NONE;
        w->dragging_pan = false;
        break;
    case SDL_MOUSEMOTION:
        if (!w->down) break;
        if (w->dragging_tl) {
            struct ui_hit h = ui_gfx_hit(w->g, e->motion.x, w->down_y);
            if (h.kind == UI_HIT_TIMELINE) {
                ui_view_seek(&w->v, w->m, ui_model_step_at_where(w->m, h.where));
                w->v.playing = false;
                w->dirty = true;
            }
        } else if (abs(e->motion.x - w->down_x) + abs(e->motion.y - w->down_y) > 4) {
            w->dragging_pan = true;
            double s = w->g->scale > 0 ? w->g->scale : 1;
            w->v.pan_x += (e->motion.x - w->last_x) / s;
            w->v.pan_y += (e->motion.y - w->last_y) / s;
            w->dirty = true;
        }
        w->last_x = e->motion.x;
        w->last_y = e->motion.y;
        break;
    case SDL_MOUSEBUTTONUP:
        if (e->button.button != SDL_BUTTON_LEFT || !w->down) break;
        w->down = false;
        if (!w->dragging_pan) ui_win_click(w, e->button.x, e->button.y);
        w->dragging_tl = w->dragging_pan = false;
        break;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED) {
            if (!ui_win_gfx(w, err)) w->quit = true;
        } else if (e->window.event == SDL_WINDOWEVENT_EXPOSED) {
            w->dirty = true;
        }
        break;
    default:
        break;
    }
}

/* One turn of the loop: the events that arrived, time while playing, the
 * frame when something changed. wait: block up to 100 ms for an event while
 * paused and pace playing at about 60 frames a second (the native loop; in
 * the browser, the page's animation frames pace it). */
static void ui_win_turn(struct ui_win *w, bool wait, struct ms_error *err)
{
    SDL_Event e;
    if (w->v.playing || !wait ? SDL_PollEvent(&e) : SDL_WaitEventTimeout(&e, 100)) {
        do ui_win_event(w, &e, err);
        while (!w->quit && SDL_PollEvent(&e));
    }
    Uint64 now = SDL_GetTicks64();
    if (w->v.playing) {
        ui_view_advance(&w->v, w->m, (double)(now - w->last) / 1000.0);
        w->dirty = true;
    }
    w->last = now;
    if (w->dirty && !w->quit)
        ui_win_present(w);
    else if (!w->v.playing && wait)
        SDL_Delay(1);
    if (w->v.playing && wait) {
        /* About 60 frames a second. */
        Uint64 spent = SDL_GetTicks64() - now;
        if (spent < 16) SDL_Delay((Uint32)(16 - spent));
    }
}

#ifdef __EMSCRIPTEN__
#include "ui/ui_window_web.inc"
#endif

int ui_window_run(const struct ui_app *app, const char *file, struct ui_world *world,
                  const struct ui_view *view, struct ms_error *err)
{
    SDL_SetHintWithPriority(SDL_HINT_FRAMEBUFFER_ACCELERATION, "0", SDL_HINT_DEFAULT);
    /* Xlib converts the UTF-8 window title ("mailsim \u2014 ...") through the C
     * library's character type: without a UTF-8 LC_CTYPE, _NET_WM_NAME is
     * never updated. Only LC_CTYPE changes; numbers print as before. */
    const char *ct = setlocale(LC_CTYPE, "");
    if (!ct || (!strstr(ct, "UTF-8") && !strstr(ct, "utf8") && !strstr(ct, "UTF8")))
        setlocale(LC_CTYPE, "C.UTF-8");
        /* No display at all: say so without asking SDL, whose video back ends
     * print their own complaints (Wayland's "XDG_RUNTIME_DIR is invalid")
     * before giving up. */
#ifndef __EMSCRIPTEN__ /* a web page is its own display */
    const char *disp = getenv("DISPLAY"), *wl = getenv("WAYLAND_DISPLAY");
    const char *forced = getenv("SDL_VIDEODRIVER");
    if ((!disp || !*disp) && (!wl || !*wl) &&
        (!forced || strcmp(forced, "x11") == 0 || strcmp(forced, "wayland") == 0)) {
        ms_error_set(err, 0, NULL, "neither DISPLAY nor WAYLAND_DISPLAY is set");
        return 3;
    }
#endif
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        ms_error_set(err, 0, NULL, "%s", SDL_GetError());
        return 3;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (strcmp(drv, "dummy") == 0 || strcmp(drv, "offscreen") == 0)) {
        ms_error_set(err, 0, NULL, "SDL video driver \"%s\" shows nothing", drv);
        SDL_Quit();
        return 3;
    }
    struct ui_win w;
    memset(&w, 0, sizeof w);
    w.app = app;
    w.file = file;
    w.world = *world;
    if (view)
        w.v = *view;
    else
        ui_view_init(&w.v);
    if (w.world.scn && w.world.scn->quiz) w.v.quiz = true; /* the scenario's "quiz": true */
    int ww = 1920, wh = 1080;
    SDL_Rect usable;
    if (SDL_GetDisplayUsableBounds(0, &usable) == 0 && usable.w > 320 && usable.h > 240) {
        if (ww > usable.w) ww = usable.w;
        if (wh > usable.h - 40) wh = usable.h - 40;
    }
    w.win = SDL_CreateWindow("mailsim", SDL_WINDOWPOS_CENTERED, SDL_WINDOWPOS_CENTERED, ww, wh,
                             SDL_WINDOW_RESIZABLE);
    if (!w.win) {
        snprintf(err->msg, sizeof err->msg, "cannot open a window: %s", SDL_GetError());
        SDL_Quit();
        return 3;
    }
    int rc = 0;
    if (!ui_win_gfx(&w, err)) {
        rc = 1;
        goto out;
    }
    w.m = ui_model_new(world->tr, world->scn);
    ui_win_variants(&w);
    ui_model_set_title(w.m, world->title);
    if (w.v.step > ui_model_steps(w.m)) w.v.step = ui_model_steps(w.m);
    if (w.v.pick_lesson) w.picker = ui_picker_new(); /* --pick: choose a lesson first */
    w.v.pick_lesson = false;
    SDL_StartTextInput();
    w.last = SDL_GetTicks64();
#ifdef __EMSCRIPTEN__
    return ui_win_web_start(&w); /* the browser runs the loop from here on */
#endif
    while (!w.quit) ui_win_turn(&w, true, err);
    *world = w.world;
out:
    ui_picker_free(w.picker);
    ui_model_free(w.m);
    ui_gfx_free(w.g);
    SDL_DestroyWindow(w.win);
    SDL_Quit();
    return rc;
}
