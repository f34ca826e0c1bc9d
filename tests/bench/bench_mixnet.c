/* The mixnet benchmarks.
 *
 * `bench mixnet-sim`: simulated packet-hops per wall second. A Loopix-like
 * network on the sim backend: 6 nodes in 3 layers of 2 (stratified, 3
 * hops), many benchmark clients sending loop and drop cover (Poisson),
 * exponential per-hop delays of mean 1 ms, links 2 ms, append buffer, no
 * CPU model (real-mode node: processed at accept). A packet-hop is one
 * datagram accepted by a node (sum of the nodes' received). Once in
 * abstract mode (the figure with the goal), once with the full codec (real
 * Sphinx at every hop and every client build) for comparison.
 *
 * `bench mixnode-udp`: one real node (real/env_real.h) on 127.0.0.1, full
 * codec, driven by a benchmark client built here in the seed's shape:
 * self-addressed 1-hop packets (client -> node -> client), Poisson at rate
 * R, exponential delays of mean 1 ms chosen per packet. The client and the
 * node share one process, one real env and one thread, so the core also
 * pays for every packet's creation and the client's receive: the node's
 * own capacity alone is higher. The rate steps up (2 s per step, 0.3 s
 * with --quick) until a step loses a packet (not back within 0.5 s after
 * the step, or any node drop) or cannot send at the offered rate; the
 * highest step with zero drops is reported, with the added latency of that
 * step: round-trip time minus the delay the sender chose, i.e. two
 * loopback UDP traversals, the unwrap, the timer's lateness and the queueing
 * in the shared thread (per hop: there is one hop). It is the own driver
 * rather than client.c because the per-packet delay must be known to
 * subtract it. Goals (issue 5): 2 M packet-hops/s; 10,000 packets/s with
 * p99 added latency under 1 ms. The benchmark prints; it asserts nothing. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "bench_util.h"
#include "env_real.h"
#include "env_sim.h"
#include "hist.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"

#define NODE0 10
#define CLIENT0 1000
#define NNODES 6

/* ---- mixnet-sim ---- */

struct simnet {
  node *nodes[NNODES];
  uint8_t pk[NNODES][CODEC_KEY_BYTES];
};

static int simnet_key(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct simnet *w = ctx;
  if (a < NODE0 || a >= NODE0 + NNODES) return CM_ENOENT;
  memcpy(pk, w->pk[a - NODE0], CODEC_KEY_BYTES);
  return 0;
}

static int run_sim(const struct codec_ops *codec, uint32_t nclients, double sim_s) {
  int rc = 1;
  struct simnet w;
  memset(&w, 0, sizeof w);
  client **cl = calloc(nclients, sizeof *cl);
  env *e = env_sim_new(42);
  struct link_model m = {.latency = CM_MS(2)};
  if (!cl || !e || env_sim_set_link(e, 0, 0, &m) != 0) goto out;
  cm_addr addrs[NNODES];
  for (int i = 0; i < NNODES; i++) addrs[i] = NODE0 + i;
  for (int i = 0; i < NNODES; i++) {
    struct node_params p = {.id = (uint32_t)i, .addr = addrs[i], .codec = codec, .buffer = BUFFER_APPEND,
                            .buffer_capacity = 8192, .replay_capacity = 10000000};
    if (!(w.nodes[i] = node_new(e, &p, addrs, NNODES))) goto out;
    struct node_config cfg;
    node_config(w.nodes[i], &cfg);
    memcpy(w.pk[i], cfg.pk, CODEC_KEY_BYTES);
  }
  cm_time stop = cm_time_from_s(sim_s);
  for (uint32_t i = 0; i < nclients; i++) {
    struct client_params p = {.addr = CLIENT0 + i, .codec = codec, .topology = CLIENT_STRATIFIED, .layers = 3,
                              .hops = 3, .loop_rate_per_s = 200, .drop_rate_per_s = 20, .stop = stop,
                              .keys = simnet_key, .keys_ctx = &w};
    if (!(cl[i] = client_new(e, &p, addrs, NNODES))) goto out;
  }
  double t0 = bench_now();
  if (env_run(e, stop + CM_S(1)) != 0) goto out;
  double wall = bench_now() - t0;
  uint64_t hops = 0, bad = 0, packets = 0, lost = 0;
  for (int i = 0; i < NNODES; i++) {
    struct node_counters c;
    node_counters(w.nodes[i], &c);
    hops += c.received;
    bad += c.malformed + c.replay + c.buffer_full + c.unknown_next_hop + c.send_failed;
  }
  for (uint32_t i = 0; i < nclients; i++) {
    struct client_counters k;
    client_counters(cl[i], &k);
    packets += k.sent_loop + k.sent_drop + k.sent_real;
    lost += k.lost;
  }
  printf("bench mixnet-sim codec=%s nodes=%d hops=3 clients=%u sim_s=%.1f packets=%llu packet_hops=%llu "
         "wall_s=%.2f packet_hops_per_s=%.0f node_drops=%llu lost=%llu goal=2000000\n",
         codec->name, NNODES, nclients, sim_s, (unsigned long long)packets, (unsigned long long)hops, wall,
         (double)hops / wall, (unsigned long long)bad, (unsigned long long)lost);
  rc = 0;
out:
  if (rc) fprintf(stderr, "bench mixnet-sim: set-up failed (%s)\n", codec->name);
  for (uint32_t i = 0; cl && i < nclients; i++) client_free(cl[i]);
  for (int i = 0; i < NNODES; i++) node_free(w.nodes[i]);
  free(cl);
  if (e) env_free(e);
  return rc;
}

int bench_mixnet_sim(bool quick) {
  fprintf(stderr, "bench mixnet-sim: abstract...\n");
  if (run_sim(codec_abstract(), quick ? 20 : 200, quick ? 0.5 : 10.0) != 0) return 1;
  fprintf(stderr, "bench mixnet-sim: full...\n");
  return run_sim(&codec__full_ops, quick ? 5 : 50, quick ? 0.2 : 2.0);
}

/* ---- mixnode-udp ---- */

#define DRIVER 20
#define TICK CM_US(500)

struct driver {
  env *e;
  rng *r_gap, *r_delay, *r_nonce;
  uint8_t pk[CODEC_KEY_BYTES];
  uint8_t *pkt;
  double rate;       /* offered, per second */
  double next_send;  /* bench_now() time of the next Poisson send */
  double stop_at;    /* no sends at or after */
  uint64_t seq0;     /* first seq of this step */
  uint64_t sent, back, bad;
  double *sent_at;   /* by seq - seq0 */
  cm_time *delay;
  uint64_t cap;
  hist *added;
  timer_id tick;
  bool failed;
};

static void send_due(env *e, void *arg) {
  struct driver *d = arg;
  d->tick = 0;
  double now = bench_now();
  while (d->next_send <= now && d->next_send < d->stop_at && d->sent < d->cap) {
    cm_time dl = cm_time_from_s(rng_exponential(d->r_delay, 1e-3));
    struct codec_hop h = {.addr = NODE0, .delay = dl, .type = CODEC_ROUTE, .pk = d->pk};
    uint64_t seq = d->seq0 + d->sent;
    struct client_payload m = {.kind = CLIENT_LOOP, .src = DRIVER, .dst = DRIVER, .seq = seq};
    uint8_t pl[CLIENT_PAYLOAD_BYTES];
    client_payload_encode(&m, pl);
    if (codec__full_ops.build(&h, 1, DRIVER, pl, sizeof pl, codec_random_rng, d->r_nonce, d->pkt) != 0) {
      d->failed = true;
      return;
    }
    d->sent_at[d->sent] = bench_now();
    d->delay[d->sent] = (dl + 500) / 1000 * 1000; /* as the wire carries it */
    d->sent++;
    if (env_send(e, DRIVER, NODE0, d->pkt, codec__full_ops.packet_bytes) != 0) d->bad++;
    d->next_send += rng_exponential(d->r_gap, 1.0 / d->rate);
  }
  if (d->next_send < d->stop_at) d->tick = env_after(e, TICK, send_due, d);
}

static void on_back(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED, const uint8_t *pkt,
                    size_t len) {
  struct driver *d = arg;
  struct client_payload m;
  double now = bench_now();
  if (client_payload_decode(pkt, len, &m) != 0 || m.seq < d->seq0 || m.seq >= d->seq0 + d->sent) {
    d->bad++;
    return;
  }
  uint64_t i = m.seq - d->seq0;
  d->back++;
  cm_time rtt = (cm_time)((now - d->sent_at[i]) * 1e9);
  hist_add(d->added, rtt - d->delay[i] > 0 ? rtt - d->delay[i] : 0);
}

static uint64_t node_drops(const struct node_counters *c) {
  return c->malformed + c->replay + c->queue_full + c->buffer_full + c->unknown_next_hop + c->send_failed;
}

int bench_mixnode_udp(bool quick) {
  if (sodium_init() < 0) return 1;
  static const double rates[] = {1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 25000, 30000};
  const size_t nrates = quick ? 2 : sizeof rates / sizeof rates[0];
  const double step_s = quick ? 0.3 : 2.0;
  int rc = 1;
  node *n = NULL;
  struct driver d = {0};
  d.e = env_real_new(7);
  if (!d.e || env_real_add_peer(d.e, NODE0, "127.0.0.1", 0) != 0 ||
      env_real_add_peer(d.e, DRIVER, "127.0.0.1", 0) != 0)
    goto out;
  cm_addr self = NODE0, peers[2] = {NODE0, DRIVER};
  struct node_params np = {.addr = self, .codec = &codec__full_ops, .buffer = BUFFER_APPEND,
                           .buffer_capacity = 65536, .replay_capacity = 10000000};
  if (!(n = node_new(d.e, &np, peers, 2))) goto out;
  struct node_config cfg;
  node_config(n, &cfg);
  memcpy(d.pk, cfg.pk, CODEC_KEY_BYTES);
  d.r_gap = env_rng(d.e, "bench:gap");
  d.r_delay = env_rng(d.e, "bench:delay");
  d.r_nonce = env_rng(d.e, "bench:nonce");
  d.cap = (uint64_t)(rates[nrates - 1] * step_s * 1.5) + 1000;
  d.pkt = malloc(codec__full_ops.packet_bytes);
  d.sent_at = malloc(d.cap * sizeof *d.sent_at);
  d.delay = malloc(d.cap * sizeof *d.delay);
  d.added = hist_new();
  if (!d.pkt || !d.sent_at || !d.delay || !d.added || env_bind(d.e, DRIVER, on_back, &d) != 0) goto out;
  double best = 0;
  uint64_t best_drops = 0;
  int64_t p50 = 0, p99 = 0;
  for (size_t k = 0; k < nrates; k++) {
    struct node_counters before, after;
    node_counters(n, &before);
    d.seq0 += d.sent;
    d.sent = d.back = d.bad = 0;
    hist_reset(d.added);
    d.rate = rates[k];
    double t0 = bench_now();
    d.next_send = t0;
    d.stop_at = t0 + step_s;
    d.tick = env_after(d.e, 0, send_due, &d);
    if (env_run(d.e, env_now(d.e) + cm_time_from_s(step_s + 0.5)) != 0 || d.failed) goto out;
    if (d.tick) env_cancel(d.e, d.tick);
    d.tick = 0;
    node_counters(n, &after);
    uint64_t drops = (d.sent - d.back) + d.bad + node_drops(&after) - node_drops(&before);
    double achieved = (double)d.sent / step_s;
    bool kept_up = achieved >= 0.95 * d.rate;
    fprintf(stderr, "bench mixnode-udp: offered %.0f/s sent %.0f/s back %llu of %llu drops %llu p50 %.1f us p99 %.1f us%s\n",
            d.rate, achieved, (unsigned long long)d.back, (unsigned long long)d.sent, (unsigned long long)drops,
            (double)hist_percentile(d.added, 0.5) / 1e3, (double)hist_percentile(d.added, 0.99) / 1e3,
            kept_up ? "" : " (could not send at the offered rate)");
    if (drops || !kept_up) {
      if (best == 0) best_drops = drops;
      break;
    }
    best = (double)d.back / step_s;
    p50 = hist_percentile(d.added, 0.5);
    p99 = hist_percentile(d.added, 0.99);
  }
  printf("bench mixnode-udp packets_per_s=%.0f drops=%llu added_latency_p50_us=%.1f added_latency_p99_us=%.1f "
         "step_s=%.1f setup=one-process-one-thread(node+client,loopback) goal_packets_per_s=10000\n",
         best, (unsigned long long)best_drops, (double)p50 / 1e3, (double)p99 / 1e3, step_s);
  rc = 0;
out:
  if (rc) fprintf(stderr, "bench mixnode-udp: set-up or run failed\n");
  node_free(n);
  if (d.e) env_free(d.e);
  hist_free(d.added);
  free(d.pkt);
  free(d.sent_at);
  free(d.delay);
  return rc;
}
