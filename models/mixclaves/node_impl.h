/* The mix node's insides, shared by node.c (the packet path) and
 * node_ctrl.c (control packets): not an API. node.h is the interface. */
#ifndef MIXCLAVES_NODE_IMPL_H
#define MIXCLAVES_NODE_IMPL_H

#include <glib.h>

#include "mixclaves/ctrl.h"
#include "mixclaves/epoch_state.h"
#include "mixclaves/keyring.h"
#include "mixclaves/node.h"
#include "mixclaves/node_sources.h"

/* Operator-only counts of control packets (all of them are also in the
 * public discarded_drop): returned only inside READ_METRICS replies. */
struct node__ctrl_counters {
  uint64_t accepted, bad_signature, replay, stale, malformed;
  uint64_t replies_sent, replies_failed; /* replies handed to env_send / not sent */
};

#define NODE__CTRL_SEEN 64 /* accepted requests remembered per issued-at window */

struct block {
  struct block *next;
  uint8_t data[];
};

struct node_pool {
  struct block *free; /* free blocks of `bytes` data bytes */
  size_t bytes;       /* 0: none made yet */
};

/* What the node keeps per source address: struct source, in the table of
 * node_sources.h. A source holding no packet with its whole failure budget
 * is the same as one never seen, so it is forgotten: the table holds only
 * the sources with packets held or failures to remember, however many
 * clients the network has. */

struct slot {
  struct block *b; /* NULL when free */
  size_t off, len; /* the bytes to send: b->data[off, off + len) */
  cm_addr src;     /* whose share it counts against (a key of the sources table) */
  bool own;        /* the node's own packet (a CTRL reply): no source, no share */
  cm_addr to;
  bool deliver;    /* last hop: to is the destination */
  timer_id timer;
  uint32_t next_free;
};

struct node {
  env *e;
  struct node_params p;
  const struct codec_ops *codec;
  cm_addr *peers;
  size_t npeers;
  buffer *buf;
  keyring *ring;            /* per-epoch keys, each with its replay filter (keyring.h) */
  struct epoch_state *es;   /* the committed digest installed (and a proposal), node_epoch_install */
  rng *r_loop, *r_slots, *r_nonce;
  uint8_t pk[32], sk[32], sign_pk[32], sign_sk[64];
  uint8_t measurement[32], quote[64];
  struct block *own_blocks;  /* the node's own free blocks */
  struct block **free_blocks; /* &own_blocks, or the shared pool's list (params.pool) */
  struct slot *slots;       /* buffer_capacity of them, zero pages until used */
  uint32_t free_slot;       /* head of the free slot list; UINT32_MAX: none */
  uint32_t slots_touched;   /* slots [slots_touched, capacity) were never used: free too */
  cm_addr *peers_sorted;    /* the peers, ascending, for is_peer */
  bool peers_range;         /* they are exactly peers_sorted[0] .. + npeers - 1 */
  struct srctab sources;
  struct source src0;       /* sender address 0 (only a direct node_accept can say so), outside the table */
  bool src0_live;
  uint32_t share_slots;     /* slots one source may hold */
  struct block **q;         /* CPU queue: ring of queue_max, each packet_bytes long */
  cm_addr *q_from;          /* the sender of each queued packet */
  uint32_t q_head, q_n;     /* the CPU is busy exactly when q_n > 0 */
  timer_id cpu_timer, loop_timer;
  struct node_counters c;
  /* the control plane (node_ctrl.c) */
  uint8_t operator_pk[32], binary[32]; /* copied from params (has_*: given) */
  bool has_operator, has_binary;
  bool poisoned;               /* POISON_PILL: keys erased, every packet dropped */
  struct { uint64_t seq; cm_time issued_at; } ctrl_seen[NODE__CTRL_SEEN]; /* accepted, still in the window */
  uint32_t ctrl_nseen;
  uint64_t ctrl_floor;         /* sequence numbers at or below it are refused */
  struct node__ctrl_counters ctrl;
  uint8_t canary[CTRL_CANARY_MAX];
  size_t canary_len;
  uint32_t ctrl_committed;     /* the last epoch committed through COMMIT */
};

#define NO_SLOT UINT32_MAX

/* node.c: a packet block from the free list / back to it. */
struct block *node__block_get(node *n);
void node__block_put(node *n, struct block *b);
/* node.c: hold b (taken) for delay, then send [off, off+len) to `to`;
 * src NULL: the node's own packet (a reply), counted as loops_sent. */
void node__hold(node *n, struct source *src, struct block *b, size_t off, size_t len, cm_addr to, bool deliver,
                cm_time delay);
/* node.c: a fresh packet key from the node's key stream; the node's
 * quote over its measurement and current key, made again. */
void node__draw_key(node *n, uint8_t pk[32], uint8_t sk[32]);
void node__make_quote(node *n);
/* node_epoch.c: at start, the digest persisted with the node's epoch and
 * key (0, or CM_E*); the epochs the node holds, for config(). */
int node__digest_restore(node *n, const struct epoch_digest *d);
void node__config_epochs(const node *n, struct node_config *out);
/* node.c: (re)start the own loop cover at p.loop_rate_per_s. */
void node__loops_restart(node *n);
/* node_ctrl.c: a packet unwrapped here with type CTRL (u->payload its
 * payload); counts it as discarded_drop whatever happens. */
void node__ctrl(node *n, const struct codec_unwrapped *u);
/* node_ctrl.c: the operator-only counters (tests; READ_METRICS replies). */
void node__ctrl_counters(const node *n, struct node__ctrl_counters *out);

#endif
