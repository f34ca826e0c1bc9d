/* `bench mixnet-sim`: simulated packet-hops per wall second of whole mix
 * networks on the sim backend, no CPU model (a real-mode node: processed at
 * accept), exponential per-hop delays of mean 1 ms, links 2 ms, append
 * buffer. A packet-hop is one datagram accepted by a node (the sum of the
 * nodes' received). Each row runs in a child process of its own, so its
 * max_rss_mb (getrusage ru_maxrss in the child) is that row's alone; wall_s
 * is the simulation's run, set-up (building every node and client) is
 * setup_s; cpu_s is the run's user + system CPU time (on a shared machine
 * wall time also counts the waits for a core), packet_hops_per_cpu_s the
 * rate over it.
 *
 * Rows:
 *  - the 6-node line: Loopix-like, 6 nodes in 3 layers (stratified), 3
 *    hops, 200 clients sending loop cover at 200/s and drop cover at 20/s,
 *    10 s; with the abstract codec (the figure with the goal) and with the
 *    full codec (real Sphinx at every hop and every build, 50 clients, 2 s)
 *    for comparison;
 *  - growth: 10, 100 and 1,000 nodes with 100 clients a node (1,000 to
 *    100,000 clients), each client sending loops at 20/s and drops at 2/s
 *    (Loopix-scale rates), 3 hops each uniform over all nodes (one trust
 *    domain: 10, 100 and 1,000 do not split into 3 layers); the simulated
 *    time is chosen so that each row makes about the same number of
 *    packet-hops (12 M; 0.2 M with --quick);
 *  - `--nodes N --clients M`: that one growth row instead.
 *
 * Every node's replay filter is sized for the packets it will see in the
 * row (twice the expected count, plus 10,000), as a real node sizes its
 * filter for its rate x epoch; a node past it would count
 * replay_filter_full, which node_drops includes. Goal (issue 5 and 15):
 * 2 M packet-hops per wall second, and at 1,000 nodes with 100,000 clients
 * under 2 GB. The benchmark prints; it asserts nothing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "bench_util.h"
#include "env_sim.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"

#define NODE0 10
#define CLIENT0 100000
#define GROWTH_CLIENTS_PER_NODE 100
#define GROWTH_HOPS 12e6
#define GROWTH_HOPS_QUICK 2e5

struct simrow {
  const struct codec_ops *codec;
  bool stratified; /* 3 layers; else each hop uniform over all nodes */
  uint32_t nodes, clients;
  double loop_per_s, drop_per_s, sim_s;
};

struct simnet {
  node **nodes;
  uint32_t nn;
  uint8_t (*pk)[CODEC_KEY_BYTES];
};

static int simnet_key(void *ctx, cm_addr a, uint8_t pk[CODEC_KEY_BYTES]) {
  struct simnet *w = ctx;
  if (a < NODE0 || a >= NODE0 + w->nn) return CM_ENOENT;
  memcpy(pk, w->pk[a - NODE0], CODEC_KEY_BYTES);
  return 0;
}

/* CPU seconds (user + system) of this process so far: on a shared machine
 * wall time includes waiting for a core; this does not. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

static double max_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* Build and run one row; prints its line. 0, or 1 after saying why. */
static int run_row(const struct simrow *z) {
  int rc = 1;
  struct simnet w = {.nn = z->nodes};
  double t_setup = bench_now();
  w.nodes = calloc(z->nodes, sizeof *w.nodes);
  w.pk = calloc(z->nodes, sizeof *w.pk);
  cm_addr *addrs = calloc(z->nodes, sizeof *addrs);
  client **cl = calloc(z->clients, sizeof *cl);
  hist *rtt = hist_new();
  env *e = env_sim_new(42);
  node_pool *pool = node_pool_new();
  struct link_model m = {.latency = CM_MS(2)};
  if (!w.nodes || !w.pk || !addrs || !cl || !rtt || !e || !pool || env_sim_set_link(e, 0, 0, &m) != 0) goto out;
  for (uint32_t i = 0; i < z->nodes; i++) addrs[i] = NODE0 + i;
  /* packet-hops a node should see: loops 3 hops, drops 1 */
  double per_node = (double)z->clients * (z->loop_per_s * 3 + z->drop_per_s) * z->sim_s / z->nodes;
  for (uint32_t i = 0; i < z->nodes; i++) {
    struct node_params p = {.id = i, .addr = addrs[i], .codec = z->codec, .buffer = BUFFER_APPEND,
                            .buffer_capacity = 8192, .replay_capacity = (uint64_t)(2 * per_node) + 10000, .pool = pool};
    if (!(w.nodes[i] = node_new(e, &p, addrs, z->nodes))) goto out;
    struct node_config cfg;
    node_config(w.nodes[i], &cfg);
    memcpy(w.pk[i], cfg.pk, CODEC_KEY_BYTES);
  }
  cm_time stop = cm_time_from_s(z->sim_s);
  for (uint32_t i = 0; i < z->clients; i++) {
    struct client_params p = {.addr = CLIENT0 + i, .codec = z->codec,
                              .topology = z->stratified ? CLIENT_STRATIFIED : CLIENT_DOMAIN, .layers = 3,
                              .hops = 3, .loop_rate_per_s = z->loop_per_s, .drop_rate_per_s = z->drop_per_s,
                              .stop = stop, .keys = simnet_key, .keys_ctx = &w, .borrow_nodes = true, .rtt = rtt};
    if (!(cl[i] = client_new(e, &p, addrs, z->nodes))) goto out;
  }
  double t0 = bench_now(), c0 = cpu_s();
  t_setup = t0 - t_setup;
  if (env_run(e, stop + CM_S(1)) != 0) goto out;
  double wall = bench_now() - t0, cpu = cpu_s() - c0;
  uint64_t hops = 0, bad = 0, packets = 0, lost = 0;
  for (uint32_t i = 0; i < z->nodes; i++) {
    struct node_counters c;
    node_counters(w.nodes[i], &c);
    hops += c.received;
    bad += c.malformed + c.replay + c.replay_filter_full + c.buffer_full + c.source_share_full +
           c.unknown_next_hop + c.send_failed;
  }
  for (uint32_t i = 0; i < z->clients; i++) {
    struct client_counters k;
    client_counters(cl[i], &k);
    packets += k.sent_loop + k.sent_drop + k.sent_real;
    lost += k.lost;
  }
  printf("bench mixnet-sim codec=%s topology=%s nodes=%u hops=3 clients=%u loop_per_s=%g drop_per_s=%g "
         "sim_s=%.2f packets=%llu packet_hops=%llu setup_s=%.2f wall_s=%.2f cpu_s=%.2f packet_hops_per_s=%.0f "
         "packet_hops_per_cpu_s=%.0f events_per_s=%.0f max_rss_mb=%.0f node_drops=%llu lost=%llu goal=2000000\n",
         z->codec->name, z->stratified ? "stratified" : "free-route", z->nodes, z->clients, z->loop_per_s,
         z->drop_per_s, z->sim_s, (unsigned long long)packets, (unsigned long long)hops, t_setup, wall, cpu,
         (double)hops / wall, (double)hops / cpu, (double)engine_events(env_sim_engine(e)) / wall, max_rss_mb(),
         (unsigned long long)bad, (unsigned long long)lost);
  rc = 0;
out:
  if (rc) fprintf(stderr, "bench mixnet-sim: set-up failed (%s, %u nodes)\n", z->codec->name, z->nodes);
  for (uint32_t i = 0; cl && i < z->clients; i++) client_free(cl[i]);
  for (uint32_t i = 0; w.nodes && i < z->nodes; i++) node_free(w.nodes[i]);
  node_pool_free(pool);
  free(cl);
  free(w.nodes);
  free(w.pk);
  free(addrs);
  hist_free(rtt);
  if (e) env_free(e);
  return rc;
}

/* run_row for bench_isolated. */
static int run_row_any(const void *z) { return run_row(z); }

static uint32_t opt_nodes, opt_clients;

void bench_mixnet_sim_size(uint32_t nodes, uint32_t clients) {
  opt_nodes = nodes;
  opt_clients = clients;
}

/* A growth row: 20 loops and 2 drops a second a client, free-route, the
 * simulated time set for about `hops` packet-hops. */
static struct simrow growth(uint32_t nodes, uint32_t clients, double hops) {
  struct simrow z = {.codec = codec_abstract(), .nodes = nodes, .clients = clients, .loop_per_s = 20,
                     .drop_per_s = 2};
  z.sim_s = hops / ((double)clients * (z.loop_per_s * 3 + z.drop_per_s));
  if (z.sim_s < 0.5) z.sim_s = 0.5;
  if (z.sim_s > 600) z.sim_s = 600;
  return z;
}

int bench_mixnet_sim(bool quick) {
  double hops = quick ? GROWTH_HOPS_QUICK : GROWTH_HOPS;
  if (opt_nodes) {
    uint32_t clients = opt_clients ? opt_clients : GROWTH_CLIENTS_PER_NODE * opt_nodes;
    fprintf(stderr, "bench mixnet-sim: %u nodes, %u clients...\n", opt_nodes, clients);
    struct simrow z = growth(opt_nodes, clients, hops);
    return bench_isolated("mixnet-sim", run_row_any, &z);
  }
  int rc = 0;
  fprintf(stderr, "bench mixnet-sim: abstract, 6 nodes...\n");
  struct simrow six = {.codec = codec_abstract(), .stratified = true, .nodes = 6, .clients = quick ? 20 : 200,
                       .loop_per_s = 200, .drop_per_s = 20, .sim_s = quick ? 0.5 : 10.0};
  rc |= bench_isolated("mixnet-sim", run_row_any, &six);
  static const uint32_t sizes[] = {10, 100, 1000};
  for (size_t i = 0; i < (quick ? 2 : sizeof sizes / sizeof sizes[0]); i++) {
    fprintf(stderr, "bench mixnet-sim: abstract, %u nodes...\n", sizes[i]);
    struct simrow z = growth(sizes[i], GROWTH_CLIENTS_PER_NODE * sizes[i], hops);
    rc |= bench_isolated("mixnet-sim", run_row_any, &z);
  }
  fprintf(stderr, "bench mixnet-sim: full, 6 nodes...\n");
  struct simrow full = {.codec = &codec__full_ops, .stratified = true, .nodes = 6, .clients = quick ? 5 : 50,
                        .loop_per_s = 200, .drop_per_s = 20, .sim_s = quick ? 0.2 : 2.0};
  rc |= bench_isolated("mixnet-sim", run_row_any, &full);
  return rc;
}
