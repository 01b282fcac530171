/* ua.c -- the user agent on a device: composes RFC 5322 + MIME messages
 * from the scenario (attachments base64-encoded so the whole message is
 * 7-bit text, RFC 2045 §6.8) and submits them to its own mail server (port
 * 587, RFC 6409, with AUTH PLAIN when the server asks for it), or, when the
 * scenario asks for direct delivery, straight to the recipient's side on
 * port 25. A user agent does not queue: when it cannot hand the message
 * over it tells its user ("not sent"), which is the lesson of lesson 07. */
#include "mail/ua_int.h"
#include "core/ascii.h"
#include "mail/world_smtpc.h"

#include "format/mime.h"
#include "format/msg.h"
#include "mail/mq_check.h"
#include "mail/ua_eml.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct ua_job {
    struct ua *u;
    struct ua_job *next;
    uint32_t msg;
    char *from;
    char *data;
    size_t len;
    char **rcpts; /* all envelope recipients of this job */
    size_t nrcpt;
    bool *decided;
    uint32_t peer;
    struct smtp_client_txn t;
    bool auth;
    bool raw;               /* the body may hold a bare LF (raw_body) */
    enum smtp_tls_mode tls; /* STARTTLS (RFC 3207) as the send action says */
    uint16_t port;
    char user[128], pass[128];
};

/* One connection carrying the jobs started at the same moment for the same
 * server: a user agent sending three messages at once opens one session. */
struct ua_conn {
    struct ua_conn *next;
    struct ua *u;
    uint32_t dst;
    uint16_t port;
    bool auth;
    bool raw;
    enum smtp_tls_mode tls;
    char user[128], pass[128];
    struct ua_job **jobs;
    size_t njobs;
    struct world_smtpc *s;
    evq_handle start;
};


static void ua_outcome(void *ctx, void *txn_user, size_t rcpt_index, enum smtp_outcome o, int code,
                       const char *text);

/* The send action's "starttls" as the SMTP client's mode (RFC 3207). */
static const enum smtp_tls_mode ua_tls_of[SCN_TLS_USE_COUNT] = {
    [SCN_TLS_OFF] = SMTP_TLS_OFF,
    [SCN_TLS_OPPORTUNISTIC] = SMTP_TLS_OPPORTUNISTIC,
    [SCN_TLS_REQUIRED] = SMTP_TLS_REQUIRED,
};
static void ua_done(void *ctx, enum tcp_err err);

static const struct world_smtpc_ops ua_ops = {
    .rcpt_outcome = ua_outcome,
    .done = ua_done,
};

/* The display name of addr if it is a user of the scenario, else NULL. */
static const char *ua_display_name(const struct scn_scenario *s, const char *addr)
{
    const char *at = strrchr(addr, '@');
    if (!at) return NULL;
    size_t h = scn_find_domain(s, at + 1);
    if (h == SCN_NONE) return NULL;
    const struct scn_mail_server *ms = &s->hosts[h].mail;
    for (size_t i = 0; i < ms->n_users; i++) {
        const char *n = ms->users[i].name;
        if (strlen(n) == (size_t)(at - addr) && strncmp(n, addr, (size_t)(at - addr)) == 0)
            return ms->users[i].display_name[0] ? ms->users[i].display_name : NULL;
    }
    return NULL;
}

/* Addresses compare exactly in the local part and without regard to case
 * in the domain (RFC 5321 §2.4). */
static bool ua_addr_eq(const char *a, const char *b)
{
    const char *aa = strrchr(a, '@'), *ba = strrchr(b, '@');
    if (!aa || !ba || aa - a != ba - b || strncmp(a, b, (size_t)(aa - a)) != 0) return false;
    return ascii_casecmp(aa + 1, ba + 1) == 0;
}

static bool ua_is_ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

/* Does s have a line longer than RFC 5322 §2.1.1 allows (998 octets
 * without its CRLF)? Such a body cannot travel as it is: a user agent sends
 * it quoted-printable, whose soft line breaks keep lines short (RFC 2045
 * §6.7 rule 5), as real mail programs do. */
static bool ua_has_long_line(const char *s)
{
    size_t run = 0;
    for (; *s; s++) {
        if (*s == '\n' || *s == '\r') {
            run = 0;
        } else if (++run > 998) {
            return true;
        }
    }
    return false;
}

/* Text with LF line ends as CRLF text (CRLF kept). */
static void ua_crlf(struct msg_buf *b, const char *s)
{
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '\n' && (i == 0 || s[i - 1] != '\r')) msg_buf_add(b, "\r", 1);
        msg_buf_add(b, &s[i], 1);
    }
    if (n > 0 && s[n - 1] != '\n') msg_buf_add(b, "\r\n", 2);
}
/* An attachment the HTML embeds: html holds "cid:<name>@<domain>", which
 * becomes the part's Content-ID <name@domain> (RFC 2392). False when the
 * HTML does not refer to it. */
static bool ua_cid_find(const char *html, const char *name, char *out, size_t cap)
{
    size_t nl = strlen(name);
    for (const char *p = html ? strstr(html, "cid:") : NULL; p; p = strstr(p + 4, "cid:")) {
        const char *id = p + 4;
        if (strncmp(id, name, nl) != 0 || id[nl] != '@') continue;
        size_t n = nl + 1;
        while (id[n] && (isalnum((unsigned char)id[n]) || id[n] == '.' || id[n] == '-')) n++;
        if (n == nl + 1 || n + 3 > cap) continue;
        snprintf(out, cap, "<%.*s>", (int)n, id);
        return true;
    }
    return false;
}


/* Compose the message of send as msg number id. Returns false with err. */
static bool ua_compose(struct ua *u, const struct scn_send *send, uint32_t id, struct msg_buf *out,
                       struct ms_error *err)
{
    struct world *w = u->w;
    const struct scn_scenario *s = w->s;
    const struct scn_message *m = &send->msg;
    const char *at = strrchr(send->from, '@');
    const char *domain = at ? at + 1 : "localhost";
    struct msg_buf mid = {0};
    msg_make_message_id(&mid, s->seed, id, send->from, strlen(send->from), domain, strlen(domain));

    struct msg_mailbox *to = ms_xcalloc(m->n_to + 1, sizeof *to);
    struct msg_mailbox *cc = ms_xcalloc(m->n_cc + 1, sizeof *cc);
    for (size_t i = 0; i < m->n_to; i++) {
        to[i].addr = m->to[i];
        to[i].name = ua_display_name(s, m->to[i]);
    }
    for (size_t i = 0; i < m->n_cc; i++) {
        cc[i].addr = m->cc[i];
        cc[i].name = ua_display_name(s, m->cc[i]);
    }
    struct msg_buf fields = {0}, body = {0};
    bool plain =
        m->n_attachments == 0 && !m->html && ua_is_ascii(m->body) && !ua_has_long_line(m->body);
    bool ok = true;
    if (send->raw_body) {
        /* UNSAFE (the smuggling lesson's attacker): the body as written, a
         * lone LF included; the header above it is composed as always. */
        msg_buf_add(&body, m->body, strlen(m->body));
    } else if (plain) {
        ua_crlf(&body, m->body);
    } else {
        struct mime_node *kids = ms_xcalloc(m->n_attachments + 2, sizeof *kids);
        char(*types)[2][64] = ms_xcalloc(m->n_attachments + 1, sizeof *types);
        unsigned char **gen = ms_xcalloc(m->n_attachments + 1, sizeof *gen);
        char(*cids)[160] = ms_xcalloc(m->n_attachments + 1, sizeof *cids);
        size_t n_embedded = 0;
        struct mime_node textnode, alt[2];
        memset(&textnode, 0, sizeof textnode);
        memset(alt, 0, sizeof alt);
        textnode.leaf.type = "text";
        textnode.leaf.subtype = "plain";
        textnode.leaf.cte = MIME_CTE_OTHER;
        textnode.leaf.content = (const unsigned char *)m->body;
        textnode.leaf.len = strlen(m->body);
        struct mime_node first = textnode;
        if (m->html) {
            alt[0] = textnode;
            alt[1].leaf.type = "text";
            alt[1].leaf.subtype = "html";
            alt[1].leaf.cte = MIME_CTE_OTHER;
            alt[1].leaf.content = (const unsigned char *)m->html;
            alt[1].leaf.len = strlen(m->html);
            memset(&first, 0, sizeof first);
            first.is_multipart = true;
            first.subtype = "alternative";
            first.children = alt;
            first.n_children = 2;
        }
        struct mime_node root;
        memset(&root, 0, sizeof root);
        if (m->n_attachments == 0) {
            root = first;
        } else {
            kids[0] = first;
            for (size_t i = 0; i < m->n_attachments; i++) {
                const struct scn_attachment *a = &m->attachments[i];
                struct mime_leaf *l = &kids[i + 1].leaf;
                char *slash = strchr(a->type, '/');
                snprintf(types[i][0], sizeof types[i][0], "%.*s",
                         slash ? (int)(slash - a->type) : (int)strlen(a->type), a->type);
                snprintf(types[i][1], sizeof types[i][1], "%s", slash ? slash + 1 : "octet-stream");
                l->type = types[i][0];
                l->subtype = types[i][1];
                l->filename = a->name;
                l->cte = MIME_CTE_BASE64;
                if (a->data) {
                    l->content = a->data;
                } else {
                    gen[i] = ms_xmalloc(a->size ? a->size : 1);
                    mime_fake_content(gen[i], a->size, s->seed ^ ((uint64_t)id << 16) ^ i, a->type);
                    l->content = gen[i];
                }
                l->len = a->size;
                if (ua_cid_find(m->html, a->name, cids[i], sizeof cids[i])) {
                    l->content_id = cids[i]; /* embedded: the HTML shows it (RFC 2392) */
                    l->inline_disp = true;
                    n_embedded++;
                }
            }
            root.is_multipart = true;
            root.subtype = "mixed";
            if (n_embedded == m->n_attachments) { /* RFC 2387: HTML and its images */
                root.subtype = "related";
                root.related_type = m->html ? "multipart/alternative" : "text/plain";
            }
            root.children = kids;
            root.n_children = m->n_attachments + 1;
        }
        if (mime_build(&fields, &body, &root, s->seed ^ id, err) != MIME_OK) ok = false;
        for (size_t i = 0; i < m->n_attachments; i++) free(gen[i]);
        free(gen);
        free(kids);
        free(types);
        free(cids);
    }
    if (ok) {
        struct msg_header_spec hs;
        memset(&hs, 0, sizeof hs);
        hs.from.addr = send->from;
        hs.from.name = ua_display_name(s, send->from);
        hs.to = to;
        hs.n_to = m->n_to;
        hs.cc = cc;
        hs.n_cc = m->n_cc;
        hs.subject = m->subject[0] ? m->subject : NULL;
        hs.date_t = evq_now(w->q);
        hs.epoch_unix = s->epoch;
        hs.message_id = mid.data;
        hs.extra_fields = fields.data;
        hs.extra_len = fields.len;
        if (msg_build_header(out, &hs, err) != MSG_OK)
            ok = false;
        else
            msg_buf_add(out, body.data, body.len);
    }
    msg_buf_free(&fields);
    msg_buf_free(&body);
    msg_buf_free(&mid);
    free(to);
    free(cc);
    return ok;
}

static void ua_job_free(struct ua_job *j)
{
    struct ua_job **pp = &j->u->jobs;
    while (*pp && *pp != j) pp = &(*pp)->next;
    if (*pp) *pp = j->next;
    for (size_t i = 0; i < j->nrcpt; i++) free(j->rcpts[i]);
    free(j->rcpts);
    free(j->decided);
    free(j->from);
    free(j->data);
    free(j);
}

static void ua_conn_free(struct ua_conn *c)
{
    struct ua_conn **pp = &c->u->conns;
    while (*pp && *pp != c) pp = &(*pp)->next;
    if (*pp) *pp = c->next;
    if (evq_is_set(c->start)) evq_cancel(c->u->w->q, c->start);
    world_smtpc_free(c->s);
    free(c->jobs);
    free(c);
}

static void ua_decide(struct ua_job *j, size_t i, enum smtp_outcome o, int code, const char *text)
{
    struct world *w = j->u->w;
    if (i >= j->nrcpt || j->decided[i]) return;
    j->decided[i] = true;
    uint32_t host = (uint32_t)j->u->h;
    if (o == SMTP_OUT_DELIVERED) {
        world_msg_trace(w, TR_MSG_SUBMITTED, j->msg, host, j->peer, j->from, j->rcpts[i], 1,
                        (uint32_t)code, -1, text);
        return;
    }
    if (o == SMTP_OUT_UNKNOWN)
        world_msg_trace(w, TR_MSG_DUPLICATE, j->msg, host, j->peer, j->from, j->rcpts[i], 1, 0, -1,
                        text);
    /* Never handed over: a user agent has no queue, nothing bounces. */
    world_msg_trace(w, TR_MSG_NOT_SENT, j->msg, host, j->peer, j->from, j->rcpts[i], 1,
                    (uint32_t)code, -1, text && text[0] ? text : "no reply");
}

static void ua_outcome(void *ctx, void *txn_user, size_t rcpt_index, enum smtp_outcome o, int code,
                       const char *text)
{
    (void)ctx;
    ua_decide(txn_user, rcpt_index, o, code, text);
}

static void ua_done(void *ctx, enum tcp_err err)
{
    struct ua_conn *c = ctx;
    c->s = NULL; /* it frees itself after done() */
    for (size_t k = 0; k < c->njobs; k++) {
        struct ua_job *j = c->jobs[k];
        for (size_t i = 0; i < j->nrcpt; i++)
            ua_decide(j, i, SMTP_OUT_TEMPFAIL, 0, tcp_strerror(err));
        ua_job_free(j);
    }
    ua_conn_free(c);
}

static void ua_conn_start(void *ctx, uint64_t arg)
{
    (void)arg;
    struct ua_conn *c = ctx;
    struct world *w = c->u->w;
    c->start = EVQ_NONE;
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.helo_name = w->s->hosts[c->u->h].name;
    cfg.unsafe_allow_bare_lf = c->raw;
    cfg.tls = c->tls;
    if (c->auth) {
        cfg.auth = SMTP_AUTH_PLAIN;
        cfg.auth_user = c->user;
        cfg.auth_pass = c->pass;
    }
    c->s = world_smtpc_new(w, (uint32_t)c->u->h, c->dst, c->port, &cfg, &ua_ops, c);
    for (size_t k = 0; k < c->njobs; k++) {
        struct ua_job *j = c->jobs[k];
        struct ms_error err;
        if (!world_smtpc_add(c->s, &j->t, &err))
            for (size_t i = 0; i < j->nrcpt; i++) ua_decide(j, i, SMTP_OUT_PERMFAIL, 0, err.msg);
    }
    world_smtpc_quit(c->s);
}

bool ua_event_host(const struct evq_info *ev, uint32_t *host)
{
    if (ev->fn == ua_conn_start) {
        *host = (uint32_t)((const struct ua_conn *)ev->ctx)->u->h;
        return true;
    }
    return ua_acc_event_host(ev, host) || ua_imap_event_host(ev, host) ||
           ua_page_event_host(ev, host) || ua_web_event_host(ev, host);
}

static void ua_job_connect(struct ua_job *j, uint32_t dst)
{
    struct ua *u = j->u;
    j->peer = dst;
    j->t.reverse_path = j->from;
    j->t.rcpts = (const char *const *)j->rcpts;
    j->t.nrcpt = j->nrcpt;
    j->t.body = j->data;
    j->t.body_len = j->len;
    j->t.user = j;
    struct ua_conn *c = u->conns;
    while (c &&
           !(evq_is_set(c->start) && c->dst == dst && c->port == j->port && c->auth == j->auth &&
             c->raw == j->raw && c->tls == j->tls && strcmp(c->user, j->user) == 0))
        c = c->next;
    if (!c) {
        c = ms_xcalloc(1, sizeof *c);
        c->u = u;
        c->dst = dst;
        c->port = j->port;
        c->auth = j->auth;
        c->raw = j->raw;
        c->tls = j->tls;
        snprintf(c->user, sizeof c->user, "%s", j->user);
        snprintf(c->pass, sizeof c->pass, "%s", j->pass);
        c->next = u->conns;
        u->conns = c;
        c->start = evq_after(u->w->q, 0, ua_conn_start, c, 0, "UA connect");
    }
    c->jobs = ms_xrealloc(c->jobs, (c->njobs + 1) * sizeof *c->jobs);
    c->jobs[c->njobs++] = j;
}

static void ua_resolved(void *ctx, const struct world_mx_result *r)
{
    struct ua_job *j = ctx;
    if (!r->ok) {
        for (size_t i = 0; i < j->nrcpt; i++) ua_decide(j, i, SMTP_OUT_PERMFAIL, 0, r->reason);
        ua_job_free(j);
        return;
    }
    ua_job_connect(j, r->host);
}

static struct ua_job *ua_job_new(struct ua *u, uint32_t msg, const char *from, const char *data,
                                 size_t len)
{
    struct ua_job *j = ms_xcalloc(1, sizeof *j);
    j->u = u;
    j->msg = msg;
    j->from = ms_xstrdup(from);
    j->data = ms_xmemdup(data, len);
    j->len = len;
    j->peer = TRACE_NONE;
    j->port = 25;
    j->next = u->jobs;
    u->jobs = j;
    return j;
}

static void ua_job_rcpt(struct ua_job *j, const char *r)
{
    /* One envelope recipient per address, however often To/Cc/Bcc name it. */
    for (size_t i = 0; i < j->nrcpt; i++)
        if (ua_addr_eq(j->rcpts[i], r)) return;
    j->rcpts = ms_xrealloc(j->rcpts, (j->nrcpt + 1) * sizeof *j->rcpts);
    j->decided = ms_xrealloc(j->decided, (j->nrcpt + 1) * sizeof *j->decided);
    j->rcpts[j->nrcpt] = ms_xstrdup(r);
    j->decided[j->nrcpt] = false;
    j->nrcpt++;
}

void ua_send(struct ua *u, const struct scn_send *send, size_t action_index)
{
    (void)action_index;
    struct world *w = u->w;
    const struct scn_scenario *s = w->s;
    const struct scn_message *m = &send->msg;
    uint32_t id = world_msg_new(w);
    struct msg_buf b = {0};
    struct ms_error err;
    memset(&err, 0, sizeof err);
    const struct scn_attachment *eml = ua_eml_of(m); /* a real message file, as it is */
    bool ok =
        eml ? ua_eml_prepare(eml->data, eml->size, &b, &err) : ua_compose(u, send, id, &b, &err);
    if (ok && eml) {
        /* The world follows a message by its Message-ID, which RFC 5322
         * §3.6.4 says every message SHOULD have: a file without one gets
         * one on top, as a sending user agent would add it. */
        struct msg_split sp;
        struct msg_field f;
        msg_split(b.data, b.len, &sp);
        if (!msg_field_find(b.data, sp.hdr_len, "Message-ID", 10, 0, &f)) {
            const char *at = strrchr(send->from, '@');
            const char *domain = at ? at + 1 : "localhost";
            struct msg_buf mid = {0}, nb = {0};
            msg_make_message_id(&mid, s->seed, id, send->from, strlen(send->from), domain,
                                strlen(domain));
            if (mid.len && msg_add_field(&nb, "Message-ID", mid.data, mid.len, NULL) == MSG_OK) {
                msg_buf_add(&nb, b.data, b.len);
                msg_buf_free(&b);
                b = nb;
            } else {
                msg_buf_free(&nb);
            }
            msg_buf_free(&mid);
        }
    }
    size_t nr = m->n_to + m->n_cc + m->n_bcc;
    const char **all = ms_xcalloc(nr + 1, sizeof *all);
    for (size_t i = 0; i < m->n_to; i++) all[i] = m->to[i];
    for (size_t i = 0; i < m->n_cc; i++) all[m->n_to + i] = m->cc[i];
    for (size_t i = 0; i < m->n_bcc; i++) all[m->n_to + m->n_cc + i] = m->bcc[i];
    char text[200];
    uint64_t hash = 0;
    if (ok) {
        struct msg_split sp;
        msg_split(b.data, b.len, &sp);
        hash = mq_check_hash(b.data + sp.body_off, sp.body_len);
    }
    if (eml)
        snprintf(text, sizeof text, "%zu bytes, from file %.80s", b.len, eml->name);
    else
        snprintf(text, sizeof text, "%zu bytes, %s", b.len,
                 m->n_attachments            ? "with attachments"
                 : ua_has_long_line(m->body) ? "text, quoted-printable: a line is over 998 octets"
                                             : "text");
    struct world_msg_facts mf = {hash, 0, false};
    /* Drop repeated addresses: each recipient gets the message once. */
    size_t uniq = 0;
    for (size_t i = 0; i < nr; i++) {
        bool seen = false;
        for (size_t k = 0; k < uniq && !seen; k++) seen = ua_addr_eq(all[k], all[i]);
        if (!seen) all[uniq++] = all[i];
    }
    nr = uniq;
    if (ok) world_msg_copy(w, id, (uint32_t)u->h, b.data, b.len);
    for (size_t i = 0; i < nr; i++)
        world_msg_trace_facts(w, TR_MSG_COMPOSED, id, (uint32_t)u->h, TRACE_NONE, send->from,
                              all[i], 0, 0, -1, text, &mf);
    if (!ok) {
        char why[400];
        if (eml)
            snprintf(why, sizeof why, "%.80s is not a message SMTP can send: %s", eml->name,
                     err.msg);
        else
            snprintf(why, sizeof why, "cannot compose: %s", err.msg);
        for (size_t i = 0; i < nr; i++)
            world_msg_trace(w, TR_MSG_NOT_SENT, id, (uint32_t)u->h, TRACE_NONE, send->from, all[i],
                            0, 0, -1, why);
        free(all);
        msg_buf_free(&b);
        return;
    }
    world_msgid_register(w, b.data, b.len, id);
    if (!send->direct_delivery) {
        struct ua_job *j = ua_job_new(u, id, send->from, b.data, b.len);
        j->raw = send->raw_body;
        j->tls = ua_tls_of[send->starttls];
        for (size_t i = 0; i < nr; i++) ua_job_rcpt(j, all[i]);
        const struct scn_mail_server *ms = &s->hosts[send->from_server].mail;
        j->port = ms->submission ? 587 : 25;
        if (ms->submission && ms->auth_required && !send->no_auth) {
            const struct scn_user *usr = &ms->users[send->from_user];
            j->auth = true;
            snprintf(j->user, sizeof j->user, "%s", usr->name);
            snprintf(j->pass, sizeof j->pass, "%s", usr->password);
        }
        ua_job_connect(j, (uint32_t)send->from_server);
    } else if (send->direct_host != SCN_NONE) {
        struct ua_job *j = ua_job_new(u, id, send->from, b.data, b.len);
        j->raw = send->raw_body;
        j->tls = ua_tls_of[send->starttls];
        for (size_t i = 0; i < nr; i++) ua_job_rcpt(j, all[i]);
        ua_job_connect(j, (uint32_t)send->direct_host);
    } else {
        /* One lookup and one connection per recipient domain. */
        bool *done = ms_xcalloc(nr + 1, sizeof *done);
        for (size_t i = 0; i < nr; i++) {
            if (done[i]) continue;
            const char *d = strrchr(all[i], '@');
            struct ua_job *j = ua_job_new(u, id, send->from, b.data, b.len);
            j->raw = send->raw_body;
            j->tls = ua_tls_of[send->starttls];
            for (size_t k = i; k < nr; k++) {
                const char *dk = strrchr(all[k], '@');
                if (!done[k] && d && dk && strcmp(d, dk) == 0) {
                    ua_job_rcpt(j, all[k]);
                    done[k] = true;
                }
            }
            world_dns_resolve_mx(w, (uint32_t)u->h, d ? d + 1 : all[i], ua_resolved, j);
        }
        free(done);
    }
    free(all);
    msg_buf_free(&b);
}

struct ua *ua_new(struct world *w, size_t h)
{
    struct ua *u = ms_xcalloc(1, sizeof *u);
    u->w = w;
    u->h = h;
    return u;
}

void ua_free(struct ua *u)
{
    if (!u) return;
    ua_access_free_all(u);
    ua_web_free_all(u);
    ua_imap_free_all(u);
    ua_page_free_all(u);
    while (u->conns) ua_conn_free(u->conns);
    while (u->jobs) {
        world_dns_cancel(u->w, u->jobs);
        ua_job_free(u->jobs);
    }
    free(u);
}
