/* ui_lecture.c -- lecture features that are pure functions of the trace:
 * the pending-event set at a step (the future-event view) and
 * the targets of "run until". */
#include <stdlib.h>
#include <string.h>

#include "core/dur.h"
#include "ui/ui_int.h"

const char *const ui_until_names[UI_UNTIL_COUNT] = {
    "the next retry",   "the next delivery", "the next connection",
    "a simulated time", "a message's fate",
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

/* One timer set or cancelled: a cancel removes the earliest pending set of
 * the same due time, host and label. */
static void ui_future_timer(const struct ui_model *m, enum trace_kind kind,
                            const struct trace_timer *tm, struct ui_pendset *p)
{
    if (kind == TR_TIMER_SET) {
        struct ui_pend *e = ui_pend_push(p);
        e->t.due = tm->due;
        e->t.host = tm->host;
        e->label = tm->label;
        snprintf(e->t.label, sizeof e->t.label, "%s", trace_str(m->tr, tm->label));
        return;
    }
    for (size_t j = 0; j < p->n; j++) {
        if (p->a[j].t.due == tm->due && p->a[j].t.host == tm->host && p->a[j].label == tm->label) {
            ui_pend_remove(p, j);
            return;
        }
    }
}

/* From TIMER_SET / TIMER_CANCELLED records before k, or from the timer
 * notes kept beside the records (the window's runs): those that came after
 * fewer than k records and no later than now. */
static void ui_future_timers(const struct ui_model *m, size_t k, sim_us now, struct ui_pendset *p)
{
    for (size_t i = 0; i < m->n_timers && m->timers[i] < k; i++) {
        const struct trace_rec *r = trace_get(m->tr, m->timers[i]);
        ui_future_timer(m, r->kind, trace_body(r), p);
    }
    size_t nn = trace_timer_note_count(m->tr);
    for (size_t i = 0; i < nn; i++) {
        const struct trace_timer_note *nt = trace_timer_note_get(m->tr, i);
        if (nt->before > k || nt->t > now) break;
        ui_future_timer(m, nt->kind, &nt->timer, p);
    }
}

/* Without timer records: retries from the message records, and the
 * scenario's actions still to come. */
static void ui_future_derived(const struct ui_model *m, size_t k, sim_us now, struct ui_pendset *p)
{
    for (size_t i = 0; i < m->n_msgs && m->msgs[i] < k; i++) {
        const struct trace_rec *r = trace_get(m->tr, m->msgs[i]);
        const struct trace_msg *mg = trace_as_msg(r);
        if (r->kind == TR_MSG_ATTEMPT || r->kind == TR_MSG_DELIVERED || r->kind == TR_MSG_BOUNCED ||
            r->kind == TR_MSG_DEFERRED || r->kind == TR_MSG_NOT_SENT) {
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
        scn_action_describe(s, a, e->t.label, sizeof e->t.label);
    }
}

size_t ui_future_at(const struct ui_model *m, size_t k, struct ui_timer *out, size_t max)
{
    if (k > m->n) k = m->n;
    sim_us now = k ? trace_get(m->tr, k - 1)->t : -1;
    struct ui_pendset p = {NULL, 0, 0};
    if (m->n_timers || trace_timer_note_count(m->tr))
        ui_future_timers(m, k, now, &p);
    else
        ui_future_derived(m, k, now, &p);
    size_t w = 0;
    for (size_t i = 0; i < p.n; i++)
        if (p.a[i].t.due > now) p.a[w++] = p.a[i]; /* the rest have fired */
    p.n = w;
    if (p.n > 1) qsort(p.a, p.n, sizeof *p.a, ui_pend_cmp);
    size_t n = p.n < max ? p.n : max;
    for (size_t i = 0; i < n; i++) out[i] = p.a[i].t;
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
        return (r->kind == TR_MSG_DELIVERED || r->kind == TR_MSG_BOUNCED ||
                r->kind == TR_MSG_NOT_SENT) &&
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

bool ui_view_run_until(struct ui_view *v, const struct ui_model *m, enum ui_until what, int64_t arg)
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

/* ---- sliders -------------------------------------------------------------------- */

#define MIN_US (60 * SIM_US_PER_S)
#define HOUR_US (60 * MIN_US)
#define DAY_US (24 * HOUR_US)

static const int64_t ui_scale_latency[] = {1 * SIM_US_PER_MS,   2 * SIM_US_PER_MS,
                                           5 * SIM_US_PER_MS,   10 * SIM_US_PER_MS,
                                           20 * SIM_US_PER_MS,  50 * SIM_US_PER_MS,
                                           100 * SIM_US_PER_MS, 200 * SIM_US_PER_MS,
                                           500 * SIM_US_PER_MS, 1000 * SIM_US_PER_MS,
                                           2000 * SIM_US_PER_MS};
static const int64_t ui_scale_loss[] = {0, 10, 20, 50, 100, 200, 300, 500};
static const int64_t ui_scale_retry[] = {1 * MIN_US,  5 * MIN_US,  10 * MIN_US, 15 * MIN_US,
                                         30 * MIN_US, 1 * HOUR_US, 2 * HOUR_US, 4 * HOUR_US};
static const int64_t ui_scale_give_up[] = {10 * MIN_US, 30 * MIN_US,  1 * HOUR_US, 2 * HOUR_US,
                                           4 * HOUR_US, 12 * HOUR_US, 1 * DAY_US,  2 * DAY_US,
                                           5 * DAY_US,  7 * DAY_US};

/* Whether host or link id (kind HOST_UP or LINK_UP) is up at time now:
 * as the file says, then as the timeline's downs and ups before now say. */
static bool ui_up_at(const struct scn_scenario *s, sim_us now, enum ui_ctl_kind kind, size_t id)
{
    bool host = kind == UI_CTL_HOST_UP;
    bool up = host ? s->hosts[id].up : s->links[id].up;
    for (size_t i = 0; i < s->n_timeline && s->timeline[i].at <= now; i++) {
        const struct scn_action *a = &s->timeline[i];
        enum scn_action_kind on = host ? SCN_ACT_HOST_UP : SCN_ACT_LINK_UP;
        enum scn_action_kind off = host ? SCN_ACT_HOST_DOWN : SCN_ACT_LINK_DOWN;
        if ((a->kind == on || a->kind == off) && (host ? a->u.host : a->u.link) == id)
            up = a->kind == on;
    }
    return up;
}

size_t ui_controls(const struct scn_scenario *s, sim_us now, struct ui_ctl *out, size_t max)
{
    size_t n = 0;
    if (!s) return 0;
    for (size_t l = 0; l < s->n_links; l++) {
        const struct scn_link *k = &s->links[l];
        int64_t lat = k->latency, loss = (int64_t)(k->loss * 1000.0 + 0.5);
        for (size_t i = 0; i < s->n_timeline && s->timeline[i].at <= now; i++) {
            const struct scn_action *a = &s->timeline[i];
            if (a->kind != SCN_ACT_LINK_SET || a->u.link_set.link != l) continue;
            if (a->u.link_set.has_latency) lat = a->u.link_set.latency;
            if (a->u.link_set.has_loss) loss = (int64_t)(a->u.link_set.loss * 1000.0 + 0.5);
        }
        const char *na = s->hosts[k->a].name, *nb = s->hosts[k->b].name;
        for (int w = 0; w < 2; w++, n++) {
            if (n >= max) continue;
            out[n].kind = w ? UI_CTL_LOSS : UI_CTL_LATENCY;
            out[n].id = l;
            out[n].value = w ? loss : lat;
            snprintf(out[n].name, sizeof out[n].name, "%s of %s - %s", w ? "loss" : "latency", na,
                     nb);
        }
    }
    for (size_t h = 0; h < s->n_hosts; h++) {
        if (s->hosts[h].kind != SCN_HOST_MAIL_SERVER) continue;
        int64_t retry = s->hosts[h].mail.retry_interval, give = s->hosts[h].mail.give_up;
        for (size_t i = 0; i < s->n_timeline && s->timeline[i].at <= now; i++) {
            const struct scn_action *a = &s->timeline[i];
            if (a->kind != SCN_ACT_SERVER_SET || a->u.server_set.host != h) continue;
            if (a->u.server_set.has_retry_interval) retry = a->u.server_set.retry_interval;
            if (a->u.server_set.has_give_up) give = a->u.server_set.give_up;
        }
        for (int w = 0; w < 2; w++, n++) {
            if (n >= max) continue;
            out[n].kind = w ? UI_CTL_GIVE_UP : UI_CTL_RETRY;
            out[n].id = h;
            out[n].value = w ? give : retry;
            snprintf(out[n].name, sizeof out[n].name, "%s of %s",
                     w ? "give-up time" : "retry interval", s->hosts[h].name);
        }
    }
    for (size_t h = 0; h < s->n_hosts; h++, n++) {
        if (n >= max) continue;
        out[n].kind = UI_CTL_HOST_UP;
        out[n].id = h;
        out[n].value = ui_up_at(s, now, UI_CTL_HOST_UP, h);
        snprintf(out[n].name, sizeof out[n].name, "host %s", s->hosts[h].name);
    }
    for (size_t l = 0; l < s->n_links; l++, n++) {
        if (n >= max) continue;
        out[n].kind = UI_CTL_LINK_UP;
        out[n].id = l;
        out[n].value = ui_up_at(s, now, UI_CTL_LINK_UP, l);
        snprintf(out[n].name, sizeof out[n].name, "link %s - %s", s->hosts[s->links[l].a].name,
                 s->hosts[s->links[l].b].name);
    }
    return n;
}

int64_t ui_ctl_step(enum ui_ctl_kind kind, int64_t value, int dir)
{
    const int64_t *sc;
    size_t n;
    if (kind == UI_CTL_HOST_UP || kind == UI_CTL_LINK_UP) return !value;
    switch (kind) {
    case UI_CTL_LATENCY:
        sc = ui_scale_latency, n = MS_ARRAY_LEN(ui_scale_latency);
        break;
    case UI_CTL_LOSS:
        sc = ui_scale_loss, n = MS_ARRAY_LEN(ui_scale_loss);
        break;
    case UI_CTL_RETRY:
        sc = ui_scale_retry, n = MS_ARRAY_LEN(ui_scale_retry);
        break;
    default:
        sc = ui_scale_give_up, n = MS_ARRAY_LEN(ui_scale_give_up);
        break;
    }
    if (dir > 0) {
        for (size_t i = 0; i < n; i++)
            if (sc[i] > value) return sc[i];
        return value;
    }
    for (size_t i = n; i-- > 0;)
        if (sc[i] < value) return sc[i];
    return value;
}

void ui_ctl_format(enum ui_ctl_kind kind, int64_t value, char *buf, size_t len)
{
    if (kind == UI_CTL_HOST_UP || kind == UI_CTL_LINK_UP) {
        snprintf(buf, len, "%s", value ? "up" : "down");
        return;
    }
    if (kind == UI_CTL_LOSS) {
        snprintf(buf, len, "%lld.%lld%%", (long long)(value / 10), (long long)(value % 10));
        return;
    }
    if (value < SIM_US_PER_S)
        snprintf(buf, len, "%lld ms", (long long)(value / SIM_US_PER_MS));
    else if (value < MIN_US)
        snprintf(buf, len, "%lld s", (long long)(value / SIM_US_PER_S));
    else if (value < HOUR_US)
        snprintf(buf, len, "%lld min", (long long)(value / MIN_US));
    else if (value < DAY_US)
        snprintf(buf, len, "%lld h", (long long)(value / HOUR_US));
    else
        snprintf(buf, len, "%lld d", (long long)(value / DAY_US));
}

void ui_ctl_action(const struct scn_scenario *s, const struct ui_ctl *c, int64_t value, sim_us at,
                   struct scn_action *a)
{
    memset(a, 0, sizeof *a);
    a->at = at < 0 ? 0 : at;
    if (c->kind == UI_CTL_HOST_UP) {
        a->kind = value ? SCN_ACT_HOST_UP : SCN_ACT_HOST_DOWN;
        a->u.host = c->id;
        return;
    }
    if (c->kind == UI_CTL_LINK_UP) {
        a->kind = value ? SCN_ACT_LINK_UP : SCN_ACT_LINK_DOWN;
        a->u.link = c->id;
        return;
    }
    if (c->kind == UI_CTL_LATENCY || c->kind == UI_CTL_LOSS) {
        a->kind = SCN_ACT_LINK_SET;
        a->u.link_set.link = c->id;
        if (c->kind == UI_CTL_LATENCY) {
            a->u.link_set.has_latency = true;
            a->u.link_set.latency = value;
        } else {
            a->u.link_set.has_loss = true;
            a->u.link_set.loss = (double)value / 1000.0;
        }
        return;
    }
    a->kind = SCN_ACT_SERVER_SET;
    a->u.server_set.host = c->id;
    struct ui_ctl all[256];
    size_t n = ui_controls(s, a->at, all, MS_ARRAY_LEN(all));
    int64_t retry = 0, give = 0;
    for (size_t i = 0; i < n && i < MS_ARRAY_LEN(all); i++) {
        if (all[i].id != c->id) continue;
        if (all[i].kind == UI_CTL_RETRY) retry = all[i].value;
        if (all[i].kind == UI_CTL_GIVE_UP) give = all[i].value;
    }
    if (c->kind == UI_CTL_RETRY) {
        a->u.server_set.has_retry_interval = true;
        a->u.server_set.retry_interval = value;
        if (give < value) { /* the model requires give-up >= interval */
            a->u.server_set.has_give_up = true;
            a->u.server_set.give_up = value;
        }
    } else {
        a->u.server_set.has_give_up = true;
        a->u.server_set.give_up = value < retry ? retry : value;
    }
}

void ui_model_set_variants(struct ui_model *m, const struct scn_variant *v, size_t n)
{
    m->variants = v;
    m->n_variants = v ? n : 0;
}
