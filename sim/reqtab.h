/* Requests in flight whose completion may be cancelled: the ids behind
 * env_invoke / env_put / env_get / env_delete and env_*_cancel. An entry
 * holds the caller's callback and argument; its id packs a generation and
 * an index (never 0, and a stale id no longer matches), so a backend hands
 * the world its own argument, the id, and finds the caller again when the
 * world answers: a cancelled entry swallows that answer. Entries live in a
 * growing array threaded on a free list: no allocation per request in
 * steady state. Used by the sim backend, the fault decorator and the real
 * backend; single-threaded like the env that owns it. */
#ifndef CM_REQTAB_H
#define CM_REQTAB_H

#include <stdbool.h>
#include <stdint.h>

typedef struct reqtab reqtab;

reqtab *reqtab_new(void);
void reqtab_free(reqtab *t);

/* A new entry for (fn, arg) of a kind the backend chooses (invocation,
 * storage request, ...); its id (> 0). fn is any callback pointer. */
int64_t reqtab_add(reqtab *t, int kind, void (*fn)(void), void *arg);

/* End the entry id: *fn and *arg are the caller's, and the result is true
 * if the caller still wants the answer (false: cancelled, or a stale id,
 * then *fn is NULL). The entry is free afterwards. */
bool reqtab_take(reqtab *t, int64_t id, void (**fn)(void), void **arg);

/* Mark id, of this kind, cancelled: true if it was live and not cancelled yet. The entry
 * stays until reqtab_take (the world still answers), or is freed now when
 * drop is true (the backend will never take it: it stopped the request). */
bool reqtab_cancel(reqtab *t, int64_t id, int kind, bool drop);

/* The argument of live, uncancelled entry id of this kind, or NULL. */
void *reqtab_get(reqtab *t, int64_t id, int kind);

/* The id as a callback argument and back (64-bit hosts: reqtab.c checks). */
static inline void *reqtab_arg(int64_t id) { return (void *)(uintptr_t)id; }
static inline int64_t reqtab_id(void *arg) { return (int64_t)(uintptr_t)arg; }

#endif
