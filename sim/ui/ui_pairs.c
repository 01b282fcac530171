/* ui_pairs.c -- which command each reply answers, for the dialogue panel
 * and the sequence diagram: one function over the lines of a connection.
 *
 * Today it reads the lines' bytes (reply codes, "354", the lone dot, IMAP
 * tags); when the trace carries typed line facts (verb, reply code, data
 * flag), this is the one place to switch to them.
 *   SMTP: replies answer commands in order, as pipelining needs (RFC 2920
 *         §3.1, RFC 5321 §4.2: "250-" continues a reply); the lines between
 *         a 354 and the lone dot are message text (RFC 5321 §4.1.1.4).
 *   POP3: "+OK" / "-ERR" answers the oldest open command; other server
 *         lines continue a multi-line response (RFC 1939 §3).
 *   IMAP: a tagged status answers the command with its tag; untagged "*"
 *         and "+" lines belong to the command in progress (RFC 9051 §2.2.2).
 *   HTTP and others: a server line answers the oldest open command. */
#include <string.h>
#include <strings.h>

#include "ui/ui_int.h"

static bool ui_pair_dot(const uint8_t *d, size_t len)
{
    return len >= 1 && d[0] == '.' && (len == 1 || d[1] == '\r' || d[1] == '\n');
}

/* The IMAP tag of a line (up to the first space) into tag; its length. */
static size_t ui_pair_tag(const uint8_t *d, size_t len, char *tag, size_t cap)
{
    size_t n = 0;
    while (n < len && n + 1 < cap && d[n] != ' ' && d[n] != '\r' && d[n] != '\n') {
        tag[n] = (char)d[n];
        n++;
    }
    tag[n] = '\0';
    return n;
}

void ui_pairs(const struct ui_model *m, uint32_t conn, struct ui_dline *out)
{
    const size_t *a = m->conn_lines + m->conn_off[conn];
    size_t n = m->conn_off[conn + 1] - m->conn_off[conn];
    if (n == 0) return;
    const struct trace_line *l0 = trace_as_line(trace_get(m->tr, a[0]));
    const char *proto = trace_str(m->tr, l0->proto);
    bool smtp = strcasecmp(proto, "SMTP") == 0, pop3 = strcasecmp(proto, "POP3") == 0;
    bool imap = strcasecmp(proto, "IMAP") == 0;
    bool other = !smtp && !pop3 && !imap; /* HTTP: a request line, a status line */
    uint16_t cmds[256]; /* open commands, oldest first: their numbers */
    size_t head = 0, count = 0;
    uint16_t next = 1, last_reply = 0;
    bool greeted = false, in_data = false, in_reply = false;
    char tags[256][16]; /* IMAP: the tag of each command number (mod 256) */
    for (size_t i = 0; i < n; i++) {
        const struct trace_rec *r = trace_get(m->tr, a[i]);
        const struct trace_line *l = trace_as_line(r);
        size_t len;
        const uint8_t *d = trace_data(r, &len);
        struct ui_dline *o = &out[i];
        o->kind = UI_DL_OTHER;
        o->pair = 0;
        if (l->side == 'C') {
            if (smtp && in_data && !ui_pair_dot(d, len)) {
                o->kind = UI_DL_DATA;
                continue;
            }
            if (smtp && in_data) in_data = false; /* the dot: its reply is the message's */
            if (other && !(len > 4 && d[0] >= 'A' && d[0] <= 'Z' && memchr(d, ' ', len))) {
                o->kind = UI_DL_DATA; /* a header or body line of the request */
                continue;
            }
            o->kind = UI_DL_CMD;
            o->pair = next++;
            if (next == 0) next = 1;
            if (imap) ui_pair_tag(d, len, tags[o->pair % 256], sizeof tags[0]);
            if (count < MS_ARRAY_LEN(cmds)) cmds[(head + count++) % MS_ARRAY_LEN(cmds)] = o->pair;
            continue;
        }
        /* A server line. */
        if (smtp) {
            bool first = !in_reply;
            in_reply = len >= 4 && d[3] == '-';
            if (!first) {
                o->kind = UI_DL_MORE;
                o->pair = last_reply;
                continue;
            }
            if (!greeted) {
                greeted = true;
                o->kind = UI_DL_GREETING;
                last_reply = 0;
            } else if (count) {
                o->kind = UI_DL_REPLY;
                o->pair = last_reply = cmds[head];
                head = (head + 1) % MS_ARRAY_LEN(cmds);
                count--;
            } else {
                o->kind = UI_DL_REPLY;
                last_reply = 0;
            }
            if (len >= 3 && memcmp(d, "354", 3) == 0) in_data = true;
            continue;
        }
        if (imap) {
            char tag[16];
            ui_pair_tag(d, len, tag, sizeof tag);
            if (strcmp(tag, "*") == 0 || strcmp(tag, "+") == 0) {
                o->kind = greeted ? UI_DL_MORE : UI_DL_GREETING;
                greeted = true;
                o->pair = count ? cmds[head] : 0;
                continue;
            }
            greeted = true;
            o->kind = UI_DL_REPLY;
            for (size_t k = 0; k < count; k++) {
                uint16_t c = cmds[(head + k) % MS_ARRAY_LEN(cmds)];
                if (strcmp(tags[c % 256], tag) != 0) continue;
                o->pair = c;
                /* Close it: the ones before it stay open (rare). */
                for (size_t j = k; j > 0; j--)
                    cmds[(head + j) % MS_ARRAY_LEN(cmds)] = cmds[(head + j - 1) % MS_ARRAY_LEN(cmds)];
                head = (head + 1) % MS_ARRAY_LEN(cmds);
                count--;
                break;
            }
            continue;
        }
        bool status = pop3 ? len >= 3 && (memcmp(d, "+OK", 3) == 0 || memcmp(d, "-ER", 3) == 0)
                           : len >= 5 && memcmp(d, "HTTP/", 5) == 0;
        if (!greeted) {
            greeted = true;
            if (pop3 || !count) {
                o->kind = UI_DL_GREETING;
                continue;
            }
        }
        if (status && count) {
            o->kind = UI_DL_REPLY;
            o->pair = last_reply = cmds[head];
            head = (head + 1) % MS_ARRAY_LEN(cmds);
            count--;
        } else {
            o->kind = UI_DL_MORE;
            o->pair = last_reply;
        }
    }
}
