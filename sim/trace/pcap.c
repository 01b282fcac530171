/* pcap.c -- segments and datagrams as a classic pcap capture.
 *
 * Frame layout: Ethernet II (RFC 894) with locally administered MACs
 * 02:00:00:00:hh:hh made from the host id, IPv4 (RFC 791) with DF set, TTL 64
 * and an identification counter per sending host, then TCP (RFC 9293) with
 * the MSS option on SYNs, or UDP (RFC 768). Checksums are the Internet
 * checksum of RFC 1071 over the pseudo-header and segment. After STARTTLS
 * the payload is what a capture would show, TLS records (pcap_tls.c). */
#include "trace/export.h"
#include "trace/pcap_tls.h"

#include <stdlib.h>
#include <string.h>

#define PCAP_SNAPLEN 65535u
#define PCAP_LINKTYPE_ETHERNET 1u

static void pcap_put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void pcap_put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Little-endian for the pcap file's own headers (we write the magic so). */
static void pcap_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static uint32_t pcap_sum(uint32_t acc, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2) acc += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1) acc += (uint32_t)p[n - 1] << 8;
    return acc;
}

static uint16_t pcap_fold(uint32_t acc)
{
    while (acc >> 16) acc = (acc & 0xffff) + (acc >> 16);
    return (uint16_t)~acc;
}

static void pcap_mac(uint8_t *p, uint32_t host)
{
    p[0] = 0x02;
    p[1] = 0;
    p[2] = 0;
    p[3] = (uint8_t)(host >> 16);
    p[4] = (uint8_t)(host >> 8);
    p[5] = (uint8_t)host;
}

static uint32_t pcap_ip_of(const struct trace *tr, uint32_t host)
{
    const struct trace_host *h = trace_host_get(tr, host);
    return h ? h->ipv4 : 0;
}

long pcap_write(const struct trace *tr, FILE *f, int64_t epoch_unix)
{
    uint8_t gh[24];
    pcap_le32(gh, 0xa1b2c3d4u);
    gh[4] = 2, gh[5] = 0, gh[6] = 4, gh[7] = 0; /* version 2.4, little-endian */
    pcap_le32(gh + 8, 0);                       /* thiszone */
    pcap_le32(gh + 12, 0);                      /* sigfigs */
    pcap_le32(gh + 16, PCAP_SNAPLEN);
    pcap_le32(gh + 20, PCAP_LINKTYPE_ETHERNET);
    if (fwrite(gh, 1, sizeof gh, f) != sizeof gh) return -1;

    size_t nhosts = trace_host_count(tr);
    uint16_t *ip_id = calloc(nhosts ? nhosts : 1, sizeof *ip_id);
    if (!ip_id) return -1;
    bool oom;
    struct pcap_tls *tls = pcap_tls_scan(tr, &oom);
    if (oom) {
        free(ip_id);
        return -1;
    }
    size_t cap = 0;
    uint8_t *frame = NULL;
    long frames = 0;
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        bool udp = r->kind == TR_DGRAM_SENT;
        if (r->kind != TR_SEG_SENT && r->kind != TR_SEG_RETRANS && !udp) continue;
        const struct trace_seg *s = trace_body(r);
        size_t plen;
        const uint8_t *payload = trace_data(r, &plen);
        size_t l4hdr = udp ? 8 : (s->mss && (s->flags & NETEV_SYN) ? 24 : 20);
        size_t iplen = 20 + l4hdr + plen;
        if (iplen > 65535) continue; /* cannot be one IPv4 packet */
        size_t flen = 14 + iplen;
        if (flen > cap) {
            uint8_t *nf = realloc(frame, flen);
            if (!nf) {
                frames = -1;
                break;
            }
            frame = nf;
            cap = flen;
        }
        memset(frame, 0, 14 + 20 + l4hdr);
        uint8_t *eth = frame, *ip = frame + 14, *l4 = ip + 20;
        pcap_mac(eth, s->dst);
        pcap_mac(eth + 6, s->src);
        pcap_put16(eth + 12, 0x0800);
        uint32_t sip = pcap_ip_of(tr, s->src), dip = pcap_ip_of(tr, s->dst);
        ip[0] = 0x45;
        pcap_put16(ip + 2, (uint32_t)iplen);
        uint16_t id = 0;
        if (s->src < nhosts) id = ++ip_id[s->src];
        pcap_put16(ip + 4, id);
        pcap_put16(ip + 6, 0x4000); /* DF */
        ip[8] = 64;
        ip[9] = udp ? 17 : 6;
        pcap_put32(ip + 12, sip);
        pcap_put32(ip + 16, dip);
        pcap_put16(ip + 10, pcap_fold(pcap_sum(0, ip, 20)));
        pcap_put16(l4, s->sport);
        pcap_put16(l4 + 2, s->dport);
        if (udp) {
            pcap_put16(l4 + 4, (uint32_t)(8 + plen));
        } else {
            pcap_put32(l4 + 4, s->seq);
            pcap_put32(l4 + 8, s->ack);
            l4[12] = (uint8_t)((l4hdr / 4) << 4);
            l4[13] = s->flags;
            pcap_put16(l4 + 14, s->window);
            if (l4hdr == 24) { /* MSS option, RFC 9293 §3.2 */
                l4[20] = 2;
                l4[21] = 4;
                pcap_put16(l4 + 22, s->mss);
            }
        }
        if (plen) memcpy(l4 + l4hdr, payload, plen);
        if (!udp && (s->flags & NETEV_SYN)) pcap_tls_syn(tls, s->conn, s->src, s->seq);
        if (!udp && plen) pcap_tls_cover(tls, s->conn, s->src, s->seq, l4 + l4hdr, plen);
        /* Pseudo-header: source, destination, zero, protocol, length. */
        uint8_t ph[12];
        pcap_put32(ph, sip);
        pcap_put32(ph + 4, dip);
        ph[8] = 0;
        ph[9] = udp ? 17 : 6;
        pcap_put16(ph + 10, (uint32_t)(l4hdr + plen));
        uint16_t ck = pcap_fold(pcap_sum(pcap_sum(0, ph, 12), l4, l4hdr + plen));
        if (udp && ck == 0) ck = 0xffff; /* RFC 768: zero means "no checksum" */
        pcap_put16(l4 + (udp ? 6 : 16), ck);

        int64_t t = r->t < 0 ? 0 : r->t;
        uint8_t rh[16];
        pcap_le32(rh, (uint32_t)(epoch_unix + t / SIM_US_PER_S));
        pcap_le32(rh + 4, (uint32_t)(t % SIM_US_PER_S));
        pcap_le32(rh + 8, (uint32_t)flen);
        pcap_le32(rh + 12, (uint32_t)flen);
        if (fwrite(rh, 1, 16, f) != 16 || fwrite(frame, 1, flen, f) != flen) {
            frames = -1;
            break;
        }
        frames++;
    }
    free(frame);
    free(ip_id);
    pcap_tls_free(tls);
    return frames;
}
