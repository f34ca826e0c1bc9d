/* Many clients of one simulated world (a fleet of UAVs): a link per
 * (client, provider), and providers that exist once per client (a UAV's
 * on-board local edge: its own containers, slots, capacity and
 * contention), built as copies of the configured provider. faas.h says
 * what each call does. */
#include <string.h>

#include <glib.h>

#include "faas_impl.h"

int faas_world_set_clients(faas_world *w, uint32_t nclients, const bool *per_client) {
  if (!w || w->clinks || nclients == 0 || nclients > FAAS_MAX_CLIENTS) return CM_EINVAL;
  for (uint32_t p = 0; p < w->np; p++)
    if (w->provs[p].st.invoked) return CM_EINVAL; /* before any call */
  w->clinks = g_new(struct faas__link, (size_t)nclients * w->np);
  w->nclients = nclients;
  for (uint32_t c = 0; c < nclients; c++)
    for (uint32_t p = 0; p < w->np; p++) w->clinks[(size_t)c * w->np + p] = w->provs[p].link;
  if (!per_client) return CM_OK;
  w->rep_slot = g_new(int, w->np);
  for (uint32_t p = 0; p < w->np; p++) w->rep_slot[p] = per_client[p] ? (int)w->nrep++ : -1;
  if (!w->nrep) return CM_OK;
  w->reps = g_new0(struct faas__prov, (size_t)nclients * w->nrep);
  for (uint32_t c = 0; c < nclients; c++)
    for (uint32_t p = 0; p < w->np; p++) {
      if (w->rep_slot[p] < 0) continue;
      struct faas__prov *r = &w->reps[(size_t)c * w->nrep + (uint32_t)w->rep_slot[p]];
      char *msg = faas__prov_setup(w, r, &w->provs[p].cfg, p); /* checked once already: cannot fail */
      if (msg) cm_fatal(CM_LOC, "faas: a per-client copy of a valid provider failed: %s", msg);
      for (uint32_t k = 0; k < w->provs[p].nfaults; k++) faas__prov_add_fault(r, &w->provs[p].faults[k]);
    }
  return CM_OK;
}

uint32_t faas_world_nclients(const faas_world *w) { return w->clinks ? w->nclients : 1; }

struct faas__prov *faas__prov_for(faas_world *w, uint32_t i, uint32_t c) {
  int slot = w->rep_slot ? w->rep_slot[i] : -1;
  return slot < 0 ? &w->provs[i] : &w->reps[(size_t)c * w->nrep + (uint32_t)slot];
}

void faas__reps_stats(const faas_world *w, uint32_t p, struct faas_stats *out) {
  for (uint32_t c = 0; c < w->nclients; c++) {
    struct faas_stats s;
    faas__prov_stats(w, &w->reps[(size_t)c * w->nrep + (uint32_t)w->rep_slot[p]], &s);
    out->invoked += s.invoked;
    out->completed += s.completed;
    for (int k = 0; k < INVOKE_NSTATUS; k++) out->failed[k] += s.failed[k];
    out->cold_starts += s.cold_starts;
    out->in_flight += s.in_flight;
    out->running += s.running;
    out->queued += s.queued;
    out->warm_idle += s.warm_idle;
    out->peak_running += s.peak_running;
    out->busy_s += s.busy_s;
  }
}

static struct faas__link *client_link(faas_world *w, uint32_t client, uint32_t p) {
  if (!w || p >= w->np || client >= faas_world_nclients(w)) return NULL;
  return faas__link_of(w, &w->provs[p], client);
}

int faas_world_set_client_link(faas_world *w, uint32_t client, uint32_t p, cm_time latency, cm_time jitter_sd,
                               double bandwidth_bps) {
  struct faas__link *l = client_link(w, client, p);
  if (!l || latency < 0 || jitter_sd < 0 || !(bandwidth_bps >= 0)) return CM_EINVAL;
  l->latency = latency;
  l->jitter_sd = jitter_sd;
  l->ns_per_byte = bandwidth_bps > 0 ? 8e9 / bandwidth_bps : 0;
  return CM_OK;
}

int faas_world_set_client_link_up(faas_world *w, uint32_t client, uint32_t p, bool up) {
  struct faas__link *l = client_link(w, client, p);
  if (!l) return CM_EINVAL;
  l->up = up;
  return CM_OK;
}

int faas_world_client_link(const faas_world *w, uint32_t client, uint32_t p, cm_time *latency, cm_time *jitter_sd,
                           double *bandwidth_bps, bool *up) {
  const struct faas__link *l = client_link((faas_world *)w, client, p);
  if (!l) return CM_EINVAL;
  if (latency) *latency = l->latency;
  if (jitter_sd) *jitter_sd = l->jitter_sd;
  if (bandwidth_bps) *bandwidth_bps = l->ns_per_byte > 0 ? 8e9 / l->ns_per_byte : 0;
  if (up) *up = l->up;
  return CM_OK;
}
