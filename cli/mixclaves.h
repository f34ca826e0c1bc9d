/* The mixclaves runner's pieces: the schema (mixclaves_keys.c), the
 * scenario turned into experiment configuration (mixclaves_config.c), the
 * Fig. 1 buffer experiment and the dispatch (run_mixclaves.c), the network
 * load sweep (mixclaves_net.c), the tables, price model and printed
 * summaries (mixclaves_out.c), and the opt-in anonymity observer with the
 * trust figures (mixclaves_anon.c). Internal to cli/. */
#ifndef CM_CLI_MIXCLAVES_H
#define CM_CLI_MIXCLAVES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <glib.h>

#include "cli.h"
#include "env.h"
#include "mixclaves/buffer.h"
#include "mixclaves/client.h"
#include "mixclaves/node.h"

int run_mixclaves(struct run_ctx *c);
int mixclaves_check(const scenario *s, char **err);
extern const struct scn_key mixclaves_keys[];
extern const size_t mixclaves_nkeys;

#define MXC_LABEL_MAX 64
#define MXC_MAX_CONFIGS 64
#define MXC_MAX_RATES 256
#define MXC_MAX_NODES 4096
#define MXC_MAX_DOMAINS 64

/* One network configuration: a [config.NAME] group, or [network] alone. */
struct mxc_net_config {
  char label[MXC_LABEL_MAX];
  bool loopix;      /* topology: stratified layers (Loopix) or one trust domain (Mixclaves) */
  uint32_t nodes, layers, hops;
  bool enclave;     /* CPU profile host_enclave instead of host */
  bool oblivious;   /* node buffer: oblivious, else [network] buffer */
  /* federated trust (analysis/trust.h): trust domains, each honest with
   * probability trust[d], and the path rule (enum trust_path) */
  uint32_t domains;
  double trust[MXC_MAX_DOMAINS];
  int path;
  char trust_text[64];
};

/* The price model (Table 1): dollars per node-month, rounded to cents as
 * the seed does, then times the node count. */
struct mxc_price {
  double usd_per_hour, discount, hours_per_month, enclave_usd_per_hour, enclave_fraction;
  bool surcharge; /* premium_model = surcharge (else fraction) */
};

struct mxc_config {
  bool network;     /* experiment = network (else buffer) */
  char crypto[16];
  /* buffer experiment */
  bool variant_on[BUFFER_NVARIANTS];
  uint64_t packets, pairs_max;
  double buffer_rate, buffer_delay_s;
  /* network */
  struct mxc_net_config configs[MXC_MAX_CONFIGS];
  uint32_t nconfigs;
  double rates[MXC_MAX_RATES];
  uint32_t nrates;
  cm_time step, warmup, late_after, mean_delay, link_latency, link_jitter;
  cm_time max_delay, drain; /* node max_delay; the drain's bound past step + late_after */
  double link_loss;
  char host[32], host_enclave[32];
  double oblivious_extra_s;
  bool service_exponential;
  enum buffer_variant buffer_off;
  uint32_t buffer_capacity, queue_max, clients;
  double node_loop_rate, drop_rate;
  bool anonymity;   /* [network] anonymity: the ground-truth observer (mixclaves_anon.c) */
  struct mxc_price price;
};

/* Parse s (NULL and *err, one line naming file, group and key, on a
 * problem the schema cannot see). Free with g_free. */
struct mxc_config *mxc_config_new(const scenario *s, char **err);

/* One load step's outcome. */
struct mxc_step {
  uint32_t config;
  double rate;                       /* nominal offered rate (msg/s) */
  double offered_per_s, delivered_per_s;
  uint64_t sent, received, lost, late; /* tracked packets (self-addressed loops) */
  uint64_t queue_full, other_drops;  /* node drops: CPU queue full; every other reason */
  uint64_t link_lost;
  double p50_s, p99_s;               /* RTT of the packets back (NAN: none) */
  uint64_t held_end;                 /* still in a node (queued or held) when the drain ended */
  uint64_t unaccounted;              /* packets missing from the accounting identities */
  uint64_t win_sent, win_received; /* in the measurement window */
  uint64_t events;
  cm_time sim_time;
  /* [network] anonymity = on (else anon_n = 0): messages delivered to a
   * client from warmup on, through the chained attacker (analysis/anon_net.h) */
  uint64_t anon_n, anon_unlinked;  /* messages; datagrams the observer could not follow */
  double h_mean, h_p5, h_min, d_mean, d_p5, d_min, p_true_mean;
  uint64_t eps_n, eps_inf;         /* challenge senders' messages (clients 0 and 1) */
  double eps_mean, eps_d05, delta_eps1;
  double lambda_node;              /* per node, over [warmup, step]: arrivals/s (the attacker's candidates) */
  double lambda_held, occupancy;   /* of them, those sent on: arrivals/s; mean number inside */
  double h_ref;                    /* one node, one hop, rho = lambda_node x mean delay >= 1:
                                      anon_pmix_ref(rho) (per message; = per sender when senders
                                      rarely repeat inside the mix); else NAN */
  double buffer_r;                 /* Fig. 1's Pearson R, store vs read address, in the nodes' own
                                      buffers over the whole step, mean over the nodes (NAN: none) */
};

/* The ground-truth anonymity observer (mixclaves_anon.c): installed on a
 * sim world's env by mxc__anon_start (NULL: not installed, *err says why),
 * told the window by mxc__anon_mark (after warmup, after step) and read
 * and freed by mxc__anon_finish (after the drain). */
struct mxc_anon;
struct mxc_anon *mxc__anon_start(env *e, const struct mxc_config *cfg, const struct mxc_net_config *n,
                                 cm_addr node0, cm_addr client0, node **nodes, char **err);
void mxc__anon_mark(struct mxc_anon *o, cm_time t);
void mxc__anon_finish(struct mxc_anon *o, struct mxc_step *st);
/* The mixclaves_anon and mixclaves_trust tables and the summary lines. 0,
 * or CM_EXIT_FAILED after printing why. */
int mxc__anon_write(struct run_ctx *c, const struct mxc_config *cfg, const struct mxc_step *steps);

/* Run every (config, rate) step in its own simulated world; steps[] has
 * nconfigs x nrates entries. 0, or CM_EXIT_USAGE / CM_EXIT_FAILED after
 * printing why. */
int mxc__net_run(struct run_ctx *c, const struct mxc_config *cfg, struct mxc_step *steps);

/* No datagram in flight, nothing in a node's CPU queue or buffer, no
 * client packet outstanding (clients[j] NULL: not started): a world
 * drained. */
bool mxc__quiet(env *e, node *const *nodes, uint32_t nn, client *const *clients, uint32_t nc);

/* Per node-month price of a node, with the enclave premium when enclave
 * (rounded to cents). */
double mxc__node_month_usd(const struct mxc_price *p, bool enclave);
/* Write mixclaves_load and mixclaves_cost, metrics; print the summary. */
int mxc__net_write(struct run_ctx *c, const struct mxc_config *cfg, const struct mxc_step *steps);

/* ---- real mode: what `cloudmix node` and `cloudmix client` share
 * around their config reader (cli/mixclaves_real.c) ---- */

/* Parse the options and free ctx: NULL, or the first problem (g_malloc'd):
 * a parse error (an unknown option with its "did you mean", entries being
 * ctx's main entries), a stray argument, no --config (*config, set by the
 * parse). */
char *mxr_parse(GOptionContext *ctx, const GOptionEntry *entries, int *argc, char ***argv, char *const *config);
/* Print bad and the usage hint for `cloudmix cmd`; free bad and config.
 * CM_EXIT_USAGE. */
int mxr_usage(const char *cmd, char *bad, char *config);
/* *e a real env (its seed from the OS: real mode has no reproducible
 * draws), with group's own address and listen (mixcfg_self, defaulting to
 * d's when d is not NULL) and the peers (mixcfg_book with keys and
 * need_pk): true, else false with c->err set (and *rc = CM_EXIT_FAILED if
 * the env could not be made). */
bool mxr_start(struct mixcfg *c, const char *group, const char *const *keys, const struct node_descriptor *d,
               bool need_pk, env **e, cm_addr *addr, char **listen, struct mixbook *book, int *rc);
/* After env_run: CM_EXIT_OK, or CM_EXIT_FAILED after one line on stderr:
 * the loop's error erc, else failure if not NULL. */
int mxr_outcome(const char *cmd, int erc, const char *failure);
/* Print c's problem if any, then free e (NULL ok), book, listen and c. */
void mxr_finish(const char *cmd, struct mixcfg *c, env *e, struct mixbook *book, char *listen);
/* group's operator key (cli/operator.c): operator = FILE (`cloudmix
 * operator init`'s operator.pub) or operator_pk = 64 hex digits: true and
 * pk set; false when neither is given or on a problem (c->err set). */
bool mixcfg_operator(struct mixcfg *c, const char *group, uint8_t pk[32]);

/* ---- the testbed's link and reload (cli/mixclaves_link.c) ---- */

/* Delay levels of a jittered link. */
#define MXR_LINK_LEVELS 17
struct mxr_link {
  double delay_ms, jitter_ms, loss; /* on every datagram this process sends */
};
/* group's link_delay_ms, link_jitter_ms (at most the delay), link_loss
 * (all 0 by default): 0 or CM_EINVAL (c->err set). */
int mxr_link_read(struct mixcfg *c, const char *group, struct mxr_link *l);
/* Whether l adds anything. */
bool mxr_link_on(const struct mxr_link *l);
/* *outer = a fault decorator over inner doing l (inner itself when l adds
 * nothing); free it before inner. 0, or CM_EINVAL with *err. */
int mxr_link_wrap(const struct mxr_link *l, env *inner, env **outer, char **err);
/* One line on stdout saying what the link does and how. */
void mxr_link_print(const struct mxr_link *l, const char *who);
/* Re-read path's peers into a fresh book over inner (the real env) and
 * swap it into *book (the old arrays freed): 0, or CM_EINVAL with *err
 * (g_malloc'd, one line naming file, group and key), *book unchanged. */
int mxr_reload(const char *path, const char *group, const char *const *keys, env *inner, cm_addr self,
               bool need_pk, struct mixbook *book, char **err);
/* The node's own address at its index in b (appended when the config does
 * not list it: a node may be its own next hop, its loops come home through
 * itself; b has room for one more), with its pk when pk is not NULL. */
size_t mxr_book_self(struct mixbook *b, cm_addr self, const uint8_t *pk);

/* SIGHUP handlers (mixcfg_signals_on_hup), all borrowed: re-read config's
 * peers into book (mxr_reload) and give the node its next hops
 * (node_set_peers, itself included with pk) or the client its nodes
 * (client_set_nodes; refused if a node's key epoch is not epoch). On a
 * refusal the old ones stay; either way one line on stdout says what
 * happened. */
struct node;
struct client;
struct mxr_node_reload {
  const char *config;
  const char *const *keys; /* the [node] group's keys */
  env *inner;              /* the real env */
  cm_addr self;
  bool need_pk;
  struct mixbook *book;
  struct node *n;
  uint8_t pk[32];
};
void mxr_node_on_hup(void *arg);
struct mxr_client_reload {
  const char *config;
  const char *const *keys;
  env *inner;
  cm_addr self;
  uint32_t epoch;
  struct mixbook *book;
  struct client *cl;
};
void mxr_client_on_hup(void *arg);

/* `cloudmix client --series FILE`: every second (an env timer, t), one
 * line appended to f: unix time, the book's node count, then that second's
 * sent, received and lost, and the RTT p50 and p99 in ms of what came
 * back in it (hist_percentile_since against before; nan when nothing). */
struct hist;
struct mxr_series {
  FILE *f;
  struct client *cl;
  const struct mixbook *book;
  struct client_counters prev;
  struct hist *before;
  timer_id t;
};
void mxr_series_tick(env *e, void *arg);

#endif
