/* The elasticity experiment (`[mixclaves] experiment = elasticity`, seed
 * 5.3 and Fig. 10): the world and its run (mixclaves_elastic.c), its
 * control transport (models/mixclaves/updater_ctrl.h, or updater_loop.h
 * with `transport = loop`), and its tables and summary
 * (mixclaves_elastic_out.c). Internal to cli/. */
#ifndef CM_CLI_MIXCLAVES_ELASTIC_H
#define CM_CLI_MIXCLAVES_ELASTIC_H

#include <glib.h>

#include "mixclaves.h"
#include "mixclaves/updater.h"
#include "mixclaves/updater_loop.h"

/* What one run leaves for the tables and the summary. */
struct elastic_result {
  GArray *rows;                      /* struct tab_mixclaves_elastic_row, run_id unset */
  struct updater_attempt *attempts;  /* g_malloc'd copy */
  size_t nattempts;
  struct updater_counters uk;
  struct updater_loop_counters ck;
  uint64_t ctrl_queue_full_nodes;    /* queue_full over all nodes (every packet kind) */
  uint64_t stale_nodes;              /* stale_epoch over all nodes (packets of another key epoch) */
  const char *transport;             /* "ctrl" or "loop" */
  cm_time refresh_max;               /* longest time from a commit to a client's refresh */
  uint64_t unaccounted;
  uint32_t provisioned;
  double thresholds[UPDATER_MAX_THRESHOLDS];
  uint32_t nth;
  double duration_s;
};

/* Run the experiment of c's scenario (cfg its [network] part). 0 with *out
 * filled (free with elastic_result_clear), or CM_EXIT_USAGE /
 * CM_EXIT_FAILED after printing why. */
int mxc__elastic_run(struct run_ctx *c, const struct mxc_config *cfg, struct elastic_result *out);
/* Write mixclaves_elastic, mixclaves_elastic_attempts and the metrics;
 * print the summary. CM_EXIT_OK, or CM_EXIT_FAILED (a write failed, or a
 * packet unaccounted for). */
int mxc__elastic_write(struct run_ctx *c, const struct elastic_result *r);
void elastic_result_clear(struct elastic_result *r);

/* The epoch-skew experiment (seed Fig. 5, mixclaves_skew.c): run, write
 * its metrics, print its counts. CM_EXIT_OK, CM_EXIT_USAGE or
 * CM_EXIT_FAILED after printing why. */
int mxc__skew_run(struct run_ctx *c, const struct mxc_config *cfg);

#endif
