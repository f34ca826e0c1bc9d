/* A two-node ping-pong written only against the seam: A sends a ping to B,
 * B answers after a timer, A measures the round-trip time and sends the
 * next ping, until N rounds are done; then it calls env_stop. A lost ping
 * or pong is re-sent after a timeout. The same code runs under the sim and
 * the real backend (tests/unit/test_env.c). */
#ifndef CM_PINGPONG_H
#define CM_PINGPONG_H

#include <stdbool.h>
#include <stdint.h>

#include "env.h"

struct pingpong_reply {
  struct pingpong *pp;
  uint32_t seq;
};

struct pingpong {
  /* configuration, set by pingpong_start */
  env *e;
  cm_addr a, b;
  uint32_t rounds;   /* rounds to complete */
  cm_time reply_delay;
  cm_time timeout;
  /* state and results */
  uint32_t done;     /* rounds completed */
  uint32_t seq;      /* sequence number of the ping in flight */
  cm_time sent_at;
  timer_id timer;
  cm_time rtt_min, rtt_max, rtt_sum;
  uint64_t retries;   /* pings re-sent after a timeout */
  uint64_t malformed; /* datagrams dropped as malformed or stale */
  bool finished;
  /* B's pending answers: one ping is in flight at a time, plus re-sends */
  struct pingpong_reply replies[8];
  unsigned reply_next;
};

/* Bind a and b on e and send the first ping. pp is owned by the caller and
 * must outlive the run. Returns 0 or a CM_E* code from env_bind/env_send. */
int pingpong_start(struct pingpong *pp, env *e, cm_addr a, cm_addr b, uint32_t rounds, cm_time reply_delay,
                   cm_time timeout);

/* Cancel the pending timeout and unbind both addresses. */
void pingpong_stop(struct pingpong *pp);

#endif
