/* fuzz_scenario.c -- the scenario loader under libFuzzer (bad-inputs d.1,
 * fuzz_scenario_load).
 *
 * Oracle beyond "no crash, no leak, no UB":
 *   - either a model or an error carrying line:col, never both;
 *   - a loaded model saves and reloads to the same model (scn_dump), and
 *     the second save is byte-identical to the first;
 *   - no string that reaches the wire holds CR, LF or NUL;
 *   - every variant of a loaded model applies cleanly. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "scenario/scenario.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fz_check(int ok, const char *what)
{
    if (!ok) {
        fprintf(stderr, "fuzz_scenario: oracle failed: %s\n", what);
        abort();
    }
}

static void fz_wire(const char *s)
{
    if (s) fz_check(strpbrk(s, "\r\n") == NULL, "CR or LF in a wire field");
}

static void fz_message(const struct scn_message *m)
{
    fz_wire(m->subject);
    for (size_t i = 0; i < m->n_to; i++) fz_wire(m->to[i]);
    for (size_t i = 0; i < m->n_cc; i++) fz_wire(m->cc[i]);
    for (size_t i = 0; i < m->n_bcc; i++) fz_wire(m->bcc[i]);
    for (size_t i = 0; i < m->n_attachments; i++) {
        fz_wire(m->attachments[i].name);
        fz_wire(m->attachments[i].type);
        if (m->attachments[i].path) {
            fz_check(m->attachments[i].path[0] != '/', "absolute attachment path");
            fz_check(strstr(m->attachments[i].path, "..") == NULL ||
                         strstr(m->attachments[i].path, "../") == NULL,
                     "attachment path with ../");
        }
    }
}

static void fz_check_wire(const struct scn_scenario *s)
{
    for (size_t i = 0; i < s->n_hosts; i++) {
        const struct scn_host *h = &s->hosts[i];
        fz_wire(h->name);
        fz_wire(h->mail.domain);
        for (size_t u = 0; u < h->mail.n_users; u++) {
            fz_wire(h->mail.users[u].name);
            fz_wire(h->mail.users[u].password);
            fz_wire(h->mail.users[u].display_name);
        }
    }
    for (size_t i = 0; i < s->n_timeline; i++) {
        const struct scn_action *a = &s->timeline[i];
        if (a->kind == SCN_ACT_SEND) fz_message(&a->u.send.msg);
        if (a->kind == SCN_ACT_WEBMAIL) fz_message(&a->u.webmail.msg);
        if (a->kind == SCN_ACT_CHECK_MAIL) {
            for (size_t k = 0; k < a->u.check.n_imap; k++) {
                fz_wire(a->u.check.imap[k].mailbox);
                fz_wire(a->u.check.imap[k].criteria);
                fz_wire(a->u.check.imap[k].pattern);
            }
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct scn_error err;
    struct scn_load_opts opts = {NULL, true};
    struct scn_scenario *s =
        scn_load_buffer((const char *)data, size, "fuzz.json", NULL, &opts, &err);
    if (!s) {
        fz_check(err.text[0] != '\0', "no model and no error text");
        fz_check(err.line >= 1 && err.col >= 1, "error without line:col");
        return 0;
    }
    fz_check(err.text[0] == '\0', "a model and an error");
    fz_check_wire(s);
    size_t len;
    char *json = scn_to_json(s, &len);
    struct scn_scenario *r = scn_load_buffer(json, len, "resaved.json", NULL, &opts, &err);
    if (!r) fprintf(stderr, "reload failed: %s\n%s\n", err.text, json);
    fz_check(r != NULL, "saved model does not reload");
    char *a = scn_dump(s), *b = scn_dump(r);
    fz_check(strcmp(a, b) == 0, "reloaded model differs");
    char *json2 = scn_to_json(r, NULL);
    fz_check(strcmp(json, json2) == 0, "second save differs");
    for (size_t i = 0; i < s->n_variants; i++) {
        struct scn_scenario *v = scn_apply_variant(s, s->variants[i].name, &err);
        if (!v) fprintf(stderr, "variant failed: %s\n", err.text);
        fz_check(v != NULL, "a validated variant does not apply");
        scn_free(v);
    }
    free(a);
    free(b);
    free(json);
    free(json2);
    scn_free(r);
    scn_free(s);
    return 0;
}
