/* The real backend's storage dispatcher (real/env_real_store.c) with a
 * scripted in-process client: ids, exactly one callback per request and
 * never inside env_put, the deadline that aborts the client, cancellation,
 * a refusal at start answered from the loop, and stats that balance. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>

#include "env_real.h"
#include "storage.h"
#include "store.h"

/* What the fake client does with the next request. */
enum act { ANSWER, NEVER, REFUSE };

struct fake_req {
  struct fake *f;
  timer_id t;
  store_done_fn done;
  void *arg;
  int status;
  size_t len;
  const uint8_t *value;
  bool aborted;
};

struct fake {
  struct store_client base;
  enum act act;
  cm_time delay;
  int status;
  int started, aborted, freed_live;
  bool in_start; /* done must never come while this is set */
  struct store_op_req last;
  GPtrArray *reqs; /* struct fake_req*, owned */
};

static bool *freed_flag;

static void fake_fire(env *e CM_UNUSED, void *arg) {
  struct fake_req *r = arg;
  r->t = 0;
  r->done(r->arg, r->status, r->status ? "scripted" : NULL, r->value, r->len);
}

static void *fake_start(struct store_client *c, const struct store_op_req *q, store_done_fn done, void *arg,
                        const char **reason) {
  struct fake *f = (struct fake *)c;
  f->started++;
  f->last = *q;
  if (f->act == REFUSE) {
    *reason = "refused";
    return NULL;
  }
  struct fake_req *r = g_new0(struct fake_req, 1);
  *r = (struct fake_req){.f = f, .done = done, .arg = arg, .status = f->status};
  r->len = q->op == STORE_PUT ? q->len : q->op == STORE_GET ? 3 : 0;
  r->value = q->op == STORE_GET && !q->length_only ? (const uint8_t *)"abc" : NULL;
  if (f->act == ANSWER) r->t = env_after(c->e, f->delay, fake_fire, r);
  g_ptr_array_add(f->reqs, r);
  return r;
}

static void fake_abort(struct store_client *c, void *h) {
  struct fake_req *r = h;
  ((struct fake *)c)->aborted++;
  r->aborted = true;
  if (r->t) assert_true(env_cancel(c->e, r->t));
  r->t = 0;
}

static void fake_free(struct store_client *c) {
  struct fake *f = (struct fake *)c;
  for (guint i = 0; i < f->reqs->len; i++) {
    struct fake_req *r = f->reqs->pdata[i];
    if (r->t) env_cancel(c->e, r->t), f->freed_live++;
  }
  g_ptr_array_free(f->reqs, TRUE);
  if (freed_flag) *freed_flag = true;
  g_free(f);
}

static const struct store_client_ops fake_ops = {.kind = "fake", .start = fake_start, .abort = fake_abort,
                                                 .free = fake_free};

static struct fake *fake_new(env *e) {
  struct fake *f = g_new0(struct fake, 1);
  f->base = (struct store_client){.ops = &fake_ops, .e = e};
  f->reqs = g_ptr_array_new_with_free_func(g_free);
  return f;
}

struct got {
  int calls, status;
  size_t len;
  bool had_value;
  cm_time at;
};

static bool starting; /* set around env_put: a done seen then breaks the contract */

static void on_done(env *e, void *arg, int status, const uint8_t *value, size_t len) {
  struct got *g = arg;
  assert_false(starting);
  g->calls++;
  g->status = status;
  g->len = len;
  g->had_value = value != NULL;
  g->at = env_now(e);
}

static void check_balance(env *e) {
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.requested, st.ok + st.miss + st.failed + st.cancelled + st.in_flight);
  uint64_t by = 0;
  for (uint32_t i = 0; i < st.nreasons; i++) by += st.by_reason[i].n;
  assert_int_equal(by, st.failed);
}

static request_id issue(env *e, enum store_op op, uint32_t store, const char *key, struct got *g, cm_time timeout) {
  struct store_req q = {.store = store, .key = key, .value = (const uint8_t *)"hello", .len = 5, .timeout = timeout};
  starting = true;
  request_id id = op == STORE_PUT ? env_put(e, &q, on_done, g) : op == STORE_GET ? env_get(e, &q, on_done, g)
                                                                                  : env_delete(e, &q, on_done, g);
  starting = false;
  return id;
}

static void test_no_stores(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct got g = {0};
  assert_int_equal(issue(e, STORE_GET, 0, "k", &g, 0), CM_ENOSYS);
  struct fake *f = fake_new(e);
  struct store_client *c[] = {&f->base};
  assert_int_equal(env_real_set_stores(e, c, 1), 0);
  assert_int_equal(issue(e, STORE_GET, 1, "k", &g, 0), CM_EINVAL); /* no store 1 */
  assert_int_equal(issue(e, STORE_GET, 0, "", &g, 0), CM_EINVAL);
  assert_int_equal(issue(e, STORE_GET, 0, "k", &g, -1), CM_EINVAL);
  assert_int_equal(f->started, 0);
  struct store_client *bad[] = {NULL};
  assert_int_equal(env_real_set_stores(e, bad, 1), CM_EINVAL);
  env_free(e);
}

static void test_ok_ids_once(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct fake *f = fake_new(e), *f2 = fake_new(e);
  f->delay = CM_MS(1);
  f2->delay = CM_MS(1);
  f2->status = CM_ENOENT;
  struct store_client *c[] = {&f->base, &f2->base};
  assert_int_equal(env_real_set_stores(e, c, 2), 0);
  assert_ptr_equal(env_real_store_client(e, 1), &f2->base);
  struct got g[4] = {{0}};
  request_id id[4] = {issue(e, STORE_PUT, 0, "a", &g[0], 0), issue(e, STORE_GET, 0, "a", &g[1], 0),
                      issue(e, STORE_DELETE, 0, "a", &g[2], 0), issue(e, STORE_GET, 1, "zz", &g[3], 0)};
  for (int i = 0; i < 4; i++) {
    assert_true(id[i] > 0);
    for (int j = 0; j < i; j++) assert_true(id[i] != id[j]);
    assert_int_equal(g[i].calls, 0); /* never inside the call */
  }
  assert_string_equal(f->last.key, "a");
  assert_true(f->last.deadline > env_now(e) + CM_S(29)); /* the default deadline, 30 s */
  env_run(e, env_now(e) + CM_MS(50));
  for (int i = 0; i < 4; i++) assert_int_equal(g[i].calls, 1);
  assert_int_equal(g[0].status, 0);
  assert_int_equal(g[0].len, 5);
  assert_false(g[0].had_value);
  assert_int_equal(g[1].status, 0);
  assert_true(g[1].had_value);
  assert_int_equal(g[1].len, 3);
  assert_int_equal(g[2].len, 0);
  assert_int_equal(g[3].status, CM_ENOENT);
  assert_false(env_store_cancel(e, id[0])); /* already answered */
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.requested, 4);
  assert_int_equal(st.ok, 3);
  assert_int_equal(st.miss, 1);
  assert_int_equal(st.bytes_put, 5);
  assert_int_equal(st.bytes_got, 3);
  assert_int_equal(st.in_flight, 0);
  check_balance(e);
  env_free(e);
}

/* The link model holds each outcome for the modelled network time: a 5
 * byte put over 400 bit/s up takes 100 ms more than the round trip; a get
 * of 3 bytes over 240 bit/s down 100 ms more; a miss only the round trip;
 * a cancelled held request never calls back. */
static void test_links(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct fake *f = fake_new(e);
  struct store_client *c[] = {&f->base};
  assert_int_equal(env_real_set_stores(e, c, 1), 0);
  struct storage_link bad = {.latency = CM_MS(40), .up_bps = 0, .down_bps = 1};
  assert_int_equal(env_real_set_store_links(e, &bad, 1, 1), CM_EINVAL);
  struct storage_link l = {.latency = CM_MS(40), .up_bps = 400, .down_bps = 240};
  assert_int_equal(env_real_set_store_links(e, &l, 1, 1), 0);
  struct got g[4] = {{0}};
  cm_time t0 = env_now(e);
  issue(e, STORE_PUT, 0, "a", &g[0], 0);
  issue(e, STORE_GET, 0, "a", &g[1], 0);
  f->status = CM_ENOENT;
  issue(e, STORE_GET, 0, "b", &g[2], 0);
  f->status = 0;
  request_id held = issue(e, STORE_PUT, 0, "c", &g[3], 0);
  env_run(e, t0 + CM_MS(20)); /* the fake answered at once: now held */
  assert_int_equal(g[0].calls + g[1].calls + g[2].calls + g[3].calls, 0);
  assert_true(env_store_cancel(e, held));
  env_run(e, t0 + CM_MS(300));
  for (int i = 0; i < 3; i++) assert_int_equal(g[i].calls, 1);
  assert_int_equal(g[3].calls, 0);
  assert_true(g[0].at - t0 >= CM_MS(140) && g[0].at - t0 < CM_MS(200));
  assert_true(g[1].at - t0 >= CM_MS(140) && g[1].at - t0 < CM_MS(200));
  assert_true(g[1].had_value); /* a full get's bytes survive the hold */
  assert_int_equal(g[1].len, 3);
  assert_true(g[2].at - t0 >= CM_MS(40) && g[2].at - t0 < CM_MS(100));
  assert_int_equal(g[2].status, CM_ENOENT);
  check_balance(e);
  env_free(e);
}

static void test_deadline(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct fake *f = fake_new(e);
  f->act = NEVER;
  f->base.timeout = CM_MS(30); /* the endpoint's */
  struct store_client *c[] = {&f->base};
  assert_int_equal(env_real_set_stores(e, c, 1), 0);
  struct got a = {0}, b = {0};
  cm_time t0 = env_now(e);
  assert_true(issue(e, STORE_GET, 0, "slow", &a, CM_MS(10)) > 0);
  assert_true(issue(e, STORE_GET, 0, "slow2", &b, 0) > 0);
  env_run(e, env_now(e) + CM_MS(100));
  assert_int_equal(a.calls, 1);
  assert_int_equal(b.calls, 1);
  assert_int_equal(a.status, CM_EIO);
  assert_true(a.at - t0 >= CM_MS(10) && a.at - t0 < CM_MS(30));
  assert_true(b.at - t0 >= CM_MS(30));
  assert_int_equal(f->aborted, 2);
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.failed, 2);
  assert_int_equal(st.nreasons, 1);
  assert_string_equal(st.by_reason[0].reason, "timeout");
  check_balance(e);
  env_free(e);
}

static void test_cancel_and_refuse(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct fake *f = fake_new(e);
  f->delay = CM_MS(5);
  struct store_client *c[] = {&f->base};
  assert_int_equal(env_real_set_stores(e, c, 1), 0);
  struct got a = {0}, b = {0};
  request_id ia = issue(e, STORE_PUT, 0, "x", &a, 0);
  assert_true(env_store_cancel(e, ia));
  assert_false(env_store_cancel(e, ia));
  assert_int_equal(f->aborted, 1);
  f->act = REFUSE;
  request_id ib = issue(e, STORE_PUT, 0, "y", &b, 0);
  assert_true(ib > 0);
  assert_int_equal(b.calls, 0);
  env_run(e, env_now(e) + CM_MS(30));
  assert_int_equal(a.calls, 0);
  assert_int_equal(b.calls, 1);
  assert_int_equal(b.status, CM_EIO);
  /* a refused request cancelled before the loop runs: no callback */
  struct got d = {0};
  request_id id = issue(e, STORE_GET, 0, "z", &d, 0);
  assert_true(env_store_cancel(e, id));
  env_run(e, env_now(e) + CM_MS(10));
  assert_int_equal(d.calls, 0);
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.cancelled, 2);
  assert_int_equal(st.failed, 1);
  assert_string_equal(st.by_reason[0].reason, "refused");
  check_balance(e);
  env_free(e);
}

static void test_free_in_flight(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  struct fake *f = fake_new(e);
  f->act = NEVER;
  struct store_client *c[] = {&f->base};
  assert_int_equal(env_real_set_stores(e, c, 1), 0);
  struct got a = {0};
  assert_true(issue(e, STORE_GET, 0, "k", &a, 0) > 0);
  bool freed = false;
  freed_flag = &freed;
  env_free(e); /* aborts, never calls back, frees the client */
  freed_flag = NULL;
  assert_true(freed);
  assert_int_equal(a.calls, 0);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_stores),         cmocka_unit_test(test_ok_ids_once),
      cmocka_unit_test(test_deadline),          cmocka_unit_test(test_cancel_and_refuse),
      cmocka_unit_test(test_free_in_flight),    cmocka_unit_test(test_links),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
