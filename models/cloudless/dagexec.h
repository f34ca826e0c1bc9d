/* The DAG executor (seed 5.1.4, Fig. 4 and Fig. 7): runs one workflow
 * (cloudless/dag.h) on a given placement, through the seam only.
 *
 * A node starts as soon as all its parents are done. It then
 *  1. reads each parent's output from the store that parent wrote it to
 *     (env_get from the node's provider; all reads at once),
 *  2. calls its function on its provider and bin (env_invoke); a source's
 *     call carries the workflow's input from the client (request_bytes),
 *     a sink's call brings its output back to the client (response_bytes),
 *     so the client's network delays are part of the workflow's time,
 *  3. writes its output (env_put from its provider, a virtual object of
 *     out_bytes) to its store when it has children, and to every backup
 *     store, and, for a persist node, to every persist store;
 * and is done when its writes are. Parallel branches run concurrently. A
 * parent's output is deleted from its store (not from backup or persist
 * stores) once its last child has read it: the temporaries of seed 5.3 d.
 *
 * Resuming (multi-store writes): nodes marked done in cfg.resume are not
 * run again; their children read their output from the first backup store,
 * where the earlier run left it. So a workflow that failed midway reruns
 * only what had not finished.
 *
 * A failed call is retried on the same placement up to max_attempts; a
 * failed storage request fails the node at once. A failed node fails the
 * workflow: nothing new starts, requests in flight finish, then done is
 * called once with the first failure. Every node ends in exactly one
 * state: done, skipped (resumed), failed, or not started because the
 * workflow failed.
 *
 * Object keys are "<key_prefix>/<node name>". The executor owns no world:
 * stores and locations are the backend's indexes.
 *
 * Ownership: cfg and everything it points to are borrowed until done is
 * called; the executor frees itself after calling done. It cannot be
 * cancelled (the seam cannot cancel an invocation). */
#ifndef CLOUDLESS_DAGEXEC_H
#define CLOUDLESS_DAGEXEC_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/dag.h"
#include "env.h"

/* Where a node runs, and where its output goes. */
struct dagexec_place {
  uint32_t provider; /* env provider index, also its storage location */
  uint32_t bin;
  uint32_t store;    /* store its children read its output from */
};

struct dagexec_config {
  const dag *d;
  const struct dagexec_place *place; /* one per node */
  const uint32_t *backup;            /* stores every output is also written to (for resume) */
  uint32_t nbackup;
  const uint32_t *persist;           /* stores a persist node writes to (Fig. 7: every cloud store) */
  uint32_t npersist;
  const bool *resume;                /* NULL, or one per node: done in an earlier run, output in backup[0] */
  const char *key_prefix;            /* object keys: "<key_prefix>/<node>" */
  uint32_t max_attempts;             /* calls per node, >= 1 */
  cm_time timeout;                   /* per call; 0: the backend's default */
};

enum dagexec_state {
  DAGEXEC_NOT_STARTED = 0, /* the workflow failed before this node could start */
  DAGEXEC_DONE,
  DAGEXEC_SKIPPED,         /* resumed: done in an earlier run */
  DAGEXEC_FAILED,
};

struct dagexec_node_result {
  enum dagexec_state state;
  cm_time ready;       /* all parents done (workflow start for a source) */
  cm_time invoked;     /* reads done, call sent */
  cm_time called;      /* call answered */
  cm_time end;         /* writes done */
  uint32_t attempts;
  struct invoke_result call; /* the last attempt's */
  int store_status;    /* 0, or the CM_E* code of the storage request that failed it */
  enum store_op store_op; /* that request's operation (STORE_PUT: writing its output, STORE_GET: reading a parent's) */
  uint32_t store;      /* and its store */
};

struct dagexec_result {
  int status;            /* 0, or CM_EIO: a node failed */
  int failed_node;       /* the first failed node, or -1 */
  cm_time start, end;    /* end: the last node done or failed */
  cm_time makespan;      /* end - start when status is 0 */
  const struct dagexec_node_result *nodes; /* one per node, valid during the callback */
  uint64_t puts, gets, deletes, store_failures;
  uint64_t bytes_written, bytes_read;
};

typedef void (*dagexec_done_fn)(env *e, void *arg, const struct dagexec_result *r);

/* Start the workflow now. 0, or CM_EINVAL (an unsealed or empty DAG, no
 * placement, max_attempts 0, persist nodes without persist stores, resume
 * without a backup store) and done is never called. */
int dagexec_run(env *e, const struct dagexec_config *cfg, dagexec_done_fn done, void *arg);

const char *dagexec_state_name(enum dagexec_state s);

#endif
