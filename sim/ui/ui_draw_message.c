/* ui_draw_message.c -- the message view (M): a message's header, MIME tree
 * and body at a host. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* Tiny base64 decoder for the message view (display only). */
static size_t ui_b64(const char *in, uint8_t *out, size_t max)
{
    uint32_t acc = 0;
    int bits = 0;
    size_t o = 0;
    for (; *in && o < max; in++) {
        const char *al = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char *p = strchr(al, *in);
        if (!p || !*in) continue;
        acc = (acc << 6) | (uint32_t)(p - al);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (uint8_t)(acc >> bits);
        }
    }
    return o;
}

void ui_d_message(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    uint32_t h = f->v->msg_host;
    SDL_FRect b;
    char title[160];
    snprintf(title, sizeof title, "Message at %s", trace_host_name(m->tr, h));
    float y = ui_d_box(f, ui_px(f, 1300), ui_px(f, 720), title, &b);
    float x = b.x + ui_px(f, 24), maxy = b.y + b.h - ui_px(f, 30);
    /* The latest message event at this host, then that message's life. */
    size_t k = f->v->step, found = SIZE_MAX;
    for (size_t i = ui_lower(m->msgs, m->n_msgs, k); i-- > 0;) {
        const struct trace_msg *ms = trace_as_msg(trace_get(m->tr, m->msgs[i]));
        if (ms->host == h || ms->peer == h) {
            found = m->msgs[i];
            break;
        }
    }
    if (found == SIZE_MAX) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT,
                  "No message has been here yet.");
        ui_p_noclip(f->g);
        return;
    }
    const struct trace_msg *mm = trace_as_msg(trace_get(m->tr, found));
    char v1[300];
    snprintf(v1, sizeof v1, "message %u   from %s   to %s   %s", mm->msg,
             trace_str(m->tr, mm->sender), trace_str(m->tr, mm->rcpt), trace_str(m->tr, mm->msgid));
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT, v1);
    y += ui_px(f, 32);
    for (size_t i = 0; i < ui_lower(m->msgs, m->n_msgs, k) && y < b.y + ui_px(f, 300); i++) {
        const struct trace_rec *r = trace_get(m->tr, m->msgs[i]);
        const struct trace_msg *ms = trace_as_msg(r);
        if (ms->msg != mm->msg) continue;
        char tb[40];
        size_t dl;
        const uint8_t *dd = trace_data(r, &dl);
        char detail[120];
        ui_first_line(dd, dl, detail, 80);
        snprintf(v1, sizeof v1, "%s  %-16s at %s%s%s", trace_format_time(r->t, tb, sizeof tb),
                 trace_kind_name((enum trace_kind)r->kind), trace_host_name(m->tr, ms->host),
                 dl ? ": " : "", detail);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT, v1);
        y += ui_px(f, 32);
    }
    /* The message text: the DATA lines the host received (or sent) last. */
    size_t end = SIZE_MAX;
    uint32_t conn = 0;
    for (size_t i = found + 1; i-- > 0 && i + 50000 > found;) {
        const struct trace_rec *r = trace_get(m->tr, i);
        const struct trace_line *l = trace_as_line(r);
        if (!l || l->side != 'C' || (l->host != h && l->peer != h)) continue;
        if (r->kind != (l->host == h ? TR_LINE_RECEIVED : TR_LINE_SENT)) continue;
        size_t dl;
        const uint8_t *dd = trace_data(r, &dl);
        if (dl >= 1 && dd[0] == '.' && (dl == 1 || dd[1] == '\r' || dd[1] == '\n')) {
            end = i;
            conn = l->conn;
            break;
        }
    }
    y += ui_px(f, 10);
    if (end == SIZE_MAX) {
        ui_p_text(f->g, UI_F_SANS, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT,
                  "(the trace holds no DATA lines for it)");
        ui_p_noclip(f->g);
        return;
    }
    size_t start = end;
    enum trace_kind want = (enum trace_kind)trace_get(m->tr, end)->kind;
    while (start > 0) {
        const struct trace_rec *r = trace_get(m->tr, start - 1);
        const struct trace_line *l = trace_as_line(r);
        if (l && l->conn == conn && r->kind == want && l->side == 'C') {
            size_t dl;
            const uint8_t *dd = trace_data(r, &dl);
            if (dl >= 4 && memcmp(dd, "DATA", 4) == 0) break;
        }
        start--;
    }
    float col2 = b.x + b.w / 2 + ui_px(f, 10);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT,
              "RFC 5322 header (as sent in DATA)");
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, col2, y, UI_AL_LEFT, "MIME tree");
    y += ui_px(f, 32);
    float y2 = y;
    bool in_header = true, b64 = false;
    int depth = 0;
    char before[2][120] = {"", ""};
    int n_before = 0;
    for (size_t i = start; i < end && y < maxy; i++) {
        const struct trace_rec *r = trace_get(m->tr, i);
        const struct trace_line *l = trace_as_line(r);
        if (!l || l->conn != conn || r->kind != want || l->side != 'C') continue;
        size_t dl;
        const uint8_t *dd = trace_data(r, &dl);
        char line[120];
        ui_first_line(dd, dl, line, 90);
        if (in_header && line[0] == '\0') {
            in_header = false;
            continue;
        }
        if (in_header) {
            ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT, line);
            y += ui_px(f, 32);
        }
        if (strncasecmp(line, "Content-Type:", 13) == 0 && y2 < maxy) {
            char node[160];
            snprintf(node, sizeof node, "%*s%s", depth * 4, "", line + 14);
            ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, col2, y2, UI_AL_LEFT, node);
            y2 += ui_px(f, 24);
            if (strncasecmp(line + 14, "multipart/", 10) == 0) depth++;
        }
        if (strncasecmp(line, "Content-Transfer-Encoding: base64", 33) == 0)
            b64 = true;
        else if (b64 && !in_header && line[0] && line[0] != '-' && n_before < 2 &&
                 !strchr(line, ':'))
            snprintf(before[n_before++], sizeof before[0], "%s", line);
    }
    if (n_before && y2 + ui_px(f, 120) < maxy) {
        y2 += ui_px(f, 12);
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, col2, y2, UI_AL_LEFT,
                  "Attachment before base64 decoding");
        y2 += ui_px(f, 28);
        for (int i = 0; i < n_before; i++, y2 += ui_px(f, 24)) {
            char shown[48];
            snprintf(shown, sizeof shown, "%.40s%s", before[i],
                     strlen(before[i]) > 40 ? "..." : "");
            ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, col2, y2, UI_AL_LEFT, shown);
        }
        uint8_t dec[100];
        size_t n = ui_b64(before[0], dec, 48);
        char hex[200];
        int o = 0;
        for (size_t i = 0; i < n && i < 16; i++)
            o += snprintf(hex + o, sizeof hex - (size_t)o, "%02x ", dec[i]);
        hex[o] = '\0';
        y2 += ui_px(f, 8);
        ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, col2, y2, UI_AL_LEFT,
                  "... and after (bytes)");
        y2 += ui_px(f, 28);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, col2, y2, UI_AL_LEFT, hex);
    }
    ui_p_noclip(f->g);
}
