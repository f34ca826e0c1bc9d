/* Runner of the demo model: scenario keys -> queue config, a sim env, the
 * run with a progress bar, one row per job in demo_jobs (written through
 * analysis/tab_demo.h), summary metrics, and a summary table with the
 * Erlang C figure beside the simulated one. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "demo/queue.h"
#include "env_sim.h"
#include "tab_demo.h"

const struct scn_key demo_keys[] = {
    {"demo", "arrival_rate_per_s", SCN_DOUBLE, 1e-9, 1e7, NULL, NULL,
     "Poisson arrival rate of invocations (1/s); required"},
    {"demo", "servers", SCN_INT, 1, 100000, NULL, "1", "warm containers serving in parallel"},
    {"demo", "service", SCN_ENUM, 0, 0, "exponential|lognormal|constant", "exponential",
     "service-time distribution"},
    {"demo", "service_mean_ms", SCN_DOUBLE, 1e-6, 1e9, NULL, NULL, "mean service (execution) time (ms); required"},
    {"demo", "service_cv", SCN_DOUBLE, 1e-6, 100, NULL, "1", "lognormal only: coefficient of variation sd/mean"},
    {"demo", "queue_capacity", SCN_INT, 0, 1e12, NULL, "0",
     "waiting room; an arrival finding it full is dropped; 0 = unbounded"},
    {"demo", "record_jobs", SCN_BOOL, 0, 0, NULL, "true", "write one demo_jobs row per invocation"},
};
const size_t demo_nkeys = sizeof demo_keys / sizeof demo_keys[0];

struct sink {
  struct tab_demo_jobs jobs;
  bool record;
  int64_t run_id;
  int rc;
};

static void on_job(void *arg, const struct queue_job *j) {
  struct sink *s = arg;
  if (!s->record || s->rc) return;
  struct tab_demo_job row = {.run_id = s->run_id, .job = (int64_t)j->id, .arrival_ns = j->arrival,
                             .start_ns = j->start, .end_ns = j->end,
                             .server = j->server == UINT32_MAX ? -1 : (int64_t)j->server,
                             .outcome = j->outcome == QUEUE_COMPLETED ? "completed" : "dropped_queue_full"};
  s->rc = tab_demo_jobs_add(&s->jobs, &row);
}

int run_demo(struct run_ctx *c) {
  const scenario *s = c->s;
  struct queue_config cfg = {
      .arrival_rate_per_s = scenario_double(s, "demo", "arrival_rate_per_s"),
      .servers = (uint32_t)scenario_int(s, "demo", "servers"),
      .service_mean_s = scenario_double(s, "demo", "service_mean_ms") / 1e3,
      .service_cv = scenario_double(s, "demo", "service_cv"),
      .queue_capacity = (uint64_t)scenario_int(s, "demo", "queue_capacity"),
      .arrivals_until = cm_time_from_s(scenario_double(s, "run", "duration_s")),
  };
  const char *svc = scenario_string(s, "demo", "service");
  cfg.service = !strcmp(svc, "lognormal") ? QUEUE_LOGNORMAL : !strcmp(svc, "constant") ? QUEUE_CONSTANT : QUEUE_EXPONENTIAL;

  env *e = env_sim_new(c->seed);
  struct sink sk = {.run_id = c->run_id};
  if (scenario_bool(s, "demo", "record_jobs")) {
    sk.record = true;
    if (tab_demo_jobs_open(c->db, &sk.jobs) != 0) {
      fprintf(stderr, "cloudmix: cannot create demo_jobs: %s\n", results_errmsg(c->db));
      env_free(e);
      return CM_EXIT_FAILED;
    }
  }
  queue *q = queue_new(e, &cfg, on_job, &sk);
  if (!q) cm_fatal(CM_LOC, "demo: the schema admitted a config queue_new refuses");
  struct progress pr;
  progress_init(&pr, c->quiet, cfg.arrivals_until);
  engine *en = env_sim_engine(e);
  engine_set_progress(en, progress_tick, &pr, 1 << 16);
  env_run(e, CM_TIME_MAX); /* arrivals stop at duration_s; run drains the queue */
  progress_done(&pr);
  c->events = engine_events(en);
  c->sim_end = engine_now(en);

  struct queue_summary sum;
  queue_summary(q, &sum);
  double mu = 1.0 / cfg.service_mean_s;
  double erlang = cfg.service == QUEUE_EXPONENTIAL && cfg.queue_capacity == 0
                      ? queue_erlang_c_wait_s(cfg.arrival_rate_per_s, mu, cfg.servers)
                      : NAN;
  const struct {
    const char *name;
    double v;
  } metrics[] = {
      {"arrivals", (double)sum.arrivals},      {"completed", (double)sum.completed},
      {"dropped", (double)sum.dropped},        {"unfinished", (double)sum.in_system},
      {"mean_wait_s", sum.mean_wait_s},        {"mean_sojourn_s", sum.mean_sojourn_s},
      {"p50_sojourn_s", sum.p50_sojourn_s},    {"p95_sojourn_s", sum.p95_sojourn_s},
      {"p99_sojourn_s", sum.p99_sojourn_s},    {"max_sojourn_s", sum.max_sojourn_s},
      {"utilization", sum.utilization},        {"throughput_per_s", sum.throughput_per_s},
      {"erlang_c_mean_wait_s", erlang},
  };
  int rc = sk.rc ? CM_EXIT_FAILED : 0;
  for (size_t i = 0; i < sizeof metrics / sizeof metrics[0] && rc == 0; i++)
    if (results_metric(c->db, c->run_id, metrics[i].name, metrics[i].v) != 0) rc = CM_EXIT_FAILED;
  if (rc) fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
  if (sum.in_system != 0) {
    fprintf(stderr, "cloudmix: %llu jobs without an outcome at the end of the run\n",
            (unsigned long long)sum.in_system);
    rc = CM_EXIT_FAILED;
  }

  if (!c->quiet) {
    double rho = cfg.arrival_rate_per_s / (mu * cfg.servers);
    printf("demo: one provider, %u warm containers, %s service mean %.1f ms, arrivals %.2f/s for %.0f s "
           "(offered load %.2f), seed %llu\n",
           cfg.servers, svc, cfg.service_mean_s * 1e3, cfg.arrival_rate_per_s, cm_time_to_s(cfg.arrivals_until), rho,
           (unsigned long long)c->seed);
    printf("  %-22s %14s\n", "metric", "value");
    printf("  %-22s %14llu\n", "invocations", (unsigned long long)sum.arrivals);
    printf("  %-22s %14llu\n", "completed", (unsigned long long)sum.completed);
    printf("  %-22s %14llu\n", "dropped (queue full)", (unsigned long long)sum.dropped);
    printf("  %-22s %14.4f\n", "mean wait (s)", sum.mean_wait_s);
    if (!isnan(erlang)) printf("  %-22s %14.4f\n", "Erlang C wait (s)", erlang);
    printf("  %-22s %14.4f\n", "mean response (s)", sum.mean_sojourn_s);
    printf("  %-22s %14.4f\n", "p50 response (s)", sum.p50_sojourn_s);
    printf("  %-22s %14.4f\n", "p95 response (s)", sum.p95_sojourn_s);
    printf("  %-22s %14.4f\n", "p99 response (s)", sum.p99_sojourn_s);
    printf("  %-22s %14.4f\n", "utilization", sum.utilization);
    printf("  %-22s %14.3f\n", "throughput (1/s)", sum.throughput_per_s);
  }
  queue_free(q);
  env_free(e);
  return rc;
}
