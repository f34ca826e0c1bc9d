/* `[node] digests = DIR` (cli/node_digests.h): the node's INSTALL_EPOCH and
 * COMMIT hooks over the digest files the updater writes (`cloudmix
 * updater`, cli/updater.c): DIR/<version>-<first 16 hex digits of the
 * body hash>.digest, the canonical encoding of epoch.h. A file is trusted
 * only after its decode, version, hash, committed flag, the operator's
 * signature (when the node has an operator key) and this node's entry
 * (address, Ed25519 key) all check; any failure is one line on stdout and
 * the hook answers "not held" (the updater's request is NACKed and times
 * out, seed 5.5). */
#include "node_digests.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

char *node_digests_path(const char *dir, uint32_t version, const uint8_t hash[32]) {
  char hex[17];
  sodium_bin2hex(hex, sizeof hex, hash, 8);
  char name[48];
  snprintf(name, sizeof name, "%u-%s.digest", version, hex);
  return g_build_filename(dir, name, NULL);
}

/* The digest named (version, hash), checked: 0, or CM_ENOENT after one line. */
static int digest_read(struct node_digests *nd, uint32_t version, const uint8_t hash[32], bool committed,
                       struct epoch_digest *d) {
  char *path = node_digests_path(nd->dir, version, hash);
  gchar *buf = NULL;
  gsize len = 0;
  const char *why = NULL;
  uint8_t h[32];
  if (!g_file_get_contents(path, &buf, &len, NULL)) why = "cannot read it";
  else if (epoch_digest_decode((const uint8_t *)buf, len, d) != 0) why = "not a canonical epoch digest";
  else if (d->version != version || epoch_digest_hash(d, h) != 0 || sodium_memcmp(h, hash, 32) != 0)
    why = "another version or body hash than the request names";
  else if (committed && !d->committed) why = "not committed";
  else if (nd->operator_pk && epoch_digest_verify(d, nd->operator_pk) != 0) why = "the operator's signature fails";
  else {
    int i = epoch_digest_find(d, nd->self);
    if (i < 0 || sodium_memcmp(d->nodes[i].sign_pk, nd->id->sign_pk, 32) != 0)
      why = "does not list this node with its Ed25519 key";
  }
  g_free(buf);
  if (why) printf("epoch %u: digest %s refused: %s\n", version, path, why);
  g_free(path);
  if (why) fflush(stdout);
  return why ? CM_ENOENT : 0;
}

int node_digests_known(void *ctx, uint32_t version, const uint8_t hash[32], struct node_identity *next) {
  struct node_digests *nd = ctx;
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  int rc = digest_read(nd, version, hash, false, d);
  int i = rc == 0 ? epoch_digest_find(d, nd->self) : -1;
  /* the epoch's packet key is the one the digest lists for this node: the
   * node's current key (real-mode address books hold one key per node,
   * cli/README.md "Scale-out by the updater") */
  if (rc == 0 && sodium_memcmp(d->nodes[i].sphinx_pk, nd->id->pk, 32) != 0) {
    printf("epoch %u: digest refused: it lists another packet key for this node\n", version);
    fflush(stdout);
    rc = CM_ENOENT;
  }
  if (rc == 0) {
    memcpy(next->pk, nd->id->pk, 32);
    memcpy(next->sk, nd->id->sk, 32);
    printf("epoch %u: install: digest %u nodes held, key published ahead\n", version, d->n);
    fflush(stdout);
  }
  g_free(d);
  return rc;
}

int node_digests_peers(void *ctx, uint32_t version, const uint8_t hash[32], cm_addr *peers, size_t cap, size_t *n) {
  struct node_digests *nd = ctx;
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  int rc = digest_read(nd, version, hash, true, d);
  if (rc == 0 && d->n > cap) rc = CM_ERANGE;
  /* persist before install (seed 3.3): the state database holds the
   * committed digest before the node switches, so a restart starts in it */
  bool resend = nd->ns->installed && nd->ns->inst.version == version;
  if (rc == 0 && !resend) rc = node_state_persist(nd->ns, d, nd->id->pk, nd->id->sk);
  if (rc == 0) {
    for (uint32_t i = 0; i < d->n; i++) peers[i] = d->nodes[i].addr;
    *n = d->n;
    if (!resend) printf("epoch %u: commit: persisted in the state database, %u nodes\n", version, d->n);
    fflush(stdout);
  }
  g_free(d);
  return rc;
}
