/* The updater (models/mixclaves/updater.h) against a fake transport in a
 * simulated world: nodes whose processed count grows with a given load,
 * replies after a fixed delay, installs dropped at chosen nodes for a
 * chosen time. Checks: the threshold table (no scale-out below, one above,
 * none past the table), a retry at the next epoch when an attempt does not
 * converge, no commit without every node's ack, scale-in refused with its
 * reason, one outcome per attempt and per request (late replies counted),
 * operator signatures on the published digest, bad parameters. */
#include "cmocka_inc.h"

#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "env_sim.h"
#include "mixclaves/updater.h"

struct fake {
  env *e;
  double load;                 /* aggregate msg/s, spread over the committed nodes */
  uint32_t n;                  /* committed nodes (fake's view) */
  cm_time delay;               /* reply delay */
  cm_time ack_delay;           /* install and commit replies; 0: delay */
  cm_addr drop_install_at;     /* installs to this node are never answered ... */
  cm_time drop_install_until;  /* ... before this time (0: forever) */
  cm_time provision_delay;
  bool provision_fail;
  cm_addr next_addr;
  int published;
  uint32_t published_version;
  bool published_signed;
  uint8_t op_pk[EPOCH_PK_BYTES];
  uint64_t replies;
  bool old_carry_all;          /* node 1 keeps the whole load; added nodes carry none (just joined) */
};

struct pend {
  struct fake *f;
  int kind; /* 0 metrics, 1 ack, 2 provision */
  uint64_t token;
  cm_addr node;
  updater_metrics_fn mfn;
  updater_ack_fn afn;
  updater_provision_fn pfn;
  void *arg;
};

static void fire(env *e, void *arg) {
  struct pend *p = arg;
  p->f->replies++;
  if (p->kind == 0) {
    double per = p->f->old_carry_all ? (p->node == 1 ? p->f->load : 0) : p->f->load / p->f->n;
    struct updater_metrics m = {.processed = (uint64_t)(per * cm_time_to_s(env_now(e))), .at = env_now(e)};
    p->mfn(p->arg, p->token, &m);
  } else if (p->kind == 1) {
    p->afn(p->arg, p->token);
  } else {
    struct epoch_node nd = {.addr = p->f->next_addr++};
    memset(nd.sign_pk, (int)nd.addr, sizeof nd.sign_pk);
    memset(nd.sphinx_pk, (int)nd.addr + 1, sizeof nd.sphinx_pk);
    p->pfn(p->arg, p->f->provision_fail ? NULL : &nd);
  }
  g_free(p);
}

static void later(struct fake *f, cm_time delay, struct pend p) {
  struct pend *q = g_new(struct pend, 1);
  *q = p;
  q->f = f;
  env_after(f->e, delay, fire, q);
}

static void f_metrics(void *ctx, cm_addr node, updater_metrics_fn done, void *arg, uint64_t token) {
  later(ctx, ((struct fake *)ctx)->delay,
        (struct pend){.kind = 0, .token = token, .node = node, .mfn = done, .arg = arg});
}

static void f_install(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                      uint64_t token) {
  struct fake *f = ctx;
  assert_false(d->committed);
  assert_true(epoch_digest_find(d, node) >= 0);
  if (node == f->drop_install_at && (!f->drop_install_until || env_now(f->e) < f->drop_install_until)) return;
  later(f, f->ack_delay ? f->ack_delay : f->delay, (struct pend){.kind = 1, .token = token, .afn = done, .arg = arg});
}

static void f_commit(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                     uint64_t token) {
  (void)node;
  assert_true(d->committed);
  struct fake *f = ctx;
  later(ctx, f->ack_delay ? f->ack_delay : f->delay, (struct pend){.kind = 1, .token = token, .afn = done, .arg = arg});
}

static void f_provision(void *ctx, updater_provision_fn done, void *arg) {
  struct fake *f = ctx;
  later(f, f->provision_delay, (struct pend){.kind = 2, .pfn = done, .arg = arg});
}

static void f_committed(void *ctx, const struct epoch_digest *d) {
  struct fake *f = ctx;
  f->published++;
  f->published_version = d->version;
  f->published_signed = epoch_digest_verify(d, f->op_pk) == 0;
  f->n = d->n;
}

static const struct updater_ops OPS = {.read_metrics = f_metrics, .install_epoch = f_install,
                                       .commit = f_commit, .provision = f_provision, .committed = f_committed};

static const double TH[] = {600, 1200};

/* A world with one committed node (address 1, epoch 1). */
static updater *setup(struct fake *f, double load, struct updater_params *p, uint8_t sk[EPOCH_SK_BYTES]) {
  memset(f, 0, sizeof *f);
  f->e = env_sim_new(1);
  f->load = load;
  f->n = 1;
  f->delay = CM_MS(10);
  f->provision_delay = CM_S(2);
  f->next_addr = 2;
  assert_int_equal(crypto_sign_seed_keypair(f->op_pk, sk, (const uint8_t *)"0123456789abcdef0123456789abcdef"), 0);
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  epoch_digest_init(d, 1, 0);
  struct epoch_node nd = {.addr = 1};
  assert_int_equal(epoch_digest_put(d, &nd), 0);
  d->committed = true;
  if (!p->thresholds) {
    p->thresholds = TH;
    p->nthresholds = 2;
  }
  p->operator_sk = sk;
  if (!p->stop) p->stop = CM_S(12); /* then everything drains by the tests' 20 s */
  struct updater_ops ops = OPS;
  ops.ctx = f;
  updater *u = updater_new(f->e, p, &ops, d);
  g_free(d);
  assert_non_null(u);
  return u;
}

/* Every attempt has one outcome and the counters agree with the list. */
static void check_accounting(updater *u) {
  struct updater_counters k;
  updater_counters(u, &k);
  assert_true(updater_counters_balanced(&k));
  size_t n;
  const struct updater_attempt *a = updater_attempts(u, &n);
  uint64_t by[4] = {0};
  for (size_t i = 0; i < n; i++) {
    assert_true(a[i].outcome <= UPDATER_ABANDONED);
    by[a[i].outcome]++;
    assert_int_equal(a[i].id, i);
    if (i) assert_true(a[i].version > a[i - 1].version); /* epochs only rise */
    assert_true(a[i].outcome == UPDATER_RUNNING ? a[i].ended == -1 : a[i].ended >= a[i].started);
  }
  assert_int_equal(n, k.attempts);
  assert_int_equal(by[UPDATER_RUNNING], k.running);
  assert_int_equal(by[UPDATER_COMMITTED], k.committed);
  assert_int_equal(by[UPDATER_RETRIED], k.retried);
  assert_int_equal(by[UPDATER_ABANDONED], k.abandoned);
}

static void finish(struct fake *f, updater *u) {
  check_accounting(u);
  updater_free(u);
  env_free(f->e);
}

static void test_below_threshold(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {0};
  updater *u = setup(&f, 550, &p, sk);
  env_run(f.e, CM_S(20));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.rounds, 11);
  assert_int_equal(k.scale_outs, 0);
  assert_int_equal(k.attempts, 0);
  assert_int_equal(k.epoch, 1);
  assert_true(k.last_throughput > 540 && k.last_throughput < 560);
  finish(&f, u);
}

/* The round after a commit: the added node answers for the first time
 * (no rate yet) and the old node measured the whole load. Counted as
 * loaded as the old one, 900 msg/s would read as 1800 > 1200 and scale out
 * again at once; counted as carrying none, it stays at 900: one scale-out. */
static void test_new_node_first_reply(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {0};
  updater *u = setup(&f, 900, &p, sk);
  f.old_carry_all = true;
  env_run(f.e, CM_S(20));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.scale_outs, 1);
  assert_int_equal(k.committed, 1);
  assert_int_equal(k.nodes, 2);
  assert_true(k.last_throughput > 890 && k.last_throughput < 910);
  finish(&f, u);
}

/* params.settle: after a commit, rounds measure but decide nothing; 1300
 * msg/s passes both thresholds, but the second scale-out waits the 6 s. */
static void test_settle_after_commit(void **state) {
  (void)state;
  struct fake f, g;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {0}, q = {.settle = CM_S(6)};
  updater *u = setup(&f, 1300, &p, sk);
  updater *v = setup(&g, 1300, &q, sk);
  env_run(f.e, CM_S(20));
  env_run(g.e, CM_S(20));
  size_t nu, nv;
  const struct updater_attempt *a = updater_attempts(u, &nu), *b = updater_attempts(v, &nv);
  assert_int_equal(nu, 2);
  assert_int_equal(nv, 2);
  assert_true(b[1].started - b[0].ended >= CM_S(6));
  assert_true(a[1].started - a[0].ended < CM_S(6));
  struct updater_counters k;
  updater_counters(v, &k);
  assert_true(k.settling >= 5);
  finish(&f, u);
  finish(&g, v);
}

static void test_scale_out_and_table_end(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {0};
  /* 1300 msg/s: past 600 (1 node) and 1200 (2 nodes); 3 nodes are past
   * the table, so it stops there */
  updater *u = setup(&f, 1300, &p, sk);
  env_run(f.e, CM_S(30));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.scale_outs, 2);
  assert_int_equal(k.committed, 2);
  assert_int_equal(k.retried, 0);
  assert_int_equal(k.nodes, 3);
  assert_int_equal(k.epoch, 3);
  assert_int_equal(f.published, 2);
  assert_int_equal(f.published_version, 3);
  assert_true(f.published_signed);
  const struct epoch_digest *d = updater_committed(u);
  assert_true(d->committed);
  assert_int_equal(d->n, 3);
  assert_int_equal(epoch_digest_verify(d, f.op_pk), 0);
  assert_int_equal(k.commit_acked, 2 + 3); /* every node acked each commit */
  assert_int_equal(k.pending, 0);
  finish(&f, u);
}

static void test_retry_next_epoch(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {.converge_timeout = CM_S(1), .reply_timeout = CM_MS(300), .thresholds = TH,
                             .nthresholds = 1};
  updater *u = setup(&f, 700, &p, sk);
  /* node 1 answers no install before t = 5.5 s: the first scale-out
   * (decided at 1 or 2 s, provisioned 2 s later) does not converge */
  f.drop_install_at = 1;
  f.drop_install_until = CM_MS(5500);
  env_run(f.e, CM_S(20));
  struct updater_counters k;
  updater_counters(u, &k);
  size_t n;
  const struct updater_attempt *a = updater_attempts(u, &n);
  assert_true(n >= 2);
  assert_int_equal(k.committed, 1);
  assert_int_equal(k.retried, n - 1);
  for (size_t i = 0; i + 1 < n; i++) {
    assert_int_equal(a[i].outcome, UPDATER_RETRIED);
    assert_int_equal(a[i + 1].version, a[i].version + 1); /* the next-highest epoch */
    assert_int_equal(a[i].acked, 1);                      /* the new node acked; node 1 did not */
    assert_true(a[i].installs_timed_out >= 2);            /* node 1 was asked again and again */
  }
  assert_int_equal(a[n - 1].outcome, UPDATER_COMMITTED);
  assert_int_equal(k.epoch, a[n - 1].version);
  assert_int_equal(f.published_version, a[n - 1].version);
  assert_true(a[n - 1].started >= CM_MS(5500) - CM_S(1));
  finish(&f, u);
}

static void test_no_commit_without_all_acks(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {.converge_timeout = CM_S(1), .max_attempts = 3, .stop = CM_S(3)};
  updater *u = setup(&f, 700, &p, sk);
  f.drop_install_at = 1; /* forever */
  env_run(f.e, CM_S(30));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.attempts, 3);
  assert_int_equal(k.retried, 2);
  assert_int_equal(k.abandoned, 1);
  assert_int_equal(k.committed, 0);
  assert_int_equal(k.commit_sent, 0);
  assert_int_equal(f.published, 0);
  assert_int_equal(k.epoch, 1);
  assert_int_equal(updater_committed(u)->n, 1);
  assert_true(k.install_timed_out > 0);
  assert_int_equal(k.pending, 0);
  finish(&f, u);
}

static void test_scale_in_refused(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {0};
  updater *u = setup(&f, 100, &p, sk);
  const char *why = NULL;
  assert_int_equal(updater_scale_in(u, 1, &why), CM_ENOSYS);
  assert_non_null(why);
  assert_non_null(strstr(why, "not shown safe"));
  assert_non_null(strstr(why, "seed section 7"));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.scale_in_refused, 1);
  assert_int_equal(k.nodes, 1);
  finish(&f, u);
}

static void test_late_and_provision_failure(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {.reply_timeout = CM_MS(100), .stop = CM_S(5)};
  updater *u = setup(&f, 700, &p, sk);
  f.delay = CM_MS(150); /* every reply comes after its request timed out */
  env_run(f.e, CM_S(20));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_true(k.metrics_sent > 0);
  assert_int_equal(k.metrics_acked, 0);
  assert_int_equal(k.metrics_timed_out, k.metrics_sent);
  assert_int_equal(k.late, k.metrics_sent);
  assert_int_equal(k.decisions_skipped, k.rounds);
  assert_int_equal(k.scale_outs, 0);
  finish(&f, u);

  struct updater_params q = {0};
  u = setup(&f, 700, &q, sk);
  f.provision_fail = true;
  env_run(f.e, CM_S(20));
  updater_counters(u, &k);
  assert_true(k.scale_outs >= 2); /* refused, then asked again later */
  assert_true(k.provision_failed >= 2 && k.provision_failed + 1 >= k.scale_outs);
  assert_int_equal(k.attempts, 0);
  finish(&f, u);
}

/* Replies slower than reply_timeout but within converge_timeout: every
 * request times out (and is resent), yet the late install acks still ack
 * the attempt, which commits; late replies are counted, not lost. */
static void test_late_acks_count(void **state) {
  (void)state;
  struct fake f;
  uint8_t sk[EPOCH_SK_BYTES];
  struct updater_params p = {.reply_timeout = CM_MS(100), .converge_timeout = CM_S(1), .thresholds = TH,
                             .nthresholds = 1, .stop = CM_S(6)};
  updater *u = setup(&f, 700, &p, sk);
  f.ack_delay = CM_MS(250);
  env_run(f.e, CM_S(20));
  struct updater_counters k;
  updater_counters(u, &k);
  assert_int_equal(k.committed, 1);
  assert_int_equal(k.retried, 0);
  assert_int_equal(k.install_acked, 0);
  assert_true(k.install_timed_out >= 2);
  assert_true(k.late >= k.install_timed_out);
  assert_int_equal(k.nodes, 2);
  assert_int_equal(k.unknown, 0);
  finish(&f, u);
}

static void test_bad_params(void **state) {
  (void)state;
  env *e = env_sim_new(1);
  struct epoch_digest *d = g_new(struct epoch_digest, 1);
  epoch_digest_init(d, 1, 0);
  struct epoch_node nd = {.addr = 1};
  epoch_digest_put(d, &nd);
  struct updater_ops ops = OPS;
  double bad[] = {600, 0};
  struct updater_params p = {.thresholds = TH, .nthresholds = 2};
  assert_null(updater_new(e, &p, &ops, d)); /* not committed */
  d->committed = true;
  struct updater_params none = {0};
  assert_null(updater_new(e, &none, &ops, d));
  struct updater_params zero = {.thresholds = bad, .nthresholds = 2};
  assert_null(updater_new(e, &zero, &ops, d));
  ops.provision = NULL;
  assert_null(updater_new(e, &p, &ops, d));
  ops = OPS;
  updater *u = updater_new(e, &p, &ops, d);
  assert_non_null(u);
  updater_free(u);
  g_free(d);
  env_free(e);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_below_threshold),   cmocka_unit_test(test_scale_out_and_table_end),
      cmocka_unit_test(test_retry_next_epoch),  cmocka_unit_test(test_no_commit_without_all_acks),
      cmocka_unit_test(test_scale_in_refused),  cmocka_unit_test(test_late_and_provision_failure),
      cmocka_unit_test(test_late_acks_count),   cmocka_unit_test(test_bad_params),
      cmocka_unit_test(test_new_node_first_reply), cmocka_unit_test(test_settle_after_commit),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
