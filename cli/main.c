/* cloudmix: dispatch to a subcommand. Exit codes: 0 ok, 1 run failed,
 * 2 bad usage or bad input. */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include <glib.h>

#include "cli.h"

struct subcommand {
  const char *name;
  int (*fn)(int argc, char **argv);
  const char *summary;
};

static const struct subcommand subs[] = {
    {"run", cli_run, "run a scenario in simulation (or against real endpoints: --real) into SQLite"},
    {"replay", cli_replay, "replay an invocation trace through a cloudless scenario's broker in simulation"},
    {"compare", cli_compare, "run a cloudless scenario under several policies and seeds; table with 95% CIs"},
    {"sweep", cli_sweep, "expand a sweep spec into jobs and run them with GNU parallel or a Slurm job array"},
    {"merge", cli_merge, "join per-run results files (a sweep's) into one SQLite file"},
    {"plot", cli_plot, "draw a results database's figure as a PNG, PDF or SVG with gnuplot"},
    {"node", cli_node, "run a Mixclaves mix node over UDP until SIGINT/SIGTERM (real mode)"},
    {"client", cli_client, "run the Mixclaves benchmark client over UDP: throughput, RTT, drops"},
    {"operator", cli_operator, "make the Mixclaves operator's key pair once (real mode's control plane)"},
    {"ctrl", cli_ctrl, "send one signed control command to a real mix node through the mixnet; print the reply"},
    {"updater", cli_updater, "the Mixclaves updater over real nodes: metrics, scale-out by epochs, commit"},
    {"agree", cli_agree, "run a live cloudless scenario in simulation and against the emulator; compare the two"},
    {"emulate", cli_emulate, "serve a cloudless scenario's providers over HTTP on loopback, from the sim's models"},
    {"store", cli_store, "put, get, delete or list objects in a real store of a real-mode profile"},
    {"trace", cli_trace, "what a trace holds: invocations, functions, span, per-function counts"},
    {"bench", bench_main, "run the built-in benchmarks (cloudmix bench --help lists them)"},
};

static void usage(FILE *f) {
  fprintf(f, "Usage: cloudmix <subcommand> [options]\n\n"
             "A discrete-event simulator and emulation testbed for Cloudless (serverless\n"
             "across edge and clouds) and Mixclaves (enclave mixnets).\n\nSubcommands:\n");
  for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) fprintf(f, "  %-8s %s\n", subs[i].name, subs[i].summary);
  fprintf(f, "\n`cloudmix <subcommand> --help` describes each one. `cloudmix --version` prints\n"
             "the code version. Exit codes: 0 ok, 1 run failed, 2 bad usage or bad input\n"
             "(store: 3 when the key does not exist).\n");
}

/* Real mode holds a socket per invocation in flight (HTTP/1.1: 10,000 in
 * flight are 10,000 client sockets, and as many in an emulator in the same
 * process), and many systems start programs with a soft limit of 1024
 * descriptors: raise the soft limit to the hard one. */
static void raise_nofile(void) {
  struct rlimit r;
  if (getrlimit(RLIMIT_NOFILE, &r) == 0 && r.rlim_cur < r.rlim_max) {
    r.rlim_cur = r.rlim_max;
    setrlimit(RLIMIT_NOFILE, &r);
  }
}

int main(int argc, char **argv) {
  raise_nofile();
  /* A peer that closes its end makes the next write raise SIGPIPE, whose
   * default action ends the process without a word (the emulator answering
   * a client that gave up; a node sending to a closed socket): ignore it,
   * the write then fails with EPIPE and is handled as a dropped peer. */
  signal(SIGPIPE, SIG_IGN);
  if (argc < 2) {
    usage(stderr);
    return CM_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (!strcmp(cmd, "--version") || !strcmp(cmd, "version")) {
    printf("cloudmix %s\n", cm_version);
    return CM_EXIT_OK;
  }
  if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") || !strcmp(cmd, "help")) {
    if (argc > 2 && strcmp(cmd, "help") == 0) {
      char *hargv[] = {argv[2], "--help", NULL};
      for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
        if (!strcmp(subs[i].name, argv[2])) return subs[i].fn(2, hargv);
    }
    usage(stdout);
    return CM_EXIT_OK;
  }
  for (size_t i = 0; i < G_N_ELEMENTS(subs); i++)
    if (!strcmp(subs[i].name, cmd)) return subs[i].fn(argc - 1, argv + 1);
  /* The nearest subcommand by edit distance (scenario_word_suggest, as
   * for scenario keys), else the list. */
  char *names[G_N_ELEMENTS(subs) + 3];
  for (size_t i = 0; i < G_N_ELEMENTS(subs); i++) names[i] = (char *)subs[i].name;
  names[G_N_ELEMENTS(subs)] = "help";
  names[G_N_ELEMENTS(subs) + 1] = "version";
  names[G_N_ELEMENTS(subs) + 2] = NULL;
  char *hint = scenario_word_suggest(cmd, names, "'", "'", "subcommands");
  fprintf(stderr, "cloudmix: unknown subcommand '%s'; %s", cmd, hint);
  g_free(hint);
  fprintf(stderr, "\nRun 'cloudmix --help' for the list.\n");
  return CM_EXIT_USAGE;
}
