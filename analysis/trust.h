/* Federated trust (seed section 2.4): the probability that a message's
 * path holds at least one honest node, the condition under which the
 * seed (after Groove and Loopix) grants differential privacy. For L hops
 * each honest with probability p independently, the seed gives
 *   1 - BinomialCDF(0, L, p) = 1 - (1 - p)^L.
 * Generalised to trust domains (seed 2.3.2): the nodes of a domain share
 * one operator, so a domain is honest or not as a whole ("a compromised
 * node in a trust domain may taint all the nodes in that domain"), domain
 * d with probability p_d, domains independently. Two path choices:
 *   TRUST_WITHIN: every hop in one domain, the domain uniform over the D
 *     domains: P = (1/D) sum_d p_d (L does not matter: the hops share
 *     their domain's fate);
 *   TRUST_ACROSS: hop j in domain (d0 + j) mod D, d0 uniform: a path
 *     visits min(L, D) distinct domains, P = 1 - (1/D) sum_d0
 *     prod_{j < min(L, D)} (1 - p_{(d0 + j) mod D}).
 * With one p for every domain and D >= L, ACROSS is the seed's formula;
 * with p = 1 (an attested enclave domain, seed 2.4) both are 1 for any L.
 * The domain model and the two path rules are ours; the formula for
 * independent hops is the seed's. */
#ifndef CM_TRUST_H
#define CM_TRUST_H

#include <stddef.h>
#include <stdint.h>

enum trust_path { TRUST_WITHIN, TRUST_ACROSS };

/* 1 - (1 - p)^L: L >= 0, p in [0, 1]; NAN otherwise. */
double trust_binomial(uint32_t hops, double p);

/* P(at least one honest node on the path) for domains p[0..ndomains)
 * (each in [0, 1]), hops >= 1. 0 and *out set, or CM_EINVAL. */
int trust_path_honest(const double *p, size_t ndomains, uint32_t hops, enum trust_path path, double *out);

/* Parse "within" / "across": 0, or CM_EINVAL. Name of a path: static. */
int trust_path_parse(const char *s, enum trust_path *out);
const char *trust_path_name(enum trust_path path);

/* Parse a comma-separated list of probabilities in [0, 1] into p (at most
 * max): 1 value means every one of ndomains domains; else exactly
 * ndomains values. 0, or CM_EINVAL (bad number, count). */
int trust_parse_list(const char *s, uint32_t ndomains, double *p, size_t max);

#endif
