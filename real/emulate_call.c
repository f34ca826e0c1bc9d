/* The provider emulator's calls through the world (emulate_impl.h): a
 * request handed to the simulated world when its headers arrive (our
 * client states the response size up front) or when its body is in, the
 * world's answer delivered when both the answer and the whole body are
 * there, and clients that leave meanwhile. emulate.c routes and pumps. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "emulate_impl.h"

static gboolean reap(gpointer data);

static void on_finished(SoupServerMessage *msg CM_UNUSED, gpointer data) {
  struct emu_call *c = data;
  if (c->gone) return;
  c->gone = true;
  if (c->have_result && !c->body_done) g_idle_add(reap, c); /* not from inside libsoup's signal */
}

void emu__call_unlink(struct emulate *em, struct emu_call *c) {
  if (c->prev) c->prev->next = c->next;
  else em->calls = c->next;
  if (c->next) c->next->prev = c->prev;
  em->in_flight[c->provider]--;
  g_signal_handler_disconnect(c->msg, c->on_finished);
  g_signal_handler_disconnect(c->msg, c->on_disconnected);
}

void emu__call_free(struct emu_call *c) {
  g_object_unref(c->msg);
  g_free(c->id);
  g_free(c);
}

/* Close the client's connection without an answer (the world says no HTTP
 * answer came: a link that is down). */
static void drop_connection(SoupServerMessage *msg) {
  GIOStream *io = soup_server_message_steal_connection(msg);
  if (io) {
    g_io_stream_close(io, NULL, NULL);
    g_object_unref(io);
  }
}

/* Has the client closed its connection? libsoup does not watch a paused
 * message's socket, so look: end of stream (or an error) means gone;
 * pending bytes (a pipelined request) do not. */
static bool peer_closed(SoupServerMessage *msg) {
  GSocket *s = soup_server_message_get_socket(msg);
  if (!s) return true;
  char b;
  ssize_t n = recv(g_socket_get_fd(s), &b, 1, MSG_PEEK | MSG_DONTWAIT);
  return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
}

/* Give the world's answer res to c's client (c's message is paused unless
 * it was never paused: an early call whose body came after its answer). */
static void deliver(struct emu_call *c, const struct invoke_result *res, bool paused) {
  struct emulate *em = c->em;
  emu__call_unlink(em, c);
  if (c->gone) {
    em->gone[c->provider]++;
  } else if (peer_closed(c->msg)) { /* free the connection now: nobody reads the answer */
    drop_connection(c->msg);
    em->gone[c->provider]++;
  } else if (res->status == INVOKE_NETWORK) {
    drop_connection(c->msg);
    emu__count(em, c->provider, 0);
  } else {
    em->plat[c->provider]->answer(c, res, c->msg);
    emu__count(em, c->provider, (int)soup_server_message_get_status(c->msg));
    if (paused) soup_server_message_unpause(c->msg);
  }
  emu__call_free(c);
}

static void on_result(env *e CM_UNUSED, void *arg, const struct invoke_result *res) {
  struct emu_call *c = arg;
  c->rid = 0;
  if (!c->body_done && !c->gone) { /* the body is still coming: answer when it is in */
    c->res = *res;
    c->have_result = true;
    return;
  }
  deliver(c, res, true);
}

/* An early call whose client left before its body was in, after the world
 * answered: nothing more will come for it. */
static gboolean reap(gpointer data) {
  struct emu_call *c = data;
  deliver(c, &c->res, false);
  return G_SOURCE_REMOVE;
}

/* The caller's run clock (ns since its run began) from EMULATE_CLOCK_HEADER,
 * or 0 when absent or not a sane number (under a day). */
static cm_time run_clock(SoupServerMessage *msg) {
  const char *v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), EMULATE_CLOCK_HEADER);
  if (!v) return 0;
  char *end = NULL;
  errno = 0;
  unsigned long long ns = strtoull(v, &end, 10);
  if (errno || end == v || *end || ns > 86400ull * 1000000000ull) return 0;
  return (cm_time)ns;
}

cm_time emu__timeout_header(SoupServerMessage *msg) {
  const char *v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), EMULATE_TIMEOUT_HEADER);
  if (!v) return 0;
  char *end = NULL;
  errno = 0;
  unsigned long long ms = strtoull(v, &end, 10);
  if (errno || end == v || *end || ms == 0 || ms > 1000ull * 86400 * 365) return -1;
  return CM_MS((cm_time)ms);
}

cm_time emu__exec_header(SoupServerMessage *msg) {
  const char *v = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), EMULATE_EXEC_HEADER);
  if (!v) return 0;
  char *end = NULL;
  errno = 0;
  unsigned long long ns = strtoull(v, &end, 10);
  if (errno || end == v || *end || ns == 0 || ns > 86400ull * 1000000000ull * 365) return -1;
  return (cm_time)ns;
}

/* Hand the call to the world; NULL (answered 500) if it refuses. id is taken. */
struct emu_call *emu__start_call(struct emulate *em, SoupServerMessage *msg, const struct route *r,
                                   size_t request_bytes, size_t response_bytes, cm_time timeout, char *id, bool early) {
  const char *tail = soup_message_headers_get_one(soup_server_message_get_request_headers(msg), "X-Amz-Log-Type");
  struct emu_call *c = g_new0(struct emu_call, 1);
  *c = (struct emu_call){.em = em, .msg = msg, .provider = (uint32_t)r->provider, .bin = r->bin, .route = r->route,
                         .p = faas_world_provider(em->world, (uint32_t)r->provider), .id = id,
                         .response_bytes = response_bytes, .log_tail = tail && g_ascii_strcasecmp(tail, "Tail") == 0,
                         .early = early, .body_done = !early};
  struct invocation inv = {.id = id ? g_ascii_strtoull(id, NULL, 10) : 0,
                           .function = em->fnames[r->fn],
                           .provider = c->provider, .bin = r->bin, .request_bytes = request_bytes,
                           .response_bytes = response_bytes, .timeout = timeout};
  cm_time hint = emu__exec_header(msg); /* checked by the caller */
  inv.exec_hint = hint > 0 ? hint : 0;
  if (em->waiting) { /* the first request starts the scenario's clock, where its run's clock stands */
    em->waiting = false;
    em->start_ns = env_wall_ns(em->sim) - run_clock(msg);
  }
  emu__pump(em);
  c->rid = env_invoke(em->sim, &inv, on_result, c);
  if (c->rid >= 0) em->calls_by_fn[(size_t)c->provider * em->nf + (size_t)r->fn]++;
  if (c->rid < 0) {
    g_free(id);
    g_free(c);
    emu__reply_now(em, msg, r, 500, "emulator: the world refused the invocation");
    return NULL;
  }
  g_object_ref(msg);
  c->on_finished = g_signal_connect(msg, "finished", G_CALLBACK(on_finished), c);
  c->on_disconnected = g_signal_connect(msg, "disconnected", G_CALLBACK(on_finished), c);
  c->next = em->calls;
  if (em->calls) em->calls->prev = c;
  em->calls = c;
  em->in_flight[c->provider]++;
  if (early) g_object_set_data(G_OBJECT(msg), "cloudmix-call", c);
  return c;
}

/* Scan msg's whole request body (real/provider.h): its "id" and
 * "response_bytes", and its length in *len. CM_EPARSE for a body that is
 * not one JSON object. */
int emu__scan_body(SoupServerMessage *msg, char **id, size_t *rb, size_t *len) {
  GBytes *bytes = soup_message_body_flatten(soup_server_message_get_request_body(msg));
  gsize n = 0;
  const char *d = g_bytes_get_data(bytes, &n);
  int bad = emu__json_scan(d ? d : "", n, id, rb);
  g_bytes_unref(bytes);
  *len = n;
  return bad;
}

/* An early call's body is in: check it, then answer now (the world already
 * did) or wait for the world. */
void emu__body_in(struct emulate *em, SoupServerMessage *msg, struct emu_call *c) {
  g_object_set_data(G_OBJECT(msg), "cloudmix-call", NULL);
  c->body_done = true;
  size_t rb = 0, len = 0;
  char *id = NULL;
  if (emu__scan_body(msg, &id, &rb, &len)) {
    if (c->rid > 0) env_invoke_cancel(em->sim, c->rid);
    emu__call_unlink(em, c);
    struct route r = {.provider = (int)c->provider};
    emu__call_free(c);
    emu__reply_now(em, msg, &r, 400, "bad request body: expected one JSON object (real/provider.h)");
    return;
  }
  c->id = id;
  if (c->have_result) deliver(c, &c->res, false);
  else soup_server_message_pause(msg);
}

