/* ui_prim.c -- drawing primitives on the SDL software renderer: filled and
 * outlined boxes, thick lines as quads, circles and triangles through
 * SDL_RenderGeometry, and cached text (one SDL2_ttf render per distinct
 * font, size, colour, wrap width and string; then texture copies only). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"
#include "core/hash.h"

static SDL_Color ui_col(uint32_t c)
{
    SDL_Color k = {(Uint8)(c >> 24), (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c};
    return k;
}

/* Which path of SDL's software renderer fills fastest, for the same pixels:
 * an opaque colour blended (alpha 255) gives exactly the colour, and SDL's
 * blended fill has a small cost per call but a large one per pixel, while
 * its plain fill is the other way round (about 10 us a call, measured with
 * SDL 2.26 in tests/bench/bench_ui.c). So small areas blend, large ones do
 * not; translucent colours always blend. */
static void ui_p_set_area(struct ui_gfx *g, uint32_t c, float area)
{
    bool plain = (c & 0xffu) == 0xffu && area > 20000.0f;
    SDL_SetRenderDrawBlendMode(g->ren, plain ? SDL_BLENDMODE_NONE : SDL_BLENDMODE_BLEND);
    SDL_SetRenderDrawColor(g->ren, (Uint8)(c >> 24), (Uint8)(c >> 16), (Uint8)(c >> 8), (Uint8)c);
}

static void ui_p_set(struct ui_gfx *g, uint32_t c)
{
    ui_p_set_area(g, c, 0);
}

void ui_p_begin(struct ui_gfx *g)
{
    g->frame++;
    g->n_hits = 0;
    g->n_boxes = 0;
    g->n_segs = 0;
    g->link = 0;
    g->role = NULL;
    g->clip = (SDL_Rect){0, 0, g->w, g->h};
    SDL_RenderSetClipRect(g->ren, NULL);
    memset(&g->stats, 0, sizeof g->stats);
}

/* Opaque rectangles straight into the frame's pixels (ARGB8888), clipped:
 * the same pixels SDL would write, without its cost per call. Everything
 * opaque on the frame goes this way, so the result is the same however the
 * frame was reached. Edges are rounded to the nearest pixel. */
static bool ui_p_direct(struct ui_gfx *g, const SDL_FRect *r, int n, uint32_t c)
{
    if (!g->surface || g->in_target || (c & 0xffu) != 0xffu) return false;
    SDL_RenderFlush(g->ren);
    uint32_t px = 0xff000000u | (c >> 8);
    const SDL_Rect *cl = &g->clip;
    uint8_t *base = g->surface->pixels;
    int pitch = g->surface->pitch;
    for (int i = 0; i < n; i++) {
        int x0 = (int)lroundf(r[i].x), y0 = (int)lroundf(r[i].y);
        int x1 = (int)lroundf(r[i].x + r[i].w), y1 = (int)lroundf(r[i].y + r[i].h);
        if (x0 < cl->x) x0 = cl->x;
        if (y0 < cl->y) y0 = cl->y;
        if (x1 > cl->x + cl->w) x1 = cl->x + cl->w;
        if (y1 > cl->y + cl->h) y1 = cl->y + cl->h;
        for (int y = y0; y < y1; y++) {
            uint32_t *row = (uint32_t *)(void *)(base + (size_t)y * (size_t)pitch);
            for (int x = x0; x < x1; x++) row[x] = px;
        }
    }
    return true;
}

void ui_p_fill(struct ui_gfx *g, float x, float y, float w, float h, uint32_t c)
{
    SDL_FRect fr = {x, y, w, h};
    if (ui_p_direct(g, &fr, 1, c)) return;
    SDL_FRect r = {x, y, w, h};
    ui_p_set_area(g, c, w * h);
    SDL_RenderFillRectF(g->ren, &r);
}

void ui_p_frame(struct ui_gfx *g, float x, float y, float w, float h, float th, uint32_t c)
{
    ui_p_fill(g, x, y, w, th, c);
    ui_p_fill(g, x, y + h - th, w, th, c);
    ui_p_fill(g, x, y, th, h, c);
    ui_p_fill(g, x + w - th, y, th, h, c);
}

/* Filled shapes are drawn as horizontal spans in one SDL_RenderFillRects call
 * (SDL_RenderGeometry on the software renderer costs far more). */
#define UI_MAX_SPANS 1200

static void ui_p_spans(struct ui_gfx *g, const SDL_FRect *r, int n, uint32_t c)
{
    if (n <= 0 || ui_p_direct(g, r, n, c)) return;
    ui_p_set(g, c);
    SDL_RenderFillRectsF(g->ren, r, n);
}

/* Convex polygon (n <= 8 points) as spans, one per pixel row. */
static void ui_p_poly(struct ui_gfx *g, const float *xy, int n, uint32_t c)
{
    float ymin = xy[1], ymax = xy[1];
    for (int i = 1; i < n; i++) {
        ymin = fminf(ymin, xy[2 * i + 1]);
        ymax = fmaxf(ymax, xy[2 * i + 1]);
    }
    int y0 = (int)floorf(ymin), y1 = (int)ceilf(ymax);
    if (y1 - y0 > UI_MAX_SPANS) y1 = y0 + UI_MAX_SPANS;
    static SDL_FRect spans[UI_MAX_SPANS];
    int ns = 0;
    for (int y = y0; y < y1; y++) {
        float yc = (float)y + 0.5f, lo = 1e30f, hi = -1e30f;
        for (int i = 0; i < n; i++) {
            float ax = xy[2 * i], ay = xy[2 * i + 1];
            float bx = xy[2 * ((i + 1) % n)], by = xy[2 * ((i + 1) % n) + 1];
            if ((ay <= yc && by > yc) || (by <= yc && ay > yc)) {
                float x = ax + (yc - ay) * (bx - ax) / (by - ay);
                lo = fminf(lo, x);
                hi = fmaxf(hi, x);
            }
        }
        if (hi >= lo) {
            float l = roundf(lo), r = roundf(hi);
            if (r > l) spans[ns++] = (SDL_FRect){l, (float)y, r - l, 1};
        }
    }
    ui_p_spans(g, spans, ns, c);
}

void ui_p_line(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, uint32_t c)
{
    float dx = x2 - x1, dy = y2 - y1;
    float len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f) return;
    if (th <= 1.0f) {
        ui_p_set(g, c);
        SDL_RenderDrawLineF(g->ren, x1, y1, x2, y2);
        return;
    }
    if (fabsf(dy) < 0.01f) { /* horizontal: one rectangle */
        ui_p_fill(g, fminf(x1, x2), y1 - th / 2, fabsf(dx), th, c);
        return;
    }
    if (fabsf(dx) < 0.01f) {
        ui_p_fill(g, x1 - th / 2, fminf(y1, y2), th, fabsf(dy), c);
        return;
    }
    float nx = -dy / len * th / 2, ny = dx / len * th / 2;
    float q[8] = {x1 + nx, y1 + ny, x2 + nx, y2 + ny, x2 - nx, y2 - ny, x1 - nx, y1 - ny};
    ui_p_poly(g, q, 4, c);
}

void ui_p_dashed(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, float dash,
                 uint32_t c)
{
    float dx = x2 - x1, dy = y2 - y1;
    float len = sqrtf(dx * dx + dy * dy);
    if (len < 0.01f || dash < 1) return;
    for (float s = 0; s < len; s += 2 * dash) {
        float e = s + dash < len ? s + dash : len;
        ui_p_line(g, x1 + dx * s / len, y1 + dy * s / len, x1 + dx * e / len, y1 + dy * e / len, th,
                  c);
    }
}

void ui_p_circle(struct ui_gfx *g, float cx, float cy, float r, uint32_t c)
{
    static SDL_FRect spans[UI_MAX_SPANS];
    int ns = 0;
    int y0 = (int)floorf(cy - r), y1 = (int)ceilf(cy + r);
    for (int y = y0; y < y1 && ns < UI_MAX_SPANS; y++) {
        float dy = (float)y + 0.5f - cy;
        float h2 = r * r - dy * dy;
        if (h2 <= 0) continue;
        float hw = sqrtf(h2);
        float l = roundf(cx - hw), rr = roundf(cx + hw);
        if (rr > l) spans[ns++] = (SDL_FRect){l, (float)y, rr - l, 1};
    }
    ui_p_spans(g, spans, ns, c);
}

void ui_p_tri(struct ui_gfx *g, float x1, float y1, float x2, float y2, float x3, float y3,
              uint32_t c)
{
    float p[6] = {x1, y1, x2, y2, x3, y3};
    ui_p_poly(g, p, 3, c);
}

void ui_p_rrect(struct ui_gfx *g, float x, float y, float w, float h, float r, uint32_t c)
{
    if (r * 2 > h) r = h / 2;
    if (r * 2 > w) r = w / 2;
    if (r < 1.5f) {
        ui_p_fill(g, x, y, w, h, c);
        return;
    }
    static SDL_FRect spans[UI_MAX_SPANS];
    int ns = 0;
    int y0 = (int)roundf(y), y1 = (int)roundf(y + h);
    for (int yy = y0; yy < y1 && ns < UI_MAX_SPANS; yy++) {
        float yc = (float)yy + 0.5f, inset = 0;
        float d = yc < y + r ? y + r - yc : yc > y + h - r ? yc - (y + h - r) : 0;
        if (d > 0) inset = r - sqrtf(fmaxf(r * r - d * d, 0));
        float l = roundf(x + inset), rr = roundf(x + w - inset);
        if (rr > l) spans[ns++] = (SDL_FRect){l, (float)yy, rr - l, 1};
    }
    ui_p_spans(g, spans, ns, c);
}

void ui_p_octo(struct ui_gfx *g, float x, float y, float w, float h, float cut, uint32_t c)
{
    SDL_FRect r[2] = {{x + cut, y, w - 2 * cut, h}, {x, y + cut, w, h - 2 * cut}};
    ui_p_spans(g, r, 2, c);
}

/* ---- text ---------------------------------------------------------------------------- */

static TTF_Font *ui_font(struct ui_gfx *g, enum ui_font f, int px)
{
    for (int i = 0; i < 24; i++) {
        if (g->fonts[f][i].font && g->fonts[f][i].px == px) return g->fonts[f][i].font;
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
    uint32_t parts[4] = {(uint32_t)f, (uint32_t)px, c, (uint32_t)wrap};
    uint64_t h = hash_fnv1a(HASH_FNV1A_BASIS, parts, sizeof parts);
    h = hash_fnv1a(h, s, strlen(s));
    return h ? h : 1;
}

/* Keep only the texts this frame has drawn (the labels every frame draws
 * stay), placed again in their slots. Once a frame at most. */
static void ui_text_trim(struct ui_gfx *g)
{
    struct ui_text_entry *keep = ms_xmalloc(UI_TEXT_SLOTS * sizeof *keep);
    size_t nk = 0;
    for (size_t i = 0; i < UI_TEXT_SLOTS; i++) {
        struct ui_text_entry *e = &g->text[i];
        if (!e->hash) continue;
        if (e->last_frame == g->frame)
            keep[nk++] = *e;
        else if (e->tex)
            SDL_DestroyTexture(e->tex);
        memset(e, 0, sizeof *e);
    }
    g->text_used = nk;
    g->text_bytes = 0;
    for (size_t k = 0; k < nk; k++) {
        size_t i = (size_t)(keep[k].hash % UI_TEXT_SLOTS);
        while (g->text[i].hash) i = (i + 1) % UI_TEXT_SLOTS;
        g->text[i] = keep[k];
        g->text_bytes += (size_t)keep[k].w * (size_t)keep[k].h * 4;
    }
    free(keep);
    g->text_trimmed = g->frame;
}

static struct ui_text_entry *ui_text_get(struct ui_gfx *g, enum ui_font f, float pxf, uint32_t c,
                                         int wrap, const char *s)
{
    if (!s || !*s) return NULL;
    int px = (int)lroundf(pxf);
    if (px < 6) px = 6;
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
    if (!font) return NULL;
    SDL_Surface *surf = wrap > 0 ? TTF_RenderUTF8_Blended_Wrapped(font, s, ui_col(c), (Uint32)wrap)
                                 : TTF_RenderUTF8_Blended(font, s, ui_col(c));
    if (!surf) return NULL;
    size_t bytes = (size_t)surf->w * (size_t)surf->h * 4;
    if (g->text_used && g->text_bytes + bytes > UI_TEXT_BYTES && g->text_trimmed != g->frame) {
        ui_text_trim(g);
        i = (size_t)(h % UI_TEXT_SLOTS);
        while (g->text[i].hash) i = (i + 1) % UI_TEXT_SLOTS;
    }
    g->text_bytes += bytes;
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

/* The smallest text drawn this frame (ui_stats.min_text_px). */
static void ui_note_px(struct ui_gfx *g, float pxf)
{
    unsigned px = (unsigned)lroundf(pxf);
    if (g->stats.min_text_px == 0 || px < g->stats.min_text_px) g->stats.min_text_px = px;
}

static struct ui_box *ui_p_box(struct ui_gfx *g, enum ui_box_kind kind, const char *s)
{
    if (g->n_boxes == g->cap_boxes) {
        g->cap_boxes = g->cap_boxes ? 2 * g->cap_boxes : 256;
        g->boxes = ms_xrealloc(g->boxes, g->cap_boxes * sizeof *g->boxes);
    }
    struct ui_box *b = &g->boxes[g->n_boxes++];
    memset(b, 0, sizeof *b);
    b->kind = kind;
    b->role = g->role ? g->role : "";
    b->link = g->link;
    b->clip_x = g->clip.x;
    b->clip_y = g->clip.y;
    b->clip_w = g->clip.w;
    b->clip_h = g->clip.h;
    size_t n = strlen(s);
    if (n >= sizeof b->text) {
        n = sizeof b->text - 1;
        while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80) n--;
    }
    memcpy(b->text, s, n);
    b->text[n] = '\0';
    size_t l = strlen(s);
    b->ellipsis = (l >= 3 && strcmp(s + l - 3, "\xe2\x80\xa6") == 0) ||
                  (l >= 3 && strcmp(s + l - 3, "...") == 0);
    return b;
}

void ui_p_seg(struct ui_gfx *g, unsigned l, float x1, float y1, float x2, float y2)
{
    if (!g->record || g->in_target) return;
    if (g->n_segs == g->cap_segs) {
        g->cap_segs = g->cap_segs ? 2 * g->cap_segs : 32;
        g->segs = ms_xrealloc(g->segs, g->cap_segs * sizeof *g->segs);
    }
    g->segs[g->n_segs++] = (struct ui_seg){l, x1, y1, x2, y2};
}

void ui_p_mark(struct ui_gfx *g, enum ui_box_kind kind, float x, float y, float w, float h,
               const char *name)
{
    if (!g->record || g->in_target) return;
    struct ui_box *b = ui_p_box(g, kind, name);
    b->x = x;
    b->y = y;
    b->w = w;
    b->h = h;
}

/* The rendered height of capitals and digits of font f at px: the glyph
 * metrics of "H" and "0" in the face that draws the text. */
static int ui_cap_px(struct ui_gfx *g, enum ui_font f, int px)
{
    TTF_Font *font = ui_font(g, f, px);
    int minx, maxx, miny, maxy, adv, cap = px;
    if (font && TTF_GlyphMetrics(font, 'H', &minx, &maxx, &miny, &maxy, &adv) == 0) cap = maxy;
    if (font && TTF_GlyphMetrics(font, '0', &minx, &maxx, &miny, &maxy, &adv) == 0 && maxy < cap)
        cap = maxy;
    return cap;
}

/* Record the ink box of text e drawn with its top-left at (x, y). */
static void ui_p_note_text(struct ui_gfx *g, enum ui_font f, float pxf, float x, float y,
                           const struct ui_text_entry *e, const char *s)
{
    if (!g->record || g->in_target) return;
    int px = (int)lroundf(pxf);
    if (px < 6) px = 6;
    TTF_Font *font = ui_font(g, f, px);
    int asc = font ? TTF_FontAscent(font) : px, desc = font ? TTF_FontDescent(font) : 0;
    int cap = ui_cap_px(g, f, px);
    struct ui_box *b = ui_p_box(g, UI_BOX_TEXT, s);
    b->cap_px = cap;
    b->x = x;
    b->y = y + (float)(asc - cap);
    b->w = (float)e->w;
    /* One line: capitals' top to descenders' bottom; wrapped: all lines. */
    float bottom = e->h > asc - desc + 4 ? y + (float)e->h : y + (float)(asc - desc);
    b->h = bottom - b->y;
}

int ui_p_text(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y, int align,
              const char *s)
{
    if (s && *s) ui_note_px(g, px);
    struct ui_text_entry *e = ui_text_get(g, f, px, c, 0, s);
    if (!e || !e->tex) return 0;
    float dx = align == UI_AL_CENTER ? (float)e->w / 2 : align == UI_AL_RIGHT ? (float)e->w : 0;
    SDL_FRect dst = {floorf(x - dx), floorf(y), (float)e->w, (float)e->h};
    ui_p_note_text(g, f, px, dst.x, dst.y, e, s);
    SDL_SetRenderDrawBlendMode(g->ren, SDL_BLENDMODE_BLEND);
    SDL_RenderCopyF(g->ren, e->tex, NULL, &dst);
    g->stats.text_draws++;
    return e->w;
}

int ui_p_text_wrap(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y,
                   int wrap, const char *s, int *height)
{
    if (s && *s) ui_note_px(g, px);
    struct ui_text_entry *e = ui_text_get(g, f, px, c, wrap < 16 ? 16 : wrap, s);
    if (height) *height = e ? e->h : 0;
    if (!e || !e->tex) return 0;
    SDL_FRect dst = {floorf(x), floorf(y), (float)e->w, (float)e->h};
    ui_p_note_text(g, f, px, dst.x, dst.y, e, s);
    SDL_RenderCopyF(g->ren, e->tex, NULL, &dst);
    g->stats.text_draws++;
    return e->w;
}

int ui_p_text_wrap_height(struct ui_gfx *g, enum ui_font f, float px, int wrap, const char *s)
{
    struct ui_text_entry *e = ui_text_get(g, f, px, 0xffffffffu, wrap < 16 ? 16 : wrap, s);
    return e ? e->h : (int)px;
}

void ui_p_text_size(struct ui_gfx *g, enum ui_font f, float px, const char *s, int *w, int *h)
{
    struct ui_text_entry *e = ui_text_get(g, f, px, 0xffffffffu, 0, s);
    *w = e ? e->w : 0;
    if (h) *h = e ? e->h : (int)px;
}

void ui_p_clip(struct ui_gfx *g, float x, float y, float w, float h)
{
    SDL_Rect r = {(int)x, (int)y, (int)w, (int)h};
    SDL_Rect all = {0, 0, g->w, g->h};
    SDL_IntersectRect(&r, &all, &g->clip);
    SDL_RenderSetClipRect(g->ren, &g->clip);
}

void ui_p_noclip(struct ui_gfx *g)
{
    g->clip = (SDL_Rect){0, 0, g->w, g->h};
    SDL_RenderSetClipRect(g->ren, NULL);
}

void ui_p_hit(struct ui_gfx *g, float x, float y, float w, float h, struct ui_hit hit)
{
    if (g->n_hits >= UI_MAX_HITS) return;
    g->hits[g->n_hits].r = (SDL_Rect){(int)x, (int)y, (int)w, (int)h};
    g->hits[g->n_hits].hit = hit;
    g->n_hits++;
}

int ui_p_text_fit(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y,
                  float maxw, const char *s)
{
    int w, h;
    ui_p_text_size(g, f, px, s, &w, &h);
    if ((float)w <= maxw || !s) return ui_p_text(g, f, px, c, x, y, UI_AL_LEFT, s);
    /* The longest prefix (whole UTF-8 characters) that fits with "…". */
    char buf[512];
    size_t n = strlen(s), lo = 0, hi = n < sizeof buf - 4 ? n : sizeof buf - 4;
    while (lo < hi) {
        size_t mid = (lo + hi + 1) / 2;
        while (mid > 0 && ((unsigned char)s[mid] & 0xc0) == 0x80) mid--;
        if (mid <= lo) {
            break;
        }
        memcpy(buf, s, mid);
        memcpy(buf + mid, "\xe2\x80\xa6", 4);
        ui_p_text_size(g, f, px, buf, &w, &h);
        if ((float)w <= maxw)
            lo = mid;
        else
            hi = mid - 1;
    }
    while (lo > 0 && s[lo - 1] == ' ') lo--;
    memcpy(buf, s, lo);
    memcpy(buf + lo, "\xe2\x80\xa6", 4);
    return ui_p_text(g, f, px, c, x, y, UI_AL_LEFT, buf);
}
