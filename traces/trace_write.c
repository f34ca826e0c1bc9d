/* The trace writer (trace_write.h): our format's rows through stdio. */
#include "trace_write.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "trace_impl.h"

struct trace_writer {
  FILE *f;
  char *path;
  uint64_t rows;
  int err; /* errno of the first failed write; 0 */
};

trace_writer *trace_writer_open(const char *path, char **err) {
  FILE *f = fopen(path, "wb");
  if (!f) {
    *err = g_strdup_printf("%s: cannot create the trace: %s", path, g_strerror(errno));
    return NULL;
  }
  trace_writer *w = g_new0(trace_writer, 1);
  w->f = f;
  w->path = g_strdup(path);
  if (fprintf(f, "%s%d\n%s\n", TRACE_CM_MAGIC, TRACE_CM_VERSION, trace_cm_header) < 0) w->err = errno ? errno : EIO;
  return w;
}

int trace_writer_add(trace_writer *w, const struct trace_inv *v) {
  if (w->err) return CM_EIO;
  if (!v || v->id == 0 || v->t < 0 || v->duration < 0 || !(v->memory_mb >= 0) ||
      !trace__cm_name_ok(v->function, TRACE_CM_NAME_MAX) || !v->outcome || !trace__cm_outcome_ok(v->outcome) ||
      (v->provider && !trace__cm_name_ok(v->provider, TRACE_CM_NAME_MAX)))
    return CM_EINVAL;
  char mb[G_ASCII_DTOSTR_BUF_SIZE];
  g_ascii_formatd(mb, sizeof mb, "%.10g", v->memory_mb);
  if (fprintf(w->f, "%llu,%lld,%s,%llu,%llu,%lld,%s,%s,%s,%lld\n", (unsigned long long)v->id, (long long)v->t,
              v->function, (unsigned long long)v->request_bytes, (unsigned long long)v->response_bytes,
              (long long)v->duration, mb, v->outcome, v->provider ? v->provider : "",
              (long long)(v->latency > 0 ? v->latency : 0)) < 0) {
    w->err = errno ? errno : EIO;
    return CM_EIO;
  }
  w->rows++;
  return 0;
}

uint64_t trace_writer_rows(const trace_writer *w) { return w->rows; }

int trace_writer_close(trace_writer *w, char **err) {
  if (!w) return 0;
  if (fflush(w->f) != 0 && !w->err) w->err = errno ? errno : EIO;
  if (fclose(w->f) != 0 && !w->err) w->err = errno ? errno : EIO;
  int rc = 0;
  if (w->err) {
    if (err) *err = g_strdup_printf("%s: writing the trace failed: %s", w->path, g_strerror(w->err));
    rc = CM_EIO;
  }
  g_free(w->path);
  g_free(w);
  return rc;
}
