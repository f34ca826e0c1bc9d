/* Inside the serverless world (sim/faas*.c only): the provider state, the
 * pooled per-invocation records, warm pools and the functions the files
 * share. faas.c holds configuration and the public accessors, faas_run.c the
 * life of an invocation, faas_pool.c the record pools and warm containers. */
#ifndef CM_FAAS_IMPL_H
#define CM_FAAS_IMPL_H

#include <glib.h>

#include "engine.h"
#include "faas.h"
#include "platform.h"

/* Bits of faas__inv.pending: events still to come for a record. */
#define FAAS__EV_RELEASE 1u /* exec end: give back the slot and the container */
#define FAAS__EV_DELIVER 2u /* the result reaches the client */

enum faas__state { FAAS__FREE, FAAS__UPLINK, FAAS__QUEUED, FAAS__STARTED };

/* A container serving several requests at once (container_concurrency > 1)
 * while it is busy. With concurrency 1 busy containers need no record. */
struct faas__container {
  struct faas__container *prev, *next; /* in its pool's partial list, or next = free list */
  uint32_t active;
  cm_time ready_at; /* end of its cold start */
};

/* Warm containers of one (function, bin) on one provider. idle is a ring
 * of idle-since times, oldest at head: they are pushed in time order, so
 * lazy expiry pops from the head and reuse (most recently used) from the
 * tail. */
struct faas__pool {
  cm_time *idle;
  uint32_t head, n, cap; /* cap a power of two, or 0 */
  struct faas__container *partial; /* busy containers with a free slot */
};

/* One invocation, from env_invoke to its result. Pooled: no malloc per call
 * once the pool has grown to the high-water mark. */
/* A client's link to a provider. */
struct faas__link {
  cm_time latency, jitter_sd;
  double ns_per_byte; /* 0 = unlimited bandwidth */
  bool up;
};

struct faas__inv {
  struct faas__inv *next, *prev; /* free list, or the provider's queue */
  struct faas__prov *p;
  env_invoke_fn done;
  void *arg;
  cm_time submit, deadline, qdeadline;
  uint64_t ev_main;    /* arrival, client-timeout while queued, or release event */
  uint64_t ev_deliver; /* delivery event */
  struct faas__container *c;
  double slow;         /* slow-down fault factor, fixed at arrival */
  cm_time exec_hint;   /* struct invocation.exec_hint; 0 = the model */
  size_t response_bytes;
  uint32_t fn, bin, node; /* node: where it runs (PLATFORM_NO_NODE without nodes) */
  uint32_t client;        /* struct invocation.client: whose link it travels */
  uint8_t state, pending;
  bool client_timer, oom;
  struct invoke_result res;
};

struct faas__prov {
  struct faas_provider cfg; /* with the platform's defaults filled in */
  const struct platform_ops *ops;
  faas_world *w;
  struct platform_load load;
  uint64_t bin_cores[FAAS_MAX_BINS], bin_mem[FAAS_MAX_BINS]; /* micro-units */
  double ns_per_gflop[FAAS_MAX_BINS];
  double exec_mu, exec_sigma, sched_mu, sched_sigma, cold_mu, cold_sigma;
  uint32_t idx;           /* its index in the world's providers (an instance: of the provider it copies) */
  struct faas__link link; /* the client's link (every client's, without faas_world_set_clients) */
  /* variability */
  double drift_omega, drift_phase; /* rad/ns, rad */
  bool cont_on;
  cm_time cont_until;
  /* random streams "faas:<provider>:<what>" */
  rng *r_link, *r_sched, *r_cold, *r_exec, *r_err, *r_var;
  struct faas__pool *pools; /* nfunctions x nbins, [fn * nbins + bin] */
  struct faas__inv *qhead, *qtail;
  uint64_t qtimer;          /* queue-timeout event, 0 = none armed */
  struct faas_fault *faults;
  uint32_t nfaults, faults_cap;
  struct faas_stats st;
};

struct faas_world {
  env *e;
  engine *en;
  struct faas__prov *provs;
  uint32_t np;
  struct faas_function *fns;
  uint32_t nf;
  GHashTable *fn_index; /* name -> index + 1 */
  uint32_t last_fn;     /* the last function looked up: checked first */
  struct faas__inv *free_inv;
  GPtrArray *inv_chunks;
  struct faas__container *free_cont;
  GPtrArray *cont_chunks;
  bool installed; /* as e's invoker */
  /* faas_world_set_clients (sim/faas_clients.c) */
  struct faas__link *clinks; /* [client * np + provider]; NULL = one shared link */
  uint32_t nclients;
  int *rep_slot;             /* per provider: its slot among the per-client providers, or -1; NULL = none */
  struct faas__prov *reps;   /* [client * nrep + slot]: each client's own instance */
  uint32_t nrep;
};

/* The link a call of client c takes to p. */
static inline struct faas__link *faas__link_of(const faas_world *w, struct faas__prov *p, uint32_t c) {
  return w->clinks ? &w->clinks[(size_t)c * w->np + p->idx] : &p->link;
}

/* faas.c: one provider's state from cfg as provider i (i = its index;
 * NULL or the reason), its release, a fault on it, its counts. */
char *faas__prov_setup(faas_world *w, struct faas__prov *p, const struct faas_provider *cfg, uint32_t i);
void faas__prov_free(faas_world *w, struct faas__prov *p);
int faas__prov_add_fault(struct faas__prov *p, const struct faas_fault *f);
void faas__prov_stats(const faas_world *w, const struct faas__prov *pr, struct faas_stats *out);
/* faas_clients.c: the instance client c's call to provider index i runs
 * on; adds the per-client instances' counts of provider p to *out. */
struct faas__prov *faas__prov_for(faas_world *w, uint32_t i, uint32_t c);
void faas__reps_stats(const faas_world *w, uint32_t p, struct faas_stats *out);

/* faas_run.c */
int faas__invoke(void *world, env *e, const struct invocation *inv, env_invoke_fn done, void *arg);

/* faas_pool.c */
struct faas__inv *faas__inv_grow(faas_world *w);
struct faas__container *faas__cont_grow(faas_world *w);
/* Take a container for a request routed at time t (the admission time now
 * <= t): pack onto a busy container with a free slot, else reuse the most
 * recently idle one, else start one cold. Returns the time exec may start;
 * *init is the cold-start part of the wait (0 when warm), *cold whether the
 * request met a container that was not ready. */
cm_time faas__pool_acquire(struct faas__prov *p, struct faas__pool *pl, struct faas__inv *r, cm_time now, cm_time t,
                           cm_time *init, bool *cold);
void faas__pool_release(struct faas__prov *p, struct faas__pool *pl, struct faas__inv *r, cm_time now);
/* Idle containers still warm at now, without changing anything. */
/* n idle warm containers, idle since now (a warm-up before the run). */
void faas__pool_prewarm(struct faas__pool *pl, uint32_t n, cm_time now);
uint32_t faas__pool_warm(const struct faas__prov *p, const struct faas__pool *pl, cm_time now);
void faas__pool_free(struct faas__pool *pl);
/* Cancel every pending event of the world's records (for faas_world_free). */
void faas__cancel_all(faas_world *w);
cm_time faas__draw_cold(struct faas__prov *p);

static inline struct faas__inv *faas__inv_get(faas_world *w) {
  struct faas__inv *r = w->free_inv ? w->free_inv : faas__inv_grow(w);
  w->free_inv = r->next;
  return r;
}

static inline void faas__inv_put(faas_world *w, struct faas__inv *r) {
  r->state = FAAS__FREE;
  r->next = w->free_inv;
  w->free_inv = r;
}

#endif
