/* Ping-pong over the seam. Wire format: 1 type byte ('P' ping, 'O' pong),
 * a 4-byte big-endian sequence number; anything else is malformed. */
#include "pingpong.h"

#include <string.h>

#define PKT_LEN 5

static void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void on_timeout(env *e, void *arg);

static void send_ping(struct pingpong *pp) {
  uint8_t pkt[PKT_LEN] = {'P'};
  put_u32(pkt + 1, pp->seq);
  pp->sent_at = env_now(pp->e);
  env_send(pp->e, pp->a, pp->b, pkt, sizeof pkt);
  pp->timer = env_after(pp->e, pp->timeout, on_timeout, pp);
}

static void on_timeout(env *e CM_UNUSED, void *arg) {
  struct pingpong *pp = arg;
  pp->timer = 0;
  pp->retries++;
  send_ping(pp);
}

/* B: answer a ping after reply_delay. */
static void send_pong(env *e, void *arg) {
  struct pingpong_reply *r = arg;
  uint8_t pkt[PKT_LEN] = {'O'};
  put_u32(pkt + 1, r->seq);
  env_send(e, r->pp->b, r->pp->a, pkt, sizeof pkt);
}

static void on_b(env *e, void *arg, cm_addr from, cm_addr to CM_UNUSED, const uint8_t *pkt, size_t len) {
  struct pingpong *pp = arg;
  if (len != PKT_LEN || pkt[0] != 'P' || from != pp->a) {
    pp->malformed++;
    return;
  }
  struct pingpong_reply *r = &pp->replies[pp->reply_next++ % 8];
  r->pp = pp;
  r->seq = get_u32(pkt + 1);
  env_after(e, pp->reply_delay, send_pong, r);
}

static void on_a(env *e, void *arg, cm_addr from, cm_addr to CM_UNUSED, const uint8_t *pkt, size_t len) {
  struct pingpong *pp = arg;
  if (len != PKT_LEN || pkt[0] != 'O' || from != pp->b || get_u32(pkt + 1) != pp->seq || pp->finished) {
    pp->malformed++; /* malformed, or a late duplicate of an answered ping */
    return;
  }
  cm_time rtt = env_now(e) - pp->sent_at;
  env_cancel(e, pp->timer);
  pp->timer = 0;
  if (pp->done == 0 || rtt < pp->rtt_min) pp->rtt_min = rtt;
  if (rtt > pp->rtt_max) pp->rtt_max = rtt;
  pp->rtt_sum += rtt;
  pp->done++;
  if (pp->done >= pp->rounds) {
    pp->finished = true;
    env_stop(e);
    return;
  }
  pp->seq++;
  send_ping(pp);
}

int pingpong_start(struct pingpong *pp, env *e, cm_addr a, cm_addr b, uint32_t rounds, cm_time reply_delay,
                   cm_time timeout) {
  memset(pp, 0, sizeof *pp);
  pp->e = e;
  pp->a = a;
  pp->b = b;
  pp->rounds = rounds;
  pp->reply_delay = reply_delay;
  pp->timeout = timeout;
  pp->seq = 1;
  int rc = env_bind(e, a, on_a, pp);
  if (rc) return rc;
  rc = env_bind(e, b, on_b, pp);
  if (rc) {
    env_unbind(e, a);
    return rc;
  }
  if (rounds == 0) {
    pp->finished = true;
    return CM_OK;
  }
  send_ping(pp);
  return CM_OK;
}

void pingpong_stop(struct pingpong *pp) {
  if (pp->timer) env_cancel(pp->e, pp->timer);
  pp->timer = 0;
  env_unbind(pp->e, pp->a);
  env_unbind(pp->e, pp->b);
}
