/* The DAG executor (models/cloudless/dagexec.h) on the sim backend, with a
 * scripted invoker (fixed exec time per function, failures on demand) and
 * a fake store (every request takes 100 ms; objects kept per store), so
 * that every time is known by hand: order and parallelism on the seed's
 * Fig. 7 workflow, the client's input and output riding on the source and
 * sink calls, temporaries deleted after their last reader, retries, a
 * failed workflow, and a resumed one that reruns only what had not
 * finished. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>

#include "cloudless/dagexec.h"
#include "env_sim.h"

#define NSTORES 4
#define STORE_T CM_MS(100)

struct world {
  GHashTable *objects[NSTORES]; /* key -> size */
  GHashTable *calls;            /* function -> count */
  const char *fail_function;    /* calls of this function fail */
  int fail_times;               /* that many times (-1: always) */
  uint32_t fail_store;          /* gets from this store fail (NSTORES: none) */
  size_t last_request[8], last_response[8];
  int ops;
};

struct pending {
  struct world *w;
  enum store_op op;
  uint32_t store;
  char *key;
  size_t len;
  env_store_fn done;
  void *arg;
  env_invoke_fn idone;
  struct invoke_result res;
};

static cm_time exec_of(const char *f) {
  if (!strcmp(f, "preprocess")) return CM_S(1);
  if (!strcmp(f, "resnet18")) return CM_S(2);
  if (!strcmp(f, "vgg16")) return CM_S(3);
  return CM_MS(500);
}

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
    if (p->store == p->w->fail_store)
      status = CM_EIO;
    else if (!g_hash_table_lookup_extended(t, p->key, NULL, &v))
      status = CM_ENOENT;
    else
      len = GPOINTER_TO_SIZE(v);
  } else {
    status = g_hash_table_remove(t, p->key) ? 0 : CM_ENOENT;
  }
  p->done(e, p->arg, status, NULL, len);
  g_free(p->key);
  g_free(p);
}

static int fake_store(void *world, env *e, enum store_op op, const struct store_req *req, env_store_fn done,
                      void *arg) {
  struct world *w = world;
  if (req->store >= NSTORES) return CM_EINVAL;
  struct pending *p = g_new0(struct pending, 1);
  *p = (struct pending){.w = w, .op = op, .store = req->store, .key = g_strdup(req->key), .len = req->len,
                        .done = done, .arg = arg};
  w->ops++;
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
  int *n = g_hash_table_lookup(w->calls, inv->function);
  if (!n) {
    n = g_new0(int, 1);
    g_hash_table_insert(w->calls, g_strdup(inv->function), n);
  }
  (*n)++;
  if (inv->id < 8) {
    w->last_request[inv->id] = inv->request_bytes;
    w->last_response[inv->id] = inv->response_bytes;
  }
  struct pending *p = g_new0(struct pending, 1);
  p->idone = done;
  p->arg = arg;
  p->res.latency = exec_of(inv->function);
  p->res.exec_time = p->res.latency;
  bool fail = w->fail_function && !strcmp(inv->function, w->fail_function) && w->fail_times != 0;
  if (fail && w->fail_times > 0) w->fail_times--;
  p->res.status = fail ? INVOKE_ERROR : INVOKE_OK;
  env_after(e, p->res.latency, call_answer, p);
  return 0;
}

static int calls_of(struct world *w, const char *f) {
  int *n = g_hash_table_lookup(w->calls, f);
  return n ? *n : 0;
}

static void world_init(struct world *w, env *e) {
  memset(w, 0, sizeof *w);
  for (int i = 0; i < NSTORES; i++) w->objects[i] = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  w->calls = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  w->fail_store = NSTORES;
  env_sim_set_invoker(e, fake_invoke, w);
  env_sim_set_storage(e, fake_store, w);
}

static void world_free(struct world *w) {
  for (int i = 0; i < NSTORES; i++) g_hash_table_destroy(w->objects[i]);
  g_hash_table_destroy(w->calls);
}

static void add(dag *d, const char *name, const char *fn, uint64_t out, bool persist) {
  struct dag_node n = {.out_bytes = out, .persist = persist};
  g_strlcpy(n.name, name, sizeof n.name);
  g_strlcpy(n.function, fn, sizeof n.function);
  assert_true(dag_add_node(d, &n, NULL) >= 0);
}

/* Seed Fig. 7; nodes 0 preprocess, 1 resnet, 2 vgg, 3 persist. */
static dag *fig7(void) {
  dag *d = dag_new();
  add(d, "preprocess", "preprocess", 4000000, false);
  add(d, "resnet", "resnet18", 3000, false);
  add(d, "vgg", "vgg16", 5000, false);
  add(d, "persist", "persist", 8000, true);
  assert_int_equal(dag_add_edge(d, "preprocess", "resnet", NULL), 0);
  assert_int_equal(dag_add_edge(d, "preprocess", "vgg", NULL), 0);
  assert_int_equal(dag_add_edge(d, "resnet", "persist", NULL), 0);
  assert_int_equal(dag_add_edge(d, "vgg", "persist", NULL), 0);
  dag_set_input(d, 4194304);
  assert_int_equal(dag_seal(d, NULL), 0);
  return d;
}

/* Each test's world: a sim env with the fake invoker and store, and Fig. 7. */
static void setup(env **e, struct world *w, dag **d, uint64_t seed) {
  *e = env_sim_new(seed);
  world_init(w, *e);
  *d = fig7();
}

static void teardown(env *e, struct world *w, dag *d) {
  world_free(w);
  dag_free(d);
  env_free(e);
}

struct outcome {
  int calls;
  struct dagexec_result r;
  struct dagexec_node_result nodes[8];
};

static void on_done(env *e CM_UNUSED, void *arg, const struct dagexec_result *r) {
  struct outcome *o = arg;
  o->calls++;
  o->r = *r;
  memcpy(o->nodes, r->nodes, 4 * sizeof o->nodes[0]);
}

static const uint32_t PERSIST[2] = {2, 3};

static struct dagexec_config config(const dag *d, const struct dagexec_place *pl) {
  return (struct dagexec_config){.d = d, .place = pl, .persist = PERSIST, .npersist = 2, .key_prefix = "run1",
                                 .max_attempts = 1};
}

static const struct dagexec_place PLACE[4] = {{0, 0, 0}, {1, 0, 0}, {2, 1, 0}, {1, 0, 0}};

static void test_fig7_times(void **state CM_UNUSED) {
  env *e;
  struct world w;
  dag *d;
  setup(&e, &w, &d, 1);
  struct outcome o = {0};
  struct dagexec_config cfg = config(d, PLACE);
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, CM_S(100));
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.r.status, 0);
  assert_int_equal(o.r.failed_node, -1);
  /* preprocess: call 0..1, write ..1.1; resnet, vgg: read ..1.2, call ..3.2 / ..4.2 (together),
   * write ..3.3 / ..4.3; persist: ready 4.3, reads ..4.4, call ..4.9, two persist writes ..5.0 */
  assert_int_equal(o.nodes[0].end, CM_MS(1100));
  assert_int_equal(o.nodes[1].invoked, CM_MS(1200));
  assert_int_equal(o.nodes[2].invoked, CM_MS(1200));
  assert_int_equal(o.nodes[1].end, CM_MS(3300));
  assert_int_equal(o.nodes[2].end, CM_MS(4300));
  assert_int_equal(o.nodes[3].ready, CM_MS(4300));
  assert_int_equal(o.nodes[3].called, CM_MS(4900));
  assert_int_equal(o.r.makespan, CM_MS(5000));
  for (int i = 0; i < 4; i++) assert_int_equal(o.nodes[i].state, DAGEXEC_DONE);
  /* the input rides on the source's call, the output on the sink's */
  assert_int_equal(w.last_request[0], 4194304);
  assert_int_equal(w.last_response[0], 0);
  assert_int_equal(w.last_request[3], 0);
  assert_int_equal(w.last_response[3], 8000);
  /* temporaries gone from store 0; persist's output in both persist stores */
  assert_int_equal(g_hash_table_size(w.objects[0]), 0);
  assert_int_equal(GPOINTER_TO_SIZE(g_hash_table_lookup(w.objects[2], "run1/persist")), 8000);
  assert_int_equal(GPOINTER_TO_SIZE(g_hash_table_lookup(w.objects[3], "run1/persist")), 8000);
  assert_int_equal(o.r.puts, 5);   /* 3 intermediates + 2 persist copies */
  assert_int_equal(o.r.gets, 4);   /* one per edge */
  assert_int_equal(o.r.deletes, 3);
  assert_int_equal(o.r.bytes_read, 4000000 * 2 + 3000 + 5000);
  assert_int_equal(w.ops, 12);
  teardown(e, &w, d);
}

/* A call failing once is retried; failing for good fails the workflow:
 * the nodes after it never start, done comes once, nothing in flight. */
static void test_retry_and_failure(void **state CM_UNUSED) {
  env *e;
  struct world w;
  dag *d;
  setup(&e, &w, &d, 2);
  w.fail_function = "resnet18";
  w.fail_times = 1;
  struct outcome o = {0};
  struct dagexec_config cfg = config(d, PLACE);
  cfg.max_attempts = 2;
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, CM_S(100));
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.r.status, 0);
  assert_int_equal(o.nodes[1].attempts, 2);
  assert_int_equal(calls_of(&w, "resnet18"), 2);
  teardown(e, &w, d);

  setup(&e, &w, &d, 3);
  w.fail_function = "vgg16";
  w.fail_times = -1;
  o = (struct outcome){0};
  cfg = config(d, PLACE);
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, CM_S(100));
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.r.status, CM_EIO);
  assert_int_equal(o.r.failed_node, 2);
  assert_int_equal(o.nodes[0].state, DAGEXEC_DONE);
  assert_int_equal(o.nodes[1].state, DAGEXEC_DONE); /* its branch was already running */
  assert_int_equal(o.nodes[2].state, DAGEXEC_FAILED);
  assert_int_equal(o.nodes[2].call.status, INVOKE_ERROR);
  assert_int_equal(o.nodes[3].state, DAGEXEC_NOT_STARTED);
  assert_int_equal(calls_of(&w, "persist"), 0);
  teardown(e, &w, d);
}

/* Resume: with a backup store, a workflow that failed at persist reruns
 * only persist, reading its parents' outputs from the backup. */
static void test_resume(void **state CM_UNUSED) {
  env *e;
  struct world w;
  dag *d;
  setup(&e, &w, &d, 4);
  static const uint32_t backup[1] = {1};
  w.fail_function = "persist";
  w.fail_times = -1;
  struct outcome o = {0};
  struct dagexec_config cfg = config(d, PLACE);
  cfg.backup = backup;
  cfg.nbackup = 1;
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, CM_S(100));
  assert_int_equal(o.r.status, CM_EIO);
  assert_int_equal(o.r.failed_node, 3);
  bool resume[4];
  for (int i = 0; i < 4; i++) resume[i] = o.nodes[i].state == DAGEXEC_DONE;
  assert_true(resume[0] && resume[1] && resume[2] && !resume[3]);
  /* the backup keeps what the temporaries' deletion removed */
  assert_non_null(g_hash_table_lookup(w.objects[1], "run1/resnet"));
  w.fail_function = NULL;
  o = (struct outcome){0};
  cfg.resume = resume;
  cfg.max_attempts = 1;
  cm_time t0 = env_now(e);
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, t0 + CM_S(100));
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.r.status, 0);
  assert_int_equal(o.nodes[0].state, DAGEXEC_SKIPPED);
  assert_int_equal(o.nodes[3].state, DAGEXEC_DONE);
  /* reads 0.1 + call 0.5 + persist writes 0.1 */
  assert_int_equal(o.r.makespan, CM_MS(700));
  assert_int_equal(calls_of(&w, "preprocess"), 1);
  assert_int_equal(calls_of(&w, "resnet18"), 1);
  assert_int_equal(calls_of(&w, "vgg16"), 1);
  assert_int_equal(calls_of(&w, "persist"), 2);
  assert_non_null(g_hash_table_lookup(w.objects[1], "run1/vgg")); /* backups are never deleted */
  teardown(e, &w, d);
}

/* A read from a failing store fails the reading node. */
static void test_store_failure(void **state CM_UNUSED) {
  env *e;
  struct world w;
  dag *d;
  setup(&e, &w, &d, 5);
  w.fail_store = 0;
  struct outcome o = {0};
  struct dagexec_config cfg = config(d, PLACE);
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), 0);
  env_run(e, CM_S(100));
  assert_int_equal(o.calls, 1);
  assert_int_equal(o.r.status, CM_EIO);
  assert_true(o.r.failed_node == 1 || o.r.failed_node == 2);
  assert_int_equal(o.nodes[1].state, DAGEXEC_FAILED);
  assert_int_equal(o.nodes[1].store_status, CM_EIO);
  assert_int_equal(o.nodes[3].state, DAGEXEC_NOT_STARTED);
  assert_int_equal(calls_of(&w, "resnet18"), 0);
  teardown(e, &w, d);
}

static void test_bad_config(void **state CM_UNUSED) {
  env *e = env_sim_new(6);
  dag *d = fig7();
  struct outcome o = {0};
  struct dagexec_config cfg = config(d, PLACE);
  cfg.max_attempts = 0;
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), CM_EINVAL);
  cfg = config(d, PLACE);
  cfg.npersist = 0; /* persist node without persist stores */
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), CM_EINVAL);
  cfg = config(d, PLACE);
  bool resume[4] = {true, false, false, false};
  cfg.resume = resume; /* without a backup */
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), CM_EINVAL);
  dag *open = dag_new();
  add(open, "a", "f", 1, false);
  cfg = config(open, PLACE); /* not sealed */
  assert_int_equal(dagexec_run(e, &cfg, on_done, &o), CM_EINVAL);
  assert_int_equal(o.calls, 0);
  assert_string_equal(dagexec_state_name(DAGEXEC_SKIPPED), "skipped");
  dag_free(open);
  dag_free(d);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fig7_times), cmocka_unit_test(test_retry_and_failure), cmocka_unit_test(test_resume),
      cmocka_unit_test(test_store_failure), cmocka_unit_test(test_bad_config),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
