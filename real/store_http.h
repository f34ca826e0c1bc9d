/* What the two HTTP storage clients share (inside real/, not for model
 * code): one request as a curl easy handle on the env's multi
 * (real_http__add_easy), its streamed body, the bounded response, the
 * mapping of a transfer's end to (status, reason), and the pure pieces the
 * unit tests and fuzz targets call directly: key escaping, a small bounded
 * XML reader for error bodies and listings, MD5 and ETag checks.
 * store_s3.c and store_azure.c each build their request (URL, headers,
 * signature) and read their answer; everything else is here. */
#ifndef CM_STORE_HTTP_H
#define CM_STORE_HTTP_H

#include <curl/curl.h>
#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

/* Response bodies kept: an error body is cut at STORE_HTTP_ERROR_MAX
 * (the rest is read and dropped), a listing page fails "oversized" past
 * STORE_HTTP_LIST_MAX, an object past STORE_HTTP_OBJECT_MAX. */
#define STORE_HTTP_ERROR_MAX (64u << 10)
#define STORE_HTTP_LIST_MAX (8u << 20)
#define STORE_HTTP_OBJECT_MAX ((size_t)1 << 30)
/* Keys a listing gathers at most over all its pages ("oversized" past it). */
#define STORE_HTTP_LIST_KEYS_MAX 1000000u
#define STORE_HTTP_MD5_BYTES 16

/* ---- pure helpers (no I/O) ---- */

/* s percent-encoded (g_malloc'd): every byte but A-Z a-z 0-9 - . _ ~ as
 * %XX (upper-case hex), and '/' kept as is when keep_slash (an object key
 * in a URL path); the encoding S3's SigV4 canonical URI and Azure's
 * canonicalized resource expect. */
char *store_http__escape(const char *s, bool keep_slash);

/* An <Error><Code>C</Code><Message>M</Message></Error> body (S3, GCS and
 * Azure Blob alike), read within len bytes (no NUL needed): true when it
 * has a Code, copied into code (entities decoded, controls as '?', cut to
 * the buffer); message likewise, "" when absent. Anything else (another
 * document, truncated, an unterminated or oversized element) is false. */
struct store_http_error {
  char code[64];
  char message[256];
};
bool store_http__parse_error(const char *body, size_t len, struct store_http_error *out);

/* The text of every <tag>...</tag> element within len bytes of body, in
 * order, entities decoded, appended to out (char*, g_malloc'd; at most max
 * in out in all). false on a malformed element (unterminated, a value over
 * 4 KiB, a bad entity) or more than max. */
bool store_http__xml_values(const char *body, size_t len, const char *tag, GPtrArray *out, size_t max);
/* The first <tag>...</tag>'s text (g_malloc'd), or NULL (absent or malformed). */
char *store_http__xml_value(const char *body, size_t len, const char *tag);

/* An ETag header value against a body's MD5: 1 when it is a plain quoted
 * or bare 32-hex MD5 equal to md5, 0 when it names no MD5 (multipart
 * "...-N", or any other shape: nothing to check), -1 on a mismatch. */
int store_http__etag_check(const char *etag, const uint8_t md5[STORE_HTTP_MD5_BYTES]);
/* A base64 Content-MD5 header value: 1 equal, -1 different or not a 16-byte base64. */
int store_http__content_md5_check(const char *b64, const uint8_t md5[STORE_HTTP_MD5_BYTES]);

/* The filler a put of value NULL sends: byte i of the object, n bytes from
 * offset off into dst; byte o is o mod 256, as a virtual object of every
 * client (store_redis.c; `cloudmix store put --bytes N`). */
void store_http__filler(uint8_t *dst, size_t off, size_t n);
/* The MD5 of a put's body (value, or the filler when value is NULL). */
void store_http__body_md5(const uint8_t *value, size_t len, uint8_t out[STORE_HTTP_MD5_BYTES]);

/* One ListObjectsV2 page (a <ListBucketResult> body of n bytes; store_s3.c):
 * its keys appended to keys (char*, g_malloc'd), *next the continuation
 * token (g_malloc'd) when IsTruncated is true, else NULL. 0, CM_EPARSE (not
 * a listing, a malformed key, truncated without a token) or CM_ERANGE (more
 * than STORE_HTTP_LIST_KEYS_MAX keys). */
int store_s3__list_page(const char *b, size_t n, GPtrArray *keys, char **next);

/* ---- one request on the env's curl multi ---- */

struct store_http_req;
/* The client's reading of a finished transfer (rc CURLE_OK: r->status,
 * r->body, r->etag... hold the answer). It ends the request with
 * store_http__end or issues the next page (store_http__send again). */
typedef void (*store_http_finish_fn)(struct store_http_req *r, CURLcode rc);

struct store_http_req {
  struct store_client *c;
  struct store_http_req **live; /* the client's list of requests in flight */
  struct store_http_req *prev, *next;
  CURL *easy;
  struct curl_slist *hdrs;
  store_http_finish_fn finish;
  store_done_fn done; /* get, put, delete */
  store_list_done_fn list_done;
  void *arg;
  enum store_op op;
  bool listing, length_only;
  cm_time deadline;
  /* a put's body */
  const uint8_t *value; /* NULL: the filler */
  size_t len, off;
  uint8_t md5[STORE_HTTP_MD5_BYTES]; /* put: of the body sent; get: of the body received */
  /* the answer */
  long status;
  GByteArray *body;    /* a get's object (unless length_only), a listing page or an error body */
  size_t got;          /* body bytes received (a get's length) */
  GChecksum *hash;     /* MD5 of a 2xx get's body as it arrives */
  char etag[96];       /* ETag header, "" if none */
  char content_md5[64];/* Content-MD5 header, "" if none */
  bool oversized;
  bool etag_not_md5;   /* the object is SSE-KMS or SSE-C encrypted: its ETag is no MD5 */
  /* a listing */
  GPtrArray *keys;     /* char*, owned */
  char *prefix, *marker; /* the prefix asked; the next page's token or marker (NULL: first page) */
};

/* A new request of client c (live: the client's list), its easy handle
 * ready for the client's URL and headers. */
struct store_http_req *store_http__req_new(struct store_client *c, struct store_http_req **live, enum store_op op,
                                           bool listing, cm_time deadline);
/* The request of start() for req (a checked key and done; NULL with
 * *reason "invalid" otherwise): its callbacks and, for a put, its body and
 * the body's MD5 (r->md5) set; the client adds the URL and headers. */
struct store_http_req *store_http__op_new(struct store_client *c, struct store_http_req **live, cm_time timeout,
                                          store_http_finish_fn finish, const struct store_op_req *req,
                                          store_done_fn done, void *arg, const char **reason);
/* The request of list() for prefix (NULL: all), or NULL with *reason
 * "invalid" when done is NULL. */
struct store_http_req *store_http__list_new(struct store_client *c, struct store_http_req **live, cm_time timeout,
                                            store_http_finish_fn finish, const char *prefix, store_list_done_fn done,
                                            void *arg, const char **reason);
/* Set what every request shares (callbacks, timeouts from r->deadline,
 * the put body) and add it to the env's multi; url and r->hdrs are the
 * client's. Returns 0, or a CM_E* code with *reason set ("timeout" when the
 * deadline has passed): then the caller ends r (store_http__end) or drops
 * it (store_http__abort). */
int store_http__send(struct store_http_req *r, const char *url, const char **reason);
/* End r: unlink, call its done once with (status, reason, value, len) or,
 * for a listing, its list_done with the keys, then free r. */
void store_http__end(struct store_http_req *r, int status, const char *reason);
/* Free a request's header list, zeroed first (it may hold a session token). */
void store_http__hdrs_free(struct curl_slist *l);
/* Abort r (off the multi, no callback) and free it. */
void store_http__abort(struct store_http_req *r);
/* Free every request in *live without callbacks. */
void store_http__abort_all(struct store_http_req **live);

/* The (status, reason) of a transfer that did not complete (rc != CURLE_OK). */
int store_http__transport_status(const struct store_http_req *r, CURLcode rc, const char **reason);
/* The (status, reason) of a complete HTTP answer that is not 2xx: 404 ->
 * CM_ENOENT "not_found" when missing names the object (enoent true), 401 /
 * 403 -> "auth", 5xx -> "server_error", 429 -> "throttled", a 404 naming
 * the bucket or container -> "no_container", other 4xx -> "client_error",
 * 3xx -> "redirect" (never followed). The error body is parsed (kept in
 * *err, for logs). */
int store_http__http_status(const struct store_http_req *r, bool enoent, const char **reason,
                            struct store_http_error *err);

/* What the kinds of HTTP store do differently when a transfer ends: how
 * a listing page reads (store_s3__list_page, store_azure__list_page), how
 * the next page is asked (store_http__send), and whether a 2xx body is the
 * one sent or stored (false: the request fails "integrity"). */
struct store_http_dialect {
  const char *kind; /* for logs: "s3", "azure" */
  int (*parse_page)(const char *b, size_t n, GPtrArray *keys, char **next);
  int (*send_page)(struct store_http_req *r, const char **reason);
  bool (*intact)(const struct store_http_req *r);
};
/* A client's store_http_finish_fn in full: a failed transfer, a non-2xx
 * answer (store_http__http_status), a listing page (its keys gathered, then
 * the next page asked or the listing ended; a page that makes no progress
 * ends it "malformed", one over STORE_HTTP_LIST_KEYS_MAX keys "oversized"),
 * or a 2xx answer checked by d->intact; r ends here unless a page was asked. */
void store_http__finish(struct store_http_req *r, CURLcode rc, const struct store_http_dialect *d);

/* The deadline of a request: req's, or now + the endpoint's timeout (30 s
 * when 0) when req gives none (<= 0). */
cm_time store_http__deadline(env *e, cm_time deadline, cm_time timeout);

#endif
