/* The lattice element of a node's (or a client's) view of the epochs
 * (seed 3.3: "versions ... must form a join semilattice such that
 * concurrent reconfigurations have a deterministic merge function. As a
 * consequence, reconfigurations can never be retracted once committed").
 *
 * A single digest cannot be that element: ordered by (version, committed),
 * an uncommitted proposal of epoch e+1 outranks the committed digest of
 * epoch e, so a replica that merged the proposal no longer says which
 * configuration is committed (and a withdrawn proposal would take the
 * committed one with it). The element is therefore the pair
 *   (last committed digest C, pending proposal P), P only above C,
 * and the join is componentwise, each component by epoch_digest_merge
 * (higher version wins byte for byte; equal versions unite), followed by
 * dropping P when P.version <= C.version (the proposal was overtaken by a
 * commit). Componentwise joins are a semilattice, and the drop commutes
 * with the join (a proposal at or below C stays at or below every later
 * C'), so epoch_state_merge is commutative, associative and idempotent,
 * and C only ever rises: merge never lowers C's version and, at C's
 * version, keeps every node of C. A proposal never hides C.
 *
 * Ownership: plain values (about 36 KB: keep it off small stacks); every
 * function copies. Pure: no I/O, clock or randomness. */
#ifndef MIXCLAVES_EPOCH_STATE_H
#define MIXCLAVES_EPOCH_STATE_H

#include <stdbool.h>

#include "mixclaves/epoch.h"

struct epoch_state {
  bool has_committed;             /* committed is set */
  bool has_pending;               /* pending is set; then pending.version > committed.version */
  struct epoch_digest committed;  /* its committed flag is set */
  struct epoch_digest pending;    /* its committed flag is clear */
};

/* The bottom: nothing committed, nothing pending. */
void epoch_state_init(struct epoch_state *s);

/* s = s ⊔ {d}: d joins the committed or the pending component by its
 * flag. 0, CM_EINVAL (a digest encode refuses), CM_ERANGE (a union past
 * EPOCH_MAX_NODES; s unchanged). */
int epoch_state_add(struct epoch_state *s, const struct epoch_digest *d);

/* out = a ⊔ b (out may alias a or b). 0, CM_EINVAL (an input breaks the
 * invariants above), CM_ERANGE (out unchanged). */
int epoch_state_merge(const struct epoch_state *a, const struct epoch_state *b, struct epoch_state *out);

/* true when a and b hold the same components, byte for byte. */
bool epoch_state_equal(const struct epoch_state *a, const struct epoch_state *b);

#endif
