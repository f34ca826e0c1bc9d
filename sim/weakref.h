/* Weak references for seam callbacks that may outlive their owner. */
#ifndef CM_WEAKREF_H
#define CM_WEAKREF_H

#include <stdint.h>

/* Indices packed with a ref are below this. */
#define CM_WEAKREF_IDX_MAX (1u << 24)

/* Used by cloudless/sched.c, cloudless/benchmark.c and env_fault.c for seam
 * callbacks that may arrive after their owner was freed, since an
 * invocation or storage call cannot be cancelled. A ref names a (slot, generation) in a per-thread table; an arg
 * packs a ref and an index below CM_WEAKREF_IDX_MAX into the callback's void *.
 * weakref_resolve gives the owner while the ref is registered and NULL
 * once it is dropped (at most 2^16 live refs;
 * generations repeat after 2^24 refs), so a late result is ignored instead of touching freed
 * memory. An owner is created, run and freed on one thread (the one that
 * runs env_run). */
uint64_t weakref_new(void *owner);
void weakref_drop(uint64_t ref);
void *weakref_arg(uint64_t ref, uint32_t idx);
void *weakref_resolve(void *arg, uint32_t *idx);

#endif
