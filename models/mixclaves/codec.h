/* The mix packet codec switch: one small ops table that builds a packet
 * along a path and unwraps one hop of it at a node, so that the mix node
 * and the clients are written once and run either with real Sphinx
 * (`full`) or with headers in the clear (`abstract`, for large sweeps).
 *
 * Both codecs keep the same contract: every packet of a codec has the same
 * length (packet_bytes) whatever its path; unwrap rejects malformed input
 * (length, version, integrity, a header not addressed to this node) before
 * any other work; each hop yields a 32-byte replay tag that is the same for
 * the same packet at the same node and differs between hops.
 *
 *  abstract (codec_abstract.c): a versioned header listing the remaining
 *           hops (address, delay, type), the final destination and a random
 *           nonce (whose first 4 bytes are the key epoch), then a
 *           fixed-size payload; a 128-bit checksum over
 *           the header (checked at every hop), which holds a digest of the
 *           payload (checked at the last hop). No secrecy and no
 *           unlinkability: the payload is the same bytes at every hop.
 *           Wire layout in codec_abstract.c and models/mixclaves/README.md.
 *  full     (codec_full.c) real Sphinx, the `mixclaves` profile (sphinx.h,
 *           SPHINX.md): build needs every hop's X25519 public key
 *           (codec_hop.pk), unwrap the node's secret key (codec_node.sk).
 *           Delays travel in whole microseconds; the destination rides in
 *           the encrypted payload; the epoch in the MAC-covered header
 *           field.
 *
 * Reply blocks (SURBs, for the control plane's replies, ctrl.h): the
 * creator builds one along a path back to itself (surb_create) and keeps
 * the keys; the replier, who sees neither the path nor the keys, turns it
 * into an ordinary packet carrying a message (surb_reply); the path's last
 * hop delivers reply_bytes to the creator, who reads the message with
 * surb_open. full: Sphinx SURBs; abstract: a pre-built header in the clear
 * (no secrecy, as the rest of that codec). The first SURB_ID_BYTES of a
 * delivered reply are the block's id, so the creator finds its keys.
 *
 * Ownership: every pointer argument is borrowed for the call; output goes
 * to caller buffers sized by the codec's packet_bytes. */
#ifndef MIXCLAVES_CODEC_H
#define MIXCLAVES_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "mixclaves/sphinx.h"
#include "rng.h"

#define CODEC_TAG_BYTES 32 /* = SPHINX_TAG_BYTES, for the sphinx replay filter */
#define CODEC_HOPS_MAX 16  /* bound on any codec's max_hops */
#define CODEC_KEY_BYTES 32 /* X25519 keys of a keyed codec */

/* What a node does with the packet at its hop (seed section 3.1). */
enum codec_type {
  CODEC_ROUTE = 1, /* hold for the delay, then forward (or deliver at the last hop) */
  CODEC_DROP = 2,  /* cover traffic: discard once unwrapped */
  CODEC_LOOP = 3,  /* loop cover: handled as ROUTE; named for the counters */
  CODEC_CTRL = 4,  /* a control packet (ctrl.h) for the hop it names: the last hop only */
};

/* One hop of a path, for codec_ops.build. */
struct codec_hop {
  cm_addr addr;         /* the node, never 0 */
  cm_time delay;        /* how long this node holds the packet (ns, >= 0) */
  enum codec_type type; /* ROUTE, DROP, LOOP or CTRL */
  const uint8_t *pk;    /* the node's X25519 public key (full codec); NULL for abstract */
};

/* The node unwrapping: its address, secret key (NULL for abstract), and
 * replay filter (NULL: no replay check). The codec consults the filter
 * itself, once the packet has passed every other check (a corrupted copy
 * must not spend the genuine packet's tag), so that it can start loading
 * the tag's filter block as soon as the tag is known and finish the hop
 * while memory answers. */
struct codec_node {
  cm_addr addr;
  const uint8_t *sk;
  sphinx_replay *replay;
};

/* One hop unwrapped. */
struct codec_unwrapped {
  bool final;           /* this node is the last hop */
  cm_addr next;         /* !final: send out (packet_bytes) to next */
  cm_addr dest;         /* final: deliver payload to dest (0: none, e.g. DROP) */
  cm_time delay;        /* hold this long before sending (ns) */
  enum codec_type type; /* this hop's type */
  uint32_t epoch;       /* the packet's key epoch, authenticated */
  uint8_t tag[CODEC_TAG_BYTES];
  const uint8_t *payload; /* final: payload_bytes bytes inside out, valid while out is;
                             reply: reply_bytes bytes (block id, then the sealed message) */
  bool reply;             /* final: the last hop of a reply block (deliver reply_bytes to dest) */
};

#define CODEC_SURB_ID_BYTES 16  /* = SPHINX_SURB_ID_BYTES: a delivered reply starts with it */
#define CODEC_SURB_MAX 512      /* bound on any codec's surb_bytes */
#define CODEC_SURB_KEYS_MAX 512 /* bound on any codec's surb_keys_bytes */
#define CODEC_REPLY_MSG_MAX 1024 /* the longest message a reply carries, in every codec */

/* Where the users of a keyed codec (node, client) find a node's public
 * key: copy addr's X25519 public key into pk and return 0, or CM_ENOENT if
 * addr is unknown. Called synchronously, before each build. */
typedef int (*codec_key_fn)(void *ctx, cm_addr addr, uint8_t pk[CODEC_KEY_BYTES]);

/* Fill buf[0..len) with random bytes; called only inside build. */
typedef void (*codec_random_fn)(void *ctx, uint8_t *buf, size_t len);

struct codec_ops {
  const char *name;
  size_t packet_bytes;  /* every packet of this codec */
  size_t payload_bytes; /* what the last hop delivers to dest */
  uint32_t max_hops;
  bool keyed; /* build needs each hop's pk, unwrap self->sk (full); false: neither */
  /* A packet along path[0..hops) delivering payload (len <= payload_bytes,
   * zero-padded) to dest (0: nobody; then the last hop must be DROP or
   * loop back to its own node), stamped with the key epoch of the path's
   * nodes (a node drops packets of any other epoch). Every random byte
   * (ephemeral key, padding, nonce) comes from rnd: in real mode a secret
   * stream (env_secret_rng). Send it to path[0].addr. 0, or CM_EINVAL
   * (bad hops, address 0, bad type or CTRL before the last hop, negative delay; keyed: a NULL or
   * invalid pk), CM_ERANGE (payload too long, too many hops, a delay the
   * wire cannot carry). */
  int (*build)(const struct codec_hop *path, size_t hops, uint32_t epoch, cm_addr dest, const uint8_t *payload,
               size_t len, codec_random_fn rnd, void *rnd_ctx, uint8_t *packet);
  /* The cheap checks a node runs before any other work (no crypto): the
   * length, the version (and magic), and the packet's epoch field, which
   * *epoch receives (unauthenticated until unwrap, whose MAC or checksum
   * covers it). 0, CM_EINVAL (wrong length), CM_EPARSE (bad version). */
  int (*peek)(const uint8_t *in, size_t len, uint32_t *epoch);
  /* One hop at node self: in[0..len) -> out (packet_bytes, not overlapping
   * in) and u. 0, CM_EINVAL (wrong length), CM_EPARSE (bad version,
   * integrity check, field, or a header not addressed to self), CM_EEXIST
   * (a replay: u->tag is in self->replay; otherwise it is now). */
  int (*unwrap)(const struct codec_node *self, const uint8_t *in, size_t len, uint8_t *out,
                struct codec_unwrapped *u);
  /* Reply blocks (see the top). */
  size_t surb_bytes;      /* a reply block, as the replier receives it */
  size_t surb_keys_bytes; /* what its creator keeps (secret in the full codec) */
  size_t reply_bytes;     /* what the block's last hop delivers to the creator */
  /* A block along path[0..hops) (types ROUTE, the last one too) back to
   * dest (the creator, never 0), stamped with epoch; surb (surb_bytes)
   * goes to the replier, keys (surb_keys_bytes) stay. Randomness from
   * rnd. 0, or the errors of build. */
  int (*surb_create)(const struct codec_hop *path, size_t hops, uint32_t epoch, cm_addr dest,
                     codec_random_fn rnd, void *rnd_ctx, uint8_t *surb, uint8_t *keys);
  /* The replier: packet (packet_bytes) carrying msg[0..len) (len <=
   * CODEC_REPLY_MSG_MAX), to be sent to *first. 0, CM_EINVAL (NULL),
   * CM_EPARSE (not a reply block), CM_ERANGE (len too long). */
  int (*surb_reply)(const uint8_t *surb, const uint8_t *msg, size_t len, uint8_t *packet, cm_addr *first);
  /* The creator: in[0..len) as delivered (reply_bytes) -> the message
   * into msg (CODEC_REPLY_MSG_MAX), *msg_len set (it may be followed by
   * zero padding, which the message's own decoder checks). 0, CM_EINVAL
   * (wrong length), CM_ENOENT (another block's id), CM_EPARSE (integrity). */
  int (*surb_open)(const uint8_t *keys, const uint8_t *in, size_t len, uint8_t *msg, size_t *msg_len);
};

/* Registered codecs, by name: "abstract" and "full" (0, *out set);
 * anything else CM_EINVAL (*out NULL). */
int codec_lookup(const char *name, const struct codec_ops **out);

/* The abstract codec (always available). */
extern const struct codec_ops codec__abstract_ops;
extern const struct codec_ops codec__full_ops;
const struct codec_ops *codec_abstract(void);

/* What observers of the simulation's ground truth (cli/mixclaves_anon.c)
 * read from an abstract packet: its identity, 8 random bytes of its nonce,
 * the same at every hop (abstract packets are linkable by design; Sphinx
 * packets are not, and have no such call); the hops left including the
 * node it goes to; its destination; and the key of the payload the last
 * hop will deliver to dest (codec_abstract_payload_key of those bytes). 0,
 * or CM_EINVAL (not an abstract packet). */
struct codec_abstract_info {
  uint64_t id, payload_key;
  uint32_t hops_left;
  cm_addr dest;
};
int codec_abstract_packet_info(const uint8_t *pkt, size_t len, struct codec_abstract_info *out);
/* A delivered payload's key (payload_bytes long, to dest). */
uint64_t codec_abstract_payload_key(const uint8_t *payload, size_t len, cm_addr dest);

/* A codec_random_fn drawing from an rng (ctx is the rng *): rng_bytes, so
 * a secret stream gives keystream bytes. */
void codec_random_rng(void *ctx, uint8_t *buf, size_t len);

/* "route", "drop", "loop", "ctrl"; NULL for anything else. */
const char *codec_type_name(enum codec_type t);

#endif
