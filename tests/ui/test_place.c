/* test_place.c -- automatic host positions (ui_place.c): every shipped
 * lesson and random scenarios of 2 to 12 hosts get places where no two
 * hosts share a cell or stand side by side, no device stands on its own
 * server, senders' servers stand left of recipients', neither half of the
 * panel stands empty while the other holds two servers or two devices, and
 * everything stays inside the panel. The window's layout check (labels, links) runs on the
 * rendered frames; these are the placement's own promises. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <glob.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"
#include "ui/ui_place.h"

static bool place_is_device(enum scn_host_kind k)
{
    return k == SCN_HOST_PC || k == SCN_HOST_LAPTOP || k == SCN_HOST_PHONE || k == SCN_HOST_BROWSER;
}

/* Check s's automatic places; name says which scenario in a failure. */
static void place_check(const struct scn_scenario *s, const char *name)
{
    size_t n = s->n_hosts;
    double *x = calloc(n + 1, sizeof *x), *y = calloc(n + 1, sizeof *y);
    int *side = calloc(n + 1, sizeof *side);
    assert_non_null(x);
    assert_non_null(y);
    assert_non_null(side);
    ui_place_hosts(s, x, y);
    ui_place_sides(s, side);
    for (size_t i = 0; i < n; i++) {
        if (!(x[i] >= 0.04 && x[i] <= 0.96 && y[i] >= 0.04 && y[i] <= 0.96))
            fail_msg("%s: %s at (%.2f, %.2f) is outside the panel", name, s->hosts[i].name, x[i],
                     y[i]);
        for (size_t j = i + 1; j < n; j++) {
            double dx = fabs(x[i] - x[j]), dy = fabs(y[i] - y[j]);
            /* A host takes its icon and two label lines: about a quarter
             * of the panel's height, and its name's width (DejaVu Sans
             * Bold at the panel's size: under 0.016 of the width a
             * character, measured on 1920x1080 frames). Two hosts in one
             * row must clear each other's labels; in one column, each
             * other's icon and label. */
            double wi = 0.016 * (double)strlen(s->hosts[i].name),
                   wj = 0.016 * (double)strlen(s->hosts[j].name);
            bool apart = dy >= 0.25 || dx > (wi + wj) / 2 + 0.02;
            if (n > 10) apart = dx > 0.1 || dy > 0.1; /* a crowded grid: distinct cells */
            if (!apart)
                fail_msg("%s: %s (%.2f, %.2f) and %s (%.2f, %.2f) stand too close", name,
                         s->hosts[i].name, x[i], y[i], s->hosts[j].name, x[j], y[j]);
        }
        const struct scn_host *h = &s->hosts[i];
        if (place_is_device(h->kind) && h->owner_server < n) {
            size_t o = h->owner_server;
            if (fabs(x[i] - x[o]) < 0.1 && fabs(y[i] - y[o]) < 0.2)
                fail_msg("%s: device %s stands on its server %s", name, h->name, s->hosts[o].name);
        }
    }
    /* Neither half of the panel stands empty while the other is crowded:
     * two mail servers or more stand on both sides, and so do two devices
     * or more (their names and mailbox cards need the room). */
    size_t servers[2] = {0, 0}, devices[2] = {0, 0};
    for (size_t i = 0; i < n; i++) {
        if (x[i] == 0.5) continue;
        int half = x[i] > 0.5;
        servers[half] += s->hosts[i].kind == SCN_HOST_MAIL_SERVER;
        devices[half] += place_is_device(s->hosts[i].kind);
    }
    if (servers[0] + servers[1] >= 2 && (servers[0] == 0 || servers[1] == 0))
        fail_msg("%s: all %zu mail servers stand on one side", name, servers[0] + servers[1]);
    if (devices[0] + devices[1] >= 2 && servers[0] + devices[0] == 0)
        fail_msg("%s: the left half is empty while the right holds %zu devices", name, devices[1]);
    if (devices[0] + devices[1] >= 2 && servers[1] + devices[1] == 0)
        fail_msg("%s: the right half is empty while the left holds %zu devices", name, devices[0]);
    /* A message's sending server stands left of (or level with) the
     * servers of its recipients' domains whenever they sit on two sides. */
    for (size_t a = 0; a < s->n_timeline; a++) {
        const struct scn_action *act = &s->timeline[a];
        if (act->kind != SCN_ACT_SEND || act->u.send.from_server >= n) continue;
        size_t f = act->u.send.from_server;
        if (side[f] > 0) continue; /* a server that mostly receives */
        for (size_t r = 0; r < act->u.send.msg.n_to; r++) {
            const char *at = strrchr(act->u.send.msg.to[r], '@');
            size_t t = at ? scn_find_domain(s, at + 1) : SCN_NONE;
            if (t < n && t != f && side[t] > 0 && !(x[f] < x[t]))
                fail_msg("%s: sender's server %s stands right of %s", name, s->hosts[f].name,
                         s->hosts[t].name);
        }
    }
    free(x);
    free(y);
    free(side);
}

static void test_lessons(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("scenarios/*.json", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 15);
    for (size_t i = 0; i < g.gl_pathc; i++) {
        struct scn_error err;
        struct scn_scenario *s = scn_load_file(g.gl_pathv[i], NULL, &err);
        if (!s) fail_msg("%s", err.text);
        place_check(s, g.gl_pathv[i]);
        scn_free(s);
    }
    globfree(&g);
}

static void test_generated(void **state)
{
    (void)state;
    size_t seen[13] = {0};
    for (uint64_t seed = 1; seed <= 400; seed++) {
        struct scn_gen_opts o = scn_gen_opts_default();
        o.domains = 1 + (unsigned)(seed % 3);
        o.users = 1 + (unsigned)(seed / 3 % 3);
        struct scn_scenario *s = scn_generate(seed, &o);
        assert_non_null(s);
        if (s->n_hosts >= 2 && s->n_hosts <= 12) {
            char name[64];
            snprintf(name, sizeof name, "generated seed %llu (%zu hosts)", (unsigned long long)seed,
                     s->n_hosts);
            place_check(s, name);
            seen[s->n_hosts]++;
        }
        scn_free(s);
    }
    /* The seeds cover small and large scenarios alike. */
    size_t sizes = 0;
    for (int k = 2; k <= 12; k++) sizes += seen[k] > 0;
    if (sizes < 5) fail_msg("the generated scenarios cover only %zu sizes of 2..12 hosts", sizes);
}

/* Same scenario, same places. */
static void test_deterministic(void **state)
{
    (void)state;
    struct scn_scenario *s = scn_generate(7, NULL);
    double x1[64], y1[64], x2[64], y2[64];
    assert_true(s->n_hosts <= 64);
    ui_place_hosts(s, x1, y1);
    ui_place_hosts(s, x2, y2);
    assert_memory_equal(x1, x2, s->n_hosts * sizeof *x1);
    assert_memory_equal(y1, y2, s->n_hosts * sizeof *y1);
    scn_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lessons),
        cmocka_unit_test(test_generated),
        cmocka_unit_test(test_deterministic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
