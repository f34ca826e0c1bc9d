/* The control plane (models/mixclaves/ctrl.h, node_ctrl.c, ctrl_client.h):
 * request and reply encodings round trip and the strict decoders refuse
 * every other form; signatures bind every byte; with both codecs, a CTRL
 * packet is handled at every intermediate hop exactly as an ordinary one
 * (unwrap result, size, type, counters) and the target's public counters
 * after N refused CTRLs equal those after N DROP-cover packets; READ_METRICS,
 * SET_COVER, INSTALL_EPOCH, CANARY and POISON_PILL through a simulated
 * 3-node mixnet with replies in reply blocks; READ_METRICS once over
 * loopback UDP. */
#include "cmocka_inc.h"

#include <string.h>

#include <sodium.h>

#include "env_real.h"
#include "env_sim.h"
#include "mixclaves/ctrl.h"
#include "mixclaves/ctrl_client.h"
#include "mixclaves/node.h"
#include "mixclaves/node_impl.h"
#include "mixclaves/sum128.h"
#include "rng.h"

#define NODE0 10
#define NN 3
#define OPERATOR 300
#define TAP 200

struct keys {
  uint8_t pk[32], sk[64];
};

static void op_keys(uint8_t s, struct keys *k) {
  uint8_t seed[32];
  memset(seed, s, sizeof seed);
  assert_int_equal(crypto_sign_seed_keypair(k->pk, k->sk, seed), 0);
}

/* ---- encodings ---- */

static void sample_request(struct ctrl_request *r, uint8_t command) {
  memset(r, 0, sizeof *r);
  r->command = command;
  r->target = 12;
  r->epoch = 3;
  r->seq = 77;
  r->issued_at = CM_S(5);
  uint8_t h[32];
  memset(h, 0xab, sizeof h);
  switch (command) {
  case CTRL_SET_COVER: assert_int_equal(ctrl_args_set_cover(r, 12.5), 0); break;
  case CTRL_INSTALL_EPOCH: ctrl_args_install_epoch(r, 4, h); break;
  case CTRL_COMMIT: ctrl_args_commit(r, 4, h); break;
  case CTRL_CANARY: assert_int_equal(ctrl_args_canary(r, "no warrants as of today"), 0); break;
  default: break;
  }
  r->surb_len = 300;
  for (int i = 0; i < 300; i++) r->surb[i] = (uint8_t)i;
}

static void test_request_encoding(void **state CM_UNUSED) {
  struct keys op, other;
  op_keys(1, &op);
  op_keys(2, &other);
  for (uint8_t cmd = CTRL_READ_METRICS; cmd <= CTRL_COMMIT; cmd++) {
    struct ctrl_request r, d;
    sample_request(&r, cmd);
    assert_int_equal(ctrl_request_verify(&r, op.pk), CM_EINVAL); /* unsigned */
    assert_int_equal(ctrl_request_sign(&r, op.sk), 0);
    assert_int_equal(ctrl_request_verify(&r, op.pk), 0);
    assert_int_equal(ctrl_request_verify(&r, other.pk), CM_EINVAL);
    uint8_t b[CTRL_REQUEST_MAX + 16], b2[CTRL_REQUEST_MAX];
    size_t n, n2;
    assert_int_equal(ctrl_request_encode(&r, b, sizeof b, &n), 0);
    assert_int_equal(n, CTRL_HEADER_BYTES + r.args_len + 300 + CTRL_SIG_BYTES);
    assert_int_equal(ctrl_request_encode(&r, b2, n - 1, &n2), CM_ERANGE);
    assert_int_equal(ctrl_request_decode(b, n, &d), 0);
    assert_int_equal(ctrl_request_encode(&d, b2, sizeof b2, &n2), 0);
    assert_int_equal(n2, n);
    assert_memory_equal(b, b2, n); /* one encoding per request */
    assert_int_equal(ctrl_request_verify(&d, op.pk), 0);
    /* zero padding after it (a codec payload) is fine; anything else not */
    memset(b + n, 0, 16);
    assert_int_equal(ctrl_request_decode(b, n + 16, &d), 0);
    b[n + 7] = 1;
    assert_int_equal(ctrl_request_decode(b, n + 16, &d), CM_EPARSE);
    b[n + 7] = 0;
    for (size_t k = 0; k < n; k++) /* every truncation */
      assert_int_equal(ctrl_request_decode(b, k, &d), CM_EPARSE);
    /* every single-byte change: refused, or fails the signature */
    for (size_t k = 0; k < n; k++) {
      b[k] ^= 0x10;
      if (ctrl_request_decode(b, n, &d) == 0) assert_int_equal(ctrl_request_verify(&d, op.pk), CM_EINVAL);
      b[k] ^= 0x10;
    }
    /* the strict decoder's refusals, one field at a time */
    static const struct {
      size_t off;
      uint8_t v;
    } bad[] = {{0, 'X'}, {4, 2}, {5, 0}, {5, 7}, {6, 1}, {34, 1}, {39, 1}, {32, 0x7f}};
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
      uint8_t save = b[bad[k].off];
      b[bad[k].off] = bad[k].v;
      assert_int_equal(ctrl_request_decode(b, n, &d), CM_EPARSE);
      b[bad[k].off] = save;
    }
    memset(b + 8, 0, 4); /* target 0 */
    assert_int_equal(ctrl_request_decode(b, n, &d), CM_EPARSE);
  }
  struct ctrl_request r;
  sample_request(&r, CTRL_READ_METRICS);
  uint8_t b[CTRL_REQUEST_MAX];
  size_t n;
  r.seq = 0;
  assert_int_equal(ctrl_request_encode(&r, b, sizeof b, &n), CM_EINVAL);
  r.seq = 1;
  r.args_len = 1; /* READ_METRICS takes none */
  assert_int_equal(ctrl_request_encode(&r, b, sizeof b, &n), CM_EINVAL);
  assert_int_equal(ctrl_args_set_cover(&r, -1), CM_EINVAL);
  assert_int_equal(ctrl_args_set_cover(&r, 2e6), CM_EINVAL);
  assert_int_equal(ctrl_args_canary(&r, ""), CM_EINVAL);
  double rate;
  sample_request(&r, CTRL_SET_COVER);
  assert_int_equal(ctrl_args_cover_parse(&r, &rate), 0);
  assert_true(rate == 12.5);
  memset(r.args, 0xff, 8); /* past CTRL_RATE_MAX_UPS */
  assert_int_equal(ctrl_args_cover_parse(&r, &rate), CM_EPARSE);
  assert_string_equal(ctrl_command_name(CTRL_POISON_PILL), "poison_pill");
  assert_string_equal(ctrl_command_name(CTRL_COMMIT), "commit");
  assert_null(ctrl_command_name(0));
  assert_null(ctrl_command_name(7));
  /* COMMIT: version and hash, exactly 36 bytes; not parsed as an install (nor the reverse) */
  uint32_t v;
  uint8_t h[32], h2[32];
  memset(h, 0x5c, sizeof h);
  sample_request(&r, CTRL_READ_METRICS);
  ctrl_args_commit(&r, 9, h);
  assert_int_equal(r.command, CTRL_COMMIT);
  assert_int_equal(r.args_len, 36);
  assert_int_equal(ctrl_args_commit_parse(&r, &v, h2), 0);
  assert_int_equal(v, 9);
  assert_memory_equal(h, h2, 32);
  assert_int_equal(ctrl_args_install_parse(&r, &v, h2), CM_EPARSE);
  r.args_len = 35;
  assert_int_equal(ctrl_args_commit_parse(&r, &v, h2), CM_EPARSE);
  assert_int_equal(ctrl_request_encode(&r, b, sizeof b, &n), CM_EINVAL);
  ctrl_args_install_epoch(&r, 9, h);
  assert_int_equal(ctrl_args_commit_parse(&r, &v, h2), CM_EPARSE);
}

static void test_reply_encoding(void **state CM_UNUSED) {
  struct keys node_k, other;
  op_keys(3, &node_k);
  op_keys(4, &other);
  struct ctrl_reply r = {.command = CTRL_READ_METRICS, .status = CTRL_ACK, .node = 11, .epoch = 2, .seq = 9,
                         .node_time = CM_MS(1500)};
  struct ctrl_metrics m, m2;
  uint64_t *f = (uint64_t *)&m;
  for (int i = 0; i < CTRL_METRICS_COUNT; i++) f[i] = 1000u * (uint64_t)i + 7;
  ctrl_metrics_put(&r, &m);
  assert_int_equal(ctrl_reply_sign(&r, node_k.sk), 0);
  assert_int_equal(ctrl_reply_verify(&r, node_k.pk), 0);
  assert_int_equal(ctrl_reply_verify(&r, other.pk), CM_EINVAL);
  uint8_t b[CTRL_REPLY_MAX + 8], b2[CTRL_REPLY_MAX];
  size_t n, n2;
  struct ctrl_reply d;
  assert_int_equal(ctrl_reply_encode(&r, b, sizeof b, &n), 0);
  memset(b + n, 0, 8);
  assert_int_equal(ctrl_reply_decode(b, n + 8, &d), 0);
  assert_int_equal(ctrl_reply_encode(&d, b2, sizeof b2, &n2), 0);
  assert_int_equal(n2, n);
  assert_memory_equal(b, b2, n);
  assert_int_equal(ctrl_metrics_parse(&d, &m2), 0);
  assert_memory_equal(&m, &m2, sizeof m);
  for (size_t k = 0; k < n; k++) assert_int_equal(ctrl_reply_decode(b, k, &d), CM_EPARSE);
  for (size_t k = 0; k < n; k++) {
    b[k] ^= 1;
    if (ctrl_reply_decode(b, n, &d) == 0) assert_int_equal(ctrl_reply_verify(&d, node_k.pk), CM_EINVAL);
    b[k] ^= 1;
  }
  b[6] = 9; /* unknown status */
  assert_int_equal(ctrl_reply_decode(b, n, &d), CM_EPARSE);
  b[6] = 0;
  b[7] = 1; /* reserved */
  assert_int_equal(ctrl_reply_decode(b, n, &d), CM_EPARSE);
  b[7] = 0;
  d.command = CTRL_CANARY;
  assert_int_equal(ctrl_metrics_parse(&d, &m2), CM_EPARSE);
}

/* ---- a 3-node world ---- */

struct world {
  env *e;
  const struct codec_ops *codec;
  node *nodes[NN];
  struct node_identity id[NN];
  struct keys op;
  rng *r;
  uint8_t known_hash[32]; /* the digest hash every node "holds" for epoch 1 */
  struct ctrl_reply got;
  int replies, timeouts;
};

static int w_key(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct world *w = ctx;
  if (a < NODE0 || a >= NODE0 + NN) return CM_ENOENT;
  memcpy(pk, w->id[a - NODE0].pk, 32);
  return 0;
}

static int w_sign_key(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct world *w = ctx;
  if (a < NODE0 || a >= NODE0 + NN) return CM_ENOENT;
  memcpy(pk, w->id[a - NODE0].sign_pk, 32);
  return 0;
}

static int w_epoch_known(void *ctx, uint32_t version, const uint8_t hash[32], struct node_identity *next) {
  struct world *w = ctx;
  (void)next;
  return version == 1 && memcmp(hash, w->known_hash, 32) == 0 ? 1 : CM_ENOENT;
}

static void on_tap(env *e CM_UNUSED, void *arg CM_UNUSED, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                   const uint8_t *pkt CM_UNUSED, size_t len CM_UNUSED) {}

/* nodes with known keys; operator key 1 unless with_operator is false. */
static void world_new(struct world *w, const struct codec_ops *codec, uint64_t seed, bool with_operator) {
  memset(w, 0, sizeof *w);
  w->e = env_sim_new(seed);
  w->codec = codec;
  w->r = rng_new(seed, "test");
  struct link_model m = {.latency = CM_MS(1)};
  assert_int_equal(env_sim_set_link(w->e, 0, 0, &m), 0);
  op_keys(1, &w->op);
  memset(w->known_hash, 0x5a, 32);
  assert_int_equal(env_bind(w->e, TAP, on_tap, NULL), 0); /* test packets come from here */
  cm_addr peers[NN];
  for (int i = 0; i < NN; i++) peers[i] = (cm_addr)(NODE0 + i);
  for (int i = 0; i < NN; i++) {
    uint8_t s[32];
    memset(s, 40 + i, 32);
    assert_int_equal(sphinx_keypair_from_seed(w->id[i].pk, w->id[i].sk, s), 0);
    s[0] ^= 1;
    assert_int_equal(crypto_sign_seed_keypair(w->id[i].sign_pk, w->id[i].sign_sk, s), 0);
    struct node_params p = {.id = (uint32_t)i, .addr = peers[i], .codec = codec, .buffer_capacity = 64,
                            .replay_capacity = 10000, .identity = &w->id[i], .keys = w_key, .keys_ctx = w,
                            .operator_pk = with_operator ? w->op.pk : NULL, .epoch_known = w_epoch_known,
                            .epoch_ctx = w};
    w->nodes[i] = node_new(w->e, &p, peers, NN);
    assert_non_null(w->nodes[i]);
  }
}

static void world_free(struct world *w) {
  for (int i = 0; i < NN; i++) {
    struct node_counters c;
    node_counters(w->nodes[i], &c);
    assert_true(node_counters_balanced(&c));
    assert_int_equal(c.in_cpu + c.held, 0);
    node_free(w->nodes[i]);
  }
  struct env_net_stats st;
  env_net_stats(w->e, &st);
  assert_int_equal(st.in_flight, 0);
  rng_free(w->r);
  env_free(w->e);
}

/* The path node0 -> node1 -> node2, 200 us per hop, last hop of type last. */
static void path3(struct world *w, enum codec_type last, struct codec_hop *h) {
  for (int i = 0; i < NN; i++)
    h[i] = (struct codec_hop){.addr = (cm_addr)(NODE0 + i), .delay = CM_US(200),
                              .type = i == NN - 1 ? last : CODEC_ROUTE, .pk = w->codec->keyed ? w->id[i].pk : NULL};
}

/* A CTRL packet to node2 along path3 carrying req (signed with sk unless NULL). */
static void ctrl_packet(struct world *w, struct ctrl_request *req, const uint8_t *sk, uint8_t *pkt) {
  if (sk) assert_int_equal(ctrl_request_sign(req, sk), 0);
  uint8_t b[CTRL_REQUEST_MAX];
  size_t n;
  assert_int_equal(ctrl_request_encode(req, b, sizeof b, &n), 0);
  struct codec_hop h[NN];
  path3(w, CODEC_CTRL, h);
  assert_int_equal(w->codec->build(h, NN, 0, 0, b, n, codec_random_rng, w->r, pkt), 0);
}

/* An ordinary DROP-cover packet along path3. */
static void drop_packet(struct world *w, uint8_t *pkt) {
  struct codec_hop h[NN];
  path3(w, CODEC_DROP, h);
  uint8_t junk[64];
  codec_random_rng(w->r, junk, sizeof junk);
  assert_int_equal(w->codec->build(h, NN, 0, 0, junk, sizeof junk, codec_random_rng, w->r, pkt), 0);
}

static struct ctrl_request metrics_req(uint64_t seq) {
  struct ctrl_request r = {.command = CTRL_READ_METRICS, .target = NODE0 + 2, .seq = seq};
  return r;
}

/* At node0 and node1 a CTRL packet and a DROP packet unwrap alike (only
 * the tag differs); the output has the packet size. */
static void hops_alike(const struct codec_ops *codec) {
  struct world w;
  world_new(&w, codec, 5, true);
  size_t L = codec->packet_bytes;
  uint8_t *a = malloc(L), *b = malloc(L), *a2 = malloc(L), *b2 = malloc(L);
  struct ctrl_request r = metrics_req(1);
  ctrl_packet(&w, &r, w.op.sk, a);
  drop_packet(&w, b);
  for (int i = 0; i < NN; i++) {
    struct codec_node self = {.addr = NODE0 + i, .sk = codec->keyed ? w.id[i].sk : NULL};
    struct codec_unwrapped ua, ub;
    assert_int_equal(codec->unwrap(&self, a, L, a2, &ua), 0);
    assert_int_equal(codec->unwrap(&self, b, L, b2, &ub), 0);
    assert_int_equal(ua.final, ub.final);
    assert_int_equal(ua.delay, ub.delay);
    assert_int_equal(ua.epoch, ub.epoch);
    assert_int_equal(ua.reply, ub.reply);
    if (i < NN - 1) {
      assert_int_equal(ua.type, CODEC_ROUTE);
      assert_int_equal(ub.type, CODEC_ROUTE);
      assert_int_equal(ua.next, ub.next);
      memcpy(a, a2, L); /* the same length at every hop */
      memcpy(b, b2, L);
    } else {
      assert_true(ua.final);
      assert_int_equal(ua.type, CODEC_CTRL); /* only the target learns it */
      assert_int_equal(ub.type, CODEC_DROP);
    }
  }
  free(a), free(b), free(a2), free(b2);
  world_free(&w);
}

static void test_hops_alike_abstract(void **s CM_UNUSED) { hops_alike(codec_abstract()); }
static void test_hops_alike_full(void **s CM_UNUSED) { hops_alike(&codec__full_ops); }

static void public_equal(struct world *x, struct world *y) {
  for (int i = 0; i < NN; i++) {
    struct node_counters a, b;
    node_counters(x->nodes[i], &a);
    node_counters(y->nodes[i], &b);
    assert_memory_equal(&a, &b, sizeof a); /* every public counter, at every hop */
  }
}

/* N CTRL packets, each refused for its own reason (and one accepted, whose
 * replay is refused), against N DROP-cover packets in a twin world: the
 * public counters of all three nodes are the same; the operator-only
 * breakdown says why. */
static void refused_like_drops(const struct codec_ops *codec) {
  struct world w, t;
  world_new(&w, codec, 9, true);
  world_new(&t, codec, 9, true);
  struct keys wrong;
  op_keys(7, &wrong);
  size_t L = codec->packet_bytes;
  uint8_t *pkt = malloc(L);
  int sent = 0;
  struct ctrl_request r;
#define SEND(world) (env_send((world)->e, TAP, NODE0, pkt, L), sent++)
  r = metrics_req(1);
  ctrl_packet(&w, &r, NULL, pkt); /* unsigned */
  SEND(&w);
  r = metrics_req(2);
  ctrl_packet(&w, &r, wrong.sk, pkt); /* another key */
  SEND(&w);
  r = metrics_req(1000000);
  ctrl_packet(&w, &r, w.op.sk, pkt); /* accepted (no reply block) */
  SEND(&w);
  r = metrics_req(3);
  ctrl_packet(&w, &r, w.op.sk, pkt); /* accepted too: requests may arrive out of order */
  SEND(&w);
  r = metrics_req(3);
  ctrl_packet(&w, &r, w.op.sk, pkt); /* the same sequence number again */
  SEND(&w);
  r = metrics_req(4);
  r.epoch = 7;
  ctrl_packet(&w, &r, w.op.sk, pkt); /* stale epoch */
  SEND(&w);
  r = metrics_req(5);
  r.issued_at = NODE_CTRL_WINDOW + CM_S(1);
  ctrl_packet(&w, &r, w.op.sk, pkt); /* issued too far from the node's clock */
  SEND(&w);
  r = metrics_req(6);
  assert_int_equal(ctrl_request_sign(&r, w.op.sk), 0);
  r.seq = 66; /* tampered after signing */
  ctrl_packet(&w, &r, NULL, pkt);
  SEND(&w);
  r = metrics_req(8);
  r.target = NODE0 + 1; /* names another node */
  ctrl_packet(&w, &r, w.op.sk, pkt);
  SEND(&w);
  uint8_t junk[40] = "CMCT not a request";
  struct codec_hop h[NN];
  path3(&w, CODEC_CTRL, h);
  assert_int_equal(codec->build(h, NN, 0, 0, junk, sizeof junk, codec_random_rng, w.r, pkt), 0);
  SEND(&w);
  int n = sent;
  for (int i = 0; i < n; i++) {
    drop_packet(&t, pkt);
    env_send(t.e, TAP, NODE0, pkt, L);
  }
#undef SEND
  env_run(w.e, CM_S(1));
  env_run(t.e, CM_S(1));
  public_equal(&w, &t);
  struct node_counters c;
  node_counters(w.nodes[2], &c);
  assert_int_equal(c.discarded_drop, n);
  struct node__ctrl_counters k;
  node__ctrl_counters(w.nodes[2], &k);
  assert_int_equal(k.accepted, 2);
  assert_int_equal(k.bad_signature, 3);
  assert_int_equal(k.replay, 1);
  assert_int_equal(k.stale, 2);
  assert_int_equal(k.malformed, 2);
  assert_int_equal(k.accepted + k.bad_signature + k.replay + k.stale + k.malformed, n);
  free(pkt);
  world_free(&w);
  world_free(&t);
  /* a node without an operator key refuses them all, publicly as drops */
  world_new(&w, codec, 9, false);
  pkt = malloc(L);
  r = metrics_req(1);
  ctrl_packet(&w, &r, w.op.sk, pkt);
  env_send(w.e, TAP, NODE0, pkt, L);
  env_run(w.e, CM_S(1));
  node_counters(w.nodes[2], &c);
  node__ctrl_counters(w.nodes[2], &k);
  assert_int_equal(c.discarded_drop, 1);
  assert_int_equal(k.bad_signature, 1);
  assert_int_equal(k.accepted, 0);
  free(pkt);
  world_free(&w);
}

/* The sequence window: 64 accepted requests remembered; past that the
 * smallest is evicted and everything at or below it refused. */
static void test_seq_window(void **s CM_UNUSED) {
  struct world w;
  world_new(&w, codec_abstract(), 12, true);
  size_t L = codec_abstract()->packet_bytes;
  uint8_t *pkt = malloc(L);
  static const uint64_t seqs[] = {265, 200, 150, 264, 265};
  for (uint64_t q = 200; q < 264; q++) {
    struct ctrl_request r = metrics_req(q);
    ctrl_packet(&w, &r, w.op.sk, pkt);
    env_send(w.e, TAP, NODE0, pkt, L);
    env_run(w.e, env_now(w.e) + CM_MS(10)); /* in this order */
  }
  for (size_t i = 0; i < sizeof seqs / sizeof seqs[0]; i++) {
    struct ctrl_request r = metrics_req(seqs[i]);
    ctrl_packet(&w, &r, w.op.sk, pkt);
    env_send(w.e, TAP, NODE0, pkt, L);
    env_run(w.e, env_now(w.e) + CM_MS(10));
  }
  struct node__ctrl_counters k;
  node__ctrl_counters(w.nodes[2], &k);
  assert_int_equal(k.accepted, 64 + 2); /* 265 (evicting 200), then 264 */
  assert_int_equal(k.replay, 3);        /* 200 and 150 at or below the floor, 265 again */
  free(pkt);
  world_free(&w);
}

static void test_refused_like_drops_abstract(void **s CM_UNUSED) { refused_like_drops(codec_abstract()); }
static void test_refused_like_drops_full(void **s CM_UNUSED) { refused_like_drops(&codec__full_ops); }

/* ---- the operator's client, end to end ---- */

static void on_reply(void *arg, enum ctrl_outcome o, const struct ctrl_reply *r) {
  struct world *w = arg;
  if (o == CTRL_TIMEOUT) {
    assert_null(r);
    w->timeouts++;
    return;
  }
  w->got = *r;
  w->replies++;
}

static ctrl_client *operator_new(struct world *w, const uint8_t *sk) {
  struct ctrl_client_params p = {.addr = OPERATOR, .codec = w->codec, .operator_sk = sk, .timeout = CM_S(2),
                                 .keys = w_key, .keys_ctx = w, .sign_keys = w_sign_key, .sign_ctx = w};
  ctrl_client *c = ctrl_client_new(w->e, &p);
  assert_non_null(c);
  return c;
}

/* Send cmd (args already in req) to node2 via node0, back via node1; run. */
static void call(struct world *w, ctrl_client *c, struct ctrl_request *req, cm_time until) {
  static const cm_addr via[] = {NODE0}, back[] = {NODE0 + 1};
  struct ctrl_route route = {.via = via, .nvia = 1, .back = back, .nback = 1};
  req->target = NODE0 + 2;
  int before = w->replies + w->timeouts;
  assert_int_equal(ctrl_client_send(c, req, &route, on_reply, w), 0);
  assert_int_equal(w->replies + w->timeouts, before); /* no callback inside send */
  env_run(w->e, until);
}

static void end_to_end(const struct codec_ops *codec) {
  struct world w;
  world_new(&w, codec, 21, true);
  ctrl_client *c = operator_new(&w, w.op.sk);
  /* READ_METRICS, with some ordinary traffic first */
  size_t L = codec->packet_bytes;
  uint8_t *pkt = malloc(L);
  for (int i = 0; i < 5; i++) {
    drop_packet(&w, pkt);
    env_send(w.e, TAP, NODE0, pkt, L);
  }
  env_run(w.e, CM_MS(100));
  struct ctrl_request req = {.command = CTRL_READ_METRICS};
  call(&w, c, &req, CM_S(1));
  assert_int_equal(w.replies, 1);
  assert_int_equal(w.got.status, CTRL_ACK);
  assert_int_equal(w.got.node, NODE0 + 2);
  assert_int_equal(w.got.seq, req.seq);
  struct ctrl_metrics m;
  assert_int_equal(ctrl_metrics_parse(&w.got, &m), 0);
  assert_int_equal(m.received, 6);       /* 5 drops and this request */
  assert_int_equal(m.discarded_drop, 6); /* the request counts as one */
  assert_int_equal(m.ctrl_accepted, 1);
  assert_int_equal(m.ctrl_bad_signature + m.ctrl_replay + m.ctrl_stale + m.ctrl_malformed, 0);
  assert_int_equal(m.loops_sent, 0);     /* the reply leaves after the answer was written */
  assert_true(w.got.node_time >= CM_MS(100));
  struct node_counters nc;
  node_counters(w.nodes[2], &nc);
  assert_int_equal(nc.loops_sent, 1);    /* the reply, as the node's own packet */
  node_counters(w.nodes[1], &nc);
  assert_int_equal(nc.delivered, 1);     /* the reply's last hop delivered it */
  /* SET_COVER: own loops start; READ_METRICS sees the rate */
  req = (struct ctrl_request){0};
  assert_int_equal(ctrl_args_set_cover(&req, 20), 0);
  call(&w, c, &req, CM_S(3));
  assert_int_equal(w.replies, 2);
  assert_int_equal(w.got.command, CTRL_SET_COVER);
  assert_int_equal(w.got.status, CTRL_ACK);
  req = (struct ctrl_request){.command = CTRL_READ_METRICS};
  call(&w, c, &req, CM_S(4));
  assert_int_equal(w.replies, 3);
  assert_int_equal(ctrl_metrics_parse(&w.got, &m), 0);
  assert_int_equal(m.loop_rate_ups, 20000000);
  assert_true(m.loops_sent > 10); /* about 40 loops in ~2 s */
  assert_int_equal(m.ctrl_accepted, 3);
  req = (struct ctrl_request){0};
  assert_int_equal(ctrl_args_set_cover(&req, 0), 0);
  call(&w, c, &req, CM_S(5));
  /* CANARY: the node holds the text; the reply carries its hash, node-signed */
  req = (struct ctrl_request){0};
  assert_int_equal(ctrl_args_canary(&req, "no secret orders received"), 0);
  call(&w, c, &req, CM_S(6));
  assert_int_equal(w.got.command, CTRL_CANARY);
  uint8_t hsh[32];
  crypto_generichash(hsh, 32, (const uint8_t *)"no secret orders received", 25, NULL, 0);
  assert_int_equal(w.got.body_len, 32);
  assert_memory_equal(w.got.body, hsh, 32);
  size_t clen;
  const uint8_t *ctext = node_canary(w.nodes[2], &clen);
  assert_int_equal(clen, 25);
  assert_memory_equal(ctext, "no secret orders received", 25);
  /* INSTALL_EPOCH: an unknown digest is refused, the known one installed */
  uint8_t bad_hash[32] = {1};
  req = (struct ctrl_request){0};
  ctrl_args_install_epoch(&req, 1, bad_hash);
  call(&w, c, &req, CM_S(7));
  assert_int_equal(w.got.status, CTRL_NACK_UNKNOWN);
  assert_int_equal(w.got.epoch, 0);
  req = (struct ctrl_request){0};
  ctrl_args_install_epoch(&req, 1, w.known_hash);
  call(&w, c, &req, CM_S(8));
  assert_int_equal(w.got.status, CTRL_ACK);
  /* two phases (node.h): the install publishes epoch 1's key ahead, the
   * node stays at epoch 0 until a commit */
  assert_int_equal(w.got.epoch, 0);
  struct node_config cfg;
  node_config(w.nodes[2], &cfg);
  assert_int_equal(cfg.epoch, 0);
  assert_int_equal(cfg.nepochs, 2);
  assert_int_equal(cfg.epochs[1], 1);
  assert_int_equal(node_epoch_switch(w.nodes[2], 1), 0); /* what COMMIT does (test_updater_ctrl.c) */
  node_config(w.nodes[2], &cfg);
  assert_int_equal(cfg.epoch, 1);
  assert_int_equal(w.timeouts, 0);
  /* a request signed with another key: dropped, so the caller times out */
  struct keys wrong;
  op_keys(8, &wrong);
  ctrl_client *bad = NULL;
  ctrl_client_free(c);
  bad = operator_new(&w, wrong.sk);
  req = (struct ctrl_request){.command = CTRL_READ_METRICS};
  ctrl_client_set_epoch(bad, 0);
  /* node2 is at epoch 1 now: go to node0 directly instead */
  static const cm_addr back[] = {NODE0 + 1};
  struct ctrl_route route = {.back = back, .nback = 1};
  req.target = NODE0;
  assert_int_equal(ctrl_client_send(bad, &req, &route, on_reply, &w), 0);
  env_run(w.e, CM_S(12));
  assert_int_equal(w.timeouts, 1);
  struct ctrl_client_counters k;
  ctrl_client_counters(bad, &k);
  assert_int_equal(k.timed_out, 1);
  assert_int_equal(k.outstanding, 0);
  ctrl_client_free(bad);
  free(pkt);
  world_free(&w);
}

static void test_end_to_end_abstract(void **s CM_UNUSED) { end_to_end(codec_abstract()); }
static void test_end_to_end_full(void **s CM_UNUSED) { end_to_end(&codec__full_ops); }

/* POISON_PILL: acknowledged, then every datagram is dropped as poisoned and
 * the node refuses a new epoch. */
static void poison_pill(const struct codec_ops *codec) {
  struct world w;
  world_new(&w, codec, 33, true);
  ctrl_client *c = operator_new(&w, w.op.sk);
  struct ctrl_request req = {.command = CTRL_POISON_PILL};
  call(&w, c, &req, CM_S(1));
  assert_int_equal(w.replies, 1);
  assert_int_equal(w.got.command, CTRL_POISON_PILL);
  assert_int_equal(w.got.status, CTRL_ACK);
  size_t L = codec->packet_bytes;
  uint8_t *pkt = malloc(L);
  struct codec_hop h = {.addr = NODE0 + 2, .delay = 0, .type = CODEC_DROP, .pk = codec->keyed ? w.id[2].pk : NULL};
  for (int i = 0; i < 4; i++) {
    assert_int_equal(codec->build(&h, 1, 0, 0, NULL, 0, codec_random_rng, w.r, pkt), 0);
    env_send(w.e, TAP, NODE0 + 2, pkt, L);
  }
  req = (struct ctrl_request){.command = CTRL_READ_METRICS};
  call(&w, c, &req, CM_S(5)); /* reaches node2 and dies there */
  struct node_counters nc;
  node_counters(w.nodes[2], &nc);
  assert_int_equal(nc.poisoned, 5);
  assert_int_equal(w.replies, 1);
  assert_int_equal(w.timeouts, 1);
  assert_int_equal(node_epoch_advance(w.nodes[2], NULL), CM_EINVAL);
  assert_int_equal(node_ctrl_install_epoch(w.nodes[2], 1, w.known_hash), CM_EINVAL);
  ctrl_client_free(c);
  free(pkt);
  world_free(&w);
}

static void test_poison_pill_abstract(void **s CM_UNUSED) { poison_pill(codec_abstract()); }
static void test_poison_pill_full(void **s CM_UNUSED) { poison_pill(&codec__full_ops); }

/* Reply blocks at the codec level: open refuses another block's reply and
 * a changed byte; the client refuses a bad send. */
static void reply_blocks(const struct codec_ops *codec) {
  struct world w;
  world_new(&w, codec, 44, true);
  struct codec_hop h[2];
  for (int i = 0; i < 2; i++)
    h[i] = (struct codec_hop){.addr = (cm_addr)(NODE0 + i), .delay = CM_US(10), .type = CODEC_ROUTE,
                              .pk = codec->keyed ? w.id[i].pk : NULL};
  uint8_t surb[CODEC_SURB_MAX], keys[CODEC_SURB_KEYS_MAX], keys2[CODEC_SURB_KEYS_MAX], surb2[CODEC_SURB_MAX];
  assert_int_equal(codec->surb_create(h, 2, 0, OPERATOR, codec_random_rng, w.r, surb, keys), 0);
  assert_int_equal(codec->surb_create(h, 2, 0, OPERATOR, codec_random_rng, w.r, surb2, keys2), 0);
  h[1].type = CODEC_DROP;
  assert_int_equal(codec->surb_create(h, 2, 0, OPERATOR, codec_random_rng, w.r, surb2, keys2), CM_EINVAL);
  size_t L = codec->packet_bytes;
  uint8_t *p = malloc(L), *q = malloc(L), msg[CODEC_REPLY_MSG_MAX];
  cm_addr first;
  assert_int_equal(codec->surb_reply(surb, (const uint8_t *)"pong", 4, p, &first), 0);
  assert_int_equal(first, NODE0);
  assert_int_equal(codec->surb_reply(surb, msg, CODEC_REPLY_MSG_MAX + 1, p, &first), CM_ERANGE);
  struct codec_unwrapped u;
  for (int i = 0; i < 2; i++) {
    struct codec_node self = {.addr = NODE0 + i, .sk = codec->keyed ? w.id[i].sk : NULL};
    assert_int_equal(codec->unwrap(&self, p, L, q, &u), 0);
    assert_int_equal(u.type, CODEC_ROUTE);
    memcpy(p, q, L);
  }
  assert_true(u.final);
  assert_int_equal(u.dest, OPERATOR);
  size_t mlen;
  uint8_t *d = malloc(codec->reply_bytes);
  memcpy(d, u.payload, codec->reply_bytes);
  assert_int_equal(codec->surb_open(keys2, d, codec->reply_bytes, msg, &mlen), CM_ENOENT);
  assert_int_equal(codec->surb_open(keys, d, codec->reply_bytes - 1, msg, &mlen), CM_EINVAL);
  assert_int_equal(codec->surb_open(keys, d, codec->reply_bytes, msg, &mlen), 0);
  assert_true(mlen >= 4);
  assert_memory_equal(msg, "pong", 4);
  d[codec->reply_bytes - 1] ^= 1;
  assert_int_equal(codec->surb_open(keys, d, codec->reply_bytes, msg, &mlen), CM_EPARSE);
  free(d);
  /* CTRL before the last hop: refused by unwrap too (abstract: the header
   * is in the clear, so forge one with a valid checksum) */
  if (!codec->keyed) {
    h[1].type = CODEC_ROUTE;
    assert_int_equal(codec->build(h, 2, 0, OPERATOR, NULL, 0, codec_random_rng, w.r, p), 0);
    p[28 + 12] = CODEC_CTRL; /* the first hop entry's type */
    sum128(p, 284, p + 284);
    struct codec_node self = {.addr = NODE0};
    assert_int_equal(codec->unwrap(&self, p, L, q, &u), CM_EPARSE);
    p[28 + 12] = CODEC_ROUTE;
    sum128(p, 284, p + 284);
    assert_int_equal(codec->unwrap(&self, p, L, q, &u), 0);
  }
  free(p), free(q);
  /* client argument checks */
  ctrl_client *c = operator_new(&w, w.op.sk);
  struct ctrl_request req = {.command = CTRL_READ_METRICS, .target = NODE0};
  cm_addr back[] = {NODE0 + 1}, zero[] = {0};
  struct ctrl_route r1 = {.back = back, .nback = 1};
  assert_int_equal(ctrl_client_send(c, &req, &r1, NULL, NULL), CM_EINVAL); /* a reply needs a callback */
  struct ctrl_route r2 = {.via = zero, .nvia = 1};
  assert_int_equal(ctrl_client_send(c, &req, &r2, NULL, NULL), CM_EINVAL);
  req.args_len = 3;
  assert_int_equal(ctrl_client_send(c, &req, &(struct ctrl_route){0}, NULL, NULL), CM_EINVAL);
  struct ctrl_client_counters k;
  ctrl_client_counters(c, &k);
  assert_int_equal(k.sent, 0);
  ctrl_client_free(c);
  env_run(w.e, CM_S(1));
  world_free(&w);
}

static void test_reply_blocks_abstract(void **s CM_UNUSED) { reply_blocks(codec_abstract()); }
static void test_reply_blocks_full(void **s CM_UNUSED) { reply_blocks(&codec__full_ops); }

/* Real mode: two full-codec nodes and the operator's client over loopback
 * UDP; READ_METRICS to node0, the reply back through node1. Secrets from
 * the OS CSPRNG (env_secret_rng of env_real); clock_base from the caller. */
static void test_real_loopback(void **s CM_UNUSED) {
  struct world w;
  memset(&w, 0, sizeof w);
  w.e = env_real_new(3);
  assert_non_null(w.e);
  w.codec = &codec__full_ops;
  op_keys(1, &w.op);
  cm_addr peers[2] = {NODE0, NODE0 + 1};
  assert_int_equal(env_real_add_peer(w.e, OPERATOR, "127.0.0.1", 0), 0);
  const cm_time base = CM_S(1800000000); /* a wall clock, as cli would pass it */
  for (int i = 0; i < 2; i++) {
    assert_int_equal(env_real_add_peer(w.e, peers[i], "127.0.0.1", 0), 0);
    uint8_t sd[32];
    memset(sd, 90 + i, 32);
    assert_int_equal(sphinx_keypair_from_seed(w.id[i].pk, w.id[i].sk, sd), 0);
    assert_int_equal(crypto_sign_seed_keypair(w.id[i].sign_pk, w.id[i].sign_sk, sd), 0);
    struct node_params p = {.addr = peers[i], .codec = w.codec, .buffer_capacity = 64, .replay_capacity = 10000,
                            .identity = &w.id[i], .keys = w_key, .keys_ctx = &w, .operator_pk = w.op.pk,
                            .ctrl_clock_base = base};
    w.nodes[i] = node_new(w.e, &p, peers, 2);
    assert_non_null(w.nodes[i]);
  }
  struct ctrl_client_params cp = {.addr = OPERATOR, .codec = w.codec, .operator_sk = w.op.sk, .timeout = CM_S(1),
                                  .clock_base = base, .keys = w_key, .keys_ctx = &w, .sign_keys = w_sign_key,
                                  .sign_ctx = &w};
  ctrl_client *c = ctrl_client_new(w.e, &cp);
  assert_non_null(c);
  struct ctrl_request req = {.command = CTRL_READ_METRICS, .target = NODE0};
  struct ctrl_route route = {.back = &peers[1], .nback = 1};
  assert_int_equal(ctrl_client_send(c, &req, &route, on_reply, &w), 0);
  assert_int_equal(env_run(w.e, env_now(w.e) + CM_MS(500)), 0);
  assert_int_equal(w.replies, 1);
  struct ctrl_metrics m;
  assert_int_equal(ctrl_metrics_parse(&w.got, &m), 0);
  assert_int_equal(m.ctrl_accepted, 1);
  assert_true(w.got.node_time >= base);
  ctrl_client_free(c);
  for (int i = 0; i < 2; i++) {
    struct node_counters nc;
    node_counters(w.nodes[i], &nc);
    assert_true(node_counters_balanced(&nc));
    node_free(w.nodes[i]);
  }
  env_free(w.e);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_request_encoding),          cmocka_unit_test(test_reply_encoding),
      cmocka_unit_test(test_hops_alike_abstract),       cmocka_unit_test(test_hops_alike_full),
      cmocka_unit_test(test_refused_like_drops_abstract), cmocka_unit_test(test_refused_like_drops_full),
      cmocka_unit_test(test_seq_window),
      cmocka_unit_test(test_end_to_end_abstract),       cmocka_unit_test(test_end_to_end_full),
      cmocka_unit_test(test_poison_pill_abstract),      cmocka_unit_test(test_poison_pill_full),
      cmocka_unit_test(test_reply_blocks_abstract),     cmocka_unit_test(test_reply_blocks_full),
      cmocka_unit_test(test_real_loopback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
