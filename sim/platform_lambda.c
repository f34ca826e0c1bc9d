/* AWS Lambda: an account-level concurrency limit (running execution
 * environments across all functions of the provider, each serving one
 * request at a time). A request over the limit is throttled at once with
 * HTTP 429 TooManyRequestsException; synchronous invocations are never
 * queued (AWS Lambda Developer Guide, "Lambda function scaling" and the
 * Invoke API's error list), so queue_max is ignored. */
#include "faas.h"
#include "platform.h"

static void lambda_defaults(struct faas_provider *p) {
  if (p->container_concurrency == 0) p->container_concurrency = 1; /* one request per execution environment */
}

const struct platform_ops platform_lambda = {
    .name = "lambda",
    .fits = platform_fits_slots,
    .when_full = platform_refuse,
    .defaults = lambda_defaults,
    /* The longest a function may run: 900 s (AWS Lambda quotas, "Function
     * timeout: 900 seconds (15 minutes)"). */
    .default_timeout = CM_S(900),
    .http_refused = 429,
    .http_queue_timeout = 429, /* never queues */
};
