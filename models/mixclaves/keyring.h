/* A mix node's per-epoch X25519 keys, each with its own replay filter
 * (Katzenpost and Nym practice; seed 4.1's epochs): at most three at once,
 *   previous  the key of the epoch just ended, accepted for a grace window
 *             after the switch (packets built just before it still arrive)
 *   current   the key of the node's epoch
 *   next      published ahead (so clients can build packets for epoch
 *             e+1 before it starts), accepted already
 * A packet is accepted only for an epoch whose key the ring holds, and its
 * replay tag is checked against THAT key's filter. A filter is created and
 * dropped only with its key: never reset while its key accepts packets
 * (a reset filter would take every tag it held back, README "Epochs and
 * replay"). When next becomes current it keeps its filter.
 *
 * Pure: the caller passes the time; secret keys are copied in and wiped
 * when their key is dropped. Ownership: the ring owns its keys and
 * filters; pointers returned stay valid until the next keyring_switch,
 * keyring_publish_next, keyring_find or keyring_free. */
#ifndef MIXCLAVES_KEYRING_H
#define MIXCLAVES_KEYRING_H

#include <stddef.h>
#include <stdint.h>

#include "cm.h"
#include "mixclaves/sphinx.h"

#define KEYRING_SLOTS 3

struct keyring_key {
  uint32_t epoch;
  uint8_t pk[32], sk[32];
  sphinx_replay *replay; /* this key's filter; NULL: the slot is empty */
  cm_time until;         /* accepted while now < until (CM_TIME_MAX: no end) */
};

typedef struct keyring keyring;

/* An empty ring whose filters are sized for replay_capacity tags at a
 * false-positive rate fp (sphinx_replay_new); grace (>= 0) is how long the
 * previous key stays after a switch (0: dropped at the switch). NULL on a
 * bad argument or out of memory. */
keyring *keyring_new(uint64_t replay_capacity, double fp, cm_time grace);
void keyring_free(keyring *k);

/* Make (epoch, pk, sk) the current key at time now. The current key (if
 * any) becomes previous until now + grace, the former previous is
 * dropped, and so is next unless it is this very key (then it becomes
 * current with its filter). The same key again is a no-op. 0, CM_EINVAL
 * (epoch not above the current one, or the current epoch with another
 * key), CM_ENOMEM. */
int keyring_switch(keyring *k, uint32_t epoch, const uint8_t pk[32], const uint8_t sk[32], cm_time now);

/* Publish the key of a later epoch ahead of its start (replacing a next
 * key published before, and its filter, unless it is the same key). 0,
 * CM_EINVAL (no current key, or epoch not above it), CM_ENOMEM. */
int keyring_publish_next(keyring *k, uint32_t epoch, const uint8_t pk[32], const uint8_t sk[32]);

/* The key that accepts packets of epoch at time now, or NULL. Drops a
 * previous key whose grace has run out first (with its filter). */
struct keyring_key *keyring_find(keyring *k, uint32_t epoch, cm_time now);

/* The current and the next key (NULL: none). */
const struct keyring_key *keyring_current(const keyring *k);
const struct keyring_key *keyring_next(const keyring *k);

/* The epochs whose keys accept packets at now, ascending, into
 * out[0, KEYRING_SLOTS); their count. */
size_t keyring_epochs(const keyring *k, cm_time now, uint32_t out[KEYRING_SLOTS]);

#endif
