/* Writes the seed corpora of the fuzz targets into DIR/<target>/. For
 * Mixclaves: valid packets under the targets' fixed keys and addresses
 * (fuzz_common.h) of every profile and codec, hop count, type and a SURB
 * reply, the plaintext layouts the forge mode turns into packets, and a few
 * malformed ones. For the provider adapters: HTTP answers of every outcome
 * (Lambda REPORT tails warm and cold, OpenFaaS durations, self-reports,
 * truncated ones); control messages (fuzz_ctrl). Deterministic (randomness from a fixed rng seed).
 * Usage: make fuzz-corpus (runs make_corpus tests/fuzz/corpus). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <glib.h>
#include <sodium.h>

#include "fuzz_common.h"
#include "mixclaves/bytes.h"
#include "mixclaves/ctrl.h"
#include "rng.h"

static const char *root;
static rng *r;
static uint8_t pk[SPHINX_KEY_BYTES], sk[SPHINX_KEY_BYTES];
static size_t files, bytes;

static void die(const char *what) {
  fprintf(stderr, "make_corpus: %s\n", what);
  exit(1);
}

static void mkdir_p(const char *path) {
  if (mkdir(path, 0755) != 0 && errno != EEXIST) die(path);
}

/* DIR/target/name := sel || data[0..len) (sel < 0: data alone). */
static void put(const char *target, const char *name, int sel, const uint8_t *data, size_t len) {
  char path[512];
  snprintf(path, sizeof path, "%s/%s", root, target);
  mkdir_p(path);
  snprintf(path, sizeof path, "%s/%s/%s", root, target, name);
  FILE *f = fopen(path, "wb");
  if (!f) die(path);
  if (sel >= 0) fputc(sel, f);
  if (fwrite(data, 1, len, f) != len || fclose(f) != 0) die(path);
  files++;
  bytes += len + (sel >= 0);
}

/* ---- fuzz_sphinx_unwrap ---- */

#define SPX "fuzz_sphinx_unwrap"

/* A path of hops hops, all at the fixed key; ids as each profile wants. */
static void spx_path(const struct sphinx_profile *p, size_t hops, uint8_t ids[][SPHINX_ID_MAX],
                     struct sphinx_hop *path, uint8_t last_type) {
  for (size_t i = 0; i < hops; i++) {
    memset(ids[i], 0, SPHINX_ID_MAX);
    ids[i][0] = p->routing == SPHINX_ROUTING_SMC ? 0xff : 0x00;
    ids[i][p->id_bytes - 1] = (uint8_t)(i + 1);
    bool smc = p->routing == SPHINX_ROUTING_SMC;
    path[i] = (struct sphinx_hop){.id = ids[i], .pk = pk, .delay_us = smc ? 0 : (uint32_t)(1000 * (i + 1)),
                                  .type = smc ? 0 : (i + 1 == hops ? last_type : SPHINX_TYPE_ROUTE)};
  }
}

static void spx_packets(const struct sphinx_profile *p, int sel, const char *tag) {
  const size_t L = sphinx_packet_bytes(p);
  uint8_t *pkt = malloc(L), *bad = malloc(L);
  uint8_t ids[SPHINX_HOPS_MAX][SPHINX_ID_MAX];
  struct sphinx_hop path[SPHINX_HOPS_MAX];
  char name[128];
  const uint8_t dest[] = "dest-1", msg[] = "hello, mix";
  for (size_t h = 1; h <= p->max_hops; h++) {
    spx_path(p, h, ids, path, SPHINX_TYPE_ROUTE);
    if (sphinx_packet_build(p, path, h, dest, 6, msg, sizeof msg, codec_random_rng, r, pkt)) die("sphinx build");
    snprintf(name, sizeof name, "%s-route-%zuhop", tag, h);
    put(SPX, name, sel, pkt, L);
  }
  if (p->routing == SPHINX_ROUTING_MIXCLAVES) {
    const uint8_t types[2] = {SPHINX_TYPE_DROP, SPHINX_TYPE_LOOP};
    const char *tnames[2] = {"drop", "loop"};
    for (int t = 0; t < 2; t++) {
      spx_path(p, 3, ids, path, types[t]);
      if (sphinx_packet_build(p, path, 3, dest, 6, NULL, 0, codec_random_rng, r, pkt)) die("sphinx build");
      snprintf(name, sizeof name, "%s-%s-3hop", tag, tnames[t]);
      put(SPX, name, sel, pkt, L);
    }
    spx_path(p, 2, ids, path, SPHINX_TYPE_ROUTE);
    if (sphinx_packet_build_epoch(p, 5, path, 2, dest, 6, msg, sizeof msg, codec_random_rng, r, pkt))
      die("sphinx build epoch");
    snprintf(name, sizeof name, "%s-epoch5-2hop", tag);
    put(SPX, name, sel, pkt, L);
  }
  /* the longest message, 1 hop */
  size_t big = p->payload_bytes - 16 - 1 - 6 - 2;
  uint8_t *m = calloc(1, big);
  memset(m, 'x', big);
  spx_path(p, 1, ids, path, SPHINX_TYPE_ROUTE);
  if (sphinx_packet_build(p, path, 1, dest, 6, m, big, codec_random_rng, r, pkt)) die("sphinx build big");
  free(m);
  snprintf(name, sizeof name, "%s-route-1hop-maxmsg", tag);
  put(SPX, name, sel, pkt, L);
  /* a SURB reply over 2 hops */
  struct sphinx_surb surb;
  struct sphinx_surb_keys keys;
  spx_path(p, 2, ids, path, SPHINX_TYPE_ROUTE);
  if (sphinx_surb_create(p, path, 2, (const uint8_t *)"client-1", 8, codec_random_rng, r, &surb, &keys) ||
      sphinx_surb_reply(p, &surb, msg, sizeof msg, pkt))
    die("surb");
  snprintf(name, sizeof name, "%s-surb-reply-2hop", tag);
  put(SPX, name, sel, pkt, L);
  /* malformed: short, bad version, flipped MAC, non-canonical alpha, payload flip at the exit */
  spx_path(p, 1, ids, path, SPHINX_TYPE_ROUTE);
  if (sphinx_packet_build(p, path, 1, dest, 6, msg, sizeof msg, codec_random_rng, r, pkt)) die("sphinx build");
  const size_t alpha = 1 + p->epoch_bytes, gamma = alpha + 32;
  snprintf(name, sizeof name, "%s-bad-short", tag);
  put(SPX, name, sel, pkt, 100);
  memcpy(bad, pkt, L);
  bad[0] ^= 0x7f;
  snprintf(name, sizeof name, "%s-bad-version", tag);
  put(SPX, name, sel, bad, L);
  memcpy(bad, pkt, L);
  bad[gamma] ^= 1;
  snprintf(name, sizeof name, "%s-bad-mac", tag);
  put(SPX, name, sel, bad, L);
  memcpy(bad, pkt, L);
  memset(bad + alpha, 0xff, 31);
  bad[alpha + 31] = 0x7f;
  snprintf(name, sizeof name, "%s-bad-alpha", tag);
  put(SPX, name, sel, bad, L);
  memcpy(bad, pkt, L);
  bad[L - 1] ^= 1;
  snprintf(name, sizeof name, "%s-bad-payload", tag);
  put(SPX, name, sel, bad, L);
  free(pkt);
  free(bad);
}

/* Plaintext layouts for the forge mode: what the node is to read. */
enum { CMD_FORWARD = 1, CMD_EXIT = 2, CMD_REPLY = 3 };

static void plain_payload(uint8_t *delta, size_t P, const uint8_t *dest, size_t dlen) {
  memset(delta, 0, P);
  delta[16] = (uint8_t)dlen;
  memcpy(delta + 17, dest, dlen);
  memcpy(delta + 17 + dlen, "plain", 5);
  size_t pad = P - (17 + dlen + 5);
  delta[P - 2] = (uint8_t)pad;
  delta[P - 1] = (uint8_t)(pad >> 8);
}

static void spx_forge_seeds(const struct sphinx_profile *p, int sel, const char *tag) {
  const size_t L = sphinx_packet_bytes(p), HB = sphinx_header_bytes(p);
  const size_t alpha = 1 + p->epoch_bytes, beta = alpha + 32 + p->mac_bytes;
  const bool mx = p->routing == SPHINX_ROUTING_MIXCLAVES;
  uint8_t *pkt = malloc(L);
  char name[128];
  for (int cmd = CMD_FORWARD; cmd <= CMD_REPLY; cmd++) {
    memset(pkt, 0, L);
    pkt[0] = p->version;
    memcpy(pkt + alpha, pk, 32); /* any point will do: the forge derives the secret from it */
    uint8_t *b = pkt + beta;
    size_t at = 0;
    if (mx) {
      b[0] = (uint8_t)cmd;
      b[1] = SPHINX_TYPE_ROUTE;
      mx_put_be32(b + 2, 2000);
      at = 6;
    }
    if (cmd == CMD_FORWARD) {
      b[at] = mx ? 0x00 : 0xff;
      b[at + p->id_bytes - 1] = 7;
    } else if (cmd == CMD_EXIT) {
      if (!mx) b[0] = 0x00;
    } else {
      b[at] = 8;
      memcpy(b + at + 1, "client-1", 8);
      memset(b + at + 9, 0xab, SPHINX_SURB_ID_BYTES);
    }
    plain_payload(pkt + HB, p->payload_bytes, (const uint8_t *)"dest-1", 6);
    snprintf(name, sizeof name, "%s-forge-%s", tag, cmd == CMD_FORWARD ? "forward" : cmd == CMD_EXIT ? "exit" : "reply");
    put(SPX, name, sel | FZ_SEL_FORGE, pkt, L);
  }
  free(pkt);
}

/* ---- fuzz_codec ---- */

#define CDC "fuzz_codec"

static void cdc_path(size_t hops, struct codec_hop *path, enum codec_type last, const uint8_t *key) {
  for (size_t i = 0; i < hops; i++)
    path[i] = (struct codec_hop){.addr = (cm_addr)(FZ_CODEC_ADDR + i), .delay = CM_US(500 * (i + 1)),
                                 .type = i + 1 == hops ? last : CODEC_ROUTE, .pk = key};
}

static void cdc_packets(const struct codec_ops *c, int sel) {
  const size_t L = c->packet_bytes;
  uint8_t *pkt = malloc(L), *bad = malloc(L);
  struct codec_hop path[CODEC_HOPS_MAX];
  const uint8_t *key = c->keyed ? pk : NULL;
  char name[128];
  const uint8_t msg[] = "hello, codec";
  const size_t hop_counts[] = {1, 2, 3, 5, c->max_hops};
  for (size_t k = 0; k < sizeof hop_counts / sizeof *hop_counts; k++) {
    size_t h = hop_counts[k];
    cdc_path(h, path, CODEC_ROUTE, key);
    if (c->build(path, h, 0, 99, msg, sizeof msg, codec_random_rng, r, pkt)) die("codec build");
    snprintf(name, sizeof name, "%s-route-%zuhop", c->name, h);
    put(CDC, name, sel, pkt, L);
  }
  cdc_path(2, path, CODEC_DROP, key);
  if (c->build(path, 2, 0, 0, NULL, 0, codec_random_rng, r, pkt)) die("codec build drop");
  snprintf(name, sizeof name, "%s-drop-2hop", c->name);
  put(CDC, name, sel, pkt, L);
  cdc_path(2, path, CODEC_LOOP, key);
  path[1].addr = FZ_CODEC_ADDR; /* back home */
  if (c->build(path, 2, 0, FZ_CODEC_ADDR, NULL, 0, codec_random_rng, r, pkt)) die("codec build loop");
  snprintf(name, sizeof name, "%s-loop-2hop", c->name);
  put(CDC, name, sel, pkt, L);
  uint8_t *full_msg = malloc(c->payload_bytes);
  memset(full_msg, 'y', c->payload_bytes);
  cdc_path(1, path, CODEC_ROUTE, key);
  if (c->build(path, 1, 0, 99, full_msg, c->payload_bytes, codec_random_rng, r, pkt)) die("codec build max");
  free(full_msg);
  snprintf(name, sizeof name, "%s-route-1hop-maxpayload", c->name);
  put(CDC, name, sel, pkt, L);
  /* malformed: short, a flipped header byte, a flipped payload byte (exit) */
  cdc_path(1, path, CODEC_ROUTE, key);
  if (c->build(path, 1, 0, 99, msg, sizeof msg, codec_random_rng, r, pkt)) die("codec build");
  snprintf(name, sizeof name, "%s-bad-short", c->name);
  put(CDC, name, sel, pkt, 64);
  memcpy(bad, pkt, L);
  bad[40] ^= 4;
  snprintf(name, sizeof name, "%s-bad-header", c->name);
  put(CDC, name, sel, bad, L);
  memcpy(bad, pkt, L);
  bad[L - 3] ^= 4;
  snprintf(name, sizeof name, "%s-bad-payload", c->name);
  put(CDC, name, sel, bad, L);
  /* forge seeds: the abstract packet with its checksums spoiled (forge sets
   * them); for full, the plaintext of a forward and an exit hop */
  if (!c->keyed) {
    memcpy(bad, pkt, L);
    memset(bad + 268, 0, 32);
    bad[32] = 0x80; /* hop 0's delay (u64 at 32) past INT64_MAX */
    snprintf(name, sizeof name, "%s-forge-delay-overflow", c->name);
    put(CDC, name, sel | FZ_SEL_FORGE, bad, L);
  } else {
    const struct sphinx_profile *p = &sphinx_profile_mixclaves;
    const size_t HB = sphinx_header_bytes(p), beta = 1 + 4 + 32 + 16;
    for (int cmd = CMD_FORWARD; cmd <= CMD_EXIT; cmd++) {
      memset(bad, 0, L);
      bad[0] = p->version;
      memcpy(bad + 5, pk, 32);
      bad[beta] = (uint8_t)cmd;
      bad[beta + 1] = CODEC_ROUTE;
      mx_put_be32(bad + beta + 2, 1500);
      if (cmd == CMD_FORWARD) mx_put_be32(bad + beta + 6, FZ_CODEC_ADDR + 1);
      uint8_t d[4];
      mx_put_be32(d, 99);
      plain_payload(bad + HB, p->payload_bytes, d, 4);
      /* the codec's exit delivers exactly payload_bytes: message then 2 bytes of padding */
      memset(bad + HB + 21, 0, p->payload_bytes - 21);
      bad[L - 2] = 2;
      snprintf(name, sizeof name, "%s-forge-%s", c->name, cmd == CMD_FORWARD ? "forward" : "exit");
      put(CDC, name, sel | FZ_SEL_FORGE, bad, L);
    }
  }
  free(pkt);
  free(bad);
}

/* ---- fuzz_node ---- */

#define NOD "fuzz_node"

struct rec_buf {
  uint8_t data[64 * 1024];
  size_t len;
};

static void rec(struct rec_buf *b, uint8_t ctl, const uint8_t *pkt, size_t len) {
  if (b->len + 3 + len > sizeof b->data) die("node input too long");
  b->data[b->len] = ctl;
  b->data[b->len + 1] = (uint8_t)(len >> 8);
  b->data[b->len + 2] = (uint8_t)len;
  memcpy(b->data + b->len + 3, pkt, len);
  b->len += 3 + len;
}

static void node_inputs(void) {
  struct fz_world w;
  if (fz_world_new(&w) != 0) die("world");
  struct node_config cfg;
  node_config(w.full, &cfg);
  uint8_t npk[32];
  memcpy(npk, cfg.pk, 32);
  fz_world_free(&w);
  const struct codec_ops *full = &codec__full_ops, *abs = codec_abstract();
  uint8_t fp[8][2415], ap[10][FZ_ABS_PACKET];
  const uint8_t msg[] = "to the node";
  struct codec_hop path[4];
  /* full node (FZ_NODE_FULL): exit to 99, via itself, on to the abstract
   * node, a loop home, a drop, to a stranger; the last two into the queue */
  /* one corpus file: a path, its last hop's type and the destination */
  struct node_case {
    cm_addr a[3];
    size_t hops;
    enum codec_type last;
    cm_addr dest;
    const char *name;
  } fcases[] = {
      {{FZ_NODE_FULL}, 1, CODEC_ROUTE, 99, "full-exit"},
      {{FZ_NODE_FULL, FZ_NODE_FULL}, 2, CODEC_ROUTE, 99, "full-via-self"},
      {{FZ_NODE_FULL, FZ_NODE_ABS}, 2, CODEC_ROUTE, 99, "full-to-abstract"},
      {{FZ_NODE_FULL}, 1, CODEC_LOOP, FZ_NODE_FULL, "full-loop-home"},
      {{FZ_NODE_FULL}, 1, CODEC_DROP, 0, "full-drop"},
      {{FZ_NODE_FULL, 50}, 2, CODEC_ROUTE, 99, "full-stranger"},
      {{FZ_NODE_FULL}, 1, CODEC_ROUTE, 0, "full-nowhere"},
      {{FZ_NODE_FULL, FZ_NODE_FULL, FZ_NODE_FULL}, 3, CODEC_ROUTE, 98, "full-3hop"},
  };
  struct rec_buf *b = malloc(sizeof *b);
  for (size_t i = 0; i < 8; i++) {
    for (size_t h = 0; h < fcases[i].hops; h++)
      path[h] = (struct codec_hop){.addr = fcases[i].a[h], .delay = CM_MS(1), .pk = npk,
                                   .type = h + 1 == fcases[i].hops ? fcases[i].last : CODEC_ROUTE};
    int rc = full->build(path, fcases[i].hops, 0, fcases[i].dest, msg, sizeof msg, codec_random_rng, r, fp[i]);
    if (rc) die(fcases[i].name);
    b->len = 0;
    rec(b, 0, fp[i], sizeof fp[i]);
    put(NOD, fcases[i].name, -1, b->data, b->len);
  }
  /* abstract node (FZ_NODE_ABS) */
  struct node_case acases[] = {
      {{FZ_NODE_ABS}, 1, CODEC_ROUTE, 99, "abs-exit"},
      {{FZ_NODE_ABS, FZ_NODE_ABS, FZ_NODE_ABS}, 3, CODEC_ROUTE, 99, "abs-via-self"},
      {{FZ_NODE_ABS, FZ_NODE_FULL}, 2, CODEC_ROUTE, 99, "abs-to-full"},
      {{FZ_NODE_ABS}, 1, CODEC_LOOP, FZ_NODE_ABS, "abs-loop-home"},
      {{FZ_NODE_ABS}, 1, CODEC_DROP, 0, "abs-drop"},
      {{FZ_NODE_ABS, 50}, 2, CODEC_ROUTE, 99, "abs-stranger"},
      {{FZ_NODE_ABS}, 1, CODEC_ROUTE, 0, "abs-nowhere"},
  };
  for (size_t i = 0; i < 7; i++) {
    for (size_t h = 0; h < acases[i].hops; h++)
      path[h] = (struct codec_hop){.addr = acases[i].a[h], .delay = CM_MS(1),
                                   .type = h + 1 == acases[i].hops ? acases[i].last : CODEC_ROUTE};
    if (abs->build(path, acases[i].hops, 0, acases[i].dest, msg, sizeof msg, codec_random_rng, r, ap[i]))
      die(acases[i].name);
    b->len = 0;
    rec(b, FZ_CTL_ABS | (uint8_t)((i & 3) << 2), ap[i], FZ_ABS_PACKET);
    put(NOD, acases[i].name, -1, b->data, b->len);
  }
  /* a replay at each node */
  b->len = 0;
  rec(b, 0, fp[0], sizeof fp[0]);
  rec(b, FZ_CTL_WAIT | (2 << 5), fp[0], sizeof fp[0]);
  rec(b, FZ_CTL_ABS, ap[0], FZ_ABS_PACKET);
  rec(b, FZ_CTL_ABS, ap[0], FZ_ABS_PACKET);
  put(NOD, "replay-both", -1, b->data, b->len);
  /* more than the full node's CPU queue at once */
  b->len = 0;
  for (size_t i = 0; i < FZ_NODE_QUEUE + 2; i++) rec(b, 0, fp[i], sizeof fp[i]);
  put(NOD, "full-queue-full", -1, b->data, b->len);
  /* more than the abstract node's buffer at once */
  b->len = 0;
  for (size_t i = 0; i < FZ_NODE_BUFFER + 1; i++) {
    path[0] = (struct codec_hop){.addr = FZ_NODE_ABS, .delay = CM_MS(100), .type = CODEC_ROUTE};
    uint8_t one[FZ_ABS_PACKET];
    if (abs->build(path, 1, 0, 99, msg, sizeof msg, codec_random_rng, r, one)) die("abs buffer");
    rec(b, FZ_CTL_ABS, one, sizeof one);
  }
  put(NOD, "abs-buffer-full", -1, b->data, b->len);
  /* the forge bit and malformed datagrams */
  b->len = 0;
  memcpy(ap[9], ap[1], FZ_ABS_PACKET);
  memset(ap[9] + 268, 0, 32);
  rec(b, FZ_CTL_ABS | FZ_CTL_FORGE, ap[9], FZ_ABS_PACKET);
  rec(b, 0, fp[0], 100);
  rec(b, FZ_CTL_ABS, ap[0], 10);
  rec(b, 0, ap[0], FZ_ABS_PACKET);
  put(NOD, "forge-and-malformed", -1, b->data, b->len);
  free(b);
}

/* ---- the provider adapters (fuzz_provider.h's input: status line,
 * header lines, empty line, body) and their two shared parsers ---- */

static void ptext(const char *target, const char *name, const char *text) {
  put(target, name, -1, (const uint8_t *)text, strlen(text));
}

static void provider_inputs(void) {
  static const char *const kinds[] = {"lambda", "lambda_url", "azure", "cloudrun", "openfaas", "fission"};
  const char *warm = "START RequestId: 6c3a Version: $LATEST\nEND RequestId: 6c3a\n"
                     "REPORT RequestId: 6c3a\tDuration: 102.25 ms\tBilled Duration: 103 ms\t"
                     "Memory Size: 128 MB\tMax Memory Used: 70 MB\t\n";
  const char *cold = "REPORT RequestId: 89ba Duration: 4.42 ms Billed Duration: 338 ms Memory Size: 1152 MB "
                     "Max Memory Used: 75 MB Init Duration: 333.05 ms\n";
  const char *report = "{\"cloudmix\":1,\"id\":\"7\",\"exec_ms\":12.5,\"init_ms\":300,\"cold\":true,"
                       "\"mem_peak_mb\":64,\"mem_mean_mb\":32,\"mem_samples\":7,\"pad\":\"aaaa\"}";
  const char *echo = "{\"cloudmix\":1,\"id\":\"7\",\"function\":\"f\",\"bin\":0,\"response_bytes\":9,\"pad\":\"\"}";
  char *w64 = g_base64_encode((const guchar *)warm, strlen(warm));
  char *c64 = g_base64_encode((const guchar *)cold, strlen(cold));
  char target[64], buf[2048];
  for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
    snprintf(target, sizeof target, "fuzz_provider_%s", kinds[k]);
    snprintf(buf, sizeof buf, "200\nContent-Type: application/json\n\n%s", report);
    ptext(target, "ok-report", buf);
    snprintf(buf, sizeof buf, "200\ncontent-type: application/json\n\n%s", echo);
    ptext(target, "ok-echo", buf);
    ptext(target, "auth", "403\nContent-Type: application/json\n\n{\"message\":\"Forbidden\"}");
    ptext(target, "throttled", "429\nRetry-After: 1\n\n");
    ptext(target, "busy", "503\n\nno endpoints available");
    ptext(target, "network", "0\n\n");
    ptext(target, "cut-report", "200\n\n{\"cloudmix\":1,\"exec_ms\":3,\"mem_samples\":4,\"mem_peak_mb\":9");
  }
  snprintf(buf, sizeof buf, "200\nX-Amz-Executed-Version: $LATEST\nX-Amz-Log-Result: %s\n\n%s", w64, report);
  ptext("fuzz_provider_lambda", "warm", buf);
  snprintf(buf, sizeof buf, "200\nx-amz-log-result:%s\n\n%s", c64, echo);
  ptext("fuzz_provider_lambda", "cold", buf);
  snprintf(buf, sizeof buf, "200\nX-Amz-Function-Error: Unhandled\nX-Amz-Log-Result: %s\n\n{\"errorMessage\":\"x\"}", c64);
  ptext("fuzz_provider_lambda", "function-error", buf);
  snprintf(buf, sizeof buf, "200\nX-Amz-Log-Result: %.*s\n\n", (int)strlen(w64) - 3, w64);
  ptext("fuzz_provider_lambda", "truncated-log", buf);
  ptext("fuzz_provider_lambda", "throttled-type",
        "429\nx-amzn-ErrorType: TooManyRequestsException:http://internal.amazon.com/coral/\n\n{\"Reason\":\"x\"}");
  ptext("fuzz_provider_lambda_url", "throttled-type", "429\nx-amzn-ErrorType: TooManyRequestsException\n\n");
  snprintf(buf, sizeof buf, "200\nX-Duration-Seconds: 0.012345\nX-Call-Id: 1\n\n%s", report);
  ptext("fuzz_provider_openfaas", "duration", buf);
  ptext("fuzz_provider_openfaas", "duration-bad", "200\nX-Duration-Seconds: 1.2.3\n\n");
  ptext("fuzz_lambda_report", "warm", warm);
  ptext("fuzz_lambda_report", "cold", cold);
  ptext("fuzz_lambda_report", "status", "REPORT RequestId: x\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\t"
                                        "Status: timeout\tRestore Duration: 5 ms\n");
  ptext("fuzz_self_report", "report", report);
  ptext("fuzz_self_report", "echo", echo);
  ptext("fuzz_self_report", "nested", "{\"cloudmix\":1,\"x\":{\"a\":[1,{\"b\":\"}\\\"\"}]},\"exec_ms\":1e2,\"cold\":false}");
  ptext("fuzz_self_report", "bad-values", "{\"cloudmix\":1,\"exec_ms\":-4,\"init_ms\":\"7\",\"mem_samples\":2.5}");
  g_free(w64);
  g_free(c64);
}

/* Answers of S3 / GCS and Azure Blob: error bodies and listing pages. */
static void store_inputs(void) {
  ptext("fuzz_store_s3_error", "nosuchkey",
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>NoSuchKey</Code><Message>The specified key does "
        "not exist.</Message><Key>a &amp; b</Key><RequestId>1</RequestId></Error>");
  ptext("fuzz_store_s3_error", "entities", "<Error><Code>&#x41;&#66;&lt;</Code><Message>&quot;&apos;&gt;</Message></Error>");
  ptext("fuzz_store_s3_error", "list",
        "<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><IsTruncated>true</IsTruncated>"
        "<Contents><Key>a/one</Key><ETag>&quot;06d36dffe1556c99a6151aa445d58a3b&quot;</ETag></Contents>"
        "<Contents><Key>a/two &#xE9;</Key></Contents><NextContinuationToken>tok+/=</NextContinuationToken>"
        "</ListBucketResult>");
  ptext("fuzz_store_s3_error", "list-last", "<ListBucketResult><IsTruncated>false</IsTruncated></ListBucketResult>");
  ptext("fuzz_store_azure_error", "auth",
        "\xef\xbb\xbf<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<Error>\n  <Code>AuthorizationFailure</Code>\n  "
        "<Message>Server failed to authenticate the request.\nRequestId:1\nTime:2026-12-03T15:16:12.432Z</Message>\n"
        "</Error>");
  ptext("fuzz_store_azure_error", "list",
        "<?xml version=\"1.0\" encoding=\"utf-8\"?><EnumerationResults ServiceEndpoint=\"http://127.0.0.1:10000/"
        "devstoreaccount1\" ContainerName=\"c\"><Prefix>a/</Prefix><Blobs><Blob><Name>a/one</Name><Properties>"
        "<Content-MD5>XrY7u+Ae7tCTyyK7j1rNww==</Content-MD5></Properties></Blob><Blob><Name>a/two &amp;</Name>"
        "</Blob></Blobs><NextMarker>m1</NextMarker></EnumerationResults>");
  ptext("fuzz_store_azure_error", "list-last", "<EnumerationResults><Blobs /><NextMarker /></EnumerationResults>");
}

/* fuzz_ctrl: a signed request of every command (with and without a reply
 * block, zero-padded as in a payload), replies, and broken ones. */
static void ctrl_inputs(void) {
  uint8_t seed[32] = {1}, spk[CTRL_PK_BYTES], ssk[CTRL_SK_BYTES], b[CTRL_REQUEST_MAX + 64];
  if (crypto_sign_seed_keypair(spk, ssk, seed) != 0) die("ctrl keys");
  size_t n;
  char name[64];
  for (uint8_t cmd = CTRL_READ_METRICS; cmd <= CTRL_POISON_PILL; cmd++) {
    struct ctrl_request q = {.command = cmd, .target = 12, .epoch = 1, .seq = 1000u + cmd, .issued_at = CM_S(7)};
    uint8_t h[CTRL_HASH_BYTES] = {9};
    if (cmd == CTRL_SET_COVER) ctrl_args_set_cover(&q, 25);
    if (cmd == CTRL_INSTALL_EPOCH) ctrl_args_install_epoch(&q, 2, h);
    if (cmd == CTRL_CANARY) ctrl_args_canary(&q, "no warrants");
    q.surb_len = cmd % 2 ? 300 : 0;
    rng_bytes(r, q.surb, q.surb_len);
    if (ctrl_request_sign(&q, ssk) != 0 || ctrl_request_encode(&q, b, sizeof b, &n) != 0) die("ctrl request");
    memset(b + n, 0, 64);
    snprintf(name, sizeof name, "request-%s", ctrl_command_name(cmd));
    put("fuzz_ctrl", name, 0, b, n + 64);
    b[n + 3] = 1;
    snprintf(name, sizeof name, "request-%s-tail", ctrl_command_name(cmd));
    put("fuzz_ctrl", name, 0, b, n + 64);
  }
  struct ctrl_reply p = {.command = CTRL_READ_METRICS, .node = 12, .epoch = 1, .seq = 5, .node_time = CM_S(3)};
  struct ctrl_metrics m = {.received = 10, .discarded_drop = 3, .ctrl_accepted = 1};
  ctrl_metrics_put(&p, &m);
  if (ctrl_reply_sign(&p, ssk) != 0 || ctrl_reply_encode(&p, b, sizeof b, &n) != 0) die("ctrl reply");
  put("fuzz_ctrl", "reply-metrics", 1, b, n);
  p = (struct ctrl_reply){.command = CTRL_INSTALL_EPOCH, .status = CTRL_NACK_UNKNOWN, .node = 12, .seq = 6};
  if (ctrl_reply_sign(&p, ssk) != 0 || ctrl_reply_encode(&p, b, sizeof b, &n) != 0) die("ctrl reply");
  put("fuzz_ctrl", "reply-nack", 1, b, n);
  put("fuzz_ctrl", "reply-short", 1, b, 30);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: make_corpus DIR (writes DIR/fuzz_*/)\n");
    return 2;
  }
  if (sodium_init() < 0) die("sodium_init");
  root = argv[1];
  mkdir_p(root);
  r = rng_new(2024, "fuzz-corpus");
  fz_fixed_keys(pk, sk);
  spx_packets(&sphinx_profile_mixclaves, 0, "mixclaves");
  spx_packets(&sphinx_profile_smc_compat, FZ_SEL_ALT, "smc");
  spx_forge_seeds(&sphinx_profile_mixclaves, 0, "mixclaves");
  spx_forge_seeds(&sphinx_profile_smc_compat, FZ_SEL_ALT, "smc");
  store_inputs();
  cdc_packets(codec_abstract(), 0);
  cdc_packets(&codec__full_ops, FZ_SEL_ALT);
  node_inputs();
  ctrl_inputs();
  provider_inputs();
  rng_free(r);
  printf("make_corpus: %zu files, %zu bytes under %s\n", files, bytes, root);
  return 0;
}
