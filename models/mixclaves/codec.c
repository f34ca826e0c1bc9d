/* The codec registry (one slot per codec, ROSS tw_lptype style) and the
 * small helpers every codec shares. */
#include "mixclaves/codec.h"

#include <string.h>

/* The slots: abstract (codec_abstract.c) and full, real Sphinx in the
 * mixclaves profile (codec_full.c). A NULL ops would answer CM_ENOSYS. */
static const struct {
  const char *name;
  const struct codec_ops *ops;
} slots[] = {
    {"abstract", &codec__abstract_ops},
    {"full", &codec__full_ops},
};

int codec_lookup(const char *name, const struct codec_ops **out) {
  if (!name || !out) return CM_EINVAL;
  *out = NULL;
  for (size_t i = 0; i < sizeof slots / sizeof slots[0]; i++) {
    if (strcmp(name, slots[i].name) != 0) continue;
    if (!slots[i].ops) return CM_ENOSYS;
    *out = slots[i].ops;
    return 0;
  }
  return CM_EINVAL;
}

const struct codec_ops *codec_abstract(void) { return &codec__abstract_ops; }

void codec_random_rng(void *ctx, uint8_t *buf, size_t len) { rng_bytes(ctx, buf, len); }

const char *codec_type_name(enum codec_type t) {
  switch (t) {
  case CODEC_ROUTE: return "route";
  case CODEC_DROP: return "drop";
  case CODEC_LOOP: return "loop";
  case CODEC_CTRL: return "ctrl";
  }
  return NULL;
}
