/* libFuzzer target: the codecs' unwrap, `abstract` and `full`, at a node
 * with a fixed address and key and a small replay filter. Input byte 0
 * picks the codec (and whether the rest is first forged by a malicious
 * sender, fuzz_common.h); the rest is the datagram. Never a crash, leak or
 * out-of-bounds access; every accepted packet has sane outputs, is refused
 * as a replay the second time, and is followed along its remaining hops
 * (the abstract codec at each next address, the full codec while the next
 * hop shares the fixed key). Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_common.h"

static uint8_t pk[SPHINX_KEY_BYTES], sk[SPHINX_KEY_BYTES];
static sphinx_replay *filter;

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0) abort();
  fz_fixed_keys(pk, sk);
  filter = sphinx_replay_new(4096, 1e-4);
  if (!filter) abort();
  return 0;
}

/* What an accepted unwrap into out must satisfy. */
static void check_accepted(const struct codec_ops *c, const uint8_t *out, const struct codec_unwrapped *u) {
  CHECK(u->type == CODEC_ROUTE || u->type == CODEC_DROP || u->type == CODEC_LOOP || u->type == CODEC_CTRL);
  CHECK(u->delay >= 0);
  CHECK(u->final || u->type != CODEC_CTRL); /* CTRL names the last hop only */
  CHECK(!u->reply || (u->final && u->type == CODEC_ROUTE));
  if (u->final) {
    size_t len = u->reply ? c->reply_bytes : c->payload_bytes;
    CHECK(u->payload >= out && u->payload + len <= out + c->packet_bytes);
    fz_touch(u->payload, len);
  } else {
    if (c->keyed) CHECK(u->next != 0); /* the full codec refuses ids that are no address */
    fz_touch(out, c->packet_bytes);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const struct codec_ops *c = data[0] & FZ_SEL_ALT ? &codec__full_ops : codec_abstract();
  const size_t plen = c->packet_bytes, n = size - 1;
  uint8_t *in = malloc(n ? n : 1), *out = malloc(plen), *next = malloc(plen);
  if (!in || !out || !next) abort();
  memcpy(in, data + 1, n);
  if ((data[0] & FZ_SEL_FORGE) && n == plen) {
    if (c->keyed)
      fz_sphinx_forge(&sphinx_profile_mixclaves, sk, in);
    else
      fz_abstract_forge(in);
  }
  sphinx_replay_reset(filter);
  struct codec_node self = {.addr = FZ_CODEC_ADDR, .sk = sk, .replay = filter};
  struct codec_unwrapped u;
  int rc = c->unwrap(&self, in, n, out, &u);
  CHECK(rc == 0 || rc == CM_EINVAL || rc == CM_EPARSE);
  CHECK((rc == CM_EINVAL) == (n != plen));
  if (rc == 0) {
    check_accepted(c, out, &u);
    struct codec_unwrapped again;
    CHECK(c->unwrap(&self, in, n, next, &again) == CM_EEXIST);
    for (uint32_t hop = 1; !u.final && hop <= c->max_hops; hop++) {
      memcpy(next, out, plen);
      self.addr = u.next;
      if (c->unwrap(&self, next, plen, out, &u) != 0) break;
      check_accepted(c, out, &u);
    }
  }
  free(in);
  free(out);
  free(next);
  return 0;
}
