/* ui_bench_trace.c -- a large synthetic trace for the window's benchmark
 * (tests/bench/bench_ui.c): many hosts around one router and a steady
 * stream of segments in flight. Never shown to students: lessons come from
 * the engines (scenarios/). */
#include <stdio.h>
#include <string.h>

#include "ui/ui.h"

struct trace *ui_bench_trace(unsigned hosts, unsigned in_flight, size_t records)
{
    struct trace *tr = trace_new();
    if (hosts < 2) hosts = 2;
    if (in_flight < 1) in_flight = 1;
    char name[64];
    trace_host_add(tr, 0, "internet", 0xC6336401u, true);
    for (unsigned h = 1; h < hosts; h++) {
        snprintf(name, sizeof name, h % 5 == 1 ? "mail%u.example.org" : "pc%u.example.org", h);
        trace_host_add(tr, h, name, 0x0A000000u + h, false);
        struct trace_link l;
        memset(&l, 0, sizeof l);
        l.latency_us = 20000;
        l.bandwidth_bps = 10000000;
        l.a = h;
        l.b = 0;
        l.mtu = 1500;
        trace_link_add(tr, h - 1, &l);
    }
    const sim_us flight = 20000;
    const sim_us dt = flight / in_flight > 0 ? flight / in_flight : 1;
    struct trace_seg s;
    char payload[96];
    for (size_t i = 0; trace_count(tr) < records; i++) {
        sim_us t = (sim_us)i * dt;
        uint32_t h = 1 + (uint32_t)(i % (hosts - 1));
        int n = snprintf(payload, sizeof payload, "RCPT TO:<user%zu@example.net>\r\n", i);
        memset(&s, 0, sizeof s);
        s.t_depart = t;
        s.t_arrive = t + flight;
        s.conn = 1 + (uint32_t)(i % 97);
        s.src = h;
        s.dst = 0;
        s.hop_from = h;
        s.hop_to = 0;
        s.link = h - 1;
        s.seq = (uint32_t)i * 40u;
        s.sport = 49152;
        s.dport = (uint16_t)(i % 3 == 0 ? 25 : i % 3 == 1 ? 143 : 110);
        s.flags = NETEV_ACK | NETEV_PSH;
        s.len = (uint32_t)n;
        trace_append(tr, t, TR_SEG_SENT, &s, payload, (size_t)n);
        if (i >= in_flight) {
            size_t j = i - in_flight;
            uint32_t hj = 1 + (uint32_t)(j % (hosts - 1));
            s.t_depart = (sim_us)j * dt;
            s.t_arrive = s.t_depart + flight;
            s.src = s.hop_from = hj;
            s.link = hj - 1;
            s.conn = 1 + (uint32_t)(j % 97);
            s.dport = (uint16_t)(j % 3 == 0 ? 25 : j % 3 == 1 ? 143 : 110);
            n = snprintf(payload, sizeof payload, "RCPT TO:<user%zu@example.net>\r\n", j);
            s.len = (uint32_t)n;
            s.t_arrive = t; /* arrivals keep the trace's time order */
            trace_append(tr, t, TR_SEG_ARRIVED, &s, payload, (size_t)n);
        }
        if (i % 16 == 0) {
            n = snprintf(payload, sizeof payload, "RCPT TO:<user%zu@example.net>\r\n", i);
            trace_add_line(tr, t, TR_LINE_SENT, s.conn, h, 0, 'C', "SMTP", "mail transaction open",
                           "RCPT sent", payload, (size_t)n);
        }
        if (i % 64 == 0)
            trace_add_queue(tr, t, 1 + (uint32_t)((i / 64) % (hosts - 1)), (uint32_t)(i % 7),
                            t + 30 * SIM_US_PER_MIN);
        if (i % 4096 == 0)
            trace_add_narration(tr, t, TRACE_NONE, "Busy network: record %zu", trace_count(tr));
    }
    return tr;
}
