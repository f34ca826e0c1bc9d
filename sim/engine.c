/* The engine's run loop: pop the earliest event, advance the clock, call it. */
#include "engine.h"

#include <stddef.h>
#include <stdlib.h>

#include "eventq.h"

struct engine {
  cm_time now; /* first: engine_now in engine.h reads it */
  eventq *q;
  uint64_t events;
  bool stop;
  engine_progress_fn progress;
  void *progress_arg;
  uint64_t progress_every;
};

engine *engine_new(void) {
  engine *en = calloc(1, sizeof(*en));
  if (!en) return NULL;
  en->q = eventq_new();
  if (!en->q) {
    free(en);
    return NULL;
  }
  return en;
}

void engine_free(engine *en) {
  if (!en) return;
  eventq_free(en->q);
  free(en);
}

_Static_assert(offsetof(struct engine, now) == 0, "engine_now reads the first member");

uint64_t engine_at(engine *en, cm_time t, engine_fn fn, void *arg) {
  if (!fn) cm_fatal(CM_LOC, "engine_at: NULL callback");
  if (t < en->now) cm_fatal(CM_LOC, "engine_at: time %lld is before now %lld", (long long)t, (long long)en->now);
  uint64_t id = eventq_push(en->q, t, (eventq_fn)fn, arg);
  if (id == 0) cm_fatal(CM_LOC, "engine_at: out of memory");
  return id;
}

uint64_t engine_after(engine *en, cm_time d, engine_fn fn, void *arg) {
  if (d < 0) cm_fatal(CM_LOC, "engine_after: negative delay %lld", (long long)d);
  if (d > CM_TIME_MAX - en->now) d = CM_TIME_MAX - en->now;
  return engine_at(en, en->now + d, fn, arg);
}

bool engine_cancel(engine *en, uint64_t id, void **arg_out) { return eventq_cancel(en->q, id, arg_out); }

uint64_t engine_run_until(engine *en, cm_time horizon) {
  uint64_t ran = 0;
  uint64_t next_report = en->progress_every ? en->progress_every : UINT64_MAX;
  struct eventq_item it;
  en->stop = false;
  while (!en->stop) {
    if (!eventq_pop_until(en->q, horizon, &it)) {
      if (horizon != CM_TIME_MAX && horizon > en->now) en->now = horizon;
      break;
    }
    en->now = it.time;
    en->events++;
    ((engine_fn)it.fn)(en, it.arg);
    if (++ran >= next_report) {
      en->progress(en, en->progress_arg, en->now, en->events);
      next_report += en->progress_every;
    }
  }
  return ran;
}

void engine_stop(engine *en) { en->stop = true; }

uint64_t engine_events(const engine *en) { return en->events; }
size_t engine_pending(const engine *en) { return eventq_size(en->q); }
size_t engine_bytes(const engine *en) { return eventq_bytes(en->q); }

void engine_set_progress(engine *en, engine_progress_fn fn, void *arg, uint64_t every) {
  en->progress = fn;
  en->progress_arg = arg;
  en->progress_every = fn ? every : 0;
}

cm_time engine_next_time(engine *en) { return eventq_peek_time(en->q); }
