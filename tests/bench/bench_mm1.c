/* The M/M/1 benchmark: the queue written against the engine API (an arrival
 * event schedules the next arrival, a ring-buffer FIFO of arrival times, a
 * departure event, GSL exponential draws on named streams), timed over 1e6
 * customers; then the same model in SimPy via tests/bench/mm1_simpy.py, run
 * by /usr/bin/python3, and the ratio of the two event rates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <gsl/gsl_randist.h>

#include "bench_util.h"
#include "engine.h"
#include "rng.h"

#define SIMPY_PY "/usr/bin/python3"
#define SIMPY_SCRIPT "tests/bench/mm1_simpy.py"

struct mm1 {
  gsl_rng *arr, *svc;
  double arr_mean_ns, svc_mean_ns;
  cm_time *fifo; /* arrival times of the customers in the system; head in service */
  size_t mask, head, len;
  uint64_t customers, arrivals, departures;
  int64_t sojourn_sum_ns;
  results_table *rows;
  int64_t run_id;
  bool failed;
};

static inline cm_time draw_ns(gsl_rng *g, double mean_ns) {
  return (cm_time)(gsl_ran_exponential(g, mean_ns) + 0.5);
}

static void mm1_departure(engine *en, void *arg);

static void mm1_arrival(engine *en, void *arg) {
  struct mm1 *m = arg;
  if (m->len > m->mask) { /* grow the ring, unwrapping it */
    size_t cap = (m->mask + 1) * 2;
    cm_time *nf = malloc(cap * sizeof(*nf));
    if (!nf) cm_fatal(CM_LOC, "mm1: out of memory");
    for (size_t i = 0; i < m->len; i++) nf[i] = m->fifo[(m->head + i) & m->mask];
    free(m->fifo);
    m->fifo = nf;
    m->head = 0;
    m->mask = cap - 1;
  }
  m->fifo[(m->head + m->len++) & m->mask] = engine_now(en);
  if (m->len == 1) engine_after(en, draw_ns(m->svc, m->svc_mean_ns), mm1_departure, m);
  if (++m->arrivals < m->customers) engine_after(en, draw_ns(m->arr, m->arr_mean_ns), mm1_arrival, m);
}

static void mm1_departure(engine *en, void *arg) {
  struct mm1 *m = arg;
  cm_time now = engine_now(en);
  cm_time arrived = m->fifo[m->head];
  m->head = (m->head + 1) & m->mask;
  m->len--;
  m->sojourn_sum_ns += now - arrived;
  if (m->rows) {
    results_bind_int(m->rows, 1, m->run_id);
    results_bind_int(m->rows, 2, (int64_t)m->departures);
    results_bind_text(m->rows, 3, "server-0");
    results_bind_int(m->rows, 4, arrived);
    results_bind_int(m->rows, 5, now);
    results_bind_double(m->rows, 6, cm_time_to_s(now - arrived));
    if (results_row(m->rows) != 0) {
      m->failed = true;
      engine_stop(en);
    }
  }
  m->departures++;
  if (m->len > 0) engine_after(en, draw_ns(m->svc, m->svc_mean_ns), mm1_departure, m);
}

int mm1_run(uint64_t customers, uint64_t seed, results_table *rows, int64_t run_id, struct mm1_result *out) {
  struct mm1 m = {.arr_mean_ns = 1e9 / MM1_LAMBDA, .svc_mean_ns = 1e9 / MM1_MU, .mask = 1023,
                  .customers = customers, .rows = rows, .run_id = run_id};
  rng *ra = rng_new(seed, "mm1:arrivals"), *rs = rng_new(seed, "mm1:service");
  engine *en = engine_new();
  m.fifo = malloc((m.mask + 1) * sizeof(*m.fifo));
  int rc = -1;
  if (!ra || !rs || !en || !m.fifo) {
    fprintf(stderr, "bench mm1: out of memory\n");
    goto out;
  }
  m.arr = rng_gsl(ra);
  m.svc = rng_gsl(rs);
  if (customers > 0) engine_after(en, draw_ns(m.arr, m.arr_mean_ns), mm1_arrival, &m);
  double t0 = bench_now();
  engine_run_until(en, CM_TIME_MAX);
  out->seconds = bench_now() - t0;
  out->events = engine_events(en);
  out->customers = m.departures;
  out->mean_sojourn_s = m.departures ? (double)m.sojourn_sum_ns / (double)m.departures / 1e9 : 0.0;
  if (m.failed)
    fprintf(stderr, "bench mm1: writing a row failed\n");
  else if (m.departures != customers || out->events != 2 * customers)
    fprintf(stderr, "bench mm1: %llu departures, %llu events for %llu customers\n",
            (unsigned long long)m.departures, (unsigned long long)out->events, (unsigned long long)customers);
  else
    rc = 0;
out:
  engine_free(en);
  rng_free(ra);
  rng_free(rs);
  free(m.fifo);
  return rc;
}

/* The SimPy script: ./tests/bench, then $CLOUDMIX_SRC, then next to the
 * executable's parent folder (build/cloudmix -> repo root). */
static char *find_script(void) {
  if (access(SIMPY_SCRIPT, R_OK) == 0) return g_strdup(SIMPY_SCRIPT);
  const char *src = g_getenv("CLOUDMIX_SRC");
  if (src) {
    char *p = g_build_filename(src, SIMPY_SCRIPT, NULL);
    if (access(p, R_OK) == 0) return p;
    g_free(p);
  }
  char *exe = g_file_read_link("/proc/self/exe", NULL);
  if (exe) {
    char *dir = g_path_get_dirname(exe);
    char *p = g_build_filename(dir, "..", SIMPY_SCRIPT, NULL);
    g_free(dir);
    g_free(exe);
    if (access(p, R_OK) == 0) return p;
    g_free(p);
  }
  return NULL;
}

/* Value of `key=` in a line of key=value words; NULL if absent. */
static const char *kv_find(const char *text, const char *key) {
  size_t kl = strlen(key);
  for (const char *p = text; (p = strstr(p, key)) != NULL; p += kl)
    if ((p == text || p[-1] == ' ' || p[-1] == '\n') && p[kl] == '=') return p + kl + 1;
  return NULL;
}

/* Run the SimPy model; true with its events/s and version on success. */
static bool run_simpy(uint64_t customers, double *events_per_s, char *version, size_t vsize) {
  if (access(SIMPY_PY, X_OK) != 0) {
    fprintf(stderr, "bench mm1: %s not found; no SimPy comparison\n", SIMPY_PY);
    return false;
  }
  char *script = find_script();
  if (!script) {
    fprintf(stderr, "bench mm1: %s not found (run from the repo root or set CLOUDMIX_SRC)\n", SIMPY_SCRIPT);
    return false;
  }
  char ncust[32];
  snprintf(ncust, sizeof(ncust), "%llu", (unsigned long long)customers);
  char *argv[] = {SIMPY_PY, script, "--customers", ncust, "--seed", "1", NULL};
  char *sout = NULL, *serr = NULL;
  int status = 0;
  GError *err = NULL;
  bool ok = false;
  fprintf(stderr, "bench mm1: running %s %s --customers %s ...\n", SIMPY_PY, script, ncust);
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &sout, &serr, &status, &err)) {
    fprintf(stderr, "bench mm1: cannot run %s: %s\n", SIMPY_PY, err->message);
    g_error_free(err);
  } else if (!g_spawn_check_wait_status(status, NULL)) {
    fprintf(stderr, "bench mm1: SimPy script failed: %s", serr ? serr : "");
  } else {
    fputs(serr ? serr : "", stderr);
    const char *eps = kv_find(sout, "events_per_s"), *ver = kv_find(sout, "simpy_version");
    if (eps && (*events_per_s = strtod(eps, NULL)) > 0) {
      snprintf(version, vsize, "%.*s", ver ? (int)strcspn(ver, " \n") : 7, ver ? ver : "unknown");
      fprintf(stderr, "bench mm1: SimPy said: %s", sout);
      ok = true;
    } else {
      fprintf(stderr, "bench mm1: no events_per_s in the SimPy output: %s\n", sout);
    }
  }
  g_free(sout);
  g_free(serr);
  g_free(script);
  return ok;
}

int bench_mm1(bool quick) {
  uint64_t customers = quick ? 100000 : 1000000;
  uint64_t simpy_customers = quick ? 20000 : 200000;
  fprintf(stderr, "bench mm1: %llu customers, 3 runs (same seed), median time...\n", (unsigned long long)customers);
  struct mm1_result res[3];
  for (int i = 0; i < 3; i++)
    if (mm1_run(customers, 1, NULL, 0, &res[i]) != 0) return 1;
  double med = bench_median3(res[0].seconds, res[1].seconds, res[2].seconds);
  fprintf(stderr, "  runs %.3f %.3f %.3f s\n", res[0].seconds, res[1].seconds, res[2].seconds);
  double eps = (double)res[0].events / med;
  double analytic = 1.0 / (MM1_MU - MM1_LAMBDA);
  double simpy_eps = 0;
  char ver[32];
  bool have_simpy = run_simpy(simpy_customers, &simpy_eps, ver, sizeof(ver));
  printf("bench mm1 customers=%llu events=%llu events_per_s=%.0f customers_per_s=%.0f mean_sojourn_s=%.2f "
         "analytic_sojourn_s=%.2f",
         (unsigned long long)res[0].customers, (unsigned long long)res[0].events, eps,
         (double)res[0].customers / med, res[0].mean_sojourn_s, analytic);
  if (have_simpy)
    printf(" simpy_version=%s simpy_customers=%llu simpy_events_per_s=%.0f ratio_vs_simpy=%.2f\n", ver,
           (unsigned long long)simpy_customers, simpy_eps, eps / simpy_eps);
  else
    printf(" simpy=absent\n");
  return 0;
}
