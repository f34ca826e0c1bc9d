/* The real-mode profile (profile.h): its schema, loaded and validated by
 * the scenario loader (scenario_load_schema), the checks after loading
 * (URLs, templates, keys of another kind, keys that would hold a secret),
 * the providers it builds and its effective text. Credentials are resolved
 * by profile_secret.c. */
#include "profile.h"

#include <math.h>
#include <string.h>

#include <glib.h>

#include "cloudless/cost.h"
#include "platform.h"

/* Which kinds a key applies to. */
enum { K_LAMBDA = 1, K_URL = 2, K_AZURE = 4, K_RUN = 8, K_OF = 16, K_FI = 32, K_AWS = 3, K_ALL = 63 };
static const char *const kind_names[] = {"lambda", "lambda-url", "azure", "cloudrun", "openfaas", "fission"};
/* The sim's platform of each kind: its default timeout is ours. */
static const char *const kind_platform[] = {"lambda", "lambda", "azure", "cloudrun", "openfaas", "fission"};

#define S -INFINITY, INFINITY, NULL
static const struct scn_key keys[] = {
    {"profile", "description", SCN_STRING, S, "", "free-text description of the profile"},
    {"provider.*", "kind", SCN_ENUM, -INFINITY, INFINITY, "lambda|lambda-url|azure|cloudrun|openfaas|fission", NULL,
     "the platform's API: the adapter of real/provider_<kind>.c"},
    {"provider.*", "endpoint", SCN_STRING, S, NULL, "base URL, http or https, no trailing slash"},
    {"provider.*", "function_name", SCN_STRING, S, "{function}",
     "remote function name: a template of {function}, {bin}, {memory} (MB)"},
    {"provider.*", "timeout_s", SCN_DOUBLE, 0, 86400, NULL, "0",
     "per-call deadline when the call gives none, s; 0: the simulated platform's default (sim/platform_*.c: "
     "lambda 900, azure 230, cloudrun 300, openfaas and fission 60), so both modes time out alike"},
    {"provider.*", "price", SCN_STRING, S, "", "a built-in price list (models/cloudless/cost.h); empty: the scenario's"},
    {"provider.*", "http_version", SCN_ENUM, -INFINITY, INFINITY, "1.1|2", "1.1",
     "HTTP/1.1, or HTTP/2 (prior knowledge on http://, ALPN on https://), multiplexing calls on one connection"},
    {"provider.*", "region", SCN_STRING, S, "us-east-1",
     "AWS region of the SigV4 scope; default us-east-1 (AWS_REGION is not read: the profile records the run)"},
    {"provider.*", "access_key_env", SCN_STRING, S, "AWS_ACCESS_KEY_ID", "variable holding the AWS access key id"},
    {"provider.*", "secret_key_env", SCN_STRING, S, "AWS_SECRET_ACCESS_KEY", "variable holding the AWS secret key"},
    {"provider.*", "session_token_env", SCN_STRING, S, "AWS_SESSION_TOKEN", "variable holding an AWS session token"},
    {"provider.*", "credentials_file", SCN_STRING, S, "",
     "AWS shared credentials file; empty: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials"},
    {"provider.*", "aws_profile", SCN_STRING, S, "", "its section; empty: $AWS_PROFILE or default"},
    {"provider.*", "key_env", SCN_STRING, S, "", "variable holding the Azure function key"},
    {"provider.*", "key_file", SCN_STRING, S, "", "file holding the Azure function key"},
    {"provider.*", "token_env", SCN_STRING, S, "", "variable holding the Cloud Run identity token"},
    {"provider.*", "token_file", SCN_STRING, S, "", "file holding the Cloud Run identity token"},
    {"provider.*", "metadata_url", SCN_STRING, S, "", "metadata-server URL answering the identity token"},
    /* Keys that would hold a secret: known, so that they are refused with a
     * hint rather than as unknown. */
#define REFUSED(k) {"provider.*", k, SCN_STRING, S, "", "refused: name a variable or a file instead"}
    REFUSED("secret_access_key"), REFUSED("aws_secret_access_key"), REFUSED("access_key_id"),
    REFUSED("aws_access_key_id"), REFUSED("session_token"), REFUSED("aws_session_token"),
    REFUSED("function_key"), REFUSED("key"), REFUSED("token"), REFUSED("bearer_token"),
    REFUSED("identity_token"), REFUSED("password"), REFUSED("secret"), REFUSED("api_key"),
#undef REFUSED
};
#undef S
#define NREFUSED 14
#define NKEYS (sizeof keys / sizeof keys[0])

/* Kinds key k applies to. */
static unsigned applies(const char *k) {
  static const struct {
    const char *key;
    unsigned kinds;
  } t[] = {{"region", K_AWS},   {"access_key_env", K_AWS}, {"secret_key_env", K_AWS}, {"session_token_env", K_AWS},
           {"credentials_file", K_AWS}, {"aws_profile", K_AWS}, {"key_env", K_AZURE}, {"key_file", K_AZURE},
           {"token_env", K_RUN}, {"token_file", K_RUN},          {"metadata_url", K_RUN}};
  for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
    if (!strcmp(t[i].key, k)) return t[i].kinds;
  return K_ALL;
}

struct profile {
  scenario *s;
  struct provider *prov;
  char **price; /* NULL: the scenario's */
  size_t n;
  struct store_endpoint *stores;
  size_t nstores;
  char *text;
};

/* An http or https URL with a host, no whitespace or control bytes, no
 * trailing slash; {function} allowed for lambda-url only. */
static const char *bad_endpoint(const char *u, int kind) {
  const char *host = g_str_has_prefix(u, "http://") ? u + 7 : g_str_has_prefix(u, "https://") ? u + 8 : NULL;
  if (!host) return "expected an http:// or https:// URL";
  if (!*host || *host == '/') return "expected a host after the scheme";
  for (const char *p = u; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return "expected no spaces or control characters";
  if (u[strlen(u) - 1] == '/') return "expected no trailing slash";
  if (kind != 1 && strchr(u, '{')) return "expected no {placeholder} (lambda-url only)";
  return NULL;
}

/* True when u's authority holds user information ("http://user:password@host"):
 * a password in the profile, which is recorded and printed; refused, and
 * the URL is not echoed in the error. */
static bool has_userinfo(const char *u) {
  const char *a = strstr(u, "://");
  a = a ? a + 3 : u;
  size_t n = strcspn(a, "/?#");
  return memchr(a, '@', n) != NULL;
}

/* Only {function}, {bin} and {memory} between braces. */
static bool good_template(const char *t) {
  for (const char *p = t; (p = strchr(p, '{')); p++)
    if (!g_str_has_prefix(p, "{function}") && !g_str_has_prefix(p, "{bin}") && !g_str_has_prefix(p, "{memory}"))
      return false;
  return *t != '\0';
}

/* The checks of provider group g (kind index kind) and its struct. */
static int load_provider(profile *pf, const char *g, int kind, struct provider *p, char **err) {
  const scenario *s = pf->s;
  const char *name = g + strlen("provider."), *v;
  if (strlen(name) >= PROVIDER_NAME_MAX)
    return scenario_error(s, g, NULL, err, "the provider name is longer than %d bytes", PROVIDER_NAME_MAX - 1);
  for (size_t i = NKEYS - NREFUSED; i < NKEYS; i++)
    if (scenario_line(s, g, keys[i].key, NULL) > 0)
      return scenario_error(s, g, keys[i].key, err,
                            "refused: a profile names where a secret is kept, never the secret; name an "
                            "environment variable (%s) or a file (%s) instead",
                            kind < 2 ? "access_key_env, secret_key_env" : kind == 2 ? "key_env" : "token_env",
                            kind < 2 ? "credentials_file" : kind == 2 ? "key_file" : "token_file");
  for (size_t i = 0; i < NKEYS - NREFUSED; i++)
    if (!(applies(keys[i].key) & (1u << kind)) && scenario_line(s, g, keys[i].key, NULL) > 0)
      return scenario_error(s, g, keys[i].key, err, "does not apply to kind %s", kind_names[kind]);
  for (int i = 0; i < 2; i++) {
    const char *k = i ? "metadata_url" : "endpoint";
    if (has_userinfo(scenario_string(s, g, k)))
      return scenario_error(s, g, k, err, "refused: the URL holds a user name or password (user:password@host); "
                            "a profile names where a secret is kept, never the secret");
  }
  if ((v = bad_endpoint(scenario_string(s, g, "endpoint"), kind)))
    return scenario_error(s, g, "endpoint", err, "found '%.80s', %s", scenario_string(s, g, "endpoint"), v);
  if (!good_template(scenario_string(s, g, "function_name")))
    return scenario_error(s, g, "function_name", err,
                          "found '%.80s', expected a non-empty name with only {function}, {bin}, {memory} "
                          "between braces", scenario_string(s, g, "function_name"));
  v = scenario_string(s, g, "region");
  if ((1u << kind) & K_AWS && (!*v || v[strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-")]))
    return scenario_error(s, g, "region", err, "found '%.80s', expected an AWS region such as us-east-1", v);
  v = scenario_string(s, g, "price");
  if (*v && !cost_source(v))
    return scenario_error(s, g, "price", err, "found '%.80s', expected a built-in price list (cost.h): lambda, "
                          "azure, cloudrun, openfaas-eks, openfaas-aks, openfaas-gke, fission-eks, fission-aks, "
                          "fission-gke, edge", v);
  g_strlcpy(p->name, name, sizeof p->name);
  p->ops = provider_find(kind_names[kind]);
  p->endpoint = g_strdup(scenario_string(s, g, "endpoint"));
  p->function_name = g_strdup(scenario_string(s, g, "function_name"));
  p->region = (1u << kind) & K_AWS ? g_strdup(scenario_string(s, g, "region")) : NULL;
  p->http2 = !strcmp(scenario_string(s, g, "http_version"), "2");
  double t = scenario_double(s, g, "timeout_s");
  const struct platform_ops *po = platform_find(kind_platform[kind]);
  p->timeout = t > 0 ? cm_time_from_s(t) : po ? po->default_timeout : CM_S(60);
  if ((1u << kind) & K_AWS) return profile__aws_secret(s, g, kind == 0, &p->secret, err);
  if (kind == 2) return profile__one_secret(s, g, "key_env", "key_file", NULL, &p->secret.function_key, err);
  if (kind == 3)
    return profile__one_secret(s, g, "token_env", "token_file", "metadata_url", &p->secret.bearer_token, err);
  return 0;
}

/* value escaped as GKeyFile writes it. */
static char *ini_escape(const char *value) {
  GKeyFile *t = g_key_file_new();
  g_key_file_set_string(t, "g", "k", value);
  char *r = g_key_file_get_value(t, "g", "k", NULL);
  g_key_file_free(t);
  return r;
}

/* Schema order, providers in file order; empty values and keys of other
 * kinds left out. No secret is ever a value of the profile. */
static char *build_text(const profile *pf) {
  GString *t = g_string_new(NULL);
  const char *d = scenario_string(pf->s, "profile", "description");
  char *e = ini_escape(d);
  g_string_append_printf(t, "[profile]\n%s%s%s", *d ? "description = " : "", *d ? e : "", *d ? "\n" : "");
  g_free(e);
  const char *const *groups = scenario_groups(pf->s, "provider.*");
  for (size_t i = 0; groups[i]; i++) {
    const char *g = groups[i];
    int kind = 0;
    while (strcmp(kind_names[kind], scenario_string(pf->s, g, "kind"))) kind++;
    g_string_append_printf(t, "\n[%s]\n", g);
    for (size_t k = 1; k < NKEYS - NREFUSED; k++) {
      const char *v = scenario_string(pf->s, g, keys[k].key);
      if (!*v || !(applies(keys[k].key) & (1u << kind))) continue;
      e = ini_escape(v);
      g_string_append_printf(t, "%s = %s\n", keys[k].key, e);
      g_free(e);
    }
  }
  const char *const *sg = scenario_groups(pf->s, "store.*");
  for (size_t i = 0; sg[i]; i++) profile__store_text(pf->s, sg[i], t);
  return g_string_free(t, FALSE);
}

profile *profile_load(const char *path, char **err) {
  char *local = NULL, **errp = err ? err : &local;
  *errp = NULL;
  static struct scn_key *all; /* providers' keys, then stores': the scenario keeps pointing at it */
  if (!all) {
    all = g_new(struct scn_key, NKEYS + profile__nstore_keys);
    memcpy(all, keys, sizeof keys);
    memcpy(all + NKEYS, profile__store_keys, profile__nstore_keys * sizeof *all);
  }
  scenario *s = scenario_load_schema(path, all, NKEYS + profile__nstore_keys, errp);
  if (!s) {
    g_free(local);
    return NULL;
  }
  profile *pf = g_new0(profile, 1);
  pf->s = s;
  const char *const *groups = scenario_groups(s, "provider.*");
  pf->n = g_strv_length((char **)groups);
  pf->prov = g_new0(struct provider, pf->n);
  pf->price = g_new0(char *, pf->n);
  const char *const *sg = scenario_groups(s, "store.*");
  pf->nstores = g_strv_length((char **)sg);
  pf->stores = g_new0(struct store_endpoint, pf->nstores);
  int rc = pf->n || pf->nstores
               ? 0
               : scenario_error(s, "provider.NAME", NULL, errp, "missing; expected a group per provider or store");
  for (size_t i = 0; !rc && i < pf->n; i++) {
    int kind = 0;
    while (strcmp(kind_names[kind], scenario_string(s, groups[i], "kind"))) kind++;
    rc = load_provider(pf, groups[i], kind, &pf->prov[i], errp);
    const char *price = scenario_string(s, groups[i], "price");
    pf->price[i] = *price ? g_strdup(price) : NULL;
  }
  for (size_t i = 0; !rc && i < pf->nstores; i++) rc = profile__load_store(s, sg[i], &pf->stores[i], errp);
  if (!rc) pf->text = build_text(pf);
  if (!rc) return pf;
  profile_free(pf);
  g_free(local);
  return NULL;
}

void profile_free(profile *p) {
  if (!p) return;
  for (size_t i = 0; i < p->n; i++) {
    struct provider *v = &p->prov[i];
    provider_secret_clear(&v->secret);
    g_free(v->endpoint);
    g_free(v->region);
    g_free(v->function_name);
    g_free(v->bin_memory_mb);
    g_free(p->price[i]);
  }
  for (size_t i = 0; i < p->nstores; i++) profile__store_clear(&p->stores[i]);
  g_free(p->stores);
  g_free(p->prov);
  g_free(p->price);
  g_free(p->text);
  scenario_free(p->s);
  g_free(p);
}

const char *profile_path(const profile *p) { return scenario_path(p->s); }
size_t profile_count(const profile *p) { return p->n; }
struct provider *profile_provider(profile *p, size_t i) { return i < p->n ? &p->prov[i] : NULL; }
const char *profile_price(const profile *p, size_t i) { return i < p->n ? p->price[i] : NULL; }
const char *profile_text(const profile *p) { return p->text; }

struct provider *profile_find(profile *p, const char *name) {
  for (size_t i = 0; name && i < p->n; i++)
    if (!strcmp(p->prov[i].name, name)) return &p->prov[i];
  return NULL;
}


size_t profile_store_count(const profile *p) { return p->nstores; }
const struct store_endpoint *profile_store(const profile *p, size_t i) { return i < p->nstores ? &p->stores[i] : NULL; }

const struct store_endpoint *profile_find_store(const profile *p, const char *name) {
  for (size_t i = 0; name && i < p->nstores; i++)
    if (!strcmp(p->stores[i].name, name)) return &p->stores[i];
  return NULL;
}
