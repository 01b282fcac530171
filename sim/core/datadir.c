/* datadir.c -- mailsim's data directories (see datadir.h).
 *
 * The executable's folder is read from /proc/self/exe (Linux): an installed
 * tree found that way works from any PREFIX or DESTDIR without rebuilding,
 * which is what the install test and the Debian package rely on. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "core/datadir.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef MAILSIM_DATADIR
#define MAILSIM_DATADIR "/usr/local/share/mailsim"
#endif

size_t datadir_add(struct datadir *list, size_t n, size_t max, const char *dir, const char *origin)
{
    struct stat st;
    if (n >= max || !dir || !*dir || strlen(dir) >= DATADIR_PATH_MAX) return n;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) return n;
    for (size_t i = 0; i < n; i++) {
        struct stat o;
        if (stat(list[i].path, &o) == 0 && o.st_dev == st.st_dev && o.st_ino == st.st_ino) return n;
    }
    snprintf(list[n].path, sizeof list[n].path, "%s", dir);
    list[n].origin = origin;
    return n + 1;
}

/* dir + "/" + rel into a scratch buffer and add it. */
static size_t datadir_add2(struct datadir *list, size_t n, size_t max, const char *dir,
                           const char *rel, const char *origin)
{
    char p[DATADIR_PATH_MAX];
    int w = snprintf(p, sizeof p, "%s/%s", dir, rel);
    if (w <= 0 || (size_t)w >= sizeof p) return n;
    return datadir_add(list, n, max, p, origin);
}

size_t datadir_list(struct datadir *out, size_t max)
{
    size_t n = 0;
    char exe[DATADIR_PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            n = datadir_add(out, n, max, exe, "beside the program");
            char up[DATADIR_PATH_MAX + 20], real[PATH_MAX];
            snprintf(up, sizeof up, "%s/../share/mailsim", exe);
            if (realpath(up, real)) n = datadir_add(out, n, max, real, "installed");
        }
    }
    n = datadir_add(out, n, max, MAILSIM_DATADIR, "installed");
    const char *home = getenv("XDG_DATA_HOME");
    if (home && *home) {
        n = datadir_add2(out, n, max, home, "mailsim", "XDG_DATA_HOME");
    } else if ((home = getenv("HOME")) && *home) {
        n = datadir_add2(out, n, max, home, ".local/share/mailsim", "XDG_DATA_HOME");
    }
    const char *dirs = getenv("XDG_DATA_DIRS");
    if (!dirs || !*dirs) dirs = "/usr/local/share:/usr/share";
    while (*dirs) {
        size_t l = strcspn(dirs, ":");
        char d[DATADIR_PATH_MAX];
        if (l > 0 && l < sizeof d) {
            memcpy(d, dirs, l);
            d[l] = '\0';
            n = datadir_add2(out, n, max, d, "mailsim", "XDG_DATA_DIRS");
        }
        dirs += l;
        if (*dirs == ':') dirs++;
    }
    return n;
}

bool datadir_find(const char *rel, char *out, size_t len)
{
    struct datadir d[DATADIR_MAX];
    size_t n = datadir_list(d, DATADIR_MAX);
    for (size_t i = 0; i < n; i++) {
        struct stat st;
        int w = snprintf(out, len, "%s/%s", d[i].path, rel);
        if (w > 0 && (size_t)w < len && stat(out, &st) == 0 && S_ISREG(st.st_mode)) return true;
    }
    if (len) out[0] = '\0';
    return false;
}
