/* Owner of trace_map (analysis/SCHEMA.md): how a replay (`cloudmix
 * replay`) mapped each function of its trace to a function of the
 * scenario, one row per trace function. */
#ifndef CM_TAB_TRACE_MAP_H
#define CM_TAB_TRACE_MAP_H

#include <stdint.h>

#include "results.h"

/* trace_map, open in a results store; valid until results_close. */
struct tab_trace_map {
  results_table *t;
};

struct tab_trace_map_row {
  int64_t run_id;
  const char *trace_function; /* the trace's name (borrowed) */
  const char *function;       /* the scenario's function it became (borrowed) */
  const char *rule;           /* "name", "duration" or "round-robin" */
  int64_t invocations;        /* the trace's invocations of it */
  double trace_mean_s;        /* mean of its known durations, s; NaN: none known (stored NULL) */
  double function_mean_s;     /* the scenario function's mean execution time the rule compared, s; NaN: not used */
};

/* Create trace_map in r if missing and fill *out: 0, CM_EINVAL or CM_EDB. */
int tab_trace_map_open(results *r, struct tab_trace_map *out);
/* Append one row: what results_row returns. */
int tab_trace_map_add(struct tab_trace_map *t, const struct tab_trace_map_row *row);

#endif
