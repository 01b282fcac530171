/* fuzz_smtp_client.c -- the SMTP client engine fed server replies
 * (bad-inputs d.1, OpenSMTPD CVE-2020-8794, curl CVE-2019-3823). Byte 0 picks
 * options, the rest is the server's byte stream, delivered in chunks.
 * Oracles: message data is sent only right after a 354 (C3); every
 * recipient of every transaction gets exactly one outcome, each transaction
 * one TXN_DONE and the session one SESSION_DONE, after the connection is
 * closed at the end (nothing is ever dropped); UNKNOWN only after the data
 * went out. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../proto/smtp_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_r1[] = {"bob@b.example", "carol@b.example", "dave@b.example"};
static const char *const fz_r2[] = {"erin@c.example"};
static const char fz_body[] = "Subject: x\r\n\r\n.dot\r\nJ\xc3\xb6rg\r\n";

struct fz_state {
    size_t outcomes[2], txn_done[2], session_done, data_sent[2];
    int last_code;
};

static void fz_drain(struct smtp_client *c, struct fz_state *st)
{
    for (;;) {
        int any = 0;
        struct smtp_cevent e;
        while (smtp_client_event(c, &e)) {
            any = 1;
            size_t t = e.txn_seq < 2 ? (size_t)e.txn_seq : 1;
            switch (e.kind) {
            case SMTP_CEV_REPLY:
                st->last_code = e.code;
                break;
            case SMTP_CEV_DATA_SENT:
                if (st->last_code != 354) abort(); /* C3 */
                st->data_sent[t]++;
                break;
            case SMTP_CEV_RCPT_OUTCOME:
                st->outcomes[t]++;
                if (e.outcome == SMTP_OUT_UNKNOWN && !st->data_sent[t]) abort();
                break;
            case SMTP_CEV_TXN_DONE:
                st->txn_done[t]++;
                break;
            case SMTP_CEV_SESSION_DONE:
                st->session_done++;
                break;
            default:
                break;
            }
        }
        const char *o;
        size_t n = smtp_client_out(c, &o);
        if (n) {
            smtp_client_out_done(c, n);
            any = 1;
        }
        if (!any) break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    uint8_t opt = data[0];
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.no_pipelining = (opt & 1) != 0;
    cfg.start_with_helo = (opt & 2) != 0;
    if (opt & 4) {
        cfg.auth = (opt & 8) ? SMTP_AUTH_LOGIN : SMTP_AUTH_PLAIN;
        cfg.auth_user = "alice";
        cfg.auth_pass = "secret";
    }
    if (opt & 16) cfg.out_max = 2048;
    struct smtp_client *c = smtp_client_new(&cfg);
    struct smtp_client_txn t1 = {"alice@a.example", fz_r1, 3, fz_body, sizeof fz_body - 1, NULL};
    struct smtp_client_txn t2 = {"", fz_r2, 1, "hi\r\n", 4, NULL};
    if (!smtp_client_add(c, &t1, NULL) || !smtp_client_add(c, &t2, NULL)) abort();
    if (opt & 32) smtp_client_quit(c);
    struct fz_state st;
    memset(&st, 0, sizeof st);
    fz_drain(c, &st);
    size_t pos = 1;
    uint32_t seed = opt | 1u;
    while (pos < size) {
        seed = seed * 1103515245u + 12345u;
        size_t k = 1 + (seed >> 16) % 32;
        if (k > size - pos) k = size - pos;
        size_t n = smtp_client_recv(c, (const char *)data + pos, k);
        pos += n;
        fz_drain(c, &st);
        if (n == 0 && !smtp_client_done(c)) {
            struct smtp_cevent e;
            if (!smtp_client_event(c, &e)) abort(); /* blocked with nothing pending */
        }
    }
    if (opt & 64) {
        smtp_client_timeout(c);
    } else {
        smtp_client_closed(c);
    }
    fz_drain(c, &st);
    if (st.session_done != 1) abort();
    if (st.txn_done[0] != 1 || st.txn_done[1] != 1) abort();
    if (st.outcomes[0] != 3 || st.outcomes[1] != 1) abort();
    smtp_client_free(c);
    return 0;
}
