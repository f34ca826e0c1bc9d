/* The real-mode config reader that `cloudmix node` (cli/node.c) and
 * `cloudmix client` (cli/client.c) share (struct mixcfg, cli.h): a
 * GKeyFile, every problem reported as one line naming the file, the group,
 * the key and what was expected; the address book of peers by descriptor
 * or pk; and the signals that end a daemon or reload its peers. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_real.h"
#include "keyfile.h"
#include "mixclaves.h"
#include "mixclaves/node.h"
#include "mixclaves/sphinx.h"

/* ---- the config reader (struct mixcfg, cli.h) ---- */

void mixcfg_fail(struct mixcfg *c, const char *group, const char *key, const char *fmt, ...) {
  if (c->err) return; /* the first problem only */
  va_list ap;
  va_start(ap, fmt);
  char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  if (key) c->err = g_strdup_printf("%s: [%s] %s: %s", c->path, group, key, what);
  else c->err = g_strdup_printf("%s: [%s]: %s", c->path, group, what);
  g_free(what);
}

bool mixcfg_open(struct mixcfg *c, const char *path) {
  memset(c, 0, sizeof *c);
  c->path = path;
  c->kf = g_key_file_new();
  GError *ge = NULL;
  if (!g_key_file_load_from_file(c->kf, path, G_KEY_FILE_NONE, &ge)) {
    c->err = g_strdup_printf("%s: cannot read the config: %s", path, ge->message);
    g_error_free(ge);
    return false;
  }
  return true;
}

void mixcfg_close(struct mixcfg *c) {
  if (c->kf) g_key_file_free(c->kf);
  g_free(c->err);
  memset(c, 0, sizeof *c);
}

/* The raw value (g_malloc'd), or NULL when absent (an error if required). */
static char *raw(struct mixcfg *c, const char *group, const char *key, bool required) {
  if (c->err) return NULL;
  char *v = g_key_file_get_value(c->kf, group, key, NULL);
  if (v) g_strstrip(v);
  if (!v && required) {
    if (!g_key_file_has_group(c->kf, group)) mixcfg_fail(c, group, NULL, "missing group");
    else mixcfg_fail(c, group, key, "missing; expected a value");
  }
  return v;
}

uint64_t mixcfg_uint(struct mixcfg *c, const char *group, const char *key, bool required, uint64_t def,
                     uint64_t min, uint64_t max) {
  char *v = raw(c, group, key, required);
  if (!v) return def;
  guint64 x = def;
  if (!g_ascii_string_to_unsigned(v, 10, min, max, &x, NULL))
    mixcfg_fail(c, group, key, "expected an integer in [%llu, %llu], got '%s'", (unsigned long long)min,
             (unsigned long long)max, v);
  g_free(v);
  return x;
}

double mixcfg_double(struct mixcfg *c, const char *group, const char *key, double def, double min, double max) {
  char *v = raw(c, group, key, false);
  if (!v) return def;
  char *end = NULL;
  double x = g_ascii_strtod(v, &end);
  if (!*v || *end || !(x >= min && x <= max)) {
    mixcfg_fail(c, group, key, "expected a number in [%g, %g], got '%s'", min, max, v);
    x = def;
  }
  g_free(v);
  return x;
}

char *mixcfg_string(struct mixcfg *c, const char *group, const char *key, const char *def) {
  char *v = raw(c, group, key, false);
  return v ? v : g_strdup(def);
}

/* HOST:PORT in v (borrowed), HOST a numeric IPv4 / [IPv6] address or a
 * name, port 1..65535; problems are reported against group's listen. */
static bool hostport_parse(struct mixcfg *c, const char *group, const char *v, char **host, uint16_t *port) {
  const char *colon = strrchr(v, ':');
  guint64 p = 0;
  bool ok = colon && colon > v && g_ascii_string_to_unsigned(colon + 1, 10, 1, 65535, &p, NULL);
  if (ok) {
    const char *h = v;
    size_t hl = (size_t)(colon - v);
    if (h[0] == '[' && hl >= 2 && h[hl - 1] == ']') h++, hl -= 2;
    *host = g_strndup(h, hl);
    *port = (uint16_t)p;
  } else {
    mixcfg_fail(c, group, "listen", "expected HOST:PORT with a port in [1, 65535], got '%s'", v);
  }
  return ok;
}

static bool hostport(struct mixcfg *c, const char *group, char **host, uint16_t *port) {
  char *v = raw(c, group, "listen", true);
  if (!v) return false;
  bool ok = hostport_parse(c, group, v, host, port);
  g_free(v);
  return ok;
}

char *mixcfg_path(struct mixcfg *c, const char *group, const char *key, bool required) {
  char *v = raw(c, group, key, required);
  if (!v) return NULL;
  if (!*v) {
    mixcfg_fail(c, group, key, "expected a path, got nothing");
    g_free(v);
    return NULL;
  }
  if (g_path_is_absolute(v)) return v;
  char *dir = g_path_get_dirname(c->path);
  char *p = g_build_filename(dir, v, NULL);
  g_free(dir);
  g_free(v);
  return p;
}

void mixcfg_refuse_gone(struct mixcfg *c, const char *group) {
  static const struct {
    const char *key, *why;
  } gone[] = {
      {"key_seed", "is gone from real mode: a node's keys come from the OS CSPRNG, made once by `cloudmix node "
                   "init --dir DIR` and loaded with keys = DIR"},
      {"seed", "is gone from real mode: ephemeral keys, padding, paths, delays and send times come from the OS "
               "CSPRNG, never from a seed"},
      {"replay_capacity", "is gone: the replay filter is sized max_rate_per_s x epoch_length_s"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(gone) && !c->err; i++)
    if (g_key_file_has_key(c->kf, group, gone[i].key, NULL)) mixcfg_fail(c, group, gone[i].key, "%s", gone[i].why);
}

int mixcfg_self(struct mixcfg *c, const char *group, env *e, const struct node_descriptor *d, cm_addr *addr,
                char **listen) {
  char *host = NULL;
  uint16_t port = 0;
  if (d) {
    *addr = (cm_addr)mixcfg_uint(c, group, "address", false, d->address, 1, G_MAXUINT32);
    if (!c->err && *addr != d->address)
      mixcfg_fail(c, group, "address", "%u, but the node's descriptor says %u; expected the same (or leave it out)",
               *addr, d->address);
    char *v = raw(c, group, "listen", false);
    if (v && !c->err && strcmp(v, d->listen) != 0)
      mixcfg_fail(c, group, "listen", "'%s', but the node's descriptor says '%s'; expected the same (or leave it out)",
               v, d->listen);
    g_free(v);
    if (c->err || !hostport_parse(c, group, d->listen, &host, &port)) return CM_EINVAL;
  } else {
    *addr = (cm_addr)mixcfg_uint(c, group, "address", true, 0, 1, G_MAXUINT32);
    if (c->err || !hostport(c, group, &host, &port)) return CM_EINVAL;
  }
  int rc = env_real_add_peer(e, *addr, host, port);
  if (rc != 0) mixcfg_fail(c, group, "listen", "cannot use '%s' port %u: %s", host, port, cm_strerror(rc));
  *listen = g_strdup_printf("%s:%u", host, port);
  g_free(host);
  return rc;
}

/* Keys allowed in each group kind. */
static bool key_known(const char *key, const char *const *allowed) {
  for (; *allowed; allowed++)
    if (!strcmp(key, *allowed)) return true;
  return false;
}

static const char *const client_peer_keys[] = {"address", "listen", NULL};
static const char *const node_peer_keys[] = {"address", "listen", "pk", "epoch", "descriptor", NULL};

/* pk = 64 hex digits: true and out set; false if absent (or bad: err set). */
static bool pk_hex(struct mixcfg *c, const char *group, uint8_t out[32]) {
  char *v = raw(c, group, "pk", false);
  if (!v) return false;
  size_t got = 0;
  bool ok = strlen(v) == 64 && sodium_hex2bin(out, 32, v, 64, NULL, &got, NULL) == 0 && got == 32;
  if (!ok) mixcfg_fail(c, group, "pk", "expected 64 hex digits (the node prints its pk at start), got '%s'", v);
  else if (sphinx_pk_check(out) != 0) {
    mixcfg_fail(c, group, "pk", "'%s' is not a valid X25519 node key (off the curve, of small order or not canonical)",
             v);
    ok = false;
  }
  g_free(v);
  return ok;
}

/* A node group's descriptor = FILE: its address, listen, pk and epoch. */
static bool peer_descriptor(struct mixcfg *c, const char *g, struct node_descriptor *d) {
  char *path = mixcfg_path(c, g, "descriptor", false);
  if (!path) return false;
  static const char *const inline_keys[] = {"address", "listen", "pk", "epoch"};
  for (size_t i = 0; i < G_N_ELEMENTS(inline_keys) && !c->err; i++)
    if (g_key_file_has_key(c->kf, g, inline_keys[i], NULL))
      mixcfg_fail(c, g, inline_keys[i], "given with descriptor; expected one or the other (the descriptor has it)");
  char *err = NULL;
  if (!c->err && keyfile_descriptor_read(path, d, &err) != 0) mixcfg_fail(c, g, "descriptor", "%s", err);
  g_free(err);
  g_free(path);
  return !c->err;
}

int mixcfg_book(struct mixcfg *c, const char *self_group, const char *const *self_keys, env *e, cm_addr self,
                bool need_pk, struct mixbook *b) {
  gsize ng = 0;
  gchar **groups = g_key_file_get_groups(c->kf, &ng);
  b->nodes = g_new0(cm_addr, ng + 1);
  b->pk = g_malloc0((ng + 1) * sizeof *b->pk);
  b->has_pk = g_new0(bool, ng + 1);
  b->epoch = g_new0(uint32_t, ng + 1);
  b->n = 0;
  for (gsize i = 0; i < ng && !c->err; i++) {
    const char *g = groups[i];
    bool is_self = !strcmp(g, self_group);
    bool is_node = g_str_has_prefix(g, "node.") && g[5];
    bool is_client = g_str_has_prefix(g, "client.") && g[7];
    if (!is_self && !is_node && !is_client) {
      mixcfg_fail(c, g, NULL, "unknown group; expected [%s], [node.NAME] or [client.NAME]", self_group);
      break;
    }
    const char *const *allowed = is_self ? self_keys : is_node ? node_peer_keys : client_peer_keys;
    gchar **keys = g_key_file_get_keys(c->kf, g, NULL, NULL);
    for (gchar **k = keys; k && *k && !c->err; k++)
      if (!key_known(*k, allowed)) {
        char *list = g_strjoinv(", ", (gchar **)allowed);
        mixcfg_fail(c, g, *k, "unknown key; expected one of: %s", list);
        g_free(list);
      }
    g_strfreev(keys);
    if (is_self || c->err) continue;
    struct node_descriptor d;
    bool has_d = is_node && peer_descriptor(c, g, &d);
    if (c->err) break;
    cm_addr a = has_d ? d.address : (cm_addr)mixcfg_uint(c, g, "address", true, 0, 1, G_MAXUINT32);
    char *host = NULL;
    uint16_t port = 0;
    if (c->err || !(has_d ? hostport_parse(c, g, d.listen, &host, &port) : hostport(c, g, &host, &port))) break;
    if (a != self) { /* a shared peer list may name this node or client too */
      int rc = env_real_add_peer(e, a, host, port);
      if (rc == CM_EEXIST) mixcfg_fail(c, g, has_d ? "descriptor" : "address", "address %u or %s:%u is listed twice", a, host, port);
      else if (rc) mixcfg_fail(c, g, has_d ? "descriptor" : "listen", "cannot use '%s': %s", host, cm_strerror(rc));
    }
    g_free(host);
    if (is_node && !c->err) {
      if (has_d) {
        memcpy(b->pk[b->n], d.pk, 32);
        b->has_pk[b->n] = true;
        b->epoch[b->n] = d.epoch;
      } else {
        b->has_pk[b->n] = pk_hex(c, g, b->pk[b->n]);
        b->epoch[b->n] = (uint32_t)mixcfg_uint(c, g, "epoch", false, 0, 0, G_MAXUINT32);
      }
      if (need_pk && a != self && !b->has_pk[b->n] && !c->err)
        mixcfg_fail(c, g, "pk", "missing; expected the node's descriptor = FILE (from `cloudmix node init`) or its pk "
                             "(64 hex digits, printed at its start)");
      b->nodes[b->n++] = a;
    }
  }
  g_strfreev(groups);
  return c->err ? CM_EINVAL : 0;
}

void mixbook_free(struct mixbook *b) {
  g_free(b->epoch);
  g_free(b->nodes);
  g_free(b->pk);
  g_free(b->has_pk);
  memset(b, 0, sizeof *b);
}

int mixbook_key(void *ctx, cm_addr addr, uint8_t pk[32]) {
  const struct mixbook *b = ctx;
  for (size_t i = 0; i < b->n; i++)
    if (b->nodes[i] == addr && b->has_pk[i]) {
      memcpy(pk, b->pk[i], 32);
      return 0;
    }
  return CM_ENOENT;
}

int mixcfg_codec(struct mixcfg *c, const char *group, const struct codec_ops **codec) {
  char *name = mixcfg_string(c, group, "crypto", "full");
  if (c->err) {
    g_free(name);
    return CM_EINVAL;
  }
  int rc = CM_EINVAL;
  if (!strcmp(name, "abstract"))
    mixcfg_fail(c, group, "crypto",
             "abstract is refused in real mode: its headers are in the clear and its checksum is public, so "
             "anyone can read, link and forge its packets (it is for simulation); expected full (the default)");
  else if ((rc = codec_lookup(name, codec)) != 0)
    mixcfg_fail(c, group, "crypto", "expected full, got '%s'", name);
  g_free(name);
  return c->err ? CM_EINVAL : rc;
}

/* ---- signals: the env's loop runs a private context, so a periodic
 * timer dispatches the default context, where the signal sources live ---- */

struct sigstop {
  env *e;
  const char *why; /* set by the first signal */
  guint ids[3];    /* SIGINT, SIGTERM, SIGHUP (0: not watched) */
  timer_id tick;
  void (*on_hup)(void *arg);
  void *hup_arg;
};

static gboolean on_signal_hup(gpointer arg) {
  struct sigstop *s = arg;
  if (s->on_hup && !s->why) s->on_hup(s->hup_arg);
  return G_SOURCE_CONTINUE;
}

void mixcfg_signals_on_hup(struct mixsig *m, void (*fn)(void *arg), void *arg) {
  struct sigstop *s = m->impl;
  s->on_hup = fn;
  s->hup_arg = arg;
  if (!s->ids[2]) s->ids[2] = g_unix_signal_add(SIGHUP, on_signal_hup, s);
}

static gboolean on_signal(gpointer arg, int sig) {
  struct sigstop *s = arg;
  if (!s->why) s->why = sig == SIGINT ? "SIGINT" : "SIGTERM";
  env_stop(s->e);
  return G_SOURCE_CONTINUE;
}

static gboolean on_signal_int(gpointer arg) { return on_signal(arg, SIGINT); }
static gboolean on_signal_term(gpointer arg) { return on_signal(arg, SIGTERM); }

static void on_tick(env *e, void *arg) {
  struct sigstop *s = arg;
  while (g_main_context_iteration(NULL, FALSE)) {
  }
  s->tick = s->why ? 0 : env_after(e, CM_MS(20), on_tick, s);
}

void mixcfg_signals_begin(struct mixsig *m, env *e) {
  struct sigstop *s = g_new0(struct sigstop, 1);
  s->e = e;
  s->ids[0] = g_unix_signal_add(SIGINT, on_signal_int, s);
  s->ids[1] = g_unix_signal_add(SIGTERM, on_signal_term, s);
  s->tick = env_after(e, CM_MS(20), on_tick, s);
  m->impl = s;
}

const char *mixcfg_signals_end(struct mixsig *m) {
  struct sigstop *s = m->impl;
  const char *why = s->why;
  if (s->tick) env_cancel(s->e, s->tick);
  for (size_t i = 0; i < G_N_ELEMENTS(s->ids); i++)
    if (s->ids[i]) g_source_remove(s->ids[i]);
  g_free(s);
  m->impl = NULL;
  return why;
}
