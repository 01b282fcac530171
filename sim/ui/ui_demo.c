/* ui_demo.c -- synthetic traces built through the trace API alone.
 *
 * The lesson of the design (Alice mails Bob; Bob's server is down for a while,
 * so the message waits in the queue and is retried 30 minutes later; Bob
 * fetches it with POP3), written record by record as a simulation would, so
 * the window can be developed, tested and benchmarked without one. Records
 * are collected, then sorted by (time, order of writing) and appended, so
 * times never decrease. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui.h"

enum { DEMO_ALICE, DEMO_MSO, DEMO_NET, DEMO_MSN, DEMO_BOB, DEMO_DNS, DEMO_HOSTS };

struct demo_rec {
    sim_us t;
    size_t order;
    enum trace_kind kind;
    union {
        struct trace_ref ref;
        struct trace_seg seg;
        struct trace_conn conn;
        struct trace_msg msg;
        struct trace_queue queue;
        struct trace_mailbox mbox;
        struct trace_dns dns;
        struct trace_line line;
    } b;
    char *data;
    size_t len;
    /* Lines: interned later (the trace must exist first). */
    const char *proto, *before, *after;
};

struct demo {
    struct trace *tr;
    struct demo_rec *r;
    size_t n, cap;
    uint32_t seq[16]; /* next sequence number per connection and side */
    const struct trace_link *links;
};

static const uint32_t demo_ip[DEMO_HOSTS] = {
    0xC000020Au, 0xC0000219u, 0xC6336401u, 0xCB007119u, 0xCB00710Au, 0xC6336435u,
};
static const char *const demo_names[DEMO_HOSTS] = {
    "alice-pc", "mail.example.org", "internet", "mail.example.net", "bob-pc", "dns",
};
/* Links: alice-mso, mso-net, net-msn, msn-bob, net-dns. */
static const uint32_t demo_link_ends[5][2] = {{0, 1}, {1, 2}, {2, 3}, {3, 4}, {2, 5}};
static const sim_us demo_link_lat[5] = {2000, 20000, 20000, 2000, 5000};

static struct demo_rec *demo_push(struct demo *d, sim_us t, enum trace_kind kind)
{
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 256;
        d->r = ms_xrealloc(d->r, d->cap * sizeof *d->r);
    }
    struct demo_rec *r = &d->r[d->n];
    memset(r, 0, sizeof *r);
    r->t = t;
    r->order = d->n++;
    r->kind = kind;
    return r;
}

static void demo_data(struct demo_rec *r, const char *p, size_t len)
{
    r->data = ms_xmemdup(p, len);
    r->len = len;
}

static int demo_cmp(const void *a, const void *b)
{
    const struct demo_rec *x = a, *y = b;
    if (x->t != y->t) return x->t < y->t ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static uint32_t demo_link_between(uint32_t a, uint32_t b)
{
    for (uint32_t i = 0; i < 5; i++)
        if ((demo_link_ends[i][0] == a && demo_link_ends[i][1] == b) ||
            (demo_link_ends[i][0] == b && demo_link_ends[i][1] == a))
            return i;
    return TRACE_NONE;
}

/* The path from a to b in the demo's tree (hosts on it, a first). */
static size_t demo_path(uint32_t a, uint32_t b, uint32_t *path)
{
    /* Up to the router from each side, then join. */
    static const uint32_t up[DEMO_HOSTS] = {DEMO_MSO, DEMO_NET, TRACE_NONE,
                                            DEMO_NET, DEMO_MSN, DEMO_NET};
    uint32_t pa[8] = {0}, pb[8] = {0};
    size_t na = 0, nb = 0;
    for (uint32_t h = a; h != TRACE_NONE; h = up[h])
        pa[na++] = h;
    for (uint32_t h = b; h != TRACE_NONE; h = up[h])
        pb[nb++] = h;
    /* Drop the common tail (above the meeting point). */
    while (na > 1 && nb > 1 && pa[na - 2] == pb[nb - 2]) {
        na--;
        nb--;
    }
    size_t n = 0;
    for (size_t i = 0; i < na; i++)
        path[n++] = pa[i];
    for (size_t i = nb - 1; i-- > 0;)
        path[n++] = pb[i];
    return n;
}

/* One segment from src to dst along the tree; lost_at_hop >= 0 drops it
 * there. Returns the time it reaches dst (or would have). */
static sim_us demo_seg(struct demo *d, sim_us t, uint32_t conn, uint32_t src, uint32_t dst,
                       uint16_t sport, uint16_t dport, uint8_t flags, const char *payload,
                       int lost_at_hop, uint8_t attempt, bool udp)
{
    uint32_t path[8];
    size_t np = demo_path(src, dst, path);
    size_t len = payload ? strlen(payload) : 0;
    int side = src < dst ? 0 : 1;
    uint32_t used = (uint32_t)len + ((flags & (NETEV_SYN | NETEV_FIN)) ? 1 : 0);
    uint32_t seq = d->seq[(conn * 2 + (unsigned)side) % 16];
    uint32_t ack = d->seq[(conn * 2 + (unsigned)!side) % 16];
    if (attempt == 0)
        d->seq[(conn * 2 + (unsigned)side) % 16] += used;
    else /* a retransmission repeats the sequence number */
        seq -= used;
    for (size_t i = 0; i + 1 < np; i++) {
        uint32_t link = demo_link_between(path[i], path[i + 1]);
        sim_us ta = t + demo_link_lat[link] + (sim_us)(len + 40) * 8 / 10; /* 10 Mbit/s */
        struct trace_seg s;
        memset(&s, 0, sizeof s);
        s.t_depart = t;
        s.t_arrive = ta;
        s.conn = conn;
        s.src = src;
        s.dst = dst;
        s.hop_from = path[i];
        s.hop_to = path[i + 1];
        s.link = link;
        s.seq = udp ? 0 : seq;
        s.ack = udp ? 0 : ((flags & NETEV_ACK) ? ack : 0);
        s.sport = sport;
        s.dport = dport;
        s.window = udp ? 0 : 65535;
        s.mss = (flags & NETEV_SYN) ? 1460 : 0;
        s.flags = udp ? 0 : flags;
        s.attempt = attempt;
        s.len = (uint32_t)len;
        enum trace_kind k = i == 0 ? (attempt ? TR_SEG_RETRANS : TR_SEG_SENT) : TR_SEG_FORWARD;
        if (udp) k = i == 0 ? TR_DGRAM_SENT : TR_DGRAM_FORWARD;
        struct demo_rec *r = demo_push(d, t, k);
        r->b.seg = s;
        if (len) demo_data(r, payload, len);
        if ((int)i == lost_at_hop) {
            s.reason = NETEV_R_HOST_DOWN;
            r = demo_push(d, ta, udp ? TR_DGRAM_LOST : TR_SEG_LOST);
            r->b.seg = s;
            if (len) demo_data(r, payload, len);
            return ta;
        }
        r = demo_push(d, ta, udp ? TR_DGRAM_ARRIVED : TR_SEG_ARRIVED);
        r->b.seg = s;
        if (len) demo_data(r, payload, len);
        t = ta;
    }
    return t;
}

/* A protocol line (or several in one segment): LINE_SENT, the segment and
 * LINE_RECEIVED. states is {client before, client after, server before,
 * server after}. Returns the arrival time. */
static sim_us demo_lines(struct demo *d, sim_us t, uint32_t conn, uint32_t from, uint32_t to,
                         uint16_t sport, uint16_t dport, char side, const char *proto,
                         const char *const *lines, size_t n, const char *const *states)
{
    char payload[4096] = "";
    size_t used = 0;
    for (size_t i = 0; i < n; i++) {
        struct demo_rec *r = demo_push(d, t, TR_LINE_SENT);
        r->b.line.conn = conn;
        r->b.line.host = from;
        r->b.line.peer = to;
        r->b.line.side = (uint8_t)side;
        r->proto = proto;
        r->before = states[side == 'C' ? 0 : 2];
        r->after = states[side == 'C' ? 1 : 3];
        char buf[1024];
        size_t l = strlen(lines[i]);
        memcpy(buf, lines[i], l);
        memcpy(buf + l, "\r\n", 2);
        demo_data(r, buf, l + 2);
        r->b.line.len = (uint32_t)(l + 2);
        if (used + l + 2 < sizeof payload) {
            memcpy(payload + used, buf, l + 2);
            used += l + 2;
            payload[used] = '\0';
        }
    }
    sim_us ta =
        demo_seg(d, t, conn, from, to, sport, dport, NETEV_ACK | NETEV_PSH, payload, -1, 0, false);
    for (size_t i = 0; i < n; i++) {
        struct demo_rec *r = demo_push(d, ta, TR_LINE_RECEIVED);
        r->b.line.conn = conn;
        r->b.line.host = to;
        r->b.line.peer = from;
        r->b.line.side = (uint8_t)side;
        r->proto = proto;
        r->before = states[side == 'C' ? 2 : 0];
        r->after = states[side == 'C' ? 3 : 1];
        size_t l = strlen(lines[i]);
        char buf[1024];
        memcpy(buf, lines[i], l);
        memcpy(buf + l, "\r\n", 2);
        demo_data(r, buf, l + 2);
        r->b.line.len = (uint32_t)(l + 2);
    }
    return ta;
}

static void demo_conn_rec(struct demo *d, sim_us t, enum trace_kind k, uint32_t conn, uint32_t host,
                          uint32_t client, uint32_t server, uint16_t cport, uint16_t sport,
                          uint32_t reason)
{
    struct demo_rec *r = demo_push(d, t, k);
    r->b.conn.conn = conn;
    r->b.conn.host = host;
    r->b.conn.client = client;
    r->b.conn.server = server;
    r->b.conn.cport = cport;
    r->b.conn.sport = sport;
    r->b.conn.reason = reason;
}

/* SYN, SYN-ACK, ACK. Returns when the client may send. */
static sim_us demo_handshake(struct demo *d, sim_us t, uint32_t conn, uint32_t c, uint32_t s,
                             uint16_t cport, uint16_t sport)
{
    t = demo_seg(d, t, conn, c, s, cport, sport, NETEV_SYN, NULL, -1, 0, false);
    t = demo_seg(d, t, conn, s, c, sport, cport, NETEV_SYN | NETEV_ACK, NULL, -1, 0, false);
    demo_conn_rec(d, t, TR_CONN_OPENED, conn, c, c, s, cport, sport, 0);
    sim_us t2 = demo_seg(d, t, conn, c, s, cport, sport, NETEV_ACK, NULL, -1, 0, false);
    (void)t2;
    return t;
}

static sim_us demo_close(struct demo *d, sim_us t, uint32_t conn, uint32_t c, uint32_t s,
                         uint16_t cport, uint16_t sport)
{
    t = demo_seg(d, t, conn, c, s, cport, sport, NETEV_FIN | NETEV_ACK, NULL, -1, 0, false);
    t = demo_seg(d, t, conn, s, c, sport, cport, NETEV_FIN | NETEV_ACK, NULL, -1, 0, false);
    t = demo_seg(d, t, conn, c, s, cport, sport, NETEV_ACK, NULL, -1, 0, false);
    demo_conn_rec(d, t, TR_CONN_CLOSED, conn, c, c, s, cport, sport, 0);
    return t;
}

static void demo_msg(struct demo *d, sim_us t, enum trace_kind k, uint32_t host, uint32_t peer,
                     uint32_t attempt, uint32_t code, sim_us next_retry, const char *text)
{
    struct demo_rec *r = demo_push(d, t, k);
    r->b.msg.next_retry = next_retry;
    r->b.msg.msg = 1;
    r->b.msg.host = host;
    r->b.msg.peer = peer;
    r->b.msg.attempt = attempt;
    r->b.msg.code = code;
    r->b.msg.sender = r->b.msg.rcpt = r->b.msg.msgid = TRACE_NONE;
    r->proto = "msg"; /* marks: intern sender/rcpt/msgid at flush */
    if (text) demo_data(r, text, strlen(text));
}

static void demo_narrate(struct demo *d, sim_us t, uint32_t host, const char *text)
{
    struct demo_rec *r = demo_push(d, t, TR_NARRATION);
    r->b.ref.id = host;
    demo_data(r, text, strlen(text));
}

static void demo_queue(struct demo *d, sim_us t, uint32_t host, uint32_t len, sim_us next)
{
    struct demo_rec *r = demo_push(d, t, TR_QUEUE_CHANGED);
    r->b.queue.host = host;
    r->b.queue.length = len;
    r->b.queue.next_retry = next;
}

static void demo_mbox(struct demo *d, sim_us t, uint32_t host, uint32_t count, uint32_t unseen)
{
    struct demo_rec *r = demo_push(d, t, TR_MAILBOX_CHANGED);
    r->b.mbox.host = host;
    r->b.mbox.count = count;
    r->b.mbox.unseen = unseen;
    r->proto = "mbox";
}

/* The SMTP dialogue of one transaction from client c to server s. */
static sim_us demo_smtp(struct demo *d, sim_us t, uint32_t conn, uint32_t c, uint32_t s,
                        uint16_t cport, uint16_t sport, const char *helo)
{
    /* {client before, client after, server before, server after} */
    static const char *const st_greet[] = {"waiting for greeting", "greeting received",
                                           "new connection", "ready for EHLO"};
    static const char *const st_ehlo[] = {"greeting received", "EHLO sent", "ready for EHLO",
                                          "greeted"};
    static const char *const st_ehlo_r[] = {"EHLO sent", "ready", "greeted", "greeted"};
    static const char *const st_mail[] = {"ready", "MAIL sent", "greeted", "mail transaction open"};
    static const char *const st_mail_r[] = {"MAIL sent", "sender accepted", "mail transaction open",
                                            "mail transaction open"};
    static const char *const st_rcpt[] = {"sender accepted", "RCPT sent", "mail transaction open",
                                          "mail transaction open, 1 recipient"};
    static const char *const st_rcpt_r[] = {"RCPT sent", "recipient accepted",
                                            "mail transaction open, 1 recipient",
                                            "mail transaction open, 1 recipient"};
    static const char *const st_data[] = {"recipient accepted", "DATA sent",
                                          "mail transaction open, 1 recipient",
                                          "waiting for message text"};
    static const char *const st_data_r[] = {"DATA sent", "sending message text",
                                            "waiting for message text", "receiving message text"};
    static const char *const st_body[] = {"sending message text", "message sent",
                                          "receiving message text", "message received"};
    static const char *const st_done_r[] = {"message sent", "ready", "message received", "greeted"};
    static const char *const st_quit[] = {"ready", "QUIT sent", "greeted", "closing"};
    static const char *const st_bye[] = {"QUIT sent", "closed", "closing", "closed"};
    char line[256];
    const char *l1[1];

    snprintf(line, sizeof line, "220 %s ESMTP mailsim", demo_names[s]);
    l1[0] = line;
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_greet);
    snprintf(line, sizeof line, "EHLO %s", helo);
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", l1, 1, st_ehlo);
    char l250[128];
    snprintf(l250, sizeof l250, "250-%s", demo_names[s]);
    const char *ehlo_reply[] = {l250, "250-PIPELINING", "250-8BITMIME", "250 SIZE 10485760"};
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", ehlo_reply, 4, st_ehlo_r);
    l1[0] = "MAIL FROM:<alice@example.org>";
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", l1, 1, st_mail);
    l1[0] = "250 2.1.0 Ok";
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_mail_r);
    l1[0] = "RCPT TO:<bob@example.net>";
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", l1, 1, st_rcpt);
    l1[0] = "250 2.1.5 Ok";
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_rcpt_r);
    l1[0] = "DATA";
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", l1, 1, st_data);
    l1[0] = "354 End data with <CR><LF>.<CR><LF>";
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_data_r);
    const char *body[] = {
        "From: Alice <alice@example.org>",
        "To: Bob <bob@example.net>",
        "Subject: Lunch on Friday?",
        "Date: Mon, 2 Mar 2026 09:00:00 +0000",
        "Message-ID: <1.demo@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: multipart/mixed; boundary=\"b1\"",
        "",
        "--b1",
        "Content-Type: text/plain; charset=utf-8",
        "",
        "Hi Bob, lunch on Friday at noon? The map is attached.",
        "Alice",
        "--b1",
        "Content-Type: image/png; name=\"map.png\"",
        "Content-Transfer-Encoding: base64",
        "",
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk",
        "--b1--",
        ".",
    };
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", body, MS_ARRAY_LEN(body), st_body);
    l1[0] = "250 2.0.0 Ok: queued as 1";
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_done_r);
    l1[0] = "QUIT";
    t = demo_lines(d, t, conn, c, s, cport, sport, 'C', "SMTP", l1, 1, st_quit);
    l1[0] = "221 2.0.0 Bye";
    t = demo_lines(d, t, conn, s, c, sport, cport, 'S', "SMTP", l1, 1, st_bye);
    return t;
}

static sim_us demo_pop3(struct demo *d, sim_us t, uint32_t conn, uint32_t c, uint32_t s,
                        uint16_t cport)
{
    struct {
        char side;
        const char *line;
        const char *st[4];
    } steps[] = {
        {'S',
         "+OK POP3 server ready",
         {"waiting for greeting", "AUTHORIZATION", "new connection", "AUTHORIZATION"}},
        {'C',
         "USER bob",
         {"AUTHORIZATION", "USER sent", "AUTHORIZATION", "AUTHORIZATION, user given"}},
        {'S',
         "+OK",
         {"USER sent", "user accepted", "AUTHORIZATION, user given", "AUTHORIZATION, user given"}},
        {'C',
         "PASS secret",
         {"user accepted", "PASS sent", "AUTHORIZATION, user given", "TRANSACTION"}},
        {'S',
         "+OK maildrop has 1 message (512 octets)",
         {"PASS sent", "TRANSACTION", "TRANSACTION", "TRANSACTION"}},
        {'C', "STAT", {"TRANSACTION", "STAT sent", "TRANSACTION", "TRANSACTION"}},
        {'S', "+OK 1 512", {"STAT sent", "TRANSACTION", "TRANSACTION", "TRANSACTION"}},
        {'C', "RETR 1", {"TRANSACTION", "RETR sent", "TRANSACTION", "TRANSACTION, sending 1"}},
        {'S',
         "+OK 512 octets",
         {"RETR sent", "reading message", "TRANSACTION, sending 1", "TRANSACTION"}},
        {'S',
         "Subject: Lunch on Friday?",
         {"reading message", "reading message", "TRANSACTION", "TRANSACTION"}},
        {'S', ".", {"reading message", "TRANSACTION", "TRANSACTION", "TRANSACTION"}},
        {'C', "DELE 1", {"TRANSACTION", "DELE sent", "TRANSACTION", "TRANSACTION, 1 deleted"}},
        {'S',
         "+OK message 1 deleted",
         {"DELE sent", "TRANSACTION", "TRANSACTION, 1 deleted", "TRANSACTION, 1 deleted"}},
        {'C', "QUIT", {"TRANSACTION", "QUIT sent", "TRANSACTION, 1 deleted", "UPDATE"}},
        {'S', "+OK bye, 0 messages left", {"QUIT sent", "closed", "UPDATE", "closed"}},
    };
    for (size_t i = 0; i < MS_ARRAY_LEN(steps); i++) {
        const char *l1[1] = {steps[i].line};
        if (steps[i].side == 'C')
            t = demo_lines(d, t, conn, c, s, cport, 110, 'C', "POP3", l1, 1, steps[i].st);
        else
            t = demo_lines(d, t, conn, s, c, 110, cport, 'S', "POP3", l1, 1, steps[i].st);
        if (i == 12) demo_mbox(d, t, s, 0, 0);
    }
    return t;
}

struct trace *ui_demo_trace(void)
{
    struct demo d;
    memset(&d, 0, sizeof d);
    d.tr = trace_new();
    for (uint32_t h = 0; h < DEMO_HOSTS; h++)
        trace_host_add(d.tr, h, demo_names[h], demo_ip[h], h == DEMO_NET);
    for (uint32_t i = 0; i < 5; i++) {
        struct trace_link l;
        memset(&l, 0, sizeof l);
        l.latency_us = demo_link_lat[i];
        l.bandwidth_bps = 10000000;
        l.a = demo_link_ends[i][0];
        l.b = demo_link_ends[i][1];
        l.mtu = 1500;
        trace_link_add(d.tr, i, &l);
    }
    for (size_t i = 0; i < 16; i++)
        d.seq[i] = 1000u + 7919u * (uint32_t)i;

    sim_us t = 0;
    demo_narrate(&d, t, TRACE_NONE,
                 "Alice (alice@example.org) writes to Bob (bob@example.net). "
                 "Bob's mail server is switched off this morning.");
    struct demo_rec *r = demo_push(&d, t, TR_HOST_DOWN);
    r->b.ref.id = DEMO_MSN;
    t += 100000;
    demo_msg(&d, t, TR_MSG_COMPOSED, DEMO_ALICE, TRACE_NONE, 0, 0, -1, NULL);
    demo_narrate(&d, t, DEMO_ALICE,
                 "Alice's mail program opens a TCP connection to her own server, port 587 "
                 "(submission).");
    t = demo_handshake(&d, t + 1000, 1, DEMO_ALICE, DEMO_MSO, 49152, 587);
    demo_narrate(&d, t, DEMO_MSO, "The server greets first; then the client says EHLO.");
    t = demo_smtp(&d, t, 1, DEMO_ALICE, DEMO_MSO, 49152, 587, "alice-pc");
    demo_msg(&d, t - 1000, TR_MSG_SUBMITTED, DEMO_MSO, DEMO_ALICE, 0, 250, -1, NULL);
    demo_msg(&d, t - 1000, TR_MSG_QUEUED, DEMO_MSO, TRACE_NONE, 0, 0, -1, NULL);
    demo_queue(&d, t - 1000, DEMO_MSO, 1, -1); /* tried at once */
    t = demo_close(&d, t, 1, DEMO_ALICE, DEMO_MSO, 49152, 587);

    /* DNS: where does mail for example.net go? */
    t += 2000;
    demo_narrate(&d, t, DEMO_MSO,
                 "mail.example.org asks the DNS: which server takes mail for example.net (MX)?");
    r = demo_push(&d, t, TR_DNS_QUESTION);
    r->b.dns.host = DEMO_MSO;
    r->b.dns.server = DEMO_DNS;
    r->b.dns.qtype = 15;
    r->b.dns.id = 4242;
    r->proto = "dns";
    t = demo_seg(&d, t, 0, DEMO_MSO, DEMO_DNS, 53001, 53, 0, "MX? example.net", -1, 0, true);
    t = demo_seg(&d, t, 0, DEMO_DNS, DEMO_MSO, 53, 53001, 0,
                 "example.net. 300 IN MX 10 mail.example.net.", -1, 0, true);
    r = demo_push(&d, t, TR_DNS_ANSWER);
    r->b.dns.host = DEMO_MSO;
    r->b.dns.server = DEMO_DNS;
    r->b.dns.qtype = 15;
    r->b.dns.id = 4242;
    r->proto = "dns";
    demo_data(r, "example.net. 300 IN MX 10 mail.example.net.", 43);

    /* First attempt: mail.example.net is down, SYNs vanish. */
    t += 1000;
    demo_msg(&d, t, TR_MSG_ATTEMPT, DEMO_MSO, DEMO_MSN, 1, 0, -1, NULL);
    demo_narrate(&d, t, DEMO_MSO,
                 "mail.example.org tries to deliver to mail.example.net, but that host is down: "
                 "the SYN is lost.");
    sim_us t0 = t;
    demo_seg(&d, t, 2, DEMO_MSO, DEMO_MSN, 49200, 25, NETEV_SYN, NULL, 1, 0, false);
    t += SIM_US_PER_S;
    demo_seg(&d, t, 2, DEMO_MSO, DEMO_MSN, 49200, 25, NETEV_SYN, NULL, 1, 1, false);
    t += 2 * SIM_US_PER_S;
    demo_seg(&d, t, 2, DEMO_MSO, DEMO_MSN, 49200, 25, NETEV_SYN, NULL, 1, 2, false);
    t += 4 * SIM_US_PER_S;
    demo_conn_rec(&d, t, TR_CONN_TIMEOUT, 2, DEMO_MSO, DEMO_MSO, DEMO_MSN, 49200, 25, 0);
    sim_us retry = t0 + 30 * SIM_US_PER_MIN;
    demo_msg(&d, t, TR_MSG_DEFERRED, DEMO_MSO, DEMO_MSN, 1, 0, retry, "connection timed out");
    demo_queue(&d, t, DEMO_MSO, 1, retry);
    demo_narrate(
        &d, t, DEMO_MSO,
        "No answer. The message stays in the queue; the next attempt is due in 30 minutes.");

    t = 12 * SIM_US_PER_MIN;
    r = demo_push(&d, t, TR_HOST_UP);
    r->b.ref.id = DEMO_MSN;
    demo_narrate(&d, t, DEMO_MSN, "mail.example.net is switched back on.");

    /* Retry: relay over port 25. */
    t = retry;
    demo_msg(&d, t, TR_MSG_ATTEMPT, DEMO_MSO, DEMO_MSN, 2, 0, -1, NULL);
    demo_narrate(&d, t, DEMO_MSO, "30 minutes later: the retry. This time the server answers.");
    d.seq[(2 * 2) % 16] += 3;
    t = demo_handshake(&d, t, 3, DEMO_MSO, DEMO_MSN, 49201, 25);
    t = demo_smtp(&d, t, 3, DEMO_MSO, DEMO_MSN, 49201, 25, "mail.example.org");
    demo_msg(&d, t - 1000, TR_MSG_DELIVERED, DEMO_MSN, DEMO_MSO, 2, 250, -1, NULL);
    demo_mbox(&d, t - 1000, DEMO_MSN, 1, 1);
    demo_queue(&d, t - 1000, DEMO_MSO, 0, -1);
    demo_narrate(&d, t, DEMO_MSN, "Delivered: the message is in Bob's INBOX on mail.example.net.");
    t = demo_close(&d, t, 3, DEMO_MSO, DEMO_MSN, 49201, 25);

    /* Bob fetches it with POP3. */
    t = 40 * SIM_US_PER_MIN;
    demo_narrate(&d, t, DEMO_BOB,
                 "Bob checks his mail with POP3 (port 110) and deletes it from the server.");
    t = demo_handshake(&d, t, 4, DEMO_BOB, DEMO_MSN, 49300, 110);
    t = demo_pop3(&d, t, 4, DEMO_BOB, DEMO_MSN, 49300);
    t = demo_close(&d, t, 4, DEMO_BOB, DEMO_MSN, 49300, 110);
    demo_narrate(&d, t, DEMO_BOB, "Bob has read Alice's message. End of the lesson.");

    qsort(d.r, d.n, sizeof *d.r, demo_cmp);
    for (size_t i = 0; i < d.n; i++) {
        struct demo_rec *x = &d.r[i];
        if (x->kind == TR_LINE_SENT || x->kind == TR_LINE_RECEIVED) {
            const struct trace_line *l = &x->b.line;
            trace_add_line(d.tr, x->t, x->kind, l->conn, l->host, l->peer, (char)l->side, x->proto,
                           x->before, x->after, x->data, x->len);
        } else if (x->kind == TR_MAILBOX_CHANGED) {
            trace_add_mailbox(d.tr, x->t, x->b.mbox.host, "bob", "INBOX", x->b.mbox.count,
                              x->b.mbox.unseen);
        } else if (x->proto && strcmp(x->proto, "msg") == 0) {
            x->b.msg.sender = trace_intern(d.tr, "alice@example.org");
            x->b.msg.rcpt = trace_intern(d.tr, "bob@example.net");
            x->b.msg.msgid = trace_intern(d.tr, "<1.demo@example.org>");
            trace_add_msg(d.tr, x->t, x->kind, &x->b.msg, x->data);
        } else if (x->proto && strcmp(x->proto, "dns") == 0) {
            trace_add_dns(d.tr, x->t, x->kind, x->b.dns.host, x->b.dns.server, "example.net",
                          x->b.dns.qtype, 0, x->b.dns.id, x->data);
        } else {
            trace_append(d.tr, x->t, x->kind, &x->b, x->data, x->len);
        }
        free(x->data);
    }
    free(d.r);
    return d.tr;
}

struct trace *ui_demo_big(unsigned hosts, unsigned in_flight, size_t records)
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
