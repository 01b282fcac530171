/* ui_draw_message.c -- the message view (M): a message's header, MIME tree
 * and body at a host. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

#define UI_MV_LINE 160 /* a header line as shown: longer ones are fitted with an ellipsis */

/* The header line at *p, as shown (ui_first_line), into out; *p moves past
 * it. False for an empty line (the header's end), which is not shown. */
static bool ui_mv_line(const char **p, char out[UI_MV_LINE])
{
    const char *e = strchr(*p, '\n');
    size_t n = e ? (size_t)(e - *p) + 1 : strlen(*p);
    ui_first_line((const uint8_t *)*p, n, out, UI_MV_LINE);
    *p += n;
    return out[0] != '\0';
}

/* How many lines from p on would be shown. */
static size_t ui_mv_lines_from(const char *p)
{
    size_t k = 0;
    char line[UI_MV_LINE];
    while (*p) k += ui_mv_line(&p, line);
    return k;
}

/* The message view: the content comes from ui_msgview_at (the trace's
 * message copies and their MIME outlines); this only lays it out. */
void ui_d_message(struct ui_frame *f)
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
    /* Two columns, the header's the wider: every text is fitted to its
     * column in pixels (cut with an ellipsis), so none runs into the other
     * column or past the box. */
    float x = b.x + ui_px(f, 24), right = b.x + b.w - ui_px(f, 24), gap = ui_px(f, 28);
    float maxy = b.y + b.h - ui_px(f, 30), full = right - x;
    float col2 = x + (full - gap) * 0.56f + gap, w1 = col2 - gap - x, w2 = right - col2;
    float row = ui_px(f, 32), px = ui_px(f, UI_PX_SMALL);
    if (!mv.found) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT,
                  "No message has been here yet.");
        ui_p_noclip(f->g);
        return;
    }
    char v1[400];
    const char *from = trace_str(m->tr, mv.sender);
    snprintf(v1, sizeof v1, "from %s   to %s   %s", from[0] ? from : "<> (a bounce)",
             trace_str(m->tr, mv.rcpt), trace_str(m->tr, mv.msgid));
    ui_p_text_fit(f->g, UI_F_BOLD, px, f->c->text, x, y, full, v1);
    y += row;
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
        ui_p_text_fit(f->g, UI_F_MONO, px, f->c->text, x, y, full, v1);
        y += row;
    }
    y += ui_px(f, 10);
    if (!mv.copy) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT,
                  "(the trace holds no copy of it yet)");
        ui_p_noclip(f->g);
        return;
    }
    snprintf(v1, sizeof v1, "RFC 5322 header (the copy at %s)",
             trace_host_name(m->tr, mv.copy->host));
    ui_p_text_fit(f->g, UI_F_BOLD, px, f->c->dim, x, y, w1, v1);
    ui_p_text_fit(f->g, UI_F_BOLD, px, f->c->dim, col2, y, w2, "MIME tree");
    y += row;
    float y2 = y;
    char hdr[TRACE_COPY_HEADER_MAX + 1];
    trace_msg_copy_header(m->tr, mv.copy, hdr, sizeof hdr);
    for (const char *p = hdr; *p;) {
        char line[UI_MV_LINE];
        if (!ui_mv_line(&p, line)) continue;
        /* The last row that fits says how many lines are left, when any are. */
        size_t left = y + 2 * row > maxy + 1 ? ui_mv_lines_from(p) : 0;
        if (left > 0) {
            snprintf(line, sizeof line, "... %zu more header lines", left + 1);
            ui_p_text_fit(f->g, UI_F_SANS, px, f->c->dim, x, y, w1, line);
            break;
        }
        ui_p_text_fit(f->g, UI_F_MONO, px, f->c->text, x, y, w1, line);
        y += row;
    }
    struct trace_mime_part encp; /* the first encoded part with a preview */
    const struct trace_mime_part *enc = NULL;
    for (size_t i = 0; i < mv.copy->n_parts && y2 < maxy; i++) {
        struct trace_mime_part pv;
        if (!ui_msgview_part(m, &mv, i, &pv)) break;
        const struct trace_mime_part *p = &pv;
        const char *path = trace_str(m->tr, p->path), *cte = trace_str(m->tr, p->cte);
        char node[200];
        int o = snprintf(node, sizeof node, "%*s%s%s%s", (int)p->depth * 3, "", path,
                         path[0] ? "  " : "", trace_str(m->tr, p->type));
        if (p->filename != TRACE_NONE && o > 0 && (size_t)o < sizeof node)
            o += snprintf(node + o, sizeof node - (size_t)o, " \"%.40s\"",
                          trace_str(m->tr, p->filename));
        if (strcmp(cte, "7bit") != 0 && o > 0 && (size_t)o < sizeof node)
            snprintf(node + o, sizeof node - (size_t)o, "  %s", cte);
        ui_p_text_fit(f->g, UI_F_MONO, px, f->c->text, col2, y2, w2, node);
        y2 += row;
        if (!enc && p->preview_len > 0 &&
            (strcmp(cte, "base64") == 0 || strcmp(cte, "quoted-printable") == 0)) {
            encp = pv;
            enc = &encp;
        }
    }
    if (enc && y2 + 4 * row + ui_px(f, 12) <= maxy + 1) {
        y2 += ui_px(f, 12);
        snprintf(v1, sizeof v1, "Part %s before %s decoding", trace_str(m->tr, enc->path),
                 trace_str(m->tr, enc->cte));
        ui_p_text_fit(f->g, UI_F_BOLD, px, f->c->dim, col2, y2, w2, v1);
        y2 += row;
        char raw[TRACE_MIME_RAW + 8];
        ui_first_line((const uint8_t *)trace_str(m->tr, enc->raw),
                      strlen(trace_str(m->tr, enc->raw)), raw, sizeof raw);
        ui_p_text_fit(f->g, UI_F_MONO, px, f->c->text, col2, y2, w2, raw);
        y2 += row;
        snprintf(v1, sizeof v1, "... and after: %" PRIu64 " bytes, starting", enc->decoded_len);
        ui_p_text_fit(f->g, UI_F_BOLD, px, f->c->dim, col2, y2, w2, v1);
        y2 += row;
        /* As many whole bytes (of the first 16) as the column holds. */
        int cw, ch;
        ui_p_text_size(f->g, UI_F_MONO, px, "00 ", &cw, &ch);
        const uint8_t *pv = (const uint8_t *)trace_str(m->tr, enc->preview);
        size_t n = enc->preview_len < 16 ? enc->preview_len : 16;
        if (cw > 0 && (float)n * (float)cw > w2 + (float)cw / 3)
            n = (size_t)((w2 + (float)cw / 3) / (float)cw);
        char hex[64];
        int o = 0;
        for (size_t i = 0; i < n; i++)
            o += snprintf(hex + o, sizeof hex - (size_t)o, i + 1 < n ? "%02x " : "%02x", pv[i]);
        hex[o] = '\0';
        ui_p_text_fit(f->g, UI_F_MONO, px, f->c->text, col2, y2, w2, hex);
    }
    ui_p_noclip(f->g);
}
