/* Scenario -> [fleet]: the UAV count, the broker placements to compare,
 * how paths are made (generated, or a directory of flight traces), and the
 * shared broker's site; and the keys a fleet cannot honour, refused by
 * name rather than ignored. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* NULL, or the first leg of w that leaves every zone, as a message. */
static char *leaves(const struct mobility_zone *z, uint32_t nz, const struct mobility_waypoint *w, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    const struct mobility_waypoint *a = &w[i], *b = &w[i + 1 < n ? i + 1 : i];
    if (!mobility_segment_inside(z, nz, a->x_km, a->y_km, b->x_km, b->y_km))
      return g_strdup_printf("the leg from waypoint %u (%g, %g) km to (%g, %g) km leaves every zone; expected a path "
                             "inside the [zone.*] map", i + 1, a->x_km, a->y_km, b->x_km, b->y_km);
  }
  return NULL;
}

/* UAV i flies the i-th *.csv of dir (name order). */
static int load_traces(const scenario *s, const struct cl_config *c, struct cl_fleet *f, const char *dir_key,
                       char **err) {
  char *base = g_path_get_dirname(scenario_path(s));
  char *dir = g_path_is_absolute(dir_key) ? g_strdup(dir_key) : g_build_filename(base, dir_key, NULL);
  g_free(base);
  GError *ge = NULL;
  GDir *d = g_dir_open(dir, 0, &ge);
  int rc = 0;
  if (!d) {
    scenario_error(s, "fleet", "traces", err, "cannot open directory %s: %s; expected a directory of CSV flight "
                   "traces", dir, ge->message);
    g_error_free(ge);
    g_free(dir);
    return -1;
  }
  GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
  for (const char *n; (n = g_dir_read_name(d));)
    if (g_str_has_suffix(n, ".csv")) g_ptr_array_add(names, g_strdup(n));
  g_dir_close(d);
  qsort(names->pdata, names->len, sizeof(char *), cmp_str);
  if (names->len < f->uavs) {
    scenario_error(s, "fleet", "traces", err, "%s holds %u .csv traces; expected at least uavs = %u (one per UAV)",
                   dir, names->len, f->uavs);
    rc = -1;
  }
  if (rc == 0) {
    f->paths = g_new0(struct mobility_waypoint *, f->uavs);
    f->npaths = g_new0(uint32_t, f->uavs);
  }
  struct mobility_config mc;
  cl_mobility_config(c, &mc);
  for (uint32_t i = 0; rc == 0 && i < f->uavs; i++) {
    char *path = g_build_filename(dir, names->pdata[i], NULL), *why = NULL;
    if (mobility_trace_load(path, &f->paths[i], &f->npaths[i], &why) != 0) {
      scenario_error(s, "fleet", "traces", err, "UAV %u: %s", i, why);
      rc = -1;
    } else if ((why = leaves(mc.zones, mc.nzones, f->paths[i], f->npaths[i]))) {
      scenario_error(s, "fleet", "traces", err, "UAV %u: %s: %s", i, path, why);
      rc = -1;
    }
    g_free(why);
    g_free(path);
  }
  cl_mobility_config_free(&mc);
  g_ptr_array_free(names, TRUE);
  g_free(dir);
  return rc;
}

/* Keys a fleet run cannot honour: refused, naming the key. */
static int refuse(const scenario *s, const struct cl_config *c, char **err) {
  const char *why = NULL, *g = NULL, *k = NULL;
  if (strcmp(c->experiment, "live")) g = "cloudless", k = "experiment", why = "expected live with [fleet] uavs > 0";
  else if (c->nwaypoints)
    g = "flight", k = *scenario_string(s, "flight", "trace") ? "trace" : "waypoints",
    why = "a fleet flies its own paths ([fleet] paths); expected no [flight] path with [fleet] uavs > 0";
  else if (c->work.mode != WORKLOAD_OPEN || c->per_provider)
    g = "workload", k = "mode", why = "expected open with [fleet] uavs > 0 (each UAV is a Poisson client)";
  else if (c->work.max_calls) g = "workload", k = "max_calls", why = "expected 0 with [fleet] uavs > 0";
  else if (c->work.memo_keys) g = "workload", k = "memo_keys", why = "expected 0 with [fleet] (no cache)";
  else if (c->cache_entries) g = "cloudless", k = "cache_entries", why = "expected 0 with [fleet] (no cache)";
  else if (c->budget_usd > 0) g = "cloudless", k = "budget_usd", why = "expected 0 with [fleet] (no budget)";
  else if (c->probe_period > 0) g = "cloudless", k = "probe_period_s", why = "expected 0 with [fleet] (no probe)";
  else if (scenario_double(s, "cloudless", "time_scale") != 1)
    g = "cloudless", k = "time_scale", why = "expected 1 with [fleet] (shorten [run] duration_s instead)";
  else if (c->nzones == 0) g = "fleet", k = "uavs", why = "a fleet needs a map: expected at least one [zone.*] group";
  if (!why) return 0;
  scenario_error(s, g, k, err, "%s", why);
  return -1;
}

int cl_fleet_parse(const scenario *s, struct cl_config *c, char **err) {
  uint32_t n = (uint32_t)scenario_int(s, "fleet", "uavs");
  if (n == 0) return 0;
  if (refuse(s, c, err) != 0) return -1;
  struct cl_fleet *f = g_new0(struct cl_fleet, 1);
  c->fleet = f;
  f->uavs = n;
  const char *b = scenario_string(s, "fleet", "broker");
  f->shared_cloud = strcmp(b, "per-uav-edge") != 0;
  f->per_uav_edge = strcmp(b, "shared-cloud") != 0;
  f->speed_min_kmh = scenario_double(s, "fleet", "speed_min_kmh");
  f->speed_max_kmh = scenario_double(s, "fleet", "speed_max_kmh");
  if (f->speed_max_kmh < f->speed_min_kmh) {
    scenario_error(s, "fleet", "speed_max_kmh", err, "%g is below speed_min_kmh %g; expected speed_max_kmh >= "
                   "speed_min_kmh", f->speed_max_kmh, f->speed_min_kmh);
    return -1;
  }
  f->broker_x_km = scenario_double(s, "fleet", "broker_x_km");
  f->broker_y_km = scenario_double(s, "fleet", "broker_y_km");
  f->broker_backhaul = cm_time_from_s(scenario_double(s, "fleet", "broker_backhaul_ms") / 1e3);
  f->broker_peer = cm_time_from_s(scenario_double(s, "fleet", "broker_peer_ms") / 1e3);
  const char *traces = scenario_string(s, "fleet", "traces");
  bool want = !strcmp(scenario_string(s, "fleet", "paths"), "traces");
  if (want != (*traces != 0)) {
    scenario_error(s, "fleet", want ? "traces" : "paths", err, "%s",
                   want ? "paths = traces needs a directory; expected [fleet] traces = DIR"
                        : "traces is set but paths = generate; expected paths = traces, or no traces");
    return -1;
  }
  if (want && load_traces(s, c, f, traces, err) != 0) return -1;
  if (c->duration <= 0) {
    scenario_error(s, "run", "duration_s", err, "expected > 0 with [fleet] (the paths cover it)");
    return -1;
  }
  return 0;
}

void cl_fleet_free(struct cl_fleet *f) {
  if (!f) return;
  for (uint32_t i = 0; f->paths && i < f->uavs; i++) g_free(f->paths[i]);
  g_free(f->paths);
  g_free(f->npaths);
  g_free(f);
}
