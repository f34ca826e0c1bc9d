/* The storage client factory (store.h): one constructor per kind. */
#include "store.h"

#include <string.h>

#include <glib.h>

struct store_client *store_client_new(env *e, const struct store_endpoint *ep, char **err) {
  static const struct {
    const char *kind;
    struct store_client *(*make)(env *e, const struct store_endpoint *ep, char **err);
  } kinds[] = {{"redis", store_redis_new}, {"s3", store_s3_new}, {"gcs", store_s3_new},
               {"azure-blob", store_azure_new}};
  for (size_t i = 0; ep && ep->kind && i < G_N_ELEMENTS(kinds); i++) {
    if (strcmp(ep->kind, kinds[i].kind)) continue;
    struct store_client *c = kinds[i].make(e, ep, err);
    if (c) c->timeout = ep->timeout;
    return c;
  }
  if (err) *err = g_strdup_printf("store %s: unknown kind '%s' (expected redis, s3, gcs or azure-blob)",
                                  ep && ep->name ? ep->name : "?", ep && ep->kind ? ep->kind : "");
  return NULL;
}
