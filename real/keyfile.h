/* A real-mode mix node's identity on disk, made once by `cloudmix node init`
 * and loaded at every start: its X25519 and Ed25519 key pairs, drawn from
 * the OS CSPRNG (libsodium) and written owner-only, and its public
 * descriptor (address, listen, keys, epoch, profile), which clients and
 * other nodes load. Keys are never derived from a seed in real mode
 * (DESIGN.md, "Two kinds of randomness").
 *
 * In DIR:
 *   x25519.key       secret: 64 hex digits (the clamped X25519 secret), mode 0600
 *   ed25519.key      secret: 128 hex digits (libsodium's seed || pk form), mode 0600
 *   node.descriptor  public: a GKeyFile, group [descriptor], keys address,
 *                    listen, pk, sign_pk, epoch, profile
 * Errors come back as one line (g_malloc'd *err) naming the file and what
 * was expected; secrets never appear in them. */
#ifndef CM_KEYFILE_H
#define CM_KEYFILE_H

#include <stddef.h>
#include <stdint.h>

#include "mixclaves/node.h"

#define KEYFILE_X25519 "x25519.key"
#define KEYFILE_ED25519 "ed25519.key"
#define KEYFILE_DESCRIPTOR "node.descriptor"
#define KEYFILE_PROFILE "mixclaves" /* the Sphinx profile of the full codec */

/* The public description of a node. */
struct node_descriptor {
  uint32_t address;   /* cm_addr, >= 1 */
  char listen[128];   /* HOST:PORT */
  uint8_t pk[32];     /* X25519 packet key (passes sphinx_pk_check) */
  uint8_t sign_pk[32];/* Ed25519 key of its quote */
  uint32_t epoch;     /* key epoch of pk */
  char profile[32];   /* "mixclaves" */
};

/* Make a new identity in dir (created 0700 if missing): fresh keys from the
 * OS CSPRNG, the two secret files (0600, never overwritten: CM_EEXIST if
 * any of the three files exists) and the descriptor from d's address,
 * listen and epoch (pk, sign_pk, profile are filled in, also in *d). 0 or a
 * CM_E* code with *err. */
int keyfile_init(const char *dir, struct node_descriptor *d, char **err);

/* Load dir's identity: both secret files must be regular files owned by
 * this user with no group or other permissions (like ssh's keys), their
 * public halves must match, and the X25519 key must pass sphinx_pk_check.
 * Also reads dir's descriptor into *d when d is not NULL and checks its
 * keys against the secret ones. 0, or CM_ENOENT (no identity: the message
 * names `cloudmix node init`) or another CM_E* code, with *err. */
int keyfile_load(const char *dir, struct node_identity *id, struct node_descriptor *d, char **err);

/* One secret (n bytes, hex and a newline) in a new owner-only file
 * (O_EXCL, 0600; CM_EEXIST if it exists), and read back from an
 * owner-only regular file (CM_ENOENT when missing). 0 or a CM_E* code with
 * *err naming the file. Used for per-epoch packet keys
 * (x25519.EPOCH.key) and the operator's Ed25519 key. */
int keyfile_secret_write(const char *path, const uint8_t *bytes, size_t n, char **err);
int keyfile_secret_read(const char *path, uint8_t *out, size_t n, char **err);

/* Read a descriptor file: every key present and well formed, pk passing
 * sphinx_pk_check. 0 or a CM_E* code with *err (naming the file and key). */
int keyfile_descriptor_read(const char *path, struct node_descriptor *d, char **err);

/* The operator's Ed25519 key pair (the control plane, models/mixclaves/ctrl.h),
 * made once by `cloudmix operator init --dir DIR`:
 *   operator.key  secret: 128 hex digits (libsodium's seed || pk), mode 0600
 *   operator.pub  public: 64 hex digits; nodes load it ([node] operator = FILE)
 * keyfile_operator_init: a fresh pair from the OS CSPRNG (DIR made 0700;
 * CM_EEXIST if either file exists; pk set). keyfile_operator_load: the
 * secret key, owner-only as for a node's keys, and its public half.
 * keyfile_operator_pk_read / _parse: a public key file / 64 hex digits
 * (a valid Ed25519 point, else CM_EPARSE). 0 or a CM_E* code with *err. */
#define KEYFILE_OPERATOR_SK "operator.key"
#define KEYFILE_OPERATOR_PK "operator.pub"
int keyfile_operator_init(const char *dir, uint8_t pk[32], char **err);
int keyfile_operator_load(const char *dir, uint8_t sk[64], uint8_t pk[32], char **err);
int keyfile_operator_pk_read(const char *path, uint8_t pk[32], char **err);
int keyfile_operator_pk_parse(const char *hex, uint8_t pk[32]);

#endif
