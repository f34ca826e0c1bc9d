/* The simulated serverless continuum: provider platforms on three tiers
 * (local edge, remote edge, cloud) answering env_invoke in virtual time.
 *
 * An invocation's latency is built the way a real one is (seed Fig. 4):
 *   uplink   = link latency + request_bytes * 8 / link bandwidth
 *   platform = scheduling delay + (cold start when no warm container is idle)
 *              + queueing when the platform's limit or the edge's capacity
 *              is reached (platforms that queue)
 *   exec     = (overhead + gflop / (gflops_per_vcpu * vcpu(bin)))
 *              * lognormal noise * drift(t) * contention(t) * slowdown(t)
 *   downlink = link latency + response_bytes * 8 / link bandwidth
 * An invocation with an exec_hint (a replayed trace's duration) runs
 *   exec     = exec_hint * drift(t) * contention(t) * slowdown(t)
 * instead: the hint replaces the overhead, the bin's speed and the noise
 * (the trace's duration is one draw, measured on its own hardware, and
 * the trace does not say how fast that was), while the provider's state
 * at that time (drift, contention, a slow-down fault) still applies; with
 * none of those the call runs exactly exec_hint. Memory, cold starts and
 * everything else follow the function's model as usual.
 * Concurrency limits behave as each platform type does (sim/platform.h):
 * Lambda throttles with 429 at its account limit, Cloud Run queues requests
 * beyond max instances x container concurrency and fails them after a
 * timeout, the simulated Azure and edge limits of seed 6.6 throttle or queue.
 * Warm containers are kept for keep_alive after their last use, then
 * reclaimed. Scheduled faults (outage, error rate, slow-down, timeout) and
 * link changes (UAV mobility, intermittent links) are applied by time.
 *
 * Every invocation the world accepts ends in exactly one invoke_result, and
 * the world counts them (struct faas_stats); nothing is lost. Random draws
 * come from streams named "faas:<provider>:<what>", so adding a provider
 * does not change another provider's draws.
 *
 * In detail (the choices the summary above leaves open):
 *  - Uplink jitter |N(0, link_jitter_sd)| is drawn once per call, on the
 *    uplink; the downlink is link latency + response_bytes * 8 / bandwidth.
 *    An error or throttle answer comes back with link latency only (its body
 *    is small). A call's links are read when it is sent (uplink) and when it
 *    starts (downlink); faas_world_set_link changes later calls.
 *  - Faults and background errors are decided when the request arrives at the
 *    provider, except link-down, decided when the call is sent (nothing
 *    arrives over a link that is down). Precedence: link-down, outage,
 *    timeout, errors, slowdown. Errors (background error_rate and ERRORS
 *    faults, combined as independent chances, one draw) and outages fail
 *    with INVOKE_ERROR / HTTP 500 before running: no exec, no slot held.
 *    A TIMEOUT fault holds nothing and answers INVOKE_TIMEOUT at the
 *    deadline. A slowdown multiplies the exec of calls arriving in its
 *    window (also when they start later, from a queue).
 *  - Admission: a running call holds one slot of its provider (and, on
 *    platforms that count capacity, its bin's vcpu and memory) from the
 *    moment it is admitted (before scheduling delay and cold start) until
 *    its exec ends. Queues are FIFO; a call arriving while others are
 *    queued queues behind them.
 *  - Warm containers belong to one (provider, function, bin). With
 *    container_concurrency c > 1 a request is packed onto a busy container
 *    with a free slot first (waiting for its cold start if it is still
 *    starting, reported as a cold start), then onto the most recently idle
 *    one, then a new container starts. keep_alive 0 means no container ever
 *    stays warm. Drift and contention are read when a call starts.
 *  - Timeouts: the deadline is submit + invocation.timeout (0: the
 *    platform's default, sim/platform.h). A result that would reach the
 *    client later becomes INVOKE_TIMEOUT / HTTP 504 with latency = timeout,
 *    no exec, init or memory reported; the platform still runs the call to
 *    its end and frees its slot and container then. A call still uploading
 *    at its deadline never arrives. A queued call whose deadline comes first
 *    is dropped from the queue then. A call over a link that is down fails
 *    with INVOKE_NETWORK (http_status 0: no HTTP answer) at its deadline.
 *  - Queue timeout: INVOKE_THROTTLED with the platform's http_queue_timeout
 *    (Cloud Run 429 "no available instance", OpenFaaS / Fission 503).
 *  - Memory: a function's memory_mb is its peak. Samples every 0.1 s of exec
 *    (mem_samples = max(1, floor(exec / 100 ms))) rise linearly from half
 *    the peak to the peak (a model being loaded, then run): the k-th of n is
 *    peak * (1/2 + k / (2n)), so mem_peak_mb = memory_mb and mem_mean_mb =
 *    memory_mb * (3/4 + 1/(4n)). A function whose memory_mb exceeds its
 *    bin's is killed like an OOM: it takes a slot, a fresh container (a cold
 *    start, reported in init_time; never kept warm), then fails with
 *    INVOKE_ERROR / HTTP 500, exec 0, mem_peak_mb = mem_mean_mb = the bin's
 *    memory, one sample.
 *  - Contention is an alternating on/off process with exponential periods,
 *    started in its stationary state and advanced lazily when a call starts
 *    (no timers); its path depends only on its stream, not on when it is
 *    read. Exec noise is lognormal with mean 1 and the given cv; scheduling
 *    delay and cold start are lognormal with the given mean and cv (cv 0:
 *    the mean exactly, no draw).
 *  - cold_starts in struct faas_stats counts calls reported cold. */
#ifndef CM_FAAS_H
#define CM_FAAS_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"

#define FAAS_MAX_BINS 16
#define FAAS_NAME_MAX 48

enum faas_tier { FAAS_LOCAL_EDGE, FAAS_REMOTE_EDGE, FAAS_CLOUD };

/* One compute configuration of a provider. Lambda-style platforms scale CPU
 * with memory (1769 MB = 1 vCPU, AWS Lambda docs "Memory and computing
 * power"); the world uses vcpu for speed and memory_mb for capacity. */
struct faas_bin {
  double memory_mb;
  double vcpu;
};

/* A function's work. gflop per invocation: the seed's ResNet workload is a
 * 4 MB payload of 30 images at batch size 1, so 30 x the per-image
 * forward-pass FLOPs (He et al. 2016, Table 1). */
struct faas_function {
  char name[FAAS_NAME_MAX];
  double gflop;     /* work per invocation, 1e9 floating-point operations */
  double memory_mb; /* resident memory while running (peak) */
};

/* Slow variation of a provider's speed over time (seed 6.5): exec is
 * multiplied by 1 + drift_amplitude * sin(2 pi t / drift_period + phase)
 * (phase drawn once per provider), and, while the provider is "contended"
 * by other processes (an on/off process with exponential on and off
 * periods), by contention_factor. Edge defaults set contention, so the edge
 * shows the highest variance, as the seed reports. */
struct faas_variability {
  double drift_amplitude;  /* [0, 1); 0 = none */
  cm_time drift_period;
  double contention_factor; /* >= 1; 1 = none */
  cm_time contention_on_mean, contention_off_mean;
};

struct faas_provider {
  char name[FAAS_NAME_MAX];  /* e.g. "aws-lambda", "edge-openfaas" */
  char platform[16];         /* a platform type in sim/platform.h: lambda, azure, cloudrun, openfaas, fission */
  enum faas_tier tier;
  char region[32];           /* e.g. "us-west-1" (informational) */
  struct faas_bin bins[FAAS_MAX_BINS];
  uint32_t nbins;
  double gflops_per_vcpu;    /* sustained inference speed of one vCPU */
  cm_time exec_overhead;     /* per-invocation fixed part of exec (runtime, model load from a warm container) */
  double exec_cv;            /* lognormal noise of exec, sd/mean */
  cm_time cold_start_mean;   /* extra latency when no warm container is idle */
  double cold_start_cv;
  cm_time keep_alive;        /* an idle warm container is reclaimed after this */
  uint32_t prewarm;          /* idle warm containers of every (function, bin) at world creation, as
                                after a warm-up (the seed measures warm starts, 5.1.2 c); they
                                expire after keep_alive like any other */
  cm_time sched_delay_mean;  /* platform scheduling delay (seed 6.1), lognormal */
  double sched_delay_cv;
  uint32_t concurrency_limit;    /* running invocations at most; 0 = unlimited. Counted in containers
                                    (instances): with container_concurrency c, c x this many run at most */
  uint32_t container_concurrency;/* requests one container serves at once (Cloud Run); 1 elsewhere;
                                    0 = the platform's default (Cloud Run 80, others 1) */
  uint32_t queue_max;            /* queued requests at most, for platforms that queue; 0 = refuse instead */
  cm_time queue_timeout;         /* a queued request fails after this; 0 with queue_max > 0 = the
                                    platform's default (Cloud Run 10 s, OpenFaaS / Fission 60 s) */
  double cpu_cores, memory_mb;   /* capacity of one node of a Kubernetes platform (openfaas, fission; the
                                    local edge is one node); 0 = unlimited */
  uint32_t nodes;                /* Kubernetes platforms: nodes of the cluster; 0 = the platform's default (1) */
  uint32_t pods_per_node;        /* Kubernetes platforms: pods a node runs at most; 0 = the platform's default
                                    (110, the kubelet's --max-pods default) */
  struct faas_variability var;
  /* Default link from the client to this provider (mobility may change it). */
  cm_time link_latency;      /* one way, mean */
  cm_time link_jitter_sd;
  double link_bandwidth_bps; /* 0 = unlimited */
  double error_rate;         /* background probability an invocation fails with INVOKE_ERROR */
};

enum faas_fault_kind {
  FAAS_FAULT_OUTAGE,   /* every call fails with INVOKE_ERROR (HTTP 500) after the uplink */
  FAAS_FAULT_ERRORS,   /* each call fails with probability value */
  FAAS_FAULT_SLOWDOWN, /* exec multiplied by value (>= 1) */
  FAAS_FAULT_TIMEOUT,  /* calls hang until the invocation's timeout */
  FAAS_FAULT_LINK_DOWN /* the client's link to the provider is down: INVOKE_NETWORK */
};

/* A scripted fault on one provider over [start, end). */
struct faas_fault {
  uint32_t provider;
  enum faas_fault_kind kind;
  cm_time start, end;
  double value;
};

/* Counts per provider; every accepted invocation is in exactly one of
 * completed / failed[status] / in_flight (in_flight is 0 after a drained run). */
struct faas_stats {
  uint64_t invoked;
  uint64_t completed;
  uint64_t failed[INVOKE_NSTATUS]; /* by invoke_status (index INVOKE_OK unused) */
  uint64_t cold_starts;
  uint64_t in_flight;              /* accepted, no result yet */
  uint32_t running, queued, warm_idle, peak_running;
  double busy_s;                   /* sum of exec times */
};

typedef struct faas_world faas_world;

/* A world on sim env e (which must be a sim env; the world installs itself
 * as e's invoker). Providers and functions are copied. Returns NULL and
 * sets *err (g_malloc'd, one line naming the provider and field) on a bad
 * config: unknown platform, nbins 0, a negative time, and so on. */
faas_world *faas_world_new(env *e, const struct faas_provider *providers, uint32_t nproviders,
                           const struct faas_function *functions, uint32_t nfunctions, char **err);
/* Frees the world and uninstalls it from its env; pending events are
 * cancelled, so invocations still in flight never call back, even if the env
 * keeps running. Free the world before its env. NULL is a no-op. */
void faas_world_free(faas_world *w);

/* Schedule a fault. CM_EINVAL for a bad provider index, end < start or a
 * bad value. Faults may overlap; outage and link-down win over the rest. */
int faas_world_add_fault(faas_world *w, const struct faas_fault *f);

/* Change the client's link to provider p from now on (mobility, handover).
 * bandwidth 0 = unlimited. CM_EINVAL on a bad index or negative values, and
 * on a world with per-client links (faas_world_set_clients: use
 * faas_world_set_client_link). */
int faas_world_set_link(faas_world *w, uint32_t p, cm_time latency, cm_time jitter_sd, double bandwidth_bps);

/* Take the client's link to provider p down (calls fail with INVOKE_NETWORK
 * after the invocation's timeout, as a connection attempt does) or up. */
int faas_world_set_link_up(faas_world *w, uint32_t p, bool up);

/* Check one provider's config as faas_world_new does (its platform's
 * defaults applied to a copy), so that a caller can name its own key: NULL
 * if fine, else the reason (g_malloc'd, one line, fields named as in struct
 * faas_provider, bins[b] as "bins") and *field (static, if field is not
 * NULL) the field at fault: "bins.vcpu", "cpu_cores",
 * "var.contention_on_mean", "platform", ... */
char *faas_provider_check(const struct faas_provider *p, const char **field);

/* Many clients (a fleet of UAVs, sim/fleet.h; sim/faas_clients.c): from
 * now on the world keeps one link per (client, provider), each starting as
 * the provider's configured link, and a call travels the link of its
 * struct invocation.client (an index < nclients; a larger one is refused
 * with CM_EINVAL). Providers p with per_client[p] (NULL: none) exist once
 * per client: each client's calls to p run on its own instance (its own
 * warm containers, slots, node capacity and contention process; p's
 * faults apply to every instance), as a UAV's on-board computer serves
 * that UAV alone; faas_world_stats(p) sums the instances. Without this
 * call there is one client, 0, with one link per provider. Once per world
 * and before any invocation; CM_EINVAL for nclients 0 or above
 * FAAS_MAX_CLIENTS, a second call or a late one. Memory: nclients x
 * nproviders links and nclients copies of each per-client provider. */
#define FAAS_MAX_CLIENTS (1u << 20)
int faas_world_set_clients(faas_world *w, uint32_t nclients, const bool *per_client);
/* Clients the world tells apart (1 without faas_world_set_clients). */
uint32_t faas_world_nclients(const faas_world *w);
/* As faas_world_set_link and faas_world_set_link_up, for one client's link
 * (client 0 on a one-client world). CM_EINVAL on a bad index or value. */
int faas_world_set_client_link(faas_world *w, uint32_t client, uint32_t p, cm_time latency, cm_time jitter_sd,
                               double bandwidth_bps);
int faas_world_set_client_link_up(faas_world *w, uint32_t client, uint32_t p, bool up);
/* A client's link to p as it is now (any out-pointer may be NULL). */
int faas_world_client_link(const faas_world *w, uint32_t client, uint32_t p, cm_time *latency, cm_time *jitter_sd,
                           double *bandwidth_bps, bool *up);

uint32_t faas_world_nproviders(const faas_world *w);
/* The world's copy of provider p, with its platform's defaults filled in
 * (owned by w, valid until faas_world_free); NULL for a bad index. */
const struct faas_provider *faas_world_provider(const faas_world *w, uint32_t p);
/* Index of the provider or function named, or -1. */
int faas_world_find_provider(const faas_world *w, const char *name);
int faas_world_find_function(const faas_world *w, const char *name);
/* Counts of provider p now (zeros for a bad index). */
void faas_world_stats(const faas_world *w, uint32_t p, struct faas_stats *out);

/* mu and sigma of the lognormal with this mean (> 0) and coefficient of
 * variation cv (sd / mean, >= 0): sigma^2 = ln(1 + cv^2), mu = ln(mean) -
 * sigma^2 / 2. */
void faas_lognormal_params(double mean, double cv, double *mu, double *sigma);

#endif
