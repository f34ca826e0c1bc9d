/* The [store.NAME] groups of the real-mode profile (profile.h): their
 * schema, the checks after loading (endpoint by kind, bucket or container,
 * keys of another kind, keys that would hold a secret), the struct
 * store_endpoint each one becomes (credentials resolved through
 * profile_secret.c) and its lines of the effective text. */
#include "profile.h"

#include <math.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

#include "store_redis.h"

/* Which kinds a key applies to. */
enum { K_REDIS = 1, K_S3 = 2, K_GCS = 4, K_AZ = 8, K_HMAC = 6, K_ALL = 15 };
static const char *const kind_names[] = {"redis", "s3", "gcs", "azure-blob"};

#define S -INFINITY, INFINITY, NULL
#define G "store.*"
static const struct scn_key store_keys[] = {
    {G, "kind", SCN_ENUM, -INFINITY, INFINITY, "redis|s3|gcs|azure-blob", NULL,
     "the store's API: real/store_redis.c, store_s3.c (s3 and gcs), store_azure.c"},
    {G, "endpoint", SCN_STRING, S, NULL,
     "redis: redis://HOST:PORT[/DB]; s3, gcs, azure-blob: http(s)://HOST[:PORT], no trailing slash"},
    {G, "bucket", SCN_STRING, S, "", "s3, gcs: the bucket (required)"},
    {G, "container", SCN_STRING, S, "", "azure-blob: the container (required)"},
    {G, "style", SCN_ENUM, -INFINITY, INFINITY, "path|virtual-host", "path",
     "s3, gcs: path-style HOST/BUCKET or virtual-host BUCKET.HOST addressing"},
    {G, "region", SCN_STRING, S, "", "s3, gcs: the SigV4 region; empty: us-east-1 (s3), auto (gcs)"},
    {G, "timeout_s", SCN_DOUBLE, 0.001, 86400, NULL, "30", "a request's deadline when the caller gives none, s"},
    {G, "access_key_env", SCN_STRING, S, "AWS_ACCESS_KEY_ID", "s3, gcs: variable holding the access key id (GCS: HMAC key)"},
    {G, "secret_key_env", SCN_STRING, S, "AWS_SECRET_ACCESS_KEY", "s3, gcs: variable holding the secret key"},
    {G, "session_token_env", SCN_STRING, S, "AWS_SESSION_TOKEN", "s3: variable holding a session token"},
    {G, "credentials_file", SCN_STRING, S, "",
     "s3, gcs: AWS shared credentials file; empty: $AWS_SHARED_CREDENTIALS_FILE or ~/.aws/credentials"},
    {G, "aws_profile", SCN_STRING, S, "", "s3, gcs: its section; empty: $AWS_PROFILE or default"},
    {G, "account", SCN_STRING, S, "", "azure-blob: the storage account name (required)"},
    {G, "account_key_env", SCN_STRING, S, "", "azure-blob: variable holding the account key (base64)"},
    {G, "account_key_file", SCN_STRING, S, "", "azure-blob: file holding the account key (base64)"},
    {G, "password_env", SCN_STRING, S, "", "redis: variable holding the AUTH password (optional)"},
    {G, "password_file", SCN_STRING, S, "", "redis: file holding the AUTH password (optional)"},
#define REFUSED(k) {G, k, SCN_STRING, S, "", "refused: name a variable or a file instead"}
    REFUSED("secret_access_key"), REFUSED("aws_secret_access_key"), REFUSED("access_key_id"),
    REFUSED("aws_access_key_id"), REFUSED("session_token"), REFUSED("aws_session_token"), REFUSED("access_key"),
    REFUSED("secret_key"), REFUSED("account_key"), REFUSED("password"), REFUSED("secret"), REFUSED("key"),
    REFUSED("token"), REFUSED("api_key"), REFUSED("connection_string"), REFUSED("sas_token"),
#undef REFUSED
};
#undef G
#undef S
#define NREFUSED 16

const struct scn_key *const profile__store_keys = store_keys;
const size_t profile__nstore_keys = G_N_ELEMENTS(store_keys);

static unsigned applies(const char *k) {
  static const struct {
    const char *key;
    unsigned kinds;
  } t[] = {{"bucket", K_HMAC},          {"style", K_HMAC},           {"region", K_HMAC},
           {"access_key_env", K_HMAC},  {"secret_key_env", K_HMAC},  {"session_token_env", K_HMAC},
           {"credentials_file", K_HMAC}, {"aws_profile", K_HMAC},     {"container", K_AZ},
           {"account", K_AZ},           {"account_key_env", K_AZ},   {"account_key_file", K_AZ},
           {"password_env", K_REDIS},   {"password_file", K_REDIS}};
  for (size_t i = 0; i < G_N_ELEMENTS(t); i++)
    if (!strcmp(t[i].key, k)) return t[i].kinds;
  return K_ALL;
}

static int kind_of(const scenario *s, const char *g) {
  int k = 0;
  while (strcmp(kind_names[k], scenario_string(s, g, "kind"))) k++;
  return k;
}

/* An http(s) URL with a host, no spaces, user information, path or trailing slash. */
static const char *bad_http(const char *u) {
  const char *host = g_str_has_prefix(u, "http://") ? u + 7 : g_str_has_prefix(u, "https://") ? u + 8 : NULL;
  if (!host) return "expected an http:// or https:// URL";
  if (!*host || *host == '/') return "expected a host after the scheme";
  for (const char *p = u; *p; p++)
    if ((unsigned char)*p <= 0x20 || *p == 0x7f) return "expected no spaces or control characters";
  if (u[strlen(u) - 1] == '/') return "expected no trailing slash";
  return NULL;
}

/* A bucket or container name: 3 to 63 of a-z 0-9 . - (S3, GCS and Azure rules, roughly). */
static bool good_bucket(const char *b) {
  size_t n = strlen(b);
  return n >= 3 && n <= 63 && b[strspn(b, "abcdefghijklmnopqrstuvwxyz0123456789.-")] == '\0';
}

int profile__load_store(const scenario *s, const char *g, struct store_endpoint *ep, char **err) {
  const char *name = g + strlen("store."), *v;
  int kind = kind_of(s, g);
  for (size_t i = profile__nstore_keys - NREFUSED; i < profile__nstore_keys; i++)
    if (scenario_line(s, g, store_keys[i].key, NULL) > 0)
      return scenario_error(s, g, store_keys[i].key, err,
                            "refused: a profile names where a secret is kept, never the secret; name an "
                            "environment variable (%s) or a file (%s) instead",
                            kind == 0 ? "password_env" : kind == 3 ? "account_key_env" : "access_key_env, secret_key_env",
                            kind == 0 ? "password_file" : kind == 3 ? "account_key_file" : "credentials_file");
  for (size_t i = 0; i < profile__nstore_keys - NREFUSED; i++)
    if (!(applies(store_keys[i].key) & (1u << kind)) && scenario_line(s, g, store_keys[i].key, NULL) > 0)
      return scenario_error(s, g, store_keys[i].key, err, "does not apply to kind %s", kind_names[kind]);
  const char *url = scenario_string(s, g, "endpoint");
  const char *a = strstr(url, "://");
  if (a && memchr(a + 3, '@', strcspn(a + 3, "/?#")))
    return scenario_error(s, g, "endpoint", err, "refused: the URL holds a user name or password "
                          "(user:password@host); a profile names where a secret is kept, never the secret");
  char *host = NULL;
  int port, db;
  v = kind == 0 ? store_redis__parse(url, &host, &port, &db) : bad_http(url);
  g_free(host);
  if (v) return scenario_error(s, g, "endpoint", err, "found '%.80s', %s", url, v);
  const char *bk = kind == 3 ? "container" : "bucket";
  if (kind != 0 && !good_bucket(scenario_string(s, g, bk)))
    return scenario_error(s, g, bk, err, "%s '%.80s', expected a %s name of 3 to 63 characters a-z 0-9 . -",
                          *scenario_string(s, g, bk) ? "found" : "missing: found", scenario_string(s, g, bk), bk);
  v = scenario_string(s, g, "region");
  if (*v && v[strspn(v, "abcdefghijklmnopqrstuvwxyz0123456789-")])
    return scenario_error(s, g, "region", err, "found '%.80s', expected a region such as us-east-1", v);
  if (kind == 3 && !*scenario_string(s, g, "account"))
    return scenario_error(s, g, "account", err, "missing: expected the storage account name");
  *ep = (struct store_endpoint){.name = g_strdup(name), .kind = kind_names[kind], .endpoint = g_strdup(url)};
  ep->timeout = cm_time_from_s(scenario_double(s, g, "timeout_s"));
  if (kind == 1 || kind == 2) {
    ep->bucket = g_strdup(scenario_string(s, g, "bucket"));
    ep->virtual_host = !strcmp(scenario_string(s, g, "style"), "virtual-host");
    ep->region = g_strdup(*v ? v : kind == 1 ? "us-east-1" : "auto");
    struct provider_secret sec = {0};
    int rc = profile__aws_secret(s, g, true, &sec, err);
    ep->access_key = sec.access_key_id;
    ep->secret_key = sec.secret_access_key;
    ep->session_token = sec.session_token;
    return rc;
  }
  if (kind == 3) {
    ep->bucket = g_strdup(scenario_string(s, g, "container"));
    ep->account = g_strdup(scenario_string(s, g, "account"));
    char *key = NULL;
    int rc = profile__one_secret(s, g, "account_key_env", "account_key_file", NULL, &key, err);
    ep->account_key = key;
    if (!rc && !key)
      rc = scenario_error(s, g, "account_key_env", err, "missing: set account_key_env or account_key_file");
    return rc;
  }
  char *pw = NULL;
  int rc = profile__one_secret(s, g, "password_env", "password_file", NULL, &pw, err);
  ep->password = pw;
  return rc;
}

static void free_secret(const char *v) {
  if (!v) return;
  sodium_memzero((char *)v, strlen(v));
  g_free((char *)v);
}

void profile__store_clear(struct store_endpoint *ep) {
  g_free((char *)ep->name);
  g_free((char *)ep->endpoint);
  g_free((char *)ep->bucket);
  g_free((char *)ep->region);
  g_free((char *)ep->account);
  free_secret(ep->access_key);
  free_secret(ep->secret_key);
  free_secret(ep->session_token);
  free_secret(ep->account_key);
  free_secret(ep->password);
  *ep = (struct store_endpoint){0};
}

void profile__store_text(const scenario *s, const char *g, GString *t) {
  int kind = kind_of(s, g);
  g_string_append_printf(t, "\n[%s]\n", g);
  for (size_t k = 0; k < profile__nstore_keys - NREFUSED; k++) {
    const char *v = scenario_string(s, g, store_keys[k].key);
    if (!*v || !(applies(store_keys[k].key) & (1u << kind))) continue;
    GKeyFile *kf = g_key_file_new(); /* the value escaped as GKeyFile writes it */
    g_key_file_set_string(kf, "g", "k", v);
    char *e = g_key_file_get_value(kf, "g", "k", NULL);
    g_string_append_printf(t, "%s = %s\n", store_keys[k].key, e);
    g_free(e);
    g_key_file_free(kf);
  }
}
