/* The fuzz targets' shared pieces (fuzz_common.h): fixed keys, the sender
 * forgeries for Sphinx and the abstract codec, and fuzz_node's sim world. */
#include "fuzz_common.h"

#include <string.h>

#include <sodium.h>

#include "env_sim.h"
#include "mixclaves/sphinx_impl.h"
#include "mixclaves/sum128.h"

void fz_fixed_keys(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES]) {
  uint8_t seed[SPHINX_KEY_BYTES];
  for (int i = 0; i < SPHINX_KEY_BYTES; i++) seed[i] = (uint8_t)(0x40 + 3 * i);
  if (sphinx_keypair_from_seed(pk, sk, seed) != 0) __builtin_trap();
}

void fz_sphinx_forge(const struct sphinx_profile *p, const uint8_t sk[SPHINX_KEY_BYTES], uint8_t *pkt) {
  const size_t alpha = 1 + p->epoch_bytes, gamma = alpha + SPHINX_KEY_BYTES, beta = gamma + p->mac_bytes;
  const size_t beta_len = sphinx_beta_bytes(p), hb = sphinx_header_bytes(p);
  uint8_t s[32], stream[SPHINX_BETA_MAX], mkey[64], mac[64], bkey[LIONESS_KEY_BYTES];
  if (crypto_scalarmult_curve25519(s, sk, pkt + alpha) != 0) return;
  sphinx__stream(p, s, stream, beta_len);
  for (size_t i = 0; i < beta_len; i++) pkt[beta + i] ^= stream[i];
  /* the MAC input (SPHINX.md): beta, or version || epoch || alpha || beta */
  sphinx__mac_key(p, s, mkey);
  if (p->mac_covers_alpha)
    sphinx__mac2(p, mkey, pkt, gamma, pkt + beta, beta_len, mac);
  else
    sphinx__mac2(p, mkey, NULL, 0, pkt + beta, beta_len, mac);
  memcpy(pkt + gamma, mac, p->mac_bytes);
  sphinx__block_key(p, s, bkey);
  if (lioness_encrypt(pkt + hb, p->payload_bytes, bkey) != 0) __builtin_trap();
}

/* Offsets of the abstract layout used here. */
enum { ABS_PLEN = 6, ABS_PDIG = 268, ABS_SUM = 284, ABS_PAYLOAD = 300, ABS_PAYLOAD_BYTES = 2048 };

void fz_abstract_forge(uint8_t *pkt) {
  size_t plen = (size_t)pkt[ABS_PLEN] << 8 | pkt[ABS_PLEN + 1];
  if (plen > ABS_PAYLOAD_BYTES) plen = ABS_PAYLOAD_BYTES; /* rejected anyway: a digest of what is there */
  sum128(pkt + ABS_PAYLOAD, plen, pkt + ABS_PDIG);
  sum128(pkt, ABS_SUM, pkt + ABS_SUM);
}

static cm_time service_30us(void *arg, size_t len) {
  (void)arg;
  (void)len;
  return CM_US(30);
}

int fz_world_new(struct fz_world *w) {
  memset(w, 0, sizeof *w);
  w->e = env_sim_new(7);
  if (!w->e) return -1;
  struct link_model m = {.latency = CM_MS(1)};
  if (env_sim_set_link(w->e, 0, 0, &m) != 0) goto fail;
  const cm_addr peers[2] = {FZ_NODE_FULL, FZ_NODE_ABS};
  struct node_params pf = {.id = 1, .addr = FZ_NODE_FULL, .codec = &codec__full_ops, .buffer = BUFFER_OBLIVIOUS,
                           .buffer_capacity = FZ_NODE_BUFFER, .queue_max = FZ_NODE_QUEUE, .replay_capacity = 64,
                           .service_time = service_30us};
  struct node_params pa = {.id = 2, .addr = FZ_NODE_ABS, .codec = codec_abstract(), .buffer = BUFFER_RANDOM,
                           .buffer_capacity = FZ_NODE_BUFFER, .replay_capacity = 64};
  w->full = node_new(w->e, &pf, peers, 2);
  w->abs = node_new(w->e, &pa, peers, 2);
  if (!w->full || !w->abs) goto fail;
  return 0;
fail:
  fz_world_free(w);
  return -1;
}

void fz_world_free(struct fz_world *w) {
  node_free(w->full);
  node_free(w->abs);
  if (w->e) env_free(w->e);
  memset(w, 0, sizeof *w);
}

static volatile uint8_t sink;

void fz_touch(const uint8_t *p, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc ^= p[i];
  sink ^= acc;
}
