/* test_narration.c -- narration cannot lie about the wire.
 *
 * Every shipped lesson (every .json file in scenarios/), and every variant of it with the
 * variant's own seed, runs to its end. From each narration record the test
 * pulls out what the words claim happened on the wire, and asserts that a
 * protocol line near that narration carries it. "Near" means between the
 * narration before it and the narration after it: a narration may announce
 * what comes next or sum up what just happened, but not quote a dialogue
 * from another part of the lesson. The claims (docs/teaching.md, "Writing
 * narration", lists the same rules for lesson authors):
 *   - a reply code: a number 200..599 standing alone ("250", "550 5.1.1"),
 *     unless the word before it is "port" -> a server line starting with it;
 *   - an enhanced status code ("5.1.1") -> some line holding it;
 *   - a fragment in single or double quotes ('250 OK', "Ok: queued") ->
 *     some line holding it exactly;
 *   - a command or response keyword of SMTP, POP3, IMAP or HTTP (HELO,
 *     RETR, SELECT, GET, +OK, -ERR, NO, BAD ...) -> some line holding it
 *     as a word, and with its argument when one follows ("RETR 1",
 *     "GET /inbox");
 *   - an IMAP-style tag (a letter and digits: "a1") -> some line holding it
 *     as a word, case-sensitively;
 *   - a MIME type ("multipart/report") and a hyphenated header field name
 *     ("Return-Path", "Message-ID") -> some line holding it (types compared
 *     without case).
 * A failure names the lesson, variant, narration time, the claim and the
 * narration text. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <ctype.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/world.h"
#include "scenario/scenario.h"
#include "trace/trace.h"

/* Keywords that name a command or a response on the wire. */
static const char *const nar_keywords[] = {
    "HELO",       "EHLO",  "MAIL",  "RCPT",     "DATA",       "QUIT",     "RSET",
    "NOOP",       "VRFY",  "AUTH",  "STARTTLS", "PIPELINING", "8BITMIME", "ENHANCEDSTATUSCODES",
    "USER",       "PASS",  "APOP",  "STAT",     "LIST",       "RETR",     "DELE",
    "UIDL",       "TOP",   "LOGIN", "SELECT",   "EXAMINE",    "CREATE",   "RENAME",
    "SEARCH",     "FETCH", "STORE", "MOVE",     "COPY",       "EXPUNGE",  "LOGOUT",
    "CAPABILITY", "NO",    "BAD",   "OK",       "GET",        "POST",     "+OK",
    "-ERR",
};

/* One protocol line of the trace: its record index and text without CRLF. */
struct nar_line {
    size_t rec;
    char side;
    char *text;
};

struct nar_run {
    const char *lesson, *variant;
    struct nar_line *lines;
    size_t n_lines;
    size_t failures;
    char report[16384];
    size_t report_len;
    size_t claims; /* claims checked in all */
};

static bool nar_is_word(char c)
{
    return isalnum((unsigned char)c) || c == '_';
}

/* needle occurs in hay as a whole word (no word character on either side). */
static bool nar_has_word(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
        bool left = p == hay || !nar_is_word(p[-1]);
        bool right = !nar_is_word(p[nl]);
        if (left && right) return true;
    }
    return false;
}

static bool nar_has_ci(const char *hay, const char *needle)
{
    size_t nl = strlen(needle);
    for (const char *p = hay; *p; p++)
        if (strncasecmp(p, needle, nl) == 0) return true;
    return false;
}

enum nar_how { NAR_CODE, NAR_SUBSTR, NAR_WORD, NAR_CI };

/* Is the claim carried by a line with record index in (lo, hi)? */
static bool nar_found(const struct nar_run *r, size_t lo, size_t hi, enum nar_how how,
                      const char *needle)
{
    for (size_t i = 0; i < r->n_lines; i++) {
        const struct nar_line *l = &r->lines[i];
        if (l->rec <= lo || l->rec >= hi) continue;
        switch (how) {
        case NAR_CODE:
            if (l->side == 'S' && strncmp(l->text, needle, 3) == 0 &&
                (l->text[3] == ' ' || l->text[3] == '-' || l->text[3] == '\0'))
                return true;
            break;
        case NAR_SUBSTR:
            if (strstr(l->text, needle)) return true;
            break;
        case NAR_WORD:
            if (nar_has_word(l->text, needle)) return true;
            break;
        case NAR_CI:
            if (nar_has_ci(l->text, needle)) return true;
            break;
        }
    }
    return false;
}

static void nar_claim(struct nar_run *r, size_t lo, size_t hi, const char *at, const char *text,
                      enum nar_how how, const char *needle, size_t nl)
{
    char buf[512];
    if (nl >= sizeof buf) nl = sizeof buf - 1;
    memcpy(buf, needle, nl);
    buf[nl] = '\0';
    r->claims++;
    if (nar_found(r, lo, hi, how, buf)) return;
    r->failures++;
    if (strcmp(r->lesson, "made-up") != 0)
        printf("NOT ON THE WIRE: %s%s%s at %s: \"%s\" in: %s\n", r->lesson,
               r->variant ? " variant " : "", r->variant ? r->variant : "", at, buf, text);
    if (r->report_len < sizeof r->report - 1) {
        int n = snprintf(r->report + r->report_len, sizeof r->report - r->report_len,
                         "%s%s%s at %s: \"%s\" is not on the wire near this narration: %.160s...\n",
                         r->lesson, r->variant ? " variant " : "", r->variant ? r->variant : "", at,
                         buf, text);
        if (n > 0) r->report_len += (size_t)n;
        if (r->report_len >= sizeof r->report) r->report_len = sizeof r->report - 1;
    }
}

static bool nar_word_at(const char *text, size_t i, const char *w)
{
    size_t wl = strlen(w);
    if (strncmp(text + i, w, wl) != 0) return false;
    bool left = i == 0 || (!nar_is_word(text[i - 1]) && text[i - 1] != '+' && text[i - 1] != '-');
    return left && !nar_is_word(text[i + wl]);
}

/* The word before text[i] (skipping spaces) equals w, without case. */
static bool nar_prev_word_is(const char *text, size_t i, const char *w)
{
    size_t e = i;
    while (e > 0 && text[e - 1] == ' ') e--;
    size_t b = e;
    while (b > 0 && isalpha((unsigned char)text[b - 1])) b--;
    return e - b == strlen(w) && strncasecmp(text + b, w, e - b) == 0;
}

/* Pull every claim out of one narration and check it in (lo, hi). */
static void nar_check_text(struct nar_run *r, size_t lo, size_t hi, const char *at, const char *t)
{
    size_t n = strlen(t);
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        bool bow = i == 0 || !nar_is_word(t[i - 1]);
        /* quoted fragments */
        if ((c == '"' || c == '\'') && (i == 0 || !isalnum((unsigned char)t[i - 1]))) {
            const char *end = NULL;
            for (size_t j = i + 1; j < n; j++)
                if (t[j] == c && (j + 1 == n || !isalnum((unsigned char)t[j + 1]))) {
                    end = t + j;
                    break;
                }
            if (end && end > t + i + 1) {
                nar_claim(r, lo, hi, at, t, NAR_SUBSTR, t + i + 1, (size_t)(end - (t + i + 1)));
                i = (size_t)(end - t);
                continue;
            }
        }
        if (!bow) continue;
        /* a dotted number: an enhanced status code d.d{1,3}.d{1,3}, or a
         * section number (after "section" or the section sign, or with more
         * or fewer than three parts), which claims nothing */
        if (isdigit((unsigned char)c) && t[i + 1] == '.' && isdigit((unsigned char)t[i + 2])) {
            size_t j = i, parts = 0;
            while (isdigit((unsigned char)t[j])) {
                while (isdigit((unsigned char)t[j])) j++;
                parts++;
                if (t[j] == '.' && isdigit((unsigned char)t[j + 1])) j++;
            }
            bool section =
                nar_prev_word_is(t, i, "section") || nar_prev_word_is(t, i, "sections") ||
                (i >= 2 && (unsigned char)t[i - 2] == 0xC2 && (unsigned char)t[i - 1] == 0xA7);
            if (parts == 3 && (c == '2' || c == '4' || c == '5') && !section && !nar_is_word(t[j]))
                nar_claim(r, lo, hi, at, t, NAR_SUBSTR, t + i, j - i);
            i = j - 1;
            continue;
        }
        if (0) {
            size_t j = i + 2;
            while (isdigit((unsigned char)t[j])) j++;
            if (t[j] == '.' && isdigit((unsigned char)t[j + 1])) {
                j++;
                while (isdigit((unsigned char)t[j])) j++;
                bool section =
                    nar_prev_word_is(t, i, "section") || nar_prev_word_is(t, i, "sections") ||
                    (i >= 2 && (unsigned char)t[i - 2] == 0xC2 && (unsigned char)t[i - 1] == 0xA7);
                if (!nar_is_word(t[j]) && !(t[j] == '.' && isdigit((unsigned char)t[j + 1])) &&
                    !section) {
                    nar_claim(r, lo, hi, at, t, NAR_SUBSTR, t + i, j - i);
                    i = j;
                    continue;
                }
            }
        }
        /* reply codes: three digits 200..599 standing alone, not after "port" */
        if (c >= '2' && c <= '5' && isdigit((unsigned char)t[i + 1]) &&
            isdigit((unsigned char)t[i + 2]) && !nar_is_word(t[i + 3]) && t[i + 3] != '.' &&
            (i == 0 || (t[i - 1] != ',' && t[i - 1] != '.')) && !nar_prev_word_is(t, i, "port") &&
            !nar_prev_word_is(t, i, "ports")) {
            nar_claim(r, lo, hi, at, t, NAR_CODE, t + i, 3);
            i += 2;
            continue;
        }
        /* tags: one letter and one to three digits */
        if (isalpha((unsigned char)c) && isdigit((unsigned char)t[i + 1])) {
            size_t j = i + 1;
            while (isdigit((unsigned char)t[j])) j++;
            if (j - i <= 4 && !nar_is_word(t[j]) && t[j] != '.' && t[j] != '-') {
                nar_claim(r, lo, hi, at, t, NAR_WORD, t + i, j - i);
                i = j;
                continue;
            }
        }
        /* keywords, with a numeric or path argument when one follows */
        for (size_t k = 0; k < sizeof nar_keywords / sizeof nar_keywords[0]; k++) {
            const char *w = nar_keywords[k];
            size_t start = i;
            if ((w[0] == '+' || w[0] == '-') && c != w[0]) continue;
            if (!nar_word_at(t, start, w)) continue;
            size_t wl = strlen(w), j = start + wl;
            if (t[j] == ' ' && (isdigit((unsigned char)t[j + 1]) || t[j + 1] == '/')) {
                j += 2;
                while (t[j] && t[j] != ' ' && t[j] != ',' && t[j] != ')' && t[j] != ';' &&
                       !(t[j] == '.' && (t[j + 1] == ' ' || t[j + 1] == '\0')) &&
                       !(t[j] == ':' && t[j + 1] == ' '))
                    j++;
                nar_claim(r, lo, hi, at, t, NAR_SUBSTR, t + start, j - start);
            } else {
                nar_claim(r, lo, hi, at, t, w[0] == '+' || w[0] == '-' ? NAR_SUBSTR : NAR_WORD, w,
                          wl);
            }
            i = j - 1;
            break;
        }
        if (!isalpha((unsigned char)t[i])) continue;
        /* MIME types: word/word with a known top-level type */
        static const char *const tops[] = {"text/", "image/", "multipart/", "message/",
                                           "application/"};
        for (size_t k = 0; k < sizeof tops / sizeof tops[0]; k++) {
            size_t tl = strlen(tops[k]);
            if (strncasecmp(t + i, tops[k], tl) != 0 || !isalpha((unsigned char)t[i + tl]))
                continue;
            size_t j = i + tl;
            while (isalnum((unsigned char)t[j]) || t[j] == '-' || t[j] == '+' ||
                   (t[j] == '.' && isalnum((unsigned char)t[j + 1])))
                j++;
            nar_claim(r, lo, hi, at, t, NAR_CI, t + i, j - i);
            i = j;
            break;
        }
        /* hyphenated header field names: Return-Path, Content-ID, Message-ID */
        if (isupper((unsigned char)t[i])) {
            size_t j = i, parts = 0;
            while (isupper((unsigned char)t[j])) {
                size_t b = j;
                while (isalpha((unsigned char)t[j])) j++;
                if (j == b) break;
                parts++;
                if (t[j] == '-' && isupper((unsigned char)t[j + 1])) {
                    j++;
                    continue;
                }
                break;
            }
            if (parts >= 2 && !nar_is_word(t[j])) {
                nar_claim(r, lo, hi, at, t, NAR_SUBSTR, t + i, j - i);
                i = j;
            }
        }
    }
}

static void nar_free_lines(struct nar_run *r)
{
    for (size_t i = 0; i < r->n_lines; i++) free(r->lines[i].text);
    free(r->lines);
    r->lines = NULL;
    r->n_lines = 0;
}

/* Run s and check every narration in its trace. */
static void nar_check_run(struct nar_run *r, const struct scn_scenario *s)
{
    struct ms_error err;
    struct trace *tr = world_simulate(s, false, &err);
    if (!tr) fail_msg("%s: %s", r->lesson, err.msg);
    size_t n = trace_count(tr);
    r->lines = calloc(n ? n : 1, sizeof *r->lines);
    size_t *narr = calloc(n + 2, sizeof *narr), nn = 0;
    assert_non_null(r->lines);
    assert_non_null(narr);
    for (size_t k = 0; k < n; k++) {
        const struct trace_rec *rec = trace_get(tr, k);
        if (rec->kind == TR_NARRATION) narr[nn++] = k;
        if (rec->kind != TR_LINE_SENT) continue;
        size_t len;
        const uint8_t *d = trace_data(rec, &len);
        while (len > 0 && (d[len - 1] == '\n' || d[len - 1] == '\r')) len--;
        struct nar_line *l = &r->lines[r->n_lines++];
        l->rec = k;
        l->side = (char)trace_as_line(rec)->side;
        l->text = malloc(len + 1);
        assert_non_null(l->text);
        memcpy(l->text, d, len);
        l->text[len] = '\0';
    }
    for (size_t i = 0; i < nn; i++) {
        const struct trace_rec *rec = trace_get(tr, narr[i]);
        size_t len;
        const uint8_t *d = trace_data(rec, &len);
        char *text = malloc(len + 1);
        assert_non_null(text);
        memcpy(text, d, len);
        text[len] = '\0';
        char at[40];
        trace_format_time(rec->t, at, sizeof at);
        size_t lo = i > 0 ? narr[i - 1] : 0, hi = i + 1 < nn ? narr[i + 1] : n;
        if (i == 0) lo = 0;
        nar_check_text(r, i > 0 ? lo : (size_t)0, hi, at, text);
        free(text);
    }
    free(narr);
    nar_free_lines(r);
    trace_free(tr);
}

/* Every lesson and every variant: no narration claims what its wire lacks. */
static void test_lessons_narrate_their_wire(void **state)
{
    (void)state;
    glob_t g;
    assert_int_equal(glob("scenarios/*.json", 0, NULL, &g), 0);
    assert_true(g.gl_pathc >= 15);
    size_t failures = 0, claims = 0, runs = 0;
    static struct nar_run r;
    char all[32768];
    size_t all_len = 0;
    all[0] = '\0';
    for (size_t f = 0; f < g.gl_pathc; f++) {
        struct scn_error err;
        struct scn_scenario *s = scn_load_file(g.gl_pathv[f], NULL, &err);
        if (!s) fail_msg("%s", err.text);
        for (size_t v = 0; v <= s->n_variants; v++) {
            struct scn_scenario *sv = s;
            memset(&r, 0, sizeof r);
            r.lesson = g.gl_pathv[f];
            if (v > 0) {
                r.variant = s->variants[v - 1].name;
                sv = scn_apply_variant(s, r.variant, &err);
                if (!sv) fail_msg("%s", err.text);
            }
            nar_check_run(&r, sv);
            runs++;
            claims += r.claims;
            failures += r.failures;
            if (r.failures && all_len < sizeof all - 1) {
                int k = snprintf(all + all_len, sizeof all - all_len, "%s", r.report);
                if (k > 0) all_len += (size_t)k;
                if (all_len >= sizeof all) all_len = sizeof all - 1;
            }
            if (v > 0) scn_free(sv);
        }
        scn_free(s);
    }
    globfree(&g);
    printf("narration: %zu runs, %zu claims checked, %zu not on the wire\n", runs, claims,
           failures);
    if (failures) fail_msg("%zu narration claims are not on the wire (listed above)", failures);
    /* The checker has teeth: it found claims to check. */
    assert_true(claims > 100);
}

/* The extractor itself: a made-up wire and narrations that lie about it. */
static void test_extractor_catches_lies(void **state)
{
    (void)state;
    static char l0[] = "220 mx.example ESMTP", l1[] = "HELO crepes.fr",
                l2[] = "250 2.0.0 Ok: queued", l3[] = "a1 LOGIN \"bob\" \"pw\"", l4[] = "RETR 1",
                l5[] = "Content-Type: multipart/mixed";
    struct nar_line lines[] = {{1, 'S', l0}, {2, 'C', l1}, {3, 'S', l2},
                               {4, 'C', l3}, {5, 'C', l4}, {6, 'S', l5}};
    static const struct {
        const char *text;
        size_t failures;
    } cases[] = {
        {"The server took responsibility with '250 OK'.", 1},
        {"The server answered 250 2.0.0: queued.", 0},
        {"mail.example.net answered 550 5.1.1 User unknown.", 2},
        {"Every command carries a tag (A1, A2, ...).", 2},
        {"Every command carries a tag (a1).", 0},
        {"RETR 1 downloads it; RETR 2 the next.", 1},
        {"The client says HELO, not EHLO.", 1},
        {"Over port 587, then port 25.", 0},
        {"A multipart/mixed message, not a multipart/report.", 1},
        {"The POP3 server said +OK and -ERR.", 2},
        {"The server answers \"Ok: queued\".", 0},
        {"Bob's user agent and Alice's server: no quotes here.", 0},
        {"It carries a Message-ID and a Return-Path.", 2},
        {"2,400 bytes in 76-character lines, RFC 5321 section 4.5.2.", 0},
        {"RFC 5321 \xC2\xA7"
         "4.5.4.1 and \xC2\xA7"
         "6.1 say so.",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        static struct nar_run r;
        memset(&r, 0, sizeof r);
        r.lesson = "made-up";
        r.lines = lines;
        r.n_lines = sizeof lines / sizeof lines[0];
        nar_check_text(&r, 0, 100, "0s", cases[i].text);
        if (r.failures != cases[i].failures)
            fail_msg("\"%s\": %zu failures, want %zu:\n%s", cases[i].text, r.failures,
                     cases[i].failures, r.report);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extractor_catches_lies),
        cmocka_unit_test(test_lessons_narrate_their_wire),
    };
    return cmocka_run_group_tests_name("narration", tests, NULL, NULL);
}
