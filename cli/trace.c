/* `cloudmix trace info FILE`: read a trace of any format traces/trace.h
 * knows to its end and print what it holds: invocations, functions, the
 * span of arrivals, how many carry a duration and a memory size, and the
 * invocations per function (most first). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "trace.h"

struct fn_count {
  const char *name;
  uint64_t n;
};

static int by_count(const void *a, const void *b) {
  const struct fn_count *x = a, *y = b;
  if (x->n != y->n) return x->n < y->n ? 1 : -1;
  return strcmp(x->name, y->name);
}

/* Pull s to its end: 0, or CM_EXIT_USAGE after printing its error. */
static int info(trace_src *s, const char *path, gint top) {
  GHashTable *per = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  struct trace_inv v;
  uint64_t n = 0, with_dur = 0, with_mem = 0;
  cm_time first = 0, last = 0;
  int rc;
  while ((rc = trace_next(s, &v)) == 1) {
    if (!n) first = v.t;
    last = v.t;
    n++;
    with_dur += v.duration > 0;
    with_mem += v.memory_mb > 0;
    uint64_t *c = g_hash_table_lookup(per, v.function);
    if (!c) {
      c = g_new0(uint64_t, 1);
      g_hash_table_insert(per, g_strdup(v.function), c);
    }
    ++*c;
  }
  if (rc < 0) {
    fprintf(stderr, "cloudmix trace: %s\n", trace_error(s));
    g_hash_table_destroy(per);
    return CM_EXIT_USAGE;
  }
  guint nf = g_hash_table_size(per);
  struct fn_count *all = g_new(struct fn_count, nf ? nf : 1);
  GHashTableIter it;
  gpointer k, val;
  guint i = 0;
  g_hash_table_iter_init(&it, per);
  while (g_hash_table_iter_next(&it, &k, &val)) all[i++] = (struct fn_count){k, *(uint64_t *)val};
  qsort(all, nf, sizeof *all, by_count);
  printf("trace:       %s (%s)\n", path, trace_format(s));
  printf("invocations: %llu\n", (unsigned long long)n);
  printf("functions:   %u\n", nf);
  if (n)
    printf("span:        %.6f s to %.6f s (%.6f s)\n", cm_time_to_s(first), cm_time_to_s(last),
           cm_time_to_s(last - first));
  printf("durations:   %llu of %llu known\n", (unsigned long long)with_dur, (unsigned long long)n);
  printf("memory:      %llu of %llu known\n", (unsigned long long)with_mem, (unsigned long long)n);
  guint shown = top > 0 && (guint)top < nf ? (guint)top : nf;
  if (nf) printf("per function (%u of %u, most first):\n", shown, nf);
  for (i = 0; i < shown; i++) printf("  %12llu  %s\n", (unsigned long long)all[i].n, all[i].name);
  g_free(all);
  g_hash_table_destroy(per);
  return CM_EXIT_OK;
}

int cli_trace(int argc, char **argv) {
  gchar *format = NULL, *spread = NULL, *functions = NULL;
  gint64 seed = 1;
  gdouble start = 0, length = 0;
  gint top = 20;
  GOptionEntry entries[] = {
      {"format", 'f', 0, G_OPTION_ARG_STRING, &format,
       "auto (default: sniffed from the header), azure2019, azure2021, huawei2023", "F"},
      {"spread", 0, 0, G_OPTION_ARG_STRING, &spread,
       "per-interval counts to arrivals: equidistant (default), uniform, poisson", "S"},
      {"seed", 0, 0, G_OPTION_ARG_INT64, &seed, "seed of the spreading and of durations and memory drawn (default 1)",
       "N"},
      {"functions", 0, 0, G_OPTION_ARG_STRING, &functions, "comma-separated function names to keep (default all)",
       "LIST"},
      {"start", 0, 0, G_OPTION_ARG_DOUBLE, &start, "window start, seconds on the trace's clock (default 0)", "S"},
      {"length", 0, 0, G_OPTION_ARG_DOUBLE, &length, "window length, seconds (default: to the end)", "S"},
      {"top", 0, 0, G_OPTION_ARG_INT, &top, "functions listed, most invocations first (default 20, 0 = all)", "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("info FILE - what a trace holds");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx,
      "FILE is a trace file or folder (traces/README.md: the formats, the spreading\n"
      "rules, the percentile draws): an Azure Functions 2019 day (the invocations\n"
      "file, or a folder with the day's invocations, durations and memory files),\n"
      "the Azure Functions 2021 CSV, or Huawei Cloud 2023 requests (a day file, a\n"
      "requests_minute or requests_second folder, or the release folder).\n"
      "It is read to its end: invocations, functions, the span of arrivals, how many\n"
      "carry a duration and a memory size, and invocations per function.\n"
      "\n"
      "Exit codes: 0 ok, 2 bad usage or a trace that cannot be read (the message\n"
      "names FILE:LINE:COL and what was expected).");
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = cli_usage_error("trace", ctx, perr);
    g_free(perr);
    return rc;
  }
  int rc = CM_EXIT_USAGE;
  struct trace_opts o = {.seed = (uint64_t)seed, .functions = functions};
  if (argc != 3 || strcmp(argv[1], "info")) {
    rc = cli_usage_error("trace", ctx, "expected: trace info FILE");
    ctx = NULL;
  } else if (spread && trace_spread_parse(spread, &o.spread)) {
    rc = cli_usage_error("trace", ctx, "--spread: expected equidistant, uniform or poisson");
    ctx = NULL;
  } else if (start < 0 || length < 0 || top < 0) {
    rc = cli_usage_error("trace", ctx, "--start, --length and --top: expected values >= 0");
    ctx = NULL;
  } else {
    o.start = cm_time_from_s(start);
    o.length = cm_time_from_s(length);
    char *err = NULL;
    trace_src *s = trace_open(format, argv[2], &o, &err);
    if (!s) {
      fprintf(stderr, "cloudmix trace: %s\n", err);
      g_free(err);
    } else {
      rc = info(s, argv[2], top);
      trace_free(s);
    }
  }
  if (ctx) g_option_context_free(ctx);
  g_free(format);
  g_free(spread);
  g_free(functions);
  return rc;
}
