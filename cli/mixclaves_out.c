/* The network sweep's output: the throughput-vs-latency table
 * mixclaves_load (seed Fig. 8 and 9), Table 1's rows in mixclaves_cost with
 * the price model, the run's metrics and the printed summary.
 *
 * The price model: a node-month costs usd_per_hour x hours_per_month x
 * (1 - sustained_use_discount), for a Mixclaves node (always in an enclave:
 * a Confidential VM) with enclave_usd_per_hour added to the hourly price
 * first (premium_model = surcharge) or the month multiplied by 1 +
 * enclave_premium (fraction); rounded to cents, then times the nodes. The
 * seed rounds the same way: 296.04 = 6 x 49.34, while 6 x 49.3433 = 296.06. */
#include <math.h>
#include <stdio.h>

#include "mixclaves.h"

static const char create_load[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_load ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, topology TEXT NOT NULL, nodes INTEGER NOT NULL,"
    " hops INTEGER NOT NULL, enclave INTEGER NOT NULL, oblivious INTEGER NOT NULL, rate REAL NOT NULL,"
    " offered_per_s REAL NOT NULL, delivered_per_s REAL NOT NULL, sent INTEGER NOT NULL, received INTEGER NOT NULL,"
    " dropped INTEGER NOT NULL, late INTEGER NOT NULL, queue_full INTEGER NOT NULL, other_drops INTEGER NOT NULL,"
    " link_lost INTEGER NOT NULL, p50_rtt_s REAL, p99_rtt_s REAL, unaccounted INTEGER NOT NULL,"
    " crypto TEXT NOT NULL)";
static const char insert_load[] = "INSERT INTO mixclaves_load VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_cost[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_cost ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, mixnet TEXT NOT NULL, nodes INTEGER NOT NULL,"
    " hops INTEGER NOT NULL, peak_per_s REAL NOT NULL, node_month_usd REAL NOT NULL, monthly_usd REAL NOT NULL,"
    " seed_monthly_usd REAL)";
static const char insert_cost[] = "INSERT INTO mixclaves_cost VALUES (?,?,?,?,?,?,?,?,?)";

double mxc__node_month_usd(const struct mxc_price *p, bool mixclaves) {
  double hourly = p->usd_per_hour + (mixclaves && p->surcharge ? p->enclave_usd_per_hour : 0);
  double month = hourly * p->hours_per_month * (1 - p->discount);
  if (mixclaves && !p->surcharge) month *= 1 + p->enclave_fraction;
  return round(month * 100) / 100;
}

/* Table 1 of the seed, for the rows it has (NAN otherwise). */
static double seed_monthly(const struct mxc_net_config *n) {
  if (n->loopix) return n->nodes == 6 ? 296.04 : NAN;
  static const double mx[] = {53.34, 106.68, 160.02, 213.36};
  return n->nodes >= 1 && n->nodes <= 4 ? mx[n->nodes - 1] : NAN;
}

static void bind_or_null(results_table *t, int col, double v) {
  if (isnan(v)) results_bind_null(t, col);
  else results_bind_double(t, col, v);
}

int mxc__net_write(struct run_ctx *c, const struct mxc_config *cfg, const struct mxc_step *steps) {
  results_table *lt = results_table_new(c->db, create_load, insert_load);
  results_table *ct = results_table_new(c->db, create_cost, insert_cost);
  if (!lt || !ct) {
    fprintf(stderr, "cloudmix: cannot create the mixclaves tables: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  int rc = 0;
  uint64_t sent = 0, received = 0, dropped = 0, late = 0, qfull = 0, other = 0, link = 0, unacc = 0;
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
      results_bind_int(lt, 1, c->run_id);
      results_bind_text(lt, 2, n->label);
      results_bind_text(lt, 3, n->loopix ? "loopix" : "mixclaves");
      results_bind_int(lt, 4, n->nodes);
      results_bind_int(lt, 5, n->hops);
      results_bind_int(lt, 6, n->enclave);
      results_bind_int(lt, 7, n->oblivious);
      results_bind_double(lt, 8, st->rate);
      results_bind_double(lt, 9, st->offered_per_s);
      results_bind_double(lt, 10, st->delivered_per_s);
      results_bind_int(lt, 11, (int64_t)st->sent);
      results_bind_int(lt, 12, (int64_t)st->received);
      results_bind_int(lt, 13, (int64_t)st->lost);
      results_bind_int(lt, 14, (int64_t)st->late);
      results_bind_int(lt, 15, (int64_t)st->queue_full);
      results_bind_int(lt, 16, (int64_t)st->other_drops);
      results_bind_int(lt, 17, (int64_t)st->link_lost);
      bind_or_null(lt, 18, st->p50_s);
      bind_or_null(lt, 19, st->p99_s);
      results_bind_int(lt, 20, (int64_t)st->unaccounted);
      results_bind_text(lt, 21, cfg->crypto); /* the codec: abstract or full (real Sphinx) */
      if (results_row(lt) != 0) rc = CM_EDB;
      if (!c->quiet)
        printf("%10.0f %10.1f %10.1f %8llu %8llu %10.2f %10.2f%s\n", st->rate, st->offered_per_s,
               st->delivered_per_s, (unsigned long long)st->lost, (unsigned long long)st->queue_full,
               st->p50_s * 1e3, st->p99_s * 1e3, st->unaccounted ? "  UNACCOUNTED" : "");
    }
  }
  if (!c->quiet)
    printf("\nTable 1 (price: %.6f $/h x %.0f h x (1 - %.2f); Mixclaves in an enclave: %s)\n"
           "%-14s %-10s %6s %14s %14s %14s %14s\n",
           cfg->price.usd_per_hour, cfg->price.hours_per_month, cfg->price.discount,
           cfg->price.surcharge ? "+ surcharge per hour" : "x (1 + premium)", "config", "mixnet", "nodes",
           "peak msg/s", "$/node-month", "monthly $", "seed monthly $");
  for (uint32_t i = 0; i < cfg->nconfigs; i++) {
    const struct mxc_net_config *n = &cfg->configs[i];
    double per = mxc__node_month_usd(&cfg->price, !n->loopix), month = per * n->nodes, seed = seed_monthly(n);
    results_bind_int(ct, 1, c->run_id);
    results_bind_text(ct, 2, n->label);
    results_bind_text(ct, 3, n->loopix ? "Loopix" : "Mixclaves");
    results_bind_int(ct, 4, n->nodes);
    results_bind_int(ct, 5, n->hops);
    results_bind_double(ct, 6, peak[i]);
    results_bind_double(ct, 7, per);
    results_bind_double(ct, 8, round(month * 100) / 100);
    bind_or_null(ct, 9, seed);
    if (results_row(ct) != 0) rc = CM_EDB;
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
      {"link_lost", link},            {"packets_unaccounted", unacc},
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
           "full, %llu other; %llu lost on links; %llu unaccounted\n",
           (unsigned long long)sent, (unsigned long long)received, (unsigned long long)dropped,
           (unsigned long long)late, (unsigned long long)qfull, (unsigned long long)other, (unsigned long long)link,
           (unsigned long long)unacc);
  if (!c->quiet)
    printf("packet secrets (keys, padding, paths, delays): reproducible from (scenario, seed, version); a "
           "simulation, not secret\n");
  if (unacc) {
    fprintf(stderr, "cloudmix: %llu packets unaccounted for at the end of the run\n", (unsigned long long)unacc);
    return CM_EXIT_FAILED;
  }
  return CM_EXIT_OK;
}
