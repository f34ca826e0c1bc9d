/* `cloudmix node --config FILE`: one Mixclaves mix node as a daemon over
 * UDP on the real backend (real/env_real.h), the same node code as in
 * simulation (models/mixclaves/node.h), until SIGINT / SIGTERM or
 * --duration; then its counters on stdout. The config reader it shares
 * with `cloudmix client` is cli/mixcfg.c.
 *
 * `cloudmix node init --dir DIR ...` makes the node's identity once
 * (real/keyfile.h: keys from the OS CSPRNG, owner-only files, a public
 * descriptor); the daemon loads it from [node] keys = DIR and refuses to
 * start without it. Real mode is always full Sphinx.
 *
 * Config (scenarios/mixclaves/real-node.ini is an example; `cloudmix node
 * --help` lists every key with its default):
 *   [node]       this node: keys = DIR, id, buffer, buffer_capacity,
 *                queue_max, crypto (full), loop_rate_per_s, loop_hops,
 *                max_delay_ms, source_share, epoch_length_s,
 *                max_rate_per_s, fail_burst, fail_rate_per_s, state,
 *                operator_pk, epoch_grace_s, link_delay_ms,
 *                link_jitter_ms, link_loss (address and listen come from
 *                the descriptor; the epoch from the state database when
 *                one is installed, cli/node_state.h)
 *   [node.NAME]  another node (a next hop): descriptor = FILE, or
 *                address, listen, pk (hex) and epoch
 *   [client.NAME] a client (a destination): address, listen
 * SIGHUP re-reads the [node.NAME] and [client.NAME] groups (the testbed's
 * scale-out, tests/testbed/; cli/mixclaves_link.c). */
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <glib-unix.h>
#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_fault.h"
#include "env_real.h"
#include "keyfile.h"
#include "mixclaves.h"
#include "mixclaves/node.h"
#include "mixclaves/sphinx.h"
#include "node_digests.h"
#include "node_state.h"

/* ---- the daemon ---- */

static const char *const node_keys[] = {"id", "address", "listen", "keys", "buffer", "buffer_capacity", "queue_max",
                                        "crypto", "loop_rate_per_s", "loop_hops", "max_delay_ms", "source_share",
                                        "epoch_length_s", "max_rate_per_s", "fail_burst", "fail_rate_per_s", "state",
                                        "operator", "operator_pk", "epoch_grace_s", "link_delay_ms", "link_jitter_ms",
                                        "link_loss", "digests", NULL};

static void print_counters(const struct node_counters *k, const struct env_net_stats *st) {
  const struct {
    const char *name;
    uint64_t v;
  } rows[] = {{"received", k->received},
              {"malformed", k->malformed},
              {"stale_epoch", k->stale_epoch},
              {"rate_limited", k->rate_limited},
              {"replay_filter_full", k->replay_filter_full},
              {"replay", k->replay},
              {"delay_too_long", k->delay_too_long},
              {"source_share_full", k->source_share_full},
              {"queue_full", k->queue_full},
              {"buffer_full", k->buffer_full},
              {"unknown_next_hop", k->unknown_next_hop},
              {"discarded_drop", k->discarded_drop},
              {"poisoned", k->poisoned},
              {"loop_returned", k->loop_returned},
              {"forwarded", k->forwarded},
              {"delivered", k->delivered},
              {"send_failed", k->send_failed},
              {"in_cpu", k->in_cpu},
              {"held", k->held},
              {"loops_sent", k->loops_sent},
              {"loop_send_failed", k->loop_send_failed},
              {"max_held", k->max_held},
              {"replay_tags", k->replay_tags},
              {"replay_capacity", k->replay_capacity},
              {"net_dropped_unknown_source", st->dropped_unknown},
              {"net_dropped_oversize", st->dropped_oversize},
              {"net_send_errors", st->send_errors}};
  for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) printf("%-27s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
}

/* Logs the replay filter's fill as it passes 50%, 90% and 100% of its
 * design capacity (checked once a second). */
struct filllog {
  node *n;
  timer_id t;
  int next; /* index of the next threshold to report */
};

static void fill_check(env *e, void *arg) {
  static const int pct[] = {50, 90, 100};
  struct filllog *f = arg;
  struct node_counters k;
  node_counters(f->n, &k);
  while (f->next < 3 && k.replay_tags * 100 >= (uint64_t)pct[f->next] * k.replay_capacity) {
    printf("replay filter %d%% full: %llu of %llu tags%s\n", pct[f->next], (unsigned long long)k.replay_tags,
           (unsigned long long)k.replay_capacity,
           pct[f->next] == 100 ? "; new packets are dropped (replay_filter_full) until the key changes" : "");
    fflush(stdout);
    f->next++;
  }
  f->t = env_after(e, CM_S(1), fill_check, f);
}

/* The control plane (models/mixclaves/ctrl.h): issued-at times are
 * wall-clock ns on both sides: the base is the wall clock at the env's
 * start (env_now counts from it). The operator's key is read with the
 * state (node_run). */
static void node_ctrl_setup(struct node_params *p, env *e) {
  p->ctrl_clock_base = (cm_time)g_get_real_time() * 1000 - env_now(e);
}

static void node_ctrl_print(bool has, const uint8_t pk[32]) {
  char hex[65];
  if (has) sodium_bin2hex(hex, sizeof hex, pk, 32);
  if (has) printf("operator key %s: control packets signed by it are obeyed\n", hex);
  else printf("operator key: none; every control packet is refused (counted as DROP cover)\n");
}

static int node_init(int argc, char **argv) {
  gchar *dir = NULL, *listen = NULL;
  gint64 address = 0, epoch = 0;
  GOptionEntry entries[] = {
      {"dir", 'k', 0, G_OPTION_ARG_FILENAME, &dir, "Folder for the keys and the descriptor (required; made 0700)",
       "DIR"},
      {"address", 'a', 0, G_OPTION_ARG_INT64, &address, "The node's address, >= 1 (required)", "N"},
      {"listen", 'l', 0, G_OPTION_ARG_STRING, &listen, "Where it listens, HOST:PORT (required)", "HOST:PORT"},
      {"epoch", 'e', 0, G_OPTION_ARG_INT64, &epoch, "Key epoch of the new key (default 0)", "E"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- make a mix node's identity once (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Draws the node's X25519 (packet) and Ed25519 (quote) key pairs from the OS\n"
      "CSPRNG (libsodium) and writes, in DIR:\n"
      "  x25519.key, ed25519.key  secret, mode 0600 (the node refuses looser ones)\n"
      "  node.descriptor          public: address, listen, pk, sign_pk, epoch, profile;\n"
      "                           give it to clients and other nodes\n"
      "                           ([node.NAME] descriptor = FILE)\n"
      "Never overwrites: if any of the three exists it stops with exit 2.\n"
      "Then run the node with keys = DIR in its [node] group.\n\n"
      "Exit codes: 0 ok, 1 a file could not be written, 2 bad usage or files present.");
  char *bad = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &bad))
    ; /* bad is the parse error */
  else if (argc != 1) bad = g_strdup_printf("unexpected argument '%s'", argv[1]);
  else if (!dir) bad = g_strdup("--dir DIR is required");
  else if (address < 1 || address > G_MAXUINT32) bad = g_strdup("--address: expected an integer in [1, 4294967295]");
  else if (!listen || !strrchr(listen, ':')) bad = g_strdup("--listen: expected HOST:PORT");
  else if (epoch < 0 || epoch > G_MAXUINT32) bad = g_strdup("--epoch: expected an integer in [0, 4294967295]");
  g_option_context_free(ctx);
  int rc = CM_EXIT_OK;
  if (bad) {
    cli_usage_error("node init", NULL, bad);
    rc = CM_EXIT_USAGE;
    goto out;
  }
  struct node_descriptor d = {.address = (uint32_t)address, .epoch = (uint32_t)epoch};
  if (strlen(listen) >= sizeof d.listen) {
    fprintf(stderr, "cloudmix node init: --listen: too long\n");
    rc = CM_EXIT_USAGE;
    goto out;
  }
  g_strlcpy(d.listen, listen, sizeof d.listen);
  char *err = NULL;
  int krc = keyfile_init(dir, &d, &err);
  if (krc) {
    fprintf(stderr, "cloudmix node init: %s\n", err);
    rc = krc == CM_EEXIST ? CM_EXIT_USAGE : CM_EXIT_FAILED;
    g_free(err);
    goto out;
  }
  char pk[65];
  sodium_bin2hex(pk, sizeof pk, d.pk, 32);
  printf("node identity made in %s (keys from the OS CSPRNG, secret files 0600)\n", dir);
  printf("address %u listen %s epoch %u\npk %s\ndescriptor %s/%s\n", d.address, d.listen, d.epoch, pk, dir,
         KEYFILE_DESCRIPTOR);
out:
  g_free(bad);
  g_free(dir);
  g_free(listen);
  return rc;
}

int cli_node(int argc, char **argv) {
  if (argc >= 2 && !strcmp(argv[1], "init")) return node_init(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "epoch")) return node_epoch_cmd(argc - 1, argv + 1);
  if (argc >= 2 && !strcmp(argv[1], "quote")) return node_quote_cmd(argc - 1, argv + 1);
  gchar *config = NULL;
  gdouble duration = 0;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The node's config (required)", "FILE"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Stop after S seconds (default: until SIGINT/SIGTERM)",
       "S"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("[init] - run a Mixclaves mix node over UDP (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "First, once: `cloudmix node init --dir DIR --address N --listen HOST:PORT`\n"
      "makes the node's keys (OS CSPRNG, files 0600) and its public descriptor\n"
      "(see `cloudmix node init --help`). Then this runs the node: the same code\n"
      "as in simulation, on the real backend, full Sphinx always: it listens on\n"
      "UDP, unwraps, holds each packet for its header's delay, forwards or\n"
      "delivers, until SIGINT/SIGTERM or --duration, then prints its counters\n"
      "(received = the sum of every outcome from malformed to held; see\n"
      "models/mixclaves/node.h for the order of the checks). Datagrams from a\n"
      "host:port not in the config are dropped before the node\n"
      "(net_dropped_unknown_source).\n\n"
      "Config (GKeyFile; example scenarios/mixclaves/real-node.ini):\n"
      "  [node]         keys = DIR (required: `cloudmix node init`'s folder; address,\n"
      "                 listen and epoch come from its descriptor), id (0),\n"
      "                 buffer = append | random | oblivious (oblivious),\n"
      "                 buffer_capacity (4096), queue_max (1024), crypto = full (the\n"
      "                 only one real mode takes), loop_rate_per_s (0), loop_hops (1),\n"
      "                 max_delay_ms (10000: longer per-hop delays are dropped),\n"
      "                 source_share (0.25 of the buffer per source),\n"
      "                 epoch_length_s (1200) x max_rate_per_s (20000) = the replay\n"
      "                 filter's capacity in tags (at 0.1% false positives; past it\n"
      "                 new packets are dropped as replay_filter_full), fail_burst (64)\n"
      "                 and fail_rate_per_s (16): failed unwraps a source may cause\n"
      "                 before its packets are dropped unopened (rate_limited),\n"
      "                 state = FILE (default: <keys>.state.db, next to the keys\n"
      "                 folder): the state database; the installed epoch (digest,\n"
      "                 packet key) is loaded from it at start, and an epoch is\n"
      "                 written to it before it is installed; epoch_grace_s (0: how\n"
      "                 long the previous epoch's key still accepts packets)\n"
      "                 operator = FILE (`cloudmix operator init`'s operator.pub) or\n"
      "                 operator_pk = 64 hex digits: the key `cloudmix ctrl` signs\n"
      "                 with and installed digests must carry (default: the\n"
      "                 installed epoch's operator; none: every control packet is\n"
      "                 refused)\n"
      "                 digests = DIR: the updater's digest files (`cloudmix updater`):\n"
      "                 INSTALL_EPOCH and COMMIT name one; a commit is persisted in\n"
      "                 the state database before the node switches\n"
      "                 link_delay_ms, link_jitter_ms (at most the delay), link_loss\n"
      "                 (0): every datagram the node sends is delayed and dropped so\n"
      "                 (the fault decorator, where netem is missing: tests/testbed/)\n"
      "  [node.NAME]    another node, a next hop: descriptor = FILE, or address,\n"
      "                 listen = HOST:PORT, pk (64 hex digits) and epoch\n"
      "  [client.NAME]  a client, a destination: address, listen = HOST:PORT\n\n"
      "SIGHUP re-reads the config's [node.NAME] and [client.NAME] groups: new\n"
      "nodes become next hops (a node added to the mixnet), new clients\n"
      "destinations; a config with an error is refused and the old peers stay.\n\n"
      "Epochs: `cloudmix node epoch --help` (operator key, a coming epoch's key, a\n"
      "signed digest, its install into the state database); `cloudmix node quote\n"
      "--help` (a software quote over a client's nonce, not hardware-backed).\n\n"
      "Exit codes: 0 ok, 1 the run failed, 2 bad usage, config, keys or state (one\n"
      "line on stderr).");
  char *bad = mxr_parse(ctx, entries, &argc, &argv, &config);
  if (!bad && !(duration >= 0 && duration <= 1e7)) bad = g_strdup("--duration: expected seconds in [0, 1e7]");
  if (bad) return mxr_usage("node", bad, config);

  int rc = CM_EXIT_USAGE;
  struct mixcfg c;
  env *e = NULL, *ne = NULL; /* the real env; ne: the node's, e or the link's decorator over e */
  node *n = NULL;
  struct mixbook book = {0};
  struct node_identity id;
  struct node_descriptor desc;
  char *listen = NULL, *bufname = NULL, *keydir = NULL, *statepath = NULL, *digdir = NULL;
  struct node_state ns = {0};
  uint8_t binary[32];
  memset(&id, 0, sizeof id);
  if (!mixcfg_open(&c, config)) goto done;
  const char *G = "node";
  mixcfg_refuse_gone(&c, G);
  keydir = mixcfg_path(&c, G, "keys", true);
  if (c.err) goto done;
  char *kerr = NULL;
  if (keyfile_load(keydir, &id, &desc, &kerr) != 0) {
    c.err = g_strdup_printf("%s: [node] keys: %s", config, kerr);
    g_free(kerr);
    goto done;
  }
  /* the state next to the keys: the installed epoch replaces the init key */
  statepath = mixcfg_path(&c, G, "state", false);
  if (c.err) goto done;
  if (!statepath) statepath = node_state_default(keydir);
  if (node_state_open(&ns, statepath, keydir, &id, &desc, &kerr) != 0 || node_binary_measure(binary, &kerr) != 0) {
    c.err = g_strdup_printf("%s: [node] state: %s", config, kerr);
    g_free(kerr);
    goto done;
  }
  struct node_params p = {.identity = &id, .epoch = ns.installed ? ns.inst.version : desc.epoch,
                          .digest = ns.installed ? ns.digest : NULL, .persist = node_state_persist,
                          .persist_arg = &ns, .binary_measurement = binary, .replay_log = node_state_tag_log,
                          .replay_log_arg = &ns};
  /* the operator's key: [node] operator = FILE or operator_pk = hex
   * (cli/operator.c), else the installed epoch's; it signs control
   * packets and the digests the node installs */
  uint8_t opk[32];
  bool has_op = mixcfg_operator(&c, G, opk);
  if (has_op && ns.installed && sodium_memcmp(opk, ns.inst.operator_pk, 32) != 0)
    mixcfg_fail(&c, G, "operator", "differs from the operator key of epoch %u installed in %s; expected the same",
             ns.inst.version, statepath);
  else if (has_op)
    memcpy(ns.inst.operator_pk, opk, 32);
  if (has_op || ns.installed) p.operator_pk = ns.inst.operator_pk;
  /* the updater's digests (cli/node_digests.h): INSTALL_EPOCH and COMMIT */
  digdir = mixcfg_path(&c, G, "digests", false);
  struct node_digests nd = {.dir = digdir, .ns = &ns, .id = &id, .operator_pk = p.operator_pk};
  if (digdir) {
    p.epoch_known = node_digests_known;
    p.epoch_peers = node_digests_peers;
    p.epoch_ctx = &nd;
  }
  p.epoch_grace = cm_time_from_s(mixcfg_double(&c, G, "epoch_grace_s", 0, 0, 86400));
  p.id = (uint32_t)mixcfg_uint(&c, G, "id", false, 0, 0, G_MAXUINT32);
  bufname = mixcfg_string(&c, G, "buffer", "oblivious");
  if (!c.err && buffer_variant_parse(bufname, &p.buffer) != 0)
    mixcfg_fail(&c, G, "buffer", "expected append, random or oblivious, got '%s'", bufname);
  p.buffer_capacity = (uint32_t)mixcfg_uint(&c, G, "buffer_capacity", false, 4096, 1, BUFFER_CAPACITY_MAX);
  p.queue_max = (uint32_t)mixcfg_uint(&c, G, "queue_max", false, 1024, 1, 1u << 24);
  p.loop_rate_per_s = mixcfg_double(&c, G, "loop_rate_per_s", 0, 0, 1e6);
  p.loop_hops = (uint32_t)mixcfg_uint(&c, G, "loop_hops", false, 1, 1, CODEC_HOPS_MAX - 1);
  p.max_delay = cm_time_from_s(mixcfg_double(&c, G, "max_delay_ms", 10000, 1e-3, 4294967.0) / 1e3);
  p.source_share = mixcfg_double(&c, G, "source_share", NODE_SOURCE_SHARE, 1e-6, 1);
  double epoch_len = mixcfg_double(&c, G, "epoch_length_s", 1200, 1, 86400 * 30);
  double max_rate = mixcfg_double(&c, G, "max_rate_per_s", 20000, 1, 1e7);
  p.fail_burst = (uint32_t)mixcfg_uint(&c, G, "fail_burst", false, NODE_FAIL_BURST, 1, 1u << 24);
  p.fail_rate_per_s = mixcfg_double(&c, G, "fail_rate_per_s", NODE_FAIL_RATE, 1e-3, 1e7);
  mixcfg_codec(&c, G, &p.codec);
  struct mxr_link link;
  mxr_link_read(&c, G, &link);
  if (c.err) goto done;
  double cap = ceil(epoch_len * max_rate);
  if (cap < 1000 || cap > 4e9) {
    mixcfg_fail(&c, G, "max_rate_per_s", "max_rate_per_s x epoch_length_s = %.0f replay tags; expected 1000 to 4e9",
             cap);
    goto done;
  }
  p.replay_capacity = (uint64_t)cap;
  if (!mxr_start(&c, G, node_keys, &desc, p.loop_rate_per_s > 0, &e, &p.addr, &listen, &book, &rc)) goto done;
  size_t self_i = mxr_book_self(&book, p.addr, NULL);
  p.keys = mixbook_key;
  p.keys_ctx = &book;
  char *lerr = NULL;
  if (mxr_link_wrap(&link, e, &ne, &lerr) != 0) {
    c.err = g_strdup_printf("%s: [node] link: %s", config, lerr);
    g_free(lerr);
    goto done;
  }
  node_ctrl_setup(&p, e);
  nd.self = p.addr;
  n = node_new(ne, &p, book.nodes, book.n);
  if (!n) {
    mixcfg_fail(&c, G, "listen", "cannot start the node at %s (port taken or parameters refused)", listen);
    goto done;
  }
  struct node_config nc;
  node_config(n, &nc);
  /* the next epoch's key made ahead (`node epoch prepare`): published now */
  struct node_identity nextk;
  int nrc = node_state_epoch_key(&ns, nc.epoch + 1, &nextk, &kerr);
  if (nrc == 0) nrc = node_epoch_publish_next(n, &nextk);
  sodium_memzero(&nextk, sizeof nextk);
  if (nrc != 0 && nrc != CM_ENOENT) {
    mixcfg_fail(&c, G, "keys", "the key of epoch %u: %s", nc.epoch + 1, kerr ? kerr : cm_strerror(nrc));
    g_free(kerr);
    goto done;
  }
  g_free(kerr);
  kerr = NULL;
  uint64_t restored = 0;
  if (node_state_tags_restore(&ns, n, &restored, &kerr) != 0) {
    mixcfg_fail(&c, G, "state", "%s", kerr);
    g_free(kerr);
    goto done;
  }
  node_config(n, &nc);
  memcpy(book.pk[self_i], nc.pk, 32); /* its own loops come home through itself */
  book.has_pk[self_i] = true;
  char pk[65];
  sodium_bin2hex(pk, sizeof pk, nc.pk, 32);
  printf("node %u listening on %s (address %u), codec %s, buffer %s, %zu next hops, epoch %u\n", nc.id, listen,
         nc.addr, nc.codec, nc.buffer, book.n, nc.epoch);
  printf("pk %s\nkeys: %s (made by `cloudmix node init` from the OS CSPRNG); packet secrets: OS CSPRNG\n", pk, keydir);
  printf("replay filter: %llu tags (%.0f/s x %.0f s) at 0.1%% false positives; max delay %.0f ms; a source holds at "
         "most %.0f%% of %u slots\n",
         (unsigned long long)p.replay_capacity, max_rate, epoch_len, cm_time_to_s(p.max_delay) * 1e3,
         p.source_share * 100, p.buffer_capacity);
  printf("attestation: %s (not hardware-backed: Ed25519 by the node's own key)\n", nc.attestation);
  node_ctrl_print(p.operator_pk != NULL, ns.inst.operator_pk);
  node_state_print(&nc, &ns, statepath);
  printf("%-27s %llu\n", "replay_tags_restored", (unsigned long long)restored);
  fflush(stdout);

  struct mixsig sig;
  mixcfg_signals_begin(&sig, ne);
  struct mxr_node_reload rl = {.config = config, .keys = node_keys, .inner = e, .self = p.addr,
                               .need_pk = p.loop_rate_per_s > 0, .book = &book, .n = n};
  memcpy(rl.pk, nc.pk, 32);
  mixcfg_signals_on_hup(&sig, mxr_node_on_hup, &rl);
  mxr_link_print(&link, "node"); /* the last start line: SIGHUP is handled from here on */
  fflush(stdout);
  struct filllog fl = {.n = n};
  fl.t = env_after(e, CM_S(1), fill_check, &fl);
  double t0 = cli_wall_s();
  cm_time until = duration > 0 ? env_now(e) + cm_time_from_s(duration) : CM_TIME_MAX;
  int erc = env_run(ne, until);
  const char *why = mixcfg_signals_end(&sig);
  env_cancel(ne, fl.t);
  struct node_counters k;
  struct env_net_stats st;
  node_counters(n, &k);
  env_net_stats(ne, &st);
  bool balanced = node_counters_balanced(&k);
  printf("node %u stopped by %s after %.2f s\n", nc.id, why ? why : "--duration", cli_wall_s() - t0);
  print_counters(&k, &st);
  if (ne != e) {
    struct env_fault_stats fs;
    env_fault_stats(ne, &fs);
    printf("%-27s %llu\n%-27s %llu\n", "link_delayed", (unsigned long long)fs.datagrams_delayed, "link_dropped",
           (unsigned long long)fs.datagrams_dropped);
  }
  printf("%-27s %s\n", "balanced", balanced ? "yes" : "NO");
  node_config(n, &nc);
  node_state_print(&nc, &ns, statepath);
  rc = mxr_outcome("node", erc, balanced ? NULL : "counters do not balance (a bug)");

done:
  sodium_memzero(&id, sizeof id);
  node_free(n);
  if (ne && ne != e) env_free(ne);
  node_state_close(&ns);
  g_free(statepath);
  g_free(digdir);
  mxr_finish("node", &c, e, &book, listen);
  g_free(bufname);
  g_free(keydir);
  g_free(config);
  return rc;
}
