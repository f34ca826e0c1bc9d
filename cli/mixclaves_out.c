/* The network sweep's output: the throughput-vs-latency table
 * mixclaves_load (seed Fig. 8 and 9), Table 1's rows in mixclaves_cost with
 * the price model (both tables written through analysis/tab_mixclaves.h),
 * the run's metrics and the printed summary.
 *
 * The price model: a node-month costs usd_per_hour x hours_per_month x
 * (1 - sustained_use_discount), for a node with enclave = true (a
 * Confidential VM; the seed's Mixclaves nodes) with enclave_usd_per_hour
 * added to the hourly price first (premium_model = surcharge) or the month
 * multiplied by 1 + enclave_premium (fraction); rounded to cents, then
 * times the nodes. The premium follows the machine (enclave), not the
 * topology: a node priced as an enclave machine also runs the enclave CPU
 * profile (host_enclave). The
 * seed rounds the same way: 296.04 = 6 x 49.34, while 6 x 49.3433 = 296.06. */
#include <math.h>
#include <stdio.h>

#include "mixclaves.h"
#include "tab_mixclaves.h"

double mxc__node_month_usd(const struct mxc_price *p, bool enclave) {
  double hourly = p->usd_per_hour + (enclave && p->surcharge ? p->enclave_usd_per_hour : 0);
  double month = hourly * p->hours_per_month * (1 - p->discount);
  if (enclave && !p->surcharge) month *= 1 + p->enclave_fraction;
  return round(month * 100) / 100;
}

/* Table 1 of the seed, for the rows it has (NAN otherwise): Loopix on
 * non-enclave machines, Mixclaves in enclaves. */
static double seed_monthly(const struct mxc_net_config *n) {
  if (n->loopix) return n->nodes == 6 && !n->enclave ? 296.04 : NAN;
  if (!n->enclave) return NAN;
  static const double mx[] = {53.34, 106.68, 160.02, 213.36};
  return n->nodes >= 1 && n->nodes <= 4 ? mx[n->nodes - 1] : NAN;
}

int mxc__net_write(struct run_ctx *c, const struct mxc_config *cfg, const struct mxc_step *steps) {
  struct tab_mixclaves_load lt = {0};
  struct tab_mixclaves_cost ct = {0};
  if (tab_mixclaves_load_open(c->db, &lt) != 0 || tab_mixclaves_cost_open(c->db, &ct) != 0) {
    fprintf(stderr, "cloudmix: cannot create the mixclaves tables: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  int rc = 0;
  uint64_t sent = 0, received = 0, dropped = 0, late = 0, qfull = 0, other = 0, link = 0, unacc = 0, held = 0;
  double peak[MXC_MAX_CONFIGS] = {0};
  for (uint32_t i = 0; i < cfg->nconfigs; i++) {
    const struct mxc_net_config *n = &cfg->configs[i];
    if (!c->quiet)
      printf("\n%s: %s, %u node%s, %u hop%s, enclave %s, oblivious buffer %s\n%10s %10s %10s %8s %8s %10s %10s\n",
             n->label, n->loopix ? "Loopix" : "Mixclaves", n->nodes, n->nodes == 1 ? "" : "s", n->hops,
             n->hops == 1 ? "" : "s", n->enclave ? "on" : "off", n->oblivious ? "on" : "off", "rate", "offered/s",
             "deliv./s", "dropped", "q_full", "p50 RTT ms", "p99 RTT ms");
    for (uint32_t r = 0; r < cfg->nrates; r++) {
      const struct mxc_step *st = &steps[i * cfg->nrates + r];
      if (st->delivered_per_s > peak[i]) peak[i] = st->delivered_per_s;
      sent += st->sent;
      received += st->received;
      dropped += st->lost;
      late += st->late;
      qfull += st->queue_full;
      other += st->other_drops;
      link += st->link_lost;
      unacc += st->unaccounted;
      held += st->held_end;
      struct tab_mixclaves_load_row row = {
          .run_id = c->run_id, .config = n->label, .topology = n->loopix ? "loopix" : "mixclaves",
          .nodes = n->nodes, .hops = n->hops, .enclave = n->enclave, .oblivious = n->oblivious, .rate = st->rate,
          .offered_per_s = st->offered_per_s, .delivered_per_s = st->delivered_per_s, .sent = (int64_t)st->sent,
          .received = (int64_t)st->received, .dropped = (int64_t)st->lost, .late = (int64_t)st->late,
          .queue_full = (int64_t)st->queue_full, .other_drops = (int64_t)st->other_drops,
          .link_lost = (int64_t)st->link_lost, .p50_rtt_s = st->p50_s, .p99_rtt_s = st->p99_s,
          .unaccounted = (int64_t)st->unaccounted,
          .crypto = cfg->crypto}; /* the codec: abstract or full (real Sphinx) */
      if (tab_mixclaves_load_add(&lt, &row) != 0) rc = CM_EDB;
      if (!c->quiet)
        printf("%10.0f %10.1f %10.1f %8llu %8llu %10.2f %10.2f%s\n", st->rate, st->offered_per_s,
               st->delivered_per_s, (unsigned long long)st->lost, (unsigned long long)st->queue_full,
               st->p50_s * 1e3, st->p99_s * 1e3, st->unaccounted ? "  UNACCOUNTED" : "");
    }
  }
  if (!c->quiet)
    printf("\nTable 1 (price: %.6f $/h x %.0f h x (1 - %.2f); a node with enclave on: %s)\n"
           "%-14s %-10s %6s %14s %14s %14s %14s\n",
           cfg->price.usd_per_hour, cfg->price.hours_per_month, cfg->price.discount,
           cfg->price.surcharge ? "+ surcharge per hour" : "x (1 + premium)", "config", "mixnet", "nodes",
           "peak msg/s", "$/node-month", "monthly $", "seed monthly $");
  for (uint32_t i = 0; i < cfg->nconfigs; i++) {
    const struct mxc_net_config *n = &cfg->configs[i];
    /* the enclave premium on enclave machines only (issue 15) */
    double per = mxc__node_month_usd(&cfg->price, n->enclave), month = per * n->nodes, seed = seed_monthly(n);
    struct tab_mixclaves_cost_row row = {.run_id = c->run_id, .config = n->label,
                                         .mixnet = n->loopix ? "Loopix" : "Mixclaves", .nodes = n->nodes,
                                         .hops = n->hops, .peak_per_s = peak[i], .node_month_usd = per,
                                         .monthly_usd = round(month * 100) / 100, .seed_monthly_usd = seed};
    if (tab_mixclaves_cost_add(&ct, &row) != 0) rc = CM_EDB;
    char name[96];
    snprintf(name, sizeof name, "peak_per_s:%s", n->label);
    if (results_metric(c->db, c->run_id, name, peak[i]) != 0) rc = CM_EDB;
    if (!c->quiet) {
      char sb[16] = "-";
      if (!isnan(seed)) snprintf(sb, sizeof sb, "%.2f", seed);
      printf("%-14s %-10s %6u %14.1f %14.2f %14.2f %14s\n", n->label, n->loopix ? "Loopix" : "Mixclaves", n->nodes,
             peak[i], per, month, sb);
    }
  }
  const struct { const char *name; uint64_t v; } m[] = {
      {"packets_sent", sent},         {"packets_received", received}, {"packets_dropped", dropped},
      {"packets_late", late},         {"drops_queue_full", qfull},    {"drops_other", other},
      {"link_lost", link},            {"packets_unaccounted", unacc}, {"packets_held_at_end", held},
      /* simulation: keys, padding, paths and delays come from the named
       * reproducible streams (env_secret_rng in sim), so they are not secret */
      {"secrets_reproducible", 1},
  };
  for (size_t i = 0; i < sizeof m / sizeof m[0]; i++)
    if (results_metric(c->db, c->run_id, m[i].name, (double)m[i].v) != 0) rc = CM_EDB;
  if (rc != 0) {
    fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  if (!c->quiet)
    printf("\npackets: %llu sent = %llu back in time + %llu dropped (%llu of them late); node drops: %llu CPU queue "
           "full, %llu other; %llu lost on links; %llu held in a node at the end of the drain; %llu unaccounted\n",
           (unsigned long long)sent, (unsigned long long)received, (unsigned long long)dropped,
           (unsigned long long)late, (unsigned long long)qfull, (unsigned long long)other, (unsigned long long)link,
           (unsigned long long)held, (unsigned long long)unacc);
  if (!c->quiet)
    printf("packet secrets (keys, padding, paths, delays): reproducible from (scenario, seed, version); a "
           "simulation, not secret\n");
  if (unacc) {
    fprintf(stderr, "cloudmix: %llu packets unaccounted for at the end of the run\n", (unsigned long long)unacc);
    return CM_EXIT_FAILED;
  }
  return CM_EXIT_OK;
}
