/* The SQLite results store: one `runs` row per simulation run, generic
 * per-run metrics, and model-defined output tables (see analysis/SCHEMA.md).
 *
 * Ownership: results_open returns a store owned by the caller and released
 * by results_close. Tables from results_table_new belong to the store and are
 * freed by results_close; callers must not use them afterwards. All strings
 * passed in are copied; results_errmsg returns a string owned by the store,
 * valid until the next call on it.
 *
 * Writes go through prepared statements inside batched transactions: a batch
 * commits after RESULTS_BATCH_ROWS pending writes (model rows and metrics),
 * and at results_run_begin, results_run_end and results_close. A store is
 * used by one thread at a time. */
#ifndef CM_RESULTS_H
#define CM_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include "cm.h"

/* PRAGMA user_version written and accepted by this build. */
#define RESULTS_SCHEMA_VERSION 3 /* 3: runs.status complete|incomplete, the writer's identity, run_params, instants in ns; older files are upgraded at open */
/* PRAGMA application_id marking a cloudmix results file ("CMIX"). */
#define RESULTS_APPLICATION_ID 0x434D4958
/* Pending writes per committed transaction. */
#define RESULTS_BATCH_ROWS 10000
/* Model-table rows written per multi-row INSERT (divides RESULTS_BATCH_ROWS). */
#define RESULTS_MULTI_ROWS 50
/* How long a write waits for another connection's lock, in milliseconds. */
#define RESULTS_BUSY_TIMEOUT_MS 5000

typedef struct results results;
typedef struct results_table results_table;

/* Open or create the results file at path, switch it to WAL. An existing
 * cloudmix file is kept and new runs are appended; a file of an older
 * schema version is upgraded in place first (analysis/SCHEMA.md). Every
 * `running` run whose writer was a process of this host that is gone (no
 * such process, its pid now another process's, or the host rebooted since)
 * is marked `incomplete`; runs of other hosts stay `running`. Returns NULL on failure
 * and, if err is not NULL, sets *err to a g_malloc'd one-line message naming
 * the file (not an SQLite database, not a cloudmix file, unknown schema
 * version, cannot open); the caller g_free's it. */
results *results_open(const char *path, char **err);
/* Commit everything pending, free all tables and statements, close the
 * file. Returns 0, or CM_EDB if the final commit or close failed (the store
 * is freed either way). NULL-safe. */
int results_close(results *r);
/* The runs results_open marked incomplete (their writers were gone), in
 * id order: returns how many and points *ids (may be NULL) at them, valid
 * until results_close. 0 for a NULL r. */
size_t results_marked_incomplete(const results *r, const int64_t **ids);
/* Text of the last error on r (SQLite's message, or argument errors);
 * "not an error" if none. */
const char *results_errmsg(results *r);

/* Insert a run row with status 'running', started_at now (UTC), version
 * cm_version and this process's identity (writer_host, writer_pid,
 * writer_start), and its run_params rows (every key of scenario_text as
 * group.key, run.seed = seed, run.mode = sim), and commit them. model must
 * not be NULL; scenario_path and scenario_text may be NULL (stored as
 * NULL). seed is stored as the same 64 bits in a signed INTEGER. Returns
 * the run id (> 0), CM_EINVAL, CM_EPARSE (scenario_text is not INI text;
 * nothing is written) or CM_EDB. */
int64_t results_run_begin(results *r, const char *model,
                          const char *scenario_path, const char *scenario_text,
                          uint64_t seed);
/* Mark a run as made in real mode (runs.mode = 'real' and run.mode in
 * run_params; the default is 'sim') with the real-mode profile's text (no
 * secrets in it), and commit.
 * Returns 0, CM_ENOENT (no such run) or CM_EDB. */
int results_run_real(results *r, int64_t run_id, const char *profile_text);
/* Finish a run: status "complete" or "failed", with its wall time in seconds,
 * events processed and final simulated time in ns; commits. Returns 0,
 * CM_EINVAL (bad status), CM_ERANGE (events > INT64_MAX), CM_ENOENT (no such
 * run) or CM_EDB. */
int results_run_end(results *r, int64_t run_id, const char *status,
                    double wall_seconds, uint64_t events, int64_t sim_end_ns);
/* Set summary figure name of a run (the last value set wins; NaN is stored
 * as NULL). Returns 0, CM_EINVAL or CM_EDB (also for an unknown run id). */
int results_metric(results *r, int64_t run_id, const char *name,
                   double value);

/* A model output table. Each table's SQL lives in its one owner under
 * analysis/ (analysis/SCHEMA.md names it), which wraps this call and the
 * binds in a typed open / add pair; code outside analysis/ uses those.
 * create_sql is run once (one or more statements, normally CREATE TABLE
 * IF NOT EXISTS plus any CREATE INDEX IF NOT EXISTS);
 * insert_sql is a single INSERT with ? placeholders, prepared once. Returns
 * NULL (see results_errmsg) if either fails. */
results_table *results_table_new(results *r, const char *create_sql,
                                 const char *insert_sql);
/* For a table's owner, before results_table_new: columns its table gained
 * after files were written with it. When table exists without a column of
 * columns ("name TYPE", NULL-terminated), it is added (ALTER TABLE ADD
 * COLUMN; the rows already there read NULL in it), so an older results
 * file takes new rows. A table that does not exist is left to create_sql.
 * Returns 0 or CM_EDB (see results_errmsg). */
int results_table_add_columns(results *r, const char *table, const char *const *columns);
/* Bind parameter col (1-based) of the next row. A bad col is reported by
 * the following results_row. NULL t is ignored. */
void results_bind_int(results_table *t, int col, int64_t v);
/* NaN binds NULL (as SQLite itself stores a NaN). */
void results_bind_double(results_table *t, int col, double v);
/* v is copied; NULL binds NULL. */
void results_bind_text(results_table *t, int col, const char *v);
void results_bind_null(results_table *t, int col);
/* Append the bound row, then clear all bindings (unbound parameters of the
 * next row are NULL). Rows are buffered and inserted RESULTS_MULTI_ROWS at
 * a time, so an insert failure (a constraint, a full disk) is reported by
 * the results_row that fills the buffer, or by the next results_flush,
 * results_metric, results_run_end or results_close: CM_EDB, with the
 * failing row named in results_errmsg; the other rows are still written.
 * Returns 0, CM_EINVAL (t NULL) or CM_EDB (a bad column: this row is
 * dropped; or an insert failed). */
int results_row(results_table *t);
/* Write every buffered row and commit. Returns 0, CM_EINVAL or CM_EDB. */
int results_flush(results *r);
/* Model-table rows appended through results_row since open (committed or
 * pending), less those whose insert failed. */
uint64_t results_rows_written(const results *r);

#endif
