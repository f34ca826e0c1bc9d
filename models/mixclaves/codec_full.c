/* The full codec: real Sphinx packets in the mixclaves profile
 * (sphinx.h, SPHINX.md) behind struct codec_ops, so the same node and
 * client code runs with real crypto. A codec hop maps to a sphinx hop: the
 * node id is the address (u32 big-endian, then 12 zero bytes), the delay
 * goes on the wire in whole microseconds (rounded to nearest), the type as
 * is. The final destination travels inside the encrypted payload as a
 * 4-byte address (0: none), and the message is always zero-padded to
 * payload_bytes, so the exit delivers exactly payload_bytes.
 *
 * Unwrap calls sphinx_packet_unwrap with no replay filter: the node checks
 * the tag itself, so both codecs share its replay path. Packets are stamped
 * with key epoch 0 (keys do not rotate yet: the control-plane issue); the
 * epoch field is still covered by the MAC. SURB replies are not carried by
 * this codec: a REPLY block is rejected as malformed. */
#include "mixclaves/codec.h"

#include <string.h>

#include "mixclaves/bytes.h"
#include "mixclaves/sphinx.h"

#define PROFILE (&sphinx_profile_mixclaves)
#define ID_BYTES 16 /* = sphinx_profile_mixclaves.id_bytes */
#define DEST_BYTES 4
#define PACKET 2415  /* sphinx_packet_bytes(mixclaves) */
#define PAYLOAD 2025 /* 2048 - 16 zero bytes - 1 dest length - 4 dest - 2 padding length */
#define HOPS 8       /* mixclaves max_hops */

_Static_assert(CODEC_KEY_BYTES == SPHINX_KEY_BYTES, "codec keys are X25519 keys");
_Static_assert(CODEC_TAG_BYTES == SPHINX_TAG_BYTES, "codec tags are sphinx tags");
_Static_assert((int)CODEC_ROUTE == SPHINX_TYPE_ROUTE && (int)CODEC_DROP == SPHINX_TYPE_DROP &&
                   (int)CODEC_LOOP == SPHINX_TYPE_LOOP,
               "codec types are sphinx types");

static void addr_id(cm_addr a, uint8_t id[ID_BYTES]) {
  memset(id, 0, ID_BYTES);
  mx_put_be32(id, a);
}

/* An id from the wire: 0 unless it is a valid address encoding. */
static cm_addr id_addr(const uint8_t *id, size_t len) {
  if (len != ID_BYTES) return 0;
  for (size_t i = 4; i < ID_BYTES; i++)
    if (id[i]) return 0;
  return mx_get_be32(id);
}

static bool type_ok(enum codec_type t) { return t == CODEC_ROUTE || t == CODEC_DROP || t == CODEC_LOOP; }

static int build(const struct codec_hop *path, size_t hops, cm_addr dest, const uint8_t *payload, size_t len,
                 codec_random_fn rnd, void *rnd_ctx, uint8_t *packet) {
  if (!path || !packet || !rnd || (!payload && len)) return CM_EINVAL;
  if (hops == 0) return CM_EINVAL;
  if (hops > HOPS || len > PAYLOAD) return CM_ERANGE;
  uint8_t ids[HOPS][ID_BYTES];
  struct sphinx_hop sp[HOPS];
  for (size_t i = 0; i < hops; i++) {
    const struct codec_hop *h = &path[i];
    if (h->addr == 0 || h->delay < 0 || !type_ok(h->type) || !h->pk) return CM_EINVAL;
    cm_time us = (h->delay + 500) / 1000;
    if (us > (cm_time)UINT32_MAX) return CM_ERANGE;
    addr_id(h->addr, ids[i]);
    sp[i] = (struct sphinx_hop){.id = ids[i], .pk = h->pk, .delay_us = (uint32_t)us, .type = (uint8_t)h->type};
  }
  uint8_t d[DEST_BYTES], msg[PAYLOAD];
  mx_put_be32(d, dest);
  memset(msg, 0, sizeof msg);
  if (len) memcpy(msg, payload, len);
  int rc = sphinx_packet_build(PROFILE, sp, hops, d, sizeof d, msg, sizeof msg, rnd, rnd_ctx, packet);
  return rc == CM_EPARSE ? CM_EINVAL : rc; /* a key sphinx_pk_check refuses: a bad hop */
}

static int unwrap(const struct codec_node *self, const uint8_t *in, size_t len, uint8_t *out,
                  struct codec_unwrapped *u) {
  if (!self || !self->sk || !in || !out || !u) return CM_EINVAL;
  if (len != PACKET) return CM_EINVAL;
  struct sphinx_unwrapped su;
  int rc = sphinx_packet_unwrap(PROFILE, self->sk, NULL, in, len, out, &su);
  if (rc == CM_EINVAL) return CM_EINVAL;
  if (rc != 0) return CM_EPARSE;
  memset(u, 0, sizeof *u);
  u->type = (enum codec_type)su.type;
  u->delay = (cm_time)su.delay_us * 1000;
  memcpy(u->tag, su.tag, CODEC_TAG_BYTES);
  if (!type_ok(u->type)) return CM_EPARSE;
  switch (su.action) {
  case SPHINX_FORWARD:
    u->next = id_addr(su.next_hop, su.next_hop_len);
    if (!u->next) return CM_EPARSE;
    break;
  case SPHINX_EXIT:
    if (su.dest_len != DEST_BYTES || su.message_len != PAYLOAD) return CM_EPARSE;
    u->final = true;
    u->dest = mx_get_be32(su.dest);
    u->payload = su.message;
    break;
  case SPHINX_REPLY: /* SURBs are not carried by the codec */
  default:
    return CM_EPARSE;
  }
  /* Only a packet that passed every check spends its tag, so a copy with
   * a corrupted payload does not make the genuine one look like a replay. */
  return self->replay && sphinx_replay_check_insert(self->replay, u->tag) ? CM_EEXIST : 0;
}

const struct codec_ops codec__full_ops = {
    .name = "full",
    .packet_bytes = PACKET,
    .payload_bytes = PAYLOAD,
    .max_hops = HOPS,
    .keyed = true,
    .build = build,
    .unwrap = unwrap,
};
