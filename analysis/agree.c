/* Sim and real side by side (agree.h): reading one run's calls. */
#include "agree.h"

#include <math.h>
#include <string.h>

#include <glib.h>
#include <sqlite3.h>

#include "stats.h"

static const struct cost_price *price_of(const struct agree_price *p, uint32_t n, const char *name) {
  for (uint32_t i = 0; name && i < n; i++)
    if (!strcmp(p[i].provider, name)) return &p[i].price;
  return NULL;
}

int agree_load(const char *path, int64_t run_id, const struct agree_price *prices, uint32_t nprices,
               struct agree_side *out, char **err) {
  memset(out, 0, sizeof *out);
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  int rc = CM_EINVAL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    *err = g_strdup_printf("%s: cannot open: %s", path, db ? sqlite3_errmsg(db) : "out of memory");
    goto out;
  }
  if (sqlite3_prepare_v2(db, "SELECT status FROM runs WHERE id = ?", -1, &st, NULL) != SQLITE_OK) {
    *err = g_strdup_printf("%s: cannot read runs: %s", path, sqlite3_errmsg(db));
    goto out;
  }
  sqlite3_bind_int64(st, 1, run_id);
  const char *status = sqlite3_step(st) == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
  if (!status || strcmp(status, "complete") != 0) {
    *err = status ? g_strdup_printf("%s: run %lld is %s; expected a complete run", path, (long long)run_id, status)
                  : g_strdup_printf("%s: no run %lld", path, (long long)run_id);
    rc = status ? CM_EINVAL : CM_ENOENT;
    goto out;
  }
  sqlite3_finalize(st);
  st = NULL;
  if (sqlite3_prepare_v2(db,
                         "SELECT provider, latency_ns, exec_ns, attempts, cost_usd, outcome FROM cloudless_calls"
                         " WHERE run_id = ? ORDER BY call",
                         -1, &st, NULL) != SQLITE_OK) {
    *err = g_strdup_printf("%s: no per-call rows (run with [cloudless] record = calls): %s", path, sqlite3_errmsg(db));
    goto out;
  }
  sqlite3_bind_int64(st, 1, run_id);
  GArray *lat = g_array_new(FALSE, FALSE, sizeof(double));
  int step;
  while ((step = sqlite3_step(st)) == SQLITE_ROW) {
    const char *prov = (const char *)sqlite3_column_text(st, 0);
    double l = (double)sqlite3_column_int64(st, 1) / 1e9, cost = sqlite3_column_double(st, 4);
    const char *outcome = (const char *)sqlite3_column_text(st, 5);
    out->calls++;
    out->cost_usd += cost;
    if (!outcome || strcmp(outcome, "completed") != 0) {
      out->failed += outcome && !strcmp(outcome, "failed");
      continue;
    }
    out->completed++;
    g_array_append_val(lat, l);
    const struct cost_price *p = price_of(prices, nprices, prov);
    if (p && sqlite3_column_int64(st, 3) == 1 && sqlite3_column_type(st, 2) != SQLITE_NULL) {
      double d = fabs(cost - cost_invocation(p, (cm_time)sqlite3_column_int64(st, 2), true));
      if (d > out->cost_max_diff) out->cost_max_diff = d;
      out->cost_checked++;
    }
  }
  if (step != SQLITE_DONE) {
    *err = g_strdup_printf("%s: reading cloudless_calls: %s", path, sqlite3_errmsg(db));
    g_array_free(lat, TRUE);
    goto out;
  }
  out->n = lat->len;
  out->lat_s = (double *)g_array_free(lat, FALSE);
  if (out->n == 0) {
    *err = g_strdup_printf("%s: run %lld has no completed call to compare", path, (long long)run_id);
    goto out;
  }
  struct stats_summary sum;
  stats_summary(out->lat_s, out->n, &sum);
  out->mean_s = sum.mean;
  stats_percentile(out->lat_s, out->n, 0.5, &out->median_s);
  stats_percentile(out->lat_s, out->n, 0.99, &out->p99_s);
  rc = 0;
out:
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rc;
}

void agree_side_free(struct agree_side *s) {
  g_free(s->lat_s);
  s->lat_s = NULL;
}
