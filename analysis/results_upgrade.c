/* Upgrades of older results files, run by results_open inside its open
 * transaction, one step per schema version: 1 -> 2 adds runs.mode and
 * runs.profile_text; 2 -> 3 renames run status ok to complete and adds the
 * writer's identity (a rebuilt runs table), fills run_params from each
 * run's stored scenario text, and turns the simulated instants that were
 * REAL seconds into INTEGER nanoseconds (analysis/SCHEMA.md, "Units"). */
#include "results_impl.h"

#include <stdio.h>
#include <string.h>

/* The columns that held a simulated instant in REAL seconds before
 * version 3: (table, old name, new name). A table the file lacks is
 * skipped (its owner creates it with the new column when first used). */
static const struct {
  const char *table, *old, *new;
} instants[] = {
    {"cloudless_series", "t_s", "t_ns"},
    {"cloudless_events", "t_s", "t_ns"},
    {"cloudless_workflow", "at_s", "at_ns"},
    {"cloudless_replan", "at_s", "at_ns"},
};

/* One text value of a query with ?1 bound to arg; NULL if no row. */
static char *query_text(results *r, const char *sql, const char *arg) {
  sqlite3_stmt *st = NULL;
  char *out = NULL;
  if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK) {
    sqlite3_bind_text(st, 1, arg, -1, SQLITE_STATIC);
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0))
      out = g_strdup((const char *)sqlite3_column_text(st, 0));
  }
  sqlite3_finalize(st);
  return out;
}

/* The column list of table, with column old replaced by expr (for the
 * SELECT) or by new (for the INSERT); g_malloc'd, NULL if old is absent. */
static char *column_list(results *r, const char *table, const char *old, const char *repl) {
  char *sql = g_strdup_printf("PRAGMA table_info(\"%s\")", table);
  sqlite3_stmt *st = NULL;
  GString *cols = g_string_new(NULL);
  gboolean found = FALSE;
  if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) == SQLITE_OK)
    while (sqlite3_step(st) == SQLITE_ROW) {
      const char *name = (const char *)sqlite3_column_text(st, 1);
      if (!name) continue;
      if (cols->len) g_string_append(cols, ", ");
      if (!strcmp(name, old)) {
        found = TRUE;
        g_string_append(cols, repl);
      } else {
        g_string_append_printf(cols, "\"%s\"", name);
      }
    }
  sqlite3_finalize(st);
  g_free(sql);
  return g_string_free(cols, !found);
}

/* Rebuild table with column old (REAL seconds) as new (INTEGER ns), rows
 * in their order. */
static int retype_instant(results *r, const char *table, const char *old, const char *new) {
  char *create = query_text(r, "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?1", table);
  if (!create) return CM_OK;
  char *expr = g_strdup_printf("CAST(round(\"%s\" * 1e9) AS INTEGER)", old);
  char *sel = column_list(r, table, old, expr), *ins = column_list(r, table, old, new);
  char *decl = g_strdup_printf("%s REAL", old);
  int rc = CM_OK;
  /* the declaration "old REAL", after '(', ' ' or ',' */
  const char *at = NULL;
  int hits = 0;
  for (const char *p = strstr(create, decl); p; p = strstr(p + 1, decl))
    if (p > create && strchr("( ,", p[-1])) at = p, hits++;
  if (!sel || !ins || hits != 1) {
    results__err_set(r, "upgrade to schema 3: table %s: expected one column '%s REAL', found the definition %s",
                     table, old, create);
    rc = CM_EPARSE;
    goto out;
  }
  GString *nc = g_string_new_len(create, at - create);
  g_string_append_printf(nc, "%s INTEGER%s", new, at + strlen(decl));
  char *sql = g_strdup_printf("ALTER TABLE \"%s\" RENAME TO \"%s__v2\";\n%s;\n"
                              "INSERT INTO \"%s\" (%s) SELECT %s FROM \"%s__v2\" ORDER BY rowid;\n"
                              "DROP TABLE \"%s__v2\";\n",
                              table, table, nc->str, table, ins, sel, table, table);
  rc = results__exec(r, sql, "upgrade schema 2 to 3 (a time column)");
  g_free(sql);
  g_string_free(nc, TRUE);
out:
  g_free(decl);
  g_free(sel);
  g_free(ins);
  g_free(expr);
  g_free(create);
  return rc;
}

/* run_params for the runs already in the file. */
static int fill_params(results *r) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(r->db, "SELECT id, scenario_text, seed, mode FROM runs ORDER BY id", -1, &st, NULL) !=
      SQLITE_OK)
    return results__err_db(r, "upgrade schema 2 to 3 (run_params)");
  int rc = CM_OK, s;
  while (rc == CM_OK && (s = sqlite3_step(st)) == SQLITE_ROW)
    rc = results__params_write(r, sqlite3_column_int64(st, 0), (const char *)sqlite3_column_text(st, 1),
                               (uint64_t)sqlite3_column_int64(st, 2), (const char *)sqlite3_column_text(st, 3));
  if (rc == CM_OK && s != SQLITE_DONE) rc = results__err_db(r, "upgrade schema 2 to 3 (run_params)");
  sqlite3_finalize(st);
  return rc;
}

static int upgrade_2_3(results *r) {
  char *sql = g_strdup_printf(
      "CREATE TABLE runs__v3 (%s);\n"
      "INSERT INTO runs__v3 (id, model, scenario_path, scenario_text, seed, version, started_at, wall_seconds,"
      " events, sim_end_ns, status, mode, profile_text)"
      " SELECT id, model, scenario_path, scenario_text, seed, version, started_at, wall_seconds, events,"
      " sim_end_ns, CASE status WHEN 'ok' THEN 'complete' ELSE status END, mode, profile_text FROM runs"
      " ORDER BY id;\n"
      "DROP TABLE runs;\n"
      "ALTER TABLE runs__v3 RENAME TO runs;\n%s",
      results__runs_columns, results__params_schema);
  int rc = results__exec(r, sql, "upgrade schema 2 to 3 (runs)");
  g_free(sql);
  if (rc == CM_OK) rc = fill_params(r);
  for (size_t i = 0; rc == CM_OK && i < G_N_ELEMENTS(instants); i++)
    rc = retype_instant(r, instants[i].table, instants[i].old, instants[i].new);
  return rc;
}

int results__upgrade(results *r, int64_t ver) {
  int rc = CM_OK;
  if (ver == 1) /* version 1 had no mode: its runs were all simulated */
    rc = results__exec(r,
                       "ALTER TABLE runs ADD COLUMN mode TEXT NOT NULL DEFAULT 'sim'"
                       " CHECK (mode IN ('sim', 'real'));\n"
                       "ALTER TABLE runs ADD COLUMN profile_text TEXT;\n",
                       "upgrade schema 1 to 2");
  if (rc == CM_OK && ver <= 2) rc = upgrade_2_3(r);
  if (rc == CM_OK) {
    char *sql = g_strdup_printf("PRAGMA user_version = %d;\n", RESULTS_SCHEMA_VERSION);
    rc = results__exec(r, sql, "upgrade: set the schema version");
    g_free(sql);
  }
  return rc;
}
