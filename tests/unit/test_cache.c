/* The memoisation cache: hits and misses, least-recently-used eviction
 * (a lookup refreshes recency), TTL expiry, keys of different functions
 * kept apart, refresh on re-insert, and the hit ratio; then a random
 * workload checked against a naive model of the same cache. */
#include "cmocka_inc.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless/cache.h"
#include "rng.h"

static void test_hits_and_misses(void **state CM_UNUSED) {
  cache *c = cache_new(4, 0, NULL);
  uint64_t v = 0;
  assert_false(cache_lookup(c, "resnet18", 7, 0, &v));
  cache_insert(c, "resnet18", 7, 70, 0);
  assert_true(cache_lookup(c, "resnet18", 7, CM_S(1000), &v)); /* ttl 0: never stale */
  assert_int_equal(v, 70);
  assert_false(cache_lookup(c, "resnet50", 7, 0, &v)); /* same key, other function */
  assert_false(cache_lookup(c, "resnet18", 8, 0, NULL));
  cache_insert(c, "resnet18", 7, 71, 5); /* refresh: one entry, new value */
  assert_true(cache_lookup(c, "resnet18", 7, 5, &v));
  assert_int_equal(v, 71);
  struct cache_stats st;
  cache_stats(c, &st);
  assert_int_equal(st.hits, 2);
  assert_int_equal(st.misses, 3);
  assert_int_equal(st.size, 1);
  assert_int_equal(st.inserts, 2);
  assert_true(cache_hit_ratio(c) == 2.0 / 5.0);
  cache_free(c);
}

/* Capacity 3: insert a, b, c; touch a; insert d evicts b (the least
 * recently used), then e evicts c. */
static void test_lru(void **state CM_UNUSED) {
  cache *c = cache_new(3, 0, NULL);
  cache_insert(c, "f", 1, 1, 0);
  cache_insert(c, "f", 2, 2, 1);
  cache_insert(c, "f", 3, 3, 2);
  assert_true(cache_lookup(c, "f", 1, 3, NULL));
  cache_insert(c, "f", 4, 4, 4);
  assert_false(cache_lookup(c, "f", 2, 5, NULL));
  assert_true(cache_lookup(c, "f", 3, 5, NULL)); /* now 3 is the most recent, 1 the least */
  cache_insert(c, "f", 5, 5, 6);
  assert_false(cache_lookup(c, "f", 1, 7, NULL));
  assert_true(cache_lookup(c, "f", 3, 7, NULL));
  assert_true(cache_lookup(c, "f", 4, 7, NULL));
  assert_true(cache_lookup(c, "f", 5, 7, NULL));
  struct cache_stats st;
  cache_stats(c, &st);
  assert_int_equal(st.evictions, 2);
  assert_int_equal(st.size, 3);
  assert_int_equal(st.capacity, 3);
  cache_free(c);
}

/* TTL 10 s: fresh at 9.999 s, stale (a miss, removed) at 10 s; a re-insert
 * restarts the age. */
static void test_ttl(void **state CM_UNUSED) {
  cache *c = cache_new(8, CM_S(10), NULL);
  cache_insert(c, "f", 1, 1, CM_S(100));
  assert_true(cache_lookup(c, "f", 1, CM_S(110) - 1, NULL));
  assert_false(cache_lookup(c, "f", 1, CM_S(110), NULL));
  assert_false(cache_lookup(c, "f", 1, CM_S(100), NULL)); /* removed, even looking back in time */
  cache_insert(c, "f", 2, 2, CM_S(100));
  cache_insert(c, "f", 2, 2, CM_S(105));
  assert_true(cache_lookup(c, "f", 2, CM_S(114), NULL));
  struct cache_stats st;
  cache_stats(c, &st);
  assert_int_equal(st.expirations, 1);
  assert_int_equal(st.size, 1);
  assert_int_equal(st.hits, 2);
  assert_int_equal(st.misses, 2);
  cache_free(c);
}

/* 200000 random operations on a capacity-16 cache over 8 keys and 3
 * functions, checked step by step against a model kept as a list. */
struct model_entry {
  int fn;
  uint64_t key, value;
  cm_time at;
};

/* The cache against a list model, at capacity 16 (the pool's first size)
 * and 40 (the pool grows 16 -> 32 -> 40 while entries are live). */
static void model_run(int cap, uint64_t keys) {
  const char *fns[3] = {"a", "b", "c"};
  const cm_time ttl = 30;
  cache *c = cache_new((uint32_t)cap, ttl, NULL);
  rng *r = rng_new(3, "cache");
  struct model_entry m[64]; /* m[0] most recent */
  int n = 0;
  for (cm_time now = 0; now < 200000; now++) {
    int fn = (int)rng_below(r, 3);
    uint64_t key = 1 + rng_below(r, keys), got = 0;
    int at = -1;
    for (int i = 0; i < n; i++)
      if (m[i].fn == fn && m[i].key == key) at = i;
    if (rng_uniform(r) < 0.5) {
      bool fresh = at >= 0 && now - m[at].at < ttl;
      assert_int_equal(cache_lookup(c, fns[fn], key, now, &got), fresh);
      if (at >= 0) {
        struct model_entry x = m[at];
        memmove(&m[1], &m[0], sizeof(m[0]) * (size_t)at);
        if (fresh) {
          assert_int_equal(got, x.value);
          m[0] = x;
        } else { /* stale: removed */
          memmove(&m[0], &m[1], sizeof(m[0]) * (size_t)(n - 1));
          n--;
        }
      }
    } else {
      uint64_t value = rng_below(r, 1000);
      cache_insert(c, fns[fn], key, value, now);
      if (at >= 0) {
        memmove(&m[1], &m[0], sizeof(m[0]) * (size_t)at);
      } else {
        if (n == cap) n--; /* evict the least recent */
        memmove(&m[1], &m[0], sizeof(m[0]) * (size_t)n);
        n++;
      }
      m[0] = (struct model_entry){fn, key, value, now};
    }
    struct cache_stats st;
    cache_stats(c, &st);
    assert_int_equal(st.size, n);
  }
  struct cache_stats st; /* every path was taken */
  cache_stats(c, &st);
  printf("model run: hits %llu misses %llu evictions %llu expirations %llu\n", (unsigned long long)st.hits,
         (unsigned long long)st.misses, (unsigned long long)st.evictions, (unsigned long long)st.expirations);
  assert_true(st.hits > 1000 && st.evictions > 1000 && st.expirations > 1000);
  rng_free(r);
  cache_free(c);
}

static void test_against_model(void **state CM_UNUSED) {
  model_run(16, 8);
  model_run(40, 24);
}

/* A legal capacity of 1e9 entries (20+ GB if allocated up front) with a
 * few inserts holds a few kB: the pool grows on use. */
static void test_huge_capacity_allocated_on_use(void **state CM_UNUSED) {
  cache *c = cache_new(1000000000u, 0, NULL);
  assert_non_null(c);
  size_t empty = cache_bytes(c);
  for (uint64_t k = 1; k <= 100; k++) cache_insert(c, "resnet18", k, k * 7, (cm_time)k);
  for (uint64_t k = 1; k <= 100; k++) {
    uint64_t v = 0;
    assert_true(cache_lookup(c, "resnet18", k, 1000, &v));
    assert_int_equal(v, k * 7);
  }
  struct cache_stats st;
  cache_stats(c, &st);
  assert_int_equal(st.size, 100);
  assert_int_equal(st.capacity, 1000000000u);
  printf("1e9-entry cache: %zu bytes empty, %zu bytes with 100 entries\n", empty, cache_bytes(c));
  assert_true(cache_bytes(c) < 16384);
  cache_free(c);
}

static void test_bad(void **state CM_UNUSED) {
  char *err = NULL;
  assert_null(cache_new(0, 0, &err));
  assert_non_null(err);
  g_free(err);
  assert_null(cache_new(4, -1, NULL));
  cache_free(NULL);
  cache *c = cache_new(1, 0, NULL);
  assert_true(cache_hit_ratio(c) == 0);
  cache_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_hits_and_misses), cmocka_unit_test(test_lru), cmocka_unit_test(test_ttl),
      cmocka_unit_test(test_against_model),   cmocka_unit_test(test_bad),
      cmocka_unit_test(test_huge_capacity_allocated_on_use),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
