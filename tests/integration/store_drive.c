/* store_drive: one storage request through a real client (real/store_s3.c,
 * real/store_azure.c) on a real env, for tests/integration/stores_http.sh,
 * until `cloudmix store` drives the clients through the profile.
 *
 *   store_drive put KEY (FILE | --filler N)   prints "ok put LEN"
 *   store_drive get KEY [FILE] [--length-only] prints "ok get LEN MD5HEX" (FILE: the body)
 *   store_drive delete KEY                     prints "ok delete"
 *   store_drive list [PREFIX]                  prints "ok list N", then one key a line
 * A failure prints "fail STATUS REASON" (STATUS the CM_E* name) and exits 1;
 * usage errors exit 2. The request must end in exactly one callback within
 * the deadline plus 5 s, else "FAIL callbacks N" and exit 3.
 * The endpoint comes from the environment (never printed): STORE_KIND
 * (s3, gcs, azure-blob), STORE_ENDPOINT, STORE_BUCKET (bucket or container),
 * STORE_REGION, STORE_VHOST=1, STORE_ACCESS_KEY, STORE_SECRET_KEY,
 * STORE_SESSION_TOKEN, STORE_ACCOUNT, STORE_ACCOUNT_KEY, STORE_TIMEOUT_MS. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>

#include "env_real.h"
#include "store.h"

static int calls;
static int outcome = 1;
static const char *op_name;
static const char *out_file;

static void done(void *arg, int status, const char *reason, const uint8_t *value, size_t len) {
  env *e = arg;
  calls++;
  if (status) {
    printf("fail %s %s\n", status == CM_ENOENT ? "ENOENT" : status == CM_EIO ? "EIO" : cm_strerror(status),
           reason ? reason : "-");
  } else if (!strcmp(op_name, "get")) {
    char *md5 = value ? g_compute_checksum_for_data(G_CHECKSUM_MD5, value, len) : NULL;
    printf("ok get %zu %s\n", len, md5 ? md5 : "-");
    g_free(md5);
    if (out_file && value) g_file_set_contents(out_file, (const char *)value, (gssize)len, NULL);
    outcome = 0;
  } else {
    if (!strcmp(op_name, "put")) printf("ok put %zu\n", len);
    else printf("ok delete\n");
    outcome = 0;
  }
  env_stop(e);
}

static void listed(void *arg, int status, const char *reason, const char *const *keys, size_t nkeys) {
  env *e = arg;
  calls++;
  if (status) printf("fail %s %s\n", status == CM_ENOENT ? "ENOENT" : "EIO", reason ? reason : "-");
  else {
    printf("ok list %zu\n", nkeys);
    for (size_t i = 0; i < nkeys; i++) printf("%s\n", keys[i]);
    outcome = 0;
  }
  env_stop(e);
}

static const char *var(const char *name) {
  const char *v = getenv(name);
  return v && *v ? v : NULL;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: store_drive put|get|delete|list ...\n");
    return 2;
  }
  op_name = argv[1];
  const char *kind = var("STORE_KIND") ? var("STORE_KIND") : "s3";
  long tmo = var("STORE_TIMEOUT_MS") ? strtol(var("STORE_TIMEOUT_MS"), NULL, 10) : 30000;
  struct store_endpoint ep = {.name = "drive",
                              .kind = kind,
                              .endpoint = var("STORE_ENDPOINT"),
                              .bucket = var("STORE_BUCKET"),
                              .virtual_host = var("STORE_VHOST") && !strcmp(var("STORE_VHOST"), "1"),
                              .region = var("STORE_REGION"),
                              .access_key = var("STORE_ACCESS_KEY"),
                              .secret_key = var("STORE_SECRET_KEY"),
                              .session_token = var("STORE_SESSION_TOKEN"),
                              .account = var("STORE_ACCOUNT"),
                              .account_key = var("STORE_ACCOUNT_KEY"),
                              .timeout = CM_MS(tmo)};
  env *e = env_real_new(1);
  char *err = NULL;
  struct store_client *c = !strcmp(kind, "azure-blob") ? store_azure_new(e, &ep, &err) : store_s3_new(e, &ep, &err);
  if (!c) {
    fprintf(stderr, "store_drive: %s\n", err);
    g_free(err);
    env_free(e);
    return 2;
  }
  struct store_op_req req = {.deadline = env_now(e) + CM_MS(tmo)};
  gchar *data = NULL;
  gsize dlen = 0;
  void *h = NULL;
  const char *reason = NULL;
  if (!strcmp(op_name, "list")) {
    h = c->ops->list(c, argc > 2 ? argv[2] : "", listed, e, &reason);
  } else {
    if (argc < 3) return 2;
    req.key = argv[2];
    if (!strcmp(op_name, "put")) {
      req.op = STORE_PUT;
      if (argc > 4 && !strcmp(argv[3], "--filler")) req.len = strtoull(argv[4], NULL, 10);
      else if (argc > 3 && g_file_get_contents(argv[3], &data, &dlen, NULL)) {
        req.value = (const uint8_t *)data;
        req.len = dlen;
      } else return 2;
    } else if (!strcmp(op_name, "get")) {
      req.op = STORE_GET;
      for (int i = 3; i < argc; i++)
        if (!strcmp(argv[i], "--length-only")) req.length_only = true;
        else out_file = argv[i];
    } else if (!strcmp(op_name, "delete")) {
      req.op = STORE_DELETE;
    } else return 2;
    h = c->ops->start(c, &req, done, e, &reason);
  }
  if (!h) {
    printf("fail start %s\n", reason ? reason : "-");
    outcome = 1;
  } else {
    env_run(e, env_now(e) + CM_MS(tmo) + CM_S(5));
    if (calls != 1) {
      printf("FAIL callbacks %d\n", calls);
      outcome = 3;
    }
  }
  c->ops->free(c);
  env_free(e);
  g_free(data);
  return outcome;
}
