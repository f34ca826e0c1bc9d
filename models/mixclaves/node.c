/* The mix node: accept, a single-CPU FIFO server (when the world models
 * one), the cheap checks (length, version, epoch, the source's failure
 * budget, the replay filter's fill), codec unwrap, the per-key replay
 * filter, the bounds on delay and per-source buffer share, the delay buffer
 * with one timer per held packet, release to the next hop, and the node's
 * own Poisson loop cover. Per source (the sender's address): a token bucket
 * of failed expensive work and the count of packets held. Packet bytes live in a free list of packet_bytes
 * blocks shared by the CPU queue and the buffer's slots; at most
 * queue_max + buffer_capacity + 1 are ever in use. See node.h. */
#include "mixclaves/node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "mixclaves/node_sources.h"
#include "mixclaves/sphinx.h"

struct block {
  struct block *next;
  uint8_t data[];
};

/* What the node keeps per source address (node_sources.h). A source
 * holding no packet with its whole failure budget is the same as one never
 * seen, so it is forgotten: the table holds only the sources with packets
 * held or failures to remember, however many clients the network has. */

struct slot {
  struct block *b; /* NULL when free */
  size_t off, len; /* the bytes to send: b->data[off, off + len) */
  cm_addr src;     /* whose share it counts against (a key of the sources table) */
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
  sphinx_replay *replay;
  rng *r_loop, *r_slots, *r_nonce;
  struct block *free_blocks;
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
  /* cold: read at config() and key changes, not per packet (the hot fields
   * above share fewer cache lines without them) */
  uint8_t pk[32], sk[32], sign_pk[32], sign_sk[64];
  uint8_t measurement[32], quote[64];
};

#define NO_SLOT UINT32_MAX

_Static_assert(CODEC_TAG_BYTES == SPHINX_TAG_BYTES, "codec tags feed the sphinx replay filter");

static struct block *block_get(node *n) {
  struct block *b = n->free_blocks;
  if (b) {
    n->free_blocks = b->next;
    return b;
  }
  b = malloc(sizeof *b + n->codec->packet_bytes);
  if (!b) cm_fatal(CM_LOC, "node: out of memory for a packet block");
  return b;
}

static void block_put(node *n, struct block *b) {
  b->next = n->free_blocks;
  n->free_blocks = b;
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
  n->c.held--;
  struct source *src = source_find(n, s->src);
  if (!src) cm_fatal(CM_LOC, "node: a held packet's source is not in the table");
  src->held--;
  source_forget_if_idle(n, src);
  if (env_send(n->e, n->p.addr, s->to, s->b->data + s->off, s->len) != 0)
    n->c.send_failed++;
  else if (s->deliver)
    n->c.delivered++;
  else
    n->c.forwarded++;
  block_put(n, s->b);
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
 * [off, off+len) to `to`. src's share of the buffer is checked here. */
static void hold(node *n, struct source *src, struct block *b, size_t off, size_t len, cm_addr to, bool deliver,
                 cm_time delay) {
  uint32_t i = n->free_slot;
  if (i == NO_SLOT && n->slots_touched < n->p.buffer_capacity) i = n->slots_touched;
  cm_time release = cm_time_add_sat(env_now(n->e), delay);
  if (i == NO_SLOT) {
    n->c.buffer_full++;
    block_put(n, b);
    source_forget_if_idle(n, src);
    return;
  }
  if (src->held >= n->share_slots) {
    n->c.source_share_full++;
    block_put(n, b);
    return; /* src holds packets: kept */
  }
  if (!buffer_put(n->buf, i, release)) {
    n->c.buffer_full++;
    block_put(n, b);
    source_forget_if_idle(n, src);
    return;
  }
  struct slot *s = &n->slots[i];
  if (i == n->slots_touched)
    n->slots_touched++;
  else
    n->free_slot = s->next_free;
  *s = (struct slot){.b = b, .off = off, .len = len, .src = src->addr, .to = to, .deliver = deliver,
                     .next_free = NO_SLOT};
  s->timer = env_after(n->e, delay, on_due, n);
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
  uint32_t epoch;
  if (n->codec->peek(in, len, &epoch) != 0) {
    n->c.malformed++;
    return;
  }
  if (epoch != n->p.epoch) {
    n->c.stale_epoch++;
    return;
  }
  struct source *src = source_of(n, from);
  if (!budget_left(n, src)) {
    n->c.rate_limited++;
    return;
  }
  if (sphinx_replay_full(n->replay)) {
    n->c.replay_filter_full++;
    source_forget_if_idle(n, src);
    return;
  }
  struct block *out = block_get(n);
  struct codec_unwrapped u;
  struct codec_node self = {.addr = n->p.addr, .sk = n->sk, .replay = n->replay};
  int rc = n->codec->unwrap(&self, in, len, out->data, &u);
  if (rc == 0 && u.epoch != epoch) rc = CM_EPARSE; /* the authenticated epoch must be the one peeked */
  if (rc != 0) {
    src->tokens -= 1; /* an honest sender never fails a MAC or replays */
    if (rc == CM_EEXIST) n->c.replay++;
    else n->c.malformed++;
    goto drop;
  }
  if (u.type == CODEC_DROP) {
    n->c.discarded_drop++;
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
    hold(n, src, out, (size_t)(u.payload - out->data), n->codec->payload_bytes, u.dest, true, u.delay);
    return;
  }
  if (!is_peer(n, u.next)) {
    n->c.unknown_next_hop++;
    goto drop;
  }
  hold(n, src, out, 0, n->codec->packet_bytes, u.next, false, u.delay);
  return;
drop:
  block_put(n, out);
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
  block_put(n, b);
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
  struct block *b = block_get(n);
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
  if (n->p.loop_until && env_now(e) >= n->p.loop_until) return;
  struct codec_hop path[CODEC_HOPS_MAX];
  size_t hops = n->p.loop_hops;
  for (size_t i = 0; i < hops; i++) {
    cm_addr a = n->npeers ? n->peers[rng_below(n->r_loop, n->npeers)] : n->p.addr;
    path[i] = (struct codec_hop){.addr = a, .delay = exp_delay(n->r_loop, n->p.loop_mean_delay), .type = CODEC_ROUTE};
  }
  path[hops] = (struct codec_hop){.addr = n->p.addr, .delay = 0, .type = CODEC_LOOP};
  uint8_t pks[CODEC_HOPS_MAX][CODEC_KEY_BYTES];
  for (size_t i = 0; n->codec->keyed && i <= hops; i++) {
    if (n->p.keys(n->p.keys_ctx, path[i].addr, pks[i]) != 0) {
      n->c.loop_send_failed++;
      goto next;
    }
    path[i].pk = pks[i];
  }
  struct block *b = block_get(n);
  int rc = n->codec->build(path, hops + 1, n->p.epoch, n->p.addr, NULL, 0, codec_random_rng, n->r_nonce, b->data);
  if (rc == 0) rc = env_send(e, n->p.addr, path[0].addr, b->data, n->codec->packet_bytes);
  block_put(n, b);
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
static void draw_key(node *n, uint8_t pk[32], uint8_t sk[32]) {
  rng_bytes(stream(n->e, n->p.addr, "keys"), sk, 32);
  crypto_scalarmult_base(pk, sk); /* libsodium clamps the scalar */
}

/* The quote: Ed25519 over measurement || pk (DESIGN.md). */
static void make_quote(node *n) {
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
    draw_key(n, n->pk, n->sk);
    rng_bytes(stream(n->e, n->p.addr, "keys"), sseed, sizeof sseed);
    crypto_sign_seed_keypair(n->sign_pk, n->sign_sk, sseed);
    sodium_memzero(sseed, sizeof sseed);
  }
  char desc[256];
  snprintf(desc, sizeof desc, "cloudmix-mixnode-v1|%s|codec=%s|buffer=%s|cap=%u|queue=%u|id=%u|addr=%u",
           cm_version, n->codec->name, buffer_variant_name(n->p.buffer), n->p.buffer_capacity, n->p.queue_max,
           n->p.id, (unsigned)n->p.addr);
  crypto_generichash(n->measurement, 32, (const uint8_t *)desc, strlen(desc), NULL, 0);
  make_quote(n);
  return true;
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
  n->r_loop = stream(e, params->addr, "loop");
  n->r_slots = stream(e, params->addr, "slots");
  n->r_nonce = stream(e, params->addr, "nonce");
  n->buf = buffer_new(n->p.buffer, n->p.buffer_capacity, n->r_slots);
  /* sized for 90% of the design rate: the measured rate of a full filter
   * then stays under replay_fp despite sampling noise (tests/unit/test_replay.c) */
  n->replay = sphinx_replay_new(n->p.replay_capacity, n->p.replay_fp * NODE_REPLAY_MARGIN);
  n->slots = calloc(n->p.buffer_capacity, sizeof *n->slots);
  if (srctab_init(&n->sources) != 0) goto fail;
  if (n->p.service_time) {
    n->q = calloc(n->p.queue_max, sizeof *n->q);
    n->q_from = calloc(n->p.queue_max, sizeof *n->q_from);
    if (!n->q || !n->q_from) goto fail;
  }
  if (!n->buf || !n->replay || !n->slots || node_set_peers(n, peers, npeers) != 0) goto fail;
  n->free_slot = NO_SLOT; /* and slots_touched 0: every slot free, none touched */
  if (!make_identity(n)) goto fail;
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
  while (n->free_blocks) {
    struct block *b = n->free_blocks;
    n->free_blocks = b->next;
    free(b);
  }
  sodium_memzero(n->sk, sizeof n->sk);
  sodium_memzero(n->sign_sk, sizeof n->sign_sk);
  buffer_free(n->buf);
  sphinx_replay_free(n->replay);
  free(n->slots);
  free(n->q);
  free(n->q_from);
  srctab_fini(&n->sources);
  free(n->peers);
  free(n->peers_sorted);
  free(n);
}

void node_counters(const node *n, struct node_counters *out) {
  *out = n->c;
  out->replay_tags = sphinx_replay_count(n->replay);
  out->replay_capacity = sphinx_replay_capacity(n->replay);
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
}

int node_epoch_advance(node *n, const struct node_identity *next) {
  uint8_t pk[32], sk[32];
  if (next) {
    if (crypto_scalarmult_base(pk, next->sk) != 0 || sodium_memcmp(pk, next->pk, 32) != 0 ||
        sphinx_pk_check(next->pk) != 0)
      return CM_EINVAL;
    memcpy(sk, next->sk, 32);
  } else {
    draw_key(n, pk, sk);
  }
  /* the filter goes only with the key it protected */
  memcpy(n->pk, pk, 32);
  memcpy(n->sk, sk, 32);
  sodium_memzero(sk, sizeof sk);
  sphinx_replay_reset(n->replay);
  n->p.epoch++;
  make_quote(n);
  return 0;
}

bool node_counters_balanced(const struct node_counters *c) {
  return c->received == c->malformed + c->stale_epoch + c->rate_limited + c->replay_filter_full + c->replay +
                            c->delay_too_long + c->source_share_full + c->queue_full + c->buffer_full + c->unknown_next_hop +
                            c->discarded_drop + c->loop_returned + c->forwarded + c->delivered + c->send_failed +
                            c->in_cpu + c->held;
}
