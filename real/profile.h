/* The real-mode profile: which real endpoint stands for each provider of a
 * scenario, and where each one's credentials are kept. An INI file
 * validated like scenarios (sim/scenario.h, scenario_load_schema): every
 * error names the file, line, group and key.
 *
 *   [profile]
 *   description = free text
 *   [provider.NAME]            NAME: a provider of the scenario
 *   kind = lambda|lambda-url|azure|cloudrun|openfaas|fission   (required)
 *   endpoint = http://127.0.0.1:8080/aws-lambda   (required; http or https, no trailing /)
 *   function_name = {function}                    ({function}, {bin}, {memory})
 *   timeout_s = 0                                 (0: the platform's own default)
 *   price = lambda                                (a built-in price list; absent: the scenario's)
 *   lambda, lambda-url: region = us-east-1; access_key_env, secret_key_env,
 *     session_token_env (default the standard AWS variable names);
 *     credentials_file, aws_profile (default $AWS_SHARED_CREDENTIALS_FILE or
 *     ~/.aws/credentials, and $AWS_PROFILE or "default")
 *   azure: key_env = VAR or key_file = PATH (the x-functions-key)
 *   cloudrun: token_env = VAR, token_file = PATH or metadata_url = URL
 *     (the identity token; the URL is fetched once, at load)
 *   [store.NAME]               NAME: a store of the scenario (real/store.h)
 *   kind = redis|s3|gcs|azure-blob                (required)
 *   endpoint = redis://127.0.0.1:6379/0           (required; redis://HOST:PORT[/DB], or for the
 *                                                  others http(s)://HOST[:PORT], no trailing /)
 *   timeout_s = 30                                (a request's deadline when it gives none; default 30)
 *   s3, gcs: bucket (required), style = path|virtual-host (default path),
 *     region (default us-east-1 for s3, auto for gcs), and credentials as
 *     for lambda (access_key_env, secret_key_env, session_token_env,
 *     credentials_file, aws_profile; GCS: its HMAC key)
 *   azure-blob: container and account (required), account_key_env = VAR
 *     or account_key_file = PATH (the base64 key, required)
 *   redis: password_env = VAR or password_file = PATH (AUTH; optional)
 *
 * A profile holds at least one provider or store group.
 * The profile names where a secret is, never the secret: a key that would
 * hold one (secret_access_key, function_key, token, ...) is refused, and so
 * is a URL with a user or password (http://user:pw@host). Secrets
 * are read at load into struct provider_secret and never appear in errors,
 * logs or profile_text. A file holding a secret that group or others may
 * read gets a warning on stderr. */
#ifndef CM_PROFILE_H
#define CM_PROFILE_H

#include <stdbool.h>
#include <stddef.h>

#include <glib.h>

#include "provider.h"
#include "scenario.h"
#include "store.h"

typedef struct profile profile;

/* Load and check path, resolve every provider's credentials (environment,
 * files, the metadata URL). NULL on any problem, with *err (g_malloc'd, one
 * line, no secret) if err is not NULL. */
profile *profile_load(const char *path, char **err);
/* Free p, zeroing its secrets. NULL is a no-op. */
void profile_free(profile *p);

const char *profile_path(const profile *p);
/* Number of providers, in file order. */
size_t profile_count(const profile *p);
/* Provider i (< profile_count), owned by p: the caller may set its bins
 * (provider_set_bins) but not free it. */
struct provider *profile_provider(profile *p, size_t i);
/* The provider named (the scenario's name), or NULL. */
struct provider *profile_find(profile *p, const char *name);
/* The price list name of provider i ("price"), or NULL: the scenario's. */
const char *profile_price(const profile *p, size_t i);
/* The effective profile as INI text (defaults filled, keys of other kinds
 * left out), to record with results; never a secret. Owned by p. */
const char *profile_text(const profile *p);

/* Number of stores, in file order; store i (< profile_store_count) or the
 * one named (NULL when none), owned by p with its resolved secrets: valid
 * until profile_free. Hand it to store_client_new (real/store.h). */
size_t profile_store_count(const profile *p);
const struct store_endpoint *profile_store(const profile *p, size_t i);
const struct store_endpoint *profile_find_store(const profile *p, const char *name);

/* For profile.c and profile_secret.c only: credentials of provider group
 * g of s into out. AWS: the environment variables named, else the shared
 * credentials file; required = false (lambda-url) accepts none at all. */
int profile__aws_secret(const scenario *s, const char *g, bool required, struct provider_secret *out,
                        char **err);
/* A single secret (function key, identity token) from whichever of the
 * keys env_key, file_key, url_key (NULL: none) is set in g; *out stays
 * NULL when none is. */
int profile__one_secret(const scenario *s, const char *g, const char *env_key, const char *file_key,
                        const char *url_key, char **out, char **err);

/* For profile.c only (profile_store.c): the [store.*] schema, one group
 * checked into ep (strings and secrets g_malloc'd; profile__store_clear
 * frees them, zeroing the secrets), and its lines of profile_text. */
extern const struct scn_key *const profile__store_keys;
extern const size_t profile__nstore_keys;
int profile__load_store(const scenario *s, const char *g, struct store_endpoint *ep, char **err);
void profile__store_clear(struct store_endpoint *ep);
void profile__store_text(const scenario *s, const char *g, GString *t);

#endif
