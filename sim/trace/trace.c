/* trace.c -- records and notes (in packed storage), header tables,
 * interning, serialization. */
#include "trace/trace.h"
#include "core/hash.h"

#include "trace/trace_pack.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define TRACE_ALIGN 8
#define TRACE_STR_CHUNK ((size_t)64 << 10)
/* Records: blocks of 256 KiB raw (a busy day's block compresses about 11x;
 * larger blocks gain little), 32 decoded blocks kept (8 MiB): a lesson's
 * whole trace stays decoded, a day's window draws from a few blocks. */
#define TRACE_BLOCK_BYTES ((size_t)256 << 10)
#define TRACE_CACHE_BLOCKS 32
/* Message copies and MIME parts: in chunks of this many, so that a day's
 * hundreds of thousands leave at most one chunk unused (a doubled array
 * leaves up to half) and are never copied to grow. */
#define TRACE_ITEM_CHUNK 4096
/* The bytes copies put in front of their base's header: blocks of 64 KiB
 * (about 500 heads), 4 decoded; a message's copies are taken within a few
 * blocks of each other. */
#define TRACE_HEAD_BLOCK ((size_t)64 << 10)
#define TRACE_HEAD_CACHE 4
/* Timer notes: 4,096 a block, 4 blocks decoded. */
#define TRACE_NOTE_BLOCK (4096 * sizeof(struct trace_timer_note))
#define TRACE_NOTE_CACHE 4

struct trace {
    struct trace_pack *recs; /* the records */
    size_t n;                /* records appended */
    sim_us last_t;
    struct trace_host *hosts;
    size_t nhosts, hostcap;
    struct trace_link *links;
    size_t nlinks, linkcap;
    char **strs; /* into strmem: no allocation per string */
    uint32_t *strlens;
    char **strmem; /* chunks of TRACE_STR_CHUNK bytes (or one long string) */
    size_t nstrmem, strmemcap, strmem_used, strmem_cap;
    size_t nstrs, strcap;
    uint32_t *slots; /* open addressing: string id + 1, 0 = empty */
    size_t nslots;
    bool timers_aside;
    struct trace_pack *notes; /* timers beside the records */
    void **copies; /* message copies beside the records: chunks of struct trace_msg_copy */
    size_t ncopies, copychunks;
    void **parts; /* their MIME parts: chunks of struct trace_mime_part */
    size_t nparts, partchunks;
    struct trace_pack *heads; /* each copy's head (TRACE_PACK_BYTES), none when empty */
    uint32_t *last_copy;      /* message number -> its latest copy + 1, 0 = none */
    size_t nlast_copy;
    bool headers_whole; /* no header deltas (trace_copy_headers_whole) */
};

/* Body size of each kind, from the X-macro's family column. */
static const uint8_t trace_kind_fam[TR_KIND_COUNT] = {
#define TRACE_KIND_FAM(name, fam, text) TRF_##fam,
    TRACE_KIND_MAP(TRACE_KIND_FAM)
#undef TRACE_KIND_FAM
};
static const char *const trace_kind_names[TR_KIND_COUNT] = {
#define TRACE_KIND_NAME(name, fam, text) #name,
    TRACE_KIND_MAP(TRACE_KIND_NAME)
#undef TRACE_KIND_NAME
};
static const char *const trace_kind_texts[TR_KIND_COUNT] = {
#define TRACE_KIND_TEXT(name, fam, text) text,
    TRACE_KIND_MAP(TRACE_KIND_TEXT)
#undef TRACE_KIND_TEXT
};
static const uint16_t trace_fam_size[TRF_COUNT] = {
    [TRF_REF] = sizeof(struct trace_ref),     [TRF_SEG] = sizeof(struct trace_seg),
    [TRF_CONN] = sizeof(struct trace_conn),   [TRF_STATE] = sizeof(struct trace_state),
    [TRF_LINE] = sizeof(struct trace_line),   [TRF_MSG] = sizeof(struct trace_msg),
    [TRF_QUEUE] = sizeof(struct trace_queue), [TRF_MAILBOX] = sizeof(struct trace_mailbox),
    [TRF_DNS] = sizeof(struct trace_dns),     [TRF_TIMER] = sizeof(struct trace_timer),
};

const char *trace_kind_name(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? trace_kind_names[kind] : "?";
}

const char *trace_kind_text(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? trace_kind_texts[kind] : "?";
}

enum trace_family trace_kind_family(enum trace_kind kind)
{
    return (unsigned)kind < TR_KIND_COUNT ? (enum trace_family)trace_kind_fam[kind] : TRF_COUNT;
}

size_t trace_family_size(enum trace_family fam)
{
    return (unsigned)fam < TRF_COUNT ? trace_fam_size[fam] : 0;
}

struct trace *trace_new(void)
{
    struct trace *tr = ms_xcalloc(1, sizeof *tr);
    tr->recs = trace_pack_new(TRACE_PACK_RECORDS, TRACE_BLOCK_BYTES, TRACE_CACHE_BLOCKS);
    tr->notes = trace_pack_new(TRACE_PACK_WORDS, TRACE_NOTE_BLOCK, TRACE_NOTE_CACHE);
    tr->heads = trace_pack_new(TRACE_PACK_BYTES, TRACE_HEAD_BLOCK, TRACE_HEAD_CACHE);
    return tr;
}

void trace_set_storage(struct trace *tr, size_t block_bytes, size_t cache_blocks)
{
    assert(tr->n == 0 && trace_pack_count(tr->notes) == 0 && tr->ncopies == 0 &&
           "set before recording");
    if (tr->n || trace_pack_count(tr->notes) || tr->ncopies) return;
    trace_pack_free(tr->heads);
    tr->heads = trace_pack_new(TRACE_PACK_BYTES, block_bytes, cache_blocks);
    trace_pack_free(tr->recs);
    tr->recs = trace_pack_new(TRACE_PACK_RECORDS, block_bytes, cache_blocks);
    size_t nb = block_bytes / sizeof(struct trace_timer_note);
    trace_pack_free(tr->notes);
    tr->notes = trace_pack_new(TRACE_PACK_WORDS, (nb ? nb : 1) * sizeof(struct trace_timer_note),
                               cache_blocks);
}

void trace_free(struct trace *tr)
{
    if (!tr) return;
    trace_pack_free(tr->recs);
    for (size_t i = 0; i < tr->nhosts; i++) free((char *)tr->hosts[i].name);
    free(tr->hosts);
    free(tr->links);
    for (size_t i = 0; i < tr->nstrmem; i++) free(tr->strmem[i]);
    free(tr->strmem);
    free(tr->strs);
    free(tr->strlens);
    free(tr->slots);
    trace_pack_free(tr->notes);
    trace_pack_free(tr->heads);
    for (size_t i = 0; i < tr->copychunks; i++) free(tr->copies[i]);
    free(tr->copies);
    for (size_t i = 0; i < tr->partchunks; i++) free(tr->parts[i]);
    free(tr->parts);
    free(tr->last_copy);
    free(tr);
}

/* ---- header ---------------------------------------------------------------- */

void trace_host_add(struct trace *tr, uint32_t id, const char *name, uint32_t ipv4, bool router)
{
    if (id < tr->nhosts) return;
    assert(id == tr->nhosts && "hosts must be registered in id order");
    if (id != tr->nhosts) return;
    if (tr->nhosts == tr->hostcap) {
        tr->hostcap = tr->hostcap ? tr->hostcap * 2 : 16;
        tr->hosts = ms_xrealloc(tr->hosts, tr->hostcap * sizeof *tr->hosts);
    }
    tr->hosts[tr->nhosts++] = (struct trace_host){ipv4, router ? 1u : 0u, ms_xstrdup(name)};
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
    assert(id == tr->nlinks && "links must be registered in id order");
    if (id != tr->nlinks) return;
    if (tr->nlinks == tr->linkcap) {
        tr->linkcap = tr->linkcap ? tr->linkcap * 2 : 16;
        tr->links = ms_xrealloc(tr->links, tr->linkcap * sizeof *tr->links);
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

static void trace_rehash(struct trace *tr)
{
    size_t ns = tr->nslots ? tr->nslots * 2 : 64;
    free(tr->slots);
    tr->slots = ms_xcalloc(ns, sizeof *tr->slots);
    tr->nslots = ns;
    for (size_t i = 0; i < tr->nstrs; i++) {
        size_t s = hash_fnv1a(HASH_FNV1A_BASIS, tr->strs[i], tr->strlens[i]) & (ns - 1);
        while (tr->slots[s]) s = (s + 1) & (ns - 1);
        tr->slots[s] = (uint32_t)i + 1;
    }
}

/* A NUL-terminated copy of s[0..len) in the string chunks. */
static char *trace_str_store(struct trace *tr, const char *s, size_t len)
{
    if (tr->strmem_cap - tr->strmem_used < len + 1) {
        if (tr->nstrmem == tr->strmemcap) {
            tr->strmemcap = tr->strmemcap ? tr->strmemcap * 2 : 16;
            tr->strmem = ms_xrealloc(tr->strmem, tr->strmemcap * sizeof *tr->strmem);
        }
        size_t cap = len + 1 > TRACE_STR_CHUNK ? len + 1 : TRACE_STR_CHUNK;
        tr->strmem[tr->nstrmem++] = ms_xmalloc(cap);
        tr->strmem_cap = cap;
        tr->strmem_used = 0;
    }
    char *p = tr->strmem[tr->nstrmem - 1] + tr->strmem_used;
    memcpy(p, s, len);
    p[len] = '\0';
    tr->strmem_used += len + 1;
    return p;
}

uint32_t trace_intern_n(struct trace *tr, const char *s, size_t len)
{
    if (!s) return TRACE_NONE;
    if (tr->nslots == 0 || (tr->nstrs + 1) * 2 > tr->nslots) trace_rehash(tr);
    size_t mask = tr->nslots - 1;
    size_t slot = hash_fnv1a(HASH_FNV1A_BASIS, s, len) & mask;
    while (tr->slots[slot]) {
        uint32_t id = tr->slots[slot] - 1;
        if (tr->strlens[id] == len && memcmp(tr->strs[id], s, len) == 0) return id;
        slot = (slot + 1) & mask;
    }
    if (tr->nstrs == tr->strcap) {
        tr->strcap = tr->strcap ? tr->strcap * 2 : 32;
        tr->strs = ms_xrealloc(tr->strs, tr->strcap * sizeof *tr->strs);
        tr->strlens = ms_xrealloc(tr->strlens, tr->strcap * sizeof *tr->strlens);
    }
    uint32_t id = (uint32_t)tr->nstrs++;
    tr->strs[id] = trace_str_store(tr, s, len);
    tr->strlens[id] = (uint32_t)len;
    tr->slots[slot] = id + 1;
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

/* ---- appending ------------------------------------------------------------- */

size_t trace_append(struct trace *tr, sim_us t, enum trace_kind kind, const void *body,
                    const void *data, size_t len)
{
    assert((unsigned)kind < TR_KIND_COUNT);
    assert(t >= tr->last_t && "trace times must not decrease");
    size_t bsz = trace_fam_size[trace_kind_fam[kind]];
    if (len > UINT32_MAX - bsz - 64) len = UINT32_MAX - bsz - 64; /* absurd; clip */
    size_t total = sizeof(struct trace_rec) + bsz + len;
    size_t padded = (total + TRACE_ALIGN - 1) & ~(size_t)(TRACE_ALIGN - 1);
    uint8_t *p = trace_pack_push(tr->recs, padded, t);
    struct trace_rec h;
    memset(&h, 0, sizeof h);
    h.t = t;
    h.kind = (uint32_t)kind;
    h.len = (uint32_t)(bsz + len);
    memcpy(p, &h, sizeof h);
    memcpy(p + sizeof h, body, bsz);
    if (len) memcpy(p + sizeof h + bsz, data, len);
    memset(p + total, 0, padded - total);
    if (t > tr->last_t) tr->last_t = t;
    return tr->n++;
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
    struct trace_ref ref;
    memset(&ref, 0, sizeof ref);
    switch (ev->kind) {
    case NETEV_HOST_NEW:
        trace_host_add(tr, ev->u.host.host, ev->u.host.name, ev->u.host.ipv4,
                       ev->u.host.router != 0);
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
            [NETEV_SEG_SENT] = TR_SEG_SENT,           [NETEV_SEG_RETRANS] = TR_SEG_RETRANS,
            [NETEV_SEG_FORWARD] = TR_SEG_FORWARD,     [NETEV_SEG_ARRIVED] = TR_SEG_ARRIVED,
            [NETEV_SEG_LOST] = TR_SEG_LOST,           [NETEV_DGRAM_SENT] = TR_DGRAM_SENT,
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
    return trace_add_line_facts(tr, t, kind, conn, host, peer, side, proto, state_before,
                                state_after, NULL, line, len);
}

size_t trace_add_line_facts(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t conn,
                            uint32_t host, uint32_t peer, char side, const char *proto,
                            const char *state_before, const char *state_after,
                            const struct trace_line_facts *facts, const void *line, size_t len)
{
    assert(kind == TR_LINE_SENT || kind == TR_LINE_RECEIVED);
    struct trace_line l;
    memset(&l, 0, sizeof l);
    l.conn = conn;
    l.host = host;
    l.peer = peer;
    l.proto = trace_intern(tr, proto);
    l.state_before = trace_intern(tr, state_before);
    l.state_after = trace_intern(tr, state_after);
    l.side = (uint8_t)side;
    l.verb = trace_intern(tr, facts && facts->verb ? facts->verb : "");
    l.code = facts ? (uint16_t)facts->code : 0;
    l.flags = facts ? (uint8_t)facts->flags : 0;
    l.ext = trace_intern(tr, facts && facts->ext ? facts->ext : "");
    l.len = (uint32_t)len;
    return trace_append(tr, t, kind, &l, line, len);
}

size_t trace_add_msg(struct trace *tr, sim_us t, enum trace_kind kind, const struct trace_msg *m,
                     const char *text)
{
    assert(trace_kind_family(kind) == TRF_MSG);
    struct trace_msg b;
    memset(&b, 0, sizeof b);
    b.next_retry = m->next_retry;
    b.msg = m->msg;
    b.host = m->host;
    b.peer = m->peer;
    b.attempt = m->attempt;
    b.code = m->code;
    b.sender = m->sender;
    b.rcpt = m->rcpt;
    b.msgid = m->msgid;
    b.dsn = m->dsn;
    b.body_hash = m->body_hash;
    b.flags = m->flags;
    return trace_append(tr, t, kind, &b, text, text ? strlen(text) : 0);
}

size_t trace_add_queue(struct trace *tr, sim_us t, uint32_t host, uint32_t length,
                       sim_us next_retry)
{
    struct trace_queue q;
    memset(&q, 0, sizeof q);
    q.next_retry = next_retry;
    q.host = host;
    q.length = length;
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
                     uint32_t id, const struct trace_dns_rr_in *rrs, size_t n)
{
    return trace_add_dns_port(tr, t, kind, host, 0, server, qname, qtype, rcode, id, rrs, n);
}

size_t trace_add_dns_port(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host,
                          uint16_t port, uint32_t server, const char *qname, uint16_t qtype,
                          uint16_t rcode, uint32_t id, const struct trace_dns_rr_in *rrs, size_t n)
{
    assert(kind == TR_DNS_QUESTION || kind == TR_DNS_ANSWER);
    struct trace_dns d;
    memset(&d, 0, sizeof d);
    d.host = host;
    d.server = server;
    d.qname = trace_intern(tr, qname);
    d.qtype = qtype;
    d.rcode = rcode;
    d.id = id;
    d.port = port;
    struct trace_dns_rr *out = n ? ms_xcalloc(n, sizeof *out) : NULL;
    for (size_t i = 0; i < n; i++) {
        out[i].name = trace_intern(tr, rrs[i].name ? rrs[i].name : "");
        out[i].ttl = rrs[i].ttl;
        out[i].type = rrs[i].type;
        out[i].pref = rrs[i].pref;
        out[i].exchange = trace_intern(tr, rrs[i].exchange ? rrs[i].exchange : "");
        memcpy(out[i].addr, rrs[i].addr, 4);
        out[i].section = rrs[i].section;
    }
    size_t k = trace_append(tr, t, kind, &d, out, n * sizeof *out);
    free(out);
    return k;
}

size_t trace_dns_rrs(const struct trace_rec *r, struct trace_dns_rr *out, size_t max)
{
    if (r->kind != TR_DNS_ANSWER) return 0;
    size_t len;
    const uint8_t *p = trace_data(r, &len);
    size_t n = len / sizeof *out;
    for (size_t i = 0; i < n && i < max; i++) memcpy(&out[i], p + i * sizeof *out, sizeof *out);
    return n;
}

size_t trace_add_narration(struct trace *tr, sim_us t, uint32_t host, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (n < 0) n = 0;
    if ((size_t)n >= sizeof buf) n = (int)sizeof buf - 1;
    struct trace_ref r;
    memset(&r, 0, sizeof r);
    r.id = host;
    return trace_append(tr, t, TR_NARRATION, &r, buf, (size_t)n);
}

size_t trace_add_timer(struct trace *tr, sim_us t, enum trace_kind kind, uint32_t host, sim_us due,
                       const char *label)
{
    assert(kind == TR_TIMER_SET || kind == TR_TIMER_CANCELLED);
    struct trace_timer m;
    memset(&m, 0, sizeof m);
    m.due = due;
    m.host = host;
    m.label = trace_intern(tr, label);
    if (!tr->timers_aside) return trace_append(tr, t, kind, &m, NULL, 0);
    struct trace_timer_note nt;
    memset(&nt, 0, sizeof nt);
    nt.before = tr->n;
    nt.t = t;
    nt.kind = kind;
    nt.timer = m;
    memcpy(trace_pack_push(tr->notes, sizeof nt, t), &nt, sizeof nt);
    return tr->n;
}

void trace_timers_aside(struct trace *tr, bool on)
{
    tr->timers_aside = on;
}

size_t trace_timer_note_count(const struct trace *tr)
{
    return trace_pack_count(tr->notes);
}

const struct trace_timer_note *trace_timer_note_get(const struct trace *tr, size_t i)
{
    assert(i < trace_pack_count(tr->notes));
    return (const struct trace_timer_note *)(const void *)trace_pack_get(tr->notes, i);
}

/* Serialized as raw bytes: no padding may hide in it. */
_Static_assert(sizeof(struct trace_mime_part) == 4 * 8 + 8 * 4, "trace_mime_part has padding");

/* Item i (of size bytes) of an array kept in chunks of TRACE_ITEM_CHUNK,
 * adding the chunk when i is the first of it. */
static void *trace_chunk_item(void ***chunks, size_t *nchunks, size_t i, size_t size)
{
    size_t c = i / TRACE_ITEM_CHUNK;
    if (c == *nchunks) {
        /* the table of chunks grows by doubling: a pointer a chunk */
        if ((c & (c - 1)) == 0) *chunks = ms_xrealloc(*chunks, (c ? 2 * c : 1) * sizeof **chunks);
        (*chunks)[(*nchunks)++] = ms_xmalloc(TRACE_ITEM_CHUNK * size);
    }
    return (uint8_t *)(*chunks)[c] + (i % TRACE_ITEM_CHUNK) * size;
}

void trace_copy_headers_whole(struct trace *tr, bool on)
{
    assert(tr->ncopies == 0 && "set before recording copies");
    tr->headers_whole = on;
}

/* The slot of msg's latest copy, growing the table for it; NULL for a
 * number far beyond the copies so far (the simulation numbers messages
 * densely from 1; a stray number just gets no delta). */
static uint32_t *trace_last_copy_slot(struct trace *tr, uint32_t msg)
{
    if (msg < tr->nlast_copy) return &tr->last_copy[msg];
    if ((size_t)msg > 4 * tr->ncopies + 65536) return NULL;
    size_t n = (size_t)msg + 1 + tr->nlast_copy / 2 + 64;
    tr->last_copy = ms_xrealloc(tr->last_copy, n * sizeof *tr->last_copy);
    memset(tr->last_copy + tr->nlast_copy, 0, (n - tr->nlast_copy) * sizeof *tr->last_copy);
    tr->nlast_copy = n;
    return &tr->last_copy[msg];
}

/* *p = *in with every padding byte zero. */
static void trace_part_norm(struct trace_mime_part *p, const struct trace_mime_part *in)
{
    memset(p, 0, sizeof *p);
    p->off = in->off;
    p->hdr_len = in->hdr_len;
    p->body_len = in->body_len;
    p->decoded_len = in->decoded_len;
    p->path = in->path;
    p->type = in->type;
    p->filename = in->filename;
    p->cte = in->cte;
    p->preview = in->preview;
    p->raw = in->raw;
    p->preview_len = in->preview_len;
    p->depth = in->depth;
}

/* Part i of a copy whose header is shift bytes longer: the message's header
 * block grows, every other part starts later. */
static void trace_part_shift(struct trace_mime_part *p, size_t i, uint32_t shift)
{
    if (i == 0)
        p->hdr_len += shift;
    else
        p->off += shift;
}

static const struct trace_mime_part *trace_part_at(const struct trace *tr, size_t j)
{
    assert(j < tr->nparts);
    return (const struct trace_mime_part *)tr->parts[j / TRACE_ITEM_CHUNK] + j % TRACE_ITEM_CHUNK;
}

/* Keep a copy's head, bytes[0..len): its item number, TRACE_NONE when empty. */
static uint32_t trace_head_put(struct trace *tr, sim_us t, const char *bytes, size_t len)
{
    if (len == 0) return TRACE_NONE;
    uint32_t n32 = (uint32_t)len; /* at most TRACE_COPY_HEADER_MAX */
    size_t need = (sizeof n32 + len + 7) & ~(size_t)7;
    uint8_t *p = trace_pack_push(tr->heads, need, t);
    memcpy(p, &n32, sizeof n32);
    memcpy(p + sizeof n32, bytes, len);
    memset(p + sizeof n32 + len, 0, need - sizeof n32 - len);
    assert(trace_pack_count(tr->heads) <= UINT32_MAX);
    return (uint32_t)(trace_pack_count(tr->heads) - 1);
}

/* The bytes of head id (valid until more blocks of heads are decoded). */
static const char *trace_head_get(const struct trace *tr, uint32_t id, size_t *len)
{
    if (id == TRACE_NONE) {
        *len = 0;
        return "";
    }
    const uint8_t *p = trace_pack_get(tr->heads, id);
    uint32_t n32;
    memcpy(&n32, p, sizeof n32);
    *len = n32;
    return (const char *)p + sizeof n32;
}

static size_t trace_head_len(const struct trace *tr, uint32_t id)
{
    size_t len;
    trace_head_get(tr, id, &len);
    return len;
}

size_t trace_msg_copy_header(const struct trace *tr, const struct trace_msg_copy *c, char *buf,
                             size_t cap)
{
    size_t len = 0;
    for (;;) { /* bases are earlier copies: the walk ends */
        size_t hl;
        const char *h = trace_head_get(tr, c->head, &hl);
        if (len < cap) {
            size_t k = cap - len < hl ? cap - len : hl;
            memcpy(buf + len, h, k);
        }
        len += hl;
        if (c->base == TRACE_NONE) break;
        c = trace_msg_copy_get(tr, c->base);
    }
    if (cap) buf[len < cap ? len : cap - 1] = '\0';
    return len;
}

/* The copy of msg whose whole header hdr[0..len) ends with: msg's latest
 * copy or one of its bases (each base's header is a tail of the latest's),
 * the longest such tail first, and the length of that header in *base_len;
 * TRACE_NONE if none. An empty header is no base. */
static uint32_t trace_copy_base(const struct trace *tr, uint32_t latest, const char *hdr,
                                size_t len, size_t *base_len)
{
    char whole[TRACE_COPY_HEADER_MAX + 1]; /* heads are cut to fit, so it holds it whole */
    const struct trace_msg_copy *c = trace_msg_copy_get(tr, latest);
    size_t wl = trace_msg_copy_header(tr, c, whole, sizeof whole);
    uint32_t id = latest;
    for (size_t tail = wl; tail > 0;) {
        if (tail <= len && memcmp(hdr + len - tail, whole + wl - tail, tail) == 0) {
            /* A copy with an empty head has its base's header: take the
             * base, so that a copy fetched again and again makes no
             * longer chain. */
            while (c->base != TRACE_NONE && c->head == TRACE_NONE) {
                id = c->base;
                c = trace_msg_copy_get(tr, id);
            }
            *base_len = tail; /* an empty head adds nothing to its base's */
            return id;
        }
        tail -= trace_head_len(tr, c->head);
        if (c->base == TRACE_NONE) break;
        id = c->base;
        c = trace_msg_copy_get(tr, id);
    }
    return TRACE_NONE;
}

size_t trace_add_msg_copy(struct trace *tr, sim_us t, uint32_t msg, uint32_t host, uint32_t msgid,
                          const char *header, size_t header_len, uint64_t size,
                          const struct trace_mime_part *parts, size_t n)
{
    if (!header) header_len = 0;
    if (header_len > TRACE_COPY_HEADER_MAX) header_len = TRACE_COPY_HEADER_MAX;
    uint32_t base = TRACE_NONE;
    uint32_t *last = tr->ncopies < UINT32_MAX - 1 ? trace_last_copy_slot(tr, msg) : NULL;
    size_t base_len = 0;
    if (last && *last && !tr->headers_whole)
        base = trace_copy_base(tr, *last - 1, header, header_len, &base_len);
    size_t head_len = header_len - base_len;
    uint32_t head = trace_head_put(tr, t, header, head_len);
    /* The base's parts, moved on by the bytes in front, when they are these. */
    uint32_t first_part = (uint32_t)tr->nparts, shift = 0;
    bool shared = false;
    if (base != TRACE_NONE) {
        const struct trace_msg_copy *b = trace_msg_copy_get(tr, base);
        shift = b->parts_shift + (uint32_t)head_len; /* both headers within the cap */
        shared = b->n_parts == n;
        for (size_t i = 0; i < n && shared; i++) {
            struct trace_mime_part mine, theirs;
            trace_part_norm(&mine, &parts[i]);
            theirs = *trace_part_at(tr, b->first_part + i);
            trace_part_shift(&theirs, i, shift);
            shared = memcmp(&mine, &theirs, sizeof mine) == 0; /* no padding: assert above */
        }
        if (shared) first_part = b->first_part;
    }
    if (last) *last = (uint32_t)tr->ncopies + 1;
    struct trace_msg_copy *c =
        trace_chunk_item(&tr->copies, &tr->copychunks, tr->ncopies++, sizeof *c);
    memset(c, 0, sizeof *c);
    c->before = tr->n;
    c->t = t;
    c->msg = msg;
    c->host = host;
    c->msgid = msgid;
    c->head = head;
    c->base = base;
    c->size = size;
    c->first_part = first_part;
    c->n_parts = (uint32_t)n;
    c->parts_shift = shared ? shift : 0;
    for (size_t i = 0; i < n && !shared; i++)
        trace_part_norm(trace_chunk_item(&tr->parts, &tr->partchunks, tr->nparts++,
                                         sizeof(struct trace_mime_part)),
                        &parts[i]);
    return tr->n;
}

size_t trace_msg_copy_count(const struct trace *tr)
{
    return tr->ncopies;
}

const struct trace_msg_copy *trace_msg_copy_get(const struct trace *tr, size_t i)
{
    assert(i < tr->ncopies);
    return (const struct trace_msg_copy *)tr->copies[i / TRACE_ITEM_CHUNK] + i % TRACE_ITEM_CHUNK;
}

void trace_msg_copy_part(const struct trace *tr, const struct trace_msg_copy *c, size_t i,
                         struct trace_mime_part *out)
{
    assert(i < c->n_parts);
    *out = *trace_part_at(tr, c->first_part + i);
    trace_part_shift(out, i, c->parts_shift);
}

/* ---- reading --------------------------------------------------------------- */

size_t trace_count(const struct trace *tr)
{
    return tr->n;
}

const struct trace_rec *trace_get(const struct trace *tr, size_t k)
{
    assert(k >= trace_pack_first(tr->recs) && k < tr->n);
    return (const struct trace_rec *)(const void *)trace_pack_get(tr->recs, k);
}

size_t trace_first(const struct trace *tr)
{
    return trace_pack_first(tr->recs);
}

size_t trace_forget(struct trace *tr, size_t before, size_t keep_bytes)
{
    return trace_pack_forget(tr->recs, before > tr->n ? tr->n : before, keep_bytes);
}

/* The first record in [first, n) with time > t (strict) or >= t: the
 * storage names the block that holds it, then a search within it. */
static size_t trace_bound(const struct trace *tr, sim_us t, int strict)
{
    size_t lo, hi;
    trace_pack_time_range(tr->recs, t, strict, &lo, &hi);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        sim_us tm = trace_get(tr, mid)->t;
        if (strict ? tm <= t : tm < t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t trace_lower_bound(const struct trace *tr, sim_us t)
{
    return trace_bound(tr, t, 0);
}

size_t trace_upper_bound(const struct trace *tr, sim_us t)
{
    return trace_bound(tr, t, 1);
}

sim_us trace_end_time(const struct trace *tr)
{
    return tr->n > trace_first(tr) ? trace_get(tr, tr->n - 1)->t : 0;
}

const void *trace_body(const struct trace_rec *r)
{
    return (const uint8_t *)r + sizeof *r;
}

const uint8_t *trace_data(const struct trace_rec *r, size_t *len)
{
    size_t bsz = trace_family_size(trace_kind_family((enum trace_kind)r->kind));
    *len = r->len - bsz;
    return (const uint8_t *)r + sizeof *r + bsz;
}

const struct trace_seg *trace_as_seg(const struct trace_rec *r)
{
    return trace_kind_family((enum trace_kind)r->kind) == TRF_SEG ? trace_body(r) : NULL;
}

const struct trace_conn *trace_as_conn(const struct trace_rec *r)
{
    return trace_kind_family((enum trace_kind)r->kind) == TRF_CONN ? trace_body(r) : NULL;
}

const struct trace_line *trace_as_line(const struct trace_rec *r)
{
    return trace_kind_family((enum trace_kind)r->kind) == TRF_LINE ? trace_body(r) : NULL;
}

const struct trace_msg *trace_as_msg(const struct trace_rec *r)
{
    return trace_kind_family((enum trace_kind)r->kind) == TRF_MSG ? trace_body(r) : NULL;
}

/* ---- serialization --------------------------------------------------------- */

static void trace_put_u32(void (*fn)(void *, const void *, size_t), void *ctx, uint32_t v)
{
    fn(ctx, &v, sizeof v);
}

void trace_serialize(const struct trace *tr, void (*fn)(void *ctx, const void *p, size_t n),
                     void *ctx)
{
    static const char magic[] = "MAILSIM-TRACE 5\n";
    fn(ctx, magic, sizeof magic - 1);
    trace_put_u32(fn, ctx, (uint32_t)tr->nhosts);
    for (size_t i = 0; i < tr->nhosts; i++) {
        const struct trace_host *h = &tr->hosts[i];
        trace_put_u32(fn, ctx, h->ipv4);
        trace_put_u32(fn, ctx, h->router);
        uint32_t nl = (uint32_t)strlen(h->name);
        trace_put_u32(fn, ctx, nl);
        fn(ctx, h->name, nl);
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
        trace_put_u32(fn, ctx, tr->strlens[i]);
        fn(ctx, tr->strs[i], tr->strlens[i]);
    }
    uint64_t n = tr->n - trace_first(tr);
    fn(ctx, &n, sizeof n);
    for (size_t k = trace_first(tr); k < tr->n; k++) {
        const struct trace_rec *r = trace_get(tr, k);
        fn(ctx, r, sizeof *r + r->len);
    }
    /* Message copies, then timer notes, each only when there are any. */
    if (tr->ncopies) {
        static const char copies[] = "MSG-COPIES\n";
        fn(ctx, copies, sizeof copies - 1);
        uint64_t nc = tr->ncopies, np = tr->nparts;
        fn(ctx, &nc, sizeof nc);
        for (size_t i = 0; i < tr->ncopies; i++) {
            const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
            uint64_t before = c->before;
            fn(ctx, &before, sizeof before);
            fn(ctx, &c->t, sizeof c->t);
            trace_put_u32(fn, ctx, c->msg);
            trace_put_u32(fn, ctx, c->host);
            trace_put_u32(fn, ctx, c->msgid);
            trace_put_u32(fn, ctx, c->head);
            trace_put_u32(fn, ctx, c->base);
            fn(ctx, &c->size, sizeof c->size);
            trace_put_u32(fn, ctx, c->first_part);
            trace_put_u32(fn, ctx, c->n_parts);
            trace_put_u32(fn, ctx, c->parts_shift);
            /* The whole header as the view shows it, not only the delta. */
            char hdr[TRACE_COPY_HEADER_MAX + 1];
            uint32_t hl = (uint32_t)trace_msg_copy_header(tr, c, hdr, sizeof hdr);
            trace_put_u32(fn, ctx, hl);
            fn(ctx, hdr, hl);
        }
        fn(ctx, &np, sizeof np);
        for (size_t j = 0; j < tr->nparts; j += TRACE_ITEM_CHUNK) { /* no padding: 4x8 + 8x4 */
            size_t k = tr->nparts - j < TRACE_ITEM_CHUNK ? tr->nparts - j : TRACE_ITEM_CHUNK;
            fn(ctx, tr->parts[j / TRACE_ITEM_CHUNK], k * sizeof(struct trace_mime_part));
        }
    }
    /* Timer notes only when there are any, so traces without them keep the
     * bytes (and hashes) they always had. */
    size_t nnotes = trace_pack_count(tr->notes);
    if (nnotes == 0) return;
    static const char notes[] = "TIMER-NOTES\n";
    fn(ctx, notes, sizeof notes - 1);
    uint64_t nn = nnotes;
    fn(ctx, &nn, sizeof nn);
    for (size_t i = 0; i < nnotes; i++) {
        const struct trace_timer_note *nt = trace_timer_note_get(tr, i);
        uint64_t before = nt->before;
        fn(ctx, &before, sizeof before);
        fn(ctx, &nt->t, sizeof nt->t);
        trace_put_u32(fn, ctx, (uint32_t)nt->kind);
        fn(ctx, &nt->timer, sizeof nt->timer);
    }
}

static void trace_hash_fn(void *ctx, const void *p, size_t n)
{
    uint64_t *h = ctx;
    *h = hash_fnv1a(*h, p, n);
}

uint64_t trace_hash(const struct trace *tr)
{
    uint64_t h = HASH_FNV1A_BASIS;
    trace_serialize(tr, trace_hash_fn, &h);
    return h;
}

size_t trace_memory(const struct trace *tr)
{
    size_t m = sizeof *tr + trace_pack_memory(tr->recs) + trace_pack_memory(tr->notes) +
               trace_pack_memory(tr->heads);
    m += tr->hostcap * sizeof *tr->hosts + tr->linkcap * sizeof *tr->links;
    m += tr->nslots * sizeof *tr->slots + tr->strcap * (sizeof *tr->strs + sizeof *tr->strlens);
    m += tr->strmemcap * sizeof *tr->strmem + tr->nstrmem * TRACE_STR_CHUNK;
    m += tr->copychunks * (TRACE_ITEM_CHUNK * sizeof(struct trace_msg_copy) + sizeof(void *));
    m += tr->partchunks * (TRACE_ITEM_CHUNK * sizeof(struct trace_mime_part) + sizeof(void *));
    m += tr->nlast_copy * sizeof *tr->last_copy;
    return m;
}
