/* The epoch-skew experiment (seed 3.3, Fig. 5): `[mixclaves] experiment =
 * epoch-skew`. Epoch Y adds mix N to epoch X's mix M. Provider A is at Y
 * (it forwards to M and N, and its own loop cover goes through both);
 * provider B is still at X (it knows only M). Client C, at Y, sends 2-hop
 * loops (provider, then a mix of its epoch) through A until move_s, then
 * through B. Background clients of each provider know their provider's
 * epoch. What C can and cannot send is counted:
 *  - at B, C's packets routed to N are refused (unknown_next_hop): our node
 *    drops routes to nodes it does not know, the first of the seed's
 *    footnote fixes; C's loops via M get through;
 *  - at N, a tap counts every arrival by previous hop (A, B) and by its
 *    clear destination (C, another client, a provider's own loop): on A->N
 *    C's packets are mixed with A's cover and its clients', on B->N there is
 *    nothing, and B's cover to N is zero by construction (B's loops pick
 *    from X's nodes), so had B forwarded C's packets (the seed's case), every
 *    packet on B->N would have been C's: the count refused at B.
 * C before and after the move is two client objects (C@A stops at move_s,
 * C@B starts there), so each phase's counts are exact. The destination is
 * read from the abstract codec's clear header (models/mixclaves/README.md,
 * offset 8), so the experiment needs crypto = abstract. Every packet is
 * accounted for at the end (exit 1 otherwise). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "env_sim.h"
#include "mixclaves.h"
#include "mixclaves_elastic.h"
#include "mixclaves/bytes.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"
#include "mixhost.h"

enum { A = 0, B, M, N, NNODES };
#define NODE0 ((cm_addr)1000)
#define C_AT_A ((cm_addr)100000)
#define C_AT_B ((cm_addr)100001)
#define OTHER0 ((cm_addr)100010)
#define MAX_OTHERS 64

/* arrivals at N: [phase][from A, B, other][dest C, other client, provider loop] */
enum { F_A = 0, F_B, F_OTHER, NFROM };
enum { D_C = 0, D_CLIENT, D_PROVIDER, NDEST };

struct sw {
  env *e;
  node *nodes[NNODES];
  struct mixhost hosts[NNODES];
  client *c_a, *c_b, *others[2 * MAX_OTHERS];
  uint32_t nothers;
  cm_time move;
  uint64_t at_n[2][NFROM][NDEST];
};

static void tap_n(env *e, void *arg, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  (void)to;
  struct sw *w = arg;
  int ph = env_now(e) >= w->move;
  int f = from == NODE0 + A ? F_A : from == NODE0 + B ? F_B : F_OTHER;
  cm_addr dest = len >= 12 ? mx_get_be32(pkt + 8) : 0;
  int d = dest == C_AT_A || dest == C_AT_B ? D_C : dest >= OTHER0 ? D_CLIENT : D_PROVIDER;
  w->at_n[ph][f][d]++;
  node_accept(w->nodes[N], from, pkt, len);
}

static client *mk_client(struct sw *w, const struct mxc_config *cfg, const struct codec_ops *codec, cm_addr addr,
                         int provider, bool knows_n, double rate, cm_time start, cm_time stop) {
  cm_addr path[4] = {NODE0 + provider, NODE0 + provider, NODE0 + M, NODE0 + (knows_n ? N : M)};
  struct client_params p = {.addr = addr, .codec = codec, .topology = CLIENT_STRATIFIED, .hops = 2, .layers = 2,
                            .loop_rate_per_s = rate, .mean_delay = cfg->mean_delay, .late_after = cfg->late_after,
                            .start = start, .stop = stop, .experiment = 5};
  return client_new(w->e, &p, path, 4);
}

static int build(struct sw *w, const scenario *s, const struct mxc_config *cfg, const struct codec_ops *codec,
                 uint64_t seed) {
  w->e = env_sim_new(seed);
  struct link_model m = {.latency = cfg->link_latency, .jitter_sd = cfg->link_jitter, .loss = cfg->link_loss};
  if (!w->e || env_sim_set_link(w->e, 0, 0, &m) != 0) return CM_EINVAL;
  cm_time stop = cm_time_from_s(scenario_double(s, "skew", "duration_s"));
  w->move = cm_time_from_s(scenario_double(s, "skew", "move_s"));
  double cover = scenario_double(s, "skew", "provider_loop_rate_per_s");
  cm_addr all[NNODES] = {NODE0 + A, NODE0 + B, NODE0 + M, NODE0 + N};
  cm_addr y[] = {NODE0 + M, NODE0 + N}, x[] = {NODE0 + M};
  for (int i = 0; i < NNODES; i++) {
    int rc = mixhost_init(&w->hosts[i], cfg->host, NULL);
    if (rc != 0) return rc;
    bool provider = i == A || i == B;
    struct node_params p = {.id = (uint32_t)i, .addr = all[i], .codec = codec, .buffer = cfg->buffer_off,
                            .buffer_capacity = cfg->buffer_capacity, .queue_max = cfg->queue_max,
                            .loop_rate_per_s = provider ? cover : 0, .loop_mean_delay = cfg->mean_delay,
                            .loop_until = stop, .service_time = mixhost_service_time, .service_arg = &w->hosts[i]};
    const cm_addr *peers = i == A ? y : i == B ? x : all;
    size_t np = i == A ? 2 : i == B ? 1 : NNODES;
    if (!(w->nodes[i] = node_new(w->e, &p, peers, np))) return CM_EINVAL;
  }
  if (env_unbind(w->e, NODE0 + N) != 0 || env_bind(w->e, NODE0 + N, tap_n, w) != 0) return CM_EINVAL;
  double rc_c = scenario_double(s, "skew", "client_rate_per_s");
  double ro = scenario_double(s, "skew", "other_rate_per_s");
  uint32_t no = (uint32_t)scenario_int(s, "skew", "others_per_provider");
  w->c_a = mk_client(w, cfg, codec, C_AT_A, A, true, rc_c, 0, w->move);
  w->c_b = mk_client(w, cfg, codec, C_AT_B, B, true, rc_c, w->move, stop);
  if (!w->c_a || !w->c_b) return CM_EINVAL;
  for (uint32_t j = 0; j < 2 * no; j++) {
    bool at_a = j < no;
    if (!(w->others[j] = mk_client(w, cfg, codec, OTHER0 + j, at_a ? A : B, at_a, ro, 0, stop))) return CM_EINVAL;
    w->nothers++;
  }
  return 0;
}

static void sw_free(struct sw *w) {
  client_free(w->c_a);
  client_free(w->c_b);
  for (uint32_t j = 0; j < w->nothers; j++) client_free(w->others[j]);
  for (int i = 0; i < NNODES; i++) node_free(w->nodes[i]);
  env_free(w->e);
}

static bool quiet(struct sw *w) {
  struct env_net_stats st;
  env_net_stats(w->e, &st);
  bool q = st.in_flight == 0;
  for (int i = 0; i < NNODES && q; i++) {
    struct node_counters k;
    node_counters(w->nodes[i], &k);
    q = !k.in_cpu && !k.held;
  }
  client *cs[2 + 2 * MAX_OTHERS] = {w->c_a, w->c_b};
  memcpy(cs + 2, w->others, w->nothers * sizeof(client *));
  for (uint32_t j = 0; j < 2 + w->nothers && q; j++) {
    struct client_counters k;
    client_counters(cs[j], &k);
    q = !k.outstanding;
  }
  return q;
}

static uint64_t diff(uint64_t a, uint64_t b) { return a > b ? a - b : b - a; }

static uint64_t unaccounted(struct sw *w) {
  struct env_net_stats ns;
  env_net_stats(w->e, &ns);
  uint64_t bad = ns.in_flight + diff(ns.sent, ns.delivered + ns.lost + ns.dropped_unbound + ns.dropped_oversize);
  uint64_t sent = 0, arrived = 0;
  for (int i = 0; i < NNODES; i++) {
    struct node_counters k;
    node_counters(w->nodes[i], &k);
    bad += !node_counters_balanced(&k) + k.in_cpu + k.held;
    sent += k.loops_sent + k.forwarded + k.delivered;
    arrived += k.received;
  }
  client *cs[2 + 2 * MAX_OTHERS] = {w->c_a, w->c_b};
  memcpy(cs + 2, w->others, w->nothers * sizeof(client *));
  for (uint32_t j = 0; j < 2 + w->nothers; j++) {
    struct client_counters k;
    client_counters(cs[j], &k);
    bad += !client_counters_balanced(&k) + k.outstanding;
    sent += k.sent_real + k.sent_loop + k.sent_drop;
    arrived += k.received + k.late + k.received_real;
  }
  uint64_t tapped = 0;
  for (int p = 0; p < 2; p++)
    for (int f = 0; f < NFROM; f++)
      for (int d = 0; d < NDEST; d++) tapped += w->at_n[p][f][d];
  struct node_counters kn;
  node_counters(w->nodes[N], &kn);
  return bad + diff(sent, ns.sent) + diff(arrived, ns.delivered) + diff(tapped, kn.received);
}

int mxc__skew_run(struct run_ctx *c, const struct mxc_config *cfg) {
  const struct codec_ops *codec = NULL;
  if (strcmp(cfg->crypto, "abstract") != 0 || codec_lookup(cfg->crypto, &codec) != 0) {
    fprintf(stderr,
            "cloudmix: %s: [mixclaves] crypto: '%s'; epoch-skew counts packets at N by their clear destination, "
            "which only the abstract codec carries; expected abstract\n",
            scenario_path(c->s), cfg->crypto);
    return CM_EXIT_USAGE;
  }
  if (scenario_double(c->s, "skew", "move_s") >= scenario_double(c->s, "skew", "duration_s")) {
    fprintf(stderr, "cloudmix: %s: [skew] move_s: not below duration_s; expected the move inside the run\n",
            scenario_path(c->s));
    return CM_EXIT_USAGE;
  }
  if (scenario_int(c->s, "skew", "others_per_provider") > MAX_OTHERS) {
    fprintf(stderr, "cloudmix: %s: [skew] others_per_provider: more than %d\n", scenario_path(c->s), MAX_OTHERS);
    return CM_EXIT_USAGE;
  }
  struct sw w = {0};
  if (build(&w, c->s, cfg, codec, c->seed) != 0) {
    fprintf(stderr, "cloudmix: %s: cannot build the epoch-skew network\n", scenario_path(c->s));
    sw_free(&w);
    return CM_EXIT_USAGE;
  }
  cm_time stop = cm_time_from_s(scenario_double(c->s, "skew", "duration_s"));
  env_run(w.e, stop);
  while (!quiet(&w) && env_now(w.e) < stop + cfg->late_after + CM_S(3600)) env_run(w.e, env_now(w.e) + CM_MS(100));
  struct client_counters ka, kb;
  client_counters(w.c_a, &ka);
  client_counters(w.c_b, &kb);
  struct node_counters nb;
  node_counters(w.nodes[B], &nb);
  uint64_t (*t)[NFROM][NDEST] = w.at_n;
  uint64_t a1 = t[0][F_A][D_C] + t[0][F_A][D_CLIENT] + t[0][F_A][D_PROVIDER];
  uint64_t b2 = t[1][F_B][D_C] + t[1][F_B][D_CLIENT] + t[1][F_B][D_PROVIDER];
  uint64_t bad = unaccounted(&w);
  const struct {
    const char *name;
    double v;
  } m[] = {{"c_at_a_sent", (double)ka.tracked},
           {"c_at_a_back", (double)ka.received},
           {"c_at_b_sent", (double)kb.tracked},
           {"c_at_b_back", (double)kb.received},
           {"c_at_b_lost", (double)kb.lost},
           {"b_refused_unknown_hop", (double)nb.unknown_next_hop},
           {"n_from_a_before", (double)a1},
           {"n_from_a_before_c", (double)t[0][F_A][D_C]},
           {"n_from_a_before_cover", (double)t[0][F_A][D_PROVIDER]},
           {"n_from_b_after", (double)b2},
           {"n_from_b_after_cover", (double)t[1][F_B][D_PROVIDER]},
           {"unaccounted", (double)bad}};
  int rc = CM_EXIT_OK;
  for (size_t i = 0; i < G_N_ELEMENTS(m) && rc == CM_EXIT_OK; i++)
    if (results_metric(c->db, c->run_id, m[i].name, m[i].v) != 0) rc = CM_EXIT_FAILED;
  if (rc != CM_EXIT_OK) fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
  if (rc == CM_EXIT_OK && !c->quiet) {
    printf("Fig. 5 (epoch skew): N joined at epoch Y; A is at Y, B at X; C (at Y) moves from A to B at %.1f s\n",
           cm_time_to_s(w.move));
    printf("C via A (before): %llu loops sent, %llu back\n", (unsigned long long)ka.tracked,
           (unsigned long long)ka.received);
    printf("C via B (after):  %llu loops sent, %llu back, %llu lost: B refused %llu routes to N (unknown next hop)\n",
           (unsigned long long)kb.tracked, (unsigned long long)kb.received, (unsigned long long)kb.lost,
           (unsigned long long)nb.unknown_next_hop);
    printf("at N before the move, from A: %llu packets, of them C's %llu (%.1f%%), A's own cover %llu, A's other "
           "clients' %llu\n",
           (unsigned long long)a1, (unsigned long long)t[0][F_A][D_C], a1 ? 100.0 * t[0][F_A][D_C] / a1 : 0.0,
           (unsigned long long)t[0][F_A][D_PROVIDER], (unsigned long long)t[0][F_A][D_CLIENT]);
    printf("at N after the move, from B: %llu packets, B's own cover %llu: had B forwarded C's %llu refused packets, "
           "all of B->N would have been C's (seed Fig. 5)\n",
           (unsigned long long)b2, (unsigned long long)t[1][F_B][D_PROVIDER], (unsigned long long)nb.unknown_next_hop);
  }
  if (bad) {
    fprintf(stderr, "cloudmix: %llu packets unaccounted for at the end of the run\n", (unsigned long long)bad);
    rc = CM_EXIT_FAILED;
  }
  c->events += engine_events(env_sim_engine(w.e));
  c->sim_end += engine_now(env_sim_engine(w.e));
  sw_free(&w);
  return rc;
}
