/* line.c -- CRLF line framing with a hard ceiling (see line.h). */
#include "proto/line.h"

#include "core/common.h"

#include <stdlib.h>
#include <string.h>

void line_init(struct line_reader *r, size_t max)
{
    memset(r, 0, sizeof *r);
    r->max = max < 2 ? 2 : max;
    r->buf = ms_xmalloc(r->max);
}

void line_free(struct line_reader *r)
{
    free(r->buf);
    r->buf = NULL;
    r->len = 0;
}

void line_reset(struct line_reader *r)
{
    r->len = 0;
    r->bare_cr = r->bare_lf = r->nuls = 0;
    r->discarding = false;
    r->ready = false;
    r->lf_ended = false;
}

void line_set_max(struct line_reader *r, size_t max)
{
    if (max < 2) max = 2;
    char *nb = ms_xmalloc(max);
    if (r->len <= max) {
        memcpy(nb, r->buf, r->len);
    } else {
        r->len = 0;
        r->discarding = true;
    }
    free(r->buf);
    r->buf = nb;
    r->max = max;
}

void line_set_lf_ends(struct line_reader *r, bool on)
{
    r->lf_ends = on;
}

/* A held CR is "pending": it is a bare CR unless the next byte is LF. */
static bool line_pending_cr(const struct line_reader *r)
{
    return r->len > 0 && r->buf[r->len - 1] == '\r';
}

size_t line_feed(struct line_reader *r, const char *in, size_t len, enum line_status *st)
{
    size_t i = 0;
    if (r->ready) { /* the previous line was taken: start a new one */
        line_reset(r);
    }
    *st = LINE_NONE;
    while (i < len) {
        /* Fast path: ordinary bytes that fit are copied in one run; only
         * CR, LF, NUL and the limit need the byte-by-byte rules below. */
        if (!r->discarding && !line_pending_cr(r) && r->len + 2 < r->max) {
            size_t room = r->max - 2 - r->len, n = 0;
            size_t lim = len - i < room ? len - i : room;
            const char *p = in + i;
            while (n < lim && p[n] != '\r' && p[n] != '\n' && p[n] != '\0') n++;
            memcpy(r->buf + r->len, p, n);
            r->len += n;
            i += n;
            if (i == len) break;
        }
        char c = in[i++];
        if (r->discarding) {
            /* Track CR across calls using len as a one-byte memory. */
            if (c == '\n' && (r->len == 1 || r->lf_ends)) {
                r->discarding = false;
                r->len = 0;
                r->bare_cr = r->bare_lf = r->nuls = 0;
                *st = LINE_TOO_LONG;
                return i;
            }
            r->len = (c == '\r') ? 1 : 0;
            continue;
        }
        if (c == '\n') {
            if (line_pending_cr(r)) { /* CRLF: the line ends */
                r->len--;
                r->ready = true;
                *st = LINE_OK;
                return i;
            }
            r->bare_lf++;
            if (r->lf_ends) { /* a hand-typed line: ends here, still marked bare */
                r->ready = true;
                r->lf_ended = true;
                *st = LINE_OK;
                return i;
            }
        } else if (line_pending_cr(r)) {
            r->bare_cr++; /* the held CR was not followed by LF */
        }
        if (c == '\0') r->nuls++;
        /* The limit counts CRLF: a line of max-2 octets plus CRLF fits. */
        if (r->len + 1 > r->max - (c == '\r' ? 1 : 2)) {
            r->discarding = true;
            r->len = (c == '\r') ? 1 : 0;
            continue;
        }
        r->buf[r->len++] = c;
    }
    return i;
}

const char *line_get(const struct line_reader *r, size_t *len)
{
    if (!r->ready) {
        *len = 0;
        return NULL;
    }
    *len = r->len;
    return r->buf;
}

bool line_has_bare_eol(const struct line_reader *r)
{
    return r->bare_cr > 0 || r->bare_lf > 0;
}

bool line_has_nul(const struct line_reader *r)
{
    return r->nuls > 0;
}

bool line_ended_by_lf(const struct line_reader *r)
{
    return r->ready && r->lf_ended;
}
