/* The parts `cloudmix node` (cli/node.c) and `cloudmix client`
 * (cli/client.c) share around their config reader: option checks, the
 * real env with its address book, the exit code after the run, and the
 * clean-up. */
#include <stdio.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "env_real.h"
#include "mixclaves.h"

char *mxr_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc, char ***argv, char *const *config) {
  char *bad = NULL;
  if (cli_options_parse(ctx, entries, argc, argv, &bad)) {
    if (*argc != 1) bad = g_strdup_printf("unexpected argument '%s'", (*argv)[1]);
    else if (!*config) bad = g_strdup("--config FILE is required");
  }
  g_option_context_free(ctx);
  return bad;
}

int mxr_usage(const char *cmd, char *bad, char *config) {
  cli_usage_error(cmd, NULL, bad);
  g_free(bad);
  g_free(config);
  return CM_EXIT_USAGE;
}

bool mxr_start(struct mixcfg *c, const char *group, const char *const *keys, const struct node_descriptor *d,
               bool need_pk, env **e, cm_addr *addr, char **listen, struct mixbook *book, int *rc) {
  /* Nothing here draws from env_rng (every packet-shaping draw is
   * env_secret_rng), but should anything ever do, its seed is not public. */
  uint64_t seed = 0;
  if (sodium_init() >= 0) randombytes_buf(&seed, sizeof seed);
  *e = env_real_new(seed);
  if (!*e) {
    c->err = g_strdup("out of memory");
    *rc = CM_EXIT_FAILED;
    return false;
  }
  return mixcfg_self(c, group, *e, d, addr, listen) == 0 && mixcfg_book(c, group, keys, *e, *addr, need_pk, book) == 0;
}

int mxr_outcome(const char *cmd, int erc, const char *failure) {
  if (erc != 0) fprintf(stderr, "cloudmix %s: the event loop failed: %s\n", cmd, cm_strerror(erc));
  else if (failure) fprintf(stderr, "cloudmix %s: %s\n", cmd, failure);
  else return CM_EXIT_OK;
  return CM_EXIT_FAILED;
}

void mxr_finish(const char *cmd, struct mixcfg *c, env *e, struct mixbook *book, char *listen) {
  if (c->err) fprintf(stderr, "cloudmix %s: %s\n", cmd, c->err);
  if (e) env_free(e);
  mixbook_free(book);
  g_free(listen);
  mixcfg_close(c);
}
