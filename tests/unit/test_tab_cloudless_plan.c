/* Unit tests for analysis/tab_cloudless_plan.c, the owner of
 * cloudless_storage_scan, cloudless_workflow, cloudless_replan and
 * cloudless_pareto: each table's shape and a row's values (NaN stored
 * NULL), argument errors. */
#include <math.h>

#include "tab_check.h"

#include "tab_cloudless_plan.h"

static void test_scan(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_cloudless_plan_scan t;
  assert_int_equal(tab_cloudless_plan_scan_open(f.r, &t), CM_OK);
  assert_text_free(fx_shape(&f, "cloudless_storage_scan"),
                   "run_id INTEGER NN,location TEXT NN,store TEXT NN,store_kind TEXT NN,bytes INTEGER NN,"
                   "write_s REAL NN,read_s REAL NN");
  struct tab_cloudless_plan_scan_row x = {.run_id = f.run, .location = "client", .store = "s3-east",
                                          .store_kind = "s3", .bytes = 1024, .write_s = 0.25, .read_s = 0.125};
  assert_int_equal(tab_cloudless_plan_scan_add(&t, &x), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM cloudless_storage_scan"), "1|client|s3-east|s3|1024|0.25|0.125");
  assert_int_equal(tab_cloudless_plan_scan_open(NULL, &t), CM_EINVAL);
  assert_int_equal(tab_cloudless_plan_scan_add(&t, NULL), CM_EINVAL);
  fx_close(&f);
}

static void test_workflow_tables(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_cloudless_plan_workflow wt;
  struct tab_cloudless_plan_replan rt;
  struct tab_cloudless_plan_pareto pt;
  assert_int_equal(tab_cloudless_plan_workflow_open(f.r, &wt), CM_OK);
  assert_int_equal(tab_cloudless_plan_replan_open(f.r, &rt), CM_OK);
  assert_int_equal(tab_cloudless_plan_pareto_open(f.r, &pt), CM_OK);
  assert_text_free(fx_shape(&f, "cloudless_workflow"),
                   "run_id INTEGER,plan TEXT,at_ns INTEGER,planner TEXT,objective TEXT,bound REAL,estimate_s REAL,"
                   "time_s REAL,time_sd_s REAL,runs INTEGER,failed INTEGER,resumed INTEGER,skipped_nodes INTEGER,"
                   "cost_usd REAL,placement TEXT,feasible INTEGER,infeasible_reason TEXT,path_s REAL,optimal INTEGER,"
                   "gap REAL,failure TEXT");
  assert_text_free(fx_shape(&f, "cloudless_replan"),
                   "run_id INTEGER,plan TEXT,at_ns INTEGER,node TEXT,function TEXT,decision TEXT,provider TEXT,"
                   "old_estimate_s REAL,new_estimate_s REAL,reason TEXT");
  assert_text_free(fx_shape(&f, "cloudless_pareto"),
                   "run_id INTEGER,plan TEXT,budget_usd REAL,time_s REAL,cost_usd REAL,placement TEXT");
  struct tab_cloudless_plan_workflow_row w = {
      .run_id = f.run, .plan = "all", .at_ns = 12500000000, .planner = "exact", .objective = "time", .bound = NAN,
      .estimate_s = 3.5, .time_s = NAN, .time_sd_s = 0, .runs = 4, .failed = 4, .resumed = 1, .skipped_nodes = 2,
      .cost_usd = 0.001, .placement = "a=p1@s1", .feasible = true, .path_s = 3.25, .optimal = false, .gap = 0.125,
      .failure = "run 0, node 'a': its call failed after 3 attempts (timeout)"};
  assert_int_equal(tab_cloudless_plan_workflow_add(&wt, &w), CM_OK);
  struct tab_cloudless_plan_workflow_row inf = {
      .run_id = f.run, .plan = "big", .at_ns = 1, .planner = "exact", .objective = "time", .bound = NAN,
      .estimate_s = NAN, .time_s = NAN, .cost_usd = NAN, .path_s = NAN, .gap = NAN,
      .infeasible_reason = "node 'a' has no usable provider"};
  assert_int_equal(tab_cloudless_plan_workflow_add(&wt, &inf), CM_OK);
  struct tab_cloudless_plan_replan_row r = {
      .run_id = f.run, .plan = "all", .at_ns = CM_S(300), .node = "a", .function = "f", .decision = "redeploy",
      .provider = "p2", .old_estimate_s = 4.5, .new_estimate_s = 3.25, .reason = "why"};
  assert_int_equal(tab_cloudless_plan_replan_add(&rt, &r), CM_OK);
  struct tab_cloudless_plan_pareto_row p = {.run_id = f.run, .plan = "all", .budget_usd = 0.5, .time_s = 2.5,
                                            .cost_usd = 0.25, .placement = "a=p1"};
  assert_int_equal(tab_cloudless_plan_pareto_add(&pt, &p), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM cloudless_workflow"),
                   "1|all|12500000000|exact|time|NULL|3.5|NULL|0.0|4|4|1|2|0.001|a=p1@s1|1|NULL|3.25|0|0.125|"
                   "run 0, node 'a': its call failed after 3 attempts (timeout)\n"
                   "1|big|1|exact|time|NULL|NULL|NULL|0.0|0|0|0|0|NULL|NULL|0|node 'a' has no usable provider|NULL|0|NULL|"
                   "NULL");
  assert_text_free(fx_rows(&f, "SELECT * FROM cloudless_replan"), "1|all|300000000000|a|f|redeploy|p2|4.5|3.25|why");
  assert_text_free(fx_rows(&f, "SELECT * FROM cloudless_pareto"), "1|all|0.5|2.5|0.25|a=p1");
  assert_int_equal(tab_cloudless_plan_workflow_open(f.r, NULL), CM_EINVAL);
  assert_int_equal(tab_cloudless_plan_replan_add(NULL, &r), CM_EINVAL);
  assert_int_equal(tab_cloudless_plan_pareto_open(NULL, &pt), CM_EINVAL);
  fx_close(&f);
}

/* A results file whose cloudless_workflow has its first 15 columns (as
 * schema version 2 had them, at_s already turned into at_ns by the
 * version-3 upgrade) takes the new rows: the missing columns are added at
 * open, NULL in the old row. */
static void test_workflow_old_file(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  results_table *old = results_table_new(
      f.r,
      "CREATE TABLE cloudless_workflow(run_id INTEGER, plan TEXT, at_ns INTEGER, planner TEXT, objective TEXT, "
      "bound REAL, estimate_s REAL, time_s REAL, time_sd_s REAL, runs INTEGER, failed INTEGER, resumed INTEGER, "
      "skipped_nodes INTEGER, cost_usd REAL, placement TEXT)",
      "INSERT INTO cloudless_workflow(run_id, plan) VALUES (?,?)");
  assert_non_null(old);
  results_bind_int(old, 1, f.run);
  results_bind_text(old, 2, "old");
  assert_int_equal(results_row(old), CM_OK);
  assert_int_equal(results_flush(f.r), CM_OK);
  struct tab_cloudless_plan_workflow wt;
  assert_int_equal(tab_cloudless_plan_workflow_open(f.r, &wt), CM_OK);
  assert_int_equal(tab_cloudless_plan_workflow_open(f.r, &wt), CM_OK); /* twice: nothing left to add */
  struct tab_cloudless_plan_workflow_row w = {.run_id = f.run, .plan = "new", .planner = "exact", .objective = "time",
                                              .bound = NAN, .estimate_s = 1, .time_s = 1, .cost_usd = 1,
                                              .feasible = true, .path_s = 1, .optimal = true, .gap = 0,
                                              .failure = "why"};
  assert_int_equal(tab_cloudless_plan_workflow_add(&wt, &w), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT plan, feasible, gap, failure FROM cloudless_workflow ORDER BY plan"),
                   "new|1|0.0|why\nold|NULL|NULL|NULL");
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_scan),
      cmocka_unit_test(test_workflow_tables),
      cmocka_unit_test(test_workflow_old_file),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
