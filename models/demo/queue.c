/* M/G/c provider queue over the seam: arrival and departure timers, a FIFO
 * ring of waiting jobs, a free-server stack, and sojourn times kept for the
 * quantiles (GSL, on sorted data). */
#include "queue.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

struct waiting {
  uint64_t id;
  cm_time arrival;
};

struct busy {
  queue *q;
  uint64_t id;
  cm_time arrival, start;
  uint32_t server;
};

struct queue {
  env *e;
  struct queue_config cfg;
  queue_job_fn sink;
  void *sink_arg;
  rng *arrivals, *service;
  double ln_mu, ln_sigma;
  /* FIFO ring of waiting jobs */
  struct waiting *ring;
  size_t ring_cap, head, len;
  /* servers */
  uint32_t *free_servers;
  uint32_t nfree;
  struct busy *busy; /* indexed by server */
  /* statistics */
  uint64_t next_id, completed, dropped;
  double wait_sum, sojourn_sum, busy_s;
  cm_time first_arrival, last_departure;
  GArray *sojourn; /* double seconds, completed jobs */
};

static cm_time draw_service(queue *q) {
  double s;
  switch (q->cfg.service) {
  case QUEUE_EXPONENTIAL: s = rng_exponential(q->service, q->cfg.service_mean_s); break;
  case QUEUE_LOGNORMAL: s = rng_lognormal(q->service, q->ln_mu, q->ln_sigma); break;
  default: s = q->cfg.service_mean_s; break;
  }
  return cm_time_from_s(s);
}

static void on_departure(env *e, void *arg);

static void start_service(queue *q, uint64_t id, cm_time arrival) {
  uint32_t srv = q->free_servers[--q->nfree];
  struct busy *b = &q->busy[srv];
  *b = (struct busy){.q = q, .id = id, .arrival = arrival, .start = env_now(q->e), .server = srv};
  env_after(q->e, draw_service(q), on_departure, b);
}

static void emit(queue *q, const struct queue_job *j) {
  if (q->sink) q->sink(q->sink_arg, j);
}

static void on_departure(env *e, void *arg) {
  struct busy *b = arg;
  queue *q = b->q;
  cm_time now = env_now(e);
  struct queue_job j = {.id = b->id, .arrival = b->arrival, .start = b->start, .end = now,
                        .server = b->server, .outcome = QUEUE_COMPLETED};
  q->completed++;
  q->wait_sum += cm_time_to_s(b->start - b->arrival);
  double soj = cm_time_to_s(now - b->arrival);
  q->sojourn_sum += soj;
  q->busy_s += cm_time_to_s(now - b->start);
  g_array_append_val(q->sojourn, soj);
  q->last_departure = now;
  q->free_servers[q->nfree++] = b->server;
  emit(q, &j);
  if (q->len > 0) {
    struct waiting w = q->ring[q->head];
    q->head = (q->head + 1) % q->ring_cap;
    q->len--;
    start_service(q, w.id, w.arrival);
  }
}

static void enqueue(queue *q, uint64_t id, cm_time arrival) {
  if (q->len == q->ring_cap) {
    size_t ncap = q->ring_cap * 2;
    struct waiting *nr = g_new(struct waiting, ncap);
    for (size_t i = 0; i < q->len; i++) nr[i] = q->ring[(q->head + i) % q->ring_cap];
    g_free(q->ring);
    q->ring = nr;
    q->ring_cap = ncap;
    q->head = 0;
  }
  q->ring[(q->head + q->len) % q->ring_cap] = (struct waiting){id, arrival};
  q->len++;
}

static void on_arrival(env *e, void *arg) {
  queue *q = arg;
  cm_time now = env_now(e);
  uint64_t id = ++q->next_id;
  if (id == 1) q->first_arrival = now;
  if (q->nfree > 0) {
    start_service(q, id, now);
  } else if (q->cfg.queue_capacity && q->len >= q->cfg.queue_capacity) {
    q->dropped++;
    struct queue_job j = {.id = id, .arrival = now, .start = now, .end = now, .server = UINT32_MAX,
                          .outcome = QUEUE_DROPPED_FULL};
    emit(q, &j);
  } else {
    enqueue(q, id, now);
  }
  cm_time gap = cm_time_from_s(rng_exponential(q->arrivals, 1.0 / q->cfg.arrival_rate_per_s));
  if (now + gap < q->cfg.arrivals_until) env_after(e, gap, on_arrival, q);
}

queue *queue_new(env *e, const struct queue_config *cfg, queue_job_fn sink, void *sink_arg) {
  if (!(cfg->arrival_rate_per_s > 0) || cfg->servers < 1 || !(cfg->service_mean_s > 0) ||
      (cfg->service == QUEUE_LOGNORMAL && !(cfg->service_cv > 0)) || cfg->arrivals_until <= 0)
    return NULL;
  queue *q = g_new0(queue, 1);
  q->e = e;
  q->cfg = *cfg;
  q->sink = sink;
  q->sink_arg = sink_arg;
  q->arrivals = env_rng(e, "demo:arrivals");
  q->service = env_rng(e, "demo:service");
  /* Lognormal with the given mean and cv: sigma^2 = ln(1 + cv^2). */
  q->ln_sigma = sqrt(log1p(cfg->service_cv * cfg->service_cv));
  q->ln_mu = log(cfg->service_mean_s) - q->ln_sigma * q->ln_sigma / 2;
  q->ring_cap = 64;
  q->ring = g_new(struct waiting, q->ring_cap);
  q->free_servers = g_new(uint32_t, cfg->servers);
  for (uint32_t i = 0; i < cfg->servers; i++) q->free_servers[i] = cfg->servers - 1 - i; /* pop 0 first */
  q->nfree = cfg->servers;
  q->busy = g_new0(struct busy, cfg->servers);
  q->sojourn = g_array_new(FALSE, FALSE, sizeof(double));
  cm_time first = cm_time_from_s(rng_exponential(q->arrivals, 1.0 / cfg->arrival_rate_per_s));
  if (first < cfg->arrivals_until) env_after(e, first, on_arrival, q);
  return q;
}

void queue_free(queue *q) {
  if (!q) return;
  g_free(q->ring);
  g_free(q->free_servers);
  g_free(q->busy);
  g_array_free(q->sojourn, TRUE);
  g_free(q);
}

void queue_summary(const queue *q, struct queue_summary *out) {
  memset(out, 0, sizeof *out);
  out->arrivals = q->next_id;
  out->completed = q->completed;
  out->dropped = q->dropped;
  out->in_system = q->next_id - q->completed - q->dropped;
  if (q->completed) {
    out->mean_wait_s = q->wait_sum / (double)q->completed;
    out->mean_sojourn_s = q->sojourn_sum / (double)q->completed;
    size_t n = q->sojourn->len;
    double *v = g_memdup2(q->sojourn->data, n * sizeof(double));
    gsl_sort(v, 1, n);
    out->p50_sojourn_s = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.50);
    out->p95_sojourn_s = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.95);
    out->p99_sojourn_s = gsl_stats_quantile_from_sorted_data(v, 1, n, 0.99);
    out->max_sojourn_s = v[n - 1];
    g_free(v);
    out->makespan_s = cm_time_to_s(q->last_departure - q->first_arrival);
    if (out->makespan_s > 0) {
      out->utilization = q->busy_s / ((double)q->cfg.servers * out->makespan_s);
      out->throughput_per_s = (double)q->completed / out->makespan_s;
    }
  }
}

double queue_erlang_c_wait_s(double lambda, double mu, uint32_t c) {
  double a = lambda / mu, rho = a / c;
  if (rho >= 1) return -1;
  /* Erlang B by the stable recurrence, then C from B. */
  double b = 1;
  for (uint32_t k = 1; k <= c; k++) b = a * b / (k + a * b);
  double pc = b / (1 - rho + rho * b);
  return pc / (c * mu - lambda);
}
