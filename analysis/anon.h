/* Anonymity metrics over simulated mix traffic, where the simulator knows
 * the truth: the Shannon entropy (bits) of the attacker's distribution over
 * the senders of a delivered message, and the normalised degree of anonymity
 * d = H / log2(N) (Diaz, Seys, Claessens, Preneel, PET 2002; Serjantov and
 * Danezis, PET 2002), with aggregates over many messages; and, for one
 * exponential-delay (Poisson) mix as in Loopix (Piotrowska et al., USENIX
 * Security 2017), the attacker who sees every entry and exit time and weighs
 * the candidates for an exit at t by the exponential density of their delay
 * t - s. Times are in any one unit (the caller's), as doubles. */
#ifndef CM_ANON_H
#define CM_ANON_H

#include <stddef.h>
#include <stdint.h>

/* The metric for one message. */
struct anon_result {
  double h;      /* Shannon entropy of the distribution over senders, bits */
  double d;      /* h / log2(n); 0 when n <= 1 */
  size_t n;      /* senders with non-zero probability (the anonymity set) */
  double p_true; /* probability given to the true sender */
};

/* The entropy of the distribution proportional to w[0..n) (w >= 0, finite,
 * not all 0). sender[i] names candidate i's sender, and candidates with the
 * same sender pool their weight; sender NULL: each candidate its own sender.
 * true_sender is the real one, used for p_true (ignored when sender is NULL:
 * then candidate 0 is taken as the true one). Arrays are borrowed. Returns 0,
 * CM_EINVAL or CM_ENOMEM. */
int anon_entropy(const double *w, const uint64_t *sender, size_t n, uint64_t true_sender,
                 struct anon_result *out);

/* Aggregates over messages: every value is kept (16 bytes per message), for
 * exact percentiles via analysis/stats.h. */
typedef struct anon_agg anon_agg;

struct anon_summary {
  uint64_t n;                /* messages */
  double h_mean, h_sd, h_ci95; /* bits; stats_summary */
  double h_min, h_p5, h_p50, h_p95;
  double d_mean, d_min, d_p5, d_p50;
  double p_true_mean;        /* mean probability given to the true sender */
};

anon_agg *anon_agg_new(void); /* NULL if out of memory */
void anon_agg_free(anon_agg *a);
/* Add one message's result. Returns 0, CM_EINVAL (non-finite h or d) or
 * CM_ENOMEM. */
int anon_agg_add(anon_agg *a, const struct anon_result *r);
/* Returns 0, CM_EINVAL (no messages) or CM_ENOMEM. */
int anon_agg_summary(const anon_agg *a, struct anon_summary *out);

/* One Poisson mix (mean delay `mean_delay`), watched from outside.
 *
 * Candidates for an exit at t are the messages that entered at s <= t, each
 * weighted by the exponential density of t - s (the constant factor drops
 * out). Which messages count as "possibly inside" is the set:
 *   ANON_PMIX_INSIDE: the messages truly inside just before t (ground truth
 *     from the simulation: an attacker that also knows which earlier exits
 *     were which). By memorylessness the Bayes posterior over that set is
 *     uniform, so this measures the exponential-weight estimator itself.
 *   ANON_PMIX_ENTERED: every message that entered, whether or not it has
 *     left (the attacker links no exits; this is then the exact posterior
 *     given all entries and this one exit time). Messages older than
 *     ANON_PMIX_HORIZON mean delays are dropped (weight below e^-40). */
enum anon_pmix_set { ANON_PMIX_INSIDE, ANON_PMIX_ENTERED };
#define ANON_PMIX_HORIZON 40.0

typedef struct anon_pmix anon_pmix;

/* NULL if out of memory or mean_delay is not finite and > 0. */
anon_pmix *anon_pmix_new(double mean_delay, enum anon_pmix_set set);
void anon_pmix_free(anon_pmix *p);
/* Message id (unique among those inside) from sender enters at t; t never
 * decreases from call to call (entries and exits together). Returns 0,
 * CM_EINVAL (t earlier than the last call, not finite) or CM_ENOMEM. */
int anon_pmix_enter(anon_pmix *p, uint64_t id, uint64_t sender, double t);
/* Message id leaves at t: out gets the entropy of the attacker's
 * distribution over senders. Returns 0, CM_ENOENT (no such message inside),
 * CM_EINVAL or CM_ENOMEM. */
int anon_pmix_exit(anon_pmix *p, uint64_t id, double t, struct anon_result *out);
/* Messages held now (candidates, including ones that left in ENTERED mode). */
size_t anon_pmix_held(const anon_pmix *p);

/* One observation of a message through the mix. */
struct anon_obs {
  uint64_t id, sender;
  double t_in, t_out; /* t_out > t_in */
};

/* Feed obs[0..n) (any order; borrowed) to a fresh anon_pmix in time order
 * (at equal times, exits first) and add every exit's result to agg. Returns
 * 0 or a CM_E* code. */
int anon_pmix_observe(const struct anon_obs *obs, size_t n, double mean_delay,
                      enum anon_pmix_set set, anon_agg *agg);

/* The expected entropy (bits) per exit of the attacker above in steady
 * state, for Poisson arrivals with rho = arrival rate x mean delay. With
 * u = exp(-age / mean delay) for each candidate, the weights are the u's,
 * S = sum u, T = sum u ln u and H = ln S - T / S nats. At an exit (the Palm
 * view) the leaving message has u uniform on (0, 1), and independently:
 *   INSIDE: Poisson(rho) others are inside, each u uniform on (0, 1);
 *   ENTERED: the earlier entries' u's form a Poisson process of intensity
 *     rho / u on (0, 1).
 * With ln s = int_0^inf (e^-y - e^-sy) / y dy and 1/s = int_0^inf e^-xs dx
 * (Campbell-Mecke for the sums over points):
 *   INSIDE:  E[H] = int (e^-y - phi(y) L(y)) / y dy
 *                   - int psi(x) L(x) (1 + rho phi(x)) dx,
 *            L(x) = exp(-rho (1 - phi(x)));
 *   ENTERED: E[H] = int (e^-y - phi(y) L(y)) / y dy
 *                   - int L(x) (psi(x) - rho phi(x) Ein(x) / x) dx,
 *            L(x) = exp(-rho Ein(x)), Ein(x) = gamma + ln x + E1(x);
 * integrals over (0, inf), phi(x) = (1 - e^-x) / x, psi(x) = int_0^1
 * u ln u e^-xu du; evaluated with GSL QAGIU/QAGS to relative 1e-10. This
 * derivation is ours, not a formula quoted from Loopix. Returns 0,
 * CM_EINVAL (rho < 0, bad set), CM_ENOMEM or CM_ERANGE (no convergence). */
int anon_pmix_ref(double rho, enum anon_pmix_set set, double *h_bits);

#endif
