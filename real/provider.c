/* The adapters' registration table and the pieces every adapter shares:
 * header lookup, the remote function name, the wire request body, the
 * status mapping by HTTP code, and the clearing of requests and secrets.
 * The two response parsers live in provider_report.c. */
#include "provider.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>
#include <sodium.h>

const struct provider_ops *const provider_table[] = {
    &provider_lambda, &provider_lambda_url, &provider_azure, &provider_cloudrun,
    &provider_openfaas, &provider_fission, NULL,
};

const struct provider_ops *provider_find(const char *kind) {
  if (!kind) return NULL;
  for (const struct provider_ops *const *t = provider_table; *t; t++)
    if (!strcmp((*t)->kind, kind)) return *t;
  return NULL;
}

/* test_provider checks that it lists provider_table in order. */
const char *provider_kinds(void) { return "lambda, lambda-url, azure, cloudrun, openfaas, fission"; }

void provider__free_secret(char *s) {
  if (!s) return;
  sodium_memzero(s, strlen(s));
  g_free(s);
}

void http_req_clear(struct http_req *r) {
  if (!r) return;
  for (size_t i = 0; r->headers && r->headers[i]; i++) provider__free_secret(r->headers[i]); /* tokens */
  g_free(r->headers);
  provider__free_secret(r->userpwd);
  g_free(r->url);
  g_free(r->body);
  g_free(r->aws_sigv4);
  memset(r, 0, sizeof *r);
}

void provider_secret_clear(struct provider_secret *s) {
  if (!s) return;
  provider__free_secret(s->access_key_id);
  provider__free_secret(s->secret_access_key);
  provider__free_secret(s->session_token);
  provider__free_secret(s->function_key);
  provider__free_secret(s->bearer_token);
  memset(s, 0, sizeof *s);
}

int provider_set_bins(struct provider *p, const double *memory_mb, uint32_t n) {
  if (!p || (n && !memory_mb)) return CM_EINVAL;
  for (uint32_t i = 0; i < n; i++)
    if (!(memory_mb[i] > 0) || !isfinite(memory_mb[i])) return CM_EINVAL;
  g_free(p->bin_memory_mb);
  p->bin_memory_mb = n ? g_memdup2(memory_mb, n * sizeof *memory_mb) : NULL;
  p->nbins = n;
  return 0;
}

const char *http_resp_header(const struct http_resp *r, const char *name, size_t *len) {
  size_t n = strlen(name);
  for (size_t i = 0; r && r->headers && i < r->nheaders; i++) {
    const char *h = r->headers[i];
    if (!h || g_ascii_strncasecmp(h, name, n) || h[n] != ':') continue;
    const char *v = h + n + 1, *e;
    while (*v == ' ' || *v == '\t') v++;
    for (e = v + strlen(v); e > v && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'); e--) {}
    if (len) *len = (size_t)(e - v);
    return v;
  }
  if (len) *len = 0;
  return NULL;
}

/* The template's placeholders: {function}, {bin}, {memory}; any other text,
 * braces included, is copied. NULL when {memory} is asked for a bin whose
 * size is unknown (memory_mb not > 0). */
char *provider__function_name(const struct provider *p, const struct invocation *inv, double memory_mb) {
  const char *t = p->function_name && *p->function_name ? p->function_name : "{function}";
  GString *o = g_string_new(NULL);
  while (*t) {
    if (g_str_has_prefix(t, "{function}")) {
      g_string_append(o, inv->function ? inv->function : "");
      t += strlen("{function}");
    } else if (g_str_has_prefix(t, "{bin}")) {
      g_string_append_printf(o, "%u", inv->bin);
      t += strlen("{bin}");
    } else if (g_str_has_prefix(t, "{memory}")) {
      if (!(memory_mb > 0) || !isfinite(memory_mb)) {
        g_string_free(o, TRUE);
        return NULL;
      }
      g_string_append_printf(o, "%.15g", memory_mb);
      t += strlen("{memory}");
    } else {
      g_string_append_c(o, *t++);
    }
  }
  return g_string_free(o, FALSE);
}

/* s as the inside of a JSON string. */
static void json_escape(GString *o, const char *s) {
  for (; s && *s; s++) {
    unsigned char c = (unsigned char)*s;
    if (c == '"' || c == '\\')
      g_string_append_printf(o, "\\%c", c);
    else if (c < 0x20)
      g_string_append_printf(o, "\\u%04x", c);
    else
      g_string_append_c(o, (char)c);
  }
}

/* The minimal body ends in "pad":""}; the pad is 'a's. NULL when
 * request_bytes > PROVIDER_BODY_MAX (provider__request says so first). */
uint8_t *provider__body(const struct invocation *inv, size_t *len) {
  if (inv->request_bytes > PROVIDER_BODY_MAX) return NULL;
  GString *o = g_string_sized_new(MAX(inv->request_bytes, 160) + 1);
  g_string_append_printf(o, "{\"cloudmix\":1,\"id\":\"%llu\",\"function\":\"",
                         (unsigned long long)inv->id);
  json_escape(o, inv->function);
  g_string_append_printf(o, "\",\"bin\":%u,\"response_bytes\":%zu,\"pad\":\"", inv->bin,
                         inv->response_bytes);
  size_t minimal = o->len + 2;
  if (inv->request_bytes > minimal) {
    size_t pad = inv->request_bytes - minimal, at = o->len;
    g_string_set_size(o, at + pad);
    memset(o->str + at, 'a', pad);
  }
  g_string_append(o, "\"}");
  *len = o->len;
  return (uint8_t *)g_string_free(o, FALSE);
}

int provider__request(const struct invocation *inv, char *url, const char *const *headers,
                      struct http_req *out, char **err) {
  memset(out, 0, sizeof *out);
  if (inv->request_bytes > PROVIDER_BODY_MAX) {
    if (err)
      *err = g_strdup_printf("request_bytes %zu is larger than the %u bytes a request may carry",
                             inv->request_bytes, PROVIDER_BODY_MAX);
    g_free(url);
    return CM_EINVAL;
  }
  GPtrArray *h = g_ptr_array_new();
  g_ptr_array_add(h, g_strdup("Content-Type: application/json"));
  for (size_t i = 0; headers && headers[i]; i++) g_ptr_array_add(h, g_strdup(headers[i]));
  g_ptr_array_add(h, NULL);
  out->headers = (char **)g_ptr_array_free(h, FALSE);
  out->url = url;
  out->body = provider__body(inv, &out->body_len);
  return 0;
}

void provider__status(const struct http_resp *r, struct invoke_result *out, const char **reason) {
  long st = r->status;
  memset(out, 0, sizeof *out);
  out->latency = r->latency;
  out->http_status = st >= 0 && st <= 999 ? (int)st : 0;
  out->status = INVOKE_ERROR;
  if (st >= 200 && st < 300) {
    out->status = INVOKE_OK;
    *reason = "ok";
  } else if (st == 0) {
    out->status = INVOKE_NETWORK;
    *reason = "network";
  } else if (st == 401 || st == 403) {
    *reason = "auth";
  } else if (st == 429) {
    out->status = INVOKE_THROTTLED;
    *reason = "throttled";
  } else if (st == 504 || st == 408) { /* a gateway (or the platform) gave up waiting for the function */
    out->status = INVOKE_TIMEOUT;
    *reason = "gateway_timeout";
  } else if (st >= 400 && st < 500) {
    *reason = "http_4xx";
  } else if (st >= 500 && st < 600) {
    *reason = "http_5xx";
  } else {
    *reason = "http_other";
  }
}

void provider__ok_body(const struct http_resp *r, struct invoke_result *out, bool *malformed) {
  out->exec_time = -1; /* not reported */
  provider__self_report(r->body, r->body ? r->body_len : 0, out, malformed);
  if (out->exec_time < 0) out->exec_time = out->latency;
}

char *provider__path_name(const struct provider *p, const struct invocation *inv, char **err) {
  double mem = inv->bin < p->nbins && p->bin_memory_mb ? p->bin_memory_mb[inv->bin] : 0;
  char *name = provider__function_name(p, inv, mem);
  if (!name) {
    if (err)
      *err = g_strdup_printf("provider %s: function_name asks for {memory} but bin %u has no "
                             "memory size (provider_set_bins)", p->name, inv->bin);
    return NULL;
  }
  if (!*name) {
    if (err) *err = g_strdup_printf("provider %s: the function name is empty", p->name);
    g_free(name);
    return NULL;
  }
  char *esc = g_uri_escape_string(name, NULL, FALSE);
  g_free(name);
  return esc;
}

void provider__interpret_plain(const struct http_resp *r, bool busy_503, struct invoke_result *out,
                               const char **reason, bool *malformed) {
  provider__status(r, out, reason);
  if (busy_503 && r->status == 503) {
    out->status = INVOKE_THROTTLED;
    *reason = "throttled";
  }
  if (out->status == INVOKE_OK) provider__ok_body(r, out, malformed);
}
