/* Reference arithmetic mod p = 2^255 - 19 for the Sphinx unit tests,
 * written plainly (four 64-bit limbs, variable time) and independent of
 * sphinx_table.c, and from it the hop keys sphinx_pk_check must refuse:
 * points of small order, twist points, points with a torsion part, and
 * non-canonical encodings. Test code only. */
#ifndef TESTS_SPHINX_REF_H
#define TESTS_SPHINX_REF_H

#include <sodium.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* A value mod p, always canonical (< p), little-endian limbs. */
typedef struct {
  uint64_t w[4];
} ref_fe;

static const ref_fe REF_P = {{0xffffffffffffffedu, ~0ull, ~0ull, 0x7fffffffffffffffu}};

/* v < 2^256 -> v mod p, by subtracting p while v >= p (at most twice). */
static inline void ref_canon(ref_fe *r, const uint64_t v[4]) {
  uint64_t t[4] = {v[0], v[1], v[2], v[3]};
  for (;;) {
    int ge = 1;
    for (int i = 3; i >= 0; i--)
      if (t[i] != REF_P.w[i]) {
        ge = t[i] > REF_P.w[i];
        break;
      }
    if (!ge) break;
    unsigned __int128 b = 0;
    for (int i = 0; i < 4; i++) {
      unsigned __int128 d = (unsigned __int128)t[i] - REF_P.w[i] - b;
      t[i] = (uint64_t)d;
      b = (d >> 64) & 1;
    }
  }
  memcpy(r->w, t, sizeof t);
}

/* The full 256-bit little-endian value of b, reduced mod p. */
static inline void ref_from_bytes(ref_fe *r, const uint8_t b[32]) {
  uint64_t v[4] = {0};
  for (int i = 0; i < 32; i++) v[i / 8] |= (uint64_t)b[i] << (8 * (i % 8));
  ref_canon(r, v);
}

static inline void ref_to_bytes(uint8_t b[32], const ref_fe *a) {
  for (int i = 0; i < 32; i++) b[i] = (uint8_t)(a->w[i / 8] >> (8 * (i % 8)));
}

static inline void ref_small(ref_fe *r, uint64_t v) { *r = (ref_fe){{v, 0, 0, 0}}; }

/* v (four limbs) plus carry * 2^256, folded with 2^256 = 38 (mod p). */
static inline void ref_fold(ref_fe *r, uint64_t v[4], unsigned __int128 carry) {
  while (carry) {
    unsigned __int128 c = carry * 38;
    for (int i = 0; i < 4; i++) {
      c += v[i];
      v[i] = (uint64_t)c;
      c >>= 64;
    }
    carry = c;
  }
  ref_canon(r, v);
}

static inline void ref_add(ref_fe *r, const ref_fe *a, const ref_fe *b) {
  uint64_t v[4];
  unsigned __int128 c = 0;
  for (int i = 0; i < 4; i++) {
    c += (unsigned __int128)a->w[i] + b->w[i];
    v[i] = (uint64_t)c;
    c >>= 64;
  }
  ref_fold(r, v, c);
}

/* a - b = a + (p - b); b is canonical, so p - b does not underflow. */
static inline void ref_sub(ref_fe *r, const ref_fe *a, const ref_fe *b) {
  ref_fe nb;
  unsigned __int128 br = 0;
  for (int i = 0; i < 4; i++) {
    unsigned __int128 d = (unsigned __int128)REF_P.w[i] - b->w[i] - br;
    nb.w[i] = (uint64_t)d;
    br = (d >> 64) & 1;
  }
  ref_add(r, a, &nb);
}

static inline void ref_mul(ref_fe *r, const ref_fe *a, const ref_fe *b) {
  uint64_t t[8] = {0};
  for (int i = 0; i < 4; i++) {
    unsigned __int128 c = 0;
    for (int j = 0; j < 4; j++) {
      c += (unsigned __int128)a->w[i] * b->w[j] + t[i + j];
      t[i + j] = (uint64_t)c;
      c >>= 64;
    }
    t[i + 4] = (uint64_t)c;
  }
  uint64_t v[4];
  unsigned __int128 c = 0;
  for (int i = 0; i < 4; i++) {
    c += (unsigned __int128)t[i + 4] * 38 + t[i];
    v[i] = (uint64_t)c;
    c >>= 64;
  }
  ref_fold(r, v, c);
}

/* a^e, square and multiply over the 256 bits of e (limbs). */
static inline void ref_pow(ref_fe *r, const ref_fe *a, const uint64_t e[4]) {
  ref_fe acc;
  ref_small(&acc, 1);
  for (int bit = 255; bit >= 0; bit--) {
    ref_mul(&acc, &acc, &acc);
    if ((e[bit / 64] >> (bit % 64)) & 1) ref_mul(&acc, &acc, a);
  }
  *r = acc;
}

/* 1/a = a^(p-2) (0 for 0). */
static inline void ref_inv(ref_fe *r, const ref_fe *a) {
  const uint64_t e[4] = {0xffffffffffffffebu, ~0ull, ~0ull, 0x7fffffffffffffffu};
  ref_pow(r, a, e);
}

/* Euler's criterion: a^((p-1)/2) is 1 for a non-zero square. */
static inline bool ref_is_square(const ref_fe *a) {
  const uint64_t e[4] = {0xfffffffffffffff6u, ~0ull, ~0ull, 0x3fffffffffffffffu};
  ref_fe t, one;
  ref_pow(&t, a, e);
  ref_small(&one, 1);
  return memcmp(&t, &one, sizeof t) == 0 || memcmp(a, &(ref_fe){{0}}, sizeof *a) == 0;
}

/* A decimal constant below p. */
static inline void ref_from_dec(ref_fe *r, const char *dec) {
  ref_fe ten, d;
  ref_small(&ten, 10);
  ref_small(r, 0);
  for (; *dec; dec++) {
    ref_mul(r, r, &ten);
    ref_small(&d, (uint64_t)(*dec - '0'));
    ref_add(r, r, &d);
  }
}

/* Is u the u-coordinate of a point of Curve25519 (v^2 = u^3 + 486662 u^2 + u)
 * rather than of its twist? */
static inline bool ref_on_curve(const ref_fe *u) {
  ref_fe a, t, f;
  ref_small(&a, 486662);
  ref_add(&t, u, &a);  /* u + A */
  ref_mul(&t, &t, u);  /* u^2 + A u */
  ref_small(&f, 1);
  ref_add(&t, &t, &f); /* u^2 + A u + 1 */
  ref_mul(&f, &t, u);
  return ref_is_square(&f);
}

/* The two u-coordinates of order 8 on Curve25519, as listed by Bernstein,
 * "Curve25519: new Diffie-Hellman speed records" web page
 * (https://cr.yp.to/ecdh.html, "How do I validate Curve25519 public keys?"). */
static const char *const REF_ORDER8_DEC[2] = {
    "325606250916557431795983626356110631294008115727848805560023387167927233504",
    "39382357235489614581723060781553021112529911719440698176882885853963445705823"};

/* Edwards25519 y = (u - 1) / (u + 1) and back u = (1 + y) / (1 - y). */
static inline void ref_u_to_y(ref_fe *y, const ref_fe *u) {
  ref_fe one, n, d;
  ref_small(&one, 1);
  ref_sub(&n, u, &one);
  ref_add(&d, u, &one);
  ref_inv(&d, &d);
  ref_mul(y, &n, &d);
}
static inline void ref_y_to_u(ref_fe *u, const ref_fe *y) {
  ref_fe one, n, d;
  ref_small(&one, 1);
  ref_add(&n, &one, y);
  ref_sub(&d, &one, y);
  ref_inv(&d, &d);
  ref_mul(u, &n, &d);
}

/* Hop keys every check must refuse, filled into bad[0..REF_BAD_KEYS):
 * - the canonical u of every point of small order: 0 (order 2), 1 (order 4),
 *   the two of order 8 (with the identity, the 8 points of the curve's
 *   torsion group), and p - 1 (order 4 on the twist);
 * - non-canonical encodings: p, p + 1, 2^255 - 1, and a valid key and an
 *   order-8 point with bit 255 set;
 * - valid_pk + each of the 7 torsion points (Edwards addition by libsodium,
 *   mapped here), and 1/u(valid_pk), which is P + (0, 0) on the curve;
 * - 8 random twist points (u^3 + A u^2 + u not a square).
 * valid_ed is a point of the prime-order subgroup (Edwards encoding) and
 * valid_pk its u. false if libsodium refused an Edwards addition. */
enum { REF_BAD_KEYS = 5 + 5 + 8 + 8 };

static inline bool ref_bad_keys(uint8_t bad[REF_BAD_KEYS][32], const uint8_t valid_ed[32],
                                const uint8_t valid_pk[32]) {
  ref_fe t, one;
  bool ok = true;
  size_t n = 0;
  ref_small(&one, 1);
  ref_small(&t, 0);
  ref_to_bytes(bad[n++], &t);
  ref_to_bytes(bad[n++], &one);
  ref_from_dec(&t, REF_ORDER8_DEC[0]);
  ref_to_bytes(bad[n++], &t);
  ref_from_dec(&t, REF_ORDER8_DEC[1]);
  ref_to_bytes(bad[n++], &t);
  ref_sub(&t, &(ref_fe){{0}}, &one);
  ref_to_bytes(bad[n++], &t); /* p - 1 */
  /* non-canonical */
  for (uint64_t k = 0; k < 2; k++) {
    uint64_t v[4] = {REF_P.w[0] + k, REF_P.w[1], REF_P.w[2], REF_P.w[3]};
    for (int i = 0; i < 32; i++) bad[n][i] = (uint8_t)(v[i / 8] >> (8 * (i % 8)));
    n++;
  }
  memset(bad[n], 0xff, 32);
  bad[n++][31] = 0x7f; /* 2^255 - 1 = p + 18 */
  memcpy(bad[n], valid_pk, 32);
  bad[n++][31] |= 0x80;
  memcpy(bad[n], bad[2], 32);
  bad[n++][31] |= 0x80;
  /* torsion parts: T2 = (0, -1), T4 = (+-sqrt(-1), 0), T8 from the order-8 u */
  uint8_t tors[7][32];
  ref_sub(&t, &(ref_fe){{0}}, &one);
  ref_to_bytes(tors[0], &t);
  memset(tors[1], 0, 32);
  memset(tors[2], 0, 32);
  tors[2][31] = 0x80;
  for (int k = 0; k < 2; k++) {
    ref_fe u8, y;
    ref_from_dec(&u8, REF_ORDER8_DEC[k]);
    ref_u_to_y(&y, &u8);
    ref_to_bytes(tors[3 + 2 * k], &y);
    ref_to_bytes(tors[4 + 2 * k], &y);
    tors[4 + 2 * k][31] |= 0x80;
  }
  for (int k = 0; k < 7; k++) {
    uint8_t sum[32];
    ref_fe y, u;
    if (crypto_core_ed25519_add(sum, valid_ed, tors[k]) != 0) ok = false;
    sum[31] &= 0x7f;
    ref_from_bytes(&y, sum);
    ref_y_to_u(&u, &y);
    ref_to_bytes(bad[n++], &u);
  }
  ref_from_bytes(&t, valid_pk);
  ref_inv(&t, &t);
  ref_to_bytes(bad[n++], &t);
  /* twist points */
  while (n < REF_BAD_KEYS) {
    uint8_t r[32];
    randombytes_buf(r, 32);
    r[31] &= 0x7f;
    ref_from_bytes(&t, r);
    if (ref_on_curve(&t)) continue;
    ref_to_bytes(bad[n++], &t);
  }
  return ok;
}

#endif
