/* The fault decorator (env_fault.h). Everything asynchronous it starts on
 * the inner env carries a pooled record as its argument: timers, fault
 * outcomes and held datagrams are inner timers, forwarded invocations and
 * storage calls inner requests; freeing the decorator (or cancelling the
 * outer request) cancels them on the inner env, so nothing calls back into
 * a freed record. Outer timer and request ids name the record (gen << 32 |
 * index + 1). Callbacks get the outer env. */
#include "env_fault.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"

#define CHUNK 256

enum kind { K_FREE, K_TIMER, K_INVOKE, K_STORE, K_DGRAM };

/* One pending thing. A K_INVOKE record is forwarded (waiting for the inner
 * result; timer 0) or waits on an inner timer (a FAIL or DROP outcome, or a
 * DELAY after the result), with the outcome in res. */
struct rec {
  struct fault *f;
  uint32_t idx;       /* in the pool: outer ids name it */
  uint32_t gen;       /* bumped on every use: outer timer ids are gen << 32 | idx + 1 */
  enum kind kind;
  timer_id timer;     /* the pending inner timer, 0 if none */
  request_id inner;   /* K_INVOKE, K_STORE: the forwarded inner request, 0 if none */
  union {
    env_fn timer;
    env_invoke_fn invoke;
    env_store_fn store;
  } cb;
  void *arg;
  cm_time delay;      /* K_INVOKE, K_STORE: added to the inner's outcome */
  struct invoke_result res;
  int status;         /* K_STORE: the outcome, with data / len (data NULL: none or virtual) */
  cm_addr from, to;   /* K_DGRAM: a held datagram */
  uint8_t *data;
  size_t len;
  struct rec *next_free;
};

struct binding {
  struct fault *f;
  env_datagram_fn fn;
  void *arg;
};

struct fault {
  env *inner, *outer;
  struct env_fault_rule *rules;
  size_t nrules;
  rng **r;            /* "fault:<i>" */
  GPtrArray *chunks;  /* struct rec[CHUNK] */
  struct rec *free;
  GHashTable *binds;  /* addr -> struct binding*, bound through the decorator */
  struct env_fault_stats st;
  uint64_t held, refused; /* datagrams held now / refused when handed on */
};

static struct fault *F(env *e) { return e->impl; }

static struct rec *rec_at(struct fault *f, uint32_t idx) {
  struct rec *c = g_ptr_array_index(f->chunks, idx / CHUNK);
  return &c[idx % CHUNK];
}

static uint64_t rec_id(const struct rec *x) { return (uint64_t)x->gen << 32 | ((uint64_t)x->idx + 1); }

/* The pending record of kind k an outer id names, or NULL. */
static struct rec *rec_find(struct fault *f, uint64_t id, enum kind k) {
  uint64_t idx = (id & UINT32_MAX) - 1;
  if (idx >= (uint64_t)f->chunks->len * CHUNK) return NULL;
  struct rec *x = rec_at(f, (uint32_t)idx);
  return x->kind == k && x->gen == (uint32_t)(id >> 32) ? x : NULL;
}

/* ---- the record pool ---- */

static struct rec *rec_get(struct fault *f, enum kind k) {
  if (!f->free) {
    if (f->chunks->len >= UINT32_MAX / CHUNK) cm_fatal(CM_LOC, "env_fault: too many pending records");
    struct rec *c = calloc(CHUNK, sizeof(*c));
    if (!c) cm_fatal(CM_LOC, "env_fault: out of memory");
    uint32_t base = f->chunks->len * CHUNK;
    g_ptr_array_add(f->chunks, c);
    for (int i = CHUNK; i-- > 0;) {
      c[i] = (struct rec){.f = f, .idx = base + (uint32_t)i, .next_free = f->free};
      f->free = &c[i];
    }
  }
  struct rec *x = f->free;
  f->free = x->next_free;
  x->kind = k;
  x->gen = (x->gen + 1) & 0x7fffffffu; /* ids stay positive */
  x->timer = 0;
  x->inner = 0;
  x->delay = 0;
  x->data = NULL;
  return x;
}

static void rec_put(struct rec *x) {
  struct fault *f = x->f;
  g_free(x->data);
  x->data = NULL;
  x->kind = K_FREE;
  x->timer = 0;
  x->inner = 0;
  x->next_free = f->free;
  f->free = x;
}

/* ---- rules ---- */

/* The first rule of kind w matching key that fires now, or NULL. */
static const struct env_fault_rule *rule_pick(struct fault *f, enum env_fault_what w, uint32_t key) {
  cm_time now = env_now(f->inner);
  for (size_t i = 0; i < f->nrules; i++) {
    const struct env_fault_rule *r = &f->rules[i];
    if (r->what != w || (r->provider_or_addr != ENV_FAULT_ANY && r->provider_or_addr != key)) continue;
    if (now < r->start || (r->end != 0 && now >= r->end)) continue;
    if (r->probability >= 1 || (r->probability > 0 && rng_uniform(f->r[i]) < r->probability)) return r;
  }
  return NULL;
}

static char *rule_check(const struct env_fault_rule *r, size_t i) {
  if (r->what != FAULT_INVOKE && r->what != FAULT_DATAGRAM && r->what != FAULT_STORE)
    return g_strdup_printf("env_fault: rule %zu: what: unknown kind %d", i, (int)r->what);
  if (r->action != FAULT_FAIL && r->action != FAULT_DELAY && r->action != FAULT_DROP)
    return g_strdup_printf("env_fault: rule %zu: action: unknown action %d", i, (int)r->action);
  if (!(r->probability >= 0 && r->probability <= 1))
    return g_strdup_printf("env_fault: rule %zu: probability: %g not in [0, 1]", i, r->probability);
  if (r->start < 0) return g_strdup_printf("env_fault: rule %zu: start: negative (%lld ns)", i, (long long)r->start);
  if (r->end != 0 && r->end < r->start)
    return g_strdup_printf("env_fault: rule %zu: end: %lld ns before start %lld ns", i, (long long)r->end,
                           (long long)r->start);
  if (r->delay < 0) return g_strdup_printf("env_fault: rule %zu: delay: negative (%lld ns)", i, (long long)r->delay);
  if (r->action == FAULT_FAIL && r->what == FAULT_DATAGRAM)
    return g_strdup_printf("env_fault: rule %zu: action: FAULT_FAIL applies to invocations and storage only", i);
  if (r->action == FAULT_FAIL && r->what == FAULT_INVOKE &&
      ((int)r->status <= (int)INVOKE_OK || (int)r->status >= INVOKE_NSTATUS))
    return g_strdup_printf("env_fault: rule %zu: status: FAULT_FAIL needs a failure status, not %d", i, (int)r->status);
  return NULL;
}

/* ---- time and timers ---- */

static cm_time f_now(env *e) { return env_now(F(e)->inner); }

static void timer_fire(env *inner CM_UNUSED, void *arg) {
  struct rec *x = arg;
  env *outer = x->f->outer;
  env_fn fn = x->cb.timer;
  void *a = x->arg;
  rec_put(x);
  fn(outer, a);
}

static timer_id f_after(env *e, cm_time delay, env_fn fn, void *arg) {
  struct fault *f = F(e);
  struct rec *x = rec_get(f, K_TIMER);
  x->cb.timer = fn;
  x->arg = arg;
  x->timer = env_after(f->inner, delay, timer_fire, x);
  return rec_id(x);
}

static bool f_cancel(env *e, timer_id id) {
  struct fault *f = F(e);
  struct rec *x = rec_find(f, id, K_TIMER);
  if (!x) return false;
  if (!env_cancel(f->inner, x->timer)) cm_fatal(CM_LOC, "env_fault: inner timer of a pending timer missing");
  rec_put(x);
  return true;
}

/* ---- datagrams ---- */

static void dgram_in(env *inner CM_UNUSED, void *arg, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  struct binding *b = arg;
  b->fn(b->f->outer, b->arg, from, to, pkt, len);
}

static int f_bind(env *e, cm_addr self, env_datagram_fn fn, void *arg) {
  struct fault *f = F(e);
  struct binding *b = g_new(struct binding, 1);
  *b = (struct binding){f, fn, arg};
  int rc = env_bind(f->inner, self, dgram_in, b);
  if (rc == 0) g_hash_table_insert(f->binds, GUINT_TO_POINTER(self), b);
  else g_free(b);
  return rc;
}

static int f_unbind(env *e, cm_addr self) {
  struct fault *f = F(e);
  int rc = env_unbind(f->inner, self);
  if (rc == 0) g_hash_table_remove(f->binds, GUINT_TO_POINTER(self));
  return rc;
}

/* A held datagram's delay is over: hand it to the inner env. */
static void dgram_release(env *inner CM_UNUSED, void *arg) {
  struct rec *x = arg;
  struct fault *f = x->f;
  f->held--;
  if (env_send(f->inner, x->from, x->to, x->data, x->len) != 0) f->refused++;
  rec_put(x);
}

static int f_send(env *e, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  struct fault *f = F(e);
  const struct env_fault_rule *r = rule_pick(f, FAULT_DATAGRAM, to);
  if (!r) {
    int rc = env_send(f->inner, from, to, pkt, len);
    if (rc == 0) f->st.datagrams++;
    return rc;
  }
  if (len > CM_DATAGRAM_MAX) return CM_EINVAL;
  if (!g_hash_table_contains(f->binds, GUINT_TO_POINTER(from))) return CM_ENOENT;
  f->st.datagrams++;
  if (r->action == FAULT_DROP) {
    f->st.datagrams_dropped++;
    return CM_OK;
  }
  f->st.datagrams_delayed++;
  f->held++;
  struct rec *x = rec_get(f, K_DGRAM);
  x->from = from;
  x->to = to;
  x->len = len;
  x->data = len ? g_memdup2(pkt, len) : NULL;
  x->timer = env_after(f->inner, r->delay, dgram_release, x);
  return CM_OK;
}

static void f_net_stats(env *e, struct env_net_stats *out) {
  struct fault *f = F(e);
  env_net_stats(f->inner, out);
  out->sent += f->st.datagrams_dropped + f->held + f->refused;
  out->lost += f->st.datagrams_dropped;
  out->in_flight += f->held;
  out->send_errors += f->refused;
}

/* ---- invocations ---- */

/* x's outcome is due: give it to the caller. */
static void invoke_deliver(env *inner CM_UNUSED, void *arg) {
  struct rec *x = arg;
  env *outer = x->f->outer;
  env_invoke_fn done = x->cb.invoke;
  void *a = x->arg;
  struct invoke_result res = x->res;
  rec_put(x);
  done(outer, a, &res);
}

/* The inner env's result of a forwarded invocation. */
static void invoke_result(env *inner, void *arg, const struct invoke_result *res) {
  struct rec *x = arg;
  x->inner = 0;
  x->res = *res;
  if (x->delay == 0) {
    invoke_deliver(inner, x);
    return;
  }
  x->res.latency += x->delay;
  x->timer = env_after(x->f->inner, x->delay, invoke_deliver, x);
}

static request_id f_invoke(env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct fault *f = F(e);
  const struct env_fault_rule *r = rule_pick(f, FAULT_INVOKE, inv->provider);
  struct rec *x = rec_get(f, K_INVOKE);
  x->cb.invoke = done;
  x->arg = arg;
  if (r && r->action != FAULT_DELAY) {
    cm_time at = r->delay;
    if (r->action == FAULT_FAIL) {
      x->res = (struct invoke_result){.status = r->status, .http_status = r->http_status, .latency = at};
      f->st.invocations_failed++;
    } else {
      at = inv->timeout > 0 ? inv->timeout : ENV_FAULT_DROP_TIMEOUT;
      x->res = (struct invoke_result){.status = INVOKE_TIMEOUT, .http_status = 504, .latency = at};
      f->st.invocations_dropped++;
    }
    f->st.invocations++;
    x->timer = env_after(f->inner, at, invoke_deliver, x);
    return (request_id)rec_id(x);
  }
  if (r) x->delay = r->delay;
  request_id rc = env_invoke(f->inner, inv, invoke_result, x);
  if (rc < 0) {
    rec_put(x);
    return rc;
  }
  x->inner = rc;
  f->st.invocations++;
  if (r) f->st.invocations_delayed++;
  return (request_id)rec_id(x);
}

/* Stop x (an invocation or storage record) on the inner env and free it. */
static void rec_stop(struct rec *x) {
  struct fault *f = x->f;
  if (x->timer && !env_cancel(f->inner, x->timer)) cm_fatal(CM_LOC, "env_fault: inner timer of a pending request missing");
  if (x->inner && !(x->kind == K_INVOKE ? env_invoke_cancel(f->inner, x->inner) : env_store_cancel(f->inner, x->inner)))
    cm_fatal(CM_LOC, "env_fault: inner request of a pending request missing");
  rec_put(x);
}

static bool f_invoke_cancel(env *e, request_id id) {
  struct rec *x = rec_find(F(e), (uint64_t)id, K_INVOKE);
  if (!x) return false;
  rec_stop(x);
  return true;
}

static bool f_store_cancel(env *e, request_id id) {
  struct rec *x = rec_find(F(e), (uint64_t)id, K_STORE);
  if (!x) return false;
  rec_stop(x);
  return true;
}

/* ---- storage: failed or dropped here, or forwarded (and held when a rule
 * delays the completion) ---- */

/* x's storage outcome is due: give it to the caller. */
static void store_deliver(env *inner CM_UNUSED, void *arg) {
  struct rec *x = arg;
  env *outer = x->f->outer;
  env_store_fn done = x->cb.store;
  void *a = x->arg;
  int status = x->status;
  size_t len = x->len;
  uint8_t *data = x->data;
  x->data = NULL; /* kept until the callback returns */
  rec_put(x);
  done(outer, a, status, data, len);
  g_free(data);
}

static void store_result(env *inner CM_UNUSED, void *arg, int status, const uint8_t *data, size_t len) {
  struct rec *x = arg;
  x->inner = 0;
  if (x->delay == 0) {
    env *outer = x->f->outer;
    env_store_fn done = x->cb.store;
    void *a = x->arg;
    rec_put(x);
    done(outer, a, status, data, len);
    return;
  }
  x->status = status;
  x->len = len;
  x->data = data ? g_memdup2(data, len) : NULL; /* the inner's copy dies when we return */
  x->timer = env_after(x->f->inner, x->delay, store_deliver, x);
}

static request_id f_store(env *e, enum store_op op, const struct store_req *req, env_store_fn done, void *arg) {
  struct fault *f = F(e);
  const struct env_fault_rule *r = rule_pick(f, FAULT_STORE, req->store);
  struct rec *x = rec_get(f, K_STORE);
  x->cb.store = done;
  x->arg = arg;
  if (r && r->action != FAULT_DELAY) {
    cm_time at = r->action == FAULT_FAIL ? r->delay : ENV_FAULT_DROP_TIMEOUT;
    x->status = CM_EIO;
    x->len = 0;
    if (r->action == FAULT_FAIL) f->st.stores_failed++;
    else f->st.stores_dropped++;
    f->st.stores++;
    x->timer = env_after(f->inner, at, store_deliver, x);
    return (request_id)rec_id(x);
  }
  if (r) x->delay = r->delay;
  request_id rc = CM_EINVAL;
  switch (op) {
  case STORE_PUT: rc = env_put(f->inner, req, store_result, x); break;
  case STORE_GET: rc = env_get(f->inner, req, store_result, x); break;
  case STORE_DELETE: rc = env_delete(f->inner, req, store_result, x); break;
  }
  if (rc < 0) {
    rec_put(x);
    return rc;
  }
  x->inner = rc;
  f->st.stores++;
  if (r) f->st.stores_delayed++;
  return (request_id)rec_id(x);
}

/* ---- the loop and the lifecycle ---- */

static int f_run(env *e, cm_time until) { return env_run(F(e)->inner, until); }

static void f_stop(env *e) { env_stop(F(e)->inner); }

static void fault_free(struct fault *f) {
  if (f->binds) {
    GHashTableIter it;
    gpointer addr;
    g_hash_table_iter_init(&it, f->binds);
    while (g_hash_table_iter_next(&it, &addr, NULL)) env_unbind(f->inner, GPOINTER_TO_UINT(addr));
    g_hash_table_destroy(f->binds);
  }
  for (guint c = 0; f->chunks && c < f->chunks->len; c++) {
    struct rec *ch = g_ptr_array_index(f->chunks, c);
    for (int i = 0; i < CHUNK; i++) {
      if (ch[i].kind != K_FREE && ch[i].timer) env_cancel(f->inner, ch[i].timer);
      if (ch[i].kind == K_INVOKE && ch[i].inner) env_invoke_cancel(f->inner, ch[i].inner);
      if (ch[i].kind == K_STORE && ch[i].inner) env_store_cancel(f->inner, ch[i].inner);
      g_free(ch[i].data);
    }
  }
  if (f->chunks) g_ptr_array_free(f->chunks, TRUE);
  g_free(f->rules);
  g_free(f->r);
  g_free(f);
}

static void f_free(env *e) {
  fault_free(F(e));
  e->impl = NULL;
}

/* Secret draws are the inner backend's: secret over a real env. */
static rng *f_secret_rng(env *e, const char *name) { return env_secret_rng(F(e)->inner, name); }

static const struct env_ops fault_ops = {
    .name = "fault",
    .now = f_now,
    .after = f_after,
    .cancel = f_cancel,
    .bind = f_bind,
    .unbind = f_unbind,
    .send = f_send,
    .net_stats = f_net_stats,
    .invoke = f_invoke,
    .invoke_cancel = f_invoke_cancel,
    .store = f_store,
    .store_cancel = f_store_cancel,
    .secret_rng = f_secret_rng,
    .run = f_run,
    .stop = f_stop,
    .free_impl = f_free,
};

env *env_fault_new(env *inner, const struct env_fault_rule *rules, size_t nrules, char **err) {
  char *msg = NULL;
  if (!inner) msg = g_strdup("env_fault: inner env is NULL");
  else if (!rules && nrules) msg = g_strdup_printf("env_fault: rules NULL with nrules %zu", nrules);
  for (size_t i = 0; !msg && i < nrules; i++) msg = rule_check(&rules[i], i);
  if (msg) {
    if (err) *err = msg;
    else g_free(msg);
    return NULL;
  }
  struct fault *f = g_new0(struct fault, 1);
  f->inner = inner;
  f->rules = nrules ? g_memdup2(rules, nrules * sizeof(*rules)) : NULL;
  f->nrules = nrules;
  f->r = g_new0(rng *, nrules ? nrules : 1);
  f->chunks = g_ptr_array_new_with_free_func(free);
  f->binds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  f->outer = env__new(&fault_ops, f, env_seed(inner));
  if (!f->outer) cm_fatal(CM_LOC, "env_fault_new: out of memory");
  for (size_t i = 0; i < nrules; i++) {
    char name[32];
    g_snprintf(name, sizeof name, "fault:%zu", i);
    f->r[i] = env_rng(f->outer, name);
  }
  return f->outer;
}

env *env_fault_inner(env *e) {
  if (!e || e->ops != &fault_ops) cm_fatal(CM_LOC, "env_fault_inner: not a fault decorator");
  return F(e)->inner;
}

void env_fault_stats(env *e, struct env_fault_stats *out) {
  if (!e || e->ops != &fault_ops) cm_fatal(CM_LOC, "env_fault_stats: not a fault decorator");
  *out = F(e)->st;
}
