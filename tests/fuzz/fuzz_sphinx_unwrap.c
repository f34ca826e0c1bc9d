/* libFuzzer target: sphinx_packet_unwrap in both profiles at a node with a
 * fixed key and a small replay filter. Input byte 0 picks the profile (and
 * whether the rest is first forged by a malicious sender, fuzz_common.h);
 * the rest is the datagram. Never a crash, leak or out-of-bounds access;
 * every accepted packet has sane outputs, is refused as a replay the second
 * time, and is followed hop by hop while it stays at this node. Build and
 * run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_common.h"
#include "mixclaves/bytes.h"

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

/* What an accepted unwrap of in (by p, into out) must satisfy. */
static void check_accepted(const struct sphinx_profile *p, const uint8_t *in, const uint8_t *out,
                           const struct sphinx_unwrapped *u) {
  const size_t hb = sphinx_header_bytes(p), len = sphinx_packet_bytes(p);
  CHECK(u->type == SPHINX_TYPE_ROUTE || u->type == SPHINX_TYPE_DROP || u->type == SPHINX_TYPE_LOOP ||
        u->type == SPHINX_TYPE_CTRL);
  CHECK(u->epoch == (p->epoch_bytes ? mx_get_be32(in + 1) : 0));
  if (p->routing == SPHINX_ROUTING_SMC) CHECK(u->type == SPHINX_TYPE_ROUTE && u->delay_us == 0);
  switch (u->action) {
  case SPHINX_FORWARD:
    CHECK(u->next_hop_len == p->id_bytes && u->next_hop_len <= SPHINX_ID_MAX);
    if (p->routing == SPHINX_ROUTING_SMC) CHECK(u->next_hop[0] == 0xff);
    CHECK(memcmp(out, in, 1 + p->epoch_bytes) == 0);  /* version and epoch carried over */
    CHECK(!(out[1 + p->epoch_bytes + 31] & 0x80));    /* an X25519 output: canonical */
    fz_touch(out, len);
    break;
  case SPHINX_EXIT:
    CHECK(u->dest_len >= 1 && u->dest_len <= SPHINX_DEST_MAX);
    CHECK(u->message >= out + hb && u->message <= out + len);
    CHECK(u->message_len <= (size_t)(out + len - u->message));
    fz_touch(u->message, u->message_len);
    break;
  case SPHINX_REPLY:
    CHECK(u->dest_len >= 1 && u->dest_len <= SPHINX_DEST_MAX);
    CHECK(u->payload == out + hb);
    fz_touch(u->payload, p->payload_bytes);
    break;
  default:
    CHECK(0);
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  const struct sphinx_profile *p = data[0] & FZ_SEL_ALT ? &sphinx_profile_smc_compat : &sphinx_profile_mixclaves;
  const size_t plen = sphinx_packet_bytes(p), n = size - 1;
  /* exact-size copies, so that ASan sees any access past either end */
  uint8_t *in = malloc(n ? n : 1), *out = malloc(plen), *next = malloc(plen);
  if (!in || !out || !next) abort();
  memcpy(in, data + 1, n);
  if ((data[0] & FZ_SEL_FORGE) && n == plen) fz_sphinx_forge(p, sk, in);
  sphinx_replay_reset(filter);
  struct sphinx_unwrapped u;
  int rc = sphinx_packet_unwrap(p, sk, filter, in, n, out, &u);
  CHECK(rc == 0 || rc == CM_EINVAL || rc == CM_EPARSE);
  CHECK((rc == CM_EINVAL) == (n != plen));
  if (rc == 0) {
    check_accepted(p, in, out, &u);
    struct sphinx_unwrapped again;
    CHECK(sphinx_packet_unwrap(p, sk, filter, in, n, next, &again) == CM_EEXIST);
    /* follow the packet while it stays here (corpus packets use sk at every hop) */
    for (uint32_t hop = 1; u.action == SPHINX_FORWARD && hop <= p->max_hops; hop++) {
      memcpy(next, out, plen);
      uint8_t tag[SPHINX_TAG_BYTES];
      memcpy(tag, u.tag, sizeof tag);
      if (sphinx_packet_unwrap(p, sk, filter, next, plen, out, &u) != 0) break;
      CHECK(memcmp(tag, u.tag, sizeof tag) != 0); /* a new tag at every hop */
      check_accepted(p, next, out, &u);
    }
  }
  free(in);
  free(out);
  free(next);
  return 0;
}
