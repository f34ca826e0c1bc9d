/* libFuzzer target: the Lambda REPORT parser (provider__lambda_report) on
 * arbitrary log tails, in a buffer of their exact size (no NUL after it):
 * never a read past len, and what it accepts is in range. Build and run:
 * make fuzz. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *tail = malloc(size ? size : 1);
  memcpy(tail, data, size);
  struct invoke_result r = {0};
  cm_time billed = -1;
  if (provider__lambda_report(tail, size, &r, &billed)) {
    CHECK(r.exec_time >= 0 && r.init_time >= 0 && billed >= 0);
    CHECK(r.cold_start || r.init_time == 0);
    CHECK(isfinite(r.mem_peak_mb) && r.mem_peak_mb >= 0);
    CHECK(memmem(tail, size, "REPORT RequestId:", 17));
  } else {
    CHECK(r.exec_time == 0 && billed == -1);
  }
  free(tail);
  return 0;
}
