/* sum128: a fast 128-bit checksum of ours, not cryptographic, for the
 * abstract codec and the client payload: it catches corruption, never a
 * forger (see codec_abstract.c). Always detects a change confined to one
 * aligned 8-byte word (any single flipped bit); other changes with
 * probability about 1 - 2^-64. Little endian on every host. */
#ifndef MIXCLAVES_SUM128_H
#define MIXCLAVES_SUM128_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define SUM128_BYTES 16

/* Four 64-bit lanes, each absorbing every fourth word as
 * lane = rotl((lane ^ w) * odd, 29), a bijection of the lane for a fixed
 * word and of the word for a fixed lane: a change confined to one
 * word changes that lane and no other, and it stays changed to the end.
 * The lanes are then folded together by bijective steps, so the difference
 * reaches both output words. One multiply a word, four in flight: 92 ns
 * for 2 KiB here (22 GB/s), 30 ns for 284 bytes. The length seeds a lane, so zero tails count. */
#define SUM128_K0 0x9e3779b97f4a7c15ull
#define SUM128_K1 0xc2b2ae3d27d4eb4full
#define SUM128_K2 0x165667b19e3779f9ull
#define SUM128_K3 0xd6e8feb86659fd93ull

static inline uint64_t sum128_rotl(uint64_t x, int r) { return x << r | x >> (64 - r); }
/* Little endian whatever the host, so that hosts agree (compilers turn this
 * into one load on little-endian machines). */
static inline uint64_t sum128_load64(const uint8_t *p) {
  return (uint64_t)p[0] | (uint64_t)p[1] << 8 | (uint64_t)p[2] << 16 | (uint64_t)p[3] << 24 |
         (uint64_t)p[4] << 32 | (uint64_t)p[5] << 40 | (uint64_t)p[6] << 48 | (uint64_t)p[7] << 56;
}
static inline void sum128_store64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static inline uint64_t sum128_absorb(uint64_t lane, uint64_t w, uint64_t k) {
  return sum128_rotl((lane ^ w) * k, 29);
}
static inline uint64_t sum128_finish(uint64_t x) {
  x ^= x >> 31;
  x *= SUM128_K1;
  x ^= x >> 29;
  x *= SUM128_K3;
  return x ^ x >> 32;
}

static inline void sum128(const uint8_t *p, size_t n, uint8_t out[SUM128_BYTES]) {
  uint64_t l0 = SUM128_K0, l1 = SUM128_K1, l2 = SUM128_K2, l3 = SUM128_K3 ^ n;
  size_t i = 0;
  for (; i + 32 <= n; i += 32) {
    l0 = sum128_absorb(l0, sum128_load64(p + i), SUM128_K1);
    l1 = sum128_absorb(l1, sum128_load64(p + i + 8), SUM128_K2);
    l2 = sum128_absorb(l2, sum128_load64(p + i + 16), SUM128_K3);
    l3 = sum128_absorb(l3, sum128_load64(p + i + 24), SUM128_K1);
  }
  uint8_t tail[32] = {0};
  if (i < n) {
    memcpy(tail, p + i, n - i);
    l0 = sum128_absorb(l0, sum128_load64(tail), SUM128_K1);
    l1 = sum128_absorb(l1, sum128_load64(tail + 8), SUM128_K2);
    l2 = sum128_absorb(l2, sum128_load64(tail + 16), SUM128_K3);
    l3 = sum128_absorb(l3, sum128_load64(tail + 24), SUM128_K1);
  }
  uint64_t a = sum128_finish(l0 ^ sum128_rotl(l1, 21)), b = sum128_finish(l2 ^ sum128_rotl(l3, 43));
  uint64_t h0 = sum128_finish(a + b), h1 = sum128_finish(b ^ sum128_rotl(h0, 17));
  sum128_store64(out, h0);
  sum128_store64(out + 8, h1);
}

#endif
