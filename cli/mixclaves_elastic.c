/* The elasticity experiment (seed 5.3, Fig. 10): `[mixclaves] experiment =
 * elasticity`. One simulated world: mix nodes on hosts with a CPU profile
 * ([network]), benchmark clients sending 1-hop self-addressed loops whose
 * number grows with a load ramp ([elastic] rate_start -> rate_end over
 * ramp_s), and the updater (models/mixclaves/updater.h) talking to the
 * nodes through CTRL packets (models/mixclaves/updater_ctrl.h; `[elastic]
 * transport = loop`: the earlier model, updater_loop.h). With ctrl the
 * nodes start at key epoch 1 (the first digest's version), hold the
 * digests through this world's digest_store, trust the operator key drawn
 * here, and move their key epoch at each INSTALL_EPOCH; clients learn the
 * new epoch when they poll the commit. The updater's
 * provisioning call is answered by this world after provision_s with a new
 * node; its committed digests are published here, and every client polls
 * them every poll_s (each at its own phase) and refreshes its node list.
 * Recorded: a time series per bin_s (mixclaves_elastic) and every
 * reconfiguration attempt (mixclaves_elastic_attempts), both through
 * analysis/tab_mixclaves_elastic.h; then the world drains and every
 * packet, control packets included, is checked against the network-wide
 * accounting (an unaccounted packet exits 1). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "env_sim.h"
#include "mixclaves.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixclaves/digest_store.h"
#include "mixclaves/updater.h"
#include "mixclaves/updater_ctrl.h"
#include "mixclaves/updater_loop.h"
#include "mixclaves_elastic.h"
#include "mixhost.h"
#include "tab_mixclaves_elastic.h"

#define NODE0 ((cm_addr)1000)
#define CLIENT0 ((cm_addr)100000)
#define UPDATER_ADDR ((cm_addr)900000)

struct ecfg {
  uint32_t initial, max_nodes, max_attempts;
  double thresholds[UPDATER_MAX_THRESHOLDS];
  uint32_t nth;
  bool ctrl; /* transport = ctrl */
  double rate_start, rate_end, client_rate;
  cm_time ramp, duration, sample, provision, poll, reply_timeout, converge_timeout, bin;
};

struct ew;
struct cslot {
  struct ew *w;
  uint32_t k;
};

struct ew {
  env *e;
  const struct mxc_config *cfg;
  const struct ecfg *x;
  const struct codec_ops *codec;
  node *nodes[MXC_MAX_NODES];
  struct mixhost hosts[MXC_MAX_NODES];
  uint32_t nn;
  client **clients;
  struct cslot *slots;
  uint32_t *cl_epoch;
  uint32_t nc_plan, nc;
  rng *r_poll;
  /* the published (committed) epoch */
  uint32_t pub_version, pub_n;
  cm_addr pub[MXC_MAX_NODES];
  cm_time commit_at;
  cm_time refresh_max; /* longest commit -> client refresh */
  updater *u;
  struct updater_loop *cs;  /* transport = loop */
  struct updater_ctrl *cc;  /* transport = ctrl */
  struct digest_store *store; /* the digests the nodes hold (ctrl) */
  uint8_t op_pk[EPOCH_PK_BYTES];
  struct updater_ops cops; /* the control transport's ops */
  updater_provision_fn prov_done;
  void *prov_arg;
  /* the time series */
  GArray *rows;
  hist *bin_rtt;
  uint64_t prev_sent, prev_recv, prev_qfull;
  char *err;
};

static int key_lookup(void *ctx, cm_addr addr, uint8_t pk[CODEC_KEY_BYTES]) {
  struct ew *w = ctx;
  if (addr < NODE0 || addr - NODE0 >= w->nn || !w->nodes[addr - NODE0]) return CM_ENOENT;
  struct node_config nc;
  node_config(w->nodes[addr - NODE0], &nc);
  memcpy(pk, nc.pk, CODEC_KEY_BYTES);
  return 0;
}

static int sign_lookup(void *ctx, cm_addr addr, uint8_t pk[CODEC_KEY_BYTES]) {
  struct ew *w = ctx;
  if (addr < NODE0 || addr - NODE0 >= w->nn || !w->nodes[addr - NODE0]) return CM_ENOENT;
  struct node_config nc;
  node_config(w->nodes[addr - NODE0], &nc);
  memcpy(pk, nc.sign_pk, CODEC_KEY_BYTES);
  return 0;
}

/* The transport's counters as the time series, summary and accounting
 * use them: sent, replies matched (returned), late or bad datagrams at the
 * operator (malformed), and not back (outstanding: after the drain,
 * dropped). */
static void ctrl_counts(struct ew *w, struct updater_loop_counters *out) {
  memset(out, 0, sizeof *out);
  if (w->cs) {
    updater_loop_counters(w->cs, out);
    return;
  }
  struct updater_ctrl_counters k;
  updater_ctrl_counters(w->cc, &k);
  out->sent = k.sent;
  out->returned = k.acked + k.nacked;
  out->outstanding = k.sent - out->returned - k.malformed;
  out->build_failed = k.send_failed;
  out->malformed = k.malformed;
}

static node *node_at(void *ctx, cm_addr addr) {
  struct ew *w = ctx;
  return addr >= NODE0 && addr - NODE0 < w->nn ? w->nodes[addr - NODE0] : NULL;
}

/* The offered load the ramp asks for at t. */
static double ramp_rate(const struct ecfg *x, cm_time t) {
  if (t >= x->ramp || x->ramp == 0) return x->rate_end;
  return x->rate_start + (x->rate_end - x->rate_start) * cm_time_to_s(t) / cm_time_to_s(x->ramp);
}

/* Node i on its host, listening; its peers are the published list and itself. */
static int node_add(struct ew *w) {
  uint32_t i = w->nn;
  const struct mxc_net_config *n = &w->cfg->configs[0];
  char name[48];
  snprintf(name, sizeof name, "mixhost:%u", (unsigned)(NODE0 + i));
  rng *r = w->cfg->service_exponential ? env_rng(w->e, name) : NULL;
  int rc = mixhost_init(&w->hosts[i], n->enclave ? w->cfg->host_enclave : w->cfg->host, r);
  if (rc != 0) return rc;
  cm_addr peers[MXC_MAX_NODES + 1];
  memcpy(peers, w->pub, w->pub_n * sizeof(cm_addr));
  peers[w->pub_n] = NODE0 + i;
  struct node_params p = {.id = i, .addr = NODE0 + i, .codec = w->codec,
                          .buffer = n->oblivious ? BUFFER_OBLIVIOUS : w->cfg->buffer_off,
                          .buffer_capacity = w->cfg->buffer_capacity, .queue_max = w->cfg->queue_max,
                          .loop_mean_delay = w->cfg->mean_delay, .service_time = mixhost_service_time,
                          .service_arg = &w->hosts[i], .keys = key_lookup, .keys_ctx = w};
  if (w->x->ctrl) { /* a new node starts at the committed epoch and installs the next */
    p.epoch = w->pub_version;
    p.operator_pk = w->op_pk;
    p.epoch_known = digest_store_known;
    p.epoch_peers = digest_store_peers;
    p.epoch_ctx = w->store;
    /* the old key stays after a commit until every client has polled it
     * (poll_s) and its packets built before are through (late_after) */
    p.epoch_grace = w->x->poll + w->cfg->late_after;
  }
  if (!(w->nodes[i] = node_new(w->e, &p, peers, w->pub_n + 1))) return CM_EINVAL;
  w->nn++;
  return 0;
}

static void epoch_node_of(struct ew *w, uint32_t i, struct epoch_node *out) {
  struct node_config nc;
  node_config(w->nodes[i], &nc);
  *out = (struct epoch_node){.addr = nc.addr, .role = EPOCH_ROLE_MIX};
  memcpy(out->sign_pk, nc.sign_pk, sizeof out->sign_pk);
  memcpy(out->sphinx_pk, nc.pk, sizeof out->sphinx_pk);
}

static void provisioned(env *e, void *arg) {
  (void)e;
  struct ew *w = arg;
  updater_provision_fn done = w->prov_done;
  w->prov_done = NULL;
  if (w->nn >= w->x->max_nodes || node_add(w) != 0) {
    done(w->prov_arg, NULL);
    return;
  }
  struct epoch_node nd;
  epoch_node_of(w, w->nn - 1, &nd);
  done(w->prov_arg, &nd);
}

static void op_provision(void *ctx, updater_provision_fn done, void *arg) {
  struct ew *w = ctx;
  w->prov_done = done;
  w->prov_arg = arg;
  env_after(w->e, w->x->provision, provisioned, w);
}

static void op_committed(void *ctx, const struct epoch_digest *d) {
  struct ew *w = ctx;
  w->pub_version = d->version;
  w->pub_n = d->n;
  for (uint32_t i = 0; i < d->n; i++) w->pub[i] = d->nodes[i].addr;
  w->commit_at = env_now(w->e);
}

/* The transport's three ops, behind this world's ctx. */
static void fw_metrics(void *ctx, cm_addr n, updater_metrics_fn done, void *arg, uint64_t token) {
  struct ew *w = ctx;
  w->cops.read_metrics(w->cops.ctx, n, done, arg, token);
}

static void fw_install(void *ctx, cm_addr n, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                       uint64_t token) {
  struct ew *w = ctx;
  w->cops.install_epoch(w->cops.ctx, n, d, done, arg, token);
}

static void fw_commit(void *ctx, cm_addr n, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                      uint64_t token) {
  struct ew *w = ctx;
  w->cops.commit(w->cops.ctx, n, d, done, arg, token);
}

static void client_poll(env *e, void *arg) {
  struct cslot *s = arg;
  struct ew *w = s->w;
  if (w->cl_epoch[s->k] < w->pub_version && client_set_nodes(w->clients[s->k], w->pub, w->pub_n) == 0) {
    w->cl_epoch[s->k] = w->pub_version;
    if (w->x->ctrl) client_set_epoch(w->clients[s->k], w->pub_version);
    if (env_now(e) - w->commit_at > w->refresh_max) w->refresh_max = env_now(e) - w->commit_at;
  }
  if (env_now(e) + w->x->poll < w->x->duration) env_after(e, w->x->poll, client_poll, s);
}

static void client_start(env *e, void *arg) {
  struct cslot *s = arg;
  struct ew *w = s->w;
  struct client_params p = {.addr = CLIENT0 + s->k, .codec = w->codec, .topology = CLIENT_DOMAIN, .hops = 1,
                            .loop_rate_per_s = w->x->client_rate, .drop_rate_per_s = w->cfg->drop_rate,
                            .mean_delay = w->cfg->mean_delay, .late_after = w->cfg->late_after,
                            .start = env_now(e), .stop = w->x->duration, .experiment = 1, .keys = key_lookup,
                            .keys_ctx = w, .epoch = w->x->ctrl ? w->pub_version : 0};
  if (!(w->clients[s->k] = client_new(e, &p, w->pub, w->pub_n))) {
    if (!w->err) w->err = g_strdup_printf("client %u refused its parameters", s->k);
    env_stop(e);
    return;
  }
  w->cl_epoch[s->k] = w->pub_version;
  w->nc++;
  env_after(e, (cm_time)(rng_uniform(w->r_poll) * (double)w->x->poll), client_poll, s);
}

static void bin_tick(env *e, void *arg) {
  struct ew *w = arg;
  uint64_t sent = 0, recv = 0, qfull = 0, current = 0;
  for (uint32_t j = 0; j < w->nc_plan; j++) {
    if (!w->clients[j]) continue;
    struct client_counters k;
    client_counters(w->clients[j], &k);
    sent += k.tracked;
    recv += k.received;
    current += w->cl_epoch[j] == w->pub_version;
    client_rtt_take(w->clients[j], w->bin_rtt);
  }
  for (uint32_t i = 0; i < w->nn; i++) {
    struct node_counters k;
    node_counters(w->nodes[i], &k);
    qfull += k.queue_full;
  }
  struct updater_counters uk;
  updater_counters(w->u, &uk);
  struct updater_loop_counters ck;
  ctrl_counts(w, &ck);
  double bs = cm_time_to_s(w->x->bin);
  bool any = hist_count(w->bin_rtt) > 0;
  struct tab_mixclaves_elastic_row r = {
      .t_s = cm_time_to_s(env_now(e)), .target_per_s = ramp_rate(w->x, env_now(e)),
      .offered_per_s = (double)(sent - w->prev_sent) / bs, .delivered_per_s = (double)(recv - w->prev_recv) / bs,
      .p50_rtt_s = any ? cm_time_to_s(hist_percentile(w->bin_rtt, 0.5)) : NAN,
      .p99_rtt_s = any ? cm_time_to_s(hist_percentile(w->bin_rtt, 0.99)) : NAN, .nodes = w->pub_n,
      .provisioned = w->nn, .epoch = w->pub_version, .clients = w->nc, .clients_current = (int64_t)current,
      .attempts = (int64_t)uk.attempts, .committed = (int64_t)uk.committed, .retried = (int64_t)uk.retried,
      .abandoned = (int64_t)uk.abandoned, .ctrl_sent = (int64_t)ck.sent, .ctrl_returned = (int64_t)ck.returned,
      .queue_full = (int64_t)(qfull - w->prev_qfull),
      .updater_throughput_per_s = uk.last_throughput > 0 ? uk.last_throughput : NAN};
  g_array_append_val(w->rows, r);
  hist_reset(w->bin_rtt);
  w->prev_sent = sent;
  w->prev_recv = recv;
  w->prev_qfull = qfull;
  if (env_now(e) + w->x->bin <= w->x->duration) env_after(e, w->x->bin, bin_tick, w);
}

static bool quiet_now(struct ew *w) {
  if (!mxc__quiet(w->e, w->nodes, w->nn, w->clients, w->nc_plan)) return false;
  struct updater_counters k;
  updater_counters(w->u, &k);
  bool ctrl_quiet = true;
  if (w->cc) {
    struct updater_ctrl_counters t;
    updater_ctrl_counters(w->cc, &t);
    ctrl_quiet = t.outstanding == 0; /* every request replied or timed out at the client */
  }
  return k.pending == 0 && k.running == 0 && ctrl_quiet;
}

static uint64_t absdiff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

/* Packets the accounting identities miss, after the drain. */
static uint64_t unaccounted(struct ew *w) {
  struct env_net_stats ns;
  env_net_stats(w->e, &ns);
  struct updater_loop_counters ck;
  ctrl_counts(w, &ck);
  uint64_t bad = ns.in_flight + absdiff(ns.sent, ns.delivered + ns.lost + ns.dropped_unbound + ns.dropped_oversize);
  uint64_t sent = ck.sent, arrived = ck.returned + ck.malformed;
  for (uint32_t i = 0; i < w->nn; i++) {
    struct node_counters k;
    node_counters(w->nodes[i], &k);
    bad += !node_counters_balanced(&k) + k.in_cpu + k.held;
    sent += k.loops_sent + k.forwarded + k.delivered;
    arrived += k.received;
  }
  for (uint32_t j = 0; j < w->nc_plan; j++) {
    if (!w->clients[j]) continue;
    struct client_counters k;
    client_counters(w->clients[j], &k);
    bad += !client_counters_balanced(&k) + k.outstanding + absdiff(k.tracked, k.received + k.lost);
    sent += k.sent_real + k.sent_loop + k.sent_drop;
    arrived += k.received + k.late + k.received_real + k.malformed + k.duplicate;
  }
  struct updater_counters uk;
  updater_counters(w->u, &uk);
  bad += !updater_counters_balanced(&uk) + uk.pending + uk.running;
  return bad + absdiff(sent, ns.sent) + absdiff(arrived, ns.delivered);
}

/* [elastic] read, with the checks the schema cannot make. */
static int ecfg_read(const scenario *s, struct ecfg *x, char **err) {
  const char *path = scenario_path(s);
  x->initial = (uint32_t)scenario_int(s, "elastic", "initial_nodes");
  x->max_nodes = (uint32_t)scenario_int(s, "elastic", "max_nodes");
  x->max_attempts = (uint32_t)scenario_int(s, "elastic", "max_attempts");
  x->rate_start = scenario_double(s, "elastic", "rate_start");
  x->rate_end = scenario_double(s, "elastic", "rate_end");
  x->client_rate = scenario_double(s, "elastic", "client_rate_per_s");
  x->ramp = cm_time_from_s(scenario_double(s, "elastic", "ramp_s"));
  x->duration = cm_time_from_s(scenario_double(s, "elastic", "duration_s"));
  x->sample = cm_time_from_s(scenario_double(s, "elastic", "sample_s"));
  x->provision = cm_time_from_s(scenario_double(s, "elastic", "provision_s"));
  x->poll = cm_time_from_s(scenario_double(s, "elastic", "poll_s"));
  x->reply_timeout = cm_time_from_s(scenario_double(s, "elastic", "reply_timeout_ms") / 1e3);
  x->converge_timeout = cm_time_from_s(scenario_double(s, "elastic", "converge_timeout_s"));
  x->bin = cm_time_from_s(scenario_double(s, "elastic", "bin_s"));
  x->ctrl = strcmp(scenario_string(s, "elastic", "transport"), "ctrl") == 0;
  if (scenario_bool(s, "elastic", "scale_in")) {
    *err = g_strdup_printf("%s: [elastic] scale_in: %s", path, UPDATER_SCALE_IN_REFUSED);
    return -1;
  }
  if (x->max_nodes < x->initial) {
    *err = g_strdup_printf("%s: [elastic] max_nodes: %u is below initial_nodes %u; expected at least as many",
                           path, x->max_nodes, x->initial);
    return -1;
  }
  if (x->rate_end / x->client_rate > 1e5) {
    *err = g_strdup_printf("%s: [elastic] client_rate_per_s: %g msg/s would need more than 1e5 clients for "
                           "rate_end %g; expected a larger rate per client", path, x->client_rate, x->rate_end);
    return -1;
  }
  char **parts = g_strsplit(scenario_string(s, "elastic", "thresholds"), ",", -1);
  int rc = 0;
  x->nth = 0;
  for (char **p = parts; *p && rc == 0; p++) {
    char *t = g_strstrip(*p), *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (!*t || errno || *end || !(v > 0) || !isfinite(v)) {
      *err = g_strdup_printf("%s: [elastic] thresholds: '%s' is not a rate; expected positive msg/s, "
                             "comma-separated, one per node count", path, t);
      rc = -1;
    } else if (x->nth == UPDATER_MAX_THRESHOLDS) {
      *err = g_strdup_printf("%s: [elastic] thresholds: more than %d entries", path, UPDATER_MAX_THRESHOLDS);
      rc = -1;
    } else {
      x->thresholds[x->nth++] = v;
    }
  }
  g_strfreev(parts);
  if (rc == 0 && x->nth == 0) {
    *err = g_strdup_printf("%s: [elastic] thresholds: empty; expected msg/s per node count, e.g. '600,1200'", path);
    rc = -1;
  }
  return rc;
}

static int world_build(struct ew *w, uint64_t seed, uint8_t op_sk[EPOCH_SK_BYTES]) {
  w->e = env_sim_new(seed);
  if (!w->e) return CM_ENOMEM;
  struct link_model m = {.latency = w->cfg->link_latency, .jitter_sd = w->cfg->link_jitter,
                         .loss = w->cfg->link_loss};
  if (env_sim_set_link(w->e, 0, 0, &m) != 0) return CM_EINVAL;
  w->r_poll = env_rng(w->e, "elastic:poll");
  /* the operator's key: drawn per run from the secret stream (simulation:
   * reproducible, not secret); the nodes are configured with its public key */
  uint8_t seed32[32];
  rng_bytes(env_secret_rng(w->e, "updater:operator"), seed32, sizeof seed32);
  crypto_sign_seed_keypair(w->op_pk, op_sk, seed32);
  sodium_memzero(seed32, sizeof seed32);
  if (w->x->ctrl && !(w->store = digest_store_new())) return CM_ENOMEM;
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  epoch_digest_init(d, 1, 0);
  w->pub_version = 1;
  int rc = 0;
  for (uint32_t i = 0; i < w->x->initial && rc == 0; i++) {
    rc = node_add(w);
    struct epoch_node nd;
    if (rc == 0) epoch_node_of(w, i, &nd);
    if (rc == 0) rc = epoch_digest_put(d, &nd);
    if (rc == 0) w->pub[w->pub_n++] = NODE0 + i;
  }
  for (uint32_t i = 0; i < w->nn && rc == 0; i++) rc = node_set_peers(w->nodes[i], w->pub, w->pub_n);
  d->committed = true;
  if (rc == 0) rc = epoch_digest_sign(d, op_sk);
  if (rc == 0 && w->x->ctrl) {
    rc = digest_store_put(w->store, d);
    /* the client's reply wait: past the updater's own timeout, so a late
     * reply still reaches it (counted late) */
    struct updater_ctrl_params cp = {.addr = UPDATER_ADDR, .codec = w->codec, .operator_sk = op_sk, .initial = d,
                                     .store = w->store, .hops = 1, .mean_delay = w->cfg->mean_delay,
                                     .timeout = 4 * w->x->reply_timeout, .keys = key_lookup, .keys_ctx = w,
                                     .sign_keys = sign_lookup, .sign_ctx = w};
    if (rc == 0 && !(w->cc = updater_ctrl_new(w->e, &cp))) rc = CM_EINVAL;
    if (rc == 0) updater_ctrl_ops(w->cc, &w->cops);
  } else if (rc == 0) {
    if (!(w->cs = updater_loop_new(w->e, UPDATER_ADDR, w->codec, key_lookup, w, node_at, w, w->cfg->mean_delay)))
      rc = CM_EINVAL;
    if (rc == 0) updater_loop_ops(w->cs, &w->cops);
  }
  if (rc == 0) {
    struct updater_ops ops = {.ctx = w, .read_metrics = fw_metrics, .install_epoch = fw_install,
                              .commit = fw_commit, .provision = op_provision, .committed = op_committed};
    struct updater_params p = {.sample_interval = w->x->sample, .reply_timeout = w->x->reply_timeout,
                               .converge_timeout = w->x->converge_timeout, .max_attempts = w->x->max_attempts,
                               .max_nodes = w->x->max_nodes, .stop = w->x->duration, .thresholds = w->x->thresholds,
                               .nthresholds = w->x->nth, .operator_sk = op_sk};
    w->u = updater_new(w->e, &p, &ops, d);
    if (!w->u) rc = CM_EINVAL;
  }
  g_free(d);
  if (rc != 0) return rc;
  /* the clients: k starts when the ramp passes (k + 1) x client_rate */
  const struct ecfg *x = w->x;
  w->nc_plan = (uint32_t)floor(fmax(x->rate_start, x->rate_end) / x->client_rate + 1e-9);
  w->clients = g_new0(client *, w->nc_plan ? w->nc_plan : 1);
  w->slots = g_new0(struct cslot, w->nc_plan ? w->nc_plan : 1);
  w->cl_epoch = g_new0(uint32_t, w->nc_plan ? w->nc_plan : 1);
  for (uint32_t k = 0; k < w->nc_plan; k++) {
    double need = (k + 1) * x->client_rate;
    cm_time t = 0;
    if (need > x->rate_start + 1e-9 && x->rate_end > x->rate_start)
      t = (cm_time)((double)x->ramp * (need - x->rate_start) / (x->rate_end - x->rate_start));
    w->slots[k] = (struct cslot){.w = w, .k = k};
    if (t < x->duration) env_after(w->e, t, client_start, &w->slots[k]);
  }
  w->rows = g_array_new(FALSE, TRUE, sizeof(struct tab_mixclaves_elastic_row));
  w->bin_rtt = hist_new();
  env_after(w->e, x->bin, bin_tick, w);
  return 0;
}

static void world_free(struct ew *w) {
  updater_free(w->u);
  updater_loop_free(w->cs);
  updater_ctrl_free(w->cc);
  for (uint32_t j = 0; j < w->nc_plan; j++) client_free(w->clients[j]);
  for (uint32_t i = 0; i < w->nn; i++) node_free(w->nodes[i]);
  digest_store_free(w->store);
  g_free(w->clients);
  g_free(w->slots);
  g_free(w->cl_epoch);
  if (w->rows) g_array_free(w->rows, TRUE);
  hist_free(w->bin_rtt);
  g_free(w->err);
  env_free(w->e);
}

int mxc__elastic_run(struct run_ctx *c, const struct mxc_config *cfg, struct elastic_result *out) {
  memset(out, 0, sizeof *out);
  struct ecfg x = {0};
  char *err = NULL;
  if (ecfg_read(c->s, &x, &err) != 0) {
    fprintf(stderr, "cloudmix: %s\n", err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  struct ew w = {.cfg = cfg, .x = &x};
  if (codec_lookup(cfg->crypto, &w.codec) != 0) return CM_EXIT_USAGE;
  uint8_t op_sk[EPOCH_SK_BYTES];
  int rc = world_build(&w, c->seed, op_sk);
  sodium_memzero(op_sk, sizeof op_sk);
  if (rc != 0) {
    fprintf(stderr, "cloudmix: %s: cannot build the elastic network: %s\n", scenario_path(c->s), cm_strerror(rc));
    world_free(&w);
    return CM_EXIT_USAGE;
  }
  struct progress pr;
  progress_init(&pr, c->quiet, x.duration);
  engine_set_progress(env_sim_engine(w.e), progress_tick, &pr, 1 << 16);
  env_run(w.e, x.duration);
  cm_time limit = x.duration + cfg->late_after + CM_S(3600);
  while (!w.err && !quiet_now(&w) && env_now(w.e) < limit) env_run(w.e, env_now(w.e) + CM_MS(100));
  progress_done(&pr);
  if (w.err) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(c->s), w.err);
    world_free(&w);
    return CM_EXIT_FAILED;
  }
  out->rows = w.rows;
  w.rows = NULL;
  const struct updater_attempt *a = updater_attempts(w.u, &out->nattempts);
  out->attempts = g_memdup2(a, out->nattempts * sizeof *a);
  updater_counters(w.u, &out->uk);
  ctrl_counts(&w, &out->ck);
  for (uint32_t i = 0; i < w.nn; i++) {
    struct node_counters k;
    node_counters(w.nodes[i], &k);
    out->ctrl_queue_full_nodes += k.queue_full;
    out->stale_nodes += k.stale_epoch;
  }
  out->refresh_max = w.refresh_max;
  out->transport = x.ctrl ? "ctrl" : "loop";
  out->unaccounted = unaccounted(&w);
  out->provisioned = w.nn;
  memcpy(out->thresholds, x.thresholds, sizeof x.thresholds);
  out->nth = x.nth;
  out->duration_s = cm_time_to_s(x.duration);
  c->events += engine_events(env_sim_engine(w.e));
  c->sim_end += engine_now(env_sim_engine(w.e));
  world_free(&w);
  return CM_EXIT_OK;
}

void elastic_result_clear(struct elastic_result *r) {
  if (r->rows) g_array_free(r->rows, TRUE);
  g_free(r->attempts);
  memset(r, 0, sizeof *r);
}
