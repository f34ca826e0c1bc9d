/* The node identity files of `cloudmix node init` (keyfile.h): secret key
 * files written with O_EXCL and mode 0600, read back only when owner-only,
 * and the public descriptor as a GKeyFile. */
#include "keyfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "mixclaves/sphinx.h"

#define G "descriptor"

static int fail(char **err, int rc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(char **err, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err) *err = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  return rc;
}

/* Write hex(bytes) and a newline to a new file (O_EXCL, 0600). */
static int write_secret(const char *path, const uint8_t *bytes, size_t n, char **err) {
  char hex[2 * 128 + 2];
  sodium_bin2hex(hex, sizeof hex, bytes, n);
  size_t len = 2 * n;
  hex[len++] = '\n';
  int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) {
    sodium_memzero(hex, sizeof hex);
    return fail(err, errno == EEXIST ? CM_EEXIST : CM_EIO, "%s: cannot create: %s", path, g_strerror(errno));
  }
  bool ok = write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
  sodium_memzero(hex, sizeof hex);
  if (close(fd) != 0) ok = false;
  return ok ? 0 : fail(err, CM_EIO, "%s: cannot write: %s", path, g_strerror(errno));
}

/* Read n bytes of hex from an owner-only regular file. */
static int read_secret(const char *path, uint8_t *out, size_t n, char **err) {
  int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) return fail(err, CM_ENOENT, "%s: missing", path);
    return fail(err, CM_EIO, "%s: cannot open: %s", path, g_strerror(errno));
  }
  struct stat st;
  char hex[2 * 128 + 4];
  int rc = 0;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
    rc = fail(err, CM_EIO, "%s: not a regular file", path);
  } else if (st.st_uid != geteuid()) {
    rc = fail(err, CM_EIO, "%s: owned by uid %u, not by this user (%u); a secret key must be the node's own", path,
              (unsigned)st.st_uid, (unsigned)geteuid());
  } else if (st.st_mode & 077) {
    rc = fail(err, CM_EIO, "%s: permissions %04o are too open; expected 0600 (chmod 600 %s)", path,
              (unsigned)(st.st_mode & 07777), path);
  } else {
    ssize_t got = read(fd, hex, sizeof hex - 1);
    size_t want = 2 * n, used = 0;
    if (got < 0) got = 0;
    hex[got] = 0;
    while (got > 0 && (hex[got - 1] == '\n' || hex[got - 1] == '\r')) hex[--got] = 0;
    if ((size_t)got != want || sodium_hex2bin(out, n, hex, want, NULL, &used, NULL) != 0 || used != n)
      rc = fail(err, CM_EPARSE, "%s: expected %zu hex digits and a newline (as `cloudmix node init` writes)", path,
                want);
  }
  sodium_memzero(hex, sizeof hex);
  close(fd);
  return rc;
}

int keyfile_secret_write(const char *path, const uint8_t *bytes, size_t n, char **err) {
  return n > 128 ? fail(err, CM_EINVAL, "%s: a secret of %zu bytes; at most 128", path, n) : write_secret(path, bytes, n, err);
}

int keyfile_secret_read(const char *path, uint8_t *out, size_t n, char **err) {
  return n > 128 ? fail(err, CM_EINVAL, "%s: a secret of %zu bytes; at most 128", path, n) : read_secret(path, out, n, err);
}

static char *join(const char *dir, const char *name) { return g_build_filename(dir, name, NULL); }

int keyfile_init(const char *dir, struct node_descriptor *d, char **err) {
  if (!dir || !*dir || !d || d->address == 0 || !d->listen[0]) return fail(err, CM_EINVAL, "keyfile_init: bad arguments");
  if (sodium_init() < 0) return fail(err, CM_EIO, "libsodium failed to start");
  char *paths[3] = {join(dir, KEYFILE_X25519), join(dir, KEYFILE_ED25519), join(dir, KEYFILE_DESCRIPTOR)};
  struct node_identity id;
  GKeyFile *kf = NULL;
  int rc = 0;
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    rc = fail(err, CM_EIO, "%s: cannot create the directory: %s", dir, g_strerror(errno));
    goto out;
  }
  for (int i = 0; i < 3; i++)
    if (g_file_test(paths[i], G_FILE_TEST_EXISTS) || g_file_test(paths[i], G_FILE_TEST_IS_SYMLINK)) {
      rc = fail(err, CM_EEXIST, "%s exists; refusing to overwrite a node identity (move the directory away first)",
                paths[i]);
      goto out;
    }
  /* X25519 from the OS CSPRNG (a clamped secret's public key is always a
   * valid prime-order point; checked all the same) */
  if (sphinx_keypair_new(id.pk, id.sk) != 0 || sphinx_pk_check(id.pk) != 0) {
    rc = fail(err, CM_EIO, "could not make an X25519 key pair");
    goto out;
  }
  crypto_sign_keypair(id.sign_pk, id.sign_sk);
  memcpy(d->pk, id.pk, 32);
  memcpy(d->sign_pk, id.sign_pk, 32);
  g_strlcpy(d->profile, KEYFILE_PROFILE, sizeof d->profile);
  if ((rc = write_secret(paths[0], id.sk, 32, err)) || (rc = write_secret(paths[1], id.sign_sk, 64, err))) goto out;
  char pk[65], spk[65];
  sodium_bin2hex(pk, sizeof pk, d->pk, 32);
  sodium_bin2hex(spk, sizeof spk, d->sign_pk, 32);
  kf = g_key_file_new();
  g_key_file_set_comment(kf, NULL, NULL,
                         " A cloudmix mix node's public descriptor (written by `cloudmix node init`).\n"
                         " Give it to clients and other nodes: [node.NAME] descriptor = THIS FILE", NULL);
  g_key_file_set_uint64(kf, G, "address", d->address);
  g_key_file_set_string(kf, G, "listen", d->listen);
  g_key_file_set_string(kf, G, "pk", pk);
  g_key_file_set_string(kf, G, "sign_pk", spk);
  g_key_file_set_uint64(kf, G, "epoch", d->epoch);
  g_key_file_set_string(kf, G, "profile", d->profile);
  GError *ge = NULL;
  if (!g_key_file_save_to_file(kf, paths[2], &ge)) {
    rc = fail(err, CM_EIO, "%s: cannot write: %s", paths[2], ge->message);
    g_error_free(ge);
  }
out:
  sodium_memzero(&id, sizeof id);
  if (kf) g_key_file_free(kf);
  for (int i = 0; i < 3; i++) g_free(paths[i]);
  return rc;
}

/* 64 hex digits of key k in group G, or an error naming path and k. */
static int read_hex32(GKeyFile *kf, const char *path, const char *k, uint8_t out[32], char **err) {
  char *v = g_key_file_get_string(kf, G, k, NULL);
  size_t used = 0;
  bool ok = v && strlen(g_strstrip(v)) == 64 && sodium_hex2bin(out, 32, v, 64, NULL, &used, NULL) == 0 && used == 32;
  g_free(v);
  return ok ? 0 : fail(err, CM_EPARSE, "%s: [%s] %s: expected 64 hex digits", path, G, k);
}

int keyfile_descriptor_read(const char *path, struct node_descriptor *d, char **err) {
  memset(d, 0, sizeof *d);
  GKeyFile *kf = g_key_file_new();
  GError *ge = NULL;
  int rc = 0;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
    rc = fail(err, ge->domain == G_FILE_ERROR && ge->code == G_FILE_ERROR_NOENT ? CM_ENOENT : CM_EPARSE,
              "%s: cannot read the node descriptor: %s", path, ge->message);
    g_error_free(ge);
    goto out;
  }
  static const char *const keys[] = {"address", "listen", "pk", "sign_pk", "epoch", "profile"};
  for (size_t i = 0; i < G_N_ELEMENTS(keys); i++)
    if (!g_key_file_has_key(kf, G, keys[i], NULL)) {
      rc = fail(err, CM_EPARSE, "%s: [%s] %s: missing (a descriptor written by `cloudmix node init` has it)", path, G,
                keys[i]);
      goto out;
    }
  char *v = g_key_file_get_value(kf, G, "address", NULL);
  guint64 x = 0;
  if (!g_ascii_string_to_unsigned(g_strstrip(v), 10, 1, G_MAXUINT32, &x, NULL))
    rc = fail(err, CM_EPARSE, "%s: [%s] address: expected an integer in [1, 4294967295], got '%s'", path, G, v);
  d->address = (uint32_t)x;
  g_free(v);
  if (rc) goto out;
  v = g_key_file_get_value(kf, G, "epoch", NULL);
  if (!g_ascii_string_to_unsigned(g_strstrip(v), 10, 0, G_MAXUINT32, &x, NULL))
    rc = fail(err, CM_EPARSE, "%s: [%s] epoch: expected an integer in [0, 4294967295], got '%s'", path, G, v);
  d->epoch = (uint32_t)x;
  g_free(v);
  if (rc) goto out;
  v = g_key_file_get_string(kf, G, "listen", NULL);
  if (!v || !*g_strstrip(v) || strlen(v) >= sizeof d->listen)
    rc = fail(err, CM_EPARSE, "%s: [%s] listen: expected HOST:PORT", path, G);
  else
    g_strlcpy(d->listen, v, sizeof d->listen);
  g_free(v);
  if (rc) goto out;
  v = g_key_file_get_string(kf, G, "profile", NULL);
  if (!v || strcmp(g_strstrip(v), KEYFILE_PROFILE) != 0)
    rc = fail(err, CM_EPARSE, "%s: [%s] profile: expected '%s', got '%s'", path, G, KEYFILE_PROFILE, v ? v : "");
  else
    g_strlcpy(d->profile, v, sizeof d->profile);
  g_free(v);
  if (rc || (rc = read_hex32(kf, path, "pk", d->pk, err)) || (rc = read_hex32(kf, path, "sign_pk", d->sign_pk, err)))
    goto out;
  if (sphinx_pk_check(d->pk) != 0)
    rc = fail(err, CM_EPARSE,
              "%s: [%s] pk: not a valid X25519 node key (off the curve, of small order or not canonical)", path, G);
out:
  g_key_file_free(kf);
  return rc;
}

int keyfile_load(const char *dir, struct node_identity *id, struct node_descriptor *d, char **err) {
  if (sodium_init() < 0) return fail(err, CM_EIO, "libsodium failed to start");
  char *px = join(dir, KEYFILE_X25519), *pe = join(dir, KEYFILE_ED25519), *pd = join(dir, KEYFILE_DESCRIPTOR);
  int rc = 0;
  memset(id, 0, sizeof *id);
  if (!g_file_test(px, G_FILE_TEST_EXISTS) && !g_file_test(pe, G_FILE_TEST_EXISTS)) {
    rc = fail(err, CM_ENOENT,
              "%s: no node keys here; make them once with `cloudmix node init --dir %s --address N --listen HOST:PORT`",
              dir, dir);
    goto out;
  }
  if ((rc = read_secret(px, id->sk, 32, err)) || (rc = read_secret(pe, id->sign_sk, 64, err))) goto out;
  if (crypto_scalarmult_base(id->pk, id->sk) != 0 || sphinx_pk_check(id->pk) != 0) {
    rc = fail(err, CM_EPARSE, "%s: not a usable X25519 secret key", px);
    goto out;
  }
  crypto_sign_ed25519_sk_to_pk(id->sign_pk, id->sign_sk);
  uint8_t seed[32], pk2[32], sk2[64];
  crypto_sign_ed25519_sk_to_seed(seed, id->sign_sk);
  crypto_sign_seed_keypair(pk2, sk2, seed);
  bool ed_ok = sodium_memcmp(sk2, id->sign_sk, 64) == 0;
  sodium_memzero(seed, sizeof seed);
  sodium_memzero(sk2, sizeof sk2);
  if (!ed_ok) {
    rc = fail(err, CM_EPARSE, "%s: its public half does not match its secret half", pe);
    goto out;
  }
  if (d) {
    if ((rc = keyfile_descriptor_read(pd, d, err))) goto out;
    if (sodium_memcmp(d->pk, id->pk, 32) != 0 || sodium_memcmp(d->sign_pk, id->sign_pk, 32) != 0)
      rc = fail(err, CM_EPARSE, "%s: its pk / sign_pk are not those of the secret keys in %s", pd, dir);
  }
out:
  if (rc) sodium_memzero(id, sizeof *id);
  g_free(px);
  g_free(pe);
  g_free(pd);
  return rc;
}

/* ---- the operator's key pair (`cloudmix operator init`) ---- */

int keyfile_operator_init(const char *dir, uint8_t pk[32], char **err) {
  if (!dir || !*dir || !pk) return fail(err, CM_EINVAL, "keyfile_operator_init: bad arguments");
  if (sodium_init() < 0) return fail(err, CM_EIO, "libsodium failed to start");
  char *sk_path = join(dir, KEYFILE_OPERATOR_SK), *pk_path = join(dir, KEYFILE_OPERATOR_PK);
  uint8_t sk[64];
  int rc = 0;
  if (g_mkdir_with_parents(dir, 0700) != 0) {
    rc = fail(err, CM_EIO, "%s: cannot create the directory: %s", dir, g_strerror(errno));
  } else if (g_file_test(sk_path, G_FILE_TEST_EXISTS) || g_file_test(sk_path, G_FILE_TEST_IS_SYMLINK) ||
             g_file_test(pk_path, G_FILE_TEST_EXISTS) || g_file_test(pk_path, G_FILE_TEST_IS_SYMLINK)) {
    rc = fail(err, CM_EEXIST, "%s: an operator key exists; refusing to overwrite it (move the directory away first)",
              dir);
  } else {
    crypto_sign_keypair(pk, sk); /* the OS CSPRNG (libsodium) */
    rc = write_secret(sk_path, sk, 64, err);
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, pk, 32);
    char *text = g_strdup_printf("%s\n", hex);
    GError *ge = NULL;
    if (rc == 0 && !g_file_set_contents(pk_path, text, -1, &ge)) {
      rc = fail(err, CM_EIO, "%s: cannot write: %s", pk_path, ge->message);
      g_error_free(ge);
    }
    g_free(text);
  }
  sodium_memzero(sk, sizeof sk);
  g_free(sk_path);
  g_free(pk_path);
  return rc;
}

int keyfile_operator_pk_read(const char *path, uint8_t pk[32], char **err) {
  char *text = NULL;
  gsize len = 0;
  GError *ge = NULL;
  if (!g_file_get_contents(path, &text, &len, &ge)) {
    int rc = fail(err, ge->code == G_FILE_ERROR_NOENT ? CM_ENOENT : CM_EIO, "%s: cannot read: %s", path, ge->message);
    g_error_free(ge);
    return rc;
  }
  g_strstrip(text);
  int rc = keyfile_operator_pk_parse(text, pk) == 0
               ? 0
               : fail(err, CM_EPARSE, "%s: expected 64 hex digits (an Ed25519 public key, as `cloudmix operator "
                                      "init` writes), got '%.80s'", path, text);
  g_free(text);
  return rc;
}

int keyfile_operator_pk_parse(const char *hex, uint8_t pk[32]) {
  size_t got = 0;
  uint8_t point[32];
  if (!hex || strlen(hex) != 64 || sodium_hex2bin(point, 32, hex, 64, NULL, &got, NULL) != 0 || got != 32)
    return CM_EPARSE;
  /* a usable Ed25519 key: on the curve, not of small order */
  if (sodium_init() < 0 || crypto_core_ed25519_is_valid_point(point) != 1) return CM_EPARSE;
  memcpy(pk, point, 32);
  return 0;
}

int keyfile_operator_load(const char *dir, uint8_t sk[64], uint8_t pk[32], char **err) {
  char *sk_path = join(dir, KEYFILE_OPERATOR_SK);
  int rc = read_secret(sk_path, sk, 64, err);
  if (rc == CM_ENOENT) {
    g_free(*err);
    rc = fail(err, CM_ENOENT, "%s: missing; make the operator key once with `cloudmix operator init --dir %s`",
              sk_path, dir);
  }
  if (rc == 0) {
    crypto_sign_ed25519_sk_to_pk(pk, sk);
    uint8_t seed[32], pk2[32], sk2[64];
    crypto_sign_ed25519_sk_to_seed(seed, sk);
    crypto_sign_seed_keypair(pk2, sk2, seed);
    if (sodium_memcmp(sk2, sk, 64) != 0) rc = fail(err, CM_EPARSE, "%s: the public half does not match the secret", sk_path);
    sodium_memzero(seed, sizeof seed);
    sodium_memzero(sk2, sizeof sk2);
  }
  if (rc != 0) sodium_memzero(sk, 64);
  g_free(sk_path);
  return rc;
}
