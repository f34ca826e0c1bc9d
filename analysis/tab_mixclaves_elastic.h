/* Owner of the elasticity experiment's two tables (analysis/SCHEMA.md,
 * "Mixclaves tables"): mixclaves_elastic, the time series of one run (seed
 * Fig. 10), and mixclaves_elastic_attempts, one row per reconfiguration
 * attempt of the updater with its outcome. Handles are valid until
 * results_close; row strings are borrowed for the call; a double that is
 * NaN is stored NULL. Open calls return 0, CM_EINVAL (r or out NULL) or
 * CM_EDB (the reason in results_errmsg(r)); add calls return what
 * results_row returns. */
#ifndef CM_TAB_MIXCLAVES_ELASTIC_H
#define CM_TAB_MIXCLAVES_ELASTIC_H

#include <stdint.h>

#include "results.h"

struct tab_mixclaves_elastic {
  results_table *t;
};

/* One time bin [t_s - bin_s, t_s). */
struct tab_mixclaves_elastic_row {
  int64_t run_id;
  double t_s;                          /* end of the bin, simulated s */
  double target_per_s;                 /* the ramp's offered load at t_s (msg/s) */
  double offered_per_s, delivered_per_s; /* loops sent / back in time during the bin, per s */
  double p50_rtt_s, p99_rtt_s;         /* RTT of the loops back during the bin; NaN: none */
  int64_t nodes;                       /* in the committed epoch */
  int64_t provisioned;                 /* nodes running (committed or not yet) */
  int64_t epoch;                       /* the committed epoch */
  int64_t clients, clients_current;    /* clients sending; of them, at the committed epoch */
  int64_t attempts, committed, retried, abandoned; /* reconfiguration attempts so far, by outcome */
  int64_t ctrl_sent, ctrl_returned;    /* control packets so far */
  int64_t queue_full;                  /* node drops (CPU queue full) during the bin */
  double updater_throughput_per_s;     /* the updater's last aggregate estimate; NaN: none yet */
};

int tab_mixclaves_elastic_open(results *r, struct tab_mixclaves_elastic *out);
int tab_mixclaves_elastic_add(struct tab_mixclaves_elastic *t, const struct tab_mixclaves_elastic_row *x);

struct tab_mixclaves_elastic_attempts {
  results_table *t;
};

/* One reconfiguration attempt (models/mixclaves/updater.h). */
struct tab_mixclaves_elastic_attempt {
  int64_t run_id;
  int64_t attempt, scale_out, version, nodes, acked;
  int64_t installs_sent, installs_timed_out;
  double started_s, ended_s;  /* ended_s NaN: still running at the end */
  const char *outcome;        /* committed, retried, abandoned, running */
};

int tab_mixclaves_elastic_attempts_open(results *r, struct tab_mixclaves_elastic_attempts *out);
int tab_mixclaves_elastic_attempts_add(struct tab_mixclaves_elastic_attempts *t,
                                       const struct tab_mixclaves_elastic_attempt *x);

#endif
