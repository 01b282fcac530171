/* test_colors.c -- every theme's text on every background it is drawn on
 * reaches WCAG AA contrast (4.5:1, WCAG 2.1 §1.4.3, relative luminance as
 * WCAG defines it): the projector's back row reads what the front row
 * reads. Also the ink of each protocol on its label colour, and the black
 * on the "lost" vermilion. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>

#include "ui/ui_int.h"

static double lin(unsigned c)
{
    double s = c / 255.0;
    return s <= 0.04045 ? s / 12.92 : pow((s + 0.055) / 1.055, 2.4);
}

static double lum(uint32_t rgba)
{
    return 0.2126 * lin(rgba >> 24 & 0xff) + 0.7152 * lin(rgba >> 16 & 0xff) +
           0.0722 * lin(rgba >> 8 & 0xff);
}

static double contrast(uint32_t a, uint32_t b)
{
    double x = lum(a), y = lum(b);
    return x > y ? (x + 0.05) / (y + 0.05) : (y + 0.05) / (x + 0.05);
}

static int check(const char *theme, const char *fg, uint32_t a, const char *bg, uint32_t b)
{
    double c = contrast(a, b);
    if (c >= 4.5) return 0;
    print_error("%s: %s %08x on %s %08x is %.2f:1, under 4.5:1\n", theme, fg, a, bg, b, c);
    return 1;
}

static void test_every_theme_pair(void **state)
{
    (void)state;
    int bad = 0;
    for (int t = 0; t < UI_THEME_COUNT; t++) {
        const struct ui_colors *c = ui_themes[t];
        const char *n = ui_theme_names[t];
        const struct {
            const char *name;
            uint32_t v;
        } fg[] = {{"text", c->text}, {"dim", c->dim}, {"client", c->client}, {"server", c->server}},
          bg[] = {{"bg", c->bg}, {"panel", c->panel}, {"panel2", c->panel2}};
        for (size_t i = 0; i < MS_ARRAY_LEN(fg); i++)
            for (size_t j = 0; j < MS_ARRAY_LEN(bg); j++)
                bad += check(n, fg[i].name, fg[i].v, bg[j].name, bg[j].v);
        bad += check(n, "hi_text", c->hi_text, "hi_bg", c->hi_bg);
        bad += check(n, "lost ink", 0x000000ffu, "lost", UI_LOST);
    }
    for (int p = 0; p < UI_P_COUNT; p++)
        bad +=
            check("protocols", ui_proto_names[p], ui_proto_ink[p], "its label", ui_proto_fill[p]);
    assert_int_equal(bad, 0);
}

/* The test can fail: a pair known to be too faint is caught. */
static void test_contrast_catches_a_faint_pair(void **state)
{
    (void)state;
    assert_true(contrast(0xa35f00ffu, 0xe9e9e4ffu) < 4.5); /* the old light theme's orange */
    assert_true(contrast(0x000000ffu, 0xffffffffu) > 20.9);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_contrast_catches_a_faint_pair),
        cmocka_unit_test(test_every_theme_pair),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
