/* test_cards.c -- the mailbox and queue cards drawn beside hosts, in
 * networks nobody positioned by hand.
 *
 * Random but valid scenarios of 2 to 12 hosts (scn_generate with reading
 * on: every device fetches its owner's mail, even users with POP3 keeping
 * it on the server, so a laptop's "Local Inbox" card stands beside its
 * server's INBOX card; with faults on in every other seed, so queues wait
 * for retries) are placed by role (ui_place.c), simulated and drawn at
 * 1920x1080 and 1280x720 at a dozen steps and the last. Every card (a
 * mailbox or queue line and its envelopes) must lie inside the network
 * panel, off every other text and icon; and in networks of a lesson's
 * shape (up to 8 hosts, one or two mail servers) at 1920x1080 every host
 * holding mail or a queue must show its card (not fall back to its name
 * alone for want of room). The test also asserts that the
 * scenarios drew what it is about: laptop inbox cards beside their
 * server's, and queue cards. A failure names the seed, size, step and the
 * two things that meet; MAILSIM_LAYOUT_ALL=1 prints every one. The example
 * lessons of docs/authoring.md get the same checks at every 10th step. */
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

#include "mail/world.h"
#include "scenario/scenario.h"
#include "ui/ui_int.h"
#include "box_check.h"


static bool is_net(const struct ui_box *b)
{
    return b->role && strcmp(b->role, "net") == 0;
}

/* A card's text: a mailbox line ("u0 INBOX: 2", "u2 Local Inbox: 1",
 * "3 folders: 4") or the queue line ("queue: 1, retry in 29m"). */
static bool is_card_text(const struct ui_box *b)
{
    return b->kind == UI_BOX_TEXT && is_net(b) &&
           (strncmp(b->text, "queue: ", 7) == 0 || strstr(b->text, ": ") != NULL);
}

static bool is_card(const struct ui_box *b)
{
    return is_card_text(b) ||
           (b->kind == UI_BOX_ICON && is_net(b) && strcmp(b->text, "envelope") == 0);
}

struct seen {
    size_t frames, cards, local_inbox_beside_server, queues;
};

/* Every host that holds a mailbox or a queue at this step drew a card for
 * it: the window fell back to the host's name alone (leaving the cards to
 * the inspector) only where nothing else fits, and a placement good
 * enough leaves room for them. A host's texts follow its name in the
 * frame's boxes (ui_draw_net.c draws one host's block at a time). */
static size_t n_dropped; /* cards left to the inspector where that is allowed */

static void check_shown(struct ui_gfx *g, const struct ui_model *m, size_t step, const char *name,
                        const char *size, bool strict)
{
    struct ui_state st;
    ui_state_init(m, &st);
    ui_model_state(m, step, &st);
    size_t n;
    const struct ui_box *bx = ui_gfx_boxes(g, &n);
    for (size_t h = 0; h < m->nh; h++) {
        bool has = st.q_len[h] > 0;
        for (size_t i = 0; i < st.n_mb; i++) has |= st.mb[i].host == h;
        if (!has) continue;
        size_t cards = 0;
        bool in = false;
        for (size_t i = 0; i < n; i++) {
            const struct ui_box *b = &bx[i];
            if (b->kind != UI_BOX_TEXT || !is_net(b)) continue;
            bool host_name = false;
            for (size_t o = 0; o < m->nh && !host_name; o++)
                host_name = strcmp(b->text, m->hosts[o].name) == 0;
            if (host_name) {
                in = strcmp(b->text, m->hosts[h].name) == 0;
                continue;
            }
            cards += in && is_card_text(b);
        }
        if (cards == 0 && strict)
            problem("%s %s step %zu: %s holds mail but no card was drawn beside it (no room)", name,
                    size, step, m->hosts[h].name);
        n_dropped += cards == 0;
    }
    ui_state_free(&st);
}

/* One frame: every card inside the panel and off every other box. */
static void check_frame(struct ui_gfx *g, const char *name, const char *size, size_t step,
                        struct seen *sn)
{
    size_t n;
    const struct ui_box *bx = ui_gfx_boxes(g, &n);
    bool local = false, server_inbox = false;
    sn->frames++;
    for (size_t a = 0; a < n; a++) {
        const struct ui_box *A = &bx[a];
        if (!is_card(A) || !visible(A)) continue;
        sn->cards++;
        if (A->kind == UI_BOX_TEXT) {
            local |= strstr(A->text, "Local Inbox: ") != NULL;
            server_inbox |= strstr(A->text, " INBOX: ") != NULL;
            sn->queues += strncmp(A->text, "queue: ", 7) == 0;
        }
        if (cut(A) && !A->ellipsis)
            problem("%s %s step %zu: the card \"%s\" is cut off by the network panel", name, size,
                    step, A->text);
        for (size_t b = 0; b < n; b++) {
            const struct ui_box *B = &bx[b];
            if (b == a || B->kind == UI_BOX_PACKET || !visible(B)) continue;
            if (is_card(B) && b < a) continue;                  /* each pair of cards once */
            if (B->kind == UI_BOX_TEXT && !is_net(B)) continue; /* other panels */
            if (!boxes_meet(A, B)) continue;
            problem("%s %s step %zu: the card \"%s\" meets %s\"%s\"", name, size, step, A->text,
                    B->kind == UI_BOX_TEXT ? "" : "the icon ", B->text);
        }
    }
    sn->local_inbox_beside_server += local && server_inbox;
}

static void test_generated_cards(void **state)
{
    (void)state;
    static const struct {
        int w, h;
        const char *name;
    } sizes[] = {{1920, 1080, "1920x1080"}, {1280, 720, "1280x720"}};
    struct seen sn = {0};
    size_t checked = 0, hosts_seen[13] = {0};
    for (uint64_t seed = 1; seed <= 200 && checked < 16; seed++) {
        struct scn_gen_opts o = scn_gen_opts_default();
        o.domains = 1 + (unsigned)(seed % 3);
        o.users = 1 + (unsigned)(seed / 3 % 3);
        o.messages = 3;
        o.faults = seed % 2 == 0;
        o.fetch = true;
        struct scn_scenario *s = scn_generate(seed, &o);
        assert_non_null(s);
        if (s->n_hosts < 2 || s->n_hosts > 12) {
            scn_free(s);
            continue;
        }
        hosts_seen[s->n_hosts]++;
        if (getenv("MAILSIM_CARDS_DUMP")) { /* the scenarios as files, to render them */
            char path[512];
            snprintf(path, sizeof path, "%s/seed-%llu.json", getenv("MAILSIM_CARDS_DUMP"),
                     (unsigned long long)seed);
            size_t len;
            char *json = scn_to_json(s, &len);
            FILE *f = fopen(path, "wb");
            if (f) {
                fwrite(json, 1, len, f);
                fclose(f);
            }
            free(json);
        }
        struct ms_error err;
        memset(&err, 0, sizeof err);
        struct trace *tr = world_simulate(s, true, &err);
        if (!tr) fail_msg("generated seed %llu: %s", (unsigned long long)seed, err.msg);
        struct ui_model *m = ui_model_new(tr, s);
        char name[64];
        snprintf(name, sizeof name, "generated seed %llu (%zu hosts)", (unsigned long long)seed,
                 s->n_hosts);
        size_t last = ui_model_steps(m);
        /* The shape of a lesson (up to 8 hosts, one or two mail servers):
         * at 1920x1080 every card must be drawn, none left to the
         * inspector. Bigger networks and 1280x720 may fall back to a
         * host's name alone where nothing else fits (counted, printed). */
        size_t servers = 0;
        for (size_t h = 0; h < s->n_hosts; h++) servers += s->hosts[h].kind == SCN_HOST_MAIL_SERVER;
        bool roomy = s->n_hosts <= 8 && servers <= 2;
        for (size_t z = 0; z < MS_ARRAY_LEN(sizes); z++) {
            struct ui_gfx *g = ui_gfx_new_offscreen(sizes[z].w, sizes[z].h, &err);
            assert_non_null(g);
            ui_gfx_record(g, true);
            struct ui_view v;
            ui_view_init(&v);
            for (size_t k = 0; k <= 12; k++) {
                size_t step = k == 12 ? last : last * k / 12;
                ui_view_seek(&v, m, step);
                ui_draw(g, m, &v, NULL);
                check_frame(g, name, sizes[z].name, step, &sn);
                check_shown(g, m, step, name, sizes[z].name, sizes[z].h >= 1080 && roomy);
            }
            ui_gfx_free(g);
        }
        ui_model_free(m);
        trace_free(tr);
        scn_free(s);
        checked++;
    }
    if (n_problems) {
        fprintf(stderr, "%s", problems);
        fail_msg("%zu card layout problems in generated networks (the first 30 above)", n_problems);
    }
    /* The test saw what it is about. */
    size_t sizes_seen = 0;
    for (int k = 2; k <= 12; k++) sizes_seen += hosts_seen[k] > 0;
    if (checked < 12 || sizes_seen < 4)
        fail_msg("only %zu scenarios of %zu sizes were drawn", checked, sizes_seen);
    if (sn.local_inbox_beside_server == 0)
        fail_msg("no frame showed a device's Local Inbox card beside a server's INBOX card");
    if (sn.queues == 0) fail_msg("no frame showed a queue card");
    printf(
        "test_generated_cards: %zu scenarios, %zu frames, %zu cards, %zu frames with a local inbox "
        "beside a server's, %zu queue cards; %zu host frames of crowded networks or 1280x720 with the "
        "host's name alone\n",
        checked, sn.frames, sn.cards, sn.local_inbox_beside_server, sn.queues, n_dropped);
}

/* The example lessons of docs/authoring.md (every .json in docs/examples), drawn
 * like the generated ones at every 10th step: cards inside the panel, off
 * every other text and icon, and at 1920x1080 never dropped. */
static void test_example_cards(void **state)
{
    (void)state;
    glob_t gl;
    assert_int_equal(glob("docs/examples/*.json", 0, NULL, &gl), 0);
    assert_true(gl.gl_pathc >= 5);
    struct seen sn = {0};
    n_problems = 0;
    problems[0] = '\0';
    for (size_t i = 0; i < gl.gl_pathc; i++) {
        struct scn_error serr;
        struct scn_scenario *s = scn_load_file(gl.gl_pathv[i], NULL, &serr);
        if (!s) fail_msg("%s", serr.text);
        struct ms_error err;
        memset(&err, 0, sizeof err);
        struct trace *tr = world_simulate(s, true, &err);
        if (!tr) fail_msg("%s: %s", gl.gl_pathv[i], err.msg);
        struct ui_model *m = ui_model_new(tr, s);
        static const struct {
            int w, h;
            const char *name;
        } sizes[] = {{1920, 1080, "1920x1080"}, {1280, 720, "1280x720"}};
        for (size_t z = 0; z < MS_ARRAY_LEN(sizes); z++) {
            struct ui_gfx *g = ui_gfx_new_offscreen(sizes[z].w, sizes[z].h, &err);
            assert_non_null(g);
            ui_gfx_record(g, true);
            struct ui_view v;
            ui_view_init(&v);
            for (size_t k = 0; k <= ui_model_steps(m); k += 10) {
                ui_view_seek(&v, m, k);
                ui_draw(g, m, &v, NULL);
                check_frame(g, gl.gl_pathv[i], sizes[z].name, k, &sn);
                check_shown(g, m, k, gl.gl_pathv[i], sizes[z].name, sizes[z].h >= 1080);
            }
            ui_gfx_free(g);
        }
        ui_model_free(m);
        trace_free(tr);
        scn_free(s);
    }
    globfree(&gl);
    if (n_problems) {
        fprintf(stderr, "%s", problems);
        fail_msg("%zu card layout problems in the examples (the first 30 above)", n_problems);
    }
    if (sn.local_inbox_beside_server == 0)
        fail_msg("no example showed a Local Inbox beside a server's INBOX");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_generated_cards),
        cmocka_unit_test(test_example_cards),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
