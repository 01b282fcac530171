/* ui_trace_shim.c -- TEMPORARY stand-in for sim/trace/trace.c.
 *
 * The trace's implementation is being written on branch foundation; until it
 * is merged, the window, its tests and its benchmark link against these weak
 * definitions of the trace API (trace/trace.h). Every symbol here is weak, so
 * the real trace.c, once linked, replaces all of them. This file is deleted
 * as soon as foundation's trace.c lands on branch ui. Nothing else in ui/
 * knows it exists. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"

#define SHIM __attribute__((weak))
#define SHIM_CHUNK (1u << 20)

struct trace {
    struct trace_host *hosts;
    size_t n_hosts;
    struct trace_link *links;
    size_t n_links;
    char **strs;
    size_t n_strs;
    uint8_t **chunks;
    size_t n_chunks;
    size_t chunk_used;
    const struct trace_rec **recs;
    size_t n_recs, cap_recs;
};

static const struct {
    const char *name;
    enum trace_family fam;
    const char *text;
} shim_kinds[TR_KIND_COUNT] = {
#define SHIM_K(name, fam, text) {#name, TRF_##fam, text},
    TRACE_KIND_MAP(SHIM_K)
#undef SHIM_K
};

static const size_t shim_fam_size[TRF_COUNT] = {
    sizeof(struct trace_ref),   sizeof(struct trace_seg),     sizeof(struct trace_conn),
    sizeof(struct trace_state), sizeof(struct trace_line),    sizeof(struct trace_msg),
    sizeof(struct trace_queue), sizeof(struct trace_mailbox), sizeof(struct trace_dns),
    sizeof(struct trace_timer),
};

SHIM struct trace *trace_new(void) { return ms_xcalloc(1, sizeof(struct trace)); }

SHIM void trace_free(struct trace *tr)
{
    if (!tr)
        return;
    for (size_t i = 0; i < tr->n_hosts; i++)
        free((char *)tr->hosts[i].name);
    for (size_t i = 0; i < tr->n_strs; i++)
        free(tr->strs[i]);
    for (size_t i = 0; i < tr->n_chunks; i++)
        free(tr->chunks[i]);
    free(tr->hosts);
    free(tr->links);
    free(tr->strs);
    free(tr->chunks);
    free(tr->recs);
    free(tr);
}

SHIM void trace_host_add(struct trace *tr, uint32_t id, const char *name, uint32_t ipv4, bool router)
{
    if (id != tr->n_hosts)
        return;
    tr->hosts = ms_xrealloc(tr->hosts, (tr->n_hosts + 1) * sizeof *tr->hosts);
    tr->hosts[tr->n_hosts].ipv4 = ipv4;
    tr->hosts[tr->n_hosts].router = router;
    tr->hosts[tr->n_hosts].name = ms_xstrdup(name);
    tr->n_hosts++;
}

SHIM size_t trace_host_count(const struct trace *tr) { return tr->n_hosts; }

SHIM const char *trace_host_name(const struct trace *tr, uint32_t id)
{
    return id < tr->n_hosts ? tr->hosts[id].name : "?";
}

SHIM const struct trace_host *trace_host_get(const struct trace *tr, uint32_t id)
{
    return id < tr->n_hosts ? &tr->hosts[id] : NULL;
}

SHIM void trace_link_add(struct trace *tr, uint32_t id, const struct trace_link *l)
{
    if (id != tr->n_links)
        return;
    tr->links = ms_xrealloc(tr->links, (tr->n_links + 1) * sizeof *tr->links);
    tr->links[tr->n_links++] = *l;
}

SHIM size_t trace_link_count(const struct trace *tr) { return tr->n_links; }

SHIM const struct trace_link *trace_link_get(const struct trace *tr, uint32_t id)
{
    return id < tr->n_links ? &tr->links[id] : NULL;
}

SHIM uint32_t trace_intern_n(struct trace *tr, const char *s, size_t len)
{
    for (size_t i = 0; i < tr->n_strs; i++)
        if (strlen(tr->strs[i]) == len && memcmp(tr->strs[i], s, len) == 0)
            return (uint32_t)i;
    tr->strs = ms_xrealloc(tr->strs, (tr->n_strs + 1) * sizeof *tr->strs);
    tr->strs[tr->n_strs] = ms_xmemdup(s, len);
    return (uint32_t)tr->n_strs++;
}

SHIM uint32_t trace_intern(struct trace *tr, const char *s) { return trace_intern_n(tr, s, strlen(s)); }

SHIM const char *trace_str(const struct trace *tr, uint32_t id)
{
    return id < tr->n_strs ? tr->strs[id] : "";
}

SHIM size_t trace_str_count(const struct trace *tr) { return tr->n_strs; }

SHIM void trace_on_netev(void *ctx, sim_us t, const struct netev *ev)
{
    (void)ctx;
    (void)t;
    (void)ev;
}

SHIM size_t trace_append(struct trace *tr, sim_us t, enum trace_kind kind, const void *body,
                         const void *data, size_t len)
{
    size_t bsz = shim_fam_size[shim_kinds[kind].fam];
    size_t total = sizeof(struct trace_rec) + bsz + len;
    size_t padded = (total + 7u) & ~(size_t)7u;
    if (tr->n_chunks == 0 || tr->chunk_used + padded > SHIM_CHUNK) {
        size_t sz = padded > SHIM_CHUNK ? padded : SHIM_CHUNK;
        tr->chunks = ms_xrealloc(tr->chunks, (tr->n_chunks + 1) * sizeof *tr->chunks);
        tr->chunks[tr->n_chunks++] = ms_xcalloc(1, sz);
        tr->chunk_used = 0;
    }
    uint8_t *p = tr->chunks[tr->n_chunks - 1] + tr->chunk_used;
    tr->chunk_used += padded;
    struct trace_rec r = {t, (uint32_t)kind, (uint32_t)(bsz + len)};
    memcpy(p, &r, sizeof r);
    memcpy(p + sizeof r, body, bsz);
    if (len)
        memcpy(p + sizeof r + bsz, data, len);
    if (tr->n_recs == tr->cap_recs) {
        tr->cap_recs = tr->cap_recs ? 2 * tr->cap_recs : 1024;
        tr->recs = ms_xrealloc(tr->recs, tr->cap_recs * sizeof *tr->recs);
    }
    tr->recs[tr->n_recs] = (const struct trace_rec *)(void *)p;
    return tr->n_recs++;
}

SHIM size_t trace_add_line(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t conn,
                           uint32_t host, uint32_t peer, char side, const char *proto,
                           const char *state_before, const char *state_after, const void *line,
                           size_t len)
{
    struct trace_line b;
    memset(&b, 0, sizeof b);
    b.conn = conn;
    b.host = host;
    b.peer = peer;
    b.proto = trace_intern(tr, proto);
    b.state_before = trace_intern(tr, state_before);
    b.state_after = trace_intern(tr, state_after);
    b.side = (uint8_t)side;
    b.len = (uint32_t)len;
    return trace_append(tr, t, kind, &b, line, len);
}

SHIM size_t trace_add_msg(struct trace *tr, sim_us t, enum trace_kind kind, const struct trace_msg *m,
                          const char *text)
{
    return trace_append(tr, t, kind, m, text, text ? strlen(text) : 0);
}

SHIM size_t trace_add_queue(struct trace *tr, sim_us t, uint32_t host, uint32_t length,
                            sim_us next_retry)
{
    struct trace_queue b;
    memset(&b, 0, sizeof b);
    b.host = host;
    b.length = length;
    b.next_retry = next_retry;
    return trace_append(tr, t, TR_QUEUE_CHANGED, &b, NULL, 0);
}

SHIM size_t trace_add_mailbox(struct trace *tr, sim_us t, uint32_t host, const char *user,
                              const char *folder, uint32_t count, uint32_t unseen)
{
    struct trace_mailbox b;
    memset(&b, 0, sizeof b);
    b.host = host;
    b.user = trace_intern(tr, user);
    b.folder = trace_intern(tr, folder);
    b.count = count;
    b.unseen = unseen;
    return trace_append(tr, t, TR_MAILBOX_CHANGED, &b, NULL, 0);
}

SHIM size_t trace_add_dns(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                          uint32_t server, const char *qname, uint16_t qtype, uint16_t rcode,
                          uint32_t id, const char *answer)
{
    struct trace_dns b;
    memset(&b, 0, sizeof b);
    b.host = host;
    b.server = server;
    b.qname = trace_intern(tr, qname);
    b.qtype = qtype;
    b.rcode = rcode;
    b.id = id;
    return trace_append(tr, t, kind, &b, answer, answer ? strlen(answer) : 0);
}

SHIM size_t trace_add_narration(struct trace *tr, sim_us t, uint32_t host, const char *fmt, ...)
{
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    struct trace_ref b = {host, 0};
    return trace_append(tr, t, TR_NARRATION, &b, buf, strlen(buf));
}

SHIM size_t trace_add_timer(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                            sim_us due, const char *label)
{
    struct trace_timer b;
    memset(&b, 0, sizeof b);
    b.due = due;
    b.host = host;
    b.label = trace_intern(tr, label);
    return trace_append(tr, t, kind, &b, NULL, 0);
}

SHIM size_t trace_count(const struct trace *tr) { return tr->n_recs; }

SHIM const struct trace_rec *trace_get(const struct trace *tr, size_t k) { return tr->recs[k]; }

SHIM size_t trace_lower_bound(const struct trace *tr, sim_us t)
{
    size_t lo = 0, hi = tr->n_recs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->recs[mid]->t < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

SHIM size_t trace_upper_bound(const struct trace *tr, sim_us t)
{
    size_t lo = 0, hi = tr->n_recs;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->recs[mid]->t <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

SHIM sim_us trace_end_time(const struct trace *tr)
{
    return tr->n_recs ? tr->recs[tr->n_recs - 1]->t : 0;
}

SHIM const void *trace_body(const struct trace_rec *r) { return r + 1; }

SHIM const uint8_t *trace_data(const struct trace_rec *r, size_t *len)
{
    size_t bsz = shim_fam_size[shim_kinds[r->kind].fam];
    if (len)
        *len = r->len - bsz;
    return (const uint8_t *)(r + 1) + bsz;
}

SHIM const struct trace_seg *trace_as_seg(const struct trace_rec *r)
{
    return shim_kinds[r->kind].fam == TRF_SEG ? trace_body(r) : NULL;
}

SHIM const struct trace_conn *trace_as_conn(const struct trace_rec *r)
{
    return shim_kinds[r->kind].fam == TRF_CONN ? trace_body(r) : NULL;
}

SHIM const struct trace_line *trace_as_line(const struct trace_rec *r)
{
    return shim_kinds[r->kind].fam == TRF_LINE ? trace_body(r) : NULL;
}

SHIM const struct trace_msg *trace_as_msg(const struct trace_rec *r)
{
    return shim_kinds[r->kind].fam == TRF_MSG ? trace_body(r) : NULL;
}

SHIM const char *trace_kind_name(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? shim_kinds[kind].name : "?";
}

SHIM enum trace_family trace_kind_family(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? shim_kinds[kind].fam : TRF_COUNT;
}

SHIM size_t trace_family_size(enum trace_family fam)
{
    return (unsigned)fam < TRF_COUNT ? shim_fam_size[fam] : 0;
}

SHIM char *trace_format_time(sim_us t, char *buf, size_t buflen)
{
    long long d = (long long)(t / SIM_US_PER_DAY);
    long long r = (long long)(t % SIM_US_PER_DAY);
    if (d > 0)
        snprintf(buf, buflen, "%lldd %02lld:%02lld:%02lld.%03lld", d, r / 3600000000LL,
                 r / 60000000LL % 60, r / 1000000LL % 60, r / 1000LL % 1000);
    else
        snprintf(buf, buflen, "%02lld:%02lld:%02lld.%03lld", r / 3600000000LL, r / 60000000LL % 60,
                 r / 1000000LL % 60, r / 1000LL % 1000);
    return buf;
}

SHIM size_t trace_format_line(const struct trace *tr, size_t k, char *buf, size_t buflen)
{
    const struct trace_rec *r = trace_get(tr, k);
    char ts[32];
    trace_format_time(r->t, ts, sizeof ts);
    int n = snprintf(buf, buflen, "%s  %s", ts, shim_kinds[r->kind].text);
    return n < 0 ? 0 : (size_t)n;
}

SHIM int trace_write_text(const struct trace *tr, FILE *f)
{
    char line[512];
    for (size_t k = 0; k < tr->n_recs; k++) {
        trace_format_line(tr, k, line, sizeof line);
        if (fprintf(f, "%s\n", line) < 0)
            return -1;
    }
    return 0;
}

SHIM void trace_serialize(const struct trace *tr, void (*fn)(void *ctx, const void *p, size_t n),
                          void *ctx)
{
    for (size_t k = 0; k < tr->n_recs; k++)
        fn(ctx, tr->recs[k], sizeof(struct trace_rec) + tr->recs[k]->len);
}

static void shim_hash_fn(void *ctx, const void *p, size_t n)
{
    uint64_t *h = ctx;
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++) {
        *h ^= b[i];
        *h *= 1099511628211ULL;
    }
}

SHIM uint64_t trace_hash(const struct trace *tr)
{
    uint64_t h = 14695981039346656037ULL;
    trace_serialize(tr, shim_hash_fn, &h);
    return h;
}

SHIM size_t trace_memory(const struct trace *tr) { return tr->n_chunks * SHIM_CHUNK; }
