/* The mix node and the abstract codec, under the sim backend with links of
 * a few ms (and once over loopback UDP): a 3-node Mixclaves network (1 hop)
 * and a 6-node Loopix network (3 layers x 2, 3 hops) carry loops end to
 * end with every packet accounted for; malformed datagrams and replays are
 * counted and dropped; the CPU model saturates near 800 msg/s with the
 * seed's Twisted profile; DROP cover dies at the first hop; a seed fixes
 * every counter; config() tells the truth about attestation. The two
 * networks and the malformed/replay test run again with the full codec
 * (real Sphinx, mixclaves profile; its codec-level tests: test_codec.c). */
#include "cmocka_inc.h"

#include <string.h>

#include <sodium.h>

#include "env_real.h"
#include "env_sim.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixclaves/node_sources.h"
#include "mixclaves/sphinx.h"
#include "rng.h"
#include "mixhost.h"

#define NODE0 10
#define CLIENT0 100
#define TAP 200

/* ---- the codec ---- */

static void test_codec_abstract(void **state CM_UNUSED) {
  const struct codec_ops *c = NULL;
  assert_int_equal(codec_lookup("abstract", &c), 0);
  assert_ptr_equal(c, codec_abstract());
  assert_int_equal(codec_lookup("full", &c), 0);
  assert_string_equal(c->name, "full");
  assert_int_equal(codec_lookup("fast", &c), CM_EINVAL);
  assert_null(c);
  rng *r = rng_new(1, "t");
  struct codec_hop path[3] = {{11, CM_MS(1), CODEC_ROUTE, NULL}, {12, CM_US(5), CODEC_ROUTE, NULL},
                              {13, 0, CODEC_LOOP, NULL}};
  uint8_t msg[5] = "hello";
  c = codec_abstract();
  uint8_t *p = malloc(c->packet_bytes), *q = malloc(c->packet_bytes);
  assert_int_equal(c->build(path, 3, 0, 99, msg, sizeof msg, codec_random_rng, r, p), 0);
  uint8_t tags[3][CODEC_TAG_BYTES];
  for (int h = 0; h < 3; h++) {
    struct codec_unwrapped u;
    struct codec_node self = {.addr = path[h].addr};
    struct codec_node other = {.addr = 77};
    assert_int_equal(c->unwrap(&other, p, c->packet_bytes, q, &u), CM_EPARSE);
    assert_int_equal(c->unwrap(&self, p, c->packet_bytes, q, &u), 0);
    assert_int_equal(u.delay, path[h].delay);
    assert_int_equal(u.type, path[h].type);
    assert_int_equal(u.final, h == 2);
    memcpy(tags[h], u.tag, CODEC_TAG_BYTES);
    if (h < 2) {
      assert_int_equal(u.next, path[h + 1].addr);
      memcpy(p, q, c->packet_bytes); /* same length at every hop */
    } else {
      assert_int_equal(u.dest, 99);
      assert_memory_equal(u.payload, "hello", 5);
      assert_int_equal(u.payload[5], 0);
    }
  }
  assert_memory_not_equal(tags[0], tags[1], CODEC_TAG_BYTES);
  assert_memory_not_equal(tags[1], tags[2], CODEC_TAG_BYTES);
  /* bad builds */
  assert_int_equal(c->build(path, 0, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(path, 17, 0, 99, msg, 5, codec_random_rng, r, p), CM_ERANGE);
  assert_int_equal(c->build(path, 3, 0, 99, msg, c->payload_bytes + 1, codec_random_rng, r, p), CM_ERANGE);
  struct codec_hop bad[1] = {{0, 0, CODEC_ROUTE, NULL}}, ctrl[1] = {{5, 0, CODEC_CTRL, NULL}},
                   neg[1] = {{5, -1, CODEC_ROUTE, NULL}};
  assert_int_equal(c->build(bad, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_int_equal(c->build(ctrl, 1, 0, 99, msg, 5, codec_random_rng, r, p), 0); /* CTRL at the last hop */
  struct codec_hop ctrl2[2] = {{5, 0, CODEC_CTRL, NULL}, {6, 0, CODEC_ROUTE, NULL}};
  assert_int_equal(c->build(ctrl2, 2, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL); /* only there */
  assert_int_equal(c->build(neg, 1, 0, 99, msg, 5, codec_random_rng, r, p), CM_EINVAL);
  assert_string_equal(codec_type_name(CODEC_DROP), "drop");
  free(p);
  free(q);
  rng_free(r);
}

/* The abstract codec's checksum (sum128.h) catches every single flipped
 * bit of a packet at its last hop (header checksum and payload digest both
 * checked there), and random changes of two words; the replay filter given
 * in codec_node answers CM_EEXIST for a second copy, and a corrupted copy
 * does not spend the genuine packet's tag. */
static void test_codec_abstract_integrity(void **state CM_UNUSED) {
  const struct codec_ops *c = codec_abstract();
  const size_t L = c->packet_bytes;
  rng *r = rng_new(2, "t");
  struct codec_hop hop = {21, CM_MS(1), CODEC_ROUTE, NULL};
  uint8_t *p = malloc(L), *bad = malloc(L), *q = malloc(L);
  assert_int_equal(c->build(&hop, 1, 0, 99, (const uint8_t *)"hello", 5, codec_random_rng, r, p), 0);
  struct codec_node self = {.addr = 21};
  struct codec_unwrapped u;
  size_t caught = 0;
  for (size_t bit = 0; bit < 8 * L; bit++) {
    memcpy(bad, p, L);
    bad[bit / 8] ^= (uint8_t)(1u << (bit % 8));
    caught += c->unwrap(&self, bad, L, q, &u) == CM_EPARSE;
  }
  assert_int_equal(caught, 8 * L);
  caught = 0;
  for (int i = 0; i < 20000; i++) {
    memcpy(bad, p, L);
    size_t a = rng_below(r, L / 8), b = (a + 1 + rng_below(r, L / 8 - 1)) % (L / 8);
    bad[8 * a + rng_below(r, 8)] ^= (uint8_t)(1 + rng_below(r, 255));
    bad[8 * b + rng_below(r, 8)] ^= (uint8_t)(1 + rng_below(r, 255));
    caught += c->unwrap(&self, bad, L, q, &u) == CM_EPARSE;
  }
  assert_int_equal(caught, 20000);
  self.replay = sphinx_replay_new(1000, 0.001);
  assert_non_null(self.replay);
  memcpy(bad, p, L);
  bad[L - 1] ^= 1; /* payload: caught at this last hop, before the filter */
  assert_int_equal(c->unwrap(&self, bad, L, q, &u), CM_EPARSE);
  assert_int_equal(c->unwrap(&self, p, L, q, &u), 0);
  assert_int_equal(c->unwrap(&self, p, L, q, &u), CM_EEXIST);
  sphinx_replay_free(self.replay);
  free(p);
  free(bad);
  free(q);
  rng_free(r);
}

/* ---- a simulated network ---- */

struct net {
  env *e;
  const struct codec_ops *codec; /* NULL: abstract */
  node *nodes[8];
  uint8_t pk[8][CODEC_KEY_BYTES]; /* the nodes' keys, for the full codec */
  size_t nn;
  client *clients[4];
  size_t nc;
  struct mixhost host;
};

/* The test's keyring: ctx is the struct net. */
static int net_key(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct net *w = ctx;
  if (a < NODE0 || a >= NODE0 + w->nn) return CM_ENOENT;
  memcpy(pk, w->pk[a - NODE0], CODEC_KEY_BYTES);
  return 0;
}

/* nn nodes at NODE0.., every node a peer of every other; links 2 ms +- jitter. */
static void net_nodes_codec(struct net *w, const struct codec_ops *codec, uint64_t seed, size_t nn,
                            double node_loop_rate, cm_time loop_until, node_service_fn svc, void *svc_arg,
                            uint32_t queue_max) {
  memset(w, 0, sizeof *w);
  w->codec = codec;
  w->e = env_sim_new(seed);
  struct link_model m = {.latency = CM_MS(2), .jitter_sd = CM_US(200)};
  assert_int_equal(env_sim_set_link(w->e, 0, 0, &m), 0);
  cm_addr peers[8];
  for (size_t i = 0; i < nn; i++) peers[i] = (cm_addr)(NODE0 + i);
  for (size_t i = 0; i < nn; i++) {
    struct node_params p = {.id = (uint32_t)i, .addr = peers[i], .buffer = (enum buffer_variant)(i % 3),
                            .buffer_capacity = 512, .queue_max = queue_max, .replay_capacity = 100000,
                            .loop_rate_per_s = node_loop_rate, .loop_until = loop_until,
                            .service_time = svc, .service_arg = svc_arg, .codec = codec,
                            .keys = net_key, .keys_ctx = w};
    w->nodes[i] = node_new(w->e, &p, peers, nn);
    assert_non_null(w->nodes[i]);
    struct node_config cfg;
    node_config(w->nodes[i], &cfg);
    memcpy(w->pk[i], cfg.pk, CODEC_KEY_BYTES);
  }
  w->nn = nn;
}

static void net_nodes(struct net *w, uint64_t seed, size_t nn, double node_loop_rate, cm_time loop_until,
                      node_service_fn svc, void *svc_arg, uint32_t queue_max) {
  net_nodes_codec(w, NULL, seed, nn, node_loop_rate, loop_until, svc, svc_arg, queue_max);
}

static void net_client(struct net *w, const struct client_params *p) {
  cm_addr nodes[8];
  for (size_t i = 0; i < w->nn; i++) nodes[i] = (cm_addr)(NODE0 + i);
  struct client_params q = *p;
  q.codec = w->codec;
  q.keys = net_key;
  q.keys_ctx = w;
  w->clients[w->nc] = client_new(w->e, &q, nodes, w->nn);
  assert_non_null(w->clients[w->nc]);
  w->nc++;
}

/* Every packet accounted for, network-wide, once the run has drained. */
static void net_check(struct net *w) {
  struct env_net_stats st;
  env_net_stats(w->e, &st);
  assert_int_equal(st.in_flight, 0);
  assert_int_equal(st.sent, st.delivered + st.lost + st.dropped_unbound + st.dropped_oversize);
  uint64_t sent = 0, arrived = 0;
  for (size_t i = 0; i < w->nn; i++) {
    struct node_counters c;
    node_counters(w->nodes[i], &c);
    assert_true(node_counters_balanced(&c));
    assert_int_equal(c.in_cpu + c.held, 0);
    sent += c.loops_sent + c.forwarded + c.delivered;
    arrived += c.received;
  }
  for (size_t i = 0; i < w->nc; i++) {
    struct client_counters k;
    client_counters(w->clients[i], &k);
    assert_true(client_counters_balanced(&k));
    assert_int_equal(k.outstanding, 0);
    assert_int_equal(k.tracked, k.received + k.lost); /* client sent == received + lost */
    assert_int_equal(k.malformed + k.duplicate, 0);
    sent += k.sent_real + k.sent_loop + k.sent_drop;
    arrived += k.received + k.late + k.received_real;
  }
  assert_int_equal(sent, st.sent);
  assert_int_equal(arrived, st.delivered);
}

static void net_free(struct net *w) {
  for (size_t i = 0; i < w->nc; i++) client_free(w->clients[i]);
  for (size_t i = 0; i < w->nn; i++) node_free(w->nodes[i]);
  env_free(w->e);
}

static void sum_nodes(struct net *w, size_t from, size_t to, struct node_counters *s) {
  memset(s, 0, sizeof *s);
  for (size_t i = from; i < to; i++) {
    struct node_counters c;
    node_counters(w->nodes[i], &c);
    s->received += c.received;
    s->forwarded += c.forwarded;
    s->delivered += c.delivered;
    s->discarded_drop += c.discarded_drop;
    s->loop_returned += c.loop_returned;
    s->loops_sent += c.loops_sent;
    s->malformed += c.malformed + c.replay + c.queue_full + c.buffer_full + c.unknown_next_hop + c.send_failed;
  }
}

/* Mixclaves: 3 nodes, fully connected, 1 hop; two benchmark clients with
 * all three streams; nodes' own loops. */
static void run_mixclaves_3_nodes(const struct codec_ops *codec) {
  struct net w;
  net_nodes_codec(&w, codec, 1, 3, 20, CM_S(2), NULL, NULL, 0);
  for (cm_addr a = CLIENT0; a < CLIENT0 + 2; a++) {
    struct client_params p = {.addr = a, .topology = CLIENT_DOMAIN, .hops = 1, .real_rate_per_s = 50,
                              .loop_rate_per_s = 200, .drop_rate_per_s = 50, .stop = CM_S(2),
                              .late_after = CM_MS(500)};
    net_client(&w, &p);
  }
  assert_int_equal(env_run(w.e, CM_S(4)), 0);
  net_check(&w);
  struct node_counters s;
  sum_nodes(&w, 0, 3, &s);
  assert_int_equal(s.malformed, 0);
  assert_int_equal(s.loop_returned, s.loops_sent);
  uint64_t tracked = 0, drops = 0;
  for (size_t i = 0; i < w.nc; i++) {
    struct client_counters k;
    client_counters(w.clients[i], &k);
    assert_true(k.sent_loop > 300 && k.sent_loop < 500); /* 200/s for 2 s */
    assert_int_equal(k.lost, 0);
    tracked += k.tracked;
    drops += k.sent_drop;
    const hist *h = client_rtt(w.clients[i]);
    assert_int_equal(hist_count(h), k.received);
    assert_true(hist_min(h) >= CM_MS(4)); /* two 2 ms links */
    double mean = hist_mean(h) / 1e6;     /* 4 ms + about 1 ms of mixing delay */
    assert_true(mean > 4.5 && mean < 5.6);
  }
  assert_int_equal(s.delivered, tracked);
  assert_int_equal(s.discarded_drop, drops);
  assert_int_equal(s.forwarded, s.loops_sent); /* 1 hop: only the nodes' own loops are forwarded */
  net_free(&w);
}
static void test_mixclaves_3_nodes(void **state CM_UNUSED) { run_mixclaves_3_nodes(NULL); }
static void test_mixclaves_3_nodes_full(void **state CM_UNUSED) { run_mixclaves_3_nodes(&codec__full_ops); }

/* Loopix: 6 nodes in 3 layers of 2, 3 hops. */
static void run_loopix_6_nodes(const struct codec_ops *codec) {
  struct net w;
  net_nodes_codec(&w, codec, 2, 6, 10, CM_S(2), NULL, NULL, 0);
  struct client_params p = {.addr = CLIENT0, .topology = CLIENT_STRATIFIED, .layers = 3, .hops = 3,
                            .loop_rate_per_s = 300, .drop_rate_per_s = 30, .stop = CM_S(2)};
  net_client(&w, &p);
  assert_int_equal(env_run(w.e, CM_S(4)), 0);
  net_check(&w);
  struct client_counters k;
  client_counters(w.clients[0], &k);
  assert_int_equal(k.lost, 0);
  assert_true(k.received > 500);
  struct node_counters l0, l1, l2;
  sum_nodes(&w, 0, 2, &l0);
  sum_nodes(&w, 2, 4, &l1);
  sum_nodes(&w, 4, 6, &l2);
  assert_int_equal(l0.delivered + l1.delivered, 0);    /* only the last layer delivers */
  assert_int_equal(l2.delivered, k.received);
  assert_int_equal(l0.discarded_drop, k.sent_drop);    /* drop cover dies in layer 0 */
  assert_true(l0.forwarded >= k.sent_loop);            /* layer 0 -> 1 -> 2 */
  assert_true(l1.forwarded >= k.sent_loop);
  assert_true(hist_min(client_rtt(w.clients[0])) >= CM_MS(8)); /* four links */
  net_free(&w);
}
static void test_loopix_6_nodes(void **state CM_UNUSED) { run_loopix_6_nodes(NULL); }
static void test_loopix_6_nodes_full(void **state CM_UNUSED) { run_loopix_6_nodes(&codec__full_ops); }

/* DROP cover is discarded at the first hop and never forwarded. */
static void test_drop_cover(void **state CM_UNUSED) {
  struct net w;
  net_nodes(&w, 3, 3, 0, 0, NULL, NULL, 0);
  struct client_params p = {.addr = CLIENT0, .drop_rate_per_s = 500, .stop = CM_S(1)};
  net_client(&w, &p);
  env_run(w.e, CM_S(2));
  net_check(&w);
  struct node_counters s;
  sum_nodes(&w, 0, 3, &s);
  struct client_counters k;
  client_counters(w.clients[0], &k);
  assert_true(k.sent_drop > 400);
  assert_int_equal(k.tracked, 0);
  assert_int_equal(s.received, k.sent_drop);
  assert_int_equal(s.discarded_drop, k.sent_drop);
  assert_int_equal(s.forwarded + s.delivered, 0);
  net_free(&w);
}

/* ---- malformed input, replays ---- */

static uint64_t tapped;
static void on_tap(env *e CM_UNUSED, void *arg CM_UNUSED, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                   const uint8_t *p CM_UNUSED, size_t len CM_UNUSED) {
  tapped++;
}

/* A valid 1-hop packet for node `at`, delivering to TAP. */
static void valid_packet(rng *r, cm_addr at, uint8_t *pkt) {
  struct codec_hop h = {.addr = at, .delay = CM_US(100), .type = CODEC_ROUTE};
  assert_int_equal(codec_abstract()->build(&h, 1, 0, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
}

static void test_malformed_and_replay(void **state CM_UNUSED) {
  env *e = env_sim_new(4);
  struct link_model m = {.latency = CM_MS(1)};
  env_sim_set_link(e, 0, 0, &m);
  cm_addr self = NODE0;
  struct node_params p = {.addr = self, .buffer = BUFFER_OBLIVIOUS, .buffer_capacity = 64, .replay_capacity = 1000};
  node *n = node_new(e, &p, &self, 1);
  assert_non_null(n);
  assert_null(node_new(e, &p, &self, 1)); /* address taken */
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  rng *r = env_rng(e, "test");
  size_t L = codec_abstract()->packet_bytes;
  uint8_t *pkt = calloc(1, L + 1), *bad = calloc(1, L + 1);
  valid_packet(r, self, pkt);
  int sent = 0;
  env_send(e, TAP, self, pkt, 10), sent++;                 /* short */
  memcpy(bad, pkt, L);
  env_send(e, TAP, self, bad, L + 1), sent++;              /* long */
  env_send(e, TAP, self, pkt, 0), sent++;                  /* empty */
  codec_random_rng(r, bad, L);
  env_send(e, TAP, self, bad, L), sent++;                  /* random bytes */
  env_send(e, TAP, self, pkt, 200), sent++;                /* truncated header */
  memcpy(bad, pkt, L);
  bad[L - 1] ^= 1;
  env_send(e, TAP, self, bad, L), sent++;                  /* bad checksum (payload bit) */
  memcpy(bad, pkt, L);
  bad[4] = 9;
  env_send(e, TAP, self, bad, L), sent++;                  /* unknown version */
  valid_packet(r, self + 1, bad);
  env_send(e, TAP, self, bad, L), sent++;                  /* addressed to another node */
  env_send(e, TAP, self, pkt, L);                          /* valid */
  env_send(e, TAP, self, pkt, L);                          /* the same again: a replay */
  tapped = 0;
  env_run(e, CM_S(1));
  struct node_counters c;
  node_counters(n, &c);
  assert_int_equal(c.malformed, sent);
  assert_int_equal(c.replay, 1);
  assert_int_equal(c.delivered, 1);
  assert_int_equal(tapped, 1);
  assert_true(node_counters_balanced(&c));
  /* A new epoch comes with a new key and a fresh filter; the old packet
   * is dropped by its epoch field before any other work, never accepted
   * again. */
  struct node_config cfg;
  node_config(n, &cfg);
  uint8_t old_pk[32];
  memcpy(old_pk, cfg.pk, 32);
  assert_int_equal(node_epoch_advance(n, NULL), 0);
  env_send(e, TAP, self, pkt, L);
  env_send(e, TAP, self, pkt, L);
  env_run(e, CM_S(2));
  node_counters(n, &c);
  assert_int_equal(c.delivered, 1);
  assert_int_equal(c.replay, 1);
  assert_int_equal(c.stale_epoch, 2);
  /* A fresh packet of the new epoch goes through; one of the old epoch
   * does not. */
  struct codec_hop h1 = {.addr = self, .delay = CM_US(100), .type = CODEC_ROUTE};
  assert_int_equal(codec_abstract()->build(&h1, 1, 1, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
  env_send(e, TAP, self, pkt, L);
  valid_packet(r, self, pkt); /* epoch 0 */
  env_send(e, TAP, self, pkt, L);
  env_run(e, CM_S(3));
  node_counters(n, &c);
  assert_int_equal(c.delivered, 2);
  assert_int_equal(c.stale_epoch, 3);
  assert_int_equal(tapped, 2);
  assert_true(node_counters_balanced(&c));
  node_config(n, &cfg);
  assert_int_equal(cfg.epoch, 1);
  assert_memory_not_equal(cfg.pk, old_pk, 32); /* the key changed with the filter */
  free(pkt);
  free(bad);
  node_free(n);
  env_free(e);
}

/* The same with the full codec: malformed Sphinx packets (length, random,
 * truncated header, header and payload bits, version, another node's key)
 * are counted and dropped; a replay is dropped; a keyed node or client
 * without keys is refused. */
static void test_malformed_and_replay_full(void **state CM_UNUSED) {
  struct net w;
  net_nodes_codec(&w, &codec__full_ops, 5, 2, 0, 0, NULL, NULL, 0);
  env *e = w.e;
  cm_addr self = NODE0;
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  rng *r = env_rng(e, "test");
  const struct codec_ops *c = &codec__full_ops;
  size_t L = c->packet_bytes;
  uint8_t *pkt = calloc(1, L + 1), *bad = calloc(1, L + 1);
  struct codec_hop h = {.addr = self, .delay = CM_US(100), .type = CODEC_ROUTE, .pk = w.pk[0]};
  assert_int_equal(c->build(&h, 1, 0, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, pkt), 0);
  int sent = 0;
  env_send(e, TAP, self, pkt, 10), sent++;                 /* short */
  memcpy(bad, pkt, L);
  env_send(e, TAP, self, bad, L + 1), sent++;              /* long */
  codec_random_rng(r, bad, L);
  env_send(e, TAP, self, bad, L), sent++;                  /* random bytes */
  env_send(e, TAP, self, pkt, 200), sent++;                /* truncated header */
  size_t flips[] = {0, 10, 40, 60, 300, 400, L - 1};       /* version, alpha, MAC, beta, payload */
  for (size_t i = 0; i < sizeof flips / sizeof flips[0]; i++) {
    memcpy(bad, pkt, L);
    bad[flips[i]] ^= 0x10;
    env_send(e, TAP, self, bad, L), sent++;
  }
  struct codec_hop other = {.addr = self, .delay = 0, .type = CODEC_ROUTE, .pk = w.pk[1]};
  assert_int_equal(c->build(&other, 1, 0, TAP, (const uint8_t *)"x", 1, codec_random_rng, r, bad), 0);
  env_send(e, TAP, self, bad, L), sent++;                  /* sealed for another node's key */
  memcpy(bad, pkt, L);
  bad[1] ^= 0x10;
  env_send(e, TAP, self, bad, L);                          /* epoch field: stale, before any crypto */
  env_send(e, TAP, self, pkt, L);                          /* valid */
  env_send(e, TAP, self, pkt, L);                          /* a replay */
  tapped = 0;
  env_run(e, CM_S(1));
  struct node_counters nc;
  node_counters(w.nodes[0], &nc);
  assert_int_equal(nc.malformed, sent);
  assert_int_equal(nc.stale_epoch, 1);
  assert_int_equal(nc.replay, 1);
  assert_int_equal(nc.delivered, 1);
  assert_int_equal(tapped, 1);
  assert_true(node_counters_balanced(&nc));
  /* keyed codec without keys: refused */
  struct node_params np = {.addr = 50, .codec = c, .loop_rate_per_s = 1};
  assert_null(node_new(e, &np, &self, 1));
  struct client_params cp = {.addr = 51, .codec = c, .loop_rate_per_s = 1};
  assert_null(client_new(e, &cp, &self, 1));
  free(pkt);
  free(bad);
  net_free(&w);
}

/* ---- every hop of every packet kind: only the last hop learns LOOP / DROP ---- */

/* The full codec with every unwrap at every node recorded: per hop
 * position (intermediate or last) and type, and the datagram length. */
static struct {
  uint64_t inner[5], last[5];
  uint64_t odd_len, inner_not_full_packet;
} hl;

static int rec_unwrap(const struct codec_node *self, const uint8_t *in, size_t len, uint8_t *out,
                      struct codec_unwrapped *u) {
  int rc = codec__full_ops.unwrap(self, in, len, out, u);
  if (len != codec__full_ops.packet_bytes) hl.odd_len++;
  if (rc == 0) {
    if (u->final) {
      hl.last[u->type]++;
    } else {
      hl.inner[u->type]++;
      if (u->next == 0 || u->payload) hl.inner_not_full_packet++;
    }
  }
  return rc;
}

static struct codec_ops rec_codec;

/* One kind of traffic over 4 full-codec nodes, 3 hops; returns how many
 * packets the kind's senders sent, with hl filled. */
static uint64_t run_kind(int kind) {
  rec_codec = codec__full_ops;
  rec_codec.unwrap = rec_unwrap;
  memset(&hl, 0, sizeof hl);
  struct net w;
  net_nodes_codec(&w, &rec_codec, 40 + (uint64_t)kind, 4, kind == 3 ? 20 : 0, CM_S(5), NULL, NULL, 0);
  if (kind == 3) { /* node loops of 3 hops: two peers, then home */
    for (size_t i = 0; i < w.nn; i++) node_free(w.nodes[i]);
    cm_addr peers[4] = {NODE0, NODE0 + 1, NODE0 + 2, NODE0 + 3};
    for (size_t i = 0; i < 4; i++) {
      struct node_params p = {.addr = peers[i], .codec = &rec_codec, .loop_rate_per_s = 20, .loop_hops = 2,
                              .loop_until = CM_S(5), .keys = net_key, .keys_ctx = &w, .replay_capacity = 10000};
      w.nodes[i] = node_new(w.e, &p, peers, 4);
      assert_non_null(w.nodes[i]);
      struct node_config cfg;
      node_config(w.nodes[i], &cfg);
      memcpy(w.pk[i], cfg.pk, 32);
    }
  } else {
    struct client_params p = {.addr = CLIENT0, .hops = 3, .drop_hops = 3, .stop = CM_S(5), .late_after = CM_S(2)};
    if (kind == 0) p.real_rate_per_s = 20, p.real_dest = CLIENT0 + 1; /* real messages to another client */
    if (kind == 1) p.loop_rate_per_s = 20;
    if (kind == 2) p.drop_rate_per_s = 20;
    net_client(&w, &p);
    struct client_params q = {.addr = CLIENT0 + 1, .hops = 3, .stop = CM_S(5)}; /* the receiver, silent */
    net_client(&w, &q);
  }
  env_run(w.e, CM_S(10));
  uint64_t sent = 0, forwarded = 0;
  for (size_t i = 0; i < w.nc; i++) {
    struct client_counters k;
    client_counters(w.clients[i], &k);
    sent += k.sent_real + k.sent_loop + k.sent_drop;
  }
  for (size_t i = 0; i < w.nn; i++) {
    struct node_counters c;
    node_counters(w.nodes[i], &c);
    sent += c.loops_sent;
    forwarded += c.forwarded;
    assert_true(node_counters_balanced(&c));
  }
  /* every intermediate hop took the same path through the node: unwrapped
   * as ROUTE, held, forwarded as a full packet */
  assert_int_equal(forwarded, hl.inner[CODEC_ROUTE]);
  net_free(&w);
  return sent;
}

static void test_hops_indistinguishable(void **state CM_UNUSED) {
  static const char *names[] = {"real", "loop cover", "drop cover", "node loops"};
  static const enum codec_type last_type[] = {CODEC_ROUTE, CODEC_LOOP, CODEC_DROP, CODEC_LOOP};
  for (int kind = 0; kind < 4; kind++) {
    uint64_t sent = run_kind(kind);
    print_message("%-11s %3llu packets: intermediate hops route %llu loop %llu drop %llu; last hops route %llu "
                  "loop %llu drop %llu\n",
                  names[kind], (unsigned long long)sent, (unsigned long long)hl.inner[CODEC_ROUTE],
                  (unsigned long long)hl.inner[CODEC_LOOP], (unsigned long long)hl.inner[CODEC_DROP],
                  (unsigned long long)hl.last[CODEC_ROUTE], (unsigned long long)hl.last[CODEC_LOOP],
                  (unsigned long long)hl.last[CODEC_DROP]);
    assert_true(sent > 20);
    assert_int_equal(hl.odd_len, 0);               /* one size on every link */
    assert_int_equal(hl.inner_not_full_packet, 0);
    assert_int_equal(hl.inner[CODEC_ROUTE], 2 * sent); /* 3 hops: 2 intermediate, all ROUTE */
    assert_int_equal(hl.inner[CODEC_LOOP] + hl.inner[CODEC_DROP], 0);
    assert_int_equal(hl.last[last_type[kind]], sent); /* only the last hop learns the kind */
  }
}

/* SURB replies (built with sphinx directly: no model sends them yet): every
 * hop but the last is FORWARD / ROUTE with a full-size packet, as for a
 * forward packet of any type. */
static void test_surb_hops_indistinguishable(void **state CM_UNUSED) {
  const struct sphinx_profile *P = &sphinx_profile_mixclaves;
  size_t L = sphinx_packet_bytes(P);
  uint8_t pk[3][32], sk[3][32], id[3][16] = {{1}, {2}, {3}};
  rng *r = rng_new(7, "surb");
  for (int i = 0; i < 3; i++) {
    uint8_t seed[32];
    rng_bytes(r, seed, 32);
    assert_int_equal(sphinx_keypair_from_seed(pk[i], sk[i], seed), 0);
  }
  struct sphinx_hop path[3];
  for (int i = 0; i < 3; i++) path[i] = (struct sphinx_hop){.id = id[i], .pk = pk[i], .delay_us = 100};
  struct sphinx_surb surb;
  struct sphinx_surb_keys keys;
  assert_int_equal(sphinx_surb_create(P, path, 3, (const uint8_t *)"alice", 5, codec_random_rng, r, &surb, &keys), 0);
  uint8_t *a = malloc(L), *b = malloc(L);
  assert_int_equal(sphinx_surb_reply(P, &surb, (const uint8_t *)"hi", 2, a), 0);
  for (int hop = 0; hop < 3; hop++) {
    struct sphinx_unwrapped u;
    assert_int_equal(sphinx_packet_unwrap(P, sk[hop], NULL, a, L, b, &u), 0);
    assert_int_equal(u.type, SPHINX_TYPE_ROUTE);
    assert_int_equal(u.action, hop < 2 ? SPHINX_FORWARD : SPHINX_REPLY);
    uint8_t *t = a;
    a = b;
    b = t;
  }
  free(a);
  free(b);
  rng_free(r);
}

/* ---- bounded resources ---- */

/* Delays: over max_delay dropped (delay_too_long); at INT64_MAX with no
 * bound, held "forever" (release time saturates, no overflow: run under
 * UBSan by make sanitize), not released at the next timer. */
static void test_delay_bounds(void **state CM_UNUSED) {
  env *e = env_sim_new(31);
  cm_addr self = NODE0, other = NODE0 + 1;
  struct node_params p = {.addr = self, .buffer = BUFFER_OBLIVIOUS, .replay_capacity = 1000};
  node *n = node_new(e, &p, &self, 1);
  struct node_params q = {.addr = other, .buffer = BUFFER_APPEND, .replay_capacity = 1000, .max_delay = CM_TIME_MAX};
  node *m = node_new(e, &q, &other, 1);
  assert_non_null(n);
  assert_non_null(m);
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  const struct codec_ops *c = codec_abstract();
  uint8_t *pkt = malloc(c->packet_bytes);
  rng *r = env_rng(e, "test");
  cm_time delays[] = {NODE_MAX_DELAY, NODE_MAX_DELAY + 1, CM_TIME_MAX - 1, CM_TIME_MAX};
  for (size_t i = 0; i < 4; i++) {
    struct codec_hop h = {.addr = self, .delay = delays[i], .type = CODEC_ROUTE};
    assert_int_equal(c->build(&h, 1, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
    node_accept(n, TAP, pkt, c->packet_bytes);
    h.addr = other;
    assert_int_equal(c->build(&h, 1, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
    node_accept(m, TAP, pkt, c->packet_bytes);
  }
  tapped = 0;
  env_run(e, CM_S(60));
  struct node_counters k;
  node_counters(n, &k);
  assert_int_equal(k.delay_too_long, 3);
  assert_int_equal(k.delivered, 1); /* the one at exactly max_delay */
  node_counters(m, &k);
  assert_int_equal(k.delay_too_long, 0);
  assert_int_equal(k.delivered, 2); /* 10 s and 10 s + 1 ns; the two near INT64_MAX stay held */
  assert_int_equal(k.held, 2);
  assert_true(node_counters_balanced(&k));
  assert_int_equal(tapped, 3);
  assert_int_equal(cm_time_add_sat(CM_S(5), CM_TIME_MAX), CM_TIME_MAX);
  assert_int_equal(cm_time_add_sat(CM_TIME_MAX, CM_TIME_MAX), CM_TIME_MAX);
  free(pkt);
  node_free(n);
  node_free(m);
  env_free(e);
}

/* One source holds at most its share of the buffer while another's
 * packets are held and delivered; a source that keeps failing unwraps is
 * dropped before any X25519 (rate_limited) while the others are served. */
static void test_source_share_and_budget(void **state CM_UNUSED) {
  struct net w;
  net_nodes_codec(&w, &codec__full_ops, 33, 1, 0, 0, NULL, NULL, 0); /* buffer_capacity 512: 128 per source */
  env *e = w.e;
  cm_addr self = NODE0;
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  assert_int_equal(env_bind(e, TAP + 1, on_tap, NULL), 0);
  const struct codec_ops *c = &codec__full_ops;
  size_t L = c->packet_bytes;
  uint8_t *pkt = malloc(L);
  rng *r = env_rng(e, "test");
  struct codec_hop slow = {.addr = self, .delay = CM_S(5), .type = CODEC_ROUTE, .pk = w.pk[0]};
  struct codec_hop fast = {.addr = self, .delay = CM_MS(1), .type = CODEC_ROUTE, .pk = w.pk[0]};
  for (int i = 0; i < 300; i++) { /* TAP asks for long holds, far more than its share */
    assert_int_equal(c->build(&slow, 1, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
    env_send(e, TAP, self, pkt, L);
  }
  for (int i = 0; i < 50; i++) { /* TAP + 1, a well-behaved source */
    assert_int_equal(c->build(&fast, 1, 0, TAP + 1, NULL, 0, codec_random_rng, r, pkt), 0);
    env_send(e, TAP + 1, self, pkt, L);
  }
  env_run(e, CM_S(1));
  struct node_counters k;
  node_counters(w.nodes[0], &k);
  assert_int_equal(k.source_share_full, 300 - 128);
  assert_int_equal(k.held, 128);
  assert_int_equal(k.delivered, 50);
  /* junk that passes the cheap checks from TAP + 2: after fail_burst
   * failures its packets are dropped unopened */
  assert_int_equal(env_bind(e, TAP + 2, on_tap, NULL), 0);
  for (int i = 0; i < 1000; i++) {
    assert_int_equal(c->build(&fast, 1, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
    pkt[100] ^= 1; /* beta: the MAC fails, after an X25519 */
    env_send(e, TAP + 2, self, pkt, L);
  }
  for (int i = 0; i < 20; i++) {
    assert_int_equal(c->build(&fast, 1, 0, TAP + 1, NULL, 0, codec_random_rng, r, pkt), 0);
    env_send(e, TAP + 1, self, pkt, L);
  }
  env_run(e, CM_S(2));
  node_counters(w.nodes[0], &k);
  print_message("junk 1000: malformed %llu, rate_limited %llu; honest delivered %llu of 70\n",
                (unsigned long long)k.malformed, (unsigned long long)k.rate_limited, (unsigned long long)k.delivered);
  /* the budget refills at 16/s and the junk arrives within milliseconds */
  assert_true(k.malformed >= NODE_FAIL_BURST && k.malformed <= NODE_FAIL_BURST + 1);
  assert_int_equal(k.malformed + k.rate_limited, 1000);
  assert_int_equal(k.delivered, 70);
  assert_true(node_counters_balanced(&k));
  free(pkt);
  net_free(&w);
}

/* A next hop outside the peer list, and a full delay buffer. */
static void test_unknown_hop_and_full_buffer(void **state CM_UNUSED) {
  env *e = env_sim_new(8);
  cm_addr self = NODE0;
  struct node_params p = {.addr = self, .buffer = BUFFER_APPEND, .buffer_capacity = 2, .replay_capacity = 1000,
                          .source_share = 1};
  node *n = node_new(e, &p, &self, 1);
  assert_non_null(n);
  assert_int_equal(env_bind(e, TAP, on_tap, NULL), 0);
  rng *r = env_rng(e, "test");
  const struct codec_ops *c = codec_abstract();
  uint8_t *pkt = malloc(c->packet_bytes);
  struct codec_hop two[2] = {{self, 0, CODEC_ROUTE, NULL}, {NODE0 + 5, 0, CODEC_ROUTE, NULL}};
  assert_int_equal(c->build(two, 2, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
  node_accept(n, TAP, pkt, c->packet_bytes); /* accept() called directly, as the handler does */
  for (int i = 0; i < 3; i++) {
    struct codec_hop h = {self, CM_S(1), CODEC_ROUTE, NULL};
    assert_int_equal(c->build(&h, 1, 0, TAP, NULL, 0, codec_random_rng, r, pkt), 0);
    node_accept(n, TAP, pkt, c->packet_bytes);
  }
  struct node_counters k;
  node_counters(n, &k);
  assert_int_equal(k.unknown_next_hop, 1);
  assert_int_equal(k.buffer_full, 1);
  assert_int_equal(k.held, 2);
  assert_true(node_counters_balanced(&k));
  env_run(e, CM_S(2));
  node_counters(n, &k);
  assert_int_equal(k.delivered, 2);
  assert_int_equal(k.held, 0);
  free(pkt);
  node_free(n);
  env_free(e);
}

/* ---- the CPU: saturation near 800 msg/s (twisted-enclave) ---- */

static void run_load(double rate, uint64_t *processed, struct node_counters *c) {
  struct net w;
  struct mixhost h;
  assert_int_equal(mixhost_init(&h, "twisted-enclave", NULL), 0);
  net_nodes(&w, 5, 1, 0, 0, mixhost_service_time, &h, 64);
  struct client_params p = {.addr = CLIENT0, .loop_rate_per_s = rate, .stop = CM_S(4), .late_after = CM_S(5)};
  net_client(&w, &p);
  env_run(w.e, CM_S(12));
  net_check(&w);
  node_counters(w.nodes[0], c);
  *processed = c->received - c->queue_full;
  net_free(&w);
}

static void test_saturation(void **state CM_UNUSED) {
  /* seed Table 1: a Mixclaves node, in its enclave, < 800 msg/s; Fig. 8:
   * about 200 more out of it */
  const struct mixhost_profile *prof = mixhost_profile_find("twisted-enclave");
  assert_non_null(prof);
  assert_true(mixhost_peak_per_s(prof) > 799.9 && mixhost_peak_per_s(prof) < 800.1);
  prof = mixhost_profile_find("twisted");
  assert_non_null(prof);
  assert_true(mixhost_peak_per_s(prof) > 999.9 && mixhost_peak_per_s(prof) < 1000.1);
  struct mixhost h;
  assert_int_equal(mixhost_init(&h, "twisted-oblivious", NULL), CM_ENOSYS); /* no number in the seed */
  assert_int_equal(mixhost_init(&h, "c-node", NULL), 0);                    /* measured */
  assert_true(mixhost_peak_per_s(h.profile) > 20000 && mixhost_peak_per_s(h.profile) < 21500);
  assert_int_equal(mixhost_init(&h, "nope", NULL), CM_EINVAL);
  assert_int_equal(mixhost_init(&h, "twisted-enclave", NULL), 0);
  assert_int_equal(mixhost_service_time(&h, 0), cm_time_from_s(1.0 / 800));
  uint64_t done;
  struct node_counters c;
  /* Under the peak: nothing dropped. */
  run_load(400, &done, &c);
  assert_int_equal(c.queue_full, 0);
  assert_true(done > 1400 && done < 1800);
  /* Twice the peak for 4 s: the node serves 1.25 ms a packet, back to
   * back, so about 800/s x 4 s (+ the queue it drains), and drops the rest. */
  run_load(1600, &done, &c);
  assert_true(c.queue_full > 2500);
  assert_int_equal(c.max_in_cpu, 64);
  double per_s = (double)(done - 64) / 4.0;
  assert_true(per_s > 0.97 * 800 && per_s < 1.01 * 800);
  assert_int_equal(c.delivered, done);
}

/* ---- the sources table: random adds and deletes against a plain list ---- */

static void test_source_table(void **state CM_UNUSED) {
  struct srctab t;
  assert_int_equal(srctab_init(&t), 0);
  rng *r = rng_new(9, "srctab");
  enum { KEYS = 300 };
  bool in[KEYS + 1] = {false};
  uint32_t held[KEYS + 1] = {0}, n = 0;
  /* keys that collide a lot: multiples of 64 and a few near UINT32_MAX */
  cm_addr key[KEYS + 1];
  for (int k = 1; k <= KEYS; k++) key[k] = k <= 290 ? (cm_addr)k * 64 : UINT32_MAX - (cm_addr)(k - 290);
  for (int step = 0; step < 200000; step++) {
    int k = 1 + (int)rng_below(r, KEYS);
    struct source *s = srctab_find(&t, key[k]);
    assert_true((s != NULL) == in[k]);
    if (s) assert_int_equal(s->held, held[k]);
    if (!in[k]) {
      assert_non_null(s = srctab_add(&t, key[k]));
      assert_int_equal(s->addr, key[k]);
      s->held = held[k] = (uint32_t)rng_below(r, 1000);
      in[k] = true;
      n++;
    } else if (rng_below(r, 2)) {
      srctab_del(&t, s);
      in[k] = false;
      n--;
    }
    assert_int_equal(t.n, n);
  }
  for (int k = 1; k <= KEYS; k++) {
    struct source *s = srctab_find(&t, key[k]);
    assert_true((s != NULL) == in[k]);
    if (s) assert_int_equal(s->held, held[k]);
  }
  srctab_fini(&t);
  rng_free(r);
}

/* ---- reproducibility, config ---- */

static void run_small(uint64_t seed, struct node_counters nc[3], struct client_counters *kc, double *rtt_sum) {
  struct net w;
  net_nodes(&w, seed, 3, 30, CM_S(1), NULL, NULL, 0);
  struct client_params p = {.addr = CLIENT0, .real_rate_per_s = 40, .loop_rate_per_s = 150,
                            .drop_rate_per_s = 40, .stop = CM_S(1), .hops = 2};
  net_client(&w, &p);
  env_run(w.e, CM_S(3));
  net_check(&w);
  for (int i = 0; i < 3; i++) node_counters(w.nodes[i], &nc[i]);
  client_counters(w.clients[0], kc);
  *rtt_sum = hist_sum(client_rtt(w.clients[0]));
  net_free(&w);
}

static void test_same_seed_same_counters(void **state CM_UNUSED) {
  struct node_counters a[3], b[3], d[3];
  struct client_counters ka, kb, kd;
  double ra, rb, rd;
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  memset(&ka, 0, sizeof ka);
  memset(&kb, 0, sizeof kb);
  run_small(9, a, &ka, &ra);
  run_small(9, b, &kb, &rb);
  run_small(10, d, &kd, &rd);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_equal(&ka, &kb, sizeof ka);
  assert_true(ra == rb);
  assert_true(ra != rd);
}

/* Nodes sharing a block pool (node_params.pool) behave exactly as nodes
 * with their own free lists: same counters, same round trips, every block
 * back at the end (the sanitizer build checks that none leaks or is used
 * twice). A node of another packet size keeps its own list. */
static cm_time fixed_service(void *arg CM_UNUSED, size_t len CM_UNUSED) { return CM_US(50); }

static void run_pooled(bool pooled, node_pool *pool, struct node_counters nc[4], struct client_counters *kc,
                       double *rtt_sum) {
  env *e = env_sim_new(5);
  struct link_model m = {.latency = CM_MS(2), .jitter_sd = CM_US(200)};
  assert_int_equal(env_sim_set_link(e, 0, 0, &m), 0);
  cm_addr peers[3] = {NODE0, NODE0 + 1, NODE0 + 2};
  node *nodes[4];
  for (size_t i = 0; i < 3; i++) {
    struct node_params p = {.id = (uint32_t)i, .addr = peers[i], .buffer = (enum buffer_variant)i,
                            .buffer_capacity = 512, .replay_capacity = 100000, .loop_rate_per_s = 30,
                            .loop_until = CM_S(2), .service_time = i == 1 ? fixed_service : NULL,
                            .pool = pooled ? pool : NULL};
    assert_non_null(nodes[i] = node_new(e, &p, peers, 3));
  }
  /* a full-codec node on the same pool: other block size, own list */
  struct node_params pf = {.addr = NODE0 + 5, .codec = &codec__full_ops, .pool = pooled ? pool : NULL};
  assert_non_null(nodes[3] = node_new(e, &pf, peers, 0));
  struct client_params p = {.addr = CLIENT0, .topology = CLIENT_DOMAIN, .hops = 3, .loop_rate_per_s = 200,
                            .drop_rate_per_s = 20, .stop = CM_S(2)};
  client *c = client_new(e, &p, peers, 3);
  assert_non_null(c);
  assert_int_equal(env_run(e, CM_S(3)), 0);
  for (size_t i = 0; i < 4; i++) {
    node_counters(nodes[i], &nc[i]);
    assert_true(node_counters_balanced(&nc[i]));
  }
  client_counters(c, kc);
  *rtt_sum = hist_sum(client_rtt(c));
  client_free(c);
  for (size_t i = 0; i < 4; i++) node_free(nodes[i]);
  env_free(e);
}

static void test_shared_pool(void **state CM_UNUSED) {
  struct node_counters a[4], b[4];
  struct client_counters ka, kb;
  double ra, rb;
  memset(a, 0, sizeof a);
  memset(b, 0, sizeof b);
  memset(&ka, 0, sizeof ka);
  memset(&kb, 0, sizeof kb);
  node_pool *pool = node_pool_new();
  assert_non_null(pool);
  run_pooled(false, NULL, a, &ka, &ra);
  run_pooled(true, pool, b, &kb, &rb);
  assert_true(a[0].forwarded + a[1].forwarded + a[2].forwarded > 1000);
  assert_true(ka.received > 300);
  assert_memory_equal(a, b, sizeof a);
  assert_memory_equal(&ka, &kb, sizeof ka);
  assert_true(ra == rb);
  run_pooled(true, pool, b, &kb, &rb); /* the pool's blocks reused by a second world */
  assert_memory_equal(a, b, sizeof a);
  node_pool_free(pool);
}

static void test_config(void **state CM_UNUSED) {
  env *e = env_sim_new(6);
  cm_addr self = NODE0;
  struct node_params p = {.id = 7, .addr = self, .buffer = BUFFER_RANDOM, .loop_rate_per_s = 2};
  node *n = node_new(e, &p, &self, 1);
  assert_non_null(n);
  struct node_config c;
  node_config(n, &c);
  assert_int_equal(c.id, 7);
  assert_int_equal(c.addr, self);
  assert_string_equal(c.codec, "abstract");
  assert_string_equal(c.buffer, "random");
  assert_string_equal(c.attestation, "software quote, no hardware enclave");
  assert_int_equal(c.buffer_capacity, 4096);
  uint8_t msg[64], pk[32];
  memcpy(msg, c.measurement, 32);
  memcpy(msg + 32, c.pk, 32);
  assert_int_equal(crypto_sign_verify_detached(c.quote, msg, sizeof msg, c.sign_pk), 0);
  assert_int_equal(crypto_scalarmult_base(pk, (const uint8_t[32]){1}), 0);
  assert_memory_not_equal(pk, c.pk, 32);
  /* Bad parameters. */
  struct node_params bad = p;
  bad.addr = 0;
  assert_null(node_new(e, &bad, NULL, 0));
  bad = p;
  bad.loop_rate_per_s = -1;
  assert_null(node_new(e, &bad, NULL, 0));
  bad = p;
  bad.loop_hops = 16;
  assert_null(node_new(e, &bad, NULL, 0));
  /* The node's own loops with a single node come home. */
  env_run(e, CM_S(10));
  node_counters(n, &c.counters);
  assert_true(c.counters.loops_sent > 5);
  assert_true(c.counters.loop_returned + 2 >= c.counters.loops_sent);
  node_free(n);
  env_free(e);
}

/* ---- the same node and client over loopback UDP ---- */

static void test_real_loopback(void **state CM_UNUSED) {
  env *e = env_real_new(11);
  assert_non_null(e);
  assert_int_equal(env_real_add_peer(e, NODE0, "127.0.0.1", 0), 0);
  assert_int_equal(env_real_add_peer(e, CLIENT0, "127.0.0.1", 0), 0);
  cm_addr self = NODE0;
  struct node_params np = {.addr = self, .buffer = BUFFER_OBLIVIOUS, .buffer_capacity = 256, .replay_capacity = 10000};
  node *n = node_new(e, &np, &self, 1);
  assert_non_null(n);
  cm_time t0 = env_now(e);
  struct client_params cp = {.addr = CLIENT0, .loop_rate_per_s = 200, .drop_rate_per_s = 50,
                             .stop = t0 + CM_MS(500), .late_after = CM_S(1)};
  client *c = client_new(e, &cp, &self, 1);
  assert_non_null(c);
  assert_int_equal(env_run(e, t0 + CM_MS(1700)), 0); /* bounded: 0.5 s of traffic, then the 1 s threshold */
  struct client_counters k;
  struct node_counters nc;
  client_counters(c, &k);
  node_counters(n, &nc);
  assert_true(k.sent_loop > 20);
  assert_int_equal(k.outstanding, 0);
  assert_int_equal(k.tracked, k.received + k.lost);
  assert_true(node_counters_balanced(&nc));
  assert_int_equal(nc.in_cpu + nc.held, 0);
  assert_int_equal(nc.received, k.sent_loop + k.sent_drop);
  assert_int_equal(nc.delivered, k.received + k.late);
  assert_int_equal(nc.discarded_drop, k.sent_drop);
  struct env_net_stats st;
  env_net_stats(e, &st);
  assert_int_equal(st.sent, st.delivered + st.dropped_unbound + st.dropped_unknown + st.dropped_oversize +
                                st.send_errors);
  client_free(c);
  node_free(n);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_codec_abstract),         cmocka_unit_test(test_codec_abstract_integrity),
      cmocka_unit_test(test_mixclaves_3_nodes),
      cmocka_unit_test(test_loopix_6_nodes),         cmocka_unit_test(test_drop_cover),
      cmocka_unit_test(test_malformed_and_replay),   cmocka_unit_test(test_unknown_hop_and_full_buffer),
      cmocka_unit_test(test_saturation),
      cmocka_unit_test(test_mixclaves_3_nodes_full), cmocka_unit_test(test_loopix_6_nodes_full),
      cmocka_unit_test(test_malformed_and_replay_full),
      cmocka_unit_test(test_same_seed_same_counters), cmocka_unit_test(test_config),
      cmocka_unit_test(test_real_loopback),
      cmocka_unit_test(test_hops_indistinguishable), cmocka_unit_test(test_surb_hops_indistinguishable),
      cmocka_unit_test(test_delay_bounds),           cmocka_unit_test(test_source_share_and_budget),
      cmocka_unit_test(test_source_table),           cmocka_unit_test(test_shared_pool),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
