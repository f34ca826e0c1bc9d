/* AWS Lambda function URLs: the function's own HTTPS endpoint, one per
 * function, so the profile's endpoint may hold {function} (expanded to the
 * remote name; without it every function goes to the one URL).
 *
 * Sources of the mapping: "Invoking Lambda function URLs",
 * https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html (POST
 * to https://<url-id>.lambda-url.<region>.on.aws; the request payload is
 * the body; AWS_IAM auth signs with SigV4 for service "lambda"; a throttled
 * call answers 429 TooManyRequestsException); "Control access to function
 * URLs", https://docs.aws.amazon.com/lambda/latest/dg/urls-auth.html (auth
 * type NONE needs no signature: without credentials the request goes
 * unsigned). No log tail comes back: timing is the handler's self-report.
 * 401 / 403 -> auth, other 4xx / 5xx -> http_4xx / http_5xx (provider__status). */
#include "provider.h"

#include <string.h>

#include <glib.h>

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char **parts = g_strsplit(p->endpoint, "{function}", -1);
  char *url = g_strjoinv(name, parts);
  g_strfreev(parts);
  g_free(name);
  int rc = provider__request(inv, url, NULL, out, err);
  if (!rc && p->secret.access_key_id) rc = provider__aws_sign(p, out, err);
  if (rc) http_req_clear(out);
  return rc;
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__aws_status(r, out, reason);
  if (out->status == INVOKE_OK) provider__ok_body(r, out, malformed);
}

const struct provider_ops provider_lambda_url = {.kind = "lambda-url", .prepare = prepare, .interpret = interpret};
