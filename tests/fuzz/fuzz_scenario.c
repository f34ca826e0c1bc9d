/* libFuzzer target: arbitrary bytes as a scenario file (and as an include
 * of one) must give a scenario or a one-line error, never a crash, a hang
 * or a leak. Build and run: make fuzz (clang with -fsanitize=fuzzer). */
#include <glib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "scenario.h"

static const struct scn_key run_keys[] = {
    {"run", "model", SCN_ENUM, 0, 0, "demo|other", NULL, "model"},
    {"run", "duration_s", SCN_DOUBLE, 1e-9, 1e9, NULL, "60", "duration"},
    {"run", "seed", SCN_INT, 0, 1e15, NULL, "1", "seed"},
};
static const struct scn_key demo_keys[] = {
    {"demo", "rate_per_s", SCN_DOUBLE, 0, 1e6, NULL, NULL, "rate"},
    {"demo", "servers", SCN_INT, 1, 1000, NULL, "2", "servers"},
    {"demo", "service", SCN_ENUM, 0, 0, "exponential|lognormal", "exponential", "dist"},
    {"demo", "verbose", SCN_BOOL, 0, 0, NULL, "false", "flag"},
    {"demo", "name", SCN_STRING, 0, 0, NULL, "x", "name"},
};
static const struct scn_key other_keys[] = {
    {"provider.*", "latency_ms", SCN_DOUBLE, 0, 1e5, NULL, NULL, "latency"},
};
static const struct scn_model models[] = {{"demo", demo_keys, 5}, {"other", other_keys, 1}};

static char path[64];
static void remove_input(void) { unlink(path); }

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!path[0]) {
    snprintf(path, sizeof path, "/tmp/fuzz-scenario-%d.ini", (int)getpid());
    atexit(remove_input);
  }
  FILE *f = fopen(path, "wb");
  if (!f) return 0;
  fwrite(data, 1, size, f);
  fclose(f);
  char *err = NULL;
  const char *ov[] = {"demo.servers=3", NULL};
  scenario *s = scenario_load(path, run_keys, 3, models, 2, size % 2 ? ov : NULL, &err);
  if (s) {
    const char *text = scenario_text(s);
    if (!text) __builtin_trap();
    scenario_free(s);
  } else if (!err || strchr(err, '\n')) {
    __builtin_trap(); /* every failure is one line */
  }
  g_free(err);
  return 0;
}
