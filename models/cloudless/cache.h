/* Memoisation cache (seed section 4, component e): results of functions
 * that can be memoised, keyed by (function name, input key), so a repeated
 * call is answered without invoking. Bounded: at most capacity entries, the
 * least recently used evicted first; an entry older than ttl is stale and
 * counts as a miss. Time is passed in by the caller (env_now). */
#ifndef CM_CLOUDLESS_CACHE_H
#define CM_CLOUDLESS_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"

typedef struct cache cache;

/* capacity >= 1 entries; ttl >= 0 ns, 0 = entries never expire. NULL with
 * *err (g_malloc'd, one line) on a bad argument. */
cache *cache_new(uint32_t capacity, cm_time ttl, char **err);
void cache_free(cache *c);

/* A fresh entry for (function, key) at time now: true (and *value, if
 * value is not NULL), and the entry becomes the most recently used. A stale
 * entry (now - inserted >= ttl) is removed and counts as a miss. function
 * is borrowed. */
bool cache_lookup(cache *c, const char *function, uint64_t key, cm_time now, uint64_t *value);

/* Insert or refresh (function, key) -> value at time now (the entry's age
 * restarts), evicting the least recently used entry when full. function is
 * copied (once per distinct name). */
void cache_insert(cache *c, const char *function, uint64_t key, uint64_t value, cm_time now);

struct cache_stats {
  uint64_t hits, misses;  /* lookups; misses include stale entries */
  uint64_t inserts;       /* cache_insert calls */
  uint64_t evictions;     /* removed to make room */
  uint64_t expirations;   /* removed as stale by a lookup */
  uint32_t size, capacity;
};
void cache_stats(const cache *c, struct cache_stats *out);
/* Bytes the cache holds now (its pool and buckets grow with use, not with
 * capacity). */
size_t cache_bytes(const cache *c);

/* hits / (hits + misses); 0 before any lookup. */
double cache_hit_ratio(const cache *c);

#endif
