/* The registration table of platform types and the admission building
 * blocks they share (see platform.h). */
#include "platform.h"

#include <string.h>

#include "cm.h"
#include "faas.h"

const struct platform_ops *const platform_table[] = {
    &platform_lambda, &platform_azure, &platform_cloudrun, &platform_openfaas, &platform_fission, NULL,
};

const struct platform_ops *platform_find(const char *name) {
  if (!name) return NULL;
  for (const struct platform_ops *const *t = platform_table; *t; t++)
    if (strcmp((*t)->name, name) == 0) return *t;
  return NULL;
}

const char *platform_names(void) {
  static char buf[256];
  if (buf[0]) return buf;
  size_t n = 0;
  for (const struct platform_ops *const *t = platform_table; *t; t++) {
    size_t k = strlen((*t)->name);
    if (n + k + 3 >= sizeof buf) break;
    if (n) {
      memcpy(buf + n, ", ", 2);
      n += 2;
    }
    memcpy(buf + n, (*t)->name, k);
    n += k;
  }
  buf[n] = '\0';
  return buf;
}

bool platform_fits_slots(const struct platform_load *l, uint64_t cores CM_UNUSED, uint64_t mem CM_UNUSED) {
  return l->running < l->slots;
}

static bool node_fits(const struct platform_load *l, const struct platform_node *n, uint64_t cores, uint64_t mem) {
  return (!l->pods_cap || n->pods < l->pods_cap) && (!l->cores_cap || n->cores_used + cores <= l->cores_cap) &&
         (!l->mem_cap || n->mem_used + mem <= l->mem_cap);
}

/* The first node with room, or PLATFORM_NO_NODE. O(nodes). */
static uint32_t node_find(const struct platform_load *l, uint64_t cores, uint64_t mem) {
  for (uint32_t i = 0; i < l->nnodes; i++)
    if (node_fits(l, &l->node[i], cores, mem)) return i;
  return PLATFORM_NO_NODE;
}

bool platform_fits_slots_and_capacity(const struct platform_load *l, uint64_t cores, uint64_t mem) {
  if (l->running >= l->slots) return false;
  if (l->nnodes) return node_find(l, cores, mem) != PLATFORM_NO_NODE;
  if (l->cores_cap && l->cores_used + cores > l->cores_cap) return false;
  if (l->mem_cap && l->mem_used + mem > l->mem_cap) return false;
  return true;
}

uint32_t platform_take(struct platform_load *l, uint64_t cores, uint64_t mem) {
  l->running++;
  l->cores_used += cores;
  l->mem_used += mem;
  if (!l->nnodes) return PLATFORM_NO_NODE;
  uint32_t i = node_find(l, cores, mem);
  if (i == PLATFORM_NO_NODE) cm_fatal(CM_LOC, "platform: a request started with no node to hold it");
  l->node[i].pods++;
  l->node[i].cores_used += cores;
  l->node[i].mem_used += mem;
  return i;
}

void platform_give(struct platform_load *l, uint32_t node, uint64_t cores, uint64_t mem) {
  l->running--;
  l->cores_used -= cores;
  l->mem_used -= mem;
  if (node == PLATFORM_NO_NODE) return;
  l->node[node].pods--;
  l->node[node].cores_used -= cores;
  l->node[node].mem_used -= mem;
}

enum platform_full platform_refuse(const struct faas_provider *p CM_UNUSED, const struct platform_load *l CM_UNUSED) {
  return PLATFORM_REFUSE;
}

enum platform_full platform_queue_bounded(const struct faas_provider *p, const struct platform_load *l) {
  return l->queued < p->queue_max ? PLATFORM_QUEUE : PLATFORM_REFUSE;
}
