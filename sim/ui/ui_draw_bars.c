/* ui_draw_bars.c -- the bars across the window: narration, timeline and
 * the status line. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

void ui_d_narration(struct ui_frame *f)
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
    /* Large: 38 px, a long narration steps down to 34 (24 px capitals at
     * 1080 lines) to fit the bar. */
    int wrap = (int)(r.w - ui_px(f, 40));
    float px = ui_px(f, UI_PX_NARR);
    /* A small frame (14 px floor) may go further down, and zoomed in, a
     * narration that does not fit gives its zoom back. */
    float least = (f->H >= 1000 ? UI_PX_NARR : UI_PX_SMALL) / f->z;
    for (float size = UI_PX_NARR + 4;; size -= 2) {
        if (size < least) size = least; /* the bar is sized for this one */
        px = ui_px(f, size);
        if (size <= least) break;
        if (ui_p_text_wrap_height(f->g, UI_F_BOLD, px, wrap, text) <= r.h - ui_px(f, 8)) break;
    }
    ui_p_text_wrap(f->g, UI_F_BOLD, px, ink, r.x + ui_px(f, 20), r.y + ui_px(f, 4), wrap, text,
                   NULL);
    ui_p_noclip(f->g);
}

/* ---- timeline and status -------------------------------------------------------------- */

void ui_d_timeline(struct ui_frame *f)
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
        sim_us end_ct = ui_model_ct(m, m->n - 1);
        double total = (double)(end_ct > 0 ? end_ct : 1);
        /* Every record 1, a line sent 2, a message event 3: from the
         * model's indexes, so that no record is read; one walk through the
         * compressed times, the line and message indexes in step. */
        sim_us ct = 0;
        size_t jl = 0, jm = 0;
        for (size_t i = 0; i < m->n; i++) {
            ct += m->ct_gap[i];
            int x = (int)((double)ct / total * (iw - 1));
            if (m->bins[x] < 1) m->bins[x] = 1;
            if (jl < m->n_lines && m->lines[jl] == i) {
                if (m->bins[x] < 2) m->bins[x] = 2;
                jl++;
            }
            if (jm < m->n_msgs && m->msgs[jm] == i) {
                m->bins[x] = 3;
                jm++;
            }
        }
    }
    for (int x = 0; x < iw; x++) {
        uint8_t b = m->bins[x];
        if (!b) continue;
        float h = b == 3 ? th : b == 2 ? th * 0.7f : th * 0.4f;
        uint32_t c = b == 3 ? 0xf0e442ffu : b == 2 ? 0x56b4e9ffu : f->c->dim;
        ui_p_fill(g, x0 + (float)x, ty + th - h, 1, h, c);
    }
    sim_us end_ct = ui_model_ct(m, m->n - 1);
    double total = (double)(end_ct > 0 ? end_ct : 1);
    /* A lesson of several days gets its days named where they begin, before
     * any gap: "Day 3" says more than the fiftieth "29 min later". */
    enum { UI_MAX_DAYS = 64 };
    float day_l[UI_MAX_DAYS], day_r[UI_MAX_DAYS];
    size_t ndays = 0;
    sim_us end = trace_get(m->tr, m->n - 1)->t;
    for (sim_us d = 1; d * SIM_US_PER_DAY <= end && ndays < UI_MAX_DAYS; d++) {
        size_t i = trace_lower_bound(m->tr, d * SIM_US_PER_DAY);
        if (i >= m->n) break;
        float x = x0 + (float)((double)ui_model_ct(m, i) / total) * w;
        char day[24];
        snprintf(day, sizeof day, "Day %lld", (long long)d + 1);
        int tw, tth;
        ui_p_text_size(g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), day, &tw, &tth);
        float lx = x + ui_px(f, 4);
        if (lx + (float)tw > r.x + r.w - ui_px(f, 4)) lx = r.x + r.w - ui_px(f, 4) - (float)tw;
        if (ndays && lx < day_r[ndays - 1] + ui_px(f, 10)) continue; /* no room: skip */
        ui_p_fill(g, x - ui_px(f, 1), ty - ui_px(f, 4), ui_px(f, 3), th + ui_px(f, 26), f->c->text);
        ui_p_text(g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->text, lx, ty + th + ui_px(f, 6),
                  UI_AL_LEFT, day);
        day_l[ndays] = x - ui_px(f, 2);
        day_r[ndays++] = lx + (float)tw;
        g->stats.day_marks++;
    }
    float last_right = -1e9f, last_mark = -1e9f;
    for (size_t j = 0; j < m->n_gaps; j++) {
        size_t i = m->gaps[j];
        float x = x0 + (float)((double)ui_model_ct(m, i) / total) * w;
        if (x - last_mark < ui_px(f, 16))
            continue; /* marks closer than this would be a grey smear */
        last_mark = x;
        ui_p_line(g, x - ui_px(f, 4), ty + th + ui_px(f, 8), x + ui_px(f, 4), ty, ui_px(f, 2),
                  f->c->text);
        ui_p_line(g, x + ui_px(f, 2), ty + th + ui_px(f, 8), x + ui_px(f, 10), ty, ui_px(f, 2),
                  f->c->text);
        char gap[48];
        sim_us gap_us = (sim_us)m->gap_us[j];
        ui_fmt_gap(gap_us, gap, sizeof gap);
        int tw, tth;
        ui_p_text_size(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), gap, &tw, &tth);
        float lx = x - (float)tw / 2; /* kept inside the timeline */
        if (lx < r.x + ui_px(f, 4)) lx = r.x + ui_px(f, 4);
        if (lx + (float)tw > r.x + r.w - ui_px(f, 4)) lx = r.x + r.w - ui_px(f, 4) - (float)tw;
        bool clear = true;
        for (size_t k = 0; k < ndays && clear; k++)
            clear = lx + (float)tw + ui_px(f, 10) < day_l[k] || lx > day_r[k] + ui_px(f, 10);
        if (clear && gap_us >= 6 * UI_GAP_LABEL_US && lx > last_right + ui_px(f, 10)) {
            ui_p_text(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->text, lx, ty + th + ui_px(f, 6),
                      UI_AL_LEFT, gap);
            last_right = lx + (float)tw;
        }
    }
    /* The cursor. */
    double cpos = 0;
    if (f->v->step > 0) {
        size_t k = f->v->step;
        double a = (double)ui_model_ct(m, k - 1);
        double b = k < m->n ? a + (double)m->ct_gap[k] : a;
        cpos = (a + (b - a) * f->v->frac) / total;
    }
    float cx = x0 + (float)cpos * w;
    ui_p_fill(g, cx - ui_px(f, 2), ty - ui_px(f, 6), ui_px(f, 4), th + ui_px(f, 12), UI_LOST);
    ui_p_tri(g, cx - ui_px(f, 10), ty - ui_px(f, 10), cx + ui_px(f, 10), ty - ui_px(f, 10), cx,
             ty + ui_px(f, 2), UI_LOST);
    struct ui_hit hit = {UI_HIT_TIMELINE, 0, 0, 0};
    ui_p_hit(g, x0, r.y, w, r.h, hit);
}

void ui_d_status(struct ui_frame *f)
{
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->status;
    ui_p_fill(g, r.x, r.y, r.w, r.h, f->c->panel2);
    char clock[64], left[200], right[300];
    ui_fmt_clock(f->t, clock, sizeof clock);
    double sp = ui_view_speed_factor(f->v);
    char spd[64];
    /* What the speed means: at 1x one millisecond of network time takes 50
     * ms on screen (UI_REAL_PER_US in ui_model.c; idle gaps are squeezed). */
    double per = 50.0 / sp;
    char unit[24];
    if (per >= 1)
        snprintf(unit, sizeof unit, "%.0f ms", per);
    else
        snprintf(unit, sizeof unit, "%.1f ms", per);
    if (f->v->realtime) /* W: no compression, no speed factor */
        snprintf(spd, sizeof spd, "real time (1 s = 1 s)");
    else if (sp < 1)
        snprintf(spd, sizeof spd, "1/%.0f\xc3\x97 (1 ms = %s)", 1 / sp, unit);
    else
        snprintf(spd, sizeof spd, "%.0f\xc3\x97 (1 ms = %s)", sp, unit);
    size_t pos, total;
    ui_view_grain_pos(f->v, f->m, &pos, &total);
    snprintf(left, sizeof left, "%s   %s   %s %zu / %zu   speed %s%s",
             f->v->playing ? "\xe2\x96\xb6 playing" : "\xe2\x9d\x9a\xe2\x9d\x9a paused", clock,
             f->v->grain == UI_GRAIN_LINE ? "line" : "segment", pos, total, spd,
             f->v->tcp_detail ? "" : "   TCP detail hidden (T)");
    int lw = ui_p_text(g, UI_F_BOLD, ui_px(f, 24), f->c->text, r.x + ui_px(f, 16),
                       r.y + ui_px(f, 10), UI_AL_LEFT, left);
    snprintf(right, sizeof right, "%s%s   H: help", f->v->quiz ? "QUIZ   " : "", f->m->title);
    int rw, rh;
    ui_p_text_size(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), right, &rw, &rh);
    float avail = r.w - (float)lw - ui_px(f, 64);
    float w = (float)rw < avail ? (float)rw : avail;
    if (avail > ui_px(f, 80))
        ui_p_text_fit(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->v->quiz ? f->c->server : f->c->dim,
                      r.x + r.w - ui_px(f, 16) - w, r.y + ui_px(f, 12), w, right);
}
