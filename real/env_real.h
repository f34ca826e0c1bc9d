/* The real backend of the seam (owned by real/env_real.c): wall-clock time
 * from a private GLib main context, timers in an eventq, datagrams over UDP
 * sockets named through a per-env address book (cm_addr -> host:port).
 *
 * Real-mode notes: env_now is monotonic ns since env_real_new and is cached
 * for the length of each dispatch (one value per callback). in_flight is
 * always 0 (unknowable); a datagram lost on the wire or sent to a port
 * nobody listens on is counted nowhere, so tests compare the sender's sent
 * with delivered + dropped_* + send_errors when both ends are in one process.
 * Sockets open on the first env_bind and stay open until env_free (the port
 * is stable across unbind/rebind; datagrams reaching an unbound address are
 * counted dropped_unbound). Source addresses map back to cm_addr by exact
 * host:port, so give peers concrete addresses (not 0.0.0.0 / ::).
 * Timers fire at the loop's next wake after their due time (a timerfd, so
 * microseconds late, not milliseconds). An env is single-threaded: use it
 * from one thread at a time; envs in different threads are independent. */
#ifndef CM_ENV_REAL_H
#define CM_ENV_REAL_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "env.h"

/* A real env; NULL if out of memory or file descriptors. */
env *env_real_new(uint64_t seed);

/* Put a in the address book as host:port (numeric IPv4/IPv6 or a name,
 * first getaddrinfo answer). port 0: ephemeral, chosen at env_bind. Returns
 * 0, CM_EINVAL if a is 0 or host is unresolvable, CM_EEXIST if a's socket is
 * already open or another address already has this host:port. */
int env_real_add_peer(env *e, cm_addr a, const char *host, uint16_t port);

/* The port of a's open socket, or CM_ENOENT if a was never bound here. */
int env_real_port(env *e, cm_addr a);

/* True if e is a real env. */
bool env_real_is(env *e);

/* ---- invocations (real/env_real_http.c) ----
 * env_invoke sends struct invocation.provider's request through that
 * provider's adapter (real/provider.h) over libcurl's multi interface on
 * this env's loop: connections are reused per host, HTTP/1.1 or HTTP/2, a
 * deadline per call (the invocation's timeout, else the provider's). Every
 * accepted invocation ends in exactly one outcome, counted below. */
struct provider;
struct env_real_provider {
  const struct provider *p; /* borrowed: must outlive the env; struct invocation.bin must be below
                               its nbins (provider_set_bins) when it has bins; HTTP/2 when p->http2 */
};
/* The provider table env_invoke indexes (copied; the providers are
 * borrowed). CM_EINVAL for a NULL entry or provider without an adapter. */
int env_real_set_providers(env *e, const struct env_real_provider *p, uint32_t n);

/* Room for distinct failure reasons in the stats; the last slot counts
 * every reason past the others as "other". */
#define ENV_REAL_REASONS_MAX 32
struct env_real_reason_count {
  const char *reason; /* static: struct invoke_result.reason of a failure ("auth", "refused", ...) */
  uint64_t n;
};
struct env_real_http_stats {
  uint64_t invoked;                 /* accepted by env_invoke */
  uint64_t by_status[INVOKE_NSTATUS]; /* outcomes delivered */
  uint64_t cancelled;               /* stopped by env_invoke_cancel: no outcome is delivered */
  uint64_t in_flight;
  uint64_t malformed;               /* responses with a malformed header or body field (ignored) */
  uint64_t oversized;               /* bodies over PROVIDER_BODY_MAX (ended INVOKE_NETWORK) */
  uint64_t connections;             /* connections opened */
  /* Outcomes other than INVOKE_OK by their reason ("unknown" when an
   * adapter gave none), in the order first seen; nreasons slots used. */
  struct env_real_reason_count by_reason[ENV_REAL_REASONS_MAX];
  uint32_t nreasons;
};
void env_real_http_stats(env *e, struct env_real_http_stats *out);

/* ---- storage (real/env_real_store.c) ----
 * env_put / env_get / env_delete on store index i go to clients[i] (a
 * real/store.h client: Redis, S3, GCS, Azure Blob); struct
 * store_req.location is ignored. Each request has an id from this env, a
 * deadline (struct store_req.timeout, else the client's endpoint timeout)
 * enforced by an env timer that aborts the client's transfer and completes
 * the request with CM_EIO, reason "timeout"; done is never called inside
 * env_put / env_get / env_delete (a client that refuses at once is
 * answered from the loop); env_store_cancel aborts the transfer. Every
 * accepted request ends in exactly one of ok, miss, failed, cancelled. */
struct store_client;
/* Take the n clients (owned from now on, also on error: freed at env_free
 * or at the next call). CM_EINVAL for a NULL client or a client without
 * start/abort/free, or when requests are in flight. */
int env_real_set_stores(env *e, struct store_client *const *clients, uint32_t n);
/* A link model for the stores (sim/storage.h's struct storage_link, the
 * scenario's [storage] links; copied): links[l * nstores + s] from location
 * l to store s. Every outcome of a request from l to s is then delivered
 * after its real time plus the link's modelled time (round trip, bytes over
 * bandwidth, jitter): the process stands in for every compute location, as
 * the emulator stands in for every provider. NULL: none (the default).
 * CM_EINVAL for a link with latency < 0 or a bandwidth <= 0. */
struct storage_link;
int env_real_set_store_links(env *e, const struct storage_link *links, uint32_t nlocations, uint32_t nstores);
/* Client i (owned by e), or NULL: for listings (struct store_client_ops.list). */
struct store_client *env_real_store_client(env *e, uint32_t i);
struct env_real_store_stats {
  uint64_t requested;  /* accepted by env_put / env_get / env_delete */
  uint64_t ok;         /* done with status 0 */
  uint64_t miss;       /* done with CM_ENOENT (a get or delete of a missing key) */
  uint64_t failed;     /* done with another status; counted by reason below */
  uint64_t cancelled;  /* stopped by env_store_cancel: no outcome is delivered */
  uint64_t in_flight;  /* requested = ok + miss + failed + cancelled + in_flight */
  uint64_t bytes_put;  /* by puts that ended ok */
  uint64_t bytes_got;  /* by gets that ended ok (length_only included) */
  struct env_real_reason_count by_reason[ENV_REAL_REASONS_MAX]; /* failures: "timeout", "refused", ... */
  uint32_t nreasons;
};
void env_real_store_stats(env *e, struct env_real_store_stats *out);

/* For the real backend's own files: one more of reason (a static string,
 * compared by content; NULL counts as "unknown") in a table of
 * ENV_REAL_REASONS_MAX slots whose last counts the rest as "other". */
void env_real__count_reason(struct env_real_reason_count *by, uint32_t *n, const char *reason);
/* The env's private GLib main context (clients attach their sources to it). */
GMainContext *env_real__context(env *e);

#endif
