/* ui_draw_seq.c -- the sequence diagram panel: one lifeline per host, one
 * arrow per protocol line or segment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- sequence diagram ------------------------------------------------------------------- */

/* The label of one DATA: "message, 14 lines, 3.9 kB" (the lines from this
 * first line of message text to the lone dot). */
static void ui_seq_message(const struct ui_model *m, size_t rec, char *out, size_t cap)
{
    const struct trace_line *l = trace_as_line(trace_get(m->tr, rec));
    size_t c0 = m->conn_off[l->conn], cn = m->conn_off[l->conn + 1] - c0;
    size_t p = ui_lower(m->conn_lines + c0, cn, rec), lines = 0, bytes = 0;
    for (; p < cn; p++) {
        size_t r = m->conn_lines[c0 + p];
        const struct ui_dline *d = ui_model_dline(m, r);
        if (!d || d->kind != UI_DL_DATA) break;
        size_t len;
        trace_data(trace_get(m->tr, r), &len);
        lines++;
        bytes += len;
    }
    if (bytes >= 1000)
        snprintf(out, cap, "message, %zu lines, %.1f kB", lines, (double)bytes / 1000.0);
    else
        snprintf(out, cap, "message, %zu lines, %zu bytes", lines, bytes);
}

/* How many further lines the reply that starts at rec has. */
static size_t ui_seq_more(const struct ui_model *m, size_t rec)
{
    const struct trace_line *l = trace_as_line(trace_get(m->tr, rec));
    size_t c0 = m->conn_off[l->conn], cn = m->conn_off[l->conn + 1] - c0, n = 0;
    for (size_t p = ui_lower(m->conn_lines + c0, cn, rec) + 1; p < cn; p++) {
        size_t r = m->conn_lines[c0 + p];
        const struct trace_line *lr = trace_as_line(trace_get(m->tr, r));
        if (lr->side != l->side) continue; /* the other side's lines in between */
        const struct ui_dline *d = ui_model_dline(m, r);
        if (!d || d->kind != UI_DL_MORE) break;
        n++;
    }
    return n;
}

void ui_d_seq(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->seq;
    float px = ui_px(f, UI_PX_LABEL), pad = ui_px(f, 14);
    ui_d_panel(f, r, UI_FOCUS_SEQ);
    ui_p_text(g, UI_F_BOLD, px, f->c->dim, r.x + pad, r.y + ui_px(f, 4), UI_AL_LEFT,
              "Sequence diagram");
    if (m->n_cols == 0) {
        ui_p_noclip(g);
        return;
    }
    /* Lifeline names: in as few rows as let none touch its neighbour. */
    float *colx = ms_xmalloc(m->n_cols * sizeof *colx);
    int *nrow = ms_xcalloc(m->n_cols, sizeof *nrow);
    float edge = pad;
    int tw0, th0, twn, thn;
    ui_p_text_size(g, UI_F_BOLD, px, m->hosts[m->col_host[0]].name, &tw0, &th0);
    ui_p_text_size(g, UI_F_BOLD, px, m->hosts[m->col_host[m->n_cols - 1]].name, &twn, &thn);
    float left = r.x + edge + (float)tw0 / 2, right = r.x + r.w - edge - (float)twn / 2;
    if (right < left) left = right = r.x + r.w / 2;
    for (size_t c = 0; c < m->n_cols; c++)
        colx[c] = m->n_cols > 1 ? left + (right - left) * (float)c / (float)(m->n_cols - 1)
                                : r.x + r.w / 2;
    float row_end[4] = {-1e9f, -1e9f, -1e9f, -1e9f};
    int rows_used = 1;
    for (size_t c = 0; c < m->n_cols; c++) {
        int tw, th;
        ui_p_text_size(g, UI_F_BOLD, px, m->hosts[m->col_host[c]].name, &tw, &th);
        int k = 0;
        while (k < 3 && colx[c] - (float)tw / 2 < row_end[k] + ui_px(f, 12)) k++;
        nrow[c] = k;
        row_end[k] = colx[c] + (float)tw / 2;
        if (k + 1 > rows_used) rows_used = k + 1;
    }
    float name_y = r.y + (float)th0 + ui_px(f, 6), name_h = (float)th0;
    float head = name_y - r.y + name_h * (float)rows_used + ui_px(f, 8);
    for (size_t c = 0; c < m->n_cols; c++) {
        float ny = name_y + name_h * (float)nrow[c];
        ui_p_line(g, colx[c], ny + name_h, colx[c], r.y + r.h, ui_px(f, 2), f->c->grid);
        ui_p_text(g, UI_F_BOLD, px, f->c->text, colx[c], ny, UI_AL_CENTER,
                  m->hosts[m->col_host[c]].name);
    }
    const size_t *rows = f->v->tcp_detail ? m->rows_tcp : m->rows;
    size_t nrows = f->v->tcp_detail ? m->n_rows_tcp : m->n_rows;
    size_t p = ui_lower(rows, nrows, f->v->step); /* rows before the step */
    int lw_, lh_;
    ui_p_text_size(g, UI_F_SANS, px, "Ag", &lw_, &lh_);
    float slant_max = m->lat && !f->v->seq_flat ? ui_px(f, 16) : 0;
    float rowh = (float)lh_ + slant_max + ui_px(f, 16);
    size_t vis = (size_t)((r.h - head - ui_px(f, 8)) / rowh);
    if (vis < 1) vis = 1;
    size_t back = f->v->seq_back, last = p;
    if (back > (last > vis ? last - vis : 0)) back = last > vis ? last - vis : 0;
    last -= back;
    size_t first = last > vis ? last - vis : 0;
    for (size_t i = first; i < last; i++) {
        size_t rec = rows[i];
        const struct trace_rec *tr = trace_get(m->tr, rec);
        uint32_t from, to;
        char text[160], label[260];
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
            const struct ui_dline *dl = ui_model_dline(m, rec);
            if (dl && dl->kind == UI_DL_DATA) {
                ui_seq_message(m, rec, text, sizeof text);
            } else {
                ui_first_line(data, dlen, text, 150);
                size_t more = ui_seq_more(m, rec);
                if (more) {
                    size_t o = strlen(text);
                    snprintf(text + o, sizeof text - o, "  (+%zu line%s)", more,
                             more == 1 ? "" : "s");
                }
            }
            if (!text[0]) snprintf(text, sizeof text, "(empty line)");
            /* TLS: the engine's typed facts, see ui_draw_dialogue.c; the
             * reply that starts TLS says so in the longest words that fit */
            snprintf(label, sizeof label, "%s %s%s", ui_proto_shape[proto],
                     (l->flags & TRACE_LF_TLS) ? "[TLS] " : "", text);
            if (l->flags & TRACE_LF_TLS_START) {
                static const char *const says[] = {"  [STARTTLS: from here encrypted]",
                                                   "  [encrypted from here]", "  [TLS from here]"};
                size_t o = strlen(label), k = 0;
                for (; k + 1 < sizeof says / sizeof says[0]; k++) {
                    int sw, sh;
                    snprintf(label + o, sizeof label - o, "%s", says[k]);
                    ui_p_text_size(g, i + 1 == p ? UI_F_BOLD : UI_F_SANS, px, label, &sw, &sh);
                    if ((float)sw <= r.w - 2 * pad) break;
                }
                snprintf(label + o, sizeof label - o, "%s", says[k]);
            }
        } else if (s) {
            from = s->src;
            to = s->dst;
            proto = ui_seg_proto(tr, s);
            lost = tr->kind == TR_SEG_LOST || tr->kind == TR_DGRAM_LOST;
            if (s->len && dlen) {
                ui_payload_text(m, rec, s, data, dlen, text, 60);
            } else {
                ui_flags_text(s->flags, text, sizeof text);
                if (proto != UI_P_DNS) proto = UI_P_TCP;
            }
            snprintf(label, sizeof label, "%s%s%s%s", s->len ? ui_proto_shape[proto] : "",
                     s->len ? " " : "", lost ? "LOST " : "", text);
        } else {
            continue;
        }
        if (from >= m->nh || to >= m->nh || m->column[from] < 0 || m->column[to] < 0) continue;
        float ytop = r.y + head + rowh * (float)(i - first);
        float y = ytop + (float)lh_ + ui_px(f, 6) + slant_max / 2;
        float x1 = colx[m->column[from]], x2 = colx[m->column[to]];
        /* Slanted by the one-way latency (A: flat): the arrow arrives lower. */
        float slant = 0;
        if (!f->v->seq_flat && m->lat && m->max_lat > 0) {
            sim_us d = m->lat[(size_t)from * m->nh + to];
            slant = slant_max * (float)((double)d / (double)m->max_lat);
        }
        bool current = i + 1 == p;
        if (current) ui_p_fill(g, r.x, ytop, r.w, rowh, f->c->hi_bg);
        uint32_t col = lost ? UI_LOST : ui_proto_fill[proto];
        if (proto == UI_P_TCP && !lost) col = f->c->dim;
        if (current && !lost) col = f->c->hi_text;
        float dir = x2 >= x1 ? 1.0f : -1.0f, ah = ui_px(f, 12), th = ui_px(f, current ? 4 : 3);
        float y1 = y - slant / 2, y2 = y + slant / 2;
        if (lost) {
            /* It stops short of the host it never reached, with a cross on
             * its own path (between lifelines, never on one). */
            float xm = x1 + (x2 - x1) * 0.7f;
            for (size_t c = 0; c < m->n_cols; c++)
                if (fabsf(colx[c] - xm) < ui_px(f, 24)) xm = colx[c] - dir * ui_px(f, 30);
            float ym = y1 + (y2 - y1) * (xm - x1) / (x2 - x1 != 0 ? x2 - x1 : 1);
            ui_p_dashed(g, x1, y1, xm, ym, th, ui_px(f, 8), col);
            float c9 = ui_px(f, 10);
            ui_p_line(g, xm - c9, ym - c9, xm + c9, ym + c9, ui_px(f, 4), col);
            ui_p_line(g, xm - c9, ym + c9, xm + c9, ym - c9, ui_px(f, 4), col);
        } else {
            float ax = x2 - dir * ah,
                  ay = y2 - (y2 - y1) * ah / (fabsf(x2 - x1) > 1 ? fabsf(x2 - x1) : 1);
            ui_p_line(g, x1, y1, ax, ay, th, col);
            ui_p_tri(g, x2, y2, ax, ay - ah * 0.6f, ax, ay + ah * 0.6f, col);
        }
        /* The label over the arrow's middle, never cut short when it fits
         * the panel. */
        int tw, tth;
        enum ui_font font = current ? UI_F_BOLD : UI_F_SANS;
        ui_p_text_size(g, font, px, label, &tw, &tth);
        float maxw = r.w - 2 * pad;
        float w = (float)tw < maxw ? (float)tw : maxw;
        float tx = (x1 + x2) / 2 - w / 2;
        if (tx + w > r.x + r.w - pad) tx = r.x + r.w - pad - w;
        if (tx < r.x + pad) tx = r.x + pad;
        ui_p_text_fit(g, font, px,
                      current ? f->c->hi_text
                      : lost  ? UI_LOST
                              : f->c->text,
                      tx, ytop + ui_px(f, 1), maxw, label);
        struct ui_hit hit = {UI_HIT_ARROW, 0, rec, 0};
        ui_p_hit(g, r.x, ytop, r.w, rowh, hit);
        if (l && (l->flags & TRACE_LF_TLS_START)) /* the border: encrypted below */
            ui_p_dashed(g, r.x, ytop + rowh - ui_px(f, 2), r.x + r.w, ytop + rowh - ui_px(f, 2),
                        ui_px(f, 3), ui_px(f, 10), f->c->link);
        g->stats.arrows++;
    }
    if (nrows > vis) { /* a scroll bar: the rows shown in the whole run */
        float bh = r.h - head - ui_px(f, 8), bx = r.x + r.w - ui_px(f, 8), top = r.y + head;
        float y0 = top + bh * (float)first / (float)nrows;
        float y1 = top + bh * (float)last / (float)nrows;
        ui_p_fill(g, bx, top, ui_px(f, 4), bh, f->c->grid);
        ui_p_fill(g, bx - ui_px(f, 1), y0, ui_px(f, 6), y1 - y0 > 4 ? y1 - y0 : 4, f->c->dim);
    }
    if (back) {
        char note[64];
        snprintf(note, sizeof note, "%zu rows back (PageDown)", back);
        ui_p_text(g, UI_F_SANS, px, f->c->dim, r.x + r.w - pad, r.y + ui_px(f, 4), UI_AL_RIGHT,
                  note);
    }
    free(colx);
    free(nrow);
    ui_p_noclip(g);
}
