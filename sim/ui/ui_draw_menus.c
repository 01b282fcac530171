/* ui_draw_menus.c -- the overlays that are menus: help, sliders (L),
 * variants (V), pins (P), run until (U) and the quiz (K). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* Sliders (L): one row per link latency and loss and per server retry
 * interval and give-up time, the highlighted one with arrows. */
void ui_d_controls(struct ui_frame *f)
{
    struct ui_ctl c[64];
    size_t n = ui_controls(f->m->scn, f->t, c, MS_ARRAY_LEN(c));
    if (n > MS_ARRAY_LEN(c)) n = MS_ARRAY_LEN(c);
    size_t rows = n ? n : 1, first = 0, shown = rows < 14 ? rows : 14;
    if (f->v->ctl_sel >= (int)shown) first = (size_t)f->v->ctl_sel - shown + 1;
    SDL_FRect b;
    float y = ui_d_box(f, ui_px(f, 1100), ui_px(f, 170 + 40 * shown),
                       "Links and servers (changes simulate again from the start)", &b);
    if (n == 0)
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 24), f->c->text, b.x + ui_px(f, 24), y, UI_AL_LEFT,
                  "This lesson has no scenario to change.");
    for (size_t i = first; i < n && i < first + shown; i++) {
        bool sel = (int)i == f->v->ctl_sel;
        int64_t val = sel && f->v->ctl_moved ? f->v->ctl_value : c[i].value;
        char vt[48], row[80];
        ui_ctl_format(c[i].kind, val, vt, sizeof vt);
        if (sel)
            snprintf(row, sizeof row, "\xe2\x97\x80 %s \xe2\x96\xb6%s", vt,
                     f->v->ctl_moved ? "  (Enter applies)" : "");
        else
            snprintf(row, sizeof row, "  %s", vt);
        if (sel)
            ui_p_fill(f->g, b.x + ui_px(f, 16), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 38),
                      f->c->hi_bg);
        uint32_t col = sel ? f->c->hi_text : f->c->text;
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), col, b.x + ui_px(f, 24), y, UI_AL_LEFT,
                  c[i].name);
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), col, b.x + ui_px(f, 640), y, UI_AL_LEFT,
                  row);
        y += ui_px(f, 40);
    }
    if (n > shown) { /* the list scrolls: a bar says where the rows shown are */
        float top = b.y + ui_px(f, 64), bh = ui_px(f, 40) * (float)shown;
        float bx = b.x + b.w - ui_px(f, 14);
        ui_p_fill(f->g, bx, top, ui_px(f, 4), bh, f->c->grid);
        ui_p_fill(f->g, bx - ui_px(f, 1), top + bh * (float)first / (float)n, ui_px(f, 6),
                  bh * (float)shown / (float)n, f->c->dim);
    }
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, b.x + ui_px(f, 24),
              b.y + b.h - ui_px(f, 44), UI_AL_LEFT,
              "Up / Down choose, Left / Right move the slider or switch up / down, Enter applies, "
              "Esc closes");
    ui_p_noclip(f->g);
}

/* The variant menu (V). */
void ui_d_variants(struct ui_frame *f)
{
    size_t n = f->m->n_variants;
    SDL_FRect b;
    float y =
        ui_d_box(f, ui_px(f, 1000), ui_px(f, 170 + 40 * (n + 1)), "Variants of this lesson", &b);
    const char *cur = f->m->scn ? f->m->scn->variant : NULL;
    for (size_t i = 0; i <= n; i++) {
        const char *name = i ? f->m->variants[i - 1].name : "(the scenario as written)";
        bool on = i ? cur && strcmp(cur, name) == 0 : !cur;
        bool sel = (int)i == f->v->var_sel;
        char row[200];
        snprintf(row, sizeof row, "%s %s", on ? "\xe2\x97\x8f" : "\xe2\x97\x8b", name);
        if (sel)
            ui_p_fill(f->g, b.x + ui_px(f, 16), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 38),
                      f->c->hi_bg);
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 24), sel ? f->c->hi_text : f->c->text,
                  b.x + ui_px(f, 24), y, UI_AL_LEFT, row);
        y += ui_px(f, 40);
    }
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, b.x + ui_px(f, 24),
              b.y + b.h - ui_px(f, 44), UI_AL_LEFT,
              n ? "Up / Down choose, Enter simulates it, Esc closes"
                : "This scenario has no variants.");
    ui_p_noclip(f->g);
}

/* The pin menu (P). */
void ui_d_pin_menu(struct ui_frame *f)
{
    struct ui_pin c[12];
    size_t n = ui_pin_candidates(f->m, c, MS_ARRAY_LEN(c));
    if (n > MS_ARRAY_LEN(c)) n = MS_ARRAY_LEN(c);
    SDL_FRect b;
    float y =
        ui_d_box(f, ui_px(f, 900), ui_px(f, 150 + 40 * (n ? n : 1)), "Pin to the screen edge", &b);
    if (n == 0)
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 24), f->c->text, b.x + ui_px(f, 24), y, UI_AL_LEFT,
                  "No mailboxes or queues in this lesson.");
    for (size_t i = 0; i < n; i++) {
        bool pinned = false;
        for (size_t p = 0; p < f->v->n_pins; p++)
            pinned |= f->v->pins[p].host == c[i].host && f->v->pins[p].user == c[i].user &&
                      f->v->pins[p].folder == c[i].folder;
        char label[160], row[200];
        ui_pin_label(f->m, &c[i], label, sizeof label);
        snprintf(row, sizeof row, "%zu  [%s]  %s", i + 1, pinned ? "pinned" : "      ", label);
        bool sel = (int)i == f->v->pin_sel;
        if (sel)
            ui_p_fill(f->g, b.x + ui_px(f, 16), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 38),
                      f->c->hi_bg);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), sel ? f->c->hi_text : f->c->text,
                  b.x + ui_px(f, 24), y, UI_AL_LEFT, row);
        y += ui_px(f, 40);
    }
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, b.x + ui_px(f, 24),
              y + ui_px(f, 10), UI_AL_LEFT,
              "Up / Down choose, Enter pins or unpins (at most 4), Esc closes");
    ui_p_noclip(f->g);
}

/* The help overlay: the rows of the key table (ui_keys.c) for the main
 * view, in two columns when one would not fit. */
void ui_d_help(struct ui_frame *f)
{
    size_t rows = 0;
    float px = ui_px(f, 24), rowh = ui_px(f, 34), keyw = 0;
    for (size_t i = 0; i < ui_n_keys; i++) {
        if (ui_keys[i].mode != UI_MODE_MAIN || !ui_keys[i].keys) continue;
        rows++;
        int kw, kh; /* the key column as wide as its widest entry */
        ui_p_text_size(f->g, UI_F_BOLD, px, ui_keys[i].keys, &kw, &kh);
        if ((float)kw + ui_px(f, 16) > keyw) keyw = (float)kw + ui_px(f, 16);
    }
    float avail = f->H - ui_px(f, 140);
    size_t per_col = (size_t)(avail / rowh);
    if (per_col < 1) per_col = 1;
    size_t cols = (rows + per_col - 1) / per_col;
    if (cols < 1) cols = 1;
    if (cols > 1) per_col = (rows + cols - 1) / cols;
    float colw = (f->W - ui_px(f, 40)) / (float)cols;
    if (cols == 1 && colw > ui_px(f, 1200)) colw = ui_px(f, 1200);
    SDL_FRect b;
    float y0 = ui_d_box(f, colw * (float)cols, ui_px(f, 84) + rowh * (float)per_col, "Keys", &b);
    size_t r = 0;
    for (size_t i = 0; i < ui_n_keys; i++) {
        const struct ui_key *k = &ui_keys[i];
        if (k->mode != UI_MODE_MAIN || !k->keys) continue;
        float x = b.x + ui_px(f, 24) + colw * (float)(r / per_col);
        float y = y0 + rowh * (float)(r % per_col);
        ui_p_text(f->g, UI_F_BOLD, px, f->c->text, x, y, UI_AL_LEFT, k->keys);
        ui_p_text_fit(f->g, UI_F_SANS, px, f->c->text, x + keyw, y, colw - keyw - ui_px(f, 24),
                      k->help);
        r++;
    }
    ui_p_noclip(f->g);
}

/* The run-until menu (U): digits or Up/Down and Enter; a time or a message
 * number is typed. */
void ui_d_until(struct ui_frame *f)
{
    SDL_FRect b;
    float y =
        ui_d_box(f, ui_px(f, 900), ui_px(f, 120 + 40 * (UI_UNTIL_COUNT + 2)), "Run until", &b);
    for (int i = 0; i < UI_UNTIL_COUNT; i++) {
        char row[160];
        const char *arg = i == UI_UNTIL_TIME   ? " (type e.g. 30m, 2h, 1d)"
                          : i == UI_UNTIL_FATE ? " (type its number)"
                                               : "";
        snprintf(row, sizeof row, "%d  %s%s", i + 1, ui_until_names[i], arg);
        if (i == f->v->until_sel)
            ui_p_fill(f->g, b.x + ui_px(f, 16), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 38),
                      f->c->hi_bg);
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 24), i == f->v->until_sel ? f->c->hi_text : f->c->text,
                  b.x + ui_px(f, 24), y, UI_AL_LEFT, row);
        y += ui_px(f, 40);
    }
    char typed[80];
    snprintf(typed, sizeof typed, "Typed: %s_", f->v->until_text);
    ui_p_text(f->g, UI_F_MONO, ui_px(f, 24), f->c->text, b.x + ui_px(f, 24), y + ui_px(f, 10),
              UI_AL_LEFT, typed);
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, b.x + ui_px(f, 24),
              y + ui_px(f, 50), UI_AL_LEFT, "Up / Down choose, Enter runs, Esc closes");
    ui_p_noclip(f->g);
}

/* Quiz mode (K): the question at the paused step, its choices, and once
 * revealed the right one (marked with words, not colour alone), what it
 * means with its RFC section, and the score. */
void ui_d_quiz(struct ui_frame *f)
{
    struct ui_quiz q;
    if (!ui_quiz_at(f->m, f->v->quiz_step, &q)) return;
    SDL_FRect b;
    float y = ui_d_box(f, ui_px(f, 1300), ui_px(f, 330 + 48 * q.n_choices), "Quiz", &b);
    int h = 0;
    float x = b.x + ui_px(f, 24), wrap = b.w - ui_px(f, 48);
    ui_p_text_wrap(f->g, UI_F_BOLD, ui_px(f, 28), f->c->text, x, y, (int)wrap, q.question, &h);
    y += (float)h + ui_px(f, 16);
    for (size_t i = 0; i < q.n_choices; i++) {
        bool right = f->v->quiz_shown && i == q.answer;
        bool picked = f->v->quiz_pick >= 0 && (size_t)f->v->quiz_pick == i;
        if (right)
            ui_p_fill(f->g, x - ui_px(f, 8), y - ui_px(f, 4), wrap + ui_px(f, 16), ui_px(f, 44),
                      f->c->hi_bg);
        char row[200];
        snprintf(row, sizeof row, "%zu   %s", i + 1, q.choices[i]);
        const char *mark = right ? "\xe2\x9c\x94" : picked ? "\xe2\x9c\x98" : "";
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, 26), right ? f->c->hi_text : f->c->server, x, y,
                  UI_AL_LEFT, mark);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 26), right ? f->c->hi_text : f->c->text,
                  x + ui_px(f, 40), y, UI_AL_LEFT, row);
        y += ui_px(f, 48);
    }
    y += ui_px(f, 8);
    if (f->v->quiz_shown && q.explain[0]) {
        ui_p_text_wrap(f->g, UI_F_SANS, ui_px(f, 24), f->c->server, x, y, (int)wrap, q.explain, &h);
        y += (float)h + ui_px(f, 8);
    }
    char foot[160];
    if (f->v->quiz_shown)
        snprintf(foot, sizeof foot,
                 "\xe2\x9c\x94 the real answer   \xe2\x9c\x98 your answer   Space goes on   "
                 "Score %u of %u",
                 f->v->quiz_right, f->v->quiz_asked);
    else
        snprintf(foot, sizeof foot, "1-%zu answers, Enter shows the answer   Score %u of %u",
                 q.n_choices, f->v->quiz_right, f->v->quiz_asked);
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, x, b.y + b.h - ui_px(f, 44),
              UI_AL_LEFT, foot);
    ui_p_noclip(f->g);
}
