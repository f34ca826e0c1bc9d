/* The sim backend of the seam: virtual time from the engine, datagrams over
 * modelled links (latency, jitter, loss, bandwidth). Invocations go to the
 * invoker a world model installs (env_sim_set_invoker), storage requests to
 * the storage world (env_sim_set_storage, sim/storage.h); without one they
 * answer CM_ENOSYS. */
#ifndef CM_ENV_SIM_H
#define CM_ENV_SIM_H

#include "engine.h"
#include "env.h"

/* A one-way link. Delivery delay = latency + |N(0, jitter_sd)| + len * 8 /
 * bandwidth_bps (bandwidth 0: unlimited). Each datagram is lost with
 * probability loss, drawn from the stream "link:FROM->TO". */
struct link_model {
  cm_time latency;
  cm_time jitter_sd;
  double loss;          /* [0, 1] */
  double bandwidth_bps; /* 0 = unlimited */
};

/* A sim env with its own engine; NULL if out of memory. Default link:
 * 0 latency, no jitter, no loss, unlimited bandwidth. */
env *env_sim_new(uint64_t seed);

/* The engine under e (owned by e), for drivers and world models. */
engine *env_sim_engine(env *e);

/* Set the link from -> to. 0 in either place is a wildcard: (a, 0) is every
 * link out of a, (0, 0) the default. The most specific match wins: exact,
 * then (from, 0), then (0, to), then the default. CM_EINVAL on a bad model. */
int env_sim_set_link(env *e, cm_addr from, cm_addr to, const struct link_model *m);

/* Who answers env_invoke in this sim env: a world model (sim/faas.c) or a
 * test's scripted platform. fn must honour the seam's callback contract
 * (done later, exactly once, never inside fn). NULL fn: CM_ENOSYS again. */
typedef int (*env_sim_invoke_fn)(void *world, env *e, const struct invocation *inv, env_invoke_fn done,
                                 void *arg);
void env_sim_set_invoker(env *e, env_sim_invoke_fn fn, void *world);

/* Who answers env_put / env_get / env_delete in this sim env: the storage
 * world (sim/storage.c) or a test's fake. Same contract as the invoker; req
 * has passed env.c's checks. NULL fn: CM_ENOSYS again. */
typedef int (*env_sim_store_fn)(void *world, env *e, enum store_op op, const struct store_req *req,
                                env_store_fn done, void *arg);
void env_sim_set_storage(env *e, env_sim_store_fn fn, void *world);

/* A tap on the datagrams of a sim env, for observers that need the
 * simulation's ground truth (cli/mixclaves_anon.c): called with
 * ENV_SIM_TAP_SEND when env_send hands a datagram to a link (after its
 * loss draw: lost ones are not reported) and ENV_SIM_TAP_DELIVER just
 * before a bound handler receives it, with the time of that event. The
 * tap must not send, bind or run the env. NULL fn: no tap (one branch per
 * datagram). */
enum env_sim_tap_event { ENV_SIM_TAP_SEND, ENV_SIM_TAP_DELIVER };
typedef void (*env_sim_tap_fn)(void *arg, enum env_sim_tap_event ev, cm_time t, cm_addr from, cm_addr to,
                               const uint8_t *pkt, size_t len);
void env_sim_set_tap(env *e, env_sim_tap_fn fn, void *arg);

/* Time of the sim env's earliest pending event (timer, datagram, world
 * event), CM_TIME_MAX if none. With env_run(e, t) it lets a driver pump the
 * simulated world in wall-clock time: run to the wall clock's now, then
 * sleep until this (real/emulate.c). */
cm_time env_sim_next_event(env *e);

#endif
