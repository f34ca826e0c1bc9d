/* The full codec: real Sphinx packets in the mixclaves profile
 * (sphinx.h, SPHINX.md) behind struct codec_ops, so the same node and
 * client code runs with real crypto. A codec hop maps to a sphinx hop: the
 * node id is the address (u32 big-endian, then 12 zero bytes), the delay
 * goes on the wire in whole microseconds (rounded to nearest), the type as
 * is. The final destination travels inside the encrypted payload as a
 * 4-byte address (0: none), and the message is always zero-padded to
 * payload_bytes, so the exit delivers exactly payload_bytes.
 *
 * Unwrap calls sphinx_packet_unwrap with no replay filter and checks the
 * tag itself once every other check has passed. Packets carry the key
 * epoch the sender was given in the MAC-covered header field. CTRL is
 * allowed at the last hop only. Reply blocks are Sphinx SURBs whose client
 * id is the creator's 4-byte address; at the block's last hop (REPLY) the
 * node delivers the SURB id followed by the 2048-byte sealed payload
 * (reply_bytes 2064). Wire forms of the opaque buffers:
 *   surb (415): first hop id 16 || header 367 || ktilde 32
 *   keys (305): SURB id 16 || ktilde 32 || hops 1 || hop secrets 8 x 32 */
#include "mixclaves/codec.h"

#include <string.h>

#include <sodium.h>

#include "mixclaves/bytes.h"
#include "mixclaves/sphinx.h"

#define PROFILE (&sphinx_profile_mixclaves)
#define ID_BYTES 16 /* = sphinx_profile_mixclaves.id_bytes */
#define DEST_BYTES 4
#define PACKET 2415  /* sphinx_packet_bytes(mixclaves) */
#define PAYLOAD 2025 /* 2048 - 16 zero bytes - 1 dest length - 4 dest - 2 padding length */
#define HOPS 8       /* mixclaves max_hops */
#define HEADER 367   /* sphinx_header_bytes(mixclaves) */
#define SEALED 2048  /* the LIONESS block */
#define SURB_BYTES (ID_BYTES + HEADER + 32)
#define KEYS_BYTES (SPHINX_SURB_ID_BYTES + 32 + 1 + HOPS * 32)
#define REPLY_BYTES (SPHINX_SURB_ID_BYTES + SEALED)

_Static_assert(CODEC_KEY_BYTES == SPHINX_KEY_BYTES, "codec keys are X25519 keys");
_Static_assert(CODEC_TAG_BYTES == SPHINX_TAG_BYTES, "codec tags are sphinx tags");
_Static_assert(CODEC_SURB_ID_BYTES == SPHINX_SURB_ID_BYTES, "a delivered reply starts with the SURB id");
_Static_assert(SURB_BYTES <= CODEC_SURB_MAX && KEYS_BYTES <= CODEC_SURB_KEYS_MAX, "codec bounds");
_Static_assert((int)CODEC_CTRL == SPHINX_TYPE_CTRL, "codec types are sphinx types");
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

static bool type_ok(enum codec_type t) {
  return t == CODEC_ROUTE || t == CODEC_DROP || t == CODEC_LOOP || t == CODEC_CTRL;
}

/* path -> sphinx hops (ids into ids); CTRL only at the last hop, and only
 * ROUTE in a reply block. */
static int map_path(const struct codec_hop *path, size_t hops, bool surb, uint8_t ids[HOPS][ID_BYTES],
                    struct sphinx_hop *sp) {
  if (!path || hops == 0) return CM_EINVAL;
  if (hops > HOPS) return CM_ERANGE;
  for (size_t i = 0; i < hops; i++) {
    const struct codec_hop *h = &path[i];
    if (h->addr == 0 || h->delay < 0 || !type_ok(h->type) || !h->pk) return CM_EINVAL;
    if ((h->type == CODEC_CTRL && i + 1 < hops) || (surb && h->type != CODEC_ROUTE)) return CM_EINVAL;
    cm_time us = (h->delay + 500) / 1000;
    if (us > (cm_time)UINT32_MAX) return CM_ERANGE;
    addr_id(h->addr, ids[i]);
    sp[i] = (struct sphinx_hop){.id = ids[i], .pk = h->pk, .delay_us = (uint32_t)us, .type = (uint8_t)h->type};
  }
  return 0;
}

static int build(const struct codec_hop *path, size_t hops, uint32_t epoch, cm_addr dest, const uint8_t *payload,
                 size_t len, codec_random_fn rnd, void *rnd_ctx, uint8_t *packet) {
  if (!path || !packet || !rnd || (!payload && len)) return CM_EINVAL;
  if (len > PAYLOAD) return CM_ERANGE;
  uint8_t ids[HOPS][ID_BYTES];
  struct sphinx_hop sp[HOPS];
  int rc = map_path(path, hops, false, ids, sp);
  if (rc != 0) return rc;
  uint8_t d[DEST_BYTES], msg[PAYLOAD];
  mx_put_be32(d, dest);
  memset(msg, 0, sizeof msg);
  if (len) memcpy(msg, payload, len);
  rc = sphinx_packet_build_epoch(PROFILE, epoch, sp, hops, d, sizeof d, msg, sizeof msg, rnd, rnd_ctx, packet);
  return rc == CM_EPARSE ? CM_EINVAL : rc; /* a public key refused by sphinx_pk_check: a bad hop */
}

static int peek(const uint8_t *in, size_t len, uint32_t *epoch) {
  if (!in || !epoch) return CM_EINVAL;
  if (len != PACKET) return CM_EINVAL;
  if (in[0] != PROFILE->version) return CM_EPARSE;
  return sphinx_packet_epoch(PROFILE, in, len, epoch);
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
  u->epoch = su.epoch;
  memcpy(u->tag, su.tag, CODEC_TAG_BYTES);
  if (!type_ok(u->type)) return CM_EPARSE;
  switch (su.action) {
  case SPHINX_FORWARD:
    if (u->type == CODEC_CTRL) return CM_EPARSE; /* CTRL names the last hop only */
    u->next = id_addr(su.next_hop, su.next_hop_len);
    if (!u->next) return CM_EPARSE;
    break;
  case SPHINX_EXIT:
    if (su.dest_len != DEST_BYTES || su.message_len != PAYLOAD) return CM_EPARSE;
    u->final = true;
    u->dest = mx_get_be32(su.dest);
    u->payload = su.message;
    break;
  case SPHINX_REPLY:
    if (su.dest_len != DEST_BYTES || u->type != CODEC_ROUTE || su.payload != out + HEADER) return CM_EPARSE;
    u->final = u->reply = true;
    u->dest = mx_get_be32(su.dest);
    /* the id goes just before the sealed payload (header bytes no one reads) */
    memcpy(out + HEADER - SPHINX_SURB_ID_BYTES, su.surb_id, SPHINX_SURB_ID_BYTES);
    u->payload = out + HEADER - SPHINX_SURB_ID_BYTES;
    break;
  default:
    return CM_EPARSE;
  }
  /* Only a packet that passed every check spends its tag, so a copy with
   * a corrupted payload does not make the genuine one look like a replay. */
  return self->replay && sphinx_replay_check_insert(self->replay, u->tag) ? CM_EEXIST : 0;
}

static int surb_create(const struct codec_hop *path, size_t hops, uint32_t epoch, cm_addr dest, codec_random_fn rnd,
                       void *rnd_ctx, uint8_t *surb, uint8_t *keys) {
  if (!surb || !keys || !rnd || dest == 0) return CM_EINVAL;
  uint8_t ids[HOPS][ID_BYTES], d[DEST_BYTES];
  struct sphinx_hop sp[HOPS];
  int rc = map_path(path, hops, true, ids, sp);
  if (rc != 0) return rc;
  mx_put_be32(d, dest);
  struct sphinx_surb s;
  struct sphinx_surb_keys k;
  rc = sphinx_surb_create_epoch(PROFILE, epoch, sp, hops, d, sizeof d, rnd, rnd_ctx, &s, &k);
  if (rc == 0) {
    memcpy(surb, s.first_hop, ID_BYTES);
    memcpy(surb + ID_BYTES, s.header, HEADER);
    memcpy(surb + ID_BYTES + HEADER, s.ktilde, 32);
    memset(keys, 0, KEYS_BYTES);
    memcpy(keys, k.surb_id, SPHINX_SURB_ID_BYTES);
    memcpy(keys + SPHINX_SURB_ID_BYTES, k.ktilde, 32);
    keys[SPHINX_SURB_ID_BYTES + 32] = (uint8_t)k.hops;
    memcpy(keys + SPHINX_SURB_ID_BYTES + 33, k.secrets, k.hops * 32);
  }
  sodium_memzero(&s, sizeof s);
  sodium_memzero(&k, sizeof k);
  return rc == CM_EPARSE ? CM_EINVAL : rc;
}

static int surb_reply(const uint8_t *surb, const uint8_t *msg, size_t len, uint8_t *packet, cm_addr *first) {
  if (!surb || (!msg && len) || !packet || !first) return CM_EINVAL;
  if (len > CODEC_REPLY_MSG_MAX) return CM_ERANGE;
  cm_addr a = id_addr(surb, ID_BYTES);
  if (!a || surb[ID_BYTES] != PROFILE->version) return CM_EPARSE;
  struct sphinx_surb s;
  memcpy(s.first_hop, surb, ID_BYTES);
  memcpy(s.header, surb + ID_BYTES, HEADER);
  memcpy(s.ktilde, surb + ID_BYTES + HEADER, 32);
  int rc = sphinx_surb_reply(PROFILE, &s, msg, len, packet);
  sodium_memzero(&s, sizeof s);
  if (rc == 0) *first = a;
  return rc;
}

static int surb_open(const uint8_t *keys, const uint8_t *in, size_t len, uint8_t *msg, size_t *msg_len) {
  if (!keys || !in || !msg || !msg_len || len != REPLY_BYTES) return CM_EINVAL;
  if (sodium_memcmp(keys, in, SPHINX_SURB_ID_BYTES) != 0) return CM_ENOENT;
  struct sphinx_surb_keys k;
  memcpy(k.surb_id, keys, SPHINX_SURB_ID_BYTES);
  memcpy(k.ktilde, keys + SPHINX_SURB_ID_BYTES, 32);
  k.hops = keys[SPHINX_SURB_ID_BYTES + 32];
  if (k.hops < 1 || k.hops > HOPS) return CM_EINVAL;
  memcpy(k.secrets, keys + SPHINX_SURB_ID_BYTES + 33, k.hops * 32);
  uint8_t sealed[SEALED];
  memcpy(sealed, in + SPHINX_SURB_ID_BYTES, SEALED);
  const uint8_t *m;
  size_t ml;
  int rc = sphinx_surb_decrypt(PROFILE, &k, sealed, &m, &ml);
  if (rc == 0 && ml > CODEC_REPLY_MSG_MAX) rc = CM_EPARSE;
  if (rc == 0) {
    memcpy(msg, m, ml);
    *msg_len = ml;
  } else if (rc != CM_EINVAL) {
    rc = CM_EPARSE;
  }
  sodium_memzero(&k, sizeof k);
  sodium_memzero(sealed, sizeof sealed);
  return rc;
}

const struct codec_ops codec__full_ops = {
    .name = "full",
    .packet_bytes = PACKET,
    .payload_bytes = PAYLOAD,
    .max_hops = HOPS,
    .keyed = true,
    .build = build,
    .peek = peek,
    .unwrap = unwrap,
    .surb_bytes = SURB_BYTES,
    .surb_keys_bytes = KEYS_BYTES,
    .reply_bytes = REPLY_BYTES,
    .surb_create = surb_create,
    .surb_reply = surb_reply,
    .surb_open = surb_open,
};
