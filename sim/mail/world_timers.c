/* world_timers.c -- the event queue's future, recorded (issue 9).
 *
 * With world_opts.timers the world installs an event-queue observer that
 * appends TIMER_SET when a labelled event is scheduled and TIMER_CANCELLED
 * when one is cancelled, stamped with the current simulated time and
 * carrying the event's due time and label. The window rebuilds the pending
 * set at any step from these records (ui_future_at). Unlabelled events are
 * internal and left out. The host is not known to the queue: TRACE_NONE. */
#include "mail/world_int.h"

#include "core/evq.h"

static void world_timers_obs(void *ctx, enum evq_obs_kind kind, evq_handle id, sim_us t,
                             const char *label)
{
    struct world *w = ctx;
    (void)id;
    if (!label) return;
    trace_add_timer(w->tr, evq_now(w->q), kind == EVQ_OBS_SET ? TR_TIMER_SET : TR_TIMER_CANCELLED,
                    TRACE_NONE, t, label);
}

void world_timers_attach(struct world *w)
{
    evq_set_observer(w->q, world_timers_obs, w);
}
