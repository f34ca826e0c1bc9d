/* The Loopix / benchmark client: three Poisson streams, path and delay
 * choice, the payload format, and the round-trip tracker. Tracked packets
 * get consecutive sequence numbers, so the outstanding ones form a ring in
 * send order whose deadlines (send time + late_after) are in order too: one
 * timer at the oldest deadline retires lost packets from the front.
 *
 * Payload (big endian, CLIENT_PAYLOAD_BYTES, the rest of the codec payload
 * zero): magic "CMXC", version 2, kind, 2 zero bytes, src u32, dst u32,
 * seq u64, sent_at i64 (ns), experiment u64, sum128 (sum128.h) over the
 * first 40 bytes: a check against corruption and stray datagrams; the
 * codec's own integrity (Sphinx, or the abstract checksum) already covers
 * the payload in transit. */
#include "mixclaves/client.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "mixclaves/bytes.h"
#include "mixclaves/sum128.h"

enum { S_REAL = 0, S_LOOP = 1, S_DROP = 2, NSTREAMS = 3 };

struct client {
  env *e;
  struct client_params p;
  const struct codec_ops *codec;
  const cm_addr *nodes;
  size_t nnodes;
  cm_addr *nodes_owned; /* nodes when copied; NULL when borrowed */
  rng *r_stream[NSTREAMS], *r_path, *r_delay, *r_nonce;
  double rate[NSTREAMS];
  timer_id stream_timer[NSTREAMS];
  cm_time due[NSTREAMS]; /* when the pending send of each stream is due */
  uint8_t *pkt; /* codec packet_bytes scratch when over STACK_PKT, else NULL */
  uint64_t real_seq;
  /* tracker: seq base + i is ring[(head + i) & mask], i < count */
  cm_time *sent_at;
  bool *got;
  uint64_t base, count, mask, head;
  timer_id late_timer;
  hist *rtt;
  bool own_rtt;
  struct client_counters k;
};

/* A packet of at most this many bytes is built on the stack (the codecs'
 * are 2348 and 2415): no scratch per client. */
#define STACK_PKT 4096

static const uint8_t MAGIC[4] = {'C', 'M', 'X', 'C'};
#define PAYLOAD_VERSION 2 /* 1 had a BLAKE2b-128 check */

void client_payload_encode(const struct client_payload *p, uint8_t out[CLIENT_PAYLOAD_BYTES]) {
  memset(out, 0, CLIENT_PAYLOAD_BYTES);
  memcpy(out, MAGIC, 4);
  out[4] = PAYLOAD_VERSION;
  out[5] = (uint8_t)p->kind;
  mx_put_be32(out + 8, p->src);
  mx_put_be32(out + 12, p->dst);
  mx_put_be64(out + 16, p->seq);
  mx_put_be64(out + 24, (uint64_t)p->sent_at);
  mx_put_be64(out + 32, p->experiment);
  sum128(out, 40, out + 40);
}

int client_payload_decode(const uint8_t *in, size_t len, struct client_payload *p) {
  if (!in || len < CLIENT_PAYLOAD_BYTES) return CM_EPARSE;
  uint8_t sum[16];
  sum128(in, 40, sum);
  if (memcmp(in, MAGIC, 4) != 0 || in[4] != PAYLOAD_VERSION || (in[5] != CLIENT_REAL && in[5] != CLIENT_LOOP) || in[6] ||
      in[7] || memcmp(sum, in + 40, 16) != 0)
    return CM_EPARSE;
  p->kind = (enum client_kind)in[5];
  p->src = mx_get_be32(in + 8);
  p->dst = mx_get_be32(in + 12);
  p->seq = mx_get_be64(in + 16);
  p->sent_at = (cm_time)mx_get_be64(in + 24);
  p->experiment = mx_get_be64(in + 32);
  return 0;
}

static void on_late(env *e, void *arg);

/* Retire received and overdue packets from the front. The timer is armed
 * only when none is pending: a pending one is due no later than the new
 * front's deadline (deadlines grow with the sequence number), and when it
 * fires early this re-arms it for the front of then. That spares a cancel
 * and a new event for every packet that comes back in time. */
static void retire(client *c) {
  cm_time now = env_now(c->e);
  while (c->count) {
    uint64_t i = c->head;
    if (!c->got[i]) {
      if (c->sent_at[i] + c->p.late_after > now) break;
      c->k.lost++;
      c->k.outstanding--;
    }
    c->head = (c->head + 1) & c->mask;
    c->count--;
    c->base++;
  }
  if (c->count && !c->late_timer)
    c->late_timer = env_after(c->e, c->sent_at[c->head] + c->p.late_after - now, on_late, c);
}

static void on_late(env *e CM_UNUSED, void *arg) {
  client *c = arg;
  c->late_timer = 0;
  retire(c);
}

/* Append a tracked packet sent now (sequence number base + count). */
static void track(client *c) {
  if (c->count == c->mask + 1 || !c->sent_at) {
    uint64_t cap = c->sent_at ? 2 * (c->mask + 1) : 64;
    cm_time *s = malloc(cap * sizeof *s);
    bool *g = malloc(cap * sizeof *g);
    if (!s || !g) cm_fatal(CM_LOC, "client: out of memory for the tracker");
    for (uint64_t i = 0; i < c->count; i++) {
      s[i] = c->sent_at[(c->head + i) & c->mask];
      g[i] = c->got[(c->head + i) & c->mask];
    }
    free(c->sent_at);
    free(c->got);
    c->sent_at = s;
    c->got = g;
    c->head = 0;
    c->mask = cap - 1;
  }
  uint64_t i = (c->head + c->count) & c->mask;
  c->sent_at[i] = env_now(c->e);
  c->got[i] = false;
  c->count++;
  c->k.tracked++;
  c->k.outstanding++;
  if (!c->late_timer) c->late_timer = env_after(c->e, c->p.late_after, on_late, c);
}

static cm_addr pick(client *c, uint32_t hop) {
  if (c->p.topology == CLIENT_STRATIFIED) {
    size_t per = c->nnodes / c->p.layers, layer = hop % c->p.layers;
    return c->nodes[layer * per + rng_below(c->r_path, per)];
  }
  return c->nodes[rng_below(c->r_path, c->nnodes)];
}

static void send_one(client *c, int s) {
  struct codec_hop path[CODEC_HOPS_MAX];
  uint32_t hops = s == S_DROP ? c->p.drop_hops : c->p.hops;
  for (uint32_t h = 0; h < hops; h++) {
    cm_time d = cm_time_from_s(rng_exponential(c->r_delay, cm_time_to_s(c->p.mean_delay)));
    /* ROUTE at every hop but the last: only the last node learns the kind */
    enum codec_type t = CODEC_ROUTE;
    if (h + 1 == hops) t = s == S_LOOP ? CODEC_LOOP : s == S_DROP ? CODEC_DROP : CODEC_ROUTE;
    path[h] = (struct codec_hop){.addr = pick(c, h), .delay = d, .type = t};
  }
  uint8_t pks[CODEC_HOPS_MAX][CODEC_KEY_BYTES];
  for (uint32_t h = 0; c->codec->keyed && h < hops; h++) {
    if (c->p.keys(c->p.keys_ctx, path[h].addr, pks[h]) != 0) {
      c->k.send_failed++;
      return;
    }
    path[h].pk = pks[h];
  }
  uint8_t pl[CLIENT_PAYLOAD_BYTES];
  struct client_payload m = {.kind = s == S_LOOP ? CLIENT_LOOP : CLIENT_REAL, .src = c->p.addr,
                             .sent_at = env_now(c->e), .experiment = c->p.experiment};
  m.dst = s == S_REAL && c->p.real_dest ? c->p.real_dest : c->p.addr;
  bool tracked = s != S_DROP && m.dst == c->p.addr;
  cm_addr dest = s == S_DROP ? 0 : m.dst;
  /* the sequence number is taken only once the packet is surely sent */
  m.seq = tracked ? c->base + c->count : (s == S_REAL ? c->real_seq : 0);
  client_payload_encode(&m, pl);
  uint8_t stack_pkt[STACK_PKT], *pkt = c->pkt ? c->pkt : stack_pkt;
  int rc = c->codec->build(path, hops, c->p.epoch, dest, pl, sizeof pl, codec_random_rng, c->r_nonce, pkt);
  if (rc == 0) rc = env_send(c->e, c->p.addr, path[0].addr, pkt, c->codec->packet_bytes);
  if (rc != 0) {
    c->k.send_failed++;
    return;
  }
  if (tracked) track(c);
  if (s == S_REAL) {
    c->k.sent_real++;
    if (!tracked) c->real_seq++;
  } else if (s == S_LOOP) {
    c->k.sent_loop++;
  } else {
    c->k.sent_drop++;
  }
}

static cm_time gap(client *c, int s) { return cm_time_from_s(rng_exponential(c->r_stream[s], 1.0 / c->rate[s])); }

static void on_real(env *e CM_UNUSED, void *arg);
static void on_loop(env *e CM_UNUSED, void *arg);
static void on_drop(env *e CM_UNUSED, void *arg);
static const env_fn stream_fn[NSTREAMS] = {on_real, on_loop, on_drop};

/* The next send is a gap after the last one was *due*, not after the timer
 * woke: in real mode a timer fires some microseconds late, and counting
 * the gap from the wake-up would let every lateness add up (measured: 74%
 * of the asked rate at 3000/s). In simulation the two are the same. */
static void fire(client *c, int s) {
  c->stream_timer[s] = 0;
  if (c->p.stop && c->due[s] >= c->p.stop) return;
  send_one(c, s);
  c->due[s] = cm_time_add_sat(c->due[s], gap(c, s));
  cm_time now = env_now(c->e);
  c->stream_timer[s] = env_after(c->e, c->due[s] > now ? c->due[s] - now : 0, stream_fn[s], c);
}
static void on_real(env *e CM_UNUSED, void *arg) { fire(arg, S_REAL); }
static void on_loop(env *e CM_UNUSED, void *arg) { fire(arg, S_LOOP); }
static void on_drop(env *e CM_UNUSED, void *arg) { fire(arg, S_DROP); }

static void on_datagram(env *e, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED, const uint8_t *pkt,
                        size_t len) {
  client *c = arg;
  struct client_payload m;
  if (len != c->codec->payload_bytes || client_payload_decode(pkt, len, &m) != 0 || m.dst != c->p.addr) {
    c->k.malformed++;
    return;
  }
  if (m.src != c->p.addr) {
    c->k.received_real++;
    return;
  }
  cm_time now = env_now(e);
  if (m.seq >= c->base + c->count) {
    c->k.malformed++; /* never sent */
    return;
  }
  if (m.seq < c->base) {
    /* Retired: it was counted lost (received ones are retired only after
     * they arrived, and nodes' replay filters stop duplicates). */
    c->k.late++;
    hist_add(c->rtt, now - m.sent_at);
    return;
  }
  uint64_t i = (c->head + (m.seq - c->base)) & c->mask;
  if (c->got[i]) {
    c->k.duplicate++;
    return;
  }
  c->got[i] = true;
  c->k.received++;
  c->k.outstanding--;
  hist_add(c->rtt, now - c->sent_at[i]);
  if (m.seq == c->base) retire(c);
}

static bool rate_ok(double r) { return r >= 0 && isfinite(r); }

void client_set_epoch(client *c, uint32_t epoch) { c->p.epoch = epoch; }

int client_set_nodes(client *c, const cm_addr *nodes, size_t nnodes) {
  if (!c || !nodes || nnodes == 0) return CM_EINVAL;
  if (c->p.topology == CLIENT_STRATIFIED && nnodes % c->p.layers) return CM_EINVAL;
  for (size_t i = 0; i < nnodes; i++)
    if (nodes[i] == 0) return CM_EINVAL;
  cm_addr *n = malloc(nnodes * sizeof *n);
  if (!n) return CM_ENOMEM;
  memcpy(n, nodes, nnodes * sizeof *n);
  free(c->nodes_owned);
  c->nodes = c->nodes_owned = n;
  c->nnodes = nnodes;
  return 0;
}

static rng *stream(env *e, cm_addr a, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "client:%u:%s", (unsigned)a, what);
  return env_secret_rng(e, name); /* every draw shapes a packet: secret in real mode */
}

client *client_new(env *e, const struct client_params *params, const cm_addr *nodes, size_t nnodes) {
  if (!e || !params || params->addr == 0 || !nodes || nnodes == 0) return NULL;
  if (!rate_ok(params->real_rate_per_s) || !rate_ok(params->loop_rate_per_s) || !rate_ok(params->drop_rate_per_s))
    return NULL;
  if (params->mean_delay < 0 || params->late_after < 0 || params->start < 0) return NULL;
  if (sodium_init() < 0) return NULL;
  client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->e = e;
  c->p = *params;
  c->codec = params->codec ? params->codec : codec_abstract();
  if (!c->p.layers) c->p.layers = 3;
  if (!c->p.hops) c->p.hops = c->p.topology == CLIENT_STRATIFIED ? c->p.layers : 1;
  if (!c->p.drop_hops) c->p.drop_hops = 1;
  if (!c->p.mean_delay) c->p.mean_delay = CM_MS(1);
  if (!c->p.late_after) c->p.late_after = CM_S(1);
  c->rate[S_REAL] = c->p.real_rate_per_s;
  c->rate[S_LOOP] = c->p.loop_rate_per_s;
  c->rate[S_DROP] = c->p.drop_rate_per_s;
  if (c->p.hops > c->codec->max_hops || c->p.drop_hops > c->codec->max_hops ||
      c->codec->payload_bytes < CLIENT_PAYLOAD_BYTES || (c->codec->keyed && !c->p.keys))
    goto fail;
  static const char *names[NSTREAMS] = {"real", "loop", "drop"};
  for (int s = 0; s < NSTREAMS; s++) c->r_stream[s] = stream(e, c->p.addr, names[s]);
  c->r_path = stream(e, c->p.addr, "path");
  c->r_delay = stream(e, c->p.addr, "delay");
  c->r_nonce = stream(e, c->p.addr, "nonce");
  if (c->codec->packet_bytes > STACK_PKT && !(c->pkt = malloc(c->codec->packet_bytes))) goto fail;
  c->own_rtt = !params->rtt;
  c->rtt = params->rtt ? params->rtt : hist_new();
  if (!c->rtt) goto fail;
  if (params->borrow_nodes) {
    if (c->p.topology == CLIENT_STRATIFIED && nnodes % c->p.layers) goto fail;
    for (size_t i = 0; i < nnodes; i++)
      if (nodes[i] == 0) goto fail;
    c->nodes = nodes;
    c->nnodes = nnodes;
  } else if (client_set_nodes(c, nodes, nnodes) != 0) {
    goto fail;
  }
  if (env_bind(e, c->p.addr, on_datagram, c) != 0) goto fail;
  /* one reading of the clock: outside a callback the real backend's
   * env_now moves between two calls */
  cm_time now = env_now(e), first = c->p.start > now ? c->p.start : now;
  for (int s = 0; s < NSTREAMS; s++)
    if (c->rate[s] > 0) {
      c->due[s] = cm_time_add_sat(first, gap(c, s));
      c->stream_timer[s] = env_after(e, c->due[s] - now, stream_fn[s], c);
    }
  return c;
fail:
  c->e = NULL;
  client_free(c);
  return NULL;
}

void client_free(client *c) {
  if (!c) return;
  if (c->e) {
    env_unbind(c->e, c->p.addr);
    for (int s = 0; s < NSTREAMS; s++)
      if (c->stream_timer[s]) env_cancel(c->e, c->stream_timer[s]);
    if (c->late_timer) env_cancel(c->e, c->late_timer);
  }
  if (c->own_rtt) hist_free(c->rtt);
  free(c->pkt);
  free(c->sent_at);
  free(c->got);
  free(c->nodes_owned);
  free(c);
}

void client_counters(const client *c, struct client_counters *out) { *out = c->k; }
const hist *client_rtt(const client *c) { return c->rtt; }

void client_rtt_take(client *c, hist *into) {
  hist_merge(into, c->rtt);
  hist_reset(c->rtt);
}

bool client_counters_balanced(const struct client_counters *k) {
  return k->tracked == k->received + k->lost + k->outstanding && k->late <= k->lost;
}
