/* The serverless world's memory and warm containers: per-invocation records
 * and container records come from chunks threaded on free lists (no malloc
 * per call in steady state); each (provider, function, bin) has a warm pool
 * whose idle containers are a ring of idle-since times, expired lazily when
 * the pool is next touched, so there is no timer per container. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "faas_impl.h"

#define INV_CHUNK 1024
#define CONT_CHUNK 256

struct faas__inv *faas__inv_grow(faas_world *w) {
  struct faas__inv *c = calloc(INV_CHUNK, sizeof(*c));
  if (!c) cm_fatal(CM_LOC, "faas: out of memory");
  g_ptr_array_add(w->inv_chunks, c);
  for (int i = INV_CHUNK; i-- > 0;) {
    c[i].state = FAAS__FREE;
    c[i].next = w->free_inv;
    w->free_inv = &c[i];
  }
  return w->free_inv;
}

struct faas__container *faas__cont_grow(faas_world *w) {
  struct faas__container *c = calloc(CONT_CHUNK, sizeof(*c));
  if (!c) cm_fatal(CM_LOC, "faas: out of memory");
  g_ptr_array_add(w->cont_chunks, c);
  for (int i = CONT_CHUNK; i-- > 0;) {
    c[i].next = w->free_cont;
    w->free_cont = &c[i];
  }
  return w->free_cont;
}

void faas__cancel_all(faas_world *w) {
  for (guint k = 0; k < w->inv_chunks->len; k++) {
    struct faas__inv *c = g_ptr_array_index(w->inv_chunks, k);
    for (int i = 0; i < INV_CHUNK; i++) {
      if (c[i].state == FAAS__FREE) continue;
      engine_cancel(w->en, c[i].ev_main, NULL);
      engine_cancel(w->en, c[i].ev_deliver, NULL);
    }
  }
}

cm_time faas__draw_cold(struct faas__prov *p) {
  double m = (double)p->cfg.cold_start_mean;
  if (p->cfg.cold_start_cv > 0 && m > 0) m = exp(rng_normal(p->r_cold, p->cold_mu, p->cold_sigma));
  return (cm_time)(m + 0.5);
}

/* Drop idle containers whose keep-alive has run out by now. */
static void expire(const struct faas__prov *p, struct faas__pool *pl, cm_time now) {
  cm_time ka = p->cfg.keep_alive;
  while (pl->n && pl->idle[pl->head] <= now - ka) {
    pl->head = (pl->head + 1) & (pl->cap - 1);
    pl->n--;
  }
}

static void idle_push(struct faas__pool *pl, cm_time t) {
  if (pl->n == pl->cap) {
    uint32_t cap = pl->cap ? pl->cap * 2 : 8;
    cm_time *a = malloc(cap * sizeof(*a));
    if (!a) cm_fatal(CM_LOC, "faas: out of memory");
    for (uint32_t i = 0; i < pl->n; i++) a[i] = pl->idle[(pl->head + i) & (pl->cap - 1)];
    free(pl->idle);
    pl->idle = a;
    pl->head = 0;
    pl->cap = cap;
  }
  pl->idle[(pl->head + pl->n) & (pl->cap - 1)] = t;
  pl->n++;
}

void faas__pool_prewarm(struct faas__pool *pl, uint32_t n, cm_time now) {
  for (uint32_t i = 0; i < n; i++) idle_push(pl, now);
}

static void partial_add(struct faas__pool *pl, struct faas__container *c) {
  c->prev = NULL;
  c->next = pl->partial;
  if (pl->partial) pl->partial->prev = c;
  pl->partial = c;
}

static void partial_remove(struct faas__pool *pl, struct faas__container *c) {
  if (c->prev) c->prev->next = c->next;
  else pl->partial = c->next;
  if (c->next) c->next->prev = c->prev;
}

cm_time faas__pool_acquire(struct faas__prov *p, struct faas__pool *pl, struct faas__inv *r, cm_time now, cm_time t,
                           cm_time *init, bool *cold) {
  uint32_t cc = p->cfg.container_concurrency;
  r->c = NULL;
  if (cc > 1 && pl->partial) { /* pack onto a busy container */
    struct faas__container *c = pl->partial;
    if (++c->active == cc) partial_remove(pl, c);
    r->c = c;
    cm_time start = c->ready_at > t ? c->ready_at : t;
    *init = start - t;
    *cold = start > t;
    return start;
  }
  expire(p, pl, now);
  cm_time start;
  if (pl->n) { /* the most recently used idle container */
    pl->n--;
    *init = 0;
    *cold = false;
    start = t;
  } else {
    *init = faas__draw_cold(p);
    *cold = true;
    start = t + *init;
  }
  if (cc > 1) {
    faas_world *w = p->w;
    struct faas__container *c = w->free_cont ? w->free_cont : faas__cont_grow(w);
    w->free_cont = c->next;
    c->active = 1;
    c->ready_at = start;
    partial_add(pl, c);
    r->c = c;
  }
  return start;
}

void faas__pool_release(struct faas__prov *p, struct faas__pool *pl, struct faas__inv *r, cm_time now) {
  struct faas__container *c = r->c;
  if (c) {
    uint32_t cc = p->cfg.container_concurrency;
    if (c->active-- == cc) partial_add(pl, c);
    if (c->active > 0) return;
    partial_remove(pl, c);
    c->next = p->w->free_cont;
    p->w->free_cont = c;
    r->c = NULL;
  }
  expire(p, pl, now);
  idle_push(pl, now);
}

uint32_t faas__pool_warm(const struct faas__prov *p, const struct faas__pool *pl, cm_time now) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < pl->n; i++)
    if (pl->idle[(pl->head + i) & (pl->cap - 1)] > now - p->cfg.keep_alive) k++;
  return k;
}

void faas__pool_free(struct faas__pool *pl) {
  free(pl->idle);
  memset(pl, 0, sizeof(*pl));
}
