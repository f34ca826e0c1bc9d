/* The mixclaves model's tables: mixclaves_buffer, mixclaves_buffer_pairs,
 * mixclaves_load and mixclaves_cost, their CREATE and INSERT SQL and the
 * typed open / add calls (columns described in analysis/SCHEMA.md). */
#include "tab_mixclaves.h"

static const char create_buffer[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_buffer ("
    " run_id INTEGER NOT NULL, variant TEXT NOT NULL, packets INTEGER NOT NULL, rate REAL NOT NULL,"
    " mean_delay_s REAL NOT NULL, r REAL, seed_r REAL, released INTEGER NOT NULL, refused_full INTEGER NOT NULL,"
    " mean_held REAL NOT NULL, max_held INTEGER NOT NULL, capacity INTEGER NOT NULL, tick_s REAL NOT NULL)";
static const char insert_buffer[] = "INSERT INTO mixclaves_buffer VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_pairs[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_buffer_pairs ("
    " run_id INTEGER NOT NULL, variant TEXT NOT NULL, k INTEGER NOT NULL, store INTEGER NOT NULL,"
    " read INTEGER NOT NULL)";
static const char insert_pairs[] = "INSERT INTO mixclaves_buffer_pairs VALUES (?,?,?,?,?)";
static const char create_load[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_load ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, topology TEXT NOT NULL, nodes INTEGER NOT NULL,"
    " hops INTEGER NOT NULL, enclave INTEGER NOT NULL, oblivious INTEGER NOT NULL, rate REAL NOT NULL,"
    " offered_per_s REAL NOT NULL, delivered_per_s REAL NOT NULL, sent INTEGER NOT NULL, received INTEGER NOT NULL,"
    " dropped INTEGER NOT NULL, late INTEGER NOT NULL, queue_full INTEGER NOT NULL, other_drops INTEGER NOT NULL,"
    " link_lost INTEGER NOT NULL, p50_rtt_s REAL, p99_rtt_s REAL, unaccounted INTEGER NOT NULL,"
    " crypto TEXT NOT NULL)";
static const char insert_load[] = "INSERT INTO mixclaves_load VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_cost[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_cost ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, mixnet TEXT NOT NULL, nodes INTEGER NOT NULL,"
    " hops INTEGER NOT NULL, peak_per_s REAL NOT NULL, node_month_usd REAL NOT NULL, monthly_usd REAL NOT NULL,"
    " seed_monthly_usd REAL)";
static const char insert_cost[] = "INSERT INTO mixclaves_cost VALUES (?,?,?,?,?,?,?,?,?)";

/* Fill *t with the table from create / insert; 0, CM_EINVAL or CM_EDB. */
static int open_table(results *r, results_table **t, const char *create, const char *insert) {
  if (!r || !t) return CM_EINVAL;
  *t = results_table_new(r, create, insert);
  return *t ? CM_OK : CM_EDB;
}

int tab_mixclaves_buffer_open(results *r, struct tab_mixclaves_buffer *out) {
  return open_table(r, out ? &out->t : NULL, create_buffer, insert_buffer);
}

int tab_mixclaves_buffer_add(struct tab_mixclaves_buffer *t, const struct tab_mixclaves_buffer_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->variant);
  results_bind_int(rt, 3, x->packets);
  results_bind_double(rt, 4, x->rate);
  results_bind_double(rt, 5, x->mean_delay_s);
  results_bind_double(rt, 6, x->r);
  results_bind_double(rt, 7, x->seed_r);
  results_bind_int(rt, 8, x->released);
  results_bind_int(rt, 9, x->refused_full);
  results_bind_double(rt, 10, x->mean_held);
  results_bind_int(rt, 11, x->max_held);
  results_bind_int(rt, 12, x->capacity);
  results_bind_double(rt, 13, x->tick_s);
  return results_row(rt);
}

int tab_mixclaves_pairs_open(results *r, struct tab_mixclaves_pairs *out) {
  return open_table(r, out ? &out->t : NULL, create_pairs, insert_pairs);
}

int tab_mixclaves_pairs_add(struct tab_mixclaves_pairs *t, const struct tab_mixclaves_pair *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->variant);
  results_bind_int(rt, 3, x->k);
  results_bind_int(rt, 4, x->store);
  results_bind_int(rt, 5, x->read);
  return results_row(rt);
}

int tab_mixclaves_load_open(results *r, struct tab_mixclaves_load *out) {
  return open_table(r, out ? &out->t : NULL, create_load, insert_load);
}

int tab_mixclaves_load_add(struct tab_mixclaves_load *t, const struct tab_mixclaves_load_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->config);
  results_bind_text(rt, 3, x->topology);
  results_bind_int(rt, 4, x->nodes);
  results_bind_int(rt, 5, x->hops);
  results_bind_int(rt, 6, x->enclave);
  results_bind_int(rt, 7, x->oblivious);
  results_bind_double(rt, 8, x->rate);
  results_bind_double(rt, 9, x->offered_per_s);
  results_bind_double(rt, 10, x->delivered_per_s);
  results_bind_int(rt, 11, x->sent);
  results_bind_int(rt, 12, x->received);
  results_bind_int(rt, 13, x->dropped);
  results_bind_int(rt, 14, x->late);
  results_bind_int(rt, 15, x->queue_full);
  results_bind_int(rt, 16, x->other_drops);
  results_bind_int(rt, 17, x->link_lost);
  results_bind_double(rt, 18, x->p50_rtt_s);
  results_bind_double(rt, 19, x->p99_rtt_s);
  results_bind_int(rt, 20, x->unaccounted);
  results_bind_text(rt, 21, x->crypto);
  return results_row(rt);
}

int tab_mixclaves_cost_open(results *r, struct tab_mixclaves_cost *out) {
  return open_table(r, out ? &out->t : NULL, create_cost, insert_cost);
}

int tab_mixclaves_cost_add(struct tab_mixclaves_cost *t, const struct tab_mixclaves_cost_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->config);
  results_bind_text(rt, 3, x->mixnet);
  results_bind_int(rt, 4, x->nodes);
  results_bind_int(rt, 5, x->hops);
  results_bind_double(rt, 6, x->peak_per_s);
  results_bind_double(rt, 7, x->node_month_usd);
  results_bind_double(rt, 8, x->monthly_usd);
  results_bind_double(rt, 9, x->seed_monthly_usd);
  return results_row(rt);
}
