/* The real backend's invoker (inside real/, not for model code): env_invoke
 * as HTTP requests over libcurl's multi interface on the env's GLib
 * context, one provider adapter (real/provider.h) per provider. */
#ifndef CM_ENV_REAL_HTTP_H
#define CM_ENV_REAL_HTTP_H

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

/* env_real.c's dispatch bracket (one cached "now" per callback). */
void env_real__dispatch_begin(env *e);
void env_real__dispatch_end(env *e);
/* Inside a dispatch, between two callbacks: read the clock again. */
void env_real__dispatch_refresh(env *e);

#endif
