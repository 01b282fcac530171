/* lesson.c -- lessons by number or name (see lesson.h).
 *
 * Directories are read with opendir/readdir; only regular files ending in
 * ".json" count. Sorting by file name keeps "mailsim --list" and the
 * window's lesson picker in lesson order (the files are numbered). */
#include "scenario/lesson.h"

#include <ctype.h>
#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "core/ascii.h"
#include "core/datadir.h"

static bool scn_lesson_is_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int scn_lesson_cmp(const void *a, const void *b)
{
    const struct scn_lesson *x = a, *y = b;
    if (x->dir != y->dir) return x->dir < y->dir ? -1 : 1;
    return strcmp(x->stem, y->stem);
}

/* Add every *.json file of directory d (index di) to ls. */
static void scn_lessons_read_dir(struct scn_lessons *ls, size_t di, size_t *cap)
{
    DIR *dir = opendir(ls->dirs[di].path);
    if (!dir) return;
    size_t first = ls->n;
    struct dirent *e;
    while ((e = readdir(dir)) != NULL) {
        size_t l = strlen(e->d_name);
        if (l <= 5 || strcmp(e->d_name + l - 5, ".json") != 0 || e->d_name[0] == '.') continue;
        if (l - 5 >= sizeof ls->v[0].stem) continue;
        char stem[sizeof ls->v[0].stem];
        memcpy(stem, e->d_name, l - 5);
        stem[l - 5] = '\0';
        char path[SCN_LESSON_PATH_MAX];
        int w = snprintf(path, sizeof path, "%s/%s", ls->dirs[di].path, e->d_name);
        if (w <= 0 || (size_t)w >= sizeof path || !scn_lesson_is_file(path)) continue;
        bool dup = false; /* hidden by an earlier directory */
        for (size_t i = 0; i < first && !dup; i++) dup = strcmp(ls->v[i].stem, stem) == 0;
        if (dup) continue;
        if (ls->n == *cap) {
            *cap = *cap ? *cap * 2 : 32;
            ls->v = ms_xrealloc(ls->v, *cap * sizeof *ls->v);
        }
        struct scn_lesson *L = &ls->v[ls->n++];
        memset(L, 0, sizeof *L);
        memcpy(L->path, path, (size_t)w + 1);
        memcpy(L->stem, stem, l - 4);
        size_t nd = 0;
        while (isdigit((unsigned char)stem[nd]) && nd + 1 < sizeof L->number) nd++;
        memcpy(L->number, stem, nd);
        L->number[nd] = '\0';
        const char *name = L->stem + nd;
        if (nd && (*name == '-' || *name == '_' || *name == ' ')) name++;
        snprintf(L->name, sizeof L->name, "%s", *name ? name : L->stem);
        L->dir = di;
    }
    closedir(dir);
    qsort(ls->v + first, ls->n - first, sizeof *ls->v, scn_lesson_cmp);
}

struct scn_lessons *scn_lessons_scan(const char *const *dirs, const char *const *origins, size_t n)
{
    struct scn_lessons *ls = ms_xcalloc(1, sizeof *ls);
    struct datadir seen[SCN_LESSON_DIRS_MAX];
    size_t n_seen = 0;
    for (size_t i = 0; i < n; i++) {
        size_t before = n_seen;
        n_seen = datadir_add(seen, n_seen, SCN_LESSON_DIRS_MAX, dirs[i], NULL);
        if (n_seen == before) continue; /* missing, not a directory, or seen */
        struct scn_lesson_dir *d = &ls->dirs[ls->n_dirs++];
        snprintf(d->path, sizeof d->path, "%s", dirs[i]);
        d->origin = origins && origins[i] ? origins[i] : "";
    }
    size_t cap = 0;
    for (size_t i = 0; i < ls->n_dirs; i++) scn_lessons_read_dir(ls, i, &cap);
    return ls;
}

struct scn_lessons *scn_lessons_find(void)
{
    char bufs[SCN_LESSON_DIRS_MAX][SCN_LESSON_PATH_MAX]; /* scratch: the scan copies them */
    const char *dirs[SCN_LESSON_DIRS_MAX];
    const char *origins[SCN_LESSON_DIRS_MAX];
    size_t n = 0;
    dirs[n] = "./scenarios";
    origins[n++] = "the current directory";
    const char *mp = getenv("MAILSIM_PATH");
    while (mp && *mp && n < SCN_LESSON_DIRS_MAX) {
        size_t l = strcspn(mp, ":");
        if (l > 0 && l < SCN_LESSON_PATH_MAX) {
            memcpy(bufs[n], mp, l);
            bufs[n][l] = '\0';
            dirs[n] = bufs[n];
            origins[n++] = "MAILSIM_PATH";
        }
        mp += l;
        if (*mp == ':') mp++;
    }
    struct datadir dd[DATADIR_MAX];
    size_t nd = datadir_list(dd, DATADIR_MAX);
    for (size_t i = 0; i < nd && n < SCN_LESSON_DIRS_MAX; i++) {
        int w = snprintf(bufs[n], sizeof bufs[n], "%s/scenarios", dd[i].path);
        if (w <= 0 || (size_t)w >= sizeof bufs[n]) continue;
        dirs[n] = bufs[n];
        origins[n++] = dd[i].origin;
    }
    return scn_lessons_scan(dirs, origins, n);
}

void scn_lessons_free(struct scn_lessons *ls)
{
    if (!ls) return;
    free(ls->v);
    free(ls);
}

/* The first sentence of text (up to ". " or the end), cut to fit out. */
static void scn_lesson_first_sentence(const char *text, char *out, size_t len)
{
    size_t n = 0;
    while (text[n] && !(text[n] == '.' && (text[n + 1] == ' ' || text[n + 1] == '\0'))) n++;
    if (text[n] == '.') n++;
    if (n >= len) { /* cut at a space, in front of "..." */
        n = len - 4;
        while (n > 0 && text[n] != ' ') n--;
        if (n == 0) n = len - 4;
        while (n > 0 && ((unsigned char)text[n] & 0xc0) == 0x80) n--; /* not inside UTF-8 */
        memcpy(out, text, n);
        memcpy(out + n, "...", 4);
        return;
    }
    memcpy(out, text, n);
    out[n] = '\0';
}

void scn_lessons_describe(struct scn_lessons *ls)
{
    for (size_t i = 0; i < ls->n; i++) {
        struct scn_lesson *L = &ls->v[i];
        struct scn_error err;
        memset(&err, 0, sizeof err);
        struct scn_load_opts lo;
        memset(&lo, 0, sizeof lo);
        lo.no_files = true; /* the title is enough: attachments are not read */
        struct scn_scenario *s = scn_load_file(L->path, &lo, &err);
        if (!s) {
            L->bad = true;
            snprintf(L->title, sizeof L->title, "%.150s", L->name);
            scn_lesson_first_sentence(err.text, L->summary, sizeof L->summary);
            continue;
        }
        const char *t = s->title && *s->title ? s->title : L->name;
        size_t nl = strlen(L->number);
        if (nl && strncmp(t, L->number, nl) == 0 && t[nl] == ' ') t += nl + 1;
        scn_lesson_first_sentence(t, L->title, sizeof L->title);
        scn_lesson_first_sentence(s->description ? s->description : "", L->summary,
                                  sizeof L->summary);
        scn_free(s);
    }
}

/* Digits only, compared as numbers ("3" == "03"). */
static bool scn_lesson_same_number(const char *a, const char *b)
{
    if (!*a || !*b) return false;
    for (const char *p = a; *p; p++)
        if (!isdigit((unsigned char)*p)) return false;
    while (*a == '0' && a[1]) a++;
    while (*b == '0' && b[1]) b++;
    return strcmp(a, b) == 0;
}

static bool scn_lesson_prefix(const char *s, const char *q)
{
    return ascii_ncasecmp(s, q, strlen(q)) == 0;
}

static bool scn_lesson_contains(const char *s, const char *q)
{
    size_t ql = strlen(q);
    for (; *s; s++)
        if (ascii_ncasecmp(s, q, ql) == 0) return true;
    return false;
}

/* Does lesson L match q at level lvl (0 best)? */
static bool scn_lesson_level(const struct scn_lesson *L, const char *q, int lvl)
{
    switch (lvl) {
    case 0:
        return ascii_casecmp(L->stem, q) == 0;
    case 1:
        return scn_lesson_same_number(q, L->number);
    case 2:
        return ascii_casecmp(L->name, q) == 0;
    case 3:
        return scn_lesson_prefix(L->stem, q) || scn_lesson_prefix(L->name, q);
    default:
        return scn_lesson_contains(L->name, q);
    }
}

enum scn_lesson_match scn_lessons_match(const struct scn_lessons *ls, const char *query,
                                        size_t *out, size_t max, size_t *n_out)
{
    *n_out = 0;
    char q[256];
    snprintf(q, sizeof q, "%s", query);
    size_t ql = strlen(q);
    if (ql > 5 && strcmp(q + ql - 5, ".json") == 0) q[ql - 5] = '\0';
    if (!q[0]) return SCN_LESSON_UNKNOWN;
    for (int lvl = 0; lvl < 5; lvl++) {
        for (size_t d = 0; d < ls->n_dirs; d++) {
            size_t found = 0;
            for (size_t i = 0; i < ls->n; i++) {
                if (ls->v[i].dir != d || !scn_lesson_level(&ls->v[i], q, lvl)) continue;
                if (found < max) out[found] = i;
                found++;
            }
            if (found) {
                *n_out = found;
                return found == 1 ? SCN_LESSON_FOUND : SCN_LESSON_AMBIGUOUS;
            }
        }
    }
    return SCN_LESSON_UNKNOWN;
}

/* Append s to buf (size len) if it fits, else "..." once; returns false when full. */
static bool scn_lesson_append(char *buf, size_t len, const char *s)
{
    size_t have = strlen(buf), add = strlen(s);
    if (have + add + 5 >= len) {
        if (have + 4 < len) memcpy(buf + have, "...", 4);
        return false;
    }
    memcpy(buf + have, s, add + 1);
    return true;
}

static bool scn_lesson_fail(struct scn_error *err, const char *arg, const char *text)
{
    if (!err) return false;
    memset(err, 0, sizeof *err);
    snprintf(err->file, sizeof err->file, "%s", arg);
    snprintf(err->msg, sizeof err->msg, "%s", text);
    snprintf(err->text, sizeof err->text, "%s", text);
    return false;
}

bool scn_lesson_resolve(const char *arg, char *path, size_t len, struct scn_error *err)
{
    if (strchr(arg, '/') || scn_lesson_is_file(arg)) {
        int w = snprintf(path, len, "%s", arg);
        if (w < 0 || (size_t)w >= len) {
            scn_lesson_fail(err, arg, "the file name is too long");
            return false;
        }
        return true;
    }
    struct scn_lessons *ls = scn_lessons_find();
    size_t idx[64], n = 0;
    enum scn_lesson_match m = scn_lessons_match(ls, arg, idx, MS_ARRAY_LEN(idx), &n);
    char text[sizeof err->text];
    if (m == SCN_LESSON_FOUND) {
        int w = snprintf(path, len, "%s", ls->v[idx[0]].path);
        scn_lessons_free(ls);
        if (w < 0 || (size_t)w >= len) return scn_lesson_fail(err, arg, "the path is too long");
        return true;
    }
    if (m == SCN_LESSON_AMBIGUOUS) {
        snprintf(text, sizeof text, "\"%s\" could be more than one lesson (in %s): ", arg,
                 ls->dirs[ls->v[idx[0]].dir].path);
        for (size_t i = 0; i < n && i < MS_ARRAY_LEN(idx); i++)
            if (!scn_lesson_append(text, sizeof text, i ? ", " : "") ||
                !scn_lesson_append(text, sizeof text, ls->v[idx[i]].stem))
                break;
        scn_lesson_append(text, sizeof text, "; give more of its name, or its number");
    } else if (ls->n == 0) {
        snprintf(text, sizeof text,
                 "%s: no such file, and no lessons were found (searched ./scenarios, "
                 "MAILSIM_PATH and mailsim's data directories)",
                 arg);
    } else {
        snprintf(text, sizeof text, "%s: no such file or lesson; the lessons are: ", arg);
        for (size_t i = 0; i < ls->n; i++)
            if (!scn_lesson_append(text, sizeof text, i ? ", " : "") ||
                !scn_lesson_append(text, sizeof text, ls->v[i].stem))
                break;
        scn_lesson_append(text, sizeof text, " (mailsim --list describes them)");
    }
    scn_lessons_free(ls);
    return scn_lesson_fail(err, arg, text);
}

struct scn_scenario *scn_load_lesson(const char *arg, const struct scn_load_opts *opts,
                                     struct scn_error *err)
{
    char path[SCN_LESSON_PATH_MAX];
    if (!scn_lesson_resolve(arg, path, sizeof path, err)) return NULL;
    return scn_load_file(path, opts, err);
}

int scn_lessons_print(FILE *f, bool names_only)
{
    struct scn_lessons *ls = scn_lessons_find();
    if (!names_only) scn_lessons_describe(ls);
    size_t shown_dir = (size_t)-1;
    for (size_t i = 0; i < ls->n; i++) {
        const struct scn_lesson *L = &ls->v[i];
        if (names_only) {
            fprintf(f, "%s\n", L->stem);
            continue;
        }
        if (L->dir != shown_dir) {
            const struct scn_lesson_dir *d = &ls->dirs[L->dir];
            fprintf(f, "%s%s (%s):\n", shown_dir == (size_t)-1 ? "" : "\n", d->path, d->origin);
            shown_dir = L->dir;
        }
        char line[96]; /* one line of a terminal */
        scn_lesson_first_sentence(L->summary, line, sizeof line);
        fprintf(f, "  %-3s %-28s %s\n      %s%s\n", L->number[0] ? L->number : "-", L->name,
                L->title, L->bad ? "does not load: " : "", line);
    }
    if (!names_only && ls->n == 0)
        fprintf(f, "no lessons found in ./scenarios, MAILSIM_PATH or mailsim's data "
                   "directories\n");
    scn_lessons_free(ls);
    return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
