/* The elasticity figure (model `mixclaves`, experiment elasticity; seed
 * Fig. 10: "Adding nodes as throughput increases. A node is added to the
 * mixnet at every dashed line, preserving latency."): two panels over
 * simulated time, from mixclaves_elastic and mixclaves_elastic_attempts
 * (analysis/SCHEMA.md). Top: offered and delivered msg/s, the ramp's
 * target, and the committed node count (right axis). Bottom: p50 and p99
 * round-trip time (log scale). Dashed lines: commits (a node added);
 * dotted: attempts that were retried or abandoned. */
#include "plot_impl.h"

int plot__mx_fig10(struct plot_ctx *p) {
  static const char sql[] =
      "SELECT t_s, target_per_s, offered_per_s, delivered_per_s, nodes, p50_rtt_s * 1e3, p99_rtt_s * 1e3"
      " FROM mixclaves_elastic WHERE run_id = ?1 ORDER BY t_s";
  int rc = plot__need(p, "mixclaves_elastic", NULL, "a mixclaves run with [mixclaves] experiment = elasticity");
  if (rc < 0) return rc;
  int64_t n = plot__data(p, "elastic.dat", sql, NULL);
  if (n < 0) return (int)n;
  p->width = 1200;
  p->height = 900;
  plot__multiplot(p, 2, 1,
                  "Seed Fig. 10: adding nodes as throughput increases (dashed: a node added, the epoch committed; "
                  "dotted: an attempt retried or abandoned)");
  int64_t m = plot__markers(p, "mixclaves_elastic_attempts",
                            "SELECT ended_s, printf('epoch %d: %d nodes', version, nodes) FROM mixclaves_elastic_attempts"
                            " WHERE run_id = ?1 AND outcome = 'committed' ORDER BY attempt",
                            2);
  if (m >= 0)
    m = plot__markers(p, "mixclaves_elastic_attempts",
                      "SELECT ended_s, '' FROM mixclaves_elastic_attempts"
                      " WHERE run_id = ?1 AND outcome IN ('retried', 'abandoned') ORDER BY attempt",
                      3);
  if (m < 0) return (int)m;
  g_string_append(p->gp,
                  "set grid xtics ytics lc 'gray85'\n"
                  "set xlabel 'simulated time (s)'\n"
                  "set ylabel 'throughput (msg/s)'\n"
                  "set y2label 'nodes in the committed epoch'\n"
                  "set yrange [0:*]\n"
                  "set y2range [0:*]\n"
                  "set y2tics 1\n"
                  "set ytics nomirror\n"
                  "set key bottom right\n"
                  "set title 'throughput (per bin) and nodes'\n"
                  "plot 'elastic.dat' using 1:4 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1F77B4' title 'delivered', \\\n"
                  "  '' using 1:3 with lines lw 1 dt 2 lc rgb '#FF7F0E' title 'offered', \\\n"
                  "  '' using 1:2 with lines lw 1 dt 3 lc 'gray40' title 'ramp target', \\\n"
                  "  '' using 1:5 axes x1y2 with fsteps lw 2 lc rgb '#2CA02C' title 'nodes (right axis)'\n"
                  "unset label\n"
                  "unset y2label\n"
                  "unset y2tics\n"
                  "set ytics mirror\n"
                  "set logscale y\n"
                  "set yrange [*:*]\n"
                  "set ylabel 'round-trip time (ms, log scale)'\n"
                  "set title 'latency of the loops back in each bin'\n"
                  "plot 'elastic.dat' using 1:6 with linespoints lw 2 pt 7 ps 0.6 lc rgb '#1F77B4' title 'p50', \\\n"
                  "  '' using 1:7 with linespoints lw 1.5 dt 2 pt 6 ps 0.6 lc rgb '#D62728' title 'p99'\n"
                  "unset multiplot\n");
  return plot__gnuplot(p);
}
