/* Arithmetic mod p = 2^255 - 19 and on Edwards25519 for Sphinx creation:
 * the Edwards-to-Montgomery map, the hop-key check (sphinx_pk_check), and
 * u([c]P) for the base point and for a node key P from fixed-base tables
 * kept per thread (the base point's, and the last few keys'). A table holds j * 2^(16i) * [8]P for j = 1..8, i = 0..15
 * in affine form; c/8 mod L is recoded into 64 signed radix-16 digits and
 * [c]P = [c/8][8]P is summed four digits apart with 64 additions and 12
 * doublings, then mapped to u = (Z + Y) / (Z - Y). [c/8][8]P = [c]P holds
 * because only keys of the prime-order subgroup get a usable table. */
#include "mixclaves/sphinx_impl.h"

#include <sodium.h>
#include <string.h>

#include "mixclaves/ct.h"

/* Arithmetic mod p = 2^255 - 19: five 51-bit limbs, products in unsigned
 * __int128. No branch or index depends on the values. A limb may exceed
 * 2^51 by a few bits between operations; fp_mul, fp_sq and fp_to_bytes
 * accept limbs below 2^54. */
typedef struct {
  uint64_t v[5];
} fp;

#define LIMB_MASK ((UINT64_C(1) << 51) - 1)

static void fp_from_bytes(fp *h, const uint8_t s[32]) {
  uint64_t w[4];
  for (int i = 0; i < 4; i++) {
    w[i] = 0;
    for (int j = 7; j >= 0; j--) w[i] = w[i] << 8 | s[8 * i + j];
  }
  /* bit 255 (the Edwards sign of x) falls off the top limb */
  h->v[0] = w[0] & LIMB_MASK;
  h->v[1] = (w[0] >> 51 | w[1] << 13) & LIMB_MASK;
  h->v[2] = (w[1] >> 38 | w[2] << 26) & LIMB_MASK;
  h->v[3] = (w[2] >> 25 | w[3] << 39) & LIMB_MASK;
  h->v[4] = (w[3] >> 12) & LIMB_MASK;
}

/* The unique encoding of f mod p, little-endian. */
static void fp_to_bytes(uint8_t s[32], const fp *f) {
  fp h = *f;
  /* one carry pass (2^255 = 19 folds the top carry back in) leaves limbs
   * 1..4 below 2^51 and limb 0 below 2^51 + 2^8, so h < 2p */
  for (int i = 0; i < 4; i++) {
    h.v[i + 1] += h.v[i] >> 51;
    h.v[i] &= LIMB_MASK;
  }
  h.v[0] += 19 * (h.v[4] >> 51);
  h.v[4] &= LIMB_MASK;
  /* q = 1 exactly when h >= p, i.e. when h + 19 reaches 2^255 */
  uint64_t q = (h.v[0] + 19) >> 51;
  for (int i = 1; i < 5; i++) q = (h.v[i] + q) >> 51;
  h.v[0] += 19 * q; /* h + 19 - 2^255 = h - p: the 2^255 is masked off below */
  for (int i = 0; i < 4; i++) {
    h.v[i + 1] += h.v[i] >> 51;
    h.v[i] &= LIMB_MASK;
  }
  h.v[4] &= LIMB_MASK;
  uint64_t w[4] = {h.v[0] | h.v[1] << 51, h.v[1] >> 13 | h.v[2] << 38,
                   h.v[2] >> 26 | h.v[3] << 25, h.v[3] >> 39 | h.v[4] << 12};
  for (int i = 0; i < 4; i++)
    for (int j = 0; j < 8; j++) s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

static void fp_add(fp *h, const fp *f, const fp *g) {
  for (int i = 0; i < 5; i++) h->v[i] = f->v[i] + g->v[i];
}

/* f - g + 2p, so no limb goes negative while g's limbs are below 2^52 - 38. */
static void fp_sub(fp *h, const fp *f, const fp *g) {
  h->v[0] = f->v[0] + 2 * (LIMB_MASK - 18) - g->v[0];
  for (int i = 1; i < 5; i++) h->v[i] = f->v[i] + 2 * LIMB_MASK - g->v[i];
}

typedef unsigned __int128 u128;

static const fp one = {{1, 0, 0, 0, 0}};

/* r0..r4 (each below 2^115) -> h, limbs below 2^51 + 2^13. r4 has no
 * wrapped (times 19) terms, so it stays below 5 * 2^108 and 19 times its
 * carry out fits in 64 bits. Values, not an array, so they stay in
 * registers. */
static inline void fp_reduce_wide(fp *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4) {
  r1 += (uint64_t)(r0 >> 51);
  r2 += (uint64_t)(r1 >> 51);
  r3 += (uint64_t)(r2 >> 51);
  r4 += (uint64_t)(r3 >> 51);
  uint64_t low = ((uint64_t)r0 & LIMB_MASK) + 19 * (uint64_t)(r4 >> 51);
  h->v[0] = low & LIMB_MASK;
  h->v[1] = ((uint64_t)r1 & LIMB_MASK) + (low >> 51);
  h->v[2] = (uint64_t)r2 & LIMB_MASK;
  h->v[3] = (uint64_t)r3 & LIMB_MASK;
  h->v[4] = (uint64_t)r4 & LIMB_MASK;
}

/* Schoolbook product; limb i + j >= 5 wraps to i + j - 5 times 19. */
static void fp_mul(fp *h, const fp *f, const fp *g) {
  const uint64_t *a = f->v, *b = g->v;
  uint64_t b19[5];
  for (int i = 0; i < 5; i++) b19[i] = 19 * b[i];
  u128 r0, r1, r2, r3, r4;
  r0 = (u128)a[0] * b[0] + (u128)a[1] * b19[4] + (u128)a[2] * b19[3] + (u128)a[3] * b19[2] +
       (u128)a[4] * b19[1];
  r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b19[4] + (u128)a[3] * b19[3] +
       (u128)a[4] * b19[2];
  r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] + (u128)a[3] * b19[4] +
       (u128)a[4] * b19[3];
  r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] + (u128)a[3] * b[0] +
       (u128)a[4] * b19[4];
  r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] + (u128)a[3] * b[1] +
       (u128)a[4] * b[0];
  fp_reduce_wide(h, r0, r1, r2, r3, r4);
}

/* fp_mul(h, f, f) with each cross product counted once, doubled. */
static void fp_sq(fp *h, const fp *f) {
  const uint64_t *a = f->v;
  const uint64_t a0x2 = 2 * a[0], a1x2 = 2 * a[1], a3x19 = 19 * a[3], a4x19 = 19 * a[4];
  u128 r0, r1, r2, r3, r4;
  r0 = (u128)a[0] * a[0] + (u128)a1x2 * a4x19 + (u128)(2 * a[2]) * a3x19;
  r1 = (u128)a0x2 * a[1] + (u128)(2 * a[2]) * a4x19 + (u128)a[3] * a3x19;
  r2 = (u128)a0x2 * a[2] + (u128)a[1] * a[1] + (u128)(2 * a[3]) * a4x19;
  r3 = (u128)a0x2 * a[3] + (u128)a1x2 * a[2] + (u128)a[4] * a4x19;
  r4 = (u128)a0x2 * a[4] + (u128)a1x2 * a[3] + (u128)a[2] * a[2];
  fp_reduce_wide(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n) */
static void fp_sq_times(fp *h, const fp *f, int n) {
  fp_sq(h, f);
  while (--n > 0) fp_sq(h, h);
}

/* z^(2^250 - 1) and z^11, the common start of the exponent chains for
 * 1/z and the square root: 249 squarings and 10 multiplications. */
static void fp_pow_250(fp *t, fp *z11, const fp *z) {
  fp z2, z9, e5, e10, e20, e50, e100;
  fp_sq(&z2, z);          /* z^2 */
  fp_sq_times(t, &z2, 2); /* z^8 */
  fp_mul(&z9, t, z);      /* z^9 */
  fp_mul(z11, &z9, &z2);  /* z^11 */
  fp_sq(t, z11);          /* z^22 */
  fp_mul(&e5, t, &z9);    /* z^31 = z^(2^5 - 1) */
  fp_sq_times(t, &e5, 5);
  fp_mul(&e10, t, &e5); /* z^(2^10 - 1) */
  fp_sq_times(t, &e10, 10);
  fp_mul(&e20, t, &e10); /* z^(2^20 - 1) */
  fp_sq_times(t, &e20, 20);
  fp_mul(t, t, &e20); /* z^(2^40 - 1) */
  fp_sq_times(t, t, 10);
  fp_mul(&e50, t, &e10); /* z^(2^50 - 1) */
  fp_sq_times(t, &e50, 50);
  fp_mul(&e100, t, &e50); /* z^(2^100 - 1) */
  fp_sq_times(t, &e100, 100);
  fp_mul(t, t, &e100); /* z^(2^200 - 1) */
  fp_sq_times(t, t, 50);
  fp_mul(t, t, &e50); /* z^(2^250 - 1) */
}

/* 1/z = z^(p-2) = z^(2^255 - 21) (Fermat; 0 maps to 0): shift in the low
 * bits 01011. */
static void fp_invert(fp *out, const fp *z) {
  fp t, z11;
  fp_pow_250(&t, &z11, z);
  fp_sq_times(&t, &t, 5);
  fp_mul(out, &t, &z11); /* z^(2^255 - 32 + 11) */
}

/* z^((p-5)/8) = z^(2^252 - 3), for the square root. */
static void fp_pow_2523(fp *out, const fp *z) {
  fp t, z11;
  fp_pow_250(&t, &z11, z);
  fp_sq_times(&t, &t, 2);
  fp_mul(out, &t, z);
}

void sphinx__fp_invert(uint8_t out[32], const uint8_t in[32]) {
  fp z, r;
  fp_from_bytes(&z, in);
  fp_invert(&r, &z);
  fp_to_bytes(out, &r);
}

void sphinx__edwards_to_u(uint8_t u[32], const uint8_t ed[32]) {
  fp y, num, den, inv;
  fp_from_bytes(&y, ed);
  fp_add(&num, &one, &y);
  fp_sub(&den, &one, &y);
  fp_invert(&inv, &den);
  fp_mul(&num, &num, &inv);
  fp_to_bytes(u, &num);
}

/* Canonical encodings compared: for public values only. */
static bool fp_eq(const fp *f, const fp *g) {
  uint8_t a[32], b[32];
  fp_to_bytes(a, f);
  fp_to_bytes(b, g);
  return memcmp(a, b, 32) == 0;
}

/* Edwards25519, -x^2 + y^2 = 1 + d x^2 y^2, with d = -121665/121666 and
 * sqrt(-1) = 2^((p-1)/4) (Bernstein, Duif, Lange, Schwabe, Yang,
 * "High-speed high-security signatures", 2011), as limbs. */
static const fp ed_d = {
    {0x34dca135978a3, 0x1a8283b156ebd, 0x5e7a26001c029, 0x739c663a03cbb, 0x52036cee2b6ff}};
static const fp ed_d2 = {
    {0x69b9426b2f159, 0x35050762add7a, 0x3cf44c0038052, 0x6738cc7407977, 0x2406d9dc56dff}};
static const fp sqrt_m1 = {
    {0x61b274a0ea0b0, 0x0d5a5fc8f189d, 0x7ef5e9cbd0c60, 0x78595a6804c9e, 0x2b8324804fc1d}};

/* Extended coordinates (Hisil, Wong, Carter, Dawson, "Twisted Edwards
 * curves revisited", 2008): x = X/Z, y = Y/Z, x y = T/Z. */
struct ge {
  fp x, y, z, t;
};
/* An addend: y + x, y - x, 2d x y and 2 Z (cached form); the table keeps
 * affine points (Z = 1) and drops z2. */
struct addend {
  fp ypx, ymx, xy2d, z2;
};
struct niels {
  fp ypx, ymx, xy2d;
};

/* The end of add-2008-hwcd-3 (a = -1, complete): a = (Y1 - X1)(y2 - x2),
 * b = (Y1 + X1)(y2 + x2), c = T1 * 2d x2 y2, dd = 2 Z1 Z2. */
static void ge_add_end(struct ge *r, const fp *a, const fp *b, const fp *c, const fp *dd) {
  fp e, f, g, h;
  fp_sub(&e, b, a);
  fp_sub(&f, dd, c);
  fp_add(&g, dd, c);
  fp_add(&h, b, a);
  fp_mul(&r->x, &e, &f);
  fp_mul(&r->y, &g, &h);
  fp_mul(&r->t, &e, &h);
  fp_mul(&r->z, &f, &g);
}

/* r = p + q for an affine q: 7 multiplications. */
static void ge_add_niels(struct ge *r, const struct ge *p, const struct niels *q) {
  fp a, b, c, dd;
  fp_sub(&a, &p->y, &p->x);
  fp_mul(&a, &a, &q->ymx);
  fp_add(&b, &p->y, &p->x);
  fp_mul(&b, &b, &q->ypx);
  fp_mul(&c, &p->t, &q->xy2d);
  fp_add(&dd, &p->z, &p->z);
  ge_add_end(r, &a, &b, &c, &dd);
}

/* r = p + q for any q (table building only). */
static void ge_add(struct ge *r, const struct ge *p, const struct addend *q) {
  fp a, b, c, dd;
  fp_sub(&a, &p->y, &p->x);
  fp_mul(&a, &a, &q->ymx);
  fp_add(&b, &p->y, &p->x);
  fp_mul(&b, &b, &q->ypx);
  fp_mul(&c, &p->t, &q->xy2d);
  fp_mul(&dd, &p->z, &q->z2);
  ge_add_end(r, &a, &b, &c, &dd);
}

static void ge_to_addend(struct addend *r, const struct ge *p) {
  fp_add(&r->ypx, &p->y, &p->x);
  fp_sub(&r->ymx, &p->y, &p->x);
  fp_mul(&r->xy2d, &p->t, &ed_d2);
  fp_add(&r->z2, &p->z, &p->z);
}

/* r = 2p by dbl-2008-hwcd with a = -1, all four outputs negated (the same
 * projective point) so that every subtrahend is a fresh product. */
static void ge_dbl(struct ge *r, const struct ge *p) {
  fp a, b, c, e, f, g, h;
  fp_sq(&a, &p->x);
  fp_sq(&b, &p->y);
  fp_sq(&c, &p->z);
  fp_add(&c, &c, &c);
  fp_mul(&e, &p->x, &p->y);
  fp_add(&e, &e, &e); /* 2XY */
  fp_sub(&g, &b, &a);
  fp_add(&f, &c, &a);
  fp_sub(&f, &f, &b); /* 2Z^2 - (Y^2 - X^2) */
  fp_add(&h, &a, &b);
  fp_mul(&r->x, &e, &f);
  fp_mul(&r->y, &g, &h);
  fp_mul(&r->t, &e, &h);
  fp_mul(&r->z, &f, &g);
}

/* x with -x^2 + y^2 = 1 + d x^2 y^2 for the point of Curve25519 with
 * u-coordinate u, y = (u - 1) / (u + 1); either sign of x serves, since
 * u([c]Q) = u([-c]Q). The root of n/v as n v^3 (n v^7)^((p-5)/8), times
 * sqrt(-1) if needed (RFC 8032, 5.1.3). false for u on the twist (no
 * root). u = -1, the one point with no affine image, becomes y = 0, a
 * point of order 4, which the subgroup check of table_build refuses like
 * every point of small order. The key is public: variable time. */
static bool ge_from_u(struct ge *r, const uint8_t u[32]) {
  fp m, n, neg_n, v, v3, t, chk;
  fp_from_bytes(&m, u);
  fp_add(&v, &m, &one);
  fp_sub(&n, &m, &one);
  fp_invert(&v, &v);
  fp_mul(&r->y, &n, &v);
  fp_sq(&t, &r->y); /* x^2 = (y^2 - 1) / (d y^2 + 1) */
  fp_sub(&n, &t, &one);
  fp_sub(&neg_n, &one, &t);
  fp_mul(&v, &t, &ed_d);
  fp_add(&v, &v, &one);
  fp_sq(&v3, &v);
  fp_mul(&v3, &v3, &v);
  fp_sq(&t, &v3);
  fp_mul(&t, &t, &v);
  fp_mul(&t, &t, &n);
  fp_pow_2523(&t, &t);
  fp_mul(&t, &t, &v3);
  fp_mul(&r->x, &t, &n);
  fp_sq(&chk, &r->x);
  fp_mul(&chk, &chk, &v);
  if (fp_eq(&chk, &neg_n))
    fp_mul(&r->x, &r->x, &sqrt_m1);
  else if (!fp_eq(&chk, &n))
    return false;
  r->z = one;
  fp_mul(&r->t, &r->x, &r->y);
  return true;
}

/* 16 rows of 8 multiples, row i for 2^(16i): 16 * 8 * 120 = 15,360 bytes
 * of points per key. */
enum { ROWS = 16, MULTIPLES = 8, ROW_BITS = 16, DIGITS = 64 };

struct key_table {
  uint8_t pk[32];
  bool valid; /* sphinx_pk_check's verdict; false: no usable table */
  struct niels row[ROWS][MULTIPLES];
};

static bool table_mul(uint8_t out[32], const struct key_table *t, const uint8_t m[32]);

/* Fill t->row for pk and decide whether pk is a valid hop key: the
 * canonical u of a point P of Curve25519 (not the twist) with [L]P = O and
 * P != O. The subgroup test uses the table itself: with Q = [8]P it
 * computes R = [1/8 mod L]Q = [1 + 3L]P (8 * (1/8 mod L) = 1 + 3L), so
 * R = P exactly when [3L]P = O, i.e. [L]P = O (3 is prime to the cofactor
 * 8). Only u is compared, and u(R) = u(P) means R = +-P; R = -P would need
 * [2 + 3L]P = O, which (2 + 3L being odd and prime to L) only P = O
 * satisfies, and no finite u is O. A key of small order has Q = O, so R is
 * the identity and table_mul reports it. 0.4 of a ladder on top of the
 * table (1.6 ladders). Public data: variable time is fine. */
static bool table_build(struct key_table *t, const uint8_t pk[32]) {
  struct ge b, pt[ROWS][MULTIPLES];
  fp prod[ROWS * MULTIPLES], inv;
  if (!sphinx__u_canonical(pk) || !ge_from_u(&b, pk)) return false;
  for (int k = 0; k < 3; k++) ge_dbl(&b, &b);
  for (int i = 0; i < ROWS; i++) {
    struct addend q;
    ge_to_addend(&q, &b);
    pt[i][0] = b;
    for (int j = 1; j < MULTIPLES; j++) ge_add(&pt[i][j], &pt[i][j - 1], &q);
    b = pt[i][MULTIPLES - 1]; /* 8 b, then 2^13 more: 2^16 b */
    for (int k = 3; k < ROW_BITS; k++) ge_dbl(&b, &b);
  }
  /* affine form with one inversion (Montgomery's trick): prod[k] = Z_0..Z_k */
  struct ge *p = &pt[0][0];
  prod[0] = p[0].z;
  for (int k = 1; k < ROWS * MULTIPLES; k++) fp_mul(&prod[k], &prod[k - 1], &p[k].z);
  fp_invert(&inv, &prod[ROWS * MULTIPLES - 1]);
  for (int k = ROWS * MULTIPLES - 1; k >= 0; k--) {
    fp zi, x, y;
    if (k > 0) {
      fp_mul(&zi, &inv, &prod[k - 1]);
      fp_mul(&inv, &inv, &p[k].z);
    } else {
      zi = inv;
    }
    struct niels *n = &t->row[k / MULTIPLES][k % MULTIPLES];
    fp_mul(&x, &p[k].x, &zi);
    fp_mul(&y, &p[k].y, &zi);
    fp_add(&n->ypx, &y, &x);
    fp_sub(&n->ymx, &y, &x);
    fp_mul(&n->xy2d, &x, &y);
    fp_mul(&n->xy2d, &n->xy2d, &ed_d2);
  }
  uint8_t r[32];
  return table_mul(r, t, sphinx__inv8) && memcmp(r, pk, 32) == 0;
}

/* r = e * row[0] for a digit -8 <= e <= 8, reading every entry: the
 * match and the sign become masks, no branch or index depends on e. */
static void table_select(struct niels *r, const struct niels row[MULTIPLES], int8_t e) {
  uint32_t ue = (uint32_t)(int32_t)e;
  uint32_t neg = ue >> 31;
  uint32_t mag = (ue ^ (0u - neg)) + neg;
  *r = (struct niels){one, one, {{0}}}; /* the identity */
  for (uint32_t j = 1; j <= MULTIPLES; j++) {
    uint64_t mask = 0 - (uint64_t)(((mag ^ j) - 1) >> 31); /* mag == j */
    for (int k = 0; k < 5; k++) {
      r->ypx.v[k] ^= (r->ypx.v[k] ^ row[j - 1].ypx.v[k]) & mask;
      r->ymx.v[k] ^= (r->ymx.v[k] ^ row[j - 1].ymx.v[k]) & mask;
      r->xy2d.v[k] ^= (r->xy2d.v[k] ^ row[j - 1].xy2d.v[k]) & mask;
    }
  }
  /* -(x, y) = (-x, y): swap y + x and y - x, negate 2dxy */
  uint64_t nmask = 0 - (uint64_t)neg;
  fp minus;
  fp_sub(&minus, &(fp){{0}}, &r->xy2d);
  for (int k = 0; k < 5; k++) {
    uint64_t s = (r->ypx.v[k] ^ r->ymx.v[k]) & nmask;
    r->ypx.v[k] ^= s;
    r->ymx.v[k] ^= s;
    r->xy2d.v[k] ^= (r->xy2d.v[k] ^ minus.v[k]) & nmask;
  }
}

/* out = u([m]Q) for [8]P = Q in t, m < 2^253; false for the identity.
 * Constant time in m; the identity verdict is declassified (below). */
static bool table_mul(uint8_t out[32], const struct key_table *t, const uint8_t m[32]) {
  int8_t e[DIGITS];
  for (int k = 0; k < 32; k++) {
    e[2 * k] = (int8_t)(m[k] & 15);
    e[2 * k + 1] = (int8_t)(m[k] >> 4);
  }
  /* digits into [-8, 8): carry 1 out of every digit above 7 */
  int8_t carry = 0;
  for (int k = 0; k < DIGITS - 1; k++) {
    e[k] = (int8_t)(e[k] + carry);
    carry = (int8_t)((e[k] + 8) >> 4);
    e[k] = (int8_t)(e[k] - (carry << 4));
  }
  e[DIGITS - 1] = (int8_t)(e[DIGITS - 1] + carry); /* at most 2, as m < 2^253 */
  /* sum_r 16^r sum_i e[4i + r] 2^(16i) Q, Horner in r */
  struct ge acc = {{{0}}, one, one, {{0}}};
  struct niels q;
  for (int r = ROW_BITS / 4 - 1; r >= 0; r--) {
    for (int i = 0; i < ROWS; i++) {
      table_select(&q, t->row[i], e[4 * i + r]);
      ge_add_niels(&acc, &acc, &q);
    }
    if (r > 0)
      for (int k = 0; k < 4; k++) ge_dbl(&acc, &acc);
  }
  fp num, den;
  fp_add(&num, &acc.z, &acc.y);
  fp_sub(&den, &acc.z, &acc.y);
  fp_invert(&den, &den);
  fp_mul(&num, &num, &den);
  fp_to_bytes(out, &num);
  sodium_memzero(e, sizeof e);
  sodium_memzero(&acc, sizeof acc);
  sodium_memzero(&q, sizeof q);
  /* Public by design: 1 bit, "is [m]Q the identity" (u = 0 is no point of
   * the prime-order subgroup but the identity's image). For a valid key it
   * means m = 0 mod L, probability about 2^-252 for a random scalar; the
   * caller then fails with CM_ERANGE and its user retries. */
  int not_identity = !sodium_is_zero(out, 32);
  ct_declassify(&not_identity, sizeof not_identity);
  return not_identity;
}

/* The last SPHINX_TABLE_KEYS keys of this thread, replaced round-robin:
 * about 15.4 KB each, 246 KB in all. Per thread, so packet builders on
 * several threads need no lock. */
static _Thread_local struct {
  struct key_table e[SPHINX_TABLE_KEYS];
  unsigned used, next;
} cache;

static const struct key_table *table_get(const uint8_t pk[32]) {
  for (unsigned k = 0; k < cache.used; k++)
    if (memcmp(cache.e[k].pk, pk, 32) == 0) return &cache.e[k];
  struct key_table *t = &cache.e[cache.next];
  cache.next = (cache.next + 1) % SPHINX_TABLE_KEYS;
  if (cache.used < SPHINX_TABLE_KEYS) cache.used++;
  memcpy(t->pk, pk, 32);
  t->valid = table_build(t, pk);
  return t;
}

int sphinx_pk_check(const uint8_t pk[SPHINX_KEY_BYTES]) {
  if (!pk) return CM_EINVAL;
  /* non-canonical forms are refused before they take a cache slot */
  if (!sphinx__u_canonical(pk)) return CM_EPARSE;
  return table_get(pk)->valid ? 0 : CM_EPARSE;
}

/* out = u([c]P) for the table t of P: [c/8][8]P. */
static int table_mul_scalar(uint8_t out[32], const struct key_table *t, const uint8_t c[32]) {
  uint8_t m[32];
  crypto_core_ed25519_scalar_mul(m, c, sphinx__inv8);
  bool ok = table_mul(out, t, m);
  sodium_memzero(m, sizeof m);
  return ok ? 0 : CM_ERANGE;
}

int sphinx__mul_key(uint8_t out[32], const uint8_t c[32], const uint8_t pk[32]) {
  const struct key_table *t = table_get(pk);
  if (!t->valid) return CM_EPARSE;
  return table_mul_scalar(out, t, c);
}

/* The base point's table (u = 9, order L), apart from the key cache so
 * that no key evicts it: built on first use in each thread, 15 KB. */
static _Thread_local struct {
  struct key_table t;
  bool built;
} base;

int sphinx__mul_base(uint8_t out[32], const uint8_t c[32]) {
  if (!base.built) {
    static const uint8_t nine[32] = {9};
    memcpy(base.t.pk, nine, 32);
    base.t.valid = table_build(&base.t, nine);
    base.built = true;
  }
  if (!base.t.valid) return CM_EPARSE; /* never: 9 has order L */
  return table_mul_scalar(out, &base.t, c);
}
