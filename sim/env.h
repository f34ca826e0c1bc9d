/* The seam: the only door between model code and the world.
 *
 * Model code (everything under models/) sees time, randomness, datagrams,
 * invocations and storage only through these calls. A backend is a const
 * table of function pointers (struct env_ops, in env_impl.h) behind the
 * opaque env handle: env_sim.c answers in virtual time from the event queue
 * and the world models, real/env_real.c in wall-clock time from a GLib main
 * loop and real sockets. The public functions below check their arguments
 * and forward to the backend.
 *
 * Callback contract (both backends, tested in tests/unit/test_env.c):
 *  - a call that returns an error never calls back;
 *  - a callback never runs inside the call that registered it;
 *  - timer and request ids are never 0; cancelling a timer that fired or was
 *    cancelled returns false;
 *  - time is int64 nanoseconds and is one value during a callback;
 *  - pointer arguments are borrowed: the backend copies what it keeps.
 *    Pointers handed to a callback are valid until the callback returns. */
#ifndef CM_ENV_H
#define CM_ENV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"
#include "rng.h"

typedef struct env env;
typedef uint64_t timer_id;

/* A datagram endpoint: a small integer naming a node. 0 is invalid. Each
 * backend maps it to its world: a simulated host, or a UDP host:port. */
typedef uint32_t cm_addr;

/* Largest datagram the seam carries (bytes): the IPv4 UDP payload limit. */
#define CM_DATAGRAM_MAX 65507u

typedef void (*env_fn)(env *e, void *arg);

/* A datagram arrived for `to` from `from`. pkt is valid until return. */
typedef void (*env_datagram_fn)(env *e, void *arg, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len);

/* A function invocation request. Strings are borrowed for the call. */
struct invocation {
  uint64_t id;          /* caller's id, for logs; any value */
  const char *function; /* function name */
  uint32_t provider;    /* provider index in the world / endpoint table */
  uint32_t bin;         /* compute bin (memory/CPU configuration) of that provider */
  size_t request_bytes; /* payload sent with the call */
  size_t response_bytes;/* payload returned */
  cm_time timeout;      /* give up (INVOKE_TIMEOUT) after this long; 0 = the backend's default */
  cm_time exec_hint;    /* run the function this long (ns, a replayed trace's duration) instead of
                           the platform's own model; 0 = the model. Sim: sim/faas.h; real mode: sent
                           to the emulator (EMULATE_EXEC_HEADER), real platforms ignore it */
  uint32_t client;      /* which client sends it (a UAV of a fleet): picks its link in a simulated world
                           with per-client links (sim/faas.h); 0 = the one client. The real backend
                           ignores it */
};

/* How an invocation ended. Every invocation ends in exactly one outcome. */
enum invoke_status {
  INVOKE_OK = 0,
  INVOKE_ERROR,     /* provider returned an error (5xx) */
  INVOKE_THROTTLED, /* concurrency limit hit (e.g. HTTP 429) */
  INVOKE_TIMEOUT,
  INVOKE_NETWORK,   /* unreachable / connection failed */
};
#define INVOKE_NSTATUS 5

/* What came back. Times the platform reports (exec, init) are 0 when the
 * call did not run. */
struct invoke_result {
  enum invoke_status status;
  int http_status;    /* real mode; in sim the status a real platform would send */
  cm_time latency;    /* request sent to response received */
  cm_time exec_time;  /* T_e as reported by the platform (billed duration before rounding) */
  cm_time init_time;  /* cold-start initialisation, 0 when warm */
  bool cold_start;
  double mem_peak_mb; /* memory of the function, sampled every 0.1 s while it ran */
  double mem_mean_mb;
  uint32_t mem_samples;
  const char *reason; /* static: a failure's cause in more detail than status ("auth", "refused",
                         "oversized", "malformed_http", ...); NULL when the status says it all */
};

typedef void (*env_invoke_fn)(env *e, void *arg, const struct invoke_result *res);

/* Universal storage (seed 5.1.3): key-value stores (S3, GCS, Azure Blob,
 * Redis at the edge) that the DAG executor writes intermediate results to
 * and reads them back from. A request names the store, the compute location
 * it is issued from (read and write times depend on the pair, seed Fig. 6)
 * and the key. A put carries real bytes, or value NULL for a virtual object
 * of len bytes: the sim keeps only its size, so 64 MB payloads cost no
 * memory (the real backend streams a filler of len bytes). The key is
 * borrowed for the call; a put's value is borrowed until its done is called
 * or the request is cancelled (a real client streams it from there; the
 * sim keeps its own copy). In real mode location is ignored: every request
 * leaves this process for the store itself. */
struct store_req {
  uint32_t store;        /* store index in the backend's store table (sim/storage.h) */
  uint32_t location;     /* where the request is issued from: a provider index of the world,
                            or a client location; the backend's location table maps it (sim only) */
  const char *key;       /* non-empty, NUL-terminated */
  const uint8_t *value;  /* put: len bytes to store, or NULL for a virtual object; get, delete: unused */
  size_t len;            /* put: object length in bytes; get, delete: unused */
  bool length_only;      /* get: the caller wants only the length: done gets value NULL (the real
                            backend keeps no bytes; the sim passes NULL as for a virtual object) */
  cm_time timeout;       /* give up (status CM_EIO, reason "timeout") after this long, ns;
                            0: the backend's default (real: the store's timeout_s; the sim has none) */
};

/* Storage completion, called exactly once per accepted request. status is 0
 * or a CM_E* code: CM_ENOENT for a get or delete of a missing key; a backend
 * failure (a store that is down, a fault) is another code, CM_EIO in the sim.
 * A successful get passes the object: value is its bytes (valid until the
 * callback returns), or NULL for a virtual object or a length_only get, and
 * len is its length. In real mode a failure's cause in words is counted in
 * env_real_store_stats (real/env_real.h). A
 * put passes value NULL and len = the bytes stored; a delete and every
 * failure pass NULL and 0. */
typedef void (*env_store_fn)(env *e, void *arg, int status, const uint8_t *value, size_t len);

/* The three storage operations (one backend op serves all three). */
enum store_op { STORE_PUT, STORE_GET, STORE_DELETE };
#define STORE_NOPS 3

/* Datagram outcome counters: every datagram handed to env_send ends in
 * exactly one of delivered / lost / dropped_*. in_flight are still on the
 * wire (sim) and not yet any of those. */
struct env_net_stats {
  uint64_t sent;
  uint64_t delivered;
  uint64_t lost;              /* link loss (sim) */
  uint64_t dropped_unbound;   /* nobody bound at the destination */
  uint64_t dropped_unknown;   /* from an address not in the peer table (real) */
  uint64_t dropped_oversize;  /* longer than CM_DATAGRAM_MAX or truncated */
  uint64_t send_errors;       /* the OS refused the send (real) */
  uint64_t in_flight;
};

/* Current time in ns: virtual (sim) or monotonic since env creation (real). */
cm_time env_now(env *e);

/* Call fn(e, arg) after delay >= 0 ns. Returns a timer id (never 0). */
timer_id env_after(env *e, cm_time delay, env_fn fn, void *arg);

/* Cancel a pending timer: true if it was pending and now never fires. */
bool env_cancel(env *e, timer_id t);

/* Receive datagrams addressed to self. One handler per address; rebinding
 * an address fails with CM_EEXIST. Returns 0 or a CM_E* code. */
int env_bind(env *e, cm_addr self, env_datagram_fn fn, void *arg);
/* Stop receiving for self (0, or CM_ENOENT if not bound). */
int env_unbind(env *e, cm_addr self);

/* Send len bytes from `from` (which must be bound) to `to`. The bytes are
 * copied. Returns 0 when handed to the network (its fate is then counted in
 * env_net_stats), or a CM_E* code when refused outright. */
int env_send(env *e, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len);

void env_net_stats(env *e, struct env_net_stats *out);

/* Invocations and storage requests in flight have ids: > 0, never reused
 * while the request is in flight. The calls that start one return its id,
 * or a negative CM_E* code when they refuse (and then never call back). */
typedef int64_t request_id;

/* Invoke a function; done is called exactly once later with the outcome,
 * unless env_invoke_cancel stops it first. Returns the request's id, or
 * CM_EINVAL (NULL inv or done, or an invocation the backend cannot place)
 * or CM_ENOSYS (a backend without an invoker). */
request_id env_invoke(env *e, const struct invocation *inv, env_invoke_fn done, void *arg);

/* The caller no longer wants invocation id's outcome: true if it was in
 * flight and its done will now never be called; false for an id that
 * already called back, was cancelled, or never existed. The backend stops
 * what it can (a real transfer is aborted; a simulated platform still runs
 * the call, as a real one would, and counts it). */
bool env_invoke_cancel(env *e, request_id id);

/* Storage requests. Each returns the request's id, and done is called once
 * later with the outcome (unless env_store_cancel stops it); or CM_EINVAL
 * (NULL req, key or done; an empty key; a negative timeout; a store or
 * location the backend does not know) or CM_ENOSYS (a backend without storage), and done is
 * never called.
 *  - env_put writes req->len bytes under req->key, replacing any object
 *    there (req->value is borrowed until done or env_store_cancel; NULL: a
 *    virtual object of that length);
 *  - env_get reads the object under req->key;
 *  - env_delete removes it (temporaries are deleted after their last reader).
 * Ordering: a get sees the store as it is when issued; a put or delete
 * takes effect when it completes (also when cancelled: cancelling only
 * stops the callback). */
request_id env_put(env *e, const struct store_req *req, env_store_fn done, void *arg);
request_id env_get(env *e, const struct store_req *req, env_store_fn done, void *arg);
request_id env_delete(env *e, const struct store_req *req, env_store_fn done, void *arg);

/* As env_invoke_cancel, for a storage request. */
bool env_store_cancel(env *e, request_id id);

/* The named random stream (created on first use, owned by e, valid until
 * env_free). Its draws depend only on the env's seed and the name. */
rng *env_rng(env *e, const char *stream_name);

/* A stream for the draws that protect or shape a packet (DESIGN.md, "Two
 * kinds of randomness"): long-term and ephemeral keys, header padding,
 * per-hop delays, paths and cover timing. The real backend answers a
 * secret stream (rng_new_secret: ChaCha20 keyed from the OS CSPRNG, new at
 * every run, never derived from the seed); the sim backend the named
 * reproducible stream env_rng(e, stream_name) itself, so simulated runs stay
 * a pure function of (scenario, seed, version) and are labelled not secret
 * (env_secrets_reproducible). Owned by e, valid until env_free. */
rng *env_secret_rng(env *e, const char *stream_name);
/* true when env_secret_rng draws are reproducible (sim): not secret. */
bool env_secrets_reproducible(env *e);

/* Wall-clock nanoseconds (monotonic, any origin), in both backends: only
 * for measuring the model's own overhead (the scheduler's T_s). Never feed it
 * into a decision: results built on it are not reproducible. */
int64_t env_wall_ns(env *e);

/* The master seed this env was created with. */
uint64_t env_seed(env *e);

/* Drive the world: run until `until` (ns, on env_now's clock) or until
 * env_stop. Returns 0, or a CM_E* code if the backend failed. Not to be
 * called from a callback. */
int env_run(env *e, cm_time until);

/* Ask env_run to return once the current callback finishes. */
void env_stop(env *e);

/* Free the env. Pending timers are dropped without being called. */
void env_free(env *e);

#endif
