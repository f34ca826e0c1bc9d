/* libFuzzer target: the handler's self-report scanner
 * (provider__self_report) on arbitrary bodies, in a buffer of their exact
 * size: never a read past len; a refused body leaves the result untouched;
 * an accepted one holds only values in range. Build and run: make fuzz. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "provider.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  uint8_t *body = malloc(size ? size : 1);
  memcpy(body, data, size);
  struct invoke_result r, before;
  memset(&r, 0, sizeof r);
  r.exec_time = 12345;
  before = r;
  bool malformed = false;
  if (provider__self_report(body, size, &r, &malformed)) {
    CHECK(r.exec_time >= 0 && r.init_time >= 0);
    CHECK(isfinite(r.mem_peak_mb) && r.mem_peak_mb >= 0 && isfinite(r.mem_mean_mb) && r.mem_mean_mb >= 0);
    CHECK(memmem(body, size, "\"cloudmix\"", 10));
  } else {
    CHECK(!memcmp(&r, &before, sizeof r));
  }
  free(body);
  return 0;
}
