/* The provider emulator's core: the libsoup server, routing of
 * /<provider>/<platform path> to (provider, function, bin), the wall-clock
 * pump of the simulated world, and the answer counts. How the pump works
 * is in emulate.h; a call's life through the world in emulate_call.c; how
 * each platform answers in emulate_<platform>.c. */
#include "emulate.h"

#include <errno.h>
#include <glib-unix.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

#include "emulate_impl.h"
#include "env_sim.h"

#define NSTATUS 600 /* HTTP statuses counted, 0 (no answer) .. 599 */
/* Connections the kernel queues before they are accepted (capped by
 * net.core.somaxconn). soup_server_listen leaves GSocket's default of 10:
 * 1,000 clients connecting at once then overflow the queue, and a client
 * whose handshake completed by SYN cookie while the queue was full may
 * never be accepted (its request times out). */
#define LISTEN_BACKLOG 4096

struct timer_source {
  GSource base;
  struct emulate *em;
};


/* ---- the clock and the pump ---- */

/* The wall clock is env_wall_ns (CLOCK_MONOTONIC, the timerfd's clock too). */
static cm_time wall_now(const struct emulate *em) { return env_wall_ns(em->sim) - em->start_ns; }

/* Run the world's events due up to the wall clock's now; the sim clock is
 * then at now. */
void emu__pump(struct emulate *em) {
  if (em->waiting) return;
  cm_time now = wall_now(em);
  if (now > env_now(em->sim) || env_sim_next_event(em->sim) <= now) env_run(em->sim, now);
}

static void arm(struct emulate *em, cm_time t) {
  struct itimerspec its = {0};
  if (t != CM_TIME_MAX) {
    int64_t at = t > INT64_MAX - em->start_ns ? INT64_MAX : em->start_ns + t;
    if (at <= 0) at = 1;
    its.it_value.tv_sec = at / 1000000000;
    its.it_value.tv_nsec = at % 1000000000;
  }
  if (timerfd_settime(em->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) cm_fatal(CM_LOC, "timerfd_settime failed");
  em->armed = t;
}

/* Each loop iteration: dispatch at once if an event is due, else arm the
 * timerfd at the next one (one settime per iteration at most). */
static gboolean t_prepare(GSource *s, gint *timeout) {
  struct emulate *em = ((struct timer_source *)s)->em;
  *timeout = -1;
  if (em->waiting) return FALSE;
  cm_time next = env_sim_next_event(em->sim);
  if (next <= wall_now(em)) return TRUE;
  if (next != em->armed) arm(em, next);
  return FALSE;
}

static gboolean t_check(GSource *s) {
  struct emulate *em = ((struct timer_source *)s)->em;
  return !em->waiting && env_sim_next_event(em->sim) <= wall_now(em);
}

static gboolean t_dispatch(GSource *s, GSourceFunc cb CM_UNUSED, gpointer data CM_UNUSED) {
  struct emulate *em = ((struct timer_source *)s)->em;
  uint64_t x;
  if (read(em->tfd, &x, sizeof x) < 0 && errno != EAGAIN) cm_fatal(CM_LOC, "timerfd read failed");
  emu__pump(em);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs t_funcs = {.prepare = t_prepare, .check = t_check, .dispatch = t_dispatch};

/* ---- counts ---- */

void emu__count(struct emulate *em, uint32_t row, int status) {
  if (status < 0 || status >= NSTATUS) status = NSTATUS - 1;
  em->counts[(size_t)row * NSTATUS + (size_t)status]++;
}

static int row_of(const emulate *em, const char *provider) {
  if (!provider) return (int)em->np;
  gpointer v = g_hash_table_lookup(em->by_name, provider);
  return v ? (int)GPOINTER_TO_UINT(v) - 1 : -1;
}

uint64_t emulate_count(const emulate *em, const char *provider, int status) {
  int r = row_of(em, provider);
  if (r < 0 || status >= NSTATUS) return 0;
  const uint64_t *c = &em->counts[(size_t)r * NSTATUS];
  if (status >= 0) return c[status];
  uint64_t n = 0;
  for (int s = 0; s < NSTATUS; s++) n += c[s];
  return n;
}

uint64_t emulate_function_calls(const emulate *em, const char *provider, const char *function) {
  int r = row_of(em, provider);
  if (r < 0 || (uint32_t)r >= em->np || !function) return 0;
  for (uint32_t k = 0; k < em->nf; k++)
    if (strcmp(em->fnames[k], function) == 0) return em->calls_by_fn[(size_t)r * em->nf + k];
  return 0;
}

uint64_t emulate_in_flight(const emulate *em, const char *provider) {
  int r = row_of(em, provider);
  return r < 0 ? 0 : em->in_flight[r];
}

uint64_t emulate_requests(const emulate *em, const char *provider) {
  int r = row_of(em, provider);
  return r < 0 ? 0 : emulate_count(em, provider, -1) + em->in_flight[r] + em->gone[r];
}

void emulate_print_stats(const emulate *em, FILE *f) {
  for (uint32_t r = 0; r <= em->np; r++) {
    const char *name = r < em->np ? faas_world_provider(em->world, r)->name : NULL;
    fprintf(f, "emulate: %s%s%s%s: requests %" PRIu64 ", in flight %" PRIu64 ", client gone %" PRIu64 ", answers",
            name ? name : "(no provider)", name ? " (" : "", name ? em->plat[r]->name : "",
            name ? ")" : "", emulate_requests(em, name),
            em->in_flight[r], em->gone[r]);
    bool any = false;
    for (int s = 0; s < NSTATUS; s++) {
      uint64_t n = em->counts[(size_t)r * NSTATUS + (size_t)s];
      if (n) fprintf(f, " %d=%" PRIu64, s, n);
      any |= n > 0;
    }
    fprintf(f, "%s\n", any ? "" : " none");
  }
  for (uint32_t r = 0; r < em->np; r++)
    for (uint32_t k = 0; k < em->nf; k++)
      if (em->calls_by_fn[(size_t)r * em->nf + k])
        fprintf(f, "emulate: calls %s %s %" PRIu64 "\n", faas_world_provider(em->world, r)->name, em->fnames[k],
                em->calls_by_fn[(size_t)r * em->nf + k]);
  fflush(f);
}

/* ---- routing ---- */


/* The world's function for a remote name: the function itself (bin 0) or
 * "{function}-{bin}". */
static int find_function(const struct emulate *em, const char *name, size_t n, uint32_t *bin) {
  char buf[FAAS_NAME_MAX + 16];
  if (n >= sizeof buf) return -1;
  memcpy(buf, name, n);
  buf[n] = '\0';
  *bin = 0;
  int fn = faas_world_find_function(em->world, buf);
  if (fn >= 0) return fn;
  char *dash = strrchr(buf, '-');
  if (!dash || !dash[1] || strspn(dash + 1, "0123456789") != strlen(dash + 1) || strlen(dash + 1) > 4) return -1;
  *bin = (uint32_t)atoi(dash + 1);
  *dash = '\0';
  return faas_world_find_function(em->world, buf);
}

/* 0, or 404 with r->msg. */
static int route(const struct emulate *em, SoupServerMessage *msg, struct route *r) {
  const char *path = g_uri_get_path(soup_server_message_get_uri(msg));
  r->provider = -1;
  if (!path || path[0] != '/') path = "/";
  const char *seg = path + 1, *slash = strchr(seg, '/');
  size_t n = slash ? (size_t)(slash - seg) : strlen(seg);
  char name[FAAS_NAME_MAX];
  if (n == 0 || n >= sizeof name) {
    g_snprintf(r->msg, sizeof r->msg, "no provider in the path: expected /<provider>/...");
    return 404;
  }
  memcpy(name, seg, n);
  name[n] = '\0';
  gpointer v = g_hash_table_lookup(em->by_name, name);
  if (!v) {
    g_snprintf(r->msg, sizeof r->msg, "unknown provider '%.*s'", (int)n, seg);
    return 404;
  }
  r->provider = (int)GPOINTER_TO_UINT(v) - 1;
  const struct emu_platform *pl = em->plat[r->provider];
  const char *rest = seg + n;
  for (int k = 0; k < EMU_MAX_ROUTES && pl->routes[k].prefix; k++) {
    const struct emu_route *rt = &pl->routes[k];
    if (!g_str_has_prefix(rest, rt->prefix)) continue;
    const char *fname = rest + strlen(rt->prefix), *end = strchr(fname, '/');
    size_t fn_len = end ? (size_t)(end - fname) : strlen(fname);
    const char *tail = fname + fn_len;
    if (fn_len == 0 || (strcmp(tail, rt->suffix) != 0 && !(strcmp(rt->suffix, "/") == 0 && !*tail))) continue;
    r->route = k;
    r->fn = find_function(em, fname, fn_len, &r->bin);
    if (r->fn < 0) {
      g_snprintf(r->msg, sizeof r->msg, "unknown function '%.*s' on provider '%s'", (int)fn_len, fname, name);
      return 404;
    }
    if (r->bin >= faas_world_provider(em->world, (uint32_t)r->provider)->nbins) {
      g_snprintf(r->msg, sizeof r->msg, "provider '%s' has no compute bin %u", name, r->bin);
      return 404;
    }
    return 0;
  }
  g_snprintf(r->msg, sizeof r->msg, "no such path on %s provider '%s' (expected %s<function>%s)", pl->name, name,
             pl->routes[0].prefix, pl->routes[0].suffix);
  return 404;
}

static uint32_t row(const struct emulate *em, const struct route *r) {
  return r->provider >= 0 ? (uint32_t)r->provider : em->np;
}

/* Answer at once (not through the world). */
void emu__reply_now(struct emulate *em, SoupServerMessage *msg, const struct route *r, int status, const char *text) {
  emu__reply_text(msg, status, text);
  emu__count(em, row(em, r), status);
}

/* After the headers: refuse what needs no body (unknown path, method,
 * declared size), so a refused body is never read. */
static void on_early(SoupServer *s CM_UNUSED, SoupServerMessage *msg, const char *path CM_UNUSED,
                     GHashTable *q CM_UNUSED, gpointer data) {
  struct emulate *em = data;
  struct route r;
  int st = route(em, msg, &r);
  if (st) {
    emu__reply_now(em, msg, &r, st, r.msg);
    return;
  }
  if (strcmp(soup_server_message_get_method(msg), SOUP_METHOD_POST) != 0) {
    soup_message_headers_replace(soup_server_message_get_response_headers(msg), "Allow", "POST");
    emu__reply_now(em, msg, &r, 405, "method not allowed: functions are invoked with POST");
    return;
  }
  SoupMessageHeaders *h = soup_server_message_get_request_headers(msg);
  goffset cl = soup_message_headers_get_content_length(h);
  if (cl > (goffset)EMULATE_BODY_MAX) {
    emu__reply_now(em, msg, &r, 413, "request body over 64 MB");
    return;
  }
  /* our client says the sizes up front: the world starts the call now */
  const char *rbh = soup_message_headers_get_one(h, EMULATE_RESPONSE_HEADER);
  if (soup_message_headers_get_encoding(h) != SOUP_ENCODING_CONTENT_LENGTH || !rbh) return;
  char *end = NULL;
  errno = 0;
  unsigned long long rb = strtoull(rbh, &end, 10);
  cm_time timeout = emu__timeout_header(msg);
  if (errno || end == rbh || *end || rb > EMULATE_BODY_MAX || timeout < 0 || emu__exec_header(msg) < 0)
    return; /* the body path says why */
  emu__start_call(em, msg, &r, (size_t)cl, (size_t)rb, timeout, NULL, true);
}

/* ---- calls through the world ---- */

static void on_request(SoupServer *s CM_UNUSED, SoupServerMessage *msg, const char *path CM_UNUSED,
                       GHashTable *q CM_UNUSED, gpointer data) {
  struct emulate *em = data;
  struct emu_call *early = g_object_get_data(G_OBJECT(msg), "cloudmix-call");
  if (early) {
    emu__body_in(em, msg, early);
    return;
  }
  if (soup_server_message_get_status(msg) != SOUP_STATUS_NONE) return; /* answered early */
  struct route r;
  if (route(em, msg, &r) != 0 || strcmp(soup_server_message_get_method(msg), SOUP_METHOD_POST) != 0) {
    emu__reply_now(em, msg, &r, 404, "not routed"); /* on_early answers these; never here */
    return;
  }
  if (soup_server_message_get_request_body(msg)->length > (goffset)EMULATE_BODY_MAX) {
    emu__reply_now(em, msg, &r, 413, "request body over 64 MB");
    return;
  }
  size_t rb = 0, len = 0;
  char *id = NULL;
  if (emu__scan_body(msg, &id, &rb, &len)) {
    emu__reply_now(em, msg, &r, 400, "bad request body: expected one JSON object (real/provider.h)");
    return;
  }
  cm_time timeout = emu__timeout_header(msg);
  if (timeout < 0) {
    g_free(id);
    emu__reply_now(em, msg, &r, 400, "bad " EMULATE_TIMEOUT_HEADER ": expected an integer number of milliseconds > 0");
    return;
  }
  if (emu__exec_header(msg) < 0) {
    g_free(id);
    emu__reply_now(em, msg, &r, 400, "bad " EMULATE_EXEC_HEADER ": expected an integer number of nanoseconds > 0");
    return;
  }
  struct emu_call *c = emu__start_call(em, msg, &r, len, rb, timeout, id, false);
  if (c) soup_server_message_pause(msg);
}

/* ---- life cycle ---- *//* ---- life cycle ---- */

static void on_link(void *arg, uint32_t provider, cm_time latency, cm_time jitter_sd, double bandwidth_bps, bool up) {
  struct emulate *em = arg;
  faas_world_set_link(em->world, provider, latency, jitter_sd, bandwidth_bps);
  faas_world_set_link_up(em->world, provider, up);
}

static GSocketAddress *listen_address(const char *listen, bool allow_remote, char **err) {
  GError *gerr = NULL;
  GSocketConnectable *na = g_network_address_parse(listen, 0, &gerr);
  if (!na) {
    *err = g_strdup_printf("listen address '%s': %s; expected HOST:PORT", listen, gerr->message);
    g_error_free(gerr);
    return NULL;
  }
  const char *host = g_network_address_get_hostname(G_NETWORK_ADDRESS(na));
  guint16 port = g_network_address_get_port(G_NETWORK_ADDRESS(na));
  GInetAddress *a = g_inet_address_new_from_string(strcmp(host, "localhost") == 0 ? "127.0.0.1" : host);
  g_object_unref(na);
  if (!a) {
    *err = g_strdup_printf("listen address '%s': not a numeric IP address (or localhost)", listen);
    return NULL;
  }
  if (!allow_remote && !g_inet_address_get_is_loopback(a)) {
    *err = g_strdup_printf("listen address '%s' is not loopback; refusing it without --allow-remote", listen);
    g_object_unref(a);
    return NULL;
  }
  GSocketAddress *sa = g_inet_socket_address_new(a, port);
  g_object_unref(a);
  return sa;
}

static char *setup(struct emulate *em, const struct emulate_config *c) {
  char *err = NULL;
  for (uint32_t i = 0; i < c->nproviders; i++) {
    em->plat[i] = emu__platform_find(c->providers[i].platform);
    if (!em->plat[i])
      return g_strdup_printf("provider '%s': platform '%s' has no emulated answers", c->providers[i].name,
                             c->providers[i].platform);
  }
  em->fnames = g_new0(char *, c->nfunctions + 1);
  for (uint32_t i = 0; i < c->nfunctions; i++) em->fnames[i] = g_strdup(c->functions[i].name);
  em->world = faas_world_new(em->sim, c->providers, c->nproviders, c->functions, c->nfunctions, &err);
  if (!em->world) return err;
  for (uint32_t i = 0; i < c->nfaults; i++)
    if (faas_world_add_fault(em->world, &c->faults[i]) != 0) return g_strdup_printf("fault %u refused by the world", i + 1);
  if (c->flight && !(em->flight = mobility_new(em->sim, c->flight, on_link, NULL, em, &err))) return err;
  for (uint32_t i = 0; i < c->nproviders; i++)
    g_hash_table_insert(em->by_name, (gpointer)faas_world_provider(em->world, i)->name, GUINT_TO_POINTER(i + 1));
  GSocketAddress *sa = listen_address(c->listen ? c->listen : "127.0.0.1:0", c->allow_remote, &err);
  if (!sa) return err;
  em->server = soup_server_new("server-header", "cloudmix-emulate ", NULL);
  soup_server_add_early_handler(em->server, NULL, on_early, em, NULL);
  soup_server_add_handler(em->server, NULL, on_request, em, NULL);
  GError *gerr = NULL;
  GSocketFamily family = g_socket_address_get_family(sa);
  GSocket *sock = g_socket_new(family, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, &gerr);
  if (sock && family == G_SOCKET_FAMILY_IPV6) g_socket_set_option(sock, IPPROTO_IPV6, IPV6_V6ONLY, TRUE, NULL);
  if (sock) g_socket_set_listen_backlog(sock, LISTEN_BACKLOG);
  gboolean ok = sock && g_socket_bind(sock, sa, TRUE, &gerr) && g_socket_listen(sock, &gerr) &&
                soup_server_listen_socket(em->server, sock, 0, &gerr);
  if (sock) g_object_unref(sock);
  GInetAddress *ia = g_inet_socket_address_get_address(G_INET_SOCKET_ADDRESS(sa));
  char *host = g_inet_address_to_string(ia);
  bool v6 = g_inet_address_get_family(ia) == G_SOCKET_FAMILY_IPV6;
  g_object_unref(sa);
  if (!ok) {
    err = g_strdup_printf("cannot listen on %s: %s", c->listen ? c->listen : "127.0.0.1:0", gerr->message);
    g_error_free(gerr);
    g_free(host);
    return err;
  }
  GSList *uris = soup_server_get_uris(em->server);
  em->port = uris ? g_uri_get_port(uris->data) : -1;
  g_slist_free_full(uris, (GDestroyNotify)g_uri_unref);
  em->url = g_strdup_printf(v6 ? "http://[%s]:%d" : "http://%s:%d", host, em->port);
  g_free(host);
  return NULL;
}

emulate *emulate_new(const struct emulate_config *c, char **err) {
  *err = NULL;
  struct emulate *em = g_new0(struct emulate, 1);
  em->np = c->nproviders;
  em->tfd = -1;
  em->sim = env_sim_new(c->seed);
  em->plat = g_new0(const struct emu_platform *, c->nproviders + 1);
  em->by_name = g_hash_table_new(g_str_hash, g_str_equal);
  em->counts = g_new0(uint64_t, (size_t)(c->nproviders + 1) * NSTATUS);
  em->nf = c->nfunctions;
  em->calls_by_fn = g_new0(uint64_t, (size_t)c->nproviders * c->nfunctions + 1);
  em->in_flight = g_new0(uint64_t, c->nproviders + 1);
  em->gone = g_new0(uint64_t, c->nproviders + 1);
  if (!em->sim) cm_fatal(CM_LOC, "emulate: out of memory");
  if (c->nproviders == 0) *err = g_strdup("no providers to emulate");
  else *err = setup(em, c);
  if (!*err) {
    em->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (em->tfd < 0) *err = g_strdup_printf("timerfd_create: %s", strerror(errno));
  }
  if (*err) {
    emulate_free(em);
    return NULL;
  }
  em->armed = CM_TIME_MAX;
  em->tsrc = g_source_new(&t_funcs, sizeof(struct timer_source));
  ((struct timer_source *)em->tsrc)->em = em;
  g_source_add_unix_fd(em->tsrc, em->tfd, G_IO_IN);
  g_source_set_priority(em->tsrc, G_PRIORITY_HIGH);
  g_source_attach(em->tsrc, g_main_context_get_thread_default());
  em->start_ns = env_wall_ns(em->sim); /* virtual 0: the fault windows count from here */
  em->waiting = c->clock_at_first_request;
  return em;
}

void emulate_free(emulate *em) {
  if (!em) return;
  if (em->server) soup_server_disconnect(em->server);
  mobility_free(em->flight);
  faas_world_free(em->world); /* cancels the world's events: no result comes any more */
  while (em->calls) {
    struct emu_call *c = em->calls;
    emu__call_unlink(em, c);
    emu__call_free(c);
  }
  if (em->server) g_object_unref(em->server);
  if (em->tsrc) {
    g_source_destroy(em->tsrc);
    g_source_unref(em->tsrc);
  }
  if (em->tfd >= 0) close(em->tfd);
  env_free(em->sim);
  g_hash_table_destroy(em->by_name);
  g_free(em->plat);
  g_strfreev(em->fnames);
  g_free(em->counts);
  g_free(em->calls_by_fn);
  g_free(em->in_flight);
  g_free(em->gone);
  g_free(em->url);
  g_free(em);
}

const char *emulate_url(const emulate *em) { return em->url; }
int emulate_port(const emulate *em) { return em->port; }
