/* ui_int.h -- what the files of sim/ui share and nobody else sees: the
 * model's insides, the state at a step, the renderer with its font and text
 * cache. Not part of the public API (that is ui.h). */
#ifndef MAILSIM_UI_UI_INT_H
#define MAILSIM_UI_UI_INT_H

#include <SDL.h>
#include <SDL_ttf.h>

#include "scenario/lesson.h"
#include "ui/ui.h"

struct ui_picker;

/* How a host is drawn. */
enum ui_hkind {
    UI_HK_LAPTOP,
    UI_HK_PC,
    UI_HK_PHONE,
    UI_HK_BROWSER,
    UI_HK_SERVER,
    UI_HK_ROUTER,
    UI_HK_DNS,
    UI_HK_WEB,
};

struct ui_hostinfo {
    enum ui_hkind kind;
    double x, y;      /* 0..1 in the topology panel */
    char addr[32];    /* "192.0.2.10" */
    const char *name; /* borrowed from the trace */
    int role;         /* the scenario's enum scn_host_kind, -1 when it has none */
};

/* A user's folder on a host, as the last MAILBOX_CHANGED said. */
struct ui_mbox {
    uint32_t host, user, folder, count, unseen;
};

/* Host, link, queue and mailbox state after records [0, k). */
struct ui_state {
    uint8_t *host_down;
    uint8_t *link_down;
    uint32_t *q_len;
    sim_us *q_next;
    struct ui_mbox *mb; /* sorted by host, user, folder */
    size_t n_mb, cap_mb;
    size_t narration; /* last NARRATION record + 1, 0 if none */
    size_t last_line; /* last LINE_SENT record + 1, 0 if none */
};

/* Record numbers in the window's indexes are 32-bit: the window shows at
 * most the first UI_REC_MAX records of a trace (a trace that long would
 * not fit in memory: every record takes at least a few bytes packed). */
#define UI_REC_MAX ((size_t)UINT32_MAX - 1)

/* One change of a host, link, queue or mailbox (ui_model_state.c): at
 * record `at`, set a (down, queue length, message count) and t (next
 * retry, unseen count). */
struct ui_change {
    sim_us t;
    uint32_t at, a;
};
enum ui_hist_kind { UI_HIST_HOST, UI_HIST_LINK, UI_HIST_QUEUE, UI_HIST_MBOX, UI_HIST_COUNT };
/* The changes of each entity e: ch[off[e] .. off[e+1]), in record order. */
struct ui_hist {
    size_t n_ent;
    uint32_t *off;
    struct ui_change *ch;
};
struct ui_mbox_key {
    uint32_t host, user, folder;
};
/* Compressed time (idle gaps capped at UI_GAP_CAP_US) of every record:
 * each record's capped gap in 16 bits, and the sum at every
 * UI_CT_EVERY-th record. */
#define UI_CT_EVERY 32

struct ui_model {
    const struct trace *tr;
    const struct scn_scenario *scn;
    size_t n, nh, nl;
    struct ui_hostinfo *hosts;
    char title[256];
    uint16_t *ct_gap; /* compressed time: see ui_model_ct */
    sim_us *ct_base;
    uint32_t *lines; /* LINE_SENT records, in order */
    size_t n_lines;
    uint32_t *msgs; /* MSG_* records */
    size_t n_msgs;
    uint32_t *rows; /* sequence diagram rows without TCP detail */
    size_t n_rows;
    uint32_t *rows_tcp; /* ... with TCP detail */
    size_t n_rows_tcp;
    struct ui_dline *dl;          /* the pairing of each line of lines[] */
    uint32_t n_conns;             /* connection ids 0 .. n_conns-1 */
    uint32_t *conn_off;           /* CSR: LINE_SENT records of conn c are */
    uint32_t *conn_lines;         /* conn_lines[conn_off[c] .. conn_off[c+1]) */
    struct ui_tls_from *tls_from; /* per (conn, host) that wrote inside TLS, */
    size_t n_tls_from;            /* the time of its first such line; sorted */
    int *column;                  /* host -> sequence diagram column, -1 if none */
    uint32_t *col_host;           /* column -> host */
    size_t n_cols;
    sim_us *lat;                        /* nh x nh one-way latencies, or NULL (many hosts) */
    sim_us max_lat;                     /* the largest of them */
    struct ui_hist hist[UI_HIST_COUNT]; /* hosts, links, queues, mailboxes */
    struct ui_mbox_key *mbox_keys;      /* mailbox id -> host, user, folder */
    uint32_t *mbox_order;               /* mailbox ids in the state's order */
    size_t n_mbox;
    sim_us max_flight; /* longest t_arrive - t_depart of any packet */
    /* Timeline ticks per pixel column, cached for one width (drawing is
     * still a function of the trace: the cache only saves work). */
    uint8_t *bins;
    int bins_w;
    uint32_t *gaps; /* records preceded by a gap >= UI_GAP_LABEL_US */
    sim_us *gap_us; /* ... and each gap's length, so the timeline reads no record */
    size_t n_gaps;
    uint32_t *narrs; /* NARRATION records */
    size_t n_narrs;
    char **narr_text; /* the first UI_NARR_MEASURED narrations' texts (they size
                         the narration bar every frame without reading records) */
    size_t n_narr_text;
    uint32_t *teach; /* records a step at the line grain lands on */
    size_t n_teach;
    uint32_t *quiet; /* records hidden without TCP detail (handshakes, bare ACKs) */
    size_t n_quiet;
    uint32_t *timers; /* TIMER_SET / TIMER_CANCELLED records */
    size_t n_timers;
    uint32_t *dns_q; /* DNS_QUESTION records */
    size_t n_dns_q;
    const struct scn_variant *variants; /* the variant menu */
    size_t n_variants;
};

/* What a protocol line is in its dialogue (ui_pairs.c). */
enum ui_dl_kind {
    UI_DL_OTHER,
    UI_DL_CMD,      /* a client's command; pair: its number in the connection */
    UI_DL_REPLY,    /* the first line of the reply to command pair (0: none) */
    UI_DL_MORE,     /* a further line of the reply to pair */
    UI_DL_GREETING, /* the server's first words */
    UI_DL_DATA      /* message text (SMTP DATA), a request's header or body */
};
/* When a host's engine first wrote a line inside TLS (TRACE_LF_TLS) on a
 * connection: from then on its segments there carry encrypted bytes. */
struct ui_tls_from {
    uint32_t conn;
    uint32_t host;
    sim_us t;
};
struct ui_dline {
    uint8_t kind; /* enum ui_dl_kind */
    uint16_t pair;
};
/* Which command each line of one connection answers: out[i] for the i-th
 * line (m->conn_lines order), whose facts (ui_pairs_fact) are facts[i]. The
 * one place that pairs replies with commands. Can't fail. */
void ui_pairs(const uint8_t *facts, size_t n, struct ui_dline *out);
/* What ui_pairs needs of a line (of trace tr): its side and flags, and
 * whether it has an empty verb (a greeting), in one byte. */
uint8_t ui_pairs_fact(const struct trace *tr, const struct trace_line *l);
/* True when host had written a line inside TLS on conn by time t. */
bool ui_model_tls_by(const struct ui_model *m, uint32_t conn, uint32_t host, sim_us t);
/* The pairing of record rec (a LINE_SENT record), or NULL. */
const struct ui_dline *ui_model_dline(const struct ui_model *m, size_t rec);

/* Gaps between records longer than this are drawn (and played) as this. */
#define UI_GAP_CAP_US (40 * SIM_US_PER_MS)
/* Gaps this long get a "30 min later" label on the timeline. */
#define UI_GAP_LABEL_US (10 * SIM_US_PER_S)

void ui_state_init(const struct ui_model *m, struct ui_state *st);
void ui_state_free(struct ui_state *st);
/* Fill st with the state after records [0, k), from the histories; reads
 * no record. */
void ui_model_state(const struct ui_model *m, size_t k, struct ui_state *st);
/* Building the histories: one call per record, in order, then _end. */
struct ui_state_build;
struct ui_state_build *ui_state_build_new(void);
void ui_state_build_add(struct ui_state_build *b, const struct ui_model *m, size_t i,
                        const struct trace_rec *r);
void ui_state_build_end(struct ui_state_build *b, struct ui_model *m);
void ui_state_hist_free(struct ui_model *m);
size_t ui_state_hist_memory(const struct ui_model *m);
/* The index of the first element of a (sorted, n) that is >= key. */
size_t ui_lower(const uint32_t *a, size_t n, size_t key);
/* Compressed time of record k (k < m->n). */
sim_us ui_model_ct(const struct ui_model *m, size_t k);
/* Bytes the window's index holds. */
size_t ui_model_memory(const struct ui_model *m);
/* Narrations measured for the narration bar's height. */
#define UI_NARR_MEASURED 256
/* The window's one pairing of replies with commands, from the trace's typed
 * line facts (no protocol bytes are read): for the server line k (a
 * LINE_SENT record), the client's command it answers. The first line of
 * each reply answers the oldest command not yet answered (RFC 2920 §3.1,
 * pipelining; RFC 1939 §3); the reply flagged as the end of DATA answers the
 * message's last line, the lone dot; further lines of a reply (TRACE_LF_CONT)
 * answer nothing. *cmd is the command's record, or SIZE_MAX for a greeting.
 * False when k is not the first line of a reply or nothing pairs. */
bool ui_model_reply_command(const struct ui_model *m, size_t k, size_t *cmd);
/* The DNS_QUESTION record that datagram k (a DGRAM_* record) asks or
 * answers, found by the resolver's host and UDP port the trace recorded with
 * the question, not by decoding the datagram; SIZE_MAX when none. */
size_t ui_model_dns_question(const struct ui_model *m, size_t k);
/* Which protocol a packet or line belongs to. */
enum ui_proto { UI_P_TCP, UI_P_SMTP, UI_P_POP3, UI_P_IMAP, UI_P_HTTP, UI_P_DNS, UI_P_COUNT };
enum ui_proto ui_proto_of_ports(uint16_t sport, uint16_t dport);
enum ui_proto ui_proto_of_name(const char *name);
extern const char *const ui_proto_names[UI_P_COUNT];

/* ---- concepts made visible (ui_concepts.c): all from typed trace facts ---- */

/* The caption under host h: "user agent", "mail server", "DNS server",
 * "router", "web server", "web browser", from the scenario's typed host
 * kind; NULL when the host has none (a trace without its scenario). */
const char *ui_host_role(const struct ui_model *m, size_t h);

/* What the dialogue calls out at a line. */
enum ui_callout {
    UI_CO_NONE,
    UI_CO_BLANK_BODY,  /* the empty line that ends a header, a body follows */
    UI_CO_BLANK_END,   /* the empty line that ends a header, nothing follows */
    UI_CO_END_OF_DATA, /* SMTP: the lone dot that ends the message text */
};
/* The call-out of LINE_SENT record rec, from its flags (TRACE_LF_DATA,
 * TRACE_LF_CONT), its length and the pairing: the first empty line of a
 * message or response after the line that began it, and the client's
 * message line that the end-of-data reply answers (RFC 5321 §4.1.1.4).
 * Can't fail. */
enum ui_callout ui_line_callout(const struct ui_model *m, size_t rec);
/* "(blank line: header ends, body begins)", ...; "" for UI_CO_NONE. */
const char *ui_callout_text(enum ui_callout c);

/* An EHLO reply's extension line explained: record rec is a server's line
 * that continues the reply to EHLO (typed: verb EHLO, TRACE_LF_CONT, a
 * positive code); its ehlo-keyword (RFC 5321 §4.1.1.1), the typed fact
 * trace_line.ext the server's engine recorded, is looked up in a table of
 * extensions; the line's bytes are never read. False for any other line or
 * an extension not in the table. kw gets the keyword. */
bool ui_ehlo_explain(const struct ui_model *m, size_t rec, char *kw, size_t kwlen,
                     const char **meaning, const char **rfc);

/* One row of the whole-connection view (N). */
enum ui_crow_kind { UI_CR_OPEN, UI_CR_GREETING, UI_CR_CMD, UI_CR_TXN, UI_CR_CLOSE };
struct ui_crow {
    enum ui_crow_kind kind;
    size_t rec;     /* the record the row begins with */
    size_t last;    /* the last record folded into it */
    char verb[16];  /* the typed verb of its command ("QUIT"), or "" */
    unsigned more;  /* further lines of its reply (not shown) */
    char text[160]; /* "message 1: MAIL, RCPT, DATA, 15 lines -> 250 2.0.0 Ok: queued" */
};
/* The rows of connection conn, the whole of it (a row whose rec is at or
 * after a step has not happened yet at that step): the TCP opening (one
 * SYN), the greeting, each command with its reply, each mail transaction
 * (MAIL ... the reply to the end of data) as one row, the close (FIN or
 * RST). Up to max into out; returns how many there are in all. *n_txn gets
 * the number of transactions. Can't fail. */
size_t ui_conn_rows(const struct ui_model *m, uint32_t conn, struct ui_crow *out, size_t max,
                    unsigned *n_txn);

/* What a student can count, per protocol, client and server, over the
 * connections that have sent a line before a step. */
struct ui_tally {
    const char *proto; /* "SMTP", "HTTP", ... (the trace's) */
    uint32_t proto_id; /* its interned id */
    uint32_t client, server;
    unsigned conns;     /* connections */
    unsigned pushed;    /* SMTP: messages accepted (a positive end-of-data reply) */
    unsigned requests;  /* HTTP: requests; POP3 / IMAP: commands */
    unsigned responses; /* HTTP: responses (one object each) */
    unsigned pulled;    /* POP3 RETR, IMAP FETCH: messages pulled */
};
/* The tallies before step, in order of first appearance; up to max into
 * out; returns how many there are. Can't fail. */
size_t ui_tally_at(const struct ui_model *m, size_t step, struct ui_tally *out, size_t max);
/* "SMTP alice-pc -> mail.example.org: 1 connection, 3 messages pushed". */
void ui_tally_text(const struct ui_model *m, const struct ui_tally *t, char *buf, size_t len);

/* ---- the renderer --------------------------------------------------------------- */

enum ui_font { UI_F_SANS, UI_F_BOLD, UI_F_MONO, UI_F_COUNT };

struct ui_text_entry {
    uint64_t hash; /* 0 = empty */
    SDL_Texture *tex;
    int w, h;
    unsigned last_frame;
};

#define UI_TEXT_SLOTS 4096
/* The text cache keeps only the current frame's texts when its textures
 * would take more than this (a busy day's seeks meet thousands of long
 * lines): 64 MiB of pixels. */
#define UI_TEXT_BYTES ((size_t)64 << 20)
#define UI_MAX_HITS 4096

struct ui_hit_rect {
    SDL_Rect r;
    struct ui_hit hit;
};

struct ui_gfx {
    SDL_Surface *surface; /* offscreen target, or NULL */
    SDL_Window *window;   /* window target, or NULL */
    SDL_Renderer *ren;
    int w, h;
    char font_path[UI_F_COUNT][512];
    struct {
        int px;
        TTF_Font *font;
    } fonts[UI_F_COUNT][24];
    struct ui_text_entry *text; /* UI_TEXT_SLOTS, open addressing */
    size_t text_used;
    size_t text_bytes;     /* pixels of the cached textures, 4 bytes each */
    unsigned text_trimmed; /* the frame that last trimmed the cache */
    unsigned frame;
    struct ui_stats stats;
    struct ui_hit_rect *hits;
    size_t n_hits;
    double scale;   /* font scale of the frame being drawn */
    bool in_target; /* drawing into an icon texture, not the surface */
    SDL_Rect clip;  /* current clip rectangle (whole frame when none) */
    /* Layout recording (ui_gfx_record). */
    bool record;
    const char *role; /* what is being drawn, for the boxes */
    struct ui_box *boxes;
    size_t n_boxes, cap_boxes;
    int link;            /* the link whose plate is being drawn, 1 + index; 0: none */
    struct ui_seg *segs; /* the links drawn */
    size_t n_segs, cap_segs;
    struct {
        int key; /* kind, size, down, theme packed; 0 = empty */
        SDL_Texture *tex;
        int w, h;
    } icons[64]; /* host icons drawn once per kind and size */
};

/* ---- primitives (ui_prim.c); colours are 0xRRGGBBAA ------------------------------ */

enum { UI_AL_LEFT, UI_AL_CENTER, UI_AL_RIGHT };
void ui_p_fill(struct ui_gfx *g, float x, float y, float w, float h, uint32_t c);
void ui_p_frame(struct ui_gfx *g, float x, float y, float w, float h, float th, uint32_t c);
void ui_p_line(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, uint32_t c);
void ui_p_dashed(struct ui_gfx *g, float x1, float y1, float x2, float y2, float th, float dash,
                 uint32_t c);
void ui_p_circle(struct ui_gfx *g, float cx, float cy, float r, uint32_t c);
void ui_p_tri(struct ui_gfx *g, float x1, float y1, float x2, float y2, float x3, float y3,
              uint32_t c);
void ui_p_rrect(struct ui_gfx *g, float x, float y, float w, float h, float r, uint32_t c);
/* A box with cut corners from two rectangles: cheap, for many packets. */
void ui_p_octo(struct ui_gfx *g, float x, float y, float w, float h, float cut, uint32_t c);
/* Draw s (UTF-8) with its top at y; align says where x is. Returns the width
 * drawn. wrap > 0 wraps at that many pixels. */
int ui_p_text(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y, int align,
              const char *s);
/* Draw s left-aligned in at most maxw pixels: cut with "…" when wider
 * (then the full text must be one key or click away). Returns the width. */
int ui_p_text_fit(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y,
                  float maxw, const char *s);
int ui_p_text_wrap(struct ui_gfx *g, enum ui_font f, float px, uint32_t c, float x, float y,
                   int wrap, const char *s, int *height);
/* Height of s wrapped at wrap pixels, without drawing (cached like text). */
int ui_p_text_wrap_height(struct ui_gfx *g, enum ui_font f, float px, int wrap, const char *s);
/* Size of s without drawing (renders into the cache if needed). */
void ui_p_text_size(struct ui_gfx *g, enum ui_font f, float px, const char *s, int *w, int *h);
void ui_p_clip(struct ui_gfx *g, float x, float y, float w, float h);
void ui_p_noclip(struct ui_gfx *g);
void ui_p_hit(struct ui_gfx *g, float x, float y, float w, float h, struct ui_hit hit);
/* Note an icon's box for the layout record (a no-op when not recording). */
/* Record link l's segment (when recording). */
void ui_p_seg(struct ui_gfx *g, unsigned l, float x1, float y1, float x2, float y2);
void ui_p_mark(struct ui_gfx *g, enum ui_box_kind kind, float x, float y, float w, float h,
               const char *name);
/* Start a frame: new generation for the text cache, no hits, stats zeroed. */
void ui_p_begin(struct ui_gfx *g);

/* The step of a point `where` (0..1) along the timeline. */
size_t ui_model_step_at_where(const struct ui_model *m, double where);

/* Forget all cached text (after a theme change nothing is needed, texts are
 * keyed by colour; after a renderer change this is required). */
void ui_gfx_text_flush(struct ui_gfx *g);

/* ---- drawing one frame (ui_draw*.c: one file per panel) -------------------------- */

/* The colours of a theme; texts on their backgrounds reach 4.5:1. */
struct ui_colors {
    uint32_t bg, panel, panel2, text, dim, grid, hi_bg, hi_text, link, down, body, dark, screen,
        client, server, backdrop;
};
extern const struct ui_colors ui_dark, ui_light, ui_projector;
extern const struct ui_colors *const ui_themes[UI_THEME_COUNT];
/* Okabe-Ito fill, the ink on it, and a shape per protocol. */
extern const uint32_t ui_proto_fill[UI_P_COUNT];
extern const uint32_t ui_proto_ink[UI_P_COUNT];
extern const char *const ui_proto_shape[UI_P_COUNT];
#define UI_LOST 0xd55e00ffu

/* Labels on packets in flight: the newest this many (more would be noise). */
#define UI_MAX_LABELS 40
#define UI_MAX_FLIGHT 4096
/* Look back at most this many records for packets still in the air. */
#define UI_FLIGHT_SCAN 200000

/* One frame being drawn: its inputs, the state at the step and the panels. */
struct ui_frame {
    struct ui_gfx *g;
    const struct ui_model *m;
    const struct ui_view *v;
    const struct ui_colors *c;
    struct ui_state st;
    float s; /* text and icon scale: 1.0 at 1080 lines, zoom 1 */
    float z; /* the zoom (+ / -) in s */
    float W, H;
    sim_us t;
    SDL_FRect status, topo, seq, dia, evp, nar, tl;
    SDL_FRect pinr;   /* pinned mailboxes and queues; w 0 when none */
    float *hx, *hy;   /* host centres on screen */
    SDL_FRect *hbox;  /* each host's icon and the text under it, as drawn */
    SDL_FRect *htext; /* each host's text block alone */
    float icon;       /* icon size */
    SDL_FRect *lab;   /* link latency labels, as placed */
    size_t n_lab;
    bool compact;        /* a small frame: the sequence diagram takes turns (key 2) */
    float panel_zoom[4]; /* network, sequence, dialogue, step: larger when focused */
};

/* Text sizes at scale 1 (1080 lines), in pixels of the font: DejaVu's
 * capitals are 0.73 of it, so these give 16.8, 19 and 24.8 px capitals. */
#define UI_PX_SMALL 23.0f /* the smallest text anywhere */
#define UI_PX_LABEL 26.0f /* dialogue lines, diagram labels, packet labels */
#define UI_PX_NARR 34.0f  /* the narration */

/* Helpers shared by the panels (ui_draw.c). */
float ui_px(const struct ui_frame *f, float base);
/* A panel's background in rectangle r: filled, a click on it focuses the
 * panel, and drawing is clipped to it until the next clip. */
void ui_d_panel(struct ui_frame *f, SDL_FRect r, enum ui_focus focus);
/* First line of p as printable ASCII, cut with "..." (max >= 8). */
void ui_first_line(const uint8_t *p, size_t len, char *out, size_t max);
void ui_fmt_clock(sim_us t, char *buf, size_t len);
void ui_fmt_dur(sim_us d, char *buf, size_t len);
void ui_fmt_gap(sim_us d, char *buf, size_t len);
enum ui_proto ui_seg_proto(const struct trace_rec *r, const struct trace_seg *s);
/* The words record k's packet is labelled with: its first line, or the DNS
 * question the trace recorded for it. */
void ui_payload_text(const struct ui_model *m, size_t k, const struct trace_seg *s,
                     const uint8_t *data, size_t dlen, char *out, size_t max);
void ui_flags_text(uint8_t fl, char *buf, size_t len);
/* An overlay box of w x h centred, with a title; returns the y of its first row. */
float ui_d_box(struct ui_frame *f, float w, float h, const char *title, SDL_FRect *out);
void ui_d_envelope(struct ui_frame *f, float x, float y, float w, float h, uint32_t fill);

/* The panels, each in its own file. */
void ui_d_topology(struct ui_frame *f); /* ui_draw_net.c */
void ui_d_seq(struct ui_frame *f);      /* ui_draw_seq.c */
void ui_d_dialogue(struct ui_frame *f); /* ui_draw_dialogue.c */
void ui_d_event(struct ui_frame *f);    /* ui_draw_event.c */
void ui_d_future(struct ui_frame *f);
void ui_d_pins(struct ui_frame *f);      /* ui_draw_pins.c */
void ui_d_narration(struct ui_frame *f); /* ui_draw_bars.c */
void ui_d_timeline(struct ui_frame *f);
void ui_d_status(struct ui_frame *f);
void ui_d_help(struct ui_frame *f); /* ui_draw_menus.c */
void ui_d_controls(struct ui_frame *f);
void ui_d_variants(struct ui_frame *f);
void ui_d_pin_menu(struct ui_frame *f);
void ui_d_until(struct ui_frame *f);
void ui_d_quiz(struct ui_frame *f);
void ui_d_inspect(struct ui_frame *f);    /* ui_draw_inspect.c */
void ui_d_message(struct ui_frame *f);    /* ui_draw_message.c */
void ui_d_whole_conn(struct ui_frame *f); /* ui_draw_conn.c (N) */

/* ---- the window (ui_window.c) and its keys (ui_keys.c) ---------------------------- */

struct ui_win {
    const struct ui_app *app;
    const char *file;
    struct ui_world world;
    struct ui_model *m;
    struct ui_view v;
    SDL_Window *win;
    struct ui_gfx *g;
    bool dirty, quit;
    Uint64 last; /* SDL_GetTicks64 at the last turn of the loop */
    /* Mouse. */
    bool down, dragging_tl, dragging_pan;
    int down_x, down_y, last_x, last_y;
    char title[512];
    bool until_skip_text;               /* drop the text event of the U that opened the menu */
    struct ui_picker *picker;           /* the lesson picker (O), NULL when closed */
    char file_buf[SCN_LESSON_PATH_MAX]; /* w->file after a lesson was opened in place */
    bool fullscreen;                    /* F: what the window was last asked to be */
    bool help_resume;                   /* H paused playing: Esc or H plays on */
};

/* Say something to the lecturer: stderr and the narration bar. */
void ui_win_say(struct ui_win *w, bool bad, const char *fmt, ...) MS_PRINTF(3, 4);
void ui_win_screenshot(struct ui_win *w);
void ui_win_reload(struct ui_win *w);
void ui_win_next_envelope(struct ui_win *w);
void ui_win_change(struct ui_win *w, const struct scn_action *a);
void ui_win_variant(struct ui_win *w, const char *name);
bool ui_win_controls_key(struct ui_win *w, SDL_Keycode k);

/* Which keys mean what: the overlay that has the keys. */
enum ui_mode {
    UI_MODE_MAIN,
    UI_MODE_UNTIL,
    UI_MODE_CONTROLS,
    UI_MODE_VARIANTS,
    UI_MODE_PINS,
    UI_MODE_QUIZ,
    UI_MODE_COUNT
};
/* Modifiers a key entry asks for (0: any). */
enum { UI_KM_SHIFT = 1, UI_KM_CTRL = 2 };
typedef void ui_key_fn(struct ui_win *w, int arg);
/* One row of the key table: keys key .. key_last (arg grows with the key)
 * in mode, with mods held. keys and help are the help overlay's row (NULL:
 * no row of its own); an entry with key 0 is a row for the mouse only. */
struct ui_key {
    enum ui_mode mode;
    SDL_Keycode key, key_last;
    unsigned mods;
    ui_key_fn *act;
    int arg;
    const char *keys, *help;
};
extern const struct ui_key ui_keys[];
extern const size_t ui_n_keys;
/* The mode of a view: which overlay has the keys. */
enum ui_mode ui_key_mode(const struct ui_view *v);
/* Run the entry of the table for key k with modifiers mod in w's mode.
 * Returns false when no entry matches. */
bool ui_key_dispatch(struct ui_win *w, SDL_Keycode k, uint16_t mod);

/* Fill err (when not NULL) with where and msg, cut to fit. Can't fail. */
void ui_err(struct ms_error *err, const char *where, const char *msg);

/* ---- frames out (ui_export.c) ------------------------------------------------------ */

/* PNG compression levels (libdeflate's): fast (the default: a 1080p frame
 * in about a sixth of IMG_SavePNG's CPU time), small (files about a sixth
 * smaller, six times slower) and max (files about a fifth smaller, about a
 * second a frame). 0 stores the rows uncompressed. */
#define UI_PNG_FAST 1
#define UI_PNG_SMALL 9
#define UI_PNG_MAX 12

/* Write w x h ARGB8888 pixels (rows of pitch bytes) to path as an 8-bit RGBA
 * PNG at level (0..UI_PNG_MAX). Returns 0, or -1 with *err naming the file. */
int ui_png_write(const char *path, const void *pixels, int w, int h, int pitch, int level,
                 struct ms_error *err);
/* Bytes of a w x h frame's PNG rows: each row a filter byte and w RGBA pixels. */
size_t ui_png_rows_size(int w, int h);
/* Turn ARGB8888 pixels (rows of pitch bytes) into PNG rows (filter None,
 * R, G, B, A), ui_png_rows_size(w, h) bytes at rows. */
void ui_png_rows(const void *pixels, int w, int h, int pitch, unsigned char *rows);

/* An export in progress: each frame waits in a short queue for a second
 * thread that encodes it while the caller draws the next ones (when the
 * queue is full, ui_export_frame encodes a waiting PNG frame itself). */
struct ui_export;
/* Frames as dir/step-NNNNNN.png (dir created if missing) at PNG level
 * (0..UI_PNG_MAX). */
struct ui_export *ui_export_frames(const char *dir, int w, int h, int level, struct ms_error *err);
/* A video (path ends in .mp4, .webm or .gif) at rate frames per second,
 * through the ffmpeg program. NULL with *err when the name is not one of
 * those, ffmpeg is not on PATH or cannot be started. */
struct ui_export *ui_export_video(const char *path, int w, int h, double rate,
                                  struct ms_error *err);
/* Hand over what g last drew as frame `step`. Returns 0, or -1 with *err
 * when an earlier frame failed (the export is then useless: close it). */
int ui_export_frame(struct ui_export *x, const struct ui_gfx *g, size_t step, struct ms_error *err);
/* Finish: wait for the last frame, let ffmpeg finish the file, free x.
 * Returns 0, or -1 with *err (err may be NULL). NULL is a no-op. */
int ui_export_close(struct ui_export *x, struct ms_error *err);

/* ---- the message view's content (ui_msgview.c) ------------------------------ */

#define UI_MSGVIEW_EVENTS 24

/* What the message view shows at host and step: the message (the latest
 * one a record or a copy puts at the host), its MSG_* records so far, and
 * the copy whose header and MIME outline are shown (the host's own, else
 * the latest copy anywhere). */
struct ui_msgview {
    uint32_t host;
    size_t step;
    bool found; /* false: no message has been at the host yet */
    uint32_t msg;
    uint32_t sender, rcpt, msgid;      /* interned, or TRACE_NONE */
    size_t events[UI_MSGVIEW_EVENTS];  /* MSG_* records of msg before the step */
    size_t n_events;                   /* all of them (may exceed UI_MSGVIEW_EVENTS) */
    const struct trace_msg_copy *copy; /* or NULL */
    bool copy_here;                    /* the copy is the host's own */
};
void ui_msgview_at(const struct ui_model *m, size_t step, uint32_t host, struct ui_msgview *mv);
/* Does host hold a copy of some message at step? */
bool ui_msgview_holds(const struct ui_model *m, size_t step, uint32_t host);
/* Part i of the copy shown (depth-first, 0 = the message) into *out; false
 * when there is none. */
bool ui_msgview_part(const struct ui_model *m, const struct ui_msgview *mv, size_t i,
                     struct trace_mime_part *out);
/* The view as one JSON object and a newline (what --dump-messages writes).
 * Returns 0, or -1 on a write error. */
int ui_msgview_write_json(FILE *f, const struct ui_model *m, const struct ui_msgview *mv);

/* ---- the lesson picker (ui_picker.c): O, --pick, the desktop entry ------------------ */

struct scn_lessons;

/* Every lesson found (scenario/lesson.h) with its title and summary, and
 * "Open a file..." with a field to type a path into. The window owns one
 * while it is open and draws it over the frame. */
struct ui_picker {
    struct scn_lessons *ls;
    int sel;           /* 0 .. ls->n: a lesson, or ls->n for "Open a file..." */
    int top;           /* the first row shown (scrolling) */
    int shown;         /* how many rows the last draw had room for */
    bool typing;       /* the file name field has the keys */
    char text[1024];   /* what was typed */
    SDL_Rect rows[64]; /* where the last draw put rows top .. top + shown - 1 */
    unsigned min_px;   /* the smallest text of the last draw, in pixels */
};

enum ui_pick { UI_PICK_NONE, UI_PICK_REDRAW, UI_PICK_CLOSE, UI_PICK_LOAD };

/* Scan the lessons now (titles read from the files). Can't fail: with no
 * lessons, only "Open a file..." is offered. */
struct ui_picker *ui_picker_new(void);
/* Free it. NULL is a no-op. */
void ui_picker_free(struct ui_picker *p);
/* A key: Up / Down / Page Up / Page Down / Home / End choose, Enter opens
 * (LOAD, with *path the file, borrowed from p), Esc closes (or leaves the
 * file name field), a digit jumps to the lesson of that number. */
enum ui_pick ui_picker_key(struct ui_picker *p, SDL_Keycode k, const char **path);
/* Text typed (SDL_TEXTINPUT), into the file name field when it is open. */
enum ui_pick ui_picker_text(struct ui_picker *p, const char *utf8);
/* A click at (x, y) of the last frame: a row opens its lesson (or the file
 * name field); outside the box closes. */
enum ui_pick ui_picker_click(struct ui_picker *p, int x, int y, const char **path);
/* The mouse wheel: scroll by dy rows (negative: up). */
enum ui_pick ui_picker_wheel(struct ui_picker *p, int dy);
/* Draw the picker over whatever g holds (theme and zoom as the window's). */
void ui_picker_draw(struct ui_gfx *g, struct ui_picker *p, enum ui_theme theme, double zoom);

#endif
