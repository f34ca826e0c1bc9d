/* `bench replay`: public-trace-sized replays through the Cloudless broker in
 * simulation, on one core. The benchmark writes each trace itself, seeded,
 * into a temporary folder (not timed): an Azure Functions 2021-format file
 * (app,func,end_timestamp,duration: 2 M invocations of 400 functions over
 * two weeks, rows in end-time order as the release has them) and an Azure
 * Functions 2019-format day (invocations per function per minute, duration
 * and memory percentiles: 40 M invocations of 40,000 functions). Each is
 * then read through trace_open alone (the importer: to its end, no broker)
 * and replayed: the trace-driven workload pulls the trace's invocations,
 * each trace function mapped round-robin (in order of first appearance) to
 * one of the world's four functions with the trace's duration as the
 * execution-time hint, into the live scheduler over the four simulated
 * providers of cloudless-live, outcomes into a streaming histogram. The
 * 2019 day is replayed twice: with its minutes' counts spread equidistant
 * (the first arrival of every function at the minute's start: a burst of
 * up to one call per function at each minute, which the world throttles
 * and retries), and spread uniform (the same counts, no bursts).
 *
 * Every part (writing, import, replay) runs in a child process of its own,
 * so each peak RSS (getrusage ru_maxrss in the child) is that part's alone;
 * the replay of the 2019 day also samples the resident set
 * (/proc/self/statm) after 10%, 50% and 100% of its invocations were made,
 * and after the broker drained, to show whether memory stays flat. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench_util.h"
#include "cloudless/benchmark.h"
#include "cloudless/billing.h"
#include "cloudless/cost.h"
#include "cloudless/sched.h"
#include "cloudless/workload.h"
#include "env_sim.h"
#include "faas.h"
#include "hist.h"
#include "rng.h"
#include "trace.h"

#define SEED 14
#define DAY_S 86400
#define NFN 4 /* the world's functions */

/* Sizes of the two traces. */
struct sizes {
  uint64_t az21_invocations;
  uint32_t az21_functions, az21_apps;
  uint64_t az19_invocations;
  uint32_t az19_functions;
};

/* ---- writing the traces (not timed) ---- */

/* A 64-hex-digit id like the releases' SHA-256 hashes: kind and index
 * through splitmix64, so ids are distinct and look random. */
static void hash_id(char out[65], uint64_t kind, uint64_t i) {
  uint64_t x = (kind << 40) ^ i ^ ((uint64_t)SEED << 56);
  for (int k = 0; k < 4; k++) {
    uint64_t z = (x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    snprintf(out + 16 * k, 17, "%016llx", (unsigned long long)z);
  }
}

/* n counts with Zipf weights 1/rank^s (rank 1 the most popular), summing
 * exactly to total, each at least 1 (total >= n). */
static uint64_t *zipf_counts(uint32_t n, double s, uint64_t total) {
  uint64_t *c = g_new(uint64_t, n);
  double h = 0;
  for (uint32_t i = 0; i < n; i++) h += pow(i + 1.0, -s);
  uint64_t sum = 0;
  for (uint32_t i = 0; i < n; i++) {
    c[i] = (uint64_t)floor((double)(total - n) * pow(i + 1.0, -s) / h) + 1;
    sum += c[i];
  }
  c[0] += total - sum; /* the rounding's remainder to the most popular */
  return c;
}

struct az21_row {
  double end, dur;
  uint32_t fn;
};

static int end_cmp(const void *a, const void *b) {
  const struct az21_row *x = a, *y = b;
  return x->end < y->end ? -1 : x->end > y->end;
}

/* Azure 2021 format: functions of Zipf(1.0) popularity spread over apps;
 * each function's median duration log-normal around 0.2 s (clipped to 2 ms
 * .. 20 s), each invocation's log-normal around it (sigma 0.7, 0.5 ms ..
 * 600 s); arrivals uniform over two weeks. Rows sorted by end time. */
static int write_az21(const char *path, const struct sizes *z) {
  rng *r = rng_new(SEED, "bench:replay:azure2021");
  uint64_t *cnt = zipf_counts(z->az21_functions, 1.0, z->az21_invocations);
  double *median = g_new(double, z->az21_functions);
  for (uint32_t f = 0; f < z->az21_functions; f++)
    median[f] = fmin(20, fmax(0.002, rng_lognormal(r, log(0.2), 1.2)));
  struct az21_row *rows = g_new(struct az21_row, z->az21_invocations);
  uint64_t k = 0;
  for (uint32_t f = 0; f < z->az21_functions; f++)
    for (uint64_t i = 0; i < cnt[f]; i++, k++) {
      double t = rng_uniform(r) * 14 * DAY_S;
      double d = fmin(600, fmax(0.0005, rng_lognormal(r, log(median[f]), 0.7)));
      rows[k] = (struct az21_row){t + d, d, f};
    }
  qsort(rows, k, sizeof *rows, end_cmp);
  FILE *o = fopen(path, "w");
  int rc = o ? 0 : -1;
  if (o) {
    setvbuf(o, NULL, _IOFBF, 1 << 20);
    fputs("app,func,end_timestamp,duration\n", o);
    char app[65], fn[65];
    for (uint64_t i = 0; i < k; i++) {
      hash_id(app, 1, rows[i].fn % z->az21_apps);
      hash_id(fn, 2, rows[i].fn);
      fprintf(o, "%s,%s,%.6f,%.6f\n", app, fn, rows[i].end, rows[i].dur);
    }
    if (fclose(o) != 0) rc = -1;
  }
  g_free(rows);
  g_free(median);
  g_free(cnt);
  rng_free(r);
  return rc;
}

static const char *const triggers[] = {"http", "timer", "event", "queue", "storage", "orchestration", "others"};

/* Azure 2019 format, day d01, three files in dir. Functions of Zipf(1.0)
 * popularity (each at least one invocation a day), three a app and two
 * apps an owner; a function's day spread over the minutes by a daily sine
 * (amplitude 0.5, its own phase) times a per-minute factor uniform in
 * [0.5, 1.5), rounded so that the minutes sum to its count and the day to
 * the total. Durations (ms): log-normal percentiles around a per-function
 * median (log-normal around 300 ms, 1 ms .. 30 s; sigma 0.6); memory (MB)
 * per app around a log-normal median of 150 MB. */
static int write_az19(const char *dir, const struct sizes *z) {
  rng *r = rng_new(SEED, "bench:replay:azure2019");
  uint32_t n = z->az19_functions;
  uint64_t *cnt = zipf_counts(n, 1.0, z->az19_invocations);
  char *p_inv = g_build_filename(dir, "invocations_per_function_md.anon.d01.csv", NULL);
  char *p_dur = g_build_filename(dir, "function_durations_percentiles.anon.d01.csv", NULL);
  char *p_mem = g_build_filename(dir, "app_memory_percentiles.anon.d01.csv", NULL);
  FILE *inv = fopen(p_inv, "w"), *dur = fopen(p_dur, "w"), *mem = fopen(p_mem, "w");
  int rc = inv && dur && mem ? 0 : -1;
  char owner[65], app[65], fn[65];
  /* z-scores of the duration percentiles 0, 1, 25, 50, 75, 99, 100 and of
   * the memory percentiles 1, 5, 25, 50, 75, 95, 99, 100 */
  static const double zd[7] = {-3.5, -2.326, -0.674, 0, 0.674, 2.326, 3.5};
  static const double zm[8] = {-2.326, -1.645, -0.674, 0, 0.674, 1.645, 2.326, 3.0};
  if (rc == 0) {
    setvbuf(inv, NULL, _IOFBF, 1 << 20);
    fputs("HashOwner,HashApp,HashFunction,Trigger", inv);
    for (int m = 1; m <= 1440; m++) fprintf(inv, ",%d", m);
    fputc('\n', inv);
    fputs("HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"
          "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,"
          "percentile_Average_100\n", dur);
    fputs("HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
          "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
          "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\n", mem);
    double w[1440];
    char line[1440 * 12];
    for (uint32_t f = 0; f < n; f++) {
      uint32_t a = f / 3;
      hash_id(owner, 3, a / 2);
      hash_id(app, 4, a);
      hash_id(fn, 5, f);
      double phase = rng_uniform(r) * 2 * G_PI, sum = 0;
      for (int m = 0; m < 1440; m++) {
        w[m] = (1 + 0.5 * sin(2 * G_PI * m / 1440.0 + phase)) * (0.5 + rng_uniform(r));
        sum += w[m];
      }
      size_t len = 0;
      uint64_t prev = 0;
      double cum = 0;
      for (int m = 0; m < 1440; m++) {
        cum += w[m];
        uint64_t upto = m == 1439 ? cnt[f] : (uint64_t)floor((double)cnt[f] * cum / sum);
        if (upto < prev) upto = prev;
        uint64_t c = upto - prev;
        prev = upto;
        if (c == 0) line[len++] = ',', line[len++] = '0';
        else len += (size_t)snprintf(line + len, sizeof line - len, ",%llu", (unsigned long long)c);
      }
      fprintf(inv, "%s,%s,%s,%s%.*s\n", owner, app, fn, triggers[rng_below(r, 7)], (int)len, line);
      double med = fmin(30000, fmax(1, rng_lognormal(r, log(300), 1.5))), sd = 0.6, v[7];
      for (int i = 0; i < 7; i++) v[i] = med * exp(sd * zd[i]);
      fprintf(dur, "%s,%s,%s,%.3f,%llu,%.3f,%.3f", owner, app, fn, med * exp(sd * sd / 2),
              (unsigned long long)cnt[f], v[0], v[6]);
      for (int i = 0; i < 7; i++) fprintf(dur, ",%.3f", v[i]);
      fputc('\n', dur);
      if (f % 3 == 0) {
        double mm = rng_lognormal(r, log(150), 0.5), ms = 0.15;
        fprintf(mem, "%s,%s,%u,%.2f", owner, app, 1440u, mm * exp(ms * ms / 2));
        for (int i = 0; i < 8; i++) fprintf(mem, ",%.2f", mm * exp(ms * zm[i]));
        fputc('\n', mem);
      }
    }
  }
  if (inv && fclose(inv) != 0) rc = -1;
  if (dur && fclose(dur) != 0) rc = -1;
  if (mem && fclose(mem) != 0) rc = -1;
  g_free(p_inv);
  g_free(p_dur);
  g_free(p_mem);
  g_free(cnt);
  rng_free(r);
  return rc;
}

/* ---- the parts, each in a child process ---- */

static double rss_now_mb(void) {
  FILE *f = fopen("/proc/self/statm", "r");
  unsigned long size = 0, res = 0;
  if (f && fscanf(f, "%lu %lu", &size, &res) != 2) res = 0;
  if (f) fclose(f);
  return (double)res * (double)sysconf(_SC_PAGESIZE) / 1048576.0;
}

static double max_rss_mb(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)ru.ru_maxrss / 1024.0;
}

/* CPU seconds (user + system) of this process so far: on a shared machine
 * the wall time includes waiting for a core; this does not. */
static double cpu_s(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}


struct part {
  const char *format, *path, *label;
  const struct sizes *z;
  uint64_t expect; /* invocations the trace holds */
  double goal_wall_s, goal_rss_mb; /* 0: none */
  bool sample_rss;
  enum trace_spread spread; /* azure2019: how a minute's count becomes arrival times */
};

static int part_write21(const void *arg) {
  const struct part *p = arg;
  double t0 = bench_now();
  int rc = write_az21(p->path, p->z);
  fprintf(stderr, "bench replay: wrote %s (%llu invocations) in %.1f s\n", p->path,
          (unsigned long long)p->z->az21_invocations, bench_now() - t0);
  return rc ? 1 : 0;
}

static int part_write19(const void *arg) {
  const struct part *p = arg;
  double t0 = bench_now();
  int rc = write_az19(p->path, p->z);
  fprintf(stderr, "bench replay: wrote %s (%llu invocations) in %.1f s\n", p->path,
          (unsigned long long)p->z->az19_invocations, bench_now() - t0);
  return rc ? 1 : 0;
}

/* The importer alone: trace_open, then trace_next to the end. */
static int part_import(const void *arg) {
  const struct part *p = arg;
  char *err = NULL;
  struct trace_opts o = {.spread = TRACE_SPREAD_EQUIDISTANT, .seed = SEED};
  double t0 = bench_now(), c0 = cpu_s();
  trace_src *s = trace_open(p->format, p->path, &o, &err);
  if (!s) {
    fprintf(stderr, "bench replay: %s\n", err);
    g_free(err);
    return 1;
  }
  double t_open = bench_now() - t0;
  struct trace_inv v;
  uint64_t n = 0, known = 0;
  double dur_s = 0;
  int r;
  while ((r = trace_next(s, &v)) == 1) {
    n++;
    if (v.duration > 0) known++, dur_s += cm_time_to_s(v.duration);
  }
  double wall = bench_now() - t0, cpu = cpu_s() - c0;
  int rc = 0;
  if (r < 0 || n != p->expect) {
    fprintf(stderr, "bench replay: %s: %s (%llu of %llu invocations)\n", p->format, r < 0 ? trace_error(s) : "short",
            (unsigned long long)n, (unsigned long long)p->expect);
    rc = 1;
  } else {
    printf("bench replay trace=%s part=import invocations=%llu wall_s=%.2f cpu_s=%.2f open_s=%.2f "
           "invocations_per_s=%.0f durations_known=%llu mean_duration_s=%.3f max_rss_mb=%.1f\n",
           p->label, (unsigned long long)n, wall, cpu, t_open, (double)n / wall, (unsigned long long)known,
           known ? dur_s / (double)known : 0.0, max_rss_mb());
  }
  trace_free(s);
  return rc;
}

/* The replay's pull side: the trace's next invocation as one of the
 * world's functions, round-robin by first appearance (as `cloudmix replay
 * --map round-robin` maps them: by name, through a hash table). */
struct feed {
  trace_src *src;
  GArray *map; /* uint8_t: the source's function number (trace_inv.fn) -> world function index + 1; 0 unmapped */
  uint32_t nmapped;
  const char *fnames[NFN];
  uint64_t pulled, expect;
  double busy_s; /* sum of the execution times asked for */
  const uint64_t *ended; /* calls ended so far (the sink's) */
  uint64_t max_in_flight; /* most calls made and not ended, seen at a pull */
  cm_time last;  /* the last arrival */
  int mark;         /* next RSS sample: 10%, 50%, 100% of expect */
  double rss_mb[4]; /* ..., and after the drain */
  bool sample;
  bool failed;
};

static int pull(void *arg, struct workload_arrival *out) {
  struct feed *fd = arg;
  struct trace_inv v;
  int rc = trace_next(fd->src, &v);
  if (rc <= 0) {
    if (rc < 0) fd->failed = true;
    return rc < 0 ? CM_EPARSE : 0;
  }
  if (v.fn >= fd->map->len) g_array_set_size(fd->map, v.fn + 1); /* zeroed */
  uint8_t k = g_array_index(fd->map, uint8_t, v.fn);
  if (!k) {
    k = (uint8_t)(fd->nmapped++ % NFN + 1);
    g_array_index(fd->map, uint8_t, v.fn) = k;
  }
  *out = (struct workload_arrival){.t = v.t, .function = fd->fnames[k - 1], .request_bytes = 1024,
                                   .response_bytes = 256, .exec_hint = v.duration};
  if (fd->pulled - *fd->ended > fd->max_in_flight) fd->max_in_flight = fd->pulled - *fd->ended;
  fd->pulled++;
  fd->busy_s += cm_time_to_s(v.duration);
  fd->last = v.t;
  static const int pct[3] = {10, 50, 100};
  if (fd->sample && fd->mark < 3 && fd->pulled * 100 >= fd->expect * (uint64_t)pct[fd->mark])
    fd->rss_mb[fd->mark++] = rss_now_mb();
  return 1;
}

struct sink {
  workload *w;
  hist *lat;
  uint64_t ok, failed, ended;
};

static void on_done(void *arg, const struct sched_record *r) {
  struct sink *k = arg;
  k->ended++;
  if (r->outcome == SCHED_FAILED) k->failed++;
  else {
    k->ok++;
    hist_add(k->lat, r->finished - r->submitted);
  }
  workload_done(k->w, r->id, r->outcome == SCHED_FAILED);
}

/* The replay: the world of cloudless-live with four functions, the live
 * scheduler (policy mix), the trace-driven workload on the trace. */
static int part_replay(const void *arg) {
  const struct part *p = arg;
  struct faas_provider ps[4];
  struct sched_provider sp[4];
  bench_cl_providers(ps, sp);
  struct faas_function fns[NFN] = {{.name = "tiny", .gflop = 0.05, .memory_mb = 128},
                                   {.name = "small", .gflop = 0.5, .memory_mb = 256},
                                   {.name = "medium", .gflop = 2, .memory_mb = 512},
                                   {.name = "large", .gflop = 8, .memory_mb = 1024}};
  struct feed fd = {.map = g_array_new(FALSE, TRUE, 1), .expect = p->expect,
                    .sample = p->sample_rss};
  for (int i = 0; i < NFN; i++) fd.fnames[i] = fns[i].name;
  struct sink k = {.lat = hist_new()};
  fd.ended = &k.ended;
  char *err = NULL;
  double t0 = bench_now(), c0 = cpu_s();
  struct trace_opts o = {.spread = p->spread, .seed = SEED};
  fd.src = trace_open(p->format, p->path, &o, &err);
  env *e = fd.src ? env_sim_new(SEED) : NULL;
  faas_world *w = e ? faas_world_new(e, ps, 4, fns, NFN, &err) : NULL;
  billing *b = w ? billing_new(4, 0, &err) : NULL;
  benchmark_recorder *rec = b ? benchmark_recorder_new(4, &err) : NULL;
  struct sched_config sc = {.providers = sp, .nproviders = 4, .policy = "mix", .w_outstanding = 1, .w_cost = 1,
                            .w_latency = 1, .latency_window = 10, .explore_prob = 0.05, .max_attempts = 8,
                            .backoff_base = CM_MS(100), .backoff_max = CM_S(10), .timeout = CM_S(900)};
  sched *s = rec ? sched_new(e, &sc, b, NULL, on_done, &k, &err) : NULL;
  struct workload_config wc = {.mode = WORKLOAD_TRACE, .until = CM_TIME_MAX, .next = pull, .next_arg = &fd};
  if (s) {
    sched_add_benchmark(s, benchmark_recorder_benchmark(rec));
    k.w = workload_new(e, s, &wc, &err);
  }
  int rc = 0;
  if (!k.w) {
    fprintf(stderr, "bench replay: %s\n", err ? err : "set-up failed");
    rc = 1;
  } else {
    env_run(e, CM_TIME_MAX);
    double wall = bench_now() - t0, cpu = cpu_s() - c0;
    fd.rss_mb[3] = rss_now_mb();
    double peak = max_rss_mb();
    uint64_t ended = k.ok + k.failed;
    if (fd.failed || workload_trace_error(k.w) || fd.pulled != p->expect || ended != fd.pulled) {
      fprintf(stderr, "bench replay: %s: %s; %llu of %llu invocations made, %llu ended\n", p->format,
              fd.failed ? trace_error(fd.src) : "stopped", (unsigned long long)fd.pulled,
              (unsigned long long)p->expect, (unsigned long long)ended);
      rc = 1;
    } else {
      struct sched_stats st;
      sched_stats(s, &st);
      fprintf(stderr, "  failed by reason: throttled %llu error %llu timeout %llu network %llu budget %llu none %llu; "
                      "retries %llu; simulated %.1f days\n",
              (unsigned long long)st.failed_by_reason[0], (unsigned long long)st.failed_by_reason[1],
              (unsigned long long)st.failed_by_reason[2], (unsigned long long)st.failed_by_reason[3],
              (unsigned long long)st.failed_by_reason[4], (unsigned long long)st.failed_by_reason[5],
              (unsigned long long)st.retries, cm_time_to_s(env_now(e)) / DAY_S);
      printf("bench replay trace=%s part=replay spread=%s invocations=%llu functions=%u "
             "offered_concurrency=%.1f wall_s=%.2f cpu_s=%.2f invocations_per_s=%.0f events=%llu retries=%llu "
             "max_in_flight=%llu failed=%llu latency_p50_s=%.3f",
             p->label, strcmp(p->format, "azure2019") ? "none" : trace_spread_name(p->spread), (unsigned long long)fd.pulled, fd.nmapped,
             fd.last > 0 ? fd.busy_s / cm_time_to_s(fd.last) : 0.0, wall, cpu, (double)fd.pulled / wall,
             (unsigned long long)engine_events(env_sim_engine(e)), (unsigned long long)st.retries,
             (unsigned long long)fd.max_in_flight, (unsigned long long)k.failed, cm_time_to_s(hist_percentile(k.lat, 0.5)));
      if (p->sample_rss) {
        double growth = fd.rss_mb[2] - fd.rss_mb[0];
        printf(" rss_mb_at_10pct=%.1f rss_mb_at_50pct=%.1f rss_mb_at_100pct=%.1f rss_mb_drained=%.1f "
               "rss_growth_10_to_100pct_mb=%.1f",
               fd.rss_mb[0], fd.rss_mb[1], fd.rss_mb[2], fd.rss_mb[3], growth);
      }
      printf(" max_rss_mb=%.1f goal_wall_s=%g", peak, p->goal_wall_s);
      if (p->goal_rss_mb > 0) printf(" goal_rss_mb=%g", p->goal_rss_mb);
      bool met = wall < p->goal_wall_s && (p->goal_rss_mb <= 0 || peak < p->goal_rss_mb);
      if (p->sample_rss) {
        /* flat: from 10% to 100% of the invocations, under 5 MB or 10% more */
        bool flat = fd.rss_mb[2] - fd.rss_mb[0] <= fmax(5.0, 0.1 * fd.rss_mb[0]);
        printf(" goal_memory=flat rss_flat=%s", flat ? "yes" : "no");
        met = met && flat;
      }
      printf(" met=%s\n", met ? "yes" : "no");
    }
  }
  workload_free(k.w);
  sched_free(s);
  benchmark_recorder_free(rec);
  billing_free(b);
  faas_world_free(w);
  if (e) env_free(e);
  trace_free(fd.src);
  hist_free(k.lat);
  g_array_free(fd.map, TRUE);
  g_free(err);
  return rc;
}

static void remove_tree(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *e;
  while (d && (e = g_dir_read_name(d))) {
    char *p = g_build_filename(dir, e, NULL);
    g_unlink(p);
    g_free(p);
  }
  if (d) g_dir_close(d);
  g_rmdir(dir);
}

int bench_replay(bool quick) {
  const struct sizes z = quick ? (struct sizes){50000, 100, 30, 400000, 2000}
                               : (struct sizes){2000000, 400, 120, 40000000, 40000};
  GError *gerr = NULL;
  char *dir = g_dir_make_tmp("cloudmix-bench-replay-XXXXXX", &gerr);
  if (!dir) {
    fprintf(stderr, "bench replay: temporary folder: %s\n", gerr->message);
    g_error_free(gerr);
    return 1;
  }
  char *p21 = g_build_filename(dir, "AzureFunctionsInvocationTraceForTwoWeeksJan2021.txt", NULL);
  char *d19 = g_build_filename(dir, "azure2019", NULL);
  int rc = g_mkdir(d19, 0700) == 0 ? 0 : 1;
  struct part a21 = {.format = "azure2021", .path = p21, .label = "azure2021", .z = &z,
                     .expect = z.az21_invocations, .goal_wall_s = 5, .goal_rss_mb = 500};
  struct part a19 = {.format = "azure2019", .path = d19, .label = "azure2019-day", .z = &z,
                     .expect = z.az19_invocations, .goal_wall_s = 60, .sample_rss = true};
  struct part a19u = a19;
  a19u.spread = TRACE_SPREAD_UNIFORM;
  fprintf(stderr, "bench replay: writing the traces into %s...\n", dir);
  if (rc == 0) rc = bench_isolated("replay", part_write21, &a21);
  if (rc == 0) rc = bench_isolated("replay", part_import, &a21);
  if (rc == 0) rc = bench_isolated("replay", part_replay, &a21);
  if (rc == 0) rc = bench_isolated("replay", part_write19, &a19);
  if (rc == 0) rc = bench_isolated("replay", part_import, &a19);
  if (rc == 0) rc = bench_isolated("replay", part_replay, &a19);
  if (rc == 0) rc = bench_isolated("replay", part_replay, &a19u);
  g_unlink(p21);
  remove_tree(d19);
  g_rmdir(dir);
  g_free(p21);
  g_free(d19);
  g_free(dir);
  return rc;
}
