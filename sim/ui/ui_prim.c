/* ui_prim.c -- drawing primitives on the SDL software renderer: filled and
 * outlined boxes, thick lines as quads, circles and triangles through
 * SDL_RenderGeometry, and cached text (one SDL2_ttf render per distinct
 * font, size, colour, wrap width and string; then texture copies only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

static SDL_Color ui_col(uint32_t c)
{
    SDL_Color k = {(Uint8)(c >> 24), (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c};
    return k;
}

static void ui_p_set(struct ui_gfx *g, uint32_t c)
{
    SDL_SetRenderDrawColor(g->ren, (Uint8)(c >> 24), (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c);
}

void ui_p_begin(struct ui_gfx *g)
{
    g->frame++;
    g->n_hits = 0;
    memset(&g->stats, 0, sizeof g->stats);
}

void ui_p_fill(struct ui_gfx *g, float x, float y, float w, float h, uint32_t c)
{
    SDL_FRect r = {x, y, w, h};
    ui_p_set(g, c);
    SDL_RenderFillRectF(g->ren, &r);
}

void ui_p_frame(struct ui_gfx *g, float x, float y, float w, float h, float th, uint32_t c)
{
    ui_p_fill(g, x, y, w, th, c);
    ui_p_fill(g, x, y + h - th, w, th, c);
    ui_p_fill(g, x, y, th, h, c);
    ui_p_fill(g, x + w - th, y, th, h, c);
}

static void ui_p_quad(struct ui_gfx *g, const float *xy, uint32_t c)
{
    SDL_Vertex v[4];
    SDL_Color k = ui_col(c);
    for (int i = 0; i < 4; i++) {
        v[i].position.x = xy[2 * i];
        v[i].position.y = xy[2 * i + 1];
        v[i].color = k;
        v[i].tex_coord.x = v[i].tex_coord.y = 0;
    }
    static const int idx[6] = {0, 1, 2, 0, 2, 3};
    SDL_RenderGeometry(g->ren, NULL, v, 4, idx, 6);
}

void ui_p_line(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, uint32_t c)
{
    float dx = x2 - x1, dy = y2 - y1;
    float len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f)
        return;
    if (th <= 1.0f) {
        ui_p_set(g, c);
        SDL_RenderDrawLineF(g->ren, x1, y1, x2, y2);
        return;
    }
    float nx = -dy / len * th / 2, ny = dx / len * th / 2;
    float q[8] = {x1 + nx, y1 + ny, x2 + nx, y2 + ny, x2 - nx, y2 - ny, x1 - nx, y1 - ny};
    ui_p_quad(g, q, c);
}

void ui_p_dashed(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, float dash,
                 uint32_t c)
{
    float dx = x2 - x1, dy = y2 - y1;
    float len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f || dash < 1)
        return;
    for (float s = 0; s < len; s += 2 * dash) {
        float e = s + dash < len ? s + dash : len;
        ui_p_line(g, x1 + dx * s / len, y1 + dy * s / len, x1 + dx * e / len, y1 + dy * e / len, th,
                  c);
    }
}

void ui_p_circle(struct ui_gfx *g, float cx, float cy, float r, uint32_t c)
{
    enum { N = 24 };
    SDL_Vertex v[N + 1];
    int idx[3 * N];
    SDL_Color k = ui_col(c);
    v[0].position.x = cx;
    v[0].position.y = cy;
    v[0].color = k;
    v[0].tex_coord.x = v[0].tex_coord.y = 0;
    for (int i = 0; i < N; i++) {
        float a = (float)i * 6.2831853f / N;
        v[i + 1].position.x = cx + r * cosf(a);
        v[i + 1].position.y = cy + r * sinf(a);
        v[i + 1].color = k;
        v[i + 1].tex_coord.x = v[i + 1].tex_coord.y = 0;
        idx[3 * i] = 0;
        idx[3 * i + 1] = i + 1;
        idx[3 * i + 2] = (i + 1) % N + 1;
    }
    SDL_RenderGeometry(g->ren, NULL, v, N + 1, idx, 3 * N);
}

void ui_p_tri(struct ui_gfx *g, float x1, float y1, float x2, float y2, float x3, float y3,
              uint32_t c)
{
    SDL_Vertex v[3];
    SDL_Color k = ui_col(c);
    float p[6] = {x1, y1, x2, y2, x3, y3};
    for (int i = 0; i < 3; i++) {
        v[i].position.x = p[2 * i];
        v[i].position.y = p[2 * i + 1];
        v[i].color = k;
        v[i].tex_coord.x = v[i].tex_coord.y = 0;
    }
    SDL_RenderGeometry(g->ren, NULL, v, 3, NULL, 0);
}

void ui_p_rrect(struct ui_gfx *g, float x, float y, float w, float h, float r, uint32_t c)
{
    if (r * 2 > h)
        r = h / 2;
    if (r * 2 > w)
        r = w / 2;
    if (r < 1.5f) {
        ui_p_fill(g, x, y, w, h, c);
        return;
    }
    /* Opaque colours only look right here (overlaps would double alpha). */
    ui_p_fill(g, x + r, y, w - 2 * r, h, c);
    ui_p_fill(g, x, y + r, r, h - 2 * r, c);
    ui_p_fill(g, x + w - r, y + r, r, h - 2 * r, c);
    ui_p_circle(g, x + r, y + r, r, c);
    ui_p_circle(g, x + w - r, y + r, r, c);
    ui_p_circle(g, x + r, y + h - r, r, c);
    ui_p_circle(g, x + w - r, y + h - r, r, c);
}

/* ---- text ---------------------------------------------------------------------------- */

static TTF_Font *ui_font(struct ui_gfx *g, enum ui_font f, int px)
{
    for (int i = 0; i < 24; i++) {
        if (g->fonts[f][i].font && g->fonts[f][i].px == px)
            return g->fonts[f][i].font;
        if (!g->fonts[f][i].font) {
            g->fonts[f][i].font = TTF_OpenFont(g->font_path[f], px);
            g->fonts[f][i].px = px;
            return g->fonts[f][i].font;
        }
    }
    /* Table full (many zoom levels): replace the last slot. */
    TTF_CloseFont(g->fonts[f][23].font);
    g->fonts[f][23].font = TTF_OpenFont(g->font_path[f], px);
    g->fonts[f][23].px = px;
    return g->fonts[f][23].font;
}

static uint64_t ui_text_hash(enum ui_font f, int px, uint32_t c, int wrap, const char *s)
{
    uint64_t h = 14695981039346656037ULL;
    uint32_t parts[4] = {(uint32_t)f, (uint32_t)px, c, (uint32_t)wrap};
    const unsigned char *p = (const unsigned char *)parts;
    for (size_t i = 0; i < sizeof parts; i++)
        h = (h ^ p[i]) * 1099511628211ULL;
    for (p = (const unsigned char *)s; *p; p++)
        h = (h ^ *p) * 1099511628211ULL;
    return h ? h : 1;
}

static struct ui_text_entry *ui_text_get(struct ui_gfx *g, enum ui_font f, float pxf, uint32_t c,
                                         int wrap, const char *s)
{
    if (!s || !*s)
        return NULL;
    int px = (int)lroundf(pxf);
    if (px < 6)
        px = 6;
    uint64_t h = ui_text_hash(f, px, c, wrap, s);
    size_t i = (size_t)(h % UI_TEXT_SLOTS);
    while (g->text[i].hash) {
        if (g->text[i].hash == h) {
            g->text[i].last_frame = g->frame;
            return &g->text[i];
        }
        i = (i + 1) % UI_TEXT_SLOTS;
    }
    if (g->text_used >= UI_TEXT_SLOTS * 3 / 4) {
        ui_gfx_text_flush(g);
        i = (size_t)(h % UI_TEXT_SLOTS);
    }
    TTF_Font *font = ui_font(g, f, px);
    if (!font)
        return NULL;
    SDL_Surface *surf = wrap > 0 ? TTF_RenderUTF8_Blended_Wrapped(font, s, ui_col(c), (Uint32)wrap)
                                 : TTF_RenderUTF8_Blended(font, s, ui_col(c));
    if (!surf)
        return NULL;
    g->stats.text_renders++;
    struct ui_text_entry *e = &g->text[i];
    e->hash = h;
    e->tex = SDL_CreateTextureFromSurface(g->ren, surf);
    e->w = surf->w;
    e->h = surf->h;
    e->last_frame = g->frame;
    SDL_FreeSurface(surf);
    g->text_used++;
    return e;
}

int ui_p_text(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y, int align,
              const char *s)
{
    struct ui_text_entry *e = ui_text_get(g, f, px, c, 0, s);
    if (!e || !e->tex)
        return 0;
    float dx = align == UI_AL_CENTER ? (float)e->w / 2 : align == UI_AL_RIGHT ? (float)e->w : 0;
    SDL_FRect dst = {floorf(x - dx), floorf(y), (float)e->w, (float)e->h};
    SDL_RenderCopyF(g->ren, e->tex, NULL, &dst);
    g->stats.text_draws++;
    return e->w;
}

int ui_p_text_wrap(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y,
                   int wrap, const char *s, int *height)
{
    struct ui_text_entry *e = ui_text_get(g, f, px, c, wrap < 16 ? 16 : wrap, s);
    if (height)
        *height = e ? e->h : 0;
    if (!e || !e->tex)
        return 0;
    SDL_FRect dst = {floorf(x), floorf(y), (float)e->w, (float)e->h};
    SDL_RenderCopyF(g->ren, e->tex, NULL, &dst);
    g->stats.text_draws++;
    return e->w;
}

void ui_p_text_size(struct ui_gfx *g, enum ui_font f, float px, const char *s, int *w, int *h)
{
    struct ui_text_entry *e = ui_text_get(g, f, px, 0xffffffffu, 0, s);
    *w = e ? e->w : 0;
    if (h)
        *h = e ? e->h : (int)px;
}

void ui_p_clip(struct ui_gfx *g, float x, float y, float w, float h)
{
    SDL_Rect r = {(int)x, (int)y, (int)w, (int)h};
    SDL_RenderSetClipRect(g->ren, &r);
}

void ui_p_noclip(struct ui_gfx *g) { SDL_RenderSetClipRect(g->ren, NULL); }

void ui_p_hit(struct ui_gfx *g, float x, float y, float w, float h, struct ui_hit hit)
{
    if (g->n_hits >= UI_MAX_HITS)
        return;
    g->hits[g->n_hits].r = (SDL_Rect){(int)x, (int)y, (int)w, (int)h};
    g->hits[g->n_hits].hit = hit;
    g->n_hits++;
}
