/* ui_model_state.c -- the state at any step (hosts and links up or down,
 * queue lengths, mailbox counts, the narration and the protocol line of the
 * moment) from histories kept at load: for each host, link, queue and
 * mailbox, the records that changed it and the values they set. The state
 * after records [0, k) is, for each of them, the last change before k,
 * found by binary search: a seek reads no record, so it decodes no block of
 * the packed trace, and the histories take about 16 bytes a change instead
 * of keyframes that copy every mailbox. */
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"

/* The histories while the index is built: changes in record order, each
 * with the entity (host, link, mailbox) it changes; mailboxes get ids by a
 * hash of (host, user, folder), in the order they first change. */
struct ui_state_build {
    uint32_t *ent[UI_HIST_COUNT];
    struct ui_change *ch[UI_HIST_COUNT];
    size_t n[UI_HIST_COUNT], cap[UI_HIST_COUNT];
    struct ui_mbox_key *keys; /* mailbox id -> its names */
    size_t n_keys, cap_keys;
    uint32_t *slots; /* open addressing: mailbox id + 1, 0 = empty */
    size_t n_slots;
};

struct ui_state_build *ui_state_build_new(void)
{
    return ms_xcalloc(1, sizeof(struct ui_state_build));
}

static void ui_state_build_push(struct ui_state_build *b, enum ui_hist_kind h, uint32_t ent,
                                struct ui_change c)
{
    if (b->n[h] == b->cap[h]) {
        b->cap[h] = b->cap[h] ? 2 * b->cap[h] : 64;
        b->ent[h] = ms_xrealloc(b->ent[h], b->cap[h] * sizeof *b->ent[h]);
        b->ch[h] = ms_xrealloc(b->ch[h], b->cap[h] * sizeof *b->ch[h]);
    }
    b->ent[h][b->n[h]] = ent;
    b->ch[h][b->n[h]++] = c;
}

static uint64_t ui_mbox_hash(const struct ui_mbox_key *k)
{
    uint64_t h = ((uint64_t)k->host * 0x9E3779B97F4A7C15u) ^ k->user;
    h = (h * 0xBF58476D1CE4E5B9u) ^ k->folder;
    h *= 0x94D049BB133111EBu;
    return h ^ (h >> 31);
}

static uint32_t ui_mbox_id(struct ui_state_build *b, const struct ui_mbox_key *k)
{
    if (b->n_slots == 0 || (b->n_keys + 1) * 2 > b->n_slots) {
        size_t ns = b->n_slots ? 2 * b->n_slots : 64;
        free(b->slots);
        b->slots = ms_xcalloc(ns, sizeof *b->slots);
        b->n_slots = ns;
        for (size_t i = 0; i < b->n_keys; i++) {
            size_t s = ui_mbox_hash(&b->keys[i]) & (ns - 1);
            while (b->slots[s]) s = (s + 1) & (ns - 1);
            b->slots[s] = (uint32_t)i + 1;
        }
    }
    size_t mask = b->n_slots - 1, s = ui_mbox_hash(k) & mask;
    while (b->slots[s]) {
        const struct ui_mbox_key *o = &b->keys[b->slots[s] - 1];
        if (o->host == k->host && o->user == k->user && o->folder == k->folder)
            return b->slots[s] - 1;
        s = (s + 1) & mask;
    }
    if (b->n_keys == b->cap_keys) {
        b->cap_keys = b->cap_keys ? 2 * b->cap_keys : 64;
        b->keys = ms_xrealloc(b->keys, b->cap_keys * sizeof *b->keys);
    }
    b->keys[b->n_keys] = *k;
    b->slots[s] = (uint32_t)b->n_keys + 1;
    return (uint32_t)b->n_keys++;
}

void ui_state_build_add(struct ui_state_build *b, const struct ui_model *m, size_t i,
                        const struct trace_rec *r)
{
    const struct trace_ref *ref = trace_body(r);
    struct ui_change c = {0, (uint32_t)i, 0};
    switch ((enum trace_kind)r->kind) {
    case TR_HOST_UP:
    case TR_HOST_DOWN:
        c.a = r->kind == TR_HOST_DOWN;
        if (ref->id < m->nh) ui_state_build_push(b, UI_HIST_HOST, ref->id, c);
        break;
    case TR_LINK_UP:
    case TR_LINK_DOWN:
        c.a = r->kind == TR_LINK_DOWN;
        if (ref->id < m->nl) ui_state_build_push(b, UI_HIST_LINK, ref->id, c);
        break;
    case TR_QUEUE_CHANGED: {
        const struct trace_queue *q = trace_body(r);
        c.a = q->length;
        c.t = q->next_retry;
        if (q->host < m->nh) ui_state_build_push(b, UI_HIST_QUEUE, q->host, c);
        break;
    }
    case TR_MAILBOX_CHANGED: {
        const struct trace_mailbox *mb = trace_body(r);
        struct ui_mbox_key k = {mb->host, mb->user, mb->folder};
        c.a = mb->count;
        c.t = mb->unseen;
        ui_state_build_push(b, UI_HIST_MBOX, ui_mbox_id(b, &k), c);
        break;
    }
    default:
        break;
    }
}

/* Mailboxes in the state's order: by host, then user and folder by name. */
struct ui_mbox_sort {
    uint32_t host, id;
    const char *user, *folder;
};

static int ui_mbox_order_cmp(const void *pa, const void *pb)
{
    const struct ui_mbox_sort *a = pa, *b = pb;
    if (a->host != b->host) return a->host < b->host ? -1 : 1;
    int c = strcmp(a->user, b->user);
    return c ? c : strcmp(a->folder, b->folder);
}

void ui_state_build_end(struct ui_state_build *b, struct ui_model *m)
{
    size_t n_ent[UI_HIST_COUNT] = {m->nh, m->nl, m->nh, b->n_keys};
    for (int h = 0; h < UI_HIST_COUNT; h++) {
        /* Counting sort by entity; stable, so each entity's changes stay in
         * record order. */
        struct ui_hist *hi = &m->hist[h];
        hi->n_ent = n_ent[h];
        hi->off = ms_xcalloc(n_ent[h] + 2, sizeof *hi->off);
        hi->ch = ms_xmalloc((b->n[h] ? b->n[h] : 1) * sizeof *hi->ch);
        for (size_t i = 0; i < b->n[h]; i++) hi->off[b->ent[h][i] + 2]++;
        for (size_t e = 0; e < n_ent[h]; e++) hi->off[e + 2] += hi->off[e + 1];
        for (size_t i = 0; i < b->n[h]; i++) hi->ch[hi->off[b->ent[h][i] + 1]++] = b->ch[h][i];
        free(b->ent[h]);
        free(b->ch[h]);
    }
    m->mbox_keys =
        b->keys ? ms_xrealloc(b->keys, (b->n_keys ? b->n_keys : 1) * sizeof *b->keys) : NULL;
    m->n_mbox = b->n_keys;
    m->mbox_order = ms_xmalloc((m->n_mbox ? m->n_mbox : 1) * sizeof *m->mbox_order);
    struct ui_mbox_sort *srt = ms_xmalloc((m->n_mbox ? m->n_mbox : 1) * sizeof *srt);
    for (size_t i = 0; i < m->n_mbox; i++) {
        const struct ui_mbox_key *k = &m->mbox_keys[i];
        srt[i] = (struct ui_mbox_sort){k->host, (uint32_t)i, trace_str(m->tr, k->user),
                                       trace_str(m->tr, k->folder)};
    }
    qsort(srt, m->n_mbox, sizeof *srt, ui_mbox_order_cmp);
    for (size_t i = 0; i < m->n_mbox; i++) m->mbox_order[i] = srt[i].id;
    free(srt);
    free(b->slots);
    free(b);
}

void ui_state_hist_free(struct ui_model *m)
{
    for (int h = 0; h < UI_HIST_COUNT; h++) {
        free(m->hist[h].off);
        free(m->hist[h].ch);
    }
    free(m->mbox_keys);
    free(m->mbox_order);
}

size_t ui_state_hist_memory(const struct ui_model *m)
{
    size_t b = m->n_mbox * (sizeof *m->mbox_keys + sizeof *m->mbox_order);
    for (int h = 0; h < UI_HIST_COUNT; h++)
        b += (m->hist[h].n_ent + 2) * sizeof(uint32_t) +
             m->hist[h].off[m->hist[h].n_ent] * sizeof(struct ui_change);
    return b;
}

/* The last change of entity e before record k, or NULL. */
static const struct ui_change *ui_hist_at(const struct ui_hist *h, size_t e, size_t k)
{
    if (e >= h->n_ent) return NULL;
    size_t lo = h->off[e], hi = h->off[e + 1];
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (h->ch[mid].at < k)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > h->off[e] ? &h->ch[lo - 1] : NULL;
}

void ui_state_init(const struct ui_model *m, struct ui_state *st)
{
    memset(st, 0, sizeof *st);
    st->host_down = ms_xcalloc(m->nh + 1, 1);
    st->link_down = ms_xcalloc(m->nl + 1, 1);
    st->q_len = ms_xcalloc(m->nh + 1, sizeof *st->q_len);
    st->q_next = ms_xcalloc(m->nh + 1, sizeof *st->q_next);
    for (size_t i = 0; i < m->nh; i++) st->q_next[i] = -1;
}

void ui_state_free(struct ui_state *st)
{
    free(st->host_down);
    free(st->link_down);
    free(st->q_len);
    free(st->q_next);
    free(st->mb);
    memset(st, 0, sizeof *st);
}

/* The last of a (sorted records) before k, + 1; 0 when none. */
static size_t ui_last_before(const uint32_t *a, size_t n, size_t k)
{
    size_t p = ui_lower(a, n, k);
    return p ? (size_t)a[p - 1] + 1 : 0;
}

void ui_model_state(const struct ui_model *m, size_t k, struct ui_state *st)
{
    if (k > m->n) k = m->n;
    const struct ui_change *c;
    for (size_t h = 0; h < m->nh; h++) {
        c = ui_hist_at(&m->hist[UI_HIST_HOST], h, k);
        st->host_down[h] = c ? (uint8_t)c->a : 0;
        c = ui_hist_at(&m->hist[UI_HIST_QUEUE], h, k);
        st->q_len[h] = c ? c->a : 0;
        st->q_next[h] = c ? c->t : -1;
    }
    for (size_t l = 0; l < m->nl; l++) {
        c = ui_hist_at(&m->hist[UI_HIST_LINK], l, k);
        st->link_down[l] = c ? (uint8_t)c->a : 0;
    }
    if (st->cap_mb < m->n_mbox) {
        st->cap_mb = m->n_mbox;
        st->mb = ms_xrealloc(st->mb, st->cap_mb * sizeof *st->mb);
    }
    st->n_mb = 0;
    for (size_t i = 0; i < m->n_mbox; i++) {
        uint32_t id = m->mbox_order[i];
        c = ui_hist_at(&m->hist[UI_HIST_MBOX], id, k);
        if (!c) continue; /* not there yet */
        const struct ui_mbox_key *key = &m->mbox_keys[id];
        st->mb[st->n_mb++] =
            (struct ui_mbox){key->host, key->user, key->folder, c->a, (uint32_t)c->t};
    }
    st->narration = ui_last_before(m->narrs, m->n_narrs, k);
    st->last_line = ui_last_before(m->lines, m->n_lines, k);
}
