/* `cloudmix store --real PROFILE [--store NAME] put|get|delete|ls ...`: one
 * request to a store of a real-mode profile (real/profile.h), through the
 * same path the models take (a real env, env_real_set_stores, env_put /
 * env_get / env_delete), timed on the env's clock; or a listing through
 * the client's list op. Exit codes: 0 ok, 1 failed, 2 bad usage or input,
 * 3 (CM_EXIT_NOT_FOUND) the key does not exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "cli.h"
#include "env_real.h"
#include "profile.h"
#include "store.h"

struct one {
  env *e;
  bool done;
  int status;
  size_t len;
  char md5[33];
  const char *out; /* get: write the bytes here */
  bool write_failed;
  cm_time took, issued;
  /* ls: the listing's outcomes, counted here as the env counts a request's */
  GPtrArray *keys;
  const char *reason;
  void *handle;
  struct env_real_store_stats list_st;
};

/* One more outcome of a listing in st: ok, miss or failed by reason. */
static void count_list(struct env_real_store_stats *st, int status, const char *reason) {
  if (!status) {
    st->ok++;
    return;
  }
  if (status == CM_ENOENT) {
    st->miss++;
    return;
  }
  st->failed++;
  uint32_t i = 0;
  while (i < st->nreasons && strcmp(st->by_reason[i].reason, reason)) i++;
  if (i == st->nreasons && i < ENV_REAL_REASONS_MAX) st->by_reason[st->nreasons++].reason = reason;
  if (i < st->nreasons) st->by_reason[i].n++;
}

static void on_store(env *e, void *arg, int status, const uint8_t *value, size_t len) {
  struct one *o = arg;
  o->done = true;
  o->status = status;
  o->len = len;
  o->took = env_now(e) - o->issued;
  if (status == 0 && value) {
    char *h = g_compute_checksum_for_data(G_CHECKSUM_MD5, value, len);
    g_strlcpy(o->md5, h, sizeof o->md5);
    g_free(h);
    if (o->out) o->write_failed = !g_file_set_contents(o->out, (const char *)value, (gssize)len, NULL);
  }
  env_stop(e);
}

static void on_list(void *arg, int status, const char *reason, const char *const *keys, size_t n) {
  struct one *o = arg;
  o->done = true;
  o->handle = NULL;
  o->status = status;
  o->reason = status ? (reason ? reason : "unknown") : NULL;
  o->took = env_now(o->e) - o->issued;
  count_list(&o->list_st, status, o->reason);
  for (size_t i = 0; i < n; i++) g_ptr_array_add(o->keys, g_strdup(keys[i]));
  env_stop(o->e);
}

static void on_list_deadline(env *e, void *arg) {
  struct one *o = arg;
  o->reason = "timeout";
  o->status = CM_EIO;
  count_list(&o->list_st, o->status, o->reason);
  env_stop(e);
}

static int cmp_str(gconstpointer a, gconstpointer b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "1024", "16K", "64M", "2G" (binary multiples) into *n; false if not that. */
static bool parse_size(const char *s, size_t *n) {
  char *end;
  if (!s || !g_ascii_isdigit(*s)) return false;
  guint64 v = g_ascii_strtoull(s, &end, 10);
  int shift = !strcmp(end, "K") ? 10 : !strcmp(end, "M") ? 20 : !strcmp(end, "G") ? 30 : *end ? -1 : 0;
  if (shift < 0 || v > (G_MAXSIZE >> shift)) return false;
  *n = (size_t)(v << shift);
  return true;
}

/* The failure's reason in words: the only one in the dispatcher's stats. */
static const char *last_reason(env *e) {
  struct env_real_store_stats st;
  env_real_store_stats(e, &st);
  return st.nreasons ? st.by_reason[st.nreasons - 1].reason : "unknown";
}

/* "stats: requested 1 ok 0 miss 0 failed 1 cancelled 0 in_flight 0 reasons refused=1": the env's
 * storage counters, or a listing's (which does not go through the env). */
static void print_stats(const struct env_real_store_stats *st) {
  fprintf(stderr, "stats: requested %llu ok %llu miss %llu failed %llu cancelled %llu in_flight %llu reasons",
          (unsigned long long)st->requested, (unsigned long long)st->ok, (unsigned long long)st->miss,
          (unsigned long long)st->failed, (unsigned long long)st->cancelled, (unsigned long long)st->in_flight);
  for (uint32_t i = 0; i < st->nreasons; i++)
    fprintf(stderr, " %s=%llu", st->by_reason[i].reason, (unsigned long long)st->by_reason[i].n);
  fprintf(stderr, "\n");
}

static int usage(GOptionContext *ctx, const char *fmt, const char *arg) {
  fprintf(stderr, "cloudmix store: ");
  fprintf(stderr, fmt, arg);
  fprintf(stderr, "\nRun 'cloudmix store --help' for usage.\n");
  g_option_context_free(ctx);
  return CM_EXIT_USAGE;
}

/* Run the request or listing in o to its end; prints the result line. */
static int run_one(struct one *o, const char *verb, const char *key, const char *where) {
  while (!o->done && !o->reason) env_run(o->e, CM_TIME_MAX);
  double ms = cm_time_to_s(o->took) * 1e3;
  if (o->status == CM_ENOENT) {
    fprintf(stderr, "cloudmix store: %s %s: not found in %s\n", verb, key, where);
    return CM_EXIT_NOT_FOUND;
  }
  if (o->status != 0) {
    fprintf(stderr, "cloudmix store: %s %s: failed (%s) at %s\n", verb, key,
            o->keys ? o->reason : last_reason(o->e), where);
    return CM_EXIT_FAILED;
  }
  if (o->write_failed) {
    fprintf(stderr, "cloudmix store: get %s: cannot write %s\n", key, o->out);
    return CM_EXIT_FAILED;
  }
  if (!strcmp(verb, "put")) printf("put %s: %zu bytes in %.1f ms\n", key, o->len, ms);
  else if (!strcmp(verb, "delete")) printf("delete %s: deleted in %.1f ms\n", key, ms);
  else if (o->md5[0]) printf("get %s: %zu bytes, md5 %s in %.1f ms\n", key, o->len, o->md5, ms);
  else if (!strcmp(verb, "get")) printf("get %s: %zu bytes (length only) in %.1f ms\n", key, o->len, ms);
  return CM_EXIT_OK;
}

struct opts {
  gchar *real, *store, *file, *bytes, *out;
  gboolean length_only, stats;
  gdouble timeout_s;
};

static int store_run(int argc, char **argv, struct opts *op) {
  GOptionEntry entries[] = {
      {"real", 'r', 0, G_OPTION_ARG_FILENAME, &op->real, "The real-mode profile with the [store.NAME] groups", "PROFILE"},
      {"store", 0, 0, G_OPTION_ARG_STRING, &op->store, "Which store (default: the profile's only one)", "NAME"},
      {"file", 0, 0, G_OPTION_ARG_FILENAME, &op->file, "put: the object's bytes", "F"},
      {"bytes", 0, 0, G_OPTION_ARG_STRING, &op->bytes, "put: a virtual object of N bytes (16K, 64M, ...)", "N"},
      {"out", 0, 0, G_OPTION_ARG_FILENAME, &op->out, "get: write the object to F", "F"},
      {"length-only", 0, 0, G_OPTION_ARG_NONE, &op->length_only, "get: keep no bytes, report the length", NULL},
      {"stats", 0, 0, G_OPTION_ARG_NONE, &op->stats,
       "Print the outcome counters on stderr (the env's; for ls, the listing's)", NULL},
      {"timeout", 0, 0, G_OPTION_ARG_DOUBLE, &op->timeout_s, "Deadline in seconds (default: the store's timeout_s)",
       "S"},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  GOptionContext *ctx = g_option_context_new("put KEY | get KEY | delete KEY | ls [PREFIX] - one request to a real store");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_description(
      ctx, "  put KEY (--file F | --bytes N)   write F's bytes, or a virtual object of N bytes (its byte\n"
           "                                   at offset o is o mod 256), replacing any object there\n"
           "  get KEY [--out F | --length-only] read the object: its length and MD5 (or only its length)\n"
           "  delete KEY                       remove the object\n"
           "  ls [PREFIX]                      list the keys starting with PREFIX, sorted\n"
           "The store is a [store.NAME] group of the profile (real/profile.h); credentials come from\n"
           "where the profile names them. Each request goes through a real env (env_put, env_get,\n"
           "env_delete), with the store's deadline or --timeout.\n"
           "Exit codes: 0 ok, 1 failed, 2 bad usage or input, 3 the key does not exist.");
  GError *gerr = NULL;
  char *perr = NULL;
  if (!cli_options_parse(ctx, entries, &argc, &argv, &perr)) {
    int rc = usage(ctx, "%s", perr);
    g_free(perr);
    return rc;
  }
  const gchar *real = op->real, *store = op->store, *file = op->file, *bytes = op->bytes, *out = op->out;
  bool length_only = op->length_only, stats = op->stats;
  double timeout_s = op->timeout_s;
  int rc = CM_EXIT_USAGE;
  const char *verb = argc > 1 ? argv[1] : NULL, *key = argc > 2 ? argv[2] : NULL;
  bool ls = verb && !strcmp(verb, "ls");
  size_t nbytes = 0;
  if (!real) return usage(ctx, "%s", "--real PROFILE is required");
  if (!verb || (!ls && strcmp(verb, "put") && strcmp(verb, "get") && strcmp(verb, "delete")))
    return usage(ctx, "expected put, get, delete or ls, found '%s'", verb ? verb : "nothing");
  if ((!ls && (!key || !*key)) || argc > 3) return usage(ctx, "%s: expected one KEY", verb);
  if (!strcmp(verb, "put") && !file == !bytes) return usage(ctx, "%s", "put: give one of --file F and --bytes N");
  if (bytes && !parse_size(bytes, &nbytes))
    return usage(ctx, "--bytes: found '%s', expected a size such as 1024, 16K or 64M", bytes);
  if ((file || bytes) && strcmp(verb, "put")) return usage(ctx, "%s: --file and --bytes are for put", verb);
  if ((out || length_only) && strcmp(verb, "get")) return usage(ctx, "%s: --out and --length-only are for get", verb);
  if (out && length_only) return usage(ctx, "%s", "get: give at most one of --out and --length-only");
  if (timeout_s < 0) return usage(ctx, "%s", "--timeout: expected seconds >= 0");

  char *err = NULL;
  profile *p = profile_load(real, &err);
  if (!p) {
    fprintf(stderr, "cloudmix store: %s\n", err);
    g_free(err);
    g_option_context_free(ctx);
    return CM_EXIT_USAGE;
  }
  const struct store_endpoint *ep = store ? profile_find_store(p, store)
                                    : profile_store_count(p) == 1 ? profile_store(p, 0) : NULL;
  GMappedFile *mf = NULL;
  env *e = NULL;
  struct store_client *c = NULL;
  char *where = NULL;
  if (!ep) {
    GString *names = g_string_new(NULL);
    for (size_t i = 0; i < profile_store_count(p); i++)
      g_string_append_printf(names, "%s%s", i ? ", " : "", profile_store(p, i)->name);
    fprintf(stderr, "cloudmix store: %s: %s (stores: %s)\n", profile_path(p),
            store ? "no [store.NAME] of that name" : "name one store with --store",
            names->len ? names->str : "none");
    g_string_free(names, TRUE);
    goto done;
  }
  where = g_strdup_printf("store %s (%s %s) of %s", ep->name, ep->kind, ep->endpoint, profile_path(p));
  if (file && !(mf = g_mapped_file_new(file, FALSE, &gerr))) {
    fprintf(stderr, "cloudmix store: put %s: %s\n", key, gerr->message);
    g_error_free(gerr);
    goto done;
  }
  rc = CM_EXIT_FAILED;
  if (!(e = env_real_new(0))) {
    fprintf(stderr, "cloudmix store: cannot make a real env\n");
    goto done;
  }
  if (!(c = store_client_new(e, ep, &err))) {
    fprintf(stderr, "cloudmix store: %s: %s\n", profile_path(p), err);
    g_free(err);
    rc = CM_EXIT_USAGE;
    goto done;
  }
  struct one o = {.e = e, .out = out, .issued = env_now(e)};
  if (ls) {
    if (!c->ops->list) {
      fprintf(stderr, "cloudmix store: ls: %s cannot list keys\n", where);
      c->ops->free(c);
      goto done;
    }
    o.keys = g_ptr_array_new_with_free_func(g_free);
    const char *why = NULL;
    o.handle = c->ops->list(c, key ? key : "", on_list, &o, &why);
    o.list_st.requested = 1;
    if (!o.handle) {
      o.status = CM_EIO, o.reason = why ? why : "unknown";
      count_list(&o.list_st, o.status, o.reason);
    }
    timer_id t = env_after(e, timeout_s > 0 ? cm_time_from_s(timeout_s) : c->timeout ? c->timeout : CM_S(30),
                           on_list_deadline, &o);
    rc = run_one(&o, "ls", key ? key : "", where);
    env_cancel(e, t);
    if (o.handle) c->ops->abort(c, o.handle); /* after the deadline: its one outcome was "timeout" */
    if (stats) print_stats(&o.list_st);
    if (rc == CM_EXIT_OK) {
      g_ptr_array_sort(o.keys, cmp_str);
      for (guint i = 0; i < o.keys->len; i++) printf("%s\n", (char *)o.keys->pdata[i]);
      fprintf(stderr, "ls %s: %u keys in %.1f ms\n", key ? key : "", o.keys->len, cm_time_to_s(o.took) * 1e3);
    }
    g_ptr_array_free(o.keys, TRUE);
    c->ops->free(c);
    goto done;
  }
  struct store_client *cs[] = {c};
  env_real_set_stores(e, cs, 1);
  const char *fbytes = mf ? g_mapped_file_get_contents(mf) : NULL;
  if (mf && !fbytes) fbytes = ""; /* an empty file: bytes (none), not a virtual object */
  struct store_req q = {.key = key,
                        .value = (const uint8_t *)fbytes,
                        .len = mf ? g_mapped_file_get_length(mf) : nbytes,
                        .length_only = length_only,
                        .timeout = cm_time_from_s(timeout_s)};
  request_id id = !strcmp(verb, "put") ? env_put(e, &q, on_store, &o)
                  : !strcmp(verb, "get") ? env_get(e, &q, on_store, &o)
                                         : env_delete(e, &q, on_store, &o);
  if (id < 0) {
    fprintf(stderr, "cloudmix store: %s %s: refused (%s)\n", verb, key, cm_strerror((int)id));
    goto done;
  }
  rc = run_one(&o, verb, key, where);
  if (stats) {
    struct env_real_store_stats st;
    env_real_store_stats(e, &st);
    print_stats(&st);
  }
done:
  env_free(e);
  if (mf) g_mapped_file_unref(mf);
  g_free(where);
  profile_free(p);
  g_option_context_free(ctx);
  return rc;
}

int cli_store(int argc, char **argv) {
  struct opts o = {0};
  int rc = store_run(argc, argv, &o);
  g_free(o.real);
  g_free(o.store);
  g_free(o.file);
  g_free(o.bytes);
  g_free(o.out);
  return rc;
}
