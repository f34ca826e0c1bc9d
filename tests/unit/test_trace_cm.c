/* Our trace format (traces/trace_cm.c, traces/trace_write.c): rows written
 * in completion order come back in arrival order with every field intact,
 * ties by id; "auto" recognises the format; filters keep what they name;
 * the writer refuses rows the reader would refuse; and every malformed
 * input stops with "FILE:LINE:COL: expected ..." at the right place. */
#include "cmocka_inc.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>

#include "trace.h"
#include "trace_write.h"

static char *tmp_path(const char *name) {
  return g_strdup_printf("%s/cm-trace-%d-%s", g_get_tmp_dir(), (int)getpid(), name);
}

static void write_text(const char *path, const char *text) {
  FILE *f = fopen(path, "wb");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

/* Out of arrival order, as a recorder writes them: 3 ended first. */
static const struct trace_inv rows[] = {
    {.id = 3, .t = 2000, .function = "resnet", .duration = 350000000, .memory_mb = 512.5, .request_bytes = 4194304,
     .response_bytes = 1024, .outcome = "completed", .provider = "aws-lambda", .latency = 420000000},
    {.id = 1, .t = 0, .function = "empty", .duration = 0, .memory_mb = 0, .request_bytes = 0, .response_bytes = 0,
     .outcome = "dropped:no_provider", .provider = NULL, .latency = 0},
    {.id = 4, .t = 1000, .function = "resnet", .duration = 1, .memory_mb = 64, .request_bytes = 1,
     .response_bytes = 2, .outcome = "failed:throttled", .provider = "gcp-cloudrun", .latency = 7},
    {.id = 2, .t = 1000, .function = "empty", .duration = 9, .memory_mb = 128, .request_bytes = 10,
     .response_bytes = 20, .outcome = "cached", .provider = NULL, .latency = 0},
};

static void write_rows(const char *path) {
  char *err = NULL;
  trace_writer *w = trace_writer_open(path, &err);
  assert_non_null(w);
  for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) assert_int_equal(trace_writer_add(w, &rows[i]), 0);
  assert_int_equal(trace_writer_rows(w), G_N_ELEMENTS(rows));
  assert_int_equal(trace_writer_close(w, &err), 0);
}

static void assert_same(const struct trace_inv *a, const struct trace_inv *b) {
  assert_int_equal(a->id, b->id);
  assert_int_equal(a->t, b->t);
  assert_string_equal(a->function, b->function);
  assert_int_equal(a->duration, b->duration);
  assert_true(a->memory_mb == b->memory_mb);
  assert_int_equal(a->request_bytes, b->request_bytes);
  assert_int_equal(a->response_bytes, b->response_bytes);
  assert_string_equal(a->outcome, b->outcome);
  if (b->provider) assert_string_equal(a->provider, b->provider);
  else assert_null(a->provider);
  assert_int_equal(a->latency, b->latency);
}

static void test_round_trip_sorted(void **state CM_UNUSED) {
  char *path = tmp_path("rt.csv");
  write_rows(path);
  char *err = NULL;
  trace_src *s = trace_open("auto", path, NULL, &err); /* sniffed */
  assert_non_null(s);
  assert_string_equal(trace_format(s), "cloudmix");
  const size_t order[] = {1, 3, 2, 0}; /* t 0; t 1000 ids 2 then 4; t 2000 */
  struct trace_inv v;
  uint32_t fn[G_N_ELEMENTS(order)];
  for (size_t i = 0; i < G_N_ELEMENTS(order); i++) {
    assert_int_equal(trace_next(s, &v), 1);
    assert_same(&v, &rows[order[i]]);
    fn[i] = v.fn;
  }
  /* one number per function, below the number of functions (2) */
  assert_int_equal(fn[0], fn[1]); /* empty, empty */
  assert_int_equal(fn[2], fn[3]); /* resnet, resnet */
  assert_int_not_equal(fn[0], fn[2]);
  assert_true(fn[0] < 2 && fn[2] < 2);
  assert_int_equal(trace_next(s, &v), 0);
  assert_int_equal(trace_next(s, &v), 0);
  trace_free(s);
  unlink(path);
  g_free(path);
}

static void test_filters(void **state CM_UNUSED) {
  char *path = tmp_path("filt.csv");
  write_rows(path);
  char *err = NULL;
  struct trace_opts o = {.functions = "resnet,other"};
  trace_src *s = trace_open("cloudmix", path, &o, &err);
  assert_non_null(s);
  struct trace_inv v;
  assert_int_equal(trace_next(s, &v), 1);
  assert_int_equal(v.id, 4);
  assert_int_equal(trace_next(s, &v), 1);
  assert_int_equal(v.id, 3);
  assert_int_equal(trace_next(s, &v), 0);
  trace_free(s);
  o = (struct trace_opts){.start = 1000, .length = 1000}; /* [1000, 2000) */
  s = trace_open("cloudmix", path, &o, &err);
  assert_non_null(s);
  assert_int_equal(trace_next(s, &v), 1);
  assert_int_equal(v.id, 2);
  assert_int_equal(trace_next(s, &v), 1);
  assert_int_equal(v.id, 4);
  assert_int_equal(trace_next(s, &v), 0);
  trace_free(s);
  unlink(path);
  g_free(path);
}

static void test_writer_refuses(void **state CM_UNUSED) {
  char *path = tmp_path("bad-w.csv");
  char *err = NULL;
  trace_writer *w = trace_writer_open(path, &err);
  assert_non_null(w);
  struct trace_inv v = rows[0];
  v.function = "a,b";
  assert_int_equal(trace_writer_add(w, &v), CM_EINVAL);
  v = rows[0];
  v.outcome = "failed:";
  assert_int_equal(trace_writer_add(w, &v), CM_EINVAL);
  v = rows[0];
  v.outcome = "ok";
  assert_int_equal(trace_writer_add(w, &v), CM_EINVAL);
  v = rows[0];
  v.id = 0;
  assert_int_equal(trace_writer_add(w, &v), CM_EINVAL);
  v = rows[0];
  v.provider = "has space";
  assert_int_equal(trace_writer_add(w, &v), CM_EINVAL);
  assert_int_equal(trace_writer_rows(w), 0);
  assert_int_equal(trace_writer_close(w, &err), 0);
  assert_null(trace_writer_open("/nonexistent-dir/x.csv", &err));
  assert_non_null(strstr(err, "/nonexistent-dir/x.csv: cannot create"));
  g_free(err);
  unlink(path);
  g_free(path);
}

#define HEAD "#cloudmix-trace v1\nid,arrival_ns,function,request_bytes,response_bytes,exec_ns,memory_mb,outcome,provider,latency_ns\n"
#define GOOD "1,0,f,0,0,0,0,completed,p,5\n"

/* text, the error after "FILE:" */
static const struct {
  const char *text, *want;
} bad[] = {
    {HEAD GOOD "2,x5,f,0,0,0,0,completed,p,5\n", "4:3: expected arrival_ns: an integer >= 0, found 'x5'"},
    {HEAD GOOD "2,-5,f,0,0,0,0,completed,p,5\n", "4:3: expected arrival_ns"},
    {HEAD "\n# comment\n2,5,f,0,0,0,0,completed,p\n", "5:26: expected 10 fields, found 9 (missing latency_ns)"},
    {HEAD "2,5,f,0,0,0,0,completed,p,5,9\n", "3:29: expected 10 fields, found more"},
    {HEAD "2,5,f,0,0,0,0,ok,p,5\n", "3:15: expected outcome: completed, cached, failed:REASON"},
    {HEAD "2,5,,0,0,0,0,completed,p,5\n", "3:5: expected function"},
    {HEAD "2,5,f,0,0,0,lots,completed,p,5\n", "3:13: expected memory_mb"},
    {HEAD "0,5,f,0,0,0,0,completed,p,5\n", "3:1: expected id: an integer >= 1"},
    {HEAD "2,5,f,0,0,0,0,completed,p,99999999999999999999\n", "3:27: expected latency_ns"},
    {HEAD GOOD "1,7,f,0,0,0,0,completed,p,5\n", "4:1: expected a new id, found 1 again (first on line 3)"},
    {"#cloudmix-trace v2\n", "1:18: expected version 1, found 2"},
    {"id,arrival_ns\n", "1:1: expected the header '#cloudmix-trace v1'"},
    {"#cloudmix-trace v1\nid,t\n", "2:1: expected the column line"},
    {"#cloudmix-trace v1\n", "2:1: expected the column line"},
    {"", "1:1: expected the header line"},
};

static void test_malformed(void **state CM_UNUSED) {
  char *path = tmp_path("bad.csv");
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    write_text(path, bad[i].text);
    char *err = NULL;
    trace_src *s = trace_open("cloudmix", path, NULL, &err);
    if (s) fail_msg("case %zu: accepted", i);
    char *want = g_strdup_printf("%s:%s", path, bad[i].want);
    if (!g_str_has_prefix(err, want)) fail_msg("case %zu:\n got  %s\n want %s", i, err, want);
    g_free(want);
    g_free(err);
  }
  unlink(path);
  char *err = NULL;
  assert_null(trace_open("cloudmix", path, NULL, &err)); /* gone */
  assert_non_null(strstr(err, path));
  assert_non_null(strstr(err, "cannot open"));
  g_free(err);
  write_text(path, "t,x\n1,2\n");
  assert_null(trace_open("auto", path, NULL, &err));
  assert_non_null(strstr(err, "not a trace of a known format"));
  g_free(err);
  assert_null(trace_open("nosuch", path, NULL, &err));
  assert_non_null(strstr(err, "unknown trace format 'nosuch'"));
  g_free(err);
  unlink(path);
  g_free(path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip_sorted),
      cmocka_unit_test(test_filters),
      cmocka_unit_test(test_writer_refuses),
      cmocka_unit_test(test_malformed),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
