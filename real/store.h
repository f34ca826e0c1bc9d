/* Real storage clients (seed 5.1.3, universal storage): the backends of
 * env_put / env_get / env_delete in real mode. real/env_real_store.c owns
 * the request ids (reqtab), the per-request deadline and the outcome
 * counters; a client only moves one request's bytes and says how it ended.
 *
 *   redis       real/store_redis.c   hiredis async, on the env's GLib context
 *   s3, gcs     real/store_s3.c      S3 REST over libcurl, SigV4 (GCS: its
 *                                    S3-interoperable XML API, HMAC keys)
 *   azure-blob  real/store_azure.c   Blob REST over libcurl, Shared Key
 *
 * Contract of a client:
 *  - start() either returns a handle (non-NULL) and later calls done exactly
 *    once, never from inside start(); or returns NULL, sets *reason (static)
 *    and never calls done;
 *  - abort() stops a started request: done is then never called;
 *  - put bodies are streamed from the caller's bytes (value, borrowed until
 *    done or abort) or, when value is NULL, from a filler of len bytes
 *    generated as it is sent (a virtual object of the simulator); never
 *    copied whole;
 *  - a get keeps the body (once) unless length_only, where it is only
 *    counted and hashed as it arrives; it is checked against the store's
 *    integrity value (S3 ETag of a single-part object, Azure Content-MD5)
 *    when the store gives one: a mismatch fails the request (CM_EIO,
 *    "integrity");
 *  - a response is never trusted: a malformed, truncated or oversized one
 *    fails the request with a reason, counted by the caller;
 *  - list (optional, NULL: not supported) names the keys under a prefix,
 *    with the same rules as start(): a handle and one later done, or NULL
 *    with *reason; abort() stops a listing too. */
#ifndef CM_STORE_H
#define CM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <glib.h>

#include "env.h"

struct store_client;

/* One request, as start() gets it. */
struct store_op_req {
  enum store_op op;
  const char *key;      /* non-empty; the client escapes it for its protocol */
  const uint8_t *value; /* put: len bytes, borrowed until done/abort; NULL: filler */
  size_t len;           /* put: object length */
  bool length_only;     /* get: keep no bytes, pass value NULL and the length */
  cm_time deadline;     /* absolute env_now() time; the client's transfer gives up after it */
};

/* status: 0, CM_ENOENT (get/delete of a missing key) or another CM_E*;
 * reason: NULL on success, else a static word ("refused", "auth", "timeout",
 * "server_error", "truncated", "malformed", "integrity", ...). value/len as
 * env_store_fn: a get's bytes (valid until done returns) or NULL when
 * length_only; a put's len = bytes stored. */
typedef void (*store_done_fn)(void *arg, int status, const char *reason, const uint8_t *value, size_t len);

/* A listing's end: status 0 with nkeys keys (NUL-terminated, in no
 * particular order; keys and the array are the client's, valid until done
 * returns), or a CM_E* code with a static reason and no keys. */
typedef void (*store_list_done_fn)(void *arg, int status, const char *reason, const char *const *keys, size_t nkeys);

struct store_client_ops {
  const char *kind; /* "redis", "s3", "gcs", "azure-blob" */
  void *(*start)(struct store_client *c, const struct store_op_req *req, store_done_fn done, void *arg,
                 const char **reason);
  void (*abort)(struct store_client *c, void *handle); /* a request's or a listing's handle */
  void (*free)(struct store_client *c); /* aborts what is in flight (no callbacks), zeroes secrets */
  /* Optional (NULL: not supported): the keys starting with prefix ("" for
   * all), done once later; a handle or NULL with *reason, as start(). */
  void *(*list)(struct store_client *c, const char *prefix, store_list_done_fn done, void *arg,
                const char **reason);
};

/* Where a store is and how to sign for it: one [store.NAME] group of the
 * real-mode profile (real/profile.h), secrets resolved at load (owned by
 * the profile, zeroed when it is freed; never printed). */
struct store_endpoint {
  const char *name;     /* the scenario's store name */
  const char *kind;     /* "redis", "s3", "gcs", "azure-blob" */
  const char *endpoint; /* redis: redis://HOST:PORT[/DB]; others: http(s)://HOST[:PORT], no trailing / */
  const char *bucket;   /* s3, gcs: the bucket; azure-blob: the container */
  bool virtual_host;    /* s3, gcs: BUCKET.HOST addressing; else path-style HOST/BUCKET */
  const char *region;   /* s3: us-east-1 by default; gcs: "auto" */
  const char *access_key, *secret_key, *session_token; /* s3, gcs (HMAC key); session_token may be NULL */
  const char *account, *account_key;                   /* azure-blob: the account and its base64 key */
  const char *password;                                /* redis: AUTH, or NULL */
  cm_time timeout;      /* a request's deadline when the caller gives none */
};

/* The clients; NULL with *err (g_malloc'd, one line, no secret) on a bad
 * endpoint. Each keeps what it needs of ep (copied). */
struct store_client *store_redis_new(env *e, const struct store_endpoint *ep, char **err);
struct store_client *store_s3_new(env *e, const struct store_endpoint *ep, char **err); /* s3 and gcs */
struct store_client *store_azure_new(env *e, const struct store_endpoint *ep, char **err);

/* A client's constructor sets ops and e; store_client_new sets timeout. */
struct store_client {
  const struct store_client_ops *ops;
  env *e;
  cm_time timeout; /* the endpoint's default deadline (struct store_endpoint.timeout); 0: 30 s */
};

/* The client of ep->kind (the constructors above); NULL with *err for an
 * unknown kind or a bad endpoint. Sets the client's timeout from ep. */
struct store_client *store_client_new(env *e, const struct store_endpoint *ep, char **err);

#endif
