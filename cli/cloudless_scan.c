/* The storage scan (seed 6.3, Fig. 6): from every location (each provider,
 * then the client) to every store and for every size of [scan] sizes,
 * [scan] reps rounds of a put then a get of a virtual object, one request at
 * a time (gets of the length only), in virtual time; or, with --real, on the
 * profile's real stores, each request taking its real time at the store
 * plus the modelled time of the location's link (env_real_set_store_links:
 * one process stands in for every location). The objects are deleted at
 * the end. The mean write and read times go to
 * cloudless_storage_scan (analysis/tab_cloudless_plan.h); the summary
 * prints the largest size's write and read matrices (locations x stores),
 * the seed's heatmap. */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"
#include "cloudless_real.h"
#include "env_sim.h"
#include "tab_cloudless_plan.h"

/* 1 TiB: far above the seed's 64 MB, and keeps len * 8 exact in a double. */
#define SCAN_SIZE_MAX (1ull << 40)

/* [scan] sizes ("1B,1K,64M") into *sizes (g_malloc'd), increasing; or
 * CM_EINVAL with *err naming the key and the item. */
static int parse_sizes(const char *text, uint64_t **sizes, uint32_t *n, char **err) {
  char **items = g_strsplit(text, ",", -1);
  uint32_t count = g_strv_length(items);
  uint64_t *out = g_new0(uint64_t, count ? count : 1);
  int rc = 0;
  for (uint32_t i = 0; i < count && rc == 0; i++) {
    const char *it = g_strstrip(items[i]);
    size_t len = strspn(it, "0123456789");
    uint64_t mult = !strcmp(it + len, "B") ? 1 : !strcmp(it + len, "K") ? 1024 : !strcmp(it + len, "M") ? 1048576 : 0;
    uint64_t v = len && len <= 13 ? g_ascii_strtoull(it, NULL, 10) : 0; /* 13 digits: no overflow below */
    if (!mult || v == 0 || v * mult > SCAN_SIZE_MAX) {
      *err = g_strdup_printf("[scan] sizes: item %u '%s': expected a size of 1B to 1048576M: a whole number "
                             "with B (bytes), K (1024) or M (1048576), e.g. 64M",
                             i + 1, it);
      rc = CM_EINVAL;
    } else if (i > 0 && v * mult <= out[i - 1]) {
      *err = g_strdup_printf("[scan] sizes: item %u '%s': expected sizes in increasing order", i + 1, it);
      rc = CM_EINVAL;
    } else {
      out[i] = v * mult;
    }
  }
  g_strfreev(items);
  if (rc == 0) {
    *sizes = out;
    *n = count;
  } else {
    g_free(out);
  }
  return rc;
}

static void on_store(env *e, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len CM_UNUSED) {
  struct cl_store_wait *w = arg;
  w->done = true;
  w->status = status;
  w->took = env_now(e) - w->issued;
  env_stop(e); /* one(): the request is answered (a real env runs until stopped) */
}

int cl_store_issue(env *e, enum store_op op, const struct store_req *r, struct cl_store_wait *w) {
  *w = (struct cl_store_wait){.issued = env_now(e)};
  request_id id = op == STORE_PUT ? env_put(e, r, on_store, w)
                  : op == STORE_GET ? env_get(e, r, on_store, w)
                                    : env_delete(e, r, on_store, w);
  return id < 0 ? (int)id : 0;
}

/* Issue one request and run the world until it is answered. NULL with
 * *took set; or a message (g_malloc'd) if it was refused, failed or got no
 * answer, so the run fails rather than record a time that is not one. */
static char *one(env *e, enum store_op op, const struct store_req *r, cm_time *took) {
  struct cl_store_wait q;
  int rc = cl_store_issue(e, op, r, &q);
  while (rc == 0 && !q.done) rc = env_run(e, CM_TIME_MAX);
  if (rc != 0) return g_strdup_printf("refused: %s", cm_strerror(rc));
  if (!q.done) return g_strdup("no outcome after the world ran dry");
  if (q.status != 0) return g_strdup_printf("failed: %s", cm_strerror(q.status));
  *took = q.took;
  return NULL;
}

/* "64M", "16K" or "1B" (sizes are whole multiples by construction). */
static void size_name(uint64_t b, char *buf, size_t n) {
  if (b % 1048576 == 0) snprintf(buf, n, "%lluM", (unsigned long long)(b / 1048576));
  else if (b % 1024 == 0) snprintf(buf, n, "%lluK", (unsigned long long)(b / 1024));
  else snprintf(buf, n, "%lluB", (unsigned long long)b);
}

static void print_matrix(const struct cl_config *cfg, const double *mean, uint32_t nsizes, const char *what,
                         const char *size) {
  printf("  %s %s (s)\n  %-22s", what, size, "location \\ store");
  for (uint32_t k = 0; k < cfg->nstores; k++) printf(" %13s", cfg->stores[k].name);
  printf("\n");
  for (uint32_t l = 0; l < cfg->nlocations; l++) {
    printf("  %-22s", cfg->locations[l].name);
    for (uint32_t k = 0; k < cfg->nstores; k++)
      printf(" %13.3f", mean[((size_t)l * cfg->nstores + k) * nsizes + nsizes - 1]);
    printf("\n");
  }
}

int cloudless_scan_run(struct run_ctx *c, struct cl_config *cfg) {
  const scenario *s = c->s;
  uint64_t *sizes = NULL;
  uint32_t nsizes = 0;
  int64_t reps = scenario_int(s, "scan", "reps");
  char *err = NULL;
  if (parse_sizes(scenario_string(s, "scan", "sizes"), &sizes, &nsizes, &err) != 0) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(s), err);
    g_free(err);
    return CM_EXIT_USAGE;
  }
  env *e = NULL;
  struct cl_real *real = NULL;
  storage_world *w = NULL;
  if (c->real) {
    if (cl_real_world(c, cfg, &e, &real, &err) != 0) {
      fprintf(stderr, "cloudmix: %s\n", err);
      g_free(err);
      err = NULL;
      env_free(e);
      cl_real_free(real);
      g_free(sizes);
      return CM_EXIT_USAGE;
    }
  } else {
    e = env_sim_new(c->seed);
    struct storage_config sc = {.stores = cfg->stores, .nstores = cfg->nstores, .locations = cfg->locations,
                                .nlocations = cfg->nlocations, .links = cfg->slinks};
    w = storage_world_new(e, &sc, &err);
  }
  struct tab_cloudless_plan_scan t = {0};
  int rc = CM_EXIT_OK;
  size_t ncells = (size_t)cfg->nlocations * cfg->nstores * nsizes;
  double *wmean = g_new0(double, ncells), *rmean = g_new0(double, ncells);
  if (!w && !real) {
    fprintf(stderr, "cloudmix: %s: %s\n", scenario_path(s), err);
    rc = CM_EXIT_USAGE;
    goto done;
  }
  if (tab_cloudless_plan_scan_open(c->db, &t) != 0) {
    fprintf(stderr, "cloudmix: cannot create cloudless_storage_scan: %s\n", results_errmsg(c->db));
    rc = CM_EXIT_FAILED;
    goto done;
  }
  for (uint32_t l = 0; l < cfg->nlocations && rc == CM_EXIT_OK; l++) {
    char key[STORAGE_NAME_MAX + 8];
    snprintf(key, sizeof key, "scan/%s", cfg->locations[l].name); /* one object per location and store */
    for (uint32_t k = 0; k < cfg->nstores && rc == CM_EXIT_OK; k++)
      for (uint32_t z = 0; z < nsizes && rc == CM_EXIT_OK; z++) {
        struct store_req r = {.store = k, .location = l, .key = key, .value = NULL, .len = (size_t)sizes[z],
                              .length_only = true};
        cm_time wsum = 0, rsum = 0;
        for (int64_t i = 0; i < reps && !err; i++) {
          cm_time wt = 0, rt = 0;
          if (!(err = one(e, STORE_PUT, &r, &wt)) && !(err = one(e, STORE_GET, &r, &rt))) {
            wsum += wt;
            rsum += rt;
          }
        }
        if (err) {
          char sz[24];
          size_name(sizes[z], sz, sizeof sz);
          fprintf(stderr, "cloudmix: storage scan: %s to store %s, %s: a request %s\n", cfg->locations[l].name,
                  cfg->stores[k].name, sz, err);
          rc = CM_EXIT_FAILED;
          break;
        }
        size_t cell = ((size_t)l * cfg->nstores + k) * nsizes + z;
        wmean[cell] = cm_time_to_s(wsum) / (double)reps;
        rmean[cell] = cm_time_to_s(rsum) / (double)reps;
        struct tab_cloudless_plan_scan_row row = {
            .run_id = c->run_id, .location = cfg->locations[l].name, .store = cfg->stores[k].name,
            .store_kind = storage_kind_name(cfg->stores[k].kind), .bytes = (int64_t)sizes[z],
            .write_s = wmean[cell], .read_s = rmean[cell]};
        if (tab_cloudless_plan_scan_add(&t, &row) != 0) {
          fprintf(stderr, "cloudmix: writing results failed: %s\n", results_errmsg(c->db));
          rc = CM_EXIT_FAILED;
        }
      }
  }
  /* the scan's objects are not kept */
  for (uint32_t l = 0; l < cfg->nlocations; l++) {
    char key[STORAGE_NAME_MAX + 8];
    snprintf(key, sizeof key, "scan/%s", cfg->locations[l].name);
    for (uint32_t k = 0; k < cfg->nstores; k++) {
      struct store_req r = {.store = k, .location = l, .key = key};
      struct cl_store_wait q;
      int st = cl_store_issue(e, STORE_DELETE, &r, &q);
      while (st == 0 && !q.done) st = env_run(e, CM_TIME_MAX);
      if (st == 0 && q.status != 0 && q.status != CM_ENOENT) st = q.status;
      if (st != 0 && rc == CM_EXIT_OK) {
        fprintf(stderr, "cloudmix: storage scan: deleting %s from store %s failed: %s\n", key, cfg->stores[k].name,
                cm_strerror(st));
        rc = CM_EXIT_FAILED;
      }
    }
  }
  char *bad = w ? storage_world_check(w) : NULL;
  if (bad) {
    fprintf(stderr, "cloudmix: storage scan: the storage world does not balance: %s\n", bad);
    g_free(bad);
    rc = CM_EXIT_FAILED;
  }
  if (real) {
    if (cl_real_report(e, c) != 0) rc = CM_EXIT_FAILED;
  } else {
    c->events = engine_events(env_sim_engine(e));
  }
  c->sim_end = env_now(e);
  if (rc == CM_EXIT_OK && !c->quiet) {
    char sz[24];
    size_name(sizes[nsizes - 1], sz, sizeof sz);
    printf("cloudless storage scan (seed 6.3, Fig. 6): %u locations x %u stores x %u sizes, %lld put+get each, "
           "seed %llu\n",
           cfg->nlocations, cfg->nstores, nsizes, (long long)reps, (unsigned long long)c->seed);
    print_matrix(cfg, wmean, nsizes, "mean write time of", sz);
    print_matrix(cfg, rmean, nsizes, "mean read time of", sz);
  }
done:
  g_free(err);
  g_free(wmean);
  g_free(rmean);
  g_free(sizes);
  storage_world_free(w);
  env_free(e);
  cl_real_free(real);
  return rc;
}
