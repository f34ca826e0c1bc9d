/* Shared pieces of the cloudmix program: the model registry that `run`
 * dispatches on, the per-run context a model runner fills in, and the
 * progress bar. */
#ifndef CM_CLI_H
#define CM_CLI_H

#include <stdbool.h>
#include <stdint.h>

#include "engine.h"
#include "results.h"
#include "scenario.h"

/* What a runner gets and gives back. */
struct run_ctx {
  const scenario *s;
  uint64_t seed;
  results *db;      /* open results store */
  int64_t run_id;   /* row in runs */
  bool quiet;       /* no progress bar, no summary table */
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

/* Subcommands. argv[0] is the subcommand name. */
int cli_run(int argc, char **argv);
int bench_main(int argc, char **argv);
int cli_compare(int argc, char **argv);
int cli_plot(int argc, char **argv);

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
