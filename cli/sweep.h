/* `cloudmix sweep`: a sweep spec (a GLib key file, keys in cli/README.md)
 * read and expanded into jobs, scenario x grid point x policy x seed, each
 * one `cloudmix run` writing its own results file (cli/sweep_spec.c); the
 * runners that run them (cli/sweep.c). */
#ifndef CM_SWEEP_H
#define CM_SWEEP_H

#include <stdint.h>

#include <glib.h>

/* One axis of the --set grid: `set.GROUP.KEY = V1, V2, ...`. */
struct sweep_axis {
  char *key;         /* GROUP.KEY */
  GPtrArray *values; /* char *, at least one */
};

struct sweep_spec {
  char *path;          /* as given */
  GPtrArray *scenarios; /* char *: absolute paths, each an existing file */
  GPtrArray *policies;  /* char *: cloudless policies (or only:PROVIDER); empty: each scenario's own */
  GArray *seeds;        /* uint64_t, distinct, in the order listed */
  GPtrArray *axes;      /* struct sweep_axis *, in file order */
};

/* One job: `cloudmix run SCENARIO --quiet --seed SEED --set ... --out DIR/runs/NAME.db`. */
struct sweep_job {
  char *name;     /* file stem, unique in the sweep: readable part and a hash of what the job runs */
  char *scenario; /* absolute */
  char **sets;    /* NULL-terminated GROUP.KEY=VALUE overrides: the grid point, then the policy */
  uint64_t seed;
  char *out;      /* DIR/runs/NAME.db, absolute */
  char *line;     /* the command, shell-quoted, no newline */
};

/* Read and check a spec. Returns 0, or CM_EINVAL / CM_EPARSE with *err
 * (g_malloc'd, one line naming the file and key). spec is zeroed first
 * and must be freed with sweep_spec_free either way. */
int sweep_spec_load(const char *path, struct sweep_spec *spec, char **err);
void sweep_spec_free(struct sweep_spec *spec);

/* Expand spec into jobs (struct sweep_job *, appended to jobs, which owns
 * them: create it with g_ptr_array_new_with_free_func(sweep_job_free)).
 * exe is the cloudmix binary's absolute path and dir the sweep folder's.
 * Each (scenario, grid point, policy) is loaded once with its overrides,
 * so a bad key or value fails here, before anything runs. Returns 0 or
 * CM_EINVAL with *err. */
int sweep_jobs_expand(const struct sweep_spec *spec, const char *exe, const char *dir, GPtrArray *jobs, char **err);
void sweep_job_free(void *job);

#endif
