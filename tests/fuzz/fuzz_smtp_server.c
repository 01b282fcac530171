/* fuzz_smtp_server.c -- whole SMTP server sessions (bad-inputs d.1).
 * Byte 0 picks options, byte 1 seeds the chunking, the rest is the client's
 * byte stream. Oracles beyond "no crash, no leak, no UB":
 *  - every reply line is "ddd" then SP or "-", ends with CRLF, is at most
 *    512 octets, and the lines of one reply share one code;
 *  - the 250s after DATA are exactly the messages the caller accepted;
 *  - no message reaches the caller with a bare CR, bare LF or NUL, or with
 *    8-bit octets without BODY=8BITMIME (the smuggling class);
 *  - with unauthorised-pipelining checks off, the replies and events are
 *    byte-identical for the whole input at once and for small chunks (X1). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/smtp_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_run {
    struct tbuf out, log;
    size_t accepted_msgs, queued_replies;
};

static void fz_check_message(const struct smtp_event *ev)
{
    const char *m = ev->arg;
    for (size_t i = 0; i < ev->arg_len; i++) {
        unsigned char c = (unsigned char)m[i];
        if (c == '\0') abort();
        if (c == '\r' && (i + 1 >= ev->arg_len || m[i + 1] != '\n')) abort();
        if (c == '\n' && (i == 0 || m[i - 1] != '\r')) abort();
        if ((c & 0x80) && !ev->eightbit) abort();
    }
}

static void fz_drain(struct smtp_server *s, struct fz_run *r)
{
    for (;;) {
        int any = 0;
        struct smtp_event ev;
        while (smtp_server_event(s, &ev)) {
            any = 1;
            tu_log_server_event(&r->log, &ev);
            if (ev.kind == SMTP_EV_MESSAGE) {
                fz_check_message(&ev);
                int refused = 0;
                for (size_t i = 0; i < ev.arg_len; i++) {
                    if (ev.arg_len - i >= 9 && memcmp(ev.arg + i, "REJECT-ME", 9) == 0) refused = 1;
                    if (ev.arg_len - i >= 7 && memcmp(ev.arg + i, "LOOP-ME", 7) == 0) refused = 1;
                }
                if (!refused) r->accepted_msgs++;
                tu_server_policy(s, &ev);
                continue;
            }
            if (ev.kind == SMTP_EV_REPLY && ev.before == SMTP_SS_DATA && ev.code == 250)
                r->queued_replies++;
            tu_server_policy(s, &ev);
        }
        const char *o;
        size_t n = smtp_server_out(s, &o);
        if (n) {
            tbuf_add(&r->out, o, n);
            smtp_server_out_done(s, n);
            any = 1;
        }
        if (!any) break;
    }
}

static void fz_session(const struct smtp_server_cfg *cfg, const uint8_t *in, size_t len,
                       uint32_t seed, struct fz_run *r)
{
    memset(r, 0, sizeof *r);
    struct smtp_server *s = smtp_server_new(cfg);
    fz_drain(s, r);
    size_t pos = 0;
    int stuck = 0;
    while (pos < len && stuck < 3) {
        size_t k = len - pos;
        if (seed) {
            seed = seed * 1103515245u + 12345u;
            size_t c = 1 + (seed >> 16) % 16;
            if (c < k) k = c;
        }
        size_t n = smtp_server_recv(s, (const char *)in + pos, k);
        pos += n;
        size_t before = r->out.len + r->log.len;
        fz_drain(s, r);
        stuck = (n == 0 && r->out.len + r->log.len == before) ? stuck + 1 : 0;
    }
    if (stuck) abort(); /* the engine must never block with nothing to do */
    smtp_server_timeout(s);
    fz_drain(s, r);
    smtp_server_free(s);
}

static void fz_check_replies(const struct tbuf *out)
{
    size_t i = 0;
    int open_code = -1;
    while (i < out->len) {
        const char *l = out->p + i;
        const char *crlf = NULL;
        for (size_t j = i; j + 1 < out->len; j++) {
            if (out->p[j] == '\r' && out->p[j + 1] == '\n') {
                crlf = out->p + j;
                break;
            }
        }
        if (!crlf) abort();
        size_t n = (size_t)(crlf - l);
        if (n + 2 > 512 || n < 3) abort();
        for (int d = 0; d < 3; d++) {
            if (l[d] < '0' || l[d] > '9') abort();
        }
        int code = (l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0');
        if (n > 3 && l[3] != ' ' && l[3] != '-') abort();
        if (open_code >= 0 && code != open_code) abort();
        for (size_t j = 0; j < n; j++) {
            unsigned char c = (unsigned char)l[j];
            if (c < 32 || c > 126) abort();
        }
        open_code = (n > 3 && l[3] == '-') ? code : -1;
        i += n + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2) return 0;
    uint8_t opt = data[0];
    uint32_t seed = data[1] | 1u;
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.forbid_unauth_pipelining = (opt & 1) != 0;
    if (opt & 2) cfg.ext |= SMTP_EXT_AUTH;
    if (opt & 4) cfg.refuse = true;
    if (opt & 8) cfg.max_message_bytes = 64;
    if (opt & 16) cfg.max_recipients = 2;
    if (opt & 32) cfg.ext &= ~(unsigned)(SMTP_EXT_PIPELINING | SMTP_EXT_ENHANCEDSTATUSCODES);
    if (opt & 64) cfg.auth_required = true;
    if (opt & 128) cfg.out_max = 2048;
    struct fz_run a, b;
    fz_session(&cfg, data + 2, size - 2, 0, &a);
    fz_check_replies(&a.out);
    if (a.accepted_msgs != a.queued_replies)
        abort(); /* 250 after DATA only when the caller accepted */
    if (!cfg.forbid_unauth_pipelining) {
        fz_session(&cfg, data + 2, size - 2, seed, &b);
        if (a.out.len != b.out.len || memcmp(a.out.p, b.out.p, a.out.len) != 0) abort();
        if (a.log.len != b.log.len || memcmp(a.log.p, b.log.p, a.log.len) != 0) abort();
        tbuf_free(&b.out);
        tbuf_free(&b.log);
    }
    tbuf_free(&a.out);
    tbuf_free(&a.log);
    return 0;
}
