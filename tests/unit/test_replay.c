/* The replay filter as a node uses it (sphinx_replay_*, sized by the node
 * for its design rate x NODE_REPLAY_MARGIN): fresh packets falsely rejected
 * as replays while the filter fills from empty to its design capacity,
 * window by window, stay at or below the design rate of 0.1%; a full
 * filter's measured rate matches the sizing formula; and a node at its
 * filter's capacity drops new packets as replay_filter_full instead of
 * rejecting them as replays, until the key changes. */
#include "cmocka_inc.h"

#include <math.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "env_sim.h"
#include "mixclaves/codec.h"
#include "mixclaves/node.h"
#include "mixclaves/sphinx.h"
#include "rng.h"

#define DESIGN_FP 0.001

/* 1 M tags in a filter for 1 M at the node's sizing: false rejects of
 * fresh tags per 10% of fill, then 1 M probes of the full filter. */
static void test_false_rejects_up_to_capacity(void **state CM_UNUSED) {
  const uint64_t cap = 1000000, win = cap / 10;
  double fp = DESIGN_FP * NODE_REPLAY_MARGIN;
  sphinx_replay *f = sphinx_replay_new(cap, fp);
  assert_non_null(f);
  assert_int_equal(sphinx_replay_capacity(f), cap);
  rng *r = rng_new(11, "replay-fill");
  uint8_t tag[32];
  uint64_t total = 0;
  for (int w = 0; w < 10; w++) {
    uint64_t rejected = 0;
    for (uint64_t i = 0; i < win; i++) {
      rng_bytes(r, tag, 32);
      rejected += sphinx_replay_check_insert(f, tag);
    }
    total += rejected;
    print_message("fill %3d-%3d%%: %llu of %llu fresh tags falsely rejected (%.4f%%)\n", 10 * w, 10 * w + 10,
                  (unsigned long long)rejected, (unsigned long long)win, 100.0 * (double)rejected / (double)win);
    assert_true((double)rejected <= DESIGN_FP * (double)win);
  }
  assert_true((double)total <= DESIGN_FP * (double)cap);
  /* the filter counts what it holds; a false reject inserts nothing */
  assert_int_equal(sphinx_replay_count(f), cap - total);
  assert_false(sphinx_replay_full(f));
  uint64_t bits;
  unsigned k;
  assert_int_equal(sphinx_replay_size(cap, fp, &bits, &k), 0);
  double predicted = sphinx_replay_predicted_fp(bits, k, cap);
  uint64_t hits = 0;
  for (int i = 0; i < 1000000; i++) {
    rng_bytes(r, tag, 32);
    hits += sphinx_replay_contains(f, tag);
  }
  print_message("full filter: %llu of 1000000 fresh probes hit (%.4f%%; predicted %.4f%%, design %.1f%%)\n",
                (unsigned long long)hits, hits / 1e4, predicted * 100, DESIGN_FP * 100);
  assert_true((double)hits <= DESIGN_FP * 1e6);
  assert_true(fabs((double)hits - predicted * 1e6) < 5 * sqrt(predicted * 1e6)); /* the formula holds */
  while (!sphinx_replay_full(f)) {
    rng_bytes(r, tag, 32);
    sphinx_replay_check_insert(f, tag);
  }
  assert_int_equal(sphinx_replay_count(f), cap);
  sphinx_replay_reset(f);
  assert_int_equal(sphinx_replay_count(f), 0);
  rng_free(r);
  sphinx_replay_free(f);
}

#define SELF 10
#define TAP 20

static uint64_t tapped;
static void on_tap(env *e CM_UNUSED, void *arg CM_UNUSED, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                   const uint8_t *p CM_UNUSED, size_t len CM_UNUSED) {
  tapped++;
}

/* A node whose filter holds 2000 tags gets 2500 fresh packets (each one
 * hop to TAP): about 2000 are delivered, at most 0.1% of them falsely
 * rejected, and the other 500 are dropped as replay_filter_full, not as
 * replays; a genuine replay is still a replay; after a key change the
 * filter is empty and fresh packets of the new epoch go through. */
static void test_node_filter_full(void **state CM_UNUSED) {
  env *e = env_sim_new(21);
  struct node_params p = {.addr = SELF, .buffer = BUFFER_APPEND, .replay_capacity = 2000, .fail_burst = 1000,
                          .source_share = 1}; /* one source sends all, at once */
  cm_addr self = SELF;
  node *n = node_new(e, &p, &self, 1);
  assert_non_null(n);
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  const struct codec_ops *c = codec_abstract();
  uint8_t *pkt = malloc(c->packet_bytes), *first = malloc(c->packet_bytes);
  rng *r = env_rng(e, "test");
  struct codec_hop h = {.addr = SELF, .delay = CM_US(10), .type = CODEC_ROUTE};
  for (int i = 0; i < 2500; i++) {
    assert_int_equal(c->build(&h, 1, 0, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
    if (i == 0) memcpy(first, pkt, c->packet_bytes);
    node_accept(n, TAP, pkt, c->packet_bytes);
    if (i == 10) node_accept(n, TAP, first, c->packet_bytes); /* a real replay, before the filter is full */
  }
  env_run(e, CM_S(1));
  struct node_counters k;
  node_counters(n, &k);
  print_message("capacity %llu: delivered %llu, false replays %llu, replay_filter_full %llu, tags %llu\n",
                (unsigned long long)k.replay_capacity, (unsigned long long)k.delivered,
                (unsigned long long)(k.replay - 1), (unsigned long long)k.replay_filter_full,
                (unsigned long long)k.replay_tags);
  assert_int_equal(k.replay_capacity, 2000);
  assert_int_equal(k.replay_tags, 2000);
  assert_int_equal(k.delivered, 2000);
  assert_true(k.replay >= 1 && k.replay - 1 <= 2); /* 0.1% of 2000 */
  assert_int_equal(k.replay_filter_full, 500 - (k.replay - 1));
  assert_int_equal(tapped, k.delivered);
  assert_true(node_counters_balanced(&k));
  /* a new key empties the filter: new-epoch packets go through, old-epoch ones are stale */
  assert_int_equal(node_epoch_advance(n, NULL), 0);
  assert_int_equal(c->build(&h, 1, 1, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
  node_accept(n, TAP, pkt, c->packet_bytes);
  node_accept(n, TAP, first, c->packet_bytes);
  env_run(e, CM_S(2));
  node_counters(n, &k);
  assert_int_equal(k.delivered, 2001);
  assert_int_equal(k.stale_epoch, 1);
  assert_int_equal(k.replay_tags, 1);
  assert_true(node_counters_balanced(&k));
  free(pkt);
  free(first);
  node_free(n);
  env_free(e);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_false_rejects_up_to_capacity),
      cmocka_unit_test(test_node_filter_full),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
