/* Azure Blob REST client (kind "azure-blob"): Put Blob (BlockBlob, one
 * request), Get Blob, Delete Blob and List Blobs over libcurl on the env's
 * multi, authorized with Shared Key, signed here (HMAC-SHA256 with the
 * base64-decoded account key, libsodium).
 *
 * Endpoint shapes (the URL is ENDPOINT[/ACCOUNT]/CONTAINER/BLOB):
 *  - https://ACCOUNT.blob.core.windows.net (any host whose first label is
 *    the account, such as http://ACCOUNT.localhost:PORT for Azurite, whose
 *    names curl resolves to the loopback itself): no account in the path;
 *  - http://127.0.0.1:10000 (the emulator's path style, any other host
 *    without a path): /ACCOUNT is put first in the path;
 *  - an endpoint with a path (a connection string's BlobEndpoint, such as
 *    http://127.0.0.1:10000/devstoreaccount1): used as it is.
 * The canonicalized resource is "/ACCOUNT" + the URL's path as sent, so in
 * path style the account appears twice (/devstoreaccount1/devstoreaccount1/
 * CONTAINER/BLOB), which is what Azurite checks (its authenticationPath is
 * the request path). Blob names are escaped as S3 keys (store_http__escape).
 *
 * Sources: "Authorize with Shared Key", "Put Blob", "Get Blob", "Delete
 * Blob", "List Blobs", "Status and error codes" in the Azure Storage REST
 * API reference (https://learn.microsoft.com/rest/api/storageservices/).
 * Put Blob with x-ms-blob-type: BlockBlob takes up to 5000 MiB in one
 * request at x-ms-version 2019-12-12 and later (256 MiB before); we send
 * 2021-08-06. A put sends Content-MD5 (checked by the service); a get's
 * Content-MD5, when the service gives one, must match the body's MD5, and a
 * put's answer's Content-MD5 ours. 404 BlobNotFound -> CM_ENOENT on a get
 * and a delete; ContainerNotFound -> "no_container". */
#include "store_azure.h"

#include <sodium.h>
#include <string.h>
#include <time.h>

#include "store_http.h"

#define MS_VERSION "2021-08-06"

struct azure {
  struct store_client base;
  char *name, *account;
  char *base_url;  /* up to the container: ENDPOINT[/ACCOUNT] */
  char *container;
  uint8_t *key;    /* the decoded account key: secret, zeroed at free */
  size_t key_len;
  cm_time timeout;
  struct store_http_req *live;
};

/* ---- Shared Key ---- */

/* "name:value" strings by name (then value): "x-ms-a" sorts before "x-ms-a-b". */
static int cmp_str(const void *a, const void *b) {
  const char *x = *(char *const *)a, *y = *(char *const *)b;
  size_t nx = strcspn(x, ":"), ny = strcspn(y, ":");
  int c = strncmp(x, y, MIN(nx, ny));
  if (c) return c;
  if (nx != ny) return nx < ny ? -1 : 1;
  return strcmp(x + nx, y + ny);
}

char *store_azure__string_to_sign(const struct azure_sign_req *r) {
#define S(x) ((x) ? (x) : "")
  GString *o = g_string_new(NULL);
  g_string_append_printf(o, "%s\n\n\n%s\n%s\n%s\n\n\n\n\n\n\n", S(r->verb), S(r->content_length), S(r->content_md5),
                         S(r->content_type));
  GPtrArray *h = g_ptr_array_new();
  for (const char *const *p = r->ms_headers; p && *p; p++) g_ptr_array_add(h, (gpointer)*p);
  if (h->len > 1) qsort(h->pdata, h->len, sizeof(gpointer), cmp_str);
  for (guint i = 0; i < h->len; i++) g_string_append_printf(o, "%s\n", (char *)h->pdata[i]);
  g_ptr_array_free(h, TRUE);
  g_string_append_printf(o, "/%s%s", S(r->account), S(r->path));
  GPtrArray *q = g_ptr_array_new_with_free_func(g_free);
  for (const char *const *p = r->query; p && *p; p++) {
    const char *eq = strchr(*p, '=');
    size_t nl = eq ? (size_t)(eq - *p) : strlen(*p);
    char *name = g_ascii_strdown(*p, (gssize)nl);
    g_ptr_array_add(q, g_strdup_printf("%s:%s", name, eq ? eq + 1 : ""));
    g_free(name);
  }
  if (q->len > 1) qsort(q->pdata, q->len, sizeof(gpointer), cmp_str);
  for (guint i = 0; i < q->len; i++) g_string_append_printf(o, "\n%s", (char *)q->pdata[i]);
  g_ptr_array_free(q, TRUE);
  return g_string_free(o, FALSE);
#undef S
}

char *store_azure__signature(const uint8_t *key, size_t key_len, const char *sts) {
  crypto_auth_hmacsha256_state st;
  uint8_t mac[crypto_auth_hmacsha256_BYTES];
  crypto_auth_hmacsha256_init(&st, key, key_len);
  crypto_auth_hmacsha256_update(&st, (const uint8_t *)sts, strlen(sts));
  crypto_auth_hmacsha256_final(&st, mac);
  sodium_memzero(&st, sizeof st);
  return g_base64_encode(mac, sizeof mac);
}

/* x-ms-date: now, RFC 1123, in English whatever the locale. */
static void ms_date(char *buf, size_t cap) {
  static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
  static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                       "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  time_t t = time(NULL);
  struct tm tm;
  gmtime_r(&t, &tm);
  snprintf(buf, cap, "x-ms-date:%s, %02d %s %04d %02d:%02d:%02d GMT", days[tm.tm_wday], tm.tm_mday,
           months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* Sign r's request (verb, path as in url, query decoded) and set its headers. */
static void sign(const struct azure *a, struct store_http_req *r, const char *verb, const char *path,
                 const char *const *query, const char *md5_b64) {
  char date[64], len[32] = "";
  ms_date(date, sizeof date);
  const char *ms[] = {date, "x-ms-version:" MS_VERSION, r->op == STORE_PUT ? "x-ms-blob-type:BlockBlob" : NULL, NULL};
  bool put = r->op == STORE_PUT && !r->listing;
  if (put && r->len) snprintf(len, sizeof len, "%zu", r->len);
  struct azure_sign_req sr = {.verb = verb,
                              .content_length = len,
                              .content_md5 = put ? md5_b64 : "",
                              .content_type = put ? "application/octet-stream" : "",
                              .ms_headers = ms,
                              .account = a->account,
                              .path = path,
                              .query = query};
  char *sts = store_azure__string_to_sign(&sr);
  char *sig = store_azure__signature(a->key, a->key_len, sts);
  char *auth = g_strdup_printf("Authorization: SharedKey %s:%s", a->account, sig);
  g_free(sts);
  g_free(sig);
  store_http__hdrs_free(r->hdrs);
  r->hdrs = curl_slist_append(NULL, auth);
  g_free(auth);
  char line[96];
  for (const char *const *m = ms; *m; m++) {
    const char *c = strchr(*m, ':');
    snprintf(line, sizeof line, "%.*s: %s", (int)(c - *m), *m, c + 1);
    r->hdrs = curl_slist_append(r->hdrs, line);
  }
  r->hdrs = curl_slist_append(r->hdrs, "Expect:"); /* unsigned by Shared Key: safe to drop */
  if (put) {
    snprintf(line, sizeof line, "Content-MD5: %s", md5_b64);
    r->hdrs = curl_slist_append(r->hdrs, line);
    r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/octet-stream");
  }
}

/* ---- requests ---- */

static void finish(struct store_http_req *r, CURLcode rc);

/* The path part of base_url ("" when none). */
static const char *base_path(const struct azure *a) {
  const char *p = strchr(strstr(a->base_url, "://") + 3, '/');
  return p ? p : "";
}


int store_azure__list_page(const char *b, size_t n, GPtrArray *keys, char **next) {
  *next = NULL;
  if (!memmem(b, n, "<EnumerationResults", 19)) return CM_EPARSE;
  const char *blobs = memmem(b, n, "<Blobs>", 7);
  if (blobs && !store_http__xml_values(blobs, n - (size_t)(blobs - b), "Name", keys, STORE_HTTP_LIST_KEYS_MAX))
    return keys->len >= STORE_HTTP_LIST_KEYS_MAX ? CM_ERANGE : CM_EPARSE;
  *next = store_http__xml_value(b, n, "NextMarker");
  if (*next && !**next) {
    g_free(*next);
    *next = NULL;
  }
  return 0;
}

static int send_list_page(struct store_http_req *r, const char **reason) {
  const struct azure *a = (const struct azure *)r->c;
  char *path = g_strdup_printf("%s/%s", base_path(a), a->container);
  char *qm = r->marker ? g_strdup_printf("marker=%s", r->marker) : NULL;
  char *qp = *r->prefix ? g_strdup_printf("prefix=%s", r->prefix) : NULL;
  const char *q[5] = {"comp=list", "restype=container"};
  size_t nq = 2;
  if (qm) q[nq++] = qm;
  if (qp) q[nq++] = qp;
  sign(a, r, "GET", path, q, NULL);
  char *em = r->marker ? store_http__escape(r->marker, false) : NULL;
  char *ep = store_http__escape(r->prefix, false);
  char *url = g_strdup_printf("%s/%s?comp=list%s%s%s%s&restype=container", a->base_url, a->container,
                              em ? "&marker=" : "", em ? em : "", *ep ? "&prefix=" : "", ep);
  int rc = store_http__send(r, url, reason);
  g_free(url);
  g_free(em);
  g_free(ep);
  g_free(qm);
  g_free(qp);
  g_free(path);
  return rc;
}

/* A get's body, or what the service says it stored, against what was sent
 * (when the service gives a Content-MD5). */
static bool intact(const struct store_http_req *r) {
  return !r->content_md5[0] || store_http__content_md5_check(r->content_md5, r->md5) >= 0;
}

static const struct store_http_dialect dialect = {"azure", store_azure__list_page, send_list_page, intact};

static void finish(struct store_http_req *r, CURLcode rc) { store_http__finish(r, rc, &dialect); }

static void *az_list(struct store_client *c, const char *prefix, store_list_done_fn done, void *arg,
                     const char **reason) {
  struct azure *a = (struct azure *)c;
  struct store_http_req *r = store_http__list_new(c, &a->live, a->timeout, finish, prefix, done, arg, reason);
  if (!r) return NULL;
  if (!send_list_page(r, reason)) return r;
  store_http__abort(r);
  return NULL;
}

static void *az_start(struct store_client *c, const struct store_op_req *req, store_done_fn done, void *arg,
                      const char **reason) {
  struct azure *a = (struct azure *)c;
  struct store_http_req *r = store_http__op_new(c, &a->live, a->timeout, finish, req, done, arg, reason);
  if (!r) return NULL;
  gchar *b64 = req->op == STORE_PUT ? g_base64_encode(r->md5, sizeof r->md5) : NULL;
  char *k = store_http__escape(req->key, true);
  char *path = g_strdup_printf("%s/%s/%s", base_path(a), a->container, k);
  sign(a, r, req->op == STORE_PUT ? "PUT" : req->op == STORE_GET ? "GET" : "DELETE", path, NULL, b64);
  char *url = g_strdup_printf("%s/%s/%s", a->base_url, a->container, k);
  int rc = store_http__send(r, url, reason);
  g_free(url);
  g_free(path);
  g_free(k);
  g_free(b64);
  if (!rc) return r;
  store_http__abort(r);
  return NULL;
}

static void az_abort(struct store_client *c, void *handle) {
  (void)c;
  if (handle) store_http__abort(handle);
}

static void az_free(struct store_client *c) {
  if (!c) return;
  struct azure *a = (struct azure *)c;
  store_http__abort_all(&a->live);
  sodium_memzero(a->key, a->key_len);
  g_free(a->key);
  g_free(a->name);
  g_free(a->account);
  g_free(a->base_url);
  g_free(a->container);
  g_free(a);
}

static const struct store_client_ops azure_ops = {
    .kind = "azure-blob", .start = az_start, .abort = az_abort, .free = az_free, .list = az_list};

static bool name_ok(const char *s, size_t lo, size_t hi, bool dash) {
  size_t n = s ? strlen(s) : 0;
  if (n < lo || n > hi) return false;
  for (size_t i = 0; i < n; i++)
    if (!(g_ascii_islower(s[i]) || g_ascii_isdigit(s[i]) || (dash && s[i] == '-'))) return false;
  return true;
}

struct store_client *store_azure_new(env *e, const struct store_endpoint *ep, char **err) {
  const char *name = ep && ep->name ? ep->name : "?";
#define FAIL(fmt, ...)                                                    \
  do {                                                                    \
    if (err) *err = g_strdup_printf("store %s: " fmt, name, __VA_ARGS__); \
    g_free(endpoint);                                                     \
    return NULL;                                                          \
  } while (0)
  char *endpoint = NULL;
  if (!e || !ep) FAIL("%s", "no endpoint");
  if (!name_ok(ep->account, 3, 24, false)) FAIL("%s", "account: missing or not 3-24 lower-case letters and digits");
  if (!name_ok(ep->bucket, 3, 63, true)) FAIL("%s", "container: missing or not 3-63 of a-z, 0-9 and '-'");
  endpoint = ep->endpoint && *ep->endpoint ? g_strdup(ep->endpoint)
                                           : g_strdup_printf("https://%s.blob.core.windows.net", ep->account);
  size_t el = strlen(endpoint);
  while (el && endpoint[el - 1] == '/') endpoint[--el] = 0;
  const char *host = strstr(endpoint, "://");
  if (!host || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0))
    FAIL("%s", "endpoint: not an http:// or https:// URL");
  host += 3;
  if (strpbrk(host, "@?#")) FAIL("%s", "endpoint: refused: a user name, password, query or fragment in the URL");
  if (!ep->account_key || !*ep->account_key) FAIL("%s", "no account key");
  gsize kl = 0;
  size_t al = strlen(ep->account_key);
  bool b64 = al % 4 == 0;
  for (size_t i = 0; b64 && i < al; i++)
    b64 = g_ascii_isalnum(ep->account_key[i]) || ep->account_key[i] == '+' || ep->account_key[i] == '/' ||
          (ep->account_key[i] == '=' && i + 2 >= al);
  guchar *key = b64 ? g_base64_decode(ep->account_key, &kl) : NULL;
  if (!key || kl == 0) {
    g_free(key);
    FAIL("%s", "account key: not base64");
  }
  struct azure *a = g_new0(struct azure, 1);
  a->base = (struct store_client){.ops = &azure_ops, .e = e};
  a->name = g_strdup(name);
  a->account = g_strdup(ep->account);
  a->container = g_strdup(ep->bucket);
  a->key = key;
  a->key_len = kl;
  a->timeout = ep->timeout;
  size_t acl = strlen(ep->account);
  bool has_path = strchr(host, '/') != NULL;
  bool account_host = strncmp(host, ep->account, acl) == 0 && host[acl] == '.';
  a->base_url = has_path || account_host ? g_strdup(endpoint) : g_strdup_printf("%s/%s", endpoint, ep->account);
  g_free(endpoint);
  return &a->base;
#undef FAIL
}
