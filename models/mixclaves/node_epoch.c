/* The mix node's epochs (node.h): the next key published ahead, the
 * switch to it, the install of a committed digest (persisted first, seed
 * 3.3), the node's signature over a client's nonce, and the replay tags a
 * restarted node puts back. Shares the node's insides with node.c through
 * node_impl.h. */
#include <string.h>

#include <sodium.h>

#include "mixclaves/epoch.h"
#include "mixclaves/epoch_state.h"
#include "mixclaves/keyring.h"
#include "mixclaves/node_impl.h"
#include "mixclaves/sphinx.h"

int node_epoch_advance(node *n, const struct node_identity *next) {
  uint8_t pk[32], sk[32];
  if (!n || n->poisoned) return CM_EINVAL;
  if (next) {
    if (crypto_scalarmult_base(pk, next->sk) != 0 || sodium_memcmp(pk, next->pk, 32) != 0 ||
        sphinx_pk_check(next->pk) != 0)
      return CM_EINVAL;
    memcpy(sk, next->sk, 32);
  } else if (keyring_next(n->ring) && keyring_next(n->ring)->epoch == n->p.epoch + 1) {
    memcpy(pk, keyring_next(n->ring)->pk, 32); /* the key published ahead */
    memcpy(sk, keyring_next(n->ring)->sk, 32);
  } else {
    node__draw_key(n, pk, sk);
  }
  /* the filter goes only with the key it protected (keyring.h) */
  int rc = keyring_switch(n->ring, n->p.epoch + 1, pk, sk, env_now(n->e));
  if (rc == 0) {
    memcpy(n->pk, pk, 32);
    memcpy(n->sk, sk, 32);
    n->p.epoch++;
    node__make_quote(n);
  }
  sodium_memzero(sk, sizeof sk);
  return rc;
}

/* ---- epochs: the key published ahead, the committed digest ---- */

/* Is d a committed digest this node may serve with packet key pk? 0,
 * CM_EINVAL (not committed, operator signature, the node's Ed25519 key),
 * CM_ENOENT (the node is not in it), CM_EPARSE (pk is not its key). */
static int digest_check(const node *n, const struct epoch_digest *d, const uint8_t pk[32]) {
  if (!d || !d->committed) return CM_EINVAL;
  if (n->has_operator && epoch_digest_verify(d, n->operator_pk) != 0) return CM_EINVAL;
  int i = epoch_digest_find(d, n->p.addr);
  if (i < 0) return CM_ENOENT;
  if (sodium_memcmp(d->nodes[i].sign_pk, n->sign_pk, 32) != 0) return CM_EINVAL;
  if (sodium_memcmp(d->nodes[i].sphinx_pk, pk, 32) != 0) return CM_EPARSE;
  return 0;
}

/* At start: the digest persisted with the node's epoch and key. */
int node__digest_restore(node *n, const struct epoch_digest *d) {
  if (d->version != n->p.epoch) return CM_EINVAL;
  int rc = digest_check(n, d, n->pk);
  return rc < 0 ? rc : epoch_state_add(n->es, d);
}

void node__config_epochs(const node *n, struct node_config *out) {
  out->nepochs = keyring_epochs(n->ring, env_now(n->e), out->epochs);
  const struct keyring_key *next = keyring_next(n->ring);
  if ((out->has_next = next != NULL)) memcpy(out->next_pk, next->pk, 32);
  out->digest = n->es->has_committed ? &n->es->committed : NULL;
  if (out->digest) epoch_digest_hash(out->digest, out->digest_hash);
  if ((out->has_binary = n->has_binary)) memcpy(out->binary_measurement, n->binary, 32);
}

/* pk/sk from key (checked), else the key published ahead for epoch. */
static int key_for(node *n, uint32_t epoch, const struct node_identity *key, uint8_t pk[32], uint8_t sk[32]) {
  const struct keyring_key *next = keyring_next(n->ring), *cur = keyring_current(n->ring);
  if (key) {
    if (crypto_scalarmult_base(pk, key->sk) != 0 || sodium_memcmp(pk, key->pk, 32) != 0 || sphinx_pk_check(key->pk) != 0)
      return CM_EINVAL;
    memcpy(sk, key->sk, 32);
  } else if (next && next->epoch == epoch) {
    memcpy(pk, next->pk, 32);
    memcpy(sk, next->sk, 32);
  } else if (cur && cur->epoch == epoch) {
    memcpy(pk, cur->pk, 32);
    memcpy(sk, cur->sk, 32);
  } else {
    return CM_ENOENT;
  }
  return 0;
}

int node_epoch_publish(node *n, uint32_t version, const struct node_identity *key) {
  uint8_t pk[32], sk[32];
  if (!n || n->poisoned || version <= n->p.epoch) return CM_EINVAL;
  int rc = key ? key_for(n, version, key, pk, sk) : 0;
  if (!key) node__draw_key(n, pk, sk);
  if (rc == 0) rc = keyring_publish_next(n->ring, version, pk, sk);
  sodium_memzero(sk, sizeof sk);
  return rc;
}

int node_epoch_publish_next(node *n, const struct node_identity *next) {
  return n ? node_epoch_publish(n, n->p.epoch + 1, next) : CM_EINVAL;
}

int node_epoch_switch(node *n, uint32_t version) {
  if (!n || n->poisoned) return CM_EINVAL;
  const struct keyring_key *next = keyring_next(n->ring);
  if (!next || next->epoch != version) return CM_ENOENT;
  uint8_t pk[32], sk[32];
  memcpy(pk, next->pk, 32);
  memcpy(sk, next->sk, 32);
  int rc = keyring_switch(n->ring, version, pk, sk, env_now(n->e)); /* next becomes current, with its filter */
  if (rc == 0) {
    memcpy(n->pk, pk, 32);
    memcpy(n->sk, sk, 32);
    n->p.epoch = version;
    node__make_quote(n);
  }
  sodium_memzero(sk, sizeof sk);
  return rc;
}

int node_epoch_install(node *n, const struct epoch_digest *d, const struct node_identity *key) {
  uint8_t pk[32], sk[32];
  if (!n || !d || !d->committed) return CM_EINVAL;
  const struct epoch_digest *have = n->es->has_committed ? &n->es->committed : NULL;
  if (have && d->version < have->version) return CM_ERANGE;
  if (have && d->version == have->version) return epoch_digest_equal(d, have) ? 0 : CM_EEXIST;
  if (d->version < n->p.epoch) return CM_ERANGE;
  int rc = key_for(n, d->version, key, pk, sk);
  if (rc == 0) rc = digest_check(n, d, pk);
  if (rc == 0 && d->version == n->p.epoch && sodium_memcmp(pk, n->pk, 32) != 0) rc = CM_EEXIST; /* another key now */
  if (rc == 0 && n->p.persist) rc = n->p.persist(n->p.persist_arg, d, pk, sk); /* seed 3.3: persist, then install */
  if (rc == 0 && d->version > n->p.epoch) rc = keyring_switch(n->ring, d->version, pk, sk, env_now(n->e));
  if (rc == 0) rc = epoch_state_add(n->es, d);
  if (rc == 0 && d->version > n->p.epoch) {
    memcpy(n->pk, pk, 32);
    memcpy(n->sk, sk, 32);
    n->p.epoch = d->version;
    node__make_quote(n);
  }
  sodium_memzero(sk, sizeof sk);
  return rc;
}

int node_epoch_attest(const node *n, const uint8_t nonce[EPOCH_NONCE_BYTES], uint8_t sig[EPOCH_SIG_BYTES]) {
  if (!n || !nonce || !sig) return CM_EINVAL;
  if (!n->es->has_committed) return CM_ENOENT;
  return epoch_node_sign(&n->es->committed, n->sign_sk, nonce, sig);
}

int node_replay_restore(node *n, uint32_t epoch, const uint8_t tag[CODEC_TAG_BYTES]) {
  if (!n || !tag) return CM_EINVAL;
  struct keyring_key *key = keyring_find(n->ring, epoch, env_now(n->e));
  if (!key) return CM_ENOENT;
  sphinx_replay_check_insert(key->replay, tag);
  return 0;
}
