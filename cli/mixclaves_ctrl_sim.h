/* The updater's control transport in simulation (cli/mixclaves_ctrl_sim.c):
 * struct updater_ops (models/mixclaves/updater.h) read_metrics,
 * install_epoch and commit, each exchange one real packet through the
 * simulated node. Internal to cli/ (the elasticity experiment).
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
#ifndef CM_CLI_MIXCLAVES_CTRL_SIM_H
#define CM_CLI_MIXCLAVES_CTRL_SIM_H

#include <stdint.h>

#include "env.h"
#include "mixclaves/codec.h"
#include "mixclaves/node.h"
#include "mixclaves/updater.h"

struct ctrl_sim;

/* The node at addr, or NULL (not provisioned). */
typedef node *(*ctrl_sim_node_fn)(void *ctx, cm_addr addr);

struct ctrl_sim_counters {
  uint64_t sent;        /* control packets handed to the network */
  uint64_t returned;    /* replies back at the updater's address */
  uint64_t outstanding; /* sent, not back: in flight, or dropped (after the drain: dropped) */
  uint64_t build_failed;/* not sent (codec build or env_send refused; the updater times out) */
  uint64_t malformed;   /* datagrams at the updater's address that are no known reply */
  uint64_t installs_applied, commits_applied; /* exchanges that took effect at a node */
};

/* Bound at self; every pointer borrowed. NULL on a bad argument or if self
 * is taken. */
struct ctrl_sim *ctrl_sim_new(env *e, cm_addr self, const struct codec_ops *codec, codec_key_fn keys, void *keys_ctx,
                              ctrl_sim_node_fn nodes, void *nodes_ctx, cm_time mean_delay);
void ctrl_sim_free(struct ctrl_sim *s);
/* read_metrics, install_epoch and commit; provision and committed are the
 * world's (left NULL). */
void ctrl_sim_ops(struct ctrl_sim *s, struct updater_ops *out);
void ctrl_sim_counters(const struct ctrl_sim *s, struct ctrl_sim_counters *out);
/* The epoch a node has installed / committed through control packets (0: none). */
void ctrl_sim_node_epoch(const struct ctrl_sim *s, cm_addr node, uint32_t *installed, uint32_t *committed);

#endif
