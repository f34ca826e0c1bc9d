/* The buffer's public calls: the variant registry, argument checks,
 * counters and the instrumentation log; each variant's storage lives in
 * its own file behind struct buffer_ops (buffer_impl.h). */
#include "mixclaves/buffer_impl.h"

#include <stdlib.h>
#include <string.h>

static const struct buffer_ops *const variants[BUFFER_NVARIANTS] = {
    [BUFFER_APPEND] = &buffer__append_ops,
    [BUFFER_RANDOM] = &buffer__random_ops,
    [BUFFER_OBLIVIOUS] = &buffer__oblivious_ops,
};

const char *buffer_variant_name(enum buffer_variant v) {
  if ((unsigned)v >= BUFFER_NVARIANTS) return NULL;
  return variants[v]->name;
}

int buffer_variant_parse(const char *name, enum buffer_variant *out) {
  if (!name || !out) return CM_EINVAL;
  for (unsigned i = 0; i < BUFFER_NVARIANTS; i++) {
    if (strcmp(name, variants[i]->name) == 0) {
      *out = (enum buffer_variant)i;
      return 0;
    }
  }
  return CM_EINVAL;
}

buffer *buffer_new(enum buffer_variant v, uint32_t capacity, rng *r) {
  if ((unsigned)v >= BUFFER_NVARIANTS || capacity == 0 || capacity > BUFFER_CAPACITY_MAX) return NULL;
  if (v != BUFFER_APPEND && !r) return NULL;
  buffer *b = calloc(1, sizeof *b);
  if (!b) return NULL;
  b->ops = variants[v];
  b->variant = v;
  b->capacity = capacity;
  b->r = r;
  if (b->ops->init(b) != 0) {
    free(b);
    return NULL;
  }
  return b;
}

void buffer_free(buffer *b) {
  if (!b) return;
  b->ops->fini(b);
  free(b->pairs);
  free(b);
}

bool buffer_put(buffer *b, uint64_t id, cm_time release) {
  if (b->busy) cm_fatal(CM_LOC, "buffer_put called from a release callback");
  b->st.offered++;
  if (b->st.held >= b->capacity) {
    b->st.refused_full++;
    return false;
  }
  struct buffer__cell c = {.release = release, .seq = b->next_seq++, .id = id};
  b->ops->put(b, &c);
  b->st.stored++;
  b->st.held++;
  if (b->st.held > b->st.max_held) b->st.max_held = b->st.held;
  return true;
}

uint64_t buffer_take_due(buffer *b, cm_time now, buffer_release_fn fn, void *arg) {
  if (b->busy) cm_fatal(CM_LOC, "buffer_take_due called from a release callback");
  b->st.take_calls++;
  b->busy = true;
  uint64_t n = b->ops->take_due(b, now, fn, arg);
  b->busy = false;
  return n;
}

void buffer__released(struct buffer *b, const struct buffer__cell *c, uint32_t read_addr,
                      buffer_release_fn fn, void *arg) {
  if (b->st.held == 0) cm_fatal(CM_LOC, "buffer released more than it held");
  b->st.held--;
  b->st.released++;
  if (b->log_pairs) {
    if (b->npairs == b->pairs_cap) {
      /* Grow the log; running out of memory here is fatal (instrumented runs only). */
      uint64_t cap = b->pairs_cap ? 2 * b->pairs_cap : 4096;
      struct buffer_addr_pair *p = realloc(b->pairs, cap * sizeof *p);
      if (!p) cm_fatal(CM_LOC, "buffer: out of memory for the address log");
      b->pairs = p;
      b->pairs_cap = cap;
    }
    b->pairs[b->npairs++] = (struct buffer_addr_pair){c->store_addr, read_addr};
  }
  if (fn) {
    struct buffer_release rel = {.id = c->id, .release = c->release, .seq = c->seq,
                                 .store_addr = c->store_addr, .read_addr = read_addr};
    fn(arg, &rel);
  }
}

void buffer_stats(const buffer *b, struct buffer_stats *out) { *out = b->st; }
enum buffer_variant buffer_variant_of(const buffer *b) { return b->variant; }
uint32_t buffer_capacity(const buffer *b) { return b->capacity; }

int buffer_instrument(buffer *b, unsigned modes) {
  if ((modes & BUFFER_LOG_PAIRS) && !b->pairs) {
    b->pairs = malloc(4096 * sizeof *b->pairs);
    if (!b->pairs) return CM_ENOMEM;
    b->pairs_cap = 4096;
  }
  b->log_pairs = (modes & BUFFER_LOG_PAIRS) != 0;
  b->trace_on = (modes & BUFFER_LOG_TRACE) != 0;
  return 0;
}

uint64_t buffer_addr_pairs(const buffer *b, const struct buffer_addr_pair **out) {
  *out = b->pairs;
  return b->npairs;
}

uint64_t buffer_trace_digest(const buffer *b, uint64_t *accesses) {
  if (accesses) *accesses = b->trace_len;
  return b->trace;
}
