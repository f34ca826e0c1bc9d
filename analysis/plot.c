/* plot_draw: open a results file (query only), check it is a cloudmix file,
 * find the run (or the compare set) and the figure kind, then draw the
 * figure in a temporary directory that is removed afterwards. */
#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "plot_impl.h"
#include "results.h"

static const struct kind_entry {
  const char *name;
  const char *model; /* runs.model the kind draws; NULL: any (compare) */
  int (*draw)(struct plot_ctx *p);
} kinds[PLOT_NKINDS] = {
    [PLOT_AUTO] = {"auto", NULL, NULL},
    [PLOT_FIG5] = {"fig5", "cloudless", plot__fig5},
    [PLOT_FIG8] = {"fig8", "cloudless", plot__fig8},
    [PLOT_FIG9] = {"fig9", "cloudless", plot__fig9},
    [PLOT_SEC65] = {"sec65", "cloudless", plot__sec65},
    [PLOT_UAV] = {"uav", "cloudless", plot__uav},
    [PLOT_CL_FIG6] = {"cl-fig6", "cloudless", plot__cl_fig6},
    [PLOT_CL_TABLE1] = {"cl-table1", "cloudless", plot__cl_table1},
    [PLOT_CL_REPLAN] = {"cl-replan", "cloudless", plot__cl_replan},
    [PLOT_COMPARE] = {"compare", NULL, plot__compare},
    [PLOT_MX_FIG1] = {"mx-fig1", "mixclaves", plot__mx_fig1},
    [PLOT_MX_FIG8] = {"mx-fig8", "mixclaves", plot__mx_fig8},
    [PLOT_MX_FIG9] = {"mx-fig9", "mixclaves", plot__mx_fig9},
    [PLOT_MX_TABLE1] = {"mx-table1", "mixclaves", plot__mx_table1},
    [PLOT_MX_FIG10] = {"mx-fig10", "mixclaves", plot__mx_fig10},
};

static const char *const format_ext[] = {[PLOT_PNG] = ".png", [PLOT_PDF] = ".pdf", [PLOT_SVG] = ".svg"};

int plot_format_of(const char *path, enum plot_format *out) {
  const char *dot = path ? strrchr(path, '.') : NULL;
  if (!dot || strchr(dot, '/')) return CM_EINVAL;
  for (int f = 0; f < (int)G_N_ELEMENTS(format_ext); f++)
    if (!g_ascii_strcasecmp(dot, format_ext[f])) {
      *out = (enum plot_format)f;
      return 0;
    }
  return CM_EINVAL;
}

const char *plot_kind_name(enum plot_kind k) { return (unsigned)k < PLOT_NKINDS ? kinds[k].name : "?"; }

int plot_kind_parse(const char *name, enum plot_kind *out) {
  for (int k = 0; k < PLOT_NKINDS; k++)
    if (name && !strcmp(name, kinds[k].name)) {
      *out = (enum plot_kind)k;
      return 0;
    }
  return CM_EINVAL;
}

void plot_result_clear(struct plot_result *r) {
  if (!r) return;
  g_free(r->out_path);
  g_free(r->script_path);
  g_free(r->warnings);
  g_free(r->skipped);
  memset(r, 0, sizeof *r);
}

char *plot_default_out(const struct plot_opts *o) {
  GString *s = g_string_new(o->db_path);
  if (g_str_has_suffix(s->str, ".db")) g_string_truncate(s, s->len - 3);
  if (o->run_id) g_string_append_printf(s, "-run%lld", (long long)o->run_id);
  if (o->kind != PLOT_AUTO) g_string_append_printf(s, "-%s", plot_kind_name(o->kind));
  g_string_append(s, ".png");
  return g_string_free(s, FALSE);
}

/* SQLite builds without the math functions lack sqrt; the figures use it. */
static void sql_sqrt(sqlite3_context *c, int argc CM_UNUSED, sqlite3_value **v) {
  if (sqlite3_value_type(v[0]) == SQLITE_NULL) sqlite3_result_null(c);
  else sqlite3_result_double(c, sqrt(sqlite3_value_double(v[0])));
}

/* One integer from a query with ?1 bound to arg; 0 if no row, -1 on error. */
static int query_int(struct plot_ctx *p, const char *sql, int64_t arg, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = -1;
  if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) == SQLITE_OK) {
    if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, arg);
    int s = sqlite3_step(st);
    if (s == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
      *out = sqlite3_column_int64(st, 0);
      rc = 1;
    } else if (s == SQLITE_ROW || s == SQLITE_DONE) rc = 0;
  }
  sqlite3_finalize(st);
  return rc;
}

/* Upgrade a results file of an older schema version in place through
 * results_open (as any writer would), so that its tables read as ours. */
static int upgrade_db(struct plot_ctx *p, int64_t ver) {
  sqlite3_close(p->db);
  p->db = NULL;
  char *err = NULL;
  results *r = results_open(p->db_path, &err);
  int rc = 0;
  if (!r || results_close(r) != 0)
    rc = plot__fail(p, CM_EINVAL, "results schema version %lld, older than this build's %d, and upgrading it in place "
                    "failed (%s); expected a writable results file", (long long)ver, RESULTS_SCHEMA_VERSION,
                    err ? err : "closing it failed");
  g_free(err);
  return rc;
}

/* Open the file and check it is a cloudmix results file of our schema
 * (upgrading an older one first). */
static int open_db(struct plot_ctx *p) {
  if (!g_file_test(p->db_path, G_FILE_TEST_EXISTS))
    return plot__fail(p, CM_ENOENT, "no such file; expected a cloudmix results database (.db)");
  if (g_file_test(p->db_path, G_FILE_TEST_IS_DIR))
    return plot__fail(p, CM_EINVAL, "is a directory; expected a cloudmix results database (.db)");
  /* Read-write when allowed, so that closing the last connection to a WAL
   * file removes its -wal and -shm files (a read-only connection leaves
   * them behind); query_only makes sure nothing is written. */
  if (sqlite3_open_v2(p->db_path, &p->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
    sqlite3_close(p->db);
    p->db = NULL;
    if (sqlite3_open_v2(p->db_path, &p->db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
      return plot__fail(p, CM_EINVAL, "cannot open: %s", p->db ? sqlite3_errmsg(p->db) : "out of memory");
  }
  sqlite3_busy_timeout(p->db, RESULTS_BUSY_TIMEOUT_MS);
  sqlite3_exec(p->db, "PRAGMA query_only = ON", NULL, NULL, NULL);
  int64_t app = 0, ver = 0;
  if (query_int(p, "PRAGMA application_id", 0, &app) < 0 || query_int(p, "PRAGMA user_version", 0, &ver) < 0)
    return plot__fail(p, CM_EINVAL, "%s; expected a cloudmix results database",
                      sqlite3_errcode(p->db) == SQLITE_NOTADB ? "not an SQLite database" : sqlite3_errmsg(p->db));
  if (app != RESULTS_APPLICATION_ID)
    return plot__fail(p, CM_EINVAL, "not a cloudmix results database (application_id 0x%08x, expected 0x%08x)",
                      (unsigned)app, (unsigned)RESULTS_APPLICATION_ID);
  if (ver < 1 || ver > RESULTS_SCHEMA_VERSION)
    return plot__fail(p, CM_EINVAL, "results schema version %lld; this build reads versions 1 to %d", (long long)ver,
                      RESULTS_SCHEMA_VERSION);
  if (ver < RESULTS_SCHEMA_VERSION) { /* once: results_open brings it to our version */
    int rc = upgrade_db(p, ver);
    return rc < 0 ? rc : open_db(p);
  }
  if (sqlite3_create_function(p->db, "sqrt", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL, sql_sqrt, NULL, NULL) !=
      SQLITE_OK)
    return plot__fail(p, CM_EINVAL, "cannot register sqrt: %s", sqlite3_errmsg(p->db));
  return 0;
}

/* The first run of the compare set whose runs include run (every run of a
 * compare set is one of policies x seeds, numbered from first_run_id);
 * 0 if none. */
static int64_t compare_of(struct plot_ctx *p, int64_t run) {
  int64_t first = 0;
  if (!plot__has_table(p, "compare_results")) return 0;
  if (query_int(p,
                "SELECT first_run_id FROM compare_results GROUP BY first_run_id"
                " HAVING first_run_id <= ?1 AND ?1 < first_run_id + count(DISTINCT policy) * max(seeds)"
                " ORDER BY first_run_id DESC LIMIT 1",
                run, &first) <= 0)
    return 0;
  return first;
}

/* A run plot will not draw: "running (...)" or "incomplete (...)"; NULL
 * for a complete or failed run. */
static const char *unfinished(const char *status) {
  if (!strcmp(status, "running"))
    return "running (begun and not finished: still going, or its process died and no open of the file has marked "
           "it incomplete yet)";
  if (!strcmp(status, "incomplete")) return "incomplete (its process died midway; its rows are partial)";
  return NULL;
}

/* Read the run's model, scenario and seed into p. need_model: the model
 * the run must have; NULL: any model that has figure kinds (and *model,
 * if not NULL, gets that model, static). text_out, if not NULL, gets the
 * recorded scenario text (g_malloc'd; NULL if none). */
static int load_run(struct plot_ctx *p, int64_t run, const char *need_model, const char **model_out,
                    char **text_out) {
  sqlite3_stmt *st = NULL;
  int rc = 0;
  if (sqlite3_prepare_v2(p->db, "SELECT model, scenario_path, seed, status, scenario_text FROM runs WHERE id = ?1", -1,
                         &st, NULL) != SQLITE_OK)
    return plot__fail(p, CM_EINVAL, "cannot read runs: %s", sqlite3_errmsg(p->db));
  sqlite3_bind_int64(st, 1, run);
  if (sqlite3_step(st) != SQLITE_ROW) {
    int64_t lo = 0, hi = 0;
    query_int(p, "SELECT min(id) FROM runs", 0, &lo);
    query_int(p, "SELECT max(id) FROM runs", 0, &hi);
    rc = plot__fail(p, CM_ENOENT, "no run %lld; expected a run id in %lld..%lld", (long long)run, (long long)lo,
                    (long long)hi);
    goto done;
  }
  const char *model = (const char *)sqlite3_column_text(st, 0), *path = (const char *)sqlite3_column_text(st, 1);
  const char *status = (const char *)sqlite3_column_text(st, 3), *why = unfinished(status ? status : "");
  if (why) {
    rc = plot__fail(p, CM_EINVAL, "run %lld is %s; expected a complete run", (long long)run, why);
    goto done;
  }
  if (!model) model = "";
  if (need_model && strcmp(model, need_model) != 0) {
    rc = plot__fail(p, CM_EINVAL, "run %lld is a '%s' run; the %s figure needs a %s run", (long long)run, model,
                    plot_kind_name(p->kind), need_model);
    goto done;
  }
  if (model_out) {
    if (!strcmp(model, "cloudless")) *model_out = "cloudless";
    else if (!strcmp(model, "mixclaves")) *model_out = "mixclaves";
    else {
      rc = plot__fail(p, CM_EINVAL, "run %lld is a '%s' run; expected a cloudless or mixclaves run", (long long)run,
                      model);
      goto done;
    }
  }
  p->run_id = run;
  p->scenario = path ? g_path_get_basename(path) : g_strdup("(no scenario file)");
  p->seed = sqlite3_column_int64(st, 2);
  if (text_out) *text_out = g_strdup((const char *)sqlite3_column_text(st, 4));
done:
  sqlite3_finalize(st);
  return rc;
}

/* The newest run that is complete or failed into *run (0: none); the
 * newer runs (running or incomplete) named in p->skipped. Returns 0 or an
 * error. */
static int newest_run(struct plot_ctx *p, int64_t *run) {
  *run = 0;
  if (query_int(p, "SELECT max(id) FROM runs WHERE status IN ('complete', 'failed')", 0, run) < 0)
    return plot__fail(p, CM_EINVAL, "cannot read runs: %s", sqlite3_errmsg(p->db));
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(p->db, "SELECT id, status FROM runs WHERE id > ?1 ORDER BY id", -1, &st, NULL) != SQLITE_OK)
    return plot__fail(p, CM_EINVAL, "cannot read runs: %s", sqlite3_errmsg(p->db));
  sqlite3_bind_int64(st, 1, *run);
  GString *s = g_string_new(NULL);
  while (sqlite3_step(st) == SQLITE_ROW)
    g_string_append_printf(s, "%srun %lld (%s)", s->len ? ", " : "", (long long)sqlite3_column_int64(st, 0),
                           (const char *)sqlite3_column_text(st, 1));
  sqlite3_finalize(st);
  if (s->len) {
    g_string_prepend(s, "skipped ");
    g_string_append(s, ": not complete");
    p->skipped = g_string_free(s, FALSE);
  } else {
    g_string_free(s, TRUE);
  }
  return 0;
}

/* Refuse a compare set (runs first .. of compare_results) holding a run
 * that is not complete. */
static int compare_complete(struct plot_ctx *p, int64_t first) {
  int64_t bad = 0;
  int q = query_int(p,
                    "SELECT min(r.id) FROM runs r, (SELECT first_run_id AS f, count(DISTINCT policy) * max(seeds) AS n"
                    " FROM compare_results WHERE first_run_id = ?1 GROUP BY first_run_id)"
                    " WHERE r.id >= f AND r.id < f + n AND r.status <> 'complete'",
                    first, &bad);
  if (q <= 0) return 0;
  sqlite3_stmt *s = NULL;
  const char *status = "?";
  if (sqlite3_prepare_v2(p->db, "SELECT status FROM runs WHERE id = ?1", -1, &s, NULL) == SQLITE_OK) {
    sqlite3_bind_int64(s, 1, bad);
    if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0)) status = (const char *)sqlite3_column_text(s, 0);
  }
  const char *why = unfinished(status);
  int rc = plot__fail(p, CM_EINVAL, "run %lld of the compare set from run %lld is %s; expected every run of it complete",
                      (long long)bad, (long long)first, why ? why : status);
  sqlite3_finalize(s);
  return rc;
}

/* Decide run and kind as plot_draw documents. */
static int resolve(struct plot_ctx *p, const struct plot_opts *o) {
  int64_t run = o->run_id;
  if (!run) {
    int64_t any = 0;
    if (query_int(p, "SELECT max(id) FROM runs", 0, &any) <= 0)
      return plot__fail(p, CM_ENOENT, "holds no runs; expected at least one run (cloudmix run ... --out %s)",
                        p->db_path);
    int rc = newest_run(p, &run);
    if (rc < 0) return rc;
    if (!run) /* every run is running or incomplete: all of them are in p->skipped */
      return plot__fail(p, CM_EINVAL, "holds no complete run (%s); expected at least one",
                        p->skipped ? p->skipped : "none");
  }
  p->kind = o->kind;
  if (p->kind == PLOT_AUTO && !o->run_id && compare_of(p, run)) p->kind = PLOT_COMPARE;
  if (p->kind == PLOT_COMPARE) {
    if (!plot__has_table(p, "compare_results"))
      return plot__fail(p, CM_EINVAL, "no table compare_results; the compare kind needs the output of cloudmix compare");
    int64_t first = compare_of(p, run);
    if (!first && !o->run_id) query_int(p, "SELECT max(first_run_id) FROM compare_results", 0, &first);
    if (!first)
      return plot__fail(p, CM_EINVAL, "run %lld is not part of a cloudmix compare set in compare_results",
                        (long long)run);
    int rc = compare_complete(p, first);
    return rc < 0 ? rc : load_run(p, first, NULL, NULL, NULL);
  }
  if (p->kind != PLOT_AUTO) return load_run(p, run, kinds[p->kind].model, NULL, NULL);
  /* Auto: the model, then the experiment it recorded. */
  const char *model = NULL;
  char *text = NULL;
  int rc = load_run(p, run, NULL, &model, &text);
  if (rc == 0) rc = plot__kind_choose(p, model, text, &p->kind);
  g_free(text);
  return rc;
}

/* Remove the temporary directory and what is in it (only files). */
static void remove_tmpdir(const char *dir) {
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *f = g_build_filename(dir, name, NULL);
      g_unlink(f);
      g_free(f);
    }
    g_dir_close(d);
  }
  g_rmdir(dir);
}

/* The output path, its format and folder; with keep the stem of the
 * kept files. */
static int prepare_out(struct plot_ctx *p, const struct plot_opts *o) {
  char *out = o->out_path ? g_strdup(o->out_path) : plot_default_out(o);
  int rc = 0;
  if (plot_format_of(out, &p->format) != 0) {
    const char *dot = strrchr(out, '.');
    rc = plot__fail(p, CM_EINVAL, "--out %s: %s%s%s; expected a figure file ending in " PLOT_FORMATS, out,
                    dot && !strchr(dot, '/') ? "unknown extension '" : "no extension",
                    dot && !strchr(dot, '/') ? dot : "", dot && !strchr(dot, '/') ? "'" : "");
    g_free(out);
    return rc;
  }
  p->out_path = g_canonicalize_filename(out, NULL);
  g_free(out);
  char *dir = g_path_get_dirname(p->out_path);
  if (g_mkdir_with_parents(dir, 0755) != 0)
    rc = plot__fail(p, CM_EIO, "cannot create the directory %s for the plot: %s", dir, g_strerror(errno));
  if (rc == 0 && o->keep) {
    char *base = g_path_get_basename(p->out_path);
    p->stem = g_strndup(base, strlen(base) - strlen(strrchr(base, '.')));
    p->workdir = g_strdup(dir);
    p->keep = 1;
    if (!*p->stem)
      rc = plot__fail(p, CM_EINVAL, "--keep: the figure's name %s has nothing before its extension; expected NAME%s",
                      base, strrchr(base, '.'));
    else if (strpbrk(p->stem, "'\n\r"))
      rc = plot__fail(p, CM_EINVAL, "--keep: the figure's name %s holds a quote or a line break, which the kept "
                                    "script cannot name; expected a plain file name", base);
    g_free(base);
  }
  g_free(dir);
  return rc;
}

int plot_draw(const struct plot_opts *o, struct plot_result *res, char **err) {
  struct plot_ctx p = {.db_path = o->db_path, .gp = g_string_new(NULL), .width = 1000, .height = 600,
                       .datafiles = g_ptr_array_new_with_free_func(g_free)};
  int rc = open_db(&p);
  if (rc == 0) rc = resolve(&p, o);
  if (rc == 0) rc = prepare_out(&p, o);
  if (rc == 0 && !p.keep) {
    GError *gerr = NULL;
    p.tmpdir = g_dir_make_tmp("cloudmix-plot-XXXXXX", &gerr);
    if (!p.tmpdir) {
      rc = plot__fail(&p, CM_EIO, "cannot make a temporary directory: %s", gerr->message);
      g_error_free(gerr);
    } else p.workdir = g_strdup(p.tmpdir);
  }
  if (rc == 0) rc = kinds[p.kind].draw(&p);
  if (p.tmpdir) remove_tmpdir(p.tmpdir);
  if (rc == 0) {
    res->kind = p.kind;
    res->run_id = p.run_id;
    res->out_path = p.out_path;
    res->script_path = p.script_path;
    res->warnings = p.warnings;
    res->skipped = p.skipped;
    p.out_path = p.warnings = p.script_path = p.skipped = NULL;
  } else if (err) {
    *err = p.err ? p.err : g_strdup_printf("%s: %s", o->db_path, cm_strerror(rc));
    p.err = NULL;
  }
  sqlite3_close(p.db);
  g_string_free(p.gp, TRUE);
  g_ptr_array_free(p.datafiles, TRUE);
  g_free(p.scenario);
  g_free(p.out_path);
  g_free(p.tmpdir);
  g_free(p.workdir);
  g_free(p.stem);
  g_free(p.script_path);
  g_free(p.err);
  g_free(p.warnings);
  g_free(p.skipped);
  return rc;
}
