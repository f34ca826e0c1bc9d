/* The sender-receiver unlinkability metric of the Loopix evaluation
 * (Piotrowska et al., "The Loopix Anonymity System", USENIX Security 2017,
 * arXiv:1703.00536v1, section 4.3 "End-to-End Anonymity Evaluation",
 * Equation (3)): for a message leaving the network, with p0 = Pr[S0] and
 * p1 = Pr[S1] the attacker's probabilities that it was sent by the two
 * challenge senders S0 and S1,
 *   eps = |log(p0 / p1)|,
 * and Loopix reports its expectation over the challenge senders' messages
 * (natural log here; the paper writes "log" without a base).
 *
 * The delta is ours, not Loopix's (its section 4.3 defines eps only, as an
 * average): the (eps, delta) figure here is the eps met by a fraction
 * 1 - delta of the challenge messages, i.e. delta = Pr[eps_msg > eps] over
 * the messages measured, and eps(delta) its (1 - delta)-quantile. A
 * message one of whose probabilities is 0 has eps = +inf (the attacker
 * rules one sender out). Arrays are borrowed.
 *
 * Where our setting differs from Loopix's section 4.3 (so its Fig. 5-7
 * values are not ours to reproduce): Loopix's challenge senders send
 * payload at a constant rate and its adversary is told which of their
 * messages are payload, with loops left out; per mix it uses the counting
 * posterior of its Theorem 1. Here (analysis/anon_net.h) the challenge
 * senders are two of the clients with their Poisson loop traffic, every
 * packet (cover included) is a candidate, and the per-mix weights are
 * exponential in the time since entry. */
#ifndef CM_ANON_EPS_H
#define CM_ANON_EPS_H

#include <stddef.h>
#include <stdint.h>

/* eps of one message: |ln(p0 / p1)|; +inf when exactly one is 0; NAN when
 * both are 0 or either is negative or not finite (no evidence). */
double anon_eps(double p0, double p1);

/* delta for eps over eps_msg[0..n): the fraction of the messages whose eps
 * exceeds eps (+inf counts as exceeding every finite eps). NAN if n is 0. */
double anon_eps_delta(const double *eps_msg, size_t n, double eps);

struct anon_eps_summary {
  uint64_t n;       /* challenge messages measured (eps not NaN) */
  uint64_t n_inf;   /* of which eps = +inf */
  double mean;      /* Loopix's expected eps over the finite ones (NAN: none) */
  double p50;       /* median eps (may be +inf) */
  double eps_d05;   /* eps(delta = 0.05): the 0.95-quantile (may be +inf) */
  double delta_1;   /* delta at eps = 1 */
};

/* Summarise eps_msg[0..n) (NaNs skipped). 0, CM_EINVAL (NULL, or nothing
 * left after the NaNs), CM_ENOMEM. */
int anon_eps_summarise(const double *eps_msg, size_t n, struct anon_eps_summary *out);

#endif
