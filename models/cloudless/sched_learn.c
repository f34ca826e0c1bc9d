/* What the scheduler learns per (function, payload class, provider): rings of
 * the last latency_window successes' warm latencies and execution times
 * (integer sums, so the moving averages are exact and reproducible), the
 * expected cost of a call (price x mean execution time), a ring of the last
 * latency_window attempts' outcomes, and a circuit breaker (open, half-open,
 * one probe at a time). */
#include "cloudless/sched_impl.h"

#include <stdio.h>
#include <string.h>

void sched__learn_init(sched *s) {
  s->fn_index = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->fn_last = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  s->fstats = g_ptr_array_new();
}

void sched__learn_free(sched *s) {
  for (guint k = 0; k < s->fstats->len; k++) {
    struct fstat *f = g_ptr_array_index(s->fstats, k);
    for (uint32_t i = 0; i < s->n; i++) {
      g_free(f[i].lat);
      g_free(f[i].exec);
      g_free(f[i].att);
    }
    g_free(f);
  }
  g_ptr_array_free(s->fstats, TRUE);
  g_hash_table_destroy(s->fn_index);
  g_hash_table_destroy(s->fn_last);
}

uint32_t sched__fn_index(sched *s, const char *name, uint32_t cls) {
  if (s->fstats->len && cls == s->last_class && strcmp(name, s->last_name) == 0) return s->last_fn;
  char key[SCHED_NAME_MAX + 16];
  snprintf(key, sizeof key, "%s\x1f%u", name, cls);
  gpointer v = g_hash_table_lookup(s->fn_index, key);
  uint32_t i;
  if (v) {
    i = GPOINTER_TO_UINT(v) - 1;
  } else {
    i = s->fstats->len;
    g_ptr_array_add(s->fstats, g_new0(struct fstat, s->n));
    g_hash_table_insert(s->fn_index, g_strdup(key), GUINT_TO_POINTER(i + 1));
  }
  g_hash_table_replace(s->fn_last, g_strdup(name), GUINT_TO_POINTER(i + 1));
  g_strlcpy(s->last_name, name, sizeof s->last_name);
  s->last_class = cls;
  s->last_fn = i;
  return i;
}

void sched__observe(sched *s, struct prov *pr, struct fstat *p, cm_time latency, cm_time exec) {
  uint32_t w = s->cfg.latency_window;
  if (!p->lat) {
    p->lat = g_new(cm_time, w);
    p->exec = g_new(cm_time, w);
  }
  if (p->ring_n == w) {
    p->lat_sum -= p->lat[p->ring_pos];
    p->exec_sum -= p->exec[p->ring_pos];
  } else {
    p->ring_n++;
  }
  p->lat[p->ring_pos] = latency;
  p->exec[p->ring_pos] = exec;
  p->lat_sum += latency;
  p->exec_sum += exec;
  p->ring_pos = p->ring_pos + 1 == w ? 0 : p->ring_pos + 1;
  p->exp_cost = cost_invocation(&pr->cfg.price, p->exec_sum / p->ring_n, true);
}

/* One attempt's outcome into the attempts ring: -1 a success, else the
 * latency of a failure. */
static void att_push(sched *s, struct fstat *f, cm_time v) {
  uint32_t w = s->cfg.latency_window;
  if (!f->att) f->att = g_new(cm_time, w);
  if (f->att_n == w) {
    cm_time old = f->att[f->att_pos];
    if (old >= 0) {
      f->att_fails--;
      f->att_fail_sum -= old;
    }
  } else {
    f->att_n++;
  }
  f->att[f->att_pos] = v;
  if (v >= 0) {
    f->att_fails++;
    f->att_fail_sum += v;
  }
  f->att_pos = f->att_pos + 1 == w ? 0 : f->att_pos + 1;
}

static cm_time cooldown(const struct sched_config *cfg, uint32_t opens) {
  cm_time b = cfg->breaker_cooldown;
  for (uint32_t k = 1; k < opens && b < cfg->breaker_cooldown_max; k++)
    b = b > cfg->breaker_cooldown_max / 2 ? cfg->breaker_cooldown_max : 2 * b;
  return b < cfg->breaker_cooldown_max ? b : cfg->breaker_cooldown_max;
}

static void breaker_open(sched *s, struct fstat *f, cm_time now) {
  f->open = true;
  f->opens++;
  f->open_until = now + cooldown(&s->cfg, f->opens);
}

/* Learn an attempt's outcome (when failures are learnt): a success closes
 * the breaker and, if it was open, forgets the failures (the provider
 * recovered); an error, timeout or network failure counts against it and
 * may open it; a throttle is a matter of capacity, left to the backoff. */
void sched__learn(sched *s, struct call *c, const struct invoke_result *res, cm_time now) {
  struct fstat *f = sched__fstat_of(s, c->fn, (uint32_t)c->provider);
  bool probe = c->probe;
  c->probe = false;
  if (probe) f->probing = false;
  if (res->status == INVOKE_OK) {
    if (f->open) {
      f->open = false;
      f->att_n = f->att_pos = f->att_fails = 0;
      f->att_fail_sum = 0;
    }
    f->opens = 0;
    f->consec = 0;
    att_push(s, f, -1);
    return;
  }
  if (res->status == INVOKE_THROTTLED) return;
  att_push(s, f, res->latency > 0 ? res->latency : 0);
  f->consec++;
  if (probe || (!f->open && f->consec >= s->cfg.breaker_failures)) breaker_open(s, f, now);
}

const struct fstat *sched__lookup(const sched *s, const char *function, uint32_t p) {
  if (p >= s->n || s->fstats->len == 0) return NULL;
  uint32_t fn = s->last_fn;
  if (function) {
    gpointer v = g_hash_table_lookup(s->fn_last, function);
    if (!v) return NULL;
    fn = GPOINTER_TO_UINT(v) - 1;
  }
  return sched__fstat_of(s, fn, p);
}
