/* A real-mode mix node's state database (SQLite, DESIGN.md "epoch
 * database"): what a node needs to rejoin the mixnet after a crash with
 * the same identity and epoch (seed 3.3: "if an operator wants mix nodes
 * to rejoin the mixnet after a crash (rather than as a new node with a new
 * identity), the mix node must persist the digest before installing a new
 * configuration"):
 *   identity   the node's address, Ed25519 key and X25519 identity key
 *              (public parts: a reference to its key files, checked at open)
 *   digests    the committed epoch digests installed, by version, in their
 *              canonical encoding (epoch.h) with their BLAKE2b-256
 *   installed  the version installed now, its packet key's public part,
 *              the file holding its secret (0600, keyfile.h) and the
 *              operator key that signed it
 * epochdb_install writes a digest and makes it the installed one in ONE
 * transaction (synchronous = FULL): after a crash the database holds the
 * old state or the new one, never a mix. The caller (the node's persist
 * hook) runs it before the node switches.
 *
 * Errors come back as a CM_E* code and one line (*err, g_malloc'd) naming
 * the file and what was wrong: not a database, another program's database,
 * another node's, a digest that fails its decoder, hash or signature.
 * Ownership: the handle owns its connection; digests are copied out. */
#ifndef CM_EPOCHDB_H
#define CM_EPOCHDB_H

#include <stdint.h>

#include "cm.h"
#include "mixclaves/epoch.h"

#define EPOCHDB_APP_ID 0x434d4544 /* "CMED": PRAGMA application_id */
#define EPOCHDB_FORMAT 1          /* PRAGMA user_version */

typedef struct epochdb epochdb;

/* The node whose state a database holds (public parts). */
struct epochdb_identity {
  cm_addr address;
  uint8_t sign_pk[32]; /* Ed25519 */
  uint8_t pk[32];      /* X25519 of `cloudmix node init` */
};

/* What is installed. */
struct epochdb_installed {
  uint32_t version;
  uint8_t key_pk[32];      /* the epoch's packet key */
  char key_file[1024];     /* where its secret is (keyfile_secret_read) */
  uint8_t operator_pk[32]; /* the digest carries its signature */
};

/* Open path, creating it (and the schema, with id) when missing; an
 * existing database must be ours (application_id, format, schema) and
 * hold id. 0, or CM_EPARSE (corrupt, foreign, another format), CM_EINVAL
 * (another node's), CM_EIO, with *err. */
int epochdb_open(const char *path, const struct epochdb_identity *id, epochdb **out, char **err);
void epochdb_close(epochdb *db);

/* The database's path (borrowed). */
const char *epochdb_path(const epochdb *db);

/* Store d (committed, carrying operator_pk's signature) and make it the
 * installed epoch with packet key key_pk whose secret is in key_file, in
 * one transaction. The same digest again only updates the installed row.
 * 0, CM_EINVAL (not committed, bad signature, the node not in d with
 * key_pk), CM_EEXIST (another digest of that version), CM_ERANGE (below
 * the installed version), CM_EIO, with *err. */
int epochdb_install(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst, char **err);

/* For tests of a crash inside the transaction: everything
 * epochdb_install writes, in an open transaction, not committed (a
 * process that dies now leaves the old state). 0 or as epochdb_install. */
int epochdb_install_uncommitted(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst,
                                char **err);

/* The installed epoch into *inst and its digest into *d (decoded strictly,
 * its hash and operator signature checked). 0, CM_ENOENT (nothing
 * installed yet), CM_EPARSE (a stored digest fails a check: the file is
 * named), CM_EIO, with *err (not for CM_ENOENT). */
int epochdb_installed(epochdb *db, struct epoch_digest *d, struct epochdb_installed *inst, char **err);

/* The stored committed digest of version v. 0, CM_ENOENT, CM_EPARSE. */
int epochdb_digest(epochdb *db, uint32_t v, struct epoch_digest *d, char **err);

#endif
