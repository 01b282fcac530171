/* world.c -- build a world from a scenario and run it (see world.h). */
#include "mail/world_int.h"
#include "mail/world_live.h"
#include "mail/web_int.h"

#include "format/msg.h"
#include "mail/mq_check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>


/* Message-IDs, each kept once: a table from ID to message number (0: known,
 * not bound). The message -> Message-ID table (world_copy.c) points at the
 * same strings. One allocation per ID, not chunks: on a busy day these
 * small long-lived blocks fill holes glibc would otherwise merge and split
 * again (measured: chunks took more memory and malloc more time). Every
 * string is in the table or, once world_msgid_trim dropped it, in old. */
struct world_idmap {
    char **key;
    uint32_t *val;
    size_t cap, n;
    char **old;
    size_t nold, oldcap;
};

static void world_action(void *ctx, uint64_t arg);

#define WORLD_ACTION_LABEL "scenario action"

/* ---- the timeline, one action at a time ------------------------------------------ */

static int world_act_cmp(const void *pa, const void *pb, const void *ctx)
{
    const struct scn_scenario *s = ctx;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    if (s->timeline[a].at != s->timeline[b].at)
        return s->timeline[a].at < s->timeline[b].at ? -1 : 1;
    return a < b ? -1 : a > b;
}

/* Action indices in key order: time, then index (= queue sequence). An
 * insertion sort would be quadratic on a shuffled day: merge sort. */
static size_t *world_act_sort(const struct scn_scenario *s)
{
    size_t n = s->n_timeline;
    size_t *a = ms_xmalloc(n * sizeof *a), *tmp = ms_xmalloc(n * sizeof *tmp);
    for (size_t i = 0; i < n; i++) a[i] = i;
    for (size_t width = 1; width < n; width *= 2) {
        for (size_t lo = 0; lo < n; lo += 2 * width) {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi)
                tmp[k++] = world_act_cmp(&a[j], &a[i], s) < 0 ? a[j++] : a[i++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        size_t *t = a;
        a = tmp;
        tmp = t;
    }
    free(tmp);
    return a;
}

/* Queue the next action of the timeline (in time order), if any is left. */
static void world_act_queue_next(struct world *w)
{
    if (w->act_next >= w->s->n_timeline) return;
    size_t i = w->act_order ? w->act_order[w->act_next] : w->act_next;
    w->act_next++;
    evq_at_seq(w->q, w->s->timeline[i].at, w->act_seq + i, world_action, w, i, WORLD_ACTION_LABEL);
}

/* ---- trace helpers ------------------------------------------------------------ */

uint32_t world_msg_new(struct world *w)
{
    return ++w->next_msg;
}

void world_msg_trace(struct world *w, enum trace_kind kind, uint32_t msg, uint32_t host,
                     uint32_t peer, const char *sender, const char *rcpt, uint32_t attempt,
                     uint32_t code, sim_us next_retry, const char *text)
{
    world_msg_trace_facts(w, kind, msg, host, peer, sender, rcpt, attempt, code, next_retry, text,
                          NULL);
}

void world_msg_trace_facts(struct world *w, enum trace_kind kind, uint32_t msg, uint32_t host,
                           uint32_t peer, const char *sender, const char *rcpt, uint32_t attempt,
                           uint32_t code, sim_us next_retry, const char *text,
                           const struct world_msg_facts *facts)
{
    struct trace_msg m;
    memset(&m, 0, sizeof m);
    m.next_retry = next_retry;
    m.msg = msg;
    m.host = host;
    m.peer = peer;
    m.attempt = attempt;
    m.code = code;
    m.sender = sender ? trace_intern(w->tr, sender) : TRACE_NONE;
    m.rcpt = rcpt ? trace_intern(w->tr, rcpt) : TRACE_NONE;
    m.msgid = world_msgid_trace(w, msg);
    if (facts) {
        m.body_hash = facts->body_hash;
        m.dsn = facts->dsn;
        m.flags = facts->gave_up ? TRACE_MF_GAVE_UP : 0;
    }
    trace_add_msg(w->tr, evq_now(w->q), kind, &m, text);
}


void world_trace_log(struct world *w, struct line_log *g, uint32_t conn, uint32_t host,
                     uint32_t peer, char side, const char *proto)
{
    struct line_fact f;
    char other = side == 'C' ? 'S' : 'C';
    while (line_log_next(g, &f)) {
        if (f.kind == LINE_FACT_STATE) continue;
        struct trace_line_facts tf = {f.verb, f.code, 0, f.ext};
        if (f.flags & LINE_F_DATA) tf.flags |= TRACE_LF_DATA;
        if (f.flags & LINE_F_OK) tf.flags |= TRACE_LF_OK;
        if (f.flags & LINE_F_ERR) tf.flags |= TRACE_LF_ERR;
        if (f.flags & LINE_F_DATA_END) tf.flags |= TRACE_LF_DATA_END;
        if (f.flags & LINE_F_CONT) tf.flags |= TRACE_LF_CONT;
        if (f.flags & LINE_F_TLS_START) tf.flags |= TRACE_LF_TLS_START;
        if (f.flags & LINE_F_TLS) tf.flags |= TRACE_LF_TLS;
        if (w->live_tap && peer == w->live_peer) tf.flags |= w->live_tap(w->live_ctx, conn, &f);
        bool out = f.kind == LINE_FACT_OUT;
        trace_add_line_facts(w->tr, evq_now(w->q), out ? TR_LINE_SENT : TR_LINE_RECEIVED, conn,
                             host, peer, out ? side : other, proto, f.from, f.to, &tf, f.bytes,
                             f.len);
    }
}


/* ---- Message-ID map ------------------------------------------------------------ */

static uint64_t world_idmap_hash(const char *s, size_t len)
{
    return mq_check_hash(s, len);
}

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t world_idmap_slot(const struct world_idmap *m, const char *key, size_t len)
{
    size_t i = (size_t)(world_idmap_hash(key, len) & (m->cap - 1));
    while (m->key[i] && strcmp(m->key[i], key) != 0) i = (i + 1) & (m->cap - 1);
    return i;
}

static void world_idmap_grow(struct world_idmap *m)
{
    struct world_idmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->key = ms_xcalloc(m->cap, sizeof *m->key);
    m->val = ms_xcalloc(m->cap, sizeof *m->val);
    for (size_t i = 0; i < old.cap; i++) {
        if (!old.key[i]) continue;
        size_t j = world_idmap_slot(m, old.key[i], strlen(old.key[i]));
        m->key[j] = old.key[i];
        m->val[j] = old.val[i];
    }
    free(old.key);
    free(old.val);
}

/* The kept copy of key, added (unbound) when new; its slot in *slot. */
static const char *world_idmap_keep(struct world_idmap *m, const char *key, size_t *slot)
{
    if ((m->n + 1) * 2 > m->cap) world_idmap_grow(m);
    size_t len = strlen(key);
    size_t i = world_idmap_slot(m, key, len);
    if (!m->key[i]) {
        m->key[i] = ms_xmemdup(key, len);
        m->val[i] = 0;
        m->n++;
    }
    *slot = i;
    return m->key[i];
}

static void world_idmap_put(struct world_idmap *m, const char *key, uint32_t val)
{
    size_t i;
    (void)world_idmap_keep(m, key, &i);
    m->val[i] = val;
}

static bool world_idmap_get(const struct world_idmap *m, const char *key, uint32_t *val)
{
    if (!m->cap) return false;
    size_t i = world_idmap_slot(m, key, strlen(key));
    if (!m->key[i] || !m->val[i]) return false;
    *val = m->val[i];
    return true;
}

const char *world_msgid_keep(struct world *w, const char *id)
{
    size_t i;
    return world_idmap_keep(w->ids, id, &i);
}

void world_msgid_register(struct world *w, const char *data, size_t len, uint32_t msg)
{
    struct msg_split sp;
    msg_split(data, len, &sp);
    char *id = msg_header_get(data, sp.hdr_len, "Message-ID", NULL);
    if (id) world_idmap_put(w->ids, id, msg);
    free(id);
}

uint32_t world_msgid_find(struct world *w, const char *data, size_t len)
{
    struct msg_split sp;
    msg_split(data, len, &sp);
    char *id = msg_header_get(data, sp.hdr_len, "Message-ID", NULL);
    uint32_t v = 0;
    if (id && !world_idmap_get(w->ids, id, &v)) v = 0;
    free(id);
    return v;
}

uint32_t world_msgid_lookup(struct world *w, const char *data, size_t len)
{
    struct msg_split sp;
    msg_split(data, len, &sp);
    char *id = msg_header_get(data, sp.hdr_len, "Message-ID", NULL);
    uint32_t v;
    if (id && world_idmap_get(w->ids, id, &v)) {
        free(id);
        return v;
    }
    v = world_msg_new(w);
    if (id) world_idmap_put(w->ids, id, v);
    free(id);
    return v;
}

/* The table is dropped; the strings stay (the message -> Message-ID table
 * points at them) until the world is freed. */
size_t world_msgid_trim(struct world *w, size_t max)
{
    struct world_idmap *m = w->ids;
    if (m->n <= max) return m->n;
    for (size_t i = 0; i < m->cap; i++) {
        if (!m->key[i]) continue;
        if (m->nold == m->oldcap) {
            m->oldcap = m->oldcap ? m->oldcap * 2 : 1024;
            m->old = ms_xrealloc(m->old, m->oldcap * sizeof *m->old);
        }
        m->old[m->nold++] = m->key[i];
    }
    free(m->key);
    free(m->val);
    m->key = NULL;
    m->val = NULL;
    m->cap = m->n = 0;
    return 0;
}

static void world_idmap_free(struct world_idmap *m)
{
    if (!m) return;
    for (size_t i = 0; i < m->cap; i++) free(m->key[i]);
    free(m->key);
    free(m->val);
    for (size_t i = 0; i < m->nold; i++) free(m->old[i]);
    free(m->old);
    free(m);
}

/* ---- building ------------------------------------------------------------------- */

/* Record what the net reports, minus packets when asked (benchmarks). */
static void world_on_netev(void *ctx, sim_us t, const struct netev *ev)
{
    struct world *w = ctx;
    if (w->opts.no_net_trace) {
        switch (ev->kind) {
        case NETEV_HOST_NEW:
        case NETEV_LINK_NEW:
        case NETEV_HOST_UP:
        case NETEV_HOST_DOWN:
        case NETEV_LINK_UP:
        case NETEV_LINK_DOWN:
            break;
        default:
            return;
        }
    }
    trace_on_netev(w->tr, t, ev);
}

struct world *world_new(const struct scn_scenario *s, struct trace *tr,
                        const struct world_opts *opts, struct ms_error *err)
{
    struct world *w = ms_xcalloc(1, sizeof *w);
    w->s = s;
    w->tr = tr;
    if (opts) w->opts = *opts;
    w->q = evq_new();
    if (w->opts.timers) world_timers_attach(w);
    w->net = net_new(w->q, s->seed, NULL);
    w->ids = ms_xcalloc(1, sizeof *w->ids);
    net_set_observer(w->net, world_on_netev, w);
    w->mta = ms_xcalloc(s->n_hosts ? s->n_hosts : 1, sizeof *w->mta);
    w->ua = ms_xcalloc(s->n_hosts ? s->n_hosts : 1, sizeof *w->ua);
    for (size_t i = 0; i < s->n_hosts; i++) {
        const struct scn_host *h = &s->hosts[i];
        uint32_t id =
            host_add(w->net, h->name, h->has_ipv4 ? h->ipv4 : 0, h->kind == SCN_HOST_ROUTER, err);
        if (id != (uint32_t)i) {
            world_free(w);
            return NULL;
        }
    }
    for (size_t i = 0; i < s->n_links; i++) {
        const struct scn_link *l = &s->links[i];
        struct link_cfg lc;
        memset(&lc, 0, sizeof lc);
        lc.latency_us = l->latency;
        lc.bandwidth_bps = l->bandwidth_bps;
        lc.loss = l->loss;
        lc.mtu = l->mtu;
        lc.down = !l->up;
        if (link_add(w->net, (uint32_t)l->a, (uint32_t)l->b, &lc, err) == NET_NONE) {
            world_free(w);
            return NULL;
        }
    }
    world_dns_start(w);
    sim_us longest = 0;
    for (size_t i = 0; i < s->n_hosts; i++) {
        const struct scn_host *h = &s->hosts[i];
        if (h->kind == SCN_HOST_MAIL_SERVER) {
            w->mta[i] = mta_new(w, i);
            sim_us span = h->mail.give_up + 2 * h->mail.retry_interval;
            if (span > longest) longest = span;
        } else if (scn_host_kind_is_device(h->kind)) {
            w->ua[i] = ua_new(w, i);
        } else if (h->kind == SCN_HOST_WEB_SERVER) {
            world_web_start(w, i);
        }
    }
    for (size_t i = 0; i < s->n_hosts; i++)
        if (!s->hosts[i].up) host_set_up(w->net, (uint32_t)i, false);
    /* Each action keeps the queue sequence it had when the whole timeline
     * was queued here at once, so it runs among same-time events exactly
     * there; an observer (the future-event view) hears of every action now. */
    sim_us last = 0;
    w->act_seq = evq_reserve(w->q, s->n_timeline);
    for (size_t i = 0; i < s->n_timeline; i++) {
        const struct scn_action *a = &s->timeline[i];
        evq_announce(w->q, a->at, w->act_seq + i, world_action, w, i, WORLD_ACTION_LABEL);
        if (i > 0 && a->at < s->timeline[i - 1].at && !w->act_order)
            w->act_order = world_act_sort(s);
        if (a->at > last) last = a->at;
        if (a->kind == SCN_ACT_SERVER_SET && a->u.server_set.has_give_up &&
            a->u.server_set.give_up + 2 * SIM_US_PER_H > longest)
            longest = a->u.server_set.give_up + 2 * SIM_US_PER_H;
    }
    w->horizon = last + longest + SIM_US_PER_H;
    world_act_queue_next(w);
    return w;
}

void world_free(struct world *w)
{
    if (!w) return;
    /* The network first: it makes no callbacks while it goes, and the
     * applications then free what they still had open. */
    net_free(w->net);
    for (size_t i = 0; i < w->s->n_hosts; i++) {
        if (w->mta) mta_free(w->mta[i]);
        if (w->ua) ua_free(w->ua[i]);
    }
    world_web_free_all(w);
    world_dns_free(w);
    evq_free(w->q);
    free(w->act_order);
    free(w->live_marks);
    world_msgid_free_all(w);
    world_idmap_free(w->ids);
    free(w->mta);
    free(w->ua);
    free(w);
}

bool world_action_event(const struct world *w, const struct evq_info *ev, bool *shown, char *label,
                        size_t n)
{
    if (ev->fn != world_action || ev->ctx != w) return false;
    const struct scn_action *a = &w->s->timeline[ev->arg];
    *shown = a->kind != SCN_ACT_NARRATE;
    scn_action_describe(w->s, a, label, n);
    return true;
}

static void world_action(void *ctx, uint64_t arg)
{
    struct world *w = ctx;
    const struct scn_action *a = &w->s->timeline[arg];
    world_act_queue_next(w);
    switch (a->kind) {
    case SCN_ACT_SEND:
        if (w->ua[a->u.send.device]) ua_send(w->ua[a->u.send.device], &a->u.send, (size_t)arg);
        break;
    case SCN_ACT_CHECK_MAIL:
        if (w->ua[a->u.check.device]) ua_check_mail(w->ua[a->u.check.device], &a->u.check);
        break;
    case SCN_ACT_WEBMAIL:
        if (w->ua[a->u.webmail.device]) ua_webmail(w->ua[a->u.webmail.device], &a->u.webmail);
        break;
    case SCN_ACT_WEB_GET:
        if (w->ua[a->u.web_get.device]) ua_web_get(w->ua[a->u.web_get.device], &a->u.web_get);
        break;
    case SCN_ACT_HOST_DOWN:
    case SCN_ACT_HOST_UP: {
        bool up = a->kind == SCN_ACT_HOST_UP;
        host_set_up(w->net, (uint32_t)a->u.host, up);
        if (w->mta[a->u.host]) mta_host_up(w->mta[a->u.host], up);
        break;
    }
    case SCN_ACT_LINK_DOWN:
    case SCN_ACT_LINK_UP:
        link_set_up(w->net, (uint32_t)a->u.link, a->kind == SCN_ACT_LINK_UP);
        break;
    case SCN_ACT_LINK_SET: {
        const struct scn_link_set *ls = &a->u.link_set;
        const struct link_cfg *cur = link_get(w->net, (uint32_t)ls->link);
        if (!cur) break;
        /* The loader validated the values; link_change cannot refuse them. */
        link_change(w->net, (uint32_t)ls->link, ls->has_latency ? ls->latency : cur->latency_us,
                    ls->has_bandwidth ? ls->bandwidth_bps : cur->bandwidth_bps,
                    ls->has_loss ? ls->loss : cur->loss, NULL);
        break;
    }
    case SCN_ACT_SERVER_SET: {
        const struct scn_server_set *ss = &a->u.server_set;
        if (w->mta[ss->host])
            mta_set_queue(w->mta[ss->host], ss->has_retry_interval ? ss->retry_interval : 0,
                          ss->has_give_up ? ss->give_up : 0);
        break;
    }
    case SCN_ACT_NARRATE:
        trace_add_narration(w->tr, evq_now(w->q), TRACE_NONE, "%s", a->u.text);
        break;
    default:
        /* web pages and raw TCP belong to other parts */
        break;
    }
}

sim_us world_run(struct world *w, sim_us until)
{
    if (until == SIM_US_MAX || until > w->horizon) until = w->horizon;
    evq_run_due(w->q, until);
    return evq_now(w->q);
}

struct trace *world_simulate(const struct scn_scenario *s, bool timers_aside, struct ms_error *err)
{
    struct trace *tr = trace_new();
    trace_timers_aside(tr, timers_aside);
    struct world_opts o = {0};
    o.timers = timers_aside;
    struct world *w = world_new(s, tr, &o, err);
    if (!w) {
        trace_free(tr);
        return NULL;
    }
    world_run(w, SIM_US_MAX);
    world_free(w);
    return tr;
}

static int world_info_cmp(const void *pa, const void *pb)
{
    const struct evq_info *a = pa, *b = pb;
    if (a->t != b->t) return a->t < b->t ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

size_t world_pending(const struct world *w, struct evq_info *out, size_t max, size_t *total)
{
    /* The queue's events and the actions not yet queued. */
    size_t nq = evq_count(w->q), n = nq + (w->s->n_timeline - w->act_next);
    if (total) *total = n;
    struct evq_info *all = ms_xmalloc((n ? n : 1) * sizeof *all);
    size_t k = evq_snapshot(w->q, all, nq);
    for (size_t j = w->act_next; j < w->s->n_timeline; j++) {
        size_t i = w->act_order ? w->act_order[j] : j;
        sim_us t = w->s->timeline[i].at;
        uint64_t seq = w->act_seq + i;
        all[k++] =
            (struct evq_info){world_action, t, seq, {t, seq}, WORLD_ACTION_LABEL, (void *)w, i};
    }
    qsort(all, k, sizeof *all, world_info_cmp);
    if (k > max) k = max;
    if (k) memcpy(out, all, k * sizeof *out);
    free(all);
    return k;
}

/* ---- the invariant, from the trace ---------------------------------------------- */

size_t world_check(const struct trace *tr, const struct scn_scenario *s, sim_us end, char *report,
                   size_t cap, struct world_fates *fates)
{
    struct mq_check *c = mq_check_new(30 * SIM_US_PER_MIN, 5 * SIM_US_PER_DAY);
    for (size_t i = 0; i < s->n_hosts; i++) {
        if (s->hosts[i].kind != SCN_HOST_MAIL_SERVER) continue;
        /* A server_set action (the window's sliders) may change them during
         * the run: check against the shortest interval and the longest
         * give-up the server ever had. */
        sim_us retry = s->hosts[i].mail.retry_interval, give_up = s->hosts[i].mail.give_up;
        for (size_t k = 0; k < s->n_timeline; k++) {
            const struct scn_action *a = &s->timeline[k];
            if (a->kind != SCN_ACT_SERVER_SET || a->u.server_set.host != i) continue;
            if (a->u.server_set.has_retry_interval && a->u.server_set.retry_interval < retry)
                retry = a->u.server_set.retry_interval;
            if (a->u.server_set.has_give_up && a->u.server_set.give_up > give_up)
                give_up = a->u.server_set.give_up;
        }
        mq_check_host_cfg(c, (uint32_t)i, retry, give_up);
        if (s->hosts[i].mail.lenient_data) mq_check_host_lenient(c, (uint32_t)i);
    }
    /* Hosts down at the end of the run are exempt from "queued too long". */
    for (size_t k = 0; k < trace_count(tr); k++) {
        const struct trace_rec *r = trace_get(tr, k);
        if (r->kind != TR_HOST_DOWN && r->kind != TR_HOST_UP) continue;
        const struct trace_ref *h = trace_body(r);
        mq_check_host_down(c, h->id, r->kind == TR_HOST_DOWN);
    }
    /* Rule 3 from the wire: a server's 250 to the end of DATA acknowledges
     * what that server stored or queued since its previous one. */
    struct world_pend {
        uint32_t msg, rcpt;
    } **pend = ms_xcalloc(s->n_hosts + 1, sizeof *pend);
    size_t *npend = ms_xcalloc(s->n_hosts + 1, sizeof *npend);
    size_t messages = 0; /* composed records of one message are adjacent */
    uint32_t last_composed = 0;
    size_t n = trace_count(tr);
    for (size_t k = 0; k < n; k++) {
        const struct trace_rec *r = trace_get(tr, k);
        const struct trace_line *ln = trace_as_line(r);
        if (ln && r->kind == TR_LINE_SENT && ln->side == 'S' && ln->host < s->n_hosts &&
            (ln->flags & TRACE_LF_DATA_END)) {
            if (ln->code == 250) {
                if (npend[ln->host] == 0) mq_check_empty_ack(c, r->t, ln->host);
                for (size_t i = 0; i < npend[ln->host]; i++) {
                    struct mq_fate_rec f;
                    memset(&f, 0, sizeof f);
                    f.t = r->t;
                    f.kind = MQ_F_ACKED;
                    f.host = ln->host;
                    f.msg = pend[ln->host][i].msg;
                    f.rcpt = trace_str(tr, pend[ln->host][i].rcpt);
                    mq_check_feed(c, &f);
                }
                npend[ln->host] = 0;
            }
            continue;
        }
        const struct trace_msg *m = trace_as_msg(r);
        if (!m) continue;
        if (m->host < s->n_hosts &&
            (r->kind == TR_MSG_QUEUED || (r->kind == TR_MSG_DELIVERED && m->peer == TRACE_NONE))) {
            pend[m->host] = ms_xrealloc(pend[m->host], (npend[m->host] + 1) * sizeof **pend);
            pend[m->host][npend[m->host]].msg = m->msg;
            pend[m->host][npend[m->host]].rcpt = m->rcpt;
            npend[m->host]++;
        }
        bool device = m->host < s->n_hosts && scn_host_kind_is_device(s->hosts[m->host].kind);
        struct mq_fate_rec f;
        memset(&f, 0, sizeof f);
        f.t = r->t;
        f.host = m->host;
        f.msg = m->msg;
        f.rcpt = trace_str(tr, m->rcpt);
        f.sender = trace_str(tr, m->sender);
        switch ((enum trace_kind)r->kind) {
        case TR_MSG_COMPOSED:
            f.kind = MQ_F_COMPOSED;
            f.body_hash = m->body_hash;
            mq_check_feed(c, &f);
            if (m->msg != last_composed) messages++;
            last_composed = m->msg;
            if (device) {
                f.kind = MQ_F_QUEUED; /* the UA holds it until submitted */
                mq_check_feed(c, &f);
            }
            continue;
        case TR_MSG_SUBMITTED:
            f.kind = MQ_F_DEQUEUED;
            break;
        case TR_MSG_QUEUED:
            f.kind = MQ_F_QUEUED;
            break;
        case TR_MSG_ATTEMPT:
            f.kind = MQ_F_ATTEMPT;
            break;
        case TR_MSG_DEFERRED:
            f.kind = MQ_F_DEFERRED;
            break;
        case TR_MSG_DELIVERED:
            if (m->peer == TRACE_NONE) {
                f.kind = MQ_F_DELIVERED;
                f.body_hash = m->body_hash;
            } else {
                f.kind = MQ_F_DEQUEUED;
            }
            break;
        case TR_MSG_BOUNCED:
            if (device) {
                f.kind = MQ_F_REJECTED;
                mq_check_feed(c, &f);
                f.kind = MQ_F_DEQUEUED;
            } else {
                f.kind = MQ_F_BOUNCED;
                f.dsn = m->dsn;
                f.gave_up = (m->flags & TRACE_MF_GAVE_UP) != 0;
            }
            break;
        case TR_MSG_DUPLICATE:
            f.kind = MQ_F_LOST_REPLY;
            break;
        case TR_MSG_NOT_SENT: /* a user agent gave up: it never had custody */
            f.kind = MQ_F_REJECTED;
            mq_check_feed(c, &f);
            f.kind = MQ_F_DEQUEUED;
            break;
        default:
            continue;
        }
        mq_check_feed(c, &f);
    }
    for (size_t i = 0; i <= s->n_hosts; i++) free(pend[i]);
    free(pend);
    free(npend);
    size_t v = mq_check_finish(c, end, report, cap);
    if (fates) {
        struct mq_check_sum sum = mq_check_summary(c);
        memset(fates, 0, sizeof *fates);
        fates->composed = sum.pairs;
        fates->delivered = sum.delivered;
        fates->queued = sum.queued;
        fates->bounced = sum.bounced;
        fates->rejected = sum.rejected;
        fates->duplicates = sum.duplicates;
        fates->forged = sum.forged;
        fates->delivered_and_bounced = sum.delivered_and_bounced;
        fates->cut = sum.cut;
        fates->messages = messages;
    }
    mq_check_free(c);
    return v;
}
