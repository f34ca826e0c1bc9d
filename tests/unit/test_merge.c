/* Unit tests for analysis/merge.c: what merge_file_inspect reports for each
 * kind of file; a merge's renumbered runs, copied metrics, a table the
 * build has never seen (created with its index, its rowid alias renumbered),
 * unfinished runs left out or kept, tables without run_id and orphan rows
 * named; an input of another schema version refused and an input failing
 * midway leaving nothing behind. */
#include "cmocka_inc.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "merge.h"
#include "results.h"

struct fx {
  char *dir;
};

static char *path_in(struct fx *f, const char *name) { return g_build_filename(f->dir, name, NULL); }

static void sql(const char *path, const char *q) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  char *e = NULL;
  int rc = sqlite3_exec(db, q, NULL, NULL, &e);
  if (rc != SQLITE_OK) fail_msg("%s: %s", q, e);
  sqlite3_close(db);
}

/* Rows of q, columns joined by '|', rows by ';', NULL as "NULL". */
static char *rows(const char *path, const char *q) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, q, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", q, sqlite3_errmsg(db));
  GString *s = g_string_new(NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (s->len) g_string_append_c(s, ';');
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      const char *v = (const char *)sqlite3_column_text(st, i);
      g_string_append_printf(s, "%s%s", i ? "|" : "", v ? v : "NULL");
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return g_string_free(s, FALSE);
}

static void assert_rows(const char *path, const char *q, const char *want) {
  char *got = rows(path, q);
  assert_string_equal(got, want);
  g_free(got);
}

/* A results file with one run per status of statuses (seed 10, 11, ...),
 * metric "m" = seed, and a table this build has never heard of. */
static void make_input(const char *path, const char *const *statuses, int n) {
  results *r = results_open(path, NULL);
  assert_non_null(r);
  results_table *t = results_table_new(r,
                                       "CREATE TABLE IF NOT EXISTS novel (id INTEGER PRIMARY KEY, run_id INTEGER"
                                       " NOT NULL, x TEXT); CREATE INDEX IF NOT EXISTS novel_x ON novel (x)",
                                       "INSERT INTO novel (run_id, x) VALUES (?, ?)");
  assert_non_null(t);
  for (int i = 0; i < n; i++) {
    int64_t id = results_run_begin(r, "test", "s.ini", "[run]", (uint64_t)(10 + i));
    assert_true(id > 0);
    assert_int_equal(results_metric(r, id, "m", 10 + i), CM_OK);
    for (int k = 0; k < 2; k++) {
      char x[32];
      snprintf(x, sizeof x, "r%d.%d", i, k);
      results_bind_int(t, 1, id);
      results_bind_text(t, 2, x);
      assert_int_equal(results_row(t), CM_OK);
    }
    if (strcmp(statuses[i], "running") != 0)
      assert_int_equal(results_run_end(r, id, statuses[i], 0.1, 5, 7), CM_OK);
  }
  assert_int_equal(results_close(r), CM_OK);
}

static int setup(void **state) {
  struct fx *f = g_new0(struct fx, 1);
  f->dir = g_dir_make_tmp("cm_merge_XXXXXX", NULL);
  assert_non_null(f->dir);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  struct fx *f = *state;
  GDir *d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = path_in(f, name);
    g_unlink(p);
    g_free(p);
  }
  if (d) g_dir_close(d);
  assert_int_equal(g_rmdir(f->dir), 0);
  g_free(f->dir);
  g_free(f);
  return 0;
}

static void test_inspect(void **state) {
  struct fx *f = *state;
  char *miss = path_in(f, "none.db"), *txt = path_in(f, "t.db"), *oth = path_in(f, "o.db"), *res = path_in(f, "r.db");
  struct merge_file_info fi;
  char *why = NULL;
  assert_int_equal(merge_file_inspect(miss, &fi, &why), CM_OK);
  assert_int_equal(fi.kind, MERGE_FILE_MISSING);
  assert_non_null(strstr(why, "no such file"));
  g_free(why);
  assert_true(g_file_set_contents(txt, "hello, this is text and not a database at all", -1, NULL));
  assert_int_equal(merge_file_inspect(txt, &fi, &why), CM_OK);
  assert_int_equal(fi.kind, MERGE_FILE_NOT_SQLITE);
  assert_non_null(strstr(why, "not an SQLite database"));
  assert_non_null(strstr(why, txt));
  g_free(why);
  sql(oth, "PRAGMA application_id = 42; CREATE TABLE runs (id INTEGER)");
  assert_int_equal(merge_file_inspect(oth, &fi, &why), CM_OK);
  assert_int_equal(fi.kind, MERGE_FILE_NOT_OURS);
  assert_non_null(strstr(why, "application_id 0x0000002a"));
  g_free(why);
  const char *st[] = {"complete", "failed", "running", "complete"};
  make_input(res, st, 4);
  assert_int_equal(merge_file_inspect(res, &fi, &why), CM_OK);
  assert_null(why);
  assert_int_equal(fi.kind, MERGE_FILE_RESULTS);
  assert_int_equal(fi.version, RESULTS_SCHEMA_VERSION);
  assert_int_equal(fi.runs, 4);
  assert_int_equal(fi.done, 2);
  assert_int_equal(fi.failed, 1);
  assert_int_equal(fi.unfinished, 1);
  assert_true(merge_status_finished("complete") && merge_status_finished("ok") && merge_status_finished("failed"));
  assert_false(merge_status_finished("running") || merge_status_finished("incomplete") || merge_status_finished(NULL));
  g_free(miss);
  g_free(txt);
  g_free(oth);
  g_free(res);
}

static void collect(void *arg, const char *msg) { g_string_append_printf(arg, "%s\n", msg); }

static void test_merge_two(void **state) {
  struct fx *f = *state;
  char *a = path_in(f, "a.db"), *b = path_in(f, "b.db"), *out = path_in(f, "out.db");
  const char *sa[] = {"complete", "running", "failed"}, *sb[] = {"complete"};
  make_input(a, sa, 3);
  make_input(b, sb, 1);
  sql(b, "CREATE TABLE loose (x INTEGER); INSERT INTO loose VALUES (1), (2);"
         "INSERT INTO novel (run_id, x) VALUES (99, 'orphan')");
  merge *m = NULL;
  char *err = NULL;
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  assert_int_equal(merge_version(m), RESULTS_SCHEMA_VERSION);
  struct merge_stats st = {0};
  GString *notes = g_string_new(NULL);
  assert_int_equal(merge_input_add(m, a, false, collect, notes, &st, &err), CM_OK);
  assert_int_equal(merge_input_add(m, b, false, collect, notes, &st, &err), CM_OK);
  assert_int_equal(merge_close(m), CM_OK);
  assert_int_equal(st.runs, 3);
  assert_int_equal(st.skipped, 1);
  assert_int_equal(st.tables_created, 1); /* novel; run_metrics is the build's own */
  /* 3 metrics, 2 novel rows per kept run, and the build's own per-run
   * tables (schema 3: run_params) carried like any other */
  char *extra = rows(a, "SELECT (SELECT count(*) FROM sqlite_master WHERE name = 'run_params')");
  int64_t params = 0;
  if (!strcmp(extra, "1")) {
    char *pa = rows(a, "SELECT count(*) FROM run_params WHERE run_id <> 2");
    char *pb = rows(b, "SELECT count(*) FROM run_params");
    params = g_ascii_strtoll(pa, NULL, 10) + g_ascii_strtoll(pb, NULL, 10);
    assert_true(params > 0);
    g_free(pa);
    g_free(pb);
    assert_rows(out, "SELECT group_concat(run_id || ':' || key || '=' || value, ',') FROM"
                     " (SELECT * FROM run_params WHERE key = 'run.seed' ORDER BY run_id)",
                "1:run.seed=10,2:run.seed=12,3:run.seed=10");
  }
  g_free(extra);
  assert_int_equal(st.rows, 3 + 6 + params);
  /* a's runs 1 and 3 -> 1 and 2; b's run 1 -> 3 */
  assert_rows(out, "SELECT id, seed, status FROM runs ORDER BY id", "1|10|complete;2|12|failed;3|10|complete");
  assert_rows(out, "SELECT run_id, name, value FROM run_metrics ORDER BY run_id", "1|m|10.0;2|m|12.0;3|m|10.0");
  assert_rows(out, "SELECT id, run_id, x FROM novel ORDER BY id",
              "1|1|r0.0;2|1|r0.1;3|2|r2.0;4|2|r2.1;5|3|r0.0;6|3|r0.1");
  assert_rows(out, "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'novel'", "novel_x");
  assert_rows(out, "SELECT count(*) FROM sqlite_master WHERE name = 'loose'", "0");
  assert_rows(out, "PRAGMA application_id", "1129138520");
  assert_non_null(strstr(notes->str, "a.db: run 2 skipped: status 'running', not finished"));
  assert_non_null(strstr(notes->str, "b.db: table loose (2 rows) has no run_id column: not merged"));
  assert_non_null(strstr(notes->str, "b.db: table novel: 1 rows whose run_id names no run of the file"));
  g_string_free(notes, TRUE);

  /* into the same output again, keeping the running run: ids go on from 4 */
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  struct merge_stats st2 = {0};
  assert_int_equal(merge_input_add(m, a, true, NULL, NULL, &st2, &err), CM_OK);
  assert_int_equal(merge_close(m), CM_OK);
  assert_int_equal(st2.runs, 3);
  assert_int_equal(st2.skipped, 0);
  assert_int_equal(st2.tables_created, 0);
  assert_rows(out, "SELECT group_concat(id || ':' || status) FROM runs WHERE id > 3", "4:complete,5:running,6:failed");
  assert_rows(out, "SELECT count(*) FROM novel WHERE run_id = 5", "2");

  /* an input whose novel table has a column the output's lacks (a newer
   * writer of the same schema version): the column is added, older rows NULL */
  char *c = path_in(f, "c.db");
  make_input(c, sb, 1);
  sql(c, "ALTER TABLE novel ADD COLUMN y REAL; UPDATE novel SET y = 1.5");
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  assert_int_equal(merge_input_add(m, c, false, NULL, NULL, &st2, &err), CM_OK);
  assert_int_equal(merge_close(m), CM_OK);
  assert_rows(out, "SELECT run_id, x, y FROM novel WHERE run_id IN (3, 7) ORDER BY id",
              "3|r0.0|NULL;3|r0.1|NULL;7|r0.0|1.5;7|r0.1|1.5");
  g_free(c);
  g_free(a);
  g_free(b);
  g_free(out);
}

static void test_refused_and_atomic(void **state) {
  struct fx *f = *state;
  char *a = path_in(f, "a.db"), *v = path_in(f, "v.db"), *out = path_in(f, "out.db"), *txt = path_in(f, "t.db");
  const char *s1[] = {"complete"};
  make_input(a, s1, 1);
  make_input(v, s1, 1);
  sql(v, "PRAGMA user_version = 77");
  merge *m = NULL;
  char *err = NULL;
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  struct merge_stats st = {0};
  assert_int_equal(merge_input_add(m, v, false, NULL, NULL, &st, &err), CM_EINVAL);
  assert_non_null(strstr(err, "schema version 77"));
  g_free(err);
  /* the output's novel table has a column the input cannot fill: the insert
   * fails after the runs went in, and the whole input is rolled back */
  assert_int_equal(merge_close(m), CM_OK);
  sql(out, "CREATE TABLE novel (id INTEGER PRIMARY KEY, run_id INTEGER, x TEXT, must TEXT NOT NULL)");
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  assert_int_equal(merge_input_add(m, a, false, NULL, NULL, &st, &err), CM_EDB);
  assert_non_null(strstr(err, "copying table novel"));
  g_free(err);
  assert_int_equal(merge_close(m), CM_OK);
  assert_int_equal(st.runs, 0);
  assert_rows(out, "SELECT (SELECT count(*) FROM runs), (SELECT count(*) FROM run_metrics), (SELECT count(*) FROM novel)",
              "0|0|0");
  /* a forged schema text with a second statement is not run on the output */
  char *fz = path_in(f, "forged.db");
  make_input(fz, s1, 1);
  sql(fz, "PRAGMA writable_schema = ON; UPDATE sqlite_master SET sql = sql || '; DROP TABLE runs'"
          " WHERE name = 'novel'; PRAGMA writable_schema = OFF");
  sql(out, "DROP TABLE novel");
  assert_int_equal(merge_open(out, &m, &err), CM_OK);
  assert_int_equal(merge_input_add(m, fz, false, NULL, NULL, &st, &err), CM_EDB);
  g_free(err);
  assert_int_equal(merge_close(m), CM_OK);
  assert_rows(out, "SELECT count(*) FROM sqlite_master WHERE name IN ('runs', 'novel')", "1");
  g_free(fz);
  /* an output of another version than this build's takes inputs of its own
   * version (a newer or older schema merges as it is) */
  char *o = path_in(f, "o.db");
  make_input(o, s1, 1);
  sql(o, "PRAGMA user_version = 77");
  assert_int_equal(merge_open(o, &m, &err), CM_OK);
  assert_int_equal(merge_version(m), 77);
  assert_int_equal(merge_input_add(m, v, false, NULL, NULL, &st, &err), CM_OK);
  assert_int_equal(merge_close(m), CM_OK);
  assert_rows(o, "SELECT group_concat(id) FROM runs", "1,2");
  assert_rows(o, "SELECT count(*) FROM novel", "4");
  g_free(o);
  /* an output that is not a results file is refused */
  assert_true(g_file_set_contents(txt, "plain text, no database here, really not one", -1, NULL));
  assert_int_equal(merge_open(txt, &m, &err), CM_EINVAL);
  assert_null(m);
  assert_non_null(strstr(err, "not a cloudmix results file"));
  g_free(err);
  g_free(a);
  g_free(v);
  g_free(out);
  g_free(txt);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_inspect, setup, teardown),
      cmocka_unit_test_setup_teardown(test_merge_two, setup, teardown),
      cmocka_unit_test_setup_teardown(test_refused_and_atomic, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
