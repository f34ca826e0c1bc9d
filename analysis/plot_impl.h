/* For analysis/plot*.c only: the context a figure is drawn in, the shared
 * helpers of plot_io.c (a query into a data file, marker lines from a
 * query, the gnuplot run) and one drawing function per figure kind
 * (plot_figs.c for cloudless runs, plot_mixclaves.c for mixclaves runs). */
#ifndef CM_PLOT_IMPL_H
#define CM_PLOT_IMPL_H

#include <glib.h>
#include <sqlite3.h>
#include <stdint.h>

#include "plot.h"

struct plot_ctx {
  sqlite3 *db;          /* read-only connection */
  const char *db_path;  /* borrowed */
  enum plot_kind kind;
  int64_t run_id;       /* ?1 of every query: the run, or the compare's first run */
  char *scenario;       /* basename of the scenario file (titles only) */
  int64_t seed;
  char *out_path;       /* absolute path of the figure */
  enum plot_format format;
  char *tmpdir;         /* data files and the script unless keep; removed by plot_draw */
  int keep;             /* data files and script beside the figure (plot_opts.keep) */
  char *workdir;        /* where data files and script are written, and gnuplot runs: tmpdir,
                           or with keep the figure's folder */
  char *stem;           /* with keep: the figure's basename without extension ("x"): data
                           files are "x-NAME", the script "x.gp"; else NULL */
  GPtrArray *datafiles; /* names (as the figure code gives them) of the data files written */
  char *script_path;    /* with keep: the script left beside the figure */
  GString *gp;          /* the script body, after the terminal preamble */
  int width, height;    /* of the figure, pixels (PDF: hundredths of an inch) */
  char *err;            /* first error, one line naming the results file */
  char *warnings;       /* gnuplot's stderr on success */
  char *skipped;        /* newer runs passed over as not complete, one line; NULL if none */
};

/* Set p->err (the first error wins) to "DB: " plus the message; returns rc. */
int plot__fail(struct plot_ctx *p, int rc, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Whether table exists in the file. */
int plot__has_table(struct plot_ctx *p, const char *table);
/* 0 if table exists and has a row for run p->run_id matching the SQL
 * condition where (NULL: any); otherwise CM_EINVAL with an error saying
 * the kind needs such rows, then hint. */
int plot__need(struct plot_ctx *p, const char *table, const char *where, const char *hint);
/* Append text to s as a gnuplot double-quoted string. */
void plot__quote(GString *s, const char *text);
/* Run sql with ?1 bound to p->run_id and write its rows, tab-separated
 * (NULL as NaN), to file in p->tmpdir. If groups is not NULL the first
 * column names a group and is not written: each new name starts a data
 * block (gnuplot `index`), and is appended (g_strdup'd) to groups, so rows
 * must come ordered by group. Returns the number of rows, or an error
 * (CM_EINVAL for a query the file cannot answer, CM_EIO for a write). */
int64_t plot__data(struct plot_ctx *p, const char *file, const char *sql, GPtrArray *groups);
/* The first column of the first row of sql (?1 bound to p->run_id) as
 * g_malloc'd text; NULL if no row, NULL value or error. */
char *plot__text(struct plot_ctx *p, const char *sql);
/* Append to p->gp a vertical line (dash type dt) and a label at the top
 * for each row (x, label) of sql, ?1 bound to p->run_id. Nothing if table
 * (the one sql reads) is missing. Returns the number of markers or an error. */
int64_t plot__markers(struct plot_ctx *p, const char *table, const char *sql, int dt);
/* Append "set title" with text, then a line naming scenario, run and seed. */
void plot__title(struct plot_ctx *p, const char *text);
/* Append "set multiplot layout ROWS,COLS title" with the text of plot__title. */
void plot__multiplot(struct plot_ctx *p, int rows, int cols, const char *text);
/* The style of series i of a figure, so that series are told apart
 * without colour: a dash type and a point type that both change with i
 * ("dt D pt P", static). Lines add the points every few samples (pi). */
const char *plot__series_style(unsigned i);
/* Choose the kind of a run under PLOT_AUTO from its model ("cloudless" or
 * "mixclaves") and recorded scenario text, as plot_draw documents; p->run_id
 * is the run. Returns 0 with *out set, or CM_EINVAL (no or unreadable text,
 * an experiment with no kind). */
int plot__kind_choose(struct plot_ctx *p, const char *model, const char *scenario_text, enum plot_kind *out);
/* Run gnuplot on the terminal preamble plus p->gp, writing p->out_path.
 * Returns 0 or CM_EIO (gnuplot missing, failed, or wrote nothing). */
int plot__gnuplot(struct plot_ctx *p);

/* The figures (plot_figs.c): each writes its data, builds p->gp and runs
 * gnuplot. Return 0 or an error set through plot__fail. */
int plot__fig5(struct plot_ctx *p);
int plot__fig8(struct plot_ctx *p);
int plot__fig9(struct plot_ctx *p);
int plot__sec65(struct plot_ctx *p);
int plot__uav(struct plot_ctx *p);
/* plot_cloudless2.c */
int plot__cl_fig6(struct plot_ctx *p);
int plot__cl_table1(struct plot_ctx *p);
int plot__cl_replan(struct plot_ctx *p);
int plot__compare(struct plot_ctx *p);

/* The mixclaves figures (plot_mixclaves.c), the same contract. */
int plot__mx_fig1(struct plot_ctx *p);
int plot__mx_fig8(struct plot_ctx *p);
int plot__mx_fig9(struct plot_ctx *p);
int plot__mx_table1(struct plot_ctx *p);
/* plot_mx_elastic.c */
int plot__mx_fig10(struct plot_ctx *p);

#endif
