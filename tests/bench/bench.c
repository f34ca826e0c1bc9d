/* `cloudmix bench`: parses the benchmark names and --quick/--help, then runs
 * the selected benchmarks in a fixed order (engine-hold, mm1, results-store,
 * cloudless-live, ...: the table below). */
#include "bench.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/wait.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "bench_util.h"
#include "scenario.h"

struct bench_def {
  const char *name;
  int (*run)(bool quick);
  const char *what;
};

static const struct bench_def benches[] = {
  {"engine-hold", bench_engine_hold,
   "hold model (pop the minimum, push it back at t + Exp(1 s)) at 1e3, 1e5 and 1e6\n"
   "      pending events: the engine with self-rescheduling callbacks, the event queue\n"
   "      alone, and a plain binary heap built into the benchmark, on identical input;\n"
   "      events (ops) per second, median of 3 interleaved repetitions, and the ratios"},
  {"mm1", bench_mm1,
   "M/M/1 queue (lambda 0.9/s, mu 1.0/s) on the engine, 1e6 customers: events/s,\n"
   "      customers/s, mean time in system against the analytic 10 s; the same model\n"
   "      in SimPy (/usr/bin/python3, tests/bench/mm1_simpy.py, 2e5 customers) and the\n"
   "      ratio of event rates"},
  {"results-store", bench_results_store,
   "rows/s of 6-column job rows written to SQLite through analysis/results.h (1e6\n"
   "      rows), and the share of an M/M/1 run's time spent writing one row per customer"},
  {"cloudless-live", bench_cloudless_live,
   "simulated calls per wall second through the Cloudless stack (open-loop workload,\n"
   "      live scheduler with billing and the built-in benchmark, four simulated\n"
   "      providers), 10 M calls per live policy; goal 1 M calls/s; peak RSS"},
  {"sphinx", bench_sphinx,
   "Sphinx packets (mixclaves and smc-compat, 5 hops) created and unwrapped per\n"
   "      second on one core, X25519 per second in the same run, unwrap_vs_limit\n"
   "      (unwrap rate over x25519/2); goals >= 0.85 and create under 250 us"},
  {"mixnet-sim", bench_mixnet_sim,
   "simulated packet-hops per wall second, Loopix-like network (6 nodes, 3 layers,\n"
   "      3 hops, many clients), abstract codec (goal 2 M); growth: 10, 100, 1,000 nodes\n"
   "      with 100 clients a node (wall time, peak RSS each); then the full codec.\n"
   "      --nodes N [--clients M]: that one size instead"},
  {"buffer", bench_buffer,
   "the mix node's delay buffer per variant (append, random, oblivious), capacity\n"
   "      4096, one put per packet and a take at each release, mean occupancy 16 and\n"
   "      256: ns per packet and the oblivious buffer's extra cost over append"},
  {"mixnode-udp", bench_mixnode_udp,
   "one real node on loopback UDP, full codec, in its own thread (pinned to a CPU),\n"
   "      driven by a benchmark client in another thread (exponential delays, mean\n"
   "      1 ms): highest packets/s with zero drops (2 s steps), added latency p50/p99\n"
   "      there and at 10,000/s, the node's CPU time per packet; goal 10,000/s"},
  {"dag-placement", bench_dag_placement,
   "exact periodic placement (GLPK integer program) of the seed's Fig. 7 workflow over\n"
   "      12 providers x 3 bins (36 candidates a node), least time with no budget and\n"
   "      with a binding one, and of a random 30-function DAG (45 edges, 6 candidates):\n"
   "      ms (median of 3), the optimum and the per-function heuristic; goal fig7 100 ms"},
  {"real-invoke", bench_real_invoke,
   "calls/s through the live scheduler and the real backend (libcurl multi) against the\n"
   "      provider emulator on loopback (64 in flight, 5 s), beside wrk -c64 against the same\n"
   "      endpoint in the same run (goal ratio >= 0.5); the scheduler's decision time per\n"
   "      call (goal <= 5 us); 10,000 calls in flight at once (emulator in a child process):\n"
   "      every outcome, wall time, connections, peak RSS"},
  {"real-storage", bench_real_storage,
   "our real storage clients beside a reference client against the same server: 1 KiB\n"
   "      put/get per second through env_put/env_get on redis-server (hiredis, 64 in flight)\n"
   "      beside redis-benchmark (goal ratio >= 0.5); one 64 MiB object put and got against\n"
   "      moto (S3) and azurite (Azure Blob) beside curl moving the same object (goal >= 0.8)"},
  {"replay", bench_replay,
   "public-trace-sized replays through the broker in simulation, traces written by the\n"
   "      benchmark (seeded, not timed): an Azure Functions 2021-format file (2 M invocations,\n"
   "      two weeks; goals under 5 s and 500 MB) and an Azure Functions 2019-format day\n"
   "      (40 M, spread equidistant and uniform; goal under 60 s, memory flat: RSS at\n"
   "      10/50/100%); each importer alone too"},
};
#define NBENCH (sizeof(benches) / sizeof(benches[0]))

static void usage(FILE *f) {
  fprintf(f, "usage: cloudmix bench [--quick] [--nodes N [--clients M]] [NAME...]\n"
             "Runs the named benchmarks (default: all) and prints one line per figure group,\n"
             "`bench NAME key=value ...`, on stdout; progress goes to stderr. Every figure is\n"
             "measured in this run. --quick uses small sizes (a few seconds; checks that the\n"
             "benchmarks run, its figures are not meaningful).\n\nbenchmarks:\n");
  for (size_t i = 0; i < NBENCH; i++) fprintf(f, "  %s\n      %s\n", benches[i].name, benches[i].what);
}

int bench_main(int argc, char **argv) {
  bool quick = false, any = false;
  uint32_t nodes = 0, clients = 0;
  bool sel[NBENCH] = {false};
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "--quick") == 0) {
      quick = true;
    } else if (strcmp(a, "--nodes") == 0 || strcmp(a, "--clients") == 0) {
      /* mixnet-sim's size */
      char *end = NULL;
      unsigned long v = i + 1 < argc ? strtoul(argv[i + 1], &end, 10) : 0;
      bool is_nodes = a[2] == 'n';
      if (i + 1 >= argc || !end || *end || v < 1 || v > (is_nodes ? 100000UL : 10000000UL)) {
        fprintf(stderr, "cloudmix bench: %s: expected a whole number from 1 to %s, got '%s'\n", a,
                is_nodes ? "100000" : "10000000", i + 1 < argc ? argv[i + 1] : "");
        return 2;
      }
      if (is_nodes) nodes = (uint32_t)v;
      else clients = (uint32_t)v;
      i++;
    } else if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
      usage(stdout);
      return 0;
    } else {
      size_t k = 0;
      while (k < NBENCH && strcmp(a, benches[k].name) != 0) k++;
      if (k == NBENCH) {
        /* The nearest option or benchmark name (scenario_word_suggest),
         * then the full list. */
        char *names[NBENCH + 5];
        size_t n = 0;
        if (a[0] == '-') names[n++] = "--quick", names[n++] = "--nodes", names[n++] = "--clients", names[n++] = "--help";
        else
          for (size_t j = 0; j < NBENCH; j++) names[n++] = (char *)benches[j].name;
        names[n] = NULL;
        char *hint = scenario_word_suggest(a, names, a[0] == '-' ? "" : "'", a[0] == '-' ? "" : "'", NULL);
        fprintf(stderr, "cloudmix bench: unknown %s '%s'%s%s (benchmarks: engine-hold, mm1, results-store, cloudless-live, sphinx, mixnet-sim, buffer, mixnode-udp, dag-placement, real-invoke, real-storage, replay; "
                        "options: --quick, --nodes, --clients, --help)\n", a[0] == '-' ? "option" : "benchmark", a, *hint ? "; " : "", hint);
        g_free(hint);
        return 2;
      }
      sel[k] = true;
      any = true;
    }
  }
  if (clients && !nodes) {
    fprintf(stderr, "cloudmix bench: --clients needs --nodes (the size of mixnet-sim's one row)\n");
    return 2;
  }
  if (nodes) bench_mixnet_sim_size(nodes, clients);
  int rc = 0;
  for (size_t k = 0; k < NBENCH; k++) {
    if (any && !sel[k]) continue;
    fflush(stdout);
    if (benches[k].run(quick) != 0) {
      fprintf(stderr, "cloudmix bench: %s failed\n", benches[k].name);
      rc = 1;
    }
    fflush(stdout);
  }
  return rc;
}

int bench_isolated(const char *name, int (*fn)(const void *), const void *arg) {
  fflush(stdout);
  fflush(stderr);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "bench %s: fork: %s\n", name, g_strerror(errno));
    return 1;
  }
  if (pid == 0) {
    int rc = fn(arg);
    fflush(stdout);
    fflush(stderr);
    _exit(rc);
  }
  int st;
  while (waitpid(pid, &st, 0) < 0)
    if (errno != EINTR) return 1;
  return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
