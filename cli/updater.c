/* `cloudmix updater --config FILE`: the updater of seed 4.3 in real mode
 * (models/mixclaves/updater.h) over CTRL packets through the real mixnet
 * (updater_ctrl.h). It samples every committed node's throughput
 * (READ_METRICS), and when the aggregate passes thresholds[n - 1] it
 * provisions a node (provision_cmd: a shell command run asynchronously;
 * the last line of its stdout names the new node's descriptor file), writes
 * the next epoch's digest (signed by the operator) into the digest folder
 * the nodes read (`[node] digests`, cli/node_digests.c: "the updater
 * generates a new database for the epoch and copies it to the mix
 * nodes"), sends INSTALL_EPOCH to every node of it, and once all acked,
 * the committed digest and COMMIT. After a commit it writes the topology
 * file ([node.NAME] groups at the new epoch) and runs commit_cmd (the
 * testbed: rewrite the configs, SIGHUP nodes and clients). Scale-in is
 * refused (seed 7). Secrets (ephemeral keys, reply blocks, delays) come
 * from the OS CSPRNG: the real env's env_secret_rng.
 *
 * The order of a scale-out: provision (the new node runs, at the committed
 * epoch) -> configs reloaded (the provision command SIGHUPs the nodes, so
 * they know the new address as a source and next hop) -> INSTALL_EPOCH ->
 * COMMIT -> topology + commit_cmd (clients reload and move to the epoch). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_real.h"
#include "keyfile.h"
#include "mixclaves.h"
#include "mixclaves/digest_store.h"
#include "mixclaves/updater_ctrl.h"
#include "updater_impl.h"

static const char *const upd_keys[] = {"address", "listen", "operator", "digests", "thresholds", "sample_s",
                                       "reply_timeout_ms", "converge_timeout_s", "max_attempts", "max_nodes", "settle_s",
                                       "hops", "mean_delay_ms", "duration_s", "provision_cmd", "commit_cmd",
                                       "topology", "crypto", NULL};


/* ---- the run ---- */

static void on_status(env *e, void *arg) {
  struct upd *s = arg;
  struct updater_counters k;
  updater_counters(s->u, &k);
  printf("updater: t=%.1f s epoch %u nodes %u throughput %.1f msg/s rounds %llu attempts %llu committed %llu "
         "pending %llu\n", upd_t(s), k.epoch, k.nodes, k.last_throughput, (unsigned long long)k.rounds,
         (unsigned long long)k.attempts, (unsigned long long)k.committed, (unsigned long long)k.pending);
  fflush(stdout);
  s->status = env_after(e, s->sample, on_status, s);
}

/* "50, 80.5, 120" into out: NULL or the problem (g_malloc'd). */
static char *thresholds_parse(const char *v, double *out, uint32_t *n) {
  *n = 0;
  gchar **parts = g_strsplit(v, ",", -1);
  char *bad = NULL;
  for (gchar **p = parts; *p && !bad; p++) {
    char *end = NULL;
    double x = g_ascii_strtod(g_strstrip(*p), &end);
    if (!**p || *end || !(x > 0 && x < 1e12)) bad = g_strdup_printf("'%s' is not a rate; expected positive msg/s", *p);
    else if (*n >= UPDATER_MAX_THRESHOLDS) bad = g_strdup_printf("more than %d entries", UPDATER_MAX_THRESHOLDS);
    else out[(*n)++] = x;
  }
  g_strfreev(parts);
  if (!bad && *n == 0) bad = g_strdup("empty; expected msg/s per node count, e.g. 90, 130, 160");
  return bad;
}

static void print_end(struct upd *s, struct updater_ctrl *uc) {
  size_t na = 0;
  const struct updater_attempt *a = updater_attempts(s->u, &na);
  for (size_t i = 0; i < na; i++)
    printf("attempt %u scale_out %u version %u nodes %u acked %u installs_sent %llu installs_timed_out %llu "
           "started_s %.1f ended_s %.1f outcome %s\n", a[i].id, a[i].scale_out, a[i].version, a[i].nodes, a[i].acked,
           (unsigned long long)a[i].installs_sent, (unsigned long long)a[i].installs_timed_out,
           cm_time_to_s(a[i].started), a[i].ended < 0 ? -1.0 : cm_time_to_s(a[i].ended),
           updater_outcome_name(a[i].outcome));
  struct updater_counters k;
  updater_counters(s->u, &k);
  struct updater_ctrl_counters c;
  updater_ctrl_counters(uc, &c);
  const struct {
    const char *name;
    uint64_t v;
  } rows[] = {{"epoch", k.epoch}, {"nodes", k.nodes}, {"rounds", k.rounds}, {"decisions_skipped", k.decisions_skipped},
              {"settling", k.settling},
              {"scale_outs", k.scale_outs}, {"provisioned", k.provisioned}, {"provision_failed", k.provision_failed},
              {"attempts", k.attempts}, {"committed", k.committed}, {"retried", k.retried},
              {"abandoned", k.abandoned}, {"running", k.running}, {"metrics_sent", k.metrics_sent},
              {"metrics_acked", k.metrics_acked}, {"metrics_timed_out", k.metrics_timed_out},
              {"install_sent", k.install_sent}, {"install_acked", k.install_acked},
              {"install_timed_out", k.install_timed_out}, {"commit_sent", k.commit_sent},
              {"commit_acked", k.commit_acked}, {"commit_timed_out", k.commit_timed_out}, {"pending", k.pending},
              {"late", k.late}, {"unknown", k.unknown}, {"ctrl_sent", c.sent}, {"ctrl_send_failed", c.send_failed},
              {"ctrl_acked", c.acked}, {"ctrl_nacked", c.nacked}, {"ctrl_timed_out", c.timed_out},
              {"ctrl_malformed", c.malformed}, {"digests_written", s->digests_written},
              {"digest_write_failed", s->digest_write_failed}, {"commit_cmds", s->commit_cmds},
              {"commit_cmd_failed", s->commit_cmd_failed}};
  for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) printf("%-27s %llu\n", rows[i].name, (unsigned long long)rows[i].v);
  printf("%-27s %.1f\n", "last_throughput", k.last_throughput);
  printf("%-27s %s\n", "balanced", updater_counters_balanced(&k) ? "yes" : "NO");
}

int cli_updater(int argc, char **argv) {
  gchar *config = NULL;
  gdouble duration = 0;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The updater's config (required)", "FILE"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Stop after S seconds (default: duration_s, else until "
       "SIGINT / SIGTERM)", "S"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- the Mixclaves updater over real nodes: scale-out by epochs");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Every sample_s it reads each committed node's counters (READ_METRICS, a signed\n"
      "control packet through the mixnet with a reply block back); when the summed\n"
      "throughput passes thresholds[n - 1] (n nodes) it scales out: provision_cmd\n"
      "(a shell command; the last line it prints is the new node's descriptor file;\n"
      "env CM_EPOCH, CM_NODES: the committed epoch and its node count), the next\n"
      "epoch's digest written to digests = DIR and INSTALL_EPOCH to every node of it,\n"
      "then once all acked, the committed digest and COMMIT (not all within\n"
      "converge_timeout_s: retried at the next epoch, at most max_attempts). After a\n"
      "commit: topology = FILE gets the nodes as [node.NAME] groups at the new epoch,\n"
      "then commit_cmd runs (env CM_EPOCH, CM_NODES, CM_TOPOLOGY). Scale-in is refused.\n"
      "Every attempt and request ends in one outcome, printed at the end.\n\n"
      "Config (GKeyFile):\n"
      "  [updater]      address (>= 1), listen = HOST:PORT (every node lists it as a\n"
      "                 [client.NAME]), operator = DIR (`cloudmix operator init`),\n"
      "                 digests = DIR (required; the nodes' `[node] digests`),\n"
      "                 thresholds = R1, R2, ... (msg/s at which 1, 2, ... nodes scale\n"
      "                 out; required), sample_s (1), reply_timeout_ms (500),\n"
      "                 converge_timeout_s (5), max_attempts (10), max_nodes (64),\n"
      "                 settle_s (0: after a commit, rounds decide nothing this long),\n"
      "                 hops (1: a request's path length), mean_delay_ms (1),\n"
      "                 duration_s (0: until a signal), provision_cmd, commit_cmd,\n"
      "                 topology = FILE, crypto = full\n"
      "  [node.NAME]    the committed nodes at start: descriptor = FILE (one epoch)\n"
      "  [client.NAME]  other clients: address, listen\n\n"
      "Secrets come from the OS CSPRNG.\n"
      "Exit codes: 0 ok (every outcome accounted), 1 the run failed, 2 bad usage or config.");
  char *bad = mxr_parse(ctx, entries, &argc, &argv, &config);
  if (!bad && !(duration >= 0 && duration <= 1e7)) bad = g_strdup("--duration: expected seconds >= 0");
  if (bad) return mxr_usage("updater", bad, config);

  int rc = CM_EXIT_USAGE;
  struct mixcfg c;
  struct mixbook book = {0};
  struct upd *s = g_new0(struct upd, 1);
  struct updater_ctrl *uc = NULL;
  struct digest_store *store = NULL;
  struct epoch_digest *initial = g_new0(struct epoch_digest, 1);
  char *listen = NULL, *opdir = NULL, *kerr = NULL, *ths = NULL;
  uint8_t sk[64], opk[32];
  double th[UPDATER_MAX_THRESHOLDS];
  uint32_t nth = 0;
  const char *G = "updater";
  const struct codec_ops *codec = NULL;
  env *e = NULL;
  memset(sk, 0, sizeof sk);
  s->config = config;
  if (!mixcfg_open(&c, config)) goto done;
  opdir = mixcfg_path(&c, G, "operator", true);
  if (!c.err && keyfile_operator_load(opdir, sk, opk, &kerr) != 0)
    c.err = g_strdup_printf("%s: [updater] operator: %s", config, kerr);
  s->digdir = mixcfg_path(&c, G, "digests", true);
  if (!c.err && !g_file_test(s->digdir, G_FILE_TEST_IS_DIR))
    c.err = g_strdup_printf("%s: [updater] digests: %s is not a folder; expected the one the nodes read", config,
                            s->digdir);
  ths = mixcfg_string(&c, G, "thresholds", "");
  if (!c.err) {
    char *tb = thresholds_parse(ths, th, &nth);
    if (tb) c.err = g_strdup_printf("%s: [updater] thresholds: %s", config, tb);
    g_free(tb);
  }
  struct updater_params up = {.thresholds = th, .operator_sk = sk};
  s->sample = cm_time_from_s(mixcfg_double(&c, G, "sample_s", 1, 0.05, 3600));
  up.sample_interval = s->sample;
  up.reply_timeout = cm_time_from_s(mixcfg_double(&c, G, "reply_timeout_ms", 500, 1, 3.6e6) / 1e3);
  up.converge_timeout = cm_time_from_s(mixcfg_double(&c, G, "converge_timeout_s", 5, 0.01, 86400));
  up.max_attempts = (uint32_t)mixcfg_uint(&c, G, "max_attempts", false, 10, 1, 1000);
  up.max_nodes = (uint32_t)mixcfg_uint(&c, G, "max_nodes", false, EPOCH_MAX_NODES, 1, EPOCH_MAX_NODES);
  up.settle = cm_time_from_s(mixcfg_double(&c, G, "settle_s", 0, 0, 86400));
  uint32_t hops = (uint32_t)mixcfg_uint(&c, G, "hops", false, 1, 1, CODEC_HOPS_MAX - 1);
  cm_time mean_delay = cm_time_from_s(mixcfg_double(&c, G, "mean_delay_ms", 1, 1e-3, 1e6) / 1e3);
  double dur = mixcfg_double(&c, G, "duration_s", 0, 0, 1e7);
  s->prov_cmd = g_key_file_has_key(c.kf, G, "provision_cmd", NULL) ? mixcfg_string(&c, G, "provision_cmd", "") : NULL;
  s->commit_cmd = g_key_file_has_key(c.kf, G, "commit_cmd", NULL) ? mixcfg_string(&c, G, "commit_cmd", "") : NULL;
  s->topology = mixcfg_path(&c, G, "topology", false);
  mixcfg_codec(&c, G, &codec);
  if (c.err) goto done;
  up.nthresholds = nth;
  if (duration > 0) dur = duration;
  cm_addr self = 0;
  if (!mxr_start(&c, G, upd_keys, NULL, true, &e, &self, &listen, &book, &rc)) goto done;
  s->e = e;
  /* the committed nodes at start, from their descriptors (as `cloudmix ctrl` reads them) */
  gchar **groups = g_key_file_get_groups(c.kf, NULL);
  for (gchar **g = groups; *g && !c.err; g++) {
    if (!g_str_has_prefix(*g, "node.")) continue;
    char *path = mixcfg_path(&c, *g, "descriptor", false);
    struct node_descriptor d;
    char *err = NULL;
    if (!path) c.err = g_strdup_printf("%s: [%s] descriptor: missing; expected the node's descriptor file", config, *g);
    else if (keyfile_descriptor_read(path, &d, &err) != 0)
      c.err = g_strdup_printf("%s: [%s] descriptor: %s", config, *g, err);
    else if (s->n && d.epoch != initial->version)
      c.err = g_strdup_printf("%s: [%s] descriptor: key epoch %u; expected %u, the other nodes'", config, *g, d.epoch,
                              initial->version);
    else if (s->n >= EPOCH_MAX_NODES)
      c.err = g_strdup_printf("%s: [%s]: more than %d nodes", config, *g, EPOCH_MAX_NODES);
    else {
      struct known *k = &s->nodes[s->n++];
      k->addr = d.address;
      memcpy(k->pk, d.pk, 32);
      memcpy(k->sign_pk, d.sign_pk, 32);
      g_strlcpy(k->listen, d.listen, sizeof k->listen);
      initial->version = d.epoch;
      struct epoch_node en = {.addr = d.address, .role = EPOCH_ROLE_MIX};
      memcpy(en.sign_pk, d.sign_pk, 32);
      memcpy(en.sphinx_pk, d.pk, 32);
      epoch_digest_put(initial, &en);
    }
    g_free(err);
    g_free(path);
  }
  g_strfreev(groups);
  if (!c.err && s->n == 0) c.err = g_strdup_printf("%s: no [node.NAME]; expected the committed nodes at start", config);
  if (c.err) goto done;
  initial->committed = true;
  initial->timestamp = (cm_time)g_get_real_time() * 1000;
  epoch_digest_sign(initial, sk);
  store = digest_store_new();
  cm_time clock_base = (cm_time)g_get_real_time() * 1000 - env_now(e); /* as the nodes' (cli/node.c) */
  struct updater_ctrl_params cp = {.addr = self, .codec = codec, .operator_sk = sk, .initial = initial,
                                   .store = store, .hops = hops, .mean_delay = mean_delay,
                                   .timeout = up.reply_timeout, .keys = upd_key_fn, .keys_ctx = s,
                                   .sign_keys = upd_sign_fn, .sign_ctx = s, .clock_base = clock_base};
  if (!store || !(uc = updater_ctrl_new(e, &cp))) {
    c.err = g_strdup_printf("%s: [updater] listen: cannot bind %s", config, listen);
    goto done;
  }
  updater_ctrl_ops(uc, &s->inner);
  struct updater_ops ops;
  upd_ops(s, &ops);
  up.stop = dur > 0 ? env_now(e) + cm_time_from_s(dur) : 0;
  s->t0 = cli_wall_s();
  s->u = updater_new(e, &up, &ops, initial);
  if (!s->u) {
    c.err = g_strdup_printf("%s: [updater]: parameters refused", config);
    goto done;
  }
  printf("updater %u on %s: %zu node(s) at epoch %u, %u threshold(s) from %.1f msg/s, sample %.2f s, %u hop(s); "
         "digests %s; secrets: OS CSPRNG\n", self, listen, s->n, initial->version, nth, th[0], cm_time_to_s(s->sample),
         hops, s->digdir);
  const char *why_in = NULL;
  if (updater_scale_in(s->u, s->nodes[0].addr, &why_in) == CM_ENOSYS) printf("updater: %s\n", why_in);
  fflush(stdout);
  struct mixsig sig;
  mixcfg_signals_begin(&sig, e);
  s->status = env_after(e, s->sample, on_status, s);
  /* the last reply timeout after the last round */
  cm_time until = dur > 0 ? env_now(e) + cm_time_from_s(dur) + 2 * up.reply_timeout : CM_TIME_MAX;
  int erc = env_run(e, until);
  const char *why = mixcfg_signals_end(&sig);
  env_cancel(e, s->status);
  printf("updater stopped by %s after %.2f s\n", why ? why : "--duration", upd_t(s));
  print_end(s, uc);
  struct updater_counters k;
  updater_counters(s->u, &k);
  rc = mxr_outcome("updater", erc, updater_counters_balanced(&k) ? NULL : "counters do not balance (a bug)");

done:
  updater_free(s->u);
  updater_ctrl_free(uc);
  digest_store_free(store);
  sodium_memzero(sk, sizeof sk);
  mxr_finish("updater", &c, e, &book, listen);
  g_free(initial);
  g_free(kerr);
  g_free(opdir);
  g_free(ths);
  g_free(s->digdir);
  g_free(s->prov_cmd);
  g_free(s->commit_cmd);
  g_free(s->topology);
  g_free(s);
  g_free(config);
  return rc;
}
