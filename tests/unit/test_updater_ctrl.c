/* The updater over real CTRL packets (models/mixclaves/updater_ctrl.h) in
 * a simulated 3-node mixnet: the transport reads metrics, installs and
 * commits an epoch at every node (the nodes hold the digest through a
 * digest_store, COMMIT sets their peers); every control packet shows in
 * the nodes' public counters only as discarded_drop (the request) and
 * loops_sent (the reply), plus a relay's forwarded / delivered as for any
 * client packet; a node configured with another operator key never acts
 * on a request (and once an install goes unanswered, the transport's
 * alternate stamps show as stale_epoch, as any stale packet); and the whole updater, when one node's CPU queue is
 * flooded, loses control packets there (queue_full), retries its attempt
 * at the next epoch, and commits once the flood ends. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "env_sim.h"
#include "mixclaves/client.h"
#include "mixclaves/digest_store.h"
#include "mixclaves/node.h"
#include "mixclaves/updater.h"
#include "mixclaves/updater_ctrl.h"

#define NODE0 ((cm_addr)1000)
#define OPER ((cm_addr)900)
#define FLOOD ((cm_addr)500)
#define NMAX 4

struct w {
  env *e;
  node *n[NMAX];
  uint32_t nn;
  struct digest_store *store;
  uint8_t op_pk[32], op_sk[64], other_pk[32];
  uint64_t metrics, acks, last_processed;
  cm_time last_at;
  updater_provision_fn prov_done;
  void *prov_arg;
};

static cm_time svc(void *arg, size_t len) {
  (void)arg, (void)len;
  return CM_MS(1);
}

static int sign_lookup(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct w *w = ctx;
  if (a < NODE0 || a - NODE0 >= w->nn) return CM_ENOENT;
  struct node_config c;
  node_config(w->n[a - NODE0], &c);
  memcpy(pk, c.sign_pk, 32);
  return 0;
}

/* Node i at key epoch 1, peers itself only; wrong_key: another operator's;
 * the old key kept 2 s after a commit (node.h). */
static void add_node(struct w *w, uint32_t queue_max, bool wrong_key) {
  cm_addr self = NODE0 + w->nn;
  struct node_params p = {.addr = self, .queue_max = queue_max, .service_time = svc, .epoch = 1,
                          .operator_pk = wrong_key ? w->other_pk : w->op_pk, .epoch_known = digest_store_known,
                          .epoch_peers = digest_store_peers, .epoch_ctx = w->store,
                          .epoch_grace = CM_S(2)}; /* the old key outlives a commit's reply trip */
  w->n[w->nn] = node_new(w->e, &p, &self, 1);
  assert_non_null(w->n[w->nn]);
  w->nn++;
}

static void setup(struct w *w, uint32_t queue_max_last, bool wrong_key_last) {
  memset(w, 0, sizeof *w);
  assert_true(sodium_init() >= 0);
  w->e = env_sim_new(3);
  struct link_model m = {.latency = CM_US(250)};
  env_sim_set_link(w->e, 0, 0, &m);
  w->store = digest_store_new();
  uint8_t seed[32] = {7}, other[64];
  crypto_sign_seed_keypair(w->op_pk, w->op_sk, seed);
  seed[0] = 8;
  crypto_sign_seed_keypair(w->other_pk, other, seed);
  for (int i = 0; i < 3; i++) add_node(w, i == 2 ? queue_max_last : 0, i == 2 && wrong_key_last);
}

static void teardown(struct w *w) {
  for (uint32_t i = 0; i < w->nn; i++) node_free(w->n[i]);
  digest_store_free(w->store);
  env_free(w->e);
}

static void digest_of(struct w *w, struct epoch_digest *d, uint32_t v, uint32_t n, bool committed) {
  epoch_digest_init(d, v, 0);
  for (uint32_t i = 0; i < n; i++) {
    struct epoch_node nd = {.addr = NODE0 + i};
    assert_int_equal(epoch_digest_put(d, &nd), 0);
  }
  d->committed = committed;
  (void)w;
}

static struct updater_ctrl *transport(struct w *w, const struct epoch_digest *initial) {
  struct updater_ctrl_params p = {.addr = OPER, .operator_sk = w->op_sk, .initial = initial, .store = w->store,
                                  .hops = 1, .timeout = CM_MS(500), .sign_keys = sign_lookup, .sign_ctx = w};
  struct updater_ctrl *s = updater_ctrl_new(w->e, &p);
  assert_non_null(s);
  return s;
}

static void on_metrics(void *arg, uint64_t token, const struct updater_metrics *m) {
  struct w *w = arg;
  assert_true(token > 0);
  w->metrics++;
  w->last_processed = m->processed;
  w->last_at = m->at;
}

static void on_ack(void *arg, uint64_t token) {
  (void)token;
  ((struct w *)arg)->acks++;
}

static uint32_t epoch_of(node *n) {
  struct node_config c;
  node_config(n, &c);
  return c.epoch;
}

/* Does n hold a key for epoch (current, published ahead, or in grace)? */
static bool holds(node *n, uint32_t epoch) {
  struct node_config c;
  node_config(n, &c);
  for (size_t i = 0; i < c.nepochs; i++)
    if (c.epochs[i] == epoch) return true;
  return false;
}

static void test_exchanges(void **state) {
  (void)state;
  struct w w;
  setup(&w, 0, false);
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  digest_of(&w, d, 1, 3, true);
  struct updater_ctrl *s = transport(&w, d);
  struct updater_ops ops = {0};
  updater_ctrl_ops(s, &ops);
  ops.read_metrics(ops.ctx, NODE0, on_metrics, &w, 1);
  assert_int_equal(w.metrics, 0); /* never from inside the call */
  env_run(w.e, CM_S(1));
  assert_int_equal(w.metrics, 1);
  assert_int_equal(w.last_processed, 1); /* the node counts the request itself as discarded_drop */
  assert_true(w.last_at > 0 && w.last_at < CM_S(1));

  /* install epoch 2 at every node: each holds the digest (the store) and
   * publishes its key ahead; it stays at epoch 1 until the commit */
  digest_of(&w, d, 2, 3, false);
  for (uint32_t i = 0; i < 3; i++) ops.install_epoch(ops.ctx, NODE0 + i, d, on_ack, &w, 10 + i);
  env_run(w.e, CM_S(2));
  assert_int_equal(w.acks, 3);
  for (uint32_t i = 0; i < 3; i++) {
    assert_int_equal(epoch_of(w.n[i]), 1);
    assert_true(holds(w.n[i], 2));
    assert_int_equal(updater_ctrl_node_epoch(s, NODE0 + i), 1);
    assert_int_equal(node_committed_epoch(w.n[i]), 0);
  }
  /* a resend of the same install is acknowledged and changes nothing */
  ops.install_epoch(ops.ctx, NODE0, d, on_ack, &w, 20);
  env_run(w.e, CM_S(3));
  assert_int_equal(w.acks, 4);
  assert_int_equal(epoch_of(w.n[0]), 1);
  /* commit: the committed digest is another entry of the store; the key
   * published becomes current, peers set */
  digest_of(&w, d, 2, 3, true);
  for (uint32_t i = 0; i < 3; i++) ops.commit(ops.ctx, NODE0 + i, d, on_ack, &w, 30 + i);
  env_run(w.e, CM_S(4));
  assert_int_equal(w.acks, 7);
  for (uint32_t i = 0; i < 3; i++) {
    assert_int_equal(node_committed_epoch(w.n[i]), 2);
    assert_int_equal(epoch_of(w.n[i]), 2);
    assert_int_equal(updater_ctrl_node_epoch(s, NODE0 + i), 2);
  }
  /* a commit of an epoch the node is not at: NACK, never acknowledged */
  digest_of(&w, d, 3, 3, true);
  ops.commit(ops.ctx, NODE0 + 1, d, on_ack, &w, 40);
  env_run(w.e, CM_S(5));
  assert_int_equal(w.acks, 7);
  struct updater_ctrl_counters k;
  updater_ctrl_counters(s, &k);
  assert_int_equal(k.sent, 9);
  assert_int_equal(k.acked, 8); /* 1 metrics + 7 */
  assert_int_equal(k.nacked, 1);
  assert_int_equal(k.timed_out + k.outstanding + k.malformed + k.send_failed, 0);
  /* public counters: requests only as discarded_drop, replies only as
   * loops_sent at the target; the reply's relay forwards/delivers it as
   * any client packet; nothing else moves */
  uint64_t drops = 0, own = 0, relayed = 0;
  for (uint32_t i = 0; i < 3; i++) {
    struct node_counters c;
    node_counters(w.n[i], &c);
    assert_true(node_counters_balanced(&c));
    assert_int_equal(c.received, c.discarded_drop + c.forwarded + c.delivered);
    assert_int_equal(c.malformed + c.stale_epoch + c.rate_limited + c.replay + c.queue_full + c.buffer_full +
                         c.unknown_next_hop + c.send_failed + c.loop_returned + c.loop_send_failed,
                     0);
    drops += c.discarded_drop;
    own += c.loops_sent;
    relayed += c.delivered;
  }
  assert_int_equal(drops, 9);
  assert_int_equal(own, 9);
  assert_int_equal(relayed, 9); /* 1-hop reply blocks: each reply delivered to the operator by its relay */
  updater_ctrl_free(s);
  g_free(d);
  teardown(&w);
}

/* A node whose operator key is another's: it never acts; the transport
 * times out; its public counters show one discarded_drop per request. */
static void test_wrong_operator(void **state) {
  (void)state;
  struct w w;
  setup(&w, 0, true);
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  digest_of(&w, d, 1, 3, true);
  struct updater_ctrl *s = transport(&w, d);
  struct updater_ops ops = {0};
  updater_ctrl_ops(s, &ops);
  digest_of(&w, d, 2, 3, false);
  for (int r = 0; r < 3; r++) ops.install_epoch(ops.ctx, NODE0 + 2, d, on_ack, &w, 1 + r);
  ops.read_metrics(ops.ctx, NODE0 + 2, on_metrics, &w, 9);
  env_run(w.e, CM_S(3));
  assert_int_equal(w.acks + w.metrics, 0);
  assert_int_equal(epoch_of(w.n[2]), 1);
  struct node_counters c;
  node_counters(w.n[2], &c);
  struct updater_ctrl_counters k;
  updater_ctrl_counters(s, &k);
  /* an install left unanswered makes the transport alternate the node's
   * two possible epochs: those requests die as stale_epoch before any crypto */
  assert_true(k.alt_stamps <= 3); /* the 3 requests after the first install */
  assert_int_equal(c.stale_epoch, k.alt_stamps);
  assert_int_equal(c.discarded_drop, 4 - k.alt_stamps);
  assert_int_equal(c.loops_sent, 0);
  assert_int_equal(c.received, 4);
  assert_int_equal(k.sent, 4);
  assert_int_equal(k.timed_out, 4);
  assert_int_equal(k.acked + k.nacked, 0);
  updater_ctrl_free(s);
  g_free(d);
  teardown(&w);
}

/* ---- the whole updater, one node flooded ---- */

static void provisioned(env *e, void *arg) {
  (void)e;
  struct w *w = arg;
  add_node(w, 0, false);
  struct node_config c;
  node_config(w->n[w->nn - 1], &c);
  struct epoch_node nd = {.addr = c.addr};
  memcpy(nd.sign_pk, c.sign_pk, 32);
  memcpy(nd.sphinx_pk, c.pk, 32);
  w->prov_done(w->prov_arg, &nd);
}

static void op_provision(void *ctx, updater_provision_fn done, void *arg) {
  struct w *w = ctx;
  w->prov_done = done;
  w->prov_arg = arg;
  env_after(w->e, CM_MS(100), provisioned, w);
}

static struct updater_ctrl *g_s; /* the transport behind the updater's ops (one test at a time) */
static void fw_metrics(void *ctx, cm_addr n, updater_metrics_fn f, void *a, uint64_t t) {
  (void)ctx;
  struct updater_ops o;
  updater_ctrl_ops(g_s, &o);
  o.read_metrics(o.ctx, n, f, a, t);
}
static void fw_install(void *ctx, cm_addr n, const struct epoch_digest *d, updater_ack_fn f, void *a, uint64_t t) {
  (void)ctx;
  struct updater_ops o;
  updater_ctrl_ops(g_s, &o);
  o.install_epoch(o.ctx, n, d, f, a, t);
}
static void fw_commit(void *ctx, cm_addr n, const struct epoch_digest *d, updater_ack_fn f, void *a, uint64_t t) {
  (void)ctx;
  struct updater_ops o;
  updater_ctrl_ops(g_s, &o);
  o.commit(o.ctx, n, d, f, a, t);
}

static void test_updater_overload(void **state) {
  (void)state;
  struct w w;
  setup(&w, 8, false); /* node 2: a CPU queue of 8 packets */
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  digest_of(&w, d, 1, 3, true);
  for (uint32_t i = 0; i < 3; i++) {
    cm_addr all[] = {NODE0, NODE0 + 1, NODE0 + 2};
    assert_int_equal(node_set_peers(w.n[i], all, 3), 0);
  }
  g_s = transport(&w, d);
  /* a flood of 1-hop loops into node 2 at 10x its service rate, for 2 s */
  cm_addr target = NODE0 + 2;
  struct client_params cp = {.addr = FLOOD, .hops = 1, .loop_rate_per_s = 10000, .stop = CM_S(2), .epoch = 1};
  client *fl = client_new(w.e, &cp, &target, 1);
  assert_non_null(fl);
  double th[] = {1e9, 1e9, 1}; /* 3 nodes scale out at once */
  struct updater_params up = {.sample_interval = CM_MS(200), .reply_timeout = CM_MS(100),
                              .converge_timeout = CM_MS(300), .max_attempts = 30, .max_nodes = 4,
                              .stop = CM_S(6), .thresholds = th, .nthresholds = 3, .operator_sk = w.op_sk};
  struct updater_ops ops = {.ctx = &w, .read_metrics = fw_metrics, .install_epoch = fw_install,
                            .commit = fw_commit, .provision = op_provision};
  updater *u = updater_new(w.e, &up, &ops, d);
  assert_non_null(u);
  env_run(w.e, CM_S(8));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_true(updater_counters_balanced(&k));
  assert_int_equal(k.scale_outs, 1);
  assert_int_equal(k.committed, 1);
  assert_true(k.retried >= 1); /* the flooded node dropped installs: retried at the next epoch */
  assert_int_equal(k.abandoned + k.running + k.pending, 0);
  assert_int_equal(k.nodes, 4);
  assert_int_equal(k.epoch, 2 + k.retried); /* one epoch per attempt */
  size_t na;
  const struct updater_attempt *a = updater_attempts(u, &na);
  assert_int_equal(na, k.attempts);
  for (size_t i = 0; i + 1 < na; i++) {
    assert_int_equal(a[i].outcome, UPDATER_RETRIED);
    assert_int_equal(a[i + 1].version, a[i].version + 1);
  }
  assert_true(a[na - 1].started >= CM_S(2) - CM_MS(500)); /* the commit came once the flood eased */
  struct node_counters c;
  node_counters(w.n[2], &c);
  assert_true(c.queue_full > 0);
  for (uint32_t i = 0; i < w.nn; i++) {
    assert_int_equal(epoch_of(w.n[i]), k.epoch);
    assert_int_equal(node_committed_epoch(w.n[i]), k.epoch);
    node_counters(w.n[i], &c);
    assert_true(node_counters_balanced(&c));
  }
  struct updater_ctrl_counters t;
  updater_ctrl_counters(g_s, &t);
  assert_true(t.timed_out > 0);
  assert_int_equal(t.outstanding, 0);
  updater_free(u);
  updater_ctrl_free(g_s);
  client_free(fl);
  g_free(d);
  teardown(&w);
}

static void test_bad_arguments(void **state) {
  (void)state;
  struct w w;
  setup(&w, 0, false);
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  digest_of(&w, d, 1, 3, true);
  struct updater_ctrl_params p = {.addr = OPER, .operator_sk = w.op_sk, .initial = d, .store = w.store};
  p.store = NULL;
  assert_null(updater_ctrl_new(w.e, &p));
  p.store = w.store;
  p.operator_sk = NULL;
  assert_null(updater_ctrl_new(w.e, &p));
  p.operator_sk = w.op_sk;
  p.addr = NODE0; /* taken by a node */
  assert_null(updater_ctrl_new(w.e, &p));
  /* the store: a digest not held is unknown; a proposal gives no peers */
  uint8_t h[32];
  cm_addr peers[4];
  size_t n;
  digest_of(&w, d, 5, 2, false);
  assert_int_equal(epoch_digest_hash(d, h), 0);
  assert_int_equal(digest_store_known(w.store, 5, h, NULL), CM_ENOENT);
  assert_int_equal(digest_store_put(w.store, d), 0);
  assert_int_equal(digest_store_known(w.store, 5, h, NULL), 1);
  assert_int_equal(digest_store_known(w.store, 6, h, NULL), CM_ENOENT);
  assert_int_equal(digest_store_peers(w.store, 5, h, peers, 4, &n), CM_ENOENT);
  d->committed = true;
  assert_int_equal(epoch_digest_hash(d, h), 0);
  assert_int_equal(digest_store_put(w.store, d), 0);
  assert_int_equal(digest_store_peers(w.store, 5, h, peers, 1, &n), CM_ERANGE);
  assert_int_equal(digest_store_peers(w.store, 5, h, peers, 4, &n), 0);
  assert_int_equal(n, 2);
  assert_int_equal(peers[1], NODE0 + 1);
  g_free(d);
  teardown(&w);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_exchanges),
      cmocka_unit_test(test_wrong_operator),
      cmocka_unit_test(test_updater_overload),
      cmocka_unit_test(test_bad_arguments),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
