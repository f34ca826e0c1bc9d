/* `bench real-invoke`: invocations per second through the real backend
 * (real/env_real_http.c, libcurl multi on the env's GLib loop) and the live
 * scheduler against the provider emulator on loopback, side by side with
 * wrk against the same endpoint in the same run (the loopback HTTP limit of
 * that server); the scheduler's decision time per call; and 10,000 calls in
 * flight at once with the process's peak RSS.
 *
 * Method. Throughput: the emulator (real/emulate.h) runs in a thread of its
 * own with its own GMainContext, one OpenFaaS provider with every modelled
 * delay 0 (exec, cold start, scheduling delay, link), so what is measured is
 * the HTTP path. wrk (-t1 -c64 -d5s, POSTing the body our adapter sends)
 * and then our client (64 calls kept in flight, closed loop, 5 s) each get
 * one CPU and the emulator the other, when two are allowed. Flood: the
 * emulator runs as a child process (`cloudmix emulate` on a scenario written
 * to a temporary file), so the peak RSS and the descriptors counted are the
 * client's alone; 10,000 calls go through the scheduler, started at an even
 * rate over 20 s, each taking 25 s, so all are in flight together, and
 * every one must end in exactly one outcome. */
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "bench_util.h"
#include "cloudless/sched.h"
#include "emulate.h"
#include "env_real.h"
#include "hist.h"
#include "provider.h"

#define CLIENTS 64        /* calls in flight, as wrk's connections */
#define FLOOD 10000       /* calls in flight at once */
#define FLOOD_EXEC_MS 25000 /* longer than the ramp: every call is in flight before the first answer */
#define FLOOD_EXEC_QUICK_MS 2000 /* --quick: longer than its 1 s ramp */
static int flood_exec_ms = FLOOD_EXEC_MS;
#define FLOOD_RAMP_S 20.0     /* the calls start at an even rate over this (500/s) */
#define FLOOD_TICK CM_MS(10)
#define GOAL_RATIO 0.5
#define GOAL_DECISION_NS 5000

/* ---- the emulator in a thread of its own ---- */

struct emu {
  GThread *th;
  GMainLoop *loop;
  GMutex mu;
  GCond cv;
  bool ready;
  int cpu; /* -1: not pinned */
  emulate *em;
  char url[64];
  uint64_t answered;
};

static void pin_self(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  sched_setaffinity(0, sizeof set, &set);
}

static gpointer emu_main(gpointer arg) {
  struct emu *m = arg;
  pin_self(m->cpu);
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  /* Every modelled delay 0: no exec, cold start, scheduling delay or link
   * latency, unlimited bandwidth and concurrency, warm containers ready. */
  struct faas_provider p = {.name = "of", .platform = "openfaas", .tier = FAAS_LOCAL_EDGE, .nbins = 1,
                            .gflops_per_vcpu = 1, .keep_alive = CM_S(3600), .prewarm = 2 * CLIENTS};
  p.bins[0] = (struct faas_bin){2048, 1};
  struct faas_function f = {.name = "f", .gflop = 0, .memory_mb = 1};
  struct emulate_config c = {.providers = &p, .nproviders = 1, .functions = &f, .nfunctions = 1, .seed = 1};
  char *err = NULL;
  m->em = emulate_new(&c, &err);
  if (!m->em) fprintf(stderr, "bench real-invoke: emulate_new: %s\n", err);
  g_free(err);
  m->loop = g_main_loop_new(ctx, FALSE);
  g_mutex_lock(&m->mu);
  if (m->em) g_strlcpy(m->url, emulate_url(m->em), sizeof m->url);
  m->ready = true;
  g_cond_broadcast(&m->cv);
  g_mutex_unlock(&m->mu);
  if (m->em) {
    g_main_loop_run(m->loop);
    m->answered = emulate_count(m->em, "of", -1);
    emulate_free(m->em);
  }
  g_main_loop_unref(m->loop);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return NULL;
}

static gboolean quit_loop(gpointer loop) {
  g_main_loop_quit(loop);
  return G_SOURCE_REMOVE;
}

static void emu_stop(struct emu *m) {
  if (!m->th) return;
  if (m->em) { /* quit from inside its context, so a loop not yet running still ends */
    GSource *s = g_idle_source_new();
    g_source_set_callback(s, quit_loop, m->loop, NULL);
    g_source_attach(s, g_main_loop_get_context(m->loop));
    g_source_unref(s);
  }
  g_thread_join(m->th);
  m->th = NULL;
}

/* ---- wrk ---- */

static void pin_child(gpointer cpu) { pin_self(GPOINTER_TO_INT(cpu) - 1); }

/* Requests/sec of wrk against url with body; -1 if wrk is missing or
 * failed (why on stderr). */
static double run_wrk(const char *url, const char *body, double secs, int cpu) {
  char *wrk = g_find_program_in_path("wrk");
  if (!wrk) {
    fprintf(stderr, "bench real-invoke: wrk is not installed (Debian package wrk): the ratio cannot be measured\n");
    return -1;
  }
  char *script = NULL;
  GError *gerr = NULL;
  int fd = g_file_open_tmp("cloudmix-wrk-XXXXXX.lua", &script, &gerr);
  double rps = -1;
  char *out = NULL, *errs = NULL;
  if (fd < 0) goto done;
  char *lua = g_strdup_printf("wrk.method = \"POST\"\nwrk.body = [==[%s]==]\n"
                              "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
                              "wrk.headers[\"" EMULATE_TIMEOUT_HEADER "\"] = \"60000\"\n", body);
  bool wrote = write(fd, lua, strlen(lua)) == (ssize_t)strlen(lua);
  close(fd);
  g_free(lua);
  if (!wrote) goto done;
  char dur[32], conns[16];
  snprintf(dur, sizeof dur, "%.0fs", secs);
  snprintf(conns, sizeof conns, "%d", CLIENTS);
  char *argv[] = {wrk, "-t1", "-c", conns, "-d", dur, "-s", script, (char *)url, NULL};
  int status = 0;
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_DEFAULT, pin_child, GINT_TO_POINTER(cpu + 1), &out, &errs, &status,
                    &gerr) ||
      !g_spawn_check_wait_status(status, &gerr))
    goto done;
  const char *r = strstr(out, "Requests/sec:");
  if (r) rps = g_ascii_strtod(r + 13, NULL);
  if (strstr(out, "Non-2xx") || strstr(out, "Socket errors"))
    fprintf(stderr, "bench real-invoke: wrk reported errors:\n%s", out);
done:
  if (gerr) fprintf(stderr, "bench real-invoke: wrk: %s\n", gerr->message);
  if (rps < 0 && out) fprintf(stderr, "bench real-invoke: wrk printed no Requests/sec:\n%s%s", out, errs ? errs : "");
  g_clear_error(&gerr);
  if (script) unlink(script);
  g_free(script);
  g_free(out);
  g_free(errs);
  g_free(wrk);
  return rps;
}

/* ---- our client: the live scheduler over the real backend ---- */

struct drive {
  env *e;
  sched *s;
  hist *decision;
  cm_time t0, t_end;   /* the measured window (env time) */
  uint64_t next_id, in_flight, done_in_window, failed, peak_in_flight;
  bool closed_loop;    /* start a new call at each outcome until t_end */
  /* the flood's ramp */
  uint64_t to_start, started;
  double ramp_s;
  cm_time last_start, first_done, lat_min, lat_max;
  int rc;
};

static int call(struct drive *d) {
  struct sched_call c = {.id = ++d->next_id, .function = "f"};
  int rc = sched_call(d->s, &c);
  if (rc == 0 && ++d->in_flight > d->peak_in_flight) d->peak_in_flight = d->in_flight;
  return rc;
}

static void on_done(void *arg, const struct sched_record *r) {
  struct drive *d = arg;
  d->in_flight--;
  hist_add(d->decision, r->overhead_ns);
  if (r->outcome == SCHED_FAILED) d->failed++;
  if (r->finished <= d->t_end && r->outcome != SCHED_FAILED) d->done_in_window++;
  if (!d->first_done) d->first_done = r->finished;
  cm_time lat = r->finished - r->submitted;
  if (!d->lat_min || lat < d->lat_min) d->lat_min = lat;
  if (lat > d->lat_max) d->lat_max = lat;
  if (d->closed_loop && env_now(d->e) < d->t_end) call(d);
  else if (d->in_flight == 0) env_stop(d->e);
}

/* An env with the one OpenFaaS provider at url and a scheduler on it. */
static int client_new(struct drive *d, struct provider *p, const char *url) {
  memset(p, 0, sizeof *p);
  g_strlcpy(p->name, "of", sizeof p->name);
  p->ops = &provider_openfaas;
  p->endpoint = g_strdup_printf("%s/of", url);
  p->function_name = g_strdup("{function}");
  p->timeout = CM_S(60);
  struct env_real_provider ep = {.p = p};
  struct sched_provider sp = {.name = "of"};
  struct sched_config cfg = {.providers = &sp, .nproviders = 1, .policy = "loi", .latency_window = 10,
                             .explore_prob = 0.05, .max_attempts = 8, .backoff_base = CM_MS(100),
                             .backoff_max = CM_S(10), .timeout = CM_S(60)};
  char *err = NULL;
  if (!(d->e = env_real_new(1)) || env_real_set_providers(d->e, &ep, 1) != 0) return -1;
  if (!(d->s = sched_new(d->e, &cfg, NULL, NULL, on_done, d, &err))) {
    fprintf(stderr, "bench real-invoke: %s\n", err);
    g_free(err);
    return -1;
  }
  return (d->decision = hist_new()) ? 0 : -1;
}

static void client_free(struct drive *d, struct provider *p) {
  sched_free(d->s);
  if (d->e) env_free(d->e);
  hist_free(d->decision);
  g_free(p->endpoint);
  g_free(p->function_name);
}

/* The flood's ramp: start the calls due by now (an even rate over ramp_s). */
static void ramp(env *e, void *arg) {
  struct drive *d = arg;
  double el = (double)(env_now(e) - d->t0) / 1e9;
  uint64_t due = el >= d->ramp_s ? d->to_start : (uint64_t)((double)d->to_start * el / d->ramp_s);
  while (d->started < due) {
    if (call(d) != 0) d->rc = -1;
    d->started++;
  }
  if (d->started < d->to_start) env_after(e, FLOOD_TICK, ramp, d);
  else d->last_start = env_now(e);
}

/* ---- the flood's emulator: a child process ---- */

static long proc_status_kb(pid_t pid, const char *key) {
  char path[64], line[256];
  snprintf(path, sizeof path, pid ? "/proc/%d/status" : "/proc/self/status", (int)pid);
  FILE *f = fopen(path, "r");
  long v = -1;
  size_t n = strlen(key);
  while (f && fgets(line, sizeof line, f))
    if (strncmp(line, key, n) == 0 && line[n] == ':') v = strtol(line + n + 1, NULL, 10);
  if (f) fclose(f);
  return v;
}

static int count_fds(void) {
  GDir *d = g_dir_open("/proc/self/fd", 0, NULL);
  int n = 0;
  while (d && g_dir_read_name(d)) n++;
  if (d) g_dir_close(d);
  return n;
}

/* Start `cloudmix emulate` on a one-provider scenario whose function takes
 * flood_exec_ms; its URL in url. 0, or -1 (why on stderr). */
static int child_start(GPid *pid, FILE **out, char **ini, char *url) {
  char exe[4096];
  ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0) return -1;
  exe[n] = '\0';
  GError *gerr = NULL;
  int fd = g_file_open_tmp("cloudmix-flood-XXXXXX.ini", ini, &gerr);
  if (fd < 0) {
    fprintf(stderr, "bench real-invoke: %s\n", gerr->message);
    g_error_free(gerr);
    return -1;
  }
  char *text = g_strdup_printf("[run]\nmodel = cloudless\n[workload]\nfunction = f\n[function.f]\ngflop = 0\n"
                               "memory_mb = 1\n[provider.of]\nplatform = openfaas\ntier = local_edge\nprice = edge\n"
                               /* room for every call: 100 nodes of 110 pods (the kubelet's default) */
                               "nodes = 100\npods_per_node = 110\nexec_overhead_ms = %d\n", flood_exec_ms);
  bool wrote = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
  close(fd);
  g_free(text);
  char *argv[] = {exe, "emulate", *ini, NULL};
  int out_fd = -1;
  if (!wrote || !g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, pid, NULL, &out_fd,
                                          NULL, &gerr)) {
    fprintf(stderr, "bench real-invoke: cannot start the emulator: %s\n", gerr ? gerr->message : "write failed");
    g_clear_error(&gerr);
    return -1;
  }
  /* kept open until the child has exited: it prints its last line there */
  FILE *f = *out = fdopen(out_fd, "r");
  char line[256];
  bool ok = f && fgets(line, sizeof line, f) && sscanf(line, "listening on %63s", url) == 1;
  if (!ok) fprintf(stderr, "bench real-invoke: the emulator printed no URL\n");
  return ok ? 0 : -1;
}

static void child_stop(GPid pid, FILE *out) {
  kill(pid, SIGTERM);
  int st;
  waitpid(pid, &st, 0);
  g_spawn_close_pid(pid);
  if (out) fclose(out);
}

/* ---- the benchmark ---- */

static int throughput(bool quick, int emu_cpu, int client_cpu) {
  const double secs = quick ? 1 : 5;
  struct emu m = {.cpu = emu_cpu};
  struct drive d = {.closed_loop = true};
  struct provider p = {0};
  int rc = 1;
  g_mutex_init(&m.mu);
  g_cond_init(&m.cv);
  m.th = g_thread_new("emulate", emu_main, &m);
  g_mutex_lock(&m.mu);
  while (!m.ready) g_cond_wait(&m.cv, &m.mu);
  g_mutex_unlock(&m.mu);
  if (!m.em) goto out;

  struct invocation inv = {.id = 1, .function = "f"};
  size_t blen;
  char *body = (char *)provider__body(&inv, &blen);
  char *url = g_strdup_printf("%s/of/function/f", m.url);
  fprintf(stderr, "bench real-invoke: wrk -t1 -c%d -d%.0fs against %s\n", CLIENTS, secs, url);
  double wrk_rps = run_wrk(url, body, secs, client_cpu);
  g_free(url);
  g_free(body);

  if (client_new(&d, &p, m.url) != 0) goto out;
  fprintf(stderr, "bench real-invoke: scheduler + real backend, %d calls in flight for %.0f s\n", CLIENTS, secs);
  d.t0 = env_now(d.e);
  d.t_end = d.t0 + cm_time_from_s(secs);
  for (int i = 0; i < CLIENTS; i++)
    if (call(&d) != 0) goto out;
  double w0 = bench_now();
  if (env_run(d.e, d.t_end + CM_S(30)) != 0 || d.in_flight) goto out; /* ends at env_stop once drained */
  double wall = bench_now() - w0;
  struct env_real_http_stats hs;
  env_real_http_stats(d.e, &hs);
  double rps = (double)d.done_in_window / secs;
  char ratio[32] = "n/a";
  if (wrk_rps > 0) snprintf(ratio, sizeof ratio, "%.2f", rps / wrk_rps);
  char wrks[32] = "absent";
  if (wrk_rps > 0) snprintf(wrks, sizeof wrks, "%.0f", wrk_rps);
  double mean = hist_mean(d.decision);
  int64_t p50 = hist_percentile(d.decision, 0.5), p99 = hist_percentile(d.decision, 0.99);
  fprintf(stderr,
          "real-invoke: sched+real backend %.0f/s, wrk %s/s, ratio %s (goal >= %.1f); decision time mean %.0f ns "
          "p99 %lld ns (goal <= %d ns)\n",
          rps, wrks, ratio, GOAL_RATIO, mean, (long long)p99, GOAL_DECISION_NS);
  printf("bench real-invoke part=throughput clients=%d secs=%.0f calls_per_s=%.0f wrk_requests_per_s=%s "
         "ratio_vs_wrk=%s goal_ratio=%.1f failed=%llu connections=%llu decision_ns_mean=%.0f decision_ns_p50=%lld "
         "decision_ns_p99=%lld goal_decision_ns=%d drain_s=%.2f setup=%s\n",
         CLIENTS, secs, rps, wrks, ratio, GOAL_RATIO, (unsigned long long)d.failed,
         (unsigned long long)hs.connections, mean, (long long)p50, (long long)p99, GOAL_DECISION_NS,
         wall - secs, emu_cpu >= 0 ? "emulator-thread+client(own-cpu-each,loopback)" : "cpus-shared");
  rc = d.failed ? 1 : 0;
out:
  if (rc) fprintf(stderr, "bench real-invoke: throughput part failed\n");
  client_free(&d, &p);
  emu_stop(&m);
  g_mutex_clear(&m.mu);
  g_cond_clear(&m.cv);
  return rc;
}

static int flood(bool quick) {
  const int n = quick ? 1000 : FLOOD;
  flood_exec_ms = quick ? FLOOD_EXEC_QUICK_MS : FLOOD_EXEC_MS;
  struct drive d = {.closed_loop = false, .t_end = CM_TIME_MAX};
  struct provider p = {0};
  GPid pid = 0;
  FILE *child_out = NULL;
  int rc = 1;
  char *ini = NULL, url[64] = "";
  struct rlimit nofile;
  getrlimit(RLIMIT_NOFILE, &nofile);
  if (nofile.rlim_cur != RLIM_INFINITY && nofile.rlim_cur < (rlim_t)n + 100) {
    fprintf(stderr, "bench real-invoke: %d calls in flight need %d descriptors; the limit is %llu\n", n, n + 100,
            (unsigned long long)nofile.rlim_cur);
    return 1;
  }
  if (child_start(&pid, &child_out, &ini, url) != 0) goto out;
  if (client_new(&d, &p, url) != 0) goto out;
  /* Peak RSS from here on: writing 5 to clear_refs resets VmHWM (Linux >= 4.0). */
  FILE *cr = fopen("/proc/self/clear_refs", "w");
  bool hwm_reset = cr && fputs("5", cr) >= 0;
  if (cr && fclose(cr) != 0) hwm_reset = false;
  long rss0 = proc_status_kb(0, "VmRSS");
  int fds0 = count_fds();
  fprintf(stderr, "bench real-invoke: %d calls at once against %s (exec %d ms), emulator pid %d\n", n, url,
          flood_exec_ms, (int)pid);
  double w0 = bench_now();
  d.t0 = env_now(d.e);
  d.to_start = (uint64_t)n;
  d.ramp_s = quick ? 1.0 : FLOOD_RAMP_S;
  env_after(d.e, 0, ramp, &d);
  int run_rc = env_run(d.e, env_now(d.e) + CM_S(120));
  double wall = bench_now() - w0;
  long hwm = proc_status_kb(0, "VmHWM"), child_hwm = proc_status_kb(pid, "VmHWM");
  struct env_real_http_stats hs;
  env_real_http_stats(d.e, &hs);
  struct sched_stats ss;
  sched_stats(d.s, &ss);
  int fds1 = count_fds();
  uint64_t outcomes = 0;
  for (int k = 0; k < INVOKE_NSTATUS; k++) outcomes += hs.by_status[k];
  bool all = run_rc == 0 && d.rc == 0 && d.in_flight == 0 && ss.completed + ss.failed == (uint64_t)n && outcomes == hs.invoked;
  printf("bench real-invoke part=flood calls=%d all_completed=%s completed=%llu failed=%llu attempts=%llu ok=%llu error=%llu "
         "throttled=%llu timeout=%llu network=%llu unaccounted=%llu peak_in_flight=%llu all_in_flight_at_once=%s "
         "ramp_s=%.1f wall_s=%.2f exec_s=%.1f latency_min_s=%.2f latency_max_s=%.2f connections=%llu "
         "peak_rss_mb=%.1f rss_before_mb=%.1f peak_rss_from=%s emulator_peak_rss_mb=%.1f fds_before=%d "
         "fds_after=%d nofile_limit=%llu emulator=child-process\n",
         n, ss.completed == (uint64_t)n ? "yes" : "no", (unsigned long long)ss.completed, (unsigned long long)ss.failed, (unsigned long long)ss.attempts,
         (unsigned long long)hs.by_status[INVOKE_OK], (unsigned long long)hs.by_status[INVOKE_ERROR],
         (unsigned long long)hs.by_status[INVOKE_THROTTLED], (unsigned long long)hs.by_status[INVOKE_TIMEOUT],
         (unsigned long long)hs.by_status[INVOKE_NETWORK], (unsigned long long)(n - ss.completed - ss.failed),
         (unsigned long long)d.peak_in_flight,
         d.peak_in_flight == (uint64_t)n && d.last_start && d.first_done > d.last_start ? "yes" : "no", d.ramp_s,
         wall, flood_exec_ms / 1e3, (double)d.lat_min / 1e9, (double)d.lat_max / 1e9, (unsigned long long)hs.connections, (double)hwm / 1024.0, (double)rss0 / 1024.0,
         hwm_reset ? "flood-start" : "process-start", (double)child_hwm / 1024.0, fds0, fds1,
         (unsigned long long)nofile.rlim_cur);
  /* Calls that failed are figures (the emulator's limit, README.md); a call
   * without exactly one outcome is a failure of the benchmark. */
  if (ss.failed)
    fprintf(stderr, "bench real-invoke: %llu of %d calls failed (see tests/bench/README.md, real-invoke)\n",
            (unsigned long long)ss.failed, n);
  rc = all ? 0 : 1;
out:
  if (rc) fprintf(stderr, "bench real-invoke: flood part failed\n");
  client_free(&d, &p);
  if (pid) child_stop(pid, child_out);
  if (ini) unlink(ini);
  g_free(ini);
  return rc;
}

int bench_real_invoke(bool quick) {
  /* The client on the first allowed CPU (wrk there too), the emulator on the second. */
  cpu_set_t allowed;
  int client_cpu = -1, emu_cpu = -1;
  if (sched_getaffinity(0, sizeof allowed, &allowed) == 0 && CPU_COUNT(&allowed) >= 2)
    for (int c = 0; c < CPU_SETSIZE && emu_cpu < 0; c++) {
      if (!CPU_ISSET(c, &allowed)) continue;
      if (client_cpu < 0) client_cpu = c;
      else emu_cpu = c;
    }
  pin_self(client_cpu);
  int rc = throughput(quick, emu_cpu, client_cpu);
  if (client_cpu >= 0) sched_setaffinity(0, sizeof allowed, &allowed);
  rc |= flood(quick);
  return rc;
}
