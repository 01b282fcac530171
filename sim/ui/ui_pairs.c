/* ui_pairs.c -- which command each reply answers, for the dialogue panel
 * and the sequence diagram: one pass over the lines of a connection that
 * reads only the trace's typed line facts, never the lines' bytes (the same
 * rules as ui_model_reply_command, which answers for one line):
 *   - a client line with TRACE_LF_DATA is message text (SMTP DATA after 354,
 *     RFC 5321 §4.1.1.4; an HTTP request's header and body); the reply
 *     marked TRACE_LF_DATA_END answers the whole message, so the message's
 *     last line (the lone dot) becomes the command it pairs with;
 *   - any other client line is a command, numbered in the connection;
 *   - a server line that starts a reply answers the oldest open command, in
 *     order, as pipelining needs (RFC 2920 §3.1); the server's first words,
 *     with no verb, are the greeting;
 *   - TRACE_LF_CONT and server-side TRACE_LF_DATA lines continue a reply:
 *     "250-" lines, a POP3 multi-line response (RFC 1939 §3), IMAP untagged
 *     responses to the command in progress (RFC 3501 §2.2.2). */
#include <string.h>

#include "ui/ui_int.h"

enum {
    UI_PF_CLIENT = 1,   /* side 'C' */
    UI_PF_DATA = 2,     /* TRACE_LF_DATA */
    UI_PF_CONT = 4,     /* TRACE_LF_CONT */
    UI_PF_DATA_END = 8, /* TRACE_LF_DATA_END */
    UI_PF_NO_VERB = 16  /* a verb recorded, and empty: the greeting */
};

uint8_t ui_pairs_fact(const struct trace *tr, const struct trace_line *l)
{
    uint8_t f = 0;
    if (l->side == 'C') f |= UI_PF_CLIENT;
    if (l->flags & TRACE_LF_DATA) f |= UI_PF_DATA;
    if (l->flags & TRACE_LF_CONT) f |= UI_PF_CONT;
    if (l->flags & TRACE_LF_DATA_END) f |= UI_PF_DATA_END;
    if (l->verb != TRACE_NONE && trace_str(tr, l->verb)[0] == '\0') f |= UI_PF_NO_VERB;
    return f;
}

void ui_pairs(const uint8_t *facts, size_t n, struct ui_dline *out)
{
    uint16_t cmds[256]; /* open commands, oldest first: their numbers */
    size_t head = 0, count = 0, last_data = SIZE_MAX;
    uint16_t next = 1, last_reply = 0;
    bool greeted = false, in_reply = false;
    for (size_t i = 0; i < n; i++) {
        uint8_t l = facts[i];
        struct ui_dline *o = &out[i];
        o->kind = UI_DL_OTHER;
        o->pair = 0;
        if (l & UI_PF_CLIENT) {
            in_reply = false;
            if (l & UI_PF_DATA) {
                o->kind = UI_DL_DATA;
                last_data = i;
                continue;
            }
            o->kind = UI_DL_CMD;
            o->pair = next++;
            if (next == 0) next = 1;
            if (count < MS_ARRAY_LEN(cmds)) cmds[(head + count++) % MS_ARRAY_LEN(cmds)] = o->pair;
            continue;
        }
        if (l & (UI_PF_CONT | UI_PF_DATA)) {
            o->kind = UI_DL_MORE;
            o->pair = in_reply || !count ? last_reply : cmds[head];
            continue;
        }
        in_reply = true;
        if (l & UI_PF_DATA_END && last_data != SIZE_MAX) {
            /* The reply to the whole message: its last line asked it. */
            out[last_data].kind = UI_DL_CMD;
            out[last_data].pair = next++;
            if (next == 0) next = 1;
            o->kind = UI_DL_REPLY;
            o->pair = last_reply = out[last_data].pair;
            last_data = SIZE_MAX;
        } else if (!greeted && (l & UI_PF_NO_VERB)) {
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
        greeted = true;
    }
}
