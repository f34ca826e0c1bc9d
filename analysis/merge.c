/* Merging results files (see merge.h): the input is attached to
 * the output's connection, its runs get new ids through a temporary map
 * (old id -> new id), and each table with a run_id column is copied by one
 * INSERT ... SELECT joined on that map, all inside one transaction per
 * input. Columns are read from the input's PRAGMA table_info, so tables
 * and columns unknown to this build are carried over as they are. */
#include "merge.h"

#include <stdarg.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>

#include "results.h"

struct merge {
  sqlite3 *db;
  char *path;
  int64_t version;
};

bool merge_status_finished(const char *status) {
  return status && (!strcmp(status, "complete") || !strcmp(status, "ok") || !strcmp(status, "failed"));
}

static int64_t one_int(sqlite3 *db, const char *sql, int *rc) {
  sqlite3_stmt *st = NULL;
  int64_t v = 0;
  *rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);
  if (*rc == SQLITE_OK) *rc = sqlite3_step(st);
  if (*rc == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
    *rc = SQLITE_OK;
  }
  sqlite3_finalize(st);
  return v;
}

int merge_file_inspect(const char *path, struct merge_file_info *info, char **why) {
  if (why) *why = NULL;
  if (!path || !info) return CM_EINVAL;
  memset(info, 0, sizeof *info);
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    info->kind = MERGE_FILE_MISSING;
    if (why) *why = g_strdup_printf("%s: no such file", path);
    return CM_OK;
  }
  sqlite3 *db = NULL;
  /* read-write, though nothing here writes: a read-only connection to a WAL
   * file would leave its -shm file behind */
  int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL);
  int64_t app = 0;
  if (rc == SQLITE_OK) app = one_int(db, "PRAGMA application_id", &rc);
  if (rc == SQLITE_OK) info->version = one_int(db, "PRAGMA user_version", &rc);
  if (rc != SQLITE_OK) {
    info->kind = MERGE_FILE_NOT_SQLITE;
    if (why) *why = g_strdup_printf("%s: not a cloudmix results file (not an SQLite database: %s)", path,
                                    db ? sqlite3_errmsg(db) : "cannot open");
    sqlite3_close(db);
    return CM_OK;
  }
  info->kind = MERGE_FILE_NOT_OURS;
  if (app != RESULTS_APPLICATION_ID) {
    if (why)
      *why = g_strdup_printf("%s: not a cloudmix results file (SQLite application_id 0x%08x, expected 0x%08x)",
                             path, (unsigned)app, (unsigned)RESULTS_APPLICATION_ID);
    sqlite3_close(db);
    return CM_OK;
  }
  sqlite3_stmt *st = NULL;
  rc = sqlite3_prepare_v2(db,
                          "SELECT count(*), coalesce(sum(status IN ('complete', 'ok')), 0),"
                          " coalesce(sum(status = 'failed'), 0) FROM runs",
                          -1, &st, NULL);
  if (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    info->kind = MERGE_FILE_RESULTS;
    info->runs = sqlite3_column_int64(st, 0);
    info->done = sqlite3_column_int64(st, 1);
    info->failed = sqlite3_column_int64(st, 2);
    info->unfinished = info->runs - info->done - info->failed;
  } else if (why) {
    *why = g_strdup_printf("%s: not a cloudmix results file (application_id CMIX but no readable runs table: %s)",
                           path, sqlite3_errmsg(db));
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return CM_OK;
}

int merge_open(const char *out_path, merge **m, char **err) {
  *m = NULL;
  *err = NULL;
  struct merge_file_info fi;
  char *why = NULL;
  merge_file_inspect(out_path, &fi, &why);
  bool fresh = fi.kind == MERGE_FILE_MISSING;
  if (fi.kind == MERGE_FILE_NOT_OURS && g_file_test(out_path, G_FILE_TEST_IS_REGULAR)) {
    GStatBuf sb; /* an empty file is a fresh output, anything else of another kind is refused */
    if (g_stat(out_path, &sb) == 0 && sb.st_size == 0) fresh = true;
  }
  if (!fresh && fi.kind != MERGE_FILE_RESULTS) {
    *err = why;
    return CM_EINVAL;
  }
  g_free(why);
  if (fresh) { /* the store makes a fresh file of this build's schema */
    results *r = results_open(out_path, err);
    if (!r) return CM_EINVAL;
    if (results_close(r) != 0) {
      *err = g_strdup_printf("%s: cannot create the results file", out_path);
      return CM_EDB;
    }
    fi.version = RESULTS_SCHEMA_VERSION;
  }
  merge *x = g_new0(merge, 1);
  x->path = g_strdup(out_path);
  x->version = fi.version;
  if (sqlite3_open_v2(out_path, &x->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_URI, NULL) != SQLITE_OK) {
    *err = g_strdup_printf("%s: cannot open: %s", out_path, x->db ? sqlite3_errmsg(x->db) : "out of memory");
    merge_close(x);
    return CM_EDB;
  }
  sqlite3_busy_timeout(x->db, RESULTS_BUSY_TIMEOUT_MS);
  *m = x;
  return CM_OK;
}

int64_t merge_version(const merge *m) { return m ? m->version : 0; }

int merge_close(merge *m) {
  if (!m) return CM_OK;
  int rc = sqlite3_close(m->db) == SQLITE_OK ? CM_OK : CM_EDB;
  g_free(m->path);
  g_free(m);
  return rc;
}

/* "file:PATH" with PATH percent-encoded, for ATTACH (read-write, though
 * nothing here writes to it: read-only would leave a WAL file's -shm). */
static char *uri_of(const char *path) {
  GString *s = g_string_new("file:");
  for (const unsigned char *p = (const unsigned char *)path; *p; p++)
    if (g_ascii_isalnum(*p) || strchr("-._~/", *p)) g_string_append_c(s, (char)*p);
    else g_string_append_printf(s, "%%%02X", *p);
  return g_string_free(s, FALSE);
}

/* A table's columns (schema "src" or "main"): names, declared types, and
 * which is a rowid alias (a lone INTEGER PRIMARY KEY of a rowid table). */
struct cols {
  GPtrArray *name, *type;
  int alias; /* index of the rowid alias, or -1 */
  int run_id; /* index of run_id, or -1 */
};

static void cols_free(struct cols *c) {
  if (c->name) g_ptr_array_free(c->name, TRUE);
  if (c->type) g_ptr_array_free(c->type, TRUE);
  c->name = c->type = NULL;
}

static int cols_read(sqlite3 *db, const char *schema, const char *table, bool rowid_table, struct cols *c) {
  c->name = g_ptr_array_new_with_free_func(g_free);
  c->type = g_ptr_array_new_with_free_func(g_free);
  c->alias = c->run_id = -1;
  char *sql = sqlite3_mprintf("PRAGMA \"%w\".table_info(\"%w\")", schema, table);
  sqlite3_stmt *st = NULL;
  int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL), pks = 0, pk_at = -1;
  sqlite3_free(sql);
  while (rc == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
    const char *n = (const char *)sqlite3_column_text(st, 1), *t = (const char *)sqlite3_column_text(st, 2);
    if (!strcmp(n, "run_id")) c->run_id = (int)c->name->len;
    if (sqlite3_column_int(st, 5) > 0) {
      pks++;
      if (t && !g_ascii_strcasecmp(t, "INTEGER")) pk_at = (int)c->name->len;
    }
    g_ptr_array_add(c->name, g_strdup(n));
    g_ptr_array_add(c->type, g_strdup(t ? t : ""));
  }
  sqlite3_finalize(st);
  if (rowid_table && pks == 1 && pk_at >= 0 && pk_at != c->run_id) c->alias = pk_at;
  return rc == SQLITE_OK ? CM_OK : CM_EDB;
}

static int cols_find(const struct cols *c, const char *name) {
  for (guint i = 0; i < c->name->len; i++)
    if (!strcmp(g_ptr_array_index(c->name, i), name)) return (int)i;
  return -1;
}

/* The per-input work, inside the transaction; *err set on failure. */
struct job {
  merge *m;
  const char *in;
  bool include_unfinished;
  merge_note_fn note;
  void *arg;
  struct merge_stats st;
  char *err;
};

static int fail_db(struct job *j, const char *what) {
  if (!j->err) j->err = g_strdup_printf("%s: %s: %s", j->in, what, sqlite3_errmsg(j->m->db));
  return CM_EDB;
}

static void note(struct job *j, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void note(struct job *j, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (j->note) j->note(j->arg, msg);
  g_free(msg);
}

static int exec(struct job *j, const char *sql, const char *what) {
  return sqlite3_exec(j->m->db, sql, NULL, NULL, NULL) == SQLITE_OK ? CM_OK : fail_db(j, what);
}

/* Run one CREATE TABLE / CREATE [UNIQUE] INDEX statement taken from the
 * input's schema, and nothing else: a forged schema text with a second
 * statement after the first is refused, not run against the output. */
static int exec_create(struct job *j, const char *sql, const char *what) {
  sqlite3_stmt *st = NULL;
  const char *tail = NULL;
  bool create = sql && (g_str_has_prefix(sql, "CREATE TABLE") || g_str_has_prefix(sql, "CREATE INDEX") ||
                        g_str_has_prefix(sql, "CREATE UNIQUE INDEX"));
  if (!create || sqlite3_prepare_v2(j->m->db, sql, -1, &st, &tail) != SQLITE_OK) {
    sqlite3_finalize(st);
    return create ? fail_db(j, what) : (j->err = g_strdup_printf("%s: %s: not a CREATE TABLE or CREATE INDEX statement", j->in, what), CM_EDB);
  }
  while (tail && (g_ascii_isspace(*tail) || *tail == ';')) tail++;
  int rc = CM_OK;
  if (tail && *tail) {
    j->err = g_strdup_printf("%s: %s: the schema holds more than one statement", j->in, what);
    rc = CM_EDB;
  } else if (sqlite3_step(st) != SQLITE_DONE) {
    rc = fail_db(j, what);
  }
  sqlite3_finalize(st);
  return rc;
}

/* Fill temp.merge_idmap with the runs kept, new ids after main's largest. */
static int map_runs(struct job *j) {
  sqlite3 *db = j->m->db;
  int rc = 0;
  int64_t next = one_int(db, "SELECT coalesce(max(id), 0) FROM main.runs", &rc) + 1;
  if (rc != SQLITE_OK) return fail_db(j, "reading the output's runs");
  if (exec(j, "CREATE TEMP TABLE IF NOT EXISTS merge_idmap (old INTEGER PRIMARY KEY, new INTEGER NOT NULL);"
              "DELETE FROM temp.merge_idmap", "the run id map") < 0)
    return CM_EDB;
  sqlite3_stmt *sel = NULL, *ins = NULL;
  rc = sqlite3_prepare_v2(db, "SELECT id, status FROM src.runs ORDER BY id", -1, &sel, NULL);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, "INSERT INTO temp.merge_idmap VALUES (?, ?)", -1, &ins, NULL);
  while (rc == SQLITE_OK && (rc = sqlite3_step(sel)) == SQLITE_ROW) {
    rc = SQLITE_OK;
    int64_t id = sqlite3_column_int64(sel, 0);
    const char *status = (const char *)sqlite3_column_text(sel, 1);
    if (!merge_status_finished(status) && !j->include_unfinished) {
      note(j, "%s: run %lld skipped: status '%s', not finished (--include-unfinished keeps it)", j->in,
           (long long)id, status ? status : "NULL");
      j->st.skipped++;
      continue;
    }
    sqlite3_bind_int64(ins, 1, id);
    sqlite3_bind_int64(ins, 2, next++);
    if (sqlite3_step(ins) != SQLITE_DONE) rc = SQLITE_ERROR;
    sqlite3_reset(ins);
    j->st.runs++;
  }
  sqlite3_finalize(sel);
  sqlite3_finalize(ins);
  return rc == SQLITE_DONE ? CM_OK : fail_db(j, "mapping run ids");
}

/* Make main.table take every column of src's (missing ones added; an older
 * output lacks columns its writer added later). */
static int columns_match(struct job *j, const char *table, const struct cols *src) {
  struct cols dst = {0};
  int rc = cols_read(j->m->db, "main", table, false, &dst);
  for (guint i = 0; rc == CM_OK && i < src->name->len; i++) {
    const char *n = g_ptr_array_index(src->name, i);
    if (cols_find(&dst, n) >= 0) continue;
    const char *type = g_ptr_array_index(src->type, i);
    for (const char *p = type; *p; p++) /* a declared type is words and (n, m); anything else is left out */
      if (!g_ascii_isalnum(*p) && !strchr(" (),_", *p)) type = "";
    char *sql = sqlite3_mprintf("ALTER TABLE main.\"%w\" ADD COLUMN \"%w\" %s", table, n, type);
    char *what = g_strdup_printf("adding column %s to table %s of the output", n, table);
    rc = exec(j, sql, what);
    sqlite3_free(sql);
    g_free(what);
  }
  if (rc != CM_OK && !j->err) fail_db(j, "reading a table's columns");
  cols_free(&dst);
  return rc;
}

/* Copy table's rows of the kept runs; for runs, the runs themselves. */
static int copy_table(struct job *j, const char *table, const char *create_sql) {
  sqlite3 *db = j->m->db;
  bool is_runs = !strcmp(table, "runs");
  bool rowid_table = !create_sql || !strstr(create_sql, "WITHOUT ROWID");
  struct cols c = {0};
  int rc = cols_read(db, "src", table, rowid_table, &c);
  if (rc != CM_OK) {
    cols_free(&c);
    return fail_db(j, "reading a table's columns");
  }
  int key = is_runs ? cols_find(&c, "id") : c.run_id;
  if (key < 0) {
    char *sql = sqlite3_mprintf("SELECT count(*) FROM src.\"%w\"", table);
    int64_t n = one_int(db, sql, &rc);
    sqlite3_free(sql);
    if (n > 0)
      note(j, "%s: table %s (%lld rows) has no run_id column: not merged", j->in, table, (long long)n);
    cols_free(&c);
    return CM_OK;
  }
  if (is_runs) c.alias = -1; /* runs.id is the key itself, mapped below */
  char *exists_sql = sqlite3_mprintf("SELECT count(*) FROM main.sqlite_master WHERE type = 'table' AND name = '%q'",
                                     table);
  int64_t exists = one_int(db, exists_sql, &rc);
  sqlite3_free(exists_sql);
  if (rc == SQLITE_OK && !exists) { /* a table the output has not seen: its CREATE, then its indexes */
    rc = exec_create(j, create_sql, "creating a table in the output");
    char *isql = sqlite3_mprintf("SELECT sql FROM src.sqlite_master WHERE type = 'index' AND tbl_name = '%q'"
                                 " AND sql IS NOT NULL", table);
    sqlite3_stmt *st = NULL;
    if (rc == CM_OK && sqlite3_prepare_v2(db, isql, -1, &st, NULL) != SQLITE_OK) rc = fail_db(j, "reading indexes");
    GPtrArray *idx = g_ptr_array_new_with_free_func(g_free);
    while (rc == CM_OK && sqlite3_step(st) == SQLITE_ROW) g_ptr_array_add(idx, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    sqlite3_free(isql);
    for (guint i = 0; rc == CM_OK && i < idx->len; i++) rc = exec_create(j, g_ptr_array_index(idx, i), "creating an index");
    g_ptr_array_free(idx, TRUE);
    if (rc == CM_OK) j->st.tables_created++;
  } else if (rc == SQLITE_OK) {
    rc = columns_match(j, table, &c);
  } else {
    rc = fail_db(j, "reading the output's tables");
  }
  GString *into = g_string_new(NULL), *from = g_string_new(NULL);
  for (guint i = 0; rc == CM_OK && i < c.name->len; i++) {
    if ((int)i == c.alias) continue; /* a fresh rowid in the output */
    char *q = sqlite3_mprintf("\"%w\"", (const char *)g_ptr_array_index(c.name, i));
    g_string_append_printf(into, "%s%s", into->len ? ", " : "", q);
    g_string_append_printf(from, "%s%s%s", from->len ? ", " : "", (int)i == key ? "m.new" : "t.", (int)i == key ? "" : q);
    sqlite3_free(q);
  }
  if (rc == CM_OK) {
    char *sql = sqlite3_mprintf("INSERT INTO main.\"%w\" (%s) SELECT %s FROM src.\"%w\" t JOIN temp.merge_idmap m"
                                " ON m.old = t.\"%w\"%s",
                                table, into->str, from->str, table, (const char *)g_ptr_array_index(c.name, key),
                                rowid_table ? " ORDER BY t.rowid" : "");
    char *what = g_strdup_printf("copying table %s", table);
    rc = exec(j, sql, what);
    sqlite3_free(sql);
    g_free(what);
    if (rc == CM_OK && !is_runs) j->st.rows += sqlite3_changes(db);
  }
  if (rc == CM_OK && !is_runs) { /* rows of no run at all are named, never dropped unseen */
    char *sql = sqlite3_mprintf("SELECT count(*) FROM src.\"%w\" t WHERE t.run_id IS NULL OR t.run_id NOT IN"
                                " (SELECT id FROM src.runs)", table);
    int src_rc = 0;
    int64_t orphans = one_int(db, sql, &src_rc);
    sqlite3_free(sql);
    if (src_rc != SQLITE_OK) rc = fail_db(j, "counting rows of no run");
    else if (orphans > 0)
      note(j, "%s: table %s: %lld rows whose run_id names no run of the file: not merged", j->in, table,
           (long long)orphans);
  }
  g_string_free(into, TRUE);
  g_string_free(from, TRUE);
  cols_free(&c);
  return rc;
}

static int merge_tables(struct job *j) {
  sqlite3 *db = j->m->db;
  int rc = 0;
  int64_t ver = one_int(db, "PRAGMA src.user_version", &rc);
  if (rc != SQLITE_OK) return fail_db(j, "reading the schema version");
  if (ver != j->m->version) {
    j->err = g_strdup_printf("%s: schema version %lld; the output %s has version %lld", j->in, (long long)ver,
                             j->m->path, (long long)j->m->version);
    return CM_EINVAL;
  }
  if (map_runs(j) < 0 || copy_table(j, "runs", NULL) < 0) return CM_EDB;
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, "SELECT name, sql FROM src.sqlite_master WHERE type = 'table' AND name <> 'runs'"
                             " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name", -1, &st, NULL) != SQLITE_OK)
    return fail_db(j, "listing tables");
  GPtrArray *tabs = g_ptr_array_new_with_free_func(g_free);
  while (sqlite3_step(st) == SQLITE_ROW) {
    g_ptr_array_add(tabs, g_strdup((const char *)sqlite3_column_text(st, 0)));
    g_ptr_array_add(tabs, g_strdup((const char *)sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  rc = CM_OK;
  for (guint i = 0; rc == CM_OK && i < tabs->len; i += 2)
    rc = copy_table(j, g_ptr_array_index(tabs, i), g_ptr_array_index(tabs, i + 1));
  g_ptr_array_free(tabs, TRUE);
  return rc;
}

int merge_input_add(merge *m, const char *in_path, bool include_unfinished, merge_note_fn note_fn, void *arg,
                    struct merge_stats *stats, char **err) {
  *err = NULL;
  if (!m || !in_path) return CM_EINVAL;
  struct job j = {.m = m, .in = in_path, .include_unfinished = include_unfinished, .note = note_fn, .arg = arg};
  char *uri = uri_of(in_path);
  sqlite3_stmt *at = NULL;
  int rc = sqlite3_prepare_v2(m->db, "ATTACH DATABASE ? AS src", -1, &at, NULL);
  if (rc == SQLITE_OK) {
    sqlite3_bind_text(at, 1, uri, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(at) == SQLITE_DONE ? SQLITE_OK : SQLITE_ERROR;
  }
  sqlite3_finalize(at);
  g_free(uri);
  if (rc != SQLITE_OK) {
    *err = g_strdup_printf("%s: cannot attach: %s", in_path, sqlite3_errmsg(m->db));
    return CM_EDB;
  }
  int out = exec(&j, "BEGIN IMMEDIATE", "starting the transaction");
  if (out == CM_OK) out = merge_tables(&j);
  if (out == CM_OK) out = exec(&j, "COMMIT", "committing");
  if (out != CM_OK) sqlite3_exec(m->db, "ROLLBACK", NULL, NULL, NULL);
  sqlite3_exec(m->db, "DETACH DATABASE src", NULL, NULL, NULL);
  if (out != CM_OK) {
    *err = j.err ? j.err : g_strdup_printf("%s: merge failed", in_path);
    return out;
  }
  if (stats) {
    stats->runs += j.st.runs;
    stats->skipped += j.st.skipped;
    stats->rows += j.st.rows;
    stats->tables_created += j.st.tables_created;
  }
  return CM_OK;
}
