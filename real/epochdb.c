/* The node's state database (epochdb.h): SQLite 3, one transaction per
 * install, every stored digest checked on the way out. */
#include "epochdb.h"

#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>
#include <sqlite3.h>

struct epochdb {
  sqlite3 *db;
  char *path;
};

static const char schema[] =
    "CREATE TABLE identity(one INTEGER PRIMARY KEY CHECK(one = 1), address INTEGER NOT NULL,"
    "  sign_pk BLOB NOT NULL, pk BLOB NOT NULL);"
    "CREATE TABLE digests(version INTEGER PRIMARY KEY, hash BLOB NOT NULL, encoding BLOB NOT NULL);"
    "CREATE TABLE installed(one INTEGER PRIMARY KEY CHECK(one = 1), version INTEGER NOT NULL REFERENCES digests,"
    "  key_pk BLOB NOT NULL, key_file TEXT NOT NULL, operator_pk BLOB NOT NULL);";

static int fail(char **err, int rc, const char *fmt, ...) G_GNUC_PRINTF(3, 4);
static int fail(char **err, int rc, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  if (err) *err = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  return rc;
}

/* A failed SQLite call: "PATH: what: sqlite's message". */
static int sql_fail(epochdb *db, char **err, const char *what) {
  int code = sqlite3_errcode(db->db);
  int rc = code == SQLITE_NOTADB || code == SQLITE_CORRUPT ? CM_EPARSE : CM_EIO;
  return fail(err, rc, "%s: %s: %s%s", db->path, what, sqlite3_errmsg(db->db),
              rc == CM_EPARSE ? " (not a cloudmix epoch database, or a damaged one)" : "");
}

static int exec(epochdb *db, const char *sql, const char *what, char **err) {
  return sqlite3_exec(db->db, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : sql_fail(db, err, what);
}

/* One integer from a query with no parameters. */
static int query_int(epochdb *db, const char *sql, int64_t *out, char **err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, sql, -1, &st, NULL) != SQLITE_OK) return sql_fail(db, err, "reading");
  int rc = sqlite3_step(st) == SQLITE_ROW ? 0 : sql_fail(db, err, "reading");
  if (rc == 0) *out = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc;
}

static bool blob32(sqlite3_stmt *st, int col, uint8_t out[32]) {
  if (sqlite3_column_type(st, col) != SQLITE_BLOB || sqlite3_column_bytes(st, col) != 32) return false;
  memcpy(out, sqlite3_column_blob(st, col), 32);
  return true;
}

static int check_identity(epochdb *db, const struct epochdb_identity *id, char **err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT address, sign_pk, pk FROM identity WHERE one = 1", -1, &st, NULL) !=
      SQLITE_OK)
    return sql_fail(db, err, "reading the identity");
  int rc = 0;
  uint8_t spk[32], pk[32];
  if (sqlite3_step(st) != SQLITE_ROW || !blob32(st, 1, spk) || !blob32(st, 2, pk))
    rc = fail(err, CM_EPARSE, "%s: no node identity recorded; expected a database made by `cloudmix node`", db->path);
  else if ((cm_addr)sqlite3_column_int64(st, 0) != id->address || sodium_memcmp(spk, id->sign_pk, 32) != 0 ||
           sodium_memcmp(pk, id->pk, 32) != 0)
    rc = fail(err, CM_EINVAL,
              "%s: holds the state of another node (address %lld, other keys); expected the node of these keys "
              "(address %u)",
              db->path, (long long)sqlite3_column_int64(st, 0), (unsigned)id->address);
  sqlite3_finalize(st);
  return rc;
}

static int create(epochdb *db, const struct epochdb_identity *id, char **err) {
  char pragmas[128];
  snprintf(pragmas, sizeof pragmas, "PRAGMA application_id = %d; PRAGMA user_version = %d;", EPOCHDB_APP_ID,
           EPOCHDB_FORMAT);
  int rc = exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
  if (rc == 0) rc = exec(db, schema, "creating the schema", err);
  if (rc == 0) rc = exec(db, pragmas, "marking the database", err);
  sqlite3_stmt *st = NULL;
  if (rc == 0 &&
      sqlite3_prepare_v2(db->db, "INSERT INTO identity VALUES (1, ?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
    rc = sql_fail(db, err, "recording the identity");
  if (rc == 0) {
    sqlite3_bind_int64(st, 1, id->address);
    sqlite3_bind_blob(st, 2, id->sign_pk, 32, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, id->pk, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sql_fail(db, err, "recording the identity");
  }
  sqlite3_finalize(st);
  if (rc == 0) return exec(db, "COMMIT", "committing", err);
  sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}

int epochdb_open(const char *path, const struct epochdb_identity *id, epochdb **out, char **err) {
  *out = NULL;
  epochdb *db = g_new0(epochdb, 1);
  db->path = g_strdup(path);
  int rc = 0;
  if (sqlite3_open_v2(path, &db->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
    rc = fail(err, CM_EIO, "%s: cannot open: %s", path, db->db ? sqlite3_errmsg(db->db) : "out of memory");
    goto done;
  }
  sqlite3_busy_timeout(db->db, 5000);
  int64_t app = 0, fmt = 0, tables = 0;
  rc = exec(db, "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON", "setting up", err);
  if (rc == 0) rc = query_int(db, "PRAGMA application_id", &app, err);
  if (rc == 0) rc = query_int(db, "PRAGMA user_version", &fmt, err);
  if (rc == 0) rc = query_int(db, "SELECT count(*) FROM sqlite_master", &tables, err);
  if (rc != 0) goto done;
  if (app == 0 && fmt == 0 && tables == 0) {
    rc = create(db, id, err);
  } else if (app != EPOCHDB_APP_ID) {
    rc = fail(err, CM_EPARSE, "%s: an SQLite database of another program (application_id %#llx); expected a cloudmix "
                              "epoch database (%#x)",
              path, (unsigned long long)app, EPOCHDB_APP_ID);
  } else if (fmt != EPOCHDB_FORMAT) {
    rc = fail(err, CM_EPARSE, "%s: epoch database format %lld; this cloudmix reads format %d", path, (long long)fmt,
              EPOCHDB_FORMAT);
  } else {
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db->db, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW && strcmp((const char *)sqlite3_column_text(st, 0), "ok") != 0)
      rc = fail(err, CM_EPARSE, "%s: damaged: %s", path, sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    if (rc == 0) rc = check_identity(db, id, err);
  }
done:
  if (rc != 0) {
    epochdb_close(db);
    return rc;
  }
  *out = db;
  return 0;
}

void epochdb_close(epochdb *db) {
  if (!db) return;
  sqlite3_close(db->db);
  g_free(db->path);
  g_free(db);
}

const char *epochdb_path(const epochdb *db) { return db->path; }

/* The stored digest row's blobs into *d, checked. */
static int digest_row(epochdb *db, sqlite3_stmt *st, int hcol, int ecol, struct epoch_digest *d, char **err) {
  uint8_t hash[EPOCH_HASH_BYTES], want[EPOCH_HASH_BYTES];
  int len = sqlite3_column_bytes(st, ecol);
  const void *enc = sqlite3_column_blob(st, ecol);
  if (!blob32(st, hcol, want) || !enc || epoch_digest_decode(enc, (size_t)len, d) != 0)
    return fail(err, CM_EPARSE, "%s: a stored epoch digest fails the canonical decoder (damaged)", db->path);
  epoch_digest_hash(d, hash);
  if (sodium_memcmp(hash, want, sizeof hash) != 0)
    return fail(err, CM_EPARSE, "%s: the stored digest of version %u does not match its hash (damaged)", db->path,
                d->version);
  return 0;
}

int epochdb_digest(epochdb *db, uint32_t v, struct epoch_digest *d, char **err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT hash, encoding FROM digests WHERE version = ?", -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, err, "reading the digests");
  sqlite3_bind_int64(st, 1, v);
  int s = sqlite3_step(st);
  int rc = s == SQLITE_ROW ? digest_row(db, st, 0, 1, d, err) : s == SQLITE_DONE ? CM_ENOENT : sql_fail(db, err, "reading the digests");
  sqlite3_finalize(st);
  return rc;
}

int epochdb_installed(epochdb *db, struct epoch_digest *d, struct epochdb_installed *inst, char **err) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db,
                         "SELECT i.version, i.key_pk, i.key_file, i.operator_pk, d.hash, d.encoding "
                         "FROM installed i JOIN digests d ON d.version = i.version WHERE i.one = 1",
                         -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, err, "reading the installed epoch");
  int s = sqlite3_step(st), rc = 0;
  if (s == SQLITE_DONE) rc = CM_ENOENT;
  else if (s != SQLITE_ROW) rc = sql_fail(db, err, "reading the installed epoch");
  else {
    memset(inst, 0, sizeof *inst);
    inst->version = (uint32_t)sqlite3_column_int64(st, 0);
    const char *kf = (const char *)sqlite3_column_text(st, 2);
    if (!blob32(st, 1, inst->key_pk) || !blob32(st, 3, inst->operator_pk) || !kf || !*kf ||
        strlen(kf) >= sizeof inst->key_file)
      rc = fail(err, CM_EPARSE, "%s: the installed epoch's row is damaged", db->path);
    else g_strlcpy(inst->key_file, kf, sizeof inst->key_file);
    if (rc == 0) rc = digest_row(db, st, 4, 5, d, err);
    if (rc == 0 && (d->version != inst->version || !d->committed || epoch_digest_verify(d, inst->operator_pk) != 0))
      rc = fail(err, CM_EPARSE, "%s: the installed digest (version %u) is not committed or fails its operator's "
                                "signature",
                db->path, d->version);
  }
  sqlite3_finalize(st);
  return rc;
}

/* The checks of an install, against the identity row and what is installed. */
static int install_check(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst, char **err) {
  if (!d->committed || d->version != inst->version || epoch_digest_verify(d, inst->operator_pk) != 0)
    return fail(err, CM_EINVAL, "%s: refused to store digest version %u: expected a committed digest signed by the "
                                "operator key given",
                db->path, d->version);
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db->db, "SELECT address, sign_pk FROM identity WHERE one = 1", -1, &st, NULL) != SQLITE_OK)
    return sql_fail(db, err, "reading the identity");
  int rc = 0;
  uint8_t spk[32];
  if (sqlite3_step(st) != SQLITE_ROW || !blob32(st, 1, spk)) rc = fail(err, CM_EPARSE, "%s: no identity", db->path);
  else {
    int i = epoch_digest_find(d, (cm_addr)sqlite3_column_int64(st, 0));
    if (i < 0 || sodium_memcmp(d->nodes[i].sign_pk, spk, 32) != 0 ||
        sodium_memcmp(d->nodes[i].sphinx_pk, inst->key_pk, 32) != 0)
      rc = fail(err, CM_EINVAL, "%s: digest version %u does not list this node with its Ed25519 key and the epoch's "
                                "packet key",
                db->path, d->version);
  }
  sqlite3_finalize(st);
  return rc;
}

static int install_rows(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst,
                        struct epoch_digest *have, char **err);

static int install_write(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst, char **err) {
  int rc = install_check(db, d, inst, err);
  if (rc == 0) rc = exec(db, "BEGIN IMMEDIATE", "starting a transaction", err);
  if (rc != 0) return rc;
  struct epoch_digest *have = g_new(struct epoch_digest, 1);
  rc = install_rows(db, d, inst, have, err);
  g_free(have);
  return rc;
}

/* Inside the open transaction: the checks against what is stored, then
 * the two rows. have is scratch. */
static int install_rows(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst,
                        struct epoch_digest *have, char **err) {
  struct epochdb_installed cur;
  int rc = 0;
  int h = epochdb_installed(db, have, &cur, err);
  if (h == 0 && d->version < cur.version)
    return fail(err, CM_ERANGE, "%s: epoch %u is installed; refused to go back to %u", db->path, cur.version,
                d->version);
  if (h != 0 && h != CM_ENOENT) return h;
  h = epochdb_digest(db, d->version, have, err);
  if (h == 0 && !epoch_digest_equal(have, d))
    return fail(err, CM_EEXIST, "%s: another digest of version %u is stored; a committed epoch is not replaced",
                db->path, d->version);
  if (h != 0 && h != CM_ENOENT) return h;
  uint8_t enc[EPOCH_MAX_BYTES], hash[EPOCH_HASH_BYTES];
  size_t len = 0;
  epoch_digest_encode(d, enc, sizeof enc, &len);
  epoch_digest_hash(d, hash);
  sqlite3_stmt *st = NULL;
  const char *sql[2] = {"INSERT OR IGNORE INTO digests VALUES (?1, ?2, ?3)",
                        "INSERT OR REPLACE INTO installed VALUES (1, ?1, ?4, ?5, ?6)"};
  for (int k = 0; k < 2 && rc == 0; k++) {
    if (sqlite3_prepare_v2(db->db, sql[k], -1, &st, NULL) != SQLITE_OK) return sql_fail(db, err, "writing");
    sqlite3_bind_int64(st, 1, d->version);
    sqlite3_bind_blob(st, 2, hash, sizeof hash, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 3, enc, (int)len, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 4, inst->key_pk, 32, SQLITE_TRANSIENT);
    sqlite3_bind_text(st, 5, inst->key_file, -1, SQLITE_TRANSIENT);
    sqlite3_bind_blob(st, 6, inst->operator_pk, 32, SQLITE_TRANSIENT);
    if (sqlite3_step(st) != SQLITE_DONE) rc = sql_fail(db, err, "writing");
    sqlite3_finalize(st);
  }
  return rc;
}

int epochdb_install_uncommitted(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst,
                                char **err) {
  return install_write(db, d, inst, err);
}

int epochdb_install(epochdb *db, const struct epoch_digest *d, const struct epochdb_installed *inst, char **err) {
  int rc = install_write(db, d, inst, err);
  if (rc == 0) rc = exec(db, "COMMIT", "committing", err);
  if (rc != 0 && !sqlite3_get_autocommit(db->db)) sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
  return rc;
}
