/* The public traces' importers (traces/trace_azure2019.c, trace_azure2021.c,
 * trace_huawei2023.c) on the fixtures in traces/samples/ and on files made
 * here: counts per function and interval, arrivals non-decreasing and
 * inside their interval, equidistant spacing exact, uniform and Poisson
 * spreading reproducible for a seed and different across seeds, durations
 * and memory drawn inside their percentile tables with the median where
 * the table puts it, the function filter and the window; each malformed
 * input's exact "FILE:LINE:COL: expected ..." message; "auto" picking each
 * format. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "trace.h"

#define AZ19 "traces/samples/azure2019"
#define AZ19_INV AZ19 "/invocations_per_function_md.anon.d01.csv"
#define AZ21 "traces/samples/azure2021/invocations.csv"
#define HW "traces/samples/huawei2023"

struct inv {
  cm_time t, duration;
  double memory_mb;
  char fn[80];
  uint64_t id;
};

/* Every invocation of (format, path, o) into *out (g_array of struct inv):
 * the last trace_next's result (0 or -1); *err the open or row error. */
static int pull(const char *format, const char *path, const struct trace_opts *o, GArray **out, char **err) {
  *out = g_array_new(FALSE, TRUE, sizeof(struct inv));
  *err = NULL;
  trace_src *s = trace_open(format, path, o, err);
  if (!s) return -2;
  struct trace_inv v;
  int rc;
  /* fn and function name each other: one number per name, one name per number */
  GHashTable *num = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  GHashTable *name = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  while ((rc = trace_next(s, &v)) == 1) {
    struct inv x = {v.t, v.duration, v.memory_mb, "", v.id};
    g_strlcpy(x.fn, v.function, sizeof x.fn);
    assert_null(v.outcome);
    gpointer k = GUINT_TO_POINTER(v.fn + 1), seen = g_hash_table_lookup(num, v.function);
    if (seen) assert_ptr_equal(seen, k);
    else g_hash_table_insert(num, g_strdup(v.function), k);
    const char *nm = g_hash_table_lookup(name, k);
    if (nm) assert_string_equal(nm, v.function);
    else g_hash_table_insert(name, k, g_strdup(v.function));
    g_array_append_val(*out, x);
  }
  g_hash_table_destroy(num);
  g_hash_table_destroy(name);
  if (rc < 0) {
    *err = g_strdup(trace_error(s));
    assert_int_equal(trace_next(s, &v), -1); /* stays failed */
  }
  trace_free(s);
  return rc;
}

/* Arrivals non-decreasing, ids 1, 2, ... */
static void check_order(GArray *a) {
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i);
    assert_int_equal(x->id, i + 1);
    if (i) assert_true(x->t >= g_array_index(a, struct inv, i - 1).t);
  }
}

/* How many of fn's arrivals fall in [from, to). */
static unsigned count(GArray *a, const char *fn, cm_time from, cm_time to) {
  unsigned n = 0;
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i);
    n += (!fn || !strcmp(x->fn, fn)) && x->t >= from && x->t < to;
  }
  return n;
}

static const struct inv *nth(GArray *a, const char *fn, unsigned k) {
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i);
    if (!strcmp(x->fn, fn) && k-- == 0) return x;
  }
  fail_msg("no arrival %u of %s", k, fn);
  return NULL;
}

#define MINUTES(m) CM_S(60 * (m))

static void test_az19_counts(void **state CM_UNUSED) {
  const char *paths[2] = {AZ19, AZ19_INV}; /* the folder, and the invocations file with its siblings */
  for (int p = 0; p < 2; p++) {
    GArray *a;
    char *err;
    assert_int_equal(pull("azure2019", paths[p], NULL, &a, &err), 0);
    assert_null(err);
    check_order(a);
    assert_int_equal(a->len, 3 + 5 + 1 + 5 + 200 + 7 + 2);
    assert_int_equal(count(a, "fn1a", MINUTES(0), MINUTES(1)), 3);
    assert_int_equal(count(a, "fn1a", MINUTES(1), MINUTES(2)), 0);
    assert_int_equal(count(a, "fn1a", MINUTES(2), MINUTES(3)), 5);
    assert_int_equal(count(a, "fn1a", MINUTES(3), MINUTES(4)), 1);
    for (int m = 0; m < 5; m++) assert_int_equal(count(a, "fn1b", MINUTES(m), MINUTES(m + 1)), 1);
    assert_int_equal(count(a, "fn2a", MINUTES(1), MINUTES(2)), 200);
    assert_int_equal(count(a, "fn2a", MINUTES(4), MINUTES(5)), 7);
    assert_int_equal(count(a, "fn3a", MINUTES(1439), MINUTES(1440)), 2);
    /* equidistant: interval / count apart, the first at the minute's start */
    for (unsigned k = 0; k < 3; k++) assert_int_equal(nth(a, "fn1a", k)->t, CM_S(20) * k);
    for (unsigned k = 0; k < 200; k++) assert_int_equal(nth(a, "fn2a", k)->t, MINUTES(1) + CM_MS(300) * k);
    for (unsigned k = 0; k < 7; k++) assert_int_equal(nth(a, "fn2a", 200 + k)->t, MINUTES(4) + MINUTES(1) * k / 7);
    assert_int_equal(nth(a, "fn3a", 1)->t, MINUTES(1439) + CM_S(30));
    /* a tie at t = 0 goes to the earlier row */
    assert_string_equal(g_array_index(a, struct inv, 0).fn, "fn1a");
    assert_string_equal(g_array_index(a, struct inv, 1).fn, "fn1b");
    for (guint i = 0; i < a->len; i++) {
      const struct inv *x = &g_array_index(a, struct inv, i);
      if (!strcmp(x->fn, "fn1a")) {
        assert_true(x->duration >= CM_MS(20) && x->duration <= CM_MS(800));
        assert_true(x->memory_mb >= 100 && x->memory_mb <= 200);
      } else if (!strcmp(x->fn, "fn2a")) {
        assert_true(x->duration >= CM_MS(200) && x->duration <= CM_MS(4500));
        assert_true(x->memory_mb >= 250 && x->memory_mb <= 360);
      } else if (!strcmp(x->fn, "fn3a")) { /* in neither table: unknown */
        assert_int_equal(x->duration, 0);
        assert_true(x->memory_mb == 0);
      }
    }
    g_array_free(a, TRUE);
  }
  /* the invocations file alone, copied where it has no siblings: no durations */
  char *dir = g_dir_make_tmp("cm-trace-XXXXXX", NULL), *copy = g_build_filename(dir, "inv.csv", NULL), *text;
  gsize n;
  assert_true(g_file_get_contents(AZ19_INV, &text, &n, NULL));
  assert_true(g_file_set_contents(copy, text, (gssize)n, NULL));
  GArray *a;
  char *err;
  assert_int_equal(pull("azure2019", copy, NULL, &a, &err), 0);
  assert_int_equal(a->len, 223);
  for (guint i = 0; i < a->len; i++) assert_int_equal(g_array_index(a, struct inv, i).duration, 0);
  g_array_free(a, TRUE);
  g_unlink(copy);
  g_rmdir(dir);
  g_free(text);
  g_free(copy);
  g_free(dir);
}

static bool same(GArray *a, GArray *b) {
  if (a->len != b->len) return false;
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i), *y = &g_array_index(b, struct inv, i);
    if (x->t != y->t || x->duration != y->duration || strcmp(x->fn, y->fn)) return false;
  }
  return true;
}

/* Uniform and Poisson on the fixture: inside their minutes, the same for a
 * seed, different for another; uniform keeps the counts exactly. */
static void test_az19_random(void **state CM_UNUSED) {
  for (int how = TRACE_SPREAD_UNIFORM; how <= TRACE_SPREAD_POISSON; how++) {
    GArray *run[3];
    char *err;
    for (int i = 0; i < 3; i++) {
      struct trace_opts o = {.spread = (enum trace_spread)how, .seed = i == 2 ? 8 : 7};
      assert_int_equal(pull("azure2019", AZ19, &o, &run[i], &err), 0);
      check_order(run[i]);
    }
    assert_true(same(run[0], run[1]));
    assert_false(same(run[0], run[2]));
    GArray *a = run[0];
    unsigned n2 = count(a, "fn2a", MINUTES(1), MINUTES(2));
    if (how == TRACE_SPREAD_UNIFORM) {
      assert_int_equal(a->len, 223);
      assert_int_equal(n2, 200);
      assert_int_equal(count(a, "fn1a", MINUTES(2), MINUTES(3)), 5);
      assert_int_equal(count(a, "fn3a", MINUTES(1439), MINUTES(1440)), 2);
      /* not equidistant: some gap differs from 0.3 s */
      assert_true(nth(a, "fn2a", 1)->t - nth(a, "fn2a", 0)->t != CM_MS(300) ||
                  nth(a, "fn2a", 2)->t - nth(a, "fn2a", 1)->t != CM_MS(300));
    } else {
      assert_true(n2 >= 140 && n2 <= 260); /* Poisson(200): 4 SD either side */
    }
    /* each function's arrivals stay in minutes whose count is not zero */
    assert_int_equal(count(a, "fn2a", MINUTES(0), MINUTES(1)) + count(a, "fn2a", MINUTES(2), MINUTES(4)), 0);
    assert_int_equal(count(a, "fn3a", 0, MINUTES(1439)), 0);
    assert_int_equal(count(a, "fn1a", MINUTES(1), MINUTES(2)) + count(a, "fn1a", MINUTES(4), MINUTES(1440)), 0);
    for (int i = 0; i < 3; i++) g_array_free(run[i], TRUE);
  }
}

static char *tmpdir;

static char *put(const char *name, const char *text) {
  char *p = g_build_filename(tmpdir, name, NULL);
  assert_true(g_file_set_contents(p, text, -1, NULL));
  return p;
}

static int cmp_dur(const void *a, const void *b) {
  cm_time x = ((const struct inv *)a)->duration, y = ((const struct inv *)b)->duration;
  return (x > y) - (x < y);
}

static int cmp_mem(const void *a, const void *b) {
  double x = ((const struct inv *)a)->memory_mb, y = ((const struct inv *)b)->memory_mb;
  return (x > y) - (x < y);
}

/* 20,000 draws from one function's tables: inside [p0, p100], the median
 * near p50, a quarter below p25; memory inside [pct1, pct100], its median
 * near pct50. */
static void test_az19_draws(void **state CM_UNUSED) {
  char *inv = put("invocations_per_function_md.anon.d07.csv",
                  "HashOwner,HashApp,HashFunction,Trigger,1,2\no,a,f,http,10000,10000\n");
  char *dur = put("function_durations_percentiles.anon.d07.csv",
                  "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,"
                  "percentile_Average_1,percentile_Average_25,percentile_Average_50,percentile_Average_75,"
                  "percentile_Average_99,percentile_Average_100\no,a,f,150,20000,,,10,20,50,100,200,900,1000\n");
  char *mem = put("app_memory_percentiles.anon.d07.csv",
                  "HashOwner,HashApp,SampleCount,AverageAllocatedMb,AverageAllocatedMb_pct1,AverageAllocatedMb_pct5,"
                  "AverageAllocatedMb_pct25,AverageAllocatedMb_pct50,AverageAllocatedMb_pct75,AverageAllocatedMb_pct95,"
                  "AverageAllocatedMb_pct99,AverageAllocatedMb_pct100\no,a,99,170,64,80,120,160,200,300,400,512\n");
  GArray *a;
  char *err;
  struct trace_opts o = {.spread = TRACE_SPREAD_POISSON, .seed = 3};
  assert_int_equal(pull("azure2019", inv, &o, &a, &err), 0);
  assert_true(a->len > 19000 && a->len < 21000);
  unsigned below25 = 0;
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i);
    assert_true(x->duration >= CM_MS(10) && x->duration <= CM_MS(1000));
    assert_true(x->memory_mb >= 64 && x->memory_mb <= 512);
    below25 += x->duration < CM_MS(50);
  }
  assert_true(fabs(below25 / (double)a->len - 0.25) < 0.02);
  qsort(a->data, a->len, sizeof(struct inv), cmp_dur);
  double med = cm_time_to_s(g_array_index(a, struct inv, a->len / 2).duration) * 1e3;
  assert_true(fabs(med - 100) < 5);
  qsort(a->data, a->len, sizeof(struct inv), cmp_mem);
  assert_true(fabs(g_array_index(a, struct inv, a->len / 2).memory_mb - 160) < 5);
  g_array_free(a, TRUE);
  g_unlink(inv);
  g_unlink(dur);
  g_unlink(mem);
  g_free(inv);
  g_free(dur);
  g_free(mem);
}

static void test_az19_filter_window(void **state CM_UNUSED) {
  GArray *a;
  char *err;
  struct trace_opts o = {.functions = "fn1a, fn2a,nothere", .start = MINUTES(1), .length = MINUTES(3)};
  assert_int_equal(pull("azure2019", AZ19, &o, &a, &err), 0);
  check_order(a);
  assert_int_equal(a->len, 5 + 1 + 200);
  assert_int_equal(count(a, "fn1a", MINUTES(2), MINUTES(4)), 6);
  assert_int_equal(count(a, "fn2a", MINUTES(1), MINUTES(2)), 200);
  assert_int_equal(g_array_index(a, struct inv, 0).t, MINUTES(1)); /* times stay on the trace's clock */
  g_array_free(a, TRUE);
  /* half a minute: the arrivals spread over the whole minute, those inside kept */
  o = (struct trace_opts){.functions = "fn2a", .start = CM_S(90), .length = CM_S(30)};
  assert_int_equal(pull("azure2019", AZ19, &o, &a, &err), 0);
  assert_int_equal(a->len, 100);
  assert_int_equal(g_array_index(a, struct inv, 0).t, CM_S(90));
  g_array_free(a, TRUE);
}

static void test_az21(void **state CM_UNUSED) {
  GArray *a;
  char *err;
  assert_int_equal(pull(NULL, AZ21, NULL, &a, &err), 0);
  check_order(a);
  /* arrival = end - duration; the earliest (-2 s) is the clock's 0 */
  static const struct {
    const char *fn;
    double t, d;
  } want[] = {{"appA/f1", 0, 3.5},      {"appB/f1", 5, 1},     {"appB/f1", 5.75, 6},  {"appA/f1", 6, 0.25},
              {"appA/f2", 11.5, 0.5},   {"appA/f1", 14, 0},    {"appC/f9", 14.375, 0.125},
              {"appB/f1", 66, 1},       {"appA/f2", 70, 2},    {"appA/f1", 132, 0.25}};
  assert_int_equal(a->len, G_N_ELEMENTS(want));
  for (guint i = 0; i < a->len; i++) {
    const struct inv *x = &g_array_index(a, struct inv, i);
    assert_string_equal(x->fn, want[i].fn);
    assert_int_equal(x->t, cm_time_from_s(want[i].t));
    assert_int_equal(x->duration, cm_time_from_s(want[i].d));
  }
  g_array_free(a, TRUE);
  char *p = put("header-only.csv", "app,func,end_timestamp,duration\n"); /* no rows: nothing, no error */
  assert_int_equal(pull("azure2021", p, NULL, &a, &err), 0);
  assert_int_equal(a->len, 0);
  g_array_free(a, TRUE);
  g_unlink(p);
  g_free(p);
  struct trace_opts o = {.functions = "appB/f1", .start = CM_S(5), .length = CM_S(60)};
  assert_int_equal(pull("azure2021", AZ21, &o, &a, &err), 0);
  check_order(a); /* ids count the invocations emitted: 1, 2 */
  assert_int_equal(a->len, 2);
  assert_int_equal(g_array_index(a, struct inv, 1).t, CM_MS(5750));
  g_array_free(a, TRUE);
}

static void test_huawei(void **state CM_UNUSED) {
  GArray *a;
  char *err;
  assert_int_equal(pull("huawei2023", HW "/requests_minute", NULL, &a, &err), 0);
  check_order(a);
  assert_int_equal(a->len, 3 + 1 + 4 + 2 + 1 + 60 + 5 + 2);
  assert_int_equal(count(a, "0", 0, MINUTES(1)), 3);
  assert_int_equal(count(a, "7", 0, MINUTES(1)), 1);
  assert_int_equal(count(a, "1", MINUTES(1), MINUTES(2)), 4);
  assert_int_equal(count(a, "7", MINUTES(2), MINUTES(3)), 60);
  assert_int_equal(count(a, "0", CM_S(86400), CM_S(86460)), 5);
  assert_int_equal(count(a, "7", CM_S(86460), CM_S(86520)), 2);
  for (unsigned k = 0; k < 60; k++) assert_int_equal(nth(a, "7", 1 + k)->t, MINUTES(2) + CM_S(1) * k);
  assert_string_equal(g_array_index(a, struct inv, 0).fn, "0"); /* tie at 0: the earlier column */
  assert_string_equal(g_array_index(a, struct inv, 1).fn, "7");
  assert_int_equal(nth(a, "0", 0)->duration, CM_US(12500)); /* function_delay_minute, ms */
  assert_int_equal(nth(a, "7", 0)->duration, CM_MS(100));
  assert_int_equal(nth(a, "1", 0)->duration, CM_US(7250));
  assert_int_equal(nth(a, "7", 1)->duration, CM_MS(250));
  assert_int_equal(nth(a, "0", 5)->duration, CM_MS(11));
  assert_int_equal(nth(a, "7", 61)->duration, CM_MS(300));
  g_array_free(a, TRUE);
  /* the release folder: per second when there is a requests_second */
  assert_int_equal(pull(NULL, HW, NULL, &a, &err), 0);
  check_order(a);
  assert_int_equal(a->len, 2 + 3 + 1 + 1 + 4);
  assert_int_equal(count(a, "4", CM_S(1), CM_S(2)), 3);
  assert_int_equal(nth(a, "4", 1)->t, CM_S(1) + CM_S(1) / 3);
  assert_int_equal(nth(a, "3", 3)->t, CM_S(5));
  assert_int_equal(nth(a, "3", 0)->duration, CM_US(50500));
  assert_int_equal(nth(a, "4", 3)->duration, CM_MS(30));
  g_array_free(a, TRUE);
  /* filter, window, poisson reproducible */
  struct trace_opts o = {.functions = "7", .start = MINUTES(1), .length = MINUTES(2), .spread = TRACE_SPREAD_POISSON,
                         .seed = 11};
  GArray *b;
  assert_int_equal(pull(NULL, HW "/requests_minute/day_00.csv", &o, &a, &err), 0);
  assert_int_equal(pull(NULL, HW "/requests_minute/day_00.csv", &o, &b, &err), 0);
  assert_true(same(a, b));
  assert_true(a->len > 30 && a->len < 90); /* Poisson(60) */
  assert_int_equal(count(a, "7", MINUTES(2), MINUTES(3)), a->len);
  g_array_free(b, TRUE);
  o.seed = 12;
  assert_int_equal(pull(NULL, HW "/requests_minute/day_00.csv", &o, &b, &err), 0);
  assert_false(same(a, b));
  g_array_free(a, TRUE);
  g_array_free(b, TRUE);
}

struct bad {
  const char *format, *file, *text;
  const char *dfile, *dtext; /* a second file (durations, or a delays folder's file) or NULL */
  const char *want;          /* the message after "PATH:" ("delay ": after "DPATH:") */
};

#define HEAD3 "HashOwner,HashApp,HashFunction,Trigger,1,2,3\n"
#define INV "invocations_per_function_md.anon.d02.csv"
#define DUR "function_durations_percentiles.anon.d02.csv"
#define DHEAD                                                                                                     \
  "HashOwner,HashApp,HashFunction,Average,Count,Minimum,Maximum,percentile_Average_0,percentile_Average_1,"       \
  "percentile_Average_25,percentile_Average_50,percentile_Average_75,percentile_Average_99,percentile_Average_100\n"
static const struct bad bads[] = {
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2\n", NULL, NULL, "2:15: expected 7 fields, found 6"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,3,4\n", NULL, NULL, "2:18: expected 7 fields, found 8"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,x,3\n", NULL, NULL, "2:14: expected a count of invocations from 0 to 100000000"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,-1,3\n", NULL, NULL, "2:14: expected a count of invocations from 0 to 100000000"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,100000001\n", NULL, NULL,
     "2:16: expected a count of invocations from 0 to 100000000"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,99999999999999999999999\n", NULL, NULL,
     "2:16: expected a count of invocations from 0 to 100000000"},
    {"azure2019", INV, HEAD3 "o,a,f,cron,1,2,3\n", NULL, NULL,
     "2:7: expected a trigger (http, timer, event, queue, storage, orchestration, others)"},
    {"azure2019", INV, HEAD3 "o,,f,http,1,2,3\n", NULL, NULL, "2:3: expected a non-empty id"},
    {"azure2019", INV, "HashOwner,HashApp,Function,Trigger,1\n", NULL, NULL, "1:19: expected the column \"HashFunction\""},
    {"azure2019", INV, "HashOwner,HashApp,HashFunction,Trigger,1,3\n", NULL, NULL, "1:42: expected the column \"2\""},
    {"azure2019", INV, "HashOwner,HashApp,HashFunction,Trigger\n", NULL, NULL,
     "1:39: expected 1 to 1440 minute columns, found 0"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,3\n", DUR, DHEAD "o,a,f,1,1,1,1,1,2,3,2,5,6,7\n",
     "delay 2:21: expected percentiles in non-decreasing order"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,3\n", DUR, DHEAD "o,a,f,1,1,1,1,1,2,3,4,5,6\n",
     "delay 2:26: expected 14 fields, found 13"},
    {"azure2019", INV, HEAD3 "o,a,f,http,1,2,3\n", DUR, DHEAD "o,a,f,1,1,1,1,1,2,abc,4,5,6,7\n",
     "delay 2:19: expected a non-negative number"},
    {"azure2021", "a.csv", "app,func,end_timestamp,duration\nA,f,1.5\n", NULL, NULL, "2:8: expected 4 fields, found 3"},
    {"azure2021", "a.csv", "app,func,end_timestamp,duration\nA,f,1.5,x\n", NULL, NULL,
     "2:9: expected a duration in seconds from 0 to 1e+09"},
    {"azure2021", "a.csv", "app,func,end_timestamp,duration\nA,f,-1,1\n", NULL, NULL,
     "2:5: expected an end time in seconds from 0 to 1e+09"},
    {"azure2021", "a.csv", "app,func,end_timestamp,duration\nA,f,1,nan\n", NULL, NULL,
     "2:7: expected a duration in seconds from 0 to 1e+09"},
    {"azure2021", "a.csv", "app,func,end,duration\n", NULL, NULL, "1:10: expected the column \"end_timestamp\""},
    {"azure2021", "a.csv", "app,func,end_timestamp,duration,x\n", NULL, NULL, "1:33: expected 4 columns, found 5"},
    {"huawei2023", "requests_minute/day_00.csv", "time,day,0\n", NULL, NULL, "1:1: expected the column \"day\""},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,0\n", NULL, NULL, "1:12: expected each function once"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,x\n", NULL, NULL,
     "2:7: expected a count of requests from 0 to 100000000, or nothing"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,-3\n", NULL, NULL,
     "2:7: expected a count of requests from 0 to 100000000, or nothing"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,2.5\n", NULL, NULL,
     "2:7: expected a count of requests from 0 to 100000000, or nothing"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,1e12\n", NULL, NULL,
     "2:7: expected a count of requests from 0 to 100000000, or nothing"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1\n", NULL, NULL, "2:6: expected 4 fields, found 3"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,60,1,1\n0,90,1,1\n", NULL, NULL,
     "3:3: expected a time at least 60 s after the previous row's"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,6.5,1,1\n", NULL, NULL,
     "2:3: expected a time in whole seconds from 0 to 9000000000"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,1\n0,60,1,1\n", "function_delay_minute/day_00.csv",
     "day,time,0,1\n0,0,5,5\n0,120,5,5\n", "delay 3:3: expected the time 60 of REQ line 3"},
    {"huawei2023", "requests_minute/day_00.csv", "day,time,0,1\n0,0,1,1\n", "function_delay_minute/day_00.csv",
     "day,time,0,1\n0,0,5,-5\n", "delay 2:7: expected a non-negative delay, or nothing"},
};

static void test_malformed(void **state CM_UNUSED) {
  for (size_t i = 0; i < G_N_ELEMENTS(bads); i++) {
    const struct bad *b = &bads[i];
    char *dir = g_dir_make_tmp("cm-trace-XXXXXX", NULL);
    char *path = g_build_filename(dir, b->file, NULL), *sub = g_path_get_dirname(path);
    g_mkdir_with_parents(sub, 0700);
    assert_true(g_file_set_contents(path, b->text, -1, NULL));
    char *dpath = NULL;
    if (b->dfile) {
      dpath = g_build_filename(dir, b->dfile, NULL);
      char *dsub = g_path_get_dirname(dpath);
      g_mkdir_with_parents(dsub, 0700);
      g_free(dsub);
      assert_true(g_file_set_contents(dpath, b->dtext, -1, NULL));
    }
    char *want;
    if (g_str_has_prefix(b->want, "delay ")) {
      want = g_strdup_printf("%s:%s", dpath, b->want + 6);
      char *r = strstr(want, "REQ");
      if (r) {
        char *w2 = g_strdup_printf("%.*s%s%s", (int)(r - want), want, path, r + 3);
        g_free(want);
        want = w2;
      }
    } else {
      want = g_strdup_printf("%s:%s", path, b->want);
    }
    GArray *a;
    char *err;
    int rc = pull(b->format, path, NULL, &a, &err);
    if (!err || strcmp(err, want)) fail_msg("case %zu: got \"%s\", want \"%s\"", i, err ? err : "(none)", want);
    /* a bad header fails trace_open; a bad row fails trace_next */
    assert_int_equal(rc, strstr(b->want, "1:") == b->want ? -2 : -1);
    g_array_free(a, TRUE);
    g_free(err);
    g_free(want);
    g_unlink(path);
    if (dpath) {
      g_unlink(dpath);
      char *d = g_path_get_dirname(dpath);
      g_rmdir(d);
      g_free(d);
    }
    g_rmdir(sub);
    g_rmdir(dir);
    g_free(dpath);
    g_free(sub);
    g_free(path);
    g_free(dir);
  }
}

/* A line longer than the reader takes, and a NUL byte: errors, not allocations. */
static void test_limits(void **state CM_UNUSED) {
  GString *g = g_string_new("app,func,end_timestamp,duration\nA,f,1,");
  while (g->len < (5u << 20)) g_string_append(g, "0000000000");
  g_string_append(g, "\n");
  char *p = put("long.csv", g->str);
  GArray *a;
  char *err;
  assert_int_equal(pull("azure2021", p, NULL, &a, &err), -1);
  char *want = g_strdup_printf("%s:2:4194304: expected a line of at most 4194304 bytes", p);
  assert_string_equal(err, want);
  g_free(want);
  g_free(err);
  g_array_free(a, TRUE);
  g_unlink(p);
  g_free(p);
  g_string_free(g, TRUE);
  p = g_build_filename(tmpdir, "nul.csv", NULL);
  assert_true(g_file_set_contents(p, "app,func,end_timestamp,duration\nA,f\0,1,1\n", 42, NULL));
  assert_int_equal(pull("azure2021", p, NULL, &a, &err), -1);
  want = g_strdup_printf("%s:2:4: expected text, not a NUL byte", p);
  assert_string_equal(err, want);
  g_free(want);
  g_free(err);
  g_array_free(a, TRUE);
  g_unlink(p);
  g_free(p);
}

static void test_auto(void **state CM_UNUSED) {
  static const struct {
    const char *path, *format;
  } cases[] = {{AZ19, "azure2019"},
               {AZ19_INV, "azure2019"},
               {AZ21, "azure2021"},
               {HW, "huawei2023"},
               {HW "/requests_minute", "huawei2023"},
               {HW "/requests_second/day_000.csv", "huawei2023"}};
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    char *err = NULL;
    trace_src *s = trace_open("auto", cases[i].path, NULL, &err);
    if (!s) fail_msg("%s: %s", cases[i].path, err);
    assert_string_equal(trace_format(s), cases[i].format);
    trace_free(s);
  }
  char *p = put("other.csv", "a,b,c\n1,2,3\n"), *err = NULL;
  assert_null(trace_open("auto", p, NULL, &err));
  assert_non_null(strstr(err, "not a trace of a known format"));
  assert_non_null(strstr(err, "azure2019, azure2021, huawei2023"));
  g_free(err);
  g_unlink(p);
  g_free(p);
  assert_null(trace_open("auto", "traces/samples/no-such-trace.csv", NULL, &err)); /* missing: said so */
  assert_string_equal(err, "traces/samples/no-such-trace.csv: cannot open: No such file or directory");
  g_free(err);
  assert_null(trace_open("huawei2023", HW "/requests_minute/day_99.csv", NULL, &err));
  assert_string_equal(err, HW "/requests_minute/day_99.csv: cannot open: no such file or folder");
  g_free(err);
  /* a folder of two days is refused with what to do */
  char *d = g_build_filename(tmpdir, "two", NULL);
  g_mkdir(d, 0700);
  char *f1 = g_build_filename(d, "invocations_per_function_md.anon.d01.csv", NULL);
  char *f2 = g_build_filename(d, "invocations_per_function_md.anon.d02.csv", NULL);
  g_file_set_contents(f1, HEAD3, -1, NULL);
  g_file_set_contents(f2, HEAD3, -1, NULL);
  assert_null(trace_open("azure2019", d, NULL, &err));
  assert_non_null(strstr(err, "expected one day"));
  g_free(err);
  g_unlink(f1);
  g_unlink(f2);
  g_rmdir(d);
  g_free(f1);
  g_free(f2);
  g_free(d);
}

int main(void) {
  tmpdir = g_dir_make_tmp("cm-trace-XXXXXX", NULL);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_az19_counts),        cmocka_unit_test(test_az19_random),
      cmocka_unit_test(test_az19_draws),         cmocka_unit_test(test_az19_filter_window),
      cmocka_unit_test(test_az21),               cmocka_unit_test(test_huawei),
      cmocka_unit_test(test_malformed),          cmocka_unit_test(test_limits),
      cmocka_unit_test(test_auto),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  g_rmdir(tmpdir);
  g_free(tmpdir);
  return rc;
}
