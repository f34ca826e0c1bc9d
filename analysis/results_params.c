/* The run_params table: a run's effective parameters as (key, value) rows,
 * one per key of its effective scenario text (after includes, --set
 * overrides and schema defaults) plus run.seed and run.mode, so that runs
 * are sliced with SQL (analysis/SCHEMA.md). */
#include "results_impl.h"

#include <stdio.h>
#include <string.h>

const char results__params_schema[] =
    "CREATE TABLE IF NOT EXISTS run_params (\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  key TEXT NOT NULL,\n"
    "  value TEXT NOT NULL,\n"
    "  PRIMARY KEY (run_id, key)\n"
    ") WITHOUT ROWID;\n";

static int put(results *r, sqlite3_stmt *st, int64_t run_id, const char *key, const char *value) {
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, key, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text(st, 3, value, -1, SQLITE_TRANSIENT);
  int rc = sqlite3_step(st) == SQLITE_DONE ? CM_OK : results__err_db(r, "insert run_params");
  sqlite3_reset(st);
  sqlite3_clear_bindings(st);
  return rc;
}

int results__params_write(results *r, int64_t run_id, const char *scenario_text, uint64_t seed, const char *mode) {
  GKeyFile *kf = g_key_file_new();
  GError *ge = NULL;
  sqlite3_stmt *st = NULL;
  int rc = CM_OK;
  if (scenario_text && !g_key_file_load_from_data(kf, scenario_text, (gsize)-1, G_KEY_FILE_NONE, &ge)) {
    results__err_set(r, "run %lld: its scenario text is not a scenario (%s); expected the effective text of "
                     "scenario_text()", (long long)run_id, ge->message);
    g_error_free(ge);
    g_key_file_free(kf);
    return CM_EPARSE;
  }
  if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO run_params (run_id, key, value) VALUES (?, ?, ?)", -1, &st,
                         NULL) != SQLITE_OK) {
    rc = results__err_db(r, "insert run_params");
    goto out;
  }
  gchar **groups = g_key_file_get_groups(kf, NULL);
  for (gchar **g = groups; rc == CM_OK && *g; g++) {
    gchar **keys = g_key_file_get_keys(kf, *g, NULL, NULL);
    for (gchar **k = keys; rc == CM_OK && keys && *k; k++) {
      gchar *v = g_key_file_get_value(kf, *g, *k, NULL);
      gchar *name = g_strdup_printf("%s.%s", *g, *k);
      rc = put(r, st, run_id, name, v ? v : "");
      g_free(name);
      g_free(v);
    }
    g_strfreev(keys);
  }
  g_strfreev(groups);
  char seed_text[24];
  snprintf(seed_text, sizeof seed_text, "%llu", (unsigned long long)seed);
  if (rc == CM_OK) rc = put(r, st, run_id, "run.seed", seed_text);
  if (rc == CM_OK) rc = put(r, st, run_id, "run.mode", mode);
out:
  sqlite3_finalize(st);
  g_key_file_free(kf);
  return rc;
}

int results__params_mode(results *r, int64_t run_id, const char *mode) {
  sqlite3_stmt *st = NULL;
  int rc = CM_OK;
  if (sqlite3_prepare_v2(r->db, "INSERT OR REPLACE INTO run_params (run_id, key, value) VALUES (?, 'run.mode', ?)",
                         -1, &st, NULL) != SQLITE_OK)
    return results__err_db(r, "set run.mode");
  sqlite3_bind_int64(st, 1, run_id);
  sqlite3_bind_text(st, 2, mode, -1, SQLITE_STATIC);
  if (sqlite3_step(st) != SQLITE_DONE) rc = results__err_db(r, "set run.mode");
  sqlite3_finalize(st);
  return rc;
}
