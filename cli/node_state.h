/* A real-mode node's state around the model (cli/node_state.c): its
 * state database (real/epochdb.h) opened next to its keys, the installed
 * epoch loaded at start (digest, packet key from its key file), the
 * persist hook the node calls before it installs an epoch, and the
 * measurement of the running binary. Used by `cloudmix node` and `cloudmix
 * node epoch` (cli/node_epoch.c). Internal to cli/. */
#ifndef CM_CLI_NODE_STATE_H
#define CM_CLI_NODE_STATE_H

#include <stdbool.h>
#include <stdint.h>

#include "epochdb.h"
#include "keyfile.h"
#include "mixclaves/node.h"

/* [node] state's default: "<keys dir>.state.db", a file next to the keys
 * folder (g_malloc'd). Not inside it: that folder holds what `cloudmix
 * node init` made once (secrets and the descriptor), the state changes at
 * every install; named after it so nodes whose key folders share a parent
 * do not share a state. */
char *node_state_default(const char *keydir);

struct node_state {
  epochdb *db;
  char *keydir;                   /* owned */
  uint8_t id_pk[32];              /* x25519.key's public key (the identity) */
  bool installed;                 /* an epoch is installed: digest and inst are set */
  struct epoch_digest *digest;    /* owned */
  struct epochdb_installed inst;
  char *path;                     /* the database's path (owned) */
  int tag_fd[3];                  /* open replay journals (-1: none), of epochs tag_epoch */
  uint32_t tag_epoch[3];
  bool tag_warned;                /* a journal write failed (said once) */
};

/* Open (or make) path for the node of keydir's identity id / descriptor d.
 * If an epoch is installed, load it: its digest into s->digest and its
 * packet key from its key file into id->pk / id->sk (checked against the
 * stored public key). 0 or a CM_E* code with *err naming the file. */
int node_state_open(struct node_state *s, const char *path, const char *keydir, struct node_identity *id,
                    const struct node_descriptor *d, char **err);
void node_state_close(struct node_state *s);

/* The node's params.persist (arg: struct node_state *): the epoch's packet
 * secret into keydir/x25519.VERSION.key (unless it is the identity key, or
 * that file already holds it), then epochdb_install with the operator key
 * s->inst.operator_pk (set it before the first install). The error is
 * printed on stderr. */
int node_state_persist(void *arg, const struct epoch_digest *d, const uint8_t pk[32], const uint8_t sk[32]);

/* The packet key of epoch v made ahead by `cloudmix node epoch prepare`
 * (keydir/x25519.V.key) into k->pk / k->sk: 0, CM_ENOENT (none), or
 * another CM_E* code with *err. */
int node_state_epoch_key(const struct node_state *s, uint32_t v, struct node_identity *k, char **err);

/* The node's epoch, epochs held, installed digest's hash and operator,
 * state file, Ed25519 key, binary hash, measurement and quote, as
 * "KEY VALUE" lines on stdout (the daemon, at start and after its
 * counters). */
void node_state_print(const struct node_config *nc, const struct node_state *ns, const char *statepath);

/* Replay journals, so a restarted node still refuses packets it saw
 * before a crash: "<state>.tags.EPOCH", every new replay tag of that
 * epoch appended (32 bytes, one write() each: they survive a killed
 * process, not a power loss; max_rate_per_s x epoch_length_s x 32 bytes
 * per epoch at most). node_state_tag_log is the node's params.replay_log
 * (arg: struct node_state *). node_state_tags_restore puts the journals of
 * the epochs n holds back into their filters (*restored: how many tags; a
 * torn last record is skipped) and deletes the journals of epochs it no
 * longer holds. 0 or a CM_E* code with *err. */
void node_state_tag_log(void *arg, uint32_t epoch, const uint8_t tag[32]);
int node_state_tags_restore(struct node_state *s, node *n, uint64_t *restored, char **err);

/* BLAKE2b-256 of the running binary (/proc/self/exe, streamed). 0 or
 * CM_EIO with *err. */
int node_binary_measure(uint8_t out[32], char **err);

/* `cloudmix node epoch ...` (cli/node_epoch.c) and `cloudmix node quote`
 * (cli/node_quote.c). */
int node_epoch_cmd(int argc, char **argv);
int node_quote_cmd(int argc, char **argv);

#endif
