/* The real backend: env ops answered in wall-clock time from a private GLib
 * main context. Timers sit in an eventq keyed by due time behind one custom
 * GSource whose ready time is the earliest due timer (or env_run's deadline);
 * each bound address owns a non-blocking UDP socket watched by a unix-fd
 * source. Every dispatch caches "now" once (libuv-style loop time). */
#include "env_real.h"

#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "env_impl.h"
#include "eventq.h"

#define RECV_BATCH 256   /* datagrams drained per socket dispatch */
#define TIMER_BATCH 4096 /* timers run per dispatch (no starvation) */
#define KEY_LEN 20       /* family, port, 16 address bytes */

struct peer {
  env *e;
  cm_addr addr;
  struct sockaddr_storage sa;
  socklen_t salen;
  uint8_t key[KEY_LEN];
  int fd;              /* -1 until the first bind */
  GSource *src;        /* watches fd */
  env_datagram_fn fn;  /* NULL: unbound */
  void *arg;
};

struct timer_source {
  GSource base;
  env *e;
};

struct real {
  GMainContext *ctx;
  GSource *tsrc;      /* struct timer_source */
  eventq *timers;
  GHashTable *peers;  /* cm_addr -> struct peer*, owned */
  GHashTable *by_key; /* peer->key -> struct peer*, borrowed */
  gint64 start_us;    /* monotonic time at creation */
  cm_time cached;     /* now, while dispatching */
  int dispatching;
  bool running, stopped;
  cm_time deadline;   /* of the current env_run, CM_TIME_MAX otherwise */
  uint8_t *buf;       /* CM_DATAGRAM_MAX + 1 */
  struct env_net_stats st;
};

static struct real *R(env *e) { return e->impl; }

static cm_time live_now(struct real *r) { return CM_US(g_get_monotonic_time() - r->start_us); }

static cm_time real_now(env *e) {
  struct real *r = R(e);
  return r->dispatching ? r->cached : live_now(r);
}

static void dispatch_begin(struct real *r) {
  r->cached = live_now(r);
  r->dispatching++;
}

static void dispatch_end(struct real *r) { r->dispatching--; }

/* ---- timers ---- */

/* Point the timer source's ready time at min(earliest timer, deadline),
 * rounded up to the microsecond so nothing fires early. */
static void update_ready(struct real *r) {
  cm_time t = eventq_peek_time(r->timers);
  if (r->deadline < t) t = r->deadline;
  gint64 ready = -1;
  if (t != CM_TIME_MAX) ready = r->start_us + t / 1000 + (t % 1000 ? 1 : 0);
  if (g_source_get_ready_time(r->tsrc) != ready) g_source_set_ready_time(r->tsrc, ready);
}

static gboolean timer_dispatch(GSource *s, GSourceFunc cb, gpointer data) {
  (void)cb;
  (void)data;
  env *e = ((struct timer_source *)s)->e;
  struct real *r = R(e);
  dispatch_begin(r);
  struct eventq_item it;
  for (int n = 0; n < TIMER_BATCH && !r->stopped; n++) {
    if (eventq_peek_time(r->timers) > r->cached || !eventq_pop(r->timers, &it)) break;
    ((env_fn)it.fn)(e, it.arg);
  }
  dispatch_end(r);
  update_ready(r);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {.dispatch = timer_dispatch};

static timer_id real_after(env *e, cm_time delay, env_fn fn, void *arg) {
  struct real *r = R(e);
  cm_time now = real_now(e);
  cm_time due = delay > CM_TIME_MAX - now ? CM_TIME_MAX - 1 : now + delay;
  uint64_t id = eventq_push(r->timers, due, (eventq_fn)fn, arg);
  if (!id) cm_fatal(CM_LOC, "env_after: out of memory");
  update_ready(r);
  return id;
}

static bool real_cancel(env *e, timer_id t) {
  struct real *r = R(e);
  if (!eventq_cancel(r->timers, t, NULL)) return false;
  update_ready(r);
  return true;
}

/* ---- address book ---- */

static guint key_hash(gconstpointer k) {
  const uint8_t *p = k;
  guint h = 2166136261u;
  for (int i = 0; i < KEY_LEN; i++) h = (h ^ p[i]) * 16777619u;
  return h;
}

static gboolean key_equal(gconstpointer a, gconstpointer b) { return memcmp(a, b, KEY_LEN) == 0; }

/* The lookup key of a sockaddr; false for families other than IPv4/IPv6. */
static bool sa_key(const struct sockaddr_storage *sa, uint8_t key[KEY_LEN]) {
  memset(key, 0, KEY_LEN);
  if (sa->ss_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    key[0] = 4;
    memcpy(key + 2, &in->sin_port, 2);
    memcpy(key + 4, &in->sin_addr, 4);
    return true;
  }
  if (sa->ss_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    key[0] = 6;
    memcpy(key + 2, &in6->sin6_port, 2);
    memcpy(key + 4, &in6->sin6_addr, 16);
    return true;
  }
  return false;
}

static uint16_t sa_port(const struct sockaddr_storage *sa) {
  if (sa->ss_family == AF_INET) return ntohs(((const struct sockaddr_in *)sa)->sin_port);
  return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
}

static void peer_unkey(struct real *r, struct peer *p) {
  if (g_hash_table_lookup(r->by_key, p->key) == p) g_hash_table_remove(r->by_key, p->key);
}

/* Index p by its host:port (only once the port is known). */
static void peer_rekey(struct real *r, struct peer *p) {
  peer_unkey(r, p);
  sa_key(&p->sa, p->key);
  if (sa_port(&p->sa) != 0) g_hash_table_replace(r->by_key, p->key, p);
}

static void peer_free(gpointer data) {
  struct peer *p = data;
  if (p->src) {
    g_source_destroy(p->src);
    g_source_unref(p->src);
  }
  if (p->fd >= 0) close(p->fd);
  free(p);
}

int env_real_add_peer(env *e, cm_addr a, const char *host, uint16_t port) {
  if (!env_real_is(e) || a == 0 || !host || !*host) return CM_EINVAL;
  struct real *r = R(e);
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM, .ai_flags = AI_NUMERICSERV};
  struct addrinfo *res = NULL;
  char serv[8];
  snprintf(serv, sizeof serv, "%u", (unsigned)port);
  if (getaddrinfo(host, serv, &hints, &res) != 0 || !res) return CM_EINVAL;
  struct sockaddr_storage sa;
  socklen_t salen = res->ai_addrlen;
  bool ok = (res->ai_family == AF_INET || res->ai_family == AF_INET6) && salen <= sizeof sa;
  if (ok) {
    memset(&sa, 0, sizeof sa);
    memcpy(&sa, res->ai_addr, salen);
  }
  freeaddrinfo(res);
  if (!ok) return CM_EINVAL;

  struct peer *p = g_hash_table_lookup(r->peers, GUINT_TO_POINTER(a));
  if (p && p->fd >= 0) return CM_EEXIST;
  uint8_t key[KEY_LEN];
  sa_key(&sa, key);
  struct peer *other = g_hash_table_lookup(r->by_key, key);
  if (port != 0 && other && other != p) return CM_EEXIST;
  if (!p) {
    p = calloc(1, sizeof(*p));
    if (!p) return CM_ENOMEM;
    p->e = e;
    p->addr = a;
    p->fd = -1;
    g_hash_table_insert(r->peers, GUINT_TO_POINTER(a), p);
  }
  p->sa = sa;
  p->salen = salen;
  peer_rekey(r, p);
  return 0;
}

int env_real_port(env *e, cm_addr a) {
  if (!env_real_is(e)) return CM_EINVAL;
  struct peer *p = g_hash_table_lookup(R(e)->peers, GUINT_TO_POINTER(a));
  if (!p || p->fd < 0) return CM_ENOENT;
  return sa_port(&p->sa);
}

/* ---- datagrams ---- */

static gboolean on_readable(gint fd, GIOCondition cond, gpointer data) {
  (void)cond;
  struct peer *p = data;
  env *e = p->e;
  struct real *r = R(e);
  if (r->stopped) return G_SOURCE_CONTINUE;
  dispatch_begin(r);
  for (int n = 0; n < RECV_BATCH && !r->stopped; n++) {
    struct sockaddr_storage src;
    socklen_t srclen = sizeof src;
    ssize_t len = recvfrom(fd, r->buf, CM_DATAGRAM_MAX + 1, MSG_TRUNC | MSG_DONTWAIT, (struct sockaddr *)&src, &srclen);
    if (len < 0) {
      if (errno == EINTR) continue;
      break; /* EAGAIN: drained; anything else: retry at the next readiness */
    }
    uint8_t key[KEY_LEN];
    struct peer *from = sa_key(&src, key) ? g_hash_table_lookup(r->by_key, key) : NULL;
    if (!from) {
      r->st.dropped_unknown++;
    } else if ((size_t)len > CM_DATAGRAM_MAX) {
      r->st.dropped_oversize++;
    } else if (!p->fn) {
      r->st.dropped_unbound++;
    } else {
      r->st.delivered++;
      p->fn(e, p->arg, from->addr, p->addr, r->buf, (size_t)len);
    }
  }
  dispatch_end(r);
  return G_SOURCE_CONTINUE;
}

/* Open p's socket on its book address and start watching it. */
static int peer_open(struct real *r, struct peer *p) {
  int fd = socket(p->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return CM_EIO;
  if (p->sa.ss_family == AF_INET6) {
    int one = 1;
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  }
  struct sockaddr_storage sa;
  socklen_t salen = sizeof sa;
  if (bind(fd, (struct sockaddr *)&p->sa, p->salen) != 0) {
    int err = errno;
    close(fd);
    return err == EADDRINUSE ? CM_EEXIST : CM_EIO;
  }
  if (getsockname(fd, (struct sockaddr *)&sa, &salen) != 0 || sa.ss_family != p->sa.ss_family) {
    close(fd);
    return CM_EIO;
  }
  if (sa.ss_family == AF_INET)
    ((struct sockaddr_in *)&p->sa)->sin_port = ((struct sockaddr_in *)&sa)->sin_port;
  else
    ((struct sockaddr_in6 *)&p->sa)->sin6_port = ((struct sockaddr_in6 *)&sa)->sin6_port;
  peer_rekey(r, p);
  p->fd = fd;
  p->src = g_unix_fd_source_new(fd, G_IO_IN);
  g_source_set_callback(p->src, G_SOURCE_FUNC(on_readable), p, NULL);
  g_source_attach(p->src, r->ctx);
  return 0;
}

static int real_bind(env *e, cm_addr self, env_datagram_fn fn, void *arg) {
  struct real *r = R(e);
  struct peer *p = g_hash_table_lookup(r->peers, GUINT_TO_POINTER(self));
  if (!p) return CM_ENOENT;
  if (p->fn) return CM_EEXIST;
  if (p->fd < 0) {
    int rc = peer_open(r, p);
    if (rc) return rc;
  }
  p->fn = fn;
  p->arg = arg;
  return 0;
}

static int real_unbind(env *e, cm_addr self) {
  struct peer *p = g_hash_table_lookup(R(e)->peers, GUINT_TO_POINTER(self));
  if (!p || !p->fn) return CM_ENOENT;
  p->fn = NULL;
  p->arg = NULL;
  return 0;
}

static int real_send(env *e, cm_addr from, cm_addr to, const uint8_t *pkt, size_t len) {
  struct real *r = R(e);
  struct peer *f = g_hash_table_lookup(r->peers, GUINT_TO_POINTER(from));
  struct peer *t = g_hash_table_lookup(r->peers, GUINT_TO_POINTER(to));
  if (!f || !f->fn) return CM_ENOENT;
  if (!t || sa_port(&t->sa) == 0) return CM_ENOENT;
  if (len > CM_DATAGRAM_MAX) return CM_EINVAL;
  r->st.sent++;
  ssize_t n;
  do {
    n = sendto(f->fd, pkt ? (const void *)pkt : (const void *)"", len, MSG_DONTWAIT | MSG_NOSIGNAL,
               (const struct sockaddr *)&t->sa, t->salen);
  } while (n < 0 && errno == EINTR);
  if (n < 0 || (size_t)n != len) r->st.send_errors++;
  return 0;
}

static void real_net_stats(env *e, struct env_net_stats *out) {
  *out = R(e)->st;
  out->in_flight = 0;
}

/* ---- the loop ---- */

static int real_run(env *e, cm_time until) {
  struct real *r = R(e);
  if (r->running) return CM_EINVAL;
  r->running = true;
  r->deadline = until;
  update_ready(r);
  while (!r->stopped && live_now(r) < until) g_main_context_iteration(r->ctx, TRUE);
  r->deadline = CM_TIME_MAX;
  update_ready(r);
  r->stopped = false;
  r->running = false;
  return 0;
}

static void real_stop(env *e) {
  struct real *r = R(e);
  r->stopped = true;
  g_main_context_wakeup(r->ctx);
}

static void real_free_impl(env *e) {
  struct real *r = R(e);
  if (!r) return;
  if (r->by_key) g_hash_table_destroy(r->by_key);
  if (r->peers) g_hash_table_destroy(r->peers);
  if (r->tsrc) {
    g_source_destroy(r->tsrc);
    g_source_unref(r->tsrc);
  }
  eventq_free(r->timers);
  if (r->ctx) g_main_context_unref(r->ctx);
  free(r->buf);
  free(r);
  e->impl = NULL;
}

static const struct env_ops real_ops = {
    .name = "real",
    .now = real_now,
    .after = real_after,
    .cancel = real_cancel,
    .bind = real_bind,
    .unbind = real_unbind,
    .send = real_send,
    .net_stats = real_net_stats,
    .invoke = NULL,
    .put = NULL,
    .get = NULL,
    .run = real_run,
    .stop = real_stop,
    .free_impl = real_free_impl,
};

bool env_real_is(env *e) { return e && e->ops == &real_ops; }

env *env_real_new(uint64_t seed) {
  struct real *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->deadline = CM_TIME_MAX;
  r->timers = eventq_new();
  r->buf = malloc(CM_DATAGRAM_MAX + 1);
  env *e = r->timers && r->buf ? env__new(&real_ops, r, seed) : NULL;
  if (!e) {
    eventq_free(r->timers);
    free(r->buf);
    free(r);
    return NULL;
  }
  r->start_us = g_get_monotonic_time();
  r->ctx = g_main_context_new();
  r->peers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, peer_free);
  r->by_key = g_hash_table_new(key_hash, key_equal);
  r->tsrc = g_source_new(&timer_funcs, sizeof(struct timer_source));
  ((struct timer_source *)r->tsrc)->e = e;
  g_source_attach(r->tsrc, r->ctx);
  return e;
}
