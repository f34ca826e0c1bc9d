/* The probability of an honest node on a path, per trust domain
 * (trust.h). */
#include "trust.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cm.h"

double trust_binomial(uint32_t hops, double p) {
  if (!(p >= 0 && p <= 1)) return NAN;
  return 1 - pow(1 - p, (double)hops);
}

int trust_path_honest(const double *p, size_t nd, uint32_t hops, enum trust_path path, double *out) {
  if (!p || nd == 0 || hops == 0 || !out) return CM_EINVAL;
  for (size_t d = 0; d < nd; d++)
    if (!(p[d] >= 0 && p[d] <= 1)) return CM_EINVAL;
  double sum = 0;
  if (path == TRUST_WITHIN) {
    for (size_t d = 0; d < nd; d++) sum += p[d];
    *out = sum / (double)nd;
    return 0;
  }
  if (path != TRUST_ACROSS) return CM_EINVAL;
  size_t k = hops < nd ? hops : nd;
  for (size_t d0 = 0; d0 < nd; d0++) {
    double none = 1;
    for (size_t j = 0; j < k; j++) none *= 1 - p[(d0 + j) % nd];
    sum += none;
  }
  *out = 1 - sum / (double)nd;
  return 0;
}

int trust_path_parse(const char *s, enum trust_path *out) {
  if (!s || !out) return CM_EINVAL;
  if (strcmp(s, "within") == 0) *out = TRUST_WITHIN;
  else if (strcmp(s, "across") == 0) *out = TRUST_ACROSS;
  else return CM_EINVAL;
  return 0;
}

const char *trust_path_name(enum trust_path path) { return path == TRUST_WITHIN ? "within" : "across"; }

int trust_parse_list(const char *s, uint32_t nd, double *p, size_t max) {
  if (!s || !p || nd == 0 || nd > max) return CM_EINVAL;
  size_t n = 0;
  const char *q = s;
  for (;;) {
    char *end;
    double v = strtod(q, &end);
    if (end == q || !(v >= 0 && v <= 1) || n == nd) return CM_EINVAL;
    p[n++] = v;
    while (*end == ' ') end++;
    if (*end == '\0') break;
    if (*end != ',') return CM_EINVAL;
    q = end + 1;
  }
  if (n == 1)
    for (size_t d = 1; d < nd; d++) p[d] = p[0];
  else if (n != nd)
    return CM_EINVAL;
  return 0;
}
