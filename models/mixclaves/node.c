/* The mix node: accept, a single-CPU FIFO server (when the world models
 * one), codec unwrap, the per-epoch replay filter, the delay buffer with
 * one timer per held packet, release to the next hop, and the node's own
 * Poisson loop cover. Packet bytes live in a free list of packet_bytes
 * blocks shared by the CPU queue and the buffer's slots; at most
 * queue_max + buffer_capacity + 1 are ever in use. See node.h. */
#include "mixclaves/node.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mixclaves/sphinx.h"

struct block {
  struct block *next;
  uint8_t data[];
};

struct slot {
  struct block *b; /* NULL when free */
  size_t off, len; /* the bytes to send: b->data[off, off + len) */
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
  uint8_t pk[32], sk[32], sign_pk[32], sign_sk[64];
  uint8_t measurement[32], quote[64];
  struct block *free_blocks;
  struct slot *slots;       /* buffer_capacity of them */
  uint32_t free_slot;       /* head of the free slot list; UINT32_MAX: none */
  struct block **q;         /* CPU queue: ring of queue_max, each packet_bytes long */
  uint32_t q_head, q_n;     /* the CPU is busy exactly when q_n > 0 */
  timer_id cpu_timer, loop_timer;
  struct node_counters c;
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

static bool is_peer(const node *n, cm_addr a) {
  for (size_t i = 0; i < n->npeers; i++)
    if (n->peers[i] == a) return true;
  return false;
}

/* The buffer released slot rel->id: send it on. */
static void on_release(void *arg, const struct buffer_release *rel) {
  node *n = arg;
  struct slot *s = &n->slots[rel->id];
  env_cancel(n->e, s->timer); /* false when it is the timer firing now */
  n->c.held--;
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

/* Hold block b (takes it) until now + delay, then send [off, off+len) to `to`. */
static void hold(node *n, struct block *b, size_t off, size_t len, cm_addr to, bool deliver, cm_time delay) {
  uint32_t i = n->free_slot;
  cm_time release = env_now(n->e) + delay;
  if (i == NO_SLOT || !buffer_put(n->buf, i, release)) {
    n->c.buffer_full++;
    block_put(n, b);
    return;
  }
  struct slot *s = &n->slots[i];
  n->free_slot = s->next_free;
  *s = (struct slot){.b = b, .off = off, .len = len, .to = to, .deliver = deliver, .next_free = NO_SLOT};
  s->timer = env_after(n->e, delay, on_due, n);
  if (++n->c.held > n->c.max_held) n->c.max_held = n->c.held;
}

/* Unwrap, replay check, and the packet's fate. in is borrowed. */
static void process(node *n, const uint8_t *in, size_t len) {
  struct block *out = block_get(n);
  struct codec_unwrapped u;
  struct codec_node self = {.addr = n->p.addr, .sk = n->sk, .replay = n->replay};
  int rc = n->codec->unwrap(&self, in, len, out->data, &u);
  if (rc == CM_EEXIST) {
    n->c.replay++;
    goto drop;
  }
  if (rc != 0) {
    n->c.malformed++;
    goto drop;
  }
  if (u.type == CODEC_DROP) {
    n->c.discarded_drop++;
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
    hold(n, out, (size_t)(u.payload - out->data), n->codec->payload_bytes, u.dest, true, u.delay);
    return;
  }
  if (!is_peer(n, u.next)) {
    n->c.unknown_next_hop++;
    goto drop;
  }
  hold(n, out, 0, n->codec->packet_bytes, u.next, false, u.delay);
  return;
drop:
  block_put(n, out);
}

static void start_service(node *n);

static void service_done(env *e CM_UNUSED, void *arg) {
  node *n = arg;
  n->cpu_timer = 0;
  struct block *b = n->q[n->q_head];
  n->q_head = (n->q_head + 1) % n->p.queue_max;
  n->q_n--;
  n->c.in_cpu--;
  process(n, b->data, n->codec->packet_bytes);
  block_put(n, b);
  if (n->q_n) start_service(n);
}

static void start_service(node *n) {
  cm_time t = n->p.service_time(n->p.service_arg, n->codec->packet_bytes);
  if (t < 0) t = 0;
  n->c.busy += t;
  n->cpu_timer = env_after(n->e, t, service_done, n);
}

void node_accept(node *n, const uint8_t *pkt, size_t len) {
  n->c.received++;
  if (!pkt || len != n->codec->packet_bytes) { /* rejected by length before any work */
    n->c.malformed++;
    return;
  }
  if (!n->p.service_time) {
    process(n, pkt, len);
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
  n->q_n++;
  if (++n->c.in_cpu > n->c.max_in_cpu) n->c.max_in_cpu = n->c.in_cpu;
  if (n->q_n == 1) start_service(n); /* the CPU was idle */
}

static void on_datagram(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                        const uint8_t *pkt, size_t len) {
  node_accept(arg, pkt, len);
}

static cm_time exp_delay(rng *r, cm_time mean) {
  return mean > 0 ? cm_time_from_s(rng_exponential(r, cm_time_to_s(mean))) : 0;
}

static void send_loop(env *e, void *arg);

/* The next of the node's own loops, a Poisson gap away. */
static void schedule_loop(node *n) {
  n->loop_timer = env_after(n->e, cm_time_from_s(rng_exponential(n->r_loop, 1.0 / n->p.loop_rate_per_s)), send_loop, n);
}

/* Own loop cover: loop_hops uniform peers, then home. */
static void send_loop(env *e, void *arg) {
  node *n = arg;
  n->loop_timer = 0;
  if (n->p.loop_until && env_now(e) >= n->p.loop_until) return;
  struct codec_hop path[CODEC_HOPS_MAX];
  size_t hops = n->p.loop_hops;
  for (size_t i = 0; i < hops; i++) {
    cm_addr a = n->npeers ? n->peers[rng_below(n->r_loop, n->npeers)] : n->p.addr;
    path[i] = (struct codec_hop){.addr = a, .delay = exp_delay(n->r_loop, n->p.loop_mean_delay), .type = CODEC_LOOP};
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
  int rc = n->codec->build(path, hops + 1, n->p.addr, NULL, 0, codec_random_rng, n->r_nonce, b->data);
  if (rc == 0) rc = env_send(e, n->p.addr, path[0].addr, b->data, n->codec->packet_bytes);
  block_put(n, b);
  if (rc == 0)
    n->c.loops_sent++;
  else
    n->c.loop_send_failed++;
next:
  schedule_loop(n);
}

static rng *stream(env *e, cm_addr a, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "node:%u:%s", (unsigned)a, what);
  return env_rng(e, name);
}

/* Keys from the node's stream, and the software quote (DESIGN.md). */
static void make_identity(node *n) {
  uint8_t seed[32], sseed[32];
  rng *r = stream(n->e, n->p.addr, "keys");
  codec_random_rng(r, seed, sizeof seed);
  codec_random_rng(r, sseed, sizeof sseed);
  memcpy(n->sk, seed, 32);
  crypto_scalarmult_base(n->pk, n->sk); /* libsodium clamps the scalar */
  crypto_sign_seed_keypair(n->sign_pk, n->sign_sk, sseed);
  char desc[256];
  snprintf(desc, sizeof desc, "cloudmix-mixnode-v1|%s|codec=%s|buffer=%s|cap=%u|queue=%u|id=%u|addr=%u",
           cm_version, n->codec->name, buffer_variant_name(n->p.buffer), n->p.buffer_capacity, n->p.queue_max,
           n->p.id, (unsigned)n->p.addr);
  crypto_generichash(n->measurement, 32, (const uint8_t *)desc, strlen(desc), NULL, 0);
  uint8_t msg[64];
  memcpy(msg, n->measurement, 32);
  memcpy(msg + 32, n->pk, 32);
  crypto_sign_detached(n->quote, NULL, msg, sizeof msg, n->sign_sk);
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(sseed, sizeof sseed);
}

int node_set_peers(node *n, const cm_addr *peers, size_t npeers) {
  if (!n || (!peers && npeers)) return CM_EINVAL;
  cm_addr *p = NULL;
  if (npeers) {
    p = malloc(npeers * sizeof *p);
    if (!p) return CM_ENOMEM;
    memcpy(p, peers, npeers * sizeof *p);
  }
  free(n->peers);
  n->peers = p;
  n->npeers = npeers;
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
  if (n->p.loop_hops + 1 > n->codec->max_hops) goto fail;
  if (n->codec->keyed && n->p.loop_rate_per_s > 0 && !n->p.keys) goto fail;
  n->r_loop = stream(e, params->addr, "loop");
  n->r_slots = stream(e, params->addr, "slots");
  n->r_nonce = stream(e, params->addr, "nonce");
  n->buf = buffer_new(n->p.buffer, n->p.buffer_capacity, n->r_slots);
  n->replay = sphinx_replay_new(n->p.replay_capacity, n->p.replay_fp);
  n->slots = calloc(n->p.buffer_capacity, sizeof *n->slots);
  if (n->p.service_time) {
    n->q = calloc(n->p.queue_max, sizeof *n->q);
    if (!n->q) goto fail;
  }
  if (!n->buf || !n->replay || !n->slots || node_set_peers(n, peers, npeers) != 0) goto fail;
  for (uint32_t i = 0; i < n->p.buffer_capacity; i++) n->slots[i].next_free = i + 1 < n->p.buffer_capacity ? i + 1 : NO_SLOT;
  n->free_slot = 0;
  make_identity(n);
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
    for (uint32_t i = 0; i < n->p.buffer_capacity; i++) {
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
  free(n->peers);
  free(n);
}

void node_counters(const node *n, struct node_counters *out) { *out = n->c; }

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
  out->counters = n->c;
  out->attestation = "software quote, no hardware enclave";
  memcpy(out->measurement, n->measurement, 32);
  memcpy(out->quote, n->quote, 64);
}

void node_epoch_advance(node *n) {
  n->p.epoch++;
  sphinx_replay_reset(n->replay);
}

bool node_counters_balanced(const struct node_counters *c) {
  return c->received == c->malformed + c->replay + c->queue_full + c->buffer_full + c->unknown_next_hop +
                            c->discarded_drop + c->loop_returned + c->forwarded + c->delivered + c->send_failed +
                            c->in_cpu + c->held;
}
