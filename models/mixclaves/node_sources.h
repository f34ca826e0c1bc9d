/* The mix node's table of sources (internal to node.c): what the node keeps
 * per sender address, in one open-addressing array (linear probing,
 * backward-shift deletion), so that a lookup touches one or two cache
 * lines. A node touches it twice per packet (at process and at release),
 * and in a 1,000-node world its memory is cold each time; a GHashTable of
 * separately allocated records cost several misses a lookup.
 *
 * Entries move when others are deleted or the table grows: a pointer from
 * srctab_find / srctab_add is valid until the next srctab_add or
 * srctab_del. Ownership: the table owns its array. */
#ifndef MIXCLAVES_NODE_SOURCES_H
#define MIXCLAVES_NODE_SOURCES_H

#include <stdint.h>

#include "env.h"

struct source {
  cm_addr addr;     /* 0: empty entry (address 0 is never a sender) */
  uint32_t held;    /* packets from it in the delay buffer now */
  double tokens;    /* failure budget left, at most fail_burst */
  cm_time refilled; /* when tokens were last brought up to date */
};

struct srctab {
  struct source *e;
  uint32_t mask; /* capacity - 1 (a power of two) */
  uint32_t n;    /* entries in use */
};

/* 0, or CM_ENOMEM. */
int srctab_init(struct srctab *t);
void srctab_fini(struct srctab *t);
/* The entry of a, or NULL. */
struct source *srctab_find(const struct srctab *t, cm_addr a);
/* A new zeroed entry for a (not in the table; a != 0); the table doubles
 * at half full. NULL when out of memory. */
struct source *srctab_add(struct srctab *t, cm_addr a);
/* Remove s (an entry of t). */
void srctab_del(struct srctab *t, struct source *s);

#endif
