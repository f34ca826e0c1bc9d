/* `cloudmix updater`'s ops over the real world (cli/updater_impl.h): the
 * key lookups over the nodes it knows, the digest files the nodes read
 * (`[node] digests`, cli/node_digests.h), provision_cmd (asynchronous,
 * g_spawn; the last line of its stdout names the new node's descriptor)
 * and, after a commit, the topology file and commit_cmd. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_real.h"
#include "node_digests.h"
#include "updater_impl.h"

double upd_t(const struct upd *s) { return cli_wall_s() - s->t0; }

int upd_key_fn(void *ctx, cm_addr addr, uint8_t pk[32]) {
  struct upd *s = ctx;
  for (size_t i = 0; i < s->n; i++)
    if (s->nodes[i].addr == addr) return memcpy(pk, s->nodes[i].pk, 32), 0;
  return CM_ENOENT;
}

int upd_sign_fn(void *ctx, cm_addr addr, uint8_t pk[32]) {
  struct upd *s = ctx;
  for (size_t i = 0; i < s->n; i++)
    if (s->nodes[i].addr == addr) return memcpy(pk, s->nodes[i].sign_pk, 32), 0;
  return CM_ENOENT;
}

/* HOST:PORT of a descriptor into the env's address book, the node into ours. */
static const char *known_add(struct upd *s, const struct node_descriptor *d) {
  if (s->n >= EPOCH_MAX_NODES) return "too many nodes";
  for (size_t i = 0; i < s->n; i++)
    if (s->nodes[i].addr == d->address) return "its address is already a node's";
  const char *colon = strrchr(d->listen, ':');
  guint64 port = 0;
  if (!colon || colon == d->listen || !g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &port, NULL))
    return "its listen is not HOST:PORT";
  char *host = g_strndup(d->listen, (gsize)(colon - d->listen));
  int rc = env_real_add_peer(s->e, d->address, host, (uint16_t)port);
  g_free(host);
  if (rc) return "its address or listen is taken";
  struct known *k = &s->nodes[s->n++];
  k->addr = d->address;
  memcpy(k->pk, d->pk, 32);
  memcpy(k->sign_pk, d->sign_pk, 32);
  g_strlcpy(k->listen, d->listen, sizeof k->listen);
  return NULL;
}

/* ---- the digests the nodes read ---- */

static void digest_write(struct upd *s, const struct epoch_digest *d) {
  uint8_t h[32], buf[EPOCH_MAX_BYTES];
  size_t len = 0;
  if (epoch_digest_hash(d, h) != 0 || epoch_digest_encode(d, buf, sizeof buf, &len) != 0) {
    s->digest_write_failed++;
    return;
  }
  char *path = node_digests_path(s->digdir, d->version, h);
  GError *ge = NULL;
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    if (g_file_set_contents(path, (const char *)buf, (gssize)len, &ge)) {
      s->digests_written++;
      printf("updater: t=%.1f s digest of epoch %u (%s, %u nodes) written: %s\n", upd_t(s), d->version,
             d->committed ? "committed" : "proposal", d->n, path);
    } else {
      s->digest_write_failed++;
      printf("updater: t=%.1f s cannot write %s: %s (the nodes will not hold it)\n", upd_t(s), path, ge->message);
      g_error_free(ge);
    }
    fflush(stdout);
  }
  g_free(path);
}

static void op_install(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                       uint64_t token) {
  struct upd *s = ctx;
  digest_write(s, d);
  s->inner.install_epoch(s->inner.ctx, node, d, done, arg, token);
}

static void op_commit(void *ctx, cm_addr node, const struct epoch_digest *d, updater_ack_fn done, void *arg,
                      uint64_t token) {
  struct upd *s = ctx;
  digest_write(s, d);
  s->inner.commit(s->inner.ctx, node, d, done, arg, token);
}

static void op_metrics(void *ctx, cm_addr node, updater_metrics_fn done, void *arg, uint64_t token) {
  struct upd *s = ctx;
  s->inner.read_metrics(s->inner.ctx, node, done, arg, token);
}

/* ---- the commands it runs ---- */

static void set_env_epoch(struct upd *s) {
  const struct epoch_digest *c = updater_committed(s->u);
  char v[32];
  snprintf(v, sizeof v, "%u", c->version);
  g_setenv("CM_EPOCH", v, TRUE);
  snprintf(v, sizeof v, "%u", c->n);
  g_setenv("CM_NODES", v, TRUE);
  if (s->topology) g_setenv("CM_TOPOLOGY", s->topology, TRUE);
}

static bool spawn(const char *cmd, GPid *pid, int *out, char **why) {
  char *argv[] = {"/bin/sh", "-c", (char *)cmd, NULL};
  GError *ge = NULL;
  /* out NULL: the command's stdout is the updater's */
  bool ok = g_spawn_async_with_pipes(NULL, argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD, NULL, NULL, pid, NULL, out, NULL,
                                     &ge);
  if (!ok) *why = g_strdup(ge->message), g_error_free(ge);
  return ok;
}

static void provision_end(struct upd *s, const struct epoch_node *node) {
  updater_provision_fn done = s->prov_done;
  s->prov_done = NULL;
  if (done) done(s->prov_arg, node);
}

static void on_provisioned(GPid pid, gint status, gpointer arg) {
  struct upd *s = arg;
  char buf[4096];
  ssize_t got = 0, r;
  /* the node it started may hold the pipe open: read what is there */
  fcntl(s->prov_fd, F_SETFL, fcntl(s->prov_fd, F_GETFL) | O_NONBLOCK);
  while (got < (ssize_t)sizeof buf - 1 && (r = read(s->prov_fd, buf + got, sizeof buf - 1 - (size_t)got)) > 0)
    got += r;
  buf[got] = 0;
  close(s->prov_fd);
  g_spawn_close_pid(pid);
  GError *ge = NULL;
  char *why = NULL;
  struct node_descriptor d;
  gchar **lines = g_strsplit(g_strstrip(buf), "\n", -1);
  const char *last = NULL;
  for (gchar **l = lines; *l; l++)
    if (*g_strstrip(*l)) last = *l;
  if (!g_spawn_check_wait_status(status, &ge)) why = g_strdup_printf("provision_cmd failed: %s", ge->message);
  else if (!last) why = g_strdup("provision_cmd printed nothing; expected the new node's descriptor file");
  else {
    char *err = NULL;
    if (keyfile_descriptor_read(last, &d, &err) != 0) why = g_strdup_printf("provision_cmd printed '%s': %s", last, err);
    else {
      const char *w = known_add(s, &d);
      if (w) why = g_strdup_printf("the node of %s: %s", last, w);
    }
    g_free(err);
  }
  if (ge) g_error_free(ge);
  if (why) {
    printf("updater: t=%.1f s provisioning failed after %.1f s: %s\n", upd_t(s), upd_t(s) - s->prov_started, why);
    fflush(stdout);
    g_free(why);
    g_strfreev(lines);
    provision_end(s, NULL);
    return;
  }
  printf("updater: t=%.1f s provisioned node %u (%s) in %.1f s: %s\n", upd_t(s), d.address, d.listen,
         upd_t(s) - s->prov_started, last);
  fflush(stdout);
  g_strfreev(lines);
  struct epoch_node node = {.addr = d.address, .role = EPOCH_ROLE_MIX};
  memcpy(node.sign_pk, d.sign_pk, 32);
  memcpy(node.sphinx_pk, d.pk, 32);
  provision_end(s, &node);
}

static void provision_failed_now(env *e CM_UNUSED, void *arg) { provision_end(arg, NULL); }

static void op_provision(void *ctx, updater_provision_fn done, void *arg) {
  struct upd *s = ctx;
  s->prov_done = done;
  s->prov_arg = arg;
  s->prov_started = upd_t(s);
  struct updater_counters k;
  updater_counters(s->u, &k);
  printf("updater: t=%.1f s scale-out: %.1f msg/s over %u node(s) passed %s; provisioning\n", upd_t(s),
         k.last_throughput, k.nodes, "its threshold");
  fflush(stdout);
  GPid pid;
  char *why = NULL;
  set_env_epoch(s);
  if (!s->prov_cmd || !spawn(s->prov_cmd, &pid, &s->prov_fd, &why)) {
    printf("updater: t=%.1f s provisioning failed: %s\n", upd_t(s), why ? why : "no provision_cmd in the config");
    fflush(stdout);
    g_free(why);
    /* not from inside the op's call (updater.h): on the next loop turn */
    env_after(s->e, 0, provision_failed_now, s);
    return;
  }
  g_child_watch_add(pid, on_provisioned, s);
}

static void on_commit_cmd(GPid pid, gint status, gpointer arg) {
  struct upd *s = arg;
  GError *ge = NULL;
  g_spawn_close_pid(pid);
  if (!g_spawn_check_wait_status(status, &ge)) {
    s->commit_cmd_failed++;
    printf("updater: t=%.1f s commit_cmd failed: %s\n", upd_t(s), ge->message);
    g_error_free(ge);
  } else {
    printf("updater: t=%.1f s commit_cmd done\n", upd_t(s));
  }
  fflush(stdout);
}

static void op_committed(void *ctx, const struct epoch_digest *d) {
  struct upd *s = ctx;
  printf("updater: t=%.1f s committed epoch %u: %u nodes\n", upd_t(s), d->version, d->n);
  if (s->topology) {
    GString *t = g_string_new("# written by cloudmix updater: the committed epoch's nodes\n");
    for (uint32_t i = 0; i < d->n; i++) {
      char hex[65];
      sodium_bin2hex(hex, sizeof hex, d->nodes[i].sphinx_pk, 32);
      const char *listen = "";
      for (size_t j = 0; j < s->n; j++)
        if (s->nodes[j].addr == d->nodes[i].addr) listen = s->nodes[j].listen;
      g_string_append_printf(t, "\n[node.a%u]\naddress = %u\nlisten = %s\npk = %s\nepoch = %u\n", d->nodes[i].addr,
                             d->nodes[i].addr, listen, hex, d->version);
    }
    GError *ge = NULL;
    if (!g_file_set_contents(s->topology, t->str, (gssize)t->len, &ge)) {
      printf("updater: cannot write the topology %s: %s\n", s->topology, ge->message);
      g_error_free(ge);
    }
    g_string_free(t, TRUE);
  }
  if (s->commit_cmd) {
    GPid pid;
    char *why = NULL;
    char v[32];
    snprintf(v, sizeof v, "%u", d->version);
    set_env_epoch(s);
    g_setenv("CM_EPOCH", v, TRUE);
    s->commit_cmds++;
    if (spawn(s->commit_cmd, &pid, NULL, &why)) {
      g_child_watch_add(pid, on_commit_cmd, s);
    } else {
      s->commit_cmd_failed++;
      printf("updater: commit_cmd: %s\n", why);
      g_free(why);
    }
  }
  fflush(stdout);
}

void upd_ops(struct upd *s, struct updater_ops *ops) {
  *ops = (struct updater_ops){.ctx = s, .read_metrics = op_metrics, .install_epoch = op_install,
                              .commit = op_commit, .provision = op_provision, .committed = op_committed};
}
