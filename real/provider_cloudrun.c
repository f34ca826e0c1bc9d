/* Google Cloud Run. Path convention: one Cloud Run service runs our
 * handler for every function of the scenario and routes by path, so a call
 * is POST {endpoint}/{name}, {endpoint} being the service URL and {name}
 * the expanded function_name. With one service per function, give each its
 * own provider and a fixed function_name (the handler ignores the path).
 *
 * Sources of the mapping: "Authenticate service-to-service",
 * https://cloud.google.com/run/docs/authenticating/service-to-service
 * (Authorization: Bearer <Google-signed ID token>, fetched from the
 * metadata server with Metadata-Flavor: Google; a missing or bad token
 * answers 401 / 403); "Troubleshoot Cloud Run issues",
 * https://cloud.google.com/run/docs/troubleshooting ("429 Too Many
 * Requests ... no available instance" -> throttled). The platform reports
 * no timing: the handler's self-report. 401 / 403 -> auth, other 4xx / 5xx
 * -> http_4xx / http_5xx. */
#include "provider.h"

#include <glib.h>

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char *url = g_strdup_printf("%s/%s", p->endpoint, name);
  g_free(name);
  char *auth = p->secret.bearer_token ? g_strdup_printf("Authorization: Bearer %s", p->secret.bearer_token) : NULL;
  const char *const headers[] = {auth, NULL};
  int rc = provider__request(inv, url, headers, out, err);
  provider__free_secret(auth);
  return rc;
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__interpret_plain(r, false, out, reason, malformed);
}

const struct provider_ops provider_cloudrun = {.kind = "cloudrun", .prepare = prepare, .interpret = interpret};
