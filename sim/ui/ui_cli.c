/* ui_cli.c -- the window's part of mailsim's command line: open the window,
 * render one step or every step to PNG, or print the transcript when there
 * is no display. main() dispatches here; loading and simulating are the
 * program's callbacks (struct ui_app), never called from ui/ directly. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "scenario/lesson.h"
#include "ui/ui_int.h"

static const char ui_usage[] =
    "usage: mailsim [options] [FILE]\n"
    "  FILE                 scenario to simulate and show, or a lesson's number or name\n"
    "                       (mailsim --list; default: the built-in lesson)\n"
    "  --render-step K      draw step K offscreen (no display needed); needs --out\n"
    "  --out FILE.png       where --render-step writes\n"
    "  --layout-json FILE   with --render-step: write the box of every text and icon\n"
    "                       drawn (and its rendered capital height) as JSON\n"
    "  --focus PANEL        one panel fills the window: network, seq, dialogue, step\n"
    "  --export-frames DIR  write DIR/step-000000.png ... one PNG per step\n"
    "  --export-video FILE  write the lesson as a video: FILE ends in .mp4, .webm or\n"
    "                       .gif (needs the ffmpeg program)\n"
    "  --steps A-B          export only steps A to B (--export-frames/--export-video)\n"
    "  --video-rate R       steps per second of video (2)\n"
    "  --png-level N        PNG compression 0-12: 1 (default) is fast, 9 gives smaller\n"
    "                       files, 12 the smallest (about a second a frame)\n"
    "  --size WxH           frame size for --render-step and the exports (1920x1080)\n"
    "  --step K             start the window at step K\n"
    "  --theme NAME         colour theme: dark, light or projector (dark)\n"
    "  --zoom Z             scale all text and drawings, 0.5 to 3 (1.0; drawn at most\n"
    "                       at the zoom the size has room for: 1.31 at 1920x1080)\n"
    "  --no-tcp-detail      hide handshakes and bare ACKs\n"
    "  --help-overlay       draw the help overlay (for --render-step)\n"
    "  --inspect R          open the inspector on record R (1-based)\n"
    "  --message HOST       open the message view at HOST\n"
    "  --dump-messages OUT  write what the message view shows, as JSON lines: at\n"
    "                       --render-step K for --message HOST, else for every\n"
    "                       copy of a message a host takes, just after it is taken\n"
    "  --text               print the text transcript instead of opening a window\n"
    "  --variant NAME       use the scenario's variant NAME\n"
    "  --save-scenario OUT  write the scenario, with the window's faults and slider\n"
    "                       changes, to OUT when the window closes (at once with\n"
    "                       --text or --render-step); never over a file unless --force\n"
    "  --force              let --save-scenario replace an existing file\n"
    "  --future             show the scheduled events (E) instead of the current event\n"
    "  --whole-connection   the dialogue panel shows its whole connection, compressed,\n"
    "                       and what can be counted so far (N)\n"
    "  --pin TEXT           pin the mailbox or queue whose name contains TEXT (P)\n"
    "  --quiz               quiz mode (K); at --render-step K shows the question there\n"
    "  --quiz-answer N      with --quiz: choose answer N (1-based) and show the result\n"
    "  --menu NAME          draw a menu: until, pins, controls, variants or lessons\n"
    "  --pick               open the window with the lesson picker (O) when no FILE\n"
    "                       is given (the desktop entry's start screen)\n";

const char *ui_cli_usage(void)
{
    return ui_usage;
}

static bool ui_cli_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0) return false;
    *out = v;
    return true;
}

void ui_cli_init(struct ui_cli *c)
{
    memset(c, 0, sizeof *c);
    c->render_step = -1;
    c->w = 1920;
    c->h = 1080;
    c->zoom = 1.0;
    c->last_step = -1;
    c->video_rate = 2.0;
    c->png_level = UI_PNG_FAST;
}

int ui_cli_opt(struct ui_cli *c, const char *a, const char *val)
{
    if (strcmp(a, "--text") == 0) {
        c->text = true;
    } else if (strcmp(a, "--no-tcp-detail") == 0) {
        c->no_tcp = true;
    } else if (strcmp(a, "--variant") == 0) {
        c->variant = val;
    } else if (strcmp(a, "--save-scenario") == 0) {
        c->save = val;
    } else if (strcmp(a, "--force") == 0) {
        c->force = true;
    } else if (strcmp(a, "--whole-connection") == 0) {
        c->whole_conn = true;
    } else if (strcmp(a, "--future") == 0) {
        c->future = true;
    } else if (strcmp(a, "--quiz") == 0) {
        c->quiz = true;
    } else if (strcmp(a, "--quiz-answer") == 0) {
        if (!ui_cli_long(val, &c->quiz_answer) || c->quiz_answer == 0) {
            fprintf(stderr, "mailsim: --quiz-answer: \"%s\" is not a choice (1..)\n", val);
            return 2;
        }
    } else if (strcmp(a, "--pin") == 0) {
        if (c->n_pins == UI_MAX_PINS) {
            fprintf(stderr, "mailsim: --pin: at most %d pins\n", UI_MAX_PINS);
            return 2;
        }
        c->pins[c->n_pins++] = val;
    } else if (strcmp(a, "--menu") == 0) {
        c->menu = val;
        if (strcmp(c->menu, "until") != 0 && strcmp(c->menu, "pins") != 0 &&
            strcmp(c->menu, "controls") != 0 && strcmp(c->menu, "variants") != 0 &&
            strcmp(c->menu, "lessons") != 0) {
            fprintf(stderr,
                    "mailsim: --menu: \"%s\" is not until, pins, controls, variants or "
                    "lessons\n",
                    c->menu);
            return 2;
        }
    } else if (strcmp(a, "--pick") == 0) {
        c->pick = true;
    } else if (strcmp(a, "--help-overlay") == 0) {
        c->help_overlay = true;
    } else if (strcmp(a, "--render-step") == 0) {
        if (!ui_cli_long(val, &c->render_step)) {
            fprintf(stderr, "mailsim: --render-step: \"%s\" is not a step number\n", val);
            return 2;
        }
    } else if (strcmp(a, "--step") == 0) {
        if (!ui_cli_long(val, &c->start_step)) {
            fprintf(stderr, "mailsim: --step: \"%s\" is not a step number\n", val);
            return 2;
        }
    } else if (strcmp(a, "--inspect") == 0) {
        if (!ui_cli_long(val, &c->inspect) || c->inspect == 0) {
            fprintf(stderr, "mailsim: --inspect: \"%s\" is not a record number (1..N)\n", val);
            return 2;
        }
    } else if (strcmp(a, "--layout-json") == 0) {
        c->layout_json = val;
    } else if (strcmp(a, "--focus") == 0) {
        static const char *const names[] = {"", "network", "seq", "dialogue", "step"};
        int k = 1;
        while (k < 5 && strcmp(val, names[k]) != 0) k++;
        if (k == 5) {
            fprintf(stderr, "mailsim: --focus: \"%s\" is not network, seq, dialogue or step\n",
                    val);
            return 2;
        }
        c->focus = k;
    } else if (strcmp(a, "--out") == 0) {
        c->out = val;
    } else if (strcmp(a, "--export-frames") == 0) {
        c->export_dir = val;
    } else if (strcmp(a, "--export-video") == 0) {
        c->export_video = val;
    } else if (strcmp(a, "--steps") == 0) {
        char *end;
        errno = 0;
        c->first_step = strtol(val, &end, 10);
        bool ok = !errno && end != val && *end == '-' && c->first_step >= 0;
        if (ok) {
            const char *b = end + 1;
            c->last_step = strtol(b, &end, 10);
            ok = !errno && end != b && !*end && c->last_step >= c->first_step;
        }
        if (!ok) {
            fprintf(stderr, "mailsim: --steps: \"%s\" is not a range A-B of steps (A <= B)\n", val);
            return 2;
        }
    } else if (strcmp(a, "--video-rate") == 0) {
        char *end;
        c->video_rate = strtod(val, &end);
        if (end == val || *end || !(c->video_rate >= 0.1 && c->video_rate <= 60)) {
            fprintf(stderr, "mailsim: --video-rate: \"%s\" is not a number from 0.1 to 60\n", val);
            return 2;
        }
    } else if (strcmp(a, "--png-level") == 0) {
        if (!ui_cli_long(val, &c->png_level) || c->png_level > UI_PNG_MAX) {
            fprintf(stderr, "mailsim: --png-level: \"%s\" is not a level from 0 to %d\n", val,
                    UI_PNG_MAX);
            return 2;
        }
    } else if (strcmp(a, "--message") == 0) {
        c->message_host = val;
    } else if (strcmp(a, "--dump-messages") == 0) {
        c->dump_messages = val;
    } else if (strcmp(a, "--size") == 0) {
        if (sscanf(val, "%dx%d", &c->w, &c->h) != 2 || c->w < 320 || c->h < 240 || c->w > 8192 ||
            c->h > 8192) {
            fprintf(stderr, "mailsim: --size: \"%s\" is not WxH between 320x240 and 8192x8192\n",
                    val);
            return 2;
        }
    } else if (strcmp(a, "--theme") == 0) {
        int t = 0;
        while (t < UI_THEME_COUNT && strcmp(val, ui_theme_names[t]) != 0) t++;
        if (t == UI_THEME_COUNT) {
            fprintf(stderr, "mailsim: --theme: \"%s\" is not dark, light or projector\n", val);
            return 2;
        }
        c->theme = (enum ui_theme)t;
    } else if (strcmp(a, "--zoom") == 0) {
        char *end;
        c->zoom = strtod(val, &end);
        if (end == val || *end || !(c->zoom >= 0.5 && c->zoom <= 3)) {
            fprintf(stderr, "mailsim: --zoom: \"%s\" is not a number from 0.5 to 3\n", val);
            return 2;
        }
    } else {
        return -1;
    }
    return 0;
}

int ui_cli_finish(const struct ui_cli *c)
{
    if (c->render_step >= 0 && !c->out) {
        fprintf(stderr, "mailsim: --render-step needs --out FILE.png\n");
        return 2;
    }
    if (c->layout_json && c->render_step < 0) {
        fprintf(stderr, "mailsim: --layout-json needs --render-step K\n");
        return 2;
    }
    if (c->out && c->render_step < 0) {
        fprintf(stderr, "mailsim: --out needs --render-step K\n");
        return 2;
    }
    if (c->dump_messages && c->render_step >= 0 && !c->message_host) {
        fprintf(stderr, "mailsim: --dump-messages with --render-step needs --message HOST\n");
        return 2;
    }
    return 0;
}

static void ui_cli_view(const struct ui_cli *c, const struct ui_model *m, struct ui_view *v)
{
    ui_view_init(v);
    v->theme = c->theme;
    v->focus = (enum ui_focus)c->focus;
    v->zoom = c->zoom;
    v->tcp_detail = !c->no_tcp;
    ui_view_seek(v, m, (size_t)c->start_step);
    if (c->help_overlay) v->overlay = UI_OV_HELP;
    if (c->inspect > 0 && (size_t)c->inspect <= ui_model_steps(m)) {
        v->overlay = UI_OV_INSPECT;
        v->inspect = (size_t)c->inspect - 1;
    }

    v->future = c->future;
    v->whole_conn = c->whole_conn;
    v->quiz = c->quiz;
    for (size_t i = 0; i < c->n_pins; i++) {
        struct ui_pin cand[64];
        size_t n = ui_pin_candidates(m, cand, MS_ARRAY_LEN(cand));
        for (size_t j = 0; j < n && j < MS_ARRAY_LEN(cand); j++) {
            char label[200];
            ui_pin_label(m, &cand[j], label, sizeof label);
            if (strstr(label, c->pins[i])) {
                ui_view_pin_toggle(v, &cand[j]);
                break;
            }
        }
    }
    if (c->menu && strcmp(c->menu, "lessons") == 0) {
        v->pick_lesson = true; /* drawn over the frame by the window or ui_cli_render */
    } else if (c->menu) {
        v->overlay = strcmp(c->menu, "until") == 0      ? UI_OV_UNTIL
                     : strcmp(c->menu, "pins") == 0     ? UI_OV_PINS
                     : strcmp(c->menu, "controls") == 0 ? UI_OV_CONTROLS
                                                        : UI_OV_VARIANTS;
    }
    if (c->message_host) {
        const struct trace *tr = ui_model_trace(m);
        for (size_t h = 0; h < trace_host_count(tr); h++)
            if (strcmp(trace_host_name(tr, (uint32_t)h), c->message_host) == 0) {
                v->overlay = UI_OV_MESSAGE;
                v->msg_host = (uint32_t)h;
            }
    }
}

/* --export-frames and --export-video: every step of the range, each frame
 * encoded on a second thread while the next is drawn. */
static int ui_cli_export(const struct ui_cli *c, const struct ui_model *m, struct ui_view *v,
                         struct ui_gfx *g)
{
    size_t last = ui_model_steps(m);
    if (c->last_step >= 0 && (size_t)c->last_step < last) last = (size_t)c->last_step;
    if ((size_t)c->first_step > last) {
        fprintf(stderr, "mailsim: --steps %ld-%ld: the trace has steps 0..%zu\n", c->first_step,
                c->last_step, ui_model_steps(m));
        return 2;
    }
    struct ms_error err;
    memset(&err, 0, sizeof err);
    struct ui_export *x[2] = {NULL, NULL};
    const char *what[2] = {c->export_dir, c->export_video};
    if (c->export_dir) x[0] = ui_export_frames(c->export_dir, c->w, c->h, (int)c->png_level, &err);
    if (c->export_video && (!c->export_dir || x[0]))
        x[1] = ui_export_video(c->export_video, c->w, c->h, c->video_rate, &err);
    int rc = (c->export_dir && !x[0]) || (c->export_video && !x[1]) ? 1 : 0;
    for (size_t k = (size_t)c->first_step; rc == 0 && k <= last; k++) {
        ui_view_seek(v, m, k);
        ui_draw(g, m, v, NULL);
        for (int i = 0; i < 2 && rc == 0; i++)
            if (x[i] && ui_export_frame(x[i], g, k, &err) != 0) rc = 1;
    }
    for (int i = 0; i < 2; i++) {
        struct ms_error e;
        memset(&e, 0, sizeof e);
        if (x[i] && ui_export_close(x[i], &e) != 0 && rc == 0) {
            err = e;
            rc = 1;
        }
    }
    if (rc != 0) {
        fprintf(stderr, "mailsim: %s\n", err.msg);
        return rc;
    }
    size_t n = last - (size_t)c->first_step + 1;
    for (int i = 0; i < 2; i++)
        if (what[i]) fprintf(stderr, "mailsim: wrote %zu frames to %s\n", n, what[i]);
    return 0;
}

/* --dump-messages: the message view as data, for tests and scripts. With
 * step >= 0, the view at (step, view's host); else the view of every copy
 * of a message at the step it was taken. Returns 0, or 4 when OUT cannot
 * be written. */
static int ui_cli_dump_messages(const char *path, const struct ui_model *m, long step,
                                uint32_t host)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mailsim: --dump-messages: cannot write %s: %s\n", path, strerror(errno));
        return 4;
    }
    const struct trace *tr = ui_model_trace(m);
    struct ui_msgview mv;
    int bad = 0;
    if (step >= 0) {
        ui_msgview_at(m, (size_t)step, host, &mv);
        bad |= ui_msgview_write_json(f, m, &mv);
    } else {
        for (size_t i = 0; i < trace_msg_copy_count(tr); i++) {
            const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
            /* The step after the copy's record: the one that tells of it. */
            size_t k = c->before < ui_model_steps(m) ? c->before + 1 : ui_model_steps(m);
            ui_msgview_at(m, k, c->host, &mv);
            bad |= ui_msgview_write_json(f, m, &mv);
        }
    }
    if (fclose(f) != 0) bad = -1;
    if (bad) {
        fprintf(stderr, "mailsim: --dump-messages: cannot write %s\n", path);
        return 4;
    }
    return 0;
}

static int ui_cli_render(const struct ui_cli *c, const struct ui_world *w, const struct ui_app *app)
{
    struct ms_error err;
    memset(&err, 0, sizeof err);
    struct ui_gfx *g = ui_gfx_new_offscreen(c->w, c->h, &err);
    if (!g) {
        fprintf(stderr, "mailsim: %s\n", err.msg);
        return 1;
    }
    struct ui_model *m = ui_model_new(w->tr, w->scn);
    ui_model_set_title(m, w->title);
    if (app && app->variants) { /* the variant menu lists the file's */
        size_t nv = 0;
        const struct scn_variant *vs = app->variants(app->ctx, &nv);
        ui_model_set_variants(m, vs, nv);
    }
    struct ui_view v;
    ui_cli_view(c, m, &v);
    int rc = 0;
    if (c->render_step >= 0) {
        if ((size_t)c->render_step > ui_model_steps(m)) {
            fprintf(stderr, "mailsim: --render-step %ld: the trace has steps 0..%zu\n",
                    c->render_step, ui_model_steps(m));
            rc = 2;
        } else {
            ui_view_seek(&v, m, (size_t)c->render_step);
            if (c->quiz && ui_quiz_next(m, v.step) == v.step) {
                v.overlay = UI_OV_QUIZ;
                v.quiz_step = v.step;
                if (c->quiz_answer) ui_quiz_pick(&v, m, (int)c->quiz_answer - 1);
            }
            ui_gfx_record(g, c->layout_json != NULL);
            ui_draw(g, m, &v, NULL);
            if (v.pick_lesson) { /* --menu lessons */
                struct ui_picker *pk = ui_picker_new();
                ui_picker_draw(g, pk, v.theme, v.zoom);
                ui_picker_free(pk);
            }
            if (ui_gfx_save_png_level(g, c->out, (int)c->png_level, &err) != 0) {
                fprintf(stderr, "mailsim: %s\n", err.msg);
                rc = 4; /* an output file could not be written */
            }
            if (rc == 0 && c->layout_json) {
                FILE *lf = fopen(c->layout_json, "w");
                if (!lf || ui_gfx_write_layout(g, lf) != 0 || fclose(lf) != 0) {
                    fprintf(stderr, "mailsim: --layout-json: cannot write %s: %s\n", c->layout_json,
                            strerror(errno));
                    rc = 4;
                }
            }
            if (rc == 0 && c->dump_messages && v.msg_host == TRACE_NONE) {
                fprintf(stderr, "mailsim: --message %s: no host of that name\n", c->message_host);
                rc = 2;
            } else if (rc == 0 && c->dump_messages) {
                rc = ui_cli_dump_messages(c->dump_messages, m, (long)v.step, v.msg_host);
            }
        }
    }
    if (rc == 0 && (c->export_dir || c->export_video)) rc = ui_cli_export(c, m, &v, g);
    ui_model_free(m);
    ui_gfx_free(g);
    return rc;
}

static int ui_cli_transcript(const struct ui_app *app, const struct ui_world *w)
{
    int r = app && app->transcript ? app->transcript(app->ctx, w, stdout)
                                   : trace_write_text(w->tr, stdout);
    if (fflush(stdout) != 0) r = -1;
    return r == 0 ? 0 : 1;
}

/* --save-scenario: the app's current scenario, changes included. */
static int ui_cli_save(const struct ui_cli *c, const struct ui_app *app)
{
    struct ms_error err;
    memset(&err, 0, sizeof err);
    if (app->save(app->ctx, c->save, c->force, &err) != 0) {
        fprintf(stderr, "mailsim: --save-scenario: %s\n", err.msg);
        return -1;
    }
    fprintf(stderr, "mailsim: wrote the scenario to %s\n", c->save);
    return 0;
}

int ui_cli_main(const struct ui_cli *cli, const struct ui_app *app)
{
    struct ui_cli c = *cli;
    bool ttf_before = TTF_WasInit() > 0;
    int rc = ui_cli_finish(&c);
    if (rc != 0) return rc;
    struct ui_world w = {NULL, NULL, NULL};
    char lesson[SCN_LESSON_PATH_MAX]; /* "03" -> .../scenarios/03-....json */
    struct scn_error lerr;
    if (app && app->load) {
        if (c.file && !scn_lesson_resolve(c.file, lesson, sizeof lesson, &lerr)) {
            fprintf(stderr, "mailsim: %s\n", lerr.text); /* a lesson name not found */
            return 3;
        }
        if (c.file) c.file = lesson;
        struct ms_error err;
        memset(&err, 0, sizeof err);
        if (app->load(app->ctx, c.file, &w, &err) != 0) {
            fprintf(stderr, "mailsim: %s\n", err.msg);
            return err.code == 3 ? 3 : 1;
        }
    } else {
        fprintf(stderr, "mailsim: this build cannot simulate scenarios\n");
        return 1;
    }
    if (c.variant) {
        struct ms_error err;
        memset(&err, 0, sizeof err);
        if (!app->variant || app->variant(app->ctx, c.variant, &w, &err) != 0) {
            fprintf(stderr, "mailsim: --variant %s: %s\n", c.variant,
                    err.msg[0] ? err.msg : "needs a scenario");
            return 2;
        }
    }
    if (c.save && !app->save) {
        fprintf(stderr, "mailsim: --save-scenario needs a scenario\n");
        return 2;
    }
    bool save_now = c.save && (c.text || c.render_step >= 0 || c.export_dir || c.export_video);
    if (save_now && ui_cli_save(&c, app) != 0) {
        return 4; /* the scenario could not be written */
    }
    if (c.dump_messages && c.render_step < 0) {
        struct ui_model *m = ui_model_new(w.tr, w.scn);
        rc = ui_cli_dump_messages(c.dump_messages, m, -1, TRACE_NONE);
        ui_model_free(m);
    } else if (c.text) {
        rc = ui_cli_transcript(app, &w);
    } else if (c.render_step >= 0 || c.export_dir || c.export_video) {
        rc = ui_cli_render(&c, &w, app);
    } else {
        struct ms_error err;
        memset(&err, 0, sizeof err);
        struct ui_model *m = ui_model_new(w.tr, w.scn);
        struct ui_view v;
        ui_cli_view(&c, m, &v);
        if (c.pick && !c.file) v.pick_lesson = true;
        ui_model_free(m);
        rc = ui_window_run(app, c.file, &w, &v, &err);
        if (rc == 3) {
            fprintf(stderr, "mailsim: no display (%s); printing the transcript instead\n",
                    err.msg[0] ? err.msg : "SDL cannot open video");
            rc = ui_cli_transcript(app, &w);
        } else if (rc != 0) {
            fprintf(stderr, "mailsim: %s\n", err.msg);
        }
        if (c.save && ui_cli_save(&c, app) != 0 && rc == 0) rc = 4;
    }
    if (!ttf_before && TTF_WasInit()) TTF_Quit();
    return rc;
}
