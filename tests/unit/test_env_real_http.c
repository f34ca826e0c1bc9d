/* The real backend's invoker (real/env_real_http.c) against a scripted HTTP
 * server on loopback: every invocation ends in exactly one outcome with its
 * reason, whatever the server does (answers, throttles, refuses, answers
 * too late, sends garbage, truncates, sends too much, closes), nothing
 * hangs, cancellation stops the callback, connections are reused, and many
 * calls run in flight at once. The adapter here is a minimal test kind, so
 * the transport is tested apart from the platforms' adapters
 * (test_provider.c tests those). Another module's own easy handle on the
 * same multi (real_http__add_easy) finishes through its callback, reuses
 * the invoker's connection, and never calls back once removed. A call's
 * execution-time hint goes out as X-Cloudmix-Exec-Ns, and only when set. */
#include "cmocka_inc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "env_real.h"
#include "env_real_http.h"
#include "provider.h"

/* ---- a scripted server: one thread per connection; the path says what to do ---- */

struct server {
  int lfd;
  uint16_t port;
  pthread_t th;
  volatile int stop;
  volatile int accepted, requests;
};

/* Read one request: its path, and its head (request line and headers) into
 * head (headlen bytes, NUL-terminated); the body is read and dropped. */
static bool read_request(int fd, char *path, size_t pathlen, char *head, size_t headlen) {
  char buf[8192];
  size_t n = 0;
  char *end = NULL;
  while (!end) {
    if (n == sizeof buf - 1) return false;
    ssize_t k = read(fd, buf + n, sizeof buf - 1 - n);
    if (k <= 0) return false;
    n += (size_t)k;
    buf[n] = 0;
    end = strstr(buf, "\r\n\r\n");
  }
  size_t clen = 0;
  const char *cl = strcasestr(buf, "\r\nContent-Length:");
  if (cl) clen = strtoul(cl + 17, NULL, 10);
  size_t have = n - (size_t)(end + 4 - buf);
  while (have < clen) { /* drain the body */
    char sink[8192];
    ssize_t k = read(fd, sink, clen - have < sizeof sink ? clen - have : sizeof sink);
    if (k <= 0) return false;
    have += (size_t)k;
  }
  if (sscanf(buf, "POST %255s", path) != 1) return false;
  (void)pathlen;
  g_strlcpy(head, buf, MIN(headlen, (size_t)(end + 2 - buf) + 1));
  return true;
}

/* A SigV4 check as a server makes it: every header the Authorization's
 * SignedHeaders names is in the request (a header signed but not sent
 * makes the server's signature differ: 403). */
static bool signed_headers_sent(const char *head) {
  const char *sh = strstr(head, "SignedHeaders=");
  if (!strstr(head, "\r\nAuthorization: AWS4-HMAC-SHA256 ") || !sh) return false;
  char *list = g_strndup(sh + 14, strcspn(sh + 14, ", \r\n"));
  char **names = g_strsplit(list, ";", -1);
  bool ok = names[0] != NULL;
  for (char **n = names; ok && *n; n++) {
    char *line = g_strdup_printf("\r\n%s:", *n);
    ok = strcasestr(head, line) != NULL;
    g_free(line);
  }
  g_strfreev(names);
  g_free(list);
  return ok;
}

static void say(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

static void *conn_main(void *arg) {
  struct server *sv = ((void **)arg)[0];
  int fd = (int)(intptr_t)((void **)arg)[1];
  g_free(arg);
  char path[256], head[8192];
  while (read_request(fd, path, sizeof path, head, sizeof head)) {
    __atomic_add_fetch(&sv->requests, 1, __ATOMIC_SEQ_CST);
    if (strcmp(path, "/ok") == 0) {
      say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}");
      continue; /* keep-alive */
    }
    if (strcmp(path, "/throttle") == 0) {
      say(fd, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    if (g_str_has_prefix(path, "/signed")) {
      say(fd, signed_headers_sent(head) ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}"
                                        : "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    if (g_str_has_prefix(path, "/reason")) { /* a 418 whose reason the adapter takes from X-Reason */
      char *a = g_strdup_printf("HTTP/1.1 418 Teapot\r\nX-Reason: %s\r\nContent-Length: 0\r\n\r\n", path + 7);
      say(fd, a);
      g_free(a);
      continue;
    }
    if (g_str_has_prefix(path, "/exec")) { /* 200 if the head carries the hint the path names ("/exec0": none) */
      char *want = g_strdup_printf("\r\nX-Cloudmix-Exec-Ns: %s\r\n", path + 5);
      bool right = strcmp(path + 5, "0") == 0 ? !strcasestr(head, "\r\nX-Cloudmix-Exec-Ns:") : strstr(head, want) != NULL;
      g_free(want);
      say(fd, right ? "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}" : "HTTP/1.1 400 Bad\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    if (strcmp(path, "/auth") == 0) {
      say(fd, "HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n");
      continue;
    }
    if (strcmp(path, "/slow") == 0) {
      usleep(1500 * 1000); /* past the 300 ms deadline */
      say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
      break;
    }
    if (strcmp(path, "/garbage") == 0) say(fd, "this is not HTTP at all\r\n\r\n");
    else if (strcmp(path, "/truncated") == 0) say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nabc");
    else if (strcmp(path, "/badheader") == 0) say(fd, "HTTP/1.1 200 OK\r\nContent-Length: banana\r\n\r\n{}");
    else if (strcmp(path, "/oversized") == 0) { /* chunked, no length: the client must stop reading */
      say(fd, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
      static char chunk[65536 + 16];
      int h = snprintf(chunk, sizeof chunk, "10000\r\n");
      memset(chunk + h, 'x', 65536);
      memcpy(chunk + h + 65536, "\r\n", 2);
      for (int i = 0; i < 4096 && !sv->stop; i++)
        if (write(fd, chunk, (size_t)h + 65536 + 2) <= 0) break;
    } else if (strcmp(path, "/biglength") == 0) {
      say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 999999999999\r\n\r\n");
    }
    break; /* /close and the rest: close without (more of) an answer */
  }
  close(fd);
  return NULL;
}

static void *server_main(void *arg) {
  struct server *sv = arg;
  while (!sv->stop) {
    int fd = accept(sv->lfd, NULL, NULL);
    if (fd < 0) continue;
    if (sv->stop) {
      close(fd);
      break;
    }
    __atomic_add_fetch(&sv->accepted, 1, __ATOMIC_SEQ_CST);
    void **a = g_new(void *, 2);
    a[0] = sv;
    a[1] = (void *)(intptr_t)fd;
    pthread_t t;
    pthread_create(&t, NULL, conn_main, a);
    pthread_detach(t);
  }
  return NULL;
}

static void server_start(struct server *sv) {
  memset(sv, 0, sizeof *sv);
  sv->lfd = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(sv->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  assert_int_equal(bind(sv->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(sv->lfd, 1024), 0);
  socklen_t l = sizeof a;
  getsockname(sv->lfd, (struct sockaddr *)&a, &l);
  sv->port = ntohs(a.sin_port);
  pthread_create(&sv->th, NULL, server_main, sv);
}

static void server_stop(struct server *sv) {
  sv->stop = 1;
  int fd = socket(AF_INET, SOCK_STREAM, 0); /* wake accept */
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(sv->port), .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  (void)!connect(fd, (struct sockaddr *)&a, sizeof a);
  close(fd);
  pthread_join(sv->th, NULL);
  close(sv->lfd);
}

/* ---- a minimal adapter: POST {endpoint}/{function} ---- */

static int t_prepare(const struct provider *p, const struct invocation *inv, struct http_req *out, char **err) {
  (void)err;
  out->url = g_strdup_printf("%s/%s", p->endpoint, inv->function);
  out->body_len = inv->request_bytes > 2 ? inv->request_bytes : 2;
  out->body = g_malloc(out->body_len);
  memset(out->body, ' ', out->body_len);
  memcpy(out->body, "{}", 2);
  out->headers = g_new0(char *, 2);
  out->headers[0] = g_strdup("Content-Type: application/json");
  if (g_str_has_prefix(inv->function, "signed")) { /* as provider_lambda.c signs */
    out->aws_sigv4 = g_strdup("aws:amz:us-east-1:lambda");
    out->userpwd = g_strdup("AKIDTEST:test-secret");
  }
  return 0;
}

/* Static reasons for the 418s of /reasonN (N < 40). */
static const char *const many_reasons[40] = {
    "r0",  "r1",  "r2",  "r3",  "r4",  "r5",  "r6",  "r7",  "r8",  "r9",  "r10", "r11", "r12", "r13",
    "r14", "r15", "r16", "r17", "r18", "r19", "r20", "r21", "r22", "r23", "r24", "r25", "r26", "r27",
    "r28", "r29", "r30", "r31", "r32", "r33", "r34", "r35", "r36", "r37", "r38", "r39"};

static void t_interpret(const struct provider *p, const struct http_resp *r, struct invoke_result *out,
                        const char **reason, bool *malformed) {
  (void)p;
  (void)malformed;
  *out = (struct invoke_result){.http_status = (int)r->status, .latency = r->latency};
  const char *xr = http_resp_header(r, "X-Reason", NULL);
  if (r->status == 418 && xr && atoi(xr) >= 0 && atoi(xr) < 40) out->status = INVOKE_ERROR, *reason = many_reasons[atoi(xr)];
  else if (r->status >= 200 && r->status < 300) out->status = INVOKE_OK;
  else if (r->status == 429) out->status = INVOKE_THROTTLED, *reason = "throttled";
  else if (r->status == 401 || r->status == 403) out->status = INVOKE_ERROR, *reason = "auth";
  else out->status = INVOKE_ERROR, *reason = "http_5xx";
}

static const struct provider_ops test_ops = {.kind = "test", .prepare = t_prepare, .interpret = t_interpret};

struct tally {
  int n, by_status[INVOKE_NSTATUS];
  const char *last_reason;
  cm_time last_latency;
  int stop_at;
};

static void on_done(env *e, void *arg, const struct invoke_result *r) {
  struct tally *t = arg;
  t->n++;
  t->by_status[r->status]++;
  t->last_reason = r->reason;
  t->last_latency = r->latency;
  if (t->n == t->stop_at) env_stop(e);
}

static env *make_env(struct provider *p, uint16_t port) {
  env *e = env_real_new(1);
  *p = (struct provider){.ops = &test_ops, .timeout = CM_MS(300)};
  strcpy(p->name, "test");
  p->endpoint = g_strdup_printf("http://127.0.0.1:%u", (unsigned)port);
  struct env_real_provider ep = {.p = p};
  assert_int_equal(env_real_set_providers(e, &ep, 1), 0);
  return e;
}

/* One call to path: its status and reason, within a bounded wall time.
 * Only /slow runs under the provider's 300 ms deadline (its subject); the
 * others get 3 s, so that a loaded machine (CI under ASan, reading the
 * oversized body up to its limit) does not turn their outcome into a
 * timeout. */
static void one(env *e, const char *path, enum invoke_status want, const char *reason) {
  struct tally t = {.stop_at = 1};
  cm_time timeout = strcmp(path, "slow") ? CM_S(3) : 0;
  request_id id = env_invoke(e, &(struct invocation){.function = path, .timeout = timeout}, on_done, &t);
  assert_true(id > 0);
  env_run(e, env_now(e) + CM_S(5));
  if (t.n != 1) fail_msg("%s: %d outcomes", path, t.n);
  if (t.by_status[want] != 1) fail_msg("%s: status not %d", path, (int)want);
  if (reason && (!t.last_reason || strcmp(t.last_reason, reason) != 0))
    fail_msg("%s: reason %s, expected %s", path, t.last_reason ? t.last_reason : "(none)", reason);
}

/* A call with exec_hint h to path: its status. */
static enum invoke_status hinted(env *e, const char *path, cm_time h) {
  struct tally t = {.stop_at = 1};
  request_id id = env_invoke(e, &(struct invocation){.function = path, .exec_hint = h}, on_done, &t);
  assert_true(id > 0);
  env_run(e, env_now(e) + CM_S(5));
  if (t.n != 1) fail_msg("%s: %d outcomes", path, t.n);
  for (int s = 0; s < INVOKE_NSTATUS; s++)
    if (t.by_status[s]) return (enum invoke_status)s;
  return INVOKE_NSTATUS;
}

static void test_exec_hint(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  assert_int_equal(hinted(e, "exec123456789", 123456789), INVOKE_OK);
  assert_int_equal(hinted(e, "exec0", 0), INVOKE_OK);
  assert_int_equal(hinted(e, "exec5", 6), INVOKE_ERROR); /* the server can tell: 400 */
  env_free(e);
  g_free(p.endpoint);
  server_stop(&sv);
}

/* The count of failures with reason in st (0 if it has no slot). */
static uint64_t reason_n(const struct env_real_http_stats *st, const char *reason) {
  for (uint32_t i = 0; i < st->nreasons; i++)
    if (!strcmp(st->by_reason[i].reason, reason)) return st->by_reason[i].n;
  return 0;
}

static void test_outcomes(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  one(e, "ok", INVOKE_OK, NULL);
  one(e, "throttle", INVOKE_THROTTLED, "throttled");
  one(e, "auth", INVOKE_ERROR, "auth");
  one(e, "slow", INVOKE_TIMEOUT, "deadline");
  one(e, "garbage", INVOKE_NETWORK, "malformed_http");
  one(e, "truncated", INVOKE_NETWORK, "truncated");
  one(e, "close", INVOKE_NETWORK, "empty_reply");
  one(e, "badheader", INVOKE_NETWORK, NULL);
  one(e, "oversized", INVOKE_NETWORK, "oversized");
  one(e, "biglength", INVOKE_NETWORK, "oversized");
  struct env_real_http_stats st;
  env_real_http_stats(e, &st);
  assert_int_equal(st.invoked, 10);
  assert_int_equal(st.in_flight, 0);
  uint64_t sum = 0;
  for (int i = 0; i < INVOKE_NSTATUS; i++) sum += st.by_status[i];
  assert_int_equal(sum, 10);
  assert_int_equal(st.oversized, 2);
  /* every failure counted once under its reason */
  assert_int_equal(reason_n(&st, "throttled"), 1);
  assert_int_equal(reason_n(&st, "auth"), 1);
  assert_int_equal(reason_n(&st, "deadline"), 1);
  assert_int_equal(reason_n(&st, "malformed_http"), 2); /* garbage, badheader */
  assert_int_equal(reason_n(&st, "truncated"), 1);
  assert_int_equal(reason_n(&st, "empty_reply"), 1);
  assert_int_equal(reason_n(&st, "oversized"), 2);
  uint64_t by_reason = 0;
  for (uint32_t i = 0; i < st.nreasons; i++) by_reason += st.by_reason[i].n;
  assert_int_equal(by_reason, 10 - st.by_status[INVOKE_OK]);
  env_free(e);
  g_free(p.endpoint);
  server_stop(&sv);
}

/* Signed requests (SigV4 through curl) carry every header they sign, so a
 * server's signature matches: small bodies, and a 2 MB body sent without
 * waiting for 100-continue (the server here never sends it; curl's own
 * wait is 1 s). */
static void test_signed(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  p.timeout = CM_S(3);
  one(e, "signed", INVOKE_OK, NULL);
  struct tally t = {.stop_at = 1};
  assert_true(env_invoke(e, &(struct invocation){.function = "signed-big", .request_bytes = 2u << 20}, on_done, &t) > 0);
  env_run(e, env_now(e) + CM_S(5));
  assert_int_equal(t.by_status[INVOKE_OK], 1);
  assert_true(t.last_latency < CM_MS(700));
  one(e, "ok", INVOKE_OK, NULL); /* unsigned requests still work */
  env_free(e);
  g_free(p.endpoint);
  server_stop(&sv);
}

/* Distinct failure reasons past the table's room are counted as "other";
 * none is lost. */
static void test_reason_overflow(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  char path[32];
  for (int i = 0; i < 40; i++) {
    snprintf(path, sizeof path, "reason%d", i);
    one(e, path, INVOKE_ERROR, many_reasons[i]);
  }
  one(e, "reason0", INVOKE_ERROR, "r0");
  struct env_real_http_stats st;
  env_real_http_stats(e, &st);
  assert_int_equal(st.nreasons, ENV_REAL_REASONS_MAX);
  assert_int_equal(reason_n(&st, "r0"), 2);
  assert_int_equal(reason_n(&st, "r30"), 1);
  assert_int_equal(reason_n(&st, "r31"), 0);
  assert_int_equal(reason_n(&st, "other"), 40 - (ENV_REAL_REASONS_MAX - 1));
  uint64_t sum = 0;
  for (uint32_t i = 0; i < st.nreasons; i++) sum += st.by_reason[i].n;
  assert_int_equal(sum, 41);
  env_free(e);
  g_free(p.endpoint);
  server_stop(&sv);
}

/* Nobody listens: refused at once, not at the deadline. */
static void test_refused(void **state CM_UNUSED) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bind(fd, (struct sockaddr *)&a, sizeof a);
  socklen_t l = sizeof a;
  getsockname(fd, (struct sockaddr *)&a, &l);
  close(fd); /* the port is free now: connections are refused */
  struct provider p;
  env *e = make_env(&p, ntohs(a.sin_port));
  struct tally t = {.stop_at = 1};
  assert_true(env_invoke(e, &(struct invocation){.function = "ok"}, on_done, &t) > 0);
  env_run(e, env_now(e) + CM_S(5));
  assert_int_equal(t.by_status[INVOKE_NETWORK], 1);
  assert_string_equal(t.last_reason, "refused");
  assert_true(t.last_latency < CM_MS(300));
  /* a provider index past the table, and a bin past the provider's bins, are refused */
  assert_int_equal(env_invoke(e, &(struct invocation){.function = "ok", .provider = 1}, on_done, &t), CM_EINVAL);
  env_free(e);
  g_free(p.endpoint);
}

/* Many calls in flight, a few connections reused by all; a cancelled call
 * never calls back; freeing the env with calls in flight calls nothing. */
static void test_many_cancel_free(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  enum { N = 400 };
  struct tally t = {.stop_at = N - 1};
  request_id ids[N];
  for (int i = 0; i < N; i++) {
    ids[i] = env_invoke(e, &(struct invocation){.function = "ok"}, on_done, &t);
    assert_true(ids[i] > 0);
  }
  assert_true(env_invoke_cancel(e, ids[7]));
  assert_false(env_invoke_cancel(e, ids[7]));
  env_run(e, env_now(e) + CM_S(20));
  assert_int_equal(t.n, N - 1);
  assert_int_equal(t.by_status[INVOKE_OK], N - 1);
  assert_false(env_invoke_cancel(e, ids[0])); /* finished */
  struct env_real_http_stats st;
  env_real_http_stats(e, &st);
  assert_int_equal(st.cancelled, 1);
  assert_int_equal(st.in_flight, 0);
  /* a second wave reuses the connections the first opened */
  uint64_t conns = st.connections;
  t = (struct tally){.stop_at = 50};
  for (int i = 0; i < 50; i++) assert_true(env_invoke(e, &(struct invocation){.function = "ok"}, on_done, &t) > 0);
  env_run(e, env_now(e) + CM_S(20));
  assert_int_equal(t.by_status[INVOKE_OK], 50);
  env_real_http_stats(e, &st);
  assert_true(st.connections == conns);
  /* in flight at the free: nothing calls back (ASan: nothing leaks) */
  t = (struct tally){0};
  for (int i = 0; i < 20; i++) assert_true(env_invoke(e, &(struct invocation){.function = "slow"}, on_done, &t) > 0);
  env_run(e, env_now(e) + CM_MS(50));
  env_free(e);
  assert_int_equal(t.n, 0);
  g_free(p.endpoint);
  server_stop(&sv);
}

struct hook {
  env *e;
  int n;
  CURLcode rc;
  CURL *easy;
};

static void hook_done(void *arg, CURLcode rc, CURL *easy) {
  struct hook *h = arg;
  h->n++;
  h->rc = rc;
  h->easy = easy;
  env_stop(h->e);
}

static size_t sink(char *b, size_t size, size_t n, void *u) {
  (void)b;
  (void)u;
  return size * n;
}

static void test_add_easy(void **state CM_UNUSED) {
  struct server sv;
  server_start(&sv);
  struct provider p;
  env *e = make_env(&p, sv.port);
  one(e, "ok", INVOKE_OK, NULL); /* the invoker opens one connection */
  CURL *c = curl_easy_init();
  char url[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%u/ok", (unsigned)sv.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, "{}");
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, sink);
  struct hook h = {.e = e};
  assert_int_equal(real_http__add_easy(e, c, hook_done, &h), 0);
  assert_int_equal(h.n, 0); /* never inside the call */
  assert_int_equal(real_http__add_easy(e, c, hook_done, &h), CM_EINVAL);
  assert_int_equal(real_http__add_easy(e, NULL, hook_done, &h), CM_EINVAL);
  env_run(e, env_now(e) + CM_S(5));
  assert_int_equal(h.n, 1);
  assert_int_equal(h.rc, CURLE_OK);
  assert_ptr_equal(h.easy, c);
  long code = 0;
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
  assert_int_equal(code, 200);
  assert_int_equal(__atomic_load_n(&sv.accepted, __ATOMIC_SEQ_CST), 1); /* the invoker's connection, reused */
  one(e, "ok", INVOKE_OK, NULL); /* the invoker still works */
  /* removed while in flight: never called back */
  snprintf(url, sizeof url, "http://127.0.0.1:%u/slow", (unsigned)sv.port);
  curl_easy_setopt(c, CURLOPT_URL, url);
  assert_int_equal(real_http__add_easy(e, c, hook_done, &h), 0);
  env_run(e, env_now(e) + CM_MS(100));
  real_http__remove_easy(e, c);
  real_http__remove_easy(e, c); /* not in flight: ignored */
  env_run(e, env_now(e) + CM_MS(1700));
  assert_int_equal(h.n, 1);
  /* in flight when the env is freed: never called back either */
  assert_int_equal(real_http__add_easy(e, c, hook_done, &h), 0);
  env_run(e, env_now(e) + CM_MS(50));
  env_free(e);
  assert_int_equal(h.n, 1);
  curl_easy_cleanup(c);
  g_free(p.endpoint);
  server_stop(&sv);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outcomes),
      cmocka_unit_test(test_signed),
      cmocka_unit_test(test_exec_hint),
      cmocka_unit_test(test_reason_overflow),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_many_cancel_free),
      cmocka_unit_test(test_add_easy),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
