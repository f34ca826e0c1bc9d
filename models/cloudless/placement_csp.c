/* The seed's constrained shortest path (5.1.4) for chain workflows: along a
 * chain both time and cost add up, so a label (time, cost) per path prefix
 * ending at (node, placement) suffices. Labels are extended node by node in
 * chain order; at each (node, placement) only the Pareto-optimal ones are
 * kept, and a label already over the bound is dropped (all values are
 * >= 0, so it can only grow). The best label at the sink is the optimum. */
#include "cloudless/placement.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

struct label {
  double time, cost;
  uint32_t place; /* this node's candidate */
  uint32_t pred;  /* index in the previous node's labels */
};

static void set_err(char **err, char *msg) {
  if (err)
    *err = msg;
  else
    g_free(msg);
}

static int by_time_cost(const void *a, const void *b) {
  const struct label *x = a, *y = b;
  if (x->time != y->time) return x->time < y->time ? -1 : 1;
  if (x->cost != y->cost) return x->cost < y->cost ? -1 : 1;
  return x->pred < y->pred ? -1 : x->pred > y->pred;
}

/* Keep the Pareto front of cand[0..n) (all for one placement), appended to
 * out: sorted by time, a label survives only if it is cheaper than every
 * faster one. */
static void keep_front(struct label *cand, size_t n, GArray *out) {
  qsort(cand, n, sizeof *cand, by_time_cost);
  double best_cost = INFINITY;
  for (size_t i = 0; i < n; i++)
    if (cand[i].cost < best_cost) {
      best_cost = cand[i].cost;
      g_array_append_val(out, cand[i]);
    }
}

static bool within(enum place_objective obj, double bound, double time, double cost) {
  return (obj == PLACE_MIN_TIME ? cost : time) <= bound;
}

int place_solve_csp(const struct place_problem *p, enum place_objective obj, double bound,
                    struct place_solution *s, char **err) {
  if (!dag_is_chain(p->d)) {
    set_err(err, g_strdup("placement: the constrained shortest path needs a chain workflow"));
    return CM_EINVAL;
  }
  if (isnan(bound) || bound < 0) {
    set_err(err, g_strdup_printf("placement: bad %s %g", obj == PLACE_MIN_TIME ? "budget" : "deadline", bound));
    return CM_EINVAL;
  }
  int rc = place_problem_check(p, err);
  if (rc) return rc;
  size_t n = p->nnodes;
  const uint32_t *chain = dag_topo(p->d);
  GArray **labels = calloc(n, sizeof *labels); /* per chain position */
  if (!labels) cm_fatal(CM_LOC, "placement: out of memory");
  GArray *cand = g_array_new(FALSE, FALSE, sizeof(struct label));
  for (size_t i = 0; i < n; i++) {
    uint32_t v = chain[i];
    labels[i] = g_array_new(FALSE, FALSE, sizeof(struct label));
    for (uint32_t l = 0; l < p->nplace[v]; l++) {
      g_array_set_size(cand, 0);
      if (i == 0) {
        struct label x = {p->in_time[v][l] + p->time[v][l], p->in_cost[v][l] + p->cost[v][l], l, 0};
        g_array_append_val(cand, x);
      } else {
        uint32_t e = p->in_edge[v];
        const GArray *prev = labels[i - 1];
        for (uint32_t j = 0; j < prev->len; j++) {
          const struct label *a = &g_array_index(prev, struct label, j);
          size_t kl = (size_t)a->place * p->nplace[v] + l;
          if (isinf(p->xfer_time[e][kl])) continue; /* a forbidden pair */
          struct label x = {a->time + p->xfer_time[e][kl] + p->time[v][l],
                            a->cost + p->xfer_cost[e][kl] + p->cost[v][l], l, j};
          g_array_append_val(cand, x);
        }
      }
      /* drop labels over the bound before the front, so none is kept */
      guint w = 0;
      for (guint j = 0; j < cand->len; j++) {
        struct label *x = &g_array_index(cand, struct label, j);
        if (within(obj, bound, x->time, x->cost)) g_array_index(cand, struct label, w++) = *x;
      }
      keep_front((struct label *)(void *)cand->data, w, labels[i]);
    }
  }
  /* the sink's output back to the client, then the best within the bound */
  uint32_t sink = chain[n - 1];
  const GArray *last = labels[n - 1];
  size_t best = SIZE_MAX;
  double best_val = INFINITY;
  for (size_t j = 0; j < last->len; j++) {
    const struct label *a = &g_array_index(last, struct label, j);
    double t = a->time + p->out_time[sink][a->place], c = a->cost + p->out_cost[sink][a->place];
    double val = obj == PLACE_MIN_TIME ? t : c;
    if (within(obj, bound, t, c) && val < best_val) {
      best_val = val;
      best = j;
    }
  }
  if (best == SIZE_MAX) {
    set_err(err, g_strdup_printf("placement: no assignment meets the %s of %g %s",
                                 obj == PLACE_MIN_TIME ? "budget" : "deadline", bound,
                                 obj == PLACE_MIN_TIME ? "$" : "s"));
    rc = CM_ERANGE;
  } else {
    for (size_t i = n; i-- > 0;) {
      const struct label *a = &g_array_index(labels[i], struct label, best);
      s->place[chain[i]] = a->place;
      best = a->pred;
    }
    place_evaluate(p, s);
    s->optimal = true;
    s->best_bound = obj == PLACE_MIN_TIME ? s->time : s->cost;
    s->gap = 0;
  }
  for (size_t i = 0; i < n; i++) g_array_free(labels[i], TRUE);
  free(labels);
  g_array_free(cand, TRUE);
  return rc;
}
