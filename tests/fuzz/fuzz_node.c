/* libFuzzer target: the mix node's datagram handler. One sim world
 * (fuzz_common.h: a full-codec node with a CPU queue and an abstract-codec
 * node, fixed keys) lives across inputs; each input is split into a few
 * datagrams (records: ctl, length, bytes) handed to node_accept, then the
 * sim runs a short virtual time so that held packets are released. After
 * each input every node counter identity must hold. The replay filters are
 * reset between inputs, and the world is rebuilt whenever an input leaves
 * packets behind (held, queued or in flight) even after the longest delay a
 * full-codec packet can carry, so each input starts from the same state up
 * to the buffers' slot draws and the virtual clock. Build and run: make fuzz. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "fuzz_common.h"

static struct fz_world w;

/* The one call into the node's datagram API. */
static void deliver(node *n, cm_addr from, const uint8_t *pkt, size_t len) { node_accept(n, from, pkt, len); }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  if (sodium_init() < 0 || fz_world_new(&w) != 0) abort();
  return 0;
}

/* Counter identities of one node; true when nothing is left inside it. */
static bool node_settled(const node *n) {
  struct node_counters c;
  node_counters(n, &c);
  CHECK(node_counters_balanced(&c));
  CHECK(c.in_cpu <= FZ_NODE_QUEUE && c.held <= FZ_NODE_BUFFER);
  return c.in_cpu == 0 && c.held == 0;
}

/* Nothing held, queued or in flight. */
static bool settled(void) {
  bool full = node_settled(w.full), abs = node_settled(w.abs);
  struct env_net_stats st;
  env_net_stats(w.e, &st);
  return full && abs && st.in_flight == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  size_t at = 0;
  for (int r = 0; r < FZ_NODE_RECORDS && at + 3 <= size; r++) {
    uint8_t ctl = data[at];
    size_t len = (size_t)data[at + 1] << 8 | data[at + 2];
    at += 3;
    if (len > size - at) len = size - at;
    node *n = ctl & FZ_CTL_ABS ? w.abs : w.full;
    uint8_t *pkt = malloc(len ? len : 1); /* exact size: ASan sees reads past the end */
    if (!pkt) abort();
    memcpy(pkt, data + at, len);
    at += len;
    if ((ctl & FZ_CTL_FORGE) && (ctl & FZ_CTL_ABS) && len == FZ_ABS_PACKET) fz_abstract_forge(pkt);
    if (ctl & FZ_CTL_WAIT) env_run(w.e, env_now(w.e) + CM_MS(ctl >> 5));
    deliver(n, (cm_addr)(FZ_FROM0 + ((ctl & FZ_CTL_FROM) >> 2)), pkt, len);
    free(pkt);
    (void)node_settled(w.full);
    (void)node_settled(w.abs);
  }
  /* most packets are out after 2 s; the longest delay the full codec can
   * carry (2^32 us) is over after 4300 s */
  env_run(w.e, env_now(w.e) + CM_S(2));
  if (!settled()) env_run(w.e, env_now(w.e) + CM_S(4300));
  (void)settled(); /* the identities, once more */
  /* A fresh world for the next input: a node's replay filter is reset
   * only with a key change, which would make every corpus packet (built
   * for the fixed keys at epoch 0) stale, so the nodes are made anew. */
  fz_world_free(&w);
  if (fz_world_new(&w) != 0) abort();
  return 0;
}
