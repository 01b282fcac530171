/* trace.c -- the append-only record: arenas, index, header, text form. */
#include "trace/trace.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "core/common.h"

#define TRACE_CHUNK ((size_t)1 << 20) /* arena chunk, bytes */
#define TRACE_ALIGN 8

struct trace_chunk {
    struct trace_chunk *next;
    size_t used, cap;
    _Alignas(8) unsigned char mem[];
};

struct trace {
    struct trace_chunk *head, *tail;
    const struct trace_rec **index; /* record k -> its bytes */
    size_t count, index_cap;
    sim_us last_t;

    struct trace_host *hosts;
    size_t nhosts, hosts_cap;
    struct trace_link *links;
    size_t nlinks, links_cap;

    char **strs; /* id -> string (owned) */
    size_t *str_lens;
    size_t nstrs, strs_cap;
    uint32_t *str_table; /* open addressing: id + 1, 0 = empty */
    size_t str_table_cap;
    size_t str_bytes;
};

struct trace_kind_info {
    const char *name;
    enum trace_family fam;
};

static const struct trace_kind_info trace_kinds[TR_KIND_COUNT] = {
#define TRACE_KIND_INFO(name, fam, text) {#name, TRF_##fam},
    TRACE_KIND_MAP(TRACE_KIND_INFO)
#undef TRACE_KIND_INFO
};

static const size_t trace_family_sizes[TRF_COUNT] = {
    [TRF_REF] = sizeof(struct trace_ref),         [TRF_SEG] = sizeof(struct trace_seg),
    [TRF_CONN] = sizeof(struct trace_conn),       [TRF_STATE] = sizeof(struct trace_state),
    [TRF_LINE] = sizeof(struct trace_line),       [TRF_MSG] = sizeof(struct trace_msg),
    [TRF_QUEUE] = sizeof(struct trace_queue),     [TRF_MAILBOX] = sizeof(struct trace_mailbox),
    [TRF_DNS] = sizeof(struct trace_dns),         [TRF_TIMER] = sizeof(struct trace_timer),
};

/* ---- life ------------------------------------------------------------------ */

struct trace *trace_new(void)
{
    struct trace *tr = ms_xcalloc(1, sizeof *tr);
    tr->str_table_cap = 64;
    tr->str_table = ms_xcalloc(tr->str_table_cap, sizeof *tr->str_table);
    return tr;
}

void trace_free(struct trace *tr)
{
    if (!tr) return;
    for (struct trace_chunk *c = tr->head, *n; c; c = n) {
        n = c->next;
        free(c);
    }
    free(tr->index);
    for (size_t i = 0; i < tr->nhosts; i++) free((char *)tr->hosts[i].name);
    free(tr->hosts);
    free(tr->links);
    for (size_t i = 0; i < tr->nstrs; i++) free(tr->strs[i]);
    free(tr->strs);
    free(tr->str_lens);
    free(tr->str_table);
    free(tr);
}

/* ---- header -------------------------------------------------------------------- */

void trace_host_add(struct trace *tr, uint32_t id, const char *name, uint32_t ipv4, bool router)
{
    if (id < tr->nhosts) return;
    if (id != tr->nhosts) ms_fatal("trace: host %" PRIu32 " registered out of order", id);
    if (tr->nhosts == tr->hosts_cap) {
        tr->hosts_cap = tr->hosts_cap ? tr->hosts_cap * 2 : 16;
        tr->hosts = ms_xrealloc(tr->hosts, tr->hosts_cap * sizeof *tr->hosts);
    }
    struct trace_host *h = &tr->hosts[tr->nhosts++];
    h->ipv4 = ipv4;
    h->router = router ? 1 : 0;
    h->name = ms_xstrdup(name ? name : "?");
}

size_t trace_host_count(const struct trace *tr)
{
    return tr->nhosts;
}

const char *trace_host_name(const struct trace *tr, uint32_t id)
{
    return id < tr->nhosts ? tr->hosts[id].name : "?";
}

const struct trace_host *trace_host_get(const struct trace *tr, uint32_t id)
{
    return id < tr->nhosts ? &tr->hosts[id] : NULL;
}

void trace_link_add(struct trace *tr, uint32_t id, const struct trace_link *l)
{
    if (id < tr->nlinks) return;
    if (id != tr->nlinks) ms_fatal("trace: link %" PRIu32 " registered out of order", id);
    if (tr->nlinks == tr->links_cap) {
        tr->links_cap = tr->links_cap ? tr->links_cap * 2 : 16;
        tr->links = ms_xrealloc(tr->links, tr->links_cap * sizeof *tr->links);
    }
    tr->links[tr->nlinks++] = *l;
}

size_t trace_link_count(const struct trace *tr)
{
    return tr->nlinks;
}

const struct trace_link *trace_link_get(const struct trace *tr, uint32_t id)
{
    return id < tr->nlinks ? &tr->links[id] : NULL;
}

/* ---- interned strings ------------------------------------------------------------ */

static uint64_t trace_fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *s = p;
    for (size_t i = 0; i < n; i++) {
        h ^= s[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void trace_str_rehash(struct trace *tr)
{
    size_t cap = tr->str_table_cap * 2;
    uint32_t *t = ms_xcalloc(cap, sizeof *t);
    for (size_t id = 0; id < tr->nstrs; id++) {
        size_t i = trace_fnv(tr->strs[id], tr->str_lens[id], 0xcbf29ce484222325ULL) & (cap - 1);
        while (t[i]) i = (i + 1) & (cap - 1);
        t[i] = (uint32_t)id + 1;
    }
    free(tr->str_table);
    tr->str_table = t;
    tr->str_table_cap = cap;
}

uint32_t trace_intern_n(struct trace *tr, const char *s, size_t len)
{
    if (!s) return TRACE_NONE;
    size_t mask = tr->str_table_cap - 1;
    size_t i = trace_fnv(s, len, 0xcbf29ce484222325ULL) & mask;
    while (tr->str_table[i]) {
        uint32_t id = tr->str_table[i] - 1;
        if (tr->str_lens[id] == len && memcmp(tr->strs[id], s, len) == 0) return id;
        i = (i + 1) & mask;
    }
    if (tr->nstrs == tr->strs_cap) {
        tr->strs_cap = tr->strs_cap ? tr->strs_cap * 2 : 32;
        tr->strs = ms_xrealloc(tr->strs, tr->strs_cap * sizeof *tr->strs);
        tr->str_lens = ms_xrealloc(tr->str_lens, tr->strs_cap * sizeof *tr->str_lens);
    }
    uint32_t id = (uint32_t)tr->nstrs++;
    tr->strs[id] = ms_xmemdup(s, len);
    tr->str_lens[id] = len;
    tr->str_bytes += len + 1;
    tr->str_table[i] = id + 1;
    if (tr->nstrs * 2 > tr->str_table_cap) trace_str_rehash(tr);
    return id;
}

uint32_t trace_intern(struct trace *tr, const char *s)
{
    return s ? trace_intern_n(tr, s, strlen(s)) : TRACE_NONE;
}

const char *trace_str(const struct trace *tr, uint32_t id)
{
    return id < tr->nstrs ? tr->strs[id] : "";
}

size_t trace_str_count(const struct trace *tr)
{
    return tr->nstrs;
}

/* ---- appending ------------------------------------------------------------------ */

static size_t trace_padded(size_t n)
{
    return (n + TRACE_ALIGN - 1) & ~(size_t)(TRACE_ALIGN - 1);
}

size_t trace_append(struct trace *tr, sim_us t, enum trace_kind kind, const void *body,
                    const void *data, size_t len)
{
    if ((unsigned)kind >= TR_KIND_COUNT) ms_fatal("trace: bad record kind %d", (int)kind);
    if (t < tr->last_t) ms_fatal("trace: time went backwards (%" PRId64 " < %" PRId64 ")", t, tr->last_t);
    size_t bsize = trace_family_sizes[trace_kinds[kind].fam];
    if (len > UINT32_MAX - bsize) ms_fatal("trace: record of %zu bytes is too large", len);
    size_t need = trace_padded(sizeof(struct trace_rec) + bsize + len);
    struct trace_chunk *c = tr->tail;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > TRACE_CHUNK ? need : TRACE_CHUNK;
        c = ms_xmalloc(sizeof *c + cap);
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
        if (tr->tail) tr->tail->next = c;
        else tr->head = c;
        tr->tail = c;
    }
    unsigned char *p = c->mem + c->used;
    memset(p, 0, need); /* every padding byte is zero */
    struct trace_rec *r = (struct trace_rec *)p;
    r->t = t;
    r->kind = (uint32_t)kind;
    r->len = (uint32_t)(bsize + len);
    if (bsize) memcpy(p + sizeof *r, body, bsize);
    if (len) memcpy(p + sizeof *r + bsize, data, len);
    c->used += need;
    if (tr->count == tr->index_cap) {
        tr->index_cap = tr->index_cap ? tr->index_cap * 2 : 1024;
        tr->index = ms_xrealloc(tr->index, tr->index_cap * sizeof *tr->index);
    }
    tr->index[tr->count] = r;
    tr->last_t = t;
    return tr->count++;
}

static void trace_seg_from(struct trace_seg *s, const struct netev_seg *e)
{
    memset(s, 0, sizeof *s);
    s->t_depart = e->t_depart;
    s->t_arrive = e->t_arrive;
    s->conn = e->conn;
    s->src = e->src;
    s->dst = e->dst;
    s->hop_from = e->hop_from;
    s->hop_to = e->hop_to;
    s->link = e->link;
    s->seq = e->seq;
    s->ack = e->ack;
    s->sport = e->sport;
    s->dport = e->dport;
    s->window = e->window;
    s->mss = e->mss;
    s->flags = e->flags;
    s->reason = e->reason;
    s->attempt = e->attempt;
    s->len = e->len;
}

void trace_on_netev(void *ctx, sim_us t, const struct netev *ev)
{
    struct trace *tr = ctx;
    struct trace_ref ref = {0, 0};
    switch (ev->kind) {
    case NETEV_HOST_NEW:
        trace_host_add(tr, ev->u.host.host, ev->u.host.name, ev->u.host.ipv4, ev->u.host.router);
        return;
    case NETEV_LINK_NEW: {
        struct trace_link l;
        memset(&l, 0, sizeof l);
        l.latency_us = ev->u.link.latency_us;
        l.bandwidth_bps = ev->u.link.bandwidth_bps;
        l.loss = ev->u.link.loss;
        l.a = ev->u.link.a;
        l.b = ev->u.link.b;
        l.mtu = ev->u.link.mtu;
        trace_link_add(tr, ev->u.link.link, &l);
        return;
    }
    case NETEV_HOST_UP:
    case NETEV_HOST_DOWN:
        ref.id = ev->u.host.host;
        trace_append(tr, t, ev->kind == NETEV_HOST_UP ? TR_HOST_UP : TR_HOST_DOWN, &ref, NULL, 0);
        return;
    case NETEV_LINK_UP:
    case NETEV_LINK_DOWN:
        ref.id = ev->u.link.link;
        trace_append(tr, t, ev->kind == NETEV_LINK_UP ? TR_LINK_UP : TR_LINK_DOWN, &ref, NULL, 0);
        return;
    case NETEV_SEG_SENT:
    case NETEV_SEG_RETRANS:
    case NETEV_SEG_FORWARD:
    case NETEV_SEG_ARRIVED:
    case NETEV_SEG_LOST:
    case NETEV_DGRAM_SENT:
    case NETEV_DGRAM_FORWARD:
    case NETEV_DGRAM_ARRIVED:
    case NETEV_DGRAM_LOST: {
        static const enum trace_kind map[] = {
            [NETEV_SEG_SENT] = TR_SEG_SENT,         [NETEV_SEG_RETRANS] = TR_SEG_RETRANS,
            [NETEV_SEG_FORWARD] = TR_SEG_FORWARD,   [NETEV_SEG_ARRIVED] = TR_SEG_ARRIVED,
            [NETEV_SEG_LOST] = TR_SEG_LOST,         [NETEV_DGRAM_SENT] = TR_DGRAM_SENT,
            [NETEV_DGRAM_FORWARD] = TR_DGRAM_FORWARD, [NETEV_DGRAM_ARRIVED] = TR_DGRAM_ARRIVED,
            [NETEV_DGRAM_LOST] = TR_DGRAM_LOST,
        };
        struct trace_seg s;
        trace_seg_from(&s, &ev->u.seg);
        trace_append(tr, t, map[ev->kind], &s, ev->u.seg.data, ev->u.seg.len);
        return;
    }
    case NETEV_CONN_OPENED:
    case NETEV_CONN_REFUSED:
    case NETEV_CONN_TIMEOUT:
    case NETEV_CONN_CLOSED:
    case NETEV_CONN_RESET: {
        static const enum trace_kind map[] = {
            [NETEV_CONN_OPENED] = TR_CONN_OPENED,   [NETEV_CONN_REFUSED] = TR_CONN_REFUSED,
            [NETEV_CONN_TIMEOUT] = TR_CONN_TIMEOUT, [NETEV_CONN_CLOSED] = TR_CONN_CLOSED,
            [NETEV_CONN_RESET] = TR_CONN_RESET,
        };
        struct trace_conn c;
        memset(&c, 0, sizeof c);
        c.conn = ev->u.conn.conn;
        c.host = ev->u.conn.host;
        c.client = ev->u.conn.client;
        c.server = ev->u.conn.server;
        c.cport = ev->u.conn.cport;
        c.sport = ev->u.conn.sport;
        c.reason = ev->u.conn.reason;
        trace_append(tr, t, map[ev->kind], &c, NULL, 0);
        return;
    }
    case NETEV_TCP_STATE: {
        struct trace_state s;
        memset(&s, 0, sizeof s);
        s.conn = ev->u.state.conn;
        s.host = ev->u.state.host;
        s.from = trace_intern(tr, ev->u.state.from);
        s.to = trace_intern(tr, ev->u.state.to);
        trace_append(tr, t, TR_TCP_STATE, &s, NULL, 0);
        return;
    }
    case NETEV_KIND_COUNT:
        break;
    }
}

size_t trace_add_line(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t conn,
                      uint32_t host, uint32_t peer, char side, const char *proto,
                      const char *state_before, const char *state_after, const void *line,
                      size_t len)
{
    struct trace_line l;
    memset(&l, 0, sizeof l);
    l.conn = conn;
    l.host = host;
    l.peer = peer;
    l.proto = trace_intern(tr, proto);
    l.state_before = trace_intern(tr, state_before);
    l.state_after = trace_intern(tr, state_after);
    l.side = (uint8_t)side;
    l.len = (uint32_t)len;
    return trace_append(tr, t, kind, &l, line, len);
}

size_t trace_add_msg(struct trace *tr, sim_us t, enum trace_kind kind, const struct trace_msg *m,
                     const char *text)
{
    struct trace_msg c;
    memset(&c, 0, sizeof c);
    c.next_retry = m->next_retry;
    c.msg = m->msg;
    c.host = m->host;
    c.peer = m->peer;
    c.attempt = m->attempt;
    c.code = m->code;
    c.sender = m->sender;
    c.rcpt = m->rcpt;
    c.msgid = m->msgid;
    return trace_append(tr, t, kind, &c, text, text ? strlen(text) : 0);
}

size_t trace_add_queue(struct trace *tr, sim_us t, uint32_t host, uint32_t length,
                       sim_us next_retry)
{
    struct trace_queue q;
    memset(&q, 0, sizeof q);
    q.host = host;
    q.length = length;
    q.next_retry = next_retry;
    return trace_append(tr, t, TR_QUEUE_CHANGED, &q, NULL, 0);
}

size_t trace_add_mailbox(struct trace *tr, sim_us t, uint32_t host, const char *user,
                         const char *folder, uint32_t count, uint32_t unseen)
{
    struct trace_mailbox m;
    memset(&m, 0, sizeof m);
    m.host = host;
    m.user = trace_intern(tr, user);
    m.folder = trace_intern(tr, folder);
    m.count = count;
    m.unseen = unseen;
    return trace_append(tr, t, TR_MAILBOX_CHANGED, &m, NULL, 0);
}

size_t trace_add_dns(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                     uint32_t server, const char *qname, uint16_t qtype, uint16_t rcode,
                     uint32_t id, const char *answer)
{
    struct trace_dns d;
    memset(&d, 0, sizeof d);
    d.host = host;
    d.server = server;
    d.qname = trace_intern(tr, qname);
    d.qtype = qtype;
    d.rcode = rcode;
    d.id = id;
    return trace_append(tr, t, kind, &d, answer, answer ? strlen(answer) : 0);
}

size_t trace_add_narration(struct trace *tr, sim_us t, uint32_t host, const char *fmt, ...)
{
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    char *text = small;
    if ((size_t)n >= sizeof small) {
        text = ms_xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    struct trace_ref ref = {host, 0};
    size_t k = trace_append(tr, t, TR_NARRATION, &ref, text, (size_t)n);
    if (text != small) free(text);
    return k;
}

size_t trace_add_timer(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                       sim_us due, const char *label)
{
    struct trace_timer x;
    memset(&x, 0, sizeof x);
    x.due = due;
    x.host = host;
    x.label = trace_intern(tr, label);
    return trace_append(tr, t, kind, &x, NULL, 0);
}

/* ---- reading ------------------------------------------------------------------ */

size_t trace_count(const struct trace *tr)
{
    return tr->count;
}

const struct trace_rec *trace_get(const struct trace *tr, size_t k)
{
    return k < tr->count ? tr->index[k] : NULL;
}

size_t trace_lower_bound(const struct trace *tr, sim_us t)
{
    size_t lo = 0, hi = tr->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->index[mid]->t < t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

size_t trace_upper_bound(const struct trace *tr, sim_us t)
{
    size_t lo = 0, hi = tr->count;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (tr->index[mid]->t <= t) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

sim_us trace_end_time(const struct trace *tr)
{
    return tr->count ? tr->index[tr->count - 1]->t : 0;
}

const void *trace_body(const struct trace_rec *r)
{
    return (const unsigned char *)r + sizeof *r;
}

const uint8_t *trace_data(const struct trace_rec *r, size_t *len)
{
    size_t b = r->kind < TR_KIND_COUNT ? trace_family_sizes[trace_kinds[r->kind].fam] : 0;
    *len = r->len > b ? r->len - b : 0;
    return (const uint8_t *)r + sizeof *r + b;
}

static const void *trace_as(const struct trace_rec *r, enum trace_family fam)
{
    if (!r || r->kind >= TR_KIND_COUNT || trace_kinds[r->kind].fam != fam) return NULL;
    return trace_body(r);
}

const struct trace_seg *trace_as_seg(const struct trace_rec *r)
{
    return trace_as(r, TRF_SEG);
}

const struct trace_conn *trace_as_conn(const struct trace_rec *r)
{
    return trace_as(r, TRF_CONN);
}

const struct trace_line *trace_as_line(const struct trace_rec *r)
{
    return trace_as(r, TRF_LINE);
}

const struct trace_msg *trace_as_msg(const struct trace_rec *r)
{
    return trace_as(r, TRF_MSG);
}

const char *trace_kind_name(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? trace_kinds[kind].name : "?";
}

enum trace_family trace_kind_family(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? trace_kinds[kind].fam : TRF_COUNT;
}

size_t trace_family_size(enum trace_family fam)
{
    return (unsigned)fam < TRF_COUNT ? trace_family_sizes[fam] : 0;
}

size_t trace_memory(const struct trace *tr)
{
    size_t m = sizeof *tr + tr->index_cap * sizeof *tr->index;
    for (const struct trace_chunk *c = tr->head; c; c = c->next) m += sizeof *c + c->cap;
    m += tr->hosts_cap * sizeof *tr->hosts + tr->links_cap * sizeof *tr->links;
    m += tr->strs_cap * (sizeof *tr->strs + sizeof *tr->str_lens) + tr->str_bytes;
    m += tr->str_table_cap * sizeof *tr->str_table;
    return m;
}

/* ---- serialisation and hash -------------------------------------------------------- */

static void trace_put_u32(void (*fn)(void *, const void *, size_t), void *ctx, uint32_t v)
{
    fn(ctx, &v, sizeof v);
}

void trace_serialize(const struct trace *tr, void (*fn)(void *ctx, const void *p, size_t n),
                     void *ctx)
{
    static const char magic[] = "MAILSIM-TRACE 1\n";
    fn(ctx, magic, sizeof magic - 1);
    trace_put_u32(fn, ctx, (uint32_t)tr->nhosts);
    for (size_t i = 0; i < tr->nhosts; i++) {
        const struct trace_host *h = &tr->hosts[i];
        trace_put_u32(fn, ctx, h->ipv4);
        trace_put_u32(fn, ctx, h->router);
        trace_put_u32(fn, ctx, (uint32_t)strlen(h->name));
        fn(ctx, h->name, strlen(h->name));
    }
    trace_put_u32(fn, ctx, (uint32_t)tr->nlinks);
    for (size_t i = 0; i < tr->nlinks; i++) {
        const struct trace_link *l = &tr->links[i];
        fn(ctx, &l->latency_us, sizeof l->latency_us);
        fn(ctx, &l->bandwidth_bps, sizeof l->bandwidth_bps);
        fn(ctx, &l->loss, sizeof l->loss);
        trace_put_u32(fn, ctx, l->a);
        trace_put_u32(fn, ctx, l->b);
        trace_put_u32(fn, ctx, l->mtu);
    }
    trace_put_u32(fn, ctx, (uint32_t)tr->nstrs);
    for (size_t i = 0; i < tr->nstrs; i++) {
        trace_put_u32(fn, ctx, (uint32_t)tr->str_lens[i]);
        fn(ctx, tr->strs[i], tr->str_lens[i]);
    }
    for (const struct trace_chunk *c = tr->head; c; c = c->next) fn(ctx, c->mem, c->used);
}

static void trace_hash_fn(void *ctx, const void *p, size_t n)
{
    uint64_t *h = ctx;
    *h = trace_fnv(p, n, *h);
}

uint64_t trace_hash(const struct trace *tr)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    trace_serialize(tr, trace_hash_fn, &h);
    return h;
}
