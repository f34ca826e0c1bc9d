/* The elasticity experiment's tables mixclaves_elastic and
 * mixclaves_elastic_attempts: CREATE and INSERT SQL and the typed open /
 * add calls (columns described in analysis/SCHEMA.md). */
#include "tab_mixclaves_elastic.h"

static const char create_series[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_elastic ("
    " run_id INTEGER NOT NULL, t_s REAL NOT NULL, target_per_s REAL NOT NULL, offered_per_s REAL NOT NULL,"
    " delivered_per_s REAL NOT NULL, p50_rtt_s REAL, p99_rtt_s REAL, nodes INTEGER NOT NULL,"
    " provisioned INTEGER NOT NULL, epoch INTEGER NOT NULL, clients INTEGER NOT NULL,"
    " clients_current INTEGER NOT NULL, attempts INTEGER NOT NULL, committed INTEGER NOT NULL,"
    " retried INTEGER NOT NULL, abandoned INTEGER NOT NULL, ctrl_sent INTEGER NOT NULL,"
    " ctrl_returned INTEGER NOT NULL, queue_full INTEGER NOT NULL, updater_throughput_per_s REAL)";
static const char insert_series[] =
    "INSERT INTO mixclaves_elastic VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)";
static const char create_attempts[] =
    "CREATE TABLE IF NOT EXISTS mixclaves_elastic_attempts ("
    " run_id INTEGER NOT NULL, attempt INTEGER NOT NULL, scale_out INTEGER NOT NULL, version INTEGER NOT NULL,"
    " nodes INTEGER NOT NULL, acked INTEGER NOT NULL, installs_sent INTEGER NOT NULL,"
    " installs_timed_out INTEGER NOT NULL, started_s REAL NOT NULL, ended_s REAL, outcome TEXT NOT NULL)";
static const char insert_attempts[] = "INSERT INTO mixclaves_elastic_attempts VALUES (?,?,?,?,?,?,?,?,?,?,?)";

static int open_table(results *r, results_table **t, const char *create, const char *insert) {
  if (!r || !t) return CM_EINVAL;
  *t = results_table_new(r, create, insert);
  return *t ? CM_OK : CM_EDB;
}

int tab_mixclaves_elastic_open(results *r, struct tab_mixclaves_elastic *out) {
  return open_table(r, out ? &out->t : NULL, create_series, insert_series);
}

int tab_mixclaves_elastic_add(struct tab_mixclaves_elastic *t, const struct tab_mixclaves_elastic_row *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_double(rt, 2, x->t_s);
  results_bind_double(rt, 3, x->target_per_s);
  results_bind_double(rt, 4, x->offered_per_s);
  results_bind_double(rt, 5, x->delivered_per_s);
  results_bind_double(rt, 6, x->p50_rtt_s);
  results_bind_double(rt, 7, x->p99_rtt_s);
  results_bind_int(rt, 8, x->nodes);
  results_bind_int(rt, 9, x->provisioned);
  results_bind_int(rt, 10, x->epoch);
  results_bind_int(rt, 11, x->clients);
  results_bind_int(rt, 12, x->clients_current);
  results_bind_int(rt, 13, x->attempts);
  results_bind_int(rt, 14, x->committed);
  results_bind_int(rt, 15, x->retried);
  results_bind_int(rt, 16, x->abandoned);
  results_bind_int(rt, 17, x->ctrl_sent);
  results_bind_int(rt, 18, x->ctrl_returned);
  results_bind_int(rt, 19, x->queue_full);
  results_bind_double(rt, 20, x->updater_throughput_per_s);
  return results_row(rt);
}

int tab_mixclaves_elastic_attempts_open(results *r, struct tab_mixclaves_elastic_attempts *out) {
  return open_table(r, out ? &out->t : NULL, create_attempts, insert_attempts);
}

int tab_mixclaves_elastic_attempts_add(struct tab_mixclaves_elastic_attempts *t,
                                       const struct tab_mixclaves_elastic_attempt *x) {
  if (!t || !t->t || !x) return CM_EINVAL;
  results_table *rt = t->t;
  results_bind_int(rt, 1, x->run_id);
  results_bind_int(rt, 2, x->attempt);
  results_bind_int(rt, 3, x->scale_out);
  results_bind_int(rt, 4, x->version);
  results_bind_int(rt, 5, x->nodes);
  results_bind_int(rt, 6, x->acked);
  results_bind_int(rt, 7, x->installs_sent);
  results_bind_int(rt, 8, x->installs_timed_out);
  results_bind_double(rt, 9, x->started_s);
  results_bind_double(rt, 10, x->ended_s);
  results_bind_text(rt, 11, x->outcome);
  return results_row(rt);
}
