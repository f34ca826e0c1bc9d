/* The simulated worlds' digest store (digest_store.h): a ring of the last
 * DIGEST_STORE_MAX digests with their hashes. */
#include "mixclaves/digest_store.h"

#include <stdlib.h>
#include <string.h>

struct entry {
  struct epoch_digest d;
  uint8_t hash[EPOCH_HASH_BYTES];
};

struct digest_store {
  struct entry *e[DIGEST_STORE_MAX];
  size_t next; /* the slot the next put takes */
};

struct digest_store *digest_store_new(void) { return calloc(1, sizeof(struct digest_store)); }

void digest_store_free(struct digest_store *s) {
  if (!s) return;
  for (size_t i = 0; i < DIGEST_STORE_MAX; i++) free(s->e[i]);
  free(s);
}

static const struct entry *find(const struct digest_store *s, uint32_t version, const uint8_t hash[32]) {
  for (size_t i = 0; i < DIGEST_STORE_MAX; i++)
    if (s->e[i] && s->e[i]->d.version == version && memcmp(s->e[i]->hash, hash, EPOCH_HASH_BYTES) == 0)
      return s->e[i];
  return NULL;
}

int digest_store_put(struct digest_store *s, const struct epoch_digest *d) {
  uint8_t h[EPOCH_HASH_BYTES];
  if (!s || !d || epoch_digest_hash(d, h) != 0) return CM_EINVAL;
  if (find(s, d->version, h)) return 0;
  struct entry *x = s->e[s->next];
  if (!x && !(x = malloc(sizeof *x))) return CM_ENOMEM;
  x->d = *d;
  memcpy(x->hash, h, sizeof h);
  s->e[s->next] = x;
  s->next = (s->next + 1) % DIGEST_STORE_MAX;
  return 0;
}

const struct epoch_digest *digest_store_get(const struct digest_store *s, uint32_t version, const uint8_t hash[32]) {
  const struct entry *x = s && hash ? find(s, version, hash) : NULL;
  return x ? &x->d : NULL;
}

int digest_store_known(void *ctx, uint32_t version, const uint8_t hash[32], struct node_identity *next) {
  (void)next;
  return digest_store_get(ctx, version, hash) ? 1 : CM_ENOENT;
}

int digest_store_peers(void *ctx, uint32_t version, const uint8_t hash[32], cm_addr *peers, size_t cap, size_t *n) {
  const struct epoch_digest *d = digest_store_get(ctx, version, hash);
  if (!d || !d->committed) return CM_ENOENT;
  if (d->n > cap) return CM_ERANGE;
  for (uint32_t i = 0; i < d->n; i++) peers[i] = d->nodes[i].addr;
  *n = d->n;
  return 0;
}
