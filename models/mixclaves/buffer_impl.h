/* Internals shared by buffer.c and the variant files: the buffer handle,
 * the ops table a variant fills in, and the helpers for counters,
 * instrumentation and the access trace. Not for model code outside the
 * buffer. */
#ifndef CM_MIXCLAVES_BUFFER_IMPL_H
#define CM_MIXCLAVES_BUFFER_IMPL_H

#include "mixclaves/buffer.h"

/* A packet as the buffer's memory holds it: one cell. */
struct buffer__cell {
  cm_time release;
  uint64_t seq;
  uint64_t id;
  uint32_t store_addr;
  uint32_t occupied; /* oblivious slots only: 0 or 1 */
};

struct buffer_ops {
  const char *name;
  /* Allocate b->impl for b->capacity; 0 or CM_ENOMEM. */
  int (*init)(struct buffer *b);
  void (*fini)(struct buffer *b);
  /* Store c (release, seq, id set; store_addr to be set) into a buffer
   * with b->st.held < b->capacity. buffer.c counts it. */
  void (*put)(struct buffer *b, struct buffer__cell *c);
  /* Release the due packets, in order, through buffer__released; return
   * how many. */
  uint64_t (*take_due)(struct buffer *b, cm_time now, buffer_release_fn fn, void *arg);
};

struct buffer {
  const struct buffer_ops *ops;
  void *impl;
  enum buffer_variant variant;
  uint32_t capacity;
  rng *r;                 /* borrowed */
  uint64_t next_seq;
  struct buffer_stats st;
  bool busy;              /* inside take_due: reentry is a broken invariant */
  bool log_pairs, trace_on;
  struct buffer_addr_pair *pairs;
  uint64_t npairs, pairs_cap;
  uint64_t trace, trace_len;
};

extern const struct buffer_ops buffer__append_ops, buffer__random_ops, buffer__oblivious_ops;

/* Shared by append and random (buffer_append.c): the sorted array with
 * the new packet first written at cell pos (0..held). */
int buffer__sorted_init(struct buffer *b);
void buffer__sorted_fini(struct buffer *b);
void buffer__sorted_put_at(struct buffer *b, struct buffer__cell *c, uint32_t pos);
uint64_t buffer__sorted_take_due(struct buffer *b, cm_time now, buffer_release_fn fn, void *arg);

/* One packet leaves: counts it, logs its pair when instrumented, calls fn. */
void buffer__released(struct buffer *b, const struct buffer__cell *c, uint32_t read_addr,
                      buffer_release_fn fn, void *arg);

/* Fold an access into the trace digest (only with BUFFER_LOG_TRACE). */
static inline void buffer__trace(struct buffer *b, char kind, uint32_t cell) {
  if (!b->trace_on) return;
  uint64_t h = (b->trace ^ ((uint64_t)(uint8_t)kind << 32 | cell)) * 0x9e3779b97f4a7c15ull;
  b->trace = h ^ (h >> 29);
  b->trace_len++;
}

#endif
