/* `cloudmix plot DB`: draw the figure of a run (or of a `cloudmix compare`)
 * from a results database as a PNG, PDF or SVG, with gnuplot
 * (analysis/plot.h). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "plot.h"

int cli_plot(int argc, char **argv) {
  gchar *kind_name = NULL, *out = NULL;
  gint64 run = 0;
  gboolean keep = FALSE;
  GOptionEntry entries[] = {
      {"run", 'r', 0, G_OPTION_ARG_INT64, &run, "Run to draw (default: the newest run in DB)", "ID"},
      {"kind", 'k', 0, G_OPTION_ARG_STRING, &kind_name, "Figure: auto (default), fig5, cl-fig6, fig8, fig9, sec65, uav, cl-table1, cl-replan, compare, mx-fig1, mx-fig8, mx-fig9, mx-table1, mx-fig10",
       "KIND"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Figure to write: .png, .pdf or .svg (default: see below)",
       "FILE.EXT"},
      {"keep", 0, 0, G_OPTION_ARG_NONE, &keep,
       "Leave the gnuplot script FILE.gp and its data FILE-*.dat beside the figure; `gnuplot FILE.gp` there redraws it",
       NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("DB - draw a figure of a cloudless or mixclaves run as a PNG, PDF or SVG");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Figures (each title names the seed figure it reproduces):\n"
      "  fig5     mean execution time per provider, one bar per function, sd error bars\n"
      "           (cloudless_providers rows of a [workload] mode = per_provider run)\n"
      "  cl-fig6  heatmap of the largest size's mean write time, source location x store,\n"
      "           values in the cells (cloudless_storage_scan: experiment = storage-scan)\n"
      "  cl-table1 least time under each budget per plan (cloudless_pareto) and each plan's\n"
      "           placed, measured run (cloudless_workflow: experiment = workflow)\n"
      "  cl-replan each planning round's estimate and measured time over simulated time,\n"
      "           moves dashed (cloudless_workflow, cloudless_replan: replan_s > 0)\n"
      "  fig8     completed calls/s per provider and in total over time, centered\n"
      "           moving average of 3 buckets (cloudless_series)\n"
      "  fig9     the same per provider, dashed lines at outage starts (cloudless_events)\n"
      "  sec65    latency of each call in order, one line per provider, mean and sd in\n"
      "           the legend (cloudless_calls: needs record = calls)\n"
      "  uav      latency of each call over flight time, coloured by provider, lines at\n"
      "           zone changes (cloudless_calls: needs record = calls)\n"
      "  compare  per policy, mean latency and cost per 1000 calls with 95% CIs, from the\n"
      "           compare_results of a `cloudmix compare` into DB\n"
      "\n"
      "Mixclaves figures (runs of [run] model = mixclaves):\n"
      "  mx-fig1   store address vs read address of sampled packets, one panel per\n"
      "            delay-buffer variant, Pearson R in each title (mixclaves_buffer_pairs,\n"
      "            mixclaves_buffer: [mixclaves] experiment = buffer)\n"
      "  mx-fig8   delivered msg/s vs round-trip time (p50 solid, p99 dashed, log scale),\n"
      "            one curve per [config.*] (mixclaves_load: experiment = network)\n"
      "  mx-fig9   the same, for the Loopix vs Mixclaves scalability configurations\n"
      "  mx-table1 peak throughput and monthly cost per configuration, seed costs\n"
      "            marked (mixclaves_cost: experiment = network)\n"
      "  mx-fig10  offered and delivered msg/s, node count and p50/p99 RTT over time,\n"
      "            commits dashed (mixclaves_elastic: experiment = elasticity)\n"
      "\n"
      "auto picks compare when no --run is given and the newest run in DB belongs to a\n"
      "`cloudmix compare`; otherwise it follows the run's model and the experiment it\n"
      "recorded (runs.scenario_text, never the scenario's file name). Cloudless:\n"
      "experiment = storage-scan cl-fig6; workflow cl-replan with replan_s > 0, else\n"
      "cl-table1; live with [workload] mode = per_provider sec65 for one function with\n"
      "record = calls, else fig5; other live runs fig9 with [fault.*] groups, uav with\n"
      "a [flight] and record = calls, else fig8. Mixclaves: buffer mx-fig1; network\n"
      "mx-fig8 when every [config.*] has one node, else mx-fig9 (ask for mx-table1 by\n"
      "name); elasticity mx-fig10. With --run ID, compare draws the comparison that ID belongs to.\n"
      "\n"
      "The figure's format follows --out's extension: .png (gnuplot terminal pngcairo,\n"
      "else png), .pdf (pdfcairo), .svg (svg); any other extension is refused. The\n"
      "default is DB with .db replaced by .png, with -runID inserted when --run is given\n"
      "and -KIND when --kind is (e.g. results/x-run3-fig8.png). Series differ by dash\n"
      "and point type as well as colour. gnuplot (Debian: gnuplot-nox) must be on PATH;\n"
      "it runs on data files in a temporary directory that is removed afterwards, or\n"
      "with --keep beside the figure: x.gp and x-NAME.dat for --out x.pdf.\n"
      "\n"
      "Exit codes: 0 ok, 1 gnuplot missing or failed, 2 bad usage or input (no such\n"
      "file, not a cloudmix database, no such run, the tables the figure needs missing).");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("plot", ctx, perr);
    g_free(perr);
    return rc;
  }
  struct plot_opts o = {.run_id = run, .kind = PLOT_AUTO, .out_path = out, .keep = keep};
  struct plot_result res = {0};
  char *msg = NULL, *err = NULL;
  const char *bad = NULL;
  int rc = CM_EXIT_OK;
  if (argc != 2) bad = argc < 2 ? "missing DB (a results database)" : "expected exactly one DB";
  else if (run < 0) bad = "--run: expected a run id >= 1";
  else if (out && plot_format_of(out, &(enum plot_format){0}) != 0)
    bad = msg = g_strdup_printf("--out %s: unknown figure format; expected a file name ending in " PLOT_FORMATS, out);
  else if (kind_name && plot_kind_parse(kind_name, &o.kind) != 0)
    bad = msg = g_strdup_printf("--kind: unknown kind '%s'; expected auto, fig5, cl-fig6, fig8, fig9, sec65, uav, cl-table1, cl-replan, compare, "
                                "mx-fig1, mx-fig8, mx-fig9, mx-table1 or mx-fig10",
                                kind_name);
  if (bad) {
    rc = cli_usage_error("plot", ctx, bad);
    goto done;
  }
  g_option_context_free(ctx);
  o.db_path = argv[1];
  int prc = plot_draw(&o, &res, &err);
  if (prc != 0) {
    fprintf(stderr, "cloudmix plot: %s\n", err);
    rc = prc == CM_EIO ? CM_EXIT_FAILED : CM_EXIT_USAGE;
  } else {
    if (res.warnings) fprintf(stderr, "cloudmix plot: gnuplot: %s\n", res.warnings);
    if (res.skipped) fprintf(stderr, "cloudmix plot: %s: %s\n", o.db_path, res.skipped);
    printf("%s: %s of run %lld\n", res.out_path, plot_kind_name(res.kind), (long long)res.run_id);
    if (res.script_path) printf("%s: its gnuplot script (gnuplot %s, in that folder, draws it again)\n",
                                res.script_path, strrchr(res.script_path, '/') + 1);
  }
done:
  g_free(msg);
  g_free(err);
  plot_result_clear(&res);
  g_free(kind_name);
  g_free(out);
  return rc;
}
