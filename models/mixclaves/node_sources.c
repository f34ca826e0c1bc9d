/* The node's source table: open addressing, linear probing, backward-shift
 * deletion (no tombstones), doubling at half full. See node_sources.h. */
#include "mixclaves/node_sources.h"

#include <stdbool.h>
#include <stdlib.h>

#define INITIAL 16

static inline uint32_t home(const struct srctab *t, cm_addr a) {
  return (uint32_t)(((uint64_t)a * 0x9e3779b97f4a7c15ull) >> 32) & t->mask;
}

int srctab_init(struct srctab *t) {
  t->e = calloc(INITIAL, sizeof *t->e);
  t->mask = INITIAL - 1;
  t->n = 0;
  return t->e ? 0 : CM_ENOMEM;
}

void srctab_fini(struct srctab *t) {
  free(t->e);
  t->e = NULL;
  t->n = 0;
}

struct source *srctab_find(const struct srctab *t, cm_addr a) {
  for (uint32_t i = home(t, a);; i = (i + 1) & t->mask) {
    if (t->e[i].addr == a) return &t->e[i];
    if (t->e[i].addr == 0) return NULL;
  }
}

static struct source *place(struct srctab *t, cm_addr a) {
  uint32_t i = home(t, a);
  while (t->e[i].addr) i = (i + 1) & t->mask;
  t->e[i] = (struct source){.addr = a};
  t->n++;
  return &t->e[i];
}

struct source *srctab_add(struct srctab *t, cm_addr a) {
  if (2 * (t->n + 1) > t->mask + 1) {
    struct srctab g = {.mask = 2 * t->mask + 1};
    if (!(g.e = calloc((size_t)g.mask + 1, sizeof *g.e))) return NULL;
    for (uint32_t i = 0; i <= t->mask; i++)
      if (t->e[i].addr) *place(&g, t->e[i].addr) = t->e[i];
    free(t->e);
    *t = g;
  }
  return place(t, a);
}

void srctab_del(struct srctab *t, struct source *s) {
  uint32_t i = (uint32_t)(s - t->e);
  for (uint32_t j = (i + 1) & t->mask; t->e[j].addr; j = (j + 1) & t->mask) {
    uint32_t k = home(t, t->e[j].addr);
    /* e[j] may move to the hole at i unless its home lies in (i, j] (cyclically) */
    bool stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
    if (!stays) {
      t->e[i] = t->e[j];
      i = j;
    }
  }
  t->e[i].addr = 0;
  t->n--;
}
