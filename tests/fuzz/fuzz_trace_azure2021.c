/* libFuzzer target: the Azure Functions 2021 importer (trace_azure2021.c)
 * on the input as its CSV (fuzz_trace.h for the invariants). Build and
 * run: make fuzz. */
#include "fuzz_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  fz_trace_init(NULL, NULL, "trace.csv", NULL, NULL);
  fz_trace_write(data + 1, size - 1);
  struct trace_opts o = fz_trace_opts(data[0], "a/f,b/g");
  char *p = g_build_filename(fz_dir, "trace.csv", NULL);
  fz_trace_pull(data[0] & 0x80 ? "auto" : "azure2021", p, &o);
  g_free(p);
  return 0;
}
