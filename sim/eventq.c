/* A radix heap of (time, insertion order) keys with O(1) cancellation; see
 * eventq.h for the method and the monotone-time precondition. */
#include "eventq.h"

#include <stdlib.h>
#include <string.h>

#define NB 65      /* bucket b >= 1: highest bit differing from last is b-1 */
#define CHUNK_N 63 /* entries per chunk: 63 x 32 + 16 bytes, about 2 KiB */
#define SLOT_LIVE 1u
#define SLOT_DEAD 2u
#define SWEEP_MIN 64
#define SMALL_MAX 32 /* a small queue is a sorted array up to this many entries */
#define SMALL_LOW 8  /* a radix queue this small goes back to the array */

struct ent {
  cm_time time;
  eventq_fn fn;
  void *arg;
  uint32_t slot;
  uint32_t gen;
};

struct chunk {
  struct chunk *next;
  uint32_t n;
  uint32_t pad;
  struct ent e[CHUNK_N];
};

struct bucket {
  struct chunk *head, *tail;
};

/* Cancellation bookkeeping: an id names (slot, gen); the slot's generation
 * moves on when its event is popped or dropped, so a stale id never matches. */
struct slot {
  uint32_t gen;
  uint32_t state; /* 0 free, SLOT_LIVE, SLOT_DEAD */
  void *arg;      /* for eventq_cancel's arg_out */
};

/* Entries pushed below `last` (possible after a peek moved `last` ahead of
 * the clock) wait in a small binary heap ordered by (time, seq); they are
 * all earlier than every entry in the buckets. */
struct early {
  struct ent e;
  uint64_t seq;
};

struct eventq {
  /* small mode: entries sorted by (time, insertion) in sm[sh .. sn) */
  bool small;
  uint32_t sh, sn;
  struct ent sm[SMALL_MAX];
  /* radix mode: bucket 0, entries with time == last, popped from the front */
  struct ent *zero;
  size_t zhead, zn, zcap;
  struct bucket b[NB]; /* b[0] unused */
  uint64_t nonempty;   /* bit b-1 set: bucket b has entries */
  cm_time last;        /* every bucketed entry has time >= last */
  cm_time popped;      /* time of the last pop: pushes must not go below */
  struct early *early;
  size_t nearly, early_cap;
  uint64_t early_seq;
  size_t n; /* entries, live and dead */
  size_t ndead;
  struct chunk *spare; /* free chunks */
  size_t nchunks;
  struct slot *slots;
  uint32_t nslots;
  uint32_t *free_slots; /* stack of free slot indices */
  uint32_t nfree;
};

static inline unsigned bucket_of(const eventq *q, cm_time t) {
  uint64_t x = (uint64_t)t ^ (uint64_t)q->last;
  return x ? 64u - (unsigned)__builtin_clzll(x) : 0u;
}

static inline bool dead(const eventq *q, const struct ent *x) {
  return q->ndead && q->slots[x->slot].state == SLOT_DEAD;
}

static void slot_free(eventq *q, uint32_t s) {
  q->slots[s].gen++;
  q->slots[s].state = 0;
  q->free_slots[q->nfree++] = s;
}

/* Forget a dead entry met in passing. */
static void drop(eventq *q, const struct ent *x) {
  q->n--;
  q->ndead--;
  slot_free(q, x->slot);
}

static int slot_take(eventq *q, uint32_t *out) {
  if (q->nfree == 0) {
    uint32_t old = q->nslots, nn = old ? old * 2 : 256;
    if (nn <= old) return CM_ENOMEM;
    struct slot *ns = realloc(q->slots, (size_t)nn * sizeof(*ns));
    if (!ns) return CM_ENOMEM;
    q->slots = ns;
    uint32_t *nf = realloc(q->free_slots, (size_t)nn * sizeof(*nf));
    if (!nf) return CM_ENOMEM;
    q->free_slots = nf;
    for (uint32_t s = nn; s-- > old;) {
      ns[s] = (struct slot){.gen = 1};
      nf[q->nfree++] = s;
    }
    q->nslots = nn;
  }
  *out = q->free_slots[--q->nfree];
  return CM_OK;
}

static void chunk_put(eventq *q, struct chunk *c) {
  c->next = q->spare;
  q->spare = c;
}

/* Append to bucket bi (0: the array); fails only when out of memory. */
static inline int append(eventq *q, unsigned bi, const struct ent *x) {
  if (bi == 0) {
    if (q->zn == q->zcap) {
      size_t nc = q->zcap ? q->zcap * 2 : 64;
      struct ent *nz = realloc(q->zero, nc * sizeof(*nz));
      if (!nz) return CM_ENOMEM;
      q->zero = nz;
      q->zcap = nc;
    }
    q->zero[q->zn++] = *x;
    return CM_OK;
  }
  struct bucket *b = &q->b[bi];
  struct chunk *t = b->tail;
  if (!t || t->n == CHUNK_N) {
    struct chunk *c = q->spare;
    if (c) {
      q->spare = c->next;
    } else if ((c = malloc(sizeof(*c))) != NULL) {
      q->nchunks++;
    } else {
      return CM_ENOMEM;
    }
    c->next = NULL;
    c->n = 0;
    if (t)
      t->next = c;
    else
      b->head = c;
    b->tail = t = c;
  }
  t->e[t->n++] = *x;
  q->nonempty |= 1ull << (bi - 1);
  return CM_OK;
}

/* ---- the early heap ---------------------------------------------------- */

static inline bool early_before(const struct early *a, const struct early *b) {
  return a->e.time < b->e.time || (a->e.time == b->e.time && a->seq < b->seq);
}

static void early_sift_up(eventq *q, size_t i, struct early y) {
  while (i > 0 && early_before(&y, &q->early[(i - 1) / 2])) {
    q->early[i] = q->early[(i - 1) / 2];
    i = (i - 1) / 2;
  }
  q->early[i] = y;
}

static int early_push(eventq *q, const struct ent *x) {
  if (q->nearly == q->early_cap) {
    size_t nc = q->early_cap ? q->early_cap * 2 : 16;
    struct early *ne = realloc(q->early, nc * sizeof(*ne));
    if (!ne) return CM_ENOMEM;
    q->early = ne;
    q->early_cap = nc;
  }
  early_sift_up(q, q->nearly++, (struct early){*x, ++q->early_seq});
  return CM_OK;
}

static void early_pop(eventq *q) {
  struct early y = q->early[--q->nearly];
  size_t i = 0, n = q->nearly;
  if (n == 0) return;
  for (;;) {
    size_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && early_before(&q->early[c + 1], &q->early[c])) c++;
    if (!early_before(&q->early[c], &y)) break;
    q->early[i] = q->early[c];
    i = c;
  }
  q->early[i] = y;
}

/* ---- refill, sweep ------------------------------------------------------ */

/* Bucket 0 is empty: take the first non-empty bucket, make its minimum the
 * new `last`, and spread its entries over lower buckets (dead ones are
 * dropped here). Order among equal times is kept: every bucket is appended
 * in order and spread in order. Returns false if no live entry is left. */
static bool refill(eventq *q) {
  q->zhead = q->zn = 0;
  while (q->nonempty) {
    unsigned bi = 1u + (unsigned)__builtin_ctzll(q->nonempty);
    struct chunk *c = q->b[bi].head;
    q->b[bi] = (struct bucket){0};
    q->nonempty &= ~(1ull << (bi - 1));
    cm_time min = CM_TIME_MAX;
    for (struct chunk *k = c; k; k = k->next)
      for (uint32_t i = 0; i < k->n; i++)
        if (!dead(q, &k->e[i]) && k->e[i].time < min) min = k->e[i].time;
    if (min != CM_TIME_MAX) q->last = min;
    /* Spreading reuses the chunks as they are released, so memory does
     * not grow: at most one spare per target bucket is taken at a time. */
    while (c) {
      for (uint32_t i = 0; i < c->n; i++) {
        struct ent *x = &c->e[i];
        if (dead(q, x))
          drop(q, x);
        else if (append(q, bucket_of(q, x->time), x) != CM_OK)
          cm_fatal(CM_LOC, "eventq: out of memory");
      }
      struct chunk *next = c->next;
      chunk_put(q, c);
      c = next;
    }
    if (min != CM_TIME_MAX) return true;
  }
  return false;
}

/* Drop the dead entries of bucket bi >= 1 in place; release emptied chunks. */
static void compact(eventq *q, unsigned bi) {
  struct bucket *b = &q->b[bi];
  if (!b->head) return;
  struct chunk *wc = b->head;
  uint32_t wi = 0;
  size_t kept = 0;
  for (struct chunk *rc = b->head; rc; rc = rc->next)
    for (uint32_t i = 0; i < rc->n; i++) {
      struct ent *x = &rc->e[i];
      if (q->slots[x->slot].state == SLOT_DEAD) {
        q->n--;
        slot_free(q, x->slot);
        continue;
      }
      if (wi == CHUNK_N) {
        wc->n = CHUNK_N;
        wc = wc->next;
        wi = 0;
      }
      wc->e[wi++] = *x;
      kept++;
    }
  wc->n = wi;
  for (struct chunk *rest = wc->next, *next; rest; rest = next) {
    next = rest->next;
    chunk_put(q, rest);
  }
  wc->next = NULL;
  b->tail = wc;
  if (kept == 0) {
    chunk_put(q, wc);
    *b = (struct bucket){0};
    q->nonempty &= ~(1ull << (bi - 1));
  }
}

/* Keep the live entries of a[from .. to) at the front of a; returns how
 * many there are. */
static size_t compact_array(eventq *q, struct ent *a, size_t from, size_t to) {
  size_t w = 0;
  for (size_t r = from; r < to; r++) {
    if (q->slots[a[r].slot].state == SLOT_DEAD) {
      q->n--;
      slot_free(q, a[r].slot);
    } else {
      a[w++] = a[r];
    }
  }
  return w;
}

/* Drop dead entries everywhere, O(n). */
static void sweep(eventq *q) {
  q->sn = (uint32_t)compact_array(q, q->sm, q->sh, q->sn);
  q->sh = 0;
  q->zn = compact_array(q, q->zero, q->zhead, q->zn);
  q->zhead = 0;
  for (unsigned bi = 1; bi < NB; bi++) compact(q, bi);
  /* The early heap: keep the live entries and rebuild the heap order (the
   * writes never overtake the reads). */
  size_t w = 0;
  for (size_t r = 0; r < q->nearly; r++) {
    struct early y = q->early[r];
    if (q->slots[y.e.slot].state == SLOT_DEAD) {
      q->n--;
      slot_free(q, y.e.slot);
    } else {
      early_sift_up(q, w++, y);
    }
  }
  q->nearly = w;
  q->ndead = 0;
}

/* ---- small mode --------------------------------------------------------- */

/* Insert into the sorted array after every entry of equal or lower time. */
static void small_insert(eventq *q, const struct ent *x) {
  uint32_t i = q->sn++;
  while (i > q->sh && q->sm[i - 1].time > x->time) {
    q->sm[i] = q->sm[i - 1];
    i--;
  }
  q->sm[i] = *x;
}

/* The array is full: move its entries, in order, into the radix buckets. */
static void to_radix(eventq *q) {
  q->small = false;
  q->last = q->popped; /* no entry is earlier than the last pop */
  q->zhead = q->zn = 0;
  for (uint32_t i = q->sh; i < q->sn; i++)
    if (append(q, bucket_of(q, q->sm[i].time), &q->sm[i]) != CM_OK) cm_fatal(CM_LOC, "eventq: out of memory");
  q->sh = q->sn = 0;
}

/* Few entries left and none in bucket 0 or the early heap: collect the
 * buckets into the array. Equal times share a bucket in insertion order, so
 * a stable sort by time restores (time, insertion) order. */
static void to_small(eventq *q) {
  q->sh = q->sn = 0;
  while (q->nonempty) {
    unsigned bi = 1u + (unsigned)__builtin_ctzll(q->nonempty);
    q->nonempty &= ~(1ull << (bi - 1));
    for (struct chunk *c = q->b[bi].head, *next; c; c = next) {
      for (uint32_t i = 0; i < c->n; i++) {
        if (dead(q, &c->e[i]))
          drop(q, &c->e[i]);
        else
          small_insert(q, &c->e[i]);
      }
      next = c->next;
      chunk_put(q, c);
    }
    q->b[bi] = (struct bucket){0};
  }
  q->zhead = q->zn = 0;
  q->small = true;
}

/* ---- public ------------------------------------------------------------- */

eventq *eventq_new(void) {
  eventq *q = calloc(1, sizeof(eventq));
  if (q) q->small = true;
  return q;
}

void eventq_free(eventq *q) {
  if (!q) return;
  for (unsigned bi = 1; bi < NB; bi++)
    for (struct chunk *c = q->b[bi].head, *next; c; c = next) {
      next = c->next;
      free(c);
    }
  for (struct chunk *c = q->spare, *next; c; c = next) {
    next = c->next;
    free(c);
  }
  free(q->zero);
  free(q->early);
  free(q->slots);
  free(q->free_slots);
  free(q);
}

uint64_t eventq_push(eventq *q, cm_time t, eventq_fn fn, void *arg) {
  if (t < q->popped)
    cm_fatal(CM_LOC, "eventq_push: time %lld is before the last popped %lld", (long long)t, (long long)q->popped);
  uint32_t s;
  if (slot_take(q, &s) != CM_OK) return 0;
  struct ent x = {.time = t, .fn = fn, .arg = arg, .slot = s, .gen = q->slots[s].gen};
  if (q->small && q->sn == SMALL_MAX) {
    if (q->sh > 0) { /* slide the live part to the start */
      memmove(q->sm, q->sm + q->sh, (q->sn - q->sh) * sizeof(struct ent));
      q->sn -= q->sh;
      q->sh = 0;
    } else {
      to_radix(q);
    }
  }
  int rc = CM_OK;
  if (q->small)
    small_insert(q, &x);
  else
    rc = t < q->last ? early_push(q, &x) : append(q, bucket_of(q, t), &x);
  if (rc != CM_OK) {
    q->free_slots[q->nfree++] = s;
    return 0;
  }
  q->slots[s].state = SLOT_LIVE;
  q->slots[s].arg = arg;
  q->n++;
  return ((uint64_t)x.gen << 32) | (uint64_t)(s + 1);
}

/* The earliest live entry, dead ones dropped on the way; NULL if none.
 * *where tells where it is: 0 the array, 1 the early heap, 2 bucket 0. */
static struct ent *front(eventq *q, int *where) {
  if (!q->small) {
    *where = 1;
    while (q->nearly) {
      struct ent *x = &q->early[0].e;
      if (q->slots[x->slot].state != SLOT_DEAD) return x;
      drop(q, x);
      early_pop(q);
    }
    *where = 2;
    for (;;) {
      if (q->zhead == q->zn) {
        if (q->n <= SMALL_LOW) {
          to_small(q);
          break;
        }
        if (!refill(q)) return NULL;
      }
      struct ent *x = &q->zero[q->zhead];
      if (!dead(q, x)) return x;
      drop(q, x);
      q->zhead++;
    }
  }
  *where = 0;
  for (; q->sh < q->sn; q->sh++) {
    struct ent *x = &q->sm[q->sh];
    if (!dead(q, x)) return x;
    drop(q, x);
  }
  q->sh = q->sn = 0;
  return NULL;
}

bool eventq_pop_until(eventq *q, cm_time limit, struct eventq_item *out) {
  int where;
  struct ent *x = front(q, &where);
  if (!x || x->time > limit) return false;
  out->time = x->time;
  out->fn = x->fn;
  out->arg = x->arg;
  q->popped = x->time;
  q->n--;
  slot_free(q, x->slot);
  if (where == 0)
    q->sh++;
  else if (where == 1)
    early_pop(q);
  else
    q->zhead++;
  return true;
}

bool eventq_pop(eventq *q, struct eventq_item *out) { return eventq_pop_until(q, CM_TIME_MAX, out); }

cm_time eventq_peek_time(eventq *q) {
  int where;
  struct ent *x = front(q, &where);
  return x ? x->time : CM_TIME_MAX;
}

bool eventq_cancel(eventq *q, uint64_t id, void **arg_out) {
  uint32_t s1 = (uint32_t)(id & 0xffffffffu), gen = (uint32_t)(id >> 32);
  if (s1 == 0 || s1 > q->nslots) return false;
  struct slot *sl = &q->slots[s1 - 1];
  if (sl->gen != gen || sl->state != SLOT_LIVE) return false;
  sl->state = SLOT_DEAD;
  q->ndead++;
  if (arg_out) *arg_out = sl->arg;
  if (q->ndead >= SWEEP_MIN && q->ndead > q->n - q->ndead) sweep(q);
  return true;
}

size_t eventq_size(const eventq *q) { return q->n - q->ndead; }

size_t eventq_bytes(const eventq *q) {
  return sizeof(*q) + q->nchunks * sizeof(struct chunk) + q->zcap * sizeof(struct ent) +
         q->early_cap * sizeof(struct early) + (size_t)q->nslots * (sizeof(struct slot) + sizeof(uint32_t));
}
