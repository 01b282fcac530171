/* ld.h -- the scenario loader's toolkit: positions, field paths, typed
 * getters and per-field validators over a cJSON tree. Internal to
 * sim/scenario (load.c builds the model with it).
 *
 * Every getter takes the item (NULL means "absent": keep the default and
 * succeed), checks its JSON type and its range or grammar, and on failure
 * records the first error (file:line:col: path: message) and returns false.
 * After the first error every getter returns false at once. */
#ifndef MAILSIM_SCENARIO_LD_H
#define MAILSIM_SCENARIO_LD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/common.h"
#include "scenario/json_scan.h"
#include "scenario/scenario.h"

struct scn_ld_map {
    const cJSON *item;
    uint32_t node;
};

struct scn_ld {
    const char *file; /* name used in messages */
    const char *text; /* raw file bytes */
    size_t len;
    struct scn_jscan js;    /* positions per value */
    struct scn_ld_map *map; /* cJSON item -> node, sorted by item */
    size_t n_map;
    char path[256]; /* field path of what is being read */
    size_t plen;
    bool path_cut;         /* path did not fit */
    struct scn_error *err; /* may be NULL */
    bool failed;
    const struct scn_load_opts *opts;
    const char *base_dir;   /* for attachment files, or NULL */
    uint64_t file_bytes;    /* attachment bytes read so far */
    uint64_t content_bytes; /* attachments, pages, transfers so far */
};

/* String grammars checked by scn_ld_str. */
enum scn_strcls {
    SCN_SC_TEXT,      /* one line of text: no control characters (titles,
                       * subjects, names that reach a header) */
    SCN_SC_MULTILINE, /* text where LF and TAB are allowed (bodies, narration) */
    SCN_SC_HOSTNAME,  /* letters, digits, '-', '.'; labels 1-63, total <= 253 */
    SCN_SC_DOMAIN,    /* as HOSTNAME */
    SCN_SC_LOCALPART, /* RFC 5321 dot-atom local part, <= 64 */
    SCN_SC_ADDRESS,   /* local@domain */
    SCN_SC_PASSWORD,  /* printable ASCII without spaces, <= 128 */
    SCN_SC_MAILBOX,   /* IMAP mailbox name: no control, '*', '%', "..", leading '/' */
    SCN_SC_FLAG,      /* \System flag or keyword atom */
    SCN_SC_CRITERIA,  /* IMAP SEARCH text: printable ASCII */
    SCN_SC_SEQSET,    /* IMAP sequence set */
    SCN_SC_PART,      /* section number like 1.2 */
    SCN_SC_MIMETYPE,  /* type/subtype tokens */
    SCN_SC_FILENAME,  /* attachment name: no control, '/', '\\', '"' */
    SCN_SC_RELPATH,   /* file next to the scenario: relative, no "..", no '\\' */
    SCN_SC_URLPATH,   /* "/..." printable ASCII, no spaces, no ".." */
    SCN_SC_OBJNAME,   /* web object name: letters, digits, '.', '_', '-' */
    SCN_SC_ID,        /* a narration id: letters, digits, '.', '_', '-'; 1 to 64 */
    SCN_SC_NAME,      /* a variant name: one line, non-empty */
    SCN_SC_RAWTEXT,   /* as MULTILINE, and CR allowed too (a raw body) */
    SCN_SC_REPLY,     /* SMTP reply text: printable ASCII, <= 200, known {placeholders} */
};

/* Count n more bytes of content the simulation will move; false (error at
 * item) past SCN_MAX_TOTAL_BYTES. */
bool scn_ld_content(struct scn_ld *L, const cJSON *item, uint64_t n);

/* Sort L->map by item so positions can be looked up. */
void scn_ld_map_sort(struct scn_ld *L);

/* Record an error at item (its key when at_key, else its value; NULL: no
 * position) with the current path. Returns false. */
bool scn_ld_err(struct scn_ld *L, const cJSON *item, bool at_key, const char *fmt, ...)
    MS_PRINTF(4, 5);
/* Record an error at byte offset off (SIZE_MAX: none). Returns false. */
bool scn_ld_err_off(struct scn_ld *L, size_t off, const char *fmt, ...) MS_PRINTF(3, 4);
/* "line:col" of item's value (or key), for "first at" notes. */
void scn_ld_where(struct scn_ld *L, const cJSON *item, bool at_key, char *buf, size_t n);

/* Path stack: push ".key" or "[i]", pop back to a mark. */
size_t scn_ld_push_key(struct scn_ld *L, const char *key);
size_t scn_ld_push_index(struct scn_ld *L, size_t i);
void scn_ld_pop(struct scn_ld *L, size_t mark);

/* Check obj is an object whose keys are among keys[0..n) with bit i of
 * allowed set (keys outside allowed get "does not apply to <what>"); no
 * duplicates; fills out[i] with the member or NULL. */
bool scn_ld_object(struct scn_ld *L, const cJSON *obj, const char *const *keys, size_t n,
                   uint64_t allowed, const char *what, const cJSON **out);
/* Error "missing required key" at obj when item is NULL. */
bool scn_ld_require(struct scn_ld *L, const cJSON *obj, const cJSON *item, const char *key);
/* Check item is an array of at most max elements; *n gets its size. */
bool scn_ld_array(struct scn_ld *L, const cJSON *item, size_t max, size_t *n);

/* Typed getters; item NULL leaves *out unchanged and succeeds. The path of
 * item (its key) is pushed by the getter. */
bool scn_ld_str(struct scn_ld *L, const cJSON *item, enum scn_strcls cls, char **out);
bool scn_ld_bool(struct scn_ld *L, const cJSON *item, bool *out);
bool scn_ld_uint(struct scn_ld *L, const cJSON *item, uint64_t lo, uint64_t hi, uint64_t *out);
bool scn_ld_double(struct scn_ld *L, const cJSON *item, double lo, double hi, bool hi_open,
                   double *out);
bool scn_ld_dur(struct scn_ld *L, const cJSON *item, sim_us lo, sim_us hi, sim_us *out);
bool scn_ld_enum(struct scn_ld *L, const cJSON *item, const char *const *names, size_t n,
                 const char *what, unsigned *out);
/* Sizes in bytes: a whole number, or "150kB", "2MB", "10MiB". */
bool scn_ld_size(struct scn_ld *L, const cJSON *item, uint64_t lo, uint64_t hi, uint64_t *out);
/* Bandwidth: bits per second as a number, or "10Mbps", "512kbps", "1Gbps". */
bool scn_ld_bandwidth(struct scn_ld *L, const cJSON *item, uint64_t *out);
/* "192.0.2.1" into host byte order. */
bool scn_ld_ipv4(struct scn_ld *L, const cJSON *item, uint32_t *out);
/* RFC 3339 "2025-03-03T09:00:00Z" / "+01:00" into Unix seconds + zone. */
bool scn_ld_epoch(struct scn_ld *L, const cJSON *item, int64_t *out, int32_t *tz_min);

/* Check a string against a class; NULL when fine, else why (static text
 * or written to buf). */
const char *scn_ld_check(const char *s, enum scn_strcls cls, char *buf, size_t n);
/* Quote s for a message: escapes controls, cuts at about 60 characters. */
void scn_ld_quote(const char *s, char *out, size_t n);
/* The closest of names[0..n) to word (case-aware), or NULL. */
const char *scn_ld_suggest(const char *word, const char *const *names, size_t n, uint64_t allowed);

/* Read an attachment file below L->base_dir without following symlinks.
 * item is the "file" member (for errors). *data malloc'd. */
bool scn_ld_read_file(struct scn_ld *L, const cJSON *item, const char *rel, unsigned char **data,
                      uint64_t *size);

/* Days since 1970-01-01 of a civil date (proleptic Gregorian), and back. */
int64_t scn_days_from_civil(int64_t y, unsigned m, unsigned d);
void scn_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d);

/* scn_load_buffer without the file size cap (for the generator's big
 * benchmark scenarios; len must stay under 4 GiB). */
struct scn_scenario *scn_load_text(const char *text, size_t len, const char *name,
                                   const char *base_dir, const struct scn_load_opts *opts,
                                   struct scn_error *err);

/* Shared by model.c, load.c and save.c. */
void scn_action_free_fields(struct scn_action *a);

#endif
