/* line_sess.c -- the session layer's cold paths (see line_sess.h). */
#include "proto/line_sess.h"

#include "core/common.h"

#include <stdio.h>
#include <stdlib.h>

void line_sess_init(struct line_sess *ss, const struct line_sess_cfg *cfg)
{
    memset(ss, 0, sizeof *ss);
    line_init(&ss->rd, cfg->line_max);
    line_set_lf_ends(&ss->rd, cfg->lf_ends);
    line_log_init(&ss->log, cfg->state_names, cfg->n_states, cfg->initial);
    line_evq_init(&ss->evq, cfg->ev_size, cfg->ev_cap);
    ss->out_max = cfg->out_max;
    ss->out_cap = cfg->out_init < cfg->out_max ? cfg->out_init : cfg->out_max;
    if (ss->out_cap) ss->out = ms_xmalloc(ss->out_cap);
    ss->line_fresh = true;
}

void line_sess_free(struct line_sess *ss)
{
    line_free(&ss->rd);
    line_log_free(&ss->log);
    line_evq_free(&ss->evq);
    free(ss->out);
    ss->out = NULL;
    ss->out_head = ss->out_tail = ss->out_cap = 0;
}

void line_sess_make_room(struct line_sess *ss, size_t n)
{
    size_t pending = line_sess_pending(ss);
    if (ss->out_head > 0) { /* compact first: sent bytes are dead */
        memmove(ss->out, ss->out + ss->out_head, pending);
        ss->out_head = 0;
        ss->out_tail = pending;
    }
    if (pending + n <= ss->out_cap || ss->out_cap >= ss->out_max) return;
    size_t cap = ss->out_cap ? ss->out_cap : 256;
    while (cap < pending + n && cap < ss->out_max) cap *= 2;
    if (cap > ss->out_max) cap = ss->out_max;
    ss->out = ms_xrealloc(ss->out, cap);
    ss->out_cap = cap;
}

size_t line_sess_vprintf(struct line_sess *ss, const char *fmt, va_list ap)
{
    char tmp[1024];
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap2);
    va_end(ap2);
    if (n < 0) return 0;
    if ((size_t)n < sizeof tmp) return line_sess_write(ss, tmp, (size_t)n);
    char *big = ms_xmalloc((size_t)n + 1);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    size_t w = line_sess_write(ss, big, (size_t)n);
    free(big);
    return w;
}

size_t line_sess_printf(struct line_sess *ss, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    size_t n = line_sess_vprintf(ss, fmt, ap);
    va_end(ap);
    return n;
}

struct line_log *line_sess_log(struct line_sess *ss)
{
    line_log_enable(&ss->log, ss->out ? ss->out + ss->out_head : "", line_sess_pending(ss));
    return &ss->log;
}
