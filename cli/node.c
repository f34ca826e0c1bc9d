/* `cloudmix node --config FILE`: one Mixclaves mix node as a daemon over
 * UDP on the real backend (real/env_real.h), the same node code as in
 * simulation (models/mixclaves/node.h), until SIGINT / SIGTERM or
 * --duration; then its counters on stdout. Also the real-mode config
 * reader shared with `cloudmix client` (cli/client.c): a GKeyFile, every
 * problem reported as one line naming the file, the group, the key and
 * what was expected.
 *
 * Config (scenarios/mixclaves/real-node.ini is an example):
 *   [node]       this node: id, address, listen = HOST:PORT, key_seed
 *                (hex), buffer, buffer_capacity, queue_max, crypto,
 *                replay_capacity, loop_rate_per_s, loop_hops
 *   [node.NAME]  another node (a next hop): address, listen, pk (hex;
 *                needed by crypto = full for the node's own loops)
 *   [client.NAME] a client (a destination): address, listen
 * key_seed seeds the node's env, from which its X25519 and Ed25519 keys
 * are drawn (stream "node:<addr>:keys"): reproducible for tests, and so
 * NOT for deployments, which should leave it out (the keys then come from
 * libsodium's randombytes) until key files exist. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_real.h"
#include "mixclaves.h"
#include "mixclaves/node.h"

/* ---- the config reader (struct mixcfg, cli.h) ---- */

static void cfg_fail(struct mixcfg *c, const char *group, const char *key, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
static void cfg_fail(struct mixcfg *c, const char *group, const char *key, const char *fmt, ...) {
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
    if (!g_key_file_has_group(c->kf, group)) cfg_fail(c, group, NULL, "missing group");
    else cfg_fail(c, group, key, "missing; expected a value");
  }
  return v;
}

uint64_t mixcfg_uint(struct mixcfg *c, const char *group, const char *key, bool required, uint64_t def,
                     uint64_t min, uint64_t max) {
  char *v = raw(c, group, key, required);
  if (!v) return def;
  guint64 x = def;
  if (!g_ascii_string_to_unsigned(v, 10, min, max, &x, NULL))
    cfg_fail(c, group, key, "expected an integer in [%llu, %llu], got '%s'", (unsigned long long)min,
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
    cfg_fail(c, group, key, "expected a number in [%g, %g], got '%s'", min, max, v);
    x = def;
  }
  g_free(v);
  return x;
}

char *mixcfg_string(struct mixcfg *c, const char *group, const char *key, const char *def) {
  char *v = raw(c, group, key, false);
  return v ? v : g_strdup(def);
}

bool mixcfg_hex64(struct mixcfg *c, const char *group, const char *key, uint64_t *out) {
  char *v = raw(c, group, key, false);
  if (!v) return false;
  guint64 x = 0;
  size_t n = strlen(v);
  bool ok = n >= 1 && n <= 16 && strspn(v, "0123456789abcdefABCDEF") == n &&
            g_ascii_string_to_unsigned(v, 16, 0, G_MAXUINT64, &x, NULL);
  if (!ok) cfg_fail(c, group, key, "expected 1 to 16 hex digits, got '%s'", v);
  g_free(v);
  *out = x;
  return ok;
}

/* HOST:PORT, HOST a numeric IPv4 / [IPv6] address or a name, port 1..65535. */
static bool hostport(struct mixcfg *c, const char *group, char **host, uint16_t *port) {
  char *v = raw(c, group, "listen", true);
  if (!v) return false;
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
    cfg_fail(c, group, "listen", "expected HOST:PORT with a port in [1, 65535], got '%s'", v);
  }
  g_free(v);
  return ok;
}

int mixcfg_self(struct mixcfg *c, const char *group, env *e, cm_addr *addr, char **listen) {
  *addr = (cm_addr)mixcfg_uint(c, group, "address", true, 0, 1, G_MAXUINT32);
  char *host = NULL;
  uint16_t port = 0;
  if (c->err || !hostport(c, group, &host, &port)) return CM_EINVAL;
  int rc = env_real_add_peer(e, *addr, host, port);
  if (rc != 0) cfg_fail(c, group, "listen", "cannot use '%s' port %u: %s", host, port, cm_strerror(rc));
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
static const char *const node_peer_keys[] = {"address", "listen", "pk", NULL};

/* pk = 64 hex digits: true and out set; false if absent (or bad: err set). */
static bool pk_hex(struct mixcfg *c, const char *group, uint8_t out[32]) {
  char *v = raw(c, group, "pk", false);
  if (!v) return false;
  size_t got = 0;
  bool ok = strlen(v) == 64 && sodium_hex2bin(out, 32, v, 64, NULL, &got, NULL) == 0 && got == 32;
  if (!ok) cfg_fail(c, group, "pk", "expected 64 hex digits (the node prints its pk at start), got '%s'", v);
  g_free(v);
  return ok;
}

int mixcfg_book(struct mixcfg *c, const char *self_group, const char *const *self_keys, env *e, cm_addr self,
                bool need_pk, struct mixbook *b) {
  gsize ng = 0;
  gchar **groups = g_key_file_get_groups(c->kf, &ng);
  b->nodes = g_new0(cm_addr, ng + 1);
  b->pk = g_malloc0((ng + 1) * sizeof *b->pk);
  b->has_pk = g_new0(bool, ng + 1);
  b->n = 0;
  for (gsize i = 0; i < ng && !c->err; i++) {
    const char *g = groups[i];
    bool is_self = !strcmp(g, self_group);
    bool is_node = g_str_has_prefix(g, "node.") && g[5];
    bool is_client = g_str_has_prefix(g, "client.") && g[7];
    if (!is_self && !is_node && !is_client) {
      cfg_fail(c, g, NULL, "unknown group; expected [%s], [node.NAME] or [client.NAME]", self_group);
      break;
    }
    const char *const *allowed = is_self ? self_keys : is_node ? node_peer_keys : client_peer_keys;
    gchar **keys = g_key_file_get_keys(c->kf, g, NULL, NULL);
    for (gchar **k = keys; k && *k && !c->err; k++)
      if (!key_known(*k, allowed)) {
        char *list = g_strjoinv(", ", (gchar **)allowed);
        cfg_fail(c, g, *k, "unknown key; expected one of: %s", list);
        g_free(list);
      }
    g_strfreev(keys);
    if (is_self || c->err) continue;
    cm_addr a = (cm_addr)mixcfg_uint(c, g, "address", true, 0, 1, G_MAXUINT32);
    char *host = NULL;
    uint16_t port = 0;
    if (c->err || !hostport(c, g, &host, &port)) break;
    if (a != self) { /* a shared peer list may name this node or client too */
      int rc = env_real_add_peer(e, a, host, port);
      if (rc == CM_EEXIST) cfg_fail(c, g, "address", "address %u or %s:%u is listed twice", a, host, port);
      else if (rc) cfg_fail(c, g, "listen", "cannot use '%s': %s", host, cm_strerror(rc));
    }
    g_free(host);
    if (is_node && !c->err) {
      b->has_pk[b->n] = pk_hex(c, g, b->pk[b->n]);
      if (need_pk && a != self && !b->has_pk[b->n] && !c->err)
        cfg_fail(c, g, "pk", "missing; crypto = full needs each node's pk (64 hex digits, printed at its start)");
      b->nodes[b->n++] = a;
    }
  }
  g_strfreev(groups);
  return c->err ? CM_EINVAL : 0;
}

void mixbook_free(struct mixbook *b) {
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
  char *name = mixcfg_string(c, group, "crypto", "abstract");
  if (c->err) {
    g_free(name);
    return CM_EINVAL;
  }
  int rc = codec_lookup(name, codec);
  if (rc == CM_ENOSYS)
    cfg_fail(c, group, "crypto", "'%s' (Sphinx) is not available in this build yet; expected abstract", name);
  else if (rc)
    cfg_fail(c, group, "crypto", "expected abstract or full, got '%s'", name);
  g_free(name);
  return rc;
}

/* ---- signals: the env's loop runs a private context, so a periodic
 * timer dispatches the default context, where the signal sources live ---- */

struct sigstop {
  env *e;
  const char *why; /* set by the first signal */
  guint ids[2];
  timer_id tick;
};

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
  g_source_remove(s->ids[0]);
  g_source_remove(s->ids[1]);
  g_free(s);
  m->impl = NULL;
  return why;
}

/* ---- the daemon ---- */

static const char *const node_keys[] = {"id", "address", "listen", "key_seed", "buffer", "buffer_capacity",
                                        "queue_max", "crypto", "replay_capacity", "loop_rate_per_s",
                                        "loop_hops", NULL};

static void print_counters(const struct node_counters *k, const struct env_net_stats *st) {
  const struct {
    const char *name;
    uint64_t v;
  } rows[] = {{"received", k->received},
              {"malformed", k->malformed},
              {"replay", k->replay},
              {"queue_full", k->queue_full},
              {"buffer_full", k->buffer_full},
              {"unknown_next_hop", k->unknown_next_hop},
              {"discarded_drop", k->discarded_drop},
              {"loop_returned", k->loop_returned},
              {"forwarded", k->forwarded},
              {"delivered", k->delivered},
              {"send_failed", k->send_failed},
              {"in_cpu", k->in_cpu},
              {"held", k->held},
              {"loops_sent", k->loops_sent},
              {"loop_send_failed", k->loop_send_failed},
              {"max_held", k->max_held},
              {"net_dropped_unknown_source", st->dropped_unknown},
              {"net_dropped_oversize", st->dropped_oversize},
              {"net_send_errors", st->send_errors}};
  for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) printf("%-27s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
}

int cli_node(int argc, char **argv) {
  gchar *config = NULL;
  gdouble duration = 0;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The node's config (required)", "FILE"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Stop after S seconds (default: until SIGINT/SIGTERM)",
       "S"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- run a Mixclaves mix node over UDP (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "The same node code as in simulation, on the real backend: it listens on UDP,\n"
      "unwraps, holds each packet for its header's delay, forwards or delivers,\n"
      "until SIGINT/SIGTERM or --duration, then prints its counters (received =\n"
      "malformed + replay + queue_full + buffer_full + unknown_next_hop +\n"
      "discarded_drop + loop_returned + forwarded + delivered + send_failed +\n"
      "in_cpu + held). At start it prints its X25519 public key (pk), which\n"
      "clients and other nodes need in their configs with crypto = full.\n"
      "Datagrams from a host:port not in the config are dropped before the node\n"
      "(net_dropped_unknown_source).\n\n"
      "Config (GKeyFile; example scenarios/mixclaves/real-node.ini):\n"
      "  [node]         id (0), address (required, >= 1), listen = HOST:PORT (required),\n"
      "                 key_seed = HEX (1-16 digits: reproducible keys, for tests only;\n"
      "                 leave it out in deployments: random keys), buffer = append |\n"
      "                 random | oblivious (oblivious), buffer_capacity (4096),\n"
      "                 queue_max (1024), crypto = abstract | full (abstract),\n"
      "                 replay_capacity (1000000), loop_rate_per_s (0), loop_hops (1)\n"
      "  [node.NAME]    another node, a next hop: address, listen = HOST:PORT, and\n"
      "                 pk = 64 hex digits (with crypto = full and loop_rate_per_s > 0)\n"
      "  [client.NAME]  a client, a destination: address, listen = HOST:PORT\n\n"
      "Exit codes: 0 ok, 1 the run failed, 2 bad usage or config (one line on stderr).");
  char *bad = mxr_parse(ctx, &argc, &argv, &config);
  if (!bad && !(duration >= 0 && duration <= 1e7)) bad = g_strdup("--duration: expected seconds in [0, 1e7]");
  if (bad) return mxr_usage("node", bad, config);

  int rc = CM_EXIT_USAGE;
  struct mixcfg c;
  env *e = NULL;
  node *n = NULL;
  struct mixbook book = {0};
  char *listen = NULL, *bufname = NULL;
  if (!mixcfg_open(&c, config)) goto done;
  const char *G = "node";
  uint64_t seed = 0;
  bool seeded = mixcfg_hex64(&c, G, "key_seed", &seed);
  if (!seeded && !c.err) {
    if (sodium_init() < 0) cfg_fail(&c, G, "key_seed", "libsodium failed to start; give a key_seed");
    randombytes_buf(&seed, sizeof seed);
  }
  struct node_params p = {0};
  p.id = (uint32_t)mixcfg_uint(&c, G, "id", false, 0, 0, G_MAXUINT32);
  bufname = mixcfg_string(&c, G, "buffer", "oblivious");
  if (!c.err && buffer_variant_parse(bufname, &p.buffer) != 0)
    cfg_fail(&c, G, "buffer", "expected append, random or oblivious, got '%s'", bufname);
  p.buffer_capacity = (uint32_t)mixcfg_uint(&c, G, "buffer_capacity", false, 4096, 1, BUFFER_CAPACITY_MAX);
  p.queue_max = (uint32_t)mixcfg_uint(&c, G, "queue_max", false, 1024, 1, 1u << 24);
  p.replay_capacity = mixcfg_uint(&c, G, "replay_capacity", false, 1000000, 1000, 1000000000);
  p.loop_rate_per_s = mixcfg_double(&c, G, "loop_rate_per_s", 0, 0, 1e6);
  p.loop_hops = (uint32_t)mixcfg_uint(&c, G, "loop_hops", false, 1, 1, CODEC_HOPS_MAX - 1);
  mixcfg_codec(&c, G, &p.codec);
  if (c.err) goto done;
  bool keyed = p.codec && p.codec->keyed;
  if (!mxr_start(&c, G, node_keys, seed, keyed && p.loop_rate_per_s > 0, &e, &p.addr, &listen, &book, &rc))
    goto done;
  size_t self_i = book.n;
  for (size_t i = 0; i < book.n; i++)
    if (book.nodes[i] == p.addr) self_i = i;
  if (self_i == book.n) book.nodes[book.n++] = p.addr; /* the node may be its own next hop (loops home) */
  if (keyed) {
    p.keys = mixbook_key;
    p.keys_ctx = &book;
  }
  n = node_new(e, &p, book.nodes, book.n);
  if (!n) {
    cfg_fail(&c, G, "listen", "cannot start the node at %s (port taken or parameters refused)", listen);
    goto done;
  }
  struct node_config nc;
  node_config(n, &nc);
  memcpy(book.pk[self_i], nc.pk, 32); /* its own loops come home through itself */
  book.has_pk[self_i] = true;
  char pk[65];
  sodium_bin2hex(pk, sizeof pk, nc.pk, 32);
  printf("node %u listening on %s (address %u), codec %s, buffer %s, %zu next hops, keys %s\n", nc.id, listen,
         nc.addr, nc.codec, nc.buffer, book.n, seeded ? "from key_seed (test only)" : "random");
  printf("pk %s\nattestation: %s\n", pk, nc.attestation);
  fflush(stdout);

  struct mixsig sig;
  mixcfg_signals_begin(&sig, e);
  double t0 = cli_wall_s();
  cm_time until = duration > 0 ? env_now(e) + cm_time_from_s(duration) : CM_TIME_MAX;
  int erc = env_run(e, until);
  const char *why = mixcfg_signals_end(&sig);
  struct node_counters k;
  struct env_net_stats st;
  node_counters(n, &k);
  env_net_stats(e, &st);
  bool balanced = node_counters_balanced(&k);
  printf("node %u stopped by %s after %.2f s\n", nc.id, why ? why : "--duration", cli_wall_s() - t0);
  print_counters(&k, &st);
  printf("%-27s %s\n", "balanced", balanced ? "yes" : "NO");
  rc = mxr_outcome("node", erc, balanced ? NULL : "counters do not balance (a bug)");

done:
  node_free(n);
  mxr_finish("node", &c, e, &book, listen);
  g_free(bufname);
  g_free(config);
  return rc;
}
