/* Serverless platform types: what a provider does when a request finds its
 * concurrency limit or its capacity reached (run, queue or refuse), which
 * HTTP statuses it sends then, and its defaults.
 *
 * Each type is one const struct platform_ops in its own file
 * (sim/platform_<type>.c) and one line in the NULL-terminated
 * platform_table of sim/platform.c; adding a platform type is one file and
 * one table line (the shape of ROSS's tw_lptype and curl's vtls backends).
 * The world (sim/faas.c) keeps the load of each provider and asks its type:
 *   fits      may a request for this bin start now?
 *   when_full if not, queue it (FIFO, at most queue_max, each for at most
 *             queue_timeout) or refuse it at once?
 * The types shipped (defaults named with their public source in each file):
 *   lambda    account-level concurrency; over it: 429 at once, no queue
 *   azure     a concurrency limit (seed 6.6 simulates 20); over it: 429
 *   cloudrun  max instances x container concurrency; over it: queued up to
 *             10 s, then 429 "no available instance"
 *   openfaas, fission  Kubernetes on the edge or in a cloud: a replica limit
 *             and the cluster's nodes, each with cpu_cores, memory_mb and
 *             pods_per_node (110 by default): a running request is one pod
 *             holding its bin's vcpu and memory on the first node with room
 *             for it (first fit); over them: queued (at most queue_max) up
 *             to the gateway / router timeout (60 s), then 503; refused with
 *             429 when the queue is full or queue_max is 0. */
#ifndef CM_PLATFORM_H
#define CM_PLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "cm.h"

struct faas_provider;

/* One provider's load, kept by the world. Cores and memory are counted in
 * millionths of a vCPU and of a MB, as integers, so that taking and giving
 * back never drifts. */
struct platform_node {
  uint64_t cores_used, mem_used; /* micro-units */
  uint32_t pods;
};

struct platform_load {
  uint32_t running;    /* admitted and not yet finished (scheduling, cold start, exec) */
  uint32_t queued;
  uint64_t slots;      /* requests that may run at once: concurrency_limit x container_concurrency;
                          UINT64_MAX = unlimited */
  uint64_t cores_used, cores_cap; /* micro-vCPU, the provider's; cap (per node with nodes) 0 = unlimited */
  uint64_t mem_used, mem_cap;     /* micro-MB, likewise */
  uint32_t nnodes;                /* nodes requests are placed on; 0 = none (the caps are the provider's) */
  uint32_t pods_cap;              /* per node; 0 = unlimited */
  struct platform_node *node;     /* nnodes, owned by the world */
};

#define PLATFORM_NO_NODE UINT32_MAX

enum platform_full { PLATFORM_REFUSE, PLATFORM_QUEUE };

struct platform_ops {
  const char *name; /* as in struct faas_provider.platform */
  /* May one more request, needing cores and mem (micro-units) while it
   * runs, start now? */
  bool (*fits)(const struct platform_load *l, uint64_t cores, uint64_t mem);
  /* A request that does not fit (or finds others queued): queue or refuse. */
  enum platform_full (*when_full)(const struct faas_provider *p, const struct platform_load *l);
  /* Fill the fields the config left 0 that mean "the platform's default"
   * (container_concurrency, and queue_timeout when queue_max > 0). */
  void (*defaults)(struct faas_provider *p);
  cm_time default_timeout;  /* the client's timeout when struct invocation.timeout is 0 */
  bool has_nodes;           /* requests are pods placed on the provider's nodes (struct platform_load) */
  int http_refused;         /* status of a request refused at the limit */
  int http_queue_timeout;   /* status of a request that waited queue_timeout in vain */
};

/* The registered types, NULL-terminated (sim/platform.c). */
extern const struct platform_ops *const platform_table[];

/* The type named, or NULL. */
const struct platform_ops *platform_find(const char *name);

/* The known names, comma-separated, for error messages (static string). */
const char *platform_names(void);

/* Building blocks the types share. */
bool platform_fits_slots(const struct platform_load *l, uint64_t cores, uint64_t mem);
bool platform_fits_slots_and_capacity(const struct platform_load *l, uint64_t cores, uint64_t mem);
/* Take (after fits said yes) or give back what one running request holds:
 * a slot, and its cores and memory, on a node when the load has nodes (the
 * first with room; the node returned, else PLATFORM_NO_NODE). */
uint32_t platform_take(struct platform_load *l, uint64_t cores, uint64_t mem);
void platform_give(struct platform_load *l, uint32_t node, uint64_t cores, uint64_t mem);
enum platform_full platform_refuse(const struct faas_provider *p, const struct platform_load *l);
/* Queue while fewer than queue_max are queued; refuse when queue_max is 0
 * or the queue is full. */
enum platform_full platform_queue_bounded(const struct faas_provider *p, const struct platform_load *l);

extern const struct platform_ops platform_lambda;
extern const struct platform_ops platform_azure;
extern const struct platform_ops platform_cloudrun;
extern const struct platform_ops platform_openfaas;
extern const struct platform_ops platform_fission;

#endif
