/* trace_fixture.h -- a small hand-built trace (two hosts, a handshake, an SMTP
 * greeting, a queue change and a narration) shared by the trace tests. */
#ifndef MAILSIM_TESTS_TRACE_FIXTURE_H
#define MAILSIM_TESTS_TRACE_FIXTURE_H

#include <string.h>

#include "trace/trace.h"

static inline void fixture_seg(struct trace *tr, sim_us t, enum netev_kind kind, uint32_t src,
                               uint32_t dst, uint16_t sport, uint16_t dport, uint32_t seq,
                               uint32_t ack, uint8_t flags, const char *payload)
{
    struct netev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = kind;
    ev.u.seg.conn = 1;
    ev.u.seg.src = ev.u.seg.hop_from = src;
    ev.u.seg.dst = ev.u.seg.hop_to = dst;
    ev.u.seg.link = 0;
    ev.u.seg.sport = sport;
    ev.u.seg.dport = dport;
    ev.u.seg.seq = seq;
    ev.u.seg.ack = ack;
    ev.u.seg.flags = flags;
    ev.u.seg.window = 65535;
    ev.u.seg.mss = (flags & NETEV_SYN) ? 1460 : 0;
    ev.u.seg.t_depart = t;
    ev.u.seg.t_arrive = t + 20000;
    ev.u.seg.data = (const uint8_t *)payload;
    ev.u.seg.len = payload ? (uint32_t)strlen(payload) : 0;
    trace_on_netev(tr, t, &ev);
}

static inline struct trace *fixture_trace(void)
{
    struct trace *tr = trace_new();
    struct netev ev;
    memset(&ev, 0, sizeof ev);
    ev.kind = NETEV_HOST_NEW;
    ev.u.host = (struct netev_host){0, 0xC0000201u, 0, "mail.example.org"};
    trace_on_netev(tr, 0, &ev);
    ev.u.host = (struct netev_host){1, 0xC6336402u, 0, "mail.example.net"};
    trace_on_netev(tr, 0, &ev);
    memset(&ev, 0, sizeof ev);
    ev.kind = NETEV_LINK_NEW;
    ev.u.link = (struct netev_link){0, 0, 1, 20000, 10000000, 0.0, 1500};
    trace_on_netev(tr, 0, &ev);
    fixture_seg(tr, 0, NETEV_SEG_SENT, 0, 1, 49152, 25, 1000, 0, NETEV_SYN, NULL);
    fixture_seg(tr, 20000, NETEV_SEG_SENT, 1, 0, 25, 49152, 5000, 1001, NETEV_SYN | NETEV_ACK,
                NULL);
    fixture_seg(tr, 40000, NETEV_SEG_SENT, 0, 1, 49152, 25, 1001, 5001, NETEV_ACK, NULL);
    fixture_seg(tr, 41000, NETEV_SEG_SENT, 1, 0, 25, 49152, 5001, 1001, NETEV_PSH | NETEV_ACK,
                "220 mail.example.net ESMTP\r\n");
    trace_add_line(tr, 41000, TR_LINE_SENT, 1, 1, 0, 'S', "SMTP", "greeting", "wait EHLO",
                   "220 mail.example.net ESMTP\r\n", 28);
    fixture_seg(tr, 61000, NETEV_SEG_SENT, 0, 1, 49152, 25, 1001, 5029, NETEV_PSH | NETEV_ACK,
                "MAIL FROM:<alice@example.org>\r\n");
    trace_add_line(tr, 61000, TR_LINE_SENT, 1, 0, 1, 'C', "SMTP", "wait EHLO", "mail",
                   "MAIL FROM:<alice@example.org>\r\n", 31);
    trace_add_queue(tr, 90 * SIM_US_PER_MIN, 0, 1, 120 * SIM_US_PER_MIN);
    trace_add_narration(tr, 90 * SIM_US_PER_MIN, TRACE_NONE, "Bob's server is down; %s", "retry");
    return tr;
}

#endif
