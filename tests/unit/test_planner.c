/* The periodic planner (models/cloudless/planner.h) on the sim backend with
 * a scripted world: an invoker answering each (function, provider) after a
 * fixed time (a slow-down from a given time, failures on demand) and a
 * fake store answering every request after 100 ms (a get failure on
 * demand), so every figure is known by hand: the benchmark's calls and
 * storage requests, the optimum on a small DAG, an infeasible plan with its
 * reason, a re-planning round moving a node (redeploy and cleanup), a run
 * resumed from its backup after a store failure, and the contention-aware
 * estimate on a wide DAG with a known schedule. Each test ends with the
 * env drained (nothing pending) and everything freed. */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/planner.h"
#include "env_sim.h"

#define STORE_T CM_MS(100)

struct world {
  GHashTable *objects[2];  /* per store: key -> size */
  int calls[4][2];         /* per function (fa..fd) and provider */
  int bench_ops[2][2][3];  /* per store, location, op: requests with a "planner/bench/" key */
  int run_ops[3];          /* per op, the runs' requests */
  cm_time slow_from;       /* provider 1's fb takes 10x from this time (0: never) */
  int fail_fn, fail_prov;  /* calls of this function on this provider fail (-1: none) */
  const char *fail_key;    /* one get of this key fails (then cleared) */
};

struct pending {
  struct world *w;
  enum store_op op;
  uint32_t store;
  char *key;
  size_t len;
  bool fail;
  env_store_fn sdone;
  env_invoke_fn idone;
  void *arg;
  struct invoke_result res;
};

/* Latency (s) of function f (0..3: fa, fb, fc, fd) on provider p. */
static const double LAT[4][2] = {{1, 2}, {2, 1}, {2, 3}, {1, 1}};

static int fn_index(const char *f) { return f[1] - 'a'; }

static void store_answer(env *e, void *arg) {
  struct pending *p = arg;
  GHashTable *t = p->w->objects[p->store];
  int status = 0;
  size_t len = 0;
  if (p->op == STORE_PUT) {
    g_hash_table_replace(t, g_strdup(p->key), GSIZE_TO_POINTER(p->len));
    len = p->len;
  } else if (p->op == STORE_GET) {
    gpointer v;
    if (p->fail) status = CM_EIO;
    else if (!g_hash_table_lookup_extended(t, p->key, NULL, &v)) status = CM_ENOENT;
    else len = GPOINTER_TO_SIZE(v);
  } else {
    status = g_hash_table_remove(t, p->key) ? 0 : CM_ENOENT;
  }
  p->sdone(e, p->arg, status, NULL, len);
  g_free(p->key);
  g_free(p);
}

static int fake_store(void *world, env *e, enum store_op op, const struct store_req *req, env_store_fn done,
                      void *arg) {
  struct world *w = world;
  if (req->store >= 2 || req->location >= 2) return CM_EINVAL;
  struct pending *p = g_new0(struct pending, 1);
  *p = (struct pending){.w = w, .op = op, .store = req->store, .key = g_strdup(req->key), .len = req->len,
                        .sdone = done, .arg = arg};
  if (g_str_has_prefix(req->key, "planner/bench/")) w->bench_ops[req->store][req->location][op]++;
  else w->run_ops[op]++;
  if (op == STORE_GET && w->fail_key && !strcmp(req->key, w->fail_key)) {
    p->fail = true;
    w->fail_key = NULL;
  }
  env_after(e, STORE_T, store_answer, p);
  return 0;
}

static void call_answer(env *e, void *arg) {
  struct pending *p = arg;
  p->idone(e, p->arg, &p->res);
  g_free(p);
}

static int fake_invoke(void *world, env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct world *w = world;
  int f = fn_index(inv->function);
  if (f < 0 || f > 3 || inv->provider > 1) return CM_EINVAL;
  w->calls[f][inv->provider]++;
  struct pending *p = g_new0(struct pending, 1);
  p->idone = done;
  p->arg = arg;
  double s = LAT[f][inv->provider];
  if (f == 1 && inv->provider == 1 && w->slow_from && env_now(e) >= w->slow_from) s *= 10;
  p->res.latency = cm_time_from_s(s);
  p->res.exec_time = p->res.latency;
  p->res.status = f == w->fail_fn && (int)inv->provider == w->fail_prov ? INVOKE_ERROR : INVOKE_OK;
  env_after(e, p->res.latency, call_answer, p);
  return 0;
}

/* a -> {b, c} -> d, functions fa..fd */
static dag *diamond(void) {
  dag *d = dag_new();
  const char *names[4] = {"a", "b", "c", "d"}, *fns[4] = {"fa", "fb", "fc", "fd"};
  for (int i = 0; i < 4; i++) {
    struct dag_node n = {.out_bytes = 1000};
    g_strlcpy(n.name, names[i], sizeof n.name);
    g_strlcpy(n.function, fns[i], sizeof n.function);
    assert_true(dag_add_node(d, &n, NULL) >= 0);
  }
  assert_int_equal(dag_add_edge(d, "a", "b", NULL), 0);
  assert_int_equal(dag_add_edge(d, "a", "c", NULL), 0);
  assert_int_equal(dag_add_edge(d, "b", "d", NULL), 0);
  assert_int_equal(dag_add_edge(d, "c", "d", NULL), 0);
  assert_int_equal(dag_seal(d, NULL), 0);
  return d;
}

struct fx {
  env *e;
  struct world w;
  dag *d;
  struct planner_provider prov[2];
  struct planner_store st[2];
  struct planner_plan plan;
  uint32_t backup[1];
  struct planner_config cfg;
  /* what the observer heard */
  int rows, moves, dones, status;
  char msg[256], reason[256], failure[256];
  struct planner_row last;
  struct dagexec_place place[4];
  uint32_t moved_node[8], moved_prov[8];
  char moved_dec[8][16];
};

static void on_row(void *arg, const struct planner_row *r) {
  struct fx *f = arg;
  f->rows++;
  f->last = *r;
  if (r->place) memcpy(f->place, r->place, sizeof f->place);
  g_strlcpy(f->reason, r->reason ? r->reason : "", sizeof f->reason);
  g_strlcpy(f->failure, r->failure ? r->failure : "", sizeof f->failure);
}

static void on_move(void *arg, const struct planner_move *m) {
  struct fx *f = arg;
  if (f->moves < 8) {
    f->moved_node[f->moves] = m->node;
    f->moved_prov[f->moves] = m->provider;
    g_strlcpy(f->moved_dec[f->moves], m->decision, sizeof f->moved_dec[0]);
  }
  f->moves++;
}

static void on_done(void *arg, int status, const char *msg) {
  struct fx *f = arg;
  f->dones++;
  f->status = status;
  g_strlcpy(f->msg, msg ? msg : "", sizeof f->msg);
  env_stop(f->e);
}

static void fx_init(struct fx *f) {
  memset(f, 0, sizeof *f);
  f->e = env_sim_new(7);
  for (int i = 0; i < 2; i++) f->w.objects[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  f->w.fail_fn = f->w.fail_prov = -1;
  env_sim_set_invoker(f->e, fake_invoke, &f->w);
  env_sim_set_storage(f->e, fake_store, &f->w);
  f->d = diamond();
  f->prov[0] = (struct planner_provider){.name = "p0", .cloud = "x", .per_container = 1};
  f->prov[1] = (struct planner_provider){.name = "p1", .cloud = "", .per_container = 1};
  assert_int_equal(cost_price_builtin("lambda", 1024, 0, &f->prov[0].price), 0);
  assert_int_equal(cost_price_builtin("edge", 0, 0, &f->prov[1].price), 0);
  f->st[0] = (struct planner_store){.name = "s0", .cloud = ""};
  f->st[1] = (struct planner_store){.name = "s1", .cloud = ""};
  f->plan = (struct planner_plan){.name = "p", .solver = PLANNER_EXACT, .objective = PLACE_MIN_TIME,
                                  .bound = INFINITY};
  f->cfg = (struct planner_config){.d = f->d, .providers = f->prov, .nproviders = 2, .stores = f->st, .nstores = 2,
                                   .plans = &f->plan, .nplans = 1, .bench_calls = 2, .runs = 1,
                                   .max_attempts = 1, .time_limit_s = 5};
}

/* Start, run until done; the env then holds nothing pending. */
static void fx_run(struct fx *f) {
  struct planner_observer obs = {.row = on_row, .move = on_move, .done = on_done, .arg = f};
  char *err = NULL;
  planner *p = planner_start(f->e, &f->cfg, &obs, &err);
  assert_non_null(p);
  assert_int_equal(env_run(f->e, CM_TIME_MAX), 0);
  assert_int_equal(f->dones, 1);
  planner_free(p);
  assert_int_equal(engine_pending(env_sim_engine(f->e)), 0);
}

static void fx_free(struct fx *f) {
  for (int i = 0; i < 2; i++) g_hash_table_destroy(f->w.objects[i]);
  dag_free(f->d);
  env_free(f->e);
}

/* The benchmark: per node and provider a warm-up and bench_calls calls,
 * per function and provider a pair; a put and a get of each stored output
 * (a, b, c: d is a sink) from every provider to every store; then one run
 * of the placement: 4 calls, 3 puts, 4 gets, 3 deletes. */
static void test_benchmark_requests(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  fx_run(&f);
  assert_int_equal(f.status, 0);
  int total = 0;
  for (int fn = 0; fn < 4; fn++)
    for (int p = 0; p < 2; p++) {
      int run = (fn == 0 || fn == 2) ? p == 0 : p == 1; /* where the run placed it (test_optimum) */
      assert_int_equal(f.w.calls[fn][p], 1 + 2 + 2 + run);
      total += f.w.calls[fn][p];
    }
  assert_int_equal(total, 44);
  for (int s = 0; s < 2; s++)
    for (int l = 0; l < 2; l++) {
      assert_int_equal(f.w.bench_ops[s][l][STORE_PUT], 3);
      assert_int_equal(f.w.bench_ops[s][l][STORE_GET], 3);
      assert_int_equal(f.w.bench_ops[s][l][STORE_DELETE], 3); /* each benchmark object deleted after its get */
    }
  assert_int_equal(f.w.run_ops[STORE_PUT], 3);
  assert_int_equal(f.w.run_ops[STORE_GET], 4);
  assert_int_equal(f.w.run_ops[STORE_DELETE], 3);
  fx_free(&f);
}

/* The optimum by hand: a on p0 (1 s), c on p0 (2 s, the critical branch),
 * b and d where they are free (p1, the edge: b 1 s, d 1 s; ties on time go
 * to the cheaper). Time: a 1 + write 0.1 + read 0.1 + c 2 + 0.1 + 0.1 +
 * d 1 = 4.4 s, estimated and measured alike. */
static void test_optimum(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  fx_run(&f);
  assert_int_equal(f.rows, 1);
  assert_true(f.last.feasible);
  assert_true(f.last.optimal);
  assert_true(f.last.gap == 0);
  const uint32_t want[4] = {0, 1, 0, 1};
  for (int v = 0; v < 4; v++) assert_int_equal(f.place[v].provider, want[v]);
  assert_true(fabs(f.last.path_s - 4.4) < 1e-9);
  assert_true(fabs(f.last.estimate_s - 4.4) < 1e-9);
  assert_int_equal(f.last.runs, 1);
  assert_int_equal(f.last.failed, 0);
  assert_true(fabs(f.last.time_s - 4.4) < 1e-9);
  fx_free(&f);
}

/* Every call of fa fails on p0, and the plan may use p0 only: node a has
 * no usable provider. The row says so with the reason and no figure; done
 * reports CM_EIO; nothing runs. */
static void test_infeasible(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  f.w.fail_fn = 0;
  f.w.fail_prov = 0;
  uint32_t only0[1] = {0};
  f.plan.allowed = only0;
  f.plan.nallowed = 1;
  fx_run(&f);
  assert_int_equal(f.rows, 1);
  assert_false(f.last.feasible);
  assert_null(f.last.place);
  assert_true(isnan(f.last.estimate_s) && isnan(f.last.cost_usd) && isnan(f.last.path_s));
  assert_non_null(strstr(f.reason, "node 'a' has no usable provider"));
  assert_non_null(strstr(f.reason, "p0: error"));
  assert_int_equal(f.status, CM_EIO);
  assert_non_null(strstr(f.msg, "infeasible"));
  assert_int_equal(f.w.run_ops[STORE_PUT], 0);
  /* a budget nothing meets: CM_ERANGE, the bound named */
  struct fx g;
  fx_init(&g);
  g.plan.bound = 1e-12;
  g.prov[1].price = g.prov[0].price; /* nothing free */
  fx_run(&g);
  assert_false(g.last.feasible);
  assert_int_equal(g.status, CM_ERANGE);
  assert_non_null(strstr(g.msg, "budget_usd: infeasible"));
  fx_free(&g);
  fx_free(&f);
}

/* Re-planning every 60 s for 150 s; the first benchmark ends at 54.4 s
 * (39 s of calls, 13 s of pairs, 24 storage requests) and places b on p1
 * (1 s). From 50 s provider 1's fb is 10x slower (10 s): the round at
 * 114.4 s moves b to p0 (2 s), recording a redeploy to p0 and a cleanup of
 * p1; nothing else moves. */
static void test_replan_moves(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  f.cfg.replan = CM_S(60);
  f.cfg.horizon = CM_S(150);
  f.w.slow_from = CM_S(50);
  fx_run(&f);
  assert_int_equal(f.status, 0);
  assert_true(f.rows >= 2);
  assert_int_equal(f.moves, 2);
  assert_int_equal(f.moved_node[0], 1);
  assert_string_equal(f.moved_dec[0], "redeploy");
  assert_int_equal(f.moved_prov[0], 0);
  assert_int_equal(f.moved_node[1], 1);
  assert_string_equal(f.moved_dec[1], "cleanup");
  assert_int_equal(f.moved_prov[1], 1);
  assert_int_equal(f.place[1].provider, 0);
  fx_free(&f);
}

/* With a backup store, a run whose read of a's output fails (node b fails)
 * is resumed once: a is not run again (skipped), the run succeeds. */
static void test_resume(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  f.backup[0] = 1;
  f.cfg.backup = f.backup;
  f.cfg.nbackup = 1;
  f.w.fail_key = "p/0/a";
  fx_run(&f);
  assert_int_equal(f.status, 0);
  assert_int_equal(f.last.runs, 1);
  assert_int_equal(f.last.failed, 0);
  assert_int_equal(f.last.resumed, 1);
  assert_true(f.last.skipped_nodes >= 1);
  assert_int_equal(f.w.calls[0][0], 1 + 2 + 2 + 1); /* a ran once in the run: not again on resume */
  /* why the first attempt failed, as the row records it */
  assert_non_null(strstr(f.failure, "run 0, node 'b': reading a parent's output from store"));
  fx_free(&f);
}

/* The estimate's list schedule on s -> {x1..x4} -> t, all on provider 0,
 * every call 1 s of execution and no network or storage time; x's function
 * has 2 warm containers and a 0.5 s cold start. With 2 slots: x1, x2 at
 * 1-2, x3, x4 queued to 2-3 (warm again), t 3-4: 4 s. Unlimited slots: x3,
 * x4 start cold, 1-2.5, t 2.5-3.5: 3.5 s; a second run finds 4 warm
 * containers (3 s): mean 3.25 s. The critical path alone says 3 s. */
static void test_estimate_wide(void **state CM_UNUSED) {
  dag *d = dag_new();
  const char *names[6] = {"s", "x1", "x2", "x3", "x4", "t"}, *fns[6] = {"fs", "fx", "fx", "fx", "fx", "ft"};
  for (int i = 0; i < 6; i++) {
    struct dag_node n = {0};
    g_strlcpy(n.name, names[i], sizeof n.name);
    g_strlcpy(n.function, fns[i], sizeof n.function);
    assert_true(dag_add_node(d, &n, NULL) >= 0);
  }
  for (int i = 1; i <= 4; i++) {
    assert_int_equal(dag_add_edge(d, "s", names[i], NULL), 0);
    assert_int_equal(dag_add_edge(d, names[i], "t", NULL), 0);
  }
  assert_int_equal(dag_seal(d, NULL), 0);
  struct dagexec_place pl[6] = {{0}};
  double one[6] = {1, 1, 1, 1, 1, 1}, zero[8] = {0}, cold[6] = {0, 0.5, 0.5, 0.5, 0.5, 0};
  uint32_t pool[6] = {0, 1, 1, 1, 1, 5}, warm[6] = {1, 2, 2, 2, 2, 1}, slots[1] = {2}, cc[1] = {1}, out[6] = {0};
  struct planner_sim s = {.d = d, .place = pl, .call_s = one, .exec_s = one, .cold_s = cold, .write_s = zero,
                          .read_s = zero, .pool = pool, .warm = warm, .slots = slots, .per_container = cc,
                          .nproviders = 1, .containers_out = out};
  assert_true(fabs(planner_simulate(&s, 1) - 4.0) < 1e-12);
  assert_int_equal(out[1], 2);
  slots[0] = 0;
  assert_true(fabs(planner_simulate(&s, 1) - 3.5) < 1e-12);
  assert_int_equal(out[1], 4);
  assert_true(fabs(planner_simulate(&s, 2) - 3.25) < 1e-12);
  dag_free(d);
}

/* A config the planner cannot take: no start, one line. */
static void test_bad_config(void **state CM_UNUSED) {
  struct fx f;
  fx_init(&f);
  struct planner_observer obs = {.row = on_row, .done = on_done, .arg = &f};
  char *err = NULL;
  f.cfg.runs = 0;
  assert_null(planner_start(f.e, &f.cfg, &obs, &err));
  assert_non_null(strstr(err, "runs"));
  g_free(err);
  f.cfg.runs = 1;
  uint32_t bad[1] = {7};
  f.plan.allowed = bad;
  f.plan.nallowed = 1;
  assert_null(planner_start(f.e, &f.cfg, &obs, &err));
  g_free(err);
  assert_int_equal(engine_pending(env_sim_engine(f.e)), 0);
  fx_free(&f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_benchmark_requests), cmocka_unit_test(test_optimum),
      cmocka_unit_test(test_infeasible),         cmocka_unit_test(test_replan_moves),
      cmocka_unit_test(test_resume),             cmocka_unit_test(test_estimate_wide),
      cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
