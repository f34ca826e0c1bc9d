/* The node's state database (real/epochdb.h): install and reopen give
 * back the digest, key and operator; a crash inside the install's
 * transaction (a child process that dies before COMMIT) leaves the old
 * state; a crash after it, before the node switches, leaves the new one;
 * backwards and conflicting installs are refused; a corrupt file, another
 * program's database, another node's database and a damaged digest row are
 * refused with the file named. */
#include "cmocka_inc.h"

#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>
#include <sodium.h>
#include <sqlite3.h>

#include "epochdb.h"
#include "rng.h"

static char *dir;
static struct epochdb_identity me;
static uint8_t op_pk[32], op_sk[64];
static rng *r;

static int setup(void **state CM_UNUSED) {
  dir = g_dir_make_tmp("test_epochdb_XXXXXX", NULL);
  r = rng_new(21, "epochdb");
  uint8_t seed[32], sk[64];
  rng_bytes(r, seed, 32);
  crypto_sign_seed_keypair(me.sign_pk, sk, seed);
  rng_bytes(r, me.pk, 32);
  me.address = 7;
  rng_bytes(r, seed, 32);
  crypto_sign_seed_keypair(op_pk, op_sk, seed);
  return 0;
}

static int teardown(void **state CM_UNUSED) {
  char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  g_free(cmd);
  g_free(dir);
  rng_free(r);
  return 0;
}

static char *path_of(const char *name) { return g_build_filename(dir, name, NULL); }

/* A committed digest of version v listing me with packet key pk (and two others). */
static void digest(uint32_t v, const uint8_t pk[32], struct epoch_digest *d, struct epochdb_installed *inst) {
  epoch_digest_init(d, v, CM_S(v));
  d->committed = true;
  for (cm_addr a = 6; a <= 8; a++) {
    struct epoch_node nd = {.addr = a};
    if (a == me.address) {
      memcpy(nd.sign_pk, me.sign_pk, 32);
      memcpy(nd.sphinx_pk, pk, 32);
    } else {
      rng_bytes(r, nd.sign_pk, 32);
      rng_bytes(r, nd.sphinx_pk, 32);
    }
    assert_int_equal(epoch_digest_put(d, &nd), 0);
  }
  assert_int_equal(epoch_digest_sign(d, op_sk), 0);
  memset(inst, 0, sizeof *inst);
  inst->version = v;
  memcpy(inst->key_pk, pk, 32);
  snprintf(inst->key_file, sizeof inst->key_file, "/keys/x25519.%u.key", v);
  memcpy(inst->operator_pk, op_pk, 32);
}

static epochdb *open_ok(const char *p) {
  epochdb *db = NULL;
  char *err = NULL;
  int rc = epochdb_open(p, &me, &db, &err);
  if (rc) print_error("%s\n", err);
  assert_int_equal(rc, 0);
  return db;
}

/* The error of opening p, which must name p. */
static int open_err(const char *p, const char *needle) {
  epochdb *db = NULL;
  char *err = NULL;
  int rc = epochdb_open(p, &me, &db, &err);
  assert_true(rc < 0);
  assert_null(db);
  print_message("refused: %s\n", err);
  assert_non_null(strstr(err, p));
  if (needle) assert_non_null(strstr(err, needle));
  g_free(err);
  return rc;
}

static void expect_installed(epochdb *db, const struct epoch_digest *want, const struct epochdb_installed *wi) {
  static struct epoch_digest got;
  struct epochdb_installed gi;
  char *err = NULL;
  assert_int_equal(epochdb_installed(db, &got, &gi, &err), 0);
  assert_true(epoch_digest_equal(&got, want));
  assert_int_equal(gi.version, wi->version);
  assert_memory_equal(gi.key_pk, wi->key_pk, 32);
  assert_string_equal(gi.key_file, wi->key_file);
  assert_memory_equal(gi.operator_pk, wi->operator_pk, 32);
}

static void test_round_trip(void **state CM_UNUSED) {
  char *p = path_of("rt.db"), *err = NULL;
  static struct epoch_digest d2, d3, got, bad;
  struct epochdb_installed i2, i3, gi;
  uint8_t k2[32], k3[32];
  rng_bytes(r, k2, 32);
  rng_bytes(r, k3, 32);
  digest(2, k2, &d2, &i2);
  digest(3, k3, &d3, &i3);
  epochdb *db = open_ok(p);
  assert_int_equal(epochdb_installed(db, &got, &gi, &err), CM_ENOENT);
  assert_int_equal(epochdb_install(db, &d2, &i2, &err), 0);
  expect_installed(db, &d2, &i2);
  assert_int_equal(epochdb_install(db, &d2, &i2, &err), 0); /* again: the same */
  epochdb_close(db);
  db = open_ok(p); /* reopened: the same state */
  expect_installed(db, &d2, &i2);
  assert_int_equal(epochdb_install(db, &d3, &i3, &err), 0);
  expect_installed(db, &d3, &i3);
  assert_int_equal(epochdb_digest(db, 2, &got, &err), 0); /* by version */
  assert_true(epoch_digest_equal(&got, &d2));
  assert_int_equal(epochdb_digest(db, 9, &got, &err), CM_ENOENT);
  /* refused: going back, another digest of an installed version, an
   * unsigned one, one not listing this key */
  assert_int_equal(epochdb_install(db, &d2, &i2, &err), CM_ERANGE);
  g_free(err), err = NULL;
  bad = d3;
  bad.timestamp++;
  epoch_digest_sign(&bad, op_sk);
  assert_int_equal(epochdb_install(db, &bad, &i3, &err), CM_EEXIST);
  g_free(err), err = NULL;
  bad = d3;
  bad.version = 4;
  i3.version = 4;
  assert_int_equal(epochdb_install(db, &bad, &i3, &err), CM_EINVAL); /* signature of another body */
  g_free(err), err = NULL;
  epoch_digest_sign(&bad, op_sk);
  rng_bytes(r, i3.key_pk, 32);
  assert_int_equal(epochdb_install(db, &bad, &i3, &err), CM_EINVAL); /* another packet key */
  assert_non_null(strstr(err, p));
  g_free(err), err = NULL;
  epochdb_close(db);
  /* another node's keys */
  struct epochdb_identity mine = me;
  me.address = 99;
  open_err(p, "another node");
  me = mine;
  g_free(p);
}

/* A child installs epoch 5 inside the transaction and dies before COMMIT:
 * the reopened database still has epoch 4. Another commits and dies before
 * the node would switch: the reopened database has epoch 5 (the node
 * restarts into it, which is what persisting first is for). */
static void test_crash(void **state CM_UNUSED) {
  char *p = path_of("crash.db"), *err = NULL;
  static struct epoch_digest d4, d5;
  struct epochdb_installed i4, i5;
  uint8_t k4[32], k5[32];
  rng_bytes(r, k4, 32);
  rng_bytes(r, k5, 32);
  digest(4, k4, &d4, &i4);
  digest(5, k5, &d5, &i5);
  epochdb *db = open_ok(p);
  assert_int_equal(epochdb_install(db, &d4, &i4, &err), 0);
  epochdb_close(db);
  for (int commit = 0; commit < 2; commit++) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
      epochdb *c = NULL;
      char *e2 = NULL;
      if (epochdb_open(p, &me, &c, &e2) != 0) _exit(3);
      int rc = commit ? epochdb_install(c, &d5, &i5, &e2) : epochdb_install_uncommitted(c, &d5, &i5, &e2);
      _exit(rc == 0 ? 9 : 4); /* dies here: no close, no rollback */
    }
    int st = 0;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 9);
    db = open_ok(p);
    if (commit) expect_installed(db, &d5, &i5);
    else expect_installed(db, &d4, &i4);
    epochdb_close(db);
  }
  g_free(p);
}

static void write_file(const char *p, const void *b, size_t n) {
  FILE *f = fopen(p, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(b, 1, n, f), n);
  fclose(f);
}

static void test_corrupt(void **state CM_UNUSED) {
  char *p = path_of("junk.db");
  uint8_t junk[4096];
  rng_bytes(r, junk, sizeof junk);
  write_file(p, junk, sizeof junk);
  assert_int_equal(open_err(p, "not a cloudmix epoch database"), CM_EPARSE);
  g_free(p);
  /* another program's SQLite database */
  p = path_of("foreign.db");
  sqlite3 *s = NULL;
  assert_int_equal(sqlite3_open(p, &s), SQLITE_OK);
  assert_int_equal(sqlite3_exec(s, "CREATE TABLE t(x)", NULL, NULL, NULL), SQLITE_OK);
  sqlite3_close(s);
  assert_int_equal(open_err(p, "another program"), CM_EPARSE);
  g_free(p);
  /* a good database, then its digest row damaged: one byte of the
   * encoding, then the hash */
  p = path_of("damaged.db");
  static struct epoch_digest d, got;
  struct epochdb_installed in, gi;
  uint8_t k[32];
  rng_bytes(r, k, 32);
  digest(2, k, &d, &in);
  char *err = NULL;
  epochdb *db = open_ok(p);
  assert_int_equal(epochdb_install(db, &d, &in, &err), 0);
  epochdb_close(db);
  const char *damage[] = {
      "UPDATE digests SET encoding = substr(encoding, 1, 30) || x'ff' || substr(encoding, 32)",
      "UPDATE digests SET encoding = substr(encoding, 1, 100)",
      "UPDATE installed SET key_pk = x'00'",
  };
  for (size_t i = 0; i < sizeof damage / sizeof damage[0]; i++) {
    char *cp = g_strdup_printf("%s.%zu", p, i);
    char *cmd = g_strdup_printf("cp '%s' '%s'", p, cp);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(sqlite3_open(cp, &s), SQLITE_OK);
    assert_int_equal(sqlite3_exec(s, damage[i], NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(s);
    db = open_ok(cp);
    assert_int_equal(epochdb_installed(db, &got, &gi, &err), CM_EPARSE);
    print_message("refused: %s\n", err);
    assert_non_null(strstr(err, cp));
    g_free(err), err = NULL;
    epochdb_close(db);
    g_free(cmd);
    g_free(cp);
  }
  /* truncated to half: a damaged file */
  FILE *f = fopen(p, "rb");
  assert_non_null(f);
  static uint8_t whole[1 << 16];
  size_t n = fread(whole, 1, sizeof whole, f);
  fclose(f);
  assert_true(n > 1024);
  write_file(p, whole, n / 2);
  int rc = epochdb_open(p, &me, &db, &err);
  if (rc == 0) { /* the first pages may survive: the rows must not */
    rc = epochdb_installed(db, &got, &gi, &err);
    epochdb_close(db);
  }
  assert_true(rc < 0 && rc != CM_ENOENT);
  print_message("truncated: %s\n", err);
  assert_non_null(strstr(err, p));
  g_free(err);
  g_free(p);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_round_trip), cmocka_unit_test(test_crash),
                                     cmocka_unit_test(test_corrupt)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
