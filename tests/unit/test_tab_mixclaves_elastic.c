/* Unit tests for analysis/tab_mixclaves_elastic.c, the owner of
 * mixclaves_elastic and mixclaves_elastic_attempts: each table's shape and
 * a row's values (NaN stored NULL), argument errors. */
#include <math.h>

#include "tab_check.h"

#include "tab_mixclaves_elastic.h"

static void test_elastic_tables(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_mixclaves_elastic st;
  struct tab_mixclaves_elastic_attempts at;
  assert_int_equal(tab_mixclaves_elastic_open(f.r, &st), CM_OK);
  assert_int_equal(tab_mixclaves_elastic_attempts_open(f.r, &at), CM_OK);
  assert_text_free(fx_shape(&f, "mixclaves_elastic"),
                   "run_id INTEGER NN,t_s REAL NN,target_per_s REAL NN,offered_per_s REAL NN,"
                   "delivered_per_s REAL NN,p50_rtt_s REAL,p99_rtt_s REAL,nodes INTEGER NN,provisioned INTEGER NN,"
                   "epoch INTEGER NN,clients INTEGER NN,clients_current INTEGER NN,attempts INTEGER NN,"
                   "committed INTEGER NN,retried INTEGER NN,abandoned INTEGER NN,ctrl_sent INTEGER NN,"
                   "ctrl_returned INTEGER NN,queue_full INTEGER NN,updater_throughput_per_s REAL");
  assert_text_free(fx_shape(&f, "mixclaves_elastic_attempts"),
                   "run_id INTEGER NN,attempt INTEGER NN,scale_out INTEGER NN,version INTEGER NN,nodes INTEGER NN,"
                   "acked INTEGER NN,installs_sent INTEGER NN,installs_timed_out INTEGER NN,started_s REAL NN,"
                   "ended_s REAL,outcome TEXT NN");
  struct tab_mixclaves_elastic_row r = {.run_id = f.run, .t_s = 2, .target_per_s = 300, .offered_per_s = 290.5,
                                        .delivered_per_s = 289.25, .p50_rtt_s = 0.004, .p99_rtt_s = NAN, .nodes = 2,
                                        .provisioned = 3, .epoch = 4, .clients = 5, .clients_current = 4,
                                        .attempts = 3, .committed = 1, .retried = 1, .abandoned = 0,
                                        .ctrl_sent = 20, .ctrl_returned = 18, .queue_full = 7,
                                        .updater_throughput_per_s = NAN};
  assert_int_equal(tab_mixclaves_elastic_add(&st, &r), CM_OK);
  struct tab_mixclaves_elastic_attempt a = {.run_id = f.run, .attempt = 2, .scale_out = 1, .version = 5,
                                            .nodes = 3, .acked = 2, .installs_sent = 6, .installs_timed_out = 3,
                                            .started_s = 1.5, .ended_s = NAN, .outcome = "running"};
  assert_int_equal(tab_mixclaves_elastic_attempts_add(&at, &a), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_elastic"),
                   "1|2.0|300.0|290.5|289.25|0.004|NULL|2|3|4|5|4|3|1|1|0|20|18|7|NULL");
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_elastic_attempts"), "1|2|1|5|3|2|6|3|1.5|NULL|running");
  assert_int_equal(tab_mixclaves_elastic_open(NULL, &st), CM_EINVAL);
  assert_int_equal(tab_mixclaves_elastic_attempts_open(f.r, NULL), CM_EINVAL);
  assert_int_equal(tab_mixclaves_elastic_add(NULL, &r), CM_EINVAL);
  assert_int_equal(tab_mixclaves_elastic_attempts_add(&at, NULL), CM_EINVAL);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_elastic_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
