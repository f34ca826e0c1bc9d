/* The node's state database next to its keys, the installed epoch at
 * start, the persist hook and the binary's measurement; see node_state.h. */
#include "node_state.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "mixclaves/sphinx.h"

char *node_state_default(const char *keydir) {
  char *trim = g_strdup(keydir);
  size_t n = strlen(trim);
  while (n > 1 && trim[n - 1] == '/') trim[--n] = 0;
  char *p = g_strdup_printf("%s.state.db", trim);
  g_free(trim);
  return p;
}

static char *epoch_key_path(const char *keydir, uint32_t v) {
  char name[64];
  snprintf(name, sizeof name, "x25519.%u.key", v);
  return g_build_filename(keydir, name, NULL);
}

int node_state_open(struct node_state *s, const char *path, const char *keydir, struct node_identity *id,
                    const struct node_descriptor *d, char **err) {
  memset(s, 0, sizeof *s);
  for (int i = 0; i < 3; i++) s->tag_fd[i] = -1;
  s->path = g_strdup(path);
  s->keydir = g_strdup(keydir);
  memcpy(s->id_pk, id->pk, 32);
  s->digest = g_new0(struct epoch_digest, 1);
  struct epochdb_identity who = {.address = d->address};
  memcpy(who.sign_pk, id->sign_pk, 32);
  memcpy(who.pk, id->pk, 32);
  int rc = epochdb_open(path, &who, &s->db, err);
  if (rc != 0) return rc;
  rc = epochdb_installed(s->db, s->digest, &s->inst, err);
  if (rc == CM_ENOENT) return 0;
  if (rc != 0) return rc;
  uint8_t sk[32], pk[32];
  rc = keyfile_secret_read(s->inst.key_file, sk, 32, err);
  if (rc == 0 && (crypto_scalarmult_base(pk, sk) != 0 || sodium_memcmp(pk, s->inst.key_pk, 32) != 0)) {
    rc = CM_EINVAL;
    *err = g_strdup_printf("%s: holds another key than the one %s records for epoch %u", s->inst.key_file, path,
                           s->inst.version);
  }
  if (rc == 0) {
    memcpy(id->pk, pk, 32);
    memcpy(id->sk, sk, 32);
    s->installed = true;
  }
  sodium_memzero(sk, sizeof sk);
  return rc;
}

void node_state_close(struct node_state *s) {
  for (int i = 0; i < 3; i++)
    if (s->path && s->tag_fd[i] >= 0) close(s->tag_fd[i]); /* (path: opened, the fds set) */
  g_free(s->path);
  epochdb_close(s->db);
  g_free(s->keydir);
  g_free(s->digest);
  memset(s, 0, sizeof *s);
}

int node_state_persist(void *arg, const struct epoch_digest *d, const uint8_t pk[32], const uint8_t sk[32]) {
  struct node_state *s = arg;
  char *err = NULL, *path = NULL;
  int rc = 0;
  if (sodium_memcmp(pk, s->id_pk, 32) == 0) {
    path = g_build_filename(s->keydir, KEYFILE_X25519, NULL);
  } else {
    path = epoch_key_path(s->keydir, d->version);
    uint8_t have[32], hpk[32];
    rc = keyfile_secret_read(path, have, 32, &err);
    if (rc == CM_ENOENT) {
      g_free(err), err = NULL;
      rc = keyfile_secret_write(path, sk, 32, &err);
    } else if (rc == 0 && (crypto_scalarmult_base(hpk, have) != 0 || sodium_memcmp(hpk, pk, 32) != 0)) {
      rc = CM_EEXIST;
      err = g_strdup_printf("%s: holds another key for epoch %u; refused to replace it", path, d->version);
    }
    sodium_memzero(have, sizeof have);
  }
  struct epochdb_installed inst = s->inst;
  inst.version = d->version;
  memcpy(inst.key_pk, pk, 32);
  if (rc == 0 && strlen(path) >= sizeof inst.key_file) {
    rc = CM_EINVAL;
    err = g_strdup_printf("%s: path too long", path);
  }
  if (rc == 0) {
    g_strlcpy(inst.key_file, path, sizeof inst.key_file);
    rc = epochdb_install(s->db, d, &inst, &err);
  }
  if (rc == 0) {
    s->inst = inst;
    *s->digest = *d;
    s->installed = true;
  } else {
    fprintf(stderr, "cloudmix node: epoch %u not installed: %s\n", d->version, err ? err : cm_strerror(rc));
  }
  g_free(err);
  g_free(path);
  return rc;
}

int node_state_epoch_key(const struct node_state *s, uint32_t v, struct node_identity *k, char **err) {
  char *path = epoch_key_path(s->keydir, v);
  int rc = keyfile_secret_read(path, k->sk, 32, err);
  if (rc == 0 && (crypto_scalarmult_base(k->pk, k->sk) != 0 || sphinx_pk_check(k->pk) != 0)) {
    rc = CM_EINVAL;
    *err = g_strdup_printf("%s: not a valid X25519 packet key", path);
  }
  g_free(path);
  return rc;
}

/* The epoch, its digest and the measurement, as "KEY VALUE" lines. */
void node_state_print(const struct node_config *nc, const struct node_state *ns, const char *statepath) {
  char hex[65];
  printf("%-27s %u\n", "epoch", nc->epoch);
  printf("%-27s", "epochs_held");
  for (size_t i = 0; i < nc->nepochs; i++) printf("%s%u", i ? "," : " ", nc->epochs[i]);
  printf("\n");
  if (nc->has_next) {
    sodium_bin2hex(hex, sizeof hex, nc->next_pk, 32);
    printf("%-27s %s\n", "next_pk", hex);
  }
  if (nc->digest) {
    sodium_bin2hex(hex, sizeof hex, nc->digest_hash, 32);
    printf("%-27s %s\n", "epoch_digest", hex);
    sodium_bin2hex(hex, sizeof hex, ns->inst.operator_pk, 32);
    printf("%-27s %s\n", "epoch_operator_pk", hex);
  } else {
    printf("%-27s none\n", "epoch_digest");
  }
  printf("%-27s %s\n", "state", statepath);
  sodium_bin2hex(hex, sizeof hex, nc->sign_pk, 32);
  printf("%-27s %s\n", "sign_pk", hex);
  sodium_bin2hex(hex, sizeof hex, nc->binary_measurement, 32);
  printf("%-27s %s\n", "binary_blake2b", hex);
  sodium_bin2hex(hex, sizeof hex, nc->measurement, 32);
  printf("%-27s %s\n", "measurement", hex);
  char q[129];
  sodium_bin2hex(q, sizeof q, nc->quote, 64);
  printf("%-27s %s\n", "quote", q);
}

static char *tags_path(const struct node_state *s, uint32_t epoch) {
  return g_strdup_printf("%s.tags.%u", s->path, epoch);
}

void node_state_tag_log(void *arg, uint32_t epoch, const uint8_t tag[32]) {
  struct node_state *s = arg;
  int slot = -1;
  for (int i = 0; i < 3 && slot < 0; i++)
    if (s->tag_fd[i] >= 0 && s->tag_epoch[i] == epoch) slot = i;
  if (slot < 0) { /* a free slot, else the lowest epoch's */
    slot = 0;
    for (int i = 0; i < 3; i++)
      if (s->tag_fd[i] < 0 || (s->tag_fd[slot] >= 0 && s->tag_epoch[i] < s->tag_epoch[slot])) slot = i;
    if (s->tag_fd[slot] >= 0) close(s->tag_fd[slot]);
    char *p = tags_path(s, epoch);
    s->tag_fd[slot] = open(p, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
    s->tag_epoch[slot] = epoch;
    if (s->tag_fd[slot] < 0 && !s->tag_warned) {
      fprintf(stderr, "cloudmix node: %s: cannot open the replay journal: %s; replays are checked in memory only\n", p,
              g_strerror(errno));
      s->tag_warned = true;
    }
    g_free(p);
  }
  if (s->tag_fd[slot] >= 0 && write(s->tag_fd[slot], tag, 32) != 32 && !s->tag_warned) {
    fprintf(stderr, "cloudmix node: the replay journal of epoch %u: write failed: %s; a restart may accept this "
                    "packet again\n", epoch, g_strerror(errno));
    s->tag_warned = true;
  }
}

int node_state_tags_restore(struct node_state *s, node *n, uint64_t *restored, char **err) {
  *restored = 0;
  struct node_config nc;
  node_config(n, &nc);
  char *dir = g_path_get_dirname(s->path), *base = g_path_get_basename(s->path);
  char *prefix = g_strdup_printf("%s.tags.", base);
  GDir *d = g_dir_open(dir, 0, NULL);
  int rc = 0;
  for (const char *name; d && rc == 0 && (name = g_dir_read_name(d));) {
    guint64 epoch = 0;
    if (!g_str_has_prefix(name, prefix) ||
        !g_ascii_string_to_unsigned(name + strlen(prefix), 10, 0, G_MAXUINT32, &epoch, NULL))
      continue;
    char *p = g_build_filename(dir, name, NULL);
    bool held = false;
    for (size_t i = 0; i < nc.nepochs; i++) held = held || nc.epochs[i] == epoch;
    if (!held) { /* an epoch the node no longer holds: its key and filter are gone */
      if (unlink(p) != 0) {
        *err = g_strdup_printf("%s: cannot remove the journal of a dropped epoch: %s", p, g_strerror(errno));
        rc = CM_EIO;
      }
      g_free(p);
      continue;
    }
    FILE *f = fopen(p, "rb");
    if (!f) {
      *err = g_strdup_printf("%s: cannot read the replay journal: %s", p, g_strerror(errno));
      rc = CM_EIO;
    }
    static uint8_t buf[32 * 2048];
    size_t got;
    uint64_t total = 0;
    while (f && (got = fread(buf, 1, sizeof buf, f)) > 0) {
      total += got;
      for (size_t off = 0; off + 32 <= got; off += 32, (*restored)++) node_replay_restore(n, (uint32_t)epoch, buf + off);
    }
    if (f) fclose(f);
    /* a torn last record (a write cut short): dropped, so later appends stay aligned */
    if (f && total % 32 != 0 && truncate(p, (off_t)(total - total % 32)) != 0) {
      *err = g_strdup_printf("%s: cannot cut its torn last record: %s", p, g_strerror(errno));
      rc = CM_EIO;
    }
    g_free(p);
  }
  if (d) g_dir_close(d);
  g_free(prefix);
  g_free(base);
  g_free(dir);
  return rc;
}

int node_binary_measure(uint8_t out[32], char **err) {
  FILE *f = fopen("/proc/self/exe", "rb");
  if (!f) {
    *err = g_strdup_printf("/proc/self/exe: cannot open: %s", g_strerror(errno));
    return CM_EIO;
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  uint8_t buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) crypto_generichash_update(&st, buf, n);
  bool bad = ferror(f);
  fclose(f);
  if (bad) {
    *err = g_strdup("/proc/self/exe: read error");
    return CM_EIO;
  }
  crypto_generichash_final(&st, out, 32);
  return 0;
}
