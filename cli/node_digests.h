/* The node daemon's INSTALL_EPOCH and COMMIT hooks over a folder of
 * digest files (`[node] digests = DIR`, cli/node_digests.c): what the
 * updater copies to the nodes (seed 4.3). Internal to cli/. Ownership:
 * every pointer borrowed; they must outlive the node. */
#ifndef CM_CLI_NODE_DIGESTS_H
#define CM_CLI_NODE_DIGESTS_H

#include <stdint.h>

#include "node_state.h"

struct node_digests {
  const char *dir;
  struct node_state *ns;           /* the commit persists here first */
  const struct node_identity *id;  /* the node's keys in use */
  const uint8_t *operator_pk;      /* NULL: signatures unchecked */
  cm_addr self;
};

/* DIR/<version>-<16 hex digits of hash>.digest (g_malloc'd): the updater writes, the node reads. */
char *node_digests_path(const char *dir, uint32_t version, const uint8_t hash[32]);
/* node_epoch_known_fn (ctx: struct node_digests): 0 and the key, or CM_ENOENT. */
int node_digests_known(void *ctx, uint32_t version, const uint8_t hash[32], struct node_identity *next);
/* node_epoch_peers_fn: the committed digest's addresses after it is persisted. */
int node_digests_peers(void *ctx, uint32_t version, const uint8_t hash[32], cm_addr *peers, size_t cap, size_t *n);

#endif
