/* bridge_util.c -- the parts of live mode that need no socket: port scheme,
 * HTTP request-line detection (X8, L1), the bridge's own closing replies,
 * error-reply detection and --listen address parsing (L2). */
#include "bridge/bridge.h"
#include "core/ascii.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

static const char *const bridge_proto_names[BRIDGE_PROTO_COUNT] = {
    "smtp", "submission", "pop3", "imap", "http", "submissions", "pop3s", "imaps",
};
static const uint16_t bridge_sim_ports[BRIDGE_PROTO_COUNT] = {25, 587, 110, 143, 80, 587, 110, 143};
/* Real port = base + offset + k * step (see bridge_port()). */
static const int32_t bridge_port_offsets[BRIDGE_PROTO_COUNT] = {25,   87,  -1390, -1357,
                                                                5580, -35, -505,  -507};

enum bridge_proto bridge_proto_plain(enum bridge_proto p)
{
    switch (p) {
    case BRIDGE_SUBMISSIONS:
        return BRIDGE_SUBMISSION;
    case BRIDGE_POP3S:
        return BRIDGE_POP3;
    case BRIDGE_IMAPS:
        return BRIDGE_IMAP;
    default:
        return p;
    }
}

bool bridge_proto_is_tls(enum bridge_proto p)
{
    return p == BRIDGE_SUBMISSIONS || p == BRIDGE_POP3S || p == BRIDGE_IMAPS;
}

const char *bridge_proto_name(enum bridge_proto p)
{
    return (unsigned)p < BRIDGE_PROTO_COUNT ? bridge_proto_names[p] : "?";
}

uint16_t bridge_sim_port(enum bridge_proto p)
{
    return (unsigned)p < BRIDGE_PROTO_COUNT ? bridge_sim_ports[p] : 0;
}

int32_t bridge_port(uint32_t base, uint32_t step, size_t k, enum bridge_proto p)
{
    if ((unsigned)p >= BRIDGE_PROTO_COUNT) return -1;
    if (base == 0) return 0;
    /* 64-bit arithmetic: no wrap-around for hostile base, step or k (X9). */
    if (k > 65535 || base > 65535 || step > 65535) return -1;
    int64_t port = (int64_t)base + bridge_port_offsets[p] + (int64_t)k * (int64_t)step;
    if (port < 1024 || port > 65535) return -1;
    return (int32_t)port;
}

static bool bridge_is_tchar_upper(char c)
{
    return (c >= 'A' && c <= 'Z') || c == '-' || c == '_';
}

bool bridge_is_http_request(const char *line, size_t len)
{
    static const char *const methods[] = {"GET",     "POST",   "PUT",   "HEAD", "OPTIONS",
                                          "CONNECT", "DELETE", "PATCH", "TRACE"};
    if (len && line[len - 1] == '\n') len--;
    if (len && line[len - 1] == '\r') len--;
    size_t m = 0;
    while (m < len && bridge_is_tchar_upper(line[m])) m++;
    if (m == 0 || m > 24 || m >= len || line[m] != ' ') return false;
    /* RFC 9112 §3: method SP request-target SP HTTP-version. */
    if (len >= m + 1 + 1 + 9) {
        const char *v = line + len - 9;
        if (v[0] == ' ' && memcmp(v + 1, "HTTP/", 5) == 0 && v[6] >= '0' && v[6] <= '9' &&
            v[7] == '.' && v[8] >= '0' && v[8] <= '9') {
            bool target = false;
            for (const char *t = line + m + 1; t < v; t++) {
                if (*t == ' ') return false; /* exactly three fields */
                target = true;
            }
            return target;
        }
    }
    /* A common method with an origin-form target, even without a version
     * (HTTP/0.9, or a line cut short). */
    for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++) {
        size_t ml = strlen(methods[i]);
        if (ml == m && memcmp(line, methods[i], ml) == 0 && m + 1 < len && line[m + 1] == '/')
            return true;
    }
    return false;
}

/* Texts per protocol family: SMTP, POP3, IMAP, HTTP. */
static const char *const bridge_why_text[BRIDGE_WHY_COUNT] = {
    "too many connections to the simulation, try again later",
    "this is a mail port, not a web server: HTTP request refused",
    "idle for too long, closing",
    "too many bad commands, closing",
    "mailsim is shutting down",
    "the simulated server cannot be reached (down, or not listening on this port)",
    "data arrived too slowly (a command line must arrive whole in time, data at 1 KiB/s)",
    "too many connections from your address, try again later",
};

size_t bridge_close_reply(enum bridge_proto p, enum bridge_close_why why, char *buf, size_t cap)
{
    if (!cap) return 0;
    p = bridge_proto_plain(p);
    const char *text = (unsigned)why < BRIDGE_WHY_COUNT ? bridge_why_text[why] : "closing";
    int n;
    switch (p) {
    case BRIDGE_SMTP:
    case BRIDGE_SUBMISSION:
        /* RFC 5321 §3.8 / §4.2.3: 421 "Service not available, closing
         * transmission channel". X8: the wrong-protocol answer of chasquid. */
        if (why == BRIDGE_WHY_HTTP)
            n = snprintf(buf, cap, "502 5.7.0 %s\r\n", text);
        else if (why == BRIDGE_WHY_IDLE || why == BRIDGE_WHY_SLOW)
            n = snprintf(buf, cap, "421 4.4.2 %s\r\n", text);
        else if (why == BRIDGE_WHY_SHUTDOWN)
            n = snprintf(buf, cap, "421 4.3.2 %s\r\n", text);
        else if (why == BRIDGE_WHY_UNREACHABLE)
            n = snprintf(buf, cap, "421 4.4.1 %s\r\n", text);
        else
            n = snprintf(buf, cap, "421 4.7.0 %s\r\n", text);
        break;
    case BRIDGE_POP3:
        n = snprintf(buf, cap, "-ERR %s\r\n", text); /* RFC 1939 §3 */
        break;
    case BRIDGE_IMAP:
        n = snprintf(buf, cap, "* BYE %s\r\n", text); /* RFC 3501 §7.1.5 */
        break;
    case BRIDGE_HTTP:
    default:
        n = snprintf(buf, cap,
                     "HTTP/1.1 503 Service Unavailable\r\nContent-Type: text/plain\r\n"
                     "Content-Length: %zu\r\nConnection: close\r\n\r\n%s\n",
                     strlen(text) + 1, text);
        break;
    }
    if (n < 0) n = 0;
    return (size_t)n < cap ? (size_t)n : cap - 1;
}

bool bridge_is_error_reply(enum bridge_proto p, const char *line, size_t len)
{
    switch (bridge_proto_plain(p)) {
    case BRIDGE_SMTP:
    case BRIDGE_SUBMISSION:
        /* 500 syntax, 501 arguments, 502 not implemented, 503 sequence,
         * 504 parameter not implemented (RFC 5321 §4.2.2). */
        return len >= 4 && line[0] == '5' && line[1] == '0' && line[2] >= '0' && line[2] <= '4' &&
               (line[3] == ' ' || line[3] == '-' || line[3] == '\r');
    case BRIDGE_POP3:
        return len >= 4 && memcmp(line, "-ERR", 4) == 0;
    case BRIDGE_IMAP: {
        /* "tag BAD ..." with a tag that is not "*" or "+". */
        size_t i = 0;
        while (i < len && line[i] != ' ') i++;
        if (i == 0 || (i == 1 && (line[0] == '*' || line[0] == '+'))) return false;
        return len >= i + 4 && memcmp(line + i, " BAD", 4) == 0 &&
               (len == i + 4 || line[i + 4] == ' ' || line[i + 4] == '\r');
    }
    default:
        return false;
    }
}

bool bridge_addr_parse(const char *text, struct bridge_addr *out, struct ms_error *err)
{
    memset(out, 0, sizeof *out);
    if (text && strlen(text) < sizeof out->text) {
        if (inet_pton(AF_INET, text, out->a) == 1) {
            out->family = AF_INET;
            out->loopback = out->a[0] == 127;
            snprintf(out->text, sizeof out->text, "%s", text);
            return true;
        }
        if (inet_pton(AF_INET6, text, out->a) == 1) {
            static const unsigned char one[16] = {[15] = 1};
            out->family = AF_INET6;
            out->loopback = memcmp(out->a, one, 16) == 0;
            snprintf(out->text, sizeof out->text, "%s", text);
            return true;
        }
    }
    return ms_error_set(err, 1, "--listen",
                        "\"%.64s\" is not a literal IP address (e.g. 127.0.0.1, ::1); host names "
                        "are refused",
                        text ? text : "");
}

void bridge_cfg_default(struct bridge_cfg *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    bridge_addr_parse("127.0.0.1", &cfg->listen, NULL);
    cfg->port_base = 2500;
    cfg->port_step = 10000;
    cfg->max_conns = BRIDGE_MAX_CONNS_DEFAULT;
    cfg->max_per_addr = BRIDGE_MAX_PER_ADDR_DEFAULT;
    cfg->pending_ms = BRIDGE_PENDING_MS;
    cfg->trace_keep = BRIDGE_TRACE_KEEP_DEFAULT;
    cfg->idle_ms = 0;
}

int64_t bridge_idle_ms(const struct bridge_cfg *cfg, enum bridge_proto p)
{
    if (cfg->idle_ms > 0) return cfg->idle_ms;
    switch (p) {
    case BRIDGE_POP3:
        return BRIDGE_IDLE_POP3_MS;
    case BRIDGE_IMAP:
        return BRIDGE_IDLE_IMAP_MS;
    case BRIDGE_HTTP:
        return BRIDGE_IDLE_HTTP_MS;
    default:
        return BRIDGE_IDLE_SMTP_MS;
    }
}
