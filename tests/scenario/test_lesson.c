/* test_lesson.c -- lessons by number or name: number, prefix, ambiguous,
 * unknown, the order ./scenarios, MAILSIM_PATH, data directories, and the
 * titles --list and the window's lesson picker show. Lesson files are
 * copies of scenarios/01-alice-to-bob.json under made-up names, in fresh
 * temporary directories. */
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

#include "scenario/lesson.h"

static char lesson_json[1 << 16];
static char top[256];   /* the temporary tree */
static char home[1024]; /* the repository: the tests start there */

static void put(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "wb");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

/* top/sub, created, into out. */
static void mkdir_in(const char *sub, char *out, size_t len)
{
    snprintf(out, len, "%s/%s", top, sub);
    assert_int_equal(mkdir(out, 0755), 0);
}

static int setup(void **state)
{
    (void)state;
    assert_non_null(getcwd(home, sizeof home));
    FILE *f = fopen("scenarios/01-alice-to-bob.json", "rb");
    assert_non_null(f);
    size_t n = fread(lesson_json, 1, sizeof lesson_json - 1, f);
    fclose(f);
    lesson_json[n] = '\0';
    snprintf(top, sizeof top, "/tmp/mailsim-lesson-XXXXXX");
    assert_non_null(mkdtemp(top));
    /* Nothing of this machine's own data directories may answer first. */
    char empty[1024];
    mkdir_in("empty", empty, sizeof empty);
    setenv("XDG_DATA_HOME", empty, 1);
    setenv("XDG_DATA_DIRS", empty, 1);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    assert_int_equal(chdir(home), 0);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", top);
    return system(cmd) == 0 ? 0 : -1;
}

/* One directory like the repository's scenarios/. */
static struct scn_lessons *course(void)
{
    static char dir[1024];
    struct stat st;
    snprintf(dir, sizeof dir, "%s/course", top);
    if (stat(dir, &st) != 0) {
        mkdir_in("course", dir, sizeof dir);
        const char *names[] = {"03-server-down-two-hours.json", "04-server-gone-a-week.json",
                               "08-pop3-download-and-delete.json", "09-pop3-download-and-keep.json",
                               "12-webmail.json"};
        for (size_t i = 0; i < MS_ARRAY_LEN(names); i++) put(dir, names[i], lesson_json);
        put(dir, "notes.txt", "not a lesson");
        put(dir, ".hidden.json", lesson_json);
    }
    const char *dirs[] = {dir, "/nonexistent/mailsim"};
    const char *origins[] = {"course", "missing"};
    return scn_lessons_scan(dirs, origins, 2);
}

/* The stem that query finds (FOUND), or "?" and the count of candidates. */
static const char *find(const struct scn_lessons *ls, const char *query, size_t *n)
{
    size_t idx[8], k = 0;
    enum scn_lesson_match m = scn_lessons_match(ls, query, idx, 8, &k);
    if (n) *n = k;
    if (m == SCN_LESSON_FOUND) {
        assert_int_equal(k, 1);
        return ls->v[idx[0]].stem;
    }
    return m == SCN_LESSON_AMBIGUOUS ? "ambiguous" : "unknown";
}

static void test_scan(void **state)
{
    (void)state;
    struct scn_lessons *ls = course();
    assert_int_equal(ls->n_dirs, 1); /* the missing directory is skipped */
    assert_int_equal(ls->n, 5);      /* notes.txt and .hidden.json are not lessons */
    assert_string_equal(ls->v[0].stem, "03-server-down-two-hours");
    assert_string_equal(ls->v[0].number, "03");
    assert_string_equal(ls->v[0].name, "server-down-two-hours");
    assert_string_equal(ls->v[4].stem, "12-webmail");
    assert_string_equal(ls->dirs[0].origin, "course");
    scn_lessons_free(ls);
}

static void test_number(void **state)
{
    (void)state;
    struct scn_lessons *ls = course();
    assert_string_equal(find(ls, "03", NULL), "03-server-down-two-hours");
    assert_string_equal(find(ls, "3", NULL), "03-server-down-two-hours");
    assert_string_equal(find(ls, "003", NULL), "03-server-down-two-hours");
    assert_string_equal(find(ls, "12", NULL), "12-webmail");
    assert_string_equal(find(ls, "12.json", NULL), "12-webmail");
    scn_lessons_free(ls);
}

static void test_name_and_prefix(void **state)
{
    (void)state;
    struct scn_lessons *ls = course();
    assert_string_equal(find(ls, "03-server-down-two-hours.json", NULL),
                        "03-server-down-two-hours");
    assert_string_equal(find(ls, "webmail", NULL), "12-webmail");
    assert_string_equal(find(ls, "WebMail", NULL), "12-webmail");
    assert_string_equal(find(ls, "server-down", NULL), "03-server-down-two-hours");
    assert_string_equal(find(ls, "03-ser", NULL), "03-server-down-two-hours");
    assert_string_equal(find(ls, "server-go", NULL), "04-server-gone-a-week");
    assert_string_equal(find(ls, "keep", NULL), "09-pop3-download-and-keep"); /* a part */
    scn_lessons_free(ls);
}

static void test_ambiguous(void **state)
{
    (void)state;
    struct scn_lessons *ls = course();
    size_t n = 0;
    assert_string_equal(find(ls, "pop3", &n), "ambiguous");
    assert_int_equal(n, 2);
    assert_string_equal(find(ls, "server", &n), "ambiguous");
    assert_int_equal(n, 2);
    assert_string_equal(find(ls, "download", &n), "ambiguous");
    assert_int_equal(n, 2);
    scn_lessons_free(ls);

    /* The message names the candidates. */
    char dir[1024];
    snprintf(dir, sizeof dir, "%s/course", top);
    setenv("MAILSIM_PATH", dir, 1);
    assert_int_equal(chdir(top), 0);
    struct scn_error err;
    char path[SCN_LESSON_PATH_MAX];
    assert_false(scn_lesson_resolve("pop3", path, sizeof path, &err));
    char want[2048];
    snprintf(want, sizeof want,
             "\"pop3\" could be more than one lesson (in %s): 08-pop3-download-and-delete, "
             "09-pop3-download-and-keep; give more of its name, or its number",
             dir);
    assert_string_equal(err.text, want);
    assert_int_equal(chdir(home), 0);
    unsetenv("MAILSIM_PATH");
}

static void test_unknown(void **state)
{
    (void)state;
    struct scn_lessons *ls = course();
    assert_string_equal(find(ls, "99", NULL), "unknown");
    assert_string_equal(find(ls, "nosuch", NULL), "unknown");
    assert_string_equal(find(ls, "", NULL), "unknown");
    assert_string_equal(find(ls, ".json", NULL), "unknown");
    scn_lessons_free(ls);

    char dir[1024];
    snprintf(dir, sizeof dir, "%s/course", top);
    setenv("MAILSIM_PATH", dir, 1);
    assert_int_equal(chdir(top), 0);
    struct scn_error err;
    char path[SCN_LESSON_PATH_MAX];
    assert_false(scn_lesson_resolve("nosuch", path, sizeof path, &err));
    assert_string_equal(err.text,
                        "nosuch: no such file or lesson; the lessons are: "
                        "03-server-down-two-hours, 04-server-gone-a-week, "
                        "08-pop3-download-and-delete, 09-pop3-download-and-keep, 12-webmail "
                        "(mailsim --list describes them)");
    /* A path is a path: no lesson search, the loader says what is wrong. */
    assert_true(scn_lesson_resolve("dir/03", path, sizeof path, &err));
    assert_string_equal(path, "dir/03");
    assert_null(scn_load_lesson("dir/03", NULL, &err));
    assert_string_equal(err.text, "dir/03: cannot open: No such file or directory");
    /* An existing file wins over a lesson of the same name. */
    put(top, "03", lesson_json);
    assert_true(scn_lesson_resolve("03", path, sizeof path, &err));
    assert_string_equal(path, "03");
    assert_int_equal(unlink("03"), 0);
    assert_true(scn_lesson_resolve("03", path, sizeof path, &err));
    char want[1200];
    snprintf(want, sizeof want, "%s/03-server-down-two-hours.json", dir);
    assert_string_equal(path, want);
    struct scn_scenario *s = scn_load_lesson("server-down", NULL, &err);
    assert_non_null(s);
    assert_string_equal(s->source, want);
    scn_free(s);
    assert_int_equal(chdir(home), 0);
    unsetenv("MAILSIM_PATH");
}

/* ./scenarios, then MAILSIM_PATH in its order; a name in an earlier folder
 * hides the same name in a later one. */
static void test_path_order(void **state)
{
    (void)state;
    char a[1024], b[1024], cwd[1024], local[1100], mp[2100];
    mkdir_in("a", a, sizeof a);
    mkdir_in("b", b, sizeof b);
    mkdir_in("cwd", cwd, sizeof cwd);
    put(a, "03-from-a.json", lesson_json);
    put(a, "12-webmail.json", lesson_json);
    put(b, "03-server-down-two-hours.json", lesson_json);
    put(b, "12-webmail.json", lesson_json);
    put(b, "20-only-in-b.json", lesson_json);
    assert_int_equal(chdir(cwd), 0);
    char path[SCN_LESSON_PATH_MAX], want[1400];
    struct scn_error err;

    snprintf(mp, sizeof mp, "%s::%s", a, b); /* an empty entry is skipped */
    setenv("MAILSIM_PATH", mp, 1);
    struct scn_lessons *ls = scn_lessons_find();
    assert_true(ls->n_dirs >= 2);
    assert_string_equal(ls->dirs[0].path, a);
    assert_string_equal(ls->dirs[0].origin, "MAILSIM_PATH");
    assert_string_equal(ls->dirs[1].path, b);
    size_t webmail = 0;
    for (size_t i = 0; i < ls->n; i++) webmail += strcmp(ls->v[i].stem, "12-webmail") == 0;
    assert_int_equal(webmail, 1); /* b's is hidden by a's */
    assert_string_equal(find(ls, "03", NULL), "03-from-a");
    assert_string_equal(find(ls, "20", NULL), "20-only-in-b");
    /* An exact name in a later folder beats a part of a name in an earlier one. */
    assert_string_equal(find(ls, "server-down-two-hours", NULL), "03-server-down-two-hours");
    scn_lessons_free(ls);
    assert_true(scn_lesson_resolve("12", path, sizeof path, &err));
    snprintf(want, sizeof want, "%s/12-webmail.json", a);
    assert_string_equal(path, want);

    snprintf(mp, sizeof mp, "%s:%s", b, a);
    setenv("MAILSIM_PATH", mp, 1);
    assert_true(scn_lesson_resolve("03", path, sizeof path, &err));
    snprintf(want, sizeof want, "%s/03-server-down-two-hours.json", b);
    assert_string_equal(path, want);
    assert_true(scn_lesson_resolve("12", path, sizeof path, &err));
    snprintf(want, sizeof want, "%s/12-webmail.json", b);
    assert_string_equal(path, want);

    /* ./scenarios comes before MAILSIM_PATH. */
    snprintf(local, sizeof local, "%s/scenarios", cwd);
    assert_int_equal(mkdir(local, 0755), 0);
    put(local, "03-here.json", lesson_json);
    assert_true(scn_lesson_resolve("03", path, sizeof path, &err));
    assert_string_equal(path, "./scenarios/03-here.json");
    assert_true(scn_lesson_resolve("20", path, sizeof path, &err));
    snprintf(want, sizeof want, "%s/20-only-in-b.json", b);
    assert_string_equal(path, want);

    /* XDG_DATA_HOME/mailsim/scenarios comes after them. */
    char xdg[1024], xs[1100], xl[1200];
    mkdir_in("xdg", xdg, sizeof xdg);
    snprintf(xs, sizeof xs, "%s/mailsim", xdg);
    assert_int_equal(mkdir(xs, 0755), 0);
    snprintf(xl, sizeof xl, "%s/mailsim/scenarios", xdg);
    assert_int_equal(mkdir(xl, 0755), 0);
    put(xl, "03-xdg.json", lesson_json);
    put(xl, "40-xdg-only.json", lesson_json);
    char old[1024];
    snprintf(old, sizeof old, "%s", getenv("XDG_DATA_HOME"));
    setenv("XDG_DATA_HOME", xdg, 1);
    assert_true(scn_lesson_resolve("03", path, sizeof path, &err));
    assert_string_equal(path, "./scenarios/03-here.json");
    assert_true(scn_lesson_resolve("40", path, sizeof path, &err));
    snprintf(want, sizeof want, "%s/40-xdg-only.json", xl);
    assert_string_equal(path, want);
    setenv("XDG_DATA_HOME", old, 1);
    unsetenv("MAILSIM_PATH");
    assert_int_equal(chdir(home), 0);
}

/* --list and the picker: the title without its number, the first sentence
 * of the description; a broken file says why. */
static void test_describe(void **state)
{
    (void)state;
    char d[1024];
    mkdir_in("describe", d, sizeof d);
    put(d, "01-alice.json", lesson_json);
    put(d, "02-broken.json", "{\n  \"title\": \"half\",\n");
    const char *dirs[] = {d};
    struct scn_lessons *ls = scn_lessons_scan(dirs, NULL, 1);
    assert_int_equal(ls->n, 2);
    scn_lessons_describe(ls);
    assert_false(ls->v[0].bad);
    assert_string_equal(ls->v[0].title, "Alice writes to Bob");
    assert_string_equal(ls->v[0].summary,
                        "The whole journey of one e-mail: Alice's user agent submits it to her "
                        "own mail server, which finds Bob's server in the DNS and relays it "
                        "over SMTP into Bob's mailbox.");
    assert_true(ls->v[1].bad);
    assert_string_equal(ls->v[1].title, "broken");
    char want[1200];
    snprintf(want, sizeof want, "%s/02-broken.json:3:", d);
    assert_true(strncmp(ls->v[1].summary, want, strlen(want)) == 0);
    scn_lessons_free(ls);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scan),
        cmocka_unit_test(test_number),
        cmocka_unit_test(test_name_and_prefix),
        cmocka_unit_test(test_ambiguous),
        cmocka_unit_test(test_unknown),
        cmocka_unit_test(test_path_order),
        cmocka_unit_test(test_describe),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
