/* ui_draw_event.c -- the current-event panel (the record at the step, its
 * meaning and RFC section, the legend) and the future-event view (E). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- current event, legend ---------------------------------------------------------------- */

void ui_d_event(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->evp;
    float px = ui_px(f, UI_PX_SMALL), pad = ui_px(f, 14), wrap = r.w - 2 * pad;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel);
    ui_p_clip(g, r.x, r.y, r.w, r.h);
    /* Legend at the bottom first: colour, shape and name of each protocol. */
    int lgw, lgh;
    ui_p_text_size(g, UI_F_SANS, px, "SMTP", &lgw, &lgh);
    float ly = r.y + r.h - (float)lgh - ui_px(f, 6), lx = r.x + pad;
    float sw = (float)lgh * 0.9f;
    for (int p = 1; p <= UI_P_COUNT; p++) {
        bool lost = p == UI_P_COUNT;
        const char *name = lost ? "lost" : ui_proto_names[p];
        int nw, nh;
        ui_p_text_size(g, UI_F_SANS, px, name, &nw, &nh);
        if (lx + sw + ui_px(f, 6) + (float)nw > r.x + r.w - pad) break; /* no room: the rest */
        ui_p_rrect(g, lx, ly + ((float)lgh - sw) / 2, sw, sw, ui_px(f, 4),
                   lost ? UI_LOST : ui_proto_fill[p]);
        if (!lost)
            ui_p_text(g, UI_F_SANS, px * 0.8f < ui_px(f, UI_PX_SMALL) ? px : px * 0.8f,
                      ui_proto_ink[p], lx + sw / 2, ly, UI_AL_CENTER, ui_proto_shape[p]);
        lx += sw + ui_px(f, 6);
        lx +=
            (float)ui_p_text(g, UI_F_SANS, px, f->c->text, lx, ly, UI_AL_LEFT, name) + ui_px(f, 18);
    }
    float bottom = ly - ui_px(f, 4);
    char head[96];
    snprintf(head, sizeof head, "Step %zu of %zu (I: inspector)", f->v->step, m->n);
    int hw, hh;
    ui_p_text_size(g, UI_F_BOLD, px, head, &hw, &hh);
    ui_p_text(g, UI_F_BOLD, px, f->c->dim, r.x + pad, r.y + ui_px(f, 4), UI_AL_LEFT, head);
    float y = r.y + (float)hh + ui_px(f, 8);
    if (f->v->step == 0) {
        ui_p_text_fit(g, UI_F_SANS, px, f->c->text, r.x + pad, y, wrap,
                      "Nothing has happened yet: press Space or Right.");
        ui_p_noclip(g);
        return;
    }
    const struct trace_rec *cur = trace_get(m->tr, f->v->step - 1);
    const struct trace_line *l = trace_as_line(cur);
    const struct trace_seg *sg = trace_as_seg(cur);
    size_t dlen;
    const uint8_t *d = trace_data(cur, &dlen);
    const char *proto = l            ? trace_str(m->tr, l->proto)
                        : sg && dlen ? ui_proto_names[ui_seg_proto(cur, sg)]
                                     : NULL;
    char line[600], first[160], expl[400];
    int th = hh;
    if (l || sg) { /* what was said, large */
        if (dlen && sg)
            ui_payload_text(m, f->v->step - 1, sg, d, dlen, first, 150);
        else if (dlen)
            ui_first_line(d, dlen, first, 150);
        else
            ui_flags_text(sg->flags, first, sizeof first);
        snprintf(expl, sizeof expl, "%s%s", l ? (l->side == 'C' ? "C: " : "S: ") : "", first);
        ui_p_text_fit(g, UI_F_BOLD, px, f->c->text, r.x + pad, y, wrap, expl);
        y += (float)th + ui_px(f, 2);
    }
    const char *meaning, *rfc;
    char kw[32];
    bool ext = ui_ehlo_explain(m, f->v->step - 1, kw, sizeof kw, &meaning, &rfc);
    if (ext || (proto && ui_rfc_explain(proto, (const char *)d, dlen, &meaning, &rfc))) {
        if (ext) /* an EHLO reply's extension line: the extension itself */
            snprintf(expl, sizeof expl, "Extension %s: %s (%s)", kw, meaning, rfc);
        else
            snprintf(expl, sizeof expl, "%s (%s)", meaning, rfc);
        int eh = ui_p_text_wrap_height(g, UI_F_SANS, px, (int)wrap, expl);
        if (y + (float)eh <= bottom) {
            ui_p_text_wrap(g, UI_F_SANS, px, f->c->server, r.x + pad, y, (int)wrap, expl, NULL);
            y += (float)eh + ui_px(f, 2);
        } else if (y + (float)th <= bottom) {
            ui_p_text_fit(g, UI_F_SANS, px, f->c->server, r.x + pad, y, wrap, expl);
            y += (float)th + ui_px(f, 2);
        }
    }
    /* The record as the transcript prints it, as much as fits. */
    trace_format_line(m->tr, f->v->step - 1, line, sizeof line);
    int rh = ui_p_text_wrap_height(g, UI_F_MONO, px, (int)wrap, line);
    if (y + (float)rh <= bottom)
        ui_p_text_wrap(g, UI_F_MONO, px, f->c->text, r.x + pad, y, (int)wrap, line, NULL);
    else if (y + (float)th <= bottom)
        ui_p_text_fit(g, UI_F_MONO, px, f->c->text, r.x + pad, y, wrap, line);
    ui_p_noclip(g);
}

/* The future-event view (E): what the simulation has scheduled
 * next, earliest first, with how long until each is due. */
void ui_d_future(struct ui_frame *f)
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
    ui_p_text(g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, r.x + ui_px(f, 14), r.y + ui_px(f, 8),
              UI_AL_LEFT, head);
    float y = r.y + ui_px(f, 40), row = ui_px(f, 28);
    if (n == 0)
        ui_p_text(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->text, r.x + ui_px(f, 14), y,
                  UI_AL_LEFT, "Nothing is scheduled: the simulation would stop here.");
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
        ui_p_text(g, UI_F_MONO, ui_px(f, UI_PX_SMALL), col, r.x + ui_px(f, 14), y, UI_AL_LEFT,
                  when);
        ui_p_text(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, r.x + ui_px(f, 160), y,
                  UI_AL_LEFT, in);
        ui_p_text(g, i == 0 ? UI_F_BOLD : UI_F_SANS, ui_px(f, UI_PX_SMALL), col,
                  r.x + ui_px(f, 270), y, UI_AL_LEFT, line);
        y += row;
    }
    ui_p_noclip(g);
}
