/* dur.c -- parse and format lecture-style durations. */
#include "core/dur.h"

#include <stdio.h>
#include <string.h>

struct dur_unit {
    const char *name;
    sim_us us;
};

/* In the only order they may appear. */
static const struct dur_unit dur_units[] = {
    {"d", SIM_US_PER_DAY}, {"h", SIM_US_PER_H},   {"m", SIM_US_PER_MIN},
    {"s", SIM_US_PER_S},   {"ms", SIM_US_PER_MS}, {"us", 1},
};

/* A suggestion for common spellings: "30 min" -> "30m", "2 hours" -> "2h". */
static void dur_suggest(const char *t, size_t len, char *out, size_t outlen)
{
    size_t i = 0, o = 0;
    out[0] = '\0';
    while (i < len && t[i] == ' ') i++;
    size_t d0 = i;
    while (i < len && t[i] >= '0' && t[i] <= '9') i++;
    if (i == d0 || i - d0 > 18) return;
    size_t ndig = i - d0;
    while (i < len && t[i] == ' ') i++;
    const char *w = t + i;
    size_t wl = len - i;
    while (wl > 0 && w[wl - 1] == ' ') wl--;
    static const struct {
        const char *word;
        const char *unit;
    } words[] = {
        {"min", "m"},
        {"mins", "m"},
        {"minute", "m"},
        {"minutes", "m"},
        {"hour", "h"},
        {"hours", "h"},
        {"hr", "h"},
        {"hrs", "h"},
        {"sec", "s"},
        {"secs", "s"},
        {"second", "s"},
        {"seconds", "s"},
        {"day", "d"},
        {"days", "d"},
        {"msec", "ms"},
        {"millis", "ms"},
        {"milliseconds", "ms"},
        {"", "s"},
        {"M", "m"},
        {"H", "h"},
        {"S", "s"},
        {"D", "d"},
        {"MS", "ms"},
        {"d", "d"},
        {"h", "h"},
        {"m", "m"},
        {"s", "s"},
        {"ms", "ms"},
        {"us", "us"},
    };
    for (size_t k = 0; k < MS_ARRAY_LEN(words); k++) {
        if (strlen(words[k].word) == wl && strncmp(words[k].word, w, wl) == 0) {
            if (ndig + strlen(words[k].unit) + 1 > outlen) return;
            memcpy(out, t + d0, ndig);
            o = ndig;
            strcpy(out + o, words[k].unit);
            /* The text itself (a number too large, say) suggests nothing. */
            if (strlen(out) == len && memcmp(out, t, len) == 0) out[0] = '\0';
            return;
        }
    }
}

static void dur_error(const char *text, size_t len, char *err, size_t errlen)
{
    if (!err || errlen == 0) return;
    char shown[48];
    size_t n = 0;
    for (size_t i = 0; i < len && n + 5 < sizeof shown; i++) {
        unsigned char c = (unsigned char)text[i];
        if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
            shown[n++] = (char)c;
        } else {
            n += (size_t)snprintf(shown + n, sizeof shown - n, "\\x%02x", c);
        }
    }
    if (n > sizeof shown - 1) n = sizeof shown - 1;
    shown[n] = '\0';
    const char *more = n < len && len > 40 ? "..." : "";
    char sug[32];
    dur_suggest(text, len, sug, sizeof sug);
    if (sug[0]) {
        snprintf(err, errlen, "\"%s%s\" is not a duration (try \"%s\")", shown, more, sug);
    } else {
        snprintf(err, errlen, "\"%s%s\" is not a duration (%s)", shown, more, DUR_ACCEPTED);
    }
}

bool dur_parse(const char *text, size_t len, sim_us *out, char *err, size_t errlen)
{
    size_t i = 0, next_unit = 0;
    sim_us total = 0;
    if (len == 0) goto bad;
    while (i < len) {
        sim_us n = 0;
        size_t d0 = i;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            int digit = text[i] - '0';
            if (n > (INT64_MAX - digit) / 10) goto bad;
            n = n * 10 + digit;
            i++;
        }
        if (i == d0 || i == len) goto bad;
        size_t k;
        for (k = next_unit; k < MS_ARRAY_LEN(dur_units); k++) {
            size_t ul = strlen(dur_units[k].name);
            /* "m" must not match the start of "ms". */
            if (len - i >= ul && memcmp(text + i, dur_units[k].name, ul) == 0 &&
                !(ul == 1 && text[i] == 'm' && i + 1 < len && text[i + 1] == 's')) {
                break;
            }
        }
        if (k == MS_ARRAY_LEN(dur_units)) goto bad;
        if (n > INT64_MAX / dur_units[k].us) goto bad;
        sim_us part = n * dur_units[k].us;
        if (total > INT64_MAX - part) goto bad;
        total += part;
        i += strlen(dur_units[k].name);
        next_unit = k + 1;
    }
    *out = total;
    return true;
bad:
    dur_error(text, len, err, errlen);
    return false;
}

bool dur_is_canonical(const char *text, size_t len)
{
    size_t i = 0, segments = 0;
    while (i < len) {
        uint64_t n = 0;
        while (i < len && text[i] >= '0' && text[i] <= '9') {
            if (n < UINT64_C(1000000000000000000)) n = n * 10 + (uint64_t)(text[i] - '0');
            i++;
        }
        size_t k, best = MS_ARRAY_LEN(dur_units);
        for (k = 0; k < MS_ARRAY_LEN(dur_units); k++) {
            size_t ul = strlen(dur_units[k].name);
            if (len - i >= ul && memcmp(text + i, dur_units[k].name, ul) == 0 &&
                !(ul == 1 && text[i] == 'm' && i + 1 < len && text[i + 1] == 's')) {
                best = k;
                break;
            }
        }
        if (best == MS_ARRAY_LEN(dur_units)) return false;
        if (segments > 0 && best > 0 &&
            n >= (uint64_t)(dur_units[best - 1].us / dur_units[best].us)) {
            return false;
        }
        i += strlen(dur_units[best].name);
        segments++;
    }
    return segments > 0;
}

char *dur_format(sim_us d, char *buf, size_t buflen)
{
    size_t o = 0;
    if (buflen == 0) return buf;
    buf[0] = '\0';
    if (d < 0) {
        o += (size_t)snprintf(buf, buflen, "-");
        d = d == INT64_MIN ? INT64_MAX : -d;
    }
    if (d == 0) {
        snprintf(buf + o, buflen - (o < buflen ? o : buflen), "0s");
        return buf;
    }
    for (size_t k = 0; k < MS_ARRAY_LEN(dur_units) && o < buflen; k++) {
        sim_us n = d / dur_units[k].us;
        if (n == 0) continue;
        d -= n * dur_units[k].us;
        o += (size_t)snprintf(buf + o, buflen - o, "%lld%s", (long long)n, dur_units[k].name);
    }
    return buf;
}
