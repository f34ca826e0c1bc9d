/* `bench buffer`: the mix node's delay buffer, per variant (append, random,
 * oblivious), as the node drives it: one buffer_put per packet received and
 * one buffer_take_due at each packet's release time. Poisson arrivals and
 * exponential delays of mean 1 ms, at two loads (mean occupancy 16 and 256
 * packets, as rate x 1 ms), capacity 4096 (the node's default). The event
 * sequence is built and sorted before the clock starts, so only buffer
 * calls are timed. It prints ns per packet (put plus its share of takes)
 * and each variant's overhead over append: the oblivious buffer's overhead
 * is the CPU cost the seed's Fig. 8 leaves without a number (sim/mixhost.c
 * uses it for the c-node-oblivious profile). Prints; asserts nothing. */
#include <stdio.h>
#include <stdlib.h>

#include "bench_util.h"
#include "mixclaves/buffer.h"
#include "rng.h"

#define CAPACITY 4096
#define MEAN_DELAY_S 1e-3

struct op {
  cm_time at;
  cm_time release; /* 0: a take_due at `at` */
};

static int by_time(const void *a, const void *b) {
  const struct op *x = a, *y = b;
  if (x->at != y->at) return x->at < y->at ? -1 : 1;
  return (x->release == 0) - (y->release == 0); /* a put before a take at the same instant */
}

static void released(void *arg, const struct buffer_release *rel CM_UNUSED) { ++*(uint64_t *)arg; }

/* ns per packet for variant v over ops; -1 if a put was refused. */
static double run(enum buffer_variant v, const struct op *ops, size_t nops, uint64_t packets) {
  rng *r = rng_new(5, "bench:buffer");
  buffer *b = buffer_new(v, CAPACITY, r);
  uint64_t out = 0, refused = 0;
  double t0 = bench_now();
  for (size_t i = 0; i < nops; i++) {
    if (ops[i].release)
      refused += !buffer_put(b, i, ops[i].release);
    else
      buffer_take_due(b, ops[i].at, released, &out);
  }
  double dt = bench_now() - t0;
  buffer_free(b);
  rng_free(r);
  return refused || out != packets ? -1 : dt * 1e9 / (double)packets;
}

int bench_buffer(bool quick) {
  const uint64_t packets = quick ? 20000 : 400000;
  static const double occupancy[] = {16, 256};
  struct op *ops = malloc(2 * packets * sizeof *ops);
  if (!ops) return 1;
  int rc = 0;
  for (size_t k = 0; k < sizeof occupancy / sizeof occupancy[0] && rc == 0; k++) {
    double rate = occupancy[k] / MEAN_DELAY_S;
    rng *r = rng_new(9, "bench:buffer-load");
    cm_time t = 0;
    for (uint64_t i = 0; i < packets; i++) {
      t += cm_time_from_s(rng_exponential(r, 1.0 / rate)) + 1;
      cm_time rel = t + cm_time_from_s(rng_exponential(r, MEAN_DELAY_S));
      ops[2 * i] = (struct op){.at = t, .release = rel};
      ops[2 * i + 1] = (struct op){.at = rel, .release = 0};
    }
    rng_free(r);
    qsort(ops, 2 * packets, sizeof *ops, by_time);
    double ns[BUFFER_NVARIANTS];
    for (int v = 0; v < BUFFER_NVARIANTS; v++) {
      fprintf(stderr, "bench buffer: occupancy %.0f, %s\n", occupancy[k], buffer_variant_name((enum buffer_variant)v));
      if ((ns[v] = run((enum buffer_variant)v, ops, 2 * packets, packets)) < 0) {
        fprintf(stderr, "bench buffer: %s refused or lost a packet\n", buffer_variant_name((enum buffer_variant)v));
        rc = 1;
        break;
      }
    }
    if (rc == 0)
      printf("bench buffer capacity=%d mean_occupancy=%.0f mean_delay_ms=1 packets=%llu append_ns=%.0f "
             "random_ns=%.0f oblivious_ns=%.0f oblivious_extra_ns=%.0f\n",
             CAPACITY, occupancy[k], (unsigned long long)packets, ns[BUFFER_APPEND], ns[BUFFER_RANDOM],
             ns[BUFFER_OBLIVIOUS], ns[BUFFER_OBLIVIOUS] - ns[BUFFER_APPEND]);
  }
  free(ops);
  return rc;
}
