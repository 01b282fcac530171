/* pcap_tls.c -- what a capture shows after STARTTLS: TLS records, not SMTP.
 *
 * The simulation has no cryptography: after the reply that starts TLS
 * (TRACE_LF_TLS_START) the engines go on exchanging plaintext, marked
 * TRACE_LF_TLS. A real capture of that connection would show TLS records
 * (RFC 8446 §5.1, RFC 5246 §6.2), so the pcap export writes, in place of
 * each such byte, the byte of a TLS 1.2 application_data record at the same
 * stream offset: a 5-byte header (type 23, version 3.3, length) and opaque
 * bytes. The records have exactly the plaintext's length, so every TCP
 * sequence and acknowledgement number stays as simulated; the TLS handshake
 * itself is not drawn (it would need bytes the simulated wire never carried).
 *
 * Each direction's stream is cut into records by the lines its engine sent
 * inside TLS: the lines sent at one instant (one write) form one record, cut
 * at 16384 octets (the record limit, RFC 5246 §6.2.1); a piece under 6
 * octets joins the record before it. Opaque bytes come from the stream offset
 * alone, so a retransmission carries the same bytes. */
#include "trace/pcap_tls.h"

#include <stdlib.h>
#include <string.h>

#define PTLS_REC_MAX 16384u /* TLSPlaintext.length limit, RFC 5246 §6.2.1 */
#define PTLS_HDR 5u

struct ptls_dir {
    uint32_t conn, host;
    uint64_t clear;   /* stream octets before TLS (through STARTTLS / the 220) */
    uint64_t end;     /* stream octets the lines account for */
    uint64_t *starts; /* record starts, relative to clear, increasing */
    size_t n, cap;
    sim_us last_t; /* time of the last line inside TLS (one write) */
    bool tls;
    bool have_isn;
    uint32_t isn;
};

struct pcap_tls {
    struct ptls_dir *d;
    size_t n, cap;
};

static struct ptls_dir *ptls_find(struct pcap_tls *p, uint32_t conn, uint32_t host)
{
    size_t lo = 0, hi = p->n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const struct ptls_dir *d = &p->d[mid];
        if (d->conn < conn || (d->conn == conn && d->host < host))
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < p->n && p->d[lo].conn == conn && p->d[lo].host == host) return &p->d[lo];
    return NULL;
}

static bool ptls_push(struct ptls_dir *d, uint64_t start)
{
    if (d->n == d->cap) {
        size_t nc = d->cap ? d->cap * 2 : 16;
        uint64_t *ns = realloc(d->starts, nc * sizeof *ns);
        if (!ns) return false;
        d->starts = ns;
        d->cap = nc;
    }
    d->starts[d->n++] = start;
    return true;
}

static int ptls_cmp(const void *a, const void *b)
{
    const struct ptls_dir *x = a, *y = b;
    if (x->conn != y->conn) return x->conn < y->conn ? -1 : 1;
    if (x->host != y->host) return x->host < y->host ? -1 : 1;
    return 0;
}

/* One line sent inside TLS, len octets at time t: a new record at a new
 * write, and every PTLS_REC_MAX octets. */
static bool ptls_line(struct ptls_dir *d, sim_us t, uint64_t len)
{
    uint64_t off = d->end - d->clear;
    if (d->n == 0 || t != d->last_t) {
        if (!ptls_push(d, off)) return false;
    }
    d->last_t = t;
    d->end += len;
    /* cut what this write made so far into records of at most the limit */
    while (d->end - d->clear - d->starts[d->n - 1] > PTLS_REC_MAX)
        if (!ptls_push(d, d->starts[d->n - 1] + PTLS_REC_MAX)) return false;
    return true;
}

void pcap_tls_free(struct pcap_tls *p)
{
    if (!p) return;
    for (size_t i = 0; i < p->n; i++) free(p->d[i].starts);
    free(p->d);
    free(p);
}

struct pcap_tls *pcap_tls_scan(const struct trace *tr, bool *oom)
{
    *oom = false;
    struct pcap_tls *p = NULL;
    /* The directions that went into TLS: each (connection, sender) once. */
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind != TR_LINE_SENT) continue;
        const struct trace_line *l = trace_as_line(r);
        if (!(l->flags & TRACE_LF_TLS)) continue; /* the common case: no TLS at all */
        if (!p && !(p = calloc(1, sizeof *p))) goto oom;
        if (p->n && p->d[p->n - 1].conn == l->conn && p->d[p->n - 1].host == l->host) continue;
        if (p->n == p->cap) {
            size_t nc = p->cap ? p->cap * 2 : 16;
            struct ptls_dir *nd = realloc(p->d, nc * sizeof *nd);
            if (!nd) goto oom;
            p->d = nd;
            p->cap = nc;
        }
        struct ptls_dir *d = &p->d[p->n++];
        memset(d, 0, sizeof *d);
        d->conn = l->conn;
        d->host = l->host;
    }
    if (!p) return NULL;
    qsort(p->d, p->n, sizeof *p->d, ptls_cmp);
    size_t u = 0;
    for (size_t i = 0; i < p->n; i++)
        if (u == 0 || ptls_cmp(&p->d[u - 1], &p->d[i]) != 0) p->d[u++] = p->d[i];
    p->n = u;
    /* Their streams: the octets before TLS, then the records. */
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind != TR_LINE_SENT) continue;
        const struct trace_line *l = trace_as_line(r);
        struct ptls_dir *d = ptls_find(p, l->conn, l->host);
        if (!d) continue;
        if (!(l->flags & TRACE_LF_TLS)) {
            if (!d->tls) {
                d->clear += l->len;
                d->end = d->clear;
            }
            continue;
        }
        d->tls = true;
        if (!ptls_line(d, r->t, l->len)) goto oom;
    }
    /* a piece no longer than a header joins the record before it */
    for (size_t i = 0; i < p->n; i++) {
        struct ptls_dir *d = &p->d[i];
        size_t o = 0;
        uint64_t total = d->end - d->clear;
        for (size_t k = 0; k < d->n; k++) {
            uint64_t next = k + 1 < d->n ? d->starts[k + 1] : total;
            if (next - d->starts[k] <= PTLS_HDR && o > 0) continue;
            d->starts[o++] = d->starts[k];
        }
        d->n = o;
    }
    return p;
oom:
    pcap_tls_free(p);
    *oom = true;
    return NULL;
}

void pcap_tls_syn(struct pcap_tls *p, uint32_t conn, uint32_t src, uint32_t seq)
{
    if (!p) return;
    struct ptls_dir *d = ptls_find(p, conn, src);
    if (d && !d->have_isn) {
        d->have_isn = true;
        d->isn = seq;
    }
}

/* Deterministic opaque octets: a mix of the stream offset (splitmix64). */
static uint8_t ptls_opaque(const struct ptls_dir *d, uint64_t off)
{
    uint64_t z = off * UINT64_C(0x9e3779b97f4a7c15) + ((uint64_t)d->conn << 32 | d->host);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return (uint8_t)(z ^ (z >> 31));
}

size_t pcap_tls_cover(const struct pcap_tls *p, uint32_t conn, uint32_t src, uint32_t seq,
                      uint8_t *payload, size_t len)
{
    if (!p || len == 0) return 0;
    const struct ptls_dir *d = ptls_find((struct pcap_tls *)p, conn, src);
    if (!d || !d->have_isn || d->n == 0) return 0;
    uint64_t off = (uint32_t)(seq - d->isn - 1u); /* stream offset, SYN excluded */
    uint64_t total = d->end - d->clear;
    size_t covered = 0;
    for (size_t i = 0; i < len; i++) {
        uint64_t x = off + i;
        if (x < d->clear) continue;
        x -= d->clear;
        /* the record holding x: the last start <= x */
        size_t lo = 0, hi = d->n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (d->starts[mid] <= x)
                lo = mid;
            else
                hi = mid;
        }
        uint64_t s = d->starts[lo];
        uint64_t e = lo + 1 < d->n ? d->starts[lo + 1] : (total > x ? total : x + 1);
        uint64_t pos = x - s, rlen = e - s > PTLS_HDR ? e - s - PTLS_HDR : 0;
        static const uint8_t hdr[3] = {23, 3, 3}; /* application_data, TLS 1.2 */
        if (pos < 3)
            payload[i] = hdr[pos];
        else if (pos == 3)
            payload[i] = (uint8_t)(rlen >> 8);
        else if (pos == 4)
            payload[i] = (uint8_t)rlen;
        else
            payload[i] = ptls_opaque(d, x);
        covered++;
    }
    return covered;
}
