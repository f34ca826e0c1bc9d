/* `cloudmix client --config FILE --rate R --duration S`: the seed's
 * benchmark client (models/mixclaves/client.h) over UDP on the real
 * backend: self-addressed loops at R per second through the nodes of its
 * config for S seconds, then a wait of late_after so that every loop is
 * back or counted lost; prints throughput, RTT percentiles (client_rtt's
 * histogram) and drops. Config format: cli/node.c ([client] is this
 * client; [node.NAME] the nodes; [client.NAME] other clients). SIGHUP
 * re-reads the nodes (cli/mixclaves_link.c); --series writes a line a
 * second (the testbed's time series, tests/testbed/). */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "env_fault.h"
#include "hist.h"
#include "mixclaves.h"
#include "mixclaves/client.h"

static const char *const client_keys[] = {"address",         "listen",        "crypto",         "hops",
                                          "mean_delay_ms",   "late_after_ms", "drop_rate_per_s", "epoch",
                                          "link_delay_ms",   "link_jitter_ms", "link_loss",      NULL};

static double ms(int64_t ns) { return (double)ns / 1e6; }

int cli_client(int argc, char **argv) {
  gchar *config = NULL;
  gdouble rate = 100, duration = 10;
  gchar *series_path = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The client's config (required)", "FILE"},
      {"rate", 'r', 0, G_OPTION_ARG_DOUBLE, &rate, "Loops sent per second, Poisson (default 100)", "R"},
      {"duration", 'd', 0, G_OPTION_ARG_DOUBLE, &duration, "Seconds of sending (default 10)", "S"},
      {"series", 's', 0, G_OPTION_ARG_FILENAME, &series_path,
       "Append one CSV line a second: unix_time_s,nodes,sent,received,lost,p50_ms,p99_ms (that second's)", "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- run the Mixclaves benchmark client over UDP (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Sends self-addressed loops (Poisson, --rate per second) through the nodes of\n"
      "its config for --duration seconds, waits late_after for the last ones, and\n"
      "prints: sent, received (back within late_after), lost (not back within it),\n"
      "late (of the lost, back afterwards), throughput (received / duration) and\n"
      "RTT p50 / p95 / p99 / max in ms. SIGINT / SIGTERM stop it early.\n\n"
      "Config (GKeyFile; example scenarios/mixclaves/real-client.ini):\n"
      "  [client]       address (required, >= 1), listen = HOST:PORT (required),\n"
      "                 crypto = full (the only one real mode takes), hops (1),\n"
      "                 mean_delay_ms (1, per hop, exponential), late_after_ms (1000),\n"
      "                 drop_rate_per_s (0, drop cover), epoch (default: the nodes'\n"
      "                 key epoch, which must then agree), link_delay_ms,\n"
      "                 link_jitter_ms, link_loss (0: see `cloudmix node --help`)\n"
      "  [node.NAME]    a node (at least one): descriptor = FILE (written by\n"
      "                 `cloudmix node init`), or address, listen = HOST:PORT,\n"
      "                 pk = 64 hex digits (printed by `cloudmix node`) and epoch (0)\n"
      "  [client.NAME]  another client: address, listen = HOST:PORT\n\n"
      "SIGHUP re-reads the config's nodes; new paths are drawn from them (refused,\n"
      "the old nodes kept, if the config has an error or nodes at different epochs;\n"
      "all at one later epoch, e.g. `cloudmix updater`'s topology: the client moves\n"
      "to it).\n"
      "--series FILE appends, once a second: unix time, nodes, then that\n"
      "second's sent, received, lost and RTT p50 and p99 in ms (nan: none back).\n\n"
      "Ephemeral keys, padding, paths, delays and send times come from the OS\n"
      "CSPRNG: two runs of one config share no packet secret (there is no seed).\n\n"
      "Exit codes: 0 ok, 1 nothing came back or the run failed, 2 bad usage or config.");
  char *bad = mxr_parse(ctx, entries, &argc, &argv, &config);
  if (bad) {
    g_free(series_path);
    return mxr_usage("client", bad, config);
  }
  if (!(rate > 0 && rate <= 1e7)) bad = g_strdup("--rate: expected loops per second in (0, 1e7]");
  else if (!(duration > 0 && duration <= 1e7)) bad = g_strdup("--duration: expected seconds in (0, 1e7]");
  if (bad) {
    g_free(series_path);
    return mxr_usage("client", bad, config);
  }

  int rc = CM_EXIT_USAGE;
  struct mixcfg c;
  env *e = NULL, *ce = NULL; /* the real env; ce: the client's, e or the link's decorator over e */
  client *cl = NULL;
  struct mxr_series ser = {0};
  struct mixbook book = {0};
  char *listen = NULL;
  const char *G = "client";
  if (!mixcfg_open(&c, config)) goto done;
  struct client_params p = {.topology = CLIENT_DOMAIN, .loop_rate_per_s = rate};
  mixcfg_refuse_gone(&c, G);
  p.hops = (uint32_t)mixcfg_uint(&c, G, "hops", false, 1, 1, CODEC_HOPS_MAX);
  p.mean_delay = cm_time_from_s(mixcfg_double(&c, G, "mean_delay_ms", 1, 1e-3, 1e6) / 1e3); /* 0 would mean the model default */
  p.late_after = cm_time_from_s(mixcfg_double(&c, G, "late_after_ms", 1000, 1, 1e7) / 1e3);
  p.drop_rate_per_s = mixcfg_double(&c, G, "drop_rate_per_s", 0, 0, 1e7);
  mixcfg_codec(&c, G, &p.codec);
  struct mxr_link link;
  mxr_link_read(&c, G, &link);
  if (c.err) goto done;
  if (!mxr_start(&c, G, client_keys, NULL, true, &e, &p.addr, &listen, &book, &rc)) goto done;
  size_t nn = book.n;
  p.keys = mixbook_key;
  p.keys_ctx = &book;
  if (nn == 0) {
    c.err = g_strdup_printf("%s: [node.NAME]: missing; expected at least one node group", config);
    goto done;
  }
  /* one key epoch for the whole path: the config's, or the nodes' own */
  bool agree = true;
  for (size_t i = 1; i < nn; i++) agree = agree && book.epoch[i] == book.epoch[0];
  if (!agree && !g_key_file_has_key(c.kf, G, "epoch", NULL)) {
    c.err = g_strdup_printf("%s: [client] epoch: missing, and the nodes' key epochs differ (%u, ...); expected "
                            "one epoch for every node of a path", config, book.epoch[0]);
    goto done;
  }
  p.epoch = (uint32_t)mixcfg_uint(&c, G, "epoch", false, book.epoch[0], 0, G_MAXUINT32);
  if (c.err) goto done;
  char *lerr = NULL;
  if (mxr_link_wrap(&link, e, &ce, &lerr) != 0) {
    c.err = g_strdup_printf("%s: [client] link: %s", config, lerr);
    g_free(lerr);
    goto done;
  }
  if (series_path && !(ser.f = fopen(series_path, "a"))) {
    c.err = g_strdup_printf("--series %s: cannot open for appending: %s", series_path, g_strerror(errno));
    rc = CM_EXIT_FAILED;
    goto done;
  }
  cm_time t0 = env_now(e), dur = cm_time_from_s(duration);
  p.start = t0;
  p.stop = t0 + dur;
  cl = client_new(ce, &p, book.nodes, nn);
  if (!cl) {
    c.err = g_strdup_printf("%s: [client] listen: cannot start the client at %s (port taken, or hops beyond "
                            "the codec's)", config, listen);
    goto done;
  }
  printf("client %u on %s: %.0f loops/s for %.2f s through %zu node(s), %u hop(s), epoch %u, late after %.0f ms\n",
         p.addr, listen, rate, duration, nn, p.hops, p.epoch, ms(p.late_after));
  printf("packet secrets (ephemeral keys, padding, paths, delays, send times): OS CSPRNG\n");
  struct mixsig sig;
  mixcfg_signals_begin(&sig, ce);
  struct mxr_client_reload rl = {.config = config, .keys = client_keys, .inner = e, .self = p.addr,
                                 .epoch = p.epoch, .book = &book, .cl = cl};
  mixcfg_signals_on_hup(&sig, mxr_client_on_hup, &rl);
  mxr_link_print(&link, "client"); /* the last start line: SIGHUP is handled from here on */
  fflush(stdout);
  if (ser.f) {
    ser.cl = cl;
    ser.book = &book;
    ser.before = hist_new();
    if (!ser.before) {
      c.err = g_strdup("out of memory");
      rc = CM_EXIT_FAILED;
      mixcfg_signals_end(&sig);
      goto done;
    }
    ser.t = env_after(ce, CM_S(1), mxr_series_tick, &ser);
  }
  /* sending, then late_after (+ a little) so every loop is back or lost */
  int erc = env_run(ce, p.stop + p.late_after + CM_MS(20));
  const char *why = mixcfg_signals_end(&sig);
  if (ser.t) env_cancel(ce, ser.t);
  double ran = (double)(env_now(e) - t0) / 1e9;
  double sending = ran < duration ? ran : duration;
  struct client_counters k;
  client_counters(cl, &k);
  const hist *h = client_rtt(cl);
  if (why) printf("stopped early by %s after %.2f s\n", why, ran);
  printf("sent                %llu\n", (unsigned long long)(k.sent_loop + k.sent_drop));
  printf("sent_loop           %llu\n", (unsigned long long)k.sent_loop);
  printf("sent_drop           %llu\n", (unsigned long long)k.sent_drop);
  printf("send_failed         %llu\n", (unsigned long long)k.send_failed);
  printf("received            %llu\n", (unsigned long long)k.received);
  printf("lost                %llu\n", (unsigned long long)k.lost);
  printf("late                %llu\n", (unsigned long long)k.late);
  printf("outstanding         %llu\n", (unsigned long long)k.outstanding);
  printf("duplicate           %llu\n", (unsigned long long)k.duplicate);
  printf("malformed           %llu\n", (unsigned long long)k.malformed);
  printf("throughput_per_s    %.1f\n", sending > 0 ? (double)k.received / sending : 0.0);
  printf("rtt_p50_ms          %.3f\n", ms(hist_percentile(h, 0.50)));
  printf("rtt_p95_ms          %.3f\n", ms(hist_percentile(h, 0.95)));
  printf("rtt_p99_ms          %.3f\n", ms(hist_percentile(h, 0.99)));
  printf("rtt_max_ms          %.3f\n", ms(hist_max(h)));
  printf("nodes               %zu\n", book.n);
  if (ce != e) {
    struct env_fault_stats fs;
    env_fault_stats(ce, &fs);
    printf("link_delayed        %llu\nlink_dropped        %llu\n", (unsigned long long)fs.datagrams_delayed,
           (unsigned long long)fs.datagrams_dropped);
  }
  rc = mxr_outcome("client", erc,
                   k.received == 0 ? "nothing came back (is the node running at the configured address?)" : NULL);

done:
  client_free(cl);
  if (ce && ce != e) env_free(ce);
  if (ser.f) fclose(ser.f);
  if (ser.before) hist_free(ser.before);
  mxr_finish("client", &c, e, &book, listen);
  g_free(config);
  g_free(series_path);
  return rc;
}
