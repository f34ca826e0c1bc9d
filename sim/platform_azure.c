/* Azure Functions: a per-app concurrency limit; the seed (6.6) simulates
 * one of 20. Over it the host answers HTTP 429 at once, as it does when
 * host.json's http.maxConcurrentRequests / maxOutstandingRequests are
 * exceeded with dynamic throttles on (Azure Functions host.json reference,
 * "http"), so queue_max is ignored. */
#include "faas.h"
#include "platform.h"

static void azure_defaults(struct faas_provider *p) {
  if (p->container_concurrency == 0) p->container_concurrency = 1;
}

const struct platform_ops platform_azure = {
    .name = "azure",
    .fits = platform_fits_slots,
    .when_full = platform_refuse,
    .defaults = azure_defaults,
    /* An HTTP-triggered function must answer within 230 s, the Azure Load
     * Balancer's idle timeout, whatever functionTimeout says (Azure
     * Functions docs, "Function app timeout duration"). */
    .default_timeout = CM_S(230),
    .http_refused = 429,
    .http_queue_timeout = 429, /* never queues */
};
