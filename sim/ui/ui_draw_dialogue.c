/* ui_draw_dialogue.c -- the dialogue panel: the protocol lines of one
 * connection, client and server, with the engines' states. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- dialogue ------------------------------------------------------------------------------ */

/* The line of conn (index into its lines) that the step shows: the latest
 * line of the connection sent or received at or before the step. A received
 * line is matched to the peer's sent lines in order (TCP keeps it). n when
 * none. */
static size_t ui_dia_current(const struct ui_frame *f, uint32_t conn, const size_t *lines, size_t n)
{
    const struct ui_model *m = f->m;
    size_t k = f->v->step, stop = k > 20000 ? k - 20000 : 0;
    if (n == 0 || k <= lines[0]) return n;
    for (size_t i = k; i-- > stop && i >= lines[0];) {
        const struct trace_rec *r = trace_get(m->tr, i);
        const struct trace_line *l = trace_as_line(r);
        if (!l || l->conn != conn) continue;
        if (r->kind == TR_LINE_SENT) return ui_lower(lines, n, i);
        /* Received by l->host: the how-many-th? */
        size_t nth = 0;
        for (size_t j = lines[0]; j <= i; j++) {
            const struct trace_rec *rj = trace_get(m->tr, j);
            const struct trace_line *lj = trace_as_line(rj);
            if (lj && rj->kind == TR_LINE_RECEIVED && lj->conn == conn && lj->host == l->host)
                nth++;
        }
        for (size_t j = 0; j < n; j++) {
            const struct trace_line *lj = trace_as_line(trace_get(m->tr, lines[j]));
            if (lj->host == l->host) continue;
            if (--nth == 0) return j;
        }
        return n;
    }
    return n;
}

/* TLS (STARTTLS, live mode's implicit-TLS ports): the engine's typed facts
 * say where encryption begins (TRACE_LF_TLS_START) and which lines travel
 * inside it (TRACE_LF_TLS). A bar at the left marks a line only the two
 * endpoints see; a rule under the reply that starts TLS is the border, and
 * a row of its own below it says so in words (ui_dia_tls_banner). */
static void ui_dia_tls_mark(struct ui_frame *f, unsigned flags, SDL_FRect r, float y, float lh)
{
    if (flags & TRACE_LF_TLS)
        ui_p_fill(f->g, r.x + ui_px(f, 2), y - ui_px(f, 1), ui_px(f, 6), lh, f->c->link);
    if (flags & TRACE_LF_TLS_START)
        ui_p_dashed(f->g, r.x, y + lh - ui_px(f, 2), r.x + r.w, y + lh - ui_px(f, 2), ui_px(f, 3),
                    ui_px(f, 10), f->c->link);
}

/* The rows under the reply that starts TLS: what the border means, in the
 * words that fit maxw. With room (room >= 2 rows) two rows: "encrypted
 * from here" and "below, what only the endpoints see"; else one. Draws
 * only when draw; returns the rows used (1 or 2). */
static size_t ui_dia_tls_banner(struct ui_frame *f, bool draw, float x, float y, float lh,
                                float maxw, float lpx, size_t room)
{
    static const char *const one[] = {"Encrypted from here: only the endpoints see below",
                                      "Encrypted from here"};
    static const char l1[] = "Encrypted from here on the wire.";
    static const char *const l2[] = {"Below: the plaintext only the two endpoints see",
                                     "Below: what only the endpoints see"};
    int w, h;
    ui_p_text_size(f->g, UI_F_BOLD, lpx, one[0], &w, &h);
    if ((float)w <= maxw || room < 2) {
        if (draw) ui_p_text_fit(f->g, UI_F_BOLD, lpx, f->c->text, x, y, maxw, one[(float)w > maxw]);
        return 1;
    }
    size_t k = 0;
    for (; k < 2; k++) {
        ui_p_text_size(f->g, UI_F_SANS, lpx, l2[k], &w, &h);
        if ((float)w <= maxw) break;
    }
    int w1;
    ui_p_text_size(f->g, UI_F_BOLD, lpx, l1, &w1, &h);
    if (k == 2 || (float)w1 > maxw) {
        if (draw) ui_p_text_fit(f->g, UI_F_BOLD, lpx, f->c->text, x, y, maxw, one[1]);
        return 1;
    }
    if (draw) {
        ui_p_text(f->g, UI_F_BOLD, lpx, f->c->text, x, y, UI_AL_LEFT, l1);
        ui_p_text(f->g, UI_F_SANS, lpx, f->c->text, x, y + lh, UI_AL_LEFT, l2[k]);
    }
    return 2;
}

void ui_d_dialogue(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->dia;
    float px = ui_px(f, UI_PX_LABEL), lpx = ui_px(f, UI_PX_LABEL), pad = ui_px(f, 14);
    ui_d_panel(f, r, UI_FOCUS_DIALOGUE);
    uint32_t conn = f->v->conn;
    if (conn == 0 && f->st.last_line)
        conn = trace_as_line(trace_get(m->tr, f->st.last_line - 1))->conn;
    if (conn == 0 || conn >= m->n_conns || m->conn_off[conn] == m->conn_off[conn + 1]) {
        ui_p_text(g, UI_F_BOLD, px, f->c->dim, r.x + pad, r.y + ui_px(f, 6), UI_AL_LEFT,
                  "Dialogue: no protocol line yet");
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
        const char *st = trace_str(m->tr, l->state_after);
        if (l->host == client && !cstate) cstate = st;
        if (l->host != client && !sstate) sstate = st;
    }
    char head[256];
    snprintf(head, sizeof head, "Dialogue  %s %s  %s \xe2\x86\x92 %s  (connection %u%s)",
             ui_proto_shape[ui_proto_of_name(proto)], proto, trace_host_name(m->tr, client),
             trace_host_name(m->tr, server), conn, f->v->conn ? ", C: next" : "");
    int hw, hh;
    ui_p_text_size(g, UI_F_BOLD, px, head, &hw, &hh);
    ui_p_text_fit(g, UI_F_BOLD, px, f->c->text, r.x + pad, r.y + ui_px(f, 4), r.w - 2 * pad, head);
    char st[256];
    snprintf(st, sizeof st, "%s server: %s    client: %s", proto, sstate ? sstate : "-",
             cstate ? cstate : "-");
    float sy = r.y + r.h - (float)hh - ui_px(f, 8);
    ui_p_fill(g, r.x, sy - ui_px(f, 4), r.w, r.y + r.h - sy + ui_px(f, 4), f->c->panel);
    ui_p_text_fit(g, UI_F_BOLD, px, f->c->server, r.x + pad, sy, r.w - 2 * pad, st);
    /* The lines: a gutter with the command's number on a command and on its
     * reply, then "C:" or "S:" and the line. */
    int lw_, lh_;
    ui_p_text_size(g, UI_F_MONO, lpx, "C: Ag", &lw_, &lh_);
    float lh = (float)lh_ + ui_px(f, 2), top = r.y + (float)hh + ui_px(f, 10);
    size_t vis = (size_t)((sy - ui_px(f, 6) - top) / lh);
    if (vis < 1) vis = 1;
    size_t cur = ui_dia_current(f, conn, lines, nl);
    size_t last = upto; /* one past the last line shown */
    if (cur < nl && cur + 1 > last) last = cur + 1;
    size_t back = f->v->dia_back;
    if (back > last - (last < vis ? last : vis)) back = last - (last < vis ? last : vis);
    last -= back;
    size_t first = last > vis ? last - vis : 0;
    int gw, gh;
    ui_p_text_size(g, UI_F_MONO, lpx, "99", &gw, &gh);
    float gx = r.x + pad, tx = gx + (float)gw + ui_px(f, 10);
    float maxw = r.x + r.w - pad - ui_px(f, 10) - tx;
    /* A reply that starts TLS is followed by banner rows (two when the panel
     * has six rows or more): the earliest lines make room. */
    size_t brows = ui_dia_tls_banner(f, false, 0, 0, lh, maxw, lpx, vis >= 6 ? 2 : 1);
    for (size_t i = first; i < last; i++) {
        if (!(trace_as_line(trace_get(m->tr, lines[i]))->flags & TRACE_LF_TLS_START)) continue;
        for (size_t k = 0; k < brows; k++)
            if (last - first > 1 && (size_t)(last - first) + brows > vis) first++;
    }
    size_t row = 0;
    for (size_t i = first; i < last; i++) {
        const struct trace_rec *tr = trace_get(m->tr, lines[i]);
        const struct trace_line *l = trace_as_line(tr);
        const struct ui_dline *dl = ui_model_dline(m, lines[i]);
        size_t dlen;
        const uint8_t *data = trace_data(tr, &dlen);
        char text[200], line[260];
        ui_first_line(data, dlen, text, 190);
        snprintf(line, sizeof line, "%c: %s", l->side == 'C' ? 'C' : 'S', text);
        float y = top + lh * (float)row++;
        bool current = i == cur;
        if (current) ui_p_fill(g, r.x, y - ui_px(f, 1), r.w, lh, f->c->hi_bg);
        ui_dia_tls_mark(f, l->flags, r, y, lh);
        uint32_t col = current ? f->c->hi_text : l->side == 'C' ? f->c->client : f->c->server;
        if (dl && dl->pair && (dl->kind == UI_DL_CMD || dl->kind == UI_DL_REPLY)) {
            char num[16];
            snprintf(num, sizeof num, "%u", (unsigned)(dl->pair % 100));
            ui_p_text(g, UI_F_BOLD, lpx, current ? f->c->hi_text : f->c->dim, gx + (float)gw, y,
                      UI_AL_RIGHT, num);
        } else if (dl && dl->kind == UI_DL_MORE && dl->pair) {
            ui_p_fill(g, gx + (float)gw - ui_px(f, 6), y, ui_px(f, 3), lh, f->c->dim);
        }
        float lw =
            (float)ui_p_text_fit(g, current ? UI_F_BOLD : UI_F_MONO, lpx, col, tx, y, maxw, line);
        /* The blank line between header and body, the end-of-data dot. */
        enum ui_callout co = ui_line_callout(m, lines[i]);
        float cx = tx + lw + ui_px(f, 14);
        if (co != UI_CO_NONE && cx + ui_px(f, 60) < tx + maxw)
            ui_p_text_fit(g, UI_F_SANS, lpx, current ? f->c->hi_text : f->c->dim, cx, y,
                          tx + maxw - cx, ui_callout_text(co));
        struct ui_hit hit = {UI_HIT_ARROW, conn, lines[i], 0};
        ui_p_hit(g, r.x, y, r.w, lh, hit);
        g->stats.dialogue_lines++;
        if ((l->flags & TRACE_LF_TLS_START) && row < vis)
            row += ui_dia_tls_banner(f, true, tx, top + lh * (float)row, lh, maxw, lpx,
                                     vis - row >= brows ? brows : 1);
    }
    if (nl > vis) { /* a scroll bar: where the lines shown are in the whole dialogue */
        float bh = sy - ui_px(f, 8) - top, bx = r.x + r.w - ui_px(f, 8);
        float y0 = top + bh * (float)first / (float)nl;
        float y1 = top + bh * (float)(upto > last ? last : last) / (float)nl;
        ui_p_fill(g, bx, top, ui_px(f, 4), bh, f->c->grid);
        ui_p_fill(g, bx - ui_px(f, 1), y0, ui_px(f, 6), y1 - y0 > 4 ? y1 - y0 : 4, f->c->dim);
    }
    ui_p_noclip(g);
}
