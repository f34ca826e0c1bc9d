/* For backends only: the env handle's layout and the operations table a
 * backend implements. Model code includes env.h, never this file. */
#ifndef CM_ENV_IMPL_H
#define CM_ENV_IMPL_H

#include <glib.h>

#include "env.h"

struct env_ops {
  const char *name; /* "sim", "real", ... */
  cm_time (*now)(env *e);
  timer_id (*after)(env *e, cm_time delay, env_fn fn, void *arg);
  bool (*cancel)(env *e, timer_id t);
  int (*bind)(env *e, cm_addr self, env_datagram_fn fn, void *arg);
  int (*unbind)(env *e, cm_addr self);
  int (*send)(env *e, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len);
  void (*net_stats)(env *e, struct env_net_stats *out);
  /* A request id (> 0) or a CM_E* code. NULL: CM_ENOSYS */
  request_id (*invoke)(env *e, const struct invocation *inv, env_invoke_fn done, void *arg);
  bool (*invoke_cancel)(env *e, request_id id);
  /* put, get and delete; req already checked (non-NULL, key non-empty, done set). NULL: CM_ENOSYS */
  request_id (*store)(env *e, enum store_op op, const struct store_req *req, env_store_fn done, void *arg);
  bool (*store_cancel)(env *e, request_id id);
  /* A secret stream for env_secret_rng (owned by the backend or the env);
   * NULL: the backend's secret draws are the reproducible env_rng streams. */
  rng *(*secret_rng)(env *e, const char *name);
  int (*run)(env *e, cm_time until);
  void (*stop)(env *e);
  void (*free_impl)(env *e); /* frees impl; env_free frees the rest */
};

struct env {
  const struct env_ops *ops;
  void *impl;
  uint64_t seed;
  GHashTable *streams; /* name -> rng*, owned */
};

/* A secret stream (rng_new_secret) named stream_name, kept in e's stream
 * table: a ready secret_rng op for backends. */
rng *env__secret_stream(env *e, const char *stream_name);

/* Allocate an env for a backend (streams table set up). */
env *env__new(const struct env_ops *ops, void *impl, uint64_t seed);

#endif
