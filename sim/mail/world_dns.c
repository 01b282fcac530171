/* world_dns.c -- the name server and the resolver of the mail world.
 *
 * The DNS host answers RFC 1035 queries on UDP port 53 from a zone built
 * from the scenario's MX table plus an A record per mail server. A resolver
 * (inside a mail server or a user agent) sends a real query from its own
 * UDP port, waits for the answer (5 s, then one more try), and picks the
 * lowest-preference exchange (RFC 5321 §5.1); when the answer carries no
 * address for it, it asks for the A record. */
#include "mail/world_int.h"
#include "core/ascii.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define WORLD_DNS_PORT 53
#define WORLD_DNS_TIMEOUT (5 * SIM_US_PER_S)
#define WORLD_DNS_TRIES 2

struct world_dns_lookup {
    struct world_dns_lookup *next;
    struct world *w;
    uint32_t host;
    uint16_t port;
    uint16_t id;
    uint16_t qtype;
    unsigned tries;
    char domain[DNS_NAME_TEXT_MAX];
    char qname[DNS_NAME_TEXT_MAX];
    char exchange[DNS_NAME_TEXT_MAX];
    world_mx_fn *cb;
    void *ctx;
    evq_handle timer;
    bool local; /* no DNS host: answered from the zone directly */
};

static void world_dns_send(struct world_dns_lookup *l);
static void world_dns_finish(struct world_dns_lookup *l, const struct world_mx_result *r);

/* The zone-file form of a parsed answer, as the trace wants it. */
/* The answer's records as the trace keeps them: typed facts, rendered by
 * the trace's own formatter. */
static size_t world_dns_answer_rrs(const struct dns_msg *m, struct trace_dns_rr_in *out, size_t max)
{
    size_t n = 0;
    for (size_t i = 0; i < m->an_count + m->ar_count && n < max; i++) {
        const struct dns_rr *r = i < m->an_count ? &m->an[i] : &m->ar[i - m->an_count];
        struct trace_dns_rr_in *o = &out[n++];
        memset(o, 0, sizeof *o);
        o->name = r->name;
        o->ttl = r->ttl;
        o->type = r->type;
        o->section = i < m->an_count ? TRACE_DNS_ANSWER : TRACE_DNS_ADDITIONAL;
        if (r->type == DNS_T_MX) {
            o->pref = r->pref;
            o->exchange = r->target;
        } else if (r->type == DNS_T_A) {
            memcpy(o->addr, r->addr, 4);
        }
    }
    return n;
}

static void world_dns_server_recv(void *ctx, struct net *n, uint32_t host, uint16_t port,
                                  uint32_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    struct world *w = ctx;
    uint8_t out[DNS_UDP_MAX];
    size_t olen = dns_answer_build(w->zone, data, len, out, sizeof out);
    if (olen > 0) udp_send(n, host, port, src, sport, out, olen);
}

void world_dns_start(struct world *w)
{
    const struct scn_scenario *s = w->s;
    w->zone = dns_zone_new();
    for (size_t i = 0; i < s->n_mx; i++) {
        const struct scn_host *h = &s->hosts[s->mx[i].host_index];
        dns_zone_add_mx(w->zone, s->mx[i].domain, s->mx[i].preference, h->name, 3600);
    }
    for (size_t i = 0; i < s->n_hosts; i++) {
        if (s->hosts[i].kind != SCN_HOST_MAIL_SERVER && !scn_host_kind_is_device(s->hosts[i].kind))
            continue;
        uint32_t ip = host_ip(w->net, (uint32_t)i);
        const uint8_t a[4] = {(uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
                              (uint8_t)ip};
        dns_zone_add_a(w->zone, s->hosts[i].name, a, 3600);
    }
    w->dns_host = SCN_NONE;
    for (size_t i = 0; i < s->n_hosts; i++) {
        if (s->hosts[i].kind == SCN_HOST_DNS) {
            w->dns_host = i;
            break;
        }
    }
    if (w->dns_host != SCN_NONE)
        udp_bind(w->net, (uint32_t)w->dns_host, WORLD_DNS_PORT, world_dns_server_recv, w);
}

static void world_dns_unlink(struct world_dns_lookup *l)
{
    struct world_dns_lookup **pp = &l->w->lookups;
    while (*pp && *pp != l) pp = &(*pp)->next;
    if (*pp) *pp = l->next;
    if (!l->local) udp_unbind(l->w->net, l->host, l->port);
    if (evq_is_set(l->timer)) evq_cancel(l->w->q, l->timer);
}

static void world_dns_finish(struct world_dns_lookup *l, const struct world_mx_result *r)
{
    world_dns_unlink(l);
    world_mx_fn *cb = l->cb;
    void *ctx = l->ctx;
    free(l);
    cb(ctx, r);
}

MS_PRINTF(3, 4)
static void world_dns_fail(struct world_dns_lookup *l, bool permanent, const char *fmt, ...)
{
    struct world_mx_result r;
    memset(&r, 0, sizeof r);
    r.permanent = permanent;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r.reason, sizeof r.reason, fmt, ap);
    va_end(ap);
    world_dns_finish(l, &r);
}

/* DNS names compare without regard to ASCII case (RFC 1035 §2.3.3). */
static bool world_dns_name_eq(const char *a, const char *b)
{
    return ascii_casecmp(a, b) == 0;
}

/* Handle a parsed answer; returns after finishing or sending the next query. */
static void world_dns_on_answer(struct world_dns_lookup *l, const struct dns_msg *m)
{
    struct world *w = l->w;
    struct trace_dns_rr_in rrs[DNS_RR_MAX * 2];
    size_t n = world_dns_answer_rrs(m, rrs, MS_ARRAY_LEN(rrs));
    trace_add_dns_port(w->tr, evq_now(w->q), TR_DNS_ANSWER, l->host, l->local ? 0 : l->port,
                       l->local ? TRACE_NONE : (uint32_t)w->dns_host, l->qname, l->qtype, m->rcode,
                       l->id, rrs, n);
    if (m->rcode == DNS_R_NXDOMAIN) {
        world_dns_fail(l, true, "DNS: no such domain %s (NXDOMAIN)", l->qname);
        return;
    }
    if (m->rcode != DNS_R_NOERROR) {
        world_dns_fail(l, false, "DNS: server failure for %s", l->qname);
        return;
    }
    if (l->qtype == DNS_T_MX) {
        const struct dns_rr *best = NULL;
        for (size_t i = 0; i < m->an_count; i++)
            if (m->an[i].type == DNS_T_MX && (!best || m->an[i].pref < best->pref))
                best = &m->an[i];
        if (!best) {
            /* RFC 5321 §5.1: no MX, use the domain's own address (implicit MX). */
            snprintf(l->exchange, sizeof l->exchange, "%s", l->domain);
        } else {
            snprintf(l->exchange, sizeof l->exchange, "%s", best->target);
            for (size_t i = 0; i < m->ar_count; i++) {
                const struct dns_rr *a = &m->ar[i];
                if (a->type != DNS_T_A || !world_dns_name_eq(a->name, best->target)) continue;
                uint32_t ip = ((uint32_t)a->addr[0] << 24) | ((uint32_t)a->addr[1] << 16) |
                              ((uint32_t)a->addr[2] << 8) | a->addr[3];
                struct world_mx_result r;
                memset(&r, 0, sizeof r);
                r.host = host_find_ip(w->net, ip);
                if (r.host == NET_NONE) {
                    world_dns_fail(l, false, "no host has the address of %s", l->exchange);
                    return;
                }
                r.ok = true;
                snprintf(r.exchange, sizeof r.exchange, "%s", l->exchange);
                world_dns_finish(l, &r);
                return;
            }
        }
        /* Ask for the exchange's address. */
        l->qtype = DNS_T_A;
        snprintf(l->qname, sizeof l->qname, "%s", l->exchange);
        l->tries = 0;
        l->id = (uint16_t)(++w->next_dns_id);
        world_dns_send(l);
        return;
    }
    for (size_t i = 0; i < m->an_count; i++) {
        if (m->an[i].type != DNS_T_A) continue;
        const uint8_t *a = m->an[i].addr;
        uint32_t ip =
            ((uint32_t)a[0] << 24) | ((uint32_t)a[1] << 16) | ((uint32_t)a[2] << 8) | a[3];
        struct world_mx_result r;
        memset(&r, 0, sizeof r);
        r.host = host_find_ip(w->net, ip);
        if (r.host == NET_NONE) break;
        r.ok = true;
        snprintf(r.exchange, sizeof r.exchange, "%s", l->exchange);
        world_dns_finish(l, &r);
        return;
    }
    world_dns_fail(l, true, "DNS: %s has no address", l->qname);
}

static void world_dns_client_recv(void *ctx, struct net *n, uint32_t host, uint16_t port,
                                  uint32_t src, uint16_t sport, const uint8_t *data, size_t len)
{
    (void)n;
    (void)host;
    (void)port;
    (void)src;
    (void)sport;
    struct world_dns_lookup *l = ctx;
    struct dns_msg *m = ms_xmalloc(sizeof *m);
    if (dns_parse(data, len, m, NULL) == DNS_E_OK && m->qr && m->id == l->id)
        world_dns_on_answer(l, m);
    free(m);
}

static void world_dns_timeout(void *ctx, uint64_t arg)
{
    (void)arg;
    struct world_dns_lookup *l = ctx;
    l->timer = EVQ_NONE;
    if (l->tries >= WORLD_DNS_TRIES) {
        world_dns_fail(l, false, "DNS server not responding (asked for %s)", l->qname);
        return;
    }
    world_dns_send(l);
}

static void world_dns_local(void *ctx, uint64_t arg)
{
    (void)arg;
    struct world_dns_lookup *l = ctx;
    l->timer = EVQ_NONE;
    uint8_t q[DNS_UDP_MAX], a[DNS_UDP_MAX];
    size_t qn = dns_query_build(l->id, l->qname, l->qtype, q, sizeof q);
    size_t an = qn ? dns_answer_build(l->w->zone, q, qn, a, sizeof a) : 0;
    struct dns_msg *m = ms_xmalloc(sizeof *m);
    if (an && dns_parse(a, an, m, NULL) == DNS_E_OK) {
        world_dns_on_answer(l, m);
    } else {
        world_dns_fail(l, true, "DNS: cannot ask for %s", l->qname);
    }
    free(m);
}

bool world_dns_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn != world_dns_timeout && ev->fn != world_dns_local) return false;
    *host = ((const struct world_dns_lookup *)ev->ctx)->host;
    return true;
}

static void world_dns_send(struct world_dns_lookup *l)
{
    struct world *w = l->w;
    trace_add_dns_port(w->tr, evq_now(w->q), TR_DNS_QUESTION, l->host, l->local ? 0 : l->port,
                       l->local ? TRACE_NONE : (uint32_t)w->dns_host, l->qname, l->qtype, 0, l->id,
                       NULL, 0);
    l->tries++;
    if (l->local) {
        l->timer = evq_after(w->q, 0, world_dns_local, l, 0, "DNS lookup");
        return;
    }
    uint8_t q[DNS_UDP_MAX];
    size_t qn = dns_query_build(l->id, l->qname, l->qtype, q, sizeof q);
    if (qn == 0) {
        world_dns_fail(l, true, "DNS: %s is not a valid name", l->qname);
        return;
    }
    udp_send(w->net, l->host, l->port, (uint32_t)w->dns_host, WORLD_DNS_PORT, q, qn);
    l->timer = evq_after(w->q, WORLD_DNS_TIMEOUT, world_dns_timeout, l, 0, "DNS timeout");
}

void world_dns_resolve_mx(struct world *w, uint32_t host, const char *domain, world_mx_fn *cb,
                          void *ctx)
{
    struct world_dns_lookup *l = ms_xcalloc(1, sizeof *l);
    l->w = w;
    l->host = host;
    l->cb = cb;
    l->ctx = ctx;
    l->qtype = DNS_T_MX;
    l->id = (uint16_t)(++w->next_dns_id);
    snprintf(l->domain, sizeof l->domain, "%s", domain);
    snprintf(l->qname, sizeof l->qname, "%s", domain);
    l->local = w->dns_host == SCN_NONE;
    l->next = w->lookups;
    w->lookups = l;
    if (!l->local) {
        /* A resolver port per lookup, as a stub resolver would pick. */
        for (unsigned tries = 0; tries < 1000; tries++) {
            l->port = (uint16_t)(20000 + (w->next_dns_id + tries) % 20000);
            if (udp_bind(w->net, host, l->port, world_dns_client_recv, l)) break;
        }
    }
    world_dns_send(l);
}

void world_dns_cancel(struct world *w, void *ctx)
{
    struct world_dns_lookup *l = w->lookups;
    while (l) {
        struct world_dns_lookup *next = l->next;
        if (l->ctx == ctx) {
            world_dns_unlink(l);
            free(l);
        }
        l = next;
    }
}

void world_dns_free(struct world *w)
{
    while (w->lookups) {
        struct world_dns_lookup *l = w->lookups;
        w->lookups = l->next;
        if (evq_is_set(l->timer)) evq_cancel(w->q, l->timer);
        free(l);
    }
    dns_zone_free(w->zone);
    w->zone = NULL;
}
