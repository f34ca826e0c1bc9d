/* The Redis store client (real/store_redis.c) against a redis-server of its
 * own on a free loopback port (skipped when redis-server is missing):
 * round trips through env_put / env_get / env_delete, many requests in
 * flight on one connection, a reconnect after the server dropped the
 * connection, a cancelled large put that leaves neither the key nor its
 * temporary key behind, listing, the endpoint parser, and an env freed
 * with requests in flight (no callback, nothing leaked under ASan). */
#include "cmocka_inc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glib.h>

#include "env_real.h"
#include "store.h"
#include "store_redis.h"

static GPid server;
static int port;
static char url[64];

static int free_port(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  bind(fd, (struct sockaddr *)&a, sizeof a);
  getsockname(fd, (struct sockaddr *)&a, &n);
  close(fd);
  return ntohs(a.sin_port);
}

static bool answers(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  bool ok = connect(fd, (struct sockaddr *)&a, sizeof a) == 0;
  close(fd);
  return ok;
}

static int setup(void **state CM_UNUSED) {
  char *path = g_find_program_in_path("redis-server");
  if (!path) return 0;
  port = free_port();
  char ps[16];
  snprintf(ps, sizeof ps, "%d", port);
  char *argv[] = {path, "--port", ps, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", NULL};
  if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, &server, NULL)) server = 0;
  g_free(path);
  for (int i = 0; server && i < 100 && !answers(); i++) g_usleep(50000);
  snprintf(url, sizeof url, "redis://127.0.0.1:%d", port);
  return 0;
}

static int teardown(void **state CM_UNUSED) {
  if (server) {
    kill(server, SIGKILL);
    waitpid(server, NULL, 0);
  }
  return 0;
}

/* redis-cli ARGS on our server: its first output line (g_malloc'd). */
static char *cli(const char *args) {
  char *cmd = g_strdup_printf("redis-cli -p %d %s", port, args), *out = NULL;
  g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL);
  g_free(cmd);
  if (out) out[strcspn(out, "\n")] = '\0';
  return out ? out : g_strdup("");
}

struct got {
  int calls, status;
  size_t len;
  char *value;
};

static void on_done(env *e CM_UNUSED, void *arg, int status, const uint8_t *value, size_t len) {
  struct got *g = arg;
  g->calls++;
  g->status = status;
  g->len = len;
  g_free(g->value);
  g->value = value ? g_strndup((const char *)value, len) : NULL;
}

static env *new_env(void) {
  env *e = env_real_new(1);
  struct store_endpoint ep = {.name = "r", .kind = "redis", .endpoint = url, .timeout = CM_S(5)};
  char *err = NULL;
  struct store_client *c = store_client_new(e, &ep, &err);
  if (!c) fail_msg("%s", err);
  assert_int_equal(c->timeout, CM_S(5));
  assert_int_equal(env_real_set_stores(e, &c, 1), 0);
  return e;
}

/* Run e until every got has its callback (5 s at most). */
static void wait_all(env *e, struct got *g, int n) {
  for (int k = 0; k < 500; k++) {
    int done = 0;
    for (int i = 0; i < n; i++) done += g[i].calls;
    if (done == n) return;
    env_run(e, env_now(e) + CM_MS(10));
  }
  fail_msg("no answer within 5 s");
}

static void op(env *e, enum store_op o, const char *key, const char *value, size_t len, bool length_only,
               struct got *g) {
  struct store_req q = {.key = key, .value = (const uint8_t *)value, .len = value ? strlen(value) : len,
                        .length_only = length_only};
  request_id id = o == STORE_PUT ? env_put(e, &q, on_done, g) : o == STORE_GET ? env_get(e, &q, on_done, g)
                                                                               : env_delete(e, &q, on_done, g);
  assert_true(id > 0);
  assert_int_equal(g->calls, 0);
  wait_all(e, g, 1);
  assert_int_equal(g->calls, 1);
}

static void test_round_trip(void **state CM_UNUSED) {
  if (!server) skip();
  env *e = new_env();
  struct got g = {0};
  op(e, STORE_PUT, "rt", "v1", 0, false, &g);
  assert_int_equal(g.status, 0);
  assert_int_equal(g.len, 2);
  g.calls = 0;
  op(e, STORE_GET, "rt", NULL, 0, false, &g);
  assert_int_equal(g.status, 0);
  assert_string_equal(g.value, "v1");
  g.calls = 0;
  op(e, STORE_GET, "rt", NULL, 0, true, &g);
  assert_int_equal(g.len, 2);
  assert_null(g.value);
  g.calls = 0;
  op(e, STORE_DELETE, "rt", NULL, 0, false, &g);
  assert_int_equal(g.status, 0);
  g.calls = 0;
  op(e, STORE_GET, "rt", NULL, 0, false, &g);
  assert_int_equal(g.status, CM_ENOENT);
  g.calls = 0;
  op(e, STORE_GET, "rt", NULL, 0, true, &g);
  assert_int_equal(g.status, CM_ENOENT);

  /* 100 in flight at once on the one connection, each answered once */
  struct got many[100] = {{0}};
  for (int i = 0; i < 100; i++) {
    char k[16];
    snprintf(k, sizeof k, "m%d", i);
    struct store_req q = {.key = k, .len = (size_t)i * 100};
    assert_true(env_put(e, &q, on_done, &many[i]) > 0);
  }
  wait_all(e, many, 100);
  for (int i = 0; i < 100; i++) assert_int_equal(many[i].status, 0);
  char *n = cli("strlen m99");
  assert_string_equal(n, "9900");
  g_free(n);
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.requested, 106);
  assert_int_equal(st.ok, 104);
  assert_int_equal(st.miss, 2);
  assert_int_equal(st.in_flight, 0);
  g_free(g.value);
  env_free(e);
}

static void test_reconnect(void **state CM_UNUSED) {
  if (!server) skip();
  env *e = new_env();
  struct got g = {0};
  op(e, STORE_PUT, "rc", "before", 0, false, &g);
  assert_int_equal(g.status, 0);
  g_free(cli("client kill type normal")); /* the server drops our connection */
  env_run(e, env_now(e) + CM_MS(100));   /* we see it close */
  g.calls = 0;
  op(e, STORE_GET, "rc", NULL, 0, false, &g); /* a new connection */
  assert_int_equal(g.status, 0);
  assert_string_equal(g.value, "before");
  g_free(g.value);
  env_free(e);
}

static void test_cancel_large_put(void **state CM_UNUSED) {
  if (!server) skip();
  env *e = new_env();
  struct got g = {0};
  struct store_req q = {.key = "big", .len = 8u << 20};
  request_id id = env_put(e, &q, on_done, &g);
  assert_true(id > 0);
  env_run(e, env_now(e) + CM_MS(3)); /* a chunk or two on the way */
  assert_true(env_store_cancel(e, id));
  env_run(e, env_now(e) + CM_MS(300));
  assert_int_equal(g.calls, 0);
  char *ex = cli("exists big"), *tmp = cli("keys '*cloudmix-tmp*'");
  assert_string_equal(ex, "0");
  assert_string_equal(tmp, "");
  g_free(ex);
  g_free(tmp);
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.cancelled, 1);
  assert_int_equal(st.in_flight, 0);
  env_free(e);
}

struct listing {
  int calls, status;
  GPtrArray *keys;
};

static void on_list(void *arg, int status, const char *reason CM_UNUSED, const char *const *keys, size_t n) {
  struct listing *l = arg;
  l->calls++;
  l->status = status;
  for (size_t i = 0; i < n; i++) g_ptr_array_add(l->keys, g_strdup(keys[i]));
}

static void test_list_and_free_in_flight(void **state CM_UNUSED) {
  if (!server) skip();
  env *e = new_env();
  struct got g[3] = {{0}};
  const char *keys[] = {"ls/a", "ls/b c", "other"};
  for (int i = 0; i < 3; i++) op(e, STORE_PUT, keys[i], "x", 0, false, &g[i]);
  struct store_client *c = env_real_store_client(e, 0);
  struct listing l = {.keys = g_ptr_array_new_with_free_func(g_free)};
  const char *why = NULL;
  assert_non_null(c->ops->list(c, "ls/", on_list, &l, &why));
  assert_int_equal(l.calls, 0);
  for (int k = 0; k < 500 && !l.calls; k++) env_run(e, env_now(e) + CM_MS(10));
  assert_int_equal(l.calls, 1);
  assert_int_equal(l.status, 0);
  assert_int_equal(l.keys->len, 2);
  g_ptr_array_free(l.keys, TRUE);
  /* freed with a get and a listing in flight: neither calls back */
  struct got late = {0};
  struct store_req q = {.key = "ls/a"};
  assert_true(env_get(e, &q, on_done, &late) > 0);
  struct listing l2 = {.keys = g_ptr_array_new_with_free_func(g_free)};
  void *h = c->ops->list(c, "", on_list, &l2, &why);
  assert_non_null(h);
  c->ops->abort(c, h);
  env_free(e);
  assert_int_equal(late.calls, 0);
  assert_int_equal(l2.calls, 0);
  g_ptr_array_free(l2.keys, TRUE);
}

static void test_down(void **state CM_UNUSED) {
  env *e = env_real_new(1);
  char u[64];
  snprintf(u, sizeof u, "redis://127.0.0.1:%d", free_port()); /* nothing listens there */
  struct store_endpoint ep = {.name = "r", .kind = "redis", .endpoint = u};
  char *err = NULL;
  struct store_client *c = store_client_new(e, &ep, &err);
  assert_non_null(c);
  assert_int_equal(env_real_set_stores(e, &c, 1), 0);
  struct got g = {0};
  op(e, STORE_GET, "k", NULL, 0, false, &g);
  assert_int_equal(g.status, CM_EIO);
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  assert_int_equal(st.failed, 1);
  assert_string_equal(st.by_reason[0].reason, "refused");
  env_free(e);
}

static void test_parse(void **state CM_UNUSED) {
  char *h = NULL;
  int p, d;
  assert_null(store_redis__parse("redis://cache.local:6380/7", &h, &p, &d));
  assert_string_equal(h, "cache.local");
  assert_int_equal(p, 6380);
  assert_int_equal(d, 7);
  g_free(h);
  assert_null(store_redis__parse("redis://[::1]:6379", &h, &p, &d));
  assert_string_equal(h, "::1");
  assert_int_equal(d, 0);
  g_free(h);
  const char *bad[] = {"redis://h",   "redis://:1",    "redis://h:0",  "redis://h:1/",   "redis://h:1/x",
                       "redis://h:1x", "http://h:1",    "redis://[::1]", "redis://u@h:1", "redis://h:123456"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    h = NULL;
    if (!store_redis__parse(bad[i], &h, &p, &d)) fail_msg("accepted %s", bad[i]);
    assert_null(h);
  }
  env *e = env_real_new(1);
  struct store_endpoint ep = {.name = "r", .kind = "redis", .endpoint = "redis://h"};
  char *err = NULL;
  assert_null(store_client_new(e, &ep, &err));
  assert_string_equal(err, "store r: endpoint: expected a :PORT after the host");
  g_free(err);
  ep.kind = "memcached";
  assert_null(store_client_new(e, &ep, &err));
  assert_non_null(strstr(err, "unknown kind 'memcached'"));
  g_free(err);
  env_free(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_round_trip),       cmocka_unit_test(test_reconnect),
      cmocka_unit_test(test_cancel_large_put), cmocka_unit_test(test_list_and_free_in_flight),
      cmocka_unit_test(test_down),             cmocka_unit_test(test_parse),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
