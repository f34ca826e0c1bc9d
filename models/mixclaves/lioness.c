/* LIONESS over ChaCha20 (zero nonce, the original 8-byte-nonce variant) and
 * keyed BLAKE2b-256 (libsodium crypto_generichash); see lioness.h. The
 * left half is exactly one ChaCha20 key, so L ^ Ki is the round's stream key. */
#include "mixclaves/lioness.h"

#include <sodium.h>
#include <stdbool.h>
#include <string.h>

enum { HALF = 32, HKEY = 64 };

static const uint8_t zero_nonce[crypto_stream_chacha20_NONCEBYTES];

/* R ^= ChaCha20(L ^ k) */
static void round_stream(const uint8_t *l, const uint8_t *k, uint8_t *r, size_t rlen) {
  uint8_t sk[HALF];
  for (size_t i = 0; i < HALF; i++) sk[i] = l[i] ^ k[i];
  crypto_stream_chacha20_xor(r, r, rlen, zero_nonce, sk);
  sodium_memzero(sk, sizeof sk);
}

/* L ^= BLAKE2b-256(key = k, R) */
static void round_hash(uint8_t *l, const uint8_t *k, const uint8_t *r, size_t rlen) {
  uint8_t h[HALF];
  crypto_generichash(h, sizeof h, r, rlen, k, HKEY);
  for (size_t i = 0; i < HALF; i++) l[i] ^= h[i];
}

/* The four rounds in order (encrypt) or in reverse (decrypt); rounds 0 and 2
 * are stream rounds, 1 and 3 hash rounds. */
static int rounds(uint8_t *block, size_t len, const uint8_t *key, bool reverse) {
  if (!block || !key || len < LIONESS_MIN_BLOCK_BYTES) return CM_EINVAL;
  uint8_t *l = block, *r = block + HALF;
  size_t rlen = len - HALF;
  const uint8_t *k[4] = {key, key + HALF, key + HALF + HKEY, key + 2 * HALF + HKEY};
  for (int i = 0; i < 4; i++) {
    int j = reverse ? 3 - i : i;
    if (j % 2 == 0)
      round_stream(l, k[j], r, rlen);
    else
      round_hash(l, k[j], r, rlen);
  }
  return 0;
}

int lioness_encrypt(uint8_t *block, size_t len, const uint8_t key[LIONESS_KEY_BYTES]) {
  return rounds(block, len, key, false);
}

int lioness_decrypt(uint8_t *block, size_t len, const uint8_t key[LIONESS_KEY_BYTES]) {
  return rounds(block, len, key, true);
}
