/* Engine: tie order both ways, "now" events after already-due ones,
 * run_until / stop semantics, cancellation of run and pending events, the
 * progress hook. */
#include "cmocka_inc.h"

#include "engine.h"

struct log {
  int order[16];
  int n;
  engine *en;
};

static struct log L;

static void rec(engine *en CM_UNUSED, void *arg) { L.order[L.n++] = (int)(intptr_t)arg; }

/* Like libuv's timer_order: equal times fire in scheduling order, whichever
 * order that is. */
static void test_ties_both_ways(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  engine_at(en, 10, rec, (void *)1);
  engine_at(en, 10, rec, (void *)2);
  engine_run_until(en, CM_TIME_MAX);
  engine_at(en, 20, rec, (void *)2);
  engine_at(en, 20, rec, (void *)1);
  engine_run_until(en, CM_TIME_MAX);
  assert_int_equal(L.n, 4);
  assert_int_equal(L.order[0], 1);
  assert_int_equal(L.order[1], 2);
  assert_int_equal(L.order[2], 2);
  assert_int_equal(L.order[3], 1);
  engine_free(en);
}

static void sched_now(engine *en, void *arg) {
  rec(en, arg);
  engine_after(en, 0, rec, (void *)99); /* runs after 2 and 3, already due */
}

static void test_now_runs_after_due(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  engine_at(en, 5, sched_now, (void *)1);
  engine_at(en, 5, rec, (void *)2);
  engine_at(en, 5, rec, (void *)3);
  engine_run_until(en, CM_TIME_MAX);
  assert_int_equal(L.n, 4);
  assert_int_equal(L.order[0], 1);
  assert_int_equal(L.order[1], 2);
  assert_int_equal(L.order[2], 3);
  assert_int_equal(L.order[3], 99);
  assert_int_equal(engine_now(en), 5);
  engine_free(en);
}

static void test_run_until_horizon(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  engine_at(en, 100, rec, (void *)1);
  engine_at(en, 200, rec, (void *)2);
  assert_int_equal(engine_run_until(en, 150), 1);
  assert_int_equal(engine_now(en), 150); /* clock moves to the horizon */
  assert_int_equal(engine_pending(en), 1);
  assert_int_equal(engine_run_until(en, 200), 1); /* inclusive */
  assert_int_equal(engine_now(en), 200);
  assert_int_equal(engine_run_until(en, CM_TIME_MAX), 0);
  assert_int_equal(engine_now(en), 200);
  assert_int_equal(engine_events(en), 2);
  engine_free(en);
}

static void stopper(engine *en, void *arg) {
  rec(en, arg);
  engine_stop(en);
}

static void test_stop(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  engine_at(en, 1, stopper, (void *)1);
  engine_at(en, 2, rec, (void *)2);
  assert_int_equal(engine_run_until(en, CM_TIME_MAX), 1);
  assert_int_equal(engine_now(en), 1);
  assert_int_equal(engine_run_until(en, CM_TIME_MAX), 1); /* resumes */
  assert_int_equal(L.n, 2);
  engine_free(en);
}

static void test_cancel(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  uint64_t a = engine_at(en, 1, rec, (void *)1);
  uint64_t b = engine_at(en, 2, rec, (void *)2);
  assert_true(a != 0 && b != 0);
  assert_false(engine_cancel(en, 0, NULL));
  void *arg;
  assert_true(engine_cancel(en, b, &arg));
  assert_int_equal((intptr_t)arg, 2);
  assert_false(engine_cancel(en, b, NULL));
  engine_run_until(en, CM_TIME_MAX);
  assert_false(engine_cancel(en, a, NULL)); /* fired */
  assert_int_equal(L.n, 1);
  assert_int_equal(L.order[0], 1);
  assert_int_equal(engine_pending(en), 0);
  engine_free(en);
}

static void chain(engine *en, void *arg) {
  intptr_t left = (intptr_t)arg;
  if (left > 0) engine_after(en, 3, chain, (void *)(left - 1));
}

static int reports;
static void progress(engine *en, void *arg CM_UNUSED, cm_time now, uint64_t events) {
  reports++;
  assert_int_equal(events % 1000, 0);
  assert_int_equal(now, engine_now(en));
}

static void test_progress(void **state CM_UNUSED) {
  engine *en = engine_new();
  reports = 0;
  engine_set_progress(en, progress, NULL, 1000);
  engine_at(en, 0, chain, (void *)9999);
  assert_int_equal(engine_run_until(en, CM_TIME_MAX), 10000);
  assert_int_equal(reports, 10);
  assert_int_equal(engine_now(en), 3 * 9999);
  engine_free(en);
}

/* engine_next_time: the earliest pending event, CM_TIME_MAX when none; a
 * cancelled event no longer counts; run_until to a time between events
 * leaves the clock there (the emulator's "advance to t"). */
static void test_next_time(void **state CM_UNUSED) {
  engine *en = engine_new();
  L.n = 0;
  assert_true(engine_next_time(en) == CM_TIME_MAX);
  uint64_t a = engine_at(en, 30, rec, (void *)1);
  engine_at(en, 50, rec, (void *)2);
  assert_int_equal(engine_next_time(en), 30);
  assert_true(engine_cancel(en, a, NULL));
  assert_int_equal(engine_next_time(en), 50);
  engine_run_until(en, 40);
  assert_int_equal(engine_now(en), 40);
  assert_int_equal(L.n, 0);
  engine_run_until(en, 50);
  assert_int_equal(L.n, 1);
  assert_true(engine_next_time(en) == CM_TIME_MAX);
  engine_free(en);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ties_both_ways), cmocka_unit_test(test_now_runs_after_due),
      cmocka_unit_test(test_run_until_horizon), cmocka_unit_test(test_stop),
      cmocka_unit_test(test_cancel), cmocka_unit_test(test_progress),
      cmocka_unit_test(test_next_time),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
