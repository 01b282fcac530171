/* ui_export.c -- frames out of the renderer: PNG files (a small chunk writer
 * over libdeflate), and videos (.mp4, .webm, .gif) made by the ffmpeg program
 * fed raw frames on a pipe. Frames wait in a short queue for a second thread
 * that compresses or pipes them while the next frames are drawn; when the
 * queue is full, the drawing thread compresses the oldest PNG frame itself
 * instead of waiting, so with a core free both threads compress.
 *
 * PNG (ISO/IEC 15948, the W3C PNG specification): the signature, IHDR, the
 * image as one zlib stream cut into IDAT chunks, IEND; every chunk carries
 * the CRC-32 of its type and data. A frame is 8-bit RGBA, the surface's own
 * four channels, so a file holds exactly what was drawn (alpha included, as
 * the window's pixels have it). libdeflate makes the zlib stream: a whole
 * 1080p frame in one call, about twice as fast as zlib at its fastest level
 * and with smaller files, and its CRC-32 and Adler-32 are vectorised. Rows
 * use filter None: on lesson frames (large flat areas, which deflate's
 * matches already catch) Sub, Up and Paeth made files larger and slower at
 * every level tried. Level 1 is the default; 9 and up give smaller files,
 * 12 the smallest (libdeflate's levels; bench_ui prints each one's cost).
 *
 * The drawing thread turns each frame into PNG rows (filter byte, then R,
 * G, B, A) straight into a queue slot: that pass is the only copy of the
 * frame, and the encoder compresses the slot as it is.
 *
 * Video: the ffmpeg program (Debian's ffmpeg package), not its libraries:
 * one pipe of BGRA frames at a constant rate, and the container and codec
 * follow from the file name.
 *
 * In a web page (Emscripten) there is no libdeflate, no ffmpeg and no second
 * process: every function refuses with a message (docs/web.md). */
#include "ui/ui_int.h"

#ifndef __EMSCRIPTEN__
#include <errno.h>
#include <libdeflate.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- PNG ------------------------------------------------------------------- */

/* IDAT chunks of at most this many bytes (any length up to 2^31-1 is valid;
 * common decoders read chunks of this size without a second thought). */
#define UI_PNG_IDAT_MAX ((size_t)1 << 20)

/* A compressor and its output buffer, kept across the frames of an export. */
struct ui_png_enc {
    struct libdeflate_compressor *c;
    int level;
    unsigned char *z; /* the zlib stream */
    size_t zcap;
};

size_t ui_png_rows_size(int w, int h)
{
    return (size_t)h * ((size_t)w * 4 + 1);
}

/* One ARGB8888 word as the bytes R, G, B, A read as a little-endian word. */
static inline uint32_t ui_png_rgba(uint32_t v)
{
    return (v & 0xff00ff00u) | ((v >> 16) & 0xffu) | ((v & 0xffu) << 16);
}

void ui_png_rows(const void *pixels, int w, int h, int pitch, unsigned char *rows)
{
    const size_t out_row = (size_t)w * 4 + 1;
    for (int y = 0; y < h; y++) {
        /* ARGB8888 is one 32-bit word per pixel, A in the top byte. */
        const unsigned char *s = (const unsigned char *)pixels + (size_t)y * (size_t)pitch;
        unsigned char *o = rows + (size_t)y * out_row;
        *o++ = 0; /* filter type None */
        int x = 0;
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        /* Four pixels at a time, which gcc and clang turn into vector
         * shifts and masks at -O2: under 1 ms a 1080p frame. */
        for (; x + 4 <= w; x += 4) {
            uint32_t v[4];
            memcpy(v, s + (size_t)x * 4, sizeof v);
            for (int k = 0; k < 4; k++) v[k] = ui_png_rgba(v[k]);
            memcpy(o + (size_t)x * 4, v, sizeof v);
        }
#endif
        for (; x < w; x++) {
            uint32_t v;
            memcpy(&v, s + (size_t)x * 4, 4);
            o[(size_t)x * 4] = (unsigned char)(v >> 16);
            o[(size_t)x * 4 + 1] = (unsigned char)(v >> 8);
            o[(size_t)x * 4 + 2] = (unsigned char)v;
            o[(size_t)x * 4 + 3] = (unsigned char)(v >> 24);
        }
    }
}

static void ui_png_be32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One chunk: length, type, data, CRC-32 of type and data. */
static bool ui_png_chunk(FILE *f, const char type[4], const unsigned char *data, size_t n)
{
    unsigned char head[8], crc[4];
    ui_png_be32(head, (uint32_t)n);
    memcpy(head + 4, type, 4);
    uint32_t c = libdeflate_crc32(0, head + 4, 4);
    if (n) c = libdeflate_crc32(c, data, n);
    ui_png_be32(crc, c);
    return fwrite(head, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) &&
           fwrite(crc, 1, 4, f) == 4;
}

static void ui_png_enc_free(struct ui_png_enc *e)
{
    libdeflate_free_compressor(e->c);
    free(e->z);
    memset(e, 0, sizeof *e);
}

/* Compress rows (ui_png_rows of a w x h frame) and write them to path. */
static int ui_png_enc_write(struct ui_png_enc *e, const char *path, const unsigned char *rows,
                            int w, int h, int level_in, struct ms_error *err)
{
    char msg[1200];
    const int level = level_in < 0 ? UI_PNG_FAST : level_in > UI_PNG_MAX ? UI_PNG_MAX : level_in;
    const size_t n = ui_png_rows_size(w, h);
    if (!e->c || e->level != level) {
        libdeflate_free_compressor(e->c);
        e->c = libdeflate_alloc_compressor(level);
        e->level = level;
        if (!e->c) {
            snprintf(msg, sizeof msg, "cannot write %s: out of memory", path);
            ui_err(err, "png", msg);
            return -1;
        }
    }
    /* Lesson frames shrink 30-50x: start with room for an eighth of the
     * rows, and only a frame that does not fit (level 0 stores) makes the
     * buffer as large as the worst case and is compressed again. */
    size_t zn = 0;
    if (e->zcap == 0) {
        e->zcap = n / 8 + 4096;
        e->z = ms_xmalloc(e->zcap);
    }
    zn = libdeflate_zlib_compress(e->c, rows, n, e->z, e->zcap);
    if (zn == 0) {
        e->zcap = libdeflate_zlib_compress_bound(e->c, n);
        free(e->z);
        e->z = ms_xmalloc(e->zcap);
        zn = libdeflate_zlib_compress(e->c, rows, n, e->z, e->zcap);
    }
    if (zn == 0) { /* cannot happen with a buffer of compress_bound bytes */
        snprintf(msg, sizeof msg, "cannot write %s: the compressor failed", path);
        ui_err(err, "png", msg);
        return -1;
    }
    FILE *f = fopen(path, "wb");
    if (!f) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path, strerror(errno));
        ui_err(err, "png", msg);
        return -1;
    }
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    unsigned char ihdr[13];
    ui_png_be32(ihdr, (uint32_t)w);
    ui_png_be32(ihdr + 4, (uint32_t)h);
    ihdr[8] = 8;  /* bits per channel */
    ihdr[9] = 6;  /* colour type: RGB with alpha */
    ihdr[10] = 0; /* compression: deflate */
    ihdr[11] = 0; /* filter method 0 (each row names its filter) */
    ihdr[12] = 0; /* not interlaced */
    bool ok = fwrite(sig, 1, sizeof sig, f) == sizeof sig && ui_png_chunk(f, "IHDR", ihdr, 13);
    for (size_t off = 0; ok && off < zn; off += UI_PNG_IDAT_MAX)
        ok = ui_png_chunk(f, "IDAT", e->z + off,
                          zn - off < UI_PNG_IDAT_MAX ? zn - off : UI_PNG_IDAT_MAX);
    ok = ok && ui_png_chunk(f, "IEND", NULL, 0);
    int saved = ok ? 0 : errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        saved = errno;
    }
    if (!ok) {
        snprintf(msg, sizeof msg, "cannot write %s: %s", path,
                 saved ? strerror(saved) : "write failed");
        ui_err(err, "png", msg);
        remove(path); /* no half-written PNG left behind */
        return -1;
    }
    return 0;
}

int ui_png_write(const char *path, const void *pixels, int w, int h, int pitch, int level,
                 struct ms_error *err)
{
    struct ui_png_enc e;
    memset(&e, 0, sizeof e);
    unsigned char *rows = ms_xmalloc(ui_png_rows_size(w, h));
    ui_png_rows(pixels, w, h, pitch, rows);
    int rc = ui_png_enc_write(&e, path, rows, w, h, level, err);
    free(rows);
    ui_png_enc_free(&e);
    return rc;
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

/* ---- the exporter: a second thread encodes while the next frames are drawn --- */

/* Frames drawn but not yet encoded: three (8 MB each at 1920x1080) ride out
 * a moment when one thread waits for a core; frames over
 * UI_EXPORT_SLOT_BUDGET / 3 bytes (4K and up) get two, which still let
 * drawing and encoding overlap, so an 8192x8192 export needs 0.5 GB of
 * slots rather than 0.8. */
#define UI_EXPORT_SLOTS 3
#define UI_EXPORT_SLOT_BUDGET ((size_t)64 << 20)

/* A queue slot's state. Only the thread that moved a slot out of FREE or
 * READY touches its bytes until it moves it on. */
enum ui_slot_state {
    UI_SLOT_FREE,    /* for the drawing thread to fill */
    UI_SLOT_FILLING, /* the drawing thread is writing the frame */
    UI_SLOT_READY,   /* a frame waiting to be encoded */
    UI_SLOT_BUSY,    /* being encoded */
};

struct ui_export {
    int w, h, level;
    char dir[3000];  /* frames: the folder */
    char path[3000]; /* video: the file */
    int fd;          /* video: the pipe to ffmpeg, or -1 */
    pid_t pid;       /* video: ffmpeg, or -1 */
    struct sigaction old_pipe;
    struct ui_png_enc png;    /* the encoder thread's compressor */
    struct ui_png_enc helper; /* the drawing thread's, when it helps */
    pthread_t thread;
    bool thread_up;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    unsigned char *slot[UI_EXPORT_SLOTS]; /* PNG rows, or BGRA rows for ffmpeg */
    int n_slots;                          /* in use: 2 or 3 */
    size_t slot_bytes;
    enum ui_slot_state state[UI_EXPORT_SLOTS];
    size_t step[UI_EXPORT_SLOTS];  /* each frame's step number */
    uint64_t seq[UI_EXPORT_SLOTS]; /* the order frames were handed over */
    uint64_t next_seq;
    bool quit;
    bool failed;
    struct ms_error err; /* the first error */
};

/* Encode one frame: a PNG file with compressor enc, or bytes down the pipe. */
static int ui_export_encode(struct ui_export *x, struct ui_png_enc *enc, const unsigned char *buf,
                            size_t step, struct ms_error *err)
{
    if (x->fd < 0) {
        char path[3100];
        snprintf(path, sizeof path, "%s/step-%06zu.png", x->dir, step);
        return ui_png_enc_write(enc, path, buf, x->w, x->h, x->level, err);
    }
    size_t len = x->slot_bytes, off = 0;
    while (off < len) {
        ssize_t k = write(x->fd, buf + off, len - off);
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

/* The slot in state st handed over first, or -1. Called with mu held. */
static int ui_export_oldest(const struct ui_export *x, enum ui_slot_state st)
{
    int best = -1;
    for (int i = 0; i < x->n_slots; i++)
        if (x->state[i] == st && (best < 0 || x->seq[i] < x->seq[best])) best = i;
    return best;
}

/* Encode the READY slot i with enc: mu held on entry and on return, not
 * while encoding. After a failure the frames left are dropped unencoded. */
static void ui_export_take(struct ui_export *x, int i, struct ui_png_enc *enc)
{
    x->state[i] = UI_SLOT_BUSY;
    const bool skip = x->failed;
    pthread_mutex_unlock(&x->mu);
    struct ms_error e;
    memset(&e, 0, sizeof e);
    int rc = skip ? 0 : ui_export_encode(x, enc, x->slot[i], x->step[i], &e);
    pthread_mutex_lock(&x->mu);
    if (rc != 0 && !x->failed) {
        x->failed = true;
        x->err = e;
    }
    x->state[i] = UI_SLOT_FREE;
    pthread_cond_broadcast(&x->cv);
}

static void *ui_export_main(void *arg)
{
    struct ui_export *x = arg;
    pthread_mutex_lock(&x->mu);
    for (;;) {
        int i = ui_export_oldest(x, UI_SLOT_READY);
        if (i >= 0) {
            ui_export_take(x, i, &x->png);
        } else if (x->quit) {
            break;
        } else {
            pthread_cond_wait(&x->cv, &x->mu);
        }
    }
    pthread_mutex_unlock(&x->mu);
    return NULL;
}

static struct ui_export *ui_export_new(int w, int h, size_t slot_bytes, struct ms_error *err)
{
    struct ui_export *x = ms_xcalloc(1, sizeof *x);
    x->w = w;
    x->h = h;
    x->fd = -1;
    x->pid = -1;
    x->level = UI_PNG_FAST;
    x->slot_bytes = slot_bytes;
    x->n_slots = slot_bytes * UI_EXPORT_SLOTS > UI_EXPORT_SLOT_BUDGET ? 2 : UI_EXPORT_SLOTS;
    for (int i = 0; i < x->n_slots; i++) {
        x->slot[i] = ms_xmalloc(slot_bytes);
        x->state[i] = UI_SLOT_FREE;
    }
    pthread_mutex_init(&x->mu, NULL);
    pthread_cond_init(&x->cv, NULL);
    if (pthread_create(&x->thread, NULL, ui_export_main, x) != 0) {
        ui_err(err, "export", "cannot start the encoding thread");
        pthread_mutex_destroy(&x->mu);
        pthread_cond_destroy(&x->cv);
        for (int i = 0; i < x->n_slots; i++) free(x->slot[i]);
        free(x);
        return NULL;
    }
    x->thread_up = true;
    return x;
}

struct ui_export *ui_export_frames(const char *dir, int w, int h, int level, struct ms_error *err)
{
    char msg[3200];
    if (level < 0 || level > UI_PNG_MAX) {
        snprintf(msg, sizeof msg, "--export-frames: %d is not a PNG level from 0 to %d", level,
                 UI_PNG_MAX);
        ui_err(err, "export", msg);
        return NULL;
    }
    if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
        snprintf(msg, sizeof msg, "--export-frames: cannot create %s: %s", dir, strerror(errno));
        ui_err(err, "export", msg);
        return NULL;
    }
    if (strlen(dir) >= sizeof((struct ui_export *)0)->dir) {
        ui_err(err, "export", "--export-frames: the folder name is too long");
        return NULL;
    }
    struct ui_export *x = ui_export_new(w, h, ui_png_rows_size(w, h), err);
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
    struct ui_export *x = ui_export_new(w, h, (size_t)w * (size_t)h * 4, err);
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
    int i = -1;
    while (!x->failed && (i = ui_export_oldest(x, UI_SLOT_FREE)) < 0) {
        /* The queue is full. PNG files are independent: rather than wait,
         * encode the oldest waiting frame here, so that with a core free
         * both threads compress. A video's frames go down one pipe in
         * order: only the encoder thread writes them. */
        int j = x->fd < 0 ? ui_export_oldest(x, UI_SLOT_READY) : -1;
        if (j >= 0)
            ui_export_take(x, j, &x->helper);
        else
            pthread_cond_wait(&x->cv, &x->mu);
    }
    if (x->failed) {
        if (err) *err = x->err;
        pthread_mutex_unlock(&x->mu);
        return -1;
    }
    x->state[i] = UI_SLOT_FILLING;
    pthread_mutex_unlock(&x->mu);
    unsigned char *buf = x->slot[i];
    if (x->fd < 0) {
        ui_png_rows(px, w, h, pitch, buf);
    } else {
        for (int y = 0; y < h; y++)
            memcpy(buf + (size_t)y * (size_t)w * 4, px + (size_t)y * (size_t)pitch, (size_t)w * 4);
    }
    pthread_mutex_lock(&x->mu);
    x->step[i] = step;
    x->seq[i] = x->next_seq++;
    x->state[i] = UI_SLOT_READY;
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
    for (int i = 0; i < x->n_slots; i++) free(x->slot[i]);
    ui_png_enc_free(&x->png);
    ui_png_enc_free(&x->helper);
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
