/* Joining per-run results files into one (`cloudmix merge`), and reading
 * what a results file holds (`cloudmix sweep` decides from it whether a job
 * is done).
 *
 * A merge copies every run row of an input and every row of each of its
 * tables that has a `run_id` column, whatever the table (one this build has
 * never seen is created in the output from the input's own CREATE
 * statements), with run ids renumbered after the output's largest. Each
 * input is merged in one transaction: all of it or none of it. Nothing here
 * knows the tables by name except `runs`, so a newer schema merges as long
 * as input and output share its version.
 *
 * Ownership: strings passed in are borrowed; every char ** out-parameter
 * receives a g_malloc'd string the caller g_free's. */
#ifndef CM_MERGE_H
#define CM_MERGE_H

#include <stdbool.h>
#include <stdint.h>

#include "cm.h"

enum merge_kind {
  MERGE_FILE_MISSING,     /* no such file */
  MERGE_FILE_NOT_SQLITE,  /* unreadable, or not an SQLite database */
  MERGE_FILE_NOT_OURS,    /* SQLite, but not a cloudmix results file (an empty file too) */
  MERGE_FILE_RESULTS,     /* a cloudmix results file (application_id CMIX, a runs table) */
};

/* What a file holds. runs counts its run rows; done those whose status is
 * `complete` or `ok` (the run finished and succeeded); failed those
 * `failed`; unfinished the rest (`running`, `incomplete`, anything else). */
struct merge_file_info {
  enum merge_kind kind;
  int64_t version; /* PRAGMA user_version (MERGE_FILE_RESULTS only) */
  int64_t runs, done, failed, unfinished;
};

/* Look at path without writing to it. Returns 0 with *info filled (for any
 * kind; *why, if not NULL, then gets a one-line reason naming the file when
 * kind is not MERGE_FILE_RESULTS, else NULL). */
int merge_file_inspect(const char *path, struct merge_file_info *info, char **why);

/* Is status a finished run's: `complete`, `ok` or `failed`? */
bool merge_status_finished(const char *status);

typedef struct merge merge;

/* Called once per thing left out of a merge: a run not finished (skipped
 * unless include_unfinished), rows of a table without a run_id column, rows
 * whose run_id names no run. msg is one line naming the input, valid during
 * the call. */
typedef void (*merge_note_fn)(void *arg, const char *msg);

struct merge_stats {
  int64_t runs;           /* runs merged */
  int64_t skipped;        /* runs left out (not finished) */
  int64_t rows;           /* rows merged into tables other than runs */
  int64_t tables_created; /* tables made in the output from an input's schema */
};

/* Open (or, when missing or empty, create as a fresh results file of this
 * build's schema) the output. Returns 0, or CM_EINVAL / CM_EDB with *err
 * naming the file. */
int merge_open(const char *out_path, merge **m, char **err);
/* Merge one input in one transaction; on failure nothing of it is in the
 * output. Runs not finished are left out (each one named through note)
 * unless include_unfinished. The input must be a results file of the
 * output's schema version. Adds to *stats only on success. Returns 0, or
 * CM_EINVAL (not a results file / another version) or CM_EDB, with *err. */
int merge_input_add(merge *m, const char *in_path, bool include_unfinished, merge_note_fn note, void *arg,
                    struct merge_stats *stats, char **err);
/* The output's schema version (PRAGMA user_version). */
int64_t merge_version(const merge *m);
/* Close the output. Returns 0 or CM_EDB. NULL-safe. */
int merge_close(merge *m);

#endif
