/* json_scan.h -- a strict JSON (RFC 8259) checker that records where each
 * value starts, for the scenario loader's file:line:col messages.
 *
 * cJSON gives no positions per value, accepts invalid UTF-8 and cannot hold
 * \u0000; this scanner runs first over the raw bytes and refuses all of
 * that, with a position and a reason. It records one node per JSON value in
 * document order (pre-order), which is also the order of a cJSON tree walk
 * (cJSON keeps members in file order, duplicates included), so node i and the
 * i-th cJSON item of a pre-order walk are the same value. Internal to
 * sim/scenario. */
#ifndef MAILSIM_SCENARIO_JSON_SCAN_H
#define MAILSIM_SCENARIO_JSON_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCN_JNONE UINT32_MAX

struct scn_jnode {
    uint32_t key_off; /* offset of the member name's '"', or SCN_JNONE */
    uint32_t val_off; /* offset of the value's first byte */
    uint32_t val_end; /* offset just past the value */
};

struct scn_jscan {
    struct scn_jnode *nodes; /* owned, n of them */
    size_t n, cap;
    size_t err_off; /* on failure: where */
    char err[160];  /* on failure: what was expected / what is wrong */
};

/* Scan text[0..len) (len < 4 GiB) as one JSON value with nothing but
 * whitespace after it, nesting at most max_depth. Returns false with
 * js->err_off and js->err set on the first problem. js is zeroed first;
 * release with scn_jscan_free. */
bool scn_jscan_run(struct scn_jscan *js, const char *text, size_t len, int max_depth);
void scn_jscan_free(struct scn_jscan *js);

/* 1-based line and column (in UTF-8 characters) of byte offset off. */
void scn_jscan_linecol(const char *text, size_t len, size_t off, unsigned *line, unsigned *col);

#endif
