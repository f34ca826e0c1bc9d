/* The progress bar: simulated time done / total, events/s and ETA, redrawn
 * at most ten times a second on stderr. */
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

double cli_wall_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void progress_init(struct progress *p, bool quiet, cm_time horizon) {
  p->enabled = !quiet && isatty(STDERR_FILENO);
  p->t0 = cli_wall_s();
  p->last_draw = p->t0;
  p->horizon = horizon;
  p->drawn = false;
}

void progress_tick(engine *en CM_UNUSED, void *arg, cm_time now, uint64_t events) {
  struct progress *p = arg;
  if (!p->enabled) return;
  double w = cli_wall_s();
  if (w - p->t0 < 1.0 || w - p->last_draw < 0.1) return;
  p->last_draw = w;
  p->drawn = true;
  double frac = p->horizon > 0 ? (double)now / (double)p->horizon : 0;
  if (frac > 1) frac = 1;
  double el = w - p->t0, rate = (double)events / el;
  double eta = frac > 0 ? el * (1 - frac) / frac : 0;
  char bar[31];
  int fill = (int)(frac * 30);
  for (int i = 0; i < 30; i++) bar[i] = i < fill ? '=' : (i == fill ? '>' : ' ');
  bar[30] = 0;
  fprintf(stderr, "\r[%s] %5.1f%%  sim %.0f/%.0f s  %.2fM ev/s  ETA %.0f s ", bar, 100 * frac, cm_time_to_s(now),
          cm_time_to_s(p->horizon), rate / 1e6, eta);
  fflush(stderr);
}

void progress_done(struct progress *p) {
  if (p->drawn) fprintf(stderr, "\r%*s\r", 79, "");
}
