/* Anonymity metrics: sender-set entropy and degree of anonymity (Diaz et al.
 * 2002; Serjantov and Danezis 2002), their aggregates, and the exponential-
 * weight attacker on one Poisson mix (Loopix, Piotrowska et al. 2017), with
 * its steady-state expectation by numerical integration (derivation in
 * anon.h). */
#include "anon.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_integration.h>
#include <gsl/gsl_sf_expint.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"
#include "stats.h"

struct pair {
  uint64_t sender;
  double w;
};

static int pair_cmp(const void *a, const void *b) {
  const struct pair *x = a, *y = b;
  return (x->sender > y->sender) - (x->sender < y->sender);
}

/* Entropy (bits) of the weights pr[0..n).w over their sum s; n_pos gets
 * the count of positive weights. */
static double entropy_bits(const struct pair *pr, size_t n, double s, size_t *n_pos) {
  double h = 0;
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    double p = pr[i].w / s;
    if (p > 0) {
      h -= p * log2(p);
      k++;
    }
  }
  *n_pos = k;
  return h > 0 ? h : 0;
}

int anon_entropy(const double *w, const uint64_t *sender, size_t n, uint64_t true_sender,
                 struct anon_result *out) {
  if (!w || !out || n == 0) return CM_EINVAL;
  double s = 0;
  for (size_t i = 0; i < n; i++) {
    if (!isfinite(w[i]) || w[i] < 0) return CM_EINVAL;
    s += w[i];
  }
  if (!(s > 0)) return CM_EINVAL;
  struct pair *pr = malloc(n * sizeof *pr);
  if (!pr) return CM_ENOMEM;
  for (size_t i = 0; i < n; i++) pr[i] = (struct pair){sender ? sender[i] : i, w[i]};
  if (!sender) true_sender = 0;
  size_t m = n;
  if (sender) { /* pool the weight of candidates with the same sender */
    qsort(pr, n, sizeof *pr, pair_cmp);
    m = 0;
    for (size_t i = 0; i < n; i++) {
      if (m > 0 && pr[m - 1].sender == pr[i].sender) pr[m - 1].w += pr[i].w;
      else pr[m++] = pr[i];
    }
  }
  out->p_true = 0;
  for (size_t i = 0; i < m; i++)
    if (pr[i].sender == true_sender) out->p_true = pr[i].w / s;
  out->h = entropy_bits(pr, m, s, &out->n);
  free(pr);
  out->d = out->n > 1 ? out->h / log2((double)out->n) : 0;
  return 0;
}

/* ---- aggregates ---- */

struct anon_agg {
  double *h, *d;
  double p_sum;
  size_t n, cap;
};

anon_agg *anon_agg_new(void) { return calloc(1, sizeof(anon_agg)); }

void anon_agg_free(anon_agg *a) {
  if (!a) return;
  free(a->h);
  free(a->d);
  free(a);
}

int anon_agg_add(anon_agg *a, const struct anon_result *r) {
  if (!a || !r || !isfinite(r->h) || !isfinite(r->d)) return CM_EINVAL;
  if (a->n == a->cap) {
    size_t cap = a->cap ? 2 * a->cap : 1024;
    double *h = realloc(a->h, cap * sizeof *h);
    if (!h) return CM_ENOMEM;
    a->h = h;
    double *d = realloc(a->d, cap * sizeof *d);
    if (!d) return CM_ENOMEM;
    a->d = d;
    a->cap = cap;
  }
  a->h[a->n] = r->h;
  a->d[a->n] = r->d;
  a->p_sum += isfinite(r->p_true) ? r->p_true : 0;
  a->n++;
  return 0;
}

static int dbl_cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return (x > y) - (x < y);
}

int anon_agg_summary(const anon_agg *a, struct anon_summary *out) {
  if (!a || !out || a->n == 0) return CM_EINVAL;
  int rc = CM_ENOMEM;
  size_t n = a->n;
  double *hs = malloc(n * sizeof *hs), *ds = malloc(n * sizeof *ds);
  if (!hs || !ds) goto done;
  struct stats_summary sh, sd;
  if ((rc = stats_summary(a->h, n, &sh)) != 0) goto done;
  if ((rc = stats_summary(a->d, n, &sd)) != 0) goto done;
  memcpy(hs, a->h, n * sizeof *hs);
  memcpy(ds, a->d, n * sizeof *ds);
  qsort(hs, n, sizeof *hs, dbl_cmp);
  qsort(ds, n, sizeof *ds, dbl_cmp);
  *out = (struct anon_summary){
      .n = n,
      .h_mean = sh.mean,
      .h_sd = sh.sd,
      .h_ci95 = sh.ci95,
      .h_min = hs[0],
      .h_p5 = stats_percentile_sorted(hs, n, 0.05),
      .h_p50 = stats_percentile_sorted(hs, n, 0.5),
      .h_p95 = stats_percentile_sorted(hs, n, 0.95),
      .d_mean = sd.mean,
      .d_min = ds[0],
      .d_p5 = stats_percentile_sorted(ds, n, 0.05),
      .d_p50 = stats_percentile_sorted(ds, n, 0.5),
      .p_true_mean = a->p_sum / (double)n,
  };
done:
  free(hs);
  free(ds);
  return rc;
}

/* ---- the Poisson mix attacker ---- */

struct held {
  uint64_t id, sender;
  double t_in;
  int gone; /* left already (ENTERED mode keeps it as a candidate) */
};

struct anon_pmix {
  double mean, last;
  enum anon_pmix_set set;
  struct held *m; /* m[head..len), entry order */
  size_t head, len, cap;
  double *w;      /* scratch weights */
  uint64_t *snd;  /* scratch senders */
  size_t wcap;
};

anon_pmix *anon_pmix_new(double mean_delay, enum anon_pmix_set set) {
  if (!isfinite(mean_delay) || !(mean_delay > 0)) return NULL;
  if (set != ANON_PMIX_INSIDE && set != ANON_PMIX_ENTERED) return NULL;
  anon_pmix *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->mean = mean_delay;
  p->set = set;
  p->last = -INFINITY;
  return p;
}

void anon_pmix_free(anon_pmix *p) {
  if (!p) return;
  free(p->m);
  free(p->w);
  free(p->snd);
  free(p);
}

size_t anon_pmix_held(const anon_pmix *p) { return p->len - p->head; }

/* Drop gone messages from the front (all of them in INSIDE mode; in ENTERED
 * mode those past the horizon), and compact when the front is half empty. */
static void prune(anon_pmix *p, double t) {
  while (p->head < p->len) {
    const struct held *h = &p->m[p->head];
    int old = t - h->t_in > ANON_PMIX_HORIZON * p->mean;
    if (p->set == ANON_PMIX_INSIDE ? !h->gone : !(h->gone && old)) break;
    p->head++;
  }
  if (p->head > 64 && p->head * 2 > p->len) {
    memmove(p->m, p->m + p->head, (p->len - p->head) * sizeof *p->m);
    p->len -= p->head;
    p->head = 0;
  }
}

int anon_pmix_enter(anon_pmix *p, uint64_t id, uint64_t sender, double t) {
  if (!p || !isfinite(t) || t < p->last) return CM_EINVAL;
  p->last = t;
  prune(p, t);
  if (p->len == p->cap) {
    size_t cap = p->cap ? 2 * p->cap : 256;
    struct held *m = realloc(p->m, cap * sizeof *m);
    if (!m) return CM_ENOMEM;
    p->m = m;
    p->cap = cap;
  }
  p->m[p->len++] = (struct held){id, sender, t, 0};
  return 0;
}

int anon_pmix_exit(anon_pmix *p, uint64_t id, double t, struct anon_result *out) {
  if (!p || !out || !isfinite(t) || t < p->last) return CM_EINVAL;
  p->last = t;
  size_t k = p->len;
  for (size_t i = p->head; i < p->len; i++)
    if (p->m[i].id == id && !p->m[i].gone) k = i;
  if (k == p->len) return CM_ENOENT;
  size_t n = p->len - p->head;
  if (n > p->wcap) {
    double *w = realloc(p->w, n * sizeof *w);
    if (!w) return CM_ENOMEM;
    p->w = w;
    uint64_t *s = realloc(p->snd, n * sizeof *s);
    if (!s) return CM_ENOMEM;
    p->snd = s;
    p->wcap = n;
  }
  /* Weights exp(-(t - s)/mean), scaled by exp((t - t_k)/mean) so the true
   * message has weight 1 and nothing underflows near it. */
  size_t c = 0;
  for (size_t i = p->head; i < p->len; i++) {
    const struct held *h = &p->m[i];
    if (p->set == ANON_PMIX_INSIDE && h->gone) continue;
    p->w[c] = exp((h->t_in - p->m[k].t_in) / p->mean);
    p->snd[c++] = h->sender;
  }
  int rc = anon_entropy(p->w, p->snd, c, p->m[k].sender, out);
  if (rc != 0) return rc;
  p->m[k].gone = 1;
  prune(p, t);
  return 0;
}

struct ev {
  double t;
  int exit;
  size_t i;
};

static int ev_cmp(const void *a, const void *b) {
  const struct ev *x = a, *y = b;
  if (x->t != y->t) return (x->t > y->t) - (x->t < y->t);
  if (x->exit != y->exit) return y->exit - x->exit; /* exits first */
  return (x->i > y->i) - (x->i < y->i);
}

int anon_pmix_observe(const struct anon_obs *obs, size_t n, double mean_delay,
                      enum anon_pmix_set set, anon_agg *agg) {
  if ((!obs && n) || !agg || !isfinite(mean_delay) || !(mean_delay > 0)) return CM_EINVAL;
  for (size_t i = 0; i < n; i++)
    if (!isfinite(obs[i].t_in) || !isfinite(obs[i].t_out) || !(obs[i].t_out > obs[i].t_in)) return CM_EINVAL;
  int rc = CM_ENOMEM;
  anon_pmix *p = anon_pmix_new(mean_delay, set);
  struct ev *ev = malloc((2 * n + 1) * sizeof *ev);
  if (!p || !ev) goto done;
  for (size_t i = 0; i < n; i++) {
    ev[2 * i] = (struct ev){obs[i].t_in, 0, i};
    ev[2 * i + 1] = (struct ev){obs[i].t_out, 1, i};
  }
  qsort(ev, 2 * n, sizeof *ev, ev_cmp);
  rc = 0;
  for (size_t j = 0; j < 2 * n && rc == 0; j++) {
    const struct anon_obs *o = &obs[ev[j].i];
    if (!ev[j].exit) {
      rc = anon_pmix_enter(p, o->id, o->sender, ev[j].t);
    } else {
      struct anon_result r;
      rc = anon_pmix_exit(p, o->id, ev[j].t, &r);
      if (rc == 0) rc = anon_agg_add(agg, &r);
    }
  }
done:
  anon_pmix_free(p);
  free(ev);
  return rc;
}

/* ---- the steady-state references ---- */

struct ref {
  double rho;
  enum anon_pmix_set set;
  gsl_integration_workspace *inner;
};

static double phi(double x) { return x < 1e-8 ? 1 - x / 2 : -expm1(-x) / x; }

/* Ein(x) = int_0^x (1 - e^-v) / v dv = gamma + ln x + E1(x); its series
 * below 10^-3, where that sum cancels. */
static double ein(double x) {
  if (x < 1e-3) return x * (1 - x / 4 * (1 - x * 2 / 9 * (1 - x * 3 / 16)));
  return M_EULER + log(x) + gsl_sf_expint_E1(x);
}

/* E[exp(-x S')] for S' the sum of the other candidates' weights. */
static double laplace(const struct ref *r, double x) {
  return r->set == ANON_PMIX_INSIDE ? exp(-r->rho * (1 - phi(x))) : exp(-r->rho * ein(x));
}

static double psi_f(double u, void *arg) {
  double x = *(double *)arg;
  return u > 0 ? u * log(u) * exp(-x * u) : 0;
}

/* psi(x) = int_0^1 u ln u e^-xu du. */
static double psi(struct ref *r, double x) {
  gsl_function f = {psi_f, &x};
  double v, err;
  gsl_integration_qags(&f, 0, 1, 0, 1e-11, 1000, r->inner, &v, &err);
  return v;
}

static double log_term(double y, void *arg) {
  struct ref *r = arg;
  if (y < 1e-6) /* the limit at 0 */
    return r->set == ANON_PMIX_INSIDE ? (r->rho - 1) / 2 : r->rho - 0.5;
  return (exp(-y) - phi(y) * laplace(r, y)) / y;
}

static double ratio_term(double x, void *arg) {
  struct ref *r = arg;
  double l = laplace(r, x);
  if (r->set == ANON_PMIX_INSIDE) return psi(r, x) * l * (1 + r->rho * phi(x));
  /* int_0^1 (rho / u) u ln u e^-xu du = -rho Ein(x) / x */
  double chi = x < 1e-8 ? -1 : -ein(x) / x;
  return l * (psi(r, x) + r->rho * phi(x) * chi);
}

int anon_pmix_ref(double rho, enum anon_pmix_set set, double *h_bits) {
  if (!h_bits || !isfinite(rho) || rho < 0) return CM_EINVAL;
  if (set != ANON_PMIX_INSIDE && set != ANON_PMIX_ENTERED) return CM_EINVAL;
  int rc = CM_ENOMEM;
  gsl_error_handler_t *old = gsl_set_error_handler_off();
  struct ref r = {rho, set, gsl_integration_workspace_alloc(1000)};
  gsl_integration_workspace *outer = gsl_integration_workspace_alloc(1000);
  if (!r.inner || !outer) goto done;
  gsl_function f1 = {log_term, &r}, f2 = {ratio_term, &r};
  double a, b, ea, eb;
  int s1 = gsl_integration_qagiu(&f1, 0, 1e-12, 1e-10, 1000, outer, &a, &ea);
  int s2 = gsl_integration_qagiu(&f2, 0, 1e-12, 1e-10, 1000, outer, &b, &eb);
  rc = (s1 || s2) ? CM_ERANGE : 0;
  *h_bits = (a - b) / M_LN2;
done:
  gsl_integration_workspace_free(r.inner);
  gsl_integration_workspace_free(outer);
  gsl_set_error_handler(old);
  return rc;
}
