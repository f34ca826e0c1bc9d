/* Google Cloud Run: at most concurrency_limit instances (max instances),
 * each serving up to container_concurrency requests at once, so
 * max instances x container concurrency requests run at a time. Beyond
 * that a request is pending: it waits for a free instance for up to
 * queue_timeout and then fails with HTTP 429 "no available instance"
 * (Cloud Run docs, "About instance autoscaling": pending requests wait up to
 * 3.5 x the average instance start-up time or 10 s, whichever is longer;
 * the default here is 10 s). We report it as INVOKE_THROTTLED: the request
 * never ran, and the reason is the limit. queue_max bounds the pending
 * requests (0 = refuse at once with 429). */
#include "faas.h"
#include "platform.h"

static void cloudrun_defaults(struct faas_provider *p) {
  /* Default maximum concurrent requests per instance: 80 (Cloud Run docs,
   * "Maximum concurrent requests per instance"). */
  if (p->container_concurrency == 0) p->container_concurrency = 80;
  if (p->queue_max > 0 && p->queue_timeout == 0) p->queue_timeout = CM_S(10);
}

const struct platform_ops platform_cloudrun = {
    .name = "cloudrun",
    .fits = platform_fits_slots,
    .when_full = platform_queue_bounded,
    .defaults = cloudrun_defaults,
    /* Default request timeout 300 s; a late response becomes HTTP 504
     * (Cloud Run docs, "Set request timeout for services"). */
    .default_timeout = CM_S(300),
    .http_refused = 429,
    .http_queue_timeout = 429,
};
