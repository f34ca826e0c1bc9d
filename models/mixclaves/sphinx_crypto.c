/* The primitives of the Sphinx profiles: BLAKE2b key derivation with a
 * one-byte prefix per purpose (optionally personalised per profile), the
 * ChaCha20 header stream, the keyed-BLAKE2b header MAC, blinding factors,
 * replay tags, and X25519 by an arbitrary scalar mod L. The last works
 * because for P in the prime-order subgroup X25519(k, P) = u([k mod L]P)
 * and u([c]P) = u([-c]P): a clamped k = 8m, 2^251 <= m < 2^252, with
 * 8m = +-c (mod L) gives u([c]P) in one ladder. For the base point it is
 * cheaper still to use libsodium's fixed-base Edwards multiplication and
 * map the point to Montgomery form, u = (1 + y) / (1 - y), with the
 * arithmetic mod p = 2^255 - 19 of sphinx_table.c. */
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

int sphinx__mul_base(uint8_t out[32], const uint8_t c[32]) {
  uint8_t ed[32];
  /* fails only for c = 0 (the identity); the caller then takes the chain */
  if (crypto_scalarmult_ed25519_base_noclamp(ed, c) != 0) return CM_ERANGE;
  sphinx__edwards_to_u(out, ed);
  sodium_memzero(ed, sizeof ed);
  return 0;
}
