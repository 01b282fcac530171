/* ui_draw_seq.c -- the sequence diagram panel: one lifeline per host, one
 * arrow per protocol line or segment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- sequence diagram ------------------------------------------------------------------- */

void ui_d_seq(struct ui_frame *f)
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
