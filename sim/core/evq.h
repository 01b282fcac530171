/* evq.h -- the discrete-event queue and the simulated clock.
 *
 * Events run in order of (time, insertion sequence): two events at the same
 * simulated time run in the order they were scheduled, so every run of a
 * scenario is the same. A 4-ary min-heap holds whole events; steady-state
 * scheduling allocates nothing. A handle is the event's key (time, sequence),
 * unique for the life of the queue: cancelling is O(1) and a stale handle
 * (already fired, already cancelled) is harmlessly refused. Cancelled heap
 * entries are skipped when they surface and purged when they outnumber the
 * live ones, so memory stays proportional to the pending events.
 * Invariant: evq_now() never decreases; no event is scheduled in the past. */
#ifndef MAILSIM_CORE_EVQ_H
#define MAILSIM_CORE_EVQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/common.h"

/* Latest representable simulated time ("run until the queue is empty"). */
#define SIM_US_MAX INT64_MAX

struct evq;

/* The one field every event reads, public only so that evq_now() inlines
 * (it is called on nearly every event). It is the first member of struct
 * evq; nothing outside evq.c may write it. */
struct evq_clock {
    sim_us now;
};

/* An event's callback: ctx and arg are what was given to evq_at(). */
typedef void evq_fn(void *ctx, uint64_t arg);

/* A scheduled event, named by its key: due time and insertion sequence.
 * Sequences start at 1 and never repeat, so a handle names one event for
 * the life of the queue; a zeroed handle (EVQ_NONE) names none, so a zeroed
 * struct field means "no timer". */
typedef struct evq_handle {
    sim_us t;
    uint64_t seq;
} evq_handle;
#define EVQ_NONE ((evq_handle){0, 0})

/* True if h names an event (pending or not): false only for EVQ_NONE. */
static inline bool evq_is_set(evq_handle h)
{
    return h.seq != 0;
}

/* One pending event, as evq_snapshot() reports it (borrowed label). */
struct evq_info {
    evq_fn *fn;        /* as given to evq_at(): tells whose event it is */
    sim_us t;          /* when it will run */
    uint64_t seq;      /* insertion sequence: ties run in this order */
    evq_handle handle; /* for evq_cancel() */
    const char *label; /* as given to evq_at() ("TCP retransmit") if the queue was
                        * observed then (see evq_set_observer()), else NULL */
    void *ctx;         /* as given to evq_at() (for "which connection") */
    uint64_t arg;
};

/* A new empty queue with the clock at 0. Free with evq_free(). Aborts only
 * when memory is exhausted. */
struct evq *evq_new(void);
/* Free the queue; pending events are dropped without running. NULL is a no-op. */
void evq_free(struct evq *q);

/* The simulated time: that of the event running now, or of the last one run
 * (or the limit given to evq_run()). Can't fail. */
static inline sim_us evq_now(const struct evq *q)
{
    return ((const struct evq_clock *)(const void *)q)->now;
}

/* Schedule fn(ctx, arg) at absolute time t (t >= evq_now(); an earlier t is a
 * bug and asserts). label must be a static string: it names the event in the
 * pending-event view ("SMTP retry timer"); the queue keeps it only while an
 * observer is installed (the hot path carries no label). Returns the
 * handle; can't fail
 * (the heap grows, aborting only if memory is exhausted). */
evq_handle evq_at(struct evq *q, sim_us t, evq_fn *fn, void *ctx, uint64_t arg, const char *label);
/* Schedule fn(ctx, arg) delay_us after now (delay_us >= 0). As evq_at(). */
evq_handle evq_after(struct evq *q, sim_us delay_us, evq_fn *fn, void *ctx, uint64_t arg,
                     const char *label);

/* Reserve n consecutive sequences (the first is returned) for events that
 * will be scheduled later with evq_at_seq(): each then runs among events due
 * at the same time exactly where it would have run had it been scheduled
 * now. For a long, known list of future events (a scenario's timeline) that
 * enters the queue one at a time instead of all at the start, keeping the
 * heap small. Can't fail. */
uint64_t evq_reserve(struct evq *q, size_t n);
/* Schedule fn(ctx, arg) at t with seq, a sequence reserved by evq_reserve()
 * and not used yet. (t, seq) must come after the key of the event running
 * now (or the last one run): an event from a list kept in key order,
 * scheduled when the one before it runs, satisfies this. With an observer,
 * it is told unless evq_announce() already told it of seq. As evq_at()
 * otherwise. */
evq_handle evq_at_seq(struct evq *q, sim_us t, uint64_t seq, evq_fn *fn, void *ctx, uint64_t arg,
                      const char *label);
/* Tell the observer (if any) now of the event that evq_at_seq() will later
 * schedule with the reserved seq, as evq_at() would have told it, so that a
 * future-event view lists the whole list from the start. Without an
 * observer, does nothing. Can't fail. */
void evq_announce(struct evq *q, sim_us t, uint64_t seq, evq_fn *fn, void *ctx, uint64_t arg,
                  const char *label);

/* Cancel a pending event. Returns true if it was pending and will now never
 * run; false for EVQ_NONE, an event that already ran (or is running), or one
 * already cancelled. O(1); never scans the queue. */
bool evq_cancel(struct evq *q, evq_handle h);
/* True while h is scheduled and has not yet started running. Can't fail. */
bool evq_pending(const struct evq *q, evq_handle h);
/* The time h will run, or -1 when it is not pending. Can't fail. */
sim_us evq_when(const struct evq *q, evq_handle h);

/* Number of pending (not cancelled, not yet run) events. Can't fail. */
size_t evq_count(const struct evq *q);
/* Time of the next pending event, or -1 when there is none. */
sim_us evq_next_time(struct evq *q);

/* Run the next pending event, advancing the clock to its time. Returns false
 * when there was none. */
bool evq_step(struct evq *q);
/* Run events in order while the next one's time is <= until, then set the
 * clock to until (when until != SIM_US_MAX and the queue was not stopped).
 * Returns the number of events run. Events scheduled by events run in the
 * same call if they are due. */
uint64_t evq_run(struct evq *q, sim_us until);
/* As evq_run(), but the clock stays at the last event run: "run what is
 * due by until" for a caller that reports how far the simulation got. */
uint64_t evq_run_due(struct evq *q, sim_us until);
/* Make the current evq_run() return after the running event. */
void evq_stop(struct evq *q);
/* Events run since evq_new(). Can't fail. */
uint64_t evq_fired(const struct evq *q);

/* Copy up to max of the pending events, earliest first (ties by sequence),
 * into out; returns how many were copied. O(n log n) in the pending count:
 * for views and tests, not for the hot path. */
size_t evq_snapshot(const struct evq *q, struct evq_info *out, size_t max);
/* Call fn for every pending event, earliest first. fn must not schedule or
 * cancel events on q. Allocates a temporary array (aborts on exhaustion). */
void evq_foreach_pending(const struct evq *q, void (*fn)(void *ctx, const struct evq_info *ev),
                         void *ctx);

/* What an observer is told (the window's future-event view). */
enum evq_obs_kind { EVQ_OBS_SET, EVQ_OBS_CANCEL };

/* Called on every evq_at() (after scheduling) and on every successful
 * evq_cancel() with the event (its label may be NULL). Not called when an
 * event fires. The observer must not schedule or cancel events on the
 * queue. With an observer installed the queue keeps a map of the events it
 * reported, so a cancel still finds its event in O(1) (an event scheduled
 * before the observer came is looked for once, with a scan of the heap);
 * scheduling takes the slow path. Observers are for views and tests. */
typedef void evq_observer_fn(void *ctx, enum evq_obs_kind kind, const struct evq_info *ev);
/* Install fn (NULL removes it) with its ctx. Without an observer scheduling
 * and cancelling cost one predictable branch. Can't fail. */
void evq_set_observer(struct evq *q, evq_observer_fn *fn, void *ctx);

/* Bytes currently held by the queue's arrays (heap and cancellation sets), for the
 * memory-per-pending-event figure. Can't fail. */
size_t evq_memory(const struct evq *q);

#endif
