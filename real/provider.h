/* Provider adapters: how one invocation becomes a real platform's HTTP
 * request, and how that platform's answer becomes an outcome (ok, throttled,
 * error, timeout, network) with the platform's own timing signals. One file
 * per platform kind (real/provider_<kind>.c), one const struct
 * provider_ops each, one line in provider_table (real/provider.c), as the
 * simulator's platform types are (sim/platform.h).
 *
 * Adapters are pure: they build and read memory, never touch a socket, so
 * each response parser has a unit test and a libFuzzer target. The HTTP
 * transfer itself is real/env_real_http.c (libcurl multi on the GLib loop).
 *
 * The wire contract between our client and the function we deploy (the same
 * handler runs on every platform, and `cloudmix emulate` answers as it would):
 *
 *   request body (JSON, Content-Type application/json), padded with the pad
 *   string to exactly inv->request_bytes when that is larger than the
 *   minimal body (otherwise the minimal body is sent):
 *     {"cloudmix":1,"id":"<u64>","function":"<scenario function>",
 *      "bin":<u32>,"response_bytes":<size>,"pad":"aaaa..."}
 *
 *   response body (JSON) from the handler, padded to response_bytes:
 *     {"cloudmix":1,"id":"<u64>","exec_ms":<double>,"init_ms":<double>,
 *      "cold":<true|false>,"mem_peak_mb":<double>,"mem_mean_mb":<double>,
 *      "mem_samples":<u32>,"pad":"..."}
 *   Any field may be missing (a peer such as moto echoes the request body):
 *   the adapter then uses the platform's signals alone, and where the
 *   platform gives none either, exec_time = latency (an upper bound).
 *
 * Timing signals by platform, preferred over the handler's self-report:
 *   lambda    X-Amz-Log-Type: Tail -> X-Amz-Log-Result (base64 log tail) whose
 *             REPORT line gives Duration (exec), Billed Duration, Init
 *             Duration (cold start: init_time, cold_start), Max Memory Used
 *             (mem_peak_mb); X-Amz-Function-Error -> INVOKE_ERROR; 429
 *             TooManyRequestsException -> INVOKE_THROTTLED.
 *   openfaas  X-Duration-Seconds (exec); 429 at max_inflight -> throttled;
 *             503 from a queue that timed out -> throttled (as sim/platform.h).
 *   fission   503 / 429 -> throttled; other 5xx -> error.
 *   azure, cloudrun  no platform timing: the handler's self-report; 429 ->
 *             throttled (Cloud Run's "no available instance").
 * Every adapter: 2xx -> ok (unless the platform marks a function error);
 * 401 / 403 -> error with reason "auth"; 504 / 408 -> INVOKE_TIMEOUT (a
 * gateway's or the platform's deadline: what the simulator answers at a
 * call's deadline); other 4xx and 5xx -> error. A
 * transfer that timed out -> INVOKE_TIMEOUT (http_status 504, as the sim);
 * no HTTP answer (refused, reset, malformed or truncated HTTP, body larger
 * than the limit) -> INVOKE_NETWORK (http_status 0). */
#ifndef CM_PROVIDER_H
#define CM_PROVIDER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "env.h"

#define PROVIDER_NAME_MAX 48
/* Largest response body read (bytes); a larger one ends INVOKE_NETWORK
 * with reason "oversized". */
#define PROVIDER_BODY_MAX (64u << 20)

/* Credentials, loaded once from their source (profile.h); the secret bytes
 * never leave this struct: not in logs, results or error messages. */
struct provider_secret {
  char *access_key_id;     /* AWS */
  char *secret_access_key; /* AWS */
  char *session_token;     /* AWS, may be NULL */
  char *function_key;      /* Azure x-functions-key */
  char *bearer_token;      /* Cloud Run identity token */
};

/* One provider of a real-mode profile, as the adapters need it. */
struct provider {
  char name[PROVIDER_NAME_MAX]; /* the scenario's provider name */
  const struct provider_ops *ops;
  char *endpoint;               /* base URL, no trailing slash, e.g. http://127.0.0.1:8080/aws-lambda */
  char *region;                 /* AWS region (SigV4 scope); NULL elsewhere */
  char *function_name;          /* remote name template: {function}, {bin}, {memory} expanded */
  struct provider_secret secret;
  cm_time timeout;              /* default per-call deadline when the invocation gives none */
  bool http2;                   /* speak HTTP/2 (profile http_version = 2) */
  double *bin_memory_mb;        /* memory of each compute bin ({memory}), nbins of them; owned */
  uint32_t nbins;
};

/* Give p the memory (MB) of each of its n compute bins, copied, for the
 * {memory} of function_name: the scenario knows them, the profile does not.
 * 0, or CM_EINVAL (NULL with n > 0, or a size not > 0). */
int provider_set_bins(struct provider *p, const double *memory_mb, uint32_t n);
/* Zero and free the secret strings (sodium_memzero), leaving NULLs. */
void provider_secret_clear(struct provider_secret *s);

/* An HTTP request an adapter builds. All strings g_malloc'd, freed by
 * http_req_clear. */
struct http_req {
  char *url;
  char **headers;      /* NULL-terminated "Name: value" lines (g_strfreev) */
  uint8_t *body;
  size_t body_len;
  char *aws_sigv4;     /* CURLOPT_AWS_SIGV4 value ("aws:amz:REGION:SERVICE"), or NULL */
  char *userpwd;       /* CURLOPT_USERPWD for SigV4 ("KEY:SECRET"), or NULL; secret */
};
void http_req_clear(struct http_req *r);

/* A response as the transfer saw it. headers: raw header lines as received
 * (each "Name: value", any case, no CR LF), nheaders of them. Borrowed. */
struct http_resp {
  long status;               /* HTTP status, 0 if no answer */
  const char *const *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
  cm_time latency;           /* request sent to response received */
};

/* The value of header name (case-insensitive) in r, leading spaces
 * trimmed, or NULL. Points into r's header line. */
const char *http_resp_header(const struct http_resp *r, const char *name, size_t *len);

struct provider_ops {
  const char *kind; /* "lambda", "lambda-url", "azure", "cloudrun", "openfaas", "fission" */
  /* Build the request for inv on p. 0, or CM_EINVAL with *err (one line,
   * no secret in it). */
  int (*prepare)(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err);
  /* Map a complete HTTP answer to out (status, http_status, exec_time,
   * init_time, cold_start, mem_*; latency is copied from r). *reason: a
   * static string naming why it failed ("throttled", "function_error",
   * "auth", "http_4xx", "http_5xx", ...) or "ok". Never fails: a malformed
   * body or header is ignored field by field and counted in *malformed. */
  void (*interpret)(const struct provider *p, const struct http_resp *r, struct invoke_result *out,
                    const char **reason, bool *malformed);
};

/* The adapters, NULL-terminated, one per kind (real/provider.c). */
extern const struct provider_ops *const provider_table[];
extern const struct provider_ops provider_lambda;
extern const struct provider_ops provider_lambda_url;
extern const struct provider_ops provider_azure;
extern const struct provider_ops provider_cloudrun;
extern const struct provider_ops provider_openfaas;
extern const struct provider_ops provider_fission;

/* The adapter for kind, or NULL. */
const struct provider_ops *provider_find(const char *kind);
/* "lambda, lambda-url, ..." (static). */
const char *provider_kinds(void);

/* The shared pieces every adapter uses (provider.c). */
/* The remote function name for inv (template expanded), g_malloc'd. */
char *provider__function_name(const struct provider *p, const struct invocation *inv, double memory_mb);
/* The request body of the wire contract above, g_malloc'd, *len set. */
uint8_t *provider__body(const struct invocation *inv, size_t *len);
/* Read the handler's self-report from a response body into out (fields
 * present only); false if the body is not one (then out is untouched). */
bool provider__self_report(const uint8_t *body, size_t len, struct invoke_result *out, bool *malformed);
/* Parse a Lambda REPORT log tail (already base64-decoded) into out. */
bool provider__lambda_report(const char *tail, size_t len, struct invoke_result *out, cm_time *billed);

/* The rest of the shared pieces, for the adapters only. */
/* Zero a string that may hold a secret (sodium_memzero), then g_free it. */
void provider__free_secret(char *s);
/* A request: POST url (taken) with Content-Type: application/json and the
 * wire body for inv; NULL-terminated extra header lines (copied) follow. 0,
 * or CM_EINVAL with *err (a body larger than PROVIDER_BODY_MAX). */
int provider__request(const struct invocation *inv, char *url, const char *const *headers,
                      struct http_req *out, char **err);
/* The outcome every adapter shares, by HTTP status alone: out zeroed but
 * for status, http_status and latency; 2xx ok, 0 network, 401 / 403 auth,
 * 429 throttled, other 4xx and 5xx http_4xx / http_5xx, anything else
 * "http_other" (an error). */
void provider__status(const struct http_resp *r, struct invoke_result *out, const char **reason);
/* The remote function name for inv on p, percent-escaped as one URL path
 * segment (RFC 3986 unreserved characters kept), g_malloc'd; or NULL with
 * *err when function_name asks for the {memory} of a bin without a size. */
char *provider__path_name(const struct provider *p, const struct invocation *inv, char **err);
/* SigV4 for the AWS kinds: out->aws_sigv4 = "aws:amz:REGION:lambda",
 * out->userpwd = "KEY:SECRET" and X-Amz-Security-Token appended to the
 * headers when a session token is set (provider_lambda.c). 0, or CM_EINVAL
 * with *err (no credentials, no region). */
int provider__aws_sign(const struct provider *p, struct http_req *out, char **err);
/* provider__status, and throttled for x-amzn-ErrorType
 * TooManyRequestsException[:...] whatever the code (provider_lambda.c). */
void provider__aws_status(const struct http_resp *r, struct invoke_result *out, const char **reason);
/* The adapters without platform timing signals: provider__status, 503 too
 * as throttled when busy_503, and provider__ok_body when ok. */
void provider__interpret_plain(const struct http_resp *r, bool busy_503, struct invoke_result *out,
                               const char **reason, bool *malformed);
/* An ok answer: the handler's self-report if the body is one, and
 * exec_time = latency (an upper bound) when nothing gave exec_time. */
void provider__ok_body(const struct http_resp *r, struct invoke_result *out, bool *malformed);

#endif
