/* Variant (b), the seed's fix (section 2.1.2): the packet is inserted at a
 * uniformly random position 0..n of the sorted array of buffer_append.c
 * (Python's list.insert(randint(0, n), packet)), then the array is sorted
 * as in (a). The store address becomes uniform and nearly independent of
 * the read address, so R falls to about sqrt(3 / (4 (m + 6))) for m
 * packets held on average (see buffer_experiment.c). It hides only the
 * first write: the sort that follows moves the packet to the same cell as
 * in (a), and its data-dependent swaps show the packet's rank. */
#include "mixclaves/buffer_impl.h"

static void random_put(struct buffer *b, struct buffer__cell *c) {
  uint32_t pos = (uint32_t)rng_below(b->r, b->st.held + 1);
  buffer__sorted_put_at(b, c, pos);
}

const struct buffer_ops buffer__random_ops = {
    .name = "random",
    .init = buffer__sorted_init,
    .fini = buffer__sorted_fini,
    .put = random_put,
    .take_due = buffer__sorted_take_due,
};
