/* Named GSL streams seeded by BLAKE2b (libsodium), and the distributions the
 * models use, all from GSL. */
#include "rng.h"

#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_randist.h>
#include <sodium.h>

#include "cm.h"

struct rng {
  gsl_rng *g;
  char *name;
  bool secret;
  bool inline_g; /* g and its state live in this allocation (struct rng_taus) */
};

struct rng_empirical {
  gsl_ran_discrete_t *table;
  double *samples;
  size_t n;
};

void rng_derive(uint64_t master, const char *name, uint8_t out[32]) {
  static const char domain[] = "cloudmix-rng-v1";
  unsigned char m[8];
  for (int i = 0; i < 8; i++) m[i] = (unsigned char)(master >> (8 * i));
  crypto_generichash_state st;
  crypto_generichash_init(&st, NULL, 0, 32);
  crypto_generichash_update(&st, (const unsigned char *)domain, sizeof(domain) - 1);
  crypto_generichash_update(&st, m, sizeof(m));
  crypto_generichash_update(&st, (const unsigned char *)name, strlen(name));
  crypto_generichash_final(&st, out, 32);
}

static uint32_t le32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t rng_derive_seed(uint64_t master, const char *name) {
  uint8_t d[32];
  rng_derive(master, name, d);
  return (uint64_t)le32(d) | (uint64_t)le32(d + 4) << 32;
}

/* GSL's taus113 state (rng/taus113.c); checked against gsl_rng_size. */
struct taus113_state {
  unsigned long z1, z2, z3, z4;
};

/* A reproducible stream in one allocation: the handle, GSL's generator and
 * its state side by side, so that a draw from a stream not used for a
 * while (one of 100,000 clients) misses the cache once, not three times.
 * The state is set below, never through GSL's seeding. */
struct rng_taus {
  struct rng r;
  gsl_rng g;
  struct taus113_state st;
};

rng *rng_new(uint64_t master, const char *name) {
  if (gsl_rng_taus113->size != sizeof(struct taus113_state))
    cm_fatal(CM_LOC, "rng: this GSL's taus113 state is not the expected four words");
  struct rng_taus *t = calloc(1, sizeof(*t));
  if (!t) return NULL;
  rng *r = &t->r;
  r->inline_g = true;
  t->g = (gsl_rng){.type = gsl_rng_taus113, .state = &t->st};
  r->g = &t->g;
  r->name = strdup(name);
  if (!r->name) {
    rng_free(r);
    return NULL;
  }
  uint8_t d[32];
  rng_derive(master, name, d);
  static const unsigned long minimum[4] = {2, 8, 16, 128};
  unsigned long z[4];
  for (int i = 0; i < 4; i++) {
    z[i] = le32(d + 4 * i);
    if (z[i] < minimum[i]) z[i] += minimum[i];
  }
  struct taus113_state *st = gsl_rng_state(r->g);
  *st = (struct taus113_state){z[0], z[1], z[2], z[3]};
  for (int i = 0; i < 10; i++) gsl_rng_get(r->g);
  return r;
}

/* ---- cm-chacha20: a GSL generator type over ChaCha20 with fast key
 * erasure (Bernstein, "Fast-key-erasure random-number generators", 2017),
 * keyed from the OS. ---- */

#define CHACHA_BLOCK 512 /* keystream bytes per refill; the first 32 rekey */

struct chacha_state {
  uint8_t key[crypto_stream_chacha20_KEYBYTES];
  uint8_t buf[CHACHA_BLOCK];
  size_t pos; /* next unused byte of buf; CHACHA_BLOCK: refill */
};

static void chacha_refill(struct chacha_state *st) {
  static const uint8_t nonce[crypto_stream_chacha20_NONCEBYTES];
  crypto_stream_chacha20(st->buf, sizeof st->buf, nonce, st->key);
  memcpy(st->key, st->buf, sizeof st->key);
  sodium_memzero(st->buf, sizeof st->key);
  st->pos = sizeof st->key;
}

static void chacha_take(struct chacha_state *st, uint8_t *out, size_t len) {
  while (len) {
    if (st->pos == CHACHA_BLOCK) chacha_refill(st);
    size_t n = CHACHA_BLOCK - st->pos < len ? CHACHA_BLOCK - st->pos : len;
    memcpy(out, st->buf + st->pos, n);
    sodium_memzero(st->buf + st->pos, n); /* served bytes do not stay behind */
    st->pos += n;
    out += n;
    len -= n;
  }
}

/* GSL seeds every new generator through set(); the seed is ignored: the
 * key always comes from the OS. */
static void chacha_set(void *vstate, unsigned long seed) {
  (void)seed;
  struct chacha_state *st = vstate;
  randombytes_buf(st->key, sizeof st->key);
  st->pos = CHACHA_BLOCK;
}

static unsigned long chacha_get(void *vstate) {
  uint8_t b[4];
  chacha_take(vstate, b, 4);
  return le32(b);
}

static double chacha_get_double(void *vstate) { return (double)chacha_get(vstate) / 4294967296.0; }

static const gsl_rng_type chacha_type = {"cm-chacha20", 0xffffffffUL, 0, sizeof(struct chacha_state), chacha_set,
                                         chacha_get, chacha_get_double};

rng *rng_new_secret(const char *name) {
  if (sodium_init() < 0) return NULL;
  rng *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->name = strdup(name);
  r->g = gsl_rng_alloc(&chacha_type);
  r->secret = true;
  if (!r->name || !r->g) {
    rng_free(r);
    return NULL;
  }
  return r;
}

bool rng_is_secret(const rng *r) { return r->secret; }

void rng_bytes(rng *r, uint8_t *buf, size_t len) {
  if (r->secret) {
    chacha_take(gsl_rng_state(r->g), buf, len);
    return;
  }
  size_t i = 0;
  while (i < len) {
    uint32_t v = (uint32_t)gsl_rng_get(r->g); /* taus113: 32 random bits */
    for (int k = 0; k < 4 && i < len; k++, i++) buf[i] = (uint8_t)(v >> (8 * k));
  }
}

void rng_free(rng *r) {
  if (!r) return;
  if (r->g) {
    if (r->secret) sodium_memzero(gsl_rng_state(r->g), gsl_rng_size(r->g));
    if (!r->inline_g) gsl_rng_free(r->g);
  }
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
