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

const struct ui_colors ui_dark = {
    0x15171cff, 0x1f222aff, 0x2a2e38ff, 0xf2f2f2ff, 0xb4b9c2ff, 0x4a505cff, 0x6a5c00ff, 0xffffffff,
    0x8a93a3ff, 0x6b6b6bff, 0xc9ced6ff, 0x3b4250ff, 0x56b4e9ff, 0x56b4e9ff, 0xe69f00ff, 0x000000c0,
};
/* Server lines in a darker orange than the Okabe-Ito one: 0xa35f00 was
 * 4.2:1 on the panel, under WCAG AA's 4.5:1. */
const struct ui_colors ui_light = {
    0xf4f4f0ff, 0xffffffff, 0xe9e9e4ff, 0x111111ff, 0x4a4a4aff, 0xb8b8b8ff, 0xffe680ff, 0x000000ff,
    0x6f7785ff, 0x9a9a9aff, 0xd5d9e0ff, 0x3b4250ff, 0x56b4e9ff, 0x005a8cff, 0x8a4f00ff, 0x00000080,
};
/* For projectors that wash colours out: black, white, and bright hues only
 * (every text at 7:1 or more, WCAG AAA). */
const struct ui_colors ui_projector = {
    0x000000ff, 0x000000ff, 0x141414ff, 0xffffffff, 0xe6e6e6ff, 0x9a9a9aff, 0xffe000ff, 0x000000ff,
    0xd0d0d0ff, 0x8a8a8aff, 0xe0e0e0ff, 0x4a5260ff, 0x56b4e9ff, 0x8fd8ffff, 0xffc44dff, 0x000000e0,
};
const struct ui_colors *const ui_themes[UI_THEME_COUNT] = {&ui_dark, &ui_light, &ui_projector};
const char *const ui_theme_names[UI_THEME_COUNT] = {"dark", "light", "projector"};

/* Okabe-Ito: TCP grey, SMTP blue, POP3 orange, IMAP bluish green, HTTP
 * reddish purple, DNS yellow; LOST vermilion. */
const uint32_t ui_proto_fill[UI_P_COUNT] = {0x9aa0a6ff, 0x0072b2ff, 0xe69f00ff,
                                            0x009e73ff, 0xcc79a7ff, 0xf0e442ff};
const uint32_t ui_proto_ink[UI_P_COUNT] = {0x000000ff, 0xffffffff, 0x000000ff,
                                           0x000000ff, 0x000000ff, 0x000000ff};
const char *const ui_proto_shape[UI_P_COUNT] = {"\xc2\xb7",     "\xe2\x96\xa0", "\xe2\x97\x8f",
                                                "\xe2\x96\xb2", "\xe2\x97\x86", "\xe2\x98\x85"};

float ui_px(const struct ui_frame *f, float base)
{
    return base * f->s;
}

void ui_d_panel(struct ui_frame *f, SDL_FRect r, enum ui_focus focus)
{
    ui_p_fill(f->g, r.x, r.y, r.w, r.h, f->c->panel2);
    struct ui_hit bg = {UI_HIT_PANEL, (uint32_t)focus, 0, 0};
    ui_p_hit(f->g, r.x, r.y, r.w, r.h, bg);
    ui_p_clip(f->g, r.x, r.y, r.w, r.h);
}

/* First line of p as printable ASCII, at most max - 1 bytes with "..." when
 * cut (out holds at least max bytes, max >= 8). */
void ui_first_line(const uint8_t *p, size_t len, char *out, size_t max)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        /* The line ends at CRLF, or at a LF that ends the bytes; a bare CR
         * or LF inside is shown as the transcript shows it (\x0A): the
         * bytes that smuggle a second message must be visible. */
        if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') break;
        if ((p[i] == '\n' || p[i] == '\r') && i + 1 == len) break;
        if (o + 8 >= max) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (p[i] == '\t') {
            out[o++] = ' ';
        } else if (p[i] < 32 || p[i] == 127) {
            o += (size_t)snprintf(out + o, max - o, "\\x%02X", p[i]);
        } else {
            out[o++] = p[i] < 127 ? (char)p[i] : '.';
        }
    }
    out[o] = '\0';
}

void ui_fmt_clock(sim_us t, char *buf, size_t len)
{
    long long day = (long long)(t / SIM_US_PER_DAY) + 1;
    long long r = (long long)(t % SIM_US_PER_DAY);
    snprintf(buf, len, "Day %lld  %02lld:%02lld:%02lld.%03lld", day, r / 3600000000LL,
             r / 60000000LL % 60, r / 1000000LL % 60, r / 1000LL % 1000);
}

void ui_fmt_dur(sim_us d, char *buf, size_t len)
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

void ui_fmt_gap(sim_us d, char *buf, size_t len)
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

enum ui_proto ui_seg_proto(const struct trace_rec *r, const struct trace_seg *s)
{
    if (r->kind >= TR_DGRAM_SENT && r->kind <= TR_DGRAM_LOST) return UI_P_DNS;
    return ui_proto_of_ports(s->sport, s->dport);
}

/* True when a segment's payload travels inside TLS: its sender's engine
 * had written a line inside TLS (TRACE_LF_TLS) on that connection by the
 * time the segment left. On a real wire those bytes are encrypted. */
static bool ui_seg_in_tls(const struct ui_model *m, size_t k, const struct trace_seg *s)
{
    if (s->conn == 0 || s->conn >= m->n_conns || k >= trace_count(m->tr)) return false;
    return ui_model_tls_by(m, s->conn, s->src, trace_get(m->tr, k)->t);
}

/* The words a packet is labelled with: its first line ("[TLS] " first when
 * it travels inside TLS), or for DNS the question the trace recorded ("MX?
 * example.net", "MX answer example.net"). */
void ui_payload_text(const struct ui_model *m, size_t k, const struct trace_seg *s,
                     const uint8_t *data, size_t dlen, char *out, size_t max)
{
    size_t q = ui_model_dns_question(m, k);
    if (q != SIZE_MAX) {
        const struct trace_dns *d = trace_body(trace_get(m->tr, q));
        const char *t = d->qtype == 15 ? "MX" : d->qtype == 1 ? "A" : d->qtype == 28 ? "AAAA" : "?";
        snprintf(out, max, s->dport == 53 ? "%s? %s" : "%s answer %s", t,
                 trace_str(m->tr, d->qname));
        return;
    }
    if (max > 16 && ui_seg_in_tls(m, k, s)) {
        memcpy(out, "[TLS] ", 7);
        ui_first_line(data, dlen, out + 6, max - 6);
        return;
    }
    ui_first_line(data, dlen, out, max);
}

void ui_flags_text(uint8_t fl, char *buf, size_t len)
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

/* ---- overlays ----------------------------------------------------------------------------- */

float ui_d_box(struct ui_frame *f, float w, float h, const char *title, SDL_FRect *out)
{
    ui_p_fill(f->g, 0, 0, f->W, f->H, f->c->backdrop);
    if (w > f->W - 40) w = f->W - 40;
    if (h > f->H - 40) h = f->H - 40;
    SDL_FRect b = {(f->W - w) / 2, (f->H - h) / 2, w, h};
    ui_p_fill(f->g, b.x, b.y, b.w, b.h, f->c->panel);
    ui_p_frame(f->g, b.x, b.y, b.w, b.h, ui_px(f, 3), f->c->grid);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, 28), f->c->text, b.x + ui_px(f, 24), b.y + ui_px(f, 16),
              UI_AL_LEFT, title);
    ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, b.x + b.w - ui_px(f, 24),
              b.y + ui_px(f, 22), UI_AL_RIGHT, "Esc closes");
    *out = b;
    ui_p_clip(f->g, b.x, b.y, b.w, b.h);
    return b.y + ui_px(f, 64);
}
/* ---- the frame --------------------------------------------------------------------------------
 */

/* The panels of the frame, in pixels. Three layouts:
 *  - wide (1920x1080 and up, zoom 1): network over the current step on the
 *    left; sequence diagram over the dialogue (12 lines and more) on the
 *    right;
 *  - compact (a frame of fewer than 950 lines at the text scale, e.g.
 *    1280x720): network on the left, dialogue over the current step on the
 *    right; the sequence diagram takes its turn with key 2;
 *  - focus (keys 1-4): one panel above the narration, its text larger.
 * The status line, the narration bar and the timeline are always there. */
static void ui_layout_frame(struct ui_frame *f)
{
    float W = f->W, H = f->H;
    float sh = ui_px(f, 50), nh = ui_px(f, 132), th = ui_px(f, 80);
    /* The narration bar is as tall as the lesson's tallest narration needs
     * at the narration's least size (the same for every step of a lesson,
     * so panels do not jump), at most a third of the window. Texts are
     * measured through the text cache: after the first frame, lookups. */
    float least = (H >= 1000 ? UI_PX_NARR : UI_PX_SMALL) / f->z; /* as ui_d_narration */
    for (size_t i = 0; i < f->m->n_narr_text; i++) {             /* the first UI_NARR_MEASURED */
        char text[1024];
        snprintf(text, sizeof text, "%s", f->m->narr_text[i]);
        float need = (float)ui_p_text_wrap_height(f->g, UI_F_BOLD, ui_px(f, least),
                                                  (int)(W - ui_px(f, 40)), text) +
                     ui_px(f, 10);
        if (need > nh) nh = need < H / 3 ? need : H / 3;
    }
    float top = sh, mid = H - sh - nh - th;
    if (mid < ui_px(f, 120)) mid = ui_px(f, 120);
    f->status = (SDL_FRect){0, 0, W, sh};
    f->nar = (SDL_FRect){0, top + mid, W, nh};
    f->tl = (SDL_FRect){0, H - th, W, th};
    for (int i = 0; i < 4; i++) f->panel_zoom[i] = 1;
    SDL_FRect zero = {0, 0, 0, 0};
    f->topo = f->seq = f->dia = f->evp = f->pinr = zero;
    SDL_FRect all = {0, top, W, mid};
    switch (f->v->focus) {
    case UI_FOCUS_NET:
        f->topo = all;
        f->panel_zoom[0] = 1.25f;
        break;
    case UI_FOCUS_SEQ:
        f->seq = all;
        f->panel_zoom[1] = 1.35f;
        break;
    case UI_FOCUS_DIALOGUE:
        f->dia = all;
        f->panel_zoom[2] = 1.5f;
        break;
    case UI_FOCUS_EVENT:
        f->evp = all;
        f->panel_zoom[3] = 1.5f;
        break;
    case UI_FOCUS_NONE:
    default:
        f->compact = H / f->s < 950 || W / f->s < 1700;
        if (!f->compact) {
            float split = W * 0.57f;
            float dh = ui_px(f, 480), eh = ui_px(f, 250);
            if (dh > mid * 0.6f) dh = mid * 0.6f;
            if (eh > mid * 0.4f) eh = mid * 0.4f;
            f->topo = (SDL_FRect){0, top, split, mid - eh};
            f->evp = (SDL_FRect){0, top + mid - eh, split, eh};
            f->seq = (SDL_FRect){split, top, W - split, mid - dh};
            f->dia = (SDL_FRect){split, top + mid - dh, W - split, dh};
        } else {
            float split = W * 0.56f, eh = ui_px(f, 200);
            if (eh > mid * 0.4f) eh = mid * 0.4f;
            f->topo = (SDL_FRect){0, top, split, mid};
            f->dia = (SDL_FRect){split, top, W - split, mid - eh};
            f->evp = (SDL_FRect){split, top + mid - eh, W - split, eh};
        }
        break;
    }
    if (f->v->n_pins && f->topo.w > 0) { /* pinned cards: a strip at the network's edge */
        float pw = ui_px(f, 430);
        if (pw > f->topo.w / 2) pw = f->topo.w / 2;
        f->topo.w -= pw;
        f->pinr = (SDL_FRect){f->topo.x + f->topo.w, f->topo.y, pw, f->topo.h};
    }
}

/* Text and drawing scale together: 1 at 1080 lines. A smaller frame does
 * not shrink text below 0.875 (the smallest text keeps 14 px capitals at
 * 720 lines); the layout changes instead. On a 1080p screen the window is a
 * little shorter than the screen (title bar, panels: 1040 px or so): the
 * panels give up those pixels, not the text. */
static float ui_base_scale(float W, float H)
{
    float geo = fminf(H / 1080.0f, W / 1920.0f);
    float base = geo < 0.875f ? 0.875f : geo;
    if (H >= 1000 && W >= 1800 && base < 1) base = 1;
    return base;
}

/* Zoom grows text and drawing together, so it shrinks the frame the panels
 * are laid out in (the frame's pixels over the scale). It stops where that
 * frame is as small as a 1280x720 window's at zoom 1 (1463 x 823 at scale
 * 1), the least the layout is built and tested for (tests/ui/test_layout.c):
 * beyond, the network's texts would have to overlap its icons. */
#define UI_ZOOM_LEAST_W (1280.0 / 0.875)
#define UI_ZOOM_LEAST_H (720.0 / 0.875)

double ui_zoom_max(int w, int h)
{
    double base = ui_base_scale((float)w, (float)h);
    double s = fmin((double)w / UI_ZOOM_LEAST_W, (double)h / UI_ZOOM_LEAST_H);
    return s / base > 1 ? s / base : 1;
}

double ui_zoom_next(double zoom, int dir, int w, int h)
{
    if (dir == 0) return 1;
    double max = ui_zoom_max(w, h);
    if (dir > 0) { /* the last step may be shorter: up to the largest */
        if (zoom >= max - 1e-9) return zoom;
        return zoom * UI_ZOOM_STEP > max ? max : zoom * UI_ZOOM_STEP;
    }
    double z = (zoom > max ? max : zoom) / UI_ZOOM_STEP; /* the window may have shrunk */
    return z < UI_ZOOM_MIN ? zoom : z;
}

void ui_draw(struct ui_gfx *g, const struct ui_model *m, const struct ui_view *v,
             struct ui_stats *stats)
{
    struct ui_frame f;
    memset(&f, 0, sizeof f);
    f.g = g;
    f.m = m;
    f.v = v;
    f.c = ui_themes[v->theme < UI_THEME_COUNT ? v->theme : UI_THEME_DARK];
    f.W = (float)g->w;
    f.H = (float)g->h;
    double zmax = ui_zoom_max(g->w, g->h);
    double zoom = v->zoom < UI_ZOOM_MIN ? UI_ZOOM_MIN : v->zoom > zmax ? zmax : v->zoom;
    f.z = (float)zoom;
    f.s = ui_base_scale(f.W, f.H) * f.z;
    g->scale = f.s;
    f.t = ui_view_time(v, m);
    ui_p_begin(g);
    ui_state_init(m, &f.st);
    ui_model_state(m, v->step, &f.st);
    f.hx = ms_xcalloc(m->nh + 1, sizeof *f.hx);
    f.hy = ms_xcalloc(m->nh + 1, sizeof *f.hy);
    f.hbox = ms_xcalloc(m->nh + 1, sizeof *f.hbox);
    f.htext = ms_xcalloc(m->nh + 1, sizeof *f.htext);
    ui_layout_frame(&f);

    SDL_FRect none = {0, 0, 0, 0};
    float s_all = f.s;
    if (f.topo.w > 0) {
        g->role = "net";
        f.s = s_all * f.panel_zoom[0];
        ui_d_topology(&f);
        g->role = "pins";
        ui_d_pins(&f);
    }
    if (f.seq.w > 0) {
        g->role = "seq";
        f.s = s_all * f.panel_zoom[1];
        ui_d_seq(&f);
    }
    if (f.dia.w > 0) {
        g->role = "dialogue";
        f.s = s_all * f.panel_zoom[2];
        if (v->whole_conn)
            ui_d_whole_conn(&f);
        else
            ui_d_dialogue(&f);
    }
    if (f.evp.w > 0) {
        g->role = "event";
        f.s = s_all * f.panel_zoom[3];
        if (v->future)
            ui_d_future(&f);
        else
            ui_d_event(&f);
    }
    f.s = s_all;
    (void)none;
    g->role = "narration";
    ui_d_narration(&f);
    g->role = "timeline";
    ui_d_timeline(&f);
    g->role = "status";
    ui_d_status(&f);
    /* Panel borders. */
    const SDL_FRect *panels[] = {&f.topo, &f.seq, &f.dia, &f.evp};
    for (size_t i = 0; i < 4; i++) {
        const SDL_FRect *r = panels[i];
        if (r->w <= 0) continue;
        ui_p_fill(g, r->x + r->w - 1, r->y, 2, r->h, f.c->grid);
        ui_p_fill(g, r->x, r->y + r->h - 1, r->w, 2, f.c->grid);
    }
    g->role = "overlay";
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
    free(f.htext);
    free(f.lab);
    ui_state_free(&f.st);
    if (stats) *stats = g->stats;
}
