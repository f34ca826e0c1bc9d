/* Weak references: a per-thread table of owners by slot, each with a
 * generation, packed with an index into a callback's void * (weakref.h). */
#include "weakref.h"

#include <glib.h>
#include <stdint.h>

#include "cm.h"

/* ---- weak references: a per-thread table of owners by slot, each with a
 * generation drawn from a counter that survives the table, so a stale arg
 * never matches a later owner of its slot (until 2^24 owners later). ---- */

#define REF_SLOT_BITS 16
#define REF_GEN_BITS 24
#define REF_IDX_BITS 24
_Static_assert(CM_WEAKREF_IDX_MAX == 1u << REF_IDX_BITS, "weakref.h and weakref.c agree");
#define MASK(bits) ((UINT64_C(1) << (bits)) - 1)
_Static_assert(sizeof(uintptr_t) >= 8, "weak references pack 64 bits into a pointer");

static _Thread_local struct {
  void **owner;
  uint32_t *gen;
  uint32_t cap, live, next_gen;
} refs;

uint64_t weakref_new(void *owner) {
  uint32_t slot = 0;
  while (slot < refs.cap && refs.owner[slot]) slot++;
  if (slot == refs.cap) {
    uint32_t cap = refs.cap ? 2 * refs.cap : 8;
    if (cap > (1u << REF_SLOT_BITS)) cm_fatal(CM_LOC, "weakref: more than %u live owners", refs.cap);
    refs.owner = g_renew(void *, refs.owner, cap);
    refs.gen = g_renew(uint32_t, refs.gen, cap);
    for (uint32_t i = refs.cap; i < cap; i++) refs.owner[i] = NULL;
    refs.cap = cap;
  }
  uint32_t gen;
  do gen = (uint32_t)(++refs.next_gen & MASK(REF_GEN_BITS));
  while (gen == 0);
  refs.owner[slot] = owner;
  refs.gen[slot] = gen;
  refs.live++;
  return (uint64_t)gen << REF_SLOT_BITS | slot;
}

void weakref_drop(uint64_t ref) {
  uint32_t slot = (uint32_t)(ref & MASK(REF_SLOT_BITS));
  if (slot >= refs.cap || !refs.owner[slot] || refs.gen[slot] != ref >> REF_SLOT_BITS) return;
  refs.owner[slot] = NULL;
  if (--refs.live == 0) { /* nothing left: release the table */
    g_free(refs.owner);
    g_free(refs.gen);
    refs.owner = NULL;
    refs.gen = NULL;
    refs.cap = 0;
  }
}

void *weakref_arg(uint64_t ref, uint32_t idx) {
  return (void *)(uintptr_t)(ref << REF_IDX_BITS | (idx & MASK(REF_IDX_BITS)));
}

void *weakref_resolve(void *arg, uint32_t *idx) {
  uint64_t v = (uint64_t)(uintptr_t)arg, ref = v >> REF_IDX_BITS;
  uint32_t slot = (uint32_t)(ref & MASK(REF_SLOT_BITS));
  *idx = (uint32_t)(v & MASK(REF_IDX_BITS));
  if (slot >= refs.cap || !refs.owner[slot] || refs.gen[slot] != ref >> REF_SLOT_BITS) return NULL;
  return refs.owner[slot];
}
