/* The mixclaves runner's pieces: the schema (mixclaves_keys.c), the
 * scenario turned into experiment configuration (mixclaves_config.c), the
 * Fig. 1 buffer experiment and the dispatch (run_mixclaves.c), the network
 * load sweep (mixclaves_net.c) and the tables, price model and printed
 * summaries (mixclaves_out.c). Internal to cli/. */
#ifndef CM_CLI_MIXCLAVES_H
#define CM_CLI_MIXCLAVES_H

#include <stdbool.h>
#include <stdint.h>

#include <glib.h>

#include "cli.h"
#include "mixclaves/buffer.h"

int run_mixclaves(struct run_ctx *c);
int mixclaves_check(const scenario *s, char **err);
extern const struct scn_key mixclaves_keys[];
extern const size_t mixclaves_nkeys;

#define MXC_LABEL_MAX 64
#define MXC_MAX_CONFIGS 64
#define MXC_MAX_RATES 256
#define MXC_MAX_NODES 4096

/* One network configuration: a [config.NAME] group, or [network] alone. */
struct mxc_net_config {
  char label[MXC_LABEL_MAX];
  bool loopix;      /* topology: stratified layers (Loopix) or one trust domain (Mixclaves) */
  uint32_t nodes, layers, hops;
  bool enclave;     /* CPU profile host_enclave instead of host */
  bool oblivious;   /* node buffer: oblivious, else [network] buffer */
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
};

/* Run every (config, rate) step in its own simulated world; steps[] has
 * nconfigs x nrates entries. 0, or CM_EXIT_USAGE / CM_EXIT_FAILED after
 * printing why. */
int mxc__net_run(struct run_ctx *c, const struct mxc_config *cfg, struct mxc_step *steps);

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

#endif
