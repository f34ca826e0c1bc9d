/* The event queue cloudmix used before the radix heap, kept as a measured
 * alternative for `bench engine-hold`: a 4-ary min-heap of 16-byte (time,
 * slot) entries, sibling groups aligned to 64-byte lines, sifted with a
 * hole; a pop leaves the root empty so that a following push costs one
 * sift-down; callbacks live in a slot pool with a free list; ties by
 * insertion sequence. Cancellation is left out: the hold model does not
 * use it. */
#include "heap4.h"

#include <stdlib.h>
#include <string.h>

#define ARITY 4
#define SLOT_FREE 0u
#define SLOT_LIVE 1u

struct hent {
  cm_time time;
  uint32_t slot;
  uint32_t pad;
};

struct slot {
  eventq_fn fn;
  void *arg;
  uint64_t seq;
  uint32_t gen;
  uint32_t state; /* SLOT_*; for free slots, next free index + 1 in seq */
};

struct heap4 {
  struct hent *heap; /* heap[0] is the root; children of i: 4i+1 .. 4i+4 */
  void *heap_mem;    /* allocation behind heap (heap is offset in it) */
  size_t n;          /* entries in heap, counting a root hole */
  size_t cap;
  bool hole;         /* heap[0] is empty (popped, not yet refilled) */
  struct slot *slots;
  uint32_t nslots;
  uint32_t free_head; /* index + 1 of the first free slot; 0: none */
  uint64_t seq;
};

static inline bool before(const heap4 *q, struct hent a, struct hent b) {
  if (a.time != b.time) return a.time < b.time;
  return q->slots[a.slot].seq < q->slots[b.slot].seq;
}

/* Entry 1 (the first child group) starts a cache line: the heap pointer sits
 * 16 bytes before a 64-byte boundary, so group 4i+1..4i+4 is one line. */
static int heap_grow(heap4 *q) {
  size_t ncap = q->cap ? q->cap * 2 : 256;
  void *mem = NULL;
  if (posix_memalign(&mem, 64, (ncap + ARITY) * sizeof(struct hent)) != 0) return CM_ENOMEM;
  struct hent *nh = (struct hent *)((char *)mem + 64 - sizeof(struct hent));
  if (q->n) memcpy(nh, q->heap, q->n * sizeof(struct hent));
  free(q->heap_mem);
  q->heap_mem = mem;
  q->heap = nh;
  q->cap = ncap;
  return CM_OK;
}

static void sift_up(heap4 *q, size_t i, struct hent x) {
  struct hent *h = q->heap;
  while (i > 0) {
    size_t p = (i - 1) / ARITY;
    if (!before(q, x, h[p])) break;
    h[i] = h[p];
    i = p;
  }
  h[i] = x;
}

static void sift_down(heap4 *q, size_t i, struct hent x) {
  struct hent *h = q->heap;
  size_t n = q->n;
  for (;;) {
    size_t c = ARITY * i + 1;
    if (c >= n) break;
    size_t best = c;
    size_t end = c + ARITY < n ? c + ARITY : n;
    for (size_t k = c + 1; k < end; k++)
      if (before(q, h[k], h[best])) best = k;
    if (!before(q, h[best], x)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = x;
}

/* Refill a root hole with the last entry. */
static void fill_hole(heap4 *q) {
  q->hole = false;
  q->n--;
  if (q->n > 0) sift_down(q, 0, q->heap[q->n]);
}

static void slot_release(heap4 *q, uint32_t s) {
  struct slot *sl = &q->slots[s];
  sl->state = SLOT_FREE;
  sl->fn = NULL;
  sl->arg = NULL;
  sl->gen++;
  sl->seq = q->free_head;
  q->free_head = s + 1;
}

static int slot_take(heap4 *q, uint32_t *out) {
  if (q->free_head == 0) {
    uint32_t old = q->nslots;
    uint32_t nn = old ? old * 2 : 256;
    if (nn <= old) return CM_ENOMEM;
    struct slot *ns = realloc(q->slots, (size_t)nn * sizeof(*ns));
    if (!ns) return CM_ENOMEM;
    q->slots = ns;
    q->nslots = nn;
    /* Thread new slots onto the free list, lowest index first. */
    for (uint32_t s = nn; s-- > old;) {
      ns[s] = (struct slot){.seq = q->free_head, .gen = 1, .state = SLOT_FREE};
      q->free_head = s + 1;
    }
  }
  uint32_t s = q->free_head - 1;
  q->free_head = (uint32_t)q->slots[s].seq;
  *out = s;
  return CM_OK;
}

heap4 *heap4_new(void) {
  heap4 *q = calloc(1, sizeof(*q));
  if (!q) return NULL;
  if (heap_grow(q) != CM_OK) {
    free(q);
    return NULL;
  }
  return q;
}

void heap4_free(heap4 *q) {
  if (!q) return;
  free(q->heap_mem);
  free(q->slots);
  free(q);
}

uint64_t heap4_push(heap4 *q, cm_time t, eventq_fn fn, void *arg) {
  uint32_t s;
  if (!q->hole && q->n == q->cap && heap_grow(q) != CM_OK) return 0;
  if (slot_take(q, &s) != CM_OK) return 0;
  struct slot *sl = &q->slots[s];
  sl->fn = fn;
  sl->arg = arg;
  sl->seq = ++q->seq;
  sl->state = SLOT_LIVE;
  struct hent x = {.time = t, .slot = s};
  if (q->hole) {
    q->hole = false;
    sift_down(q, 0, x);
  } else {
    sift_up(q, q->n++, x);
  }
  return ((uint64_t)sl->gen << 32) | (uint64_t)(s + 1);
}

bool heap4_pop(heap4 *q, struct eventq_item *out) {
  if (q->hole) fill_hole(q);
  if (q->n == 0) return false;
  uint32_t s = q->heap[0].slot;
  struct slot *sl = &q->slots[s];
  out->time = q->heap[0].time;
  out->fn = sl->fn;
  out->arg = sl->arg;
  q->hole = true;
  slot_release(q, s);
  return true;
}
