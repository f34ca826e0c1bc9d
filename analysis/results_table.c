/* Model output tables of the results store: statement preparation (one-row
 * and multi-row INSERT), the bind calls, and the row buffer and its flush. */
#include "results_impl.h"

#include <math.h>
#include <stdbool.h>
#include <string.h>

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

void results__table_free(gpointer p) {
  results_table *t = p;
  sqlite3_finalize(t->ins);
  sqlite3_finalize(t->multi);
  g_free(t->cells);
  g_string_free(t->text, TRUE);
  g_free(t);
}

/* The multi-row form of a one-row "INSERT ... VALUES (?, ...)": the same
 * statement with the parenthesised group repeated RESULTS_MULTI_ROWS times.
 * NULL (and rows go one at a time) for any other shape of INSERT. */
static sqlite3_stmt *multi_prepare(results *r, const char *sql, int ncols) {
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

int results_table_add_columns(results *r, const char *table, const char *const *columns) {
  if (!r || !table || !columns) return CM_EINVAL;
  char *q = sqlite3_mprintf("SELECT name FROM pragma_table_info(%Q)", table);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(r->db, q, -1, &st, NULL);
  sqlite3_free(q);
  if (rc != SQLITE_OK) {
    results__err_db(r, "add_columns: table_info");
    return CM_EDB;
  }
  GHashTable *have = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_hash_table_add(have, g_strdup((const char *)sqlite3_column_text(st, 0)));
  sqlite3_finalize(st);
  int out = rc == SQLITE_DONE ? CM_OK : CM_EDB;
  if (out != CM_OK) results__err_db(r, "add_columns: table_info");
  for (const char *const *c = columns; out == CM_OK && g_hash_table_size(have) && *c; c++) {
    char *name = g_strndup(*c, strcspn(*c, " "));
    if (!g_hash_table_contains(have, name)) {
      char *sql = sqlite3_mprintf("ALTER TABLE \"%w\" ADD COLUMN %s", table, *c);
      if (results__exec(r, sql, "add_columns") < 0) out = CM_EDB;
      sqlite3_free(sql);
    }
    g_free(name);
  }
  g_hash_table_destroy(have);
  return out;
}

results_table *results_table_new(results *r, const char *create_sql,
                                 const char *insert_sql) {
  if (!r) return NULL;
  if (!create_sql || !insert_sql) {
    results__err_set(r, "table_new: SQL is NULL");
    return NULL;
  }
  if (results__exec(r, create_sql, "table_new: create_sql") < 0)
    return NULL;
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  if (sqlite3_prepare_v3(r->db, insert_sql, -1, SQLITE_PREPARE_PERSISTENT,
                         &st, &tail) != SQLITE_OK) {
    results__err_db(r, insert_sql);
    return NULL;
  }
  while (tail && g_ascii_isspace(*tail)) tail++;
  if (!st || (tail && *tail) || sqlite3_stmt_readonly(st)) {
    results__err_set(r, "table_new: insert_sql must be one INSERT: %s",
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
  t->multi = multi_prepare(r, insert_sql, t->ncols);
  g_ptr_array_add(r->tables, t);
  return t;
}

/* The cell for parameter col of the row being bound; NULL if col is out of
 * range (reported by the next results_row). */
static struct cell *cell_at(results_table *t, int col) {
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
  struct cell *c = cell_at(t, col);
  if (c) *c = (struct cell){.type = SQLITE_INTEGER, .v.i = v};
}

void results_bind_double(results_table *t, int col, double v) {
  struct cell *c = cell_at(t, col);
  if (c) *c = isnan(v) ? (struct cell){.type = SQLITE_NULL} : (struct cell){.type = SQLITE_FLOAT, .v.d = v};
}

void results_bind_text(results_table *t, int col, const char *v) {
  struct cell *c = cell_at(t, col);
  if (!c) return;
  if (!v) {
    *c = (struct cell){.type = SQLITE_NULL};
    return;
  }
  *c = (struct cell){.type = SQLITE_TEXT, .v.off = t->text->len};
  g_string_append_len(t->text, v, (gssize)strlen(v) + 1); /* with its NUL */
}

void results_bind_null(results_table *t, int col) {
  struct cell *c = cell_at(t, col);
  if (c) *c = (struct cell){.type = SQLITE_NULL};
}

/* Bind buffered row `row` to parameters base+1 .. base+ncols of st. */
static int bind_row(results_table *t, sqlite3_stmt *st, int row, int base) {
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
static int step_reset(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Write t's buffered rows: all at once when the buffer is full, else (and
 * when the multi-row INSERT fails, so that one bad row loses no other) one
 * by one. Every row ends written or counted out of rows_written with its
 * error kept in errmsg. Returns 0 or CM_EDB. */
static int flush_table(results_table *t) {
  results *r = t->r;
  int rc = CM_OK;
  if (t->nrows == 0) return CM_OK;
  if (results__txn_begin(r) < 0) {
    rc = CM_EDB;
    r->rows_written -= (uint64_t)t->nrows;
  } else {
    bool done = false;
    if (t->multi && t->nrows == RESULTS_MULTI_ROWS) {
      int brc = SQLITE_OK;
      for (int k = 0; k < t->nrows && brc == SQLITE_OK; k++) brc = bind_row(t, t->multi, k, k * t->ncols);
      done = brc == SQLITE_OK && step_reset(t->multi) == SQLITE_OK;
    }
    for (int k = 0; k < t->nrows && !done; k++) {
      if (bind_row(t, t->ins, k, 0) != SQLITE_OK || step_reset(t->ins) != SQLITE_OK) {
        rc = results__err_db(r, sqlite3_sql(t->ins));
        r->rows_written--;
      }
    }
  }
  t->nrows = 0;
  g_string_truncate(t->text, 0);
  /* the next row starts unbound (NULLs), also when another table's batch or
   * a commit flushed this one between two rows */
  memset(t->cells, 0, (size_t)t->ncols * sizeof(struct cell));
  return rc;
}

int results__flush_tables(results *r) {
  int rc = CM_OK;
  for (guint i = 0; i < r->tables->len; i++)
    if (flush_table(g_ptr_array_index(r->tables, i)) != CM_OK) rc = CM_EDB;
  return rc;
}

int results_row(results_table *t) {
  if (!t) return CM_EINVAL;
  results *r = t->r;
  if (t->bind_rc != SQLITE_OK) {
    results__err_set(r, "bind column %d: %s", t->bind_col, sqlite3_errstr(t->bind_rc));
    t->bind_rc = SQLITE_OK;
    memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0, (size_t)t->ncols * sizeof(struct cell));
    return CM_EDB;
  }
  r->rows_written++;
  int rc = CM_OK;
  if (++t->nrows == RESULTS_MULTI_ROWS) rc = flush_table(t);
  /* unbound parameters of the next row are NULL (cells of type 0) */
  memset(&t->cells[(size_t)t->nrows * (size_t)t->ncols], 0, (size_t)t->ncols * sizeof(struct cell));
  int crc = results__txn_count(r);
  return rc != CM_OK ? rc : crc;
}

uint64_t results_rows_written(const results *r) {
  return r ? r->rows_written : 0;
}
