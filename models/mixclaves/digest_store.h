/* A small store of epoch digests (epoch.h) that a simulated world owns and
 * gives its nodes through node_params.epoch_known / epoch_peers (ctx: the
 * store): the "digest already copied locally" of seed 4.3 ("the updated
 * epoch digest is already copied locally; the update packet only records
 * which epoch ... to load"). In simulation every node shares the one copy;
 * a real node keeps its own (real/epochdb). Digests are found by (version,
 * BLAKE2b-256 hash of the body), so the committed form of an epoch (the
 * committed flag is in the body) is a different entry from its proposal.
 * The store keeps the last DIGEST_STORE_MAX digests put; older ones are
 * forgotten (a node asked about one answers "not held").
 * Ownership: put copies; the store owns its copies. */
#ifndef MIXCLAVES_DIGEST_STORE_H
#define MIXCLAVES_DIGEST_STORE_H

#include <stddef.h>
#include <stdint.h>

#include "mixclaves/epoch.h"
#include "mixclaves/node.h"

#define DIGEST_STORE_MAX 16

struct digest_store;

struct digest_store *digest_store_new(void); /* NULL: no memory */
void digest_store_free(struct digest_store *s);
/* Copy d in (a digest already held is not added twice). 0, CM_EINVAL (d
 * not encodable). */
int digest_store_put(struct digest_store *s, const struct epoch_digest *d);
/* The stored digest with this version and hash, or NULL (owned by s; valid
 * until the next put). */
const struct epoch_digest *digest_store_get(const struct digest_store *s, uint32_t version, const uint8_t hash[32]);
/* node_epoch_known_fn: 1 (held; the node draws its key) or CM_ENOENT. */
int digest_store_known(void *ctx, uint32_t version, const uint8_t hash[32], struct node_identity *next);
/* node_epoch_peers_fn: the addresses of a held committed digest; CM_ENOENT
 * (not held, or not committed), CM_ERANGE (more than cap). */
int digest_store_peers(void *ctx, uint32_t version, const uint8_t hash[32], cm_addr *peers, size_t cap, size_t *n);

#endif
