/* Control messages (seed sections 3.1 and 3.2, "anonymous administration"):
 * what an operator sends a mix node inside an ordinary packet whose last
 * hop has type CTRL, and what the node sends back in a reply block. Pure:
 * canonical encodings, strict decoders, the operator's and the node's
 * Ed25519 signatures; no I/O, no clock, no randomness. The seed's
 * prototype did not sign control packets (seed 4.3); the signature scheme
 * here is ours.
 *
 * Request (big endian), CTRL_HEADER_BYTES + args + surb + 64 bytes:
 *   0   4  magic "CMCT"
 *   4   1  format, 1
 *   5   1  command (enum ctrl_command)
 *   6   2  args length (exactly the command's, see below)
 *   8   4  target node address (never 0)
 *   12  4  key epoch the operator believes the node is in
 *   16  8  sequence number (never 0), unique per operator key
 *   24  8  issued at, cm_time ns as two's complement, the operator's clock
 *   32  2  reply block length (0: no reply wanted; at most CTRL_SURB_MAX)
 *   34  6  zero
 *   40  ..  args, then the reply block (codec_ops.surb_bytes, opaque here)
 *   ..  64 Ed25519 signature by the operator over every byte before it
 * Args: READ_METRICS and POISON_PILL none; SET_COVER 8 (loop cover rate
 * in micro-packets per second, u64, at most CTRL_RATE_MAX_UPS);
 * INSTALL_EPOCH and COMMIT 36 (epoch version u32, BLAKE2b-256 hash of that
 * epoch's digest, epoch.h; for COMMIT the committed digest's hash); CANARY
 * 1..CTRL_CANARY_MAX bytes of canary text.
 *
 * Reply, CTRL_HEADER_BYTES + body + 64 bytes:
 *   0   4  magic "CMCR"
 *   4   1  format, 1
 *   5   1  command answered
 *   6   1  status (enum ctrl_status)
 *   7   1  zero
 *   8   4  the node's address
 *   12  4  the node's key epoch after the command
 *   16  8  the request's sequence number
 *   24  8  the node's clock when it answered (ns)
 *   32  2  body length
 *   34  6  zero
 *   40  ..  body: READ_METRICS, CTRL_METRICS_COUNT u64s (struct
 *           ctrl_metrics in field order); CANARY, the 32-byte BLAKE2b-256
 *           hash of the canary text the node now holds; others empty
 *   ..  64 Ed25519 signature by the node's key (node_config().sign_pk)
 * Both decoders accept only the canonical form followed by zero bytes (a
 * codec payload is zero-padded) and refuse anything else with CM_EPARSE.
 *
 * Ownership: value structs, no pointers; callers' buffers. The caller has
 * run sodium_init(). */
#ifndef MIXCLAVES_CTRL_H
#define MIXCLAVES_CTRL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"
#include "env.h"

#define CTRL_HEADER_BYTES 40
#define CTRL_SIG_BYTES 64
#define CTRL_PK_BYTES 32
#define CTRL_SK_BYTES 64
#define CTRL_HASH_BYTES 32
#define CTRL_ARGS_MAX 256
#define CTRL_CANARY_MAX 256
#define CTRL_SURB_MAX 512 /* = CODEC_SURB_MAX */
#define CTRL_BODY_MAX 512
#define CTRL_RATE_MAX_UPS 1000000000000ull /* 1e6 packets/s */
#define CTRL_REQUEST_MAX (CTRL_HEADER_BYTES + CTRL_ARGS_MAX + CTRL_SURB_MAX + CTRL_SIG_BYTES)
#define CTRL_REPLY_MAX (CTRL_HEADER_BYTES + CTRL_BODY_MAX + CTRL_SIG_BYTES)

enum ctrl_command {
  CTRL_READ_METRICS = 1,  /* reply: struct ctrl_metrics */
  CTRL_SET_COVER = 2,     /* set the node's own loop cover rate */
  CTRL_INSTALL_EPOCH = 3, /* move to an epoch whose digest the node holds locally */
  CTRL_CANARY = 4,        /* set the warrant canary text; reply: its hash, node-signed */
  CTRL_POISON_PILL = 5,   /* erase the keys and stop: every later packet dropped */
  CTRL_COMMIT = 6,        /* the node's epoch is committed: peers set to its committed node list */
};

enum ctrl_status {
  CTRL_ACK = 0,
  CTRL_NACK_ARGS = 1,     /* arguments the node cannot apply */
  CTRL_NACK_UNKNOWN = 2,  /* INSTALL_EPOCH / COMMIT: digest not held locally, or not an epoch it can take */
  CTRL_NACK_FAILED = 3,   /* the node tried and failed (e.g. a key it refused) */
};

struct ctrl_request {
  uint8_t command;       /* enum ctrl_command */
  cm_addr target;
  uint32_t epoch;
  uint64_t seq;
  cm_time issued_at;
  uint16_t args_len;
  uint8_t args[CTRL_ARGS_MAX];
  uint16_t surb_len;
  uint8_t surb[CTRL_SURB_MAX];
  uint8_t sig[CTRL_SIG_BYTES];
};

struct ctrl_reply {
  uint8_t command, status;
  cm_addr node;
  uint32_t epoch;
  uint64_t seq;
  cm_time node_time;
  uint16_t body_len;
  uint8_t body[CTRL_BODY_MAX];
  uint8_t sig[CTRL_SIG_BYTES];
};

/* READ_METRICS: aggregates only (README, "The control plane", says what
 * each reveals). Counts since the node started; *_now at the answer. */
struct ctrl_metrics {
  uint64_t received, forwarded, delivered, loops_sent; /* throughput: difference two readings */
  uint64_t in_cpu_now, held_now;                       /* queue lengths at the answer */
  uint64_t busy_ns;                                    /* CPU busy time: busy fraction = d busy / d node_time */
  /* drops by reason (public counters) */
  uint64_t malformed, stale_epoch, rate_limited, replay_filter_full, replay, delay_too_long;
  uint64_t source_share_full, queue_full, buffer_full, unknown_next_hop, send_failed;
  uint64_t discarded_drop, loop_returned;
  /* operator only: the control packets inside discarded_drop */
  uint64_t ctrl_accepted, ctrl_bad_signature, ctrl_replay, ctrl_stale, ctrl_malformed;
  uint64_t replay_tags;        /* replay filter fill */
  uint64_t loop_rate_ups;      /* own loop cover rate now, micro-packets/s */
};
#define CTRL_METRICS_COUNT 27

/* Request: encode into out[0, cap), *len set; encode refuses what decode
 * would (CM_EINVAL: a bad command, args length, target 0, seq 0, surb too
 * long; CM_ERANGE: cap too small). The signature is written as is. */
int ctrl_request_encode(const struct ctrl_request *r, uint8_t *out, size_t cap, size_t *len);
int ctrl_request_decode(const uint8_t *buf, size_t len, struct ctrl_request *r);
/* Sign (into r->sig) with the operator's Ed25519 secret key / verify with
 * its public key: 0, or CM_EINVAL (unencodable; a bad signature). */
int ctrl_request_sign(struct ctrl_request *r, const uint8_t operator_sk[CTRL_SK_BYTES]);
int ctrl_request_verify(const struct ctrl_request *r, const uint8_t operator_pk[CTRL_PK_BYTES]);

/* Reply: the same four, signed by the node's Ed25519 key. */
int ctrl_reply_encode(const struct ctrl_reply *r, uint8_t *out, size_t cap, size_t *len);
int ctrl_reply_decode(const uint8_t *buf, size_t len, struct ctrl_reply *r);
int ctrl_reply_sign(struct ctrl_reply *r, const uint8_t node_sk[CTRL_SK_BYTES]);
int ctrl_reply_verify(const struct ctrl_reply *r, const uint8_t node_pk[CTRL_PK_BYTES]);

/* Arguments and bodies. Each parse is strict: 0 or CM_EPARSE. */
int ctrl_args_set_cover(struct ctrl_request *r, double loop_rate_per_s); /* CM_EINVAL: < 0, not finite, too high */
int ctrl_args_cover_parse(const struct ctrl_request *r, double *loop_rate_per_s);
void ctrl_args_install_epoch(struct ctrl_request *r, uint32_t version, const uint8_t hash[CTRL_HASH_BYTES]);
int ctrl_args_install_parse(const struct ctrl_request *r, uint32_t *version, uint8_t hash[CTRL_HASH_BYTES]);
/* COMMIT: the same two fields; parse refuses another command. */
void ctrl_args_commit(struct ctrl_request *r, uint32_t version, const uint8_t hash[CTRL_HASH_BYTES]);
int ctrl_args_commit_parse(const struct ctrl_request *r, uint32_t *version, uint8_t hash[CTRL_HASH_BYTES]);
int ctrl_args_canary(struct ctrl_request *r, const char *text); /* CM_EINVAL: empty or too long */
void ctrl_metrics_put(struct ctrl_reply *r, const struct ctrl_metrics *m);
int ctrl_metrics_parse(const struct ctrl_reply *r, struct ctrl_metrics *m);

/* "read_metrics", ...; NULL for an unknown command. */
const char *ctrl_command_name(uint8_t command);

#endif
