/* Fission through its router.
 *
 * Sources of the mapping: Fission architecture, "Router",
 * https://fission.io/docs/architecture/router/ (every function is served
 * at the internal route /fission-function/<name> besides its HTTP
 * triggers; the router forwards to a function pod, asking the executor for
 * one on a cold start); the router answers 429 when a function is at its
 * request limit and 503 when no pod could be had in time -> throttled, as
 * the simulator's fission platform does (sim/platform_k8s.c). No timing
 * header: the handler's self-report. 401 / 403 -> auth, other 4xx / 5xx ->
 * http_4xx / http_5xx. */
#include "provider.h"

#include <glib.h>

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char *url = g_strdup_printf("%s/fission-function/%s", p->endpoint, name);
  g_free(name);
  return provider__request(inv, url, NULL, out, err);
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__interpret_plain(r, true, out, reason, malformed);
}

const struct provider_ops provider_fission = {.kind = "fission", .prepare = prepare, .interpret = interpret};
