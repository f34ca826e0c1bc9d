/* libFuzzer target: the S3 / GCS client's readers of untrusted answers, on
 * arbitrary bodies in a buffer of their exact size (never a read past len):
 * the <Error> body (store_http__parse_error: an accepted one has a
 * non-empty code, both strings NUL-terminated within their buffers and free
 * of control bytes) and a ListObjectsV2 page (store_s3__list_page: keys only
 * on success or a refusal, a token only with success, nothing leaked).
 * Build and run: make fuzz. */
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "store_http.h"

static void clean(const char *s, size_t cap) {
  size_t n = strnlen(s, cap);
  CHECK(n < cap);
  for (size_t i = 0; i < n; i++) CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  char *body = malloc(size ? size : 1);
  memcpy(body, data, size);
  struct store_http_error e;
  if (store_http__parse_error(body, size, &e)) {
    CHECK(e.code[0]);
    clean(e.code, sizeof e.code);
    clean(e.message, sizeof e.message);
    CHECK(memmem(body, size, "<Error>", 7) && memmem(body, size, "</Error>", 8));
  }
  GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
  char *next = NULL;
  int rc = store_s3__list_page(body, size, keys, &next);
  CHECK(rc == 0 || rc == CM_EPARSE || rc == CM_ERANGE);
  if (rc) CHECK(next == NULL);
  if (next) CHECK(next[0]);
  for (guint i = 0; i < keys->len; i++) CHECK(strlen(keys->pdata[i]) <= 4 * 4096);
  g_free(next);
  g_ptr_array_free(keys, TRUE);
  free(body);
  return 0;
}
