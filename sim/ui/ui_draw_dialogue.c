/* ui_draw_dialogue.c -- the dialogue panel: the protocol lines of one
 * connection, client and server, with the engines' states. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* ---- dialogue ------------------------------------------------------------------------------ */

void ui_d_dialogue(struct ui_frame *f)
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
