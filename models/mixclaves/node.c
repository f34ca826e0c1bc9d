/* The mix node: accept, a single-CPU FIFO server (when the world models
 * one), the cheap checks (length, version, epoch, the source's failure
 * budget, the replay filter's fill), codec unwrap, the per-key replay
 * filter, the bounds on delay and per-source buffer share, the delay buffer
 * with one timer per held packet, release to the next hop, and the node's
 * own Poisson loop cover. Per source (the sender's address): a token bucket
 * of failed expensive work and the count of packets held. Packet bytes live in a free list of packet_bytes
 * blocks shared by the CPU queue and the buffer's slots; at most
 * queue_max + buffer_capacity + 1 are ever in use. Packets of type CTRL go
 * to node_ctrl.c, whose replies come back here as the node's own packets
 * (node__hold with no source). See node.h. */
#include "mixclaves/node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "mixclaves/epoch_state.h"
#include "mixclaves/keyring.h"
#include "mixclaves/node_impl.h"
#include "mixclaves/sphinx.h"

_Static_assert(CODEC_TAG_BYTES == SPHINX_TAG_BYTES, "codec tags feed the sphinx replay filter");

node_pool *node_pool_new(void) { return calloc(1, sizeof(node_pool)); }

void node_pool_free(node_pool *pool) {
  if (!pool) return;
  while (pool->free) {
    struct block *b = pool->free;
    pool->free = b->next;
    free(b);
  }
  free(pool);
}

struct block *node__block_get(node *n) {
  struct block *b = *n->free_blocks;
  if (b) {
    *n->free_blocks = b->next;
    return b;
  }
  b = malloc(sizeof *b + n->codec->packet_bytes);
  if (!b) cm_fatal(CM_LOC, "node: out of memory for a packet block");
  return b;
}

void node__block_put(node *n, struct block *b) {
  b->next = *n->free_blocks;
  *n->free_blocks = b;
}

/* O(1) for a contiguous block of addresses (the worlds number their nodes
 * so), else a binary search: a 1,000-node network must not scan its peers
 * at every packet. */
static bool is_peer(const node *n, cm_addr a) {
  if (!n->npeers) return false;
  if (n->peers_range) return a >= n->peers_sorted[0] && a - n->peers_sorted[0] < n->npeers;
  size_t lo = 0, hi = n->npeers;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (n->peers_sorted[mid] < a)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < n->npeers && n->peers_sorted[lo] == a;
}

/* A source holding no packet with its whole failure budget is the same as
 * one never seen: forgotten (node_sources.h), so the table holds only the
 * sources with packets held or failures to remember. */
static void source_forget_if_idle(node *n, struct source *s) {
  if (s->held || s->tokens < n->p.fail_burst) return;
  if (s == &n->src0)
    n->src0_live = false;
  else
    srctab_del(&n->sources, s);
}

static struct source *source_find(node *n, cm_addr a) {
  if (a == 0) return n->src0_live ? &n->src0 : NULL;
  return srctab_find(&n->sources, a);
}

/* The buffer released slot rel->id: send it on. */
static void on_release(void *arg, const struct buffer_release *rel) {
  node *n = arg;
  struct slot *s = &n->slots[rel->id];
  env_cancel(n->e, s->timer); /* false when it is the timer firing now */
  int rc = env_send(n->e, n->p.addr, s->to, s->b->data + s->off, s->len);
  if (s->own) { /* the node's own packet (a control reply), counted with its loop cover */
    if (rc == 0) {
      n->c.loops_sent++;
      n->ctrl.replies_sent++;
    } else {
      n->c.loop_send_failed++;
      n->ctrl.replies_failed++;
    }
  } else {
    n->c.held--;
    struct source *src = source_find(n, s->src);
    if (!src) cm_fatal(CM_LOC, "node: a held packet's source is not in the table");
    src->held--;
    source_forget_if_idle(n, src);
    if (rc != 0)
      n->c.send_failed++;
    else if (s->deliver)
      n->c.delivered++;
    else
      n->c.forwarded++;
  }
  node__block_put(n, s->b);
  s->b = NULL;
  s->next_free = n->free_slot;
  n->free_slot = (uint32_t)rel->id;
}

static void on_due(env *e, void *arg) {
  node *n = arg;
  buffer_take_due(n->buf, env_now(e), on_release, n);
}

/* Hold block b (takes it) until now + delay (saturating: a delay near
 * CM_TIME_MAX means "never", not a release at the next timer), then send
 * [off, off+len) to `to`. src's share of the buffer is checked here;
 * src NULL: the node's own packet, which is not an outcome of a datagram
 * (no held, no share), and whose failures count as loop_send_failed. */
void node__hold(node *n, struct source *src, struct block *b, size_t off, size_t len, cm_addr to, bool deliver,
                cm_time delay) {
  uint32_t i = n->free_slot;
  if (i == NO_SLOT && n->slots_touched < n->p.buffer_capacity) i = n->slots_touched;
  cm_time release = cm_time_add_sat(env_now(n->e), delay);
  uint64_t *refused = NULL; /* the counter of a refusal */
  if (i == NO_SLOT)
    refused = src ? &n->c.buffer_full : &n->c.loop_send_failed;
  else if (src && src->held >= n->share_slots)
    refused = &n->c.source_share_full;
  else if (!buffer_put(n->buf, i, release))
    refused = src ? &n->c.buffer_full : &n->c.loop_send_failed;
  if (refused) {
    (*refused)++;
    if (!src) n->ctrl.replies_failed++;
    node__block_put(n, b);
    if (src) source_forget_if_idle(n, src); /* src holds packets when share_full: kept */
    return;
  }
  struct slot *s = &n->slots[i];
  if (i == n->slots_touched)
    n->slots_touched++;
  else
    n->free_slot = s->next_free;
  *s = (struct slot){.b = b, .off = off, .len = len, .src = src ? src->addr : 0, .own = !src, .to = to,
                     .deliver = deliver, .next_free = NO_SLOT};
  s->timer = env_after(n->e, delay, on_due, n);
  if (!src) return;
  src->held++;
  if (++n->c.held > n->c.max_held) n->c.max_held = n->c.held;
}

/* The source's entry, made when new. Valid until the next source is
 * added or forgotten (node_sources.h). */
static struct source *source_of(node *n, cm_addr from) {
  struct source *s = source_find(n, from);
  if (s) return s;
  if (from == 0) {
    s = &n->src0;
    n->src0_live = true;
  } else if (!(s = srctab_add(&n->sources, from))) {
    cm_fatal(CM_LOC, "node: out of memory for the sources table");
  }
  s->held = 0;
  s->tokens = n->p.fail_burst;
  s->refilled = env_now(n->e);
  return s;
}

/* May src's packets get expensive work (an X25519) now? */
static bool budget_left(node *n, struct source *s) {
  cm_time now = env_now(n->e);
  if (s->tokens < n->p.fail_burst && now > s->refilled) {
    s->tokens += cm_time_to_s(now - s->refilled) * n->p.fail_rate_per_s;
    if (s->tokens > n->p.fail_burst) s->tokens = n->p.fail_burst;
  }
  s->refilled = now;
  return s->tokens >= 1;
}

/* The cheap checks, unwrap, replay check, and the packet's fate (the
 * order of node.h). in is borrowed. */
static void process(node *n, cm_addr from, const uint8_t *in, size_t len) {
  if (n->poisoned) { /* keys erased: nothing can be unwrapped any more */
    n->c.poisoned++;
    return;
  }
  uint32_t epoch;
  if (n->codec->peek(in, len, &epoch) != 0) {
    n->c.malformed++;
    return;
  }
  struct keyring_key *key = keyring_find(n->ring, epoch, env_now(n->e)); /* this epoch's key and filter */
  if (!key) {
    n->c.stale_epoch++;
    return;
  }
  struct source *src = source_of(n, from);
  if (!budget_left(n, src)) {
    n->c.rate_limited++;
    return;
  }
  if (sphinx_replay_full(key->replay)) {
    n->c.replay_filter_full++;
    source_forget_if_idle(n, src);
    return;
  }
  struct block *out = node__block_get(n);
  struct codec_unwrapped u;
  struct codec_node self = {.addr = n->p.addr, .sk = key->sk, .replay = key->replay};
  int rc = n->codec->unwrap(&self, in, len, out->data, &u);
  if (rc == 0 && u.epoch != epoch) rc = CM_EPARSE; /* the authenticated epoch must be the one peeked */
  if (rc != 0) {
    src->tokens -= 1; /* an honest sender never fails a MAC or replays */
    if (rc == CM_EEXIST) n->c.replay++;
    else n->c.malformed++;
    goto drop;
  }
  if (n->p.replay_log) n->p.replay_log(n->p.replay_log_arg, epoch, u.tag); /* the tag is in key->replay now */
  if (u.type == CODEC_DROP) {
    n->c.discarded_drop++;
    goto drop;
  }
  if (u.type == CODEC_CTRL) { /* counted as discarded_drop, whatever its fate */
    node__ctrl(n, &u);
    goto drop;
  }
  if (u.delay > n->p.max_delay) {
    n->c.delay_too_long++;
    goto drop;
  }
  if (u.final) {
    if (u.dest == n->p.addr) {
      n->c.loop_returned++;
      goto drop;
    }
    if (u.dest == 0) {
      n->c.unknown_next_hop++; /* nowhere to deliver */
      goto drop;
    }
    node__hold(n, src, out, (size_t)(u.payload - out->data), u.reply ? n->codec->reply_bytes : n->codec->payload_bytes,
               u.dest, true, u.delay);
    return;
  }
  if (!is_peer(n, u.next)) {
    n->c.unknown_next_hop++;
    goto drop;
  }
  node__hold(n, src, out, 0, n->codec->packet_bytes, u.next, false, u.delay);
  return;
drop:
  node__block_put(n, out);
  source_forget_if_idle(n, src);
}

static void start_service(node *n);

static void service_done(env *e CM_UNUSED, void *arg) {
  node *n = arg;
  n->cpu_timer = 0;
  struct block *b = n->q[n->q_head];
  cm_addr from = n->q_from[n->q_head];
  n->q_head = (n->q_head + 1) % n->p.queue_max;
  n->q_n--;
  n->c.in_cpu--;
  process(n, from, b->data, n->codec->packet_bytes);
  node__block_put(n, b);
  if (n->q_n) start_service(n);
}

static void start_service(node *n) {
  cm_time t = n->p.service_time(n->p.service_arg, n->codec->packet_bytes);
  if (t < 0) t = 0;
  n->c.busy += t;
  n->cpu_timer = env_after(n->e, t, service_done, n);
}

void node_accept(node *n, cm_addr from, const uint8_t *pkt, size_t len) {
  n->c.received++;
  if (n->poisoned) {
    n->c.poisoned++;
    return;
  }
  if (!pkt || len != n->codec->packet_bytes) { /* rejected by length before any work */
    n->c.malformed++;
    return;
  }
  if (!n->p.service_time) {
    process(n, from, pkt, len);
    return;
  }
  if (n->q_n >= n->p.queue_max) {
    n->c.queue_full++;
    return;
  }
  uint32_t tail = (n->q_head + n->q_n) % n->p.queue_max;
  struct block *b = node__block_get(n);
  memcpy(b->data, pkt, len);
  n->q[tail] = b;
  n->q_from[tail] = from;
  n->q_n++;
  if (++n->c.in_cpu > n->c.max_in_cpu) n->c.max_in_cpu = n->c.in_cpu;
  if (n->q_n == 1) start_service(n); /* the CPU was idle */
}

static void on_datagram(env *e CM_UNUSED, void *arg, cm_addr from, cm_addr to CM_UNUSED, const uint8_t *pkt,
                        size_t len) {
  node_accept(arg, from, pkt, len);
}

static cm_time exp_delay(rng *r, cm_time mean) {
  return mean > 0 ? cm_time_from_s(rng_exponential(r, cm_time_to_s(mean))) : 0;
}

static void send_loop(env *e, void *arg);

/* The next of the node's own loops, a Poisson gap away. */
static void schedule_loop(node *n) {
  n->loop_timer = env_after(n->e, cm_time_from_s(rng_exponential(n->r_loop, 1.0 / n->p.loop_rate_per_s)), send_loop, n);
}

/* Own loop cover: loop_hops uniform peers, then home; ROUTE at every hop
 * but the last, so the mixes on the way cannot tell it from real traffic. */
static void send_loop(env *e, void *arg) {
  node *n = arg;
  n->loop_timer = 0;
  if (n->poisoned || (n->p.loop_until && env_now(e) >= n->p.loop_until)) return;
  struct codec_hop path[CODEC_HOPS_MAX];
  size_t hops = n->p.loop_hops;
  for (size_t i = 0; i < hops; i++) {
    cm_addr a = n->npeers ? n->peers[rng_below(n->r_loop, n->npeers)] : n->p.addr;
    path[i] = (struct codec_hop){.addr = a, .delay = exp_delay(n->r_loop, n->p.loop_mean_delay), .type = CODEC_ROUTE};
  }
  path[hops] = (struct codec_hop){.addr = n->p.addr, .delay = 0, .type = CODEC_LOOP};
  uint8_t pks[CODEC_HOPS_MAX][CODEC_KEY_BYTES];
  for (size_t i = 0; n->codec->keyed && i <= hops; i++) {
    if (path[i].addr == n->p.addr) /* its own key of this epoch, whatever the lookup says */
      memcpy(pks[i], n->pk, 32);
    else if (n->p.keys(n->p.keys_ctx, path[i].addr, pks[i]) != 0) {
      n->c.loop_send_failed++;
      goto next;
    }
    path[i].pk = pks[i];
  }
  struct block *b = node__block_get(n);
  int rc = n->codec->build(path, hops + 1, n->p.epoch, n->p.addr, NULL, 0, codec_random_rng, n->r_nonce, b->data);
  if (rc == 0) rc = env_send(e, n->p.addr, path[0].addr, b->data, n->codec->packet_bytes);
  node__block_put(n, b);
  if (rc == 0)
    n->c.loops_sent++;
  else
    n->c.loop_send_failed++;
next:
  schedule_loop(n);
}

/* Every stream of the node shapes packets or keys: secret in real mode. */
static rng *stream(env *e, cm_addr a, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "node:%u:%s", (unsigned)a, what);
  return env_secret_rng(e, name);
}

/* An X25519 key pair from the node's key stream. */
void node__draw_key(node *n, uint8_t pk[32], uint8_t sk[32]) {
  rng_bytes(stream(n->e, n->p.addr, "keys"), sk, 32);
  crypto_scalarmult_base(pk, sk); /* libsodium clamps the scalar */
}

/* The quote: Ed25519 over measurement || pk (DESIGN.md). */
void node__make_quote(node *n) {
  uint8_t msg[64];
  memcpy(msg, n->measurement, 32);
  memcpy(msg + 32, n->pk, 32);
  crypto_sign_detached(n->quote, NULL, msg, sizeof msg, n->sign_sk);
}

/* Keys from params.identity or the node's stream, and the software quote. */
static bool make_identity(node *n) {
  const struct node_identity *id = n->p.identity;
  if (id) {
    uint8_t pk[32];
    if (crypto_scalarmult_base(pk, id->sk) != 0 || sodium_memcmp(pk, id->pk, 32) != 0 ||
        sphinx_pk_check(id->pk) != 0)
      return false;
    memcpy(n->pk, id->pk, 32);
    memcpy(n->sk, id->sk, 32);
    memcpy(n->sign_pk, id->sign_pk, 32);
    memcpy(n->sign_sk, id->sign_sk, 64);
    n->p.identity = NULL; /* copied; the caller's may go */
  } else {
    uint8_t sseed[32];
    node__draw_key(n, n->pk, n->sk);
    rng_bytes(stream(n->e, n->p.addr, "keys"), sseed, sizeof sseed);
    crypto_sign_seed_keypair(n->sign_pk, n->sign_sk, sseed);
    sodium_memzero(sseed, sizeof sseed);
  }
  char desc[256 + 8 + 64];
  snprintf(desc, sizeof desc, "cloudmix-mixnode-v1|%s|codec=%s|buffer=%s|cap=%u|queue=%u|id=%u|addr=%u",
           cm_version, n->codec->name, buffer_variant_name(n->p.buffer), n->p.buffer_capacity, n->p.queue_max,
           n->p.id, (unsigned)n->p.addr);
  if (n->has_binary) { /* the running binary's BLAKE2b-256 (the daemon measures it) */
    size_t l = strlen(desc);
    memcpy(desc + l, "|binary=", 8);
    sodium_bin2hex(desc + l + 8, sizeof desc - l - 8, n->binary, 32);
  }
  crypto_generichash(n->measurement, 32, (const uint8_t *)desc, strlen(desc), NULL, 0);
  node__make_quote(n);
  return true;
}

void node__loops_restart(node *n) {
  if (n->loop_timer) env_cancel(n->e, n->loop_timer);
  n->loop_timer = 0;
  if (n->p.loop_rate_per_s > 0 && !n->poisoned) schedule_loop(n);
}

static int addr_cmp(const void *a, const void *b) {
  cm_addr x = *(const cm_addr *)a, y = *(const cm_addr *)b;
  return x < y ? -1 : x > y;
}

int node_set_peers(node *n, const cm_addr *peers, size_t npeers) {
  if (!n || (!peers && npeers)) return CM_EINVAL;
  cm_addr *p = NULL, *sorted = NULL;
  if (npeers) {
    p = malloc(npeers * sizeof *p);
    sorted = malloc(npeers * sizeof *sorted);
    if (!p || !sorted) {
      free(p);
      free(sorted);
      return CM_ENOMEM;
    }
    memcpy(p, peers, npeers * sizeof *p);
    memcpy(sorted, peers, npeers * sizeof *sorted);
    qsort(sorted, npeers, sizeof *sorted, addr_cmp);
  }
  free(n->peers);
  free(n->peers_sorted);
  n->peers = p;
  n->peers_sorted = sorted;
  n->npeers = npeers;
  n->peers_range = npeers && sorted[npeers - 1] - sorted[0] == npeers - 1;
  for (size_t i = 1; n->peers_range && i < npeers; i++)
    if (sorted[i] == sorted[i - 1]) n->peers_range = false; /* a repeat: not one of each */
  return 0;
}


node *node_new(env *e, const struct node_params *params, const cm_addr *peers, size_t npeers) {
  if (!e || !params || params->addr == 0 || (!peers && npeers)) return NULL;
  if (!(params->loop_rate_per_s >= 0) || !isfinite(params->loop_rate_per_s) || params->loop_mean_delay < 0)
    return NULL;
  if (params->loop_hops + 1 > CODEC_HOPS_MAX || params->buffer_capacity > BUFFER_CAPACITY_MAX) return NULL;
  if (sodium_init() < 0) return NULL;
  node *n = calloc(1, sizeof *n);
  if (!n) return NULL;
  n->e = e;
  n->p = *params;
  n->codec = params->codec ? params->codec : codec_abstract();
  n->free_blocks = &n->own_blocks;
  node_pool *pool = params->pool;
  n->p.pool = NULL; /* only through free_blocks */
  if (pool && !pool->bytes) pool->bytes = n->codec->packet_bytes;
  if (pool && pool->bytes == n->codec->packet_bytes) n->free_blocks = &pool->free;
  if (!n->p.buffer_capacity) n->p.buffer_capacity = 4096;
  if (!n->p.queue_max) n->p.queue_max = 1024;
  if (!n->p.replay_capacity) n->p.replay_capacity = 1000000;
  if (!(n->p.replay_fp > 0)) n->p.replay_fp = 1e-3;
  if (!n->p.loop_hops) n->p.loop_hops = 1;
  if (!n->p.loop_mean_delay) n->p.loop_mean_delay = CM_MS(1);
  if (!n->p.max_delay) n->p.max_delay = NODE_MAX_DELAY;
  if (!(n->p.source_share > 0)) n->p.source_share = NODE_SOURCE_SHARE;
  if (!n->p.fail_burst) n->p.fail_burst = NODE_FAIL_BURST;
  if (!(n->p.fail_rate_per_s > 0)) n->p.fail_rate_per_s = NODE_FAIL_RATE;
  if (n->p.max_delay < 0 || n->p.source_share > 1 || !isfinite(n->p.fail_rate_per_s)) goto fail;
  n->share_slots = (uint32_t)(n->p.buffer_capacity * n->p.source_share);
  if (n->share_slots < 1) n->share_slots = 1;
  if (n->p.loop_hops + 1 > n->codec->max_hops) goto fail;
  if (n->codec->keyed && n->p.loop_rate_per_s > 0 && !n->p.keys) goto fail;
  if (!n->p.ctrl_window) n->p.ctrl_window = NODE_CTRL_WINDOW;
  if (n->p.ctrl_window < 0) goto fail;
  n->r_loop = stream(e, params->addr, "loop");
  n->r_slots = stream(e, params->addr, "slots");
  n->r_nonce = stream(e, params->addr, "nonce");
  n->buf = buffer_new(n->p.buffer, n->p.buffer_capacity, n->r_slots);
  /* sized for 90% of the design rate: the measured rate of a full filter
   * then stays under replay_fp despite sampling noise (tests/unit/test_replay.c) */
  n->ring = keyring_new(n->p.replay_capacity, n->p.replay_fp * NODE_REPLAY_MARGIN, n->p.epoch_grace);
  n->es = calloc(1, sizeof *n->es);
  n->slots = calloc(n->p.buffer_capacity, sizeof *n->slots);
  if (srctab_init(&n->sources) != 0) goto fail;
  if (n->p.service_time) {
    n->q = calloc(n->p.queue_max, sizeof *n->q);
    n->q_from = calloc(n->p.queue_max, sizeof *n->q_from);
    if (!n->q || !n->q_from) goto fail;
  }
  if (!n->buf || !n->ring || !n->es || !n->slots || node_set_peers(n, peers, npeers) != 0) goto fail;
  n->free_slot = NO_SLOT; /* and slots_touched 0: every slot free, none touched */
  if ((n->has_operator = params->operator_pk != NULL)) memcpy(n->operator_pk, params->operator_pk, 32);
  if ((n->has_binary = params->binary_measurement != NULL)) memcpy(n->binary, params->binary_measurement, 32);
  n->p.operator_pk = n->p.binary_measurement = NULL; /* copied */
  n->p.digest = NULL;
  if (!make_identity(n) || keyring_switch(n->ring, n->p.epoch, n->pk, n->sk, env_now(e)) != 0) goto fail;
  if (params->digest && node__digest_restore(n, params->digest) != 0) goto fail;
  if (env_bind(e, n->p.addr, on_datagram, n) != 0) goto fail;
  if (n->p.loop_rate_per_s > 0) schedule_loop(n);
  return n;
fail:
  n->e = NULL; /* not bound: node_free must not unbind */
  node_free(n);
  return NULL;
}

void node_free(node *n) {
  if (!n) return;
  if (n->e) {
    env_unbind(n->e, n->p.addr);
    if (n->loop_timer) env_cancel(n->e, n->loop_timer);
    if (n->cpu_timer) env_cancel(n->e, n->cpu_timer);
  }
  if (n->slots) {
    for (uint32_t i = 0; i < n->slots_touched; i++) {
      if (!n->slots[i].b) continue;
      if (n->e) env_cancel(n->e, n->slots[i].timer);
      free(n->slots[i].b);
    }
  }
  for (uint32_t k = 0; k < n->q_n; k++) free(n->q[(n->q_head + k) % n->p.queue_max]);
  while (n->own_blocks) {
    struct block *b = n->own_blocks;
    n->own_blocks = b->next;
    free(b);
  }
  sodium_memzero(n->sk, sizeof n->sk);
  sodium_memzero(n->sign_sk, sizeof n->sign_sk);
  buffer_free(n->buf);
  keyring_free(n->ring);
  free(n->es);
  free(n->slots);
  free(n->q);
  free(n->q_from);
  srctab_fini(&n->sources);
  free(n->peers_sorted);
  free(n->peers);
  free(n);
}

void node_counters(const node *n, struct node_counters *out) {
  *out = n->c;
  const struct keyring_key *cur = keyring_current(n->ring);
  out->replay_tags = cur ? sphinx_replay_count(cur->replay) : 0;
  out->replay_capacity = cur ? sphinx_replay_capacity(cur->replay) : 0;
}

void node_config(const node *n, struct node_config *out) {
  memset(out, 0, sizeof *out);
  out->id = n->p.id;
  out->addr = n->p.addr;
  out->epoch = n->p.epoch;
  memcpy(out->pk, n->pk, 32);
  memcpy(out->sign_pk, n->sign_pk, 32);
  out->codec = n->codec->name;
  out->buffer = buffer_variant_name(n->p.buffer);
  out->buffer_capacity = n->p.buffer_capacity;
  out->queue_max = n->p.queue_max;
  out->loop_rate_per_s = n->p.loop_rate_per_s;
  node_counters(n, &out->counters);
  out->attestation = "software quote, no hardware enclave";
  memcpy(out->measurement, n->measurement, 32);
  memcpy(out->quote, n->quote, 64);
  node__config_epochs(n, out);
}

bool node_counters_balanced(const struct node_counters *c) {
  return c->received == c->malformed + c->stale_epoch + c->rate_limited + c->replay_filter_full + c->replay +
                            c->delay_too_long + c->source_share_full + c->queue_full + c->buffer_full + c->unknown_next_hop +
                            c->discarded_drop + c->poisoned + c->loop_returned + c->forwarded + c->delivered + c->send_failed +
                            c->in_cpu + c->held;
}

int node_buffer_instrument(node *n, unsigned modes) { return n ? buffer_instrument(n->buf, modes) : CM_EINVAL; }

uint64_t node_buffer_pairs(const node *n, const struct buffer_addr_pair **out) {
  return n && out ? buffer_addr_pairs(n->buf, out) : 0;
}
