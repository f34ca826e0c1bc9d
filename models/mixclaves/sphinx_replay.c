/* The replay filter: a Bloom filter of replay tags for one node and one key
 * epoch. Tags are BLAKE2b outputs an attacker cannot choose without the
 * shared secret, so the k indexes come from the tag itself by double
 * hashing: h1 + i*h2 mod m, h1 and h2 its first two 64-bit words. */
#include "mixclaves/sphinx.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sphinx_replay {
  uint64_t bits;
  unsigned hashes;
  uint64_t *words;
};

int sphinx_replay_size(uint64_t capacity, double fp, uint64_t *bits, unsigned *hashes) {
  if (capacity == 0 || !(fp > 0 && fp < 1) || !bits || !hashes) return CM_EINVAL;
  double n = (double)capacity, ln2 = log(2.0);
  /* optimum m = -n ln p / ln^2 2, k = m/n ln 2; k rounded up and m grown
   * until (1 - e^{-kn/m})^k <= fp holds with the integer k. */
  double m = ceil(-n * log(fp) / (ln2 * ln2));
  unsigned k = (unsigned)ceil(m / n * ln2);
  if (k < 1) k = 1;
  while (pow(1.0 - exp(-(double)k * n / m), (double)k) > fp) m = ceil(m * 1.001);
  uint64_t mb = ((uint64_t)m + 63) / 64 * 64;
  *bits = mb;
  *hashes = k;
  return 0;
}

sphinx_replay *sphinx_replay_new(uint64_t capacity, double fp) {
  uint64_t bits;
  unsigned k;
  if (sphinx_replay_size(capacity, fp, &bits, &k)) return NULL;
  sphinx_replay *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->words = calloc(bits / 64, sizeof *f->words);
  if (!f->words) {
    free(f);
    return NULL;
  }
  f->bits = bits;
  f->hashes = k;
  return f;
}

void sphinx_replay_free(sphinx_replay *f) {
  if (!f) return;
  free(f->words);
  free(f);
}

void sphinx_replay_reset(sphinx_replay *f) {
  if (f) memset(f->words, 0, f->bits / 64 * sizeof *f->words);
}

/* Test the k bits of tag; set them too when insert. */
static bool probe(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES], bool insert) {
  uint64_t h1 = 0, h2 = 0;
  for (int i = 0; i < 8; i++) {
    h1 |= (uint64_t)tag[i] << (8 * i);
    h2 |= (uint64_t)tag[8 + i] << (8 * i);
  }
  h1 %= f->bits;
  h2 = h2 % f->bits | 1;
  bool seen = true;
  for (unsigned i = 0; i < f->hashes; i++) {
    uint64_t bit = (h1 + (uint64_t)i * h2) % f->bits;
    uint64_t mask = (uint64_t)1 << (bit % 64);
    if (!(f->words[bit / 64] & mask)) {
      seen = false;
      if (!insert) break;
      f->words[bit / 64] |= mask;
    }
  }
  return seen;
}

bool sphinx_replay_check_insert(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  return probe(f, tag, true);
}

bool sphinx_replay_contains(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  return probe(f, tag, false);
}

uint64_t sphinx_replay_bits(const sphinx_replay *f) { return f->bits; }
unsigned sphinx_replay_hashes(const sphinx_replay *f) { return f->hashes; }
