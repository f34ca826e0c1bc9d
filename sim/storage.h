/* The simulated universal storage (seed 5.1.3, 6.3, Fig. 6): key-value
 * stores (AWS S3, Google Cloud Storage, Azure Blob, Redis at the edge)
 * answering env_put / env_get / env_delete in virtual time.
 *
 * Time of a request from location l to store s, over the link (l, s):
 *   put    latency + len * 8 / up_bps
 *   get    latency + len * 8 / down_bps   (a miss: latency)
 *   delete latency
 * plus, when the link has jitter_sd > 0, |N(0, jitter_sd)| drawn per request
 * from the stream "storage:<store>:<location>". latency is one round trip
 * (request out, answer back). No defaults live here: every (location, store)
 * link comes from the config, which scenario files supply (the seed gives no
 * storage latencies or bandwidths; its Fig. 6 heatmap has no numbers in our
 * copy). Links can be changed at a time (UAV mobility, handover).
 *
 * Semantics (the choices the summary leaves open):
 *  - a get sees the store as it is when issued (its transfer time depends on
 *    the size found); a put or delete takes effect when it completes, so a
 *    get issued before a put completes misses or sees the old object;
 *  - overwrite replaces the object (size and bytes);
 *  - a request issued while its store is down (storage_world_add_outage)
 *    fails with CM_EIO after the link's latency (no jitter draw), changing
 *    nothing; a request issued before an outage runs to its end;
 *  - real values are kept as bytes (refcounted, so a get in flight keeps the
 *    value it read); virtual ones (value NULL) only as a size.
 *
 * Accounting, per store (struct storage_stats): every request the world
 * accepts ends in exactly one completion and is counted once as ok, miss or
 * failed, or is still in flight; storage_world_check verifies the balance
 * and that the stored bytes add up. Egress: bytes a get carries from a store
 * to a location in another cloud (the store's provider bills them), and
 * bytes a put carries from a location into a store in another cloud (billed
 * by the location's cloud, if it is one: the UAV and the edge are in none,
 * cloud ""), by (location, store). The time integral of
 * bytes stored gives the seed's s_avg * m_u (models/cloudless/storage_cost.h). */
#ifndef CM_STORAGE_H
#define CM_STORAGE_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"

#define STORAGE_NAME_MAX 48
#define STORAGE_CLOUD_MAX 16

enum storage_kind { STORAGE_S3, STORAGE_GCS, STORAGE_AZURE_BLOB, STORAGE_REDIS };
#define STORAGE_NKINDS 4

/* "s3", "gcs", "azure-blob", "redis"; NULL for a bad kind. */
const char *storage_kind_name(enum storage_kind k);
/* The kind named, or -1. */
int storage_kind_find(const char *name);

/* A store: its name ("aws-s3-us-east-1"), kind, and the cloud it lives in
 * ("aws", "gcp", "azure"; "" for the edge). */
struct storage_store {
  char name[STORAGE_NAME_MAX];
  enum storage_kind kind;
  char cloud[STORAGE_CLOUD_MAX];
};

/* A compute location that issues requests: a provider of the world or a
 * client location, with the cloud it runs in ("" for the edge or the UAV). */
struct storage_location {
  char name[STORAGE_NAME_MAX];
  char cloud[STORAGE_CLOUD_MAX];
};

/* The link from a location to a store. */
struct storage_link {
  cm_time latency;   /* one round trip a request, >= 0 */
  cm_time jitter_sd; /* >= 0; 0 = none (no draw) */
  double up_bps;     /* location -> store (put), > 0 */
  double down_bps;   /* store -> location (get), > 0 */
};

/* The world's configuration; arrays are copied. links has nlocations x
 * nstores entries, links[l * nstores + s] for location l and store s: every
 * pair must be given (there are no defaults). */
struct storage_config {
  const struct storage_store *stores;
  uint32_t nstores;
  const struct storage_location *locations;
  uint32_t nlocations;
  const struct storage_link *links;
};

/* Counts of one store. Balance: puts + gets + deletes = ok + misses + failed
 * + in_flight (requests accepted, by kind; outcomes). served_puts /
 * served_gets / served_deletes are the requests that reached the store (ok
 * or miss), the operations its provider charges. */
struct storage_stats {
  uint64_t puts, gets, deletes;
  uint64_t ok, misses, failed, in_flight;
  uint64_t served_puts, served_gets, served_deletes;
  uint64_t bytes_written;      /* by completed puts */
  uint64_t bytes_read;         /* by completed gets */
  uint64_t egress_out_bytes;   /* read by locations in another cloud */
  uint64_t egress_in_bytes;    /* written from locations in another cloud */
  uint64_t objects, bytes_stored; /* now */
  double byte_seconds;         /* integral of bytes_stored over virtual time, up to now */
};

typedef struct storage_world storage_world;

/* A world on sim env e (which must be a sim env; the world installs itself
 * as e's storage). Returns NULL and sets *err (g_malloc'd, one line naming
 * the store, location or link and field) on a bad config: no stores or
 * locations, links NULL, an empty or duplicate name, an unknown kind, a
 * negative latency or jitter, a bandwidth not > 0. */
storage_world *storage_world_new(env *e, const struct storage_config *cfg, char **err);
/* Frees the world and uninstalls it; requests in flight never call back,
 * even if the env keeps running. Free the world before its env. NULL: no-op. */
void storage_world_free(storage_world *w);

/* Store s is down over [start, end): requests issued then fail with CM_EIO.
 * CM_EINVAL for a bad index, start < 0 or end <= start. */
int storage_world_add_outage(storage_world *w, uint32_t s, cm_time start, cm_time end);

/* Set the link (l, s) at virtual time `at` (now if at <= now); requests
 * issued from then on use it. CM_EINVAL on a bad index or link. */
int storage_world_set_link(storage_world *w, uint32_t l, uint32_t s, cm_time at, const struct storage_link *link);

uint32_t storage_world_nstores(const storage_world *w);
uint32_t storage_world_nlocations(const storage_world *w);
/* The world's copy of store s / location l (valid until storage_world_free);
 * NULL for a bad index. */
const struct storage_store *storage_world_store(const storage_world *w, uint32_t s);
const struct storage_location *storage_world_location(const storage_world *w, uint32_t l);
/* Index of the store or location named, or -1. */
int storage_world_find_store(const storage_world *w, const char *name);
int storage_world_find_location(const storage_world *w, const char *name);

/* Counts of store s now (zeros for a bad index). */
void storage_world_stats(const storage_world *w, uint32_t s, struct storage_stats *out);
/* Egress bytes between location l and store s so far: out = read from s by
 * l, in = written by l into s; 0 when both are in the same cloud. */
void storage_world_egress(const storage_world *w, uint32_t l, uint32_t s, uint64_t *out, uint64_t *in);

/* NULL if every store's counters balance and its object table matches its
 * objects and bytes_stored; else a g_malloc'd line naming the store and the
 * counter that is off. */
char *storage_world_check(const storage_world *w);

#endif
