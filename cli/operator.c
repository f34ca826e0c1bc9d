/* The operator's key in real mode: `cloudmix operator init --dir DIR`
 * makes the operator's Ed25519 key pair once (real/keyfile.h: the OS
 * CSPRNG, an owner-only secret file, a public file for the nodes), and
 * mixcfg_operator reads a node's [node] operator = FILE or operator_pk =
 * hex. `cloudmix ctrl` (cli/ctrl.c) signs with the secret half. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "keyfile.h"
#include "mixclaves.h"

bool mixcfg_operator(struct mixcfg *c, const char *group, uint8_t pk[32]) {
  if (c->err) return false;
  GKeyFile *kf = c->kf;
  bool has_file = g_key_file_has_key(kf, group, "operator", NULL);
  bool has_hex = g_key_file_has_key(kf, group, "operator_pk", NULL);
  if (has_file && has_hex) {
    c->err = g_strdup_printf("%s: [%s] operator_pk: given with operator; expected one or the other", c->path, group);
    return false;
  }
  if (has_hex) {
    char *v = mixcfg_string(c, group, "operator_pk", "");
    if (keyfile_operator_pk_parse(v, pk) != 0)
      c->err = g_strdup_printf("%s: [%s] operator_pk: expected 64 hex digits of an Ed25519 public key (the "
                               "operator.pub of `cloudmix operator init`), got '%.80s'", c->path, group, v);
    g_free(v);
    return !c->err;
  }
  char *path = mixcfg_path(c, group, "operator", false);
  if (!path) return false;
  char *err = NULL;
  if (keyfile_operator_pk_read(path, pk, &err) != 0) c->err = g_strdup_printf("%s: [%s] operator: %s", c->path, group, err);
  g_free(err);
  g_free(path);
  return !c->err;
}

int cli_operator(int argc, char **argv) {
  gchar *dir = NULL;
  GOptionEntry entries[] = {
      {"dir", 'k', 0, G_OPTION_ARG_FILENAME, &dir, "Folder for the operator's key pair (required; made 0700)", "DIR"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  if (argc < 2 || strcmp(argv[1], "init") != 0) {
    if (argc >= 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
      printf("Usage: cloudmix operator init --dir DIR\n\n"
             "Makes the mixnet operator's Ed25519 key pair once (real mode's control\n"
             "plane; see `cloudmix operator init --help`).\n");
      return CM_EXIT_OK;
    }
    fprintf(stderr, "cloudmix operator: expected the subcommand init\nRun 'cloudmix operator init --help' for usage.\n");
    return CM_EXIT_USAGE;
  }
  argc--;
  argv++;
  GOptionContext *ctx = g_option_context_new("- make the mixnet operator's key pair once (real mode)");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "Draws the operator's Ed25519 key pair from the OS CSPRNG (libsodium) and\n"
      "writes, in DIR:\n"
      "  operator.key  secret, mode 0600: `cloudmix ctrl` signs control packets\n"
      "                with it ([ctrl] operator = DIR)\n"
      "  operator.pub  public, 64 hex digits: give it to the nodes\n"
      "                ([node] operator = FILE, or operator_pk = the hex)\n"
      "A node without an operator key refuses every control packet.\n"
      "Never overwrites: if either file exists it stops with exit 2.\n\n"
      "Exit codes: 0 ok, 1 a file could not be written, 2 bad usage or files present.");
  char *bad = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &bad))
    ; /* bad is the parse error */
  else if (argc != 1) bad = g_strdup_printf("unexpected argument '%s'", argv[1]);
  else if (!dir) bad = g_strdup("--dir DIR is required");
  g_option_context_free(ctx);
  int rc = CM_EXIT_OK;
  if (bad) {
    cli_usage_error("operator init", NULL, bad);
    g_free(bad);
    g_free(dir);
    return CM_EXIT_USAGE;
  }
  uint8_t pk[32];
  char *err = NULL;
  int krc = keyfile_operator_init(dir, pk, &err);
  if (krc) {
    fprintf(stderr, "cloudmix operator init: %s\n", err);
    rc = krc == CM_EEXIST ? CM_EXIT_USAGE : CM_EXIT_FAILED;
    g_free(err);
  } else {
    char hex[65];
    sodium_bin2hex(hex, sizeof hex, pk, 32);
    printf("operator key made in %s (Ed25519 from the OS CSPRNG, secret file 0600)\n", dir);
    printf("operator_pk %s\npublic %s/%s\n", hex, dir, KEYFILE_OPERATOR_PK);
  }
  g_free(dir);
  return rc;
}
