/* The SQLite results store: schema checks on open, the runs and run_metrics
 * tables, model tables, and batched WAL transactions around all writes. */
#include "results.h"

#include <glib.h>
#include <math.h>
#include <stdbool.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <string.h>

static int results_flush_tables(results *r);

struct results {
  sqlite3 *db;
  char *path;
  char *errmsg;            /* last error, g_malloc'd; NULL if none */
  sqlite3_stmt *begin;     /* BEGIN IMMEDIATE */
  sqlite3_stmt *commit;    /* COMMIT */
  sqlite3_stmt *run_ins;   /* INSERT INTO runs */
  sqlite3_stmt *run_upd;   /* UPDATE runs at run end */
  sqlite3_stmt *metric;    /* upsert into run_metrics */
  GPtrArray *tables;       /* results_table *, owned */
  unsigned pending;        /* writes in the open transaction */
  uint64_t rows_written;
};

/* A bound value waiting in a table's row buffer. */
struct cell {
  int type; /* SQLITE_INTEGER, SQLITE_FLOAT, SQLITE_TEXT or SQLITE_NULL */
  union {
    int64_t i;
    double d;
    size_t off; /* of the text in the table's arena */
  } v;
};

/* Rows are buffered and written RESULTS_MULTI_ROWS at a time by one
 * multi-row INSERT (measured 1.7x the rows/s of one INSERT per row); a
 * partial buffer, or a batch that fails, goes through the one-row INSERT. */
struct results_table {
  results *r;
  sqlite3_stmt *ins;   /* one row */
  sqlite3_stmt *multi; /* RESULTS_MULTI_ROWS rows; NULL if insert_sql has no plain VALUES (...) */
  int ncols;
  struct cell *cells;  /* RESULTS_MULTI_ROWS x ncols */
  GString *text;       /* arena for buffered text values */
  int nrows;           /* buffered rows */
  int bind_rc;         /* first bind failure since the last row, SQLITE_OK if none */
  int bind_col;
};

static const char schema_sql[] =
    "CREATE TABLE runs (\n"
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
    "  status TEXT NOT NULL CHECK (status IN ('running', 'ok', 'failed'))\n"
    ");\n"
    "CREATE TABLE run_metrics (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  name TEXT NOT NULL,\n"
    "  value REAL,\n"
    "  PRIMARY KEY (run_id, name)\n"
    ") WITHOUT ROWID;\n";

/* Replace r's error text with a formatted message. */
static void results_err_set(results *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void results_err_set(results *r, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  g_free(r->errmsg);
  r->errmsg = msg;
}

/* Record SQLite's current error on r, prefixed by what failed. */
static int results_err_db(results *r, const char *what) {
  results_err_set(r, "%s: %s", what, sqlite3_errmsg(r->db));
  return CM_EDB;
}

/* Run sql (one or more statements); on failure the error names what. */
static int results_exec(results *r, const char *sql, const char *what) {
  if (sqlite3_exec(r->db, sql, NULL, NULL, NULL) != SQLITE_OK)
    return results_err_db(r, what ? what : sql);
  return CM_OK;
}

/* Run a one-row query whose first column is an integer. */
static int results_query_int(results *r, const char *sql, int64_t *out) {
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(r->db, sql, -1, &st, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    results_err_db(r, sql);
    sqlite3_finalize(st);
    return CM_EDB;
  }
  *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return CM_OK;
}

static int results_prepare(results *r, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v3(r->db, sql, -1, SQLITE_PREPARE_PERSISTENT, st,
                         NULL) != SQLITE_OK)
    return results_err_db(r, sql);
  return CM_OK;
}

/* Open a write transaction unless one is open. */
static int results_txn_begin(results *r) {
  if (!sqlite3_get_autocommit(r->db)) return CM_OK;
  int rc = sqlite3_step(r->begin);
  sqlite3_reset(r->begin);
  if (rc != SQLITE_DONE) return results_err_db(r, "begin transaction");
  return CM_OK; /* pending counts writes since the last commit, buffered ones included */
}

/* Commit the open transaction, if any. */
static int results_txn_commit(results *r) {
  int frc = results_flush_tables(r);
  if (sqlite3_get_autocommit(r->db)) {
    r->pending = 0;
    return frc;
  }
  int rc = sqlite3_step(r->commit);
  sqlite3_reset(r->commit);
  if (rc != SQLITE_DONE) return results_err_db(r, "commit");
  r->pending = 0;
  return frc;
}

/* Count one write; commit when the batch is full. */
static int results_txn_count(results *r) {
  if (++r->pending >= RESULTS_BATCH_ROWS) return results_txn_commit(r);
  return CM_OK;
}

static void results_table_free(gpointer p) {
  results_table *t = p;
  sqlite3_finalize(t->ins);
  sqlite3_finalize(t->multi);
  g_free(t->cells);
  g_string_free(t->text, TRUE);
  g_free(t);
}

/* Finalize everything and close the connection; returns 0 or CM_EDB. */
static int results_free(results *r) {
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
  g_free(r);
  return rc;
}

/* Fail results_open: set *err to a message naming the file, free r. */
static results *results_open_fail(results *r, char **err, const char *fmt,
                                  ...) __attribute__((format(printf, 3, 4)));
static results *results_open_fail(results *r, char **err, const char *fmt,
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
  results_free(r);
  return NULL;
}

/* The reason for the last failure during open, for the message. */
static const char *results_open_why(results *r) {
  if (sqlite3_errcode(r->db) == SQLITE_NOTADB)
    return "not an SQLite database";
  return r->errmsg ? r->errmsg : sqlite3_errmsg(r->db);
}

/* Inside the open transaction: create the schema in an empty file, accept
 * our current schema, reject anything else. Returns NULL or a reason. */
static char *results_schema_check(results *r, int *db_failed) {
  int64_t app = 0, ver = 0, objects = 0;
  *db_failed = 1;
  if (results_query_int(r, "PRAGMA application_id", &app) < 0 ||
      results_query_int(r, "PRAGMA user_version", &ver) < 0 ||
      results_query_int(r, "SELECT count(*) FROM sqlite_master", &objects) < 0)
    return NULL;
  *db_failed = 0;
  if (app == 0 && ver == 0 && objects == 0) {
    char *sql = g_strdup_printf("%sPRAGMA application_id = %d;\n"
                                "PRAGMA user_version = %d;\n",
                                schema_sql, RESULTS_APPLICATION_ID,
                                RESULTS_SCHEMA_VERSION);
    int rc = results_exec(r, sql, "create schema");
    g_free(sql);
    *db_failed = rc < 0;
    return NULL;
  }
  if (app != RESULTS_APPLICATION_ID && app != 0)
    return g_strdup_printf("an SQLite database of another application "
                           "(application_id 0x%08x)", (unsigned)app);
  if (ver == RESULTS_SCHEMA_VERSION && app == RESULTS_APPLICATION_ID)
    return NULL;
  if (ver == 0 || app == 0)
    return g_strdup("an SQLite database not written by cloudmix "
                    "(no cloudmix schema version)");
  return g_strdup_printf("unknown schema version %lld (this build handles "
                         "version %d)", (long long)ver,
                         RESULTS_SCHEMA_VERSION);
}

results *results_open(const char *path, char **err) {
  if (err) *err = NULL;
  if (!path || !*path) {
    if (err) *err = g_strdup("results file '': no file name given");
    return NULL;
  }
  results *r = g_new0(results, 1);
  r->path = g_strdup(path);
  r->tables = g_ptr_array_new_with_free_func(results_table_free);
  if (sqlite3_open_v2(path, &r->db,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK)
    return results_open_fail(r, err, "cannot open: %s",
                             r->db ? sqlite3_errmsg(r->db) : "out of memory");
  sqlite3_busy_timeout(r->db, RESULTS_BUSY_TIMEOUT_MS);

  /* Check (and, for a new file, create) the schema under a write lock,
   * before any setting touches a file that may not be ours. */
  if (results_exec(r, "BEGIN IMMEDIATE", NULL) < 0)
    return results_open_fail(r, err, "%s", results_open_why(r));
  int db_failed = 0;
  char *why = results_schema_check(r, &db_failed);
  if (why) {
    results *ret = results_open_fail(r, err, "%s", why);
    g_free(why);
    return ret;
  }
  if (db_failed || results_exec(r, "COMMIT", NULL) < 0)
    return results_open_fail(r, err, "%s", results_open_why(r));

  /* WAL is persistent in the file; synchronous and foreign_keys are per
   * connection. In-memory databases keep their own journal mode. */
  if (results_exec(r, "PRAGMA journal_mode = WAL", NULL) < 0 ||
      results_exec(r, "PRAGMA synchronous = NORMAL", NULL) < 0 ||
      results_exec(r, "PRAGMA foreign_keys = ON", NULL) < 0)
    return results_open_fail(r, err, "%s", results_open_why(r));

  if (results_prepare(r, "BEGIN IMMEDIATE", &r->begin) < 0 ||
      results_prepare(r, "COMMIT", &r->commit) < 0 ||
      results_prepare(r,
                      "INSERT INTO runs (model, scenario_path, scenario_text,"
                      " seed, version, started_at, status) VALUES (?, ?, ?, ?,"
                      " ?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'running')",
                      &r->run_ins) < 0 ||
      results_prepare(r,
                      "UPDATE runs SET status = ?, wall_seconds = ?,"
                      " events = ?, sim_end_ns = ? WHERE id = ?",
                      &r->run_upd) < 0 ||
      results_prepare(r,
                      "INSERT INTO run_metrics (run_id, name, value)"
                      " VALUES (?, ?, ?) ON CONFLICT (run_id, name)"
                      " DO UPDATE SET value = excluded.value",
                      &r->metric) < 0)
    return results_open_fail(r, err, "%s", results_open_why(r));
  return r;
}

int results_close(results *r) {
  if (!r) return CM_OK;
  int rc = results_txn_commit(r);
  if (rc < 0) sqlite3_exec(r->db, "ROLLBACK", NULL, NULL, NULL);
  if (results_free(r) < 0) rc = CM_EDB;
  return rc;
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
    results_err_set(r, "run_begin: model is NULL");
    return CM_EINVAL;
  }
  if (results_txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = r->run_ins;
  sqlite3_bind_text(st, 1, model, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 2, scenario_path, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, scenario_text, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 4, (sqlite3_int64)seed);
  sqlite3_bind_text(st, 5, cm_version, -1, SQLITE_STATIC);
  int rc = sqlite3_step(st);
  int64_t id = CM_EDB;
  if (rc == SQLITE_DONE)
    id = sqlite3_last_insert_rowid(r->db);
  else
    results_err_db(r, "insert run");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (results_txn_commit(r) < 0) return CM_EDB;
  return id;
}

int results_run_end(results *r, int64_t run_id, const char *status,
                    double wall_seconds, uint64_t events, int64_t sim_end_ns) {
  if (!r) return CM_EINVAL;
  if (!status || (strcmp(status, "ok") != 0 && strcmp(status, "failed") != 0)) {
    results_err_set(r, "run_end: status must be \"ok\" or \"failed\", not "
                    "\"%s\"", status ? status : "(null)");
    return CM_EINVAL;
  }
  if (events > (uint64_t)INT64_MAX) {
    results_err_set(r, "run_end: event count %llu out of range",
                    (unsigned long long)events);
    return CM_ERANGE;
  }
  if (results_txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = r->run_upd;
  sqlite3_bind_text(st, 1, status, -1, SQLITE_STATIC);
  sqlite3_bind_double(st, 2, wall_seconds);
  sqlite3_bind_int64(st, 3, (sqlite3_int64)events);
  sqlite3_bind_int64(st, 4, sim_end_ns);
  sqlite3_bind_int64(st, 5, run_id);
  int rc = CM_OK;
  if (sqlite3_step(st) != SQLITE_DONE) {
    rc = results_err_db(r, "update run");
  } else if (sqlite3_changes(r->db) == 0) {
    results_err_set(r, "run_end: no run with id %lld", (long long)run_id);
    rc = CM_ENOENT;
  }
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  /* Commit the rows of the run even if the update itself failed. */
  if (results_txn_commit(r) < 0) return CM_EDB;
  return rc;
}

int results_metric(results *r, int64_t run_id, const char *name,
                   double value) {
  if (!r) return CM_EINVAL;
  if (!name) {
    results_err_set(r, "metric: name is NULL");
    return CM_EINVAL;
  }
  if (results_txn_begin(r) < 0) return CM_EDB;
  sqlite3_stmt *st = r->metric;
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, name, -1, SQLITE_TRANSIENT);
  if (isnan(value))
    sqlite3_bind_null(st, 3);
  else
    sqlite3_bind_double(st, 3, value);
  int rc = CM_OK;
  if (sqlite3_step(st) != SQLITE_DONE) rc = results_err_db(r, "metric");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  if (rc == CM_OK) rc = results_txn_count(r);
  return rc;
}

/* The multi-row form of a one-row "INSERT ... VALUES (?, ...)": the same
 * statement with the parenthesised group repeated RESULTS_MULTI_ROWS times.
 * NULL (and rows go one at a time) for any other shape of INSERT. */
static sqlite3_stmt *results_multi_prepare(results *r, const char *sql, int ncols) {
  if (ncols <= 0 || ncols * RESULTS_MULTI_ROWS > sqlite3_limit(r->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1))
    return NULL;
  char *up = g_ascii_strup(sql, -1);
  char *values = g_strrstr(up, "VALUES");
  const char *group = values ? sql + (values - up) + 6 : NULL;
  g_free(up);
  if (!group) return NULL;
  while (g_ascii_isspace(*group)) group++;
  size_t glen = strlen(group);
  while (glen && (g_ascii_isspace(group[glen - 1]) || group[glen - 1] == ';')) glen--;
  if (glen < 3 || group[0] != '(' || group[glen - 1] != ')') return NULL;
  for (size_t i = 1; i + 1 < glen; i++)
    if (!strchr("?, \t\n", group[i])) return NULL; /* plain ? placeholders only */
  GString *m = g_string_new_len(sql, group - sql);
  for (int k = 0; k < RESULTS_MULTI_ROWS; k++) {
    if (k) g_string_append_c(m, ',');
    g_string_append_len(m, group, (gssize)glen);
  }
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v3(r->db, m->str, -1, SQLITE_PREPARE_PERSISTENT, &st, NULL) != SQLITE_OK ||
      sqlite3_bind_parameter_count(st) != ncols * RESULTS_MULTI_ROWS) {
    sqlite3_finalize(st);
    st = NULL;
  }
  g_string_free(m, TRUE);
  return st;
}

results_table *results_table_new(results *r, const char *create_sql,
                                 const char *insert_sql) {
  if (!r) return NULL;
  if (!create_sql || !insert_sql) {
    results_err_set(r, "table_new: SQL is NULL");
    return NULL;
  }
  if (results_exec(r, create_sql, "table_new: create_sql") < 0)
    return NULL;
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  if (sqlite3_prepare_v3(r->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT,
                         &st, &tail) != SQLITE_OK) {
    results_err_db(r, insert_sql);
    return NULL;
  }
  while (tail && g_ascii_isspace(*tail)) tail++;
  if (!st || (tail && *tail) || sqlite3_stmt_readonly(st)) {
    results_err_set(r, "table_new: insert_sql must be one INSERT: %s",
                    insert_sql);
    sqlite3_finalize(st);
    return NULL;
  }
  results_table *t = g_new0(results_table, 1);
  t->r = r;
  t->ins = st;
  t->ncols = sqlite3_bind_parameter_count(st);
  t->cells = g_new0(struct cell, (size_t)RESULTS_MULTI_ROWS * (t->ncols ? t->ncols : 1));
  t->text = g_string_new(NULL);
  t->bind_rc = SQLITE_OK;
  t->multi = results_multi_prepare(r, insert_sql, t->ncols);
  g_ptr_array_add(r->tables, t);
  return t;
}

/* The cell for parameter col of the row being bound; NULL if col is out of
 * range (reported by the next results_row). */
static struct cell *results_cell(results_table *t, int col) {
  if (!t) return NULL;
  if (col < 1 || col > t->ncols) {
    if (t->bind_rc == SQLITE_OK) {
      t->bind_rc = SQLITE_RANGE;
      t->bind_col = col;
    }
    return NULL;
  }
  return &t->cells[(size_t)t->nrows * (size_t)t->ncols + (size_t)(col - 1)];
}

void results_bind_int(results_table *t, int col, int64_t v) {
  struct cell *c = results_cell(t, col);
  if (c) *c = (struct cell){.type = SQLITE_INTEGER, .v.i = v};
}

void results_bind_double(results_table *t, int col, double v) {
  struct cell *c = results_cell(t, col);
  if (c) *c = (struct cell){.type = SQLITE_FLOAT, .v.d = v};
}

void results_bind_text(results_table *t, int col, const char *v) {
  struct cell *c = results_cell(t, col);
  if (!c) return;
  if (!v) {
    *c = (struct cell){.type = SQLITE_NULL};
    return;
  }
  *c = (struct cell){.type = SQLITE_TEXT, .v.off = t->text->len};
  g_string_append_len(t->text, v, (gssize)strlen(v) + 1); /* with its NUL */
}

void results_bind_null(results_table *t, int col) {
  struct cell *c = results_cell(t, col);
  if (c) *c = (struct cell){.type = SQLITE_NULL};
}

/* Bind buffered row `row` to parameters base+1 .. base+ncols of st. */
static int results_bind_row(results_table *t, sqlite3_stmt *st, int row, int base) {
  const struct cell *c = &t->cells[(size_t)row * (size_t)t->ncols];
  for (int i = 0; i < t->ncols; i++) {
    int rc, p = base + i + 1;
    switch (c[i].type) {
    case SQLITE_INTEGER: rc = sqlite3_bind_int64(st, p, c[i].v.i); break;
    case SQLITE_FLOAT: rc = sqlite3_bind_double(st, p, c[i].v.d); break;
    case SQLITE_TEXT: rc = sqlite3_bind_text(st, p, t->text->str + c[i].v.off, -1, SQLITE_STATIC); break;
    default: rc = sqlite3_bind_null(st, p); break;
    }
    if (rc != SQLITE_OK) return rc;
  }
  return SQLITE_OK;
}

/* Run st once; 0 or the SQLite error code. */
static int results_step(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Write t's buffered rows: all at once when the buffer is full, else (and
 * when the multi-row INSERT fails, so that one bad row loses no other) one
 * by one. Every row ends written or counted out of rows_written with its
 * error kept in errmsg. Returns 0 or CM_EDB. */
static int results_flush_table(results_table *t) {
  results *r = t->r;
  int rc = CM_OK;
  if (t->nrows == 0) return CM_OK;
  if (results_txn_begin(r) < 0) {
    rc = CM_EDB;
    r->rows_written -= (uint64_t)t->nrows;
  } else {
    bool done = false;
    if (t->multi && t->nrows == RESULTS_MULTI_ROWS) {
      int brc = SQLITE_OK;
      for (int k = 0; k < t->nrows && brc == SQLITE_OK; k++) brc = results_bind_row(t, t->multi, k, k * t->ncols);
      done = brc == SQLITE_OK && results_step(t->multi) == SQLITE_OK;
    }
    for (int k = 0; k < t->nrows && !done; k++) {
      if (results_bind_row(t, t->ins, k, 0) != SQLITE_OK || results_step(t->ins) != SQLITE_OK) {
        rc = results_err_db(r, sqlite3_sql(t->ins));
        r->rows_written--;
      }
    }
  }
  t->nrows = 0;
  g_string_truncate(t->text, 0);
  return rc;
}

static int results_flush_tables(results *r) {
  int rc = CM_OK;
  for (guint i = 0; i < r->tables->len; i++)
    if (results_flush_table(g_ptr_array_index(r->tables, i)) != CM_OK) rc = CM_EDB;
  return rc;
}

int results_flush(results *r) {
  if (!r) return CM_EINVAL;
  return results_txn_commit(r);
}

int results_row(results_table *t) {
  if (!t) return CM_EINVAL;
  results *r = t->r;
  if (t->bind_rc != SQLITE_OK) {
    results_err_set(r, "bind column %d: %s", t->bind_col, sqlite3_errstr(t->bind_rc));
    t->bind_rc = SQLITE_OK;
    memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0, (size_t)t->ncols * sizeof(struct cell));
    return CM_EDB;
  }
  r->rows_written++;
  int rc = CM_OK;
  if (++t->nrows == RESULTS_MULTI_ROWS) rc = results_flush_table(t);
  /* unbound parameters of the next row are NULL (cells of type 0) */
  memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0, (size_t)t->ncols * sizeof(struct cell));
  int crc = results_txn_count(r);
  return rc != CM_OK ? rc : crc;
}

uint64_t results_rows_written(const results *r) {
  return r ? r->rows_written : 0;
}
