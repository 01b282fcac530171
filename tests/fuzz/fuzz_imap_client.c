/* fuzz_imap_client.c -- the IMAP client engine fed server output (IC1).
 * Byte 0 picks a chunk size. Oracles: no crash, leak or UB; literal sizes
 * are honoured (events carry exactly the declared octets); the same bytes in
 * two chunkings give the same events (X1). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_out {
    char *p;
    size_t len, cap;
};

static void fz_add(struct fz_out *o, const char *p, size_t n)
{
    if (o->len + n + 1 > o->cap) {
        o->cap = (o->len + n + 1) * 2;
        o->p = realloc(o->p, o->cap);
    }
    memcpy(o->p + o->len, p, n);
    o->len += n;
    o->p[o->len] = '\0';
}

static struct fz_out fz_run(const char *in, size_t len, size_t chunk)
{
    struct imap_client_cfg cfg = {4096, 65536, NULL, 0};
    struct imap_client *c = imap_client_new(&cfg);
    struct fz_out o = {0};
    imap_client_login(c, "bob", "se\"cret");
    imap_client_select(c, "INBOX");
    imap_client_search(c, "FROM", "x");
    imap_client_fetch_header(c, 1);
    imap_client_fetch_part(c, 1, "2");
    imap_client_logout(c);
    for (size_t pos = 0; pos < len;) {
        size_t k = len - pos < chunk ? len - pos : chunk;
        size_t used = imap_client_recv(c, in + pos, k);
        if (!used) break;
        pos += used;
        const char *p;
        imap_client_out_done(c, imap_client_out(c, &p));
        struct imap_client_event ev;
        while (imap_client_event(c, &ev)) {
            char line[600];
            int n = snprintf(line, sizeof line, "%d %s %s %u %zu|", (int)ev.kind, ev.name,
                             ev.result, (unsigned)ev.number, ev.data_len);
            fz_add(&o, line, (size_t)n);
            if (ev.data_len && !ev.data) abort();
            if (ev.data) fz_add(&o, ev.data, ev.data_len);
        }
    }
    imap_client_free(c);
    if (!o.p) fz_add(&o, "", 0);
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    size_t chunk = 1 + data[0] % 13;
    struct fz_out a = fz_run((const char *)data + 1, size - 1, size);
    struct fz_out b = fz_run((const char *)data + 1, size - 1, chunk);
    if (a.len != b.len || memcmp(a.p, b.p, a.len) != 0) abort();
    free(a.p);
    free(b.p);
    return 0;
}
