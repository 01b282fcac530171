/* ui_msgview.c -- what the message view (M, or a click on an envelope)
 * shows at a host and a step, as data: the message, its life so far, and
 * the copy the host holds with its header and MIME outline, all read from
 * the trace's message copies (trace_add_msg_copy). The view decodes
 * nothing: the outline was made when the copy was taken. */
#include <inttypes.h>
#include <string.h>

#include "trace/export.h"
#include "ui/ui_int.h"

/* The latest copy of msg (any msg when msg == 0) at host (any host when
 * host == TRACE_NONE) taken by step: copies taken after records [0, before)
 * exist at every step >= before. */
static const struct trace_msg_copy *ui_mv_copy(const struct trace *tr, size_t step, uint32_t msg,
                                               uint32_t host)
{
    const struct trace_msg_copy *best = NULL;
    for (size_t i = 0; i < trace_msg_copy_count(tr); i++) {
        const struct trace_msg_copy *c = trace_msg_copy_get(tr, i);
        if (c->before > step) break; /* copies are recorded in order */
        if ((msg == 0 || c->msg == msg) && (host == TRACE_NONE || c->host == host)) best = c;
    }
    return best;
}

void ui_msgview_at(const struct ui_model *m, size_t step, uint32_t host, struct ui_msgview *mv)
{
    const struct trace *tr = m->tr;
    memset(mv, 0, sizeof *mv);
    mv->host = host;
    mv->step = step;
    mv->sender = mv->rcpt = mv->msgid = TRACE_NONE;
    if (step > m->n) step = m->n;
    size_t upto = ui_lower(m->msgs, m->n_msgs, step); /* MSG records before the step */
    size_t last = SIZE_MAX;
    for (size_t i = upto; i-- > 0;) {
        const struct trace_msg *ms = trace_as_msg(trace_get(tr, m->msgs[i]));
        if (ms->host == host || ms->peer == host) {
            last = m->msgs[i];
            break;
        }
    }
    /* A copy taken after that record is newer news. */
    const struct trace_msg_copy *here = ui_mv_copy(tr, step, 0, host);
    if (here && (last == SIZE_MAX || here->before > last))
        mv->msg = here->msg;
    else if (last != SIZE_MAX)
        mv->msg = trace_as_msg(trace_get(tr, last))->msg;
    else
        return;
    mv->found = true;
    for (size_t i = 0; i < upto; i++) {
        const struct trace_msg *ms = trace_as_msg(trace_get(tr, m->msgs[i]));
        if (ms->msg != mv->msg) continue;
        if (mv->n_events < UI_MSGVIEW_EVENTS) mv->events[mv->n_events] = m->msgs[i];
        mv->n_events++;
        if (ms->sender != TRACE_NONE) mv->sender = ms->sender;
        if (ms->rcpt != TRACE_NONE && mv->rcpt == TRACE_NONE) mv->rcpt = ms->rcpt;
        if (ms->msgid != TRACE_NONE) mv->msgid = ms->msgid;
    }
    mv->copy = ui_mv_copy(tr, step, mv->msg, host);
    mv->copy_here = mv->copy != NULL;
    if (!mv->copy) mv->copy = ui_mv_copy(tr, step, mv->msg, TRACE_NONE);
    if (mv->copy && mv->copy->msgid != TRACE_NONE) mv->msgid = mv->copy->msgid;
}

bool ui_msgview_holds(const struct ui_model *m, size_t step, uint32_t host)
{
    return ui_mv_copy(m->tr, step, 0, host) != NULL;
}

bool ui_msgview_part(const struct ui_model *m, const struct ui_msgview *mv, size_t i,
                     struct trace_mime_part *out)
{
    if (!mv->copy || i >= mv->copy->n_parts) return false;
    trace_msg_copy_part(m->tr, mv->copy, i, out);
    return true;
}

static void ui_mv_json_str(FILE *f, const char *key, const struct trace *tr, uint32_t id)
{
    fprintf(f, ",\"%s\":", key);
    if (id == TRACE_NONE) {
        fputs("null", f);
        return;
    }
    const char *s = trace_str(tr, id);
    jsonl_write_string(f, s, strlen(s));
}

/* The interned bytes of id as lowercase hex (they may hold NULs, so the
 * length is the interned length: trace_str is NUL-terminated, not sized). */
static void ui_mv_json_hex(FILE *f, const char *key, const struct trace *tr, uint32_t id,
                           size_t len)
{
    const uint8_t *p = (const uint8_t *)trace_str(tr, id);
    fprintf(f, ",\"%s\":\"", key);
    for (size_t i = 0; i < len; i++) fprintf(f, "%02x", p[i]);
    fputc('"', f);
}

int ui_msgview_write_json(FILE *f, const struct ui_model *m, const struct ui_msgview *mv)
{
    const struct trace *tr = m->tr;
    const char *hn = trace_host_name(tr, mv->host);
    fprintf(f, "{\"step\":%zu,\"host\":", mv->step);
    jsonl_write_string(f, hn, strlen(hn));
    fprintf(f, ",\"found\":%s", mv->found ? "true" : "false");
    if (mv->found) {
        fprintf(f, ",\"msg\":%" PRIu32, mv->msg);
        ui_mv_json_str(f, "message_id", tr, mv->msgid);
        ui_mv_json_str(f, "sender", tr, mv->sender);
        ui_mv_json_str(f, "rcpt", tr, mv->rcpt);
        fputs(",\"events\":[", f);
        size_t shown = mv->n_events < UI_MSGVIEW_EVENTS ? mv->n_events : UI_MSGVIEW_EVENTS;
        for (size_t i = 0; i < shown; i++) {
            const struct trace_rec *r = trace_get(tr, mv->events[i]);
            const char *hname = trace_host_name(tr, trace_as_msg(r)->host);
            fprintf(f, "%s{\"step\":%zu,\"kind\":\"%s\",\"host\":", i ? "," : "", mv->events[i] + 1,
                    trace_kind_name((enum trace_kind)r->kind));
            jsonl_write_string(f, hname, strlen(hname));
            fputc('}', f);
        }
        fputc(']', f);
    }
    if (mv->copy) {
        const struct trace_msg_copy *c = mv->copy;
        const char *ch = trace_host_name(tr, c->host);
        fputs(",\"copy_host\":", f);
        jsonl_write_string(f, ch, strlen(ch));
        fprintf(f, ",\"size\":%" PRIu64, c->size);
        char hdr[TRACE_COPY_HEADER_MAX + 1];
        trace_msg_copy_header(tr, c, hdr, sizeof hdr);
        fputs(",\"header\":", f); /* up to a NUL, as the view draws it */
        jsonl_write_string(f, hdr, strlen(hdr));
        fputs(",\"parts\":[", f);
        for (size_t i = 0; i < c->n_parts; i++) {
            struct trace_mime_part pv;
            if (!ui_msgview_part(m, mv, i, &pv)) break;
            const struct trace_mime_part *p = &pv;
            fprintf(f, "%s{\"depth\":%" PRIu32, i ? "," : "", p->depth);
            ui_mv_json_str(f, "path", tr, p->path);
            ui_mv_json_str(f, "type", tr, p->type);
            ui_mv_json_str(f, "filename", tr, p->filename);
            ui_mv_json_str(f, "cte", tr, p->cte);
            fprintf(f, ",\"offset\":%" PRIu64 ",\"header_len\":%" PRIu64 ",\"body_len\":%" PRIu64,
                    p->off, p->hdr_len, p->body_len);
            if (p->decoded_len == UINT64_MAX)
                fputs(",\"decoded_len\":null", f);
            else
                fprintf(f, ",\"decoded_len\":%" PRIu64, p->decoded_len);
            ui_mv_json_hex(f, "preview_hex", tr, p->preview, p->preview_len);
            fputc('}', f);
        }
        fputc(']', f);
    }
    fputs("}\n", f);
    return ferror(f) ? -1 : 0;
}
