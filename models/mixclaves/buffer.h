/* The mix node's delay buffer: packets held until their release time, then
 * handed out in release-time order. Three variants behind one interface
 * (seed section 2.1.2 and Fig. 1), each one file with a const struct
 * buffer_ops registered in buffer.c:
 *
 *  append    (a) Twisted-style, as in Loopix: the packet is appended at the
 *            end of the array, the array is sorted by release time, due
 *            packets are taken from the queue's front.
 *  random    (b) the seed's fix: the packet is inserted at a uniformly random
 *            position of the array, then the array is sorted as in (a).
 *  oblivious (c) ours: a fixed array of slots whose sequence of memory
 *            accesses does not depend on the delays (buffer_oblivious.c).
 *
 * The model of memory, and what "address" means (the Fig. 1 metric):
 * every variant keeps its packets in one backing array of cells, and an
 * address is an index into it.
 *  - append/random: cells [0, capacity) hold a Python-list-like array whose
 *    live packets are cells [0, n), kept sorted by release time in
 *    DESCENDING order so that the queue's front (the earliest release) is
 *    the last cell, as Twisted's sorted-list reactor kept
 *    _pendingTimedCalls (insort, then `_pendingTimedCalls[-1].time <= now`,
 *    `.pop()`). With the front at cell 0 instead (pop(0), or a heap's
 *    root) every read would be from cell 0 and the correlation undefined.
 *  - oblivious: cells [0, capacity) are the slots, cells [capacity,
 *    2 capacity) an output area the due packets are moved to before they
 *    are sent.
 * The STORE address of a packet is the cell the put first writes it to
 * (append: n, the end; random: the random position; oblivious: its slot),
 * before any sort moves it. The READ address is the cell the send step
 * reads it from when it is released (append/random: n - 1 at that moment;
 * oblivious: capacity + its position among the packets of that call).
 * Moves made by a sort in between are neither; they appear in the access
 * trace (buffer_trace_digest).
 *
 * Obliviousness of (c): for a fixed capacity, the sequence of cells
 * touched (addresses, reads and writes, in order) is a function only of
 * the sequence of calls (put / take_due) and of the number each take_due
 * releases, all of which a network observer sees anyway (a put per packet
 * received, a datagram per packet released). It does not depend on the
 * release times, on which slot holds which packet, or on the random slot
 * choices. See buffer_oblivious.c for the argument and its limits.
 *
 * Ownership: the rng passed to buffer_new is borrowed and must outlive the
 * buffer. Packets are opaque 64-bit handles (the caller's packet ids or
 * pool indices); the buffer copies the handle, never the packet. */
#ifndef CM_MIXCLAVES_BUFFER_H
#define CM_MIXCLAVES_BUFFER_H

#include <stdbool.h>
#include <stdint.h>

#include "cm.h"
#include "rng.h"

enum buffer_variant { BUFFER_APPEND = 0, BUFFER_RANDOM = 1, BUFFER_OBLIVIOUS = 2 };
#define BUFFER_NVARIANTS 3

/* Largest capacity buffer_new accepts (cells are 32-bit addresses). */
#define BUFFER_CAPACITY_MAX (1u << 24)

typedef struct buffer buffer;

/* One released packet, handed to the release callback (valid during it). */
struct buffer_release {
  uint64_t id;         /* the handle given to buffer_put */
  cm_time release;     /* the release time given to buffer_put (ns) */
  uint64_t seq;        /* put order: 0, 1, 2, ... over the buffer's life */
  uint32_t store_addr; /* cell first written at put (see the header comment) */
  uint32_t read_addr;  /* cell read from at release */
};

/* Called once per released packet, inside buffer_take_due, in (release
 * time, put order) order within the call (and across calls too, as long as
 * no packet is put with a release time already passed by a take). It must not call buffer_put or buffer_take_due
 * on the same buffer (that is a broken invariant: cm_fatal). */
typedef void (*buffer_release_fn)(void *arg, const struct buffer_release *rel);

/* Counters. Always: offered = stored + refused_full and
 * stored = released + held. */
struct buffer_stats {
  uint64_t offered;      /* buffer_put calls */
  uint64_t stored;       /* accepted */
  uint64_t refused_full; /* refused: held == capacity (the queue bound) */
  uint64_t released;     /* handed to a release callback */
  uint64_t held;         /* in the buffer now */
  uint64_t max_held;     /* largest held seen */
  uint64_t take_calls;   /* buffer_take_due calls */
  uint64_t cell_accesses;/* cells read or written, the model's memory work */
};

/* One (store, read) address pair, recorded with BUFFER_LOG_PAIRS. */
struct buffer_addr_pair {
  uint32_t store, read;
};

/* A new empty buffer of `capacity` packets (1..BUFFER_CAPACITY_MAX). r is
 * borrowed; random and oblivious draw slot positions from it and need it,
 * append ignores it (may be NULL). NULL on a bad argument or out of
 * memory. */
buffer *buffer_new(enum buffer_variant v, uint32_t capacity, rng *r);
void buffer_free(buffer *b);

/* Hold packet `id` until `release` (ns, on the caller's clock). true when
 * stored; false when the buffer is full: the packet is refused, counted in
 * refused_full, and the caller drops it (a dropped packet is data, not an
 * error). */
bool buffer_put(buffer *b, uint64_t id, cm_time release);

/* Release every held packet with release <= now, calling fn(arg, ...)
 * once for each, in (release time, put order) order, before returning.
 * Returns the number released. fn may be NULL (packets are released and
 * counted, nobody is told). */
uint64_t buffer_take_due(buffer *b, cm_time now, buffer_release_fn fn, void *arg);

void buffer_stats(const buffer *b, struct buffer_stats *out);
enum buffer_variant buffer_variant_of(const buffer *b);
uint32_t buffer_capacity(const buffer *b);

/* Instrumentation modes (all off at creation), a set of flags:
 *  BUFFER_LOG_PAIRS  every release appends its (store, read) pair to a log;
 *  BUFFER_LOG_TRACE  every modelled cell access is folded into a digest
 *                    (costs a multiply per access: about 5x the oblivious
 *                    variant's sweep time).
 * Returns 0, or CM_ENOMEM if the log could not be allocated (the modes are
 * then unchanged). Turning a mode off keeps what it recorded. */
#define BUFFER_LOG_PAIRS 1u
#define BUFFER_LOG_TRACE 2u
int buffer_instrument(buffer *b, unsigned modes);
/* The pairs logged so far, in release order: *out is owned by b and valid
 * until the next buffer_put, buffer_take_due or buffer_free. */
uint64_t buffer_addr_pairs(const buffer *b, const struct buffer_addr_pair **out);
/* A digest of every (kind, cell) access made while BUFFER_LOG_TRACE was
 * on, in order (kind 'R' read, 'W' write; h = (h ^ (kind << 32 | cell)) x
 * 0x9e3779b97f4a7c15, then h ^= h >> 29), and how many accesses. Two runs
 * with the same public call profile give the same digest for the
 * oblivious variant whatever their delays (tests/unit/test_buffer.c). */
uint64_t buffer_trace_digest(const buffer *b, uint64_t *accesses);

/* "append", "random", "oblivious" (static strings); NULL if out of range. */
const char *buffer_variant_name(enum buffer_variant v);
/* The variant named, as above: 0, or CM_EINVAL for an unknown name. */
int buffer_variant_parse(const char *name, enum buffer_variant *out);

/* The Fig. 1 experiment (buffer_experiment.c): drive one buffer on a
 * simulated clock with Poisson arrivals and exponential delays, call
 * buffer_take_due every tick, and measure Pearson's R between the store
 * and read addresses of all released packets. */
typedef void (*buffer_pair_fn)(void *arg, uint32_t store, uint32_t read);

struct buffer_experiment {
  enum buffer_variant variant;
  uint64_t packets;          /* arrivals, >= 2 */
  double arrival_rate_per_s; /* > 0 */
  double mean_delay_s;       /* > 0; delays are exponential with this mean */
  uint64_t seed;             /* master seed of the streams "buffer.arrivals",
                                "buffer.delays", "buffer.slots" */
  uint32_t capacity;         /* 0: the next power of two >= m + 8 sqrt(m) + 16,
                                m = rate x delay the mean number held */
  double tick_s;             /* take_due period; 0: mean_delay_s / 20 */
  buffer_pair_fn pair_fn;    /* optional: every (store, read) pair, e.g. for a scatter plot */
  void *pair_arg;
};

struct buffer_experiment_result {
  double r;                  /* Pearson's R over all released packets (NAN if undefined) */
  uint64_t released, refused_full;
  double mean_held;          /* mean number held, seen by arrivals (PASTA) */
  uint64_t max_held;
  uint32_t capacity;
  double tick_s;
  uint64_t cell_accesses;
};

/* 0, CM_EINVAL on a bad config, CM_ENOMEM, or CM_ERANGE when R is
 * undefined (fewer than two pairs, or an address that never varies); the
 * result is filled in all but the CM_EINVAL and CM_ENOMEM cases. */
int buffer_experiment_run(const struct buffer_experiment *x, struct buffer_experiment_result *out);

/* The experiment with the default capacity and tick; *r is R. Same return
 * codes. The seed's numbers: R = 0.738 (append), 0.03 (random). */
int buffer_correlation(enum buffer_variant v, uint64_t packets, double arrival_rate_per_s,
                       double mean_delay_s, uint64_t seed, double *r);

#endif
