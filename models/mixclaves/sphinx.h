/* Sphinx mix packets (Danezis and Goldberg 2009) over X25519, BLAKE2b,
 * ChaCha20 and LIONESS, with parameter profiles over one code path. The
 * profile implemented now is smc-compat, byte-compatible with the
 * sphinxmixcrypto / go-sphinxmixcrypto format (wire layout and key
 * derivation in SPHINX.md). Packet creation costs 2 scalar multiplications
 * per hop: blinding factors are multiplied as scalars mod L and each hop's
 * group elements are computed from the running product. No randomness is
 * drawn here: the caller passes a sphinx_random_fn. Every function borrows
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
#define SPHINX_HEADER_MAX (1 + SPHINX_KEY_BYTES + 32 + SPHINX_BETA_MAX)

/* How the per-hop routing block is laid out. */
enum sphinx_routing {
  /* smc-compat: a hop block is next id (id_bytes, first byte 0xff) || MAC;
   * the last block is 0x00 (exit) or len||client id (reply), then the
   * message id, then padding. */
  SPHINX_ROUTING_SMC = 1,
  /* mixclaves (next slice, not implemented): type (ROUTE/DROP/LOOP/CTRL)
   * || next id || delay (u32 ms) || MAC per hop; MAC also over
   * version/epoch and alpha; domain-separated KDF. */
  SPHINX_ROUTING_MIXCLAVES = 2,
};

/* A parameter profile. All lengths in bytes. */
struct sphinx_profile {
  const char *name;
  enum sphinx_routing routing;
  uint8_t version;        /* version byte on the wire; input must match */
  uint32_t max_hops;      /* r: routing info sized for this many hops */
  uint32_t id_bytes;      /* node id length */
  uint32_t mac_bytes;     /* header MAC (gamma) length */
  uint32_t hop_bytes;     /* one hop's routing block in beta (info || MAC) */
  uint32_t final_bytes;   /* the last hop's block (destination, message id, padding) */
  uint32_t payload_bytes; /* delta, the LIONESS block */
  bool mac_covers_alpha;  /* MAC over version || alpha || beta, not beta alone */
  /* Key derivation: H(prefix || inputs), H = BLAKE2b, personalised with
   * kdf_domain when it is non-NULL (smc-compat: NULL, plain BLAKE2b). */
  const char *kdf_domain;
  uint8_t prefix_blind, prefix_stream, prefix_mac, prefix_block, prefix_replay;
  bool block_key_from_stream; /* smc-compat: LIONESS key = ChaCha20(stream key) */
};

/* 5 hops, 16-byte ids, 16-byte MAC, 1024-byte payload, 1249-byte packet. */
extern const struct sphinx_profile sphinx_profile_smc_compat;

/* Header = version (1) || alpha (32) || gamma (mac_bytes) || beta. */
size_t sphinx_beta_bytes(const struct sphinx_profile *p);
size_t sphinx_header_bytes(const struct sphinx_profile *p);
/* Header || payload: every packet of a profile has this length. */
size_t sphinx_packet_bytes(const struct sphinx_profile *p);

/* Fill buf[0..len) with uniformly random bytes. Called synchronously,
 * only inside the call it is passed to. */
typedef void (*sphinx_random_fn)(void *ctx, uint8_t *buf, size_t len);

/* Key pair from 32 caller-chosen random bytes: sk = clamp(seed),
 * pk = X25519(sk, 9). */
int sphinx_keypair_from_seed(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES],
                             const uint8_t seed[SPHINX_KEY_BYTES]);

/* One hop of a path: its node id (id_bytes) and X25519 public key. */
struct sphinx_hop {
  const uint8_t *id;
  const uint8_t *pk;
};

/* Forward packet along path[0..hops) delivering msg to dest (1..127 bytes)
 * at the last hop. Randomness drawn: 32 bytes (ephemeral secret), then the
 * header padding. packet: sphinx_packet_bytes(p). 0, CM_EINVAL (bad
 * arguments, smc ids not starting with 0xff), CM_ERANGE (message too long),
 * CM_EPARSE (a public key of small order). Send packet to path[0].id. */
int sphinx_packet_build(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t hops,
                        const uint8_t *dest, size_t dest_len, const uint8_t *msg, size_t msg_len,
                        sphinx_random_fn rnd, void *rnd_ctx, uint8_t *packet);

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
};

typedef struct sphinx_replay sphinx_replay;

/* Process one packet at a node holding sk. Checks, in this order: length
 * (CM_EINVAL), version byte and the header MAC (CM_EPARSE; one scalar
 * multiplication precedes the MAC, as the MAC key needs the shared secret),
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

/* SURB over path back to client_id (1..127 bytes). Randomness drawn: 16
 * (message id), 32 (ephemeral secret), header padding, 32 (ktilde). */
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

/* Replay filter: a Bloom filter of tags for one node and one key epoch.
 * sphinx_replay_new(capacity, fp) sizes m bits and k hashes for at most
 * capacity tags at false-positive rate fp (10 M at 0.001: see SPHINX.md);
 * NULL on bad arguments or no memory. Reset it when the node's key rotates. */
sphinx_replay *sphinx_replay_new(uint64_t capacity, double fp);
void sphinx_replay_free(sphinx_replay *f);
void sphinx_replay_reset(sphinx_replay *f);
/* true if tag was (probably) seen; inserts it otherwise. */
bool sphinx_replay_check_insert(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]);
/* true if tag was (probably) seen; inserts nothing. */
bool sphinx_replay_contains(sphinx_replay *f, const uint8_t tag[SPHINX_TAG_BYTES]);
uint64_t sphinx_replay_bits(const sphinx_replay *f);
unsigned sphinx_replay_hashes(const sphinx_replay *f);
/* The sizing rule alone: m bits and k hashes for (capacity, fp). */
int sphinx_replay_size(uint64_t capacity, double fp, uint64_t *bits, unsigned *hashes);

#endif
