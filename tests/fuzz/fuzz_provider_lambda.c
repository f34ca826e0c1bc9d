/* libFuzzer target: the lambda adapter's response parser (interpret) on
 * arbitrary HTTP answers; the input format and the checks are in
 * fuzz_provider.h. Build and run: make fuzz. */
#include <glib.h>

#define FZ_KIND "lambda"
#include "fuzz_provider.h"
