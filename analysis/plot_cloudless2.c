/* The Cloudless II figure kinds: storage (cloudless_storage_scan,
 * analysis/SCHEMA.md), the heatmap of seed Fig. 6, mean write time of the
 * scan's largest size from each source location (rows, in scan order) to
 * each destination store (columns), the value printed in every cell; and
 * workflow placement (cloudless_workflow, cloudless_pareto), seed Table 1.
 * Helpers in plot_io.c. */
#include <stdlib.h>
#include <string.h>

#include "plot_impl.h"

int plot__cl_fig6(struct plot_ctx *p) {
  /* Cells of the largest size: x = store ordinal, y = location ordinal (by
   * first row written), value, then the tic labels. */
  static const char sql[] =
      "WITH m AS (SELECT max(bytes) AS b FROM cloudless_storage_scan WHERE run_id = ?1),"
      " r AS (SELECT s.rowid AS o, location, store, write_s FROM cloudless_storage_scan s, m"
      "       WHERE run_id = ?1 AND bytes = m.b),"
      " lo AS (SELECT location, dense_rank() OVER (ORDER BY min(o)) - 1 AS y FROM r GROUP BY location),"
      " st AS (SELECT store, dense_rank() OVER (ORDER BY min(o)) - 1 AS x FROM r GROUP BY store)"
      " SELECT st.x, lo.y, r.write_s, r.store, r.location FROM r JOIN lo USING (location) JOIN st USING (store)"
      " ORDER BY lo.y, st.x";
  static const char size_sql[] =
      "SELECT CASE WHEN b % 1048576 = 0 THEN printf('%d MB', b / 1048576)"
      " WHEN b % 1024 = 0 THEN printf('%d KB', b / 1024) ELSE printf('%d B', b) END"
      " FROM (SELECT max(bytes) AS b FROM cloudless_storage_scan WHERE run_id = ?1)";
  int rc = plot__need(p, "cloudless_storage_scan", NULL, "a cloudless run with [cloudless] experiment = storage-scan");
  if (rc < 0) return rc;
  int64_t n = plot__data(p, "fig6.dat", sql, NULL);
  if (n < 0) return (int)n;
  char *size = plot__text(p, size_sql);
  char *title = g_strdup_printf("Seed Fig. 6: mean write time of %s from each source to each store (s)",
                                size ? size : "the largest size");
  plot__title(p, title);
  g_free(title);
  g_free(size);
  p->height = 700;
  g_string_append(p->gp, "set xlabel 'destination store'\n"
                         "set ylabel 'source (compute location)'\n"
                         "set cblabel 'mean write time (s)'\n"
                         "set yrange [*:*] reverse\n"
                         "set tics scale 0\n"
                         "set palette defined (0 '#FFFFFF', 1 '#FDAE6B', 2 '#E6550D')\n"
                         "set cbrange [0:*]\n"
                         "unset key\n"
                         "plot 'fig6.dat' using 1:2:3 with image, \\\n"
                         "  '' using 1:2:(sprintf('%.3f', $3)):xtic(4):ytic(5) with labels\n");
  return plot__gnuplot(p);
}

/* The workflow figure kind (cloudless_workflow and cloudless_pareto): seed
 * Table 1 and the cost-time Pareto front of issue 6. One line per plan
 * (row of Table 1) through its front, least time under each budget; a large
 * marker at the placement the run chose and measured (cost estimate, mean
 * measured time). */
int plot__cl_table1(struct plot_ctx *p) {
  static const char front_sql[] =
      "SELECT plan, cost_usd * 1e6, time_s FROM cloudless_pareto WHERE run_id = ?1 ORDER BY rowid";
  static const char chosen_sql[] =
      "SELECT cost_usd * 1e6, time_s, plan FROM cloudless_workflow WHERE run_id = ?1 AND time_s IS NOT NULL";
  int rc = plot__need(p, "cloudless_workflow", NULL, "a cloudless run with [cloudless] experiment = workflow");
  if (rc < 0) return rc;
  GPtrArray *plans = g_ptr_array_new_with_free_func(g_free);
  int64_t nf = plot__has_table(p, "cloudless_pareto") ? plot__data(p, "front.dat", front_sql, plans) : 0;
  int64_t nc = nf < 0 ? nf : plot__data(p, "chosen.dat", chosen_sql, NULL);
  if (nf < 0 || nc < 0) {
    g_ptr_array_free(plans, TRUE);
    return (int)(nf < 0 ? nf : nc);
  }
  plot__title(p, "Seed Table 1: the Fig. 7 workflow placed per provider set; lines: least time under each budget");
  g_string_append(p->gp, "set xlabel 'cost of one run (micro-dollars, estimate)'\n"
                         "set ylabel 'end-to-end time (s)'\n"
                         "set key outside right\n"
                         "set grid\n"
                         "plot ");
  for (guint i = 0; i < plans->len; i++) {
    g_string_append_printf(p->gp, "'front.dat' index %u using 1:2 with linespoints lw 2 %s ps 0.8 title ", i,
                           plot__series_style(i));
    plot__quote(p->gp, g_ptr_array_index(plans, i));
    g_string_append(p->gp, ", \\\n  ");
  }
  g_string_append(p->gp, "'chosen.dat' using 1:2 with points pt 5 ps 2.2 lc rgb 'black' title 'placed and run (mean time)', \\\n"
                         "  '' using 1:2:3 with labels offset 0,1.3 notitle\n");
  g_ptr_array_free(plans, TRUE);
  return plot__gnuplot(p);
}

/* Periodic scheduling (cloudless_workflow rows with at_ns, cloudless_replan):
 * per plan, each planning round's estimate and the measured mean time of
 * the runs until the next round, over simulated time; dashed lines where a
 * round moved a node. */
int plot__cl_replan(struct plot_ctx *p) {
  static const char sql[] =
      "SELECT plan, at_ns / 1e9, estimate_s, time_s FROM cloudless_workflow WHERE run_id = ?1 ORDER BY plan, at_ns";
  int rc = plot__need(p, "cloudless_workflow", NULL, "a cloudless run with [cloudless] experiment = workflow");
  if (rc < 0) return rc;
  plot__title(p, "Seed 5.3 d: periodic scheduling of the workflow (dashed: a round moved nodes)");
  int64_t m = plot__markers(p, "cloudless_replan",
                            "SELECT DISTINCT at_ns / 1e9, 'moved' FROM cloudless_replan WHERE run_id = ?1 ORDER BY 1", 2);
  GPtrArray *plans = g_ptr_array_new_with_free_func(g_free);
  int64_t n = m < 0 ? m : plot__data(p, "replan.dat", sql, plans);
  if (n >= 0) {
    g_string_append(p->gp, "set xlabel 'simulated time (s)'\n"
                           "set ylabel 'end-to-end time (s)'\n"
                           "set yrange [0:*]\n"
                           "set key below\n"
                           "plot ");
    for (guint i = 0; i < plans->len; i++) {
      const char *name = g_ptr_array_index(plans, i);
      const char *st = plot__series_style(i);
      g_string_append_printf(p->gp, "%s'replan.dat' index %u using 1:3 with steps lw 2 dt %d title ",
                             i ? ", \\\n  " : "", i, atoi(st + 3));
      plot__quote(p->gp, name);
      g_string_append_printf(p->gp, ", \\\n  '' index %u using 1:2 with points pt %s ps 1.2 title ", i,
                             strstr(st, "pt ") + 3);
      char *t = g_strdup_printf("%s: estimate at each round", name);
      plot__quote(p->gp, t);
      g_free(t);
    }
    g_string_append_c(p->gp, '\n');
  }
  g_ptr_array_free(plans, TRUE);
  return n < 0 ? (int)n : plot__gnuplot(p);
}
