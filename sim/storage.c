/* The simulated universal storage (storage.h): each accepted request is a
 * record in the world's in-flight set and one engine event at its completion
 * time; the event applies the request to the store's object table, counts
 * it, and calls back. Scheduled link changes are engine events too, so
 * freeing the world cancels everything it started. */
#include "storage.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib.h>

#include "engine.h"
#include "env_sim.h"

struct object {
  GBytes *value; /* NULL: virtual */
  size_t len;
};

struct outage {
  cm_time start, end;
};

struct store {
  struct storage_store cfg;
  GHashTable *objects; /* key (owned) -> struct object* (owned) */
  struct storage_stats st;
  cm_time last;        /* time up to which st.byte_seconds is summed */
  struct outage *out;
  uint32_t nout, cap;
};

struct link {
  struct storage_link m;
  rng *r; /* "storage:<store>:<location>", created on first jittered request */
};

struct storage_world {
  env *e;
  engine *en;
  struct store *stores;
  uint32_t ns;
  struct storage_location *locs;
  uint32_t nl;
  struct link *links;      /* [l * ns + s] */
  uint64_t *eg_out, *eg_in; /* [l * ns + s] */
  GHashTable *in_flight;   /* set of struct req* (owned) */
  GHashTable *changes;     /* set of struct change* (owned): scheduled link changes */
  bool installed;
};

/* One request between acceptance and its completion event. */
struct req {
  storage_world *w;
  uint64_t ev;
  enum store_op op;
  uint32_t s, l;
  int status;      /* decided at issue: 0, CM_ENOENT (get miss) or CM_EIO (store down) */
  char *key;
  GBytes *value;   /* put: the bytes to store; get: the bytes read (NULL: virtual or none) */
  size_t len;      /* put: object length; get: length read */
  env_store_fn done;
  void *arg;
};

struct change {
  storage_world *w;
  uint64_t ev;
  uint32_t l, s;
  struct storage_link m;
};

static const char *const kind_names[STORAGE_NKINDS] = {
    [STORAGE_S3] = "s3", [STORAGE_GCS] = "gcs", [STORAGE_AZURE_BLOB] = "azure-blob", [STORAGE_REDIS] = "redis"};

const char *storage_kind_name(enum storage_kind k) {
  return (unsigned)k < STORAGE_NKINDS ? kind_names[k] : NULL;
}

int storage_kind_find(const char *name) {
  for (int k = 0; name && k < STORAGE_NKINDS; k++)
    if (strcmp(kind_names[k], name) == 0) return k;
  return -1;
}

static bool name_ok(const char *s, size_t cap) { return s[0] && memchr(s, 0, cap); }

/* NULL or what is wrong with a link. */
static const char *link_bad(const struct storage_link *m) {
  if (m->latency < 0) return "latency must be >= 0";
  if (m->jitter_sd < 0) return "jitter_sd must be >= 0";
  if (!(m->up_bps > 0) || !isfinite(m->up_bps)) return "up_bps must be > 0 and finite";
  if (!(m->down_bps > 0) || !isfinite(m->down_bps)) return "down_bps must be > 0 and finite";
  return NULL;
}

static void object_free(gpointer p) {
  struct object *o = p;
  if (o->value) g_bytes_unref(o->value);
  g_free(o);
}

static void req_free(struct req *q) {
  g_free(q->key);
  if (q->value) g_bytes_unref(q->value);
  g_free(q);
}

/* Sum bytes_stored over (last, now] into byte_seconds. */
static void integrate(struct store *st, cm_time now) {
  st->st.byte_seconds += (double)st->st.bytes_stored * cm_time_to_s(now - st->last);
  st->last = now;
}

static bool down(const struct store *st, cm_time now) {
  for (uint32_t i = 0; i < st->nout; i++)
    if (now >= st->out[i].start && now < st->out[i].end) return true;
  return false;
}

static bool other_cloud(const storage_world *w, uint32_t l, uint32_t s) {
  return strcmp(w->locs[l].cloud, w->stores[s].cfg.cloud) != 0;
}

/* ---- a request's completion ---- */

static void apply_put(struct store *st, struct req *q) {
  struct object *o = g_new(struct object, 1);
  o->value = q->value; /* moves to the store */
  o->len = q->len;
  q->value = NULL;
  struct object *old = g_hash_table_lookup(st->objects, q->key);
  if (old) st->st.bytes_stored -= old->len;
  else st->st.objects++;
  st->st.bytes_stored += o->len;
  g_hash_table_insert(st->objects, g_strdup(q->key), o);
}

static void req_complete(engine *en, void *arg) {
  struct req *q = arg;
  storage_world *w = q->w;
  struct store *st = &w->stores[q->s];
  uint64_t *eg = NULL;
  size_t i = (size_t)q->l * w->ns + q->s;
  int status = q->status;
  const uint8_t *v = NULL;
  size_t len = 0;
  g_hash_table_steal(w->in_flight, q);
  st->st.in_flight--;
  integrate(st, engine_now(en));
  if (status == CM_OK && q->op == STORE_DELETE) {
    struct object *o = g_hash_table_lookup(st->objects, q->key);
    if (!o) {
      status = CM_ENOENT; /* deleted meanwhile: a delete takes effect when it completes */
    } else {
      st->st.bytes_stored -= o->len;
      st->st.objects--;
      g_hash_table_remove(st->objects, q->key);
    }
  }
  if (status == CM_EIO) {
    st->st.failed++;
  } else {
    if (status == CM_OK) st->st.ok++;
    else st->st.misses++;
    switch (q->op) {
    case STORE_PUT:
      st->st.served_puts++;
      st->st.bytes_written += q->len;
      eg = w->eg_in;
      len = q->len;
      apply_put(st, q);
      break;
    case STORE_GET:
      st->st.served_gets++;
      if (status == CM_OK) {
        st->st.bytes_read += q->len;
        eg = w->eg_out;
        len = q->len;
        v = q->value ? g_bytes_get_data(q->value, NULL) : NULL;
      }
      break;
    case STORE_DELETE: st->st.served_deletes++; break;
    }
    if (eg && other_cloud(w, q->l, q->s)) {
      eg[i] += len;
      if (eg == w->eg_in) st->st.egress_in_bytes += len;
      else st->st.egress_out_bytes += len;
    }
  }
  env *e = w->e;
  env_store_fn done = q->done;
  void *a = q->arg;
  done(e, a, status, v, len); /* may free the world: w is not touched after this */
  req_free(q);
}

/* ---- accepting a request (the env's storage op) ---- */

static int world_store(void *world, env *e CM_UNUSED, enum store_op op, const struct store_req *r, env_store_fn done,
                       void *arg) {
  storage_world *w = world;
  if (r->store >= w->ns || r->location >= w->nl) return CM_EINVAL;
  struct store *st = &w->stores[r->store];
  struct link *lk = &w->links[(size_t)r->location * w->ns + r->store];
  cm_time now = engine_now(w->en);
  struct req *q = g_new0(struct req, 1);
  *q = (struct req){.w = w, .op = op, .s = r->store, .l = r->location, .key = g_strdup(r->key), .done = done,
                    .arg = arg};
  cm_time d = lk->m.latency;
  if (down(st, now)) {
    q->status = CM_EIO;
  } else {
    if (lk->m.jitter_sd > 0) {
      if (!lk->r) {
        char name[2 * STORAGE_NAME_MAX + 16];
        snprintf(name, sizeof name, "storage:%s:%s", st->cfg.name, w->locs[r->location].name);
        lk->r = env_rng(w->e, name);
      }
      d += (cm_time)fabs(rng_normal(lk->r, 0, (double)lk->m.jitter_sd));
    }
    if (op == STORE_PUT) {
      q->len = r->len;
      q->value = r->value ? g_bytes_new(r->value, r->len) : NULL;
      d += cm_time_from_s((double)r->len * 8.0 / lk->m.up_bps);
    } else if (op == STORE_GET) {
      struct object *o = g_hash_table_lookup(st->objects, r->key);
      if (!o) {
        q->status = CM_ENOENT;
      } else {
        q->len = o->len;
        q->value = o->value && !r->length_only ? g_bytes_ref(o->value) : NULL; /* length_only: no bytes */
        d += cm_time_from_s((double)o->len * 8.0 / lk->m.down_bps);
      }
    }
  }
  switch (op) {
  case STORE_PUT: st->st.puts++; break;
  case STORE_GET: st->st.gets++; break;
  case STORE_DELETE: st->st.deletes++; break;
  }
  st->st.in_flight++;
  g_hash_table_add(w->in_flight, q);
  q->ev = engine_after(w->en, d, req_complete, q);
  return CM_OK;
}

/* ---- configuration ---- */

static char *setup(storage_world *w, const struct storage_config *c) {
  if (!c) return g_strdup("storage: config is NULL");
  if (c->nstores == 0 || !c->stores) return g_strdup("storage: no stores");
  if (c->nlocations == 0 || !c->locations) return g_strdup("storage: no locations");
  if (!c->links) return g_strdup("storage: links is NULL (every location x store link must be given)");
  for (uint32_t s = 0; s < c->nstores; s++) {
    const struct storage_store *x = &c->stores[s];
    if (!name_ok(x->name, STORAGE_NAME_MAX))
      return g_strdup_printf("storage: store %u: name empty or not terminated", s);
    if (!storage_kind_name(x->kind))
      return g_strdup_printf("storage: store %u '%s': kind: unknown (%d)", s, x->name, (int)x->kind);
    if (!memchr(x->cloud, 0, STORAGE_CLOUD_MAX))
      return g_strdup_printf("storage: store %u '%s': cloud not terminated", s, x->name);
    for (uint32_t t = 0; t < s; t++)
      if (strcmp(c->stores[t].name, x->name) == 0)
        return g_strdup_printf("storage: store %u '%s': name already used", s, x->name);
  }
  for (uint32_t l = 0; l < c->nlocations; l++) {
    const struct storage_location *x = &c->locations[l];
    if (!name_ok(x->name, STORAGE_NAME_MAX))
      return g_strdup_printf("storage: location %u: name empty or not terminated", l);
    if (!memchr(x->cloud, 0, STORAGE_CLOUD_MAX))
      return g_strdup_printf("storage: location %u '%s': cloud not terminated", l, x->name);
    for (uint32_t t = 0; t < l; t++)
      if (strcmp(c->locations[t].name, x->name) == 0)
        return g_strdup_printf("storage: location %u '%s': name already used", l, x->name);
  }
  for (uint32_t l = 0; l < c->nlocations; l++)
    for (uint32_t s = 0; s < c->nstores; s++) {
      const char *bad = link_bad(&c->links[(size_t)l * c->nstores + s]);
      if (bad)
        return g_strdup_printf("storage: link '%s' -> '%s': %s", c->locations[l].name, c->stores[s].name, bad);
    }
  w->ns = c->nstores;
  w->nl = c->nlocations;
  size_t n = (size_t)w->ns * w->nl;
  w->stores = g_new0(struct store, w->ns);
  w->locs = g_memdup2(c->locations, w->nl * sizeof(*w->locs));
  w->links = g_new0(struct link, n);
  w->eg_out = g_new0(uint64_t, n);
  w->eg_in = g_new0(uint64_t, n);
  for (size_t i = 0; i < n; i++) w->links[i].m = c->links[i];
  cm_time now = engine_now(w->en);
  for (uint32_t s = 0; s < w->ns; s++) {
    w->stores[s].cfg = c->stores[s];
    w->stores[s].objects = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, object_free);
    w->stores[s].last = now;
  }
  return NULL;
}

storage_world *storage_world_new(env *e, const struct storage_config *cfg, char **err) {
  storage_world *w = g_new0(storage_world, 1);
  w->e = e;
  w->en = env_sim_engine(e);
  w->in_flight = g_hash_table_new(g_direct_hash, g_direct_equal);
  w->changes = g_hash_table_new_full(g_direct_hash, g_direct_equal, g_free, NULL);
  char *msg = setup(w, cfg);
  if (msg) {
    storage_world_free(w);
    if (err) *err = msg;
    else g_free(msg);
    return NULL;
  }
  env_sim_set_storage(e, world_store, w);
  w->installed = true;
  return w;
}

void storage_world_free(storage_world *w) {
  if (!w) return;
  if (w->installed) env_sim_set_storage(w->e, NULL, NULL);
  GHashTableIter it;
  gpointer p;
  g_hash_table_iter_init(&it, w->in_flight);
  while (g_hash_table_iter_next(&it, &p, NULL)) {
    struct req *q = p;
    engine_cancel(w->en, q->ev, NULL);
    req_free(q);
  }
  g_hash_table_destroy(w->in_flight);
  g_hash_table_iter_init(&it, w->changes);
  while (g_hash_table_iter_next(&it, &p, NULL)) engine_cancel(w->en, ((struct change *)p)->ev, NULL);
  g_hash_table_destroy(w->changes);
  for (uint32_t s = 0; w->stores && s < w->ns; s++) {
    g_hash_table_destroy(w->stores[s].objects);
    g_free(w->stores[s].out);
  }
  g_free(w->stores);
  g_free(w->locs);
  g_free(w->links);
  g_free(w->eg_out);
  g_free(w->eg_in);
  g_free(w);
}

int storage_world_add_outage(storage_world *w, uint32_t s, cm_time start, cm_time end) {
  if (!w || s >= w->ns || start < 0 || end <= start) return CM_EINVAL;
  struct store *st = &w->stores[s];
  if (end <= engine_now(w->en)) return CM_OK; /* already over: nothing to do */
  if (st->nout == st->cap) {
    st->cap = st->cap ? st->cap * 2 : 4;
    st->out = g_renew(struct outage, st->out, st->cap);
  }
  st->out[st->nout++] = (struct outage){start, end};
  return CM_OK;
}

static void link_apply(storage_world *w, uint32_t l, uint32_t s, const struct storage_link *m) {
  w->links[(size_t)l * w->ns + s].m = *m; /* the stream stays: it belongs to the pair */
}

static void change_fire(engine *en CM_UNUSED, void *arg) {
  struct change *c = arg;
  link_apply(c->w, c->l, c->s, &c->m);
  g_hash_table_remove(c->w->changes, c);
}

int storage_world_set_link(storage_world *w, uint32_t l, uint32_t s, cm_time at, const struct storage_link *link) {
  if (!w || !link || l >= w->nl || s >= w->ns || link_bad(link)) return CM_EINVAL;
  cm_time now = engine_now(w->en);
  if (at <= now) {
    link_apply(w, l, s, link);
    return CM_OK;
  }
  struct change *c = g_new(struct change, 1);
  *c = (struct change){.w = w, .l = l, .s = s, .m = *link};
  c->ev = engine_at(w->en, at, change_fire, c);
  g_hash_table_add(w->changes, c);
  return CM_OK;
}

/* ---- accessors ---- */

uint32_t storage_world_nstores(const storage_world *w) { return w->ns; }
uint32_t storage_world_nlocations(const storage_world *w) { return w->nl; }

const struct storage_store *storage_world_store(const storage_world *w, uint32_t s) {
  return s < w->ns ? &w->stores[s].cfg : NULL;
}

const struct storage_location *storage_world_location(const storage_world *w, uint32_t l) {
  return l < w->nl ? &w->locs[l] : NULL;
}

int storage_world_find_store(const storage_world *w, const char *name) {
  for (uint32_t s = 0; name && s < w->ns; s++)
    if (strcmp(w->stores[s].cfg.name, name) == 0) return (int)s;
  return -1;
}

int storage_world_find_location(const storage_world *w, const char *name) {
  for (uint32_t l = 0; name && l < w->nl; l++)
    if (strcmp(w->locs[l].name, name) == 0) return (int)l;
  return -1;
}

void storage_world_stats(const storage_world *w, uint32_t s, struct storage_stats *out) {
  *out = (struct storage_stats){0};
  if (s >= w->ns) return;
  const struct store *st = &w->stores[s];
  *out = st->st;
  out->byte_seconds += (double)st->st.bytes_stored * cm_time_to_s(engine_now(w->en) - st->last);
}

void storage_world_egress(const storage_world *w, uint32_t l, uint32_t s, uint64_t *out, uint64_t *in) {
  bool ok = l < w->nl && s < w->ns;
  size_t i = (size_t)l * w->ns + s;
  if (out) *out = ok ? w->eg_out[i] : 0;
  if (in) *in = ok ? w->eg_in[i] : 0;
}

char *storage_world_check(const storage_world *w) {
  uint64_t *flying = g_new0(uint64_t, w->ns);
  GHashTableIter it;
  gpointer p;
  g_hash_table_iter_init(&it, w->in_flight);
  while (g_hash_table_iter_next(&it, &p, NULL)) flying[((struct req *)p)->s]++;
  char *msg = NULL;
  for (uint32_t s = 0; !msg && s < w->ns; s++) {
    const struct store *st = &w->stores[s];
    const struct storage_stats *c = &st->st;
    const char *name = st->cfg.name;
    uint64_t bytes = 0, out = 0, in = 0;
    g_hash_table_iter_init(&it, st->objects);
    while (g_hash_table_iter_next(&it, NULL, &p)) bytes += ((struct object *)p)->len;
    for (uint32_t l = 0; l < w->nl; l++) {
      out += w->eg_out[(size_t)l * w->ns + s];
      in += w->eg_in[(size_t)l * w->ns + s];
    }
    if (c->puts + c->gets + c->deletes != c->ok + c->misses + c->failed + c->in_flight)
      msg = g_strdup_printf("storage: store '%s': requests %llu != ok + misses + failed + in_flight %llu", name,
                            (unsigned long long)(c->puts + c->gets + c->deletes),
                            (unsigned long long)(c->ok + c->misses + c->failed + c->in_flight));
    else if (c->served_puts + c->served_gets + c->served_deletes != c->ok + c->misses)
      msg = g_strdup_printf("storage: store '%s': served %llu != ok + misses %llu", name,
                            (unsigned long long)(c->served_puts + c->served_gets + c->served_deletes),
                            (unsigned long long)(c->ok + c->misses));
    else if (c->in_flight != flying[s])
      msg = g_strdup_printf("storage: store '%s': in_flight %llu but %llu requests pending", name,
                            (unsigned long long)c->in_flight, (unsigned long long)flying[s]);
    else if (c->objects != g_hash_table_size(st->objects) || c->bytes_stored != bytes)
      msg = g_strdup_printf("storage: store '%s': objects %llu / bytes_stored %llu but the table holds %u / %llu", name,
                            (unsigned long long)c->objects, (unsigned long long)c->bytes_stored,
                            g_hash_table_size(st->objects), (unsigned long long)bytes);
    else if (c->egress_out_bytes != out || c->egress_in_bytes != in)
      msg = g_strdup_printf("storage: store '%s': egress totals differ from the (location, store) table", name);
  }
  g_free(flying);
  return msg;
}
