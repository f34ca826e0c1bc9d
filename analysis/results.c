/* The SQLite results store: open/close with schema checks, batched WAL
 * transactions, and the runs and run_metrics tables (model tables are in
 * results_table.c). */
#include "results_impl.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

const char results__runs_columns[] =
    "\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  model TEXT NOT NULL,\n"
    "  scenario_path TEXT,\n"
    "  scenario_text TEXT,\n"
    "  seed INTEGER NOT NULL,\n"
    "  version TEXT NOT NULL,\n"
    "  started_at TEXT NOT NULL,\n"
    "  wall_seconds REAL,\n"
    "  events INTEGER,\n"
    "  sim_end_ns INTEGER,\n"
    "  status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed', 'incomplete')),\n"
    "  mode TEXT NOT NULL DEFAULT 'sim' CHECK (mode IN ('sim', 'real')),\n"
    "  profile_text TEXT,\n"
    "  writer_host TEXT,\n"
    "  writer_pid INTEGER,\n"
    "  writer_start TEXT\n";

static const char metrics_schema[] =
    "CREATE TABLE run_metrics (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  name TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (run_id, name)\n"
    ") WITHOUT ROWID;\n";

void results__err_set(results *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_free(r->errmsg);
  r->errmsg = msg;
}

int results__err_db(results *r, const char *what) {
  results__err_set(r, "%s: %s", what, sqlite3_errmsg(r->db));
  return CM_EDB;
}

int results__exec(results *r, const char *sql, const char *what) {
  if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return results__err_db(r, what ? what : sql);
  return CM_OK;
}

/* Run a one-row query whose first column is an integer. */
static int query_int(results *r, const char *sql, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    results__err_db(r, sql);
    sqlite3_finalize(st);
    return CM_EDB;
  }
  *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return CM_OK;
}

static int prepare_stmt(results *r, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                         NULL) != SQLITE_OK)
    return results__err_db(r, sql);
  return CM_OK;
}

int results__txn_begin(results *r) {
  if (!sqlite3_get_autocommit(r->db)) return CM_OK;
  int rc = sqlite3_step(r->begin);
  sqlite3_reset(r->begin);
  if (rc != SQLITE_DONE) return results__err_db(r, "begin transaction");
  return CM_OK; /* pending counts writes since the last commit, buffered ones included */
}

/* Commit the open transaction, if any. */
static int txn_commit(results *r) {
  int frc = results__flush_tables(r);
  if (sqlite3_get_autocommit(r->db)) {
    r->pending = 0;
    return frc;
  }
  int rc = sqlite3_step(r->commit);
  sqlite3_reset(r->commit);
  if (rc != SQLITE_DONE) return results__err_db(r, "commit");
  r->pending = 0;
  return frc;
}

int results__txn_count(results *r) {
  if (++r->pending >= RESULTS_BATCH_ROWS) return txn_commit(r);
  return CM_OK;
}

/* Finalize everything and close the connection; returns 0 or CM_EDB. */
static int store_free(results *r) {
  int rc = CM_OK;
  g_ptr_array_free(r->tables, TRUE);
  sqlite3_finalize(r->begin);
  sqlite3_finalize(r->commit);
  sqlite3_finalize(r->run_ins);
  sqlite3_finalize(r->run_upd);
  sqlite3_finalize(r->metric);
  if (r->db && sqlite3_close(r->db) != SQLITE_OK) rc = CM_EDB;
  g_free(r->errmsg);
  g_free(r->path);
  results__writer_clear(&r->self);
  g_array_free(r->marked, TRUE);
  g_free(r);
  return rc;
}

/* Fail results_open: set *err to a message naming the file, free r. */
static results *open_fail(results *r, char **err, const char *fmt,
                                  ...) __attribute__((format(printf, 3, 4)));
static results *open_fail(results *r, char **err, const char *fmt,
                                  ...) {
  if (err) {
    va_list ap;
    va_start(ap, fmt);
    char *why = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    *err = g_strdup_printf("results file '%s': %s", r->path, why);
    g_free(why);
  }
  if (r->db && !sqlite3_get_autocommit(r->db))
    sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
  store_free(r);
  return NULL;
}

/* The reason for the last failure during open, for the message. */
static const char *open_why(results *r) {
  if (sqlite3_errcode(r->db) == SQLITE_NOTADB)
    return "not an SQLite database";
  return r->errmsg ? r->errmsg : sqlite3_errmsg(r->db);
}

/* Inside the open transaction: create the schema in an empty file, accept
 * our current schema, reject anything else. Returns NULL or a reason. */
static char *schema_check(results *r, int *db_failed) {
  int64_t app = 0, ver = 0, objects = 0;
  *db_failed = 1;
  if (query_int(r, "PRAGMA application_id", &app) < 0 ||
      query_int(r, "PRAGMA user_version", &ver) < 0 ||
      query_int(r, "SELECT count(*) FROM sqlite_master", &objects) < 0)
    return NULL;
  *db_failed = 0;
  if (app == 0 && ver == 0 && objects == 0) {
    char *sql = g_strdup_printf("CREATE TABLE runs (%s);\n%s%s"
                                "PRAGMA application_id = %d;\n"
                                "PRAGMA user_version = %d;\n",
                                results__runs_columns, metrics_schema,
                                results__params_schema, RESULTS_APPLICATION_ID,
                                RESULTS_SCHEMA_VERSION);
    int rc = results__exec(r, sql, "create schema");
    g_free(sql);
    *db_failed = rc < 0;
    return NULL;
  }
  if (app != RESULTS_APPLICATION_ID && app != 0)
    return g_strdup_printf("an SQLite database of another application "
                           "(application_id 0x%08x)", (unsigned)app);
  if (ver == RESULTS_SCHEMA_VERSION && app == RESULTS_APPLICATION_ID)
    return NULL;
  if (ver >= 1 && ver < RESULTS_SCHEMA_VERSION && app == RESULTS_APPLICATION_ID) {
    int rc = results__upgrade(r, ver);
    *db_failed = rc == CM_EDB;
    if (rc < 0 && rc != CM_EDB) return g_strdup(r->errmsg);
    return NULL;
  }
  if (ver == 0 || app == 0)
    return g_strdup("an SQLite database not written by cloudmix "
                    "(no cloudmix schema version)");
  return g_strdup_printf("unknown schema version %lld (this build handles "
                         "version %d)", (long long)ver,
                         RESULTS_SCHEMA_VERSION);
}

/* Inside the open transaction: each `running` row whose writer is gone
 * (this host, and no such process, or another process with its pid, or an
 * earlier boot) becomes `incomplete`. Returns 0 or CM_EDB. */
static int mark_incomplete(results *r) {
  sqlite3_stmt *st = NULL, *up = NULL;
  int rc = CM_OK, s;
  if (sqlite3_prepare_v2(r->db, "SELECT id, writer_host, writer_pid, writer_start FROM runs WHERE status = 'running'"
                         " ORDER BY id", -1, &st, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2(r->db, "UPDATE runs SET status = 'incomplete' WHERE id = ?", -1, &up, NULL) != SQLITE_OK) {
    rc = results__err_db(r, "find unfinished runs");
    goto out;
  }
  while (rc == CM_OK && (s = sqlite3_step(st)) == SQLITE_ROW) {
    if (results__writer_state(&r->self, (const char *)sqlite3_column_text(st, 1), sqlite3_column_int64(st, 2),
                              (const char *)sqlite3_column_text(st, 3)) != RESULTS_WRITER_GONE)
      continue;
    int64_t id = sqlite3_column_int64(st, 0);
    sqlite3_bind_int64(up, 1, id);
    if (sqlite3_step(up) != SQLITE_DONE) rc = results__err_db(r, "mark a run incomplete");
    else g_array_append_val(r->marked, id);
    sqlite3_reset(up);
  }
  if (rc == CM_OK && s != SQLITE_DONE) rc = results__err_db(r, "find unfinished runs");
out:
  sqlite3_finalize(st);
  sqlite3_finalize(up);
  return rc;
}

results *results_open(const char *path, char **err) {
  if (err) *err = NULL;
  if (!path || !*path) {
    if (err) *err = g_strdup("results file '': no file name given");
    return NULL;
  }
  results *r = g_new0(results, 1);
  r->path = g_strdup(path);
  r->tables = g_ptr_array_new_with_free_func(results__table_free);
  results__writer_self(&r->self);
  r->marked = g_array_new(FALSE, FALSE, sizeof(int64_t));
  if (sqlite3_open_v2(path, &r->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK)
    return open_fail(r, err, "cannot open: %s",
                             r->db ? sqlite3_errmsg(r->db) : "out of memory");
  sqlite3_busy_timeout(r->db, RESULTS_BUSY_TIMEOUT_MS);

  /* Check (and, for a new file, create) the schema under a write lock,
   * before any setting touches a file that may not be ours. */
  /* foreign keys off (whatever the build's default) while an upgrade
   * rebuilds runs; switched on below */
  if (results__exec(r, "PRAGMA foreign_keys = OFF", NULL) < 0 ||
      results__exec(r, "BEGIN IMMEDIATE", NULL) < 0)
    return open_fail(r, err, "%s", open_why(r));
  int db_failed = 0;
  char *why = schema_check(r, &db_failed);
  if (why) {
    results *ret = open_fail(r, err, "%s", why);
    g_free(why);
    return ret;
  }
  if (db_failed || mark_incomplete(r) < 0 || results__exec(r, "COMMIT", NULL) < 0)
    return open_fail(r, err, "%s", open_why(r));

  /* WAL is persistent in the file; synchronous and foreign_keys are per
   * connection. In-memory databases keep their own journal mode. */
  if (results__exec(r, "PRAGMA journal_mode = WAL", NULL) < 0 ||
      results__exec(r, "PRAGMA synchronous = NORMAL", NULL) < 0 ||
      results__exec(r, "PRAGMA foreign_keys = ON", NULL) < 0)
    return open_fail(r, err, "%s", open_why(r));

  if (prepare_stmt(r, "BEGIN IMMEDIATE", &r->begin) < 0 ||
      prepare_stmt(r, "COMMIT", &r->commit) < 0 ||
      prepare_stmt(r,
                      "INSERT INTO runs (model, scenario_path, scenario_text,"
                      " seed, version, started_at, status, writer_host,"
                      " writer_pid, writer_start) VALUES (?, ?, ?, ?, ?,"
                      " strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running', ?,"
                      " ?, ?)",
                      &r->run_ins) < 0 ||
      prepare_stmt(r,
                      "UPDATE runs SET status = ?, wall_seconds = ?,"
                      " events = ?, sim_end_ns = ? WHERE id = ?",
                      &r->run_upd) < 0 ||
      prepare_stmt(r,
                      "INSERT INTO run_metrics (run_id, name, value)"
                      " VALUES (?, ?, ?) ON CONFLICT (run_id, name)"
                      " DO UPDATE SET value = excluded.value",
                      &r->metric) < 0)
    return open_fail(r, err, "%s", open_why(r));
  return r;
}

int results_close(results *r) {
  if (!r) return CM_OK;
  int rc = txn_commit(r);
  if (rc < 0) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
  if (store_free(r) < 0) rc = CM_EDB;
  return rc;
}

size_t results_marked_incomplete(const results *r, const int64_t **ids) {
  if (ids) *ids = r && r->marked->len ? (const int64_t *)(void *)r->marked->data : NULL;
  return r ? r->marked->len : 0;
}

const char *results_errmsg(results *r) {
  if (!r) return "no results store";
  return r->errmsg ? r->errmsg : "not an error";
}

int64_t results_run_begin(results *r, const char *model,
                          const char *scenario_path, const char *scenario_text,
                          uint64_t seed) {
  if (!r) return CM_EINVAL;
  if (!model) {
    results__err_set(r, "run_begin: model is NULL");
    return CM_EINVAL;
  }
  if (results__txn_begin(r) < 0) return CM_EDB;
  if (results__exec(r, "SAVEPOINT run_begin", NULL) < 0) return CM_EDB;
  sqlite3_stmt *st = r->run_ins;
  sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, scenario_path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, scenario_text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)seed);
  sqlite3_bind_text(st, 5, cm_version, -1, SQLITE_STATIC);
  sqlite3_bind_text(st, 6, r->self.host, -1, SQLITE_STATIC);
  sqlite3_bind_int64(st, 7, r->self.pid);
  sqlite3_bind_text(st, 8, r->self.start, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int64_t id = CM_EDB;
  if (rc == SQLITE_DONE) {
    id = sqlite3_last_insert_rowid(r->db);
    int prc = results__params_write(r, id, scenario_text, seed, "sim");
    if (prc < 0) id = prc;
  } else {
    results__err_db(r, "insert run");
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (id < 0) /* neither the run nor a part of its parameters */
    sqlite3_exec(r->db, "ROLLBACK TO run_begin", NULL, NULL, NULL);
  sqlite3_exec(r->db, "RELEASE run_begin", NULL, NULL, NULL);
  if (id < 0) return id;
  if (txn_commit(r) < 0) return CM_EDB;
  return id;
}

int results_run_real(results *r, int64_t run_id, const char *profile_text) {
  if (!r) return CM_EINVAL;
  if (results__txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = NULL;
  int rc = CM_OK;
  if (sqlite3_prepare_v2(r->db, "UPDATE runs SET mode = 'real', profile_text = ? WHERE id = ?", -1, &st, NULL) !=
      SQLITE_OK) {
    rc = results__err_db(r, "set run mode");
  } else {
    sqlite3_bind_text(st, 1, profile_text, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(st, 2, run_id);
    if (sqlite3_step(st) != SQLITE_DONE) rc = results__err_db(r, "set run mode");
    else if (sqlite3_changes(r->db) == 0) {
      results__err_set(r, "run_real: no run with id %lld", (long long)run_id);
      rc = CM_ENOENT;
    } else {
      rc = results__params_mode(r, run_id, "real");
    }
  }
  sqlite3_finalize(st);
  if (txn_commit(r) < 0) return CM_EDB;
  return rc;
}

int results_run_end(results *r, int64_t run_id, const char *status,
                    double wall_seconds, uint64_t events, int64_t sim_end_ns) {
  if (!r) return CM_EINVAL;
  if (!status || (strcmp(status, "complete") != 0 && strcmp(status, "failed") != 0)) {
    results__err_set(r, "run_end: status must be \"complete\" or \"failed\", not "
                    "\"%s\"", status ? status : "(null)");
    return CM_EINVAL;
  }
  if (events > (uint64_t)INT64_MAX) {
    results__err_set(r, "run_end: event count %llu out of range",
                    (unsigned long long)events);
    return CM_ERANGE;
  }
  if (results__txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = r->run_upd;
  sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 2, wall_seconds);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)events);
  sqlite3_bind_int64(st, 4, sim_end_ns);
  sqlite3_bind_int64(st, 5, run_id);
  int rc = CM_OK;
  if (sqlite3_step(st) != SQLITE_DONE) {
    rc = results__err_db(r, "update run");
  } else if (sqlite3_changes(r->db) == 0) {
    results__err_set(r, "run_end: no run with id %lld", (long long)run_id);
    rc = CM_ENOENT;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  /* Commit the rows of the run even if the update itself failed. */
  if (txn_commit(r) < 0) return CM_EDB;
  return rc;
}

int results_metric(results *r, int64_t run_id, const char *name,
                   double value) {
  if (!r) return CM_EINVAL;
  if (!name) {
    results__err_set(r, "metric: name is NULL");
    return CM_EINVAL;
  }
  if (results__txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = r->metric;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  if (isnan(value))
    sqlite3_bind_null(st, 3);
  else
    sqlite3_bind_double(st, 3, value);
  int rc = CM_OK;
  if (sqlite3_step(st) != SQLITE_DONE) rc = results__err_db(r, "metric");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == CM_OK) rc = results__txn_count(r);
  return rc;
}

int results_flush(results *r) {
  if (!r) return CM_EINVAL;
  return txn_commit(r);
}
