/* The provider emulator (`cloudmix emulate`): an HTTP server (libsoup 3)
 * that serves every provider of a simulated serverless world on loopback,
 * each under /<provider-name> with its real platform's paths, headers,
 * throttle answer and timing signals (real/provider.h is the wire format).
 *
 * Method: the emulator holds a sim env (sim/env_sim.h) with the world of
 * sim/faas.h built from the given providers, functions and faults, and
 * pumps it in wall-clock time from the GLib main loop: virtual time is the
 * monotonic nanoseconds since emulate_new. Before a request is handed to
 * the world the sim env runs every event due up to the wall clock's now;
 * then env_invoke on the sim env, and the HTTP message is paused. When the
 * world delivers the result (submit + the modelled latency, uplink and
 * downlink included) the answer is formatted by the provider's platform
 * (real/emulate_<platform>.c) and the message unpaused. After each pump a
 * timerfd is armed at the sim's next event, so events fire on time to the
 * microsecond rather than GLib's millisecond. Cold starts, keep-alive,
 * scheduling delay, exec per bin, concurrency limits and queues, faults:
 * all are the simulator's own code (sim/faas*.c, sim/platform_*.c); the
 * emulator only translates. Fault windows are in seconds since start.
 *
 * Ownership: everything passed in is copied. The emulator belongs to the
 * thread whose default main context (g_main_context_get_thread_default,
 * or the global default) was current at emulate_new; that thread runs the
 * loop and calls every function here. */
#ifndef CM_EMULATE_H
#define CM_EMULATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "faas.h"
#include "mobility.h"

/* The deadline header our client may send (integer milliseconds > 0): the
 * model's invocation timeout for that call. Without it the platform's
 * default (sim/platform.h). Real platforms ignore it. */
#define EMULATE_TIMEOUT_HEADER "X-Cloudmix-Timeout-Ms"
/* The response size our client asks for (bytes), also in the body's
 * "response_bytes". With it and a Content-Length, the call is handed to
 * the world when its headers arrive, so the real upload overlaps the
 * modelled uplink instead of adding to it (the answer still waits for the
 * whole body); without, when the body is in. */
#define EMULATE_RESPONSE_HEADER "X-Cloudmix-Response-Bytes"
/* Our client's run clock when it sent the request (integer ns since its
 * run began). With clock_at_first_request the first request's value sets
 * the scenario's time 0, so the emulator's fault windows and flight line
 * up with the run even when its first call comes late (an open-loop
 * workload's first arrival). */
#define EMULATE_CLOCK_HEADER "X-Cloudmix-Clock-Ns"
/* A replayed call's execution time (integer ns > 0, struct
 * invocation.exec_hint): the world runs the function this long instead of
 * its model (sim/faas.h says how it combines with the provider's state).
 * Real platforms ignore it. */
#define EMULATE_EXEC_HEADER "X-Cloudmix-Exec-Ns"
/* Largest request body accepted (bytes); larger: 413. Also the cap on a
 * response body (a larger response_bytes still costs its full size in the
 * modelled downlink, but the body sent is cut to this). */
#define EMULATE_BODY_MAX (64u << 20)

struct emulate_config {
  const struct faas_provider *providers;
  uint32_t nproviders;
  const struct faas_function *functions;
  uint32_t nfunctions;
  const struct faas_fault *faults; /* times from emulate_new */
  uint32_t nfaults;
  uint64_t seed;      /* of the model's random streams */
  const char *listen; /* "HOST:PORT" or "[V6]:PORT", numeric host or localhost; port 0 = any; NULL = 127.0.0.1:0 */
  bool allow_remote;  /* false: refuse a listen address that is not loopback */
  /* The UAV's flight (NULL: none): its link changes reach the world as in
   * simulation (the radio link to each provider is part of the emulated
   * world); copied. */
  const struct mobility_config *flight;
  /* Start the scenario's clock (fault windows, the flight) at the first
   * request rather than at emulate_new, so it lines up with the run that
   * sends it (set back by the request's EMULATE_CLOCK_HEADER). */
  bool clock_at_first_request;
};

typedef struct emulate emulate;

/* Build the world and listen. NULL with *err (g_malloc'd, one line) on a
 * bad world, a bad or non-loopback address, or a failed bind. */
emulate *emulate_new(const struct emulate_config *c, char **err);
/* Stop listening, drop calls in flight (their connections are closed
 * without an answer) and free. NULL is a no-op. */
void emulate_free(emulate *em);

/* "http://HOST:PORT" with the port actually bound (owned by em). */
const char *emulate_url(const emulate *em);
int emulate_port(const emulate *em);

/* Answers sent so far for provider (NULL: requests that named no known
 * provider) with HTTP status (0: the connection was closed without an
 * answer, as for a link-down fault; -1: all statuses). */
uint64_t emulate_count(const emulate *em, const char *provider, int status);
/* Requests received for provider (NULL: unrouted) and still unanswered. */
uint64_t emulate_requests(const emulate *em, const char *provider);
uint64_t emulate_in_flight(const emulate *em, const char *provider);

/* Calls of function on provider that the world accepted (every answer
 * through the model, whatever its status); 0 for unknown names. */
uint64_t emulate_function_calls(const emulate *em, const char *provider, const char *function);

/* One line per provider, then one for unrouted requests ("(no provider)"),
 * each "emulate: NAME (PLATFORM): requests N, in flight N, client gone N,
 * answers STATUS=N ..." (answers "none" when there were none); then one
 * "emulate: calls PROVIDER FUNCTION N" per pair with calls. */
void emulate_print_stats(const emulate *em, FILE *f);

#endif
