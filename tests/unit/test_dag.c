/* The workflow DAG (models/cloudless/dag.h): building, the topological
 * order and adjacency of the seed's Fig. 7 workflow, chains, and the clear
 * errors for a cycle, a dangling edge, duplicates and an empty workflow. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>

#include "cloudless/dag.h"

static int add(dag *d, const char *name, const char *function, uint64_t out) {
  struct dag_node n = {.out_bytes = out};
  g_strlcpy(n.name, name, sizeof n.name);
  g_strlcpy(n.function, function, sizeof n.function);
  return dag_add_node(d, &n, NULL);
}

/* Seed Fig. 7: preprocess -> {resnet, vgg} -> persist. */
static dag *fig7(void) {
  dag *d = dag_new();
  add(d, "persist", "persist", 0);
  add(d, "vgg", "vgg16", 4000);
  add(d, "resnet", "resnet18", 4000);
  add(d, "preprocess", "preprocess", 4000000);
  assert_int_equal(dag_add_edge(d, "preprocess", "resnet", NULL), 0);
  assert_int_equal(dag_add_edge(d, "preprocess", "vgg", NULL), 0);
  assert_int_equal(dag_add_edge(d, "resnet", "persist", NULL), 0);
  assert_int_equal(dag_add_edge(d, "vgg", "persist", NULL), 0);
  return d;
}

static void test_fig7(void **state CM_UNUSED) {
  dag *d = fig7();
  dag_set_input(d, 4 << 20);
  assert_int_equal(dag_seal(d, NULL), 0);
  assert_int_equal(dag_size(d), 4);
  assert_int_equal(dag_edges(d), 4);
  assert_int_equal(dag_input(d), 4 << 20);
  /* parents before children; ties by node number: vgg (1) before resnet (2) */
  const uint32_t *t = dag_topo(d);
  assert_int_equal(t[0], dag_find(d, "preprocess"));
  assert_int_equal(t[1], dag_find(d, "vgg"));
  assert_int_equal(t[2], dag_find(d, "resnet"));
  assert_int_equal(t[3], dag_find(d, "persist"));
  size_t n;
  const uint32_t *p = dag_parents(d, (size_t)dag_find(d, "persist"), &n);
  assert_int_equal(n, 2);
  assert_int_equal(p[0], dag_find(d, "resnet")); /* edge order */
  assert_int_equal(p[1], dag_find(d, "vgg"));
  const uint32_t *c = dag_children(d, (size_t)dag_find(d, "preprocess"), &n);
  assert_int_equal(n, 2);
  assert_int_equal(c[0], dag_find(d, "resnet"));
  const uint32_t *s = dag_sources(d, &n);
  assert_int_equal(n, 1);
  assert_int_equal(s[0], dag_find(d, "preprocess"));
  s = dag_sinks(d, &n);
  assert_int_equal(n, 1);
  assert_int_equal(s[0], dag_find(d, "persist"));
  assert_false(dag_is_chain(d));
  assert_string_equal(dag_node(d, 1)->function, "vgg16");
  assert_null(dag_node(d, 4));
  assert_int_equal(dag_find(d, "nope"), -1);
  /* sealed: no more changes */
  char *err = NULL;
  assert_int_equal(add(d, "late", "f", 0), -1);
  assert_int_equal(dag_add_edge(d, "vgg", "resnet", &err), CM_EINVAL);
  g_free(err);
  dag_free(d);
}

static void test_chain_and_single(void **state CM_UNUSED) {
  dag *d = dag_new();
  add(d, "a", "f", 1);
  add(d, "b", "g", 1);
  add(d, "c", "h", 1);
  assert_int_equal(dag_add_edge(d, "b", "c", NULL), 0);
  assert_int_equal(dag_add_edge(d, "a", "b", NULL), 0);
  assert_int_equal(dag_seal(d, NULL), 0);
  assert_true(dag_is_chain(d));
  dag_free(d);
  d = dag_new();
  add(d, "only", "f", 1);
  assert_int_equal(dag_seal(d, NULL), 0);
  assert_true(dag_is_chain(d));
  size_t n;
  dag_sources(d, &n);
  assert_int_equal(n, 1);
  dag_sinks(d, &n);
  assert_int_equal(n, 1);
  dag_free(d);
  /* two disjoint chains are not one chain */
  d = dag_new();
  add(d, "a", "f", 1);
  add(d, "b", "f", 1);
  assert_int_equal(dag_seal(d, NULL), 0);
  assert_false(dag_is_chain(d));
  dag_free(d);
}

static void test_errors(void **state CM_UNUSED) {
  char *err = NULL;
  dag *d = fig7();
  /* a cycle, named */
  assert_int_equal(dag_add_edge(d, "persist", "preprocess", NULL), 0);
  assert_int_equal(dag_seal(d, &err), CM_EINVAL);
  assert_non_null(strstr(err, "cycle"));
  assert_non_null(strstr(err, "preprocess"));
  assert_non_null(strstr(err, "persist"));
  g_free(err);
  dag_free(d);
  d = dag_new();
  add(d, "a", "f", 0);
  add(d, "b", "f", 0);
  add(d, "c", "f", 0);
  assert_int_equal(dag_add_edge(d, "a", "b", NULL), 0);
  assert_int_equal(dag_add_edge(d, "b", "c", NULL), 0);
  assert_int_equal(dag_add_edge(d, "c", "b", NULL), 0);
  assert_int_equal(dag_seal(d, &err), CM_EINVAL);
  assert_string_equal(err, "the workflow has a cycle: b -> c -> b");
  g_free(err);
  dag_free(d);
  d = dag_new(); /* a longer cycle behind a node that is fine */
  add(d, "a", "f", 0);
  add(d, "b", "f", 0);
  add(d, "c", "f", 0);
  add(d, "d", "f", 0);
  assert_int_equal(dag_add_edge(d, "a", "b", NULL), 0);
  assert_int_equal(dag_add_edge(d, "b", "c", NULL), 0);
  assert_int_equal(dag_add_edge(d, "c", "d", NULL), 0);
  assert_int_equal(dag_add_edge(d, "d", "b", NULL), 0);
  assert_int_equal(dag_seal(d, &err), CM_EINVAL);
  assert_string_equal(err, "the workflow has a cycle: b -> c -> d -> b");
  g_free(err);
  /* dangling, self-loop, duplicate edge, duplicate node */
  assert_int_equal(dag_add_edge(d, "a", "zz", &err), CM_ENOENT);
  assert_string_equal(err, "edge a -> zz: 'zz' is not a node of the workflow");
  g_free(err);
  assert_int_equal(dag_add_edge(d, "a", "a", &err), CM_EINVAL);
  g_free(err);
  assert_int_equal(dag_add_edge(d, "a", "b", &err), CM_EEXIST);
  g_free(err);
  struct dag_node dup = {.name = "a", .function = "f"};
  assert_int_equal(dag_add_node(d, &dup, &err), -1);
  assert_string_equal(err, "node 'a' is defined twice");
  g_free(err);
  struct dag_node empty = {.name = "", .function = "f"};
  assert_int_equal(dag_add_node(d, &empty, &err), -1);
  g_free(err);
  dag_free(d);
  d = dag_new();
  assert_int_equal(dag_seal(d, &err), CM_EINVAL);
  assert_string_equal(err, "the workflow has no nodes");
  g_free(err);
  dag_free(d);
  dag_free(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fig7),
      cmocka_unit_test(test_chain_and_single),
      cmocka_unit_test(test_errors),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
