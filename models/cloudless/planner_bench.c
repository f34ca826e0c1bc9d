/* The planner's benchmark phase (planner.h, step 1): a list of steps
 * walked from the completions, one request at a time except the pair
 * probes (two calls at once). Each stored output is put, got (length only)
 * and deleted from every location to every store: the benchmark leaves no
 * object behind. */
#include "cloudless/planner_impl.h"

#include <glib.h>
#include <math.h>

enum step_kind { STEP_CALLS, STEP_STORE, STEP_PAIR };

struct step {
  enum step_kind kind;
  uint32_t v, p, s;
};

static GArray *steps_of(const planner *p) {
  GArray *a = g_array_new(FALSE, FALSE, sizeof(struct step));
  for (uint32_t v = 0; v < p->n; v++) {
    for (uint32_t q = 0; q < p->np; q++) g_array_append_val(a, ((struct step){STEP_CALLS, v, q, 0}));
    size_t nch;
    dag_children(p->cfg.d, v, &nch);
    if (!nch && !dag_node(p->cfg.d, v)->persist) continue; /* a sink's output goes to the client */
    for (uint32_t l = 0; l < p->np; l++)
      for (uint32_t s = 0; s < p->ns; s++) g_array_append_val(a, ((struct step){STEP_STORE, v, l, s}));
  }
  for (uint32_t v = 0; v < p->n; v++)
    if (p->fn[v] == v)
      for (uint32_t q = 0; q < p->np; q++) g_array_append_val(a, ((struct step){STEP_PAIR, v, q, 0}));
  return a;
}

static const struct step *cur(const planner *p) {
  GArray *a = p->bsteps;
  return p->bstep < a->len ? &g_array_index(a, struct step, p->bstep) : NULL;
}

static void issue(planner *p);

const char *planner__status_word(enum invoke_status s) {
  static const char *const w[INVOKE_NSTATUS] = {"ok", "error", "throttled", "timeout", "network"};
  return (unsigned)s < INVOKE_NSTATUS ? w[s] : "?";
}

static void advance(planner *p) {
  p->bstep++;
  p->bk = 0;
  p->bgood = 0;
  p->blat = p->bexec = p->busd = 0;
  p->bput = true;
  p->bdel = false;
  issue(p);
}

static size_t pool_of(const planner *p, const struct step *st) { return (size_t)p->fn[st->v] * p->np + st->p; }

static void on_call(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  planner *p = arg;
  const struct step *st = cur(p);
  size_t i = (size_t)st->v * p->np + st->p, pool = pool_of(p, st);
  if (res->status == INVOKE_OK && res->cold_start) p->cold[pool] = fmax(p->cold[pool], cm_time_to_s(res->init_time));
  if (st->kind == STEP_PAIR) {
    if (--p->bpending) return;
    p->breq[0] = p->breq[1] = 0;
    if (p->warm[pool] < 2) p->warm[pool] = 2;
    advance(p);
    return;
  }
  p->breq[0] = 0;
  if (p->bk > 0 && res->status == INVOKE_OK) { /* bk = 0: the warm-up, not counted */
    p->blat += cm_time_to_s(res->latency);
    p->bexec += cm_time_to_s(res->exec_time);
    p->busd += cost_invocation(&p->cfg.providers[st->p].price, res->exec_time, true);
    p->bgood++;
  } else if (res->status != INVOKE_OK) {
    p->why[i] = res->reason ? res->reason : planner__status_word(res->status);
  }
  if (++p->bk <= p->cfg.bench_calls) {
    issue(p);
    return;
  }
  p->ok[i] = p->bgood > 0;
  p->t[i] = p->bgood ? p->blat / p->bgood : INFINITY;
  p->exec[i] = p->bgood ? p->bexec / p->bgood : INFINITY;
  p->usd[i] = p->bgood ? p->busd / p->bgood : INFINITY;
  if (p->bgood && p->warm[pool] < 1) p->warm[pool] = 1;
  advance(p);
}

static void on_store(env *e, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len CM_UNUSED) {
  planner *p = arg;
  const struct step *st = cur(p);
  size_t i = planner__wr(p, st->v, st->p, st->s);
  double took = status == 0 ? cm_time_to_s(env_now(e) - p->bissued) : INFINITY;
  p->breq[0] = 0;
  if (p->bput) {
    p->w[i] = took;
    p->bput = false;
    issue(p);
    return;
  }
  if (p->bdel) { /* the benchmark object is gone (or its store is down): next step */
    p->bdel = false;
    advance(p);
    return;
  }
  p->r[i] = took;
  if (!isfinite(p->w[i]) || !isfinite(p->r[i])) p->w[i] = p->r[i] = INFINITY; /* a store this location cannot use */
  p->bdel = true; /* the benchmark leaves no object behind in a real store */
  issue(p);
}

static void end_bench(planner *p) {
  g_array_free(p->bsteps, TRUE);
  p->bsteps = NULL;
}

/* Issue the current step's next request, or end the benchmark. */
static void issue(planner *p) {
  const struct step *st = cur(p);
  if (!st) {
    end_bench(p);
    p->bench_done(p);
    return;
  }
  const struct planner_provider *pv = &p->cfg.providers[st->p];
  if (st->kind == STEP_STORE) {
    char key[96];
    g_snprintf(key, sizeof key, "planner/bench/%s", dag_node(p->cfg.d, st->v)->name);
    struct store_req q = {.store = st->s, .location = st->p, .key = key, .len = dag_node(p->cfg.d, st->v)->out_bytes,
                          .length_only = true};
    p->bissued = env_now(p->e);
    request_id id = p->bdel   ? env_delete(p->e, &q, on_store, p)
                    : p->bput ? env_put(p->e, &q, on_store, p)
                              : env_get(p->e, &q, on_store, p);
    if (id < 0) {
      const char *store = p->cfg.stores[st->s].name; /* st goes with the steps */
      end_bench(p);
      planner__fail(p, id == CM_ENOSYS ? CM_ENOSYS : CM_EIO, "store '%s': the backend refused a %s from '%s' (%s)%s",
                    store, p->bdel ? "delete" : p->bput ? "put" : "get", pv->name, cm_strerror((int)id),
                    id == CM_ENOSYS ? ": this backend has no client for that store" : "");
      return;
    }
    p->breq[0] = id;
    p->breq_store = true;
    return;
  }
  uint32_t ncalls = st->kind == STEP_PAIR ? 2 : 1;
  p->bpending = ncalls;
  for (uint32_t k = 0; k < ncalls; k++) {
    struct invocation inv = {.id = p->bk, .function = dag_node(p->cfg.d, st->v)->function, .provider = st->p,
                             .bin = pv->bin, .timeout = p->cfg.timeout};
    size_t npar, nch;
    dag_parents(p->cfg.d, st->v, &npar);
    dag_children(p->cfg.d, st->v, &nch);
    inv.request_bytes = npar ? 0 : dag_input(p->cfg.d);
    inv.response_bytes = nch ? 0 : dag_node(p->cfg.d, st->v)->out_bytes;
    request_id id = env_invoke(p->e, &inv, on_call, p);
    if (id < 0) {
      if (k == 1) env_invoke_cancel(p->e, p->breq[0]); /* the pair's first call */
      p->breq[0] = p->breq[1] = 0;
      end_bench(p);
      planner__fail(p, id == CM_ENOSYS ? CM_ENOSYS : CM_EINVAL, "provider '%s': the backend refused the call of %s (%s)",
                    pv->name, inv.function, cm_strerror((int)id));
      return;
    }
    p->breq[k] = id;
    p->breq_store = false;
  }
}

void planner__bench(planner *p, void (*then)(planner *p)) {
  p->bench_done = then;
  p->bsteps = steps_of(p);
  p->bstep = (size_t)-1;
  advance(p);
}
