/* For analysis/results*.c only: the store's layout and the internal calls
 * shared by the run/metric code (results.c), model tables
 * (results_table.c), the writer's identity (results_writer.c), schema
 * upgrades (results_upgrade.c) and run parameters (results_params.c). */
#ifndef CM_RESULTS_IMPL_H
#define CM_RESULTS_IMPL_H

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

#include "results.h"

/* The process writing a run, as stored in runs.writer_host, writer_pid and
 * writer_start ("BOOT_ID PID_NAMESPACE START_TICKS"; NULL without /proc). */
struct results_writer {
  char *host;
  int64_t pid;
  char *start;
};

enum results_writer_state {
  RESULTS_WRITER_ALIVE,   /* the same process is still there */
  RESULTS_WRITER_GONE,    /* no such process, the pid was reused, or the host rebooted since */
  RESULTS_WRITER_UNKNOWN  /* another host, another pid namespace, or no identity: cannot tell */
};

struct results {
  sqlite3 *db;
  char *path;
  char *errmsg;            /* last error, g_malloc'd; NULL if none */
  sqlite3_stmt *begin;     /* BEGIN IMMEDIATE */
  sqlite3_stmt *commit;    /* COMMIT */
  sqlite3_stmt *run_ins;   /* INSERT INTO runs */
  sqlite3_stmt *run_upd;   /* UPDATE runs at run end */
  sqlite3_stmt *metric;    /* upsert into run_metrics */
  GPtrArray *tables;       /* results_table *, owned */
  unsigned pending;        /* writes in the open transaction */
  uint64_t rows_written;
  struct results_writer self; /* this process, recorded in each run it begins */
  GArray *marked;             /* int64_t: runs this open marked incomplete, in id order */
};

/* Replace r's error text with a formatted message. */
void results__err_set(results *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Record SQLite's current error on r, prefixed by what failed; CM_EDB. */
int results__err_db(results *r, const char *what);
/* Run sql (one or more statements); on failure the error names what (or
 * sql if what is NULL). Returns 0 or CM_EDB. */
int results__exec(results *r, const char *sql, const char *what);
/* Open a write transaction unless one is open. Returns 0 or CM_EDB. */
int results__txn_begin(results *r);
/* Count one write; commit when the batch is full. Returns 0 or CM_EDB. */
int results__txn_count(results *r);

/* Write every table's buffered rows (inside the open transaction, opening
 * one if needed). Returns 0 or CM_EDB. */
int results__flush_tables(results *r);
/* Free a results_table (the GPtrArray free function of r->tables). */
void results__table_free(gpointer p);

/* This process's identity (host, pid, start); start is NULL without /proc. */
void results__writer_self(struct results_writer *w);
void results__writer_clear(struct results_writer *w);
/* Whether the writer (host, pid, start) of a run is still running, seen
 * from self. */
enum results_writer_state results__writer_state(const struct results_writer *self, const char *host, int64_t pid,
                                                const char *start);

/* Inside the open transaction of results_open: bring a file of schema
 * version ver (1 or 2) to RESULTS_SCHEMA_VERSION. Returns 0 or CM_EDB /
 * CM_EPARSE with the reason in r->errmsg. */
int results__upgrade(results *r, int64_t ver);
/* The column definitions of runs, inside CREATE TABLE NAME ( ... ). */
extern const char results__runs_columns[];
/* The CREATE statements of run_params (part of the schema). */
extern const char results__params_schema[];
/* Write the run_params rows of run_id: every key of scenario_text (NULL:
 * none) as group.key, then run.seed = seed and run.mode = mode (both
 * replacing what the text says). Inside the caller's transaction. Returns
 * 0, CM_EPARSE (text that is not a scenario; the message names the run) or
 * CM_EDB. */
int results__params_write(results *r, int64_t run_id, const char *scenario_text, uint64_t seed, const char *mode);
/* Set run.mode of run_id. Returns 0 or CM_EDB. */
int results__params_mode(results *r, int64_t run_id, const char *mode);

#endif
