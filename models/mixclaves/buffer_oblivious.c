/* Variant (c), ours: a fixed array of `capacity` slots swept in index
 * order, so that the sequence of memory accesses does not depend on the
 * delays. Method:
 *  - put: one sweep over every slot; the packet goes to the t-th free slot,
 *    t uniform in [0, free) from the buffer's rng, selected with masks
 *    (every slot is read and rewritten, whether chosen or not).
 *  - take_due(now): sweeps over every slot; sweep i finds, with masks, the
 *    due packet (release <= now) of least (release, seq) and the next sweep
 *    clears its slot while copying it out, so sweep i + 1 moves packet i to
 *    output cell capacity + i. The sweeps stop at the first that finds
 *    nothing due: k releases cost k + 1 sweeps. Then the k output cells are
 *    read in order and handed to the callback, in release order.
 *
 * What the adversary sees (memory addresses and whether each is a read or
 * a write, in order): for a put, slots 0..capacity-1 each read then
 * written; for a take_due releasing k packets, k + 1 such sweeps, then
 * writes of output cells capacity..capacity+k-1 (one after each sweep that
 * found one) and reads of the same cells in order. That trace is a
 * function only of capacity, the sequence of calls and each call's k.
 * A network observer already knows all three: a datagram arrives for each
 * put (or is refused, the count of held packets being public the same
 * way), k datagrams leave after each take_due, and the caller calls
 * take_due on a fixed tick or at send times. So the memory trace tells the
 * adversary nothing the wire does not: not the delays, not which slot
 * holds which packet, not which input became which output. Pearson's R of
 * Fig. 1 is 0 in expectation: the slot a packet is written to is uniform
 * over the free slots, and by symmetry (slots are exchangeable: placement
 * is uniform and removal depends only on release order) uniform over all
 * slots whatever the delays, so it is independent of the read address
 * capacity + j, j the packet's rank among that call's releases.
 *
 * Limits: the masks make the choices branch-free in C, but the standard
 * promises nothing about the machine code; on an enclave the compiled
 * sweep must be checked for branches and data-dependent addresses (gcc
 * and clang at -O2 on x86-64 emit cmov/setcc for these). The rng's own
 * rejection loop depends only on the draw, not on the data. Work is
 * O(capacity) per put and per release plus one sweep per take_due, the
 * price the issue accepts when capacity is the queue bound. */
#include "mixclaves/buffer_impl.h"

#include <stdlib.h>

struct oblivious {
  struct buffer__cell *slot; /* cells [0, capacity) */
  struct buffer__cell *out;  /* cells [capacity, 2 capacity) */
};

static int oblivious_init(struct buffer *b) {
  struct oblivious *o = calloc(1, sizeof *o);
  if (!o) return CM_ENOMEM;
  o->slot = calloc(b->capacity, sizeof *o->slot);
  o->out = calloc(b->capacity, sizeof *o->out);
  if (!o->slot || !o->out) {
    free(o->slot);
    free(o->out);
    free(o);
    return CM_ENOMEM;
  }
  b->impl = o;
  return 0;
}

static void oblivious_fini(struct buffer *b) {
  struct oblivious *o = b->impl;
  if (!o) return;
  free(o->slot);
  free(o->out);
  free(o);
  b->impl = NULL;
}

/* All ones when bit is 1, zero when 0. */
static inline uint64_t mask64(uint64_t bit) { return (uint64_t)0 - bit; }
static inline uint64_t sel64(uint64_t m, uint64_t a, uint64_t b) { return (a & m) | (b & ~m); }

static void oblivious_put(struct buffer *b, struct buffer__cell *c) {
  struct oblivious *o = b->impl;
  uint32_t cap = b->capacity;
  uint64_t target = rng_below(b->r, cap - b->st.held);
  uint64_t seen_free = 0, addr = 0;
  for (uint32_t i = 0; i < cap; i++) {
    struct buffer__cell *x = &o->slot[i];
    uint64_t is_free = (uint64_t)(x->occupied ^ 1u);
    uint64_t hit = is_free & (uint64_t)(seen_free == target);
    seen_free += is_free;
    uint64_t m = mask64(hit);
    x->release = (cm_time)sel64(m, (uint64_t)c->release, (uint64_t)x->release);
    x->seq = sel64(m, c->seq, x->seq);
    x->id = sel64(m, c->id, x->id);
    x->store_addr = (uint32_t)sel64(m, i, x->store_addr);
    x->occupied |= (uint32_t)hit;
    addr = sel64(m, i, addr);
    buffer__trace(b, 'R', i);
    buffer__trace(b, 'W', i);
  }
  b->st.cell_accesses += 2 * (uint64_t)cap;
  c->store_addr = (uint32_t)addr;
}

static uint64_t oblivious_take_due(struct buffer *b, cm_time now, buffer_release_fn fn, void *arg) {
  struct oblivious *o = b->impl;
  uint32_t cap = b->capacity;
  uint64_t k = 0, have_prev = 0, prev = 0;
  for (;;) {
    struct buffer__cell moved = {0};
    uint64_t found = 0, best = 0, best_seq = 0;
    cm_time best_rel = 0;
    for (uint32_t i = 0; i < cap; i++) {
      struct buffer__cell *x = &o->slot[i];
      /* Move out the packet the previous sweep chose. */
      uint64_t mp = mask64(have_prev & (uint64_t)(i == prev));
      moved.release = (cm_time)((uint64_t)moved.release | ((uint64_t)x->release & mp));
      moved.seq |= x->seq & mp;
      moved.id |= x->id & mp;
      moved.store_addr |= (uint32_t)(x->store_addr & mp);
      x->occupied &= (uint32_t)~mp;
      /* Is this the least due packet so far? */
      uint64_t due = (uint64_t)x->occupied & (uint64_t)(x->release <= now);
      uint64_t less = (uint64_t)(x->release < best_rel) |
                      ((uint64_t)(x->release == best_rel) & (uint64_t)(x->seq < best_seq));
      uint64_t mb = mask64(due & (less | (found ^ 1)));
      best_rel = (cm_time)sel64(mb, (uint64_t)x->release, (uint64_t)best_rel);
      best_seq = sel64(mb, x->seq, best_seq);
      best = sel64(mb, i, best);
      found |= mb & 1;
      buffer__trace(b, 'R', i);
      buffer__trace(b, 'W', i);
    }
    b->st.cell_accesses += 2 * (uint64_t)cap;
    if (have_prev) {
      o->out[k] = moved;
      buffer__trace(b, 'W', cap + (uint32_t)k);
      b->st.cell_accesses++;
      k++;
    }
    if (!found) break; /* k + 1 sweeps in all: k is public (k datagrams leave) */
    prev = best;
    have_prev = 1;
  }
  for (uint64_t j = 0; j < k; j++) {
    buffer__trace(b, 'R', cap + (uint32_t)j);
    b->st.cell_accesses++;
    buffer__released(b, &o->out[j], cap + (uint32_t)j, fn, arg);
  }
  return k;
}

const struct buffer_ops buffer__oblivious_ops = {
    .name = "oblivious",
    .init = oblivious_init,
    .fini = oblivious_fini,
    .put = oblivious_put,
    .take_due = oblivious_take_due,
};
