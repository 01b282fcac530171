/* fuzz_http_client.c -- the HTTP/1.1 client (browser) fed arbitrary server
 * output after three requests (GET, HEAD, POST). Byte 0 picks a chunk size.
 * Oracles: at most one response per request, bodies within the cap, HEAD
 * responses without a body. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/http_client.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 65536) return 0;
    struct http_client_cfg cfg = {.max_body = 4096, .user_agent = "fuzz"};
    struct http_client *c = http_client_new(&cfg);
    http_client_request(c, "GET", "h", "/a", NULL, 0, NULL, 0);
    http_client_request(c, "HEAD", "h", "/b", NULL, 0, NULL, 0);
    http_client_request(c, "POST", "h", "/c", NULL, 0, "x=1", 3);
    const char *p;
    http_client_out_done(c, http_client_out(c, &p));
    const char *in = (const char *)data + 1;
    size_t len = size - 1, pos = 0, step = (size_t)data[0] % 64 + 1;
    int responses = 0, stuck = 0;
    for (int round = 0; round < 2; round++) {
        while (stuck < 3) {
            size_t chunk = len - pos < step ? len - pos : step;
            size_t k = http_client_recv(c, in + pos, chunk);
            pos += k;
            stuck = k ? 0 : stuck + 1;
            struct http_client_event ev;
            while (http_client_event(c, &ev)) {
                if (ev.kind != HTTP_CEV_RESPONSE) continue;
                responses++;
                if (ev.resp.body_len > 4096) abort();
                if (strcmp(ev.resp.method, "HEAD") == 0 && ev.resp.body_len != 0) abort();
            }
            if (pos == len && k == 0) break;
        }
        http_client_closed(c);
        stuck = 0;
    }
    if (responses > 3) abort();
    http_client_free(c);
    return 0;
}
