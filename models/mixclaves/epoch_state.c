/* The (committed, pending) pair and its componentwise join; see
 * epoch_state.h. */
#include "mixclaves/epoch_state.h"

#include <stdlib.h>
#include <string.h>

void epoch_state_init(struct epoch_state *s) { memset(s, 0, sizeof *s); }

static bool state_valid(const struct epoch_state *s) {
  if (!s) return false;
  if (s->has_committed && !s->committed.committed) return false;
  if (s->has_pending && s->pending.committed) return false;
  if (s->has_committed && s->has_pending && s->pending.version <= s->committed.version) return false;
  return true;
}

/* One component: (ha, a) joined with (hb, b) into (ho, o). */
static int join(bool ha, const struct epoch_digest *a, bool hb, const struct epoch_digest *b, bool *ho,
                struct epoch_digest *o) {
  *ho = ha || hb;
  if (ha && hb) return epoch_digest_merge(a, b, o);
  if (ha) *o = *a;
  else if (hb) *o = *b;
  return 0;
}

int epoch_state_merge(const struct epoch_state *a, const struct epoch_state *b, struct epoch_state *out) {
  if (!state_valid(a) || !state_valid(b) || !out) return CM_EINVAL;
  struct epoch_state *m = malloc(sizeof *m); /* out may alias a or b */
  if (!m) return CM_ENOMEM;
  epoch_state_init(m);
  int rc = join(a->has_committed, &a->committed, b->has_committed, &b->committed, &m->has_committed, &m->committed);
  if (rc == 0)
    rc = join(a->has_pending, &a->pending, b->has_pending, &b->pending, &m->has_pending, &m->pending);
  if (rc == 0) {
    /* a proposal overtaken by a commit is gone */
    if (m->has_pending && m->has_committed && m->pending.version <= m->committed.version) {
      m->has_pending = false;
      memset(&m->pending, 0, sizeof m->pending);
    }
    *out = *m;
  }
  free(m);
  return rc;
}

int epoch_state_add(struct epoch_state *s, const struct epoch_digest *d) {
  if (!d) return CM_EINVAL;
  struct epoch_state *one = calloc(1, sizeof *one);
  if (!one) return CM_ENOMEM;
  if (d->committed) {
    one->has_committed = true;
    one->committed = *d;
  } else {
    one->has_pending = true;
    one->pending = *d;
  }
  int rc = epoch_state_merge(s, one, s);
  free(one);
  return rc;
}

bool epoch_state_equal(const struct epoch_state *a, const struct epoch_state *b) {
  if (a->has_committed != b->has_committed || a->has_pending != b->has_pending) return false;
  if (a->has_committed && !epoch_digest_equal(&a->committed, &b->committed)) return false;
  if (a->has_pending && !epoch_digest_equal(&a->pending, &b->pending)) return false;
  return true;
}
