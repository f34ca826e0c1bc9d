/* The replay filter: a blocked Bloom filter of replay tags for one node and
 * one key epoch (Putze, Sanders, Singler, "Cache-, hash- and
 * space-efficient Bloom filters", WEA 2007). Each tag sets its k bits
 * inside one 512-bit block, a 64-byte cache line, so a check-and-insert
 * touches one line instead of k lines scattered over the 17+ MiB a filter
 * for 10 M tags needs: one cache miss a packet instead of k.
 *
 * Tags are outputs an attacker cannot steer (a BLAKE2b output of the Sphinx
 * shared secret; the abstract codec's checksum over a random nonce), so the
 * indexes are read from the tag itself: bytes 0..7 choose the block, bytes
 * 8..31 give up to 21 bit positions of 9 bits each.
 *
 * The price is a higher false-positive rate at the same size: blocks fill
 * unevenly (their loads are Poisson with mean lambda = n / blocks), so the
 * rate is sum_i Pois(i; lambda) * (1 - (1 - 1/512)^(k i))^k, and sizing
 * searches blocks and k for the smallest filter meeting fp under it. */
#include "mixclaves/sphinx.h"
#include "mixclaves/sum128.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define BLOCK_BITS 512
#define BLOCK_WORDS (BLOCK_BITS / 64)
#define POS_BITS 9 /* log2(BLOCK_BITS) */
#define K_MAX 21   /* 3 words of the tag, 7 positions of 9 bits each */

struct sphinx_replay {
  uint64_t blocks;
  unsigned hashes;
  uint64_t *words; /* blocks * BLOCK_WORDS, page aligned, zero until touched */
  size_t map_bytes; /* of the mapping, at least blocks * 64 */
  uint64_t capacity; /* design capacity (tags) */
  uint64_t count;    /* tags inserted since creation or the last reset */
};

double sphinx_replay_predicted_fp(uint64_t bits, unsigned hashes, uint64_t tags) {
  if (bits < BLOCK_BITS || hashes == 0) return 1.0;
  double lambda = (double)tags / (double)(bits / BLOCK_BITS);
  /* saturated blocks: the rate is within k * 2e-9 of 1; skip the sum */
  if ((double)hashes * lambda > 20.0 * BLOCK_BITS) return 1.0;
  double miss = 1.0 - 1.0 / BLOCK_BITS; /* a given bit is not one given position */
  /* Poisson pmf by recurrence from its mode both ways, so that large
   * lambda neither underflows exp(-lambda) nor loses the tails. */
  double mode = floor(lambda), span = 12.0 * sqrt(lambda) + 30.0;
  double logp_mode = mode * log(lambda > 0 ? lambda : 1) - lambda - lgamma(mode + 1);
  double fp = 0, p = exp(logp_mode);
  for (double i = mode; i <= mode + span; i++) {
    fp += p * pow(1.0 - pow(miss, (double)hashes * i), (double)hashes);
    p *= lambda / (i + 1);
  }
  p = exp(logp_mode);
  for (double i = mode - 1; i >= 0 && i >= mode - span; i--) {
    p *= (i + 1) / lambda;
    fp += p * pow(1.0 - pow(miss, (double)hashes * i), (double)hashes);
  }
  return fp;
}

/* The last sizing, per thread: a world builds hundreds of nodes with the
 * same (capacity, fp), and the search costs about 10 ms of pow(). */
static _Thread_local struct {
  uint64_t capacity, bits;
  double fp;
  unsigned hashes;
} last_size;

int sphinx_replay_size(uint64_t capacity, double fp, uint64_t *bits, unsigned *hashes) {
  if (capacity == 0 || !(fp > 0 && fp < 1) || !bits || !hashes) return CM_EINVAL;
  if (last_size.capacity == capacity && last_size.fp == fp) {
    *bits = last_size.bits;
    *hashes = last_size.hashes;
    return 0;
  }
  uint64_t best_blocks = 0;
  unsigned best_k = 0;
  for (unsigned k = 1; k <= K_MAX; k++) {
    /* the rate falls as blocks grow: find the fewest blocks by bisection */
    uint64_t lo = 1, hi = 1;
    while (sphinx_replay_predicted_fp(hi * BLOCK_BITS, k, capacity) > fp) {
      lo = hi;
      hi *= 2;
      if (hi > ((uint64_t)1 << 40)) break; /* unreachable for this k */
    }
    if (sphinx_replay_predicted_fp(hi * BLOCK_BITS, k, capacity) > fp) continue;
    while (lo < hi) {
      uint64_t mid = lo + (hi - lo) / 2;
      if (sphinx_replay_predicted_fp(mid * BLOCK_BITS, k, capacity) <= fp)
        hi = mid;
      else
        lo = mid + 1;
    }
    if (!best_blocks || hi < best_blocks) {
      best_blocks = hi;
      best_k = k;
    }
  }
  if (!best_blocks) return CM_ERANGE;
  *bits = best_blocks * BLOCK_BITS;
  *hashes = best_k;
  last_size.capacity = capacity;
  last_size.fp = fp;
  last_size.bits = *bits;
  last_size.hashes = best_k;
  return 0;
}

/* Anonymous memory, zero pages on first touch, so that a filter costs
 * memory as it fills. Every probe lands on a random page; with 4 KiB pages
 * its TLB miss costs as much as its cache miss (a filter for 10 M tags is
 * 18.5 MiB; measured: the probe went from 25% to 16% of `bench mixnet-sim`
 * with huge pages). So a filter of 1 MiB or more is rounded up to whole
 * 2 MiB huge pages, aligned (an over-sized mapping, trimmed), and offered
 * to transparent huge pages (THP in madvise mode). A failing madvise
 * changes only the speed. */
static int map_filter(struct sphinx_replay *f, size_t bytes) {
  const size_t huge = (size_t)2 << 20;
  bool use_huge = bytes >= huge / 2;
  size_t len = use_huge ? (bytes + huge - 1) / huge * huge : bytes, slack = use_huge ? huge : 0;
  uint8_t *m = mmap(NULL, len + slack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return CM_ENOMEM;
  if (use_huge) {
    size_t lead = (huge - (uintptr_t)m % huge) % huge;
    if (lead) munmap(m, lead);
    if (slack - lead) munmap(m + lead + len, slack - lead);
    m += lead;
#ifdef MADV_HUGEPAGE
    (void)madvise(m, len, MADV_HUGEPAGE);
#endif
  }
  memset(m, 0, len); /* fault the pages in now, not in the first probes */
  f->map_bytes = len;
  f->words = (uint64_t *)(void *)m;
  return 0;
}

sphinx_replay *sphinx_replay_new(uint64_t capacity, double fp) {
  uint64_t bits;
  unsigned k;
  if (sphinx_replay_size(capacity, fp, &bits, &k)) return NULL;
  sphinx_replay *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  if (map_filter(f, bits / 8) != 0) {
    free(f);
    return NULL;
  }
  f->blocks = bits / BLOCK_BITS;
  f->hashes = k;
  f->capacity = capacity;
  return f;
}

void sphinx_replay_free(sphinx_replay *f) {
  if (!f) return;
  munmap(f->words, f->map_bytes);
  free(f);
}

void sphinx_replay_reset(sphinx_replay *f) {
  if (!f) return;
  memset(f->words, 0, f->map_bytes);
  f->count = 0;
}

/* block = floor(h * blocks / 2^64): uniform, and no division */
static uint64_t *block_of(const sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  return f->words + (uint64_t)(((unsigned __int128)sum128_load64(tag) * f->blocks) >> 64) * BLOCK_WORDS;
}

/* Test the k bits of tag in its block; set them too when insert. */
static bool probe(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES], bool insert) {
  uint64_t *blk = block_of(f, tag);
  uint64_t mask[BLOCK_WORDS] = {0};
  uint64_t src[3] = {sum128_load64(tag + 8), sum128_load64(tag + 16), sum128_load64(tag + 24)};
  for (unsigned i = 0; i < f->hashes; i++) {
    unsigned pos = (unsigned)(src[i / 7] >> (POS_BITS * (i % 7))) & (BLOCK_BITS - 1);
    mask[pos / 64] |= (uint64_t)1 << (pos % 64);
  }
  bool seen = true;
  for (int w = 0; w < BLOCK_WORDS; w++) {
    if ((blk[w] & mask[w]) != mask[w]) seen = false;
    if (insert) blk[w] |= mask[w];
  }
  return seen;
}

void sphinx_replay_prefetch(const sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  __builtin_prefetch(block_of(f, tag), 1);
}

bool sphinx_replay_check_insert(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  bool seen = probe(f, tag, true);
  if (!seen) f->count++;
  return seen;
}

bool sphinx_replay_contains(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]) {
  return probe(f, tag, false);
}

uint64_t sphinx_replay_bits(const sphinx_replay *f) { return f->blocks * BLOCK_BITS; }
uint64_t sphinx_replay_count(const sphinx_replay *f) { return f->count; }
uint64_t sphinx_replay_capacity(const sphinx_replay *f) { return f->capacity; }
bool sphinx_replay_full(const sphinx_replay *f) { return f->count >= f->capacity; }
unsigned sphinx_replay_hashes(const sphinx_replay *f) { return f->hashes; }
