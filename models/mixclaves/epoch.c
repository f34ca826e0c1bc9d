/* The epoch digest: canonical encoding, strict decoding, operator and node
 * signatures (libsodium Ed25519, BLAKE2b-256), and the semilattice merge;
 * the format and the merge's definition are in epoch.h. */
#include "mixclaves/epoch.h"

#include <string.h>

#include <sodium.h>

#include "mixclaves/bytes.h"

static const uint8_t magic[4] = {'C', 'M', 'E', 'D'};
static const uint8_t node_magic[4] = {'C', 'M', 'E', 'N'};
enum { FORMAT = 1, FLAG_COMMITTED = 1 };

static bool valid(const struct epoch_digest *d) {
  if (!d || d->n > EPOCH_MAX_NODES) return false;
  for (uint32_t i = 0; i < d->n; i++) {
    if (d->nodes[i].addr == 0 || d->nodes[i].role >= EPOCH_NROLES) return false;
    if (i > 0 && d->nodes[i - 1].addr >= d->nodes[i].addr) return false;
  }
  return true;
}

static void node_put(uint8_t *p, const struct epoch_node *nd) {
  mx_put_be32(p, nd->addr);
  memcpy(p + 4, nd->sign_pk, 32);
  memcpy(p + 36, nd->sphinx_pk, 32);
  p[68] = nd->layer;
  p[69] = nd->role;
}

static void node_get(const uint8_t *p, struct epoch_node *nd) {
  nd->addr = mx_get_be32(p);
  memcpy(nd->sign_pk, p + 4, 32);
  memcpy(nd->sphinx_pk, p + 36, 32);
  nd->layer = p[68];
  nd->role = p[69];
}

/* The body into out (EPOCH_ENCODED_BYTES(d->n) - EPOCH_SIG_BYTES bytes). */
static size_t body_put(const struct epoch_digest *d, uint8_t *out) {
  memcpy(out, magic, 4);
  out[4] = FORMAT;
  out[5] = d->committed ? FLAG_COMMITTED : 0;
  out[6] = out[7] = 0;
  mx_put_be32(out + 8, d->version);
  mx_put_be64(out + 12, (uint64_t)d->timestamp);
  mx_put_be32(out + 20, d->n);
  for (uint32_t i = 0; i < d->n; i++) node_put(out + EPOCH_HEADER_BYTES + (size_t)i * EPOCH_NODE_BYTES, &d->nodes[i]);
  return EPOCH_HEADER_BYTES + (size_t)d->n * EPOCH_NODE_BYTES;
}

void epoch_digest_init(struct epoch_digest *d, uint32_t version, cm_time timestamp) {
  memset(d, 0, sizeof *d);
  d->version = version;
  d->timestamp = timestamp;
}

int epoch_digest_find(const struct epoch_digest *d, cm_addr addr) {
  uint32_t lo = 0, hi = d->n;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (d->nodes[mid].addr < addr)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < d->n && d->nodes[lo].addr == addr ? (int)lo : CM_ENOENT;
}

int epoch_digest_put(struct epoch_digest *d, const struct epoch_node *node) {
  if (!d || !node || node->addr == 0 || node->role >= EPOCH_NROLES || d->n > EPOCH_MAX_NODES) return CM_EINVAL;
  uint32_t i = 0;
  while (i < d->n && d->nodes[i].addr < node->addr) i++;
  if (i == d->n || d->nodes[i].addr != node->addr) {
    if (d->n == EPOCH_MAX_NODES) return CM_ERANGE;
    memmove(&d->nodes[i + 1], &d->nodes[i], (d->n - i) * sizeof d->nodes[0]);
    d->n++;
  }
  d->nodes[i] = *node;
  memset(d->sig, 0, sizeof d->sig);
  return 0;
}

int epoch_digest_encode(const struct epoch_digest *d, uint8_t *out, size_t cap, size_t *len) {
  if (!valid(d) || !out || !len) return CM_EINVAL;
  size_t need = EPOCH_ENCODED_BYTES(d->n);
  if (cap < need) return CM_ERANGE;
  size_t body = body_put(d, out);
  memcpy(out + body, d->sig, EPOCH_SIG_BYTES);
  *len = need;
  return 0;
}

int epoch_digest_decode(const uint8_t *buf, size_t len, struct epoch_digest *d) {
  if (!buf || !d || len < EPOCH_ENCODED_BYTES(0) || len > EPOCH_MAX_BYTES) return CM_EPARSE;
  if (memcmp(buf, magic, 4) != 0 || buf[4] != FORMAT || (buf[5] & ~FLAG_COMMITTED) != 0 || buf[6] != 0 ||
      buf[7] != 0)
    return CM_EPARSE;
  uint32_t n = mx_get_be32(buf + 20);
  if (n > EPOCH_MAX_NODES || len != EPOCH_ENCODED_BYTES(n)) return CM_EPARSE;
  struct epoch_digest t;
  epoch_digest_init(&t, mx_get_be32(buf + 8), (cm_time)mx_get_be64(buf + 12));
  t.committed = buf[5] & FLAG_COMMITTED;
  t.n = n;
  for (uint32_t i = 0; i < n; i++) node_get(buf + EPOCH_HEADER_BYTES + (size_t)i * EPOCH_NODE_BYTES, &t.nodes[i]);
  memcpy(t.sig, buf + len - EPOCH_SIG_BYTES, EPOCH_SIG_BYTES);
  if (!valid(&t)) return CM_EPARSE;
  *d = t;
  return 0;
}

int epoch_digest_hash(const struct epoch_digest *d, uint8_t out[EPOCH_HASH_BYTES]) {
  uint8_t body[EPOCH_MAX_BYTES];
  if (!valid(d) || !out) return CM_EINVAL;
  size_t blen = body_put(d, body);
  crypto_generichash(out, EPOCH_HASH_BYTES, body, blen, NULL, 0);
  return 0;
}

int epoch_digest_sign(struct epoch_digest *d, const uint8_t operator_sk[EPOCH_SK_BYTES]) {
  uint8_t body[EPOCH_MAX_BYTES];
  if (!valid(d) || !operator_sk) return CM_EINVAL;
  size_t blen = body_put(d, body);
  crypto_sign_detached(d->sig, NULL, body, blen, operator_sk);
  return 0;
}

static bool sig_zero(const uint8_t sig[EPOCH_SIG_BYTES]) {
  uint8_t acc = 0;
  for (int i = 0; i < EPOCH_SIG_BYTES; i++) acc |= sig[i];
  return acc == 0;
}

int epoch_digest_verify(const struct epoch_digest *d, const uint8_t operator_pk[EPOCH_PK_BYTES]) {
  uint8_t body[EPOCH_MAX_BYTES];
  if (!valid(d) || !operator_pk || sig_zero(d->sig)) return CM_EINVAL;
  size_t blen = body_put(d, body);
  return crypto_sign_verify_detached(d->sig, body, blen, operator_pk) == 0 ? 0 : CM_EINVAL;
}

/* "CMEN" || hash(d) || nonce, what a node signs. */
static int node_message(const struct epoch_digest *d, const uint8_t nonce[EPOCH_NONCE_BYTES],
                        uint8_t msg[4 + EPOCH_HASH_BYTES + EPOCH_NONCE_BYTES]) {
  if (!nonce) return CM_EINVAL;
  memcpy(msg, node_magic, 4);
  memcpy(msg + 4 + EPOCH_HASH_BYTES, nonce, EPOCH_NONCE_BYTES);
  return epoch_digest_hash(d, msg + 4);
}

int epoch_node_sign(const struct epoch_digest *d, const uint8_t node_sk[EPOCH_SK_BYTES],
                    const uint8_t nonce[EPOCH_NONCE_BYTES], uint8_t sig[EPOCH_SIG_BYTES]) {
  uint8_t msg[4 + EPOCH_HASH_BYTES + EPOCH_NONCE_BYTES];
  if (!node_sk || !sig) return CM_EINVAL;
  int rc = node_message(d, nonce, msg);
  if (rc < 0) return rc;
  crypto_sign_detached(sig, NULL, msg, sizeof msg, node_sk);
  return 0;
}

int epoch_node_verify(const struct epoch_digest *d, cm_addr addr, const uint8_t nonce[EPOCH_NONCE_BYTES],
                      const uint8_t sig[EPOCH_SIG_BYTES]) {
  uint8_t msg[4 + EPOCH_HASH_BYTES + EPOCH_NONCE_BYTES];
  if (!sig) return CM_EINVAL;
  int rc = node_message(d, nonce, msg);
  if (rc < 0) return rc;
  int i = epoch_digest_find(d, addr);
  if (i < 0) return i;
  return crypto_sign_verify_detached(sig, msg, sizeof msg, d->nodes[i].sign_pk) == 0 ? 0 : CM_EINVAL;
}

bool epoch_digest_equal(const struct epoch_digest *a, const struct epoch_digest *b) {
  uint8_t ea[EPOCH_MAX_BYTES], eb[EPOCH_MAX_BYTES];
  size_t la, lb;
  if (epoch_digest_encode(a, ea, sizeof ea, &la) < 0 || epoch_digest_encode(b, eb, sizeof eb, &lb) < 0) return false;
  return la == lb && memcmp(ea, eb, la) == 0;
}

/* -1, 0, 1 as a's version is below, equal to, above b's. */
static int rank_cmp(const struct epoch_digest *a, const struct epoch_digest *b) {
  if (a->version != b->version) return a->version < b->version ? -1 : 1;
  return 0;
}

static bool body_equal(const struct epoch_digest *a, const struct epoch_digest *b) {
  uint8_t ea[EPOCH_MAX_BYTES], eb[EPOCH_MAX_BYTES];
  size_t la = body_put(a, ea), lb = body_put(b, eb);
  return la == lb && memcmp(ea, eb, la) == 0;
}

/* The smaller (memcmp) of the two nodes' encodings. */
static const struct epoch_node *node_min(const struct epoch_node *x, const struct epoch_node *y) {
  uint8_t ex[EPOCH_NODE_BYTES], ey[EPOCH_NODE_BYTES];
  node_put(ex, x);
  node_put(ey, y);
  return memcmp(ex, ey, sizeof ex) <= 0 ? x : y;
}

/* Equal rank: the union by address (rule 2 of epoch.h) into *m. */
static int unite(const struct epoch_digest *a, const struct epoch_digest *b, struct epoch_digest *m) {
  epoch_digest_init(m, a->version, a->timestamp > b->timestamp ? a->timestamp : b->timestamp);
  m->committed = a->committed;
  uint32_t i = 0, j = 0;
  while (i < a->n || j < b->n) {
    const struct epoch_node *take;
    if (j == b->n || (i < a->n && a->nodes[i].addr < b->nodes[j].addr))
      take = &a->nodes[i++];
    else if (i == a->n || b->nodes[j].addr < a->nodes[i].addr)
      take = &b->nodes[j++];
    else
      take = node_min(&a->nodes[i++], &b->nodes[j++]);
    if (m->n == EPOCH_MAX_NODES) return CM_ERANGE;
    m->nodes[m->n++] = *take;
  }
  /* rule 3: the smallest non-zero signature of an input with this body */
  const uint8_t *best = NULL;
  const struct epoch_digest *in[2] = {a, b};
  for (int k = 0; k < 2; k++) {
    if (sig_zero(in[k]->sig) || !body_equal(in[k], m)) continue;
    if (!best || memcmp(in[k]->sig, best, EPOCH_SIG_BYTES) < 0) best = in[k]->sig;
  }
  if (best) memcpy(m->sig, best, EPOCH_SIG_BYTES);
  return 0;
}

int epoch_digest_merge(const struct epoch_digest *a, const struct epoch_digest *b, struct epoch_digest *out) {
  if (!valid(a) || !valid(b) || !out || a->committed != b->committed) return CM_EINVAL;
  int c = rank_cmp(a, b);
  if (c != 0) {
    if (out != (c > 0 ? a : b)) *out = c > 0 ? *a : *b;
    return 0;
  }
  struct epoch_digest m; /* out may alias a or b */
  int rc = unite(a, b, &m);
  if (rc < 0) return rc;
  *out = m;
  return 0;
}
