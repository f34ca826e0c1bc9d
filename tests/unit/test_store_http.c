/* The HTTP storage clients' pure parts (real/store_http.c, store_azure.c):
 * key escaping, the bounded reader of S3 / Azure error bodies and listings
 * (well formed, malformed, oversized, not NUL-terminated), ETag and
 * Content-MD5 checks, the filler, the Azure Shared Key StringToSign and
 * signature against values worked out by hand and by Python's hmac; then
 * the curl hook on a real env: a refused request ends once with
 * "refused", an aborted one and one in flight at free never call back. */
#include "cmocka_inc.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <glib.h>

#include "env_real.h"
#include "store_azure.h"
#include "store_http.h"

#define AZURITE_KEY "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="

/* s copied to a buffer of exactly its length (no NUL): ASan sees any overread. */
static char *exact(const char *s, size_t *n) {
  *n = strlen(s);
  char *b = malloc(*n ? *n : 1);
  memcpy(b, s, *n);
  return b;
}

static void test_escape(void **state) {
  (void)state;
  char *a = store_http__escape("dir/a b+c%d?e#f~g.h_i-j/é", true);
  assert_string_equal(a, "dir/a%20b%2Bc%25d%3Fe%23f~g.h_i-j/%C3%A9");
  char *b = store_http__escape("p/q r", false);
  assert_string_equal(b, "p%2Fq%20r");
  char *c = store_http__escape("!*'()=&,:@$;\x7f", true);
  assert_string_equal(c, "%21%2A%27%28%29%3D%26%2C%3A%40%24%3B%7F");
  g_free(a);
  g_free(b);
  g_free(c);
}

static void test_parse_error(void **state) {
  (void)state;
  struct store_http_error e;
  size_t n;
  char *s3 = exact("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified "
                   "key &amp; &lt;more&gt; &#x41;&#66; does not exist.</Message><Key>k</Key></Error>",
                   &n);
  assert_true(store_http__parse_error(s3, n, &e));
  assert_string_equal(e.code, "NoSuchKey");
  assert_string_equal(e.message, "The specified key & <more> AB does not exist.");
  free(s3);
  char *az = exact("\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n  <Code>AuthorizationFailure</Code>\n"
                   "  <Message>Server failed to authenticate the request.\nRequestId:1\nTime:2</Message>\n</Error>",
                   &n);
  assert_true(store_http__parse_error(az, n, &e));
  assert_string_equal(e.code, "AuthorizationFailure");
  assert_string_equal(e.message, "Server failed to authenticate the request.?RequestId:1?Time:2"); /* controls as '?' */
  free(az);
  /* no Code, unterminated, cut before </Error>, another document, empty, garbage */
  const char *bad[] = {"<Error><Message>m</Message></Error>", "<Error><Code>X", "<Error><Code>X</Code>",
                       "<html><Code>X</Code></html>", "", "<Error><Code></Code></Error>", "\x00\xff<Error>",
                       "<Error><Code>&bogus;</Code></Error>", "<Error><Code>&#0;</Code></Error>",
                       "<Error><Code>&#xD800;</Code></Error>", "<Error><Code>&#99999999999;</Code></Error>"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    char *b = exact(bad[i], &n);
    assert_false(store_http__parse_error(b, n, &e));
    free(b);
  }
  assert_false(store_http__parse_error(NULL, 0, &e));
  /* an oversized code and message: cut to the buffers, still NUL-terminated */
  GString *big = g_string_new("<Error><Code>");
  for (int i = 0; i < 200; i++) g_string_append_c(big, 'C');
  g_string_append(big, "</Code><Message>");
  for (int i = 0; i < 3000; i++) g_string_append_c(big, 'm');
  g_string_append(big, "</Message></Error>");
  assert_true(store_http__parse_error(big->str, big->len, &e));
  assert_int_equal(strlen(e.code), sizeof e.code - 1);
  assert_int_equal(strlen(e.message), sizeof e.message - 1);
  /* a message over 4 KiB is malformed: the code stands, the message is dropped */
  g_string_truncate(big, 0);
  g_string_append(big, "<Error><Code>C</Code><Message>");
  for (int i = 0; i < 5000; i++) g_string_append_c(big, 'm');
  g_string_append(big, "</Message></Error>");
  assert_true(store_http__parse_error(big->str, big->len, &e));
  assert_string_equal(e.code, "C");
  assert_string_equal(e.message, "");
  g_string_free(big, TRUE);
}

static void test_xml_values(void **state) {
  (void)state;
  size_t n;
  char *l = exact("<ListBucketResult><Contents><Key>a/one</Key></Contents><Contents><Key>a/two &amp; three</Key>"
                  "</Contents><IsTruncated>true</IsTruncated><NextContinuationToken>tok</NextContinuationToken>",
                  &n);
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  assert_true(store_http__xml_values(l, n, "Key", keys, 10));
  assert_int_equal(keys->len, 2);
  assert_string_equal(keys->pdata[0], "a/one");
  assert_string_equal(keys->pdata[1], "a/two & three");
  char *t = store_http__xml_value(l, n, "NextContinuationToken");
  assert_string_equal(t, "tok");
  g_free(t);
  assert_null(store_http__xml_value(l, n, "Nothing"));
  g_ptr_array_set_size(keys, 0);
  assert_false(store_http__xml_values(l, n, "Key", keys, 1)); /* more than max */
  free(l);
  l = exact("<Key>a</Key><Key>unterminated", &n);
  g_ptr_array_set_size(keys, 0);
  assert_false(store_http__xml_values(l, n, "Key", keys, 10));
  free(l);
  g_ptr_array_free(keys, TRUE);
}

static void test_list_pages(void **state) {
  (void)state;
  size_t n;
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  char *next = NULL;
  char *b = exact("<ListBucketResult><IsTruncated>true</IsTruncated><Contents><Key>a</Key></Contents>"
                  "<NextContinuationToken>t1</NextContinuationToken></ListBucketResult>",
                  &n);
  assert_int_equal(store_s3__list_page(b, n, keys, &next), 0);
  assert_string_equal(next, "t1");
  assert_int_equal(keys->len, 1);
  g_free(next);
  free(b);
  b = exact("<ListBucketResult><IsTruncated>true</IsTruncated></ListBucketResult>", &n); /* no token: never loop */
  assert_int_equal(store_s3__list_page(b, n, keys, &next), CM_EPARSE);
  assert_null(next);
  free(b);
  b = exact("<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>b</Key></Contents></ListBucketResult>", &n);
  assert_int_equal(store_s3__list_page(b, n, keys, &next), 0);
  assert_null(next);
  assert_int_equal(keys->len, 2);
  free(b);
  b = exact("<html><Key>x</Key></html>", &n);
  assert_int_equal(store_s3__list_page(b, n, keys, &next), CM_EPARSE);
  assert_int_equal(store_azure__list_page(b, n, keys, &next), CM_EPARSE);
  free(b);
  g_ptr_array_set_size(keys, 0);
  b = exact("<EnumerationResults ContainerName=\"c\"><Prefix>a/</Prefix><Blobs><Blob><Name>a/1</Name></Blob><Blob>"
            "<Name>a/&#233;</Name></Blob></Blobs><NextMarker>m2</NextMarker></EnumerationResults>",
            &n);
  assert_int_equal(store_azure__list_page(b, n, keys, &next), 0);
  assert_int_equal(keys->len, 2);
  assert_string_equal(keys->pdata[1], "a/\xc3\xa9");
  assert_string_equal(next, "m2");
  g_free(next);
  free(b);
  b = exact("<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>", &n);
  assert_int_equal(store_azure__list_page(b, n, keys, &next), 0);
  assert_null(next);
  free(b);
  g_ptr_array_free(keys, TRUE);
}

static void test_md5_checks(void **state) {
  (void)state;
  uint8_t md5[STORE_HTTP_MD5_BYTES];
  store_http__body_md5((const uint8_t *)"hello world", 11, md5);
  assert_int_equal(store_http__etag_check("\"5eb63bbbe01eeed093cb22bb8f5acdc3\"", md5), 1);
  assert_int_equal(store_http__etag_check("5EB63BBBE01EEED093CB22BB8F5ACDC3", md5), 1);
  assert_int_equal(store_http__etag_check("\"5eb63bbbe01eeed093cb22bb8f5acdc4\"", md5), -1);
  assert_int_equal(store_http__etag_check("\"5eb63bbbe01eeed093cb22bb8f5acdc3-2\"", md5), 0); /* multipart */
  assert_int_equal(store_http__etag_check("\"0x8DC1234567890AB\"", md5), 0);                  /* Azure's */
  assert_int_equal(store_http__etag_check("", md5), 0);
  assert_int_equal(store_http__etag_check("\"", md5), 0);
  assert_int_equal(store_http__etag_check(NULL, md5), 0);
  assert_int_equal(store_http__content_md5_check("XrY7u+Ae7tCTyyK7j1rNww==", md5), 1);
  assert_int_equal(store_http__content_md5_check("XrY7u+Ae7tCTyyK7j1rNwQ==", md5), -1);
  assert_int_equal(store_http__content_md5_check("not base64 at all!!!!!==", md5), -1);
  assert_int_equal(store_http__content_md5_check("", md5), -1);
  /* the filler's MD5 in one pass equals hashing the filler's bytes */
  uint8_t buf[100000], a[STORE_HTTP_MD5_BYTES], b[STORE_HTTP_MD5_BYTES];
  store_http__filler(buf, 0, 40000);
  store_http__filler(buf + 40000, 40000, sizeof buf - 40000);
  store_http__body_md5(buf, sizeof buf, a);
  store_http__body_md5(NULL, sizeof buf, b);
  assert_memory_equal(a, b, sizeof a);
  bool varied = false;
  for (size_t i = 1; i < sizeof buf; i++) varied |= buf[i] != buf[0];
  assert_true(varied);
}

/* The StringToSign of "Authorize with Shared Key" worked out by hand for a
 * Put Blob and a List Blobs, and their signatures computed independently
 * with Python (base64(hmac.new(b64decode(key), sts, sha256))). */
static void test_azure_sign(void **state) {
  (void)state;
  const char *ms[] = {"x-ms-version:2021-08-06", "x-ms-date:Thu, 03 Dec 2026 15:16:12 GMT", "x-ms-blob-type:BlockBlob",
                      NULL};
  struct azure_sign_req r = {.verb = "PUT",
                             .content_length = "11",
                             .content_md5 = "XrY7u+Ae7tCTyyK7j1rNww==",
                             .content_type = "application/octet-stream",
                             .ms_headers = ms,
                             .account = "devstoreaccount1",
                             .path = "/devstoreaccount1/cont1/dir/a%20b"};
  char *sts = store_azure__string_to_sign(&r);
  assert_string_equal(sts, "PUT\n\n\n11\nXrY7u+Ae7tCTyyK7j1rNww==\napplication/octet-stream\n\n\n\n\n\n\n"
                           "x-ms-blob-type:BlockBlob\nx-ms-date:Thu, 03 Dec 2026 15:16:12 GMT\nx-ms-version:2021-08-06\n"
                           "/devstoreaccount1/devstoreaccount1/cont1/dir/a%20b");
  gsize kl;
  guchar *key = g_base64_decode(AZURITE_KEY, &kl);
  char *sig = store_azure__signature(key, kl, sts);
  assert_string_equal(sig, "y7OFcRTa/KEh2yX3Bo5BOqCjkHhDo4+y8jcQcaG00z0=");
  g_free(sig);
  g_free(sts);
  const char *ms2[] = {"x-ms-date:Thu, 03 Dec 2026 15:16:12 GMT", "x-ms-version:2021-08-06", NULL};
  const char *q[] = {"restype=container", "Prefix=a b/", "comp=list", NULL}; /* names lower-cased and sorted */
  struct azure_sign_req l = {.verb = "GET", .ms_headers = ms2, .account = "myaccount", .path = "/mycontainer", .query = q};
  sts = store_azure__string_to_sign(&l);
  assert_string_equal(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-date:Thu, 03 Dec 2026 15:16:12 GMT\nx-ms-version:2021-08-06\n"
                           "/myaccount/mycontainer\ncomp:list\nprefix:a b/\nrestype:container");
  sig = store_azure__signature(key, kl, sts);
  assert_string_equal(sig, "pYEcTymsnGHhKo6TUd9XxbLY5LvyUn9TMR4cdV3N0cA=");
  g_free(sig);
  g_free(sts);
  g_free(key);
  /* sorted by name: a name that is another's prefix comes first, whatever its value */
  const char *ms3[] = {"x-ms-meta-a-b:1", "x-ms-meta-a:2", NULL};
  struct azure_sign_req m = {.verb = "GET", .ms_headers = ms3, .account = "a", .path = "/c/b"};
  sts = store_azure__string_to_sign(&m);
  assert_string_equal(sts, "GET\n\n\n\n\n\n\n\n\n\n\n\nx-ms-meta-a:2\nx-ms-meta-a-b:1\n/a/c/b");
  g_free(sts);
}

static void test_new_refuses(void **state) {
  (void)state;
  env *e = env_real_new(1);
  char *err = NULL;
  struct store_endpoint ep = {.name = "s", .kind = "s3", .endpoint = "http://u:SECRETPW@127.0.0.1:1", .bucket = "bkt",
                              .access_key = "AK", .secret_key = "SECRETKEY"};
  assert_null(store_s3_new(e, &ep, &err));
  assert_non_null(strstr(err, "user name or password"));
  assert_null(strstr(err, "SECRET"));
  g_free(err);
  ep.endpoint = "http://127.0.0.1:1";
  ep.bucket = "b"; /* too short */
  assert_null(store_s3_new(e, &ep, &err));
  g_free(err);
  ep.bucket = "Bad_Bucket";
  ep.virtual_host = true;
  assert_null(store_s3_new(e, &ep, &err));
  g_free(err);
  struct store_endpoint az = {.name = "a", .kind = "azure-blob", .endpoint = "http://127.0.0.1:1", .bucket = "cont",
                              .account = "devstoreaccount1", .account_key = "not base64!"};
  assert_null(store_azure_new(e, &az, &err));
  assert_non_null(strstr(err, "not base64"));
  assert_null(strstr(err, "not base64!"));
  g_free(err);
  env_free(e);
}

/* ---- the clients on a real env, through the curl hook ---- */

static int ncalls;
static const char *last_reason;
static int last_status;

static void on_done(void *arg, int status, const char *reason, const uint8_t *value, size_t len) {
  (void)value;
  (void)len;
  ncalls++;
  last_status = status;
  last_reason = reason;
  env_stop(arg);
}

/* A listening socket that never accepts: a request to it hangs. */
static int silent_port(int *fd) {
  *fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t al = sizeof a;
  assert_int_equal(bind(*fd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(*fd, 16), 0);
  assert_int_equal(getsockname(*fd, (struct sockaddr *)&a, &al), 0);
  return ntohs(a.sin_port);
}

static void run_client(bool azure) {
  env *e = env_real_new(1);
  int lfd, port = silent_port(&lfd);
  int closed_fd, closed = silent_port(&closed_fd);
  close(closed_fd); /* nobody listens there now: refused */
  char url[64], url2[64];
  snprintf(url, sizeof url, "http://127.0.0.1:%d", closed);
  snprintf(url2, sizeof url2, "http://127.0.0.1:%d", port);
  struct store_endpoint ep = {.name = "t", .kind = azure ? "azure-blob" : "s3", .endpoint = url, .bucket = "bkt",
                              .access_key = "AK", .secret_key = "SK", .account = "acct", .account_key = AZURITE_KEY,
                              .timeout = CM_S(5)};
  char *err = NULL;
  struct store_client *c = azure ? store_azure_new(e, &ep, &err) : store_s3_new(e, &ep, &err);
  assert_non_null(c);
  const char *reason = NULL;
  ncalls = 0;
  struct store_op_req req = {.op = STORE_GET, .key = "a b/c", .deadline = env_now(e) + CM_S(5)};
  void *h = c->ops->start(c, &req, on_done, e, &reason);
  assert_non_null(h);
  assert_int_equal(ncalls, 0); /* never inside start */
  env_run(e, env_now(e) + CM_S(5));
  assert_int_equal(ncalls, 1);
  assert_int_equal(last_status, CM_EIO);
  assert_string_equal(last_reason, "refused");
  c->ops->free(c);
  /* a hanging put: aborted, then one left in flight at free; neither calls back */
  ep.endpoint = url2;
  c = azure ? store_azure_new(e, &ep, &err) : store_s3_new(e, &ep, &err);
  uint8_t body[1000] = {0};
  req = (struct store_op_req){.op = STORE_PUT, .key = "k", .value = body, .len = sizeof body,
                              .deadline = env_now(e) + CM_S(5)};
  h = c->ops->start(c, &req, on_done, e, &reason);
  assert_non_null(h);
  void *h2 = c->ops->start(c, &req, on_done, e, &reason);
  assert_non_null(h2);
  env_run(e, env_now(e) + CM_MS(200));
  c->ops->abort(c, h);
  env_run(e, env_now(e) + CM_MS(100));
  c->ops->free(c); /* h2 still in flight */
  assert_int_equal(ncalls, 1);
  /* a deadline already past: refused at start, never called back */
  c = azure ? store_azure_new(e, &ep, &err) : store_s3_new(e, &ep, &err);
  req.deadline = 1;
  env_run(e, env_now(e) + CM_MS(2));
  assert_null(c->ops->start(c, &req, on_done, e, &reason));
  assert_string_equal(reason, "timeout");
  c->ops->free(c);
  close(lfd);
  env_free(e);
  assert_int_equal(ncalls, 1);
}

static void test_s3_client(void **state) {
  (void)state;
  run_client(false);
}

static void test_azure_client(void **state) {
  (void)state;
  run_client(true);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_escape),        cmocka_unit_test(test_parse_error), cmocka_unit_test(test_xml_values),
      cmocka_unit_test(test_list_pages),
      cmocka_unit_test(test_md5_checks),    cmocka_unit_test(test_azure_sign),  cmocka_unit_test(test_new_refuses),
      cmocka_unit_test(test_s3_client),     cmocka_unit_test(test_azure_client),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
