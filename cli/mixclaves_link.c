/* Three things the multi-host testbed (tests/testbed/) needs from `cloudmix
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
 * stay reachable (packets already on their way to them still arrive).
 *
 * The series: `cloudmix client --series FILE`'s line a second, the
 * testbed's time series (tests/testbed/fig10.sh). */
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "env_fault.h"
#include "hist.h"
#include "mixclaves.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"

static double ms(int64_t ns) { return (double)ns / 1e6; }

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

size_t mxr_book_self(struct mixbook *b, cm_addr self, const uint8_t *pk) {
  size_t i = 0;
  while (i < b->n && b->nodes[i] != self) i++;
  if (i == b->n) b->nodes[b->n++] = self;
  if (pk) {
    memcpy(b->pk[i], pk, 32);
    b->has_pk[i] = true;
  }
  return i;
}

void mxr_node_on_hup(void *arg) {
  struct mxr_node_reload *r = arg;
  char *err = NULL;
  if (mxr_reload(r->config, "node", r->keys, r->inner, r->self, r->need_pk, r->book, &err) != 0) {
    printf("SIGHUP: reload refused, the old next hops stay: %s\n", err);
    g_free(err);
  } else {
    mxr_book_self(r->book, r->self, r->pk);
    int rc = node_set_peers(r->n, r->book->nodes, r->book->n);
    printf("SIGHUP: reloaded %s: %zu next hops%s%s\n", r->config, r->book->n, rc ? "; refused by the node: " : "",
           rc ? cm_strerror(rc) : "");
  }
  fflush(stdout);
}

void mxr_client_on_hup(void *arg) {
  struct mxr_client_reload *r = arg;
  struct mixbook fresh = {0};
  char *err = NULL;
  /* read into a copy first: the epoch check may refuse it */
  if (mxr_reload(r->config, "client", r->keys, r->inner, r->self, true, &fresh, &err) != 0) {
    printf("SIGHUP: reload refused, the old nodes stay: %s\n", err);
    g_free(err);
  } else {
    /* every node at one later epoch (the updater committed it): the
     * client moves to it; packets built before stay valid for the nodes'
     * epoch_grace */
    uint32_t to = r->epoch;
    if (fresh.n && fresh.epoch[0] > r->epoch) to = fresh.epoch[0];
    size_t bad = fresh.n;
    for (size_t i = 0; i < fresh.n && bad == fresh.n; i++)
      if (fresh.epoch[i] != to) bad = i;
    int rc = fresh.n == 0 ? CM_EINVAL : 0;
    if (bad != fresh.n)
      printf("SIGHUP: reload refused, the old nodes stay: %s: node address %u has key epoch %u; expected %u "
             "(every node at one epoch, not below the client's %u)\n", r->config, fresh.nodes[bad], fresh.epoch[bad], to,
             r->epoch);
    else if (rc || (rc = client_set_nodes(r->cl, fresh.nodes, fresh.n)) != 0)
      printf("SIGHUP: reload refused, the old nodes stay: %s: %s\n", r->config,
             fresh.n ? cm_strerror(rc) : "no [node.NAME] group");
    else {
      mixbook_free(r->book);
      *r->book = fresh;
      memset(&fresh, 0, sizeof fresh);
      if (to != r->epoch) client_set_epoch(r->cl, to);
      printf("SIGHUP: reloaded %s: %zu node(s), epoch %u%s\n", r->config, r->book->n, to,
             to != r->epoch ? " (new)" : "");
      r->epoch = to;
    }
  }
  mixbook_free(&fresh);
  fflush(stdout);
}

void mxr_series_tick(env *e, void *arg) {
  struct mxr_series *s = arg;
  struct client_counters k;
  client_counters(s->cl, &k);
  const hist *h = client_rtt(s->cl);
  uint64_t got = k.received + k.late - s->prev.received - s->prev.late;
  fprintf(s->f, "%.3f,%zu,%llu,%llu,%llu,", (double)g_get_real_time() / 1e6, s->book->n,
          (unsigned long long)(k.sent_loop + k.sent_drop - s->prev.sent_loop - s->prev.sent_drop),
          (unsigned long long)(k.received - s->prev.received), (unsigned long long)(k.lost - s->prev.lost));
  if (got) fprintf(s->f, "%.3f,%.3f\n", ms(hist_percentile_since(h, s->before, 0.5)),
                   ms(hist_percentile_since(h, s->before, 0.99)));
  else fprintf(s->f, "nan,nan\n");
  fflush(s->f);
  hist_reset(s->before);
  hist_merge(s->before, h);
  s->prev = k;
  s->t = env_after(e, CM_S(1), mxr_series_tick, s);
}
