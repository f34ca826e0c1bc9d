/* Placeholder for the Azure Blob client (store.h), written in another branch. */
#include "store.h"

#include <glib.h>

struct store_client *store_azure_new(env *e CM_UNUSED, const struct store_endpoint *ep, char **err) {
  if (err) *err = g_strdup_printf("store %s: kind %s is not built in this branch", ep->name, ep->kind);
  return NULL;
}
