/* libFuzzer target: the Redis client's reply handling. Byte 0 picks the
 * command (enum redis_step) the replies answer; the rest is fed, in two
 * pieces, to hiredis's reply reader (redisReader, as the async client
 * reads a connection), and each reply it parses is mapped to an outcome
 * by store_redis__reply: never a crash or a read out of bounds, the
 * status is 0, CM_ENOENT or CM_EIO with a known reason, and a success says
 * what the client relies on next (a bulk's length, a SCAN's two parts).
 * Build and run: make fuzz. */
#include <string.h>

#include <hiredis/hiredis.h>

#include "fuzz_common.h"
#include "store_redis.h"

static bool known(const char *r) {
  return r && (!strcmp(r, "malformed") || !strcmp(r, "server_error") || !strcmp(r, "auth"));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size < 1) return 0;
  enum redis_step step = (enum redis_step)(data[0] % RS_NSTEPS);
  redisReader *rd = redisReaderCreate();
  store_redis__guard_reader(rd); /* as the client's connections */
  size_t half = (size - 1) / 2;
  void *reply = NULL;
  int got = 0;
  for (int piece = 0; piece < 2 && rd; piece++) {
    const uint8_t *p = data + 1 + (piece ? half : 0);
    size_t n = piece ? size - 1 - half : half;
    if (n && redisReaderFeed(rd, (const char *)p, n) != REDIS_OK) break;
    while (got < 64 && redisReaderGetReply(rd, &reply) == REDIS_OK && reply) {
      const redisReply *r = reply;
      for (int s = 0; s < RS_NSTEPS; s++) { /* every mapping on every reply; the chosen step checked closely */
        const char *why = NULL;
        long long v = -1;
        int rc = store_redis__reply((enum redis_step)s, r, &why, &v);
        CHECK(rc == 0 || rc == CM_ENOENT || rc == CM_EIO);
        CHECK(rc != CM_EIO || known(why));
        CHECK(rc == 0 || v == 0);
        if (s != (int)step || rc != 0) continue;
        if (s == RS_GET || s == RS_GETRANGE) CHECK(r->type == REDIS_REPLY_STRING && (size_t)v == r->len);
        if (s == RS_STRLEN || s == RS_APPEND) CHECK(r->type == REDIS_REPLY_INTEGER && v >= 0);
        if (s == RS_SCAN) {
          CHECK(r->elements == 2 && r->element[0]->len >= 1 && (size_t)v == r->element[1]->elements);
          for (size_t i = 0; i < r->element[1]->elements; i++) fz_touch((const uint8_t *)r->element[1]->element[i]->str,
                                                                        r->element[1]->element[i]->len);
        }
      }
      freeReplyObject(reply);
      reply = NULL;
      got++;
    }
  }
  if (rd) redisReaderFree(rd);
  return 0;
}
