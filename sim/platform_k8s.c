/* Open-source serverless frameworks on Kubernetes, at the local edge, the
 * remote edge (AWS Wavelength) or in a cloud cluster: OpenFaaS and Fission.
 * Both have a replica limit (concurrency_limit x container_concurrency
 * requests at a time) and the cluster's capacity: nodes nodes, each with
 * cpu_cores, memory_mb (0 = unlimited) and pods_per_node; each running
 * request is a pod holding its bin's vcpu and memory_mb on the first node
 * with room (first fit, as the scheduler's default scoring would place a
 * pod on any feasible node; which one does not matter to the model), the
 * seed's limited edge (6.6 simulates an edge limit of 5).
 *
 * When neither admits a request, it waits in a FIFO queue of at most
 * queue_max, as behind the OpenFaaS gateway when a watchdog's max_inflight
 * is reached and the gateway (or its queue-worker) holds and retries the
 * request, or behind Fission's router while the executor finds a pod. A
 * request still waiting after queue_timeout fails with HTTP 503 (no ready
 * endpoint); with queue_max 0 the request is refused at once with 429, the
 * of-watchdog's max_inflight answer (OpenFaaS docs, "Watchdog"). The queue
 * is strictly FIFO: a head request too big for the free capacity holds back
 * the smaller ones behind it. */
#include "faas.h"
#include "platform.h"

/* Pods per node: the kubelet's --max-pods default, 110 (Kubernetes docs,
 * "kubelet" command-line reference, and "Considerations for large
 * clusters": no more than 110 pods per node). One node unless the scenario
 * says how many. */
#define K8S_MAX_PODS_PER_NODE 110

static void cluster_defaults(struct faas_provider *p) {
  if (p->nodes == 0) p->nodes = 1;
  if (p->pods_per_node == 0) p->pods_per_node = K8S_MAX_PODS_PER_NODE;
}

/* Default queue wait: the OpenFaaS gateway's upstream timeout, 60 s
 * (faas-netes Helm chart values.yaml, gateway.upstreamTimeout "60s"). */
static void openfaas_defaults(struct faas_provider *p) {
  if (p->container_concurrency == 0) p->container_concurrency = 1;
  if (p->queue_max > 0 && p->queue_timeout == 0) p->queue_timeout = CM_S(60);
  cluster_defaults(p);
}

/* Default queue wait: Fission's function timeout, 60 s (fission function
 * create --fntimeout, "default 60"). */
static void fission_defaults(struct faas_provider *p) {
  if (p->container_concurrency == 0) p->container_concurrency = 1;
  if (p->queue_max > 0 && p->queue_timeout == 0) p->queue_timeout = CM_S(60);
  cluster_defaults(p);
}

const struct platform_ops platform_openfaas = {
    .name = "openfaas",
    .fits = platform_fits_slots_and_capacity,
    .when_full = platform_queue_bounded,
    .defaults = openfaas_defaults,
    .default_timeout = CM_S(60), /* gateway.upstreamTimeout, as above */
    .has_nodes = true,
    .http_refused = 429,
    .http_queue_timeout = 503,
};

const struct platform_ops platform_fission = {
    .name = "fission",
    .fits = platform_fits_slots_and_capacity,
    .when_full = platform_queue_bounded,
    .defaults = fission_defaults,
    .default_timeout = CM_S(60), /* --fntimeout default, as above */
    .has_nodes = true,
    .http_refused = 429,
    .http_queue_timeout = 503,
};
