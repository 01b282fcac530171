/* fuzz_pop3_server.c -- whole POP3 server sessions from arbitrary client bytes.
 * Byte 0 picks a chunk size; the rest is the client's stream. Oracles (beyond
 * ASan/UBSan): the same stream cut two ways gives the same output and the
 * same deletions (bad-inputs X1); the maildrop changes only by one UPDATE
 * event that follows QUIT from TRANSACTION (RFC 1939 §6); output stays
 * bounded per out() call. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_server.h"

static const struct pop3_msg fz_msgs[] = {
    {"uid-1", "Subject: a\r\n\r\n.hello\r\n..\r\n", 27},
    {"uid-2", "Subject: b\r\n\r\nno final crlf", 27},
    {"uid-3", "", 0},
};

struct fz_run {
    char out[1 << 16];
    size_t out_len;
    char deleted[256];
    int updates;
};

static void fz_pump(struct pop3_server *s, struct fz_run *r)
{
    for (int guard = 0; guard < 100000; guard++) {
        int busy = 0;
        struct pop3_server_event ev;
        while (pop3_server_event(s, &ev)) {
            busy = 1;
            if (ev.kind == POP3_EV_AUTH) {
                char d[33];
                pop3_apop_digest(ev.timestamp ? ev.timestamp : "", "tanstaaf", d);
                int good = strcmp(ev.user, "mrose") == 0 &&
                           strcmp(ev.secret, ev.method == POP3_AUTH_APOP ? d : "tanstaaf") == 0;
                if (good)
                    pop3_server_auth_ok(s, fz_msgs, 3);
                else
                    pop3_server_auth_fail(s, POP3_AUTH_BAD);
            } else if (ev.kind == POP3_EV_UPDATE) {
                if (ev.from != POP3_S_TRANSACTION || ev.to != POP3_S_UPDATE || r->updates > 0)
                    abort();
                r->updates++;
                for (size_t i = 0; i < ev.n_uids; i++) {
                    size_t l = strlen(r->deleted);
                    if (l + 8 < sizeof r->deleted) {
                        memcpy(r->deleted + l, ev.uids[i], strlen(ev.uids[i]) + 1);
                    }
                }
                pop3_server_update_done(s, 1);
            }
        }
        const char *p;
        size_t n;
        while ((n = pop3_server_out(s, &p)) > 0) {
            if (n > 8192) abort();
            if (r->out_len + n <= sizeof r->out) {
                memcpy(r->out + r->out_len, p, n);
                r->out_len += n;
            }
            pop3_server_out_done(s, n);
            busy = 1;
        }
        if (!busy) return;
    }
}

static void fz_run(const char *in, size_t len, size_t step, struct fz_run *r)
{
    memset(r, 0, sizeof *r);
    struct pop3_server_cfg cfg = {.hostname = "dewey", .timestamp = "<1.2@fuzz>"};
    struct pop3_server *s = pop3_server_new(&cfg);
    size_t pos = 0;
    int stuck = 0;
    fz_pump(s, r);
    while (pos < len && stuck < 3) {
        size_t chunk = len - pos < step ? len - pos : step;
        size_t k = pop3_server_recv(s, in + pos, chunk);
        pos += k;
        stuck = k ? 0 : stuck + 1;
        fz_pump(s, r);
    }
    pop3_server_closed(s);
    fz_pump(s, r);
    pop3_server_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 4096) return 0;
    size_t step = (size_t)data[0] % 64 + 1;
    static struct fz_run a, b;
    fz_run((const char *)data + 1, size - 1, step, &a);
    fz_run((const char *)data + 1, size - 1, size, &b);
    if (a.out_len != b.out_len || memcmp(a.out, b.out, a.out_len) != 0) abort();
    if (strcmp(a.deleted, b.deleted) != 0 || a.updates != b.updates) abort();
    return 0;
}
