/* The primitives of the Sphinx profiles: BLAKE2b key derivation with a
 * one-byte prefix per purpose (optionally personalised per profile), the
 * ChaCha20 header stream, the keyed-BLAKE2b header MAC, blinding factors,
 * replay tags, scalar reduction, and the canonical-u test. The group
 * operations are in sphinx_table.c. */
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

/* 1/8 mod L, little-endian (8 * INV8 = 1 mod L; checked in the unit test).
 * A constant: inverting at every call cost as much as a scalar multiplication. */
const uint8_t sphinx__inv8[32] = {
    0x79, 0x2f, 0xdc, 0xe2, 0x29, 0xe5, 0x06, 0x61, 0xd0, 0xda, 0x1c, 0x7d, 0xb3, 0x9d, 0xd3, 0x07,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x06};

bool sphinx__u_canonical(const uint8_t u[32]) {
  if (u[31] & 0x80) return false;
  if (u[31] != 0x7f || u[0] < 0xed) return true;
  for (int i = 1; i < 31; i++)
    if (u[i] != 0xff) return true;
  return false; /* 2^255 - 19 <= u < 2^255 */
}
