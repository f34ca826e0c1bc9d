/* The mixnet benchmarks.
 *
 * `bench mixnet-sim` is in bench_mixnet_sim.c.
 *
 * `bench mixnode-udp`: one real node (real/env_real.h) on 127.0.0.1, full
 * codec, driven by a benchmark client built here in the seed's shape:
 * self-addressed 1-hop packets (client -> node -> client), Poisson at rate
 * R, exponential delays of mean 1 ms chosen per packet. The node runs in its
 * own thread with its own real env, the driver in the calling thread with
 * another, over loopback UDP; with two or more CPUs allowed each thread is
 * pinned to a CPU of its own (setup=...,own-cpu-each; else cpus-shared).
 * Each step's packets are built (two X25519 each) before the step starts,
 * so during the step the driver only sends at the Poisson times and
 * receives. The rate steps up (2 s per step, 0.3 s with --quick) until a
 * step loses a packet (not back within 0.5 s after the step, or any node
 * drop) or cannot send at the offered rate; the highest step with zero
 * drops is reported, with the added latency of that step: round-trip time
 * minus the delay the sender chose, i.e. two loopback UDP traversals, the
 * node's queueing and unwrap, its timer's lateness and the driver's wake-up
 * (per hop: there is one hop). Near the highest step queueing dominates, so
 * the latency of the goal rate's step is printed too (at_goal_rate_*; n/a
 * if that step dropped or was not reached). node_cpu_us_per_packet, of the
 * reported step: the node thread's CPU time (CLOCK_THREAD_CPUTIME_ID, read
 * in that thread around its run) over the datagrams the node received,
 * i.e. its loop, receive, unwrap, hold timer and send, nothing of the
 * driver; it falls with the rate as more packets share each wake-up (each
 * step's figure is on stderr). It is the own driver rather than client.c
 * because the per-packet delay must be known to subtract it. Goal (issue
 * 5): 10,000 packets/s with p99 added latency under 1 ms. The benchmark
 * prints; it asserts nothing. */
#include <glib.h>
#include <math.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "bench_util.h"
#include "env_real.h"
#include "env_sim.h"
#include "hist.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"

#define NODE0 10

/* ---- mixnode-udp ---- */

#define DRIVER 20
#define DRAIN_S 0.5 /* a packet not back this long after its step's last send is lost */
#define GOAL_RATE 10000.0 /* packets/s of the goal: its step's latency is printed too */

/* The node's thread and its hand-over with the driver: the driver asks for
 * one run per step, the node thread answers with what it did. */
struct nodeside {
  env *e;
  node *n;
  GMutex mu;
  GCond cv;
  int cpu;          /* the node thread's CPU; -1: not pinned */
  double run_s;     /* the run asked for */
  bool go, done, quit; /* go: asked, not yet taken by the node thread */
  int rc;           /* of the last env_run */
  double cpu_s;     /* the node thread's CPU time over the last run */
  uint64_t received, drops;
};

struct driver {
  env *e;
  rng *r_gap, *r_delay, *r_nonce;
  uint8_t pk[CODEC_KEY_BYTES];
  size_t bytes;      /* per packet */
  uint8_t *pkts;     /* the step's packets, built before it starts */
  double *offset;    /* when each is due, seconds after t0 */
  cm_time *delay;    /* the delay each carries, as the wire carries it */
  double *sent_at;   /* bench_now() at its send */
  uint64_t cap;      /* packets the arrays hold */
  uint64_t seq0;     /* seq of the step's first packet */
  uint64_t n, sent, back, bad;
  double t0;         /* bench_now() at the step's start */
  hist *added;
  timer_id tick;
};

static uint64_t node_drops(const struct node_counters *c) {
  return c->malformed + c->replay + c->queue_full + c->buffer_full + c->unknown_next_hop + c->send_failed;
}

static double thread_cpu_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Left to itself the scheduler keeps two threads that wake each other on
 * one CPU (wake-affine), so the node would share its core with the driver. */
static void pin_self(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

/* The node thread: one env_run per step, measured from inside the thread
 * so the CPU time is the node's alone. */
static gpointer node_main(gpointer arg) {
  struct nodeside *s = arg;
  if (s->cpu >= 0) pin_self(s->cpu);
  g_mutex_lock(&s->mu);
  for (;;) {
    while (!s->go && !s->quit) g_cond_wait(&s->cv, &s->mu);
    if (s->quit) break;
    s->go = false;
    g_cond_broadcast(&s->cv);
    g_mutex_unlock(&s->mu);
    struct node_counters before, after;
    node_counters(s->n, &before);
    double cpu0 = thread_cpu_s();
    int rc = env_run(s->e, env_now(s->e) + cm_time_from_s(s->run_s));
    double cpu = thread_cpu_s() - cpu0;
    node_counters(s->n, &after);
    g_mutex_lock(&s->mu);
    s->rc = rc;
    s->cpu_s = cpu;
    s->received = after.received - before.received;
    s->drops = node_drops(&after) - node_drops(&before);
    s->done = true;
    g_cond_broadcast(&s->cv);
  }
  g_mutex_unlock(&s->mu);
  return NULL;
}

/* Start one node run of run_s seconds; returns once the node is running. */
static void node_start(struct nodeside *s, double run_s) {
  g_mutex_lock(&s->mu);
  s->run_s = run_s;
  s->done = false;
  s->go = true;
  g_cond_broadcast(&s->cv);
  while (s->go) g_cond_wait(&s->cv, &s->mu);
  g_mutex_unlock(&s->mu);
}

static void node_wait(struct nodeside *s) {
  g_mutex_lock(&s->mu);
  while (!s->done) g_cond_wait(&s->cv, &s->mu);
  g_mutex_unlock(&s->mu);
}

/* Draws the step's Poisson schedule and builds its packets: the build (two
 * X25519 each) stays out of the timed run, so the driver's thread only sends
 * and receives while the node is measured. 0, or -1 if out of memory or the
 * build failed. */
static int driver_prepare(struct driver *d, double rate, double step_s) {
  d->seq0 += d->n;
  d->n = d->sent = d->back = d->bad = 0;
  uint64_t cap = (uint64_t)(rate * step_s * 1.2) + 100; /* Poisson count: far above its tail */
  if (cap > d->cap) {
    uint8_t *pkts = realloc(d->pkts, cap * d->bytes);
    if (pkts) d->pkts = pkts;
    double *offset = realloc(d->offset, cap * sizeof *offset);
    if (offset) d->offset = offset;
    cm_time *delay = realloc(d->delay, cap * sizeof *delay);
    if (delay) d->delay = delay;
    double *sent_at = realloc(d->sent_at, cap * sizeof *sent_at);
    if (sent_at) d->sent_at = sent_at;
    if (!pkts || !offset || !delay || !sent_at) return -1;
    d->cap = cap;
  }
  for (double t = 0; t < step_s && d->n < d->cap; t += rng_exponential(d->r_gap, 1.0 / rate)) {
    cm_time dl = cm_time_from_s(rng_exponential(d->r_delay, 1e-3));
    struct codec_hop h = {.addr = NODE0, .delay = dl, .type = CODEC_ROUTE, .pk = d->pk};
    struct client_payload m = {.kind = CLIENT_LOOP, .src = DRIVER, .dst = DRIVER, .seq = d->seq0 + d->n};
    uint8_t pl[CLIENT_PAYLOAD_BYTES];
    client_payload_encode(&m, pl);
    if (codec__full_ops.build(&h, 1, 0, DRIVER, pl, sizeof pl, codec_random_rng, d->r_nonce,
                              d->pkts + d->n * d->bytes) != 0)
      return -1;
    d->offset[d->n] = t;
    d->delay[d->n] = (dl + 500) / 1000 * 1000;
    d->n++;
  }
  return 0;
}

/* Sends every packet due by now, then sleeps until the next one is due. */
static void send_due(env *e, void *arg) {
  struct driver *d = arg;
  d->tick = 0;
  double now = bench_now();
  while (d->sent < d->n && d->t0 + d->offset[d->sent] <= now) {
    d->sent_at[d->sent] = bench_now();
    if (env_send(e, DRIVER, NODE0, d->pkts + d->sent * d->bytes, d->bytes) != 0) d->bad++;
    d->sent++;
  }
  if (d->sent < d->n) {
    double wait = d->t0 + d->offset[d->sent] - now;
    d->tick = env_after(e, wait > 0 ? cm_time_from_s(wait) : 0, send_due, d);
  }
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

/* Two envs that know each other: the node's at NODE0, the driver's at
 * DRIVER, both on ephemeral loopback ports. */
static int mixnode_setup(struct nodeside *s, struct driver *d) {
  if (!(s->e = env_real_new(8)) || !(d->e = env_real_new(7))) return -1;
  if (env_real_add_peer(s->e, NODE0, "127.0.0.1", 0) != 0 || env_real_add_peer(d->e, DRIVER, "127.0.0.1", 0) != 0)
    return -1;
  cm_addr self = NODE0, peers[2] = {NODE0, DRIVER};
  struct node_params np = {.addr = self, .codec = &codec__full_ops, .buffer = BUFFER_APPEND,
                           .buffer_capacity = 65536, .replay_capacity = 10000000};
  if (!(s->n = node_new(s->e, &np, peers, 2)) || env_bind(d->e, DRIVER, on_back, d) != 0) return -1;
  int node_port = env_real_port(s->e, NODE0), driver_port = env_real_port(d->e, DRIVER);
  if (node_port < 0 || driver_port < 0 ||
      env_real_add_peer(s->e, DRIVER, "127.0.0.1", (uint16_t)driver_port) != 0 ||
      env_real_add_peer(d->e, NODE0, "127.0.0.1", (uint16_t)node_port) != 0)
    return -1;
  struct node_config cfg;
  node_config(s->n, &cfg);
  memcpy(d->pk, cfg.pk, CODEC_KEY_BYTES);
  return 0;
}

int bench_mixnode_udp(bool quick) {
  if (sodium_init() < 0) return 1;
  static const double rates[] = {1000, 2000, 4000, 6000, 8000, 10000, 12000, 14000, 16000, 20000, 25000, 30000};
  const size_t nrates = quick ? 2 : sizeof rates / sizeof rates[0];
  const double step_s = quick ? 0.3 : 2.0;
  int rc = 1;
  struct nodeside s = {0};
  struct driver d = {0};
  GThread *th = NULL;
  g_mutex_init(&s.mu);
  g_cond_init(&s.cv);
  /* The driver on the first allowed CPU, the node on the second. */
  cpu_set_t allowed;
  int driver_cpu = -1;
  s.cpu = -1;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 2) {
    for (int c = 0; c < CPU_SETSIZE && s.cpu < 0; c++) {
      if (!CPU_ISSET(c, &allowed)) continue;
      if (driver_cpu < 0)
        driver_cpu = c;
      else
        s.cpu = c;
    }
    pin_self(driver_cpu);
  }
  if (mixnode_setup(&s, &d) != 0) goto out;
  d.r_gap = env_rng(d.e, "bench:gap");
  d.r_delay = env_rng(d.e, "bench:delay");
  d.r_nonce = env_secret_rng(d.e, "bench:nonce"); /* as a real client: the OS CSPRNG */
  d.bytes = codec__full_ops.packet_bytes;
  if (!(d.added = hist_new())) goto out;
  th = g_thread_new("mixnode", node_main, &s);
  double best = 0, best_cpu_us = 0;
  uint64_t best_drops = 0;
  int64_t p50 = 0, p99 = 0, goal_p50 = -1, goal_p99 = -1;
  for (size_t k = 0; k < nrates; k++) {
    hist_reset(d.added);
    if (driver_prepare(&d, rates[k], step_s) != 0) goto out;
    /* The node runs a little past the driver's window so it never stops first. */
    node_start(&s, step_s + DRAIN_S + 0.1);
    d.t0 = bench_now();
    d.tick = env_after(d.e, 0, send_due, &d);
    int run_rc = env_run(d.e, env_now(d.e) + cm_time_from_s(step_s + DRAIN_S));
    if (d.tick) env_cancel(d.e, d.tick);
    d.tick = 0;
    node_wait(&s);
    if (run_rc != 0 || s.rc != 0) goto out;
    uint64_t drops = (d.sent - d.back) + d.bad + s.drops;
    double achieved = (double)d.sent / step_s;
    bool kept_up = achieved >= 0.95 * rates[k];
    double cpu_us = s.received ? s.cpu_s * 1e6 / (double)s.received : 0;
    int64_t step_p50 = hist_percentile(d.added, 0.5), step_p99 = hist_percentile(d.added, 0.99);
    fprintf(stderr,
            "bench mixnode-udp: offered %.0f/s sent %.0f/s back %llu of %llu drops %llu p50 %.1f us p99 %.1f us "
            "node cpu %.1f us/packet%s\n",
            rates[k], achieved, (unsigned long long)d.back, (unsigned long long)d.sent, (unsigned long long)drops,
            (double)step_p50 / 1e3, (double)step_p99 / 1e3, cpu_us,
            kept_up ? "" : " (could not send at the offered rate)");
    if (drops || !kept_up) {
      if (best == 0) best_drops = drops;
      break;
    }
    best = (double)d.back / step_s;
    best_cpu_us = cpu_us;
    p50 = step_p50;
    p99 = step_p99;
    if (rates[k] == GOAL_RATE) {
      goal_p50 = p50;
      goal_p99 = p99;
    }
  }
  char goal[64] = "at_goal_rate_p50_us=n/a at_goal_rate_p99_us=n/a";
  if (goal_p99 >= 0)
    snprintf(goal, sizeof goal, "at_goal_rate_p50_us=%.1f at_goal_rate_p99_us=%.1f", (double)goal_p50 / 1e3,
             (double)goal_p99 / 1e3);
  printf("bench mixnode-udp packets_per_s=%.0f drops=%llu added_latency_p50_us=%.1f added_latency_p99_us=%.1f "
         "node_cpu_us_per_packet=%.1f %s step_s=%.1f "
         "setup=node-thread+driver-thread(one-env-each,loopback,%s) goal_packets_per_s=%.0f\n",
         best, (unsigned long long)best_drops, (double)p50 / 1e3, (double)p99 / 1e3, best_cpu_us,
         goal, step_s, s.cpu >= 0 ? "own-cpu-each" : "cpus-shared",
         GOAL_RATE);
  rc = 0;
out:
  if (rc) fprintf(stderr, "bench mixnode-udp: set-up or run failed\n");
  if (th) {
    g_mutex_lock(&s.mu);
    s.quit = true;
    g_cond_broadcast(&s.cv);
    g_mutex_unlock(&s.mu);
    g_thread_join(th);
  }
  if (driver_cpu >= 0) sched_setaffinity(0, sizeof allowed, &allowed);
  node_free(s.n);
  if (s.e) env_free(s.e);
  if (d.e) env_free(d.e);
  g_mutex_clear(&s.mu);
  g_cond_clear(&s.cv);
  hist_free(d.added);
  free(d.pkts);
  free(d.offset);
  free(d.delay);
  free(d.sent_at);
  return rc;
}
