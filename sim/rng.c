/* Named GSL streams seeded by BLAKE2b (libsodium), and the distributions the
 * models use, all from GSL. */
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <sodium.h>

struct rng {
  gsl_rng *g;
  char *name;
};

struct rng_empirical {
  gsl_ran_discrete_t *table;
  double *samples;
  size_t n;
};

uint64_t rng_derive_seed(uint64_t master, const char *name) {
  static const char domain[] = "cloudmix-rng-v1";
  unsigned char m[8], out[32];
  for (int i = 0; i < 8; i++) m[i] = (unsigned char)(master >> (8 * i));
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, sizeof(out));
  crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain) - 1);
  crypto_generichash_update(&st, m, sizeof(m));
  crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
  crypto_generichash_final(&st, out, sizeof(out));
  uint64_t s = 0;
  for (int i = 0; i < 8; i++) s |= (uint64_t)out[i] << (8 * i);
  return s;
}

rng *rng_new(uint64_t master, const char *name) {
  rng *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->name = strdup(name);
  r->g = gsl_rng_alloc(gsl_rng_mt19937);
  if (!r->name || !r->g) {
    rng_free(r);
    return NULL;
  }
  /* mt19937 takes 32 bits of seed; fold the 64 derived bits into them. A
   * zero seed means "default" to GSL, so map it away. */
  uint64_t s = rng_derive_seed(master, name);
  unsigned long s32 = (unsigned long)((s ^ (s >> 32)) & 0xffffffffu);
  gsl_rng_set(r->g, s32 ? s32 : 0x9e3779b9UL);
  return r;
}

void rng_free(rng *r) {
  if (!r) return;
  if (r->g) gsl_rng_free(r->g);
  free(r->name);
  free(r);
}

const char *rng_name(const rng *r) { return r->name; }
gsl_rng *rng_gsl(rng *r) { return r->g; }

double rng_uniform(rng *r) { return gsl_rng_uniform(r->g); }
double rng_uniform_range(rng *r, double lo, double hi) { return gsl_ran_flat(r->g, lo, hi); }
double rng_exponential(rng *r, double mean) { return gsl_ran_exponential(r->g, mean); }
double rng_normal(rng *r, double mean, double sd) { return mean + gsl_ran_gaussian_ziggurat(r->g, sd); }
double rng_lognormal(rng *r, double mu, double sigma) { return gsl_ran_lognormal(r->g, mu, sigma); }
double rng_pareto(rng *r, double shape, double scale) { return gsl_ran_pareto(r->g, shape, scale); }

uint64_t rng_below(rng *r, uint64_t n) {
  if (n <= 1) return 0;
  if (n <= 0xffffffffu) return gsl_rng_uniform_int(r->g, (unsigned long)n);
  /* Wider than the generator: combine two 32-bit draws, reject the tail. */
  uint64_t lim = UINT64_MAX - UINT64_MAX % n;
  for (;;) {
    uint64_t x = ((uint64_t)gsl_rng_get(r->g) << 32) | (uint64_t)gsl_rng_get(r->g);
    if (x < lim) return x % n;
  }
}

rng_empirical *rng_empirical_new(const double *samples, size_t n) {
  if (!samples || n == 0) return NULL;
  rng_empirical *e = calloc(1, sizeof(*e));
  double *w = malloc(n * sizeof(double));
  if (!e || !w) goto fail;
  e->samples = malloc(n * sizeof(double));
  if (!e->samples) goto fail;
  memcpy(e->samples, samples, n * sizeof(double));
  for (size_t i = 0; i < n; i++) w[i] = 1.0;
  e->table = gsl_ran_discrete_preproc(n, w);
  if (!e->table) goto fail;
  e->n = n;
  free(w);
  return e;
fail:
  free(w);
  rng_empirical_free(e);
  return NULL;
}

void rng_empirical_free(rng_empirical *e) {
  if (!e) return;
  if (e->table) gsl_ran_discrete_free(e->table);
  free(e->samples);
  free(e);
}

double rng_empirical_draw(rng *r, const rng_empirical *e) { return e->samples[gsl_ran_discrete(r->g, e->table)]; }
