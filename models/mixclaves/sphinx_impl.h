/* Internal to sphinx*.c: the key derivations, the header stream and MAC,
 * and the X25519 group helpers shared by packet creation and unwrapping
 * (sphinx_crypto.c, sphinx_table.c). Creation computes every group element
 * with fixed-base tables: no ladder, no branch on a secret. */
#ifndef MIXCLAVES_SPHINX_IMPL_H
#define MIXCLAVES_SPHINX_IMPL_H

#include "mixclaves/lioness.h"
#include "mixclaves/sphinx.h"

/* Secret s -> 32-byte ChaCha20 key for the header stream. */
void sphinx__stream_key(const struct sphinx_profile *p, const uint8_t s[32], uint8_t key[32]);
/* Header stream: ChaCha20(stream_key(s), zero nonce), len bytes. */
void sphinx__stream(const struct sphinx_profile *p, const uint8_t s[32], uint8_t *out, size_t len);
/* s -> LIONESS key for the payload. */
void sphinx__block_key(const struct sphinx_profile *p, const uint8_t s[32],
                       uint8_t key[LIONESS_KEY_BYTES]);
/* s -> MAC key (mac_bytes); MAC = keyed BLAKE2b with mac_bytes output. */
void sphinx__mac_key(const struct sphinx_profile *p, const uint8_t s[32], uint8_t *key);
void sphinx__mac(const struct sphinx_profile *p, const uint8_t *key, const uint8_t *data,
                 size_t len, uint8_t *mac);
/* The same MAC over a || b (a may be empty). */
void sphinx__mac2(const struct sphinx_profile *p, const uint8_t *key, const uint8_t *a,
                  size_t alen, const uint8_t *b, size_t blen, uint8_t *mac);
/* Blinding factor clamp(H(prefix || alpha || s)). */
void sphinx__blind(const struct sphinx_profile *p, const uint8_t alpha[32], const uint8_t s[32],
                   uint8_t b[32]);
/* Replay tag H(prefix || s). */
void sphinx__replay_tag(const struct sphinx_profile *p, const uint8_t s[32], uint8_t tag[32]);

/* X25519 clamping of a 32-byte string. */
void sphinx__clamp(uint8_t k[32]);
/* The 64-byte-extended reduction of a clamped scalar mod L. */
void sphinx__scalar_reduce(const uint8_t k[32], uint8_t r[32]);
/* out = u-coordinate of [c]B, B the base point (u = 9, order L), for a
 * scalar c mod L: the same bytes as X25519(k, 9) for every clamped
 * k = c (mod L), from this thread's table for B (sphinx_table.c), constant
 * time in c. CM_ERANGE for the identity (c = 0 mod L). */
int sphinx__mul_base(uint8_t out[32], const uint8_t c[32]);
/* The birational map from Edwards25519 to Curve25519: u = (1 + y) / (1 - y)
 * mod p = 2^255 - 19, canonical, for y read from a 32-byte point encoding
 * (its top bit, the sign of x, ignored; y = 1 gives u = 0). Used by the
 * unit tests to make keys from Edwards points. */
void sphinx__edwards_to_u(uint8_t u[32], const uint8_t ed[32]);
/* out = 1/in mod p (0 for 0), both little-endian; in may be non-canonical
 * and its top bit is ignored. Exposed for the unit test. */
void sphinx__fp_invert(uint8_t out[32], const uint8_t in[32]);
/* out = u([c]P) for a scalar c mod L and the node key pk (u-coordinate of
 * P), from a table for pk kept by this thread (built on first use, about
 * 2 ladders with the key check; later calls cost about 0.4 of one),
 * constant time in c. The same bytes as X25519(k, pk) for a clamped k with
 * k = c (mod L). CM_EPARSE for a key sphinx_pk_check refuses (no table,
 * no other path), CM_ERANGE for the identity (c = 0 mod L). */
int sphinx__mul_key(uint8_t out[32], const uint8_t c[32], const uint8_t pk[32]);
/* u < p = 2^255 - 19 with bit 255 clear: the one encoding X25519 outputs.
 * Public data only (variable time). */
bool sphinx__u_canonical(const uint8_t u[32]);
/* alphas[i] and shared secrets s[i] of hops 0..r-1 for the clamped
 * ephemeral secret x, as packet creation computes them (sphinx.c; keys
 * already checked). 0 or CM_ERANGE (c = 0 mod L). Exposed for the unit
 * test, which compares them with chained X25519. */
int sphinx__hop_secrets(const struct sphinx_profile *p, const struct sphinx_hop *path, size_t r,
                        const uint8_t x[32], uint8_t alphas[][32], uint8_t s[][32]);
/* Keys whose tables each thread keeps (replaced round-robin). */
#define SPHINX_TABLE_KEYS 16
/* 1/8 mod L. */
extern const uint8_t sphinx__inv8[32];

#endif
