/* The real backend's storage dispatcher (inside real/, not for model code):
 * env_put / env_get / env_delete on the env's store clients (real/store.h),
 * with request ids, deadlines, cancellation and outcome counters. */
#ifndef CM_ENV_REAL_STORE_H
#define CM_ENV_REAL_STORE_H

#include <glib.h>

#include "env.h"
#include "env_real.h"

struct real_store;

/* For env_real.c: the dispatcher of e; the env's ops forward to these. */
struct real_store *real_store__new(env *e);
/* Aborts what is in flight (no callbacks) and frees the clients. NULL: no-op. */
void real_store__free(struct real_store *rs);
request_id real_store__start(struct real_store *rs, enum store_op op, const struct store_req *req, env_store_fn done,
                             void *arg);
bool real_store__cancel(struct real_store *rs, request_id id);
/* As env_real_set_stores (env_real.h). */
int real_store__set(struct real_store *rs, struct store_client *const *clients, uint32_t n);
/* As env_real_set_store_links (env_real.h). */
int real_store__set_links(struct real_store *rs, const struct storage_link *links, uint32_t nlocations,
                          uint32_t nstores);
struct store_client *real_store__client(struct real_store *rs, uint32_t i);
void real_store__stats(const struct real_store *rs, struct env_real_store_stats *out);

#endif
