/* The request table (reqtab.h): ids are gen << 32 | (index + 1), with the
 * generation bumped each time an entry is reused (31 bits, so ids stay
 * positive). */
#include "reqtab.h"

#include <glib.h>

#include "cm.h"

#define NIL UINT32_MAX

_Static_assert(sizeof(void *) >= sizeof(int64_t), "ids travel as callback pointers: 64-bit hosts only");

struct entry {
  void (*fn)(void);
  void *arg;
  uint32_t gen;
  uint32_t next_free; /* NIL when live */
  int kind;
  bool live, cancelled;
};

struct reqtab {
  struct entry *e;
  uint32_t n, cap, free_head;
};

reqtab *reqtab_new(void) {
  reqtab *t = g_new0(reqtab, 1);
  t->free_head = NIL;
  return t;
}

void reqtab_free(reqtab *t) {
  if (!t) return;
  g_free(t->e);
  g_free(t);
}

int64_t reqtab_add(reqtab *t, int kind, void (*fn)(void), void *arg) {
  uint32_t i = t->free_head;
  if (i != NIL) {
    t->free_head = t->e[i].next_free;
  } else {
    if (t->n == t->cap) {
      if (t->cap >= (UINT32_MAX >> 1)) cm_fatal(CM_LOC, "reqtab: too many requests in flight");
      t->cap = t->cap ? t->cap * 2 : 64;
      t->e = g_renew(struct entry, t->e, t->cap);
    }
    i = t->n++;
    t->e[i].gen = 0;
  }
  struct entry *x = &t->e[i];
  x->gen = (x->gen + 1) & 0x7fffffffu;
  if (x->gen == 0) x->gen = 1;
  x->fn = fn;
  x->arg = arg;
  x->kind = kind;
  x->next_free = NIL;
  x->live = true;
  x->cancelled = false;
  return (int64_t)((uint64_t)x->gen << 32 | (uint64_t)(i + 1));
}

static struct entry *find(reqtab *t, int64_t id) {
  if (id <= 0) return NULL;
  uint64_t u = (uint64_t)id;
  uint32_t i = (uint32_t)(u & 0xffffffffu);
  if (i == 0 || i > t->n) return NULL;
  struct entry *x = &t->e[i - 1];
  return x->live && x->gen == (uint32_t)(u >> 32) ? x : NULL;
}

static void release(reqtab *t, struct entry *x) {
  x->live = false;
  x->fn = NULL;
  x->arg = NULL;
  x->next_free = t->free_head;
  t->free_head = (uint32_t)(x - t->e);
}

bool reqtab_take(reqtab *t, int64_t id, void (**fn)(void), void **arg) {
  struct entry *x = find(t, id);
  *fn = NULL;
  *arg = NULL;
  if (!x) return false;
  bool want = !x->cancelled;
  if (want) {
    *fn = x->fn;
    *arg = x->arg;
  }
  release(t, x);
  return want;
}

bool reqtab_cancel(reqtab *t, int64_t id, int kind, bool drop) {
  struct entry *x = find(t, id);
  if (!x || x->cancelled || x->kind != kind) return false;
  x->cancelled = true;
  if (drop) release(t, x);
  return true;
}

void *reqtab_get(reqtab *t, int64_t id, int kind) {
  struct entry *x = find(t, id);
  return x && !x->cancelled && x->kind == kind ? x->arg : NULL;
}
