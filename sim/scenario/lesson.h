/* lesson.h -- lessons by number or name: "mailsim 03", "mailsim server-down".
 *
 * A lesson is a scenario file NN-some-name.json. Lessons are searched in
 * ./scenarios, then in each directory of MAILSIM_PATH (colon-separated, in
 * order), then in scenarios/ of mailsim's data directories (core/datadir.h:
 * beside the program, the installed tree, the XDG data directories). A file
 * name found in an earlier directory hides the same name in later ones.
 *
 * A name matches, best first: the whole file name ("03-server-down-two-hours",
 * ".json" optional); the number ("03" or "3"); the name after the number
 * ("server-down-two-hours"); the start of either ("03-ser", "server-down");
 * a part of the name ("attachment"). At each of these levels the earliest
 * directory with a match decides; two matches there are ambiguous. */
#ifndef MAILSIM_SCENARIO_LESSON_H
#define MAILSIM_SCENARIO_LESSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "scenario/scenario.h"

#define SCN_LESSON_PATH_MAX 1024
#define SCN_LESSON_DIRS_MAX 32

struct scn_lesson {
    char path[SCN_LESSON_PATH_MAX]; /* dir + "/" + file name */
    char stem[256];                 /* the file name without ".json" */
    char number[16];                /* its leading digits ("03"), "" when none */
    char name[256];                 /* stem after "NN-" ("server-down-two-hours") */
    size_t dir;                     /* index into scn_lessons.dirs */
    /* Filled by scn_lessons_describe: */
    char title[160];   /* the scenario's title, its leading number dropped */
    char summary[200]; /* the first sentence of its description, cut to fit */
    bool bad;          /* the file does not load; summary holds the error */
};

struct scn_lesson_dir {
    char path[SCN_LESSON_PATH_MAX];
    const char *origin; /* "./scenarios", "MAILSIM_PATH", "installed", ... (static) */
};

struct scn_lessons {
    struct scn_lesson_dir dirs[SCN_LESSON_DIRS_MAX];
    size_t n_dirs;
    struct scn_lesson *v; /* by directory, then by file name */
    size_t n;
};

/* The lessons in the given directories (n of them; origins[i] static, may be
 * NULL), in that order. Directories that do not exist are skipped. Free
 * with scn_lessons_free. Aborts only when memory is exhausted. */
struct scn_lessons *scn_lessons_scan(const char *const *dirs, const char *const *origins, size_t n);
/* The lessons in the directories described at the top of this file. */
struct scn_lessons *scn_lessons_find(void);
/* Free ls. NULL is a no-op. */
void scn_lessons_free(struct scn_lessons *ls);
/* Load every lesson (without its attachments) for its title and summary.
 * A file that does not load is marked bad, with the loader's message. */
void scn_lessons_describe(struct scn_lessons *ls);

enum scn_lesson_match { SCN_LESSON_FOUND, SCN_LESSON_AMBIGUOUS, SCN_LESSON_UNKNOWN };
/* Match query against ls as described at the top. FOUND: out[0] is the
 * lesson's index; AMBIGUOUS: out holds the candidates (*n_out of them, at
 * most max written); UNKNOWN: *n_out is 0. */
enum scn_lesson_match scn_lessons_match(const struct scn_lessons *ls, const char *query,
                                        size_t *out, size_t max, size_t *n_out);

/* What to load for a command-line argument: arg itself when it names an
 * existing file or holds a '/', else the lesson it names (searched with
 * scn_lessons_find). Writes the path to path (len bytes). False with *err
 * filled when the name is unknown (err->text lists the lessons) or ambiguous
 * (it lists the candidates). */
bool scn_lesson_resolve(const char *arg, char *path, size_t len, struct scn_error *err);
/* scn_lesson_resolve, then scn_load_file. As scn_load_file. */
struct scn_scenario *scn_load_lesson(const char *arg, const struct scn_load_opts *opts,
                                     struct scn_error *err);

/* mailsim --list: every lesson with its number, name, title and summary,
 * grouped under the directory it came from. names_only: one name per line
 * ("03-server-down-two-hours"), for shell completion. Returns 0, or -1 when
 * writing to f failed. */
int scn_lessons_print(FILE *f, bool names_only);

#endif
