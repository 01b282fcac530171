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

struct ui_win {
    const struct ui_app *app;
    const char *file;
    struct ui_world world;
    struct ui_model *m;
    struct ui_view v;
    SDL_Window *win;
    struct ui_gfx *g;
    bool dirty, quit;
    Uint64 last; /* SDL_GetTicks64 at the last turn of the loop */
    /* Mouse. */
    bool down, dragging_tl, dragging_pan;
    int down_x, down_y, last_x, last_y;
    char title[512];
    bool until_skip_text; /* issue 9: drop the text event of the U that opened the menu */
    struct ui_picker *picker;             /* the lesson picker (O), NULL when closed */
    char file_buf[SCN_LESSON_PATH_MAX];   /* w->file after a lesson was opened in place */
};

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
static void ui_win_say(struct ui_win *w, bool bad, const char *fmt, ...) MS_PRINTF(3, 4);
static void ui_win_say(struct ui_win *w, bool bad, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(w->v.notice, sizeof w->v.notice, fmt, ap);
    va_end(ap);
    w->v.notice_bad = bad;
    fprintf(stderr, "mailsim: %s\n", w->v.notice);
    w->dirty = true;
}

static void ui_win_screenshot(struct ui_win *w)
{
    char path[512];
    const char *dir = getenv("MAILSIM_SHOT_DIR");
    struct stat sb;
    for (int n = 0; n < 1000; n++) {
        snprintf(path, sizeof path, "%s%smailsim-step-%zu%s%.0d.png", dir ? dir : "",
                 dir ? "/" : "", w->v.step, n ? "-" : "", n);
        if (stat(path, &sb) != 0) break;
    }
    struct ms_error err;
    memset(&err, 0, sizeof err);
    char tmp[600];
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
/* issue 9: the variant menu lists the loaded file's variants, kept by the app. */
static void ui_win_variants(struct ui_win *w)
{
    if (!w->app || !w->app->variants) return;
    size_t n = 0;
    const struct scn_variant *v = w->app->variants(w->app->ctx, &n);
    ui_model_set_variants(w->m, v, n);
}

/* issue 9: a slider's value becomes a scenario action at the current time. */
static void ui_win_change(struct ui_win *w, const struct scn_action *a);

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

static void ui_win_reload(struct ui_win *w)
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
static void ui_win_next_envelope(struct ui_win *w)
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

static void ui_win_change(struct ui_win *w, const struct scn_action *a)
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

static void ui_win_variant(struct ui_win *w, const char *name)
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
static bool ui_win_controls_key(struct ui_win *w, SDL_Keycode k)
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
        const struct trace_rec *r = h.rec < ui_model_steps(w->m) ? trace_get(ui_model_trace(w->m), h.rec) : NULL;
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

static void ui_win_key(struct ui_win *w, const SDL_KeyboardEvent *e)
{
    SDL_Keymod mod = (SDL_Keymod)e->keysym.mod;
    struct ui_view *v = &w->v;
    bool shift = mod & KMOD_SHIFT, ctrl = mod & KMOD_CTRL;
    int dir = 0;
    if (v->notice[0]) { /* any key dismisses what the window said */
        v->notice[0] = '\0';
        w->dirty = true;
    }
    if (w->picker) { /* the lesson picker has the keys */
        const char *path = NULL;
        if (e->keysym.sym == SDLK_q && !w->picker->typing) w->quit = true;
        enum ui_pick what = ui_picker_key(w->picker, e->keysym.sym, &path);
        ui_win_pick(w, what, path); /* path is set by the call before */
        return;
    }
    if (v->overlay == UI_OV_UNTIL) { /* issue 9: the run-until menu has the keys */
        switch (e->keysym.sym) {
        case SDLK_UP:
            ui_until_menu_move(v, -1);
            break;
        case SDLK_DOWN:
            ui_until_menu_move(v, 1);
            break;
        case SDLK_BACKSPACE:
            ui_until_menu_text(v, "\b");
            break;
        case SDLK_RETURN:
        case SDLK_KP_ENTER:
            ui_until_menu_run(v, w->m);
            break;
        case SDLK_ESCAPE:
            v->overlay = UI_OV_NONE;
            break;
        default:
            return; /* the rest arrives as SDL_TEXTINPUT */
        }
        w->dirty = true;
        return;
    }
    if (v->overlay == UI_OV_CONTROLS) { /* issue 9: sliders */
        if (ui_win_controls_key(w, e->keysym.sym))
            w->dirty = true;
        else if (e->keysym.sym == SDLK_q)
            w->quit = true;
        return;
    }
    if (v->overlay == UI_OV_VARIANTS) { /* issue 9: the variant menu */
        size_t n = 0;
        const struct scn_variant *vs =
            w->app && w->app->variants ? w->app->variants(w->app->ctx, &n) : NULL;
        SDL_Keycode k = e->keysym.sym;
        int rows = (int)n + 1; /* row 0: no variant */
        if (k == SDLK_UP)
            v->var_sel = (v->var_sel + rows - 1) % rows;
        else if (k == SDLK_DOWN)
            v->var_sel = (v->var_sel + 1) % rows;
        else if (k == SDLK_RETURN || k == SDLK_KP_ENTER) {
            v->overlay = UI_OV_NONE;
            ui_win_variant(w, v->var_sel > 0 && vs ? vs[v->var_sel - 1].name : NULL);
        } else if (k == SDLK_ESCAPE || k == SDLK_v)
            v->overlay = UI_OV_NONE;
        else if (k == SDLK_q)
            w->quit = true;
        else
            return;
        w->dirty = true;
        return;
    }
    if (v->overlay == UI_OV_PINS) { /* issue 9: the pin menu has the keys */
        struct ui_pin c[12];
        size_t n = ui_pin_candidates(w->m, c, MS_ARRAY_LEN(c));
        if (n > MS_ARRAY_LEN(c)) n = MS_ARRAY_LEN(c);
        SDL_Keycode k = e->keysym.sym;
        if (k == SDLK_UP && n)
            v->pin_sel = (v->pin_sel + (int)n - 1) % (int)n;
        else if (k == SDLK_DOWN && n)
            v->pin_sel = (v->pin_sel + 1) % (int)n;
        else if ((k == SDLK_RETURN || k == SDLK_KP_ENTER || k == SDLK_SPACE) &&
                 (size_t)v->pin_sel < n)
            ui_view_pin_toggle(v, &c[v->pin_sel]);
        else if (k >= SDLK_1 && k <= SDLK_9 && (size_t)(k - SDLK_1) < n)
            ui_view_pin_toggle(v, &c[k - SDLK_1]);
        else if (k == SDLK_ESCAPE || k == SDLK_p)
            v->overlay = UI_OV_NONE;
        else if (k == SDLK_q)
            w->quit = true;
        else
            return;
        w->dirty = true;
        return;
    }
    if (v->overlay == UI_OV_QUIZ) { /* issue 9: a question has the keys */
        SDL_Keycode k = e->keysym.sym;
        if (k >= SDLK_1 && k <= SDLK_6)
            ui_quiz_pick(v, w->m, (int)(k - SDLK_1));
        else if (k >= SDLK_KP_1 && k <= SDLK_KP_6)
            ui_quiz_pick(v, w->m, (int)(k - SDLK_KP_1));
        else if (k == SDLK_RETURN || k == SDLK_KP_ENTER)
            ui_quiz_reveal(v);
        else if (k == SDLK_SPACE || k == SDLK_RIGHT)
            ui_quiz_continue(v, w->m);
        else if (k == SDLK_ESCAPE) {
            ui_quiz_continue(v, w->m);
            v->playing = false;
        } else if (k == SDLK_k)
            v->quiz = false, v->overlay = UI_OV_NONE;
        else if (k == SDLK_q)
            w->quit = true;
        else
            return;
        w->dirty = true;
        return;
    }
    switch (e->keysym.sym) {
    case SDLK_SPACE:
        if (v->step >= ui_model_steps(w->m)) ui_view_seek(v, w->m, 0);
        v->playing = !v->playing;
        break;
    case SDLK_RIGHT:
        dir = 1;
        /* fall through */
    case SDLK_LEFT:
        if (!dir) dir = -1;
        v->playing = false;
        if (ctrl)
            ui_view_step_message(v, w->m, dir);
        else if (shift)
            ui_view_step_line(v, w->m, dir);
        else
            ui_view_step(v, w->m, dir);
        if (v->overlay == UI_OV_INSPECT && v->step > 0) v->inspect = v->step - 1;
        break;
    case SDLK_i: /* the inspector on the current record: a click's keyboard twin */
        if (v->overlay == UI_OV_INSPECT)
            v->overlay = UI_OV_NONE;
        else if (v->step > 0) {
            v->overlay = UI_OV_INSPECT;
            v->inspect = v->step - 1;
        }
        break;
    case SDLK_m: /* the messages at a host with a queue or a mailbox, one host after another */
        ui_win_next_envelope(w);
        break;
    case SDLK_HOME:
        ui_view_seek(v, w->m, 0);
        break;
    case SDLK_END:
        ui_view_seek(v, w->m, ui_model_steps(w->m));
        v->playing = false;
        break;
    case SDLK_LEFTBRACKET:
        if (v->speed > 0) v->speed--;
        break;
    case SDLK_RIGHTBRACKET:
        if (v->speed < UI_SPEED_COUNT - 1) v->speed++;
        break;
    case SDLK_PLUS:
    case SDLK_EQUALS:
    case SDLK_KP_PLUS:
        if (v->zoom < 3) v->zoom *= 1.1;
        break;
    case SDLK_MINUS:
    case SDLK_KP_MINUS:
        if (v->zoom > 0.5) v->zoom /= 1.1;
        break;
    case SDLK_0:
        v->zoom = 1;
        v->topo_zoom = 1;
        v->pan_x = v->pan_y = 0;
        break;
    case SDLK_f: {
        Uint32 fl = SDL_GetWindowFlags(w->win);
        SDL_SetWindowFullscreen(
            w->win, (fl & SDL_WINDOW_FULLSCREEN_DESKTOP) ? 0 : SDL_WINDOW_FULLSCREEN_DESKTOP);
        break;
    }
    case SDLK_t:
        v->tcp_detail = !v->tcp_detail;
        break;
    case SDLK_d:
        v->theme = v->theme == UI_THEME_DARK ? UI_THEME_LIGHT : UI_THEME_DARK;
        break;
    case SDLK_s:
        ui_win_screenshot(w);
        break;
    case SDLK_r:
        ui_win_reload(w);
        break;
    case SDLK_c: /* the dialogue panel: next connection, then back to following */
        ui_view_cycle_conn(v, w->m);
        break;
    case SDLK_l: /* issue 9: sliders for links and servers (pauses) */
        v->playing = false;
        v->overlay = UI_OV_CONTROLS;
        v->ctl_moved = false;
        break;
    case SDLK_v: { /* issue 9: variants; the highlight starts on the one in use */
        size_t n = 0;
        const struct scn_variant *vs =
            w->app && w->app->variants ? w->app->variants(w->app->ctx, &n) : NULL;
        const char *cur = w->world.scn ? w->world.scn->variant : NULL;
        v->var_sel = 0;
        for (size_t i = 0; cur && vs && i < n; i++)
            if (strcmp(vs[i].name, cur) == 0) v->var_sel = (int)i + 1;
        v->overlay = UI_OV_VARIANTS;
        break;
    }
    case SDLK_p: /* issue 9: pin mailboxes and queues */
        v->overlay = UI_OV_PINS;
        break;
    case SDLK_k: /* issue 9: quiz mode */
        v->quiz = !v->quiz;
        break;
    case SDLK_e: /* issue 9: the future-event view */
        v->future = !v->future;
        break;
    case SDLK_u: /* issue 9: run until */
        v->playing = false;
        ui_until_menu_open(v);
        w->until_skip_text = true; /* the "u" of this key press */
        break;
    case SDLK_ESCAPE:
        v->overlay = UI_OV_NONE;
        break;
    case SDLK_q:
        w->quit = true;
        break;
    case SDLK_o: /* the lesson picker */
        v->playing = false;
        w->picker = ui_picker_new();
        break;
    case SDLK_h:
        v->overlay = v->overlay == UI_OV_HELP ? UI_OV_NONE : UI_OV_HELP;
        break;
    case SDLK_SLASH:
        if (shift) v->overlay = v->overlay == UI_OV_HELP ? UI_OV_NONE : UI_OV_HELP;
        break;
    default:
        return;
    }
    w->dirty = true;
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
        if (w->v.overlay == UI_OV_UNTIL) { /* issue 9 */
            if (!w->until_skip_text) ui_until_menu_text(&w->v, e->text.text);
            w->until_skip_text = false;
            w->dirty = true;
            break;
        }
        if (strcmp(e->text.text, "?") == 0 && w->v.overlay != UI_OV_HELP) {
            w->v.overlay = UI_OV_HELP;
            w->dirty = true;
        }
        break;
    case SDL_DROPFILE: /* a scenario file dropped on the window opens in place */
        ui_win_open(w, e->drop.file);
        SDL_free(e->drop.file);
        break;
    case SDL_MOUSEWHEEL:
        if (w->picker) {
            ui_win_pick(w, ui_picker_wheel(w->picker, e->wheel.y > 0 ? -1 : 1), NULL);
            break;
        }
        if (e->wheel.y > 0 && w->v.topo_zoom < 4)
            w->v.topo_zoom *= 1.1;
        else if (e->wheel.y < 0 && w->v.topo_zoom > 0.3)
            w->v.topo_zoom /= 1.1;
        w->dirty = true;
        break;
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
        do
            ui_win_event(w, &e, err);
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
    if (SDL_Init(SDL_INIT_VIDEO) != 0) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "%s", SDL_GetError());
        return 3;
    }
    const char *drv = SDL_GetCurrentVideoDriver();
    if (drv && (strcmp(drv, "dummy") == 0 || strcmp(drv, "offscreen") == 0)) {
        memset(err, 0, sizeof *err);
        snprintf(err->msg, sizeof err->msg, "SDL video driver \"%s\" shows nothing", drv);
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
    if (w.world.scn && w.world.scn->quiz) w.v.quiz = true; /* issue 9: "quiz": true */
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
    ui_win_variants(&w); /* issue 9 */
    ui_model_set_title(w.m, world->title);
    if (w.v.step > ui_model_steps(w.m)) w.v.step = ui_model_steps(w.m);
    if (w.v.pick_lesson) w.picker = ui_picker_new(); /* --pick: choose a lesson first */
    w.v.pick_lesson = false;
    SDL_StartTextInput();
    w.last = SDL_GetTicks64();
#ifdef __EMSCRIPTEN__
    return ui_win_web_start(&w); /* the browser runs the loop from here on */
#endif
    while (!w.quit)
        ui_win_turn(&w, true, err);
    *world = w.world;
out:
    ui_picker_free(w.picker);
    ui_model_free(w.m);
    ui_gfx_free(w.g);
    SDL_DestroyWindow(w.win);
    SDL_Quit();
    return rc;
}
