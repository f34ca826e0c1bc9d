/* The tables mixclaves_anon and mixclaves_trust (tab_mixclaves_anon.h;
 * columns in analysis/SCHEMA.md). */
#include "tab_mixclaves_anon.h"

static const char create_anon[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_anon ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, nodes INTEGER NOT NULL, hops INTEGER NOT NULL,"
    " buffer TEXT NOT NULL, rate REAL NOT NULL, messages INTEGER NOT NULL, h_mean REAL, h_p5 REAL, h_min REAL,"
    " d_mean REAL, d_p5 REAL, d_min REAL, p_true_mean REAL, eps_messages INTEGER NOT NULL,"
    " eps_inf INTEGER NOT NULL, eps_mean REAL, eps_d05 REAL, delta_eps1 REAL, occupancy REAL, lambda_node REAL,"
    " lambda_held REAL, rho REAL, h_ref REAL, buffer_r REAL, unlinked INTEGER NOT NULL)";
static const char insert_anon[] =
    "INSERT INTO mixclaves_anon VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_trust[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_trust ("
    " run_id INTEGER NOT NULL, config TEXT NOT NULL, hops INTEGER NOT NULL, domains INTEGER NOT NULL,"
    " trust TEXT NOT NULL, path TEXT NOT NULL, p_honest_path REAL NOT NULL)";
static const char insert_trust[] = "INSERT INTO mixclaves_trust VALUES (?,?,?,?,?,?,?)";

static int open_table(results *r, results_table **t, const char *create, const char *insert) {
  if (!r || !t) return CM_EINVAL;
  *t = results_table_new(r, create, insert);
  return *t ? CM_OK : CM_EDB;
}

int tab_mixclaves_anon_open(results *r, struct tab_mixclaves_anon *out) {
  return open_table(r, out ? &out->t : NULL, create_anon, insert_anon);
}

int tab_mixclaves_anon_add(struct tab_mixclaves_anon *t, const struct tab_mixclaves_anon_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  int i = 1;
  results_bind_int(rt, i++, x->run_id);
  results_bind_text(rt, i++, x->config);
  results_bind_int(rt, i++, x->nodes);
  results_bind_int(rt, i++, x->hops);
  results_bind_text(rt, i++, x->buffer);
  results_bind_double(rt, i++, x->rate);
  results_bind_int(rt, i++, x->messages);
  const double d1[] = {x->h_mean, x->h_p5, x->h_min, x->d_mean, x->d_p5, x->d_min, x->p_true_mean};
  for (size_t k = 0; k < sizeof d1 / sizeof d1[0]; k++) results_bind_double(rt, i++, d1[k]);
  results_bind_int(rt, i++, x->eps_messages);
  results_bind_int(rt, i++, x->eps_inf);
  const double d2[] = {x->eps_mean, x->eps_d05, x->delta_eps1, x->occupancy, x->lambda_node, x->lambda_held, x->rho,
                       x->h_ref,
                       x->buffer_r};
  for (size_t k = 0; k < sizeof d2 / sizeof d2[0]; k++) results_bind_double(rt, i++, d2[k]);
  results_bind_int(rt, i++, x->unlinked);
  return results_row(rt);
}

int tab_mixclaves_trust_open(results *r, struct tab_mixclaves_trust *out) {
  return open_table(r, out ? &out->t : NULL, create_trust, insert_trust);
}

int tab_mixclaves_trust_add(struct tab_mixclaves_trust *t, const struct tab_mixclaves_trust_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_text(rt, 2, x->config);
  results_bind_int(rt, 3, x->hops);
  results_bind_int(rt, 4, x->domains);
  results_bind_text(rt, 5, x->trust);
  results_bind_text(rt, 6, x->path);
  results_bind_double(rt, 7, x->p_honest_path);
  return results_row(rt);
}
