/* Inside real/: the pieces of the Redis client (store_redis.c) that the
 * profile and the fuzz target use: the endpoint parser and the mapping of
 * one reply to an outcome. */
#ifndef CM_STORE_REDIS_H
#define CM_STORE_REDIS_H

#include <hiredis/hiredis.h>

#include "cm.h"

/* The commands the client sends, each answered by one reply. */
enum redis_step {
  RS_SET,      /* SET key value, SET tmp chunk: +OK */
  RS_APPEND,   /* APPEND tmp chunk: :new length */
  RS_RENAME,   /* RENAME tmp key: +OK */
  RS_GET,      /* GET key: $bulk, or nil for a missing key */
  RS_STRLEN,   /* STRLEN key: :length (0 also when missing) */
  RS_EXISTS,   /* EXISTS key: :1, or :0 when missing */
  RS_GETRANGE, /* GETRANGE key from to: $bulk */
  RS_DEL,      /* DEL key: :1, or :0 when missing */
  RS_AUTH,     /* AUTH password: +OK */
  RS_SELECT,   /* SELECT db: +OK */
  RS_SCAN,     /* SCAN cursor MATCH p COUNT n: *2 [$cursor, *keys of $bulk] */
};
#define RS_NSTEPS 11

/* The outcome of reply r (NULL counts as malformed) to step: 0; CM_ENOENT
 * for a missing key (GET nil, DEL or EXISTS 0); or CM_EIO with *reason
 * "server_error" (an error reply), "auth" (an error reply to AUTH, or
 * NOAUTH / WRONGPASS) or "malformed" (a reply of another type or shape).
 * *n is the integer of an integer reply, the length of a bulk reply, the
 * number of keys of a SCAN reply; 0 otherwise. Never trusts r's shape. */
int store_redis__reply(enum redis_step step, const redisReply *r, const char **reason, long long *n);

/* The most elements one array of a reply may announce: a SCAN answers
 * with about SCAN_COUNT (1000) keys; far more is a lying server. */
#define STORE_REDIS_MAX_ELEMENTS 65536
/* The most unparsed reply bytes a connection may hold: the largest reply
 * the client asks for is one CHUNK (1 MiB) of a GET or GETRANGE, and
 * hiredis reads 16 KiB at a time past it. */
#define STORE_REDIS_MAX_PENDING ((size_t)4 << 20)

/* Make reader rd refuse an array announcing more than
 * STORE_REDIS_MAX_ELEMENTS elements (or fewer than -1) before it allocates
 * room for them: the reader fails with REDIS_ERR_OOM instead, which the
 * client reports as "malformed". hiredis 0.14 has no such limit of its
 * own ("*333333330\r\n" would make it allocate 2.6 GB). */
void store_redis__guard_reader(redisReader *rd);

/* Parse redis://HOST:PORT[/DB] (HOST a name, an IPv4 address or [IPv6]).
 * NULL with *host (g_malloc'd), *port and *db set; else a static
 * description of what is wrong (nothing is set). */
const char *store_redis__parse(const char *url, char **host, int *port, int *db);

#endif
