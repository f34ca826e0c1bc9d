/* The fault decorator: an env that wraps another env (sim or real) and
 * fails, delays or drops its invocations, storage requests and datagrams by
 * seeded rules, so the same model code runs against injected faults under
 * either backend (STYLE.md rule 6; the method of SQLite's test6.c crash
 * VFS). Every op of the decorator forwards to the inner env except where a
 * rule applies.
 *
 * Callbacks registered through the decorator (timers, datagram handlers,
 * invocation and storage completions) receive the decorator's env pointer,
 * never the inner one, and the seam's whole callback contract (env.h)
 * holds for them.
 *
 * Ownership: env_free(decorator) frees the decorator only, never the inner
 * env, which the caller frees after it (not before). Freeing the decorator
 * cancels its pending timers, held datagrams and fault outcomes on the
 * inner env, cancels the invocations and storage calls it forwarded
 * (env_invoke_cancel, env_store_cancel), and unbinds the addresses bound
 * through it. env_invoke_cancel / env_store_cancel on the decorator stop
 * the request here and on the inner env. Nothing pending calls back after
 * the free. */
#ifndef CM_ENV_FAULT_H
#define CM_ENV_FAULT_H

#include <stddef.h>
#include <stdint.h>

#include "env.h"

/* What a rule matches. */
enum env_fault_what {
  FAULT_INVOKE,   /* env_invoke calls, matched on struct invocation.provider */
  FAULT_DATAGRAM, /* env_send calls, matched on the destination address */
  FAULT_STORE,    /* env_put / env_get / env_delete, matched on struct store_req.store */
};

/* What a firing rule does. */
enum env_fault_action {
  /* Invocations and storage: not forwarded. An invocation ends with
   * `status` and `http_status` (as given) after `delay` ns, latency = delay,
   * exec and init 0; a storage request ends with CM_EIO after `delay`. */
  FAULT_FAIL,
  /* Forwarded. An invocation's outcome, once the inner env returns it, is
   * delivered `delay` later with its latency increased by `delay` (the delay
   * is not turned into a timeout); a storage request's completion likewise
   * (its value copied meanwhile). A datagram is held `delay` ns and then
   * handed to the inner env, so it arrives `delay` after it would have. */
  FAULT_DELAY,
  /* Not forwarded. An invocation ends INVOKE_TIMEOUT (http 504, latency =
   * the timeout) at inv->timeout, or ENV_FAULT_DROP_TIMEOUT when that is 0.
   * A storage request (it has no timeout of its own) ends with CM_EIO at
   * ENV_FAULT_DROP_TIMEOUT. A datagram is dropped silently and counted
   * (lost, see below). */
  FAULT_DROP,
};

/* The timeout of a dropped storage request, and of a dropped invocation
 * whose struct invocation.timeout is 0. */
#define ENV_FAULT_DROP_TIMEOUT CM_S(60)

/* Matches any provider or any destination address. */
#define ENV_FAULT_ANY UINT32_MAX

/* One rule. A call or datagram matches when `what` is its kind,
 * provider_or_addr is ENV_FAULT_ANY or equal to its provider (invocations),
 * store (storage) or destination (datagrams), and start <= env_now < end
 * (end 0: no end).
 * A matching rule fires with `probability`: always at 1, never at 0, and
 * in between by one draw from the decorator's stream "fault:<rule index>"
 * per match. The rules are tried in order; the first that fires decides,
 * a call no rule fires on is forwarded unchanged. */
struct env_fault_rule {
  enum env_fault_what what;
  uint32_t provider_or_addr;  /* provider, store or address */
  cm_time start, end;          /* ns on env_now; start >= 0; end 0 or >= start */
  double probability;          /* [0, 1] */
  enum env_fault_action action;
  enum invoke_status status;   /* FAULT_FAIL on invocations: the outcome, not INVOKE_OK */
  int http_status;             /* FAULT_FAIL on invocations: reported as given */
  cm_time delay;               /* ns, >= 0 */
};

/* A decorator over inner with a copy of rules[0 .. nrules-1] (nrules 0: a
 * pass-through). Its seed is inner's (env_seed), and env_rng on it returns
 * streams it owns, created on first use, whose draws are the same as the
 * inner env's streams of the same name would give (both derive from
 * (seed, name)), without touching the inner's streams. Returns NULL and
 * sets *err (when err is not NULL; one line, g_malloc'd, naming the rule
 * index and field) for a NULL inner, rules NULL with nrules > 0, or a bad
 * rule: unknown what or action, probability outside [0, 1] or NaN, start
 * < 0, end < start (end != 0), delay < 0, FAULT_FAIL on a datagram, or
 * FAULT_FAIL on an invocation with INVOKE_OK or an unknown status. */
env *env_fault_new(env *inner, const struct env_fault_rule *rules, size_t nrules, char **err);

/* The env this decorator wraps (borrowed). cm_fatal if e is no decorator. */
env *env_fault_inner(env *e);

/* What the decorator saw and did. invocations / stores / datagrams count
 * the calls it accepted (returned 0 for); failed + delayed + dropped are
 * those a rule fired on, the rest were forwarded unchanged. A delayed
 * datagram counts once, when sent.
 *
 * env_net_stats on the decorator is the inner env's counters plus the
 * decorator's own datagrams, so that every datagram still ends in exactly
 * one outcome: dropped ones count in sent and in lost; held ones (delayed,
 * not yet handed on) in sent and in_flight, until they are handed to the
 * inner env, which then counts them; a held datagram the inner env refuses
 * when handed on (its sender was unbound meanwhile, an unknown peer in the
 * real backend) counts in sent and send_errors. A datagram a rule fires on
 * is refused at once, like the inner env would, with CM_EINVAL when longer
 * than CM_DATAGRAM_MAX and CM_ENOENT when `from` is not bound through the
 * decorator (the rule's draw is made all the same); other datagrams go
 * straight to the inner env, which decides. */
struct env_fault_stats {
  uint64_t invocations, invocations_failed, invocations_delayed, invocations_dropped;
  uint64_t stores, stores_failed, stores_delayed, stores_dropped;
  uint64_t datagrams, datagrams_delayed, datagrams_dropped;
};
void env_fault_stats(env *e, struct env_fault_stats *out);

#endif
