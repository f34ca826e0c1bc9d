/* `cloudmix node quote`: the node's software quote over a client-chosen
 * nonce, and its check.
 *
 *   quote --config FILE --nonce HEX --out FILE
 *     loads the node's keys and state (the installed epoch), measures the
 *     running binary (BLAKE2b-256 of /proc/self/exe: the `cloudmix` the
 *     daemon runs, when started from the same file) and writes a statement
 *     (GKeyFile, group [quote]): label, address, sign_pk, epoch, digest
 *     (the installed digest's hash), nonce, binary_blake2b, epoch_sig
 *     (epoch_node_sign: Ed25519 over "CMEN" || digest hash || nonce) and
 *     quote_sig (Ed25519 over "CMQ1" || binary || digest hash || nonce).
 *   quote --verify STATEMENT --digest FILE --nonce HEX [--binary FILE]
 *     checks it the way a client would: the digest file's hash is the
 *     statement's, both signatures verify under the Ed25519 key the
 *     operator-signed digest lists for the statement's address (not the
 *     statement's own sign_pk), the nonce is the one given, and with
 *     --binary the file's BLAKE2b-256 is the measured one.
 * Labelled everywhere "software quote, not hardware-backed": it shows the
 * holder of the node's key vouches for the digest and the binary, not that
 * an enclave runs that binary (DESIGN.md, "What is honest about
 * enclaves"). Exit codes: 0 ok / verified, 1 refused, 2 bad usage. */
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "cli.h"
#include "node_state.h"

#define LABEL "software quote, not hardware-backed (Ed25519 by the node's own key; no SGX/SEV)"

static const uint8_t quote_magic[4] = {'C', 'M', 'Q', '1'};

/* "CMQ1" || binary || hash || nonce */
static void quote_msg(const uint8_t bin[32], const uint8_t hash[32], const uint8_t nonce[32], uint8_t m[100]) {
  memcpy(m, quote_magic, 4);
  memcpy(m + 4, bin, 32);
  memcpy(m + 36, hash, 32);
  memcpy(m + 68, nonce, 32);
}

static bool hex_n(const char *s, uint8_t *out, size_t n) {
  size_t got = 0;
  return s && strlen(s) == 2 * n && sodium_hex2bin(out, n, s, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

static void kf_hex(GKeyFile *kf, const char *k, const uint8_t *b, size_t n) {
  char hex[2 * 64 + 1];
  sodium_bin2hex(hex, sizeof hex, b, n);
  g_key_file_set_string(kf, "quote", k, hex);
}

static int file_measure(const char *path, uint8_t out[32], char **err) {
  FILE *f = fopen(path, "rb");
  if (!f) {
    *err = g_strdup_printf("--binary: %s: cannot open", path);
    return CM_EIO;
  }
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  static uint8_t buf[1 << 16];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) crypto_generichash_update(&st, buf, n);
  fclose(f);
  crypto_generichash_final(&st, out, 32);
  return 0;
}

static int make_quote(const char *config, const uint8_t nonce[32], const char *out) {
  struct mixcfg c;
  struct node_state s = {0};
  struct node_identity id;
  struct node_descriptor desc;
  char *keydir = NULL, *state = NULL, *err = NULL;
  int rc = CM_EXIT_USAGE;
  memset(&id, 0, sizeof id);
  if (!mixcfg_open(&c, config)) goto done;
  keydir = mixcfg_path(&c, "node", "keys", true);
  state = mixcfg_path(&c, "node", "state", false);
  if (c.err) goto done;
  if (!state) state = node_state_default(keydir);
  uint8_t bin[32], hash[32], esig[64], qsig[64], msg[100];
  if (keyfile_load(keydir, &id, &desc, &err) != 0 || node_state_open(&s, state, keydir, &id, &desc, &err) != 0 ||
      node_binary_measure(bin, &err) != 0) {
    fprintf(stderr, "cloudmix node quote: %s\n", err);
    goto done;
  }
  if (!s.installed) {
    fprintf(stderr, "cloudmix node quote: %s: no epoch installed; expected `cloudmix node epoch install` first\n",
            state);
    rc = CM_EXIT_FAILED;
    goto done;
  }
  epoch_digest_hash(s.digest, hash);
  epoch_node_sign(s.digest, id.sign_sk, nonce, esig);
  quote_msg(bin, hash, nonce, msg);
  crypto_sign_detached(qsig, NULL, msg, sizeof msg, id.sign_sk);
  GKeyFile *kf = g_key_file_new();
  g_key_file_set_string(kf, "quote", "label", LABEL);
  g_key_file_set_uint64(kf, "quote", "address", desc.address);
  kf_hex(kf, "sign_pk", id.sign_pk, 32);
  g_key_file_set_uint64(kf, "quote", "epoch", s.inst.version);
  kf_hex(kf, "digest", hash, 32);
  kf_hex(kf, "nonce", nonce, 32);
  kf_hex(kf, "binary_blake2b", bin, 32);
  kf_hex(kf, "epoch_sig", esig, 64);
  kf_hex(kf, "quote_sig", qsig, 64);
  GError *ge = NULL;
  if (!g_key_file_save_to_file(kf, out, &ge)) {
    fprintf(stderr, "cloudmix node quote: %s\n", ge->message);
    g_error_free(ge);
    rc = CM_EXIT_FAILED;
  } else {
    printf("quote of node %u, epoch %u, written to %s\n%s\n", desc.address, s.inst.version, out, LABEL);
    rc = CM_EXIT_OK;
  }
  g_key_file_free(kf);
done:
  if (c.err) fprintf(stderr, "cloudmix node quote: %s\n", c.err);
  sodium_memzero(&id, sizeof id);
  node_state_close(&s);
  mixcfg_close(&c);
  g_free(err);
  g_free(keydir);
  g_free(state);
  return rc;
}

static int refuse(const char *path, const char *why) {
  fprintf(stderr, "cloudmix node quote --verify: %s: %s; NOT verified\n", path, why);
  return CM_EXIT_FAILED;
}

static int verify_quote(const char *path, const char *dfile, const uint8_t nonce[32], const char *binary) {
  GKeyFile *kf = g_key_file_new();
  GError *ge = NULL;
  struct epoch_digest *d = g_new0(struct epoch_digest, 1);
  gchar *buf = NULL;
  gsize len = 0;
  int rc = CM_EXIT_FAILED;
  if (!g_key_file_load_from_file(kf, path, G_KEY_FILE_NONE, &ge)) {
    rc = refuse(path, ge->message);
    goto done;
  }
  if (!g_file_get_contents(dfile, &buf, &len, NULL) || epoch_digest_decode((uint8_t *)buf, len, d) != 0) {
    rc = refuse(dfile, "not a canonical epoch digest");
    goto done;
  }
  uint8_t hash[32], dhash[32], qnonce[32], bin[32], esig[64], qsig[64], msg[100];
  char *v[6];
  static const char *const keys[6] = {"digest", "nonce", "binary_blake2b", "epoch_sig", "quote_sig", "address"};
  for (int i = 0; i < 6; i++) v[i] = g_key_file_get_string(kf, "quote", keys[i], NULL);
  guint64 addr = 0;
  bool parsed = hex_n(v[0], hash, 32) && hex_n(v[1], qnonce, 32) && hex_n(v[2], bin, 32) && hex_n(v[3], esig, 64) &&
                hex_n(v[4], qsig, 64) && v[5] && g_ascii_string_to_unsigned(v[5], 10, 1, G_MAXUINT32, &addr, NULL);
  for (int i = 0; i < 6; i++) g_free(v[i]);
  epoch_digest_hash(d, dhash);
  int i = epoch_digest_find(d, (cm_addr)addr);
  quote_msg(bin, hash, nonce, msg);
  uint8_t want[32];
  char *err = NULL;
  if (!parsed) rc = refuse(path, "expected [quote] digest, nonce, binary_blake2b (64 hex), epoch_sig, quote_sig (128 hex), address");
  else if (sodium_memcmp(qnonce, nonce, 32) != 0) rc = refuse(path, "made for another nonce (a replayed quote?)");
  else if (sodium_memcmp(hash, dhash, 32) != 0) rc = refuse(path, "vouches for another digest than --digest");
  else if (!d->committed) rc = refuse(dfile, "not a committed digest");
  else if (i < 0) rc = refuse(path, "its address is not in the digest");
  else if (epoch_node_verify(d, (cm_addr)addr, nonce, esig) != 0) rc = refuse(path, "epoch_sig fails under the key the digest lists");
  else if (crypto_sign_verify_detached(qsig, msg, sizeof msg, d->nodes[i].sign_pk) != 0)
    rc = refuse(path, "quote_sig fails under the key the digest lists");
  else if (binary && file_measure(binary, want, &err) != 0) rc = refuse(binary, err);
  else if (binary && sodium_memcmp(want, bin, 32) != 0) rc = refuse(path, "measured another binary than --binary");
  else {
    char dh[65], bh[65];
    sodium_bin2hex(dh, sizeof dh, hash, 32);
    sodium_bin2hex(bh, sizeof bh, bin, 32);
    printf("verified: node %u (epoch %u) vouches, over your nonce, for digest %s and binary %s%s\n%s\n",
           (unsigned)addr, d->version, dh, bh, binary ? " (= BLAKE2b-256 of --binary)" : "", LABEL);
    rc = CM_EXIT_OK;
  }
  g_free(err);
done:
  if (ge) g_error_free(ge);
  g_key_file_free(kf);
  g_free(buf);
  g_free(d);
  return rc;
}

int node_quote_cmd(int argc, char **argv) {
  gchar *config = NULL, *noncehex = NULL, *out = NULL, *verify = NULL, *dfile = NULL, *binary = NULL;
  GOptionEntry e[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "The node's config (making a quote)", "FILE"},
      {"nonce", 'n', 0, G_OPTION_ARG_STRING, &noncehex, "The client's nonce, 64 hex digits (required)", "HEX"},
      {"out", 'o', 0, G_OPTION_ARG_FILENAME, &out, "Where the statement goes (making a quote)", "FILE"},
      {"verify", 0, 0, G_OPTION_ARG_FILENAME, &verify, "Check this statement instead", "STATEMENT"},
      {"digest", 'd', 0, G_OPTION_ARG_FILENAME, &dfile, "The operator-signed digest (with --verify)", "FILE"},
      {"binary", 'b', 0, G_OPTION_ARG_FILENAME, &binary, "The binary it should have measured (with --verify)", "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("- a node's software quote over a nonce, or its check");
  g_option_context_add_main_entries(ctx, e, NULL);
  g_option_context_set_description(ctx, LABEL "\n"
                                     "Make: --config FILE --nonce HEX --out FILE. Check: --verify STATEMENT --digest\n"
                                     "FILE --nonce HEX [--binary FILE]. See cli/node_quote.c.");
  char *bad = NULL;
  if (cli_options_parse(ctx, e, &argc, &argv, &bad) && argc != 1) bad = g_strdup_printf("unexpected argument '%s'", argv[1]);
  g_option_context_free(ctx);
  uint8_t nonce[32];
  if (!bad && !hex_n(noncehex, nonce, 32)) bad = g_strdup("--nonce: expected 64 hex digits");
  if (!bad && verify && !dfile) bad = g_strdup("--verify needs --digest FILE");
  if (!bad && !verify && (!config || !out)) bad = g_strdup("expected --config FILE --out FILE, or --verify STATEMENT");
  int rc;
  if (bad) {
    cli_usage_error("node quote", NULL, bad);
    rc = CM_EXIT_USAGE;
  } else {
    rc = verify ? verify_quote(verify, dfile, nonce, binary) : make_quote(config, nonce, out);
  }
  g_free(bad);
  g_free(config);
  g_free(noncehex);
  g_free(out);
  g_free(verify);
  g_free(dfile);
  g_free(binary);
  return rc;
}
