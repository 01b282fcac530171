/* ui_gfx.c -- the renderer: an SDL software renderer drawing into an
 * SDL_Surface, the fonts bundled in assets/fonts (fontconfig only when the
 * bundle cannot be found), and a cache of text textures.
 *
 * Every frame, in a window or offscreen, is drawn into the same kind of
 * surface by the same code, so a screenshot is exactly what the room sees.
 * PNG files are written by ui_export.c (libdeflate), at a fast level.
 * Text is rendered by SDL2_ttf once per (font, size, colour, string) and kept
 * as a texture; a frame that shows the same words again only copies pixels.
 * In a web page (Emscripten) there is neither fontconfig nor libdeflate: the
 * page puts the bundled fonts where MAILSIM_ASSETS says, and PNG files are
 * written by the native program only (docs/web.md). */
#ifndef __EMSCRIPTEN__
#include <fontconfig/fontconfig.h>
#endif
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/datadir.h"
#include "ui/ui_int.h"

static const char *const ui_font_families[UI_F_COUNT] = {"DejaVu Sans", "DejaVu Sans:bold",
                                                         "DejaVu Sans Mono"};
/* The same faces as shipped in assets/fonts, so that every machine renders
 * the same pixels whatever fonts it has installed (docs/architecture.md). */
static const char *const ui_font_files[UI_F_COUNT] = {"DejaVuSans.ttf", "DejaVuSans-Bold.ttf",
                                                      "DejaVuSansMono.ttf"};

void ui_err(struct ms_error *err, const char *where, const char *msg)
{
    ms_error_set(err, 1, where, "%s", msg);
}

/* The file of family through fontconfig, into out. */
static bool ui_font_find(const char *family, char *out, size_t outlen)
{
#ifdef __EMSCRIPTEN__
    (void)family, (void)out, (void)outlen;
    return false;
#else
    if (!FcInit()) return false;
    FcPattern *pat = FcNameParse((const FcChar8 *)family);
    if (!pat) return false;
    FcConfigSubstitute(NULL, pat, FcMatchPattern);
    FcDefaultSubstitute(pat);
    FcResult res;
    FcPattern *match = FcFontMatch(NULL, pat, &res);
    bool ok = false;
    if (match) {
        FcChar8 *file = NULL;
        if (FcPatternGetString(match, FC_FILE, 0, &file) == FcResultMatch && file) {
            snprintf(out, outlen, "%s", (const char *)file);
            ok = true;
        }
        FcPatternDestroy(match);
    }
    FcPatternDestroy(pat);
    return ok;
#endif
}

static bool ui_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The bundled copy of font f, into out: $MAILSIM_ASSETS/fonts, then
 * assets/fonts in mailsim's data directories (core/datadir.h: beside the
 * executable, an installed tree wherever PREFIX was, the compiled-in data
 * directory, the XDG data directories). */
static bool ui_font_bundled(int f, char *out, size_t outlen)
{
    const char *env = getenv("MAILSIM_ASSETS");
    if (env && *env) {
        int w = snprintf(out, outlen, "%s/fonts/%s", env, ui_font_files[f]);
        if (w > 0 && (size_t)w < outlen && ui_is_file(out)) return true;
    }
    char rel[128];
    snprintf(rel, sizeof rel, "assets/fonts/%s", ui_font_files[f]);
    return datadir_find(rel, out, outlen);
}

static bool ui_fonts_setup(struct ui_gfx *g, struct ms_error *err)
{
    const char *env = getenv("MAILSIM_FONT");
    for (int f = 0; f < UI_F_COUNT; f++) {
        if (env && *env && f != UI_F_MONO) {
            snprintf(g->font_path[f], sizeof g->font_path[f], "%s", env);
        } else if (ui_font_bundled(f, g->font_path[f], sizeof g->font_path[f])) {
            /* found in assets/fonts */
        } else if (!ui_font_find(ui_font_families[f], g->font_path[f], sizeof g->font_path[f])) {
            if (f > 0) {
                memcpy(g->font_path[f], g->font_path[0], sizeof g->font_path[f]);
                continue;
            }
            char msg[300];
            snprintf(msg, sizeof msg,
                     "no font found: install fonts-dejavu-core (fontconfig found no \"%s\") "
                     "or set MAILSIM_FONT to a .ttf file",
                     ui_font_families[f]);
            ui_err(err, "font", msg);
            return false;
        }
        /* Check now that the file opens, so the error is clear and early. */
        TTF_Font *probe = TTF_OpenFont(g->font_path[f], 18);
        if (!probe) {
            if (f > 0 && !(env && *env)) {
                memcpy(g->font_path[f], g->font_path[0], sizeof g->font_path[f]);
                continue;
            }
            char msg[1200];
            snprintf(msg, sizeof msg, "cannot open font %s (%s); set MAILSIM_FONT to a .ttf file",
                     g->font_path[f], TTF_GetError());
            ui_err(err, "font", msg);
            return false;
        }
        TTF_CloseFont(probe);
    }
    return true;
}

static struct ui_gfx *ui_gfx_alloc(struct ms_error *err)
{
    if (!TTF_WasInit() && TTF_Init() != 0) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot initialise SDL_ttf: %s", TTF_GetError());
        ui_err(err, "SDL_ttf", msg);
        return NULL;
    }
    struct ui_gfx *g = ms_xcalloc(1, sizeof *g);
    g->text = ms_xcalloc(UI_TEXT_SLOTS, sizeof *g->text);
    g->hits = ms_xcalloc(UI_MAX_HITS, sizeof *g->hits);
    if (!ui_fonts_setup(g, err)) {
        ui_gfx_free(g);
        return NULL;
    }
    return g;
}

struct ui_gfx *ui_gfx_new_offscreen(int w, int h, struct ms_error *err)
{
    if (w < 320 || h < 240 || w > 8192 || h > 8192) {
        ui_err(err, "size", "frame size is out of range (320x240 .. 8192x8192)");
        return NULL;
    }
    struct ui_gfx *g = ui_gfx_alloc(err);
    if (!g) return NULL;
    g->w = w;
    g->h = h;
    g->surface = SDL_CreateRGBSurfaceWithFormat(0, w, h, 32, SDL_PIXELFORMAT_ARGB8888);
    if (g->surface) g->ren = SDL_CreateSoftwareRenderer(g->surface);
    if (!g->ren) {
        char msg[600];
        snprintf(msg, sizeof msg, "cannot create the software renderer: %s", SDL_GetError());
        ui_err(err, "SDL", msg);
        ui_gfx_free(g);
        return NULL;
    }
    SDL_SetRenderDrawBlendMode(g->ren, SDL_BLENDMODE_BLEND);
    return g;
}

void ui_gfx_text_flush(struct ui_gfx *g)
{
    for (size_t i = 0; i < UI_TEXT_SLOTS; i++) {
        if (g->text[i].tex) SDL_DestroyTexture(g->text[i].tex);
        memset(&g->text[i], 0, sizeof g->text[i]);
    }
    g->text_used = 0;
}

void ui_gfx_free(struct ui_gfx *g)
{
    if (!g) return;
    if (g->text) ui_gfx_text_flush(g);
    free(g->text);
    free(g->hits);
    free(g->boxes);
    free(g->segs);
    for (int i = 0; i < 64; i++)
        if (g->icons[i].tex) SDL_DestroyTexture(g->icons[i].tex);
    for (int f = 0; f < UI_F_COUNT; f++)
        for (int i = 0; i < 24; i++)
            if (g->fonts[f][i].font) TTF_CloseFont(g->fonts[f][i].font);
    if (g->ren) SDL_DestroyRenderer(g->ren);
    if (g->surface) SDL_FreeSurface(g->surface);
    free(g);
}

const void *ui_gfx_pixels(const struct ui_gfx *g, int *w, int *h, int *pitch)
{
    if (!g->surface) return NULL;
    *w = g->surface->w;
    *h = g->surface->h;
    *pitch = g->surface->pitch;
    return g->surface->pixels;
}

int ui_gfx_save_png(struct ui_gfx *g, const char *path, struct ms_error *err)
{
    return ui_gfx_save_png_level(g, path, UI_PNG_FAST, err);
}

int ui_gfx_save_png_level(struct ui_gfx *g, const char *path, int level, struct ms_error *err)
{
#ifdef __EMSCRIPTEN__
    (void)g, (void)path, (void)level;
    ui_err(err, "png",
           "PNG files are written by mailsim on a computer (mailsim --render-step K --out "
           "F.png); in a browser, use its screenshot");
    return -1;
#else
    if (!g->surface) {
        ui_err(err, "png", "nothing drawn to save");
        return -1;
    }
    if (SDL_MUSTLOCK(g->surface)) SDL_LockSurface(g->surface);
    int rc = ui_png_write(path, g->surface->pixels, g->surface->w, g->surface->h, g->surface->pitch,
                          level, err);
    if (SDL_MUSTLOCK(g->surface)) SDL_UnlockSurface(g->surface);
    return rc;
#endif
}

struct ui_hit ui_gfx_hit(const struct ui_gfx *g, int x, int y)
{
    /* Last drawn is on top. */
    for (size_t i = g->n_hits; i-- > 0;) {
        const SDL_Rect *r = &g->hits[i].r;
        if (x >= r->x && y >= r->y && x < r->x + r->w && y < r->y + r->h) {
            struct ui_hit h = g->hits[i].hit;
            h.where = (double)(x - r->x) / (double)(r->w > 1 ? r->w - 1 : 1);
            return h;
        }
    }
    struct ui_hit none = {UI_HIT_NONE, 0, 0, 0};
    return none;
}

void ui_gfx_record(struct ui_gfx *g, bool on)
{
    g->record = on;
    g->n_boxes = 0;
    g->n_segs = 0;
}

const struct ui_seg *ui_gfx_links(const struct ui_gfx *g, size_t *n)
{
    *n = g->n_segs;
    return g->segs;
}

const struct ui_box *ui_gfx_boxes(const struct ui_gfx *g, size_t *n)
{
    *n = g->n_boxes;
    return g->boxes;
}

static void ui_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p < 0x20)
            fprintf(f, "\\u%04x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

int ui_gfx_write_layout(const struct ui_gfx *g, FILE *f)
{
    static const char *const kinds[] = {"text", "icon", "packet"};
    fprintf(f, "{\"w\": %d, \"h\": %d, \"boxes\": [\n", g->w, g->h);
    for (size_t i = 0; i < g->n_boxes; i++) {
        const struct ui_box *b = &g->boxes[i];
        fprintf(f, "  {\"kind\": \"%s\", \"role\": ", kinds[b->kind]);
        ui_json_str(f, b->role);
        fprintf(f,
                ", \"x\": %.1f, \"y\": %.1f, \"w\": %.1f, \"h\": %.1f, \"cap\": %d, "
                "\"clip\": [%d, %d, %d, %d], \"ellipsis\": %s, \"text\": ",
                (double)b->x, (double)b->y, (double)b->w, (double)b->h, b->cap_px, b->clip_x,
                b->clip_y, b->clip_w, b->clip_h, b->ellipsis ? "true" : "false");
        ui_json_str(f, b->text);
        if (b->link) fprintf(f, ", \"link\": %d", b->link - 1);
        fprintf(f, "}%s\n", i + 1 < g->n_boxes ? "," : "");
    }
    fprintf(f, "], \"links\": [\n");
    for (size_t i = 0; i < g->n_segs; i++) {
        const struct ui_seg *l = &g->segs[i];
        fprintf(f, "  {\"link\": %u, \"seg\": [%.1f, %.1f, %.1f, %.1f]}%s\n", l->link,
                (double)l->x1, (double)l->y1, (double)l->x2, (double)l->y2,
                i + 1 < g->n_segs ? "," : "");
    }
    fprintf(f, "]}\n");
    return ferror(f) ? -1 : 0;
}
