/* The platforms that answer in plain HTTP, and the emulator's platform
 * table. Each answers ok with 200 and the handler's body; a throttle, an
 * error or a timeout with the HTTP status the world gives
 * (sim/platform_*.c: refused at the limit, queue timeout; 500 for errors
 * and outages; 504 at a client deadline) and a body in the platform's words:
 *   azure     POST /api/NAME; 429 at the limit.
 *   cloudrun  POST /NAME; 429 "no available instance" after the queue wait
 *             (Cloud Run's own text).
 *   openfaas  POST /function/NAME; X-Duration-Seconds (exec, s) on every
 *             answer that ran; 429 at max_inflight (the of-watchdog's text),
 *             503 after the gateway's queue wait.
 *   fission   POST /fission-function/NAME; 429 / 503 likewise. */
#include <string.h>

#include "emulate_impl.h"

struct texts {
  const char *refused, *queue_timeout, *error;
  bool duration_header; /* OpenFaaS's X-Duration-Seconds */
};

static void answer(const struct emu_call *c, const struct invoke_result *res, SoupServerMessage *msg,
                   const struct texts *t) {
  SoupMessageHeaders *h = soup_server_message_get_response_headers(msg);
  if (t->duration_header && (res->exec_time > 0 || res->status == INVOKE_OK)) {
    char d[32];
    g_snprintf(d, sizeof d, "%.6f", (double)res->exec_time / 1e9);
    soup_message_headers_replace(h, "X-Duration-Seconds", d);
  }
  switch (res->status) {
  case INVOKE_OK: {
    size_t len;
    char *b = emu__handler_body(c, res, &len);
    emu__reply(msg, 200, "application/json", b, len);
    break;
  }
  case INVOKE_THROTTLED:
    emu__reply_text(msg, res->http_status, res->http_status == 429 && t->refused ? t->refused : t->queue_timeout);
    break;
  case INVOKE_ERROR: emu__reply_text(msg, res->http_status ? res->http_status : 500, t->error); break;
  default: emu__reply_text(msg, 504, "deadline exceeded: no answer within the invocation's timeout"); break;
  }
}

static const struct texts azure_t = {"Too many requests: the function's concurrency limit is reached",
                                     "Too many requests", "Internal Server Error: the function failed", false};
static void azure_answer(const struct emu_call *c, const struct invoke_result *r, SoupServerMessage *m) {
  answer(c, r, m, &azure_t);
}

/* Cloud Run refuses nothing at once (it queues); its 429 text is the one
 * it sends after the wait. */
static const struct texts cloudrun_t = {NULL, "The request was aborted because there was no available instance.",
                                        "Internal Server Error", false};
static void cloudrun_answer(const struct emu_call *c, const struct invoke_result *r, SoupServerMessage *m) {
  answer(c, r, m, &cloudrun_t);
}

static const struct texts openfaas_t = {"Concurrent request limit exceeded. Max concurrent requests reached",
                                        "no endpoints available: the gateway's queue wait ran out",
                                        "Internal Server Error: the function failed", true};
static void openfaas_answer(const struct emu_call *c, const struct invoke_result *r, SoupServerMessage *m) {
  answer(c, r, m, &openfaas_t);
}

static const struct texts fission_t = {"Too many requests: the function's replica limit is reached",
                                       "Service Unavailable: no function pod became ready in time",
                                       "Internal Server Error: the function failed", false};
static void fission_answer(const struct emu_call *c, const struct invoke_result *r, SoupServerMessage *m) {
  answer(c, r, m, &fission_t);
}

static const struct emu_platform azure = {"azure", {{"/api/", ""}}, azure_answer};
static const struct emu_platform cloudrun = {"cloudrun", {{"/", ""}}, cloudrun_answer};
static const struct emu_platform openfaas = {"openfaas", {{"/function/", ""}}, openfaas_answer};
static const struct emu_platform fission = {"fission", {{"/fission-function/", ""}}, fission_answer};

const struct emu_platform *const emu__platforms[] = {&emu__lambda, &azure, &cloudrun, &openfaas, &fission, NULL};

const struct emu_platform *emu__platform_find(const char *name) {
  for (const struct emu_platform *const *p = emu__platforms; *p; p++)
    if (strcmp((*p)->name, name) == 0) return *p;
  return NULL;
}
