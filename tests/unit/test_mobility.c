/* UAV mobility on the sim backend, with link and zone callbacks recorded:
 * interpolated positions; zone changes at the right simulated times on a
 * straight flight countryside - city - countryside; link latencies worked by
 * hand for the onboard edge, a cloud, and a carrier-zone remote edge in and
 * out of its zone; intermittent links (never for the onboard site); CSV
 * traces and the error text of each malformed one; paths leaving every zone
 * and other bad configs refused. Each test ends with m and the env freed and
 * nothing pending. */
#include "cmocka_inc.h"

#include <math.h>
#include <string.h>

#include <glib.h>
#include <glib/gstdio.h>

#include "env_sim.h"
#include "mobility.h"

struct link_call {
  cm_time t;
  uint32_t provider;
  cm_time latency, jitter_sd;
  double bw;
  bool up;
};

struct zone_call {
  cm_time t;
  uint32_t zone;
  char function[MOBILITY_NAME_MAX];
};

struct rec {
  env *e;
  GArray *links, *zones;
  struct link_call last[4];
};

static void on_link(void *arg, uint32_t p, cm_time lat, cm_time jit, double bw, bool up) {
  struct rec *r = arg;
  struct link_call c = {env_now(r->e), p, lat, jit, bw, up};
  g_array_append_val(r->links, c);
  if (p < 4) r->last[p] = c;
}

static void on_zone(void *arg, uint32_t zone, const struct mobility_zone *z) {
  struct rec *r = arg;
  struct zone_call c = {env_now(r->e), zone, ""};
  g_strlcpy(c.function, z->function, sizeof c.function);
  g_array_append_val(r->zones, c);
}

static void rec_init(struct rec *r, env *e) {
  memset(r, 0, sizeof *r);
  r->e = e;
  r->links = g_array_new(FALSE, TRUE, sizeof(struct link_call));
  r->zones = g_array_new(FALSE, TRUE, sizeof(struct zone_call));
}

static void rec_done(struct rec *r) {
  g_array_free(r->links, TRUE);
  g_array_free(r->zones, TRUE);
}

static unsigned calls_for(const struct rec *r, uint32_t p) {
  unsigned n = 0;
  for (guint i = 0; i < r->links->len; i++) n += g_array_index(r->links, struct link_call, i).provider == p;
  return n;
}

/* The UAV ends with nothing pending in the engine. */
static void finish(env *e, mobility *m) {
  mobility_free(m);
  assert_int_equal(engine_pending(env_sim_engine(e)), 0);
  env_free(e);
}

/* Countryside (x 0, r 12), a city (x 15, r 5.5, smaller so it wins where
 * they overlap), countryside (x 30, r 12): the city spans x in [9.5, 20.5]. */
static const struct mobility_zone ZONES[3] = {
    {.name = "country-w", .x_km = 0, .radius_km = 12, .radio_latency = CM_MS(20), .radio_jitter_sd = CM_MS(2),
     .uplink_bps = 10e6, .function = "resnet18", .arrival_rate = 2},
    {.name = "city", .x_km = 15, .radius_km = 5.5, .radio_latency = CM_MS(5), .radio_jitter_sd = CM_MS(1),
     .uplink_bps = 100e6, .function = "resnet152", .arrival_rate = 5},
    {.name = "country-e", .x_km = 30, .radius_km = 12, .radio_latency = CM_MS(20), .radio_jitter_sd = CM_MS(2),
     .uplink_bps = 10e6, .function = "resnet18", .arrival_rate = 2},
};

/* 0: the onboard local edge; 1: a Wavelength-style remote edge in the
 * city's carrier network at (15, 2); 2: a cloud region 400 km north. */
static const struct mobility_site SITES[3] = {
    {.backhaul_latency = CM_MS(1), .onboard = true},
    {.x_km = 15, .y_km = 2, .backhaul_latency = CM_MS(2), .carrier_zone = "city", .offnet_penalty = CM_MS(15)},
    {.x_km = 0, .y_km = 400, .backhaul_latency = CM_MS(3)},
};

/* Straight east at 1 km/s: x = t. */
static const struct mobility_waypoint STRAIGHT[2] = {{0, 0, 0}, {CM_S(30), 30, 0}};

static struct mobility_config straight_config(void) {
  return (struct mobility_config){.waypoints = STRAIGHT, .nwaypoints = 2, .zones = ZONES, .nzones = 3,
                                  .sites = SITES, .nsites = 3};
}

static void test_positions(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  const struct mobility_zone big = {.name = "all", .radius_km = 100};
  const struct mobility_waypoint w[3] = {{CM_S(5), 0, 0}, {CM_S(15), 10, 0}, {CM_S(25), 10, 20}};
  struct mobility_config c = {.waypoints = w, .nwaypoints = 3, .zones = &big, .nzones = 1};
  char *err = NULL;
  mobility *m = mobility_new(e, &c, NULL, NULL, NULL, &err);
  assert_non_null(m);
  double x, y;
  mobility_position_at(m, 0, &x, &y); /* before the first waypoint: held */
  assert_true(x == 0 && y == 0);
  mobility_position_at(m, CM_S(7), &x, &y);
  assert_true(fabs(x - 2) < 1e-12 && y == 0);
  mobility_position_at(m, CM_S(15), &x, &y);
  assert_true(x == 10 && y == 0);
  mobility_position_at(m, CM_MS(22500), &x, &y);
  assert_true(fabs(x - 10) < 1e-12 && fabs(y - 15) < 1e-12);
  mobility_position_at(m, CM_S(99), &x, &y); /* after the last: held */
  assert_true(x == 10 && y == 20);
  env_run(e, CM_S(20));
  mobility_position(m, &x, &y);
  assert_true(fabs(x - 10) < 1e-12 && fabs(y - 10) < 1e-12);
  assert_int_equal(mobility_zone_at(m, 0, 0), 0);
  assert_int_equal(mobility_zone_at(m, 0, 101), -1);
  finish(e, m);
}

/* Zone changes come at the first 1 s update inside the new zone: the city
 * begins at x = 9.5 (seen at t = 10 s) and ends at x = 20.5 (seen at 21 s);
 * the zone callback carries the workload tag. */
static void test_zone_changes(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct rec r;
  rec_init(&r, e);
  struct mobility_config c = straight_config();
  char *err = NULL;
  mobility *m = mobility_new(e, &c, on_link, on_zone, &r, &err);
  assert_non_null(m);
  assert_int_equal(r.zones->len + r.links->len, 0); /* never inside mobility_new */
  assert_int_equal(env_run(e, CM_S(100)), 0);
  assert_int_equal(r.zones->len, 3);
  const struct zone_call *z = (const struct zone_call *)(void *)r.zones->data;
  assert_int_equal(z[0].t, 0);
  assert_int_equal(z[0].zone, 0);
  assert_string_equal(z[0].function, "resnet18");
  assert_int_equal(z[1].t, CM_S(10));
  assert_int_equal(z[1].zone, 1);
  assert_string_equal(z[1].function, "resnet152");
  assert_int_equal(z[2].t, CM_S(21));
  assert_int_equal(z[2].zone, 2);
  assert_int_equal(mobility_zone_changes(m), 2);
  assert_string_equal(mobility_zone_name(m), "country-e");
  assert_int_equal(mobility_link_down_periods(m), 0);
  /* Updates stopped when the flight ended: nothing is pending any more. */
  assert_int_equal(engine_pending(env_sim_engine(e)), 0);
  rec_done(&r);
  finish(e, m);
}

static void expect_link(const struct link_call *c, cm_time lat, cm_time jit, double bw, bool up) {
  assert_int_equal(c->latency, lat);
  assert_int_equal(c->jitter_sd, jit);
  assert_true(c->bw == bw);
  assert_true(c->up == up);
}

/* By hand (one way): onboard = backhaul 1 ms. Cloud = radio + 3 ms +
 * distance x 10 us/km. Remote edge outside the city = radio + 2 ms + 15 ms
 * off-net + distance term; inside = 5 + 2 ms.
 *   t = 0, (0, 0), country-w (radio 20 ms):
 *     edge  20 + 2 + 15 ms + hypot(15, 2) = 15.1327 km -> 151327 ns
 *     cloud 20 + 3 ms + 400 km -> 4 ms
 *   t = 15 s, (15, 0), city (radio 5 ms):
 *     edge  5 + 2 ms
 *     cloud 5 + 3 ms + hypot(15, 400) = 400.2812 km -> 4002812 ns
 *   t = 25 s, (25, 0), country-e: edge 37 ms + hypot(10, 2) -> 101980 ns */
static void test_latencies(void **state CM_UNUSED) {
  env *e = env_sim_new(1);
  struct rec r;
  rec_init(&r, e);
  struct mobility_config c = straight_config();
  mobility *m = mobility_new(e, &c, on_link, NULL, &r, NULL);
  assert_non_null(m);
  env_run(e, 0);
  assert_int_equal(r.links->len, 3);
  expect_link(&r.last[0], CM_MS(1), 0, 0, true);
  expect_link(&r.last[1], CM_MS(37) + 151327, CM_MS(2), 10e6, true);
  expect_link(&r.last[2], CM_MS(27), CM_MS(2), 10e6, true);
  env_run(e, CM_S(15));
  expect_link(&r.last[1], CM_MS(7), CM_MS(1), 100e6, true);
  expect_link(&r.last[2], CM_MS(8) + 4002812, CM_MS(1), 100e6, true);
  env_run(e, CM_S(25));
  expect_link(&r.last[1], CM_MS(37) + 101980, CM_MS(2), 10e6, true);
  assert_int_equal(r.last[1].t, CM_S(25));
  /* The onboard link never changes: one call, at the start. */
  assert_int_equal(calls_for(&r, 0), 1);
  /* In the city the edge's latency is fixed: one call on entry (t = 10 s)
   * and one on leaving (t = 21 s), none in between. */
  unsigned in_city = 0;
  for (guint i = 0; i < r.links->len; i++) {
    const struct link_call *l = &g_array_index(r.links, struct link_call, i);
    if (l->provider == 1 && l->t >= CM_S(10) && l->t < CM_S(21)) in_city++;
  }
  assert_int_equal(in_city, 1);
  rec_done(&r);
  finish(e, m);
}

/* A UAV hovering in an intermittent zone (up 5 s, down 2 s on average):
 * links go down and up again, the onboard site never; the down fraction is
 * near 2/7; the same seed gives the same process. Intermittency of a zone
 * the UAV is not in never brings its links down. */
static uint64_t hover(uint64_t seed, uint32_t where, cm_time horizon, double *down_fraction, bool check) {
  env *e = env_sim_new(seed);
  struct rec r;
  rec_init(&r, e);
  struct mobility_zone z[3] = {ZONES[0], ZONES[1], ZONES[2]};
  z[2].link_up_mean = CM_S(5), z[2].link_down_mean = CM_S(2);
  const struct mobility_waypoint w = {0, where ? 30 : 0, 0};
  struct mobility_config c = {.waypoints = &w, .nwaypoints = 1, .zones = z, .nzones = 3, .sites = SITES, .nsites = 3};
  mobility *m = mobility_new(e, &c, on_link, NULL, &r, NULL);
  assert_non_null(m);
  env_run(e, horizon);
  uint64_t downs = mobility_link_down_periods(m);
  *down_fraction = (double)mobility_link_down_time(m) / (double)horizon;
  if (check) {
    assert_int_equal(calls_for(&r, 0), 1);
    assert_true(r.last[0].up);
    uint64_t transitions = 0;
    bool up = true;
    for (guint i = 0; i < r.links->len; i++) {
      const struct link_call *l = &g_array_index(r.links, struct link_call, i);
      if (l->provider != 2) continue;
      if (up && !l->up) transitions++;
      up = l->up;
    }
    assert_int_equal(transitions, downs);
    assert_true(mobility_link_up(m) == up);
  }
  rec_done(&r);
  finish(e, m);
  return downs;
}

static void test_intermittent(void **state CM_UNUSED) {
  double frac, frac2;
  uint64_t downs = hover(11, 1, CM_S(2000), &frac, true);
  assert_true(downs > 200 && downs < 380); /* about 2000 / 7 = 286 */
  assert_true(frac > 0.22 && frac < 0.35);
  assert_int_equal(hover(11, 1, CM_S(2000), &frac2, false), downs);
  assert_true(frac2 == frac);
  assert_int_equal(hover(11, 0, CM_S(2000), &frac, true), 0);
  assert_true(frac == 0);
}

/* ---- traces ---- */

static char *write_tmp(const char *dir, const char *name, const char *text) {
  char *p = g_build_filename(dir, name, NULL);
  assert_true(g_file_set_contents(p, text, -1, NULL));
  return p;
}

static void expect_trace_error(const char *dir, const char *text, int rc, const char *fmt_line) {
  char *p = write_tmp(dir, "bad.csv", text);
  struct mobility_waypoint *w = NULL;
  uint32_t n = 0;
  char *err = NULL;
  assert_int_equal(mobility_trace_load(p, &w, &n, &err), rc);
  assert_null(w);
  char *want = g_strdup_printf(fmt_line, p);
  assert_string_equal(err, want);
  g_free(err);
  /* The same through mobility_new. */
  env *e = env_sim_new(1);
  struct mobility_config c = {.trace_path = p, .zones = ZONES, .nzones = 3};
  err = NULL;
  assert_null(mobility_new(e, &c, NULL, NULL, NULL, &err));
  assert_string_equal(err, want);
  g_free(err);
  env_free(e);
  g_free(want);
  g_remove(p);
  g_free(p);
}

static void test_traces(void **state CM_UNUSED) {
  char *dir = g_dir_make_tmp("cm-mobility-XXXXXX", NULL);
  assert_non_null(dir);
  char *p = write_tmp(dir, "ok.csv", "# a flight\nt_s,x_km,y_km\r\n0,0,0\n10, 10 ,0\n\n# turn north\n20,10,10\n");
  struct mobility_waypoint *w = NULL;
  uint32_t n = 0;
  assert_int_equal(mobility_trace_load(p, &w, &n, NULL), 0);
  assert_int_equal(n, 3);
  assert_int_equal(w[1].t, CM_S(10));
  assert_true(w[1].x_km == 10 && w[2].y_km == 10);
  g_free(w);
  env *e = env_sim_new(1);
  const struct mobility_zone big = {.name = "all", .radius_km = 100};
  struct mobility_config c = {.trace_path = p, .zones = &big, .nzones = 1};
  mobility *m = mobility_new(e, &c, NULL, NULL, NULL, NULL);
  assert_non_null(m);
  double x, y;
  mobility_position_at(m, CM_S(15), &x, &y);
  assert_true(x == 10 && y == 5);
  finish(e, m);
  g_remove(p);
  g_free(p);

  expect_trace_error(dir, "t_s,x_km,y_km\n0,0,0\n1,abc,0\n", CM_EPARSE,
                     "%s:3: x_km: expected a finite number (km), found 'abc'");
  expect_trace_error(dir, "t_s,x_km,y_km\n0,0,0\n1e,1,0\n", CM_EPARSE,
                     "%s:3: t_s: expected a number of seconds within +-9.2e9, found '1e'");
  expect_trace_error(dir, "t_s,x_km,y_km\n0,0,0\n5,1,0\n5,2,0\n", CM_EPARSE,
                     "%s:4: t_s: expected a time after the previous row's 5 s, found 5 s");
  expect_trace_error(dir, "t_s,x_km,y_km\n3,0,0\n2,1,0\n", CM_EPARSE,
                     "%s:3: t_s: expected a time after the previous row's 3 s, found 2 s");
  expect_trace_error(dir, "t_s,x_km,y_km\n0,0\n", CM_EPARSE,
                     "%s:2: expected 3 fields t_s,x_km,y_km, found 2 in '0,0'");
  expect_trace_error(dir, "time,x,y\n0,0,0\n", CM_EPARSE,
                     "%s:1: expected the header 't_s,x_km,y_km', found 'time,x,y'");
  expect_trace_error(dir, "t_s,x_km,y_km\n", CM_EPARSE,
                     "%s:2: expected at least one row after the header, found end of file");
  char *missing = g_build_filename(dir, "missing.csv", NULL);
  char *err = NULL;
  assert_int_equal(mobility_trace_load(missing, &w, &n, &err), CM_ENOENT);
  char *want = g_strdup_printf("%s: cannot read: no such file", missing);
  assert_string_equal(err, want);
  g_free(err);
  g_free(want);
  g_free(missing);
  g_rmdir(dir);
  g_free(dir);
}

/* ---- refused configs ---- */

static void expect_refused(const struct mobility_config *c, const char *needle) {
  env *e = env_sim_new(1);
  char *err = NULL;
  struct rec r;
  rec_init(&r, e);
  assert_null(mobility_new(e, c, on_link, NULL, &r, &err));
  assert_non_null(err);
  if (!strstr(err, needle)) fail_msg("error '%s' lacks '%s'", err, needle);
  assert_null(strchr(err, '\n'));
  g_free(err);
  assert_int_equal(engine_pending(env_sim_engine(e)), 0);
  rec_done(&r);
  env_free(e);
}

static void test_leaving_all_zones(void **state CM_UNUSED) {
  /* Without the city there is a gap for x in (12, 18). */
  const struct mobility_zone two[2] = {ZONES[0], ZONES[2]};
  struct mobility_config c = straight_config();
  c.zones = two, c.nzones = 2;
  c.nsites = 1; /* the edge's carrier zone, the city, is gone */
  expect_refused(&c, "leaves every zone at (12, 0) km, t = 12 s");
  /* Waypoints and the segment's midpoint are all inside zones, yet the
   * path crosses gaps at x in (12, 13) and (17, 18): still refused. */
  struct mobility_zone three[3] = {ZONES[0], ZONES[1], ZONES[2]};
  three[1].radius_km = 2;
  c.zones = three, c.nzones = 3;
  expect_refused(&c, "leaves every zone at (12, 0) km");
  /* A single waypoint outside every zone. */
  const struct mobility_waypoint far = {0, 100, 100};
  c = straight_config();
  c.waypoints = &far, c.nwaypoints = 1;
  c.nsites = 1;
  expect_refused(&c, "leaves every zone at (100, 100) km");
}

static void test_bad_configs(void **state CM_UNUSED) {
  struct mobility_config c = straight_config();
  struct mobility_zone z[3] = {ZONES[0], ZONES[1], ZONES[2]};
  struct mobility_site s[3] = {SITES[0], SITES[1], SITES[2]};
  c.zones = z, c.sites = s;
  z[1].radius_km = 0;
  expect_refused(&c, "zone 'city': radius_km: expected > 0, found 0");
  z[1] = ZONES[1];
  z[2].link_up_mean = CM_S(1);
  expect_refused(&c, "zone 'country-e': link_up_mean, link_down_mean: expected both 0");
  z[2] = ZONES[2];
  g_strlcpy(z[2].name, "city", sizeof z[2].name);
  expect_refused(&c, "zone 'city': name: expected unique");
  z[2] = ZONES[2];
  z[0].function[0] = '\0';
  expect_refused(&c, "zone 'country-w': arrival_rate: expected >= 0, and a function when > 0");
  z[0] = ZONES[0];
  g_strlcpy(s[1].carrier_zone, "citty", sizeof s[1].carrier_zone);
  expect_refused(&c, "site 1: carrier_zone 'citty': expected the name of a zone");
  s[1] = SITES[1];
  g_strlcpy(s[0].carrier_zone, "city", sizeof s[0].carrier_zone);
  expect_refused(&c, "site 0: carrier_zone 'city': expected none for an onboard site");
  s[0] = SITES[0];
  const struct mobility_waypoint back[2] = {{CM_S(5), 0, 0}, {CM_S(5), 1, 0}};
  c.waypoints = back;
  expect_refused(&c, "waypoint 1: t: expected a time after 5 s (waypoint 0), found 5 s");
  c.waypoints = STRAIGHT;
  c.trace_path = "x.csv";
  expect_refused(&c, "either waypoints or trace_path, found both");
  c.trace_path = NULL;
  c.period = -1;
  expect_refused(&c, "period: expected >= 0");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_positions),       cmocka_unit_test(test_zone_changes),
      cmocka_unit_test(test_latencies),       cmocka_unit_test(test_intermittent),
      cmocka_unit_test(test_traces),          cmocka_unit_test(test_leaving_all_zones),
      cmocka_unit_test(test_bad_configs),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
