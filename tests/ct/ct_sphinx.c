/* The constant-time check of Sphinx (make check-ct), ctgrind style: the
 * secrets are marked undefined for valgrind memcheck, which then reports
 * every conditional branch and memory index that depends on them. Creation
 * (both profiles, forward packets and SURBs over 2 and max_hops hops): the
 * bytes drawn through sphinx_random_fn (ephemeral secret, padding, SURB id,
 * ktilde). Unwrap at every hop: the node's secret key. The client's SURB
 * decryption: its kept secrets. Run as
 *   valgrind --error-exitcode=1 --track-origins=yes --suppressions=tests/ct/ct.supp ct_sphinx
 * Declassification points are in the library (mixclaves/ct.h). */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/memcheck.h>

#include "mixclaves/sphinx.h"

/* Secret input: random bytes, then undefined for memcheck. */
static void secret_random(void *ctx, uint8_t *buf, size_t len) {
  (void)ctx;
  randombytes_buf(buf, len);
  (void)VALGRIND_MAKE_MEM_UNDEFINED(buf, len);
}

/* What goes on the wire is public: the attacker sees it anyway. */
static void public_bytes(const void *p, size_t n) { (void)VALGRIND_MAKE_MEM_DEFINED(p, n); }

struct node {
  uint8_t id[16], pk[32], sk[32];
};

/* Unwrap pkt along nodes[0..hops) with each secret key undefined; the
 * packet each hop sends on is public. Returns the last action, 0 on error. */
static int walk(const struct sphinx_profile *p, struct node *nodes, size_t hops, uint8_t *pkt,
                uint8_t *out, struct sphinx_unwrapped *u) {
  const size_t PB = sphinx_packet_bytes(p);
  sphinx_replay *filter = sphinx_replay_new(1000, 0.001);
  if (!filter) return 0;
  int action = 0;
  for (size_t i = 0; i < hops; i++) {
    uint8_t sk[32];
    memcpy(sk, nodes[i].sk, 32);
    (void)VALGRIND_MAKE_MEM_UNDEFINED(sk, 32);
    int rc = sphinx_packet_unwrap(p, sk, filter, pkt, PB, out, u);
    sodium_memzero(sk, sizeof sk);
    if (rc != 0) {
      fprintf(stderr, "ct_sphinx: %s unwrap at hop %zu failed (%d)\n", p->name, i, rc);
      break;
    }
    public_bytes(out, PB);
    public_bytes(u, sizeof *u);
    action = u->action;
    if (u->action == SPHINX_FORWARD) memcpy(pkt, out, PB);
  }
  sphinx_replay_free(filter);
  return action;
}

static int run(const struct sphinx_profile *p, size_t hops) {
  const size_t PB = sphinx_packet_bytes(p), HB = sphinx_header_bytes(p);
  struct node nodes[SPHINX_HOPS_MAX];
  struct sphinx_hop path[SPHINX_HOPS_MAX];
  uint8_t *pkt = malloc(PB), *out = malloc(PB);
  static const uint8_t msg[] = "constant time, please";
  struct sphinx_unwrapped u;
  int bad = 0;
  if (!pkt || !out) return 1;
  for (size_t i = 0; i < hops; i++) {
    if (sphinx_keypair_new(nodes[i].pk, nodes[i].sk) != 0) return 1;
    randombytes_buf(nodes[i].id, 16);
    nodes[i].id[0] = 0xff; /* smc-compat's "more hops" marker, harmless in mixclaves */
    path[i] = (struct sphinx_hop){.id = nodes[i].id, .pk = nodes[i].pk};
    if (p->routing == SPHINX_ROUTING_MIXCLAVES) {
      path[i].delay_us = 1000u * (uint32_t)(i + 1);
      path[i].type = i + 1 < hops ? SPHINX_TYPE_ROUTE : SPHINX_TYPE_LOOP;
    }
  }
  /* forward packet */
  if (sphinx_packet_build_epoch(p, p->epoch_bytes ? 3 : 0, path, hops, (const uint8_t *)"dest", 4,
                                msg, sizeof msg, secret_random, NULL, pkt) != 0)
    bad++;
  public_bytes(pkt, PB);
  if (walk(p, nodes, hops, pkt, out, &u) != SPHINX_EXIT || u.message_len != sizeof msg ||
      memcmp(u.message, msg, sizeof msg) != 0)
    bad++;
  /* SURB: creation, the replier's packet, the hops, the client's decryption */
  struct sphinx_surb surb;
  struct sphinx_surb_keys keys;
  if (sphinx_surb_create_epoch(p, p->epoch_bytes ? 3 : 0, path, hops, (const uint8_t *)"alice", 5,
                               secret_random, NULL, &surb, &keys) != 0)
    bad++;
  public_bytes(&surb, sizeof surb); /* handed to the replier */
  if (sphinx_surb_reply(p, &surb, msg, sizeof msg, pkt) != 0) bad++;
  public_bytes(pkt, PB);
  const uint8_t *m;
  size_t ml;
  if (walk(p, nodes, hops, pkt, out, &u) != SPHINX_REPLY ||
      sphinx_surb_decrypt(p, &keys, out + HB, &m, &ml) != 0 || ml != sizeof msg)
    bad++;
  else if ((public_bytes(m, ml), memcmp(m, msg, ml) != 0)) /* the client reads its reply */
    bad++;
  sodium_memzero(&keys, sizeof keys);
  free(pkt);
  free(out);
  if (bad) fprintf(stderr, "ct_sphinx: %s over %zu hops: %d failures\n", p->name, hops, bad);
  return bad;
}

int main(void) {
  if (sodium_init() < 0) return 1;
  int bad = 0;
  const struct sphinx_profile *profiles[] = {&sphinx_profile_mixclaves, &sphinx_profile_smc_compat};
  for (size_t k = 0; k < 2; k++) {
    bad += run(profiles[k], 2);
    bad += run(profiles[k], profiles[k]->max_hops);
  }
  printf("ct_sphinx: %s (memcheck reports any secret-dependent branch or index above)\n",
         bad ? "FAILED" : "ran");
  return bad ? 1 : 0;
}
