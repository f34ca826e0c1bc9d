/* The updater (updater.h): sampling rounds, the threshold table, and the
 * scale-out state machine (provision -> install attempts at rising epochs
 * -> commit). Every request is one entry in a table keyed by its token,
 * with a timeout timer; the reply or the timeout, whichever comes first,
 * ends it. */
#include "mixclaves/updater.h"

#include <string.h>

#include <glib.h>
#include <sodium.h>

enum req_kind { REQ_METRICS = 0, REQ_INSTALL, REQ_COMMIT };
enum state { ST_IDLE = 0, ST_PROVISIONING, ST_INSTALLING };

struct req {
  uint64_t token;
  enum req_kind kind;
  cm_addr node;
  uint32_t tag; /* round (metrics), attempt id (install), committed version (commit) */
  timer_id timer;
  bool timed_out; /* its outcome is timed_out; kept to recognise a late reply */
  updater *u;
};

struct sample {
  bool have;
  uint64_t processed;
  cm_time at;
};

struct updater {
  env *e;
  struct updater_params p;
  double thresholds[UPDATER_MAX_THRESHOLDS];
  uint8_t operator_sk[EPOCH_SK_BYTES];
  struct updater_ops ops;
  struct epoch_digest *committed, *proposal;
  GHashTable *reqs;    /* token -> struct req */
  GHashTable *samples; /* addr -> struct sample */
  uint64_t next_token;
  /* the round */
  timer_id round_timer;
  uint32_t round;
  bool round_open;
  uint32_t round_outstanding, round_rates, round_first;
  double round_sum;
  /* scale-out */
  enum state st;
  struct epoch_node new_node;
  uint32_t last_version, tries;
  GArray *attempts; /* struct updater_attempt */
  bool acked[EPOCH_MAX_NODES], commit_acked[EPOCH_MAX_NODES];
  timer_id converge_timer;
  cm_time commit_until;
  cm_time settle_until; /* rounds decide nothing before this (params.settle after a commit) */
  struct updater_counters k;
};

const char *updater_outcome_name(enum updater_outcome o) {
  switch (o) {
  case UPDATER_RUNNING: return "running";
  case UPDATER_COMMITTED: return "committed";
  case UPDATER_RETRIED: return "retried";
  case UPDATER_ABANDONED: return "abandoned";
  }
  return "?";
}

static void on_metrics(void *arg, uint64_t token, const struct updater_metrics *m);
static void on_ack(void *arg, uint64_t token);
static void on_timeout(env *e, void *arg);
static void start_attempt(updater *u);

static struct updater_attempt *attempt(updater *u, uint32_t id) {
  return id < u->attempts->len ? &g_array_index(u->attempts, struct updater_attempt, id) : NULL;
}

static struct updater_attempt *current(updater *u) {
  return u->st == ST_INSTALLING ? attempt(u, u->attempts->len - 1) : NULL;
}

/* A new request: counted, timed, handed to its op. */
static void send(updater *u, enum req_kind kind, cm_addr node, uint32_t tag) {
  struct req *r = g_new0(struct req, 1);
  r->token = ++u->next_token;
  r->kind = kind;
  r->node = node;
  r->tag = tag;
  r->u = u;
  g_hash_table_insert(u->reqs, &r->token, r);
  r->timer = env_after(u->e, u->p.reply_timeout, on_timeout, r);
  u->k.pending++;
  switch (kind) {
  case REQ_METRICS:
    u->k.metrics_sent++;
    u->ops.read_metrics(u->ops.ctx, node, on_metrics, u, r->token);
    break;
  case REQ_INSTALL:
    u->k.install_sent++;
    attempt(u, tag)->installs_sent++;
    u->ops.install_epoch(u->ops.ctx, node, u->proposal, on_ack, u, r->token);
    break;
  case REQ_COMMIT:
    u->k.commit_sent++;
    u->ops.commit(u->ops.ctx, node, u->committed, on_ack, u, r->token);
    break;
  }
}

/* The request of token, taken out of the table (NULL: unknown token). A
 * reply to a request that timed out is counted late; its outcome stays
 * timed_out, but what it says still counts (a node that installed an epoch
 * late has installed it). */
static struct req *take(updater *u, uint64_t token) {
  struct req *r = g_hash_table_lookup(u->reqs, &token);
  if (!r) {
    u->k.unknown++;
    return NULL;
  }
  g_hash_table_steal(u->reqs, &token);
  if (r->timed_out) {
    u->k.late++;
  } else {
    env_cancel(u->e, r->timer);
    u->k.pending--;
  }
  return r;
}

static void scale_out(updater *u);

static void finish_round(updater *u) {
  if (!u->round_open) return;
  u->round_open = false;
  if (u->round_rates == 0) {
    u->k.decisions_skipped++;
    return;
  }
  /* nodes without a reply are assumed as loaded as those with a rate; a
   * node on its first reply (just added: no rate yet) is not: the load
   * the others measured is the whole load, so it counts as carrying none */
  uint32_t n = u->committed->n;
  double agg = u->round_sum * (n - u->round_first) / u->round_rates;
  u->k.last_throughput = agg;
  if (env_now(u->e) < u->settle_until) { /* the load right after a commit is a transient */
    u->k.settling++;
    return;
  }
  if (u->st == ST_IDLE && n - 1 < u->p.nthresholds && agg > u->thresholds[n - 1] && n < u->p.max_nodes)
    scale_out(u);
}

static void round_tick(env *e, void *arg) {
  (void)e;
  updater *u = arg;
  u->round_timer = 0;
  finish_round(u); /* a round still open when the next starts ends with what it has */
  u->k.rounds++;
  u->round++;
  u->round_open = true;
  u->round_outstanding = u->committed->n;
  u->round_rates = 0;
  u->round_first = 0;
  u->round_sum = 0;
  cm_time next = env_now(u->e) + u->p.sample_interval;
  if (!u->p.stop || next < u->p.stop) u->round_timer = env_after(u->e, u->p.sample_interval, round_tick, u);
  for (uint32_t i = 0; i < u->committed->n; i++) send(u, REQ_METRICS, u->committed->nodes[i].addr, u->round);
}

static void round_answered(updater *u, uint32_t round) {
  if (round == u->round && u->round_open && --u->round_outstanding == 0) finish_round(u);
}

static void on_metrics(void *arg, uint64_t token, const struct updater_metrics *m) {
  updater *u = arg;
  struct req *r = take(u, token);
  if (!r) return;
  if (!r->timed_out) u->k.metrics_acked++;
  struct sample *s = g_hash_table_lookup(u->samples, GUINT_TO_POINTER(r->node));
  if (!s) {
    s = g_new0(struct sample, 1);
    g_hash_table_insert(u->samples, GUINT_TO_POINTER(r->node), s);
  }
  if (m && !r->timed_out && s->have && m->at > s->at && m->processed >= s->processed && r->tag == u->round &&
      u->round_open) {
    u->round_sum += (double)(m->processed - s->processed) / cm_time_to_s(m->at - s->at);
    u->round_rates++;
  }
  if (m && !s->have && !r->timed_out && r->tag == u->round && u->round_open) u->round_first++;
  if (m && (!s->have || m->at > s->at)) *s = (struct sample){.have = true, .processed = m->processed, .at = m->at};
  if (!r->timed_out) round_answered(u, r->tag);
  g_free(r);
}

static void sign(updater *u, struct epoch_digest *d) {
  if (u->p.operator_sk) epoch_digest_sign(d, u->operator_sk);
}

static void converged(updater *u, struct updater_attempt *a) {
  env_cancel(u->e, u->converge_timer);
  u->converge_timer = 0;
  a->outcome = UPDATER_COMMITTED;
  a->ended = env_now(u->e);
  u->k.running--;
  u->k.committed++;
  *u->committed = *u->proposal;
  u->committed->committed = true;
  sign(u, u->committed);
  u->st = ST_IDLE;
  u->k.epoch = u->committed->version;
  u->k.nodes = u->committed->n;
  u->commit_until = env_now(u->e) + u->p.converge_timeout;
  u->settle_until = env_now(u->e) + u->p.settle;
  memset(u->commit_acked, 0, sizeof u->commit_acked);
  for (uint32_t i = 0; i < u->committed->n; i++)
    send(u, REQ_COMMIT, u->committed->nodes[i].addr, u->committed->version);
  if (u->ops.committed) u->ops.committed(u->ops.ctx, u->committed);
}

static void on_ack(void *arg, uint64_t token) {
  updater *u = arg;
  struct req *r = take(u, token);
  if (!r) return;
  if (r->kind == REQ_INSTALL) {
    if (!r->timed_out) u->k.install_acked++;
    struct updater_attempt *a = current(u);
    int i = epoch_digest_find(u->proposal, r->node);
    if (a && a->id == r->tag && i >= 0 && !u->acked[i]) {
      u->acked[i] = true;
      if (++a->acked == a->nodes) converged(u, a);
    }
  } else if (r->kind == REQ_COMMIT) {
    if (!r->timed_out) u->k.commit_acked++;
    int i = epoch_digest_find(u->committed, r->node);
    if (r->tag == u->committed->version && i >= 0) u->commit_acked[i] = true;
  } else if (!r->timed_out) {
    u->k.metrics_acked++; /* a metrics request answered through on_ack: a transport error */
    round_answered(u, r->tag);
  }
  g_free(r);
}

static void on_timeout(env *e, void *arg) {
  (void)e;
  struct req *r = arg;
  updater *u = r->u;
  r->timed_out = true; /* stays in the table for a late reply; freed then or by updater_free */
  r->timer = 0;
  u->k.pending--;
  if (r->kind == REQ_METRICS) {
    u->k.metrics_timed_out++;
    round_answered(u, r->tag);
  } else if (r->kind == REQ_INSTALL) {
    u->k.install_timed_out++;
    attempt(u, r->tag)->installs_timed_out++;
    struct updater_attempt *a = current(u);
    int i = epoch_digest_find(u->proposal, r->node);
    /* the seed's updater "resends the update message to all nodes until it
     * receives an acknowledgment" (5.5) */
    if (a && a->id == r->tag && i >= 0 && !u->acked[i]) send(u, REQ_INSTALL, r->node, r->tag);
  } else {
    u->k.commit_timed_out++;
    int i = epoch_digest_find(u->committed, r->node);
    if (r->tag == u->committed->version && i >= 0 && !u->commit_acked[i] && env_now(u->e) < u->commit_until)
      send(u, REQ_COMMIT, r->node, r->tag);
  }
}

static void on_converge_timeout(env *e, void *arg) {
  (void)e;
  updater *u = arg;
  u->converge_timer = 0;
  struct updater_attempt *a = current(u);
  if (!a) return;
  a->ended = env_now(u->e);
  u->k.running--;
  if (u->tries < u->p.max_attempts) {
    a->outcome = UPDATER_RETRIED;
    u->k.retried++;
    start_attempt(u);
  } else {
    a->outcome = UPDATER_ABANDONED;
    u->k.abandoned++;
    u->st = ST_IDLE;
  }
}

static void start_attempt(updater *u) {
  uint32_t v = (u->last_version > u->committed->version ? u->last_version : u->committed->version) + 1;
  u->last_version = v;
  *u->proposal = *u->committed;
  u->proposal->version = v;
  u->proposal->committed = false;
  u->proposal->timestamp = env_now(u->e);
  epoch_digest_put(u->proposal, &u->new_node); /* room checked by max_nodes */
  sign(u, u->proposal);
  struct updater_attempt a = {.id = u->attempts->len, .scale_out = (uint32_t)u->k.scale_outs - 1, .version = v,
                              .nodes = u->proposal->n, .started = env_now(u->e), .ended = -1,
                              .outcome = UPDATER_RUNNING};
  g_array_append_val(u->attempts, a);
  u->k.attempts++;
  u->k.running++;
  u->tries++;
  u->st = ST_INSTALLING;
  memset(u->acked, 0, sizeof u->acked);
  u->converge_timer = env_after(u->e, u->p.converge_timeout, on_converge_timeout, u);
  for (uint32_t i = 0; i < u->proposal->n; i++) send(u, REQ_INSTALL, u->proposal->nodes[i].addr, a.id);
}

static void on_provisioned(void *arg, const struct epoch_node *node) {
  updater *u = arg;
  if (u->st != ST_PROVISIONING) return;
  if (!node || node->addr == 0 || epoch_digest_find(u->committed, node->addr) >= 0) {
    u->k.provision_failed++;
    u->st = ST_IDLE;
    return;
  }
  u->k.provisioned++;
  u->new_node = *node;
  u->tries = 0;
  start_attempt(u);
}

static void scale_out(updater *u) {
  u->k.scale_outs++;
  u->st = ST_PROVISIONING;
  u->ops.provision(u->ops.ctx, on_provisioned, u);
}

updater *updater_new(env *e, const struct updater_params *p, const struct updater_ops *ops,
                     const struct epoch_digest *initial) {
  if (!e || !p || !ops || !initial || !initial->committed || initial->n == 0 || !p->thresholds ||
      p->nthresholds == 0 || p->nthresholds > UPDATER_MAX_THRESHOLDS || !ops->read_metrics || !ops->install_epoch ||
      !ops->commit || !ops->provision || p->sample_interval < 0 || p->reply_timeout < 0 || p->converge_timeout < 0)
    return NULL;
  for (uint32_t i = 0; i < p->nthresholds; i++)
    if (!(p->thresholds[i] > 0)) return NULL;
  updater *u = g_new0(updater, 1);
  u->e = e;
  u->p = *p;
  memcpy(u->thresholds, p->thresholds, p->nthresholds * sizeof(double));
  u->p.thresholds = u->thresholds;
  if (p->operator_sk) {
    memcpy(u->operator_sk, p->operator_sk, EPOCH_SK_BYTES);
    u->p.operator_sk = u->operator_sk;
  }
  if (!u->p.sample_interval) u->p.sample_interval = CM_S(1);
  if (!u->p.reply_timeout) u->p.reply_timeout = CM_MS(500);
  if (!u->p.converge_timeout) u->p.converge_timeout = CM_S(5);
  if (!u->p.max_attempts) u->p.max_attempts = 10;
  if (!u->p.max_nodes || u->p.max_nodes > EPOCH_MAX_NODES) u->p.max_nodes = EPOCH_MAX_NODES;
  u->ops = *ops;
  u->committed = g_new(struct epoch_digest, 1);
  u->proposal = g_new(struct epoch_digest, 1);
  *u->committed = *initial;
  u->reqs = g_hash_table_new(g_int64_hash, g_int64_equal);
  u->samples = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  u->attempts = g_array_new(FALSE, TRUE, sizeof(struct updater_attempt));
  u->k.epoch = initial->version;
  u->k.nodes = initial->n;
  u->last_version = initial->version;
  if (!u->p.stop || env_now(e) + u->p.sample_interval < u->p.stop)
    u->round_timer = env_after(e, u->p.sample_interval, round_tick, u);
  return u;
}

void updater_free(updater *u) {
  if (!u) return;
  GHashTableIter it;
  gpointer key, val;
  g_hash_table_iter_init(&it, u->reqs);
  while (g_hash_table_iter_next(&it, &key, &val)) {
    if (!((struct req *)val)->timed_out) env_cancel(u->e, ((struct req *)val)->timer);
    g_free(val);
  }
  g_hash_table_destroy(u->reqs);
  g_hash_table_destroy(u->samples);
  if (u->round_timer) env_cancel(u->e, u->round_timer);
  if (u->converge_timer) env_cancel(u->e, u->converge_timer);
  g_array_free(u->attempts, TRUE);
  g_free(u->committed);
  g_free(u->proposal);
  sodium_memzero(u->operator_sk, sizeof u->operator_sk);
  g_free(u);
}

int updater_scale_in(updater *u, cm_addr node, const char **why) {
  (void)node;
  if (u) u->k.scale_in_refused++;
  if (why) *why = UPDATER_SCALE_IN_REFUSED;
  return CM_ENOSYS;
}

void updater_counters(const updater *u, struct updater_counters *out) { *out = u->k; }

const struct updater_attempt *updater_attempts(const updater *u, size_t *n) {
  *n = u->attempts->len;
  return (const struct updater_attempt *)(void *)u->attempts->data;
}

const struct epoch_digest *updater_committed(const updater *u) { return u->committed; }

bool updater_counters_balanced(const struct updater_counters *k) {
  return k->attempts == k->committed + k->retried + k->abandoned + k->running && k->running <= 1 &&
         k->metrics_sent + k->install_sent + k->commit_sent ==
             k->metrics_acked + k->install_acked + k->commit_acked + k->metrics_timed_out + k->install_timed_out +
                 k->commit_timed_out + k->pending;
}
