/* Runner of the mixclaves model: checks the codec asked for, then runs
 * either the seed's Fig. 1 buffer experiment (buffer_experiment_run for each
 * variant: Pearson's R between store and read addresses, plus a
 * deterministic sample of the pairs for the scatter plot; the tables are
 * written through analysis/tab_mixclaves.h) or the network load sweep of
 * Fig. 8 / Fig. 9 / Table 1 (mixclaves_net.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "mixclaves.h"
#include "mixclaves_elastic.h"
#include "mixclaves/codec.h"
#include "tab_mixclaves.h"

/* The seed's Fig. 1 values (seed 2.1.2): append 0.738, random 0.03; none for (c). */
static const double seed_r[BUFFER_NVARIANTS] = {0.738, 0.03, NAN};

struct pair_sampler {
  struct tab_mixclaves_pairs *t;
  int64_t run_id;
  const char *variant;
  uint64_t seen, stride, kept, max;
  int rc;
};

/* Every stride-th pair in release order, at most max: deterministic. */
static void on_pair(void *arg, uint32_t store, uint32_t read) {
  struct pair_sampler *p = arg;
  uint64_t i = p->seen++;
  if (p->kept >= p->max || i % p->stride != 0) return;
  struct tab_mixclaves_pair row = {.run_id = p->run_id, .variant = p->variant, .k = (int64_t)p->kept++,
                                   .store = store, .read = read};
  if (tab_mixclaves_pairs_add(p->t, &row) != 0 && p->rc == 0) p->rc = CM_EDB;
}

static int run_buffer(struct run_ctx *c, const struct mxc_config *cfg) {
  struct tab_mixclaves_buffer bt = {0};
  struct tab_mixclaves_pairs pt = {0};
  if (tab_mixclaves_buffer_open(c->db, &bt) != 0 || tab_mixclaves_pairs_open(c->db, &pt) != 0) {
    fprintf(stderr, "cloudmix: cannot create the mixclaves buffer tables: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  if (!c->quiet)
    printf("Fig. 1: Pearson R between store and read addresses, %llu packets per variant, %g/s, mean delay %g ms\n"
           "%-10s %10s %10s %10s %10s %8s\n",
           (unsigned long long)cfg->packets, cfg->buffer_rate, cfg->buffer_delay_s * 1e3, "variant", "R", "seed R",
           "mean held", "refused", "pairs");
  int rc = CM_EXIT_OK;
  for (int v = 0; v < BUFFER_NVARIANTS && rc == CM_EXIT_OK; v++) {
    if (!cfg->variant_on[v]) continue;
    const char *name = buffer_variant_name((enum buffer_variant)v);
    struct pair_sampler ps = {.t = &pt, .run_id = c->run_id, .variant = name, .max = cfg->pairs_max};
    ps.stride = cfg->pairs_max ? cfg->packets / cfg->pairs_max : 1;
    if (ps.stride == 0) ps.stride = 1;
    struct buffer_experiment x = {.variant = (enum buffer_variant)v, .packets = cfg->packets,
                                  .arrival_rate_per_s = cfg->buffer_rate, .mean_delay_s = cfg->buffer_delay_s,
                                  .seed = c->seed, .pair_fn = cfg->pairs_max ? on_pair : NULL, .pair_arg = &ps};
    struct buffer_experiment_result res;
    int e = buffer_experiment_run(&x, &res);
    if (e != 0 && e != CM_ERANGE) {
      fprintf(stderr, "cloudmix: buffer experiment (%s) failed: %s\n", name, cm_strerror(e));
      rc = CM_EXIT_FAILED;
      break;
    }
    struct tab_mixclaves_buffer_row row = {
        .run_id = c->run_id, .variant = name, .packets = (int64_t)cfg->packets, .rate = cfg->buffer_rate,
        .mean_delay_s = cfg->buffer_delay_s, .r = e == 0 ? res.r : NAN, .seed_r = seed_r[v],
        .released = (int64_t)res.released, .refused_full = (int64_t)res.refused_full, .mean_held = res.mean_held,
        .max_held = (int64_t)res.max_held, .capacity = res.capacity, .tick_s = res.tick_s};
    if (tab_mixclaves_buffer_add(&bt, &row) != 0 || ps.rc != 0) rc = CM_EXIT_FAILED;
    char metric[64];
    snprintf(metric, sizeof metric, "r_%s", name);
    if (results_metric(c->db, c->run_id, metric, e == 0 ? res.r : NAN) != 0) rc = CM_EXIT_FAILED;
    c->events += res.released;
    if (!c->quiet) {
      char sr[16] = "-";
      if (!isnan(seed_r[v])) snprintf(sr, sizeof sr, "%.3f", seed_r[v]);
      printf("%-10s %10.4f %10s %10.1f %10llu %8llu\n", name, e == 0 ? res.r : NAN, sr, res.mean_held,
             (unsigned long long)res.refused_full, (unsigned long long)ps.kept);
    }
  }
  if (rc != CM_EXIT_OK) fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
  else if (!c->quiet)
    printf("(seed Fig. 1: R = 0.738 append, 0.03 random; issue 5: |R| <= 0.01 for oblivious. At m = rate x delay\n"
           " packets held, append gives about 0.5 and random sqrt(3 / (4 (m + 6))): see buffer_experiment.c)\n");
  return rc;
}

int run_mixclaves(struct run_ctx *c) {
  char *err = NULL;
  struct mxc_config *cfg = mxc_config_new(c->s, &err);
  if (!cfg) {
    fprintf(stderr, "cloudmix: %s\n", err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  int rc;
  const struct codec_ops *ops = NULL;
  int e = codec_lookup(cfg->crypto, &ops);
  if (e != 0) {
    fprintf(stderr, "cloudmix: %s: [mixclaves] crypto: '%s' %s\n", scenario_path(c->s), cfg->crypto,
            e == CM_ENOSYS ? "is not available yet (the full Sphinx codec is not registered in this build)"
                           : "is not a registered codec");
    rc = CM_EXIT_USAGE;
  } else if (!strcmp(scenario_string(c->s, "mixclaves", "experiment"), "elasticity")) {
    struct elastic_result er;
    rc = mxc__elastic_run(c, cfg, &er);
    if (rc == CM_EXIT_OK) rc = mxc__elastic_write(c, &er);
    elastic_result_clear(&er);
  } else if (!strcmp(scenario_string(c->s, "mixclaves", "experiment"), "epoch-skew")) {
    rc = mxc__skew_run(c, cfg);
  } else if (!cfg->network) {
    rc = run_buffer(c, cfg);
  } else {
    struct mxc_step *steps = g_new0(struct mxc_step, (size_t)cfg->nconfigs * cfg->nrates);
    rc = mxc__net_run(c, cfg, steps);
    if (rc == CM_EXIT_OK) rc = mxc__net_write(c, cfg, steps);
    if (rc == CM_EXIT_OK) rc = mxc__anon_write(c, cfg, steps);
    g_free(steps);
  }
  g_free(cfg);
  return rc;
}
