/* The updater (seed sections 3.1, 4.3 and 5.3, 5.5): the operator's agent
 * that samples every node's throughput, scales the trust domain out when
 * it passes a threshold, and installs the new node list as the next epoch.
 * Written only against the seam (env timers); it reaches the nodes through
 * struct updater_ops, so the same logic runs over any control transport
 * (updater_ctrl.h: CTRL packets; updater_loop.h: the earlier model, one
 * packet through the node per exchange).
 *
 * One sampling round every sample_interval: read_metrics to every node of
 * the committed epoch; each reply carries the node's cumulative count of
 * packets it processed and the node's time, and the rate since that node's
 * previous reply is its throughput. When the round ends (every request
 * answered or timed out) the aggregate throughput is the sum over the
 * nodes with a rate, scaled by (nodes - nodes on their first reply) /
 * nodes-with-a-rate (a node that did not answer is assumed as loaded as
 * those that did; a node on its first reply, just added, has no rate and
 * counts as carrying none: the others measured the whole load, and
 * counting it as loaded made the round after each commit pass the next
 * threshold at once; no decision when no node has a rate). If it passes thresholds[n - 1] (n nodes; the table is the measured
 * saturation, seed 4.3 "We use the throughput measured in Section 5 to
 * populate a table for scaling thresholds"), the updater scales out:
 *   provision (the world decides how long it takes; it may refuse)
 *   -> attempt at epoch v = highest version tried + 1: install_epoch(v,
 *      the committed nodes plus the new one) to every listed node, each
 *      request resent when it times out, until every node acked
 *   -> all acked within converge_timeout: committed (the digest marked
 *      committed, commit sent to every node, resent on timeout for another
 *      converge_timeout, and published: ops.committed);
 *      not all acked: retried (seed 4.3: "If the update fails to converge,
 *      the updater will refresh and retry adding its nodes at the
 *      next-highest epoch"), a new attempt at v + 1; after max_attempts,
 *      abandoned (the provisioned node is leaked, as the seed says an
 *      updater outside the mixnet may).
 * While an attempt runs, rounds go on but decide nothing.
 * Scale-in is refused (updater_scale_in): seed section 7, shrinking a
 * mixnet is not shown safe.
 *
 * Accounting: every attempt has exactly one outcome (struct
 * updater_attempt), attempts = committed + retried + abandoned + running;
 * every request has one: for each kind, sent = acked + timed_out +
 * pending; a reply after its request timed out is counted late, and what
 * it says still counts (an install acked late acks its attempt if that
 * attempt still runs; a late metrics reply updates the node's sample but
 * not the round that gave up on it). Ownership: the updater copies params and the
 * thresholds; ops.ctx is borrowed; digests passed to ops are valid only
 * for the call. */
#ifndef MIXCLAVES_UPDATER_H
#define MIXCLAVES_UPDATER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "mixclaves/epoch.h"

typedef struct updater updater;

#define UPDATER_MAX_THRESHOLDS 64

/* Why a scale-in is refused (seed section 7, "Mixnet Reconfiguration"). */
#define UPDATER_SCALE_IN_REFUSED                                                                                   \
  "scale-in refused: removing nodes is not shown safe (seed section 7: an honest mixnet would first need "       \
  "plausible, diminishing cover traffic to the old address, so that not all packets arriving there are real)"

/* What a node reports (the reply of read_metrics). */
struct updater_metrics {
  uint64_t processed; /* packets the node has processed so far (cumulative) */
  cm_time at;         /* when it counted them (the node's clock) */
};

/* The replies, to be called at most once per request, never from inside
 * the op's own call: arg and token as the op received them. */
typedef void (*updater_metrics_fn)(void *arg, uint64_t token, const struct updater_metrics *m);
typedef void (*updater_ack_fn)(void *arg, uint64_t token);
/* node NULL: provisioning failed. */
typedef void (*updater_provision_fn)(void *arg, const struct epoch_node *node);

struct updater_ops {
  void *ctx;
  void (*read_metrics)(void *ctx, cm_addr node, updater_metrics_fn done, void *arg, uint64_t token);
  /* install d (not committed) at node: ack once the node holds it */
  void (*install_epoch)(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                        uint64_t token);
  /* d committed: ack once the node applied it */
  void (*commit)(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                 uint64_t token);
  void (*provision)(void *ctx, updater_provision_fn done, void *arg);
  /* optional: a committed digest to publish to clients (seed: they poll) */
  void (*committed)(void *ctx, const struct epoch_digest *d);
};

struct updater_params {
  cm_time sample_interval;   /* 0: 1 s */
  cm_time reply_timeout;     /* a request not answered within this times out (and is resent); 0: 500 ms */
  cm_time converge_timeout;  /* an attempt not fully acked within this is retried; 0: 5 s */
  uint32_t max_attempts;     /* per scale-out; 0: 10 */
  uint32_t max_nodes;        /* no scale-out past this many; 0: EPOCH_MAX_NODES */
  cm_time settle;            /* after a commit, rounds measure but decide nothing for this long (the
                                reconfiguration's backlog and catch-up are a transient); 0: none */
  cm_time stop;              /* no rounds at or after this; 0: never */
  /* thresholds[i]: aggregate msg/s at which i + 1 nodes scale out; past
   * the table, no scale-out. At least one, each > 0. */
  const double *thresholds;
  uint32_t nthresholds;
  /* the operator's Ed25519 key; NULL: digests left unsigned */
  const uint8_t *operator_sk;
};

enum updater_outcome {
  UPDATER_RUNNING = 0, /* waiting for acks */
  UPDATER_COMMITTED,   /* every node acked; committed */
  UPDATER_RETRIED,     /* did not converge; retried at the next epoch */
  UPDATER_ABANDONED,   /* did not converge, max_attempts reached */
};
const char *updater_outcome_name(enum updater_outcome o);

struct updater_attempt {
  uint32_t id;                  /* 0, 1, ... */
  uint32_t scale_out;           /* which scale-out it belongs to (0, 1, ...) */
  uint32_t version;             /* the epoch it tries to install */
  uint32_t nodes;               /* listed in its digest */
  uint32_t acked;               /* nodes that acked it */
  uint64_t installs_sent, installs_timed_out;
  cm_time started, ended;       /* ended: -1 while running */
  enum updater_outcome outcome;
};

struct updater_counters {
  uint64_t rounds, decisions_skipped; /* rounds; of them, with no node answering */
  uint64_t settling;                  /* rounds with a rate that decided nothing (params.settle) */
  uint64_t scale_outs, provisioned, provision_failed, scale_in_refused;
  uint64_t attempts, committed, retried, abandoned, running;
  uint64_t metrics_sent, metrics_acked, metrics_timed_out;
  uint64_t install_sent, install_acked, install_timed_out;
  uint64_t commit_sent, commit_acked, commit_timed_out;
  uint64_t pending; /* requests not yet answered nor timed out (all kinds) */
  uint64_t late;    /* replies after their request timed out (outcome stays timed_out; the reply still
                       counts: a late install ack still acks, for the attempt it belongs to) */
  uint64_t unknown; /* replies with a token never issued (a transport bug) */
  uint32_t epoch, nodes; /* the committed epoch and its node count */
  double last_throughput; /* aggregate msg/s of the last round that had one; 0: none yet */
};

/* An updater over initial (committed, copied; its nodes are the trust
 * domain at start). Rounds start at env_now + sample_interval. NULL on a
 * bad argument (no thresholds, one not > 0, missing ops, initial not
 * committed or empty) or out of memory. */
updater *updater_new(env *e, const struct updater_params *p, const struct updater_ops *ops,
                     const struct epoch_digest *initial);
/* Cancel timers and forget pending requests; replies arriving later must
 * not be delivered (the caller stops its transport first). */
void updater_free(updater *u);

/* Scale-in: always refused. CM_ENOSYS, *why set to UPDATER_SCALE_IN_REFUSED. */
int updater_scale_in(updater *u, cm_addr node, const char **why);

void updater_counters(const updater *u, struct updater_counters *out);
/* The attempts so far, in order (owned by u; valid until the next event). */
const struct updater_attempt *updater_attempts(const updater *u, size_t *n);
/* The committed digest (owned by u). */
const struct epoch_digest *updater_committed(const updater *u);
/* Every identity in the comment above. */
bool updater_counters_balanced(const struct updater_counters *k);

#endif
