/* The Redis store client (store.h): hiredis's asynchronous API on the env's
 * GLib context, through a GSource of our own watching the connection's fd
 * (hiredis's adapters/glib.h does the same, without the env's per-dispatch
 * clock). One connection per client, opened by the first request and again
 * by the first request after it dropped; AUTH and SELECT are queued ahead
 * of every other command. Requests in flight when it drops fail "refused"
 * (it never connected), "closed", "truncated" (it dropped inside a reply)
 * or "malformed" (the reply broke the protocol).
 *
 * Memory. An object of up to CHUNK bytes goes as one SET (hiredis formats
 * it into its output buffer: the value once more). A larger one is written
 * as SET of a temporary key with the first CHUNK bytes, APPEND of the rest
 * CHUNK at a time (one command in flight), then RENAME onto the key (an
 * atomic replace; a failure or abort deletes the temporary key): at most
 * about two chunks are held besides the caller's bytes, and a virtual
 * object (value NULL) is a filler whose byte at offset o is o mod 256,
 * taken from one CHUNK-sized buffer per client. A get reads STRLEN first
 * (EXISTS tells an empty object from a missing one). An object of up to
 * CHUNK bytes is then one GET (atomic; hiredis's reader holds its bytes and
 * then the reply, about twice a chunk at most). A larger one is read with
 * GETRANGE CHUNK at a time: a length_only get keeps no bytes (about one
 * chunk in hiredis's reader), a full get copies each chunk into one buffer
 * of the object's length, allocated once, so a 64 MB object is held once
 * (plus a chunk). These chunked reads are not atomic: an overwrite
 * meanwhile that changes the length fails the get ("changed").
 *
 * Deadlines are the dispatcher's (env_real_store.c aborts the request):
 * hiredis has no per-command timeout, and Redis answers a connection's
 * commands in order, so an aborted request's command stays on the
 * connection and its reply is dropped when it comes. */
#include "store_redis.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <glib.h>
#include <hiredis/async.h>
#include <sodium.h>

#include "env_real.h"
#include "env_real_http.h"
#include "store.h"

#define CHUNK ((size_t)1 << 20) /* bytes per SET/APPEND/GETRANGE of a large object; a multiple of 256 */
#define SCAN_COUNT "1000"
#define TMP_MARK ".cloudmix-tmp-" /* temporary keys of large puts: key TMP_MARK hex; ls leaves them out */

struct conn;

struct rcli {
  struct store_client base;
  char *name, *host, *password; /* password: secret, zeroed at free */
  int port, db;
  struct conn *cn;     /* the connection, NULL until the next request opens one */
  uint8_t *filler;     /* CHUNK bytes of the virtual objects' pattern, made on first use */
  GHashTable *live;    /* struct rreq* not yet freed */
  uint64_t ntmp;       /* temporary keys made */
  bool freeing;
};

struct conn {
  struct rcli *c;
  redisAsyncContext *ac;
  GSource *src;
  gpointer tag;
  GIOCondition events;
  const char *why; /* set when AUTH or SELECT failed, or a reply was oversized: the reason of every request on it */
};

struct rsrc {
  GSource base;
  struct conn *cn; /* NULL once hiredis cleaned the connection up */
};

struct rreq {
  struct rcli *c;
  enum store_op op;
  bool list, length_only, finished;
  int refs;              /* replies still due from hiredis for this request */
  enum redis_step step;  /* of the command in flight */
  char *key, *tmp;       /* tmp: the temporary key of a large put, once its SET was sent */
  size_t keylen, tmplen;
  const uint8_t *value;  /* put: borrowed; NULL: the filler */
  size_t len, off;       /* put: object length, bytes sent; get: length, bytes read */
  store_done_fn done;
  store_list_done_fn list_done;
  void *arg;
  GPtrArray *keys;       /* list: char*, owned */
  uint8_t *buf;          /* a full get of a large object: its bytes, allocated once */
};

/* ---- requests ---- */

static void release(struct rreq *q) {
  if (!q->finished || q->refs > 0) return;
  g_hash_table_remove(q->c->live, q);
  g_free(q->key);
  g_free(q->tmp);
  g_free(q->buf);
  if (q->keys) g_ptr_array_free(q->keys, TRUE);
  g_free(q);
}

static void finish(struct rreq *q, int status, const char *why, const uint8_t *value, size_t len) {
  q->finished = true;
  if (q->list) {
    q->list_done(q->arg, status, status ? why : NULL, status ? NULL : (const char *const *)q->keys->pdata,
                 status ? 0 : q->keys->len);
    return;
  }
  q->done(q->arg, status, status ? why : NULL, value, len);
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv);

/* Send argv on ac for q's step; false when the connection is going away. */
static bool send_cmd(struct rreq *q, redisAsyncContext *ac, enum redis_step step, int argc, const char **argv,
                     const size_t *lens) {
  if (redisAsyncCommandArgv(ac, on_reply, q, argc, argv, lens) != REDIS_OK) return false;
  q->step = step;
  q->refs++;
  return true;
}

/* Why a connection's requests got no reply. */
static const char *conn_reason(redisAsyncContext *ac) {
  struct conn *cn = ac->data;
  if (cn && cn->why) return cn->why;
  if (!(ac->c.flags & REDIS_CONNECTED)) return "refused";
  if (ac->err == REDIS_ERR_PROTOCOL || ac->err == REDIS_ERR_OOM) return "malformed"; /* OOM: an array refused by the guard */
  const redisReader *rd = ac->c.reader;
  if (ac->err == REDIS_ERR_EOF && rd && (rd->ridx >= 0 || rd->len > rd->pos)) return "truncated";
  return "closed";
}

/* The bytes of a put at q->off (CHUNK at most). */
static const char *put_bytes(struct rreq *q) {
  if (q->value) return (const char *)q->value + q->off;
  struct rcli *c = q->c;
  if (!c->filler) {
    c->filler = g_malloc(CHUNK);
    for (size_t i = 0; i < CHUNK; i++) c->filler[i] = (uint8_t)i; /* byte o of an object: o mod 256 */
  }
  return (const char *)c->filler;
}

/* Next command of a large put: APPEND of the next chunk, or the RENAME. */
static bool put_next(struct rreq *q, redisAsyncContext *ac) {
  if (q->off < q->len) {
    size_t n = q->len - q->off < CHUNK ? q->len - q->off : CHUNK;
    const char *argv[] = {"APPEND", q->tmp, put_bytes(q)};
    size_t lens[] = {6, q->tmplen, n};
    return send_cmd(q, ac, RS_APPEND, 3, argv, lens);
  }
  const char *argv[] = {"RENAME", q->tmp, q->key};
  size_t lens[] = {6, q->tmplen, q->keylen};
  return send_cmd(q, ac, RS_RENAME, 3, argv, lens);
}

static bool getrange_next(struct rreq *q, redisAsyncContext *ac) {
  char from[24], to[24];
  size_t n = q->len - q->off < CHUNK ? q->len - q->off : CHUNK;
  snprintf(from, sizeof from, "%zu", q->off);
  snprintf(to, sizeof to, "%zu", q->off + n - 1);
  const char *argv[] = {"GETRANGE", q->key, from, to};
  size_t lens[] = {8, q->keylen, strlen(from), strlen(to)};
  return send_cmd(q, ac, RS_GETRANGE, 4, argv, lens);
}

static bool scan_next(struct rreq *q, redisAsyncContext *ac, const char *cursor, size_t curlen) {
  const char *argv[] = {"SCAN", cursor, "MATCH", q->tmp, "COUNT", SCAN_COUNT};
  size_t lens[] = {4, curlen, 5, q->tmplen, 5, strlen(SCAN_COUNT)};
  return send_cmd(q, ac, RS_SCAN, 6, argv, lens);
}

/* Drop a large put's temporary key (no answer awaited). */
static void drop_tmp(struct rreq *q, redisAsyncContext *ac) {
  if (!q->tmp || q->list || !ac || (ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING))) return;
  const char *argv[] = {"DEL", q->tmp};
  size_t lens[] = {3, q->tmplen};
  redisAsyncCommandArgv(ac, NULL, NULL, 2, argv, lens);
}

/* One reply to q's command in flight: the next command, or q's end. */
static void advance(struct rreq *q, redisAsyncContext *ac, const redisReply *r) {
  long long n;
  const char *why;
  int rc = store_redis__reply(q->step, r, &why, &n);
  bool sent = true;
  if (rc == CM_ENOENT && (q->step == RS_GET || q->step == RS_DEL || q->step == RS_EXISTS)) {
    finish(q, CM_ENOENT, "not_found", NULL, 0);
    return;
  }
  if (rc) {
    drop_tmp(q, ac);
    finish(q, rc, why, NULL, 0);
    return;
  }
  switch (q->step) {
  case RS_SET:
    if (!q->tmp) { finish(q, 0, NULL, NULL, q->len); return; }
    q->off = CHUNK;
    sent = put_next(q, ac);
    break;
  case RS_APPEND: {
    size_t want = q->off + (q->len - q->off < CHUNK ? q->len - q->off : CHUNK);
    if ((unsigned long long)n != want) {
      drop_tmp(q, ac);
      { finish(q, CM_EIO, "malformed", NULL, 0); return; }
    }
    q->off = want;
    sent = put_next(q, ac);
    break;
  }
  case RS_RENAME: { finish(q, 0, NULL, NULL, q->len); return; }
  case RS_GET: { finish(q, 0, NULL, (const uint8_t *)r->str, r->len); return; }
  case RS_STRLEN: {
    q->len = (size_t)n;
    q->off = 0;
    if (n > 0 && !q->length_only && q->len <= CHUNK) { /* small: one atomic GET */
      const char *argv[] = {"GET", q->key};
      size_t lens[] = {3, q->keylen};
      sent = send_cmd(q, ac, RS_GET, 2, argv, lens);
    } else if (n == 0) {
      const char *argv[] = {"EXISTS", q->key};
      size_t lens[] = {6, q->keylen};
      sent = send_cmd(q, ac, RS_EXISTS, 2, argv, lens);
    } else {
      sent = getrange_next(q, ac);
    }
    break;
  }
  case RS_EXISTS: { finish(q, 0, NULL, NULL, 0); return; }
  case RS_GETRANGE: {
    size_t want = q->len - q->off < CHUNK ? q->len - q->off : CHUNK;
    if ((size_t)n != want) { finish(q, CM_EIO, "changed", NULL, 0); return; } /* overwritten meanwhile */
    if (!q->length_only) {
      if (!q->buf) q->buf = g_try_malloc(q->len);
      if (!q->buf) { finish(q, CM_ENOMEM, "no_memory", NULL, 0); return; }
      memcpy(q->buf + q->off, r->str, want);
    }
    q->off += want;
    if (q->off == q->len) { finish(q, 0, NULL, q->buf, q->len); return; }
    sent = getrange_next(q, ac);
    break;
  }
  case RS_DEL: { finish(q, 0, NULL, NULL, 0); return; }
  case RS_SCAN: {
    const redisReply *keys = r->element[1];
    for (size_t i = 0; i < keys->elements; i++) {
      const redisReply *k = keys->element[i];
      if (memchr(k->str, '\0', k->len) || g_strstr_len(k->str, (gssize)k->len, TMP_MARK)) continue;
      g_ptr_array_add(q->keys, g_strndup(k->str, k->len));
    }
    const redisReply *cur = r->element[0];
    if (cur->len == 1 && cur->str[0] == '0') { finish(q, 0, NULL, NULL, 0); return; }
    sent = scan_next(q, ac, cur->str, cur->len);
    break;
  }
  default: { finish(q, CM_EIO, "malformed", NULL, 0); return; }
  }
  if (!sent) {
    drop_tmp(q, ac);
    finish(q, CM_EIO, conn_reason(ac), NULL, 0);
  }
}

static void on_reply(redisAsyncContext *ac, void *reply, void *priv) {
  struct rreq *q = priv;
  q->refs--;
  if (!q->finished) {
    if (reply) advance(q, ac, reply);
    else finish(q, CM_EIO, conn_reason(ac), NULL, 0);
  }
  release(q);
}

/* ---- the connection on the env's loop ---- */

static gboolean src_dispatch(GSource *s, GSourceFunc cb CM_UNUSED, gpointer data CM_UNUSED) {
  struct rsrc *rs = (struct rsrc *)s;
  if (!rs->cn) return G_SOURCE_REMOVE;
  env *e = rs->cn->c->base.e;
  redisAsyncContext *ac = rs->cn->ac;
  GIOCondition rev = g_source_query_unix_fd(s, rs->cn->tag);
  env_real__dispatch_begin(e);
  if (rev & (G_IO_OUT | G_IO_ERR)) redisAsyncHandleWrite(ac);
  if (rs->cn && (rev & (G_IO_IN | G_IO_HUP | G_IO_ERR))) redisAsyncHandleRead(ac); /* rs->cn NULL: ac is gone */
  if (rs->cn && ac->c.reader && ac->c.reader->len - ac->c.reader->pos > STORE_REDIS_MAX_PENDING) {
    rs->cn->why = "malformed"; /* a reply far longer than any the client asked for: drop the connection */
    redisAsyncFree(ac);
  }
  env_real__dispatch_end(e);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs src_funcs = {.dispatch = src_dispatch};

static void ev_set(struct conn *cn, GIOCondition add, GIOCondition del) {
  cn->events = (cn->events | add) & ~del;
  g_source_modify_unix_fd(cn->src, cn->tag, cn->events);
}
static void ev_add_read(void *d) { ev_set(d, G_IO_IN, 0); }
static void ev_del_read(void *d) { ev_set(d, 0, G_IO_IN); }
static void ev_add_write(void *d) { ev_set(d, G_IO_OUT, 0); }
static void ev_del_write(void *d) { ev_set(d, 0, G_IO_OUT); }

/* hiredis frees the context after this (every reply callback has run). */
static void ev_cleanup(void *d) {
  struct conn *cn = d;
  ((struct rsrc *)cn->src)->cn = NULL;
  g_source_destroy(cn->src);
  g_source_unref(cn->src);
  cn->ac->data = NULL;
  memset(&cn->ac->ev, 0, sizeof cn->ac->ev);
  if (cn->c->cn == cn) cn->c->cn = NULL;
  g_free(cn);
}

/* AUTH and SELECT: a failure fails the connection and all on it. */
static void on_setup(redisAsyncContext *ac, void *reply, void *priv) {
  struct conn *cn = ac->data;
  long long n;
  const char *why;
  if (!reply || !cn) return;
  if (store_redis__reply((enum redis_step)(intptr_t)priv, reply, &why, &n) != 0) {
    cn->why = (intptr_t)priv == RS_AUTH ? "auth" : "select";
    redisAsyncFree(ac); /* inside a callback: hiredis frees it when this returns */
  }
}

/* The live connection, opening one if needed; NULL with *why. */
static redisAsyncContext *conn_get(struct rcli *c, const char **why) {
  if (c->cn && !(c->cn->ac->c.flags & (REDIS_DISCONNECTING | REDIS_FREEING)) && !c->cn->ac->err) return c->cn->ac;
  redisAsyncContext *ac = redisAsyncConnect(c->host, c->port);
  if (!ac || ac->err) {
    *why = !ac ? "nomem" : ac->errstr && strstr(ac->errstr, "refused") ? "refused" : "connect";
    if (ac) redisAsyncFree(ac);
    return NULL;
  }
  store_redis__guard_reader(ac->c.reader);
  struct conn *cn = g_new0(struct conn, 1);
  cn->c = c;
  cn->ac = ac;
  cn->src = g_source_new(&src_funcs, sizeof(struct rsrc));
  ((struct rsrc *)cn->src)->cn = cn;
  cn->tag = g_source_add_unix_fd(cn->src, ac->c.fd, 0);
  g_source_set_can_recurse(cn->src, TRUE); /* as env_real.c's sources */
  g_source_attach(cn->src, env_real__context(c->base.e));
  ac->data = cn;
  ac->ev.data = cn;
  ac->ev.addRead = ev_add_read;
  ac->ev.delRead = ev_del_read;
  ac->ev.addWrite = ev_add_write;
  ac->ev.delWrite = ev_del_write;
  ac->ev.cleanup = ev_cleanup;
  c->cn = cn;
  if (c->password) {
    const char *argv[] = {"AUTH", c->password};
    size_t lens[] = {4, strlen(c->password)};
    redisAsyncCommandArgv(ac, on_setup, (void *)(intptr_t)RS_AUTH, 2, argv, lens);
  }
  if (c->db) {
    char db[16];
    snprintf(db, sizeof db, "%d", c->db);
    const char *argv[] = {"SELECT", db};
    size_t lens[] = {6, strlen(db)};
    redisAsyncCommandArgv(ac, on_setup, (void *)(intptr_t)RS_SELECT, 2, argv, lens);
  }
  return ac;
}

/* ---- the client ops ---- */

static struct rreq *req_new(struct rcli *c, void *arg) {
  struct rreq *q = g_new0(struct rreq, 1);
  q->c = c;
  q->arg = arg;
  g_hash_table_add(c->live, q);
  return q;
}

static void *r_start(struct store_client *sc, const struct store_op_req *req, store_done_fn done, void *arg,
                     const char **reason) {
  struct rcli *c = (struct rcli *)sc;
  redisAsyncContext *ac = conn_get(c, reason);
  if (!ac) return NULL;
  struct rreq *q = req_new(c, arg);
  q->op = req->op;
  q->done = done;
  q->keylen = strlen(req->key);
  q->key = g_strndup(req->key, q->keylen);
  q->value = req->value;
  q->len = req->op == STORE_PUT ? req->len : 0;
  q->length_only = req->length_only;
  bool sent = false;
  if (req->op == STORE_PUT && q->len <= CHUNK) {
    const char *argv[] = {"SET", q->key, q->len ? put_bytes(q) : ""};
    size_t lens[] = {3, q->keylen, q->len};
    sent = send_cmd(q, ac, RS_SET, 3, argv, lens);
  } else if (req->op == STORE_PUT) {
    q->tmp = g_strdup_printf("%s" TMP_MARK "%08x%08llx", q->key, (unsigned)getpid(), (unsigned long long)++c->ntmp);
    q->tmplen = strlen(q->tmp);
    const char *argv[] = {"SET", q->tmp, put_bytes(q)};
    size_t lens[] = {3, q->tmplen, CHUNK};
    sent = send_cmd(q, ac, RS_SET, 3, argv, lens);
  } else if (req->op == STORE_GET) {
    const char *argv[] = {"STRLEN", q->key};
    size_t lens[] = {6, q->keylen};
    sent = send_cmd(q, ac, RS_STRLEN, 2, argv, lens);
  } else {
    const char *argv[] = {"DEL", q->key};
    size_t lens[] = {3, q->keylen};
    sent = send_cmd(q, ac, RS_DEL, 2, argv, lens);
  }
  if (sent) return q;
  *reason = conn_reason(ac);
  q->finished = true;
  release(q);
  return NULL;
}

static void *r_list(struct store_client *sc, const char *prefix, store_list_done_fn done, void *arg,
                    const char **reason) {
  struct rcli *c = (struct rcli *)sc;
  redisAsyncContext *ac = conn_get(c, reason);
  if (!ac) return NULL;
  struct rreq *q = req_new(c, arg);
  q->list = true;
  q->list_done = done;
  q->keys = g_ptr_array_new_with_free_func(g_free);
  GString *pat = g_string_new(NULL); /* prefix with the glob characters escaped, then * */
  for (const char *p = prefix ? prefix : ""; *p; p++) {
    if (strchr("*?[]\\", *p)) g_string_append_c(pat, '\\');
    g_string_append_c(pat, *p);
  }
  g_string_append_c(pat, '*');
  q->tmplen = pat->len;
  q->tmp = g_string_free(pat, FALSE);
  if (scan_next(q, ac, "0", 1)) return q;
  *reason = conn_reason(ac);
  q->finished = true;
  release(q);
  return NULL;
}

static void r_abort(struct store_client *sc CM_UNUSED, void *h) {
  struct rreq *q = h;
  if (q->finished) cm_fatal(CM_LOC, "store_redis: abort of a finished request");
  q->finished = true; /* its replies are swallowed */
  if (q->tmp && !q->list && q->c->cn) drop_tmp(q, q->c->cn->ac);
  release(q);
}

static void r_free(struct store_client *sc) {
  struct rcli *c = (struct rcli *)sc;
  c->freeing = true;
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, c->live);
  while (g_hash_table_iter_next(&it, &k, NULL)) ((struct rreq *)k)->finished = true; /* no callbacks */
  if (c->cn) redisAsyncFree(c->cn->ac); /* replies due come back NULL: their requests are released */
  if (g_hash_table_size(c->live)) cm_fatal(CM_LOC, "store_redis: requests left after the connection was freed");
  g_hash_table_destroy(c->live);
  if (c->password) sodium_memzero(c->password, strlen(c->password));
  g_free(c->password);
  g_free(c->host);
  g_free(c->name);
  g_free(c->filler);
  g_free(c);
}

static const struct store_client_ops redis_ops = {
    .kind = "redis", .start = r_start, .abort = r_abort, .free = r_free, .list = r_list};

struct store_client *store_redis_new(env *e, const struct store_endpoint *ep, char **err) {
  char *host = NULL;
  int port = 0, db = 0;
  const char *bad = env_real_is(e) ? store_redis__parse(ep->endpoint ? ep->endpoint : "", &host, &port, &db)
                                   : "needs a real env";
  if (bad) {
    if (err) *err = g_strdup_printf("store %s: endpoint: %s", ep->name ? ep->name : "?", bad);
    return NULL;
  }
  struct rcli *c = g_new0(struct rcli, 1);
  c->base = (struct store_client){.ops = &redis_ops, .e = e};
  c->name = g_strdup(ep->name ? ep->name : "");
  c->host = host;
  c->port = port;
  c->db = db;
  c->password = ep->password && *ep->password ? g_strdup(ep->password) : NULL;
  c->live = g_hash_table_new(g_direct_hash, g_direct_equal);
  return &c->base;
}
