/* OpenFaaS through its gateway.
 *
 * Sources of the mapping: "Gateway", https://docs.openfaas.com/architecture/gateway/
 * (synchronous calls are POST {gateway}/function/{name}; the gateway adds
 * X-Duration-Seconds, the function's duration in seconds, to the answer);
 * of-watchdog's README, https://github.com/openfaas/of-watchdog
 * (max_inflight: a request over the limit answers 429 -> throttled); a
 * request that waited in a queue in vain answers 503 -> throttled, as the
 * simulator's openfaas platform does (sim/platform_k8s.c). 401 / 403 ->
 * auth, other 4xx / 5xx -> http_4xx / http_5xx. */
#include "provider.h"

#include <math.h>
#include <string.h>

#include <glib.h>

/* A duration header longer than this or above a day is not trusted. */
#define DURATION_CHARS_MAX 32
#define DURATION_S_MAX 86400.0

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char *url = g_strdup_printf("%s/function/%s", p->endpoint, name);
  g_free(name);
  return provider__request(inv, url, NULL, out, err);
}

/* X-Duration-Seconds: digits with an optional fraction ("0.012345"). */
static void duration(const struct http_resp *r, struct invoke_result *out, bool *malformed) {
  size_t n = 0, dots = 0, i;
  const char *v = http_resp_header(r, "X-Duration-Seconds", &n);
  if (!v) return;
  char buf[DURATION_CHARS_MAX + 1];
  bool ok = n > 0 && n <= DURATION_CHARS_MAX && g_ascii_isdigit(v[0]);
  for (i = 0; ok && i < n; i++) ok = g_ascii_isdigit(v[i]) || (v[i] == '.' && ++dots == 1 && i + 1 < n);
  double s = -1;
  if (ok) {
    memcpy(buf, v, n);
    buf[n] = '\0';
    s = g_ascii_strtod(buf, NULL);
  }
  if (ok && isfinite(s) && s <= DURATION_S_MAX)
    out->exec_time = cm_time_from_s(s);
  else if (malformed)
    *malformed = true;
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__interpret_plain(r, true, out, reason, malformed);
  if (out->status == INVOKE_OK) duration(r, out, malformed);
}

const struct provider_ops provider_openfaas = {.kind = "openfaas", .prepare = prepare, .interpret = interpret};
