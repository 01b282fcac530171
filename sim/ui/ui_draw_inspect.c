/* ui_draw_inspect.c -- the inspector overlay: one record's header fields,
 * meaning, RFC section and payload. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

static float ui_d_kv(struct ui_frame *f, float x, float y, const char *k, const char *v)
{
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT, k);
    ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x + ui_px(f, 300), y, UI_AL_LEFT,
              v);
    return y + ui_px(f, 32);
}

/* Payload as text lines (CRLF shown as \r\n) and as hex, 16 bytes a row. */
static float ui_d_payload(struct ui_frame *f, float x, float y, float maxy, const uint8_t *d,
                          size_t len)
{
    char line[200];
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT,
              "Payload as text");
    y += ui_px(f, 32);
    size_t i = 0;
    for (int rows = 0; i < len && rows < 6 && y < maxy; rows++) {
        size_t o = 0;
        while (i < len && o < 100) {
            uint8_t ch = d[i++];
            if (ch == '\r') {
                line[o++] = '\\';
                line[o++] = 'r';
            } else if (ch == '\n') {
                line[o++] = '\\';
                line[o++] = 'n';
                break;
            } else {
                line[o++] = (ch >= 32 && ch < 127) ? (char)ch : '.';
            }
        }
        line[o] = '\0';
        ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT, line);
        y += ui_px(f, 32);
    }
    y += ui_px(f, 8);
    ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->dim, x, y, UI_AL_LEFT,
              "Payload as hex");
    y += ui_px(f, 32);
    for (size_t off = 0; off < len && off < 16 * 6 && y < maxy; off += 16) {
        int o = snprintf(line, sizeof line, "%04zx  ", off);
        for (size_t j = off; j < off + 16 && j < len; j++)
            o += snprintf(line + o, sizeof line - (size_t)o, "%02x ", d[j]);
        ui_p_text(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x, y, UI_AL_LEFT, line);
        y += ui_px(f, 32);
    }
    return y;
}

void ui_d_inspect(struct ui_frame *f)
{
    const struct ui_model *m = f->m;
    if (f->v->inspect >= m->n) return;
    const struct trace_rec *r = trace_get(m->tr, f->v->inspect);
    SDL_FRect b;
    char title[160], tbuf[40], v1[200];
    trace_format_time(r->t, tbuf, sizeof tbuf);
    snprintf(title, sizeof title, "Inspector: record %zu, %s at %s", f->v->inspect + 1,
             trace_kind_name((enum trace_kind)r->kind), tbuf);
    float y = ui_d_box(f, ui_px(f, 1300), ui_px(f, 720), title, &b);
    float x = b.x + ui_px(f, 24), maxy = b.y + b.h - ui_px(f, 20);
    size_t dlen;
    const uint8_t *d = trace_data(r, &dlen);
    const struct trace_seg *s = trace_as_seg(r);
    const struct trace_line *l = trace_as_line(r);
    const char *proto = NULL;
    if (s) {
        bool udp = r->kind >= TR_DGRAM_SENT;
        snprintf(v1, sizeof v1, "%s -> %s (this hop: %s -> %s)", trace_host_name(m->tr, s->src),
                 trace_host_name(m->tr, s->dst), trace_host_name(m->tr, s->hop_from),
                 trace_host_name(m->tr, s->hop_to));
        y = ui_d_kv(f, x, y, "Hosts", v1);
        snprintf(v1, sizeof v1, "%u -> %u", s->sport, s->dport);
        y = ui_d_kv(f, x, y, udp ? "UDP ports" : "TCP ports", v1);
        if (!udp) {
            snprintf(v1, sizeof v1, "%u", s->seq);
            y = ui_d_kv(f, x, y, "Sequence number", v1);
            snprintf(v1, sizeof v1, "%u", s->ack);
            y = ui_d_kv(f, x, y, "Acknowledgment number", v1);
            ui_flags_text(s->flags, v1, sizeof v1);
            y = ui_d_kv(f, x, y, "Flags", v1[0] ? v1 : "(none)");
            snprintf(v1, sizeof v1, "%u", s->window);
            y = ui_d_kv(f, x, y, "Window", v1);
            if (s->mss) {
                snprintf(v1, sizeof v1, "%u", s->mss);
                y = ui_d_kv(f, x, y, "MSS option", v1);
            }
            if (s->attempt) {
                snprintf(v1, sizeof v1, "retransmission %u", s->attempt);
                y = ui_d_kv(f, x, y, "Attempt", v1);
            }
        }
        char a[40], c2[40];
        trace_format_time(s->t_depart, a, sizeof a);
        trace_format_time(s->t_arrive, c2, sizeof c2);
        snprintf(v1, sizeof v1, "leaves %s, arrives %s", a, c2);
        y = ui_d_kv(f, x, y, "On the wire", v1);
        snprintf(v1, sizeof v1, "%u bytes", s->len);
        y = ui_d_kv(f, x, y, "Payload length", v1);
        proto = ui_proto_names[ui_seg_proto(r, s)];
    } else if (l) {
        proto = trace_str(m->tr, l->proto);
        snprintf(v1, sizeof v1, "%s (%s) -> %s", trace_host_name(m->tr, l->host),
                 l->side == 'C' ? "client" : "server", trace_host_name(m->tr, l->peer));
        y = ui_d_kv(f, x, y, "Written by", v1);
        snprintf(v1, sizeof v1, "%s, connection %u", proto, l->conn);
        y = ui_d_kv(f, x, y, "Protocol", v1);
        snprintf(v1, sizeof v1, "%s  ->  %s", trace_str(m->tr, l->state_before),
                 trace_str(m->tr, l->state_after));
        y = ui_d_kv(f, x, y, "Engine state", v1);
    } else {
        char line[600];
        trace_format_line(m->tr, f->v->inspect, line, sizeof line);
        int h = 0;
        ui_p_text_wrap(f->g, UI_F_MONO, ui_px(f, UI_PX_SMALL), f->c->text, x, y,
                       (int)(b.w - ui_px(f, 48)), line, &h);
        y += (float)h + ui_px(f, 10);
    }
    if (proto && dlen) {
        const char *meaning, *rfc;
        char first[120];
        ui_first_line(d, dlen, first, 100);
        if (ui_rfc_explain(proto, (const char *)d, dlen, &meaning, &rfc)) {
            y += ui_px(f, 6);
            snprintf(v1, sizeof v1, "%s (%s)", meaning, rfc);
            ui_p_fill(f->g, x - ui_px(f, 8), y - ui_px(f, 4), b.w - ui_px(f, 32), ui_px(f, 36),
                      f->c->hi_bg);
            ui_p_text(f->g, UI_F_BOLD, ui_px(f, UI_PX_SMALL), f->c->hi_text, x, y, UI_AL_LEFT, v1);
            y += ui_px(f, 44);
        }
    }
    if (dlen && (s || l)) ui_d_payload(f, x, y + ui_px(f, 6), maxy, d, dlen);
    ui_p_noclip(f->g);
}
