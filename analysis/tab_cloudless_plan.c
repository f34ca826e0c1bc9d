/* The cloudless offline experiments' tables: cloudless_storage_scan,
 * cloudless_workflow, cloudless_replan and cloudless_pareto, their CREATE
 * and INSERT SQL and the typed open / add calls (columns described in
 * analysis/SCHEMA.md). */
#include "tab_cloudless_plan.h"

static const char create_scan[] =
    "CREATE TABLE IF NOT EXISTS cloudless_storage_scan ("
    " run_id INTEGER NOT NULL, location TEXT NOT NULL, store TEXT NOT NULL, store_kind TEXT NOT NULL,"
    " bytes INTEGER NOT NULL, write_s REAL NOT NULL, read_s REAL NOT NULL)";
static const char insert_scan[] = "INSERT INTO cloudless_storage_scan VALUES (?,?,?,?,?,?,?)";
static const char create_workflow[] =
    "CREATE TABLE IF NOT EXISTS cloudless_workflow(run_id INTEGER, plan TEXT, at_ns INTEGER, planner TEXT, "
    "objective TEXT, bound REAL, estimate_s REAL, time_s REAL, time_sd_s REAL, runs INTEGER, failed INTEGER, "
    "resumed INTEGER, skipped_nodes INTEGER, cost_usd REAL, placement TEXT, feasible INTEGER, infeasible_reason TEXT, "
    "path_s REAL, optimal INTEGER, gap REAL, failure TEXT)";
static const char insert_workflow[] =
    "INSERT INTO cloudless_workflow VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_replan[] =
    "CREATE TABLE IF NOT EXISTS cloudless_replan(run_id INTEGER, plan TEXT, at_ns INTEGER, node TEXT, function TEXT, "
    "decision TEXT, provider TEXT, old_estimate_s REAL, new_estimate_s REAL, reason TEXT)";
static const char insert_replan[] = "INSERT INTO cloudless_replan VALUES (?,?,?,?,?,?,?,?,?,?)";
static const char create_pareto[] =
    "CREATE TABLE IF NOT EXISTS cloudless_pareto(run_id INTEGER, plan TEXT, budget_usd REAL, time_s REAL, "
    "cost_usd REAL, placement TEXT)";
static const char insert_pareto[] = "INSERT INTO cloudless_pareto VALUES (?,?,?,?,?,?)";

/* Fill *t with the table from create / insert; 0, CM_EINVAL or CM_EDB. */
static int open_table(results *r, results_table **t, const char *create, const char *insert) {
  if (!r || !t) return CM_EINVAL;
  *t = results_table_new(r, create, insert);
  return *t ? CM_OK : CM_EDB;
}

int tab_cloudless_plan_scan_open(results *r, struct tab_cloudless_plan_scan *out) {
  return open_table(r, out ? &out->t : NULL, create_scan, insert_scan);
}

int tab_cloudless_plan_scan_add(struct tab_cloudless_plan_scan *t, const struct tab_cloudless_plan_scan_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->location);
  results_bind_text(rt, 3, x->store);
  results_bind_text(rt, 4, x->store_kind);
  results_bind_int(rt, 5, x->bytes);
  results_bind_double(rt, 6, x->write_s);
  results_bind_double(rt, 7, x->read_s);
  return results_row(rt);
}

/* Columns cloudless_workflow gained after schema version 2 (older results
 * files get them at open, NULL in their rows). */
static const char *const workflow_added[] = {"feasible INTEGER", "infeasible_reason TEXT", "path_s REAL",
                                             "optimal INTEGER", "gap REAL", "failure TEXT", NULL};

int tab_cloudless_plan_workflow_open(results *r, struct tab_cloudless_plan_workflow *out) {
  if (r && out && results_table_add_columns(r, "cloudless_workflow", workflow_added) != CM_OK) return CM_EDB;
  return open_table(r, out ? &out->t : NULL, create_workflow, insert_workflow);
}

int tab_cloudless_plan_workflow_add(struct tab_cloudless_plan_workflow *t,
                                    const struct tab_cloudless_plan_workflow_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->plan);
  results_bind_int(rt, 3, x->at_ns);
  results_bind_text(rt, 4, x->planner);
  results_bind_text(rt, 5, x->objective);
  results_bind_double(rt, 6, x->bound);
  results_bind_double(rt, 7, x->estimate_s);
  results_bind_double(rt, 8, x->time_s);
  results_bind_double(rt, 9, x->time_sd_s);
  results_bind_int(rt, 10, x->runs);
  results_bind_int(rt, 11, x->failed);
  results_bind_int(rt, 12, x->resumed);
  results_bind_int(rt, 13, x->skipped_nodes);
  results_bind_double(rt, 14, x->cost_usd);
  if (x->placement) results_bind_text(rt, 15, x->placement);
  else results_bind_null(rt, 15);
  results_bind_int(rt, 16, x->feasible);
  if (x->infeasible_reason) results_bind_text(rt, 17, x->infeasible_reason);
  else results_bind_null(rt, 17);
  results_bind_double(rt, 18, x->path_s);
  results_bind_int(rt, 19, x->optimal);
  results_bind_double(rt, 20, x->gap);
  if (x->failure) results_bind_text(rt, 21, x->failure);
  else results_bind_null(rt, 21);
  return results_row(rt);
}

int tab_cloudless_plan_replan_open(results *r, struct tab_cloudless_plan_replan *out) {
  return open_table(r, out ? &out->t : NULL, create_replan, insert_replan);
}

int tab_cloudless_plan_replan_add(struct tab_cloudless_plan_replan *t, const struct tab_cloudless_plan_replan_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->plan);
  results_bind_int(rt, 3, x->at_ns);
  results_bind_text(rt, 4, x->node);
  results_bind_text(rt, 5, x->function);
  results_bind_text(rt, 6, x->decision);
  results_bind_text(rt, 7, x->provider);
  results_bind_double(rt, 8, x->old_estimate_s);
  results_bind_double(rt, 9, x->new_estimate_s);
  results_bind_text(rt, 10, x->reason);
  return results_row(rt);
}

int tab_cloudless_plan_pareto_open(results *r, struct tab_cloudless_plan_pareto *out) {
  return open_table(r, out ? &out->t : NULL, create_pareto, insert_pareto);
}

int tab_cloudless_plan_pareto_add(struct tab_cloudless_plan_pareto *t, const struct tab_cloudless_plan_pareto_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->plan);
  results_bind_double(rt, 3, x->budget_usd);
  results_bind_double(rt, 4, x->time_s);
  results_bind_double(rt, 5, x->cost_usd);
  results_bind_text(rt, 6, x->placement);
  return results_row(rt);
}
