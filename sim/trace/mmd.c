/* mmd.c -- the protocol dialogue as a Mermaid sequenceDiagram, for slides.
 *
 * One participant per host that sends or receives a protocol line, in order
 * of first appearance; one arrow per line sent (solid for clients, dashed for
 * servers' replies); a note for narration, for each message fate and for
 * idle gaps of a minute or more. Text is escaped with Mermaid's #code; entity
 * form so that ';', '#', '<', '>' and non-ASCII bytes cannot end or break
 * a statement. */
#include "trace/export.h"

#include "core/dur.h"

#include <stdlib.h>
#include <string.h>

#define MMD_MAX_TEXT 72 /* characters of a line shown on an arrow */

/* Write text escaped for a Mermaid message or note, at most max bytes of
 * the input, with "..." when cut. */
static int mmd_put_text(FILE *f, const uint8_t *s, size_t len, size_t max)
{
    bool cut = false;
    while (len > 0 && (s[len - 1] == '\n' || s[len - 1] == '\r')) len--;
    if (len > max) {
        len = max;
        cut = true;
    }
    for (size_t i = 0; i < len; i++) {
        uint8_t c = s[i];
        if (c >= 0x20 && c < 0x7f && !strchr(";#<>\"&:", c)) {
            if (fputc(c, f) == EOF) return -1;
        } else if (c < 0x20 || c >= 0x7f) {
            if (fputs("·", f) == EOF) return -1; /* invisible or 8-bit byte */
        } else if (fprintf(f, "#%u;", c) < 0) {
            return -1;
        }
    }
    if (cut && fputs("...", f) == EOF) return -1;
    return 0;
}

static int mmd_note(FILE *f, const char *where, const char *text)
{
    if (fprintf(f, "    Note %s: ", where) < 0) return -1;
    if (mmd_put_text(f, (const uint8_t *)text, strlen(text), 200) < 0) return -1;
    return fputc('\n', f) == EOF ? -1 : 0;
}

long mmd_write(const struct trace *tr, FILE *f, const char *title)
{
    size_t nh = trace_host_count(tr);
    bool *seen = calloc(nh ? nh : 1, sizeof *seen);
    if (!seen) return -1;
    long arrows = 0;
    uint32_t first = TRACE_NONE, last = TRACE_NONE;
    /* Participants: hosts that take part in a protocol dialogue. */
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_line *l = trace_as_line(trace_get(tr, k));
        if (!l || trace_get(tr, k)->kind != TR_LINE_SENT) continue;
        if (l->host < nh) seen[l->host] = true;
        if (l->peer < nh) seen[l->peer] = true;
    }
    if (fputs("```mermaid\nsequenceDiagram\n", f) == EOF) goto fail;
    if (title && *title) {
        if (fputs("    title ", f) == EOF) goto fail;
        if (mmd_put_text(f, (const uint8_t *)title, strlen(title), 120) < 0) goto fail;
        if (fputc('\n', f) == EOF) goto fail;
    }
    for (uint32_t h = 0; h < nh; h++) {
        if (!seen[h]) continue;
        if (first == TRACE_NONE) first = h;
        last = h;
        const char *name = trace_host_name(tr, h);
        if (fprintf(f, "    participant h%u as ", h) < 0) goto fail;
        if (mmd_put_text(f, (const uint8_t *)name, strlen(name), 80) < 0) goto fail;
        if (fputc('\n', f) == EOF) goto fail;
    }
    char span[48] = "";
    if (first != TRACE_NONE) {
        if (first == last) snprintf(span, sizeof span, "over h%u", first);
        else snprintf(span, sizeof span, "over h%u,h%u", first, last);
    }
    sim_us prev = -1;
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        size_t dlen;
        const uint8_t *data = trace_data(r, &dlen);
        if (r->kind == TR_LINE_SENT) {
            const struct trace_line *l = trace_as_line(r);
            if (l->host >= nh || l->peer >= nh) continue;
            if (prev >= 0 && r->t - prev >= SIM_US_PER_MIN && span[0]) {
                char gap[64], note[96];
                snprintf(note, sizeof note, "... %s later ...", dur_format(r->t - prev, gap, sizeof gap));
                if (mmd_note(f, span, note) < 0) goto fail;
            }
            prev = r->t;
            if (fprintf(f, "    h%u%sh%u: ", l->host, l->side == 'S' ? "-->>" : "->>", l->peer) < 0)
                goto fail;
            if (mmd_put_text(f, data, dlen, MMD_MAX_TEXT) < 0) goto fail;
            if (fputc('\n', f) == EOF) goto fail;
            arrows++;
        } else if (r->kind == TR_NARRATION && span[0]) {
            char text[256];
            size_t n = dlen < sizeof text - 1 ? dlen : sizeof text - 1;
            memcpy(text, data, n);
            text[n] = '\0';
            if (mmd_note(f, span, text) < 0) goto fail;
        } else if (r->kind == TR_MSG_DEFERRED || r->kind == TR_MSG_BOUNCED ||
                   r->kind == TR_MSG_DELIVERED || r->kind == TR_MSG_DUPLICATE) {
            const struct trace_msg *m = trace_as_msg(r);
            if (m->host >= nh || !seen[m->host]) continue;
            char where[32], text[256];
            snprintf(where, sizeof where, "right of h%u", m->host);
            const char *what = r->kind == TR_MSG_DEFERRED    ? "deferred"
                               : r->kind == TR_MSG_BOUNCED   ? "bounced"
                               : r->kind == TR_MSG_DELIVERED ? "delivered"
                                                             : "duplicate after lost reply";
            snprintf(text, sizeof text, "message %u %s%s%.*s", m->msg, what, dlen ? ": " : "",
                     (int)(dlen < 160 ? dlen : 160), (const char *)data);
            if (mmd_note(f, where, text) < 0) goto fail;
        }
    }
    if (fputs("```\n", f) == EOF) goto fail;
    free(seen);
    return arrows;
fail:
    free(seen);
    return -1;
}
