/* ui_keys.c -- every key of the window in one table of {mode, key, action,
 * help text}: the key handler looks keys up here, and the help overlay (H)
 * prints the same rows, so adding a key is one line and the help cannot
 * fall out of step. The mode is the overlay that has the keys (a menu, the
 * quiz) or the main view. */
#include <string.h>

#include "ui/ui_int.h"

/* ---- actions of the main view ------------------------------------------------------ */

static void ui_k_play(struct ui_win *w, int arg)
{
    (void)arg;
    if (w->v.step >= ui_model_steps(w->m)) ui_view_seek(&w->v, w->m, 0);
    w->v.playing = !w->v.playing;
}

/* Right / Left at the view's grain; Shift: protocol lines; Ctrl: message
 * events. arg is +1 or -1, plus 2 for Shift and 4 for Ctrl. */
static void ui_k_step(struct ui_win *w, int arg)
{
    struct ui_view *v = &w->v;
    int dir = arg & 1 ? 1 : -1;
    v->playing = false;
    if (arg & 4)
        ui_view_step_message(v, w->m, dir);
    else if (arg & 2)
        ui_view_step_line(v, w->m, dir);
    else
        ui_view_step_grain(v, w->m, dir);
    if (v->overlay == UI_OV_INSPECT && v->step > 0) v->inspect = v->step - 1;
    v->seq_back = v->dia_back = 0;
}

static void ui_k_grain(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.grain = w->v.grain == UI_GRAIN_LINE ? UI_GRAIN_TCP : UI_GRAIN_LINE;
}

static void ui_k_inspect(struct ui_win *w, int arg)
{
    (void)arg;
    struct ui_view *v = &w->v;
    if (v->overlay == UI_OV_INSPECT)
        v->overlay = UI_OV_NONE;
    else if (v->step > 0) {
        v->overlay = UI_OV_INSPECT;
        v->inspect = v->step - 1;
    }
}

static void ui_k_envelope(struct ui_win *w, int arg)
{
    (void)arg;
    ui_win_next_envelope(w);
}

static void ui_k_home(struct ui_win *w, int arg)
{
    ui_view_seek(&w->v, w->m, arg ? ui_model_steps(w->m) : 0);
    if (arg) w->v.playing = false;
}

static void ui_k_speed(struct ui_win *w, int arg)
{
    int s = w->v.speed + arg;
    if (w->v.realtime) /* [ and ] go back to the scale, at the speed it had */
        w->v.realtime = false;
    else if (s >= 0 && s < UI_SPEED_COUNT)
        w->v.speed = s;
}

static void ui_k_realtime(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.realtime = !w->v.realtime;
}

static void ui_k_zoom(struct ui_win *w, int arg)
{
    struct ui_view *v = &w->v;
    double z = ui_zoom_next(v->zoom, arg, w->g->w, w->g->h);
    if (arg > 0 && z == v->zoom)
        ui_win_say(w, false,
                   "zoom %.0f%%: the largest this window takes (1-4: one panel "
                   "larger)",
                   v->zoom * 100);
    v->zoom = z;
    if (arg == 0) {
        v->topo_zoom = 1;
        v->pan_x = v->pan_y = 0;
    }
}

static void ui_k_fullscreen(struct ui_win *w, int arg)
{
    (void)arg;
    /* Our own record of what was asked: some window managers do not report
     * SDL_WINDOW_FULLSCREEN_DESKTOP back, and F must undo what F did. */
    w->fullscreen = !w->fullscreen;
    SDL_SetWindowFullscreen(w->win, w->fullscreen ? SDL_WINDOW_FULLSCREEN_DESKTOP : 0);
}

static void ui_k_tcp(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.tcp_detail = !w->v.tcp_detail;
}

static void ui_k_theme(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.theme = (enum ui_theme)((w->v.theme + 1) % UI_THEME_COUNT);
    ui_win_say(w, false, "theme: %s", ui_theme_names[w->v.theme]);
}

static void ui_k_shot(struct ui_win *w, int arg)
{
    (void)arg;
    ui_win_screenshot(w);
}

static void ui_k_reload(struct ui_win *w, int arg)
{
    (void)arg;
    ui_win_reload(w);
}

static void ui_k_conn(struct ui_win *w, int arg)
{
    (void)arg;
    ui_view_cycle_conn(&w->v, w->m);
    w->v.dia_back = 0;
}

static void ui_k_controls(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.playing = false;
    w->v.overlay = UI_OV_CONTROLS;
    w->v.ctl_moved = false;
}

static void ui_k_variants(struct ui_win *w, int arg)
{
    (void)arg;
    size_t n = 0;
    const struct scn_variant *vs =
        w->app && w->app->variants ? w->app->variants(w->app->ctx, &n) : NULL;
    const char *cur = w->world.scn ? w->world.scn->variant : NULL;
    w->v.var_sel = 0; /* the highlight starts on the variant in use */
    for (size_t i = 0; cur && vs && i < n; i++)
        if (strcmp(vs[i].name, cur) == 0) w->v.var_sel = (int)i + 1;
    w->v.overlay = UI_OV_VARIANTS;
}

static void ui_k_pins(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.overlay = UI_OV_PINS;
}

static void ui_k_quiz(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.quiz = !w->v.quiz;
    ui_win_say(w, false, "%s",
               w->v.quiz ? "quiz mode on: playing stops before each reply" : "quiz mode off");
}

static void ui_k_future(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.future = !w->v.future;
}

static void ui_k_whole_conn(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.whole_conn = !w->v.whole_conn;
}

static void ui_k_until(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.playing = false;
    ui_until_menu_open(&w->v);
    w->until_skip_text = true; /* the "u" of this key press */
}

static void ui_k_focus(struct ui_win *w, int arg)
{
    w->v.focus = w->v.focus == (enum ui_focus)arg ? UI_FOCUS_NONE : (enum ui_focus)arg;
}

static void ui_k_slant(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.seq_flat = !w->v.seq_flat;
}

/* PageUp / PageDown: the sequence diagram a page back or forward. */
static void ui_k_seq_page(struct ui_win *w, int arg)
{
    struct ui_view *v = &w->v;
    if (arg > 0)
        v->seq_back += 10;
    else
        v->seq_back = v->seq_back > 10 ? v->seq_back - 10 : 0;
}

/* Up / Down: the dialogue a line back or forward. */
static void ui_k_dia_scroll(struct ui_win *w, int arg)
{
    struct ui_view *v = &w->v;
    if (arg > 0)
        v->dia_back++;
    else if (v->dia_back > 0)
        v->dia_back--;
}

/* Esc: close what is open, else leave the focus. */
static void ui_k_escape(struct ui_win *w, int arg)
{
    (void)arg;
    struct ui_view *v = &w->v;
    if (v->overlay == UI_OV_HELP && w->help_resume) v->playing = true;
    w->help_resume = false;
    if (v->overlay != UI_OV_NONE)
        v->overlay = UI_OV_NONE;
    else
        v->focus = UI_FOCUS_NONE;
}

/* O: the lesson picker (ui_picker.c) takes the keys until it closes. */
static void ui_k_picker(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.playing = false;
    if (!w->picker) w->picker = ui_picker_new();
}

static void ui_k_quit(struct ui_win *w, int arg)
{
    (void)arg;
    w->quit = true;
}

/* H pauses while the help is open and plays on when it closes. */
static void ui_k_help(struct ui_win *w, int arg)
{
    (void)arg;
    struct ui_view *v = &w->v;
    if (v->overlay == UI_OV_HELP) {
        v->overlay = UI_OV_NONE;
        if (w->help_resume) v->playing = true;
        w->help_resume = false;
    } else {
        v->overlay = UI_OV_HELP;
        w->help_resume = v->playing;
        v->playing = false;
    }
}

/* ---- actions of the menus ---------------------------------------------------------- */

static void ui_k_close(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.overlay = UI_OV_NONE;
}

static void ui_k_until_move(struct ui_win *w, int arg)
{
    ui_until_menu_move(&w->v, arg);
}

static void ui_k_until_back(struct ui_win *w, int arg)
{
    (void)arg;
    ui_until_menu_text(&w->v, "\b");
}

static void ui_k_until_run(struct ui_win *w, int arg)
{
    (void)arg;
    ui_until_menu_run(&w->v, w->m);
}

static void ui_k_variant_move(struct ui_win *w, int arg)
{
    size_t n = 0;
    if (w->app && w->app->variants) w->app->variants(w->app->ctx, &n);
    int rows = (int)n + 1; /* row 0: no variant */
    w->v.var_sel = (w->v.var_sel + rows + arg) % rows;
}

static void ui_k_variant_pick(struct ui_win *w, int arg)
{
    (void)arg;
    size_t n = 0;
    const struct scn_variant *vs =
        w->app && w->app->variants ? w->app->variants(w->app->ctx, &n) : NULL;
    w->v.overlay = UI_OV_NONE;
    ui_win_variant(w, w->v.var_sel > 0 && vs && (size_t)w->v.var_sel <= n
                          ? vs[w->v.var_sel - 1].name
                          : NULL);
}

static size_t ui_k_pin_list(struct ui_win *w, struct ui_pin *c, size_t max)
{
    size_t n = ui_pin_candidates(w->m, c, max);
    return n > max ? max : n;
}

static void ui_k_pin_move(struct ui_win *w, int arg)
{
    struct ui_pin c[12];
    size_t n = ui_k_pin_list(w, c, MS_ARRAY_LEN(c));
    if (n) w->v.pin_sel = (w->v.pin_sel + (int)n + arg) % (int)n;
}

/* arg -1: the highlighted candidate; else candidate arg. */
static void ui_k_pin_toggle(struct ui_win *w, int arg)
{
    struct ui_pin c[12];
    size_t n = ui_k_pin_list(w, c, MS_ARRAY_LEN(c));
    size_t i = arg < 0 ? (size_t)w->v.pin_sel : (size_t)arg;
    if (i < n) ui_view_pin_toggle(&w->v, &c[i]);
}

static void ui_k_quiz_pick(struct ui_win *w, int arg)
{
    ui_quiz_pick(&w->v, w->m, arg);
}

static void ui_k_quiz_reveal(struct ui_win *w, int arg)
{
    (void)arg;
    ui_quiz_reveal(&w->v);
}

static void ui_k_quiz_go(struct ui_win *w, int arg)
{
    ui_quiz_continue(&w->v, w->m);
    if (arg) w->v.playing = false;
}

static void ui_k_quiz_off(struct ui_win *w, int arg)
{
    (void)arg;
    w->v.quiz = false;
    w->v.overlay = UI_OV_NONE;
}

/* The sliders keep their own small handler (values depend on the slider). */
static void ui_k_controls_key(struct ui_win *w, int arg)
{
    ui_win_controls_key(w, (SDL_Keycode)arg);
}

/* ---- the table ------------------------------------------------------------------------ */

#define M UI_MODE_MAIN
#define K_SH UI_KM_SHIFT
#define K_CT UI_KM_CTRL

const struct ui_key ui_keys[] = {
    {M, SDLK_SPACE, 0, 0, ui_k_play, 0, "Space", "play / pause"},
    {M, SDLK_RIGHT, 0, K_CT, ui_k_step, 1 | 4, NULL, NULL},
    {M, SDLK_LEFT, 0, K_CT, ui_k_step, 4, NULL, NULL},
    {M, SDLK_RIGHT, 0, K_SH, ui_k_step, 1 | 2, NULL, NULL},
    {M, SDLK_LEFT, 0, K_SH, ui_k_step, 2, NULL, NULL},
    {M, SDLK_RIGHT, 0, 0, ui_k_step, 1, "Right / Left",
     "one step: a protocol line or message event (G: every TCP segment)"},
    {M, SDLK_LEFT, 0, 0, ui_k_step, 0, NULL, NULL},
    {M, 0, 0, 0, NULL, 0, "Shift / Ctrl + Right", "next protocol line / next message event"},
    {M, SDLK_g, 0, 0, ui_k_grain, 0, "G", "grain of a step: protocol lines or TCP segments"},
    {M, SDLK_HOME, 0, 0, ui_k_home, 0, "Home / End", "first / last step"},
    {M, SDLK_END, 0, 0, ui_k_home, 1, NULL, NULL},
    {M, SDLK_1, SDLK_4, 0, ui_k_focus, UI_FOCUS_NET, "1 2 3 4",
     "focus: network, sequence diagram, dialogue, current step (again: back)"},
    {M, SDLK_KP_1, SDLK_KP_4, 0, ui_k_focus, UI_FOCUS_NET, NULL, NULL},
    {M, SDLK_PAGEUP, 0, 0, ui_k_seq_page, 1, "PageUp / PageDown",
     "sequence diagram: scroll back / forward"},
    {M, SDLK_PAGEDOWN, 0, 0, ui_k_seq_page, -1, NULL, NULL},
    {M, SDLK_UP, 0, 0, ui_k_dia_scroll, 1, "Up / Down", "dialogue: scroll back / forward"},
    {M, SDLK_DOWN, 0, 0, ui_k_dia_scroll, -1, NULL, NULL},
    {M, SDLK_a, 0, 0, ui_k_slant, 0, "A", "sequence diagram: arrows slanted by latency / flat"},
    {M, SDLK_LEFTBRACKET, 0, 0, ui_k_speed, -1, "[  ]", "slower / faster"},
    {M, SDLK_RIGHTBRACKET, 0, 0, ui_k_speed, 1, NULL, NULL},
    {M, SDLK_w, 0, 0, ui_k_realtime, 0, "W", "real time: 1 s simulated in 1 s (again: back)"},
    {M, SDLK_PLUS, 0, 0, ui_k_zoom, 1, "+  -  0", "zoom text and drawing together / reset"},
    {M, SDLK_EQUALS, 0, 0, ui_k_zoom, 1, NULL, NULL},
    {M, SDLK_KP_PLUS, 0, 0, ui_k_zoom, 1, NULL, NULL},
    {M, SDLK_MINUS, 0, 0, ui_k_zoom, -1, NULL, NULL},
    {M, SDLK_KP_MINUS, 0, 0, ui_k_zoom, -1, NULL, NULL},
    {M, SDLK_0, 0, 0, ui_k_zoom, 0, NULL, NULL},
    {M, 0, 0, 0, NULL, 0, "Mouse wheel, drag", "zoom and pan the network"},
    {M, SDLK_f, 0, 0, ui_k_fullscreen, 0, "F", "fullscreen on / off"},
    {M, SDLK_c, 0, 0, ui_k_conn, 0, "C", "dialogue: next connection (then following the step)"},
    {M, SDLK_n, 0, 0, ui_k_whole_conn, 0, "N",
     "whole connection at once, and counts (push / pull)"},
    {M, SDLK_t, 0, 0, ui_k_tcp, 0, "T", "show / hide TCP detail (handshakes, bare ACKs)"},
    {M, SDLK_d, 0, 0, ui_k_theme, 0, "D", "theme: dark, light, projector"},
    {M, SDLK_s, 0, 0, ui_k_shot, 0, "S", "save a PNG screenshot (in Pictures)"},
    {M, SDLK_r, 0, 0, ui_k_reload, 0, "R", "reload the scenario from disk, keeping the step"},
    {M, SDLK_o, 0, 0, ui_k_picker, 0, "O", "open another lesson: the lesson picker"},
    {M, SDLK_e, 0, 0, ui_k_future, 0, "E", "scheduled events: what the simulation does next"},
    {M, SDLK_u, 0, 0, ui_k_until, 0, "U", "run until: retry, delivery, connection, time, fate"},
    {M, SDLK_p, 0, 0, ui_k_pins, 0, "P", "pin mailboxes and queues to the screen edge"},
    {M, SDLK_l, 0, 0, ui_k_controls, 0, "L", "sliders: latency, loss, retry; hosts up / down"},
    {M, SDLK_v, 0, 0, ui_k_variants, 0, "V", "variants of the scenario"},
    {M, SDLK_k, 0, 0, ui_k_quiz, 0, "K", "quiz mode: pause before each reply"},
    {M, SDLK_i, 0, 0, ui_k_inspect, 0, "I, click packet", "inspector: header, payload, RFC"},
    {M, SDLK_m, 0, 0, ui_k_envelope, 0, "M, click envelope", "the messages at a host"},
    {M, 0, 0, 0, NULL, 0, "Click host / link", "take it down or bring it up"},
    {M, 0, 0, 0, NULL, 0, "Click / drag timeline", "seek"},
    {M, SDLK_ESCAPE, 0, 0, ui_k_escape, 0, "Esc", "close this window, leave a focus"},
    {M, SDLK_q, 0, 0, ui_k_quit, 0, "Q", "quit"},
    {M, SDLK_h, 0, 0, ui_k_help, 0, "H or ?", "this help (pauses while open)"},
    {M, SDLK_F1, 0, 0, ui_k_help, 0, NULL, NULL},

    {UI_MODE_UNTIL, SDLK_UP, 0, 0, ui_k_until_move, -1, "Up / Down", "choose"},
    {UI_MODE_UNTIL, SDLK_DOWN, 0, 0, ui_k_until_move, 1, NULL, NULL},
    {UI_MODE_UNTIL, SDLK_BACKSPACE, 0, 0, ui_k_until_back, 0, "Backspace", "erase typed"},
    {UI_MODE_UNTIL, SDLK_RETURN, 0, 0, ui_k_until_run, 0, "Enter", "run"},
    {UI_MODE_UNTIL, SDLK_KP_ENTER, 0, 0, ui_k_until_run, 0, NULL, NULL},
    {UI_MODE_UNTIL, SDLK_ESCAPE, 0, 0, ui_k_close, 0, "Esc", "close"},

    {UI_MODE_CONTROLS, SDLK_UP, 0, 0, ui_k_controls_key, SDLK_UP, "Up / Down", "choose"},
    {UI_MODE_CONTROLS, SDLK_DOWN, 0, 0, ui_k_controls_key, SDLK_DOWN, NULL, NULL},
    {UI_MODE_CONTROLS, SDLK_LEFT, 0, 0, ui_k_controls_key, SDLK_LEFT, "Left / Right", "move"},
    {UI_MODE_CONTROLS, SDLK_RIGHT, 0, 0, ui_k_controls_key, SDLK_RIGHT, NULL, NULL},
    {UI_MODE_CONTROLS, SDLK_RETURN, 0, 0, ui_k_controls_key, SDLK_RETURN, "Enter", "apply"},
    {UI_MODE_CONTROLS, SDLK_KP_ENTER, 0, 0, ui_k_controls_key, SDLK_RETURN, NULL, NULL},
    {UI_MODE_CONTROLS, SDLK_ESCAPE, 0, 0, ui_k_controls_key, SDLK_ESCAPE, "Esc, L", "close"},
    {UI_MODE_CONTROLS, SDLK_l, 0, 0, ui_k_controls_key, SDLK_ESCAPE, NULL, NULL},
    {UI_MODE_CONTROLS, SDLK_q, 0, 0, ui_k_quit, 0, "Q", "quit"},

    {UI_MODE_VARIANTS, SDLK_UP, 0, 0, ui_k_variant_move, -1, "Up / Down", "choose"},
    {UI_MODE_VARIANTS, SDLK_DOWN, 0, 0, ui_k_variant_move, 1, NULL, NULL},
    {UI_MODE_VARIANTS, SDLK_RETURN, 0, 0, ui_k_variant_pick, 0, "Enter", "simulate it"},
    {UI_MODE_VARIANTS, SDLK_KP_ENTER, 0, 0, ui_k_variant_pick, 0, NULL, NULL},
    {UI_MODE_VARIANTS, SDLK_ESCAPE, 0, 0, ui_k_close, 0, "Esc, V", "close"},
    {UI_MODE_VARIANTS, SDLK_v, 0, 0, ui_k_close, 0, NULL, NULL},
    {UI_MODE_VARIANTS, SDLK_q, 0, 0, ui_k_quit, 0, "Q", "quit"},

    {UI_MODE_PINS, SDLK_UP, 0, 0, ui_k_pin_move, -1, "Up / Down", "choose"},
    {UI_MODE_PINS, SDLK_DOWN, 0, 0, ui_k_pin_move, 1, NULL, NULL},
    {UI_MODE_PINS, SDLK_RETURN, 0, 0, ui_k_pin_toggle, -1, "Enter, 1-9", "pin or unpin"},
    {UI_MODE_PINS, SDLK_KP_ENTER, 0, 0, ui_k_pin_toggle, -1, NULL, NULL},
    {UI_MODE_PINS, SDLK_SPACE, 0, 0, ui_k_pin_toggle, -1, NULL, NULL},
    {UI_MODE_PINS, SDLK_1, SDLK_9, 0, ui_k_pin_toggle, 0, NULL, NULL},
    {UI_MODE_PINS, SDLK_ESCAPE, 0, 0, ui_k_close, 0, "Esc, P", "close"},
    {UI_MODE_PINS, SDLK_p, 0, 0, ui_k_close, 0, NULL, NULL},
    {UI_MODE_PINS, SDLK_q, 0, 0, ui_k_quit, 0, "Q", "quit"},

    {UI_MODE_QUIZ, SDLK_1, SDLK_6, 0, ui_k_quiz_pick, 0, "1-6", "answer"},
    {UI_MODE_QUIZ, SDLK_KP_1, SDLK_KP_6, 0, ui_k_quiz_pick, 0, NULL, NULL},
    {UI_MODE_QUIZ, SDLK_RETURN, 0, 0, ui_k_quiz_reveal, 0, "Enter", "show the answer"},
    {UI_MODE_QUIZ, SDLK_KP_ENTER, 0, 0, ui_k_quiz_reveal, 0, NULL, NULL},
    {UI_MODE_QUIZ, SDLK_SPACE, 0, 0, ui_k_quiz_go, 0, "Space, Right", "go on"},
    {UI_MODE_QUIZ, SDLK_RIGHT, 0, 0, ui_k_quiz_go, 0, NULL, NULL},
    {UI_MODE_QUIZ, SDLK_ESCAPE, 0, 0, ui_k_quiz_go, 1, "Esc", "close, paused"},
    {UI_MODE_QUIZ, SDLK_k, 0, 0, ui_k_quiz_off, 0, "K", "quiz mode off"},
    {UI_MODE_QUIZ, SDLK_q, 0, 0, ui_k_quit, 0, "Q", "quit"},
};
const size_t ui_n_keys = MS_ARRAY_LEN(ui_keys);

#undef M
#undef K_SH
#undef K_CT

enum ui_mode ui_key_mode(const struct ui_view *v)
{
    switch (v->overlay) {
    case UI_OV_UNTIL:
        return UI_MODE_UNTIL;
    case UI_OV_CONTROLS:
        return UI_MODE_CONTROLS;
    case UI_OV_VARIANTS:
        return UI_MODE_VARIANTS;
    case UI_OV_PINS:
        return UI_MODE_PINS;
    case UI_OV_QUIZ:
        return UI_MODE_QUIZ;
    default:
        return UI_MODE_MAIN;
    }
}

bool ui_key_dispatch(struct ui_win *w, SDL_Keycode k, uint16_t mod)
{
    enum ui_mode mode = ui_key_mode(&w->v);
    unsigned held = ((mod & KMOD_SHIFT) ? UI_KM_SHIFT : 0) | ((mod & KMOD_CTRL) ? UI_KM_CTRL : 0);
    for (size_t i = 0; i < ui_n_keys; i++) {
        const struct ui_key *e = &ui_keys[i];
        if (e->mode != mode || !e->act || e->key == 0) continue;
        SDL_Keycode last = e->key_last ? e->key_last : e->key;
        if (k < e->key || k > last) continue;
        if ((e->mods & held) != e->mods) continue;
        e->act(w, e->arg + (int)(k - e->key));
        return true;
    }
    return false;
}
