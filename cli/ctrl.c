/* `cloudmix ctrl --config FILE --target N COMMAND [ARGS]`: the operator's
 * tool of the control plane in real mode (models/mixclaves/ctrl.h,
 * ctrl_client.h). It signs one command with the operator's key (`cloudmix
 * operator init`), sends it over UDP to the target node along a path of
 * real nodes (--via) with a reply block back to its own address (--back,
 * default the via nodes reversed), waits for the node's reply or
 * --timeout, checks the reply's signature against the target's descriptor
 * and prints it (metrics one per line). Every secret (ephemeral keys,
 * padding, reply-block keys, delays) comes from the OS CSPRNG: the real
 * env's env_secret_rng. The config reader is cloudmix node's (cli/node.c).
 *
 * DROP is not a command: it sends DROP cover along the same path, which a
 * refused control packet must be indistinguishable from in the target's
 * public counters (tests/integration/ctrl_real.sh compares the two).
 * --save FILE writes the last datagram sent, so a test can replay it. */
#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "keyfile.h"
#include "mixclaves.h"
#include "mixclaves/ctrl_client.h"
#include "rng.h"

static const char *const ctrl_keys[] = {"address", "listen", "operator", "crypto", "mean_delay_ms", "epoch", NULL};

/* ---- the datagram of the last build, for --save: a copy of the codec's
 * ops whose build also keeps the packet ---- */
static struct codec_ops saving_ops;
static const struct codec_ops *inner_ops;
static uint8_t *last_packet;

static int saving_build(const struct codec_hop *path, size_t hops, uint32_t epoch, cm_addr dest,
                        const uint8_t *payload, size_t len, codec_random_fn rnd, void *rnd_ctx, uint8_t *packet) {
  int rc = inner_ops->build(path, hops, epoch, dest, payload, len, rnd, rnd_ctx, packet);
  if (rc == 0 && last_packet) memcpy(last_packet, packet, inner_ops->packet_bytes);
  return rc;
}

/* ---- the nodes' Ed25519 keys, from their descriptors ---- */
struct signbook {
  cm_addr addr[64];
  uint8_t pk[64][32];
  size_t n;
};

static int signbook_key(void *ctx, cm_addr addr, uint8_t pk[32]) {
  const struct signbook *s = ctx;
  for (size_t i = 0; i < s->n; i++)
    if (s->addr[i] == addr) {
      memcpy(pk, s->pk[i], 32);
      return 0;
    }
  return CM_ENOENT;
}

static void signbook_read(struct mixcfg *c, struct signbook *s) {
  gchar **groups = g_key_file_get_groups(c->kf, NULL);
  for (gchar **g = groups; *g && !c->err && s->n < G_N_ELEMENTS(s->addr); g++) {
    if (!g_str_has_prefix(*g, "node.")) continue;
    char *path = mixcfg_path(c, *g, "descriptor", false);
    struct node_descriptor d;
    char *err = NULL;
    if (path && keyfile_descriptor_read(path, &d, &err) == 0) {
      s->addr[s->n] = d.address;
      memcpy(s->pk[s->n++], d.sign_pk, 32);
    }
    g_free(err); /* mixcfg_book reported it already */
    g_free(path);
  }
  g_strfreev(groups);
}

/* ---- the command line ---- */

static const struct {
  const char *name;
  int command; /* enum ctrl_command; 0: DROP cover */
  int nargs;
} commands[] = {{"read_metrics", CTRL_READ_METRICS, 0}, {"set_cover", CTRL_SET_COVER, 1},
                {"canary", CTRL_CANARY, 1},             {"poison_pill", CTRL_POISON_PILL, 0},
                {"install_epoch", CTRL_INSTALL_EPOCH, 2}, {"drop", 0, 0}};

/* "1,2,3" into out (at most max); false on anything else. "" or "none": 0 hops. */
static bool addr_list(const char *s, cm_addr *out, size_t max, size_t *n) {
  *n = 0;
  if (!s || !*s || !strcmp(s, "none")) return true;
  gchar **parts = g_strsplit(s, ",", -1);
  bool ok = true;
  for (gchar **p = parts; *p && ok; p++) {
    guint64 v = 0;
    ok = *n < max && g_ascii_string_to_unsigned(g_strstrip(*p), 10, 1, G_MAXUINT32, &v, NULL);
    if (ok) out[(*n)++] = (cm_addr)v;
  }
  g_strfreev(parts);
  return ok;
}

/* The request's arguments from argv (after the command name); NULL or why not. */
static char *request_args(int command, char **argv, struct ctrl_request *r) {
  if (command == CTRL_SET_COVER) {
    char *end = NULL;
    double rate = g_ascii_strtod(argv[0], &end);
    if (!*argv[0] || *end || ctrl_args_set_cover(r, rate) != 0)
      return g_strdup_printf("set_cover: expected a loop cover rate per second in [0, 1e6], got '%s'", argv[0]);
  } else if (command == CTRL_CANARY) {
    if (ctrl_args_canary(r, argv[0]) != 0)
      return g_strdup_printf("canary: expected 1 to %d bytes of text", CTRL_CANARY_MAX);
  } else if (command == CTRL_INSTALL_EPOCH) {
    guint64 v = 0;
    uint8_t hash[CTRL_HASH_BYTES];
    size_t got = 0;
    if (!g_ascii_string_to_unsigned(argv[0], 10, 0, G_MAXUINT32, &v, NULL))
      return g_strdup_printf("install_epoch: expected a version in [0, 4294967295], got '%s'", argv[0]);
    if (strlen(argv[1]) != 64 || sodium_hex2bin(hash, 32, argv[1], 64, NULL, &got, NULL) != 0 || got != 32)
      return g_strdup_printf("install_epoch: expected the epoch digest's hash as 64 hex digits, got '%s'", argv[1]);
    ctrl_args_install_epoch(r, (uint32_t)v, hash);
  }
  return NULL;
}

/* ---- the run ---- */

struct run {
  env *e;
  uint32_t expected, done, acked;
  cm_time sent_at;
  bool print_body;
};

static const char *status_name(uint8_t s) {
  static const char *const names[] = {"ack", "nack_args", "nack_unknown", "nack_failed"};
  return s < G_N_ELEMENTS(names) ? names[s] : "?";
}

static void print_metrics(const struct ctrl_metrics *m) {
#define M(f) {#f, offsetof(struct ctrl_metrics, f)}
  static const struct {
    const char *name;
    size_t off;
  } rows[] = {M(received), M(forwarded), M(delivered), M(loops_sent), M(in_cpu_now), M(held_now), M(busy_ns),
              M(malformed), M(stale_epoch), M(rate_limited), M(replay_filter_full), M(replay), M(delay_too_long),
              M(source_share_full), M(queue_full), M(buffer_full), M(unknown_next_hop), M(send_failed),
              M(discarded_drop), M(loop_returned), M(ctrl_accepted), M(ctrl_bad_signature), M(ctrl_replay),
              M(ctrl_stale), M(ctrl_malformed), M(replay_tags), M(loop_rate_ups)};
#undef M
  G_STATIC_ASSERT(G_N_ELEMENTS(rows) == CTRL_METRICS_COUNT);
  for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
    uint64_t v;
    memcpy(&v, (const uint8_t *)m + rows[i].off, sizeof v);
    printf("%-19s %llu\n", rows[i].name, (unsigned long long)v);
  }
}

static void on_reply(void *arg, enum ctrl_outcome outcome, const struct ctrl_reply *r) {
  struct run *run = arg;
  run->done++;
  if (run->done == run->expected) env_stop(run->e);
  if (outcome != CTRL_REPLIED) return;
  if (r->status == CTRL_ACK) run->acked++;
  if (!run->print_body) return;
  printf("reply %s from node %u, epoch %u, seq %llu, %.3f ms after sending\n", status_name(r->status), r->node,
         r->epoch, (unsigned long long)r->seq, (double)(env_now(run->e) - run->sent_at) / 1e6);
  struct ctrl_metrics m;
  if (r->command == CTRL_READ_METRICS && ctrl_metrics_parse(r, &m) == 0) print_metrics(&m);
  if (r->command == CTRL_CANARY && r->body_len == CTRL_HASH_BYTES) {
    char hex[2 * CTRL_HASH_BYTES + 1];
    sodium_bin2hex(hex, sizeof hex, r->body, CTRL_HASH_BYTES);
    printf("canary_hash         %s\n", hex);
  }
}

static void ignore(env *e CM_UNUSED, void *arg, cm_addr from CM_UNUSED, cm_addr to CM_UNUSED,
                   const uint8_t *pkt CM_UNUSED, size_t len CM_UNUSED) {
  (*(uint64_t *)arg)++;
}

/* DROP cover along via + target: what a refused CTRL must look like. */
static int send_drop(env *e, const struct codec_ops *codec, struct mixbook *book, cm_addr self, uint32_t epoch,
                     cm_time mean_delay, const cm_addr *via, size_t nvia, cm_addr target) {
  struct codec_hop path[CODEC_HOPS_MAX];
  uint8_t pks[CODEC_HOPS_MAX][CODEC_KEY_BYTES], payload[1] = {0};
  rng *r = env_secret_rng(e, "ctrl:drop");
  for (size_t i = 0; i <= nvia; i++) {
    cm_addr a = i < nvia ? via[i] : target;
    if (mixbook_key(book, a, pks[i]) != 0) return CM_EINVAL;
    path[i] = (struct codec_hop){.addr = a, .pk = pks[i], .type = i < nvia ? CODEC_ROUTE : CODEC_DROP,
                                 .delay = cm_time_from_s(rng_exponential(r, cm_time_to_s(mean_delay)))};
  }
  uint8_t *pkt = malloc(codec->packet_bytes);
  if (!pkt) return CM_ENOMEM;
  int rc = codec->build(path, nvia + 1, epoch, 0, payload, 0, codec_random_rng, r, pkt);
  if (rc == 0) rc = env_send(e, self, path[0].addr, pkt, codec->packet_bytes);
  free(pkt);
  return rc;
}

int cli_ctrl(int argc, char **argv) {
  gchar *config = NULL, *via_s = NULL, *back_s = NULL, *save = NULL;
  gint64 target = 0, count = 1;
  gdouble timeout = 5;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The operator's config (required)", "FILE"},
      {"target", 't', 0, G_OPTION_ARG_INT64, &target, "The node's address (required)", "N"},
      {"via", 'v', 0, G_OPTION_ARG_STRING, &via_s, "Nodes before the target, in order (default none)", "A,B,..."},
      {"back", 'b', 0, G_OPTION_ARG_STRING, &back_s, "The reply's nodes (default: --via reversed, else the target)",
       "A,B,..."},
      {"timeout", 'w', 0, G_OPTION_ARG_DOUBLE, &timeout, "Seconds to wait for the reply (default 5)", "S"},
      {"count", 'n', 0, G_OPTION_ARG_INT64, &count, "Send the command N times, fresh each time (default 1)", "N"},
      {"save", 's', 0, G_OPTION_ARG_FILENAME, &save, "Write the last datagram sent to FILE (to test replays)", "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("COMMAND [ARGS] - send a control command to a mix node (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Commands (models/mixclaves/ctrl.h; names in any case):\n"
      "  read_metrics            the node's counters, one per line\n"
      "  set_cover RATE          its own loop cover rate, packets per second\n"
      "  canary TEXT             the warrant canary text; the reply has its hash\n"
      "  poison_pill             erase the node's keys: it drops every later packet\n"
      "  install_epoch V HASH    move to key epoch V, whose digest hash it holds\n"
      "  drop                    (no command) DROP cover along the same path, no reply:\n"
      "                          what a refused command looks like to the public\n"
      "The request is signed with the operator's Ed25519 key, sent over UDP along\n"
      "--via to the target (type CTRL at the target only) with a reply block back\n"
      "along --back; the reply must carry the target's signature (its descriptor's\n"
      "sign_pk). A refused command (wrong key, replayed, stale, a node without an\n"
      "operator key) gets no reply: the node counts it as DROP cover. Secrets come\n"
      "from the OS CSPRNG.\n\n"
      "Config (GKeyFile):\n"
      "  [ctrl]         address (>= 1), listen = HOST:PORT (the nodes must list it as a\n"
      "                 [client.NAME]), operator = DIR (`cloudmix operator init`'s folder,\n"
      "                 required), crypto = full, mean_delay_ms (1, per hop), epoch\n"
      "                 (default: the target's key epoch)\n"
      "  [node.NAME]    the nodes: descriptor = FILE (the target's is required: it\n"
      "                 carries the key its replies are signed with)\n"
      "  [client.NAME]  other clients: address, listen\n\n"
      "Exit codes: 0 every reply an ack (drop: sent), 1 a timeout, a nack or a failed\n"
      "send, 2 bad usage, config or keys.");
  char *bad = NULL;
  if (cli_options_parse(ctx, entries, &argc, &argv, &bad)) {
    if (!config) bad = g_strdup("--config FILE is required");
    else if (target < 1 || target > G_MAXUINT32) bad = g_strdup("--target: expected a node address in [1, 4294967295]");
    else if (argc < 2) bad = g_strdup("expected a COMMAND (read_metrics, set_cover, canary, poison_pill, install_epoch, drop)");
    else if (!(timeout > 0 && timeout <= 3600)) bad = g_strdup("--timeout: expected seconds in (0, 3600]");
    else if (count < 1 || count > 10000) bad = g_strdup("--count: expected an integer in [1, 10000]");
  }
  g_option_context_free(ctx);
  int cmd = -1;
  for (size_t i = 0; !bad && i < G_N_ELEMENTS(commands); i++)
    if (!g_ascii_strcasecmp(argv[1], commands[i].name)) {
      cmd = (int)i;
      if (argc - 2 != commands[i].nargs)
        bad = g_strdup_printf("%s: expected %d argument(s), got %d", commands[i].name, commands[i].nargs, argc - 2);
    }
  if (!bad && cmd < 0) bad = g_strdup_printf("unknown command '%s'; expected read_metrics, set_cover, canary, "
                                             "poison_pill, install_epoch or drop", argv[1]);
  cm_addr via[CODEC_HOPS_MAX], back[CODEC_HOPS_MAX];
  size_t nvia = 0, nback = 0;
  if (!bad && !addr_list(via_s, via, CODEC_HOPS_MAX - 1, &nvia)) bad = g_strdup("--via: expected addresses A,B,...");
  if (!bad && back_s && !addr_list(back_s, back, CODEC_HOPS_MAX, &nback))
    bad = g_strdup("--back: expected addresses A,B,...");
  if (!bad && !back_s)
    for (size_t i = 0; i < nvia; i++) back[nback++] = via[nvia - 1 - i];
  if (!bad && !back_s && nback == 0) back[nback++] = (cm_addr)target; /* the reply leaves through the target */
  if (!bad && nback == 0) bad = g_strdup("--back: expected at least one node (a reply block needs a hop)");
  struct ctrl_request req = {.target = (cm_addr)target};
  if (!bad && commands[cmd].command) {
    req.command = (uint8_t)commands[cmd].command;
    bad = request_args(req.command, argv + 2, &req);
  }
  g_free(via_s);
  g_free(back_s);
  if (bad) {
    g_free(save);
    return mxr_usage("ctrl", bad, config);
  }

  int rc = CM_EXIT_USAGE;
  struct mixcfg c;
  env *e = NULL;
  ctrl_client *cc = NULL;
  struct mixbook book = {0};
  struct signbook *sb = g_new0(struct signbook, 1);
  char *listen = NULL, *opdir = NULL, *kerr = NULL;
  uint8_t sk[CTRL_SK_BYTES], opk[CTRL_PK_BYTES];
  const char *G = "ctrl";
  const struct codec_ops *codec = NULL;
  memset(sk, 0, sizeof sk);
  if (!mixcfg_open(&c, config)) goto done;
  opdir = mixcfg_path(&c, G, "operator", true);
  if (!c.err && keyfile_operator_load(opdir, sk, opk, &kerr) != 0)
    c.err = g_strdup_printf("%s: [ctrl] operator: %s", config, kerr);
  cm_time mean_delay = cm_time_from_s(mixcfg_double(&c, G, "mean_delay_ms", 1, 1e-3, 1e6) / 1e3);
  mixcfg_codec(&c, G, &codec);
  if (c.err) goto done;
  cm_addr self = 0;
  if (!mxr_start(&c, G, ctrl_keys, NULL, true, &e, &self, &listen, &book, &rc)) goto done;
  signbook_read(&c, sb);
  uint32_t epoch = 0;
  bool found = false;
  for (size_t i = 0; i < book.n; i++)
    if (book.nodes[i] == req.target) epoch = book.epoch[i], found = true;
  if (!found) {
    c.err = g_strdup_printf("%s: --target %u: no [node.NAME] of the config has that address", config, req.target);
    goto done;
  }
  epoch = (uint32_t)mixcfg_uint(&c, G, "epoch", false, epoch, 0, G_MAXUINT32);
  uint8_t spk[32];
  if (!c.err && commands[cmd].command && signbook_key(sb, req.target, spk) != 0)
    c.err = g_strdup_printf("%s: the target node %u has no descriptor = FILE; expected one (its replies are signed "
                            "with the key only the descriptor carries)", config, req.target);
  if (c.err) goto done;
  inner_ops = codec;
  saving_ops = *codec;
  saving_ops.build = saving_build;
  if (save) last_packet = g_malloc0(codec->packet_bytes);
  cm_time clock_base = (cm_time)g_get_real_time() * 1000 - env_now(e); /* as the node's (cli/node.c) */
  struct run run = {.e = e, .expected = (uint32_t)count, .print_body = count == 1};
  const char *name = commands[cmd].name;
  printf("ctrl %s to node %u via %zu node(s), reply via %zu, epoch %u, from %s (address %u); secrets: OS CSPRNG\n",
         name, req.target, nvia, nback, epoch, listen, self);
  fflush(stdout);
  rc = CM_EXIT_FAILED;
  int src = 0;
  uint64_t unexpected = 0;
  if (!commands[cmd].command) {
    src = env_bind(e, self, ignore, &unexpected);
    for (gint64 i = 0; i < count && src == 0; i++)
      src = send_drop(e, save ? &saving_ops : codec, &book, self, epoch, mean_delay, via, nvia, req.target);
    if (src == 0) env_run(e, env_now(e) + CM_MS(50)); /* let the sockets drain */
  } else {
    struct ctrl_client_params cp = {.addr = self, .codec = save ? &saving_ops : codec, .operator_sk = sk,
                                    .epoch = epoch, .mean_delay = mean_delay, .timeout = cm_time_from_s(timeout),
                                    .clock_base = clock_base, .keys = mixbook_key, .keys_ctx = &book,
                                    .sign_keys = signbook_key, .sign_ctx = sb};
    cc = ctrl_client_new(e, &cp);
    if (!cc) {
      c.err = g_strdup_printf("%s: [ctrl] listen: cannot bind %s", config, listen);
      rc = CM_EXIT_USAGE;
      goto done;
    }
    struct ctrl_route route = {.via = via, .nvia = nvia, .back = back, .nback = nback};
    run.sent_at = env_now(e);
    for (gint64 i = 0; i < count && src == 0; i++) {
      struct ctrl_request r = req;
      src = ctrl_client_send(cc, &r, &route, on_reply, &run);
    }
    if (src == 0) env_run(e, CM_TIME_MAX); /* until every reply or timeout */
    struct ctrl_client_counters k;
    ctrl_client_counters(cc, &k);
    printf("sent %llu replied %llu acked %u timed_out %llu malformed_replies %llu\n", (unsigned long long)k.sent,
           (unsigned long long)k.replied, run.acked, (unsigned long long)k.timed_out, (unsigned long long)k.malformed);
    if (src == 0 && k.timed_out) fprintf(stderr, "cloudmix ctrl: %llu of %lld got no reply within %.3g s\n",
                                         (unsigned long long)k.timed_out, (long long)count, timeout);
    if (src == 0 && k.replied > run.acked)
      fprintf(stderr, "cloudmix ctrl: %llu repl%s not ack (the node could not apply the command)\n",
              (unsigned long long)(k.replied - run.acked), k.replied - run.acked == 1 ? "y was" : "ies were");
    if (src == 0 && run.acked == (uint32_t)count) rc = CM_EXIT_OK;
  }
  if (src != 0) fprintf(stderr, "cloudmix ctrl: cannot send: %s (are --via, --back and the target nodes of the config?)\n",
                        cm_strerror(src));
  else if (!commands[cmd].command) {
    printf("sent %lld drop packet(s); %llu datagram(s) came back (expected 0)\n", (long long)count,
           (unsigned long long)unexpected);
    rc = CM_EXIT_OK;
  }
  if (src == 0 && save) {
    GError *ge = NULL;
    if (!g_file_set_contents(save, (const char *)last_packet, (gssize)codec->packet_bytes, &ge)) {
      fprintf(stderr, "cloudmix ctrl: --save: %s\n", ge->message);
      g_error_free(ge);
      rc = CM_EXIT_FAILED;
    }
  }

done:
  ctrl_client_free(cc);
  sodium_memzero(sk, sizeof sk);
  mxr_finish("ctrl", &c, e, &book, listen);
  g_free(sb);
  g_free(last_packet);
  last_packet = NULL;
  g_free(kerr);
  g_free(opdir);
  g_free(save);
  g_free(config);
  return rc;
}
