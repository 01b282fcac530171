/* world_timers.c -- the event queue's future, recorded.
 *
 * With world_opts.timers the world installs an event-queue observer that
 * appends TIMER_SET when a labelled event is scheduled and TIMER_CANCELLED
 * when one is cancelled, stamped with the current simulated time and
 * carrying the event's due time and label. The window rebuilds the pending
 * set at any step from these records (ui_future_at). Unlabelled events and
 * narrations are left out. The module that scheduled an event says whose it
 * is: TCP names its connection's host, the net the host a packet arrives
 * at, the mail server, the SMTP client, the resolver and the user agents
 * their own; a scenario action is described ("scenario: host_down
 * mail.example.net"). */
#include "mail/world_int.h"

#include "core/evq.h"
#include "mail/ua_int.h"
#include "mail/world_smtpc.h"

static void world_timers_obs(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev)
{
    struct world *w = ctx;
    if (!ev->label) return;
    uint32_t host = TRACE_NONE;
    const char *label = ev->label;
    char text[96];
    bool shown = true;
    if (world_action_event(w, ev, &shown, text, sizeof text)) {
        if (!shown) return;
        label = text;
    } else if (!tcp_event_host(ev, &host) && !net_event_host(ev, &host) &&
               !mta_event_host(ev, &host) && !world_smtpc_event_host(ev, &host) &&
               !world_dns_event_host(ev, &host)) {
        ua_event_host(ev, &host);
    }
    trace_add_timer(w->tr, evq_now(w->q), kind == EVQ_OBS_SET ? TR_TIMER_SET : TR_TIMER_CANCELLED,
                    host, ev->t, label);
}

void world_timers_attach(struct world *w)
{
    evq_set_observer(w->q, world_timers_obs, w);
}
