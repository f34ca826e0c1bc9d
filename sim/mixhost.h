/* Mix hosts in the simulated world: named per-packet CPU service-time
 * profiles for the mix node's single-CPU FIFO server (models/mixclaves/
 * node.h, params.service_time). A node whose CPU takes s seconds a packet
 * saturates at 1/s packets per second and then fills its queue and drops.
 *
 * Each profile names its source. Numbers the seed does not give are not
 * invented: such a profile is listed with per_packet_s = 0 and
 * mixhost_init answers CM_ENOSYS for it until it is measured.
 *
 * Ownership: profiles are static; a struct mixhost is the caller's value,
 * its rng borrowed (must outlive its use). */
#ifndef CM_MIXHOST_H
#define CM_MIXHOST_H

#include <stddef.h>

#include "cm.h"
#include "rng.h"

struct mixhost_profile {
  const char *name;
  double per_packet_s; /* CPU seconds per packet; 0: not known yet */
  const char *source;  /* where the number comes from, or why it is missing */
};

/* The profile table (static) and its length. */
size_t mixhost_profiles(const struct mixhost_profile **out);
/* The profile named, or NULL. */
const struct mixhost_profile *mixhost_profile_find(const char *name);

/* One host: its profile and, optionally, a stream for exponential service
 * times of the profile's mean (NULL: deterministic, every packet exactly
 * per_packet_s; an M/D/1 server). */
struct mixhost {
  const struct mixhost_profile *profile;
  double per_packet_s;
  rng *r;
};

/* Set h up with the named profile: 0, CM_EINVAL (unknown name), or
 * CM_ENOSYS (the profile's number is not known yet). */
int mixhost_init(struct mixhost *h, const char *name, rng *r);
/* Set h up with an explicit per-packet time (> 0; CM_EINVAL otherwise),
 * e.g. for sweeps over the service time; profile is NULL. */
int mixhost_init_custom(struct mixhost *h, double per_packet_s, rng *r);

/* The service time of one packet of len bytes (ns): a node_service_fn
 * (pass the struct mixhost * as service_arg). len is unused: the seed
 * gives per-message rates for a fixed packet size. */
cm_time mixhost_service_time(void *host, size_t len);

/* 1 / per_packet_s: the saturation throughput (packets/s); 0 if unknown. */
double mixhost_peak_per_s(const struct mixhost_profile *p);

#endif
