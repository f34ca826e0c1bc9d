/* The real backend's invoker (inside real/, not for model code): env_invoke
 * as HTTP requests over libcurl's multi interface on the env's GLib
 * context, one provider adapter (real/provider.h) per provider. */
#ifndef CM_ENV_REAL_HTTP_H
#define CM_ENV_REAL_HTTP_H

#include <curl/curl.h>
#include <glib.h>

#include "env.h"
#include "env_real.h"
#include "provider.h"

struct real_http;

/* For env_real.c: the invoker of e on context ctx (NULL: out of memory or
 * curl failed to initialise). */
struct real_http *real_http__new(env *e, GMainContext *ctx);
void real_http__free(struct real_http *h);
request_id real_http__invoke(struct real_http *h, const struct invocation *inv, env_invoke_fn done, void *arg);
bool real_http__cancel(struct real_http *h, request_id id);
/* Set by env_real_set_providers (env_real.h). */
int real_http__set_providers(struct real_http *h, const struct env_real_provider *p, uint32_t n);
void real_http__stats(const struct real_http *h, struct env_real_http_stats *out);

/* ---- a transfer of another real/ module on the same multi ----
 * The caller configures its own easy handle (URL, headers, callbacks,
 * CURLOPT_TIMEOUT_MS from its deadline, CURLOPT_NOSIGNAL) and owns it; it
 * shares the env's sockets, connection cache and timer. done(arg, rc, easy)
 * is called once when curl finishes it (rc: CURLE_OK, or why it failed; the
 * HTTP status through CURLINFO_RESPONSE_CODE), from the loop, never inside
 * real_http__add_easy; by then the handle is off the multi and the caller
 * may reuse or clean it up. Returns 0, CM_EINVAL (NULL easy or done, or a
 * handle already added) or CM_EIO (curl refused it; done is never called).
 * The invoker is made on first use, with or without providers. */
typedef void (*real_http_easy_fn)(void *arg, CURLcode rc, CURL *easy);
int real_http__add_easy(env *e, CURL *easy, real_http_easy_fn done, void *arg);
/* Stop a handle added and not yet finished: done is never called. A handle
 * not in flight is ignored. Freeing the env removes handles still in
 * flight (no callback); the caller still cleans them up, before env_free
 * returns (from env_real.c's free_impl, before or after the invoker: once
 * the invoker is gone this call does nothing). */
void real_http__remove_easy(env *e, CURL *easy);
/* env_real.c: e's invoker, made on first use (NULL: curl failed). */
struct real_http *env_real__http(env *e);

/* env_real.c's dispatch bracket (one cached "now" per callback). */
void env_real__dispatch_begin(env *e);
void env_real__dispatch_end(env *e);
/* Inside a dispatch, between two callbacks: read the clock again. */
void env_real__dispatch_refresh(env *e);

#endif
