/* ld.c -- positions, paths, typed getters and field validators for the
 * scenario loader (see ld.h). Numbers are checked for finiteness,
 * integrality and range on valuedouble before any cast (bad-inputs J6);
 * strings that reach the wire are checked against their grammar (J8). */
#include "scenario/ld.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/ascii.h"
#include "core/dur.h"

static const char *scn_ld_typename(const cJSON *it)
{
    if (cJSON_IsObject(it)) return "an object";
    if (cJSON_IsArray(it)) return "an array";
    if (cJSON_IsString(it)) return "a string";
    if (cJSON_IsNumber(it)) return "a number";
    if (cJSON_IsBool(it)) return it->type & cJSON_True ? "true" : "false";
    if (cJSON_IsNull(it)) return "null";
    return "an unknown value";
}

static int scn_ld_map_cmp(const void *a, const void *b)
{
    const struct scn_ld_map *x = a, *y = b;
    uintptr_t p = (uintptr_t)x->item, q = (uintptr_t)y->item;
    return p < q ? -1 : p > q;
}

void scn_ld_map_sort(struct scn_ld *L)
{
    qsort(L->map, L->n_map, sizeof *L->map, scn_ld_map_cmp);
}

static const struct scn_jnode *scn_ld_node(const struct scn_ld *L, const cJSON *item)
{
    if (!item || !L->map) return NULL;
    struct scn_ld_map key = {item, 0};
    const struct scn_ld_map *m = bsearch(&key, L->map, L->n_map, sizeof *L->map, scn_ld_map_cmp);
    return m ? &L->js.nodes[m->node] : NULL;
}

static size_t scn_ld_off(const struct scn_ld *L, const cJSON *item, bool at_key)
{
    const struct scn_jnode *nd = scn_ld_node(L, item);
    if (!nd) return SIZE_MAX;
    if (at_key && nd->key_off != SCN_JNONE) return nd->key_off;
    return nd->val_off;
}

void scn_ld_where(struct scn_ld *L, const cJSON *item, bool at_key, char *buf, size_t n)
{
    size_t off = scn_ld_off(L, item, at_key);
    unsigned line = 0, col = 0;
    if (off != SIZE_MAX) scn_jscan_linecol(L->text, L->len, off, &line, &col);
    snprintf(buf, n, "%u:%u", line, col);
}

static bool scn_ld_verr(struct scn_ld *L, size_t off, const char *fmt, va_list ap) MS_PRINTF(3, 0);
static bool scn_ld_verr(struct scn_ld *L, size_t off, const char *fmt, va_list ap)
{
    if (L->failed) return false;
    L->failed = true;
    struct scn_error *e = L->err;
    if (!e) return false;
    memset(e, 0, sizeof *e);
    snprintf(e->file, sizeof e->file, "%s", L->file);
    if (off != SIZE_MAX) scn_jscan_linecol(L->text, L->len, off, &e->line, &e->col);
    snprintf(e->path, sizeof e->path, "%.240s%s", L->path[0] == '.' ? L->path + 1 : L->path,
             L->path_cut ? "..." : "");
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    char pos[32] = "";
    if (e->line) snprintf(pos, sizeof pos, "%u:%u:", e->line, e->col);
    snprintf(e->text, sizeof e->text, "%s:%s %s%s%s", e->file, pos, e->path, e->path[0] ? ": " : "",
             e->msg);
    return false;
}

bool scn_ld_err(struct scn_ld *L, const cJSON *item, bool at_key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_ld_verr(L, scn_ld_off(L, item, at_key), fmt, ap);
    va_end(ap);
    return false;
}

bool scn_ld_err_off(struct scn_ld *L, size_t off, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    scn_ld_verr(L, off, fmt, ap);
    va_end(ap);
    return false;
}

bool scn_ld_content(struct scn_ld *L, const cJSON *item, uint64_t n)
{
    if (L->failed) return false;
    L->content_bytes += n;
    if (L->content_bytes <= SCN_MAX_TOTAL_BYTES) return true;
    return scn_ld_err(L, item, false,
                      "attachments, pages and transfers add up to more than %llu bytes (1 GiB)",
                      (unsigned long long)SCN_MAX_TOTAL_BYTES);
}

/* ------------------------------------------------------------------ path */

static size_t scn_ld_push_raw(struct scn_ld *L, const char *piece)
{
    size_t mark = L->plen;
    size_t n = strlen(piece);
    if (L->plen + n + 1 > sizeof L->path) {
        L->path_cut = true;
        return mark;
    }
    memcpy(L->path + L->plen, piece, n + 1);
    L->plen += n;
    return mark;
}

size_t scn_ld_push_key(struct scn_ld *L, const char *key)
{
    /* Plain keys as .key; anything odd quoted, so the path stays readable. */
    size_t n = 0;
    bool plain = key[0] != '\0';
    for (const char *p = key; *p && plain; p++, n++) {
        plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '_' || *p == '$';
    }
    char buf[80];
    if (plain && n < 60) {
        buf[0] = '.';
        memcpy(buf + 1, key, n + 1);
    } else {
        char q[64];
        scn_ld_quote(key, q, sizeof q);
        snprintf(buf, sizeof buf, "[\"%s\"]", q);
    }
    return scn_ld_push_raw(L, buf);
}

size_t scn_ld_push_index(struct scn_ld *L, size_t i)
{
    char buf[32];
    snprintf(buf, sizeof buf, "[%zu]", i);
    return scn_ld_push_raw(L, buf);
}

void scn_ld_pop(struct scn_ld *L, size_t mark)
{
    if (mark <= L->plen) {
        L->plen = mark;
        L->path[mark] = '\0';
    }
}

/* ------------------------------------------------------------- messages */

void scn_ld_quote(const char *s, char *out, size_t n)
{
    size_t o = 0, i = 0;
    const size_t cut = 60;
    if (n == 0) return;
    while (s[i] && o + 8 < n) {
        unsigned char c = (unsigned char)s[i];
        if (i >= cut && (c & 0xC0) != 0x80) {
            o += (size_t)snprintf(out + o, n - o, "...");
            break;
        }
        if (c == '\r') {
            o += (size_t)snprintf(out + o, n - o, "\\r");
        } else if (c == '\n') {
            o += (size_t)snprintf(out + o, n - o, "\\n");
        } else if (c == '\t') {
            o += (size_t)snprintf(out + o, n - o, "\\t");
        } else if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, n - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
        i++;
    }
    /* Never end inside a UTF-8 sequence: drop an incomplete last character. */
    if (o > 0) {
        size_t k = o - 1;
        while (k > 0 && ((unsigned char)out[k] & 0xC0) == 0x80) k--;
        unsigned char lead = (unsigned char)out[k];
        if (lead >= 0xC0) {
            size_t need = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
            if (o - k < need) o = k;
        }
    }
    out[o] = '\0';
}

/* Bit i of mask; keys past 64 are always allowed. */
#define SCN_ALLOWED(mask, i) ((i) >= 64 || ((mask) >> (i)&1))

/* Optimal string alignment distance, bounded to short words. */
static size_t scn_ld_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 40 || lb > 40) return SIZE_MAX;
    size_t d[41][41];
    for (size_t i = 0; i <= la; i++) d[i][0] = i;
    for (size_t j = 0; j <= lb; j++) d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
            size_t v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v) v = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < v) v = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < v) {
                v = d[i - 2][j - 2] + 1;
            }
            d[i][j] = v;
        }
    }
    return d[la][lb];
}

const char *scn_ld_suggest(const char *word, const char *const *names, size_t n, uint64_t allowed)
{
    for (size_t i = 0; i < n; i++) {
        if (SCN_ALLOWED(allowed, i) && ascii_casecmp(word, names[i]) == 0) return names[i];
    }
    const char *best = NULL;
    size_t bestd = SIZE_MAX;
    size_t lw = strlen(word);
    size_t maxd = lw <= 3 ? 1 : lw <= 8 ? 2 : 3;
    for (size_t i = 0; i < n; i++) {
        if (!SCN_ALLOWED(allowed, i)) continue;
        size_t dist = scn_ld_distance(word, names[i]);
        if (dist <= maxd && dist < bestd) {
            best = names[i];
            bestd = dist;
        }
    }
    return best;
}

/* -------------------------------------------------------------- objects */

bool scn_ld_object(struct scn_ld *L, const cJSON *obj, const char *const *keys, size_t n,
                   uint64_t allowed, const char *what, const cJSON **out)
{
    if (L->failed) return false;
    if (!cJSON_IsObject(obj)) {
        return scn_ld_err(L, obj, false, "expected an object, not %s", scn_ld_typename(obj));
    }
    for (size_t i = 0; i < n; i++) out[i] = NULL;
    for (const cJSON *m = obj->child; m; m = m->next) {
        const char *k = m->string ? m->string : "";
        size_t i;
        for (i = 0; i < n; i++) {
            if (strcmp(k, keys[i]) == 0) break;
        }
        size_t mark = scn_ld_push_key(L, k);
        if (i == n || !SCN_ALLOWED(allowed, i)) {
            /* "$schema" lets editors find docs/scenario.schema.json. */
            if (i == n && strcmp(k, "$schema") == 0 && mark == 0) {
                if (!cJSON_IsString(m)) {
                    return scn_ld_err(L, m, false, "expected a string, not %s", scn_ld_typename(m));
                }
                scn_ld_pop(L, mark);
                continue;
            }
            if (i < n) {
                return scn_ld_err(L, m, true, "key \"%s\" does not apply to %s", keys[i], what);
            }
            const char *sug = scn_ld_suggest(k, keys, n, allowed);
            char q[64];
            scn_ld_quote(k, q, sizeof q);
            if (sug && ascii_casecmp(sug, k) == 0) {
                return scn_ld_err(
                    L, m, true, "unknown key \"%s\" (did you mean \"%s\"? keys are case-sensitive)",
                    q, sug);
            }
            if (sug)
                return scn_ld_err(L, m, true, "unknown key \"%s\" (did you mean \"%s\"?)", q, sug);
            return scn_ld_err(L, m, true, "unknown key \"%s\" in %s", q, what);
        }
        if (out[i]) {
            char where[32];
            scn_ld_where(L, out[i], true, where, sizeof where);
            return scn_ld_err(L, m, true, "duplicate key \"%s\" (first at %s)", keys[i], where);
        }
        out[i] = m;
        scn_ld_pop(L, mark);
    }
    return true;
}

bool scn_ld_require(struct scn_ld *L, const cJSON *obj, const cJSON *item, const char *key)
{
    if (L->failed) return false;
    if (item) return true;
    return scn_ld_err(L, obj, false, "missing required key \"%s\"", key);
}

bool scn_ld_array(struct scn_ld *L, const cJSON *item, size_t max, size_t *n)
{
    if (L->failed) return false;
    size_t mark = item && item->string ? scn_ld_push_key(L, item->string) : L->plen;
    if (!cJSON_IsArray(item)) {
        return scn_ld_err(L, item, false, "expected an array, not %s", scn_ld_typename(item));
    }
    size_t c = 0;
    for (const cJSON *e = item->child; e; e = e->next) c++;
    if (c > max) {
        return scn_ld_err(L, item, false, "%zu entries is more than the limit of %zu", c, max);
    }
    *n = c;
    scn_ld_pop(L, mark);
    return true;
}

/* Push the item's own key when it has one (members), for getters. */
static size_t scn_ld_enter(struct scn_ld *L, const cJSON *item)
{
    return item->string ? scn_ld_push_key(L, item->string) : L->plen;
}

/* ------------------------------------------------------------- validators */

static bool scn_is_alnum(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static const char *scn_check_controls(const char *s, bool multiline, char *buf, size_t n)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '\r' || *p == '\n') {
            if (multiline && *p == '\n') continue;
            if (multiline) return "contains a carriage return (write line breaks as \\n)";
            return "contains a line break (CR or LF), which would start a new line on the wire";
        }
        if ((*p < 0x20 && !(multiline && *p == '\t')) || *p == 0x7f) {
            snprintf(buf, n, "contains the control character 0x%02X", *p);
            return buf;
        }
    }
    return NULL;
}

static const char *scn_check_hostname(const char *s)
{
    size_t len = strlen(s);
    if (len == 0) return "is empty (expected a host name)";
    if (len > 253) return "is longer than 253 characters";
    size_t label = 0;
    for (size_t i = 0; i <= len; i++) {
        char c = s[i];
        if (c == '.' || c == '\0') {
            if (label == 0) return "has an empty label (two dots, or a dot at an end)";
            if (label > 63) return "has a label longer than 63 characters";
            if (s[i - 1] == '-') return "has a label ending with '-'";
            label = 0;
            continue;
        }
        if (!scn_is_alnum(c) && c != '-') {
            return "is not a host name (letters, digits, '-' and '.' only)";
        }
        if (label == 0 && c == '-') return "has a label starting with '-'";
        label++;
    }
    return NULL;
}

static const char *scn_check_local(const char *s, size_t len)
{
    if (len == 0) return "has an empty local part";
    if (len > 64) return "has a local part longer than 64 characters";
    if (s[0] == '.' || s[len - 1] == '.') return "has a local part starting or ending with '.'";
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '.' && s[i + 1] == '.') return "has \"..\" in its local part";
        if (!scn_is_alnum(c) && !strchr(".!#$%&'*+-/=?^_`{|}~", c)) {
            return "has a character not allowed in a local part (RFC 5321 dot-atom)";
        }
    }
    return NULL;
}

static const char *scn_check_seqset(const char *s)
{
    const char *p = s;
    if (!*p) return "is an empty sequence set";
    for (;;) {
        for (int side = 0; side < 2; side++) {
            if (*p == '*') {
                p++;
            } else if (*p >= '1' && *p <= '9') {
                uint64_t v = 0;
                while (*p >= '0' && *p <= '9') {
                    v = v * 10 + (uint64_t)(*p - '0');
                    if (v > 4294967295u) return "has a number over 4294967295";
                    p++;
                }
            } else {
                return "is not a sequence set (e.g. 1, 2:4, 1:*, 1,3)";
            }
            if (side == 0 && *p == ':') {
                p++;
                continue;
            }
            break;
        }
        if (*p == '\0') return NULL;
        if (*p != ',') return "is not a sequence set (e.g. 1, 2:4, 1:*, 1,3)";
        p++;
    }
}

/* The number of characters (UTF-8 code points) in s, which the loader has
 * already checked is valid UTF-8. */
static size_t scn_chars(const char *s)
{
    size_t n = 0;
    for (; *s; s++) n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

/* Limits are in characters where a person reads the text (names, titles,
 * questions), as JSON Schema's maxLength counts them; in bytes only where
 * the wire or the file system counts bytes (a header line's 998, a path's
 * 255). docs/scenario-format.md lists which is which. */
const char *scn_ld_check(const char *s, enum scn_strcls cls, char *buf, size_t n)
{
    size_t len = strlen(s);
    const char *why;
    switch (cls) {
    case SCN_SC_TEXT:
        if (len > 998) return "is longer than 998 bytes (a header line's limit)";
        return scn_check_controls(s, false, buf, n);
    case SCN_SC_NAME:
        if (len == 0) return "is empty";
        if (scn_chars(s) > 200) return "is longer than 200 characters";
        return scn_check_controls(s, false, buf, n);
    case SCN_SC_MULTILINE:
        if (len > SCN_MAX_TEXT_BYTES) return "is longer than 1 MiB";
        return scn_check_controls(s, true, buf, n);
    case SCN_SC_RAWTEXT:
        if (len > SCN_MAX_TEXT_BYTES) return "is longer than 1 MiB";
        for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
            if ((*p < 0x20 && *p != '\t' && *p != '\r' && *p != '\n') || *p == 0x7f) {
                snprintf(buf, n, "contains the control character 0x%02X", *p);
                return buf;
            }
        }
        return NULL;
    case SCN_SC_HOSTNAME:
    case SCN_SC_DOMAIN:
        return scn_check_hostname(s);
    case SCN_SC_LOCALPART:
        return scn_check_local(s, len);
    case SCN_SC_ADDRESS: {
        const char *at = strrchr(s, '@');
        if (!at) return "is not an address (expected user@domain)";
        if ((why = scn_check_local(s, (size_t)(at - s))) != NULL) return why;
        if ((why = scn_check_hostname(at + 1)) != NULL) {
            snprintf(buf, n, "has a bad domain: it %s", why + 3);
            return buf;
        }
        return NULL;
    }
    case SCN_SC_PASSWORD:
        if (len > 128) return "is longer than 128 characters";
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
                if (*p == '\r' || *p == '\n') {
                    return "contains a line break (CR or LF), which would start a new line on the wire";
                }
                return "must be printable ASCII without spaces";
            }
        }
        return NULL;
    case SCN_SC_MAILBOX:
        if (len == 0) return "is an empty mailbox name";
        if (scn_chars(s) > 200) return "is longer than 200 characters";
        if ((why = scn_check_controls(s, false, buf, n)) != NULL) return why;
        if (strpbrk(s, "*%")) return "contains '*' or '%', which are LIST wildcards";
        if (s[0] == '/' || s[0] == '~') return "must not start with '/' or '~'";
        for (const char *p = s; (p = strstr(p, "..")) != NULL; p++) {
            bool start = p == s || p[-1] == '/';
            bool end = p[2] == '\0' || p[2] == '/';
            if (start && end) return "contains \"..\" (mailbox names are never paths)";
        }
        return NULL;
    case SCN_SC_FLAG: {
        const char *p = s;
        if (*p == '\\') {
            static const char *const sys[] = {"\\Seen", "\\Answered", "\\Flagged", "\\Deleted",
                                              "\\Draft"};
            for (size_t i = 0; i < MS_ARRAY_LEN(sys); i++) {
                if (strcmp(s, sys[i]) == 0) return NULL;
            }
            return "is not a system flag (\\Seen, \\Answered, \\Flagged, \\Deleted, \\Draft)";
        }
        if (!*p) return "is an empty flag";
        if (len > 64) return "is longer than 64 characters";
        for (; *p; p++) {
            if (!scn_is_alnum(*p) && !strchr("$_-.", *p)) {
                return "is not a keyword (letters, digits, '$', '_', '-', '.')";
            }
        }
        return NULL;
    }
    case SCN_SC_CRITERIA:
        if (len == 0) return "is empty (use \"ALL\")";
        if (len > 1000) return "is longer than 1000 characters";
        if ((why = scn_check_controls(s, false, buf, n)) != NULL) return why;
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p >= 0x80) return "must be ASCII (8-bit text needs a CHARSET)";
        }
        return NULL;
    case SCN_SC_REPLY: {
        /* RFC 5321 §4.2: reply text is printable US-ASCII on one line; the
         * whole line, code and CRLF included, is at most 512 octets
         * (§4.5.3.1.5), so a template has room for its placeholders. */
        if ((why = scn_check_controls(s, false, buf, n)) != NULL) return why;
        if (len > 200)
            return "is longer than 200 characters (a reply line is at most 512 octets, RFC 5321 4.5.3.1.5)";
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p >= 0x80) return "must be printable ASCII (RFC 5321 4.2)";
            if (*p != '{') continue;
            static const char *const ph[] = {"{host}", "{client}", "{sender}", "{rcpt}"};
            size_t k = 0;
            while (k < 4 && strncmp(p, ph[k], strlen(ph[k])) != 0) k++;
            if (k == 4)
                return "has an unknown placeholder (use {host}, {client}, {sender} or {rcpt})";
        }
        return NULL;
    }
    case SCN_SC_SEQSET:
        if (len > 200) return "is longer than 200 characters";
        return scn_check_seqset(s);
    case SCN_SC_PART: {
        const char *p = s;
        for (;;) {
            if (!(*p >= '1' && *p <= '9')) return "is not a part number (e.g. 1, 2, 1.2)";
            size_t digits = 0;
            while (*p >= '0' && *p <= '9') {
                p++;
                if (++digits > 4) return "has a part number over 9999";
            }
            if (*p == '\0') return NULL;
            if (*p != '.') return "is not a part number (e.g. 1, 2, 1.2)";
            p++;
        }
    }
    case SCN_SC_MIMETYPE: {
        const char *slash = strchr(s, '/');
        if (!slash || slash == s || slash[1] == '\0' || strchr(slash + 1, '/') || len > 127) {
            return "is not a MIME type (e.g. image/jpeg)";
        }
        for (const char *p = s; *p; p++) {
            if (p != slash && !scn_is_alnum(*p) && !strchr("!#$&^_.+-", *p)) {
                return "is not a MIME type (e.g. image/jpeg)";
            }
        }
        return NULL;
    }
    case SCN_SC_FILENAME:
        if (len == 0) return "is an empty file name";
        if (scn_chars(s) > 200) return "is longer than 200 characters";
        if ((why = scn_check_controls(s, false, buf, n)) != NULL) return why;
        if (strpbrk(s, "/\\\"")) return "must not contain '/', '\\' or '\"'";
        return NULL;
    case SCN_SC_RELPATH:
        if (len == 0) return "is an empty path";
        if (len > 255) return "is longer than 255 bytes";
        if ((why = scn_check_controls(s, false, buf, n)) != NULL) return why;
        if (s[0] == '/') return "is an absolute path (files must sit next to the scenario)";
        if (strchr(s, '\\')) return "contains '\\' (use '/')";
        for (const char *p = s; *p;) {
            const char *e = strchr(p, '/');
            size_t cl = e ? (size_t)(e - p) : strlen(p);
            if (cl == 2 && p[0] == '.' && p[1] == '.') {
                return "leaves the scenario's folder (\"..\" is not allowed)";
            }
            if (cl == 0) return "has an empty path component";
            p += cl;
            if (*p == '/') p++;
        }
        return NULL;
    case SCN_SC_URLPATH:
        if (s[0] != '/') return "must start with '/'";
        if (len > 200) return "is longer than 200 characters";
        for (const char *p = s; *p; p++) {
            if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f) {
                return "must be printable ASCII without spaces";
            }
        }
        if (strstr(s, "/../") || (len >= 3 && strcmp(s + len - 3, "/..") == 0)) {
            return "contains \"..\"";
        }
        return NULL;
    case SCN_SC_ID:
        if (len == 0 || len > 64) return "must be 1 to 64 characters";
        for (const char *p = s; *p; p++) {
            if (!scn_is_alnum(*p) && !strchr("._-", *p)) {
                return "is not an id (letters, digits, '.', '_', '-')";
            }
        }
        return NULL;
    case SCN_SC_OBJNAME:
        if (len == 0 || len > 100) return "must be 1 to 100 characters";
        for (const char *p = s; *p; p++) {
            if (!scn_is_alnum(*p) && !strchr("._-", *p)) {
                return "is not an object name (letters, digits, '.', '_', '-')";
            }
        }
        if (s[0] == '.') return "must not start with '.'";
        return NULL;
    }
    return "is not valid";
}

/* --------------------------------------------------------------- getters */

bool scn_ld_str(struct scn_ld *L, const cJSON *item, enum scn_strcls cls, char **out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item) || !item->valuestring) {
        return scn_ld_err(L, item, false, "expected a string, not %s", scn_ld_typename(item));
    }
    char buf[128];
    const char *why = scn_ld_check(item->valuestring, cls, buf, sizeof buf);
    if (why) {
        char q[256];
        scn_ld_quote(item->valuestring, q, sizeof q);
        return scn_ld_err(L, item, false, "\"%s\" %s", q, why);
    }
    free(*out);
    *out = ms_xstrdup(item->valuestring);
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_bool(struct scn_ld *L, const cJSON *item, bool *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsBool(item)) {
        return scn_ld_err(L, item, false, "expected true or false, not %s", scn_ld_typename(item));
    }
    *out = cJSON_IsTrue(item);
    scn_ld_pop(L, mark);
    return true;
}

/* The number as written in the file, for messages. */
static void scn_ld_raw(struct scn_ld *L, const cJSON *item, char *buf, size_t n)
{
    const struct scn_jnode *nd = scn_ld_node(L, item);
    if (!nd) {
        snprintf(buf, n, "%g", item->valuedouble);
        return;
    }
    size_t len = nd->val_end - nd->val_off;
    if (len >= n) len = n - 1;
    memcpy(buf, L->text + nd->val_off, len);
    buf[len] = '\0';
}

bool scn_ld_uint(struct scn_ld *L, const cJSON *item, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsNumber(item)) {
        return scn_ld_err(L, item, false, "expected a whole number, not %s", scn_ld_typename(item));
    }
    char raw[80];
    scn_ld_raw(L, item, raw, sizeof raw);
    double v = item->valuedouble;
    if (!isfinite(v)) return scn_ld_err(L, item, false, "%s is not a finite number", raw);
    if (v != floor(v)) return scn_ld_err(L, item, false, "%s is not a whole number", raw);
    /* Compare as doubles first: no cast happens before the range is known. */
    if (v < (double)lo || v > (double)hi ||
        (hi >= (UINT64_C(1) << 53) && v >= 9007199254740992.0)) {
        return scn_ld_err(L, item, false, "%s is out of range (%llu to %llu)", raw,
                          (unsigned long long)lo, (unsigned long long)hi);
    }
    *out = (uint64_t)v;
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_double(struct scn_ld *L, const cJSON *item, double lo, double hi, bool hi_open,
                   double *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsNumber(item)) {
        return scn_ld_err(L, item, false, "expected a number, not %s", scn_ld_typename(item));
    }
    char raw[80];
    scn_ld_raw(L, item, raw, sizeof raw);
    double v = item->valuedouble;
    if (!isfinite(v)) return scn_ld_err(L, item, false, "%s is not a finite number", raw);
    if (v < lo || v > hi || (hi_open && v >= hi)) {
        return scn_ld_err(L, item, false, "%s is out of range (%g to %g%s)", raw, lo, hi,
                          hi_open ? ", not included" : "");
    }
    *out = v == 0 ? 0.0 : v; /* -0 becomes 0 */
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_dur(struct scn_ld *L, const cJSON *item, sim_us lo, sim_us hi, sim_us *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected a duration string like \"30m\", not %s",
                          scn_ld_typename(item));
    }
    const char *t = item->valuestring;
    char q[96], why[160], a[32], b[32];
    scn_ld_quote(t, q, sizeof q);
    if (t[0] == '-') {
        return scn_ld_err(L, item, false, "\"%s\" is negative (durations count forward from 0s)",
                          q);
    }
    sim_us v;
    if (!dur_parse(t, strlen(t), &v, why, sizeof why)) {
        return scn_ld_err(L, item, false, "%s", why);
    }
    if (!dur_is_canonical(t, strlen(t))) {
        return scn_ld_err(L, item, false,
                          "\"%s\" has a unit over its carry (24h, 60m, 60s, 1000ms, 1000us after a "
                          "larger unit): write \"%s\"",
                          q, dur_format(v, a, sizeof a));
    }
    if (v < lo) {
        if (lo == 1) return scn_ld_err(L, item, false, "\"%s\" must be more than 0s", q);
        return scn_ld_err(L, item, false, "\"%s\" is shorter than the minimum %s", q,
                          dur_format(lo, a, sizeof a));
    }
    if (v > hi) {
        return scn_ld_err(L, item, false, "\"%s\" is longer than the maximum %s", q,
                          dur_format(hi, b, sizeof b));
    }
    *out = v;
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_enum(struct scn_ld *L, const cJSON *item, const char *const *names, size_t n,
                 const char *what, unsigned *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected a string naming %s, not %s", what,
                          scn_ld_typename(item));
    }
    for (size_t i = 0; i < n; i++) {
        if (strcmp(item->valuestring, names[i]) == 0) {
            *out = (unsigned)i;
            scn_ld_pop(L, mark);
            return true;
        }
    }
    char q[96], list[256] = "";
    scn_ld_quote(item->valuestring, q, sizeof q);
    for (size_t i = 0; i < n; i++) {
        size_t o = strlen(list);
        snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", names[i]);
    }
    const char *sug = scn_ld_suggest(item->valuestring, names, n, UINT64_MAX);
    if (sug) {
        return scn_ld_err(L, item, false, "\"%s\" is not %s (did you mean \"%s\"?)", q, what, sug);
    }
    return scn_ld_err(L, item, false, "\"%s\" is not %s (one of %s)", q, what, list);
}

/* Parse "<digits>[.<digits>]<unit>" with unit from units[] (exact case).
 * Returns false when the text does not match. */
struct scn_unit {
    const char *name;
    uint64_t mult;
};

static bool scn_parse_scaled(const char *t, const struct scn_unit *units, size_t nu, uint64_t *out)
{
    const char *p = t;
    uint64_t ip = 0, frac = 0, fdiv = 1;
    if (!(*p >= '0' && *p <= '9')) return false;
    while (*p >= '0' && *p <= '9') {
        if (ip > UINT64_C(1000000000000)) return false;
        ip = ip * 10 + (uint64_t)(*p++ - '0');
    }
    if (*p == '.') {
        p++;
        if (!(*p >= '0' && *p <= '9')) return false;
        while (*p >= '0' && *p <= '9') {
            if (fdiv >= UINT64_C(1000000)) return false;
            frac = frac * 10 + (uint64_t)(*p++ - '0');
            fdiv *= 10;
        }
    }
    for (size_t i = 0; i < nu; i++) {
        if (strcmp(p, units[i].name) == 0) {
            uint64_t m = units[i].mult;
            if (ip > UINT64_MAX / m) return false;
            uint64_t v = ip * m;
            if (m >= fdiv) {
                v += frac * (m / fdiv);
            } else {
                v += frac * m / fdiv;
            }
            *out = v;
            return true;
        }
    }
    return false;
}

bool scn_ld_size(struct scn_ld *L, const cJSON *item, uint64_t lo, uint64_t hi, uint64_t *out)
{
    if (L->failed) return false;
    if (!item) return true;
    if (cJSON_IsNumber(item)) return scn_ld_uint(L, item, lo, hi, out);
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected a size (bytes, or like \"150kB\"), not %s",
                          scn_ld_typename(item));
    }
    static const struct scn_unit units[] = {
        {"B", 1},        {"kB", 1000},         {"KB", 1000},       {"KiB", 1024},
        {"MB", 1000000}, {"MiB", 1024 * 1024}, {"GB", 1000000000}, {"GiB", 1024u * 1024u * 1024u},
    };
    char q[96];
    scn_ld_quote(item->valuestring, q, sizeof q);
    uint64_t v;
    if (!scn_parse_scaled(item->valuestring, units, MS_ARRAY_LEN(units), &v)) {
        return scn_ld_err(L, item, false,
                          "\"%s\" is not a size (e.g. 2048, \"150kB\", \"2MB\", \"10MiB\")", q);
    }
    if (v < lo || v > hi) {
        return scn_ld_err(L, item, false, "\"%s\" is out of range (%llu to %llu bytes)", q,
                          (unsigned long long)lo, (unsigned long long)hi);
    }
    *out = v;
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_bandwidth(struct scn_ld *L, const cJSON *item, uint64_t *out)
{
    const uint64_t lo = 1000, hi = UINT64_C(100000000000);
    if (L->failed) return false;
    if (!item) return true;
    if (cJSON_IsNumber(item)) return scn_ld_uint(L, item, lo, hi, out);
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected a bandwidth like \"10Mbps\", not %s",
                          scn_ld_typename(item));
    }
    static const struct scn_unit units[] = {
        {"bps", 1}, {"kbps", 1000}, {"Kbps", 1000}, {"Mbps", 1000000}, {"Gbps", 1000000000},
    };
    char q[96];
    scn_ld_quote(item->valuestring, q, sizeof q);
    uint64_t v;
    if (!scn_parse_scaled(item->valuestring, units, MS_ARRAY_LEN(units), &v)) {
        return scn_ld_err(L, item, false,
                          "\"%s\" is not a bandwidth (e.g. \"10Mbps\", \"512kbps\", \"1Gbps\")", q);
    }
    if (v < lo || v > hi) {
        return scn_ld_err(L, item, false, "\"%s\" is out of range (1kbps to 100Gbps)", q);
    }
    *out = v;
    scn_ld_pop(L, mark);
    return true;
}

bool scn_ld_ipv4(struct scn_ld *L, const cJSON *item, uint32_t *out)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected an IPv4 address like \"192.0.2.1\", not %s",
                          scn_ld_typename(item));
    }
    const char *p = item->valuestring;
    uint32_t v = 0;
    bool ok = true;
    for (int i = 0; i < 4 && ok; i++) {
        if (!(*p >= '0' && *p <= '9')) {
            ok = false;
            break;
        }
        unsigned o = 0, nd = 0;
        const char *d0 = p;
        while (*p >= '0' && *p <= '9' && nd < 4) {
            o = o * 10 + (unsigned)(*p++ - '0');
            nd++;
        }
        if (o > 255 || nd > 3 || (nd > 1 && *d0 == '0')) ok = false;
        v = v << 8 | o;
        if (i < 3) {
            if (*p != '.') ok = false;
            p++;
        }
    }
    if (!ok || *p != '\0') {
        char q[96];
        scn_ld_quote(item->valuestring, q, sizeof q);
        return scn_ld_err(L, item, false, "\"%s\" is not an IPv4 address (e.g. \"192.0.2.1\")", q);
    }
    *out = v;
    scn_ld_pop(L, mark);
    return true;
}

int64_t scn_days_from_civil(int64_t y, unsigned m, unsigned d)
{
    /* Howard Hinnant's days_from_civil. */
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (int64_t)doe - 719468;
}

void scn_civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    unsigned doe = (unsigned)(z - era * 146097);
    unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t yy = (int64_t)yoe + era * 400;
    unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    unsigned mp = (5 * doy + 2) / 153;
    *d = doy - (153 * mp + 2) / 5 + 1;
    *m = mp < 10 ? mp + 3 : mp - 9;
    *y = yy + (*m <= 2);
}

static bool scn_digits(const char *p, int n, unsigned *v)
{
    *v = 0;
    for (int i = 0; i < n; i++) {
        if (!(p[i] >= '0' && p[i] <= '9')) return false;
        *v = *v * 10 + (unsigned)(p[i] - '0');
    }
    return true;
}

bool scn_ld_epoch(struct scn_ld *L, const cJSON *item, int64_t *out, int32_t *tz_min)
{
    if (L->failed) return false;
    if (!item) return true;
    size_t mark = scn_ld_enter(L, item);
    if (!cJSON_IsString(item)) {
        return scn_ld_err(L, item, false, "expected a date like \"2025-03-03T09:00:00Z\", not %s",
                          scn_ld_typename(item));
    }
    const char *t = item->valuestring;
    unsigned Y, M, D, h, mi, s, th = 0, tm = 0;
    int sign = 0;
    size_t len = strlen(t);
    bool ok = len >= 20 && scn_digits(t, 4, &Y) && t[4] == '-' && scn_digits(t + 5, 2, &M) &&
              t[7] == '-' && scn_digits(t + 8, 2, &D) && t[10] == 'T' &&
              scn_digits(t + 11, 2, &h) && t[13] == ':' && scn_digits(t + 14, 2, &mi) &&
              t[16] == ':' && scn_digits(t + 17, 2, &s);
    if (ok) {
        if (len == 20 && t[19] == 'Z') {
            sign = 0;
        } else if (len == 25 && (t[19] == '+' || t[19] == '-') && scn_digits(t + 20, 2, &th) &&
                   t[22] == ':' && scn_digits(t + 23, 2, &tm)) {
            sign = t[19] == '+' ? 1 : -1;
        } else {
            ok = false;
        }
    }
    static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    char q[96];
    scn_ld_quote(t, q, sizeof q);
    if (!ok) {
        return scn_ld_err(
            L, item, false,
            "\"%s\" is not a date and time (e.g. \"2025-03-03T09:00:00Z\" or \"...+01:00\")", q);
    }
    bool leap = (Y % 4 == 0 && Y % 100 != 0) || Y % 400 == 0;
    if (Y < 1970 || Y > 9999 || M < 1 || M > 12 || D < 1 || D > mdays[M - 1] ||
        (M == 2 && D == 29 && !leap) || h > 23 || mi > 59 || s > 59 || th > 14 || tm > 59) {
        return scn_ld_err(L, item, false,
                          "\"%s\" is not a valid date and time (years 1970 to 9999)", q);
    }
    int32_t tz = sign * (int32_t)(th * 60 + tm);
    int64_t days = scn_days_from_civil(Y, M, D);
    *out = days * 86400 + (int64_t)h * 3600 + (int64_t)mi * 60 + s - (int64_t)tz * 60;
    *tz_min = tz;
    scn_ld_pop(L, mark);
    return true;
}

/* ------------------------------------------------------------------ files */

bool scn_ld_read_file(struct scn_ld *L, const cJSON *item, const char *rel, unsigned char **data,
                      uint64_t *size)
{
    if (L->failed) return false;
    size_t mark = scn_ld_enter(L, item);
    char q[96];
    scn_ld_quote(rel, q, sizeof q);
    if (!L->base_dir) {
        return scn_ld_err(L, item, false, "\"%s\": attachment files need a scenario file on disk",
                          q);
    }
    int fd = open(L->base_dir, O_RDONLY | O_DIRECTORY);
    if (fd < 0) {
        return scn_ld_err(L, item, false, "\"%s\": cannot open the scenario's folder (%s)", q,
                          strerror(errno));
    }
    /* Walk the path one component at a time without following symlinks, so
     * a link next to the scenario cannot lead out of its folder. */
    char comp[256];
    const char *p = rel;
    for (;;) {
        const char *e = strchr(p, '/');
        size_t cl = e ? (size_t)(e - p) : strlen(p);
        if (cl >= sizeof comp) cl = sizeof comp - 1;
        memcpy(comp, p, cl);
        comp[cl] = '\0';
        int flags = O_RDONLY | O_NOFOLLOW | (e ? O_DIRECTORY : 0);
        int nfd = (cl == 1 && comp[0] == '.') ? dup(fd) : openat(fd, comp, flags);
        int saved = errno;
        close(fd);
        if (nfd < 0) {
            if (saved == ELOOP) {
                return scn_ld_err(L, item, false,
                                  "\"%s\" goes through a symbolic link, which is not allowed", q);
            }
            return scn_ld_err(L, item, false, "\"%s\" cannot be opened (%s)", q, strerror(saved));
        }
        fd = nfd;
        if (!e) break;
        p = e + 1;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return scn_ld_err(L, item, false, "\"%s\" is not a regular file", q);
    }
    if ((uint64_t)st.st_size > SCN_MAX_ATTACH_BYTES) {
        close(fd);
        return scn_ld_err(L, item, false, "\"%s\" is %llu bytes; the limit is %u", q,
                          (unsigned long long)st.st_size, SCN_MAX_ATTACH_BYTES);
    }
    if (L->file_bytes + (uint64_t)st.st_size > 4ull * SCN_MAX_ATTACH_BYTES) {
        close(fd);
        return scn_ld_err(L, item, false, "\"%s\": attachment files add up to more than %u bytes",
                          q, 4u * SCN_MAX_ATTACH_BYTES);
    }
    size_t want = (size_t)st.st_size, got = 0;
    unsigned char *buf = ms_xmalloc(want + 1);
    while (got < want) {
        ssize_t r = read(fd, buf + got, want - got);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got += (size_t)r;
    }
    close(fd);
    if (got != want) {
        free(buf);
        return scn_ld_err(L, item, false, "\"%s\" could not be read completely", q);
    }
    buf[got] = '\0';
    L->file_bytes += got;
    free(*data);
    *data = buf;
    *size = got;
    scn_ld_pop(L, mark);
    return true;
}
