/* ui_draw_net.c -- the network panel: host icons with their names, addresses,
 * mailboxes and queues, links with their latencies, packets in flight. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- icons ------------------------------------------------------------------------------ */

static void ui_d_icon(struct ui_frame *f, enum ui_hkind kind, float cx, float cy, float sz,
                      bool down)
{
    struct ui_gfx *g = f->g;
    uint32_t body = down ? f->c->down : f->c->body;
    uint32_t dark = down ? 0x505050ffu : f->c->dark;
    uint32_t screen = down ? 0x808080ffu : f->c->screen;
    float h = sz;
    switch (kind) {
    case UI_HK_LAPTOP:
    case UI_HK_BROWSER:
    case UI_HK_PC: {
        float w = sz * 1.1f, sh = h * 0.62f;
        float x = cx - w / 2, y = cy - h / 2;
        ui_p_rrect(g, x, y, w, sh, sz * 0.06f, dark);
        ui_p_fill(g, x + sz * 0.07f, y + sz * 0.07f, w - sz * 0.14f, sh - sz * 0.14f, screen);
        if (kind == UI_HK_BROWSER) {
            ui_p_fill(g, x + sz * 0.07f, y + sz * 0.07f, w - sz * 0.14f, sz * 0.09f, body);
        }
        if (kind == UI_HK_PC) { /* monitor on a stand */
            ui_p_fill(g, cx - sz * 0.06f, y + sh, sz * 0.12f, sz * 0.18f, dark);
            ui_p_fill(g, cx - sz * 0.3f, y + sh + sz * 0.16f, sz * 0.6f, sz * 0.08f, dark);
        } else { /* laptop base */
            float by = y + sh + sz * 0.04f;
            SDL_FPoint a = {x - sz * 0.12f, by + sz * 0.16f},
                       b = {x + w + sz * 0.12f, by + sz * 0.16f};
            ui_p_tri(g, x, by, x + w, by, b.x, b.y, body);
            ui_p_tri(g, x, by, b.x, b.y, a.x, a.y, body);
        }
        break;
    }
    case UI_HK_PHONE: {
        float w = sz * 0.55f;
        ui_p_rrect(g, cx - w / 2, cy - h / 2, w, h, sz * 0.08f, dark);
        ui_p_fill(g, cx - w / 2 + sz * 0.05f, cy - h / 2 + sz * 0.1f, w - sz * 0.1f, h - sz * 0.22f,
                  screen);
        ui_p_circle(g, cx, cy + h / 2 - sz * 0.06f, sz * 0.035f, body);
        break;
    }
    case UI_HK_SERVER:
    case UI_HK_WEB:
    case UI_HK_DNS: {
        float w = sz * 0.8f, x = cx - w / 2, y = cy - h / 2;
        ui_p_rrect(g, x, y, w, h, sz * 0.05f, dark);
        int slots = kind == UI_HK_DNS ? 2 : 4;
        for (int i = 0; i < slots; i++) {
            float sy = y + sz * 0.08f + (float)i * sz * 0.2f;
            ui_p_fill(g, x + sz * 0.07f, sy, w - sz * 0.14f, sz * 0.14f, body);
            ui_p_circle(g, x + w - sz * 0.16f, sy + sz * 0.07f, sz * 0.03f,
                        down ? 0x404040ffu : 0x009e73ffu);
        }
        if (kind == UI_HK_DNS)
            ui_p_text(g, UI_F_BOLD, ui_px(f, 20), 0xffffffffu, cx, y + h * 0.55f, UI_AL_CENTER,
                      "DNS");
        if (kind == UI_HK_WEB)
            ui_p_text(g, UI_F_BOLD, ui_px(f, 18), 0xffffffffu, cx, y + h * 0.82f, UI_AL_CENTER,
                      "WWW");
        break;
    }
    case UI_HK_ROUTER: {
        uint32_t cl = down ? f->c->down : 0x9fb3c8ffu;
        ui_p_circle(g, cx - sz * 0.42f, cy + sz * 0.08f, sz * 0.28f, cl);
        ui_p_circle(g, cx + sz * 0.42f, cy + sz * 0.08f, sz * 0.28f, cl);
        ui_p_circle(g, cx - sz * 0.12f, cy - sz * 0.12f, sz * 0.36f, cl);
        ui_p_circle(g, cx + sz * 0.2f, cy - sz * 0.06f, sz * 0.32f, cl);
        ui_p_fill(g, cx - sz * 0.42f, cy + sz * 0.02f, sz * 0.84f, sz * 0.34f, cl);
        break;
    }
    }
    if (down) {
        float r = sz * 0.7f;
        ui_p_line(g, cx - r, cy - r, cx + r, cy + r, ui_px(f, 7), UI_LOST);
        ui_p_line(g, cx - r, cy + r, cx + r, cy - r, ui_px(f, 7), UI_LOST);
    }
}

/* The icon through a texture cache: drawn once per (kind, size, down, theme)
 * into a transparent texture, then copied. Icons use opaque colours only, so
 * the copy is exactly what drawing directly would give. */
static void ui_d_icon_cached(struct ui_frame *f, enum ui_hkind kind, float cx, float cy, float sz,
                             bool down)
{
    struct ui_gfx *g = f->g;
    int isz = (int)lroundf(sz);
    int key = 1 + ((int)kind | (down ? 16 : 0) | ((int)f->v->theme << 5) | (isz << 7));
    int slot = -1;
    for (int i = 0; i < 64; i++) {
        if (g->icons[i].key == key) {
            slot = i;
            break;
        }
        if (!g->icons[i].key && slot < 0) slot = i;
    }
    if (slot < 0) { /* full: start over */
        for (int i = 0; i < 64; i++) {
            SDL_DestroyTexture(g->icons[i].tex);
            g->icons[i].tex = NULL;
            g->icons[i].key = 0;
        }
        slot = 0;
    }
    if (g->icons[slot].key != key) {
        int w = (int)ceilf(sz * 1.9f) + 4, h = (int)ceilf(sz * 1.6f) + 4;
        SDL_Texture *tex =
            SDL_CreateTexture(g->ren, SDL_PIXELFORMAT_ARGB8888, SDL_TEXTUREACCESS_TARGET, w, h);
        if (!tex) { /* no render targets: draw directly */
            ui_d_icon(f, kind, cx, cy, sz, down);
            return;
        }
        SDL_Rect clip;
        SDL_bool clipped = SDL_RenderIsClipEnabled(g->ren);
        SDL_RenderGetClipRect(g->ren, &clip);
        SDL_SetRenderTarget(g->ren, tex);
        g->in_target = true;
        SDL_SetRenderDrawBlendMode(g->ren, SDL_BLENDMODE_NONE);
        SDL_SetRenderDrawColor(g->ren, 0, 0, 0, 0);
        SDL_RenderClear(g->ren);
        ui_d_icon(f, kind, (float)(w / 2), (float)(h / 2), sz, down);
        SDL_SetRenderTarget(g->ren, NULL);
        g->in_target = false;
        if (clipped) SDL_RenderSetClipRect(g->ren, &clip);
        SDL_SetTextureBlendMode(tex, SDL_BLENDMODE_BLEND);
        g->icons[slot].key = key;
        g->icons[slot].tex = tex;
        g->icons[slot].w = w;
        g->icons[slot].h = h;
    }
    SDL_FRect dst = {floorf(cx) - (float)(g->icons[slot].w / 2),
                     floorf(cy) - (float)(g->icons[slot].h / 2), (float)g->icons[slot].w,
                     (float)g->icons[slot].h};
    SDL_RenderCopyF(g->ren, g->icons[slot].tex, NULL, &dst);
}

void ui_d_envelope(struct ui_frame *f, float x, float y, float w, float h, uint32_t fill)
{
    ui_p_mark(f->g, UI_BOX_ICON, x, y, w, h, "envelope");
    ui_p_fill(f->g, x, y, w, h, fill);
    ui_p_frame(f->g, x, y, w, h, ui_px(f, 2), 0x333333ffu);
    ui_p_line(f->g, x, y, x + w / 2, y + h * 0.55f, ui_px(f, 2), 0x333333ffu);
    ui_p_line(f->g, x + w, y, x + w / 2, y + h * 0.55f, ui_px(f, 2), 0x333333ffu);
}

/* ---- topology ------------------------------------------------------------------------------ */

static void ui_d_positions(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    SDL_FRect r = f->topo;
    float mx = ui_px(f, 140), mtop = ui_px(f, 84), mbot = ui_px(f, 110);
    if (mx > r.w / 4) mx = r.w / 4;
    float cx = r.x + r.w / 2, cy = r.y + r.h / 2;
    double z = f->v->topo_zoom > 0 ? f->v->topo_zoom : 1;
    for (size_t h = 0; h < m->nh; h++) {
        float x = r.x + mx + (float)m->hosts[h].x * (r.w - 2 * mx);
        float y = r.y + mtop + (float)m->hosts[h].y * (r.h - mtop - mbot);
        f->hx[h] = cx + (x - cx) * (float)z + (float)f->v->pan_x * f->s;
        f->hy[h] = cy + (y - cy) * (float)z + (float)f->v->pan_y * f->s;
    }
    float icon = ui_px(f, 64) * (float)(z < 0.5 ? 0.5 : z > 2 ? 2 : z);
    if (m->nh > 12) icon *= 0.6f;
    f->icon = icon;
}

static void ui_d_links(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    for (size_t l = 0; l < m->nl; l++) {
        const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
        if (lk->a >= m->nh || lk->b >= m->nh) continue;
        float x1 = f->hx[lk->a], y1 = f->hy[lk->a], x2 = f->hx[lk->b], y2 = f->hy[lk->b];
        bool down = f->st.link_down[l] || f->st.host_down[lk->a] || f->st.host_down[lk->b];
        if (f->st.link_down[l]) {
            ui_p_dashed(f->g, x1, y1, x2, y2, ui_px(f, 4), ui_px(f, 14), f->c->down);
            float mxp = (x1 + x2) / 2, myp = (y1 + y2) / 2, r = ui_px(f, 16);
            ui_p_line(f->g, mxp - r, myp - r, mxp + r, myp + r, ui_px(f, 6), UI_LOST);
            ui_p_line(f->g, mxp - r, myp + r, mxp + r, myp - r, ui_px(f, 6), UI_LOST);
            f->g->stats.links_down++;
        } else {
            ui_p_line(f->g, x1, y1, x2, y2, ui_px(f, 4), down ? f->c->down : f->c->link);
        }
        f->g->stats.links++;
        ui_p_seg(f->g, (unsigned)l, x1, y1, x2, y2);
        /* Click target: a box around the middle of the link. */
        float hw = ui_px(f, 26);
        struct ui_hit hit = {UI_HIT_LINK, (uint32_t)l, 0, 0};
        ui_p_hit(f->g, (x1 + x2) / 2 - hw, (y1 + y2) / 2 - hw, 2 * hw, 2 * hw, hit);
    }
}

/* Area shared by two rectangles. */
static float ui_overlap(SDL_FRect a, SDL_FRect b)
{
    float w = fminf(a.x + a.w, b.x + b.w) - fmaxf(a.x, b.x);
    float h = fminf(a.y + a.h, b.y + b.h) - fmaxf(a.y, b.y);
    return w > 0 && h > 0 ? w * h : 0;
}

/* Distance from (px, py) to the segment (x1, y1)-(x2, y2). */
static float ui_seg_dist(float px, float py, float x1, float y1, float x2, float y2)
{
    float dx = x2 - x1, dy = y2 - y1, len2 = dx * dx + dy * dy;
    float t = len2 > 0 ? ((px - x1) * dx + (py - y1) * dy) / len2 : 0;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    float ex = x1 + t * dx - px, ey = y1 + t * dy - py;
    return sqrtf(ex * ex + ey * ey);
}

/* What a latency plate at box costs: its area outside the panel, over a
 * host's icon or text (each on its own: the corner between an icon and a
 * wider text under it is free) and over the plates already placed, plus a whole
 * plate's area when its centre lies nearer another link than its own, or
 * about as near (it would read as that link's). 0: a clear place. */
static float ui_plate_cost(const struct ui_frame *f, size_t l, SDL_FRect box, SDL_FRect inner,
                           const SDL_FRect *placed, size_t np)
{
    const struct ui_model *m = f->m;
    float area = box.w * box.h;
    float cost = area - ui_overlap(box, inner);
    float sz = f->icon;
    for (size_t h = 0; h < m->nh; h++) {
        SDL_FRect icon = {f->hx[h] - sz * 0.6f, f->hy[h] - sz * 0.55f, sz * 1.2f, sz * 1.1f};
        cost += ui_overlap(box, icon) + ui_overlap(box, f->htext[h]);
    }
    for (size_t k = 0; k < np; k++) cost += ui_overlap(box, placed[k]);
    float cx = box.x + box.w / 2, cy = box.y + box.h / 2;
    const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
    float own = ui_seg_dist(cx, cy, f->hx[lk->a], f->hy[lk->a], f->hx[lk->b], f->hy[lk->b]);
    for (size_t o = 0; o < m->nl; o++) {
        const struct trace_link *ok = trace_link_get(m->tr, (uint32_t)o);
        if (o == l || ok->a >= m->nh || ok->b >= m->nh) continue;
        /* With a margin: the text's own centre is a little off the plate's. */
        float d = ui_seg_dist(cx, cy, f->hx[ok->a], f->hy[ok->a], f->hx[ok->b], f->hy[ok->b]);
        if (d <= own + ui_px(f, 6)) {
            cost += area;
            break;
        }
    }
    return cost;
}

/* Each link's latency, on a plate on or right beside its own link, drawn
 * after the hosts so that it is never hidden. The places tried: points
 * along the link (the middle first, then out from it, then a finer comb
 * from end to end), each on the line or beside it (half or a whole plate
 * off, either side; never farther, or the plate reads as another link's or
 * as nobody's). The first place that covers no host's icon or text, no
 * other plate and lies nearer its own link than any other wins, else the
 * one that covers least: with nothing clear the plate stays on its line,
 * whose background it hides, rather than wander off. */
static void ui_d_link_labels(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    if (m->nh > 12 || m->nl == 0) return;
    static const float along[] = {0.5f,  0.42f, 0.58f, 0.34f, 0.66f, 0.26f,
                                  0.74f, 0.2f,  0.8f,  0.14f, 0.86f};
    static const float side[] = {0.0f, 0.5f, -0.5f, 1.0f, -1.0f};
    SDL_FRect *placed = ms_xcalloc(m->nl, sizeof *placed);
    f->lab = placed; /* the frame frees it */
    SDL_FRect inner = {f->topo.x + ui_px(f, 2), f->topo.y + ui_px(f, 34), f->topo.w - ui_px(f, 4),
                       f->topo.h - ui_px(f, 36)};
    size_t np = 0;
    for (size_t l = 0; l < m->nl; l++) {
        const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
        if (lk->a >= m->nh || lk->b >= m->nh) continue;
        float x1 = f->hx[lk->a], y1 = f->hy[lk->a], x2 = f->hx[lk->b], y2 = f->hy[lk->b];
        char lat[32];
        double ms = (double)lk->latency_us / 1000.0;
        if (ms >= 1 && ms == floor(ms))
            snprintf(lat, sizeof lat, "%.0f ms", ms);
        else
            snprintf(lat, sizeof lat, "%.1f ms", ms);
        int tw, th;
        ui_p_text_size(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), lat, &tw, &th);
        float bw = (float)tw + ui_px(f, 12), bh = (float)th;
        /* The unit normal of the link, for "beside". */
        float dx = x2 - x1, dy = y2 - y1, len = sqrtf(dx * dx + dy * dy);
        float nx = len > 0 ? -dy / len : 0, ny = len > 0 ? dx / len : 1;
        float reach = 0.5f * fabsf(nx) * bw + 0.5f * fabsf(ny) * bh + ui_px(f, 4);
        SDL_FRect best = {x1 + dx / 2 - bw / 2, y1 + dy / 2 - bh / 2, bw, bh};
        float best_cost = INFINITY;
        size_t n_along = MS_ARRAY_LEN(along) + 19;
        /* Clear: under a square pixel (the panel's edge leaves rounding). */
        for (size_t i = 0; i < n_along && best_cost >= 1; i++) {
            float t =
                i < MS_ARRAY_LEN(along) ? along[i] : (float)(i - MS_ARRAY_LEN(along) + 1) / 20.0f;
            for (size_t j = 0; j < MS_ARRAY_LEN(side) && best_cost >= 1; j++) {
                float cx = x1 + dx * t + nx * side[j] * reach;
                float cy = y1 + dy * t + ny * side[j] * reach;
                SDL_FRect box = {cx - bw / 2, cy - bh / 2, bw, bh};
                float cost = ui_plate_cost(f, l, box, inner, placed, np);
                if (cost < best_cost) {
                    best_cost = cost;
                    best = box;
                }
            }
        }
        placed[np++] = best;
        f->n_lab = np;
        /* The worst label's covered share, in percent. */
        unsigned pct = (unsigned)(best_cost * 100 / (bw * bh));
        if (pct > f->g->stats.label_cover) f->g->stats.label_cover = pct;
        ui_p_rrect(f->g, best.x, best.y, bw, bh, ui_px(f, 6), f->c->panel2);
        f->g->link = (int)l + 1;
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, best.x + bw / 2, best.y,
                  UI_AL_CENTER, lat);
        f->g->link = 0;
    }
}

static void ui_grow(SDL_FRect *r, float x, float y, float w, float h)
{
    float x2 = r->x + r->w > x + w ? r->x + r->w : x + w;
    float y2 = r->y + r->h > y + h ? r->y + r->h : y + h;
    if (x < r->x) r->x = x;
    if (y < r->y) r->y = y;
    r->w = x2 - r->x;
    r->h = y2 - r->y;
}

/* The lines of text under (or over) a host: name, address, one per
 * mailbox, the queue. */
struct ui_hosttext {
    char line[8][160];
    enum ui_font font[8];
    uint32_t col[8];
    int w[8], h[8];
    int kind[8]; /* 0 plate, 1 mailbox (envelope before it), 2 queue (envelopes before it) */
    unsigned queue;
    int n;
    float width, height;
};

static void ui_host_add(struct ui_frame *f, struct ui_hosttext *t, enum ui_font font, uint32_t col,
                        int kind, const char *s)
{
    if (t->n >= 8) return;
    int i = t->n++;
    snprintf(t->line[i], sizeof t->line[i], "%s", s);
    t->font[i] = font;
    t->col[i] = col;
    t->kind[i] = kind;
    ui_p_text_size(f->g, font, ui_px(f, UI_PX_SMALL), s, &t->w[i], &t->h[i]);
    float w = (float)t->w[i] + ui_px(f, 8);
    if (kind == 1) w += ui_px(f, 34);
    if (kind == 2) w += (float)(t->queue > 5 ? 5 : t->queue) * ui_px(f, 38) + ui_px(f, 6);
    if (w > t->width) t->width = w;
    t->height += (float)t->h[i];
}

static void ui_host_text_r(struct ui_frame *f, size_t h, struct ui_hosttext *t, bool brief,
                           bool with_role)
{
    const struct ui_model *m = f->m;
    bool down = f->st.host_down[h];
    memset(t, 0, sizeof *t);
    ui_host_add(f, t, UI_F_BOLD, down ? f->c->dim : f->c->text, 0, m->hosts[h].name);
    /* What the host is in the e-mail system, from the scenario's typed kind
     * (the brief form, for a crowded panel, keeps the cards instead). */
    const char *role = m->nh <= 12 && !brief && with_role ? ui_host_role(m, h) : NULL;
    if (role) ui_host_add(f, t, UI_F_SANS, f->c->dim, 0, role);
    if (m->nh <= 12 && ((!f->compact && !brief) || down)) { /* else the inspector has it */
        char addr[64];
        snprintf(addr, sizeof addr, "%s%s", m->hosts[h].addr, down ? "  DOWN" : "");
        ui_host_add(f, t, UI_F_SANS, down ? UI_LOST : f->c->dim, 0, addr);
    }
    unsigned folders = 0, msgs = 0, unseen = 0;
    for (size_t i = 0; i < f->st.n_mb; i++) {
        const struct ui_mbox *b = &f->st.mb[i];
        if (b->host != h) continue;
        folders++;
        msgs += b->count;
        unseen += b->unseen;
    }
    if (brief && folders > 1) { /* no room for a line each: one for all */
        char line[160];
        snprintf(line, sizeof line, "%u folders: %u%s", folders, msgs, unseen ? " (new)" : "");
        ui_host_add(f, t, UI_F_SANS, f->c->text, 1, line);
        folders = 0;
    }
    for (size_t i = 0; folders && i < f->st.n_mb; i++) { /* one line per user folder */
        const struct ui_mbox *b = &f->st.mb[i];
        if (b->host != h) continue;
        char line[160], user[64];
        /* "bob" for bob@example.net: the host says where (the message view,
         * M, names the whole address). */
        snprintf(user, sizeof user, "%s", trace_str(m->tr, b->user));
        char *at = strchr(user, '@');
        if (at && at != user) *at = '\0';
        snprintf(line, sizeof line, "%s %s: %u%s", user, trace_str(m->tr, b->folder), b->count,
                 b->unseen ? " (new)" : "");
        ui_host_add(f, t, UI_F_SANS, f->c->text, 1, line);
        t->kind[t->n - 1] = b->count ? 1 : 3;
    }
    uint32_t q = f->st.q_len[h];
    if (q > 0) { /* the outgoing queue: a row of envelopes and the retry countdown */
        char qt[96], d[32];
        sim_us nr = f->st.q_next[h];
        ui_fmt_dur(nr - f->t, d, sizeof d);
        if (nr < 0)
            snprintf(qt, sizeof qt, "queue: %u", q);
        else if (nr > f->t)
            snprintf(qt, sizeof qt, "queue: %u, retry in %s", q, d);
        else
            snprintf(qt, sizeof qt, "queue: %u, retrying", q);
        t->queue = q;
        ui_host_add(f, t, UI_F_BOLD, f->c->text, 2, qt);
    }
}

static void ui_host_text(struct ui_frame *f, size_t h, struct ui_hosttext *t, bool brief)
{
    ui_host_text_r(f, h, t, brief, true);
}

/* Where the text block t of host h goes: the place that covers least
 * (0: nothing) of the icons and of the texts placed so far (placed[o].w > 0).
 * Returns that cost. */
static float ui_host_place(struct ui_frame *f, size_t h, const struct ui_hosttext *t,
                           const SDL_FRect *placed, SDL_FRect *out)
{
    const struct ui_model *m = f->m;
    float cx = f->hx[h], cy = f->hy[h], sz = f->icon;
    /* Candidates: below the icon (the usual place), above it, beside
         * it; each slid sideways in steps; kept inside the panel (under its
         * title). The first that covers nothing wins, nearest first; else
         * the one that covers least. */
    float px0 = f->topo.x + ui_px(f, 4), px1 = f->topo.x + f->topo.w - ui_px(f, 4);
    float py0 = f->topo.y + ui_px(f, 36), py1 = f->topo.y + f->topo.h - ui_px(f, 4);
    /* Slid at most so far that the text still touches its icon's column. */
    static const float slide[] = {0, 0.2f, -0.2f, 0.4f, -0.4f, 0.6f, -0.6f, 1, -1};
    float ys[7] = {cy + sz * 0.58f,
                   cy - sz * 0.6f - t->height,
                   cy - t->height / 2,
                   cy + sz * 0.9f,
                   cy - sz * 0.9f - t->height,
                   cy + sz * 1.2f,
                   cy - sz * 1.2f - t->height};
    SDL_FRect own = {cx - sz * 0.6f, cy - sz * 0.55f, sz * 1.2f, sz * 1.1f};
    float best = INFINITY;
    SDL_FRect at = {cx - t->width / 2, ys[0], t->width, t->height};
    for (size_t si = 0; si < MS_ARRAY_LEN(slide) && best > 0; si++) {
        for (int yi = 0; yi < 7 && best > 0; yi++) {
            float reach = fminf(t->width / 2, sz * 0.55f) + sz * 0.62f;
            float x = cx - t->width / 2 +
                      slide[si] * (slide[si] * slide[si] >= 1 ? t->width / 2 + sz * 0.62f : reach);
            if (yi == 2 && slide[si] > -0.99f && slide[si] < 0.99f) continue; /* on the icon */
            SDL_FRect c = {x, ys[yi], t->width, t->height};
            if (c.x + c.w > px1) c.x = px1 - c.w;
            if (c.x < px0) c.x = px0;
            if (c.y + c.h > py1) c.y = py1 - c.h;
            if (c.y < py0) c.y = py0;
            float cost = ui_overlap(c, own) + (float)si * 0.001f + (float)yi * 0.0001f;
            /* Room for each link's latency at its middle. */
            for (size_t l = 0; l < m->nl && m->nh <= 12; l++) {
                const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
                if (lk->a >= m->nh || lk->b >= m->nh) continue;
                float mx = (f->hx[lk->a] + f->hx[lk->b]) / 2;
                float my = (f->hy[lk->a] + f->hy[lk->b]) / 2;
                SDL_FRect lab = {mx - ui_px(f, 36), my - ui_px(f, 14), ui_px(f, 72), ui_px(f, 28)};
                cost += 0.5f * ui_overlap(c, lab);
            }
            for (size_t o = 0; o < m->nh; o++) {
                if (o == h) continue;
                SDL_FRect ic = {f->hx[o] - sz * 0.65f, f->hy[o] - sz * 0.6f, sz * 1.3f,
                                sz * 1.2f}; /* with a little air */
                SDL_FRect po = placed[o];
                float gap = ui_px(f, 8); /* a little air between hosts' texts */
                po.x -= gap;
                po.y -= gap;
                po.w += 2 * gap;
                po.h += 2 * gap;
                cost += ui_overlap(c, ic) + (placed[o].w > 0 ? ui_overlap(c, po) : 0);
            }
            if (cost < best) {
                best = cost;
                at = c;
            }
            if (best < 0.01f) best = 0;
        }
    }
    *out = at;
    return best;
}

/* Host h's text: placed where it covers least, losing first its role
 * caption, then its address and folder detail, then all but its name. */
static void ui_d_host_text(struct ui_frame *f, size_t h, SDL_FRect *placed)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    float px = ui_px(f, UI_PX_SMALL);
    struct ui_hosttext t;
    ui_host_text(f, h, &t, false);
    float cx = f->hx[h];
    SDL_FRect at = {cx - t.width / 2, f->hy[h] + f->icon * 0.58f, t.width, t.height};
    /* Many hosts (a big network draws names only): below, no search. */
    float cost = m->nh > 12 ? 0 : ui_host_place(f, h, &t, placed, &at);
    if (cost > 0) { /* crowded: without the role caption, then the brief form */
        struct ui_hosttext tb;
        SDL_FRect atb;
        ui_host_text_r(f, h, &tb, false, false);
        float cb = ui_host_place(f, h, &tb, placed, &atb);
        if (cb < cost) {
            t = tb;
            at = atb;
            cost = cb;
        }
    }
    if (cost > 0) { /* still crowded: the brief form, if it does better */
        struct ui_hosttext tb;
        SDL_FRect atb;
        ui_host_text_r(f, h, &tb, true, false); /* brief: no caption */
        float cb = ui_host_place(f, h, &tb, placed, &atb);
        if (cb < cost) {
            t = tb;
            at = atb;
            cost = cb;
        }
        if (cost > 0) { /* still no room: the name alone (M and P show the rest) */
            tb.n = 1;
            tb.width = (float)tb.w[0] + ui_px(f, 8);
            tb.height = (float)tb.h[0];
            cb = ui_host_place(f, h, &tb, placed, &atb);
            if (cb < cost) {
                t = tb;
                at = atb;
            }
        }
    }
    cx = at.x + at.w / 2; /* the text block's own centre */
    placed[h] = at;
    f->htext[h] = at;
    SDL_FRect *box = &f->hbox[h];
    ui_grow(box, at.x, at.y, at.w, at.h);
    float ty = at.y;
    for (int i = 0; i < t.n; i++) {
        float tw = (float)t.w[i];
        if (t.kind[i] == 0) {
            ui_p_rrect(g, cx - tw / 2 - ui_px(f, 4), ty, tw + ui_px(f, 8), (float)t.h[i],
                       ui_px(f, 4), f->c->panel);
            ui_p_text(g, t.font[i], px, t.col[i], cx, ty, UI_AL_CENTER, t.line[i]);
        } else if (t.kind[i] == 1 || t.kind[i] == 3) {
            float ew = ui_px(f, 26), eh = ui_px(f, 18);
            float lx = cx - (tw + ew + ui_px(f, 8)) / 2;
            ui_p_rrect(g, lx - ui_px(f, 4), ty, tw + ew + ui_px(f, 16), (float)t.h[i], ui_px(f, 4),
                       f->c->panel);
            ui_d_envelope(f, lx, ty + ((float)t.h[i] - eh) / 2, ew, eh,
                          t.kind[i] == 1 ? 0xf0e442ffu : 0xccccccffu);
            ui_p_text(g, t.font[i], px, t.col[i], lx + ew + ui_px(f, 8), ty, UI_AL_LEFT, t.line[i]);
            struct ui_hit eh_hit = {UI_HIT_ENVELOPE, (uint32_t)h, 0, 0};
            ui_p_hit(g, lx, ty, tw + ew + ui_px(f, 8), (float)t.h[i], eh_hit);
        } else {
            float ew = ui_px(f, 34), eh = ui_px(f, 22);
            unsigned shown = t.queue > 5 ? 5 : t.queue;
            float rowx = (float)shown * (ew + ui_px(f, 4)) + ui_px(f, 6);
            float qx = cx - (rowx + tw) / 2;
            ui_p_rrect(g, qx - ui_px(f, 4), ty, rowx + tw + ui_px(f, 8), (float)t.h[i], ui_px(f, 4),
                       f->c->panel);
            for (unsigned e = 0; e < shown; e++) {
                ui_d_envelope(f, qx + (float)e * (ew + ui_px(f, 4)), ty + ((float)t.h[i] - eh) / 2,
                              ew, eh, 0xf0e442ffu);
                g->stats.envelopes++;
            }
            ui_p_text(g, t.font[i], px, t.col[i], qx + rowx, ty, UI_AL_LEFT, t.line[i]);
            struct ui_hit qh = {UI_HIT_ENVELOPE, (uint32_t)h, 0, 0};
            ui_p_hit(g, qx, ty, rowx + tw, (float)t.h[i], qh);
        }
        ty += (float)t.h[i];
    }
}

/* Hosts: icons first, then each host's text below its icon, or above it
 * when below would cover an icon or text already placed (a host's text is
 * never drawn over another's). */
static void ui_d_hosts(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    for (size_t h = 0; h < m->nh; h++) {
        float cx = f->hx[h], cy = f->hy[h], sz = f->icon;
        bool down = f->st.host_down[h];
        f->hbox[h] = (SDL_FRect){cx - sz * 0.6f, cy - sz * 0.55f, sz * 1.2f, sz * 1.1f};
        ui_d_icon_cached(f, m->hosts[h].kind, cx, cy, sz, down);
        ui_p_mark(g, UI_BOX_ICON, cx - sz * 0.55f, cy - sz * 0.5f, sz * 1.1f, sz, m->hosts[h].name);
        struct ui_hit hit = {UI_HIT_HOST, (uint32_t)h, 0, 0};
        ui_p_hit(g, cx - sz * 0.6f, cy - sz * 0.6f, sz * 1.2f, sz * 1.2f, hit);
        g->stats.hosts++;
        g->stats.hosts_down += down;
    }
    /* Texts with mailbox or queue cards first: they need the most room,
     * and a router's or a PC's text can do with less. */
    SDL_FRect *placed = ms_xcalloc(m->nh + 1, sizeof *placed);
    for (int pass = 0; pass < 2; pass++) {
        for (size_t h = 0; h < m->nh; h++) {
            struct ui_hosttext t;
            ui_host_text(f, h, &t, false);
            bool cards = false;
            for (int i = 0; i < t.n; i++) cards |= t.kind[i] != 0;
            if (cards == (pass == 0)) ui_d_host_text(f, h, placed);
        }
    }
    free(placed);
}

struct ui_flight {
    size_t rec;
    float x, y;
    enum ui_proto proto;
    bool lost;
    float drop; /* 0..1 of the fall of a lost packet */
};

static void ui_d_packets(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    size_t k = f->v->step;
    if (k == 0) return;
    sim_us t = f->t;
    size_t i0 = trace_lower_bound(m->tr, t - m->max_flight - 1);
    if (k > UI_FLIGHT_SCAN && i0 < k - UI_FLIGHT_SCAN) i0 = k - UI_FLIGHT_SCAN;
    /* Lost packets stay visible for a moment after their record. */
    size_t l0 = k > 8 ? k - 8 : 0;
    if (l0 < i0) i0 = l0;
    static struct ui_flight fl[UI_MAX_FLIGHT];
    size_t nf = 0;
    for (size_t i = i0; i < k && nf < UI_MAX_FLIGHT; i++) {
        const struct trace_rec *r = trace_get(m->tr, i);
        enum trace_kind kind = (enum trace_kind)r->kind;
        bool lost = kind == TR_SEG_LOST || kind == TR_DGRAM_LOST;
        bool moving = kind == TR_SEG_SENT || kind == TR_SEG_RETRANS || kind == TR_SEG_FORWARD ||
                      kind == TR_DGRAM_SENT || kind == TR_DGRAM_FORWARD;
        if (!lost && !moving) continue;
        const struct trace_seg *s = trace_as_seg(r);
        if (s->hop_from >= m->nh || s->hop_to >= m->nh) continue;
        if (!f->v->tcp_detail && s->len == 0 && !(s->flags & NETEV_RST) && !lost &&
            kind < TR_DGRAM_SENT)
            continue;
        float x1 = f->hx[s->hop_from], y1 = f->hy[s->hop_from];
        float x2 = f->hx[s->hop_to], y2 = f->hy[s->hop_to];
        float dx = x2 - x1, dy = y2 - y1, len = sqrtf(dx * dx + dy * dy);
        if (len < 1) continue;
        float nx = -dy / len, ny = dx / len, off = ui_px(f, 10);
        struct ui_flight *p = &fl[nf];
        p->rec = i;
        p->proto = ui_seg_proto(r, s);
        p->lost = lost;
        if (lost) {
            size_t age = k - 1 - i;
            if (age >= 8 || t - r->t > 2 * SIM_US_PER_S) continue;
            double frac = 0.6;
            p->x = x1 + dx * (float)frac + nx * off;
            p->y = y1 + dy * (float)frac + ny * off;
            p->drop = (float)(((double)age + f->v->frac + 1) / 8.0);
            if (p->drop > 1) p->drop = 1;
            nf++;
            continue;
        }
        if (!(s->t_depart <= t && t < s->t_arrive)) continue;
        double frac = (double)(t - s->t_depart) / (double)(s->t_arrive - s->t_depart);
        p->x = x1 + dx * (float)frac + nx * off;
        p->y = y1 + dy * (float)frac + ny * off;
        p->drop = 0;
        nf++;
    }
    /* Shapes first (oldest below), then labels for the newest. */
    for (size_t j = 0; j < nf; j++) {
        struct ui_flight *p = &fl[j];
        const struct trace_seg *s = trace_as_seg(trace_get(m->tr, p->rec));
        float y = p->y + p->drop * ui_px(f, 70);
        float hw = ui_px(f, 13), hh = ui_px(f, 9);
        if (p->lost) {
            ui_p_octo(g, p->x - hw, y - hh, 2 * hw, 2 * hh, ui_px(f, 3), UI_LOST);
            ui_p_line(g, p->x - hw, y - hh, p->x + hw, y + hh, ui_px(f, 3), 0x000000ffu);
            ui_p_line(g, p->x - hw, y + hh, p->x + hw, y - hh, ui_px(f, 3), 0x000000ffu);
            g->stats.packets_lost++;
        } else if (s->len == 0) { /* control segment: small and plain */
            ui_p_octo(g, p->x - hh, y - hh, 2 * hh, 2 * hh, ui_px(f, 4), ui_proto_fill[UI_P_TCP]);
        } else {
            ui_p_octo(g, p->x - hw, y - hh, 2 * hw, 2 * hh, ui_px(f, 4), ui_proto_fill[p->proto]);
        }
        ui_p_mark(g, UI_BOX_PACKET, p->x - hw, y - hh, 2 * hw, 2 * hh, "packet");
        struct ui_hit hit = {UI_HIT_PACKET, 0, p->rec, 0};
        ui_p_hit(g, p->x - hw - 4, y - hh - 4, 2 * hw + 8, 2 * hh + 8, hit);
        g->stats.packets++;
    }
    unsigned labels = 0;
    SDL_FRect placed[UI_MAX_LABELS];
    /* The newest packets are tried, at most twice as many as get a label:
     * each try measures a text. */
    unsigned tries = 0;
    for (size_t j = nf; j-- > 0 && labels < UI_MAX_LABELS && tries < 2 * UI_MAX_LABELS;) {
        tries++;
        struct ui_flight *p = &fl[j];
        const struct trace_rec *r = trace_get(m->tr, p->rec);
        const struct trace_seg *s = trace_as_seg(r);
        size_t dlen;
        const uint8_t *data = trace_data(r, &dlen);
        char text[96], label[128];
        if (s->len == 0 || dlen == 0) {
            ui_flags_text(s->flags, text, sizeof text);
            if (r->kind >= TR_DGRAM_SENT) snprintf(text, sizeof text, "UDP");
        } else {
            ui_payload_text(m, p->rec, s, data, dlen, text, 26);
        }
        float y = p->y + p->drop * ui_px(f, 70);
        if (p->lost) {
            snprintf(label, sizeof label, "LOST: %s", text);
        } else if (s->len == 0) {
            snprintf(label, sizeof label, "%s", text);
        } else {
            snprintf(label, sizeof label, "%s %s %s", ui_proto_shape[p->proto],
                     ui_proto_names[p->proto], text);
        }
        int tw, th;
        ui_p_text_size(g, UI_F_SANS, ui_px(f, UI_PX_LABEL), label, &tw, &th);
        float lx = p->x - (float)tw / 2 - ui_px(f, 6), ly = y - ui_px(f, 14) - (float)th;
        float lw = (float)tw + ui_px(f, 12);
        /* Keep the label inside the network panel: near its edge, a label
         * centred on the packet would be cut off. */
        float px0 = f->topo.x + ui_px(f, 4), px1 = f->topo.x + f->topo.w - ui_px(f, 4);
        if (lx + lw > px1) lx = px1 - lw;
        if (lx < px0) lx = px0;
        /* A clear place: above the packet, higher, or below it; newer labels
         * are placed first. Hosts, their text, link labels and the labels
         * already placed are in the way; the panel's edges too. */
        static const float rows[] = {0, -1, 1.6f, -2, 2.6f, -3, 3.6f};
        float best_ly = ly, best_cost = INFINITY;
        float top = f->topo.y + ui_px(f, 34), bot = f->topo.y + f->topo.h - (float)th - 2;
        for (size_t ri = 0; ri < MS_ARRAY_LEN(rows) && best_cost > 0; ri++) {
            float cy = ly + rows[ri] * ((float)th + ui_px(f, 4));
            if (rows[ri] > 0) cy = y + ui_px(f, 14) + (rows[ri] - 1.6f) * ((float)th + ui_px(f, 4));
            if (cy < top || cy > bot) continue;
            SDL_FRect cand = {lx, cy, lw, (float)th};
            float cost = 0;
            for (size_t h = 0; h < m->nh; h++) cost += ui_overlap(cand, f->hbox[h]);
            for (size_t q = 0; q < f->n_lab; q++) cost += ui_overlap(cand, f->lab[q]);
            for (unsigned q = 0; q < labels; q++) cost += ui_overlap(cand, placed[q]);
            if (cost < best_cost) {
                best_cost = cost;
                best_ly = cy;
            }
        }
        if (best_cost > 0) continue; /* no clear place: the shape alone says enough */
        ly = best_ly;
        placed[labels] = (SDL_FRect){lx, ly, lw, (float)th};
        uint32_t bg = p->lost ? UI_LOST : s->len ? ui_proto_fill[p->proto] : f->c->panel2;
        uint32_t ink = p->lost ? 0x000000ffu : s->len ? ui_proto_ink[p->proto] : f->c->text;
        ui_p_rrect(g, lx, ly, (float)tw + ui_px(f, 12), (float)th, ui_px(f, 6), bg);
        g->role = "packet";
        ui_p_text(g, UI_F_SANS, ui_px(f, UI_PX_LABEL), ink, lx + lw / 2, ly, UI_AL_CENTER, label);
        g->role = "net";
        labels++;
    }
    g->stats.labels = labels;
}

void ui_d_topology(struct ui_frame *f)
{
    SDL_FRect r = f->topo;
    ui_p_fill(f->g, r.x, r.y, r.w, r.h, f->c->panel);
    ui_p_clip(f->g, r.x, r.y, r.w, r.h);
    ui_d_positions(f);
    ui_d_links(f);
    ui_d_hosts(f);
    ui_d_link_labels(f);
    ui_d_packets(f);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, r.x + ui_px(f, 14),
              r.y + ui_px(f, 6), UI_AL_LEFT, "Network");
    ui_p_noclip(f->g);
}
