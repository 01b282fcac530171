/* ui_quiz.c -- quiz mode: questions made from the trace.
 *
 * Before a server's reply to a command the quiz asks what the server will
 * answer; the right choice is the reply the engine really sent (the next
 * LINE_SENT by the server, read from the trace), the wrong ones are other
 * real replies to that command from a table (never one with the same code as
 * the real one). Before a queue's decision it asks what happens to the
 * message. Questions written in the scenario are asked at their time. The
 * order of the choices depends only on the record, so a lecture and its
 * rerun show the same quiz. */
#include <ctype.h>
#include <string.h>

#include "ui/ui_int.h"
#include "core/ascii.h"

/* Other real replies to a command (RFC 5321 §4.3.2 lists which codes each
 * command may get). "" as the command: the greeting. */
struct ui_quiz_row {
    const char *proto;
    const char *cmd;
    const char *replies[5];
};

static const struct ui_quiz_row ui_quiz_rows[] = {
    {"SMTP",
     "",
     {"220 mail.example.net ESMTP ready", "421 4.3.2 Service not available",
      "554 5.3.2 No SMTP service here"}},
    {"SMTP",
     "EHLO",
     {"250-mail.example.net Hello", "502 5.5.1 Command not implemented",
      "501 5.5.4 Syntax: EHLO hostname", "421 4.3.2 Shutting down"}},
    {"SMTP",
     "HELO",
     {"250 mail.example.net", "501 5.5.4 Syntax: HELO hostname", "421 4.3.2 Shutting down"}},
    {"SMTP",
     "MAIL",
     {"250 2.1.0 Ok", "451 4.3.0 Local error, try again later",
      "503 5.5.1 Error: nested MAIL command", "553 5.1.8 Bad sender address"}},
    {"SMTP",
     "RCPT",
     {"250 2.1.5 Ok", "550 5.1.1 No such user here", "450 4.2.1 Mailbox busy, try again later",
      "452 4.5.3 Too many recipients", "503 5.5.1 Error: need MAIL command"}},
    {"SMTP",
     "DATA",
     {"354 End data with <CR><LF>.<CR><LF>", "503 5.5.1 Error: need RCPT command",
      "554 5.5.1 No valid recipients", "451 4.3.0 Try again later"}},
    {"SMTP",
     ".",
     {"250 2.0.0 Ok: queued", "451 4.3.0 Error in processing, try again later",
      "552 5.3.4 Message too big", "554 5.7.1 Rejected as spam"}},
    {"SMTP", "QUIT", {"221 2.0.0 Bye", "250 2.0.0 Ok", "500 5.5.2 Command unrecognized"}},
    {"SMTP", "RSET", {"250 2.0.0 Ok", "500 5.5.2 Command unrecognized", "221 2.0.0 Bye"}},
    {"SMTP", "NOOP", {"250 2.0.0 Ok", "500 5.5.2 Command unrecognized", "221 2.0.0 Bye"}},
    {"SMTP",
     "*",
     {"250 2.0.0 Ok", "500 5.5.2 Command unrecognized", "502 5.5.1 Command not implemented"}},
    {"POP3", "", {"+OK POP3 server ready", "-ERR server busy"}},
    {"POP3", "*", {"+OK", "-ERR"}},
};

/* The first line of d without its CRLF, at most max - 1 bytes. */
static void ui_quiz_line(const uint8_t *d, size_t len, char *out, size_t max)
{
    size_t n = 0;
    while (n < len && d[n] != '\r' && d[n] != '\n' && n + 1 < max) {
        out[n] = (char)(d[n] >= 0x20 && d[n] < 0x7f ? d[n] : '?');
        n++;
    }
    out[n] = '\0';
}

/* Does reply a have the same code (SMTP: 3 digits; POP3: +OK / -ERR)? */
static bool ui_quiz_same(const char *a, const char *b)
{
    size_t n = 0;
    while (a[n] && a[n] != ' ' && a[n] != '-' && n < 4) n++;
    return strncmp(a, b, n) == 0 && (b[n] == '\0' || b[n] == ' ' || b[n] == '-');
}

/* The row for a command verb ("" for the greeting, "." for the end of the
 * message text), or the protocol's row for any other command. */
static const struct ui_quiz_row *ui_quiz_row_verb(const char *proto, const char *verb)
{
    const struct ui_quiz_row *any = NULL;
    for (size_t i = 0; i < MS_ARRAY_LEN(ui_quiz_rows); i++) {
        const struct ui_quiz_row *r = &ui_quiz_rows[i];
        if (ascii_casecmp(r->proto, proto) != 0) continue;
        if (strcmp(r->cmd, "*") == 0) any = r;
        if (ascii_casecmp(r->cmd, verb) == 0) return r;
    }
    return any;
}

/* Place the real answer among the wrong ones, at a position that depends
 * only on the record. */
static void ui_quiz_choices(struct ui_quiz *q, const char *real, const char *const *wrong,
                            size_t n_wrong)
{
    const char *pick[UI_QUIZ_CHOICES] = {NULL};
    size_t n = 0;
    for (size_t i = 0; i < n_wrong && n < 3; i++)
        if (wrong[i] && !ui_quiz_same(real, wrong[i])) pick[n++] = wrong[i];
    q->n_choices = n + 1;
    q->answer = q->rec % q->n_choices;
    size_t w = 0;
    for (size_t i = 0; i < q->n_choices; i++)
        snprintf(q->choices[i], sizeof q->choices[i], "%s", i == q->answer ? real : pick[w++]);
}

/* A server's first reply line to a command (or its greeting). */
static bool ui_quiz_reply(const struct ui_model *m, size_t k, struct ui_quiz *q)
{
    const struct trace_rec *r = trace_get(m->tr, k);
    const struct trace_line *l = trace_as_line(r);
    if (!l || r->kind != TR_LINE_SENT || l->side != 'S' || l->conn >= m->n_conns) return false;
    const char *proto = trace_str(m->tr, l->proto);
    if (ascii_casecmp(proto, "SMTP") != 0 && ascii_casecmp(proto, "POP3") != 0) return false;
    char cmd[128] = "";
    size_t which;
    if (!ui_model_reply_command(m, k, &which)) return false;
    bool dot = false;
    const char *verb = "";
    if (which != SIZE_MAX) {
        const struct trace_rec *cr = trace_get(m->tr, which);
        const struct trace_line *cl = trace_as_line(cr);
        size_t clen;
        const uint8_t *cd = trace_data(cr, &clen);
        ui_quiz_line(cd, clen, cmd, sizeof cmd); /* shown in the question */
        dot = (cl->flags & TRACE_LF_DATA) != 0;
        verb = dot ? "." : trace_str(m->tr, cl->verb);
        if (!dot && !verb[0]) verb = "?"; /* a command without a verb: the generic row */
    }
    const struct ui_quiz_row *row = ui_quiz_row_verb(proto, verb);
    if (!row) return false;
    size_t len;
    const uint8_t *d = trace_data(r, &len);
    char real[128];
    ui_quiz_line(d, len, real, sizeof real);
    if (!real[0]) return false;
    const char *server = trace_host_name(m->tr, l->host);
    if (!cmd[0])
        snprintf(q->question, sizeof q->question,
                 "%s has accepted the connection. What does its %s server say first?", server,
                 proto);
    else if (dot)
        snprintf(q->question, sizeof q->question,
                 "The client sent the lone dot that ends the message. What does %s answer?",
                 server);
    else
        snprintf(q->question, sizeof q->question, "What does %s answer to %s?", server, cmd);
    q->rec = k;
    ui_quiz_choices(q, real, row->replies, MS_ARRAY_LEN(row->replies));
    const char *meaning, *rfc;
    if (ui_rfc_explain(proto, real, strlen(real), &meaning, &rfc))
        snprintf(q->explain, sizeof q->explain, "%s (%s)", meaning, rfc);
    else
        q->explain[0] = '\0';
    return true;
}

/* A queue's decision on a message. */
static bool ui_quiz_decision(const struct ui_model *m, size_t k, struct ui_quiz *q)
{
    static const char *const what[] = {"It is delivered", "It stays queued and is retried later",
                                       "It bounces: a failure report goes back to the sender"};
    static const char *const rfc[] = {"RFC 5321 §6.1: the server has taken responsibility",
                                      "RFC 5321 §4.5.4.1: retry strategy (4yz reply or no answer)",
                                      "RFC 5321 §6.1, RFC 3464: a 5yz reply or the give-up time"};
    const struct trace_rec *r = trace_get(m->tr, k);
    int which = r->kind == TR_MSG_DELIVERED  ? 0
                : r->kind == TR_MSG_DEFERRED ? 1
                : r->kind == TR_MSG_BOUNCED  ? 2
                                             : -1;
    if (which < 0) return false;
    const struct trace_msg *mg = trace_as_msg(r);
    size_t len;
    const uint8_t *d = trace_data(r, &len);
    char why[128];
    ui_quiz_line(d, len, why, sizeof why);
    snprintf(q->question, sizeof q->question, "What happens to message %u at %s now?", mg->msg,
             trace_host_name(m->tr, mg->host));
    q->rec = k;
    q->n_choices = 3;
    q->answer = (size_t)which;
    for (size_t i = 0; i < 3; i++) snprintf(q->choices[i], sizeof q->choices[i], "%s", what[i]);
    snprintf(q->explain, sizeof q->explain, "%s%s%s", rfc[which], why[0] ? ". Reason: " : "", why);
    return true;
}

/* A question written in the scenario, asked before record k. */
static bool ui_quiz_written(const struct ui_model *m, size_t k, struct ui_quiz *q)
{
    const struct scn_scenario *s = m->scn;
    if (!s) return false;
    for (size_t i = 0; i < s->n_questions; i++) {
        const struct scn_question *sq = &s->questions[i];
        if (trace_lower_bound(m->tr, sq->at) != k) continue;
        q->rec = k;
        snprintf(q->question, sizeof q->question, "%s", sq->text);
        q->n_choices = sq->n_choices < UI_QUIZ_CHOICES ? sq->n_choices : UI_QUIZ_CHOICES;
        for (size_t c = 0; c < q->n_choices; c++)
            snprintf(q->choices[c], sizeof q->choices[c], "%s", sq->choices[c]);
        q->answer = sq->answer < q->n_choices ? sq->answer : 0;
        snprintf(q->explain, sizeof q->explain, "%s", sq->explain ? sq->explain : "");
        return true;
    }
    return false;
}

bool ui_quiz_at(const struct ui_model *m, size_t k, struct ui_quiz *q)
{
    if (k >= m->n) return false;
    memset(q, 0, sizeof *q);
    return ui_quiz_written(m, k, q) || ui_quiz_reply(m, k, q) || ui_quiz_decision(m, k, q);
}

size_t ui_quiz_next(const struct ui_model *m, size_t from)
{
    if (from >= m->n) return m->n;
    size_t best = m->n;
    struct ui_quiz q;
    for (size_t i = ui_lower(m->lines, m->n_lines, from); i < m->n_lines; i++)
        if (ui_quiz_reply(m, m->lines[i], &q)) {
            best = m->lines[i];
            break;
        }
    for (size_t i = ui_lower(m->msgs, m->n_msgs, from); i < m->n_msgs && m->msgs[i] < best; i++)
        if (ui_quiz_decision(m, m->msgs[i], &q)) {
            best = m->msgs[i];
            break;
        }
    for (size_t i = 0; m->scn && i < m->scn->n_questions; i++) {
        size_t k = trace_lower_bound(m->tr, m->scn->questions[i].at);
        if (k >= from && k < best) best = k;
    }
    return best;
}

bool ui_quiz_pick(struct ui_view *v, const struct ui_model *m, int i)
{
    struct ui_quiz q;
    if (v->overlay != UI_OV_QUIZ || v->quiz_shown || !ui_quiz_at(m, v->quiz_step, &q)) return false;
    if (i < 0 || (size_t)i >= q.n_choices) return false;
    v->quiz_pick = i;
    v->quiz_shown = true;
    v->quiz_asked++;
    if ((size_t)i == q.answer) v->quiz_right++;
    return true;
}

bool ui_quiz_reveal(struct ui_view *v)
{
    if (v->overlay != UI_OV_QUIZ || v->quiz_shown) return false;
    v->quiz_shown = true;
    v->quiz_asked++;
    return true;
}

bool ui_quiz_continue(struct ui_view *v, const struct ui_model *m)
{
    if (v->overlay != UI_OV_QUIZ) return false;
    (void)m;
    v->quiz_passed = v->quiz_step;
    v->overlay = UI_OV_NONE;
    v->playing = true;
    return true;
}
