/* Azure Functions through an HTTP trigger.
 *
 * Sources of the mapping: "Azure Functions HTTP trigger",
 * https://learn.microsoft.com/azure/azure-functions/functions-bindings-http-webhook-trigger
 * (POST {app}/api/{function}: "api" is the default routePrefix of
 * host.json; a function- or host-level key goes in the x-functions-key
 * header; a missing or wrong key answers 401); host.json reference,
 * https://learn.microsoft.com/azure/azure-functions/functions-host-json#http
 * (maxOutstandingRequests / maxConcurrentRequests: the host answers 429
 * when busy -> throttled). The platform reports no timing: the handler's
 * self-report. 401 / 403 -> auth, other 4xx / 5xx -> http_4xx / http_5xx. */
#include "provider.h"

#include <glib.h>

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char *url = g_strdup_printf("%s/api/%s", p->endpoint, name);
  g_free(name);
  char *key = p->secret.function_key ? g_strdup_printf("x-functions-key: %s", p->secret.function_key) : NULL;
  const char *const headers[] = {key, NULL};
  int rc = provider__request(inv, url, headers, out, err);
  provider__free_secret(key);
  return rc;
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__interpret_plain(r, false, out, reason, malformed);
}

const struct provider_ops provider_azure = {.kind = "azure", .prepare = prepare, .interpret = interpret};
