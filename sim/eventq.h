/* The pending-event set: a priority queue of (time, insertion sequence)
 * keys with O(1) cancellation.
 *
 * Method: a 4-ary min-heap of 16-byte entries (time, slot) whose sibling
 * groups are aligned to 64-byte cache lines, sifted with a hole rather than
 * swaps. A pop leaves the root empty; when the next operation is a push (as
 * in every "handle one event, schedule the next" step) the new entry fills
 * the root with a single sift-down instead of a sift-down plus a sift-up.
 * Callbacks and arguments live in a slot pool recycled through a free list,
 * so a push allocates nothing once the pool has grown to the high-water mark
 * of pending events. Cancellation marks the slot dead in O(1); dead entries
 * are skipped on pop and swept out in O(n) once they outnumber the live ones,
 * so memory stays proportional to pending events, never to events processed.
 *
 * Ties: entries with equal times come out in insertion order. */
#ifndef CM_EVENTQ_H
#define CM_EVENTQ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"

/* A callback stored generically. The owner casts it back to the exact type
 * it stored before calling it. */
typedef void (*eventq_fn)(void);

typedef struct eventq eventq;

/* A popped event. */
struct eventq_item {
  cm_time time;
  eventq_fn fn;
  void *arg;
};

/* Create an empty queue; NULL if out of memory. */
eventq *eventq_new(void);
/* Free q and everything in it (pending arguments are borrowed, not freed). */
void eventq_free(eventq *q);

/* Insert an event at time t. Returns its id, never 0; 0 only if out of
 * memory. fn must not be NULL. */
uint64_t eventq_push(eventq *q, cm_time t, eventq_fn fn, void *arg);

/* Remove the earliest live event into *out. Returns false if none. */
bool eventq_pop(eventq *q, struct eventq_item *out);

/* Time of the earliest live event, CM_TIME_MAX if none. */
cm_time eventq_peek_time(eventq *q);

/* Cancel a pending event. Returns true and stores its argument in *arg_out
 * (if not NULL) when the event was pending; false if id is 0, unknown,
 * already popped or already cancelled. */
bool eventq_cancel(eventq *q, uint64_t id, void **arg_out);

/* Live pending events. */
size_t eventq_size(const eventq *q);

/* Bytes held by the queue's arrays (for the bounded-memory tests). */
size_t eventq_bytes(const eventq *q);

#endif
