/* The primitives of the Sphinx profiles: BLAKE2b key derivation with a
 * one-byte prefix per purpose (optionally personalised per profile), the
 * ChaCha20 header stream, the keyed-BLAKE2b header MAC, blinding factors,
 * replay tags, and X25519 by an arbitrary scalar mod L. The last works
 * because for P in the prime-order subgroup X25519(k, P) = u([k mod L]P)
 * and u([c]P) = u([-c]P): a clamped k = 8m, 2^251 <= m < 2^252, with
 * 8m = +-c (mod L) gives u([c]P) in one ladder. For the base point it is
 * cheaper still to use libsodium's fixed-base Edwards multiplication and
 * map the point to Montgomery form, u = (1 + y) / (1 - y), with the small
 * arithmetic mod p = 2^255 - 19 below. */
#include "mixclaves/sphinx_impl.h"

#include <sodium.h>
#include <string.h>

static const uint8_t zero_nonce[crypto_stream_chacha20_NONCEBYTES];

/* out (outlen) = BLAKE2b(prefix || a || b), personalised if the profile says so. */
static void kdf(const struct sphinx_profile *p, uint8_t prefix, const uint8_t *a, size_t alen,
                const uint8_t *b, size_t blen, uint8_t *out, size_t outlen) {
  crypto_generichash_blake2b_state st;
  if (p->kdf_domain) {
    uint8_t personal[crypto_generichash_blake2b_PERSONALBYTES] = {0};
    size_t n = strlen(p->kdf_domain);
    memcpy(personal, p->kdf_domain, n < sizeof personal ? n : sizeof personal);
    crypto_generichash_blake2b_init_salt_personal(&st, NULL, 0, outlen, NULL, personal);
  } else {
    crypto_generichash_blake2b_init(&st, NULL, 0, outlen);
  }
  crypto_generichash_blake2b_update(&st, &prefix, 1);
  if (alen) crypto_generichash_blake2b_update(&st, a, alen);
  if (blen) crypto_generichash_blake2b_update(&st, b, blen);
  crypto_generichash_blake2b_final(&st, out, outlen);
}

void sphinx__stream_key(const struct sphinx_profile *p, const uint8_t s[32], uint8_t key[32]) {
  kdf(p, p->prefix_stream, s, 32, NULL, 0, key, 32);
}

void sphinx__stream(const struct sphinx_profile *p, const uint8_t s[32], uint8_t *out, size_t len) {
  uint8_t key[32];
  sphinx__stream_key(p, s, key);
  crypto_stream_chacha20(out, len, zero_nonce, key);
  sodium_memzero(key, sizeof key);
}

void sphinx__block_key(const struct sphinx_profile *p, const uint8_t s[32],
                       uint8_t key[LIONESS_KEY_BYTES]) {
  uint8_t k[32];
  if (p->block_key_from_stream)
    sphinx__stream_key(p, s, k);
  else
    kdf(p, p->prefix_block, s, 32, NULL, 0, k, 32);
  crypto_stream_chacha20(key, LIONESS_KEY_BYTES, zero_nonce, k);
  sodium_memzero(k, sizeof k);
}

void sphinx__mac_key(const struct sphinx_profile *p, const uint8_t s[32], uint8_t *key) {
  kdf(p, p->prefix_mac, s, 32, NULL, 0, key, p->mac_bytes);
}

void sphinx__mac(const struct sphinx_profile *p, const uint8_t *key, const uint8_t *data,
                 size_t len, uint8_t *mac) {
  crypto_generichash(mac, p->mac_bytes, data, len, key, p->mac_bytes);
}

void sphinx__mac2(const struct sphinx_profile *p, const uint8_t *key, const uint8_t *a,
                  size_t alen, const uint8_t *b, size_t blen, uint8_t *mac) {
  crypto_generichash_blake2b_state st;
  crypto_generichash_blake2b_init(&st, key, p->mac_bytes, p->mac_bytes);
  if (alen) crypto_generichash_blake2b_update(&st, a, alen);
  crypto_generichash_blake2b_update(&st, b, blen);
  crypto_generichash_blake2b_final(&st, mac, p->mac_bytes);
}

void sphinx__clamp(uint8_t k[32]) {
  k[0] &= 248;
  k[31] &= 127;
  k[31] |= 64;
}

void sphinx__blind(const struct sphinx_profile *p, const uint8_t alpha[32], const uint8_t s[32],
                   uint8_t b[32]) {
  kdf(p, p->prefix_blind, alpha, 32, s, 32, b, 32);
  sphinx__clamp(b);
}

void sphinx__replay_tag(const struct sphinx_profile *p, const uint8_t s[32], uint8_t tag[32]) {
  kdf(p, p->prefix_replay, s, 32, NULL, 0, tag, 32);
}

void sphinx__scalar_reduce(const uint8_t k[32], uint8_t r[32]) {
  uint8_t wide[64] = {0};
  memcpy(wide, k, 32);
  crypto_core_ed25519_scalar_reduce(r, wide);
  sodium_memzero(wide, sizeof wide);
}

/* m in [2^251, 2^252)? (little-endian: byte 31 is 0x08..0x0f) */
static bool fits(const uint8_t m[32]) { return (m[31] & 0xf8) == 0x08; }

/* 1/8 mod L, little-endian (8 * INV8 = 1 mod L; checked in the unit test).
 * A constant: inverting at every call cost as much as a scalar multiplication. */
const uint8_t sphinx__inv8[32] = {
    0x79, 0x2f, 0xdc, 0xe2, 0x29, 0xe5, 0x06, 0x61, 0xd0, 0xda, 0x1c, 0x7d, 0xb3, 0x9d, 0xd3, 0x07,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06};

int sphinx__mul_scalar(uint8_t out[32], const uint8_t c[32], const uint8_t *u) {
  uint8_t m[32], k[32];
  int rc = 0;
  crypto_core_ed25519_scalar_mul(m, c, sphinx__inv8);
  if (!fits(m)) crypto_core_ed25519_scalar_negate(m, m);
  if (!fits(m)) {
    rc = CM_ERANGE;
    goto out;
  }
  /* k = 8m: shift left by 3; m < 2^252 so nothing is lost. */
  uint8_t carry = 0;
  for (int i = 0; i < 32; i++) {
    k[i] = (uint8_t)((m[i] << 3) | carry);
    carry = (uint8_t)(m[i] >> 5);
  }
  if (u ? crypto_scalarmult_curve25519(out, k, u) : crypto_scalarmult_curve25519_base(out, k))
    rc = CM_EPARSE;
out:
  sodium_memzero(m, sizeof m);
  sodium_memzero(k, sizeof k);
  return rc;
}

/* Arithmetic mod p = 2^255 - 19, enough for the Edwards-to-Montgomery map:
 * five 51-bit limbs, products in unsigned __int128. No branch or index
 * depends on the values. A limb may exceed 2^51 by a few bits between
 * operations; fp_mul, fp_sq and fp_to_bytes accept limbs below 2^54. */
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

/* 1/z = z^(p-2) = z^(2^255 - 21) (Fermat; 0 maps to 0), by the usual chain
 * of 254 squarings and 11 multiplications: build z^(2^k - 1) for k = 5,
 * 10, 20, 40, 50, 100, 200, 250, then shift in the low bits 01011. */
static void fp_invert(fp *out, const fp *z) {
  fp z2, z9, z11, e5, e10, e20, e50, e100, t;
  fp_sq(&z2, z);           /* z^2 */
  fp_sq_times(&t, &z2, 2); /* z^8 */
  fp_mul(&z9, &t, z);      /* z^9 */
  fp_mul(&z11, &z9, &z2);  /* z^11 */
  fp_sq(&t, &z11);         /* z^22 */
  fp_mul(&e5, &t, &z9);    /* z^31 = z^(2^5 - 1) */
  fp_sq_times(&t, &e5, 5);
  fp_mul(&e10, &t, &e5); /* z^(2^10 - 1) */
  fp_sq_times(&t, &e10, 10);
  fp_mul(&e20, &t, &e10); /* z^(2^20 - 1) */
  fp_sq_times(&t, &e20, 20);
  fp_mul(&t, &t, &e20); /* z^(2^40 - 1) */
  fp_sq_times(&t, &t, 10);
  fp_mul(&e50, &t, &e10); /* z^(2^50 - 1) */
  fp_sq_times(&t, &e50, 50);
  fp_mul(&e100, &t, &e50); /* z^(2^100 - 1) */
  fp_sq_times(&t, &e100, 100);
  fp_mul(&t, &t, &e100); /* z^(2^200 - 1) */
  fp_sq_times(&t, &t, 50);
  fp_mul(&t, &t, &e50); /* z^(2^250 - 1) */
  fp_sq_times(&t, &t, 5);
  fp_mul(out, &t, &z11); /* z^(2^255 - 32 + 11) */
}

void sphinx__fp_invert(uint8_t out[32], const uint8_t in[32]) {
  fp z, r;
  fp_from_bytes(&z, in);
  fp_invert(&r, &z);
  fp_to_bytes(out, &r);
}

void sphinx__edwards_to_u(uint8_t u[32], const uint8_t ed[32]) {
  static const fp one = {{1, 0, 0, 0, 0}};
  fp y, num, den, inv;
  fp_from_bytes(&y, ed);
  fp_add(&num, &one, &y);
  fp_sub(&den, &one, &y);
  fp_invert(&inv, &den);
  fp_mul(&num, &num, &inv);
  fp_to_bytes(u, &num);
}

int sphinx__mul_base(uint8_t out[32], const uint8_t c[32]) {
  uint8_t ed[32];
  /* fails only for c = 0 (the identity); the caller then takes the chain */
  if (crypto_scalarmult_ed25519_base_noclamp(ed, c) != 0) return CM_ERANGE;
  sphinx__edwards_to_u(out, ed);
  sodium_memzero(ed, sizeof ed);
  return 0;
}
