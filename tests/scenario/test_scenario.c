/* test_scenario.c -- the scenario loader, saver and generator.
 *
 * Bad files: every tests/scenarios/bad/NAME.json must fail with exactly the
 * line in NAME.expected, and must be byte-identical (and keep its mtime)
 * afterwards. Good files: every tests/scenarios/good/NAME.json loads to the
 * model in NAME.model (scn_dump), and load -> save -> load gives the same
 * model. Run with SCN_UPDATE_GOLDEN=1 to rewrite the .model files (review
 * the diff before committing). */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "scenario/scenario.h"

#define BAD_DIR "tests/scenarios/bad"
#define GOOD_DIR "tests/scenarios/good"

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 4096, n = 0, r;
    char *buf = malloc(cap + 1);
    while ((r = fread(buf + n, 1, cap - n, f)) > 0) {
        n += r;
        if (n == cap) buf = realloc(buf, (cap *= 2) + 1);
    }
    fclose(f);
    buf[n] = '\0';
    if (len) *len = n;
    return buf;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names in dir ending with ext; returns count. */
static size_t list_dir(const char *dir, const char *ext, char ***out)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0, cap = 16;
    char **v = malloc(cap * sizeof *v);
    struct dirent *e;
    size_t el = strlen(ext);
    while ((e = readdir(d)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= el || strcmp(e->d_name + l - el, ext) != 0) continue;
        if (n == cap) v = realloc(v, (cap *= 2) * sizeof *v);
        v[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(v, n, sizeof *v, cmp_str);
    *out = v;
    return n;
}

static void free_list(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++) free(v[i]);
    free(v);
}

/* Load text, save it as JSON, load that, and compare the dumps. */
static void assert_round_trip(const struct scn_scenario *s)
{
    size_t len;
    char *json = scn_to_json(s, &len);
    struct scn_error err;
    struct scn_load_opts opts = {NULL, s->base_dir == NULL};
    struct scn_scenario *r = scn_load_buffer(json, len, "round-trip", s->base_dir, &opts, &err);
    if (!r) fail_msg("saved JSON does not reload: %s\n%s", err.text, json);
    char *a = scn_dump(s), *b = scn_dump(r);
    assert_string_equal(a, b);
    /* Saving is stable: the second save is byte-identical to the first. */
    char *json2 = scn_to_json(r, NULL);
    assert_string_equal(json, json2);
    free(a);
    free(b);
    free(json);
    free(json2);
    scn_free(r);
}

static void test_bad_files(void **state)
{
    (void)state;
    char **names;
    size_t n = list_dir(BAD_DIR, ".json", &names);
    assert_true(n >= 45);
    for (size_t i = 0; i < n; i++) {
        char path[512], exp_path[512];
        snprintf(path, sizeof path, "%s/%s", BAD_DIR, names[i]);
        snprintf(exp_path, sizeof exp_path, "%s/%.*s.expected", BAD_DIR,
                 (int)(strlen(names[i]) - 5), names[i]);
        char *expected = read_all(exp_path, NULL);
        if (!expected) fail_msg("missing %s", exp_path);
        char *nl = strchr(expected, '\n');
        if (nl) *nl = '\0';
        struct stat st0, st1;
        size_t len0, len1;
        assert_int_equal(stat(path, &st0), 0);
        char *before = read_all(path, &len0);

        struct scn_error err;
        memset(&err, 0x55, sizeof err);
        struct scn_scenario *s = scn_load_file(path, NULL, &err);
        if (s) fail_msg("%s loaded but should fail with: %s", path, expected);
        if (strcmp(err.text, expected) != 0) {
            fail_msg("%s\n  expected: %s\n  got:      %s", path, expected, err.text);
        }
        /* Every error from a file's content names a position. */
        assert_true(err.line >= 1 && err.col >= 1);

        char *after = read_all(path, &len1);
        assert_int_equal(stat(path, &st1), 0);
        assert_int_equal(len0, len1);
        assert_memory_equal(before, after, len0);
        assert_true(st0.st_mtim.tv_sec == st1.st_mtim.tv_sec &&
                    st0.st_mtim.tv_nsec == st1.st_mtim.tv_nsec);
        free(before);
        free(after);
        free(expected);
    }
    free_list(names, n);
}

static void test_good_files(void **state)
{
    (void)state;
    char **names;
    size_t n = list_dir(GOOD_DIR, ".json", &names);
    assert_true(n >= 3);
    bool update = getenv("SCN_UPDATE_GOLDEN") != NULL;
    for (size_t i = 0; i < n; i++) {
        char path[512], model_path[512];
        snprintf(path, sizeof path, "%s/%s", GOOD_DIR, names[i]);
        snprintf(model_path, sizeof model_path, "%s/%.*s.model", GOOD_DIR,
                 (int)(strlen(names[i]) - 5), names[i]);
        struct scn_error err;
        struct scn_scenario *s = scn_load_file(path, NULL, &err);
        if (!s) fail_msg("%s: %s", path, err.text);
        char *dump = scn_dump(s);
        if (update) {
            FILE *f = fopen(model_path, "wb");
            assert_non_null(f);
            fputs(dump, f);
            fclose(f);
        }
        char *want = read_all(model_path, NULL);
        if (!want) fail_msg("missing %s (run with SCN_UPDATE_GOLDEN=1)", model_path);
        assert_string_equal(dump, want);
        assert_round_trip(s);
        free(want);
        free(dump);
        scn_free(s);
    }
    free_list(names, n);
}

static void test_full_model_fields(void **state)
{
    (void)state;
    struct scn_error err;
    struct scn_scenario *s = scn_load_file(GOOD_DIR "/full.json", NULL, &err);
    if (!s) fail_msg("%s", err.text);
    assert_string_equal(s->title, "Every field once");
    assert_int_equal(s->seed, 424242);
    assert_int_equal(s->epoch_tz_min, 60);
    assert_int_equal(s->epoch, 1740989700); /* 2025-03-03T08:15:00Z */
    assert_true(s->quiz);
    size_t org = scn_find_host(s, "MAIL.example.org");
    assert_int_equal(org, 4);
    const struct scn_mail_server *m = &s->hosts[org].mail;
    assert_true(m->auth_required);
    assert_false(m->eightbitmime);
    assert_int_equal(m->size_limit, 10485760);
    assert_int_equal(m->max_recipients, 50);
    assert_int_equal(m->retry_interval, 30 * SIM_US_PER_MIN);
    assert_string_equal(m->users[1].display_name, "Carol \xc3\x96. M\xc3\xbcller");
    size_t net = scn_find_domain(s, "example.net");
    assert_int_equal(net, 5);
    assert_int_equal(s->hosts[net].mail.give_up, 2 * SIM_US_PER_H);
    assert_true(s->hosts[net].mail.chaos.data == 0.2);
    assert_string_equal(s->hosts[net].mail.users[0].password, "");
    /* Declared MX records: example.net preference 5, example.org default 10. */
    assert_false(s->mx_derived);
    assert_int_equal(scn_mx_lookup(s, "EXAMPLE.NET"), net);
    assert_int_equal(scn_mx_lookup(s, "example.org"), org);
    assert_int_equal(scn_mx_lookup(s, "example.com"), SCN_NONE);
    /* Owners resolve to (server, user). */
    assert_int_equal(s->hosts[0].owner_server, org);
    assert_int_equal(s->hosts[0].owner_user, 0);
    assert_int_equal(s->hosts[2].owner_server, net);
    assert_false(s->hosts[2].up);
    /* Links: bandwidth strings and defaults. */
    assert_int_equal(s->links[1].bandwidth_bps, 1500000);
    assert_int_equal(s->links[2].bandwidth_bps, 10000000);
    assert_int_equal(s->links[2].latency, 10 * SIM_US_PER_MS);
    assert_int_equal(s->links[3].mtu, 1400);
    assert_false(s->links[5].up);
    assert_int_equal(scn_find_link(s, 6, 5), 5);
    /* The first send: recipients, attachments read from disk. */
    const struct scn_action *a = &s->timeline[2];
    assert_int_equal(a->kind, SCN_ACT_SEND);
    assert_int_equal(a->at, SIM_US_PER_S);
    assert_int_equal(a->u.send.msg.n_to, 2);
    assert_int_equal(a->u.send.msg.n_cc, 1);
    assert_string_equal(a->u.send.msg.cc[0], "carol@example.org");
    assert_string_equal(a->u.send.msg.body, "Hi Bob,\n.\n..\n.dot at the start\nsee the photo.\n");
    assert_int_equal(a->u.send.msg.n_attachments, 3);
    assert_int_equal(a->u.send.msg.attachments[0].kind, SCN_ATTACH_GENERATED);
    assert_int_equal(a->u.send.msg.attachments[0].size, 123456);
    assert_null(a->u.send.msg.attachments[0].data);
    assert_int_equal(a->u.send.msg.attachments[1].kind, SCN_ATTACH_FILE);
    assert_string_equal(a->u.send.msg.attachments[1].name, "photo.jpg");
    assert_int_equal(a->u.send.msg.attachments[1].size, 22);
    assert_memory_equal(a->u.send.msg.attachments[1].data, "\xff\xd8\xff\xe0", 4);
    assert_string_equal(a->u.send.msg.attachments[2].name, "renamed.bin");
    /* The eml send. */
    a = &s->timeline[3];
    assert_int_equal(a->u.send.msg.attachments[0].kind, SCN_ATTACH_EML);
    assert_string_equal(a->u.send.msg.attachments[0].type, "message/rfc822");
    assert_string_equal(a->u.send.msg.subject, "");
    /* Direct delivery. */
    a = &s->timeline[4];
    assert_true(a->u.send.direct_delivery);
    assert_int_equal(a->u.send.direct_host, 2);
    /* POP3 steps after the download, and no QUIT. */
    a = &s->timeline[15];
    assert_int_equal(a->u.check.proto, SCN_PROTO_POP3);
    assert_int_equal(a->u.check.n_pop3, 2);
    assert_int_equal(a->u.check.pop3[0].op, SCN_POP3_NOOP);
    assert_int_equal(a->u.check.pop3[1].op, SCN_POP3_WAIT);
    assert_int_equal(a->u.check.pop3[1].wait, 12 * SIM_US_PER_MIN);
    assert_true(a->u.check.stay);
    assert_int_equal(s->timeline[14].u.check.n_pop3, 0);
    assert_false(s->timeline[14].u.check.stay);
    /* IMAP steps with defaults filled in. */
    a = &s->timeline[16];
    assert_int_equal(a->kind, SCN_ACT_CHECK_MAIL);
    assert_int_equal(a->u.check.proto, SCN_PROTO_IMAP);
    assert_int_equal(a->u.check.n_imap, 17);
    assert_string_equal(a->u.check.imap[0].pattern, "*");
    assert_string_equal(a->u.check.imap[5].criteria, "ALL");
    /* noop, idle (default 30m), idle for 2m, wait 30s, then logout. */
    assert_int_equal(a->u.check.imap[12].op, SCN_IMAP_NOOP);
    assert_int_equal(a->u.check.imap[13].op, SCN_IMAP_IDLE);
    assert_int_equal(a->u.check.imap[13].wait, 30 * SIM_US_PER_MIN);
    assert_int_equal(a->u.check.imap[14].wait, 2 * SIM_US_PER_MIN);
    assert_int_equal(a->u.check.imap[15].op, SCN_IMAP_WAIT);
    assert_int_equal(a->u.check.imap[15].wait, 30 * SIM_US_PER_S);
    assert_false(a->u.check.stay);
    assert_true(s->timeline[17].u.check.stay); /* "logout": false */
    assert_string_equal(a->u.check.imap[10].set, "1:*");
    assert_int_equal(a->u.check.imap[10].store_mode, SCN_STORE_REMOVE);
    assert_true(a->u.check.imap[8].uid);
    /* Questions are sorted by time. */
    assert_int_equal(s->n_questions, 2);
    assert_int_equal(s->questions[0].at, 0);
    assert_int_equal(s->questions[1].answer, 1);
    assert_int_equal(s->n_variants, 4);
    scn_free(s);
}

static void test_variants(void **state)
{
    (void)state;
    struct scn_error err;
    struct scn_load_opts opts = {"server down two hours", false};
    struct scn_scenario *base = scn_load_file(GOOD_DIR "/full.json", NULL, &err);
    struct scn_scenario *v = scn_load_file(GOOD_DIR "/full.json", &opts, &err);
    if (!base || !v) fail_msg("%s", err.text);
    size_t net = scn_find_host(v, "mail.example.net");
    assert_string_equal(v->variant, "server down two hours");
    assert_int_equal(v->n_variants, 0);
    assert_false(v->hosts[net].up);
    assert_int_equal(v->hosts[net].mail.retry_interval, 30 * SIM_US_PER_MIN);
    assert_int_equal(v->hosts[net].mail.give_up, 2 * SIM_US_PER_H); /* not overridden */
    assert_int_equal(v->n_timeline, base->n_timeline + 1);
    /* The added host_up at 2h comes after the base actions at 2h. */
    for (size_t i = 1; i < v->n_timeline; i++)
        assert_true(v->timeline[i - 1].at <= v->timeline[i].at);
    assert_int_equal(v->timeline[15].kind, SCN_ACT_CHECK_MAIL);
    assert_int_equal(v->timeline[16].kind, SCN_ACT_HOST_UP);
    assert_round_trip(v);

    /* scn_apply_variant gives the same model as loading with the option. */
    struct scn_scenario *w = scn_apply_variant(base, "server down two hours", &err);
    if (!w) fail_msg("%s", err.text);
    char *a = scn_dump(v), *b = scn_dump(w);
    assert_string_equal(a, b);
    free(a);
    free(b);
    scn_free(w);

    w = scn_apply_variant(base, "only narration", &err);
    if (!w) fail_msg("%s", err.text);
    assert_int_equal(w->n_timeline, 1);
    assert_int_equal(w->timeline[0].kind, SCN_ACT_NARRATE);
    size_t org = scn_find_host(w, "mail.example.org");
    assert_true(w->hosts[org].mail.chaos.connect == 0.5);
    assert_true(w->hosts[org].mail.lenient_data);
    scn_free(w);

    /* A variant's chaos object is the whole setting: what it leaves out is
     * 0, and "chaos": {} turns the host's chaos off. */
    w = scn_apply_variant(base, "server down two hours", &err);
    if (!w) fail_msg("%s", err.text);
    assert_true(w->hosts[net].mail.chaos.data == 0.2); /* not written: kept */
    scn_free(w);
    static const char calm[] =
        "{\"title\": \"calm\", \"hosts\": [{\"name\": \"a\", \"kind\": \"mail_server\",\n"
        "  \"domain\": \"a.example\",\n"
        "  \"users\": [{\"name\": \"u\"}], \"chaos\": {\"connect\": 0.1, \"data\": 0.2}}],\n"
        " \"variants\": [{\"name\": \"calm\", \"hosts\": [{\"host\": \"a\", \"chaos\": {}}]},\n"
        "              {\"name\": \"rcpt\", \"hosts\": [{\"host\": \"a\", \"chaos\": {\"rcpt\": 0.5}}]}]}";
    struct scn_scenario *c = scn_load_buffer(calm, strlen(calm), "calm.json", NULL, NULL, &err);
    if (!c) fail_msg("%s", err.text);
    w = scn_apply_variant(c, "calm", &err);
    if (!w) fail_msg("%s", err.text);
    assert_true(w->hosts[0].mail.chaos.connect == 0 && w->hosts[0].mail.chaos.data == 0);
    assert_round_trip(w);
    scn_free(w);
    w = scn_apply_variant(c, "rcpt", &err);
    if (!w) fail_msg("%s", err.text);
    assert_true(w->hosts[0].mail.chaos.rcpt == 0.5 && w->hosts[0].mail.chaos.connect == 0);
    scn_free(w);
    scn_free(c);
    w = scn_apply_variant(base, "only narration", &err);
    if (!w) fail_msg("%s", err.text);
    assert_int_equal(w->hosts[org].mail.give_up, 3 * SIM_US_PER_DAY);
    scn_free(w);

    assert_null(scn_apply_variant(base, "no such", &err));
    assert_string_equal(err.text,
                        "tests/scenarios/good/full.json: no variant called \"no such\" (variants: "
                        "\"server down two hours\", \"only narration\", \"empty\", "
                        "\"narration by time\")");
    scn_free(base);
    scn_free(v);
}

/* A variant replaces one narration of the main timeline by its id or by its
 * time, adds others, and brings its own description; saving keeps
 * "$schema". */
static void test_variant_narration(void **state)
{
    (void)state;
    struct scn_error err;
    struct scn_scenario *base = scn_load_file(GOOD_DIR "/full.json", NULL, &err);
    if (!base) fail_msg("%s", err.text);
    assert_string_equal(base->timeline[0].id, "intro");
    assert_string_equal(base->schema, "../../../docs/scenario.schema.json");
    size_t n = base->n_timeline;

    struct scn_scenario *w = scn_apply_variant(base, "server down two hours", &err);
    if (!w) fail_msg("%s", err.text);
    assert_int_equal(w->n_timeline, n + 1); /* one replaced, one host_up added */
    size_t narrations = 0;
    for (size_t i = 0; i < w->n_timeline; i++) {
        if (w->timeline[i].kind != SCN_ACT_NARRATE) continue;
        narrations++;
        assert_string_not_equal(w->timeline[i].u.text, "Every action once.\n\tIndented line.");
    }
    assert_int_equal(narrations, 1);
    assert_string_equal(w->timeline[0].u.text, "The same lesson with the server down.");
    assert_string_equal(w->timeline[0].id, "intro");
    assert_string_equal(w->description, "Bob's server is off for two hours.");
    char title[256];
    scn_display_title(w, title, sizeof title);
    assert_string_equal(title, "Every field once \u2014 variant \"server down two hours\"");
    size_t len;
    char *json = scn_to_json(w, &len);
    assert_non_null(strstr(json, "\"$schema\": \"../../../docs/scenario.schema.json\""));
    free(json);
    assert_round_trip(w);
    scn_free(w);

    w = scn_apply_variant(base, "narration by time", &err);
    if (!w) fail_msg("%s", err.text);
    assert_int_equal(w->n_timeline, n);
    assert_string_equal(w->timeline[0].u.text, "Replaced by time.");
    assert_string_equal(w->timeline[0].id, "intro");        /* the name stays */
    assert_string_equal(w->description, base->description); /* the variant has none */
    scn_free(w);
    scn_free(base);
}

static void test_default(void **state)
{
    (void)state;
    struct scn_scenario *s = scn_load_default();
    assert_non_null(s);
    assert_string_equal(s->title, "01 Alice writes to Bob");
    assert_int_equal(s->n_hosts, 6);
    size_t alice = scn_find_host(s, "alice-pc");
    size_t org = scn_find_domain(s, "example.org");
    size_t net = scn_find_domain(s, "example.net");
    assert_int_equal(s->hosts[alice].owner_server, org);
    assert_int_equal(scn_mx_lookup(s, "example.net"), net);
    assert_int_equal(s->timeline[1].kind, SCN_ACT_SEND);
    assert_string_equal(s->timeline[1].u.send.from, "alice@example.org");
    assert_string_equal(s->timeline[1].u.send.msg.to[0], "bob@example.net");
    assert_round_trip(s);
    scn_free(s);
}

static void test_derived_mx(void **state)
{
    (void)state;
    static const char text[] =
        "{\"title\": \"t\", \"hosts\": [{\"name\": \"m1\", \"kind\": \"mail_server\", \"domain\": \"b.example\"},"
        "{\"name\": \"m2\", \"kind\": \"mail_server\", \"domain\": \"a.example\"}, {\"name\": \"dns\", \"kind\": \"dns\"}]}";
    struct scn_error err;
    struct scn_scenario *s = scn_load_buffer(text, strlen(text), "x", NULL, NULL, &err);
    if (!s) fail_msg("%s", err.text);
    assert_true(s->mx_derived);
    assert_int_equal(s->n_mx, 2);
    assert_string_equal(s->mx[0].domain, "a.example"); /* sorted */
    assert_int_equal(s->mx[0].host_index, 1);
    assert_int_equal(scn_mx_lookup(s, "b.example"), 0);
    assert_int_equal(s->hosts[0].mail.retry_interval, 30 * SIM_US_PER_MIN);
    assert_int_equal(s->hosts[0].mail.give_up, 5 * SIM_US_PER_DAY);
    assert_int_equal(s->epoch, 1740992400); /* default 2025-03-03T09:00:00Z */
    assert_round_trip(s);
    scn_free(s);
}

static void test_buffer_errors(void **state)
{
    (void)state;
    struct scn_error err;
    /* A NUL after the object; columns count characters, not bytes. */
    static const char nul[] = "{\"title\": \"M\xc3\xbcller\"}\0";
    assert_null(scn_load_buffer(nul, sizeof nul - 1, "b.json", NULL, NULL, &err));
    assert_string_equal(err.text, "b.json:1:20: NUL byte in the file");
    static const char key[] = "{\"title\": \"M\xc3\xbcller\", \"x\": 1}";
    assert_null(scn_load_buffer(key, sizeof key - 1, "b.json", NULL, NULL, &err));
    assert_string_equal(err.text, "b.json:1:21: x: unknown key \"x\" in a scenario");
    assert_int_equal(err.line, 1);
    assert_int_equal(err.col, 21);
    assert_string_equal(err.path, "x");
    /* Attachment files need a folder; with no_files only the path is checked. */
    static const char att[] =
        "{\"title\": \"t\", \"hosts\": [{\"name\": \"pc\", \"kind\": \"pc\"},"
        "{\"name\": \"m\", \"kind\": \"mail_server\", \"domain\": \"a.example\", \"users\": [{\"name\": \"u\"}]}],"
        "\"timeline\": [{\"at\": \"0s\", \"action\": \"send\", \"from\": \"u@a.example\", \"device\": \"pc\","
        "\"to\": \"u@a.example\", \"attachments\": [{\"file\": \"p.jpg\"}]}]}";
    assert_null(scn_load_buffer(att, sizeof att - 1, "a.json", NULL, NULL, &err));
    assert_string_equal(err.text,
                        "a.json:1:270: timeline[0].attachments[0].file: \"p.jpg\": attachment "
                        "files need a scenario file on disk");
    struct scn_load_opts nf = {NULL, true};
    struct scn_scenario *s = scn_load_buffer(att, sizeof att - 1, "a.json", NULL, &nf, &err);
    if (!s) fail_msg("%s", err.text);
    assert_null(s->timeline[0].u.send.msg.attachments[0].data);
    scn_free(s);
    /* Too big for the cap, before any parsing. */
    size_t big = SCN_MAX_FILE_BYTES + 1;
    char *buf = calloc(1, big);
    assert_null(scn_load_buffer(buf, big, "big.json", NULL, NULL, &err));
    assert_string_equal(err.text,
                        "big.json: scenario is 8388609 bytes; the limit is 8388608 (8 MiB)");
    assert_int_equal(err.line, 0);
    free(buf);
    assert_null(scn_load_file("tests/scenarios/no-such-file.json", NULL, &err));
    assert_string_equal(
        err.text, "tests/scenarios/no-such-file.json: cannot open: No such file or directory");
    /* err may be NULL. */
    assert_null(scn_load_buffer("{", 1, "x", NULL, NULL, NULL));
}

/* Quoted values in messages are cut at about 60 characters, never inside
 * a UTF-8 sequence. */
static void test_quote_cut(void **state)
{
    (void)state;
    char text[400] = "{\"title\": \"t\", \"hosts\": [{\"name\": \"";
    size_t o = strlen(text);
    for (int i = 0; i < 40; i++) {
        memcpy(text + o, "\xc3\xa9", 2); /* é, not a host name character */
        o += 2;
    }
    strcpy(text + o, "\", \"kind\": \"pc\"}]}");
    struct scn_error err;
    assert_null(scn_load_buffer(text, strlen(text), "q.json", NULL, NULL, &err));
    char want[300] = "q.json:1:35: hosts[0].name: \"";
    for (int i = 0; i < 30; i++) strcat(want, "\xc3\xa9");
    strcat(want, "...\" is not a host name (letters, digits, '-' and '.' only)");
    assert_string_equal(err.text, want);
}

static void test_file_too_big(void **state)
{
    (void)state;
    char dir[] = "/tmp/scn-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/big.json", dir);
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fseek(f, SCN_MAX_FILE_BYTES, SEEK_SET), 0);
    fputc(' ', f);
    fclose(f);
    struct scn_error err;
    assert_null(scn_load_file(path, NULL, &err));
    char want[256];
    snprintf(want, sizeof want, "%s: scenario is 8388609 bytes; the limit is 8388608 (8 MiB)",
             path);
    assert_string_equal(err.text, want);
    unlink(path);
    rmdir(dir);
}

static void test_save(void **state)
{
    (void)state;
    char dir[] = "/tmp/scn-test-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/saved.json", dir);
    struct scn_scenario *s = scn_load_default();
    struct scn_error err;
    assert_true(scn_save(s, path, false, &err));
    size_t len;
    char *first = read_all(path, &len);
    char *json = scn_to_json(s, NULL);
    assert_string_equal(first, json);
    /* Never over an existing file unless asked. */
    s->seed = 99;
    assert_false(scn_save(s, path, false, &err));
    char want[256];
    snprintf(want, sizeof want, "%s: already exists (not overwritten; choose a new name)", path);
    assert_string_equal(err.text, want);
    char *still = read_all(path, NULL);
    assert_string_equal(still, first);
    assert_true(scn_save(s, path, true, &err));
    struct scn_scenario *r = scn_load_file(path, NULL, &err);
    if (!r) fail_msg("%s", err.text);
    assert_int_equal(r->seed, 99);
    /* No temporary file is left behind. */
    char **names;
    size_t n = list_dir(dir, "", &names);
    size_t files = 0;
    for (size_t i = 0; i < n; i++) files += names[i][0] != '.';
    assert_int_equal(files, 1);
    free_list(names, n);
    unlink(path);
    rmdir(dir);
    free(first);
    free(still);
    free(json);
    scn_free(s);
    scn_free(r);
}

static void test_generate(void **state)
{
    (void)state;
    /* 300 seeds: valid, replayable, deterministic. */
    for (uint64_t seed = 0; seed < 300; seed++) {
        struct scn_scenario *a = scn_generate(seed, NULL);
        struct scn_scenario *b = scn_generate(seed, NULL);
        char *ja = scn_to_json(a, NULL), *jb = scn_to_json(b, NULL);
        if (strcmp(ja, jb) != 0)
            fail_msg("seed %llu is not deterministic", (unsigned long long)seed);
        assert_round_trip(a);
        assert_true(a->n_hosts >= 4);
        free(ja);
        free(jb);
        scn_free(a);
        scn_free(b);
    }
    struct scn_scenario *a = scn_generate(1, NULL), *b = scn_generate(2, NULL);
    char *ja = scn_to_json(a, NULL), *jb = scn_to_json(b, NULL);
    assert_string_not_equal(ja, jb);
    free(ja);
    free(jb);
    scn_free(a);
    scn_free(b);
    /* Bodies carry dot lines and long lines somewhere in a few seeds. */
    bool dot = false, longline = false, down = false, eightbit = false;
    for (uint64_t seed = 0; seed < 50; seed++) {
        struct scn_scenario *s = scn_generate(seed, NULL);
        for (size_t i = 0; i < s->n_timeline; i++) {
            const struct scn_action *x = &s->timeline[i];
            if (x->kind == SCN_ACT_HOST_DOWN) down = true;
            if (x->kind != SCN_ACT_SEND) continue;
            const char *body = x->u.send.msg.body;
            for (const char *p = body; *p; p++) eightbit |= (unsigned char)*p >= 0x80;
            if (strncmp(body, ".\n", 2) == 0 || strstr(body, "\n.\n")) dot = true;
            size_t run = 0;
            for (const char *p = body; *p; p++) {
                run = *p == '\n' ? 0 : run + 1;
                if (run > 998) longline = true;
            }
        }
        scn_free(s);
    }
    assert_true(dot && longline && down && eightbit);
    /* Options are honoured. */
    struct scn_gen_opts o = scn_gen_opts_default();
    o.domains = 3;
    o.users = 2;
    o.messages = 7;
    o.faults = false;
    struct scn_scenario *s = scn_generate(5, &o);
    assert_int_equal(s->n_timeline, 7);
    assert_int_equal(s->n_hosts, 2 + 3 + 3 * 2);
    scn_free(s);
}

/* The built-in lesson is lesson 01's file, byte for byte (the build embeds
 * it); the schema test (test_schema.py) validates generated-7.json, so it
 * must stay what the saver writes. */
static void test_files_match_code(void **state)
{
    (void)state;
    size_t len;
    char *text = read_all("scenarios/01-alice-to-bob.json", &len);
    assert_non_null(text);
    assert_int_equal(strlen(scn_default_json()), len);
    assert_memory_equal(text, scn_default_json(), len);
    free(text);
    text = read_all(GOOD_DIR "/generated-7.json", NULL);
    assert_non_null(text);
    struct scn_scenario *s = scn_generate(7, NULL);
    char *json = scn_to_json(s, NULL);
    assert_string_equal(text, json);
    free(json);
    free(text);
    scn_free(s);
}

static void test_insert_and_clone(void **state)
{
    (void)state;
    struct scn_scenario *s = scn_load_default();
    size_t net = scn_find_host(s, "mail.example.net");
    size_t n = s->n_timeline;
    /* A fault at 1m goes after every action already at 1m or earlier. */
    size_t at_1m = 0;
    while (at_1m < n && s->timeline[at_1m].at <= SIM_US_PER_MIN) at_1m++;
    assert_true(at_1m < n); /* later actions exist, so the place is tested */
    assert_int_equal(s->timeline[at_1m - 1].at, SIM_US_PER_MIN);
    struct scn_action down = {.at = SIM_US_PER_MIN, .kind = SCN_ACT_HOST_DOWN, .u.host = net};
    assert_int_equal(scn_timeline_insert(s, &down), at_1m);
    struct scn_action early = {.at = 500 * SIM_US_PER_MS, .kind = SCN_ACT_NARRATE};
    early.u.text = strdup("Half a second in.");
    assert_int_equal(scn_timeline_insert(s, &early), 1);
    assert_int_equal(s->n_timeline, n + 2);
    for (size_t i = 1; i < s->n_timeline; i++)
        assert_true(s->timeline[i - 1].at <= s->timeline[i].at);
    assert_int_equal(s->timeline[at_1m + 1].kind, SCN_ACT_HOST_DOWN);
    assert_round_trip(s);
    struct scn_error err;
    struct scn_scenario *c = scn_clone(s, &err);
    if (!c) fail_msg("%s", err.text);
    char *a = scn_dump(s), *b = scn_dump(c);
    assert_string_equal(a, b);
    free(a);
    free(b);
    scn_free(c);
    scn_free(s);
}

static void test_names(void **state)
{
    (void)state;
    assert_string_equal(scn_host_kind_names[SCN_HOST_MAIL_SERVER], "mail_server");
    assert_string_equal(scn_action_kind_names[SCN_ACT_TCP_TRANSFER], "tcp_transfer");
    assert_string_equal(scn_imap_op_names[SCN_IMAP_STORE_FLAGS], "store_flags");
    assert_true(scn_host_kind_is_device(SCN_HOST_BROWSER));
    assert_false(scn_host_kind_is_device(SCN_HOST_ROUTER));
    scn_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_good_files),
        cmocka_unit_test(test_full_model_fields),
        cmocka_unit_test(test_variants),
        cmocka_unit_test(test_variant_narration),
        cmocka_unit_test(test_default),
        cmocka_unit_test(test_derived_mx),
        cmocka_unit_test(test_buffer_errors),
        cmocka_unit_test(test_quote_cut),
        cmocka_unit_test(test_file_too_big),
        cmocka_unit_test(test_save),
        cmocka_unit_test(test_generate),
        cmocka_unit_test(test_files_match_code),
        cmocka_unit_test(test_insert_and_clone),
        cmocka_unit_test(test_names),
    };
    return cmocka_run_group_tests_name("scenario", tests, NULL, NULL);
}
