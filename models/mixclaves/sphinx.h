/* Sphinx mix packets (Danezis and Goldberg 2009) over X25519, BLAKE2b,
 * ChaCha20 and LIONESS, with two parameter profiles over one code path:
 * mixclaves (the default: per-hop next hop, delay and message type, a MAC
 * over version, epoch, alpha and beta, domain-separated keys, 2048-byte
 * payloads, up to 8 hops) and smc-compat, byte-compatible with the
 * sphinxmixcrypto / go-sphinxmixcrypto format (wire layouts and key
 * derivations in SPHINX.md). Packet creation costs 2 fixed-base scalar
 * multiplications per hop: blinding factors are multiplied as scalars mod L
 * and each hop's group elements are computed from the running product;
 * hop keys must pass sphinx_pk_check. Apart from sphinx_keypair_new no
 * randomness is drawn here: the caller passes a sphinx_random_fn, which in
 * real use must give bytes of the OS CSPRNG (or of a generator keyed from
 * it), never a reproducible stream. Every function borrows
 * its pointer arguments and writes only into caller buffers sized by the
 * constants below or by sphinx_packet_bytes(). The caller calls
 * sodium_init() once before any of these. */
#ifndef MIXCLAVES_SPHINX_H
#define MIXCLAVES_SPHINX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"

#define SPHINX_KEY_BYTES 32     /* X25519 public and private keys */
#define SPHINX_TAG_BYTES 32     /* replay tag */
#define SPHINX_SURB_ID_BYTES 16 /* message id of a reply block */
#define SPHINX_HOPS_MAX 16      /* bound on any profile's max_hops */
#define SPHINX_ID_MAX 32        /* bound on any profile's id_bytes */
#define SPHINX_DEST_MAX 127     /* destination / client id length, prefix-free encoded */
#define SPHINX_BETA_MAX 1024    /* bound on any profile's routing-info length */
#define SPHINX_EPOCH_MAX 4      /* bound on any profile's epoch_bytes */
#define SPHINX_HEADER_MAX (1 + SPHINX_EPOCH_MAX + SPHINX_KEY_BYTES + 64 + SPHINX_BETA_MAX)

/* How the per-hop routing block is laid out. */
enum sphinx_routing {
  /* smc-compat: a hop block is next id (id_bytes, first byte 0xff) || MAC;
   * the last block is 0x00 (exit) or len||client id (reply), then the
   * message id, then padding. */
  SPHINX_ROUTING_SMC = 1,
  /* mixclaves: every block starts with command (1: FORWARD / EXIT / REPLY)
   * || type (1: enum sphinx_type) || delay (4: u32 big-endian microseconds);
   * a hop block goes on with next id || MAC, the last block with the reply
   * address (REPLY) or nothing (EXIT), then padding. */
  SPHINX_ROUTING_MIXCLAVES = 2,
};

/* Message type at one hop (mixclaves), chosen by the sender per hop and
 * delivered to that hop only: a sender makes cover indistinguishable to the
 * mixes by putting ROUTE at every hop but the last. */
enum sphinx_type {
  SPHINX_TYPE_ROUTE = 1, /* hold delay_us, then forward (or deliver at the end) */
  SPHINX_TYPE_DROP = 2,  /* drop cover: discard */
  SPHINX_TYPE_LOOP = 3,  /* loop cover: hold, forward, back to its sender */
  SPHINX_TYPE_CTRL = 4,  /* a control packet (ctrl.h): handled by the node it names */
};

/* A parameter profile. All lengths in bytes. */
struct sphinx_profile {
  const char *name;
  enum sphinx_routing routing;
  uint8_t version;        /* version byte on the wire; input must match */
  uint32_t epoch_bytes;   /* epoch field after the version: 0 or 4 (u32 big-endian) */
  uint32_t max_hops;      /* r: routing info sized for this many hops */
  uint32_t id_bytes;      /* node id length */
  uint32_t mac_bytes;     /* header MAC (gamma) length */
  uint32_t hop_bytes;     /* one hop's routing block in beta (info || next id || MAC) */
  uint32_t final_bytes;   /* the last hop's block (destination, message id, padding) */
  uint32_t payload_bytes; /* delta, the LIONESS block */
  bool mac_covers_alpha;  /* MAC over version || epoch || alpha || beta, not beta alone */
  /* Key derivation: H(prefix || inputs), H = BLAKE2b, personalised with
   * kdf_domain when it is non-NULL (smc-compat: NULL, plain BLAKE2b). */
  const char *kdf_domain;
  uint8_t prefix_blind, prefix_stream, prefix_mac, prefix_block, prefix_replay;
  bool block_key_from_stream; /* smc-compat: LIONESS key = ChaCha20(stream key) */
};

/* 5 hops, 16-byte ids, 16-byte MAC, 1024-byte payload, 1249-byte packet. */
extern const struct sphinx_profile sphinx_profile_smc_compat;
/* The default: 8 hops, 16-byte ids, 16-byte MAC, 4-byte epoch, 38-byte hop
 * blocks, 2048-byte payload, 2415-byte packet. */
extern const struct sphinx_profile sphinx_profile_mixclaves;

/* Header = version (1) || epoch (epoch_bytes) || alpha (32) ||
 * gamma (mac_bytes) || beta. */
size_t sphinx_beta_bytes(const struct sphinx_profile *p);
size_t sphinx_header_bytes(const struct sphinx_profile *p);
/* Header || payload: every packet of a profile has this length. */
size_t sphinx_packet_bytes(const struct sphinx_profile *p);

/* Fill buf[0..len) with uniformly random bytes. Called synchronously,
 * only inside the call it is passed to. */
typedef void (*sphinx_random_fn)(void *ctx, uint8_t *buf, size_t len);

/* Key pair from 32 caller-chosen random bytes: sk = clamp(seed),
 * pk = X25519(sk, 9). For tests and the simulator (reproducible keys). */
int sphinx_keypair_from_seed(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES],
                             const uint8_t seed[SPHINX_KEY_BYTES]);
/* A node's key pair in real use: sk = clamp(32 bytes of libsodium's
 * randombytes_buf, the OS CSPRNG), pk = X25519(sk, 9). 0 or CM_EINVAL. */
int sphinx_keypair_new(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES]);

/* 0 iff pk is a valid hop key: the canonical encoding (below p = 2^255 - 19,
 * top bit clear) of the u-coordinate of a point P on Curve25519, not on its
 * twist, with [L]P = O and P != O (the prime-order subgroup, no point of
 * small order). CM_EPARSE otherwise, CM_EINVAL for NULL. Every key made by
 * sphinx_keypair_* passes. pk is public: variable time; the verdict is
 * kept with the key's table in this thread (sphinx_table.c), so a
 * repeated check costs a cache lookup. */
int sphinx_pk_check(const uint8_t pk[SPHINX_KEY_BYTES]);

/* One hop of a path: its node id (id_bytes), X25519 public key and, in the
 * mixclaves profile, what the sender tells this hop: how long to hold the
 * packet (delay_us, microseconds) and its type (enum sphinx_type; 0 means
 * ROUTE). smc-compat carries neither: both must be 0 there (CM_EINVAL). */
struct sphinx_hop {
  const uint8_t *id;
  const uint8_t *pk;
  uint32_t delay_us;
  uint8_t type;
};

/* Forward packet along path[0..hops) delivering msg to dest (1..127 bytes)
 * at the last hop, stamped with key epoch `epoch` (mixclaves; smc-compat has
 * no epoch field and needs 0). Randomness drawn: 32 bytes (ephemeral
 * secret), then the header padding. packet: sphinx_packet_bytes(p). 0,
 * CM_EINVAL (bad arguments: hops outside 1..max_hops, smc ids not starting
 * with 0xff, an unknown type), CM_EPARSE (a hop key that fails
 * sphinx_pk_check: refused before any randomness is drawn), CM_ERANGE
 * (message too long; or, with probability about 2^-252 per hop, a running
 * scalar of 0 mod L, whose group element is the identity: try again with
 * fresh randomness). Send packet to path[0].id. */
int sphinx_packet_build_epoch(const struct sphinx_profile *p, uint32_t epoch,
                              const struct sphinx_hop *path, size_t hops, const uint8_t *dest,
                              size_t dest_len, const uint8_t *msg, size_t msg_len,
                              sphinx_random_fn rnd, void *rnd_ctx, uint8_t *packet);
/* The same at epoch 0. */
int sphinx_packet_build(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t hops,
                        const uint8_t *dest, size_t dest_len, const uint8_t *msg, size_t msg_len,
                        sphinx_random_fn rnd, void *rnd_ctx, uint8_t *packet);

/* The epoch field of a packet (0 in smc-compat), read without any crypto so
 * that a node can pick the key of that epoch. Unauthenticated until the
 * unwrap's MAC check, which covers it (mixclaves). CM_EINVAL on a bad length. */
int sphinx_packet_epoch(const struct sphinx_profile *p, const uint8_t *in, size_t in_len,
                        uint32_t *epoch);

enum sphinx_action {
  SPHINX_FORWARD = 1, /* send out (a full packet) to next_hop */
  SPHINX_EXIT = 2,    /* deliver message to dest */
  SPHINX_REPLY = 3,   /* a SURB reply: pass out's payload and surb_id to client dest */
};

struct sphinx_unwrapped {
  enum sphinx_action action;
  uint8_t tag[SPHINX_TAG_BYTES];     /* replay tag of this packet at this node */
  uint8_t next_hop[SPHINX_ID_MAX];   /* FORWARD */
  size_t next_hop_len;
  uint8_t dest[SPHINX_DEST_MAX];     /* EXIT: destination; REPLY: client id */
  size_t dest_len;
  uint8_t surb_id[SPHINX_SURB_ID_BYTES]; /* REPLY */
  const uint8_t *message;            /* EXIT: points into out, valid while out is */
  size_t message_len;
  const uint8_t *payload;            /* REPLY: the payload inside out */
  uint8_t type;                      /* enum sphinx_type (smc-compat: ROUTE) */
  uint32_t delay_us;                 /* sender-chosen hold time here (smc-compat: 0) */
  uint32_t epoch;                    /* the packet's epoch field, authenticated (mixclaves) */
};

typedef struct sphinx_replay sphinx_replay;

/* Process one packet at a node holding sk. Checks, in this order: length
 * (CM_EINVAL), version byte, canonical alpha and the header MAC (CM_EPARSE;
 * one scalar multiplication precedes the MAC, as the MAC key needs the
 * shared secret; in mixclaves the MAC also covers version, epoch and alpha),
 * the replay filter when non-NULL (CM_EEXIST: a replay, the packet is
 * dropped; the tag is inserted otherwise), then routing and, at an exit,
 * the payload integrity check (CM_EPARSE). On success out
 * (sphinx_packet_bytes) holds the next packet (FORWARD) or the processed
 * payload at the payload offset (EXIT, REPLY), and u describes it.
 * out must not overlap in. */
int sphinx_packet_unwrap(const struct sphinx_profile *p, const uint8_t sk[SPHINX_KEY_BYTES],
                         sphinx_replay *filter, const uint8_t *in, size_t in_len, uint8_t *out,
                         struct sphinx_unwrapped *u);

/* A single-use reply block, given to the party that will reply. */
struct sphinx_surb {
  uint8_t first_hop[SPHINX_ID_MAX];
  uint8_t header[SPHINX_HEADER_MAX]; /* sphinx_header_bytes(p) used */
  uint8_t ktilde[32];
};

/* What the SURB's creator keeps to read the reply; erase after use. */
struct sphinx_surb_keys {
  uint8_t surb_id[SPHINX_SURB_ID_BYTES];
  uint8_t ktilde[32];
  uint8_t secrets[SPHINX_HOPS_MAX][32];
  size_t hops;
};

/* SURB over path back to client_id (1..127 bytes; mixclaves: at most
 * final_bytes - 23 = 25 bytes at max_hops, 38 more per hop fewer), stamped
 * with epoch (mixclaves). The delays and types in path reach each hop as in
 * a forward packet. Randomness drawn: 16 (message id), 32 (ephemeral
 * secret), header padding, 32 (ktilde). Errors as for
 * sphinx_packet_build_epoch: CM_EPARSE for a hop key that fails
 * sphinx_pk_check, before any randomness is drawn. */
int sphinx_surb_create_epoch(const struct sphinx_profile *p, uint32_t epoch,
                             const struct sphinx_hop *path, size_t hops, const uint8_t *client_id,
                             size_t client_id_len, sphinx_random_fn rnd, void *rnd_ctx,
                             struct sphinx_surb *surb, struct sphinx_surb_keys *keys);
/* The same at epoch 0. */
int sphinx_surb_create(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t hops,
                       const uint8_t *client_id, size_t client_id_len, sphinx_random_fn rnd,
                       void *rnd_ctx, struct sphinx_surb *surb, struct sphinx_surb_keys *keys);

/* The replier: packet (sphinx_packet_bytes) carrying msg, to surb->first_hop. */
int sphinx_surb_reply(const struct sphinx_profile *p, const struct sphinx_surb *surb,
                      const uint8_t *msg, size_t msg_len, uint8_t *packet);

/* The client: decrypt a REPLY payload (payload_bytes, in place) with keys;
 * *msg / *msg_len point into payload. CM_EPARSE when the integrity check
 * (16 leading zero bytes, valid padding) fails. */
int sphinx_surb_decrypt(const struct sphinx_profile *p, const struct sphinx_surb_keys *keys,
                        uint8_t *payload, const uint8_t **msg, size_t *msg_len);

/* Replay filter: a blocked Bloom filter of tags (k bits in one 512-bit
 * block per tag) for one node and one key epoch. sphinx_replay_new(capacity,
 * fp) sizes m bits and k hashes for at most capacity tags at false-positive
 * rate fp (10 M at 0.001: see SPHINX.md); NULL on bad arguments or no
 * memory. Reset it when the node's key rotates. */
sphinx_replay *sphinx_replay_new(uint64_t capacity, double fp);
void sphinx_replay_free(sphinx_replay *f);
void sphinx_replay_reset(sphinx_replay *f);
/* true if tag was (probably) seen; inserts it otherwise. */
bool sphinx_replay_check_insert(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]);
/* Start loading tag's block into the cache, so that a check_insert issued
 * after some other work does not wait for memory. */
void sphinx_replay_prefetch(const sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]);
/* true if tag was (probably) seen; inserts nothing. */
bool sphinx_replay_contains(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]);
uint64_t sphinx_replay_bits(const sphinx_replay *f);
/* Tags inserted since creation or the last reset (its fill), the design
 * capacity it was sized for, and whether the fill has reached it: past
 * capacity the false-positive rate climbs above fp, so a node stops
 * accepting new packets there rather than reject fresh ones as replays. */
uint64_t sphinx_replay_count(const sphinx_replay *f);
uint64_t sphinx_replay_capacity(const sphinx_replay *f);
bool sphinx_replay_full(const sphinx_replay *f);
unsigned sphinx_replay_hashes(const sphinx_replay *f);
/* The sizing rule alone: m bits and k hashes for (capacity, fp); 0,
 * CM_EINVAL, or CM_ERANGE when no filter of at most 2^49 bits will do. */
int sphinx_replay_size(uint64_t capacity, double fp, uint64_t *bits, unsigned *hashes);
/* The predicted false-positive rate of a filter of bits (a multiple of 512)
 * and hashes holding tags tags. */
double sphinx_replay_predicted_fp(uint64_t bits, unsigned hashes, uint64_t tags);

#endif
