/* The arithmetic mod p = 2^255 - 19 behind Sphinx creation's fixed-base
 * path: inversion on known values and edge cases (0, 1, p - 1, inputs
 * >= p, the ignored top bit), the Edwards-to-Montgomery map on edge
 * encodings and against libsodium's own conversion, and sphinx__mul_base
 * against X25519 on the base point 9 for clamped and unclamped scalars. */
#include "cmocka_inc.h"

#include <sodium.h>
#include <string.h>

#include "mixclaves/sphinx_impl.h"

/* The little-endian encoding of v. */
static void small(uint8_t out[32], uint8_t v) {
  memset(out, 0, 32);
  out[0] = v;
}

/* The encoding of p + k (p = 2^255 - 19), for -0xed <= k <= 18: low byte
 * 0xed + k, then 0xff, top byte 0x7f. */
static void p_plus(uint8_t out[32], int k) {
  memset(out, 0xff, 32);
  out[0] = (uint8_t)(0xed + k);
  out[31] = 0x7f;
}

/* A canonical encoding: below p and top bit clear. */
static bool canonical(const uint8_t u[32]) {
  uint8_t p[32];
  p_plus(p, 0);
  for (int i = 31; i >= 0; i--)
    if (u[i] != p[i]) return u[i] < p[i];
  return false;
}

static void test_invert_known_values(void **state CM_UNUSED) {
  uint8_t in[32], got[32], want[32];
  /* 1/0 = 0 by convention (Fermat), also for p itself */
  small(in, 0);
  sphinx__fp_invert(got, in);
  small(want, 0);
  assert_memory_equal(got, want, 32);
  p_plus(in, 0);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/1 = 1, also for p + 1 and for 1 with the ignored top bit set */
  small(in, 1);
  small(want, 1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  p_plus(in, 1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  small(in, 1);
  in[31] = 0x80;
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/(p - 1) = p - 1 */
  p_plus(in, -1);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, in, 32);
  /* 1/2 = (p + 1) / 2 = 2^254 - 9 */
  small(in, 2);
  memset(want, 0xff, 32);
  want[0] = 0xf7;
  want[31] = 0x3f;
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, want, 32);
  /* 1/9, computed with Python's pow(9, p - 2, p) */
  static const uint8_t inv9[32] = {
      0x12, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c,
      0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0xc7, 0x71, 0x1c, 0x47};
  small(in, 9);
  sphinx__fp_invert(got, in);
  assert_memory_equal(got, inv9, 32);
  /* and back: 1/(1/9) = 9 */
  sphinx__fp_invert(got, inv9);
  assert_memory_equal(got, in, 32);
}

static void test_invert_is_an_involution(void **state CM_UNUSED) {
  for (int t = 0; t < 200; t++) {
    uint8_t a[32], inv[32], back[32];
    randombytes_buf(a, 32);
    a[31] &= 0x3f; /* below p, so a is its own canonical encoding */
    sphinx__fp_invert(inv, a);
    assert_true(canonical(inv));
    assert_memory_not_equal(inv, a, 32); /* only +-1 are their own inverse */
    sphinx__fp_invert(back, inv);
    assert_memory_equal(back, a, 32);
  }
}

/* u = (1 + y) / (1 - y) on chosen y. */
static void test_edwards_to_u_edges(void **state CM_UNUSED) {
  uint8_t y[32], got[32], want[32];
  small(y, 0); /* (1 + 0) / 1 = 1 */
  small(want, 1);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  small(y, 1); /* the identity: 2 / 0, which the map sends to 0 */
  small(want, 0);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  p_plus(y, -1); /* y = -1, the point of order 2: 0 / 2 = 0 */
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  small(y, 2); /* 3 / -1 = p - 3 */
  p_plus(want, -3);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  p_plus(y, 2); /* the non-canonical p + 2 is y = 2 */
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  /* the base point (y = 4/5) is u = 9, whatever the sign bit */
  memset(y, 0x66, 32);
  y[0] = 0x58;
  small(want, 9);
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
  y[31] |= 0x80;
  sphinx__edwards_to_u(got, y);
  assert_memory_equal(got, want, 32);
}

/* Random points of the prime-order subgroup, both signs of x: libsodium's
 * own conversion (which also checks the subgroup) agrees. */
static void test_edwards_to_u_matches_libsodium(void **state CM_UNUSED) {
  int negative = 0;
  for (int t = 0; t < 256; t++) {
    uint8_t ed[32], got[32], want[32];
    crypto_core_ed25519_random(ed);
    negative += ed[31] >> 7;
    assert_int_equal(crypto_sign_ed25519_pk_to_curve25519(want, ed), 0);
    sphinx__edwards_to_u(got, ed);
    assert_memory_equal(got, want, 32);
  }
  assert_true(negative > 0 && negative < 256);
}

static void test_mul_base_clamped_matches_x25519(void **state CM_UNUSED) {
  for (int t = 0; t < 256; t++) {
    uint8_t k[32], c[32], got[32], want[32];
    randombytes_buf(k, 32);
    sphinx__clamp(k);
    assert_int_equal(crypto_scalarmult_curve25519_base(want, k), 0);
    sphinx__scalar_reduce(k, c); /* the base point has order L */
    assert_int_equal(sphinx__mul_base(got, c), 0);
    assert_memory_equal(got, want, 32);
  }
}

/* Any scalar mod L; compared with the one-ladder path where it applies. */
static void test_mul_base_unclamped_matches_ladder(void **state CM_UNUSED) {
  int compared = 0;
  for (int t = 0; t < 256; t++) {
    uint8_t wide[64], c[32], got[32], want[32];
    randombytes_buf(wide, sizeof wide);
    crypto_core_ed25519_scalar_reduce(c, wide);
    assert_int_equal(sphinx__mul_base(got, c), 0);
    assert_true(canonical(got));
    int rc = sphinx__mul_scalar(want, c, NULL);
    if (rc == CM_ERANGE) continue;
    assert_int_equal(rc, 0);
    assert_memory_equal(got, want, 32);
    compared++;
  }
  assert_true(compared > 200);
}

/* 1 and L - 1 = -1 give the base point itself, u = 9; 0 has no u here. */
static void test_mul_base_edges(void **state CM_UNUSED) {
  uint8_t c[32], got[32], nine[32];
  small(nine, 9);
  small(c, 1);
  assert_int_equal(sphinx__mul_base(got, c), 0);
  assert_memory_equal(got, nine, 32);
  crypto_core_ed25519_scalar_negate(c, c);
  assert_int_equal(sphinx__mul_base(got, c), 0);
  assert_memory_equal(got, nine, 32);
  small(c, 0);
  assert_int_equal(sphinx__mul_base(got, c), CM_ERANGE);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_invert_known_values),
      cmocka_unit_test(test_invert_is_an_involution),
      cmocka_unit_test(test_edwards_to_u_edges),
      cmocka_unit_test(test_edwards_to_u_matches_libsodium),
      cmocka_unit_test(test_mul_base_clamped_matches_x25519),
      cmocka_unit_test(test_mul_base_unclamped_matches_ladder),
      cmocka_unit_test(test_mul_base_edges),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
