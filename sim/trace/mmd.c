/* mmd.c -- the protocol dialogue as a Mermaid sequenceDiagram, for slides.
 *
 * One participant per host that sends or receives a protocol line, meets a
 * message fate or is narrated about, in order of first appearance; one
 * arrow per line sent (solid for clients, dashed for servers' replies; an
 * empty line is labelled "(blank line)"); a note for narration, for each
 * message fate and for idle gaps of a minute or more ("... 30m later ...");
 * after STARTTLS a note says where encryption begins, and each line inside
 * TLS is labelled "[TLS]". Text is escaped with Mermaid's #code; entity
 * form so that ';', '#', '<', '>' and non-ASCII bytes cannot end or break
 * a statement. */
#include "trace/export.h"

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

/* The note text of an idle gap: the largest two units, coarse, as people
 * say it: "30m", "2h", "2h 5m", "3d 4h". At least a minute. */
static void mmd_gap(sim_us d, char *out, size_t cap)
{
    long long m = (long long)(d / SIM_US_PER_MIN);
    long long days = m / (24 * 60), hours = m / 60 % 24, mins = m % 60;
    if (days > 0 && hours > 0)
        snprintf(out, cap, "%lldd %lldh", days, hours);
    else if (days > 0)
        snprintf(out, cap, "%lldd", days);
    else if (hours > 0 && mins > 0)
        snprintf(out, cap, "%lldh %lldm", hours, mins);
    else if (hours > 0)
        snprintf(out, cap, "%lldh", hours);
    else
        snprintf(out, cap, "%lldm", mins);
}

static bool mmd_is_fate(uint32_t kind)
{
    return kind == TR_MSG_DEFERRED || kind == TR_MSG_BOUNCED || kind == TR_MSG_DELIVERED ||
           kind == TR_MSG_DUPLICATE || kind == TR_MSG_NOT_SENT;
}

/* Give host the next column if it has none yet. */
static void mmd_seen(uint32_t *order, uint32_t *n, uint32_t nh, uint32_t host)
{
    if (host >= nh || order[host] != TRACE_NONE) return;
    order[host] = (*n)++;
}

long mmd_write(const struct trace *tr, FILE *f, const char *title)
{
    uint32_t nh = (uint32_t)trace_host_count(tr);
    uint32_t *order = malloc((nh ? nh : 1) * sizeof *order); /* host -> column, TRACE_NONE */
    uint32_t *col_host = malloc((nh ? nh : 1) * sizeof *col_host);
    if (!order || !col_host) {
        free(order);
        free(col_host);
        return -1;
    }
    for (uint32_t h = 0; h < nh; h++) order[h] = TRACE_NONE;
    uint32_t ncols = 0;
    long arrows = 0;
    /* Participants, in order of first appearance: the hosts that speak a
     * protocol line, meet a message fate or are narrated about. */
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind == TR_LINE_SENT) {
            const struct trace_line *l = trace_as_line(r);
            mmd_seen(order, &ncols, nh, l->host);
            mmd_seen(order, &ncols, nh, l->peer);
        } else if (mmd_is_fate(r->kind) || r->kind == TR_MSG_COMPOSED) {
            const struct trace_msg *m = trace_as_msg(r);
            mmd_seen(order, &ncols, nh, m->host);
            mmd_seen(order, &ncols, nh, m->peer);
        } else if (r->kind == TR_NARRATION) {
            mmd_seen(order, &ncols, nh, ((const struct trace_ref *)trace_body(r))->id);
        }
    }
    for (uint32_t h = 0; h < nh; h++)
        if (order[h] != TRACE_NONE) col_host[order[h]] = h;
    if (fputs("```mermaid\nsequenceDiagram\n", f) == EOF) goto fail;
    if (title && *title) {
        if (fputs("    title ", f) == EOF) goto fail;
        if (mmd_put_text(f, (const uint8_t *)title, strlen(title), 120) < 0) goto fail;
        if (fputc('\n', f) == EOF) goto fail;
    }
    for (uint32_t c = 0; c < ncols; c++) {
        uint32_t h = col_host[c];
        const char *name = trace_host_name(tr, h);
        if (fprintf(f, "    participant h%u as ", h) < 0) goto fail;
        if (mmd_put_text(f, (const uint8_t *)name, strlen(name), 80) < 0) goto fail;
        if (fputc('\n', f) == EOF) goto fail;
    }
    char span[48] = "";
    if (ncols == 1) snprintf(span, sizeof span, "over h%u", col_host[0]);
    if (ncols > 1) snprintf(span, sizeof span, "over h%u,h%u", col_host[0], col_host[ncols - 1]);
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
                mmd_gap(r->t - prev, gap, sizeof gap);
                snprintf(note, sizeof note, "... %s later ...", gap);
                if (mmd_note(f, span, note) < 0) goto fail;
            }
            prev = r->t;
            if (fprintf(f, "    h%u%sh%u: ", l->host, l->side == 'S' ? "-->>" : "->>", l->peer) < 0)
                goto fail;
            size_t shown = dlen;
            while (shown > 0 && (data[shown - 1] == '\n' || data[shown - 1] == '\r')) shown--;
            if ((l->flags & TRACE_LF_TLS) && fputs("[TLS] ", f) == EOF) goto fail;
            if (shown == 0) {
                /* An empty line (the end of a header) would draw as an
                 * arrow without a label, easily read as a doubled arrow. */
                if (fputs("(blank line)", f) == EOF) goto fail;
            } else if (mmd_put_text(f, data, dlen, MMD_MAX_TEXT) < 0) {
                goto fail;
            }
            if (fputc('\n', f) == EOF) goto fail;
            arrows++;
            if (l->flags & TRACE_LF_TLS_START) { /* RFC 3207: the 220 that starts TLS */
                char over[48];
                snprintf(over, sizeof over, "over h%u,h%u", l->host, l->peer);
                if (mmd_note(f, over,
                             "STARTTLS - from here the connection is encrypted; below is the "
                             "plaintext only the two endpoints see") < 0)
                    goto fail;
            }
        } else if (r->kind == TR_NARRATION && span[0]) {
            char text[256];
            size_t n = dlen < sizeof text - 1 ? dlen : sizeof text - 1;
            memcpy(text, data, n);
            text[n] = '\0';
            if (mmd_note(f, span, text) < 0) goto fail;
        } else if (mmd_is_fate(r->kind)) {
            const struct trace_msg *m = trace_as_msg(r);
            if (m->host >= nh) continue;
            char where[32], text[256];
            snprintf(where, sizeof where, "right of h%u", m->host);
            const char *what = r->kind == TR_MSG_DEFERRED    ? "deferred"
                               : r->kind == TR_MSG_BOUNCED   ? "bounced"
                               : r->kind == TR_MSG_DELIVERED ? "delivered"
                               : r->kind == TR_MSG_NOT_SENT  ? "not sent"
                                                             : "reply lost after the final dot";
            snprintf(text, sizeof text, "message %u %s%s%.*s", m->msg, what, dlen ? ": " : "",
                     (int)(dlen < 160 ? dlen : 160), (const char *)data);
            if (mmd_note(f, where, text) < 0) goto fail;
        }
    }
    if (fputs("```\n", f) == EOF) goto fail;
    free(order);
    free(col_host);
    return arrows;
fail:
    free(order);
    free(col_host);
    return -1;
}
