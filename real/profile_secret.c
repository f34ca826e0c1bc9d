/* Where a real-mode provider's secret comes from: environment variables
 * named by the profile, the AWS shared credentials file (a small line
 * parser), a key or token file, or a metadata server's identity token
 * (libcurl easy, once, at load). Error messages name variables, files and
 * lines, never a value; buffers that held a secret are zeroed. */
#include "profile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <curl/curl.h>
#include <glib.h>
#include <sodium.h>

#define SECRET_MAX (64 * 1024)   /* largest secret file or token answer, bytes */
#define METADATA_TIMEOUT_MS 5000 /* the whole metadata request */

/* The value of environment variable name, or NULL when unset or empty. */
static const char *env_value(const char *name) {
  const char *v = *name ? getenv(name) : NULL;
  return v && *v ? v : NULL;
}

/* Trailing whitespace cut; then true when every byte can go in a header
 * (visible ASCII, no space: keys and tokens have none). */
static bool clean(char *v) {
  size_t n = strlen(v);
  while (n && g_ascii_isspace(v[n - 1])) v[--n] = '\0';
  for (size_t i = 0; i < n; i++)
    if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f) return false;
  return n > 0;
}

static void warn_mode(const char *path, mode_t mode) {
  if (mode & (S_IRGRP | S_IROTH))
    fprintf(stderr, "cloudmix: warning: %s holds a secret and is readable by %s (mode %03o); chmod 600 it\n",
            path, mode & S_IROTH ? "others" : "its group", (unsigned)(mode & 0777));
}

/* The whole of file path (at most SECRET_MAX bytes), NUL-terminated;
 * warns when group or others may read it. */
static char *read_secret(const char *path, size_t *len, char **why) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    *why = g_strdup_printf("cannot open %s: %s", path, g_strerror(errno));
    if (fd >= 0) close(fd);
    return NULL;
  }
  if (!S_ISREG(st.st_mode) || st.st_size > SECRET_MAX) {
    *why = g_strdup_printf("%s: expected a regular file of at most %d bytes", path, SECRET_MAX);
    close(fd);
    return NULL;
  }
  warn_mode(path, st.st_mode);
  char *buf = g_malloc0(SECRET_MAX + 1);
  size_t n = 0;
  ssize_t r;
  while (n < SECRET_MAX && (r = read(fd, buf + n, SECRET_MAX - n)) != 0) {
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      *why = g_strdup_printf("cannot read %s: %s", path, g_strerror(errno));
      close(fd);
      provider__free_secret(buf);
      return NULL;
    }
    n += (size_t)r;
  }
  close(fd);
  *len = n;
  return buf;
}

/* The AWS shared credentials file: [name] sections of key = value lines,
 * # and ; comments ("Configuration and credential file settings",
 * https://docs.aws.amazon.com/cli/latest/userguide/cli-configure-files.html).
 * The last [name] section found wins. */
static int aws_file(const char *path, const char *name, struct provider_secret *out, bool *no_section, char **why) {
  size_t len = 0;
  char *data = read_secret(path, &len, why);
  if (!data) return CM_ENOENT;
  struct provider_secret got = {0};
  int rc = 0, line = 0, at = 0;
  bool in = false;
  *no_section = true;
  for (char *p = data, *nl; !rc && p < data + len; p = nl + 1) {
    line++;
    if (!(nl = memchr(p, '\n', (size_t)(data + len - p)))) nl = data + len;
    *nl = '\0';
    char *t = g_strstrip(p), *eq;
    if (!*t || *t == '#' || *t == ';') continue;
    if (*t == '[') {
      char *close = strchr(t, ']');
      if (!close) rc = CM_EPARSE, *why = g_strdup_printf("%s:%d: expected [profile-name]", path, line);
      if (close) *close = '\0';
      in = close && !strcmp(g_strstrip(t + 1), name);
      if (in) *no_section = false, at = line;
    } else if (!(eq = strchr(t, '='))) {
      rc = CM_EPARSE, *why = g_strdup_printf("%s:%d: expected key = value", path, line);
    } else if (in) {
      *eq = '\0';
      char *k = g_strstrip(t), *v = g_strstrip(eq + 1), **dst = NULL;
      if (!strcmp(k, "aws_access_key_id")) dst = &got.access_key_id;
      if (!strcmp(k, "aws_secret_access_key")) dst = &got.secret_access_key;
      if (!strcmp(k, "aws_session_token")) dst = &got.session_token;
      if (dst && (!clean(v) || (dst == &got.access_key_id && strchr(v, ':'))))
        rc = CM_EPARSE, *why = g_strdup_printf("%s:%d: %s is empty or holds characters a request cannot carry",
                                               path, line, k);
      else if (dst)
        provider__free_secret(*dst), *dst = g_strdup(v);
    }
  }
  if (!rc && !*no_section && (!got.access_key_id || !got.secret_access_key))
    rc = CM_EPARSE, *why = g_strdup_printf("%s:%d: [%s] lacks %s", path, at, name,
                                           got.access_key_id ? "aws_secret_access_key" : "aws_access_key_id");
  if (!rc && *no_section) rc = CM_ENOENT, *why = g_strdup_printf("%s has no [%s] section", path, name);
  sodium_memzero(data, len);
  g_free(data);
  if (rc) provider_secret_clear(&got);
  if (!rc) *out = got;
  return rc;
}

int profile__aws_secret(const scenario *s, const char *g, bool required, struct provider_secret *out,
                        char **err) {
  const char *ak_env = scenario_string(s, g, "access_key_env"), *sk_env = scenario_string(s, g, "secret_key_env");
  const char *st_env = scenario_string(s, g, "session_token_env");
  const char *ak = env_value(ak_env), *sk = env_value(sk_env), *st = env_value(st_env);
  if (ak && sk) {
    char *a = g_strdup(ak), *k = g_strdup(sk), *t = st ? g_strdup(st) : NULL;
    const char *bad = !clean(a) || strchr(a, ':') ? ak_env : !clean(k) ? sk_env : t && !clean(t) ? st_env : NULL;
    out->access_key_id = a, out->secret_access_key = k, out->session_token = t;
    if (!bad) return 0;
    provider_secret_clear(out);
    return scenario_error(s, g, bad == ak_env ? "access_key_env" : bad == sk_env ? "secret_key_env" : "session_token_env",
                          err, "environment variable %s holds characters a request cannot carry", bad);
  }
  if (ak || sk)
    return scenario_error(s, g, ak ? "secret_key_env" : "access_key_env", err,
                          "environment variable %s is set but %s is not", ak ? ak_env : sk_env, ak ? sk_env : ak_env);
  const char *cf = scenario_string(s, g, "credentials_file"), *pn = scenario_string(s, g, "aws_profile");
  bool explicit_file = *cf;
  char *file = explicit_file ? g_strdup(cf)
               : env_value("AWS_SHARED_CREDENTIALS_FILE") ? g_strdup(env_value("AWS_SHARED_CREDENTIALS_FILE"))
                                                    : g_build_filename(g_get_home_dir(), ".aws", "credentials", NULL);
  const char *name = *pn ? pn : env_value("AWS_PROFILE") ? env_value("AWS_PROFILE") : "default";
  char *why = NULL;
  bool no_section = false;
  int rc = 0;
  if (!explicit_file && access(file, F_OK) != 0) {
    if (required)
      rc = scenario_error(s, g, "credentials_file", err,
                          "no AWS credentials: environment variables %s and %s are not set and %s does not exist",
                          ak_env, sk_env, file);
  } else if ((rc = aws_file(file, name, out, &no_section, &why))) {
    if (!required && !explicit_file && no_section)
      rc = 0; /* lambda-url: unsigned */
    else
      rc = scenario_error(s, g, "credentials_file", err, "%s", why);
  }
  g_free(why);
  g_free(file);
  return rc;
}

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *arg) {
  GString *b = arg;
  size_t n = size * nmemb;
  if (b->len + n > SECRET_MAX) return 0; /* too large: the transfer fails */
  g_string_append_len(b, ptr, (gssize)n);
  return n;
}

/* GET url with Metadata-Flavor: Google (the GCE / Cloud Run metadata
 * server's required header, https://cloud.google.com/compute/docs/metadata/querying-metadata),
 * http or https only, no redirects, METADATA_TIMEOUT_MS in all. */
static char *fetch_token(const char *url, char **why) {
  CURL *c = curl_easy_init();
  GString *b = g_string_new(NULL);
  struct curl_slist *h = curl_slist_append(NULL, "Metadata-Flavor: Google");
  long status = 0;
  CURLcode rc = c ? CURLE_OK : CURLE_FAILED_INIT;
  if (c) {
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)METADATA_TIMEOUT_MS);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, b);
    rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
  }
  char *tok = NULL;
  if (rc != CURLE_OK)
    *why = g_strdup_printf("cannot fetch the token from %s: %s", url, curl_easy_strerror(rc));
  else if (status != 200)
    *why = g_strdup_printf("cannot fetch the token from %s: HTTP %ld", url, status);
  else
    tok = g_strdup(b->str);
  sodium_memzero(b->str, b->len);
  g_string_free(b, TRUE);
  curl_slist_free_all(h);
  if (c) curl_easy_cleanup(c);
  return tok;
}

int profile__one_secret(const scenario *s, const char *g, const char *env_key, const char *file_key,
                        const char *url_key, char **out, char **err) {
  const char *keys[3] = {env_key, file_key, url_key}, *set = NULL;
  for (int i = 0; i < 3; i++) {
    if (!keys[i] || !*scenario_string(s, g, keys[i])) continue;
    if (set) return scenario_error(s, g, keys[i], err, "set only one of %s and %s", set, keys[i]);
    set = keys[i];
  }
  if (!set) return 0;
  const char *v = scenario_string(s, g, set);
  char *why = NULL, *val = NULL;
  size_t len = 0;
  if (set == env_key) {
    val = env_value(v) ? g_strdup(env_value(v)) : NULL;
    if (!val) why = g_strdup_printf("environment variable %s is not set", v);
  } else if (set == file_key) {
    val = read_secret(v, &len, &why);
  } else {
    val = fetch_token(v, &why);
  }
  if (val && !clean(val)) {
    why = g_strdup_printf("%s %s is empty or holds characters a header cannot carry",
                          set == env_key ? "environment variable" : set == file_key ? "file" : "the answer of", v);
    provider__free_secret(val);
    val = NULL;
  }
  int rc = val ? 0 : scenario_error(s, g, set, err, "%s", why);
  g_free(why);
  *out = val;
  return rc;
}
