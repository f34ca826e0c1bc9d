/* The mix node's control plane (node.h, ctrl.h): a packet unwrapped here
 * with type CTRL is decoded, checked (target, operator signature, epoch,
 * issued-at window, sequence window), executed, and answered through its
 * reply block. Every such packet counts as the public discarded_drop; the
 * operator-only breakdown is in n->ctrl. Checks run in a fixed order and
 * the first failure ends the packet: malformed (not a canonical request,
 * another target, a reply block of the wrong size, not at the last hop),
 * bad_signature (no operator key, or a signature that does not verify),
 * stale (another key epoch, issued-at outside ctrl_window), replay (a
 * sequence number accepted before: see seq_fresh). */
#include <string.h>

#include <sodium.h>

#include "mixclaves/epoch.h"
#include "mixclaves/node_impl.h"
#include "mixclaves/sphinx.h"

/* Replay: the sequence numbers accepted whose issued-at is still inside
 * the window are kept (NODE__CTRL_SEEN of them); an older request is
 * refused as stale anyway, so it is forgotten. When the set is full the
 * smallest is evicted and becomes the floor. So requests may arrive in any
 * order (the mixnet reorders them) and a sequence number is never
 * accepted twice while its request can pass the issued-at check. */
static bool seq_fresh(const node *n, uint64_t seq) {
  if (seq <= n->ctrl_floor) return false;
  for (uint32_t i = 0; i < n->ctrl_nseen; i++)
    if (n->ctrl_seen[i].seq == seq) return false;
  return true;
}

static void seq_record(node *n, uint64_t seq, cm_time issued_at, cm_time oldest) {
  uint32_t k = 0, min = 0;
  for (uint32_t i = 0; i < n->ctrl_nseen; i++) /* forget what the window refuses */
    if (n->ctrl_seen[i].issued_at >= oldest) n->ctrl_seen[k++] = n->ctrl_seen[i];
  n->ctrl_nseen = k;
  if (k == NODE__CTRL_SEEN) {
    for (uint32_t i = 1; i < k; i++)
      if (n->ctrl_seen[i].seq < n->ctrl_seen[min].seq) min = i;
    if (n->ctrl_seen[min].seq > n->ctrl_floor) n->ctrl_floor = n->ctrl_seen[min].seq;
    n->ctrl_seen[min] = n->ctrl_seen[--n->ctrl_nseen];
  }
  n->ctrl_seen[n->ctrl_nseen].seq = seq;
  n->ctrl_seen[n->ctrl_nseen].issued_at = issued_at;
  n->ctrl_nseen++;
}

static void metrics(const node *n, struct ctrl_metrics *m) {
  const struct node_counters *c = &n->c;
  *m = (struct ctrl_metrics){
      .received = c->received, .forwarded = c->forwarded, .delivered = c->delivered, .loops_sent = c->loops_sent,
      .in_cpu_now = c->in_cpu, .held_now = c->held, .busy_ns = (uint64_t)c->busy,
      .malformed = c->malformed, .stale_epoch = c->stale_epoch, .rate_limited = c->rate_limited,
      .replay_filter_full = c->replay_filter_full, .replay = c->replay, .delay_too_long = c->delay_too_long,
      .source_share_full = c->source_share_full, .queue_full = c->queue_full, .buffer_full = c->buffer_full,
      .unknown_next_hop = c->unknown_next_hop, .send_failed = c->send_failed,
      .discarded_drop = c->discarded_drop, .loop_returned = c->loop_returned,
      .ctrl_accepted = n->ctrl.accepted, .ctrl_bad_signature = n->ctrl.bad_signature,
      .ctrl_replay = n->ctrl.replay, .ctrl_stale = n->ctrl.stale, .ctrl_malformed = n->ctrl.malformed,
      .replay_tags = keyring_current(n->ring) ? sphinx_replay_count(keyring_current(n->ring)->replay) : 0,
      .loop_rate_ups = (uint64_t)(n->p.loop_rate_per_s * 1e6 + 0.5)};
}

/* Keys gone, own loops stopped; from now on every datagram is `poisoned`.
 * Packets already in the delay buffer still leave (they were processed). */
static void poison(node *n) {
  n->poisoned = true;
  sodium_memzero(n->sk, sizeof n->sk);
  sodium_memzero(n->sign_sk, sizeof n->sign_sk);
  n->p.loop_rate_per_s = 0;
  node__loops_restart(n);
}

/* Run the command; rep->status and body set. */
static void execute(node *n, const struct ctrl_request *r, struct ctrl_reply *rep) {
  switch (r->command) {
  case CTRL_READ_METRICS: {
    struct ctrl_metrics m;
    metrics(n, &m);
    ctrl_metrics_put(rep, &m);
    break;
  }
  case CTRL_SET_COVER: {
    double rate;
    if (ctrl_args_cover_parse(r, &rate) != 0 || (rate > 0 && n->codec->keyed && !n->p.keys)) {
      rep->status = CTRL_NACK_ARGS;
      break;
    }
    n->p.loop_rate_per_s = rate;
    node__loops_restart(n);
    break;
  }
  case CTRL_INSTALL_EPOCH: {
    uint32_t version;
    uint8_t hash[CTRL_HASH_BYTES];
    int rc = ctrl_args_install_parse(r, &version, hash);
    if (rc == 0) rc = node_ctrl_install_epoch(n, version, hash);
    rep->status = rc == 0 ? CTRL_ACK : rc == CM_ENOENT ? CTRL_NACK_UNKNOWN : CTRL_NACK_FAILED;
    break;
  }
  case CTRL_COMMIT: {
    uint32_t version;
    uint8_t hash[CTRL_HASH_BYTES];
    int rc = ctrl_args_commit_parse(r, &version, hash);
    if (rc == 0) rc = node_ctrl_commit(n, version, hash);
    rep->status = rc == 0 ? CTRL_ACK : rc == CM_ENOENT ? CTRL_NACK_UNKNOWN : CTRL_NACK_FAILED;
    break;
  }
  case CTRL_CANARY:
    memcpy(n->canary, r->args, r->args_len);
    n->canary_len = r->args_len;
    crypto_generichash(rep->body, CTRL_HASH_BYTES, n->canary, n->canary_len, NULL, 0);
    rep->body_len = CTRL_HASH_BYTES;
    break;
  case CTRL_POISON_PILL: break; /* after the reply is built */
  }
}

/* Sign rep, seal it in r's reply block, hold it for delay. */
static void reply(node *n, const struct ctrl_request *r, struct ctrl_reply *rep, cm_time delay) {
  uint8_t msg[CTRL_REPLY_MAX];
  size_t len;
  cm_addr first;
  struct block *b = node__block_get(n);
  if (ctrl_reply_sign(rep, n->sign_sk) != 0 || ctrl_reply_encode(rep, msg, sizeof msg, &len) != 0 ||
      n->codec->surb_reply(r->surb, msg, len, b->data, &first) != 0) {
    n->c.loop_send_failed++;
    n->ctrl.replies_failed++;
    node__block_put(n, b);
    return;
  }
  node__hold(n, NULL, b, 0, n->codec->packet_bytes, first, false, delay < n->p.max_delay ? delay : n->p.max_delay);
}

void node__ctrl(node *n, const struct codec_unwrapped *u) {
  n->c.discarded_drop++; /* as DROP cover, whatever follows */
  struct ctrl_request r;
  if (!u->final || u->reply || ctrl_request_decode(u->payload, n->codec->payload_bytes, &r) != 0 ||
      r.target != n->p.addr || (r.surb_len && r.surb_len != n->codec->surb_bytes)) {
    n->ctrl.malformed++;
    return;
  }
  if (!n->has_operator || ctrl_request_verify(&r, n->operator_pk) != 0) {
    n->ctrl.bad_signature++;
    return;
  }
  cm_time now = cm_time_add_sat(n->p.ctrl_clock_base, env_now(n->e)), w = n->p.ctrl_window;
  /* stale: an epoch whose key the node does not hold now (current, the
   * one published ahead by INSTALL_EPOCH, the previous in its grace) */
  if (!keyring_find(n->ring, r.epoch, env_now(n->e)) || r.issued_at < cm_time_add_sat(now, -w) || r.issued_at > cm_time_add_sat(now, w)) {
    n->ctrl.stale++;
    return;
  }
  if (!seq_fresh(n, r.seq)) {
    n->ctrl.replay++;
    return;
  }
  seq_record(n, r.seq, r.issued_at, cm_time_add_sat(now, -w));
  n->ctrl.accepted++;
  struct ctrl_reply rep = {.command = r.command, .status = CTRL_ACK, .node = n->p.addr, .seq = r.seq};
  execute(n, &r, &rep);
  rep.epoch = n->p.epoch;
  rep.node_time = now;
  if (r.surb_len) reply(n, &r, &rep, u->delay);
  if (r.command == CTRL_POISON_PILL) poison(n);
}

void node__ctrl_counters(const node *n, struct node__ctrl_counters *out) { *out = n->ctrl; }

int node_ctrl_install_epoch(node *n, uint32_t version, const uint8_t hash[32]) {
  if (!n || !hash || n->poisoned) return CM_EINVAL;
  if (version < n->p.epoch || !n->p.epoch_known) return CM_ENOENT;
  struct node_identity key;
  memset(&key, 0, sizeof key);
  int k = n->p.epoch_known(n->p.epoch_ctx, version, hash, &key);
  int rc = k < 0 ? CM_ENOENT : 0;
  const struct keyring_key *next = keyring_next(n->ring);
  /* a resend: the epoch already current, or its key already published */
  bool have = version == n->p.epoch || (next && next->epoch == version);
  if (rc == 0 && !have) rc = node_epoch_publish(n, version, k == 0 ? &key : NULL);
  sodium_memzero(&key, sizeof key);
  return rc;
}

int node_ctrl_commit(node *n, uint32_t version, const uint8_t hash[32]) {
  if (!n || !hash || n->poisoned) return CM_EINVAL;
  if (version < n->p.epoch || !n->p.epoch_peers) return CM_ENOENT;
  cm_addr peers[EPOCH_MAX_NODES];
  size_t np = 0;
  if (n->p.epoch_peers(n->p.epoch_ctx, version, hash, peers, EPOCH_MAX_NODES, &np) < 0) return CM_ENOENT;
  /* the key published by INSTALL_EPOCH becomes current; the old one keeps
   * params.epoch_grace for the packets built before the clients learn */
  int rc = version > n->p.epoch ? node_epoch_switch(n, version) : 0;
  if (rc == 0) rc = node_set_peers(n, peers, np);
  if (rc == 0) n->ctrl_committed = version;
  return rc;
}

uint32_t node_committed_epoch(const node *n) { return n->ctrl_committed; }

const uint8_t *node_canary(const node *n, size_t *len) {
  *len = n->canary_len;
  return n->canary_len ? n->canary : NULL;
}
