/* ui_draw_conn.c -- the whole-connection view (N), in the dialogue panel:
 * one connection at once, compressed (one SYN, each command with its reply,
 * each mail transaction as one row, one FIN), and below it what a student
 * can count over every connection so far: SMTP messages pushed, HTTP
 * requests and responses, POP3 and IMAP commands. Rows come from
 * ui_conn_rows and ui_tally_at (ui_concepts.c). */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define UI_CONN_ROWS 512
#define UI_TALLY_ROWS 6

void ui_d_whole_conn(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    struct ui_gfx *g = f->g;
    SDL_FRect r = f->dia;
    float px = ui_px(f, UI_PX_LABEL), pad = ui_px(f, 14);
    ui_d_panel(f, r, UI_FOCUS_DIALOGUE);
    int tw, th;
    ui_p_text_size(g, UI_F_BOLD, px, "Ag", &tw, &th);
    float lh = (float)th + ui_px(f, 2), wmax = r.w - 2 * pad;
    uint32_t conn = f->v->conn;
    if (conn == 0 && f->st.last_line)
        conn = trace_as_line(trace_get(m->tr, f->st.last_line - 1))->conn;
    struct ui_crow *rows = ms_xcalloc(UI_CONN_ROWS, sizeof *rows);
    unsigned n_txn = 0;
    size_t n = ui_conn_rows(m, conn, rows, UI_CONN_ROWS, &n_txn);
    if (n > UI_CONN_ROWS) n = UI_CONN_ROWS;
    char head[256];
    const char *proto = "";
    if (n == 0) {
        snprintf(head, sizeof head, "Whole connection (N): no connection yet");
    } else {
        const struct trace_line *l0 =
            trace_as_line(trace_get(m->tr, m->conn_lines[m->conn_off[conn]]));
        proto = trace_str(m->tr, l0->proto);
        uint32_t client = l0->side == 'C' ? l0->host : l0->peer;
        uint32_t server = l0->side == 'C' ? l0->peer : l0->host;
        snprintf(head, sizeof head, "Whole connection %u: %s %s \xe2\x86\x92 %s", conn, proto,
                 trace_host_name(m->tr, client), trace_host_name(m->tr, server));
    }
    ui_p_text_fit(g, UI_F_BOLD, px, f->c->text, r.x + pad, r.y + ui_px(f, 4), wmax, head);
    float top = r.y + lh + ui_px(f, 8), bottom = r.y + r.h - ui_px(f, 6);
    /* The counts at the bottom: a heading and a row per protocol and pair. */
    struct ui_tally ty[UI_TALLY_ROWS];
    size_t nt = ui_tally_at(m, f->v->step, ty, UI_TALLY_ROWS);
    size_t tshow = nt;
    while (tshow > 0 && bottom - lh * (float)(tshow + 1) < top + lh * 3) tshow--;
    float ty0 = bottom - lh * (float)(tshow + (tshow ? 1 : 0));
    if (tshow) {
        ui_p_fill(g, r.x, ty0 - ui_px(f, 4), r.w, bottom - ty0 + ui_px(f, 10), f->c->panel);
        ui_p_text_fit(g, UI_F_BOLD, px, f->c->server, r.x + pad, ty0, wmax,
                      "Counted so far, every connection:");
        for (size_t i = 0; i < tshow; i++) {
            char line[256];
            ui_tally_text(m, &ty[i], line, sizeof line);
            ui_p_text_fit(g, UI_F_SANS, px, f->c->text, r.x + pad, ty0 + lh * (float)(i + 1), wmax,
                          line);
        }
    }
    /* The connection's rows, then a summary; the current row kept in view. */
    size_t step = f->v->step, cur = SIZE_MAX;
    unsigned syn = 0, fin = 0, quit = 0, cmds = 0;
    for (size_t i = 0; i < n; i++) {
        if (step > rows[i].rec) cur = i;
        syn += rows[i].kind == UI_CR_OPEN;
        fin += rows[i].kind == UI_CR_CLOSE;
        cmds += rows[i].kind == UI_CR_CMD || rows[i].kind == UI_CR_TXN;
        quit += strcmp(rows[i].verb, "QUIT") == 0;
    }
    bool smtp = n && strcmp(proto, "SMTP") == 0;
    size_t vis = (size_t)((ty0 - ui_px(f, 8) - top) / lh);
    if (n && vis > 0) vis--; /* the summary line */
    size_t first = 0;        /* the current row in the middle: what came and what comes */
    if (cur != SIZE_MAX && n > vis) {
        first = cur > vis / 2 ? cur - vis / 2 : 0;
        if (first > n - vis) first = n - vis;
    }
    float y = top;
    for (size_t i = first; i < n && i < first + vis; i++, y += lh) {
        bool happened = step > rows[i].rec, current = i == cur;
        if (current) ui_p_fill(g, r.x, y - ui_px(f, 1), r.w, lh, f->c->hi_bg);
        uint32_t col = current                     ? f->c->hi_text
                       : !happened                 ? f->c->dim
                       : rows[i].kind == UI_CR_TXN ? f->c->client
                                                   : f->c->text;
        enum ui_font font = current ? UI_F_BOLD : UI_F_SANS;
        ui_p_text_fit(g, font, px, col, r.x + pad, y, wmax, rows[i].text);
        struct ui_hit hit = {UI_HIT_ARROW, conn, rows[i].rec, 0};
        ui_p_hit(g, r.x, y, r.w, lh, hit);
    }
    if (n && vis) {
        char sum[160];
        if (smtp)
            snprintf(sum, sizeof sum, "In all: %u SYN, %u mail transaction%s, %u QUIT, %u FIN", syn,
                     n_txn, n_txn == 1 ? "" : "s", quit, fin);
        else
            snprintf(sum, sizeof sum, "In all: %u SYN, %u command%s, %u FIN", syn, cmds,
                     cmds == 1 ? "" : "s", fin);
        ui_p_text_fit(g, UI_F_BOLD, px, f->c->server, r.x + pad, y + ui_px(f, 2), wmax, sum);
    }
    free(rows);
    ui_p_noclip(g);
}
