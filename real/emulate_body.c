/* The emulator's bodies: a strict JSON scanner for the request (RFC 8259
 * grammar, depth-limited, no allocation but the one field it returns), and
 * the deployed handler's response body padded to the size asked for. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "emulate_impl.h"

#define DEPTH_MAX 64

struct js {
  const char *p, *end;
  int depth;
};

static void ws(struct js *j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static bool hex(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* A string at j->p; *s, *n: its raw contents. */
static bool str(struct js *j, const char **s, size_t *n) {
  if (j->p >= j->end || *j->p != '"') return false;
  const char *b = ++j->p;
  while (j->p < j->end) {
    unsigned char ch = (unsigned char)*j->p;
    if (ch == '"') {
      *s = b;
      *n = (size_t)(j->p - b);
      j->p++;
      return true;
    }
    if (ch < 0x20) return false;
    if (ch == '\\') {
      if (++j->p >= j->end) return false;
      if (*j->p == 'u') {
        if (j->end - j->p < 5) return false;
        for (int k = 1; k <= 4; k++)
          if (!hex(j->p[k])) return false;
        j->p += 4;
      } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
        return false;
      }
    }
    j->p++;
  }
  return false;
}

static bool digits(struct js *j) {
  const char *b = j->p;
  while (j->p < j->end && *j->p >= '0' && *j->p <= '9') j->p++;
  return j->p > b;
}

static bool num(struct js *j) {
  if (j->p < j->end && *j->p == '-') j->p++;
  if (j->p < j->end && *j->p == '0') j->p++;
  else if (!digits(j)) return false;
  if (j->p < j->end && *j->p == '.' && (j->p++, !digits(j))) return false;
  if (j->p < j->end && (*j->p == 'e' || *j->p == 'E')) {
    j->p++;
    if (j->p < j->end && (*j->p == '+' || *j->p == '-')) j->p++;
    if (!digits(j)) return false;
  }
  return true;
}

static bool lit(struct js *j, const char *w) {
  size_t n = strlen(w);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, w, n) != 0) return false;
  j->p += n;
  return true;
}

static bool value(struct js *j);

/* Members of an object or elements of an array, after the opening bracket.
 * At depth 1 (the top object), on_member sees each key and value span. */
struct top {
  char **id;
  size_t *rb;
  bool bad;
};

static bool members(struct js *j, bool object, struct top *t) {
  char close = object ? '}' : ']';
  if (++j->depth > DEPTH_MAX) return false;
  ws(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    j->depth--;
    return true;
  }
  for (;;) {
    const char *k = NULL;
    size_t kn = 0;
    if (object) {
      if (!str(j, &k, &kn)) return false;
      ws(j);
      if (j->p >= j->end || *j->p != ':') return false;
      j->p++;
      ws(j);
    }
    const char *v = j->p;
    if (!value(j)) return false;
    if (t && object && j->depth == 1) {
      if (kn == 2 && memcmp(k, "id", 2) == 0 && *v == '"') {
        g_free(*t->id);
        *t->id = g_strndup(v + 1, (size_t)(j->p - v) - 2);
      } else if (kn == 14 && memcmp(k, "response_bytes", 14) == 0) {
        char buf[32];
        size_t n = (size_t)(j->p - v);
        char *e = NULL;
        if (n >= sizeof buf || *v < '0' || *v > '9') {
          t->bad = true;
        } else {
          memcpy(buf, v, n);
          buf[n] = '\0';
          unsigned long long x = strtoull(buf, &e, 10);
          if (*e || x > SIZE_MAX) t->bad = true;
          else *t->rb = (size_t)x;
        }
      }
    }
    ws(j);
    if (j->p >= j->end) return false;
    if (*j->p == close) {
      j->p++;
      j->depth--;
      return true;
    }
    if (*j->p != ',') return false;
    j->p++;
    ws(j);
  }
}

static bool value(struct js *j) {
  if (j->p >= j->end) return false;
  const char *s;
  size_t n;
  switch (*j->p) {
  case '{': j->p++; return members(j, true, NULL);
  case '[': j->p++; return members(j, false, NULL);
  case '"': return str(j, &s, &n);
  case 't': return lit(j, "true");
  case 'f': return lit(j, "false");
  case 'n': return lit(j, "null");
  default: return num(j);
  }
}

int emu__json_scan(const char *body, size_t len, char **id, size_t *response_bytes) {
  struct js j = {body, body + len, 0};
  *id = NULL;
  size_t rb = *response_bytes;
  struct top t = {id, &rb, false};
  ws(&j);
  bool ok = j.p < j.end && *j.p == '{';
  if (ok) {
    j.p++;
    ok = members(&j, true, &t);
  }
  ws(&j);
  if (!ok || j.p != j.end || t.bad) {
    g_free(*id);
    *id = NULL;
    return CM_EPARSE;
  }
  *response_bytes = rb;
  return 0;
}

char *emu__handler_body(const struct emu_call *c, const struct invoke_result *res, size_t *len) {
  char *min = g_strdup_printf("{\"cloudmix\":1,\"id\":\"%s\",\"exec_ms\":%.3f,\"init_ms\":%.3f,\"cold\":%s,"
                              "\"mem_peak_mb\":%.1f,\"mem_mean_mb\":%.1f,\"mem_samples\":%" PRIu32 "}",
                              c->id ? c->id : "", (double)res->exec_time / 1e6, (double)res->init_time / 1e6,
                              res->cold_start ? "true" : "false", res->mem_peak_mb, res->mem_mean_mb, res->mem_samples);
  size_t n = strlen(min), want = c->response_bytes < EMULATE_BODY_MAX ? c->response_bytes : EMULATE_BODY_MAX;
  static const char pad_key[] = ",\"pad\":\"\"}";
  size_t extra = sizeof pad_key - 1; /* replaces the closing brace, adds the pad key */
  if (want < n - 1 + extra) {
    *len = n;
    return min;
  }
  char *b = g_malloc(want + 1);
  memcpy(b, min, n - 1);
  size_t k = n - 1;
  memcpy(b + k, ",\"pad\":\"", 8);
  k += 8;
  size_t pad = want - (n - 1) - extra;
  memset(b + k, 'a', pad);
  k += pad;
  memcpy(b + k, "\"}", 3);
  k += 2;
  g_free(min);
  *len = k;
  return b;
}

void emu__reply(SoupServerMessage *msg, int status, const char *ctype, char *body, size_t len) {
  soup_server_message_set_status(msg, (guint)status, NULL);
  soup_server_message_set_response(msg, ctype, SOUP_MEMORY_TAKE, body, len);
}

void emu__reply_text(SoupServerMessage *msg, int status, const char *text) {
  char *b = g_strconcat(text, "\n", NULL);
  emu__reply(msg, status, "text/plain; charset=utf-8", b, strlen(b));
}
