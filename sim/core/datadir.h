/* datadir.h -- where mailsim's own files are: the lessons, the fonts, the
 * icon. One list of directories, searched in order, for everything that a
 * build tree keeps beside ./mailsim and an installation keeps under
 * PREFIX/share/mailsim:
 *   1. the executable's own folder (a build tree: assets/, scenarios/);
 *   2. ../share/mailsim beside the executable (an installation, wherever
 *      PREFIX was, DESTDIR trees included);
 *   3. MAILSIM_DATADIR, compiled in from PREFIX (the Makefile's);
 *   4. $XDG_DATA_HOME/mailsim (default ~/.local/share/mailsim);
 *   5. each of $XDG_DATA_DIRS with /mailsim (default /usr/local/share:/usr/share).
 * Only directories that exist are listed, each once (the first name of a
 * directory wins over later names of the same directory). */
#ifndef MAILSIM_CORE_DATADIR_H
#define MAILSIM_CORE_DATADIR_H

#include <stdbool.h>
#include <stddef.h>

#define DATADIR_PATH_MAX 1024
#define DATADIR_MAX 24

struct datadir {
    char path[DATADIR_PATH_MAX]; /* "/usr/share/mailsim" */
    const char *origin;          /* "beside the program", "installed", "XDG_DATA_HOME", ... */
};

/* The data directories above, in search order, at most max into out;
 * returns how many were written. Reads the environment and the file system
 * each call. Can't fail (no directory found: 0). */
size_t datadir_list(struct datadir *out, size_t max);

/* The first existing regular file rel ("assets/fonts/DejaVuSans.ttf") under
 * the data directories, into out (len bytes). False when there is none, or
 * when a path would not fit. */
bool datadir_find(const char *rel, char *out, size_t len);

/* Append dir to list (n entries so far, at most max) unless it does not
 * exist, is not a directory, or is already there (same device and inode).
 * Returns the new count. For the lesson search, which puts its own
 * directories in front. Can't fail. */
size_t datadir_add(struct datadir *list, size_t n, size_t max, const char *dir, const char *origin);

#endif
