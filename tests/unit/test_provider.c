/* Provider adapters (real/provider*.c): each kind's request (URL, headers,
 * SigV4 scope, body of exactly request_bytes) and its reading of answers
 * (ok, throttled, function error, auth, 4xx / 5xx, the Lambda REPORT line
 * warm and cold, X-Duration-Seconds, the handler's self-report), with
 * malformed headers and bodies flagged and never trusted. */
#include "cmocka_inc.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "provider.h"

#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYPLANTED"

static struct provider prov(const char *kind) {
  struct provider p = {.ops = provider_find(kind), .endpoint = (char *)"http://127.0.0.1:8080/base",
                       .function_name = (char *)"{function}", .timeout = CM_S(30)};
  g_strlcpy(p.name, "p1", sizeof p.name);
  return p;
}

static const struct invocation inv0 = {.id = 42, .function = "resize", .bin = 1, .request_bytes = 1000,
                                       .response_bytes = 10};

static bool has_header(const struct http_req *r, const char *line) {
  for (size_t i = 0; r->headers && r->headers[i]; i++)
    if (!strcmp(r->headers[i], line)) return true;
  return false;
}

static void prepare_ok(const struct provider *p, const struct invocation *inv, struct http_req *r) {
  char *err = NULL;
  int rc = p->ops->prepare(p, inv, r, &err);
  if (rc) fail_msg("prepare: %s", err);
  assert_null(err);
  assert_true(has_header(r, "Content-Type: application/json"));
  assert_int_equal(r->body_len, inv->request_bytes > 200 ? inv->request_bytes : r->body_len);
}

static void test_table(void **state CM_UNUSED) {
  GString *k = g_string_new(NULL);
  size_t n = 0;
  for (const struct provider_ops *const *t = provider_table; *t; t++, n++) {
    assert_ptr_equal(provider_find((*t)->kind), *t);
    g_string_append_printf(k, "%s%s", k->len ? ", " : "", (*t)->kind);
  }
  assert_int_equal(n, 6);
  assert_string_equal(provider_kinds(), k->str);
  assert_null(provider_find("aws"));
  assert_null(provider_find(NULL));
  g_string_free(k, TRUE);
}

static void test_header_lookup(void **state CM_UNUSED) {
  const char *h[] = {"x-amz-log-result-extra: no", "X-AMZ-Log-Result:   abc  ", "Content-Length: 3", "Broken"};
  struct http_resp r = {.status = 200, .headers = h, .nheaders = 4};
  size_t n = 0;
  const char *v = http_resp_header(&r, "X-Amz-Log-Result", &n);
  assert_non_null(v);
  assert_int_equal(n, 3);
  assert_memory_equal(v, "abc", 3);
  assert_null(http_resp_header(&r, "X-Amz-Log", &n));
  assert_int_equal(n, 0);
  assert_null(http_resp_header(&r, "Broken", NULL));
  r.nheaders = 2; /* never past nheaders */
  assert_null(http_resp_header(&r, "content-length", NULL));
}

static void test_function_name(void **state CM_UNUSED) {
  struct provider p = prov("openfaas");
  p.function_name = (char *)"cm-{function}-{bin}-{memory}-{other}";
  char *n = provider__function_name(&p, &inv0, 1769);
  assert_string_equal(n, "cm-resize-1-1769-{other}");
  g_free(n);
  assert_null(provider__function_name(&p, &inv0, 0)); /* {memory} of an unknown bin */
  p.function_name = (char *)"{function}";
  n = provider__function_name(&p, &inv0, 0);
  assert_string_equal(n, "resize");
  g_free(n);
}

static void test_body(void **state CM_UNUSED) {
  struct invocation inv = inv0;
  inv.function = "q\"uo\\te\n";
  size_t len = 0;
  uint8_t *b = provider__body(&inv, &len);
  assert_int_equal(len, 1000);
  const char *want = "{\"cloudmix\":1,\"id\":\"42\",\"function\":\"q\\\"uo\\\\te\\u000a\",\"bin\":1,"
                     "\"response_bytes\":10,\"pad\":\"aaa";
  assert_memory_equal(b, want, strlen(want));
  assert_memory_equal(b + len - 3, "a\"}", 3);
  g_free(b);
  inv.request_bytes = 10; /* smaller than the minimal body: that is sent */
  b = provider__body(&inv, &len);
  assert_true(len > 10);
  assert_memory_equal(b + len - 9, "\"pad\":\"\"}", 9);
  g_free(b);
  inv.request_bytes = (size_t)PROVIDER_BODY_MAX + 1;
  assert_null(provider__body(&inv, &len));
}

static void test_prepare_lambda(void **state CM_UNUSED) {
  struct provider p = prov("lambda");
  struct http_req r;
  char *err = NULL;
  p.region = (char *)"eu-west-1";
  assert_int_equal(p.ops->prepare(&p, &inv0, &r, &err), CM_EINVAL); /* no credentials */
  assert_non_null(strstr(err, "no AWS credentials"));
  g_free(err);
  p.secret.access_key_id = (char *)"AKIDEXAMPLE";
  p.secret.secret_access_key = (char *)SECRET;
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/2015-03-31/functions/resize/invocations");
  assert_true(has_header(&r, "X-Amz-Invocation-Type: RequestResponse"));
  assert_true(has_header(&r, "X-Amz-Log-Type: Tail"));
  assert_string_equal(r.aws_sigv4, "aws:amz:eu-west-1:lambda");
  assert_string_equal(r.userpwd, "AKIDEXAMPLE:" SECRET);
  assert_int_equal(g_strv_length(r.headers), 3); /* no session token */
  http_req_clear(&r);
  assert_null(r.url);
  p.secret.session_token = (char *)"TOKEN123";
  struct invocation inv = inv0;
  inv.function = "a/b c"; /* one path segment, escaped */
  prepare_ok(&p, &inv, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/2015-03-31/functions/a%2Fb%20c/invocations");
  assert_true(has_header(&r, "X-Amz-Security-Token: TOKEN123"));
  http_req_clear(&r);
  inv.request_bytes = (size_t)PROVIDER_BODY_MAX + 1;
  assert_int_equal(p.ops->prepare(&p, &inv, &r, &err), CM_EINVAL);
  assert_null(strstr(err, SECRET));
  g_free(err);
  p.function_name = (char *)"{function}-{memory}"; /* no bins given */
  assert_int_equal(p.ops->prepare(&p, &inv0, &r, &err), CM_EINVAL);
  assert_non_null(strstr(err, "{memory}"));
  g_free(err);
  const double mem[] = {128, 1769};
  assert_int_equal(provider_set_bins(&p, mem, 2), 0);
  assert_int_equal(provider_set_bins(&p, (const double[]){-1}, 1), CM_EINVAL);
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/2015-03-31/functions/resize-1769/invocations");
  http_req_clear(&r);
  g_free(p.bin_memory_mb);
}

static void test_prepare_others(void **state CM_UNUSED) {
  struct http_req r;
  struct provider p = prov("lambda-url");
  p.endpoint = (char *)"https://{function}.lambda-url.us-east-1.on.aws";
  prepare_ok(&p, &inv0, &r); /* no credentials: unsigned (auth type NONE) */
  assert_string_equal(r.url, "https://resize.lambda-url.us-east-1.on.aws");
  assert_null(r.aws_sigv4);
  assert_null(r.userpwd);
  http_req_clear(&r);
  p.region = (char *)"us-east-1";
  p.secret = (struct provider_secret){.access_key_id = (char *)"AK", .secret_access_key = (char *)SECRET};
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.aws_sigv4, "aws:amz:us-east-1:lambda");
  http_req_clear(&r);

  p = prov("azure");
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/api/resize");
  assert_int_equal(g_strv_length(r.headers), 1); /* anonymous: no key header */
  http_req_clear(&r);
  p.secret.function_key = (char *)SECRET;
  prepare_ok(&p, &inv0, &r);
  assert_true(has_header(&r, "x-functions-key: " SECRET));
  http_req_clear(&r);

  p = prov("cloudrun");
  p.secret.bearer_token = (char *)"eyJ.tok";
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/resize");
  assert_true(has_header(&r, "Authorization: Bearer eyJ.tok"));
  http_req_clear(&r);

  p = prov("openfaas");
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/function/resize");
  assert_null(r.aws_sigv4);
  http_req_clear(&r);

  p = prov("fission");
  prepare_ok(&p, &inv0, &r);
  assert_string_equal(r.url, "http://127.0.0.1:8080/base/fission-function/resize");
  assert_int_equal(r.body_len, 1000);
  http_req_clear(&r);
}

/* interpret of kind on (status, headers, body); latency 500 ms. */
struct seen {
  struct invoke_result res;
  const char *reason;
  bool malformed;
};
static struct seen interp(const char *kind, long status, const char *const *headers, const char *body) {
  struct provider p = prov(kind);
  struct seen s = {.reason = NULL};
  size_t n = 0;
  while (headers && headers[n]) n++;
  size_t blen = body ? strlen(body) : 0;
  uint8_t *copy = blen ? g_memdup2(body, blen) : NULL; /* exactly blen bytes: ASan sees overreads */
  struct http_resp r = {.status = status, .headers = headers, .nheaders = n, .body = copy, .body_len = blen,
                        .latency = CM_MS(500)};
  memset(&s.res, 0xa5, sizeof s.res);
  p.ops->interpret(&p, &r, &s.res, &s.reason, &s.malformed);
  g_free(copy);
  assert_int_equal(s.res.latency, CM_MS(500));
  return s;
}

static void expect(struct seen s, enum invoke_status st, int http, const char *reason) {
  assert_int_equal(s.res.status, st);
  assert_int_equal(s.res.http_status, http);
  assert_string_equal(s.reason, reason);
}

static void test_status_mapping(void **state CM_UNUSED) {
  for (const struct provider_ops *const *t = provider_table; *t; t++) {
    const char *k = (*t)->kind;
    expect(interp(k, 200, NULL, NULL), INVOKE_OK, 200, "ok");
    assert_int_equal(interp(k, 200, NULL, NULL).res.exec_time, CM_MS(500)); /* no signal: latency */
    assert_int_equal(interp(k, 200, NULL, NULL).res.init_time, 0);
    expect(interp(k, 401, NULL, NULL), INVOKE_ERROR, 401, "auth");
    expect(interp(k, 403, NULL, "{\"message\":\"Forbidden\"}"), INVOKE_ERROR, 403, "auth");
    expect(interp(k, 429, NULL, NULL), INVOKE_THROTTLED, 429, "throttled");
    expect(interp(k, 404, NULL, NULL), INVOKE_ERROR, 404, "http_4xx");
    expect(interp(k, 500, NULL, NULL), INVOKE_ERROR, 500, "http_5xx");
    expect(interp(k, 302, NULL, NULL), INVOKE_ERROR, 302, "http_other");
    expect(interp(k, 504, NULL, NULL), INVOKE_TIMEOUT, 504, "gateway_timeout"); /* the deadline answer */
    expect(interp(k, 408, NULL, NULL), INVOKE_TIMEOUT, 408, "gateway_timeout");
    expect(interp(k, 0, NULL, NULL), INVOKE_NETWORK, 0, "network");
    assert_int_equal(interp(k, 500, NULL, NULL).res.exec_time, 0); /* did not run */
    bool busy = !strcmp(k, "openfaas") || !strcmp(k, "fission");
    expect(interp(k, 503, NULL, NULL), busy ? INVOKE_THROTTLED : INVOKE_ERROR, 503, busy ? "throttled" : "http_5xx");
  }
}

static char *b64(const char *s) { return g_base64_encode((const guchar *)s, strlen(s)); }

static void test_lambda_answers(void **state CM_UNUSED) {
  char *warm = b64("START RequestId: 6c3a Version: $LATEST\nhello\nEND RequestId: 6c3a\n"
                   "REPORT RequestId: 6c3a\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
                   "Memory Size: 128 MB\tMax Memory Used: 70 MB\t\n");
  char *cold = b64("REPORT RequestId: 89ba Duration: 4.42 ms Billed Duration: 338 ms Memory Size: 1152 MB "
                   "Max Memory Used: 75 MB Init Duration: 333.05 ms");
  char *hw = g_strdup_printf("X-Amz-Log-Result: %s", warm), *hc = g_strdup_printf("x-amz-log-result:%s", cold);
  const char *body = "{\"cloudmix\":1,\"exec_ms\":90,\"cold\":true,\"mem_mean_mb\":40.5,\"mem_samples\":3}";
  struct seen s = interp("lambda", 200, (const char *[]){hw, NULL}, body);
  expect(s, INVOKE_OK, 200, "ok");
  assert_false(s.malformed);
  assert_int_equal(s.res.exec_time, CM_US(102250)); /* REPORT over the self-report */
  assert_false(s.res.cold_start);
  assert_int_equal(s.res.init_time, 0);
  assert_true(s.res.mem_peak_mb == 70);
  assert_true(s.res.mem_mean_mb == 40.5); /* only the handler knows */
  assert_int_equal(s.res.mem_samples, 3);
  s = interp("lambda", 200, (const char *[]){"Content-Type: application/json", hc, NULL}, NULL);
  assert_true(s.res.cold_start);
  assert_int_equal(s.res.init_time, CM_US(333050));
  assert_int_equal(s.res.exec_time, CM_US(4420));
  /* function error: still ran, the REPORT still counts */
  s = interp("lambda", 200, (const char *[]){"X-Amz-Function-Error: Unhandled", hc, NULL},
             "{\"errorMessage\":\"boom\"}");
  expect(s, INVOKE_ERROR, 200, "function_error");
  assert_int_equal(s.res.exec_time, CM_US(4420));
  /* throttles by error type */
  s = interp("lambda", 429, (const char *[]){"x-amzn-ErrorType: TooManyRequestsException:http://x/", NULL}, NULL);
  expect(s, INVOKE_THROTTLED, 429, "throttled");
  expect(interp("lambda", 500, (const char *[]){"X-Amzn-ErrorType: TooManyRequestsException", NULL}, NULL),
         INVOKE_THROTTLED, 500, "throttled");
  expect(interp("lambda", 500, (const char *[]){"x-amzn-ErrorType: TooManyRequestsExceptionX", NULL}, NULL),
         INVOKE_ERROR, 500, "http_5xx");
  /* a log result that is not trusted: truncated, not base64, no REPORT */
  char *cut = g_strdup_printf("X-Amz-Log-Result: %.*s", (int)strlen(warm) - 3, warm);
  const char *bad[] = {cut, "X-Amz-Log-Result: !!!!", "X-Amz-Log-Result: aGVsbG8=", "X-Amz-Log-Result: ", NULL};
  for (int i = 0; bad[i]; i++) {
    s = interp("lambda", 200, (const char *[]){bad[i], NULL}, body);
    expect(s, INVOKE_OK, 200, "ok");
    assert_true(s.malformed);
    assert_int_equal(s.res.exec_time, CM_MS(90)); /* the self-report, nothing from the header */
    assert_true(s.res.cold_start);
  }
  g_free(cut);
  g_free(hw);
  g_free(hc);
  g_free(warm);
  g_free(cold);
}

static void test_lambda_report(void **state CM_UNUSED) {
  struct invoke_result r = {0};
  cm_time billed = -1;
  const char *t = "REPORT RequestId: a\tDuration: 1.5 ms\tBilled Duration: 2 ms\n"
                  "REPORT RequestId: b\tDuration: 718.65 ms\tBilled Duration: 800 ms \tMemory Size: 128 MB\t"
                  "Max Memory Used: 14 MB\tStatus: timeout\tRestore Duration: 5 ms\n";
  assert_true(provider__lambda_report(t, strlen(t), &r, &billed));
  assert_int_equal(r.exec_time, CM_US(718650)); /* the last REPORT line */
  assert_int_equal(billed, CM_MS(800));
  assert_true(r.cold_start); /* SnapStart restore */
  assert_int_equal(r.init_time, CM_MS(5));
  assert_true(r.mem_peak_mb == 14);
  r = (struct invoke_result){0};
  assert_false(provider__lambda_report(t, 30, &r, NULL)); /* cut before any Duration: bounded by len */
  assert_int_equal(r.exec_time, 0);
  const char *bad[] = {"REPORT RequestId: x\tDuration: 12 s", "REPORT RequestId: x\tDuration: -3 ms",
                       "REPORT RequestId: x\tDuration: 1e3 ms", "xREPORT RequestId: x\tDuration: 3 ms",
                       "REPORT RequestId: x\tBilled Duration: 3 ms", "REPORT RequestId:", "", NULL};
  for (int i = 0; bad[i]; i++) assert_false(provider__lambda_report(bad[i], strlen(bad[i]), &r, NULL));
  const char *odd = "REPORT RequestId: x Duration: 7 ms Max Memory Used: 99 GB Init Duration: 1.2.3 ms";
  r = (struct invoke_result){.mem_peak_mb = 1};
  assert_true(provider__lambda_report(odd, strlen(odd), &r, NULL));
  assert_int_equal(r.exec_time, CM_MS(7));
  assert_true(r.mem_peak_mb == 1); /* wrong unit: not used */
  assert_false(r.cold_start);       /* bad Init Duration: not used */
}

static void test_self_report(void **state CM_UNUSED) {
  struct seen s = interp("azure", 200, NULL,
                         " {\"cloudmix\":1,\"id\":\"42\",\"nested\":{\"a\":[1,{\"b\":\"}\"}]},\"exec_ms\":12.5,"
                         "\"init_ms\":300,\"cold\":true,\"mem_peak_mb\":64,\"mem_mean_mb\":32,\"mem_samples\":7,"
                         "\"pad\":\"x\\\"y\\u0041\"}");
  expect(s, INVOKE_OK, 200, "ok");
  assert_false(s.malformed);
  assert_int_equal(s.res.exec_time, CM_US(12500));
  assert_int_equal(s.res.init_time, CM_MS(300));
  assert_true(s.res.cold_start);
  assert_true(s.res.mem_peak_mb == 64 && s.res.mem_mean_mb == 32);
  assert_int_equal(s.res.mem_samples, 7);
  /* moto's echo of the request: not a report, not malformed */
  s = interp("cloudrun", 200, NULL, "{\"cloudmix\":1,\"id\":\"42\",\"function\":\"f\",\"bin\":0,\"pad\":\"aa\"}");
  assert_false(s.malformed);
  assert_int_equal(s.res.exec_time, CM_MS(500));
  /* bad values dropped and flagged; good ones kept */
  s = interp("fission", 200, NULL,
             "{\"cloudmix\":1,\"exec_ms\":-4,\"init_ms\":\"7\",\"cold\":1,\"mem_peak_mb\":1e99,"
             "\"mem_samples\":2.5,\"mem_mean_mb\":01,\"exec_ms\":NaN}");
  assert_true(s.malformed);
  assert_int_equal(s.res.exec_time, CM_MS(500));
  assert_int_equal(s.res.init_time, 0);
  assert_false(s.res.cold_start);
  s = interp("azure", 200, NULL, "{\"cloudmix\":1,\"exec_ms\":3,\"mem_samples\":4,\"mem_peak_mb\":9"); /* cut */
  assert_true(s.malformed);
  assert_int_equal(s.res.exec_time, CM_MS(3));
  assert_int_equal(s.res.mem_samples, 4);
  assert_true(s.res.mem_peak_mb == 0); /* the number may be cut short: not trusted */
  const char *junk[] = {"{\"cloudmix\":2,\"exec_ms\":3}", "[1,2]", "not json", "{\"exec_ms\":3}", "{", "", NULL};
  for (int i = 0; junk[i]; i++) {
    s = interp("openfaas", 200, NULL, junk[i]);
    assert_int_equal(s.res.exec_time, CM_MS(500));
  }
  struct invoke_result r = {.exec_time = 77};
  bool m = false;
  assert_false(provider__self_report(NULL, 0, &r, &m));
  assert_int_equal(r.exec_time, 77);
}

static void test_openfaas_duration(void **state CM_UNUSED) {
  const char *body = "{\"cloudmix\":1,\"exec_ms\":90}";
  struct seen s = interp("openfaas", 200, (const char *[]){"X-Duration-Seconds: 0.250000", NULL}, body);
  assert_false(s.malformed);
  assert_int_equal(s.res.exec_time, CM_MS(250)); /* the gateway over the handler */
  const char *bad[] = {"X-Duration-Seconds: abc", "X-Duration-Seconds: -1", "X-Duration-Seconds: 1e3",
                       "X-Duration-Seconds: 1.2.3", "X-Duration-Seconds: ", "X-Duration-Seconds: 1.",
                       "X-Duration-Seconds: 999999999", NULL};
  for (int i = 0; bad[i]; i++) {
    s = interp("openfaas", 200, (const char *[]){bad[i], NULL}, body);
    assert_true(s.malformed);
    assert_int_equal(s.res.exec_time, CM_MS(90));
  }
  s = interp("openfaas", 502, (const char *[]){"X-Duration-Seconds: 0.5", NULL}, NULL);
  expect(s, INVOKE_ERROR, 502, "http_5xx");
  assert_int_equal(s.res.exec_time, 0);
}

static void test_secret_clear(void **state CM_UNUSED) {
  struct provider_secret s = {.access_key_id = g_strdup("a"), .bearer_token = g_strdup(SECRET)};
  provider_secret_clear(&s);
  assert_null(s.access_key_id);
  assert_null(s.bearer_token);
  provider_secret_clear(NULL);
  http_req_clear(NULL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_table),           cmocka_unit_test(test_header_lookup),
      cmocka_unit_test(test_function_name),   cmocka_unit_test(test_body),
      cmocka_unit_test(test_prepare_lambda),  cmocka_unit_test(test_prepare_others),
      cmocka_unit_test(test_status_mapping),  cmocka_unit_test(test_lambda_answers),
      cmocka_unit_test(test_lambda_report),   cmocka_unit_test(test_self_report),
      cmocka_unit_test(test_openfaas_duration), cmocka_unit_test(test_secret_clear),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
