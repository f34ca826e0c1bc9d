/* For analysis/results*.c only: the store's layout and the internal calls
 * shared by the run/metric code (results.c) and model tables (results_table.c). */
#ifndef CM_RESULTS_IMPL_H
#define CM_RESULTS_IMPL_H

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

#include "results.h"

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

#endif
