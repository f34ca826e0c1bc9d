/* Owner of the network sweep's anonymity and trust tables
 * (analysis/SCHEMA.md): mixclaves_anon, one row per (configuration, rate)
 * step observed with [network] anonymity = on, and mixclaves_trust, one
 * row per configuration. Handles are valid until results_close; row
 * strings are borrowed for the call; a double that is NaN is stored NULL.
 * Open calls return 0, CM_EINVAL (r or out NULL) or CM_EDB (the reason in
 * results_errmsg(r)); add calls return what results_row returns. */
#ifndef CM_TAB_MIXCLAVES_ANON_H
#define CM_TAB_MIXCLAVES_ANON_H

#include <stdint.h>

#include "results.h"

struct tab_mixclaves_anon {
  results_table *t;
};

struct tab_mixclaves_anon_row {
  int64_t run_id;
  const char *config;
  int64_t nodes, hops;
  const char *buffer;          /* the nodes' buffer variant */
  double rate;                 /* nominal offered rate, msg/s */
  int64_t messages;            /* delivered messages scored */
  double h_mean, h_p5, h_min;  /* sender-set entropy, bits */
  double d_mean, d_p5, d_min;  /* normalised degree */
  double p_true_mean;
  int64_t eps_messages, eps_inf;
  double eps_mean, eps_d05, delta_eps1;
  double occupancy, lambda_node, lambda_held, rho, h_ref;
  double buffer_r;             /* Pearson R of the buffer variant at this load (NaN: not measured) */
  int64_t unlinked;
};

int tab_mixclaves_anon_open(results *r, struct tab_mixclaves_anon *out);
int tab_mixclaves_anon_add(struct tab_mixclaves_anon *t, const struct tab_mixclaves_anon_row *x);

struct tab_mixclaves_trust {
  results_table *t;
};

struct tab_mixclaves_trust_row {
  int64_t run_id;
  const char *config;
  int64_t hops, domains;
  const char *trust;   /* the per-domain probabilities as configured */
  const char *path;    /* within, across */
  double p_honest_path;  /* P(at least one honest node on the path) */
};

int tab_mixclaves_trust_open(results *r, struct tab_mixclaves_trust *out);
int tab_mixclaves_trust_add(struct tab_mixclaves_trust *t, const struct tab_mixclaves_trust_row *x);

#endif
