/* demo_jobs, the demo model's one row per invocation: its CREATE and INSERT
 * SQL and the typed open / add calls (analysis/SCHEMA.md describes it). */
#include "tab_demo.h"

static const char create_jobs[] =
    "CREATE TABLE IF NOT EXISTS demo_jobs ("
    " run_id INTEGER NOT NULL, job INTEGER NOT NULL,"
    " arrival_ns INTEGER NOT NULL, start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL,"
    " server INTEGER, outcome TEXT NOT NULL)";
static const char insert_jobs[] = "INSERT INTO demo_jobs VALUES (?, ?, ?, ?, ?, ?, ?)";

int tab_demo_jobs_open(results *r, struct tab_demo_jobs *out) {
  if (!r || !out) return CM_EINVAL;
  out->t = results_table_new(r, create_jobs, insert_jobs);
  return out->t ? CM_OK : CM_EDB;
}

int tab_demo_jobs_add(struct tab_demo_jobs *t, const struct tab_demo_job *j) {
  if (!t || !t->t || !j) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, j->run_id);
  results_bind_int(rt, 2, j->job);
  results_bind_int(rt, 3, j->arrival_ns);
  results_bind_int(rt, 4, j->start_ns);
  results_bind_int(rt, 5, j->end_ns);
  if (j->server < 0)
    results_bind_null(rt, 6);
  else
    results_bind_int(rt, 6, j->server);
  results_bind_text(rt, 7, j->outcome);
  return results_row(rt);
}
