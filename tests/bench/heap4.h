/* A 4-ary hole-sifted heap of timed callbacks: the event queue cloudmix
 * used before the radix heap, kept for `bench engine-hold` to measure that
 * choice (heap4.c says how it works). */
#ifndef CM_BENCH_HEAP4_H
#define CM_BENCH_HEAP4_H

#include <stdbool.h>
#include <stdint.h>

#include "eventq.h"

typedef struct heap4 heap4;

heap4 *heap4_new(void);
void heap4_free(heap4 *q);
/* Returns an id (never 0), or 0 when out of memory. */
uint64_t heap4_push(heap4 *q, cm_time t, eventq_fn fn, void *arg);
bool heap4_pop(heap4 *q, struct eventq_item *out); /* the event queue's item type */

#endif
