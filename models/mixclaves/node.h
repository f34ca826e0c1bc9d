/* The mix node (seed section 3.1, Fig. 4), written only against the seam,
 * with the seed's two APIs: node_accept(packet), the datagram handler bound
 * at the node's address, and node_config(), what the node says about
 * itself.
 *
 * A packet's way through the node (every step counted; SPHINX.md, "What a
 * mix node does", gives the same order for the wire format):
 *   accept(from, packet) -> [CPU: FIFO single server, queue bound
 *   queue_max] -> cheap checks, no crypto: length and version (malformed),
 *   the epoch field against the node's key epoch (stale_epoch), the
 *   source's budget of failed expensive work (rate_limited), the replay
 *   filter's fill against its design capacity (replay_filter_full) ->
 *   unwrap (codec: X25519, MAC, routing; malformed) -> replay tag
 *   (replay) -> DROP: discarded; delay over max_delay (delay_too_long);
 *   the source holding its share of the buffer (source_share_full) ->
 *   held in the oblivious buffer (buffer.h) for the delay the header names
 *   -> env_send to the next hop (forwarded) or, at the last hop, the
 *   payload to the destination (delivered). A loop whose last hop is this
 *   node and whose destination is this node is the node's own loop cover
 *   coming home (loop_returned). A failed unwrap or a replay costs the
 *   source one token of its failure budget (fail_burst, refilled at
 *   fail_rate_per_s): a source that floods junk is dropped before any
 *   X25519 while the others are served.
 * Every datagram accepted ends in exactly one counted outcome (struct
 * node_counters); the ones not yet ended are in_cpu or held.
 *
 * The CPU: when params.service_time is set (the sim world supplies one,
 * sim/mixhost.h), each accepted packet waits in a FIFO of at most
 * queue_max packets and then occupies the single CPU for service_time(len);
 * it is unwrapped when its service ends, so throughput saturates at
 * 1 / service time. NULL (real mode): processed inside accept, no queue.
 *
 * Own loop cover (Loopix): Poisson at loop_rate_per_s, each loop through
 * loop_hops nodes drawn uniformly from the peers, then back to this node,
 * per-hop delays exponential with mean loop_mean_delay; type ROUTE at
 * every hop but the last (LOOP), so no mix can tell it from real traffic.
 * Sent directly (not through the buffer). Counted in loops_sent.
 *
 * Epochs and replay (Katzenpost and Nym practice): one X25519 key per key
 * epoch, held in a ring (keyring.h): the current key, the next one
 * published ahead (node_epoch_publish_next: clients may build packets for
 * epoch e+1 before it starts) and the previous one for epoch_grace after a
 * switch. Packets of an epoch the ring holds no key for are dropped before
 * any crypto (stale_epoch); the others are checked against THEIR epoch's
 * replay filter, which is dropped only with its key, never reset while the
 * key accepts packets, and is sized for replay_capacity tags (real mode:
 * max rate x epoch length); at that fill new packets are dropped as
 * replay_filter_full instead of being falsely rejected. The filters live
 * in memory; params.replay_log hands every new tag to a journal, and
 * node_replay_restore puts a journal back after a restart (same keys, same
 * epoch), so a packet seen before a crash stays a replay after it.
 *
 * The epoch digest (epoch.h, epoch_state.h): node_epoch_install takes an
 * operator-committed digest listing this node (its Ed25519 key and the
 * epoch's packet key), calls params.persist first (seed 3.3: "the mix node
 * must persist the digest before installing a new configuration"; an error
 * there aborts the install, nothing changes), then switches the ring to the
 * epoch's key. config() reports the digest and the epochs held;
 * node_epoch_attest signs (digest hash, client nonce).
 *
 * Control packets (ctrl.h, node_ctrl.c): a packet whose last hop here has
 * type CTRL carries an operator-signed request. Whatever becomes of it
 * (accepted, or refused for a missing operator key, a bad signature, a
 * replayed sequence number, a stale epoch, an issued-at time outside
 * ctrl_window, a malformed message) it counts as discarded_drop, as DROP
 * cover does, so the public counters cannot tell control traffic or its
 * rejection; the breakdown is only in READ_METRICS replies. A reply is
 * built from the request's reply block, held for the CTRL hop's delay like
 * a forwarded packet, and counted as loops_sent (the node's own packets).
 * After POISON_PILL every datagram counts as poisoned.
 *
 * Random streams: every draw that shapes a packet or a key comes from
 * env_secret_rng (OS CSPRNG in real mode; the reproducible named stream in
 * simulation): "node:<addr>:keys" (only without params.identity), ":loop",
 * ":slots", ":nonce". Ownership: params, the identity and peer lists are
 * copied; the codec ops and the service_time argument are borrowed and
 * must outlive the node. */
#ifndef MIXCLAVES_NODE_H
#define MIXCLAVES_NODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "mixclaves/buffer.h"
#include "mixclaves/codec.h"
#include "mixclaves/epoch.h"

/* A free list of packet blocks that the nodes of one world share (see
 * node_params.pool). Owned by the world; free it after its nodes. Not for
 * nodes running in different threads. */
typedef struct node_pool node_pool;
node_pool *node_pool_new(void);
void node_pool_free(node_pool *pool);

typedef struct node node;

/* A node's long-term keys: X25519 for packets, Ed25519 for its quote. */
struct node_identity {
  uint8_t pk[32], sk[32];            /* X25519; pk must pass sphinx_pk_check */
  uint8_t sign_pk[32], sign_sk[64];  /* Ed25519 (libsodium layout) */
};

/* Defaults, with their reasons:
 * NODE_MAX_DELAY 10 s: 10,000 times the seed's 1 ms mean per-hop delay (an
 *   honest exponential draw exceeds it with probability e^-10000) and 10
 *   times the benchmark client's late_after (1 s), past which a packet is
 *   counted lost anyway; a longer hold only pins a buffer slot.
 * NODE_SOURCE_SHARE 1/4: one source (a client or an upstream node) holds
 *   at most a quarter of the buffer, so three quarters stay for the others;
 *   at the seed's 1 ms mean delay a source needs about rate x 1 ms slots,
 *   so 1024 of 4096 slots carry about 1 M packets/s from one source.
 * NODE_FAIL_BURST 64, NODE_FAIL_RATE 16/s: an honest sender never fails a
 *   MAC and never replays; these absorb a burst of corruption while
 *   capping one junk flood at 16 X25519s a second. */
#define NODE_MAX_DELAY CM_S(10)
/* The replay filter is sized for replay_fp x this at replay_capacity, so a
 * full filter's measured false-positive rate stays under replay_fp despite
 * sampling noise (sized for exactly 0.1%, 1 M probes of a full filter for
 * 1 M tags hit 0.104%; sized so, 0.093% against a predicted 0.090%:
 * tests/unit/test_replay.c); it costs about 4% more memory. */
#define NODE_REPLAY_MARGIN 0.9
#define NODE_SOURCE_SHARE 0.25
#define NODE_FAIL_BURST 64
#define NODE_FAIL_RATE 16.0
/* NODE_CTRL_WINDOW 5 min: a control request issued more than this before
 * or after the node's clock is stale. It bounds how long a captured
 * request stays replayable after a node restart (the sequence window is
 * in memory) and tolerates operator/node clock skew of minutes. */
#define NODE_CTRL_WINDOW CM_S(300)

/* INSTALL_EPOCH's hook (another module holds the epoch digests): 0 when
 * the node holds the digest of epoch `version` whose hash is `hash`
 * locally, *next then set to the node's keys for it; 1 when it holds it
 * but has no key for it (the node draws one); a negative CM_E* when it
 * does not hold it. Called synchronously inside node_ctrl_install_epoch. */
typedef int (*node_epoch_known_fn)(void *ctx, uint32_t version, const uint8_t hash[32],
                                   struct node_identity *next);

/* params.persist: store d (and the epoch's packet key pk / sk) durably
 * before the node installs it; 0, or an error that aborts the install. */
typedef int (*node_persist_fn)(void *arg, const struct epoch_digest *d, const uint8_t pk[32], const uint8_t sk[32]);

/* params.replay_log: the tag of a packet of epoch just entered into that
 * epoch's replay filter (after a successful unwrap), for a journal that
 * survives a restart (node_replay_restore). */
typedef void (*node_tag_fn)(void *arg, uint32_t epoch, const uint8_t tag[CODEC_TAG_BYTES]);

/* COMMIT's hook (the same digest store, params.epoch_ctx): when the node
 * holds the committed digest of epoch `version` whose hash is `hash`, its
 * node addresses into peers[0, cap) (*n set) and 0; a negative CM_E* when
 * it does not hold it (or more than cap). */
typedef int (*node_epoch_peers_fn)(void *ctx, uint32_t version, const uint8_t hash[32], cm_addr *peers,
                                   size_t cap, size_t *n);

/* Per-packet CPU time (ns) of processing a packet of len bytes. */
typedef cm_time (*node_service_fn)(void *arg, size_t len);

struct node_params {
  uint32_t id;                   /* operator's node id, for config() and logs */
  cm_addr addr;                  /* where the node listens (bound by node_new) */
  const struct codec_ops *codec; /* NULL: abstract */
  enum buffer_variant buffer;    /* delay buffer variant */
  uint32_t buffer_capacity;      /* packets held at most; 0: 4096 */
  uint32_t queue_max;            /* CPU input queue bound (packets); 0: 1024 */
  uint64_t replay_capacity;      /* replay filter sized for this many tags per epoch; 0: 1e6;
                                    past it new packets are dropped (replay_filter_full) */
  double replay_fp;              /* its false-positive rate at capacity; 0: 1e-3 */
  double loop_rate_per_s;        /* own loop cover rate; 0: none */
  uint32_t loop_hops;            /* hops before returning; 0: 1 */
  cm_time loop_mean_delay;       /* per-hop delay mean of own loops; 0: 1 ms (seed 5) */
  cm_time loop_until;            /* no own loops sent at or after this time; 0: forever */
  node_service_fn service_time;  /* NULL: no CPU model (real mode) */
  void *service_arg;
  uint32_t epoch;                /* key epoch the node starts in; packets of others: stale_epoch */
  /* The node's keys (copied). NULL: drawn from env_secret_rng
   * "node:<addr>:keys" (simulation; real mode loads them from the files of
   * `cloudmix node init`). */
  const struct node_identity *identity;
  /* Bounded resources (0: the default named). */
  cm_time max_delay;       /* longest per-hop delay held; longer: delay_too_long. 0: NODE_MAX_DELAY */
  double source_share;     /* fraction of buffer_capacity one source may hold, (0, 1]; 0: NODE_SOURCE_SHARE */
  uint32_t fail_burst;     /* failed unwraps / replays a source may cause at once; 0: NODE_FAIL_BURST */
  double fail_rate_per_s;  /* and per second after that; 0: NODE_FAIL_RATE */
  /* Keyed codecs (full): where the node's own loops find the peers' public
   * keys (its own included). Required when the codec is keyed and
   * loop_rate_per_s > 0; a lookup failure counts loop_send_failed. */
  codec_key_fn keys;
  void *keys_ctx;
  /* The operator's Ed25519 public key (32 bytes, copied): CTRL packets
   * must be signed by it (NULL: every CTRL is refused), and so must every
   * digest the node installs (NULL: unchecked). Then the control plane:
   * the issued-at window (0: NODE_CTRL_WINDOW), INSTALL_EPOCH's and
   * COMMIT's hooks (NULL: no digest known). */
  const uint8_t *operator_pk;
  cm_time ctrl_window;
  cm_time ctrl_clock_base; /* issued-at times are on clock_base + env_now (ctrl_client.h) */
  node_epoch_known_fn epoch_known;
  node_epoch_peers_fn epoch_peers;
  void *epoch_ctx;
  /* Epochs. */
  cm_time epoch_grace;           /* the previous key accepts packets this long after a switch; 0: not at all */
  node_persist_fn persist;       /* NULL: nothing persisted (simulation) */
  void *persist_arg;
  const struct epoch_digest *digest; /* restored at start (borrowed during node_new): committed, of version epoch,
                                        listing this node with identity's keys; NULL: none yet */
  const uint8_t *binary_measurement; /* 32 bytes (copied): BLAKE2b-256 of the running binary, in the measurement */
  node_tag_fn replay_log;        /* NULL: tags are kept in memory only */
  void *replay_log_arg;
  /* Free packet blocks shared with the other nodes of a single-threaded
   * world (node_pool_new; borrowed, outlives the node; used only when its
   * blocks are of this node's packet size). NULL: the node's own free
   * list. Shared, a block a node just sent from is the next one any node
   * unwraps into, while it is still in the cache. */
  node_pool *pool;
};

/* Every accepted datagram ends in exactly one of the outcome fields:
 * received = malformed + stale_epoch + rate_limited + replay_filter_full +
 *            replay + delay_too_long + source_share_full + queue_full +
 *            buffer_full + unknown_next_hop + discarded_drop + poisoned +
 *            loop_returned + forwarded + delivered + send_failed + in_cpu +
 *            held. */
struct node_counters {
  uint64_t received;         /* datagrams accepted */
  uint64_t malformed;        /* codec rejected: length, version, checksum/MAC, fields, wrong node */
  uint64_t stale_epoch;      /* epoch field is not the node's key epoch (before any crypto) */
  uint64_t rate_limited;     /* source out of its failure budget (before any crypto) */
  uint64_t replay_filter_full; /* replay filter at design capacity for this key */
  uint64_t replay;           /* tag seen before in this epoch */
  uint64_t delay_too_long;   /* per-hop delay over max_delay */
  uint64_t source_share_full; /* the source already holds its share of the buffer */
  uint64_t queue_full;       /* CPU input queue at queue_max (saturation) */
  uint64_t buffer_full;      /* delay buffer at capacity */
  uint64_t unknown_next_hop; /* next hop not among the peers */
  uint64_t discarded_drop;   /* DROP cover and CTRL packets (accepted or not), discarded after unwrap */
  uint64_t poisoned;         /* arrived after a POISON_PILL */
  uint64_t loop_returned;    /* own loop cover back home */
  uint64_t forwarded;        /* sent on to the next hop */
  uint64_t delivered;        /* payload sent to its destination at the last hop */
  uint64_t send_failed;      /* env_send refused at release */
  uint64_t in_cpu;           /* waiting for or in service now */
  uint64_t held;             /* in the delay buffer now */
  /* not outcomes */
  uint64_t loops_sent;       /* own packets sent: loop cover and control replies */
  uint64_t loop_send_failed; /* own packets not sent (build, buffer or env_send refused) */
  uint64_t max_in_cpu;       /* deepest CPU queue seen */
  uint64_t max_held;
  uint64_t replay_tags;      /* tags in the replay filter now (its fill) */
  uint64_t replay_capacity;  /* the filter's design capacity */
  cm_time busy;              /* CPU time spent serving (ns) */
};

/* What config() reports. Strings and pk point into the node; valid until
 * node_free. */
struct node_config {
  uint32_t id;
  cm_addr addr;
  uint32_t epoch;
  uint8_t pk[32];            /* X25519 public key (the packet key) */
  uint8_t sign_pk[32];       /* Ed25519 key the software quote is signed with */
  const char *codec;         /* codec name */
  const char *buffer;        /* buffer variant name */
  uint32_t buffer_capacity, queue_max;
  double loop_rate_per_s;
  struct node_counters counters;
  /* DESIGN.md "What is honest about enclaves": there is no SGX / SEV here. */
  const char *attestation;   /* "software quote, no hardware enclave" */
  uint8_t measurement[32];   /* BLAKE2b-256 over the node's code version, configuration and (has_binary)
                                the binary's own BLAKE2b-256 */
  uint8_t quote[64];         /* Ed25519 over measurement || pk, by sign_pk */
  bool has_binary;
  uint8_t binary_measurement[32];
  /* Epochs: the keys held (ascending: previous in its grace, current, next) */
  uint32_t epochs[3];
  size_t nepochs;
  bool has_next;
  uint8_t next_pk[32];       /* the key published for epoch + 1 */
  const struct epoch_digest *digest; /* the committed digest installed, or NULL; valid until the next install */
  uint8_t digest_hash[32];   /* its BLAKE2b-256 (epoch_digest_hash) */
};

/* A node listening at params->addr (bound here). peers[0..n) are the nodes
 * it may forward to and draw loop paths from (copied; may include itself).
 * NULL on a bad argument (addr 0, a codec that is not available, bad
 * rates, a keyed codec with own loops but no keys lookup), if the address is already bound, or out of memory. Calls
 * sodium_init(). */
node *node_new(env *e, const struct node_params *params, const cm_addr *peers, size_t npeers);

/* Unbind, cancel every timer, free. Held and queued packets are dropped
 * uncounted (the node is gone). */
void node_free(node *n);

/* accept(packet) from `from` (the sender's address: budgets and buffer
 * shares are per source): what the bound handler calls. Copies what it
 * keeps. */
void node_accept(node *n, cm_addr from, const uint8_t *pkt, size_t len);

/* config(): fill out. */
void node_config(const node *n, struct node_config *out);
void node_counters(const node *n, struct node_counters *out);

/* Replace the peer list (copied): 0 or CM_ENOMEM / CM_EINVAL. */
int node_set_peers(node *n, const cm_addr *peers, size_t npeers);

/* Start the next key epoch (epoch + 1) with a new X25519 key: next
 * (copied; its Ed25519 pair is ignored, the node's identity stays), or
 * NULL for the key published ahead for it (node_epoch_publish_next) or,
 * none, one drawn from the node's key stream. The new key comes with its
 * own replay filter (a published key keeps the one it has); the old key
 * and its filter stay for epoch_grace, then packets stamped with the old
 * epoch are dropped (stale_epoch). 0, CM_EINVAL (a key sphinx_pk_check
 * refuses). No digest is involved: node_epoch_install is the operator's
 * way. */
int node_epoch_advance(node *n, const struct node_identity *next);

/* Instrument the node's delay buffer (buffer_instrument's modes, e.g.
 * BUFFER_LOG_PAIRS for the Fig. 1 store/read addresses of the packets it
 * releases) and read its logged pairs (buffer_addr_pairs: owned by the
 * node, valid until its buffer is next used). For observers of a
 * simulation (cli/mixclaves_anon.c). */
int node_buffer_instrument(node *n, unsigned modes);
uint64_t node_buffer_pairs(const node *n, const struct buffer_addr_pair **out);

/* Two phases, as the updater's install then commit (seed 4.3): the node
 * keeps serving its current epoch until the commit, so an attempt that
 * does not converge (and is retried at the next epoch) never leaves a node
 * on a key the clients do not use.
 * INSTALL_EPOCH (also callable directly): params.epoch_known must say the
 * node holds the digest of `version` (above the node's epoch) with this
 * hash; the hook's key for it (or a drawn one) is published ahead
 * (node_epoch_publish): packets of that epoch are accepted from now on,
 * the node's epoch does not change. A later version replaces a key
 * published for an attempt that was abandoned (seed 4.3: "retry adding
 * its nodes at the next-highest epoch"). `version` equal to the node's
 * epoch or to the key already published is a resend: 0, nothing changes.
 * 0, CM_ENOENT (an epoch below, or the digest not held), CM_EINVAL (the
 * hook's key refused; poisoned). */
int node_ctrl_install_epoch(node *n, uint32_t version, const uint8_t hash[32]);
/* COMMIT (also callable directly): params.epoch_peers must give the
 * committed node list of `version`; above the node's epoch, the key
 * INSTALL_EPOCH published for it becomes current (node_epoch_switch; the
 * old one stays for params.epoch_grace); the node's peers become that list
 * and the epoch is marked committed (a resend changes nothing). 0,
 * CM_ENOENT (below the node's epoch, the list not held, or no key
 * published for it), CM_EINVAL (poisoned), CM_ENOMEM. */
int node_ctrl_commit(node *n, uint32_t version, const uint8_t hash[32]);
/* The last epoch committed through COMMIT (0: none). */
uint32_t node_committed_epoch(const node *n);

/* The warrant canary text the operator last set (CANARY), *len bytes, not
 * NUL-terminated; NULL (len 0) before any. Valid until the next CANARY or
 * node_free. */
const uint8_t *node_canary(const node *n, size_t *len);

/* Publish the key of epoch + 1 ahead of its start: next (copied; its
 * Ed25519 pair is ignored), or NULL to draw one from the node's key
 * stream. Packets of that epoch are accepted from now on, against its own
 * filter. 0, CM_EINVAL. */
/* The same for any later epoch `version`: 0, CM_EINVAL (not above the
 * node's epoch, a bad key, poisoned). */
int node_epoch_publish(node *n, uint32_t version, const struct node_identity *key);

/* Make the key published ahead for `version` current (its filter kept;
 * the current key stays for params.epoch_grace). 0, CM_ENOENT (no key
 * published for version), CM_EINVAL (poisoned). */
int node_epoch_switch(node *n, uint32_t version);

int node_epoch_publish_next(node *n, const struct node_identity *next);

/* Install the committed digest d: the node's packet key for d->version is
 * key (copied; Ed25519 ignored), or, NULL, the one published ahead for it
 * (or the current key, for the current epoch). d must be committed, carry
 * the operator's signature when params.operator_pk is set, and list the
 * node at its address with its Ed25519 key and that packet key. Then
 * params.persist, then the switch (the old key keeps epoch_grace). The
 * installed digest again: 0, nothing done. Errors, nothing changed:
 * CM_EINVAL (not committed, bad signature or key), CM_ENOENT (the node is
 * not listed, or no key for the epoch), CM_EPARSE (the digest lists
 * another packet key), CM_ERANGE (an epoch below the installed one),
 * CM_EEXIST (another digest of the installed epoch), or persist's error. */
int node_epoch_install(node *n, const struct epoch_digest *d, const struct node_identity *key);

/* The node's signature over (installed digest's hash, the client's nonce)
 * (epoch_node_sign). 0, CM_ENOENT (no digest installed), CM_EINVAL. */
int node_epoch_attest(const node *n, const uint8_t nonce[EPOCH_NONCE_BYTES], uint8_t sig[EPOCH_SIG_BYTES]);

/* Put tag into epoch's replay filter (a restarted node reloading its
 * journal, params.replay_log). 0, CM_ENOENT (no key of that epoch held). */
int node_replay_restore(node *n, uint32_t epoch, const uint8_t tag[CODEC_TAG_BYTES]);

/* Check every counter identity above; false when broken (tests). */
bool node_counters_balanced(const struct node_counters *c);

#endif
