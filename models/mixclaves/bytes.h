/* Big-endian integers on the wire: the fields of the abstract and full
 * codecs (codec_*.c), the client payload (client.c) and Sphinx headers
 * (sphinx.c). Little-endian words, for checksums and tags, are
 * sum128_load64 / sum128_store64 (sum128.h). */
#ifndef MIXCLAVES_BYTES_H
#define MIXCLAVES_BYTES_H

#include <stdint.h>

static inline void mx_put_be32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (24 - 8 * i));
}
static inline void mx_put_be64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (56 - 8 * i));
}
static inline uint32_t mx_get_be32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t mx_get_be64(const uint8_t *p) {
  return (uint64_t)mx_get_be32(p) << 32 | mx_get_be32(p + 4);
}

#endif
