/* S3 REST client (kinds "s3" and "gcs"): PutObject, GetObject,
 * DeleteObject and ListObjectsV2 over libcurl on the env's multi, signed
 * with SigV4 by curl (CURLOPT_AWS_SIGV4 "aws:amz:REGION:s3", key id and
 * secret through CURLOPT_USERPWD). GCS is the same client against its
 * S3-interoperable XML API with HMAC keys; the kind only changes the
 * defaults (region "auto", endpoint https://storage.googleapis.com).
 *
 * Addressing: path-style ENDPOINT/BUCKET/KEY, or virtual-host style
 * SCHEME://BUCKET.HOST[:PORT]/KEY (virtual_host; on loopback use the host
 * "localhost": curl resolves every *.localhost name to the loopback itself).
 * Keys are percent-encoded except unreserved bytes and '/'
 * (store_http__escape): that is both the request path and the SigV4
 * canonical URI, which curl 7.88 takes from the path as sent. A listing's
 * query is built in canonical order (sorted names, values escaped, '/' too).
 *
 * Payload signing: every request carries x-amz-content-sha256, signed:
 * UNSIGNED-PAYLOAD for a put (its body is streamed, never hashed with
 * SHA-256 first), the SHA-256 of the empty string otherwise; curl 7.88
 * signs a header we set and adds none for S3 by itself. A put sends
 * Content-MD5, computed in one pass over the caller's bytes or the filler
 * before the transfer starts, so the store checks the body; its answer's
 * ETag, when a plain MD5, must equal ours. The pass holds the loop: about
 * 1.6 ms per MB of caller bytes and at most 3 ms per MB of filler here
 * (0.1 and 0.2 s for 64 MB, measured with an earlier, costlier filler;
 * store_azure.c does the same).
 *
 * Sources: PutObject, GetObject, DeleteObject, ListObjectsV2 and "Error
 * responses" in the Amazon S3 API Reference
 * (https://docs.aws.amazon.com/AmazonS3/latest/API/); "Authenticating
 * Requests (AWS Signature Version 4)", "Signature Calculations for the
 * Authorization Header: Transferring Payload in a Single Chunk"
 * (UNSIGNED-PAYLOAD); GCS "Simple migration from Amazon S3"
 * (https://cloud.google.com/storage/docs/aws-simple-migration).
 *
 * Outcomes: 404 NoSuchKey -> CM_ENOENT on a get; a delete of a missing key
 * is answered 204 by S3 (deletes are idempotent) and ends 0 here, not
 * CM_ENOENT: telling the two apart would take a HEAD before every delete
 * and still race with other writers (a documented deviation from env.h).
 * 401/403 -> "auth", 5xx -> "server_error", the rest as store_http.h. */
#include "store_http.h"

#include <sodium.h>
#include <string.h>

#define EMPTY_SHA256 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

struct s3 {
  struct store_client base;
  char *name;
  char *obj_base;  /* URL up to the escaped key: ENDPOINT/BUCKET/ or SCHEME://BUCKET.HOST/ */
  char *list_base; /* URL of the bucket, before its query */
  char *sigv4;     /* "aws:amz:REGION:s3" */
  char *userpwd;   /* "KEY:SECRET": secret, zeroed at free */
  char *token_hdr; /* "x-amz-security-token: ...", or NULL: secret, zeroed at free */
  cm_time timeout;
  struct store_http_req *live;
};

static void finish(struct store_http_req *r, CURLcode rc);

int store_s3__list_page(const char *b, size_t n, GPtrArray *keys, char **next) {
  *next = NULL;
  if (!memmem(b, n, "<ListBucketResult", 17)) return CM_EPARSE;
  if (!store_http__xml_values(b, n, "Key", keys, STORE_HTTP_LIST_KEYS_MAX))
    return keys->len >= STORE_HTTP_LIST_KEYS_MAX ? CM_ERANGE : CM_EPARSE;
  char *trunc = store_http__xml_value(b, n, "IsTruncated");
  bool more = trunc && strcmp(trunc, "true") == 0;
  g_free(trunc);
  if (!more) return 0;
  *next = store_http__xml_value(b, n, "NextContinuationToken");
  if (*next && **next) return 0;
  g_free(*next);
  *next = NULL;
  return CM_EPARSE; /* truncated without a token: never loop */
}

/* The headers every request carries; body_sha: the x-amz-content-sha256 value. */
static struct curl_slist *base_headers(const struct s3 *s, const char *body_sha) {
  char h[96];
  snprintf(h, sizeof h, "x-amz-content-sha256: %s", body_sha);
  struct curl_slist *l = curl_slist_append(NULL, h);
  if (s->token_hdr) l = curl_slist_append(l, s->token_hdr);
  return l;
}

static void sign(const struct s3 *s, struct store_http_req *r) {
  curl_easy_setopt(r->easy, CURLOPT_AWS_SIGV4, s->sigv4);
  curl_easy_setopt(r->easy, CURLOPT_USERPWD, s->userpwd);
}

static int send_list_page(struct store_http_req *r, const char **reason) {
  const struct s3 *s = (const struct s3 *)r->c;
  char *p = store_http__escape(r->prefix, false);
  char *t = r->marker ? store_http__escape(r->marker, false) : NULL;
  /* names in canonical (sorted) order */
  char *url = g_strdup_printf("%s?%s%s%slist-type=2&prefix=%s", s->list_base, t ? "continuation-token=" : "",
                              t ? t : "", t ? "&" : "", p);
  g_free(p);
  g_free(t);
  store_http__hdrs_free(r->hdrs);
  r->hdrs = base_headers(s, EMPTY_SHA256);
  sign(s, r);
  int rc = store_http__send(r, url, reason);
  g_free(url);
  return rc;
}

/* A get's body against its ETag; a put's ETag against the body we sent
 * (an SSE-KMS or SSE-C object's ETag is no MD5: not checked). */
static bool intact(const struct store_http_req *r) {
  return r->etag_not_md5 || store_http__etag_check(r->etag, r->md5) >= 0;
}

static const struct store_http_dialect dialect = {"s3", store_s3__list_page, send_list_page, intact};

static void finish(struct store_http_req *r, CURLcode rc) { store_http__finish(r, rc, &dialect); }

static void *s3_list(struct store_client *c, const char *prefix, store_list_done_fn done, void *arg,
                     const char **reason) {
  struct s3 *s = (struct s3 *)c;
  struct store_http_req *r = store_http__list_new(c, &s->live, s->timeout, finish, prefix, done, arg, reason);
  if (!r) return NULL;
  if (!send_list_page(r, reason)) return r;
  store_http__abort(r);
  return NULL;
}

static void *s3_start(struct store_client *c, const struct store_op_req *req, store_done_fn done, void *arg,
                      const char **reason) {
  struct s3 *s = (struct s3 *)c;
  struct store_http_req *r = store_http__op_new(c, &s->live, s->timeout, finish, req, done, arg, reason);
  if (!r) return NULL;
  if (req->op == STORE_PUT) {
    gchar *b64 = g_base64_encode(r->md5, sizeof r->md5);
    char h[64];
    snprintf(h, sizeof h, "Content-MD5: %s", b64);
    g_free(b64);
    r->hdrs = base_headers(s, "UNSIGNED-PAYLOAD");
    r->hdrs = curl_slist_append(r->hdrs, h);
    r->hdrs = curl_slist_append(r->hdrs, "Content-Type: application/octet-stream");
  } else {
    r->hdrs = base_headers(s, EMPTY_SHA256);
  }
  sign(s, r);
  char *k = store_http__escape(req->key, true);
  char *url = g_strconcat(s->obj_base, k, NULL);
  g_free(k);
  int rc = store_http__send(r, url, reason);
  g_free(url);
  if (!rc) return r;
  store_http__abort(r);
  return NULL;
}

static void s3_abort(struct store_client *c, void *handle) {
  (void)c;
  if (handle) store_http__abort(handle);
}

static void zfree(char *p) {
  if (!p) return;
  sodium_memzero(p, strlen(p));
  g_free(p);
}

static void s3_free(struct store_client *c) {
  if (!c) return;
  struct s3 *s = (struct s3 *)c;
  store_http__abort_all(&s->live);
  zfree(s->userpwd);
  zfree(s->token_hdr);
  g_free(s->name);
  g_free(s->obj_base);
  g_free(s->list_base);
  g_free(s->sigv4);
  g_free(s);
}

static const struct store_client_ops s3_ops = {
    .kind = "s3", .start = s3_start, .abort = s3_abort, .free = s3_free, .list = s3_list};
static const struct store_client_ops gcs_ops = {
    .kind = "gcs", .start = s3_start, .abort = s3_abort, .free = s3_free, .list = s3_list};

/* A bucket name S3 accepts in a path (3-63 of a-z 0-9 . - _), and, for a
 * virtual host, in a DNS label (no '_'). */
static bool bucket_ok(const char *b, bool vhost) {
  size_t n = strlen(b);
  if (n < 3 || n > 63) return false;
  for (size_t i = 0; i < n; i++)
    if (!(g_ascii_islower(b[i]) || g_ascii_isdigit(b[i]) || b[i] == '.' || b[i] == '-' || (b[i] == '_' && !vhost)))
      return false;
  return true;
}

struct store_client *store_s3_new(env *e, const struct store_endpoint *ep, char **err) {
  const char *name = ep && ep->name ? ep->name : "?";
  bool gcs = ep && ep->kind && strcmp(ep->kind, "gcs") == 0;
#define FAIL(fmt, ...)                                                    \
  do {                                                                    \
    if (err) *err = g_strdup_printf("store %s: " fmt, name, __VA_ARGS__); \
    g_free(endpoint);                                             \
    return NULL;                                                  \
  } while (0)
  char *endpoint = NULL;
  if (!e || !ep) FAIL("%s", "no endpoint");
  const char *region = ep->region && *ep->region ? ep->region : gcs ? "auto" : "us-east-1";
  endpoint = g_strdup(ep->endpoint && *ep->endpoint ? ep->endpoint
                      : gcs ? "https://storage.googleapis.com"
                            : NULL);
  if (!endpoint) endpoint = g_strdup_printf("https://s3.%s.amazonaws.com", region);
  size_t el = strlen(endpoint);
  while (el && endpoint[el - 1] == '/') endpoint[--el] = 0;
  const char *host = strstr(endpoint, "://");
  if (!host || (strncmp(endpoint, "http://", 7) != 0 && strncmp(endpoint, "https://", 8) != 0))
    FAIL("%s", "endpoint: not an http:// or https:// URL");
  host += 3;
  if (strchr(host, '@')) FAIL("%s", "endpoint: refused: the URL holds a user name or password");
  if (strchr(host, '?') || strchr(host, '#')) FAIL("%s", "endpoint: a query or fragment");
  if (!ep->bucket || !bucket_ok(ep->bucket, ep->virtual_host))
    FAIL("bucket: missing or not a valid %sbucket name", ep->virtual_host ? "virtual-host " : "");
  if (!ep->access_key || !*ep->access_key || !ep->secret_key || !*ep->secret_key)
    FAIL("%s", "no access key and secret (HMAC key for gcs)");
  if (strchr(ep->access_key, ':')) FAIL("%s", "access key: holds ':'");
  for (const char *p = region; *p; p++)
    if (!g_ascii_isalnum(*p) && *p != '-') FAIL("%s", "region: not a region name");
  if (ep->session_token && strpbrk(ep->session_token, "\r\n")) FAIL("%s", "session token: holds a line break");
  if (ep->virtual_host && strchr(host, '/')) FAIL("%s", "endpoint: a path with virtual_host");
  struct s3 *s = g_new0(struct s3, 1);
  s->base = (struct store_client){.ops = gcs ? &gcs_ops : &s3_ops, .e = e};
  s->name = g_strdup(name);
  if (ep->virtual_host) {
    s->list_base = g_strdup_printf("%.*s%s.%s/", (int)(host - endpoint), endpoint, ep->bucket, host);
    s->obj_base = g_strdup(s->list_base);
  } else {
    s->list_base = g_strdup_printf("%s/%s", endpoint, ep->bucket);
    s->obj_base = g_strdup_printf("%s/%s/", endpoint, ep->bucket);
  }
  s->sigv4 = g_strdup_printf("aws:amz:%s:s3", region);
  s->userpwd = g_strdup_printf("%s:%s", ep->access_key, ep->secret_key);
  if (ep->session_token && *ep->session_token)
    s->token_hdr = g_strdup_printf("x-amz-security-token: %s", ep->session_token);
  s->timeout = ep->timeout;
  g_free(endpoint);
  return &s->base;
#undef FAIL
}
