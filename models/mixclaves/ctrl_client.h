/* The operator's side of the control plane (ctrl.h): send one signed
 * command to one node along a mixnet path, with a reply block back to the
 * operator's address, and get the node's decoded reply (or a timeout) in a
 * callback. Written only against the seam, so an updater drives it in
 * simulation and in real mode alike.
 *
 * The packet: via[0..nvia) (type ROUTE), then the target (type CTRL),
 * per-hop delays exponential with mean mean_delay; every intermediate hop
 * sees exactly what it sees for real traffic. The reply block: back[0..nback)
 * (all ROUTE, same delays), then this client's address. The reply is
 * checked against the request (node, command, sequence number) and, when
 * sign_keys is given, the node's Ed25519 signature; anything else is
 * counted malformed and dropped (the request then times out).
 *
 * Sequence numbers rise strictly: max(last + 1, issued_at), so a restarted
 * updater whose clock_base is the wall clock never reuses one. issued_at =
 * clock_base + env_now: real mode passes the wall clock (ns since the Unix
 * epoch) at env start, as the node does (node_params.ctrl_clock_base);
 * simulation leaves both 0.
 *
 * Callback contract: a send that returns an error never calls back; the
 * callback never runs inside ctrl_client_send; it runs exactly once per
 * request sent with a reply block (CTRL_REPLIED, or CTRL_TIMEOUT after
 * timeout, reply NULL), and never after ctrl_client_free. The reply is
 * borrowed for the callback. Random streams (env_secret_rng):
 * "ctrl:<addr>:delay", ":nonce". Ownership: params and the secret key are
 * copied; the codec is borrowed and must outlive the client. */
#ifndef MIXCLAVES_CTRL_CLIENT_H
#define MIXCLAVES_CTRL_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"
#include "mixclaves/codec.h"
#include "mixclaves/ctrl.h"

typedef struct ctrl_client ctrl_client;

struct ctrl_client_params {
  cm_addr addr;                  /* replies come back here (bound by ctrl_client_new) */
  const struct codec_ops *codec; /* NULL: abstract */
  const uint8_t *operator_sk;    /* Ed25519 secret key, 64 bytes (copied); required */
  uint32_t epoch;                /* key epoch of the nodes (stamped on packets and requests) */
  cm_time mean_delay;            /* per-hop delay mean; 0: 1 ms */
  cm_time timeout;               /* 0: 10 s */
  cm_time clock_base;            /* see the top */
  codec_key_fn keys;             /* keyed codec: the nodes' X25519 keys (required then) */
  void *keys_ctx;
  codec_key_fn sign_keys;        /* the nodes' Ed25519 keys; NULL: replies not verified */
  void *sign_ctx;
};

/* The path of one request (addresses borrowed for the call). nback 0: no
 * reply block, no callback. back_epoch, when set, is the key epoch the
 * reply block is stamped with (default: the client's epoch): a request
 * that moves its relays to a new epoch (INSTALL_EPOCH) wants its reply
 * through them at that one. */
struct ctrl_route {
  const cm_addr *via;
  size_t nvia;
  const cm_addr *back;
  size_t nback;
  bool back_epoch_set;
  uint32_t back_epoch;
};

enum ctrl_outcome { CTRL_REPLIED = 0, CTRL_TIMEOUT = 1 };
typedef void (*ctrl_reply_fn)(void *arg, enum ctrl_outcome outcome, const struct ctrl_reply *reply);

struct ctrl_client_counters {
  uint64_t sent, send_failed, replied, timed_out, malformed, outstanding;
};

/* NULL on a bad argument (no key, a keyed codec without keys), an address
 * taken, or no memory. */
ctrl_client *ctrl_client_new(env *e, const struct ctrl_client_params *params);
/* Unbind, cancel timers (no callbacks), erase keys, free. */
void ctrl_client_free(ctrl_client *c);

/* Send req (command, target, args; the rest is filled: epoch, seq,
 * issued_at, the reply block, the signature; *req is updated so the caller
 * sees the sequence number). 0, CM_EINVAL (bad request or route, cb NULL
 * with nback > 0), CM_ERANGE (too many hops), or env_send's error. */
int ctrl_client_send(ctrl_client *c, struct ctrl_request *req, const struct ctrl_route *route, ctrl_reply_fn cb,
                     void *arg);

/* The nodes' key epoch changed (after an INSTALL_EPOCH). */
void ctrl_client_set_epoch(ctrl_client *c, uint32_t epoch);
void ctrl_client_counters(const ctrl_client *c, struct ctrl_client_counters *out);

#endif
