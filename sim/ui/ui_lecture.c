/* ui_lecture.c -- lecture features that are pure functions of the trace
 * (issue 9): the pending-event set at a step (the future-event view) and
 * the targets of "run until". */
#include <stdlib.h>
#include <string.h>

#include "core/dur.h"
#include "ui/ui_int.h"

const char *const ui_until_names[UI_UNTIL_COUNT] = {
    "the next retry", "the next delivery", "the next connection", "a simulated time",
    "a message's fate",
};

struct ui_pend {
    struct ui_timer t;
    size_t seq;     /* order of setting: ties keep it */
    uint32_t label; /* interned label (timer records), TRACE_NONE otherwise */
    uint32_t msg;   /* derived retries: the message, else 0 */
};

struct ui_pendset {
    struct ui_pend *a;
    size_t n, cap;
};

static struct ui_pend *ui_pend_push(struct ui_pendset *p)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 32;
        p->a = ms_xrealloc(p->a, p->cap * sizeof *p->a);
    }
    struct ui_pend *e = &p->a[p->n++];
    memset(e, 0, sizeof *e);
    e->seq = p->n;
    e->label = TRACE_NONE;
    return e;
}

static void ui_pend_remove(struct ui_pendset *p, size_t i)
{
    memmove(&p->a[i], &p->a[i + 1], (p->n - i - 1) * sizeof *p->a);
    p->n--;
}

static int ui_pend_cmp(const void *pa, const void *pb)
{
    const struct ui_pend *a = pa, *b = pb;
    if (a->t.due != b->t.due) return a->t.due < b->t.due ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* From TIMER_SET / TIMER_CANCELLED records before k. */
static void ui_future_timers(const struct ui_model *m, size_t k, struct ui_pendset *p)
{
    for (size_t i = 0; i < m->n_timers && m->timers[i] < k; i++) {
        const struct trace_rec *r = trace_get(m->tr, m->timers[i]);
        const struct trace_timer *tm = trace_body(r);
        if (r->kind == TR_TIMER_SET) {
            struct ui_pend *e = ui_pend_push(p);
            e->t.due = tm->due;
            e->t.host = tm->host;
            e->label = tm->label;
            snprintf(e->t.label, sizeof e->t.label, "%s", trace_str(m->tr, tm->label));
            continue;
        }
        for (size_t j = 0; j < p->n; j++) {
            if (p->a[j].t.due == tm->due && p->a[j].t.host == tm->host &&
                p->a[j].label == tm->label) {
                ui_pend_remove(p, j);
                break;
            }
        }
    }
}

/* Without timer records: retries from the message records, and the
 * scenario's actions still to come. */
static void ui_future_derived(const struct ui_model *m, size_t k, sim_us now,
                              struct ui_pendset *p)
{
    for (size_t i = 0; i < m->n_msgs && m->msgs[i] < k; i++) {
        const struct trace_rec *r = trace_get(m->tr, m->msgs[i]);
        const struct trace_msg *mg = trace_as_msg(r);
        if (r->kind == TR_MSG_ATTEMPT || r->kind == TR_MSG_DELIVERED ||
            r->kind == TR_MSG_BOUNCED || r->kind == TR_MSG_DEFERRED) {
            for (size_t j = 0; j < p->n; j++)
                if (p->a[j].msg == mg->msg && p->a[j].t.host == mg->host) ui_pend_remove(p, j--);
        }
        if (r->kind == TR_MSG_DEFERRED && mg->next_retry >= 0) {
            struct ui_pend *e = ui_pend_push(p);
            e->t.due = mg->next_retry;
            e->t.host = mg->host;
            e->msg = mg->msg;
            snprintf(e->t.label, sizeof e->t.label, "retry of message %u (attempt %u)", mg->msg,
                     mg->attempt + 1);
        }
    }
    const struct scn_scenario *s = m->scn;
    for (size_t i = 0; s && i < s->n_timeline; i++) {
        const struct scn_action *a = &s->timeline[i];
        if (a->at <= now || a->kind == SCN_ACT_NARRATE) continue;
        struct ui_pend *e = ui_pend_push(p);
        e->t.due = a->at;
        e->t.host = TRACE_NONE;
        const char *what = "";
        switch (a->kind) {
        case SCN_ACT_HOST_DOWN:
        case SCN_ACT_HOST_UP:
            if (a->u.host < s->n_hosts) what = s->hosts[a->u.host].name;
            break;
        case SCN_ACT_SEND:
            what = a->u.send.from;
            break;
        default:
            break;
        }
        snprintf(e->t.label, sizeof e->t.label, "scenario: %s%s%s",
                 scn_action_kind_names[a->kind], what && *what ? " " : "", what ? what : "");
    }
}

size_t ui_future_at(const struct ui_model *m, size_t k, struct ui_timer *out, size_t max)
{
    if (k > m->n) k = m->n;
    sim_us now = k ? trace_get(m->tr, k - 1)->t : -1;
    struct ui_pendset p = {NULL, 0, 0};
    if (m->n_timers)
        ui_future_timers(m, k, &p);
    else
        ui_future_derived(m, k, now, &p);
    size_t w = 0;
    for (size_t i = 0; i < p.n; i++)
        if (p.a[i].t.due > now) p.a[w++] = p.a[i]; /* the rest have fired */
    p.n = w;
    if (p.n > 1) qsort(p.a, p.n, sizeof *p.a, ui_pend_cmp);
    size_t n = p.n < max ? p.n : max;
    for (size_t i = 0; i < n; i++)
        out[i] = p.a[i].t;
    free(p.a);
    return n;
}

/* ---- run until ------------------------------------------------------------------ */

static bool ui_until_match(const struct trace_rec *r, enum ui_until what, int64_t arg)
{
    const struct trace_msg *mg = trace_as_msg(r);
    switch (what) {
    case UI_UNTIL_RETRY:
        return r->kind == TR_MSG_ATTEMPT && mg->attempt >= 2;
    case UI_UNTIL_DELIVERY:
        return r->kind == TR_MSG_DELIVERED;
    case UI_UNTIL_CONNECTION:
        return r->kind == TR_CONN_OPENED;
    case UI_UNTIL_FATE:
        return (r->kind == TR_MSG_DELIVERED || r->kind == TR_MSG_BOUNCED) &&
               (int64_t)mg->msg == arg;
    case UI_UNTIL_TIME:
    case UI_UNTIL_COUNT:
        break;
    }
    return false;
}

size_t ui_until_step(const struct ui_model *m, size_t from, enum ui_until what, int64_t arg)
{
    if (from > m->n) from = m->n;
    if (what == UI_UNTIL_TIME) {
        size_t k = trace_upper_bound(m->tr, arg);
        return k > from ? k : from;
    }
    if (what == UI_UNTIL_RETRY || what == UI_UNTIL_DELIVERY || what == UI_UNTIL_FATE) {
        for (size_t i = ui_lower(m->msgs, m->n_msgs, from); i < m->n_msgs; i++)
            if (ui_until_match(trace_get(m->tr, m->msgs[i]), what, arg)) return m->msgs[i] + 1;
        return from;
    }
    for (size_t i = from; i < m->n; i++)
        if (ui_until_match(trace_get(m->tr, i), what, arg)) return i + 1;
    return from;
}

bool ui_view_run_until(struct ui_view *v, const struct ui_model *m, enum ui_until what,
                       int64_t arg)
{
    size_t k = ui_until_step(m, v->step, what, arg);
    if (k == v->step) return false;
    v->playing = false;
    ui_view_seek(v, m, k);
    return true;
}

/* ---- the run-until menu ----------------------------------------------------------- */

void ui_until_menu_open(struct ui_view *v)
{
    v->overlay = UI_OV_UNTIL;
    v->until_text[0] = '\0';
}

void ui_until_menu_text(struct ui_view *v, const char *text)
{
    size_t n = strlen(v->until_text);
    for (const char *c = text; *c; c++) {
        if (*c == '\b') {
            if (n) v->until_text[--n] = '\0';
            continue;
        }
        /* Digits 1..3 pick the targets that need nothing typed. */
        bool noarg = v->until_sel != UI_UNTIL_TIME && v->until_sel != UI_UNTIL_FATE;
        if (noarg && n == 0 && *c >= '1' && *c <= '0' + UI_UNTIL_COUNT) {
            v->until_sel = *c - '1';
            continue;
        }
        bool ok = (*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'z') || *c == '.';
        if (ok && n + 1 < sizeof v->until_text) {
            v->until_text[n++] = *c;
            v->until_text[n] = '\0';
        }
    }
}

void ui_until_menu_move(struct ui_view *v, int dir)
{
    v->until_sel = (v->until_sel + (dir > 0 ? 1 : UI_UNTIL_COUNT - 1)) % UI_UNTIL_COUNT;
}

bool ui_until_menu_run(struct ui_view *v, const struct ui_model *m)
{
    int64_t arg = 0;
    enum ui_until what = (enum ui_until)v->until_sel;
    if (what == UI_UNTIL_TIME) {
        char err[128];
        sim_us t;
        if (!dur_parse(v->until_text, strlen(v->until_text), &t, err, sizeof err)) return false;
        arg = t;
    } else if (what == UI_UNTIL_FATE) {
        char *end;
        unsigned long long n = strtoull(v->until_text, &end, 10);
        if (!v->until_text[0] || *end || n == 0 || n > UINT32_MAX) return false;
        arg = (int64_t)n;
    }
    v->overlay = UI_OV_NONE;
    return ui_view_run_until(v, m, what, arg);
}

/* ---- pinned mailboxes and queues -------------------------------------------------- */

size_t ui_pin_candidates(const struct ui_model *m, struct ui_pin *out, size_t max)
{
    struct ui_state st;
    ui_state_init(m, &st);
    ui_model_state(m, m->n, &st); /* mailboxes never disappear from the state */
    size_t n = 0;
    for (size_t i = 0; i < st.n_mb; i++, n++)
        if (n < max) out[n] = (struct ui_pin){st.mb[i].host, st.mb[i].user, st.mb[i].folder};
    ui_state_free(&st);
    for (size_t h = 0; h < m->nh; h++) {
        if (m->hosts[h].kind != UI_HK_SERVER) continue;
        if (n < max) out[n] = (struct ui_pin){(uint32_t)h, TRACE_NONE, TRACE_NONE};
        n++;
    }
    return n;
}

void ui_pin_label(const struct ui_model *m, const struct ui_pin *p, char *buf, size_t len)
{
    if (p->user == TRACE_NONE)
        snprintf(buf, len, "queue of %s", trace_host_name(m->tr, p->host));
    else
        snprintf(buf, len, "%s %s on %s", trace_str(m->tr, p->user), trace_str(m->tr, p->folder),
                 trace_host_name(m->tr, p->host));
}

bool ui_view_pin_toggle(struct ui_view *v, const struct ui_pin *p)
{
    for (size_t i = 0; i < v->n_pins; i++) {
        const struct ui_pin *q = &v->pins[i];
        if (q->host == p->host && q->user == p->user && q->folder == p->folder) {
            memmove(&v->pins[i], &v->pins[i + 1], (v->n_pins - i - 1) * sizeof *v->pins);
            v->n_pins--;
            return true;
        }
    }
    if (v->n_pins >= UI_MAX_PINS) return false;
    v->pins[v->n_pins++] = *p;
    return true;
}
