/* `cloudmix merge OUT.db IN.db...`: join per-run results files (the files
 * in a sweep's DIR/runs/) into one. Every input is checked before anything is
 * written (a cloudmix results file of the output's schema version, not the
 * output itself, not given twice); then each is merged in one transaction
 * by analysis/merge.h. */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>

#include "cli.h"
#include "merge.h"

static void print_note(void *arg CM_UNUSED, const char *msg) { fprintf(stderr, "cloudmix merge: %s\n", msg); }

/* The schema version the inputs need: OUT's when it is a results file,
 * this build's when OUT is missing or empty; -1 (message printed) when OUT
 * is something else. */
static int64_t out_version(const char *out) {
  struct merge_file_info fi;
  char *why = NULL;
  merge_file_inspect(out, &fi, &why);
  struct stat sb;
  int64_t v = -1;
  if (fi.kind == MERGE_FILE_RESULTS) v = fi.version;
  else if (fi.kind == MERGE_FILE_MISSING || (stat(out, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0))
    v = RESULTS_SCHEMA_VERSION;
  else fprintf(stderr, "cloudmix merge: output %s; nothing written\n", why);
  g_free(why);
  return v;
}

/* Every input a results file of version v, none the output or given twice.
 * Prints one line per problem; returns how many. */
static int inputs_check(const char *out, char **in, int n, int64_t v) {
  int bad = 0;
  struct stat so;
  bool out_exists = stat(out, &so) == 0;
  GHashTable *seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  for (int i = 0; i < n; i++) {
    struct stat si;
    struct merge_file_info fi;
    char *why = NULL;
    if (stat(in[i], &si) == 0) {
      char *key = g_strdup_printf("%ju:%ju", (uintmax_t)si.st_dev, (uintmax_t)si.st_ino);
      if (out_exists && si.st_dev == so.st_dev && si.st_ino == so.st_ino) {
        fprintf(stderr, "cloudmix merge: %s is the output file itself\n", in[i]);
        bad++;
      } else if (g_hash_table_contains(seen, key)) {
        fprintf(stderr, "cloudmix merge: %s given twice (its runs would be merged twice)\n", in[i]);
        bad++;
      }
      g_hash_table_add(seen, key);
    }
    merge_file_inspect(in[i], &fi, &why);
    if (fi.kind != MERGE_FILE_RESULTS) {
      fprintf(stderr, "cloudmix merge: %s\n", why);
      bad++;
    } else if (fi.version != v) {
      fprintf(stderr, "cloudmix merge: %s: schema version %lld; expected %lld (%s)\n", in[i], (long long)fi.version,
              (long long)v, out_exists ? "the output's" : "this build's");
      bad++;
    }
    g_free(why);
  }
  g_hash_table_destroy(seen);
  return bad;
}

int cli_merge(int argc, char **argv) {
  gboolean unfinished = FALSE, quiet = FALSE;
  GOptionEntry entries[] = {
      {"include-unfinished", 0, 0, G_OPTION_ARG_NONE, &unfinished,
       "Keep runs that did not finish (status running or incomplete); by default they are left out, each named",
       NULL},
      {"quiet", 'q', 0, G_OPTION_ARG_NONE, &quiet, "No summary line (skipped runs are still named)", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("OUT.db IN.db... - join results files into one");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "Appends to OUT (created when missing) every run of each IN and the rows of every\n"
           "table of IN with a run_id column (tables OUT lacks are created from IN's schema),\n"
           "with run ids renumbered after OUT's largest. Runs whose status is not complete,\n"
           "ok or failed are left out unless --include-unfinished; tables without a run_id\n"
           "column are named and not merged. Every IN must be a cloudmix results file of\n"
           "OUT's schema version (this build's when OUT is new): otherwise nothing is written.\n"
           "Each IN is merged in one transaction: all of it or none.\n"
           "Exit codes: 0 ok, 1 an input failed to merge (the others are in), 2 bad usage or\n"
           "input (nothing written).");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("merge", ctx, perr);
    g_free(perr);
    return rc;
  }
  if (argc < 3) return cli_usage_error("merge", ctx, argc < 2 ? "missing OUT.db and IN.db files" : "missing IN.db files");
  g_option_context_free(ctx);
  const char *out = argv[1];
  int64_t v = out_version(out);
  if (v < 0) return CM_EXIT_USAGE;
  int bad = inputs_check(out, argv + 2, argc - 2, v);
  if (bad) {
    fprintf(stderr, "cloudmix merge: %d input%s refused; nothing written\n", bad, bad == 1 ? "" : "s");
    return CM_EXIT_USAGE;
  }
  merge *m = NULL;
  char *err = NULL, *dir = g_path_get_dirname(out);
  if (g_mkdir_with_parents(dir, 0755) != 0) {
    fprintf(stderr, "cloudmix merge: cannot create the folder %s for %s\n", dir, out);
    g_free(dir);
    return CM_EXIT_USAGE;
  }
  g_free(dir);
  if (merge_open(out, &m, &err) != 0) {
    fprintf(stderr, "cloudmix merge: %s\n", err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  struct merge_stats st = {0};
  int failed = 0;
  for (int i = 2; i < argc; i++) {
    if (merge_input_add(m, argv[i], unfinished, print_note, NULL, &st, &err) != 0) {
      fprintf(stderr, "cloudmix merge: %s; nothing of it merged\n", err);
      g_free(err);
      failed++;
    }
  }
  if (merge_close(m) != 0) {
    fprintf(stderr, "cloudmix merge: %s: closing failed\n", out);
    failed++;
  }
  if (!quiet)
    printf("merged %lld runs (%lld left out, not finished) and %lld rows from %d of %d files into %s"
           " (%lld tables created)\n", (long long)st.runs, (long long)st.skipped, (long long)st.rows,
           argc - 2 - failed, argc - 2, out, (long long)st.tables_created);
  return failed ? CM_EXIT_FAILED : CM_EXIT_OK;
}
