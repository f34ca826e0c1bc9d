/* Unit tests for the SQLite results store (analysis/results.c): schema,
 * runs, metrics, batched model tables, reopening, bad files, determinism. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <string.h>

#include "results.h"

/* Per-test temporary directory; teardown deletes it and all its files. */
static int tmp_setup(void **state CM_UNUSED) {
  GError *gerr = NULL;
  char *dir = g_dir_make_tmp("cm_results_XXXXXX", &gerr);
  if (!dir) {
    g_error_free(gerr);
    return -1;
  }
  *state = dir;
  return 0;
}

static int tmp_teardown(void **state CM_UNUSED) {
  char *dir = *state;
  GDir *d = g_dir_open(dir, 0, NULL);
  if (d) {
    const char *name;
    while ((name = g_dir_read_name(d))) {
      char *p = g_build_filename(dir, name, NULL);
      g_unlink(p);
      g_free(p);
    }
    g_dir_close(d);
  }
  int rc = g_rmdir(dir);
  g_free(dir);
  return rc;
}

static char *tmp_path(void **state, const char *name) {
  return g_build_filename((const char *)*state, name, NULL);
}

static sqlite3 *db_open(const char *path) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL),
                   SQLITE_OK);
  return db;
}

static int64_t db_int(const char *path, const char *sql) {
  sqlite3 *db = db_open(path);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static char *db_text(const char *path, const char *sql) {
  sqlite3 *db = db_open(path);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  const unsigned char *t = sqlite3_column_text(st, 0);
  char *v = g_strdup(t ? (const char *)t : "(null)");
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static void test_close_null(void **state CM_UNUSED) {
  assert_int_equal(results_close(NULL), CM_OK);
  assert_string_equal(results_errmsg(NULL), "no results store");
  assert_int_equal(results_rows_written(NULL), 0);
}

static void test_open_create(void **state CM_UNUSED) {
  char *path = tmp_path(state, "out.db");
  char *err = NULL;
  results *r = results_open(path, &err);
  assert_non_null(r);
  assert_null(err);
  assert_true(g_file_test(path, G_FILE_TEST_EXISTS));
  assert_int_equal(db_int(path, "PRAGMA user_version"),
                   RESULTS_SCHEMA_VERSION);
  assert_int_equal(db_int(path, "PRAGMA application_id"),
                   RESULTS_APPLICATION_ID);
  assert_int_equal(db_int(path, "SELECT count(*) FROM sqlite_master WHERE"
                                " type = 'table' AND name IN ('runs',"
                                " 'run_metrics', 'run_params')"), 3);
  char *mode = db_text(path, "PRAGMA journal_mode");
  assert_string_equal(mode, "wal");
  g_free(mode);
  assert_int_equal(results_close(r), CM_OK);
  g_free(path);
}

static void test_run_roundtrip(void **state CM_UNUSED) {
  char *path = tmp_path(state, "out.db");
  results *r = results_open(path, NULL);
  assert_non_null(r);
  int64_t id = results_run_begin(r, "demo", "scenarios/demo.ini",
                                 "[sim]\nend = 10s\n", UINT64_MAX);
  assert_int_equal(id, 1);
  char *status = db_text(path, "SELECT status FROM runs WHERE id = 1");
  assert_string_equal(status, "running");
  g_free(status);

  assert_int_equal(results_metric(r, id, "jobs_done", 41.0), CM_OK);
  assert_int_equal(results_metric(r, id, "jobs_done", 42.0), CM_OK);
  assert_int_equal(results_metric(r, id, "nan", NAN), CM_OK);
  assert_int_equal(results_run_end(r, id, "done", 1, 2, 3), CM_EINVAL);
  assert_non_null(strstr(results_errmsg(r), "done"));
  assert_int_equal(results_run_end(r, id, "ok", 1, 2, 3), CM_EINVAL); /* schema 2's word */
  assert_int_equal(results_run_end(r, id, "incomplete", 1, 2, 3), CM_EINVAL); /* only open marks it */
  assert_int_equal(results_run_end(r, 99, "complete", 1, 2, 3), CM_ENOENT);
  assert_int_equal(results_run_end(r, id, "complete", 0.25, 12345,
                                   CM_S(10)), CM_OK);
  assert_int_equal(results_metric(r, 99, "x", 1.0), CM_EDB);
  assert_int_equal(results_run_begin(r, NULL, NULL, NULL, 1), CM_EINVAL);
  assert_int_equal(results_close(r), CM_OK);

  char *row = db_text(path, "SELECT model || '|' || scenario_path || '|' ||"
                            " scenario_text || '|' || seed || '|' ||"
                            " version || '|' || wall_seconds || '|' ||"
                            " events || '|' || sim_end_ns || '|' || status"
                            " FROM runs WHERE id = 1");
  char *want = g_strdup_printf("demo|scenarios/demo.ini|[sim]\nend = 10s\n|-1|"
                               "%s|0.25|12345|10000000000|complete", cm_version);
  assert_string_equal(row, want);
  g_free(want);
  g_free(row);
  char *at = db_text(path, "SELECT started_at FROM runs WHERE id = 1");
  assert_int_equal(strlen(at), strlen("2024-01-02T03:04:05.678Z"));
  assert_int_equal(at[10], 'T');
  assert_int_equal(at[23], 'Z');
  g_free(at);
  assert_int_equal(db_int(path, "SELECT value FROM run_metrics WHERE"
                                " run_id = 1 AND name = 'jobs_done'"), 42);
  assert_int_equal(db_int(path, "SELECT value IS NULL FROM run_metrics"
                                " WHERE name = 'nan'"), 1);
  assert_int_equal(db_int(path, "SELECT count(*) FROM run_metrics"), 2);
  g_free(path);
}

static const char jobs_create[] =
    "CREATE TABLE IF NOT EXISTS t_jobs (run_id INTEGER NOT NULL REFERENCES"
    " runs(id), job INTEGER, t_ns INTEGER, size REAL, tag TEXT)";
static const char jobs_insert[] =
    "INSERT INTO t_jobs (run_id, job, t_ns, size, tag) VALUES (?, ?, ?, ?, ?)";

static void test_model_table_batches(void **state CM_UNUSED) {
  char *path = tmp_path(state, "out.db");
  results *r = results_open(path, NULL);
  assert_non_null(r);
  int64_t id = results_run_begin(r, "demo", NULL, NULL, 7);
  assert_true(id > 0);
  results_table *t = results_table_new(r, jobs_create, jobs_insert);
  assert_non_null(t);
  for (int i = 0; i < 25000; i++) {
    results_bind_int(t, 1, id);
    results_bind_int(t, 2, i);
    results_bind_int(t, 3, (int64_t)i * 1000);
    results_bind_double(t, 4, i / 3.0);
    if (i % 2)
      results_bind_text(t, 5, "odd");
    else
      results_bind_null(t, 5);
    assert_int_equal(results_row(t), CM_OK);
  }
  assert_int_equal(results_rows_written(r), 25000);
  /* Two full batches are committed and visible to another reader. */
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs"),
                   2 * RESULTS_BATCH_ROWS);
  assert_int_equal(results_run_end(r, id, "complete", 1.0, 25000, 0), CM_OK);
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs"), 25000);

  /* Bad column, bad run id (foreign key), bad SQL. */
  results_bind_int(t, 9, 1);
  assert_int_equal(results_row(t), CM_EDB);
  assert_non_null(strstr(results_errmsg(r), "column 9"));
  results_bind_int(t, 1, 999); /* buffered; the foreign key fails on write */
  assert_int_equal(results_row(t), CM_OK);
  assert_int_equal(results_flush(r), CM_EDB);
  assert_non_null(strstr(results_errmsg(r), "FOREIGN KEY"));
  assert_int_equal(results_rows_written(r), 25000);
  /* One bad row in a full multi-row batch: the batch falls back to one
   * INSERT per row, so only that row is lost, and the call that filled the
   * batch says so. */
  int rc = CM_OK;
  for (int i = 0; i < RESULTS_MULTI_ROWS; i++) {
    results_bind_int(t, 1, i == 17 ? 999 : id);
    results_bind_int(t, 2, 100000 + i);
    rc = results_row(t);
    if (i < RESULTS_MULTI_ROWS - 1) assert_int_equal(rc, CM_OK);
  }
  assert_int_equal(rc, CM_EDB);
  assert_int_equal(results_flush(r), CM_OK);
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs WHERE job >= 100000"), RESULTS_MULTI_ROWS - 1);
  assert_int_equal(results_rows_written(r), 25000 + RESULTS_MULTI_ROWS - 1);
  assert_null(results_table_new(r, "CREATE TABLE nonsense (", jobs_insert));
  assert_null(results_table_new(r, jobs_create, "SELECT 1"));
  assert_null(results_table_new(r, jobs_create, "INSERT INTO nowhere"
                                                " VALUES (?)"));
  assert_int_equal(results_row(NULL), CM_EINVAL);
  results_bind_int(NULL, 1, 1);
  assert_int_equal(results_rows_written(r), 25000 + RESULTS_MULTI_ROWS - 1);

  /* Rows pending at close are committed. */
  results_bind_int(t, 1, id);
  assert_int_equal(results_row(t), CM_OK);
  assert_int_equal(results_close(r), CM_OK);
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs"), 25001 + RESULTS_MULTI_ROWS - 1);
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs WHERE"
                                " tag = 'odd'"), 12500);
  assert_int_equal(db_int(path, "SELECT sum(t_ns) FROM t_jobs"),
                   (int64_t)24999 * 25000 / 2 * 1000);
  g_free(path);
}

/* A row left unbound in a column after a flush between two rows (a commit
 * or another table's batch) writes NULL there, not the previous row's
 * value. */
static void test_unbound_after_flush(void **state CM_UNUSED) {
  char *path = tmp_path(state, "out.db");
  results *r = results_open(path, NULL);
  assert_non_null(r);
  int64_t id = results_run_begin(r, "demo", NULL, NULL, 7);
  results_table *t = results_table_new(r, jobs_create, jobs_insert);
  assert_non_null(t);
  results_bind_int(t, 1, id);
  results_bind_int(t, 2, 1);
  results_bind_double(t, 4, 0.5);
  results_bind_text(t, 5, "first");
  assert_int_equal(results_row(t), CM_OK);
  assert_int_equal(results_flush(r), CM_OK);
  results_bind_int(t, 1, id);
  results_bind_int(t, 2, 2);
  assert_int_equal(results_row(t), CM_OK);
  assert_int_equal(results_close(r), CM_OK);
  assert_int_equal(db_int(path, "SELECT count(*) FROM t_jobs WHERE job = 2 AND size IS NULL AND tag IS NULL"), 1);
  g_free(path);
}

static void test_reopen_appends(void **state CM_UNUSED) {
  char *path = tmp_path(state, "out.db");
  for (int i = 1; i <= 2; i++) {
    results *r = results_open(path, NULL);
    assert_non_null(r);
    int64_t id = results_run_begin(r, "demo", NULL, NULL, (uint64_t)i);
    assert_int_equal(id, i);
    assert_int_equal(results_run_end(r, id, i == 1 ? "complete" : "failed", 0.5,
                                     10, 20), CM_OK);
    assert_int_equal(results_close(r), CM_OK);
  }
  assert_int_equal(db_int(path, "SELECT count(*) FROM runs"), 2);
  assert_int_equal(db_int(path, "SELECT seed FROM runs WHERE id = 2"), 2);
  char *st = db_text(path, "SELECT status FROM runs WHERE id = 2");
  assert_string_equal(st, "failed");
  g_free(st);
  g_free(path);
}

static void expect_open_fails(const char *path, const char *why) {
  char *err = NULL;
  assert_null(results_open(path, &err));
  assert_non_null(err);
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, why));
  assert_null(strchr(err, '\n'));
  g_free(err);
  assert_null(results_open(path, NULL));
}

static void test_open_bad_files(void **state CM_UNUSED) {
  /* Not SQLite at all: refused, and left untouched. */
  char *path = tmp_path(state, "garbage.db");
  const char junk[] = "this is not an SQLite database, just some text\n";
  assert_true(g_file_set_contents(path, junk, -1, NULL));
  expect_open_fails(path, "not an SQLite database");
  char *back = NULL;
  assert_true(g_file_get_contents(path, &back, NULL, NULL));
  assert_string_equal(back, junk);
  g_free(back);
  g_free(path);

  /* Ours, but a schema version this build does not know. */
  path = tmp_path(state, "future.db");
  results *r = results_open(path, NULL);
  assert_non_null(r);
  assert_int_equal(results_close(r), CM_OK);
  sqlite3 *db = db_open(path);
  assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL,
                                NULL), SQLITE_OK);
  sqlite3_close(db);
  expect_open_fails(path, "unknown schema version 99");
  g_free(path);

  /* Someone else's SQLite database. */
  path = tmp_path(state, "other.db");
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE x (a)", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  expect_open_fails(path, "not written by cloudmix");
  g_free(path);

  /* A directory that does not exist. */
  path = tmp_path(state, "no/such/dir.db");
  expect_open_fails(path, "cannot open");
  g_free(path);
}

/* A version-1 file (runs without mode) is upgraded in place at open: its
 * runs read as simulated (and ok as complete), a real run is marked real
 * with its profile. */
static void test_upgrade_v1(void **state) {
  char *path = tmp_path(state, "v1.db");
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db,
                                "CREATE TABLE runs (id INTEGER PRIMARY KEY, model TEXT NOT NULL, scenario_path TEXT,"
                                " scenario_text TEXT, seed INTEGER NOT NULL, version TEXT NOT NULL,"
                                " started_at TEXT NOT NULL, wall_seconds REAL, events INTEGER, sim_end_ns INTEGER,"
                                " status TEXT NOT NULL);"
                                "CREATE TABLE run_metrics (run_id INTEGER NOT NULL, name TEXT NOT NULL, value REAL,"
                                " PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
                                "INSERT INTO runs VALUES (1, 'demo', NULL, NULL, 7, 'v', 't', 1, 2, 3, 'ok');"
                                "PRAGMA application_id = 1129138520; PRAGMA user_version = 1;",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(db);
  results *r = results_open(path, NULL);
  assert_non_null(r);
  int64_t id = results_run_begin(r, "cloudless", "s.ini", "[run]\n", 1);
  assert_int_equal(results_run_real(r, id, "[provider.a]\nkind = openfaas\n"), 0);
  assert_int_equal(results_run_real(r, 999, NULL), CM_ENOENT);
  assert_int_equal(results_close(r), CM_OK);
  assert_int_equal(db_int(path, "PRAGMA user_version"), RESULTS_SCHEMA_VERSION);
  char *modes = db_text(path, "SELECT group_concat(id || ':' || mode || ':' || status, ',') FROM runs");
  assert_string_equal(modes, "1:sim:complete,2:real:running");
  g_free(modes);
  char *prof = db_text(path, "SELECT profile_text FROM runs WHERE id = 2");
  assert_string_equal(prof, "[provider.a]\nkind = openfaas\n");
  g_free(prof);
  g_free(path);
}

/* Write the same sequence of results; only wall_seconds varies by call. */
static void write_sequence(const char *path, double wall) {
  results *r = results_open(path, NULL);
  assert_non_null(r);
  for (int run = 0; run < 2; run++) {
    int64_t id = results_run_begin(r, "demo", "s.ini", "[sim]\n", 42);
    results_table *t = results_table_new(r, jobs_create, jobs_insert);
    assert_non_null(t);
    for (int i = 0; i < 300; i++) {
      results_bind_int(t, 1, id);
      results_bind_int(t, 2, i);
      results_bind_int(t, 3, (int64_t)i * i);
      results_bind_double(t, 4, sqrt(i) / 7.0);
      results_bind_text(t, 5, i % 3 ? "a" : "b");
      assert_int_equal(results_row(t), CM_OK);
    }
    assert_int_equal(results_metric(r, id, "mean", 1.0 / 3.0), CM_OK);
    assert_int_equal(results_metric(r, id, "p99", 1e-300), CM_OK);
    assert_int_equal(results_run_end(r, id, "complete", wall, 300, CM_MS(5)),
                     CM_OK);
  }
  assert_int_equal(results_close(r), CM_OK);
}

/* All schema text and all rows in scan order (as `.dump` emits them), the
 * non-deterministic columns of runs (wall clock, writer) left out. */
static GString *dump_db(const char *path) {
  GString *out = g_string_new(NULL);
  sqlite3 *db = db_open(path);
  sqlite3_stmt *tabs = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, "SELECT type, name, sql FROM"
                                          " sqlite_master ORDER BY name", -1,
                                      &tabs, NULL), SQLITE_OK);
  while (sqlite3_step(tabs) == SQLITE_ROW) {
    const char *type = (const char *)sqlite3_column_text(tabs, 0);
    const char *name = (const char *)sqlite3_column_text(tabs, 1);
    const char *sql = (const char *)sqlite3_column_text(tabs, 2);
    g_string_append_printf(out, "%s %s: %s\n", type, name, sql ? sql : "");
    if (strcmp(type, "table") != 0) continue;
    GString *q = g_string_new("SELECT ''");
    sqlite3_stmt *cols = NULL;
    char *info = g_strdup_printf("PRAGMA table_info(\"%s\")", name);
    assert_int_equal(sqlite3_prepare_v2(db, info, -1, &cols, NULL),
                     SQLITE_OK);
    while (sqlite3_step(cols) == SQLITE_ROW) {
      const char *c = (const char *)sqlite3_column_text(cols, 1);
      if (strcmp(name, "runs") == 0 &&
          (strcmp(c, "started_at") == 0 || strcmp(c, "wall_seconds") == 0 || g_str_has_prefix(c, "writer_")))
        continue;
      g_string_append_printf(q, " || '|' || quote(\"%s\")", c);
    }
    sqlite3_finalize(cols);
    g_free(info);
    g_string_append_printf(q, " FROM \"%s\"", name);
    sqlite3_stmt *rows = NULL;
    assert_int_equal(sqlite3_prepare_v2(db, q->str, -1, &rows, NULL),
                     SQLITE_OK);
    while (sqlite3_step(rows) == SQLITE_ROW)
      g_string_append_printf(out, "%s\n", sqlite3_column_text(rows, 0));
    sqlite3_finalize(rows);
    g_string_free(q, TRUE);
  }
  sqlite3_finalize(tabs);
  sqlite3_close(db);
  return out;
}

static void test_deterministic_dump(void **state CM_UNUSED) {
  char *a = tmp_path(state, "a.db");
  char *b = tmp_path(state, "b.db");
  write_sequence(a, 1.5);
  write_sequence(b, 2.75);
  GString *da = dump_db(a), *db = dump_db(b);
  assert_true(da->len > 1000);
  assert_non_null(strstr(da->str, "t_jobs"));
  assert_string_equal(da->str, db->str);
  g_string_free(da, TRUE);
  g_string_free(db, TRUE);
  /* The excluded column really differs. */
  assert_int_not_equal(db_int(a, "SELECT wall_seconds * 4 FROM runs"),
                       db_int(b, "SELECT wall_seconds * 4 FROM runs"));
  g_free(a);
  g_free(b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_close_null),
      cmocka_unit_test_setup_teardown(test_upgrade_v1, tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(test_open_create, tmp_setup,
                                      tmp_teardown),
      cmocka_unit_test_setup_teardown(test_run_roundtrip, tmp_setup,
                                      tmp_teardown),
      cmocka_unit_test_setup_teardown(test_model_table_batches, tmp_setup,
                                      tmp_teardown),
      cmocka_unit_test_setup_teardown(test_unbound_after_flush, tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(test_reopen_appends, tmp_setup,
                                      tmp_teardown),
      cmocka_unit_test_setup_teardown(test_open_bad_files, tmp_setup,
                                      tmp_teardown),
      cmocka_unit_test_setup_teardown(test_deterministic_dump, tmp_setup,
                                      tmp_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
