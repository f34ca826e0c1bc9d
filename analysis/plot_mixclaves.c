/* The mixclaves figure kinds (model `mixclaves`, analysis/SCHEMA.md
 * "Mixclaves tables"): the store/read address scatter of the delay-buffer
 * variants (seed Fig. 1), throughput against round-trip latency per
 * configuration (seed Fig. 8 and Fig. 9) and peak throughput and monthly
 * cost per mixnet row (seed Table 1). Helpers in plot_io.c. */
#include "plot_impl.h"

int plot__mx_fig1(struct plot_ctx *p) {
  /* One block per variant in mixclaves_buffer order; its name is the panel
   * title: letter, variant, R, and the seed's R ((c) is ours: the target). */
  static const char sql[] =
      "WITH b AS (SELECT rowid AS o, variant, r, seed_r FROM mixclaves_buffer WHERE run_id = ?1)"
      " SELECT printf('(%s) %s: R = %s%s',"
      "   CASE b.variant WHEN 'append' THEN 'a' WHEN 'random' THEN 'b' WHEN 'oblivious' THEN 'c' ELSE '?' END,"
      "   b.variant, CASE WHEN b.r IS NULL THEN 'undefined' ELSE printf('%.4f', b.r) END,"
      "   CASE WHEN b.variant = 'oblivious' THEN ' (target |R| <= 0.01)'"
      "        WHEN b.seed_r IS NULL THEN '' ELSE printf(' (seed %.3g)', b.seed_r) END),"
      "   x.store, x.read"
      " FROM mixclaves_buffer_pairs x JOIN b USING (variant) WHERE x.run_id = ?1 ORDER BY b.o, x.k";
  int rc = plot__need(p, "mixclaves_buffer", NULL, "a mixclaves run with [mixclaves] experiment = buffer");
  if (rc == 0)
    rc = plot__need(p, "mixclaves_buffer_pairs", NULL,
                    "the sampled (store, read) pairs of [mixclaves] experiment = buffer with pairs > 0");
  if (rc < 0) return rc;
  GPtrArray *vars = g_ptr_array_new_with_free_func(g_free);
  int64_t n = plot__data(p, "fig1.dat", sql, vars);
  if (n >= 0) {
    int cols = (int)vars->len;
    p->width = 520 * cols;
    p->height = 600;
    plot__multiplot(p, 1, cols, "Seed Fig. 1: address a packet is stored at vs the address it is read from, per delay buffer");
    g_string_append(p->gp, "set xlabel 'store address (cell)'\n"
                           "set ylabel 'read address (cell)'\n"
                           "set size square\n"
                           "set grid xtics ytics lc 'gray85'\n"
                           "unset key\n");
    for (guint i = 0; i < vars->len; i++) {
      g_string_append(p->gp, "set title ");
      plot__quote(p->gp, g_ptr_array_index(vars, i));
      g_string_append_printf(p->gp, "\nplot 'fig1.dat' index %u using 1:2 with points pt 7 ps 0.25 lc rgb '#A0%s'\n",
                             i, i == 0 ? "1F77B4" : i == 1 ? "FF7F0E" : "2CA02C");
    }
    g_string_append(p->gp, "unset multiplot\n");
  }
  g_ptr_array_free(vars, TRUE);
  return n < 0 ? (int)n : plot__gnuplot(p);
}

/* Delivered msg/s against p50 (solid) and p99 (dashed) RTT, one colour per
 * configuration, points in offered-load order. */
static int load_curves(struct plot_ctx *p, const char *title) {
  static const char sql[] =
      "WITH l AS (SELECT rowid AS r, * FROM mixclaves_load WHERE run_id = ?1),"
      " o AS (SELECT config, min(r) AS o FROM l GROUP BY config)"
      " SELECT printf('%s (%s, %d node%s, %d hop%s%s%s)', l.config, l.topology, l.nodes,"
      "   CASE WHEN l.nodes = 1 THEN '' ELSE 's' END, l.hops, CASE WHEN l.hops = 1 THEN '' ELSE 's' END,"
      "   CASE WHEN l.enclave THEN ', enclave' ELSE '' END, CASE WHEN l.oblivious THEN ', oblivious' ELSE '' END),"
      "   l.delivered_per_s, l.p50_rtt_s * 1e3, l.p99_rtt_s * 1e3"
      " FROM l JOIN o USING (config) ORDER BY o.o, l.rate";
  int rc = plot__need(p, "mixclaves_load", NULL, "a mixclaves run with [mixclaves] experiment = network");
  if (rc < 0) return rc;
  GPtrArray *cfgs = g_ptr_array_new_with_free_func(g_free);
  int64_t n = plot__data(p, "load.dat", sql, cfgs);
  if (n >= 0) {
    p->width = 1200;
    p->height = 720;
    plot__title(p, title);
    g_string_append(p->gp, "set xlabel 'throughput (delivered msg/s)' offset 0, 0.4\n"
                           "set ylabel 'round-trip time (ms, log scale)'\n"
                           "set logscale y\n"
                           "set grid xtics ytics mytics lc 'gray85'\n"
                           "set xrange [0:*]\n"
                           "set offsets 0, graph 0.05, 0, 0\n"
                           "set key below maxrows 4 width 2 spacing 1.1 height 1\n"
                           "plot ");
    for (guint i = 0; i < cfgs->len; i++) {
      const char *c = g_ptr_array_index(cfgs, i);
      char *t99 = g_strdup_printf("%s p99", c);
      /* Configurations can coincide (Fig. 8's oblivious buffer costs no
       * CPU): earlier curves are drawn wider so later ones leave them seen. */
      static const int pts[] = {7, 5, 9, 11, 13, 15, 3, 2};
      static const char *const colours[] = {"#1F77B4", "#D62728", "#2CA02C", "#FF7F0E",
                                            "#9467BD", "#8C564B", "#E377C2", "#17BECF"};
      const char *lc = colours[i % G_N_ELEMENTS(colours)];
      double ps = 1.6 - 0.25 * (i % 5), lw = 4.0 - 0.6 * (i % 5);
      int pt = pts[i % G_N_ELEMENTS(pts)];
      g_string_append_printf(p->gp, "%s'load.dat' index %u using 1:2 with linespoints lw %.2f pt %d ps %.2f lc rgb '%s' title ",
                             i ? ", \\\n  " : "", i, lw, pt, ps, lc);
      plot__quote(p->gp, c);
      g_string_append_printf(p->gp,
                             ", \\\n  '' index %u using 1:3 with linespoints dt 2 lw %.2f pt %d ps %.2f lc rgb '%s' title ",
                             i, lw * 0.6, pt - 1, ps * 0.8, lc);
      plot__quote(p->gp, t99);
      g_free(t99);
    }
    g_string_append_c(p->gp, '\n');
  }
  g_ptr_array_free(cfgs, TRUE);
  return n < 0 ? (int)n : plot__gnuplot(p);
}

int plot__mx_fig8(struct plot_ctx *p) {
  return load_curves(p, "Seed Fig. 8: throughput vs latency of one mix node, enclave and oblivious buffer on/off "
                        "(solid: p50 RTT, dashed: p99)");
}

int plot__mx_fig9(struct plot_ctx *p) {
  return load_curves(p, "Seed Fig. 9: throughput vs latency, Loopix vs Mixclaves configurations "
                        "(solid: p50 RTT, dashed: p99)");
}

int plot__mx_table1(struct plot_ctx *p) {
  /* label, peak, monthly, seed monthly (NaN if none) */
  static const char sql[] =
      "SELECT printf('%s %d node%s, %d hop%s', mixnet, nodes, CASE WHEN nodes = 1 THEN '' ELSE 's' END, hops,"
      "   CASE WHEN hops = 1 THEN '' ELSE 's' END),"
      " peak_per_s, monthly_usd, seed_monthly_usd, CASE WHEN mixnet = 'Loopix' THEN 1 ELSE 2 END"
      " FROM mixclaves_cost WHERE run_id = ?1 ORDER BY rowid";
  int rc = plot__need(p, "mixclaves_cost", NULL, "a mixclaves run with [mixclaves] experiment = network");
  if (rc < 0) return rc;
  int64_t n = plot__data(p, "table1.dat", sql, NULL);
  if (n < 0) return (int)n;
  p->width = 1200;
  p->height = 650;
  plot__multiplot(p, 1, 2, "Seed Table 1: peak throughput and monthly cost per mixnet configuration");
  g_string_append_printf(
      p->gp,
      "set style fill solid 0.7 border -1\n"
      "set xtics rotate by 30 right nomirror\n"
      "set bmargin 8\n"
      "set xrange [-0.6:%lld - 0.4]\n"
      "set yrange [0:*]\n"
      "set offsets 0, 0, graph 0.1, 0\n"
      "set key top left\n"
      "set title 'peak throughput (largest delivered rate over the load steps)'\n"
      "set ylabel 'peak throughput (msg/s)'\n"
      "plot 'table1.dat' using 0:2:(0.6):5:xtic(1) with boxes lc variable notitle, \\\n"
      "  '' using 0:2:(sprintf('%%.0f', $2)) with labels offset 0, 0.8 font ',9' notitle\n"
      "set title 'monthly cost (bars: price model; diamonds: the seed)'\n"
      "set ylabel 'monthly cost (USD)'\n"
      "plot 'table1.dat' using 0:3:(0.6):5:xtic(1) with boxes lc variable notitle, \\\n"
      "  '' using 0:3:(sprintf('$%%.2f', $3)) with labels offset 0, 0.8 font ',9' notitle, \\\n"
      "  '' using 0:4 with points pt 13 ps 1.5 lc 'black' title 'seed Table 1'\n"
      "unset multiplot\n",
      (long long)n);
  return plot__gnuplot(p);
}
