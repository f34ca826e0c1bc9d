/* The epoch digest (seed sections 3.1 and 3.3, 4.1 and 4.3) as a value: the
 * version (epoch number), a caller-given timestamp, whether the
 * reconfiguration is committed, the node list (address, Ed25519 and Sphinx
 * X25519 public keys, layer and role), and the operator's Ed25519 signature
 * over the canonical encoding; a node's signature over (digest hash,
 * client-chosen nonce); a strict decoder; and the join-semilattice merge of
 * concurrent reconfigurations. Pure: no I/O, no clock, no randomness (the
 * nonce and the keys are the caller's).
 *
 * Canonical encoding (big endian; the body is bytes [0, 24 + 70 n)):
 *   0   4  magic "CMED"
 *   4   1  format, 1
 *   5   1  flags: bit 0 committed; the other bits zero
 *   6   2  zero
 *   8   4  version (epoch number), u32
 *   12  8  timestamp, cm_time as two's-complement u64
 *   20  4  n, the node count, 0..EPOCH_MAX_NODES
 *   24  70 per node, addresses strictly ascending: address u32, Ed25519
 *          public key 32, Sphinx public key 32, layer u8, role u8 (< EPOCH_NROLES)
 *   ..  64 the operator's Ed25519 signature over the body (all zero: unsigned)
 * Exactly one encoding per digest: the decoder refuses any other length,
 * flag, padding, role or node order (CM_EPARSE), so decode(encode(d)) == d
 * and encode(decode(b)) == b for every b it accepts.
 *
 * The merge (epoch_digest_merge) joins digests of one kind (both
 * committed or both proposals); it is commutative, associative and
 * idempotent, so replicas that exchange digests in any order and any
 * grouping end alike (seed 3.3: "concurrent reconfigurations have a
 * deterministic merge function"):
 *   1. The higher version wins outright: the result is that input, byte
 *      for byte, signature included.
 *   2. Equal versions (concurrent reconfigurations of the same epoch):
 *      the node lists are united by address; for an address in both, the
 *      entry whose 70-byte encoding is smaller (memcmp) is kept. The
 *      timestamp is the later one.
 *   3. The operator signature: the smallest (memcmp) non-zero signature
 *      among the inputs whose body equals the result's body; none (all
 *      zero) when the merge made a new body. A merged concurrent
 *      reconfiguration must be re-signed (epoch_digest_sign) by the
 *      operator before it is published.
 * A committed digest and a proposal are not merged into one digest (a
 * proposal of a higher epoch would hide the committed one): the lattice
 * element is the pair (last committed, pending proposal) of
 * epoch_state.h, which merges each kind here and never retracts a commit.
 *
 * Ownership: every function takes borrowed pointers and copies into the
 * caller's struct or buffer; struct epoch_digest holds no pointers (it is
 * about 18 KB: keep it off small stacks). The caller has run sodium_init(). */
#ifndef MIXCLAVES_EPOCH_H
#define MIXCLAVES_EPOCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"
#include "env.h"

#define EPOCH_MAX_NODES 256
#define EPOCH_HEADER_BYTES 24
#define EPOCH_NODE_BYTES 70
#define EPOCH_SIG_BYTES 64
#define EPOCH_PK_BYTES 32       /* Ed25519 public key */
#define EPOCH_SK_BYTES 64       /* Ed25519 secret key (libsodium layout) */
#define EPOCH_HASH_BYTES 32     /* BLAKE2b-256 of the body */
#define EPOCH_NONCE_BYTES 32    /* the client's nonce */
/* Encoded size of a digest of n nodes; the largest encoding. */
#define EPOCH_ENCODED_BYTES(n) (EPOCH_HEADER_BYTES + EPOCH_NODE_BYTES * (size_t)(n) + EPOCH_SIG_BYTES)
#define EPOCH_MAX_BYTES EPOCH_ENCODED_BYTES(EPOCH_MAX_NODES)

/* A node's role in the Loopix topology (metadata). */
enum epoch_role { EPOCH_ROLE_MIX = 0, EPOCH_ROLE_PROVIDER = 1, EPOCH_NROLES };

struct epoch_node {
  cm_addr addr;
  uint8_t sign_pk[EPOCH_PK_BYTES]; /* Ed25519: signs the nonce attestations */
  uint8_t sphinx_pk[32];           /* X25519: the packet key of this epoch */
  uint8_t layer;                   /* stratified layer (client.h), 0 for providers */
  uint8_t role;                    /* enum epoch_role */
};

struct epoch_digest {
  uint32_t version;   /* the epoch number */
  bool committed;     /* the reconfiguration was committed (seed 4.1) */
  cm_time timestamp;  /* ns, the caller's clock (the operator's, when signing) */
  uint32_t n;         /* nodes[0, n), addresses strictly ascending */
  struct epoch_node nodes[EPOCH_MAX_NODES];
  uint8_t sig[EPOCH_SIG_BYTES]; /* operator, over the body; all zero: unsigned */
};

/* d with no nodes, unsigned. */
void epoch_digest_init(struct epoch_digest *d, uint32_t version, cm_time timestamp);

/* Insert or replace the node with node->addr, keeping addresses ascending.
 * Clears the signature (the body changed). 0, CM_EINVAL (addr 0, role out
 * of range), CM_ERANGE (EPOCH_MAX_NODES already). */
int epoch_digest_put(struct epoch_digest *d, const struct epoch_node *node);

/* The index of addr in d->nodes, or CM_ENOENT. */
int epoch_digest_find(const struct epoch_digest *d, cm_addr addr);

/* Canonical encoding into out[0, cap); *len set to the bytes written,
 * EPOCH_ENCODED_BYTES(d->n). 0, CM_EINVAL (a digest the decoder would
 * refuse: n too large, addresses not ascending, a bad role), CM_ERANGE
 * (cap too small). */
int epoch_digest_encode(const struct epoch_digest *d, uint8_t *out, size_t cap, size_t *len);

/* Strict decoding of buf[0, len) into *d. 0 or CM_EPARSE (any departure
 * from the canonical encoding; nothing is read outside buf). The signature
 * is not checked: epoch_digest_verify. */
int epoch_digest_decode(const uint8_t *buf, size_t len, struct epoch_digest *d);

/* BLAKE2b-256 of the body (what the operator signs), into out. 0 or
 * CM_EINVAL (as encode). */
int epoch_digest_hash(const struct epoch_digest *d, uint8_t out[EPOCH_HASH_BYTES]);

/* Sign the body with the operator's Ed25519 secret key into d->sig.
 * 0 or CM_EINVAL. */
int epoch_digest_sign(struct epoch_digest *d, const uint8_t operator_sk[EPOCH_SK_BYTES]);

/* 0 if d->sig is operator_pk's signature of d's body; CM_EINVAL otherwise
 * (unsigned, wrong key, changed body). */
int epoch_digest_verify(const struct epoch_digest *d, const uint8_t operator_pk[EPOCH_PK_BYTES]);

/* A node's attestation (seed 3.3: "signed by the mix node, including a
 * nonce chosen by the client"): Ed25519 by the node's key over
 * "CMEN" || digest hash || nonce (68 bytes). node_sk is the node's
 * Ed25519 secret key. 0 or CM_EINVAL. */
int epoch_node_sign(const struct epoch_digest *d, const uint8_t node_sk[EPOCH_SK_BYTES],
                    const uint8_t nonce[EPOCH_NONCE_BYTES], uint8_t sig[EPOCH_SIG_BYTES]);

/* 0 if sig is, over (d's hash, nonce), the signature of the node of d
 * listed at addr (its sign_pk in d); CM_ENOENT (no such node), CM_EINVAL
 * (a bad signature). */
int epoch_node_verify(const struct epoch_digest *d, cm_addr addr, const uint8_t nonce[EPOCH_NONCE_BYTES],
                      const uint8_t sig[EPOCH_SIG_BYTES]);

/* out = a ⊔ b, the join defined above (out may alias a or b). 0,
 * CM_EINVAL (an input encode refuses, or one is committed and the other
 * not: epoch_state_merge), CM_ERANGE (the union of two
 * equal-rank lists exceeds EPOCH_MAX_NODES; out unchanged). */
int epoch_digest_merge(const struct epoch_digest *a, const struct epoch_digest *b, struct epoch_digest *out);

/* true if a and b are the same digest (same encoding). */
bool epoch_digest_equal(const struct epoch_digest *a, const struct epoch_digest *b);

#endif
