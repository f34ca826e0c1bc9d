/* Runner of the mixclaves model: checks the codec asked for, then runs
 * either the seed's Fig. 1 buffer experiment (buffer_experiment_run for each
 * variant: Pearson's R between store and read addresses, plus a
 * deterministic sample of the pairs for the scatter plot) or the network
 * load sweep of Fig. 8 / Fig. 9 / Table 1 (mixclaves_net.c). */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "mixclaves.h"
#include "mixclaves/codec.h"

static const char create_buffer[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_buffer ("
    " run_id INTEGER NOT NULL, variant TEXT NOT NULL, packets INTEGER NOT NULL, rate REAL NOT NULL,"
    " mean_delay_s REAL NOT NULL, r REAL, seed_r REAL, released INTEGER NOT NULL, refused_full INTEGER NOT NULL,"
    " mean_held REAL NOT NULL, max_held INTEGER NOT NULL, capacity INTEGER NOT NULL, tick_s REAL NOT NULL)";
static const char insert_buffer[] = "INSERT INTO mixclaves_buffer VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_pairs[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_buffer_pairs ("
    " run_id INTEGER NOT NULL, variant TEXT NOT NULL, k INTEGER NOT NULL, store INTEGER NOT NULL,"
    " read INTEGER NOT NULL)";
static const char insert_pairs[] = "INSERT INTO mixclaves_buffer_pairs VALUES (?,?,?,?,?)";

/* The seed's Fig. 1 values (seed 2.1.2): append 0.738, random 0.03; none for (c). */
static const double seed_r[BUFFER_NVARIANTS] = {0.738, 0.03, NAN};

struct pair_sampler {
  results_table *t;
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
  results_bind_int(p->t, 1, p->run_id);
  results_bind_text(p->t, 2, p->variant);
  results_bind_int(p->t, 3, (int64_t)p->kept++);
  results_bind_int(p->t, 4, store);
  results_bind_int(p->t, 5, read);
  if (results_row(p->t) != 0 && p->rc == 0) p->rc = CM_EDB;
}

static int run_buffer(struct run_ctx *c, const struct mxc_config *cfg) {
  results_table *bt = results_table_new(c->db, create_buffer, insert_buffer);
  results_table *pt = results_table_new(c->db, create_pairs, insert_pairs);
  if (!bt || !pt) {
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
    struct pair_sampler ps = {.t = pt, .run_id = c->run_id, .variant = name, .max = cfg->pairs_max};
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
    results_bind_int(bt, 1, c->run_id);
    results_bind_text(bt, 2, name);
    results_bind_int(bt, 3, (int64_t)cfg->packets);
    results_bind_double(bt, 4, cfg->buffer_rate);
    results_bind_double(bt, 5, cfg->buffer_delay_s);
    if (e == 0) results_bind_double(bt, 6, res.r);
    if (!isnan(seed_r[v])) results_bind_double(bt, 7, seed_r[v]);
    results_bind_int(bt, 8, (int64_t)res.released);
    results_bind_int(bt, 9, (int64_t)res.refused_full);
    results_bind_double(bt, 10, res.mean_held);
    results_bind_int(bt, 11, (int64_t)res.max_held);
    results_bind_int(bt, 12, res.capacity);
    results_bind_double(bt, 13, res.tick_s);
    if (results_row(bt) != 0 || ps.rc != 0) rc = CM_EXIT_FAILED;
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
  } else if (!cfg->network) {
    rc = run_buffer(c, cfg);
  } else {
    struct mxc_step *steps = g_new0(struct mxc_step, (size_t)cfg->nconfigs * cfg->nrates);
    rc = mxc__net_run(c, cfg, steps);
    if (rc == CM_EXIT_OK) rc = mxc__net_write(c, cfg, steps);
    g_free(steps);
  }
  g_free(cfg);
  return rc;
}
