/* box_check.h -- the geometry the window's layout tests share: do two drawn
 * boxes meet, is a box drawn at all, is it cut by its clip. Boxes are the
 * ones --layout-json writes (struct ui_box). */
#ifndef MAILSIM_TESTS_UI_BOX_CHECK_H
#define MAILSIM_TESTS_UI_BOX_CHECK_H

#include <math.h>
#include <stdbool.h>

#include "ui/ui_int.h"

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
