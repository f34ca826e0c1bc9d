/* Placeholder: the Redis client comes in the next commit. */
#include "store.h"

#include <glib.h>

struct store_client *store_redis_new(env *e CM_UNUSED, const struct store_endpoint *ep, char **err) {
  if (err) *err = g_strdup_printf("store %s: kind %s is not built yet", ep->name, ep->kind);
  return NULL;
}
