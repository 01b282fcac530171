/* ui_draw.c -- one frame: a pure function of (trace, scenario, view).
 *
 * Layout at 1920x1080 (fractions of the frame, so any size works): status
 * bar on top; topology (left) and sequence diagram (right); dialogue (left)
 * and the current event with the legend (right); the narration bar; the
 * timeline at the bottom. Text is never smaller than 18 px at 1080 lines and
 * zoom 1. Colours are Okabe-Ito (colour-blind safe); every protocol also has
 * its own shape and its name in the label, so colour is never the only cue. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

struct ui_colors {
    uint32_t bg, panel, panel2, text, dim, grid, hi_bg, hi_text, link, down, body, dark, screen,
        client, server, backdrop;
};

static const struct ui_colors ui_dark = {
    0x15171cff, 0x1f222aff, 0x2a2e38ff, 0xf2f2f2ff, 0xb4b9c2ff, 0x4a505cff, 0x6a5c00ff, 0xffffffff,
    0x8a93a3ff, 0x6b6b6bff, 0xc9ced6ff, 0x3b4250ff, 0x56b4e9ff, 0x56b4e9ff, 0xe69f00ff, 0x000000c0,
};
static const struct ui_colors ui_light = {
    0xf4f4f0ff, 0xffffffff, 0xe9e9e4ff, 0x111111ff, 0x4a4a4aff, 0xb8b8b8ff, 0xffe680ff, 0x000000ff,
    0x6f7785ff, 0x9a9a9aff, 0xd5d9e0ff, 0x3b4250ff, 0x56b4e9ff, 0x0072b2ff, 0xa35f00ff, 0x00000080,
};

/* Okabe-Ito: TCP grey, SMTP blue, POP3 orange, IMAP bluish green, HTTP
 * reddish purple, DNS yellow; LOST vermilion. */
static const uint32_t ui_proto_fill[UI_P_COUNT] = {0x9aa0a6ff, 0x0072b2ff, 0xe69f00ff,
                                                   0x009e73ff, 0xcc79a7ff, 0xf0e442ff};
static const uint32_t ui_proto_ink[UI_P_COUNT] = {0x000000ff, 0xffffffff, 0x000000ff,
                                                  0x000000ff, 0x000000ff, 0x000000ff};
static const char *const ui_proto_shape[UI_P_COUNT] = {
    "\xc2\xb7", "\xe2\x96\xa0", "\xe2\x97\x8f", "\xe2\x96\xb2", "\xe2\x97\x86", "\xe2\x98\x85"};
#define UI_LOST 0xd55e00ffu

/* Labels on packets in flight: the newest this many (more would be noise). */
#define UI_MAX_LABELS 40
#define UI_MAX_FLIGHT 4096
/* Look back at most this many records for packets still in the air. */
#define UI_FLIGHT_SCAN 200000

struct ui_frame {
    struct ui_gfx *g;
    const struct ui_model *m;
    const struct ui_view *v;
    const struct ui_colors *c;
    struct ui_state st;
    float s; /* text and icon scale: 1.0 at 1080 lines, zoom 1 */
    float W, H;
    sim_us t;
    SDL_FRect status, topo, seq, dia, evp, nar, tl;
    SDL_FRect pinr; /* pinned mailboxes and queues (issue 9); w 0 when none */
    float *hx, *hy; /* host centres on screen */
    SDL_FRect *hbox; /* each host's icon and the text under it, as drawn */
    float icon;     /* icon size */
};

static float ui_px(const struct ui_frame *f, float base)
{
    return base * f->s;
}

/* First line of p as printable ASCII, at most max - 1 bytes with "..." when
 * cut (out holds at least max bytes, max >= 8). */
static void ui_first_line(const uint8_t *p, size_t len, char *out, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < len && p[i] != '\r' && p[i] != '\n'; i++) {
        if (o + 4 >= max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        out[o++] = p[i] == '\t' ? ' ' : (p[i] >= 32 && p[i] < 127) ? (char)p[i] : '.';
    }
    out[o] = '\0';
}

static void ui_fmt_clock(sim_us t, char *buf, size_t len)
{
    long long day = (long long)(t / SIM_US_PER_DAY) + 1;
    long long r = (long long)(t % SIM_US_PER_DAY);
    snprintf(buf, len, "Day %lld  %02lld:%02lld:%02lld.%03lld", day, r / 3600000000LL,
             r / 60000000LL % 60, r / 1000000LL % 60, r / 1000LL % 1000);
}

static void ui_fmt_dur(sim_us d, char *buf, size_t len)
{
    if (d < 0) d = 0;
    long long s = (long long)(d / SIM_US_PER_S);
    if (s >= 86400)
        snprintf(buf, len, "%lldd %lldh", s / 86400, s / 3600 % 24);
    else if (s >= 3600)
        snprintf(buf, len, "%lld:%02lld:%02lld", s / 3600, s / 60 % 60, s % 60);
    else
        snprintf(buf, len, "%lld:%02lld", s / 60, s % 60);
}

static void ui_fmt_gap(sim_us d, char *buf, size_t len)
{
    long long s = (long long)(d / SIM_US_PER_S);
    if (s >= 2 * 86400)
        snprintf(buf, len, "%lld days later", s / 86400);
    else if (s >= 2 * 3600)
        snprintf(buf, len, "%lld h later", s / 3600);
    else if (s >= 120)
        snprintf(buf, len, "%lld min later", (s + 30) / 60);
    else
        snprintf(buf, len, "%lld s later", s);
}

static enum ui_proto ui_seg_proto(const struct trace_rec *r, const struct trace_seg *s)
{
    if (r->kind >= TR_DGRAM_SENT && r->kind <= TR_DGRAM_LOST) return UI_P_DNS;
    return ui_proto_of_ports(s->sport, s->dport);
}

/* A DNS message (RFC 1035 §4.1) in a few words: "MX? example.net" for a
 * query, "answer example.net" for a response; "" when it does not parse. */
static void ui_dns_text(const uint8_t *p, size_t len, char *out, size_t max)
{
    out[0] = '\0';
    if (len < 17 || max < 16) return;
    char name[128];
    size_t o = 0, i = 12;
    while (i < len && p[i] != 0) {
        size_t l = p[i++];
        if (l > 63 || i + l > len || o + l + 2 > sizeof name) return;
        if (o) name[o++] = '.';
        for (size_t j = 0; j < l; j++)
            name[o++] = (p[i + j] > 32 && p[i + j] < 127) ? (char)p[i + j] : '?';
        i += l;
    }
    name[o] = '\0';
    if (i + 3 > len) return;
    unsigned qtype = (unsigned)p[i + 1] << 8 | p[i + 2];
    const char *t = qtype == 15 ? "MX" : qtype == 1 ? "A" : qtype == 28 ? "AAAA" : "?";
    char tmp[160];
    if (p[2] & 0x80)
        snprintf(tmp, sizeof tmp, "%s answer %s", t, name);
    else
        snprintf(tmp, sizeof tmp, "%s? %s", t, name);
    size_t n = strlen(tmp);
    n = n < max - 1 ? n : max - 1;
    memcpy(out, tmp, n);
    out[n] = '\0';
}

/* The words a packet is labelled with: its first line, or for DNS the
 * question. */
static void ui_payload_text(const struct trace_rec *r, const struct trace_seg *s,
                            const uint8_t *data, size_t dlen, char *out, size_t max)
{
    if ((s->sport == 53 || s->dport == 53) && r->kind >= TR_DGRAM_SENT) {
        ui_dns_text(data, dlen, out, max);
        if (out[0]) return;
    }
    ui_first_line(data, dlen, out, max);
}

static void ui_flags_text(uint8_t fl, char *buf, size_t len)
{
    buf[0] = '\0';
    static const struct {
        uint8_t bit;
        const char *name;
    } names[] = {{NETEV_SYN, "SYN"},
                 {NETEV_FIN, "FIN"},
                 {NETEV_RST, "RST"},
                 {NETEV_PSH, "PSH"},
                 {NETEV_ACK, "ACK"}};
    for (size_t i = 0; i < MS_ARRAY_LEN(names); i++) {
        if (!(fl & names[i].bit)) continue;
        size_t o = strlen(buf);
        snprintf(buf + o, len - o, "%s%s", o ? "+" : "", names[i].name);
    }
}

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
    int key =
        1 + ((int)kind | (down ? 16 : 0) | (f->v->theme == UI_THEME_LIGHT ? 32 : 0) | (isz << 6));
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

static void ui_d_envelope(struct ui_frame *f, float x, float y, float w, float h, uint32_t fill)
{
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
    float mx = ui_px(f, 120), mtop = ui_px(f, 64), mbot = ui_px(f, 120);
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

/* Each link's latency, on a plate on or beside the link, drawn after the
 * hosts so that it is never hidden: of the points along the link (the
 * middle first, then out from it), on the line or half a plate to either
 * side, the first that covers no host's icon or text and no other link's
 * label, else the one that covers least (the queue line under a server
 * used to hide its link's "20 ms", or the other way round). */
static void ui_d_link_labels(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    if (m->nh > 12 || m->nl == 0) return;
    static const float along[] = {0.5f, 0.42f, 0.58f, 0.34f, 0.66f, 0.26f, 0.74f};
    static const float side[] = {0.0f, 1.0f, -1.0f, 2.0f, -2.0f};
    SDL_FRect *placed = ms_xcalloc(m->nl, sizeof *placed);
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
        ui_p_text_size(f->g, UI_F_SANS, ui_px(f, 18), lat, &tw, &th);
        float bw = (float)tw + ui_px(f, 12), bh = (float)th;
        /* The unit normal of the link, for "beside". */
        float dx = x2 - x1, dy = y2 - y1, len = sqrtf(dx * dx + dy * dy);
        float nx = len > 0 ? -dy / len : 0, ny = len > 0 ? dx / len : 1;
        float reach = 0.5f * fabsf(nx) * bw + 0.5f * fabsf(ny) * bh + ui_px(f, 4);
        SDL_FRect best = {0, 0, bw, bh};
        float best_cost = INFINITY;
        for (size_t i = 0; i < MS_ARRAY_LEN(along) && best_cost > 0; i++) {
            for (size_t j = 0; j < MS_ARRAY_LEN(side) && best_cost > 0; j++) {
                float cx = x1 + dx * along[i] + nx * side[j] * reach;
                float cy = y1 + dy * along[i] + ny * side[j] * reach;
                SDL_FRect box = {cx - bw / 2, cy - bh / 2, bw, bh};
                float cost = 0;
                for (size_t h = 0; h < m->nh; h++) cost += ui_overlap(box, f->hbox[h]);
                for (size_t k = 0; k < np; k++) cost += ui_overlap(box, placed[k]);
                if (cost < best_cost) {
                    best_cost = cost;
                    best = box;
                }
            }
        }
        placed[np++] = best;
        /* The worst label's covered share, in percent. */
        unsigned pct = (unsigned)(best_cost * 100 / (bw * bh));
        if (pct > f->g->stats.label_cover) f->g->stats.label_cover = pct;
        ui_p_rrect(f->g, best.x, best.y, bw, bh, ui_px(f, 6), f->c->panel2);
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 18), f->c->dim, best.x + bw / 2, best.y, UI_AL_CENTER,
                  lat);
    }
    free(placed);
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

static void ui_d_plate(struct ui_frame *f, enum ui_font font, float px, uint32_t col, float cx,
                       float y, const char *text, SDL_FRect *box)
{
    int tw, th;
    ui_p_text_size(f->g, font, px, text, &tw, &th);
    ui_grow(box, cx - (float)tw / 2 - ui_px(f, 4), y, (float)tw + ui_px(f, 8), (float)th);
    ui_p_rrect(f->g, cx - (float)tw / 2 - ui_px(f, 4), y, (float)tw + ui_px(f, 8), (float)th,
               ui_px(f, 4), f->c->panel);
    ui_p_text(f->g, font, px, col, cx, y, UI_AL_CENTER, text);
}

static void ui_d_hosts(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    bool small = m->nh > 12;
    for (size_t h = 0; h < m->nh; h++) {
        float cx = f->hx[h], cy = f->hy[h], sz = f->icon;
        bool down = f->st.host_down[h];
        SDL_FRect *box = &f->hbox[h];
        *box = (SDL_FRect){cx - sz * 0.6f, cy - sz * 0.6f, sz * 1.2f, sz * 1.2f};
        ui_d_icon_cached(f, m->hosts[h].kind, cx, cy, sz, down);
        struct ui_hit hit = {UI_HIT_HOST, (uint32_t)h, 0, 0};
        ui_p_hit(g, cx - sz * 0.6f, cy - sz * 0.6f, sz * 1.2f, sz * 1.2f, hit);
        g->stats.hosts++;
        g->stats.hosts_down += down;
        float ty = cy + sz * 0.62f;
        ui_d_plate(f, UI_F_BOLD, ui_px(f, small ? 18 : 22), down ? f->c->dim : f->c->text, cx, ty,
                   m->hosts[h].name, box);
        ty += ui_px(f, small ? 22 : 28);
        if (!small) {
            char addr[64];
            snprintf(addr, sizeof addr, "%s%s", m->hosts[h].addr, down ? "  DOWN" : "");
            ui_d_plate(f, UI_F_SANS, ui_px(f, 18), down ? UI_LOST : f->c->dim, cx, ty, addr, box);
            ty += ui_px(f, 24);
        }
        /* Mailboxes: one line per user folder. */
        for (size_t i = 0; i < f->st.n_mb; i++) {
            const struct ui_mbox *b = &f->st.mb[i];
            if (b->host != h) continue;
            char line[160];
            snprintf(line, sizeof line, "%s %s: %u%s", trace_str(m->tr, b->user),
                     trace_str(m->tr, b->folder), b->count, b->unseen ? " (new)" : "");
            float ew = ui_px(f, 26), eh = ui_px(f, 18);
            int tw, th;
            ui_p_text_size(g, UI_F_SANS, ui_px(f, 18), line, &tw, &th);
            float lx = cx - ((float)tw + ew + ui_px(f, 8)) / 2;
            ui_d_envelope(f, lx, ty + ui_px(f, 3), ew, eh, b->count ? 0xf0e442ffu : 0xccccccffu);
            ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->text, lx + ew + ui_px(f, 8), ty, UI_AL_LEFT,
                      line);
            struct ui_hit eh_hit = {UI_HIT_ENVELOPE, (uint32_t)h, 0, 0};
            ui_p_hit(g, lx, ty, (float)tw + ew + ui_px(f, 8), (float)th, eh_hit);
            ui_grow(box, lx, ty, (float)tw + ew + ui_px(f, 8), (float)th);
            ty += ui_px(f, 24);
        }
        /* Outgoing queue: a row of envelopes and the retry countdown. */
        uint32_t q = f->st.q_len[h];
        if (q > 0) {
            float ew = ui_px(f, 34), eh = ui_px(f, 22);
            unsigned shown = q > 5 ? 5 : q;
            char qt[96], d[32];
            sim_us nr = f->st.q_next[h];
            ui_fmt_dur(nr - f->t, d, sizeof d);
            if (nr < 0)
                snprintf(qt, sizeof qt, "queue: %u", q);
            else if (nr > f->t)
                snprintf(qt, sizeof qt, "queue: %u, retry in %s", q, d);
            else
                snprintf(qt, sizeof qt, "queue: %u, retrying", q);
            int tw, th;
            ui_p_text_size(g, UI_F_BOLD, ui_px(f, 18), qt, &tw, &th);
            float rowx = (float)shown * (ew + ui_px(f, 4)) + ui_px(f, 6);
            float qx = cx - (rowx + (float)tw) / 2, qy = ty + ui_px(f, 2);
            ui_p_rrect(g, qx - ui_px(f, 4), qy - ui_px(f, 2), rowx + (float)tw + ui_px(f, 8),
                       (float)th + ui_px(f, 2), ui_px(f, 4), f->c->panel);
            for (unsigned i = 0; i < shown; i++) {
                ui_d_envelope(f, qx + (float)i * (ew + ui_px(f, 4)), qy, ew, eh, 0xf0e442ffu);
                g->stats.envelopes++;
            }
            ui_p_text(g, UI_F_BOLD, ui_px(f, 18), f->c->text, qx + rowx, qy, UI_AL_LEFT, qt);
            struct ui_hit qh = {UI_HIT_ENVELOPE, (uint32_t)h, 0, 0};
            ui_p_hit(g, qx, qy, rowx + (float)tw, eh, qh);
            ui_grow(box, qx - ui_px(f, 4), qy - ui_px(f, 2), rowx + (float)tw + ui_px(f, 8),
                    (float)th + ui_px(f, 2));
        }
    }
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
        struct ui_hit hit = {UI_HIT_PACKET, 0, p->rec, 0};
        ui_p_hit(g, p->x - hw - 4, y - hh - 4, 2 * hw + 8, 2 * hh + 8, hit);
        g->stats.packets++;
    }
    unsigned labels = 0;
    SDL_FRect placed[UI_MAX_LABELS];
    for (size_t j = nf; j-- > 0 && labels < UI_MAX_LABELS;) {
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
            ui_payload_text(r, s, data, dlen, text, 34);
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
        ui_p_text_size(g, UI_F_SANS, ui_px(f, 18), label, &tw, &th);
        float lx = p->x - (float)tw / 2 - ui_px(f, 6), ly = y - ui_px(f, 14) - (float)th;
        float lw = (float)tw + ui_px(f, 12);
        /* Keep the label inside the network panel: near its edge, a label
         * centred on the packet would be cut off. */
        float px0 = f->topo.x + ui_px(f, 4), px1 = f->topo.x + f->topo.w - ui_px(f, 4);
        if (lx + lw > px1) lx = px1 - lw;
        if (lx < px0) lx = px0;
        /* Newer labels stay put; an older one that would cover one moves up. */
        for (int tries = 0; tries < 4; tries++) {
            bool hit = false;
            for (unsigned q = 0; q < labels && !hit; q++)
                hit = lx < placed[q].x + placed[q].w && placed[q].x < lx + lw &&
                      ly < placed[q].y + placed[q].h && placed[q].y < ly + (float)th;
            if (!hit) break;
            ly -= (float)th + ui_px(f, 2);
        }
        placed[labels] = (SDL_FRect){lx, ly, lw, (float)th};
        uint32_t bg = p->lost ? UI_LOST : s->len ? ui_proto_fill[p->proto] : f->c->panel2;
        uint32_t ink = p->lost ? 0x000000ffu : s->len ? ui_proto_ink[p->proto] : f->c->text;
        ui_p_rrect(g, lx, ly, (float)tw + ui_px(f, 12), (float)th, ui_px(f, 6), bg);
        ui_p_text(g, UI_F_SANS, ui_px(f, 18), ink, lx + lw / 2, ly, UI_AL_CENTER, label);
        labels++;
    }
    g->stats.labels = labels;
}

static void ui_d_topology(struct ui_frame *f)
{
    SDL_FRect r = f->topo;
    ui_p_fill(f->g, r.x, r.y, r.w, r.h, f->c->panel);
    ui_p_clip(f->g, r.x, r.y, r.w, r.h);
    ui_d_positions(f);
    ui_d_links(f);
    ui_d_hosts(f);
    ui_d_link_labels(f);
    ui_d_packets(f);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, "Network");
    ui_p_noclip(f->g);
}

/* ---- sequence diagram ------------------------------------------------------------------- */

static void ui_d_seq(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->seq;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel2);
    ui_p_clip(g, r.x, r.y, r.w, r.h);
    ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, "Sequence diagram");
    if (m->n_cols == 0) {
        ui_p_noclip(g);
        return;
    }
    float head = ui_px(f, 92), pad = ui_px(f, 80);
    for (size_t c = 0; c<m->n_cols; c += m->n_cols - 1> 0 ? m->n_cols - 1 : 1) {
        int tw, th; /* the outer names must fit */
        ui_p_text_size(g, UI_F_BOLD, ui_px(f, 18), m->hosts[m->col_host[c]].name, &tw, &th);
        if ((float)tw / 2 + ui_px(f, 10) > pad) pad = (float)tw / 2 + ui_px(f, 10);
    }
    float colw = m->n_cols > 1 ? (r.w - 2 * pad) / (float)(m->n_cols - 1) : 0;
    float *colx = ms_xmalloc(m->n_cols * sizeof *colx);
    for (size_t c = 0; c < m->n_cols; c++) {
        colx[c] = m->n_cols > 1 ? r.x + pad + colw * (float)c : r.x + r.w / 2;
        ui_p_line(g, colx[c], r.y + head, colx[c], r.y + r.h, ui_px(f, 2), f->c->grid);
        const char *name = m->hosts[m->col_host[c]].name;
        char shortname[24];
        snprintf(shortname, sizeof shortname, "%s", name);
        if (m->n_cols > 8) shortname[8] = '\0';
        int tw, th;
        ui_p_text_size(g, UI_F_BOLD, ui_px(f, 18), shortname, &tw, &th);
        bool crowded = colw > 0 && colw < (float)tw + ui_px(f, 12);
        ui_p_text(g, UI_F_BOLD, ui_px(f, 18), f->c->text, colx[c],
                  r.y + ui_px(f, 36) + (crowded && c % 2 ? ui_px(f, 24) : 0), UI_AL_CENTER,
                  shortname);
    }
    const size_t *rows = f->v->tcp_detail ? m->rows_tcp : m->rows;
    size_t nrows = f->v->tcp_detail ? m->n_rows_tcp : m->n_rows;
    size_t p = ui_lower(rows, nrows, f->v->step); /* rows before the step */
    float rowh = ui_px(f, 36);
    size_t vis = (size_t)((r.h - head - ui_px(f, 8)) / rowh);
    size_t first = p > vis ? p - vis : 0;
    for (size_t i = first; i < p; i++) {
        size_t rec = rows[i];
        const struct trace_rec *tr = trace_get(m->tr, rec);
        uint32_t from, to;
        char text[96], label[128];
        enum ui_proto proto;
        bool lost = false;
        const struct trace_line *l = trace_as_line(tr);
        const struct trace_seg *s = trace_as_seg(tr);
        size_t dlen;
        const uint8_t *data = trace_data(tr, &dlen);
        if (l) {
            from = l->host;
            to = l->peer;
            proto = ui_proto_of_name(trace_str(m->tr, l->proto));
            ui_first_line(data, dlen, text, 40);
            snprintf(label, sizeof label, "%s", text);
        } else if (s) {
            from = s->src;
            to = s->dst;
            proto = ui_seg_proto(tr, s);
            lost = tr->kind == TR_SEG_LOST || tr->kind == TR_DGRAM_LOST;
            if (s->len && dlen) {
                ui_payload_text(tr, s, data, dlen, text, 34);
            } else {
                ui_flags_text(s->flags, text, sizeof text);
                if (proto != UI_P_DNS) proto = UI_P_TCP;
            }
            snprintf(label, sizeof label, "%s%s", lost ? "LOST " : "", text);
        } else {
            continue;
        }
        if (from >= m->nh || to >= m->nh || m->column[from] < 0 || m->column[to] < 0) continue;
        float y = r.y + head + rowh * (float)(i - first) + rowh * 0.72f;
        float x1 = colx[m->column[from]], x2 = colx[m->column[to]];
        bool current = i + 1 == p;
        if (current) {
            ui_p_fill(g, r.x, y - rowh * 0.72f, r.w, rowh, f->c->hi_bg);
            g->stats.arrows += 0;
        }
        uint32_t col = lost ? UI_LOST : ui_proto_fill[proto];
        if (proto == UI_P_TCP && !lost) col = f->c->dim;
        float dir = x2 >= x1 ? 1.0f : -1.0f, ah = ui_px(f, 12);
        if (lost) {
            float xm = x1 + (x2 - x1) * 0.6f;
            ui_p_line(g, x1, y, xm, y, ui_px(f, 3), col);
            ui_p_line(g, xm - 9, y - 9, xm + 9, y + 9, ui_px(f, 3), col);
            ui_p_line(g, xm - 9, y + 9, xm + 9, y - 9, ui_px(f, 3), col);
        } else {
            ui_p_line(g, x1, y, x2 - dir * ah, y, ui_px(f, current ? 4 : 3), col);
            ui_p_tri(g, x2, y, x2 - dir * ah, y - ah * 0.6f, x2 - dir * ah, y + ah * 0.6f, col);
        }
        float lx = (x1 + x2) / 2;
        char full[160];
        snprintf(full, sizeof full, "%s%s%s", l || s->len ? ui_proto_shape[proto] : "",
                 l || s->len ? " " : "", label);
        int tw, th;
        enum ui_font font = current ? UI_F_BOLD : UI_F_SANS;
        ui_p_text_size(g, font, ui_px(f, 18), full, &tw, &th);
        float tx = lx - (float)tw / 2;
        if (tx + (float)tw > r.x + r.w - ui_px(f, 8)) tx = r.x + r.w - ui_px(f, 8) - (float)tw;
        if (tx < r.x + ui_px(f, 8)) tx = r.x + ui_px(f, 8);
        ui_p_text(g, font, ui_px(f, 18), current ? f->c->hi_text : f->c->text, tx, y - ui_px(f, 25),
                  UI_AL_LEFT, full);
        struct ui_hit hit = {UI_HIT_ARROW, 0, rec, 0};
        ui_p_hit(g, r.x, y - rowh * 0.72f, r.w, rowh, hit);
        g->stats.arrows++;
    }
    free(colx);
    ui_p_noclip(g);
}

/* ---- dialogue ------------------------------------------------------------------------------ */

static void ui_d_dialogue(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->dia;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel2);
    ui_p_clip(g, r.x, r.y, r.w, r.h);
    uint32_t conn = f->v->conn;
    if (conn == 0 && f->st.last_line)
        conn = trace_as_line(trace_get(m->tr, f->st.last_line - 1))->conn;
    if (conn == 0 || conn >= m->n_conns || m->conn_off[conn] == m->conn_off[conn + 1]) {
        ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
                  UI_AL_LEFT, "Dialogue: no protocol line yet");
        ui_p_noclip(g);
        return;
    }
    const size_t *lines = m->conn_lines + m->conn_off[conn];
    size_t nl = m->conn_off[conn + 1] - m->conn_off[conn];
    size_t upto = ui_lower(lines, nl, f->v->step); /* lines already sent */
    const struct trace_line *l0 = trace_as_line(trace_get(m->tr, lines[0]));
    const char *proto = trace_str(m->tr, l0->proto);
    uint32_t client = l0->side == 'C' ? l0->host : l0->peer;
    uint32_t server = l0->side == 'C' ? l0->peer : l0->host;
    /* Engine states: the latest line record of this connection per side. */
    const char *cstate = NULL, *sstate = NULL;
    size_t stop = f->v->step > 20000 ? f->v->step - 20000 : 0;
    for (size_t i = f->v->step; i-- > stop && (!cstate || !sstate);) {
        const struct trace_line *l = trace_as_line(trace_get(m->tr, i));
        if (!l || l->conn != conn) continue;
        bool client_engine = l->host == client;
        const char *st = trace_str(m->tr, l->state_after);
        if (client_engine && !cstate) cstate = st;
        if (!client_engine && !sstate) sstate = st;
    }
    char head[256];
    snprintf(head, sizeof head, "Dialogue  %s %s   C: %s   S: %s   (connection %u%s)",
             ui_proto_shape[ui_proto_of_name(proto)], proto, trace_host_name(m->tr, client),
             trace_host_name(m->tr, server), conn, f->v->conn ? ", chosen: C for the next" : "");
    ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->text, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, head);
    char st[256];
    snprintf(st, sizeof st, "%s server: %s      client: %s", proto, sstate ? sstate : "-",
             cstate ? cstate : "-");
    float sy = r.y + r.h - ui_px(f, 34);
    ui_p_fill(g, r.x, sy - ui_px(f, 4), r.w, ui_px(f, 38), f->c->panel);
    ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->server, r.x + ui_px(f, 14), sy, UI_AL_LEFT, st);
    float lh = ui_px(f, 27), top = r.y + ui_px(f, 40);
    size_t vis = (size_t)((sy - ui_px(f, 6) - top) / lh);
    size_t first = upto > vis ? upto - vis : 0;
    for (size_t i = first; i < upto; i++) {
        const struct trace_rec *tr = trace_get(m->tr, lines[i]);
        const struct trace_line *l = trace_as_line(tr);
        size_t dlen;
        const uint8_t *data = trace_data(tr, &dlen);
        char text[200], line[220];
        ui_first_line(data, dlen, text, 110);
        snprintf(line, sizeof line, "%c: %s", l->side == 'C' ? 'C' : 'S', text);
        float y = top + lh * (float)(i - first);
        bool current = f->st.last_line == lines[i] + 1;
        if (current) ui_p_fill(g, r.x, y - ui_px(f, 1), r.w, lh, f->c->hi_bg);
        uint32_t col = current ? f->c->hi_text : l->side == 'C' ? f->c->client : f->c->server;
        ui_p_text(g, current ? UI_F_BOLD : UI_F_MONO, ui_px(f, 20), col, r.x + ui_px(f, 14), y,
                  UI_AL_LEFT, line);
        struct ui_hit hit = {UI_HIT_ARROW, conn, lines[i], 0};
        ui_p_hit(g, r.x, y, r.w, lh, hit);
        g->stats.dialogue_lines++;
    }
    ui_p_noclip(g);
}

/* ---- current event, legend ---------------------------------------------------------------- */

static void ui_d_event(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->evp;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel);
    ui_p_clip(g, r.x, r.y, r.w, r.h);
    char head[96];
    snprintf(head, sizeof head, "Step %zu of %zu", f->v->step, m->n);
    ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, head);
    if (f->v->step > 0) {
        char line[600];
        trace_format_line(m->tr, f->v->step - 1, line, sizeof line);
        int h = 0;
        ui_p_text_wrap(g, UI_F_MONO, ui_px(f, 18), f->c->text, r.x + ui_px(f, 14),
                       r.y + ui_px(f, 40), (int)(r.w - ui_px(f, 28)), line, &h);
        const struct trace_rec *cur = trace_get(m->tr, f->v->step - 1);
        const struct trace_line *l = trace_as_line(cur);
        const struct trace_seg *sg = trace_as_seg(cur);
        size_t dlen;
        const uint8_t *d = trace_data(cur, &dlen);
        const char *proto = l            ? trace_str(m->tr, l->proto)
                            : sg && dlen ? ui_proto_names[ui_seg_proto(cur, sg)]
                                         : NULL;
        const char *meaning, *rfc;
        char first[100], expl[400];
        if (l || sg) {
            if (dlen)
                ui_first_line(d, dlen, first, 60);
            else
                ui_flags_text(sg->flags, first, sizeof first);
            snprintf(expl, sizeof expl, "%s%s", l ? (l->side == 'C' ? "C: " : "S: ") : "", first);
            ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->text, r.x + ui_px(f, 14),
                      r.y + ui_px(f, 48) + (float)h, UI_AL_LEFT, expl);
        }
        if (proto && ui_rfc_explain(proto, (const char *)d, dlen, &meaning, &rfc)) {
            snprintf(expl, sizeof expl, "%s (%s)", meaning, rfc);
            ui_p_text_wrap(g, UI_F_SANS, ui_px(f, 20), f->c->server, r.x + ui_px(f, 14),
                           r.y + ui_px(f, 80) + (float)h, (int)(r.w - ui_px(f, 28)), expl, NULL);
        }
    } else {
        ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->text, r.x + ui_px(f, 14), r.y + ui_px(f, 40),
                  UI_AL_LEFT, "Nothing has happened yet: press Space or Right.");
    }
    /* Legend: colour, shape and name of each protocol. */
    float lx = r.x + ui_px(f, 14), ly = r.y + r.h - ui_px(f, 34);
    for (int p = 1; p < UI_P_COUNT; p++) {
        ui_p_rrect(g, lx, ly + ui_px(f, 2), ui_px(f, 24), ui_px(f, 22), ui_px(f, 4),
                   ui_proto_fill[p]);
        ui_p_text(g, UI_F_SANS, ui_px(f, 18), ui_proto_ink[p], lx + ui_px(f, 12), ly + ui_px(f, 1),
                  UI_AL_CENTER, ui_proto_shape[p]);
        lx += ui_px(f, 30);
        lx += (float)ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->text, lx, ly, UI_AL_LEFT,
                               ui_proto_names[p]) +
              ui_px(f, 16);
    }
    ui_p_rrect(g, lx, ly + ui_px(f, 2), ui_px(f, 24), ui_px(f, 22), ui_px(f, 4), UI_LOST);
    lx += ui_px(f, 30);
    ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->text, lx, ly, UI_AL_LEFT, "lost");
    ui_p_noclip(g);
}

/* The future-event view (E, issue 9): what the simulation has scheduled
 * next, earliest first, with how long until each is due. */
static void ui_d_future(struct ui_frame *f)
{
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->evp;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel);
    ui_p_clip(g, r.x, r.y, r.w, r.h);
    struct ui_timer tm[24];
    size_t n = ui_future_at(f->m, f->v->step, tm, MS_ARRAY_LEN(tm));
    sim_us now = f->v->step ? trace_get(f->m->tr, f->v->step - 1)->t : 0;
    char head[96];
    snprintf(head, sizeof head, "Scheduled next (%zu pending)%s", n,
             n == MS_ARRAY_LEN(tm) ? "+" : "");
    ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, head);
    float y = r.y + ui_px(f, 40), row = ui_px(f, 28);
    if (n == 0)
        ui_p_text(g, UI_F_SANS, ui_px(f, 20), f->c->text, r.x + ui_px(f, 14), y, UI_AL_LEFT,
                  "Nothing is scheduled: the simulation would stop here.");
    for (size_t i = 0; i < n && y + row <= r.y + r.h; i++) {
        char when[48], in[48], line[200];
        trace_format_time(tm[i].due, when, sizeof when);
        sim_us d = tm[i].due - now;
        if (d < SIM_US_PER_S)
            snprintf(in, sizeof in, "in %lld ms", (long long)(d / SIM_US_PER_MS));
        else {
            char dd[40];
            ui_fmt_dur(d, dd, sizeof dd);
            snprintf(in, sizeof in, "in %s", dd);
        }
        const char *host = tm[i].host != TRACE_NONE ? trace_host_name(f->m->tr, tm[i].host) : "";
        snprintf(line, sizeof line, "%s%s%s", host ? host : "", host && *host ? ": " : "",
                 tm[i].label);
        uint32_t col = i == 0 ? f->c->server : f->c->text;
        ui_p_text(g, UI_F_MONO, ui_px(f, 18), col, r.x + ui_px(f, 14), y, UI_AL_LEFT, when);
        ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->dim, r.x + ui_px(f, 160), y, UI_AL_LEFT, in);
        ui_p_text(g, i == 0 ? UI_F_BOLD : UI_F_SANS, ui_px(f, 18), col, r.x + ui_px(f, 270), y,
                  UI_AL_LEFT, line);
        y += row;
    }
    ui_p_noclip(g);
}

static float ui_d_box(struct ui_frame *f, float w, float h, const char *title, SDL_FRect *out);

/* Pinned mailboxes and queues (P): cards at the right edge of the network
 * panel, large enough for the back row. */
static void ui_d_pins(struct ui_frame *f)
{
    struct ui_gfx *g = f->g;
    const struct ui_model *m = f->m;
    if (f->pinr.w <= 0) return;
    ui_p_fill(g, f->pinr.x, f->pinr.y, f->pinr.w, f->pinr.h, f->c->bg);
    float gap = ui_px(f, 10), cw = f->pinr.w - 2 * gap, ch = ui_px(f, 104);
    float x = f->pinr.x + gap, y = f->pinr.y + gap;
    for (size_t i = 0; i < f->v->n_pins && y + ch <= f->pinr.y + f->pinr.h; i++) {
        const struct ui_pin *p = &f->v->pins[i];
        char title[160], line[160];
        ui_pin_label(m, p, title, sizeof title);
        unsigned count = 0;
        if (p->user == TRACE_NONE) {
            count = p->host < m->nh ? f->st.q_len[p->host] : 0;
            sim_us nr = p->host < m->nh ? f->st.q_next[p->host] : -1;
            char d[32];
            ui_fmt_dur(nr - f->t, d, sizeof d);
            if (count == 0)
                snprintf(line, sizeof line, "empty");
            else if (nr > f->t)
                snprintf(line, sizeof line, "%u waiting, retry in %s", count, d);
            else
                snprintf(line, sizeof line, "%u waiting", count);
        } else {
            unsigned unseen = 0;
            for (size_t b = 0; b < f->st.n_mb; b++) {
                const struct ui_mbox *mb = &f->st.mb[b];
                if (mb->host == p->host && mb->user == p->user && mb->folder == p->folder) {
                    count = mb->count;
                    unseen = mb->unseen;
                }
            }
            snprintf(line, sizeof line, "%u message%s%s", count, count == 1 ? "" : "s",
                     unseen ? ", new mail" : "");
        }
        ui_p_rrect(g, x, y, cw, ch, ui_px(f, 8), f->c->panel2);
        ui_p_frame(g, x, y, cw, ch, ui_px(f, 2), f->c->grid);
        ui_p_clip(g, x, y, cw, ch);
        ui_p_text(g, UI_F_BOLD, ui_px(f, 20), f->c->text, x + ui_px(f, 12), y + ui_px(f, 8),
                  UI_AL_LEFT, title);
        ui_p_text(g, UI_F_SANS, ui_px(f, 20), f->c->text, x + ui_px(f, 12), y + ui_px(f, 40),
                  UI_AL_LEFT, line);
        float ew = ui_px(f, 30), eh = ui_px(f, 20);
        for (unsigned e = 0; e < count && e < 10; e++)
            ui_d_envelope(f, x + ui_px(f, 12) + (float)e * (ew + ui_px(f, 6)), y + ui_px(f, 72), ew,
                          eh, 0xf0e442ffu);
        ui_p_noclip(g);
        y += ch + gap;
    }
}

/* Sliders (L): one row per link latency and loss and per server retry
 * interval and give-up time, the highlighted one with arrows. */
static void ui_d_controls(struct ui_frame *f)
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
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 22), col, b.x + ui_px(f, 24), y, UI_AL_LEFT, c[i].name);
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, 22), col, b.x + ui_px(f, 640), y, UI_AL_LEFT, row);
        y += ui_px(f, 40);
    }
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 20), f->c->dim, b.x + ui_px(f, 24),
              b.y + b.h - ui_px(f, 44), UI_AL_LEFT,
              "Up / Down choose, Left / Right move the slider or switch up / down, Enter applies, "
              "Esc closes");
    ui_p_noclip(f->g);
}

/* The variant menu (V). */
static void ui_d_variants(struct ui_frame *f)
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
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 20), f->c->dim, b.x + ui_px(f, 24),
              b.y + b.h - ui_px(f, 44), UI_AL_LEFT,
              n ? "Up / Down choose, Enter simulates it, Esc closes"
                : "This scenario has no variants.");
    ui_p_noclip(f->g);
}

/* The pin menu (P). */
static void ui_d_pin_menu(struct ui_frame *f)
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
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 22), sel ? f->c->hi_text : f->c->text,
                  b.x + ui_px(f, 24), y, UI_AL_LEFT, row);
        y += ui_px(f, 40);
    }
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 20), f->c->dim, b.x + ui_px(f, 24), y + ui_px(f, 10),
              UI_AL_LEFT, "Up / Down choose, Enter pins or unpins (at most 4), Esc closes");
    ui_p_noclip(f->g);
}

static void ui_d_narration(struct ui_frame *f)
{
    SDL_FRect r = f->nar;
    char text[1024];
    uint32_t ink = f->c->text;
    if (f->v->notice[0]) { /* what the window says takes the bar until a key */
        uint32_t bg = f->v->notice_bad ? UI_LOST : f->c->hi_bg;
        ink = f->v->notice_bad ? 0x000000ffu : f->c->hi_text;
        ui_p_fill(f->g, r.x, r.y, r.w, r.h, bg);
        snprintf(text, sizeof text, "%s   (any key)", f->v->notice);
    } else {
        ui_p_fill(f->g, r.x, r.y, r.w, r.h, f->c->bg);
        if (!f->st.narration) return;
        const struct trace_rec *tr = trace_get(f->m->tr, f->st.narration - 1);
        size_t len;
        const uint8_t *d = trace_data(tr, &len);
        size_t n = len < sizeof text - 1 ? len : sizeof text - 1;
        memcpy(text, d, n);
        text[n] = '\0';
    }
    ui_p_clip(f->g, r.x, r.y, r.w, r.h);
    /* Large, but never cut off: a long narration steps down in size (never
     * below 22 px at 1080p, well over the 18 px floor) until it fits. */
    int wrap = (int)(r.w - ui_px(f, 40));
    float px = ui_px(f, 30);
    for (int size = 30; size > 22; size -= 4) {
        px = ui_px(f, (float)size);
        if (ui_p_text_wrap_height(f->g, UI_F_BOLD, px, wrap, text) <= r.h - ui_px(f, 12)) break;
        px = ui_px(f, (float)(size - 4));
    }
    ui_p_text_wrap(f->g, UI_F_BOLD, px, ink, r.x + ui_px(f, 20), r.y + ui_px(f, 6), wrap, text,
                   NULL);
    ui_p_noclip(f->g);
}

/* ---- timeline and status -------------------------------------------------------------- */

static void ui_d_timeline(struct ui_frame *f)
{
    struct ui_model *m = (struct ui_model *)f->m; /* the bins cache only */
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->tl;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel);
    float x0 = r.x + ui_px(f, 20), w = r.w - ui_px(f, 40);
    float ty = r.y + ui_px(f, 12), th = ui_px(f, 34);
    ui_p_fill(g, x0, ty + th, w, ui_px(f, 2), f->c->grid);
    if (m->n == 0) return;
    int iw = (int)w;
    if (m->bins_w != iw) {
        free(m->bins);
        m->bins = ms_xcalloc((size_t)iw + 1, 1);
        m->bins_w = iw;
        double total = (double)(m->ct[m->n - 1] > 0 ? m->ct[m->n - 1] : 1);
        for (size_t i = 0; i < m->n; i++) {
            int x = (int)((double)m->ct[i] / total * (iw - 1));
            const struct trace_rec *tr = trace_get(m->tr, i);
            uint8_t cls = trace_as_msg(tr) ? 3 : tr->kind == TR_LINE_SENT ? 2 : 1;
            if (cls > m->bins[x]) m->bins[x] = cls;
        }
    }
    for (int x = 0; x < iw; x++) {
        uint8_t b = m->bins[x];
        if (!b) continue;
        float h = b == 3 ? th : b == 2 ? th * 0.7f : th * 0.4f;
        uint32_t c = b == 3 ? 0xf0e442ffu : b == 2 ? 0x56b4e9ffu : f->c->dim;
        ui_p_fill(g, x0 + (float)x, ty + th - h, 1, h, c);
    }
    double total = (double)(m->ct[m->n - 1] > 0 ? m->ct[m->n - 1] : 1);
    /* A lesson of several days gets its days named where they begin, before
     * any gap: "Day 3" says more than the fiftieth "29 min later". */
    enum { UI_MAX_DAYS = 64 };
    float day_l[UI_MAX_DAYS], day_r[UI_MAX_DAYS];
    size_t ndays = 0;
    sim_us end = trace_get(m->tr, m->n - 1)->t;
    for (sim_us d = 1; d * SIM_US_PER_DAY <= end && ndays < UI_MAX_DAYS; d++) {
        size_t i = trace_lower_bound(m->tr, d * SIM_US_PER_DAY);
        if (i >= m->n) break;
        float x = x0 + (float)((double)m->ct[i] / total) * w;
        char day[24];
        snprintf(day, sizeof day, "Day %lld", (long long)d + 1);
        int tw, tth;
        ui_p_text_size(g, UI_F_BOLD, ui_px(f, 18), day, &tw, &tth);
        float lx = x + ui_px(f, 4);
        if (lx + (float)tw > r.x + r.w - ui_px(f, 4)) lx = r.x + r.w - ui_px(f, 4) - (float)tw;
        if (ndays && lx < day_r[ndays - 1] + ui_px(f, 10)) continue; /* no room: skip */
        ui_p_fill(g, x - ui_px(f, 1), ty - ui_px(f, 4), ui_px(f, 3), th + ui_px(f, 26), f->c->text);
        ui_p_text(g, UI_F_BOLD, ui_px(f, 18), f->c->text, lx, ty + th + ui_px(f, 6), UI_AL_LEFT,
                  day);
        day_l[ndays] = x - ui_px(f, 2);
        day_r[ndays++] = lx + (float)tw;
        g->stats.day_marks++;
    }
    float last_right = -1e9f, last_mark = -1e9f;
    for (size_t j = 0; j < m->n_gaps; j++) {
        size_t i = m->gaps[j];
        float x = x0 + (float)((double)m->ct[i] / total) * w;
        if (x - last_mark < ui_px(f, 16))
            continue; /* marks closer than this would be a grey smear */
        last_mark = x;
        ui_p_line(g, x - ui_px(f, 4), ty + th + ui_px(f, 8), x + ui_px(f, 4), ty, ui_px(f, 2),
                  f->c->text);
        ui_p_line(g, x + ui_px(f, 2), ty + th + ui_px(f, 8), x + ui_px(f, 10), ty, ui_px(f, 2),
                  f->c->text);
        char gap[48];
        ui_fmt_gap(trace_get(m->tr, i)->t - trace_get(m->tr, i - 1)->t, gap, sizeof gap);
        int tw, tth;
        ui_p_text_size(g, UI_F_SANS, ui_px(f, 18), gap, &tw, &tth);
        float lx = x - (float)tw / 2; /* kept inside the timeline */
        if (lx < r.x + ui_px(f, 4)) lx = r.x + ui_px(f, 4);
        if (lx + (float)tw > r.x + r.w - ui_px(f, 4)) lx = r.x + r.w - ui_px(f, 4) - (float)tw;
        sim_us gap_us = trace_get(m->tr, i)->t - trace_get(m->tr, i - 1)->t;
        bool clear = true;
        for (size_t k = 0; k < ndays && clear; k++)
            clear = lx + (float)tw + ui_px(f, 10) < day_l[k] || lx > day_r[k] + ui_px(f, 10);
        if (clear && gap_us >= 6 * UI_GAP_LABEL_US && lx > last_right + ui_px(f, 10)) {
            ui_p_text(g, UI_F_SANS, ui_px(f, 18), f->c->text, lx, ty + th + ui_px(f, 6), UI_AL_LEFT,
                      gap);
            last_right = lx + (float)tw;
        }
    }
    /* The cursor. */
    double cpos = 0;
    if (f->v->step > 0) {
        size_t k = f->v->step;
        double a = (double)m->ct[k - 1], b = k < m->n ? (double)m->ct[k] : a;
        cpos = (a + (b - a) * f->v->frac) / total;
    }
    float cx = x0 + (float)cpos * w;
    ui_p_fill(g, cx - ui_px(f, 2), ty - ui_px(f, 6), ui_px(f, 4), th + ui_px(f, 12), UI_LOST);
    ui_p_tri(g, cx - ui_px(f, 10), ty - ui_px(f, 10), cx + ui_px(f, 10), ty - ui_px(f, 10), cx,
             ty + ui_px(f, 2), UI_LOST);
    struct ui_hit hit = {UI_HIT_TIMELINE, 0, 0, 0};
    ui_p_hit(g, x0, r.y, w, r.h, hit);
}

static void ui_d_status(struct ui_frame *f)
{
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->status;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel2);
    char clock[64], left[200], right[300];
    ui_fmt_clock(f->t, clock, sizeof clock);
    double sp = ui_view_speed_factor(f->v);
    char spd[32];
    if (sp < 1)
        snprintf(spd, sizeof spd, "1/%.0f\xc3\x97", 1 / sp);
    else
        snprintf(spd, sizeof spd, "%.0f\xc3\x97", sp);
    snprintf(left, sizeof left, "%s   %s   step %zu / %zu   speed %s%s",
             f->v->playing ? "\xe2\x96\xb6 playing" : "\xe2\x9d\x9a\xe2\x9d\x9a paused", clock,
             f->v->step, f->m->n, spd, f->v->tcp_detail ? "" : "   TCP detail hidden (T)");
    ui_p_text(g, UI_F_BOLD, ui_px(f, 24), f->c->text, r.x + ui_px(f, 16), r.y + ui_px(f, 12),
              UI_AL_LEFT, left);
    snprintf(right, sizeof right, "%s    H: help", f->m->title);
    ui_p_text(g, UI_F_SANS, ui_px(f, 22), f->c->dim, r.x + r.w - ui_px(f, 16), r.y + ui_px(f, 14),
              UI_AL_RIGHT, right);
}

/* ---- overlays ----------------------------------------------------------------------------- */

static float ui_d_box(struct ui_frame *f, float w, float h, const char *title, SDL_FRect *out)
{
    ui_p_fill(f->g, 0, 0, f->W, f->H, f->c->backdrop);
    if (w > f->W - 40) w = f->W - 40;
    if (h > f->H - 40) h = f->H - 40;
    SDL_FRect b = {(f->W - w) / 2, (f->H - h) / 2, w, h};
    ui_p_fill(f->g, b.x, b.y, b.w, b.h, f->c->panel);
    ui_p_frame(f->g, b.x, b.y, b.w, b.h, ui_px(f, 3), f->c->grid);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 28), f->c->text, b.x + ui_px(f, 24), b.y + ui_px(f, 16),
              UI_AL_LEFT, title);
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 18), f->c->dim, b.x + b.w - ui_px(f, 24),
              b.y + ui_px(f, 22), UI_AL_RIGHT, "Esc closes");
    *out = b;
    ui_p_clip(f->g, b.x, b.y, b.w, b.h);
    return b.y + ui_px(f, 64);
}

static const char *const ui_help_rows[][2] = {
    {"Space", "play / pause"},
    {"Right / Left", "one step (one trace record) forward / back"},
    {"Shift + Right / Left", "next / previous protocol line"},
    {"Ctrl + Right / Left", "next / previous message event"},
    {"Home / End", "first / last step"},
    {"[  ]", "slower / faster"},
    {"+  -", "zoom everything (0 resets)"},
    {"Mouse wheel, drag", "zoom and pan the network"},
    {"F", "fullscreen"},
    {"C", "dialogue: next connection (then back to following the step)"},
    {"T", "show / hide TCP detail (handshakes, bare ACKs)"},
    {"D", "dark / light theme"},
    {"S", "save a PNG screenshot"},
    {"R", "reload the scenario from disk, keeping the step"},
    {"O", "open another lesson: the lesson picker"},
    {"E", "scheduled events: what the simulation will do next"},
    {"U", "run until: next retry, delivery, connection, a time, a fate"},
    {"P", "pin mailboxes and queues to the screen edge"},
    {"L", "sliders: latency, loss, retry, give-up; hosts and links up / down"},
    {"V", "variants of the scenario"},
    {"K", "quiz mode: pause before each reply and queue decision"},
    {"Click host / link", "take it down or bring it up (simulates again; or L)"},
    {"Click packet / arrow, or I", "inspector: header, payload, meaning, RFC (I: this step)"},
    {"Click envelope, or M", "the messages at a host: header, MIME tree, base64"},
    {"Click / drag timeline", "seek"},
    {"Esc", "close this window"},
    {"Q", "quit"},
    {"H or ?", "this help"},
};

static void ui_d_help(struct ui_frame *f)
{
    SDL_FRect b;
    float y =
        ui_d_box(f, ui_px(f, 1100), ui_px(f, 80 + 34 * MS_ARRAY_LEN(ui_help_rows)), "Controls", &b);
    for (size_t i = 0; i < MS_ARRAY_LEN(ui_help_rows); i++) {
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, 22), f->c->text, b.x + ui_px(f, 24), y, UI_AL_LEFT,
                  ui_help_rows[i][0]);
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 22), f->c->text, b.x + ui_px(f, 400), y, UI_AL_LEFT,
                  ui_help_rows[i][1]);
        y += ui_px(f, 34);
    }
    ui_p_noclip(f->g);
}

/* The run-until menu (U): digits or Up/Down and Enter; a time or a message
 * number is typed. */
static void ui_d_until(struct ui_frame *f)
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
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 20), f->c->dim, b.x + ui_px(f, 24), y + ui_px(f, 50),
              UI_AL_LEFT, "Up / Down choose, Enter runs, Esc closes");
    ui_p_noclip(f->g);
}

/* Quiz mode (K): the question at the paused step, its choices, and once
 * revealed the right one (marked with words, not colour alone), what it
 * means with its RFC section, and the score. */
static void ui_d_quiz(struct ui_frame *f)
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
    ui_p_text(f->g, UI_F_SANS, ui_px(f, 22), f->c->dim, x, b.y + b.h - ui_px(f, 44), UI_AL_LEFT,
              foot);
    ui_p_noclip(f->g);
}

static float ui_d_kv(struct ui_frame *f, float x, float y, const char *k, const char *v)
{
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, x, y, UI_AL_LEFT, k);
    ui_p_text(f->g, UI_F_MONO, ui_px(f, 20), f->c->text, x + ui_px(f, 300), y, UI_AL_LEFT, v);
    return y + ui_px(f, 28);
}

/* Payload as text lines (CRLF shown as \r\n) and as hex, 16 bytes a row. */
static float ui_d_payload(struct ui_frame *f, float x, float y, float maxy, const uint8_t *d,
                          size_t len)
{
    char line[200];
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, x, y, UI_AL_LEFT, "Payload as text");
    y += ui_px(f, 28);
    size_t i = 0;
    for (int rows = 0; i < len && rows < 6 && y < maxy; rows++) {
        size_t o = 0;
        while (i < len && o < 100) {
            uint8_t ch = d[i++];
            if (ch == '\r') {
                line[o++] = '\\';
                line[o++] = 'r';
            } else if (ch == '\n') {
                line[o++] = '\\';
                line[o++] = 'n';
                break;
            } else {
                line[o++] = (ch >= 32 && ch < 127) ? (char)ch : '.';
            }
        }
        line[o] = '\0';
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 20), f->c->text, x, y, UI_AL_LEFT, line);
        y += ui_px(f, 26);
    }
    y += ui_px(f, 8);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, x, y, UI_AL_LEFT, "Payload as hex");
    y += ui_px(f, 28);
    for (size_t off = 0; off < len && off < 16 * 6 && y < maxy; off += 16) {
        int o = snprintf(line, sizeof line, "%04zx  ", off);
        for (size_t j = off; j < off + 16 && j < len; j++)
            o += snprintf(line + o, sizeof line - (size_t)o, "%02x ", d[j]);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 20), f->c->text, x, y, UI_AL_LEFT, line);
        y += ui_px(f, 26);
    }
    return y;
}

static void ui_d_inspect(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    if (f->v->inspect >= m->n) return;
    const struct trace_rec *r = trace_get(m->tr, f->v->inspect);
    SDL_FRect b;
    char title[160], tbuf[40], v1[200];
    trace_format_time(r->t, tbuf, sizeof tbuf);
    snprintf(title, sizeof title, "Inspector: record %zu, %s at %s", f->v->inspect + 1,
             trace_kind_name((enum trace_kind)r->kind), tbuf);
    float y = ui_d_box(f, ui_px(f, 1300), ui_px(f, 720), title, &b);
    float x = b.x + ui_px(f, 24), maxy = b.y + b.h - ui_px(f, 20);
    size_t dlen;
    const uint8_t *d = trace_data(r, &dlen);
    const struct trace_seg *s = trace_as_seg(r);
    const struct trace_line *l = trace_as_line(r);
    const char *proto = NULL;
    if (s) {
        bool udp = r->kind >= TR_DGRAM_SENT;
        snprintf(v1, sizeof v1, "%s -> %s (this hop: %s -> %s)", trace_host_name(m->tr, s->src),
                 trace_host_name(m->tr, s->dst), trace_host_name(m->tr, s->hop_from),
                 trace_host_name(m->tr, s->hop_to));
        y = ui_d_kv(f, x, y, "Hosts", v1);
        snprintf(v1, sizeof v1, "%u -> %u", s->sport, s->dport);
        y = ui_d_kv(f, x, y, udp ? "UDP ports" : "TCP ports", v1);
        if (!udp) {
            snprintf(v1, sizeof v1, "%u", s->seq);
            y = ui_d_kv(f, x, y, "Sequence number", v1);
            snprintf(v1, sizeof v1, "%u", s->ack);
            y = ui_d_kv(f, x, y, "Acknowledgment number", v1);
            ui_flags_text(s->flags, v1, sizeof v1);
            y = ui_d_kv(f, x, y, "Flags", v1[0] ? v1 : "(none)");
            snprintf(v1, sizeof v1, "%u", s->window);
            y = ui_d_kv(f, x, y, "Window", v1);
            if (s->mss) {
                snprintf(v1, sizeof v1, "%u", s->mss);
                y = ui_d_kv(f, x, y, "MSS option", v1);
            }
            if (s->attempt) {
                snprintf(v1, sizeof v1, "retransmission %u", s->attempt);
                y = ui_d_kv(f, x, y, "Attempt", v1);
            }
        }
        char a[40], c2[40];
        trace_format_time(s->t_depart, a, sizeof a);
        trace_format_time(s->t_arrive, c2, sizeof c2);
        snprintf(v1, sizeof v1, "leaves %s, arrives %s", a, c2);
        y = ui_d_kv(f, x, y, "On the wire", v1);
        snprintf(v1, sizeof v1, "%u bytes", s->len);
        y = ui_d_kv(f, x, y, "Payload length", v1);
        proto = ui_proto_names[ui_seg_proto(r, s)];
    } else if (l) {
        proto = trace_str(m->tr, l->proto);
        snprintf(v1, sizeof v1, "%s (%s) -> %s", trace_host_name(m->tr, l->host),
                 l->side == 'C' ? "client" : "server", trace_host_name(m->tr, l->peer));
        y = ui_d_kv(f, x, y, "Written by", v1);
        snprintf(v1, sizeof v1, "%s, connection %u", proto, l->conn);
        y = ui_d_kv(f, x, y, "Protocol", v1);
        snprintf(v1, sizeof v1, "%s  ->  %s", trace_str(m->tr, l->state_before),
                 trace_str(m->tr, l->state_after));
        y = ui_d_kv(f, x, y, "Engine state", v1);
    } else {
        char line[600];
        trace_format_line(m->tr, f->v->inspect, line, sizeof line);
        int h = 0;
        ui_p_text_wrap(f->g, UI_F_MONO, ui_px(f, 20), f->c->text, x, y, (int)(b.w - ui_px(f, 48)),
                       line, &h);
        y += (float)h + ui_px(f, 10);
    }
    if (proto && dlen) {
        const char *meaning, *rfc;
        char first[120];
        ui_first_line(d, dlen, first, 100);
        if (ui_rfc_explain(proto, (const char *)d, dlen, &meaning, &rfc)) {
            y += ui_px(f, 6);
            snprintf(v1, sizeof v1, "%s (%s)", meaning, rfc);
            ui_p_fill(f->g, x - ui_px(f, 8), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 36),
                      f->c->hi_bg);
            ui_p_text(f->g, UI_F_BOLD, ui_px(f, 22), f->c->hi_text, x, y, UI_AL_LEFT, v1);
            y += ui_px(f, 44);
        }
    }
    if (dlen && (s || l)) ui_d_payload(f, x, y + ui_px(f, 6), maxy, d, dlen);
    ui_p_noclip(f->g);
}

/* The message view: the content comes from ui_msgview_at (the trace's
 * message copies and their MIME outlines); this only lays it out. */
static void ui_d_message(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    uint32_t h = f->v->msg_host;
    struct ui_msgview mv;
    ui_msgview_at(m, f->v->step, h, &mv);
    SDL_FRect b;
    char title[200];
    if (mv.found)
        snprintf(title, sizeof title, "Message %u at %s", mv.msg, trace_host_name(m->tr, h));
    else
        snprintf(title, sizeof title, "Message at %s", trace_host_name(m->tr, h));
    float y = ui_d_box(f, ui_px(f, 1300), ui_px(f, 720), title, &b);
    float x = b.x + ui_px(f, 24), maxy = b.y + b.h - ui_px(f, 30);
    if (!mv.found) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 22), f->c->text, x, y, UI_AL_LEFT,
                  "No message has been here yet.");
        ui_p_noclip(f->g);
        return;
    }
    char v1[400];
    const char *from = trace_str(m->tr, mv.sender);
    snprintf(v1, sizeof v1, "from %s   to %s   %s", from[0] ? from : "<> (a bounce)",
             trace_str(m->tr, mv.rcpt), trace_str(m->tr, mv.msgid));
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->text, x, y, UI_AL_LEFT, v1);
    y += ui_px(f, 32);
    for (size_t i = 0; i < mv.n_events && i < UI_MSGVIEW_EVENTS && y < b.y + ui_px(f, 300); i++) {
        const struct trace_rec *r = trace_get(m->tr, mv.events[i]);
        const struct trace_msg *ms = trace_as_msg(r);
        char tb[40], detail[120];
        size_t dl;
        const uint8_t *dd = trace_data(r, &dl);
        ui_first_line(dd, dl, detail, 80);
        snprintf(v1, sizeof v1, "%s  %-16s at %s%s%s", trace_format_time(r->t, tb, sizeof tb),
                 trace_kind_name((enum trace_kind)r->kind), trace_host_name(m->tr, ms->host),
                 dl ? ": " : "", detail);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 18), f->c->text, x, y, UI_AL_LEFT, v1);
        y += ui_px(f, 24);
    }
    y += ui_px(f, 10);
    if (!mv.copy) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, 20), f->c->dim, x, y, UI_AL_LEFT,
                  "(the trace holds no copy of it yet)");
        ui_p_noclip(f->g);
        return;
    }
    float col2 = b.x + b.w / 2 + ui_px(f, 10);
    snprintf(v1, sizeof v1, "RFC 5322 header (the copy at %s)",
             trace_host_name(m->tr, mv.copy->host));
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, x, y, UI_AL_LEFT, v1);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, col2, y, UI_AL_LEFT, "MIME tree");
    y += ui_px(f, 28);
    float y2 = y;
    const char *hdr = trace_str(m->tr, mv.copy->header);
    for (const char *p = hdr; *p && y < maxy;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) + 1 : strlen(p);
        char line[120];
        ui_first_line((const uint8_t *)p, n, line, 54);
        p += n;
        if (!line[0]) continue;
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 18), f->c->text, x, y, UI_AL_LEFT, line);
        y += ui_px(f, 24);
    }
    const struct trace_mime_part *enc = NULL;
    for (size_t i = 0; i < mv.copy->n_parts && y2 < maxy; i++) {
        const struct trace_mime_part *p = ui_msgview_part(m, &mv, i);
        const char *path = trace_str(m->tr, p->path), *cte = trace_str(m->tr, p->cte);
        char node[200];
        int o = snprintf(node, sizeof node, "%*s%s%s%s", (int)p->depth * 3, "", path,
                         path[0] ? "  " : "", trace_str(m->tr, p->type));
        if (p->filename != TRACE_NONE && o > 0 && (size_t)o < sizeof node)
            o += snprintf(node + o, sizeof node - (size_t)o, " \"%.40s\"",
                          trace_str(m->tr, p->filename));
        if (strcmp(cte, "7bit") != 0 && o > 0 && (size_t)o < sizeof node)
            snprintf(node + o, sizeof node - (size_t)o, "  %s", cte);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 18), f->c->text, col2, y2, UI_AL_LEFT, node);
        y2 += ui_px(f, 24);
        if (!enc && p->preview_len > 0 &&
            (strcmp(cte, "base64") == 0 || strcmp(cte, "quoted-printable") == 0))
            enc = p;
    }
    if (enc && y2 + ui_px(f, 120) < maxy) {
        y2 += ui_px(f, 12);
        snprintf(v1, sizeof v1, "Part %s before %s decoding", trace_str(m->tr, enc->path),
                 trace_str(m->tr, enc->cte));
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, col2, y2, UI_AL_LEFT, v1);
        y2 += ui_px(f, 28);
        char shown[48];
        ui_first_line((const uint8_t *)trace_str(m->tr, enc->raw),
                      strlen(trace_str(m->tr, enc->raw)), shown, 40);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 18), f->c->text, col2, y2, UI_AL_LEFT, shown);
        y2 += ui_px(f, 32);
        snprintf(v1, sizeof v1, "... and after: %" PRIu64 " bytes, starting", enc->decoded_len);
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, 20), f->c->dim, col2, y2, UI_AL_LEFT, v1);
        y2 += ui_px(f, 28);
        const uint8_t *pv = (const uint8_t *)trace_str(m->tr, enc->preview);
        size_t n = enc->preview_len < 16 ? enc->preview_len : 16;
        char hex[64];
        int o = 0;
        for (size_t i = 0; i < n; i++) o += snprintf(hex + o, sizeof hex - (size_t)o, "%02x ", pv[i]);
        hex[o] = '\0';
        ui_p_text(f->g, UI_F_MONO, ui_px(f, 18), f->c->text, col2, y2, UI_AL_LEFT, hex);
    }
    ui_p_noclip(f->g);
}

/* ---- the frame --------------------------------------------------------------------------------
 */

void ui_draw(struct ui_gfx *g, const struct ui_model *m, const struct ui_view *v,
             struct ui_stats *stats)
{
    struct ui_frame f;
    memset(&f, 0, sizeof f);
    f.g = g;
    f.m = m;
    f.v = v;
    f.c = v->theme == UI_THEME_LIGHT ? &ui_light : &ui_dark;
    f.W = (float)g->w;
    f.H = (float)g->h;
    double zoom = v->zoom > 0.25 ? v->zoom : 0.25;
    f.s = (float)(f.H / 1080.0 * zoom);
    if (f.W / 1920.0f * (float)zoom < f.s)
        f.s = f.W / 1920.0f * (float)zoom > f.s * 0.75f ? f.W / 1920.0f * (float)zoom : f.s * 0.75f;
    /* On a 1080p screen the window is a little shorter than the screen
     * (title bar, panels: 1040 px or so). Scaled down with it, the smallest
     * text would fall to 17 px; the back row gets 18, and the panels give
     * up the few pixels instead. */
    if (f.H >= 1000 && f.W >= 1800 && f.s < (float)zoom) f.s = (float)zoom;
    g->scale = f.s;
    f.t = ui_view_time(v, m);
    ui_p_begin(g);
    ui_state_init(m, &f.st);
    ui_model_state(m, v->step, &f.st);
    f.hx = ms_xcalloc(m->nh + 1, sizeof *f.hx);
    f.hy = ms_xcalloc(m->nh + 1, sizeof *f.hy);
    f.hbox = ms_xcalloc(m->nh + 1, sizeof *f.hbox);

    float W = f.W, H = f.H, split = W * 0.6f;
    float sh = ui_px(&f, 58), nh = ui_px(&f, 96), th = ui_px(&f, 84), dh = H * 0.21f;
    float mid = H - sh - nh - th - dh;
    f.status = (SDL_FRect){0, 0, W, sh};
    f.topo = (SDL_FRect){0, sh, split, mid};
    f.seq = (SDL_FRect){split, sh, W - split, mid};
    f.dia = (SDL_FRect){0, sh + mid, split, dh};
    f.evp = (SDL_FRect){split, sh + mid, W - split, dh};
    f.nar = (SDL_FRect){0, sh + mid + dh, W, nh};
    f.tl = (SDL_FRect){0, H - th, W, th};
    if (v->n_pins) { /* issue 9: pinned cards get a strip at the edge of the network */
        float pw = ui_px(&f, 430);
        f.topo.w -= pw;
        f.pinr = (SDL_FRect){split - pw, sh, pw, mid};
    }

    ui_d_topology(&f); /* the panels cover the whole frame: no clear */
    ui_d_pins(&f);
    ui_d_seq(&f);
    ui_d_dialogue(&f);
    if (v->future)
        ui_d_future(&f);
    else
        ui_d_event(&f);
    ui_d_narration(&f);
    ui_d_timeline(&f);
    ui_d_status(&f);
    /* Panel borders. */
    ui_p_fill(g, split - 1, sh, 2, mid + dh, f.c->grid);
    ui_p_fill(g, 0, sh + mid - 1, W, 2, f.c->grid);
    switch (v->overlay) {
    case UI_OV_HELP:
        ui_d_help(&f);
        break;
    case UI_OV_INSPECT:
        ui_d_inspect(&f);
        break;
    case UI_OV_MESSAGE:
        ui_d_message(&f);
        break;
    case UI_OV_UNTIL:
        ui_d_until(&f);
        break;
    case UI_OV_QUIZ:
        ui_d_quiz(&f);
        break;
    case UI_OV_PINS:
        ui_d_pin_menu(&f);
        break;
    case UI_OV_CONTROLS:
        ui_d_controls(&f);
        break;
    case UI_OV_VARIANTS:
        ui_d_variants(&f);
        break;
    case UI_OV_NONE:
        break;
    }
    free(f.hx);
    free(f.hy);
    free(f.hbox);
    ui_state_free(&f.st);
    if (stats) *stats = g->stats;
}
