/* `cloudmix sweep SPEC`: expand a sweep spec into DIR/jobs.txt (one
 * `cloudmix run` per line, each into DIR/runs/NAME.db) and run the jobs not
 * yet done with GNU parallel (locally or over --sshlogin), or write a Slurm
 * job array script (and submit it), or only write the list. A job is done
 * when its file holds only finished, successful runs (status complete or
 * ok); any other file of a job about to run is removed first, so a killed
 * job's file is replaced, never appended to. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "cli.h"
#include "merge.h"
#include "sweep.h"

static bool job_done(const struct sweep_job *j) {
  struct merge_file_info fi;
  merge_file_inspect(j->out, &fi, NULL);
  return fi.kind == MERGE_FILE_RESULTS && fi.runs > 0 && fi.done == fi.runs;
}

/* Remove a job's stale file (and SQLite's companions) before it runs again. */
static int job_clear(const struct sweep_job *j) {
  static const char *const ext[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < G_N_ELEMENTS(ext); i++) {
    char *p = g_strdup_printf("%s%s", j->out, ext[i]);
    int rc = g_unlink(p);
    if (rc != 0 && errno != ENOENT) {
      fprintf(stderr, "cloudmix sweep: cannot remove %s: %s\n", p, g_strerror(errno));
      g_free(p);
      return CM_EIO;
    }
    g_free(p);
  }
  return CM_OK;
}

/* The path of a program on PATH that answers `--version` with marker (not
 * asked when marker is NULL: sbatch answers only with a cluster configured);
 * else NULL and a message naming the Debian package. */
static char *tool_find(const char *prog, const char *marker, const char *package) {
  char *path = g_find_program_in_path(prog);
  if (!path) {
    fprintf(stderr, "cloudmix sweep: %s not found on PATH; install the Debian package '%s' (apt-get install %s)\n",
            prog, package, package);
    return NULL;
  }
  char *out = NULL;
  const char *argv[] = {path, "--version", NULL};
  gboolean ran = !marker || g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                                         NULL, NULL, NULL);
  if (marker && (!ran || !out || !strstr(out, marker))) {
    fprintf(stderr, "cloudmix sweep: %s is not %s (another program of that name?); install the Debian package '%s'\n",
            path, marker, package);
    g_free(path);
    path = NULL;
  }
  g_free(out);
  return path;
}

/* "1-3,7,9-12" from the 1-based line numbers of the pending jobs. */
static char *ranges(const GArray *lines) {
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < lines->len;) {
    guint a = g_array_index(lines, guint, i), b = a;
    while (i + 1 < lines->len && g_array_index(lines, guint, i + 1) == b + 1) b = g_array_index(lines, guint, ++i);
    i++;
    if (s->len) g_string_append_c(s, ',');
    if (a == b) g_string_append_printf(s, "%u", a);
    else g_string_append_printf(s, "%u-%u", a, b);
  }
  return g_string_free(s, FALSE);
}

static bool write_file(const char *path, const char *text) {
  GError *ge = NULL;
  if (g_file_set_contents(path, text, -1, &ge)) return true;
  fprintf(stderr, "cloudmix sweep: %s\n", ge->message);
  g_error_free(ge);
  return false;
}

static int run_parallel(const char *tool, const char *dir, GPtrArray *jobs, const GArray *pending, gint njobs,
                        const char *sshlogin) {
  GString *todo = g_string_new(NULL);
  for (guint i = 0; i < pending->len; i++)
    g_string_append_printf(todo, "%s\n", ((struct sweep_job *)jobs->pdata[g_array_index(pending, guint, i) - 1])->line);
  char *todo_path = g_build_filename(dir, "pending.txt", NULL), *log = g_build_filename(dir, "joblog.txt", NULL);
  bool ok = write_file(todo_path, todo->str);
  g_string_free(todo, TRUE);
  int rc = CM_EXIT_USAGE;
  if (ok) {
    GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);
    g_ptr_array_add(argv, g_strdup(tool));
    g_ptr_array_add(argv, g_strdup("--joblog"));
    g_ptr_array_add(argv, g_strdup(log));
    if (njobs > 0) {
      g_ptr_array_add(argv, g_strdup("--jobs"));
      g_ptr_array_add(argv, g_strdup_printf("%d", njobs));
    }
    if (sshlogin) {
      g_ptr_array_add(argv, g_strdup("--sshlogin"));
      g_ptr_array_add(argv, g_strdup(sshlogin));
    }
    g_ptr_array_add(argv, g_strdup("-a"));
    g_ptr_array_add(argv, g_strdup(todo_path));
    g_ptr_array_add(argv, NULL);
    GError *ge = NULL;
    gint status = 0;
    fflush(stdout);
    if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, NULL, NULL, &status, &ge)) {
      fprintf(stderr, "cloudmix sweep: cannot start %s: %s\n", tool, ge->message);
      g_error_free(ge);
    } else {
      guint done = 0;
      for (guint i = 0; i < pending->len; i++) {
        const struct sweep_job *j = jobs->pdata[g_array_index(pending, guint, i) - 1];
        if (job_done(j)) done++;
        else if (pending->len - done <= 10 || i < 10) fprintf(stderr, "cloudmix sweep: job not done: %s\n", j->out);
      }
      printf("sweep: ran %u jobs with GNU parallel: %u done, %u not (joblog %s)\n", pending->len, done,
             pending->len - done, log);
      if (done == pending->len) printf("sweep: join them with: cloudmix merge OUT.db %s/runs/*.db\n", dir);
      rc = done == pending->len ? CM_EXIT_OK : CM_EXIT_FAILED;
    }
    g_ptr_array_free(argv, TRUE);
  }
  g_free(todo_path);
  g_free(log);
  return rc;
}

/* A job array this folder submitted (DIR/slurm-job.txt) that Slurm still
 * lists: its jobs' files must not be replaced under it. Returns true (with
 * a message) when it is, or when Slurm cannot tell. */
static bool slurm_busy(const char *dir) {
  char *idfile = g_build_filename(dir, "slurm-job.txt", NULL), *id = NULL, *squeue = NULL;
  bool busy = false;
  if (g_file_get_contents(idfile, &id, NULL, NULL) && (squeue = g_find_program_in_path("squeue"))) {
    g_strstrip(id);
    const char *argv[] = {squeue, "-h", "-o", "%i", "-j", id, NULL};
    char *out = NULL, *errs = NULL;
    gint status = 0;
    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status, NULL)) {
      busy = true;
      fprintf(stderr, "cloudmix sweep: cannot run %s to ask about job array %s (%s)\n", squeue, id, idfile);
    } else if (g_spawn_check_wait_status(status, NULL) && out && *g_strstrip(out)) {
      busy = true;
      fprintf(stderr, "cloudmix sweep: Slurm job array %s (%s) is still queued or running; its jobs' files would be "
              "replaced under it: wait for it (squeue -j %s) or cancel it (scancel %s)\n", id, idfile, id, id);
    } else if (!g_spawn_check_wait_status(status, NULL) && !(errs && strstr(errs, "Invalid job id"))) {
      busy = true; /* Slurm purges an ended job after a while; anything else means we cannot tell */
      fprintf(stderr, "cloudmix sweep: cannot tell whether Slurm job array %s (%s) is over: squeue: %s", id, idfile,
              errs && *errs ? errs : "failed\n");
    }
    g_free(out);
    g_free(errs);
  }
  g_free(idfile);
  g_free(id);
  g_free(squeue);
  return busy;
}

/* sbatch: its path when submitting, else NULL. */
static int run_slurm(const char *sbatch, const char *dir, const GArray *pending, gint njobs) {
  bool submit = sbatch != NULL;
  char *script = g_build_filename(dir, "sweep.sbatch", NULL), *list = g_build_filename(dir, "jobs.txt", NULL);
  char *logs = g_build_filename(dir, "slurm", NULL), *arr = ranges(pending);
  char *qlist = g_shell_quote(list), *throttle = njobs > 0 ? g_strdup_printf("%%%d", njobs) : g_strdup("");
  g_mkdir_with_parents(logs, 0755);
  char *text = g_strdup_printf(
      "#!/bin/sh\n"
      "# Written by cloudmix sweep: task i runs line i of jobs.txt (the jobs not yet done).\n"
      "#SBATCH --job-name=cloudmix-sweep\n"
      "#SBATCH --array=%s%s\n"
      "#SBATCH --ntasks=1\n"
      "#SBATCH --cpus-per-task=1\n"
      "#SBATCH --output=%s/%%A_%%a.out\n"
      "line=$(sed -n \"${SLURM_ARRAY_TASK_ID}p\" %s)\n"
      "[ -n \"$line\" ] || { echo \"cloudmix sweep: no line $SLURM_ARRAY_TASK_ID in %s\" >&2; exit 2; }\n"
      "eval \"$line\"\n",
      arr, throttle, logs, qlist, list);
  int rc = CM_EXIT_USAGE;
  if (write_file(script, text) && g_chmod(script, 0755) == 0) {
    rc = CM_EXIT_OK;
    if (!submit) {
      printf("sweep: wrote %s (array %s); submit it with: sbatch %s\n", script, arr, script);
    } else {
      const char *argv[] = {sbatch, "--parsable", script, NULL};
      char *out = NULL, *errs = NULL;
      gint status = 0;
      GError *ge = NULL;
      if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status, &ge) ||
          !g_spawn_check_wait_status(status, &ge)) {
        fprintf(stderr, "cloudmix sweep: sbatch %s failed: %s%s%s", script, ge ? ge->message : "",
                errs && *errs ? "\n" : "\n", errs ? errs : "");
        rc = CM_EXIT_FAILED;
      } else {
        char *id = g_strstrip(g_strdup(out));
        char *semi = strchr(id, ';'); /* "ID;CLUSTER" */
        if (semi) *semi = 0;
        char *idfile = g_build_filename(dir, "slurm-job.txt", NULL), *idline = g_strdup_printf("%s\n", id);
        write_file(idfile, idline);
        printf("sweep: submitted Slurm job array %s (%u tasks, array %s); job id also in %s\n", id, pending->len,
               arr, idfile);
        g_free(idfile);
        g_free(idline);
        g_free(id);
      }
      if (ge) g_error_free(ge);
      g_free(out);
      g_free(errs);
    }
  }
  g_free(text);
  g_free(script);
  g_free(list);
  g_free(logs);
  g_free(arr);
  g_free(qlist);
  g_free(throttle);
  return rc;
}

/* Files in DIR/runs that no job of this spec writes (an earlier spec's):
 * named, never touched; a merge of DIR/runs/ (*.db) would take them too. */
static void strangers_note(const char *runs, const GPtrArray *jobs) {
  GHashTable *mine = g_hash_table_new(g_str_hash, g_str_equal);
  for (guint i = 0; i < jobs->len; i++) {
    const struct sweep_job *j = jobs->pdata[i];
    g_hash_table_add(mine, (char *)strrchr(j->out, '/') + 1);
  }
  GDir *d = g_dir_open(runs, 0, NULL);
  const char *name, *first = NULL;
  guint n = 0;
  while (d && (name = g_dir_read_name(d)))
    if (g_str_has_suffix(name, ".db") && !g_hash_table_contains(mine, name) && n++ == 0) first = g_strdup(name);
  if (n)
    printf("sweep: note: %u file%s in %s belong%s to no job of this spec (e.g. %s: an earlier spec's?); left as they "
           "are, but a merge of %s/*.db takes them too\n", n, n == 1 ? "" : "s", runs, n == 1 ? "s" : "", first, runs);
  g_free((char *)first);
  if (d) g_dir_close(d);
  g_hash_table_destroy(mine);
}

int cli_sweep(int argc, char **argv) {
  gchar *runner = NULL, *sshlogin = NULL, *dir_opt = NULL;
  gint njobs = -1; /* not given */
  gboolean submit = FALSE;
  GOptionEntry entries[] = {
      {"runner", 'r', 0, G_OPTION_ARG_STRING, &runner,
       "parallel (GNU parallel, the default), slurm (write DIR/sweep.sbatch, a job array) or list (only DIR/jobs.txt)",
       "parallel|slurm|list"},
      {"jobs", 'j', 0, G_OPTION_ARG_INT, &njobs,
       "Jobs at once: parallel's --jobs (default: one per core), or Slurm's array throttle %N", "N"},
      {"sshlogin", 'S', 0, G_OPTION_ARG_STRING, &sshlogin,
       "Passed to GNU parallel's --sshlogin to run jobs on other hosts (they need the same paths: a shared file system)",
       "LOGINS"},
      {"submit", 0, 0, G_OPTION_ARG_NONE, &submit, "With --runner slurm: submit the script with sbatch", NULL},
      {"dir", 'd', 0, G_OPTION_ARG_FILENAME, &dir_opt, "Sweep folder (default results/sweep-SPEC)", "DIR"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("SPEC.ini - run scenario x grid x policy x seed as separate jobs");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "SPEC is a key file with one group, [sweep]: scenarios (files, relative to SPEC),\n"
           "seeds (e.g. 1-5 or 1, 4, 9), policies (optional; cloudless), and set.GROUP.KEY\n"
           "lists (the --set grid). Lists are separated by ',' (or ';'). cli/README.md has the\n"
           "details. Writes DIR/jobs.txt (every job, one `cloudmix run` per line, each into\n"
           "DIR/runs/NAME.db); the runner runs the jobs not done yet. Join the files with\n"
           "`cloudmix merge OUT.db DIR/runs/*.db`.\n"
           "Exit codes: 0 every job done (or written / submitted), 1 a job failed, 2 bad\n"
           "usage, spec or a missing tool.");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("sweep", ctx, perr);
    g_free(perr);
    return rc;
  }
  const char *r = runner ? runner : "parallel";
  char *bad = NULL;
  if (argc != 2) bad = g_strdup(argc < 2 ? "missing SPEC file" : "expected exactly one SPEC file");
  else if (strcmp(r, "parallel") && strcmp(r, "slurm") && strcmp(r, "list"))
    bad = g_strdup_printf("--runner: unknown runner '%s'; expected parallel, slurm or list", r);
  else if (njobs != -1 && (njobs < 1 || njobs > 100000)) bad = g_strdup("--jobs: expected a number in [1, 100000]");
  else if (sshlogin && strcmp(r, "parallel")) bad = g_strdup("--sshlogin goes with --runner parallel only");
  else if (submit && strcmp(r, "slurm")) bad = g_strdup("--submit goes with --runner slurm only");
  if (bad) {
    int rc = cli_usage_error("sweep", ctx, bad);
    g_free(bad);
    g_free(runner);
    g_free(sshlogin);
    g_free(dir_opt);
    return rc;
  }
  g_option_context_free(ctx);

  int rc = CM_EXIT_USAGE, lock = -1;
  struct sweep_spec spec = {0};
  GPtrArray *jobs = g_ptr_array_new_with_free_func(sweep_job_free);
  char *err = NULL, *exe = g_file_read_link("/proc/self/exe", NULL), *dir = NULL, *runs = NULL, *lockp = NULL;
  char *tool = NULL; /* parallel, or sbatch with --submit: found before anything is written or removed */
  if (!dir_opt) {
    char *d = cli_default_out(argv[1]); /* results/NAME.db */
    d[strlen(d) - 3] = 0;
    char *b = g_path_get_basename(d);
    dir_opt = g_strdup_printf("results/sweep-%s", b);
    g_free(b);
    g_free(d);
  }
  dir = g_canonicalize_filename(dir_opt, NULL);
  if (!exe) {
    fprintf(stderr, "cloudmix sweep: cannot find this program's own path (/proc/self/exe)\n");
    goto out;
  }
  if (sweep_spec_load(argv[1], &spec, &err) != 0 || sweep_jobs_expand(&spec, exe, dir, jobs, &err) != 0) {
    fprintf(stderr, "cloudmix sweep: %s\n", err);
    goto out;
  }
  if (!strcmp(r, "parallel") && !(tool = tool_find("parallel", "GNU parallel", "parallel"))) goto out;
  if (submit && !(tool = tool_find("sbatch", NULL, "slurm-client"))) goto out;
  runs = g_build_filename(dir, "runs", NULL);
  if (g_mkdir_with_parents(runs, 0755) != 0) {
    fprintf(stderr, "cloudmix sweep: cannot create %s: %s\n", runs, g_strerror(errno));
    goto out;
  }
  lockp = g_build_filename(dir, "sweep.lock", NULL);
  lock = open(lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (lock < 0 || flock(lock, LOCK_EX | LOCK_NB) != 0) {
    fprintf(stderr, "cloudmix sweep: %s is in use by another cloudmix sweep (lock %s)\n", dir, lockp);
    goto out;
  }
  if (strcmp(r, "list") && slurm_busy(dir)) goto out;
  GString *all = g_string_new(NULL);
  for (guint i = 0; i < jobs->len; i++) g_string_append_printf(all, "%s\n", ((struct sweep_job *)jobs->pdata[i])->line);
  char *list = g_build_filename(dir, "jobs.txt", NULL);
  bool wrote = write_file(list, all->str);
  g_string_free(all, TRUE);
  GArray *pending = g_array_new(FALSE, FALSE, sizeof(guint));
  guint stale = 0;
  for (guint i = 0; wrote && i < jobs->len; i++) {
    const struct sweep_job *j = jobs->pdata[i];
    if (job_done(j)) continue;
    guint line = i + 1;
    g_array_append_val(pending, line);
    if (g_file_test(j->out, G_FILE_TEST_EXISTS)) stale++;
  }
  guint points = 1, npol = spec.policies->len ? spec.policies->len : 1;
  for (guint i = 0; i < spec.axes->len; i++) points *= ((struct sweep_axis *)spec.axes->pdata[i])->values->len;
  if (wrote)
    printf("sweep: %u jobs (%u scenarios x %u grid points x %u policies x %u seeds) in %s: %u done, %u to run%s\n",
           jobs->len, spec.scenarios->len, points, npol, spec.seeds->len, list, jobs->len - pending->len,
           pending->len, stale && strcmp(r, "list") ? " (their unfinished files replaced)" : "");
  if (wrote) strangers_note(runs, jobs);
  if (!wrote) {
    rc = CM_EXIT_USAGE;
  } else if (!strcmp(r, "list")) {
    rc = CM_EXIT_OK;
  } else {
    rc = CM_EXIT_OK;
    for (guint i = 0; i < pending->len && rc == CM_EXIT_OK; i++)
      if (job_clear(jobs->pdata[g_array_index(pending, guint, i) - 1]) != 0) rc = CM_EXIT_FAILED;
    if (rc == CM_EXIT_OK && pending->len == 0) printf("sweep: nothing to run\n");
    else if (rc == CM_EXIT_OK && !strcmp(r, "parallel")) rc = run_parallel(tool, dir, jobs, pending, njobs, sshlogin);
    else if (rc == CM_EXIT_OK) rc = run_slurm(tool, dir, pending, njobs);
  }
  g_array_free(pending, TRUE);
  g_free(list);
out:
  sweep_spec_free(&spec);
  if (lock >= 0) close(lock);
  g_ptr_array_free(jobs, TRUE);
  g_free(err);
  g_free(exe);
  g_free(dir);
  g_free(runs);
  g_free(lockp);
  g_free(tool);
  g_free(runner);
  g_free(sshlogin);
  g_free(dir_opt);
  return rc;
}
