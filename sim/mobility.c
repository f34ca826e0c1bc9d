/* UAV mobility: flight path interpolation, zone lookup, per-provider link
 * parameters, intermittent links as exponential on/off processes, and the
 * CSV trace reader. The model and its formulas are described in mobility.h. */
#include "mobility.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#define EPS 1e-9 /* tolerance on disc membership and segment coverage */
#define TRACE_HEADER "t_s,x_km,y_km"

struct zstate {
  mobility *m;
  uint32_t idx;
  bool up;
  rng *r;
  timer_id timer;
};

struct linkstate {
  cm_time latency, jitter_sd;
  double bandwidth_bps;
  bool up, sent;
};

struct mobility {
  env *e;
  struct mobility_waypoint *wps;
  uint32_t nwps;
  struct mobility_zone *zones;
  uint32_t nzones;
  struct mobility_site *sites;
  int *carrier; /* carrier zone index per site, -1 = none */
  uint32_t nsites;
  cm_time period, start;
  mobility_link_fn link_fn;
  mobility_zone_fn zone_fn;
  void *arg;
  struct zstate *zs;
  struct linkstate *ls;
  timer_id tick_timer;
  uint64_t ticks;
  uint32_t zone;
  bool started, links_known, links_up;
  cm_time down_since, down_time;
  uint64_t zone_changes, down_periods;
};

/* ---- geometry ---------------------------------------------------------- */

static void interpolate(const struct mobility_waypoint *w, uint32_t n, cm_time t, double *x, double *y) {
  if (t <= w[0].t || n == 1) {
    *x = w[0].x_km, *y = w[0].y_km;
    return;
  }
  if (t >= w[n - 1].t) {
    *x = w[n - 1].x_km, *y = w[n - 1].y_km;
    return;
  }
  uint32_t lo = 0, hi = n - 1; /* w[lo].t <= t < w[hi].t */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (w[mid].t <= t) lo = mid;
    else hi = mid;
  }
  double f = (double)(t - w[lo].t) / (double)(w[hi].t - w[lo].t);
  *x = w[lo].x_km + f * (w[hi].x_km - w[lo].x_km);
  *y = w[lo].y_km + f * (w[hi].y_km - w[lo].y_km);
}

static int zone_at(const struct mobility_zone *z, uint32_t nz, double x, double y) {
  int best = -1;
  for (uint32_t i = 0; i < nz; i++) {
    double dx = x - z[i].x_km, dy = y - z[i].y_km, r = z[i].radius_km;
    if (dx * dx + dy * dy <= r * r * (1 + EPS) && (best < 0 || r < z[best].radius_km)) best = (int)i;
  }
  return best;
}

/* The zone whose edge is nearest relative to its radius: only for points
 * that fall into a rounding-sized gap the coverage check tolerated. */
static uint32_t zone_nearest(const struct mobility_zone *z, uint32_t nz, double x, double y) {
  uint32_t best = 0;
  double best_q = INFINITY;
  for (uint32_t i = 0; i < nz; i++) {
    double q = hypot(x - z[i].x_km, y - z[i].y_km) / z[i].radius_km;
    if (q < best_q) best_q = q, best = i;
  }
  return best;
}

struct span {
  double lo, hi;
};

static int span_cmp(const void *a, const void *b) {
  double x = ((const struct span *)a)->lo, y = ((const struct span *)b)->lo;
  return (x > y) - (x < y);
}

/* How far along segment a -> b (as s in [0, 1]) the zones cover it without
 * a gap from s = 0; >= 1 - EPS means the whole segment. spans has nz slots. */
static double covered_to(const struct mobility_zone *z, uint32_t nz, double ax, double ay, double bx, double by,
                         struct span *spans) {
  double dx = bx - ax, dy = by - ay, a = dx * dx + dy * dy;
  uint32_t ns = 0;
  for (uint32_t i = 0; i < nz; i++) {
    double px = ax - z[i].x_km, py = ay - z[i].y_km, r2 = z[i].radius_km * z[i].radius_km * (1 + EPS);
    double c = px * px + py * py - r2;
    if (a == 0) {
      if (c <= 0) return 1;
      continue;
    }
    double b = 2 * (dx * px + dy * py), disc = b * b - 4 * a * c;
    if (disc < 0) continue;
    double sq = sqrt(disc), lo = (-b - sq) / (2 * a), hi = (-b + sq) / (2 * a);
    if (hi < 0 || lo > 1) continue;
    spans[ns++] = (struct span){lo < 0 ? 0 : lo, hi > 1 ? 1 : hi};
  }
  if (a == 0) return 0;
  qsort(spans, ns, sizeof *spans, span_cmp);
  double cur = 0;
  for (uint32_t i = 0; i < ns && spans[i].lo <= cur + EPS; i++)
    if (spans[i].hi > cur) cur = spans[i].hi;
  return cur;
}

/* NULL, or a message naming the first place the path leaves every zone. */
static char *check_coverage(const struct mobility_waypoint *w, uint32_t n, const struct mobility_zone *z,
                            uint32_t nz) {
  struct span *spans = g_new(struct span, nz);
  char *msg = NULL;
  for (uint32_t i = 0; i < n && !msg; i++) {
    const struct mobility_waypoint *a = &w[i], *b = &w[i + 1 < n ? i + 1 : i];
    double s = covered_to(z, nz, a->x_km, a->y_km, b->x_km, b->y_km, spans);
    if (s >= 1 - EPS) continue;
    double x = a->x_km + s * (b->x_km - a->x_km), y = a->y_km + s * (b->y_km - a->y_km);
    double t = cm_time_to_s(a->t) + s * cm_time_to_s(b->t - a->t);
    msg = g_strdup_printf("mobility: flight path leaves every zone at (%g, %g) km, t = %g s (waypoint %u to %u); "
                          "expected every point of the path inside some zone",
                          x, y, t, i, i + 1 < n ? i + 1 : i);
  }
  g_free(spans);
  return msg;
}

bool mobility_segment_inside(const struct mobility_zone *zones, uint32_t nz, double ax, double ay, double bx,
                             double by) {
  struct span *spans = g_new(struct span, nz + 1);
  bool in = zones && nz && covered_to(zones, nz, ax, ay, bx, by, spans) >= 1 - EPS;
  g_free(spans);
  return in;
}

/* ---- updates ----------------------------------------------------------- */

static void site_link(const mobility *m, uint32_t i, double x, double y, struct linkstate *out) {
  const struct mobility_site *s = &m->sites[i];
  const struct mobility_zone *z = &m->zones[m->zone];
  if (s->onboard) {
    *out = (struct linkstate){.latency = s->backhaul_latency, .up = true};
    return;
  }
  cm_time lat = z->radio_latency + s->backhaul_latency;
  if (m->carrier[i] != (int)m->zone) {
    lat += (cm_time)llround(hypot(x - s->x_km, y - s->y_km) * MOBILITY_NS_PER_KM);
    if (m->carrier[i] >= 0) lat += s->offnet_penalty;
  }
  *out = (struct linkstate){lat, z->radio_jitter_sd, z->uplink_bps, m->links_up, false};
}

static void apply_links(mobility *m) {
  cm_time now = env_now(m->e);
  bool up = m->zs[m->zone].up;
  if (!m->links_known ? !up : (m->links_up && !up)) {
    m->down_periods++;
    m->down_since = now;
  } else if (m->links_known && !m->links_up && up) {
    m->down_time += now - m->down_since;
  }
  m->links_known = true;
  m->links_up = up;
  double x, y;
  interpolate(m->wps, m->nwps, now, &x, &y);
  for (uint32_t i = 0; i < m->nsites; i++) {
    struct linkstate l, *old = &m->ls[i];
    site_link(m, i, x, y, &l);
    if (old->sent && old->latency == l.latency && old->jitter_sd == l.jitter_sd &&
        old->bandwidth_bps == l.bandwidth_bps && old->up == l.up)
      continue;
    *old = l;
    old->sent = true;
    m->link_fn(m->arg, i, l.latency, l.jitter_sd, l.bandwidth_bps, l.up);
  }
}

static void update(mobility *m) {
  double x, y;
  interpolate(m->wps, m->nwps, env_now(m->e), &x, &y);
  int z = zone_at(m->zones, m->nzones, x, y);
  uint32_t zone = z >= 0 ? (uint32_t)z : zone_nearest(m->zones, m->nzones, x, y);
  if (!m->started || zone != m->zone) {
    if (m->started) m->zone_changes++;
    m->zone = zone;
    m->started = true;
    if (m->zone_fn) m->zone_fn(m->arg, zone, &m->zones[zone]);
  }
  apply_links(m);
}

static void on_tick(env *e, void *arg) {
  mobility *m = arg;
  m->tick_timer = 0;
  m->ticks++;
  update(m);
  cm_time now = env_now(e);
  if (now >= m->wps[m->nwps - 1].t) return; /* the flight is over: the position is final */
  cm_time next = m->start + (cm_time)m->ticks * m->period;
  m->tick_timer = env_after(e, next > now ? next - now : 0, on_tick, m);
}

static void on_toggle(env *e, void *arg);

static void schedule_toggle(struct zstate *zs) {
  const struct mobility_zone *z = &zs->m->zones[zs->idx];
  double mean = (double)(zs->up ? z->link_up_mean : z->link_down_mean);
  zs->timer = env_after(zs->m->e, (cm_time)llround(rng_exponential(zs->r, mean)), on_toggle, zs);
}

static void on_toggle(env *e CM_UNUSED, void *arg) {
  struct zstate *zs = arg;
  zs->timer = 0;
  zs->up = !zs->up;
  schedule_toggle(zs);
  if (zs->m->started && zs->idx == zs->m->zone) apply_links(zs->m);
}

/* ---- setup ------------------------------------------------------------- */

static bool name_ok(const char *s) { return memchr(s, '\0', MOBILITY_NAME_MAX) != NULL; }

static bool time_ok(cm_time t) { return t >= 0; }

static bool num_ok(double v) { return isfinite(v); }

static char *check_waypoints(const struct mobility_waypoint *w, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) {
    if (!num_ok(w[i].x_km) || !num_ok(w[i].y_km))
      return g_strdup_printf("mobility: waypoint %u: expected finite x_km and y_km, found (%g, %g)", i, w[i].x_km,
                             w[i].y_km);
    if (i > 0 && w[i].t <= w[i - 1].t)
      return g_strdup_printf("mobility: waypoint %u: t: expected a time after %g s (waypoint %u), found %g s", i,
                             cm_time_to_s(w[i - 1].t), i - 1, cm_time_to_s(w[i].t));
  }
  return NULL;
}

static char *check_zone(const struct mobility_zone *z, uint32_t i, const struct mobility_zone *all) {
  if (!name_ok(z->name) || !z->name[0]) return g_strdup_printf("mobility: zone %u: name: expected a non-empty string", i);
  const char *n = z->name;
  for (uint32_t j = 0; j < i; j++)
    if (!strcmp(all[j].name, n)) return g_strdup_printf("mobility: zone '%s': name: expected unique, found twice", n);
  if (!num_ok(z->x_km) || !num_ok(z->y_km))
    return g_strdup_printf("mobility: zone '%s': centre: expected finite x_km and y_km", n);
  if (!(z->radius_km > 0) || !num_ok(z->radius_km))
    return g_strdup_printf("mobility: zone '%s': radius_km: expected > 0, found %g", n, z->radius_km);
  if (!time_ok(z->radio_latency) || !time_ok(z->radio_jitter_sd))
    return g_strdup_printf("mobility: zone '%s': radio latency and jitter: expected >= 0", n);
  if (!(z->uplink_bps >= 0) || !num_ok(z->uplink_bps))
    return g_strdup_printf("mobility: zone '%s': uplink_bps: expected >= 0 (0 = unlimited), found %g", n,
                           z->uplink_bps);
  if (!time_ok(z->link_up_mean) || !time_ok(z->link_down_mean) || (z->link_up_mean == 0) != (z->link_down_mean == 0))
    return g_strdup_printf("mobility: zone '%s': link_up_mean, link_down_mean: expected both 0 (always up) or both > 0",
                           n);
  if (!name_ok(z->function)) return g_strdup_printf("mobility: zone '%s': function: expected a string", n);
  if (!(z->arrival_rate >= 0) || !num_ok(z->arrival_rate) || (z->arrival_rate > 0 && !z->function[0]))
    return g_strdup_printf("mobility: zone '%s': arrival_rate: expected >= 0, and a function when > 0", n);
  return NULL;
}

static char *check_site(const struct mobility_site *s, uint32_t i, const struct mobility_zone *z, uint32_t nz,
                        int *carrier) {
  *carrier = -1;
  if (!num_ok(s->x_km) || !num_ok(s->y_km))
    return g_strdup_printf("mobility: site %u: expected finite x_km and y_km", i);
  if (!time_ok(s->backhaul_latency) || !time_ok(s->offnet_penalty))
    return g_strdup_printf("mobility: site %u: backhaul_latency, offnet_penalty: expected >= 0", i);
  if (!name_ok(s->carrier_zone)) return g_strdup_printf("mobility: site %u: carrier_zone: expected a string", i);
  if (!s->carrier_zone[0]) return NULL;
  if (s->onboard)
    return g_strdup_printf("mobility: site %u: carrier_zone '%s': expected none for an onboard site", i,
                           s->carrier_zone);
  for (uint32_t j = 0; j < nz; j++)
    if (!strcmp(z[j].name, s->carrier_zone)) {
      *carrier = (int)j;
      return NULL;
    }
  return g_strdup_printf("mobility: site %u: carrier_zone '%s': expected the name of a zone", i, s->carrier_zone);
}

static char *check_config(const struct mobility_config *c, mobility_link_fn link_fn) {
  if (c->trace_path && c->nwaypoints)
    return g_strdup("mobility: expected the flight path as either waypoints or trace_path, found both");
  if (!c->trace_path && (!c->nwaypoints || !c->waypoints))
    return g_strdup("mobility: expected a flight path (waypoints or trace_path), found none");
  if (!c->nzones || !c->zones) return g_strdup("mobility: expected at least one zone");
  if (c->nsites && (!c->sites || !link_fn)) return g_strdup("mobility: sites given without sites array or link_fn");
  if (c->period < 0) return g_strdup_printf("mobility: period: expected >= 0, found %lld ns", (long long)c->period);
  for (uint32_t i = 0; i < c->nzones; i++) {
    char *msg = check_zone(&c->zones[i], i, c->zones);
    if (msg) return msg;
  }
  return NULL;
}

mobility *mobility_new(env *e, const struct mobility_config *cfg, mobility_link_fn link_fn, mobility_zone_fn zone_fn,
                       void *arg, char **err) {
  char *msg = NULL;
  mobility *m = NULL;
  if (!e || !cfg) {
    msg = g_strdup("mobility: expected an env and a config");
    goto fail;
  }
  if ((msg = check_config(cfg, link_fn))) goto fail;
  m = g_new0(mobility, 1);
  m->e = e;
  if (cfg->trace_path) {
    if (mobility_trace_load(cfg->trace_path, &m->wps, &m->nwps, &msg) < 0) goto fail;
  } else {
    m->wps = g_memdup2(cfg->waypoints, sizeof *cfg->waypoints * cfg->nwaypoints);
    m->nwps = cfg->nwaypoints;
    if ((msg = check_waypoints(m->wps, m->nwps))) goto fail;
  }
  m->zones = g_memdup2(cfg->zones, sizeof *cfg->zones * cfg->nzones);
  m->nzones = cfg->nzones;
  m->nsites = cfg->nsites;
  m->sites = m->nsites ? g_memdup2(cfg->sites, sizeof *cfg->sites * cfg->nsites) : NULL;
  m->carrier = g_new(int, m->nsites + 1);
  for (uint32_t i = 0; i < m->nsites; i++)
    if ((msg = check_site(&m->sites[i], i, m->zones, m->nzones, &m->carrier[i]))) goto fail;
  if ((msg = check_coverage(m->wps, m->nwps, m->zones, m->nzones))) goto fail;

  m->period = cfg->period ? cfg->period : MOBILITY_PERIOD_DEFAULT;
  m->link_fn = link_fn;
  m->zone_fn = zone_fn;
  m->arg = arg;
  m->ls = g_new0(struct linkstate, m->nsites + 1);
  m->zs = g_new0(struct zstate, m->nzones);
  m->start = env_now(e);
  double x, y;
  interpolate(m->wps, m->nwps, m->start, &x, &y);
  int z0 = zone_at(m->zones, m->nzones, x, y);
  m->zone = z0 >= 0 ? (uint32_t)z0 : zone_nearest(m->zones, m->nzones, x, y);
  m->tick_timer = env_after(e, 0, on_tick, m); /* first, so it runs before any toggle due now */
  for (uint32_t i = 0; i < m->nzones; i++) {
    struct zstate *zs = &m->zs[i];
    const struct mobility_zone *z = &m->zones[i];
    *zs = (struct zstate){.m = m, .idx = i, .up = true};
    if (!z->link_up_mean) continue;
    char *name = g_strdup_printf("mobility:%s", z->name);
    zs->r = env_rng(e, name);
    g_free(name);
    double on = (double)z->link_up_mean, off = (double)z->link_down_mean;
    zs->up = rng_uniform(zs->r) < on / (on + off); /* stationary start */
    schedule_toggle(zs);
  }
  m->links_up = m->zs[m->zone].up;
  return m;
fail:
  if (err) *err = msg;
  else g_free(msg);
  mobility_free(m);
  return NULL;
}

void mobility_free(mobility *m) {
  if (!m) return;
  if (m->tick_timer) env_cancel(m->e, m->tick_timer);
  for (uint32_t i = 0; m->zs && i < m->nzones; i++)
    if (m->zs[i].timer) env_cancel(m->e, m->zs[i].timer);
  g_free(m->wps);
  g_free(m->zones);
  g_free(m->sites);
  g_free(m->carrier);
  g_free(m->ls);
  g_free(m->zs);
  g_free(m);
}

/* ---- accessors --------------------------------------------------------- */

uint32_t mobility_zone(const mobility *m) { return m->zone; }
const char *mobility_zone_name(const mobility *m) { return m->zones[m->zone].name; }
uint32_t mobility_nzones(const mobility *m) { return m->nzones; }

const struct mobility_zone *mobility_zone_info(const mobility *m, uint32_t zone) {
  return zone < m->nzones ? &m->zones[zone] : NULL;
}

void mobility_position_at(const mobility *m, cm_time t, double *x_km, double *y_km) {
  interpolate(m->wps, m->nwps, t, x_km, y_km);
}

void mobility_position(const mobility *m, double *x_km, double *y_km) {
  interpolate(m->wps, m->nwps, env_now(m->e), x_km, y_km);
}

int mobility_zone_at(const mobility *m, double x_km, double y_km) { return zone_at(m->zones, m->nzones, x_km, y_km); }

uint64_t mobility_zone_changes(const mobility *m) { return m->zone_changes; }
uint64_t mobility_link_down_periods(const mobility *m) { return m->down_periods; }
bool mobility_link_up(const mobility *m) { return m->links_up; }

cm_time mobility_link_down_time(const mobility *m) {
  bool down = m->links_known && !m->links_up;
  return m->down_time + (down ? env_now(m->e) - m->down_since : 0);
}

/* ---- CSV traces -------------------------------------------------------- */

static char *strip(char *s) {
  while (*s == ' ' || *s == '\t') s++;
  size_t n = strlen(s);
  while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r')) s[--n] = '\0';
  return s;
}

/* "'text'" cut to 40 characters, for messages. */
static char *shown(const char *s) { return g_strdup_printf("'%.40s%s'", s, strlen(s) > 40 ? "..." : ""); }

static char *parse_row(char *line, const char *name, unsigned lineno, double v[3]) {
  static const char *const field[3] = {"t_s", "x_km", "y_km"};
  char **parts = g_strsplit(line, ",", -1);
  char *msg = NULL;
  guint n = g_strv_length(parts);
  if (n != 3) {
    char *f = shown(line);
    msg = g_strdup_printf("%s:%u: expected 3 fields " TRACE_HEADER ", found %u in %s", name, lineno, n, f);
    g_free(f);
  }
  for (guint i = 0; i < 3 && !msg; i++) {
    char *p = strip(parts[i]), *end = NULL;
    v[i] = g_ascii_strtod(p, &end);
    if (*p && end && *end == '\0' && isfinite(v[i]) && (i > 0 || fabs(v[i]) < 9.2e9)) continue;
    char *f = shown(p);
    msg = g_strdup_printf("%s:%u: %s: expected a %s, found %s", name, lineno, field[i],
                          i ? "finite number (km)" : "number of seconds within +-9.2e9", f);
    g_free(f);
  }
  g_strfreev(parts);
  return msg;
}

int mobility_trace_parse(const char *text, size_t len, const char *name, struct mobility_waypoint **out,
                         uint32_t *n, char **err) {
  GArray *w = g_array_new(FALSE, FALSE, sizeof(struct mobility_waypoint));
  char *msg = NULL, *buf = g_strndup(text ? text : "", text ? len : 0);
  bool header = false;
  unsigned lineno = 0;
  for (char *line = buf, *next; line && !msg; line = next) {
    next = strchr(line, '\n');
    if (next) *next++ = '\0';
    lineno++;
    char *s = strip(line);
    if (!*s || *s == '#') continue;
    if (!header) {
      header = true;
      if (strcmp(s, TRACE_HEADER)) {
        char *f = shown(s);
        msg = g_strdup_printf("%s:%u: expected the header '" TRACE_HEADER "', found %s", name, lineno, f);
        g_free(f);
      }
      continue;
    }
    double v[3];
    if ((msg = parse_row(s, name, lineno, v))) break;
    struct mobility_waypoint p = {cm_time_from_s(v[0]), v[1], v[2]};
    if (w->len && p.t <= g_array_index(w, struct mobility_waypoint, w->len - 1).t) {
      msg = g_strdup_printf("%s:%u: t_s: expected a time after the previous row's %.9g s, found %.9g s", name,
                            lineno, cm_time_to_s(g_array_index(w, struct mobility_waypoint, w->len - 1).t), v[0]);
      break;
    }
    g_array_append_val(w, p);
  }
  if (!msg && !w->len)
    msg = g_strdup_printf("%s:%u: expected %s, found end of file", name, lineno,
                          header ? "at least one row after the header" : "the header '" TRACE_HEADER "'");
  g_free(buf);
  if (msg) {
    g_array_free(w, TRUE);
    if (err) *err = msg;
    else g_free(msg);
    return CM_EPARSE;
  }
  *n = w->len;
  *out = (struct mobility_waypoint *)(void *)g_array_free(w, FALSE);
  return 0;
}

int mobility_trace_load(const char *path, struct mobility_waypoint **out, uint32_t *n, char **err) {
  char *text = NULL;
  gsize len = 0;
  GError *ge = NULL;
  if (!g_file_get_contents(path, &text, &len, &ge)) {
    bool noent = ge->domain == G_FILE_ERROR && ge->code == G_FILE_ERROR_NOENT;
    if (err)
      *err = g_strdup_printf("%s: cannot read: %s", path,
                             noent ? "no such file" : ge->message);
    g_error_free(ge);
    return noent ? CM_ENOENT : CM_EIO;
  }
  int rc = mobility_trace_parse(text, len, path, out, n, err);
  g_free(text);
  return rc;
}
