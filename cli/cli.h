/* Shared pieces of the cloudmix program: the model registry that `run`
 * dispatches on, the per-run context a model runner fills in, and the
 * progress bar. */
#ifndef CM_CLI_H
#define CM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "engine.h"
#include "env.h"
#include "results.h"
#include "scenario.h"

struct policy_view;
struct rng;
struct cl_config;

/* What a runner gets and gives back. */
struct run_ctx {
  const scenario *s;
  uint64_t seed;
  results *db;      /* open results store */
  int64_t run_id;   /* row in runs */
  bool quiet;       /* no progress bar, no summary table */
  const char *real; /* real mode: the real-mode profile's path (--real); NULL: simulation */
  /* cloudless: hear the scheduler's decisions (models/cloudless/sched.h); NULL: none */
  void (*on_decision)(void *arg, const struct policy_view *view, int pick, bool explored, struct rng *before);
  void *decision_arg;
  /* cloudless: write every call the workload made, with its outcome, to
   * this trace (our format, traces/trace_write.h; --record-trace); NULL: none */
  const char *record_trace;
  /* cloudless: change the parsed config before the run is built (`cloudmix
   * replay` puts its trace in place of the workload); 0, or -1 with *err
   * (one line): the run then ends with exit 2. NULL: none. */
  int (*cl_adjust)(void *arg, struct cl_config *cfg, char **err);
  void *cl_adjust_arg;
  /* set by the runner */
  uint64_t events;
  cm_time sim_end;
};

/* A model runner: build the world from the scenario, run it, write its
 * tables and metrics, print its summary. Returns 0, or CM_EXIT_FAILED after
 * printing why. */
typedef int (*model_run_fn)(struct run_ctx *c);

struct model_entry {
  const char *name;
  const struct scn_key *keys;
  const size_t *nkeys;
  model_run_fn run;
  /* Cross-key checks the schema cannot make, run before the results store
   * is opened (NULL: none). 0, or an error with *err set (one line). */
  int (*check)(const scenario *s, char **err);
  const char *summary; /* one line for `cloudmix run --help` */
};

extern const struct model_entry cli_models[];
extern const size_t cli_nmodels;
/* Keys of the [run] group, common to every model. */
extern const struct scn_key cli_run_keys[];
extern const size_t cli_nrun_keys;

/* Progress bar on stderr: drawn only when stderr is a terminal, not quiet,
 * and the run has lasted over a second. */
struct progress {
  bool enabled;
  double t0;        /* wall start, s */
  double last_draw; /* wall, s */
  cm_time horizon;
  bool drawn;
};
void progress_init(struct progress *p, bool quiet, cm_time horizon);
/* An engine_progress_fn; arg is the struct progress. */
void progress_tick(engine *en, void *arg, cm_time now, uint64_t events);
void progress_done(struct progress *p);

/* Wall clock (monotonic) in seconds, for timing runs. */
double cli_wall_s(void);

/* Load a scenario against every model's schema, with overrides, then the
 * model's cross-key check. NULL with *err (one line) on any problem. */
scenario *cli_scenario_load(const char *path, const char *const *sets, char **err);
/* results/<scenario basename without .ini>.db (g_malloc'd). */
char *cli_default_out(const char *path);

/* g_option_context_parse of ctx, whose main entries are entries (NULL-
 * terminated). Returns 1 on success; 0 with *msg (g_malloc'd, one line)
 * on failure: GOption's message, and for an unknown long option the
 * nearest of entries' long names (or --help) as "; did you mean --NAME?"
 * when one is close. */
int cli_options_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc, char ***argv, char **msg);
/* "cloudmix CMD: MSG" and the --help hint on stderr; frees ctx (NULL ok).
 * CM_EXIT_USAGE, for `return cli_usage_error(...)`. */
int cli_usage_error(const char *cmd, GOptionContext *ctx, const char *msg);

/* Subcommands. argv[0] is the subcommand name. */
int cli_run(int argc, char **argv);
int bench_main(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_plot(int argc, char **argv);
/* Sweeps across machines (cli/sweep.c) and joining their files (cli/merge.c). */
int cli_sweep(int argc, char **argv);
int cli_merge(int argc, char **argv);
/* Real mode, Mixclaves: a mix node daemon (cli/node.c) and the benchmark
 * client (cli/client.c) over UDP. */
int cli_node(int argc, char **argv);
int cli_client(int argc, char **argv);
/* The operator's key (cli/operator.c) and control tool (cli/ctrl.c). */
int cli_operator(int argc, char **argv);
/* `cloudmix updater` (cli/updater.c). */
int cli_updater(int argc, char **argv);
int cli_ctrl(int argc, char **argv);
/* Real mode, Cloudless: the provider emulator (cli/emulate.c). */
int cli_emulate(int argc, char **argv);
int cli_store(int argc, char **argv);
/* `cloudmix replay`: a trace through a cloudless scenario's broker (cli/replay.c). */
int cli_replay(int argc, char **argv);
/* `cloudmix agree`: sim and real mode (against the emulator) side by side (cli/agree.c). */
int cli_agree(int argc, char **argv);
/* `cloudmix trace info FILE`: what a trace holds (cli/trace.c). */
int cli_trace(int argc, char **argv);

/* Their config reader (cli/node.c): a GKeyFile read group by group; the
 * first problem is kept in err as one line ("FILE: [group] key: expected
 * ..."), and every later call is a no-op returning its default. */
struct codec_ops;
struct mixcfg {
  const char *path; /* borrowed */
  void *kf;         /* GKeyFile */
  char *err;        /* g_malloc'd; NULL while all is well */
};
/* The first problem only, as "FILE: [GROUP] KEY: what" (key NULL: no key). */
void mixcfg_fail(struct mixcfg *c, const char *group, const char *key, const char *fmt, ...) G_GNUC_PRINTF(4, 5);
bool mixcfg_open(struct mixcfg *c, const char *path);
void mixcfg_close(struct mixcfg *c);
uint64_t mixcfg_uint(struct mixcfg *c, const char *group, const char *key, bool required, uint64_t def,
                     uint64_t min, uint64_t max);
double mixcfg_double(struct mixcfg *c, const char *group, const char *key, double def, double min, double max);
/* g_malloc'd: the value, or a copy of def. */
char *mixcfg_string(struct mixcfg *c, const char *group, const char *key, const char *def);
/* group's address and listen = HOST:PORT, put in e's address book; *listen
 * g_malloc'd "HOST:PORT". With d (a node's own descriptor) the two keys
 * may be left out and default to d's, and must agree with d if given. 0 or
 * an error (err set). */
struct node_descriptor;
int mixcfg_self(struct mixcfg *c, const char *group, env *e, const struct node_descriptor *d, cm_addr *addr,
                char **listen);
/* A path key of group, relative to the config file's folder unless
 * absolute: g_malloc'd, or NULL if absent (an error if required). */
char *mixcfg_path(struct mixcfg *c, const char *group, const char *key, bool required);
/* Keys that real mode no longer takes, with why; err set if one is there. */
void mixcfg_refuse_gone(struct mixcfg *c, const char *group);
/* The nodes a config names, with their public keys where given (pk = 64
 * hex digits, which keyed codecs need). g_malloc'd arrays with room for
 * one more node; mixbook_free frees them. */
struct mixbook {
  cm_addr *nodes;
  uint8_t (*pk)[32];
  bool *has_pk;
  uint32_t *epoch;  /* the node's key epoch (descriptor or epoch key; 0 if neither) */
  size_t n;
};
/* Every [node.NAME] and [client.NAME] into e's address book (self
 * skipped) and b. A node group is either `descriptor = FILE` alone (a
 * `cloudmix node init` descriptor; relative paths from the config's
 * folder) or address, listen and optional pk (64 hex digits, checked by
 * sphinx_pk_check) and epoch; a client group address and listen. Unknown
 * groups, and keys of self_group not in self_keys (NULL-terminated), are
 * errors. If need_pk, every node other than self must have a pk. 0 or
 * CM_EINVAL (err set). */
int mixcfg_book(struct mixcfg *c, const char *self_group, const char *const *self_keys, env *e, cm_addr self,
                bool need_pk, struct mixbook *b);
void mixbook_free(struct mixbook *b);
/* A codec_key_fn over a struct mixbook (ctx). */
int mixbook_key(void *ctx, cm_addr addr, uint8_t pk[32]);
/* crypto = full (the default and the only codec real mode accepts: the
 * abstract codec's checksum is public, so its packets can be read and
 * forged); 0 or an error (err set). */
int mixcfg_codec(struct mixcfg *c, const char *group, const struct codec_ops **codec);
/* SIGINT / SIGTERM stop env_run (the env's loop dispatches the default
 * GLib context every 20 ms); end returns "SIGINT", "SIGTERM" or NULL. */
struct mixsig {
  void *impl;
};
void mixcfg_signals_begin(struct mixsig *m, env *e);
/* After begin: SIGHUP calls fn(arg) on the env's loop (a topology reload,
 * cli/mixclaves_link.c), instead of ending the process. */
void mixcfg_signals_on_hup(struct mixsig *m, void (*fn)(void *arg), void *arg);
const char *mixcfg_signals_end(struct mixsig *m);

/* The demo model's runner (cli/run_demo.c) and its schema. */
int run_demo(struct run_ctx *c);
extern const struct scn_key demo_keys[];
extern const size_t demo_nkeys;

/* The cloudless model (cli/run_cloudless.c, cli/cloudless_keys.c). */
int run_cloudless(struct run_ctx *c);
int cloudless_check(const scenario *s, char **err);
extern const struct scn_key cloudless_keys[];
extern const size_t cloudless_nkeys;

#endif
