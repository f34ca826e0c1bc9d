/* Two things the multi-host testbed (tests/testbed/) needs from `cloudmix
 * node` and `cloudmix client`, shared by both:
 *
 * The link: [node] / [client] link_delay_ms, link_jitter_ms, link_loss.
 * This kernel has no netem, so a namespace's link delay and loss come from
 * our side: the real env wrapped in the seam's fault decorator
 * (sim/env_fault.h), whose rules apply to every datagram this process
 * sends (its egress link). Loss: one FAULT_DROP rule with that
 * probability. Delay: one FAULT_DELAY rule of link_delay_ms, or with
 * jitter J, MXR_LINK_LEVELS rules of delays spread evenly over [D - J,
 * D + J], rule i firing with probability 1 / (levels - i), so each level
 * is taken with probability 1 / levels (uniform jitter, mean D; later
 * datagrams may overtake earlier ones, as with netem's jitter). The draws
 * come from the decorator's streams, seeded from the OS (mxr_start).
 *
 * The reload: on SIGHUP the process re-reads its config's [node.NAME] and
 * [client.NAME] groups (mixcfg_book over the real env: new peers join its
 * address book) and swaps the book the Sphinx key lookups read, so that a
 * node added to the config (its descriptor made by `cloudmix node init`)
 * becomes a next hop of the running nodes and a hop of the running
 * clients' paths. Peers left out of the config are no longer chosen but
 * stay reachable (packets already on their way to them still arrive). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "env_fault.h"
#include "mixclaves.h"

int mxr_link_read(struct mixcfg *c, const char *group, struct mxr_link *l) {
  l->delay_ms = mixcfg_double(c, group, "link_delay_ms", 0, 0, 60000);
  l->jitter_ms = mixcfg_double(c, group, "link_jitter_ms", 0, 0, 60000);
  l->loss = mixcfg_double(c, group, "link_loss", 0, 0, 1);
  if (!c->err && l->jitter_ms > l->delay_ms)
    c->err = g_strdup_printf("%s: [%s] link_jitter_ms: %g is more than link_delay_ms %g; expected at most the "
                             "delay (the delay is spread over [delay - jitter, delay + jitter])",
                             c->path, group, l->jitter_ms, l->delay_ms);
  return c->err ? CM_EINVAL : 0;
}

bool mxr_link_on(const struct mxr_link *l) { return l->delay_ms > 0 || l->loss > 0; }

int mxr_link_wrap(const struct mxr_link *l, env *inner, env **outer, char **err) {
  *outer = inner;
  if (!mxr_link_on(l)) return 0;
  struct env_fault_rule rules[MXR_LINK_LEVELS + 1];
  size_t n = 0;
  const struct env_fault_rule any = {.what = FAULT_DATAGRAM, .provider_or_addr = ENV_FAULT_ANY};
  if (l->loss > 0) {
    rules[n] = any;
    rules[n].action = FAULT_DROP;
    rules[n++].probability = l->loss;
  }
  if (l->delay_ms > 0) {
    int levels = l->jitter_ms > 0 ? MXR_LINK_LEVELS : 1;
    for (int i = 0; i < levels; i++) {
      double ms = levels == 1 ? l->delay_ms : l->delay_ms - l->jitter_ms + 2 * l->jitter_ms * i / (levels - 1);
      rules[n] = any;
      rules[n].action = FAULT_DELAY;
      rules[n].probability = 1.0 / (levels - i);
      rules[n++].delay = cm_time_from_s(ms / 1e3);
    }
  }
  *outer = env_fault_new(inner, rules, n, err);
  return *outer ? 0 : CM_EINVAL;
}

void mxr_link_print(const struct mxr_link *l, const char *who) {
  if (!mxr_link_on(l)) printf("%s link: no delay or loss added\n", who);
  else
    printf("%s link: delay %.3f ms, jitter +-%.3f ms, loss %.4f on every datagram sent (fault decorator, "
           "sim/env_fault.h; this is not netem)\n",
           who, l->delay_ms, l->jitter_ms, l->loss);
}

int mxr_reload(const char *path, const char *group, const char *const *keys, env *inner, cm_addr self,
               bool need_pk, struct mixbook *book, char **err) {
  struct mixcfg c;
  struct mixbook fresh = {0};
  int rc = CM_EINVAL;
  if (mixcfg_open(&c, path) && mixcfg_book(&c, group, keys, inner, self, need_pk, &fresh) == 0) {
    mixbook_free(book);
    *book = fresh;
    rc = 0;
  } else {
    *err = g_strdup(c.err);
    mixbook_free(&fresh);
  }
  mixcfg_close(&c);
  return rc;
}
