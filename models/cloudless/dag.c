/* The workflow DAG (see dag.h): nodes and edges while building, then
 * sealed: Kahn's algorithm for the topological order (the smallest ready
 * node first, so the order is deterministic), and a depth-first search to
 * name a cycle when Kahn's stops short. */
#include "cloudless/dag.h"

#include <glib.h>
#include <stdlib.h>
#include <string.h>

struct edge {
  uint32_t from, to;
};

struct dag {
  GArray *nodes; /* struct dag_node */
  GArray *edges; /* struct edge */
  uint64_t in_bytes;
  bool sealed;
  /* sealed: */
  uint32_t *topo;
  uint32_t *par_start, *par; /* CSR: parents of i are par[par_start[i] .. par_start[i+1]) */
  uint32_t *ch_start, *ch;
  uint32_t *sources, *sinks;
  size_t nsources, nsinks;
};

static void set_err(char **err, char *msg) {
  if (err)
    *err = msg;
  else
    g_free(msg);
}

dag *dag_new(void) {
  dag *d = calloc(1, sizeof *d);
  if (!d) return NULL;
  d->nodes = g_array_new(FALSE, TRUE, sizeof(struct dag_node));
  d->edges = g_array_new(FALSE, TRUE, sizeof(struct edge));
  return d;
}

void dag_free(dag *d) {
  if (!d) return;
  g_array_free(d->nodes, TRUE);
  g_array_free(d->edges, TRUE);
  free(d->topo);
  free(d->par_start);
  free(d->par);
  free(d->ch_start);
  free(d->ch);
  free(d->sources);
  free(d->sinks);
  free(d);
}

int dag_find(const dag *d, const char *name) {
  for (guint i = 0; i < d->nodes->len; i++)
    if (strcmp(g_array_index(d->nodes, struct dag_node, i).name, name) == 0) return (int)i;
  return -1;
}

int dag_add_node(dag *d, const struct dag_node *n, char **err) {
  if (d->sealed) {
    set_err(err, g_strdup("the workflow is already sealed"));
    return -1;
  }
  size_t ln = strnlen(n->name, DAG_NAME_MAX), lf = strnlen(n->function, DAG_NAME_MAX);
  if (ln == 0 || ln == DAG_NAME_MAX || lf == 0 || lf == DAG_NAME_MAX) {
    set_err(err, g_strdup_printf("node '%.*s': name and function must be 1 to %d characters", (int)ln, n->name,
                                 DAG_NAME_MAX - 1));
    return -1;
  }
  if (dag_find(d, n->name) >= 0) {
    set_err(err, g_strdup_printf("node '%s' is defined twice", n->name));
    return -1;
  }
  g_array_append_val(d->nodes, *n);
  return (int)d->nodes->len - 1;
}

int dag_add_edge(dag *d, const char *parent, const char *child, char **err) {
  if (d->sealed) {
    set_err(err, g_strdup("the workflow is already sealed"));
    return CM_EINVAL;
  }
  int u = dag_find(d, parent), v = dag_find(d, child);
  if (u < 0 || v < 0) {
    set_err(err, g_strdup_printf("edge %s -> %s: '%s' is not a node of the workflow", parent, child,
                                 u < 0 ? parent : child));
    return CM_ENOENT;
  }
  if (u == v) {
    set_err(err, g_strdup_printf("edge %s -> %s: a node cannot feed itself", parent, child));
    return CM_EINVAL;
  }
  for (guint i = 0; i < d->edges->len; i++) {
    struct edge e = g_array_index(d->edges, struct edge, i);
    if (e.from == (uint32_t)u && e.to == (uint32_t)v) {
      set_err(err, g_strdup_printf("edge %s -> %s is given twice", parent, child));
      return CM_EEXIST;
    }
  }
  struct edge e = {(uint32_t)u, (uint32_t)v};
  g_array_append_val(d->edges, e);
  return 0;
}

/* CSR adjacency: for each node, the far ends of its edges, by `by_from`. */
static void build_csr(const dag *d, bool by_from, uint32_t **start, uint32_t **list) {
  size_t n = d->nodes->len, m = d->edges->len;
  *start = calloc(n + 1, sizeof **start);
  *list = malloc((m ? m : 1) * sizeof **list);
  if (!*start || !*list) cm_fatal(CM_LOC, "dag: out of memory");
  for (size_t i = 0; i < m; i++) {
    struct edge e = g_array_index(d->edges, struct edge, i);
    (*start)[(by_from ? e.from : e.to) + 1]++;
  }
  for (size_t i = 0; i < n; i++) (*start)[i + 1] += (*start)[i];
  uint32_t *fill = malloc((n ? n : 1) * sizeof *fill);
  if (!fill) cm_fatal(CM_LOC, "dag: out of memory");
  memcpy(fill, *start, n * sizeof *fill);
  for (size_t i = 0; i < m; i++) { /* edges in insertion order: lists come out in that order */
    struct edge e = g_array_index(d->edges, struct edge, i);
    uint32_t key = by_from ? e.from : e.to, far = by_from ? e.to : e.from;
    (*list)[fill[key]++] = far;
  }
  free(fill);
}

/* Some cycle among the nodes Kahn's algorithm could not order (done[i]
 * false), as "a -> b -> a": each such node has a parent that is not done
 * either, so walking such parents from the first of them must come back to
 * a node already walked; the walk, reversed, is the cycle. */
static char *cycle_text(const dag *d, const bool *done) {
  size_t n = d->nodes->len;
  uint32_t start = 0;
  while (done[start]) start++;
  int *seen_at = malloc(n * sizeof *seen_at);
  uint32_t *path = malloc((n + 1) * sizeof *path);
  if (!seen_at || !path) cm_fatal(CM_LOC, "dag: out of memory");
  for (size_t i = 0; i < n; i++) seen_at[i] = -1;
  size_t len = 0;
  uint32_t x = start;
  while (seen_at[x] < 0) {
    seen_at[x] = (int)len;
    path[len++] = x;
    for (uint32_t k = d->par_start[x]; k < d->par_start[x + 1]; k++)
      if (!done[d->par[k]]) {
        x = d->par[k];
        break;
      }
  }
  /* path[j .. len), j = seen_at[x], walks parents from x around to x's
   * child path[len - 1]: along the edges that is x, path[len - 1], ...,
   * path[j + 1], x. */
  size_t j = (size_t)seen_at[x];
  GString *s = g_string_new(g_array_index(d->nodes, struct dag_node, x).name);
  for (size_t i = len; i-- > j + 1;)
    g_string_append_printf(s, " -> %s", g_array_index(d->nodes, struct dag_node, path[i]).name);
  g_string_append_printf(s, " -> %s", g_array_index(d->nodes, struct dag_node, x).name);
  free(seen_at);
  free(path);
  return g_string_free(s, FALSE);
}

int dag_seal(dag *d, char **err) {
  if (d->sealed) return 0;
  size_t n = d->nodes->len;
  if (n == 0) {
    set_err(err, g_strdup("the workflow has no nodes"));
    return CM_EINVAL;
  }
  build_csr(d, false, &d->par_start, &d->par);
  build_csr(d, true, &d->ch_start, &d->ch);
  d->topo = malloc(n * sizeof *d->topo);
  uint32_t *indeg = malloc(n * sizeof *indeg);
  bool *done = calloc(n, sizeof *done);
  if (!d->topo || !indeg || !done) cm_fatal(CM_LOC, "dag: out of memory");
  for (size_t i = 0; i < n; i++) indeg[i] = d->par_start[i + 1] - d->par_start[i];
  /* Kahn, smallest ready index first: O(n^2) scans, fine for workflows */
  size_t k = 0;
  for (; k < n; k++) {
    size_t pick = n;
    for (size_t i = 0; i < n && pick == n; i++)
      if (!done[i] && indeg[i] == 0) pick = i;
    if (pick == n) break;
    done[pick] = true;
    d->topo[k] = (uint32_t)pick;
    for (uint32_t j = d->ch_start[pick]; j < d->ch_start[pick + 1]; j++) indeg[d->ch[j]]--;
  }
  int rc = 0;
  if (k < n) {
    char *c = cycle_text(d, done);
    set_err(err, g_strdup_printf("the workflow has a cycle: %s", c));
    g_free(c);
    rc = CM_EINVAL;
  } else {
    d->sources = malloc(n * sizeof *d->sources);
    d->sinks = malloc(n * sizeof *d->sinks);
    if (!d->sources || !d->sinks) cm_fatal(CM_LOC, "dag: out of memory");
    for (size_t i = 0; i < n; i++) {
      if (d->par_start[i + 1] == d->par_start[i]) d->sources[d->nsources++] = (uint32_t)i;
      if (d->ch_start[i + 1] == d->ch_start[i]) d->sinks[d->nsinks++] = (uint32_t)i;
    }
    d->sealed = true;
  }
  free(indeg);
  free(done);
  if (rc) { /* stay unsealed, as before the call */
    free(d->topo);
    free(d->par_start);
    free(d->par);
    free(d->ch_start);
    free(d->ch);
    d->topo = d->par_start = d->par = d->ch_start = d->ch = NULL;
  }
  return rc;
}

void dag_set_input(dag *d, uint64_t in_bytes) { d->in_bytes = in_bytes; }
uint64_t dag_input(const dag *d) { return d->in_bytes; }

size_t dag_size(const dag *d) { return d->nodes->len; }
size_t dag_edges(const dag *d) { return d->edges->len; }

const struct dag_node *dag_node(const dag *d, size_t i) {
  return i < d->nodes->len ? &g_array_index(d->nodes, struct dag_node, i) : NULL;
}

const uint32_t *dag_topo(const dag *d) { return d->topo; }

const uint32_t *dag_parents(const dag *d, size_t i, size_t *n) {
  *n = d->par_start[i + 1] - d->par_start[i];
  return d->par + d->par_start[i];
}

const uint32_t *dag_children(const dag *d, size_t i, size_t *n) {
  *n = d->ch_start[i + 1] - d->ch_start[i];
  return d->ch + d->ch_start[i];
}

const uint32_t *dag_sources(const dag *d, size_t *n) {
  *n = d->nsources;
  return d->sources;
}

const uint32_t *dag_sinks(const dag *d, size_t *n) {
  *n = d->nsinks;
  return d->sinks;
}

bool dag_is_chain(const dag *d) {
  if (!d->sealed || d->nsources != 1) return false;
  for (size_t i = 0; i < d->nodes->len; i++)
    if (d->par_start[i + 1] - d->par_start[i] > 1 || d->ch_start[i + 1] - d->ch_start[i] > 1) return false;
  return true;
}
