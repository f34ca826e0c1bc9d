/* The real-mode profile (real/profile.c, profile_secret.c): a good profile
 * of every kind, each error naming file, line, group and key, keys that
 * would hold a secret refused, AWS credentials from the environment and
 * from the shared credentials file, key and token files (with the
 * permission warning), the metadata URL on loopback, and a planted secret
 * that never shows in profile_text or in any error message. */
#include "cmocka_inc.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <glib.h>

#include "profile.h"

#define SECRET "PLANTEDsecret/x+9Zq"
#define URL_SECRET "PLANTEDurlPass9Zq" /* no reserved characters: a password a URL can hold as is */

static char *dir;
static GPtrArray *said; /* every error message and text, for the planted-secret check */

static char *put(const char *name, const char *text, mode_t mode) {
  char *path = g_build_filename(dir, name, NULL);
  FILE *f = fopen(path, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
  chmod(path, mode);
  return path;
}

static int setup(void **state CM_UNUSED) {
  dir = g_dir_make_tmp("cm-profile-XXXXXX", NULL);
  said = g_ptr_array_new_with_free_func(g_free);
  const char *clear[] = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE",
                         "AWS_SHARED_CREDENTIALS_FILE", "CM_AZ_KEY", NULL};
  for (int i = 0; clear[i]; i++) unsetenv(clear[i]);
  setenv("HOME", dir, 1); /* ~/.aws/credentials: ours, absent */
  return 0;
}

static int teardown(void **state CM_UNUSED) {
  for (guint i = 0; i < said->len; i++) {
    assert_null(strstr(said->pdata[i], SECRET));
    assert_null(strstr(said->pdata[i], URL_SECRET));
  }
  g_ptr_array_unref(said);
  char *cmd = g_strdup_printf("rm -rf '%s'", dir);
  assert_int_equal(system(cmd), 0);
  g_free(cmd);
  g_free(dir);
  return 0;
}

static profile *load_ok(const char *text) {
  char *path = put("p.ini", text, 0600), *err = NULL;
  profile *p = profile_load(path, &err);
  if (!p) fail_msg("unexpected error: %s", err);
  g_ptr_array_add(said, g_strdup(profile_text(p)));
  g_free(path);
  return p;
}

/* Loading text fails with exactly "<path>:" want (want starts at the line). */
static void expect_err(const char *text, const char *want) {
  char *path = put("bad.ini", text, 0600), *err = NULL;
  profile *p = profile_load(path, &err);
  assert_null(p);
  assert_non_null(err);
  assert_null(strchr(err, '\n'));
  g_ptr_array_add(said, g_strdup(err));
  char *full = g_strdup_printf("%s:%s", path, want);
  if (strncmp(err, full, strlen(full))) fail_msg("error\n  got:  %s\n  want: %s...", err, full);
  g_free(full);
  g_free(err);
  g_free(path);
}

static void test_good(void **state CM_UNUSED) {
  setenv("AWS_ACCESS_KEY_ID", "AKIDTEST", 1);
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  setenv("CM_AZ_KEY", SECRET "az", 1);
  char *tok = put("token", SECRET "run\n", 0600);
  char *text = g_strdup_printf(
      "[profile]\ndescription = loopback\n"
      "[provider.aws]\nkind = lambda\nendpoint = http://127.0.0.1:8080/aws-lambda\nregion = eu-west-1\n"
      "function_name = cm-{function}-{memory}\nprice = lambda\n"
      "[provider.url]\nkind = lambda-url\nendpoint = https://{function}.lambda-url.eu-west-1.on.aws\n"
      "[provider.az]\nkind = azure\nendpoint = https://app.azurewebsites.net\nkey_env = CM_AZ_KEY\ntimeout_s = 12.5\n"
      "[provider.run]\nkind = cloudrun\nendpoint = https://svc-abc.a.run.app\ntoken_file = %s\n"
      "[provider.edge]\nkind = openfaas\nendpoint = http://10.0.0.1:8080\nhttp_version = 2\n"
      "[provider.fi]\nkind = fission\nendpoint = http://router.fission\n", tok);
  profile *p = load_ok(text);
  assert_int_equal(profile_count(p), 6);
  struct provider *a = profile_find(p, "aws");
  assert_ptr_equal(a, profile_provider(p, 0));
  assert_string_equal(a->ops->kind, "lambda");
  assert_string_equal(a->endpoint, "http://127.0.0.1:8080/aws-lambda");
  assert_string_equal(a->region, "eu-west-1");
  assert_string_equal(a->function_name, "cm-{function}-{memory}");
  assert_string_equal(a->secret.access_key_id, "AKIDTEST");
  assert_string_equal(a->secret.secret_access_key, SECRET);
  assert_null(a->secret.session_token);
  assert_int_equal(a->timeout, CM_S(900)); /* the simulated Lambda's default */
  assert_string_equal(profile_price(p, 0), "lambda");
  assert_null(profile_price(p, 1));
  assert_string_equal(profile_find(p, "url")->secret.access_key_id, "AKIDTEST");
  struct provider *az = profile_find(p, "az");
  assert_string_equal(az->secret.function_key, SECRET "az");
  assert_null(az->region);
  assert_int_equal(az->timeout, CM_MS(12500));
  assert_string_equal(profile_find(p, "run")->secret.bearer_token, SECRET "run");
  assert_int_equal(profile_find(p, "run")->timeout, CM_S(300));
  assert_int_equal(profile_find(p, "edge")->timeout, CM_S(60));
  assert_true(profile_find(p, "edge")->http2);
  assert_false(profile_find(p, "fi")->http2);
  assert_null(profile_find(p, "nope"));
  assert_null(profile_provider(p, 6));
  char *want = g_strdup_printf(
      "[profile]\ndescription = loopback\n\n"
      "[provider.aws]\nkind = lambda\nendpoint = http://127.0.0.1:8080/aws-lambda\nfunction_name = cm-{function}-{memory}\n"
      "timeout_s = 0\nprice = lambda\nhttp_version = 1.1\nregion = eu-west-1\naccess_key_env = AWS_ACCESS_KEY_ID\n"
      "secret_key_env = AWS_SECRET_ACCESS_KEY\nsession_token_env = AWS_SESSION_TOKEN\n\n"
      "[provider.url]\nkind = lambda-url\nendpoint = https://{function}.lambda-url.eu-west-1.on.aws\n"
      "function_name = {function}\ntimeout_s = 0\nhttp_version = 1.1\nregion = us-east-1\naccess_key_env = AWS_ACCESS_KEY_ID\n"
      "secret_key_env = AWS_SECRET_ACCESS_KEY\nsession_token_env = AWS_SESSION_TOKEN\n\n"
      "[provider.az]\nkind = azure\nendpoint = https://app.azurewebsites.net\nfunction_name = {function}\n"
      "timeout_s = 12.5\nhttp_version = 1.1\nkey_env = CM_AZ_KEY\n\n"
      "[provider.run]\nkind = cloudrun\nendpoint = https://svc-abc.a.run.app\nfunction_name = {function}\n"
      "timeout_s = 0\nhttp_version = 1.1\ntoken_file = %s\n\n"
      "[provider.edge]\nkind = openfaas\nendpoint = http://10.0.0.1:8080\nfunction_name = {function}\ntimeout_s = 0\n"
      "http_version = 2\n\n"
      "[provider.fi]\nkind = fission\nendpoint = http://router.fission\nfunction_name = {function}\ntimeout_s = 0\n"
      "http_version = 1.1\n",
      tok);
  assert_string_equal(profile_text(p), want);
  profile_free(p);
  profile_free(NULL);
  g_free(want);
  g_free(text);
  g_free(tok);
  unsetenv("AWS_ACCESS_KEY_ID");
  unsetenv("AWS_SECRET_ACCESS_KEY");
  unsetenv("CM_AZ_KEY");
}

#define OF "[provider.of]\nkind = openfaas\n"
static void test_errors(void **state CM_UNUSED) {
  expect_err("[provider.of]\nkind = opnfaas\nendpoint = http://x\n",
             "2: [provider.of] kind: found 'opnfaas', expected one of: lambda, lambda-url, azure, cloudrun, "
             "openfaas, fission; did you mean 'openfaas'?");
  expect_err("# c\n" OF, "2: [provider.of] endpoint: missing; expected a string");
  expect_err(OF "endpoint = http://x/\n", "3: [provider.of] endpoint: found 'http://x/', expected no trailing slash");
  expect_err(OF "endpoint = ftp://x\n", "3: [provider.of] endpoint: found 'ftp://x', expected an http:// or https://");
  expect_err(OF "endpoint = http://x/{function}\n", "3: [provider.of] endpoint: found 'http://x/{function}', "
                                                    "expected no {placeholder}");
  expect_err(OF "endpoint = http://x\nkey_env = K\n", "4: [provider.of] key_env: does not apply to kind openfaas");
  expect_err(OF "endpoint = http://x\nregion = eu-west-1\n", "4: [provider.of] region: does not apply");
  expect_err(OF "endpoint = http://x\nfunction_name = {fn}\n", "4: [provider.of] function_name: found '{fn}'");
  expect_err(OF "endpoint = http://x\nprice = cheap\n", "4: [provider.of] price: found 'cheap', expected a built-in");
  expect_err(OF "endpoint = http://x\ntimeout_s = -1\n", "4: [provider.of] timeout_s: found '-1', expected a number in [0, 86400]");
  expect_err(OF "endpoint = http://x\nendpont = y\n", "4: [provider.of] endpont: unknown key; did you mean 'endpoint'?");
  expect_err("[provider.a]\nkind = lambda\nendpoint = http://x\nregion = EU WEST\n",
             "4: [provider.a] region: found 'EU WEST', expected an AWS region");
  expect_err("[provider.z]\nkind = azure\nendpoint = http://x\nkey_env = A\nkey_file = /f\n",
             "5: [provider.z] key_file: set only one of key_env and key_file");
  expect_err("[provider.z]\nkind = azure\nendpoint = http://x\nkey_env = CM_UNSET_VAR\n",
             "4: [provider.z] key_env: environment variable CM_UNSET_VAR is not set");
  expect_err("[provider.r]\nkind = cloudrun\nendpoint = http://x\ntoken_file = /nonexistent/t\n",
             "4: [provider.r] token_file: cannot open /nonexistent/t: No such file or directory");
  expect_err("[profile]\ndescription = none\n", " [provider.NAME]: missing; expected a group per provider");
  expect_err("\n# only comments\n", " empty file; expected a [profile] group");
  expect_err("[profil]\n", "1: [profil]: unknown group; did you mean [profile]?");
}

static void test_refused_keys(void **state CM_UNUSED) {
  expect_err("[provider.a]\nkind = lambda\nendpoint = http://x\nsecret_access_key = " SECRET "\n",
             "4: [provider.a] secret_access_key: refused: a profile names where a secret is kept, never the "
             "secret; name an environment variable (access_key_env, secret_key_env) or a file (credentials_file)");
  expect_err("[provider.z]\nkind = azure\nendpoint = http://x\nfunction_key = " SECRET "\n",
             "4: [provider.z] function_key: refused: a profile names where a secret is kept, never the secret; "
             "name an environment variable (key_env) or a file (key_file) instead");
  expect_err("[provider.r]\nkind = cloudrun\nendpoint = http://x\n\ntoken=" SECRET "\n",
             "5: [provider.r] token: refused");
  /* a password in a URL is a secret in the profile too (and the URL is recorded and printed) */
  expect_err(OF "endpoint = http://u:" URL_SECRET "@127.0.0.1:8080/x\n",
             "3: [provider.of] endpoint: refused: the URL holds a user name or password");
  expect_err(OF "endpoint = https://" URL_SECRET "@h/\n", "3: [provider.of] endpoint: refused: the URL holds");
  expect_err("[provider.r]\nkind = cloudrun\nendpoint = http://x\nmetadata_url = http://t:" URL_SECRET "@127.0.0.1:1/t\n",
             "4: [provider.r] metadata_url: refused: the URL holds");
  profile_free(load_ok(OF "endpoint = http://127.0.0.1:1/fn@v1\n")); /* an @ in the path is no password */
}

static void test_aws_credentials(void **state CM_UNUSED) {
  char *cred = put("credentials", "# AWS\n[default]\naws_access_key_id = AKIDDEF\naws_secret_access_key = " SECRET "\n"
                                  "\n[ci]\naws_access_key_id=AKIDCI\naws_secret_access_key=" SECRET "\n"
                                  "aws_session_token = TOK" SECRET "\n[half]\naws_access_key_id = X\n"
                                  "[spaced]\naws_access_key_id = A B\naws_secret_access_key = s\n",
                   0600);
  char *text = g_strdup_printf("[provider.a]\nkind = lambda\nendpoint = http://x\ncredentials_file = %s\n", cred);
  profile *p = load_ok(text);
  assert_string_equal(profile_provider(p, 0)->secret.access_key_id, "AKIDDEF");
  profile_free(p);
  g_free(text);
  setenv("AWS_SHARED_CREDENTIALS_FILE", cred, 1); /* the default file */
  setenv("AWS_PROFILE", "ci", 1);
  p = load_ok("[provider.a]\nkind = lambda\nendpoint = http://x\n");
  assert_string_equal(profile_provider(p, 0)->secret.access_key_id, "AKIDCI");
  assert_string_equal(profile_provider(p, 0)->secret.session_token, "TOK" SECRET);
  profile_free(p);
  setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1); /* the environment first */
  setenv("AWS_SECRET_ACCESS_KEY", SECRET, 1);
  p = load_ok("[provider.a]\nkind = lambda\nendpoint = http://x\n");
  assert_string_equal(profile_provider(p, 0)->secret.access_key_id, "AKIDENV");
  profile_free(p);
  setenv("CM_MY_KEY", "AKIDMINE", 1); /* variables of our choosing */
  setenv("CM_MY_SECRET", SECRET, 1);
  p = load_ok("[provider.a]\nkind = lambda\nendpoint = http://x\naccess_key_env = CM_MY_KEY\nsecret_key_env = CM_MY_SECRET\n");
  assert_string_equal(profile_provider(p, 0)->secret.access_key_id, "AKIDMINE");
  profile_free(p);
  unsetenv("AWS_SECRET_ACCESS_KEY");
  expect_err("[provider.a]\nkind = lambda\nendpoint = http://x\n",
             "1: [provider.a] secret_key_env: environment variable AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  unsetenv("AWS_ACCESS_KEY_ID");
  char *w;
  const char *names[] = {"nope", "half", "spaced", NULL};
  const char *whys[] = {"%s has no [nope] section", "%s:10: [half] lacks aws_secret_access_key",
                        "%s:13: aws_access_key_id is empty or holds characters"};
  for (int i = 0; names[i]; i++) {
    setenv("AWS_PROFILE", names[i], 1);
    w = g_strdup_printf("1: [provider.a] credentials_file: %s", whys[i]);
    char *w2 = g_strdup_printf(w, cred);
    expect_err("[provider.a]\nkind = lambda\nendpoint = http://x\n", w2);
    g_free(w2);
    g_free(w);
  }
  /* lambda-url without credentials is unsigned: no error; lambda needs them */
  unsetenv("AWS_SHARED_CREDENTIALS_FILE");
  unsetenv("AWS_PROFILE");
  p = load_ok("[provider.u]\nkind = lambda-url\nendpoint = https://x\n");
  assert_null(profile_provider(p, 0)->secret.access_key_id);
  profile_free(p);
  w = g_strdup_printf("1: [provider.a] credentials_file: no AWS credentials: environment variables AWS_ACCESS_KEY_ID "
                      "and AWS_SECRET_ACCESS_KEY are not set and %s/.aws/credentials does not exist", dir);
  expect_err("[provider.a]\nkind = lambda\nendpoint = http://x\n", w);
  g_free(w);
  char *badf = put("badcred", "[default]\naws_access_key_id " SECRET "\n", 0600);
  text = g_strdup_printf("[provider.a]\nkind = lambda\nendpoint = http://x\ncredentials_file = %s\n", badf);
  w = g_strdup_printf("4: [provider.a] credentials_file: %s:2: expected key = value", badf);
  expect_err(text, w);
  g_free(w);
  g_free(text);
  g_free(badf);
  g_free(cred);
}

/* stderr of profile_load(text) while it runs. */
static char *load_stderr(const char *text, bool *ok) {
  char *path = put("w.ini", text, 0600), *log = g_build_filename(dir, "stderr", NULL), *out = NULL;
  fflush(stderr);
  int saved = dup(2), fd = open(log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  dup2(fd, 2);
  char *err = NULL;
  profile *p = profile_load(path, &err);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  close(fd);
  *ok = p != NULL;
  if (err) g_ptr_array_add(said, err);
  profile_free(p);
  g_file_get_contents(log, &out, NULL, NULL);
  g_ptr_array_add(said, g_strdup(out));
  g_free(log);
  g_free(path);
  return out;
}

static void test_secret_files(void **state CM_UNUSED) {
  char *open_key = put("key-open", SECRET "\n", 0644), *closed_key = put("key-closed", SECRET, 0600);
  char *text = g_strdup_printf("[provider.z]\nkind = azure\nendpoint = http://x\nkey_file = %s\n", open_key);
  bool ok = false;
  char *log = load_stderr(text, &ok), *want = g_strdup_printf("cloudmix: warning: %s holds a secret and is readable "
                                                               "by others (mode 644); chmod 600 it\n", open_key);
  assert_true(ok);
  assert_string_equal(log, want);
  g_free(log);
  g_free(text);
  text = g_strdup_printf("[provider.z]\nkind = azure\nendpoint = http://x\nkey_file = %s\n", closed_key);
  log = load_stderr(text, &ok);
  assert_true(ok);
  assert_string_equal(log, "");
  g_free(log);
  g_free(text);
  char *multi = put("key-bad", SECRET "\ninjected: header\n", 0600);
  text = g_strdup_printf("[provider.z]\nkind = azure\nendpoint = http://x\nkey_file = %s\n", multi);
  char *w = g_strdup_printf("4: [provider.z] key_file: file %s is empty or holds characters a header cannot carry", multi);
  expect_err(text, w);
  g_free(w);
  g_free(text);
  g_free(want);
  g_free(multi);
  g_free(open_key);
  g_free(closed_key);
}

/* A one-shot HTTP server on loopback for metadata_url. */
struct srv {
  int fd, port, status;
  bool flavor; /* the request carried Metadata-Flavor: Google */
};

static void *serve(void *arg) {
  struct srv *s = arg;
  int c = accept(s->fd, NULL, NULL);
  char req[4096] = {0};
  size_t n = 0;
  while (c >= 0 && n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
    ssize_t r = read(c, req + n, sizeof req - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  s->flavor = strstr(req, "\r\nMetadata-Flavor: Google\r\n") != NULL;
  const char *body = s->status == 200 ? "eyJ" SECRET "tok" : "denied " SECRET;
  char *resp = g_strdup_printf("HTTP/1.1 %d X\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n%s", s->status,
                               strlen(body), body);
  if (c >= 0 && write(c, resp, strlen(resp)) < 0) s->flavor = false;
  g_free(resp);
  if (c >= 0) close(c);
  return NULL;
}

static void test_metadata_url(void **state CM_UNUSED) {
  for (int status = 200; status <= 404; status += 204) {
    struct srv s = {.fd = socket(AF_INET, SOCK_STREAM, 0), .status = status};
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    assert_int_equal(bind(s.fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(s.fd, 1), 0);
    getsockname(s.fd, (struct sockaddr *)&a, &al);
    s.port = ntohs(a.sin_port);
    pthread_t th;
    pthread_create(&th, NULL, serve, &s);
    char *text = g_strdup_printf("[provider.r]\nkind = cloudrun\nendpoint = https://x\n"
                                 "metadata_url = http://127.0.0.1:%d/computeMetadata/v1/identity?audience=x\n", s.port);
    if (status == 200) {
      profile *p = load_ok(text);
      assert_string_equal(profile_provider(p, 0)->secret.bearer_token, "eyJ" SECRET "tok");
      profile_free(p);
    } else {
      char *w = g_strdup_printf("4: [provider.r] metadata_url: cannot fetch the token from http://127.0.0.1:%d/"
                                "computeMetadata/v1/identity?audience=x: HTTP 404", s.port);
      expect_err(text, w);
      g_free(w);
    }
    pthread_join(th, NULL);
    assert_true(s.flavor);
    close(s.fd);
    g_free(text);
  }
}


/* [store.NAME] groups: every kind, defaults, secrets resolved, effective text. */
static void test_stores(void **state CM_UNUSED) {
  setenv("CM_S3_ID", "AKIDSTORE", 1);
  setenv("CM_S3_KEY", SECRET "s3", 1);
  setenv("CM_REDIS_PW", SECRET "pw", 1);
  char *akey = put("akey", SECRET "az\n", 0600);
  char *text = g_strdup_printf(
      "[store.edge]\nkind = redis\nendpoint = redis://127.0.0.1:6379/2\npassword_env = CM_REDIS_PW\n"
      "[store.s3]\nkind = s3\nendpoint = http://127.0.0.1:9000\nbucket = cm-data\n"
      "access_key_env = CM_S3_ID\nsecret_key_env = CM_S3_KEY\ntimeout_s = 2.5\n"
      "[store.gcs]\nkind = gcs\nendpoint = https://storage.googleapis.com\nbucket = cm.gcs\nstyle = virtual-host\n"
      "access_key_env = CM_S3_ID\nsecret_key_env = CM_S3_KEY\n"
      "[store.blob]\nkind = azure-blob\nendpoint = http://127.0.0.1:10000\ncontainer = cm-c\naccount = dev\n"
      "account_key_file = %s\n", akey);
  profile *p = load_ok(text);
  assert_int_equal(profile_count(p), 0);
  assert_int_equal(profile_store_count(p), 4);
  const struct store_endpoint *r = profile_find_store(p, "edge");
  assert_ptr_equal(r, profile_store(p, 0));
  assert_string_equal(r->kind, "redis");
  assert_string_equal(r->endpoint, "redis://127.0.0.1:6379/2");
  assert_string_equal(r->password, SECRET "pw");
  assert_int_equal(r->timeout, CM_S(30));
  assert_null(r->bucket);
  const struct store_endpoint *s3 = profile_find_store(p, "s3");
  assert_string_equal(s3->bucket, "cm-data");
  assert_string_equal(s3->region, "us-east-1");
  assert_false(s3->virtual_host);
  assert_string_equal(s3->access_key, "AKIDSTORE");
  assert_string_equal(s3->secret_key, SECRET "s3");
  assert_int_equal(s3->timeout, CM_MS(2500));
  const struct store_endpoint *g = profile_find_store(p, "gcs");
  assert_string_equal(g->region, "auto");
  assert_true(g->virtual_host);
  const struct store_endpoint *b = profile_find_store(p, "blob");
  assert_string_equal(b->bucket, "cm-c");
  assert_string_equal(b->account, "dev");
  assert_string_equal(b->account_key, SECRET "az");
  assert_null(profile_find_store(p, "nope"));
  assert_null(profile_store(p, 4));
  char *want = g_strdup_printf(
      "[profile]\n\n"
      "[store.edge]\nkind = redis\nendpoint = redis://127.0.0.1:6379/2\ntimeout_s = 30\npassword_env = CM_REDIS_PW\n\n"
      "[store.s3]\nkind = s3\nendpoint = http://127.0.0.1:9000\nbucket = cm-data\nstyle = path\ntimeout_s = 2.5\n"
      "access_key_env = CM_S3_ID\nsecret_key_env = CM_S3_KEY\nsession_token_env = AWS_SESSION_TOKEN\n\n"
      "[store.gcs]\nkind = gcs\nendpoint = https://storage.googleapis.com\nbucket = cm.gcs\nstyle = virtual-host\n"
      "timeout_s = 30\naccess_key_env = CM_S3_ID\nsecret_key_env = CM_S3_KEY\nsession_token_env = AWS_SESSION_TOKEN\n\n"
      "[store.blob]\nkind = azure-blob\nendpoint = http://127.0.0.1:10000\ncontainer = cm-c\ntimeout_s = 30\n"
      "account = dev\naccount_key_file = %s\n", akey);
  assert_string_equal(profile_text(p), want);
  profile_free(p);
  g_free(want);
  g_free(text);
  g_free(akey);
  unsetenv("CM_S3_ID");
  unsetenv("CM_S3_KEY");
  unsetenv("CM_REDIS_PW");
}

#define RS "[store.r]\nkind = redis\n"
static void test_store_errors(void **state CM_UNUSED) {
  expect_err("[store.r]\nkind = memcached\nendpoint = redis://h:1\n",
             "2: [store.r] kind: found 'memcached', expected one of: redis, s3, gcs, azure-blob");
  expect_err(RS, "1: [store.r] endpoint: missing; expected a string");
  expect_err(RS "endpoint = http://h:1\n", "3: [store.r] endpoint: found 'http://h:1', expected redis://HOST:PORT[/DB]");
  expect_err(RS "endpoint = redis://h\n", "3: [store.r] endpoint: found 'redis://h', expected a :PORT after the host");
  expect_err(RS "endpoint = redis://h:70000\n", "3: [store.r] endpoint: found 'redis://h:70000', expected a port");
  expect_err(RS "endpoint = redis://h:1/x\n", "3: [store.r] endpoint: found 'redis://h:1/x', expected a database");
  expect_err(RS "endpoint = redis://h:1\nbucket = b1b\n", "4: [store.r] bucket: does not apply to kind redis");
  expect_err(RS "endpoint = redis://h:1\ntimeout_s = 0\n", "4: [store.r] timeout_s: found '0', expected a number");
  expect_err(RS "endpoint = redis://h:1\npassword_env = CM_UNSET_VAR\n",
             "4: [store.r] password_env: environment variable CM_UNSET_VAR is not set");
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1\n", "1: [store.s] bucket: missing: found '', expected a bucket name");
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1\nbucket = Bad_Bucket\n",
             "4: [store.s] bucket: found 'Bad_Bucket', expected a bucket name of 3 to 63 characters");
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1/\nbucket = b1b\n",
             "3: [store.s] endpoint: found 'http://h:1/', expected no trailing slash");
  expect_err("[store.s]\nkind = s3\nendpoint = redis://h:1\nbucket = b1b\n",
             "3: [store.s] endpoint: found 'redis://h:1', expected an http:// or https:// URL");
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1\nbucket = b1b\nstyle = vhost\n",
             "5: [store.s] style: found 'vhost', expected one of: path, virtual-host");
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1\nbucket = b1b\n",
             "1: [store.s] credentials_file: no AWS credentials");
  expect_err("[store.a]\nkind = azure-blob\nendpoint = http://h:1\ncontainer = c1c\n",
             "1: [store.a] account: missing: expected the storage account name");
  expect_err("[store.a]\nkind = azure-blob\nendpoint = http://h:1\ncontainer = c1c\naccount = dev\n",
             "1: [store.a] account_key_env: missing: set account_key_env or account_key_file");
  expect_err("[store.a]\nkind = azure-blob\nendpoint = http://h:1\ncontainer = c1c\naccount = dev\nbucket = b1b\n",
             "6: [store.a] bucket: does not apply to kind azure-blob");
  /* secrets inline are refused, and never echoed */
  expect_err("[store.s]\nkind = s3\nendpoint = http://h:1\nbucket = b1b\nsecret_key = " SECRET "\n",
             "5: [store.s] secret_key: refused: a profile names where a secret is kept, never the secret; name an "
             "environment variable (access_key_env, secret_key_env) or a file (credentials_file) instead");
  expect_err("[store.a]\nkind = azure-blob\nendpoint = http://h:1\ncontainer = c1c\naccount_key = " SECRET "\n",
             "5: [store.a] account_key: refused: a profile names where a secret is kept, never the secret; name an "
             "environment variable (account_key_env) or a file (account_key_file) instead");
  expect_err(RS "endpoint = redis://h:1\npassword = " SECRET "\n",
             "4: [store.r] password: refused: a profile names where a secret is kept, never the secret; name an "
             "environment variable (password_env) or a file (password_file) instead");
  expect_err(RS "endpoint = redis://u:" URL_SECRET "@h:1\n", "3: [store.r] endpoint: refused: the URL holds");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_good),           cmocka_unit_test(test_errors),
      cmocka_unit_test(test_refused_keys),   cmocka_unit_test(test_aws_credentials),
      cmocka_unit_test(test_secret_files),   cmocka_unit_test(test_metadata_url),
      cmocka_unit_test(test_stores),         cmocka_unit_test(test_store_errors),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
