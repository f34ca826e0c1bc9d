/* A control transport for the updater over nodes the caller holds
 * (simulation: the elasticity experiment, cli/mixclaves_elastic.c):
 * struct updater_ops (updater.h) read_metrics, install_epoch and commit,
 * each exchange one real packet through the node. Written against the
 * seam only; the caller gives the node objects (updater_loop_node_fn),
 * since the exchange's effect is applied to them directly.
 *
 * What is modelled: the node has no CTRL support yet (codec.h rejects
 * CODEC_CTRL), so a control request and its reply (seed 3.2: a SURB back to
 * the operator) are one packet of the codec's size, built with the codec
 * and addressed to the node like a client's 1-hop loop: it enters through
 * node_accept, waits in the node's CPU queue like any packet (and is
 * dropped with queue_full like any, seed 5.5), is held for an exponential
 * delay of the clients' mean like any, and comes back to the updater's
 * address. Its arrival is the reply: only then does the exchange take
 * effect at the node (the node's metrics are read, the epoch installed or
 * committed, the node's peers set to the committed list) and is the
 * updater answered. So a drop of the request or of the reply is one drop,
 * and the effect is applied at the reply's arrival rather than when the
 * node served the request (one link latency later). The payload carries
 * only an exchange id; the digest and the metrics pass in memory here.
 * What the ctrl helper's API replaces: the packet building (an
 * operator-signed CTRL packet, the digest in its body, a SURB for the
 * reply) and the node-side handling (node.c installing and reporting). */
#ifndef MIXCLAVES_UPDATER_LOOP_H
#define MIXCLAVES_UPDATER_LOOP_H

#include <stdint.h>

#include "env.h"
#include "mixclaves/codec.h"
#include "mixclaves/node.h"
#include "mixclaves/updater.h"

struct updater_loop;

/* The node at addr, or NULL (not provisioned). */
typedef node *(*updater_loop_node_fn)(void *ctx, cm_addr addr);

struct updater_loop_counters {
  uint64_t sent;        /* control packets handed to the network */
  uint64_t returned;    /* replies back at the updater's address */
  uint64_t outstanding; /* sent, not back: in flight, or dropped (after the drain: dropped) */
  uint64_t build_failed;/* not sent (codec build or env_send refused; the updater times out) */
  uint64_t malformed;   /* datagrams at the updater's address that are no known reply */
  uint64_t installs_applied, commits_applied; /* exchanges that took effect at a node */
};

/* Bound at self; every pointer borrowed (codec and the two callbacks'
 * contexts must outlive it). Draws (per-exchange delays, packet bytes)
 * from env_secret_rng "updater:<self>:delay" and ":nonce". Replies not
 * back by updater_loop_free are counted outstanding and forgotten. NULL on
 * a bad argument or if self is taken. */
struct updater_loop *updater_loop_new(env *e, cm_addr self, const struct codec_ops *codec, codec_key_fn keys, void *keys_ctx,
                              updater_loop_node_fn nodes, void *nodes_ctx, cm_time mean_delay);
void updater_loop_free(struct updater_loop *s);
/* read_metrics, install_epoch and commit; provision and committed are the
 * world's (left NULL). */
void updater_loop_ops(struct updater_loop *s, struct updater_ops *out);
void updater_loop_counters(const struct updater_loop *s, struct updater_loop_counters *out);
/* The epoch a node has installed / committed through control packets (0: none). */
void updater_loop_node_epoch(const struct updater_loop *s, cm_addr node, uint32_t *installed, uint32_t *committed);

#endif
