/* world_copy.c -- message copies: which host holds which message, under
 * which Message-ID, and its MIME outline, recorded in the trace when a host
 * takes the copy (see trace_add_msg_copy). The window's message view reads
 * the outline; it never parses MIME itself. */
#include "mail/world_int.h"

#include "format/mime.h"
#include "format/msg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void world_msgid_remember(struct world *w, uint32_t msg, const char *id)
{
    if (!id || msg == 0) return;
    if (msg >= w->n_msgid_of) {
        /* Half as much again: growing by a few entries moved both tables
         * every few messages and left glibc a heap of holes to search. */
        size_t n = (size_t)msg + 16 + w->n_msgid_of / 2;
        w->msgid_of = ms_xrealloc(w->msgid_of, n * sizeof *w->msgid_of);
        memset(w->msgid_of + w->n_msgid_of, 0, (n - w->n_msgid_of) * sizeof *w->msgid_of);
        w->msgid_tr = ms_xrealloc(w->msgid_tr, n * sizeof *w->msgid_tr);
        memset(w->msgid_tr + w->n_msgid_of, 0, (n - w->n_msgid_of) * sizeof *w->msgid_tr);
        w->n_msgid_of = n;
    }
    if (!w->msgid_of[msg]) w->msgid_of[msg] = world_msgid_keep(w, id);
}

const char *world_msgid_of(const struct world *w, uint32_t msg)
{
    return msg < w->n_msgid_of ? w->msgid_of[msg] : NULL;
}

/* Interned when first asked for, as trace_intern would be on every call;
 * later calls find the string id without hashing the text again or probing
 * the trace's table, which on a busy day misses the cache. */
uint32_t world_msgid_trace(struct world *w, uint32_t msg)
{
    const char *id = world_msgid_of(w, msg);
    if (!id) return TRACE_NONE;
    if (!w->msgid_tr[msg]) w->msgid_tr[msg] = trace_intern(w->tr, id) + 1;
    return w->msgid_tr[msg] - 1;
}

void world_msgid_free_all(struct world *w)
{
    free(w->msgid_of); /* the strings are the Message-ID map's */
    free(w->msgid_tr);
    w->msgid_tr = NULL;
    w->msgid_of = NULL;
    w->n_msgid_of = 0;
}

/* The IMAP-style section path of part i (RFC 3501 §6.4.5): "" for the
 * message, n for the n-th child of a multipart; the message inside a
 * message/rfc822 part has that part's path. */
static void world_copy_path(const struct mime_tree *t, int i, char *out, size_t cap)
{
    const struct mime_part *p = &t->parts[i];
    if (p->parent < 0) {
        out[0] = '\0';
        return;
    }
    const struct mime_part *up = &t->parts[p->parent];
    world_copy_path(t, p->parent, out, cap);
    if (up->is_message) return;
    int n = 1;
    for (int c = up->first_child; c >= 0 && c != i; c = t->parts[c].next_sibling) n++;
    size_t len = strlen(out);
    snprintf(out + len, cap - len, "%s%d", len ? "." : "", n);
}

void world_msg_copy(struct world *w, uint32_t msg, uint32_t host, const char *data, size_t len)
{
    struct msg_split sp;
    msg_split(data, len, &sp);
    char *id = msg_header_get(data, sp.hdr_len, "Message-ID", NULL);
    world_msgid_remember(w, msg, id);
    free(id);
    if (w->opts.no_lines) return; /* benchmarks: no outlines either */
    struct mime_tree t;
    mime_parse(&t, data, len);
    struct trace_mime_part *parts = ms_xcalloc(t.n_parts ? t.n_parts : 1, sizeof *parts);
    for (size_t i = 0; i < t.n_parts; i++) {
        const struct mime_part *p = &t.parts[i];
        struct trace_mime_part *o = &parts[i];
        char path[256], type[160];
        world_copy_path(&t, (int)i, path, sizeof path);
        snprintf(type, sizeof type, "%.*s/%.*s", (int)p->type.len, p->type.p, (int)p->subtype.len,
                 p->subtype.p);
        o->off = p->start;
        o->hdr_len = p->hdr_len;
        o->body_len = p->body_len;
        o->depth = (uint32_t)p->depth;
        o->path = trace_intern(w->tr, path);
        o->type = trace_intern(w->tr, type);
        o->cte = trace_intern_n(w->tr, p->cte_raw.p ? p->cte_raw.p : "7bit",
                                p->cte_raw.p ? p->cte_raw.len : 4);
        struct msg_buf fn = {0};
        o->filename = mime_param_decoded(p, true, "filename", &fn) ||
                              mime_param_decoded(p, false, "name", &fn)
                          ? trace_intern_n(w->tr, fn.data ? fn.data : "", fn.len)
                          : TRACE_NONE;
        msg_buf_free(&fn);
        size_t rl = p->body_len < TRACE_MIME_RAW ? p->body_len : TRACE_MIME_RAW;
        o->raw = trace_intern_n(w->tr, data + p->body_off, rl);
        if (p->is_multipart || p->is_message) {
            o->decoded_len = p->body_len;
            o->preview = trace_intern(w->tr, "");
            continue;
        }
        size_t dlen = 0;
        unsigned char *dec = mime_decode_body(&t, p, &dlen);
        o->decoded_len = dec ? dlen : UINT64_MAX;
        size_t pl = dec ? (dlen < TRACE_MIME_PREVIEW ? dlen : TRACE_MIME_PREVIEW) : 0;
        o->preview = trace_intern_n(w->tr, dec ? (const char *)dec : "", pl);
        o->preview_len = (uint32_t)pl;
        free(dec);
    }
    /* the trace keeps the header's first TRACE_COPY_HEADER_MAX bytes */
    trace_add_msg_copy(w->tr, evq_now(w->q), msg, host, world_msgid_trace(w, msg), data, sp.hdr_len,
                       len, parts, t.n_parts);
    free(parts);
    mime_tree_free(&t);
}
