/* The shared half of the S3 / GCS and Azure Blob clients: one request as a
 * curl easy handle on the env's multi (real/env_real_http.h), a put body
 * streamed through CURLOPT_READFUNCTION from the caller's bytes or the
 * filler, a get body kept once (or only counted and hashed), error and
 * listing bodies bounded; and the pure helpers (escaping, a bounded XML
 * element reader, MD5 / ETag checks) that the unit tests and the fuzz
 * targets call directly. The XML reader is no XML parser: it finds
 * <tag>text</tag> with no attributes and decodes the five named entities
 * and numeric references, which is all the answers of S3 and Azure need
 * (their keys and codes are element text). */
#include "store_http.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

#include "env_real_http.h"

#define XML_VALUE_MAX 4096 /* bytes of one element's text (a key is at most 1024 UTF-8 bytes) */
#define CONNECT_TIMEOUT CM_S(10)

/* ---- pure helpers ---- */

char *store_http__escape(const char *s, bool keep_slash) {
  static const char hex[] = "0123456789ABCDEF";
  GString *o = g_string_sized_new(strlen(s) + 8);
  for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
    if (g_ascii_isalnum(*p) || *p == '-' || *p == '.' || *p == '_' || *p == '~' || (*p == '/' && keep_slash))
      g_string_append_c(o, (char)*p);
    else {
      g_string_append_c(o, '%');
      g_string_append_c(o, hex[*p >> 4]);
      g_string_append_c(o, hex[*p & 15]);
    }
  }
  return g_string_free(o, FALSE);
}

/* Append the UTF-8 of code point cp; false if it is no character. */
static bool put_utf8(GString *o, unsigned long cp) {
  if (cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
  g_string_append_unichar(o, (gunichar)cp);
  return true;
}

/* s[0..n) with entities decoded (g_malloc'd), or NULL on a bad entity. */
static char *xml_text(const char *s, size_t n) {
  static const struct {
    const char *name;
    char c;
  } named[] = {{"amp;", '&'}, {"lt;", '<'}, {"gt;", '>'}, {"quot;", '"'}, {"apos;", '\''}};
  GString *o = g_string_sized_new(n);
  for (size_t i = 0; i < n; i++) {
    if (s[i] != '&') {
      g_string_append_c(o, s[i]);
      continue;
    }
    size_t j = i + 1;
    bool ok = false;
    for (size_t k = 0; k < G_N_ELEMENTS(named) && !ok; k++) {
      size_t l = strlen(named[k].name);
      if (n - j >= l && memcmp(s + j, named[k].name, l) == 0) {
        g_string_append_c(o, named[k].c);
        i = j + l - 1;
        ok = true;
      }
    }
    if (!ok && j < n && s[j] == '#') {
      bool hexa = j + 1 < n && (s[j + 1] == 'x' || s[j + 1] == 'X');
      size_t d = j + 1 + hexa, e = d;
      unsigned long cp = 0;
      while (e < n && e - d < 8 && (hexa ? g_ascii_isxdigit(s[e]) : g_ascii_isdigit(s[e])))
        cp = cp * (hexa ? 16 : 10) + (unsigned long)(hexa ? g_ascii_xdigit_value(s[e]) : s[e] - '0'), e++;
      if (e > d && e < n && s[e] == ';' && put_utf8(o, cp)) {
        i = e;
        ok = true;
      }
    }
    if (!ok) {
      g_string_free(o, TRUE);
      return NULL;
    }
  }
  return g_string_free(o, FALSE);
}

/* The next <tag>text</tag> at or after *pos within [b, b+len): the text's
 * bounds in *s, *n and *pos past the end tag. 1 found, 0 none, -1 malformed
 * (an opening tag without its end, or text over XML_VALUE_MAX). */
static int xml_next(const char *b, size_t len, const char *tag, size_t *pos, const char **s, size_t *n) {
  char open[80], close[80];
  int lo = snprintf(open, sizeof open, "<%s>", tag), lc = snprintf(close, sizeof close, "</%s>", tag);
  if (lo <= 0 || lc <= 0 || (size_t)lc >= sizeof close) return -1;
  if (*pos > len) return 0;
  const char *st = memmem(b + *pos, len - *pos, open, (size_t)lo);
  if (!st) return 0;
  const char *text = st + lo;
  size_t rest = len - (size_t)(text - b);
  size_t window = MIN(rest, XML_VALUE_MAX + (size_t)lc); /* the end tag must come within 4 KiB */
  const char *en = memmem(text, window, close, (size_t)lc);
  if (!en) return -1;
  *s = text;
  *n = (size_t)(en - text);
  *pos = (size_t)(en - b) + (size_t)lc;
  return 1;
}

bool store_http__xml_values(const char *body, size_t len, const char *tag, GPtrArray *out, size_t max) {
  size_t pos = 0, n;
  const char *s;
  int r;
  while ((r = xml_next(body, len, tag, &pos, &s, &n)) == 1) {
    if (out->len >= max) return false;
    char *v = xml_text(s, n);
    if (!v) return false;
    g_ptr_array_add(out, v);
  }
  return r == 0;
}

char *store_http__xml_value(const char *body, size_t len, const char *tag) {
  size_t pos = 0, n;
  const char *s;
  return xml_next(body, len, tag, &pos, &s, &n) == 1 ? xml_text(s, n) : NULL;
}

/* src into dst (size cap, NUL-terminated), control bytes as '?'. */
static void copy_clean(char *dst, size_t cap, const char *src) {
  size_t i = 0;
  for (; src[i] && i + 1 < cap; i++) dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ? '?' : src[i];
  dst[i] = 0;
}

bool store_http__parse_error(const char *body, size_t len, struct store_http_error *out) {
  out->code[0] = out->message[0] = 0;
  if (!body) return false;
  const char *st = memmem(body, len, "<Error>", 7);
  if (!st) return false;
  size_t off = (size_t)(st - body), rest = len - off;
  const char *en = memmem(st, rest, "</Error>", 8);
  if (!en) return false;
  size_t n = (size_t)(en - st);
  char *code = store_http__xml_value(st, n, "Code");
  if (!code || !*code) {
    g_free(code);
    return false;
  }
  copy_clean(out->code, sizeof out->code, code);
  g_free(code);
  char *msg = store_http__xml_value(st, n, "Message");
  if (msg) copy_clean(out->message, sizeof out->message, msg);
  g_free(msg);
  return true;
}

/* The 16 bytes of a 32-hex string, or false. */
static bool hex_md5(const char *s, size_t n, uint8_t out[STORE_HTTP_MD5_BYTES]) {
  if (n != 2 * STORE_HTTP_MD5_BYTES) return false;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isxdigit(s[i])) return false;
  for (size_t i = 0; i < STORE_HTTP_MD5_BYTES; i++)
    out[i] = (uint8_t)(g_ascii_xdigit_value(s[2 * i]) << 4 | g_ascii_xdigit_value(s[2 * i + 1]));
  return true;
}

int store_http__etag_check(const char *etag, const uint8_t md5[STORE_HTTP_MD5_BYTES]) {
  if (!etag) return 0;
  size_t n = strlen(etag);
  if (n >= 2 && etag[0] == '"' && etag[n - 1] == '"') etag++, n -= 2;
  uint8_t want[STORE_HTTP_MD5_BYTES];
  if (!hex_md5(etag, n, want)) return 0; /* multipart "-N", or not an MD5 */
  return memcmp(want, md5, STORE_HTTP_MD5_BYTES) == 0 ? 1 : -1;
}

int store_http__content_md5_check(const char *b64, const uint8_t md5[STORE_HTTP_MD5_BYTES]) {
  size_t n = strlen(b64);
  if (n != 24 || b64[22] != '=' || b64[23] != '=') return -1;
  for (size_t i = 0; i < 22; i++)
    if (!g_ascii_isalnum(b64[i]) && b64[i] != '+' && b64[i] != '/') return -1;
  gsize dl = 0;
  guchar *d = g_base64_decode(b64, &dl);
  int r = dl == STORE_HTTP_MD5_BYTES && memcmp(d, md5, STORE_HTTP_MD5_BYTES) == 0 ? 1 : -1;
  g_free(d);
  return r;
}

void store_http__filler(uint8_t *dst, size_t off, size_t n) {
  for (size_t i = 0; i < n; i++) {
    dst[i] = (uint8_t)(off + i); /* byte o is o mod 256, as store_redis.c's */
  }
}

void store_http__body_md5(const uint8_t *value, size_t len, uint8_t out[STORE_HTTP_MD5_BYTES]) {
  GChecksum *h = g_checksum_new(G_CHECKSUM_MD5);
  if (value) {
    for (size_t off = 0; off < len; off += 1u << 30) /* g_checksum_update takes a gssize */
      g_checksum_update(h, value + off, (gssize)MIN(len - off, (size_t)1 << 30));
  } else {
    uint8_t buf[16384];
    for (size_t off = 0; off < len; off += sizeof buf) {
      size_t n = MIN(len - off, sizeof buf);
      store_http__filler(buf, off, n);
      g_checksum_update(h, buf, (gssize)n);
    }
  }
  gsize dl = STORE_HTTP_MD5_BYTES;
  g_checksum_get_digest(h, out, &dl);
  g_checksum_free(h);
}

/* ---- one request ---- */

cm_time store_http__deadline(env *e, cm_time deadline, cm_time timeout) {
  if (deadline > 0) return deadline;
  return env_now(e) + (timeout > 0 ? timeout : CM_S(30));
}

struct store_http_req *store_http__req_new(struct store_client *c, struct store_http_req **live, enum store_op op,
                                           bool listing, cm_time deadline) {
  struct store_http_req *r = g_new0(struct store_http_req, 1);
  r->c = c;
  r->live = live;
  r->op = op;
  r->listing = listing;
  r->deadline = deadline;
  r->easy = curl_easy_init();
  if (!r->easy) cm_fatal(CM_LOC, "store_http: curl_easy_init failed");
  r->body = g_byte_array_new();
  if (listing) r->keys = g_ptr_array_new_with_free_func(g_free);
  return r;
}

struct store_http_req *store_http__op_new(struct store_client *c, struct store_http_req **live, cm_time timeout,
                                          store_http_finish_fn finish, const struct store_op_req *req,
                                          store_done_fn done, void *arg, const char **reason) {
  if (!req || !req->key || !*req->key || !done) {
    *reason = "invalid";
    return NULL;
  }
  struct store_http_req *r =
      store_http__req_new(c, live, req->op, false, store_http__deadline(c->e, req->deadline, timeout));
  r->finish = finish;
  r->done = done;
  r->arg = arg;
  r->length_only = req->length_only;
  if (req->op == STORE_PUT) {
    r->value = req->value;
    r->len = req->len;
    store_http__body_md5(r->value, r->len, r->md5);
  }
  return r;
}

struct store_http_req *store_http__list_new(struct store_client *c, struct store_http_req **live, cm_time timeout,
                                            store_http_finish_fn finish, const char *prefix, store_list_done_fn done,
                                            void *arg, const char **reason) {
  if (!done) {
    *reason = "invalid";
    return NULL;
  }
  struct store_http_req *r = store_http__req_new(c, live, STORE_GET, true, store_http__deadline(c->e, 0, timeout));
  r->finish = finish;
  r->list_done = done;
  r->arg = arg;
  r->prefix = g_strdup(prefix ? prefix : "");
  return r;
}

/* Free a header list, zeroing it first: it may hold a session token. */
void store_http__hdrs_free(struct curl_slist *l) {
  for (struct curl_slist *p = l; p; p = p->next) sodium_memzero(p->data, strlen(p->data));
  curl_slist_free_all(l);
}

static void req_free(struct store_http_req *r) {
  curl_easy_cleanup(r->easy); /* curl's copy of CURLOPT_USERPWD is freed by curl, not zeroed */
  store_http__hdrs_free(r->hdrs);
  g_byte_array_free(r->body, TRUE);
  if (r->hash) g_checksum_free(r->hash);
  if (r->keys) g_ptr_array_free(r->keys, TRUE);
  g_free(r->prefix);
  g_free(r->marker);
  g_free(r);
}

static void unlink_req(struct store_http_req *r) {
  if (r->prev) r->prev->next = r->next;
  else if (*r->live == r) *r->live = r->next;
  if (r->next) r->next->prev = r->prev;
  r->prev = r->next = NULL;
}

static size_t on_read(char *buf, size_t size, size_t n, void *userp) {
  struct store_http_req *r = userp;
  size_t want = MIN(size * n, r->len - r->off);
  if (r->value) memcpy(buf, r->value + r->off, want);
  else store_http__filler((uint8_t *)buf, r->off, want);
  r->off += want;
  return want;
}

/* Rewinding for a resend (a redirect, a reused connection that closed). */
static int on_seek(void *userp, curl_off_t offset, int origin) {
  struct store_http_req *r = userp;
  if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > r->len) return CURL_SEEKFUNC_FAIL;
  r->off = (size_t)offset;
  return CURL_SEEKFUNC_OK;
}

/* Keep the header's value (trimmed) in dst when line is "name: value". */
static void header_value(const char *line, size_t len, const char *name, char *dst, size_t cap) {
  size_t nl = strlen(name);
  if (len <= nl || g_ascii_strncasecmp(line, name, nl) != 0 || line[nl] != ':') return;
  const char *v = line + nl + 1;
  size_t vl = len - nl - 1;
  while (vl && (*v == ' ' || *v == '\t')) v++, vl--;
  while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n' || v[vl - 1] == ' ' || v[vl - 1] == '\t')) vl--;
  if (vl >= cap) vl = 0; /* too long to be what we check: as if absent */
  memcpy(dst, v, vl);
  dst[vl] = 0;
}

static size_t on_header(char *buf, size_t size, size_t n, void *userp) {
  struct store_http_req *r = userp;
  size_t len = size * n;
  if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) { /* a new response (after 100 Continue) */
    r->etag[0] = r->content_md5[0] = 0;
    r->etag_not_md5 = false;
    return len;
  }
  /* SSE-KMS and SSE-C objects have ETags that are no MD5 of the body */
  char sse[32] = "";
  header_value(buf, len, "x-amz-server-side-encryption", sse, sizeof sse);
  static const char ssec[] = "x-amz-server-side-encryption-customer-";
  if (!strncmp(sse, "aws:kms", 7) || (len > sizeof ssec - 1 && !g_ascii_strncasecmp(buf, ssec, sizeof ssec - 1)))
    r->etag_not_md5 = true;
  header_value(buf, len, "ETag", r->etag, sizeof r->etag);
  header_value(buf, len, "Content-MD5", r->content_md5, sizeof r->content_md5);
  return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *userp) {
  struct store_http_req *r = userp;
  size_t len = size * n;
  if (!r->status) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
  bool ok = r->status >= 200 && r->status < 300;
  if (!ok) { /* an error body: the start is kept, the rest read and dropped */
    if (r->body->len < STORE_HTTP_ERROR_MAX)
      g_byte_array_append(r->body, (const guint8 *)buf, (guint)MIN(len, STORE_HTTP_ERROR_MAX - r->body->len));
    return len;
  }
  size_t max = r->listing ? STORE_HTTP_LIST_MAX : r->op == STORE_GET ? STORE_HTTP_OBJECT_MAX : STORE_HTTP_ERROR_MAX;
  if (r->got + len > max) {
    if (r->op != STORE_GET && !r->listing) return len; /* a put's or delete's body: not ours to keep */
    r->oversized = true;
    return 0; /* aborts: CURLE_WRITE_ERROR */
  }
  if (r->got == 0 && r->op == STORE_GET && !r->listing && !r->length_only) {
    curl_off_t cl = -1; /* room for the announced length at once (at most 256 MiB: it is not trusted) */
    curl_easy_getinfo(r->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
    if (cl > 0 && cl <= (curl_off_t)(256u << 20)) {
      g_byte_array_set_size(r->body, (guint)cl);
      g_byte_array_set_size(r->body, 0); /* keeps the allocation */
    }
  }
  r->got += len;
  if (r->op == STORE_GET && !r->listing) {
    if (!r->hash) r->hash = g_checksum_new(G_CHECKSUM_MD5);
    g_checksum_update(r->hash, (const guchar *)buf, (gssize)len);
    if (r->length_only) return len;
  }
  g_byte_array_append(r->body, (const guint8 *)buf, (guint)len);
  return len;
}

static void on_done(void *arg, CURLcode rc, CURL *easy) {
  (void)easy;
  struct store_http_req *r = arg;
  r->status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &r->status);
  if (r->hash) {
    gsize dl = STORE_HTTP_MD5_BYTES;
    g_checksum_get_digest(r->hash, r->md5, &dl);
  } else if (r->op == STORE_GET && !r->listing) {
    store_http__body_md5(NULL, 0, r->md5); /* an empty object */
  }
  r->finish(r, rc);
}

int store_http__send(struct store_http_req *r, const char *url, const char **reason) {
  env *e = r->c->e;
  cm_time left = r->deadline - env_now(e);
  if (left <= 0) {
    *reason = "timeout";
    return CM_EIO;
  }
  CURL *c = r->easy;
  curl_easy_setopt(c, CURLOPT_URL, url);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->hdrs);
  curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L); /* a key's "." and ".." segments are the key's */
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)MAX(1, (left + CM_MS(1) - 1) / CM_MS(1)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)MAX(1, MIN(left, CONNECT_TIMEOUT) / CM_MS(1)));
  if (r->op == STORE_PUT && !r->listing) {
    r->off = 0;
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)r->len);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
    curl_easy_setopt(c, CURLOPT_READDATA, r);
    curl_easy_setopt(c, CURLOPT_SEEKFUNCTION, on_seek);
    curl_easy_setopt(c, CURLOPT_SEEKDATA, r);
    curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L); /* send the body at once */
  } else if (r->op == STORE_DELETE) {
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "DELETE");
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  r->status = 0;
  r->got = 0;
  r->etag[0] = r->content_md5[0] = 0;
  g_byte_array_set_size(r->body, 0);
  int rc = real_http__add_easy(e, c, on_done, r);
  if (rc) {
    *reason = "transfer_error";
    return rc;
  }
  if (!r->prev && *r->live != r) { /* not yet linked (a listing's next page is) */
    r->next = *r->live;
    if (r->next) r->next->prev = r;
    *r->live = r;
  }
  return 0;
}

void store_http__end(struct store_http_req *r, int status, const char *reason) {
  unlink_req(r);
  if (r->listing) {
    r->list_done(r->arg, status, status ? reason : NULL, status ? NULL : (const char *const *)r->keys->pdata,
                 status ? 0 : r->keys->len);
  } else {
    const uint8_t *v = NULL;
    size_t len = 0;
    if (!status && r->op == STORE_GET) {
      v = r->length_only ? NULL : r->body->data;
      len = r->got;
      if (!v && !r->length_only) v = (const uint8_t *)""; /* an empty object: bytes, not "virtual" */
    } else if (!status && r->op == STORE_PUT) {
      len = r->len;
    }
    r->done(r->arg, status, status ? reason : NULL, v, len);
  }
  req_free(r);
}

void store_http__abort(struct store_http_req *r) {
  real_http__remove_easy(r->c->e, r->easy);
  unlink_req(r);
  req_free(r);
}

void store_http__abort_all(struct store_http_req **live) {
  while (*live) store_http__abort(*live);
}

int store_http__transport_status(const struct store_http_req *r, CURLcode rc, const char **reason) {
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT: *reason = "timeout"; break;
  case CURLE_COULDNT_CONNECT: *reason = "refused"; break;
  case CURLE_COULDNT_RESOLVE_HOST: *reason = "resolve"; break;
  case CURLE_PARTIAL_FILE: *reason = "truncated"; break;
  case CURLE_WRITE_ERROR:
  case CURLE_FILESIZE_EXCEEDED: *reason = r->oversized ? "oversized" : "write_error"; break;
  case CURLE_GOT_NOTHING: *reason = "empty_reply"; break;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR: *reason = "reset"; break;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_BAD_CONTENT_ENCODING:
  case CURLE_UNSUPPORTED_PROTOCOL: *reason = "malformed_http"; break;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION: *reason = "tls"; break;
  default: *reason = "transfer_error"; break;
  }
  return CM_EIO;
}

int store_http__http_status(const struct store_http_req *r, bool enoent, const char **reason,
                            struct store_http_error *err) {
  long s = r->status;
  bool parsed = store_http__parse_error((const char *)r->body->data, r->body->len, err);
  if (!parsed) g_strlcpy(err->code, r->body->len ? "(malformed error body)" : "(no error body)", sizeof err->code);
  /* NoSuchBucket, ContainerNotFound: the store, not the object, is missing */
  if (parsed && (strstr(err->code, "Bucket") || strstr(err->code, "Container"))) enoent = false;
  if (s == 404 && enoent) {
    *reason = "not_found";
    return CM_ENOENT;
  }
  if (s == 401 || s == 403) *reason = "auth";
  else if (s == 429) *reason = "throttled";
  else if (s >= 500 && s < 600) *reason = "server_error";
  else if (s == 404) *reason = "no_container";
  else if (s >= 400 && s < 500) *reason = "client_error";
  else if (s >= 300 && s < 400) *reason = "redirect"; /* e.g. S3's PermanentRedirect: another region */
  else *reason = "malformed_http"; /* 1xx as a final answer */
  return CM_EIO;
}

static const char *op_name(const struct store_http_req *r) {
  if (r->listing) return "list";
  return r->op == STORE_PUT ? "put" : r->op == STORE_GET ? "get" : "delete";
}

/* A listing page arrived (2xx): gather its keys, ask the next page or end. */
static void list_page(struct store_http_req *r, const struct store_http_dialect *d) {
  char *next = NULL;
  int rc = d->parse_page((const char *)r->body->data, r->body->len, r->keys, &next);
  if (rc || (next && r->marker && strcmp(next, r->marker) == 0)) { /* no progress: never loop */
    g_free(next);
    store_http__end(r, CM_EIO, rc == CM_ERANGE ? "oversized" : "malformed");
    return;
  }
  if (!next) {
    store_http__end(r, 0, NULL);
    return;
  }
  g_free(r->marker);
  r->marker = next;
  const char *reason = NULL;
  if (d->send_page(r, &reason)) store_http__end(r, CM_EIO, reason);
}

void store_http__finish(struct store_http_req *r, CURLcode rc, const struct store_http_dialect *d) {
  const char *reason = NULL;
  int status = 0;
  if (rc != CURLE_OK) {
    status = store_http__transport_status(r, rc, &reason);
  } else if (r->status < 200 || r->status >= 300) {
    struct store_http_error err;
    status = store_http__http_status(r, r->op != STORE_PUT && !r->listing, &reason, &err);
    g_debug("store (%s): %s answered %ld %s: %s", d->kind, op_name(r), r->status, err.code, err.message);
  } else if (r->listing) {
    list_page(r, d);
    return;
  } else if (r->op != STORE_DELETE && !d->intact(r)) {
    status = CM_EIO;
    reason = "integrity";
  }
  store_http__end(r, status, reason);
}
