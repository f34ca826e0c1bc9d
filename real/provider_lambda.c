/* AWS Lambda through its Invoke API, signed with SigV4 by libcurl.
 *
 * Sources of the mapping:
 *  - Invoke API, https://docs.aws.amazon.com/lambda/latest/api/API_Invoke.html:
 *    POST /2015-03-31/functions/FunctionName/invocations with
 *    X-Amz-Invocation-Type: RequestResponse and X-Amz-Log-Type: Tail; the
 *    answer's X-Amz-Function-Error (Handled / Unhandled) marks a function
 *    error under a 200, X-Amz-Log-Result carries the last 4 KB of the
 *    execution log in base64; TooManyRequestsException is a 429 whose type
 *    the x-amzn-ErrorType header names (the restJson1 error protocol).
 *  - The REPORT line of that log, "Lambda function logs",
 *    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs.html
 *    (parsed by provider__lambda_report, provider_report.c).
 *  - Signing: CURLOPT_AWS_SIGV4 ("aws:amz:REGION:SERVICE", key id and secret
 *    through CURLOPT_USERPWD), https://curl.se/libcurl/c/CURLOPT_AWS_SIGV4.html;
 *    temporary credentials add X-Amz-Security-Token, "Signature Version 4
 *    signing process", https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html.
 * 401 / 403 -> auth, other 4xx / 5xx -> http_4xx / http_5xx (provider__status). */
#include "provider.h"

#include <string.h>

#include <glib.h>

/* A log tail is 4 KB: 5,464 base64 characters. Longer is not trusted. */
#define LOG_RESULT_MAX 8192

int provider__aws_sign(const struct provider *p, struct http_req *out, char **err) {
  const struct provider_secret *s = &p->secret;
  if (!s->access_key_id || !s->secret_access_key || !*s->access_key_id || !*s->secret_access_key) {
    if (err) *err = g_strdup_printf("provider %s: no AWS credentials (profile.h)", p->name);
    return CM_EINVAL;
  }
  if (!p->region || !*p->region) {
    if (err) *err = g_strdup_printf("provider %s: no AWS region", p->name);
    return CM_EINVAL;
  }
  out->aws_sigv4 = g_strdup_printf("aws:amz:%s:lambda", p->region);
  out->userpwd = g_strdup_printf("%s:%s", s->access_key_id, s->secret_access_key);
  if (s->session_token && *s->session_token) {
    size_t n = g_strv_length(out->headers);
    out->headers = g_renew(char *, out->headers, n + 2);
    out->headers[n] = g_strdup_printf("X-Amz-Security-Token: %s", s->session_token);
    out->headers[n + 1] = NULL;
  }
  return 0;
}

static int prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  static const char *const headers[] = {"X-Amz-Invocation-Type: RequestResponse", "X-Amz-Log-Type: Tail", NULL};
  char *name = provider__path_name(p, inv, err);
  if (!name) return CM_EINVAL;
  char *url = g_strdup_printf("%s/2015-03-31/functions/%s/invocations", p->endpoint, name);
  g_free(name);
  int rc = provider__request(inv, url, headers, out, err);
  if (!rc) rc = provider__aws_sign(p, out, err);
  if (rc) http_req_clear(out);
  return rc;
}

/* The REPORT line of X-Amz-Log-Result, if the header is there: true when
 * it was read into out; a header that is no base64 of a REPORT is flagged. */
static bool log_report(const struct http_resp *r, struct invoke_result *out, bool *malformed) {
  size_t n = 0;
  const char *v = http_resp_header(r, "X-Amz-Log-Result", &n);
  if (!v) return false;
  bool ok = n > 0 && n <= LOG_RESULT_MAX && n % 4 == 0;
  for (size_t i = 0; ok && i < n; i++)
    ok = g_ascii_isalnum(v[i]) || v[i] == '+' || v[i] == '/' || (v[i] == '=' && i + 2 >= n);
  if (ok) {
    char *b64 = g_strndup(v, n);
    gsize len = 0;
    guchar *tail = g_base64_decode(b64, &len);
    ok = provider__lambda_report((const char *)tail, len, out, NULL);
    g_free(tail);
    g_free(b64);
  }
  if (!ok && malformed) *malformed = true;
  return ok;
}

void provider__aws_status(const struct http_resp *r, struct invoke_result *out, const char **reason) {
  static const char tmr[] = "TooManyRequestsException";
  const size_t k = sizeof tmr - 1;
  size_t n = 0;
  provider__status(r, out, reason);
  const char *type = http_resp_header(r, "x-amzn-ErrorType", &n);
  if (out->status != INVOKE_NETWORK && type && n >= k && !strncmp(type, tmr, k) && (n == k || type[k] == ':')) {
    out->status = INVOKE_THROTTLED;
    *reason = "throttled";
  }
}

static void interpret(const struct provider *p CM_UNUSED, const struct http_resp *r, struct invoke_result *out,
                      const char **reason, bool *malformed) {
  provider__aws_status(r, out, reason);
  if (out->status != INVOKE_OK) return;
  provider__ok_body(r, out, malformed);
  if (http_resp_header(r, "X-Amz-Function-Error", NULL)) {
    out->status = INVOKE_ERROR;
    *reason = "function_error";
  }
  log_report(r, out, malformed);
}

const struct provider_ops provider_lambda = {.kind = "lambda", .prepare = prepare, .interpret = interpret};
