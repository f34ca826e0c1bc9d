/* Real invocations: libcurl's multi interface driven by the env's GLib
 * context through curl's socket API (the method of curl's
 * docs/examples/multi-uv.c and ephiperfifo.c). curl tells us which sockets
 * to watch (CURLMOPT_SOCKETFUNCTION): they go into one epoll set, and GLib
 * watches only the epoll fd, so a wake costs O(ready sockets), not
 * O(connections), with 10,000 transfers in flight. curl's timeout
 * (CURLMOPT_TIMERFUNCTION) is one env timer: -1 cancels it, 0 runs it from
 * the loop soon but never inside curl's callback, and the old timer is
 * cancelled before a new one is set. Finished transfers are collected with
 * curl_multi_info_read after every socket_action and handed to their
 * adapter; done is called from there, never inside env_invoke.
 * Another real/ module (the S3 and Azure Blob clients) may add easy handles
 * of its own to the same multi (real_http__add_easy): they share the
 * sockets, the connection cache and the timer, and finish through their own
 * callback. */
#include "env_real_http.h"

#include <curl/curl.h>
#include <glib-unix.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "env_real.h"
#include "reqtab.h"

#define EPOLL_BATCH 256
#define MAX_HEADER_LINES 256
#define MAX_HEADER_BYTES (64u << 10)
#define CONNECT_TIMEOUT CM_S(10)
/* The transfer's own limit is the deadline plus this: a server that answers
 * at the deadline (the emulator's 504, as the simulator does) is heard. */
#define DEADLINE_GRACE CM_MS(20)
enum { R_HTTP = 1 };

struct xfer {
  CURL *easy;
  request_id id;
  env_invoke_fn done;
  void *arg;
  uint32_t provider;
  struct http_req req;
  struct curl_slist *hdrs;
  GPtrArray *resp_headers; /* char*, owned */
  size_t header_bytes;
  GByteArray *body;
  cm_time start, timeout;
  bool oversized, header_overflow;
  struct xfer *prev, *next; /* in flight: the live list; free: next is the free list */
};

struct real_http {
  env *e;
  CURLM *multi;
  int epfd;
  GSource *src; /* watches epfd */
  timer_id timer;
  reqtab *reqs;
  struct env_real_provider *prov;
  uint32_t nprov;
  struct xfer *live;       /* transfers in flight, doubly linked */
  struct xfer *free_xfers; /* with their easy handle kept for reuse */
  struct env_real_http_stats st;
  bool h2c_broken_reuse; /* libcurl < 8.0: see real_http__new */
  GHashTable *foreign;   /* CURL* -> struct foreign*, owned: handles of real_http__add_easy in flight */
};

/* A handle another module added: its callback, nothing else of ours. */
struct foreign {
  real_http_easy_fn done;
  void *arg;
};

static bool curl_ready;

/* ---- finishing transfers ---- */

static void xfer_reset(struct xfer *x) {
  http_req_clear(&x->req);
  curl_slist_free_all(x->hdrs);
  x->hdrs = NULL;
  g_ptr_array_set_size(x->resp_headers, 0);
  g_byte_array_set_size(x->body, 0);
  x->header_bytes = 0;
  x->oversized = x->header_overflow = false;
}

static void xfer_free_list(struct real_http *h, struct xfer *x) {
  xfer_reset(x);
  x->prev = NULL;
  x->next = h->free_xfers;
  h->free_xfers = x;
}

/* Take x off the loop and the live list, back to the free list. */
static void xfer_release(struct real_http *h, struct xfer *x) {
  curl_multi_remove_handle(h->multi, x->easy);
  if (x->prev) x->prev->next = x->next;
  else h->live = x->next;
  if (x->next) x->next->prev = x->prev;
  xfer_free_list(h, x);
}

/* The outcome of a transfer curl finished with code rc. */
static void outcome(struct real_http *h, struct xfer *x, CURLcode rc, struct invoke_result *res) {
  cm_time latency = env_now(h->e) - x->start;
  *res = (struct invoke_result){.status = INVOKE_NETWORK, .latency = latency};
  if (rc == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(x->easy, CURLINFO_RESPONSE_CODE, &status);
    struct http_resp r = {.status = status,
                          .headers = (const char *const *)x->resp_headers->pdata,
                          .nheaders = x->resp_headers->len,
                          .body = x->body->data,
                          .body_len = x->body->len,
                          .latency = latency};
    const char *reason = "ok";
    bool malformed = x->header_overflow;
    h->prov[x->provider].p->ops->interpret(h->prov[x->provider].p, &r, res, &reason, &malformed);
    res->latency = latency;
    if (res->status != INVOKE_OK) res->reason = reason;
    if (malformed) h->st.malformed++;
    return;
  }
  switch (rc) {
  case CURLE_OPERATION_TIMEDOUT:
    *res = (struct invoke_result){.status = INVOKE_TIMEOUT, .http_status = 504, .latency = latency, .reason = "deadline"};
    return;
  case CURLE_WRITE_ERROR:
  case CURLE_FILESIZE_EXCEEDED:
    res->reason = x->oversized || rc == CURLE_FILESIZE_EXCEEDED ? "oversized" : "write_error";
    if (x->oversized || rc == CURLE_FILESIZE_EXCEEDED) h->st.oversized++;
    return;
  case CURLE_COULDNT_CONNECT: res->reason = "refused"; return;
  case CURLE_COULDNT_RESOLVE_HOST: res->reason = "resolve"; return;
  case CURLE_GOT_NOTHING: res->reason = "empty_reply"; return;
  case CURLE_SEND_ERROR:
  case CURLE_RECV_ERROR: res->reason = "reset"; return;
  case CURLE_PARTIAL_FILE: res->reason = "truncated"; return;
  case CURLE_WEIRD_SERVER_REPLY:
  case CURLE_HTTP2:
  case CURLE_HTTP2_STREAM:
  case CURLE_BAD_CONTENT_ENCODING:
  case CURLE_UNSUPPORTED_PROTOCOL: res->reason = "malformed_http"; return;
  case CURLE_SSL_CONNECT_ERROR:
  case CURLE_PEER_FAILED_VERIFICATION: res->reason = "tls"; return;
  default: res->reason = "transfer_error"; return;
  }
}

/* A finished handle of real_http__add_easy: off the multi, then its callback. */
static void foreign_done(struct real_http *h, CURL *easy, CURLcode rc, struct foreign *f) {
  real_http_easy_fn done = f->done;
  void *arg = f->arg;
  curl_multi_remove_handle(h->multi, easy);
  g_hash_table_remove(h->foreign, easy); /* frees f */
  env_real__dispatch_refresh(h->e);
  done(arg, rc, easy);
}

static void collect(struct real_http *h) {
  CURLMsg *m;
  int left;
  while ((m = curl_multi_info_read(h->multi, &left))) {
    if (m->msg != CURLMSG_DONE) continue;
    struct foreign *f = g_hash_table_lookup(h->foreign, m->easy_handle);
    if (f) {
      foreign_done(h, m->easy_handle, m->data.result, f);
      continue;
    }
    struct xfer *x = NULL;
    curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
    CURLcode rc = m->data.result; /* m is invalid after remove_handle */
    /* Each completion is its own callback with its own "now": a dispatch
     * that read big bodies for a while must not stamp later answers early. */
    env_real__dispatch_refresh(h->e);
    struct invoke_result res;
    outcome(h, x, rc, &res);
    void (*fn)(void), *a;
    bool want = reqtab_take(h->reqs, x->id, &fn, &a);
    env_invoke_fn done = x->done;
    void *darg = x->arg;
    xfer_release(h, x);
    h->st.in_flight--;
    if (!want) cm_fatal(CM_LOC, "env_real_http: a finished transfer was not in the table");
    h->st.by_status[res.status]++;
    if (res.status != INVOKE_OK) env_real__count_reason(h->st.by_reason, &h->st.nreasons, res.reason);
    done(h->e, darg, &res); /* may invoke again or free nothing of ours: x is released */
  }
}

/* ---- curl's sockets and timer on the loop ---- */

static int on_socket(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp) {
  (void)easy;
  (void)socketp;
  struct real_http *h = userp;
  if (what == CURL_POLL_REMOVE) {
    epoll_ctl(h->epfd, EPOLL_CTL_DEL, s, NULL); /* the socket may already be closed: ENOENT/EBADF is fine */
    return 0;
  }
  struct epoll_event ev = {.data.fd = s};
  if (what & CURL_POLL_IN) ev.events |= EPOLLIN;
  if (what & CURL_POLL_OUT) ev.events |= EPOLLOUT;
  if (epoll_ctl(h->epfd, EPOLL_CTL_MOD, s, &ev) != 0 && epoll_ctl(h->epfd, EPOLL_CTL_ADD, s, &ev) != 0)
    return -1;
  return 0;
}

static void on_timer(env *e, void *arg) {
  (void)e;
  struct real_http *h = arg;
  h->timer = 0;
  int running;
  curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
  collect(h);
}

static int on_curl_timer(CURLM *multi, long timeout_ms, void *userp) {
  (void)multi;
  struct real_http *h = userp;
  if (h->timer) env_cancel(h->e, h->timer);
  h->timer = 0;
  if (timeout_ms >= 0) h->timer = env_after(h->e, CM_MS(timeout_ms), on_timer, h);
  return 0;
}

static gboolean on_epoll(gint fd, GIOCondition cond, gpointer data) {
  (void)fd;
  (void)cond;
  struct real_http *h = data;
  struct epoll_event evs[EPOLL_BATCH];
  env_real__dispatch_begin(h->e);
  int n = epoll_wait(h->epfd, evs, EPOLL_BATCH, 0);
  for (int i = 0; i < n; i++) {
    int flags = 0, running;
    if (evs[i].events & (EPOLLIN | EPOLLHUP)) flags |= CURL_CSELECT_IN;
    if (evs[i].events & EPOLLOUT) flags |= CURL_CSELECT_OUT;
    if (evs[i].events & EPOLLERR) flags |= CURL_CSELECT_ERR;
    curl_multi_socket_action(h->multi, evs[i].data.fd, flags, &running);
  }
  collect(h);
  env_real__dispatch_end(h->e);
  return G_SOURCE_CONTINUE;
}

/* ---- a transfer's data ---- */

static size_t on_header(char *buf, size_t size, size_t n, void *userp) {
  struct xfer *x = userp;
  size_t len = size * n;
  if (len >= 5 && memcmp(buf, "HTTP/", 5) == 0) { /* a new response (after 100 Continue or a redirect) */
    g_ptr_array_set_size(x->resp_headers, 0);
    x->header_bytes = 0;
    return len;
  }
  size_t l = len;
  while (l && (buf[l - 1] == '\n' || buf[l - 1] == '\r')) l--;
  if (l == 0) return len; /* the blank line ending the headers */
  if (x->resp_headers->len >= MAX_HEADER_LINES || x->header_bytes + l > MAX_HEADER_BYTES) {
    x->header_overflow = true; /* ignored, counted malformed */
    return len;
  }
  x->header_bytes += l;
  g_ptr_array_add(x->resp_headers, g_strndup(buf, l));
  return len;
}

static size_t on_body(char *buf, size_t size, size_t n, void *userp) {
  struct xfer *x = userp;
  size_t len = size * n;
  if (x->body->len + len > PROVIDER_BODY_MAX) {
    x->oversized = true;
    return 0; /* aborts the transfer: CURLE_WRITE_ERROR */
  }
  g_byte_array_append(x->body, (const guint8 *)buf, (guint)len);
  return len;
}

static int on_open(void *userp, curlsocktype purpose, struct curl_sockaddr *addr) {
  (void)purpose;
  struct real_http *h = userp;
  h->st.connections++;
  return (int)socket(addr->family, addr->socktype | SOCK_CLOEXEC, addr->protocol);
}

static struct xfer *xfer_get(struct real_http *h) {
  struct xfer *x = h->free_xfers;
  if (x) {
    h->free_xfers = x->next;
    curl_easy_reset(x->easy);
    return x;
  }
  x = g_new0(struct xfer, 1);
  x->easy = curl_easy_init();
  if (!x->easy) cm_fatal(CM_LOC, "env_real_http: curl_easy_init failed");
  x->resp_headers = g_ptr_array_new_with_free_func(g_free);
  x->body = g_byte_array_new();
  return x;
}

static void xfer_destroy(struct xfer *x) {
  xfer_reset(x);
  curl_easy_cleanup(x->easy);
  g_ptr_array_free(x->resp_headers, TRUE);
  g_byte_array_free(x->body, TRUE);
  g_free(x);
}

/* ---- the invoker ---- */

request_id real_http__invoke(struct real_http *h, const struct invocation *inv, env_invoke_fn done, void *arg) {
  if (!inv->function || inv->provider >= h->nprov || inv->timeout < 0) return CM_EINVAL;
  const struct env_real_provider *ep = &h->prov[inv->provider];
  if (ep->p->nbins && inv->bin >= ep->p->nbins) return CM_EINVAL;
  struct xfer *x = xfer_get(h);
  char *err = NULL;
  if (ep->p->ops->prepare(ep->p, inv, &x->req, &err) != 0) {
    g_free(err); /* the caller sees CM_EINVAL */
    xfer_free_list(h, x);
    return CM_EINVAL;
  }
  cm_time timeout = inv->timeout ? inv->timeout : ep->p->timeout;
  if (timeout <= 0) timeout = CM_S(30);
  x->done = done;
  x->arg = arg;
  x->provider = inv->provider;
  x->timeout = timeout;
  /* No 100-continue round trip for large bodies. A signed request cannot
   * remove the header ("Expect:"): curl (7.88) lists a removed header in
   * SignedHeaders without sending it, and the server's signature then
   * differs (moto: 403 SignatureDoesNotMatch). It keeps curl's Expect,
   * unsigned, and sends the body without waiting (below). */
  x->hdrs = x->req.aws_sigv4 ? NULL : curl_slist_append(NULL, "Expect:");
  char dl[64]; /* the deadline and response size, for the emulator's model (real platforms ignore them) */
  snprintf(dl, sizeof dl, "X-Cloudmix-Timeout-Ms: %lld", (long long)((timeout + CM_MS(1) - 1) / CM_MS(1)));
  x->hdrs = curl_slist_append(x->hdrs, dl);
  snprintf(dl, sizeof dl, "X-Cloudmix-Response-Bytes: %zu", inv->response_bytes); /* lets the emulator start at once */
  x->hdrs = curl_slist_append(x->hdrs, dl);
  snprintf(dl, sizeof dl, "X-Cloudmix-Clock-Ns: %lld", (long long)env_now(h->e)); /* lines the emulator's clock up */
  x->hdrs = curl_slist_append(x->hdrs, dl);
  if (inv->exec_hint > 0) { /* a replayed duration, for the emulator's world (real/emulate.h) */
    snprintf(dl, sizeof dl, "X-Cloudmix-Exec-Ns: %lld", (long long)inv->exec_hint);
    x->hdrs = curl_slist_append(x->hdrs, dl);
  }
  for (char **hl = x->req.headers; hl && *hl; hl++) x->hdrs = curl_slist_append(x->hdrs, *hl);
  CURL *c = x->easy;
  curl_easy_setopt(c, CURLOPT_URL, x->req.url);
  curl_easy_setopt(c, CURLOPT_POST, 1L);
  curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)x->req.body);
  curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)x->req.body_len);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, x->hdrs);
  if (x->req.aws_sigv4) {
    curl_easy_setopt(c, CURLOPT_AWS_SIGV4, x->req.aws_sigv4);
    curl_easy_setopt(c, CURLOPT_EXPECT_100_TIMEOUT_MS, 0L);
  }
  if (x->req.userpwd) curl_easy_setopt(c, CURLOPT_USERPWD, x->req.userpwd);
  curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)((timeout + DEADLINE_GRACE + CM_MS(1) - 1) / CM_MS(1)));
  curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)((timeout < CONNECT_TIMEOUT ? timeout : CONNECT_TIMEOUT) / CM_MS(1)));
  curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)PROVIDER_BODY_MAX);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETFUNCTION, on_open);
  curl_easy_setopt(c, CURLOPT_OPENSOCKETDATA, h);
  curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)x);
  curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
  bool h2 = ep->p->http2, tls = strncmp(x->req.url, "https:", 6) == 0;
  curl_easy_setopt(c, CURLOPT_HTTP_VERSION,
                   h2 ? (tls ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE) : CURL_HTTP_VERSION_1_1);
  if (h2 && !tls && h->h2c_broken_reuse) curl_easy_setopt(c, CURLOPT_FORBID_REUSE, 1L); /* see real_http__new */
  else if (h2) curl_easy_setopt(c, CURLOPT_PIPEWAIT, 1L);
  x->start = env_now(h->e);
  x->id = reqtab_add(h->reqs, R_HTTP, NULL, x);
  if (curl_multi_add_handle(h->multi, c) != CURLM_OK) {
    reqtab_cancel(h->reqs, x->id, R_HTTP, true);
    xfer_free_list(h, x);
    return CM_EIO;
  }
  x->prev = NULL;
  x->next = h->live;
  if (h->live) h->live->prev = x;
  h->live = x;
  h->st.invoked++;
  h->st.in_flight++;
  return x->id;
}

bool real_http__cancel(struct real_http *h, request_id id) {
  struct xfer *x = reqtab_get(h->reqs, id, R_HTTP);
  if (!x) return false;
  reqtab_cancel(h->reqs, id, R_HTTP, true);
  xfer_release(h, x); /* aborts the transfer; curl closes or keeps its connection */
  h->st.in_flight--;
  h->st.cancelled++;
  return true;
}

int real_http__set_providers(struct real_http *h, const struct env_real_provider *p, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (!p[i].p || !p[i].p->ops || !p[i].p->ops->prepare || !p[i].p->ops->interpret) return CM_EINVAL;
  g_free(h->prov);
  h->prov = n ? g_memdup2(p, n * sizeof *p) : NULL;
  h->nprov = n;
  bool h2c = false; /* an HTTP/2 provider on http:// (prior knowledge) */
  for (uint32_t i = 0; i < n; i++)
    h2c |= p[i].p->http2 && p[i].p->endpoint && strncmp(p[i].p->endpoint, "https:", 6) != 0;
  if (h2c && h->h2c_broken_reuse) curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_NOTHING);
  return 0;
}

void real_http__stats(const struct real_http *h, struct env_real_http_stats *out) { *out = h->st; }

/* ---- transfers of other modules ---- */

int real_http__add_easy(env *e, CURL *easy, real_http_easy_fn done, void *arg) {
  struct real_http *h = env_real__http(e);
  if (!h) return CM_EIO;
  if (!easy || !done || g_hash_table_contains(h->foreign, easy)) return CM_EINVAL;
  struct foreign *f = g_new(struct foreign, 1);
  *f = (struct foreign){.done = done, .arg = arg};
  g_hash_table_insert(h->foreign, easy, f);
  if (curl_multi_add_handle(h->multi, easy) != CURLM_OK) {
    g_hash_table_remove(h->foreign, easy);
    return CM_EIO;
  }
  return 0;
}

void real_http__remove_easy(env *e, CURL *easy) {
  struct real_http *h = env_real__http(e);
  if (!h || !easy || !g_hash_table_remove(h->foreign, easy)) return;
  curl_multi_remove_handle(h->multi, easy); /* aborts the transfer; curl closes or keeps its connection */
}

struct real_http *real_http__new(env *e, GMainContext *ctx) {
  if (!curl_ready) { /* once per process: not thread-safe in curl 7.x, so done here from the first env */
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) return NULL;
    curl_ready = true;
  }
  struct real_http *h = g_new0(struct real_http, 1);
  h->e = e;
  h->epfd = epoll_create1(EPOLL_CLOEXEC);
  h->multi = curl_multi_init();
  if (h->epfd < 0 || !h->multi) {
    if (h->epfd >= 0) close(h->epfd);
    if (h->multi) curl_multi_cleanup(h->multi);
    g_free(h);
    return NULL;
  }
  h->reqs = reqtab_new();
  h->foreign = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
  /* libcurl before 8.0 fails every stream after the first on a reused
   * HTTP/2 prior-knowledge (h2c) connection with "Error in the HTTP2
   * framing layer" (curl issue #10634, fixed by PR #10643 in 8.0; seen here
   * with 7.88.1 against nghttpx): there, when a provider speaks h2c, nothing
   * is multiplexed and each h2c call gets a connection of its own
   * (real_http__set_providers, real_http__invoke). */
  h->h2c_broken_reuse = curl_version_info(CURLVERSION_NOW)->version_num < 0x080000;
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
  curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, on_curl_timer);
  curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
  curl_multi_setopt(h->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
  h->src = g_unix_fd_source_new(h->epfd, G_IO_IN);
  g_source_set_callback(h->src, G_SOURCE_FUNC(on_epoll), h, NULL);
  g_source_set_can_recurse(h->src, TRUE);
  g_source_attach(h->src, ctx);
  return h;
}

void real_http__free(struct real_http *h) {
  if (!h) return;
  /* Transfers in flight never call back: remove them first. */
  if (h->timer) env_cancel(h->e, h->timer);
  while (h->live) {
    struct xfer *x = h->live;
    h->live = x->next;
    curl_multi_remove_handle(h->multi, x->easy);
    xfer_destroy(x);
  }
  while (h->free_xfers) {
    struct xfer *x = h->free_xfers;
    h->free_xfers = x->next;
    xfer_destroy(x);
  }
  GHashTableIter it; /* other modules' handles: off the multi, theirs to clean up, never called back */
  gpointer easy;
  g_hash_table_iter_init(&it, h->foreign);
  while (g_hash_table_iter_next(&it, &easy, NULL)) curl_multi_remove_handle(h->multi, easy);
  g_hash_table_destroy(h->foreign);
  curl_multi_cleanup(h->multi);
  g_source_destroy(h->src);
  g_source_unref(h->src);
  close(h->epfd);
  reqtab_free(h->reqs);
  g_free(h->prov);
  g_free(h);
}
