/* The real backend: env ops answered in wall-clock time from a private GLib
 * main context. Timers sit in an eventq keyed by due time behind one custom
 * GSource watching a timerfd armed at the earliest due timer (or env_run's
 * deadline): GLib's own ready time would only wake poll at millisecond
 * granularity, the fd wakes it at the deadline. Each bound address owns a
 * non-blocking UDP socket watched by a unix-fd source. Every dispatch caches
 * "now" once (libuv-style loop time). */
#include "env_real.h"

#include <errno.h>
#include <glib-unix.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "env_impl.h"
#include "env_real_http.h"
#include "env_real_store.h"
#include "eventq.h"

#define RECV_BATCH 256   /* datagrams drained per socket dispatch */
#define MMSG 16          /* datagrams per recvmmsg call */
#define SLOT (CM_DATAGRAM_MAX + 1) /* bytes per receive slot: one more tells an oversize apart */
#define TIMER_BATCH 4096 /* timers run per dispatch (no starvation) */
#define KEY_LEN 20       /* family, port, 16 address bytes */
#define RCVBUF_BYTES (4 << 20) /* asked per socket; the kernel caps it at net.core.rmem_max */

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
  GSource *tsrc;      /* struct timer_source, watches tfd */
  int tfd;            /* timerfd on CLOCK_MONOTONIC */
  cm_time armed;      /* when tfd is armed to fire; CM_TIME_MAX: disarmed */
  eventq *timers;
  GHashTable *peers;  /* cm_addr -> struct peer*, owned */
  GHashTable *by_key; /* peer->key -> struct peer*, borrowed */
  int64_t start_ns;   /* CLOCK_MONOTONIC at creation */
  cm_time cached;     /* now, while dispatching */
  int dispatching;
  bool running, stopped;
  cm_time deadline;   /* of the current env_run, CM_TIME_MAX otherwise */
  uint8_t *buf;       /* MMSG receive slots of SLOT bytes */
  struct mmsghdr msgs[MMSG];
  struct iovec iov[MMSG];
  struct sockaddr_storage srcs[MMSG];
  struct env_net_stats st;
  struct real_http *http;   /* the invoker and curl multi, made on first use (env_real__http) */
  bool providers;           /* env_real_set_providers was called: env_invoke has a table */
  bool closing;             /* env_free has freed the invoker: none is made again */
  struct real_store *store; /* the storage dispatcher, made by env_real_set_stores */
};

static struct real *R(env *e) { return e->impl; }

static int64_t monotonic_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static cm_time live_now(struct real *r) { return monotonic_ns() - r->start_ns; }

static cm_time real_now(env *e) {
  struct real *r = R(e);
  return r->dispatching ? r->cached : live_now(r);
}

static void dispatch_begin(struct real *r) {
  r->cached = live_now(r);
  r->dispatching++;
}

static void dispatch_end(struct real *r) { r->dispatching--; }

void env_real__dispatch_begin(env *e) { dispatch_begin(R(e)); }
void env_real__dispatch_end(env *e) { dispatch_end(R(e)); }
void env_real__dispatch_refresh(env *e) {
  struct real *r = R(e);
  if (r->dispatching) r->cached = live_now(r);
}

/* ---- timers ---- */

/* When the loop must wake next: the earliest timer or env_run's deadline. */
static cm_time next_wake(struct real *r) {
  cm_time t = eventq_peek_time(r->timers);
  return r->deadline < t ? r->deadline : t;
}

/* Arm tfd at t on the same clock as live_now, so nothing fires early (and
 * clear a fired tfd's readiness). */
static void arm(struct real *r, cm_time t) {
  struct itimerspec its = {0};
  if (t != CM_TIME_MAX) {
    int64_t at = t > INT64_MAX - r->start_ns ? INT64_MAX : r->start_ns + t;
    its.it_value.tv_sec = at / 1000000000;
    its.it_value.tv_nsec = at % 1000000000;
  }
  if (timerfd_settime(r->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) cm_fatal(CM_LOC, "timerfd_settime failed");
  r->armed = t;
}

/* Runs each loop iteration before GLib polls: a due timer dispatches without
 * a wake-up, otherwise tfd is armed for the next wake. Arming only here
 * coalesces all of an iteration's env_after/env_cancel into at most one
 * settime, which can cost microseconds (it may reprogram the CPU's timer). */
static gboolean timer_prepare(GSource *s, gint *timeout) {
  struct real *r = R(((struct timer_source *)s)->e);
  *timeout = -1;
  cm_time t = next_wake(r);
  if (t <= live_now(r)) return TRUE;
  if (t != r->armed) arm(r, t); /* a fired tfd has armed <= now < t */
  return FALSE;
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
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs timer_funcs = {.prepare = timer_prepare, .dispatch = timer_dispatch};

static timer_id real_after(env *e, cm_time delay, env_fn fn, void *arg) {
  struct real *r = R(e);
  cm_time now = real_now(e);
  cm_time due = delay > CM_TIME_MAX - now ? CM_TIME_MAX - 1 : now + delay;
  uint64_t id = eventq_push(r->timers, due, (eventq_fn)fn, arg);
  if (!id) cm_fatal(CM_LOC, "env_after: out of memory");
  return id;
}

static bool real_cancel(env *e, timer_id t) { return eventq_cancel(R(e)->timers, t, NULL); }

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
  /* recvmmsg: one system call for up to MMSG datagrams (a junk flood
   * costs the node mostly kernel time per datagram). Every datagram a call
   * returns is handled, even once env_stop was called: it is out of the
   * socket and would otherwise be lost uncounted. */
  for (int n = 0; n < RECV_BATCH && !r->stopped; ) {
    for (int i = 0; i < MMSG; i++) {
      r->iov[i] = (struct iovec){.iov_base = r->buf + (size_t)i * SLOT, .iov_len = SLOT};
      r->msgs[i].msg_hdr = (struct msghdr){.msg_name = &r->srcs[i], .msg_namelen = sizeof r->srcs[i],
                                           .msg_iov = &r->iov[i], .msg_iovlen = 1};
    }
    int got = recvmmsg(fd, r->msgs, MMSG, MSG_DONTWAIT, NULL);
    if (got < 0) {
      if (errno == EINTR) continue;
      break; /* EAGAIN: drained; anything else: retry at the next readiness */
    }
    for (int i = 0; i < got; i++) {
      size_t len = r->msgs[i].msg_len;
      uint8_t key[KEY_LEN];
      struct peer *from = sa_key(&r->srcs[i], key) ? g_hash_table_lookup(r->by_key, key) : NULL;
      if (!from) {
        r->st.dropped_unknown++;
      } else if (len > CM_DATAGRAM_MAX || (r->msgs[i].msg_hdr.msg_flags & MSG_TRUNC)) {
        r->st.dropped_oversize++;
      } else if (!p->fn) {
        r->st.dropped_unbound++;
      } else {
        r->st.delivered++;
        p->fn(e, p->arg, from->addr, p->addr, r->buf + (size_t)i * SLOT, len);
      }
    }
    n += got;
    if (got < MMSG) break; /* drained */
    /* A due timer runs before the rest of the queue rather than after it. */
    if (next_wake(r) <= live_now(r)) break;
  }
  dispatch_end(r);
  return G_SOURCE_CONTINUE;
}

/* Open p's socket on its book address and start watching it. */
static int peer_open(struct real *r, struct peer *p) {
  int fd = socket(p->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return CM_EIO;
  /* The default buffer holds only a few dozen full-size mix packets: a
   * burst arriving while the loop is busy would be lost unseen. */
  int rcvbuf = RCVBUF_BYTES;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
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
  g_source_set_can_recurse(p->src, TRUE); /* see env_real_new */
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

/* ---- invocations (env_real_http.c) ---- */

static request_id real_invoke(env *e, const struct invocation *inv, env_invoke_fn done, void *arg) {
  struct real *r = R(e);
  if (!r->providers) return CM_ENOSYS; /* no providers configured */
  return real_http__invoke(r->http, inv, done, arg);
}

static bool real_invoke_cancel(env *e, request_id id) {
  struct real *r = R(e);
  return r->http && real_http__cancel(r->http, id);
}

int env_real_set_providers(env *e, const struct env_real_provider *p, uint32_t n) {
  if (!env_real_is(e) || (!p && n)) return CM_EINVAL;
  struct real *r = R(e);
  if (!env_real__http(e)) return CM_EIO;
  int rc = real_http__set_providers(r->http, p, n);
  if (!rc) r->providers = true;
  return rc;
}

struct real_http *env_real__http(env *e) {
  if (!env_real_is(e)) return NULL;
  struct real *r = R(e);
  if (!r->http && !r->closing) r->http = real_http__new(e, r->ctx);
  return r->http;
}

void env_real_http_stats(env *e, struct env_real_http_stats *out) {
  if (!env_real_is(e) || !R(e)->http) {
    *out = (struct env_real_http_stats){0};
    return;
  }
  real_http__stats(R(e)->http, out);
}

/* ---- storage (env_real_store.c) ---- */

static request_id real_store(env *e, enum store_op op, const struct store_req *req, env_store_fn done, void *arg) {
  struct real *r = R(e);
  if (!r->store) return CM_ENOSYS; /* no stores configured */
  return real_store__start(r->store, op, req, done, arg);
}

static bool real_store_cancel(env *e, request_id id) {
  struct real *r = R(e);
  return r->store && real_store__cancel(r->store, id);
}

int env_real_set_stores(env *e, struct store_client *const *clients, uint32_t n) {
  if (!env_real_is(e)) return CM_EINVAL;
  struct real *r = R(e);
  if (!r->store) r->store = real_store__new(e);
  return real_store__set(r->store, clients, n);
}

int env_real_set_store_links(env *e, const struct storage_link *links, uint32_t nlocations, uint32_t nstores) {
  if (!env_real_is(e)) return CM_EINVAL;
  struct real *r = R(e);
  if (!r->store) r->store = real_store__new(e);
  return real_store__set_links(r->store, links, nlocations, nstores);
}

struct store_client *env_real_store_client(env *e, uint32_t i) {
  return env_real_is(e) && R(e)->store ? real_store__client(R(e)->store, i) : NULL;
}

void env_real_store_stats(env *e, struct env_real_store_stats *out) {
  if (!env_real_is(e) || !R(e)->store) {
    *out = (struct env_real_store_stats){0};
    return;
  }
  real_store__stats(R(e)->store, out);
}

void env_real__count_reason(struct env_real_reason_count *by, uint32_t *n, const char *reason) {
  if (!reason) reason = "unknown";
  for (uint32_t i = 0; i < *n; i++)
    if (!strcmp(by[i].reason, reason)) {
      by[i].n++;
      return;
    }
  if (*n < ENV_REAL_REASONS_MAX - 1) {
    by[(*n)++] = (struct env_real_reason_count){.reason = reason, .n = 1};
    return;
  }
  if (*n == ENV_REAL_REASONS_MAX - 1) /* full: the last slot takes the rest */
    by[(*n)++] = (struct env_real_reason_count){.reason = "other"};
  by[ENV_REAL_REASONS_MAX - 1].n++;
}

GMainContext *env_real__context(env *e) { return R(e)->ctx; }

/* ---- the loop ---- */

static int real_run(env *e, cm_time until) {
  struct real *r = R(e);
  if (r->running) return CM_EINVAL;
  r->running = true;
  r->deadline = until;
  while (!r->stopped && live_now(r) < until) g_main_context_iteration(r->ctx, TRUE);
  r->deadline = CM_TIME_MAX;
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
  real_store__free(r->store); /* first: its clients cancel env timers and remove their sources */
  real_http__free(r->http);
  r->http = NULL; /* a storage client freed after this finds no multi (real_http__remove_easy: a no-op) */
  r->closing = true;
  if (r->by_key) g_hash_table_destroy(r->by_key);
  if (r->peers) g_hash_table_destroy(r->peers);
  if (r->tsrc) {
    g_source_destroy(r->tsrc);
    g_source_unref(r->tsrc);
  }
  if (r->tfd >= 0) close(r->tfd);
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
    .invoke = real_invoke,
    .invoke_cancel = real_invoke_cancel,
    .store = real_store,
    .store_cancel = real_store_cancel,
    .secret_rng = env__secret_stream, /* keys, padding, delays, paths: the OS CSPRNG */
    .run = real_run,
    .stop = real_stop,
    .free_impl = real_free_impl,
};

bool env_real_is(env *e) { return e && e->ops == &real_ops; }

env *env_real_new(uint64_t seed) {
  struct real *r = calloc(1, sizeof(*r));
  if (!r) return NULL;
  r->deadline = CM_TIME_MAX;
  r->armed = CM_TIME_MAX;
  r->timers = eventq_new();
  r->buf = malloc((size_t)MMSG * SLOT);
  r->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
  env *e = r->timers && r->buf && r->tfd >= 0 ? env__new(&real_ops, r, seed) : NULL;
  if (!e) {
    eventq_free(r->timers);
    free(r->buf);
    if (r->tfd >= 0) close(r->tfd);
    free(r);
    return NULL;
  }
  r->start_ns = monotonic_ns();
  r->ctx = g_main_context_new();
  r->peers = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, peer_free);
  r->by_key = g_hash_table_new(key_hash, key_equal);
  r->tsrc = g_source_new(&timer_funcs, sizeof(struct timer_source));
  ((struct timer_source *)r->tsrc)->e = e;
  g_source_add_unix_fd(r->tsrc, r->tfd, G_IO_IN);
  /* GLib blocks a non-recursive source while it dispatches and unblocking
   * signals the context's wakeup fd: one write, read and spurious poll per
   * dispatch. env_run is never called from a callback, so nothing recurses. */
  g_source_set_can_recurse(r->tsrc, TRUE);
  g_source_attach(r->tsrc, r->ctx);
  return e;
}
