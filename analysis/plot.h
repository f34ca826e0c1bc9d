/* Figures from a cloudmix results file: reads the cloudless or mixclaves
 * tables of one run (or the table of one `cloudmix compare`) and draws a
 * PNG, PDF or SVG (by the output's extension) by running gnuplot as a
 * separate program on data files written to a temporary directory, which
 * is removed afterwards unless the script and data are to be kept beside
 * the figure. The results file is only read (PRAGMA query_only), except
 * that one of an older schema version is upgraded in place first.
 *
 * Ownership: strings in struct plot_opts are borrowed. plot_draw fills a
 * struct plot_result whose strings are g_malloc'd and released by
 * plot_result_clear; *err is g_malloc'd, the caller g_free's it. */
#ifndef CM_PLOT_H
#define CM_PLOT_H

#include <stdint.h>

#include "cm.h"

/* Buckets in the centered moving window that smooths throughput (fig8, fig9). */
#define PLOT_WINDOW 3

enum plot_kind {
  PLOT_AUTO,    /* chosen by plot_draw, see there */
  PLOT_FIG5,    /* mean execution time per provider and function, sd bars (seed Fig. 5) */
  PLOT_FIG8,    /* per-provider and total throughput over time (seed Fig. 8) */
  PLOT_FIG9,    /* per-provider throughput with fault start times (seed Fig. 9) */
  PLOT_SEC65,   /* latency of each call in order, per provider (seed section 6.5) */
  PLOT_UAV,     /* latency over flight time by provider, zone changes marked */
  PLOT_CL_FIG6, /* 64 MB (largest size) write time, source location x store, heatmap (seed Fig. 6) */
  PLOT_CL_TABLE1, /* workflow: cost-time Pareto front per plan, the placed plans marked (seed Table 1) */
  PLOT_CL_REPLAN, /* workflow with replan_s: estimate and measured time per round, moves marked (seed 5.3 d) */
  PLOT_COMPARE, /* mean latency and cost per 1000 calls per policy, 95% CIs */
  PLOT_MX_FIG1,   /* mixclaves: store vs read address per delay-buffer variant, R (seed Fig. 1) */
  PLOT_MX_FIG8,   /* mixclaves: delivered msg/s vs p50/p99 RTT per configuration (seed Fig. 8) */
  PLOT_MX_FIG9,   /* mixclaves: the same for the scalability configurations (seed Fig. 9) */
  PLOT_MX_TABLE1, /* mixclaves: peak throughput and monthly cost per mixnet row (seed Table 1) */
  PLOT_MX_FIG10,  /* mixclaves elasticity: throughput, nodes and p50/p99 RTT over time, commits marked (seed Fig. 10) */
  PLOT_NKINDS
};

/* "auto", "fig5", ... (static). */
const char *plot_kind_name(enum plot_kind k);
/* Parse a kind name as plot_kind_name prints it. Returns 0 or CM_EINVAL. */
int plot_kind_parse(const char *name, enum plot_kind *out);

/* The output formats, chosen by the output file's extension. */
enum plot_format { PLOT_PNG, PLOT_PDF, PLOT_SVG };
/* The accepted extensions, for messages: ".png, .pdf or .svg". */
#define PLOT_FORMATS ".png, .pdf or .svg"
/* The format of path by its extension (case-insensitive). Returns 0 or
 * CM_EINVAL (no extension, or another one). */
int plot_format_of(const char *path, enum plot_format *out);

struct plot_opts {
  const char *db_path;  /* results file */
  int64_t run_id;       /* 0: the newest run */
  enum plot_kind kind;
  const char *out_path; /* NULL: plot_default_out; ends in .png, .pdf or .svg */
  int keep;             /* non-zero: leave the gnuplot script OUT.gp and its data OUT-NAME.dat
                           beside OUT.EXT (OUT: out_path without its extension), the script
                           naming them relative to its folder, so `gnuplot OUT.gp` run there
                           draws the figure again */
};

struct plot_result {
  enum plot_kind kind; /* the kind drawn (never PLOT_AUTO) */
  int64_t run_id;      /* the run drawn; for PLOT_COMPARE the compare's first run */
  char *out_path;      /* the figure written (absolute) */
  char *script_path;   /* with keep: the gnuplot script left beside it (absolute); else NULL */
  char *warnings;      /* what gnuplot wrote on stderr although it succeeded; NULL if nothing */
  char *skipped;       /* choosing the newest run: the newer runs passed over because they are running or
                        * incomplete, "skipped run 4 (running), run 5 (incomplete): not complete"; NULL if none */
};

/* Free the strings of r and zero it. NULL-safe. */
void plot_result_clear(struct plot_result *r);

/* The default output for o (a PNG): o->db_path without its ".db" suffix, then
 * "-runID" if o->run_id is set and "-KIND" if o->kind is not PLOT_AUTO,
 * then ".png". g_malloc'd. */
char *plot_default_out(const struct plot_opts *o);

/* Draw the figure o asks for. The run is o->run_id, or the newest run in
 * the file that is complete or failed (newer runs that are running or
 * incomplete are passed over and named in res->skipped). A run that is
 * running or incomplete is never drawn, nor a compare set holding one. A
 * file of an older schema version is upgraded in place first
 * (results_open). With PLOT_AUTO the kind is PLOT_COMPARE when no run was given
 * and the newest run is one of a `cloudmix compare` set (compare_results
 * holds a comparison whose runs include it); otherwise it follows the
 * run's model and the experiment in its recorded scenario text
 * (runs.scenario_text; never the scenario's file name). Cloudless:
 * experiment storage-scan PLOT_CL_FIG6; workflow PLOT_CL_REPLAN when
 * [workflow] replan_s > 0, else PLOT_CL_TABLE1; live with [workload]
 * mode = per_provider PLOT_SEC65 for one function with record = calls,
 * else PLOT_FIG5; other live workloads PLOT_FIG9 with a [fault.*] group,
 * PLOT_UAV with a [flight] (waypoints or trace) and record = calls, else
 * PLOT_FIG8. Mixclaves: experiment buffer PLOT_MX_FIG1; network
 * PLOT_MX_FIG8 when every [config.*] has one node, else PLOT_MX_FIG9
 * (PLOT_MX_TABLE1 draws the same network runs and is asked for by
 * name); elasticity PLOT_MX_FIG10. An explicit kind needs a run of its model.
 * PLOT_COMPARE draws the comparison whose runs include o->run_id (or the
 * newest one). The directories of the output file are created as needed.
 *
 * Returns 0 with res filled in; or, with *err set to one line naming the
 * file: CM_ENOENT (no such file or run), CM_EINVAL (an output extension
 * other than PLOT_FORMATS; with keep, an output name holding a quote or a
 * line break; not a cloudmix results file; an older one that cannot be
 * upgraded; the run is running or incomplete, with its id and status; the
 * run is not of the kind's model; no kind could be chosen; the tables or
 * rows the kind needs are missing) — bad input; or CM_EIO (gnuplot missing
 * or failed, with its stderr, e.g. this gnuplot lacks the format's
 * terminal; a data file or script could not be written) — the plot failed.
 * With keep the data files and script are left even when gnuplot fails.
 * res is untouched on failure. */
int plot_draw(const struct plot_opts *o, struct plot_result *res, char **err);

#endif
