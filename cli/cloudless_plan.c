/* The periodic planner's settings from the scenario, parsed and checked at
 * load (cl_config_new), before anything runs: each [plan.NAME] group (its
 * providers, planner, objective and bound, or the [workflow] ones) and
 * [workflow] backup_stores. Errors name the file, line, group and key and
 * say what was expected. */
#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless.h"

/* A plan's setting, or the [workflow] one when the plan leaves it empty. */
static const char *plan_string(const scenario *s, const char *group, const char *key, const char **from) {
  const char *v = group ? scenario_string(s, group, key) : "";
  *from = *v ? group : "workflow";
  return *v ? v : scenario_string(s, "workflow", key);
}

static int find_provider(const struct cl_config *c, const char *name) {
  for (uint32_t p = 0; p < c->nproviders; p++)
    if (!strcmp(c->providers[p].name, name)) return (int)p;
  return -1;
}

static int find_store(const struct cl_config *c, const char *name) {
  for (uint32_t s = 0; s < c->nstores; s++)
    if (!strcmp(c->stores[s].name, name)) return (int)s;
  return -1;
}

static int parse_plan(const scenario *s, struct cl_config *c, const char *group, struct cl_plan *pl, char **err) {
  const char *g = group ? group : "workflow", *from;
  g_strlcpy(pl->name, group ? group + strlen("plan.") : "all", sizeof pl->name);
  const char *planner = plan_string(s, group, "planner", &from);
  if (!strcmp(planner, "exact")) pl->solver = PLANNER_EXACT;
  else if (!strcmp(planner, "csp")) pl->solver = PLANNER_CSP;
  else if (!strcmp(planner, "heuristic")) pl->solver = PLANNER_HEURISTIC;
  else
    return scenario_error(s, from, "planner", err, "found '%s', expected one of: exact, csp, heuristic (empty: the "
                          "[workflow] planner)", planner);
  const char *objective = plan_string(s, group, "objective", &from);
  if (!strcmp(objective, "time")) pl->objective = PLACE_MIN_TIME;
  else if (!strcmp(objective, "cost")) pl->objective = PLACE_MIN_COST;
  else
    return scenario_error(s, from, "objective", err, "found '%s', expected one of: time, cost (empty: the "
                          "[workflow] objective)", objective);
  const char *bkey = pl->objective == PLACE_MIN_TIME ? "budget_usd" : "deadline_s";
  double b = group ? scenario_double(s, group, bkey) : -1;
  if (b < 0) b = scenario_double(s, "workflow", bkey);
  pl->bound = b > 0 ? b : INFINITY;
  if (!group) return 0;
  gchar **names = g_strsplit(scenario_string(s, group, "providers"), ",", -1);
  int rc = 0;
  for (gchar **nm = names; *nm && rc == 0; nm++) {
    g_strstrip(*nm);
    if (!**nm) continue;
    int p = find_provider(c, *nm);
    bool twice = false;
    for (uint32_t i = 0; i < pl->nallowed; i++) twice |= pl->allowed[i] == (uint32_t)p;
    if (p < 0 || twice)
      rc = scenario_error(s, g, "providers", err, "'%s' %s", *nm,
                          p < 0 ? "is not a [provider.*] group" : "is given twice");
    else
      pl->allowed[pl->nallowed++] = (uint32_t)p;
  }
  g_strfreev(names);
  return rc;
}

int cl_plans_parse(const scenario *s, struct cl_config *c, char **err) {
  if (strcmp(c->experiment, "workflow") != 0) {
    if (*scenario_groups(s, "plan.*"))
      return scenario_error(s, scenario_groups(s, "plan.*")[0], NULL, err,
                            "[plan.*] groups run only with [cloudless] experiment = workflow");
    return 0;
  }
  const char *const *groups = scenario_groups(s, "plan.*");
  uint32_t n = g_strv_length((gchar **)groups);
  c->nplans = n ? n : 1;
  c->plans = g_new0(struct cl_plan, c->nplans);
  for (uint32_t i = 0; i < c->nplans; i++) {
    c->plans[i].allowed = g_new0(uint32_t, c->nproviders);
    if (parse_plan(s, c, n ? groups[i] : NULL, &c->plans[i], err) != 0) return -1;
  }
  c->backup = g_new0(uint32_t, c->nstores + 1);
  gchar **bk = g_strsplit(scenario_string(s, "workflow", "backup_stores"), ",", -1);
  int rc = 0;
  for (gchar **b = bk; *b && rc == 0; b++) {
    g_strstrip(*b);
    if (!**b) continue;
    int st = find_store(c, *b);
    bool twice = false;
    for (uint32_t i = 0; i < c->nbackup; i++) twice |= c->backup[i] == (uint32_t)st;
    if (st < 0 || twice)
      rc = scenario_error(s, "workflow", "backup_stores", err, "'%s' %s", *b,
                          st < 0 ? "is not a [store.*] group" : "is given twice");
    else
      c->backup[c->nbackup++] = (uint32_t)st;
  }
  g_strfreev(bk);
  return rc ? -1 : 0;
}

void cl_plans_free(struct cl_config *c) {
  for (uint32_t i = 0; c->plans && i < c->nplans; i++) g_free(c->plans[i].allowed);
  g_free(c->plans);
  g_free(c->backup);
}
