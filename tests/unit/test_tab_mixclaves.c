/* Unit tests for analysis/tab_mixclaves.c, the owner of mixclaves_buffer,
 * mixclaves_buffer_pairs, mixclaves_load and mixclaves_cost: each table's
 * shape and a row's values (NaN stored NULL), argument errors. */
#include <math.h>

#include "tab_check.h"

#include "tab_mixclaves.h"

static void test_buffer_tables(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_mixclaves_buffer bt;
  struct tab_mixclaves_pairs pt;
  assert_int_equal(tab_mixclaves_buffer_open(f.r, &bt), CM_OK);
  assert_int_equal(tab_mixclaves_pairs_open(f.r, &pt), CM_OK);
  assert_text_free(fx_shape(&f, "mixclaves_buffer"),
                   "run_id INTEGER NN,variant TEXT NN,packets INTEGER NN,rate REAL NN,mean_delay_s REAL NN,r REAL,"
                   "seed_r REAL,released INTEGER NN,refused_full INTEGER NN,mean_held REAL NN,max_held INTEGER NN,"
                   "capacity INTEGER NN,tick_s REAL NN");
  assert_text_free(fx_shape(&f, "mixclaves_buffer_pairs"),
                   "run_id INTEGER NN,variant TEXT NN,k INTEGER NN,store INTEGER NN,read INTEGER NN");
  struct tab_mixclaves_buffer_row b = {.run_id = f.run, .variant = "oblivious", .packets = 100, .rate = 50,
                                       .mean_delay_s = 0.5, .r = 0.25, .seed_r = NAN, .released = 99,
                                       .refused_full = 1, .mean_held = 24.5, .max_held = 40, .capacity = 64,
                                       .tick_s = 0.125};
  assert_int_equal(tab_mixclaves_buffer_add(&bt, &b), CM_OK);
  struct tab_mixclaves_pair p = {.run_id = f.run, .variant = "append", .k = 0, .store = 5, .read = 9};
  assert_int_equal(tab_mixclaves_pairs_add(&pt, &p), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_buffer"),
                   "1|oblivious|100|50.0|0.5|0.25|NULL|99|1|24.5|40|64|0.125");
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_buffer_pairs"), "1|append|0|5|9");
  fx_close(&f);
}

static void test_network_tables(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_mixclaves_load lt;
  struct tab_mixclaves_cost ct;
  assert_int_equal(tab_mixclaves_load_open(f.r, &lt), CM_OK);
  assert_int_equal(tab_mixclaves_cost_open(f.r, &ct), CM_OK);
  assert_text_free(fx_shape(&f, "mixclaves_load"),
                   "run_id INTEGER NN,config TEXT NN,topology TEXT NN,nodes INTEGER NN,hops INTEGER NN,"
                   "enclave INTEGER NN,oblivious INTEGER NN,rate REAL NN,offered_per_s REAL NN,"
                   "delivered_per_s REAL NN,sent INTEGER NN,received INTEGER NN,dropped INTEGER NN,late INTEGER NN,"
                   "queue_full INTEGER NN,other_drops INTEGER NN,link_lost INTEGER NN,p50_rtt_s REAL,p99_rtt_s REAL,"
                   "unaccounted INTEGER NN,crypto TEXT NN");
  assert_text_free(fx_shape(&f, "mixclaves_cost"),
                   "run_id INTEGER NN,config TEXT NN,mixnet TEXT NN,nodes INTEGER NN,hops INTEGER NN,"
                   "peak_per_s REAL NN,node_month_usd REAL NN,monthly_usd REAL NN,seed_monthly_usd REAL");
  struct tab_mixclaves_load_row l = {.run_id = f.run, .config = "c1", .topology = "loopix", .nodes = 6, .hops = 3,
                                     .enclave = 0, .oblivious = 1, .rate = 100, .offered_per_s = 99.5,
                                     .delivered_per_s = 98.25, .sent = 10, .received = 8, .dropped = 2, .late = 1,
                                     .queue_full = 3, .other_drops = 4, .link_lost = 5, .p50_rtt_s = 0.5,
                                     .p99_rtt_s = NAN, .unaccounted = 0, .crypto = "full"};
  assert_int_equal(tab_mixclaves_load_add(&lt, &l), CM_OK);
  struct tab_mixclaves_cost_row c = {.run_id = f.run, .config = "c1", .mixnet = "Loopix", .nodes = 6, .hops = 3,
                                     .peak_per_s = 98.25, .node_month_usd = 49.34, .monthly_usd = 296.04,
                                     .seed_monthly_usd = NAN};
  assert_int_equal(tab_mixclaves_cost_add(&ct, &c), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_load"),
                   "1|c1|loopix|6|3|0|1|100.0|99.5|98.25|10|8|2|1|3|4|5|0.5|NULL|0|full");
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_cost"), "1|c1|Loopix|6|3|98.25|49.34|296.04|NULL");
  assert_int_equal(tab_mixclaves_load_open(NULL, &lt), CM_EINVAL);
  assert_int_equal(tab_mixclaves_cost_open(f.r, NULL), CM_EINVAL);
  assert_int_equal(tab_mixclaves_cost_add(NULL, &c), CM_EINVAL);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_buffer_tables),
      cmocka_unit_test(test_network_tables),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
