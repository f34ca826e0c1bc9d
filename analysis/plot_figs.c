/* One function per figure kind: the queries that make its data files and
 * the gnuplot script that draws it (helpers in plot_io.c). Throughput is
 * smoothed in SQL by a centered moving average over PLOT_WINDOW buckets
 * (fewer at either end); standard deviations are sample ones (n - 1). */
#include <string.h>

#include "plot_impl.h"

/* Append one plot clause per group of file, styled by `with` and, so that
 * groups differ without colour, by a fill pattern each (pi 0: histogram
 * bars) or a dash and point type each, a point every pi samples. */
static void clauses(struct plot_ctx *p, const char *file, const char *using, const char *with,
                    const GPtrArray *groups, int pi) {
  for (guint i = 0; i < groups->len; i++) {
    if (i == 0) g_string_append_printf(p->gp, "'%s'", file);
    else g_string_append(p->gp, ", \\\n  ''");
    g_string_append_printf(p->gp, " index %u using %s %s ", i, using, with);
    if (pi > 0) g_string_append_printf(p->gp, "%s pi %d title ", plot__series_style(i), pi);
    else g_string_append_printf(p->gp, "fs pattern %u border -1 title ", i % 7 + 1);
    plot__quote(p->gp, g_ptr_array_index(groups, i));
  }
}

int plot__fig5(struct plot_ctx *p) {
  static const char sql[] =
      "WITH c AS (SELECT rowid AS r, function, provider, mean_exec_s, sd_exec_s FROM cloudless_providers"
      "           WHERE run_id = ?1 AND function <> '*'),"
      " pr AS (SELECT provider, min(r) AS o FROM c GROUP BY provider),"
      " fn AS (SELECT function, min(r) AS o FROM c GROUP BY function)"
      " SELECT fn.function, pr.provider, c.mean_exec_s, c.sd_exec_s"
      " FROM fn CROSS JOIN pr LEFT JOIN c ON c.function = fn.function AND c.provider = pr.provider"
      " ORDER BY fn.o, pr.o";
  int rc = plot__need(p, "cloudless_providers", "function <> '*'",
                      "one row per function and provider, from a scenario with [workload] mode = per_provider");
  if (rc < 0) return rc;
  GPtrArray *fns = g_ptr_array_new_with_free_func(g_free);
  int64_t n = plot__data(p, "fig5.dat", sql, fns);
  if (n < 0) {
    g_ptr_array_free(fns, TRUE);
    return (int)n;
  }
  plot__title(p, "Seed Fig. 5: mean execution time per provider and function (error bars: 1 sd)");
  g_string_append(p->gp, "set style data histograms\n"
                         "set style histogram errorbars gap 2 lw 1\n"
                         "set boxwidth 0.9\n"
                         "set xtics rotate by 30 right nomirror\n"
                         "set xlabel 'provider'\n"
                         "set ylabel 'mean execution time (s)'\n"
                         "set yrange [0:*]\n"
                         "set key top left\n"
                         "plot ");
  clauses(p, "fig5.dat", "2:3:xtic(1)", "", fns, 0);
  g_string_append_c(p->gp, '\n');
  g_ptr_array_free(fns, TRUE);
  return plot__gnuplot(p);
}

/* Per-provider smoothed throughput into thr.dat; the plot clauses (and,
 * with total, the smoothed sum over providers from total.dat) go to p->gp. */
static int throughput(struct plot_ctx *p, int total) {
  int half = PLOT_WINDOW / 2;
  char *per = g_strdup_printf(
      "WITH s AS (SELECT rowid AS r, provider, t_ns / 1e9 AS t_s, throughput_per_s AS y FROM cloudless_series WHERE run_id = ?1),"
      " o AS (SELECT provider, min(r) AS o FROM s GROUP BY provider)"
      " SELECT provider, t_s, avg(y) OVER (PARTITION BY provider ORDER BY t_s ROWS BETWEEN %d PRECEDING AND %d FOLLOWING)"
      " FROM s JOIN o USING (provider) ORDER BY o.o, t_s",
      half, half);
  char *sum = g_strdup_printf(
      "WITH s AS (SELECT t_ns / 1e9 AS t_s, sum(throughput_per_s) AS y FROM cloudless_series WHERE run_id = ?1 GROUP BY t_ns)"
      " SELECT t_s, avg(y) OVER (ORDER BY t_s ROWS BETWEEN %d PRECEDING AND %d FOLLOWING) FROM s ORDER BY t_s",
      half, half);
  GPtrArray *provs = g_ptr_array_new_with_free_func(g_free);
  int64_t n = plot__need(p, "cloudless_series", NULL, "the per-bucket series every cloudless run writes");
  if (n == 0) n = plot__data(p, "thr.dat", per, provs);
  if (n >= 0 && total) n = plot__data(p, "total.dat", sum, NULL);
  if (n >= 0) {
    g_string_append_printf(p->gp,
                           "set xlabel 'time (s)'\n"
                           "set ylabel 'throughput (completed calls/s, moving average of %d buckets)'\n"
                           "set xrange [0:*]\n"
                           "set autoscale xfixmax\n"
                           "set yrange [0:*]\n"
                           "set offsets 0, 0, graph 0.08, 0\n"
                           "set key outside right top\n"
                           "plot ",
                           PLOT_WINDOW);
    clauses(p, "thr.dat", "1:2", "with linespoints lw 2 ps 0.9", provs, 4);
    if (total) g_string_append(p->gp, ", \\\n  'total.dat' using 1:2 with lines lw 2.5 lc 'black' title 'total'");
    g_string_append_c(p->gp, '\n');
  }
  g_ptr_array_free(provs, TRUE);
  g_free(per);
  g_free(sum);
  return n < 0 ? (int)n : 0;
}

int plot__fig8(struct plot_ctx *p) {
  char *t = g_strdup_printf("Seed Fig. 8: throughput per provider and in total under concurrency limits (window %d)",
                            PLOT_WINDOW);
  plot__title(p, t);
  g_free(t);
  int rc = throughput(p, 1);
  return rc < 0 ? rc : plot__gnuplot(p);
}

int plot__fig9(struct plot_ctx *p) {
  char *t = g_strdup_printf("Seed Fig. 9: throughput per provider under successive outages (window %d; "
                            "dashed: outage starts)",
                            PLOT_WINDOW);
  plot__title(p, t);
  g_free(t);
  int64_t rc = plot__markers(p, "cloudless_events",
                             "SELECT t_ns / 1e9, substr(what, 1, length(what) - length(' start')) FROM cloudless_events"
                             " WHERE run_id = ?1 AND kind = 'fault' AND what LIKE '% start' ORDER BY t_ns, rowid",
                             2);
  if (rc >= 0) rc = throughput(p, 0);
  return rc < 0 ? (int)rc : plot__gnuplot(p);
}

int plot__sec65(struct plot_ctx *p) {
  static const char sql[] =
      "WITH c AS (SELECT provider, latency_ns / 1e9 AS y,"
      "             row_number() OVER (PARTITION BY provider ORDER BY submitted_ns, call) AS i,"
      "             min(rowid) OVER (PARTITION BY provider) AS o"
      "           FROM cloudless_calls WHERE run_id = ?1 AND outcome = 'completed' AND provider IS NOT NULL),"
      " s AS (SELECT provider, count(*) AS n, avg(y) AS m, sum(y) AS t, sum(y * y) AS q FROM c GROUP BY provider)"
      " SELECT CASE WHEN n > 1"
      "   THEN printf('%s: mean %.3f s, sd %.3f s', provider, m, sqrt(max(0, (q - t * t / n) / (n - 1))))"
      "   ELSE printf('%s: mean %.3f s', provider, m) END, i, y"
      " FROM c JOIN s USING (provider) ORDER BY o, i";
  int rc = plot__need(p, "cloudless_calls", "outcome = 'completed'",
                      "one row per call: run the scenario with record = calls in [cloudless]");
  if (rc < 0) return rc;
  GPtrArray *provs = g_ptr_array_new_with_free_func(g_free);
  int64_t n = plot__data(p, "sec65.dat", sql, provs);
  if (n >= 0) {
    p->height = 700;
    plot__title(p, "Seed section 6.5: latency of consecutive calls on each provider");
    g_string_append(p->gp, "set xlabel 'call (in order, per provider)'\n"
                           "set ylabel 'latency (s)'\n"
                           "set yrange [0:*]\n"
                           "set key below\n"
                           "plot ");
    clauses(p, "sec65.dat", "1:2", "with linespoints lw 1 ps 0.8", provs, 50);
    g_string_append_c(p->gp, '\n');
  }
  g_ptr_array_free(provs, TRUE);
  return n < 0 ? (int)n : plot__gnuplot(p);
}

int plot__uav(struct plot_ctx *p) {
  static const char failed[] = "failed calls";
  static const char sql[] =
      "WITH c AS (SELECT rowid AS r, CASE WHEN outcome = 'completed' THEN provider ELSE 'failed calls' END AS g,"
      "             submitted_ns / 1e9 AS x, latency_ns / 1e9 AS y FROM cloudless_calls WHERE run_id = ?1),"
      " o AS (SELECT g, min(r) + CASE WHEN g = 'failed calls' THEN 1e18 ELSE 0 END AS o FROM c GROUP BY g)"
      " SELECT g, x, y FROM c JOIN o USING (g) ORDER BY o.o, x";
  int rc = plot__need(p, "cloudless_calls", NULL, "one row per call: run the scenario with record = calls in [cloudless]");
  if (rc < 0) return rc;
  plot__title(p, "UAV flight (seed section 3): latency of each call over flight time by provider; lines: zone changes");
  int64_t n = plot__markers(p, "cloudless_events", "SELECT t_ns / 1e9, what FROM cloudless_events WHERE run_id = ?1 AND kind = 'zone'"
                               " ORDER BY t_ns, rowid", 4);
  GPtrArray *groups = g_ptr_array_new_with_free_func(g_free);
  if (n >= 0) n = plot__data(p, "uav.dat", sql, groups);
  if (n >= 0) {
    g_string_append(p->gp, "set xlabel 'flight time (s)'\n"
                           "set ylabel 'latency (s)'\n"
                           "set xrange [0:*]\n"
                           "set autoscale xfixmax\n"
                           "set yrange [0:*]\n"
                           "set offsets 0, 0, graph 0.08, 0\n"
                           "set key outside right top\n"
                           "plot ");
    for (guint i = 0; i < groups->len; i++) {
      const char *g = g_ptr_array_index(groups, i);
      char *style = strcmp(g, failed) ? g_strdup_printf("pt %s ps 0.6", strstr(plot__series_style(i), "pt ") + 3)
                                      : g_strdup("pt 2 ps 0.9 lc 'red'");
      g_string_append_printf(p->gp, "%s'uav.dat' index %u using 1:2 with points %s title ", i ? ", \\\n  " : "", i,
                             style);
      g_free(style);
      plot__quote(p->gp, g);
    }
    g_string_append_c(p->gp, '\n');
  }
  g_ptr_array_free(groups, TRUE);
  return n < 0 ? (int)n : plot__gnuplot(p);
}

int plot__compare(struct plot_ctx *p) {
  static const char sql[] =
      "SELECT policy,"
      " max(CASE WHEN metric = 'mean_latency_s' THEN mean END),"
      " coalesce(max(CASE WHEN metric = 'mean_latency_s' THEN ci95 END), 0),"
      " max(CASE WHEN metric = 'cost_per_1000_usd' THEN mean END),"
      " coalesce(max(CASE WHEN metric = 'cost_per_1000_usd' THEN ci95 END), 0)"
      " FROM compare_results WHERE first_run_id = ?1 GROUP BY policy ORDER BY min(rowid)";
  static const char info[] =
      "SELECT printf('%d seeds per policy from seed %d, runs %d..%d', max(seeds), min(first_seed), first_run_id,"
      " first_run_id + count(DISTINCT policy) * max(seeds) - 1) FROM compare_results WHERE first_run_id = ?1";
  int64_t n = plot__data(p, "compare.dat", sql, NULL);
  if (n < 0) return (int)n;
  char *sets = plot__text(p, info);
  char *t = g_strdup_printf("Policy comparison (cloudmix compare): mean latency and cost per 1000 calls, 95%% CI\n"
                            "%s, %s",
                            p->scenario, sets ? sets : "?");
  p->width = 900;
  p->height = 900;
  g_string_append(p->gp, "set multiplot layout 2,1 title ");
  plot__quote(p->gp, t);
  g_free(t);
  g_free(sets);
  g_string_append_printf(
      p->gp,
      "\nset style fill solid 0.7 border -1\n"
      "set xtics rotate by 30 right nomirror\n"
      "set bmargin 7\n"
      "set xrange [-0.6:%lld - 0.4]\n"
      "set yrange [0:*]\n"
      "set ylabel 'mean latency (s)'\n"
      "plot 'compare.dat' using 0:2:(0.6):($0 + 1):xtic(1) with boxes lc variable notitle, \\\n"
      "  '' using 0:2:3 with yerrorbars lc 'black' pt 7 ps 0.4 lw 1.5 notitle\n"
      "set xlabel 'policy'\n"
      "set ylabel 'cost per 1000 calls (USD)'\n"
      "plot 'compare.dat' using 0:4:(0.6):($0 + 1):xtic(1) with boxes lc variable notitle, \\\n"
      "  '' using 0:4:5 with yerrorbars lc 'black' pt 7 ps 0.4 lw 1.5 notitle\n"
      "unset multiplot\n",
      (long long)n);
  return plot__gnuplot(p);
}
