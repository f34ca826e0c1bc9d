/* The results-store benchmark: rows/s of 6-column job rows written to a
 * temporary SQLite file through analysis/results.h (timed from the first row
 * through results_close, so the last commit and the WAL checkpoint count),
 * and the share of an M/M/1 run's wall time spent writing one row per
 * customer, measured as (with rows - without) / with rows, run back to back
 * (without rows: median of 3 runs). */
#include <stdio.h>
#include <unistd.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "bench_util.h"

/* A fresh results file in the temp folder; NULL on failure. */
static char *temp_db(void) {
  char *path = NULL;
  GError *err = NULL;
  int fd = g_file_open_tmp("cloudmix-bench-XXXXXX.db", &path, &err);
  if (fd < 0) {
    fprintf(stderr, "bench results-store: cannot create a temp file: %s\n", err->message);
    g_error_free(err);
    return NULL;
  }
  close(fd);
  return path;
}

static void remove_db(const char *path) {
  static const char *const sfx[] = {"", "-wal", "-shm", "-journal"};
  for (size_t i = 0; i < 4; i++) {
    char *p = g_strconcat(path, sfx[i], NULL);
    g_remove(p);
    g_free(p);
  }
}

/* Open path, begin a run and create the job table. */
static results *open_store(const char *path, results_table **t, int64_t *run_id) {
  char *err = NULL;
  results *r = results_open(path, &err);
  if (!r) {
    fprintf(stderr, "bench results-store: %s\n", err ? err : "results_open failed");
    g_free(err);
    return NULL;
  }
  *run_id = results_run_begin(r, "bench", NULL, NULL, 1);
  *t = *run_id > 0 ? results_table_new(r, BENCH_JOBS_CREATE, BENCH_JOBS_INSERT) : NULL;
  if (!*t) {
    fprintf(stderr, "bench results-store: %s\n", results_errmsg(r));
    results_close(r);
    return NULL;
  }
  return r;
}

/* Write n synthetic job rows; the seconds from the first row to the end of
 * results_close, or a negative value on failure. */
static double write_rows(const char *path, uint64_t n) {
  results_table *t;
  int64_t run_id;
  results *r = open_store(path, &t, &run_id);
  if (!r) return -1;
  static const char *const hosts[] = {"host-0", "host-1", "host-2", "host-3"};
  double t0 = bench_now();
  for (uint64_t i = 0; i < n; i++) {
    int64_t arrival = (int64_t)i * 1111111111;
    int64_t end = arrival + 1000000000 + (int64_t)(i % 7919) * 1000003;
    results_bind_int(t, 1, run_id);
    results_bind_int(t, 2, (int64_t)i);
    results_bind_text(t, 3, hosts[i & 3]);
    results_bind_int(t, 4, arrival);
    results_bind_int(t, 5, end);
    results_bind_double(t, 6, (double)(end - arrival) / 1e9);
    if (results_row(t) != 0) {
      fprintf(stderr, "bench results-store: row %llu: %s\n", (unsigned long long)i, results_errmsg(r));
      results_close(r);
      return -1;
    }
  }
  if (results_run_end(r, run_id, "complete", bench_now() - t0, 0, 0) != 0) {
    fprintf(stderr, "bench results-store: results_run_end: %s\n", results_errmsg(r));
    results_close(r);
    return -1;
  }
  if (results_close(r) != 0) {
    fprintf(stderr, "bench results-store: results_close failed\n");
    return -1;
  }
  return bench_now() - t0;
}

/* The M/M/1 run writing one row per customer; seconds from results_open to
 * the end of results_close, or a negative value on failure. */
static double mm1_with_rows(const char *path, uint64_t customers, const struct mm1_result *plain) {
  double t0 = bench_now();
  results_table *t;
  int64_t run_id;
  results *r = open_store(path, &t, &run_id);
  if (!r) return -1;
  struct mm1_result res;
  if (mm1_run(customers, 1, t, run_id, &res) != 0) {
    results_close(r);
    return -1;
  }
  if (res.events != plain->events || res.mean_sojourn_s != plain->mean_sojourn_s) {
    fprintf(stderr, "bench results-store: the run with rows differs from the plain run\n");
    results_close(r);
    return -1;
  }
  uint64_t written = results_rows_written(r);
  if (results_run_end(r, run_id, "complete", bench_now() - t0, res.events, 0) != 0 || results_close(r) != 0) {
    fprintf(stderr, "bench results-store: closing the store failed\n");
    return -1;
  }
  if (written != customers) {
    fprintf(stderr, "bench results-store: %llu rows written for %llu customers\n", (unsigned long long)written,
            (unsigned long long)customers);
    return -1;
  }
  return bench_now() - t0;
}

int bench_results_store(bool quick) {
  uint64_t rows = quick ? 100000 : 1000000;
  uint64_t customers = quick ? 100000 : 1000000;
  char *path = temp_db();
  if (!path) return 1;
  int rc = 1;
  fprintf(stderr, "bench results-store: %llu rows to %s ...\n", (unsigned long long)rows, path);
  double wsecs = write_rows(path, rows);
  remove_db(path);
  if (wsecs < 0) goto out;

  fprintf(stderr, "bench results-store: M/M/1 with %llu customers, without and with one row per customer...\n",
          (unsigned long long)customers);
  struct mm1_result plain, p2, p3;
  if (mm1_run(customers, 1, NULL, 0, &plain) != 0 || mm1_run(customers, 1, NULL, 0, &p2) != 0 ||
      mm1_run(customers, 1, NULL, 0, &p3) != 0)
    goto out;
  plain.seconds = bench_median3(plain.seconds, p2.seconds, p3.seconds);
  double with = mm1_with_rows(path, customers, &plain);
  remove_db(path);
  if (with < 0) goto out;
  printf("bench results-store rows=%llu rows_per_s=%.0f mm1_plain_s=%.3f mm1_with_rows_s=%.3f write_share_pct=%.1f\n",
         (unsigned long long)rows, (double)rows / wsecs, plain.seconds, with,
         100.0 * (with - plain.seconds) / with);
  rc = 0;
out:
  g_free(path);
  return rc;
}
