/* The helpers every figure shares: errors naming the results file, checks
 * that a kind's rows are there, a query written as a gnuplot data file,
 * marker lines from a query, series styles, and the gnuplot run itself (a
 * child process on a script in the working folder; the terminal by the
 * output's format: pngcairo, else png; pdfcairo; svg). */
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
  char *name = p->stem ? g_strdup_printf("%s-%s", p->stem, file) : g_strdup(file);
  char *path = g_build_filename(p->workdir, name, NULL);
  g_free(name);
  if (!g_ptr_array_find_with_equal_func(p->datafiles, file, g_str_equal, NULL))
    g_ptr_array_add(p->datafiles, g_strdup(file));
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

const char *plot__series_style(unsigned i) {
  /* 5 dash types x 8 point types: the pair repeats after 40 series. */
  static const int pts[] = {7, 5, 9, 11, 13, 6, 4, 8};
  static char buf[8][24];
  static unsigned next;
  char *b = buf[next++ % G_N_ELEMENTS(buf)];
  snprintf(b, sizeof buf[0], "dt %u pt %d", i % 5 + 1, pts[i % G_N_ELEMENTS(pts)]);
  return b;
}

/* The terminal for p->format at p->width x p->height; the cairo ones are
 * checked against this gnuplot's list, so a missing one fails with a
 * message rather than a different file type. */
static void terminal(struct plot_ctx *p, GString *s) {
  switch (p->format) {
  case PLOT_PNG:
    g_string_append_printf(s,
                           "if (strstrt(GPVAL_TERMINALS, ' pngcairo ') > 0) {\n"
                           "  set terminal pngcairo noenhanced size %d,%d font 'sans,10'\n"
                           "} else {\n"
                           "  set terminal png noenhanced size %d,%d\n"
                           "}\n",
                           p->width, p->height, p->width, p->height);
    break;
  case PLOT_PDF:
    g_string_append_printf(s,
                           "if (strstrt(GPVAL_TERMINALS, ' pdfcairo ') == 0) {\n"
                           "  exit error 'this gnuplot has no pdfcairo terminal (Debian: gnuplot-nox has it)'\n"
                           "}\n"
                           "set terminal pdfcairo noenhanced size %.2fin,%.2fin font 'sans,7'\n",
                           p->width / 100.0, p->height / 100.0);
    break;
  case PLOT_SVG:
    g_string_append_printf(s,
                           "set terminal svg noenhanced size %d,%d font 'sans,10' background '#ffffff'\n",
                           p->width, p->height);
    break;
  }
}

/* The script: terminal, output file, data format, then the figure. With
 * keep, the output and data files are named relative to the script's
 * folder (data files by their kept names). */
static char *script_text(struct plot_ctx *p) {
  GString *s = g_string_new(NULL);
  if (p->keep) {
    char *db = g_strdelimit(g_strdup(p->db_path), "\n\r", '?');
    g_string_append_printf(s, "# Kept by `cloudmix plot --keep` from %s, run %lld: run `gnuplot %s.gp` in this\n"
                              "# folder to draw the figure again (restyle it here; the data is in %s-*.dat).\n",
                           db, (long long)p->run_id, p->stem, p->stem);
    g_free(db);
  }
  terminal(p, s);
  g_string_append(s, "set output ");
  char *base = g_path_get_basename(p->out_path);
  plot__quote(s, p->keep ? base : p->out_path);
  g_free(base);
  g_string_append(s, "\nset datafile separator \"\\t\"\n"
                     "set grid ytics lc 'gray85'\n");
  if (!p->keep) g_string_append_len(s, p->gp->str, (gssize)p->gp->len);
  else {
    /* Data files appear in the body as 'NAME' only: rename each. */
    char *body = g_strdup(p->gp->str);
    for (guint i = 0; i < p->datafiles->len; i++) {
      const char *f = g_ptr_array_index(p->datafiles, i);
      char *from = g_strdup_printf("'%s'", f), *to = g_strdup_printf("'%s-%s'", p->stem, f);
      char **parts = g_strsplit(body, from, -1);
      g_free(body);
      body = g_strjoinv(to, parts);
      g_strfreev(parts);
      g_free(from);
      g_free(to);
    }
    g_string_append(s, body);
    g_free(body);
  }
  g_string_append(s, "unset output\n");
  return g_string_free(s, FALSE);
}

int plot__gnuplot(struct plot_ctx *p) {
  char *prog = g_find_program_in_path("gnuplot");
  if (!prog) return plot__fail(p, CM_EIO, "gnuplot not found in PATH; install it (Debian: gnuplot-nox)");
  char *name = p->keep ? g_strdup_printf("%s.gp", p->stem) : g_strdup("plot.gp");
  char *script = script_text(p), *path = g_build_filename(p->workdir, name, NULL), *out = NULL, *errs = NULL;
  GError *gerr = NULL;
  int rc = 0, status = 0;
  if (!g_file_set_contents(path, script, -1, &gerr)) {
    rc = plot__fail(p, CM_EIO, "cannot write %s: %s", path, gerr->message);
    goto done;
  }
  if (p->keep) p->script_path = g_strdup(path);
  char *argv[] = {prog, name, NULL};
  if (!g_spawn_sync(p->workdir, argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &errs, &status, &gerr)) {
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
  g_free(name);
  g_free(out);
  g_free(errs);
  return rc;
}
