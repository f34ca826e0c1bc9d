/* The trace sources' table and the calls every source shares (trace.h). */
#include "trace_impl.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* Every format, in the order "auto" tries them. */
static const struct trace_src_ops *const formats[] = {
    &trace_cm_ops,
    &trace__azure2019_ops,
    &trace__azure2021_ops,
    &trace__huawei2023_ops,
    NULL,
};

static const char *const spread_names[TRACE_NSPREADS] = {"equidistant", "uniform", "poisson"};

const char *trace_spread_name(enum trace_spread s) {
  return (unsigned)s < TRACE_NSPREADS ? spread_names[s] : "?";
}

int trace_spread_parse(const char *name, enum trace_spread *out) {
  for (int i = 0; i < TRACE_NSPREADS; i++)
    if (name && !strcmp(name, spread_names[i])) {
      *out = (enum trace_spread)i;
      return 0;
    }
  return CM_EINVAL;
}

static GString *format_list(void) {
  GString *g = g_string_new("");
  for (size_t i = 0; formats[i]; i++) g_string_append_printf(g, "%s%s", i ? ", " : "", formats[i]->name);
  return g;
}

trace_src *trace_open(const char *format, const char *path, const struct trace_opts *opts, char **err) {
  static const struct trace_opts defaults;
  const struct trace_opts *o = opts ? opts : &defaults;
  const struct trace_src_ops *ops = NULL;
  if (!format || !strcmp(format, "auto")) {
    char head[4096];
    size_t n = 0;
    bool dir = g_file_test(path, G_FILE_TEST_IS_DIR);
    FILE *f = dir ? NULL : fopen(path, "rb");
    int open_errno = errno;
    if (f) {
      n = fread(head, 1, sizeof head, f);
      fclose(f);
    } else if (!dir) { /* missing or unreadable: say so, not "unknown format" */
      *err = g_strdup_printf("%s: cannot open: %s", path, g_strerror(open_errno));
      return NULL;
    }
    for (size_t i = 0; formats[i] && !ops; i++)
      if (formats[i]->sniff && formats[i]->sniff(path, head, n)) ops = formats[i];
    if (!ops) {
      GString *g = format_list();
      *err = g_strdup_printf("%s: not a trace of a known format (give --format: %s)", path, g->str);
      g_string_free(g, TRUE);
      return NULL;
    }
  } else {
    for (size_t i = 0; formats[i] && !ops; i++)
      if (!strcmp(formats[i]->name, format)) ops = formats[i];
    if (!ops) {
      GString *g = format_list();
      *err = g_strdup_printf("unknown trace format '%s' (expected auto, %s)", format, g->str);
      g_string_free(g, TRUE);
      return NULL;
    }
  }
  trace_src *s = ops->open(path, o, err);
  if (s) s->ops = ops;
  return s;
}

int trace_next(trace_src *s, struct trace_inv *out) {
  if (s->failed) return -1;
  return s->ops->next(s, out);
}

const char *trace_error(const trace_src *s) { return s->err ? s->err : "no error"; }
const char *trace_format(const trace_src *s) { return s->ops->name; }

void trace_free(trace_src *s) {
  if (!s) return;
  char *e = s->err;
  s->ops->free(s);
  g_free(e);
}

int trace__fail(trace_src *s, const char *file, uint64_t line, uint64_t col, const char *fmt, ...) {
  if (s->failed) return -1;
  va_list ap;
  va_start(ap, fmt);
  char *what = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  s->err = g_strdup_printf("%s:%llu:%llu: %s", file, (unsigned long long)line, (unsigned long long)col, what);
  g_free(what);
  s->failed = true;
  return -1;
}
