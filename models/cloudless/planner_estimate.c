/* The contention-aware estimate of a placed workflow (planner.h, step 3):
 * a discrete-event list schedule of the DAG as the executor runs it. A
 * node is ready when its parents are done, reads its parents' outputs (the
 * slowest read), sends its call; the call reaches the provider after half
 * its non-execution time (uplink, scheduling), takes one of the provider's
 * slots or waits in FIFO order, takes an idle container of its function or
 * starts a new one (the measured cold start), runs its execution time,
 * frees the slot, and answers after the other half; the node is done when
 * its slowest write is. What the simulated world shares between parallel
 * branches is exactly this: a provider's slots (Lambda's concurrency
 * limit, a Kubernetes cluster's cores and pods) and its warm containers;
 * its client links and stores serve every request at full bandwidth
 * (sim/faas_run.c, sim/storage.c), so they add no queueing here. Without
 * contention the result is the critical path of placement.h. Pure
 * arithmetic: no env. */
#include "cloudless/planner.h"

#include <glib.h>
#include <math.h>
#include <stdlib.h>

enum { EV_ARRIVE, EV_RELEASE, EV_DONE };

struct ev {
  double t;
  uint64_t seq;
  uint32_t node;
  int kind;
};

struct sim {
  const struct planner_sim *s;
  size_t n;
  GArray *evs;     /* pending, unsorted (n is small: a linear scan) */
  uint64_t seq;
  uint32_t *busy;  /* [provider] */
  uint32_t *active, *containers; /* [pool] */
  uint32_t *left;  /* [node] parents not done */
  double *ready;   /* [node] */
  double *extra;   /* [node] cold start paid */
  GQueue *queue;   /* per provider, FIFO of node + 1 */
  double makespan;
};

static void push(struct sim *m, double t, uint32_t node, int kind) {
  struct ev e = {t, m->seq++, node, kind};
  g_array_append_val(m->evs, e);
}

static bool pop(struct sim *m, struct ev *out) {
  if (m->evs->len == 0) return false;
  guint best = 0;
  for (guint i = 1; i < m->evs->len; i++) {
    const struct ev *a = &g_array_index(m->evs, struct ev, i), *b = &g_array_index(m->evs, struct ev, best);
    if (a->t < b->t || (a->t == b->t && a->seq < b->seq)) best = i;
  }
  *out = g_array_index(m->evs, struct ev, best);
  g_array_remove_index_fast(m->evs, best);
  return true;
}

static double pre_of(const struct planner_sim *s, uint32_t v) { return fmax(0, s->call_s[v] - s->exec_s[v]) / 2; }

/* v's reads are done at t: its call leaves. */
static void send(struct sim *m, uint32_t v, double t) { push(m, t + pre_of(m->s, v), v, EV_ARRIVE); }

/* Start v's slot and container at t. */
static void start(struct sim *m, uint32_t v, double t) {
  const struct planner_sim *s = m->s;
  uint32_t pr = s->place[v].provider, pool = s->pool[v], cc = s->per_container[pr] ? s->per_container[pr] : 1;
  m->busy[pr]++;
  m->extra[v] = 0;
  if (m->active[pool] >= m->containers[pool] * cc) { /* no idle container: a new one, cold */
    m->containers[pool]++;
    m->extra[v] = s->cold_s[v];
  }
  m->active[pool]++;
  push(m, t + m->extra[v] + s->exec_s[v], v, EV_RELEASE);
}

static bool has_slot(const struct sim *m, uint32_t pr) {
  return m->s->slots[pr] == 0 || m->busy[pr] < m->s->slots[pr];
}

static void arrive(struct sim *m, uint32_t v, double t) {
  uint32_t pr = m->s->place[v].provider;
  if (g_queue_is_empty(&m->queue[pr]) && has_slot(m, pr))
    start(m, v, t);
  else
    g_queue_push_tail(&m->queue[pr], GUINT_TO_POINTER(v + 1));
}

static void release(struct sim *m, uint32_t v, double t) {
  const struct planner_sim *s = m->s;
  uint32_t pr = s->place[v].provider;
  m->busy[pr]--;
  m->active[s->pool[v]]--;
  double post = fmax(0, s->call_s[v] - s->exec_s[v]) - pre_of(s, v);
  push(m, t + post + s->write_s[v], v, EV_DONE);
  while (!g_queue_is_empty(&m->queue[pr]) && has_slot(m, pr))
    start(m, GPOINTER_TO_UINT(g_queue_pop_head(&m->queue[pr])) - 1, t);
}

/* v is ready at t (its parents done): its reads, then its call. */
static void ready(struct sim *m, uint32_t v, double t, const uint32_t *in_edge) {
  double rd = 0;
  for (uint32_t e = in_edge[v]; e < in_edge[v + 1]; e++) rd = fmax(rd, m->s->read_s[e]);
  send(m, v, t + rd);
}

static double one_run(struct sim *m, const uint32_t *in_edge) {
  const struct planner_sim *s = m->s;
  m->makespan = 0;
  for (uint32_t v = 0; v < m->n; v++) {
    size_t np;
    dag_parents(s->d, v, &np);
    m->left[v] = (uint32_t)np;
    m->ready[v] = 0;
  }
  for (uint32_t v = 0; v < m->n; v++)
    if (m->left[v] == 0) ready(m, v, 0, in_edge);
  struct ev e;
  while (pop(m, &e)) {
    if (e.kind == EV_ARRIVE) {
      arrive(m, e.node, e.t);
    } else if (e.kind == EV_RELEASE) {
      release(m, e.node, e.t);
    } else {
      m->makespan = fmax(m->makespan, e.t);
      size_t nc;
      const uint32_t *ch = dag_children(s->d, e.node, &nc);
      for (size_t i = 0; i < nc; i++) {
        m->ready[ch[i]] = fmax(m->ready[ch[i]], e.t);
        if (--m->left[ch[i]] == 0) ready(m, ch[i], m->ready[ch[i]], in_edge);
      }
    }
  }
  return m->makespan;
}

double planner_simulate(const struct planner_sim *s, uint32_t nruns) {
  size_t n = dag_size(s->d);
  for (size_t v = 0; v < n; v++)
    if (!isfinite(s->call_s[v]) || !isfinite(s->write_s[v])) return INFINITY;
  struct sim m = {.s = s, .n = n, .evs = g_array_new(FALSE, FALSE, sizeof(struct ev))};
  m.busy = g_new0(uint32_t, s->nproviders);
  m.active = g_new0(uint32_t, n);
  m.containers = g_new0(uint32_t, n);
  m.left = g_new0(uint32_t, n);
  m.ready = g_new0(double, n);
  m.extra = g_new0(double, n);
  m.queue = g_new0(GQueue, s->nproviders);
  uint32_t *in_edge = g_new0(uint32_t, n + 1);
  for (size_t v = 0; v < n; v++) {
    size_t np;
    dag_parents(s->d, v, &np);
    in_edge[v + 1] = in_edge[v] + (uint32_t)np;
    m.containers[s->pool[v]] = s->warm[v];
  }
  double sum = 0, inf = 0;
  for (uint32_t r = 0; r < (nruns ? nruns : 1); r++) {
    double t = one_run(&m, in_edge);
    sum += t;
    inf = fmax(inf, isinf(t));
  }
  if (s->containers_out)
    for (size_t v = 0; v < n; v++) s->containers_out[s->pool[v]] = m.containers[s->pool[v]];
  for (uint32_t p = 0; p < s->nproviders; p++) g_queue_clear(&m.queue[p]);
  g_array_free(m.evs, TRUE);
  g_free(m.busy);
  g_free(m.active);
  g_free(m.containers);
  g_free(m.left);
  g_free(m.ready);
  g_free(m.extra);
  g_free(m.queue);
  g_free(in_edge);
  return inf ? INFINITY : sum / (nruns ? nruns : 1);
}
