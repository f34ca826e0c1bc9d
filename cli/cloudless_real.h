/* Real mode of the cloudless runner (--real PROFILE): the profile's
 * endpoints put behind the scenario's providers on a real env. */
#ifndef CM_CLI_CLOUDLESS_REAL_H
#define CM_CLI_CLOUDLESS_REAL_H

#include "cloudless.h"

struct cl_real;

/* Load c->real, match its [provider.*] groups to cfg's providers (every
 * provider of the scenario needs one; the profile's others are unused),
 * apply its price lists to cfg's broker view, and make the real env (*e)
 * invoking them, and its [store.NAME] endpoints behind the scenario's stores
 * (all of them when the experiment moves data). 0, or -1 with *err (one
 * line naming the profile, no secret). */
int cl_real_world(struct run_ctx *c, struct cl_config *cfg, env **e, struct cl_real **out, char **err);
/* How long to wait, after the horizon, for calls still in flight: every
 * attempt's deadline and backoff, plus a margin. */
cm_time cl_real_drain_limit(const struct cl_config *cfg);
/* Account for every invocation the real backend accepted (printed unless
 * quiet, and recorded as run metrics real_*); non-zero if one has no
 * outcome. */
int cl_real_report(env *e, struct run_ctx *c);
void cl_real_free(struct cl_real *r);

#endif
