/* trace_map, a replay's function mapping: its CREATE and INSERT SQL and the
 * typed open / add calls (analysis/SCHEMA.md describes it). */
#include "tab_trace_map.h"

static const char create_map[] =
    "CREATE TABLE IF NOT EXISTS trace_map ("
    " run_id INTEGER NOT NULL, trace_function TEXT NOT NULL, function TEXT NOT NULL, rule TEXT NOT NULL,"
    " invocations INTEGER NOT NULL, trace_mean_s REAL, function_mean_s REAL)";
static const char insert_map[] = "INSERT INTO trace_map VALUES (?, ?, ?, ?, ?, ?, ?)";

int tab_trace_map_open(results *r, struct tab_trace_map *out) {
  if (!r || !out) return CM_EINVAL;
  out->t = results_table_new(r, create_map, insert_map);
  return out->t ? CM_OK : CM_EDB;
}

int tab_trace_map_add(struct tab_trace_map *t, const struct tab_trace_map_row *row) {
  if (!t || !t->t || !row) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, row->run_id);
  results_bind_text(rt, 2, row->trace_function);
  results_bind_text(rt, 3, row->function);
  results_bind_text(rt, 4, row->rule);
  results_bind_int(rt, 5, row->invocations);
  results_bind_double(rt, 6, row->trace_mean_s);
  results_bind_double(rt, 7, row->function_mean_s);
  return results_row(rt);
}
