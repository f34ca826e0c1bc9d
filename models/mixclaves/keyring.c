/* The ring of per-epoch keys and their replay filters; see keyring.h. */
#include "mixclaves/keyring.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

enum { PREV = 0, CUR = 1, NEXT = 2 };

struct keyring {
  struct keyring_key k[KEYRING_SLOTS]; /* PREV, CUR, NEXT */
  uint64_t capacity;
  double fp;
  cm_time grace;
};

keyring *keyring_new(uint64_t replay_capacity, double fp, cm_time grace) {
  if (replay_capacity == 0 || !(fp > 0 && fp < 1) || grace < 0) return NULL;
  keyring *k = calloc(1, sizeof *k);
  if (!k) return NULL;
  k->capacity = replay_capacity;
  k->fp = fp;
  k->grace = grace;
  return k;
}

/* The key and its filter go together. */
static void slot_drop(struct keyring_key *s) {
  sphinx_replay_free(s->replay);
  sodium_memzero(s, sizeof *s);
}

void keyring_free(keyring *k) {
  if (!k) return;
  for (int i = 0; i < KEYRING_SLOTS; i++) slot_drop(&k->k[i]);
  free(k);
}

static bool same_key(const struct keyring_key *s, uint32_t epoch, const uint8_t pk[32]) {
  return s->replay && s->epoch == epoch && sodium_memcmp(s->pk, pk, 32) == 0;
}

/* A fresh key with a fresh, empty filter into s. */
static int slot_fill(keyring *k, struct keyring_key *s, uint32_t epoch, const uint8_t pk[32], const uint8_t sk[32],
                     cm_time until) {
  sphinx_replay *f = sphinx_replay_new(k->capacity, k->fp);
  if (!f) return CM_ENOMEM;
  slot_drop(s);
  s->epoch = epoch;
  memcpy(s->pk, pk, 32);
  memcpy(s->sk, sk, 32);
  s->replay = f;
  s->until = until;
  return 0;
}

int keyring_switch(keyring *k, uint32_t epoch, const uint8_t pk[32], const uint8_t sk[32], cm_time now) {
  if (!k || !pk || !sk) return CM_EINVAL;
  struct keyring_key *cur = &k->k[CUR], *next = &k->k[NEXT], *prev = &k->k[PREV];
  if (same_key(cur, epoch, pk)) return 0;
  if (cur->replay && epoch <= cur->epoch) return CM_EINVAL;
  struct keyring_key fresh = {0};
  if (same_key(next, epoch, pk)) {
    fresh = *next; /* next becomes current, its filter with it */
    memset(next, 0, sizeof *next);
  } else {
    int rc = slot_fill(k, &fresh, epoch, pk, sk, CM_TIME_MAX);
    if (rc < 0) return rc;
    if (next->replay && next->epoch <= epoch) slot_drop(next); /* a later next stays published */
  }
  slot_drop(prev);
  if (cur->replay && k->grace > 0) {
    *prev = *cur;
    prev->until = cm_time_add_sat(now, k->grace);
    memset(cur, 0, sizeof *cur);
  } else {
    slot_drop(cur);
  }
  *cur = fresh;
  cur->until = CM_TIME_MAX;
  sodium_memzero(&fresh, sizeof fresh);
  return 0;
}

int keyring_publish_next(keyring *k, uint32_t epoch, const uint8_t pk[32], const uint8_t sk[32]) {
  if (!k || !pk || !sk || !k->k[CUR].replay || epoch <= k->k[CUR].epoch) return CM_EINVAL;
  if (same_key(&k->k[NEXT], epoch, pk)) return 0;
  return slot_fill(k, &k->k[NEXT], epoch, pk, sk, CM_TIME_MAX);
}

static void expire(keyring *k, cm_time now) {
  struct keyring_key *prev = &k->k[PREV];
  if (prev->replay && now >= prev->until) slot_drop(prev);
}

struct keyring_key *keyring_find(keyring *k, uint32_t epoch, cm_time now) {
  expire(k, now);
  for (int i = 0; i < KEYRING_SLOTS; i++)
    if (k->k[i].replay && k->k[i].epoch == epoch && now < k->k[i].until) return &k->k[i];
  return NULL;
}

const struct keyring_key *keyring_current(const keyring *k) { return k->k[CUR].replay ? &k->k[CUR] : NULL; }
const struct keyring_key *keyring_next(const keyring *k) { return k->k[NEXT].replay ? &k->k[NEXT] : NULL; }

size_t keyring_epochs(const keyring *k, cm_time now, uint32_t out[KEYRING_SLOTS]) {
  size_t n = 0;
  for (int i = 0; i < KEYRING_SLOTS; i++) /* PREV < CUR < NEXT by construction */
    if (k->k[i].replay && now < k->k[i].until) out[n++] = k->k[i].epoch;
  return n;
}
