/* test_bounded.c -- every engine keeps its memory bounded under a long hostile
 * stream (bad-inputs X4, X5, C1, L3).
 *
 * Each case feeds an engine megabytes of hostile input through its public
 * sans-I/O API -- a 10 MB line without CRLF, 100,000 pipelined commands from a
 * peer that never reads the replies, an endless "250-" continuation -- and
 * samples the heap after every recv() with ASan's allocator statistics
 * (__sanitizer_get_current_allocated_bytes: this counts every malloc of the
 * process, so it is the "allocation wrapper" without touching the engines).
 * The growth over the idle engine must stay under the ceiling named in each
 * case, and where the engine exposes its output buffer, that too stays under
 * its ceiling. After the flood each engine must still answer a good command
 * (it stayed in sync) or have closed, as its RFC says. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http_client.h"
#include "proto/http_server.h"
#include "proto/imap_client.h"
#include "proto/imap_server.h"
#include "proto/pop3_client.h"
#include "proto/pop3_server.h"
#include "proto/smtp_client.h"
#include "proto/smtp_server.h"
#include "store/mbox.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_HEAP_STATS 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_HEAP_STATS 1
#endif
#endif
#ifndef HAVE_HEAP_STATS
#define HAVE_HEAP_STATS 0
#endif
#if HAVE_HEAP_STATS
/* From the ASan runtime (sanitizer/allocator_interface.h, which gcc does
 * not install): bytes currently allocated by the whole process. */
size_t __sanitizer_get_current_allocated_bytes(void);
#endif

#define MB (1024u * 1024u)
#define KB 1024u

static size_t heap_now(void)
{
#if HAVE_HEAP_STATS
    return __sanitizer_get_current_allocated_bytes();
#else
    return 0;
#endif
}

/* ---- a generic engine adapter ----------------------------------------------- */

struct eng {
    void *e;
    size_t (*recv)(void *e, const char *in, size_t len);
    size_t (*out)(void *e, const char **out);
    void (*out_done)(void *e, size_t n);
    void (*events)(void *e); /* pull events, answer verdicts */
    int (*done)(void *e);
};

struct flood {
    size_t base;     /* heap with the engine idle */
    size_t peak;     /* highest heap seen while feeding */
    size_t out_peak; /* largest pending output seen */
    size_t consumed; /* bytes the engine took */
    size_t sent;     /* bytes the engine produced and we read */
    char tail[512];  /* last bytes the engine sent */
    size_t tail_len;
};

static void note_heap(struct flood *f)
{
    size_t h = heap_now();
    if (h > f->peak) f->peak = h;
}

static void read_out(struct eng *g, struct flood *f)
{
    const char *o;
    size_t n = g->out(g->e, &o);
    if (n > f->out_peak) f->out_peak = n;
    if (!n) return;
    f->sent += n;
    if (n >= sizeof f->tail) {
        memcpy(f->tail, o + n - sizeof f->tail, sizeof f->tail);
        f->tail_len = sizeof f->tail;
    } else {
        size_t keep = f->tail_len + n > sizeof f->tail ? sizeof f->tail - n : f->tail_len;
        memmove(f->tail, f->tail + f->tail_len - keep, keep);
        memcpy(f->tail + keep, o, n);
        f->tail_len = keep + n;
    }
    g->out_done(g->e, n);
}

/* Feed `total` bytes made by repeating pat[0..plen) (after `head`), in chunks
 * of 64 KiB. reader: 1 = read the replies as they come, 0 = a peer that never
 * reads (stop when the engine refuses more input: backpressure). */
static void feed(struct eng *g, struct flood *f, const char *head, const char *pat, size_t plen,
                 size_t total, int reader)
{
    enum { CHUNK = 64 * 1024 };
    char *chunk = malloc(CHUNK + plen);
    assert_non_null(chunk);
    size_t fill = 0;
    while (fill + plen <= CHUNK) {
        memcpy(chunk + fill, pat, plen);
        fill += plen;
    }
    g->events(g->e);
    read_out(g, f); /* the greeting is read even by a peer that then stops reading */
    if (head) {
        size_t hl = strlen(head), pos = 0;
        for (int stall = 0; pos < hl && stall < 100;) {
            const char *lf = memchr(head + pos, '\n', hl - pos);
            size_t upto = lf ? (size_t)(lf - head) + 1 : hl;
            size_t n = g->recv(g->e, head + pos, upto - pos);
            pos += n;
            stall = n ? 0 : stall + 1;
            g->events(g->e);
            read_out(g, f);
        }
        f->consumed += pos;
    }
    f->base = heap_now();
    f->peak = f->base;
    size_t left = total;
    int stall = 0;
    while (left > 0 && !g->done(g->e)) {
        size_t k = left < fill ? left : fill;
        size_t n = g->recv(g->e, chunk, k);
        note_heap(f);
        g->events(g->e);
        note_heap(f);
        if (reader) {
            read_out(g, f);
        } else {
            const char *o;
            size_t pend = g->out(g->e, &o);
            if (pend > f->out_peak) f->out_peak = pend;
        }
        f->consumed += n;
        if (n < k) {
            /* the rest of this chunk is re-offered from its start: keep the
             * pattern aligned by offering only whole copies from here on */
            size_t used_in_pat = n % plen;
            if (used_in_pat)
                memmove(chunk, chunk + used_in_pat, fill - used_in_pat), fill -= used_in_pat;
        }
        left -= n < left ? n : left;
        stall = n ? 0 : stall + 1;
        if (stall > 3) break; /* backpressure: the engine stopped reading */
    }
    free(chunk);
}

static void send_after(struct eng *g, struct flood *f, const char *in)
{
    size_t len = strlen(in), pos = 0;
    read_out(g, f);
    for (int stall = 0; pos < len && stall < 100;) {
        size_t n = g->recv(g->e, in + pos, len - pos);
        pos += n;
        stall = n ? 0 : stall + 1;
        g->events(g->e);
        read_out(g, f);
    }
    g->events(g->e);
    read_out(g, f);
}

static int tail_ends(const struct flood *f, const char *s)
{
    size_t n = strlen(s);
    return f->tail_len >= n && memcmp(f->tail + f->tail_len - n, s, n) == 0;
}

static int tail_has(const struct flood *f, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i + n <= f->tail_len; i++) {
        if (memcmp(f->tail + i, s, n) == 0) return 1;
    }
    return 0;
}

static void assert_growth_below(const struct flood *f, size_t ceiling, const char *what)
{
    if (!HAVE_HEAP_STATS) return;
    size_t grow = f->peak > f->base ? f->peak - f->base : 0;
    if (grow >= ceiling) fail_msg("%s: heap grew by %zu bytes (ceiling %zu)", what, grow, ceiling);
}

/* ---- SMTP server -------------------------------------------------------------- */

static size_t ss_recv(void *e, const char *in, size_t n)
{
    return smtp_server_recv(e, in, n);
}
static size_t ss_out(void *e, const char **o)
{
    return smtp_server_out(e, o);
}
static void ss_done(void *e, size_t n)
{
    smtp_server_out_done(e, n);
}
static int ss_closed(void *e)
{
    return smtp_server_closed(e);
}
static void ss_events(void *e)
{
    struct smtp_event ev;
    while (smtp_server_event(e, &ev)) {
        if (ev.needs_verdict) smtp_server_verdict(e, SMTP_V_ACCEPT, NULL);
    }
}

static struct eng smtp_server_eng(struct smtp_server_cfg *cfg)
{
    struct eng g = {smtp_server_new(cfg), ss_recv, ss_out, ss_done, ss_events, ss_closed};
    return g;
}

/* X4/S4: a 10 MB command line without CRLF. The server discards it, replies
 * 500 once the CRLF arrives and answers the next command. */
static void test_smtp_server_10mb_line(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct eng g = smtp_server_eng(&cfg);
    struct flood f = {0};
    feed(&g, &f, "EHLO c.example\r\nNOOP ", "a", 1, 10u * MB, 1);
    assert_int_equal(f.consumed, strlen("EHLO c.example\r\nNOOP ") + 10u * MB);
    send_after(&g, &f, "\r\nNOOP\r\n");
    assert_true(
        tail_ends(&f, "500 5.5.2 Error: line too long (the limit is 512 octets with CRLF, RFC 5321 "
                      "4.5.3.1.4)\r\n250 2.0.0 Ok\r\n"));
    assert_growth_below(&f, 64 * KB, "smtp server 10 MB line");
    smtp_server_free(g.e);
}

/* X5/S17: 100,000 pipelined NOOPs from a client that never reads. The
 * server stops reading once its output buffer is full (16 KiB default). */
static void test_smtp_server_reply_flood(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    struct eng g = smtp_server_eng(&cfg);
    struct flood f = {0};
    feed(&g, &f, "EHLO c.example\r\n", "RSET\r\n", 6, 100000u * 6, 0);
    assert_true(f.consumed < strlen("EHLO c.example\r\n") + 100000u * 6);
    assert_true(f.out_peak <= 16 * KB);
    assert_growth_below(&f, 64 * KB, "smtp server reply flood");
    /* the peer starts reading: every reply comes, in order, none lost (S17) */
    struct flood r = {0};
    feed(&g, &r, NULL, "RSET\r\n", 6, 100000u * 6 - (f.consumed - strlen("EHLO c.example\r\n")), 1);
    read_out(&g, &r);
    const char *o;
    assert_int_equal(smtp_server_out(g.e, &o), 0);
    /* greeting and EHLO reply were read before the flood; every NOOP got one
     * "250 2.0.0 Ok\r\n" (14 octets) */
    size_t ehlo_and_greet =
        strlen("220 mx.example.org ESMTP mailsim\r\n") +
        strlen("250-mx.example.org Hello c.example\r\n250-PIPELINING\r\n250-SIZE 10485760\r\n"
               "250-ENHANCEDSTATUSCODES\r\n250 8BITMIME\r\n");
    assert_int_equal(f.sent + r.sent, ehlo_and_greet + 100000u * 14);
    smtp_server_free(g.e);
}

/* S5/S8: a 10 MB data line without CRLF with a 1 MiB message limit: the
 * server discards past the limit and answers 552 at the end of data. */
static void test_smtp_server_10mb_data_line(void **state)
{
    (void)state;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.max_message_bytes = MB;
    cfg.forbid_unauth_pipelining = false;
    struct eng g = smtp_server_eng(&cfg);
    struct flood f = {0};
    feed(&g, &f, "EHLO c.example\r\nMAIL FROM:<a@a.example>\r\nRCPT TO:<b@b.example>\r\nDATA\r\n",
         "x", 1, 10u * MB, 1);
    send_after(&g, &f, "\r\n.\r\nNOOP\r\n");
    assert_true(
        tail_ends(&f,
                  "552 5.3.4 Message size exceeds fixed maximum message size (1048576 bytes)\r\n"
                  "250 2.0.0 Ok\r\n"));
    assert_growth_below(&f, MB + 256 * KB, "smtp server 10 MB data line");
    smtp_server_free(g.e);
}

/* ---- SMTP client ---------------------------------------------------------------- */

static size_t sc_recv(void *e, const char *in, size_t n)
{
    return smtp_client_recv(e, in, n);
}
static size_t sc_out(void *e, const char **o)
{
    return smtp_client_out(e, o);
}
static void sc_done(void *e, size_t n)
{
    smtp_client_out_done(e, n);
}
static int sc_fin(void *e)
{
    return smtp_client_done(e);
}
static void sc_events(void *e)
{
    struct smtp_cevent ev;
    while (smtp_client_event(e, &ev)) {
    }
}

static struct eng smtp_client_eng(void)
{
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    struct smtp_client *c = smtp_client_new(&cfg);
    static const char *const rcpts[] = {"b@b.example"};
    struct smtp_client_txn t;
    memset(&t, 0, sizeof t);
    t.reverse_path = "a@a.example";
    t.rcpts = rcpts;
    t.nrcpt = 1;
    t.body = "Subject: x\r\n\r\nhi\r\n";
    t.body_len = strlen(t.body);
    assert_true(smtp_client_add(c, &t, NULL));
    struct eng g = {c, sc_recv, sc_out, sc_done, sc_events, sc_fin};
    return g;
}

/* C1: an endless "250-" continuation (10 MB of lines) after the greeting.
 * The client must not collect the reply without bound: it gives up. */
static void test_smtp_client_endless_continuation(void **state)
{
    (void)state;
    struct eng g = smtp_client_eng();
    struct flood f = {0};
    feed(&g, &f, "220 mx.example.org ESMTP\r\n", "250-AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\r\n",
         44, 10u * MB, 1);
    assert_growth_below(&f, 64 * KB, "smtp client endless 250-");
    assert_true(smtp_client_done(g.e));
    smtp_client_free(g.e);
}

/* C1: a 10 MB reply line without CRLF. */
static void test_smtp_client_10mb_line(void **state)
{
    (void)state;
    struct eng g = smtp_client_eng();
    struct flood f = {0};
    feed(&g, &f, NULL, "2", 1, 10u * MB, 1);
    send_after(&g, &f, "\r\n");
    assert_growth_below(&f, 64 * KB, "smtp client 10 MB line");
    assert_true(smtp_client_done(g.e));
    smtp_client_free(g.e);
}

/* ---- POP3 server ---------------------------------------------------------------- */

static size_t ps_recv(void *e, const char *in, size_t n)
{
    return pop3_server_recv(e, in, n);
}
static size_t ps_out(void *e, const char **o)
{
    return pop3_server_out(e, o);
}
static void ps_done(void *e, size_t n)
{
    pop3_server_out_done(e, n);
}
static int ps_fin(void *e)
{
    return pop3_server_done(e);
}
static void ps_events(void *e)
{
    struct pop3_server_event ev;
    while (pop3_server_event(e, &ev)) {
        if (ev.kind == POP3_EV_AUTH) pop3_server_auth_fail(e, POP3_AUTH_BAD);
    }
}

static struct eng pop3_server_eng(void)
{
    struct pop3_server_cfg cfg = {.hostname = "dewey",
                                  .timestamp = "<1896.697170952@dbc.mtview.ca.us>"};
    struct eng g = {pop3_server_new(&cfg), ps_recv, ps_out, ps_done, ps_events, ps_fin};
    return g;
}

/* X4/P5: a 10 MB command line; -ERR once the CRLF comes, then in sync. */
static void test_pop3_server_10mb_line(void **state)
{
    (void)state;
    struct eng g = pop3_server_eng();
    struct flood f = {0};
    feed(&g, &f, "NOOP ", "a", 1, 10u * MB, 1);
    send_after(&g, &f, "\r\nCAPA\r\n");
    assert_true(tail_ends(&f, "\r\n.\r\n"));
    if (!tail_has(&f, "-ERR line too long\r\n+OK Capability list follows\r\n")) {
        fail_msg("pop3 tail: %.*s", (int)f.tail_len, f.tail);
    }
    assert_growth_below(&f, 64 * KB, "pop3 server 10 MB line");
    pop3_server_free(g.e);
}

/* X5: 100,000 pipelined commands, never read. */
static void test_pop3_server_reply_flood(void **state)
{
    (void)state;
    struct eng g = pop3_server_eng();
    struct flood f = {0};
    feed(&g, &f, NULL, "NOOP\r\n", 6, 100000u * 6, 0);
    assert_true(f.consumed < 100000u * 6);
    assert_true(f.out_peak <= 64 * KB);
    assert_growth_below(&f, 128 * KB, "pop3 server reply flood");
    pop3_server_free(g.e);
}

/* ---- POP3 client ------------------------------------------------------------------ */

static size_t pc_recv(void *e, const char *in, size_t n)
{
    return pop3_client_recv(e, in, n);
}
static size_t pc_out(void *e, const char **o)
{
    return pop3_client_out(e, o);
}
static void pc_done(void *e, size_t n)
{
    pop3_client_out_done(e, n);
}
static int pc_fin(void *e)
{
    enum pop3_client_state st = pop3_client_state(e);
    return st == POP3_C_DONE || st == POP3_C_FAILED;
}
static void pc_events(void *e)
{
    struct pop3_client_event ev;
    while (pop3_client_event(e, &ev)) {
    }
}

/* PC1: the server answers the greeting with a 10 MB line without CRLF. */
static void test_pop3_client_10mb_line(void **state)
{
    (void)state;
    struct pop3_client_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.user = "alice";
    cfg.pass = "secret";
    struct eng g = {pop3_client_new(&cfg), pc_recv, pc_out, pc_done, pc_events, pc_fin};
    struct flood f = {0};
    feed(&g, &f, NULL, "+", 1, 10u * MB, 1);
    send_after(&g, &f, "\r\n");
    assert_growth_below(&f, 64 * KB, "pop3 client 10 MB line");
    assert_true(pc_fin(g.e));
    pop3_client_free(g.e);
}

/* ---- HTTP server ---------------------------------------------------------------- */

static size_t hs_recv(void *e, const char *in, size_t n)
{
    return http_server_recv(e, in, n);
}
static size_t hs_out(void *e, const char **o)
{
    return http_server_out(e, o);
}
static void hs_done(void *e, size_t n)
{
    http_server_out_done(e, n);
}
static int hs_fin(void *e)
{
    return http_server_done(e);
}
static void hs_events(void *e)
{
    struct http_server_event ev;
    while (http_server_event(e, &ev)) {
        if (ev.kind == HTTP_EV_REQUEST) http_server_respond(e, 200, NULL, 0, "ok", 2);
    }
}

static struct eng http_server_eng(void)
{
    struct http_server_cfg cfg = {0, NULL};
    struct eng g = {http_server_new(&cfg), hs_recv, hs_out, hs_done, hs_events, hs_fin};
    return g;
}

/* A 10 MB request line: the server answers an error and closes. */
static void test_http_server_10mb_line(void **state)
{
    (void)state;
    struct eng g = http_server_eng();
    struct flood f = {0};
    feed(&g, &f, "GET /", "a", 1, 10u * MB, 1);
    send_after(&g, &f, " HTTP/1.1\r\n\r\n");
    assert_true(hs_fin(g.e));
    assert_true(tail_ends(&f,
                          "HTTP/1.1 414 URI Too Long\r\nContent-Type: text/plain; charset=utf-8\r\n"
                          "Content-Length: 40\r\nConnection: close\r\n\r\n"
                          "414 URI Too Long: request line too long\n"));
    assert_growth_below(&f, 64 * KB, "http server 10 MB line");
    http_server_free(g.e);
}

/* Huge headers: 10 MB of header fields. 431 and close. */
static void test_http_server_huge_headers(void **state)
{
    (void)state;
    struct eng g = http_server_eng();
    struct flood f = {0};
    feed(&g, &f, "GET / HTTP/1.1\r\nHost: a\r\n", "X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n", 37,
         10u * MB, 1);
    assert_true(hs_fin(g.e));
    assert_true(tail_ends(&f, "431 Request Header Fields Too Large: too many header fields\n"));
    assert_true(f.consumed < 4096); /* stopped reading at the 65th field */
    assert_growth_below(&f, 128 * KB, "http server huge headers");
    http_server_free(g.e);
}

/* X5: 100,000 pipelined requests, responses never read. */
static void test_http_server_request_flood(void **state)
{
    (void)state;
    struct eng g = http_server_eng();
    struct flood f = {0};
    static const char req[] = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
    feed(&g, &f, NULL, req, sizeof req - 1, 100000u * (sizeof req - 1), 0);
    assert_true(f.consumed < 100000u * (sizeof req - 1));
    assert_growth_below(&f, 256 * KB, "http server request flood");
    http_server_free(g.e);
}

/* ---- HTTP client ----------------------------------------------------------------- */

static size_t hc_recv(void *e, const char *in, size_t n)
{
    return http_client_recv(e, in, n);
}
static size_t hc_out(void *e, const char **o)
{
    return http_client_out(e, o);
}
static void hc_done(void *e, size_t n)
{
    http_client_out_done(e, n);
}
static int hc_fin(void *e)
{
    enum http_client_state st = http_client_state(e);
    return st == HTTP_C_CLOSED || st == HTTP_C_FAILED;
}
static void hc_events(void *e)
{
    struct http_client_event ev;
    while (http_client_event(e, &ev)) {
    }
}

/* Endless response header lines. */
static void test_http_client_endless_headers(void **state)
{
    (void)state;
    struct http_client_cfg cfg = {0, NULL};
    struct http_client *c = http_client_new(&cfg);
    assert_true(http_client_request(c, "GET", "a.example", "/", NULL, 0, NULL, 0));
    struct eng g = {c, hc_recv, hc_out, hc_done, hc_events, hc_fin};
    struct flood f = {0};
    feed(&g, &f, "HTTP/1.1 200 OK\r\n", "X-A: bbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\r\n", 37, 10u * MB, 1);
    assert_true(hc_fin(g.e));
    assert_growth_below(&f, 128 * KB, "http client endless headers");
    http_client_free(c);
}

/* ---- IMAP server ----------------------------------------------------------------- */

static size_t is_recv(void *e, const char *in, size_t n)
{
    return imap_server_recv(e, in, n);
}
static size_t is_out(void *e, const char **o)
{
    return imap_server_out(e, o);
}
static void is_done(void *e, size_t n)
{
    imap_server_out_done(e, n);
}
static int is_fin(void *e)
{
    return imap_server_done(e);
}
static void is_events(void *e)
{
    struct imap_event ev;
    while (imap_server_event(e, &ev)) {
        if (ev.kind == IMAP_EV_LOGIN) imap_server_verdict(e, false);
    }
}

static struct eng imap_server_eng(struct mbox_store *st)
{
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    struct eng g = {imap_server_new(&cfg), is_recv, is_out, is_done, is_events, is_fin};
    return g;
}

/* X4/I14: a 10 MB command line. BAD (or BYE) and bounded memory. */
static void test_imap_server_10mb_line(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct eng g = imap_server_eng(st);
    struct flood f = {0};
    feed(&g, &f, "A1 NOOP ", "a", 1, 10u * MB, 1);
    send_after(&g, &f, "\r\nA2 NOOP\r\n");
    assert_true(tail_ends(&f, "* BAD [TOOBIG] Command line too long\r\nA2 OK NOOP completed\r\n"));
    assert_growth_below(&f, 64 * KB, "imap server 10 MB line");
    imap_server_free(g.e);
    mbox_store_free(st);
}

/* I1/I2: a non-synchronising literal of 10 MB before login. */
static void test_imap_server_10mb_literal(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct eng g = imap_server_eng(st);
    struct flood f = {0};
    feed(&g, &f, "A1 LOGIN {10485760+}\r\n", "x", 1, 10u * MB, 1);
    send_after(&g, &f, " pass\r\nA2 NOOP\r\n");
    /* RFC 7888 §5: exactly n octets read and dropped, then BAD; in sync */
    assert_true(tail_ends(&f, "A1 BAD [TOOBIG] Literal too large\r\nA2 OK NOOP completed\r\n"));
    assert_growth_below(&f, 64 * KB, "imap server 10 MB literal");
    imap_server_free(g.e);
    mbox_store_free(st);
}

/* X5: 100,000 pipelined NOOPs, never read. */
static void test_imap_server_reply_flood(void **state)
{
    (void)state;
    struct mbox_store *st = mbox_store_new(1);
    struct eng g = imap_server_eng(st);
    struct flood f = {0};
    feed(&g, &f, NULL, "A NOOP\r\n", 8, 100000u * 8, 0);
    assert_true(f.consumed < 100000u * 8);
    assert_true(f.out_peak <= 64 * KB + 1024);
    assert_growth_below(&f, 256 * KB, "imap server reply flood");
    imap_server_free(g.e);
    mbox_store_free(st);
}

/* ---- IMAP client ----------------------------------------------------------------- */

static size_t ic_recv(void *e, const char *in, size_t n)
{
    return imap_client_recv(e, in, n);
}
static size_t ic_out(void *e, const char **o)
{
    return imap_client_out(e, o);
}
static void ic_done(void *e, size_t n)
{
    imap_client_out_done(e, n);
}
static int ic_fin(void *e)
{
    enum imap_client_state st = imap_client_state(e);
    return st == IMAPC_S_CLOSED || st == IMAPC_S_LOGOUT;
}
static void ic_events(void *e)
{
    struct imap_client_event ev;
    while (imap_client_event(e, &ev)) {
    }
}

/* IC1: an untagged response line of 10 MB. */
static void test_imap_client_10mb_line(void **state)
{
    (void)state;
    struct imap_client_cfg cfg = {0, 0, NULL, 0};
    struct eng g = {imap_client_new(&cfg), ic_recv, ic_out, ic_done, ic_events, ic_fin};
    struct flood f = {0};
    feed(&g, &f, "* OK ready\r\n* ", "a", 1, 10u * MB, 1);
    assert_growth_below(&f, 128 * KB, "imap client 10 MB line");
    imap_client_free(g.e);
}

int main(void)
{
    if (!HAVE_HEAP_STATS)
        fprintf(stderr, "test_bounded: no ASan heap statistics; only behaviour is checked\n");
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smtp_server_10mb_line),
        cmocka_unit_test(test_smtp_server_reply_flood),
        cmocka_unit_test(test_smtp_server_10mb_data_line),
        cmocka_unit_test(test_smtp_client_endless_continuation),
        cmocka_unit_test(test_smtp_client_10mb_line),
        cmocka_unit_test(test_pop3_server_10mb_line),
        cmocka_unit_test(test_pop3_server_reply_flood),
        cmocka_unit_test(test_pop3_client_10mb_line),
        cmocka_unit_test(test_http_server_10mb_line),
        cmocka_unit_test(test_http_server_huge_headers),
        cmocka_unit_test(test_http_server_request_flood),
        cmocka_unit_test(test_http_client_endless_headers),
        cmocka_unit_test(test_imap_server_10mb_line),
        cmocka_unit_test(test_imap_server_10mb_literal),
        cmocka_unit_test(test_imap_server_reply_flood),
        cmocka_unit_test(test_imap_client_10mb_line),
    };
    return cmocka_run_group_tests_name("bounded", tests, NULL, NULL);
}
