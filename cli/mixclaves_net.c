/* The network load sweep (seed Fig. 8, Fig. 9, Table 1): for each network
 * configuration and each offered rate, a fresh simulated world of mix nodes
 * (models/mixclaves/node.h) on hosts with a CPU service-time profile
 * (sim/mixhost.h), links with latency (sim/env_sim.h), and benchmark
 * clients (client.h) sending self-addressed loops for step_s, then drained
 * until every packet has its outcome. Each step is checked with the
 * network-wide accounting of tests/unit/test_mixnode.c: what every sender
 * handed to the network arrived somewhere or was lost on a link, every node
 * and client counter balances, nothing is left in flight. With [network]
 * anonymity = true, mixclaves_anon.c observes each step through four calls
 * (start, two marks, finish); off, they are no-ops on NULL. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "env_sim.h"
#include "mixclaves.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixhost.h"

#define NODE0 ((cm_addr)1000)
#define CLIENT0 ((cm_addr)100000)

struct world {
  env *e;
  node **nodes;
  struct mixhost *hosts;
  cm_addr *peers; /* the nodes' addresses, shared by every client (borrowed) */
  uint32_t nn;
  client **clients;
  uint32_t nc;
  hist *rtt; /* every client's round-trip times (shared) */
  node_pool *pool; /* the nodes' free packet blocks (shared) */
};

static void world_free(struct world *w) {
  for (uint32_t i = 0; i < w->nc; i++) client_free(w->clients[i]);
  for (uint32_t i = 0; i < w->nn; i++) node_free(w->nodes[i]);
  node_pool_free(w->pool);
  g_free(w->clients);
  g_free(w->nodes);
  g_free(w->hosts);
  g_free(w->peers);
  hist_free(w->rtt);
  env_free(w->e);
}

/* A codec_key_fn for keyed codecs (full): a node's X25519 public key, from
 * its config(). */
static int key_lookup(void *ctx, cm_addr addr, uint8_t pk[CODEC_KEY_BYTES]) {
  struct world *w = ctx;
  if (addr < NODE0 || addr - NODE0 >= w->nn || !w->nodes[addr - NODE0]) return CM_ENOENT;
  struct node_config nc;
  node_config(w->nodes[addr - NODE0], &nc);
  memcpy(pk, nc.pk, CODEC_KEY_BYTES);
  return 0;
}

/* The replay filter of a node sized for the tags it can see in this run:
 * at most one per packet its CPU serves, so its peak rate (1 / per packet
 * time) times the longest anything of the run can be served: traffic
 * starts only before step (clients and node loops stop there), and a packet
 * of h hops lives at most h x (queue wait + max_delay + 1 s of link) after
 * that. x1.5 + 1024 covers exponential service times. Nor more than all
 * the packet-hops of the run (x1.2 + 1024: Poisson counts). Never more than the
 * node's default 1 M: the simulated nodes of a 1,000-node network must not
 * each map the filter of a real node's whole epoch (1.8 MB). Should it
 * still fill, the packets past it are counted (replay_filter_full). */
static uint64_t replay_capacity(const struct mxc_config *cfg, const struct mxc_net_config *n, double rate,
                                double per_packet_s) {
  double hops = n->hops > 2 ? n->hops : 2; /* node loops: 2 */
  double max_delay_s = cm_time_to_s(cfg->max_delay ? cfg->max_delay : NODE_MAX_DELAY);
  double live_s = hops * (cfg->queue_max * per_packet_s + max_delay_s + cm_time_to_s(cfg->link_latency) + 1.0);
  double tags = (cm_time_to_s(cfg->step) + cm_time_to_s(cfg->late_after) + live_s) / per_packet_s * 1.5 + 1024;
  /* nor more than every packet of the run at every hop: the clients'
   * loops and drops and the nodes' own loops, sent before step */
  double packets = (rate + cfg->clients * cfg->drop_rate + n->nodes * cfg->node_loop_rate) * cm_time_to_s(cfg->step);
  double all = packets * hops * 1.2 + 1024;
  if (all < tags) tags = all;
  return tags < 1e6 ? (uint64_t)tags : 1000000;
}

static int world_build(struct world *w, const struct mxc_config *cfg, const struct mxc_net_config *n,
                       const struct codec_ops *codec, double rate, uint64_t seed, char **err) {
  w->e = env_sim_new(seed);
  if (!w->e) return CM_ENOMEM;
  struct link_model m = {.latency = cfg->link_latency, .jitter_sd = cfg->link_jitter, .loss = cfg->link_loss};
  if (env_sim_set_link(w->e, 0, 0, &m) != 0) {
    *err = g_strdup("bad link model");
    return CM_EINVAL;
  }
  w->nn = n->nodes;
  w->nodes = g_new0(node *, w->nn);
  w->hosts = g_new0(struct mixhost, w->nn);
  w->peers = g_new(cm_addr, w->nn);
  if (!(w->rtt = hist_new()) || !(w->pool = node_pool_new())) return CM_ENOMEM;
  cm_addr *peers = w->peers;
  for (uint32_t i = 0; i < w->nn; i++) peers[i] = NODE0 + i;
  for (uint32_t i = 0; i < w->nn; i++) {
    char name[48];
    snprintf(name, sizeof name, "mixhost:%u", (unsigned)peers[i]);
    rng *r = cfg->service_exponential ? env_rng(w->e, name) : NULL;
    int rc = mixhost_init(&w->hosts[i], n->enclave ? cfg->host_enclave : cfg->host, r);
    if (rc == 0 && n->oblivious && cfg->oblivious_extra_s > 0)
      rc = mixhost_init_custom(&w->hosts[i], w->hosts[i].per_packet_s + cfg->oblivious_extra_s, r);
    if (rc != 0) {
      *err = g_strdup_printf("host profile refused: %s", cm_strerror(rc));
      return rc;
    }
    struct node_params p = {.id = i, .addr = peers[i], .codec = codec,
                            .buffer = n->oblivious ? BUFFER_OBLIVIOUS : cfg->buffer_off,
                            .buffer_capacity = cfg->buffer_capacity, .queue_max = cfg->queue_max,
                            .loop_rate_per_s = cfg->node_loop_rate, .loop_mean_delay = cfg->mean_delay,
                            .loop_until = cfg->step, .service_time = mixhost_service_time,
                            .service_arg = &w->hosts[i], .keys = key_lookup, .keys_ctx = w,
                            .replay_capacity = replay_capacity(cfg, n, rate, w->hosts[i].per_packet_s),
                            .max_delay = cfg->max_delay, .pool = w->pool};
    if (!(w->nodes[i] = node_new(w->e, &p, peers, w->nn))) {
      *err = g_strdup_printf("node %u refused its parameters", i);
      return CM_EINVAL;
    }
  }
  w->nc = cfg->clients;
  w->clients = g_new0(client *, w->nc);
  for (uint32_t j = 0; j < w->nc; j++) {
    struct client_params p = {.addr = CLIENT0 + j, .codec = codec,
                              .topology = n->loopix ? CLIENT_STRATIFIED : CLIENT_DOMAIN, .hops = n->hops,
                              .layers = n->layers, .loop_rate_per_s = rate / w->nc,
                              .drop_rate_per_s = cfg->drop_rate, .mean_delay = cfg->mean_delay,
                              .late_after = cfg->late_after, .stop = cfg->step, .experiment = 1,
                              .keys = key_lookup, .keys_ctx = w, .borrow_nodes = true, .rtt = w->rtt};
    if (!(w->clients[j] = client_new(w->e, &p, peers, w->nn))) {
      *err = g_strdup_printf("client %u refused its parameters (codec %s, hops %u, %u nodes in %u layers)", j,
                             codec->name, n->hops, n->nodes, n->layers);
      return CM_EINVAL;
    }
  }
  return 0;
}

bool mxc__quiet(env *e, node *const *nodes, uint32_t nn, client *const *clients, uint32_t nc) {
  struct env_net_stats st;
  env_net_stats(e, &st);
  if (st.in_flight) return false;
  for (uint32_t i = 0; i < nn; i++) {
    struct node_counters k;
    node_counters(nodes[i], &k);
    if (k.in_cpu || k.held) return false;
  }
  for (uint32_t j = 0; j < nc; j++) {
    struct client_counters k;
    if (!clients[j]) continue;
    client_counters(clients[j], &k);
    if (k.outstanding) return false;
  }
  return true;
}

static bool quiet_now(struct world *w) { return mxc__quiet(w->e, w->nodes, w->nn, w->clients, w->nc); }

/* Tracked packets sent, and back in time, so far (all clients). */
static void tracked_now(struct world *w, uint64_t *sent, uint64_t *received) {
  *sent = *received = 0;
  for (uint32_t j = 0; j < w->nc; j++) {
    struct client_counters k;
    client_counters(w->clients[j], &k);
    *sent += k.tracked;
    *received += k.received;
  }
}

static uint64_t absdiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

/* Collect one drained world into st; unaccounted counts every packet the
 * identities miss. */
static void collect(struct world *w, const struct mxc_config *cfg, struct mxc_step *st) {
  struct env_net_stats ns;
  env_net_stats(w->e, &ns);
  uint64_t sent = 0, arrived = 0, bad = ns.in_flight;
  bad += absdiff(ns.sent, ns.delivered + ns.lost + ns.dropped_unbound + ns.dropped_oversize);
  for (uint32_t i = 0; i < w->nn; i++) {
    struct node_counters k;
    node_counters(w->nodes[i], &k);
    if (!node_counters_balanced(&k)) bad++;
    st->held_end += k.in_cpu + k.held; /* their own outcome: still in a node when the drain ends */
    sent += k.loops_sent + k.forwarded + k.delivered;
    arrived += k.received;
    st->queue_full += k.queue_full;
    st->other_drops += k.malformed + k.replay + k.replay_filter_full + k.buffer_full + k.unknown_next_hop +
                       k.send_failed;
  }
  for (uint32_t j = 0; j < w->nc; j++) {
    struct client_counters k;
    client_counters(w->clients[j], &k);
    if (!client_counters_balanced(&k)) bad++;
    bad += k.outstanding + absdiff(k.tracked, k.received + k.lost);
    sent += k.sent_real + k.sent_loop + k.sent_drop;
    arrived += k.received + k.late + k.received_real;
    st->sent += k.tracked;
    st->received += k.received;
    st->lost += k.lost;
    st->late += k.late;
  }
  const hist *rtt = w->rtt; /* every client's, shared */
  bad += absdiff(sent, ns.sent) + absdiff(arrived, ns.delivered);
  st->link_lost = ns.lost;
  st->unaccounted = bad;
  double secs = cm_time_to_s(cfg->step - cfg->warmup);
  st->offered_per_s = (double)st->win_sent / secs;
  st->delivered_per_s = (double)st->win_received / secs;
  st->p50_s = hist_count(rtt) ? cm_time_to_s(hist_percentile(rtt, 0.50)) : NAN;
  st->p99_s = hist_count(rtt) ? cm_time_to_s(hist_percentile(rtt, 0.99)) : NAN;
  st->events = engine_events(env_sim_engine(w->e));
  st->sim_time = engine_now(env_sim_engine(w->e));
}

int mxc__net_run(struct run_ctx *c, const struct mxc_config *cfg, struct mxc_step *steps) {
  const struct codec_ops *codec = NULL;
  if (codec_lookup(cfg->crypto, &codec) != 0) return CM_EXIT_USAGE;
  struct progress pr;
  progress_init(&pr, c->quiet, 0);
  for (uint32_t i = 0; i < cfg->nconfigs; i++)
    for (uint32_t r = 0; r < cfg->nrates; r++) {
      struct mxc_step *st = &steps[i * cfg->nrates + r];
      memset(st, 0, sizeof *st);
      st->config = i;
      st->rate = cfg->rates[r];
      struct world w = {0};
      char *err = NULL;
      if (world_build(&w, cfg, &cfg->configs[i], codec, cfg->rates[r], c->seed, &err) != 0) {
        fprintf(stderr, "cloudmix: %s: [config.%s]: %s\n", scenario_path(c->s), cfg->configs[i].label,
                err ? err : "cannot build the network");
        g_free(err);
        world_free(&w);
        progress_done(&pr);
        return CM_EXIT_USAGE;
      }
      engine_set_progress(env_sim_engine(w.e), progress_tick, &pr, 1 << 16);
      struct mxc_anon *obs = NULL; /* [network] anonymity (mixclaves_anon.c) */
      if (cfg->anonymity && !(obs = mxc__anon_start(w.e, cfg, &cfg->configs[i], NODE0, CLIENT0, w.nodes, &err))) {
        fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), err);
        g_free(err);
        world_free(&w);
        progress_done(&pr);
        return CM_EXIT_FAILED;
      }
      uint64_t s0, r0, s1, r1;
      env_run(w.e, cfg->warmup);
      mxc__anon_mark(obs, cfg->warmup);
      tracked_now(&w, &s0, &r0);
      env_run(w.e, cfg->step);
      mxc__anon_mark(obs, cfg->step);
      tracked_now(&w, &s1, &r1);
      st->win_sent = s1 - s0;
      st->win_received = r1 - r0;
      /* drain: every queued, held and travelling packet reaches its end,
       * every tracked one is back or past late_after; what a node still
       * holds at the limit is counted held at end (collect) */
      cm_time limit = cfg->step + cfg->late_after + cfg->drain;
      while (!quiet_now(&w) && env_now(w.e) < limit) {
        /* 100 ms at a time, or straight to the next event when it is later
         * (a packet held for minutes) */
        cm_time next = env_sim_next_event(w.e), to = env_now(w.e) + CM_MS(100);
        if (next > to) to = next;
        env_run(w.e, to < limit ? to : limit);
      }
      collect(&w, cfg, st);
      mxc__anon_finish(obs, st);
      world_free(&w);
      c->events += st->events;
      c->sim_end += st->sim_time;
    }
  progress_done(&pr);
  return CM_EXIT_OK;
}
