/* The mixclaves scenario turned into experiment configuration, with the
 * checks the schema cannot make: the rate list, the host profiles (named in
 * sim/mixhost.h and with a known number), a Loopix network whose nodes split
 * into its layers. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "mixclaves.h"
#include "mixclaves/codec.h"
#include "mixhost.h"
#include "trust.h"

static char *fail(const scenario *s, const char *group, const char *key, const char *what) {
  return g_strdup_printf("%s: [%s] %s: %s", scenario_path(s), group, key, what);
}

static int parse_rates(const scenario *s, struct mxc_config *c, char **err) {
  const char *text = scenario_string(s, "network", "rates");
  char **parts = g_strsplit(text, ",", -1);
  int rc = 0;
  c->nrates = 0;
  for (char **p = parts; *p && rc == 0; p++) {
    char *t = g_strstrip(*p), *end = NULL;
    errno = 0;
    double v = strtod(t, &end);
    if (!*t || errno || *end || !(v > 0) || !isfinite(v) || v > 1e8) {
      *err = g_strdup_printf("%s: [network] rates: '%s' is not a rate; expected positive msg/s, comma-separated",
                             scenario_path(s), t);
      rc = -1;
    } else if (c->nrates == MXC_MAX_RATES) {
      *err = fail(s, "network", "rates", "too many steps (at most 256)");
      rc = -1;
    } else {
      c->rates[c->nrates++] = v;
    }
  }
  g_strfreev(parts);
  if (rc == 0 && c->nrates == 0) {
    *err = fail(s, "network", "rates", "no rate; expected at least one, e.g. '200,400,800'");
    rc = -1;
  }
  return rc;
}

static int check_host(const scenario *s, const char *key, char **err) {
  const char *name = scenario_string(s, "network", key);
  struct mixhost h;
  int rc = mixhost_init(&h, name, NULL);
  if (rc == 0) return 0;
  GString *names = g_string_new("");
  const struct mixhost_profile *ps;
  size_t n = mixhost_profiles(&ps);
  for (size_t i = 0; i < n; i++)
    if (ps[i].per_packet_s > 0) g_string_append_printf(names, "%s%s", names->len ? ", " : "", ps[i].name);
  const struct mixhost_profile *p = mixhost_profile_find(name);
  char *why = rc == CM_ENOSYS && p ? g_strdup_printf("has no number (%s)", p->source) : g_strdup("is not a host profile");
  *err = g_strdup_printf("%s: [network] %s: '%s' %s; expected one of: %s", scenario_path(s), key, name, why,
                         names->str);
  g_free(why);
  g_string_free(names, TRUE);
  return -1;
}

static int read_net(const scenario *s, const char *group, const char *label, struct mxc_net_config *n, char **err) {
  g_strlcpy(n->label, label, sizeof n->label);
  n->loopix = strcmp(scenario_string(s, group, "topology"), "loopix") == 0;
  n->nodes = (uint32_t)scenario_int(s, group, "nodes");
  n->layers = (uint32_t)scenario_int(s, group, "layers");
  n->hops = (uint32_t)scenario_int(s, group, "hops");
  n->enclave = scenario_bool(s, group, "enclave");
  n->oblivious = scenario_bool(s, group, "oblivious");
  n->domains = (uint32_t)scenario_int(s, group, "domains");
  const char *trust = scenario_string(s, group, "trust");
  g_strlcpy(n->trust_text, trust, sizeof n->trust_text);
  if (trust_parse_list(trust, n->domains, n->trust, MXC_MAX_DOMAINS) != 0) {
    *err = g_strdup_printf("%s: [%s] trust: '%s' is not a trust list for %u domain%s; expected one probability in "
                           "[0, 1], or %u comma-separated",
                           scenario_path(s), group, trust, n->domains, n->domains == 1 ? "" : "s", n->domains);
    return -1;
  }
  enum trust_path tp = TRUST_WITHIN;
  trust_path_parse(scenario_string(s, group, "path"), &tp);
  n->path = (int)tp;
  if (n->loopix && n->nodes % n->layers != 0) {
    *err = g_strdup_printf("%s: [%s] nodes: %u nodes do not split into %u layers; expected a multiple of layers",
                           scenario_path(s), group, n->nodes, n->layers);
    return -1;
  }
  return 0;
}

struct mxc_config *mxc_config_new(const scenario *s, char **err) {
  struct mxc_config *c = g_new0(struct mxc_config, 1);
  c->network = strcmp(scenario_string(s, "mixclaves", "experiment"), "network") == 0;
  g_strlcpy(c->crypto, scenario_string(s, "mixclaves", "crypto"), sizeof c->crypto);
  const char *b = scenario_string(s, "mixclaves", "buffer");
  for (int v = 0; v < BUFFER_NVARIANTS; v++)
    c->variant_on[v] = !strcmp(b, "all") || !strcmp(b, buffer_variant_name((enum buffer_variant)v));
  c->packets = (uint64_t)scenario_int(s, "mixclaves", "packets");
  c->pairs_max = (uint64_t)scenario_int(s, "mixclaves", "pairs");
  c->buffer_rate = scenario_double(s, "mixclaves", "rate_per_s");
  c->buffer_delay_s = scenario_double(s, "mixclaves", "delay_ms") / 1e3;

  const char *const *groups = scenario_groups(s, "config.*");
  if (!groups[0]) {
    if (read_net(s, "network", scenario_string(s, "network", "topology"), &c->configs[0], err) != 0) goto bad;
    c->nconfigs = 1;
  }
  for (size_t i = 0; groups[i]; i++) {
    if (c->nconfigs == MXC_MAX_CONFIGS) {
      *err = g_strdup_printf("%s: [%s]: too many [config.*] groups (at most %d)", scenario_path(s), groups[i],
                             MXC_MAX_CONFIGS);
      goto bad;
    }
    if (read_net(s, groups[i], groups[i] + strlen("config."), &c->configs[c->nconfigs++], err) != 0) goto bad;
  }
  /* a codec that is registered bounds the hops (one not registered is
   * reported when the run starts) */
  const struct codec_ops *ops = NULL;
  if (c->network && codec_lookup(c->crypto, &ops) == 0)
    for (uint32_t i = 0; i < c->nconfigs; i++)
      if (c->configs[i].hops > ops->max_hops) {
        *err = g_strdup_printf("%s: [%s] hops: %u hops; the %s codec carries at most %u", scenario_path(s),
                               groups[0] ? groups[i] : "network", c->configs[i].hops, ops->name, ops->max_hops);
        goto bad;
      }
  if (parse_rates(s, c, err) != 0) goto bad;
  if (check_host(s, "host", err) != 0 || check_host(s, "host_enclave", err) != 0) goto bad;
  g_strlcpy(c->host, scenario_string(s, "network", "host"), sizeof c->host);
  g_strlcpy(c->host_enclave, scenario_string(s, "network", "host_enclave"), sizeof c->host_enclave);
  c->step = cm_time_from_s(scenario_double(s, "network", "step_s"));
  c->warmup = cm_time_from_s(scenario_double(s, "network", "warmup_s"));
  if (c->warmup >= c->step) {
    *err = fail(s, "network", "warmup_s", "not below step_s; expected a warm-up shorter than the step");
    goto bad;
  }
  c->late_after = cm_time_from_s(scenario_double(s, "network", "late_after_s"));
  c->max_delay = cm_time_from_s(scenario_double(s, "network", "max_delay_ms") / 1e3);
  c->drain = cm_time_from_s(scenario_double(s, "network", "drain_s"));
  c->mean_delay = cm_time_from_s(scenario_double(s, "network", "mean_delay_ms") / 1e3);
  c->link_latency = cm_time_from_s(scenario_double(s, "network", "link_latency_ms") / 1e3);
  c->link_jitter = cm_time_from_s(scenario_double(s, "network", "link_jitter_ms") / 1e3);
  c->link_loss = scenario_double(s, "network", "link_loss");
  c->oblivious_extra_s = scenario_double(s, "network", "oblivious_extra_us") / 1e6;
  c->service_exponential = strcmp(scenario_string(s, "network", "service"), "exponential") == 0;
  buffer_variant_parse(scenario_string(s, "network", "buffer"), &c->buffer_off);
  c->buffer_capacity = (uint32_t)scenario_int(s, "network", "buffer_capacity");
  c->queue_max = (uint32_t)scenario_int(s, "network", "queue_max");
  c->clients = (uint32_t)scenario_int(s, "network", "clients");
  c->node_loop_rate = scenario_double(s, "network", "node_loop_rate_per_s");
  c->drop_rate = scenario_double(s, "network", "drop_rate_per_s");
  c->anonymity = scenario_bool(s, "network", "anonymity");
  if (c->network && c->anonymity && strcmp(c->crypto, "abstract") != 0) {
    *err = fail(s, "network", "anonymity",
                "needs [mixclaves] crypto = abstract (the observer follows a packet across hops by its clear "
                "header; Sphinx packets cannot be followed); expected anonymity = false or crypto = abstract");
    goto bad;
  }
  c->price = (struct mxc_price){
      .usd_per_hour = scenario_double(s, "cost", "usd_per_hour"),
      .discount = scenario_double(s, "cost", "sustained_use_discount"),
      .hours_per_month = scenario_double(s, "cost", "hours_per_month"),
      .enclave_usd_per_hour = scenario_double(s, "cost", "enclave_usd_per_hour"),
      .enclave_fraction = scenario_double(s, "cost", "enclave_premium"),
      .surcharge = strcmp(scenario_string(s, "cost", "premium_model"), "surcharge") == 0,
  };
  return c;
bad:
  g_free(c);
  return NULL;
}

int mixclaves_check(const scenario *s, char **err) {
  struct mxc_config *c = mxc_config_new(s, err);
  if (!c) return CM_EINVAL;
  g_free(c);
  return 0;
}
