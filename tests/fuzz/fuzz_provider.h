/* The body of the adapter fuzz targets, fuzz_provider_<kind>.c, each of
 * which defines FZ_KIND and includes this. The input is an HTTP answer as
 * text: a first line with the status (decimal), header lines up to an empty
 * line, then the body (fz_http_split). Each header line and the body are
 * copied to buffers of their exact size, so ASan sees any read past them.
 * interpret must end in one consistent outcome: a known reason that agrees
 * with the status, sane times and memory, nothing from a call that did not
 * run. Build and run: make fuzz. */
#ifndef CM_FUZZ_PROVIDER_H
#define CM_FUZZ_PROVIDER_H

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "provider.h"

#define FZ_HEADERS_MAX 64

static void fz_check_result(const struct invoke_result *r, const char *reason, long status) {
  static const char *const known[] = {"ok", "network", "auth", "throttled", "http_4xx", "http_5xx",
                                      "http_other", "function_error", "gateway_timeout", NULL};
  int k = 0;
  CHECK(reason);
  while (known[k] && strcmp(known[k], reason)) k++;
  CHECK(known[k]);
  CHECK(r->status == INVOKE_OK || r->status == INVOKE_ERROR || r->status == INVOKE_THROTTLED ||
        r->status == INVOKE_NETWORK || r->status == INVOKE_TIMEOUT);
  /* a gateway's (or the platform's) deadline answer, and only that, is a timeout */
  CHECK((r->status == INVOKE_TIMEOUT) == !strcmp(reason, "gateway_timeout"));
  if (r->status == INVOKE_TIMEOUT) CHECK(status == 504 || status == 408);
  CHECK((r->status == INVOKE_OK) == !strcmp(reason, "ok"));
  CHECK((r->status == INVOKE_THROTTLED) == !strcmp(reason, "throttled"));
  CHECK((r->status == INVOKE_NETWORK) == (status == 0));
  CHECK(r->http_status == (status >= 0 && status <= 999 ? status : 0));
  CHECK(r->latency == CM_MS(250));
  CHECK(r->exec_time >= 0 && r->init_time >= 0);
  CHECK(isfinite(r->mem_peak_mb) && r->mem_peak_mb >= 0 && isfinite(r->mem_mean_mb) && r->mem_mean_mb >= 0);
  bool ran = r->status == INVOKE_OK || !strcmp(reason, "function_error");
  if (!ran) CHECK(r->exec_time == 0 && r->init_time == 0 && !r->cold_start && r->mem_peak_mb == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  const struct provider_ops *ops = provider_find(FZ_KIND);
  CHECK(ops);
  struct provider p = {.ops = ops, .endpoint = (char *)"http://127.0.0.1:1", .function_name = (char *)"{function}"};
  const uint8_t *end = data + size, *q = data, *nl;
  long status = 0;
  for (int i = 0; q < end && *q != '\n' && i < 4; q++, i++) status = g_ascii_isdigit(*q) ? status * 10 + (*q - '0') : status;
  while (q < end && *q != '\n') q++;
  if (q < end) q++;
  char *headers[FZ_HEADERS_MAX];
  size_t nh = 0;
  while (q < end && *q != '\n' && nh < FZ_HEADERS_MAX) {
    nl = memchr(q, '\n', (size_t)(end - q));
    if (!nl) nl = end;
    headers[nh] = malloc((size_t)(nl - q) + 1);
    memcpy(headers[nh], q, (size_t)(nl - q));
    headers[nh++][nl - q] = '\0';
    q = nl < end ? nl + 1 : end;
  }
  if (q < end && *q == '\n') q++;
  size_t blen = (size_t)(end - q);
  uint8_t *body = malloc(blen ? blen : 1);
  memcpy(body, q, blen);
  struct http_resp r = {.status = status, .headers = (const char *const *)headers, .nheaders = nh,
                        .body = blen ? body : NULL, .body_len = blen, .latency = CM_MS(250)};
  struct invoke_result out;
  memset(&out, 0x5a, sizeof out);
  const char *reason = NULL;
  bool malformed = false;
  ops->interpret(&p, &r, &out, &reason, &malformed);
  fz_check_result(&out, reason, status);
  free(body);
  for (size_t i = 0; i < nh; i++) free(headers[i]);
  return 0;
}

#endif
