/* The discrete-event engine: a virtual clock over an event queue, with
 * run_until / stop and a progress hook.
 *
 * Callback contract: a callback never runs inside the call that scheduled
 * it; an event scheduled for "now" from inside a callback runs after every
 * event already due at that time (ties break by insertion order); time never
 * goes backwards. */
#ifndef CM_ENGINE_H
#define CM_ENGINE_H

#include <stdbool.h>
#include <stdint.h>

#include "cm.h"

typedef struct engine engine;

/* An event callback; arg is the pointer given when it was scheduled. */
typedef void (*engine_fn)(engine *en, void *arg);

/* Called every so often during engine_run_until with the virtual time
 * reached and the events processed so far. */
typedef void (*engine_progress_fn)(engine *en, void *arg, cm_time now, uint64_t events);

engine *engine_new(void);
/* Frees the engine; pending events are dropped (their args are borrowed). */
void engine_free(engine *en);

/* Current virtual time (ns). Starts at 0. Inline, as it is read in nearly
 * every callback: the clock is the first member of struct engine, and a
 * pointer to a struct points to its first member (C11 6.7.2.1). */
static inline cm_time engine_now(const engine *en) { return *(const cm_time *)(const void *)en; }

/* Schedule fn(en, arg) at absolute time t (t >= now) or after delay d >= 0.
 * Returns an event id, never 0 (out of memory aborts via cm_fatal). */
uint64_t engine_at(engine *en, cm_time t, engine_fn fn, void *arg);
uint64_t engine_after(engine *en, cm_time d, engine_fn fn, void *arg);

/* Cancel a pending event; true if it was pending (and then it never runs),
 * false if it already ran, was cancelled, or id is 0. If arg_out is not
 * NULL it receives the event's argument on success. */
bool engine_cancel(engine *en, uint64_t id, void **arg_out);

/* Run events in time order while their time is <= horizon and no stop was
 * requested. Returns the number of events run by this call. On return the
 * clock is at the last event run, or at horizon if the queue ran dry or the
 * next event lies beyond it (unless horizon is CM_TIME_MAX). */
uint64_t engine_run_until(engine *en, cm_time horizon);

/* Ask a running engine_run_until to return after the current event. */
void engine_stop(engine *en);

/* Events run since creation, and events pending now. */
uint64_t engine_events(const engine *en);
size_t engine_pending(const engine *en);
/* Bytes held by the pending-event structures. */
size_t engine_bytes(const engine *en);

/* Install a progress hook called about every `every` events (0: off). */
void engine_set_progress(engine *en, engine_progress_fn fn, void *arg, uint64_t every);

/* Time of the earliest pending event, CM_TIME_MAX if none: for drivers that
 * pump the engine from another clock (real/emulate.c runs it to wall-clock
 * time and sleeps until this). */
cm_time engine_next_time(engine *en);

#endif
