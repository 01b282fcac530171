/* model.c -- name tables, lookups and release of the scenario model. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/ld.h"
#include "core/ascii.h"
#include "scenario/scenario.h"

const char *const scn_host_kind_names[SCN_HOST_KIND_COUNT] = {
    [SCN_HOST_PC] = "pc",
    [SCN_HOST_LAPTOP] = "laptop",
    [SCN_HOST_PHONE] = "phone",
    [SCN_HOST_BROWSER] = "browser",
    [SCN_HOST_MAIL_SERVER] = "mail_server",
    [SCN_HOST_ROUTER] = "router",
    [SCN_HOST_DNS] = "dns",
    [SCN_HOST_WEB_SERVER] = "web_server",
};

const char *const scn_attach_kind_names[SCN_ATTACH_KIND_COUNT] = {
    [SCN_ATTACH_GENERATED] = "generated",
    [SCN_ATTACH_FILE] = "file",
    [SCN_ATTACH_EML] = "eml",
};

const char *const scn_action_kind_names[SCN_ACT_KIND_COUNT] = {
    [SCN_ACT_SEND] = "send",           [SCN_ACT_CHECK_MAIL] = "check_mail",
    [SCN_ACT_WEBMAIL] = "webmail",     [SCN_ACT_WEB_GET] = "web_get",
    [SCN_ACT_HOST_DOWN] = "host_down", [SCN_ACT_HOST_UP] = "host_up",
    [SCN_ACT_LINK_DOWN] = "link_down", [SCN_ACT_LINK_UP] = "link_up",
    [SCN_ACT_LINK_SET] = "link_set",   [SCN_ACT_SERVER_SET] = "server_set",
    [SCN_ACT_NARRATE] = "narrate",     [SCN_ACT_TCP_TRANSFER] = "tcp_transfer",
};

const char *const scn_tls_use_names[SCN_TLS_USE_COUNT] = {
    [SCN_TLS_OFF] = "off",
    [SCN_TLS_OPPORTUNISTIC] = "opportunistic",
    [SCN_TLS_REQUIRED] = "required",
};

const char *const scn_imap_op_names[SCN_IMAP_OP_COUNT] = {
    [SCN_IMAP_LIST] = "list",
    [SCN_IMAP_SELECT] = "select",
    [SCN_IMAP_SEARCH] = "search",
    [SCN_IMAP_FETCH_HEADER] = "fetch_header",
    [SCN_IMAP_FETCH_PART] = "fetch_part",
    [SCN_IMAP_MOVE] = "move",
    [SCN_IMAP_STORE_FLAGS] = "store_flags",
    [SCN_IMAP_CREATE] = "create",
    [SCN_IMAP_LOGOUT] = "logout",
    [SCN_IMAP_NOOP] = "noop",
    [SCN_IMAP_IDLE] = "idle",
    [SCN_IMAP_WAIT] = "wait",
};

const char *const scn_pop3_op_names[SCN_POP3_OP_COUNT] = {
    [SCN_POP3_NOOP] = "noop",
    [SCN_POP3_WAIT] = "wait",
};

const char *const scn_webmail_op_names[SCN_WEBMAIL_OP_COUNT] = {
    [SCN_WEBMAIL_INBOX] = "inbox",
    [SCN_WEBMAIL_READ] = "read",
    [SCN_WEBMAIL_SEND] = "send",
};

bool scn_host_kind_is_device(enum scn_host_kind k)
{
    return k == SCN_HOST_PC || k == SCN_HOST_LAPTOP || k == SCN_HOST_PHONE || k == SCN_HOST_BROWSER;
}

static void scn_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

static void scn_free_message(struct scn_message *m)
{
    scn_free_strv(m->to, m->n_to);
    scn_free_strv(m->cc, m->n_cc);
    scn_free_strv(m->bcc, m->n_bcc);
    free(m->subject);
    free(m->body);
    free(m->html);
    for (size_t i = 0; i < m->n_attachments; i++) {
        struct scn_attachment *a = &m->attachments[i];
        free(a->name);
        free(a->type);
        free(a->path);
        free(a->data);
    }
    free(m->attachments);
}

void scn_display_title(const struct scn_scenario *s, char *buf, size_t n)
{
    if (n == 0) return;
    if (s->variant)
        snprintf(buf, n, "%s \u2014 variant \"%s\"", s->title, s->variant);
    else
        snprintf(buf, n, "%s", s->title);
}

void scn_action_free_fields(struct scn_action *a)
{
    free(a->id);
    a->id = NULL;
    switch (a->kind) {
    case SCN_ACT_SEND:
        free(a->u.send.from);
        scn_free_message(&a->u.send.msg);
        break;
    case SCN_ACT_CHECK_MAIL:
        free(a->u.check.user);
        free(a->u.check.password);
        for (size_t i = 0; i < a->u.check.n_imap; i++) {
            struct scn_imap_action *m = &a->u.check.imap[i];
            free(m->mailbox);
            free(m->pattern);
            free(m->criteria);
            free(m->set);
            free(m->part);
            scn_free_strv(m->flags, m->n_flags);
        }
        free(a->u.check.imap);
        free(a->u.check.pop3);
        break;
    case SCN_ACT_WEBMAIL:
        free(a->u.webmail.user);
        scn_free_message(&a->u.webmail.msg);
        break;
    case SCN_ACT_WEB_GET:
        free(a->u.web_get.path);
        break;
    case SCN_ACT_NARRATE:
        free(a->u.text);
        break;
    default:
        break;
    }
}

static void scn_free_timeline(struct scn_action *t, size_t n)
{
    for (size_t i = 0; i < n; i++) scn_action_free_fields(&t[i]);
    free(t);
}

static void scn_free_mx(struct scn_mx *mx, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(mx[i].domain);
        free(mx[i].host);
    }
    free(mx);
}

static void scn_free_texts(struct scn_smtp_texts *t)
{
    free(t->greeting);
    free(t->helo);
    free(t->mail);
    free(t->rcpt);
    free(t->data);
    free(t->queued);
    free(t->quit);
}

void scn_free(struct scn_scenario *s)
{
    if (!s) return;
    free(s->source);
    free(s->base_dir);
    free(s->schema);
    free(s->title);
    free(s->description);
    for (size_t i = 0; i < s->n_hosts; i++) {
        struct scn_host *h = &s->hosts[i];
        free(h->name);
        free(h->owner);
        free(h->mail.domain);
        for (size_t u = 0; u < h->mail.n_users; u++) {
            free(h->mail.users[u].name);
            free(h->mail.users[u].password);
            free(h->mail.users[u].display_name);
        }
        free(h->mail.users);
        scn_free_texts(&h->mail.texts);
        scn_free_mx(h->dns.mx, h->dns.n_mx);
        for (size_t p = 0; p < h->web.n_pages; p++) {
            struct scn_web_page *pg = &h->web.pages[p];
            free(pg->path);
            free(pg->title);
            for (size_t o = 0; o < pg->n_objects; o++) {
                free(pg->objects[o].name);
                free(pg->objects[o].type);
            }
            free(pg->objects);
        }
        free(h->web.pages);
    }
    free(s->hosts);
    free(s->links);
    scn_free_timeline(s->timeline, s->n_timeline);
    for (size_t i = 0; i < s->n_questions; i++) {
        free(s->questions[i].text);
        scn_free_strv(s->questions[i].choices, s->questions[i].n_choices);
        free(s->questions[i].explain);
    }
    free(s->questions);
    for (size_t i = 0; i < s->n_variants; i++) {
        free(s->variants[i].name);
        free(s->variants[i].description);
        for (size_t k = 0; k < s->variants[i].n_hosts; k++)
            scn_free_texts(&s->variants[i].hosts[k].smtp.texts);
        free(s->variants[i].hosts);
        scn_free_timeline(s->variants[i].timeline, s->variants[i].n_timeline);
    }
    free(s->variants);
    free(s->variant);
    scn_free_mx(s->mx, s->n_mx);
    free(s);
}

size_t scn_find_host(const struct scn_scenario *s, const char *name)
{
    for (size_t i = 0; i < s->n_hosts; i++) {
        if (ascii_casecmp(s->hosts[i].name, name) == 0) return i;
    }
    return SCN_NONE;
}

size_t scn_find_domain(const struct scn_scenario *s, const char *domain)
{
    for (size_t i = 0; i < s->n_hosts; i++) {
        if (s->hosts[i].kind == SCN_HOST_MAIL_SERVER &&
            ascii_casecmp(s->hosts[i].mail.domain, domain) == 0) {
            return i;
        }
    }
    return SCN_NONE;
}

size_t scn_find_link(const struct scn_scenario *s, size_t a, size_t b)
{
    for (size_t i = 0; i < s->n_links; i++) {
        if ((s->links[i].a == a && s->links[i].b == b) ||
            (s->links[i].a == b && s->links[i].b == a)) {
            return i;
        }
    }
    return SCN_NONE;
}

size_t scn_mx_lookup(const struct scn_scenario *s, const char *domain)
{
    size_t best = SCN_NONE;
    unsigned pref = 0;
    for (size_t i = 0; i < s->n_mx; i++) {
        if (ascii_casecmp(s->mx[i].domain, domain) != 0) continue;
        if (best == SCN_NONE || s->mx[i].preference < pref) {
            best = s->mx[i].host_index;
            pref = s->mx[i].preference;
        }
    }
    return best;
}

size_t scn_timeline_insert(struct scn_scenario *s, const struct scn_action *a)
{
    size_t at = s->n_timeline;
    while (at > 0 && s->timeline[at - 1].at > a->at) at--;
    s->timeline = ms_xrealloc(s->timeline, (s->n_timeline + 1) * sizeof *s->timeline);
    memmove(&s->timeline[at + 1], &s->timeline[at], (s->n_timeline - at) * sizeof *s->timeline);
    s->timeline[at] = *a;
    s->n_timeline++;
    return at;
}

void scn_action_describe(const struct scn_scenario *s, const struct scn_action *a, char *buf,
                         size_t n)
{
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
    if (!what) what = "";
    snprintf(buf, n, "scenario: %s%s%s", scn_action_kind_names[a->kind], *what ? " " : "", what);
}
