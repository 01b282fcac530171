/* ui_export.c -- frames out of the renderer: PNG files written with libpng,
 * and videos (.mp4, .webm, .gif) made by the ffmpeg program fed raw frames
 * on a pipe. Each frame is copied and handed to a second thread that
 * compresses or pipes it while the next frame is drawn.
 *
 * PNG: libpng directly, because SDL2_image's IMG_SavePNG has no compression
 * level and spends about 90% of an export in zlib at its default level. A
 * frame is written as 8-bit RGBA, the surface's own channels, so a file
 * holds exactly what was drawn (alpha included, as IMG_SavePNG wrote it).
 * Rows are not filtered: on lesson frames (large flat areas, which zlib's
 * matches already catch) every filter made files larger and slower at every
 * level tried. Level 1 is the default (a 1080p frame in about 20 ms of CPU
 * against 84 for IMG_SavePNG, files a fifth larger); level 9 gives the
 * smallest files (about 40% smaller than level 1, 6x slower; bench_ui).
 *
 * Video: the ffmpeg program (Debian's ffmpeg package), not its libraries:
 * one pipe of BGRA frames at a constant rate, and the container and codec
 * follow from the file name.
 *
 * In a web page (Emscripten) there is no libpng, no ffmpeg and no second
 * process: every function refuses with a message (docs/web.md). */
#include "ui/ui_int.h"

#ifndef __EMSCRIPTEN__
#include <errno.h>
#include <png.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- PNG ------------------------------------------------------------------- */

struct ui_png_io {
    FILE *f;
    char why[200]; /* libpng's error text */
};

static void ui_png_error(png_structp png, png_const_charp msg)
{
    struct ui_png_io *io = png_get_error_ptr(png);
    snprintf(io->why, sizeof io->why, "%s", msg);
    png_longjmp(png, 1);
}

static void ui_png_warning(png_structp png, png_const_charp msg)
{
    (void)png;
    (void)msg;
}

int ui_png_write(const char *path, const void *pixels, int w, int h, int pitch, int level_in,
                 struct ms_error *err)
{
    char msg[1200];
    const int level = level_in < 0 ? UI_PNG_FAST : level_in > 9 ? 9 : level_in;
    struct ui_png_io io = {NULL, ""};
    io.f = fopen(path, "wb");
    if (!io.f) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(errno));
        ui_err(err, "png", msg);
        return -1;
    }
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, &io, ui_png_error, ui_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        fclose(io.f);
        snprintf(msg, sizeof msg, "cannot write %s: out of memory", path);
        ui_err(err, "png", msg);
        return -1;
    }
    /* volatile: read after a longjmp from libpng. */
    png_bytep *volatile rows = NULL;
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        free(rows);
        fclose(io.f);
        snprintf(msg, sizeof msg, "cannot write %s: %s", path,
                 io.why[0] ? io.why : "libpng failed");
        ui_err(err, "png", msg);
        return -1;
    }
    png_init_io(png, io.f);
    png_set_compression_level(png, level);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_NONE);
    png_set_IHDR(png, info, (png_uint_32)w, (png_uint_32)h, 8, PNG_COLOR_TYPE_RGB_ALPHA,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_write_info(png, info);
    /* ARGB8888 is B, G, R, A in memory on a little-endian machine. */
    png_set_bgr(png);
    rows = ms_xmalloc((size_t)h * sizeof *rows);
    for (int y = 0; y < h; y++) rows[y] = (png_bytep)pixels + (size_t)y * (size_t)pitch;
    png_write_image(png, rows);
    png_write_end(png, NULL);
    png_destroy_write_struct(&png, &info);
    free(rows);
    if (fclose(io.f) != 0) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(errno));
        ui_err(err, "png", msg);
        return -1;
    }
    return 0;
}

/* ---- video: the ffmpeg program ---------------------------------------------- */

/* The ffmpeg program on PATH, into out; false if there is none. */
static bool ui_ffmpeg_find(char *out, size_t cap)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/bin:/bin";
    while (*path) {
        const char *end = strchr(path, ':');
        size_t n = end ? (size_t)(end - path) : strlen(path);
        int w = snprintf(out, cap, "%.*s/ffmpeg", (int)n, n ? path : ".");
        if (w > 0 && (size_t)w < cap && access(out, X_OK) == 0) return true;
        path += n + (end ? 1 : 0);
    }
    return false;
}

/* The kind of video a file name asks for, or -1. */
static int ui_video_kind(const char *path)
{
    const char *dot = strrchr(path, '.');
    if (!dot) return -1;
    if (strcmp(dot, ".mp4") == 0) return 0;
    if (strcmp(dot, ".webm") == 0) return 1;
    if (strcmp(dot, ".gif") == 0) return 2;
    return -1;
}

/* Start ffmpeg writing path from raw frames on its standard input. */
static pid_t ui_ffmpeg_start(const char *ffmpeg, const char *path, int w, int h, double rate,
                             int *fd_out, struct ms_error *err)
{
    char size[32], fps[32];
    snprintf(size, sizeof size, "%dx%d", w, h);
    snprintf(fps, sizeof fps, "%g", rate);
    const char *argv[48];
    size_t n = 0;
    const char *head[] = {"ffmpeg", "-hide_banner", "-loglevel",  "error",    "-nostdin",
                          "-y",     "-f",           "rawvideo",   "-pix_fmt", "bgra",
                          "-s",     size,           "-framerate", fps,        "-i",
                          "-"};
    for (size_t i = 0; i < MS_ARRAY_LEN(head); i++) argv[n++] = head[i];
    /* H.264 and VP9 in 4:2:0 need even sizes: pad by one pixel if odd. */
    static const char *const mp4[] = {"-vf",       "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                                      "-c:v",      "libx264",
                                      "-preset",   "veryfast",
                                      "-crf",      "20",
                                      "-pix_fmt",  "yuv420p",
                                      "-movflags", "+faststart"};
    static const char *const webm[] = {"-vf",       "pad=ceil(iw/2)*2:ceil(ih/2)*2",
                                       "-c:v",      "libvpx-vp9",
                                       "-deadline", "realtime",
                                       "-cpu-used", "8",
                                       "-row-mt",   "1",
                                       "-b:v",      "0",
                                       "-crf",      "33",
                                       "-pix_fmt",  "yuv420p"};
    /* A palette per frame: a whole-video palette would keep every frame. */
    static const char *const gif[] = {
        "-vf", "split[a][b];[a]palettegen=stats_mode=single[p];[b][p]paletteuse=new=1", "-loop",
        "0"};
    const char *const *tail;
    size_t nt;
    switch (ui_video_kind(path)) {
    case 0:
        tail = mp4;
        nt = MS_ARRAY_LEN(mp4);
        break;
    case 1:
        tail = webm;
        nt = MS_ARRAY_LEN(webm);
        break;
    default:
        tail = gif;
        nt = MS_ARRAY_LEN(gif);
        break;
    }
    for (size_t i = 0; i < nt; i++) argv[n++] = tail[i];
    argv[n++] = path;
    argv[n] = NULL;
    int fds[2];
    if (pipe(fds) != 0) {
        ui_err(err, "video", "cannot create a pipe to ffmpeg");
        return -1;
    }
    pid_t pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        ui_err(err, "video", "cannot start ffmpeg (fork failed)");
        return -1;
    }
    if (pid == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        execv(ffmpeg, (char *const *)argv);
        _exit(127);
    }
    close(fds[0]);
    *fd_out = fds[1];
    return pid;
}

/* ---- the exporter: a second thread encodes while the next frame is drawn ----- */

struct ui_export {
    int w, h, level;
    char dir[3000];  /* frames: the folder */
    char path[3000]; /* video: the file */
    int fd;          /* video: the pipe to ffmpeg, or -1 */
    pid_t pid;       /* video: ffmpeg, or -1 */
    struct sigaction old_pipe;
    /* one frame in hand for the encoder */
    pthread_t thread;
    bool thread_up;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *buf; /* w * h * 4 bytes, rows packed */
    size_t step;        /* the frame's step number */
    bool full;          /* buf holds a frame the encoder has not finished */
    bool quit;
    bool failed;
    struct ms_error err; /* the encoder's first error */
};

static int ui_export_encode(struct ui_export *x, struct ms_error *err)
{
    if (x->fd < 0) {
        char path[3100];
        snprintf(path, sizeof path, "%s/step-%06zu.png", x->dir, x->step);
        return ui_png_write(path, x->buf, x->w, x->h, x->w * 4, x->level, err);
    }
    size_t len = (size_t)x->w * (size_t)x->h * 4, off = 0;
    while (off < len) {
        ssize_t k = write(x->fd, x->buf + off, len - off);
        if (k < 0 && errno == EINTR) continue;
        if (k <= 0) {
            char msg[3200];
            snprintf(msg, sizeof msg,
                     "ffmpeg stopped reading frames for %s (see its message above)", x->path);
            ui_err(err, "video", msg);
            return -1;
        }
        off += (size_t)k;
    }
    return 0;
}

static void *ui_export_main(void *arg)
{
    struct ui_export *x = arg;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        while (!x->full && !x->quit) pthread_cond_wait(&x->cv, &x->mu);
        if (!x->full) break; /* quit, nothing left */
        pthread_mutex_unlock(&x->mu);
        struct ms_error e;
        memset(&e, 0, sizeof e);
        int rc = x->failed ? 0 : ui_export_encode(x, &e);
        pthread_mutex_lock(&x->mu);
        if (rc != 0 && !x->failed) {
            x->failed = true;
            x->err = e;
        }
        x->full = false;
        pthread_cond_broadcast(&x->cv);
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

static struct ui_export *ui_export_new(int w, int h, struct ms_error *err)
{
    struct ui_export *x = ms_xcalloc(1, sizeof *x);
    x->w = w;
    x->h = h;
    x->fd = -1;
    x->pid = -1;
    x->level = UI_PNG_FAST;
    x->buf = ms_xmalloc((size_t)w * (size_t)h * 4);
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    if (pthread_create(&x->thread, NULL, ui_export_main, x) != 0) {
        ui_err(err, "export", "cannot start the encoding thread");
        pthread_mutex_destroy(&x->mu);
        pthread_cond_destroy(&x->cv);
        free(x->buf);
        free(x);
        return NULL;
    }
    x->thread_up = true;
    return x;
}

struct ui_export *ui_export_frames(const char *dir, int w, int h, int level, struct ms_error *err)
{
    char msg[3200];
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, sizeof msg, "--export-frames: cannot create %s: %s", dir, strerror(errno));
        ui_err(err, "export", msg);
        return NULL;
    }
    if (strlen(dir) >= sizeof((struct ui_export *)0)->dir) {
        ui_err(err, "export", "--export-frames: the folder name is too long");
        return NULL;
    }
    struct ui_export *x = ui_export_new(w, h, err);
    if (!x) return NULL;
    snprintf(x->dir, sizeof x->dir, "%s", dir);
    x->level = level;
    return x;
}

struct ui_export *ui_export_video(const char *path, int w, int h, double rate, struct ms_error *err)
{
    char msg[3200], ffmpeg[4096];
    if (ui_video_kind(path) < 0) {
        snprintf(msg, sizeof msg, "--export-video: %s: the name must end in .mp4, .webm or .gif",
                 path);
        ui_err(err, "video", msg);
        return NULL;
    }
    if (strlen(path) >= sizeof((struct ui_export *)0)->path) {
        ui_err(err, "video", "--export-video: the file name is too long");
        return NULL;
    }
    if (!ui_ffmpeg_find(ffmpeg, sizeof ffmpeg)) {
        ui_err(err, "video",
               "--export-video needs the ffmpeg program, which is not on PATH: install "
               "Debian's ffmpeg package (apt-get install ffmpeg)");
        return NULL;
    }
    struct ui_export *x = ui_export_new(w, h, err);
    if (!x) return NULL;
    snprintf(x->path, sizeof x->path, "%s", path);
    /* A write to a pipe ffmpeg closed must fail, not kill mailsim. */
    struct sigaction ign;
    memset(&ign, 0, sizeof ign);
    ign.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &ign, &x->old_pipe);
    x->pid = ui_ffmpeg_start(ffmpeg, path, w, h, rate, &x->fd, err);
    if (x->pid < 0) {
        ui_export_close(x, NULL);
        return NULL;
    }
    return x;
}

int ui_export_frame(struct ui_export *x, const struct ui_gfx *g, size_t step, struct ms_error *err)
{
    int w, h, pitch;
    const unsigned char *px = ui_gfx_pixels(g, &w, &h, &pitch);
    if (!px || w != x->w || h != x->h) {
        ui_err(err, "export", "the frame's size changed during the export");
        return -1;
    }
    pthread_mutex_lock(&x->mu);
    while (x->full) pthread_cond_wait(&x->cv, &x->mu);
    if (x->failed) {
        if (err) *err = x->err;
        pthread_mutex_unlock(&x->mu);
        return -1;
    }
    pthread_mutex_unlock(&x->mu);
    /* The encoder is idle: the buffer is ours until full is set. */
    for (int y = 0; y < h; y++)
        memcpy(x->buf + (size_t)y * (size_t)w * 4, px + (size_t)y * (size_t)pitch, (size_t)w * 4);
    pthread_mutex_lock(&x->mu);
    x->step = step;
    x->full = true;
    pthread_cond_broadcast(&x->cv);
    pthread_mutex_unlock(&x->mu);
    return 0;
}

int ui_export_close(struct ui_export *x, struct ms_error *err)
{
    if (!x) return 0;
    int rc = 0;
    if (x->thread_up) {
        pthread_mutex_lock(&x->mu);
        x->quit = true;
        pthread_cond_broadcast(&x->cv);
        pthread_mutex_unlock(&x->mu);
        pthread_join(x->thread, NULL);
        if (x->failed) {
            if (err) *err = x->err;
            rc = -1;
        }
    }
    if (x->fd >= 0) close(x->fd);
    if (x->pid > 0) {
        int st = 0;
        while (waitpid(x->pid, &st, 0) < 0 && errno == EINTR) {
        }
        if (rc == 0 && (!WIFEXITED(st) || WEXITSTATUS(st) != 0)) {
            char msg[3200];
            if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
                snprintf(msg, sizeof msg, "--export-video: ffmpeg could not be started");
            else
                snprintf(msg, sizeof msg, "--export-video: ffmpeg failed to write %s (exit %d)",
                         x->path, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
            ui_err(err, "video", msg);
            rc = -1;
        }
    }
    if (x->path[0]) sigaction(SIGPIPE, &x->old_pipe, NULL);
    pthread_mutex_destroy(&x->mu);
    pthread_cond_destroy(&x->cv);
    free(x->buf);
    free(x);
    return rc;
}

#else /* __EMSCRIPTEN__ */

#include <string.h>

static void ui_export_web_err(struct ms_error *err)
{
    ms_error_set(err, 1, "export", "%s",
                 "frames and videos are written by mailsim on a computer, not in a browser");
}

int ui_png_write(const char *path, const void *pixels, int w, int h, int pitch, int level,
                 struct ms_error *err)
{
    (void)path, (void)pixels, (void)w, (void)h, (void)pitch, (void)level;
    ui_export_web_err(err);
    return -1;
}

struct ui_export *ui_export_frames(const char *dir, int w, int h, int level, struct ms_error *err)
{
    (void)dir, (void)w, (void)h, (void)level;
    ui_export_web_err(err);
    return NULL;
}

struct ui_export *ui_export_video(const char *path, int w, int h, double rate, struct ms_error *err)
{
    (void)path, (void)w, (void)h, (void)rate;
    ui_export_web_err(err);
    return NULL;
}

int ui_export_frame(struct ui_export *x, const struct ui_gfx *g, size_t step, struct ms_error *err)
{
    (void)x, (void)g, (void)step;
    ui_export_web_err(err);
    return -1;
}

int ui_export_close(struct ui_export *x, struct ms_error *err)
{
    (void)x, (void)err;
    return 0;
}

#endif
