/* Entry point of `cloudmix bench`: the engine-hold, mm1 and results-store
 * benchmarks. Each figure is measured in the running process (see README.md). */
#ifndef CM_BENCH_H
#define CM_BENCH_H

/* argv[0] is "bench"; the other arguments are benchmark names (default:
 * all), --quick (small sizes, a few seconds in all) and --help. Figures go
 * to stdout as `bench NAME key=value ...` lines, progress to stderr.
 * Returns 0, 1 if a benchmark failed, 2 on bad usage. */
int bench_main(int argc, char **argv);

#endif
