/* The operator's key files (real/keyfile.c, `cloudmix operator init`):
 * a fresh pair is written owner-only and never overwritten; it loads back
 * with its public half; two inits give two different keys (the OS
 * CSPRNG, no seed); a secret readable by others, truncated or tampered
 * with is refused; the public file's parser takes exactly 64 hex digits
 * of a valid Ed25519 point; and a command signed with the loaded key
 * verifies under the public file's key (models/mixclaves/ctrl.h). */
#include "cmocka_inc.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "keyfile.h"
#include "mixclaves/ctrl.h"

static char *tmp;

static int setup(void **state) {
  (void)state;
  tmp = g_dir_make_tmp("keyfile-XXXXXX", NULL);
  return tmp ? 0 : -1;
}

static int teardown(void **state) {
  (void)state;
  char *cmd = g_strdup_printf("rm -rf '%s'", tmp);
  int rc = system(cmd);
  g_free(cmd);
  g_free(tmp);
  return rc;
}

static char *path(const char *a, const char *b) { return g_build_filename(tmp, a, b, NULL); }

static void test_init_load(void **state) {
  (void)state;
  char *dir = path("op", NULL), *sk_path = path("op", KEYFILE_OPERATOR_SK), *pk_path = path("op", KEYFILE_OPERATOR_PK);
  uint8_t pk[32], pk2[32], pk_file[32], sk[64];
  char *err = NULL;
  assert_int_equal(keyfile_operator_init(dir, pk, &err), 0);
  GStatBuf st;
  assert_int_equal(g_stat(sk_path, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0600);
  assert_int_equal(g_stat(dir, &st), 0);
  assert_int_equal(st.st_mode & 0777, 0700);
  assert_int_equal(keyfile_operator_load(dir, sk, pk2, &err), 0);
  assert_memory_equal(pk, pk2, 32);
  assert_int_equal(keyfile_operator_pk_read(pk_path, pk_file, &err), 0);
  assert_memory_equal(pk, pk_file, 32);

  /* a request signed with the loaded key verifies with the public file's */
  struct ctrl_request r = {.command = CTRL_READ_METRICS, .target = 3, .seq = 1};
  assert_int_equal(ctrl_request_sign(&r, sk), 0);
  assert_int_equal(ctrl_request_verify(&r, pk_file), 0);

  /* never overwritten */
  uint8_t again[32];
  assert_int_equal(keyfile_operator_init(dir, again, &err), CM_EEXIST);
  assert_non_null(strstr(err, "refusing to overwrite"));
  g_free(err);
  err = NULL;
  uint8_t pk3[32];
  assert_int_equal(keyfile_operator_load(dir, sk, pk3, &err), 0);
  assert_memory_equal(pk, pk3, 32);

  /* a second operator: another key */
  char *dir2 = path("op2", NULL);
  assert_int_equal(keyfile_operator_init(dir2, pk2, &err), 0);
  assert_memory_not_equal(pk, pk2, 32);
  sodium_memzero(sk, sizeof sk);
  g_free(dir2);
  g_free(dir);
  g_free(sk_path);
  g_free(pk_path);
}

static void test_refused(void **state) {
  (void)state;
  char *dir = path("bad", NULL), *sk_path = path("bad", KEYFILE_OPERATOR_SK);
  uint8_t pk[32], sk[64];
  char *err = NULL;
  /* missing: names the init command */
  assert_int_equal(keyfile_operator_load(dir, sk, pk, &err), CM_ENOENT);
  assert_non_null(strstr(err, "cloudmix operator init"));
  g_free(err);
  err = NULL;
  assert_int_equal(keyfile_operator_init(dir, pk, &err), 0);
  /* readable by others */
  assert_int_equal(g_chmod(sk_path, 0644), 0);
  assert_int_equal(keyfile_operator_load(dir, sk, pk, &err), CM_EIO);
  assert_non_null(strstr(err, "too open"));
  g_free(err);
  err = NULL;
  assert_int_equal(g_chmod(sk_path, 0600), 0);
  /* tampered: the public half no longer matches */
  char *text = NULL;
  assert_true(g_file_get_contents(sk_path, &text, NULL, NULL));
  text[127] = text[127] == '0' ? '1' : '0';
  assert_true(g_file_set_contents(sk_path, text, -1, NULL));
  assert_int_equal(g_chmod(sk_path, 0600), 0);
  assert_int_equal(keyfile_operator_load(dir, sk, pk, &err), CM_EPARSE);
  assert_non_null(strstr(err, "does not match"));
  g_free(err);
  err = NULL;
  /* truncated */
  text[100] = '\n';
  text[101] = 0;
  assert_true(g_file_set_contents(sk_path, text, -1, NULL));
  assert_int_equal(g_chmod(sk_path, 0600), 0);
  assert_int_equal(keyfile_operator_load(dir, sk, pk, &err), CM_EPARSE);
  g_free(err);
  g_free(text);
  g_free(dir);
  g_free(sk_path);
}

static void test_pk_parse(void **state) {
  (void)state;
  uint8_t pk[32], sk[64];
  char hex[65];
  crypto_sign_keypair(pk, sk);
  sodium_bin2hex(hex, sizeof hex, pk, 32);
  uint8_t got[32];
  assert_int_equal(keyfile_operator_pk_parse(hex, got), 0);
  assert_memory_equal(got, pk, 32);
  assert_int_equal(keyfile_operator_pk_parse("12ab", got), CM_EPARSE);
  assert_int_equal(keyfile_operator_pk_parse(NULL, got), CM_EPARSE);
  char bad[65];
  memcpy(bad, hex, sizeof bad);
  bad[5] = 'g';
  assert_int_equal(keyfile_operator_pk_parse(bad, got), CM_EPARSE);
  /* the identity point (small order) and a point off the curve */
  char ident[65] = "0100000000000000000000000000000000000000000000000000000000000000";
  assert_int_equal(keyfile_operator_pk_parse(ident, got), CM_EPARSE);
  char off[65] = "0200000000000000000000000000000000000000000000000000000000000000";
  assert_int_equal(keyfile_operator_pk_parse(off, got), CM_EPARSE);
  /* a file: surrounding white space is fine, anything else named */
  char *f = path("pub", NULL);
  char *text = g_strdup_printf("  %s\n", hex);
  assert_true(g_file_set_contents(f, text, -1, NULL));
  char *err = NULL;
  memset(got, 0, sizeof got);
  assert_int_equal(keyfile_operator_pk_read(f, got, &err), 0);
  assert_memory_equal(got, pk, 32);
  assert_true(g_file_set_contents(f, "not a key\n", -1, NULL));
  assert_int_equal(keyfile_operator_pk_read(f, got, &err), CM_EPARSE);
  assert_non_null(strstr(err, f));
  g_free(err);
  err = NULL;
  char *none = path("none", NULL);
  assert_int_equal(keyfile_operator_pk_read(none, got, &err), CM_ENOENT);
  g_free(err);
  g_free(none);
  g_free(text);
  g_free(f);
}

int main(void) {
  if (sodium_init() < 0) return 1;
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_init_load), cmocka_unit_test(test_refused),
                                     cmocka_unit_test(test_pk_parse)};
  return cmocka_run_group_tests(tests, setup, teardown);
}
