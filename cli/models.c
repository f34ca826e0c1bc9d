/* The model registry: the [run] keys every scenario has, and one entry per
 * model that `cloudmix run` can run. A new model is one row here. */
#include "cli.h"
#include "mixclaves.h"

const struct scn_key cli_run_keys[] = {
    {"run", "model", SCN_ENUM, 0, 0, "demo|cloudless|mixclaves", NULL, "which model the scenario runs"},
    {"run", "duration_s", SCN_DOUBLE, 1e-9, 1e9, NULL, "3600",
     "simulated time over which the workload arrives (s); default: one hour"},
    {"run", "seed", SCN_INT, 0, 9007199254740991.0, NULL, "1",
     "master seed of every random stream; --seed overrides it"},
};
const size_t cli_nrun_keys = sizeof cli_run_keys / sizeof cli_run_keys[0];

const struct model_entry cli_models[] = {
    {"cloudless", cloudless_keys, &cloudless_nkeys, run_cloudless, cloudless_check,
     "the Cloudless broker placing calls across edge and clouds (providers, flight, faults)"},
    {"mixclaves", mixclaves_keys, &mixclaves_nkeys, run_mixclaves, mixclaves_check,
     "the Mixclaves mixnet: Fig. 1 buffer correlation, load to saturation (Fig. 8, 9), Table 1 cost"},
    {"demo", demo_keys, &demo_nkeys, run_demo, NULL, "one serverless provider as an M/G/c queue (replaced by the UAV flight)"},
};
const size_t cli_nmodels = sizeof cli_models / sizeof cli_models[0];
