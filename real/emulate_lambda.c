/* AWS Lambda's answers, as the Invoke API (POST
 * /2015-03-31/functions/NAME/invocations) and a function URL (POST
 * /url/NAME/) give them for the world's result:
 *  - ok: 200, the handler's body, X-Amz-Executed-Version: $LATEST and
 *    X-Amz-Request-Id; with X-Amz-Log-Type: Tail also X-Amz-Log-Result, the
 *    base64 of a log tail ending in Lambda's REPORT line (Duration, Billed
 *    Duration rounded up to 1 ms as Lambda bills and as the simulator's cost
 *    model does, Memory Size, Max Memory Used, and Init Duration on a cold
 *    start).
 *  - throttled: 429, x-amzn-ErrorType: TooManyRequestsException and the
 *    Invoke API's error body. The Reason is ConcurrentInvocationLimitExceeded:
 *    the world's Lambda limit is the account's (sim/platform_lambda.c), not
 *    a reserved concurrency.
 *  - an error after the function ran (the world kills a function that
 *    outgrows its bin's memory): a function error, 200 with
 *    X-Amz-Function-Error: Unhandled and an errorMessage body, as Lambda
 *    answers an out-of-memory kill; the REPORT tail too.
 *  - an error before it ran (an outage, a background or scripted error: the
 *    platform failed, no code ran): 500 with x-amzn-ErrorType:
 *    ServiceException, the status the world gives (sim/faas.h).
 *  - timeout: 504 at the deadline (the world's answer for a client deadline).
 * A function URL answers the body alone; its function error is 502, as
 * Lambda's URLs turn an unhandled error into 502 Bad Gateway. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "emulate_impl.h"

/* Did the function run (a function error) or did the platform fail first? */
static bool ran(const struct invoke_result *res) { return res->exec_time > 0 || res->mem_samples > 0; }

static char *report_tail(const struct emu_call *c, const char *rid, const struct invoke_result *res) {
  double ms = (double)res->exec_time / 1e6;
  long long billed = res->exec_time > 0 ? (long long)((res->exec_time + CM_MS(1) - 1) / CM_MS(1)) : 0;
  GString *s = g_string_new(NULL);
  g_string_append_printf(s, "START RequestId: %s Version: $LATEST\n", rid);
  if (res->status != INVOKE_OK)
    g_string_append_printf(s, "RequestId: %s Error: Runtime exited with error: signal: killed\n"
                              "Runtime.ExitError\n", rid);
  g_string_append_printf(s, "END RequestId: %s\n", rid);
  g_string_append_printf(s, "REPORT RequestId: %s\tDuration: %.2f ms\tBilled Duration: %lld ms\tMemory Size: %.0f MB\t"
                            "Max Memory Used: %.0f MB\t", rid, ms, billed, c->p->bins[c->bin].memory_mb,
                         ceil(res->mem_peak_mb));
  if (res->cold_start) g_string_append_printf(s, "Init Duration: %.2f ms\t", (double)res->init_time / 1e6);
  g_string_append_c(s, '\n');
  char *b64 = g_base64_encode((const guchar *)s->str, s->len);
  g_string_free(s, TRUE);
  return b64;
}

static void lambda_answer(const struct emu_call *c, const struct invoke_result *res, SoupServerMessage *msg) {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  bool url = c->route == 1;
  char *rid = g_uuid_string_random();
  soup_message_headers_replace(h, url ? "x-amzn-RequestId" : "X-Amz-Request-Id", rid);
  size_t len;
  switch (res->status) {
  case INVOKE_OK: {
    if (!url) soup_message_headers_replace(h, "X-Amz-Executed-Version", "$LATEST");
    if (!url && c->log_tail) {
      char *t = report_tail(c, rid, res);
      soup_message_headers_replace(h, "X-Amz-Log-Result", t);
      g_free(t);
    }
    char *b = emu__handler_body(c, res, &len);
    emu__reply(msg, 200, "application/json", b, len);
    break;
  }
  case INVOKE_THROTTLED:
    soup_message_headers_replace(h, "x-amzn-ErrorType", "TooManyRequestsException");
    if (url) {
      emu__reply(msg, 429, "application/json", g_strdup("{\"Message\":\"Rate Exceeded.\"}"), 28);
    } else {
      char *b = g_strdup("{\"Reason\":\"ConcurrentInvocationLimitExceeded\",\"Type\":\"User\",\"message\":\"Rate Exceeded.\"}");
      emu__reply(msg, 429, "application/json", b, strlen(b));
    }
    break;
  case INVOKE_ERROR:
    if (ran(res)) {
      if (url) {
        emu__reply(msg, 502, "application/json", g_strdup("{\"Message\":\"Internal Server Error\"}"), 35);
        break;
      }
      soup_message_headers_replace(h, "X-Amz-Executed-Version", "$LATEST");
      soup_message_headers_replace(h, "X-Amz-Function-Error", "Unhandled");
      if (c->log_tail) {
        char *t = report_tail(c, rid, res);
        soup_message_headers_replace(h, "X-Amz-Log-Result", t);
        g_free(t);
      }
      char *b = g_strdup_printf("{\"errorType\":\"Runtime.ExitError\",\"errorMessage\":\"RequestId: %s Error: Runtime "
                                "exited with error: signal: killed\"}", rid);
      emu__reply(msg, 200, "application/json", b, strlen(b));
    } else {
      soup_message_headers_replace(h, "x-amzn-ErrorType", "ServiceException");
      char *b = g_strdup_printf("{\"Type\":\"Service\",\"message\":\"An internal error occurred (emulated outage or "
                                "error)\"}");
      emu__reply(msg, res->http_status ? res->http_status : 500, "application/json", b, strlen(b));
    }
    break;
  default: /* INVOKE_TIMEOUT (INVOKE_NETWORK never comes here) */
    emu__reply_text(msg, 504, "deadline exceeded: no answer within the invocation's timeout");
    break;
  }
  g_free(rid);
}

const struct emu_platform emu__lambda = {
    .name = "lambda",
    .routes = {{"/2015-03-31/functions/", "/invocations"}, {"/url/", "/"}},
    .answer = lambda_answer,
};
