/* Universal storage (sim/storage.h, the seam's env_put / env_get /
 * env_delete) and its cost model (models/cloudless/storage_cost.h): read and
 * write times against hand-computed latency + size / bandwidth for 1 B and
 * 64 MB, virtual and real objects, a missing key, delete, overwrite, a store
 * outage, link changes at a time, egress by cloud, counters that balance
 * after a random mixed run, the time integral of bytes stored, the cost
 * formula against hand-computed dollars, the fault decorator passing storage
 * through (and failing, delaying and dropping it), the real backend's
 * CM_ENOSYS, bad configs and requests, and freeing the world with requests
 * in flight. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless/storage_cost.h"
#include "env_fault.h"
#include "env_real.h"
#include "env_sim.h"
#include "storage.h"

/* ---- an example world ----
 * The seed gives no storage latencies or bandwidths (Fig. 6 has no numbers
 * in our copy), so these are a test's round numbers, chosen to make the
 * hand computations short; scenario files supply real ones. */

enum { L_UAV, L_LAMBDA, L_CLOUDRUN, NLOC };
enum { S_S3, S_GCS, S_BLOB, S_REDIS, NSTORE };

static const struct storage_location locs[NLOC] = {
    {"uav", ""}, {"aws-lambda", "aws"}, {"gcp-cloudrun", "gcp"}};
static const struct storage_store stores[NSTORE] = {
    {"aws-s3", STORAGE_S3, "aws"},
    {"gcp-gcs", STORAGE_GCS, "gcp"},
    {"azure-blob", STORAGE_AZURE_BLOB, "azure"},
    {"edge-redis", STORAGE_REDIS, ""},
};

/* Radio uplink from the UAV: 80 ms, 20 Mbit/s up, 40 down; inside a cloud:
 * 10 ms, 800 Mbit/s up, 1.6 Gbit/s down; across clouds: 40 ms, 200 / 400;
 * the edge Redis from the UAV: 2 ms, 1 Gbit/s both ways. */
#define UAV_CLOUD {CM_MS(80), 0, 20e6, 40e6}
#define SAME_CLOUD {CM_MS(10), 0, 800e6, 1.6e9}
#define CROSS_CLOUD {CM_MS(40), 0, 200e6, 400e6}
#define UAV_EDGE {CM_MS(2), 0, 1e9, 1e9}

static struct storage_link links[NLOC * NSTORE];

static void links_init(cm_time jitter_sd) {
  const struct storage_link t[NLOC][NSTORE] = {
      {UAV_CLOUD, UAV_CLOUD, UAV_CLOUD, UAV_EDGE},
      {SAME_CLOUD, CROSS_CLOUD, CROSS_CLOUD, UAV_CLOUD},
      {CROSS_CLOUD, SAME_CLOUD, CROSS_CLOUD, UAV_CLOUD},
  };
  for (int l = 0; l < NLOC; l++)
    for (int s = 0; s < NSTORE; s++) {
      links[l * NSTORE + s] = t[l][s];
      links[l * NSTORE + s].jitter_sd = jitter_sd;
    }
}

static storage_world *world(env *e, cm_time jitter_sd) {
  links_init(jitter_sd);
  struct storage_config cfg = {stores, NSTORE, locs, NLOC, links};
  char *err = NULL;
  storage_world *w = storage_world_new(e, &cfg, &err);
  if (!w) fail_msg("storage_world_new: %s", err);
  return w;
}

static void check_balanced(storage_world *w) {
  char *msg = storage_world_check(w);
  if (msg) fail_msg("%s", msg);
}

/* ---- requests with recorded outcomes ---- */

#define MB64 ((size_t)64 << 20)

struct op {
  enum store_op kind;
  struct store_req r;
  char key[32];
  env *outer;      /* the env the callback must get */
  int n;           /* callbacks */
  int status;
  cm_time issued, at;
  size_t len;
  bool has_value;
  uint8_t value[64];
};

static void on_done(env *e, void *arg, int status, const uint8_t *v, size_t len) {
  struct op *o = arg;
  assert_ptr_equal(e, o->outer);
  o->n++;
  o->status = status;
  o->at = env_now(e);
  o->len = len;
  o->has_value = v != NULL;
  if (v) {
    assert_true(len <= sizeof o->value);
    memcpy(o->value, v, len);
  }
}

/* 0 when accepted (with a request id > 0), else the env's refusal. */
static int issue_now(env *e, struct op *o) {
  o->outer = e;
  o->issued = env_now(e);
  o->r.key = o->key;
  request_id id = CM_EINVAL;
  switch (o->kind) {
  case STORE_PUT: id = env_put(e, &o->r, on_done, o); break;
  case STORE_GET: id = env_get(e, &o->r, on_done, o); break;
  case STORE_DELETE: id = env_delete(e, &o->r, on_done, o); break;
  }
  assert_true(id != 0);
  return id < 0 ? (int)id : 0;
}

static void issue_cb(env *e, void *arg) { assert_int_equal(issue_now(e, arg), 0); }

static struct op mk(enum store_op kind, uint32_t s, uint32_t l, const char *key, const void *value, size_t len) {
  struct op o = {.kind = kind, .r = {.store = s, .location = l, .value = value, .len = len}};
  snprintf(o.key, sizeof o.key, "%s", key);
  return o;
}

/* Issue o at virtual time t (o must outlive the run). */
static void at(env *e, cm_time t, struct op *o) { env_after(e, t - env_now(e), issue_cb, o); }

/* ---- times ---- */

static void test_times_1b_and_64mb(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  storage_world *w = world(e, 0);
  /* 1 B, real, UAV <-> S3: 80 ms + 8 bit / 20 Mbit/s = 80,000,400 ns up; 8 / 40e6 = 200 ns down. */
  struct op p1 = mk(STORE_PUT, S_S3, L_UAV, "one", "x", 1);
  struct op g1 = mk(STORE_GET, S_S3, L_UAV, "one", NULL, 0);
  /* 64 MB, virtual, Lambda <-> S3: 10 ms + 67,108,864 x 8 / 800e6 s = 10 ms + 671,088,640 ns up;
   * 67,108,864 x 8 / 1.6e9 = 335,544,320 ns down. */
  struct op p64 = mk(STORE_PUT, S_S3, L_LAMBDA, "big", NULL, MB64);
  struct op g64 = mk(STORE_GET, S_S3, L_LAMBDA, "big", NULL, 0);
  /* The same 64 MB read by the UAV: 80 ms + 67,108,864 x 8 / 40e6 s = 80 ms + 13,421,772,800 ns. */
  struct op g64u = mk(STORE_GET, S_S3, L_UAV, "big", NULL, 0);
  assert_int_equal(issue_now(e, &p1), 0);
  assert_int_equal(issue_now(e, &p64), 0);
  assert_int_equal(p1.n + p64.n, 0); /* never inside the call */
  at(e, CM_S(1), &g1);
  at(e, CM_S(1), &g64);
  at(e, CM_S(2), &g64u);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(p1.n, 1);
  assert_int_equal(p1.status, 0);
  assert_int_equal(p1.at, CM_MS(80) + 400);
  assert_int_equal(p1.len, 1);
  assert_false(p1.has_value);
  assert_int_equal(g1.n, 1);
  assert_int_equal(g1.status, 0);
  assert_int_equal(g1.at - g1.issued, CM_MS(80) + 200);
  assert_int_equal(g1.len, 1);
  assert_true(g1.has_value);
  assert_int_equal(g1.value[0], 'x');
  assert_int_equal(p64.at, CM_MS(10) + 671088640);
  assert_int_equal(p64.len, MB64);
  assert_int_equal(g64.status, 0);
  assert_int_equal(g64.at - g64.issued, CM_MS(10) + 335544320);
  assert_int_equal(g64.len, MB64);
  assert_false(g64.has_value); /* virtual: no bytes, only the length */
  assert_int_equal(g64u.at - g64u.issued, CM_MS(80) + 13421772800LL);
  struct storage_stats st;
  storage_world_stats(w, S_S3, &st);
  assert_int_equal(st.puts, 2);
  assert_int_equal(st.gets, 3);
  assert_int_equal(st.ok, 5);
  assert_int_equal(st.bytes_written, 1 + MB64);
  assert_int_equal(st.bytes_read, 1 + 2 * MB64);
  assert_int_equal(st.objects, 2);
  assert_int_equal(st.bytes_stored, 1 + MB64);
  /* Egress: the UAV (no cloud) read 1 B + 64 MB out of AWS and wrote 1 B in; Lambda is in AWS. */
  assert_int_equal(st.egress_out_bytes, 1 + MB64);
  assert_int_equal(st.egress_in_bytes, 1);
  uint64_t out, in;
  storage_world_egress(w, L_LAMBDA, S_S3, &out, &in);
  assert_int_equal(out + in, 0);
  storage_world_egress(w, L_UAV, S_S3, &out, &in);
  assert_int_equal(out, 1 + MB64);
  assert_int_equal(in, 1);
  check_balanced(w);
  storage_world_free(w);
  env_free(e);
}

/* ---- missing keys, delete, overwrite ---- */

static void test_missing_delete_overwrite(void **state CM_UNUSED) {
  env *e = env_sim_new(2);
  storage_world *w = world(e, 0);
  struct op miss = mk(STORE_GET, S_REDIS, L_UAV, "nothing", NULL, 0);
  struct op delmiss = mk(STORE_DELETE, S_REDIS, L_UAV, "nothing", NULL, 0);
  struct op p1 = mk(STORE_PUT, S_REDIS, L_UAV, "k", NULL, 100);   /* virtual, 100 B */
  struct op p2 = mk(STORE_PUT, S_REDIS, L_UAV, "k", "hello", 5);  /* real, replaces it */
  struct op g = mk(STORE_GET, S_REDIS, L_UAV, "k", NULL, 0);
  struct op d = mk(STORE_DELETE, S_REDIS, L_UAV, "k", NULL, 0);
  struct op g2 = mk(STORE_GET, S_REDIS, L_UAV, "k", NULL, 0);
  struct op glo = mk(STORE_GET, S_REDIS, L_UAV, "k", NULL, 0); /* length only: no bytes back, same time */
  glo.r.length_only = true;
  assert_int_equal(issue_now(e, &miss), 0);
  assert_int_equal(issue_now(e, &delmiss), 0);
  at(e, CM_S(1), &p1);
  at(e, CM_S(2), &p2);
  at(e, CM_S(3), &g);
  at(e, CM_S(3) + CM_MS(500), &glo);
  at(e, CM_S(4), &d);
  at(e, CM_S(5), &g2);
  env_run(e, CM_TIME_MAX);
  /* A miss costs the round trip only: 2 ms. */
  assert_int_equal(miss.status, CM_ENOENT);
  assert_int_equal(miss.at, CM_MS(2));
  assert_int_equal(miss.len, 0);
  assert_int_equal(delmiss.status, CM_ENOENT);
  assert_int_equal(delmiss.at, CM_MS(2));
  /* 100 B at 1 Gbit/s = 800 ns. */
  assert_int_equal(p1.at, CM_S(1) + CM_MS(2) + 800);
  assert_int_equal(g.status, 0);
  assert_int_equal(g.len, 5);
  assert_true(g.has_value);
  assert_memory_equal(g.value, "hello", 5);
  assert_int_equal(g.at, CM_S(3) + CM_MS(2) + 40);
  assert_int_equal(glo.status, 0);
  assert_int_equal(glo.len, 5);
  assert_false(glo.has_value);
  assert_int_equal(glo.at, CM_S(3) + CM_MS(500) + CM_MS(2) + 40);
  assert_int_equal(d.status, 0);
  assert_int_equal(d.at, CM_S(4) + CM_MS(2));
  assert_int_equal(d.len, 0);
  assert_int_equal(g2.status, CM_ENOENT);
  struct storage_stats st;
  storage_world_stats(w, S_REDIS, &st);
  assert_int_equal(st.puts, 2);
  assert_int_equal(st.gets, 4);
  assert_int_equal(st.deletes, 2);
  assert_int_equal(st.ok, 5);
  assert_int_equal(st.misses, 3);
  assert_int_equal(st.served_deletes, 2);
  assert_int_equal(st.objects, 0);
  assert_int_equal(st.bytes_stored, 0);
  assert_int_equal(st.bytes_written, 105);
  assert_int_equal(st.egress_out_bytes + st.egress_in_bytes, 0); /* the edge is in no cloud, nor is the UAV */
  /* 100 B from 1.002 s + 800 ns to 2.002 s + 40 ns, then 5 B until the delete ends at 4.002 s. */
  assert_true(fabs(st.byte_seconds - (100.0 * (1.0 - 760e-9) + 5.0 * (2.0 - 40e-9))) < 1e-9);
  check_balanced(w);
  storage_world_free(w);
  env_free(e);
}

/* A get issued before a put completes misses; a get sees the value it read
 * even when the object is replaced before it completes. */
static void test_ordering(void **state CM_UNUSED) {
  env *e = env_sim_new(3);
  storage_world *w = world(e, 0);
  struct op p = mk(STORE_PUT, S_S3, L_LAMBDA, "k", "old", 3);
  struct op early = mk(STORE_GET, S_S3, L_LAMBDA, "k", NULL, 0);
  struct op g = mk(STORE_GET, S_S3, L_UAV, "k", NULL, 0);
  struct op p2 = mk(STORE_PUT, S_S3, L_LAMBDA, "k", "new!", 4);
  assert_int_equal(issue_now(e, &p), 0);
  at(e, CM_MS(5), &early);
  at(e, CM_S(1), &g);     /* completes at 1.08 s */
  at(e, CM_S(1), &p2);    /* completes at 1.01 s */
  env_run(e, CM_TIME_MAX);
  assert_int_equal(early.status, CM_ENOENT);
  assert_int_equal(g.status, 0);
  assert_int_equal(g.len, 3);
  assert_memory_equal(g.value, "old", 3);
  check_balanced(w);
  storage_world_free(w);
  env_free(e);
}

/* ---- outage and link changes ---- */

static void test_outage_and_link_change(void **state CM_UNUSED) {
  env *e = env_sim_new(4);
  storage_world *w = world(e, 0);
  assert_int_equal(storage_world_add_outage(w, S_GCS, CM_S(1), CM_S(2)), 0);
  assert_int_equal(storage_world_add_outage(w, S_GCS, CM_S(3), CM_S(3)), CM_EINVAL);
  assert_int_equal(storage_world_add_outage(w, NSTORE, CM_S(1), CM_S(2)), CM_EINVAL);
  struct op before = mk(STORE_PUT, S_GCS, L_CLOUDRUN, "a", NULL, 1000);
  struct op during = mk(STORE_PUT, S_GCS, L_CLOUDRUN, "b", NULL, 1000);
  struct op get_during = mk(STORE_GET, S_GCS, L_CLOUDRUN, "a", NULL, 0);
  struct op after = mk(STORE_GET, S_GCS, L_CLOUDRUN, "a", NULL, 0);
  struct op other = mk(STORE_GET, S_S3, L_UAV, "a", NULL, 0); /* another store: not down */
  at(e, CM_MS(500), &before);
  at(e, CM_MS(1500), &during);
  at(e, CM_MS(1600), &get_during);
  at(e, CM_S(2), &after);
  at(e, CM_MS(1500), &other);
  /* The UAV moves: from 10 s on its link to S3 is 300 ms, 5 Mbit/s up. */
  const struct storage_link far = {CM_MS(300), 0, 5e6, 10e6};
  assert_int_equal(storage_world_set_link(w, L_UAV, S_S3, CM_S(10), &far), 0);
  const struct storage_link bad = {CM_MS(300), 0, 0, 10e6};
  assert_int_equal(storage_world_set_link(w, L_UAV, S_S3, CM_S(10), &bad), CM_EINVAL);
  assert_int_equal(storage_world_set_link(w, NLOC, S_S3, CM_S(10), &far), CM_EINVAL);
  struct op near_put = mk(STORE_PUT, S_S3, L_UAV, "m", NULL, 1000);
  struct op far_put = mk(STORE_PUT, S_S3, L_UAV, "m", NULL, 1000);
  at(e, CM_S(9), &near_put);
  at(e, CM_S(11), &far_put);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(before.status, 0);
  assert_int_equal(during.status, CM_EIO);
  assert_int_equal(during.at, CM_MS(1500) + CM_MS(10)); /* fails after the round trip */
  assert_int_equal(during.len, 0);
  assert_int_equal(get_during.status, CM_EIO);
  assert_false(get_during.has_value);
  assert_int_equal(after.status, 0);
  assert_int_equal(after.len, 1000);
  assert_int_equal(other.status, CM_ENOENT);
  /* 1000 B: 80 ms + 8000 / 20e6 s = 80,400,000 ns before; 300 ms + 8000 / 5e6 s = 301,600,000 ns after. */
  assert_int_equal(near_put.at - near_put.issued, CM_MS(80) + 400000);
  assert_int_equal(far_put.at - far_put.issued, CM_MS(300) + 1600000);
  struct storage_stats st;
  storage_world_stats(w, S_GCS, &st);
  assert_int_equal(st.failed, 2);
  assert_int_equal(st.ok, 2);
  assert_int_equal(st.objects, 1); /* "b" was never written */
  assert_int_equal(st.served_puts + st.served_gets, 2);
  check_balanced(w);
  storage_world_free(w);
  env_free(e);
}

/* ---- a random mixed run: every request accounted for ---- */

#define NRAND 3000

static void test_random_run_balances(void **state CM_UNUSED) {
  env *e = env_sim_new(5);
  storage_world *w = world(e, CM_MS(3));
  assert_int_equal(storage_world_add_outage(w, S_BLOB, CM_S(20), CM_S(40)), 0);
  rng *r = env_rng(e, "test:mix");
  struct op *ops = g_new0(struct op, NRAND);
  for (int i = 0; i < NRAND; i++) {
    char key[16];
    snprintf(key, sizeof key, "k%u", (unsigned)rng_below(r, 40));
    enum store_op k = (enum store_op)rng_below(r, STORE_NOPS);
    size_t len = (size_t)1 << rng_below(r, 27); /* 1 B .. 64 MB */
    ops[i] = mk(k, (uint32_t)rng_below(r, NSTORE), (uint32_t)rng_below(r, NLOC), key,
                len <= 8 ? "abcdefgh" : NULL, len);
    at(e, (cm_time)rng_below(r, 60) * CM_S(1) + (cm_time)rng_below(r, 1000) * CM_MS(1), &ops[i]);
  }
  env_run(e, CM_S(30));
  check_balanced(w); /* also mid-run, with requests in flight */
  env_run(e, CM_TIME_MAX);
  uint64_t outcomes[3] = {0}, total = 0;
  for (int i = 0; i < NRAND; i++) {
    assert_int_equal(ops[i].n, 1);
    assert_true(ops[i].at >= ops[i].issued + CM_MS(2));
    if (ops[i].status == 0) outcomes[0]++;
    else if (ops[i].status == CM_ENOENT) outcomes[1]++;
    else if (ops[i].status == CM_EIO) outcomes[2]++;
    else fail_msg("request %d: status %d", i, ops[i].status);
  }
  uint64_t ok = 0, misses = 0, failed = 0;
  for (uint32_t s = 0; s < NSTORE; s++) {
    struct storage_stats st;
    storage_world_stats(w, s, &st);
    assert_int_equal(st.in_flight, 0);
    total += st.puts + st.gets + st.deletes;
    ok += st.ok;
    misses += st.misses;
    failed += st.failed;
  }
  assert_int_equal(total, NRAND);
  assert_int_equal(ok, outcomes[0]);
  assert_int_equal(misses, outcomes[1]);
  assert_int_equal(failed, outcomes[2]);
  assert_true(failed > 0 && misses > 0 && ok > 0);
  check_balanced(w);
  g_free(ops);
  storage_world_free(w);
  env_free(e);
}

/* Same seed, same jittered times; jitter only adds. */
static cm_time jitter_sum(uint64_t seed) {
  env *e = env_sim_new(seed);
  storage_world *w = world(e, CM_MS(5));
  struct op o[20];
  for (int i = 0; i < 20; i++) {
    o[i] = mk(STORE_GET, S_S3, L_UAV, "none", NULL, 0);
    at(e, CM_S(i), &o[i]);
  }
  env_run(e, CM_TIME_MAX);
  cm_time sum = 0;
  for (int i = 0; i < 20; i++) {
    assert_true(o[i].at - o[i].issued >= CM_MS(80));
    sum += o[i].at - o[i].issued;
  }
  storage_world_free(w);
  env_free(e);
  return sum;
}

static void test_jitter_reproducible(void **state CM_UNUSED) {
  cm_time a = jitter_sum(7), b = jitter_sum(7), c = jitter_sum(8);
  assert_int_equal(a, b);
  assert_true(a != c);
  assert_true(a > 20 * CM_MS(80));
}

/* ---- cost ---- */

static void test_cost_formula(void **state CM_UNUSED) {
  struct storage_price s3;
  assert_int_equal(storage_price_builtin("s3", &s3), 0);
  /* The seed's formula: $0.023 x 1 GB x 0.5 month + 1000 x $0.000005 = 0.0115 + 0.005. */
  assert_true(fabs(storage_cost_formula(0.023, 1, 0.5, 1000, 5e-6) - 0.0165) < 1e-12);
  /* 1 GB for half a month, 1000 puts, 1000 gets, 2 GB out:
   * 0.023 x 0.5 + 1000 x 0.005 / 1000 + 1000 x 0.0004 / 1000 + 2 x 0.09 = 0.0115 + 0.005 + 0.0004 + 0.18. */
  struct storage_usage u = {.byte_seconds = STORAGE_COST_GB * 0.5 * 730 * 3600, .writes = 1000, .reads = 1000,
                            .egress_bytes = 2 * (uint64_t)1073741824};
  struct storage_bill b = storage_cost_bill(&s3, &u);
  assert_true(fabs(b.storage - 0.0115) < 1e-12);
  assert_true(fabs(b.ops - 0.0054) < 1e-12);
  assert_true(fabs(b.egress - 0.18) < 1e-12);
  assert_true(fabs(b.total - 0.1969) < 1e-12);
  /* GCS and Azure with the same usage: 0.010 + 0.0054 + 0.24; 0.009 + 0.0054 + 0.174. */
  struct storage_price p;
  assert_int_equal(storage_price_builtin("gcs", &p), 0);
  assert_true(fabs(storage_cost_bill(&p, &u).total - 0.2554) < 1e-12);
  assert_int_equal(storage_price_builtin("azure-blob", &p), 0);
  assert_true(fabs(storage_cost_bill(&p, &u).total - 0.1884) < 1e-12);
  /* The edge is free. */
  assert_int_equal(storage_price_builtin("redis", &p), 0);
  assert_true(storage_cost_bill(&p, &u).total == 0);
  /* Deletes are free everywhere we know. */
  struct storage_usage dels = {.deletes = 1000000};
  assert_true(storage_cost_bill(&s3, &dels).total == 0);
  assert_int_equal(storage_price_builtin("glacier", &p), CM_ENOENT);
  assert_int_equal(storage_price_builtin(NULL, &p), CM_EINVAL);
  for (int k = 0; k < STORAGE_NKINDS; k++) {
    const char *src = storage_price_source(storage_kind_name((enum storage_kind)k));
    assert_non_null(src);
    if (k != STORAGE_REDIS) assert_non_null(strstr(src, "https://"));
  }
  assert_null(storage_price_source("glacier"));
}

/* From a simulated store's counters: 1 GB kept for exactly 365 h (half a
 * 730 h month), written by Lambda, read once by the UAV (1 GB of egress),
 * deleted: 0.0115 + 0.000005 + 0.0000004 + 0.09. */
static void test_cost_from_counters(void **state CM_UNUSED) {
  env *e = env_sim_new(6);
  storage_world *w = world(e, 0);
  const size_t gb = (size_t)1 << 30;
  struct op p = mk(STORE_PUT, S_S3, L_LAMBDA, "result", NULL, gb);
  assert_int_equal(issue_now(e, &p), 0);
  env_run(e, CM_S(100)); /* the put ends at 10 ms + 2^30 x 8 / 800e6 s = 10.747 s */
  assert_int_equal(p.status, 0);
  struct op g = mk(STORE_GET, S_S3, L_UAV, "result", NULL, 0);
  struct op d = mk(STORE_DELETE, S_S3, L_LAMBDA, "result", NULL, 0);
  at(e, CM_S(100), &g);
  at(e, p.at + CM_S(365 * 3600) - CM_MS(10), &d); /* completes 365 h after the put */
  env_run(e, CM_TIME_MAX);
  assert_int_equal(d.status, 0);
  assert_int_equal(d.at - p.at, CM_S(365 * 3600));
  struct storage_stats st;
  storage_world_stats(w, S_S3, &st);
  struct storage_usage u = {st.byte_seconds, st.served_puts, st.served_gets, st.served_deletes, st.egress_out_bytes};
  assert_true(fabs(storage_cost_gb_months(u.byte_seconds) - 0.5) < 1e-12);
  struct storage_price s3;
  assert_int_equal(storage_price_builtin(storage_kind_name(STORAGE_S3), &s3), 0);
  struct storage_bill b = storage_cost_bill(&s3, &u);
  assert_true(fabs(b.total - (0.0115 + 0.000005 + 0.0000004 + 0.09)) < 1e-12);
  check_balanced(w);
  storage_world_free(w);
  env_free(e);
}

/* ---- the fault decorator ---- */

static void test_fault_decorator(void **state CM_UNUSED) {
  env *inner = env_sim_new(7);
  storage_world *w = world(inner, 0);
  const struct env_fault_rule rules[] = {
      {.what = FAULT_STORE, .provider_or_addr = S_GCS, .probability = 1, .action = FAULT_FAIL, .delay = CM_MS(7)},
      {.what = FAULT_STORE, .provider_or_addr = S_BLOB, .probability = 1, .action = FAULT_DELAY,
       .delay = CM_MS(500)},
      {.what = FAULT_STORE, .provider_or_addr = S_REDIS, .start = CM_S(5), .probability = 1,
       .action = FAULT_DROP},
  };
  char *err = NULL;
  env *e = env_fault_new(inner, rules, 3, &err);
  if (!e) fail_msg("env_fault_new: %s", err);
  struct op pass = mk(STORE_PUT, S_S3, L_UAV, "k", "abc", 3);
  struct op pass_get = mk(STORE_GET, S_S3, L_UAV, "k", NULL, 0);
  struct op failed = mk(STORE_PUT, S_GCS, L_UAV, "k", "abc", 3);
  struct op delayed = mk(STORE_PUT, S_BLOB, L_UAV, "k", "abcd", 4);
  struct op delayed_get = mk(STORE_GET, S_BLOB, L_UAV, "k", NULL, 0);
  struct op edge = mk(STORE_PUT, S_REDIS, L_UAV, "k", NULL, 10);
  struct op dropped = mk(STORE_GET, S_REDIS, L_UAV, "k", NULL, 0);
  struct op bad = mk(STORE_GET, NSTORE, L_UAV, "k", NULL, 0);
  assert_int_equal(issue_now(e, &pass), 0);
  assert_int_equal(issue_now(e, &failed), 0);
  assert_int_equal(issue_now(e, &delayed), 0);
  assert_int_equal(issue_now(e, &edge), 0);
  assert_int_equal(issue_now(e, &bad), CM_EINVAL); /* the inner world refuses it: no callback */
  at(e, CM_S(1), &pass_get);
  at(e, CM_S(2), &delayed_get);
  at(e, CM_S(6), &dropped);
  env_run(inner, CM_TIME_MAX);
  assert_int_equal(pass.status, 0);
  assert_int_equal(pass.at, CM_MS(80) + 1200); /* 3 B: 24 bit / 20 Mbit/s = 1200 ns */
  assert_int_equal(pass_get.status, 0);
  assert_memory_equal(pass_get.value, "abc", 3);
  assert_int_equal(failed.status, CM_EIO);
  assert_int_equal(failed.at, CM_MS(7));
  assert_int_equal(delayed.status, 0);
  assert_int_equal(delayed.at, CM_MS(80) + 1600 + CM_MS(500));
  assert_int_equal(delayed_get.status, 0);
  assert_int_equal(delayed_get.len, 4);
  assert_memory_equal(delayed_get.value, "abcd", 4); /* copied across the delay */
  assert_int_equal(delayed_get.at - delayed_get.issued, CM_MS(80) + 800 + CM_MS(500));
  assert_int_equal(edge.status, 0);
  assert_int_equal(dropped.status, CM_EIO);
  assert_int_equal(dropped.at - dropped.issued, ENV_FAULT_DROP_TIMEOUT);
  assert_int_equal(bad.n, 0);
  struct env_fault_stats fs;
  env_fault_stats(e, &fs);
  assert_int_equal(fs.stores, 7);
  assert_int_equal(fs.stores_failed, 1);
  assert_int_equal(fs.stores_delayed, 2);
  assert_int_equal(fs.stores_dropped, 1);
  struct storage_stats st;
  storage_world_stats(w, S_GCS, &st);
  assert_int_equal(st.puts, 0); /* failed by the decorator: never reached the world */
  storage_world_stats(w, S_REDIS, &st);
  assert_int_equal(st.puts + st.gets, 1);
  check_balanced(w);
  env_free(e);
  storage_world_free(w);
  env_free(inner);
}

/* Freeing the decorator with a delayed completion pending, and the world
 * with requests in flight: nothing calls back, nothing leaks (ASan). */
static void test_free_pending(void **state CM_UNUSED) {
  env *inner = env_sim_new(8);
  storage_world *w = world(inner, 0);
  const struct env_fault_rule rule = {.what = FAULT_STORE, .provider_or_addr = ENV_FAULT_ANY, .probability = 1,
                                      .action = FAULT_DELAY, .delay = CM_S(1)};
  env *e = env_fault_new(inner, &rule, 1, NULL);
  assert_non_null(e);
  struct op held = mk(STORE_PUT, S_S3, L_LAMBDA, "k", "v", 1);  /* answered at 10 ms, held until 1.01 s */
  struct op flying = mk(STORE_PUT, S_S3, L_UAV, "k2", "v", 1);  /* not on the decorator */
  assert_int_equal(issue_now(e, &held), 0);
  assert_int_equal(issue_now(inner, &flying), 0);
  env_run(inner, CM_MS(20));
  env_free(e);
  assert_int_equal(held.n, 0);
  storage_world_free(w);
  env_run(inner, CM_TIME_MAX);
  assert_int_equal(held.n + flying.n, 0);
  /* Without a world the env answers CM_ENOSYS again. */
  struct op none = mk(STORE_GET, S_S3, L_UAV, "k", NULL, 0);
  assert_int_equal(issue_now(inner, &none), CM_ENOSYS);
  env_free(inner);
}

/* The real backend has no storage clients yet: CM_ENOSYS, no callback. */
static void test_real_enosys(void **state CM_UNUSED) {
  env *e = env_real_new(11);
  assert_non_null(e);
  struct op o = mk(STORE_PUT, 0, 0, "k", "v", 1);
  assert_int_equal(issue_now(e, &o), CM_ENOSYS);
  o.kind = STORE_GET;
  assert_int_equal(issue_now(e, &o), CM_ENOSYS);
  o.kind = STORE_DELETE;
  assert_int_equal(issue_now(e, &o), CM_ENOSYS);
  env_run(e, env_now(e) + CM_MS(10));
  assert_int_equal(o.n, 0);
  env_free(e);
}

/* ---- bad configs and requests ---- */

static void expect_bad(const struct storage_config *cfg, const char *what) {
  env *e = env_sim_new(9);
  char *err = NULL;
  assert_null(storage_world_new(e, cfg, &err));
  assert_non_null(err);
  if (!strstr(err, what)) fail_msg("error '%s' does not name '%s'", err, what);
  g_free(err);
  struct op o = mk(STORE_GET, 0, 0, "k", NULL, 0);
  assert_int_equal(issue_now(e, &o), CM_ENOSYS); /* nothing installed */
  env_free(e);
}

static void test_bad_config_and_requests(void **state CM_UNUSED) {
  links_init(0);
  struct storage_config cfg = {stores, NSTORE, locs, NLOC, links};
  struct storage_config c = cfg;
  c.nstores = 0;
  expect_bad(&c, "no stores");
  c = cfg;
  c.links = NULL;
  expect_bad(&c, "links");
  links[1 * NSTORE + 2].down_bps = 0;
  expect_bad(&cfg, "link 'aws-lambda' -> 'azure-blob': down_bps");
  links_init(0);
  links[0].latency = -1;
  expect_bad(&cfg, "link 'uav' -> 'aws-s3': latency");
  links_init(0);
  struct storage_store dup[2] = {stores[0], stores[0]};
  c = cfg;
  c.stores = dup;
  c.nstores = 2;
  expect_bad(&c, "store 1 'aws-s3': name already used");
  struct storage_store badkind[1] = {{"x", (enum storage_kind)9, "aws"}};
  c = cfg;
  c.stores = badkind;
  c.nstores = 1;
  expect_bad(&c, "store 0 'x': kind");

  env *e = env_sim_new(10);
  storage_world *w = world(e, 0);
  assert_int_equal(storage_world_find_store(w, "edge-redis"), S_REDIS);
  assert_int_equal(storage_world_find_location(w, "gcp-cloudrun"), L_CLOUDRUN);
  assert_int_equal(storage_world_find_store(w, "nope"), -1);
  assert_string_equal(storage_kind_name(storage_world_store(w, S_BLOB)->kind), "azure-blob");
  assert_int_equal(storage_kind_find("gcs"), STORAGE_GCS);
  assert_null(storage_world_store(w, NSTORE));
  struct op o = mk(STORE_PUT, S_S3, NLOC, "k", NULL, 1);
  assert_int_equal(issue_now(e, &o), CM_EINVAL);
  o = mk(STORE_PUT, S_S3, L_UAV, "", NULL, 1);
  assert_int_equal(issue_now(e, &o), CM_EINVAL);
  assert_int_equal(env_put(e, NULL, on_done, &o), CM_EINVAL);
  o = mk(STORE_PUT, S_S3, L_UAV, "k", NULL, 1);
  o.r.key = o.key;
  assert_int_equal(env_put(e, &o.r, NULL, &o), CM_EINVAL);
  o.r.timeout = -1; /* a negative deadline */
  assert_int_equal(env_put(e, &o.r, on_done, &o), CM_EINVAL);
  env_run(e, CM_TIME_MAX);
  assert_int_equal(o.n, 0);
  check_balanced(w);
  struct storage_stats st;
  storage_world_stats(w, S_S3, &st);
  assert_int_equal(st.puts, 0);
  storage_world_free(w);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_times_1b_and_64mb),
      cmocka_unit_test(test_missing_delete_overwrite),
      cmocka_unit_test(test_ordering),
      cmocka_unit_test(test_outage_and_link_change),
      cmocka_unit_test(test_random_run_balances),
      cmocka_unit_test(test_jitter_reproducible),
      cmocka_unit_test(test_cost_formula),
      cmocka_unit_test(test_cost_from_counters),
      cmocka_unit_test(test_fault_decorator),
      cmocka_unit_test(test_free_pending),
      cmocka_unit_test(test_real_enosys),
      cmocka_unit_test(test_bad_config_and_requests),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
