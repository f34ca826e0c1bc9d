/* The updater's exchanges as CTRL packets (updater_ctrl.h). */
#include "mixclaves/updater_ctrl.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "rng.h"

enum { X_METRICS = 0, X_INSTALL, X_COMMIT };

struct nstate {
  uint32_t epoch;   /* last reported (or assumed) key epoch */
  uint32_t pending; /* the highest install sent, not answered: 0 none */
};

struct req {
  struct updater_ctrl *s;
  int kind;
  cm_addr node;
  uint32_t version;
  uint64_t token;
  updater_metrics_fn mfn;
  updater_ack_fn afn;
  void *arg;
};

struct updater_ctrl {
  env *e;
  struct updater_ctrl_params p;
  ctrl_client *c;
  rng *r_route;
  uint32_t committed;      /* the last committed version sent */
  cm_addr *relays;         /* the committed node list */
  uint32_t nrelays;
  GHashTable *nodes;       /* addr -> struct nstate */
  GHashTable *reqs;        /* struct req * set: what is in flight */
  struct updater_ctrl_counters k;
};

static struct nstate *state_of(struct updater_ctrl *s, cm_addr a) {
  struct nstate *st = g_hash_table_lookup(s->nodes, GUINT_TO_POINTER(a));
  if (!st) {
    st = g_new0(struct nstate, 1);
    st->epoch = s->committed;
    g_hash_table_insert(s->nodes, GUINT_TO_POINTER(a), st);
  }
  return st;
}

static void set_relays(struct updater_ctrl *s, const struct epoch_digest *d) {
  g_free(s->relays);
  s->relays = g_new(cm_addr, d->n ? d->n : 1);
  for (uint32_t i = 0; i < d->n; i++) s->relays[i] = d->nodes[i].addr;
  s->nrelays = d->n;
}

static void on_reply(void *arg, enum ctrl_outcome o, const struct ctrl_reply *r) {
  struct req *q = arg;
  struct updater_ctrl *s = q->s;
  g_hash_table_remove(s->reqs, q);
  s->k.outstanding--;
  struct nstate *st = state_of(s, q->node);
  if (o != CTRL_REPLIED) {
    s->k.timed_out++;
    g_free(q);
    return;
  }
  st->epoch = r->epoch;
  if (st->pending && (r->epoch >= st->pending || (q->kind == X_INSTALL && q->version == st->pending)))
    st->pending = 0;
  if (r->status != CTRL_ACK) {
    s->k.nacked++;
  } else if (q->kind == X_METRICS) {
    struct ctrl_metrics m;
    if (ctrl_metrics_parse(r, &m) != 0) {
      s->k.nacked++; /* a node-signed reply without metrics: not trusted, left to time out */
    } else {
      s->k.acked++;
      struct updater_metrics um = {.processed = m.forwarded + m.delivered + m.discarded_drop + m.loop_returned,
                                   .at = r->node_time};
      q->mfn(q->arg, q->token, &um);
    }
  } else {
    s->k.acked++;
    q->afn(q->arg, q->token);
  }
  g_free(q);
}

/* n relays at epoch `stamp` into out, drawn uniformly (with replacement,
 * as a client's path) from the committed list; the target when none is. */
static void draw_relays(struct updater_ctrl *s, uint32_t stamp, cm_addr target, cm_addr *out, size_t n) {
  cm_addr ok[EPOCH_MAX_NODES];
  size_t m = 0;
  for (uint32_t i = 0; i < s->nrelays && m < EPOCH_MAX_NODES; i++) {
    struct nstate *st = state_of(s, s->relays[i]);
    if (st->epoch == stamp && !st->pending) ok[m++] = s->relays[i];
  }
  for (size_t i = 0; i < n; i++) out[i] = m ? ok[rng_below(s->r_route, m)] : target;
}

static void start(struct updater_ctrl *s, struct req *q, struct ctrl_request *r) {
  struct nstate *st = state_of(s, q->node);
  /* unsure (an install unanswered): the node is at one of [epoch, pending];
   * a uniform draw, so no request kind keeps one stamp (a strict
   * alternation did: metrics and installs interleaved and each kind kept
   * the wrong stamp) */
  uint32_t stamp = st->epoch;
  if (st->pending > st->epoch) {
    stamp = st->epoch + (uint32_t)rng_below(s->r_route, st->pending - st->epoch + 1);
    if (stamp != st->epoch) s->k.alt_stamps++;
  }
  if (q->kind == X_INSTALL && q->version > st->epoch && q->version > st->pending) st->pending = q->version;
  uint32_t hops = s->p.hops ? s->p.hops : 1;
  cm_addr via[CODEC_HOPS_MAX], back[CODEC_HOPS_MAX];
  if (hops > CODEC_HOPS_MAX) hops = CODEC_HOPS_MAX;
  /* a node keeps its epoch until COMMIT (node.h, two phases), and after
   * the switch its old key stays for its epoch_grace: every request goes
   * and comes back at the node's epoch (a commit's reply block too: the
   * world must give the nodes a grace longer than a reply's trip) */
  draw_relays(s, stamp, q->node, via, hops - 1);
  uint32_t back_epoch = stamp;
  draw_relays(s, back_epoch, q->node, back, hops);
  struct ctrl_route route = {.via = via, .nvia = hops - 1, .back = back, .nback = hops,
                             .back_epoch_set = true, .back_epoch = back_epoch};
  r->target = q->node;
  ctrl_client_set_epoch(s->c, stamp);
  if (ctrl_client_send(s->c, r, &route, on_reply, q) != 0) {
    s->k.send_failed++; /* never answered: the updater's timeout ends it */
    g_free(q);
    return;
  }
  g_hash_table_add(s->reqs, q);
  s->k.sent++;
  s->k.outstanding++;
}

static struct req *req_new(struct updater_ctrl *s, int kind, cm_addr node, uint64_t token, void *arg) {
  struct req *q = g_new0(struct req, 1);
  *q = (struct req){.s = s, .kind = kind, .node = node, .token = token, .arg = arg};
  return q;
}

static void op_metrics(void *ctx, cm_addr node, updater_metrics_fn done, void *arg, uint64_t token) {
  struct updater_ctrl *s = ctx;
  struct req *q = req_new(s, X_METRICS, node, token, arg);
  q->mfn = done;
  struct ctrl_request r = {.command = CTRL_READ_METRICS};
  start(s, q, &r);
}

/* Put d in the store and name it: INSTALL_EPOCH or COMMIT. */
static void named(struct updater_ctrl *s, int kind, cm_addr node, const struct epoch_digest *d, updater_ack_fn done,
                  void *arg, uint64_t token) {
  struct req *q = req_new(s, kind, node, token, arg);
  q->afn = done;
  q->version = d->version;
  uint8_t h[EPOCH_HASH_BYTES];
  if (digest_store_put(s->p.store, d) != 0 || epoch_digest_hash(d, h) != 0) {
    s->k.send_failed++;
    g_free(q);
    return;
  }
  struct ctrl_request r = {0};
  if (kind == X_INSTALL)
    ctrl_args_install_epoch(&r, d->version, h);
  else
    ctrl_args_commit(&r, d->version, h);
  start(s, q, &r);
}

static void op_install(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                       uint64_t token) {
  named(ctx, X_INSTALL, node, d, done, arg, token);
}

static void op_commit(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                      uint64_t token) {
  struct updater_ctrl *s = ctx;
  if (d->version > s->committed) { /* the relays from now on: the committed list */
    s->committed = d->version;
    set_relays(s, d);
  }
  named(s, X_COMMIT, node, d, done, arg, token);
}

struct updater_ctrl *updater_ctrl_new(env *e, const struct updater_ctrl_params *p) {
  if (!e || !p || !p->operator_sk || !p->initial || !p->store || p->addr == 0) return NULL;
  struct ctrl_client_params cp = {.addr = p->addr, .codec = p->codec, .operator_sk = p->operator_sk,
                                  .epoch = p->initial->version, .mean_delay = p->mean_delay, .timeout = p->timeout,
                                  .keys = p->keys, .keys_ctx = p->keys_ctx, .sign_keys = p->sign_keys,
                                  .sign_ctx = p->sign_ctx, .clock_base = p->clock_base};
  ctrl_client *c = ctrl_client_new(e, &cp);
  if (!c) return NULL;
  struct updater_ctrl *s = g_new0(struct updater_ctrl, 1);
  s->e = e;
  s->p = *p;
  s->p.operator_sk = NULL; /* the client holds its copy */
  s->c = c;
  char name[64];
  snprintf(name, sizeof name, "updater_ctrl:%u:route", (unsigned)p->addr);
  s->r_route = env_secret_rng(e, name);
  s->committed = p->initial->version;
  set_relays(s, p->initial);
  s->nodes = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  s->reqs = g_hash_table_new(g_direct_hash, g_direct_equal);
  return s;
}

void updater_ctrl_free(struct updater_ctrl *s) {
  if (!s) return;
  ctrl_client_free(s->c); /* no callbacks from here on */
  GHashTableIter it;
  gpointer q;
  g_hash_table_iter_init(&it, s->reqs);
  while (g_hash_table_iter_next(&it, &q, NULL)) g_free(q);
  g_hash_table_destroy(s->reqs);
  g_hash_table_destroy(s->nodes);
  g_free(s->relays);
  g_free(s);
}

void updater_ctrl_ops(struct updater_ctrl *s, struct updater_ops *out) {
  out->ctx = s;
  out->read_metrics = op_metrics;
  out->install_epoch = op_install;
  out->commit = op_commit;
}

void updater_ctrl_counters(const struct updater_ctrl *s, struct updater_ctrl_counters *out) {
  *out = s->k;
  struct ctrl_client_counters c;
  ctrl_client_counters(s->c, &c);
  out->malformed = c.malformed;
}

uint32_t updater_ctrl_node_epoch(const struct updater_ctrl *s, cm_addr node) {
  struct nstate *st = g_hash_table_lookup(s->nodes, GUINT_TO_POINTER(node));
  return st ? st->epoch : s->committed;
}
