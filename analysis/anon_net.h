/* The global passive attacker of analysis/anon.h, chained across the mix
 * nodes of a network, fed with the simulator's ground truth (which sender
 * put each packet on the wire, when each packet entered and left each
 * node).
 *
 * The attacker sees every link: each packet on a link carries a
 * distribution over senders. A packet a sender puts on the wire carries a
 * point mass on that sender. A packet entering node k at s joins k's pool
 * as a candidate, with the distribution it arrived with. When node k
 * emits a packet at t, the attacker weighs every candidate of k's pool
 * that entered at s <= t by exp(-(t - s) / mean_delay) (the exponential
 * delay density, as anon.h's ANON_PMIX_ENTERED: candidates stay whether or
 * not they have left, since the attacker links no exits; dropped when
 * ANON_PMIX_HORIZON mean delays older than the node's newest candidate,
 * relative weight below e^-40), and the emitted
 * packet carries the weighted mixture of their distributions (the
 * per-mix propagation of Serjantov and Danezis 2002 and of the Loopix
 * evaluation, section 4.3). At the destination its distribution gives the
 * sender-set entropy and degree (anon_entropy) against the true sender,
 * and Loopix's eps for the two challenge senders (anon_eps.h).
 *
 * What the attacker is not told: which packets are cover (loop, drop) and
 * which are a node's own (a node's own packet is weighed like any other
 * exit). Mixing here is per node and memoryless; a node's CPU queue adds
 * its wait and service time to the hold, which the weights ignore.
 *
 * Senders are 0..nsenders-1 (the caller's numbering: clients, then nodes
 * for their own loops); packet ids are the caller's (unique while the
 * packet lives). Times are doubles in one unit, non-decreasing across
 * calls. Ownership: everything is copied; anon_net_free frees it all. */
#ifndef CM_ANON_NET_H
#define CM_ANON_NET_H

#include <stddef.h>
#include <stdint.h>

#include "anon.h"

typedef struct anon_net anon_net;

/* NULL on a bad argument (nsenders or nnodes 0, mean_delay not finite > 0)
 * or out of memory. challenge0/1: the senders of Loopix's eps (may be
 * equal to nothing: pass UINT32_MAX to measure no eps). */
anon_net *anon_net_new(uint32_t nsenders, uint32_t nnodes, double mean_delay, uint32_t challenge0,
                       uint32_t challenge1);
void anon_net_free(anon_net *a);

/* Sender puts packet id on the wire (point mass). 0, CM_EINVAL (bad
 * sender), CM_EEXIST (id already on a link), CM_ENOMEM. */
int anon_net_origin(anon_net *a, uint64_t id, uint32_t sender);

/* Packet id, on a link, enters node at t. 0, CM_ENOENT (id on no link),
 * CM_EINVAL (bad node, t earlier than an earlier call), CM_ENOMEM. */
int anon_net_enter(anon_net *a, uint32_t node, uint64_t id, double t);

/* Node emits packet id at t: id gets the mixture of the node's pool as its
 * link distribution; *t_in (may be NULL) when it entered the node.
 * CM_ENOENT when id is not inside this node (the node's own packet: call
 * anon_net_origin), CM_EINVAL, CM_ENOMEM. */
int anon_net_exit(anon_net *a, uint32_t node, uint64_t id, double t, double *t_in);

/* Packet id, on a link, reached its destination: out (not NULL) gets the
 * entropy of its distribution against its true sender; *eps (may be NULL)
 * Loopix's eps if its true sender is a challenge sender, else NAN. The
 * packet is forgotten. 0, CM_ENOENT, CM_ENOMEM. */
int anon_net_deliver(anon_net *a, uint64_t id, struct anon_result *out, double *eps);

/* Packets inside node now (true count: entered and not emitted; a packet
 * a node discards, such as drop cover, stays counted), and the time
 * integral of that count since the first event up to t (for the mean
 * occupancy: integral / elapsed). */
uint64_t anon_net_inside(const anon_net *a, uint32_t node);
double anon_net_occupancy_integral(anon_net *a, uint32_t node, double t);

/* Ids on links now (sent, not yet entered or delivered). */
size_t anon_net_on_links(const anon_net *a);

#endif
