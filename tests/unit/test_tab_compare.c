/* Unit tests for analysis/tab_compare.c, the owner of compare_results: the
 * table's shape, a row's values (a NaN CI is stored NULL), argument errors. */
#include <math.h>

#include "tab_check.h"

#include "tab_compare.h"

static void test_shape_and_rows(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_compare_results t;
  assert_int_equal(tab_compare_results_open(f.r, &t), CM_OK);
  assert_text_free(fx_shape(&f, "compare_results"),
                   "first_run_id INTEGER NN,scenario TEXT NN,policy TEXT NN,metric TEXT NN,seeds INTEGER NN,"
                   "first_seed INTEGER NN,mean REAL,ci95 REAL");
  struct tab_compare_result x = {.first_run_id = f.run, .scenario = "a.ini", .policy = "loi",
                                 .metric = "p50_latency_s", .seeds = 2, .first_seed = 7, .mean = 0.5, .ci95 = 0.25};
  assert_int_equal(tab_compare_results_add(&t, &x), CM_OK);
  x.policy = "only:edge";
  x.seeds = 1;
  x.ci95 = NAN; /* one seed: no interval */
  assert_int_equal(tab_compare_results_add(&t, &x), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM compare_results ORDER BY rowid"),
                   "1|a.ini|loi|p50_latency_s|2|7|0.5|0.25\n1|a.ini|only:edge|p50_latency_s|1|7|0.5|NULL");
  assert_int_equal(tab_compare_results_open(NULL, &t), CM_EINVAL);
  assert_int_equal(tab_compare_results_add(&t, NULL), CM_EINVAL);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_shape_and_rows),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
