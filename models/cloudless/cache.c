/* The memoisation cache: a pool of entries that grows on use (doubling,
 * from 16 up to capacity: a cache of 1e9 entries holding a few costs a few
 * hundred bytes, not gigabytes), a chained hash table over (function id,
 * key) (function names interned to small integers) rebuilt as the pool
 * grows, and a doubly linked recency list through the pool by index:
 * lookup, insert and eviction are O(1) expected (amortised over growth);
 * once the pool has grown nothing is allocated per operation except a
 * function name's first insert. Which entry is evicted depends only on
 * recency, never on the pool's size, so results do not change with it. */
#include "cloudless/cache.h"

#include <glib.h>

#define NIL UINT32_MAX

struct entry {
  uint64_t key, value;
  cm_time at;           /* inserted or refreshed */
  uint32_t fn;          /* interned function id */
  uint32_t prev, next;  /* recency list (next also links the free list) */
  uint32_t chain;       /* next in the hash bucket */
};

#define FIRST_ALLOC 16

struct cache {
  uint32_t cap, size, mask;
  uint32_t alloc, used; /* entries allocated; entries ever taken (the rest never used) */
  cm_time ttl;
  uint32_t *bucket;
  struct entry *e;
  uint32_t head, tail, free_head; /* head = most recently used */
  GHashTable *fns;                /* name (owned) -> id + 1 */
  uint32_t nfns;
  struct cache_stats st;
};

cache *cache_new(uint32_t capacity, cm_time ttl, char **err) {
  if (capacity == 0 || capacity > (1u << 30) || ttl < 0) {
    if (err)
      *err = g_strdup_printf("cache: capacity %u, ttl %lld ns: expected 1 <= capacity <= 2^30 and ttl >= 0",
                             capacity, (long long)ttl);
    return NULL;
  }
  cache *c = g_new0(cache, 1);
  c->cap = capacity;
  c->ttl = ttl;
  c->free_head = c->head = c->tail = NIL;
  c->fns = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  c->st.capacity = capacity;
  return c;
}

void cache_free(cache *c) {
  if (!c) return;
  g_hash_table_destroy(c->fns);
  g_free(c->bucket);
  g_free(c->e);
  g_free(c);
}

static uint32_t hash(const cache *c, uint32_t fn, uint64_t key) {
  uint64_t x = key ^ ((uint64_t)fn * 0x9e3779b97f4a7c15ull);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (uint32_t)x & c->mask;
}

static uint32_t find(const cache *c, uint32_t fn, uint64_t key) {
  if (!c->bucket) return NIL;
  for (uint32_t i = c->bucket[hash(c, fn, key)]; i != NIL; i = c->e[i].chain)
    if (c->e[i].key == key && c->e[i].fn == fn) return i;
  return NIL;
}

static void lru_unlink(cache *c, uint32_t i) {
  struct entry *x = &c->e[i];
  if (x->prev != NIL) c->e[x->prev].next = x->next; else c->head = x->next;
  if (x->next != NIL) c->e[x->next].prev = x->prev; else c->tail = x->prev;
}

static void lru_push_front(cache *c, uint32_t i) {
  struct entry *x = &c->e[i];
  x->prev = NIL;
  x->next = c->head;
  if (c->head != NIL) c->e[c->head].prev = i; else c->tail = i;
  c->head = i;
}

/* Remove entry i from its bucket and the recency list; back to the free list. */
static void drop(cache *c, uint32_t i) {
  uint32_t *pp = &c->bucket[hash(c, c->e[i].fn, c->e[i].key)];
  while (*pp != i) pp = &c->e[*pp].chain;
  *pp = c->e[i].chain;
  lru_unlink(c, i);
  c->e[i].next = c->free_head;
  c->free_head = i;
  c->size--;
}

/* Room for one more entry: double the pool (up to cap) and rebuild the
 * buckets (at least 2 per entry) from the live entries. */
static void grow(cache *c) {
  uint32_t n = c->alloc ? (c->alloc > c->cap / 2 ? c->cap : 2 * c->alloc) : MIN(FIRST_ALLOC, c->cap);
  c->e = g_renew(struct entry, c->e, n);
  c->alloc = n;
  uint32_t nb = 1;
  while (nb < 2 * n) nb <<= 1;
  g_free(c->bucket);
  c->bucket = g_new(uint32_t, nb);
  c->mask = nb - 1;
  for (uint32_t i = 0; i < nb; i++) c->bucket[i] = NIL;
  for (uint32_t i = c->head; i != NIL; i = c->e[i].next) {
    uint32_t b = hash(c, c->e[i].fn, c->e[i].key);
    c->e[i].chain = c->bucket[b];
    c->bucket[b] = i;
  }
}

/* A free entry's index: a freed one, else a never-used one. */
static uint32_t take(cache *c) {
  uint32_t i = c->free_head;
  if (i != NIL) {
    c->free_head = c->e[i].next;
    return i;
  }
  if (c->used == c->alloc) grow(c);
  return c->used++;
}

bool cache_lookup(cache *c, const char *function, uint64_t key, cm_time now, uint64_t *value) {
  gpointer id = function ? g_hash_table_lookup(c->fns, function) : NULL;
  uint32_t i = id ? find(c, (uint32_t)GPOINTER_TO_UINT(id) - 1, key) : NIL;
  if (i == NIL) {
    c->st.misses++;
    return false;
  }
  if (c->ttl > 0 && now - c->e[i].at >= c->ttl) {
    drop(c, i);
    c->st.expirations++;
    c->st.misses++;
    return false;
  }
  c->st.hits++;
  if (i != c->head) {
    lru_unlink(c, i);
    lru_push_front(c, i);
  }
  if (value) *value = c->e[i].value;
  return true;
}

void cache_insert(cache *c, const char *function, uint64_t key, uint64_t value, cm_time now) {
  if (!function) return;
  c->st.inserts++;
  gpointer id = g_hash_table_lookup(c->fns, function);
  if (!id) {
    id = GUINT_TO_POINTER(++c->nfns);
    g_hash_table_insert(c->fns, g_strdup(function), id);
  }
  uint32_t fn = (uint32_t)GPOINTER_TO_UINT(id) - 1;
  uint32_t i = find(c, fn, key);
  if (i == NIL) {
    if (c->size == c->cap) {
      drop(c, c->tail);
      c->st.evictions++;
    }
    i = take(c);
    c->e[i].fn = fn;
    c->e[i].key = key;
    uint32_t b = hash(c, fn, key);
    c->e[i].chain = c->bucket[b];
    c->bucket[b] = i;
    c->size++;
  } else {
    lru_unlink(c, i);
  }
  c->e[i].value = value;
  c->e[i].at = now;
  lru_push_front(c, i);
}

void cache_stats(const cache *c, struct cache_stats *out) {
  *out = c->st;
  out->size = c->size;
}

size_t cache_bytes(const cache *c) {
  return sizeof *c + (size_t)c->alloc * sizeof(struct entry) + (c->bucket ? ((size_t)c->mask + 1) * sizeof(uint32_t) : 0);
}

double cache_hit_ratio(const cache *c) {
  uint64_t n = c->st.hits + c->st.misses;
  return n ? (double)c->st.hits / (double)n : 0;
}
