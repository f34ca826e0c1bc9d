/* The elasticity experiment's output: the time series and the attempts
 * through analysis/tab_mixclaves_elastic.h, the run's metrics, and the
 * printed summary (seed Fig. 10: throughput grows as nodes are added,
 * latency holds). "End" figures are means over the last END_BINS bins. */
#include <math.h>
#include <stdio.h>

#include "mixclaves_elastic.h"
#include "tab_mixclaves_elastic.h"

#define END_BINS 5

/* Means over the last END_BINS rows (NaN p50/p99 skipped). */
static void end_means(const struct elastic_result *r, double *delivered, double *p50, double *p99) {
  guint n = r->rows->len, from = n > END_BINS ? n - END_BINS : 0, k = 0, kl = 0;
  double d = 0, a = 0, b = 0;
  for (guint i = from; i < n; i++) {
    const struct tab_mixclaves_elastic_row *x = &g_array_index(r->rows, struct tab_mixclaves_elastic_row, i);
    d += x->delivered_per_s;
    k++;
    if (!isnan(x->p50_rtt_s)) {
      a += x->p50_rtt_s;
      b += x->p99_rtt_s;
      kl++;
    }
  }
  *delivered = k ? d / k : NAN;
  *p50 = kl ? a / kl : NAN;
  *p99 = kl ? b / kl : NAN;
}

static void summary(const struct elastic_result *r, double d_end, double p50, double p99) {
  guint n = r->rows->len, every = n > 25 ? (n + 24) / 25 : 1;
  printf("Fig. 10 (elasticity): thresholds");
  for (uint32_t i = 0; i < r->nth; i++) printf("%s%g", i ? "," : " ", r->thresholds[i]);
  printf(" msg/s at 1, 2, ... nodes\n%7s %8s %9s %9s %8s %8s %5s %5s %9s %6s\n", "t (s)", "target", "offered",
         "delivered", "p50 ms", "p99 ms", "nodes", "epoch", "clients", "qfull");
  for (guint i = 0; i < n; i++) {
    const struct tab_mixclaves_elastic_row *x = &g_array_index(r->rows, struct tab_mixclaves_elastic_row, i);
    if (i % every && i + 1 != n) continue;
    char cl[24];
    snprintf(cl, sizeof cl, "%lld/%lld", (long long)x->clients_current, (long long)x->clients);
    printf("%7.1f %8.0f %9.0f %9.0f %8.2f %8.2f %5lld %5lld %9s %6lld\n", x->t_s, x->target_per_s,
           x->offered_per_s, x->delivered_per_s, x->p50_rtt_s * 1e3, x->p99_rtt_s * 1e3, (long long)x->nodes,
           (long long)x->epoch, cl, (long long)x->queue_full);
  }
  printf("reconfiguration attempts:\n%4s %6s %6s %6s %9s %9s %16s  %s\n", "#", "scale", "epoch", "nodes", "start s",
         "end s", "installs (t/o)", "outcome");
  for (size_t i = 0; i < r->nattempts; i++) {
    const struct updater_attempt *a = &r->attempts[i];
    char inst[32];
    snprintf(inst, sizeof inst, "%llu (%llu)", (unsigned long long)a->installs_sent,
             (unsigned long long)a->installs_timed_out);
    printf("%4u %6u %6u %6u %9.2f %9.2f %16s  %s\n", a->id, a->scale_out, a->version, a->nodes,
           cm_time_to_s(a->started), a->ended < 0 ? NAN : cm_time_to_s(a->ended), inst,
           updater_outcome_name(a->outcome));
  }
  const struct updater_counters *k = &r->uk;
  printf("end (last %d s): delivered %.0f msg/s, p50 %.2f ms, p99 %.2f ms, %u nodes in epoch %u (%u provisioned)\n",
         END_BINS, d_end, p50 * 1e3, p99 * 1e3, k->nodes, k->epoch, r->provisioned);
  printf("attempts %llu: committed %llu, retried %llu, abandoned %llu, running %llu; scale-outs %llu, provisioning "
         "refused %llu\n",
         (unsigned long long)k->attempts, (unsigned long long)k->committed, (unsigned long long)k->retried,
         (unsigned long long)k->abandoned, (unsigned long long)k->running, (unsigned long long)k->scale_outs,
         (unsigned long long)k->provision_failed);
  printf("control packets (%s): %llu sent, %llu back, %llu dropped in the network (node queues: %llu queue_full, "
         "%llu stale_epoch, all packets); requests timed out: metrics %llu, install %llu, commit %llu; late replies "
         "%llu\n",
         r->transport, (unsigned long long)r->ck.sent, (unsigned long long)r->ck.returned, (unsigned long long)r->ck.outstanding,
         (unsigned long long)r->ctrl_queue_full_nodes, (unsigned long long)r->stale_nodes,
         (unsigned long long)k->metrics_timed_out,
         (unsigned long long)k->install_timed_out, (unsigned long long)k->commit_timed_out,
         (unsigned long long)k->late);
  printf("clients: longest commit -> refresh %.0f ms\n", cm_time_to_s(r->refresh_max) * 1e3);
}

int mxc__elastic_write(struct run_ctx *c, const struct elastic_result *r) {
  struct tab_mixclaves_elastic ts = {0};
  struct tab_mixclaves_elastic_attempts ta = {0};
  int ok = tab_mixclaves_elastic_open(c->db, &ts) == 0 && tab_mixclaves_elastic_attempts_open(c->db, &ta) == 0;
  for (guint i = 0; ok && i < r->rows->len; i++) {
    struct tab_mixclaves_elastic_row x = g_array_index(r->rows, struct tab_mixclaves_elastic_row, i);
    x.run_id = c->run_id;
    ok = tab_mixclaves_elastic_add(&ts, &x) == 0;
  }
  for (size_t i = 0; ok && i < r->nattempts; i++) {
    const struct updater_attempt *a = &r->attempts[i];
    struct tab_mixclaves_elastic_attempt x = {
        .run_id = c->run_id, .attempt = a->id, .scale_out = a->scale_out, .version = a->version,
        .nodes = a->nodes, .acked = a->acked, .installs_sent = (int64_t)a->installs_sent,
        .installs_timed_out = (int64_t)a->installs_timed_out, .started_s = cm_time_to_s(a->started),
        .ended_s = a->ended < 0 ? NAN : cm_time_to_s(a->ended), .outcome = updater_outcome_name(a->outcome)};
    ok = tab_mixclaves_elastic_attempts_add(&ta, &x) == 0;
  }
  double d_end, p50, p99;
  end_means(r, &d_end, &p50, &p99);
  const struct updater_counters *k = &r->uk;
  const struct {
    const char *name;
    double v;
  } m[] = {{"delivered_end_per_s", d_end},
           {"p50_end_s", p50},
           {"p99_end_s", p99},
           {"nodes_end", k->nodes},
           {"epoch_end", k->epoch},
           {"attempts", (double)k->attempts},
           {"attempts_committed", (double)k->committed},
           {"attempts_retried", (double)k->retried},
           {"attempts_abandoned", (double)k->abandoned},
           {"ctrl_sent", (double)r->ck.sent},
           {"ctrl_dropped", (double)r->ck.outstanding},
           {"stale_epoch", (double)r->stale_nodes},
           {"refresh_max_s", cm_time_to_s(r->refresh_max)},
           {"unaccounted", (double)r->unaccounted}};
  for (size_t i = 0; ok && i < G_N_ELEMENTS(m); i++) ok = results_metric(c->db, c->run_id, m[i].name, m[i].v) == 0;
  if (!ok) {
    fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
    return CM_EXIT_FAILED;
  }
  if (!c->quiet) summary(r, d_end, p50, p99);
  if (r->unaccounted) {
    fprintf(stderr, "cloudmix: %llu packets unaccounted for at the end of the run\n",
            (unsigned long long)r->unaccounted);
    return CM_EXIT_FAILED;
  }
  return CM_EXIT_OK;
}
