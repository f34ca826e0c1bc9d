/* Unit tests for analysis/tab_demo.c, the owner of demo_jobs: the table's
 * shape, a row's values (a dropped job's server is NULL), argument and
 * SQL errors. */
#include "tab_check.h"

#include "tab_demo.h"

static void test_shape_and_rows(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_demo_jobs t;
  assert_int_equal(tab_demo_jobs_open(f.r, &t), CM_OK);
  assert_text_free(fx_shape(&f, "demo_jobs"),
                   "run_id INTEGER NN,job INTEGER NN,arrival_ns INTEGER NN,start_ns INTEGER NN,end_ns INTEGER NN,"
                   "server INTEGER,outcome TEXT NN");
  struct tab_demo_job j = {.run_id = f.run, .job = 1, .arrival_ns = 10, .start_ns = 20, .end_ns = 30, .server = 3,
                           .outcome = "completed"};
  assert_int_equal(tab_demo_jobs_add(&t, &j), CM_OK);
  j = (struct tab_demo_job){.run_id = f.run, .job = 2, .arrival_ns = 40, .start_ns = 40, .end_ns = 40,
                            .server = -1, .outcome = "dropped_queue_full"};
  assert_int_equal(tab_demo_jobs_add(&t, &j), CM_OK);
  /* a second open of the same table appends to it */
  struct tab_demo_jobs t2;
  assert_int_equal(tab_demo_jobs_open(f.r, &t2), CM_OK);
  j.job = 3;
  assert_int_equal(tab_demo_jobs_add(&t2, &j), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM demo_jobs ORDER BY rowid"),
                   "1|1|10|20|30|3|completed\n1|2|40|40|40|NULL|dropped_queue_full\n"
                   "1|3|40|40|40|NULL|dropped_queue_full");
  fx_close(&f);
}

static void test_errors(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_demo_jobs t = {0};
  struct tab_demo_job j = {.outcome = "completed"};
  assert_int_equal(tab_demo_jobs_open(NULL, &t), CM_EINVAL);
  assert_int_equal(tab_demo_jobs_open(f.r, NULL), CM_EINVAL);
  assert_int_equal(tab_demo_jobs_add(NULL, &j), CM_EINVAL);
  assert_int_equal(tab_demo_jobs_add(&t, &j), CM_EINVAL); /* never opened */
  /* a table of that name but another shape: the INSERT cannot be prepared */
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(f.path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(db, "CREATE TABLE demo_jobs (x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(db);
  assert_int_equal(tab_demo_jobs_open(f.r, &t), CM_EDB);
  assert_null(t.t);
  assert_non_null(strstr(results_errmsg(f.r), "demo_jobs"));
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape_and_rows),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
