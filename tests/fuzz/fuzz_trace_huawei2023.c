/* libFuzzer target: the Huawei Cloud 2023 importer (trace_huawei2023.c) on
 * a release folder whose requests_minute/day_00.csv, its
 * function_delay_minute/day_00.csv and requests_minute/day_01.csv are the
 * input's NUL-separated parts (a second day without its delay file ends
 * the source with an error); fuzz_trace.h for the invariants. Build and
 * run: make fuzz. */
#include "fuzz_trace.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!size) return 0;
  fz_trace_init("requests_minute", "function_delay_minute", "requests_minute/day_00.csv",
                "function_delay_minute/day_00.csv", "requests_minute/day_01.csv");
  fz_trace_write(data + 1, size - 1);
  struct trace_opts o = fz_trace_opts(data[0], "0,7");
  fz_trace_pull(data[0] & 0x80 ? "auto" : "huawei2023", fz_dir, &o);
  return 0;
}
