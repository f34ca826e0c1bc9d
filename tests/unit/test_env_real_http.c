/* The real backend's invoker (real/env_real_http.c) against a scripted HTTP
 * server on loopback: every invocation ends in exactly one outcome with its
 * reason, whatever the server does (answers, throttles, refuses, answers
 * too late, sends garbage, truncates, sends too much, closes), nothing
 * hangs, cancellation stops the callback, connections are reused, and many
 * calls run in flight at once. The adapter here is a minimal test kind, so
 * the transport is tested apart from the platforms' adapters
 * (test_provider.c tests those). */
#include "cmocka_inc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "env_real.h"
#include "provider.h"

/* ---- a scripted server: one thread per connection; the path says what to do ---- */

struct server {
  int lfd;
  uint16_t port;
  pthread_t th;
  volatile int stop;
  volatile int accepted, requests;
};

static bool read_request(int fd, char *path, size_t pathlen) {
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
  return true;
}

static void say(int fd, const char *s) { (void)!write(fd, s, strlen(s)); }

static void *conn_main(void *arg) {
  struct server *sv = ((void **)arg)[0];
  int fd = (int)(intptr_t)((void **)arg)[1];
  g_free(arg);
  char path[256];
  while (read_request(fd, path, sizeof path)) {
    __atomic_add_fetch(&sv->requests, 1, __ATOMIC_SEQ_CST);
    if (strcmp(path, "/ok") == 0) {
      say(fd, "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}");
      continue; /* keep-alive */
    }
    if (strcmp(path, "/throttle") == 0) {
      say(fd, "HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n");
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
  out->body = (uint8_t *)g_strdup("{}");
  out->body_len = 2;
  out->headers = g_new0(char *, 2);
  out->headers[0] = g_strdup("Content-Type: application/json");
  return 0;
}

static void t_interpret(const struct provider *p, const struct http_resp *r, struct invoke_result *out,
                        const char **reason, bool *malformed) {
  (void)p;
  (void)malformed;
  *out = (struct invoke_result){.http_status = (int)r->status, .latency = r->latency};
  if (r->status >= 200 && r->status < 300) out->status = INVOKE_OK;
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

/* One call to path: its status and reason, within a bounded wall time. */
static void one(env *e, const char *path, enum invoke_status want, const char *reason) {
  struct tally t = {.stop_at = 1};
  request_id id = env_invoke(e, &(struct invocation){.function = path}, on_done, &t);
  assert_true(id > 0);
  env_run(e, env_now(e) + CM_S(5));
  if (t.n != 1) fail_msg("%s: %d outcomes", path, t.n);
  if (t.by_status[want] != 1) fail_msg("%s: status not %d", path, (int)want);
  if (reason && (!t.last_reason || strcmp(t.last_reason, reason) != 0))
    fail_msg("%s: reason %s, expected %s", path, t.last_reason ? t.last_reason : "(none)", reason);
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

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_outcomes),
      cmocka_unit_test(test_refused),
      cmocka_unit_test(test_many_cancel_free),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
