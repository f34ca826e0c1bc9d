/* A workflow: a directed acyclic graph of function calls (seed 5.1.4 and
 * Fig. 7: preprocess, then ResNet and VGG in parallel, then persist). Each
 * node calls one function and produces out_bytes of output, which its
 * children read (through universal storage when they run elsewhere). The
 * DAG's input (in_bytes) comes from the client to every source node, and
 * every sink's output goes back to the client (seed Fig. 4).
 *
 * Build it with dag_new / dag_add_node / dag_add_edge, then dag_seal, which
 * checks it (no cycle, no self-loop, no duplicate edge, at least one node)
 * and computes the topological order and the parent and child lists; only a
 * sealed DAG is read. Nodes are numbered 0..n-1 in the order added; the
 * topological order breaks ties by that number, so it is deterministic.
 *
 * Errors: the functions that can fail return 0 or a CM_E* code and, when
 * err is not NULL, set *err to a message naming the node(s) (g_free it).
 *
 * Ownership: the DAG copies the strings it is given. */
#ifndef CLOUDLESS_DAG_H
#define CLOUDLESS_DAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cm.h"

#define DAG_NAME_MAX 64

typedef struct dag dag;

struct dag_node {
  char name[DAG_NAME_MAX];     /* unique in the DAG */
  char function[DAG_NAME_MAX]; /* the function it calls */
  uint64_t out_bytes;          /* output its children (or the client) read */
  bool persist;                /* its output is also written to every persistent store (Fig. 7's persist) */
};

dag *dag_new(void);
void dag_free(dag *d);

/* Add a node; its index, or -1 with *err (duplicate or empty name, name or
 * function too long, or the DAG is sealed). */
int dag_add_node(dag *d, const struct dag_node *n, char **err);
/* Add the edge parent -> child, by name: 0, CM_ENOENT (a name that is not
 * a node: "dangling"), CM_EEXIST (duplicate), CM_EINVAL (self-loop, or
 * sealed). */
int dag_add_edge(dag *d, const char *parent, const char *child, char **err);
/* Check and freeze: 0, or CM_EINVAL with *err naming a cycle's nodes
 * ("a -> b -> a") or saying the DAG is empty. */
int dag_seal(dag *d, char **err);

/* Set the DAG's input: bytes the client sends to each source node. */
void dag_set_input(dag *d, uint64_t in_bytes);
uint64_t dag_input(const dag *d);

/* Reading a sealed DAG. */
size_t dag_size(const dag *d);
const struct dag_node *dag_node(const dag *d, size_t i);
/* Index of the node named, or -1. */
int dag_find(const dag *d, const char *name);
/* Nodes in topological order (parents before children). */
const uint32_t *dag_topo(const dag *d);
/* Parents / children of node i (*n set to their number). */
const uint32_t *dag_parents(const dag *d, size_t i, size_t *n);
const uint32_t *dag_children(const dag *d, size_t i, size_t *n);
/* Sources (no parent) and sinks (no child), in node order. */
const uint32_t *dag_sources(const dag *d, size_t *n);
const uint32_t *dag_sinks(const dag *d, size_t *n);
/* Number of edges. */
size_t dag_edges(const dag *d);
/* true if the DAG is a single chain (each node at most one parent and one
 * child, one source): the seed's constrained-shortest-path case. */
bool dag_is_chain(const dag *d);

#endif
