/* The fleet recorder (fleet_rec.h): per-UAV latency arrays, exact
 * percentiles per UAV and over the fleet, the tables fleet_uavs and
 * fleet_placements, and the printed comparison of placements. */
#include "fleet_rec.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "stats.h"

static const char create_uavs[] =
    "CREATE TABLE IF NOT EXISTS fleet_uavs ("
    " run_id INTEGER NOT NULL, placement TEXT NOT NULL, uav INTEGER NOT NULL,"
    " calls INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " mean_latency_s REAL, p50_latency_s REAL, p95_latency_s REAL, p99_latency_s REAL, cost_usd REAL NOT NULL,"
    " local_edge INTEGER NOT NULL, remote_edge INTEGER NOT NULL, cloud INTEGER NOT NULL,"
    " zone_changes INTEGER NOT NULL, path_km REAL NOT NULL)";
static const char insert_uavs[] = "INSERT INTO fleet_uavs VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_placements[] =
    "CREATE TABLE IF NOT EXISTS fleet_placements ("
    " run_id INTEGER NOT NULL, placement TEXT NOT NULL, uavs INTEGER NOT NULL,"
    " calls INTEGER NOT NULL, completed INTEGER NOT NULL, failed INTEGER NOT NULL,"
    " mean_latency_s REAL, p50_latency_s REAL, p95_latency_s REAL, p99_latency_s REAL,"
    " uav_p95_median_s REAL, uav_p95_max_s REAL, uav_failed_max INTEGER NOT NULL,"
    " cost_usd REAL NOT NULL, cost_per_1000_usd REAL,"
    " local_edge_share REAL, remote_edge_share REAL, cloud_share REAL,"
    " zone_changes INTEGER NOT NULL, failed_throttled INTEGER NOT NULL, failed_error INTEGER NOT NULL,"
    " failed_timeout INTEGER NOT NULL, failed_network INTEGER NOT NULL, failed_other INTEGER NOT NULL)";
static const char insert_placements[] =
    "INSERT INTO fleet_placements VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
/* struct fleet_rec_summary.failed_by, in order; anything else is "other" */
static const char *const reasons[FLEET_REC_NREASONS - 1] = {"throttled", "error", "timeout", "network"};

struct uav {
  GArray *lat; /* double s, completed calls */
  uint64_t calls, failed, on[3], zone_changes;
  double cost, path_km;
};

struct fleet_rec {
  char placement[32];
  uint64_t failed_by[FLEET_REC_NREASONS];
  uint32_t nuavs, np;
  enum fleet_rec_tier *tiers;
  struct uav *u;
  uint64_t calls;
};

fleet_rec *fleet_rec_new(uint32_t nuavs, const char *placement, const enum fleet_rec_tier *tiers,
                         uint32_t nproviders) {
  fleet_rec *r = g_new0(fleet_rec, 1);
  g_strlcpy(r->placement, placement ? placement : "", sizeof r->placement);
  r->nuavs = nuavs;
  r->np = nproviders;
  r->tiers = g_new0(enum fleet_rec_tier, nproviders + 1);
  if (nproviders) memcpy(r->tiers, tiers, sizeof *tiers * nproviders);
  r->u = g_new0(struct uav, nuavs + 1);
  for (uint32_t i = 0; i < nuavs; i++) r->u[i].lat = g_array_new(FALSE, FALSE, sizeof(double));
  return r;
}

void fleet_rec_free(fleet_rec *r) {
  if (!r) return;
  for (uint32_t i = 0; i < r->nuavs; i++) g_array_free(r->u[i].lat, TRUE);
  g_free(r->u);
  g_free(r->tiers);
  g_free(r);
}

void fleet_rec_call(void *arg, uint32_t uav, int provider, const struct sched_record *rec) {
  fleet_rec *r = arg;
  if (uav >= r->nuavs) cm_fatal(CM_LOC, "fleet_rec: a call of UAV %u of %u", uav, r->nuavs);
  struct uav *u = &r->u[uav];
  r->calls++;
  u->calls++;
  u->cost += rec->cost_usd;
  if (rec->outcome == SCHED_FAILED) {
    u->failed++;
    int k = 0;
    while (k < FLEET_REC_NREASONS - 1 && (!rec->reason || strcmp(rec->reason, reasons[k]))) k++;
    r->failed_by[k]++;
    return;
  }
  double s = cm_time_to_s(rec->finished - rec->submitted);
  g_array_append_val(u->lat, s);
  if (provider >= 0 && (uint32_t)provider < r->np) u->on[r->tiers[provider]]++;
}

void fleet_rec_flight(fleet_rec *r, uint32_t uav, uint64_t zone_changes, double path_km) {
  if (uav >= r->nuavs) return;
  r->u[uav].zone_changes = zone_changes;
  r->u[uav].path_km = path_km;
}

uint64_t fleet_rec_calls(const fleet_rec *r) { return r->calls; }

void fleet_rec_uav_counts(const fleet_rec *r, uint32_t u, uint64_t *calls, uint64_t *completed, uint64_t *failed) {
  const struct uav *x = u < r->nuavs ? &r->u[u] : NULL;
  if (calls) *calls = x ? x->calls : 0;
  if (completed) *completed = x ? x->lat->len : 0;
  if (failed) *failed = x ? x->failed : 0;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

/* Sort u's latencies (once; idempotent) and give its percentiles. */
static void uav_figures(struct uav *u, double *mean, double *p50, double *p95, double *p99) {
  size_t n = u->lat->len;
  double *v = (double *)(void *)u->lat->data;
  if (!n) {
    *mean = *p50 = *p95 = *p99 = NAN;
    return;
  }
  qsort(v, n, sizeof *v, cmp_double);
  double sum = 0;
  for (size_t i = 0; i < n; i++) sum += v[i];
  *mean = sum / (double)n;
  *p50 = stats_percentile_sorted(v, n, 0.50);
  *p95 = stats_percentile_sorted(v, n, 0.95);
  *p99 = stats_percentile_sorted(v, n, 0.99);
}

void fleet_rec_summarize(const fleet_rec *r, double wall_s, struct fleet_rec_summary *out) {
  *out = (struct fleet_rec_summary){.placement = r->placement, .uavs = r->nuavs, .wall_s = wall_s};
  size_t total = 0;
  for (uint32_t i = 0; i < r->nuavs; i++) total += r->u[i].lat->len;
  double *all = g_new(double, total + 1), *p95s = g_new(double, r->nuavs + 1), sum = 0;
  size_t k = 0, nu = 0;
  uint64_t on[3] = {0};
  for (uint32_t i = 0; i < r->nuavs; i++) {
    struct uav *u = &r->u[i];
    double mean, p50, p95, p99;
    uav_figures(u, &mean, &p50, &p95, &p99);
    if (u->lat->len) p95s[nu++] = p95;
    memcpy(all + k, u->lat->data, sizeof(double) * u->lat->len);
    k += u->lat->len;
    out->calls += u->calls;
    out->failed += u->failed;
    out->cost_usd += u->cost;
    out->zone_changes += u->zone_changes;
    if (u->failed > out->uav_failed_max) out->uav_failed_max = u->failed;
    for (int t = 0; t < 3; t++) on[t] += u->on[t];
  }
  out->completed = total;
  memcpy(out->failed_by, r->failed_by, sizeof out->failed_by);
  qsort(all, total, sizeof *all, cmp_double);
  qsort(p95s, nu, sizeof *p95s, cmp_double);
  for (size_t i = 0; i < total; i++) sum += all[i];
  out->mean_s = total ? sum / (double)total : NAN;
  out->p50_s = total ? stats_percentile_sorted(all, total, 0.50) : NAN;
  out->p95_s = total ? stats_percentile_sorted(all, total, 0.95) : NAN;
  out->p99_s = total ? stats_percentile_sorted(all, total, 0.99) : NAN;
  out->uav_p95_median_s = nu ? stats_percentile_sorted(p95s, nu, 0.50) : NAN;
  out->uav_p95_max_s = nu ? p95s[nu - 1] : NAN;
  out->cost_per_1000_usd = out->calls ? out->cost_usd * 1000 / (double)out->calls : NAN;
  for (int t = 0; t < 3; t++) out->share[t] = total ? (double)on[t] / (double)total : NAN;
  g_free(all);
  g_free(p95s);
}

int fleet_rec_write(const fleet_rec *r, results *db, int64_t run_id, const struct fleet_rec_summary *m) {
  results_table *tu = results_table_new(db, create_uavs, insert_uavs);
  results_table *tp = results_table_new(db, create_placements, insert_placements);
  if (!tu || !tp) return CM_EDB;
  int rc = 0;
  for (uint32_t i = 0; i < r->nuavs && rc == 0; i++) {
    struct uav *u = &r->u[i];
    double mean, p50, p95, p99;
    uav_figures(u, &mean, &p50, &p95, &p99);
    int c = 1;
    results_bind_int(tu, c++, run_id);
    results_bind_text(tu, c++, r->placement);
    results_bind_int(tu, c++, i);
    results_bind_int(tu, c++, (int64_t)u->calls);
    results_bind_int(tu, c++, (int64_t)u->lat->len);
    results_bind_int(tu, c++, (int64_t)u->failed);
    results_bind_double(tu, c++, mean);
    results_bind_double(tu, c++, p50);
    results_bind_double(tu, c++, p95);
    results_bind_double(tu, c++, p99);
    results_bind_double(tu, c++, u->cost);
    for (int t = 0; t < 3; t++) results_bind_int(tu, c++, (int64_t)u->on[t]);
    results_bind_int(tu, c++, (int64_t)u->zone_changes);
    results_bind_double(tu, c++, u->path_km);
    rc = results_row(tu);
  }
  if (rc != 0) return CM_EDB;
  int c = 1;
  results_bind_int(tp, c++, run_id);
  results_bind_text(tp, c++, r->placement);
  results_bind_int(tp, c++, m->uavs);
  results_bind_int(tp, c++, (int64_t)m->calls);
  results_bind_int(tp, c++, (int64_t)m->completed);
  results_bind_int(tp, c++, (int64_t)m->failed);
  const double v[] = {m->mean_s, m->p50_s, m->p95_s, m->p99_s, m->uav_p95_median_s, m->uav_p95_max_s};
  for (size_t i = 0; i < G_N_ELEMENTS(v); i++) results_bind_double(tp, c++, v[i]);
  results_bind_int(tp, c++, (int64_t)m->uav_failed_max);
  results_bind_double(tp, c++, m->cost_usd);
  results_bind_double(tp, c++, m->cost_per_1000_usd);
  for (int t = 0; t < 3; t++) results_bind_double(tp, c++, m->share[t]);
  results_bind_int(tp, c++, (int64_t)m->zone_changes);
  for (int k = 0; k < FLEET_REC_NREASONS; k++) results_bind_int(tp, c++, (int64_t)m->failed_by[k]);
  return results_row(tp) == 0 ? 0 : CM_EDB;
}

void fleet_rec_print(const struct fleet_rec_summary *rows, uint32_t n, double duration_s) {
  if (!n) return;
  printf("fleet: %u UAVs, %g s; latency over completed calls (s), per-UAV p95 across UAVs\n", rows[0].uavs,
         duration_s);
  printf("%-14s %9s %9s %8s %8s %8s %8s %8s %10s %10s %10s %9s %7s %7s %7s\n", "placement", "calls", "completed",
         "failed", "mean", "p50", "p95", "p99", "uav p95 md", "uav p95 mx", "$", "$/1000", "local", "remote",
         "cloud");
  for (uint32_t i = 0; i < n; i++) {
    const struct fleet_rec_summary *m = &rows[i];
    printf("%-14s %9llu %9llu %8llu %8.3f %8.3f %8.3f %8.3f %10.3f %10.3f %10.4f %9.5f %6.1f%% %6.1f%% %6.1f%%\n",
           m->placement, (unsigned long long)m->calls, (unsigned long long)m->completed,
           (unsigned long long)m->failed, m->mean_s, m->p50_s, m->p95_s, m->p99_s, m->uav_p95_median_s,
           m->uav_p95_max_s, m->cost_usd, m->cost_per_1000_usd, 100 * m->share[0], 100 * m->share[1],
           100 * m->share[2]);
  }
  for (uint32_t i = 0; i < n; i++)
    printf("  %s failures: %llu throttled, %llu error, %llu timeout, %llu network, %llu other\n", rows[i].placement,
           (unsigned long long)rows[i].failed_by[0], (unsigned long long)rows[i].failed_by[1],
           (unsigned long long)rows[i].failed_by[2], (unsigned long long)rows[i].failed_by[3],
           (unsigned long long)rows[i].failed_by[4]);
}
