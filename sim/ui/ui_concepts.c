/* ui_concepts.c -- the concepts of the e-mail lessons made visible, each
 * from the trace's typed facts (host kinds of the scenario, line flags,
 * verbs, reply codes, the pairing of ui_pairs.c), never from names or the
 * display text: the role caption under a host, the call-outs of the
 * dialogue (the blank line between header and body, the end-of-data dot),
 * the meaning of each EHLO extension line, the rows of the whole-connection
 * view (N) and the counts a student can check (push against pull). */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "ui/ui_int.h"

/* ---- host roles ------------------------------------------------------------------ */

const char *ui_host_role(const struct ui_model *m, size_t h)
{
    if (h >= m->nh) return NULL;
    switch (m->hosts[h].role) {
    case SCN_HOST_PC:
    case SCN_HOST_LAPTOP:
    case SCN_HOST_PHONE:
        return "user agent";
    case SCN_HOST_BROWSER:
        return "web browser";
    case SCN_HOST_MAIL_SERVER:
        return "mail server";
    case SCN_HOST_ROUTER:
        return "router";
    case SCN_HOST_DNS:
        return "DNS server";
    case SCN_HOST_WEB_SERVER:
        return "web server";
    default:
        return NULL;
    }
}

/* ---- the lines of a connection ---------------------------------------------------- */

/* The position of LINE_SENT record rec among its connection's lines, with
 * the connection's range [*c0, *c1) of m->conn_lines; false when rec is not
 * a line sent. */
static bool ui_line_pos(const struct ui_model *m, size_t rec, const struct trace_line **l,
                        size_t *c0, size_t *c1, size_t *pos)
{
    const struct trace_rec *r = rec < m->n ? trace_get(m->tr, rec) : NULL;
    *l = r && r->kind == TR_LINE_SENT ? trace_as_line(r) : NULL;
    if (!*l || (*l)->conn >= m->n_conns) return false;
    *c0 = m->conn_off[(*l)->conn];
    *c1 = m->conn_off[(*l)->conn + 1];
    size_t p = *c0 + ui_lower(m->conn_lines + *c0, *c1 - *c0, rec);
    if (p >= *c1 || m->conn_lines[p] != rec) return false;
    *pos = p;
    return true;
}

/* Nothing but its end of line (CRLF, or LF where a bare LF ends lines). */
static bool ui_line_empty(const struct trace_rec *r)
{
    size_t n;
    const uint8_t *d = trace_data(r, &n);
    return n == 0 || (n == 1 && d[0] == '\n') || (n == 2 && d[0] == '\r' && d[1] == '\n');
}

static bool ui_proto_is(const struct ui_model *m, const struct trace_line *l, const char *name)
{
    return strcmp(trace_str(m->tr, l->proto), name) == 0;
}

/* The next line of the connection from the same side after position p
 * (within [p, c1)), or NULL. */
static const struct trace_line *ui_next_same(const struct ui_model *m, size_t *p, size_t c1,
                                             uint8_t side)
{
    for (size_t i = *p + 1; i < c1; i++) {
        const struct trace_line *n = trace_as_line(trace_get(m->tr, m->conn_lines[i]));
        if (n->side == side) {
            *p = i;
            return n;
        }
    }
    return NULL;
}

#define UI_CO_LOOK 20000 /* lines looked back for the start of a message */

enum ui_callout ui_line_callout(const struct ui_model *m, size_t rec)
{
    const struct trace_line *l;
    size_t c0, c1, p;
    if (!ui_line_pos(m, rec, &l, &c0, &c1, &p)) return UI_CO_NONE;
    if (l->side == 'C' && (l->flags & TRACE_LF_DATA) && ui_proto_is(m, l, "SMTP")) {
        /* The message line the end-of-data reply answers: the lone dot. */
        const struct ui_dline *d = ui_model_dline(m, rec);
        if (d && d->kind == UI_DL_CMD) return UI_CO_END_OF_DATA;
    }
    const unsigned inner = TRACE_LF_DATA | TRACE_LF_CONT;
    if (!(l->flags & inner) || !ui_line_empty(trace_get(m->tr, rec))) return UI_CO_NONE;
    /* The first empty line since the line that began the message or the
     * response (a command, a reply's first line: neither DATA nor CONT). */
    size_t stop = p - c0 > UI_CO_LOOK ? p - UI_CO_LOOK : c0;
    for (size_t i = p; i-- > stop;) {
        const struct trace_rec *r = trace_get(m->tr, m->conn_lines[i]);
        const struct trace_line *b = trace_as_line(r);
        if (b->side != l->side) continue;
        if (!(b->flags & inner)) break;
        if (ui_line_empty(r)) return UI_CO_NONE;
    }
    /* A body follows when the next line is message text: in HTTP any, in
     * SMTP and POP3 one that is not the closing dot (a line follows it). */
    size_t q = p;
    const struct trace_line *n1 = ui_next_same(m, &q, c1, l->side);
    if (!n1 || !(n1->flags & TRACE_LF_DATA)) return UI_CO_BLANK_END;
    if (ui_proto_is(m, l, "HTTP")) return UI_CO_BLANK_BODY;
    const struct trace_line *n2 = ui_next_same(m, &q, c1, l->side);
    return n2 && (n2->flags & inner) ? UI_CO_BLANK_BODY : UI_CO_BLANK_END;
}

const char *ui_callout_text(enum ui_callout c)
{
    switch (c) {
    case UI_CO_BLANK_BODY:
        return "(blank line: header ends, body begins)";
    case UI_CO_BLANK_END:
        return "(blank line: the header ends)";
    case UI_CO_END_OF_DATA:
        return "(end of data: <CRLF>.<CRLF>)";
    default:
        return "";
    }
}

/* ---- EHLO extensions ------------------------------------------------------------- */

struct ui_ext_row {
    const char *kw;
    const char *meaning;
    const char *rfc;
};

/* The ehlo-keywords of the service extensions registered with IANA that a
 * student meets (RFC 5321 §2.2.2), what each lets the client do. */
static const struct ui_ext_row ui_ext_rows[] = {
    {"PIPELINING", "The client may send MAIL, RCPT and DATA without waiting for each reply",
     "RFC 2920 §3"},
    {"SIZE",
     "The largest message the server takes, in octets; MAIL may announce SIZE=", "RFC 1870 §4"},
    {"8BITMIME", "Bodies may hold 8-bit bytes; MAIL says BODY=8BITMIME", "RFC 6152 §2"},
    {"ENHANCEDSTATUSCODES", "Replies carry codes such as 2.1.0 after the reply code",
     "RFC 2034 §3"},
    {"STARTTLS", "The client may switch this connection to TLS before going on", "RFC 3207 §4"},
    {"AUTH", "The client may log in with one of the SASL mechanisms listed", "RFC 4954 §3"},
    {"SMTPUTF8", "Addresses and headers may be in UTF-8", "RFC 6531 §3.2"},
    {"DSN", "The client may ask for delivery status notifications", "RFC 3461 §4"},
    {"CHUNKING", "BDAT sends the message in chunks of a stated size, no dot", "RFC 3030 §2"},
    {"BINARYMIME", "Bodies may be binary (sent with BDAT)", "RFC 3030 §3"},
    {"HELP", "The server answers HELP", "RFC 5321 §4.1.1.8"},
    {"ETRN", "A client may ask the server to flush its queue for a domain", "RFC 1985 §4"},
    {"REQUIRETLS", "The message may demand TLS on every hop", "RFC 8689 §4"},
};

bool ui_ehlo_explain(const struct ui_model *m, size_t rec, char *kw, size_t kwlen,
                     const char **meaning, const char **rfc)
{
    *meaning = *rfc = "";
    if (kwlen) kw[0] = '\0';
    if (rec >= m->n) return false;
    const struct trace_rec *r = trace_get(m->tr, rec);
    const struct trace_line *l = trace_as_line(r);
    /* Typed: a server's further line of a positive reply to EHLO, and the
     * ehlo-keyword the server's engine wrote on it (RFC 5321 §4.1.1.1). */
    if (!l || l->side != 'S' || !(l->flags & TRACE_LF_CONT) || !(l->flags & TRACE_LF_OK) ||
        l->code / 100 != 2 || strcmp(trace_str(m->tr, l->verb), "EHLO") != 0 ||
        !ui_proto_is(m, l, "SMTP"))
        return false;
    const char *ext = trace_str(m->tr, l->ext);
    if (!*ext) return false;
    if (kwlen) snprintf(kw, kwlen, "%s", ext);
    for (size_t j = 0; j < MS_ARRAY_LEN(ui_ext_rows); j++) {
        if (strcasecmp(ext, ui_ext_rows[j].kw) == 0) {
            *meaning = ui_ext_rows[j].meaning;
            *rfc = ui_ext_rows[j].rfc;
            return true;
        }
    }
    return false;
}

/* ---- the whole connection (N) ---------------------------------------------------- */

#define UI_CONN_LOOK 4000 /* records looked at around a connection's lines */

static void ui_crow_add(struct ui_crow *out, size_t max, size_t *n, enum ui_crow_kind kind,
                        size_t rec, const char *text)
{
    if (*n < max) {
        out[*n].kind = kind;
        out[*n].rec = out[*n].last = rec;
        out[*n].verb[0] = '\0';
        out[*n].more = 0;
        snprintf(out[*n].text, sizeof out[*n].text, "%s", text);
    }
    (*n)++;
}

/* Append to row i's text (when it is kept). */
static void ui_crow_cat(struct ui_crow *out, size_t max, size_t i, size_t rec, const char *s)
{
    if (i >= max) return;
    size_t o = strlen(out[i].text);
    snprintf(out[i].text + o, sizeof out[i].text - o, "%s", s);
    if (rec > out[i].last) out[i].last = rec;
}

/* A transaction's row text once its end is known. */
static void ui_txn_text(struct ui_crow *out, size_t max, size_t i, unsigned no, unsigned rcpts,
                        bool data, unsigned lines, const char *reply, size_t rec)
{
    if (i >= max) return;
    char t[160];
    int o = snprintf(t, sizeof t, "message %u: MAIL ", no);
    if (rcpts == 1)
        o += snprintf(t + o, sizeof t - (size_t)o, "RCPT");
    else
        o += snprintf(t + o, sizeof t - (size_t)o, "%u\xc3\x97RCPT", rcpts);
    if (data) snprintf(t + o, sizeof t - (size_t)o, " DATA (%u lines)", lines);
    snprintf(out[i].text, sizeof out[i].text, "%s", t);
    if (reply[0]) {
        ui_crow_cat(out, max, i, rec, " \xe2\x86\x92 ");
        ui_crow_cat(out, max, i, rec, reply);
    }
}

size_t ui_conn_rows(const struct ui_model *m, uint32_t conn, struct ui_crow *out, size_t max,
                    unsigned *n_txn)
{
    size_t n = 0;
    *n_txn = 0;
    if (conn == 0 || conn >= m->n_conns || m->conn_off[conn] == m->conn_off[conn + 1]) return 0;
    const uint32_t *a = m->conn_lines + m->conn_off[conn];
    size_t na = m->conn_off[conn + 1] - m->conn_off[conn];
    /* The opening: the first CONN_OPENED of conn before its first line. */
    size_t lo = a[0] > UI_CONN_LOOK ? a[0] - UI_CONN_LOOK : 0;
    for (size_t k = lo; k < a[0]; k++) {
        const struct trace_rec *r = trace_get(m->tr, k);
        const struct trace_conn *c = r->kind == TR_CONN_OPENED ? trace_as_conn(r) : NULL;
        if (c && c->conn == conn) {
            char t[96];
            snprintf(t, sizeof t, "SYN: the TCP connection opens (port %u)", (unsigned)c->sport);
            ui_crow_add(out, max, &n, UI_CR_OPEN, k, t);
            break;
        }
    }
    size_t open_q[64]; /* rows waiting for a reply, oldest first */
    size_t qh = 0, qn = 0, last_reply = SIZE_MAX, txn = SIZE_MAX;
    unsigned rcpts = 0, lines = 0;
    bool data = false, in_req = false;
    char txn_reply[120] = "";
    for (size_t i = 0; i < na; i++) {
        const struct trace_rec *r = trace_get(m->tr, a[i]);
        const struct trace_line *l = trace_as_line(r);
        const char *verb = trace_str(m->tr, l->verb);
        size_t dlen;
        const uint8_t *d = trace_data(r, &dlen);
        char text[120];
        /* Commands whole; replies short (the dialogue has them in full). */
        ui_first_line(d, dlen, text, l->side == 'C' ? 60 : 34);
        if (l->side == 'C') {
            if (l->flags & TRACE_LF_DATA) { /* message text */
                if (txn != SIZE_MAX) lines++;
                if (txn != SIZE_MAX && txn < max && a[i] > out[txn].last) out[txn].last = a[i];
                continue;
            }
            if (in_req) { /* an HTTP request's header field; the empty line ends it */
                if (ui_line_empty(r)) in_req = false;
                continue;
            }
            bool smtp = ui_proto_is(m, l, "SMTP");
            size_t row;
            if (smtp && strcmp(verb, "MAIL") == 0) {
                row = txn = n;
                rcpts = lines = 0;
                data = false;
                txn_reply[0] = '\0';
                ++*n_txn;
                ui_crow_add(out, max, &n, UI_CR_TXN, a[i], "");
                ui_txn_text(out, max, txn, *n_txn, 0, false, 0, "", a[i]);
            } else if (smtp && txn != SIZE_MAX &&
                       (strcmp(verb, "RCPT") == 0 || strcmp(verb, "DATA") == 0)) {
                row = txn;
                if (verb[0] == 'R')
                    rcpts++;
                else
                    data = true;
                ui_txn_text(out, max, txn, *n_txn, rcpts, data, lines, txn_reply, a[i]);
            } else {
                txn = SIZE_MAX;
                row = n;
                ui_crow_add(out, max, &n, UI_CR_CMD, a[i], text);
                if (row < max) snprintf(out[row].verb, sizeof out[row].verb, "%s", verb);
                in_req = ui_proto_is(m, l, "HTTP");
            }
            if (qn < MS_ARRAY_LEN(open_q)) open_q[(qh + qn++) % MS_ARRAY_LEN(open_q)] = row;
            continue;
        }
        /* The server. */
        bool first = (l->flags & (TRACE_LF_OK | TRACE_LF_ERR)) &&
                     !(l->flags & (TRACE_LF_CONT | TRACE_LF_DATA));
        if (!first) {
            /* A further line of the reply in progress (CONT, DATA), or
             * data before a reply (IMAP's untagged lines, RFC 3501 §2.2.2):
             * the open command's. Before any command: the greeting. */
            size_t to =
                (l->flags & (TRACE_LF_CONT | TRACE_LF_DATA)) || !qn ? last_reply : open_q[qh];
            if (to == SIZE_MAX) {
                last_reply = n;
                ui_crow_add(out, max, &n, UI_CR_GREETING, a[i], text);
            } else if (to < max) {
                out[to].more++;
                if (a[i] > out[to].last) out[to].last = a[i];
            }
            continue;
        }
        size_t row;
        if ((l->flags & TRACE_LF_DATA_END) && txn != SIZE_MAX) {
            row = txn;
            snprintf(txn_reply, sizeof txn_reply, "%s", text);
            ui_txn_text(out, max, txn, *n_txn, rcpts, data, lines, txn_reply, a[i]);
            txn = SIZE_MAX;
            qn = 0; /* everything before the end of data is answered */
        } else if (qn) {
            row = open_q[qh];
            qh = (qh + 1) % MS_ARRAY_LEN(open_q);
            qn--;
            if (row < max && out[row].kind == UI_CR_TXN) {
                /* A refusal inside a transaction ends it (RFC 5321 §3.3). */
                if (l->flags & TRACE_LF_ERR) {
                    snprintf(txn_reply, sizeof txn_reply, "%s", text);
                    ui_txn_text(out, max, row, *n_txn, rcpts, data, lines, txn_reply, a[i]);
                }
                if (a[i] > out[row].last) out[row].last = a[i];
            } else {
                ui_crow_cat(out, max, row, a[i], " \xe2\x86\x92 ");
                ui_crow_cat(out, max, row, a[i], text);
            }
        } else { /* the greeting, or a reply to nothing (421 before closing) */
            row = n;
            ui_crow_add(out, max, &n, UI_CR_GREETING, a[i], text);
        }
        last_reply = row;
    }
    for (size_t i = 0; i < n && i < max; i++) {
        if (!out[i].more || out[i].kind == UI_CR_TXN) continue;
        char t[40];
        snprintf(t, sizeof t, " (+%u line%s)", out[i].more, out[i].more == 1 ? "" : "s");
        ui_crow_cat(out, max, i, out[i].last, t);
    }
    /* The close: the first CONN_CLOSED or CONN_RESET of conn after its
     * last line. */
    size_t hi = a[na - 1] + UI_CONN_LOOK < m->n ? a[na - 1] + UI_CONN_LOOK : m->n;
    for (size_t k = a[na - 1]; k < hi; k++) {
        const struct trace_rec *r = trace_get(m->tr, k);
        if (r->kind != TR_CONN_CLOSED && r->kind != TR_CONN_RESET) continue;
        const struct trace_conn *c = trace_as_conn(r);
        if (c->conn != conn) continue;
        ui_crow_add(out, max, &n, UI_CR_CLOSE, k,
                    r->kind == TR_CONN_CLOSED ? "FIN: the connection closes"
                                              : "RST: the connection is reset");
        break;
    }
    return n;
}

/* ---- counts ------------------------------------------------------------------------ */

size_t ui_tally_at(const struct ui_model *m, size_t step, struct ui_tally *out, size_t max)
{
    size_t n = 0;
    size_t upto = ui_lower(m->lines, m->n_lines, step);
    /* Per connection: whether an HTTP request is open (its header fields
     * follow), and whether the connection was counted. A small table of
     * the connections seen, by id. */
    uint32_t seen[256];
    bool in_req[256];
    size_t n_seen = 0;
    for (size_t i = 0; i < upto; i++) {
        const struct trace_rec *r = trace_get(m->tr, m->lines[i]);
        const struct trace_line *l = trace_as_line(r);
        uint32_t client = l->side == 'C' ? l->host : l->peer;
        uint32_t server = l->side == 'C' ? l->peer : l->host;
        size_t t = 0;
        while (t < n &&
               !(out[t].proto_id == l->proto && out[t].client == client && out[t].server == server))
            t++;
        if (t == n) {
            if (n == max) continue;
            memset(&out[n], 0, sizeof out[n]);
            out[n].proto = trace_str(m->tr, l->proto);
            out[n].proto_id = l->proto;
            out[n].client = client;
            out[n].server = server;
            n++;
        }
        struct ui_tally *y = &out[t];
        size_t s = 0;
        while (s < n_seen && seen[s] != l->conn) s++;
        if (s == n_seen) {
            if (n_seen == MS_ARRAY_LEN(seen)) { /* forget the oldest: a new one counts */
                memmove(seen, seen + 1, (n_seen - 1) * sizeof *seen);
                memmove(in_req, in_req + 1, (n_seen - 1) * sizeof *in_req);
                s = --n_seen;
            }
            seen[n_seen] = l->conn;
            in_req[n_seen++] = false;
            y->conns++;
        }
        const char *verb = trace_str(m->tr, l->verb);
        bool http = strcmp(y->proto, "HTTP") == 0;
        if (l->side == 'C') {
            if (l->flags & TRACE_LF_DATA) continue;
            if (http) {
                if (in_req[s]) {
                    if (ui_line_empty(r)) in_req[s] = false;
                    continue;
                }
                in_req[s] = true;
            }
            y->requests++;
            if (strcmp(verb, "RETR") == 0 || strcmp(verb, "FETCH") == 0) y->pulled++;
            continue;
        }
        bool first = (l->flags & (TRACE_LF_OK | TRACE_LF_ERR)) &&
                     !(l->flags & (TRACE_LF_CONT | TRACE_LF_DATA));
        if (!first) continue;
        if ((l->flags & TRACE_LF_DATA_END) && (l->flags & TRACE_LF_OK)) y->pushed++;
        if (http && l->code) y->responses++;
    }
    return n;
}

void ui_tally_text(const struct ui_model *m, const struct ui_tally *t, char *buf, size_t len)
{
    /* The counts first, the hosts last: a narrow panel cuts the names. */
    int o;
    if (strcmp(t->proto, "SMTP") == 0)
        o = snprintf(buf, len, "SMTP: %u message%s pushed", t->pushed, t->pushed == 1 ? "" : "s");
    else if (strcmp(t->proto, "HTTP") == 0)
        o = snprintf(buf, len, "HTTP: %u request%s, one object each (%u response%s)", t->requests,
                     t->requests == 1 ? "" : "s", t->responses, t->responses == 1 ? "" : "s");
    else if (strcmp(t->proto, "POP3") == 0)
        o = snprintf(buf, len, "POP3: %u command%s, %u message%s pulled (RETR)", t->requests,
                     t->requests == 1 ? "" : "s", t->pulled, t->pulled == 1 ? "" : "s");
    else /* IMAP: a FETCH may pull parts of many messages */
        o = snprintf(buf, len, "%s: %u command%s, %u FETCH", t->proto, t->requests,
                     t->requests == 1 ? "" : "s", t->pulled);
    if (o < 0 || (size_t)o >= len) return;
    snprintf(buf + o, len - (size_t)o, ", %u connection%s (%s \xe2\x86\x92 %s)", t->conns,
             t->conns == 1 ? "" : "s", trace_host_name(m->tr, t->client),
             trace_host_name(m->tr, t->server));
}
