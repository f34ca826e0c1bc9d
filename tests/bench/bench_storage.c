/* `bench real-storage`: our real storage clients (real/store.h) beside a
 * reference client written elsewhere, against the same server, in one run.
 *
 *  1. Small objects: redis-server on a free loopback port; 1 KiB SETs then
 *     GETs (whole values) through env_put / env_get (the hiredis client, 64
 *     requests in flight on its one connection), beside `redis-benchmark -t
 *     set,get -d 1024` against the same server twice: its default (50
 *     connections, one request in flight each) and our shape (-c 1 -P 64).
 *     Goal: our rate >= 0.5 of redis-benchmark's.
 *  2. Large objects: one 64 MiB object put and got (length only, hashed:
 *     the client checks the body's MD5 against the ETag / Content-MD5)
 *     through env_put / env_get, against moto_server (S3 API) and azurite
 *     (Azure Blob), beside curl uploading and downloading the same object
 *     to the same server (curl's own SigV4 for moto; for azurite a Shared
 *     Key header computed by tests/bench/azure_sign.py, as curl has no
 *     Azure signing). MB/s each, and the ratio ours / curl's. Goal >= 0.8.
 * Servers are started here on 127.0.0.1 and killed at the end; a missing
 * program makes that part print why and the benchmark fail. */
#include <glib.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include "bench_util.h"
#include "env_real.h"
#include "store.h"
#include "store_http.h"

#define SMALL 1024
#define IN_FLIGHT 64
#define BIG_FULL (64u << 20)
/* The large object's size: 64 MiB; 4 MiB under --quick (a smoke run: the
 * figures are not meaningful, as for every benchmark in quick mode). */
static size_t big = BIG_FULL;
#define BIG big

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t n = sizeof a;
  int port = -1;
  if (s >= 0 && bind(s, (struct sockaddr *)&a, sizeof a) == 0 && getsockname(s, (struct sockaddr *)&a, &n) == 0)
    port = ntohs(a.sin_port);
  if (s >= 0) close(s);
  return port;
}

/* Wait until 127.0.0.1:port accepts (10 s at most). */
static bool wait_port(int port) {
  for (int i = 0; i < 200; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool ok = s >= 0 && connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    if (s >= 0) close(s);
    if (ok) return true;
    g_usleep(50000);
  }
  return false;
}

/* Start argv in the background (output to /dev/null), wait for port. */
static GPid server_start(char **argv, int port, const char *what) {
  GPid pid = 0;
  GError *gerr = NULL;
  if (!g_spawn_async(NULL, argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL |
                                           G_SPAWN_DO_NOT_REAP_CHILD,
                     NULL, NULL, &pid, &gerr)) {
    fprintf(stderr, "bench real-storage: cannot start %s: %s\n", what, gerr->message);
    g_error_free(gerr);
    return 0;
  }
  if (!wait_port(port)) {
    fprintf(stderr, "bench real-storage: %s did not listen on 127.0.0.1:%d\n", what, port);
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    return 0;
  }
  return pid;
}

static void server_stop(GPid pid) {
  if (pid <= 0) return;
  kill(pid, SIGTERM);
  waitpid(pid, NULL, 0);
  g_spawn_close_pid(pid);
}

/* Run a command; its stdout (g_malloc'd) or NULL (why on stderr). */
static char *run_cmd(char **argv, const char *what) {
  char *out = NULL, *errs = NULL;
  int status = 0;
  GError *gerr = NULL;
  if (!g_spawn_sync(NULL, argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &errs, &status, &gerr) ||
      !g_spawn_check_wait_status(status, &gerr)) {
    fprintf(stderr, "bench real-storage: %s failed: %s\n%s", what, gerr ? gerr->message : "", errs ? errs : "");
    g_clear_error(&gerr);
    g_free(out);
    out = NULL;
  }
  g_free(errs);
  return out;
}

/* ---- our client: requests through the seam, IN_FLIGHT at a time ---- */

struct drive {
  env *e;
  enum store_op op;
  uint64_t to_start, started, done, failed;
  size_t len;
  const uint8_t *value;
  char key[64];
  int first_status;
  bool length_only; /* gets: keep no bytes (the 64 MiB object); else the whole value, as GET returns it */
};

static void issue(struct drive *d);

static void on_done(env *e, void *arg, int status, const uint8_t *value CM_UNUSED, size_t len CM_UNUSED) {
  struct drive *d = arg;
  d->done++;
  if (status != 0) {
    if (!d->failed) d->first_status = status;
    d->failed++;
  }
  if (d->started < d->to_start) issue(d);
  if (d->done == d->to_start) env_stop(e);
}

static void issue(struct drive *d) {
  snprintf(d->key, sizeof d->key, "bench/%llu", (unsigned long long)(d->started % 1000));
  struct store_req q = {.store = 0, .key = d->key, .value = d->value, .len = d->len, .length_only = d->length_only};
  d->started++;
  request_id id = d->op == STORE_PUT ? env_put(d->e, &q, on_done, d) : env_get(d->e, &q, on_done, d);
  if (id < 0) { /* counted as a failure; keep going so the run ends */
    d->done++;
    d->failed++;
    if (!d->first_status) d->first_status = (int)id;
  }
}

/* n requests of op, `inflight` at a time: requests/s, or -1. */
static double drive(env *e, enum store_op op, uint64_t n, uint32_t inflight, const uint8_t *value, size_t len) {
  struct drive d = {.e = e, .op = op, .to_start = n, .len = len, .value = value, .length_only = len == BIG};
  double t0 = bench_now();
  for (uint32_t i = 0; i < inflight && d.started < n; i++) issue(&d);
  while (d.done < n)
    if (env_run(e, env_now(e) + CM_S(600)) != 0) break;
  double secs = bench_now() - t0;
  if (d.failed || d.done < n) {
    fprintf(stderr, "bench real-storage: %llu of %llu requests failed (first: %s)\n", (unsigned long long)d.failed,
            (unsigned long long)n, cm_strerror(d.first_status));
    return -1;
  }
  return (double)n / secs;
}

/* A real env with one store behind ep; NULL (why on stderr). */
static env *store_env(const struct store_endpoint *ep) {
  env *e = env_real_new(1);
  char *err = NULL;
  struct store_client *c = e ? store_client_new(e, ep, &err) : NULL;
  if (!c || env_real_set_stores(e, &c, 1) != 0) {
    fprintf(stderr, "bench real-storage: %s: %s\n", ep->name, err ? err : "cannot set up the client");
    g_free(err);
    env_free(e);
    return NULL;
  }
  return e;
}

/* redis-benchmark's requests/s for test ("SET" or "GET") from its --csv output. */
static double csv_rate(const char *out, const char *test) {
  char *pat = g_strdup_printf("\"%s\",\"", test);
  const char *p = strstr(out, pat);
  double r = p ? g_ascii_strtod(p + strlen(pat), NULL) : -1;
  g_free(pat);
  return r;
}

static int small_objects(bool quick) {
  int port = free_port();
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  char *rs[] = {"redis-server", "--port", ports, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", NULL};
  GPid pid = server_start(rs, port, "redis-server");
  if (!pid) return 1;
  uint64_t n = quick ? 2000 : 100000;
  char ns[24];
  snprintf(ns, sizeof ns, "%llu", (unsigned long long)n);
  /* the reference twice: its default (50 connections, one request each in
   * flight) and our shape (one connection, 64 pipelined) */
  char *rb[] = {"redis-benchmark", "-h", "127.0.0.1", "-p", ports, "-t", "set,get", "-d", "1024", "-n", ns,
                "-r", "1000", "--csv", NULL};
  char *rbp[] = {"redis-benchmark", "-h", "127.0.0.1", "-p", ports, "-t", "set,get", "-d", "1024", "-n", ns,
                 "-r", "1000", "-c", "1", "-P", "64", "--csv", NULL};
  char *out = run_cmd(rb, "redis-benchmark");
  double ref_set = out ? csv_rate(out, "SET") : -1, ref_get = out ? csv_rate(out, "GET") : -1;
  g_free(out);
  out = run_cmd(rbp, "redis-benchmark -c 1 -P 64");
  double pip_set = out ? csv_rate(out, "SET") : -1, pip_get = out ? csv_rate(out, "GET") : -1;
  g_free(out);
  char *url = g_strdup_printf("redis://127.0.0.1:%d", port);
  struct store_endpoint ep = {.name = "bench-redis", .kind = "redis", .endpoint = url, .timeout = CM_S(30)};
  env *e = store_env(&ep);
  uint8_t *value = g_malloc(SMALL);
  memset(value, 'x', SMALL);
  double put = e ? drive(e, STORE_PUT, n, IN_FLIGHT, value, SMALL) : -1;
  double get = e ? drive(e, STORE_GET, n, IN_FLIGHT, NULL, 0) : -1;
  env_free(e);
  g_free(value);
  g_free(url);
  server_stop(pid);
  const struct {
    const char *op;
    double ours, ref, pip;
  } rows[] = {{"put", put, ref_set, pip_set}, {"get", get, ref_get, pip_get}};
  for (int i = 0; i < 2; i++)
    printf("bench real-storage part=small bytes=%d n=%llu in_flight=%d op=%s ours_per_s=%.0f "
           "redis_benchmark_per_s=%.0f ratio=%.2f redis_benchmark_c1_p64_per_s=%.0f ratio_c1_p64=%.2f goal=0.5\n",
           SMALL, (unsigned long long)n, IN_FLIGHT, rows[i].op, rows[i].ours, rows[i].ref,
           rows[i].ref > 0 ? rows[i].ours / rows[i].ref : NAN, rows[i].pip,
           rows[i].pip > 0 ? rows[i].ours / rows[i].pip : NAN);
  return put > 0 && get > 0 && ref_set > 0 && ref_get > 0 ? 0 : 1;
}

/* ---- 64 MiB against moto and azurite ---- */

/* curl's wall seconds for argv, or -1. */
static double curl_secs(char **argv, const char *what) {
  double t0 = bench_now();
  char *out = run_cmd(argv, what);
  double s = bench_now() - t0;
  if (!out) return -1;
  bool ok = strncmp(out, "20", 2) == 0; /* -w '%{http_code}' */
  if (!ok) fprintf(stderr, "bench real-storage: %s answered %s\n", what, out);
  g_free(out);
  return ok ? s : -1;
}

/* Our put and get of one BIG object: seconds each (median of 3), -1 on failure. */
static void ours_big(const struct store_endpoint *ep, const uint8_t *value, double *put_s, double *get_s) {
  env *e = store_env(ep);
  double p[3] = {-1, -1, -1}, g[3] = {-1, -1, -1};
  for (int i = 0; e && i < 3; i++) {
    double r = drive(e, STORE_PUT, 1, 1, value, BIG);
    p[i] = r > 0 ? 1 / r : -1;
    r = drive(e, STORE_GET, 1, 1, NULL, BIG);
    g[i] = r > 0 ? 1 / r : -1;
  }
  env_free(e);
  *put_s = p[0] < 0 || p[1] < 0 || p[2] < 0 ? -1 : bench_median3(p[0], p[1], p[2]);
  *get_s = g[0] < 0 || g[1] < 0 || g[2] < 0 ? -1 : bench_median3(g[0], g[1], g[2]);
}

static void big_row(const char *server, const char *op, double ours, double ref, double md5_rate) {
  double mb = (double)BIG / 1048576.0;
  printf("bench real-storage part=big server=%s op=%s mib=%.0f ours_mb_per_s=%.1f curl_mb_per_s=%.1f ratio=%.2f "
         "md5_mb_per_s=%.0f goal=0.8\n",
         server, op, mb, ours > 0 ? mb / ours : NAN, ref > 0 ? mb / ref : NAN, ours > 0 && ref > 0 ? ref / ours : NAN,
         md5_rate);
}

static int big_moto(const char *file, const uint8_t *value, double md5_rate) {
  int port = free_port();
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  char *ms[] = {"moto_server", "-H", "127.0.0.1", "-p", ports, NULL};
  GPid pid = server_start(ms, port, "moto_server");
  if (!pid) return 1;
  char *base = g_strdup_printf("http://127.0.0.1:%d", port);
  char *bucket = g_strdup_printf("%s/cloudmix-bench", base), *obj = g_strdup_printf("%s/curl-object", bucket);
  const char *user = "AKIDBENCH:bench-not-a-secret", *sig = "aws:amz:us-east-1:s3";
  char *mk[] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "PUT", "--aws-sigv4", (char *)sig,
                "--user", (char *)user, bucket, NULL};
  double made = curl_secs(mk, "create bucket (curl)");
  char *up[] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-T", (char *)file, "--aws-sigv4",
                (char *)sig, "--user", (char *)user, "-H", "x-amz-content-sha256: UNSIGNED-PAYLOAD", obj, NULL};
  char *down[] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "--aws-sigv4", (char *)sig,
                  "--user", (char *)user, obj, NULL};
  double cu[3], cd[3];
  for (int i = 0; i < 3; i++) {
    cu[i] = made < 0 ? -1 : curl_secs(up, "curl upload to moto");
    cd[i] = made < 0 ? -1 : curl_secs(down, "curl download from moto");
  }
  double ref_put = bench_median3(cu[0], cu[1], cu[2]), ref_get = bench_median3(cd[0], cd[1], cd[2]);
  setenv("CLOUDMIX_BENCH_KEY", "AKIDBENCH", 1);
  struct store_endpoint ep = {.name = "bench-moto", .kind = "s3", .endpoint = base, .bucket = "cloudmix-bench",
                              .region = "us-east-1", .access_key = "AKIDBENCH", .secret_key = "bench-not-a-secret",
                              .timeout = CM_S(120)};
  double put = -1, get = -1;
  if (made >= 0) ours_big(&ep, value, &put, &get);
  server_stop(pid);
  big_row("moto", "put", put, ref_put, md5_rate);
  big_row("moto", "get", get, ref_get, md5_rate);
  g_free(base);
  g_free(bucket);
  g_free(obj);
  return put > 0 && get > 0 && ref_put > 0 && ref_get > 0 ? 0 : 1;
}

static int big_azurite(const char *file, const uint8_t *value, double md5_rate) {
  const char *npm = getenv("CLOUDMIX_NPM");
  char *bin = npm ? g_strdup_printf("%s/node_modules/.bin/azurite-blob", npm)
                  : g_strdup_printf("%s/.cache/cloudmix/npm/node_modules/.bin/azurite-blob", g_get_home_dir());
  int port = free_port();
  char ports[16];
  snprintf(ports, sizeof ports, "%d", port);
  char *dir = g_dir_make_tmp("cloudmix-azurite-XXXXXX", NULL);
  char *as[] = {bin, "--blobHost", "127.0.0.1", "--blobPort", ports, "--location", dir, "--silent",
                "--disableTelemetry", NULL};
  GPid pid = dir ? server_start(as, port, "azurite-blob") : 0;
  int rc = 1;
  if (!pid) goto out;
  char *base = g_strdup_printf("http://127.0.0.1:%d", port);
  /* curl needs a Shared Key header per request: azure_sign.py prints the
   * curl arguments (method, URL, headers) of one signed request */
  char sizes[24];
  snprintf(sizes, sizeof sizes, "%zu", BIG);
  char *mkc[] = {"/usr/bin/python3", "tests/bench/azure_sign.py", base, "create", "cloudmix-bench", "0", NULL};
  char *upc[] = {"/usr/bin/python3", "tests/bench/azure_sign.py", base, "put", "cloudmix-bench/curl-object", sizes, NULL};
  char *dnc[] = {"/usr/bin/python3", "tests/bench/azure_sign.py", base, "get", "cloudmix-bench/curl-object", "0", NULL};
  double cu[3] = {-1, -1, -1}, cd[3] = {-1, -1, -1}, made = -1;
  char **specs[3] = {mkc, upc, dnc};
  for (int i = 0; i < 7; i++) {
    int k = i == 0 ? 0 : 1 + (i - 1) % 2;
    char *args = run_cmd(specs[k], "azure_sign.py");
    if (!args) break;
    gchar **av = g_strsplit(g_strstrip(args), "\n", -1);
    GPtrArray *cv = g_ptr_array_new();
    const char *lead[] = {"curl", "-s", "-o", "/dev/null", "-w", "%{http_code}"};
    for (size_t j = 0; j < G_N_ELEMENTS(lead); j++) g_ptr_array_add(cv, (char *)lead[j]);
    if (k == 1) {
      g_ptr_array_add(cv, "-T");
      g_ptr_array_add(cv, (char *)file);
    }
    for (gchar **a = av; *a; a++) g_ptr_array_add(cv, *a);
    g_ptr_array_add(cv, NULL);
    double s = curl_secs((char **)cv->pdata, k == 0 ? "create container (curl)" : k == 1 ? "curl upload to azurite"
                                                                                          : "curl download from azurite");
    if (k == 0) made = s;
    else if (k == 1) cu[(i - 1) / 2] = s;
    else cd[(i - 1) / 2] = s;
    g_ptr_array_free(cv, TRUE);
    g_strfreev(av);
    g_free(args);
  }
  double ref_put = bench_median3(cu[0], cu[1], cu[2]), ref_get = bench_median3(cd[0], cd[1], cd[2]);
  struct store_endpoint ep = {.name = "bench-azurite", .kind = "azure-blob", .endpoint = base,
                              .bucket = "cloudmix-bench", .account = "devstoreaccount1",
                              .account_key = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/"
                                             "K1SZFPTOtr/KBHBeksoGMGw==",
                              .timeout = CM_S(120)};
  double put = -1, get = -1;
  if (made >= 0) ours_big(&ep, value, &put, &get);
  server_stop(pid);
  big_row("azurite", "put", put, ref_put, md5_rate);
  big_row("azurite", "get", get, ref_get, md5_rate);
  rc = put > 0 && get > 0 && ref_put > 0 && ref_get > 0 ? 0 : 1;
  g_free(base);
out:
  if (dir) {
    char *rm[] = {"rm", "-rf", dir, NULL};
    g_free(run_cmd(rm, "rm"));
  }
  g_free(dir);
  g_free(bin);
  return rc;
}

int bench_real_storage(bool quick) {
  signal(SIGPIPE, SIG_IGN);
  int rc = small_objects(quick);
  if (quick) big = 4u << 20;
  /* the 64 MiB object: the same bytes for curl (a file) and for us (memory) */
  uint8_t *value = g_malloc(BIG);
  for (size_t i = 0; i < BIG; i++) value[i] = (uint8_t)(i * 2654435761u >> 24);
  char *file = NULL;
  int fd = g_file_open_tmp("cloudmix-bench-XXXXXX", &file, NULL);
  bool wrote = fd >= 0 && write(fd, value, BIG) == (ssize_t)BIG;
  if (fd >= 0) close(fd);
  /* our clients hash every body (Content-MD5 on puts, the ETag / Content-MD5
   * check on gets) on the loop's one thread; curl does not: the hash's own
   * rate bounds the ratio at 1 / (1 + curl's rate / the hash's) */
  double t0 = bench_now();
  uint8_t md5[16];
  store_http__body_md5(value, BIG, md5);
  double md5_rate = (double)BIG / 1048576.0 / (bench_now() - t0);
  if (!wrote) {
    fprintf(stderr, "bench real-storage: cannot write the %zu MiB file for curl\n", BIG >> 20);
    rc = 1;
  } else {
    rc |= big_moto(file, value, md5_rate);
    rc |= big_azurite(file, value, md5_rate);
  }
  if (file) unlink(file);
  g_free(file);
  g_free(value);
  return rc;
}
