/* Cost model (seed 5.1.2): billed duration and price of one invocation, and
 * the built-in price lists. Free tiers, savings plans and committed-use
 * discounts are excluded, as the seed does. Each list below says where its
 * figures come from and when; "stored copy" means the page as kept in the
 * project's search corpus, read 2026-11 (the copies carry no date of their
 * own). Prices are on-demand US list prices in US dollars. */
#include "cloudless/cost.h"

#include <math.h>
#include <string.h>

cm_time cost_billed(const struct cost_price *p, cm_time exec) {
  if (exec <= 0) return 0; /* did not run: no duration to bill */
  cm_time d = exec;
  if (p->granularity > 0) {
    cm_time g = p->granularity;
    d = d / g * g + (d % g ? g : 0);
  }
  return d < p->minimum ? p->minimum : d;
}

double cost_invocation(const struct cost_price *p, cm_time exec, bool charged) {
  if (!charged) return 0;
  double s = cm_time_to_s(cost_billed(p, exec));
  switch (p->kind) {
  case COST_FREE: return 0;
  case COST_GB_S: return s * p->memory_gb * p->usd_per_gb_s + p->usd_per_request;
  case COST_VCPU_GIB_S:
    return s * (p->vcpu * p->usd_per_vcpu_s + p->memory_gb * p->usd_per_gib_s) + p->usd_per_request;
  case COST_CLUSTER: return s * p->cluster_usd_per_s + p->usd_per_request;
  }
  return 0;
}

/* AWS Lambda, x86, US East (N. Virginia), first pricing tier (the first 6
 * billion GB-s of a month): $0.0000166667 per GB-s and $0.20 per million
 * requests ($0.0000002 each); duration rounded up to 1 ms (since
 * 2020-12-01), memory as configured (128 MB to 10,240 MB; GB = 1024 MB).
 * Sources: https://aws.amazon.com/lambda/pricing/ and
 * https://docs.aws.amazon.com/whitepapers/latest/how-aws-pricing-works/lambda.html
 * (stored copies: "$0.20 per 1 million requests", "rounded up to the nearest
 * 1 ms", "$0.00001667 for every GB-second", the rounded form of the price
 * table's 0.0000166667). */
#define LAMBDA_GB_S 0.0000166667
#define LAMBDA_REQ 0.0000002

/* Azure Functions, Consumption plan: $0.000016 per GB-s and $0.20 per
 * million executions; memory rounded up to the nearest 128 MB up to the
 * 1,536 MB maximum, execution time rounded up to the nearest 1 ms, with a
 * minimum of 100 ms and 128 MB per execution. Source:
 * https://azure.microsoft.com/en-us/pricing/details/functions/ (stored copy:
 * the rounding to 128 MB, the 1,536 MB maximum and the 1 ms rounding; the
 * stored copy shows the rates as "$-", so $0.000016 and $0.20/million are
 * from https://modal.com/blog/azure-function-pricing-guide (stored copy,
 * East US) and the code of Azure's own Paul Batum,
 * https://gist.github.com/paulbatum/2b16c5f92351ed1c59e3a2b8a727ca97 (2022);
 * the 100 ms minimum is the pricing page's long-published footnote, cut
 * off in the stored copy and not re-checked). */
#define AZURE_GB_S 0.000016
#define AZURE_REQ 0.0000002
#define AZURE_MEM_STEP_MB 128.0
#define AZURE_MEM_MAX_MB 1536.0

/* Google Cloud Run, request-based billing ("CPU only allocated during
 * request processing"), Tier 1 regions: $0.000024 per vCPU-s, $0.0000025
 * per GiB-s and $0.40 per million requests, "rounded up to the nearest 100
 * millisecond". Source: https://cloud.google.com/run/pricing (stored copy:
 * the 100 ms rounding and "$0.00002400 / vCPU-second"); the GiB-s and
 * request figures from https://cloudwebschool.com/tools/cloud-run-cost-calculator/
 * (stored copy, quoting the same table). */
#define CLOUDRUN_VCPU_S 0.000024
#define CLOUDRUN_GIB_S 0.0000025
#define CLOUDRUN_REQ 0.0000004

/* Kubernetes clusters running OpenFaaS or Fission (seed 5.1.2 b): an
 * invocation costs its execution time x the cluster's $/s, for a small
 * cluster of 3 two-vCPU, 8 GiB nodes plus the managed control plane:
 *  - EKS: control plane $0.10/h (https://aws.amazon.com/eks/pricing/; stored
 *    copies of https://kindatechnical.com/aws-eks/lesson-31-understanding-eks-pricing.html,
 *    "as of October 2023", and https://cloudburn.io/blog/amazon-eks-pricing,
 *    March 2026, "$73/month per cluster") + 3 x m5.large at $0.096/h
 *    (us-east-1 Linux on-demand; the kindatechnical page, October 2023).
 *  - AKS: Standard tier control plane $0.10/h (the Free tier is excluded, as
 *    free tiers are; https://techcommunity.microsoft.com/t5/apps-on-azure-blog/aks-introduces-uptime-sla/ba-p/1350832,
 *    2020, stored copy) + 3 x Standard_D2s_v3 at $0.096/h (East US, Linux,
 *    pay as you go: the well-known list price from
 *    https://azure.microsoft.com/en-us/pricing/details/virtual-machines/linux/,
 *    not found in the stored pages and not re-checked).
 *  - GKE: cluster management fee $0.10/h
 *    (https://cloud.google.com/kubernetes-engine/pricing, stored copy) + 3 x
 *    e2-standard-2 at $0.067006/h (us-central1 on-demand: the well-known
 *    list price from https://cloud.google.com/compute/vm-instance-pricing,
 *    not found in the stored pages and not re-checked).
 * Per-second fees: (0.10 + 3 x 0.096) / 3600 = $1.0778e-4/s for EKS and AKS,
 * (0.10 + 3 x 0.067006) / 3600 = $8.3616e-5/s for GKE. */
#define EKS_USD_PER_H (0.10 + 3 * 0.096)
#define AKS_USD_PER_H (0.10 + 3 * 0.096)
#define GKE_USD_PER_H (0.10 + 3 * 0.067006)

enum family { F_LAMBDA, F_AZURE, F_CLOUDRUN, F_EKS, F_AKS, F_GKE, F_EDGE };

struct entry {
  const char *name;
  enum family f;
};

static const struct entry entries[] = {
    {"lambda", F_LAMBDA},        {"aws-lambda", F_LAMBDA},     {"azure", F_AZURE},
    {"azure-functions", F_AZURE}, {"cloudrun", F_CLOUDRUN},    {"gcp-cloudrun", F_CLOUDRUN},
    {"openfaas-eks", F_EKS},     {"fission-eks", F_EKS},       {"openfaas-aks", F_AKS},
    {"fission-aks", F_AKS},      {"openfaas-gke", F_GKE},      {"fission-gke", F_GKE},
    {"edge", F_EDGE},            {"openfaas-edge", F_EDGE},    {"fission-edge", F_EDGE},
};

static const char *const sources[] = {
    [F_LAMBDA] = "AWS Lambda x86 us-east-1: $0.0000166667/GB-s, $0.20/M requests, 1 ms billing; "
                 "https://aws.amazon.com/lambda/pricing/ (stored copy read 2026-11)",
    [F_AZURE] = "Azure Functions Consumption: $0.000016/GB-s, $0.20/M executions, memory rounded up to 128 MB "
                "(max 1536), min 100 ms; https://azure.microsoft.com/en-us/pricing/details/functions/ "
                "(stored copy read 2026-11; 100 ms minimum not re-checked)",
    [F_CLOUDRUN] = "Cloud Run request-based Tier 1: $0.000024/vCPU-s, $0.0000025/GiB-s, $0.40/M requests, "
                   "100 ms rounding; https://cloud.google.com/run/pricing (stored copy read 2026-11)",
    [F_EKS] = "EKS $0.10/h + 3 x m5.large $0.096/h (us-east-1, October 2023), per second; "
              "https://aws.amazon.com/eks/pricing/",
    [F_AKS] = "AKS Standard tier $0.10/h + 3 x D2s_v3 $0.096/h (East US Linux; VM price not re-checked), "
              "per second; https://azure.microsoft.com/en-us/pricing/details/kubernetes-service/",
    [F_GKE] = "GKE $0.10/h + 3 x e2-standard-2 $0.067006/h (us-central1; VM price not re-checked), per second; "
              "https://cloud.google.com/kubernetes-engine/pricing",
    [F_EDGE] = "edge: free (seed 5.1.2 c: users own the edge)",
};

static const struct entry *find(const char *name) {
  if (!name) return NULL;
  for (size_t i = 0; i < sizeof(entries) / sizeof(entries[0]); i++)
    if (strcmp(entries[i].name, name) == 0) return &entries[i];
  return NULL;
}

static struct cost_price cluster(double usd_per_h) {
  return (struct cost_price){.kind = COST_CLUSTER, .cluster_usd_per_s = usd_per_h / 3600.0};
}

int cost_price_builtin(const char *name, double memory_mb, double vcpu, struct cost_price *out) {
  const struct entry *en = find(name);
  if (!en) return name ? CM_ENOENT : CM_EINVAL;
  bool serverless = en->f == F_LAMBDA || en->f == F_AZURE || en->f == F_CLOUDRUN;
  if (!out || (serverless && !(memory_mb > 0 && isfinite(memory_mb)))) return CM_EINVAL;
  if (en->f == F_CLOUDRUN && !(vcpu > 0 && isfinite(vcpu))) return CM_EINVAL;
  switch (en->f) {
  case F_LAMBDA:
    *out = (struct cost_price){.kind = COST_GB_S, .usd_per_gb_s = LAMBDA_GB_S, .usd_per_request = LAMBDA_REQ,
                               .granularity = CM_MS(1), .memory_gb = memory_mb / 1024.0, .vcpu = vcpu};
    break;
  case F_AZURE: {
    double mb = ceil(memory_mb / AZURE_MEM_STEP_MB) * AZURE_MEM_STEP_MB;
    if (mb > AZURE_MEM_MAX_MB) mb = AZURE_MEM_MAX_MB;
    *out = (struct cost_price){.kind = COST_GB_S, .usd_per_gb_s = AZURE_GB_S, .usd_per_request = AZURE_REQ,
                               .granularity = CM_MS(1), .minimum = CM_MS(100), .memory_gb = mb / 1024.0,
                               .vcpu = vcpu};
    break;
  }
  case F_CLOUDRUN:
    *out = (struct cost_price){.kind = COST_VCPU_GIB_S, .usd_per_vcpu_s = CLOUDRUN_VCPU_S,
                               .usd_per_gib_s = CLOUDRUN_GIB_S, .usd_per_request = CLOUDRUN_REQ,
                               .granularity = CM_MS(100), .memory_gb = memory_mb / 1024.0, .vcpu = vcpu};
    break;
  case F_EKS: *out = cluster(EKS_USD_PER_H); break;
  case F_AKS: *out = cluster(AKS_USD_PER_H); break;
  case F_GKE: *out = cluster(GKE_USD_PER_H); break;
  case F_EDGE: *out = (struct cost_price){.kind = COST_FREE}; break;
  }
  if (en->f >= F_EKS) {
    out->memory_gb = memory_mb > 0 ? memory_mb / 1024.0 : 0;
    out->vcpu = vcpu > 0 ? vcpu : 0;
  }
  return CM_OK;
}

const char *cost_source(const char *name) {
  const struct entry *en = find(name);
  return en ? sources[en->f] : NULL;
}
