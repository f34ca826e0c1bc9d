/* Control messages: canonical encodings, strict decoders, Ed25519
 * signatures over the bytes before the signature. Layouts in ctrl.h. */
#include "mixclaves/ctrl.h"

#include <math.h>
#include <string.h>

#include <sodium.h>

#include "mixclaves/bytes.h"

#define FORMAT 1

_Static_assert(sizeof(struct ctrl_metrics) == CTRL_METRICS_COUNT * 8, "metrics are u64s");
_Static_assert(CTRL_METRICS_COUNT * 8 <= CTRL_BODY_MAX, "metrics fit a reply");

static bool args_len_ok(uint8_t command, size_t len) {
  switch (command) {
  case CTRL_READ_METRICS:
  case CTRL_POISON_PILL: return len == 0;
  case CTRL_SET_COVER: return len == 8;
  case CTRL_INSTALL_EPOCH:
  case CTRL_COMMIT: return len == 4 + CTRL_HASH_BYTES;
  case CTRL_CANARY: return len >= 1 && len <= CTRL_CANARY_MAX;
  }
  return false;
}

static bool zero(const uint8_t *p, size_t n) {
  for (size_t i = 0; i < n; i++)
    if (p[i]) return false;
  return true;
}

/* The common 40-byte header: magic, format, then the per-kind fields. */
static void put_header(uint8_t *o, const char *magic, uint8_t b5, uint8_t b6, uint8_t b7, uint16_t n6, cm_addr a,
                       uint32_t epoch, uint64_t seq, cm_time t, uint16_t n32) {
  memset(o, 0, CTRL_HEADER_BYTES);
  memcpy(o, magic, 4);
  o[4] = FORMAT;
  o[5] = b5;
  if (n6 != UINT16_MAX) {
    o[6] = (uint8_t)(n6 >> 8);
    o[7] = (uint8_t)n6;
  } else {
    o[6] = b6;
    o[7] = b7;
  }
  mx_put_be32(o + 8, a);
  mx_put_be32(o + 12, epoch);
  mx_put_be64(o + 16, seq);
  mx_put_be64(o + 24, (uint64_t)t);
  o[32] = (uint8_t)(n32 >> 8);
  o[33] = (uint8_t)n32;
}

static uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* buf[0, len) holds body bytes then zeros only. */
static bool tail_zero(const uint8_t *buf, size_t used, size_t len) { return zero(buf + used, len - used); }

int ctrl_request_encode(const struct ctrl_request *r, uint8_t *out, size_t cap, size_t *len) {
  if (!r || !out || !len) return CM_EINVAL;
  if (!args_len_ok(r->command, r->args_len) || r->target == 0 || r->seq == 0 || r->surb_len > CTRL_SURB_MAX)
    return CM_EINVAL;
  size_t n = CTRL_HEADER_BYTES + r->args_len + r->surb_len + CTRL_SIG_BYTES;
  if (cap < n) return CM_ERANGE;
  put_header(out, "CMCT", r->command, 0, 0, r->args_len, r->target, r->epoch, r->seq, r->issued_at, r->surb_len);
  memcpy(out + CTRL_HEADER_BYTES, r->args, r->args_len);
  memcpy(out + CTRL_HEADER_BYTES + r->args_len, r->surb, r->surb_len);
  memcpy(out + n - CTRL_SIG_BYTES, r->sig, CTRL_SIG_BYTES);
  *len = n;
  return 0;
}

int ctrl_request_decode(const uint8_t *buf, size_t len, struct ctrl_request *r) {
  if (!buf || !r) return CM_EPARSE;
  if (len < CTRL_HEADER_BYTES + CTRL_SIG_BYTES || memcmp(buf, "CMCT", 4) != 0 || buf[4] != FORMAT ||
      !zero(buf + 34, 6))
    return CM_EPARSE;
  memset(r, 0, sizeof *r);
  r->command = buf[5];
  r->args_len = be16(buf + 6);
  r->target = mx_get_be32(buf + 8);
  r->epoch = mx_get_be32(buf + 12);
  r->seq = mx_get_be64(buf + 16);
  r->issued_at = (cm_time)mx_get_be64(buf + 24);
  r->surb_len = be16(buf + 32);
  if (!args_len_ok(r->command, r->args_len) || r->target == 0 || r->seq == 0 || r->surb_len > CTRL_SURB_MAX)
    return CM_EPARSE;
  size_t n = CTRL_HEADER_BYTES + (size_t)r->args_len + r->surb_len + CTRL_SIG_BYTES;
  if (len < n || !tail_zero(buf, n, len)) return CM_EPARSE;
  memcpy(r->args, buf + CTRL_HEADER_BYTES, r->args_len);
  memcpy(r->surb, buf + CTRL_HEADER_BYTES + r->args_len, r->surb_len);
  memcpy(r->sig, buf + n - CTRL_SIG_BYTES, CTRL_SIG_BYTES);
  return 0;
}

int ctrl_request_sign(struct ctrl_request *r, const uint8_t operator_sk[CTRL_SK_BYTES]) {
  uint8_t b[CTRL_REQUEST_MAX];
  size_t n;
  if (!operator_sk || ctrl_request_encode(r, b, sizeof b, &n) != 0) return CM_EINVAL;
  crypto_sign_detached(r->sig, NULL, b, n - CTRL_SIG_BYTES, operator_sk);
  return 0;
}

int ctrl_request_verify(const struct ctrl_request *r, const uint8_t operator_pk[CTRL_PK_BYTES]) {
  uint8_t b[CTRL_REQUEST_MAX];
  size_t n;
  if (!operator_pk || ctrl_request_encode(r, b, sizeof b, &n) != 0) return CM_EINVAL;
  return crypto_sign_verify_detached(r->sig, b, n - CTRL_SIG_BYTES, operator_pk) == 0 ? 0 : CM_EINVAL;
}

int ctrl_reply_encode(const struct ctrl_reply *r, uint8_t *out, size_t cap, size_t *len) {
  if (!r || !out || !len || r->body_len > CTRL_BODY_MAX || !ctrl_command_name(r->command) ||
      r->status > CTRL_NACK_FAILED)
    return CM_EINVAL;
  size_t n = CTRL_HEADER_BYTES + r->body_len + CTRL_SIG_BYTES;
  if (cap < n) return CM_ERANGE;
  put_header(out, "CMCR", r->command, r->status, 0, UINT16_MAX, r->node, r->epoch, r->seq, r->node_time,
             r->body_len);
  memcpy(out + CTRL_HEADER_BYTES, r->body, r->body_len);
  memcpy(out + n - CTRL_SIG_BYTES, r->sig, CTRL_SIG_BYTES);
  *len = n;
  return 0;
}

int ctrl_reply_decode(const uint8_t *buf, size_t len, struct ctrl_reply *r) {
  if (!buf || !r) return CM_EPARSE;
  if (len < CTRL_HEADER_BYTES + CTRL_SIG_BYTES || memcmp(buf, "CMCR", 4) != 0 || buf[4] != FORMAT || buf[7] ||
      !zero(buf + 34, 6))
    return CM_EPARSE;
  memset(r, 0, sizeof *r);
  r->command = buf[5];
  r->status = buf[6];
  r->node = mx_get_be32(buf + 8);
  r->epoch = mx_get_be32(buf + 12);
  r->seq = mx_get_be64(buf + 16);
  r->node_time = (cm_time)mx_get_be64(buf + 24);
  r->body_len = be16(buf + 32);
  if (!ctrl_command_name(r->command) || r->status > CTRL_NACK_FAILED || r->body_len > CTRL_BODY_MAX) return CM_EPARSE;
  size_t n = CTRL_HEADER_BYTES + (size_t)r->body_len + CTRL_SIG_BYTES;
  if (len < n || !tail_zero(buf, n, len)) return CM_EPARSE;
  memcpy(r->body, buf + CTRL_HEADER_BYTES, r->body_len);
  memcpy(r->sig, buf + n - CTRL_SIG_BYTES, CTRL_SIG_BYTES);
  return 0;
}

int ctrl_reply_sign(struct ctrl_reply *r, const uint8_t node_sk[CTRL_SK_BYTES]) {
  uint8_t b[CTRL_REPLY_MAX];
  size_t n;
  if (!node_sk || ctrl_reply_encode(r, b, sizeof b, &n) != 0) return CM_EINVAL;
  crypto_sign_detached(r->sig, NULL, b, n - CTRL_SIG_BYTES, node_sk);
  return 0;
}

int ctrl_reply_verify(const struct ctrl_reply *r, const uint8_t node_pk[CTRL_PK_BYTES]) {
  uint8_t b[CTRL_REPLY_MAX];
  size_t n;
  if (!node_pk || ctrl_reply_encode(r, b, sizeof b, &n) != 0) return CM_EINVAL;
  return crypto_sign_verify_detached(r->sig, b, n - CTRL_SIG_BYTES, node_pk) == 0 ? 0 : CM_EINVAL;
}

int ctrl_args_set_cover(struct ctrl_request *r, double loop_rate_per_s) {
  if (!r || !isfinite(loop_rate_per_s) || loop_rate_per_s < 0 || loop_rate_per_s * 1e6 > (double)CTRL_RATE_MAX_UPS)
    return CM_EINVAL;
  r->command = CTRL_SET_COVER;
  r->args_len = 8;
  mx_put_be64(r->args, (uint64_t)llround(loop_rate_per_s * 1e6));
  return 0;
}

int ctrl_args_cover_parse(const struct ctrl_request *r, double *loop_rate_per_s) {
  if (!r || !loop_rate_per_s || r->command != CTRL_SET_COVER || r->args_len != 8) return CM_EPARSE;
  uint64_t ups = mx_get_be64(r->args);
  if (ups > CTRL_RATE_MAX_UPS) return CM_EPARSE;
  *loop_rate_per_s = (double)ups / 1e6;
  return 0;
}

void ctrl_args_install_epoch(struct ctrl_request *r, uint32_t version, const uint8_t hash[CTRL_HASH_BYTES]) {
  r->command = CTRL_INSTALL_EPOCH;
  r->args_len = 4 + CTRL_HASH_BYTES;
  mx_put_be32(r->args, version);
  memcpy(r->args + 4, hash, CTRL_HASH_BYTES);
}

int ctrl_args_install_parse(const struct ctrl_request *r, uint32_t *version, uint8_t hash[CTRL_HASH_BYTES]) {
  if (!r || r->command != CTRL_INSTALL_EPOCH || r->args_len != 4 + CTRL_HASH_BYTES) return CM_EPARSE;
  *version = mx_get_be32(r->args);
  memcpy(hash, r->args + 4, CTRL_HASH_BYTES);
  return 0;
}

void ctrl_args_commit(struct ctrl_request *r, uint32_t version, const uint8_t hash[CTRL_HASH_BYTES]) {
  ctrl_args_install_epoch(r, version, hash);
  r->command = CTRL_COMMIT;
}

int ctrl_args_commit_parse(const struct ctrl_request *r, uint32_t *version, uint8_t hash[CTRL_HASH_BYTES]) {
  if (!r || r->command != CTRL_COMMIT || r->args_len != 4 + CTRL_HASH_BYTES) return CM_EPARSE;
  *version = mx_get_be32(r->args);
  memcpy(hash, r->args + 4, CTRL_HASH_BYTES);
  return 0;
}

int ctrl_args_canary(struct ctrl_request *r, const char *text) {
  size_t n = text ? strlen(text) : 0;
  if (!r || n < 1 || n > CTRL_CANARY_MAX) return CM_EINVAL;
  r->command = CTRL_CANARY;
  r->args_len = (uint16_t)n;
  memcpy(r->args, text, n);
  return 0;
}

void ctrl_metrics_put(struct ctrl_reply *r, const struct ctrl_metrics *m) {
  const uint64_t *f = (const uint64_t *)m;
  for (size_t i = 0; i < CTRL_METRICS_COUNT; i++) mx_put_be64(r->body + 8 * i, f[i]);
  r->body_len = CTRL_METRICS_COUNT * 8;
}

int ctrl_metrics_parse(const struct ctrl_reply *r, struct ctrl_metrics *m) {
  if (!r || !m || r->command != CTRL_READ_METRICS || r->body_len != CTRL_METRICS_COUNT * 8) return CM_EPARSE;
  uint64_t *f = (uint64_t *)m;
  for (size_t i = 0; i < CTRL_METRICS_COUNT; i++) f[i] = mx_get_be64(r->body + 8 * i);
  return 0;
}

const char *ctrl_command_name(uint8_t command) {
  switch (command) {
  case CTRL_READ_METRICS: return "read_metrics";
  case CTRL_SET_COVER: return "set_cover";
  case CTRL_INSTALL_EPOCH: return "install_epoch";
  case CTRL_CANARY: return "canary";
  case CTRL_POISON_PILL: return "poison_pill";
  case CTRL_COMMIT: return "commit";
  }
  return NULL;
}
