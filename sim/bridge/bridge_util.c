/* bridge_util.c -- the parts of live mode that need no socket: port scheme,
 * defaults and --listen address parsing (L2). */
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
