/* ui_picker.c -- the lesson picker: every lesson found (scenario/lesson.h)
 * with its number, title and first sentence, and "Open a file..." with a
 * field to type a path or a lesson's name into. O opens it in the window;
 * it is the start screen of a desktop launch (mailsim --pick).
 *
 * The picker only chooses: loading is the window's (ui_window.c), with the
 * same error handling as R. Text sizes: the body text is 24 px at 1080
 * lines and never under 20 px (a cap height of about 14.6 px in DejaVu
 * Sans) at any window size, so a 720-line projector keeps it legible;
 * rows that do not fit scroll, and a text too wide for its row is cut with
 * "..." rather than drawn under its neighbour. */
#include <stdlib.h>
#include <string.h>

#include "scenario/lesson.h"
#include "ui/ui_int.h"

/* The window's colours (ui_draw.c's themes): panel, text, dim text, frame,
 * highlight, highlighted text, backdrop. */
struct ui_pick_colors {
    uint32_t panel, text, dim, grid, hi_bg, hi_text, backdrop;
};
static const struct ui_pick_colors ui_pick_dark = {0x1f222aff, 0xf2f2f2ff, 0xb4b9c2ff, 0x4a505cff,
                                                   0x6a5c00ff, 0xffffffff, 0x000000c0};
static const struct ui_pick_colors ui_pick_light = {0xffffffff, 0x111111ff, 0x4a4a4aff, 0xb8b8b8ff,
                                                    0xffe680ff, 0x000000ff, 0x00000080};

#define UI_PICK_MIN_PX 20.0f

struct ui_picker *ui_picker_new(void)
{
    struct ui_picker *p = ms_xcalloc(1, sizeof *p);
    p->ls = scn_lessons_find();
    scn_lessons_describe(p->ls);
    p->shown = 1;
    return p;
}

void ui_picker_free(struct ui_picker *p)
{
    if (!p) return;
    scn_lessons_free(p->ls);
    free(p);
}

static int ui_pick_rows(const struct ui_picker *p)
{
    return (int)p->ls->n + 1;
}

/* Keep the selection on screen. */
static void ui_pick_scroll(struct ui_picker *p)
{
    int shown = p->shown > 0 ? p->shown : 1;
    if (p->sel < p->top) p->top = p->sel;
    if (p->sel >= p->top + shown) p->top = p->sel - shown + 1;
    int max_top = ui_pick_rows(p) - shown;
    if (p->top > max_top) p->top = max_top;
    if (p->top < 0) p->top = 0;
}

/* Enter on row sel: a lesson loads, "Open a file..." opens the field. */
static enum ui_pick ui_pick_choose(struct ui_picker *p, const char **path)
{
    if (p->sel < (int)p->ls->n) {
        *path = p->ls->v[p->sel].path;
        return UI_PICK_LOAD;
    }
    p->typing = true;
    return UI_PICK_REDRAW;
}

enum ui_pick ui_picker_key(struct ui_picker *p, SDL_Keycode k, const char **path)
{
    int rows = ui_pick_rows(p);
    if (p->typing) {
        size_t n = strlen(p->text);
        if (k == SDLK_ESCAPE) {
            p->typing = false;
        } else if (k == SDLK_BACKSPACE) {
            while (n > 0 && ((unsigned char)p->text[n - 1] & 0xc0) == 0x80) n--; /* UTF-8 */
            if (n > 0) p->text[n - 1] = '\0';
        } else if ((k == SDLK_RETURN || k == SDLK_KP_ENTER) && n > 0) {
            *path = p->text;
            return UI_PICK_LOAD;
        } else {
            return UI_PICK_NONE; /* the text arrives as SDL_TEXTINPUT */
        }
        return UI_PICK_REDRAW;
    }
    switch (k) {
    case SDLK_UP:
        p->sel = (p->sel + rows - 1) % rows;
        break;
    case SDLK_DOWN:
        p->sel = (p->sel + 1) % rows;
        break;
    case SDLK_PAGEUP:
        p->sel = p->sel > p->shown ? p->sel - p->shown : 0;
        break;
    case SDLK_PAGEDOWN:
        p->sel = p->sel + p->shown < rows ? p->sel + p->shown : rows - 1;
        break;
    case SDLK_HOME:
        p->sel = 0;
        break;
    case SDLK_END:
        p->sel = rows - 1;
        break;
    case SDLK_RETURN:
    case SDLK_KP_ENTER:
        return ui_pick_choose(p, path);
    case SDLK_ESCAPE:
    case SDLK_o:
        return UI_PICK_CLOSE;
    default:
        if (k >= SDLK_0 && k <= SDLK_9) { /* the next lesson whose number has this digit first */
            for (int i = 1; i <= (int)p->ls->n; i++) {
                int j = (p->sel + i) % (int)(p->ls->n ? p->ls->n : 1);
                const char *num = p->ls->n ? p->ls->v[j].number : "";
                while (*num == '0' && num[1]) num++;
                if (*num == (char)k) {
                    p->sel = j;
                    break;
                }
            }
            break;
        }
        return UI_PICK_NONE;
    }
    ui_pick_scroll(p);
    return UI_PICK_REDRAW;
}

enum ui_pick ui_picker_text(struct ui_picker *p, const char *utf8)
{
    if (!p->typing) return UI_PICK_NONE;
    size_t n = strlen(p->text), add = strlen(utf8);
    if (n + add >= sizeof p->text) return UI_PICK_NONE;
    memcpy(p->text + n, utf8, add + 1);
    return UI_PICK_REDRAW;
}

enum ui_pick ui_picker_click(struct ui_picker *p, int x, int y, const char **path)
{
    SDL_Point pt = {x, y};
    for (int i = 0; i < p->shown && i < (int)MS_ARRAY_LEN(p->rows); i++) {
        if (!SDL_PointInRect(&pt, &p->rows[i])) continue;
        p->sel = p->top + i;
        if (p->typing && p->sel == (int)p->ls->n) return UI_PICK_NONE; /* clicked the field */
        p->typing = false;
        return ui_pick_choose(p, path);
    }
    return UI_PICK_NONE;
}

enum ui_pick ui_picker_wheel(struct ui_picker *p, int dy)
{
    int top = p->top + dy, max_top = ui_pick_rows(p) - p->shown;
    if (top > max_top) top = max_top;
    if (top < 0) top = 0;
    if (top == p->top) return UI_PICK_NONE;
    p->top = top;
    if (p->sel < p->top) p->sel = p->top;
    if (p->sel >= p->top + p->shown) p->sel = p->top + p->shown - 1;
    return UI_PICK_REDRAW;
}

/* Draw s, cut with "..." to at most w pixels wide. */
static void ui_pick_text_fit(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x,
                             float y, float w, const char *s)
{
    int tw = 0;
    ui_p_text_size(g, f, px, s, &tw, NULL);
    if ((float)tw <= w) {
        ui_p_text(g, f, px, c, x, y, UI_AL_LEFT, s);
        return;
    }
    char buf[1100];
    size_t lo = 0, hi = strlen(s); /* the longest prefix that fits, by bisection */
    if (hi > sizeof buf - 8) hi = sizeof buf - 8;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        while (mid > 0 && ((unsigned char)s[mid] & 0xc0) == 0x80) mid--;
        if (mid <= lo) {
            hi = lo;
            break;
        }
        memcpy(buf, s, mid);
        memcpy(buf + mid, "\xe2\x80\xa6", 4); /* ... */
        ui_p_text_size(g, f, px, buf, &tw, NULL);
        if ((float)tw <= w)
            lo = mid;
        else
            hi = mid - 1;
    }
    while (lo > 0 && ((unsigned char)s[lo] & 0xc0) == 0x80) lo--;
    memcpy(buf, s, lo);
    memcpy(buf + lo, "\xe2\x80\xa6", 4);
    ui_p_text(g, f, px, c, x, y, UI_AL_LEFT, buf);
}

void ui_picker_draw(struct ui_gfx *g, struct ui_picker *p, enum ui_theme theme, double zoom)
{
    const struct ui_pick_colors *c = theme == UI_THEME_LIGHT ? &ui_pick_light : &ui_pick_dark;
    float W = (float)g->w, H = (float)g->h;
    float s = H / 1080.0f < W / 1920.0f ? H / 1080.0f : W / 1920.0f;
    double zmax = ui_zoom_max(g->w, g->h); /* as the frame under it is clamped */
    s *= (float)(zoom < UI_ZOOM_MIN ? UI_ZOOM_MIN : zoom > zmax ? zmax : zoom);
    float big = 30 * s, body = 24 * s, small = 22 * s;
    if (big < UI_PICK_MIN_PX + 2) big = UI_PICK_MIN_PX + 2;
    if (body < UI_PICK_MIN_PX) body = UI_PICK_MIN_PX;
    if (small < UI_PICK_MIN_PX) small = UI_PICK_MIN_PX;
    p->min_px = (unsigned)(small < body ? small : body);
    float pad = body * 0.6f;

    ui_p_noclip(g);
    ui_p_fill(g, 0, 0, W, H, c->backdrop);
    float bw = 1500 * body / 24; /* wide enough for the body text as drawn */
    if (bw > W - 2 * pad) bw = W - 2 * pad;
    float bh = H - 2 * pad;
    float bx = (W - bw) / 2, by = (H - bh) / 2;
    ui_p_fill(g, bx, by, bw, bh, c->panel);
    ui_p_frame(g, bx, by, bw, bh, 3 * s > 1 ? 3 * s : 1, c->grid);
    ui_p_clip(g, bx, by, bw, bh);

    /* Heading and, at the bottom, what the keys do. */
    float x = bx + pad, y = by + pad * 0.8f, inner = bw - 2 * pad;
    ui_p_text(g, UI_F_BOLD, big, c->text, x, y, UI_AL_LEFT, "Choose a lesson");
    ui_p_text(g, UI_F_SANS, small, c->dim, bx + bw - pad, y + (big - small) * 0.6f, UI_AL_RIGHT,
              "Esc closes");
    y += big * 1.5f;
    float foot = small * 1.4f;
    float list_bottom = by + bh - pad * 0.6f - foot;
    ui_p_text(g, UI_F_SANS, small, c->dim, x, list_bottom + pad * 0.2f, UI_AL_LEFT,
              p->typing ? "Type a file name or a lesson's name, Enter opens it, Esc goes back"
                        : "Up / Down or the mouse choose, Enter or a click opens; "
                          "a file can also be dropped on the window");

    /* Rows: title line, then the summary line. */
    float row_h = big * 1.25f + body * 1.3f + pad * 0.5f;
    float arrow = small * 1.3f; /* room for "more above / below" */
    int rows = ui_pick_rows(p);
    int shown = (int)((list_bottom - y) / row_h);
    if (shown < rows) shown = (int)((list_bottom - y - 2 * arrow) / row_h);
    if (shown < 1) shown = 1;
    if (shown > rows) shown = rows;
    if (shown > (int)MS_ARRAY_LEN(p->rows)) shown = (int)MS_ARRAY_LEN(p->rows);
    p->shown = shown;
    ui_pick_scroll(p);
    bool scrolling = shown < rows;
    if (scrolling) {
        if (p->top > 0)
            ui_p_text(g, UI_F_SANS, small, c->dim, bx + bw / 2, y, UI_AL_CENTER,
                      "\xe2\x96\xb2 more above");
        y += arrow;
    }
    float num_w = big * 2.2f;
    for (int i = 0; i < shown; i++) {
        int r = p->top + i;
        bool sel = r == p->sel;
        uint32_t ink = sel ? c->hi_text : c->text, ink2 = sel ? c->hi_text : c->dim;
        p->rows[i] = (SDL_Rect){(int)bx, (int)y, (int)bw, (int)row_h};
        if (sel) ui_p_fill(g, bx + pad * 0.4f, y, bw - pad * 0.8f, row_h - pad * 0.25f, c->hi_bg);
        float ty = y + pad * 0.25f, sy = ty + big * 1.25f;
        if (r < (int)p->ls->n) {
            const struct scn_lesson *L = &p->ls->v[r];
            const char *origin = p->ls->dirs[L->dir].origin;
            bool here = strcmp(origin, "the current directory") == 0 ||
                        strcmp(origin, "beside the program") == 0 ||
                        strcmp(origin, "installed") == 0;
            float ow = 0;
            if (!here) { /* a lesson of the lecturer's own (MAILSIM_PATH, XDG): say so */
                int w = 0;
                ui_p_text_size(g, UI_F_SANS, small, origin, &w, NULL);
                ow = (float)w + pad;
                ui_p_text(g, UI_F_SANS, small, ink2, bx + bw - pad, ty + (big - small) * 0.6f,
                          UI_AL_RIGHT, origin);
            }
            ui_p_text(g, UI_F_BOLD, big, ink, x, ty, UI_AL_LEFT, L->number[0] ? L->number : "-");
            ui_pick_text_fit(g, UI_F_BOLD, big, ink, x + num_w, ty, inner - num_w - ow, L->title);
            char sum[260];
            snprintf(sum, sizeof sum, "%s%s", L->bad ? "does not load: " : "", L->summary);
            ui_pick_text_fit(g, UI_F_SANS, body, ink2, x + num_w, sy, inner - num_w, sum);
        } else {
            ui_p_text(g, UI_F_BOLD, big, ink, x, ty, UI_AL_LEFT, "\xe2\x80\xa6");
            ui_p_text(g, UI_F_BOLD, big, ink, x + num_w, ty, UI_AL_LEFT, "Open a file\xe2\x80\xa6");
            if (p->typing) {
                float fx = x + num_w, fw = inner - num_w, fh = body * 1.35f;
                ui_p_fill(g, fx, sy - body * 0.1f, fw, fh, c->panel);
                ui_p_frame(g, fx, sy - body * 0.1f, fw, fh, 2, ink);
                char field[1100];
                snprintf(field, sizeof field, "%s|", p->text);
                /* Show the end of a long path: that is where the typing is. */
                const char *shownf = field;
                int tw = 0;
                ui_p_text_size(g, UI_F_MONO, body, shownf, &tw, NULL);
                while ((float)tw > fw - pad && shownf[1]) {
                    shownf++;
                    while (((unsigned char)*shownf & 0xc0) == 0x80) shownf++;
                    ui_p_text_size(g, UI_F_MONO, body, shownf, &tw, NULL);
                }
                ui_p_text(g, UI_F_MONO, body, c->text, fx + pad * 0.3f, sy, UI_AL_LEFT, shownf);
            } else {
                ui_pick_text_fit(g, UI_F_SANS, body, ink2, x + num_w, sy, inner - num_w,
                                 p->ls->n ? "a scenario file anywhere, by its path"
                                          : "no lessons were found in ./scenarios, "
                                            "MAILSIM_PATH or where mailsim is installed");
            }
        }
        y += row_h;
    }
    if (scrolling && p->top + shown < rows)
        ui_p_text(g, UI_F_SANS, small, c->dim, bx + bw / 2, y + pad * 0.1f, UI_AL_CENTER,
                  "\xe2\x96\xbc more below");
    ui_p_noclip(g);
}
