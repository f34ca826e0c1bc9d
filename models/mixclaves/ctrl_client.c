/* The operator's control client (ctrl_client.h): builds signed CTRL
 * packets with reply blocks, keeps each request's block keys until its
 * reply or timeout, and opens replies. Pending requests are a short list:
 * an updater has a handful in flight. */
#include "mixclaves/ctrl_client.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "rng.h"

struct pending {
  struct pending *next;
  ctrl_client *c;
  uint64_t seq;
  cm_addr target;
  uint8_t command;
  ctrl_reply_fn cb;
  void *arg;
  timer_id timer;
  uint8_t keys[CODEC_SURB_KEYS_MAX];
};

struct ctrl_client {
  env *e;
  struct ctrl_client_params p;
  const struct codec_ops *codec;
  uint8_t sk[CTRL_SK_BYTES];
  rng *r_delay, *r_nonce;
  uint64_t seq;
  struct pending *pending;
  struct ctrl_client_counters k;
};

static void pending_free(ctrl_client *c, struct pending *p) {
  for (struct pending **q = &c->pending; *q; q = &(*q)->next)
    if (*q == p) {
      *q = p->next;
      break;
    }
  sodium_memzero(p->keys, sizeof p->keys);
  free(p);
  c->k.outstanding--;
}

static void on_timeout(env *e CM_UNUSED, void *arg) {
  struct pending *p = arg;
  ctrl_client *c = p->c;
  ctrl_reply_fn cb = p->cb;
  void *cb_arg = p->arg;
  pending_free(c, p);
  c->k.timed_out++;
  cb(cb_arg, CTRL_TIMEOUT, NULL);
}

static void on_datagram(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED, const uint8_t *pkt,
                        size_t len) {
  ctrl_client *c = arg;
  uint8_t msg[CODEC_REPLY_MSG_MAX];
  size_t mlen;
  struct ctrl_reply r;
  struct pending *p = c->pending;
  int rc = CM_ENOENT;
  if (pkt && len == c->codec->reply_bytes)
    for (; p; p = p->next)
      if ((rc = c->codec->surb_open(p->keys, pkt, len, msg, &mlen)) != CM_ENOENT) break;
  if (rc != 0 || ctrl_reply_decode(msg, mlen, &r) != 0 || r.seq != p->seq || r.node != p->target ||
      r.command != p->command) {
    c->k.malformed++;
    return;
  }
  if (c->p.sign_keys) {
    uint8_t pk[CTRL_PK_BYTES];
    if (c->p.sign_keys(c->p.sign_ctx, r.node, pk) != 0 || ctrl_reply_verify(&r, pk) != 0) {
      c->k.malformed++;
      return;
    }
  }
  ctrl_reply_fn cb = p->cb;
  void *cb_arg = p->arg;
  env_cancel(c->e, p->timer);
  pending_free(c, p);
  c->k.replied++;
  cb(cb_arg, CTRL_REPLIED, &r);
}

static rng *stream(env *e, cm_addr a, const char *what) {
  char name[64];
  snprintf(name, sizeof name, "ctrl:%u:%s", (unsigned)a, what);
  return env_secret_rng(e, name);
}

ctrl_client *ctrl_client_new(env *e, const struct ctrl_client_params *params) {
  if (!e || !params || !params->operator_sk || params->addr == 0 || params->mean_delay < 0 || params->timeout < 0)
    return NULL;
  const struct codec_ops *codec = params->codec ? params->codec : codec_abstract();
  if (codec->keyed && !params->keys) return NULL;
  if (sodium_init() < 0) return NULL;
  ctrl_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->e = e;
  c->p = *params;
  c->codec = codec;
  memcpy(c->sk, params->operator_sk, CTRL_SK_BYTES);
  c->p.operator_sk = NULL; /* copied */
  if (!c->p.mean_delay) c->p.mean_delay = CM_MS(1);
  if (!c->p.timeout) c->p.timeout = CM_S(10);
  c->r_delay = stream(e, params->addr, "delay");
  c->r_nonce = stream(e, params->addr, "nonce");
  if (env_bind(e, params->addr, on_datagram, c) != 0) {
    sodium_memzero(c->sk, sizeof c->sk);
    free(c);
    return NULL;
  }
  return c;
}

void ctrl_client_free(ctrl_client *c) {
  if (!c) return;
  env_unbind(c->e, c->p.addr);
  while (c->pending) {
    env_cancel(c->e, c->pending->timer);
    pending_free(c, c->pending);
  }
  sodium_memzero(c->sk, sizeof c->sk);
  free(c);
}

static cm_time draw_delay(ctrl_client *c) { return cm_time_from_s(rng_exponential(c->r_delay, cm_time_to_s(c->p.mean_delay))); }

/* path[0..n) of ROUTE hops at addrs with drawn delays, keys looked up. */
static int hops_from(ctrl_client *c, const cm_addr *addrs, size_t n, struct codec_hop *path,
                     uint8_t pks[][CODEC_KEY_BYTES]) {
  for (size_t i = 0; i < n; i++) {
    if (addrs[i] == 0) return CM_EINVAL;
    path[i] = (struct codec_hop){.addr = addrs[i], .delay = draw_delay(c), .type = CODEC_ROUTE};
    if (c->codec->keyed) {
      if (c->p.keys(c->p.keys_ctx, addrs[i], pks[i]) != 0) return CM_EINVAL;
      path[i].pk = pks[i];
    }
  }
  return 0;
}

int ctrl_client_send(ctrl_client *c, struct ctrl_request *req, const struct ctrl_route *route, ctrl_reply_fn cb,
                     void *arg) {
  if (!c || !req || !route || (route->nvia && !route->via) || (route->nback && (!route->back || !cb)))
    return CM_EINVAL;
  if (route->nvia + 1 > c->codec->max_hops || route->nback > c->codec->max_hops) return CM_ERANGE;
  struct codec_hop path[CODEC_HOPS_MAX], back[CODEC_HOPS_MAX];
  uint8_t pks[CODEC_HOPS_MAX][CODEC_KEY_BYTES], bpks[CODEC_HOPS_MAX][CODEC_KEY_BYTES];
  int rc = hops_from(c, route->via, route->nvia, path, pks);
  if (rc == 0) rc = hops_from(c, &req->target, 1, path + route->nvia, pks + route->nvia);
  if (rc == 0) rc = hops_from(c, route->back, route->nback, back, bpks);
  if (rc != 0) return rc;
  path[route->nvia].type = CODEC_CTRL;
  cm_time now = cm_time_add_sat(c->p.clock_base, env_now(c->e));
  req->epoch = c->p.epoch;
  req->issued_at = now;
  req->seq = c->seq + 1 > (uint64_t)now ? c->seq + 1 : (uint64_t)now;
  req->surb_len = 0;
  struct pending *p = NULL;
  if (route->nback) {
    p = calloc(1, sizeof *p);
    if (!p) return CM_ENOMEM;
    uint32_t be = route->back_epoch_set ? route->back_epoch : c->p.epoch;
    rc = c->codec->surb_create(back, route->nback, be, c->p.addr, codec_random_rng, c->r_nonce, req->surb,
                               p->keys);
    req->surb_len = (uint16_t)c->codec->surb_bytes;
  }
  uint8_t payload[CTRL_REQUEST_MAX], *pkt = malloc(c->codec->packet_bytes);
  size_t len = 0;
  if (rc == 0 && !pkt) rc = CM_ENOMEM;
  if (rc == 0) rc = ctrl_request_sign(req, c->sk);
  if (rc == 0) rc = ctrl_request_encode(req, payload, sizeof payload, &len);
  if (rc == 0)
    rc = c->codec->build(path, route->nvia + 1, c->p.epoch, 0, payload, len, codec_random_rng, c->r_nonce, pkt);
  if (rc == 0) rc = env_send(c->e, c->p.addr, path[0].addr, pkt, c->codec->packet_bytes);
  free(pkt);
  if (rc != 0) {
    c->k.send_failed++;
    if (p) sodium_memzero(p->keys, sizeof p->keys);
    free(p);
    return rc;
  }
  c->seq = req->seq;
  c->k.sent++;
  if (p) {
    p->c = c;
    p->seq = req->seq;
    p->target = req->target;
    p->command = req->command;
    p->cb = cb;
    p->arg = arg;
    p->timer = env_after(c->e, c->p.timeout, on_timeout, p);
    p->next = c->pending;
    c->pending = p;
    c->k.outstanding++;
  }
  return 0;
}

void ctrl_client_set_epoch(ctrl_client *c, uint32_t epoch) { c->p.epoch = epoch; }

void ctrl_client_counters(const ctrl_client *c, struct ctrl_client_counters *out) { *out = c->k; }
