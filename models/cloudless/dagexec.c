/* The DAG executor (see dagexec.h): per-node counters of parents and
 * requests outstanding, one small context per seam request, and a run-wide
 * count of requests in flight so that a failed workflow ends only when the
 * world has answered everything it was asked. */
#include "cloudless/dagexec.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct node_run {
  uint32_t parents_left; /* parents not yet done in this run (skipped ones never count) */
  uint32_t reads_left, writes_left;
  uint32_t readers_left; /* children that have not read this output yet */
};

struct run {
  env *e;
  struct dagexec_config cfg;
  dagexec_done_fn done;
  void *arg;
  struct node_run *nr;
  struct dagexec_node_result *res;
  size_t remaining; /* nodes not yet done or skipped */
  uint64_t in_flight;
  bool failed, finished;
  struct dagexec_result out;
};

/* One seam request: which run, which node, and for a read, whose output. */
struct op {
  struct run *r;
  uint32_t node, parent;
  uint32_t store; /* the storage request's store */
};

static void start_node(struct run *r, uint32_t v);
static void invoke(struct run *r, uint32_t v);

static struct op *op_new(struct run *r, uint32_t node, uint32_t parent) {
  struct op *o = malloc(sizeof *o);
  if (!o) cm_fatal(CM_LOC, "dagexec: out of memory");
  *o = (struct op){.r = r, .node = node, .parent = parent};
  r->in_flight++;
  return o;
}

static char *key_of(const struct run *r, uint32_t v) {
  return g_strdup_printf("%s/%s", r->cfg.key_prefix ? r->cfg.key_prefix : "dag", dag_node(r->cfg.d, v)->name);
}

static bool skipped(const struct run *r, uint32_t v) { return r->cfg.resume && r->cfg.resume[v]; }

/* The store v's children read it from. */
static uint32_t output_store(const struct run *r, uint32_t v) {
  return skipped(r, v) ? r->cfg.backup[0] : r->cfg.place[v].store;
}

static bool in_list(const uint32_t *list, uint32_t n, uint32_t x) {
  for (uint32_t i = 0; i < n; i++)
    if (list[i] == x) return true;
  return false;
}

/* Call done once nothing is in flight and the workflow has ended. */
static void maybe_finish(struct run *r) {
  if (r->finished || r->in_flight || (!r->failed && r->remaining)) return;
  r->finished = true;
  r->out.end = env_now(r->e);
  r->out.status = r->failed ? CM_EIO : 0;
  r->out.makespan = r->failed ? 0 : r->out.end - r->out.start;
  r->out.nodes = r->res;
  r->done(r->e, r->arg, &r->out);
  free(r->nr);
  free(r->res);
  free(r);
}

static void fail_node(struct run *r, uint32_t v, int store_status, enum store_op op, uint32_t store) {
  r->res[v].state = DAGEXEC_FAILED;
  r->res[v].store_status = store_status;
  r->res[v].store_op = op;
  r->res[v].store = store;
  r->res[v].end = env_now(r->e);
  if (!r->failed) {
    r->failed = true;
    r->out.failed_node = (int)v;
  }
}

static void node_done(struct run *r, uint32_t v) {
  r->res[v].state = DAGEXEC_DONE;
  r->res[v].end = env_now(r->e);
  r->remaining--;
  size_t nc;
  const uint32_t *ch = dag_children(r->cfg.d, v, &nc);
  for (size_t i = 0; i < nc; i++)
    if (--r->nr[ch[i]].parents_left == 0 && !r->failed) start_node(r, ch[i]);
}

/* Every callback keeps its own request counted in flight until its last
 * line, so that nothing it starts or fails can finish (and free) the run
 * under it; requests refused at once are uncounted by their issuer. */
static void end_op(struct op *o) {
  struct run *r = o->r;
  free(o);
  r->in_flight--;
  maybe_finish(r);
}

static void on_delete(env *e CM_UNUSED, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len CM_UNUSED) {
  struct op *o = arg;
  if (status != 0) o->r->out.store_failures++; /* a leftover temporary, not a workflow failure */
  end_op(o);
}

/* Forget a request the world refused at once (its callback never comes). */
static void drop_op(struct op *o) {
  o->r->in_flight--;
  free(o);
}

/* u's last reader is done: drop its temporary, unless that store also
 * keeps it as a backup or a persisted result. */
static void release_output(struct run *r, uint32_t u) {
  if (skipped(r, u)) return;
  uint32_t s = r->cfg.place[u].store;
  if (in_list(r->cfg.backup, r->cfg.nbackup, s)) return;
  if (dag_node(r->cfg.d, u)->persist && in_list(r->cfg.persist, r->cfg.npersist, s)) return;
  char *key = key_of(r, u);
  struct op *o = op_new(r, u, u);
  struct store_req q = {.store = s, .location = r->cfg.place[u].provider, .key = key};
  if (env_delete(r->e, &q, on_delete, o) < 0) {
    drop_op(o);
    r->out.store_failures++;
  } else {
    r->out.deletes++;
  }
  g_free(key);
}

static void write_result(struct run *r, uint32_t v, int status, size_t len, uint32_t store) {
  if (status != 0) {
    r->out.store_failures++;
    if (r->res[v].state != DAGEXEC_FAILED) fail_node(r, v, status, STORE_PUT, store);
  } else {
    r->out.bytes_written += len;
  }
  if (--r->nr[v].writes_left == 0 && r->res[v].state != DAGEXEC_FAILED) node_done(r, v);
}

static void on_write(env *e CM_UNUSED, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len) {
  struct op *o = arg;
  write_result(o->r, o->node, status, len, o->store);
  end_op(o);
}

/* Write v's output to each store in targets (distinct). */
static void write_output(struct run *r, uint32_t v, const uint32_t *targets, uint32_t n) {
  r->nr[v].writes_left = n;
  if (n == 0) {
    node_done(r, v);
    return;
  }
  char *key = key_of(r, v);
  for (uint32_t i = 0; i < n; i++) {
    struct op *o = op_new(r, v, v);
    o->store = targets[i];
    struct store_req q = {.store = targets[i], .location = r->cfg.place[v].provider, .key = key,
                          .len = dag_node(r->cfg.d, v)->out_bytes};
    r->out.puts++;
    if (env_put(r->e, &q, on_write, o) < 0) {
      r->out.puts--;
      drop_op(o);
      write_result(r, v, CM_EINVAL, 0, targets[i]);
    }
  }
  g_free(key);
}

static void after_call(struct run *r, uint32_t v) {
  const struct dag_node *nd = dag_node(r->cfg.d, v);
  size_t nc;
  dag_children(r->cfg.d, v, &nc);
  uint32_t targets[64], n = 0;
  const uint32_t cap = sizeof targets / sizeof targets[0];
  if (nc) {
    targets[n++] = r->cfg.place[v].store;
    for (uint32_t i = 0; i < r->cfg.nbackup && n < cap; i++)
      if (!in_list(targets, n, r->cfg.backup[i])) targets[n++] = r->cfg.backup[i];
  }
  if (nd->persist)
    for (uint32_t i = 0; i < r->cfg.npersist && n < cap; i++)
      if (!in_list(targets, n, r->cfg.persist[i])) targets[n++] = r->cfg.persist[i];
  write_output(r, v, targets, n);
}

static void on_call(env *e, void *arg, const struct invoke_result *res) {
  struct op *o = arg;
  struct run *r = o->r;
  uint32_t v = o->node;
  r->res[v].call = *res;
  r->res[v].called = env_now(e);
  if (res->status == INVOKE_OK)
    after_call(r, v);
  else if (r->res[v].attempts < r->cfg.max_attempts && !r->failed)
    invoke(r, v);
  else
    fail_node(r, v, 0, STORE_PUT, 0);
  end_op(o);
}

static void invoke(struct run *r, uint32_t v) {
  const struct dag_node *nd = dag_node(r->cfg.d, v);
  size_t np, nc;
  dag_parents(r->cfg.d, v, &np);
  dag_children(r->cfg.d, v, &nc);
  struct invocation inv = {.id = v,
                           .function = nd->function,
                           .provider = r->cfg.place[v].provider,
                           .bin = r->cfg.place[v].bin,
                           .request_bytes = np ? 0 : dag_input(r->cfg.d),
                           .response_bytes = nc ? 0 : nd->out_bytes,
                           .timeout = r->cfg.timeout};
  r->res[v].attempts++;
  r->res[v].invoked = env_now(r->e);
  struct op *o = op_new(r, v, v);
  if (env_invoke(r->e, &inv, on_call, o) < 0) {
    drop_op(o);
    r->res[v].call = (struct invoke_result){.status = INVOKE_ERROR, .reason = "refused by the backend"};
    fail_node(r, v, 0, STORE_PUT, 0);
  }
}

static void read_result(struct run *r, uint32_t v, uint32_t u, int status, size_t len) {
  if (status != 0) {
    r->out.store_failures++;
    if (r->res[v].state != DAGEXEC_FAILED) fail_node(r, v, status, STORE_GET, output_store(r, u));
  } else {
    r->out.bytes_read += len;
  }
  if (!skipped(r, u) && --r->nr[u].readers_left == 0) release_output(r, u);
  if (--r->nr[v].reads_left == 0 && r->res[v].state != DAGEXEC_FAILED && !r->failed) invoke(r, v);
}

static void on_read(env *e CM_UNUSED, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len) {
  struct op *o = arg;
  read_result(o->r, o->node, o->parent, status, len);
  end_op(o);
}

static void start_node(struct run *r, uint32_t v) {
  r->res[v].ready = env_now(r->e);
  size_t np;
  const uint32_t *par = dag_parents(r->cfg.d, v, &np);
  if (np == 0) {
    invoke(r, v);
    return;
  }
  r->nr[v].reads_left = (uint32_t)np;
  for (size_t i = 0; i < np; i++) {
    uint32_t u = par[i];
    char *key = key_of(r, u);
    struct op *o = op_new(r, v, u);
    struct store_req q = {.store = output_store(r, u), .location = r->cfg.place[v].provider, .key = key,
                          .length_only = true}; /* only the read's time and size matter */
    r->out.gets++;
    if (env_get(r->e, &q, on_read, o) < 0) {
      r->out.gets--;
      drop_op(o);
      read_result(r, v, u, CM_EINVAL, 0);
    }
    g_free(key);
  }
}

int dagexec_run(env *e, const struct dagexec_config *cfg, dagexec_done_fn done, void *arg) {
  if (!e || !cfg || !cfg->d || !cfg->place || !done || !dag_topo(cfg->d) || cfg->max_attempts == 0) return CM_EINVAL;
  size_t n = dag_size(cfg->d);
  if ((cfg->resume || cfg->nbackup) && (!cfg->backup || cfg->nbackup == 0)) return CM_EINVAL;
  for (size_t v = 0; v < n; v++)
    if (dag_node(cfg->d, v)->persist && cfg->npersist == 0) return CM_EINVAL;
  struct run *r = calloc(1, sizeof *r);
  if (!r) return CM_ENOMEM;
  r->nr = calloc(n, sizeof *r->nr);
  r->res = calloc(n, sizeof *r->res);
  if (!r->nr || !r->res) {
    free(r->nr);
    free(r->res);
    free(r);
    return CM_ENOMEM;
  }
  *r = (struct run){.e = e, .cfg = *cfg, .done = done, .arg = arg, .nr = r->nr, .res = r->res};
  r->out.failed_node = -1;
  r->out.start = env_now(e);
  r->in_flight = 1; /* held while starting, so no callback can finish the run early */
  for (uint32_t v = 0; v < n; v++) {
    size_t np, nc;
    const uint32_t *par = dag_parents(cfg->d, v, &np);
    dag_children(cfg->d, v, &nc);
    r->nr[v].readers_left = skipped(r, v) ? 0 : (uint32_t)nc;
    for (size_t i = 0; i < np; i++) r->nr[v].parents_left += !skipped(r, par[i]);
    if (skipped(r, v)) {
      r->res[v].state = DAGEXEC_SKIPPED;
      r->res[v].ready = r->res[v].end = r->out.start;
    } else {
      r->remaining++;
    }
  }
  for (uint32_t v = 0; v < n && !r->failed; v++)
    if (!skipped(r, v) && r->nr[v].parents_left == 0) start_node(r, v);
  r->in_flight--;
  maybe_finish(r);
  return 0;
}

const char *dagexec_state_name(enum dagexec_state s) {
  switch (s) {
  case DAGEXEC_NOT_STARTED: return "not-started";
  case DAGEXEC_DONE: return "done";
  case DAGEXEC_SKIPPED: return "skipped";
  case DAGEXEC_FAILED: return "failed";
  }
  return "?";
}
