/* Cost model (seed 5.1.2): what one invocation costs on a provider, from
 * public price lists. Commercial FaaS bills per GB-s (Lambda, Azure
 * Functions) or per vCPU-s + GiB-s (Cloud Run), each plus a per-request fee,
 * on a billed duration rounded up to the platform's granularity with a
 * minimum; Kubernetes-hosted OpenFaaS / Fission costs execution time x the
 * cluster's $/s; the edge is free. Free tiers are excluded. The price lists
 * and their dates are in cost.c, each with its source. */
#ifndef CM_CLOUDLESS_COST_H
#define CM_CLOUDLESS_COST_H

#include <stdbool.h>

#include "cm.h"

enum cost_kind {
  COST_FREE,         /* edge: no charge */
  COST_GB_S,         /* memory_gb x seconds x usd_per_gb_s + usd_per_request */
  COST_VCPU_GIB_S,   /* (vcpu x usd_per_vcpu_s + memory_gib x usd_per_gib_s) x seconds + usd_per_request */
  COST_CLUSTER       /* seconds x cluster_usd_per_s */
};

struct cost_price {
  enum cost_kind kind;
  double usd_per_gb_s;
  double usd_per_vcpu_s;
  double usd_per_gib_s;
  double usd_per_request;
  double cluster_usd_per_s;
  cm_time granularity;  /* billed duration rounded up to a multiple of this; 0 = exact */
  cm_time minimum;      /* billed duration at least this */
  double memory_gb;     /* of the compute bin (GB = 1024 MB for Lambda/Azure, as they bill) */
  double vcpu;          /* of the compute bin (Cloud Run) */
};

/* The billed duration for an execution of exec ns under p. */
cm_time cost_billed(const struct cost_price *p, cm_time exec);
/* US dollars for one invocation that executed for exec ns (exec 0: a call
 * that failed before running still pays the request fee where the platform
 * charges it; a throttled call (429) is not charged: pass charged = false). */
double cost_invocation(const struct cost_price *p, cm_time exec, bool charged);

/* Built-in price list entry for a platform, filled for a bin of memory_mb
 * and vcpu. Names: "lambda" (= "aws-lambda"), "azure" (= "azure-functions"),
 * "cloudrun" (= "gcp-cloudrun"), "openfaas-eks", "openfaas-aks",
 * "openfaas-gke", "fission-eks", "fission-aks", "fission-gke", "edge",
 * "openfaas-edge", "fission-edge". Azure rounds memory_mb up to a multiple
 * of 128 MB (at most 1536); Cloud Run needs vcpu > 0; the serverless
 * platforms need memory_mb > 0; clusters and the edge ignore both (they are
 * copied into the entry for information). Returns 0, CM_ENOENT for an
 * unknown name, CM_EINVAL for a bad bin or NULL argument. The source and
 * date of each list: cost_source(name) (static string, NULL if unknown). */
int cost_price_builtin(const char *name, double memory_mb, double vcpu, struct cost_price *out);
const char *cost_source(const char *name);

#endif
