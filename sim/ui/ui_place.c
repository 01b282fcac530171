/* ui_place.c -- automatic host positions by role and mail path (see
 * ui_place.h). */
#include "ui/ui_place.h"

#include <stdlib.h>
#include <string.h>

#include "core/ascii.h"
#include "core/common.h"

/* The panel as a grid of 5 columns and 4 rows. Hosts stand on the cells
 * whose column and row add up to an odd number, so no two are side by side
 * or one above the other (their labels cannot meet); the other cells are
 * used only when a scenario has more hosts than those ten. */
#define UI_PL_COLS 5
#define UI_PL_ROWS 4
static const double ui_place_x[UI_PL_COLS] = {0.05, 0.23, 0.5, 0.77, 0.95};
static const double ui_place_y[UI_PL_ROWS] = {0.07, 0.37, 0.65, 0.93};

static bool ui_place_is_device(enum scn_host_kind k)
{
    return k == SCN_HOST_PC || k == SCN_HOST_LAPTOP || k == SCN_HOST_PHONE || k == SCN_HOST_BROWSER;
}

/* The mail server serving the domain of addr, or SCN_NONE. */
static size_t ui_place_server_of(const struct scn_scenario *s, const char *addr)
{
    const char *at = addr ? strrchr(addr, '@') : NULL;
    if (!at) return SCN_NONE;
    for (size_t h = 0; h < s->n_hosts; h++) {
        const struct scn_host *H = &s->hosts[h];
        if (H->kind == SCN_HOST_MAIL_SERVER && H->mail.domain &&
            ascii_casecmp(H->mail.domain, at + 1) == 0)
            return h;
    }
    return SCN_NONE;
}

static void ui_place_rcpts(const struct scn_scenario *s, const struct scn_message *m, long *score)
{
    char **lists[3] = {m->to, m->cc, m->bcc};
    size_t ns[3] = {m->n_to, m->n_cc, m->n_bcc};
    for (int l = 0; l < 3; l++)
        for (size_t i = 0; i < ns[l]; i++) {
            size_t h = ui_place_server_of(s, lists[l][i]);
            if (h != SCN_NONE) score[h] += 1;
        }
}

void ui_place_sides(const struct scn_scenario *s, int *side)
{
    size_t n = s->n_hosts;
    long *score = ms_xcalloc(n + 1, sizeof *score);
    /* Senders' servers lean left, recipients' servers and the servers
     * people read mail from lean right. */
    for (size_t i = 0; i < s->n_timeline; i++) {
        const struct scn_action *a = &s->timeline[i];
        if (a->kind == SCN_ACT_SEND) {
            if (a->u.send.from_server < n) score[a->u.send.from_server] -= 2;
            ui_place_rcpts(s, &a->u.send.msg, score);
        } else if (a->kind == SCN_ACT_CHECK_MAIL && a->u.check.server < n) {
            score[a->u.check.server] += 1;
        } else if (a->kind == SCN_ACT_WEBMAIL && a->u.webmail.server < n) {
            if (a->u.webmail.op == SCN_WEBMAIL_SEND) {
                score[a->u.webmail.server] -= 2;
                ui_place_rcpts(s, &a->u.webmail.msg, score);
            } else {
                score[a->u.webmail.server] += 1;
            }
        }
    }
    int next = -1; /* servers with no traffic alternate, the first on the left */
    for (size_t h = 0; h < n; h++) {
        enum scn_host_kind k = s->hosts[h].kind;
        if (k != SCN_HOST_MAIL_SERVER) {
            side[h] = 0;
            continue;
        }
        if (score[h] < 0) {
            side[h] = -1;
        } else if (score[h] > 0) {
            side[h] = 1;
        } else {
            side[h] = next;
            next = -next;
        }
    }
    /* Every server leaning one way (all of them receive, say): the half that
     * leans least goes to the other side, so neither side holds every
     * server, its devices and their mailbox cards while the other stands
     * empty. Ties go by host order. */
    size_t n_left = 0, n_right = 0;
    for (size_t h = 0; h < n; h++) {
        if (s->hosts[h].kind != SCN_HOST_MAIL_SERVER) continue;
        n_left += side[h] < 0;
        n_right += side[h] > 0;
    }
    if ((n_left == 0) != (n_right == 0) && n_left + n_right >= 2) {
        int from = n_left ? -1 : 1;
        for (size_t moved = 0; moved < (n_left + n_right) / 2; moved++) {
            size_t pick = SCN_NONE;
            for (size_t h = 0; h < n; h++) {
                if (s->hosts[h].kind != SCN_HOST_MAIL_SERVER || side[h] != from) continue;
                /* right to left: the lowest score; left to right: the highest */
                if (pick == SCN_NONE ||
                    (from > 0 ? score[h] < score[pick] : score[h] > score[pick]))
                    pick = h;
            }
            side[pick] = -from;
        }
    }
    /* A device stands on its owner's server's side; else beside the server
     * it is linked to; else by what it does (sending left, reading right). */
    long *dev = ms_xcalloc(n + 1, sizeof *dev);
    for (size_t i = 0; i < s->n_timeline; i++) {
        const struct scn_action *a = &s->timeline[i];
        if (a->kind == SCN_ACT_SEND && a->u.send.device < n) dev[a->u.send.device] -= 1;
        if (a->kind == SCN_ACT_CHECK_MAIL && a->u.check.device < n) dev[a->u.check.device] += 1;
        if (a->kind == SCN_ACT_WEBMAIL && a->u.webmail.device < n) dev[a->u.webmail.device] += 1;
    }
    for (size_t h = 0; h < n; h++) {
        const struct scn_host *H = &s->hosts[h];
        if (!ui_place_is_device(H->kind)) continue;
        int sd = 0;
        if (H->owner_server < n) sd = side[H->owner_server];
        for (size_t l = 0; l < s->n_links && sd == 0; l++) {
            const struct scn_link *L = &s->links[l];
            size_t o = L->a == h ? L->b : L->b == h ? L->a : SCN_NONE;
            if (o != SCN_NONE && s->hosts[o].kind == SCN_HOST_MAIL_SERVER) sd = side[o];
        }
        if (sd == 0) sd = dev[h] > 0 ? 1 : -1;
        side[h] = sd;
    }
    /* One side empty (a single server, say) while the other holds two
     * devices or more: the half of them that send most stand on the empty
     * side, so their names and mailbox cards do not crowd one half of the
     * panel. */
    size_t on[3] = {0, 0, 0}, devs[3] = {0, 0, 0}; /* by side + 1 */
    for (size_t h = 0; h < n; h++) {
        if (side[h] == 0) continue;
        on[side[h] + 1]++;
        devs[side[h] + 1] += ui_place_is_device(s->hosts[h].kind);
    }
    for (int full = -1; full <= 1; full += 2) {
        if (on[1 - full] != 0 || devs[full + 1] < 2) continue;
        for (size_t moved = 0; moved < devs[full + 1] / 2; moved++) {
            size_t pick = SCN_NONE;
            for (size_t h = 0; h < n; h++) {
                if (!ui_place_is_device(s->hosts[h].kind) || side[h] != full) continue;
                /* to the left: the one that sends most; to the right: reads most */
                if (pick == SCN_NONE || (full > 0 ? dev[h] < dev[pick] : dev[h] > dev[pick]))
                    pick = h;
            }
            side[pick] = -full;
        }
    }
    free(dev);
    free(score);
}

struct ui_place_cell {
    signed char c, r;
};

/* Preferred cells of each role, best first, for the left side (the right
 * side mirrors the column). */
static const struct ui_place_cell ui_place_pref_server[] = {{1, 0}, {1, 2}, {0, 1}, {2, 0}, {0, 0}};
static const struct ui_place_cell ui_place_pref_router[] = {{2, 1}, {3, 0}, {1, 0}, {2, 2}};
static const struct ui_place_cell ui_place_pref_device[] = {{0, 3}, {0, 1}, {1, 2}, {0, 2}, {1, 3}};

/* Take the first free cell of prefs (mirrored when right), else the free
 * cell nearest to the first preference (odd cells first). */
static void ui_place_take(bool taken[UI_PL_ROWS][UI_PL_COLS], const struct ui_place_cell *prefs,
                          size_t np, bool right, double *x, double *y)
{
    for (size_t i = 0; i < np; i++) {
        int c = right ? UI_PL_COLS - 1 - prefs[i].c : prefs[i].c, r = prefs[i].r;
        if (!taken[r][c]) {
            taken[r][c] = true;
            *x = ui_place_x[c];
            *y = ui_place_y[r];
            return;
        }
    }
    int c0 = right ? UI_PL_COLS - 1 - prefs[0].c : prefs[0].c, r0 = prefs[0].r;
    int best_c = -1, best_r = -1, best = 1 << 30;
    for (int r = 0; r < UI_PL_ROWS; r++)
        for (int c = 0; c < UI_PL_COLS; c++) {
            if (taken[r][c]) continue;
            int d = (c - c0) * (c - c0) + (r - r0) * (r - r0) + ((c + r) % 2 ? 0 : 100);
            if (d < best) {
                best = d;
                best_c = c;
                best_r = r;
            }
        }
    if (best_c < 0) { /* a full grid: more than 20 hosts share the centre */
        *x = 0.5;
        *y = 0.5;
        return;
    }
    taken[best_r][best_c] = true;
    *x = ui_place_x[best_c];
    *y = ui_place_y[best_r];
}

#define UI_PL_N(a) (sizeof(a) / sizeof((a)[0]))

void ui_place_hosts(const struct scn_scenario *s, double *x, double *y)
{
    size_t n = s->n_hosts;
    if (n == 0) return;
    int *side = ms_xcalloc(n, sizeof *side);
    ui_place_sides(s, side);
    bool taken[UI_PL_ROWS][UI_PL_COLS];
    memset(taken, 0, sizeof taken);
    /* Servers, then the routers of the Internet, then DNS and web servers,
     * then the user agents near their own servers. */
    for (size_t h = 0; h < n; h++)
        if (s->hosts[h].kind == SCN_HOST_MAIL_SERVER)
            ui_place_take(taken, ui_place_pref_server, UI_PL_N(ui_place_pref_server), side[h] > 0,
                          &x[h], &y[h]);
    for (size_t h = 0; h < n; h++)
        if (s->hosts[h].kind == SCN_HOST_ROUTER)
            ui_place_take(taken, ui_place_pref_router, UI_PL_N(ui_place_pref_router), false, &x[h],
                          &y[h]);
    /* DNS and web servers share the bottom of the middle, between the two
     * sides' devices (two long names fit side by side there, not on the
     * grid's narrower cells). */
    size_t bottom = 0, b = 0;
    for (size_t h = 0; h < n; h++)
        bottom += s->hosts[h].kind == SCN_HOST_DNS || s->hosts[h].kind == SCN_HOST_WEB_SERVER;
    if (bottom)
        taken[UI_PL_ROWS - 1][1] = taken[UI_PL_ROWS - 1][2] = taken[UI_PL_ROWS - 1][3] = true;
    for (size_t h = 0; h < n; h++) {
        if (s->hosts[h].kind != SCN_HOST_DNS && s->hosts[h].kind != SCN_HOST_WEB_SERVER) continue;
        double span = bottom == 2 ? 0.28 : 0.4;
        x[h] = bottom == 1 ? 0.5 : 0.5 - span / 2 + span * (double)b / (double)(bottom - 1);
        y[h] = ui_place_y[UI_PL_ROWS - 1] - (bottom > 2 && (b & 1) ? 0.26 : 0);
        b++;
    }
    for (size_t h = 0; h < n; h++)
        if (ui_place_is_device(s->hosts[h].kind))
            ui_place_take(taken, ui_place_pref_device, UI_PL_N(ui_place_pref_device), side[h] > 0,
                          &x[h], &y[h]);
    free(side);
}
