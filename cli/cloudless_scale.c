/* [cloudless] time_scale: a whole scenario compressed in time by one
 * factor k, the same in simulation, in real mode and in the emulator (all
 * three build their world through cl_config_new), so a real run against
 * the emulator takes k of the wall time and still meets the simulator's
 * figures scaled by k. Every duration is multiplied by k (work, through the
 * speed of a vCPU; latencies, jitter, cold starts, keep-alive, scheduling
 * delay, queue timeouts, drift and contention periods; storage links'
 * round trips and jitter; fault windows; the
 * flight's waypoints, update period and intermittent links; the broker's
 * timeout, backoffs, probe period, cache TTL and series step; the
 * workload's ramp, think time and pauses; the run's duration; a
 * workflow's replan_s and horizon_s, in cli/cloudless_workflow.c), every rate
 * divided by k (arrival rates, link, storage and radio bandwidths), so that every
 * time in the results is k times the unscaled one in distribution. Sizes,
 * limits, capacities, probabilities and prices stay. Platform defaults
 * that are durations (a queue's timeout left 0) are filled first so they
 * scale too. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "platform.h"

static cm_time t(cm_time x, double k) { return x <= 0 || x == CM_TIME_MAX ? x : (cm_time)llround((double)x * k); }

static void scale_provider(struct faas_provider *p, double k) {
  const struct platform_ops *ops = platform_find(p->platform);
  if (ops && ops->defaults) ops->defaults(p); /* a 0 that means "the platform's default" becomes that default */
  p->gflops_per_vcpu /= k;
  p->exec_overhead = t(p->exec_overhead, k);
  p->cold_start_mean = t(p->cold_start_mean, k);
  p->keep_alive = t(p->keep_alive, k);
  p->sched_delay_mean = t(p->sched_delay_mean, k);
  p->queue_timeout = t(p->queue_timeout, k);
  p->var.drift_period = t(p->var.drift_period, k);
  p->var.contention_on_mean = t(p->var.contention_on_mean, k);
  p->var.contention_off_mean = t(p->var.contention_off_mean, k);
  p->link_latency = t(p->link_latency, k);
  p->link_jitter_sd = t(p->link_jitter_sd, k);
  p->link_bandwidth_bps /= k; /* 0 (unlimited) stays 0 */
}

int cl_config_scale(struct cl_config *c, double k, const char *path, char **err) {
  if (k == 1) return 0;
  (void)path;
  (void)err;
  for (uint32_t i = 0; i < c->nproviders; i++) scale_provider(&c->providers[i], k);
  for (uint32_t i = 0; i < c->nfaults; i++) {
    c->faults[i].start = t(c->faults[i].start, k);
    c->faults[i].end = t(c->faults[i].end, k);
  }
  for (uint32_t i = 0; i < c->nzones; i++) {
    struct cl_zone *z = &c->zones[i];
    z->radio_latency = t(z->radio_latency, k);
    z->uplink_bps /= k;
    z->up_mean = t(z->up_mean, k);
    z->down_mean = t(z->down_mean, k);
    z->rate_per_s /= k;
  }
  for (uint32_t i = 0; i < c->nproviders; i++) {
    c->sites[i].backhaul = t(c->sites[i].backhaul, k);
    c->sites[i].offnet = t(c->sites[i].offnet, k);
  }
  for (size_t i = 0; i < (size_t)c->nlocations * c->nstores; i++) {
    struct storage_link *l = &c->slinks[i];
    l->latency = t(l->latency, k);
    l->jitter_sd = t(l->jitter_sd, k);
    l->up_bps /= k;
    l->down_bps /= k;
  }
  for (uint32_t i = 0; i < c->nwaypoints; i++) c->waypoints[i].t = t(c->waypoints[i].t, k);
  c->flight_update = t(c->flight_update, k);
  c->sched.timeout = t(c->sched.timeout, k);
  c->sched.backoff_base = t(c->sched.backoff_base, k);
  c->sched.backoff_max = t(c->sched.backoff_max, k);
  c->probe_period = t(c->probe_period, k);
  c->cache_ttl = t(c->cache_ttl, k);
  c->series_step = t(c->series_step, k);
  c->duration = t(c->duration, k);
  struct workload_config *w = &c->work;
  w->rate_per_s /= k;
  w->ramp = t(w->ramp, k);
  w->think = t(w->think, k);
  w->until = t(w->until, k);
  w->fail_pause = t(w->fail_pause, k);
  return 0;
}
