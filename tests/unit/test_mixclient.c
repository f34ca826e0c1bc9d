/* The Loopix / benchmark client under the sim backend: the payload format;
 * Poisson stream rates; paths (uniform over a trust domain, stratified by
 * layer) and exponential per-hop delays read back from the packets with
 * the abstract codec at tap addresses; the latency threshold (lost, late
 * with latency still recorded); packets to nobody; real messages between
 * clients; bad parameters. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env_real.h"
#include "env_sim.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixclaves/sphinx.h"

#define NODE0 10
#define CLIENT0 100

static void test_payload(void **state CM_UNUSED) {
  struct client_payload m = {.kind = CLIENT_LOOP, .src = 5, .dst = 6, .seq = 1ull << 40, .sent_at = CM_S(3),
                             .experiment = 77},
                        o;
  uint8_t b[CLIENT_PAYLOAD_BYTES];
  client_payload_encode(&m, b);
  assert_int_equal(client_payload_decode(b, sizeof b, &o), 0);
  assert_int_equal(o.kind, m.kind);
  assert_int_equal(o.src, 5);
  assert_int_equal(o.dst, 6);
  assert_true(o.seq == m.seq && o.sent_at == m.sent_at && o.experiment == 77);
  assert_int_equal(client_payload_decode(b, sizeof b - 1, &o), CM_EPARSE);
  for (size_t i = 0; i < sizeof b; i++) {
    b[i] ^= 0x10;
    assert_int_equal(client_payload_decode(b, sizeof b, &o), CM_EPARSE);
    b[i] ^= 0x10;
  }
}

/* Taps at the node addresses unwrap what the client sends and follow the
 * header hop by hop, recording what they see. */
struct taps {
  uint64_t first[8];      /* packets whose first hop is node i */
  uint64_t at_hop[4][8];  /* hop h went to node i */
  uint64_t types[5];      /* per-hop types seen */
  uint64_t packets, hops, bad_layer, bad_dest;
  double delay_sum_s;
  uint32_t layers;        /* 0: not stratified */
  size_t nnodes;
};

static void on_tap(env *e CM_UNUSED, void *arg, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  struct taps *t = arg;
  const struct codec_ops *c = codec_abstract();
  uint8_t cur[4096], out[4096];
  memcpy(cur, pkt, len);
  cm_addr at = to;
  t->packets++;
  t->first[at - NODE0]++;
  for (int h = 0;; h++) {
    struct codec_unwrapped u;
    struct codec_node self = {.addr = at};
    assert_int_equal(c->unwrap(&self, cur, len, out, &u), 0);
    t->hops++;
    t->types[u.type]++;
    t->delay_sum_s += cm_time_to_s(u.delay);
    if (h < 4) t->at_hop[h][at - NODE0]++;
    if (t->layers) {
      size_t per = t->nnodes / t->layers;
      if ((at - NODE0) / per != (size_t)h % t->layers) t->bad_layer++;
    }
    if (u.final) {
      if (u.type != CODEC_DROP && u.dest != from) t->bad_dest++;
      break;
    }
    at = u.next;
    memcpy(cur, out, len);
  }
}

static env *tapped_env(uint64_t seed, struct taps *t, size_t nnodes, uint32_t layers, cm_addr *nodes) {
  memset(t, 0, sizeof *t);
  t->layers = layers;
  t->nnodes = nnodes;
  env *e = env_sim_new(seed);
  struct link_model m = {.latency = CM_MS(3)};
  env_sim_set_link(e, 0, 0, &m);
  for (size_t i = 0; i < nnodes; i++) {
    nodes[i] = (cm_addr)(NODE0 + i);
    assert_int_equal(env_bind(e, nodes[i], on_tap, t), 0);
  }
  return e;
}

static void test_rates_and_domain_paths(void **state CM_UNUSED) {
  struct taps t;
  cm_addr nodes[3];
  env *e = tapped_env(1, &t, 3, 0, nodes);
  struct client_params p = {.addr = CLIENT0, .hops = 2, .real_rate_per_s = 100, .loop_rate_per_s = 200,
                            .drop_rate_per_s = 50, .stop = CM_S(10), .mean_delay = CM_MS(1)};
  client *c = client_new(e, &p, nodes, 3);
  assert_non_null(c);
  env_run(e, CM_S(20));
  struct client_counters k;
  client_counters(c, &k);
  /* Poisson counts: mean rate x 10 s, sd sqrt(mean); 4.5 sd bounds. */
  assert_true(fabs((double)k.sent_real - 1000) < 4.5 * sqrt(1000));
  assert_true(fabs((double)k.sent_loop - 2000) < 4.5 * sqrt(2000));
  assert_true(fabs((double)k.sent_drop - 500) < 4.5 * sqrt(500));
  assert_int_equal(k.tracked, k.sent_real + k.sent_loop); /* real to self + loops */
  assert_int_equal(k.lost, k.tracked);                    /* the taps answer nothing */
  assert_int_equal(k.late + k.received, 0);
  assert_true(client_counters_balanced(&k));
  assert_int_equal(t.packets, k.sent_real + k.sent_loop + k.sent_drop);
  assert_int_equal(t.hops, 2 * (k.sent_real + k.sent_loop) + k.sent_drop); /* drop cover: 1 hop */
  assert_int_equal(t.types[CODEC_DROP], k.sent_drop);
  /* only the last hop learns LOOP / DROP: every other hop is ROUTE */
  assert_int_equal(t.types[CODEC_LOOP], k.sent_loop);
  assert_int_equal(t.types[CODEC_ROUTE], 2 * k.sent_real + k.sent_loop);
  assert_int_equal(t.bad_dest, 0);
  /* Uniform over the domain: each node about a third of the first hops. */
  for (int i = 0; i < 3; i++) {
    double share = (double)t.first[i] / (double)t.packets;
    assert_true(fabs(share - 1.0 / 3) < 0.03);
  }
  /* Exponential delays of mean 1 ms. */
  double mean = t.delay_sum_s / (double)t.hops;
  assert_true(fabs(mean - 1e-3) < 0.05e-3);
  client_free(c);
  env_free(e);
}

static void test_stratified_paths(void **state CM_UNUSED) {
  struct taps t;
  cm_addr nodes[6];
  env *e = tapped_env(2, &t, 6, 3, nodes);
  struct client_params p = {.addr = CLIENT0, .topology = CLIENT_STRATIFIED, .layers = 3, .loop_rate_per_s = 500,
                            .stop = CM_S(2)};
  client *c = client_new(e, &p, nodes, 6);
  assert_non_null(c);
  env_run(e, CM_S(4));
  struct client_counters k;
  client_counters(c, &k);
  assert_true(k.sent_loop > 800);
  assert_int_equal(t.hops, 3 * k.sent_loop); /* hops defaults to the layers */
  assert_int_equal(t.bad_layer, 0);
  for (int h = 0; h < 3; h++)
    for (int i = 0; i < 6; i++) {
      bool in_layer = i / 2 == h;
      if (!in_layer) assert_int_equal(t.at_hop[h][i], 0);
      else assert_true(t.at_hop[h][i] > k.sent_loop / 2 - 100); /* uniform within the layer */
    }
  client_free(c);
  /* Bad layouts and parameters. */
  assert_null(client_new(e, &p, nodes, 5)); /* 5 nodes in 3 layers */
  struct client_params q = p;
  q.hops = 17;
  assert_null(client_new(e, &q, nodes, 6));
  q = p;
  q.loop_rate_per_s = -1;
  assert_null(client_new(e, &q, nodes, 6));
  q = p;
  q.addr = 0;
  assert_null(client_new(e, &q, nodes, 6));
  assert_null(client_new(e, &p, NULL, 0));
  env_free(e);
}

/* One real node 10 ms away (20 ms there and back): with late_after 15 ms
 * every loop is lost, then arrives late with its latency recorded; with
 * 23 ms some make it and some are late. */
static void run_threshold(cm_time late_after, struct client_counters *k, int64_t *min_rtt, uint64_t *hcount) {
  env *e = env_sim_new(3);
  struct link_model m = {.latency = CM_MS(10)};
  env_sim_set_link(e, 0, 0, &m);
  cm_addr a = NODE0;
  struct node_params np = {.addr = a};
  node *n = node_new(e, &np, &a, 1);
  struct client_params p = {.addr = CLIENT0, .loop_rate_per_s = 300, .stop = CM_S(1), .late_after = late_after};
  client *c = client_new(e, &p, &a, 1);
  assert_non_null(n);
  assert_non_null(c);
  env_run(e, CM_S(3));
  client_counters(c, k);
  *min_rtt = hist_min(client_rtt(c));
  *hcount = hist_count(client_rtt(c));
  struct node_counters nc;
  node_counters(n, &nc);
  assert_int_equal(nc.delivered, k->tracked);
  client_free(c);
  node_free(n);
  env_free(e);
}

static void test_late_threshold(void **state CM_UNUSED) {
  struct client_counters k;
  int64_t min;
  uint64_t count;
  run_threshold(CM_MS(15), &k, &min, &count);
  assert_true(k.tracked > 200);
  assert_int_equal(k.received, 0);
  assert_int_equal(k.lost, k.tracked);
  assert_int_equal(k.late, k.lost);
  assert_int_equal(count, k.late); /* late arrivals still report their latency */
  assert_true(min >= CM_MS(20));
  assert_true(client_counters_balanced(&k));
  run_threshold(CM_MS(21), &k, &min, &count);
  assert_true(k.received > 0 && k.late > 0);
  assert_int_equal(k.tracked, k.received + k.lost);
  assert_int_equal(k.late, k.lost);
  assert_int_equal(count, k.received + k.late);
  assert_int_equal(k.outstanding, 0);
}

/* Real messages from one client to another through a node. */
static void test_real_between_clients(void **state CM_UNUSED) {
  env *e = env_sim_new(4);
  struct link_model m = {.latency = CM_MS(2)};
  env_sim_set_link(e, 0, 0, &m);
  cm_addr a = NODE0;
  struct node_params np = {.addr = a, .buffer = BUFFER_RANDOM};
  node *n = node_new(e, &np, &a, 1);
  struct client_params pa = {.addr = CLIENT0, .real_rate_per_s = 100, .real_dest = CLIENT0 + 1, .stop = CM_S(1)};
  struct client_params pb = {.addr = CLIENT0 + 1};
  client *ca = client_new(e, &pa, &a, 1), *cb = client_new(e, &pb, &a, 1);
  assert_non_null(ca);
  assert_non_null(cb);
  env_run(e, CM_S(2));
  struct client_counters ka, kb;
  client_counters(ca, &ka);
  client_counters(cb, &kb);
  assert_true(ka.sent_real > 50);
  assert_int_equal(ka.tracked, 0);
  assert_int_equal(kb.received_real, ka.sent_real);
  assert_int_equal(kb.malformed, 0);
  /* A stray datagram to a client is malformed, not a crash. */
  env_send(e, CLIENT0, CLIENT0 + 1, (const uint8_t *)"junk", 4);
  env_run(e, CM_S(3));
  client_counters(cb, &kb);
  assert_int_equal(kb.malformed, 1);
  client_free(ca);
  client_free(cb);
  node_free(n);
  env_free(e);
}

/* Many clients sharing one node list (borrowed) and one RTT histogram:
 * the same sends, paths and counters as clients that copy their own; the
 * shared histogram holds every client's times and outlives them. */
static void run_shared(bool share, uint64_t *tracked, uint64_t *received, uint64_t *rtt_count, double *rtt_sum) {
  env *e = env_sim_new(11);
  struct link_model m = {.latency = CM_MS(1)};
  env_sim_set_link(e, 0, 0, &m);
  cm_addr nodes[4] = {NODE0, NODE0 + 1, NODE0 + 2, NODE0 + 3};
  node *n[4];
  for (int i = 0; i < 4; i++) {
    struct node_params np = {.addr = nodes[i]};
    assert_non_null(n[i] = node_new(e, &np, nodes, 4));
  }
  hist *shared = hist_new();
  client *c[8];
  for (int j = 0; j < 8; j++) {
    struct client_params p = {.addr = CLIENT0 + j, .hops = 3, .loop_rate_per_s = 50, .stop = CM_S(1),
                              .borrow_nodes = share, .rtt = share ? shared : NULL};
    assert_non_null(c[j] = client_new(e, &p, nodes, 4));
    assert_true((client_rtt(c[j]) == shared) == share);
  }
  env_run(e, CM_S(3));
  *tracked = *received = *rtt_count = 0;
  *rtt_sum = 0;
  for (int j = 0; j < 8; j++) {
    struct client_counters k;
    client_counters(c[j], &k);
    assert_true(client_counters_balanced(&k));
    *tracked += k.tracked;
    *received += k.received;
    if (!share) {
      *rtt_count += hist_count(client_rtt(c[j]));
      *rtt_sum += hist_sum(client_rtt(c[j]));
    }
  }
  for (int j = 0; j < 8; j++) client_free(c[j]);
  if (share) { /* the clients are gone, the histogram is the caller's */
    *rtt_count = hist_count(shared);
    *rtt_sum = hist_sum(shared);
  }
  hist_free(shared);
  for (int i = 0; i < 4; i++) node_free(n[i]);
  env_free(e);
}

static void test_shared_nodes_and_rtt(void **state CM_UNUSED) {
  uint64_t t1, r1, n1, t2, r2, n2;
  double s1, s2;
  run_shared(false, &t1, &r1, &n1, &s1);
  run_shared(true, &t2, &r2, &n2, &s2);
  assert_true(t1 > 300);
  assert_int_equal(t1, t2);
  assert_int_equal(r1, r2);
  assert_int_equal(n1, r1); /* every packet back, one time each */
  assert_int_equal(n2, n1);
  assert_true(s2 == s1);
  /* a borrowed list is checked like a copied one */
  env *e = env_sim_new(1);
  cm_addr bad[2] = {NODE0, 0};
  struct client_params p = {.addr = CLIENT0, .borrow_nodes = true};
  assert_null(client_new(e, &p, bad, 2));
  env_free(e);
}

/* ---- the two kinds of randomness ---- */

#define CAP 256
struct capture {
  uint8_t pkt[CAP][2415];
  size_t n;
};

static void on_capture(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED, const uint8_t *p,
                       size_t len) {
  struct capture *c = arg;
  if (len == sizeof c->pkt[0] && c->n < CAP) memcpy(c->pkt[c->n++], p, len);
}

static int fixed_key(void *ctx, cm_addr a CM_UNUSED, uint8_t pk[32]) {
  memcpy(pk, ctx, 32);
  return 0;
}

/* The same client config, seed and node key, run twice: capture its full
 * Sphinx packets at the node's address. real: over loopback UDP. */
static void run_capture(bool real, const uint8_t node_pk[32], struct capture *cap) {
  env *e = real ? env_real_new(7) : env_sim_new(7);
  assert_non_null(e);
  if (real) {
    assert_int_equal(env_real_add_peer(e, NODE0, "127.0.0.1", 0), 0);
    assert_int_equal(env_real_add_peer(e, CLIENT0, "127.0.0.1", 0), 0);
  }
  assert_int_equal(env_bind(e, NODE0, on_capture, cap), 0);
  cm_addr nodes[1] = {NODE0};
  struct client_params p = {.addr = CLIENT0, .codec = &codec__full_ops, .hops = 3, .loop_rate_per_s = 400,
                            .drop_rate_per_s = 100, .stop = CM_MS(150), .keys = fixed_key, .keys_ctx = (void *)node_pk};
  client *c = client_new(e, &p, nodes, 1);
  assert_non_null(c);
  env_run(e, CM_MS(300));
  assert_int_equal(env_secrets_reproducible(e), !real);
  client_free(c);
  env_free(e);
}

/* Real mode: two runs of one config share no ephemeral key (alpha), no
 * header (beta: padding and sealed routing), no payload; so no per-hop
 * delay either, the delays being sealed in beta under those keys. Sim:
 * the same two runs give the same bytes (reproducible, not secret). */
static void test_secrets_from_the_os(void **state CM_UNUSED) {
  uint8_t pk[32], sk[32], seed[32] = {1, 2, 3};
  assert_int_equal(sphinx_keypair_from_seed(pk, sk, seed), 0);
  struct capture *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b);
  for (int real = 1; real >= 0; real--) {
    a->n = b->n = 0;
    run_capture(real, pk, a);
    run_capture(real, pk, b);
    assert_true(a->n > 20 && b->n > 20);
    size_t same_alpha = 0, same_beta = 0, same_pos = 0, dup = 0;
    for (size_t i = 0; i < a->n; i++) {
      for (size_t j = 0; j < b->n; j++) {
        same_alpha += memcmp(a->pkt[i] + 5, b->pkt[j] + 5, 32) == 0;
        same_beta += memcmp(a->pkt[i] + 53, b->pkt[j] + 53, 314) == 0;
      }
      for (size_t j = 0; j < i; j++) dup += memcmp(a->pkt[i] + 5, a->pkt[j] + 5, 32) == 0;
      if (i < b->n) same_pos += memcmp(a->pkt[i], b->pkt[i], sizeof a->pkt[i]) == 0;
    }
    print_message("%s: %zu and %zu packets; alphas shared %zu, betas shared %zu, identical at the same position "
                  "%zu, repeated alphas in a run %zu\n",
                  real ? "real" : "sim", a->n, b->n, same_alpha, same_beta, same_pos, dup);
    assert_int_equal(dup, 0);
    if (real) {
      assert_int_equal(same_alpha, 0);
      assert_int_equal(same_beta, 0);
      assert_int_equal(same_pos, 0);
    } else {
      assert_int_equal(a->n, b->n);
      assert_int_equal(same_pos, a->n); /* reproducible: every byte again */
    }
  }
  free(a);
  free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_payload),          cmocka_unit_test(test_rates_and_domain_paths),
      cmocka_unit_test(test_stratified_paths), cmocka_unit_test(test_late_threshold),
      cmocka_unit_test(test_real_between_clients), cmocka_unit_test(test_secrets_from_the_os),
      cmocka_unit_test(test_shared_nodes_and_rtt),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
