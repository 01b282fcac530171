/* test_pop3_transcripts.c -- golden POP3 sessions in tests/transcripts/pop3/
 * replayed through the server engine: step by step, then pipelined in one
 * stream cut at every byte position (bad-inputs X1). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_pop3_harness.h"

#define T_DIR "tests/transcripts/pop3"

struct transcript {
    char host[64], ts[128], user[64], pass[64];
    char uids[H_MAX_MSGS][72];
    char *data[H_MAX_MSGS];
    size_t n;
    char *lines[4096]; /* the C:/S: lines, with their prefix */
    size_t n_lines;
    char deleted[512];
    bool has_deleted;
    bool client; /* @client: also run the client engine */
    bool client_apop, client_delete;
    char known_store[512]; /* known uids, NUL-separated */
    const char *known[8];
    size_t n_known;
};

static char *t_read(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    static char buf[1 << 16];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return strdup(buf);
}

static void t_parse(struct transcript *t, char *text)
{
    memset(t, 0, sizeof *t);
    char *save = NULL, *lsave = NULL;
    for (char *line = strtok_r(text, "\n", &lsave); line; line = strtok_r(NULL, "\n", &lsave)) {
        if (line[0] == '#') continue;
        if (strncmp(line, "@host ", 6) == 0)
            snprintf(t->host, sizeof t->host, "%s", line + 6);
        else if (strncmp(line, "@timestamp ", 11) == 0)
            snprintf(t->ts, sizeof t->ts, "%s", line + 11);
        else if (strncmp(line, "@user ", 6) == 0)
            sscanf(line + 6, "%63s %63s", t->user, t->pass);
        else if (strncmp(line, "@client ", 8) == 0) {
            char auth[16], mode[16];
            int used = 0;
            assert_int_equal(sscanf(line + 8, "%15s %15s%n", auth, mode, &used), 2);
            t->client = true;
            t->client_apop = strcmp(auth, "apop") == 0;
            t->client_delete = strcmp(mode, "delete") == 0;
            snprintf(t->known_store, sizeof t->known_store, "%s", line + 8 + used);
            for (char *k = strtok_r(t->known_store, " ", &save); k;
                 k = strtok_r(NULL, " ", &save)) {
                t->known[t->n_known++] = k;
            }
        } else if (strncmp(line, "@message ", 9) == 0) {
            snprintf(t->uids[t->n], sizeof t->uids[0], "%s", line + 9);
            t->data[t->n++] = calloc(1, 1 << 14);
        } else if (line[0] == '|') {
            strcat(t->data[t->n - 1], line + 1);
            strcat(t->data[t->n - 1], "\r\n");
        } else if (strncmp(line, "@deleted", 8) == 0) {
            t->has_deleted = true;
            snprintf(t->deleted, sizeof t->deleted, "%s", line[8] ? line + 9 : "");
        } else if (strncmp(line, "C:", 2) == 0 || strncmp(line, "S:", 2) == 0) {
            t->lines[t->n_lines++] = line;
        } else {
            fail_msg("bad transcript line: %s", line);
        }
    }
}

static const char *t_payload(const char *line)
{
    return line[2] == ' ' ? line + 3 : line + 2;
}

static void t_setup(struct h_server *h, struct transcript *t)
{
    h_server_init(h, t->ts);
    h->user = t->user;
    h->pass = t->pass;
    for (size_t i = 0; i < t->n; i++) h_server_add(h, t->uids[i], t->data[i]);
}

static void t_replay_steps(struct transcript *t, const char *name)
{
    struct h_server h;
    t_setup(&h, t);
    static char exp[1 << 16];
    size_t el = 0;
    h_server_pump(&h);
    for (size_t i = 0; i <= t->n_lines; i++) {
        const char *l = i < t->n_lines ? t->lines[i] : "C:";
        if (l[0] == 'S') {
            el += (size_t)sprintf(exp + el, "%s\r\n", t_payload(l));
            continue;
        }
        exp[el] = '\0';
        if (strcmp(h_out(&h), exp) != 0) {
            fail_msg("%s: before line %zu\nexpected:\n%s\ngot:\n%s", name, i, exp, h_out(&h));
        }
        el = 0;
        h_clear(&h);
        if (i == t->n_lines) break;
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s\r\n", t_payload(l));
        h_server_send(&h, cmd);
    }
    if (t->has_deleted) {
        assert_string_equal(h.deleted, t->deleted);
        assert_int_equal(h.updates, 1);
    }
    h_server_fini(&h);
}

/* All client lines in one stream, cut every step octets: the server's whole
 * output must equal all S: lines, whatever the cut. */
static void t_replay_pipelined(struct transcript *t, const char *name)
{
    static char in[1 << 15], exp[1 << 16];
    size_t il = 0, el = 0;
    for (size_t i = 0; i < t->n_lines; i++) {
        if (t->lines[i][0] == 'C')
            il += (size_t)sprintf(in + il, "%s\r\n", t_payload(t->lines[i]));
        else
            el += (size_t)sprintf(exp + el, "%s\r\n", t_payload(t->lines[i]));
    }
    for (size_t step = 1; step <= il; step++) {
        struct h_server h;
        t_setup(&h, t);
        h.step = step % 7 + 1; /* drain output in odd sizes too */
        h_server_send_step(&h, in, il, step);
        h_server_pump(&h);
        if (strcmp(h_out(&h), exp) != 0) {
            fail_msg("%s: pipelined, step %zu\nexpected:\n%s\ngot:\n%s", name, step, exp,
                     h_out(&h));
        }
        if (t->has_deleted) assert_string_equal(h.deleted, t->deleted);
        h_server_fini(&h);
    }
}

/* Append "P: line" for every CRLF line of p[0..n). */
static size_t t_record(char *dst, size_t dl, char who, const char *p, size_t n)
{
    size_t start = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (p[i] == '\r' && p[i + 1] == '\n') {
            dl += (size_t)sprintf(dst + dl, "%c: %.*s\n", who, (int)(i - start), p + start);
            start = i + 2;
            i++;
        }
    }
    assert_int_equal(start, n); /* each hop carries whole lines here */
    return dl;
}

/* Run the client engine against the server and compare the dialogue. */
static void t_replay_client(struct transcript *t, const char *name)
{
    struct h_server h;
    t_setup(&h, t);
    struct pop3_client_cfg cfg = {.user = t->user,
                                  .pass = t->pass,
                                  .apop = t->client_apop,
                                  .mode = t->client_delete ? POP3_MODE_DELETE : POP3_MODE_KEEP,
                                  .known_uids = t->known,
                                  .n_known = t->n_known};
    struct pop3_client *c = pop3_client_new(&cfg);
    static char got[1 << 16], want[1 << 16];
    size_t gl = 0, wl = 0;
    for (size_t i = 0; i < t->n_lines; i++) wl += (size_t)sprintf(want + wl, "%s\n", t->lines[i]);
    got[0] = '\0';
    for (int round = 0; round < 1000; round++) {
        bool busy = false;
        struct pop3_server_event sev;
        while (pop3_server_event(h.s, &sev)) {
            if (sev.kind == POP3_EV_AUTH) {
                char d[33];
                pop3_apop_digest(sev.timestamp, t->pass, d);
                bool good = strcmp(sev.user, t->user) == 0 &&
                            strcmp(sev.secret, sev.method == POP3_AUTH_APOP ? d : t->pass) == 0;
                if (good)
                    pop3_server_auth_ok(h.s, h.msgs, h.n);
                else
                    pop3_server_auth_fail(h.s, POP3_AUTH_BAD);
            } else if (sev.kind == POP3_EV_UPDATE) {
                for (size_t i = 0; i < sev.n_uids; i++) {
                    size_t l = strlen(h.deleted);
                    snprintf(h.deleted + l, sizeof h.deleted - l, "%s%s", l ? " " : "",
                             sev.uids[i]);
                }
                pop3_server_update_done(h.s, true);
            }
            busy = true;
        }
        const char *p;
        size_t n;
        static char buf[1 << 16];
        size_t bl = 0;
        while ((n = pop3_server_out(h.s, &p)) > 0) {
            memcpy(buf + bl, p, n);
            bl += n;
            pop3_server_out_done(h.s, n);
        }
        if (bl) {
            gl = t_record(got, gl, 'S', buf, bl);
            size_t off = 0;
            while (off < bl) {
                size_t k = pop3_client_recv(c, buf + off, bl - off);
                struct pop3_client_event ev;
                while (pop3_client_event(c, &ev)) {
                    if (ev.kind == POP3_CEV_ERROR) fail_msg("%s: client error %s", name, ev.text);
                }
                off += k;
            }
            busy = true;
        }
        if ((n = pop3_client_out(c, &p)) > 0) {
            gl = t_record(got, gl, 'C', p, n);
            assert_int_equal(pop3_server_recv(h.s, p, n), n);
            pop3_client_out_done(c, n);
            busy = true;
        }
        if (!busy) break;
    }
    if (strcmp(got, want) != 0)
        fail_msg("%s: client dialogue\nexpected:\n%s\ngot:\n%s", name, want, got);
    assert_int_equal(pop3_client_state(c), POP3_C_DONE);
    assert_string_equal(h.deleted, t->deleted);
    pop3_client_free(c);
    h_server_fini(&h);
}

static void test_transcripts(void **state)
{
    (void)state;
    struct dirent **names;
    int n = scandir(T_DIR, &names, NULL, alphasort);
    assert_true(n > 0);
    int done = 0, clients = 0;
    for (int i = 0; i < n; i++) {
        if (strstr(names[i]->d_name, ".txt")) {
            char path[512];
            snprintf(path, sizeof path, "%s/%s", T_DIR, names[i]->d_name);
            char *text = t_read(path);
            struct transcript t;
            t_parse(&t, text);
            assert_true(t.n_lines > 0);
            t_replay_steps(&t, names[i]->d_name);
            t_replay_pipelined(&t, names[i]->d_name);
            if (t.client) {
                t_replay_client(&t, names[i]->d_name);
                clients++;
            }
            for (size_t k = 0; k < t.n; k++) free(t.data[k]);
            free(text);
            done++;
        }
        free(names[i]);
    }
    free(names);
    assert_true(done >= 5);
    assert_true(clients >= 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcripts),
    };
    return cmocka_run_group_tests_name("pop3 transcripts", tests, NULL, NULL);
}
