/* Storage cost model (seed 5.1.2): what keeping and moving intermediate
 * results in a store costs,
 *   storage cost = c_m * s_avg * m_u + e_op * c_op   (+ egress)
 * with c_m the $/GB-month, s_avg * m_u the GB-months stored (the time
 * integral of the bytes stored), e_op the operations and c_op their price
 * (one price per kind of operation here: writes, reads, deletes), plus the
 * $/GB of bytes leaving the store's cloud. Edge storage (Redis) is free, as
 * the seed takes it. The price lists and their sources are in
 * storage_cost.c. Units: GB = 2^30 bytes (as S3 and GCS bill), a month =
 * 730 hours (8760 / 12, the month of the providers' calculators). */
#ifndef CM_CLOUDLESS_STORAGE_COST_H
#define CM_CLOUDLESS_STORAGE_COST_H

#include <stdint.h>

#include "cm.h"

#define STORAGE_COST_GB 1073741824.0           /* bytes */
#define STORAGE_COST_MONTH_S (730.0 * 3600.0)  /* seconds */

struct storage_price {
  double usd_per_gb_month;  /* c_m */
  double usd_per_write;     /* c_op of a put */
  double usd_per_read;      /* c_op of a get */
  double usd_per_delete;    /* c_op of a delete */
  double usd_per_gb_egress; /* bytes out to the internet / another cloud */
};

/* What a store was used for. Field for field the counters of a simulated
 * store (sim/storage.h, struct storage_stats: byte_seconds, served_puts,
 * served_gets, served_deletes, egress_out_bytes), or a real one's. */
struct storage_usage {
  double byte_seconds;      /* integral of bytes stored over time (byte x s) */
  uint64_t writes, reads, deletes;
  uint64_t egress_bytes;
};

/* The parts of a bill, US dollars. */
struct storage_bill {
  double storage;  /* c_m * s_avg * m_u */
  double ops;      /* e_op * c_op, summed over the kinds */
  double egress;
  double total;
};

/* The seed's formula from given numbers: c_m ($/GB-month) * s_avg (GB) *
 * m_u (months) + e_op * c_op ($ per operation). */
double storage_cost_formula(double c_m, double s_avg_gb, double m_u, double e_op, double c_op);

/* GB-months (s_avg * m_u) of a byte_seconds integral. */
double storage_cost_gb_months(double byte_seconds);

/* The bill for usage u under price p (both non-NULL). */
struct storage_bill storage_cost_bill(const struct storage_price *p, const struct storage_usage *u);

/* Built-in price list of a store kind: "s3", "gcs", "azure-blob", "redis"
 * (the names of sim/storage.h's kinds). Returns 0, CM_ENOENT for an unknown
 * kind, CM_EINVAL for a NULL argument. storage_price_source(kind): where the
 * figures come from and when (static string; NULL if unknown). */
int storage_price_builtin(const char *kind, struct storage_price *out);
const char *storage_price_source(const char *kind);

#endif
