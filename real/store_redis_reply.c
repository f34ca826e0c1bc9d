/* The Redis client's pure pieces (store_redis.h): one reply mapped to an
 * outcome, never trusting its shape (the subject of
 * tests/fuzz/fuzz_store_redis_reply.c), and the endpoint parser the client
 * and the profile share. */
#include "store_redis.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

static bool digits(const char *s, size_t n) {
  if (n == 0 || n > 20) return false;
  for (size_t i = 0; i < n; i++)
    if (s[i] < '0' || s[i] > '9') return false;
  return true;
}

int store_redis__reply(enum redis_step step, const redisReply *r, const char **reason, long long *n) {
  *n = 0;
  *reason = "malformed";
  if (!r) return CM_EIO;
  if (r->type == REDIS_REPLY_ERROR) {
    bool auth = step == RS_AUTH || (r->str && (g_str_has_prefix(r->str, "NOAUTH") || g_str_has_prefix(r->str, "WRONGPASS")));
    *reason = auth ? "auth" : "server_error";
    return CM_EIO;
  }
  switch (step) {
  case RS_SET:
  case RS_RENAME:
  case RS_AUTH:
  case RS_SELECT:
    if (r->type == REDIS_REPLY_STATUS && r->len == 2 && r->str && !memcmp(r->str, "OK", 2)) return 0;
    break;
  case RS_GET:
    if (r->type == REDIS_REPLY_NIL) return CM_ENOENT;
    /* fall through */
  case RS_GETRANGE:
    if (r->type == REDIS_REPLY_STRING && (r->str || !r->len)) {
      *n = (long long)r->len;
      return 0;
    }
    break;
  case RS_DEL:
  case RS_EXISTS:
    if (r->type == REDIS_REPLY_INTEGER && (r->integer == 0 || r->integer == 1)) return r->integer ? 0 : CM_ENOENT;
    break;
  case RS_STRLEN:
  case RS_APPEND:
    if (r->type == REDIS_REPLY_INTEGER && r->integer >= 0) {
      *n = r->integer;
      return 0;
    }
    break;
  case RS_SCAN:
    if (r->type != REDIS_REPLY_ARRAY || r->elements != 2 || !r->element) break;
    const redisReply *cur = r->element[0], *keys = r->element[1];
    if (!cur || cur->type != REDIS_REPLY_STRING || !cur->str || !digits(cur->str, cur->len)) break;
    if (!keys || keys->type != REDIS_REPLY_ARRAY || (keys->elements && !keys->element)) break;
    for (size_t i = 0; i < keys->elements; i++)
      if (!keys->element[i] || keys->element[i]->type != REDIS_REPLY_STRING || !keys->element[i]->str) return CM_EIO;
    *n = (long long)keys->elements;
    return 0;
  }
  return CM_EIO;
}

/* hiredis's own reply functions (the reader's, saved once; the same
 * static table for every reader) and a copy whose createArray refuses
 * oversized arrays. */
static redisReplyObjectFunctions *plain;
static redisReplyObjectFunctions guarded;

static void *guarded_array(const redisReadTask *t, int elements) {
  if (elements < -1 || elements > STORE_REDIS_MAX_ELEMENTS) return NULL;
  return plain->createArray(t, elements);
}

void store_redis__guard_reader(redisReader *rd) {
  if (!rd || !rd->fn || rd->fn == &guarded) return;
  if (!plain) {
    plain = rd->fn;
    guarded = *plain;
    guarded.createArray = guarded_array;
  }
  if (rd->fn == plain) rd->fn = &guarded;
}

const char *store_redis__parse(const char *url, char **host, int *port, int *db) {
  if (!g_str_has_prefix(url, "redis://")) return "expected redis://HOST:PORT[/DB]";
  const char *h = url + 8, *end;
  if (*h == '[') {
    if (!(end = strchr(h, ']')) || end[1] != ':') return "expected redis://[IPv6]:PORT[/DB]";
  } else {
    end = h + strcspn(h, ":/");
    if (*end != ':') return "expected a :PORT after the host";
  }
  size_t hl = *h == '[' ? (size_t)(end - h - 1) : (size_t)(end - h);
  const char *hs = *h == '[' ? h + 1 : h, *p = *h == '[' ? end + 2 : end + 1;
  if (hl == 0) return "expected a host after redis://";
  for (size_t i = 0; i < hl; i++)
    if ((unsigned char)hs[i] <= 0x20 || hs[i] == 0x7f || hs[i] == '@' || hs[i] == '/')
      return "expected a host without spaces, control characters, user or password";
  size_t pl = strspn(p, "0123456789");
  long pt = pl && pl <= 5 ? strtol(p, NULL, 10) : 0;
  if (pt < 1 || pt > 65535) return "expected a port from 1 to 65535";
  const char *d = p + pl;
  long dbn = 0;
  if (*d == '/') {
    size_t dl = strspn(d + 1, "0123456789");
    if (dl == 0 || dl > 5 || d[1 + dl]) return "expected a database number after the /";
    dbn = strtol(d + 1, NULL, 10);
  } else if (*d) {
    return "expected nothing but /DB after the port";
  }
  *host = g_strndup(hs, hl);
  *port = (int)pt;
  *db = (int)dbn;
  return NULL;
}
