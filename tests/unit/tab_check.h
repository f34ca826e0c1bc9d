/* Shared by the tests of the results-table owners (test_tab_*.c): a results
 * store with one run in a temporary directory, a table's shape as text
 * (PRAGMA table_info, the golden each test compares), and a query's rows
 * as text. */
#ifndef CM_TAB_CHECK_H
#define CM_TAB_CHECK_H

#include "cmocka_inc.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "results.h"

struct tab_fx {
  char *dir, *path;
  results *r;
  int64_t run;
};

/* A fresh store in a new temporary directory, with run 1 begun. */
static inline void fx_open(struct tab_fx *f) {
  f->dir = g_dir_make_tmp("cm_tab_XXXXXX", NULL);
  assert_non_null(f->dir);
  f->path = g_build_filename(f->dir, "out.db", NULL);
  f->r = results_open(f->path, NULL);
  assert_non_null(f->r);
  f->run = results_run_begin(f->r, "test", NULL, NULL, 1);
  assert_int_equal(f->run, 1);
}

/* Close the store (it must close cleanly), then delete the directory. */
static inline void fx_close(struct tab_fx *f) {
  if (f->r) assert_int_equal(results_close(f->r), CM_OK);
  f->r = NULL;
  GDir *d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d))) {
    char *p = g_build_filename(f->dir, name, NULL);
    g_unlink(p);
    g_free(p);
  }
  if (d) g_dir_close(d);
  assert_int_equal(g_rmdir(f->dir), 0);
  g_free(f->dir);
  g_free(f->path);
}

/* The rows of sql (read through a second connection, after flushing f's
 * store): columns joined by '|', rows by '\n', NULL as "NULL". g_free it. */
static inline char *fx_rows(struct tab_fx *f, const char *sql) {
  assert_int_equal(results_flush(f->r), CM_OK);
  sqlite3 *db = NULL;
  assert_int_equal(sqlite3_open_v2(f->path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
  sqlite3_stmt *st = NULL;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  GString *out = g_string_new(NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    if (out->len) g_string_append_c(out, '\n');
    for (int i = 0; i < sqlite3_column_count(st); i++) {
      const unsigned char *t = sqlite3_column_text(st, i);
      g_string_append_printf(out, "%s%s", i ? "|" : "", t ? (const char *)t : "NULL");
    }
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return g_string_free(out, FALSE);
}

/* A table's columns in order: "name TYPE[ NN], ..." (NN: NOT NULL). */
static inline char *fx_shape(struct tab_fx *f, const char *table) {
  char *sql = g_strdup_printf("SELECT name || ' ' || type || CASE WHEN \"notnull\" THEN ' NN' ELSE '' END"
                              " FROM pragma_table_info('%s') ORDER BY cid", table);
  char *rows = fx_rows(f, sql);
  g_free(sql);
  g_strdelimit(rows, "\n", ',');
  return rows;
}

#define assert_text_free(got, want)    \
  do {                                 \
    char *got_ = (got);                \
    assert_string_equal(got_, (want)); \
    g_free(got_);                      \
  } while (0)

#endif
