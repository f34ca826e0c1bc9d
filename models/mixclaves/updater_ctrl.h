/* The updater's control transport over real CTRL packets (ctrl.h,
 * ctrl_client.h): struct updater_ops (updater.h) read_metrics,
 * install_epoch and commit, each an operator-signed request with a reply
 * block, built and opened by a ctrl_client at the operator's address.
 * Written against the seam only; it holds no node objects, so it runs in
 * simulation and, given real addresses, in real mode alike.
 *
 *   read_metrics(node)  -> READ_METRICS; processed = forwarded + delivered
 *                          + discarded_drop + loop_returned of the reply's
 *                          counters, at = the reply's node_time.
 *   install_epoch(d)    -> the digest is first put in the store the nodes
 *                          read (params.store: the world "copies it
 *                          locally", seed 4.3), then INSTALL_EPOCH with
 *                          d's version and body hash.
 *   commit(d)           -> the same for the committed digest, then COMMIT
 *                          (the node sets its peers to d's node list).
 * An ACK answers the updater; a NACK (the node does not hold the digest,
 * or cannot take that epoch) is counted and not answered, so the updater's
 * own timeout resends it (seed 5.5). A reply after the client's timeout is
 * the client's `malformed` (its reply block keys are gone).
 *
 * The path (seed 3.1: control packets look like client traffic and the
 * replies are "routed back through the mixnet"): hops - 1 relays then the
 * target, and a reply block through `hops` relays back to this address,
 * each relay drawn uniformly from the committed node list as a client
 * draws its path (CLIENT_DOMAIN), per-hop delays exponential with mean
 * mean_delay as a client's. With hops = 1 (the elasticity experiment's
 * clients send 1-hop loops) the request goes straight to the target and
 * the reply through one drawn node.
 *
 * Key epochs: a packet and every hop of its path carry one key epoch
 * (codec.h). A node changes its epoch only at COMMIT, in two phases
 * (node.h): INSTALL_EPOCH publishes the next key ahead, COMMIT switches to
 * it and keeps the old key for the node's epoch_grace. The transport keeps
 * the epoch each node last reported (every reply carries it; nodes not
 * heard from yet: the last committed version), stamps each request and its
 * reply block with the target's, and draws relays only among nodes believed
 * at that epoch (none: the target relays its own reply). A commit's reply
 * comes back at the old epoch through nodes that may have switched: the
 * world gives the nodes a grace longer than a reply's trip. After an
 * install sent but not answered a request's stamp is drawn uniformly from
 * [epoch, pending] (the node accepts both: the pending one is published
 * ahead); a stamp a later attempt replaced is dropped by the node as
 * stale_epoch, before any crypto, like any stale packet.
 *
 * Random streams: the ctrl_client's ("ctrl:<addr>:delay", ":nonce") and
 * "updater_ctrl:<addr>:route" (env_secret_rng). Ownership: params copied
 * (node list too); the codec, the store and the key lookups' contexts are
 * borrowed and must outlive it. */
#ifndef MIXCLAVES_UPDATER_CTRL_H
#define MIXCLAVES_UPDATER_CTRL_H

#include <stdint.h>

#include "env.h"
#include "mixclaves/codec.h"
#include "mixclaves/ctrl_client.h"
#include "mixclaves/digest_store.h"
#include "mixclaves/updater.h"

struct updater_ctrl;

struct updater_ctrl_params {
  cm_addr addr;                  /* the operator's address (bound) */
  const struct codec_ops *codec; /* NULL: abstract */
  const uint8_t *operator_sk;    /* Ed25519, 64 bytes; required */
  const struct epoch_digest *initial; /* the committed digest at start: its version, its nodes */
  struct digest_store *store;    /* where digests are put before they are named; required */
  uint32_t hops;                 /* a client's path length; 0: 1 */
  cm_time mean_delay;            /* per-hop delay mean; 0: 1 ms */
  cm_time timeout;               /* the client's reply wait; 0: 10 s */
  codec_key_fn keys;             /* the nodes' X25519 keys (keyed codec) */
  void *keys_ctx;
  codec_key_fn sign_keys;        /* the nodes' Ed25519 keys; NULL: replies not verified */
  void *sign_ctx;
  cm_time clock_base;            /* issued-at = clock_base + env_now (ctrl_client.h); real mode: the wall clock
                                    at env start; simulation: 0 */
};

struct updater_ctrl_counters {
  uint64_t sent, send_failed;  /* requests handed to the network / refused (the updater times out) */
  uint64_t acked, nacked;      /* replies: ACK (answered), NACK (left to time out) */
  uint64_t timed_out;          /* no reply within the client's timeout */
  uint64_t malformed;          /* datagrams at the operator that are no pending reply (late ones too) */
  uint64_t outstanding;        /* sent, neither replied nor timed out */
  uint64_t alt_stamps;         /* requests stamped with a node's possible newer epoch (unsure) */
};

/* NULL on a bad argument or if addr is taken. */
struct updater_ctrl *updater_ctrl_new(env *e, const struct updater_ctrl_params *p);
/* Cancel the client (no callbacks), free. */
void updater_ctrl_free(struct updater_ctrl *s);
/* read_metrics, install_epoch and commit; provision and committed left as they are. */
void updater_ctrl_ops(struct updater_ctrl *s, struct updater_ops *out);
void updater_ctrl_counters(const struct updater_ctrl *s, struct updater_ctrl_counters *out);
/* The key epoch the transport believes node is at. */
uint32_t updater_ctrl_node_epoch(const struct updater_ctrl *s, cm_addr node);

#endif
