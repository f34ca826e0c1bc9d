/* The pending-event set: a priority queue of (time, insertion sequence)
 * keys with O(1) cancellation.
 *
 * Method: a radix heap (Ahuja, Mehlhorn, Orlin and Tarjan 1990) over the
 * 64-bit times. Bucket 0 (a plain array popped from the front) holds entries
 * whose time equals `last`, the most recent minimum; bucket b (1..64) those whose highest bit differing from
 * `last` is bit b-1. A push appends to its bucket (O(1), sequential
 * writes); when bucket 0 runs dry the first non-empty bucket (found with a
 * bit scan) gives the new minimum and is spread over lower buckets, so each
 * entry moves at most 64 times and in practice a few. Buckets are chains of
 * 2 KiB chunks recycled through a free list: no allocation per event once
 * the pool has grown to the high-water mark of pending events. Appends and
 * spreads keep order, so equal times come out in insertion order.
 * A queue of at most 32 entries is instead a sorted array (insertion from
 * the back, pop from the front): with few events pending the radix buckets
 * would refill on nearly every pop. It becomes a radix heap when a push
 * finds the array full, and an array again when a refill finds 8 or fewer
 * entries left; `test_eventq` crosses both ways hundreds of times against a
 * reference. Measured against a 4-ary hole-sifted heap and a plain binary
 * heap in `cloudmix bench engine-hold` (the numbers are in the README).
 *
 * Cancellation marks the event's slot dead in O(1); dead entries are
 * dropped when met, and swept out in O(n) once they outnumber the live
 * ones, so memory stays proportional to pending events, never to events
 * processed.
 *
 * Precondition: times are monotone. A push may not be earlier than the
 * last popped time (eventq_push aborts via cm_fatal otherwise); this is
 * what a clock that never goes backwards gives. A push earlier than a
 * peeked-but-not-popped minimum is fine: it waits in a small side heap. */
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

/* The same, but only if its time is <= limit; false (and nothing removed)
 * otherwise. One look at the front: cheaper than peek-then-pop. */
bool eventq_pop_until(eventq *q, cm_time limit, struct eventq_item *out);

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
