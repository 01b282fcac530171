/* test_imap_transcripts.c -- replay the files in tests/transcripts/imap/ against the
 * server engine: "C: " lines are sent (CRLF added), "S: " lines are the exact
 * expected output; "fixture NAME" picks the store. Each transcript is also
 * fed in every chunk size from 1 byte up: the output must not change (X1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>

#include "proto/imap_test_util.h"

struct imap_t_script {
    char fixture[32];
    struct imap_t_out in, want;
};

static void imap_t_load(const char *path, struct imap_t_script *sc)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char line[4096];
    memset(sc, 0, sizeof *sc);
    imap_t_add(&sc->in, "", 0);
    imap_t_add(&sc->want, "", 0);
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (strncmp(line, "fixture ", 8) == 0)
            snprintf(sc->fixture, sizeof sc->fixture, "%.31s", line + 8);
        else if (strncmp(line, "C: ", 3) == 0 || strcmp(line, "C:") == 0) {
            imap_t_add(&sc->in, line + (n > 3 ? 3 : n), n > 3 ? n - 3 : 0);
            imap_t_add(&sc->in, "\r\n", 2);
        } else if (strncmp(line, "S: ", 3) == 0 || strcmp(line, "S:") == 0) {
            imap_t_add(&sc->want, line + (n > 3 ? 3 : n), n > 3 ? n - 3 : 0);
            imap_t_add(&sc->want, "\r\n", 2);
        }
    }
    fclose(f);
}

static char *imap_t_run(const struct imap_t_script *sc, size_t chunk)
{
    struct mbox_store *st = mbox_store_new(1);
    if (strcmp(sc->fixture, "rfc3501") == 0)
        imap_t_fixture_rfc3501(st);
    else if (strcmp(sc->fixture, "bob") == 0)
        imap_t_fixture_bob(st);
    char *out = imap_t_session(st, sc->in.p, chunk);
    mbox_store_free(st);
    return out;
}

/* The input cut once, at offset k: two recv calls. */
static char *imap_t_run_split(const struct imap_t_script *sc, size_t k)
{
    struct mbox_store *st = mbox_store_new(1);
    if (strcmp(sc->fixture, "rfc3501") == 0)
        imap_t_fixture_rfc3501(st);
    else if (strcmp(sc->fixture, "bob") == 0)
        imap_t_fixture_bob(st);
    struct imap_server *s = imap_t_server(st);
    struct imap_t_out o = {0};
    imap_t_add(&o, "", 0);
    size_t used = imap_t_feed(s, sc->in.p, k, k ? k : 1, &o);
    assert_int_equal(used, k);
    imap_t_feed(s, sc->in.p + k, sc->in.len - k, sc->in.len - k ? sc->in.len - k : 1, &o);
    imap_server_free(s);
    mbox_store_free(st);
    return o.p;
}

static void test_transcripts(void **state)
{
    (void)state;
    const char *dir = "tests/transcripts/imap";
    DIR *d = opendir(dir);
    assert_non_null(d);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(d))) {
        size_t n = strlen(e->d_name);
        if (n < 5 || strcmp(e->d_name + n - 4, ".txt") != 0) continue;
        char path[512];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct imap_t_script sc;
        imap_t_load(path, &sc);
        char *got = imap_t_run(&sc, sc.in.len);
        if (strcmp(got, sc.want.p) != 0) {
            fprintf(stderr, "transcript %s differs; got:\n%s\n", path, got);
        }
        assert_string_equal(got, sc.want.p);
        free(got);
        for (size_t chunk = 1; chunk < 64; chunk++) {
            got = imap_t_run(&sc, chunk);
            assert_string_equal(got, sc.want.p);
            free(got);
        }
        for (size_t k = 0; k <= sc.in.len; k++) { /* one cut at every offset */
            got = imap_t_run_split(&sc, k);
            assert_string_equal(got, sc.want.p);
            free(got);
        }
        free(sc.in.p);
        free(sc.want.p);
        count++;
    }
    closedir(d);
    assert_true(count >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcripts),
    };
    return cmocka_run_group_tests_name("imap_transcripts", tests, NULL, NULL);
}
