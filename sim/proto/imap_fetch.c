/* imap_fetch.c -- IMAP server: FETCH (RFC 3501 §6.4.5, §7.4.2), STORE (§6.4.6),
 * SEARCH (§6.4.4), COPY (§6.4.7), MOVE (RFC 6851), EXPUNGE (§6.4.3).
 * MIME structure comes from format/mime.h; headers from format/msg.h. */
#include "proto/imap_srv.h"
#include "core/ascii.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format/mime.h"
#include "format/msg.h"

#define IMAP_SEARCH_NODES 128
#define IMAP_SEARCH_DEPTH 32

static bool imap_parse_section(struct imap_cur *c, struct imap_fetch_item *it);
static bool imap_parse_fetch_att(struct imap_cur *c, struct imap_fetch_job *j);
static void imap_fetch_one(struct imap_server *s, struct mbox_folder *f, size_t vi);
static void imap_envelope(struct imap_buf *b, const char *hdr, size_t len);
static void imap_bodystructure(struct imap_buf *b, const struct mime_tree *t, int pi, bool ext,
                               int depth);

static bool imap_word_is(const char *w, size_t n, const char *lit)
{
    return strlen(lit) == n && ascii_ncasecmp(w, lit, n) == 0;
}

/* Resolve a set against the view. Message numbers above EXISTS, or "*" in
 * an empty mailbox, are a BAD (bad-inputs I8); UID sets simply match what
 * exists (RFC 3501 §6.4.8). Returns false with *why set. */
static bool imap_resolve(struct imap_server *s, const struct imap_seqset *set, bool uid,
                         struct imap_range *out, size_t *n, const char **why)
{
    if (uid) {
        uint32_t star = s->vn ? s->view[s->vn - 1].uid : 0;
        *n = imap_seqset_resolve(set, star, out);
        return true;
    }
    if (imap_seqset_max(set) > s->vn || (s->vn == 0 && imap_seqset_has_star(set))) {
        *why = "Invalid message sequence number";
        return false;
    }
    *n = imap_seqset_resolve(set, (uint32_t)s->vn, out);
    return true;
}

/* First view index with uid >= u. */
static size_t imap_view_lower(const struct imap_server *s, uint32_t u)
{
    size_t lo = 0, hi = s->vn;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->view[mid].uid < u)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Iterate view indices covered by ranges: *ri range index, *vi next index.
 * Returns false when done. */
static bool imap_iter(const struct imap_server *s, const struct imap_range *r, size_t nr, bool uid,
                      size_t *ri, size_t *vi, bool *started)
{
    while (*ri < nr) {
        if (!*started) {
            *vi = uid ? imap_view_lower(s, r[*ri].lo) : (size_t)r[*ri].lo - 1;
            *started = true;
        } else {
            (*vi)++;
        }
        bool in = *vi < s->vn && (uid ? s->view[*vi].uid <= r[*ri].hi : *vi + 1 <= r[*ri].hi);
        if (in) return true;
        (*ri)++;
        *started = false;
    }
    return false;
}

/* ---- FETCH ------------------------------------------------------------------------- */

static bool imap_parse_section(struct imap_cur *c, struct imap_fetch_item *it)
{
    it->kind = IMAP_FI_SECTION;
    it->sec = IMAP_SEC_ALL;
    if (!imap_cur_accept(c, '[')) return imap_cur_fail(c, "Expected [");
    size_t st = c->pos;
    /* section-part = nz-number *("." nz-number) */
    while (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9') {
        uint32_t v;
        if (!imap_cur_nz_number(c, &v)) return false;
        if (!(imap_cur_peek(c, '.') && c->pos + 1 < c->len && c->p[c->pos + 1] >= '0' &&
              c->p[c->pos + 1] <= '9'))
            break;
        c->pos++;
    }
    it->path = c->p + st;
    it->path_len = c->pos - st;
    if (it->path_len && !imap_cur_accept(c, '.')) {
        if (!imap_cur_accept(c, ']')) return imap_cur_fail(c, "Invalid section");
        goto partial;
    }
    if (imap_cur_accept(c, ']')) {
        if (it->path_len) return imap_cur_fail(c, "Invalid section");
        goto partial;
    }
    const char *w = c->p + c->pos;
    size_t wl = 0;
    while (c->pos < c->len &&
           ((c->p[c->pos] | 32) >= 'a' && (c->p[c->pos] | 32) <= 'z' ? 1 : c->p[c->pos] == '.')) {
        c->pos++;
        wl++;
    }
    if (imap_word_is(w, wl, "HEADER"))
        it->sec = IMAP_SEC_HEADER;
    else if (imap_word_is(w, wl, "TEXT"))
        it->sec = IMAP_SEC_TEXT;
    else if (imap_word_is(w, wl, "MIME") && it->path_len)
        it->sec = IMAP_SEC_MIME;
    else if (imap_word_is(w, wl, "HEADER.FIELDS"))
        it->sec = IMAP_SEC_FIELDS;
    else if (imap_word_is(w, wl, "HEADER.FIELDS.NOT"))
        it->sec = IMAP_SEC_FIELDS_NOT;
    else
        return imap_cur_fail(c, "Invalid section");
    if (it->sec == IMAP_SEC_FIELDS || it->sec == IMAP_SEC_FIELDS_NOT) {
        if (!imap_cur_sp(c) || !imap_cur_open(c)) return false;
        for (;;) {
            if (it->nfields == IMAP_FIELDS_MAX) return imap_cur_fail(c, "Too many header fields");
            if (!imap_cur_astring(c, &it->fields[it->nfields], &it->field_len[it->nfields]))
                return false;
            it->nfields++;
            if (!imap_cur_accept(c, ' ')) break;
        }
        if (!imap_cur_close(c)) return false;
    }
    if (!imap_cur_accept(c, ']')) return imap_cur_fail(c, "Expected ]");
partial:
    if (imap_cur_accept(c, '<')) {
        it->partial = true;
        if (!imap_cur_number64(c, &it->p_off) || !imap_cur_accept(c, '.') ||
            !imap_cur_number64(c, &it->p_len))
            return imap_cur_fail(c, "Invalid partial range");
        if (it->p_len == 0) return imap_cur_fail(c, "Invalid partial range");
        if (!imap_cur_accept(c, '>')) return imap_cur_fail(c, "Expected >");
    }
    return true;
}

static bool imap_add_item(struct imap_cur *c, struct imap_fetch_job *j, enum imap_fi_kind k)
{
    if (j->nitems == IMAP_FETCH_ITEMS) return imap_cur_fail(c, "Too many FETCH items");
    memset(&j->items[j->nitems], 0, sizeof j->items[0]);
    j->items[j->nitems++].kind = k;
    return true;
}

static bool imap_parse_fetch_att(struct imap_cur *c, struct imap_fetch_job *j)
{
    const char *w;
    size_t wl;
    if (!imap_cur_word(c, &w, &wl)) return false;
    static const struct {
        const char *name;
        enum imap_fi_kind k;
    } simple[] = {
        {"FLAGS", IMAP_FI_FLAGS},
        {"INTERNALDATE", IMAP_FI_INTERNALDATE},
        {"RFC822.SIZE", IMAP_FI_SIZE},
        {"UID", IMAP_FI_UID},
        {"ENVELOPE", IMAP_FI_ENVELOPE},
        {"BODYSTRUCTURE", IMAP_FI_BODYSTRUCTURE},
        {"RFC822", IMAP_FI_RFC822},
        {"RFC822.HEADER", IMAP_FI_RFC822_HEADER},
        {"RFC822.TEXT", IMAP_FI_RFC822_TEXT},
    };
    for (size_t i = 0; i < MS_ARRAY_LEN(simple); i++)
        if (imap_word_is(w, wl, simple[i].name)) return imap_add_item(c, j, simple[i].k);
    bool peek = imap_word_is(w, wl, "BODY.PEEK");
    if (peek || imap_word_is(w, wl, "BODY")) {
        if (!imap_cur_peek(c, '[')) {
            if (peek) return imap_cur_fail(c, "BODY.PEEK needs a section");
            return imap_add_item(c, j, IMAP_FI_BODY);
        }
        if (!imap_add_item(c, j, IMAP_FI_SECTION)) return false;
        struct imap_fetch_item *it = &j->items[j->nitems - 1];
        it->peek = peek;
        return imap_parse_section(c, it);
    }
    return imap_cur_fail(c, "Unknown FETCH item");
}

void imap_cmd_fetch(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid)
{
    struct imap_fetch_job *j = &s->job;
    struct imap_seqset *set = ms_xmalloc(sizeof *set);
    memset(j, 0, sizeof *j);
    snprintf(j->tag, sizeof j->tag, "%s", tag);
    j->uid = uid;
    bool ok = imap_cur_seqset(c, set) && imap_cur_sp(c);
    if (ok) {
        const char *w;
        size_t wl;
        size_t save = c->pos;
        if (imap_cur_peek(c, '(')) {
            ok = imap_cur_open(c);
            while (ok) {
                ok = imap_parse_fetch_att(c, j);
                if (!ok || !imap_cur_accept(c, ' ')) break;
            }
            ok = ok && imap_cur_close(c);
        } else if (imap_cur_word(c, &w, &wl) &&
                   (imap_word_is(w, wl, "ALL") || imap_word_is(w, wl, "FAST") ||
                    imap_word_is(w, wl, "FULL"))) {
            /* macros (RFC 3501 §6.4.5) */
            ok = imap_add_item(c, j, IMAP_FI_FLAGS) && imap_add_item(c, j, IMAP_FI_INTERNALDATE) &&
                 imap_add_item(c, j, IMAP_FI_SIZE);
            if (!imap_word_is(w, wl, "FAST")) ok = ok && imap_add_item(c, j, IMAP_FI_ENVELOPE);
            if (imap_word_is(w, wl, "FULL")) ok = ok && imap_add_item(c, j, IMAP_FI_BODY);
        } else {
            c->err = NULL;
            c->pos = save;
            ok = imap_parse_fetch_att(c, j);
        }
    }
    if (ok && !imap_cur_eol(c)) ok = imap_cur_fail(c, "Unexpected extra arguments");
    const char *why = c->err;
    if (ok && !imap_resolve(s, set, uid, j->ranges, &j->nranges, &why)) ok = false;
    free(set);
    if (!ok) {
        imap_srv_tagged(s, tag, IMAP_BAD, "%s", why ? why : "Invalid FETCH");
        return;
    }
    if (uid) { /* RFC 3501 §6.4.8: UID FETCH always returns UID */
        bool has = false;
        for (size_t i = 0; i < j->nitems; i++) has |= j->items[i].kind == IMAP_FI_UID;
        if (!has) {
            if (j->nitems == IMAP_FETCH_ITEMS) j->nitems--;
            memmove(j->items + 1, j->items, j->nitems * sizeof j->items[0]);
            memset(&j->items[0], 0, sizeof j->items[0]);
            j->items[0].kind = IMAP_FI_UID;
            j->nitems++;
        }
    }
    j->ri = 0;
    j->next = 0;
    s->wait = IMAP_W_FETCH;
    imap_fetch_continue(s);
}

/* Produce responses until the output reaches the high-water mark (I17). */
void imap_fetch_continue(struct imap_server *s)
{
    struct imap_fetch_job *j = &s->job;
    struct mbox_folder *f = imap_srv_sel(s);
    if (!f) {
        s->wait = IMAP_W_NONE;
        imap_srv_tagged(s, j->tag, IMAP_NO, "Mailbox was deleted");
        s->cmd.len = 0;
        s->cmd_lit_total = 0;
        return;
    }
    /* j->next holds "started" in bit 32 and the view index below */
    while (imap_srv_pending(s) < s->cfg.out_high_water) {
        size_t vi = (size_t)(j->next & 0xffffffffu);
        bool started = (j->next >> 32) != 0;
        if (!imap_iter(s, j->ranges, j->nranges, j->uid, &j->ri, &vi, &started)) {
            s->wait = IMAP_W_NONE;
            if (j->any_gone)
                imap_srv_tagged(s, j->tag, IMAP_NO, "Some messages were expunged");
            else
                imap_srv_tagged(s, j->tag, IMAP_OK, "%s completed", s->cur_cmd);
            s->cmd.len = 0;
            s->cmd_lit_total = 0;
            return;
        }
        j->next = ((uint64_t)1 << 32) | vi;
        imap_fetch_one(s, f, vi);
    }
}

static void imap_put_data(struct imap_buf *b, const char *p, size_t n,
                          const struct imap_fetch_item *it)
{
    if (it->partial) { /* RFC 3501 §6.4.5 <origin.octets>; offsets range-checked */
        uint64_t off = it->p_off > n ? n : it->p_off;
        uint64_t len = it->p_len > n - off ? n - off : it->p_len;
        p += off;
        n = (size_t)len;
    }
    imap_buf_printf(b, "{%zu}\r\n", n);
    imap_buf_add(b, p, n);
}

static bool imap_field_listed(const struct imap_fetch_item *it, const char *name, size_t n)
{
    for (size_t i = 0; i < it->nfields; i++)
        if (it->field_len[i] == n && ascii_ncasecmp(it->fields[i], name, n) == 0) return true;
    return false;
}

/* The section's bytes; returns false for a section that does not exist. */
static bool imap_section_data(const struct imap_fetch_item *it, const struct mime_tree *t,
                              const char *raw, size_t len, struct imap_buf *tmp, const char **p,
                              size_t *n)
{
    size_t hs, hl, bs, bl;
    if (it->path_len) {
        int pi = mime_find_section(t, it->path, it->path_len);
        if (pi < 0) return false;
        const struct mime_part *part = &t->parts[pi];
        if (it->sec == IMAP_SEC_ALL || it->sec == IMAP_SEC_MIME) {
            hs = part->start;
            hl = part->hdr_len;
            bs = part->body_off;
            bl = part->body_len;
            if (it->sec == IMAP_SEC_MIME) {
                *p = raw + hs;
                *n = hl;
            } else {
                *p = raw + bs;
                *n = bl;
            }
            return true;
        }
        if (!part->is_message || part->message < 0) return false;
        part = &t->parts[part->message];
        hs = part->start;
        hl = part->hdr_len;
        bs = part->body_off;
        bl = part->body_len;
    } else {
        struct msg_split sp;
        msg_split(raw, len, &sp);
        hs = 0;
        hl = sp.hdr_len;
        bs = sp.body_off;
        bl = sp.body_len;
        if (it->sec == IMAP_SEC_ALL) {
            *p = raw;
            *n = len;
            return true;
        }
    }
    switch (it->sec) {
    case IMAP_SEC_HEADER:
        *p = raw + hs;
        *n = hl;
        return true;
    case IMAP_SEC_TEXT:
        *p = raw + bs;
        *n = bl;
        return true;
    case IMAP_SEC_FIELDS:
    case IMAP_SEC_FIELDS_NOT: {
        struct msg_field_iter fi;
        struct msg_field fld;
        msg_fields_begin(&fi, raw + hs, hl);
        tmp->len = 0;
        while (msg_fields_next(&fi, &fld)) {
            bool listed = imap_field_listed(it, raw + hs + fld.off, fld.name_len);
            if (listed == (it->sec == IMAP_SEC_FIELDS))
                imap_buf_add(tmp, raw + hs + fld.off, fld.raw_len);
        }
        imap_buf_add(tmp, "\r\n", 2); /* the blank line is part of the result */
        *p = tmp->p;
        *n = tmp->len;
        return true;
    }
    default:
        return false;
    }
}

static void imap_section_name(struct imap_buf *b, const struct imap_fetch_item *it)
{
    static const char *const names[] = {"",     "HEADER", "HEADER.FIELDS", "HEADER.FIELDS.NOT",
                                        "TEXT", "MIME"};
    imap_buf_adds(b, "BODY[");
    imap_buf_add(b, it->path, it->path_len);
    if (it->sec != IMAP_SEC_ALL) {
        if (it->path_len) imap_buf_add(b, ".", 1);
        imap_buf_adds(b, names[it->sec]);
    }
    if (it->nfields) {
        imap_buf_adds(b, " (");
        for (size_t i = 0; i < it->nfields; i++) {
            if (i) imap_buf_add(b, " ", 1);
            imap_buf_astring(b, it->fields[i], it->field_len[i], false);
        }
        imap_buf_add(b, ")", 1);
    }
    imap_buf_add(b, "]", 1);
    if (it->partial) imap_buf_printf(b, "<%llu>", (unsigned long long)it->p_off);
}

static void imap_fetch_one(struct imap_server *s, struct mbox_folder *f, size_t vi)
{
    struct imap_fetch_job *j = &s->job;
    struct imap_view *v = &s->view[vi];
    size_t mi = mbox_find_uid(f, v->uid);
    if (mi == SIZE_MAX) { /* expunged elsewhere, not yet reported */
        j->any_gone = true;
        return;
    }
    const struct mbox_msg *m = mbox_msg_at(f, mi);
    bool need_tree = false, set_seen = false, has_flags = false;
    for (size_t i = 0; i < j->nitems; i++) {
        enum imap_fi_kind k = j->items[i].kind;
        need_tree |= k == IMAP_FI_ENVELOPE || k == IMAP_FI_BODYSTRUCTURE || k == IMAP_FI_BODY ||
                     (k == IMAP_FI_SECTION && j->items[i].path_len);
        set_seen |= (k == IMAP_FI_SECTION && !j->items[i].peek) || k == IMAP_FI_RFC822 ||
                    k == IMAP_FI_RFC822_TEXT;
        has_flags |= k == IMAP_FI_FLAGS;
    }
    bool flags_changed = false;
    if (set_seen && !s->readonly && !(m->flags & MBOX_F_SEEN)) {
        (void)mbox_flags_set(f, mi, m->flags | MBOX_F_SEEN);
        m = mbox_msg_at(f, mi);
        flags_changed = true;
    }
    /* we report the store's flags now, so sync must not repeat them */
    v->flags = m->flags & ~(uint64_t)MBOX_F_RECENT;
    if (flags_changed) s->sel_changes = mbox_folder_changes(f);
    struct mime_tree t;
    memset(&t, 0, sizeof t);
    if (need_tree) mime_parse(&t, m->raw, m->len);
    struct imap_buf *b = &s->stage, tmp = {0};
    imap_buf_printf(b, "* %zu FETCH (", vi + 1);
    for (size_t i = 0; i < j->nitems; i++) {
        const struct imap_fetch_item *it = &j->items[i];
        if (i) imap_buf_add(b, " ", 1);
        switch (it->kind) {
        case IMAP_FI_FLAGS:
            imap_buf_adds(b, "FLAGS ");
            imap_srv_flags(b, f, v->flags, v->recent);
            break;
        case IMAP_FI_INTERNALDATE:
            imap_buf_adds(b, "INTERNALDATE ");
            imap_srv_date(b, m->internal_date, s->cfg.epoch_unix);
            break;
        case IMAP_FI_SIZE:
            imap_buf_printf(b, "RFC822.SIZE %zu", m->len);
            break;
        case IMAP_FI_UID:
            imap_buf_printf(b, "UID %u", (unsigned)m->uid);
            break;
        case IMAP_FI_ENVELOPE:
            imap_buf_adds(b, "ENVELOPE ");
            imap_envelope(b, m->raw, t.n_parts ? t.parts[0].hdr_len : m->len);
            break;
        case IMAP_FI_BODYSTRUCTURE:
        case IMAP_FI_BODY:
            imap_buf_adds(b, it->kind == IMAP_FI_BODY ? "BODY " : "BODYSTRUCTURE ");
            imap_bodystructure(b, &t, 0, it->kind == IMAP_FI_BODYSTRUCTURE, 0);
            break;
        case IMAP_FI_RFC822:
        case IMAP_FI_RFC822_HEADER:
        case IMAP_FI_RFC822_TEXT: {
            struct msg_split sp;
            msg_split(m->raw, m->len, &sp);
            struct imap_fetch_item whole = {0};
            if (it->kind == IMAP_FI_RFC822) {
                imap_buf_adds(b, "RFC822 ");
                imap_put_data(b, m->raw, m->len, &whole);
            } else if (it->kind == IMAP_FI_RFC822_HEADER) {
                imap_buf_adds(b, "RFC822.HEADER ");
                imap_put_data(b, m->raw, sp.hdr_len, &whole);
            } else {
                imap_buf_adds(b, "RFC822.TEXT ");
                imap_put_data(b, m->raw + sp.body_off, sp.body_len, &whole);
            }
            break;
        }
        case IMAP_FI_SECTION: {
            const char *p;
            size_t n;
            imap_section_name(b, it);
            imap_buf_add(b, " ", 1);
            if (imap_section_data(it, &t, m->raw, m->len, &tmp, &p, &n))
                imap_put_data(b, p, n, it);
            else
                imap_buf_adds(b, "NIL");
            break;
        }
        }
    }
    if (flags_changed && !has_flags) { /* RFC 3501 §6.4.5: \Seen set implicitly */
        imap_buf_adds(b, " FLAGS ");
        imap_srv_flags(b, f, v->flags, v->recent);
    }
    imap_buf_adds(b, ")\r\n");
    imap_buf_free(&tmp);
    mime_tree_free(&t);
}

/* ---- ENVELOPE and BODYSTRUCTURE (RFC 3501 §7.4.2) -------------------------------------- */

static void imap_nstring_field(struct imap_buf *b, const char *hdr, size_t len, const char *name)
{
    size_t vl;
    char *v = msg_header_get(hdr, len, name, &vl);
    imap_buf_string(b, v, vl, false);
    free(v);
}

/* Returns false (and writes nothing) when the field is absent. */
static bool imap_addresses(struct imap_buf *b, const char *hdr, size_t len, const char *name)
{
    size_t vl;
    char *v = msg_header_get(hdr, len, name, &vl);
    if (!v) return false;
    struct msg_addr_list l;
    memset(&l, 0, sizeof l);
    msg_addr_parse(v, vl, &l);
    free(v);
    if (l.n == 0) {
        msg_addr_list_free(&l);
        imap_buf_adds(b, "NIL");
        return true;
    }
    imap_buf_add(b, "(", 1);
    for (size_t i = 0; i < l.n; i++) {
        const struct msg_addr *a = &l.v[i];
        if (a->is_group_end) {
            imap_buf_adds(b, "(NIL NIL NIL NIL)");
            continue;
        }
        if (a->is_group_start) {
            imap_buf_adds(b, "(NIL NIL ");
            imap_buf_string(b, a->name, a->name_len, false);
            imap_buf_adds(b, " NIL)");
            continue;
        }
        imap_buf_add(b, "(", 1);
        imap_buf_string(b, a->name_len ? a->name : NULL, a->name_len, false);
        imap_buf_add(b, " ", 1);
        imap_buf_string(b, a->route_len ? a->route : NULL, a->route_len, false);
        imap_buf_add(b, " ", 1);
        imap_buf_string(b, a->local ? a->local : "", a->local_len, false);
        imap_buf_add(b, " ", 1);
        imap_buf_string(b, a->domain ? a->domain : "", a->domain_len, false);
        imap_buf_add(b, ")", 1);
    }
    imap_buf_add(b, ")", 1);
    msg_addr_list_free(&l);
    return true;
}

static void imap_envelope(struct imap_buf *b, const char *hdr, size_t len)
{
    imap_buf_add(b, "(", 1);
    imap_nstring_field(b, hdr, len, "Date");
    imap_buf_add(b, " ", 1);
    imap_nstring_field(b, hdr, len, "Subject");
    imap_buf_add(b, " ", 1);
    size_t from_at = b->len;
    if (!imap_addresses(b, hdr, len, "From")) imap_buf_adds(b, "NIL");
    size_t from_len = b->len - from_at;
    /* sender and reply-to default to from (RFC 3501 §7.4.2) */
    for (int k = 0; k < 2; k++) {
        imap_buf_add(b, " ", 1);
        if (!imap_addresses(b, hdr, len, k ? "Reply-To" : "Sender")) {
            char *copy = ms_xmemdup(b->p + from_at, from_len);
            imap_buf_add(b, copy, from_len);
            free(copy);
        }
    }
    static const char *const rest[] = {"To", "Cc", "Bcc"};
    for (size_t k = 0; k < MS_ARRAY_LEN(rest); k++) {
        imap_buf_add(b, " ", 1);
        if (!imap_addresses(b, hdr, len, rest[k])) imap_buf_adds(b, "NIL");
    }
    imap_buf_add(b, " ", 1);
    imap_nstring_field(b, hdr, len, "In-Reply-To");
    imap_buf_add(b, " ", 1);
    imap_nstring_field(b, hdr, len, "Message-ID");
    imap_buf_add(b, ")", 1);
}

static void imap_upper_string(struct imap_buf *b, const struct mime_str *s)
{
    if (!s->p) {
        imap_buf_adds(b, "NIL");
        return;
    }
    char *u = ms_xmemdup(s->p, s->len);
    for (size_t i = 0; i < s->len; i++)
        if (u[i] >= 'a' && u[i] <= 'z') u[i] = (char)(u[i] - 32);
    imap_buf_string(b, u, s->len, false);
    free(u);
}

static void imap_params(struct imap_buf *b, const struct mime_param *p, size_t n)
{
    if (!n) {
        imap_buf_adds(b, "NIL");
        return;
    }
    imap_buf_add(b, "(", 1);
    for (size_t i = 0; i < n; i++) {
        if (i) imap_buf_add(b, " ", 1);
        imap_upper_string(b, &p[i].name);
        imap_buf_add(b, " ", 1);
        imap_buf_string(b, p[i].value.p ? p[i].value.p : "", p[i].value.len, false);
    }
    imap_buf_add(b, ")", 1);
}

static void imap_nstr(struct imap_buf *b, const struct mime_str *s)
{
    imap_buf_string(b, s->p, s->len, false);
}

static void imap_ext_tail(struct imap_buf *b, const struct mime_part *p)
{
    imap_buf_add(b, " ", 1);
    if (p->disposition.p) {
        imap_buf_add(b, "(", 1);
        imap_upper_string(b, &p->disposition);
        imap_buf_add(b, " ", 1);
        imap_params(b, p->disp_params, p->n_disp_params);
        imap_buf_add(b, ")", 1);
    } else {
        imap_buf_adds(b, "NIL");
    }
    imap_buf_add(b, " ", 1);
    imap_nstr(b, &p->language);
    imap_buf_add(b, " ", 1);
    imap_nstr(b, &p->location);
}

/* Recursion is bounded by MIME_MAX_DEPTH, which mime_parse enforces (I18). */
static void imap_bodystructure(struct imap_buf *b, const struct mime_tree *t, int pi, bool ext,
                               int depth)
{
    if (!t->n_parts || pi < 0 || (size_t)pi >= t->n_parts || depth > MIME_MAX_DEPTH + 1) {
        imap_buf_adds(b, "(\"TEXT\" \"PLAIN\" NIL NIL NIL \"7BIT\" 0 0)");
        return;
    }
    const struct mime_part *p = &t->parts[pi];
    imap_buf_add(b, "(", 1);
    if (p->is_multipart && p->first_child >= 0) {
        for (int c = p->first_child; c >= 0; c = t->parts[c].next_sibling)
            imap_bodystructure(b, t, c, ext, depth + 1);
        imap_buf_add(b, " ", 1);
        imap_upper_string(b, &p->subtype);
        if (ext) {
            imap_buf_add(b, " ", 1);
            imap_params(b, p->params, p->n_params);
            imap_ext_tail(b, p);
        }
        imap_buf_add(b, ")", 1);
        return;
    }
    imap_upper_string(b, &p->type);
    imap_buf_add(b, " ", 1);
    imap_upper_string(b, &p->subtype);
    imap_buf_add(b, " ", 1);
    imap_params(b, p->params, p->n_params);
    imap_buf_add(b, " ", 1);
    imap_nstr(b, &p->id);
    imap_buf_add(b, " ", 1);
    imap_nstr(b, &p->description);
    imap_buf_add(b, " ", 1);
    imap_upper_string(b, &p->cte_raw);
    imap_buf_printf(b, " %zu", p->body_len);
    bool text = p->type.p && p->type.len == 4 && ascii_ncasecmp(p->type.p, "text", 4) == 0;
    if (p->is_message && p->message >= 0) {
        const struct mime_part *r = &t->parts[p->message];
        imap_buf_add(b, " ", 1);
        imap_envelope(b, t->msg + r->start, r->hdr_len);
        imap_buf_add(b, " ", 1);
        imap_bodystructure(b, t, p->message, ext, depth + 1);
        imap_buf_printf(b, " %zu", p->body_lines);
    } else if (text) {
        imap_buf_printf(b, " %zu", p->body_lines);
    }
    if (ext) {
        imap_buf_add(b, " ", 1);
        imap_nstr(b, &p->md5);
        imap_ext_tail(b, p);
    }
    imap_buf_add(b, ")", 1);
}

/* ---- STORE ------------------------------------------------------------------------------- */

void imap_cmd_store(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid)
{
    struct imap_seqset *set = ms_xmalloc(sizeof *set);
    struct imap_range *r = ms_xmalloc(sizeof(struct imap_range) * IMAP_SEQSET_MAX);
    const char *w, *ferr = NULL, *why = NULL;
    size_t wl, nr = 0;
    int mode = 0; /* 0 replace, 1 add, -1 remove */
    bool silent = false;
    uint64_t flags = 0;
    struct mbox_folder *f = imap_srv_sel(s);
    bool ok = f && imap_cur_seqset(c, set) && imap_cur_sp(c);
    if (ok) {
        if (imap_cur_accept(c, '+'))
            mode = 1;
        else if (imap_cur_accept(c, '-'))
            mode = -1;
        ok = imap_cur_word(c, &w, &wl);
        if (ok && imap_word_is(w, wl, "FLAGS.SILENT"))
            silent = true;
        else if (ok && !imap_word_is(w, wl, "FLAGS"))
            ok = imap_cur_fail(c, "Expected FLAGS, +FLAGS or -FLAGS");
        ok = ok && imap_cur_sp(c) && imap_parse_flags(c, f, &flags, false, &ferr);
        if (ok && !imap_cur_eol(c)) ok = imap_cur_fail(c, "Unexpected extra arguments");
    }
    why = c->err;
    if (ok && !imap_resolve(s, set, uid, r, &nr, &why)) ok = false;
    free(set);
    if (!f) {
        free(r);
        imap_srv_tagged(s, tag, IMAP_NO, "No mailbox selected");
        return;
    }
    if (!ok) {
        free(r);
        imap_srv_tagged(s, tag, IMAP_BAD, "%s", why ? why : "Invalid STORE");
        return;
    }
    if (ferr || s->readonly) {
        free(r);
        imap_srv_tagged(s, tag, IMAP_NO, "%s", ferr ? ferr : "[READ-ONLY] Mailbox is read-only");
        return;
    }
    imap_srv_flags_news(s, f); /* new keywords: FLAGS before any FETCH using them */
    size_t ri = 0, vi = 0;
    bool started = false;
    while (imap_iter(s, r, nr, uid, &ri, &vi, &started)) {
        struct imap_view *v = &s->view[vi];
        size_t mi = mbox_find_uid(f, v->uid);
        if (mi == SIZE_MAX) continue;
        uint64_t old = mbox_msg_at(f, mi)->flags, recent = old & MBOX_F_RECENT;
        uint64_t nf = mode == 1 ? old | flags : mode == -1 ? old & ~flags : flags | recent;
        (void)mbox_flags_set(f, mi, nf);
        v->flags = mbox_msg_at(f, mi)->flags & ~(uint64_t)MBOX_F_RECENT;
        if (silent) continue;
        struct imap_buf *b = &s->stage;
        imap_buf_printf(b, "* %zu FETCH (", vi + 1);
        if (uid) imap_buf_printf(b, "UID %u ", (unsigned)v->uid);
        imap_buf_adds(b, "FLAGS ");
        imap_srv_flags(b, f, v->flags, v->recent);
        imap_buf_adds(b, ")\r\n");
    }
    free(r);
    /* our own changes are reported; other sessions' ones come with sync */
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed",
                    mode == 1    ? "+FLAGS"
                    : mode == -1 ? "-FLAGS"
                                 : "FLAGS");
}

/* ---- SEARCH ------------------------------------------------------------------------------- */

enum imap_sk {
    SK_ALL,
    SK_FLAG,
    SK_UNFLAG,
    SK_NEW,
    SK_OLD,
    SK_RECENT,
    SK_KEYWORD,
    SK_UNKEYWORD,
    SK_HEADER,
    SK_BODY,
    SK_TEXT,
    SK_SINCE,
    SK_BEFORE,
    SK_ON,
    SK_SENTSINCE,
    SK_SENTBEFORE,
    SK_SENTON,
    SK_LARGER,
    SK_SMALLER,
    SK_UID,
    SK_SEQ,
    SK_NOT,
    SK_OR,
    SK_AND,
};

struct imap_snode {
    enum imap_sk k;
    uint64_t bit;
    const char *field, *str;
    size_t field_len, str_len;
    int64_t days;
    uint32_t num;
    struct imap_seqset *set;
    int a, b; /* children (NOT: a; OR: a, b; AND: a = first) */
    int next; /* sibling in an AND list */
};

struct imap_search {
    struct imap_snode n[IMAP_SEARCH_NODES];
    size_t count;
    struct imap_server *s;
    struct mbox_folder *f;
};

static int imap_search_key(struct imap_search *q, struct imap_cur *c, int depth);

static int imap_snode_new(struct imap_search *q, struct imap_cur *c, enum imap_sk k)
{
    if (q->count == IMAP_SEARCH_NODES) {
        imap_cur_fail(c, "Search program too large");
        return -1;
    }
    struct imap_snode *n = &q->n[q->count];
    memset(n, 0, sizeof *n);
    n->k = k;
    n->a = n->b = n->next = -1;
    return (int)q->count++;
}

/* search-key list separated by SP, until ")" or the end: an AND node. */
static int imap_search_list(struct imap_search *q, struct imap_cur *c, int depth, bool paren)
{
    int and = imap_snode_new(q, c, SK_AND), last = -1;
    if (and < 0) return -1;
    for (;;) {
        int k = imap_search_key(q, c, depth + 1);
        if (k < 0) return -1;
        if (last < 0)
            q->n[and].a = k;
        else
            q->n[last].next = k;
        last = k;
        if (paren && imap_cur_peek(c, ')')) break;
        if (!paren && imap_cur_eol(c)) break;
        if (!imap_cur_sp(c)) return -1;
    }
    return and;
}

static int imap_search_key(struct imap_search *q, struct imap_cur *c, int depth)
{
    if (depth > IMAP_SEARCH_DEPTH) {
        imap_cur_fail(c, "Search program too deeply nested");
        return -1;
    }
    if (imap_cur_peek(c, '(')) {
        if (!imap_cur_open(c)) return -1;
        int l = imap_search_list(q, c, depth, true);
        if (l < 0 || !imap_cur_close(c)) return -1;
        return l;
    }
    if (imap_cur_peek(c, '*') || (c->pos < c->len && c->p[c->pos] >= '0' && c->p[c->pos] <= '9')) {
        int i = imap_snode_new(q, c, SK_SEQ);
        if (i < 0) return -1;
        q->n[i].set = ms_xmalloc(sizeof(struct imap_seqset));
        if (!imap_cur_seqset(c, q->n[i].set)) return -1;
        return i;
    }
    const char *w;
    size_t wl;
    if (!imap_cur_atom(c, &w, &wl)) return -1;
    static const struct {
        const char *name;
        enum imap_sk k;
        uint64_t bit;
    } flagkeys[] = {
        {"ANSWERED", SK_FLAG, MBOX_F_ANSWERED},
        {"DELETED", SK_FLAG, MBOX_F_DELETED},
        {"DRAFT", SK_FLAG, MBOX_F_DRAFT},
        {"FLAGGED", SK_FLAG, MBOX_F_FLAGGED},
        {"SEEN", SK_FLAG, MBOX_F_SEEN},
        {"UNANSWERED", SK_UNFLAG, MBOX_F_ANSWERED},
        {"UNDELETED", SK_UNFLAG, MBOX_F_DELETED},
        {"UNDRAFT", SK_UNFLAG, MBOX_F_DRAFT},
        {"UNFLAGGED", SK_UNFLAG, MBOX_F_FLAGGED},
        {"UNSEEN", SK_UNFLAG, MBOX_F_SEEN},
        {"ALL", SK_ALL, 0},
        {"NEW", SK_NEW, 0},
        {"OLD", SK_OLD, 0},
        {"RECENT", SK_RECENT, 0},
    };
    for (size_t i = 0; i < MS_ARRAY_LEN(flagkeys); i++) {
        if (!imap_word_is(w, wl, flagkeys[i].name)) continue;
        int n = imap_snode_new(q, c, flagkeys[i].k);
        if (n >= 0) q->n[n].bit = flagkeys[i].bit;
        return n;
    }
    static const char *const hdrkeys[] = {"FROM", "TO", "CC", "BCC", "SUBJECT"};
    for (size_t i = 0; i < MS_ARRAY_LEN(hdrkeys); i++) {
        if (!imap_word_is(w, wl, hdrkeys[i])) continue;
        int n = imap_snode_new(q, c, SK_HEADER);
        if (n < 0 || !imap_cur_sp(c) || !imap_cur_astring(c, &q->n[n].str, &q->n[n].str_len))
            return -1;
        q->n[n].field = hdrkeys[i];
        q->n[n].field_len = strlen(hdrkeys[i]);
        return n;
    }
    int n;
    if (imap_word_is(w, wl, "HEADER")) {
        if ((n = imap_snode_new(q, c, SK_HEADER)) < 0 || !imap_cur_sp(c) ||
            !imap_cur_astring(c, &q->n[n].field, &q->n[n].field_len) || !imap_cur_sp(c) ||
            !imap_cur_astring(c, &q->n[n].str, &q->n[n].str_len))
            return -1;
        return n;
    }
    if (imap_word_is(w, wl, "BODY") || imap_word_is(w, wl, "TEXT")) {
        if ((n = imap_snode_new(q, c, imap_word_is(w, wl, "BODY") ? SK_BODY : SK_TEXT)) < 0 ||
            !imap_cur_sp(c) || !imap_cur_astring(c, &q->n[n].str, &q->n[n].str_len))
            return -1;
        return n;
    }
    if (imap_word_is(w, wl, "KEYWORD") || imap_word_is(w, wl, "UNKEYWORD")) {
        const char *kw;
        size_t kl;
        if ((n = imap_snode_new(q, c, imap_word_is(w, wl, "KEYWORD") ? SK_KEYWORD : SK_UNKEYWORD)) <
                0 ||
            !imap_cur_sp(c) || !imap_cur_atom(c, &kw, &kl))
            return -1;
        int idx = mbox_keyword_find(q->f, kw, kl);
        q->n[n].bit = idx < 0 ? 0 : MBOX_KW_BIT(idx);
        return n;
    }
    static const struct {
        const char *name;
        enum imap_sk k;
    } datekeys[] = {
        {"SINCE", SK_SINCE},         {"BEFORE", SK_BEFORE},         {"ON", SK_ON},
        {"SENTSINCE", SK_SENTSINCE}, {"SENTBEFORE", SK_SENTBEFORE}, {"SENTON", SK_SENTON},
    };
    enum imap_sk dk = SK_ALL;
    for (size_t i = 0; i < MS_ARRAY_LEN(datekeys); i++)
        if (imap_word_is(w, wl, datekeys[i].name)) dk = datekeys[i].k;
    if (dk != SK_ALL) {
        const char *d;
        size_t dl;
        enum imap_sk k = dk;
        if ((n = imap_snode_new(q, c, k)) < 0 || !imap_cur_sp(c) || !imap_cur_astring(c, &d, &dl))
            return -1;
        if (!imap_srv_parse_date(d, dl, &q->n[n].days)) {
            imap_cur_fail(c, "Invalid date");
            return -1;
        }
        return n;
    }
    if (imap_word_is(w, wl, "LARGER") || imap_word_is(w, wl, "SMALLER")) {
        if ((n = imap_snode_new(q, c, imap_word_is(w, wl, "LARGER") ? SK_LARGER : SK_SMALLER)) <
                0 ||
            !imap_cur_sp(c) || !imap_cur_number(c, &q->n[n].num))
            return -1;
        return n;
    }
    if (imap_word_is(w, wl, "UID")) {
        if ((n = imap_snode_new(q, c, SK_UID)) < 0 || !imap_cur_sp(c)) return -1;
        q->n[n].set = ms_xmalloc(sizeof(struct imap_seqset));
        if (!imap_cur_seqset(c, q->n[n].set)) return -1;
        return n;
    }
    if (imap_word_is(w, wl, "NOT")) {
        if ((n = imap_snode_new(q, c, SK_NOT)) < 0 || !imap_cur_sp(c)) return -1;
        int a = imap_search_key(q, c, depth + 1);
        if (a < 0) return -1;
        q->n[n].a = a;
        return n;
    }
    if (imap_word_is(w, wl, "OR")) {
        if ((n = imap_snode_new(q, c, SK_OR)) < 0 || !imap_cur_sp(c)) return -1;
        int a = imap_search_key(q, c, depth + 1);
        if (a < 0 || !imap_cur_sp(c)) return -1;
        int b = imap_search_key(q, c, depth + 1);
        if (b < 0) return -1;
        q->n[n].a = a;
        q->n[n].b = b;
        return n;
    }
    imap_cur_fail(c, "Unknown search key");
    return -1;
}

/* Case-insensitive substring (RFC 3501 §6.4.4), O(n x m) at worst. */
static bool imap_contains(const char *h, size_t hl, const char *nd, size_t nl)
{
    if (nl == 0) return true;
    for (size_t i = 0; i + nl <= hl; i++) {
        if (ascii_memcasecmp(h + i, nd, nl) == 0) return true;
    }
    return false;
}

struct imap_smsg {
    const struct mbox_msg *m;
    size_t seq;
    bool recent;
    uint32_t vn, star_uid;
    struct msg_split sp;
};

static bool imap_search_eval(const struct imap_search *q, int ni, const struct imap_smsg *x,
                             int depth)
{
    const struct imap_snode *n = &q->n[ni];
    const struct mbox_msg *m = x->m;
    int64_t day = (m->internal_date / SIM_US_PER_S + q->s->cfg.epoch_unix) / 86400;
    switch (n->k) {
    case SK_ALL:
        return true;
    case SK_FLAG:
        return (m->flags & n->bit) != 0;
    case SK_UNFLAG:
        return (m->flags & n->bit) == 0;
    case SK_NEW:
        return x->recent && !(m->flags & MBOX_F_SEEN);
    case SK_OLD:
        return !x->recent;
    case SK_RECENT:
        return x->recent;
    case SK_KEYWORD:
        return n->bit && (m->flags & n->bit);
    case SK_UNKEYWORD:
        return !n->bit || !(m->flags & n->bit);
    case SK_HEADER: {
        /* each field of that name is tried */
        struct msg_field fld;
        for (size_t i = 0; msg_field_find(m->raw, x->sp.hdr_len, n->field, n->field_len, i, &fld);
             i++) {
            char *v = ms_xmemdup(m->raw + fld.value_off, fld.value_len);
            size_t vl = msg_unfold(v, fld.value_len, v);
            bool hit = imap_contains(v, vl, n->str, n->str_len);
            free(v);
            if (hit) return true;
        }
        return false;
    }
    case SK_BODY:
        return imap_contains(m->raw + x->sp.body_off, x->sp.body_len, n->str, n->str_len);
    case SK_TEXT:
        return imap_contains(m->raw, m->len, n->str, n->str_len);
    case SK_SINCE:
        return day >= n->days;
    case SK_BEFORE:
        return day < n->days;
    case SK_ON:
        return day == n->days;
    case SK_SENTSINCE:
    case SK_SENTBEFORE:
    case SK_SENTON: {
        /* the Date: field, read by format/msg.h, compared as a UTC date */
        size_t vl;
        int64_t secs;
        char *v = msg_header_get(m->raw, x->sp.hdr_len, "Date", &vl);
        bool okd = v && msg_parse_date(v, vl, &secs);
        free(v);
        if (!okd) return false;
        int64_t sd = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
        return n->k == SK_SENTSINCE    ? sd >= n->days
               : n->k == SK_SENTBEFORE ? sd < n->days
                                       : sd == n->days;
    }
    case SK_LARGER:
        return m->len > n->num;
    case SK_SMALLER:
        return m->len < n->num;
    case SK_UID:
        return imap_seqset_contains(n->set, m->uid, x->star_uid);
    case SK_SEQ:
        return imap_seqset_contains(n->set, (uint32_t)x->seq, x->vn);
    case SK_NOT:
        return !imap_search_eval(q, n->a, x, depth + 1);
    case SK_OR:
        return imap_search_eval(q, n->a, x, depth + 1) || imap_search_eval(q, n->b, x, depth + 1);
    case SK_AND:
        for (int k = n->a; k >= 0; k = q->n[k].next)
            if (!imap_search_eval(q, k, x, depth + 1)) return false;
        return true;
    }
    return false;
}

void imap_cmd_search(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid)
{
    struct mbox_folder *f = imap_srv_sel(s);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "No mailbox selected");
        return;
    }
    struct imap_search *q = ms_xcalloc(1, sizeof *q);
    q->s = s;
    q->f = f;
    size_t save = c->pos;
    const char *w, *cs;
    size_t wl, csl;
    bool badcharset = false;
    if (imap_cur_atom(c, &w, &wl) && imap_word_is(w, wl, "CHARSET")) {
        if (!imap_cur_sp(c) || !imap_cur_astring(c, &cs, &csl) || !imap_cur_sp(c)) goto bad;
        badcharset = !(imap_word_is(cs, csl, "US-ASCII") || imap_word_is(cs, csl, "UTF-8"));
    } else {
        c->pos = save;
        c->err = NULL;
    }
    int root = imap_search_list(q, c, 0, false);
    if (root < 0 || !imap_cur_eol(c)) goto bad;
    if (badcharset) {
        imap_srv_tagged(s, tag, IMAP_NO, "[BADCHARSET (US-ASCII UTF-8)] Unsupported charset");
        goto out;
    }
    struct imap_buf res = {0};
    imap_buf_adds(&res, "SEARCH");
    for (size_t i = 0; i < s->vn; i++) {
        size_t mi = mbox_find_uid(f, s->view[i].uid);
        if (mi == SIZE_MAX) continue;
        struct imap_smsg x;
        x.m = mbox_msg_at(f, mi);
        x.seq = i + 1;
        x.recent = s->view[i].recent;
        x.vn = (uint32_t)s->vn;
        x.star_uid = s->vn ? s->view[s->vn - 1].uid : 0;
        msg_split(x.m->raw, x.m->len, &x.sp);
        if (imap_search_eval(q, root, &x, 0))
            imap_buf_printf(&res, " %zu", uid ? (size_t)x.m->uid : i + 1);
    }
    imap_buf_add(&res, "", 1);
    imap_srv_untagged(s, "%s", res.p);
    imap_buf_free(&res);
    imap_srv_tagged(s, tag, IMAP_OK, "%s completed", s->cur_cmd);
    goto out;
bad:
    imap_srv_tagged(s, tag, IMAP_BAD, "%s", c->err ? c->err : "Invalid search");
out:
    for (size_t i = 0; i < q->count; i++) free(q->n[i].set);
    free(q);
}

/* ---- COPY, MOVE, EXPUNGE --------------------------------------------------------------------- */

/* Remove view entries flagged in del[] from the store and the view, with
 * one EXPUNGE each in ascending order (numbers valid at the time sent). */
static void imap_expunge_marked(struct imap_server *s, struct mbox_folder *f, const bool *del)
{
    size_t w = 0;
    for (size_t i = 0; i < s->vn; i++) {
        if (!del[i]) {
            s->view[w++] = s->view[i];
            continue;
        }
        size_t mi = mbox_find_uid(f, s->view[i].uid);
        if (mi != SIZE_MAX) (void)mbox_expunge_at(f, mi);
        imap_srv_untagged(s, "%zu EXPUNGE", w + 1);
    }
    s->vn = w;
}

void imap_cmd_copy(struct imap_server *s, struct imap_cur *c, const char *tag, bool uid, bool move)
{
    struct mbox_folder *f = imap_srv_sel(s);
    struct imap_seqset *set = ms_xmalloc(sizeof *set);
    struct imap_range *r = ms_xmalloc(sizeof(struct imap_range) * IMAP_SEQSET_MAX);
    const char *name, *why = NULL;
    size_t nl, nr = 0;
    bool ok = f && imap_cur_seqset(c, set) && imap_cur_sp(c) && imap_cur_astring(c, &name, &nl);
    if (ok && !imap_cur_eol(c)) ok = imap_cur_fail(c, "Unexpected extra arguments");
    why = c->err;
    if (ok && !imap_resolve(s, set, uid, r, &nr, &why)) ok = false;
    free(set);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "No mailbox selected");
    } else if (!ok) {
        imap_srv_tagged(s, tag, IMAP_BAD, "%s", why ? why : "Invalid arguments");
    } else if (move && s->readonly) {
        imap_srv_tagged(s, tag, IMAP_NO, "[READ-ONLY] Mailbox is read-only");
    } else {
        struct mbox_folder *dst = mbox_folder_find(s->user, name, nl);
        if (!dst) {
            imap_srv_tagged(s, tag, IMAP_NO, "[TRYCREATE] No such mailbox");
        } else {
            bool *del = ms_xcalloc(s->vn ? s->vn : 1, sizeof *del);
            uint32_t *from = ms_xcalloc(s->vn ? s->vn : 1, sizeof *from);
            uint32_t *to = ms_xcalloc(s->vn ? s->vn : 1, sizeof *to);
            size_t ri = 0, vi = 0, nc = 0;
            bool started = false;
            enum mbox_err e = MBOX_OK;
            while (e == MBOX_OK && imap_iter(s, r, nr, uid, &ri, &vi, &started)) {
                size_t mi = mbox_find_uid(f, s->view[vi].uid);
                if (mi == SIZE_MAX) continue;
                e = mbox_copy(f, mi, dst, &to[nc]);
                if (e != MBOX_OK) break;
                from[nc++] = s->view[vi].uid;
                del[vi] = true;
            }
            /* RFC 4315 §3 COPYUID: UIDVALIDITY of the target, source and
             * target UIDs in the same order */
            struct imap_buf code = {0};
            if (nc) {
                imap_buf_printf(&code, "[COPYUID %u ", (unsigned)mbox_folder_uidvalidity(dst));
                imap_srv_uidset(&code, from, nc);
                imap_buf_add(&code, " ", 1);
                imap_srv_uidset(&code, to, nc);
                imap_buf_add(&code, "] ", 2);
            }
            imap_buf_add(&code, "", 1);
            if (e != MBOX_OK) {
                /* RFC 3501 §6.4.7: copies already made stay (whole messages) */
                imap_srv_tagged(s, tag, IMAP_NO, "%s", mbox_strerror(e));
            } else if (move) {
                /* RFC 6851 §3.3, §4.3: COPYUID in an untagged OK, then one
                 * EXPUNGE per moved message (into the same mailbox too: the
                 * copies have new UIDs) */
                if (nc) imap_srv_untagged(s, "OK %sMoved", code.p);
                imap_expunge_marked(s, f, del);
                imap_srv_tagged(s, tag, IMAP_OK, "%s completed", s->cur_cmd);
            } else {
                imap_srv_tagged(s, tag, IMAP_OK, "%s%s completed", code.p, s->cur_cmd);
            }
            imap_buf_free(&code);
            free(from);
            free(to);
            free(del);
        }
    }
    free(r);
}

void imap_srv_uidset(struct imap_buf *b, const uint32_t *v, size_t n)
{
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1) j++;
        if (i) imap_buf_add(b, ",", 1);
        if (j == i)
            imap_buf_printf(b, "%u", (unsigned)v[i]);
        else
            imap_buf_printf(b, "%u:%u", (unsigned)v[i], (unsigned)v[j]);
        i = j + 1;
    }
}

void imap_cmd_uid_expunge(struct imap_server *s, struct imap_cur *c, const char *tag)
{
    struct mbox_folder *f = imap_srv_sel(s);
    struct imap_seqset *set = ms_xmalloc(sizeof *set);
    bool ok = imap_cur_seqset(c, set) && imap_cur_eol(c);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "No mailbox selected");
    } else if (!ok) {
        imap_srv_tagged(s, tag, IMAP_BAD, "%s", c->err ? c->err : "Unexpected extra arguments");
    } else if (s->readonly) {
        imap_srv_tagged(s, tag, IMAP_NO, "[READ-ONLY] Mailbox is read-only");
    } else {
        uint32_t star = s->vn ? s->view[s->vn - 1].uid : 0;
        bool *del = ms_xcalloc(s->vn ? s->vn : 1, sizeof *del);
        for (size_t i = 0; i < s->vn; i++) {
            size_t mi = mbox_find_uid(f, s->view[i].uid);
            del[i] = mi != SIZE_MAX && (mbox_msg_at(f, mi)->flags & MBOX_F_DELETED) &&
                     imap_seqset_contains(set, s->view[i].uid, star);
        }
        imap_expunge_marked(s, f, del);
        free(del);
        imap_srv_tagged(s, tag, IMAP_OK, "UID EXPUNGE completed");
    }
    free(set);
}

void imap_cmd_expunge(struct imap_server *s, const char *tag, bool silent)
{
    (void)silent;
    struct mbox_folder *f = imap_srv_sel(s);
    if (!f) {
        imap_srv_tagged(s, tag, IMAP_NO, "No mailbox selected");
        return;
    }
    if (s->readonly) {
        imap_srv_tagged(s, tag, IMAP_NO, "[READ-ONLY] Mailbox is read-only");
        return;
    }
    bool *del = ms_xcalloc(s->vn ? s->vn : 1, sizeof *del);
    for (size_t i = 0; i < s->vn; i++) {
        size_t mi = mbox_find_uid(f, s->view[i].uid);
        del[i] = mi != SIZE_MAX && (mbox_msg_at(f, mi)->flags & MBOX_F_DELETED);
    }
    imap_expunge_marked(s, f, del);
    free(del);
    imap_srv_tagged(s, tag, IMAP_OK, "EXPUNGE completed");
}
