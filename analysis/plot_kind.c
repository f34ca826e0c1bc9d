/* The figure kind of a run under `--kind auto`, read from what the run
 * recorded rather than from its scenario's file name: the run's model and
 * the effective scenario it ran (runs.scenario_text, written by
 * results_run_begin after includes, overrides and defaults), from which the
 * experiment and the workload it used are read with GKeyFile. */
#include <stdlib.h>
#include <string.h>

#include "plot_impl.h"

/* The value of group.key in kf, stripped, or NULL when absent (g_malloc'd). */
static char *value(GKeyFile *kf, const char *group, const char *key) {
  char *v = g_key_file_get_value(kf, group, key, NULL);
  return v ? g_strstrip(v) : NULL;
}

static int value_is(GKeyFile *kf, const char *group, const char *key, const char *want) {
  char *v = value(kf, group, key);
  int same = v && !strcmp(v, want);
  g_free(v);
  return same;
}

/* Whether kf has a group whose name starts with prefix (pattern groups
 * such as fault.* are written only when the scenario has them). */
static int has_group_prefix(GKeyFile *kf, const char *prefix) {
  char **groups = g_key_file_get_groups(kf, NULL);
  int found = 0;
  for (char **g = groups; g && *g && !found; g++) found = g_str_has_prefix(*g, prefix);
  g_strfreev(groups);
  return found;
}

/* Number of comma-separated non-empty items in group.key. */
static int list_len(GKeyFile *kf, const char *group, const char *key) {
  char *v = value(kf, group, key);
  int n = 0;
  if (v) {
    char **items = g_strsplit(v, ",", -1);
    for (char **i = items; *i; i++) n += *g_strstrip(*i) != '\0';
    g_strfreev(items);
  }
  g_free(v);
  return n;
}

/* A live cloudless run: the workload decides. Serial calls per provider
 * give Fig. 5 (several functions) or section 6.5 (one function, each call
 * recorded); other workloads give Fig. 9 when they schedule faults, the UAV
 * figure when they fly (and record calls), else Fig. 8. */
static enum plot_kind cloudless_live(GKeyFile *kf) {
  int calls = value_is(kf, "cloudless", "record", "calls");
  if (value_is(kf, "workload", "mode", "per_provider"))
    return list_len(kf, "workload", "functions") < 2 && calls ? PLOT_SEC65 : PLOT_FIG5;
  if (has_group_prefix(kf, "fault.")) return PLOT_FIG9;
  char *way = value(kf, "flight", "waypoints"), *trace = value(kf, "flight", "trace");
  int flies = (way && *way) || (trace && *trace);
  g_free(way);
  g_free(trace);
  return calls && flies ? PLOT_UAV : PLOT_FIG8;
}

/* A mixclaves network run: every configuration one node gives Fig. 8
 * (enclave and buffer variants of a node), else Fig. 9 (topologies). */
static enum plot_kind mixclaves_network(GKeyFile *kf) {
  char **groups = g_key_file_get_groups(kf, NULL);
  int multi = 0;
  for (char **g = groups; g && *g; g++)
    if (g_str_has_prefix(*g, "config.")) {
      char *v = value(kf, *g, "nodes");
      multi |= v && strtol(v, NULL, 10) > 1;
      g_free(v);
    }
  g_strfreev(groups);
  return multi ? PLOT_MX_FIG9 : PLOT_MX_FIG8;
}

int plot__kind_choose(struct plot_ctx *p, const char *model, const char *scenario_text, enum plot_kind *out) {
  if (!scenario_text)
    return plot__fail(p, CM_EINVAL,
                      "run %lld recorded no scenario text, so its experiment is unknown; choose a kind with --kind",
                      (long long)p->run_id);
  GKeyFile *kf = g_key_file_new();
  GError *gerr = NULL;
  int rc = 0;
  if (!g_key_file_load_from_data(kf, scenario_text, (gsize)-1, G_KEY_FILE_NONE, &gerr)) {
    rc = plot__fail(p, CM_EINVAL, "run %lld: its recorded scenario text cannot be read (%s); choose a kind with --kind",
                    (long long)p->run_id, gerr->message);
    g_error_free(gerr);
    goto done;
  }
  char *exp = !strcmp(model, "cloudless") ? value(kf, "cloudless", "experiment") : value(kf, "mixclaves", "experiment");
  if (!strcmp(model, "cloudless")) {
    if (!exp || !strcmp(exp, "live")) *out = cloudless_live(kf);
    else if (!strcmp(exp, "storage-scan")) *out = PLOT_CL_FIG6;
    else if (!strcmp(exp, "workflow")) {
      char *r = value(kf, "workflow", "replan_s");
      *out = r && strtod(r, NULL) > 0 ? PLOT_CL_REPLAN : PLOT_CL_TABLE1;
      g_free(r);
    } else rc = -1;
  } else {
    if (exp && !strcmp(exp, "buffer")) *out = PLOT_MX_FIG1;
    else if (!exp || !strcmp(exp, "network")) *out = mixclaves_network(kf);
    else if (!strcmp(exp, "elasticity")) *out = PLOT_MX_FIG10;
    else rc = -1;
  }
  if (rc < 0)
    rc = plot__fail(p, CM_EINVAL,
                    "run %lld is a %s run of experiment '%s', which has no figure kind of its own; choose one with --kind",
                    (long long)p->run_id, model, exp);
  g_free(exp);
done:
  g_key_file_free(kf);
  return rc;
}
