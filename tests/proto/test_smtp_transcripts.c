/* test_smtp_transcripts.c -- golden SMTP transcripts (curl/imaptest style).
 *
 * Each .txt file in tests/transcripts/smtp holds "S: " and "C: " lines (the bytes
 * on the wire, CRLF added), "# " comments and "! " directives:
 *   ! server hostname=H ext=SIZE,PIPELINING,8BITMIME,ENHANCEDSTATUSCODES,AUTH
 *   ! users a@b c@d        (RCPT verdicts: these exist, others are unknown)
 *   ! client helo=H
 *   ! modes server client  (which engines the file drives)
 * Server mode: the C lines are fed to the real server engine block by block
 * and each following block of S lines must match its output exactly, then
 * again one byte at a time. Client mode: the envelope and message come from
 * the C lines (MAIL, RCPT, the data block unstuffed), the S lines are fed
 * to the real client engine, and its output must match each C block. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <string.h>

#include "proto/smtp_dot.h"
#include "proto/smtp_syntax.h"
#include "smtp_test_util.h"

#define TDIR "tests/transcripts/smtp"
#define MAXB 64

struct block {
    char who; /* 'S' or 'C' */
    struct tbuf bytes;
};

struct transcript {
    char name[700];
    char hostname[128], helo[128];
    unsigned ext;
    char users[1024];
    int mode_server, mode_client;
    struct block b[MAXB];
    int nb;
};

static void tr_free(struct transcript *t)
{
    for (int i = 0; i < t->nb; i++) tbuf_free(&t->b[i].bytes);
}

static void tr_parse_directive(struct transcript *t, char *line)
{
    char *tok = strtok(line + 1, " \t");
    if (!tok) return;
    if (strcmp(tok, "server") == 0) {
        while ((tok = strtok(NULL, " \t")) != NULL) {
            if (strncmp(tok, "hostname=", 9) == 0)
                snprintf(t->hostname, sizeof t->hostname, "%s", tok + 9);
            if (strncmp(tok, "ext=", 4) == 0) {
                t->ext = 0;
                if (strstr(tok, "SIZE")) t->ext |= SMTP_EXT_SIZE;
                if (strstr(tok, "PIPELINING")) t->ext |= SMTP_EXT_PIPELINING;
                if (strstr(tok, "8BITMIME")) t->ext |= SMTP_EXT_8BITMIME;
                if (strstr(tok, "ENHANCED")) t->ext |= SMTP_EXT_ENHANCEDSTATUSCODES;
                if (strstr(tok, "AUTH")) t->ext |= SMTP_EXT_AUTH;
            }
        }
    } else if (strcmp(tok, "users") == 0) {
        while ((tok = strtok(NULL, " \t")) != NULL) {
            strncat(t->users, " ", sizeof t->users - strlen(t->users) - 1);
            strncat(t->users, tok, sizeof t->users - strlen(t->users) - 1);
        }
        strncat(t->users, " ", sizeof t->users - strlen(t->users) - 1);
    } else if (strcmp(tok, "client") == 0) {
        while ((tok = strtok(NULL, " \t")) != NULL) {
            if (strncmp(tok, "helo=", 5) == 0) snprintf(t->helo, sizeof t->helo, "%s", tok + 5);
        }
    } else if (strcmp(tok, "modes") == 0) {
        while ((tok = strtok(NULL, " \t")) != NULL) {
            if (strcmp(tok, "server") == 0) t->mode_server = 1;
            if (strcmp(tok, "client") == 0) t->mode_client = 1;
        }
    }
}

static void tr_load(const char *path, struct transcript *t)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", path);
    snprintf(t->hostname, sizeof t->hostname, "mx.example.org");
    snprintf(t->helo, sizeof t->helo, "client.example.org");
    t->ext = SMTP_EXT_SIZE | SMTP_EXT_8BITMIME;
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    char line[2048];
    while (fgets(line, sizeof line, f)) {
        size_t n = strlen(line);
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) line[--n] = '\0';
        if (n == 0 || line[0] == '#') continue;
        if (line[0] == '!') {
            tr_parse_directive(t, line);
            continue;
        }
        assert_true((line[0] == 'S' || line[0] == 'C') && line[1] == ':');
        const char *text = line + 2;
        if (*text == ' ') text++;
        if (t->nb == 0 || t->b[t->nb - 1].who != line[0]) {
            assert_true(t->nb < MAXB);
            t->b[t->nb].who = line[0];
            memset(&t->b[t->nb].bytes, 0, sizeof t->b[t->nb].bytes);
            t->nb++;
        }
        tbuf_str(&t->b[t->nb - 1].bytes, text);
        tbuf_str(&t->b[t->nb - 1].bytes, "\r\n");
    }
    fclose(f);
}

static const struct transcript *cur_tr;

static void tr_server_policy(struct smtp_server *s, const struct smtp_event *ev)
{
    if (ev->kind == SMTP_EV_RCPT_ASKED) {
        char key[300];
        snprintf(key, sizeof key, " %.*s ", (int)ev->arg_len, ev->arg);
        smtp_server_verdict(s, strstr(cur_tr->users, key) ? SMTP_V_ACCEPT : SMTP_V_UNKNOWN_USER,
                            NULL);
    } else if (ev->needs_verdict) {
        smtp_server_verdict(s, SMTP_V_ACCEPT, NULL);
    }
}

static void tr_server_collect(struct smtp_server *s, struct tbuf *out)
{
    for (;;) {
        struct smtp_event ev;
        int any = 0;
        while (smtp_server_event(s, &ev)) {
            any = 1;
            tr_server_policy(s, &ev);
        }
        const char *o;
        size_t n = smtp_server_out(s, &o);
        if (n) {
            tbuf_add(out, o, n);
            smtp_server_out_done(s, n);
            any = 1;
        }
        if (!any) break;
    }
}

static void tr_feed_server(struct smtp_server *s, const char *p, size_t len, size_t step,
                           struct tbuf *out)
{
    size_t pos = 0;
    while (pos < len) {
        size_t end = step && pos + step < len ? pos + step : len;
        while (pos < end) {
            size_t n = smtp_server_recv(s, p + pos, end - pos);
            pos += n;
            size_t before = out->len;
            tr_server_collect(s, out);
            if (n == 0 && out->len == before) fail_msg("%s: server stuck", cur_tr->name);
        }
    }
    tr_server_collect(s, out);
}

static void tr_run_server(const struct transcript *t, size_t step)
{
    struct smtp_server_cfg cfg;
    smtp_server_cfg_default(&cfg);
    cfg.hostname = t->hostname;
    cfg.ext = t->ext;
    struct smtp_server *s = smtp_server_new(&cfg);
    struct tbuf out = {0};
    tr_server_collect(s, &out);
    for (int i = 0; i < t->nb; i++) {
        if (t->b[i].who == 'C') {
            tr_feed_server(s, t->b[i].bytes.p, t->b[i].bytes.len, step, &out);
            continue;
        }
        if (out.len != t->b[i].bytes.len || memcmp(out.p, t->b[i].bytes.p, out.len) != 0) {
            fail_msg("%s (server, step %zu) block %d:\n--- want\n%s--- got\n%s", t->name, step, i,
                     t->b[i].bytes.p, out.p ? out.p : "");
        }
        out.len = 0;
    }
    assert_true(smtp_server_closed(s));
    tbuf_free(&out);
    smtp_server_free(s);
}

/* Extract the envelope and messages from the C lines. */
struct tr_txn {
    char from[300];
    char rcpt[8][300];
    const char *rcpts[8];
    size_t nrcpt;
    struct tbuf body;
};

static int tr_extract(const struct transcript *t, struct tr_txn *tx, int max)
{
    int n = -1;
    int in_data = 0;
    for (int i = 0; i < t->nb; i++) {
        if (t->b[i].who == 'S') {
            if (strncmp(t->b[i].bytes.p + t->b[i].bytes.len - 2 - 0, "\r\n", 2) == 0 &&
                strstr(t->b[i].bytes.p, "354 ")) {
                in_data = 1;
            }
            continue;
        }
        const char *p = t->b[i].bytes.p, *end = p + t->b[i].bytes.len;
        while (p < end) {
            const char *eol = strstr(p, "\r\n");
            size_t ll = (size_t)(eol - p);
            if (in_data) {
                if (ll == 1 && p[0] == '.') {
                    in_data = 0;
                } else {
                    const char *q = p;
                    size_t ql = ll;
                    if (ql > 0 && q[0] == '.') { /* §4.5.2: remove the stuffed dot */
                        q++;
                        ql--;
                    }
                    tbuf_add(&tx[n].body, q, ql);
                    tbuf_str(&tx[n].body, "\r\n");
                }
            } else if (ll > 11 && strncmp(p, "MAIL FROM:<", 11) == 0) {
                n++;
                assert_true(n < max);
                memset(&tx[n], 0, sizeof tx[n]);
                const char *gt = memchr(p, '>', ll);
                snprintf(tx[n].from, sizeof tx[n].from, "%.*s", (int)(gt - p - 11), p + 11);
            } else if (ll > 9 && strncmp(p, "RCPT TO:<", 9) == 0) {
                const char *gt = memchr(p, '>', ll);
                size_t k = tx[n].nrcpt++;
                snprintf(tx[n].rcpt[k], sizeof tx[n].rcpt[k], "%.*s", (int)(gt - p - 9), p + 9);
                tx[n].rcpts[k] = tx[n].rcpt[k];
            }
            p = eol + 2;
        }
    }
    return n + 1;
}

static void tr_client_drain(struct smtp_client *c, struct tbuf *out)
{
    for (;;) {
        struct smtp_cevent e;
        int any = 0;
        while (smtp_client_event(c, &e)) any = 1;
        const char *o;
        size_t n = smtp_client_out(c, &o);
        if (n) {
            tbuf_add(out, o, n);
            smtp_client_out_done(c, n);
            any = 1;
        }
        if (!any) break;
    }
}

static void tr_run_client(const struct transcript *t, size_t step)
{
    struct tr_txn tx[8];
    int ntx = tr_extract(t, tx, 8);
    struct smtp_client_cfg cfg;
    smtp_client_cfg_default(&cfg);
    cfg.helo_name = t->helo;
    struct smtp_client *c = smtp_client_new(&cfg);
    for (int i = 0; i < ntx; i++) {
        struct smtp_client_txn ct = {tx[i].from,   tx[i].rcpts,    tx[i].nrcpt,
                                     tx[i].body.p, tx[i].body.len, NULL};
        struct ms_error err;
        if (!smtp_client_add(c, &ct, &err)) fail_msg("%s: %s", t->name, err.msg);
    }
    smtp_client_quit(c);
    struct tbuf out = {0};
    tr_client_drain(c, &out);
    for (int i = 0; i < t->nb; i++) {
        if (t->b[i].who == 'S') {
            const char *p = t->b[i].bytes.p;
            size_t len = t->b[i].bytes.len, pos = 0;
            while (pos < len) {
                size_t end = step && pos + step < len ? pos + step : len;
                while (pos < end) {
                    size_t n = smtp_client_recv(c, p + pos, end - pos);
                    pos += n;
                    size_t before = out.len;
                    tr_client_drain(c, &out);
                    if (n == 0 && out.len == before) {
                        struct smtp_cevent e;
                        if (!smtp_client_event(c, &e)) fail_msg("%s: client stuck", t->name);
                    }
                }
            }
            tr_client_drain(c, &out);
            continue;
        }
        if (out.len != t->b[i].bytes.len || memcmp(out.p, t->b[i].bytes.p, out.len) != 0) {
            fail_msg("%s (client, step %zu) block %d:\n--- want\n%s--- got\n%s", t->name, step, i,
                     t->b[i].bytes.p, out.p ? out.p : "");
        }
        out.len = 0;
    }
    assert_true(smtp_client_done(c));
    tbuf_free(&out);
    for (int i = 0; i < ntx; i++) tbuf_free(&tx[i].body);
    smtp_client_free(c);
}

static void test_transcripts(void **state)
{
    (void)state;
    DIR *d = opendir(TDIR);
    assert_non_null(d);
    struct dirent *e;
    char names[64][256];
    int nn = 0;
    while ((e = readdir(d)) != NULL && nn < 64) {
        size_t l = strlen(e->d_name);
        if (l > 4 && strcmp(e->d_name + l - 4, ".txt") == 0)
            snprintf(names[nn++], 256, "%s", e->d_name);
    }
    closedir(d);
    assert_true(nn >= 6);
    int runs = 0;
    for (int i = 0; i < nn; i++) {
        char path[600];
        snprintf(path, sizeof path, TDIR "/%s", names[i]);
        struct transcript t;
        tr_load(path, &t);
        cur_tr = &t;
        assert_true(t.mode_server || t.mode_client);
        if (t.mode_server) {
            tr_run_server(&t, 0);
            tr_run_server(&t, 1);
            tr_run_server(&t, 7);
            runs++;
        }
        if (t.mode_client) {
            tr_run_client(&t, 0);
            tr_run_client(&t, 1);
            tr_run_client(&t, 5);
            runs++;
        }
        tr_free(&t);
    }
    assert_true(runs >= 8);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_transcripts),
    };
    return cmocka_run_group_tests_name("smtp_transcripts", tests, NULL, NULL);
}
