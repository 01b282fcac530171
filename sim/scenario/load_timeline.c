/* load_timeline.c -- the timeline, quiz questions and variants of a
 * scenario (docs/scenario-format.md, "Timeline", "Questions", "Variants").
 * Every reference is resolved against the hosts load.c has read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/dur.h"
#include "scenario/ld.h"
#include "scenario/load.h"
#include "scenario/scenario.h"

enum {
    AK_AT,
    AK_ACTION,
    AK_FROM,
    AK_DEVICE,
    AK_TO,
    AK_CC,
    AK_BCC,
    AK_SUBJECT,
    AK_BODY,
    AK_HTML,
    AK_ATTACH,
    AK_DIRECT,
    AK_DIRECT_HOST,
    AK_USER,
    AK_PROTOCOL,
    AK_MODE,
    AK_IMAP,
    AK_OP,
    AK_MESSAGE,
    AK_SERVER,
    AK_PATH,
    AK_HOST,
    AK_A,
    AK_B,
    AK_LATENCY,
    AK_BW,
    AK_LOSS,
    AK_RETRY,
    AK_GIVEUP,
    AK_TEXT,
    AK_PORT,
    AK_BYTES,
    AK_AUTH,
    AK_RAW,
    AK_PASSWORD,
    AK_RETR_DELE,
    AK_ID,
    AK_REPLACE,
    AK_LOGOUT,
    AK_POP3,
    AK_STARTTLS,
    AK_N
};
static const char *const act_keys[AK_N] = {
    "at",          "action",    "from",     "device",         "to",          "cc",
    "bcc",         "subject",   "body",     "html",           "attachments", "direct_delivery",
    "direct_host", "user",      "protocol", "mode",           "imap",        "op",
    "message",     "server",    "path",     "host",           "a",           "b",
    "latency",     "bandwidth", "loss",     "retry_interval", "give_up",     "text",
    "port",        "bytes",     "auth",     "raw_body",       "password",    "retr_after_dele",
    "id",          "replace",   "logout",   "pop3",           "starttls"};
#define AM(k) (UINT64_C(1) << (k))
#define AM_MSG                                                                                     \
    (AM(AK_TO) | AM(AK_CC) | AM(AK_BCC) | AM(AK_SUBJECT) | AM(AK_BODY) | AM(AK_HTML) |             \
     AM(AK_ATTACH))
static const uint64_t act_allowed[SCN_ACT_KIND_COUNT] = {
    [SCN_ACT_SEND] = AM(AK_FROM) | AM(AK_DEVICE) | AM_MSG | AM(AK_DIRECT) | AM(AK_DIRECT_HOST) |
                     AM(AK_AUTH) | AM(AK_RAW) | AM(AK_STARTTLS),
    [SCN_ACT_CHECK_MAIL] = AM(AK_USER) | AM(AK_DEVICE) | AM(AK_PROTOCOL) | AM(AK_MODE) |
                           AM(AK_IMAP) | AM(AK_PASSWORD) | AM(AK_RETR_DELE) | AM(AK_LOGOUT) |
                           AM(AK_POP3),
    [SCN_ACT_WEBMAIL] = AM(AK_USER) | AM(AK_DEVICE) | AM(AK_OP) | AM(AK_MESSAGE) | AM_MSG,
    [SCN_ACT_WEB_GET] = AM(AK_DEVICE) | AM(AK_SERVER) | AM(AK_PATH),
    [SCN_ACT_HOST_DOWN] = AM(AK_HOST),
    [SCN_ACT_HOST_UP] = AM(AK_HOST),
    [SCN_ACT_LINK_DOWN] = AM(AK_A) | AM(AK_B),
    [SCN_ACT_LINK_UP] = AM(AK_A) | AM(AK_B),
    [SCN_ACT_LINK_SET] = AM(AK_A) | AM(AK_B) | AM(AK_LATENCY) | AM(AK_BW) | AM(AK_LOSS),
    [SCN_ACT_SERVER_SET] = AM(AK_HOST) | AM(AK_RETRY) | AM(AK_GIVEUP),
    [SCN_ACT_NARRATE] = AM(AK_TEXT) | AM(AK_ID) | AM(AK_REPLACE),
    [SCN_ACT_TCP_TRANSFER] = AM(AK_FROM) | AM(AK_TO) | AM(AK_PORT) | AM(AK_BYTES),
};

enum { XK_NAME, XK_TYPE, XK_SIZE, XK_FILE, XK_KIND, XK_N };
static const char *const att_keys[XK_N] = {"name", "type", "size", "file", "kind"};

enum {
    IK_OP,
    IK_MAILBOX,
    IK_PATTERN,
    IK_CRITERIA,
    IK_SET,
    IK_UID,
    IK_PART,
    IK_FLAGS,
    IK_MODE,
    IK_FOR,
    IK_N
};
static const char *const imap_keys[IK_N] = {"op",  "mailbox", "pattern", "criteria", "set",
                                            "uid", "part",    "flags",   "mode",     "for"};
#define IM(k) (UINT64_C(1) << (k))
#define IM_SET (IM(IK_SET) | IM(IK_UID))
static const uint64_t imap_allowed[SCN_IMAP_OP_COUNT] = {
    [SCN_IMAP_LIST] = IM(IK_PATTERN),
    [SCN_IMAP_SELECT] = IM(IK_MAILBOX),
    [SCN_IMAP_SEARCH] = IM(IK_CRITERIA),
    [SCN_IMAP_FETCH_HEADER] = IM_SET,
    [SCN_IMAP_FETCH_PART] = IM_SET | IM(IK_PART),
    [SCN_IMAP_MOVE] = IM_SET | IM(IK_MAILBOX),
    [SCN_IMAP_STORE_FLAGS] = IM_SET | IM(IK_FLAGS) | IM(IK_MODE),
    [SCN_IMAP_CREATE] = IM(IK_MAILBOX),
    [SCN_IMAP_LOGOUT] = 0,
    [SCN_IMAP_NOOP] = 0,
    [SCN_IMAP_IDLE] = IM(IK_FOR),
    [SCN_IMAP_WAIT] = IM(IK_FOR),
};

enum { PK_OP, PK_FOR, PK_N };
static const char *const pop3_keys[PK_N] = {"op", "for"};
static const uint64_t pop3_allowed[SCN_POP3_OP_COUNT] = {
    [SCN_POP3_NOOP] = 0,
    [SCN_POP3_WAIT] = IM(PK_FOR),
};

enum { QK_AT, QK_QUESTION, QK_CHOICES, QK_ANSWER, QK_EXPLAIN, QK_N };
static const char *const question_keys[QK_N] = {"at", "question", "choices", "answer", "explain"};
enum { VK_NAME, VK_DESC, VK_HOSTS, VK_TIMELINE, VK_REPLACE, VK_SEED, VK_N };
static const char *const variant_keys[VK_N] = {"name",     "description",      "hosts",
                                               "timeline", "replace_timeline", "seed"};
enum { OV_HOST, OV_UP, OV_RETRY, OV_CHAOS, OV_LENIENT, OV_WEBMAIL, OV_SMTP, OV_N };
static const char *const override_keys[OV_N] = {"host",         "up",      "retry", "chaos",
                                                "lenient_data", "webmail", "smtp"};

static const char *const protocol_names[SCN_PROTO_COUNT] = {"pop3", "imap"};
static const char *const pop3_mode_names[SCN_POP3_MODE_COUNT] = {"delete", "keep"};
static const char *const store_mode_names[SCN_STORE_COUNT] = {"add", "remove", "replace"};

/* -------------------------------------------------------------- messages */

static bool scn_read_addr_list(struct scn_ld *L, const cJSON *item, char ***out, size_t *n)
{
    if (!item) return true;
    if (cJSON_IsString(item)) {
        *out = ms_xcalloc(1, sizeof **out);
        *n = 1;
        return scn_ld_str(L, item, SCN_SC_ADDRESS, &(*out)[0]);
    }
    size_t c;
    if (!scn_ld_array(L, item, SCN_MAX_RECIPIENTS, &c)) return false;
    *out = ms_xcalloc(c ? c : 1, sizeof **out);
    size_t mark = scn_ld_push_key(L, item->string);
    size_t i = 0;
    for (const cJSON *e = item->child; e; e = e->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        *n = i + 1;
        if (!scn_ld_str(L, e, SCN_SC_ADDRESS, &(*out)[i])) return false;
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

static const char *scn_basename(const char *p)
{
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static bool scn_read_attachments(struct scn_ld *L, const cJSON *item, struct scn_message *m,
                                 bool *eml)
{
    *eml = false;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, SCN_MAX_ATTACHMENTS, &n)) return false;
    m->attachments = ms_xcalloc(n ? n : 1, sizeof *m->attachments);
    size_t mark = scn_ld_push_key(L, "attachments");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_attachment *a = &m->attachments[i];
        m->n_attachments = i + 1;
        const cJSON *g[XK_N];
        if (!scn_ld_object(L, o, att_keys, XK_N, ALL_KEYS, "an attachment", g)) return false;
        unsigned kind = g[XK_FILE] ? SCN_ATTACH_FILE : SCN_ATTACH_GENERATED;
        if (!scn_ld_enum(L, g[XK_KIND], scn_attach_kind_names, SCN_ATTACH_KIND_COUNT,
                         "an attachment kind", &kind)) {
            return false;
        }
        a->kind = (enum scn_attach_kind)kind;
        if (a->kind == SCN_ATTACH_GENERATED) {
            if (g[XK_FILE]) {
                scn_ld_push_key(L, "file");
                return scn_ld_err(L, g[XK_FILE], true,
                                  "a generated attachment has no file (drop \"kind\" or \"file\")");
            }
            if (!scn_ld_require(L, o, g[XK_NAME], "name") ||
                !scn_ld_require(L, o, g[XK_SIZE], "size") ||
                !scn_ld_size(L, g[XK_SIZE], 0, SCN_MAX_ATTACH_BYTES, &a->size)) {
                return false;
            }
        } else {
            if (g[XK_SIZE]) {
                scn_ld_push_key(L, "size");
                return scn_ld_err(
                    L, g[XK_SIZE], true,
                    "the size of a file attachment is the file's size (drop \"size\")");
            }
            if (!scn_ld_require(L, o, g[XK_FILE], "file") ||
                !scn_ld_str(L, g[XK_FILE], SCN_SC_RELPATH, &a->path)) {
                return false;
            }
            if (!(L->opts && L->opts->no_files) &&
                !scn_ld_read_file(L, g[XK_FILE], a->path, &a->data, &a->size)) {
                return false;
            }
        }
        if (!scn_ld_str(L, g[XK_NAME], SCN_SC_FILENAME, &a->name) ||
            !scn_ld_str(L, g[XK_TYPE], SCN_SC_MIMETYPE, &a->type)) {
            return false;
        }
        if (!a->name) {
            char buf[128];
            const char *why = scn_ld_check(scn_basename(a->path), SCN_SC_FILENAME, buf, sizeof buf);
            if (why)
                return scn_ld_err(L, g[XK_FILE], false, "the file's name %s (give \"name\")", why);
            a->name = ms_xstrdup(scn_basename(a->path));
        }
        if (!a->type) {
            a->type = ms_xstrdup(a->kind == SCN_ATTACH_EML ? "message/rfc822"
                                                           : "application/octet-stream");
        }
        if (a->kind == SCN_ATTACH_EML) {
            if (n != 1) {
                return scn_ld_err(
                    L, o, false,
                    "an \"eml\" attachment is the whole message: it must be the only one");
            }
            *eml = true;
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

static bool scn_read_message(struct scn_ld *L, const cJSON *obj, const cJSON *const *f,
                             struct scn_message *m, bool raw)
{
    bool eml = false;
    if (!scn_read_addr_list(L, f[AK_TO], &m->to, &m->n_to) ||
        !scn_read_addr_list(L, f[AK_CC], &m->cc, &m->n_cc) ||
        !scn_read_addr_list(L, f[AK_BCC], &m->bcc, &m->n_bcc) ||
        !scn_ld_str(L, f[AK_SUBJECT], SCN_SC_TEXT, &m->subject) ||
        !scn_ld_str(L, f[AK_BODY], raw ? SCN_SC_RAWTEXT : SCN_SC_MULTILINE, &m->body) ||
        !scn_ld_str(L, f[AK_HTML], SCN_SC_MULTILINE, &m->html) ||
        !scn_read_attachments(L, f[AK_ATTACH], m, &eml)) {
        return false;
    }
    size_t total = m->n_to + m->n_cc + m->n_bcc;
    if (total == 0)
        return scn_ld_err(L, obj, false,
                          "a message needs at least one recipient in \"to\", \"cc\" or \"bcc\"");
    if (total > SCN_MAX_RECIPIENTS) {
        return scn_ld_err(L, obj, false, "%zu recipients is more than the limit of %u", total,
                          (unsigned)SCN_MAX_RECIPIENTS);
    }
    if (eml && (f[AK_SUBJECT] || f[AK_BODY] || f[AK_HTML])) {
        const cJSON *x = f[AK_SUBJECT] ? f[AK_SUBJECT] : f[AK_BODY] ? f[AK_BODY] : f[AK_HTML];
        scn_ld_push_key(L, x->string);
        return scn_ld_err(
            L, x, true,
            "a message sent from an \"eml\" file takes its subject and body from the file");
    }
    uint64_t bytes = 0;
    for (size_t i = 0; i < m->n_attachments; i++) bytes += m->attachments[i].size;
    if (bytes > SCN_MAX_MESSAGE_BYTES) {
        scn_ld_push_key(L, "attachments");
        return scn_ld_err(L, f[AK_ATTACH], false,
                          "attachments add up to %llu bytes; the limit per message is %u (64 MiB)",
                          (unsigned long long)bytes, (unsigned)SCN_MAX_MESSAGE_BYTES);
    }
    if (f[AK_ATTACH]) {
        size_t mark = scn_ld_push_key(L, "attachments");
        if (!scn_ld_content(L, f[AK_ATTACH], bytes)) return false;
        scn_ld_pop(L, mark);
    }
    if (!m->subject) m->subject = ms_xstrdup("");
    if (!m->body) m->body = ms_xstrdup("");
    return true;
}

/* -------------------------------------------------------------- timeline */

/* Effective webmail switch of a server, seen from the action being read. */
static bool scn_webmail_on(const struct scn_ctx *C, size_t host)
{
    if (C->variant) {
        for (size_t i = 0; i < C->variant->n_hosts; i++) {
            const struct scn_host_override *o = &C->variant->hosts[i];
            if (o->host == host && (o->set & SCN_OVR_WEBMAIL)) return o->webmail;
        }
    }
    return C->s->hosts[host].mail.webmail;
}

static bool scn_read_imap(struct scn_ctx *C, const cJSON *item, struct scn_check_mail *ck)
{
    struct scn_ld *L = C->L;
    size_t n;
    if (!scn_ld_array(L, item, 100, &n)) return false;
    ck->imap = ms_xcalloc(n ? n : 1, sizeof *ck->imap);
    size_t mark = scn_ld_push_key(L, "imap");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_imap_action *a = &ck->imap[i];
        ck->n_imap = i + 1;
        const cJSON *g[IK_N];
        unsigned op = 0, mode = SCN_STORE_ADD;
        if (!scn_ld_object(L, o, imap_keys, IK_N, ALL_KEYS, "an IMAP step", g) ||
            !scn_ld_require(L, o, g[IK_OP], "op") ||
            !scn_ld_enum(L, g[IK_OP], scn_imap_op_names, SCN_IMAP_OP_COUNT, "an IMAP step", &op)) {
            return false;
        }
        a->op = (enum scn_imap_op)op;
        char what[48];
        snprintf(what, sizeof what, "the IMAP step \"%s\"", scn_imap_op_names[op]);
        if (!scn_check_allowed(L, o, imap_keys, IK_N, imap_allowed[op] | IM(IK_OP), what))
            return false;
        bool needs_mailbox = op == SCN_IMAP_SELECT || op == SCN_IMAP_MOVE || op == SCN_IMAP_CREATE;
        if ((needs_mailbox && !scn_ld_require(L, o, g[IK_MAILBOX], "mailbox")) ||
            (op == SCN_IMAP_FETCH_PART && !scn_ld_require(L, o, g[IK_PART], "part")) ||
            (op == SCN_IMAP_STORE_FLAGS && !scn_ld_require(L, o, g[IK_FLAGS], "flags")) ||
            (op == SCN_IMAP_WAIT && !scn_ld_require(L, o, g[IK_FOR], "for")) ||
            !scn_ld_dur(L, g[IK_FOR], 1, SCN_IMAP_MAX_WAIT, &a->wait) ||
            !scn_ld_str(L, g[IK_MAILBOX], SCN_SC_MAILBOX, &a->mailbox) ||
            !scn_ld_str(L, g[IK_PATTERN], SCN_SC_TEXT, &a->pattern) ||
            !scn_ld_str(L, g[IK_CRITERIA], SCN_SC_CRITERIA, &a->criteria) ||
            !scn_ld_str(L, g[IK_SET], SCN_SC_SEQSET, &a->set) ||
            !scn_ld_bool(L, g[IK_UID], &a->uid) ||
            !scn_ld_str(L, g[IK_PART], SCN_SC_PART, &a->part) ||
            !scn_ld_enum(L, g[IK_MODE], store_mode_names, SCN_STORE_COUNT, "a flag mode", &mode)) {
            return false;
        }
        a->store_mode = (enum scn_store_mode)mode;
        if (op == SCN_IMAP_IDLE && !g[IK_FOR]) a->wait = 30 * SIM_US_PER_MIN;
        if (op == SCN_IMAP_LIST && !a->pattern) a->pattern = ms_xstrdup("*");
        if (op == SCN_IMAP_SEARCH && !a->criteria) a->criteria = ms_xstrdup("ALL");
        if ((imap_allowed[op] & IM(IK_SET)) && !a->set) a->set = ms_xstrdup("1:*");
        if (g[IK_FLAGS]) {
            size_t nf;
            if (!scn_ld_array(L, g[IK_FLAGS], 16, &nf)) return false;
            if (nf == 0)
                return scn_ld_err(L, g[IK_FLAGS], false, "store_flags needs at least one flag");
            a->flags = ms_xcalloc(nf, sizeof *a->flags);
            size_t m3 = scn_ld_push_key(L, "flags");
            size_t k = 0;
            for (const cJSON *e = g[IK_FLAGS]->child; e; e = e->next, k++) {
                size_t m4 = scn_ld_push_index(L, k);
                a->n_flags = k + 1;
                if (!scn_ld_str(L, e, SCN_SC_FLAG, &a->flags[k])) return false;
                scn_ld_pop(L, m4);
            }
            scn_ld_pop(L, m3);
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

/* POP3 steps: after the download, before QUIT (RFC 1939 §5 NOOP; a wait
 * sends nothing, and the server's autologout timer runs, §3). */
static bool scn_read_pop3(struct scn_ctx *C, const cJSON *item, struct scn_check_mail *ck)
{
    struct scn_ld *L = C->L;
    size_t n;
    if (!scn_ld_array(L, item, 100, &n)) return false;
    ck->pop3 = ms_xcalloc(n ? n : 1, sizeof *ck->pop3);
    size_t mark = scn_ld_push_key(L, "pop3");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_pop3_action *a = &ck->pop3[i];
        ck->n_pop3 = i + 1;
        const cJSON *g[PK_N];
        unsigned op = 0;
        if (!scn_ld_object(L, o, pop3_keys, PK_N, ALL_KEYS, "a POP3 step", g) ||
            !scn_ld_require(L, o, g[PK_OP], "op")) {
            return false;
        }
        if (cJSON_IsString(g[PK_OP]) && strcmp(g[PK_OP]->valuestring, "idle") == 0) {
            scn_ld_push_key(L, "op");
            return scn_ld_err(
                L, g[PK_OP], false,
                "\"idle\" is an IMAP step (RFC 2177); POP3 has no IDLE: use \"noop\" or \"wait\"");
        }
        if (!scn_ld_enum(L, g[PK_OP], scn_pop3_op_names, SCN_POP3_OP_COUNT, "a POP3 step", &op))
            return false;
        a->op = (enum scn_pop3_op)op;
        char what[48];
        snprintf(what, sizeof what, "the POP3 step \"%s\"", scn_pop3_op_names[op]);
        if (!scn_check_allowed(L, o, pop3_keys, PK_N, pop3_allowed[op] | IM(PK_OP), what) ||
            (op == SCN_POP3_WAIT && !scn_ld_require(L, o, g[PK_FOR], "for")) ||
            !scn_ld_dur(L, g[PK_FOR], 1, SCN_POP3_MAX_WAIT, &a->wait)) {
            return false;
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

static bool scn_read_link_ref(struct scn_ctx *C, const cJSON *obj, const cJSON *const *f,
                              size_t *link)
{
    struct scn_ld *L = C->L;
    size_t a, b;
    if (!scn_ld_require(L, obj, f[AK_A], "a") || !scn_ld_require(L, obj, f[AK_B], "b") ||
        !scn_ref_host(C, f[AK_A], 0, "", &a) || !scn_ref_host(C, f[AK_B], 0, "", &b)) {
        return false;
    }
    *link = scn_ctx_link(C, a, b);
    if (*link == SCN_NONE) {
        return scn_ld_err(L, obj, false, "no link joins %s and %s", C->s->hosts[a].name,
                          C->s->hosts[b].name);
    }
    return true;
}

/* A narration in a variant's timeline that names a narration of the main
 * timeline (by "id", or with "replace": true the one at the same time)
 * replaces it; in the main timeline an id only names it, and "replace" is
 * an error. */
static bool scn_narrate_target(struct scn_ctx *C, const cJSON *o, const cJSON *id,
                               const cJSON *replace, struct scn_action *a)
{
    struct scn_ld *L = C->L;
    const struct scn_scenario *s = C->s;
    if (!C->variant) {
        if (replace) {
            scn_ld_push_key(L, "replace");
            return scn_ld_err(
                L, replace, false,
                "\"replace\" is for a variant's narration (it replaces one of the main timeline's)");
        }
        for (size_t i = 0; a->id && i < s->n_timeline; i++) {
            if (&s->timeline[i] != a && s->timeline[i].id &&
                strcmp(s->timeline[i].id, a->id) == 0) {
                scn_ld_push_key(L, "id");
                return scn_ld_err(L, id, false,
                                  "duplicate narration id \"%s\" (also timeline[%zu])", a->id, i);
            }
        }
        return true;
    }
    if (a->replace_by_time && a->id) {
        scn_ld_push_key(L, "replace");
        return scn_ld_err(L, replace, false, "give \"id\" or \"replace\": true, not both");
    }
    if (a->id) {
        char ids[400] = "";
        size_t o2 = 0;
        for (size_t i = 0; i < s->n_timeline; i++) {
            const struct scn_action *m = &s->timeline[i];
            if (m->kind != SCN_ACT_NARRATE || !m->id) continue;
            if (strcmp(m->id, a->id) == 0) {
                a->replaces = true;
                a->replaced = i;
                return true;
            }
            if (o2 < sizeof ids)
                o2 +=
                    (size_t)snprintf(ids + o2, sizeof ids - o2, "%s\"%s\"", o2 ? ", " : "", m->id);
        }
        scn_ld_push_key(L, "id");
        return scn_ld_err(L, id, false,
                          "no narration of the main timeline has the id \"%s\" (%s%s)", a->id,
                          ids[0] ? "the ids are " : "none has an id", ids);
    }
    if (!a->replace_by_time) return true; /* a narration the variant adds */
    size_t found = SCN_NONE, count = 0;
    for (size_t i = 0; i < s->n_timeline; i++) {
        if (s->timeline[i].kind == SCN_ACT_NARRATE && s->timeline[i].at == a->at) {
            if (found == SCN_NONE) found = i;
            count++;
        }
    }
    if (count != 1) {
        char t[32];
        scn_ld_push_key(L, "replace");
        dur_format(a->at, t, sizeof t);
        if (count == 0)
            return scn_ld_err(L, replace, false,
                              "no narration of the main timeline is at %s to replace", t);
        return scn_ld_err(L, replace, false,
                          "%zu narrations of the main timeline are at %s: name one by its \"id\"",
                          count, t);
    }
    (void)o;
    a->replaces = true;
    a->replaced = found;
    return true;
}

static bool scn_read_action(struct scn_ctx *C, const cJSON *o, struct scn_action *a)
{
    struct scn_ld *L = C->L;
    const struct scn_scenario *s = C->s;
    const cJSON *f[AK_N];
    unsigned kind = 0;
    if (!scn_ld_object(L, o, act_keys, AK_N, ALL_KEYS, "an action", f) ||
        !scn_ld_require(L, o, f[AK_AT], "at") || !scn_ld_require(L, o, f[AK_ACTION], "action") ||
        !scn_ld_dur(L, f[AK_AT], 0, SCN_MAX_TIME, &a->at) ||
        !scn_ld_enum(L, f[AK_ACTION], scn_action_kind_names, SCN_ACT_KIND_COUNT, "an action",
                     &kind)) {
        return false;
    }
    a->kind = (enum scn_action_kind)kind;
    char what[48];
    snprintf(what, sizeof what, "the action \"%s\"", scn_action_kind_names[kind]);
    if (!scn_check_allowed(L, o, act_keys, AK_N, act_allowed[kind] | AM(AK_AT) | AM(AK_ACTION),
                           what)) {
        return false;
    }
    switch (a->kind) {
    case SCN_ACT_SEND: {
        struct scn_send *x = &a->u.send;
        x->direct_host = SCN_NONE;
        if (!scn_ld_require(L, o, f[AK_FROM], "from") ||
            !scn_ld_require(L, o, f[AK_DEVICE], "device") ||
            !scn_ref_user(C, f[AK_FROM], &x->from, &x->from_server, &x->from_user) ||
            !scn_ref_host(C, f[AK_DEVICE], KIND_DEVICES, "a device (pc, laptop, phone or browser)",
                          &x->device) ||
            !scn_ld_bool(L, f[AK_DIRECT], &x->direct_delivery) ||
            (f[AK_DIRECT_HOST] && !scn_ref_host(C, f[AK_DIRECT_HOST], 0, "", &x->direct_host)) ||
            !scn_ld_bool(L, f[AK_RAW], &x->raw_body) ||
            !scn_read_message(L, o, f, &x->msg, x->raw_body)) {
            return false;
        }
        bool auth = true;
        if (!scn_ld_bool(L, f[AK_AUTH], &auth)) return false;
        x->no_auth = !auth;
        unsigned tls = SCN_TLS_OFF;
        if (!scn_ld_enum(L, f[AK_STARTTLS], scn_tls_use_names, SCN_TLS_USE_COUNT, "a STARTTLS use",
                         &tls))
            return false;
        x->starttls = (enum scn_tls_use)tls;
        if (x->raw_body && (f[AK_HTML] || f[AK_ATTACH])) {
            const cJSON *k = f[AK_HTML] ? f[AK_HTML] : f[AK_ATTACH];
            scn_ld_push_key(L, k->string);
            return scn_ld_err(L, k, true,
                              "a \"raw_body\" message is plain text: no html, no attachments");
        }
        if (f[AK_DIRECT_HOST] && !x->direct_delivery) {
            scn_ld_push_key(L, "direct_host");
            return scn_ld_err(L, f[AK_DIRECT_HOST], true,
                              "direct_host needs \"direct_delivery\": true");
        }
        return true;
    }
    case SCN_ACT_CHECK_MAIL: {
        struct scn_check_mail *x = &a->u.check;
        unsigned proto = 0, mode = SCN_POP3_DELETE;
        if (!scn_ld_require(L, o, f[AK_USER], "user") ||
            !scn_ld_require(L, o, f[AK_DEVICE], "device") ||
            !scn_ld_require(L, o, f[AK_PROTOCOL], "protocol") ||
            !scn_ref_user(C, f[AK_USER], &x->user, &x->server, &x->user_index) ||
            !scn_ref_host(C, f[AK_DEVICE], KIND_DEVICES, "a device (pc, laptop, phone or browser)",
                          &x->device) ||
            !scn_ld_enum(L, f[AK_PROTOCOL], protocol_names, SCN_PROTO_COUNT,
                         "a mail access protocol", &proto)) {
            return false;
        }
        x->proto = (enum scn_access_proto)proto;
        if (proto == SCN_PROTO_POP3 && f[AK_IMAP]) {
            scn_ld_push_key(L, "imap");
            return scn_ld_err(L, f[AK_IMAP], true, "IMAP steps need \"protocol\": \"imap\"");
        }
        if (proto == SCN_PROTO_IMAP && f[AK_POP3]) {
            scn_ld_push_key(L, "pop3");
            return scn_ld_err(L, f[AK_POP3], true, "POP3 steps need \"protocol\": \"pop3\"");
        }
        if (proto == SCN_PROTO_IMAP && f[AK_MODE]) {
            scn_ld_push_key(L, "mode");
            return scn_ld_err(L, f[AK_MODE], true,
                              "\"mode\" is for POP3 (IMAP keeps mail on the server)");
        }
        if (!scn_ld_enum(L, f[AK_MODE], pop3_mode_names, SCN_POP3_MODE_COUNT, "a POP3 mode",
                         &mode) ||
            !scn_ld_str(L, f[AK_PASSWORD], SCN_SC_PASSWORD, &x->password) ||
            !scn_ld_bool(L, f[AK_RETR_DELE], &x->retr_after_dele)) {
            return false;
        }
        bool logout = true;
        if (!scn_ld_bool(L, f[AK_LOGOUT], &logout)) return false;
        x->stay = !logout;
        if (proto == SCN_PROTO_IMAP && f[AK_RETR_DELE]) {
            scn_ld_push_key(L, "retr_after_dele");
            return scn_ld_err(L, f[AK_RETR_DELE], true, "\"retr_after_dele\" is for POP3");
        }
        x->pop3_mode = (enum scn_pop3_mode)mode;
        if (f[AK_POP3]) return scn_read_pop3(C, f[AK_POP3], x);
        return !f[AK_IMAP] || scn_read_imap(C, f[AK_IMAP], x);
    }
    case SCN_ACT_WEBMAIL: {
        struct scn_webmail *x = &a->u.webmail;
        unsigned op = 0;
        uint64_t msg = 1;
        if (!scn_ld_require(L, o, f[AK_USER], "user") ||
            !scn_ld_require(L, o, f[AK_DEVICE], "device") ||
            !scn_ld_require(L, o, f[AK_OP], "op") ||
            !scn_ref_user(C, f[AK_USER], &x->user, &x->server, &x->user_index) ||
            !scn_ref_host(C, f[AK_DEVICE], KIND_BIT(SCN_HOST_BROWSER), "a browser", &x->device) ||
            !scn_ld_enum(L, f[AK_OP], scn_webmail_op_names, SCN_WEBMAIL_OP_COUNT, "a webmail step",
                         &op)) {
            return false;
        }
        x->op = (enum scn_webmail_op)op;
        uint64_t allowed = op == SCN_WEBMAIL_SEND   ? AM_MSG
                           : op == SCN_WEBMAIL_READ ? AM(AK_MESSAGE)
                                                    : 0;
        char what2[48];
        snprintf(what2, sizeof what2, "webmail \"%s\"", scn_webmail_op_names[op]);
        if (!scn_check_allowed(L, o, act_keys, AK_N,
                               allowed | AM(AK_AT) | AM(AK_ACTION) | AM(AK_USER) | AM(AK_DEVICE) |
                                   AM(AK_OP),
                               what2) ||
            !scn_ld_uint(L, f[AK_MESSAGE], 1, 1000000, &msg)) {
            return false;
        }
        x->message = (uint32_t)msg;
        if (!scn_webmail_on(C, x->server)) {
            scn_ld_push_key(L, "user");
            return scn_ld_err(L, f[AK_USER], false,
                              "%s has webmail off (set \"webmail\": true on that host)",
                              s->hosts[x->server].name);
        }
        return op != SCN_WEBMAIL_SEND || scn_read_message(L, o, f, &x->msg, false);
    }
    case SCN_ACT_WEB_GET: {
        struct scn_web_get *x = &a->u.web_get;
        if (!scn_ld_require(L, o, f[AK_DEVICE], "device") ||
            !scn_ld_require(L, o, f[AK_SERVER], "server") ||
            !scn_ref_host(C, f[AK_DEVICE], KIND_BIT(SCN_HOST_BROWSER), "a browser", &x->device) ||
            !scn_ref_host(C, f[AK_SERVER], KIND_BIT(SCN_HOST_WEB_SERVER), "a web_server",
                          &x->server)) {
            return false;
        }
        if (f[AK_PATH]) {
            if (!scn_ld_str(L, f[AK_PATH], SCN_SC_URLPATH, &x->path)) return false;
        } else {
            x->path = ms_xstrdup("/");
        }
        const struct scn_web_server *w = &s->hosts[x->server].web;
        x->page = SCN_NONE;
        for (size_t i = 0; i < w->n_pages; i++) {
            if (strcmp(w->pages[i].path, x->path) == 0) x->page = i;
        }
        if (x->page == SCN_NONE) {
            const cJSON *at = f[AK_PATH] ? f[AK_PATH] : o;
            if (f[AK_PATH]) scn_ld_push_key(L, "path");
            return scn_ld_err(L, at, false, "%s has no page \"%s\"", s->hosts[x->server].name,
                              x->path);
        }
        return true;
    }
    case SCN_ACT_HOST_DOWN:
    case SCN_ACT_HOST_UP:
        return scn_ld_require(L, o, f[AK_HOST], "host") &&
               scn_ref_host(C, f[AK_HOST], 0, "", &a->u.host);
    case SCN_ACT_LINK_DOWN:
    case SCN_ACT_LINK_UP:
        return scn_read_link_ref(C, o, f, &a->u.link);
    case SCN_ACT_LINK_SET: {
        struct scn_link_set *x = &a->u.link_set;
        if (!scn_read_link_ref(C, o, f, &x->link) ||
            !scn_ld_dur(L, f[AK_LATENCY], 0, 60 * SIM_US_PER_S, &x->latency) ||
            !scn_ld_bandwidth(L, f[AK_BW], &x->bandwidth_bps) ||
            !scn_ld_double(L, f[AK_LOSS], 0, 1, true, &x->loss)) {
            return false;
        }
        x->has_latency = f[AK_LATENCY] != NULL;
        x->has_bandwidth = f[AK_BW] != NULL;
        x->has_loss = f[AK_LOSS] != NULL;
        if (!x->has_latency && !x->has_bandwidth && !x->has_loss) {
            return scn_ld_err(L, o, false, "link_set needs \"latency\", \"bandwidth\" or \"loss\"");
        }
        return true;
    }
    case SCN_ACT_SERVER_SET: {
        struct scn_server_set *x = &a->u.server_set;
        if (!scn_ld_require(L, o, f[AK_HOST], "host") ||
            !scn_ref_host(C, f[AK_HOST], KIND_BIT(SCN_HOST_MAIL_SERVER), "a mail_server",
                          &x->host) ||
            !scn_ld_dur(L, f[AK_RETRY], 1, SCN_MAX_TIME, &x->retry_interval) ||
            !scn_ld_dur(L, f[AK_GIVEUP], 1, SCN_MAX_TIME, &x->give_up)) {
            return false;
        }
        x->has_retry_interval = f[AK_RETRY] != NULL;
        x->has_give_up = f[AK_GIVEUP] != NULL;
        if (!x->has_retry_interval && !x->has_give_up) {
            return scn_ld_err(L, o, false, "server_set needs \"retry_interval\" or \"give_up\"");
        }
        const struct scn_mail_server *m = &s->hosts[x->host].mail;
        sim_us iv = x->has_retry_interval ? x->retry_interval : m->retry_interval;
        sim_us gu = x->has_give_up ? x->give_up : m->give_up;
        const cJSON *at = x->has_give_up ? f[AK_GIVEUP] : f[AK_RETRY];
        size_t mark = scn_ld_push_key(L, at->string);
        if (!scn_check_giveup(L, at, iv, gu)) return false;
        scn_ld_pop(L, mark);
        return true;
    }
    case SCN_ACT_NARRATE:
        if (!scn_ld_require(L, o, f[AK_TEXT], "text") ||
            !scn_ld_str(L, f[AK_TEXT], SCN_SC_MULTILINE, &a->u.text) ||
            !scn_ld_str(L, f[AK_ID], SCN_SC_ID, &a->id) ||
            !scn_ld_bool(L, f[AK_REPLACE], &a->replace_by_time)) {
            return false;
        }
        return scn_narrate_target(C, o, f[AK_ID], f[AK_REPLACE], a);
    case SCN_ACT_TCP_TRANSFER: {
        struct scn_tcp_transfer *x = &a->u.tcp;
        uint64_t port = 0;
        if (!scn_ld_require(L, o, f[AK_FROM], "from") || !scn_ld_require(L, o, f[AK_TO], "to") ||
            !scn_ld_require(L, o, f[AK_PORT], "port") ||
            !scn_ld_require(L, o, f[AK_BYTES], "bytes") ||
            !scn_ref_host(C, f[AK_FROM], 0, "", &x->from) ||
            !scn_ref_host(C, f[AK_TO], 0, "", &x->to) ||
            !scn_ld_uint(L, f[AK_PORT], 1, 65535, &port) ||
            !scn_ld_size(L, f[AK_BYTES], 1, SCN_MAX_ATTACH_BYTES, &x->bytes)) {
            return false;
        }
        x->port = (uint16_t)port;
        if (!scn_ld_content(L, f[AK_BYTES], x->bytes)) return false;
        if (x->from == x->to) {
            scn_ld_push_key(L, "to");
            return scn_ld_err(L, f[AK_TO], false, "a transfer needs two different hosts");
        }
        return true;
    }
    case SCN_ACT_KIND_COUNT:
        break;
    }
    return false;
}

bool scn_read_timeline(struct scn_ctx *C, const cJSON *item, struct scn_action **out, size_t *n_out)
{
    struct scn_ld *L = C->L;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, SCN_MAX_ACTIONS, &n)) return false;
    *out = ms_xcalloc(n ? n : 1, sizeof **out);
    size_t mark = scn_ld_push_key(L, "timeline");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        *n_out = i + 1;
        if (!scn_read_action(C, o, &(*out)[i])) return false;
        if (i > 0 && (*out)[i].at < (*out)[i - 1].at) {
            char a[32], b[32];
            const cJSON *at = cJSON_GetObjectItemCaseSensitive(o, "at");
            scn_ld_push_key(L, "at");
            return scn_ld_err(L, at, false,
                              "%s is before the previous action's %s (list actions in time order)",
                              dur_format((*out)[i].at, a, sizeof a),
                              dur_format((*out)[i - 1].at, b, sizeof b));
        }
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

/* ----------------------------------------------------- questions, variants */

static int scn_question_cmp(const void *a, const void *b)
{
    const struct scn_question *x = a, *y = b;
    if (x->at != y->at) return x->at < y->at ? -1 : 1;
    return strcmp(x->text, y->text);
}

bool scn_read_questions(struct scn_ctx *C, const cJSON *item)
{
    struct scn_ld *L = C->L;
    struct scn_scenario *s = C->s;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, 1000, &n)) return false;
    s->questions = ms_xcalloc(n ? n : 1, sizeof *s->questions);
    size_t mark = scn_ld_push_key(L, "questions");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_question *q = &s->questions[i];
        s->n_questions = i + 1;
        const cJSON *g[QK_N];
        size_t nc;
        uint64_t ans = 0;
        if (!scn_ld_object(L, o, question_keys, QK_N, ALL_KEYS, "a question", g) ||
            !scn_ld_require(L, o, g[QK_AT], "at") ||
            !scn_ld_require(L, o, g[QK_QUESTION], "question") ||
            !scn_ld_require(L, o, g[QK_CHOICES], "choices") ||
            !scn_ld_require(L, o, g[QK_ANSWER], "answer") ||
            !scn_ld_dur(L, g[QK_AT], 0, SCN_MAX_TIME, &q->at) ||
            !scn_ld_str(L, g[QK_QUESTION], SCN_SC_NAME, &q->text) ||
            !scn_ld_str(L, g[QK_EXPLAIN], SCN_SC_TEXT, &q->explain) ||
            !scn_ld_array(L, g[QK_CHOICES], 6, &nc)) {
            return false;
        }
        if (nc < 2) return scn_ld_err(L, g[QK_CHOICES], false, "a question needs 2 to 6 choices");
        q->choices = ms_xcalloc(nc, sizeof *q->choices);
        size_t m3 = scn_ld_push_key(L, "choices");
        size_t k = 0;
        for (const cJSON *e = g[QK_CHOICES]->child; e; e = e->next, k++) {
            size_t m4 = scn_ld_push_index(L, k);
            q->n_choices = k + 1;
            if (!scn_ld_str(L, e, SCN_SC_NAME, &q->choices[k])) return false;
            scn_ld_pop(L, m4);
        }
        scn_ld_pop(L, m3);
        if (!scn_ld_uint(L, g[QK_ANSWER], 0, nc - 1, &ans)) return false;
        q->answer = (size_t)ans;
        if (!q->explain) q->explain = ms_xstrdup("");
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    /* Stable order: by time, then text (qsort is not stable; text breaks ties). */
    qsort(s->questions, s->n_questions, sizeof *s->questions, scn_question_cmp);
    return true;
}

static bool scn_read_override(struct scn_ctx *C, const cJSON *o, struct scn_host_override *ov)
{
    struct scn_ld *L = C->L;
    const cJSON *g[OV_N];
    if (!scn_ld_object(L, o, override_keys, OV_N, ALL_KEYS, "a host override", g) ||
        !scn_ld_require(L, o, g[OV_HOST], "host") ||
        !scn_ref_host(C, g[OV_HOST], 0, "", &ov->host)) {
        return false;
    }
    const struct scn_host *h = &C->s->hosts[ov->host];
    uint64_t allowed = (UINT64_C(1) << OV_HOST) | (UINT64_C(1) << OV_UP);
    if (h->kind == SCN_HOST_MAIL_SERVER) allowed = (UINT64_C(1) << OV_N) - 1;
    char what[48];
    snprintf(what, sizeof what, "a %s host", scn_host_kind_names[h->kind]);
    if (!scn_check_allowed(L, o, override_keys, OV_N, allowed, what)) return false;
    ov->up = h->up;
    ov->retry_interval = h->mail.retry_interval;
    ov->give_up = h->mail.give_up;
    /* A chaos object is the whole setting, as on the host itself: what it
     * leaves out is 0, so "chaos": {} turns chaos off. */
    ov->chaos = (struct scn_chaos){0, 0, 0, 0, 0, 0};
    scn_smtp_opts_default(&ov->smtp);
    if (!scn_read_smtp(L, g[OV_SMTP], &ov->smtp)) return false;
    if (g[OV_SMTP]) ov->set |= SCN_OVR_SMTP;
    ov->lenient_data = h->mail.lenient_data;
    ov->webmail = h->mail.webmail;
    bool hi = false, hg = false;
    if (!scn_ld_bool(L, g[OV_UP], &ov->up) ||
        !scn_read_retry(L, g[OV_RETRY], &ov->retry_interval, &ov->give_up, &hi, &hg) ||
        !scn_read_chaos(L, g[OV_CHAOS], &ov->chaos) ||
        !scn_ld_bool(L, g[OV_LENIENT], &ov->lenient_data) ||
        !scn_ld_bool(L, g[OV_WEBMAIL], &ov->webmail)) {
        return false;
    }
    if (g[OV_UP]) ov->set |= SCN_OVR_UP;
    if (hi) ov->set |= SCN_OVR_RETRY_INTERVAL;
    if (hg) ov->set |= SCN_OVR_GIVE_UP;
    if (g[OV_CHAOS]) ov->set |= SCN_OVR_CHAOS;
    if (g[OV_LENIENT]) ov->set |= SCN_OVR_LENIENT_DATA;
    if (g[OV_WEBMAIL]) ov->set |= SCN_OVR_WEBMAIL;
    if (g[OV_RETRY]) {
        scn_ld_push_key(L, "retry");
        if (!scn_check_giveup(L, g[OV_RETRY], ov->retry_interval, ov->give_up)) return false;
    }
    /* Keep only what the variant sets, so saving writes it back as written. */
    if (!(ov->set & SCN_OVR_UP)) ov->up = false;
    if (!(ov->set & SCN_OVR_RETRY_INTERVAL)) ov->retry_interval = 0;
    if (!(ov->set & SCN_OVR_GIVE_UP)) ov->give_up = 0;
    if (!(ov->set & SCN_OVR_CHAOS)) ov->chaos = (struct scn_chaos){0, 0, 0, 0, 0, 0};
    if (!(ov->set & SCN_OVR_LENIENT_DATA)) ov->lenient_data = false;
    if (!(ov->set & SCN_OVR_WEBMAIL)) ov->webmail = false;
    return true;
}

bool scn_read_variants(struct scn_ctx *C, const cJSON *item)
{
    struct scn_ld *L = C->L;
    struct scn_scenario *s = C->s;
    if (!item) return true;
    size_t n;
    if (!scn_ld_array(L, item, 100, &n)) return false;
    s->variants = ms_xcalloc(n ? n : 1, sizeof *s->variants);
    size_t mark = scn_ld_push_key(L, "variants");
    size_t i = 0;
    for (const cJSON *o = item->child; o; o = o->next, i++) {
        size_t m2 = scn_ld_push_index(L, i);
        struct scn_variant *v = &s->variants[i];
        s->n_variants = i + 1;
        const cJSON *g[VK_N];
        if (!scn_ld_object(L, o, variant_keys, VK_N, ALL_KEYS, "a variant", g) ||
            !scn_ld_require(L, o, g[VK_NAME], "name") ||
            !scn_ld_str(L, g[VK_NAME], SCN_SC_NAME, &v->name) ||
            !scn_ld_str(L, g[VK_DESC], SCN_SC_MULTILINE, &v->description) ||
            !scn_ld_bool(L, g[VK_REPLACE], &v->replace_timeline) ||
            !scn_ld_uint(L, g[VK_SEED], 0, (UINT64_C(1) << 53) - 1, &v->seed)) {
            return false;
        }
        v->has_seed = g[VK_SEED] != NULL;
        if (!v->description) v->description = ms_xstrdup("");
        for (size_t j = 0; j < i; j++) {
            if (strcmp(s->variants[j].name, v->name) == 0) {
                scn_ld_push_key(L, "name");
                return scn_ld_err(L, g[VK_NAME], false,
                                  "duplicate variant name \"%s\" (also variants[%zu])", v->name, j);
            }
        }
        if (g[VK_HOSTS]) {
            size_t nh;
            if (!scn_ld_array(L, g[VK_HOSTS], SCN_MAX_HOSTS, &nh)) return false;
            v->hosts = ms_xcalloc(nh ? nh : 1, sizeof *v->hosts);
            size_t m3 = scn_ld_push_key(L, "hosts");
            size_t k = 0;
            for (const cJSON *e = g[VK_HOSTS]->child; e; e = e->next, k++) {
                size_t m4 = scn_ld_push_index(L, k);
                v->n_hosts = k + 1;
                if (!scn_read_override(C, e, &v->hosts[k])) return false;
                for (size_t j = 0; j < k; j++) {
                    if (v->hosts[j].host == v->hosts[k].host) {
                        return scn_ld_err(L, e, false, "%s is already changed by hosts[%zu]",
                                          s->hosts[v->hosts[k].host].name, j);
                    }
                }
                scn_ld_pop(L, m4);
            }
            scn_ld_pop(L, m3);
        }
        C->variant = v;
        bool ok = scn_read_timeline(C, g[VK_TIMELINE], &v->timeline, &v->n_timeline);
        C->variant = NULL;
        if (!ok) return false;
        scn_ld_pop(L, m2);
    }
    scn_ld_pop(L, mark);
    return true;
}

/* Apply variant v in place: overrides onto hosts, timeline merged. */
void scn_apply_in_place(struct scn_scenario *s, size_t vi)
{
    struct scn_variant *v = &s->variants[vi];
    for (size_t i = 0; i < v->n_hosts; i++) {
        const struct scn_host_override *o = &v->hosts[i];
        struct scn_host *h = &s->hosts[o->host];
        if (o->set & SCN_OVR_UP) h->up = o->up;
        if (o->set & SCN_OVR_RETRY_INTERVAL) h->mail.retry_interval = o->retry_interval;
        if (o->set & SCN_OVR_GIVE_UP) h->mail.give_up = o->give_up;
        if (o->set & SCN_OVR_CHAOS) h->mail.chaos = o->chaos;
        if (o->set & SCN_OVR_LENIENT_DATA) h->mail.lenient_data = o->lenient_data;
        if (o->set & SCN_OVR_WEBMAIL) h->mail.webmail = o->webmail;
        if (o->set & SCN_OVR_SMTP) scn_smtp_opts_apply(&h->mail, &o->smtp);
    }
    if (v->has_seed) s->seed = v->seed;
    size_t nb = v->replace_timeline ? 0 : s->n_timeline;
    struct scn_action *m = ms_xcalloc(nb + v->n_timeline + 1, sizeof *m);
    /* A narration the variant replaces leaves the main timeline; at the
     * same time, its replacement takes its place in the order. */
    size_t *by = ms_xmalloc((nb + 1) * sizeof *by);
    bool *placed = ms_xcalloc(v->n_timeline + 1, sizeof *placed);
    for (size_t r = 0; r < nb; r++) by[r] = SCN_NONE;
    for (size_t r = 0; r < v->n_timeline; r++) {
        struct scn_action *va = &v->timeline[r];
        if (va->replaces && va->replaced < nb) {
            by[va->replaced] = r;
            /* The replacement keeps the name, so a saved file still has it. */
            if (!va->id && s->timeline[va->replaced].id)
                va->id = ms_xstrdup(s->timeline[va->replaced].id);
        }
        va->replaces = false; /* applied: in the result it is a plain narration */
        va->replace_by_time = false;
    }
    size_t i = 0, j = 0, k = 0;
    while (i < nb || j < v->n_timeline) {
        if (j < v->n_timeline && placed[j]) {
            j++;
        } else if (i < nb && by[i] != SCN_NONE) {
            size_t r = by[i];
            if (v->timeline[r].at == s->timeline[i].at) {
                m[k++] = v->timeline[r];
                placed[r] = true;
            }
            scn_action_free_fields(&s->timeline[i++]);
        } else if (j == v->n_timeline || (i < nb && s->timeline[i].at <= v->timeline[j].at)) {
            m[k++] = s->timeline[i++];
        } else {
            m[k++] = v->timeline[j++];
        }
    }
    free(by);
    free(placed);
    if (v->description && v->description[0]) {
        free(s->description);
        s->description = ms_xstrdup(v->description);
    }
    if (v->replace_timeline) {
        for (i = 0; i < s->n_timeline; i++) scn_action_free_fields(&s->timeline[i]);
    }
    free(s->timeline);
    free(v->timeline);
    v->timeline = NULL;
    v->n_timeline = 0;
    s->timeline = m;
    s->n_timeline = k;
    s->variant = ms_xstrdup(v->name);
    for (i = 0; i < s->n_variants; i++) {
        struct scn_variant *w = &s->variants[i];
        free(w->name);
        free(w->description);
        for (j = 0; j < w->n_hosts; j++) scn_smtp_texts_free(&w->hosts[j].smtp.texts);
        free(w->hosts);
        for (j = 0; j < w->n_timeline; j++) scn_action_free_fields(&w->timeline[j]);
        free(w->timeline);
    }
    free(s->variants);
    s->variants = NULL;
    s->n_variants = 0;
}
