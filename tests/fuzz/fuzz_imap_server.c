/* fuzz_imap_server.c -- whole IMAP server sessions (bad-inputs d.1).
 * Input: byte 0 picks a chunk size, the rest is what the client sends.
 * Oracles beyond "no crash, no leak, no UB": the output splits into lines
 * that are untagged ("* "), continuations ("+ ") or tagged replies
 * "<tag> OK|NO|BAD " whose tag began some input line; literals in the output
 * are framed exactly; EXISTS never decreases without EXPUNGE; the same input
 * in two chunkings gives the same output (X1); and afterwards a sentinel
 * "ZZ NOOP" is answered exactly once (hoodiecrow's oracle). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/imap_test_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *fz_run(const char *in, size_t len, size_t chunk, bool sentinel)
{
    struct mbox_store *st = mbox_store_new(1);
    imap_t_fixture_bob(st);
    struct imap_server_cfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.store = st;
    cfg.check_login = imap_t_login;
    cfg.max_literal = 4096;
    cfg.out_high_water = 2048;
    struct imap_server *s = imap_server_new(&cfg);
    struct imap_t_out o = {0};
    imap_t_add(&o, "", 0);
    imap_t_feed(s, in, len, chunk, &o);
    if (sentinel && !imap_server_done(s)) {
        uint64_t pend = imap_server_literal_pending(s);
        if (pend <= 8192) {
            static char pad[8192 + 16];
            memset(pad, 'x', sizeof pad);
            /* finish any literal, then end whatever line is open */
            imap_t_feed(s, pad, (size_t)pend, 4096, &o);
            memcpy(pad + 10, "\r\n", 2);
            imap_t_feed(s, pad, 12, 12, &o);
            size_t before = o.len;
            imap_t_feed(s, "ZZ NOOP\r\n", 9, 9, &o);
            if (!imap_server_done(s)) {
                const char *hit = strstr(o.p + before, "ZZ OK NOOP completed\r\n");
                if (!hit || strstr(hit + 1, "ZZ ")) abort();
            }
        }
    }
    imap_server_free(s);
    mbox_store_free(st);
    return o.p;
}

/* How many input lines start with tag[0..n)? A line ends at CRLF or, as
 * the server frames a hand-typed line, at a bare LF. */
static size_t fz_tag_in_input(const char *in, size_t len, const char *tag, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i + n <= len; i++) {
        if (i > 0 && in[i - 1] != '\n') continue;
        if (memcmp(in + i, tag, n) == 0 &&
            (i + n == len || in[i + n] == ' ' || in[i + n] == '\r' || in[i + n] == '\n'))
            k++;
    }
    return k;
}

static void fz_check_grammar(const char *in, size_t len, const char *out)
{
    size_t n = strlen(out), i = 0;
    unsigned long exists = 0;
    bool cont = false;       /* the line goes on after a literal */
    bool block_start = true; /* the first line after a tagged reply */
    static const char *tags[4096];
    static size_t tag_len[4096];
    size_t ntags = 0;
    while (i < n) {
        const char *e = strstr(out + i, "\r\n");
        if (!e) abort(); /* every response ends with CRLF */
        size_t ll = (size_t)(e - (out + i));
        const char *l = out + i;
        if (block_start && !cont) {
            /* SELECT and EXAMINE open another mailbox: its EXISTS may be
             * lower than the last one's (RFC 3501 §6.3.1). Within one
             * selection it never decreases. A selection's responses carry
             * [UIDVALIDITY] before the command's tagged reply. */
            for (const char *q = out + i; *q;) {
                if (strncmp(q, "* OK [UIDVALIDITY ", 18) == 0) {
                    exists = 0;
                    break;
                }
                if (!((q[0] == '*' || q[0] == '+') && q[1] == ' ')) break; /* tagged */
                const char *nl = strstr(q, "\r\n");
                if (!nl) break;
                q = nl + 2;
            }
        }
        block_start = false;
        if (cont) {
            /* rest of a response after a literal: nothing to check here */
        } else if (ll >= 2 && l[0] == '*' && l[1] == ' ') {
            unsigned long v;
            char word[16];
            if (sscanf(l, "* %lu %15s", &v, word) == 2) {
                if (strcmp(word, "EXISTS") == 0) {
                    if (v < exists) abort(); /* EXISTS never decreases */
                    exists = v;
                } else if (strcmp(word, "EXPUNGE") == 0) {
                    if (v == 0 || v > exists) abort();
                    exists--;
                }
            }
        } else if (!(ll >= 2 && l[0] == '+' && l[1] == ' ')) {
            const char *sp = memchr(l, ' ', ll);
            if (!sp) abort();
            size_t tl = (size_t)(sp - l);
            if (!(strncmp(sp, " OK ", 4) == 0 || strncmp(sp, " NO ", 4) == 0 ||
                  strncmp(sp, " BAD ", 5) == 0))
                abort();
            if (!(tl == 1 && l[0] == '*')) {
                block_start = true;
                /* each tag is answered at most as often as it was sent */
                size_t seen = 1;
                for (size_t k = 0; k < ntags; k++)
                    seen += tag_len[k] == tl && memcmp(tags[k], l, tl) == 0;
                if (seen > fz_tag_in_input(in, len, l, tl)) abort();
                if (ntags < 4096) {
                    tags[ntags] = l;
                    tag_len[ntags++] = tl;
                }
            }
        }
        i += ll + 2;
        cont = false;
        /* a literal in the output: skip exactly its octets */
        if (ll >= 3 && l[ll - 1] == '}') {
            const char *b = l + ll - 1;
            while (b > l && b[-1] >= '0' && b[-1] <= '9') b--;
            if (b > l && b[-1] == '{') {
                size_t lit = (size_t)strtoul(b, NULL, 10);
                if (i + lit > n) abort();
                i += lit;
                cont = true;
            }
        }
    }
    if (cont) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 16384) return 0;
    size_t chunk = 1 + data[0] % 17;
    const char *in = (const char *)data + 1;
    size_t len = size - 1;
    char *a = fz_run(in, len, len ? len : 1, false);
    char *b = fz_run(in, len, chunk, false);
    if (strcmp(a, b) != 0) abort(); /* X1 */
    fz_check_grammar(in, len, a);
    free(a);
    free(b);
    free(fz_run(in, len, chunk, true));
    return 0;
}
