/* The updater's packet transport (models/mixclaves/updater_loop.h) over a
 * real simulated node: each exchange is exactly one datagram accepted by
 * the node and one back; metrics, install and commit take effect when the
 * reply arrives; under a flood that fills the node's CPU queue control
 * packets are dropped with queue_full like any packet, never answered, and
 * counted outstanding; the node's accounting balances throughout; bad
 * arguments. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>

#include "env_sim.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixclaves/updater_loop.h"

#define NODE ((cm_addr)1000)
#define SELF ((cm_addr)900)

struct w {
  env *e;
  node *n;
  uint64_t metrics, acks, last_processed;
};

static node *node_at(void *ctx, cm_addr a) {
  struct w *w = ctx;
  return a == NODE ? w->n : NULL;
}

static cm_time svc(void *arg, size_t len) {
  (void)arg, (void)len;
  return CM_MS(1);
}

static void on_metrics(void *arg, uint64_t token, const struct updater_metrics *m) {
  struct w *w = arg;
  assert_true(token > 0);
  w->metrics++;
  w->last_processed = m->processed;
}

static void on_ack(void *arg, uint64_t token) {
  (void)token;
  ((struct w *)arg)->acks++;
}

static void setup(struct w *w, uint32_t queue_max) {
  memset(w, 0, sizeof *w);
  w->e = env_sim_new(3);
  struct link_model m = {.latency = CM_US(250)};
  env_sim_set_link(w->e, 0, 0, &m);
  cm_addr peers[] = {NODE};
  struct node_params p = {.addr = NODE, .queue_max = queue_max, .service_time = svc};
  w->n = node_new(w->e, &p, peers, 1);
  assert_non_null(w->n);
}

static void digest(struct epoch_digest *d, uint32_t v, bool committed) {
  epoch_digest_init(d, v, 0);
  struct epoch_node nd = {.addr = NODE};
  assert_int_equal(epoch_digest_put(d, &nd), 0);
  d->committed = committed;
}

static void test_exchanges(void **state) {
  (void)state;
  struct w w;
  setup(&w, 0);
  const struct codec_ops *codec;
  assert_int_equal(codec_lookup("abstract", &codec), 0);
  struct updater_loop *s = updater_loop_new(w.e, SELF, codec, NULL, NULL, node_at, &w, CM_MS(1));
  assert_non_null(s);
  struct updater_ops ops = {0};
  updater_loop_ops(s, &ops);
  ops.read_metrics(ops.ctx, NODE, on_metrics, &w, 1);
  assert_int_equal(w.metrics, 0); /* never from inside the call */
  env_run(w.e, CM_S(1));
  assert_int_equal(w.metrics, 1);
  struct node_counters k;
  node_counters(w.n, &k);
  assert_int_equal(k.received, 1); /* the exchange is one packet into the node ... */
  assert_int_equal(k.delivered, 1); /* ... and one back */
  assert_int_equal(w.last_processed, 1); /* read when the reply came: itself included */

  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  digest(d, 2, false);
  ops.install_epoch(ops.ctx, NODE, d, on_ack, &w, 2);
  env_run(w.e, CM_S(2));
  uint32_t inst, com;
  updater_loop_node_epoch(s, NODE, &inst, &com);
  assert_int_equal(inst, 2);
  assert_int_equal(com, 0);
  digest(d, 2, true);
  ops.commit(ops.ctx, NODE, d, on_ack, &w, 3);
  env_run(w.e, CM_S(3));
  updater_loop_node_epoch(s, NODE, &inst, &com);
  assert_int_equal(com, 2);
  /* an install below the committed epoch is answered but not applied */
  digest(d, 1, false);
  ops.install_epoch(ops.ctx, NODE, d, on_ack, &w, 4);
  env_run(w.e, CM_S(4));
  updater_loop_node_epoch(s, NODE, &inst, &com);
  assert_int_equal(inst, 2);
  assert_int_equal(w.acks, 3);
  struct updater_loop_counters c;
  updater_loop_counters(s, &c);
  assert_int_equal(c.sent, 4);
  assert_int_equal(c.returned, 4);
  assert_int_equal(c.outstanding, 0);
  assert_int_equal(c.installs_applied, 1);
  assert_int_equal(c.commits_applied, 1);
  node_counters(w.n, &k);
  assert_int_equal(k.received, 4);
  assert_true(node_counters_balanced(&k));
  g_free(d);
  updater_loop_free(s);
  node_free(w.n);
  env_free(w.e);
}

struct burst {
  struct updater_ops *ops;
  struct w *w;
  int left;
};

static void burst_tick(env *e, void *arg) {
  struct burst *b = arg;
  b->ops->read_metrics(b->ops->ctx, NODE, on_metrics, b->w, (uint64_t)b->left);
  if (--b->left > 0) env_after(e, CM_MS(10), burst_tick, b);
}

static void test_dropped_under_flood(void **state) {
  (void)state;
  struct w w;
  setup(&w, 8); /* 1000 packets/s, 8 queued at most */
  const struct codec_ops *codec;
  assert_int_equal(codec_lookup("abstract", &codec), 0);
  cm_addr nodes[] = {NODE};
  struct client_params cp = {.addr = 5000, .hops = 1, .loop_rate_per_s = 3000, .stop = CM_S(2)};
  client *c = client_new(w.e, &cp, nodes, 1);
  assert_non_null(c);
  struct updater_loop *s = updater_loop_new(w.e, SELF, codec, NULL, NULL, node_at, &w, CM_MS(1));
  struct updater_ops ops = {0};
  updater_loop_ops(s, &ops);
  struct burst b = {.ops = &ops, .w = &w, .left = 60};
  env_after(w.e, CM_S(1), burst_tick, &b); /* 60 exchanges in [1, 1.6) s, node at 3x its capacity */
  env_run(w.e, CM_S(10));
  struct updater_loop_counters k;
  updater_loop_counters(s, &k);
  struct node_counters n;
  node_counters(w.n, &n);
  assert_int_equal(k.sent, 60);
  assert_int_equal(k.returned, w.metrics);
  assert_int_equal(k.sent, k.returned + k.outstanding);
  assert_true(k.outstanding >= 20 && k.outstanding <= 55); /* about 2/3 dropped */
  assert_true(n.queue_full > 0);
  assert_int_equal(n.in_cpu, 0);
  assert_true(node_counters_balanced(&n));
  struct env_net_stats ns;
  env_net_stats(w.e, &ns);
  struct client_counters cc;
  client_counters(c, &cc);
  /* the network: client sends + control sends + node sends = datagrams sent */
  assert_int_equal(ns.sent, cc.sent_loop + k.sent + n.delivered + n.forwarded);
  assert_int_equal(n.received, cc.sent_loop + k.sent);
  updater_loop_free(s);
  client_free(c);
  node_free(w.n);
  env_free(w.e);
}

static void test_bad_args(void **state) {
  (void)state;
  struct w w;
  setup(&w, 0);
  const struct codec_ops *abs, *full;
  assert_int_equal(codec_lookup("abstract", &abs), 0);
  assert_int_equal(codec_lookup("full", &full), 0);
  assert_null(updater_loop_new(w.e, 0, abs, NULL, NULL, node_at, &w, CM_MS(1)));
  assert_null(updater_loop_new(w.e, SELF, NULL, NULL, NULL, node_at, &w, CM_MS(1)));
  assert_null(updater_loop_new(w.e, SELF, abs, NULL, NULL, NULL, &w, CM_MS(1)));
  assert_null(updater_loop_new(w.e, SELF, full, NULL, NULL, node_at, &w, CM_MS(1))); /* keyed, no keys */
  assert_null(updater_loop_new(w.e, NODE, abs, NULL, NULL, node_at, &w, CM_MS(1))); /* address taken */
  /* ... and the node there still bound: a transport at SELF reaches it */
  struct updater_loop *s = updater_loop_new(w.e, SELF, abs, NULL, NULL, node_at, &w, CM_MS(1));
  struct updater_ops ops = {0};
  updater_loop_ops(s, &ops);
  ops.read_metrics(ops.ctx, NODE, on_metrics, &w, 1);
  env_run(w.e, CM_S(1));
  assert_int_equal(w.metrics, 1);
  updater_loop_free(s);
  node_free(w.n);
  env_free(w.e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exchanges),
      cmocka_unit_test(test_dropped_under_flood),
      cmocka_unit_test(test_bad_args),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
