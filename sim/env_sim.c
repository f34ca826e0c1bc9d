/* The sim backend: timers are engine events, datagrams are copied into
 * pooled buffers and delivered by an engine event after the link's delay. */
#include "env_sim.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "env_impl.h"
#include "reqtab.h"

#define CHUNK 256
#define SMALL_PKT 4096

struct timer_rec {
  env *e;
  env_fn fn;
  void *arg;
  struct timer_rec *next_free;
};

struct pkt {
  env *e;
  struct pkt *prev, *next; /* in-flight list, or next = free list */
  cm_addr from, to;
  size_t len, cap;
  uint8_t data[];
};

struct binding {
  env_datagram_fn fn; /* NULL: not bound */
  void *arg;
};

/* Bindings of addresses below 2^24 are kept in pages of 4,096, indexed
 * directly: a delivery and a send each look their address up, and with
 * 100,000 clients bound a hash table costs several cache misses a lookup.
 * Other addresses go to the hash table. */
#define BIND_PAGE_BITS 12
#define BIND_DIRECT_MAX ((cm_addr)1 << 24)

struct pair {
  struct link_model m;
  rng *r;
};

struct sim {
  engine *en;
  GHashTable *binds;  /* addr -> struct binding*, for addresses from BIND_DIRECT_MAX on */
  struct binding **pages; /* below BIND_DIRECT_MAX: pages[addr >> BIND_PAGE_BITS][addr & mask] */
  size_t npages;
  GHashTable *links;  /* (from << 32 | to) -> struct link_model*, wildcards 0 */
  GHashTable *pairs;  /* (from << 32 | to) -> struct pair*, resolved cache of the random links */
  const struct link_model *only; /* the one model when links holds just (0, 0); else NULL */
  GPtrArray *chunks;  /* timer_rec chunks, freed at the end */
  struct timer_rec *free_timers;
  struct pkt *free_pkts;     /* SMALL_PKT-capacity buffers */
  struct pkt *in_flight;     /* doubly linked */
  struct env_net_stats st;
  env_sim_invoke_fn invoke;
  void *world;
  env_sim_store_fn store;
  void *store_world;
  reqtab *reqs; /* invocations and storage requests handed to the worlds */
  env_sim_tap_fn tap; /* env_sim_set_tap; NULL: none */
  void *tap_arg;
};

static struct sim *S(env *e) { return e->impl; }
static gpointer key(cm_addr from, cm_addr to) { return GSIZE_TO_POINTER(((guint64)from << 32) | to); }

/* Hash of a packed (from, to) key: g_direct_hash would keep only `to`. */
static guint pair_hash(gconstpointer k) {
  guint64 x = (guint64)GPOINTER_TO_SIZE(k);
  x ^= x >> 33;
  x *= 0xff51afd7ed558ccdull;
  x ^= x >> 33;
  return (guint)x;
}

static cm_time sim_now(env *e) { return engine_now(S(e)->en); }

static void timer_fire(engine *en CM_UNUSED, void *arg) {
  struct timer_rec *t = arg;
  struct sim *s = S(t->e);
  env_fn fn = t->fn;
  void *a = t->arg;
  env *e = t->e;
  t->next_free = s->free_timers;
  s->free_timers = t;
  fn(e, a);
}

static timer_id sim_after(env *e, cm_time delay, env_fn fn, void *arg) {
  struct sim *s = S(e);
  if (!s->free_timers) {
    struct timer_rec *c = calloc(CHUNK, sizeof(*c));
    if (!c) cm_fatal(CM_LOC, "env_after: out of memory");
    g_ptr_array_add(s->chunks, c);
    for (int i = CHUNK; i-- > 0;) {
      c[i].next_free = s->free_timers;
      s->free_timers = &c[i];
    }
  }
  struct timer_rec *t = s->free_timers;
  s->free_timers = t->next_free;
  *t = (struct timer_rec){.e = e, .fn = fn, .arg = arg};
  return engine_after(s->en, delay, timer_fire, t);
}

static bool sim_cancel(env *e, timer_id id) {
  struct sim *s = S(e);
  void *arg = NULL;
  if (!engine_cancel(s->en, id, &arg)) return false;
  struct timer_rec *t = arg;
  t->next_free = s->free_timers;
  s->free_timers = t;
  return true;
}

/* The binding of a, or NULL. */
static inline struct binding *bind_find(struct sim *s, cm_addr a) {
  if (a >= BIND_DIRECT_MAX) return g_hash_table_lookup(s->binds, GUINT_TO_POINTER(a));
  size_t pg = a >> BIND_PAGE_BITS;
  if (pg >= s->npages || !s->pages[pg]) return NULL;
  struct binding *b = &s->pages[pg][a & ((1u << BIND_PAGE_BITS) - 1)];
  return b->fn ? b : NULL;
}

static int sim_bind(env *e, cm_addr self, env_datagram_fn fn, void *arg) {
  struct sim *s = S(e);
  if (!fn) return CM_EINVAL;
  if (bind_find(s, self)) return CM_EEXIST;
  if (self >= BIND_DIRECT_MAX) {
    struct binding *b = g_new(struct binding, 1);
    *b = (struct binding){fn, arg};
    g_hash_table_insert(s->binds, GUINT_TO_POINTER(self), b);
    return CM_OK;
  }
  size_t pg = self >> BIND_PAGE_BITS;
  if (pg >= s->npages) {
    s->pages = g_renew(struct binding *, s->pages, pg + 1);
    memset(s->pages + s->npages, 0, (pg + 1 - s->npages) * sizeof *s->pages);
    s->npages = pg + 1;
  }
  if (!s->pages[pg]) s->pages[pg] = g_new0(struct binding, (size_t)1 << BIND_PAGE_BITS);
  s->pages[pg][self & ((1u << BIND_PAGE_BITS) - 1)] = (struct binding){fn, arg};
  return CM_OK;
}

static int sim_unbind(env *e, cm_addr self) {
  struct sim *s = S(e);
  if (self >= BIND_DIRECT_MAX) return g_hash_table_remove(s->binds, GUINT_TO_POINTER(self)) ? CM_OK : CM_ENOENT;
  struct binding *b = bind_find(s, self);
  if (!b) return CM_ENOENT;
  *b = (struct binding){0};
  return CM_OK;
}

static bool model_random(const struct link_model *m) { return m->loss > 0 || m->jitter_sd > 0; }

/* The link from -> to: its model and, when the model draws (loss or
 * jitter), its own stream "link:from->to", cached per pair. A link that
 * draws nothing needs neither: no entry is made for it, so a world of
 * 100,000 clients and 1,000 nodes keeps no table of every pair that ever
 * talked (*r NULL then). */
static const struct link_model *link_get(env *e, cm_addr from, cm_addr to, rng **r) {
  struct sim *s = S(e);
  *r = NULL;
  static const struct link_model ideal = {0};
  if (s->only && !model_random(s->only)) return s->only;
  if (!g_hash_table_size(s->links)) return &ideal;
  struct pair *p = g_hash_table_lookup(s->pairs, key(from, to));
  if (p) {
    *r = p->r;
    return &p->m;
  }
  const struct link_model *m = g_hash_table_lookup(s->links, key(from, to));
  if (!m) m = g_hash_table_lookup(s->links, key(from, 0));
  if (!m) m = g_hash_table_lookup(s->links, key(0, to));
  if (!m) m = g_hash_table_lookup(s->links, key(0, 0));
  if (!m) m = &ideal;
  if (!model_random(m)) return m; /* the model lives in links until it changes */
  p = g_new(struct pair, 1);
  p->m = *m;
  char name[48];
  snprintf(name, sizeof name, "link:%u->%u", from, to);
  p->r = env_rng(e, name);
  g_hash_table_insert(s->pairs, key(from, to), p);
  *r = p->r;
  return &p->m;
}

static void pkt_release(struct sim *s, struct pkt *p) {
  if (p->prev) p->prev->next = p->next;
  else s->in_flight = p->next;
  if (p->next) p->next->prev = p->prev;
  if (p->cap == SMALL_PKT) {
    p->next = s->free_pkts;
    s->free_pkts = p;
  } else {
    free(p);
  }
}

static void pkt_deliver(engine *en CM_UNUSED, void *arg) {
  struct pkt *p = arg;
  env *e = p->e;
  struct sim *s = S(e);
  s->st.in_flight--;
  struct binding *b = bind_find(s, p->to);
  if (!b) {
    s->st.dropped_unbound++;
  } else {
    s->st.delivered++;
    if (s->tap) s->tap(s->tap_arg, ENV_SIM_TAP_DELIVER, engine_now(s->en), p->from, p->to, p->data, p->len);
    b->fn(e, b->arg, p->from, p->to, p->data, p->len);
  }
  pkt_release(s, p);
}

static int sim_send(env *e, cm_addr from, cm_addr to, const uint8_t *data, size_t len) {
  struct sim *s = S(e);
  if (!bind_find(s, from)) return CM_ENOENT;
  if (len > CM_DATAGRAM_MAX) return CM_EINVAL;
  s->st.sent++;
  rng *r;
  const struct link_model *lm = link_get(e, from, to, &r);
  if (lm->loss > 0 && rng_uniform(r) < lm->loss) {
    s->st.lost++;
    return CM_OK;
  }
  cm_time d = lm->latency;
  if (lm->jitter_sd > 0) d += (cm_time)fabs(rng_normal(r, 0, (double)lm->jitter_sd));
  if (lm->bandwidth_bps > 0) d += cm_time_from_s((double)len * 8.0 / lm->bandwidth_bps);
  struct pkt *p;
  if (len <= SMALL_PKT && s->free_pkts) {
    p = s->free_pkts;
    s->free_pkts = p->next;
  } else {
    size_t cap = len <= SMALL_PKT ? SMALL_PKT : len;
    p = malloc(sizeof(*p) + cap);
    if (!p) cm_fatal(CM_LOC, "env_send: out of memory");
    p->cap = cap;
  }
  p->e = e;
  p->from = from;
  p->to = to;
  p->len = len;
  if (len) memcpy(p->data, data, len);
  p->prev = NULL;
  p->next = s->in_flight;
  if (s->in_flight) s->in_flight->prev = p;
  s->in_flight = p;
  s->st.in_flight++;
  engine_after(s->en, d, pkt_deliver, p);
  if (s->tap) s->tap(s->tap_arg, ENV_SIM_TAP_SEND, engine_now(s->en), from, to, data, len);
  return CM_OK;
}

/* The worlds answer through these trampolines: the world's argument is the
 * request's id, so a cancelled request's answer is swallowed here. */
enum { R_INVOKE, R_STORE };

static void invoke_answer(env *e, void *arg, const struct invoke_result *res) {
  void (*fn)(void), *a;
  if (reqtab_take(S(e)->reqs, reqtab_id(arg), &fn, &a)) ((env_invoke_fn)fn)(e, a, res);
}

static void store_answer(env *e, void *arg, int status, const uint8_t *value, size_t len) {
  void (*fn)(void), *a;
  if (reqtab_take(S(e)->reqs, reqtab_id(arg), &fn, &a)) ((env_store_fn)fn)(e, a, status, value, len);
}

static request_id sim_invoke(env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct sim *s = S(e);
  if (!s->invoke) return CM_ENOSYS;
  request_id id = reqtab_add(s->reqs, R_INVOKE, (void (*)(void))done, arg);
  int rc = s->invoke(s->world, e, inv, invoke_answer, reqtab_arg(id));
  if (rc < 0) {
    reqtab_cancel(s->reqs, id, R_INVOKE, true);
    return rc;
  }
  return id;
}

static request_id sim_store(env *e, enum store_op op, const struct store_req *req, env_store_fn done, void *arg) {
  struct sim *s = S(e);
  if (!s->store) return CM_ENOSYS;
  request_id id = reqtab_add(s->reqs, R_STORE, (void (*)(void))done, arg);
  int rc = s->store(s->store_world, e, op, req, store_answer, reqtab_arg(id));
  if (rc < 0) {
    reqtab_cancel(s->reqs, id, R_STORE, true);
    return rc;
  }
  return id;
}

static bool sim_invoke_cancel(env *e, request_id id) { return reqtab_cancel(S(e)->reqs, id, R_INVOKE, false); }
static bool sim_store_cancel(env *e, request_id id) { return reqtab_cancel(S(e)->reqs, id, R_STORE, false); }

static void sim_net_stats(env *e, struct env_net_stats *out) { *out = S(e)->st; }

static int sim_run(env *e, cm_time until) {
  engine_run_until(S(e)->en, until);
  return CM_OK;
}

static void sim_stop(env *e) { engine_stop(S(e)->en); }

static void sim_free(env *e) {
  struct sim *s = S(e);
  engine_free(s->en);
  while (s->in_flight) pkt_release(s, s->in_flight);
  while (s->free_pkts) {
    struct pkt *p = s->free_pkts;
    s->free_pkts = p->next;
    free(p);
  }
  g_ptr_array_free(s->chunks, TRUE);
  g_hash_table_destroy(s->binds);
  for (size_t i = 0; i < s->npages; i++) g_free(s->pages[i]);
  g_free(s->pages);
  g_hash_table_destroy(s->links);
  g_hash_table_destroy(s->pairs);
  reqtab_free(s->reqs);
  free(s);
}

static const struct env_ops sim_ops = {
    .name = "sim",
    .now = sim_now,
    .after = sim_after,
    .cancel = sim_cancel,
    .bind = sim_bind,
    .unbind = sim_unbind,
    .send = sim_send,
    .net_stats = sim_net_stats,
    .invoke = sim_invoke,
    .invoke_cancel = sim_invoke_cancel,
    .store = sim_store,
    .store_cancel = sim_store_cancel,
    .run = sim_run,
    .stop = sim_stop,
    .free_impl = sim_free,
};

env *env_sim_new(uint64_t seed) {
  struct sim *s = calloc(1, sizeof(*s));
  if (!s) return NULL;
  s->en = engine_new();
  s->binds = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  s->links = g_hash_table_new_full(pair_hash, g_direct_equal, NULL, g_free);
  s->pairs = g_hash_table_new_full(pair_hash, g_direct_equal, NULL, g_free);
  s->chunks = g_ptr_array_new_with_free_func(free);
  s->reqs = reqtab_new();
  env *e = s->en ? env__new(&sim_ops, s, seed) : NULL;
  if (!e) {
    if (s->en) engine_free(s->en);
    g_hash_table_destroy(s->binds);
    g_hash_table_destroy(s->links);
    g_hash_table_destroy(s->pairs);
    g_ptr_array_free(s->chunks, TRUE);
    reqtab_free(s->reqs);
    free(s);
  }
  return e;
}

engine *env_sim_engine(env *e) {
  if (e->ops != &sim_ops) cm_fatal(CM_LOC, "env_sim_engine: not a sim env");
  return S(e)->en;
}

int env_sim_set_link(env *e, cm_addr from, cm_addr to, const struct link_model *m) {
  if (e->ops != &sim_ops || !m) return CM_EINVAL;
  if (m->latency < 0 || m->jitter_sd < 0 || !(m->loss >= 0 && m->loss <= 1) || !(m->bandwidth_bps >= 0))
    return CM_EINVAL;
  struct link_model *c = g_new(struct link_model, 1);
  *c = *m;
  g_hash_table_insert(S(e)->links, key(from, to), c);
  g_hash_table_remove_all(S(e)->pairs); /* re-resolve on next send */
  S(e)->only = g_hash_table_size(S(e)->links) == 1 ? g_hash_table_lookup(S(e)->links, key(0, 0)) : NULL;
  return CM_OK;
}

void env_sim_set_invoker(env *e, env_sim_invoke_fn fn, void *world) {
  if (e->ops != &sim_ops) cm_fatal(CM_LOC, "env_sim_set_invoker: not a sim env");
  S(e)->invoke = fn;
  S(e)->world = world;
}

void env_sim_set_storage(env *e, env_sim_store_fn fn, void *world) {
  if (e->ops != &sim_ops) cm_fatal(CM_LOC, "env_sim_set_storage: not a sim env");
  S(e)->store = fn;
  S(e)->store_world = world;
}

void env_sim_set_tap(env *e, env_sim_tap_fn fn, void *arg) {
  if (e->ops != &sim_ops) cm_fatal(CM_LOC, "env_sim_set_tap: not a sim env");
  S(e)->tap = fn;
  S(e)->tap_arg = arg;
}

cm_time env_sim_next_event(env *e) {
  if (e->ops != &sim_ops) cm_fatal(CM_LOC, "env_sim_next_event: not a sim env");
  return engine_next_time(S(e)->en);
}
