/* compare_results, the per-policy table of `cloudmix compare`: its CREATE
 * and INSERT SQL and the typed open / add calls. */
#include "tab_compare.h"

static const char create_compare[] =
    "CREATE TABLE IF NOT EXISTS compare_results ("
    " first_run_id INTEGER NOT NULL, scenario TEXT NOT NULL, policy TEXT NOT NULL, metric TEXT NOT NULL,"
    " seeds INTEGER NOT NULL, first_seed INTEGER NOT NULL, mean REAL, ci95 REAL)";
static const char insert_compare[] = "INSERT INTO compare_results VALUES (?,?,?,?,?,?,?,?)";

int tab_compare_results_open(results *r, struct tab_compare_results *out) {
  if (!r || !out) return CM_EINVAL;
  out->t = results_table_new(r, create_compare, insert_compare);
  return out->t ? CM_OK : CM_EDB;
}

int tab_compare_results_add(struct tab_compare_results *t, const struct tab_compare_result *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->first_run_id);
  results_bind_text(rt, 2, x->scenario);
  results_bind_text(rt, 3, x->policy);
  results_bind_text(rt, 4, x->metric);
  results_bind_int(rt, 5, x->seeds);
  results_bind_int(rt, 6, x->first_seed);
  results_bind_double(rt, 7, x->mean);
  results_bind_double(rt, 8, x->ci95);
  return results_row(rt);
}
