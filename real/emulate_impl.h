/* Inside the provider emulator (real/emulate*.c only): one call in flight,
 * the per-platform answer table, and the helpers the platform files share
 * (request body scanning, the handler's response body). emulate.c owns the
 * server, the pump and the counts; emulate_call.c a call's life through the
 * world; emulate_body.c the JSON; one file per
 * platform family formats answers (emulate_lambda.c, emulate_http.c). */
#ifndef CM_EMULATE_IMPL_H
#define CM_EMULATE_IMPL_H

#include <libsoup/soup.h>

#include "emulate.h"
#include "env_sim.h"

/* One request handed to the world, from env_invoke to its answer. */
struct emu_call {
  struct emulate *em;
  SoupServerMessage *msg;      /* a reference held while paused */
  gulong on_finished, on_disconnected; /* signal handler ids: the client went away */
  bool gone;                   /* the message finished before our answer */
  uint32_t provider, bin;
  int route;                   /* index of the platform route that matched */
  const struct faas_provider *p; /* the world's copy (platform defaults in) */
  char *id;                    /* the request body's "id" (JSON string contents), or NULL */
  size_t response_bytes;       /* requested; 0 = the minimal body */
  bool log_tail;               /* Lambda: X-Amz-Log-Type: Tail */
  request_id rid;              /* the world's invocation */
  bool early;                  /* handed to the world when its headers came (the body still uploading) */
  bool body_done;              /* the whole body is in (always, for calls not early) */
  bool have_result;            /* early: the world answered before the body was in; res holds it */
  struct invoke_result res;
  struct emu_call *prev, *next; /* calls in flight */
};

/* The emulator (emulate.c). */
struct emulate {
  env *sim;
  faas_world *world;
  uint32_t np;
  const struct emu_platform **plat; /* per provider */
  GHashTable *by_name;              /* provider name -> index + 1 */
  char **fnames;                    /* the world's functions, by index */
  SoupServer *server;
  GSource *tsrc;                    /* struct timer_source, watches tfd */
  int tfd;
  cm_time armed;                    /* tfd's expiry; CM_TIME_MAX: disarmed */
  int64_t start_ns;
  bool waiting;                     /* clock_at_first_request, before the first request: time stands at 0 */
  mobility *flight;
  uint64_t *counts;                 /* (np + 1) x NSTATUS; row np: unrouted */
  uint64_t *in_flight, *gone;       /* per row */
  uint64_t *calls_by_fn;            /* np x nf: calls the world accepted, per provider and function */
  uint32_t nf;
  struct emu_call *calls;           /* in flight */
  char *url;
  int port;
};

/* Where a request goes (emulate.c's router). */
struct route {
  int provider;  /* -1: none matched */
  int route;
  int fn;
  uint32_t bin;
  char msg[160]; /* why not, for a 404 */
};

/* emulate.c: the pump, the counts, an answer not through the world */
/* Run the world's events due up to the wall clock's now. */
void emu__pump(struct emulate *em);
void emu__count(struct emulate *em, uint32_t row, int status);
void emu__reply_now(struct emulate *em, SoupServerMessage *msg, const struct route *r, int status, const char *text);

/* emulate_call.c: calls through the world */
/* Hand the call to the world (early: its body is still coming); NULL
 * (answered 500) if the world refuses. id is taken. */
struct emu_call *emu__start_call(struct emulate *em, SoupServerMessage *msg, const struct route *r,
                                 size_t request_bytes, size_t response_bytes, cm_time timeout, char *id, bool early);
/* An early call's body is in: check it, answer now or wait for the world. */
void emu__body_in(struct emulate *em, SoupServerMessage *msg, struct emu_call *c);
/* The deadline header's value (0 when absent, -1 when malformed). */
cm_time emu__timeout_header(SoupServerMessage *msg);
/* EMULATE_EXEC_HEADER's value in ns; 0 without it; -1 when malformed. */
cm_time emu__exec_header(SoupServerMessage *msg);
/* Scan msg's whole body: "id", "response_bytes", length; CM_EPARSE if not one JSON object. */
int emu__scan_body(SoupServerMessage *msg, char **id, size_t *rb, size_t *len);
void emu__call_unlink(struct emulate *em, struct emu_call *c);
void emu__call_free(struct emu_call *c);

/* How one platform is addressed and how it answers. */
struct emu_route {
  const char *prefix; /* after /<provider>, up to the function name */
  const char *suffix; /* after the name; "" = nothing */
};

#define EMU_MAX_ROUTES 2

struct emu_platform {
  const char *name; /* the sim platform type (sim/platform.h) */
  struct emu_route routes[EMU_MAX_ROUTES]; /* NULL prefix ends */
  /* Set msg's status, headers and body for the world's result res of call
   * c (never INVOKE_NETWORK: emulate.c closes the connection then). */
  void (*answer)(const struct emu_call *c, const struct invoke_result *res, SoupServerMessage *msg);
};

/* The table, NULL-terminated (emulate_http.c), and a lookup by name. */
extern const struct emu_platform *const emu__platforms[];
const struct emu_platform *emu__platform_find(const char *name);

extern const struct emu_platform emu__lambda;

/* emulate_body.c */
/* Check that body is one JSON object; take its top-level "id" (string
 * contents, g_malloc'd, escapes kept) and "response_bytes" (an integer >=
 * 0; *response_bytes untouched when absent). 0, or CM_EPARSE (then *id is
 * NULL). */
int emu__json_scan(const char *body, size_t len, char **id, size_t *response_bytes);
/* The deployed handler's response body (real/provider.h), padded to
 * c->response_bytes (at most EMULATE_BODY_MAX). g_malloc'd, *len set. */
char *emu__handler_body(const struct emu_call *c, const struct invoke_result *res, size_t *len);
/* Set status and a body msg takes (g_malloc'd) with its content type. */
void emu__reply(SoupServerMessage *msg, int status, const char *ctype, char *body, size_t len);
/* Status and a one-line text body (a newline is added). */
void emu__reply_text(SoupServerMessage *msg, int status, const char *text);

#endif
