/* ui_model.c -- what the window derives from a trace, once, and the view's
 * movements over it.
 *
 * The index is built in one pass over the records, so that each block of
 * the packed trace is decoded once. State at step k (hosts and links up or
 * down, queue lengths, mailbox counts, the narration and the protocol line
 * of the moment) comes from histories (ui_model_state.c), so seeking
 * anywhere in a million records costs microseconds. Playing maps
 * wall time to steps through compressed time: a gap between two records
 * counts at most UI_GAP_CAP_US, so "30 minutes later" passes in a moment. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ui/ui_int.h"
#include "core/ascii.h"
#include "ui/ui_place.h"

const char *const ui_proto_names[UI_P_COUNT] = {"TCP", "SMTP", "POP3", "IMAP", "HTTP", "DNS"};

#define UI_PI 3.14159265358979323846

/* Wall seconds per microsecond of compressed simulated time at 1x: 10 ms of
 * latency takes half a second, so a packet can be followed by eye. */
#define UI_REAL_PER_US 5e-5
/* Every step takes at least this long at 1x, so each record is seen. */
#define UI_MIN_STEP_S 0.12

static const double ui_speeds[UI_SPEED_COUNT] = {0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128};

enum ui_proto ui_proto_of_ports(uint16_t sport, uint16_t dport)
{
    uint16_t p[2] = {dport, sport};
    for (int i = 0; i < 2; i++) {
        switch (p[i]) {
        case 25:
        case 587:
        case 465:
            return UI_P_SMTP;
        case 110:
        case 995:
            return UI_P_POP3;
        case 143:
        case 993:
            return UI_P_IMAP;
        case 80:
        case 8080:
        case 443:
            return UI_P_HTTP;
        case 53:
            return UI_P_DNS;
        default:
            break;
        }
    }
    return UI_P_TCP;
}

enum ui_proto ui_proto_of_name(const char *name)
{
    for (int i = 1; i < UI_P_COUNT; i++)
        if (ascii_casecmp(name, ui_proto_names[i]) == 0) return (enum ui_proto)i;
    return UI_P_TCP;
}

size_t ui_lower(const uint32_t *a, size_t n, size_t key)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

size_t ui_model_dns_question(const struct ui_model *m, size_t k)
{
    const struct trace_rec *r = trace_get(m->tr, k);
    const struct trace_seg *s = trace_as_seg(r);
    if (!s || r->kind < TR_DGRAM_SENT || r->kind > TR_DGRAM_LOST) return SIZE_MAX;
    bool query = s->dport == 53; /* RFC 1035 §4.2.1: the server listens on 53 */
    uint32_t host = query ? s->src : s->dst;
    uint16_t port = query ? s->sport : s->dport;
    for (size_t i = ui_lower(m->dns_q, m->n_dns_q, k + 1); i-- > 0;) {
        const struct trace_dns *d = trace_body(trace_get(m->tr, m->dns_q[i]));
        if (d->host == host && d->port == port && d->port != 0) return m->dns_q[i];
    }
    return SIZE_MAX;
}

bool ui_model_reply_command(const struct ui_model *m, size_t k, size_t *cmd)
{
    *cmd = SIZE_MAX;
    const struct trace_line *lk = trace_as_line(trace_get(m->tr, k));
    if (!lk || trace_get(m->tr, k)->kind != TR_LINE_SENT || lk->side != 'S' ||
        lk->conn >= m->n_conns)
        return false;
    const uint32_t *a = m->conn_lines + m->conn_off[lk->conn];
    size_t n = m->conn_off[lk->conn + 1] - m->conn_off[lk->conn];
    size_t pos = ui_lower(a, n, k);
    if (pos >= n || a[pos] != k) return false;
    size_t cmds[64]; /* commands not answered yet: their records, a ring */
    size_t head = 0, count = 0, last_data = SIZE_MAX;
    bool greeted = false;
    for (size_t i = 0; i <= pos; i++) {
        const struct trace_line *l = trace_as_line(trace_get(m->tr, a[i]));
        if (l->side == 'C') {
            if (l->flags & TRACE_LF_DATA)
                last_data = a[i]; /* message text; its last line, the dot, is answered once */
            else if (count < MS_ARRAY_LEN(cmds))
                cmds[(head + count++) % MS_ARRAY_LEN(cmds)] = a[i];
            continue;
        }
        if (l->flags & (TRACE_LF_CONT | TRACE_LF_DATA)) {
            if (i == pos) return false; /* not the first line of a reply */
            continue;
        }
        size_t which = SIZE_MAX;
        bool ok = true;
        if (l->flags & TRACE_LF_DATA_END) {
            which = last_data;
            ok = which != SIZE_MAX;
        } else if (!greeted && l->verb != TRACE_NONE && trace_str(m->tr, l->verb)[0] == '\0') {
            which = SIZE_MAX; /* the greeting answers no command */
        } else if (count) {
            which = cmds[head];
            head = (head + 1) % MS_ARRAY_LEN(cmds);
            count--;
        } else {
            ok = false; /* a reply with no command left */
        }
        greeted = true;
        if (i == pos) {
            *cmd = which;
            return ok;
        }
    }
    return false;
}

/* ---- layout ------------------------------------------------------------------------ */

static enum ui_hkind ui_kind_of_scn(enum scn_host_kind k)
{
    switch (k) {
    case SCN_HOST_PC:
        return UI_HK_PC;
    case SCN_HOST_LAPTOP:
        return UI_HK_LAPTOP;
    case SCN_HOST_PHONE:
        return UI_HK_PHONE;
    case SCN_HOST_BROWSER:
        return UI_HK_BROWSER;
    case SCN_HOST_MAIL_SERVER:
        return UI_HK_SERVER;
    case SCN_HOST_ROUTER:
        return UI_HK_ROUTER;
    case SCN_HOST_DNS:
        return UI_HK_DNS;
    case SCN_HOST_WEB_SERVER:
        return UI_HK_WEB;
    default:
        return UI_HK_LAPTOP;
    }
}

static enum ui_hkind ui_kind_guess(const struct trace_host *h)
{
    const char *n = h->name;
    if (h->router) return UI_HK_ROUTER;
    if (strncmp(n, "dns", 3) == 0 || strncmp(n, "ns", 2) == 0) return UI_HK_DNS;
    if (strncmp(n, "mail", 4) == 0 || strncmp(n, "mx", 2) == 0 || strncmp(n, "smtp", 4) == 0 ||
        strncmp(n, "imap", 4) == 0 || strncmp(n, "pop", 3) == 0)
        return UI_HK_SERVER;
    if (strncmp(n, "www", 3) == 0 || strncmp(n, "web", 3) == 0) return UI_HK_WEB;
    if (strstr(n, "phone")) return UI_HK_PHONE;
    if (strstr(n, "browser")) return UI_HK_BROWSER;
    if (strstr(n, "-pc") || strncmp(n, "pc", 2) == 0) return UI_HK_PC;
    return UI_HK_LAPTOP;
}

/* Breadth-first layers from host 0: layer = column, rank in layer = row. Many
 * hosts: a circle with the routers in the middle. */
static void ui_layout_auto(struct ui_model *m)
{
    size_t nh = m->nh;
    if (nh == 0) return;
    if (nh > 12) {
        size_t ring = 0, routers = 0;
        for (size_t h = 0; h < nh; h++) *(m->hosts[h].kind == UI_HK_ROUTER ? &routers : &ring) += 1;
        size_t ri = 0, ci = 0;
        for (size_t h = 0; h < nh; h++) {
            if (m->hosts[h].kind == UI_HK_ROUTER) {
                m->hosts[h].x =
                    0.5 + (routers > 1 ? 0.15 * ((double)ri / (double)(routers - 1) - 0.5) : 0);
                m->hosts[h].y = 0.5;
                ri++;
            } else {
                double a = 2 * UI_PI * (double)ci / (double)(ring ? ring : 1);
                m->hosts[h].x = 0.5 + 0.45 * cos(a);
                m->hosts[h].y = 0.5 + 0.42 * sin(a);
                ci++;
            }
        }
        return;
    }
    /* A star around one router (the usual lesson: devices and servers on
     * "the Internet"): the router in the middle, its neighbours on an
     * ellipse from the left over the top, the next ring further out. */
    size_t hub = SIZE_MAX, hub_deg = 0;
    for (size_t h = 0; h < nh; h++) {
        if (m->hosts[h].kind != UI_HK_ROUTER) continue;
        size_t deg = 0;
        for (size_t l = 0; l < m->nl; l++) {
            const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
            deg += lk->a == h || lk->b == h;
        }
        if (deg > hub_deg) {
            hub = h;
            hub_deg = deg;
        }
    }
    if (hub != SIZE_MAX && hub_deg >= 3) {
        bool *placed = ms_xcalloc(nh, sizeof *placed);
        m->hosts[hub].x = 0.5;
        m->hosts[hub].y = 0.5;
        placed[hub] = true;
        size_t k = 0;
        for (size_t h = 0; h < nh; h++) {
            for (size_t l = 0; l < m->nl; l++) {
                const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
                if (!placed[h] && ((lk->a == hub && lk->b == h) || (lk->b == hub && lk->a == h))) {
                    double a = UI_PI - UI_PI * 2 * (double)k / (double)hub_deg;
                    m->hosts[h].x = 0.5 + 0.46 * cos(a);
                    m->hosts[h].y = 0.5 - 0.45 * sin(a);
                    placed[h] = true;
                    k++;
                }
            }
        }
        /* Everything else: beside the first placed neighbour, further out. */
        for (int pass = 0; pass < 4; pass++)
            for (size_t h = 0; h < nh; h++) {
                if (placed[h]) continue;
                for (size_t l = 0; l < m->nl && !placed[h]; l++) {
                    const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
                    size_t o = lk->a == h ? lk->b : lk->b == h ? lk->a : SIZE_MAX;
                    if (o < nh && placed[o]) {
                        double dx = m->hosts[o].x - 0.5, dy = m->hosts[o].y - 0.5;
                        m->hosts[h].x = fmin(1, fmax(0, m->hosts[o].x + 0.35 * dx));
                        m->hosts[h].y = fmin(1, fmax(0, m->hosts[o].y + 0.35 * dy + 0.12));
                        placed[h] = true;
                    }
                }
            }
        for (size_t h = 0; h < nh; h++)
            if (!placed[h]) {
                m->hosts[h].x = 0.05 + 0.9 * (double)h / (double)nh;
                m->hosts[h].y = 0.95;
            }
        free(placed);
        return;
    }
    int *depth = ms_xmalloc(nh * sizeof *depth);
    size_t *queue = ms_xmalloc(nh * sizeof *queue);
    for (size_t h = 0; h < nh; h++) depth[h] = -1;
    int maxd = 0;
    for (size_t root = 0; root < nh; root++) {
        if (depth[root] >= 0) continue;
        size_t qh = 0, qt = 0;
        depth[root] = root == 0 ? 0 : maxd + 1;
        queue[qt++] = root;
        while (qh < qt) {
            size_t h = queue[qh++];
            if (depth[h] > maxd) maxd = depth[h];
            for (size_t l = 0; l < m->nl; l++) {
                const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
                size_t o = lk->a == h ? lk->b : lk->b == h ? lk->a : (size_t)-1;
                if (o < nh && depth[o] < 0) {
                    depth[o] = depth[h] + 1;
                    queue[qt++] = o;
                }
            }
        }
    }
    for (int d = 0; d <= maxd; d++) {
        size_t cnt = 0, r = 0;
        for (size_t h = 0; h < nh; h++) cnt += depth[h] == d;
        for (size_t h = 0; h < nh; h++) {
            if (depth[h] != d) continue;
            m->hosts[h].x = maxd ? (double)d / maxd : 0.5;
            m->hosts[h].y = cnt == 1 ? 0.35 : 0.2 + 0.6 * (double)r / (double)(cnt - 1);
            r++;
        }
    }
    free(depth);
    free(queue);
}

static void ui_layout(struct ui_model *m)
{
    /* With a scenario, hosts stand by role and mail path (ui_place.c), and
     * a "pos" in the file wins; without one, the trace's graph decides. */
    double *ax = NULL, *ay = NULL;
    if (m->scn && m->scn->n_hosts) {
        ax = ms_xcalloc(m->scn->n_hosts, sizeof *ax);
        ay = ms_xcalloc(m->scn->n_hosts, sizeof *ay);
        ui_place_hosts(m->scn, ax, ay);
    }
    bool all_placed = m->scn != NULL;
    for (size_t h = 0; h < m->nh; h++) {
        const struct trace_host *th = trace_host_get(m->tr, (uint32_t)h);
        struct ui_hostinfo *hi = &m->hosts[h];
        hi->name = th->name;
        snprintf(hi->addr, sizeof hi->addr, "%u.%u.%u.%u", th->ipv4 >> 24, (th->ipv4 >> 16) & 255,
                 (th->ipv4 >> 8) & 255, th->ipv4 & 255);
        hi->kind = ui_kind_guess(th);
        hi->role = -1;
        const struct scn_host *sh = NULL;
        for (size_t i = 0; m->scn && i < m->scn->n_hosts; i++)
            if (ascii_casecmp(m->scn->hosts[i].name, th->name) == 0) sh = &m->scn->hosts[i];
        if (sh) {
            size_t si = (size_t)(sh - m->scn->hosts);
            hi->kind = ui_kind_of_scn(sh->kind);
            hi->role = (int)sh->kind;
            hi->x = sh->has_pos ? sh->x : ax[si];
            hi->y = sh->has_pos ? sh->y : ay[si];
        } else {
            all_placed = false;
        }
    }
    if (!all_placed) ui_layout_auto(m);
    free(ax);
    free(ay);
}

/* ---- building ------------------------------------------------------------------------ */

static void ui_push(uint32_t **a, size_t *n, size_t *cap, size_t v)
{
    if (*n == *cap) {
        *cap = *cap ? 2 * *cap : 64;
        *a = ms_xrealloc(*a, *cap * sizeof **a);
    }
    (*a)[(*n)++] = (uint32_t)v;
}

/* Give back what doubling left unused at the end of an index (a busy day's
 * indexes hold tens of millions of entries). */
static void ui_fit(uint32_t **a, size_t n)
{
    if (*a) *a = ms_xrealloc(*a, (n ? n : 1) * sizeof **a);
}

/* One-way latency between every two lifelines: the shortest path over the
 * links (Floyd-Warshall; only for lessons of up to 64 hosts). */
static void ui_model_latencies(struct ui_model *m)
{
    size_t nh = m->nh;
    if (nh == 0 || nh > 64) return;
    sim_us *d = ms_xmalloc(nh * nh * sizeof *d);
    for (size_t i = 0; i < nh * nh; i++) d[i] = i % (nh + 1) == 0 ? 0 : INT64_MAX / 4;
    for (size_t l = 0; l < m->nl; l++) {
        const struct trace_link *lk = trace_link_get(m->tr, (uint32_t)l);
        if (lk->a >= nh || lk->b >= nh) continue;
        sim_us v = lk->latency_us > 0 ? lk->latency_us : 1;
        if (v < d[lk->a * nh + lk->b]) d[lk->a * nh + lk->b] = d[lk->b * nh + lk->a] = v;
    }
    for (size_t k = 0; k < nh; k++)
        for (size_t i = 0; i < nh; i++)
            for (size_t j = 0; j < nh; j++)
                if (d[i * nh + k] + d[k * nh + j] < d[i * nh + j])
                    d[i * nh + j] = d[i * nh + k] + d[k * nh + j];
    m->lat = d;
    for (size_t i = 0; i < nh * nh; i++)
        if (d[i] < INT64_MAX / 4 && d[i] > m->max_lat) m->max_lat = d[i];
}

static int ui_tls_from_cmp(const void *a, const void *b)
{
    const struct ui_tls_from *x = a, *y = b;
    if (x->conn != y->conn) return x->conn < y->conn ? -1 : 1;
    if (x->host != y->host) return x->host < y->host ? -1 : 1;
    return (x->t > y->t) - (x->t < y->t);
}

/* Every line written inside TLS was collected in the pass; keep the first
 * of each (conn, host). */
static void ui_model_tls_from(struct ui_model *m)
{
    if (!m->n_tls_from) return;
    qsort(m->tls_from, m->n_tls_from, sizeof *m->tls_from, ui_tls_from_cmp);
    size_t n = 1;
    for (size_t i = 1; i < m->n_tls_from; i++) {
        const struct ui_tls_from *p = &m->tls_from[n - 1], *q = &m->tls_from[i];
        if (q->conn != p->conn || q->host != p->host) m->tls_from[n++] = *q;
    }
    m->n_tls_from = n;
    m->tls_from = ms_xrealloc(m->tls_from, n * sizeof *m->tls_from);
}

bool ui_model_tls_by(const struct ui_model *m, uint32_t conn, uint32_t host, sim_us t)
{
    size_t lo = 0, hi = m->n_tls_from;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const struct ui_tls_from *e = &m->tls_from[mid];
        if (e->conn < conn || (e->conn == conn && e->host < host))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < m->n_tls_from && m->tls_from[lo].conn == conn && m->tls_from[lo].host == host &&
           m->tls_from[lo].t <= t;
}

const struct ui_dline *ui_model_dline(const struct ui_model *m, size_t rec)
{
    size_t p = ui_lower(m->lines, m->n_lines, rec);
    return p < m->n_lines && m->lines[p] == rec ? &m->dl[p] : NULL;
}

/* Drop from a (sorted records) every line of message text but the first
 * of each message, and every further line of a reply. */
static void ui_model_drop_body(const struct ui_model *m, const uint32_t *line_conn, uint32_t *a,
                               size_t *n)
{
    size_t o = 0;
    for (size_t i = 0; i < *n; i++) {
        const struct ui_dline *d = ui_model_dline(m, a[i]);
        if (d && d->kind == UI_DL_MORE) continue; /* the reply's first line stands for it */
        if (d && d->kind == UI_DL_DATA) {
            uint32_t conn = line_conn[d - m->dl]; /* the connection of lines[d - dl] */
            size_t c0 = m->conn_off[conn];
            /* the line before it in its connection */
            size_t p = c0 + ui_lower(m->conn_lines + c0, m->conn_off[conn + 1] - c0, a[i]);
            const struct ui_dline *prev = p > c0 ? ui_model_dline(m, m->conn_lines[p - 1]) : NULL;
            if (prev && prev->kind == UI_DL_DATA) continue;
        }
        a[o++] = a[i];
    }
    *n = o;
}

/* Does a step at the line grain stop at a record of kind k? What a lecturer
 * teaches: lines, message events, DNS, losses, hosts and links, failures. */
static bool ui_model_teaches(enum trace_kind k)
{
    switch (k) {
    case TR_HOST_UP:
    case TR_HOST_DOWN:
    case TR_LINK_UP:
    case TR_LINK_DOWN:
    case TR_SEG_LOST:
    case TR_DGRAM_SENT:
    case TR_DGRAM_LOST:
    case TR_CONN_REFUSED:
    case TR_CONN_TIMEOUT:
    case TR_CONN_RESET:
    case TR_LINE_SENT:
    case TR_MSG_COMPOSED:
    case TR_MSG_SUBMITTED:
    case TR_MSG_QUEUED:
    case TR_MSG_ATTEMPT:
    case TR_MSG_DEFERRED:
    case TR_MSG_DELIVERED:
    case TR_MSG_BOUNCED:
    case TR_MSG_DUPLICATE:
    case TR_DNS_ANSWER:
    case TR_NARRATION:
        return true;
    default:
        return false;
    }
}

/* A column for host h in the sequence diagram, if it has none yet. */
static void ui_model_column(struct ui_model *m, uint32_t h)
{
    if (h >= m->nh || m->column[h] >= 0 || m->hosts[h].kind == UI_HK_ROUTER) return;
    m->column[h] = (int)m->n_cols;
    m->col_host[m->n_cols++] = h;
}

struct ui_model *ui_model_new(const struct trace *tr, const struct scn_scenario *scn)
{
    struct ui_model *m = ms_xcalloc(1, sizeof *m);
    m->tr = tr;
    m->scn = scn;
    m->n = trace_count(tr);
    if (m->n > UI_REC_MAX) m->n = UI_REC_MAX;
    m->nh = trace_host_count(tr);
    m->nl = trace_link_count(tr);
    m->hosts = ms_xcalloc(m->nh + 1, sizeof *m->hosts);
    if (scn && scn->title)
        scn_display_title(scn, m->title, sizeof m->title);
    else
        snprintf(m->title, sizeof m->title, "mailsim");
    if (scn) ui_model_set_variants(m, scn->variants, scn->n_variants);
    ui_layout(m);

    /* One pass over the records, in order, so that each block of the packed
     * trace is decoded once: every index, the pairing's line facts, the
     * diagram's columns and the state's histories. */
    _Static_assert(UI_GAP_CAP_US <= UINT16_MAX, "a capped gap must fit the compressed time");
    m->ct_gap = ms_xmalloc((m->n + 1) * sizeof *m->ct_gap);
    m->ct_base = ms_xmalloc((m->n / UI_CT_EVERY + 1) * sizeof *m->ct_base);
    size_t cap_lines = 0, cap_msgs = 0, cap_rows = 0, cap_rows_tcp = 0, cap_gaps = 0,
           cap_timers = 0, cap_dns_q = 0, cap_teach = 0, cap_quiet = 0, cap_narrs = 0;
    size_t cap_gap_us = 0;
    uint32_t max_conn = 0;
    uint32_t *line_conn = NULL; /* the connection of lines[i] */
    uint8_t *line_fact = NULL;  /* and what ui_pairs needs of it */
    size_t cap_line_conn = 0, cap_tls_from = 0;
    m->column = ms_xmalloc((m->nh + 1) * sizeof *m->column);
    m->col_host = ms_xmalloc((m->nh + 1) * sizeof *m->col_host);
    for (size_t h = 0; h < m->nh; h++) m->column[h] = -1;
    struct ui_state_build *sb = ui_state_build_new();
    sim_us prev = m->n ? trace_get(tr, 0)->t : 0, acc = 0;
    for (size_t i = 0; i < m->n; i++) {
        const struct trace_rec *r = trace_get(tr, i);
        sim_us gap = r->t - prev;
        sim_us capped = gap < UI_GAP_CAP_US ? gap : UI_GAP_CAP_US;
        acc += capped;
        m->ct_gap[i] = (uint16_t)capped;
        if (i % UI_CT_EVERY == 0) m->ct_base[i / UI_CT_EVERY] = acc;
        if (gap >= UI_GAP_LABEL_US) {
            if (m->n_gaps == cap_gap_us) {
                cap_gap_us = cap_gap_us ? 2 * cap_gap_us : 64;
                m->gap_us = ms_xrealloc(m->gap_us, cap_gap_us * sizeof *m->gap_us);
            }
            m->gap_us[m->n_gaps] = gap;
            ui_push(&m->gaps, &m->n_gaps, &cap_gaps, i);
        }
        prev = r->t;
        enum trace_kind k = (enum trace_kind)r->kind;
        const struct trace_seg *s = trace_as_seg(r);
        const struct trace_line *l = trace_as_line(r);
        ui_state_build_add(sb, m, i, r);
        if (ui_model_teaches(k)) ui_push(&m->teach, &m->n_teach, &cap_teach, i);
        if (k == TR_NARRATION) {
            if (m->n_narrs < UI_NARR_MEASURED) {
                size_t len;
                const uint8_t *d = trace_data(r, &len);
                m->narr_text = ms_xrealloc(m->narr_text, (m->n_narrs + 1) * sizeof *m->narr_text);
                m->narr_text[m->n_narrs] = ms_xmalloc(len + 1);
                memcpy(m->narr_text[m->n_narrs], d, len);
                m->narr_text[m->n_narrs][len] = '\0';
                m->n_narr_text = m->n_narrs + 1;
            }
            ui_push(&m->narrs, &m->n_narrs, &cap_narrs, i);
        }
        if (s && k < TR_DGRAM_SENT && s->len == 0 && !(s->flags & NETEV_RST) && k != TR_SEG_LOST)
            ui_push(&m->quiet, &m->n_quiet, &cap_quiet, i);
        if (s) {
            if (s->t_arrive - s->t_depart > m->max_flight)
                m->max_flight = s->t_arrive - s->t_depart;
            bool first_hop = k == TR_SEG_SENT || k == TR_SEG_RETRANS || k == TR_DGRAM_SENT;
            bool lost = k == TR_SEG_LOST || k == TR_DGRAM_LOST;
            if (k == TR_DGRAM_SENT || lost) ui_push(&m->rows, &m->n_rows, &cap_rows, i);
            if (k == TR_DGRAM_SENT || lost || (first_hop && s->len == 0))
                ui_push(&m->rows_tcp, &m->n_rows_tcp, &cap_rows_tcp, i);
            /* Lifelines in the order the traffic meets the hosts: the
             * first packet's sender, its receiver, then each new end host
             * as it first sends or receives (sender's agent, its server,
             * the DNS, the recipient's server, the recipient's agents), so
             * the mail's arrows run left to right without a hint in the
             * scenario. */
            if (first_hop || lost) {
                ui_model_column(m, s->src);
                ui_model_column(m, s->dst);
            }
        } else if (l && k == TR_LINE_SENT) {
            if (m->n_lines == cap_line_conn) {
                cap_line_conn = cap_line_conn ? 2 * cap_line_conn : 64;
                line_conn = ms_xrealloc(line_conn, cap_line_conn * sizeof *line_conn);
                line_fact = ms_xrealloc(line_fact, cap_line_conn * sizeof *line_fact);
            }
            line_conn[m->n_lines] = l->conn;
            line_fact[m->n_lines] = ui_pairs_fact(tr, l);
            if (l->flags & TRACE_LF_TLS) {
                if (m->n_tls_from == cap_tls_from) {
                    cap_tls_from = cap_tls_from ? 2 * cap_tls_from : 16;
                    m->tls_from = ms_xrealloc(m->tls_from, cap_tls_from * sizeof *m->tls_from);
                }
                m->tls_from[m->n_tls_from++] = (struct ui_tls_from){l->conn, l->host, r->t};
            }
            ui_push(&m->lines, &m->n_lines, &cap_lines, i);
            ui_push(&m->rows, &m->n_rows, &cap_rows, i);
            ui_push(&m->rows_tcp, &m->n_rows_tcp, &cap_rows_tcp, i);
            if (l->conn + 1 > max_conn) max_conn = l->conn + 1;
            ui_model_column(m, l->host);
            ui_model_column(m, l->peer);
        } else if (trace_as_msg(r)) {
            ui_push(&m->msgs, &m->n_msgs, &cap_msgs, i);
        } else if (k == TR_TIMER_SET || k == TR_TIMER_CANCELLED) {
            ui_push(&m->timers, &m->n_timers, &cap_timers, i);
        } else if (k == TR_DNS_QUESTION) {
            ui_push(&m->dns_q, &m->n_dns_q, &cap_dns_q, i);
        }
    }
    ui_state_build_end(sb, m);
    ui_model_tls_from(m);
    /* Lines per connection (CSR), with each one's place in lines[]. */
    m->n_conns = max_conn;
    m->conn_off = ms_xcalloc((size_t)max_conn + 2, sizeof *m->conn_off);
    m->conn_lines = ms_xmalloc((m->n_lines + 1) * sizeof *m->conn_lines);
    uint32_t *conn_pos = ms_xmalloc((m->n_lines + 1) * sizeof *conn_pos);
    for (size_t i = 0; i < m->n_lines; i++) m->conn_off[line_conn[i] + 2]++;
    for (uint32_t c = 0; c < max_conn; c++) m->conn_off[c + 2] += m->conn_off[c + 1];
    for (size_t i = 0; i < m->n_lines; i++) {
        uint32_t at = m->conn_off[line_conn[i] + 1]++;
        m->conn_lines[at] = m->lines[i];
        conn_pos[at] = (uint32_t)i;
    }
    /* Replies paired with commands; message text off the diagram and the
     * line grain but for its first line (drawn as one arrow). */
    m->dl = ms_xcalloc(m->n_lines + 1, sizeof *m->dl);
    struct ui_dline *tmp = ms_xcalloc(m->n_lines + 1, sizeof *tmp);
    uint8_t *facts = ms_xmalloc(m->n_lines + 1);
    for (uint32_t c = 0; c < max_conn; c++) {
        size_t o = m->conn_off[c], cn = m->conn_off[c + 1] - o;
        if (!cn) continue;
        for (size_t i = 0; i < cn; i++) facts[i] = line_fact[conn_pos[o + i]];
        ui_pairs(facts, cn, tmp);
        for (size_t i = 0; i < cn; i++) m->dl[conn_pos[o + i]] = tmp[i];
    }
    free(facts);
    free(tmp);
    free(conn_pos);
    free(line_fact);
    ui_model_drop_body(m, line_conn, m->rows, &m->n_rows);
    ui_model_drop_body(m, line_conn, m->rows_tcp, &m->n_rows_tcp);
    ui_model_drop_body(m, line_conn, m->teach, &m->n_teach);
    free(line_conn);
    ui_fit(&m->rows, m->n_rows);
    ui_fit(&m->rows_tcp, m->n_rows_tcp);
    ui_fit(&m->teach, m->n_teach);
    ui_fit(&m->quiet, m->n_quiet);
    ui_fit(&m->lines, m->n_lines);
    ui_fit(&m->msgs, m->n_msgs);
    ui_fit(&m->gaps, m->n_gaps);
    if (m->gap_us)
        m->gap_us = ms_xrealloc(m->gap_us, (m->n_gaps ? m->n_gaps : 1) * sizeof *m->gap_us);
    ui_fit(&m->narrs, m->n_narrs);
    ui_fit(&m->timers, m->n_timers);
    ui_fit(&m->dns_q, m->n_dns_q);
    ui_model_latencies(m);
    return m;
}

sim_us ui_model_ct(const struct ui_model *m, size_t k)
{
    size_t b = k / UI_CT_EVERY;
    sim_us c = m->ct_base[b];
    for (size_t i = b * UI_CT_EVERY + 1; i <= k; i++) c += m->ct_gap[i];
    return c;
}

size_t ui_model_memory(const struct ui_model *m)
{
    size_t r =
        sizeof *m + (m->nh + 1) * (sizeof *m->hosts + sizeof *m->column + sizeof *m->col_host);
    r += (m->n + 1) * sizeof *m->ct_gap + (m->n / UI_CT_EVERY + 1) * sizeof *m->ct_base;
    r += (m->n_lines + m->n_msgs + m->n_rows + m->n_rows_tcp + m->n_lines + m->n_gaps + m->n_narrs +
          m->n_teach + m->n_quiet + m->n_timers + m->n_dns_q) *
         sizeof(uint32_t);
    r += (m->n_conns + 2) * sizeof *m->conn_off + (m->n_lines + 1) * sizeof *m->dl;
    r += m->n_tls_from * sizeof *m->tls_from;
    r += m->n_gaps * sizeof *m->gap_us + ui_state_hist_memory(m);
    for (size_t i = 0; i < m->n_narr_text; i++) r += strlen(m->narr_text[i]) + 1 + sizeof(char *);
    if (m->lat) r += m->nh * m->nh * sizeof *m->lat;
    return r;
}

void ui_model_free(struct ui_model *m)
{
    if (!m) return;
    ui_state_hist_free(m);
    free(m->hosts);
    free(m->ct_gap);
    free(m->ct_base);
    free(m->lines);
    free(m->msgs);
    free(m->rows);
    free(m->rows_tcp);
    free(m->conn_off);
    free(m->conn_lines);
    free(m->tls_from);
    free(m->column);
    free(m->col_host);
    free(m->bins);
    free(m->gaps);
    free(m->gap_us);
    free(m->timers);
    free(m->dns_q);
    free(m->teach);
    free(m->dl);
    free(m->narrs);
    for (size_t i = 0; i < m->n_narr_text; i++) free(m->narr_text[i]);
    free(m->narr_text);
    free(m->lat);
    free(m->quiet);
    free(m);
}

size_t ui_model_steps(const struct ui_model *m)
{
    return m->n;
}
const struct trace *ui_model_trace(const struct ui_model *m)
{
    return m->tr;
}
const char *ui_model_title(const struct ui_model *m)
{
    return m->title;
}

void ui_model_set_title(struct ui_model *m, const char *title)
{
    if (title) snprintf(m->title, sizeof m->title, "%s", title);
}

/* ---- the view -------------------------------------------------------------------------- */

void ui_view_init(struct ui_view *v)
{
    memset(v, 0, sizeof *v);
    v->speed = 3;
    v->zoom = 1.0;
    v->topo_zoom = 1.0;
    v->theme = UI_THEME_DARK;
    v->tcp_detail = true;
    v->msg_host = TRACE_NONE;
    v->quiz_passed = SIZE_MAX;
    v->quiz_pick = -1;
}

void ui_view_seek(struct ui_view *v, const struct ui_model *m, size_t k)
{
    v->step = k > m->n ? m->n : k;
    v->frac = 0;
}

void ui_view_step(struct ui_view *v, const struct ui_model *m, long delta)
{
    if (delta < 0 && (size_t)(-delta) > v->step)
        ui_view_seek(v, m, 0);
    else
        ui_view_seek(v, m, (size_t)((long)v->step + delta));
}

/* Step to just after the next (dir > 0) or previous record listed in a. */
static void ui_view_step_in(struct ui_view *v, const struct ui_model *m, const uint32_t *a,
                            size_t n, int dir)
{
    if (dir > 0) {
        size_t p = ui_lower(a, n, v->step);
        if (p < n) ui_view_seek(v, m, a[p] + 1);
    } else {
        size_t p = v->step >= 1 ? ui_lower(a, n, v->step - 1) : 0;
        if (p > 0) ui_view_seek(v, m, a[p - 1] + 1);
    }
}

void ui_view_step_line(struct ui_view *v, const struct ui_model *m, int dir)
{
    ui_view_step_in(v, m, m->lines, m->n_lines, dir);
}

uint32_t ui_view_cycle_conn(struct ui_view *v, const struct ui_model *m)
{
    for (uint32_t c = v->conn + 1; c < m->n_conns; c++) {
        /* conn_lines are in step order: the first tells when it began. */
        if (m->conn_off[c] < m->conn_off[c + 1] && m->conn_lines[m->conn_off[c]] < v->step) {
            v->conn = c;
            return c;
        }
    }
    v->conn = 0;
    return 0;
}

void ui_view_step_message(struct ui_view *v, const struct ui_model *m, int dir)
{
    ui_view_step_in(v, m, m->msgs, m->n_msgs, dir);
}

void ui_view_step_grain(struct ui_view *v, const struct ui_model *m, int dir)
{
    if (v->grain == UI_GRAIN_LINE) {
        ui_view_step_in(v, m, m->teach, m->n_teach, dir);
        return;
    }
    if (v->tcp_detail) {
        ui_view_step(v, m, dir > 0 ? 1 : -1);
        return;
    }
    /* Every record but the hidden ones: the records after step k - 1 are
     * k, k + 1, ...; skip those in m->quiet. */
    size_t k = v->step;
    if (dir > 0) {
        while (k < m->n) {
            k++;
            size_t p = ui_lower(m->quiet, m->n_quiet, k - 1);
            if (p >= m->n_quiet || m->quiet[p] != k - 1) break;
        }
    } else {
        while (k > 0) {
            k--;
            if (k == 0) break;
            size_t p = ui_lower(m->quiet, m->n_quiet, k - 1);
            if (p >= m->n_quiet || m->quiet[p] != k - 1) break;
        }
    }
    ui_view_seek(v, m, k);
}

void ui_view_grain_pos(const struct ui_view *v, const struct ui_model *m, size_t *pos,
                       size_t *total)
{
    if (v->grain == UI_GRAIN_LINE) {
        *pos = ui_lower(m->teach, m->n_teach, v->step);
        *total = m->n_teach;
    } else if (v->tcp_detail) {
        *pos = v->step;
        *total = m->n;
    } else {
        size_t q = ui_lower(m->quiet, m->n_quiet, v->step);
        *pos = v->step - q;
        *total = m->n - m->n_quiet;
    }
}

double ui_view_speed_factor(const struct ui_view *v)
{
    int s = v->speed < 0 ? 0 : v->speed >= UI_SPEED_COUNT ? UI_SPEED_COUNT - 1 : v->speed;
    return ui_speeds[s];
}

/* Wall seconds the move from step k to k+1 takes at 1x, or in real time
 * the simulated seconds between records k-1 and k. */
static double ui_step_duration(const struct ui_model *m, size_t k, bool realtime)
{
    if (realtime)
        return k >= 1 && k < m->n
                   ? (double)(trace_get(m->tr, k)->t - trace_get(m->tr, k - 1)->t) / SIM_US_PER_S
                   : 0;
    double d = UI_MIN_STEP_S;
    if (k >= 1 && k < m->n) {
        double g = (double)m->ct_gap[k] * UI_REAL_PER_US;
        if (g > d) d = g;
    }
    return d;
}

void ui_view_advance(struct ui_view *v, const struct ui_model *m, double real_s)
{
    if (!v->playing) return;
    double sp = v->realtime ? 1 : ui_view_speed_factor(v);
    /* Quiz mode: stop before the record that answers a question. */
    size_t stop = v->quiz ? ui_quiz_next(m, v->step) : m->n;
    if (stop < m->n && stop == v->quiz_passed) stop = ui_quiz_next(m, stop + 1);
    while (real_s > 0 && v->step < m->n) {
        if (v->step == stop) {
            v->frac = 0;
            v->playing = false;
            v->overlay = UI_OV_QUIZ;
            v->quiz_step = stop;
            v->quiz_pick = -1;
            v->quiz_shown = false;
            return;
        }
        double dur = ui_step_duration(m, v->step, v->realtime) / sp;
        double left = (1.0 - v->frac) * dur;
        if (real_s < left) { /* never true for a step of no time */
            v->frac += real_s / dur;
            return;
        }
        real_s -= left;
        v->step++;
        v->frac = 0;
        if (v->quiz && v->step > stop) stop = ui_quiz_next(m, v->step);
    }
    if (v->step >= m->n) {
        v->step = m->n;
        v->frac = 0;
        v->playing = false;
    }
}

sim_us ui_view_time(const struct ui_view *v, const struct ui_model *m)
{
    if (m->n == 0) return 0;
    if (v->step == 0) return trace_get(m->tr, 0)->t;
    sim_us t = trace_get(m->tr, v->step - 1)->t;
    if (v->step < m->n && v->frac > 0) {
        sim_us t2 = trace_get(m->tr, v->step)->t;
        t += (sim_us)((double)(t2 - t) * v->frac);
    }
    return t;
}

size_t ui_model_step_at_where(const struct ui_model *m, double where)
{
    if (m->n == 0) return 0;
    if (where <= 0) return 0;
    if (where >= 1) return m->n;
    sim_us target = (sim_us)(where * (double)ui_model_ct(m, m->n - 1));
    /* The first record whose compressed time reaches target: the last
     * sampled sum below it, then record by record. */
    size_t lo = 0, hi = (m->n - 1) / UI_CT_EVERY + 1;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->ct_base[mid] < target)
            lo = mid + 1;
        else
            hi = mid;
    }
    size_t k = 0;
    if (lo > 0) {
        k = (lo - 1) * UI_CT_EVERY;
        sim_us c = m->ct_base[lo - 1];
        while (c < target && k + 1 < m->n) c += m->ct_gap[++k];
        if (c < target) k = m->n;
    }
    return k + 1 > m->n ? m->n : k + 1;
}
