/* fuzz_pop3_client.c -- the POP3 client fed arbitrary server output (bad-inputs
 * PC1). Byte 0 picks the mode and APOP; the rest is the server's stream.
 * Oracles: no DELE or QUIT is sent after a protocol error; retrieved messages
 * stay within the size cap; every byte sent is a printable command line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/pop3_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    static const char *const known[] = {"uid-1", "x"};
    struct pop3_client_cfg cfg = {.user = "mrose",
                                  .pass = "tanstaaf",
                                  .apop = data[0] & 1,
                                  .mode = (data[0] & 2) ? POP3_MODE_DELETE : POP3_MODE_KEEP,
                                  .known_uids = known,
                                  .n_known = 2,
                                  .max_msg_bytes = 4096};
    struct pop3_client *c = pop3_client_new(&cfg);
    const char *in = (const char *)data + 1;
    size_t len = size - 1, pos = 0, step = (size_t)(data[0] >> 2) + 1;
    int failed = 0, stuck = 0;
    while (stuck < 3) {
        size_t chunk = len - pos < step ? len - pos : step;
        size_t k = pop3_client_recv(c, in + pos, chunk);
        pos += k;
        stuck = k ? 0 : stuck + 1;
        struct pop3_client_event ev;
        while (pop3_client_event(c, &ev)) {
            if (ev.kind == POP3_CEV_MESSAGE && ev.len > 4096) abort();
            if (ev.kind == POP3_CEV_ERROR && pop3_client_state(c) == POP3_C_FAILED) failed = 1;
        }
        const char *p;
        size_t n = pop3_client_out(c, &p);
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            if (ch != '\r' && ch != '\n' && (ch < 0x20 || ch > 0x7e)) abort();
        }
        if (failed && n > 0) abort(); /* nothing may follow a protocol error */
        pop3_client_out_done(c, n);
        if (pos == len && k == 0) break;
    }
    pop3_client_closed(c);
    struct pop3_client_event ev;
    while (pop3_client_event(c, &ev)) {
    }
    pop3_client_free(c);
    return 0;
}
