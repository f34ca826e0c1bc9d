/* Storage cost model (storage_cost.h): the seed's formula and the built-in
 * price lists. Free tiers are excluded, as the seed does; prices are
 * on-demand US list prices in US dollars, for the first volume tier (the
 * first 50 TB a month stored, the first 10 TB a month of egress). "Stored
 * copy" means the page as kept in the project's search corpus, read 2026-11
 * (the copies carry no date of their own unless one is given). */
#include "cloudless/storage_cost.h"

#include <string.h>

double storage_cost_formula(double c_m, double s_avg_gb, double m_u, double e_op, double c_op) {
  return c_m * s_avg_gb * m_u + e_op * c_op;
}

double storage_cost_gb_months(double byte_seconds) {
  return byte_seconds / STORAGE_COST_GB / STORAGE_COST_MONTH_S;
}

struct storage_bill storage_cost_bill(const struct storage_price *p, const struct storage_usage *u) {
  struct storage_bill b;
  b.storage = p->usd_per_gb_month * storage_cost_gb_months(u->byte_seconds);
  b.ops = (double)u->writes * p->usd_per_write + (double)u->reads * p->usd_per_read +
          (double)u->deletes * p->usd_per_delete;
  b.egress = (double)u->egress_bytes / STORAGE_COST_GB * p->usd_per_gb_egress;
  b.total = b.storage + b.ops + b.egress;
  return b;
}

/* AWS S3 Standard, US East (N. Virginia): $0.023 per GB-month (first 50 TB),
 * PUT / COPY / POST / LIST $0.005 per 1,000 requests, GET / SELECT $0.0004
 * per 1,000, DELETE free, data transfer out to the internet $0.09 per GB
 * (first 10 TB). GB = 2^30 bytes (the S3 FAQ's example divides byte-hours by
 * 1,073,741,824). Sources: https://aws.amazon.com/s3/pricing/ ; stored copies
 * of https://cloudburn.io/blog/amazon-s3-pricing (March 2026, US East: "S3
 * Standard costs $0.023/GB/month"), https://c3x.dev/blog/s3-request-fees-explained
 * ("PUT is $0.005/1K. GET is $0.0004/1K"), https://aws.amazon.com/s3/faqs/
 * ("DELETE requests ... $0.00 (no charge)") and
 * http://s3.amazonaws.com/calculator/calc5.html ("Delete Requests are not
 * charged"). The $0.09/GB egress is the well-known us-east-1 list price: not
 * found in the stored pages (which show $0.114 for ap-southeast-2) and not
 * re-checked. */
#define S3_GB_MONTH 0.023
#define S3_WRITE (0.005 / 1000)
#define S3_READ (0.0004 / 1000)
#define S3_EGRESS_GB 0.09

/* Google Cloud Storage, Standard class, regional (us-central1): $0.020 per
 * GB-month, Class A operations (object inserts) $0.005 per 1,000, Class B
 * (object gets) $0.0004 per 1,000, deletes free, egress to the internet
 * (Americas and EMEA) $0.12 per GB; GB = GiB. Sources:
 * https://cloud.google.com/storage/pricing (stored copy: "us-central1 ...
 * $0.020"; older stored copies: "1 GB = 2^30 bytes") and
 * https://cloud.google.com/storage/pricing-examples (stored copy: "$0.005 per
 * 1,000 operations", "$0.0004 per 1,000 operations", "$0.12 per GB"); free
 * objects.delete from https://github.com/Benji19967/google-cloud-utils
 * (README, stored copy), not confirmed on Google's page. */
#define GCS_GB_MONTH 0.020
#define GCS_WRITE (0.005 / 1000)
#define GCS_READ (0.0004 / 1000)
#define GCS_EGRESS_GB 0.12

/* Azure Blob Storage, block blobs, Hot tier, LRS, East US: $0.018 per
 * GB-month (first 50 TB), write operations $0.05 per 10,000, read
 * operations $0.004 per 10,000, Delete Blob free, egress to the internet
 * $0.087 per GB. Source: https://azure.microsoft.com/en-us/pricing/details/storage/blobs/
 * -- its stored copy shows every rate as "$-", so none of these is
 * confirmed from Azure's own page: $0.018 from the API Evangelist price
 * list (https://github.com/api-evangelist/microsoft-azure-blob-storage,
 * plans yml, generated 2026-05, "~$0.018 per GB-month", LRS US East), the
 * operation prices from a 2021 price table
 * (https://gist.github.com/mssrinivas/6e93f38ebf3e07d5e74dcb15ad38b47f,
 * stored copy; may be out of date), the free delete from
 * https://learn.microsoft.com/en-us/azure/storage/blobs/map-rest-apis-transaction-categories
 * (stored copy: DeleteBlob "Free" on standard general-purpose v2), and
 * $0.087/GB egress is the well-known North America list price, not found in
 * the stored pages and not re-checked. */
#define AZURE_GB_MONTH 0.018
#define AZURE_WRITE (0.05 / 10000)
#define AZURE_READ (0.004 / 10000)
#define AZURE_EGRESS_GB 0.087

struct entry {
  const char *kind;
  struct storage_price price;
  const char *source;
};

static const struct entry entries[] = {
    {"s3", {S3_GB_MONTH, S3_WRITE, S3_READ, 0, S3_EGRESS_GB},
     "AWS S3 Standard us-east-1: $0.023/GB-month, PUT $0.005/1k, GET $0.0004/1k, DELETE free, egress $0.09/GB "
     "(egress not re-checked); https://aws.amazon.com/s3/pricing/ (stored copies read 2026-11)"},
    {"gcs", {GCS_GB_MONTH, GCS_WRITE, GCS_READ, 0, GCS_EGRESS_GB},
     "Google Cloud Storage Standard us-central1: $0.020/GB-month, Class A $0.005/1k, Class B $0.0004/1k, "
     "delete free, egress $0.12/GB; https://cloud.google.com/storage/pricing (stored copies read 2026-11)"},
    {"azure-blob", {AZURE_GB_MONTH, AZURE_WRITE, AZURE_READ, 0, AZURE_EGRESS_GB},
     "Azure Blob Hot LRS East US: $0.018/GB-month, write $0.05/10k, read $0.004/10k, delete free, egress "
     "$0.087/GB; https://azure.microsoft.com/en-us/pricing/details/storage/blobs/ (its stored copy shows no "
     "rates: figures from third-party copies, not confirmed)"},
    {"redis", {0, 0, 0, 0, 0}, "Redis at the edge: free (seed 5.1.2: edge storage is considered free)"},
};

static const struct entry *find(const char *kind) {
  for (size_t i = 0; kind && i < sizeof(entries) / sizeof(entries[0]); i++)
    if (strcmp(entries[i].kind, kind) == 0) return &entries[i];
  return NULL;
}

int storage_price_builtin(const char *kind, struct storage_price *out) {
  if (!kind || !out) return CM_EINVAL;
  const struct entry *en = find(kind);
  if (!en) return CM_ENOENT;
  *out = en->price;
  return CM_OK;
}

const char *storage_price_source(const char *kind) {
  const struct entry *en = find(kind);
  return en ? en->source : NULL;
}
