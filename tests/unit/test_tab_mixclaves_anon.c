/* Unit tests for analysis/tab_mixclaves_anon.c, the owner of
 * mixclaves_anon and mixclaves_trust: each table's shape and a row's
 * values (NaN stored NULL), argument errors. */
#include <math.h>

#include "tab_check.h"

#include "tab_mixclaves_anon.h"

static void test_anon_table(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_mixclaves_anon at;
  assert_int_equal(tab_mixclaves_anon_open(f.r, &at), CM_OK);
  assert_text_free(fx_shape(&f, "mixclaves_anon"),
                   "run_id INTEGER NN,config TEXT NN,nodes INTEGER NN,hops INTEGER NN,buffer TEXT NN,rate REAL NN,"
                   "messages INTEGER NN,h_mean REAL,h_p5 REAL,h_min REAL,d_mean REAL,d_p5 REAL,d_min REAL,"
                   "p_true_mean REAL,eps_messages INTEGER NN,eps_inf INTEGER NN,eps_mean REAL,eps_d05 REAL,"
                   "delta_eps1 REAL,occupancy REAL,lambda_node REAL,lambda_held REAL,rho REAL,h_ref REAL,"
                   "buffer_r REAL,unlinked INTEGER NN");
  struct tab_mixclaves_anon_row a = {.run_id = f.run, .config = "m1", .nodes = 1, .hops = 1, .buffer = "append",
                                     .rate = 20, .messages = 100, .h_mean = 2.5, .h_p5 = 1.5, .h_min = 0.25,
                                     .d_mean = 0.5, .d_p5 = 0.25, .d_min = 0.125, .p_true_mean = 0.375,
                                     .eps_messages = 10, .eps_inf = 1, .eps_mean = 1.5, .eps_d05 = INFINITY,
                                     .delta_eps1 = 0.5, .occupancy = 2, .lambda_node = 20, .lambda_held = 19.5,
                                     .rho = 2, .h_ref = NAN, .buffer_r = 0.5, .unlinked = 0};
  assert_int_equal(tab_mixclaves_anon_add(&at, &a), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_anon"),
                   "1|m1|1|1|append|20.0|100|2.5|1.5|0.25|0.5|0.25|0.125|0.375|10|1|1.5|Inf|0.5|2.0|20.0|19.5|2.0|"
                   "NULL|0.5|0");
  assert_int_equal(tab_mixclaves_anon_open(NULL, &at), CM_EINVAL);
  assert_int_equal(tab_mixclaves_anon_add(NULL, &a), CM_EINVAL);
  fx_close(&f);
}

static void test_trust_table(void **state CM_UNUSED) {
  struct tab_fx f;
  fx_open(&f);
  struct tab_mixclaves_trust tt;
  assert_int_equal(tab_mixclaves_trust_open(f.r, &tt), CM_OK);
  assert_text_free(fx_shape(&f, "mixclaves_trust"),
                   "run_id INTEGER NN,config TEXT NN,hops INTEGER NN,domains INTEGER NN,trust TEXT NN,path TEXT NN,"
                   "p_honest_path REAL NN");
  struct tab_mixclaves_trust_row t = {.run_id = f.run, .config = "l", .hops = 3, .domains = 6, .trust = "0.8",
                                      .path = "across", .p_honest_path = 0.992};
  assert_int_equal(tab_mixclaves_trust_add(&tt, &t), CM_OK);
  assert_text_free(fx_rows(&f, "SELECT * FROM mixclaves_trust"), "1|l|3|6|0.8|across|0.992");
  assert_int_equal(tab_mixclaves_trust_open(f.r, NULL), CM_EINVAL);
  assert_int_equal(tab_mixclaves_trust_add(&tt, NULL), CM_EINVAL);
  fx_close(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_anon_table),
      cmocka_unit_test(test_trust_table),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
