/* The real backend's storage dispatcher: env_put / env_get / env_delete on
 * a store index go to that store's client (real/store.h). This file owns
 * what every client shares: the request ids (reqtab), the deadline (an env
 * timer that aborts the client's transfer and completes the request with
 * CM_EIO "timeout"), cancellation, the rule that done never runs inside the
 * call that started the request (a client that refuses at once is answered
 * from a zero-delay timer), and the outcome counters.
 *
 * With a link model (env_real_set_store_links), every outcome is held back
 * by the modelled time of the link from the request's location to its
 * store, as sim/storage.h computes it: the round trip, plus the bytes moved
 * over the link's bandwidth (a put's len up, a get's found length down),
 * plus |N(0, jitter_sd)| from the stream "storage-link:<store>:<location>".
 * So a request takes its real time at the store and then the modelled
 * network time, and the process stands in for every location. A full get
 * (not length_only) keeps a copy of its bytes while it is held. */
#include "env_real_store.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reqtab.h"
#include "rng.h"
#include "storage.h"
#include "store.h"

#define DEFAULT_TIMEOUT CM_S(30)
enum { R_STORE = 1 };

struct sreq {
  struct real_store *rs;
  request_id id;
  enum store_op op;
  struct store_client *c;
  void *handle;      /* the client's, while its transfer runs; NULL when refused at start */
  timer_id timer;    /* the deadline, or the deferred refusal */
  const char *why;   /* refused at start: the client's reason */
  uint32_t store, location;
  size_t put_len;
  /* held by the link model: the outcome to deliver when timer fires */
  int status;
  const char *reason;
  uint8_t *value;
  size_t len;
  env_store_fn done;
  void *arg;
};

struct real_store {
  env *e;
  struct store_client **c;
  uint32_t n;
  reqtab *reqs;
  GHashTable *live; /* struct sreq*, in flight */
  struct env_real_store_stats st;
  struct storage_link *links; /* nloc x n, or NULL: no link model */
  uint32_t nloc, nlink_stores;
};

struct real_store *real_store__new(env *e) {
  struct real_store *rs = g_new0(struct real_store, 1);
  rs->e = e;
  rs->reqs = reqtab_new();
  rs->live = g_hash_table_new(g_direct_hash, g_direct_equal);
  return rs;
}

/* Count x's outcome, free it and call the caller's done (last: it may start
 * more requests). */
static void finish(struct sreq *x, int status, const char *reason, const uint8_t *value, size_t len) {
  struct real_store *rs = x->rs;
  void (*fn)(void);
  void *a;
  if (!reqtab_take(rs->reqs, x->id, &fn, &a)) cm_fatal(CM_LOC, "env_real_store: a finished request was not live");
  rs->st.in_flight--;
  if (status == 0) {
    rs->st.ok++;
    if (x->op == STORE_PUT) rs->st.bytes_put += len;
    if (x->op == STORE_GET) rs->st.bytes_got += len;
  } else if (status == CM_ENOENT) {
    rs->st.miss++;
  } else {
    rs->st.failed++;
    env_real__count_reason(rs->st.by_reason, &rs->st.nreasons, reason);
  }
  if (status != 0 || x->op != STORE_GET) value = NULL; /* a put passes the bytes stored */
  if (status != 0 || x->op == STORE_DELETE) len = 0;
  g_hash_table_remove(rs->live, x);
  env_store_fn done = x->done;
  void *darg = x->arg;
  env *e = rs->e;
  g_free(x);
  done(e, darg, status, value, len);
}

static void on_held(env *e CM_UNUSED, void *arg) {
  struct sreq *x = arg;
  x->timer = 0;
  uint8_t *v = x->value;
  x->value = NULL;
  finish(x, x->status, x->reason, v, x->len);
  g_free(v);
}

/* The link model's time for x's outcome, or 0 without one. */
static cm_time link_time(struct sreq *x, int status, size_t len) {
  struct real_store *rs = x->rs;
  if (!rs->links || x->location >= rs->nloc || x->store >= rs->nlink_stores) return 0;
  const struct storage_link *l = &rs->links[(size_t)x->location * rs->nlink_stores + x->store];
  double secs = 0;
  if (status == 0 && x->op == STORE_PUT) secs = (double)x->put_len * 8.0 / l->up_bps;
  if (status == 0 && x->op == STORE_GET) secs = (double)len * 8.0 / l->down_bps;
  cm_time t = cm_time_add_sat(l->latency, cm_time_from_s(secs));
  if (l->jitter_sd > 0) {
    char name[64];
    snprintf(name, sizeof name, "storage-link:%u:%u", x->store, x->location);
    t = cm_time_add_sat(t, (cm_time)fabs(rng_normal(env_rng(rs->e, name), 0, (double)l->jitter_sd)));
  }
  return t;
}

/* The client's answer. */
static void on_client(void *arg, int status, const char *reason, const uint8_t *value, size_t len) {
  struct sreq *x = arg;
  if (!x->handle) cm_fatal(CM_LOC, "env_real_store: a client answered inside start() or after abort()");
  if (x->timer && !env_cancel(x->rs->e, x->timer)) cm_fatal(CM_LOC, "env_real_store: deadline timer missing");
  x->timer = 0;
  x->handle = NULL;
  reason = status ? (reason ? reason : "unknown") : NULL;
  cm_time hold = link_time(x, status, len);
  if (hold > 0) { /* deliver after the modelled network time */
    x->status = status;
    x->reason = reason;
    x->len = len;
    x->value = value && status == 0 && x->op == STORE_GET ? g_memdup2(value, len) : NULL;
    x->timer = env_after(x->rs->e, hold, on_held, x);
    return;
  }
  finish(x, status, reason, value, len);
}

static void on_deadline(env *e CM_UNUSED, void *arg) {
  struct sreq *x = arg;
  x->timer = 0;
  void *h = x->handle;
  x->handle = NULL;
  x->c->ops->abort(x->c, h);
  finish(x, CM_EIO, "timeout", NULL, 0);
}

static void on_refused(env *e CM_UNUSED, void *arg) {
  struct sreq *x = arg;
  x->timer = 0;
  finish(x, CM_EIO, x->why ? x->why : "unknown", NULL, 0);
}

request_id real_store__start(struct real_store *rs, enum store_op op, const struct store_req *req, env_store_fn done,
                             void *arg) {
  if (req->store >= rs->n) return CM_EINVAL;
  struct store_client *c = rs->c[req->store];
  struct sreq *x = g_new0(struct sreq, 1);
  *x = (struct sreq){.rs = rs, .op = op, .c = c, .done = done, .arg = arg, .store = req->store,
                     .location = req->location, .put_len = op == STORE_PUT ? req->len : 0};
  cm_time timeout = req->timeout > 0 ? req->timeout : c->timeout > 0 ? c->timeout : DEFAULT_TIMEOUT;
  cm_time now = env_now(rs->e);
  struct store_op_req q = {.op = op,
                           .key = req->key,
                           .value = op == STORE_PUT ? req->value : NULL,
                           .len = op == STORE_PUT ? req->len : 0,
                           .length_only = op == STORE_GET && req->length_only,
                           .deadline = cm_time_add_sat(now, timeout)};
  x->id = reqtab_add(rs->reqs, R_STORE, NULL, x);
  g_hash_table_add(rs->live, x);
  rs->st.requested++;
  rs->st.in_flight++;
  const char *why = NULL;
  x->handle = c->ops->start(c, &q, on_client, x, &why);
  if (x->handle) {
    x->timer = env_after(rs->e, timeout, on_deadline, x);
  } else {
    x->why = why ? why : "unknown";
    x->timer = env_after(rs->e, 0, on_refused, x);
  }
  return x->id;
}

bool real_store__cancel(struct real_store *rs, request_id id) {
  struct sreq *x = reqtab_get(rs->reqs, id, R_STORE);
  if (!x) return false;
  if (x->timer && !env_cancel(rs->e, x->timer)) cm_fatal(CM_LOC, "env_real_store: timer of a live request missing");
  if (x->handle) x->c->ops->abort(x->c, x->handle);
  reqtab_cancel(rs->reqs, id, R_STORE, true);
  rs->st.in_flight--;
  rs->st.cancelled++;
  g_hash_table_remove(rs->live, x);
  g_free(x->value);
  g_free(x);
  return true;
}

static void free_clients(struct real_store *rs) {
  for (uint32_t i = 0; i < rs->n; i++)
    if (rs->c[i]) rs->c[i]->ops->free(rs->c[i]);
  g_free(rs->c);
  rs->c = NULL;
  rs->n = 0;
}

int real_store__set(struct real_store *rs, struct store_client *const *clients, uint32_t n) {
  bool ok = rs->st.in_flight == 0 && (clients || !n);
  for (uint32_t i = 0; ok && i < n; i++)
    ok = clients[i] && clients[i]->ops && clients[i]->ops->start && clients[i]->ops->abort && clients[i]->ops->free;
  if (!ok) { /* owned also on error */
    for (uint32_t i = 0; clients && i < n; i++)
      if (clients[i] && clients[i]->ops && clients[i]->ops->free) clients[i]->ops->free(clients[i]);
    return CM_EINVAL;
  }
  free_clients(rs);
  rs->c = n ? g_memdup2(clients, n * sizeof *clients) : NULL;
  rs->n = n;
  return 0;
}

int real_store__set_links(struct real_store *rs, const struct storage_link *links, uint32_t nlocations,
                          uint32_t nstores) {
  for (size_t i = 0; links && i < (size_t)nlocations * nstores; i++)
    if (links[i].latency < 0 || links[i].jitter_sd < 0 || !(links[i].up_bps > 0) || !(links[i].down_bps > 0))
      return CM_EINVAL;
  g_free(rs->links);
  rs->links = links && nlocations && nstores ? g_memdup2(links, (size_t)nlocations * nstores * sizeof *links) : NULL;
  rs->nloc = rs->links ? nlocations : 0;
  rs->nlink_stores = rs->links ? nstores : 0;
  return 0;
}

struct store_client *real_store__client(struct real_store *rs, uint32_t i) { return i < rs->n ? rs->c[i] : NULL; }

void real_store__stats(const struct real_store *rs, struct env_real_store_stats *out) { *out = rs->st; }

/* The env's timers are dropped at env_free without being called: the
 * requests in flight are aborted here and never call back. */
void real_store__free(struct real_store *rs) {
  if (!rs) return;
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, rs->live);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    struct sreq *x = k;
    if (x->timer) env_cancel(rs->e, x->timer);
    if (x->handle) x->c->ops->abort(x->c, x->handle);
    reqtab_cancel(rs->reqs, x->id, R_STORE, true);
    g_free(x->value);
    g_free(x);
  }
  g_hash_table_destroy(rs->live);
  free_clients(rs);
  reqtab_free(rs->reqs);
  g_free(rs->links);
  g_free(rs);
}
