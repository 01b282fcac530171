/* ui_app.c -- a struct ui_app built on a simulator the program provides.
 *
 * The window loads the scenario (scenario layer: read and validate only) and
 * asks the program to simulate it. A fault clicked in the window becomes a
 * new scenario: the current one written out (scn_to_json) and read back
 * (scn_load_buffer), with one more timeline action at the current simulated
 * time, inserted after the actions of the same time (the timeline stays
 * sorted, ties in file order). The simulation itself is never called from
 * here, only through ui_sim.simulate. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

struct ui_simapp {
    const struct ui_sim *sim;
    struct scn_scenario *orig; /* as loaded, variants included; owned */
    struct scn_scenario *scn;  /* current, faults included; owned */
    struct trace *tr;          /* its trace; owned */
};

static void ui_app_err(struct ms_error *err, const char *msg)
{
    ms_error_set(err, 1, NULL, "%s", msg);
}

/* Simulate s; on success adopt it (and free the previous world). */
static int ui_app_adopt(struct ui_simapp *a, struct scn_scenario *s, struct ui_world *w,
                        struct ms_error *err)
{
    struct trace *tr = a->sim->simulate(a->sim->ctx, s, err);
    if (!tr) {
        scn_free(s);
        return -1;
    }
    trace_free(a->tr);
    scn_free(a->scn);
    a->scn = s;
    a->tr = tr;
    w->tr = tr;
    w->scn = s;
    w->title = NULL;
    return 0;
}

static int ui_app_load(void *ctx, const char *file, struct ui_world *w, struct ms_error *err)
{
    struct ui_simapp *a = ctx;
    struct scn_error se;
    memset(&se, 0, sizeof se);
    struct scn_scenario *s = file ? scn_load_file(file, NULL, &se) : scn_load_default();
    if (!s) {
        ui_app_err(err, se.text);
        err->code = 3; /* main.c's exit status for an invalid scenario file */
        return -1;
    }
    struct scn_scenario *orig = scn_clone(s, &se);
    if (!orig) {
        scn_free(s);
        ui_app_err(err, se.text);
        return -1;
    }
    if (ui_app_adopt(a, s, w, err) != 0) {
        scn_free(orig);
        return -1;
    }
    scn_free(a->orig);
    a->orig = orig;
    return 0;
}

static int ui_app_fault(void *ctx, const struct ui_fault *f, struct ui_world *w,
                        struct ms_error *err)
{
    struct ui_simapp *a = ctx;
    if (!a->scn) {
        ui_app_err(err, "no scenario loaded");
        return -1;
    }
    bool host = f->kind == UI_FAULT_HOST_DOWN || f->kind == UI_FAULT_HOST_UP;
    if ((host && f->id >= a->scn->n_hosts) || (!host && f->id >= a->scn->n_links)) {
        ui_app_err(err, "that host or link is not in the scenario");
        return -1;
    }
    size_t len = 0;
    char *json = scn_to_json(a->scn, &len);
    struct scn_error se;
    memset(&se, 0, sizeof se);
    struct scn_scenario *s =
        scn_load_buffer(json, len, a->scn->source, a->scn->base_dir, NULL, &se);
    free(json);
    if (!s) {
        ui_app_err(err, se.text);
        return -1;
    }
    struct scn_action act;
    memset(&act, 0, sizeof act);
    act.at = f->at < 0 ? 0 : f->at;
    switch (f->kind) {
    case UI_FAULT_HOST_DOWN:
        act.kind = SCN_ACT_HOST_DOWN;
        break;
    case UI_FAULT_HOST_UP:
        act.kind = SCN_ACT_HOST_UP;
        break;
    case UI_FAULT_LINK_DOWN:
        act.kind = SCN_ACT_LINK_DOWN;
        break;
    case UI_FAULT_LINK_UP:
        act.kind = SCN_ACT_LINK_UP;
        break;
    }
    if (host)
        act.u.host = f->id;
    else
        act.u.link = f->id;
    size_t pos = 0;
    while (pos < s->n_timeline && s->timeline[pos].at <= act.at) pos++;
    s->timeline = ms_xrealloc(s->timeline, (s->n_timeline + 1) * sizeof *s->timeline);
    memmove(&s->timeline[pos + 1], &s->timeline[pos], (s->n_timeline - pos) * sizeof *s->timeline);
    s->timeline[pos] = act;
    s->n_timeline++;
    return ui_app_adopt(a, s, w, err);
}

/* Any timeline action (sliders: LINK_SET, SERVER_SET). */
static int ui_app_change(void *ctx, const struct scn_action *act, struct ui_world *w,
                         struct ms_error *err)
{
    struct ui_simapp *a = ctx;
    if (!a->scn) {
        ui_app_err(err, "no scenario loaded");
        return -1;
    }
    if (act->kind != SCN_ACT_LINK_SET && act->kind != SCN_ACT_SERVER_SET &&
        act->kind != SCN_ACT_HOST_DOWN && act->kind != SCN_ACT_HOST_UP &&
        act->kind != SCN_ACT_LINK_DOWN && act->kind != SCN_ACT_LINK_UP) {
        ui_app_err(err, "the window changes only hosts, links and servers");
        return -1;
    }
    struct scn_error se;
    memset(&se, 0, sizeof se);
    struct scn_scenario *s = scn_clone(a->scn, &se);
    if (!s) {
        ui_app_err(err, se.text);
        return -1;
    }
    struct scn_action c = *act; /* these kinds own no strings */
    if (c.at < 0) c.at = 0;
    scn_timeline_insert(s, &c);
    return ui_app_adopt(a, s, w, err);
}

static int ui_app_variant(void *ctx, const char *name, struct ui_world *w, struct ms_error *err)
{
    struct ui_simapp *a = ctx;
    if (!a->orig) {
        ui_app_err(err, "no scenario loaded");
        return -1;
    }
    struct scn_error se;
    memset(&se, 0, sizeof se);
    struct scn_scenario *s =
        name && *name ? scn_apply_variant(a->orig, name, &se) : scn_clone(a->orig, &se);
    if (!s) {
        ui_app_err(err, se.text);
        return -1;
    }
    return ui_app_adopt(a, s, w, err);
}

static const struct scn_variant *ui_app_variants(void *ctx, size_t *n)
{
    struct ui_simapp *a = ctx;
    *n = a->orig ? a->orig->n_variants : 0;
    return a->orig ? a->orig->variants : NULL;
}

static int ui_app_save(void *ctx, const char *path, bool overwrite, struct ms_error *err)
{
    struct ui_simapp *a = ctx;
    if (!a->scn) {
        ui_app_err(err, "no scenario loaded");
        return -1;
    }
    struct scn_error se;
    memset(&se, 0, sizeof se);
    if (!scn_save(a->scn, path, overwrite, &se)) {
        ui_app_err(err, se.text);
        return -1;
    }
    return 0;
}

static int ui_app_transcript(void *ctx, const struct ui_world *w, FILE *out)
{
    struct ui_simapp *a = ctx;
    return a->sim->transcript ? a->sim->transcript(w->tr, out) : trace_write_text(w->tr, out);
}

struct ui_app *ui_app_new(const struct ui_sim *sim)
{
    struct ui_simapp *a = ms_xcalloc(1, sizeof *a);
    a->sim = sim;
    struct ui_app *app = ms_xcalloc(1, sizeof *app);
    app->ctx = a;
    app->load = ui_app_load;
    app->fault = ui_app_fault;
    app->transcript = ui_app_transcript;
    app->change = ui_app_change;
    app->variant = ui_app_variant;
    app->variants = ui_app_variants;
    app->save = ui_app_save;
    return app;
}

void ui_app_free(struct ui_app *app)
{
    if (!app) return;
    struct ui_simapp *a = app->ctx;
    trace_free(a->tr);
    scn_free(a->scn);
    scn_free(a->orig);
    free(a);
    free(app);
}

int ui_cli_run(const struct ui_cli *c, const struct ui_sim *sim)
{
    struct ui_app *app = ui_app_new(sim);
    int rc = ui_cli_main(c, app);
    ui_app_free(app);
    return rc;
}
