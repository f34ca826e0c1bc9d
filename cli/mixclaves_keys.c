/* The scenario schema of the mixclaves model: the experiment ([mixclaves]),
 * the simulated network and its load ramp ([network], optional
 * [config.NAME] groups, one network configuration each) and the price
 * model of Table 1 ([cost]). Every default names its source; "seed" is
 * Srivatsa et al., EECS-2023-184, Mixclaves chapter. */
#include <math.h>

#include "mixclaves.h"

#define INF INFINITY

const struct scn_key mixclaves_keys[] = {
    {"mixclaves", "experiment", SCN_ENUM, 0, 0, "buffer|network|elasticity|epoch-skew", "network",
     "buffer: the Fig. 1 address-correlation experiment; network: nodes and clients under a load ramp (Fig. 8, 9, "
     "Table 1); elasticity: the updater adds nodes as the load ramps up (Fig. 10, [elastic]); epoch-skew: a client "
     "moves between providers at different epochs (Fig. 5, [skew])"},
    {"mixclaves", "crypto", SCN_ENUM, 0, 0, "abstract|full", "abstract",
     "packet codec (issue 5): abstract = headers in the clear, same sizes; full = Sphinx (exit 2 while not "
     "registered)"},
    {"mixclaves", "buffer", SCN_ENUM, 0, 0, "all|append|random|oblivious", "all",
     "buffer experiment: which variant(s) to run: (a) append, (b) random, (c) oblivious (seed 2.1.2)"},
    {"mixclaves", "packets", SCN_INT, 2, 1e9, NULL, "1000000",
     "buffer experiment: packets per variant (issue 5: |R(c)| <= 0.01 over 1e6 packets)"},
    {"mixclaves", "rate_per_s", SCN_DOUBLE, 1e-3, 1e9, NULL, "100000",
     "buffer experiment: Poisson arrival rate; 1e5/s at 1 ms holds 100 packets on average "
     "(models/mixclaves/buffer_experiment.c; the seed gives no rate)"},
    {"mixclaves", "delay_ms", SCN_DOUBLE, 1e-6, 1e9, NULL, "1",
     "buffer experiment: mean of the exponential per-packet delay (seed 5: about 1 ms)"},
    {"mixclaves", "pairs", SCN_INT, 0, 1e8, NULL, "20000",
     "buffer experiment: (store, read) pairs kept per variant for the scatter plot, every k-th released packet"},
    /* the network */
    {"network", "topology", SCN_ENUM, 0, 0, "mixclaves|loopix", "mixclaves",
     "without [config.*] groups: mixclaves = one trust domain, each hop uniform over the nodes; loopix = "
     "stratified layers (seed 2, Fig. 9)"},
    {"network", "nodes", SCN_INT, 1, MXC_MAX_NODES, NULL, "1", "without [config.*]: mix nodes"},
    {"network", "layers", SCN_INT, 1, MXC_MAX_NODES, NULL, "3", "without [config.*]: loopix layers (Loopix paper: 3)"},
    {"network", "hops", SCN_INT, 1, 16, NULL, "1",
     "without [config.*]: hops per message (seed Fig. 9: 1 for Mixclaves, 3 for Loopix)"},
    {"network", "enclave", SCN_BOOL, 0, 0, NULL, "false", "without [config.*]: nodes run in enclaves: the host_enclave CPU profile, priced with the enclave premium ([cost])"},
    {"network", "oblivious", SCN_BOOL, 0, 0, NULL, "false",
     "without [config.*]: nodes use the oblivious buffer (c) instead of [network] buffer"},
    {"network", "buffer", SCN_ENUM, 0, 0, "append|random", "append",
     "node buffer when oblivious is off (append: Loopix / Twisted, seed 2.1.2)"},
    {"network", "mean_delay_ms", SCN_DOUBLE, 1e-3, 1e6, NULL, "1",
     "per-hop delay mean, exponential (seed 5: about 1 ms); > 0 (the client model reads 0 as its 1 ms default)"},
    {"network", "link_latency_ms", SCN_DOUBLE, 0, 1e6, NULL, "0.25",
     "one-way latency of every link; assumption: machines in one GCP zone (the seed gives no number)"},
    {"network", "link_jitter_ms", SCN_DOUBLE, 0, 1e6, NULL, "0", "sd of extra link delay (assumption: none)"},
    {"network", "link_loss", SCN_DOUBLE, 0, 1, NULL, "0", "datagram loss probability per link (assumption: none)"},
    {"network", "host", SCN_STRING, 0, 0, NULL, "twisted",
     "CPU service-time profile of a node without enclave (sim/mixhost.h; twisted: 1000 msg/s, seed Table 1 + Fig. 8)"},
    {"network", "host_enclave", SCN_STRING, 0, 0, NULL, "twisted-enclave",
     "CPU profile with enclave = true (sim/mixhost.h; twisted-enclave: seed Table 1, a Mixclaves node < 800 msg/s)"},
    {"network", "oblivious_extra_us", SCN_DOUBLE, 0, 1e9, NULL, "0",
     "CPU added per packet by the oblivious buffer; the seed gives no number (5.1.2), so 0 by default"},
    {"network", "service", SCN_ENUM, 0, 0, "fixed|exponential", "fixed",
     "per-packet CPU time: fixed (M/D/1) or exponential of the profile's mean (M/M/1)"},
    {"network", "buffer_capacity", SCN_INT, 1, 1 << 24, NULL, "4096", "packets a node holds at most (node.h default)"},
    {"network", "queue_max", SCN_INT, 1, 1e8, NULL, "1024",
     "CPU input queue bound, beyond which a node drops (node.h default; seed Fig. 9 notes drops at saturation)"},
    {"network", "clients", SCN_INT, 1, 1e5, NULL, "4", "benchmark clients sharing the offered rate equally"},
    {"network", "rates", SCN_STRING, 0, 0, NULL, "200,400,600,800,1000,1200",
     "offered load steps, total msg/s of self-addressed loops (seed 5.1: load to saturation), comma-separated"},
    {"network", "step_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "3",
     "simulated seconds of traffic per step; each step is a fresh world, drained afterwards"},
    {"network", "warmup_s", SCN_DOUBLE, 0, 1e6, NULL, "1",
     "offered and delivered rates are measured over [warmup_s, step_s): sends, and loops back in time, per second"},
    {"network", "late_after_s", SCN_DOUBLE, 1e-6, 1e6, NULL, "1",
     "a packet not back within this is dropped (seed 5.1 benchmark client; no number given: client.h default 1 s)"},
    {"network", "max_delay_ms", SCN_DOUBLE, 1e-3, 1e12, NULL, "10000",
     "a node drops a packet whose hop delay is longer (delay_too_long; node.h NODE_MAX_DELAY: 10 s)"},
    {"network", "drain_s", SCN_DOUBLE, 0, 1e9, NULL, "3600",
     "after step_s + late_after_s, the drain runs at most this long; packets a node still queues or holds "
     "then are counted held at end"},
    {"network", "node_loop_rate_per_s", SCN_DOUBLE, 0, 1e9, NULL, "0", "each node's own loop cover (Loopix); 0 = none"},
    {"network", "drop_rate_per_s", SCN_DOUBLE, 0, 1e9, NULL, "0", "each client's drop cover; 0 = none"},
    {"network", "anonymity", SCN_BOOL, 0, 0, NULL, "false",
     "observe every packet (crypto = abstract): sender-set entropy, degree and Loopix's eps per delivered message "
     "(analysis/anon_net.h); costs time, off by default"},
    {"network", "domains", SCN_INT, 1, MXC_MAX_DOMAINS, NULL, "1",
     "without [config.*]: trust domains (seed 2.3.2), each honest or not as a whole"},
    {"network", "trust", SCN_STRING, 0, 0, NULL, "1",
     "without [config.*]: probability each domain is honest, one value for all or one per domain (seed 2.4: 1 for "
     "an attested Mixclave domain)"},
    {"network", "path", SCN_ENUM, 0, 0, "within|across", "within",
     "without [config.*]: hops within one domain, or across consecutive domains (analysis/trust.h)"},
    /* network configurations run side by side */
    {"config.*", "topology", SCN_ENUM, 0, 0, "mixclaves|loopix", "mixclaves", "as [network] topology"},
    {"config.*", "nodes", SCN_INT, 1, MXC_MAX_NODES, NULL, "1", "as [network] nodes"},
    {"config.*", "layers", SCN_INT, 1, MXC_MAX_NODES, NULL, "3", "as [network] layers"},
    {"config.*", "hops", SCN_INT, 1, 16, NULL, "1", "as [network] hops"},
    {"config.*", "enclave", SCN_BOOL, 0, 0, NULL, "false", "as [network] enclave"},
    {"config.*", "oblivious", SCN_BOOL, 0, 0, NULL, "false", "as [network] oblivious"},
    {"config.*", "domains", SCN_INT, 1, MXC_MAX_DOMAINS, NULL, "1", "as [network] domains"},
    {"config.*", "trust", SCN_STRING, 0, 0, NULL, "1", "as [network] trust"},
    {"config.*", "path", SCN_ENUM, 0, 0, "within|across", "within", "as [network] path"},
    /* the elasticity experiment (cli/mixclaves_elastic.c); the network's
     * hosts, links, delays and queues are [network]'s */
    {"elastic", "initial_nodes", SCN_INT, 1, 256, NULL, "1", "nodes of the committed epoch at start (at most 256, an epoch digest's EPOCH_MAX_NODES)"},
    {"elastic", "max_nodes", SCN_INT, 1, 256, NULL, "8", "the updater provisions no node past this many (at most 256, an epoch digest's EPOCH_MAX_NODES)"},
    {"elastic", "thresholds", SCN_STRING, 0, 0, NULL, "600,1200,1800,2400",
     "aggregate msg/s at which 1, 2, ... nodes scale out by one (seed 4.3: a table from Section 5's measured "
     "saturation): 0.75 x the measured fig9-scalability.ini peaks of 1-4 Mixclaves nodes, 800.5, 1599.5, 2400, "
     "3200.5 msg/s (`cloudmix run scenarios/mixclaves/fig9-scalability.ini`); none past the list"},
    {"elastic", "rate_start", SCN_DOUBLE, 0, 1e8, NULL, "200", "offered load at t = 0 (msg/s of 1-hop loops)"},
    {"elastic", "rate_end", SCN_DOUBLE, 0, 1e8, NULL, "3000", "offered load at ramp_s and after (msg/s)"},
    {"elastic", "ramp_s", SCN_DOUBLE, 0, 1e6, NULL, "40",
     "the load rises linearly from rate_start to rate_end over [0, ramp_s) (seed 5.3: 'we gradually increase client "
     "traffic'), then holds"},
    {"elastic", "duration_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "50", "simulated seconds of traffic"},
    {"elastic", "client_rate_per_s", SCN_DOUBLE, 1e-3, 1e8, NULL, "100",
     "each benchmark client offers this; a new client starts each time the ramp passes another multiple"},
    {"elastic", "sample_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "1", "the updater's metrics round (seed 4.3: it polls)"},
    {"elastic", "provision_s", SCN_DOUBLE, 0, 1e6, NULL, "2",
     "time to provision a node; assumption: the seed pre-allocates a pool of VMs (4.4) and gives no number"},
    {"elastic", "poll_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "1",
     "clients poll the committed epoch this often (seed 4.1: 'Benchmark clients are informed by the mixnet via a "
     "polling loop'; 5.5: clients applied a new configuration in less than a second)"},
    {"elastic", "reply_timeout_ms", SCN_DOUBLE, 1e-3, 1e9, NULL, "500",
     "a control request not answered within this is resent (seed 5.5: resent until acknowledged)"},
    {"elastic", "converge_timeout_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "2",
     "an install not acked by every node within this is retried at the next epoch (seed 4.3)"},
    {"elastic", "max_attempts", SCN_INT, 1, 1e6, NULL, "10", "install attempts per scale-out before it is abandoned"},
    {"elastic", "transport", SCN_ENUM, 0, 0, "ctrl|loop", "ctrl",
     "the updater's exchanges: ctrl, operator-signed CTRL packets with reply blocks through the mixnet (nodes hold "
     "the digest; install publishes the next key, commit switches to it); loop, the earlier model (one 1-hop packet through the node, the "
     "effect applied in memory when it returns), kept for comparison"},
    {"elastic", "bin_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "1", "width of a time-series row"},
    {"elastic", "scale_in", SCN_BOOL, 0, 0, NULL, "false",
     "ask the updater to remove nodes when the load falls: always refused (seed 7: not shown safe)"},
    /* the epoch-skew experiment (cli/mixclaves_skew.c, seed Fig. 5) */
    {"skew", "duration_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "20", "simulated seconds of traffic"},
    {"skew", "move_s", SCN_DOUBLE, 0, 1e6, NULL, "10", "when client C moves from provider A (epoch Y) to B (epoch X)"},
    {"skew", "client_rate_per_s", SCN_DOUBLE, 1e-3, 1e6, NULL, "50", "C's loop rate (2 hops: provider, mix)"},
    {"skew", "others_per_provider", SCN_INT, 0, 64, NULL, "2", "background clients at each provider, at its epoch"},
    {"skew", "other_rate_per_s", SCN_DOUBLE, 0, 1e6, NULL, "50", "each background client's loop rate"},
    {"skew", "provider_loop_rate_per_s", SCN_DOUBLE, 0, 1e6, NULL, "50",
     "each provider's own loop cover through the mixes of its epoch (Loopix providers generate cover)"},
    /* the price model */
    {"cost", "usd_per_hour", SCN_DOUBLE, 0, 1e6, NULL, "0.084492",
     "GCP n2d-standard-2 on-demand, us-central1: 2 vCPU x 0.027502 + 8 GB x 0.003686 $/h (seed 5 names the machine; "
     "the price is the task's hint, not confirmed by a stored source); x 730 h x 0.8 = 49.34 $/month, the seed's "
     "Loopix per node"},
    {"cost", "sustained_use_discount", SCN_DOUBLE, 0, 1, NULL, "0.2",
     "GCP sustained-use discount of a full month on N2D (20%; not confirmed by a stored source)"},
    {"cost", "hours_per_month", SCN_DOUBLE, 1, 1e4, NULL, "730", "GCP's billing month (730 h)"},
    {"cost", "premium_model", SCN_ENUM, 0, 0, "surcharge|fraction", "surcharge",
     "enclave price: surcharge = enclave_usd_per_hour added before the discount; fraction = x (1 + "
     "enclave_premium)"},
    {"cost", "enclave_usd_per_hour", SCN_DOUBLE, 0, 1e6, NULL, "0.006844",
     "Confidential VM surcharge per n2d-standard-2 hour: DERIVED from the seed's 53.34 $/month "
     "(53.34 / (730 x 0.8) - 0.084492); no stored source confirms a GCP price (searched)"},
    {"cost", "enclave_premium", SCN_DOUBLE, 0, 10, NULL, "0.08",
     "premium_model = fraction: seed 5.4's 8% (gives 53.29, not the seed's 53.34)"},
};
const size_t mixclaves_nkeys = sizeof mixclaves_keys / sizeof mixclaves_keys[0];
