/* dur.h -- durations as lecturers write them: "250ms", "20s", "30m", "1h30m", "5d".
 *
 * Grammar: one or more <digits><unit> groups, units in strictly decreasing
 * order, each at most once: d, h, m, s, ms, us. "0s" is zero. No spaces,
 * signs, decimals or bare numbers. The total must fit in sim_us. */
#ifndef MAILSIM_CORE_DUR_H
#define MAILSIM_CORE_DUR_H

#include <stdbool.h>
#include <stddef.h>

#include "core/common.h"

/* What dur_parse accepts, for error messages. */
#define DUR_ACCEPTED "e.g. 250ms, 20s, 30m, 1h30m, 5d"

/* Parse text[0..len) into *out. On failure returns false and, when err is
 * not NULL, writes a one-line reason quoting the text into err[errlen]:
 *   "30 min" is not a duration (try "30m")
 *   "1.5h" is not a duration (e.g. 250ms, 20s, 30m, 1h30m, 5d) */
bool dur_parse(const char *text, size_t len, sim_us *out, char *err, size_t errlen);

/* True when text[0..len), which dur_parse accepts, is in canonical form:
 * every unit after the first is below the next larger unit's size ("1h30m",
 * "90m", "1d23h"; not "1h90m" or "1s1500ms"). Scenario files require it, so
 * that the JSON Schema can state the same ranges as the loader. */
bool dur_is_canonical(const char *text, size_t len);

/* Format d as the shortest dur_parse-able text ("1h30m", "0s", "250ms").
 * Writes at most buflen bytes including the NUL; returns buf. Negative d is
 * written with a leading '-' (not parseable; for display only). */
char *dur_format(sim_us d, char *buf, size_t buflen);

#endif
