/* Owner of the mixclaves model's four tables (analysis/SCHEMA.md): the
 * buffer experiment's mixclaves_buffer and mixclaves_buffer_pairs (seed
 * Fig. 1), and the network sweep's mixclaves_load (Fig. 8, 9) and
 * mixclaves_cost (Table 1). Per table a handle, a row struct, and calls
 * that open it and add a row. Handles are valid until results_close; row
 * strings are borrowed for the call; a double that is NaN is stored NULL.
 * Open calls return 0, CM_EINVAL (r or out NULL) or CM_EDB (the reason in
 * results_errmsg(r)); add calls return what results_row returns. */
#ifndef CM_TAB_MIXCLAVES_H
#define CM_TAB_MIXCLAVES_H

#include <stdint.h>

#include "results.h"

struct tab_mixclaves_buffer {
  results_table *t;
};

/* mixclaves_buffer: one buffer variant of the Fig. 1 experiment. */
struct tab_mixclaves_buffer_row {
  int64_t run_id;
  const char *variant;   /* append, random, oblivious */
  int64_t packets;       /* arrivals */
  double rate;           /* Poisson arrival rate, packets/s */
  double mean_delay_s;
  double r;              /* Pearson R, store vs read address; NaN: undefined */
  double seed_r;         /* the seed's value; NaN: none */
  int64_t released, refused_full;
  double mean_held;
  int64_t max_held, capacity;
  double tick_s;
};

int tab_mixclaves_buffer_open(results *r, struct tab_mixclaves_buffer *out);
int tab_mixclaves_buffer_add(struct tab_mixclaves_buffer *t, const struct tab_mixclaves_buffer_row *x);

struct tab_mixclaves_pairs {
  results_table *t;
};

/* mixclaves_buffer_pairs: one sampled (store, read) pair of a variant. */
struct tab_mixclaves_pair {
  int64_t run_id;
  const char *variant;
  int64_t k;             /* 0, 1, ... in release order */
  int64_t store, read;   /* buffer cell indices */
};

int tab_mixclaves_pairs_open(results *r, struct tab_mixclaves_pairs *out);
int tab_mixclaves_pairs_add(struct tab_mixclaves_pairs *t, const struct tab_mixclaves_pair *x);

struct tab_mixclaves_load {
  results_table *t;
};

/* mixclaves_load: one (configuration, offered rate) step of the sweep. */
struct tab_mixclaves_load_row {
  int64_t run_id;
  const char *config;    /* the configuration's label */
  const char *topology;  /* mixclaves, loopix */
  int64_t nodes, hops;
  int64_t enclave, oblivious; /* 0/1 */
  double rate, offered_per_s, delivered_per_s; /* msg/s */
  int64_t sent, received, dropped, late, queue_full, other_drops, link_lost;
  double p50_rtt_s, p99_rtt_s; /* NaN: no loop came back */
  int64_t unaccounted;
  const char *crypto;    /* the codec: abstract or full */
};

int tab_mixclaves_load_open(results *r, struct tab_mixclaves_load *out);
int tab_mixclaves_load_add(struct tab_mixclaves_load *t, const struct tab_mixclaves_load_row *x);

struct tab_mixclaves_cost {
  results_table *t;
};

/* mixclaves_cost: one configuration's row of Table 1. */
struct tab_mixclaves_cost_row {
  int64_t run_id;
  const char *config;
  const char *mixnet;    /* Loopix, Mixclaves */
  int64_t nodes, hops;
  double peak_per_s;
  double node_month_usd, monthly_usd;
  double seed_monthly_usd; /* NaN: the seed has no figure */
};

int tab_mixclaves_cost_open(results *r, struct tab_mixclaves_cost *out);
int tab_mixclaves_cost_add(struct tab_mixclaves_cost *t, const struct tab_mixclaves_cost_row *x);

#endif
