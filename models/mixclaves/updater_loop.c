/* The updater's control exchanges as packets through the simulated nodes
 * (what is modelled: models/mixclaves/updater_loop.h). Reply payload: "CMCT", a
 * version byte, then the exchange id (u64 big endian). */
#include "mixclaves/updater_loop.h"

#include <string.h>

#include <glib.h>

#include "mixclaves/bytes.h"

enum { X_METRICS = 0, X_INSTALL, X_COMMIT };
#define PAYLOAD 16
static const uint8_t MAGIC[4] = {'C', 'M', 'C', 'T'};

struct xch {
  uint64_t id;
  int kind;
  cm_addr node;
  uint64_t token;
  updater_metrics_fn mfn;
  updater_ack_fn afn;
  void *arg;
  uint32_t version;
  cm_addr *peers; /* commit: the committed list */
  uint32_t npeers;
};

struct node_state {
  uint32_t installed, committed;
};

struct updater_loop {
  env *e;
  cm_addr self;
  const struct codec_ops *codec;
  codec_key_fn keys;
  void *keys_ctx;
  updater_loop_node_fn nodes;
  void *nodes_ctx;
  cm_time mean_delay;
  bool bound;
  rng *r_delay, *r_nonce;
  uint8_t *pkt;
  GHashTable *xs;    /* id -> struct xch */
  GHashTable *state; /* addr -> struct node_state */
  uint64_t next_id;
  struct updater_loop_counters k;
};

static void xch_free(gpointer p) {
  struct xch *x = p;
  g_free(x->peers);
  g_free(x);
}

static struct node_state *state_of(struct updater_loop *s, cm_addr a) {
  struct node_state *st = g_hash_table_lookup(s->state, GUINT_TO_POINTER(a));
  if (!st) {
    st = g_new0(struct node_state, 1);
    g_hash_table_insert(s->state, GUINT_TO_POINTER(a), st);
  }
  return st;
}

/* The reply came back: the exchange takes effect, the updater hears. */
static void on_reply(env *e, void *arg, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  (void)e, (void)from, (void)to;
  struct updater_loop *s = arg;
  if (len < PAYLOAD || memcmp(pkt, MAGIC, 4) != 0 || pkt[4] != 1) {
    s->k.malformed++;
    return;
  }
  uint64_t id = mx_get_be64(pkt + 8);
  struct xch *x = g_hash_table_lookup(s->xs, &id);
  if (!x) {
    s->k.malformed++;
    return;
  }
  g_hash_table_steal(s->xs, &id);
  s->k.returned++;
  s->k.outstanding--;
  node *n = s->nodes(s->nodes_ctx, x->node);
  struct node_state *st = state_of(s, x->node);
  if (x->kind == X_METRICS) {
    struct node_counters c = {0};
    if (n) node_counters(n, &c);
    struct updater_metrics m = {.processed = c.forwarded + c.delivered + c.discarded_drop + c.loop_returned,
                                .at = env_now(s->e)};
    x->mfn(x->arg, x->token, &m);
  } else {
    if (x->kind == X_INSTALL) {
      /* a node installs an epoch above the one it committed (seed 4.3:
       * "If the mix node is at an epoch below the threshold, it will
       * attempt to load the database for that epoch") */
      if (x->version > st->committed) {
        if (x->version > st->installed) st->installed = x->version;
        s->k.installs_applied++;
      }
    } else if (x->version > st->committed) {
      st->committed = x->version;
      if (st->installed < x->version) st->installed = x->version;
      if (n) node_set_peers(n, x->peers, x->npeers);
      s->k.commits_applied++;
    }
    /* a node already past this epoch answers too: the updater then learns
     * nothing new, and the seed's retry moves on to a higher epoch */
    x->afn(x->arg, x->token);
  }
  xch_free(x);
}

static void start(struct updater_loop *s, struct xch *x) {
  x->id = ++s->next_id;
  uint8_t pl[PAYLOAD] = {0};
  memcpy(pl, MAGIC, 4);
  pl[4] = 1;
  mx_put_be64(pl + 8, x->id);
  uint8_t pk[CODEC_KEY_BYTES];
  struct codec_hop hop = {.addr = x->node,
                          .delay = (cm_time)rng_exponential(s->r_delay, (double)s->mean_delay),
                          .type = CODEC_LOOP};
  if (s->codec->keyed) {
    if (s->keys(s->keys_ctx, x->node, pk) != 0) goto fail;
    hop.pk = pk;
  }
  if (s->codec->build(&hop, 1, 0, s->self, pl, sizeof pl, codec_random_rng, s->r_nonce, s->pkt) != 0) goto fail;
  if (env_send(s->e, s->self, x->node, s->pkt, s->codec->packet_bytes) != 0) goto fail;
  g_hash_table_insert(s->xs, &x->id, x);
  s->k.sent++;
  s->k.outstanding++;
  return;
fail:
  s->k.build_failed++; /* never answered: the updater's timeout ends the request */
  xch_free(x);
}

static void op_metrics(void *ctx, cm_addr node, updater_metrics_fn done, void *arg, uint64_t token) {
  struct xch *x = g_new0(struct xch, 1);
  *x = (struct xch){.kind = X_METRICS, .node = node, .token = token, .mfn = done, .arg = arg};
  start(ctx, x);
}

static void op_install(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                       uint64_t token) {
  struct xch *x = g_new0(struct xch, 1);
  *x = (struct xch){.kind = X_INSTALL, .node = node, .token = token, .afn = done, .arg = arg, .version = d->version};
  start(ctx, x);
}

static void op_commit(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                      uint64_t token) {
  struct xch *x = g_new0(struct xch, 1);
  *x = (struct xch){.kind = X_COMMIT, .node = node, .token = token, .afn = done, .arg = arg, .version = d->version};
  x->npeers = d->n;
  x->peers = g_new(cm_addr, d->n ? d->n : 1);
  for (uint32_t i = 0; i < d->n; i++) x->peers[i] = d->nodes[i].addr;
  start(ctx, x);
}

struct updater_loop *updater_loop_new(env *e, cm_addr self, const struct codec_ops *codec, codec_key_fn keys, void *keys_ctx,
                              updater_loop_node_fn nodes, void *nodes_ctx, cm_time mean_delay) {
  if (!e || !self || !codec || !nodes || (codec->keyed && !keys) || mean_delay < 0) return NULL;
  struct updater_loop *s = g_new0(struct updater_loop, 1);
  *s = (struct updater_loop){.e = e, .self = self, .codec = codec, .keys = keys, .keys_ctx = keys_ctx,
                         .nodes = nodes, .nodes_ctx = nodes_ctx, .mean_delay = mean_delay};
  char name[48];
  snprintf(name, sizeof name, "updater:%u:delay", (unsigned)self);
  s->r_delay = env_secret_rng(e, name);
  snprintf(name, sizeof name, "updater:%u:nonce", (unsigned)self);
  s->r_nonce = env_secret_rng(e, name);
  s->pkt = g_malloc(codec->packet_bytes);
  s->xs = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, xch_free);
  s->state = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  if (!s->r_delay || !s->r_nonce || env_bind(e, self, on_reply, s) != 0) {
    updater_loop_free(s);
    return NULL;
  }
  s->bound = true;
  return s;
}

void updater_loop_free(struct updater_loop *s) {
  if (!s) return;
  if (s->bound) env_unbind(s->e, s->self); /* never another's binding */
  g_hash_table_destroy(s->xs);
  g_hash_table_destroy(s->state);
  g_free(s->pkt);
  g_free(s);
}

void updater_loop_ops(struct updater_loop *s, struct updater_ops *out) {
  out->ctx = s;
  out->read_metrics = op_metrics;
  out->install_epoch = op_install;
  out->commit = op_commit;
}

void updater_loop_counters(const struct updater_loop *s, struct updater_loop_counters *out) { *out = s->k; }

void updater_loop_node_epoch(const struct updater_loop *s, cm_addr node, uint32_t *installed, uint32_t *committed) {
  struct node_state *st = g_hash_table_lookup(s->state, GUINT_TO_POINTER(node));
  *installed = st ? st->installed : 0;
  *committed = st ? st->committed : 0;
}
