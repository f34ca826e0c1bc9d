/* Variant (a), Twisted-style as in Loopix: a new packet is appended at the
 * end of the array, the array is sorted by release time, and due packets
 * are taken from the queue's front. Also the sorted array that variant (b)
 * (buffer_random.c) shares, differing only in where the packet is first
 * written.
 *
 * Layout: live packets are cells [0, n), sorted by (release, seq) in
 * descending order, so the front of the queue is cell n - 1 and a take is
 * Python's O(1) list.pop(), as in Twisted's sorted-list reactor (insort
 * into _pendingTimedCalls, run while _pendingTimedCalls[-1].time <= now,
 * pop()). Put writes the packet at cell pos (append: pos = n), shifting
 * cells [pos, n) up by one as list.insert does, then sorts. The array
 * minus the new packet is already sorted, so the stable sort amounts to
 * moving the new packet to its rank, one neighbour swap at a time; that is
 * what is done (and what Timsort does on such input, in O(n)). Every cell
 * the shift, the sort and the pop touch is counted and traced.
 *
 * Why (a) correlates: the store address is n at the put and the read
 * address n - 1 at the pop, so R is the correlation of the occupancy seen
 * by a packet on arrival and on departure, one delay apart. For Poisson
 * arrivals and exponential delays (an M/M/infinity occupancy, whose
 * autocorrelation at lag t is exp(-t / mean)) that is
 * E[exp(-D / mean)] = 1/2 whatever the load; a load that drifts slowly
 * (a benchmark ramping its rate, a queue filling) raises it towards 1. */
#include "mixclaves/buffer_impl.h"

#include <stdlib.h>
#include <string.h>

/* b->impl is the array of capacity cells itself: one pointer less to
 * follow per put and take (a cold cache line each in a large world). */
struct sorted {
  struct buffer__cell *cell;
};

int buffer__sorted_init(struct buffer *b) {
  b->impl = calloc(b->capacity, sizeof(struct buffer__cell));
  return b->impl ? 0 : CM_ENOMEM;
}

void buffer__sorted_fini(struct buffer *b) {
  free(b->impl);
  b->impl = NULL;
}

/* x belongs before y in the array: later release (or, tied, later put). */
static bool before(const struct buffer__cell *x, const struct buffer__cell *y) {
  return x->release > y->release || (x->release == y->release && x->seq > y->seq);
}

static void swap(struct buffer *b, struct buffer__cell *cell, uint32_t i, uint32_t j) {
  struct buffer__cell t = cell[i];
  cell[i] = cell[j];
  cell[j] = t;
  buffer__trace(b, 'R', i);
  buffer__trace(b, 'R', j);
  buffer__trace(b, 'W', i);
  buffer__trace(b, 'W', j);
  b->st.cell_accesses += 4;
}

void buffer__sorted_put_at(struct buffer *b, struct buffer__cell *c, uint32_t pos) {
  struct sorted sv = {b->impl}, *s = &sv;
  uint32_t n = (uint32_t)b->st.held;
  if (pos > n) cm_fatal(CM_LOC, "buffer: insert position %u past %u", pos, n);
  /* list.insert(pos, packet): shift [pos, n) up, write cell pos. */
  for (uint32_t i = n; i > pos; i--) {
    buffer__trace(b, 'R', i - 1);
    buffer__trace(b, 'W', i);
  }
  memmove(&s->cell[pos + 1], &s->cell[pos], (size_t)(n - pos) * sizeof *s->cell);
  b->st.cell_accesses += 2 * (uint64_t)(n - pos);
  c->store_addr = pos;
  s->cell[pos] = *c;
  buffer__trace(b, 'W', pos);
  b->st.cell_accesses++;
  n++;
  /* The sort: only the new packet is out of place. */
  uint32_t i = pos;
  while (i > 0 && before(&s->cell[i], &s->cell[i - 1])) {
    swap(b, s->cell, i, i - 1);
    i--;
  }
  while (i + 1 < n && before(&s->cell[i + 1], &s->cell[i])) {
    swap(b, s->cell, i, i + 1);
    i++;
  }
}

uint64_t buffer__sorted_take_due(struct buffer *b, cm_time now, buffer_release_fn fn, void *arg) {
  struct sorted sv = {b->impl}, *s = &sv;
  uint64_t k = 0;
  while (b->st.held > 0) {
    uint32_t last = (uint32_t)b->st.held - 1;
    buffer__trace(b, 'R', last); /* the front's release time */
    b->st.cell_accesses++;
    if (s->cell[last].release > now) break;
    struct buffer__cell c = s->cell[last]; /* pop(): the read */
    buffer__released(b, &c, last, fn, arg);
    k++;
  }
  return k;
}

static void append_put(struct buffer *b, struct buffer__cell *c) {
  buffer__sorted_put_at(b, c, (uint32_t)b->st.held);
}

const struct buffer_ops buffer__append_ops = {
    .name = "append",
    .init = buffer__sorted_init,
    .fini = buffer__sorted_fini,
    .put = append_put,
    .take_due = buffer__sorted_take_due,
};
