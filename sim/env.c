/* The seam's public functions: argument checks, then the backend's op. */
#include "env_impl.h"

#include <stdlib.h>
#include <time.h>

env *env__new(const struct env_ops *ops, void *impl, uint64_t seed) {
  env *e = calloc(1, sizeof(*e));
  if (!e) return NULL;
  e->ops = ops;
  e->impl = impl;
  e->seed = seed;
  e->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rng_free);
  return e;
}

cm_time env_now(env *e) { return e->ops->now(e); }

timer_id env_after(env *e, cm_time delay, env_fn fn, void *arg) {
  if (!fn) cm_fatal(CM_LOC, "env_after: NULL callback");
  if (delay < 0) cm_fatal(CM_LOC, "env_after: negative delay %lld", (long long)delay);
  return e->ops->after(e, delay, fn, arg);
}

bool env_cancel(env *e, timer_id t) { return t != 0 && e->ops->cancel(e, t); }

int env_bind(env *e, cm_addr self, env_datagram_fn fn, void *arg) {
  if (self == 0 || !fn) return CM_EINVAL;
  return e->ops->bind(e, self, fn, arg);
}

int env_unbind(env *e, cm_addr self) {
  if (self == 0) return CM_EINVAL;
  return e->ops->unbind(e, self);
}

int env_send(env *e, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  if (from == 0 || to == 0 || (!pkt && len)) return CM_EINVAL;
  return e->ops->send(e, from, to, pkt, len);
}

void env_net_stats(env *e, struct env_net_stats *out) { e->ops->net_stats(e, out); }

request_id env_invoke(env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  if (!inv || !done) return CM_EINVAL;
  if (!e->ops->invoke) return CM_ENOSYS;
  return e->ops->invoke(e, inv, done, arg);
}

bool env_invoke_cancel(env *e, request_id id) {
  if (id <= 0 || !e->ops->invoke_cancel) return false;
  return e->ops->invoke_cancel(e, id);
}

bool env_store_cancel(env *e, request_id id) {
  if (id <= 0 || !e->ops->store_cancel) return false;
  return e->ops->store_cancel(e, id);
}

static request_id store(env *e, enum store_op op, const struct store_req *req, env_store_fn done, void *arg) {
  if (!req || !req->key || !req->key[0] || !done || req->timeout < 0) return CM_EINVAL;
  if (!e->ops->store) return CM_ENOSYS;
  return e->ops->store(e, op, req, done, arg);
}

request_id env_put(env *e, const struct store_req *req, env_store_fn done, void *arg) {
  return store(e, STORE_PUT, req, done, arg);
}

request_id env_get(env *e, const struct store_req *req, env_store_fn done, void *arg) {
  return store(e, STORE_GET, req, done, arg);
}

request_id env_delete(env *e, const struct store_req *req, env_store_fn done, void *arg) {
  return store(e, STORE_DELETE, req, done, arg);
}

rng *env_rng(env *e, const char *stream_name) {
  rng *r = g_hash_table_lookup(e->streams, stream_name);
  if (r) return r;
  r = rng_new(e->seed, stream_name);
  if (!r) cm_fatal(CM_LOC, "env_rng: out of memory");
  g_hash_table_insert(e->streams, g_strdup(stream_name), r);
  return r;
}

rng *env_secret_rng(env *e, const char *stream_name) {
  return e->ops->secret_rng ? e->ops->secret_rng(e, stream_name) : env_rng(e, stream_name);
}

bool env_secrets_reproducible(env *e) { return !rng_is_secret(env_secret_rng(e, "env:secrets")); }

/* For backends: the secret stream of this name kept in e's stream table
 * (under a prefix no env_rng name can take). */
rng *env__secret_stream(env *e, const char *stream_name) {
  char *key = g_strconcat("\x01secret:", stream_name, NULL);
  rng *r = g_hash_table_lookup(e->streams, key);
  if (r) {
    g_free(key);
    return r;
  }
  r = rng_new_secret(stream_name);
  if (!r) cm_fatal(CM_LOC, "env_secret_rng: out of memory");
  g_hash_table_insert(e->streams, key, r);
  return r;
}

uint64_t env_seed(env *e) { return e->seed; }

int64_t env_wall_ns(env *e CM_UNUSED) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int env_run(env *e, cm_time until) { return e->ops->run(e, until); }

void env_stop(env *e) { e->ops->stop(e); }

void env_free(env *e) {
  if (!e) return;
  e->ops->free_impl(e);
  g_hash_table_destroy(e->streams);
  free(e);
}
