/* A Loopix client and the seed's benchmark client (seed sections 4.1 and
 * 5), written only against the seam.
 *
 * Three independent Poisson streams, each with its own rate (Loopix):
 * real messages (to real_dest, or to the client itself), loop cover
 * (self-addressed, through the mixnet and back) and drop cover (discarded
 * by the last node of a drop_hops path, type DROP). Paths:
 *  - CLIENT_DOMAIN (Mixclaves): each hop uniform over the nodes of the
 *    trust domain, independently (fully connected, 1 or more hops);
 *  - CLIENT_STRATIFIED (Loopix): nodes[] lists the layers in order, hop j
 *    uniform over layer j mod layers.
 * Per-hop delays are exponential with mean mean_delay (seed: about 1 ms).
 *
 * The benchmark: every self-addressed packet (loops, and real messages
 * when real_dest is 0) carries an experiment id, a sequence number and its
 * send time (seed 5.1). Its round-trip time goes to a streaming histogram
 * (analysis/hist.h). A packet not back within late_after is counted lost
 * when that time passes; if it arrives later it is counted late and its
 * latency still recorded (from the embedded time). So at any moment
 * tracked = received + lost + outstanding, and late <= lost.
 *
 * Every hop but the last is ROUTE for every kind, so the mixes on the way
 * cannot tell real traffic from cover; the last node learns LOOP or DROP.
 *
 * Random streams (env_secret_rng: the OS CSPRNG in real mode, the named
 * reproducible stream in simulation): "client:<addr>:real", ":loop",
 * ":drop" (inter-send times), ":path", ":delay", ":nonce" (ephemeral keys
 * and padding). Ownership: params and
 * node lists are copied; the codec is borrowed and must outlive the
 * client. */
#ifndef MIXCLAVES_CLIENT_H
#define MIXCLAVES_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "hist.h"
#include "mixclaves/codec.h"

typedef struct client client;

enum client_topology { CLIENT_DOMAIN = 0, CLIENT_STRATIFIED = 1 };

struct client_params {
  cm_addr addr;                  /* bound by client_new */
  const struct codec_ops *codec; /* NULL: abstract */
  enum client_topology topology;
  uint32_t hops;                 /* real and loop path length; 0: 1 (DOMAIN) or layers (STRATIFIED) */
  uint32_t layers;               /* STRATIFIED: nodes split into this many equal layers; 0: 3 */
  uint32_t drop_hops;            /* drop cover path length; 0: 1 (discarded at the first hop) */
  double real_rate_per_s;        /* each >= 0; 0 turns the stream off */
  double loop_rate_per_s;
  double drop_rate_per_s;
  cm_addr real_dest;             /* 0: real messages come back to this client (benchmark) */
  cm_time mean_delay;            /* per-hop delay mean; 0: 1 ms (seed 5) */
  cm_time late_after;            /* lost past this round-trip time; 0: 1 s */
  cm_time start, stop;           /* streams send in [start, stop); stop 0: no end */
  uint64_t experiment;           /* experiment id carried in the payload */
  uint32_t epoch;                /* key epoch of the nodes (stamped on every packet) */
  /* Keyed codecs (full): the nodes' public keys, looked up at every build
   * (required then; a lookup failure counts send_failed). */
  codec_key_fn keys;
  void *keys_ctx;
  /* Worlds of many clients (100,000 over 1,000 nodes): share instead of
   * copying. borrow_nodes: client_new keeps nodes[] itself, which must stay
   * unchanged and outlive the client (client_set_nodes copies as usual).
   * rtt: NULL, the client's own histogram (58 KB); else round-trip times go
   * to this one, borrowed, shared with other clients, and client_rtt
   * returns it. */
  bool borrow_nodes;
  hist *rtt;
};

struct client_counters {
  uint64_t sent_real, sent_loop, sent_drop; /* handed to the network */
  uint64_t send_failed;                     /* build or env_send refused; not sent */
  uint64_t tracked;     /* self-addressed packets sent (loops + real to self) */
  uint64_t received;    /* tracked ones back within late_after */
  uint64_t lost;        /* tracked ones not back within late_after */
  uint64_t late;        /* of the lost, arrived afterwards (latency recorded) */
  uint64_t outstanding; /* tracked, neither received nor lost yet */
  uint64_t received_real; /* real messages from other clients */
  uint64_t duplicate;   /* a tracked packet seen twice */
  uint64_t malformed;   /* datagrams that are not a valid payload for this client */
};

/* A client at params->addr over nodes[0..nnodes) (copied). NULL on a bad
 * argument (no nodes, STRATIFIED with nnodes not a multiple of layers,
 * hops beyond the codec's, negative rates, a codec not available, a keyed
 * codec without keys), if the
 * address is taken, or out of memory. */
client *client_new(env *e, const struct client_params *params, const cm_addr *nodes, size_t nnodes);
/* Unbind, cancel timers, free (the histogram too). */
void client_free(client *c);

void client_counters(const client *c, struct client_counters *out);
/* Round-trip times (ns) of every tracked packet that came back, late ones
 * included. Owned by c, valid until client_free; params.rtt when that was
 * given (then every sharing client's times). */
const hist *client_rtt(const client *c);
/* Merge the round-trip times recorded so far into `into`, then forget them
 * (so client_rtt holds only later ones): per-interval percentiles. */
void client_rtt_take(client *c, hist *into);

/* New node list (an epoch change): 0, CM_EINVAL, CM_ENOMEM. */
int client_set_nodes(client *c, const cm_addr *nodes, size_t nnodes);
/* The nodes' new key epoch: stamped on packets built from now on. */
void client_set_epoch(client *c, uint32_t epoch);

/* tracked == received + lost + outstanding, late <= lost. */
bool client_counters_balanced(const struct client_counters *k);

/* The client payload (first CLIENT_PAYLOAD_BYTES of a codec payload),
 * exposed for tests and the real-mode driver: parse 0 or CM_EPARSE. */
#define CLIENT_PAYLOAD_BYTES 56
enum client_kind { CLIENT_REAL = 1, CLIENT_LOOP = 2 };
struct client_payload {
  enum client_kind kind;
  cm_addr src, dst;
  uint64_t seq;
  cm_time sent_at;
  uint64_t experiment;
};
void client_payload_encode(const struct client_payload *p, uint8_t out[CLIENT_PAYLOAD_BYTES]);
int client_payload_decode(const uint8_t *in, size_t len, struct client_payload *p);

#endif
