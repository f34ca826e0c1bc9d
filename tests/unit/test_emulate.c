/* The provider emulator over loopback: each test starts one on
 * 127.0.0.1:0 (its GLib context runs in a thread of its own) with a small
 * deterministic world (no noise, no links, 200 ms of exec, 300 ms cold
 * starts) and talks to it with libcurl: the paths of each platform, Lambda's
 * REPORT tail on a cold then a warm call, OpenFaaS's X-Duration-Seconds, a
 * Lambda concurrency limit giving 429, an outage window giving 500, 404 /
 * 405 / 400 / 413, deadlines (504, and no answer on a link that is down), a
 * client that leaves early, and the latency the client sees against the
 * model's. Each test ends by stopping the emulator and checking that its
 * counts add up to the requests sent. */
#include "cmocka_inc.h"

#include <curl/curl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "emulate.h"

#define EXEC_MS 200
#define COLD_MS 300
#define TOL_MS 20 /* wall-clock slack either way: loose, but fails if the pump is off by a tick */

/* ---- the emulator in its thread ---- */

struct fx {
  GThread *thread;
  GMainLoop *loop;
  GMutex mu;
  GCond cond;
  bool ready;
  char url[64];
  emulate *em;
  bool first_clock; /* clock_at_first_request */
  /* read in the emulator's thread after its loop stopped */
  uint64_t requests[8], answers[8], gone[8], in_flight[8];
};

static const char *const names[] = {"lam", "az", "cr", "of", "fi", "down", "azo", NULL};

static struct faas_provider prov(const char *name, const char *platform) {
  struct faas_provider p = {.nbins = 2, .gflops_per_vcpu = 1, .exec_overhead = CM_MS(EXEC_MS),
                            .cold_start_mean = CM_MS(COLD_MS), .keep_alive = CM_S(600), .prewarm = 1};
  g_strlcpy(p.name, name, sizeof p.name);
  g_strlcpy(p.platform, platform, sizeof p.platform);
  p.bins[0] = (struct faas_bin){1024, 1};
  p.bins[1] = (struct faas_bin){2048, 2};
  return p;
}

static gpointer emu_thread(gpointer arg) {
  struct fx *f = arg;
  GMainContext *ctx = g_main_context_new();
  g_main_context_push_thread_default(ctx);
  struct faas_provider p[7] = {prov("lam", "lambda"),   prov("az", "azure"),     prov("cr", "cloudrun"),
                               prov("of", "openfaas"), prov("fi", "fission"),   prov("down", "openfaas"),
                               prov("azo", "azure")};
  p[0].prewarm = 0;           /* Lambda starts cold */
  p[0].concurrency_limit = 2; /* and throttles a third call */
  struct faas_function fn[2] = {{"f", 0, 100}, {"big", 0, 1500}}; /* big outgrows bin 0: killed */
  struct faas_fault faults[2] = {{.provider = 6, .kind = FAAS_FAULT_OUTAGE, .start = 0, .end = CM_MS(600)},
                                 {.provider = 5, .kind = FAAS_FAULT_LINK_DOWN, .start = 0, .end = CM_S(3600)}};
  struct emulate_config c = {.providers = p, .nproviders = 7, .functions = fn, .nfunctions = 2,
                             .faults = faults, .nfaults = 2, .seed = 1, .clock_at_first_request = f->first_clock};
  char *err = NULL;
  f->em = emulate_new(&c, &err);
  if (!f->em) fprintf(stderr, "emulate_new: %s\n", err);
  g_free(err);
  f->loop = g_main_loop_new(ctx, FALSE);
  g_mutex_lock(&f->mu);
  if (f->em) g_strlcpy(f->url, emulate_url(f->em), sizeof f->url);
  f->ready = true;
  g_cond_signal(&f->cond);
  g_mutex_unlock(&f->mu);
  if (f->em) {
    g_main_loop_run(f->loop);
    for (int i = 0; i < 8; i++) {
      const char *n = names[i];
      f->requests[i] = emulate_requests(f->em, n);
      f->answers[i] = emulate_count(f->em, n, -1);
      f->in_flight[i] = emulate_in_flight(f->em, n);
      f->gone[i] = f->requests[i] - f->answers[i] - f->in_flight[i];
    }
    emulate_free(f->em);
  }
  g_main_loop_unref(f->loop);
  g_main_context_pop_thread_default(ctx);
  g_main_context_unref(ctx);
  return NULL;
}

static int start_fx(void **state, bool first_clock) {
  struct fx *f = g_new0(struct fx, 1);
  f->first_clock = first_clock;
  g_mutex_init(&f->mu);
  g_cond_init(&f->cond);
  f->thread = g_thread_new("emulate", emu_thread, f);
  g_mutex_lock(&f->mu);
  while (!f->ready) g_cond_wait(&f->cond, &f->mu);
  g_mutex_unlock(&f->mu);
  *state = f;
  return f->em ? 0 : -1;
}

static int start(void **state) { return start_fx(state, false); }
static int start_first_clock(void **state) { return start_fx(state, true); }

/* Stop the loop; the counts are then read (in its thread). */
static void stop(struct fx *f) {
  if (!f->thread) return;
  /* the loop may not have started running yet: quit until it has ended */
  while (!g_main_loop_is_running(f->loop) && f->em) g_usleep(1000);
  g_main_loop_quit(f->loop);
  g_thread_join(f->thread);
  f->thread = NULL;
}

static int teardown(void **state) {
  struct fx *f = *state;
  stop(f);
  g_mutex_clear(&f->mu);
  g_cond_clear(&f->cond);
  g_free(f);
  return 0;
}

/* ---- a client ---- */

struct resp {
  long code;
  CURLcode rc;
  double ms;
  GString *body, *headers;
};

static size_t on_data(char *p, size_t sz, size_t n, void *arg) {
  g_string_append_len(arg, p, (gssize)(sz * n));
  return sz * n;
}

static CURL *request(struct resp *r, const char *url, const char *body, const char *hdr1, long timeout_ms) {
  CURL *h = curl_easy_init();
  r->body = g_string_new(NULL);
  r->headers = g_string_new(NULL);
  curl_easy_setopt(h, CURLOPT_URL, url);
  if (body) curl_easy_setopt(h, CURLOPT_COPYPOSTFIELDS, body);
  curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_WRITEDATA, r->body);
  curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_data);
  curl_easy_setopt(h, CURLOPT_HEADERDATA, r->headers);
  curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms ? timeout_ms : 10000L);
  curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
  if (hdr1) {
    struct curl_slist *l = curl_slist_append(NULL, hdr1);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, l);
    curl_easy_setopt(h, CURLOPT_PRIVATE, l);
  }
  return h;
}

static void finish(struct resp *r, CURL *h) {
  curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &r->code);
  curl_off_t us = 0;
  curl_easy_getinfo(h, CURLINFO_TOTAL_TIME_T, &us);
  r->ms = (double)us / 1e3;
  char *l = NULL;
  curl_easy_getinfo(h, CURLINFO_PRIVATE, &l);
  curl_slist_free_all((struct curl_slist *)l);
  curl_easy_cleanup(h);
}

static struct resp post(struct fx *f, const char *path, const char *body, const char *hdr1, long timeout_ms) {
  struct resp r = {0};
  char *url = g_strconcat(f->url, path, NULL);
  CURL *h = request(&r, url, body, hdr1, timeout_ms);
  r.rc = curl_easy_perform(h);
  finish(&r, h);
  g_free(url);
  return r;
}

static void resp_free(struct resp *r) {
  g_string_free(r->body, TRUE);
  g_string_free(r->headers, TRUE);
}

/* The header's value (trimmed), g_malloc'd, or NULL. */
static char *header(const struct resp *r, const char *name) {
  char **lines = g_strsplit(r->headers->str, "\r\n", -1);
  char *v = NULL;
  size_t n = strlen(name);
  for (char **l = lines; *l && !v; l++)
    if (g_ascii_strncasecmp(*l, name, n) == 0 && (*l)[n] == ':') v = g_strstrip(g_strdup(*l + n + 1));
  g_strfreev(lines);
  return v;
}

static void assert_near_ms(double got, double want) {
  if (fabs(got - want) > TOL_MS) fail_msg("latency %.1f ms, model %.1f ms (+- %d)", got, want, TOL_MS);
}

#define OK_BODY "{\"cloudmix\":1,\"id\":\"42\",\"function\":\"f\",\"bin\":0,\"response_bytes\":1000}"

/* ---- tests ---- */

static void test_paths(void **state) {
  struct fx *f = *state;
  const char *paths[] = {"/az/api/f", "/cr/f", "/of/function/f", "/fi/fission-function/f", "/of/function/f-1"};
  for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
    struct resp r = post(f, paths[i], OK_BODY, NULL, 0);
    if (r.code != 200) fail_msg("%s: %ld", paths[i], r.code);
    assert_int_equal(r.body->len, 1000); /* padded to response_bytes */
    assert_non_null(strstr(r.body->str, "\"id\":\"42\""));
    resp_free(&r);
  }
  /* each platform's path on another platform's provider is not found */
  struct resp r = post(f, "/az/function/f", OK_BODY, NULL, 0);
  assert_int_equal(r.code, 404);
  resp_free(&r);
  stop(f);
  assert_int_equal(f->answers[1], 2); /* az */
  assert_int_equal(f->answers[3], 2); /* of */
  for (int i = 0; i < 8; i++) assert_int_equal(f->in_flight[i] + f->gone[i], 0);
}

/* Lambda's REPORT line: cold (Init Duration) then warm, Billed Duration
 * rounded up to 1 ms; latency = cold start + exec, then exec. */
static void parse_report(const struct resp *r, double *dur, double *billed, double *init) {
  char *b64 = header(r, "X-Amz-Log-Result");
  assert_non_null(b64);
  gsize n;
  guchar *raw = g_base64_decode(b64, &n);
  char *tail = g_strndup((const char *)raw, n);
  char *rep = strstr(tail, "REPORT RequestId: ");
  assert_non_null(rep);
  assert_int_equal(sscanf(strstr(rep, "\tDuration: "), "\tDuration: %lf ms", dur), 1);
  assert_int_equal(sscanf(strstr(rep, "Billed Duration: "), "Billed Duration: %lf ms", billed), 1);
  assert_non_null(strstr(rep, "\tMemory Size: 1024 MB\tMax Memory Used: 100 MB\t"));
  char *i = strstr(rep, "Init Duration: ");
  *init = 0;
  if (i) assert_int_equal(sscanf(i, "Init Duration: %lf ms", init), 1);
  g_free(tail);
  g_free(raw);
  g_free(b64);
}

static void test_lambda_report(void **state) {
  struct fx *f = *state;
  const char *path = "/lam/2015-03-31/functions/f/invocations";
  double dur, billed, init;
  struct resp r = post(f, path, OK_BODY, "X-Amz-Log-Type: Tail", 0);
  assert_int_equal(r.code, 200);
  parse_report(&r, &dur, &billed, &init);
  assert_true(dur == EXEC_MS && billed == EXEC_MS && init == COLD_MS);
  assert_near_ms(r.ms, EXEC_MS + COLD_MS);
  char *v = header(&r, "X-Amz-Executed-Version");
  assert_string_equal(v, "$LATEST");
  g_free(v);
  v = header(&r, "X-Amz-Request-Id");
  assert_non_null(v);
  g_free(v);
  resp_free(&r);
  r = post(f, path, OK_BODY, "X-Amz-Log-Type: Tail", 0);
  parse_report(&r, &dur, &billed, &init);
  assert_true(dur == EXEC_MS && init == 0);
  assert_near_ms(r.ms, EXEC_MS);
  resp_free(&r);
  /* without Tail: no log; the function URL: the body alone */
  r = post(f, path, OK_BODY, NULL, 0);
  assert_null(header(&r, "X-Amz-Log-Result"));
  resp_free(&r);
  r = post(f, "/lam/url/f/", OK_BODY, NULL, 0);
  assert_int_equal(r.code, 200);
  assert_int_equal(r.body->len, 1000);
  resp_free(&r);
  /* a function that outgrows its bin is killed: a function error */
  r = post(f, "/lam/2015-03-31/functions/big/invocations", "{}", "X-Amz-Log-Type: Tail", 0);
  assert_int_equal(r.code, 200);
  v = header(&r, "X-Amz-Function-Error");
  assert_string_equal(v, "Unhandled");
  g_free(v);
  assert_non_null(strstr(r.body->str, "\"errorMessage\""));
  resp_free(&r);
  /* in bin 1 (2048 MB) it fits */
  r = post(f, "/lam/2015-03-31/functions/big-1/invocations", "{}", NULL, 0);
  assert_int_equal(r.code, 200);
  assert_null(header(&r, "X-Amz-Function-Error"));
  resp_free(&r);
  stop(f);
  assert_int_equal(f->answers[0], 6);
}

/* Three calls at once on a Lambda limited to 2: two run, one is throttled
 * at once with Lambda's 429. */
static void test_lambda_throttle(void **state) {
  struct fx *f = *state;
  CURLM *m = curl_multi_init();
  struct resp r[3] = {0};
  CURL *h[3];
  char *url = g_strconcat(f->url, "/lam/2015-03-31/functions/f/invocations", NULL);
  for (int i = 0; i < 3; i++) {
    h[i] = request(&r[i], url, OK_BODY, NULL, 0);
    curl_multi_add_handle(m, h[i]);
  }
  int running = 1;
  while (running) {
    curl_multi_perform(m, &running);
    if (running) curl_multi_poll(m, NULL, 0, 100, NULL);
  }
  int ok = 0, throttled = 0;
  for (int i = 0; i < 3; i++) {
    curl_multi_remove_handle(m, h[i]);
    finish(&r[i], h[i]);
    if (r[i].code == 200) ok++;
    if (r[i].code == 429) {
      throttled++;
      char *t = header(&r[i], "x-amzn-ErrorType");
      assert_string_equal(t, "TooManyRequestsException");
      g_free(t);
      assert_non_null(strstr(r[i].body->str, "\"Reason\":\"ConcurrentInvocationLimitExceeded\""));
      assert_non_null(strstr(r[i].body->str, "\"message\":\"Rate Exceeded.\""));
      assert_true(r[i].ms < 100); /* refused at once */
    }
    resp_free(&r[i]);
  }
  curl_multi_cleanup(m);
  g_free(url);
  assert_int_equal(ok, 2);
  assert_int_equal(throttled, 1);
}

/* An Azure outage over [0, 600 ms): 500 inside, 200 after. */
static void test_outage(void **state) {
  struct fx *f = *state;
  struct resp r = post(f, "/azo/api/f", OK_BODY, NULL, 0);
  assert_int_equal(r.code, 500);
  resp_free(&r);
  g_usleep(650 * 1000);
  r = post(f, "/azo/api/f", OK_BODY, NULL, 0);
  assert_int_equal(r.code, 200);
  resp_free(&r);
}

/* With clock_at_first_request the scenario's time 0 is the first request,
 * set back by its X-Cloudmix-Clock-Ns: the outage of [0, 600 ms) is over
 * for a first request that says its run is 700 ms old, although the
 * emulator has just started. */
static void test_first_request_clock(void **state) {
  struct fx *f = *state;
  struct resp r = post(f, "/azo/api/f", OK_BODY, EMULATE_CLOCK_HEADER ": 700000000", 0);
  assert_int_equal(r.code, 200);
  resp_free(&r);
}

/* Without the header the first request is time 0: an emulator idle for a
 * second still starts inside the outage. */
static void test_first_request_clock_default(void **state) {
  struct fx *f = *state;
  g_usleep(1000 * 1000);
  struct resp r = post(f, "/azo/api/f", OK_BODY, EMULATE_CLOCK_HEADER ": banana", 0); /* ignored: not a number */
  assert_int_equal(r.code, 500);
  resp_free(&r);
}

static size_t zeros(char *buf, size_t sz, size_t n, void *arg CM_UNUSED) {
  memset(buf, ' ', sz * n);
  return sz * n;
}

static void test_bad_requests(void **state) {
  struct fx *f = *state;
  struct { const char *path, *body; long code; } cases[] = {
      {"/nope/api/f", "{}", 404},            {"/az/api/nofn", "{}", 404},  {"/az/api/f-7", "{}", 404},
      {"/az/x/f", "{}", 404},                {"/", "{}", 404},             {"/az/api/f", "{", 400},
      {"/az/api/f", "[1]", 400},             {"/az/api/f", "{\"response_bytes\":-1}", 400},
      {"/az/api/f", "{\"a\":[1,{\"b\":\"\\u00e9\"}]} x", 400},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    struct resp r = post(f, cases[i].path, cases[i].body, NULL, 0);
    if (r.code != cases[i].code) fail_msg("%s %s: %ld, expected %ld", cases[i].path, cases[i].body, r.code, cases[i].code);
    assert_true(r.body->len > 0 && r.body->str[r.body->len - 1] == '\n');
    resp_free(&r);
  }
  struct resp r = post(f, "/az/api/f", NULL, NULL, 0); /* GET */
  assert_int_equal(r.code, 405);
  char *allow = header(&r, "Allow");
  assert_string_equal(allow, "POST");
  g_free(allow);
  resp_free(&r);
  /* a body over 64 MB: refused from its Content-Length */
  char *url = g_strconcat(f->url, "/az/api/f", NULL);
  r = (struct resp){0};
  CURL *h = request(&r, url, NULL, NULL, 0);
  curl_easy_setopt(h, CURLOPT_POST, 1L);
  curl_easy_setopt(h, CURLOPT_READFUNCTION, zeros);
  curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)EMULATE_BODY_MAX + 1);
  curl_easy_perform(h);
  finish(&r, h);
  assert_int_equal(r.code, 413);
  resp_free(&r);
  g_free(url);
  stop(f);
  assert_int_equal(f->answers[7], 2); /* unrouted: /nope, / */
  assert_int_equal(f->answers[1], G_N_ELEMENTS(cases) - 2 + 2);
}

/* The latency the client sees is the model's: warm OpenFaaS exec 200 ms,
 * X-Duration-Seconds 0.2; a deadline header shorter than that: 504 at the
 * deadline; a link that is down: no answer at the deadline; a client that
 * leaves early is counted as gone. */
static void test_timing(void **state) {
  struct fx *f = *state;
  for (int i = 0; i < 3; i++) {
    struct resp r = post(f, "/of/function/f", OK_BODY, NULL, 0);
    assert_int_equal(r.code, 200);
    assert_near_ms(r.ms, EXEC_MS);
    char *d = header(&r, "X-Duration-Seconds");
    assert_string_equal(d, "0.200000");
    g_free(d);
    resp_free(&r);
  }
  struct resp r = post(f, "/cr/f", OK_BODY, EMULATE_TIMEOUT_HEADER ": 100", 0);
  assert_int_equal(r.code, 504);
  assert_near_ms(r.ms, 100);
  resp_free(&r);
  r = post(f, "/down/function/f", OK_BODY, EMULATE_TIMEOUT_HEADER ": 150", 0);
  assert_int_equal(r.rc, CURLE_GOT_NOTHING);
  assert_near_ms(r.ms, 150);
  resp_free(&r);
  r = post(f, "/fi/fission-function/f", OK_BODY, NULL, 50);
  assert_int_equal(r.rc, CURLE_OPERATION_TIMEDOUT);
  resp_free(&r);
  g_usleep(300 * 1000); /* the world's answer comes to a closed connection */
  stop(f);
  assert_int_equal(f->answers[3], 3);
  assert_int_equal(f->answers[5], 1); /* the dropped connection (status 0) */
  assert_int_equal(f->gone[4], 1);
  assert_int_equal(f->in_flight[4], 0);
}

/* Listen addresses: not loopback is refused without allow_remote. */
static void test_listen_checks(void **state CM_UNUSED) {
  struct faas_provider p = prov("x", "azure");
  struct faas_function fn = {"f", 0, 10};
  const char *bad[] = {"10.1.2.3:0", "0.0.0.0:0", "example.com:80", "127.0.0.1:99999"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    struct emulate_config c = {.providers = &p, .nproviders = 1, .functions = &fn, .nfunctions = 1, .listen = bad[i]};
    char *err = NULL;
    assert_null(emulate_new(&c, &err));
    assert_non_null(err);
    g_free(err);
  }
  struct faas_provider q = prov("x", "nosuch");
  struct emulate_config c = {.providers = &q, .nproviders = 1, .functions = &fn, .nfunctions = 1};
  char *err = NULL;
  assert_null(emulate_new(&c, &err));
  assert_non_null(strstr(err, "nosuch"));
  g_free(err);
}

int main(void) {
  curl_global_init(CURL_GLOBAL_DEFAULT);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_paths, start, teardown),
      cmocka_unit_test_setup_teardown(test_lambda_report, start, teardown),
      cmocka_unit_test_setup_teardown(test_lambda_throttle, start, teardown),
      cmocka_unit_test_setup_teardown(test_outage, start, teardown),
      cmocka_unit_test_setup_teardown(test_first_request_clock, start_first_clock, teardown),
      cmocka_unit_test_setup_teardown(test_first_request_clock_default, start_first_clock, teardown),
      cmocka_unit_test_setup_teardown(test_bad_requests, start, teardown),
      cmocka_unit_test_setup_teardown(test_timing, start, teardown),
      cmocka_unit_test(test_listen_checks),
  };
  int rc = cmocka_run_group_tests(tests, NULL, NULL);
  curl_global_cleanup();
  return rc;
}
