/* `cloudmix updater`'s state and its struct updater_ops over the real
 * world (cli/updater_ops.c): the nodes it knows (keys, listen), the digest
 * folder, provision_cmd and commit_cmd; the run is cli/updater.c. Internal
 * to cli/. Ownership: struct upd owns its strings; inner (updater_ctrl's
 * ops) is borrowed. */
#ifndef CM_CLI_UPDATER_IMPL_H
#define CM_CLI_UPDATER_IMPL_H

#include <glib.h>

#include "env.h"
#include "keyfile.h"
#include "mixclaves/updater.h"

struct known { /* a node the updater can reach: its keys and where it listens */
  cm_addr addr;
  uint8_t pk[32], sign_pk[32];
  char listen[128];
};

struct upd {
  env *e;
  updater *u;
  struct updater_ops inner; /* updater_ctrl's */
  char *digdir, *prov_cmd, *commit_cmd, *topology, *config;
  struct known nodes[EPOCH_MAX_NODES];
  size_t n;
  double t0;
  /* provisioning in flight */
  updater_provision_fn prov_done;
  void *prov_arg;
  int prov_fd;
  double prov_started;
  uint64_t digests_written, digest_write_failed, commit_cmds, commit_cmd_failed;
  timer_id status;
  cm_time sample;
};

double upd_t(const struct upd *s); /* seconds since the run started */
/* codec_key_fn over the known nodes: X25519 and Ed25519 keys */
int upd_key_fn(void *ctx, cm_addr addr, uint8_t pk[32]);
int upd_sign_fn(void *ctx, cm_addr addr, uint8_t pk[32]);
/* The updater's ops: metrics through inner, install and commit after the
 * digest file is written, provision by provision_cmd, committed: topology
 * and commit_cmd. */
void upd_ops(struct upd *s, struct updater_ops *ops);

#endif
