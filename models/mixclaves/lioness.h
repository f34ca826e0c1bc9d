/* LIONESS wide-block cipher (Anderson and Biham 1996) built from ChaCha20
 * and keyed BLAKE2b-256, in the layout of lioness-rs and go-lioness:
 * block = L (32 bytes) || R (rest); four rounds R ^= S(L ^ K1),
 * L ^= H(K2, R), R ^= S(L ^ K3), L ^= H(K4, R), where S is the ChaCha20
 * keystream under a zero nonce and H is BLAKE2b-256 keyed with 64 bytes. */
#ifndef MIXCLAVES_LIONESS_H
#define MIXCLAVES_LIONESS_H

#include <stddef.h>
#include <stdint.h>

#include "cm.h"

/* Key = K1 (32) || K2 (64) || K3 (32) || K4 (64). */
#define LIONESS_KEY_BYTES 192
/* Smallest block: the 32-byte left half plus at least one byte. */
#define LIONESS_MIN_BLOCK_BYTES 33

/* Encrypt / decrypt block[0..len) in place with key. 0, or CM_EINVAL when
 * len < LIONESS_MIN_BLOCK_BYTES. Arguments are borrowed. */
int lioness_encrypt(uint8_t *block, size_t len, const uint8_t key[LIONESS_KEY_BYTES]);
int lioness_decrypt(uint8_t *block, size_t len, const uint8_t key[LIONESS_KEY_BYTES]);

#endif
