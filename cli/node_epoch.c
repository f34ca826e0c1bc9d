/* `cloudmix node epoch operator | prepare | sign | install`: installing an
 * epoch in real mode without control packets (the CTRL INSTALL_EPOCH of
 * the control plane will call node_epoch_install on the running node):
 *   operator --out FILE          an operator Ed25519 key (OS CSPRNG, 0600)
 *   prepare --keys DIR --epoch V the node's packet key for epoch V, ahead
 *                                (DIR/x25519.V.key, 0600); prints its pk
 *   sign --operator-key FILE --version V --node DESCRIPTOR[=PK]... --out F
 *                                the committed digest of epoch V, signed
 *   install --config FILE --digest F [--operator-pk HEX]
 *                                into the node's state database (the node
 *                                starts in it next time; persisted exactly
 *                                as the running node's persist hook does)
 * Exit codes: 0 ok, 1 a file could not be written or the install refused,
 * 2 bad usage or input. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "node_state.h"
#include "mixclaves/sphinx.h"

static int usage(const char *sub, char *bad) {
  char *cmd = g_strdup_printf("node epoch %s", sub);
  int rc = cli_usage_error(cmd, NULL, bad);
  g_free(cmd);
  g_free(bad);
  return rc;
}

/* GOption parse of a subcommand: NULL or the problem (g_malloc'd). */
static char *parse(const char *what, GOptionEntry *entries, const char *desc, int *argc, char ***argv) {
  GOptionContext *ctx = g_option_context_new(what);
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(ctx, desc);
  char *bad = NULL;
  if (cli_options_parse(ctx, entries, argc, argv, &bad) && *argc != 1)
    bad = g_strdup_printf("unexpected argument '%s'", (*argv)[1]);
  g_option_context_free(ctx);
  return bad;
}

static bool hex32(const char *s, uint8_t out[32]) {
  size_t got = 0;
  return s && strlen(s) == 64 && sodium_hex2bin(out, 32, s, 64, NULL, &got, NULL) == 0 && got == 32;
}

static void print_hex(const char *label, const uint8_t *b, size_t n) {
  char hex[2 * 64 + 1];
  sodium_bin2hex(hex, sizeof hex, b, n);
  printf("%s %s\n", label, hex);
}

static int cmd_operator(int argc, char **argv) {
  gchar *out = NULL;
  GOptionEntry e[] = {{"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "The key file to make (required)", "FILE"},
                      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  char *bad = parse("- make an operator Ed25519 key (OS CSPRNG)", e,
                    "Writes FILE (mode 0600, never overwritten): 128 hex digits, libsodium's\n"
                    "seed || pk form. Prints the public key (operator_pk) the nodes check\n"
                    "digests against.",
                    &argc, &argv);
  if (!bad && !out) bad = g_strdup("--out FILE is required");
  if (bad) return g_free(out), usage("operator", bad);
  uint8_t pk[32], sk[64];
  crypto_sign_keypair(pk, sk);
  char *err = NULL;
  int rc = keyfile_secret_write(out, sk, 64, &err);
  sodium_memzero(sk, sizeof sk);
  if (rc) fprintf(stderr, "cloudmix node epoch operator: %s\n", err);
  else print_hex("operator_pk", pk, 32);
  g_free(err);
  g_free(out);
  return rc ? CM_EXIT_FAILED : CM_EXIT_OK;
}

static int cmd_prepare(int argc, char **argv) {
  gchar *keys = NULL;
  gint64 epoch = -1;
  GOptionEntry e[] = {{"keys", 'k', 0, G_OPTION_ARG_FILENAME, &keys, "The node's keys folder (required)", "DIR"},
                      {"epoch", 'e', 0, G_OPTION_ARG_INT64, &epoch, "The epoch (required)", "V"},
                      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  char *bad = parse("- make the node's packet key of a coming epoch", e,
                    "Draws an X25519 key from the OS CSPRNG into DIR/x25519.V.key (0600, never\n"
                    "overwritten) and prints its public key: give it to the operator, who\n"
                    "lists it in epoch V's digest (`cloudmix node epoch sign --node D=PK`).",
                    &argc, &argv);
  if (!bad && !keys) bad = g_strdup("--keys DIR is required");
  if (!bad && (epoch < 0 || epoch > G_MAXUINT32)) bad = g_strdup("--epoch: expected an integer in [0, 4294967295]");
  if (bad) return g_free(keys), usage("prepare", bad);
  uint8_t pk[32], sk[32];
  do {
    randombytes_buf(sk, sizeof sk);
    crypto_scalarmult_base(pk, sk);
  } while (sphinx_pk_check(pk) != 0);
  char name[64], *err = NULL;
  snprintf(name, sizeof name, "x25519.%lld.key", (long long)epoch);
  char *path = g_build_filename(keys, name, NULL);
  int rc = keyfile_secret_write(path, sk, 32, &err);
  sodium_memzero(sk, sizeof sk);
  if (rc) fprintf(stderr, "cloudmix node epoch prepare: %s\n", err);
  else {
    printf("epoch %lld key %s (OS CSPRNG, 0600)\n", (long long)epoch, path);
    print_hex("pk", pk, 32);
  }
  g_free(err);
  g_free(path);
  g_free(keys);
  return rc ? CM_EXIT_FAILED : CM_EXIT_OK;
}

static int cmd_sign(int argc, char **argv) {
  gchar *opkey = NULL, *out = NULL, **nodes = NULL;
  gint64 version = -1;
  gboolean proposal = FALSE;
  GOptionEntry e[] = {
      {"operator-key", 'K', 0, G_OPTION_ARG_FILENAME, &opkey, "The operator's key file (required)", "FILE"},
      {"version", 'v', 0, G_OPTION_ARG_INT64, &version, "The epoch (required)", "V"},
      {"node", 'n', 0, G_OPTION_ARG_FILENAME_ARRAY, &nodes,
       "A node: its descriptor, and the epoch's packet key (default: the descriptor's pk); repeat", "DESC[=PK]"},
      {"proposal", 0, 0, G_OPTION_ARG_NONE, &proposal, "An uncommitted proposal (default: committed)", NULL},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where the digest goes (canonical encoding) (required)", "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  char *bad = parse("- make and sign an epoch digest", e,
                    "The digest of epoch V (models/mixclaves/epoch.h): the nodes' addresses and\n"
                    "Ed25519 keys from their descriptors, their packet keys, layer 0, role mix,\n"
                    "the wall clock as timestamp; signed with the operator key. Prints its hash.",
                    &argc, &argv);
  if (!bad && (!opkey || !out || !nodes)) bad = g_strdup("--operator-key, --node and --out are required");
  if (!bad && (version < 0 || version > G_MAXUINT32)) bad = g_strdup("--version: expected an integer in [0, 4294967295]");
  struct epoch_digest *d = g_new0(struct epoch_digest, 1);
  uint8_t sk[64];
  char *err = NULL;
  int rc = CM_EXIT_USAGE;
  if (bad) goto out;
  epoch_digest_init(d, (uint32_t)version, (cm_time)g_get_real_time() * 1000);
  d->committed = !proposal;
  for (gchar **n = nodes; *n && !bad; n++) {
    char *eq = strrchr(*n, '=');
    char *desc = eq ? g_strndup(*n, (size_t)(eq - *n)) : g_strdup(*n);
    struct node_descriptor nd;
    struct epoch_node en = {.role = EPOCH_ROLE_MIX};
    if (keyfile_descriptor_read(desc, &nd, &err) != 0) bad = g_strdup_printf("--node: %s", err);
    else if (eq && (!hex32(eq + 1, en.sphinx_pk) || sphinx_pk_check(en.sphinx_pk) != 0))
      bad = g_strdup_printf("--node %s: expected =PK, 64 hex digits of a valid X25519 key", *n);
    else {
      en.addr = nd.address;
      memcpy(en.sign_pk, nd.sign_pk, 32);
      if (!eq) memcpy(en.sphinx_pk, nd.pk, 32);
      if (epoch_digest_find(d, en.addr) >= 0) bad = g_strdup_printf("--node %s: address %u twice", *n, en.addr);
      else if (epoch_digest_put(d, &en) != 0) bad = g_strdup_printf("--node %s: refused (too many nodes?)", *n);
    }
    g_free(desc);
  }
  if (!bad && keyfile_secret_read(opkey, sk, 64, &err) != 0) bad = g_strdup_printf("--operator-key: %s", err);
  if (bad) goto out;
  epoch_digest_sign(d, sk);
  sodium_memzero(sk, sizeof sk);
  uint8_t enc[EPOCH_MAX_BYTES], hash[32];
  size_t len = 0;
  epoch_digest_encode(d, enc, sizeof enc, &len);
  epoch_digest_hash(d, hash);
  GError *ge = NULL;
  if (!g_file_set_contents(out, (const char *)enc, (gssize)len, &ge)) {
    fprintf(stderr, "cloudmix node epoch sign: %s\n", ge->message);
    g_error_free(ge);
    rc = CM_EXIT_FAILED;
    goto out;
  }
  printf("epoch %u %s, %u nodes, %zu bytes in %s\n", d->version, d->committed ? "committed" : "proposal", d->n, len,
         out);
  print_hex("digest", hash, 32);
  rc = CM_EXIT_OK;
out:
  if (bad) rc = usage("sign", bad);
  g_free(err);
  g_free(d);
  g_free(opkey);
  g_free(out);
  g_strfreev(nodes);
  return rc;
}

/* The digest file: the canonical encoding, decoded strictly. */
static char *read_digest(const char *path, struct epoch_digest *d) {
  gchar *buf = NULL;
  gsize len = 0;
  GError *ge = NULL;
  if (!g_file_get_contents(path, &buf, &len, &ge)) {
    char *m = g_strdup_printf("--digest: %s", ge->message);
    g_error_free(ge);
    return m;
  }
  int rc = epoch_digest_decode((const uint8_t *)buf, len, d);
  g_free(buf);
  return rc ? g_strdup_printf("--digest: %s: not a canonical epoch digest (%zu bytes; epoch.h has the format)", path,
                              (size_t)len)
            : NULL;
}

static int cmd_install(int argc, char **argv) {
  gchar *config = NULL, *dfile = NULL, *ophex = NULL;
  GOptionEntry e[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The node's config ([node] keys, state) (required)", "FILE"},
      {"digest", 'd', 0, G_OPTION_ARG_FILENAME, &dfile, "The committed digest (`epoch sign`) (required)", "FILE"},
      {"operator-pk", 'O', 0, G_OPTION_ARG_STRING, &ophex,
       "The operator key it must be signed by (default: the installed epoch's)", "HEX"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  char *bad = parse("- install a committed epoch into the node's state database", e,
                    "Checks the digest (committed, the operator's signature, this node listed with\n"
                    "its Ed25519 key and a packet key it holds: x25519.key or x25519.V.key of\n"
                    "`epoch prepare`) and writes it in one transaction. The node runs in it from\n"
                    "its next start (a running node is not told).",
                    &argc, &argv);
  if (!bad && (!config || !dfile)) bad = g_strdup("--config and --digest are required");
  struct epoch_digest *d = g_new0(struct epoch_digest, 1);
  struct mixcfg c = {0};
  struct node_state s = {0};
  struct node_identity id;
  struct node_descriptor desc;
  char *keydir = NULL, *state = NULL, *err = NULL;
  int rc = CM_EXIT_USAGE;
  if (!bad) bad = read_digest(dfile, d);
  if (bad) goto out;
  if (!mixcfg_open(&c, config)) goto out;
  keydir = mixcfg_path(&c, "node", "keys", true);
  state = mixcfg_path(&c, "node", "state", false);
  if (c.err) goto out;
  if (!state) state = node_state_default(keydir);
  if (keyfile_load(keydir, &id, &desc, &err) != 0 || node_state_open(&s, state, keydir, &id, &desc, &err) != 0) {
    fprintf(stderr, "cloudmix node epoch install: %s\n", err);
    goto out;
  }
  if (ophex && !hex32(ophex, s.inst.operator_pk)) {
    bad = g_strdup("--operator-pk: expected 64 hex digits");
    goto out;
  }
  if (!ophex && !s.installed) {
    bad = g_strdup("--operator-pk HEX is required for the first install (no epoch installed yet)");
    goto out;
  }
  /* the packet key: the one the digest lists for this node, held in keydir */
  int i = epoch_digest_find(d, desc.address);
  uint8_t sk[32], pk[32];
  char name[64];
  snprintf(name, sizeof name, "x25519.%u.key", d->version);
  char *kpath = g_build_filename(keydir, name, NULL);
  bool same = s.installed && s.inst.version == d->version && epoch_digest_equal(s.digest, d);
  if (!same && (!d->committed || epoch_digest_verify(d, s.inst.operator_pk) != 0)) {
    fprintf(stderr, "cloudmix node epoch install: %s: expected a committed digest signed by the operator key; "
                    "refused\n", dfile);
    rc = CM_EXIT_FAILED;
  } else if (i < 0) {
    fprintf(stderr, "cloudmix node epoch install: %s: epoch %u does not list this node (address %u)\n", dfile,
            d->version, desc.address);
    rc = CM_EXIT_FAILED;
  } else if (sodium_memcmp(d->nodes[i].sphinx_pk, s.id_pk, 32) == 0) {
    memcpy(sk, id.sk, 32);
    rc = 0;
  } else if (keyfile_secret_read(kpath, sk, 32, &err) != 0 || crypto_scalarmult_base(pk, sk) != 0 ||
             sodium_memcmp(pk, d->nodes[i].sphinx_pk, 32) != 0) {
    fprintf(stderr, "cloudmix node epoch install: %s: the packet key epoch %u lists for this node is not in %s "
                    "(expected the key of `cloudmix node epoch prepare --keys %s --epoch %u`)%s%s\n",
            dfile, d->version, kpath, keydir, d->version, err ? ": " : "", err ? err : "");
    rc = CM_EXIT_FAILED;
  } else {
    rc = 0;
  }
  g_free(kpath);
  if (rc == 0) {
    if (same) {
      printf("epoch %u already installed in %s\n", d->version, state);
    } else if (node_state_persist(&s, d, d->nodes[i].sphinx_pk, sk) != 0) {
      rc = CM_EXIT_FAILED; /* printed */
    } else {
      uint8_t hash[32];
      epoch_digest_hash(d, hash);
      printf("installed epoch %u into %s (the node starts in it next time)\n", d->version, state);
      print_hex("digest", hash, 32);
    }
  }
  sodium_memzero(sk, sizeof sk);
out:
  if (c.err) fprintf(stderr, "cloudmix node epoch install: %s\n", c.err);
  if (bad) rc = usage("install", bad);
  sodium_memzero(&id, sizeof id);
  node_state_close(&s);
  mixcfg_close(&c);
  g_free(err);
  g_free(d);
  g_free(keydir);
  g_free(state);
  g_free(config);
  g_free(dfile);
  g_free(ophex);
  return rc;
}

int node_epoch_cmd(int argc, char **argv) {
  static const struct {
    const char *name;
    int (*fn)(int, char **);
  } subs[] = {{"operator", cmd_operator}, {"prepare", cmd_prepare}, {"sign", cmd_sign}, {"install", cmd_install}};
  for (size_t i = 0; argc >= 2 && i < G_N_ELEMENTS(subs); i++)
    if (!strcmp(argv[1], subs[i].name)) return subs[i].fn(argc - 1, argv + 1);
  fprintf(stderr, "cloudmix node epoch: expected operator, prepare, sign or install%s%s\n"
                  "  operator --out FILE            an operator Ed25519 key\n"
                  "  prepare --keys DIR --epoch V   the node's packet key of epoch V, ahead\n"
                  "  sign --operator-key FILE --version V --node DESC[=PK]... --out FILE\n"
                  "  install --config FILE --digest FILE [--operator-pk HEX]\n",
          argc >= 2 ? ", got " : "", argc >= 2 ? argv[1] : "");
  return CM_EXIT_USAGE;
}
