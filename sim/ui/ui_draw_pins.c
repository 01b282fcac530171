/* ui_draw_pins.c -- pinned mailboxes and queues (P): cards at the edge of
 * the network panel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* Pinned mailboxes and queues (P): cards at the right edge of the network
 * panel, large enough for the back row. */
void ui_d_pins(struct ui_frame *f)
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
        ui_p_text(g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->text, x + ui_px(f, 12),
                  y + ui_px(f, 8), UI_AL_LEFT, title);
        ui_p_text(g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->text, x + ui_px(f, 12),
                  y + ui_px(f, 40), UI_AL_LEFT, line);
        float ew = ui_px(f, 30), eh = ui_px(f, 20);
        for (unsigned e = 0; e < count && e < 10; e++)
            ui_d_envelope(f, x + ui_px(f, 12) + (float)e * (ew + ui_px(f, 6)), y + ui_px(f, 72), ew,
                          eh, 0xf0e442ffu);
        ui_p_noclip(g);
        y += ch + gap;
    }
}
