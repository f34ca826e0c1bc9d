/* libFuzzer target: the Azure Functions 2019 importer (trace_azure2019.c)
 * on a day folder whose invocations, durations and memory files are the
 * input's NUL-separated parts (fuzz_trace.h for the layout and the
 * invariants). Build and run: make fuzz. */
#include "fuzz_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  fz_trace_init(NULL, NULL, "invocations_per_function_md.anon.d01.csv",
                "function_durations_percentiles.anon.d01.csv", "app_memory_percentiles.anon.d01.csv");
  fz_trace_write(data + 1, size - 1);
  struct trace_opts o = fz_trace_opts(data[0], "f,g");
  fz_trace_pull(data[0] & 0x80 ? "auto" : "azure2019", fz_dir, &o);
  return 0;
}
