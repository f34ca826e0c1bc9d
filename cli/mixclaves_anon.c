/* The ground-truth anonymity observer of the network sweep ([network]
 * anonymity = on) and the federated-trust figures of every configuration.
 *
 * The observer taps the sim env's datagrams (env_sim_set_tap) and follows
 * each abstract packet by its nonce (codec_abstract_packet_id): a client's
 * send puts a packet on the wire with a point mass on that client; a
 * node's arrival enters the node's pool; a node's send is an exit (or,
 * when the packet never entered that node, the node's own loop cover,
 * sender "node k"); an arrival at a client is a delivered message, scored
 * by the chained attacker of analysis/anon_net.h (sender-set entropy,
 * degree, Loopix's eps for clients 0 and 1). Messages delivered from
 * warmup on are scored. Over [warmup, step], per node: the arrival rate
 * (every packet that entered: the attacker's candidates), and for the
 * packets a node held and sent on (not cover it discarded, not its own
 * loops coming home) their arrival rate and the mean number inside
 * (entered, not yet sent: CPU queue, service and hold). Off, nothing is installed: the sweep's hot path has no branch of
 * its own (env_sim's tap check is one NULL test per datagram). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gsl/gsl_statistics_double.h>

#include "anon_eps.h"
#include "anon_net.h"
#include "env_sim.h"
#include "mixclaves.h"
#include "mixclaves/codec.h"
#include "mixclaves/node.h"
#include "tab_mixclaves_anon.h"
#include "trust.h"

struct mxc_anon {
  anon_net *net;
  anon_agg *agg;
  GArray *eps;        /* double */
  node **nodes;       /* borrowed: the world's nodes, buffers instrumented */
  GHashTable *finals; /* payload key -> packet id, for packets on their last hop to a client */
  env *e;
  cm_addr node0, client0;
  uint32_t nn, nc;
  double from_s;      /* score deliveries from here (warmup) */
  int marks;
  double t_mark[2];
  double w0, w1, held_s; /* [warmup, step] and the packet-seconds spent inside nodes in it by packets that left */
  uint64_t entries, entries_mark[2];
  uint64_t held_entries; /* entries in [warmup, step] of packets the node sent on */
  uint64_t unlinked;  /* datagrams not followed: not an abstract packet, or an inconsistent history */
  bool ref;           /* one node, one hop: a single Poisson mix */
  double mean_s;
  int err;            /* first error from analysis (CM_ENOMEM) */
};

/* The packet id of a datagram: an abstract packet's own, or, for a payload
 * a last hop delivers to a client, the id of the packet that carried it
 * (noted when that packet entered its last node). false: not followed. */
static bool datagram_id(struct mxc_anon *o, enum env_sim_tap_event ev, cm_addr to, const uint8_t *pkt, size_t len,
                        bool to_node, bool to_client, uint64_t *id) {
  struct codec_abstract_info in;
  if (codec_abstract_packet_info(pkt, len, &in) == 0) {
    *id = in.id;
    if (ev == ENV_SIM_TAP_DELIVER && to_node && in.hops_left == 1 && in.dest >= o->client0 &&
        in.dest - o->client0 < o->nc)
      g_hash_table_insert(o->finals, g_memdup2(&in.payload_key, sizeof in.payload_key), g_memdup2(id, sizeof *id));
    return true;
  }
  if (!to_client) return false;
  uint64_t key = codec_abstract_payload_key(pkt, len, to);
  const uint64_t *v = g_hash_table_lookup(o->finals, &key);
  if (!v) return false;
  *id = *v;
  if (ev == ENV_SIM_TAP_DELIVER) g_hash_table_remove(o->finals, &key);
  return true;
}

static void tap(void *arg, enum env_sim_tap_event ev, cm_time t, cm_addr from, cm_addr to, const uint8_t *pkt,
                size_t len) {
  struct mxc_anon *o = arg;
  bool from_node = from >= o->node0 && from - o->node0 < o->nn;
  bool from_client = from >= o->client0 && from - o->client0 < o->nc;
  bool to_node = to >= o->node0 && to - o->node0 < o->nn;
  bool to_client = to >= o->client0 && to - o->client0 < o->nc;
  uint64_t id;
  if (!datagram_id(o, ev, to, pkt, len, to_node, to_client, &id)) {
    o->unlinked++;
    return;
  }
  double ts = cm_time_to_s(t);
  int rc = 0;
  if (ev == ENV_SIM_TAP_SEND) {
    if (from_client) {
      rc = anon_net_origin(o->net, id, from - o->client0);
    } else if (from_node) {
      double tin;
      rc = anon_net_exit(o->net, from - o->node0, id, ts, &tin);
      if (rc == 0) { /* its time inside, within [warmup, step] */
        double lo = tin > o->w0 ? tin : o->w0, hi = ts < o->w1 ? ts : o->w1;
        if (hi > lo) o->held_s += hi - lo;
        if (tin >= o->w0 && tin < o->w1) o->held_entries++;
      }
      if (rc == CM_ENOENT) rc = anon_net_origin(o->net, id, o->nc + (from - o->node0));
    } else {
      rc = CM_ENOENT;
    }
  } else if (to_node) {
    rc = anon_net_enter(o->net, to - o->node0, id, ts);
    o->entries++;
  } else if (to_client) {
    struct anon_result r;
    double eps = NAN;
    rc = anon_net_deliver(o->net, id, &r, &eps);
    if (rc == 0 && ts >= o->from_s) {
      rc = anon_agg_add(o->agg, &r);
      if (!isnan(eps)) g_array_append_val(o->eps, eps);
    }
  } else {
    rc = CM_ENOENT;
  }
  if (rc == CM_ENOMEM && !o->err) o->err = rc;
  else if (rc != 0) o->unlinked++;
}

struct mxc_anon *mxc__anon_start(env *e, const struct mxc_config *cfg, const struct mxc_net_config *n,
                                 cm_addr node0, cm_addr client0, node **nodes, char **err) {
  struct mxc_anon *o = g_new0(struct mxc_anon, 1);
  o->e = e;
  o->node0 = node0;
  o->client0 = client0;
  o->nn = n->nodes;
  o->nc = cfg->clients;
  o->mean_s = cm_time_to_s(cfg->mean_delay);
  o->from_s = o->w0 = cm_time_to_s(cfg->warmup);
  o->w1 = cm_time_to_s(cfg->step);
  o->ref = n->nodes == 1 && n->hops == 1;
  /* senders: the clients, then the nodes (their own loops) */
  o->net = anon_net_new(o->nc + o->nn, o->nn, o->mean_s, 0, o->nc > 1 ? 1 : 0);
  o->agg = anon_agg_new();
  o->eps = g_array_new(FALSE, FALSE, sizeof(double));
  o->finals = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
  if (!o->net || !o->agg) {
    *err = g_strdup("anonymity observer: out of memory");
    anon_net_free(o->net);
    anon_agg_free(o->agg);
    g_array_free(o->eps, TRUE);
    g_hash_table_destroy(o->finals);
    g_free(o);
    return NULL;
  }
  /* Fig. 1's store/read addresses in the nodes' own buffers */
  o->nodes = nodes;
  for (uint32_t k = 0; k < o->nn; k++)
    if (node_buffer_instrument(nodes[k], BUFFER_LOG_PAIRS) != 0) o->err = CM_ENOMEM;
  env_sim_set_tap(e, tap, o);
  return o;
}

void mxc__anon_mark(struct mxc_anon *o, cm_time t) {
  if (!o || o->marks >= 2) return;
  double ts = cm_time_to_s(t);
  o->t_mark[o->marks] = ts;
  o->entries_mark[o->marks] = o->entries;
  o->marks++;
}

/* Pearson's R between store and read address over every packet the nodes
 * released, per node, averaged over the nodes with at least 2 (NAN: none). */
static double nodes_r(struct mxc_anon *o) {
  double sum = 0;
  uint32_t k_ok = 0;
  for (uint32_t k = 0; k < o->nn; k++) {
    const struct buffer_addr_pair *p;
    uint64_t n = node_buffer_pairs(o->nodes[k], &p);
    if (n < 2) continue;
    double *xs = malloc(n * sizeof *xs), *ys = malloc(n * sizeof *ys);
    if (xs && ys) {
      for (uint64_t i = 0; i < n; i++) {
        xs[i] = p[i].store;
        ys[i] = p[i].read;
      }
      double r = gsl_stats_correlation(xs, 1, ys, 1, n);
      if (isfinite(r)) {
        sum += r;
        k_ok++;
      }
    }
    free(xs);
    free(ys);
  }
  return k_ok ? sum / k_ok : NAN;
}

void mxc__anon_finish(struct mxc_anon *o, struct mxc_step *st) {
  if (!o) return;
  env_sim_set_tap(o->e, NULL, NULL);
  st->anon_unlinked = o->unlinked + (o->err ? 1 : 0);
  st->h_ref = st->occupancy = st->lambda_node = st->lambda_held = NAN;
  st->h_mean = st->h_p5 = st->h_min = st->d_mean = st->d_p5 = st->d_min = st->p_true_mean = NAN;
  st->eps_mean = st->eps_d05 = st->delta_eps1 = NAN;
  struct anon_summary s;
  if (anon_agg_summary(o->agg, &s) == 0) {
    st->anon_n = s.n;
    st->h_mean = s.h_mean;
    st->h_p5 = s.h_p5;
    st->h_min = s.h_min;
    st->d_mean = s.d_mean;
    st->d_p5 = s.d_p5;
    st->d_min = s.d_min;
    st->p_true_mean = s.p_true_mean;
  }
  struct anon_eps_summary es;
  if (anon_eps_summarise((const double *)(void *)o->eps->data, o->eps->len, &es) == 0) {
    st->eps_n = es.n;
    st->eps_inf = es.n_inf;
    st->eps_mean = es.mean;
    st->eps_d05 = es.eps_d05;
    st->delta_eps1 = es.delta_1;
  }
  if (o->marks == 2 && o->t_mark[1] > o->t_mark[0]) {
    double span = o->t_mark[1] - o->t_mark[0];
    st->occupancy = o->held_s / span / o->nn;
    st->lambda_held = (double)o->held_entries / span / o->nn;
    st->lambda_node = (double)(o->entries_mark[1] - o->entries_mark[0]) / span / o->nn;
    double h;
    /* the reference converges fast for rho >= 1 (below, seconds per call) */
    if (o->ref && st->lambda_node * o->mean_s >= 1 && anon_pmix_ref(st->lambda_node * o->mean_s, ANON_PMIX_ENTERED, &h) == 0) st->h_ref = h;
  }
  st->buffer_r = nodes_r(o);
  anon_net_free(o->net);
  anon_agg_free(o->agg);
  g_array_free(o->eps, TRUE);
  g_hash_table_destroy(o->finals);
  g_free(o);
}

/* P(an honest node on the path) of configuration n (trust.h). */
static double path_honest(const struct mxc_net_config *n) {
  double p = NAN;
  if (trust_path_honest(n->trust, n->domains, n->hops, (enum trust_path)n->path, &p) != 0) return NAN;
  return p;
}

int mxc__anon_write(struct run_ctx *c, const struct mxc_config *cfg, const struct mxc_step *steps) {
  struct tab_mixclaves_trust tt = {0};
  struct tab_mixclaves_anon at = {0};
  if (tab_mixclaves_trust_open(c->db, &tt) != 0 || (cfg->anonymity && tab_mixclaves_anon_open(c->db, &at) != 0)) {
    fprintf(stderr, "cloudmix: cannot create the mixclaves anonymity tables: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  int rc = 0;
  if (!c->quiet) printf("\nfederated trust: P(at least one honest node on the path), analysis/trust.h\n");
  for (uint32_t i = 0; i < cfg->nconfigs; i++) {
    const struct mxc_net_config *n = &cfg->configs[i];
    double p = path_honest(n);
    struct tab_mixclaves_trust_row row = {.run_id = c->run_id, .config = n->label, .hops = n->hops,
                                          .domains = n->domains, .trust = n->trust_text,
                                          .path = trust_path_name((enum trust_path)n->path), .p_honest_path = p};
    if (tab_mixclaves_trust_add(&tt, &row) != 0) rc = CM_EDB;
    if (!c->quiet)
      printf("trust %s: %u hop%s, %u domain%s (honest %s), path %s: %.6f\n", n->label, n->hops,
             n->hops == 1 ? "" : "s", n->domains, n->domains == 1 ? "" : "s", n->trust_text, row.path, p);
  }
  if (cfg->anonymity && !c->quiet)
    printf("\nanonymity (global passive attacker, exponential weights chained over hops; H in bits, eps = Loopix Eq. "
           "3 for clients 0 and 1)\n");
  for (uint32_t i = 0; cfg->anonymity && i < cfg->nconfigs; i++) {
    const struct mxc_net_config *n = &cfg->configs[i];
    enum buffer_variant v = n->oblivious ? BUFFER_OBLIVIOUS : cfg->buffer_off;
    for (uint32_t r = 0; r < cfg->nrates; r++) {
      const struct mxc_step *st = &steps[i * cfg->nrates + r];
      double mean_s = cm_time_to_s(cfg->mean_delay), rho = st->lambda_node * mean_s, br = st->buffer_r;
      double rho_held = st->lambda_held * mean_s;
      struct tab_mixclaves_anon_row row = {
          .run_id = c->run_id, .config = n->label, .nodes = n->nodes, .hops = n->hops,
          .buffer = buffer_variant_name(v), .rate = st->rate, .messages = (int64_t)st->anon_n,
          .h_mean = st->h_mean, .h_p5 = st->h_p5, .h_min = st->h_min, .d_mean = st->d_mean, .d_p5 = st->d_p5,
          .d_min = st->d_min, .p_true_mean = st->p_true_mean, .eps_messages = (int64_t)st->eps_n,
          .eps_inf = (int64_t)st->eps_inf, .eps_mean = st->eps_mean, .eps_d05 = st->eps_d05,
          .delta_eps1 = st->delta_eps1, .occupancy = st->occupancy, .lambda_node = st->lambda_node,
          .lambda_held = st->lambda_held, .rho = rho,
          .h_ref = st->h_ref, .buffer_r = br, .unlinked = (int64_t)st->anon_unlinked};
      if (tab_mixclaves_anon_add(&at, &row) != 0) rc = CM_EDB;
      if (!c->quiet) {
        char ref[64] = "";
        if (!isnan(st->h_ref))
          snprintf(ref, sizeof ref, " (per-message ref %.4f, %+.2f%%)", st->h_ref, 100 * (st->h_mean / st->h_ref - 1));
        printf("anon %s rate %.0f: %llu msgs H mean %.4f%s p5 %.4f min %.4f, d mean %.4f p5 %.4f min %.4f; eps "
               "mean %.4f eps(delta=0.05) %.4f delta(eps=1) %.4f over %llu (%llu inf); occupancy %.4f vs lambda x "
               "delay %.4f (%+.2f%%); buffer %s R %.3f; unlinked %llu\n",
               n->label, st->rate, (unsigned long long)st->anon_n, st->h_mean, ref, st->h_p5, st->h_min,
               st->d_mean, st->d_p5, st->d_min, st->eps_mean, st->eps_d05, st->delta_eps1,
               (unsigned long long)st->eps_n, (unsigned long long)st->eps_inf, st->occupancy, rho_held,
               100 * (st->occupancy / rho_held - 1), buffer_variant_name(v), br, (unsigned long long)st->anon_unlinked);
      }
    }
  }
  if (rc != 0) {
    fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  return CM_EXIT_OK;
}
