/* Sphinx packets: the mixclaves and smc-compat profiles, header
 * construction (filler, nested routing blocks and MACs, built from the last
 * hop back), packet creation, unwrapping at a node, and single-use reply
 * blocks. The profiles differ only in data (sizes, prefixes, which fields
 * the MAC covers) and in the layout of a routing block (routing_*). Wire
 * formats and sources in SPHINX.md; primitives in sphinx_crypto.c. */
#include "mixclaves/sphinx_impl.h"

#include <sodium.h>
#include <string.h>

#include "mixclaves/bytes.h"
#include "mixclaves/ct.h"

const struct sphinx_profile sphinx_profile_smc_compat = {
    .name = "smc-compat",
    .routing = SPHINX_ROUTING_SMC,
    .version = 0x01,
    .epoch_bytes = 0,
    .max_hops = 5,
    .id_bytes = 16,
    .mac_bytes = 16,
    .hop_bytes = 32,   /* next id (16) || MAC (16) */
    .final_bytes = 48, /* dest encoding (<=16) || message id (16) || padding */
    .payload_bytes = 1024,
    .mac_covers_alpha = false,
    .kdf_domain = NULL,
    .prefix_blind = 0x11,
    .prefix_stream = 0x22,
    .prefix_mac = 0x33,
    .prefix_block = 0x44, /* defined by the format, unused: see SPHINX.md */
    .prefix_replay = 0x55,
    .block_key_from_stream = true,
};

const struct sphinx_profile sphinx_profile_mixclaves = {
    .name = "mixclaves",
    .routing = SPHINX_ROUTING_MIXCLAVES,
    .version = 0x02,
    .epoch_bytes = 4,
    .max_hops = 8,
    .id_bytes = 16,
    .mac_bytes = 16,
    .hop_bytes = 38,   /* command (1) || type (1) || delay (4) || next id (16) || MAC (16) */
    .final_bytes = 48, /* command || type || delay || [len || client id || SURB id] || padding */
    .payload_bytes = 2048,
    .mac_covers_alpha = true,
    .kdf_domain = "cloudmix-sphinx2", /* BLAKE2b personalisation, 16 bytes */
    .prefix_blind = 0x01,
    .prefix_stream = 0x02,
    .prefix_mac = 0x03,
    .prefix_block = 0x04,
    .prefix_replay = 0x05,
    .block_key_from_stream = false,
};

enum { ZERO_PREFIX = 16, MSGID = SPHINX_SURB_ID_BYTES, PAD_LEN_BYTES = 2 };
/* mixclaves routing: commands, and the info that starts every block. */
enum { CMD_FORWARD = 0x01, CMD_EXIT = 0x02, CMD_REPLY = 0x03, INFO = 6 };

size_t sphinx_beta_bytes(const struct sphinx_profile *p) {
  return (size_t)(p->max_hops - 1) * p->hop_bytes + p->final_bytes;
}
size_t sphinx_header_bytes(const struct sphinx_profile *p) {
  return 1 + p->epoch_bytes + SPHINX_KEY_BYTES + p->mac_bytes + sphinx_beta_bytes(p);
}
size_t sphinx_packet_bytes(const struct sphinx_profile *p) {
  return sphinx_header_bytes(p) + p->payload_bytes;
}

/* Bytes of a hop block before the next id: none in smc-compat (the id's
 * 0xff first byte says "more hops"), command || type || delay in mixclaves. */
static size_t info_bytes(const struct sphinx_profile *p) {
  return p->routing == SPHINX_ROUTING_MIXCLAVES ? INFO : 0;
}

static bool profile_ok(const struct sphinx_profile *p) {
  if (!p || (p->routing != SPHINX_ROUTING_SMC && p->routing != SPHINX_ROUTING_MIXCLAVES))
    return false;
  const size_t fixed = p->routing == SPHINX_ROUTING_SMC ? 1 + MSGID : INFO + 1 + 1 + MSGID;
  return p->max_hops >= 1 && p->max_hops <= SPHINX_HOPS_MAX && p->id_bytes >= 1 &&
         p->id_bytes <= SPHINX_ID_MAX && p->mac_bytes >= 16 && p->mac_bytes <= 64 &&
         (p->epoch_bytes == 0 || p->epoch_bytes == 4) &&
         p->hop_bytes == info_bytes(p) + p->id_bytes + p->mac_bytes && p->final_bytes >= fixed &&
         sphinx_beta_bytes(p) + p->hop_bytes <= SPHINX_BETA_MAX + 64 &&
         sphinx_beta_bytes(p) <= SPHINX_BETA_MAX && p->payload_bytes > LIONESS_MIN_BLOCK_BYTES &&
         p->payload_bytes <= 0xffff;
}

/* Offsets in a header. */
static size_t off_alpha(const struct sphinx_profile *p) { return 1 + p->epoch_bytes; }
static size_t off_gamma(const struct sphinx_profile *p) { return off_alpha(p) + SPHINX_KEY_BYTES; }
static size_t off_beta(const struct sphinx_profile *p) { return off_gamma(p) + p->mac_bytes; }

/* The type a hop is sent: 0 stands for ROUTE. CTRL (the control plane,
 * ctrl.h) is carried like any other type: only the hop it names learns it. */
static uint8_t hop_type(const struct sphinx_hop *h) { return h->type ? h->type : SPHINX_TYPE_ROUTE; }
static bool type_ok(uint8_t t) {
  return t == SPHINX_TYPE_ROUTE || t == SPHINX_TYPE_DROP || t == SPHINX_TYPE_LOOP || t == SPHINX_TYPE_CTRL;
}

/* mixclaves: command || type || delay, the start of every routing block. */
static void put_info(uint8_t *b, uint8_t cmd, const struct sphinx_hop *h) {
  b[0] = cmd;
  b[1] = hop_type(h);
  mx_put_be32(b + 2, h->delay_us);
}

int sphinx_keypair_from_seed(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES],
                             const uint8_t seed[SPHINX_KEY_BYTES]) {
  if (!pk || !sk || !seed) return CM_EINVAL;
  memmove(sk, seed, SPHINX_KEY_BYTES);
  sphinx__clamp(sk);
  return crypto_scalarmult_curve25519_base(pk, sk) ? CM_EPARSE : 0;
}

int sphinx_keypair_new(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES]) {
  if (!pk || !sk) return CM_EINVAL;
  uint8_t seed[SPHINX_KEY_BYTES];
  randombytes_buf(seed, sizeof seed); /* the OS CSPRNG (getrandom) */
  int rc = sphinx_keypair_from_seed(pk, sk, seed);
  sodium_memzero(seed, sizeof seed);
  return rc;
}

/* The MAC input: beta, or version || epoch || alpha || beta (the header
 * without gamma). */
static void header_mac(const struct sphinx_profile *p, const uint8_t s[32], const uint8_t *hdr,
                       uint8_t *mac) {
  uint8_t key[64];
  sphinx__mac_key(p, s, key);
  if (p->mac_covers_alpha)
    sphinx__mac2(p, key, hdr, off_gamma(p), hdr + off_beta(p), sphinx_beta_bytes(p), mac);
  else
    sphinx__mac2(p, key, NULL, 0, hdr + off_beta(p), sphinx_beta_bytes(p), mac);
  sodium_memzero(key, sizeof key);
}

/* Per-hop group elements with 2 fixed-base multiplications per hop: c is
 * the running product x * b_0 * ... * b_{i-1} mod L; alpha_i = [c]G from
 * this thread's table for the base point, s_i = [c]P_i from its table for
 * P_i (every key passed sphinx_pk_check, so P_i has order L and
 * [c]P_i is what the references' chained X25519 computes). b_i hashes
 * alpha_i, so the hops run in order and each pays its own field
 * inversions (no batching). No ladder and no branch on c: the one
 * data-dependent exit is the declassified identity verdict, c = 0 mod L
 * (probability about 2^-252 per hop), which fails with CM_ERANGE. */
int sphinx__hop_secrets(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t r,
                        const uint8_t x[32], uint8_t alphas[][32], uint8_t s[][32]) {
  uint8_t c[32], f[32], fr[32];
  int rc = 0;
  sphinx__scalar_reduce(x, c);
  for (size_t i = 0; i < r && rc == 0; i++) {
    rc = sphinx__mul_base(alphas[i], c);
    if (rc == 0) rc = sphinx__mul_key(s[i], c, path[i].pk);
    if (rc == 0) {
      sphinx__blind(p, alphas[i], s[i], f);
      sphinx__scalar_reduce(f, fr);
      crypto_core_ed25519_scalar_mul(c, c, fr);
    }
  }
  sodium_memzero(c, sizeof c);
  sodium_memzero(f, sizeof f);
  sodium_memzero(fr, sizeof fr);
  return rc;
}

/* Arguments every profile checks the same way for a path. */
static bool path_ok(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t r) {
  if (!path || r < 1 || r > p->max_hops) return false;
  for (size_t i = 0; i < r; i++) {
    if (!path[i].id || !path[i].pk) return false;
    if (p->routing == SPHINX_ROUTING_SMC &&
        (path[i].id[0] != 0xff || path[i].delay_us || hop_type(&path[i]) != SPHINX_TYPE_ROUTE))
      return false;
    if (!type_ok(hop_type(&path[i]))) return false;
  }
  return true;
}

/* Every hop key must pass sphinx_pk_check; run before any randomness is
 * drawn, so a bad key costs the caller nothing secret. */
static int path_keys_check(const struct sphinx_hop *path, size_t r) {
  for (size_t i = 0; i < r; i++)
    if (sphinx_pk_check(path[i].pk) != 0) return CM_EPARSE;
  return 0;
}

/* Build a header at epoch for path[0..r) whose last routing block starts
 * with last[0..last_len). Draws 32 bytes (secret) then the padding. */
static int header_build(const struct sphinx_profile *p, uint32_t epoch,
                        const struct sphinx_hop *path, size_t r, const uint8_t *last,
                        size_t last_len, sphinx_random_fn rnd, void *ctx, uint8_t *hdr,
                        uint8_t s[][32]) {
  const size_t R = p->max_hops, H = p->hop_bytes, BETA = sphinx_beta_bytes(p);
  const size_t SL = BETA + H; /* stream length */
  const size_t final_len = (R - r) * H + p->final_bytes, I = info_bytes(p);
  uint8_t x[32], alphas[SPHINX_HOPS_MAX][32], stream[SPHINX_HOPS_MAX][SPHINX_BETA_MAX + 64];
  uint8_t filler[SPHINX_BETA_MAX], beta[SPHINX_BETA_MAX], nb[SPHINX_BETA_MAX], gamma[64];
  int rc;
  if (last_len > final_len) return CM_ERANGE;
  rnd(ctx, x, 32);
  sphinx__clamp(x);
  memcpy(beta, last, last_len);
  rnd(ctx, beta + last_len, final_len - last_len);
  rc = sphinx__hop_secrets(p, path, r, x, alphas, s);
  sodium_memzero(x, sizeof x);
  if (rc) return rc;
  /* each hop's stream once: the filler and its routing block both use it */
  for (size_t i = 0; i < r; i++) sphinx__stream(p, s[i], stream[i], SL);
  /* filler: after hop i-1 strips its block, H more bytes of its stream
   * enter at the end of beta; the sender precomputes them. */
  memset(filler, 0, sizeof filler);
  for (size_t i = 1; i < r; i++)
    for (size_t j = 0; j < i * H; j++) filler[j] ^= stream[i - 1][SL - i * H + j];
  for (size_t j = 0; j < final_len; j++) beta[j] ^= stream[r - 1][j];
  memcpy(beta + final_len, filler, (r - 1) * H);
  hdr[0] = p->version;
  if (p->epoch_bytes) mx_put_be32(hdr + 1, epoch);
  memcpy(hdr + off_alpha(p), alphas[r - 1], 32);
  memcpy(hdr + off_beta(p), beta, BETA);
  header_mac(p, s[r - 1], hdr, gamma);
  for (size_t i = r - 1; i-- > 0;) {
    if (I) put_info(nb, CMD_FORWARD, &path[i]);
    memcpy(nb + I, path[i + 1].id, p->id_bytes);
    memcpy(nb + I + p->id_bytes, gamma, p->mac_bytes);
    memcpy(nb + H, beta, BETA - H);
    for (size_t j = 0; j < BETA; j++) beta[j] = nb[j] ^ stream[i][j];
    memcpy(hdr + off_alpha(p), alphas[i], 32); /* the MAC may cover alpha */
    memcpy(hdr + off_beta(p), beta, BETA);
    header_mac(p, s[i], hdr, gamma);
  }
  memcpy(hdr + off_gamma(p), gamma, p->mac_bytes);
  sodium_memzero(stream, r * sizeof stream[0]);
  sodium_memzero(nb, sizeof nb);
  return 0;
}

/* src || zeros || LE16(pad) to fill n bytes; pad counts itself. */
static int pad_into(uint8_t *dst, size_t n, const uint8_t *src, size_t len) {
  if (len + PAD_LEN_BYTES > n || n - len > 0xffff) return CM_ERANGE;
  size_t pad = n - len;
  memmove(dst, src, len);
  memset(dst + len, 0, pad);
  dst[n - 2] = (uint8_t)(pad & 0xff);
  dst[n - 1] = (uint8_t)(pad >> 8);
  return 0;
}

static int unpad(const uint8_t *src, size_t n, size_t *len) {
  if (n < PAD_LEN_BYTES) return CM_EPARSE;
  size_t pad = (size_t)src[n - 2] | (size_t)src[n - 1] << 8;
  if (pad < PAD_LEN_BYTES || pad > n) return CM_EPARSE;
  *len = n - pad;
  return 0;
}

static bool all_zero(const uint8_t *b, size_t n) {
  uint8_t acc = 0;
  for (size_t i = 0; i < n; i++) acc |= b[i];
  return acc == 0;
}

int sphinx_packet_build_epoch(const struct sphinx_profile *p, uint32_t epoch,
                              const struct sphinx_hop *path, size_t hops, const uint8_t *dest,
                              size_t dest_len, const uint8_t *msg, size_t msg_len,
                              sphinx_random_fn rnd, void *rnd_ctx, uint8_t *packet) {
  if (!profile_ok(p) || !path_ok(p, path, hops) || (epoch && !p->epoch_bytes) || !dest ||
      dest_len < 1 || dest_len > SPHINX_DEST_MAX || (!msg && msg_len) || !rnd || !packet)
    return CM_EINVAL;
  const size_t P = p->payload_bytes, HB = sphinx_header_bytes(p);
  if (path_keys_check(path, hops) != 0) return CM_EPARSE;
  if (ZERO_PREFIX + 1 + dest_len + msg_len + PAD_LEN_BYTES > P) return CM_ERANGE;
  /* last block: smc exit marker 0x00 and a zero message id; mixclaves
   * EXIT || type || delay */
  uint8_t last[1 + MSGID] = {0};
  size_t last_len = sizeof last;
  uint8_t s[SPHINX_HOPS_MAX][32], key[LIONESS_KEY_BYTES];
  uint8_t *delta = packet + HB;
  if (p->routing == SPHINX_ROUTING_MIXCLAVES) {
    put_info(last, CMD_EXIT, &path[hops - 1]);
    last_len = INFO;
  }
  int rc = header_build(p, epoch, path, hops, last, last_len, rnd, rnd_ctx, packet, s);
  if (rc) goto out;
  /* payload: 0^16 || len(dest) || dest || msg || padding */
  memset(delta, 0, ZERO_PREFIX);
  delta[ZERO_PREFIX] = (uint8_t)dest_len;
  memcpy(delta + ZERO_PREFIX + 1, dest, dest_len);
  if (msg_len) memcpy(delta + ZERO_PREFIX + 1 + dest_len, msg, msg_len);
  rc = pad_into(delta, P, delta, ZERO_PREFIX + 1 + dest_len + msg_len);
  for (size_t i = hops; rc == 0 && i-- > 0;) {
    sphinx__block_key(p, s[i], key);
    rc = lioness_encrypt(delta, P, key);
  }
out:
  sodium_memzero(s, sizeof s);
  sodium_memzero(key, sizeof key);
  return rc;
}

int sphinx_packet_build(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t hops,
                        const uint8_t *dest, size_t dest_len, const uint8_t *msg, size_t msg_len,
                        sphinx_random_fn rnd, void *rnd_ctx, uint8_t *packet) {
  return sphinx_packet_build_epoch(p, 0, path, hops, dest, dest_len, msg, msg_len, rnd, rnd_ctx,
                                   packet);
}

int sphinx_packet_epoch(const struct sphinx_profile *p, const uint8_t *in, size_t in_len,
                        uint32_t *epoch) {
  if (!profile_ok(p) || !in || !epoch || in_len != sphinx_packet_bytes(p)) return CM_EINVAL;
  *epoch = p->epoch_bytes ? mx_get_be32(in + 1) : 0;
  return 0;
}

/* The last block B of an exit or reply: fills u (but the payload checks)
 * from B. Returns the action, or 0 when B is malformed. */
static enum sphinx_action route_final(const struct sphinx_profile *p, const uint8_t *b,
                                      size_t beta_len, struct sphinx_unwrapped *u) {
  size_t at = 0;
  uint8_t cmd = b[0];
  if (p->routing == SPHINX_ROUTING_MIXCLAVES) {
    if (cmd != CMD_EXIT && cmd != CMD_REPLY) return 0;
    at = INFO;
  } else if (cmd == 0x00) {
    cmd = CMD_EXIT;
  } else if (cmd < 0x80) {
    cmd = CMD_REPLY;
    at = 0; /* the length byte is the marker */
  } else {
    return 0;
  }
  if (cmd == CMD_EXIT) return SPHINX_EXIT;
  size_t n = b[at];
  if (n < 1 || n > SPHINX_DEST_MAX || at + 1 + n + MSGID > beta_len) return 0;
  memcpy(u->dest, b + at + 1, n);
  u->dest_len = n;
  memcpy(u->surb_id, b + at + 1 + n, MSGID);
  return SPHINX_REPLY;
}

int sphinx_packet_unwrap(const struct sphinx_profile *p, const uint8_t sk[SPHINX_KEY_BYTES],
                         sphinx_replay *filter, const uint8_t *in, size_t in_len, uint8_t *out,
                         struct sphinx_unwrapped *u) {
  if (!profile_ok(p) || !sk || !in || !out || !u) return CM_EINVAL;
  const size_t H = p->hop_bytes, BETA = sphinx_beta_bytes(p), SL = BETA + H, I = info_bytes(p);
  const size_t HB = sphinx_header_bytes(p), P = p->payload_bytes;
  if (in_len != sphinx_packet_bytes(p)) return CM_EINVAL;
  /* X25519 ignores the top bit of a u-coordinate and reduces mod p, so two
   * encodings give one shared secret; accepting only the canonical one
   * (what every X25519 implementation outputs) makes every alpha bit count. */
  if (in[0] != p->version || !sphinx__u_canonical(in + off_alpha(p))) return CM_EPARSE;
  uint8_t s[32], mac[64], b[SPHINX_BETA_MAX + 64], key[LIONESS_KEY_BYTES];
  int rc = 0;
  memset(u, 0, sizeof *u);
  /* Public by design (declassified for make check-ct): X25519's "the
   * result is all zero" bit. sk is clamped (a multiple of 8 below every
   * group order), so the bit depends on alpha alone, which is public. */
  int zero = crypto_scalarmult_curve25519(s, sk, in + off_alpha(p));
  ct_declassify(&zero, sizeof zero);
  if (zero) return CM_EPARSE;
  header_mac(p, s, in, mac);
  /* Public by design: the MAC verdict, on which the node accepts or drops. */
  int forged = sodium_memcmp(mac, in + off_gamma(p), p->mac_bytes);
  ct_declassify(&forged, sizeof forged);
  if (forged) {
    rc = CM_EPARSE;
    goto out;
  }
  sphinx__replay_tag(p, s, u->tag);
  /* Public: the replay tag, a one-way hash of s that indexes the filter
   * (and is handed to the caller for its own); it tells nothing of s. */
  ct_declassify(u->tag, sizeof u->tag);
  if (filter && sphinx_replay_check_insert(filter, u->tag)) {
    rc = CM_EEXIST;
    goto out;
  }
  /* B = (beta || 0^H) xor stream */
  sphinx__stream(p, s, b, SL);
  for (size_t j = 0; j < BETA; j++) b[j] ^= in[off_beta(p) + j];
  /* Public by design, authenticated by the MAC above: the routing block
   * this node acts on (command, type, delay, next id, gamma'; at the last
   * hop the exit / reply marker, client id and SURB id). The rest of B
   * leaves as beta'. */
  ct_declassify(b, H > p->final_bytes ? H : p->final_bytes);
  u->epoch = p->epoch_bytes ? mx_get_be32(in + 1) : 0;
  u->type = SPHINX_TYPE_ROUTE;
  if (I) {
    u->type = b[1];
    u->delay_us = mx_get_be32(b + 2);
    if (!type_ok(u->type)) { /* unknown */
      rc = CM_EPARSE;
      goto out;
    }
  }
  uint8_t *delta = out + HB;
  memmove(delta, in + HB, P);
  sphinx__block_key(p, s, key);
  lioness_decrypt(delta, P, key);
  if (I ? b[0] == CMD_FORWARD : b[0] == 0xff) { /* more hops: [info] next id || gamma' || beta' */
    u->action = SPHINX_FORWARD;
    memcpy(u->next_hop, b + I, p->id_bytes);
    u->next_hop_len = p->id_bytes;
    memcpy(out, in, off_alpha(p)); /* version, epoch */
    uint8_t bf[32];
    sphinx__blind(p, in + off_alpha(p), s, bf);
    /* public by design: the all-zero bit again, a function of alpha alone */
    int zero2 = crypto_scalarmult_curve25519(out + off_alpha(p), bf, in + off_alpha(p));
    ct_declassify(&zero2, sizeof zero2);
    rc = zero2 ? CM_EPARSE : 0;
    sodium_memzero(bf, sizeof bf);
    memcpy(out + off_gamma(p), b + I + p->id_bytes, p->mac_bytes);
    memcpy(out + off_beta(p), b + H, BETA);
    goto out;
  }
  memset(out, 0, HB);
  u->action = route_final(p, b, BETA, u);
  if (u->action == SPHINX_REPLY) {
    u->payload = delta;
  } else if (u->action == SPHINX_EXIT) { /* 0^16 || n || dest || msg || padding */
    /* Public by design at the exit, which delivers the message: the
     * integrity verdict, then (intact only) the destination and padding
     * lengths. */
    int intact = all_zero(delta, ZERO_PREFIX);
    ct_declassify(&intact, sizeof intact);
    if (!intact) {
      rc = CM_EPARSE;
      goto out;
    }
    ct_declassify(delta + ZERO_PREFIX, 1);
    ct_declassify(delta + P - PAD_LEN_BYTES, PAD_LEN_BYTES);
    size_t n = delta[ZERO_PREFIX], len;
    if (n < 1 || n > SPHINX_DEST_MAX ||
        ZERO_PREFIX + 1 + n > P || unpad(delta + ZERO_PREFIX + 1 + n, P - ZERO_PREFIX - 1 - n, &len)) {
      rc = CM_EPARSE;
      goto out;
    }
    memcpy(u->dest, delta + ZERO_PREFIX + 1, n);
    u->dest_len = n;
    u->message = delta + ZERO_PREFIX + 1 + n;
    u->message_len = len;
  } else {
    rc = CM_EPARSE;
  }
out:
  sodium_memzero(s, sizeof s);
  sodium_memzero(b, sizeof b);
  sodium_memzero(key, sizeof key);
  return rc;
}

int sphinx_surb_create_epoch(const struct sphinx_profile *p, uint32_t epoch,
                             const struct sphinx_hop *path, size_t hops, const uint8_t *client_id,
                             size_t client_id_len, sphinx_random_fn rnd, void *rnd_ctx,
                             struct sphinx_surb *surb, struct sphinx_surb_keys *keys) {
  if (!profile_ok(p) || !path_ok(p, path, hops) || (epoch && !p->epoch_bytes) || !client_id ||
      client_id_len < 1 || client_id_len > SPHINX_DEST_MAX || !rnd || !surb || !keys)
    return CM_EINVAL;
  if (path_keys_check(path, hops) != 0) return CM_EPARSE;
  uint8_t last[INFO + 1 + SPHINX_DEST_MAX + MSGID];
  size_t at = 0;
  memset(surb, 0, sizeof *surb);
  memset(keys, 0, sizeof *keys);
  rnd(rnd_ctx, keys->surb_id, MSGID);
  if (p->routing == SPHINX_ROUTING_MIXCLAVES) {
    put_info(last, CMD_REPLY, &path[hops - 1]);
    at = INFO;
  }
  last[at] = (uint8_t)client_id_len;
  memcpy(last + at + 1, client_id, client_id_len);
  memcpy(last + at + 1 + client_id_len, keys->surb_id, MSGID);
  int rc = header_build(p, epoch, path, hops, last, at + 1 + client_id_len + MSGID, rnd, rnd_ctx,
                        surb->header, keys->secrets);
  if (rc) {
    sodium_memzero(keys, sizeof *keys);
    return rc;
  }
  rnd(rnd_ctx, keys->ktilde, 32);
  memcpy(surb->ktilde, keys->ktilde, 32);
  memcpy(surb->first_hop, path[0].id, p->id_bytes);
  keys->hops = hops;
  return 0;
}

int sphinx_surb_create(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t hops,
                       const uint8_t *client_id, size_t client_id_len, sphinx_random_fn rnd,
                       void *rnd_ctx, struct sphinx_surb *surb, struct sphinx_surb_keys *keys) {
  return sphinx_surb_create_epoch(p, 0, path, hops, client_id, client_id_len, rnd, rnd_ctx, surb,
                                  keys);
}

int sphinx_surb_reply(const struct sphinx_profile *p, const struct sphinx_surb *surb,
                      const uint8_t *msg, size_t msg_len, uint8_t *packet) {
  if (!profile_ok(p) || !surb || (!msg && msg_len) || !packet) return CM_EINVAL;
  const size_t HB = sphinx_header_bytes(p), P = p->payload_bytes;
  if (ZERO_PREFIX + msg_len + PAD_LEN_BYTES > P) return CM_ERANGE;
  uint8_t key[LIONESS_KEY_BYTES], *delta = packet + HB;
  memcpy(packet, surb->header, HB);
  memset(delta, 0, ZERO_PREFIX);
  if (msg_len) memcpy(delta + ZERO_PREFIX, msg, msg_len);
  int rc = pad_into(delta, P, delta, ZERO_PREFIX + msg_len);
  if (rc == 0) {
    sphinx__block_key(p, surb->ktilde, key);
    rc = lioness_encrypt(delta, P, key);
    sodium_memzero(key, sizeof key);
  }
  return rc;
}

int sphinx_surb_decrypt(const struct sphinx_profile *p, const struct sphinx_surb_keys *keys,
                        uint8_t *payload, const uint8_t **msg, size_t *msg_len) {
  if (!profile_ok(p) || !keys || keys->hops < 1 || keys->hops > p->max_hops || !payload || !msg ||
      !msg_len)
    return CM_EINVAL;
  const size_t P = p->payload_bytes;
  uint8_t key[LIONESS_KEY_BYTES];
  size_t len;
  /* undo the hops' decryptions, last hop first, then the replier's encryption */
  for (size_t i = keys->hops; i-- > 0;) {
    sphinx__block_key(p, keys->secrets[i], key);
    lioness_encrypt(payload, P, key);
  }
  sphinx__block_key(p, keys->ktilde, key);
  lioness_decrypt(payload, P, key);
  sodium_memzero(key, sizeof key);
  /* Public by design: the client's integrity verdict, then (intact only)
   * the padding length of the message it reads. */
  int intact = all_zero(payload, ZERO_PREFIX);
  ct_declassify(&intact, sizeof intact);
  if (!intact) return CM_EPARSE;
  ct_declassify(payload + P - PAD_LEN_BYTES, PAD_LEN_BYTES);
  if (unpad(payload + ZERO_PREFIX, P - ZERO_PREFIX, &len)) return CM_EPARSE;
  *msg = payload + ZERO_PREFIX;
  *msg_len = len;
  return 0;
}
