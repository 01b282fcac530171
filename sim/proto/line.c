/* line.c -- CRLF line framing with a hard ceiling (see line.h). */
#include "proto/line.h"

#include "core/common.h"

#include <assert.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void line_init(struct line_reader *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max < 2 ? 2 : max;
    r->buf = ms_xmalloc(r->max);
}

void line_free(struct line_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = 0;
}

void line_reset(struct line_reader *r)
{
    r->len = 0;
    r->bare_cr = r->bare_lf = r->nuls = 0;
    r->discarding = false;
    r->ready = false;
    r->lf_ended = false;
}

void line_set_max(struct line_reader *r, size_t max)
{
    if (max < 2) max = 2;
    char *nb = ms_xmalloc(max);
    if (r->len <= max) {
        memcpy(nb, r->buf, r->len);
    } else {
        r->len = 0;
        r->discarding = true;
    }
    free(r->buf);
    r->buf = nb;
    r->max = max;
}

void line_set_lf_ends(struct line_reader *r, bool on)
{
    r->lf_ends = on;
}

/* A held CR is "pending": it is a bare CR unless the next byte is LF. */
static bool line_pending_cr(const struct line_reader *r)
{
    return r->len > 0 && r->buf[r->len - 1] == '\r';
}

size_t line_feed(struct line_reader *r, const char *in, size_t len, enum line_status *st)
{
    size_t i = 0;
    if (r->ready) { /* the previous line was taken: start a new one */
        line_reset(r);
    }
    *st = LINE_NONE;
    while (i < len) {
        /* Fast path: ordinary bytes that fit are copied in one run; only
         * CR, LF, NUL and the limit need the byte-by-byte rules below. */
        if (!r->discarding && !line_pending_cr(r) && r->len + 2 < r->max) {
            size_t room = r->max - 2 - r->len, n = 0;
            size_t lim = len - i < room ? len - i : room;
            const char *p = in + i;
            while (n < lim && p[n] != '\r' && p[n] != '\n' && p[n] != '\0') n++;
            memcpy(r->buf + r->len, p, n);
            r->len += n;
            i += n;
            if (i == len) break;
        }
        char c = in[i++];
        if (r->discarding) {
            /* Track CR across calls using len as a one-byte memory. */
            if (c == '\n' && (r->len == 1 || r->lf_ends)) {
                r->discarding = false;
                r->len = 0;
                r->bare_cr = r->bare_lf = r->nuls = 0;
                *st = LINE_TOO_LONG;
                return i;
            }
            r->len = (c == '\r') ? 1 : 0;
            continue;
        }
        if (c == '\n') {
            if (line_pending_cr(r)) { /* CRLF: the line ends */
                r->len--;
                r->ready = true;
                *st = LINE_OK;
                return i;
            }
            r->bare_lf++;
            if (r->lf_ends) { /* a hand-typed line: ends here, still marked bare */
                r->ready = true;
                r->lf_ended = true;
                *st = LINE_OK;
                return i;
            }
        } else if (line_pending_cr(r)) {
            r->bare_cr++; /* the held CR was not followed by LF */
        }
        if (c == '\0') r->nuls++;
        /* The limit counts CRLF: a line of max-2 octets plus CRLF fits. */
        if (r->len + 1 > r->max - (c == '\r' ? 1 : 2)) {
            r->discarding = true;
            r->len = (c == '\r') ? 1 : 0;
            continue;
        }
        r->buf[r->len++] = c;
    }
    return i;
}

const char *line_get(const struct line_reader *r, size_t *len)
{
    if (!r->ready) {
        *len = 0;
        return NULL;
    }
    *len = r->len;
    return r->buf;
}

bool line_has_bare_eol(const struct line_reader *r)
{
    return r->bare_cr > 0 || r->bare_lf > 0;
}

bool line_has_nul(const struct line_reader *r)
{
    return r->nuls > 0;
}

/* ---- the event ring ------------------------------------------------------- */

void line_evq_init(struct line_evq *q, size_t slot_size, size_t cap)
{
    assert(cap > 0 && (cap & (cap - 1)) == 0); /* indices wrap with a mask */
    memset(q, 0, sizeof *q);
    q->size = slot_size;
    q->cap = cap;
    q->slots = ms_xmalloc((cap + 1) * slot_size); /* each push clears its slot */
}

void line_evq_free(struct line_evq *q)
{
    free(q->slots);
    q->slots = NULL;
    q->count = q->head = 0;
}


void line_evq_grow(struct line_evq *q)
{
    size_t cap = q->cap * 2;
    unsigned char *slots = ms_xmalloc((cap + 1) * q->size);
    for (size_t i = 0; i < q->count; i++) memcpy(slots + i * q->size, line_evq_at(q, i), q->size);
    memcpy(slots + cap * q->size, q->slots + q->cap * q->size, q->size); /* the borrowed one */
    free(q->slots);
    q->slots = slots;
    q->cap = cap;
    q->head = 0;
}

void line_evq_unpush(struct line_evq *q, void *out)
{
    assert(q->count > 0);
    memcpy(out, line_evq_at(q, q->count - 1), q->size);
    q->count--;
}

void *line_evq_take(struct line_evq *q)
{
    if (q->count == 0) return NULL;
    unsigned char *borrowed = q->slots + q->cap * q->size;
    memcpy(borrowed, q->slots + q->head * q->size, q->size);
    q->head = (q->head + 1) & (q->cap - 1);
    q->count--;
    return borrowed;
}

/* ---- the session log ------------------------------------------------------ */

#define LINE_LOG_CUT 4096 /* a line longer than this is logged in pieces */

struct line_log_ent {
    struct line_fact f; /* bytes is an arena offset until handed out */
    size_t off;
    int from, to;
    uint64_t end; /* OUT: output offset just past the line */
    bool dropped; /* OUT: never sent */
    const char *why;
};

void line_log_init(struct line_log *g, const char *const *names, int n_names, int initial)
{
    memset(g, 0, sizeof *g);
    g->names = names;
    g->n_names = n_names;
    g->cur = g->reported = initial;
}

void line_log_free(struct line_log *g)
{
    free(g->ents);
    free(g->arena);
    free(g->part[0]);
    free(g->part[1]);
    g->ents = NULL;
    g->arena = NULL;
    g->part[0] = g->part[1] = NULL;
    g->n = g->head = g->cap = 0;
    g->arena_len = g->arena_cap = 0;
    g->part_len[0] = g->part_len[1] = g->part_cap[0] = g->part_cap[1] = 0;
}

void line_log_enable(struct line_log *g, const char *unsent, size_t n)
{
    if (g->on) return;
    g->on = true;
    g->out_total -= n < g->out_total ? n : g->out_total;
    line_log_bytes_slow(g, 1, unsent, n);
}

void line_log_drop_unsent(struct line_log *g)
{
    for (size_t i = g->head; i < g->n; i++) {
        struct line_log_ent *e = &g->ents[i];
        if (e->f.kind == LINE_FACT_OUT && e->end > g->out_sent) e->dropped = true;
    }
    if (g->open && g->ents[g->open_at].dropped) {
        g->open = false;
        g->reported = g->cur;
    }
    g->part_len[1] = 0;
    g->opaque_left[1] = 0;
    g->out_total = g->out_sent;
}

static const char *line_log_name(const struct line_log *g, int st)
{
    return st >= 0 && st < g->n_names && g->names[st] ? g->names[st] : "?";
}

/* Close the open line: its "after" is the state now. */
static void line_log_close(struct line_log *g)
{
    if (!g->open) return;
    g->ents[g->open_at].to = g->cur;
    g->reported = g->cur;
    g->open = false;
}

static struct line_log_ent *line_log_push(struct line_log *g)
{
    if (g->head == g->n) g->head = g->n = g->arena_len = 0; /* all taken: start over */
    if (g->n == g->cap) {
        g->cap = g->cap ? g->cap * 2 : 32;
        g->ents = ms_xrealloc(g->ents, g->cap * sizeof *g->ents);
    }
    struct line_log_ent *e = &g->ents[g->n++];
    memset(e, 0, sizeof *e);
    return e;
}

void line_log_state_slow(struct line_log *g, int from, int to, const char *why)
{
    struct line_log_ent *e = line_log_push(g);
    e->f.kind = LINE_FACT_STATE;
    e->from = from;
    e->to = to;
    e->why = why ? why : "";
}

/* One line of direction d is complete in part[d]: make it a fact. */
static void line_log_emit(struct line_log *g, int d)
{
    /* A line written while a line read is being handled belongs to that
     * handling: the line read is the cause of any change of state. */
    bool under_cause = d == 1 && g->open && g->ents[g->open_at].f.kind == LINE_FACT_IN;
    if (!under_cause) line_log_close(g);
    size_t len = g->part_len[d];
    if (g->arena_len + len > g->arena_cap) {
        size_t cap = g->arena_cap ? g->arena_cap : 1024;
        while (cap < g->arena_len + len) cap *= 2;
        g->arena = ms_xrealloc(g->arena, cap);
        g->arena_cap = cap;
    }
    struct line_log_ent *e = line_log_push(g);
    memcpy(g->arena + g->arena_len, g->part[d], len);
    e->off = g->arena_len;
    g->arena_len += len;
    e->f.kind = d == 0 ? LINE_FACT_IN : LINE_FACT_OUT;
    e->f.flags = g->mark_flags[d];
    if (d == 1) {
        if (!g->out_first && (e->f.flags & (LINE_F_OK | LINE_F_ERR))) e->f.flags |= LINE_F_CONT;
        g->out_first = false;
        if (g->out_nth < g->n_ext) e->f.ext = g->mark_ext[g->out_nth];
        g->out_nth++;
    }
    if (g->tls) e->f.flags |= LINE_F_TLS;
    e->f.code = g->mark_code[d];
    memcpy(e->f.verb, g->mark_verb[d], LINE_VERB_MAX);
    e->f.len = len;
    e->end = g->out_total;
    if (under_cause) {
        e->from = e->to = g->cur;
    } else {
        e->from = g->reported;
        g->open = true;
        g->open_at = g->n - 1;
    }
    g->part_len[d] = 0;
}

static void line_log_put(struct line_log *g, int d, const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (g->part_len[d] == g->part_cap[d]) {
            g->part_cap[d] = g->part_cap[d] ? g->part_cap[d] * 2 : 128;
            g->part[d] = ms_xrealloc(g->part[d], g->part_cap[d]);
        }
        g->part[d][g->part_len[d]++] = p[i];
    }
}

void line_log_cut(struct line_log *g, int d)
{
    if (g->on && g->part_len[d] > 0) line_log_emit(g, d);
}

void line_log_opaque(struct line_log *g, int d, uint64_t n, const char *note)
{
    if (!g->on || n == 0) return;
    line_log_cut(g, d);
    g->opaque_left[d] = n;
    snprintf(g->opaque_note[d], sizeof g->opaque_note[d], "%s", note);
}

static void line_log_bytes(struct line_log *g, int d, const char *p, size_t n)
{
    while (n > 0 && g->opaque_left[d] > 0) {
        size_t k = n < g->opaque_left[d] ? n : (size_t)g->opaque_left[d];
        if (d == 1) g->out_total += k;
        g->opaque_left[d] -= k;
        p += k;
        n -= k;
        if (g->opaque_left[d] == 0) {
            line_log_put(g, d, g->opaque_note[d], strlen(g->opaque_note[d]));
            line_log_emit(g, d);
        }
    }
    for (size_t i = 0; i < n; i++) {
        if (d == 1) g->out_total++;
        if (g->part_len[d] == g->part_cap[d]) {
            g->part_cap[d] = g->part_cap[d] ? g->part_cap[d] * 2 : 128;
            g->part[d] = ms_xrealloc(g->part[d], g->part_cap[d]);
        }
        char c = p[i];
        g->part[d][g->part_len[d]++] = c;
        size_t l = g->part_len[d];
        bool eol = c == '\n' && (g->lf_ends || (l >= 2 && g->part[d][l - 2] == '\r'));
        if (eol || l >= LINE_LOG_CUT) line_log_emit(g, d);
    }
}

void line_log_bytes_slow(struct line_log *g, int d, const char *p, size_t n)
{
    line_log_bytes(g, d, p, n);
}

void line_log_note_in_slow(struct line_log *g, const char *verb, size_t verb_len, unsigned flags)
{
    if (!g->open) return;
    struct line_log_ent *e = &g->ents[g->open_at];
    if (e->f.kind != LINE_FACT_IN) return;
    if (verb_len >= LINE_VERB_MAX) verb_len = LINE_VERB_MAX - 1;
    for (size_t i = 0; i < verb_len; i++) {
        char c = verb[i];
        e->f.verb[i] = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
    }
    e->f.verb[verb_len] = '\0';
    e->f.flags |= flags;
}

void line_log_note_reply_slow(struct line_log *g, unsigned code, unsigned flags)
{
    if (!g->open) return;
    struct line_log_ent *e = &g->ents[g->open_at];
    if (e->f.kind != LINE_FACT_IN) return;
    e->f.code = code;
    e->f.flags |= flags;
}

void line_log_settle_slow(struct line_log *g)
{
    line_log_close(g);
}

bool line_log_next(struct line_log *g, struct line_fact *f)
{
    while (g->head < g->n && g->ents[g->head].dropped) g->head++;
    if (g->head == g->n) return false;
    struct line_log_ent *e = &g->ents[g->head];
    if (g->open && g->head == g->open_at) return false; /* its "after" is not known yet */
    if (e->f.kind == LINE_FACT_OUT && e->end > g->out_sent) return false; /* not sent yet */
    *f = e->f;
    f->from = line_log_name(g, e->from);
    f->to = line_log_name(g, e->to);
    f->why = e->why ? e->why : "";
    f->bytes = e->f.kind == LINE_FACT_STATE ? "" : g->arena + e->off;
    f->end = e->end;
    f->ext = e->f.ext ? e->f.ext : "";
    g->head++;
    return true;
}

void line_log_tls_begins(struct line_log *g)
{
    g->tls = true;
    for (size_t i = g->n; i-- > g->head;) {
        if (g->ents[i].f.kind != LINE_FACT_OUT) continue;
        g->ents[i].f.flags |= LINE_F_TLS_START;
        return;
    }
}

void line_log_tls_begins_read(struct line_log *g)
{
    g->tls = true;
    for (size_t i = g->n; i-- > g->head;) {
        if (g->ents[i].f.kind != LINE_FACT_IN) continue;
        g->ents[i].f.flags |= LINE_F_TLS_START;
        return;
    }
}

bool line_ended_by_lf(const struct line_reader *r)
{
    return r->ready && r->lf_ended;
}

bool line_partial(const struct line_reader *r)
{
    return !r->ready && (r->len > 0 || r->discarding);
}
