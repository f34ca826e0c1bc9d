/* libFuzzer target: the control plane's strict decoders (models/mixclaves/
 * ctrl.h). Input byte 0, bit 0: the reply decoder (else the request's);
 * the rest is the message as a node or an operator would receive it (a
 * codec payload). Whatever decodes must encode back to exactly the
 * input's prefix, with only zero bytes after it (one encoding per
 * message), and its argument and body parsers and the signature check
 * (under a fixed key) must run without fault. Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_common.h"
#include "mixclaves/ctrl.h"

static uint8_t sign_pk[CTRL_PK_BYTES], sign_sk[CTRL_SK_BYTES];

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  uint8_t seed[32] = {1};
  if (sodium_init() < 0 || crypto_sign_seed_keypair(sign_pk, sign_sk, seed) != 0) abort();
  return 0;
}

/* in[0, n) is out[0, len) and then zeros. */
static void canonical(const uint8_t *in, size_t n, const uint8_t *out, size_t len) {
  CHECK(len <= n && memcmp(in, out, len) == 0);
  for (size_t i = len; i < n; i++) CHECK(in[i] == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  size_t n = size - 1;
  uint8_t *in = malloc(n ? n : 1), out[CTRL_REQUEST_MAX + CTRL_REPLY_MAX];
  if (!in) abort();
  memcpy(in, data + 1, n); /* exact size: ASan sees reads past the end */
  size_t len;
  if (data[0] & 1) {
    struct ctrl_reply r;
    if (ctrl_reply_decode(in, n, &r) == 0) {
      CHECK(ctrl_reply_encode(&r, out, sizeof out, &len) == 0);
      canonical(in, n, out, len);
      struct ctrl_metrics m;
      CHECK(ctrl_metrics_parse(&r, &m) == 0 || r.command != CTRL_READ_METRICS ||
            r.body_len != CTRL_METRICS_COUNT * 8);
      CHECK(ctrl_reply_verify(&r, sign_pk) == 0 || ctrl_reply_verify(&r, sign_pk) == CM_EINVAL);
    }
  } else {
    struct ctrl_request r;
    if (ctrl_request_decode(in, n, &r) == 0) {
      CHECK(ctrl_request_encode(&r, out, sizeof out, &len) == 0);
      canonical(in, n, out, len);
      double rate;
      uint32_t version;
      uint8_t hash[CTRL_HASH_BYTES];
      if (r.command == CTRL_SET_COVER && ctrl_args_cover_parse(&r, &rate) == 0) CHECK(rate >= 0 && rate <= 1e6);
      if (r.command == CTRL_INSTALL_EPOCH) CHECK(ctrl_args_install_parse(&r, &version, hash) == 0);
      int v = ctrl_request_verify(&r, sign_pk);
      CHECK(v == 0 || v == CM_EINVAL);
      /* signing what decoded gives a request that verifies */
      CHECK(ctrl_request_sign(&r, sign_sk) == 0 && ctrl_request_verify(&r, sign_pk) == 0);
    }
  }
  free(in);
  return 0;
}
