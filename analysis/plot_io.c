/* The helpers every figure shares: errors naming the results file, checks
 * that a kind's rows are there, a query written as a gnuplot data file,
 * marker lines from a query, and the gnuplot run itself (a child process
 * on a script in the temporary directory; pngcairo when this gnuplot has
 * it, else png). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <glib/gstdio.h>

#include "plot_impl.h"

int plot__fail(struct plot_ctx *p, int rc, const char *fmt, ...) {
  if (p->err) return rc;
  va_list ap;
  va_start(ap, fmt);
  char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  p->err = g_strdup_printf("%s: %s", p->db_path, msg);
  g_free(msg);
  return rc;
}

/* Prepare sql and bind ?1 to the run (if the statement has it). */
static sqlite3_stmt *prepare(struct plot_ctx *p, const char *sql) {
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(p->db, sql, -1, &st, NULL) != SQLITE_OK) {
    plot__fail(p, CM_EINVAL, "cannot read the %s data: %s", plot_kind_name(p->kind), sqlite3_errmsg(p->db));
    return NULL;
  }
  if (sqlite3_bind_parameter_count(st) >= 1) sqlite3_bind_int64(st, 1, p->run_id);
  return st;
}

int plot__has_table(struct plot_ctx *p, const char *table) {
  sqlite3_stmt *st = NULL;
  int found = 0;
  if (sqlite3_prepare_v2(p->db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", -1, &st, NULL) ==
      SQLITE_OK) {
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    found = sqlite3_step(st) == SQLITE_ROW;
  }
  sqlite3_finalize(st);
  return found;
}

int plot__need(struct plot_ctx *p, const char *table, const char *where, const char *hint) {
  const char *kind = plot_kind_name(p->kind);
  if (!plot__has_table(p, table))
    return plot__fail(p, CM_EINVAL, "no table %s; %s needs it: %s", table, kind, hint);
  char *sql = g_strdup_printf("SELECT 1 FROM %s WHERE run_id = ?1%s%s LIMIT 1", table, where ? " AND " : "",
                              where ? where : "");
  sqlite3_stmt *st = prepare(p, sql);
  g_free(sql);
  if (!st) return CM_EINVAL;
  int found = sqlite3_step(st) == SQLITE_ROW;
  sqlite3_finalize(st);
  if (!found)
    return plot__fail(p, CM_EINVAL, "run %lld has no %srows in %s; %s needs them: %s", (long long)p->run_id,
                      where ? "matching " : "", table, kind, hint);
  return 0;
}

void plot__quote(GString *s, const char *text) {
  g_string_append_c(s, '"');
  for (const char *c = text; *c; c++) {
    if (*c == '"' || *c == '\\') g_string_append_c(s, '\\');
    if (*c == '\n') g_string_append(s, "\\n");
    else g_string_append_c(s, *c);
  }
  g_string_append_c(s, '"');
}

/* A column as gnuplot data: NULL is NaN; tabs and newlines become spaces. */
static void put_field(GString *line, sqlite3_stmt *st, int col) {
  if (sqlite3_column_type(st, col) == SQLITE_NULL) {
    g_string_append(line, "NaN");
    return;
  }
  gsize at = line->len;
  g_string_append(line, (const char *)sqlite3_column_text(st, col));
  for (gsize i = at; i < line->len; i++)
    if (line->str[i] == '\t' || line->str[i] == '\n' || line->str[i] == '\r') line->str[i] = ' ';
}

int64_t plot__data(struct plot_ctx *p, const char *file, const char *sql, GPtrArray *groups) {
  sqlite3_stmt *st = prepare(p, sql);
  if (!st) return CM_EINVAL;
  char *path = g_build_filename(p->tmpdir, file, NULL);
  FILE *f = fopen(path, "w");
  int64_t rows = 0;
  int rc;
  if (!f) {
    rows = plot__fail(p, CM_EIO, "cannot write %s: %s", path, g_strerror(errno));
    goto done;
  }
  GString *line = g_string_new(NULL);
  int first = groups ? 1 : 0, ncol = sqlite3_column_count(st);
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (groups) {
      const char *g = (const char *)sqlite3_column_text(st, 0);
      if (!g) g = "(none)";
      if (!groups->len || strcmp(g, g_ptr_array_index(groups, groups->len - 1)) != 0) {
        if (groups->len) fputs("\n\n", f);
        g_ptr_array_add(groups, g_strdup(g));
      }
    }
    g_string_truncate(line, 0);
    for (int c = first; c < ncol; c++) {
      if (c > first) g_string_append_c(line, '\t');
      put_field(line, st, c);
    }
    g_string_append_c(line, '\n');
    fputs(line->str, f);
    rows++;
  }
  g_string_free(line, TRUE);
  if (rc != SQLITE_DONE) rows = plot__fail(p, CM_EINVAL, "cannot read the %s data: %s", plot_kind_name(p->kind),
                                           sqlite3_errmsg(p->db));
  if (fclose(f) != 0 && rows >= 0) rows = plot__fail(p, CM_EIO, "cannot write %s: %s", path, g_strerror(errno));
done:
  g_free(path);
  sqlite3_finalize(st);
  return rows;
}

char *plot__text(struct plot_ctx *p, const char *sql) {
  sqlite3_stmt *st = prepare(p, sql);
  char *text = NULL;
  if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
    text = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  return text;
}

int64_t plot__markers(struct plot_ctx *p, const char *table, const char *sql, int dt) {
  if (!plot__has_table(p, table)) return 0;
  sqlite3_stmt *st = prepare(p, sql);
  if (!st) return CM_EINVAL;
  int64_t n = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    const char *label = (const char *)sqlite3_column_text(st, 1);
    double x = sqlite3_column_double(st, 0);
    g_string_append_printf(p->gp, "set arrow from %.17g, graph 0 to %.17g, graph 1 nohead dt %d lw 1.5 lc 'gray30'\n",
                           x, x, dt);
    g_string_append(p->gp, "set label ");
    plot__quote(p->gp, label ? label : "");
    g_string_append_printf(p->gp, " at %.17g, graph 0.97 offset 0.5, 0 left front font ',9' tc 'gray20'\n", x);
    n++;
  }
  if (rc != SQLITE_DONE) n = plot__fail(p, CM_EINVAL, "cannot read %s: %s", table, sqlite3_errmsg(p->db));
  sqlite3_finalize(st);
  return n;
}

/* Append command (up to its title), then text and a line naming scenario,
 * run and seed as a quoted string, then a newline. */
static void titled(struct plot_ctx *p, const char *command, const char *text) {
  char *t = g_strdup_printf("%s\n%s, run %lld, seed %lld", text, p->scenario, (long long)p->run_id, (long long)p->seed);
  g_string_append(p->gp, command);
  plot__quote(p->gp, t);
  g_string_append_c(p->gp, '\n');
  g_free(t);
}

void plot__title(struct plot_ctx *p, const char *text) { titled(p, "set title ", text); }

void plot__multiplot(struct plot_ctx *p, int rows, int cols, const char *text) {
  char *command = g_strdup_printf("set multiplot layout %d,%d title ", rows, cols);
  titled(p, command, text);
  g_free(command);
}

/* The script: terminal, output file, data format, then the figure. */
static char *script_text(struct plot_ctx *p) {
  GString *s = g_string_new(NULL);
  g_string_append_printf(s,
                         "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {\n"
                         "  set terminal pngcairo noenhanced size %d,%d font 'sans,10'\n"
                         "} else {\n"
                         "  set terminal png noenhanced size %d,%d\n"
                         "}\n"
                         "set output ",
                         p->width, p->height, p->width, p->height);
  plot__quote(s, p->out_path);
  g_string_append(s, "\nset datafile separator \"\\t\"\n"
                     "set grid ytics lc 'gray85'\n");
  g_string_append_len(s, p->gp->str, (gssize)p->gp->len);
  g_string_append(s, "unset output\n");
  return g_string_free(s, FALSE);
}

int plot__gnuplot(struct plot_ctx *p) {
  char *prog = g_find_program_in_path("gnuplot");
  if (!prog) return plot__fail(p, CM_EIO, "gnuplot not found in PATH; install it (Debian: gnuplot-nox)");
  char *script = script_text(p), *path = g_build_filename(p->tmpdir, "plot.gp", NULL), *out = NULL, *errs = NULL;
  GError *gerr = NULL;
  int rc = 0, status = 0;
  if (!g_file_set_contents(path, script, -1, &gerr)) {
    rc = plot__fail(p, CM_EIO, "cannot write %s: %s", path, gerr->message);
    goto done;
  }
  char *argv[] = {prog, "plot.gp", NULL};
  if (!g_spawn_sync(p->tmpdir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status, &gerr)) {
    rc = plot__fail(p, CM_EIO, "cannot run %s: %s", prog, gerr->message);
    goto done;
  }
  g_strstrip(errs);
  if (!g_spawn_check_wait_status(status, &gerr)) {
    rc = plot__fail(p, CM_EIO, "gnuplot failed (%s) drawing %s:\n%s", gerr->message, p->out_path, errs);
    goto done;
  }
  GStatBuf sb;
  if (g_stat(p->out_path, &sb) != 0 || sb.st_size == 0) {
    rc = plot__fail(p, CM_EIO, "gnuplot wrote nothing to %s%s%s", p->out_path, *errs ? ":\n" : "", errs);
    goto done;
  }
  if (*errs) p->warnings = g_strdup(errs);
done:
  if (gerr) g_error_free(gerr);
  g_free(prog);
  g_free(script);
  g_free(path);
  g_free(out);
  g_free(errs);
  return rc;
}
