/* What the Mixclaves fuzz targets and their corpus generator (make_corpus.c)
 * share: the fixed keys and addresses, the sim world of fuzz_node, and the
 * "forge" transforms that play a malicious sender, turning fuzzer bytes into
 * packets that pass the integrity checks so that the parsing behind them is
 * reached. */
#ifndef CM_FUZZ_COMMON_H
#define CM_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "mixclaves/codec.h"
#include "mixclaves/node.h"
#include "mixclaves/sphinx.h"

/* An invariant of the code under test: a crash (a finding) if false. */
#define CHECK(c)                \
  do {                          \
    if (!(c)) __builtin_trap(); \
  } while (0)

/* Read every byte of [p, p + n): ASan checks the range. */
void fz_touch(const uint8_t *p, size_t n);

/* Input byte 0 of fuzz_sphinx_unwrap and fuzz_codec. */
#define FZ_SEL_ALT 0x01   /* sphinx: smc-compat (else mixclaves); codec: full (else abstract) */
#define FZ_SEL_FORGE 0x02 /* the rest is a plaintext packet: forge it first (fz_*_forge) */

/* The one X25519 key pair of fuzz_sphinx_unwrap and fuzz_codec (full):
 * every hop of a corpus packet uses it, so a packet can be followed hop by
 * hop at one node. From a fixed seed. */
void fz_fixed_keys(uint8_t pk[SPHINX_KEY_BYTES], uint8_t sk[SPHINX_KEY_BYTES]);

/* The abstract codec's node in fuzz_codec. */
#define FZ_CODEC_ADDR 10

/* Play the sender against the node holding sk: pkt (sphinx_packet_bytes(p))
 * holds a header whose beta is the routing info in the clear and a payload
 * in the clear; encrypt beta with this hop's stream, set gamma to the
 * correct MAC and LIONESS-encrypt the payload, so that unwrap at sk sees
 * exactly those plaintexts. Leaves pkt as is when alpha gives no shared
 * secret (unwrap rejects it anyway). */
void fz_sphinx_forge(const struct sphinx_profile *p, const uint8_t sk[SPHINX_KEY_BYTES], uint8_t *pkt);

/* The abstract codec's layout (codec_abstract.c's header comment). */
#define FZ_ABS_PACKET 2348
/* Set the payload digest and the header checksum of an abstract packet
 * (FZ_ABS_PACKET bytes) to match its contents. */
void fz_abstract_forge(uint8_t *pkt);

/* fuzz_node's world: one sim env (fixed seed) with a node on the full
 * codec at FZ_NODE_FULL (CPU model: a small FIFO queue) and one on the
 * abstract codec at FZ_NODE_ABS (no CPU model), peers of each other;
 * small buffers so that every outcome is reachable. Keys come from the
 * env's seed, so they are the same in every world. */
#define FZ_NODE_FULL 10
#define FZ_NODE_ABS 11
#define FZ_NODE_QUEUE 4
#define FZ_NODE_BUFFER 8
struct fz_world {
  env *e;
  node *full, *abs;
};
/* 0, or -1 when a node could not be made. */
int fz_world_new(struct fz_world *w);
void fz_world_free(struct fz_world *w);

/* fuzz_node's input: records of ctl (1) || len (2, big endian) || len bytes
 * (fewer when the input ends), at most FZ_NODE_RECORDS of them. */
#define FZ_NODE_RECORDS 10
#define FZ_CTL_ABS 0x01   /* to the abstract node (else the full one) */
#define FZ_CTL_FORGE 0x02 /* abstract node: fix the checksums first */
#define FZ_CTL_FROM 0x0c  /* 2 bits: which of 4 sender addresses */
#define FZ_CTL_WAIT 0x10  /* run the sim (ctl >> 5) ms before handing it over */
#define FZ_FROM0 100      /* sender addresses FZ_FROM0..FZ_FROM0+3 */

#endif
