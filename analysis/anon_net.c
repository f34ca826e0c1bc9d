/* The chained exponential-weight attacker over a mix network (anon_net.h):
 * per-node pools of candidates, per-packet sparse distributions over
 * senders, mixtures at every exit. */
#include "anon_net.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "anon_eps.h"
#include "cm.h"

struct sp {
  uint32_t s;
  double p;
};

struct cand {
  double t_in;
  struct sp *d; /* owned */
  uint32_t n;
};

struct pool {
  struct cand *c; /* c[head..len), entry order */
  size_t head, len, cap;
  uint64_t inside;
  double integ, t_last;
};

struct pkt {
  uint32_t sender;
  int64_t node;  /* -1: on a link */
  double t_in;   /* inside a node: when it entered */
  struct sp *d;  /* on a link: owned here; inside a node: NULL (in the pool) */
  uint32_t n;
};

struct anon_net {
  uint32_t ns, nn, c0, c1;
  double mean, last;
  struct pool *pools;
  GHashTable *pkts; /* uint64 id -> struct pkt* */
  size_t on_links;
  double *acc;      /* scratch, ns */
  uint32_t *touched;
  uint64_t *snd;    /* scratch for anon_entropy */
  double *w;
};

static void pkt_free(gpointer p) {
  struct pkt *k = p;
  free(k->d);
  g_free(k);
}

anon_net *anon_net_new(uint32_t nsenders, uint32_t nnodes, double mean_delay, uint32_t challenge0,
                       uint32_t challenge1) {
  if (!nsenders || !nnodes || !isfinite(mean_delay) || !(mean_delay > 0)) return NULL;
  anon_net *a = calloc(1, sizeof *a);
  if (!a) return NULL;
  a->ns = nsenders;
  a->nn = nnodes;
  a->c0 = challenge0;
  a->c1 = challenge1;
  a->mean = mean_delay;
  a->last = -INFINITY;
  a->pools = calloc(nnodes, sizeof *a->pools);
  a->acc = calloc(nsenders, sizeof *a->acc);
  a->touched = malloc(nsenders * sizeof *a->touched);
  a->snd = malloc(nsenders * sizeof *a->snd);
  a->w = malloc(nsenders * sizeof *a->w);
  a->pkts = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, pkt_free);
  if (!a->pools || !a->acc || !a->touched || !a->snd || !a->w) {
    anon_net_free(a);
    return NULL;
  }
  for (uint32_t i = 0; i < nnodes; i++) a->pools[i].t_last = NAN;
  return a;
}

void anon_net_free(anon_net *a) {
  if (!a) return;
  if (a->pools)
    for (uint32_t i = 0; i < a->nn; i++) {
      struct pool *p = &a->pools[i];
      for (size_t j = p->head; j < p->len; j++) free(p->c[j].d);
      free(p->c);
    }
  free(a->pools);
  if (a->pkts) g_hash_table_destroy(a->pkts);
  free(a->acc);
  free(a->touched);
  free(a->snd);
  free(a->w);
  free(a);
}

static struct pkt *pkt_get(anon_net *a, uint64_t id) {
  return g_hash_table_lookup(a->pkts, &id);
}

static int time_ok(anon_net *a, double t) {
  if (!isfinite(t) || t < a->last) return 0;
  a->last = t;
  return 1;
}

/* Bring the pool's occupancy integral up to t. */
static void pool_advance(struct pool *p, double t) {
  if (!isnan(p->t_last) && t > p->t_last) p->integ += (double)p->inside * (t - p->t_last);
  if (isnan(p->t_last) || t > p->t_last) p->t_last = t;
}

int anon_net_origin(anon_net *a, uint64_t id, uint32_t sender) {
  if (!a || sender >= a->ns) return CM_EINVAL;
  if (pkt_get(a, id)) return CM_EEXIST;
  struct pkt *k = g_new0(struct pkt, 1);
  k->d = malloc(sizeof *k->d);
  if (!k->d) {
    g_free(k);
    return CM_ENOMEM;
  }
  k->d[0] = (struct sp){sender, 1.0};
  k->n = 1;
  k->sender = sender;
  k->node = -1;
  uint64_t *key = g_new(uint64_t, 1);
  *key = id;
  g_hash_table_insert(a->pkts, key, k);
  a->on_links++;
  return 0;
}

int anon_net_enter(anon_net *a, uint32_t node, uint64_t id, double t) {
  if (!a || node >= a->nn || !time_ok(a, t)) return CM_EINVAL;
  struct pkt *k = pkt_get(a, id);
  if (!k || k->node >= 0) return CM_ENOENT;
  struct pool *p = &a->pools[node];
  if (p->len == p->cap) {
    if (p->head > 0) { /* compact before growing */
      memmove(p->c, p->c + p->head, (p->len - p->head) * sizeof *p->c);
      p->len -= p->head;
      p->head = 0;
    }
    if (p->len == p->cap) {
      size_t cap = p->cap ? 2 * p->cap : 256;
      struct cand *c = realloc(p->c, cap * sizeof *c);
      if (!c) return CM_ENOMEM;
      p->c = c;
      p->cap = cap;
    }
  }
  pool_advance(p, t);
  p->c[p->len++] = (struct cand){t, k->d, k->n};
  p->inside++;
  k->d = NULL;
  k->n = 0;
  k->node = node;
  k->t_in = t;
  a->on_links--;
  return 0;
}

static int sp_cmp(const void *x, const void *y) {
  const struct sp *a = x, *b = y;
  return (a->s > b->s) - (a->s < b->s);
}

int anon_net_exit(anon_net *a, uint32_t node, uint64_t id, double t, double *t_in) {
  if (!a || node >= a->nn || !isfinite(t) || t < a->last) return CM_EINVAL;
  struct pkt *k = pkt_get(a, id);
  if (!k || k->node != (int64_t)node) return CM_ENOENT;
  a->last = t;
  struct pool *p = &a->pools[node];
  /* Weights relative to the newest candidate (weight 1; the pool holds the
   * exiting packet, so it is not empty), candidates past the horizon from
   * it dropped: the same normalised weights as exp(-(t - s) / mean), with
   * no underflow when every candidate is old (a packet that waited long
   * in a saturated CPU queue). */
  double newest = p->c[p->len - 1].t_in;
  while (p->head + 1 < p->len && newest - p->c[p->head].t_in > ANON_PMIX_HORIZON * a->mean) {
    free(p->c[p->head].d);
    p->head++;
  }
  size_t m = 0;
  double wsum = 0;
  for (size_t i = p->head; i < p->len; i++) {
    const struct cand *c = &p->c[i];
    double w = exp((c->t_in - newest) / a->mean);
    wsum += w;
    for (uint32_t j = 0; j < c->n; j++) {
      uint32_t s = c->d[j].s;
      if (a->acc[s] == 0) a->touched[m++] = s;
      a->acc[s] += w * c->d[j].p;
    }
  }
  struct sp *d = malloc((m ? m : 1) * sizeof *d);
  if (!d) {
    for (size_t i = 0; i < m; i++) a->acc[a->touched[i]] = 0;
    return CM_ENOMEM;
  }
  uint32_t n = 0;
  for (size_t i = 0; i < m; i++) {
    uint32_t s = a->touched[i];
    double v = wsum > 0 ? a->acc[s] / wsum : 0;
    a->acc[s] = 0;
    if (v > 0) d[n++] = (struct sp){s, v};
  }
  if (n == 0) { /* every candidate had an empty distribution: cannot happen */
    free(d);
    return CM_ERANGE;
  }
  qsort(d, n, sizeof *d, sp_cmp);
  pool_advance(p, t);
  p->inside--;
  if (t_in) *t_in = k->t_in;
  k->d = d;
  k->n = n;
  k->node = -1;
  a->on_links++;
  return 0;
}

int anon_net_deliver(anon_net *a, uint64_t id, struct anon_result *out, double *eps) {
  if (!a || !out) return CM_EINVAL;
  struct pkt *k = pkt_get(a, id);
  if (!k || k->node >= 0) return CM_ENOENT;
  double p0 = 0, p1 = 0;
  for (uint32_t i = 0; i < k->n; i++) {
    a->w[i] = k->d[i].p;
    a->snd[i] = k->d[i].s;
    if (k->d[i].s == a->c0) p0 = k->d[i].p;
    if (k->d[i].s == a->c1) p1 = k->d[i].p;
  }
  int rc = anon_entropy(a->w, a->snd, k->n, k->sender, out);
  if (rc != 0) return rc;
  if (eps) *eps = (k->sender == a->c0 || k->sender == a->c1) && a->c0 != a->c1 ? anon_eps(p0, p1) : NAN;
  a->on_links--;
  g_hash_table_remove(a->pkts, &id);
  return 0;
}

uint64_t anon_net_inside(const anon_net *a, uint32_t node) {
  return a && node < a->nn ? a->pools[node].inside : 0;
}

double anon_net_occupancy_integral(anon_net *a, uint32_t node, double t) {
  if (!a || node >= a->nn) return NAN;
  pool_advance(&a->pools[node], t);
  return a->pools[node].integ;
}

size_t anon_net_on_links(const anon_net *a) { return a ? a->on_links : 0; }
