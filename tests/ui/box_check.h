/* box_check.h -- what the window's layout tests share: the list of problems
 * they report (the first 30 kept for the failure message, every one on
 * stderr with MAILSIM_LAYOUT_ALL set), and the geometry: do two drawn boxes
 * meet, is a box drawn at all, is it cut by its clip. Boxes are the ones
 * --layout-json writes (struct ui_box). Each test program includes it once. */
#ifndef MAILSIM_TESTS_UI_BOX_CHECK_H
#define MAILSIM_TESTS_UI_BOX_CHECK_H

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

static char problems[8192];
static size_t n_problems;

static void problem(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void problem(const char *fmt, ...)
{
    n_problems++;
    if (getenv("MAILSIM_LAYOUT_ALL")) { /* every problem, for working on the layout */
        va_list aq;
        va_start(aq, fmt);
        vfprintf(stderr, fmt, aq);
        va_end(aq);
        fputc('\n', stderr);
    }
    size_t o = strlen(problems);
    if (n_problems > 30 || o + 400 > sizeof problems) return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(problems + o, sizeof problems - o, fmt, ap);
    va_end(ap);
    o = strlen(problems);
    snprintf(problems + o, sizeof problems - o, "\n");
}

/* Shared area of two boxes, each shrunk by a pixel (touching is fine). */
static inline bool boxes_meet(const struct ui_box *a, const struct ui_box *b)
{
    float w = fminf(a->x + a->w, b->x + b->w) - fmaxf(a->x, b->x);
    float h = fminf(a->y + a->h, b->y + b->h) - fmaxf(a->y, b->y);
    return w > 1.5f && h > 1.5f;
}

/* Is the box at least partly inside its clip? (Wholly outside: not drawn.) */
static inline bool visible(const struct ui_box *b)
{
    return b->x < (float)(b->clip_x + b->clip_w) && b->x + b->w > (float)b->clip_x &&
           b->y < (float)(b->clip_y + b->clip_h) && b->y + b->h > (float)b->clip_y;
}

/* Does the box run past its clip by more than a pixel? */
static inline bool cut(const struct ui_box *b)
{
    return b->x < (float)b->clip_x - 1 || b->x + b->w > (float)(b->clip_x + b->clip_w) + 1 ||
           b->y < (float)b->clip_y - 1 || b->y + b->h > (float)(b->clip_y + b->clip_h) + 1;
}

#endif
