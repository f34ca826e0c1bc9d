/* The client's workload: how calls are made, in both modes. Open loop:
 * Poisson arrivals at a rate. Closed loop: a number of client threads, each
 * making one call at a time (the next after the previous ends, plus an
 * optional think time), the number of threads ramping linearly from
 * threads_start to threads_end over ramp (seed 6.6, Fig. 8). The function
 * and, for open loops, the rate can change while it runs (the UAV entering
 * a city, seed section 3). Trace-driven: the arrivals come from a pull
 * callback (a replayed trace: time, function, sizes and an execution-time
 * hint each), so this file stays free of I/O; each is made at exactly its
 * time after the workload started (late timers in real mode catch up, as
 * the open loop's do). Calls go to a scheduler; every call made is
 * counted and ends there in one outcome. */
#ifndef CM_CLOUDLESS_WORKLOAD_H
#define CM_CLOUDLESS_WORKLOAD_H

#include <stdbool.h>
#include <stdint.h>

#include "cloudless/sched.h"
#include "env.h"

enum workload_mode { WORKLOAD_OPEN, WORKLOAD_CLOSED, WORKLOAD_TRACE };

/* One arrival of a trace-driven workload. */
struct workload_arrival {
  cm_time t;             /* ns after the workload started; never before the previous arrival */
  const char *function;  /* borrowed until the next pull (copied); 1 .. SCHED_NAME_MAX - 1 bytes */
  size_t request_bytes, response_bytes;
  cm_time exec_hint;     /* run the function this long (struct sched_call.exec_hint); 0 = the platform's model */
};
/* Fill *out with the next arrival: 1, 0 after the last, or a negative
 * CM_E* code (the workload then stops; the callback's owner knows why).
 * Called from workload_new and then from the workload's timers. */
typedef int (*workload_next_fn)(void *arg, struct workload_arrival *out);

struct workload_config {
  enum workload_mode mode;
  const char *function;  /* initial function (copied); trace mode: unused (may be NULL) */
  double rate_per_s;     /* open: Poisson arrival rate */
  uint32_t threads_start, threads_end; /* closed */
  cm_time ramp;          /* closed: threads go from start to end linearly over this; 0 = at once */
  cm_time think;         /* closed: pause between a thread's calls */
  cm_time until;         /* no new call starts at or after this time */
  uint64_t max_calls;    /* stop after this many calls; 0 = no limit */
  size_t request_bytes, response_bytes; /* open, closed */
  workload_next_fn next; /* trace: where arrivals come from (until and max_calls still apply) */
  void *next_arg;
  uint64_t memo_keys;    /* > 0: each call's input key is uniform in [1, memo_keys] (cache use); 0 = none */
  cm_time fail_pause;    /* closed: a thread waits this long after a failed call before its next one
                            (a client does not hammer a broker that just refused it); 0 = none */
};

typedef struct workload workload;

/* Starts generating at the current time. The workload hands calls to s and
 * must be told of each outcome through workload_done (closed loops start a
 * thread's next call from there). NULL with *err set on a bad config. */
workload *workload_new(env *e, sched *s, const struct workload_config *cfg, char **err);
void workload_free(workload *w);

/* Tell the workload a call it made has ended, and whether it failed (call
 * from the sched_done_fn). */
void workload_done(workload *w, uint64_t call_id, bool failed);

/* Change the function (copied; at most SCHED_NAME_MAX - 1 bytes) and, for
 * open loops, the rate (<= 0 keeps the current rate) from now on. A
 * trace-driven workload ignores it: its trace names every call's function. */
void workload_set_function(workload *w, const char *function, double rate_per_s);

uint64_t workload_calls(const workload *w);    /* calls made so far */
uint32_t workload_threads(const workload *w);  /* closed: threads now running */
const char *workload_function(const workload *w);
/* Trace mode: true once no arrival is left to make (the pull ended or
 * failed, or until / max_calls stopped it); 0 or the error that stopped
 * it: the pull's own code, CM_ERANGE for an arrival before the previous
 * one, CM_EINVAL for an empty or too long function name. */
bool workload_trace_done(const workload *w);
int workload_trace_error(const workload *w);

#endif
