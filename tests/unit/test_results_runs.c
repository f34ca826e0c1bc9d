/* Unit tests for the run bookkeeping of the results store: a run whose
 * process died is marked incomplete at the next open and a live one is not
 * (analysis/results_writer.c), run_params (analysis/results_params.c), and
 * the upgrade of a version-2 file (analysis/results_upgrade.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "results.h"

static int tmp_setup(void **state) {
  char *dir = g_dir_make_tmp("cm_results_runs_XXXXXX", NULL);
  *state = dir;
  return dir ? 0 : -1;
}

static int tmp_teardown(void **state) {
  char *dir = *state;
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
    g_free(p);
  }
  if (d) g_dir_close(d);
  int rc = g_rmdir(dir);
  g_free(dir);
  return rc;
}

static void db_exec(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  char *msg = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) fail_msg("%s: %s", sql, msg);
  sqlite3_close(db);
}

/* The first column of every row of sql, joined by ','. */
static char *db_rows(const char *path, const char *sql) {
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) fail_msg("%s: %s", sql, sqlite3_errmsg(db));
  GString *out = g_string_new(NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    const char *t = (const char *)sqlite3_column_text(st, 0);
    g_string_append_printf(out, "%s%s", out->len ? "," : "", t ? t : "NULL");
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return g_string_free(out, FALSE);
}

static void expect_rows(const char *path, const char *sql, const char *want) {
  char *got = db_rows(path, sql);
  assert_string_equal(got, want);
  g_free(got);
}

/* A child process that begins a run in path and then dies: by SIGKILL, or
 * (zombie) by _exit, left unreaped until the caller waits. */
static pid_t child_begins_and_dies(const char *path, bool zombie) {
  int fds[2];
  assert_int_equal(pipe(fds), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    close(fds[0]);
    results *r = results_open(path, NULL);
    int64_t id = r ? results_run_begin(r, "demo", NULL, NULL, 5) : -1;
    char ok = id > 0 ? 'y' : 'n';
    if (write(fds[1], &ok, 1) != 1) _exit(3);
    if (zombie) _exit(0);
    kill(getpid(), SIGKILL);
    _exit(4);
  }
  close(fds[1]);
  char ok = 0;
  assert_int_equal(read(fds[0], &ok, 1), 1);
  assert_int_equal(ok, 'y');
  close(fds[0]);
  return pid;
}

/* The run of a killed process becomes incomplete at the next open; the run
 * of a live process (this one) stays running, as do runs of other hosts,
 * of another pid namespace, and of writers without an identity. */
static void test_killed_run_incomplete(void **state) {
  char *path = g_build_filename(*state, "k.db", NULL);
  pid_t killed = child_begins_and_dies(path, false);
  int ws = 0;
  assert_int_equal(waitpid(killed, &ws, 0), killed);
  assert_true(WIFSIGNALED(ws) && WTERMSIG(ws) == SIGKILL);
  pid_t zombie = child_begins_and_dies(path, true); /* not reaped until below */
  g_usleep(100000);
  /* the second child's open was the next open after the kill */
  expect_rows(path, "SELECT id || ':' || status FROM runs", "1:incomplete,2:running");

  /* Rows as other writers would leave them. */
  char *self = db_rows(path, "SELECT writer_host || '|' || writer_start FROM runs WHERE id = 1");
  char **f = g_strsplit_set(self, "| ", -1); /* host, boot, pidns, ticks */
  assert_int_equal(g_strv_length(f), 4);
  char *sql = g_strdup_printf(
      "INSERT INTO runs (id, model, seed, version, started_at, status, writer_host, writer_pid, writer_start) VALUES"
      " (3, 'x', 1, 'v', 't', 'running', 'another-host', %d, '%s %s %s'),"  /* other host: cannot tell */
      " (4, 'x', 1, 'v', 't', 'running', '%s', %d, '%s %s 1'),"             /* our pid, another start: reused */
      " (5, 'x', 1, 'v', 't', 'running', '%s', %d, 'another-boot %s %s')," /* the host rebooted since */
      " (6, 'x', 1, 'v', 't', 'running', '%s', 1, '%s 123 1'),"             /* another pid namespace */
      " (7, 'x', 1, 'v', 't', 'running', NULL, NULL, NULL)",                 /* written before version 3 */
      (int)getpid(), f[1], f[2], f[3], f[0], (int)getpid(), f[1], f[2], f[0], (int)getpid(), f[2], f[3], f[0], f[1]);
  db_exec(path, sql);
  g_free(sql);
  g_strfreev(f);
  g_free(self);

  results *r = results_open(path, NULL); /* the next open */
  assert_non_null(r);
  const int64_t *marked = NULL;
  assert_int_equal(results_marked_incomplete(r, &marked), 3);
  assert_int_equal(marked[0], 2);
  assert_int_equal(marked[1], 4);
  assert_int_equal(marked[2], 5);
  int64_t live = results_run_begin(r, "demo", NULL, NULL, 1);
  assert_int_equal(live, 8);
  results *again = results_open(path, NULL); /* run 8's process (this one) is alive */
  assert_non_null(again);
  assert_int_equal(results_marked_incomplete(again, NULL), 0);
  assert_int_equal(results_close(again), CM_OK);
  expect_rows(path, "SELECT id || ':' || status FROM runs",
              "1:incomplete,2:incomplete,3:running,4:incomplete,5:incomplete,6:running,7:running,8:running");
  char *want = g_strdup_printf("%s|%d", g_get_host_name(), (int)getpid());
  expect_rows(path, "SELECT writer_host || '|' || writer_pid FROM runs WHERE id = 8", want);
  g_free(want);
  assert_int_equal(results_run_end(r, live, "complete", 0.1, 1, 1), CM_OK);
  assert_int_equal(results_close(r), CM_OK);
  expect_rows(path, "SELECT status FROM runs WHERE id = 8", "complete");
  assert_int_equal(waitpid(zombie, &ws, 0), zombie);
  g_free(path);
}

/* Every key of the effective text as group.key, the effective seed and the
 * mode; each run its own rows; bad text writes nothing. */
static void test_run_params(void **state) {
  char *path = g_build_filename(*state, "p.db", NULL);
  results *r = results_open(path, NULL);
  assert_non_null(r);
  const char *text = "[run]\nmodel = cloudless\nseed = 5\n\n[cloudless]\npolicy = cost\n\n"
                     "[provider.aws]\nlatency_ms = 12.5\n";
  int64_t a = results_run_begin(r, "cloudless", "s.ini", text, 9);
  int64_t b = results_run_begin(r, "cloudless", "s.ini", text, UINT64_MAX);
  assert_int_equal(a, 1);
  assert_int_equal(b, 2);
  assert_int_equal(results_run_real(r, b, "[profile]\n"), CM_OK);
  assert_int_equal(results_run_begin(r, "demo", NULL, "no group = 1\n", 1), CM_EPARSE);
  assert_non_null(strstr(results_errmsg(r), "run 3"));
  assert_int_equal(results_close(r), CM_OK);
  expect_rows(path, "SELECT key || '=' || value FROM run_params WHERE run_id = 1",
              "cloudless.policy=cost,provider.aws.latency_ms=12.5,run.mode=sim,run.model=cloudless,run.seed=9");
  expect_rows(path, "SELECT key || '=' || value FROM run_params WHERE run_id = 2 AND key LIKE 'run.%'",
              "run.mode=real,run.model=cloudless,run.seed=18446744073709551615");
  expect_rows(path, "SELECT count(*) FROM runs", "2"); /* the refused run left no row */
  expect_rows(path, "SELECT count(*) FROM run_params WHERE run_id NOT IN (1, 2)", "0");
  g_free(path);
}

/* A version-2 file: ok becomes complete, running stays running (no
 * writer known), run_params are filled from the stored text, and the
 * instants in REAL seconds become INTEGER nanoseconds, rows in order. */
static void test_upgrade_v2(void **state) {
  char *path = g_build_filename(*state, "v2.db", NULL);
  db_exec(path,
          "CREATE TABLE runs (id INTEGER PRIMARY KEY, model TEXT NOT NULL, scenario_path TEXT, scenario_text TEXT,"
          " seed INTEGER NOT NULL, version TEXT NOT NULL, started_at TEXT NOT NULL, wall_seconds REAL,"
          " events INTEGER, sim_end_ns INTEGER, status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed')),"
          " mode TEXT NOT NULL DEFAULT 'sim' CHECK (mode IN ('sim', 'real')), profile_text TEXT);"
          "CREATE TABLE run_metrics (run_id INTEGER NOT NULL REFERENCES runs(id), name TEXT NOT NULL, value REAL,"
          " PRIMARY KEY (run_id, name)) WITHOUT ROWID;"
          "CREATE TABLE cloudless_series (run_id INTEGER NOT NULL, t_s REAL NOT NULL, provider TEXT NOT NULL,"
          " completed INTEGER NOT NULL, failed INTEGER NOT NULL, throughput_per_s REAL NOT NULL,"
          " mean_latency_s REAL);"
          "CREATE TABLE cloudless_workflow(run_id INTEGER, plan TEXT, at_s REAL, planner TEXT);"
          "INSERT INTO runs VALUES (1, 'cloudless', 's.ini', '[cloudless]\npolicy = loi\n', 3, 'v', 't', 1, 2, 3,"
          " 'ok', 'sim', NULL), (2, 'demo', NULL, NULL, 4, 'v', 't', NULL, NULL, NULL, 'running', 'real', NULL),"
          " (3, 'demo', NULL, NULL, 5, 'v', 't', 1, 2, 3, 'failed', 'sim', NULL);"
          "INSERT INTO run_metrics VALUES (1, 'calls', 10);"
          "INSERT INTO cloudless_series VALUES (1, 2.5, 'b', 1, 0, 1, 0.1), (1, 0.000000001, 'a', 1, 0, 1, 0.1),"
          " (1, 1e-10, 'a', 0, 0, 0, NULL);"
          "INSERT INTO cloudless_workflow VALUES (1, 'all', 12.25, 'exact'), (1, 'all', NULL, 'csp');"
          "PRAGMA application_id = 1129138520; PRAGMA user_version = 2;");
  results *r = results_open(path, NULL);
  assert_non_null(r);
  assert_int_equal(results_close(r), CM_OK);
  expect_rows(path, "PRAGMA user_version", "3");
  expect_rows(path, "SELECT id || ':' || status || ':' || coalesce(writer_pid, 'NULL') FROM runs",
              "1:complete:NULL,2:running:NULL,3:failed:NULL");
  expect_rows(path, "SELECT run_id || ':' || key || '=' || value FROM run_params",
              "1:cloudless.policy=loi,1:run.mode=sim,1:run.seed=3,2:run.mode=real,2:run.seed=4,3:run.mode=sim,"
              "3:run.seed=5");
  expect_rows(path, "SELECT t_ns || ':' || typeof(t_ns) || ':' || provider FROM cloudless_series",
              "2500000000:integer:b,1:integer:a,0:integer:a");
  expect_rows(path, "SELECT coalesce(at_ns, 'NULL') || ':' || planner FROM cloudless_workflow",
              "12250000000:exact,NULL:csp");
  expect_rows(path, "SELECT count(*) FROM run_metrics", "1");
  expect_rows(path, "SELECT count(*) FROM sqlite_master WHERE name LIKE '%__v%'", "0");
  /* the upgraded file takes new runs as a new one does */
  r = results_open(path, NULL);
  assert_int_equal(results_run_begin(r, "demo", NULL, NULL, 1), 4);
  assert_int_equal(results_close(r), CM_OK);
  g_free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_killed_run_incomplete, tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(test_run_params, tmp_setup, tmp_teardown),
      cmocka_unit_test_setup_teardown(test_upgrade_v2, tmp_setup, tmp_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
