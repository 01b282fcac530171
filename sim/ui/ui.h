/* ui.h -- the lecture window: view state, the model derived from a trace,
 * drawing, the window loop and the command line of the window.
 *
 * The window reads only the trace (trace/trace.h) and the scenario model
 * (scenario/scenario.h); it never runs or changes the simulation. Input
 * changes only a struct ui_view (raylib's update/draw split, applied to a
 * cursor). Drawing is a pure function of (trace, scenario, view): the frame
 * at step k is pixel-identical however the view got there (forward, backward
 * or by seeking), which tests/ui/test_ui.c checks. Step k means "records
 * 0 .. k-1 have happened"; k runs from 0 to N = trace_count. */
#ifndef MAILSIM_UI_UI_H
#define MAILSIM_UI_UI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "core/common.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

/* ---- the model: what the window derives from a trace, once ------------------- */

struct ui_model;

/* Index tr for drawing: host layout (from scn when given, else automatic),
 * keyframes of host/link/queue/mailbox state every 1024 records, the rows of
 * the sequence diagram, lines per connection, compressed time for the
 * timeline. Both are borrowed and must outlive the model; scn may be NULL.
 * Aborts only when memory is exhausted. */
struct ui_model *ui_model_new(const struct trace *tr, const struct scn_scenario *scn);
/* Set the title shown (copied; NULL keeps the scenario's). */
void ui_model_set_title(struct ui_model *m, const char *title);
/* The variants the variant menu (V) offers (borrowed, must outlive the
 * model; default: the scenario's). Can't fail. */
void ui_model_set_variants(struct ui_model *m, const struct scn_variant *v, size_t n);
/* Free the model (not the trace). NULL is a no-op. */
void ui_model_free(struct ui_model *m);
/* Number of steps N (== trace_count); the view's step runs 0..N. */
size_t ui_model_steps(const struct ui_model *m);
/* The trace and scenario the model reads. Borrowed. */
const struct trace *ui_model_trace(const struct ui_model *m);
/* The title shown in the window's title bar ("mailsim" when there is none). */
const char *ui_model_title(const struct ui_model *m);

/* ---- the view: everything input may change -------------------------------------- */

/* Colour themes (D cycles): dark, light, and a high-contrast one for
 * projectors that wash colours out. */
enum ui_theme { UI_THEME_DARK, UI_THEME_LIGHT, UI_THEME_PROJECTOR, UI_THEME_COUNT };
extern const char *const ui_theme_names[UI_THEME_COUNT];

/* A presenter's focus (keys 1-4): one panel fills the window above the
 * narration bar, with larger text; the same key returns. */
enum ui_focus { UI_FOCUS_NONE, UI_FOCUS_NET, UI_FOCUS_SEQ, UI_FOCUS_DIALOGUE, UI_FOCUS_EVENT };

/* The grain of Right / Left (G switches): a protocol line or message event
 * (what a lecturer teaches), or every trace record (TCP segments at every
 * hop; with TCP detail hidden, the hidden records are skipped). */
enum ui_grain { UI_GRAIN_LINE, UI_GRAIN_TCP, UI_GRAIN_COUNT };

enum ui_overlay {
    UI_OV_NONE,
    UI_OV_HELP,     /* H or ? */
    UI_OV_INSPECT,  /* a clicked packet or arrow: view.inspect */
    UI_OV_MESSAGE,  /* a clicked envelope: view.msg_host */
    UI_OV_UNTIL,    /* U: the run-until menu */
    UI_OV_QUIZ,     /* quiz mode paused at a question: view.quiz_step */
    UI_OV_PINS,     /* P: choose mailboxes and queues to pin to the screen edge */
    UI_OV_CONTROLS, /* L: sliders for links and servers while paused */
    UI_OV_VARIANTS, /* V: the scenario's variants */
};

/* A mailbox (user's folder on a host) or a host's outgoing queue pinned to
 * the screen edge. Ids are the trace's (host id, interned user and
 * folder); user == TRACE_NONE means the host's queue. */
struct ui_pin {
    uint32_t host, user, folder;
};
#define UI_MAX_PINS 4

#define UI_SPEED_COUNT 11 /* speeds 1/8x .. 128x; index 3 is 1x */

struct ui_view {
    size_t step; /* 0..N */
    double frac; /* 0 <= frac < 1: part of the way to step + 1 (playing) */
    bool playing;
    int speed;           /* 0..UI_SPEED_COUNT-1 */
    bool realtime;       /* N: 1 s simulated takes 1 s of wall time (speed set aside) */
    double zoom;         /* everything: + and - (1.0 = 18 px smallest text at 1080p) */
    double topo_zoom;    /* topology only: mouse wheel */
    double pan_x, pan_y; /* topology only: drag, in pixels at zoom 1 */
    enum ui_theme theme;
    bool tcp_detail;     /* show handshakes and bare ACKs (default on) */
    enum ui_focus focus; /* 1-4: one panel fills the window */
    enum ui_grain grain; /* G: what Right / Left step by */
    bool seq_flat;       /* A: sequence-diagram arrows flat, not slanted by latency */
    size_t seq_back;     /* PageUp / PageDown: sequence-diagram rows scrolled back */
    size_t dia_back;     /* Up / Down: dialogue lines scrolled back */
    enum ui_overlay overlay;
    size_t inspect;    /* UI_OV_INSPECT: the record shown */
    uint32_t msg_host; /* UI_OV_MESSAGE: the host whose envelope was clicked */
    uint32_t conn;     /* dialogue panel: connection shown, 0 = follow the step */
    /* lecture features */
    bool future;         /* E: the future-event panel instead of the current event */
    int until_sel;       /* UI_OV_UNTIL: the highlighted entry (enum ui_until) */
    char until_text[32]; /* UI_OV_UNTIL: what is typed for a time or a message */
    bool quiz;           /* K (or "quiz": true): playing stops at each question */
    size_t quiz_step;    /* UI_OV_QUIZ: the step paused at (its record is the answer) */
    size_t quiz_passed;  /* the question at this step was answered: play on (0 = none) */
    int quiz_pick;       /* the choice picked, -1 none yet */
    bool quiz_shown;     /* the answer is revealed */
    unsigned quiz_asked, quiz_right; /* the score, for self-study */
    struct ui_pin pins[UI_MAX_PINS]; /* pinned at the right edge, top down */
    size_t n_pins;
    int pin_sel;       /* UI_OV_PINS: the highlighted candidate */
    int ctl_sel;       /* UI_OV_CONTROLS: the highlighted slider */
    int64_t ctl_value; /* its value as moved, not yet applied */
    bool ctl_moved;    /* ctl_value differs from the scenario's */
    int var_sel;       /* UI_OV_VARIANTS: the highlighted variant (0 = none) */
    /* What the window has to say (a failed reload, a saved file): shown in
     * the narration bar until the next key; "" when nothing. */
    char notice[240];
    bool notice_bad; /* an error: drawn in the warning colour */
    /* The lesson picker (O; ui_picker.c) is open: drawn over the frame by
     * the window (or by --render-step with --menu lessons). */
    bool pick_lesson;
    /* N: the dialogue panel shows the whole connection at once, compressed
     * (one row per command and reply, one per mail transaction), with the
     * counts of every connection so far (ui_concepts.c). */
    bool whole_conn;
};

/* Defaults: step 0, paused, 1x, zoom 1, dark theme, TCP detail on. Can't fail. */
void ui_view_init(struct ui_view *v);
/* Go to step k (clamped to 0..N), frac 0. */
void ui_view_seek(struct ui_view *v, const struct ui_model *m, size_t k);
/* One record forward (+1) or back (-1), or any delta; clamped. */
void ui_view_step(struct ui_view *v, const struct ui_model *m, long delta);
/* Next (dir > 0) or previous protocol line; stays put when there is none. */
void ui_view_step_line(struct ui_view *v, const struct ui_model *m, int dir);
/* The dialogue panel's connection: the next connection (by id) that has
 * sent a protocol line before step v->step, after v->conn; past the last
 * one, back to 0 (follow the step). Returns the new v->conn. */
uint32_t ui_view_cycle_conn(struct ui_view *v, const struct ui_model *m);
/* Next or previous message event (queued, attempt, deferred, delivered, ...). */
void ui_view_step_message(struct ui_view *v, const struct ui_model *m, int dir);
/* One step at v->grain: UI_GRAIN_LINE to the next (dir > 0) or previous
 * protocol line, message event, DNS question or answer, lost packet, host
 * or link change, connection failure or narration; UI_GRAIN_TCP one record,
 * skipping handshakes and bare ACKs while v->tcp_detail is off. Stays put
 * when there is none. */
void ui_view_step_grain(struct ui_view *v, const struct ui_model *m, int dir);
/* Where step v->step is in its grain: *pos steps of *total ("line 12 of 80").
 * Can't fail. */
void ui_view_grain_pos(const struct ui_view *v, const struct ui_model *m, size_t *pos,
                       size_t *total);
/* While playing, advance by real_s seconds of wall time (compressed: idle
 * gaps take at most a moment, see ui_model.c; with v->realtime not
 * compressed: the clock moves real_s seconds). Stops at the end. */
void ui_view_advance(struct ui_view *v, const struct ui_model *m, double real_s);
/* Zoom (+ and -) in steps of 10%, from UI_ZOOM_MIN to the largest a frame
 * of w x h pixels takes without its texts overlapping: ui_zoom_max (at
 * least 1; 1.31 at 1920x1080, 1 at 1280x720: the panels then have the room
 * a 1280x720 window has at zoom 1). A zoom beyond is drawn as that largest. */
#define UI_ZOOM_STEP 1.1
#define UI_ZOOM_MIN 0.55
double ui_zoom_max(int w, int h);
/* The zoom + (dir > 0) or - (dir < 0) leads to from zoom in a w x h frame
 * (zoom itself when it is at the end of the scale); 1 for dir 0 (the 0
 * key). Can't fail. */
double ui_zoom_next(double zoom, int dir, int w, int h);
/* The speed factor of v->speed, e.g. 1.0, 0.5, 4.0. */
double ui_view_speed_factor(const struct ui_view *v);
/* The simulated time shown at the view (record k-1's time, interpolated
 * towards record k's while playing). */
sim_us ui_view_time(const struct ui_view *v, const struct ui_model *m);

/* ---- lecture features ------------------------------------------------------ */

/* One pending event of the simulation as the trace tells it at a step. */
struct ui_timer {
    sim_us due;     /* when it will run */
    uint32_t host;  /* the host it belongs to, or TRACE_NONE */
    char label[96]; /* "TCP retransmit", "retry of message 2", "scenario: host_down" */
};

/* The events pending after records [0, k), earliest first (ties in the
 * order they were set), at most max of them into out; returns how many
 * were written. Built from TIMER_SET / TIMER_CANCELLED records or the
 * trace's timer notes (those after at most k records and no later than
 * record k-1's time; the window's runs keep timers as notes) (a cancel
 * removes the earliest pending set of the same due time, host and label;
 * a timer whose due time has passed has fired). A trace without timer
 * records still shows its retries (MSG_DEFERRED next_retry, until the
 * message's next attempt) and the scenario's timeline actions still to come.
 * A pure function of the trace, the scenario and k. */
size_t ui_future_at(const struct ui_model *m, size_t k, struct ui_timer *out, size_t max);

/* Targets of "run until". */
enum ui_until {
    UI_UNTIL_RETRY,      /* the next delivery attempt after the first (attempt >= 2) */
    UI_UNTIL_DELIVERY,   /* the next MSG_DELIVERED */
    UI_UNTIL_CONNECTION, /* the next CONN_OPENED */
    UI_UNTIL_TIME,       /* arg: a simulated time; every record at or before it */
    UI_UNTIL_FATE,       /* arg: a message number; its next DELIVERED or BOUNCED */
    UI_UNTIL_COUNT
};
/* Menu texts of the targets ("the next retry", ...). Static. */
extern const char *const ui_until_names[UI_UNTIL_COUNT];

/* The step that "run until what" from step `from` lands on: the step that
 * shows the target record as the current one (its index + 1), searching
 * records from..N-1; for UI_UNTIL_TIME the step after every record with
 * t <= arg (never before from). Returns from when there is no such record. */
size_t ui_until_step(const struct ui_model *m, size_t from, enum ui_until what, int64_t arg);
/* Seek v there (stops playing). Returns false, leaving v alone, when there
 * is no target ahead. */
bool ui_view_run_until(struct ui_view *v, const struct ui_model *m, enum ui_until what,
                       int64_t arg);

/* The run-until menu (U): open it, type into it (digits and letters; a
 * backspace is "\b"), move the highlight (dir +1 / -1). Can't fail. */
void ui_until_menu_open(struct ui_view *v);
void ui_until_menu_text(struct ui_view *v, const char *text);
void ui_until_menu_move(struct ui_view *v, int dir);
/* Enter: run until the highlighted target, reading a time ("30m", "2h";
 * from the start of the lesson) or a message number from what was typed.
 * Closes the menu and returns true when the view moved; false leaves it
 * open when what was typed is not understood, closes it when there is no
 * target ahead. */
bool ui_until_menu_run(struct ui_view *v, const struct ui_model *m);

/* What can be pinned: every mailbox the trace ever shows (by host, user,
 * folder), then the queue of every mail server. Up to max into out; returns
 * how many there are in all. */
size_t ui_pin_candidates(const struct ui_model *m, struct ui_pin *out, size_t max);
/* "bob INBOX on mail.example.net", "queue of mail.example.org". Can't fail. */
void ui_pin_label(const struct ui_model *m, const struct ui_pin *p, char *buf, size_t len);
/* Pin p, or unpin it when pinned. Returns false when UI_MAX_PINS are pinned. */
bool ui_view_pin_toggle(struct ui_view *v, const struct ui_pin *p);

/* Sliders for links and servers (L). Values: microseconds, or
 * for loss thousandths, or for HOST_UP / LINK_UP 1 (up) and 0 (down): the
 * keyboard's way to what a click on a host or link does. */
enum ui_ctl_kind {
    UI_CTL_LATENCY,
    UI_CTL_LOSS,
    UI_CTL_RETRY,
    UI_CTL_GIVE_UP,
    UI_CTL_HOST_UP,
    UI_CTL_LINK_UP
};
struct ui_ctl {
    enum ui_ctl_kind kind;
    size_t id;      /* link or host index in the scenario */
    int64_t value;  /* in effect at the time asked */
    char name[128]; /* "latency of mail.example.org - internet" */
};
/* The sliders of scenario s with the values in effect at time now (the
 * file's, changed by LINK_SET / SERVER_SET / *_DOWN / *_UP actions at or
 * before now): a latency and a loss per link, a retry interval and a
 * give-up time per mail server, then up or down for every host and every
 * link. Up to max into out; returns how many there are in all. */
size_t ui_controls(const struct scn_scenario *s, sim_us now, struct ui_ctl *out, size_t max);
/* The next value on the slider's scale above (dir > 0) or below value; an
 * up/down switch flips. */
int64_t ui_ctl_step(enum ui_ctl_kind kind, int64_t value, int dir);
/* "120 ms", "5%", "30 min", "5 d", "up", "down". Can't fail. */
void ui_ctl_format(enum ui_ctl_kind kind, int64_t value, char *buf, size_t len);
/* The scenario action that sets c to value at time at (LINK_SET,
 * SERVER_SET, HOST_DOWN/UP or LINK_DOWN/UP; a give-up below the interval
 * is raised to it). */
void ui_ctl_action(const struct scn_scenario *s, const struct ui_ctl *c, int64_t value, sim_us at,
                   struct scn_action *a);

/* A question of quiz mode, made from the trace: the engine's real reply (or
 * the queue's real decision) is one of the choices, the others come from a
 * table of other real replies to the same command. */
#define UI_QUIZ_CHOICES 6
struct ui_quiz {
    size_t rec; /* the record that answers it; the quiz pauses at step rec */
    char question[256];
    char choices[UI_QUIZ_CHOICES][128];
    size_t n_choices;
    size_t answer;     /* index of the right choice */
    char explain[256]; /* the meaning and RFC section, shown with the answer */
};
/* Is there a question before record k (asked at step k)? A server's reply to
 * a command (its first line: SMTP and POP3), a queue's decision on a
 * message (MSG_DELIVERED, MSG_DEFERRED, MSG_BOUNCED), or a question written
 * in the scenario (asked before the first record at or after its time; it
 * wins over a made one). Fills *q when true. Pure function of trace,
 * scenario and k. */
bool ui_quiz_at(const struct ui_model *m, size_t k, struct ui_quiz *q);
/* The first step >= from with a question, or N when none. */
size_t ui_quiz_next(const struct ui_model *m, size_t from);
/* Keys of a paused question: pick choice i (0-based; scores it and reveals
 * the answer), reveal without picking, or go on (closes the question and
 * plays on past it). Each returns false when it does nothing. */
bool ui_quiz_pick(struct ui_view *v, const struct ui_model *m, int i);
bool ui_quiz_reveal(struct ui_view *v);
bool ui_quiz_continue(struct ui_view *v, const struct ui_model *m);

/* ---- drawing ------------------------------------------------------------------- */

struct ui_gfx;

/* What the last ui_draw drew, for tests and for mapping clicks. */
struct ui_stats {
    unsigned hosts;      /* host icons */
    unsigned hosts_down; /* of which crossed out */
    unsigned links;
    unsigned links_down;
    unsigned packets;      /* packets in flight drawn */
    unsigned packets_lost; /* falling, crossed packets */
    unsigned labels;       /* packets with a text label */
    unsigned envelopes;    /* queued envelopes */
    unsigned arrows;       /* sequence diagram arrows */
    unsigned dialogue_lines;
    unsigned text_draws;   /* text blits */
    unsigned text_renders; /* texts rendered by the font engine this frame (cache misses) */
    unsigned label_cover;  /* share of the worst-placed link label over a host or a label, % */
    unsigned min_text_px;  /* the smallest text drawn, in pixels (0: no text) */
    unsigned day_marks;    /* "Day N" marks on the timeline */
};

/* What a frame drew where, for the layout test and --layout-json: one box
 * per text (its ink: from the top of its capitals to the bottom of its
 * descenders) and per icon (host, envelope, packet). */
enum ui_box_kind { UI_BOX_TEXT, UI_BOX_ICON, UI_BOX_PACKET };
struct ui_box {
    enum ui_box_kind kind;
    float x, y, w, h;
    int cap_px;                         /* text: height of its capitals and digits as rendered */
    int clip_x, clip_y, clip_w, clip_h; /* the clip it was drawn in (its panel) */
    const char *role;                   /* the panel or part: "dialogue", "seq", "packet", ... */
    bool ellipsis;                      /* the text was cut on purpose and ends in "..." */
    int link;                           /* a latency plate's text: 1 + its link's index; else 0 */
    char text[96];                      /* the text, or the icon's name */
};
/* A link of the network panel as drawn: its index and its segment, from
 * the centre of one host to the centre of the other. */
struct ui_seg {
    unsigned link;
    float x1, y1, x2, y2;
};
/* Record boxes from the next ui_draw on (off: stop; each ui_draw starts a
 * new list). Can't fail. */
void ui_gfx_record(struct ui_gfx *g, bool on);
/* The boxes of the last frame drawn while recording. Borrowed. */
const struct ui_box *ui_gfx_boxes(const struct ui_gfx *g, size_t *n);
/* The links of the last frame drawn while recording. Borrowed. */
const struct ui_seg *ui_gfx_links(const struct ui_gfx *g, size_t *n);
/* Write them as JSON ({"w":..,"h":..,"boxes":[...],"links":[...]}; a
 * latency plate's text box names its link by "link", each link has its
 * "seg": [x1, y1, x2, y2]). 0, or -1 on a write error. */
int ui_gfx_write_layout(const struct ui_gfx *g, FILE *f);

/* What is under a point of the last frame drawn. */
enum ui_hit_kind {
    UI_HIT_NONE,
    UI_HIT_HOST,
    UI_HIT_LINK,
    UI_HIT_PACKET,
    UI_HIT_ARROW,
    UI_HIT_ENVELOPE,
    UI_HIT_TIMELINE,
    UI_HIT_DIALOGUE,
    UI_HIT_PANEL /* a panel's background: id is its enum ui_focus */
};
struct ui_hit {
    enum ui_hit_kind kind;
    uint32_t id;  /* host, link, or connection (dialogue) */
    size_t rec;   /* packet / arrow: the record */
    double where; /* timeline: 0..1 along it */
};

/* An offscreen renderer (SDL software renderer on an SDL_Surface), w x h
 * pixels. Finds the font through MAILSIM_FONT or fontconfig ("DejaVu Sans").
 * Returns NULL with *err filled when SDL, the font or memory fail. Needs no
 * display. */
struct ui_gfx *ui_gfx_new_offscreen(int w, int h, struct ms_error *err);
/* Free it. NULL is a no-op. */
void ui_gfx_free(struct ui_gfx *g);
/* Draw the frame of (m, v) into g. stats may be NULL. */
void ui_draw(struct ui_gfx *g, const struct ui_model *m, const struct ui_view *v,
             struct ui_stats *stats);
/* The pixels of the offscreen frame (ARGB8888, rows of *pitch bytes), or
 * NULL for a window renderer. Borrowed. */
const void *ui_gfx_pixels(const struct ui_gfx *g, int *w, int *h, int *pitch);
/* Save what was last drawn as a PNG (ui_export.c, fast compression).
 * Returns 0, or -1 with *err filled. */
int ui_gfx_save_png(struct ui_gfx *g, const char *path, struct ms_error *err);
/* The same at PNG level 0..12 (libdeflate's; 12: the smallest file). */
int ui_gfx_save_png_level(struct ui_gfx *g, const char *path, int level, struct ms_error *err);
/* What the last frame drew at pixel (x, y). */
struct ui_hit ui_gfx_hit(const struct ui_gfx *g, int x, int y);

/* ---- the program's side: loading, simulating, faults ----------------------------- */

/* A simulated lesson as the window sees it. Borrowed from the program. */
struct ui_world {
    const struct trace *tr;
    const struct scn_scenario *scn; /* may be NULL */
    const char *title;              /* NULL: the scenario's title */
};

enum ui_fault_kind { UI_FAULT_HOST_DOWN, UI_FAULT_HOST_UP, UI_FAULT_LINK_DOWN, UI_FAULT_LINK_UP };

/* A fault the lecturer injected by clicking: a new scenario event at `at`. */
struct ui_fault {
    enum ui_fault_kind kind;
    uint32_t id; /* host or link id (trace ids == scenario indices) */
    sim_us at;
};

/* What the program provides; the window never calls the simulation itself.
 * Worlds handed to the window stay valid until the next call of load or
 * fault (the program frees the previous one then), or the end of ui_cli_main. */
struct ui_app {
    void *ctx;
    /* Load the scenario in file (NULL: the built-in lesson) and simulate it.
     * Returns 0 and fills *w, or -1 with *err filled. */
    int (*load)(void *ctx, const char *file, struct ui_world *w, struct ms_error *err);
    /* Add fault to the current scenario, simulate again, fill *w. Returns 0,
     * or -1 with *err (the previous world then stays valid). May be NULL. */
    int (*fault)(void *ctx, const struct ui_fault *f, struct ui_world *w, struct ms_error *err);
    /* Print the text transcript of w to out (used without a display).
     * Returns 0, or -1 on write error. May be NULL (trace_write_text then). */
    int (*transcript)(void *ctx, const struct ui_world *w, FILE *out);
    /* Lecture features (each may be NULL: the window then does without):
     * Add action a (copied; LINK_SET, SERVER_SET, ...) to the current
     * scenario at a->at, simulate again, fill *w. As fault. */
    int (*change)(void *ctx, const struct scn_action *a, struct ui_world *w, struct ms_error *err);
    /* Go to variant name of the scenario as loaded (NULL or "": none),
     * dropping the changes made since; simulate, fill *w. As fault. */
    int (*variant)(void *ctx, const char *name, struct ui_world *w, struct ms_error *err);
    /* The names of the loaded scenario's variants (borrowed), *n of them. */
    const struct scn_variant *(*variants)(void *ctx, size_t *n);
    /* Write the current scenario, changes included, to path (scn_save:
     * refuses an existing file unless overwrite). 0, or -1 with *err. */
    int (*save)(void *ctx, const char *path, bool overwrite, struct ms_error *err);
};

/* The simplest thing a program can provide: a simulator. The window then
 * loads scenario files itself (scenario layer), and turns a click on a host
 * or link into a copy of the scenario with one more timeline action (HOST_DOWN,
 * LINK_UP, ...) at the current simulated time, which it hands back to
 * simulate. */
struct ui_sim {
    void *ctx;
    /* Run scenario s (borrowed) from the start to the end; a new trace that
     * the window frees with trace_free, or NULL with *err filled. */
    struct trace *(*simulate)(void *ctx, const struct scn_scenario *s, struct ms_error *err);
    /* The textbook transcript of tr to f; 0, or -1 on a write error. May be
     * NULL (trace_write_text then). */
    int (*transcript)(const struct trace *tr, FILE *f);
};

/* An app whose load and fault work as described above, on sim (borrowed,
 * must outlive it). The worlds it hands out belong to it. Can't fail. */
struct ui_app *ui_app_new(const struct ui_sim *sim);
/* Free the app and the last world it made. NULL is a no-op. */
void ui_app_free(struct ui_app *app);

/* ---- the window ------------------------------------------------------------------ */

/* Open the window on app's world and run until Q or close. view is the
 * starting view (may be NULL). Returns 0, 1 on error, or 3 when there is no
 * display (SDL cannot initialise video; *err says why and nothing was printed). */
int ui_window_run(const struct ui_app *app, const char *file, struct ui_world *w,
                  const struct ui_view *view, struct ms_error *err);

#ifdef __EMSCRIPTEN__
/* In a web page (Emscripten) ui_window_run returns 0 as soon as the window is
 * open: the browser runs its loop, one turn per animation frame, until the
 * page closes; *w stays the window's. The page reaches the window through
 * these (each does nothing when no window is open). */
struct ui_window_state {
    size_t step, steps; /* the view's step, and N */
    bool playing;
    const char *variant; /* the scenario's variant in use, or NULL (borrowed) */
    const char *file;    /* the scenario file shown, or NULL (borrowed) */
    const char *notice;  /* what the window says in its narration bar, or "" */
};
/* Show world nw (the app's, as load or variant left it) at step k (clamped),
 * paused, overlays closed; file is what R reloads (copied; NULL: the
 * built-in lesson). */
void ui_window_show(const struct ui_world *nw, const char *file, size_t k);
/* Go to step k (clamped), paused. */
void ui_window_seek(size_t k);
/* What the window shows; false when no window is open. */
bool ui_window_state(struct ui_window_state *st);
#endif

/* ---- the command line --------------------------------------------------------------- */

/* The window's options, as main.c's option table parsed them (see
 * ui_cli_usage). The body is here because the program fills one on its
 * stack: ui_cli_init, then ui_cli_opt once per option, and file. */
struct ui_cli {
    bool text, help_overlay;
    const char *file, *out, *export_dir, *message_host, *layout_json, *dump_messages;
    int focus;
    const char *export_video;
    long first_step, last_step; /* --steps; last -1: to the end */
    double video_rate;
    long png_level;
    long render_step; /* -1: none */
    long start_step;
    long inspect; /* 1-based, 0 none */
    int w, h;
    enum ui_theme theme;
    double zoom;
    bool no_tcp;
    const char *variant, *save, *menu;
    bool force, future, quiz, whole_conn;
    bool pick; /* --pick, or --menu lessons: the lesson picker */
    const char *pins[UI_MAX_PINS];
    size_t n_pins;
    long quiz_answer; /* 1-based, 0 none */
};
/* Defaults: no file, window at step 0, 1920x1080, dark theme. Can't fail. */
void ui_cli_init(struct ui_cli *c);
/* Take one window option (opt: its name with the dashes, "--size") and its
 * value (NULL for a flag). Returns 0, or 2 with a message on stderr that
 * names the option and the bad value; -1 when opt is not the window's. */
int ui_cli_opt(struct ui_cli *c, const char *opt, const char *val);
/* Options that need each other (--render-step and --out, ...): 0, or 2 with
 * a message on stderr. */
int ui_cli_finish(const struct ui_cli *c);
/* Open the window, render offscreen or print the transcript as c says. app
 * may be NULL (then nothing can be loaded: exit 1). Returns the exit code:
 * 0 success, 1 runtime error, 2 usage error, 3 a scenario or lesson that
 * cannot be loaded, 4 an output that cannot be written. Prints its errors on
 * stderr. */
int ui_cli_main(const struct ui_cli *c, const struct ui_app *app);
/* ui_cli_main with an app built on sim: FILE (or the built-in lesson) is
 * loaded with scn_load_file and simulated; faults become timeline actions.
 * Same exit codes. */
int ui_cli_run(const struct ui_cli *c, const struct ui_sim *sim);
/* The usage text of the options above, for mailsim --help. Static. */
const char *ui_cli_usage(void);

/* ---- a load for the benchmark --------------------------------------------------- */

/* A large synthetic trace for benchmarks: hosts hosts in a ring around one
 * router, at least records records, with about in_flight data segments in
 * the air at every moment of its middle. Caller frees. Can't fail. */
struct trace *ui_bench_trace(unsigned hosts, unsigned in_flight, size_t records);

/* ---- what protocol lines mean ------------------------------------------------------- */

/* The meaning and RFC section of a protocol line ("MAIL FROM:<a@b>",
 * "250 2.1.0 Ok", "+OK", "a1 SELECT INBOX") of proto ("SMTP", "POP3",
 * "IMAP", "HTTP"): e.g. "Starts a mail transaction: the envelope sender",
 * "RFC 5321 §4.1.1.2". Returns false when the line is not in the table
 * (then *meaning and *rfc are set to ""). Static strings. */
bool ui_rfc_explain(const char *proto, const char *line, size_t len, const char **meaning,
                    const char **rfc);

#endif
